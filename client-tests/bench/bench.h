/*
 * bench.h - what the scenario files share: the run's settings and the
 * csemu processes they start.
 *
 * Every csemu runs on 127.0.0.1 with --port 0 (the port is read back from
 * its ready line) and a data directory made under the bench's work
 * directory, so the bare LMDB loop and the server write to the same
 * filesystem. Data directories the bench made are removed when the server
 * is stopped.
 */
#ifndef CSBENCH_BENCH_H
#define CSBENCH_BENCH_H

#include <stdbool.h>

#include "load.h"
#include "proc.h"

#define BENCH_TENANT "bench"
#define NOISE_MAX 20.0          /* % of the machine used by other processes during a
                                 * judged run above which it is retried or marked '*' */

typedef struct bench_ctx {
    const char *server_bin;     /* build/csemu */
    const char *redis_bin;      /* redis-server, NULL = not available */
    char work[4096];            /* scratch directory, removed at the end */
    load_transport_t transport; /* the cheaper one, chosen by measurement */
    int run_ms;                 /* length of one measured load run */
} bench_ctx_t;

typedef struct csemu {
    proc_t p;
    int port;
    char endpoint[64];          /* "http://127.0.0.1:PORT" */
    char data[4096];
    bool own_data;              /* made by csemu_start: removed by csemu_stop */
    bool sync;
} csemu_t;

/* Start csemu on data_dir (NULL: a fresh directory under b->work). */
cs_err_t csemu_start(const bench_ctx_t *b, csemu_t *s, const char *data_dir, bool sync,
                     cs_error_t *err);
/* Start again on the same data directory (after csemu_kill9 or a stop
 * that kept it); the port may change. */
cs_err_t csemu_restart(const bench_ctx_t *b, csemu_t *s, cs_error_t *err);
/* SIGTERM, reap; keep_data false removes a directory we made. */
void csemu_stop(csemu_t *s, bool keep_data);
/* kill -9 and reap; the data directory stays. */
void csemu_kill9(csemu_t *s);

/* Change Streams scenario (streambench.c): target 6. */
void bench_streams(const bench_ctx_t *b);

#endif
