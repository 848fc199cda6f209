/*
 * lmdbloop.h - a bare LMDB durable-commit loop, the yardstick for
 * `csemu --sync` puts (target 4: >= 0.8x of it at one connection).
 */
#ifndef CSBENCH_LMDBLOOP_H
#define CSBENCH_LMDBLOOP_H

#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

typedef struct lmdb_loop_result {
    uint64_t commits;
    double seconds;
    double per_sec;
    double cpu_us;          /* this thread's CPU per commit (user + system) */
} lmdb_loop_result_t;

/* On a fresh, empty directory dir: open an env with synchronous commits,
 * then one mdb_put (8-byte key, value_len bytes) + mdb_txn_commit per
 * iteration until max_iters or max_ms. */
cs_err_t lmdb_commit_loop(const char *dir, int max_ms, uint64_t max_iters, size_t value_len,
                          lmdb_loop_result_t *res, cs_error_t *err);

#endif
