/*
 * lmdbloop.c - the baseline for durable puts: a bare LMDB commit loop.
 *
 * This is the one place outside store/ that includes <lmdb.h>, on purpose:
 * the `--sync` target is "as fast as LMDB itself can commit durably on this
 * filesystem", so the bench measures exactly that, with the same flags the
 * store uses in sync mode (no MDB_NOSYNC: every commit fsyncs).
 */
#include "lmdbloop.h"

#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "proc.h"

static int64_t thread_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

cs_err_t lmdb_commit_loop(const char *dir, int max_ms, uint64_t max_iters, size_t value_len,
                          lmdb_loop_result_t *res, cs_error_t *err)
{
    memset(res, 0, sizeof *res);
    MDB_env *env = NULL;
    MDB_dbi dbi;
    cs_err_t code = CS_OK;
    char value[4096];
    if (value_len > sizeof value)
        value_len = sizeof value;
    memset(value, 'v', value_len);

    int rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_mapsize(env, (size_t)256 << 20);
    if (!rc)
        rc = mdb_env_open(env, dir, MDB_NOTLS, 0600);
    if (rc) {
        code = cs_fail(err, CS_EIO, "lmdb env in %s: %s", dir, mdb_strerror(rc));
        goto out;
    }
    MDB_txn *txn;
    rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, NULL, 0, &dbi);
    if (!rc)
        rc = mdb_txn_commit(txn);
    if (rc) {
        code = cs_fail(err, CS_EIO, "lmdb open: %s", mdb_strerror(rc));
        goto out;
    }
    int64_t cpu0 = thread_cpu_us();
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)max_ms * 1000000u, t = t0;
    uint64_t i = 0;
    for (; i < max_iters && t < end; i++) {
        uint8_t kb[8];
        for (int b = 0; b < 8; b++)
            kb[b] = (uint8_t)(i >> (56 - 8 * b));   /* big-endian: appends */
        MDB_val k = { sizeof kb, kb }, v = { value_len, value };
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (!rc) {
            rc = mdb_put(txn, dbi, &k, &v, 0);
            rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
        }
        if (rc) {
            code = cs_fail(err, CS_EIO, "lmdb put/commit: %s", mdb_strerror(rc));
            goto out;
        }
        t = now_ns();
    }
    res->commits = i;
    res->seconds = (double)(t - t0) / 1e9;
    res->per_sec = res->seconds > 0 ? (double)i / res->seconds : 0;
    res->cpu_us = i ? (double)(thread_cpu_us() - cpu0) / (double)i : 0;
out:
    if (env)
        mdb_env_close(env);
    return code;
}
