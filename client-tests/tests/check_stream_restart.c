/*
 * check_stream_restart.c - Change Streams state survives restarts of a
 * real csemu, clean (SIGTERM) and kill -9, at several points: after writes,
 * after polls, after commits, in the middle of a stream of writes.
 * Checked: committed positions are intact, every acknowledged write's event
 * is delivered at least once, exactly once when commits kept up, and
 * consumers' cursors (and bundles' cursors) from before the restart stay
 * valid after it.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream_env.h"

#define T1_DDL "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id))"
#define WAIT 5000
#define N1 20        /* rows before the restart */
#define N2 10        /* rows after it */

static senv_t env;

static void setup(void) { senv_start(&env, NULL); }
static void teardown(void) { senv_cleanup(&env); }

static const csc_start_location_t EARLIEST = { CSC_START_EARLIEST, 0 };

enum { AFTER_WRITES, AFTER_POLLS, AFTER_COMMITS, N_POINTS };
static const char *const point_names[] = { "after writes", "after polls", "after commits" };

static void restart(bool crash)
{
    if (crash)
        senv_crash_restart(&env);
    else
        senv_restart(&env);
}

/* Poll c until nothing more comes, committing every bundle. */
static void drain(csc_consumer_t *c, bool commit, senv_recs_t *r)
{
    for (;;) {
        size_t before = r->n;
        senv_poll_until(c, (size_t)-1, 100, 400, commit, r);
        if (r->n == before)
            return;
    }
}

static void expect_each(const senv_recs_t *r, int first, int last, bool exactly_once,
                        const char *what)
{
    for (int id = first; id <= last; id++) {
        size_t n = senv_recs_count(r, "t1", id);
        ck_assert_msg(n >= 1, "%s: acknowledged write %d never delivered", what, id);
        ck_assert_msg(!exactly_once || n == 1, "%s: id %d delivered %zu times", what, id, n);
    }
}

/* Loop index i: point = i % 3, crash = i >= 3. A manual consumer created
 * before the writes; the server goes down at the point; the same consumer
 * object (its cursor) carries on after the restart. */
START_TEST(test_restart_points)
{
    int point = _i % N_POINTS;
    bool crash = _i >= N_POINTS;
    char what[64];
    snprintf(what, sizeof what, "%s, %s", crash ? "kill -9" : "clean stop", point_names[point]);
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    senv_put_range(env.h, "t1", 1, N1, "v");

    senv_recs_t seen = { 0 };
    csc_bundle_t last = { 0 };
    if (point >= AFTER_POLLS) {
        drain(c, point == AFTER_COMMITS, &seen);
        ck_assert_uint_eq(seen.n, N1);
        /* a bundle from before the restart, committed after it */
        SENV_OK(csc_consumer_poll(c, 100, 0, &last, &err), &err);
    }
    restart(crash);
    csc_consumer_set_handle(c, env.h);

    /* the old cursor goes on where the consumer was */
    drain(c, true, &seen);
    expect_each(&seen, 1, N1, point != AFTER_POLLS || !crash, what);
    if (last.consumer)
        SENV_OK(csc_bundle_commit(&last, 0, &err), &err);
    csc_bundle_free(&last);
    SENV_OK(csc_consumer_commit(c, 0, &err), &err);

    senv_put_range(env.h, "t1", N1 + 1, N2, "w");
    drain(c, true, &seen);
    expect_each(&seen, N1 + 1, N1 + N2, true, what);
    ck_assert_msg(seen.n == N1 + N2 || (point == AFTER_POLLS && crash),
                  "%s: %zu deliveries for %d writes", what, seen.n, N1 + N2);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);

    /* the committed position is intact across one more restart */
    restart(crash);
    c = senv_consumer(env.h, "g", "t1", csc_start_first_uncommitted(), true);
    senv_expect_nothing(c, 300);
    senv_put(env.h, "t1", "{\"id\": 1000, \"name\": \"after all\"}");
    senv_recs_t tail = { 0 };
    senv_poll_until(c, 1, 100, WAIT, false, &tail);
    ck_assert_uint_eq(tail.n, 1);
    ck_assert_int_eq(tail.v[0].id, 1000);
    senv_recs_free(&tail);
    senv_recs_free(&seen);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
}
END_TEST

/* Automatic commit: each poll commits the one before, so after a crash the
 * last poll (uncommitted) comes again - and only it. */
START_TEST(test_auto_commit_across_crash)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, N1, "v");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    senv_recs_t polls[4] = { { 0 } };
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(senv_poll_once(c, 5, WAIT, &polls[i], NULL), 5);
    senv_crash_restart(&env);
    csc_consumer_set_handle(c, env.h);
    /* (no poll first: in automatic mode it would commit poll 4) */
    SENV_OK(csc_consumer_reset(c, &err), &err);
    senv_recs_t again = { 0 };
    senv_poll_until(c, 5, 100, WAIT, false, &again);
    ck_assert_uint_eq(again.n, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg(senv_recs_count(&again, NULL, polls[3].v[i].id) == 1,
                      "id %d of the last, uncommitted poll not redelivered", polls[3].v[i].id);
    senv_expect_nothing(c, 200);
    SENV_OK(csc_consumer_close(c, &err), &err); /* commits */
    csc_consumer_free(c);
    senv_restart(&env);
    c = senv_consumer(env.h, "g", "t1", csc_start_first_uncommitted(), false);
    senv_expect_nothing(c, 300);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
    for (int i = 0; i < 4; i++)
        senv_recs_free(&polls[i]);
    senv_recs_free(&again);
}
END_TEST

/* A writer thread puts rows as fast as it can; the server is killed under
 * it. Every put that was acknowledged must be delivered after the restart. */
typedef struct writer {
    char endpoint[128];
    atomic_int acked;       /* ids 1..acked were acknowledged */
    atomic_bool stop;
} writer_t;

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    csc_handle_t *h = csc_handle_new(w->endpoint, SENV_TENANT);
    csc_handle_set_timeout(h, 2000);
    for (int id = 1; !atomic_load(&w->stop); id++) {
        json_t *row = json_pack("{s:i, s:s}", "id", id, "name", "racing");
        csc_put_request_t req = { .table_name = "t1", .value = csc_json(row) };
        csc_put_result_t res;
        csc_error_t err;
        cs_err_t rc = csc_put(h, &req, &res, &err);
        bool ok = rc == CS_OK && res.success;
        if (rc == CS_OK)
            csc_put_result_free(&res);
        json_decref(row);
        if (!ok)
            break;
        atomic_store(&w->acked, id);
    }
    csc_handle_free(h);
    return NULL;
}

START_TEST(test_kill_during_writes)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    writer_t w;
    memset(&w, 0, sizeof w);
    snprintf(w.endpoint, sizeof w.endpoint, "%s", env.srv.endpoint);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
    while (atomic_load(&w.acked) < 50)
        nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
    cs_error_t e;
    ck_assert(test_server_kill9(&env.srv, NULL, &e) == CS_OK);
    atomic_store(&w.stop, true);
    pthread_join(th, NULL);
    int acked = atomic_load(&w.acked);
    ck_assert_msg(test_server_restart(&env.srv, &e) == CS_OK, "restart: %s", e.msg);
    csc_handle_free(env.h);
    env.h = csc_handle_new(env.srv.endpoint, SENV_TENANT);
    csc_consumer_set_handle(c, env.h);

    senv_recs_t r = { 0 };
    drain(c, true, &r);
    expect_each(&r, 1, acked, true, "kill -9 during writes");
    /* at most the one put in flight may have landed unacknowledged */
    ck_assert_msg(r.n == (size_t)acked || r.n == (size_t)acked + 1,
                  "%zu events for %d acknowledged writes", r.n, acked);
    senv_recs_free(&r);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
}
END_TEST

static Suite *stream_restart_suite(void)
{
    Suite *s = suite_create("stream_restart");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 180);
    tcase_add_loop_test(core, test_restart_points, 0, 2 * N_POINTS);
    tcase_add_test(core, test_auto_commit_across_crash);
    tcase_add_test(core, test_kill_during_writes);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    return senv_main(stream_restart_suite());
}
