/*
 * check_stream_basic.c - Change Streams through the reference client
 * against a real csemu (issue 4, changestream-guide.txt): enabling and
 * disabling streaming, the four start locations, automatic and manual
 * commit, reset, groups (two on one table, two consumers sharing one,
 * several tables in one, child tables), adding and removing tables on a live consumer, deleting groups.
 * Each test starts its own server (--test-clock) on a fresh data dir.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_env.h"

#define T1_DDL "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id))"
#define T2_DDL "CREATE TABLE t2(id INTEGER, name STRING, PRIMARY KEY(id))"
#define WAIT 5000
#define T0 1800000000000LL  /* a fixed server time (2027-01-15T08:00:00Z) */

static senv_t env;

static void setup(void) { senv_start(&env, NULL); }
static void teardown(void) { senv_cleanup(&env); }

static const csc_start_location_t FIRST = { CSC_START_FIRST_UNCOMMITTED, 0 };
static const csc_start_location_t EARLIEST = { CSC_START_EARLIEST, 0 };
static const csc_start_location_t LATEST = { CSC_START_LATEST, 0 };

/* The ids of recs, in order, as "1,2,3" for messages and comparisons. */
static const char *ids(const senv_recs_t *r, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->n && n + 16 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "", r->v[i].id);
    return buf;
}

/* Poll c until `want` records; assert exactly the ids expect[] (any order
 * across partitions, each once) arrived, then that nothing else comes. */
static void expect_ids(csc_consumer_t *c, const int *expect, size_t n, bool commit_each)
{
    senv_recs_t r = { 0 };
    char buf[1024];
    senv_poll_until(c, n, 100, WAIT, commit_each, &r);
    ck_assert_msg(r.n == n, "got %zu records (%s), want %zu", r.n, ids(&r, buf, sizeof buf), n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(senv_recs_count(&r, NULL, expect[i]) == 1, "id %d delivered %zu times (%s)",
                      expect[i], senv_recs_count(&r, NULL, expect[i]), ids(&r, buf, sizeof buf));
    senv_recs_free(&r);
    senv_expect_nothing(c, 300);
}

static void close_consumer(csc_consumer_t *c)
{
    csc_error_t err;
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
}

/* ------------------------------------------------------------------------
 * enabling streaming
 * ------------------------------------------------------------------------ */

START_TEST(test_enable_disable)
{
    csc_error_t err;
    csc_consumer_t *c = NULL;
    senv_table_t t = { "t1", EARLIEST };
    senv_ddl(env.h, T1_DDL);
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"before enable\"}");

    /* no consumer on a table without streaming */
    cs_err_t rc = senv_try_consumer(env.h, "g", &t, 1, false, 0, &c, &err);
    ck_assert_msg(rc != CS_OK && err.proto_code != 0, "consumer on a table without streaming: %s",
                  err.e.msg);
    ck_assert_msg(strcasestr(err.e.msg, "not enabled") || strcasestr(err.e.msg, "stream"),
                  "unclear error: %s", err.e.msg);
    ck_assert_ptr_null(c);

    senv_streaming(env.h, "t1", true);
    senv_put(env.h, "t1", "{\"id\": 2, \"name\": \"after enable\"}");
    c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    static const int two[] = { 2 };
    expect_ids(c, two, 1, false); /* the write from before enabling is never streamed */

    senv_streaming(env.h, "t1", false);
    senv_put(env.h, "t1", "{\"id\": 3, \"name\": \"while disabled\"}");
    senv_expect_nothing(c, 300); /* polls keep working, nothing new */
    csc_consumer_t *c2 = NULL;
    rc = senv_try_consumer(env.h, "g2", &t, 1, false, 0, &c2, &err);
    ck_assert_msg(rc != CS_OK, "a new consumer on a disabled table was created");

    senv_streaming(env.h, "t1", true);
    senv_put(env.h, "t1", "{\"id\": 4, \"name\": \"re-enabled\"}");
    c2 = senv_consumer(env.h, "g3", "t1", EARLIEST, false);
    senv_recs_t r = { 0 };
    senv_poll_until(c2, 100, 100, 1500, false, &r);
    ck_assert_msg(senv_recs_count(&r, "t1", 4) == 1, "write after re-enabling not streamed");
    ck_assert_msg(senv_recs_count(&r, "t1", 3) == 0, "write while disabled was streamed");
    ck_assert_msg(senv_recs_count(&r, "t1", 1) == 0, "write before enabling was streamed");
    senv_recs_free(&r);
    close_consumer(c2);
    close_consumer(c);
}
END_TEST

/* ------------------------------------------------------------------------
 * start locations
 * ------------------------------------------------------------------------ */

START_TEST(test_start_earliest_latest)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 3, "v");
    csc_consumer_t *a = senv_consumer(env.h, "g-earliest", "t1", EARLIEST, false);
    csc_consumer_t *b = senv_consumer(env.h, "g-latest", "t1", LATEST, false);
    senv_put_range(env.h, "t1", 4, 2, "v");
    static const int all[] = { 1, 2, 3, 4, 5 }, later[] = { 4, 5 };
    expect_ids(a, all, 5, false);
    expect_ids(b, later, 2, false);
    close_consumer(a);
    close_consumer(b);
}
END_TEST

START_TEST(test_start_at_time)
{
    /* clock steps stay well inside the default max poll interval (30 s) */
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_clock_set(&env, T0);
    senv_put_range(env.h, "t1", 1, 3, "early");
    senv_clock_set(&env, T0 + 10000);
    senv_put_range(env.h, "t1", 4, 3, "late");

    csc_consumer_t *mid = senv_consumer(env.h, "g-mid", "t1", csc_start_at_time(T0 + 5000), false);
    senv_recs_t r = { 0 };
    senv_poll_until(mid, 3, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 3);
    for (size_t i = 0; i < r.n; i++) {
        ck_assert_int_ge(r.v[i].id, 4);
        ck_assert_int_eq(r.v[i].md, T0 + 10000);
    }
    senv_recs_free(&r);
    senv_expect_nothing(mid, 300);

    /* at exactly the first batch's time: included */
    csc_consumer_t *all = senv_consumer(env.h, "g-all", "t1", csc_start_at_time(T0), false);
    static const int six[] = { 1, 2, 3, 4, 5, 6 };
    expect_ids(all, six, 6, false);

    csc_consumer_t *future = senv_consumer(env.h, "g-future", "t1",
                                           csc_start_at_time(T0 + 20000), false);
    senv_expect_nothing(future, 300);
    senv_clock_set(&env, T0 + 25000);
    senv_put(env.h, "t1", "{\"id\": 7, \"name\": \"after\"}");
    static const int seven[] = { 7 };
    expect_ids(future, seven, 1, false);
    close_consumer(mid);
    close_consumer(all);
    close_consumer(future);
}
END_TEST

START_TEST(test_start_first_uncommitted_resumes)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 5, "v");
    /* a new group: first uncommitted behaves as earliest */
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", FIRST, false);
    static const int first5[] = { 1, 2, 3, 4, 5 };
    expect_ids(c, first5, 5, false);
    close_consumer(c); /* automatic mode: close commits the last poll */

    senv_put_range(env.h, "t1", 6, 3, "v");
    c = senv_consumer(env.h, "g", "t1", FIRST, false);
    static const int next3[] = { 6, 7, 8 };
    expect_ids(c, next3, 3, false);
    close_consumer(c);

    /* the table is not new to the group: EARLIEST does not apply */
    senv_put(env.h, "t1", "{\"id\": 9, \"name\": \"v9\"}");
    c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    static const int nine[] = { 9 };
    expect_ids(c, nine, 1, false);
    close_consumer(c);

    /* unless the start locations are forced */
    csc_consumer_builder_t *b = csc_builder_new();
    csc_builder_set_handle(b, env.h);
    csc_builder_set_group_id(b, "g");
    csc_builder_set_force_reset_start_location(b);
    csc_builder_add_table(b, "t1", NULL, &EARLIEST);
    csc_error_t err;
    SENV_OK(csc_consumer_build(b, &c, &err), &err);
    csc_builder_free(b);
    static const int all9[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    expect_ids(c, all9, 9, false);
    close_consumer(c);
}
END_TEST

/* ------------------------------------------------------------------------
 * commit modes, reset
 * ------------------------------------------------------------------------ */

START_TEST(test_automatic_commit)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    /* one partition's order: all ids share nothing, so poll what comes */
    senv_put_range(env.h, "t1", 1, 4, "v");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    senv_recs_t p1 = { 0 }, p2 = { 0 }, again = { 0 };
    ck_assert_uint_eq(senv_poll_until(c, 2, 2, WAIT, false, &p1), 2);
    ck_assert_uint_eq(senv_poll_until(c, 2, 2, WAIT, false, &p2), 2); /* commits poll 1 */
    csc_error_t err;
    SENV_OK(csc_consumer_reset(c, &err), &err);
    /* poll 2 was not committed: it comes again, poll 1 does not */
    ck_assert_uint_eq(senv_poll_until(c, 2, 100, WAIT, false, &again), 2);
    for (size_t i = 0; i < p2.n; i++)
        ck_assert_msg(senv_recs_count(&again, NULL, p2.v[i].id) == 1,
                      "uncommitted id %d not redelivered after reset", p2.v[i].id);
    for (size_t i = 0; i < p1.n; i++)
        ck_assert_msg(senv_recs_count(&again, NULL, p1.v[i].id) == 0,
                      "id %d redelivered though the next poll committed it", p1.v[i].id);
    senv_expect_nothing(c, 200);
    close_consumer(c); /* commits the last poll */

    c = senv_consumer(env.h, "g", "t1", FIRST, false);
    senv_expect_nothing(c, 300);
    senv_put(env.h, "t1", "{\"id\": 5, \"name\": \"v5\"}");
    static const int five[] = { 5 };
    expect_ids(c, five, 1, false);
    close_consumer(c);
    senv_recs_free(&p1);
    senv_recs_free(&p2);
    senv_recs_free(&again);
}
END_TEST

/* Poll with limit into a bundle the caller keeps (for bundle commits). */
static void poll_bundle(csc_consumer_t *c, int limit, size_t want, csc_bundle_t *b)
{
    csc_error_t err;
    SENV_OK(csc_consumer_poll(c, limit, WAIT, b, &err), &err);
    ck_assert_uint_eq(csc_bundle_num_records(b), want);
}

START_TEST(test_manual_commit)
{
    csc_error_t err;
    csc_bundle_t b1, b2;
    /* one shard key per row, but ids 1..4 in one poll order: use limit 2 */
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 4, "v");

    /* nothing is committed until commit: not by polls, not by close */
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    poll_bundle(c, 2, 2, &b1);
    poll_bundle(c, 2, 2, &b2);
    csc_bundle_free(&b1);
    csc_bundle_free(&b2);
    close_consumer(c);
    c = senv_consumer(env.h, "g", "t1", FIRST, true);
    static const int all4[] = { 1, 2, 3, 4 };
    expect_ids(c, all4, 4, false);
    close_consumer(c);

    /* committing the newer bundle, then the older one: never moves back */
    c = senv_consumer(env.h, "g", "t1", FIRST, true);
    poll_bundle(c, 2, 2, &b1);
    poll_bundle(c, 2, 2, &b2);
    SENV_OK(csc_bundle_commit(&b2, 0, &err), &err);
    SENV_OK(csc_bundle_commit(&b1, 0, &err), &err);
    csc_bundle_free(&b1);
    csc_bundle_free(&b2);
    close_consumer(c);
    c = senv_consumer(env.h, "g", "t1", FIRST, true);
    senv_expect_nothing(c, 300);
    close_consumer(c);

    /* committing only the first bundle: the second one comes again */
    senv_put_range(env.h, "t1", 5, 4, "v");
    c = senv_consumer(env.h, "g", "t1", FIRST, true);
    poll_bundle(c, 2, 2, &b1);
    poll_bundle(c, 2, 2, &b2);
    SENV_OK(csc_bundle_commit(&b1, 0, &err), &err);
    senv_recs_t second = { 0 };
    senv_recs_add_bundle(&second, &b2);
    csc_bundle_free(&b1);
    csc_bundle_free(&b2);
    close_consumer(c);
    c = senv_consumer(env.h, "g", "t1", FIRST, true);
    int want[2] = { second.v[0].id, second.v[1].id };
    expect_ids(c, want, 2, false);
    /* consumer.commit() commits its latest poll */
    SENV_OK(csc_consumer_commit(c, 0, &err), &err);
    close_consumer(c);
    c = senv_consumer(env.h, "g", "t1", FIRST, true);
    senv_expect_nothing(c, 300);
    close_consumer(c);
    senv_recs_free(&second);
}
END_TEST

START_TEST(test_reset_redelivers)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 3, "v");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    static const int three[] = { 1, 2, 3 };
    expect_ids(c, three, 3, false);
    SENV_OK(csc_consumer_reset(c, &err), &err);
    expect_ids(c, three, 3, false);
    SENV_OK(csc_consumer_commit(c, 0, &err), &err);
    SENV_OK(csc_consumer_reset(c, &err), &err);
    senv_expect_nothing(c, 300);
    close_consumer(c);
}
END_TEST

/* ------------------------------------------------------------------------
 * groups and tables
 * ------------------------------------------------------------------------ */

START_TEST(test_two_groups_independent)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 3, "v");
    csc_consumer_t *a = senv_consumer(env.h, "group-a", "t1", EARLIEST, false);
    csc_consumer_t *b = senv_consumer(env.h, "group-b", "t1", EARLIEST, true);
    static const int three[] = { 1, 2, 3 };
    expect_ids(a, three, 3, false);
    close_consumer(a); /* group-a commits everything */
    expect_ids(b, three, 3, false);
    close_consumer(b); /* group-b commits nothing */
    b = senv_consumer(env.h, "group-b", "t1", FIRST, true);
    expect_ids(b, three, 3, false);
    a = senv_consumer(env.h, "group-a", "t1", FIRST, false);
    senv_expect_nothing(a, 200);
    close_consumer(a);
    close_consumer(b);
}
END_TEST

/* Two consumers of one group share its partitions: each event goes to one
 * of them, one shard key always to the same one; when one leaves, the other
 * takes its partitions and gets its uncommitted events again. */
START_TEST(test_shared_group)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 40, "r1-");
    csc_consumer_t *a = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    csc_consumer_t *b = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    senv_recs_t ra = { 0 }, rb = { 0 };
    for (int i = 0; i < 20 && ra.n + rb.n < 40; i++) {
        senv_poll_once(a, 100, 0, &ra, NULL);
        senv_poll_once(b, 100, 0, &rb, NULL);
    }
    ck_assert_uint_eq(ra.n + rb.n, 40);
    ck_assert_msg(ra.n > 0 && rb.n > 0, "not shared: %zu / %zu", ra.n, rb.n);
    for (int id = 1; id <= 40; id++)
        ck_assert_int_eq(senv_recs_count(&ra, NULL, id) + senv_recs_count(&rb, NULL, id), 1);
    /* a second change of every row goes where the first went */
    senv_put_range(env.h, "t1", 1, 40, "r2-");
    for (int i = 0; i < 20 && ra.n + rb.n < 80; i++) {
        senv_poll_once(a, 100, 0, &ra, NULL);
        senv_poll_once(b, 100, 0, &rb, NULL);
    }
    ck_assert_uint_eq(ra.n + rb.n, 80);
    for (int id = 1; id <= 40; id++) {
        size_t na = senv_recs_count(&ra, NULL, id), nb = senv_recs_count(&rb, NULL, id);
        ck_assert_msg((na == 2 && nb == 0) || (na == 0 && nb == 2),
                      "id %d split between consumers (%zu / %zu)", id, na, nb);
    }
    /* a commits, b leaves without committing: b's events come to a again */
    SENV_OK(csc_consumer_commit(a, 0, &err), &err);
    close_consumer(b);
    senv_recs_t moved = { 0 };
    senv_poll_until(a, rb.n, 100, WAIT, false, &moved);
    ck_assert_uint_eq(moved.n, rb.n);
    for (size_t i = 0; i < rb.n; i++)
        ck_assert_int_eq(senv_recs_count(&moved, NULL, rb.v[i].id), 2);
    senv_expect_nothing(a, 200);
    senv_recs_free(&ra);
    senv_recs_free(&rb);
    senv_recs_free(&moved);
    close_consumer(a);
}
END_TEST

/* A group is (compartment, group id): the same id in another compartment is
 * another group, and delete_group names the compartment. */
START_TEST(test_group_compartments)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 2, "v");
    static const int two[] = { 1, 2 };
    csc_consumer_t *cons[2];
    static const char *const comps[] = { NULL, "compartment-b" };
    for (int i = 0; i < 2; i++) {
        csc_consumer_builder_t *b = csc_builder_new();
        csc_builder_set_handle(b, env.h);
        csc_builder_set_group_id(b, "g");
        csc_builder_set_compartment(b, comps[i]);
        csc_builder_add_table(b, "t1", NULL, &EARLIEST);
        SENV_OK(csc_consumer_build(b, &cons[i], &err), &err);
        csc_builder_free(b);
    }
    expect_ids(cons[0], two, 2, false);
    expect_ids(cons[1], two, 2, false); /* not shared with the default compartment's g */
    /* force-deleting g in compartment-b stops only that group's consumer */
    SENV_OK(csc_consumer_delete_group(env.h, "g", "compartment-b", true, &err), &err);
    csc_bundle_t bd;
    ck_assert_int_ne(csc_consumer_poll(cons[1], 10, 0, &bd, &err), CS_OK);
    ck_assert_int_eq(err.proto_code, 14);
    senv_put(env.h, "t1", "{\"id\": 3, \"name\": \"v3\"}");
    static const int three[] = { 3 };
    expect_ids(cons[0], three, 1, false);
    close_consumer(cons[0]);
    csc_consumer_free(cons[1]);
}
END_TEST

START_TEST(test_several_tables_one_group)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_create_streamed(env.h, "CREATE TABLE Orders(id INTEGER, name STRING, PRIMARY KEY(id))",
                         "Orders");
    char *t1_ocid = senv_table_ocid(env.h, "t1");
    char *orders_ocid = senv_table_ocid(env.h, "orders");
    senv_table_t tabs[] = { { "t1", EARLIEST }, { "orders", EARLIEST } };
    csc_consumer_t *c;
    SENV_OK(senv_try_consumer(env.h, "g", tabs, 2, false, 0, &c, &err), &err);
    senv_put_range(env.h, "t1", 1, 3, "t");
    senv_put_range(env.h, "Orders", 10, 2, "o");

    /* poll until both tables' events are in; one message per table per poll */
    senv_recs_t r = { 0 };
    for (int tries = 0; r.n < 5 && tries < 20; tries++) {
        csc_bundle_t b;
        SENV_OK(csc_consumer_poll(c, 100, 500, &b, &err), &err);
        for (size_t i = 0; i < b.num_messages; i++) {
            for (size_t k = i + 1; k < b.num_messages; k++)
                ck_assert_msg(strcmp(b.messages[i].table_ocid, b.messages[k].table_ocid) != 0,
                              "two messages for table %s in one poll", b.messages[i].table_name);
            ck_assert_uint_gt(b.messages[i].num_events, 0);
        }
        senv_recs_add_bundle(&r, &b);
        csc_bundle_free(&b);
    }
    ck_assert_uint_eq(r.n, 5);
    for (size_t i = 0; i < r.n; i++) {
        if (r.v[i].id < 10) {
            ck_assert_str_eq(r.v[i].table, "t1");
            ck_assert_str_eq(r.v[i].table_ocid, t1_ocid);
        } else {
            ck_assert_str_eq(r.v[i].table, "Orders"); /* as created, not as looked up */
            ck_assert_str_eq(r.v[i].table_ocid, orders_ocid);
        }
    }
    senv_recs_free(&r);
    close_consumer(c);
    free(t1_ocid);
    free(orders_ocid);
}
END_TEST

START_TEST(test_child_table)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_create_streamed(env.h,
                         "CREATE TABLE t1.addresses(aid INTEGER, street STRING, PRIMARY KEY(aid))",
                         "t1.addresses");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1.addresses", EARLIEST, false);
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"parent\"}");
    senv_put(env.h, "t1.addresses", "{\"id\": 1, \"aid\": 7, \"street\": \"Main St\"}");
    senv_recs_t r = { 0 };
    senv_poll_until(c, 1, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_str_eq(r.v[0].table, "t1.addresses");
    ck_assert_int_eq(json_integer_value(json_object_get(r.v[0].key, "aid")), 7);
    ck_assert_int_eq(r.v[0].id, 1);
    ck_assert_str_eq(json_string_value(json_object_get(r.v[0].value, "street")), "Main St");
    senv_recs_free(&r);
    senv_expect_nothing(c, 300); /* the parent's write is not in the child's stream */
    close_consumer(c);
}
END_TEST

START_TEST(test_add_remove_table_live)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_create_streamed(env.h, T2_DDL, "t2");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    senv_put(env.h, "t2", "{\"id\": 100, \"name\": \"old t2\"}");
    SENV_OK(csc_consumer_add_table(c, "t2", NULL, &LATEST, &err), &err);
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"t1\"}");
    senv_put(env.h, "t2", "{\"id\": 101, \"name\": \"new t2\"}");
    senv_recs_t r = { 0 };
    senv_poll_until(c, 2, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_int_eq(senv_recs_count(&r, "t1", 1), 1);
    ck_assert_int_eq(senv_recs_count(&r, "t2", 101), 1); /* LATEST: not 100 */
    senv_recs_free(&r);
    senv_expect_nothing(c, 200);

    /* adding a table already in the group, removing one not in it: no-ops */
    SENV_OK(csc_consumer_add_table(c, "t2", NULL, &EARLIEST, &err), &err);
    senv_expect_nothing(c, 200);

    char *t1_ocid = senv_table_ocid(env.h, "t1");
    SENV_OK(csc_consumer_remove_table(c, t1_ocid, NULL, &err), &err);
    SENV_OK(csc_consumer_remove_table(c, t1_ocid, NULL, &err), &err);
    senv_put(env.h, "t1", "{\"id\": 2, \"name\": \"after removal\"}");
    senv_put(env.h, "t2", "{\"id\": 102, \"name\": \"still\"}");
    senv_poll_until(c, 1, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(senv_recs_count(&r, "t2", 102), 1);
    senv_recs_free(&r);
    senv_expect_nothing(c, 300);
    close_consumer(c);
    free(t1_ocid);
}
END_TEST

START_TEST(test_delete_group)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 2, "v");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    static const int two[] = { 1, 2 };
    expect_ids(c, two, 2, false);

    /* without force while a consumer is active: refused, clearly */
    cs_err_t rc = csc_consumer_delete_group(env.h, "g", NULL, false, &err);
    ck_assert_msg(rc != CS_OK, "deleting a group with an active consumer without force worked");
    ck_assert_msg(err.proto_code != 0, "local error: %s", err.e.msg);
    ck_assert_msg(strcasestr(err.e.msg, "active") || strcasestr(err.e.msg, "force"),
                  "unclear refusal: %s", err.e.msg);
    senv_expect_nothing(c, 100); /* the consumer is unharmed */

    /* with force stop: the consumer's next call fails with a NoSQL error */
    SENV_OK(csc_consumer_delete_group(env.h, "g", NULL, true, &err), &err);
    csc_bundle_t b;
    rc = csc_consumer_poll(c, 10, 0, &b, &err);
    ck_assert_msg(rc != CS_OK, "poll after the group was force-deleted worked");
    ck_assert_int_eq(err.proto_code, 14);
    ck_assert_msg(strcasestr(err.e.msg, "delete") != NULL, "unclear: %s", err.e.msg);
    ck_assert_int_ne(csc_consumer_commit(c, 0, &err), CS_OK);
    ck_assert_int_eq(err.proto_code, 14);
    csc_consumer_free(c);

    /* the group starts over: its committed positions are gone */
    c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    expect_ids(c, two, 2, false);
    close_consumer(c); /* commits both */
    /* no active consumer: deleted without force, positions gone again */
    SENV_OK(csc_consumer_delete_group(env.h, "g", NULL, false, &err), &err);
    c = senv_consumer(env.h, "g", "t1", csc_start_first_uncommitted(), false);
    expect_ids(c, two, 2, false); /* a new group: first uncommitted = earliest */
    close_consumer(c);
    /* deleting a group that does not exist (any more) is a no-op (csemu:
     * idempotent, like close) */
    SENV_OK(csc_consumer_delete_group(env.h, "never-was", NULL, true, &err), &err);
    SENV_OK(csc_consumer_delete_group(env.h, "g", NULL, false, &err), &err);
    SENV_OK(csc_consumer_delete_group(env.h, "g", NULL, false, &err), &err);
}
END_TEST

static Suite *stream_basic_suite(void)
{
    Suite *s = suite_create("stream_basic");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_enable_disable);
    tcase_add_test(core, test_start_earliest_latest);
    tcase_add_test(core, test_start_at_time);
    tcase_add_test(core, test_start_first_uncommitted_resumes);
    tcase_add_test(core, test_automatic_commit);
    tcase_add_test(core, test_manual_commit);
    tcase_add_test(core, test_reset_redelivers);
    tcase_add_test(core, test_two_groups_independent);
    tcase_add_test(core, test_shared_group);
    tcase_add_test(core, test_group_compartments);
    tcase_add_test(core, test_several_tables_one_group);
    tcase_add_test(core, test_child_table);
    tcase_add_test(core, test_add_remove_table_live);
    tcase_add_test(core, test_delete_group);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    return senv_main(stream_basic_suite());
}
