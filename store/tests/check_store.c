/* check_store.c - environment, transactions, counters, clock, group commit,
 * and a full map, as a user of store.h observes them. */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/* ===================================================================== */
/* environment                                                           */
/* ===================================================================== */

START_TEST(test_reopen_keeps_data)
{
    uint64_t id = tu_table(tu_s, "ten", "Users", true, 4);
    ck_assert_int_eq(tu_put(tu_s, id, "k1", "hello", NULL), CS_OK);
    store_close(tu_s);
    tu_s = tu_open_opts(64u << 20, false);

    char v[64];
    ck_assert(tu_get(tu_s, id, "k1", v, sizeof v, NULL));
    ck_assert_str_eq(v, "hello");
    store_txn_t t;
    table_rec_t r;
    ck_assert_int_eq(store_read_begin(tu_s, &t, NULL), CS_OK);
    ck_assert(tables_lookup_name(&t, "ten", "users", false, &r));
    ck_assert_uint_eq(r.id, id);
    ck_assert_str_eq(r.name, "Users");
    store_read_end(&t);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 1);
}
END_TEST

START_TEST(test_secret_persists)
{
    uint8_t first[STORE_SECRET_LEN], zero[STORE_SECRET_LEN] = { 0 };
    memcpy(first, store_secret(tu_s), STORE_SECRET_LEN);
    ck_assert(memcmp(first, zero, STORE_SECRET_LEN) != 0);
    store_close(tu_s);
    tu_s = tu_open_opts(0, false);
    ck_assert(memcmp(first, store_secret(tu_s), STORE_SECRET_LEN) == 0);

    /* Another store has another secret. */
    char other[400];
    snprintf(other, sizeof other, "%s-other", tu_dir);
    store_opts_t o = { other, 1u << 20, false };
    store_t *s2;
    ck_assert_int_eq(store_open(&o, &s2, NULL), CS_OK);
    ck_assert(memcmp(first, store_secret(s2), STORE_SECRET_LEN) != 0);
    store_close(s2);
    tu_rm_rf(other);
}
END_TEST

/* Write a raw meta "format" value with plain LMDB. */
static void set_format(const char *dir, uint32_t fmt)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, 64u << 20);
    ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    uint8_t v[4] = { (uint8_t)(fmt >> 24), (uint8_t)(fmt >> 16), (uint8_t)(fmt >> 8), (uint8_t)fmt };
    MDB_val k = { 6, "format" }, val = { 4, v };
    ck_assert_int_eq(mdb_put(txn, dbi, &k, &val, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

START_TEST(test_newer_format_refused)
{
    store_close(tu_s);
    tu_s = NULL;
    set_format(tu_dir, 99);
    store_opts_t o = { tu_dir, 64u << 20, false };
    store_t *s = NULL;
    cs_error_t e;
    ck_assert_int_eq(store_open(&o, &s, &e), CS_ENOTSUP);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(e.msg, "format 99") && strstr(e.msg, "newer"), "%s", e.msg);
    set_format(tu_dir, STORE_FORMAT);
    tu_s = tu_open_opts(64u << 20, false);
}
END_TEST

START_TEST(test_not_a_store)
{
    char dir[400], file[450];
    snprintf(dir, sizeof dir, "%s-junk", tu_dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 8192; i++)
        fputc('x', f);
    fclose(f);
    store_opts_t o = { dir, 1u << 20, false };
    store_t *s = NULL;
    cs_error_t e;
    ck_assert_int_eq(store_open(&o, &s, &e), CS_ECORRUPT);
    ck_assert_ptr_null(s);
    tu_rm_rf(dir);
}
END_TEST

START_TEST(test_dir_in_use)
{
    store_opts_t o = { tu_dir, 64u << 20, false };
    store_t *s = NULL;
    cs_error_t e;
    ck_assert_int_eq(store_open(&o, &s, &e), CS_EBUSY);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(e.msg, "in use") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(test_open_errors)
{
    store_opts_t o = { "", 0, false };
    store_t *s;
    ck_assert_int_eq(store_open(&o, &s, NULL), CS_EINVAL);
    store_opts_t o2 = { "/proc/csemu-cannot-exist/x", 0, false };
    ck_assert_int_eq(store_open(&o2, &s, NULL), CS_EIO);
}
END_TEST

/* ===================================================================== */
/* transactions and counters                                             */
/* ===================================================================== */

typedef struct ids { uint64_t a, b, c; } ids_t;

static cs_err_t ids_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    (void)err;
    ids_t *x = arg;
    x->a = store_next_id(t, "thing");
    x->b = store_next_id(t, "thing");
    x->c = store_next_id(t, "other");
    return CS_OK;
}

START_TEST(test_counters)
{
    ids_t x;
    ck_assert_int_eq(store_write(tu_s, ids_job, &x, NULL), CS_OK);
    ck_assert_uint_eq(x.a, 1);
    ck_assert_uint_eq(x.b, 2);
    ck_assert_uint_eq(x.c, 1);
    store_close(tu_s);
    tu_s = tu_open_opts(0, false);
    ck_assert_int_eq(store_write(tu_s, ids_job, &x, NULL), CS_OK);
    ck_assert_uint_eq(x.a, 3);
    ck_assert_uint_eq(x.b, 4);
    store_txn_t t;
    ck_assert_int_eq(store_read_begin(tu_s, &t, NULL), CS_OK);
    ck_assert_uint_eq(store_peek_id(&t, "thing"), 4);
    ck_assert_uint_eq(store_peek_id(&t, "never"), 0);
    store_read_end(&t);
}
END_TEST

START_TEST(test_read_snapshot_and_pool)
{
    uint64_t id = tu_table(tu_s, "ten", "t", false, 0);
    store_txn_t old;
    ck_assert_int_eq(store_read_begin(tu_s, &old, NULL), CS_OK);
    ck_assert_int_eq(tu_put(tu_s, id, "k", "v", NULL), CS_OK);
    arena_t a;
    arena_init(&a, 0);
    row_rec_t r;
    ck_assert(!rows_get(&old, id, (const uint8_t *)"k", 1, clock_now_ms(), &a, &r));
    store_read_end(&old);
    char v[8];
    ck_assert(tu_get(tu_s, id, "k", v, sizeof v, NULL));
    /* Many more snapshots than the pool holds, some held at once. */
    store_txn_t held[100];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 100; i++)
            ck_assert_int_eq(store_read_begin(tu_s, &held[i], NULL), CS_OK);
        for (int i = 0; i < 100; i++) {
            ck_assert(rows_get(&held[i], id, (const uint8_t *)"k", 1, clock_now_ms(), &a, &r));
            store_read_end(&held[i]);
        }
    }
    arena_free(&a);
}
END_TEST

static cs_err_t sticky_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    table_rec_t *r = arg;
    /* A 100-byte counter name is refused and poisons the txn ... */
    ck_assert_uint_eq(store_next_id(t, "0123456789012345678901234567890123456789"
                                       "0123456789012345678901234567890123456789"
                                       "01234567890123456789"), 0);
    ck_assert_int_eq(t->ret, CS_EINVAL);
    /* ... so every later operation is a no-op returning that error. */
    ck_assert_int_eq(tables_create(t, r, err), CS_EINVAL);
    ck_assert_uint_eq(store_next_id(t, "ok"), 0);
    return CS_OK;  /* the sticky error still fails the job */
}

START_TEST(test_sticky_error)
{
    table_rec_t r;
    memset(&r, 0, sizeof r);
    strcpy(r.tenant, "ten");
    strcpy(r.name, "t");
    cs_error_t e;
    ck_assert_int_eq(store_write(tu_s, sticky_job, &r, &e), CS_EINVAL);
    ck_assert_int_eq(e.code, CS_EINVAL);
    ck_assert(strstr(e.msg, "counter") != NULL);
    store_txn_t t;
    table_rec_t got;
    ck_assert_int_eq(store_read_begin(tu_s, &t, NULL), CS_OK);
    ck_assert(!tables_lookup_name(&t, "ten", "t", false, &got));
    ck_assert_uint_eq(store_peek_id(&t, "ok"), 0);
    store_read_end(&t);
}
END_TEST

typedef struct bad_job { uint64_t table; const char *key; } bad_job_t;

/* Writes a row, then fails: the row must not survive. */
static cs_err_t put_then_fail_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    bad_job_t *b = arg;
    rows_put_args_t a = { .table_id = b->table, .key = (const uint8_t *)b->key,
                          .klen = strlen(b->key), .shard_len = 1,
                          .value = (const uint8_t *)"x", .value_len = 1,
                          .now_ms = clock_now_ms() };
    rows_result_t res;
    ck_assert_int_eq(rows_put(t, &a, NULL, &res, err), CS_OK);
    ck_assert(res.written);
    return cs_fail(err, CS_EINVAL, "changed my mind");
}

START_TEST(test_failed_job_rolls_back)
{
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    bad_job_t b = { id, "gone" };
    cs_error_t e;
    ck_assert_int_eq(store_write(tu_s, put_then_fail_job, &b, &e), CS_EINVAL);
    ck_assert_str_eq(e.msg, "changed my mind");
    char v[8];
    ck_assert(!tu_get(tu_s, id, "gone", v, sizeof v, NULL));
    ck_assert_uint_eq(tu_count_events(tu_s, id), 0);
}
END_TEST

START_TEST(test_clock)
{
    int64_t real = clock_now_ms();
    ck_assert(real > 1600000000000LL);
    clock_set_ms(1000);
    ck_assert_int_eq(clock_now_ms(), 1000);
    clock_advance_ms(500);
    ck_assert_int_eq(clock_now_ms(), 1500);
    clock_use_real();
    ck_assert(clock_now_ms() >= real);
    clock_advance_ms(3600 * 1000);
    ck_assert(clock_now_ms() >= real + 3600 * 1000);
    clock_use_real();
    ck_assert(clock_now_ms() < real + 3600 * 1000);
}
END_TEST

/* ===================================================================== */
/* group commit                                                          */
/* ===================================================================== */

typedef struct worker {
    store_t *s;
    uint64_t table;
    int id, n;
    int failures;
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < w->n; i++) {
        char key[32];
        snprintf(key, sizeof key, "w%02d-%04d", w->id, i);
        if (tu_put(w->s, w->table, key, "value", NULL) != CS_OK)
            w->failures++;
    }
    return NULL;
}

static void run_workers(store_t *s, uint64_t table, int threads, int per)
{
    pthread_t th[64];
    worker_t w[64];
    for (int i = 0; i < threads; i++) {
        w[i] = (worker_t){ s, table, i, per, 0 };
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(w[i].failures, 0);
    }
}

START_TEST(test_threads_all_land)
{
    uint64_t id = tu_table(tu_s, "ten", "t", true, 8);
    store_stats_t before, after;
    store_get_stats(tu_s, &before);
    run_workers(tu_s, id, 8, 200);
    store_get_stats(tu_s, &after);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 1600);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 1600);
    ck_assert_uint_eq(after.jobs - before.jobs, 1600);
    ck_assert_uint_le(after.commits - before.commits, 1600);
    ck_assert_uint_eq(after.pending, 0);
}
END_TEST

START_TEST(test_threads_all_land_sync)
{
    store_close(tu_s);
    tu_s = tu_open_opts(64u << 20, true);
    uint64_t id = tu_table(tu_s, "ten", "t", false, 0);
    store_stats_t before, after;
    store_get_stats(tu_s, &before);
    run_workers(tu_s, id, 32, 10);
    store_get_stats(tu_s, &after);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 320);
    ck_assert_uint_eq(after.jobs - before.jobs, 320);
    ck_assert_uint_le(after.commits - before.commits, 320);
}
END_TEST

/* A "gate" job holds its batch open until `want` other jobs are queued, so
 * those jobs are guaranteed to form the next batch together. */
typedef struct gate {
    store_t *s;
    uint64_t want;
    atomic_int running;
} gate_t;

static cs_err_t gate_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    (void)t; (void)err;
    gate_t *g = arg;
    atomic_store(&g->running, 1);
    for (int i = 0; i < 10000; i++) {
        store_stats_t st;
        store_get_stats(g->s, &st);
        if (st.pending >= g->want)
            break;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return CS_OK;
}

static void *gate_thread(void *arg)
{
    store_write(((gate_t *)arg)->s, gate_job, arg, NULL);
    return NULL;
}

typedef struct one_put {
    store_t *s;
    uint64_t table;
    char key[16];
    bool fail;
    cs_err_t rc;
    const char *value;   /* NULL = "v" */
} one_put_t;

static void *one_put_thread(void *arg)
{
    one_put_t *p = arg;
    if (p->fail) {
        bad_job_t b = { p->table, p->key };
        p->rc = store_write(p->s, put_then_fail_job, &b, NULL);
    } else {
        p->rc = tu_put(p->s, p->table, p->key, p->value ? p->value : "v", NULL);
    }
    return NULL;
}

/* Start the gate, then `n` single-put threads (some failing); returns when
 * all are done. */
static void gated_batch_v(store_t *s, uint64_t table, int n, const bool *fail,
                          const char *const *values, one_put_t *p)
{
    gate_t g = { s, (uint64_t)n, 0 };
    pthread_t gt, th[64];
    pthread_create(&gt, NULL, gate_thread, &g);
    while (!atomic_load(&g.running)) {
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++) {
        p[i] = (one_put_t){ s, table, "", fail && fail[i], CS_OK, values ? values[i] : NULL };
        snprintf(p[i].key, sizeof p[i].key, "g%02d", i);
        pthread_create(&th[i], NULL, one_put_thread, &p[i]);
    }
    pthread_join(gt, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static void gated_batch(store_t *s, uint64_t table, int n, const bool *fail, one_put_t *p)
{
    gated_batch_v(s, table, n, fail, NULL, p);
}

START_TEST(test_batches_share_commits)
{
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    store_stats_t before, after;
    store_get_stats(tu_s, &before);
    one_put_t p[7];
    gated_batch(tu_s, id, 7, NULL, p);
    store_get_stats(tu_s, &after);
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(p[i].rc, CS_OK);
    /* 8 jobs (gate + 7), 2 commits: the 7 queued jobs shared one. */
    ck_assert_uint_eq(after.jobs - before.jobs, 8);
    ck_assert_uint_eq(after.commits - before.commits, 2);
    ck_assert_uint_ge(after.max_batch, 7);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 7);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 7);
}
END_TEST

START_TEST(test_failing_job_spares_neighbours)
{
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    bool fail[5] = { false, true, false, true, false };
    one_put_t p[5];
    store_stats_t before, after;
    store_get_stats(tu_s, &before);
    gated_batch(tu_s, id, 5, fail, p);
    store_get_stats(tu_s, &after);
    ck_assert_uint_eq(after.commits - before.commits, 2);
    char v[8];
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(p[i].rc, fail[i] ? CS_EINVAL : CS_OK);
        ck_assert(tu_get(tu_s, id, p[i].key, v, sizeof v, NULL) == !fail[i]);
    }
    ck_assert_uint_eq(tu_count_events(tu_s, id), 3);
}
END_TEST

/* More callers queued than one batch takes: the leader that ran the first
 * STORE_BATCH_MAX hands leadership to the oldest remaining caller, which
 * runs the rest; every caller returns with its own row written. */
START_TEST(test_queue_longer_than_a_batch)
{
    enum { N = STORE_BATCH_MAX + 4 };
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    store_stats_t before, after;
    store_get_stats(tu_s, &before);
    one_put_t *p = calloc(N, sizeof *p);
    ck_assert_ptr_nonnull(p);
    gate_t g = { tu_s, N, 0 };
    pthread_t gt, *th = calloc(N, sizeof *th);
    ck_assert_ptr_nonnull(th);
    pthread_create(&gt, NULL, gate_thread, &g);
    while (!atomic_load(&g.running)) {
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < N; i++) {
        p[i] = (one_put_t){ tu_s, id, "", false, CS_EIO, NULL };
        snprintf(p[i].key, sizeof p[i].key, "q%03d", i);
        ck_assert_int_eq(pthread_create(&th[i], NULL, one_put_thread, &p[i]), 0);
    }
    pthread_join(gt, NULL);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(p[i].rc, CS_OK);
    }
    store_get_stats(tu_s, &after);
    /* the gate's batch, a full batch, and the 4 left over */
    ck_assert_uint_eq(after.commits - before.commits, 3);
    ck_assert_uint_eq(after.jobs - before.jobs, N + 1);
    ck_assert_uint_eq(after.max_batch, STORE_BATCH_MAX);
    ck_assert_uint_eq(after.pending, 0);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), N);
    ck_assert_uint_eq(tu_count_events(tu_s, id), N);
    free(th);
    free(p);
}
END_TEST

/* A job that records that it ran and fails on every third call, with a
 * message naming itself. */
typedef struct tagged { int thread, seq; bool ran; } tagged_t;

static cs_err_t tagged_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    tagged_t *x = arg;
    x->ran = true;
    char name[32];
    snprintf(name, sizeof name, "c-%d", x->thread);
    if (store_next_id(t, name) == 0)
        return store_txn_error(t, err);
    if (x->seq % 3 == 2)
        return cs_fail(err, CS_EINVAL, "job %d/%d refused", x->thread, x->seq);
    return CS_OK;
}

typedef struct tagger { store_t *s; int thread, n, wrong; } tagger_t;

static void *tagger_main(void *arg)
{
    tagger_t *w = arg;
    for (int i = 0; i < w->n; i++) {
        tagged_t x = { w->thread, i, false };
        cs_error_t e;
        cs_err_t rc = store_write(w->s, tagged_job, &x, &e);
        char want[64];
        snprintf(want, sizeof want, "job %d/%d refused", w->thread, i);
        bool fails = i % 3 == 2;
        if (!x.ran || rc != (fails ? CS_EINVAL : CS_OK) ||
            (fails && strcmp(e.msg, want) != 0) || (!fails && e.code != CS_OK))
            w->wrong++;
    }
    return NULL;
}

/* Many concurrent callers, a third of whose jobs fail: each caller returns
 * only after its own job ran, with its own result and message, and exactly
 * the successful jobs took effect. */
START_TEST(test_each_caller_gets_its_own_result)
{
    enum { T = 16, PER = 150 };
    pthread_t th[T];
    tagger_t w[T];
    for (int i = 0; i < T; i++) {
        w[i] = (tagger_t){ tu_s, i, PER, 0 };
        pthread_create(&th[i], NULL, tagger_main, &w[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    store_txn_t t;
    tu_begin(&t);
    for (int i = 0; i < T; i++) {
        ck_assert_int_eq(w[i].wrong, 0);
        char name[32];
        snprintf(name, sizeof name, "c-%d", i);
        ck_assert_uint_eq(store_peek_id(&t, name), PER - PER / 3);
    }
    tu_end(&t);
    store_stats_t st;
    store_get_stats(tu_s, &st);
    ck_assert_uint_eq(st.pending, 0);
}
END_TEST

START_TEST(test_batch_commit_failure)
{
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    /* A lone write whose commit fails: the caller sees CS_ESPACE. */
    store_faults_t f = { 1, MDB_MAP_FULL, 0 };
    store_set_faults(tu_s, &f);
    ck_assert_int_eq(tu_put(tu_s, id, "lone", "v", NULL), CS_ESPACE);
    /* A shared batch whose commit fails: every job of it gets the error
     * (the gate's batch takes the first failure, the 3 puts the second). */
    f.fail_commits = 2;
    f.commit_rc = EIO;
    store_set_faults(tu_s, &f);
    one_put_t p[3];
    gated_batch(tu_s, id, 3, NULL, p);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(p[i].rc, CS_EIO);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 0);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 0);
    store_stats_t st;
    store_get_stats(tu_s, &st);
    ck_assert_uint_eq(st.failed_commits, 3);
    /* The store keeps working; sequences start at 1 (nothing leaked). */
    ck_assert_int_eq(tu_put(tu_s, id, "after", "v", NULL), CS_OK);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 1);
    store_txn_t t;
    uint64_t first, next;
    tu_begin(&t);
    uint32_t part = changelog_partition_of((const uint8_t *)"a", 1, 2);
    ck_assert_int_eq(changelog_bounds(&t, id, part, &first, &next, NULL), CS_OK);
    tu_end(&t);
    ck_assert_uint_eq(first, 1);
    ck_assert_uint_eq(next, 2);
}
END_TEST

START_TEST(test_crash_after_commit)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s-crash", tu_dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        store_opts_t o = { dir, 16u << 20, false };
        store_t *s;
        if (store_open(&o, &s, NULL) != CS_OK)
            _exit(1);
        uint64_t id = tu_table(s, "ten", "t", true, 2);
        store_faults_t f = { 0, 0, 3 };
        store_set_faults(s, &f);
        for (int i = 0; i < 10; i++) {
            char key[8];
            snprintf(key, sizeof key, "k%d", i);
            if (tu_put(s, id, key, "v", NULL) != CS_OK)
                _exit(2);
        }
        _exit(0);  /* not reached: the third put's commit exits */
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 99);
    store_opts_t o = { dir, 16u << 20, false };
    store_t *s;
    ck_assert_int_eq(store_open(&o, &s, NULL), CS_OK);
    store_txn_t t;
    table_rec_t r;
    ck_assert_int_eq(store_read_begin(s, &t, NULL), CS_OK);
    ck_assert(tables_lookup_name(&t, "ten", "t", false, &r));
    store_read_end(&t);
    /* Puts 1-2 were acknowledged, put 3 committed just before the crash. */
    ck_assert_uint_eq(tu_count_rows(s, r.id), 3);
    ck_assert_uint_eq(tu_count_events(s, r.id), 3);
    store_close(s);
    tu_rm_rf(dir);
}
END_TEST

/* ===================================================================== */
/* limits                                                                */
/* ===================================================================== */

static cs_err_t purge_all_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    bool more;
    return changelog_purge(t, INT64_MAX, 100000, arg, &more, err);
}

START_TEST(test_map_full)
{
    store_close(tu_s);
    tu_rm_rf(tu_dir);
    tu_s = tu_open_opts(1u << 20, false);
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    uint64_t plain = tu_table(tu_s, "ten", "plain", false, 0);
    char big[3000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    int written = 0;
    cs_err_t rc = CS_OK;
    cs_error_t e;
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "k%05d", i);
        tu_put_t p;
        memset(&p, 0, sizeof p);
        arena_init(&p.arena, 0);
        p.args = (rows_put_args_t){ .table_id = id, .key = (const uint8_t *)key,
                                    .klen = strlen(key), .shard_len = 2,
                                    .value = (const uint8_t *)big, .value_len = strlen(big),
                                    .now_ms = clock_now_ms() };
        rc = store_write(tu_s, tu_put_job, &p, &e);
        arena_free(&p.arena);
        if (rc != CS_OK)
            break;
        written++;
    }
    ck_assert_int_eq(rc, CS_ESPACE);
    ck_assert_msg(strstr(e.msg, "full") != NULL, "%s", e.msg);
    ck_assert_int_gt(written, 50);
    /* Nothing half-written: the failed row and its event are absent. */
    char v[4000];
    ck_assert(!tu_get(tu_s, id, key, v, sizeof v, NULL));
    ck_assert_uint_eq(tu_count_rows(tu_s, id), (size_t)written);
    ck_assert_uint_eq(tu_count_events(tu_s, id), (uint64_t)written);
    /* Reads keep working. */
    ck_assert(tu_get(tu_s, id, "k00000", v, sizeof v, NULL));
    ck_assert_str_eq(v, big);

    /* Free space: purge the events (deletes only), then delete rows (each
     * makes a delete event with its before image), then small writes fit. */
    size_t purged = 0;
    ck_assert_int_eq(store_write(tu_s, purge_all_job, &purged, &e), CS_OK);
    ck_assert_uint_eq(purged, (size_t)written);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "k%05d", i);
        rows_result_t res;
        rc = tu_del(tu_s, id, key, ROWS_ALWAYS, 0, &res);
        ck_assert_msg(rc == CS_OK, "delete %d: %d", i, rc);
        ck_assert(res.written);
    }
    ck_assert_int_eq(tu_put(tu_s, plain, "small", "s", NULL), CS_OK);
    ck_assert(tu_get(tu_s, plain, "small", v, sizeof v, NULL));
    ck_assert_uint_eq(tu_count_rows(tu_s, id), (size_t)written - 40);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 40);

    /* And after a restart the same holds. */
    store_close(tu_s);
    tu_s = tu_open_opts(1u << 20, false);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), (size_t)written - 40);
    ck_assert(tu_get(tu_s, plain, "small", v, sizeof v, NULL));
    ck_assert_uint_eq(tu_count_events(tu_s, id), 40);
}
END_TEST

START_TEST(test_map_full_job_isolated)
{
    store_close(tu_s);
    tu_rm_rf(tu_dir);
    tu_s = tu_open_opts(1u << 20, false);
    uint64_t id = tu_table(tu_s, "ten", "t", true, 2);
    size_t n = 2u << 20;
    char *huge = malloc(n + 1);
    memset(huge, 'h', n);
    huge[n] = '\0';
    const char *values[3] = { "small1", huge, "small2" };
    one_put_t p[3];
    store_stats_t before, after;
    store_get_stats(tu_s, &before);
    gated_batch_v(tu_s, id, 3, NULL, values, p);
    store_get_stats(tu_s, &after);
    ck_assert_int_eq(p[0].rc, CS_OK);
    ck_assert_int_eq(p[1].rc, CS_ESPACE);
    ck_assert_int_eq(p[2].rc, CS_OK);
    ck_assert_uint_eq(after.commits - before.commits, 2);  /* gate + the shared batch */
    char v[16];
    ck_assert(tu_get(tu_s, id, p[0].key, v, sizeof v, NULL));
    ck_assert(!tu_get(tu_s, id, p[1].key, v, sizeof v, NULL));
    ck_assert(tu_get(tu_s, id, p[2].key, v, sizeof v, NULL));
    ck_assert_uint_eq(tu_count_events(tu_s, id), 2);
    free(huge);
}
END_TEST

START_TEST(test_err_mapping)
{
    cs_error_t e;
    ck_assert_int_eq(store_err_from_mdb(0, &e), CS_OK);
    ck_assert_int_eq(store_err_from_mdb(MDB_MAP_FULL, &e), CS_ESPACE);
    ck_assert(strstr(e.msg, "full") != NULL);
    ck_assert_int_eq(store_err_from_mdb(ENOSPC, &e), CS_ESPACE);
    ck_assert_int_eq(store_err_from_mdb(MDB_CORRUPTED, &e), CS_ECORRUPT);
    ck_assert_int_eq(store_err_from_mdb(MDB_PAGE_NOTFOUND, NULL), CS_ECORRUPT);
    ck_assert_int_eq(store_err_from_mdb(MDB_READERS_FULL, &e), CS_EBUSY);
    ck_assert_int_eq(store_err_from_mdb(ENOMEM, &e), CS_ENOMEM);
    ck_assert_int_eq(store_err_from_mdb(EIO, &e), CS_EIO);
    ck_assert_int_eq(e.code, CS_EIO);
}
END_TEST

START_TEST(test_write_in_read_txn_refused)
{
    uint64_t id = tu_table(tu_s, "ten", "t", false, 0);
    store_txn_t t;
    ck_assert_int_eq(store_read_begin(tu_s, &t, NULL), CS_OK);
    rows_put_args_t a = { .table_id = id, .key = (const uint8_t *)"k", .klen = 1,
                          .now_ms = clock_now_ms() };
    rows_result_t res;
    ck_assert_int_eq(rows_put(&t, &a, NULL, &res, NULL), CS_EINVAL);
    ck_assert(!res.written);
    ck_assert_uint_eq(store_next_id(&t, "x"), 0);
    ck_assert_int_ne(t.ret, CS_OK);
    store_read_end(&t);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_test(core, test_reopen_keeps_data);
    tcase_add_test(core, test_secret_persists);
    tcase_add_test(core, test_newer_format_refused);
    tcase_add_test(core, test_not_a_store);
    tcase_add_test(core, test_dir_in_use);
    tcase_add_test(core, test_counters);
    tcase_add_test(core, test_read_snapshot_and_pool);
    tcase_add_test(core, test_failed_job_rolls_back);
    tcase_add_test(core, test_clock);
    suite_add_tcase(s, core);

    TCase *gc = tcase_create("GroupCommit");
    tu_add_fixtures(gc);
    tcase_set_timeout(gc, 120);
    tcase_add_test(gc, test_threads_all_land);
    tcase_add_test(gc, test_threads_all_land_sync);
    tcase_add_test(gc, test_batches_share_commits);
    tcase_add_test(gc, test_failing_job_spares_neighbours);
    tcase_add_test(gc, test_queue_longer_than_a_batch);
    tcase_add_test(gc, test_each_caller_gets_its_own_result);
    tcase_add_test(gc, test_batch_commit_failure);
    tcase_add_test(gc, test_crash_after_commit);
    suite_add_tcase(s, gc);

    TCase *lim = tcase_create("Limits");
    tu_add_fixtures(lim);
    tcase_add_test(lim, test_map_full);
    tcase_add_test(lim, test_map_full_job_isolated);
    tcase_add_test(lim, test_err_mapping);
    tcase_add_test(lim, test_open_errors);
    tcase_add_test(lim, test_sticky_error);
    tcase_add_test(lim, test_write_in_read_txn_refused);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
