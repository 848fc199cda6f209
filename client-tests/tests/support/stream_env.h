/*
 * stream_env.h - shared fixture of the Change Streams integration suites
 * (check_stream_*.c): a real csemu (test_server_start, with --test-clock
 * and optional extra flags) plus one client handle per tenant, and small
 * asserting helpers - create a table with streaming, write rows, build
 * consumers, poll until N records arrived - so each test reads as the
 * scenario it checks. Every helper fails the current Check test (ck_assert)
 * on an unexpected error, naming the call and the server's code and message.
 *
 * Records are flattened (senv_rec_t) so tests can look at them by key.
 * Test rows use tables whose primary key is (id INTEGER) or (sk STRING
 * shard, id INTEGER); senv_rec_t.id is the key's "id".
 */
#ifndef CSEMU_STREAM_ENV_H
#define CSEMU_STREAM_ENV_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>

#include "csc.h"
#include "server.h"

#define SENV_TENANT "tenant_a"
#define SENV_OTHER_TENANT "tenant_b"

typedef struct senv {
    test_server_t srv;
    csc_handle_t *h;        /* SENV_TENANT */
    csc_handle_t *other;    /* SENV_OTHER_TENANT */
    bool started;
} senv_t;

/* Start a server (--test-clock + extra, NULL-terminated, may be NULL) on a
 * fresh data dir and open both handles. Registers an atexit cleanup. */
void senv_start(senv_t *e, const char *const *extra);
/* Kill the server, free handles, remove the data dir. Safe twice. */
void senv_cleanup(senv_t *e);
/* Stop cleanly (SIGTERM) and assert a clean exit / kill -9; then start
 * again on the same data dir and reopen both handles (the port changes:
 * move consumers with csc_consumer_set_handle(c, e->h)). */
void senv_restart(senv_t *e);
void senv_crash_restart(senv_t *e);

/* Server clock (needs --test-clock, which senv_start always passes). */
void senv_clock_set(senv_t *e, int64_t ms);
void senv_clock_advance(senv_t *e, int64_t ms);

/* DDL through TableRequest + wait; asserts success. */
void senv_ddl(csc_handle_t *h, const char *stmt);
/* DDL and then enable streaming on `name`. */
void senv_create_streamed(csc_handle_t *h, const char *ddl, const char *name);
void senv_streaming(csc_handle_t *h, const char *name, bool enable);
/* The table's OCID (caller frees). */
char *senv_table_ocid(csc_handle_t *h, const char *name);

/* Put a row given as JSON text; asserts the call succeeds and returns
 * whether the row was written (conditional puts may not). */
bool senv_put(csc_handle_t *h, const char *table, const char *row_json);
bool senv_put_opt(csc_handle_t *h, const char *table, const char *row_json,
                  csc_put_option_t opt, const csc_bytes_t *match_version, const char *ttl,
                  csc_bytes_t *version_out);
/* Delete by key JSON; returns whether a row was deleted. */
bool senv_delete(csc_handle_t *h, const char *table, const char *key_json);
/* n rows {id: first..first+n-1, name: "<prefix><id>"} into a table keyed (id). */
void senv_put_range(csc_handle_t *h, const char *table, int first, int n, const char *prefix);

/* ---- consumers ---- */

typedef struct senv_table {
    const char *table;              /* name or OCID */
    csc_start_location_t start;     /* kind 0 = first uncommitted */
} senv_table_t;

/* Build a consumer of group on one table; asserts success. */
csc_consumer_t *senv_consumer(csc_handle_t *h, const char *group, const char *table,
                              csc_start_location_t start, bool manual);
/* Build; returns the error instead of asserting (c NULL on error). */
cs_err_t senv_try_consumer(csc_handle_t *h, const char *group, const senv_table_t *tables,
                           size_t n, bool manual, int64_t max_poll_ms, csc_consumer_t **c,
                           csc_error_t *err);

/* ---- records ---- */

typedef struct senv_rec {
    char table[128];
    char table_ocid[128];
    char event_id[128];
    int64_t md, xp;
    int partition;
    int id;                 /* key "id" (-1 when none) */
    json_t *key;            /* owned */
    json_t *value;          /* current image value or NULL (delete) */
    json_t *prev;           /* before image value or NULL */
    bool has_current, has_before;
} senv_rec_t;

typedef struct senv_recs {
    senv_rec_t *v;
    size_t n, cap;
} senv_recs_t;

void senv_recs_add_bundle(senv_recs_t *r, const csc_bundle_t *b);
void senv_recs_free(senv_recs_t *r);
/* Index of the first record of table (NULL = any) with key id, or -1. */
int senv_recs_find(const senv_recs_t *r, const char *table, int id);
/* Number of records with key id in table (NULL = any). */
size_t senv_recs_count(const senv_recs_t *r, const char *table, int id);

/* Poll (limit per call) until `want` records arrived in total or timeout_ms
 * passed; appends to *out; returns how many it added. With manual
 * commit_each, commits every non-empty bundle. Asserts every call. */
size_t senv_poll_until(csc_consumer_t *c, size_t want, int limit, int timeout_ms,
                       bool commit_each, senv_recs_t *out);
/* Poll once (limit, wait_ms) into *out and return the bundle's record
 * count; *remaining (may be NULL) gets events_remaining. */
size_t senv_poll_once(csc_consumer_t *c, int limit, int wait_ms, senv_recs_t *out,
                      int64_t *remaining);
/* Poll for quiet_ms and assert nothing arrives. */
void senv_expect_nothing(csc_consumer_t *c, int quiet_ms);

/* Run a suite the way the integration suites do: every data dir under one
 * fresh run dir (TMPDIR) removed at the end, even after failed tests.
 * Returns the process exit status. Takes ownership of s. */
int senv_main(Suite *s);

/* Assert a call succeeded, printing the server's code and message. */
#define SENV_OK(call, err)                                                              \
    do {                                                                                \
        cs_err_t rc_ = (call);                                                          \
        ck_assert_msg(rc_ == CS_OK, "%s: %s (cs %d, code %d)", #call, (err)->e.msg,     \
                      (int)rc_, (err)->proto_code);                                     \
    } while (0)

#endif
