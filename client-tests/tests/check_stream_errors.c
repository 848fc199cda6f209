/*
 * check_stream_errors.c - Change Streams refusals, through the reference
 * client against a real csemu: a forged, corrupted, truncated, empty,
 * foreign-tenant or closed consumer's cursor gets a clear error with code
 * 14 (RESOURCE_NOT_FOUND) on every call that carries a cursor, and the
 * server keeps serving; a consumer on a table that does not exist, on
 * another tenant's table, or on a table without streaming is refused
 * clearly; malformed group settings too.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_env.h"

#define T1_DDL "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id))"
#define WAIT 5000

static senv_t env;

static void setup(void) { senv_start(&env, NULL); }
static void teardown(void) { senv_cleanup(&env); }

static const csc_start_location_t EARLIEST = { CSC_START_EARLIEST, 0 };
static char *t1_ocid; /* for UPDATEs that need no name lookup */

/* Every call that carries the consumer's cursor fails with code 14 and a
 * message. CLOSE too, unless close_may_succeed: csemu closes idempotently a
 * consumer that already ended (closed, expired, group deleted), so an
 * application's cleanup close() does not fail. */
static void expect_cursor_refused_close(csc_consumer_t *c, const char *what,
                                        bool close_may_succeed)
{
    csc_error_t err;
    csc_bundle_t b;
    cs_err_t rc = csc_consumer_poll(c, 10, 0, &b, &err);
    ck_assert_msg(rc != CS_OK, "%s: poll accepted", what);
    ck_assert_msg(err.proto_code == 14, "%s: poll: code %d (%s), want 14", what, err.proto_code,
                  err.e.msg);
    ck_assert_msg(err.e.msg[0] != 0, "%s: no message", what);
    ck_assert_msg(!csc_stream_not_supported(&err), "%s: reads as 'not supported': %s", what,
                  err.e.msg);
    rc = csc_consumer_poll(c, 0, 0, &b, &err);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14, "%s: heartbeat: code %d (%s)", what,
                  err.proto_code, err.e.msg);
    rc = csc_consumer_commit(c, 0, &err);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14, "%s: commit: code %d (%s)", what,
                  err.proto_code, err.e.msg);
    rc = csc_consumer_reset(c, &err);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14, "%s: reset: code %d (%s)", what,
                  err.proto_code, err.e.msg);
    rc = csc_consumer_add_table(c, t1_ocid, NULL, NULL, &err);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14, "%s: update: code %d (%s)", what,
                  err.proto_code, err.e.msg);
    rc = csc_consumer_close(c, &err);
    if (close_may_succeed && rc == CS_OK)
        return;
    ck_assert_msg(rc != CS_OK && err.proto_code == 14, "%s: close: code %d (%s)", what,
                  err.proto_code, err.e.msg);
}

static void expect_cursor_refused(csc_consumer_t *c, const char *what)
{
    expect_cursor_refused_close(c, what, false);
}

/* The server still serves: a row read and a healthy consumer's poll. */
static void expect_serving(csc_consumer_t *good, int id)
{
    char row[64];
    snprintf(row, sizeof row, "{\"id\": %d, \"name\": \"after\"}", id);
    senv_put(env.h, "t1", row);
    senv_recs_t r = { 0 };
    senv_poll_until(good, 1, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.v[0].id, id);
    senv_recs_free(&r);
}

START_TEST(test_bad_cursors)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    t1_ocid = senv_table_ocid(env.h, "t1");
    csc_consumer_t *good = senv_consumer(env.h, "g-good", "t1", EARLIEST, false);
    csc_consumer_t *victim = senv_consumer(env.h, "g-victim", "t1", EARLIEST, false);
    csc_consumer_t *bad = senv_consumer(env.h, "g-bad", "t1", EARLIEST, false);
    size_t len;
    const uint8_t *cu = csc_consumer_cursor(victim, &len);
    ck_assert_uint_gt(len, 0);
    uint8_t *real = malloc(len);
    memcpy(real, cu, len);
    int next_id = 1;

    /* forged: bytes of our own making */
    static const uint8_t forged[] = "csemu-cursor:v1:g-victim:c-0001:0";
    SENV_OK(csc_consumer_set_cursor(bad, forged, sizeof forged - 1, &err), &err);
    expect_cursor_refused(bad, "forged cursor");
    expect_serving(good, next_id++);

    /* corrupted: each byte of a real cursor flipped in turn */
    uint8_t *mut = malloc(len);
    for (size_t i = 0; i < len; i++) {
        memcpy(mut, real, len);
        mut[i] ^= 0x5a;
        SENV_OK(csc_consumer_set_cursor(bad, mut, len, &err), &err);
        csc_bundle_t b;
        cs_err_t rc = csc_consumer_poll(bad, 10, 0, &b, &err);
        ck_assert_msg(rc != CS_OK && err.proto_code == 14,
                      "cursor with byte %zu flipped: rc %d code %d (%s)", i, rc, err.proto_code,
                      err.e.msg);
    }
    SENV_OK(csc_consumer_set_cursor(bad, mut, len, &err), &err);
    expect_cursor_refused(bad, "corrupted cursor");
    /* truncated, extended, empty */
    SENV_OK(csc_consumer_set_cursor(bad, real, len - 1, &err), &err);
    expect_cursor_refused(bad, "truncated cursor");
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, real, len);
    longer[len] = 0;
    SENV_OK(csc_consumer_set_cursor(bad, longer, len + 1, &err), &err);
    expect_cursor_refused(bad, "extended cursor");
    SENV_OK(csc_consumer_set_cursor(bad, real, 0, &err), &err);
    expect_cursor_refused(bad, "empty cursor");
    expect_serving(good, next_id++);

    /* the victim's own cursor still works: nothing above hurt it */
    senv_recs_t r = { 0 };
    senv_poll_until(victim, 2, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 2);
    senv_recs_free(&r);

    /* another tenant presenting a real cursor */
    cu = csc_consumer_cursor(victim, &len);
    memcpy(real, cu, len);
    csc_consumer_set_handle(bad, env.other);
    SENV_OK(csc_consumer_set_cursor(bad, real, len, &err), &err);
    {
        /* UPDATE naming a table of the presenting tenant: the cursor is the problem */
        senv_create_streamed(env.other, "CREATE TABLE own(id INTEGER, PRIMARY KEY(id))", "own");
        char *own = senv_table_ocid(env.other, "own");
        cs_err_t rc = csc_consumer_add_table(bad, own, NULL, NULL, &err);
        ck_assert_msg(rc != CS_OK && err.proto_code == 14,
                      "another tenant's cursor: update of its own table: code %d (%s)",
                      err.proto_code, err.e.msg);
        free(own);
    }
    expect_cursor_refused(bad, "another tenant's cursor");
    csc_consumer_set_handle(bad, env.h);
    expect_serving(good, next_id++);

    /* a closed consumer's cursor */
    SENV_OK(csc_consumer_close(victim, &err), &err);
    SENV_OK(csc_consumer_set_cursor(bad, real, len, &err), &err);
    csc_bundle_t b;
    ck_assert_int_ne(csc_consumer_poll(bad, 10, 0, &b, &err), CS_OK);
    ck_assert_int_eq(err.proto_code, 14);
    ck_assert_msg(strcasestr(err.e.msg, "closed") != NULL, "unclear: %s", err.e.msg);
    expect_cursor_refused_close(bad, "closed consumer's cursor", true);
    expect_serving(good, next_id++);

    free(real);
    free(mut);
    free(longer);
    csc_consumer_free(victim);
    csc_consumer_free(bad);
    free(t1_ocid);
    SENV_OK(csc_consumer_close(good, &err), &err);
    csc_consumer_free(good);
}
END_TEST

/* An older cursor of the same consumer stays usable (bundle commits), and
 * one from a COMMIT reply too (the hand-over rule). */
START_TEST(test_old_cursors_of_a_live_consumer)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 4, "v");
    csc_consumer_t *c = senv_consumer(env.h, "g", "t1", EARLIEST, true);
    csc_bundle_t b1, b2;
    SENV_OK(csc_consumer_poll(c, 2, WAIT, &b1, &err), &err);
    SENV_OK(csc_consumer_poll(c, 2, WAIT, &b2, &err), &err);
    ck_assert_uint_eq(csc_bundle_num_records(&b1) + csc_bundle_num_records(&b2), 4);
    SENV_OK(csc_bundle_commit(&b1, 0, &err), &err);
    /* after the older bundle's COMMIT, the consumer's next poll goes on */
    senv_put(env.h, "t1", "{\"id\": 5, \"name\": \"v5\"}");
    senv_recs_t r = { 0 };
    senv_poll_until(c, 1, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.v[0].id, 5);
    senv_recs_free(&r);
    SENV_OK(csc_bundle_commit(&b2, 0, &err), &err);
    SENV_OK(csc_consumer_commit(c, 0, &err), &err);
    SENV_OK(csc_consumer_reset(c, &err), &err);
    senv_expect_nothing(c, 200);
    csc_bundle_free(&b1);
    csc_bundle_free(&b2);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
}
END_TEST

START_TEST(test_tables_refused)
{
    csc_error_t err;
    csc_consumer_t *c = NULL;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_ddl(env.h, "CREATE TABLE plain(id INTEGER, PRIMARY KEY(id))");
    senv_create_streamed(env.other, "CREATE TABLE theirs(id INTEGER, PRIMARY KEY(id))", "theirs");
    char *theirs = senv_table_ocid(env.other, "theirs");
    char *t1 = senv_table_ocid(env.h, "t1");

    /* by name: the builder's lookup fails (borneo's wrapper), code 2 kept */
    senv_table_t by_name = { "nosuch", EARLIEST };
    ck_assert_int_eq(senv_try_consumer(env.h, "g", &by_name, 1, false, 0, &c, &err), CS_EINVAL);
    ck_assert_int_eq(err.proto_code, 2);
    ck_assert_ptr_nonnull(strstr(err.e.msg, "Can't get table 'nosuch' information"));
    senv_table_t their_name = { "theirs", EARLIEST };
    ck_assert_int_eq(senv_try_consumer(env.h, "g", &their_name, 1, false, 0, &c, &err),
                     CS_EINVAL);
    ck_assert_int_eq(err.proto_code, 2);

    /* by OCID: the server refuses CREATE with TABLE_NOT_FOUND */
    senv_table_t by_ocid = { "ocid1.nosqltable.oc1.csemu.ffffffffffffffff", EARLIEST };
    ck_assert_int_eq(senv_try_consumer(env.h, "g", &by_ocid, 1, false, 0, &c, &err), CS_ENOTABLE);
    ck_assert_int_eq(err.proto_code, 2);
    ck_assert_ptr_nonnull(strstr(err.e.msg, by_ocid.table));
    senv_table_t foreign = { theirs, EARLIEST };
    ck_assert_int_eq(senv_try_consumer(env.h, "g", &foreign, 1, false, 0, &c, &err), CS_ENOTABLE);
    ck_assert_int_eq(err.proto_code, 2);
    /* one bad table among good ones: nothing is created */
    senv_table_t mixed[] = { { "t1", EARLIEST }, { theirs, EARLIEST } };
    ck_assert_int_eq(senv_try_consumer(env.h, "g", mixed, 2, false, 0, &c, &err), CS_ENOTABLE);

    /* streaming not enabled */
    senv_table_t plain = { "plain", EARLIEST };
    cs_err_t rc = senv_try_consumer(env.h, "g", &plain, 1, false, 0, &c, &err);
    ck_assert_int_ne(rc, CS_OK);
    ck_assert_int_ne(err.proto_code, 0);
    ck_assert_msg(strcasestr(err.e.msg, "not enabled") != NULL, "unclear: %s", err.e.msg);
    ck_assert_ptr_null(c);

    /* the same checks on a live consumer's UPDATE */
    c = senv_consumer(env.h, "g", "t1", EARLIEST, false);
    ck_assert_int_ne(csc_consumer_add_table(c, theirs, NULL, NULL, &err), CS_OK);
    ck_assert_int_eq(err.proto_code, 2);
    ck_assert_int_ne(csc_consumer_add_table(c, "plain", NULL, NULL, &err), CS_OK);
    ck_assert_msg(strcasestr(err.e.msg, "not enabled") != NULL, "unclear: %s", err.e.msg);
    /* ... which leave the consumer working */
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"ok\"}");
    senv_recs_t r = { 0 };
    senv_poll_until(c, 1, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 1);
    senv_recs_free(&r);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);

    /* the other tenant cannot see or delete our group: its delete of the
     * same group id touches nothing of ours (csemu deletes idempotently, so
     * the call itself may succeed) */
    c = senv_consumer(env.h, "shared-name", "t1", csc_start_latest(), false);
    (void)csc_consumer_delete_group(env.other, "shared-name", NULL, true, &err);
    ck_assert_msg(err.proto_code == 0 || err.proto_code == 14, "other tenant's delete: %d %s",
                  err.proto_code, err.e.msg);
    senv_put(env.h, "t1", "{\"id\": 2, \"name\": \"still served\"}");
    senv_poll_until(c, 1, 100, WAIT, false, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.v[0].id, 2);
    senv_recs_free(&r);
    SENV_OK(csc_consumer_close(c, &err), &err); /* commits id 2 */
    csc_consumer_free(c);
    c = senv_consumer(env.h, "shared-name", "t1", csc_start_first_uncommitted(), false);
    senv_expect_nothing(c, 300); /* our committed position survived */
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
    free(theirs);
    free(t1);
}
END_TEST

START_TEST(test_group_settings_refused)
{
    csc_error_t err;
    csc_consumer_t *c = NULL;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_table_t t = { "t1", EARLIEST };
    char long_id[300];
    memset(long_id, 'g', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    ck_assert_int_ne(senv_try_consumer(env.h, long_id, &t, 1, false, 0, &c, &err), CS_OK);
    ck_assert_int_ne(err.proto_code, 0);
    ck_assert_int_ne(senv_try_consumer(env.h, "", &t, 1, false, 0, &c, &err), CS_OK);
    ck_assert_int_ne(err.proto_code, 0);
    /* no group id at all (borneo sends none when unset) */
    csc_consumer_builder_t *b = csc_builder_new();
    csc_builder_set_handle(b, env.h);
    csc_builder_add_table(b, "t1", NULL, NULL);
    ck_assert_int_ne(csc_consumer_build(b, &c, &err), CS_OK);
    ck_assert_int_ne(err.proto_code, 0);
    csc_builder_free(b);
    ck_assert_ptr_null(c);
    /* the server still serves */
    c = senv_consumer(env.h, "ok", "t1", EARLIEST, false);
    SENV_OK(csc_consumer_close(c, &err), &err);
    csc_consumer_free(c);
}
END_TEST

static Suite *stream_errors_suite(void)
{
    Suite *s = suite_create("stream_errors");
    TCase *lim = tcase_create("Limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_set_timeout(lim, 120);
    tcase_add_test(lim, test_bad_cursors);
    tcase_add_test(lim, test_old_cursors_of_a_live_consumer);
    tcase_add_test(lim, test_tables_refused);
    tcase_add_test(lim, test_group_settings_refused);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    return senv_main(stream_errors_suite());
}
