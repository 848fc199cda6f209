/*
 * writer.c - group commit: every write of the store goes through
 * store_write() (declared in store.h).
 *
 * Leader/follower: a caller queues its job; if no batch is running it
 * becomes the leader, takes up to STORE_BATCH_MAX queued jobs (its own and
 * other callers'), runs each in its own nested transaction of one write
 * transaction and commits once. A lone writer therefore pays no thread
 * hand-off, and under load one commit (one fsync in sync mode) covers many
 * jobs.
 *
 * Wake-ups are targeted: every job carries its own semaphore, posted exactly
 * once, either "your job is done" or "lead the next batch". When a batch
 * ends its leader hands leadership to the oldest queued job (if any; else it
 * clears w_leading and the next caller leads at once) and then wakes exactly
 * the callers of the jobs it ran. Nobody else wakes: no broadcast, no herd
 * queueing on w_mu again.
 *
 * Isolation: a job that returns an error, or whose txn holds a sticky error
 * (e.g. MDB_MAP_FULL while it wrote), has its nested txn aborted and its
 * neighbours keep their writes. If the batch commit fails, every job that
 * had succeeded gets that error and nothing of the batch is visible.
 *
 * Lifetime: the job structs live on their callers' stacks. A queued job is
 * only ever taken into a batch by the current leader, and its caller cannot
 * return before its semaphore is posted; the leader reads everything it
 * needs from a job (its `next`) before posting it and touches it no more
 * afterwards. sem_post / sem_wait order the leader's writes of `rc`,
 * `state` and the caller's error before the caller reads them.
 */
#include "store_int.h"

#include <semaphore.h>
#include <string.h>
#include <unistd.h>

typedef enum job_state {
    JOB_QUEUED,          /* waiting in the queue */
    JOB_LEAD,            /* handed leadership of the next batch */
    JOB_DONE,            /* ran in a batch; rc and *err are final */
} job_state_t;

struct store_job {
    store_job_fn fn;
    void *arg;
    cs_error_t *err;     /* the caller's (or the caller's local) error */
    cs_err_t rc;         /* result, valid once JOB_DONE */
    job_state_t state;   /* set by a leader before posting `wake` */
    sem_t wake;          /* posted once: done, or lead */
    store_job_t *next;
};

void writer_init(store_t *s)
{
    pthread_mutex_init(&s->w_mu, NULL);
}

void writer_destroy(store_t *s)
{
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

/* Lead one batch: `self` is the head of the queue (a caller that found no
 * leader, or the one a leader handed over to), so the batch includes it.
 * Afterwards hand leadership on and wake the batch's other callers. Called
 * with w_mu held; returns with it released. */
static void lead_batch(store_t *s, store_job_t *self)
{
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
    /* The successor stays queued (only a leader takes jobs, and we keep
     * w_leading set for it), so it is alive until we post it. */
    store_job_t *succ = s->w_head;
    if (succ)
        succ->state = JOB_LEAD;
    else
        s->w_leading = false;
    pthread_mutex_unlock(&s->w_mu);

    if (succ)
        sem_post(&succ->wake);
    store_job_t *j = batch;
    for (size_t i = 0; i < n; i++) {
        store_job_t *next = j->next;  /* j may vanish once posted */
        j->state = JOB_DONE;
        if (j != self)
            sem_post(&j->wake);
        j = next;
    }
}

cs_err_t store_write(store_t *s, store_job_fn fn, void *arg, cs_error_t *err)
{
    cs_error_t local;
    if (!err)
        err = &local;
    cs_error_clear(err);
    store_job_t job = { .fn = fn, .arg = arg, .err = err, .rc = CS_OK,
                        .state = JOB_QUEUED, .next = NULL };
    sem_init(&job.wake, 0, 0);  /* cannot fail: not shared, initial value 0 */

    /* The queue links to this stack frame; it is unlinked (taken into a
     * batch) before our semaphore is posted, and we return only after. */
    pthread_mutex_lock(&s->w_mu);
    if (s->w_tail)
        s->w_tail->next = &job;
    else
        s->w_head = &job;  // cppcheck-suppress autoVariables
    s->w_tail = &job;      // cppcheck-suppress autoVariables
    s->stats.pending++;
    if (!s->w_leading) {
        /* No leader, so the queue held only us: lead at once. */
        s->w_leading = true;
        lead_batch(s, &job);
    } else {
        pthread_mutex_unlock(&s->w_mu);
        while (sem_wait(&job.wake) != 0)
            ;  /* EINTR */
        if (job.state == JOB_LEAD) {
            pthread_mutex_lock(&s->w_mu);
            lead_batch(s, &job);
        }
    }
    sem_destroy(&job.wake);
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
