/*
 * writer.c - group commit: every write of the store goes through
 * store_write() (declared in store.h).
 *
 * Leader/follower: a caller queues its job; if no batch is running it
 * becomes the leader, takes up to STORE_BATCH_MAX queued jobs (its own and
 * other callers'), runs each in its own nested transaction of one write
 * transaction, commits once, and wakes everyone. Callers that find a batch
 * running wait on w_cv; when that batch ends, one of those whose job is
 * still queued leads the next batch. A lone writer therefore pays no thread
 * hand-off, and under load one commit (one fsync in sync mode) covers many
 * jobs.
 *
 * Isolation: a job that returns an error, or whose txn holds a sticky error
 * (e.g. MDB_MAP_FULL while it wrote), has its nested txn aborted and its
 * neighbours keep their writes. If the batch commit fails, every job that
 * had succeeded gets that error and nothing of the batch is visible.
 *
 * The job structs live on their callers' stacks; a follower does not return
 * (and its struct does not vanish) before the leader sets `done` under
 * w_mu, and the leader reads `next` before setting it.
 */
#include "store_int.h"

#include <string.h>
#include <unistd.h>

struct store_job {
    store_job_fn fn;
    void *arg;
    cs_error_t *err;     /* the caller's (or the caller's local) error */
    cs_err_t rc;         /* result, valid once done */
    bool done;           /* set by the leader under w_mu */
    store_job_t *next;
};

void writer_init(store_t *s)
{
    pthread_mutex_init(&s->w_mu, NULL);
    pthread_cond_init(&s->w_cv, NULL);
}

void writer_destroy(store_t *s)
{
    pthread_cond_destroy(&s->w_cv);
    pthread_mutex_destroy(&s->w_mu);
}

/* Fail every job of the list that has not failed on its own. */
static void fail_batch(store_job_t *batch, size_t n, int rc, const char *what)
{
    cs_error_t e;
    cs_err_t code = store_err_from_mdb(rc, &e);
    for (store_job_t *j = batch; n--; j = j->next) {
        if (j->rc != CS_OK)
            continue;
        j->rc = code;
        cs_fail(j->err, code, "%s: %s", what, e.msg);
    }
}

/* Run one job in a nested txn of parent. Returns false if the parent can no
 * longer be trusted (a nested commit failed half-way). */
static bool run_job(store_t *s, MDB_txn *parent, store_job_t *j)
{
    MDB_txn *child = NULL;
    int rc = mdb_txn_begin(s->env, parent, 0, &child);
    if (rc) {
        j->rc = store_err_from_mdb(rc, j->err);
        return true;
    }
    store_txn_t t;
    txn_init(&t, s, child, true);
    cs_err_t r = j->fn(&t, j->arg, j->err);
    if (r == CS_OK && t.ret != CS_OK)
        r = store_txn_error(&t, j->err);
    if (r != CS_OK) {
        mdb_txn_abort(child);
        if (j->err->code != r || !j->err->msg[0]) {
            if (t.ret == r)
                *j->err = t.err;
            else
                cs_fail(j->err, r, "%s", cs_strerror(r));
        }
        j->rc = r;
        return true;
    }
    rc = mdb_txn_commit(child);
    if (rc) {
        j->rc = store_err_from_mdb(rc, j->err);
        return false;
    }
    cs_error_clear(j->err);
    j->rc = CS_OK;
    return true;
}

/* Run a batch of n jobs in one write transaction. Returns 1 if it
 * committed, -1 if the begin or commit failed, 0 if nothing needed one.
 * fail_rc != 0 simulates a commit failing with that code (tests). */
static int run_batch(store_t *s, store_job_t *batch, size_t n, int fail_rc)
{
    MDB_txn *parent = NULL;
    int rc = mdb_txn_begin(s->env, NULL, 0, &parent);
    if (rc) {
        fail_batch(batch, n, rc, "beginning a write transaction");
        return -1;
    }
    size_t ok = 0;
    bool trusted = true;
    size_t i = 0;
    for (store_job_t *j = batch; i < n; j = j->next, i++) {
        if (!trusted) {
            j->rc = cs_fail(j->err, CS_EIO, "write batch aborted after a failed nested commit");
            continue;
        }
        trusted = run_job(s, parent, j);
        if (j->rc == CS_OK)
            ok++;
    }
    if (!trusted) {
        mdb_txn_abort(parent);
        i = 0;
        for (store_job_t *j = batch; i < n; j = j->next, i++)
            if (j->rc == CS_OK)
                j->rc = cs_fail(j->err, CS_EIO, "write batch aborted after a failed nested commit");
        return -1;
    }
    if (ok == 0) {
        mdb_txn_abort(parent);
        return 0;
    }
    if (fail_rc) {
        mdb_txn_abort(parent);
        rc = fail_rc;
    } else {
        rc = mdb_txn_commit(parent);
    }
    if (rc) {
        fail_batch(batch, n, rc, "committing");
        return -1;
    }
    return 1;
}

cs_err_t store_write(store_t *s, store_job_fn fn, void *arg, cs_error_t *err)
{
    cs_error_t local;
    store_job_t job = { fn, arg, err ? err : &local, CS_OK, false, NULL };
    cs_error_clear(job.err);

    /* The queue links to this stack frame; it is unlinked (taken into a
     * batch) before `done` is set, and we return only after that. */
    pthread_mutex_lock(&s->w_mu);
    if (s->w_tail)
        s->w_tail->next = &job;
    else
        s->w_head = &job;  // cppcheck-suppress autoVariables
    s->w_tail = &job;      // cppcheck-suppress autoVariables
    s->stats.pending++;

    while (!job.done) {
        if (s->w_leading) {
            pthread_cond_wait(&s->w_cv, &s->w_mu);
            continue;
        }
        /* Lead: take up to STORE_BATCH_MAX jobs off the queue. */
        s->w_leading = true;
        store_job_t *batch = s->w_head, *last = batch;
        size_t n = 1;
        while (last->next && n < STORE_BATCH_MAX) {
            last = last->next;
            n++;
        }
        s->w_head = last->next;
        if (!s->w_head)
            s->w_tail = NULL;
        s->stats.pending -= n;
        int fail_rc = 0;
        if (s->faults.fail_commits) {
            s->faults.fail_commits--;
            fail_rc = s->faults.commit_rc ? s->faults.commit_rc : MDB_PANIC;
        }
        pthread_mutex_unlock(&s->w_mu);

        int committed = run_batch(s, batch, n, fail_rc);

        pthread_mutex_lock(&s->w_mu);
        store_job_t *j = batch;
        for (size_t i = 0; i < n; i++) {
            store_job_t *next = j->next;  /* j may vanish once done */
            j->done = true;
            j = next;
        }
        s->stats.jobs += n;
        if (n > s->stats.max_batch)
            s->stats.max_batch = n;
        if (committed > 0 && s->faults.exit_after_commits &&
            --s->faults.exit_after_commits == 0)
            _exit(99);  /* test-only crash point: committed, nobody told */
        if (committed > 0)
            s->stats.commits++;
        else if (committed < 0)
            s->stats.failed_commits++;
        s->w_leading = false;
        pthread_cond_broadcast(&s->w_cv);
    }
    pthread_mutex_unlock(&s->w_mu);
    return job.rc;
}

void store_set_faults(store_t *s, const store_faults_t *f)
{
    pthread_mutex_lock(&s->w_mu);
    s->faults = *f;
    pthread_mutex_unlock(&s->w_mu);
}

void store_get_stats(store_t *s, store_stats_t *out)
{
    pthread_mutex_lock(&s->w_mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->w_mu);
}
