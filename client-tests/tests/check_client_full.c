/*
 * check_client_full.c - a full store is an ordinary outcome: with a tiny
 * LMDB map (--map-size 1M) puts eventually get the protocol's storage error
 * (SIZE_LIMIT_EXCEEDED), every row acknowledged before is still readable,
 * nothing half-written appears, the server keeps serving, and deleting rows
 * makes room for new writes — also after a restart.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csc.h"
#include "server.h"
#include "wire.h"

#define TENANT "tenant_full"
#define PAD 8000   /* bytes of each row's payload */

static test_server_t srv;
static csc_handle_t *h;

static void reconnect(void)
{
    csc_handle_free(h);
    h = csc_handle_new(srv.endpoint, TENANT);
    ck_assert_ptr_nonnull(h);
}

/* Put row id with a PAD-byte payload; returns the call's result code. */
static cs_err_t put_row(int id, csc_error_t *err)
{
    static char pad[PAD + 1];
    memset(pad, 'x', PAD);
    json_t *row = json_pack("{s:i, s:s}", "id", id, "pad", pad);
    csc_put_request_t pr = { .table_name = "big", .value = csc_json(row) };
    csc_put_result_t res;
    cs_err_t rc = csc_put(h, &pr, &res, err);
    if (rc == CS_OK)
        ck_assert_msg(res.success, "put %d: no version", id);
    csc_put_result_free(&res);
    json_decref(row);
    return rc;
}

static bool row_exists(int id)
{
    json_t *key = json_pack("{s:i}", "id", id);
    csc_get_request_t gr = { .table_name = "big", .key = csc_json(key) };
    csc_get_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_get(h, &gr, &res, &err) == CS_OK, "get %d: %s", id, err.e.msg);
    bool found = res.found;
    if (found)
        ck_assert_int_eq((int)strlen(json_string_value(json_object_get(res.value.json, "pad"))),
                         PAD);
    csc_get_result_free(&res);
    json_decref(key);
    return found;
}

static void delete_row(int id)
{
    json_t *key = json_pack("{s:i}", "id", id);
    csc_delete_request_t dr = { .table_name = "big", .key = csc_json(key) };
    csc_delete_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_delete(h, &dr, &res, &err) == CS_OK && res.success, "delete %d: %s", id,
                  err.e.msg);
    csc_delete_result_free(&res);
    json_decref(key);
}

START_TEST(full_map_is_a_storage_error_and_the_server_recovers)
{
    const char *args[] = { "--map-size", "1M", NULL };
    test_server_opts_t opts = { .extra_args = args };
    cs_error_t e;
    ck_assert_msg(test_server_start(&srv, &opts, &e) == CS_OK, "start: %s", e.msg);
    h = csc_handle_new(srv.endpoint, TENANT);
    csc_table_limits_t lim = { .read_units = 10, .write_units = 10, .storage_gb = 1 };
    csc_table_request_t tr = { .statement = "CREATE TABLE big(id INTEGER, pad STRING, "
                                            "PRIMARY KEY(id))",
                               .limits = &lim };
    csc_table_result_t tres;
    csc_error_t err;
    ck_assert_msg(csc_do_table_request(h, &tr, 10000, 100, &tres, &err) == CS_OK, "%s",
                  err.e.msg);
    csc_table_result_free(&tres);
    csc_enable_change_streaming(h, "big", true, 10000, &tres, &err);
    csc_table_result_free(&tres);

    /* fill until the store says it is full: about 1 MiB of rows + events */
    int acked = 0;
    cs_err_t rc = CS_OK;
    for (int id = 0; id < 1000 && rc == CS_OK; id++) {
        rc = put_row(id, &err);
        if (rc == CS_OK)
            acked++;
    }
    ck_assert_msg(rc != CS_OK, "1000 rows of %d bytes fit a 1 MiB map", PAD);
    ck_assert_msg(err.proto_code == WIRE_SIZE_LIMIT_EXCEEDED, "full store gave code %d: %s",
                  err.proto_code, err.e.msg);
    ck_assert_int_gt(acked, 10);

    /* every acknowledged row is there, the refused one is not */
    for (int id = 0; id < acked; id++)
        ck_assert_msg(row_exists(id), "acknowledged row %d is gone", id);
    ck_assert_msg(!row_exists(acked), "the refused row %d was written", acked);

    /* deleting makes room again (stop streaming so deletes add no events) */
    csc_enable_change_streaming(h, "big", false, 10000, &tres, &err);
    csc_table_result_free(&tres);
    for (int id = 0; id < acked / 2; id++)
        delete_row(id);
    ck_assert_msg(put_row(acked, &err) == CS_OK, "put after deletes: %s", err.e.msg);

    /* and the store is intact after a restart */
    int st = 0;
    ck_assert_msg(test_server_stop(&srv, TEST_SERVER_STOP_TIMEOUT_MS, &st, &e) == CS_OK, "%s",
                  e.msg);
    ck_assert(test_server_exited_cleanly(st));
    ck_assert_msg(test_server_restart(&srv, &e) == CS_OK, "restart: %s", e.msg);
    reconnect();
    for (int id = acked / 2; id <= acked; id++)
        ck_assert_msg(row_exists(id), "row %d lost across the restart", id);
    csc_handle_free(h);
    h = NULL;
    test_server_stop(&srv, TEST_SERVER_STOP_TIMEOUT_MS, &st, &e);
    test_server_cleanup(&srv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("full_store");
    TCase *tc = tcase_create("limits and errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, full_map_is_a_storage_error_and_the_server_recovers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
