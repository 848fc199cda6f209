/*
 * server.h - the running server's shared state, handed to every handler.
 *
 * One server_t per process: configuration, the store, the HTTP front end.
 * Handlers receive it through op_ctx_t (dispatch.h) and never reach for
 * globals; background jobs (retention, liveness) hang off it too.
 */
#ifndef CS_SERVER_H
#define CS_SERVER_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"

struct store;
struct http;
struct maint;
struct tcache;
struct cursor_key;

typedef struct server_stats {
    atomic_uint_fast64_t requests;      /* data-path requests answered */
    atomic_uint_fast64_t errors;        /* of which answered with an error */
} server_stats_t;

typedef struct server {
    server_config_t cfg;
    struct store *store;
    struct http *http;
    struct maint *maint;       /* background purge/expiry thread */
    struct tcache *tcache;     /* parsed table metadata (tcache.h) */
    struct cursor_key *cursor_key; /* keyed MAC of consumer cursors (cursor.h) */
    int64_t started_ms;        /* wall clock at start, for uptime */
    bool maint_paused;         /* test crash points: no background commits */
    server_stats_t stats;
} server_t;

#endif
