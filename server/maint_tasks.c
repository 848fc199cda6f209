/*
 * maint_tasks.c - the periodic work: expire silent consumers, purge change
 * events past retention, remove expired rows and the leftovers of dropped
 * tables. Each pass is a
 * few small write jobs, so foreground requests wait at most one of them.
 */
#include "maint_tasks.h"

#include "changelog.h"
#include "clock.h"
#include "groups.h"
#include "log.h"
#include "rows.h"
#include "store.h"
#include "tables.h"

#define MAINT_BATCH 2000   /* entries per job */

typedef struct purge_job {
    int64_t older_than_ms;
    int64_t now_ms;
    size_t purged, reaped, expired;
    bool more;
} purge_job_t;

static cs_err_t purge_events(store_txn_t *t, void *arg, cs_error_t *err)
{
    purge_job_t *j = arg;
    return changelog_purge(t, j->older_than_ms, MAINT_BATCH, &j->purged, &j->more, err);
}

static cs_err_t reap_dropped(store_txn_t *t, void *arg, cs_error_t *err)
{
    purge_job_t *j = arg;
    return tables_reap(t, MAINT_BATCH, &j->more, err);
}

/* Liveness: consumers silent past their max poll interval leave their
 * groups (whose partitions move to the live members); old tombstones go. */
static cs_err_t expire_consumers(store_txn_t *t, void *arg, cs_error_t *err)
{
    purge_job_t *j = arg;
    size_t done = 0;
    cs_err_t rc = groups_expire(t, j->now_ms, GROUPS_TOMBSTONE_MS, MAINT_BATCH, &done, err);
    j->more = rc == CS_OK && done >= MAINT_BATCH;
    return rc;
}

static cs_err_t reap_expired(store_txn_t *t, void *arg, cs_error_t *err)
{
    purge_job_t *j = arg;
    return rows_reap_expired(t, j->now_ms, MAINT_BATCH, &j->expired, &j->more, err);
}

/* Run one kind of job until it reports nothing more, bounded per pass. */
static void run_until_done(server_t *srv, store_job_fn fn, purge_job_t *j, const char *what)
{
    for (int round = 0; round < 16; round++) {
        cs_error_t err;
        cs_error_clear(&err);
        j->more = false;
        if (store_write(srv->store, fn, j, &err) != CS_OK) {
            log_warn("maintenance (%s) failed: %s", what, err.msg);
            return;
        }
        if (!j->more)
            return;
    }
}

void maint_tasks_run(server_t *srv)
{
    int64_t now = clock_now_ms();
    purge_job_t j = { .older_than_ms = now - srv->cfg.retention_ms, .now_ms = now };
    run_until_done(srv, expire_consumers, &j, "consumer liveness");
    run_until_done(srv, purge_events, &j, "event retention");
    run_until_done(srv, reap_dropped, &j, "dropped tables");
    run_until_done(srv, reap_expired, &j, "expired rows");
}
