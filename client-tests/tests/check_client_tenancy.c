/*
 * check_client_tenancy.c - tenants are isolated, through the reference
 * client against a real csemu ($CSEMU_BIN) on an ephemeral port with a
 * fresh data directory. The tenant is what "Authorization: Bearer <tenant>"
 * names (as with the cloud simulator): two tenants may have tables of the
 * same name that share nothing; a tenant can neither see nor change another
 * tenant's tables, whatever operation it tries (it gets TABLE_NOT_FOUND, as
 * for a table that does not exist); a request without usable Authorization
 * gets INVALID_AUTHORIZATION and changes nothing; all of it holds across a
 * restart.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "client_env.h"
#include "csc.h"
#include "stream_env.h"

static senv_t E;
static const csc_table_limits_t LIM = { 20, 20, 1, CSC_LIMITS_PROVISIONED };

static void teardown(void)
{
    senv_cleanup(&E);
}

static void list_of(csc_handle_t *h, char *out, size_t cap)
{
    csc_list_tables_request_t req = { 0 };
    csc_list_tables_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_list_tables(h, &req, &res, &err) == CS_OK, "ListTables: %s", err.e.msg);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < res.num_tables; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", res.tables[i]);
    csc_list_tables_result_free(&res);
}

static json_t *row_of(csc_handle_t *h, const char *table, const char *key)
{
    return cenv_get(h, table, key, NULL);
}

/* ------------------------------------------------------------------------
 * two tenants, one name
 * ------------------------------------------------------------------------ */

START_TEST(test_same_name_independent)
{
    senv_start(&E, NULL);
    csc_handle_t *a = E.h, *b = E.other;
    csc_table_result_t ra, rb;
    cenv_ddl(a, "CREATE TABLE users(id INTEGER, name STRING, PRIMARY KEY(id))", &LIM, &ra);
    /* the same name in another tenant is not TABLE_EXISTS, and may differ */
    cenv_ddl(b, "CREATE TABLE users(id STRING, age INTEGER, PRIMARY KEY(id)) USING TTL 1 DAYS",
             &LIM, &rb);
    ck_assert_str_ne(ra.table_id, rb.table_id);
    ck_assert_str_eq(ra.compartment_id, SENV_TENANT);
    ck_assert_str_eq(rb.compartment_id, SENV_OTHER_TENANT);
    csc_table_result_free(&ra);
    csc_table_result_free(&rb);
    cenv_get_table(a, "users", &ra);
    cenv_get_table(b, "users", &rb);
    ck_assert_ptr_nonnull(strstr(ra.ddl, "name STRING"));
    ck_assert_ptr_nonnull(strstr(rb.ddl, "age INTEGER"));
    ck_assert_str_ne(ra.schema, rb.schema);
    csc_table_result_free(&ra);
    csc_table_result_free(&rb);

    /* rows: each tenant's table has its own schema and rows */
    cenv_put(a, "users", "{\"id\": 1, \"name\": \"alice\"}", NULL);
    json_t *r = row_of(b, "users", "{\"id\": \"1\"}");
    ck_assert_ptr_null(r);
    cenv_put(b, "users", "{\"id\": \"1\", \"age\": 30}", NULL);
    r = row_of(a, "users", "{\"id\": 1}");
    ck_assert(cenv_json_eq(r, "{\"id\": 1, \"name\": \"alice\"}"));
    json_decref(r);
    r = row_of(b, "users", "{\"id\": \"1\"}");
    ck_assert(cenv_json_eq(r, "{\"id\": \"1\", \"age\": 30}"));
    json_decref(r);
    /* A's key shape does not fit B's table: B's schema decides */
    json_t *key = cenv_json("{\"id\": 1, \"name\": \"x\"}");
    csc_get_request_t g = { .table_name = "users", .key = csc_json(key) };
    csc_get_result_t gr;
    csc_error_t err;
    CENV_FAILS(csc_get(b, &g, &gr, &err), &err, CENV_ILLEGAL_ARGUMENT, "name");
    json_decref(key);

    /* indexes and limits are per tenant */
    cenv_ddl(a, "CREATE INDEX byname ON users(name)", NULL, NULL);
    csc_get_indexes_request_t gi = { .table_name = "users" };
    csc_get_indexes_result_t ir;
    ck_assert_int_eq(csc_get_indexes(b, &gi, &ir, &err), CS_OK);
    ck_assert_uint_eq(ir.num_indexes, 0);
    csc_get_indexes_result_free(&ir);
    ck_assert_int_eq(csc_get_indexes(a, &gi, &ir, &err), CS_OK);
    ck_assert_uint_eq(ir.num_indexes, 1);
    csc_get_indexes_result_free(&ir);
    csc_table_limits_t l2 = { 7, 8, 2, CSC_LIMITS_PROVISIONED };
    csc_table_request_t lim = { .table_name = "users", .limits = &l2 };
    ck_assert_int_eq(csc_do_table_request(b, &lim, 10000, 50, &rb, &err), CS_OK);
    csc_table_result_free(&rb);
    cenv_get_table(a, "users", &ra);
    ck_assert_int_eq(ra.limits.read_units, 20);
    csc_table_result_free(&ra);

    /* each lists its own tables only */
    cenv_ddl(a, "CREATE TABLE only_a(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    char la[128], lb[128];
    list_of(a, la, sizeof la);
    list_of(b, lb, sizeof lb);
    ck_assert_str_eq(la, "only_a,users");
    ck_assert_str_eq(lb, "users");

    /* dropping A's table leaves B's, rows and all */
    cenv_ddl(a, "DROP TABLE users", NULL, NULL);
    r = row_of(b, "users", "{\"id\": \"1\"}");
    ck_assert(cenv_json_eq(r, "{\"id\": \"1\", \"age\": 30}"));
    json_decref(r);
    list_of(a, la, sizeof la);
    ck_assert_str_eq(la, "only_a");
}
END_TEST

/* ------------------------------------------------------------------------
 * another tenant's table is invisible and untouchable
 * ------------------------------------------------------------------------ */

START_TEST(test_cannot_touch_other_tenant)
{
    senv_start(&E, NULL);
    csc_handle_t *a = E.h, *b = E.other;
    const int NF = CENV_TABLE_NOT_FOUND;
    cenv_ddl(a, "CREATE TABLE private(sid INTEGER, id INTEGER, secret STRING, "
                "PRIMARY KEY(SHARD(sid), id))", &LIM, NULL);
    cenv_ddl(a, "CREATE INDEX bysecret ON private(secret)", NULL, NULL);
    const char *row = "{\"sid\": 1, \"id\": 1, \"secret\": \"s3cr3t\"}";
    cenv_put(a, "private", row, NULL);
    csc_table_result_t before, after;
    cenv_get_table(a, "private", &before);

    json_t *jrow = cenv_json("{\"sid\": 1, \"id\": 1, \"secret\": \"mine now\"}");
    json_t *key = cenv_json("{\"sid\": 1, \"id\": 1}");
    json_t *shard = cenv_json("{\"sid\": 1}");
    csc_error_t err;
    csc_table_result_t tr;

    /* reads */
    csc_get_table_request_t gt = { .table_name = "private" };
    CENV_FAILS(csc_get_table(b, &gt, &tr, &err), &err, NF, "private");
    csc_get_request_t g = { .table_name = "private", .key = csc_json(key) };
    csc_get_result_t gr;
    CENV_FAILS(csc_get(b, &g, &gr, &err), &err, NF, "private");
    csc_get_indexes_request_t gi = { .table_name = "private" };
    csc_get_indexes_result_t ir;
    CENV_FAILS(csc_get_indexes(b, &gi, &ir, &err), &err, NF, "private");
    csc_table_usage_request_t tu = { .table_name = "private" };
    csc_table_usage_result_t tur;
    CENV_FAILS(csc_get_table_usage(b, &tu, &tur, &err), &err, NF, "private");
    char lb[128];
    list_of(b, lb, sizeof lb);
    ck_assert_str_eq(lb, "");
    json_t *view = NULL;
    cs_error_t cerr;
    ck_assert_int_eq(test_admin_get_json(E.srv.endpoint, SENV_OTHER_TENANT, "/admin/tables", &view,
                                         &cerr), CS_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(view, "tables")), 0);
    json_decref(view);

    /* row writes */
    csc_put_request_t p = { .table_name = "private", .value = csc_json(jrow) };
    csc_put_result_t pr;
    CENV_FAILS(csc_put(b, &p, &pr, &err), &err, NF, "private");
    csc_delete_request_t d = { .table_name = "private", .key = csc_json(key) };
    csc_delete_result_t dr;
    CENV_FAILS(csc_delete(b, &d, &dr, &err), &err, NF, "private");
    csc_write_op_t op = { .put = p };
    csc_write_multiple_request_t wm = { .ops = &op, .num_ops = 1 };
    csc_write_multiple_result_t wr;
    CENV_FAILS(csc_write_multiple(b, &wm, &wr, &err), &err, NF, "private");
    csc_multi_delete_request_t md = { .table_name = "private", .key = csc_json(shard) };
    csc_multi_delete_result_t mr;
    CENV_FAILS(csc_multi_delete(b, &md, &mr, &err), &err, NF, "private");

    /* DDL and settings */
    const char *stmts[] = { "ALTER TABLE private (ADD x INTEGER)", "DROP TABLE private",
                            "CREATE INDEX byid ON private(id)", "DROP INDEX bysecret ON private",
                            "CREATE TABLE private.kid(k INTEGER, PRIMARY KEY(k))" };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        csc_table_request_t req = { .statement = stmts[i] };
        CENV_FAILS(csc_table_request(b, &req, &tr, &err), &err, NF, "private");
    }
    csc_table_limits_t l2 = { 1, 1, 1, CSC_LIMITS_PROVISIONED };
    csc_table_request_t lim = { .table_name = "private", .limits = &l2 };
    CENV_FAILS(csc_table_request(b, &lim, &tr, &err), &err, NF, "private");
    CENV_FAILS(csc_enable_change_streaming(b, "private", true, 10000, &tr, &err), &err, NF,
               "private");
    /* DROP IF EXISTS from B "succeeds" on B's (missing) table only */
    csc_table_request_t die = { .statement = "DROP TABLE IF EXISTS private" };
    ck_assert_int_eq(csc_do_table_request(b, &die, 10000, 50, &tr, &err), CS_OK);
    ck_assert_int_eq(tr.state, CSC_TABLE_DROPPED);
    csc_table_result_free(&tr);

    /* A sees its table exactly as before: schema, limits, etag, index, row */
    cenv_get_table(a, "private", &after);
    ck_assert_str_eq(after.schema, before.schema);
    ck_assert_str_eq(after.match_etag, before.match_etag);
    ck_assert_int_eq(after.limits.read_units, before.limits.read_units);
    csc_table_result_free(&after);
    csc_table_result_free(&before);
    json_t *r = row_of(a, "private", "{\"sid\": 1, \"id\": 1}");
    ck_assert(cenv_json_eq(r, row));
    json_decref(r);
    ck_assert_int_eq(csc_get_indexes(a, &gi, &ir, &err), CS_OK);
    ck_assert_uint_eq(ir.num_indexes, 1);
    csc_get_indexes_result_free(&ir);
    char la[128];
    list_of(a, la, sizeof la);
    ck_assert_str_eq(la, "private");

    /* and B may create its own table of that name */
    cenv_ddl(b, "CREATE TABLE private(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    list_of(b, lb, sizeof lb);
    ck_assert_str_eq(lb, "private");
    json_decref(jrow);
    json_decref(key);
    json_decref(shard);
}
END_TEST

/* ------------------------------------------------------------------------
 * Authorization
 * ------------------------------------------------------------------------ */

/* Every kind of request through h fails with INVALID_AUTHORIZATION. */
static void expect_unauthorized(csc_handle_t *h)
{
    const int IA = CENV_INVALID_AUTHORIZATION;
    csc_error_t err;
    csc_table_result_t tr;
    csc_table_limits_t lim = LIM;
    csc_table_request_t create = { .statement = "CREATE TABLE sneaky(id INTEGER, "
                                                "PRIMARY KEY(id))", .limits = &lim };
    CENV_FAILS(csc_table_request(h, &create, &tr, &err), &err, IA, "Authorization");
    csc_table_request_t drop = { .statement = "DROP TABLE users" };
    CENV_FAILS(csc_table_request(h, &drop, &tr, &err), &err, IA, "Authorization");
    csc_get_table_request_t gt = { .table_name = "users" };
    CENV_FAILS(csc_get_table(h, &gt, &tr, &err), &err, IA, "Authorization");
    csc_list_tables_request_t lt = { 0 };
    csc_list_tables_result_t lr;
    CENV_FAILS(csc_list_tables(h, &lt, &lr, &err), &err, IA, "Authorization");
    csc_get_indexes_request_t gi = { .table_name = "users" };
    csc_get_indexes_result_t ir;
    CENV_FAILS(csc_get_indexes(h, &gi, &ir, &err), &err, IA, "Authorization");
    csc_table_usage_request_t tu = { .table_name = "users" };
    csc_table_usage_result_t tur;
    CENV_FAILS(csc_get_table_usage(h, &tu, &tur, &err), &err, IA, "Authorization");

    json_t *row = cenv_json("{\"id\": 2, \"name\": \"intruder\"}");
    json_t *key = cenv_json("{\"id\": 1}");
    csc_put_request_t p = { .table_name = "users", .value = csc_json(row) };
    csc_put_result_t pr;
    CENV_FAILS(csc_put(h, &p, &pr, &err), &err, IA, "Authorization");
    csc_get_request_t g = { .table_name = "users", .key = csc_json(key) };
    csc_get_result_t gr;
    CENV_FAILS(csc_get(h, &g, &gr, &err), &err, IA, "Authorization");
    csc_delete_request_t d = { .table_name = "users", .key = csc_json(key) };
    csc_delete_result_t dr;
    CENV_FAILS(csc_delete(h, &d, &dr, &err), &err, IA, "Authorization");
    csc_write_op_t op = { .put = p };
    csc_write_multiple_request_t wm = { .ops = &op, .num_ops = 1 };
    csc_write_multiple_result_t wr;
    CENV_FAILS(csc_write_multiple(h, &wm, &wr, &err), &err, IA, "Authorization");
    csc_multi_delete_request_t md = { .table_name = "users", .key = csc_json(key) };
    csc_multi_delete_result_t mr;
    CENV_FAILS(csc_multi_delete(h, &md, &mr, &err), &err, IA, "Authorization");
    json_decref(row);
    json_decref(key);
}

START_TEST(test_missing_authorization)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE users(id INTEGER, name STRING, PRIMARY KEY(id))", &LIM, NULL);
    cenv_put(E.h, "users", "{\"id\": 1, \"name\": \"alice\"}", NULL);

    /* no Authorization header at all */
    csc_handle_t *none = csc_handle_new(E.srv.endpoint, NULL);
    ck_assert_ptr_nonnull(none);
    expect_unauthorized(none);
    csc_handle_free(none);
    /* "Bearer " naming no tenant, and a tenant with a blank in it */
    csc_handle_t *empty = csc_handle_new(E.srv.endpoint, "");
    expect_unauthorized(empty);
    csc_handle_free(empty);
    csc_handle_t *blank = csc_handle_new(E.srv.endpoint, "two words");
    expect_unauthorized(blank);
    csc_handle_free(blank);

    /* nothing changed */
    char la[128];
    list_of(E.h, la, sizeof la);
    ck_assert_str_eq(la, "users");
    json_t *r = row_of(E.h, "users", "{\"id\": 1}");
    ck_assert(cenv_json_eq(r, "{\"id\": 1, \"name\": \"alice\"}"));
    json_decref(r);
    r = row_of(E.h, "users", "{\"id\": 2}");
    ck_assert_ptr_null(r);
}
END_TEST

/* ------------------------------------------------------------------------
 * restart
 * ------------------------------------------------------------------------ */

START_TEST(test_tenancy_survives_restart)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE users(id INTEGER, name STRING, PRIMARY KEY(id))", &LIM, NULL);
    cenv_ddl(E.other, "CREATE TABLE users(id INTEGER, tag STRING, PRIMARY KEY(id))", &LIM, NULL);
    cenv_ddl(E.other, "CREATE TABLE b_only(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    cenv_put(E.h, "users", "{\"id\": 1, \"name\": \"alice\"}", NULL);
    cenv_put(E.other, "users", "{\"id\": 1, \"tag\": \"bob\"}", NULL);
    char *oa = senv_table_ocid(E.h, "users"), *ob = senv_table_ocid(E.other, "users");

    senv_restart(&E);

    char la[128], lb[128];
    list_of(E.h, la, sizeof la);
    list_of(E.other, lb, sizeof lb);
    ck_assert_str_eq(la, "users");
    ck_assert_str_eq(lb, "b_only,users");
    json_t *r = row_of(E.h, "users", "{\"id\": 1}");
    ck_assert(cenv_json_eq(r, "{\"id\": 1, \"name\": \"alice\"}"));
    json_decref(r);
    r = row_of(E.other, "users", "{\"id\": 1}");
    ck_assert(cenv_json_eq(r, "{\"id\": 1, \"tag\": \"bob\"}"));
    json_decref(r);
    char *oa2 = senv_table_ocid(E.h, "users"), *ob2 = senv_table_ocid(E.other, "users");
    ck_assert_str_eq(oa, oa2);
    ck_assert_str_eq(ob, ob2);
    csc_get_table_request_t gt = { .table_name = "b_only" };
    csc_table_result_t tr;
    csc_error_t err;
    CENV_FAILS(csc_get_table(E.h, &gt, &tr, &err), &err, CENV_TABLE_NOT_FOUND, "b_only");
    /* still no Authorization, no entry */
    csc_handle_t *none = csc_handle_new(E.srv.endpoint, NULL);
    expect_unauthorized(none);
    csc_handle_free(none);
    free(oa);
    free(ob);
    free(oa2);
    free(ob2);
}
END_TEST

static Suite *client_tenancy_suite(void)
{
    Suite *s = suite_create("client_tenancy");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_same_name_independent);
    tcase_add_test(core, test_cannot_touch_other_tenant);
    suite_add_tcase(s, core);

    TCase *errors = tcase_create("Errors");
    tcase_add_checked_fixture(errors, NULL, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, test_missing_authorization);
    suite_add_tcase(s, errors);

    TCase *restart = tcase_create("Restart");
    tcase_add_checked_fixture(restart, NULL, teardown);
    tcase_set_timeout(restart, 60);
    tcase_add_test(restart, test_tenancy_survives_restart);
    suite_add_tcase(s, restart);
    return s;
}

int main(void)
{
    setenv("CSEMU_LOG_LEVEL", "error", 0); /* the refused requests are expected */
    return senv_main(client_tenancy_suite());
}
