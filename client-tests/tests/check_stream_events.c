/*
 * check_stream_events.c - which writes make which Change Streams events,
 * through the reference client against a real csemu: conditional writes
 * that do not write make none; WriteMultiple one per op; MultiDelete one per
 * deleted row; images (insert: current only, update: current + before,
 * delete: before only, non-key columns, key in the record key); TTL
 * expiration times; poll limits, the limit-0 heartbeat, events_remaining;
 * the max poll interval (server clock moved with /admin/clock).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_env.h"

#define T1_DDL "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id))"
#define SK_DDL "CREATE TABLE sk(sk STRING, id INTEGER, name STRING, PRIMARY KEY(SHARD(sk), id))"
#define WAIT 5000
#define T0 1800000000000LL
#define DAY_MS 86400000LL

static senv_t env;

static void setup(void) { senv_start(&env, NULL); }
static void teardown(void) { senv_cleanup(&env); }

static const csc_start_location_t EARLIEST = { CSC_START_EARLIEST, 0 };

static void close_consumer(csc_consumer_t *c)
{
    csc_error_t err;
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
}

/* All records of c until `want` arrived, then assert nothing more. */
static void collect(csc_consumer_t *c, size_t want, senv_recs_t *r)
{
    senv_poll_until(c, want, 100, WAIT, false, r);
    ck_assert_msg(r->n == want, "got %zu records, want %zu", r->n, want);
    senv_expect_nothing(c, 300);
}

static const char *name_of(const json_t *image)
{
    return json_string_value(json_object_get(image, "name"));
}

/* ------------------------------------------------------------------------
 * which writes are events
 * ------------------------------------------------------------------------ */

START_TEST(test_conditional_writes_without_effect)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    csc_bytes_t v1 = { 0 }, v2 = { 0 };
    ck_assert(senv_put_opt(env.h, "t1", "{\"id\": 1, \"name\": \"a\"}", CSC_PUT_ALWAYS, NULL,
                           NULL, &v1));
    ck_assert(senv_put_opt(env.h, "t1", "{\"id\": 1, \"name\": \"b\"}", CSC_PUT_ALWAYS, NULL,
                           NULL, &v2));
    /* none of these writes anything */
    ck_assert(!senv_put_opt(env.h, "t1", "{\"id\": 1, \"name\": \"x\"}", CSC_PUT_IF_ABSENT,
                            NULL, NULL, NULL));
    ck_assert(!senv_put_opt(env.h, "t1", "{\"id\": 2, \"name\": \"x\"}", CSC_PUT_IF_PRESENT,
                            NULL, NULL, NULL));
    ck_assert(!senv_put_opt(env.h, "t1", "{\"id\": 1, \"name\": \"x\"}", CSC_PUT_IF_VERSION,
                            &v1, NULL, NULL));
    ck_assert(!senv_delete(env.h, "t1", "{\"id\": 3}"));
    /* a stale delete-if-version neither */
    json_t *key = json_pack("{s:i}", "id", 1);
    csc_delete_request_t dreq = { .table_name = "t1", .key = csc_json(key),
                                  .match_version = v1.data, .match_version_len = v1.len };
    csc_delete_result_t dres;
    csc_error_t err;
    SENV_OK(csc_delete(env.h, &dreq, &dres, &err), &err);
    ck_assert(!dres.success);
    csc_delete_result_free(&dres);
    json_decref(key);
    /* these do: a matching if-version, an identical value */
    ck_assert(senv_put_opt(env.h, "t1", "{\"id\": 1, \"name\": \"c\"}", CSC_PUT_IF_VERSION, &v2,
                           NULL, NULL));
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"c\"}");

    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    senv_recs_t r = { 0 };
    collect(c, 4, &r);
    static const char *const names[] = { "a", "b", "c", "c" };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(r.v[i].id, 1);
        ck_assert_str_eq(name_of(r.v[i].value), names[i]);
    }
    senv_recs_free(&r);
    csc_bytes_free(&v1);
    csc_bytes_free(&v2);
    close_consumer(c);
}
END_TEST

static void put_op(csc_write_op_t *op, const char *table, json_t *row, csc_put_option_t opt)
{
    memset(op, 0, sizeof *op);
    op->put.table_name = table;
    op->put.value = csc_json(row);
    op->put.option = opt;
}

START_TEST(test_write_multiple_one_event_per_op)
{
    /* a batch shares one shard key (sk "a") */
    csc_error_t err;
    senv_create_streamed(env.h, SK_DDL, "sk");
    senv_put(env.h, "sk", "{\"sk\": \"a\", \"id\": 9, \"name\": \"to delete\"}");
    senv_put(env.h, "sk", "{\"sk\": \"a\", \"id\": 8, \"name\": \"exists\"}");
    json_t *r1 = json_pack("{s:s, s:i, s:s}", "sk", "a", "id", 1, "name", "one");
    json_t *r2 = json_pack("{s:s, s:i, s:s}", "sk", "a", "id", 2, "name", "two");
    json_t *r8 = json_pack("{s:s, s:i, s:s}", "sk", "a", "id", 8, "name", "not written");
    json_t *k9 = json_pack("{s:s, s:i}", "sk", "a", "id", 9);
    json_t *k7 = json_pack("{s:s, s:i}", "sk", "a", "id", 7);
    csc_write_op_t ops[5];
    put_op(&ops[0], "sk", r1, CSC_PUT_ALWAYS);
    put_op(&ops[1], "sk", r2, CSC_PUT_ALWAYS);
    put_op(&ops[2], "sk", r8, CSC_PUT_IF_ABSENT);  /* fails without aborting: no event */
    memset(&ops[3], 0, sizeof ops[3]);
    ops[3].is_delete = true;
    ops[3].del = (csc_delete_request_t){ .table_name = "sk", .key = csc_json(k9) };
    memset(&ops[4], 0, sizeof ops[4]);
    ops[4].is_delete = true;                        /* a missing row: no event */
    ops[4].del = (csc_delete_request_t){ .table_name = "sk", .key = csc_json(k7) };
    csc_write_multiple_request_t req = { .ops = ops, .num_ops = 5 };
    csc_write_multiple_result_t res;
    SENV_OK(csc_write_multiple(env.h, &req, &res, &err), &err);
    ck_assert_int_eq(res.failed_operation_index, -1);
    ck_assert_uint_eq(res.num_results, 5);
    ck_assert(res.results[0].success && res.results[1].success && !res.results[2].success &&
              res.results[3].success && !res.results[4].success);
    csc_write_multiple_result_free(&res);

    /* an aborted batch makes no event at all */
    json_t *r3 = json_pack("{s:s, s:i, s:s}", "sk", "a", "id", 3, "name", "aborted");
    put_op(&ops[0], "sk", r3, CSC_PUT_ALWAYS);
    put_op(&ops[1], "sk", r8, CSC_PUT_IF_ABSENT);
    ops[1].abort_if_unsuccessful = true;
    req.num_ops = 2;
    SENV_OK(csc_write_multiple(env.h, &req, &res, &err), &err);
    ck_assert_int_eq(res.failed_operation_index, 1);
    csc_write_multiple_result_free(&res);

    csc_consumer_t *c = senv_consumer(env.h, "g", "sk", EARLIEST, false);
    senv_recs_t r = { 0 };
    collect(c, 2 + 3, &r); /* the two single puts, then three from the batch */
    ck_assert_int_eq(senv_recs_count(&r, "sk", 1), 1);
    ck_assert_int_eq(senv_recs_count(&r, "sk", 2), 1);
    ck_assert_int_eq(senv_recs_count(&r, "sk", 8), 1); /* only its first put */
    ck_assert_int_eq(senv_recs_count(&r, "sk", 9), 2); /* put + delete */
    ck_assert_int_eq(senv_recs_count(&r, "sk", 3), 0);
    ck_assert_int_eq(senv_recs_count(&r, "sk", 7), 0);
    /* one shard key: commit order, the batch's ops in op order */
    static const int order[] = { 9, 8, 1, 2, 9 };
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(r.v[i].id, order[i]);
    ck_assert(!r.v[4].has_current);
    senv_recs_free(&r);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    json_decref(r8);
    json_decref(k9);
    json_decref(k7);
    close_consumer(c);
}
END_TEST

START_TEST(test_multi_delete_one_event_per_row)
{
    csc_error_t err;
    senv_create_streamed(env.h, SK_DDL, "sk");
    for (int id = 1; id <= 5; id++) {
        char row[128];
        snprintf(row, sizeof row, "{\"sk\": \"a\", \"id\": %d, \"name\": \"a%d\"}", id, id);
        senv_put(env.h, "sk", row);
    }
    senv_put(env.h, "sk", "{\"sk\": \"b\", \"id\": 1, \"name\": \"b1\"}");
    csc_consumer_t *c = senv_consumer(env.h, "g", "sk", csc_start_latest(), false);

    json_t *key = json_pack("{s:s}", "sk", "a");
    csc_multi_delete_request_t req = { .table_name = "sk", .key = csc_json(key) };
    csc_multi_delete_result_t res;
    SENV_OK(csc_multi_delete(env.h, &req, &res, &err), &err);
    ck_assert_int_eq(res.num_deletions, 5);
    ck_assert_ptr_null(res.continuation_key.data);
    csc_multi_delete_result_free(&res);
    /* a multi-delete that matches nothing: no event */
    json_t *none = json_pack("{s:s}", "sk", "zzz");
    req.key = csc_json(none);
    SENV_OK(csc_multi_delete(env.h, &req, &res, &err), &err);
    ck_assert_int_eq(res.num_deletions, 0);
    csc_multi_delete_result_free(&res);

    senv_recs_t r = { 0 };
    collect(c, 5, &r);
    int partition = r.v[0].partition;
    for (size_t i = 0; i < r.n; i++) {
        ck_assert_str_eq(json_string_value(json_object_get(r.v[i].key, "sk")), "a");
        ck_assert(!r.v[i].has_current);
        ck_assert(r.v[i].has_before);
        char want[16];
        snprintf(want, sizeof want, "a%d", r.v[i].id);
        ck_assert_str_eq(name_of(r.v[i].prev), want);
        ck_assert_int_eq(r.v[i].xp, 0);
        ck_assert_int_eq(r.v[i].partition, partition); /* one shard key, one partition */
        ck_assert_int_eq(senv_recs_count(&r, "sk", r.v[i].id), 1);
    }
    senv_recs_free(&r);
    json_decref(key);
    json_decref(none);
    close_consumer(c);
}
END_TEST

/* ------------------------------------------------------------------------
 * what an event holds
 * ------------------------------------------------------------------------ */

START_TEST(test_images)
{
    senv_create_streamed(env.h, SK_DDL, "sk");
    senv_clock_set(&env, T0);
    senv_put(env.h, "sk", "{\"sk\": \"k\", \"id\": 1, \"name\": \"v1\"}");
    senv_clock_set(&env, T0 + 1000);
    senv_put(env.h, "sk", "{\"sk\": \"k\", \"id\": 1, \"name\": \"v2\"}");
    senv_clock_set(&env, T0 + 2000);
    ck_assert(senv_delete(env.h, "sk", "{\"sk\": \"k\", \"id\": 1}"));
    csc_consumer_t *c = senv_consumer(env.h, "g", "sk", EARLIEST, false);
    senv_recs_t r = { 0 };
    collect(c, 3, &r);
    /* one shard key: commit order */
    const senv_rec_t *ins = &r.v[0], *upd = &r.v[1], *del = &r.v[2];
    ck_assert(ins->has_current && !ins->has_before);
    ck_assert(upd->has_current && upd->has_before);
    ck_assert(!del->has_current && del->has_before);
    ck_assert_ptr_null(del->value);
    ck_assert_str_eq(name_of(ins->value), "v1");
    ck_assert_str_eq(name_of(upd->value), "v2");
    ck_assert_str_eq(name_of(upd->prev), "v1");
    ck_assert_str_eq(name_of(del->prev), "v2");
    /* images hold the non-key columns; the key is the record key, in key order */
    ck_assert_uint_eq(json_object_size(ins->value), 1);
    ck_assert_uint_eq(json_object_size(upd->prev), 1);
    json_t *want_key = json_pack("{s:s, s:i}", "sk", "k", "id", 1);
    ck_assert(json_equal(ins->key, want_key));
    ck_assert(json_equal(del->key, want_key));
    json_decref(want_key);
    ck_assert_int_eq(ins->md, T0);
    ck_assert_int_eq(upd->md, T0 + 1000);
    ck_assert_int_eq(del->md, T0 + 2000);
    ck_assert(ins->partition == upd->partition && upd->partition == del->partition);
    ck_assert_str_ne(ins->event_id, upd->event_id);
    ck_assert_str_ne(upd->event_id, del->event_id);
    senv_recs_free(&r);
    close_consumer(c);
}
END_TEST

START_TEST(test_ttl_expiration_time)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_clock_set(&env, T0 + 12345);
    csc_bytes_t v = { 0 };
    ck_assert(senv_put_opt(env.h, "t1", "{\"id\": 1, \"name\": \"ttl\"}", CSC_PUT_ALWAYS, NULL,
                           "2 DAYS", &v));
    senv_put(env.h, "t1", "{\"id\": 2, \"name\": \"no ttl\"}");
    csc_get_request_t g = { .table_name = "t1" };
    json_t *key = json_pack("{s:i}", "id", 1);
    g.key = csc_json(key);
    csc_get_result_t gr;
    csc_error_t err;
    SENV_OK(csc_get(env.h, &g, &gr, &err), &err);
    ck_assert(gr.found);

    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    senv_recs_t r = { 0 };
    collect(c, 2, &r);
    const senv_rec_t *t = &r.v[senv_recs_find(&r, "t1", 1)];
    const senv_rec_t *n = &r.v[senv_recs_find(&r, "t1", 2)];
    ck_assert_int_eq(t->xp, gr.expiration_time);
    ck_assert_int_ge(t->xp, T0 + 12345 + 2 * DAY_MS);
    ck_assert_int_lt(t->xp, T0 + 12345 + 3 * DAY_MS);
    ck_assert_int_eq(t->xp % DAY_MS, 0); /* rounded up to a UTC day */
    ck_assert_int_eq(n->xp, 0);
    senv_recs_free(&r);
    csc_get_result_free(&gr);
    csc_bytes_free(&v);
    json_decref(key);
    close_consumer(c);
}
END_TEST

/* ------------------------------------------------------------------------
 * polls
 * ------------------------------------------------------------------------ */

START_TEST(test_poll_limit_heartbeat_remaining)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 10, "v");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    senv_recs_t r = { 0 };
    int64_t remaining = -1;
    ck_assert_uint_eq(senv_poll_once(c, 3, WAIT, &r, &remaining), 3);
    ck_assert_int_eq(remaining, 7);
    /* limit 0: a heartbeat, nothing returned, nothing committed */
    csc_bundle_t b;
    SENV_OK(csc_consumer_poll(c, 0, 0, &b, &err), &err);
    ck_assert(csc_bundle_is_empty(&b));
    csc_bundle_free(&b);
    SENV_OK(csc_consumer_reset(c, &err), &err);
    senv_recs_t again = { 0 };
    ck_assert_uint_eq(senv_poll_once(c, 3, WAIT, &again, &remaining), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(senv_recs_count(&again, NULL, r.v[i].id) == 1,
                      "id %d not redelivered: the heartbeat committed it", r.v[i].id);
    ck_assert_int_eq(remaining, 7);
    ck_assert_uint_eq(senv_poll_once(c, 100, WAIT, &again, &remaining), 7);
    ck_assert_int_eq(remaining, 0);
    ck_assert_uint_eq(senv_poll_once(c, 1, 0, &again, &remaining), 0);
    ck_assert_int_eq(remaining, 0);
    for (int id = 1; id <= 10; id++)
        ck_assert_int_eq(senv_recs_count(&again, NULL, id), 1);
    senv_recs_free(&r);
    senv_recs_free(&again);
    close_consumer(c);
}
END_TEST

/* A consumer that stops polling past its max poll interval loses its
 * partitions to the group's live consumers, which get its uncommitted
 * events again; its own next call fails clearly. */
START_TEST(test_max_poll_interval)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_clock_set(&env, T0);
    senv_put_range(env.h, "t1", 1, 40, "v");
    senv_table_t t = { "t1", EARLIEST };
    csc_consumer_t *slow, *live;
    SENV_OK(senv_try_consumer(env.h, "g", &t, 1, true, 5000, &slow, &err), &err);
    SENV_OK(senv_try_consumer(env.h, "g", &t, 1, true, 600000, &live, &err), &err);
    senv_recs_t rs = { 0 }, rl = { 0 };
    /* both poll: the partitions are shared */
    senv_poll_once(slow, 100, 0, &rs, NULL);
    senv_poll_once(live, 100, 0, &rl, NULL);
    senv_poll_once(slow, 100, 0, &rs, NULL);
    senv_poll_once(live, 100, 0, &rl, NULL);
    ck_assert_uint_eq(rs.n + rl.n, 40);
    ck_assert_msg(rs.n > 0 && rl.n > 0, "partitions not shared: %zu / %zu", rs.n, rl.n);
    size_t slow_had = rs.n;

    /* a heartbeat keeps a consumer alive */
    senv_clock_advance(&env, 4000);
    senv_poll_once(slow, 0, 0, NULL, NULL);
    senv_clock_advance(&env, 4000);
    senv_poll_once(live, 0, 0, NULL, NULL);
    ck_assert_uint_eq(senv_poll_once(live, 100, 0, &rl, NULL), 0);

    /* now silence past 5 s */
    senv_clock_advance(&env, 6000);
    senv_recs_t moved = { 0 };
    senv_poll_until(live, slow_had, 100, WAIT, false, &moved);
    ck_assert_uint_eq(moved.n, slow_had);
    for (size_t i = 0; i < rs.n; i++)
        ck_assert_msg(senv_recs_count(&moved, NULL, rs.v[i].id) == 1,
                      "id %d of the expired consumer not redelivered", rs.v[i].id);
    csc_bundle_t b;
    cs_err_t rc = csc_consumer_poll(slow, 10, 0, &b, &err);
    ck_assert_msg(rc != CS_OK, "an expired consumer could still poll");
    ck_assert_int_eq(err.proto_code, 14);
    ck_assert_msg(strcasestr(err.e.msg, "poll interval") != NULL, "unclear: %s", err.e.msg);
    csc_consumer_free(slow);
    senv_recs_free(&rs);
    senv_recs_free(&rl);
    senv_recs_free(&moved);
    close_consumer(live);
}
END_TEST

static Suite *stream_events_suite(void)
{
    Suite *s = suite_create("stream_events");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_conditional_writes_without_effect);
    tcase_add_test(core, test_write_multiple_one_event_per_op);
    tcase_add_test(core, test_multi_delete_one_event_per_row);
    tcase_add_test(core, test_images);
    tcase_add_test(core, test_ttl_expiration_time);
    tcase_add_test(core, test_poll_limit_heartbeat_remaining);
    tcase_add_test(core, test_max_poll_interval);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    return senv_main(stream_events_suite());
}
