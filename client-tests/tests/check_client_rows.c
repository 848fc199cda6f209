/*
 * check_client_rows.c - every row operation and its errors, through the
 * reference client against a real csemu ($CSEMU_BIN, --test-clock) on an
 * ephemeral port with a fresh data directory: Get (absolute / eventual),
 * Put with every option (if-absent / if-present / if-version, return row,
 * TTL, table default TTL, exact match, identity and UUID generation),
 * Delete, WriteMultiple, MultiDelete, TTL expiry under a moved clock, the
 * row checks (every error names the field), the size limits, and the rows
 * again after a clean restart.
 *
 * Expected numbers follow the official SDK tests (borneo test/put.py,
 * get.py, delete.py, write_multiple.py, multi_delete.py): consumed
 * capacity (read KB, read units, write KB), which results carry a version,
 * which carry the existing row, and the exception class (= error code).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_env.h"
#include "csc.h"
#include "nson_json.h"
#include "stream_env.h"
#include "wire.h"

static senv_t E;
static const csc_table_limits_t LIM = { 100, 100, 1, CSC_LIMITS_PROVISIONED };

#define HOUR_MS (3600 * 1000LL)

static void teardown(void)
{
    senv_cleanup(&E);
}

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

/* NSON bytes of a typed-tree JSON text (nson_json.h convention 1); free()
 * them after the request. */
static uint8_t *typed_nson(const char *typed, size_t *len)
{
    json_t *t = cenv_json(typed);
    uint8_t *out = NULL;
    cs_error_t err;
    cs_error_clear(&err);
    ck_assert_msg(nson_json_encode_typed(t, &out, len, &err) == CS_OK, "typed %s: %s", typed,
                  err.msg);
    json_decref(t);
    return out;
}

static void expect_consumed(const csc_consumed_t *c, int read_kb, int read_units, int write_kb)
{
    ck_assert_msg(c->read_kb == read_kb && c->read_units == read_units && c->write_kb == write_kb,
                  "consumed rk %d ru %d wk %d, expected rk %d ru %d wk %d", c->read_kb,
                  c->read_units, c->write_kb, read_kb, read_units, write_kb);
}

/* A put of JSON text with the given options; asserts the call succeeds. */
static void put_opts(const char *table, const char *row_json, const csc_put_request_t *opts,
                     csc_put_result_t *res)
{
    json_t *row = cenv_json(row_json);
    csc_put_request_t req = opts ? *opts : (csc_put_request_t){ 0 };
    req.table_name = table;
    req.value = csc_json(row);
    csc_error_t err;
    cs_err_t rc = csc_put(E.h, &req, res, &err);
    ck_assert_msg(rc == CS_OK, "put %s: %s (code %d)", row_json, err.e.msg, err.proto_code);
    json_decref(row);
}

/* The put must fail with ILLEGAL_ARGUMENT (or `code`) naming `needle`. */
static void put_fails(const char *table, const char *row_json, bool exact, int code,
                      const char *needle)
{
    json_t *row = cenv_json(row_json);
    csc_put_request_t req = { .table_name = table, .value = csc_json(row), .exact_match = exact };
    csc_put_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_put(E.h, &req, &res, &err);
    if (rc == CS_OK)
        csc_put_result_free(&res);
    ck_assert_msg(rc != CS_OK, "put %s into %s: succeeded, expected code %d", row_json, table,
                  code);
    ck_assert_msg(err.proto_code == code, "put %s: expected code %d, got %d: %s", row_json, code,
                  err.proto_code, err.e.msg);
    ck_assert_msg(strcasestr(err.e.msg, needle) != NULL,
                  "put %s: message \"%s\" does not name \"%s\"", row_json, err.e.msg, needle);
    json_decref(row);
}

static void put_typed_fails(const char *table, const char *typed, int code, const char *needle)
{
    size_t len;
    uint8_t *b = typed_nson(typed, &len);
    csc_put_request_t req = { .table_name = table, .value = csc_nson(b, len) };
    csc_put_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_put(E.h, &req, &res, &err);
    if (rc == CS_OK)
        csc_put_result_free(&res);
    ck_assert_msg(rc != CS_OK, "put %s: succeeded, expected code %d", typed, code);
    ck_assert_msg(err.proto_code == code, "put %s: expected code %d, got %d: %s", typed, code,
                  err.proto_code, err.e.msg);
    ck_assert_msg(strcasestr(err.e.msg, needle) != NULL, "put %s: message \"%s\" does not name "
                  "\"%s\"", typed, err.e.msg, needle);
    free(b);
}

static void get_fails(const char *table, const char *key_json, int code, const char *needle)
{
    json_t *key = cenv_json(key_json);
    csc_get_request_t req = { .table_name = table, .key = csc_json(key) };
    csc_get_result_t res;
    csc_error_t err;
    CENV_FAILS(csc_get(E.h, &req, &res, &err), &err, code, needle);
    json_decref(key);
}

static bool delete_row(const char *table, const char *key_json, const csc_bytes_t *match,
                       bool return_row, csc_delete_result_t *res)
{
    json_t *key = cenv_json(key_json);
    csc_delete_request_t req = { .table_name = table, .key = csc_json(key),
                                 .return_row = return_row };
    if (match) {
        req.match_version = match->data;
        req.match_version_len = match->len;
    }
    csc_error_t err;
    cs_err_t rc = csc_delete(E.h, &req, res, &err);
    ck_assert_msg(rc == CS_OK, "delete %s: %s (code %d)", key_json, err.e.msg, err.proto_code);
    json_decref(key);
    return res->success;
}

static char *dump(const json_t *j)
{
    static char buf[4096];
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(buf, sizeof buf, "%s", s ? s : "(none)");
    free(s);
    return buf;
}

/* The row must exist and equal want (JSON text). */
static void expect_row(const char *table, const char *key_json, const char *want)
{
    json_t *row = cenv_get(E.h, table, key_json, NULL);
    ck_assert_msg(row != NULL, "%s %s: no row, expected %s", table, key_json, want);
    ck_assert_msg(cenv_json_eq(row, want), "%s %s: %s, expected %s", table, key_json, dump(row),
                  want);
    json_decref(row);
}

static void expect_no_row(const char *table, const char *key_json)
{
    json_t *row = cenv_get(E.h, table, key_json, NULL);
    ck_assert_msg(row == NULL, "%s %s: found %s, expected none", table, key_json, dump(row));
}

static void clock_set(int64_t ms)
{
    senv_clock_set(&E, ms);
}

/* ------------------------------------------------------------------------
 * values of every type
 * ------------------------------------------------------------------------ */

#define TYPES_DDL                                                                          \
    "CREATE TABLE types(id INTEGER, l LONG, f FLOAT, d DOUBLE, n NUMBER, s STRING, "       \
    "b BOOLEAN, bin BINARY, fb BINARY(4), ts TIMESTAMP(3), e ENUM(red, green, blue), "     \
    "j JSON, a ARRAY(INTEGER), m MAP(STRING), r RECORD(x LONG, y STRING), "                \
    "nn STRING NOT NULL DEFAULT 'dflt', nul STRING, PRIMARY KEY(id))"

/* Every column but ts, whose text form is checked on its own. */
static void expect_typed_row_without_ts(const csc_row_t *row, const char *want)
{
    char *text = cenv_typed(row);
    json_t *t = cenv_json(text);
    free(text);
    json_t *entries = json_object_get(t, "MAP");
    size_t i;
    json_t *kv;
    json_array_foreach(entries, i, kv) {
        if (strcmp(json_string_value(json_array_get(kv, 0)), "ts") == 0) {
            json_array_remove(entries, i);
            break;
        }
    }
    ck_assert_msg(cenv_json_eq(t, want), "row %s\nexpected %s", dump(t), want);
    json_decref(t);
}

/* The TIMESTAMP column's wire text, with or without a trailing Z. */
static void expect_ts(const csc_row_t *row, const char *want)
{
    json_t *ts = cenv_typed_column(row, "ts");
    ck_assert_msg(ts != NULL, "no ts column");
    const char *have = json_string_value(json_object_get(ts, "TIMESTAMP"));
    ck_assert_msg(have != NULL, "ts is %s, not a TIMESTAMP", dump(ts));
    size_t n = strlen(want);
    ck_assert_msg(strncmp(have, want, n) == 0 && (have[n] == '\0' || strcmp(have + n, "Z") == 0),
                  "ts is %s, expected %s", have, want);
    json_decref(ts);
}

START_TEST(test_every_type_round_trip)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, TYPES_DDL, &LIM, NULL);
    /* exact NSON types in (what Java/Go send), columns in another order */
    size_t len;
    uint8_t *b = typed_nson(
        "{\"MAP\":[[\"r\",{\"MAP\":[[\"y\",{\"STRING\":\"why\"}],[\"x\",{\"INTEGER\":5}]]}],"
        "[\"id\",{\"INTEGER\":1}],[\"l\",{\"LONG\":1099511627776}],[\"f\",{\"DOUBLE\":1.5}],"
        "[\"d\",{\"DOUBLE\":2.25}],[\"n\",{\"NUMBER\":\"123.456\"}],[\"s\",{\"STRING\":\"text\"}],"
        "[\"b\",{\"BOOLEAN\":true}],[\"bin\",{\"BINARY\":\"010203\"}],"
        "[\"fb\",{\"BINARY\":\"01020304\"}],"
        "[\"ts\",{\"TIMESTAMP\":\"2024-01-02T03:04:05.123456Z\"}],[\"e\",{\"STRING\":\"green\"}],"
        "[\"j\",{\"MAP\":[[\"a\",{\"ARRAY\":[{\"INTEGER\":1},{\"STRING\":\"x\"},"
        "{\"JSON_NULL\":null}]}]]}],"
        "[\"a\",{\"ARRAY\":[{\"INTEGER\":1},{\"INTEGER\":2}]}],"
        "[\"m\",{\"MAP\":[[\"k\",{\"STRING\":\"v\"}]]}]]}",
        &len);
    csc_put_request_t put = { .table_name = "types", .value = csc_nson(b, len) };
    csc_put_result_t pr;
    csc_error_t err;
    ck_assert_msg(csc_put(E.h, &put, &pr, &err) == CS_OK, "put: %s", err.e.msg);
    ck_assert(pr.success);
    ck_assert_ptr_null(pr.generated.nson);
    csc_put_result_free(&pr);
    free(b);

    /* out: declaration order, the NSON type of each column type
     * (PROTOCOL.md 7), defaults and NULLs for what was not given */
    csc_get_result_t gr;
    json_t *row = cenv_get(E.h, "types", "{\"id\": 1}", &gr);
    ck_assert_ptr_nonnull(row);
    expect_typed_row_without_ts(
        &gr.value,
        "{\"MAP\":[[\"id\",{\"INTEGER\":1}],[\"l\",{\"LONG\":1099511627776}],"
        "[\"f\",{\"DOUBLE\":1.5}],[\"d\",{\"DOUBLE\":2.25}],[\"n\",{\"NUMBER\":\"123.456\"}],"
        "[\"s\",{\"STRING\":\"text\"}],[\"b\",{\"BOOLEAN\":true}],"
        "[\"bin\",{\"BINARY\":\"010203\"}],[\"fb\",{\"BINARY\":\"01020304\"}],"
        "[\"e\",{\"STRING\":\"green\"}],"
        "[\"j\",{\"MAP\":[[\"a\",{\"ARRAY\":[{\"INTEGER\":1},{\"STRING\":\"x\"},"
        "{\"JSON_NULL\":null}]}]]}],"
        "[\"a\",{\"ARRAY\":[{\"INTEGER\":1},{\"INTEGER\":2}]}],"
        "[\"m\",{\"MAP\":[[\"k\",{\"STRING\":\"v\"}]]}],"
        "[\"r\",{\"MAP\":[[\"x\",{\"LONG\":5}],[\"y\",{\"STRING\":\"why\"}]]}],"
        "[\"nn\",{\"STRING\":\"dflt\"}],[\"nul\",{\"NULL\":null}]]}");
    /* TIMESTAMP(3): rounded to milliseconds */
    expect_ts(&gr.value, "2024-01-02T03:04:05.123");
    json_decref(row);
    csc_get_result_free(&gr);

    /* plain JSON in (what borneo sends for str/int/float): coerced to the column */
    cenv_put(E.h, "types", "{\"id\": 2, \"l\": 7, \"f\": 3, \"d\": 4, \"n\": 5, "
                           "\"bin\": \"AQID\", \"ts\": \"2024-05-06T07:08:09\", \"e\": \"blue\", "
                           "\"r\": {\"X\": 1, \"y\": null}, \"j\": [1, 2.5, \"s\", true]}",
             NULL);
    row = cenv_get(E.h, "types", "{\"id\": 2}", &gr);
    ck_assert_ptr_nonnull(row);
    expect_typed_row_without_ts(
        &gr.value,
        "{\"MAP\":[[\"id\",{\"INTEGER\":2}],[\"l\",{\"LONG\":7}],[\"f\",{\"DOUBLE\":3.0}],"
        "[\"d\",{\"DOUBLE\":4.0}],[\"n\",{\"NUMBER\":\"5\"}],[\"s\",{\"NULL\":null}],"
        "[\"b\",{\"NULL\":null}],[\"bin\",{\"BINARY\":\"010203\"}],[\"fb\",{\"NULL\":null}],"
        "[\"e\",{\"STRING\":\"blue\"}],"
        "[\"j\",{\"ARRAY\":[{\"INTEGER\":1},{\"DOUBLE\":2.5},{\"STRING\":\"s\"},"
        "{\"BOOLEAN\":true}]}],"
        "[\"a\",{\"NULL\":null}],[\"m\",{\"NULL\":null}],"
        "[\"r\",{\"MAP\":[[\"x\",{\"LONG\":1}],[\"y\",{\"NULL\":null}]]}],"
        "[\"nn\",{\"STRING\":\"dflt\"}],[\"nul\",{\"NULL\":null}]]}");
    expect_ts(&gr.value, "2024-05-06T07:08:09");
    json_decref(row);
    csc_get_result_free(&gr);
}
END_TEST

/* ------------------------------------------------------------------------
 * Get
 * ------------------------------------------------------------------------ */

START_TEST(test_get)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE g(sid INTEGER, id INTEGER, name STRING, "
                  "PRIMARY KEY(SHARD(sid), id))", &LIM, NULL);
    csc_bytes_t v;
    cenv_put(E.h, "g", "{\"sid\": 1, \"id\": 1, \"name\": \"one\"}", &v);

    /* absolute: 1 KB read, 2 read units; the row, its version, its times */
    json_t *key = cenv_json("{\"sid\": 1, \"id\": 1}");
    csc_get_request_t abs = { .table_name = "g", .key = csc_json(key), .absolute = true };
    csc_get_result_t res;
    csc_error_t err;
    ck_assert_int_eq(csc_get(E.h, &abs, &res, &err), CS_OK);
    ck_assert(res.found);
    ck_assert(cenv_json_eq(csc_row_json(&res.value), "{\"sid\":1,\"id\":1,\"name\":\"one\"}"));
    ck_assert(cenv_bytes_eq(&res.version, &v));
    ck_assert_int_gt(res.modification_time, 0);
    ck_assert_int_eq(res.expiration_time, 0);
    expect_consumed(&res.consumed, 1, 2, 0);
    csc_get_result_free(&res);
    /* eventual: half the read units (get.py testGetEventual) */
    csc_get_request_t ev = { .table_name = "g", .key = csc_json(key) };
    ck_assert_int_eq(csc_get(E.h, &ev, &res, &err), CS_OK);
    ck_assert(res.found);
    ck_assert_ptr_nonnull(res.version.data);
    expect_consumed(&res.consumed, 1, 1, 0);
    csc_get_result_free(&res);
    json_decref(key);

    /* missing row: not found, still 1 KB read (get.py testGetNonExisting) */
    key = cenv_json("{\"sid\": 2, \"id\": 2}");
    csc_get_request_t miss = { .table_name = "g", .key = csc_json(key), .absolute = true };
    ck_assert_int_eq(csc_get(E.h, &miss, &res, &err), CS_OK);
    ck_assert(!res.found);
    ck_assert_ptr_null(res.version.data);
    expect_consumed(&res.consumed, 1, 2, 0);
    csc_get_result_free(&res);
    json_decref(key);

    /* a 3 KB row costs 3 KB */
    char big[4096];
    snprintf(big, sizeof big, "{\"sid\": 1, \"id\": 3, \"name\": \"%02500d\"}", 7);
    cenv_put(E.h, "g", big, NULL);
    key = cenv_json("{\"sid\": 1, \"id\": 3}");
    csc_get_request_t b3 = { .table_name = "g", .key = csc_json(key), .absolute = true };
    ck_assert_int_eq(csc_get(E.h, &b3, &res, &err), CS_OK);
    expect_consumed(&res.consumed, 3, 6, 0);
    csc_get_result_free(&res);
    json_decref(key);

    /* key errors (get.py testGetSetIllegalKey*): partial, non-key field, wrong table */
    get_fails("g", "{\"sid\": 1}", CENV_ILLEGAL_ARGUMENT, "id");
    get_fails("g", "{\"id\": 1}", CENV_ILLEGAL_ARGUMENT, "sid");
    get_fails("g", "{\"sid\": 1, \"id\": 1, \"name\": \"x\"}", CENV_ILLEGAL_ARGUMENT, "name");
    get_fails("g", "{\"invalid_field\": \"key\"}", CENV_ILLEGAL_ARGUMENT, "invalid_field");
    get_fails("g", "{\"sid\": \"x\", \"id\": 1}", CENV_ILLEGAL_ARGUMENT, "sid");
    get_fails("IllegalTable", "{\"sid\": 1, \"id\": 1}", CENV_TABLE_NOT_FOUND, "IllegalTable");
    csc_bytes_free(&v);
}
END_TEST

/* ------------------------------------------------------------------------
 * Put options, versions, return row
 * ------------------------------------------------------------------------ */

START_TEST(test_put_options)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE p(id INTEGER, name STRING, PRIMARY KEY(id))", &LIM, NULL);
    const char *row1 = "{\"id\": 1, \"name\": \"first\"}";
    const char *row2 = "{\"id\": 1, \"name\": \"second\"}";
    csc_put_result_t pr;

    /* plain put: a version, 1 KB written, nothing read (put.py testPutNormal) */
    put_opts("p", row1, NULL, &pr);
    ck_assert(pr.success);
    ck_assert_ptr_nonnull(pr.version.data);
    ck_assert(!pr.existing.present);
    expect_consumed(&pr.consumed, 0, 0, 1);
    csc_bytes_t v1 = pr.version;
    pr.version.data = NULL;
    csc_put_result_free(&pr);
    csc_get_result_t gr;
    json_t *row = cenv_get(E.h, "p", "{\"id\": 1}", &gr);
    int64_t md1 = gr.modification_time;
    ck_assert(cenv_bytes_eq(&gr.version, &v1));
    json_decref(row);
    csc_get_result_free(&gr);

    /* if-absent on an existing row, return row: not written, the existing
     * row, version and modification time returned (testPutIfAbsent) */
    csc_put_request_t ia = { .option = CSC_PUT_IF_ABSENT, .return_row = true };
    put_opts("p", row2, &ia, &pr);
    ck_assert(!pr.success);
    ck_assert_ptr_null(pr.version.data);
    ck_assert(pr.existing.present);
    ck_assert(cenv_json_eq(csc_row_json(&pr.existing.existing_value), row1));
    ck_assert(cenv_bytes_eq(&pr.existing.existing_version, &v1));
    ck_assert_int_eq(pr.existing.existing_modification_time, md1);
    expect_consumed(&pr.consumed, 1, 2, 0);
    csc_put_result_free(&pr);
    /* the same without return row: no existing row */
    csc_put_request_t ia_norr = { .option = CSC_PUT_IF_ABSENT };
    put_opts("p", row2, &ia_norr, &pr);
    ck_assert(!pr.success);
    ck_assert(!pr.existing.present);
    csc_put_result_free(&pr);
    expect_row("p", "{\"id\": 1}", row1);

    /* if-absent on a new row: written, read 1 KB as well */
    put_opts("p", "{\"id\": 2, \"name\": \"two\"}", &ia, &pr);
    ck_assert(pr.success);
    ck_assert(!pr.existing.present);
    expect_consumed(&pr.consumed, 1, 2, 1);
    csc_put_result_free(&pr);

    /* if-present on a missing row: not written, no existing row (testPutIfPresent) */
    csc_put_request_t ip = { .option = CSC_PUT_IF_PRESENT, .return_row = true };
    put_opts("p", "{\"id\": 3, \"name\": \"three\"}", &ip, &pr);
    ck_assert(!pr.success);
    ck_assert(!pr.existing.present);
    expect_consumed(&pr.consumed, 1, 2, 0);
    csc_put_result_free(&pr);
    expect_no_row("p", "{\"id\": 3}");
    /* if-present on an existing row: written; serial version 4 returns no
     * existing row on success; 2 KB written (new + old) */
    put_opts("p", row2, &ip, &pr);
    ck_assert(pr.success);
    ck_assert(!pr.existing.present);
    expect_consumed(&pr.consumed, 1, 2, 2);
    csc_bytes_t v2 = pr.version;
    pr.version.data = NULL;
    csc_put_result_free(&pr);
    ck_assert(!cenv_bytes_eq(&v1, &v2));
    expect_row("p", "{\"id\": 1}", row2);

    /* if-version with the current version: written (testPutIfVersion) */
    const char *row3 = "{\"id\": 1, \"name\": \"third\"}";
    csc_put_request_t iv = { .option = CSC_PUT_IF_VERSION, .match_version = v2.data,
                             .match_version_len = v2.len, .return_row = true };
    put_opts("p", row3, &iv, &pr);
    ck_assert(pr.success);
    ck_assert(!pr.existing.present);
    expect_consumed(&pr.consumed, 1, 2, 2);
    csc_bytes_t v3 = pr.version;
    pr.version.data = NULL;
    csc_put_result_free(&pr);
    /* with a stale version: not written, the current row returned */
    put_opts("p", row1, &iv, &pr);
    ck_assert(!pr.success);
    ck_assert_ptr_null(pr.version.data);
    ck_assert(pr.existing.present);
    ck_assert(cenv_json_eq(csc_row_json(&pr.existing.existing_value), row3));
    ck_assert(cenv_bytes_eq(&pr.existing.existing_version, &v3));
    expect_consumed(&pr.consumed, 1, 2, 0);
    csc_put_result_free(&pr);
    /* a version that was never ours: no match, not an error */
    uint8_t junk[3] = { 1, 2, 3 };
    csc_put_request_t ivj = { .option = CSC_PUT_IF_VERSION, .match_version = junk,
                              .match_version_len = sizeof junk };
    put_opts("p", row1, &ivj, &pr);
    ck_assert(!pr.success);
    csc_put_result_free(&pr);
    /* if-version on a missing row */
    put_opts("p", "{\"id\": 9, \"name\": \"x\"}", &iv, &pr);
    ck_assert(!pr.success);
    csc_put_result_free(&pr);
    expect_no_row("p", "{\"id\": 9}");
    expect_row("p", "{\"id\": 1}", row3);

    /* every write makes a new version, even of the same value */
    put_opts("p", row3, NULL, &pr);
    ck_assert(pr.success);
    ck_assert(!cenv_bytes_eq(&pr.version, &v3));
    ck_assert(!cenv_bytes_eq(&pr.version, &v2));
    ck_assert(!cenv_bytes_eq(&pr.version, &v1));
    expect_consumed(&pr.consumed, 0, 0, 2);
    csc_put_result_free(&pr);

    csc_bytes_free(&v1);
    csc_bytes_free(&v2);
    csc_bytes_free(&v3);
}
END_TEST

START_TEST(test_put_exact_match)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE em(id INTEGER, a STRING, PRIMARY KEY(id))", &LIM, NULL);
    /* by default an unknown field is ignored (put.py testPutWithExactMatch) */
    cenv_put(E.h, "em", "{\"id\": 2, \"a\": \"x\", \"extra\": 5}", NULL);
    expect_row("em", "{\"id\": 2}", "{\"id\": 2, \"a\": \"x\"}");
    /* with exact match it is refused, naming the field, and nothing is written */
    put_fails("em", "{\"id\": 3, \"a\": \"x\", \"extra\": 5}", true, CENV_ILLEGAL_ARGUMENT,
              "extra");
    expect_no_row("em", "{\"id\": 3}");
    /* the exact columns are fine with exact match */
    json_t *row = cenv_json("{\"id\": 3, \"a\": \"y\"}");
    csc_put_request_t req = { .table_name = "em", .value = csc_json(row), .exact_match = true };
    csc_put_result_t pr;
    csc_error_t err;
    ck_assert_int_eq(csc_put(E.h, &req, &pr, &err), CS_OK);
    ck_assert(pr.success);
    csc_put_result_free(&pr);
    json_decref(row);
}
END_TEST

START_TEST(test_identity_and_uuid)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE ids(id LONG GENERATED ALWAYS AS IDENTITY (START WITH 10 "
                  "INCREMENT BY 5), name STRING, PRIMARY KEY(id))", &LIM, NULL);
    csc_put_result_t pr;
    /* generated values come back in "generated", as the column's type */
    int64_t want[] = { 10, 15, 20 };
    for (int i = 0; i < 3; i++) {
        char row[64];
        snprintf(row, sizeof row, "{\"name\": \"n%d\"}", i);
        put_opts("ids", row, NULL, &pr);
        ck_assert(pr.success);
        ck_assert_ptr_nonnull(pr.generated.nson);
        char *typed = cenv_typed(&pr.generated);
        char expect[64];
        snprintf(expect, sizeof expect, "{\"LONG\":%lld}", (long long)want[i]);
        ck_assert_msg(strcmp(typed, expect) == 0, "generated %s, expected %s", typed, expect);
        free(typed);
        csc_put_result_free(&pr);
    }
    expect_row("ids", "{\"id\": 15}", "{\"id\": 15, \"name\": \"n1\"}");
    /* GENERATED ALWAYS: giving a value is refused (put.py testPutWithIdentityColumn) */
    put_fails("ids", "{\"id\": 1, \"name\": \"x\"}", false, CENV_ILLEGAL_ARGUMENT, "id");

    /* BY DEFAULT: a given value is used (nothing generated), else one is made */
    cenv_ddl(E.h, "CREATE TABLE bydef(sid INTEGER, id INTEGER GENERATED BY DEFAULT AS "
                  "IDENTITY, name STRING, PRIMARY KEY(SHARD(sid), id))", &LIM, NULL);
    put_opts("bydef", "{\"sid\": 1, \"id\": 100, \"name\": \"given\"}", NULL, &pr);
    ck_assert(pr.success);
    ck_assert_ptr_null(pr.generated.nson);
    csc_put_result_free(&pr);
    put_opts("bydef", "{\"sid\": 1, \"name\": \"made\"}", NULL, &pr);
    ck_assert(pr.success);
    ck_assert_ptr_nonnull(pr.generated.nson);
    char *typed = cenv_typed(&pr.generated);
    ck_assert_str_eq(typed, "{\"INTEGER\":1}");
    free(typed);
    csc_put_result_free(&pr);
    expect_row("bydef", "{\"sid\": 1, \"id\": 1}", "{\"sid\": 1, \"id\": 1, \"name\": \"made\"}");
    expect_row("bydef", "{\"sid\": 1, \"id\": 100}",
               "{\"sid\": 1, \"id\": 100, \"name\": \"given\"}");

    /* UUID: a version 4 UUID string, usable as the key */
    cenv_ddl(E.h, "CREATE TABLE uu(u STRING AS UUID GENERATED BY DEFAULT, name STRING, "
                  "PRIMARY KEY(u))", &LIM, NULL);
    put_opts("uu", "{\"name\": \"x\"}", NULL, &pr);
    ck_assert(pr.success);
    json_t *gen = csc_row_json(&pr.generated);
    ck_assert_msg(json_is_string(gen), "generated %s", dump(gen));
    const char *u = json_string_value(gen);
    ck_assert_uint_eq(strlen(u), 36);
    ck_assert(u[8] == '-' && u[13] == '-' && u[14] == '4' && u[18] == '-' && u[23] == '-');
    for (const char *c = u; *c; c++)
        ck_assert_msg(*c == '-' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'),
                      "UUID %s", u);
    char key[128], want_row[160];
    snprintf(key, sizeof key, "{\"u\": \"%s\"}", u);
    snprintf(want_row, sizeof want_row, "{\"u\": \"%s\", \"name\": \"x\"}", u);
    expect_row("uu", key, want_row);
    csc_put_result_t pr2;
    put_opts("uu", "{\"name\": \"y\"}", NULL, &pr2);
    ck_assert_str_ne(json_string_value(csc_row_json(&pr2.generated)), u);
    csc_put_result_free(&pr2);
    csc_put_result_free(&pr);
    /* a given UUID is used; one that is not a UUID is refused */
    put_opts("uu", "{\"u\": \"0f5a8a5e-3b8f-4b59-9a51-2a3c9a1d7e11\", \"name\": \"given\"}", NULL,
             &pr);
    ck_assert(pr.success);
    ck_assert_ptr_null(pr.generated.nson);
    csc_put_result_free(&pr);
    put_fails("uu", "{\"u\": \"not-a-uuid\", \"name\": \"bad\"}", false, CENV_ILLEGAL_ARGUMENT,
              "u");
}
END_TEST

/* ------------------------------------------------------------------------
 * TTL under a moved clock
 * ------------------------------------------------------------------------ */

static int64_t expiration_of(const char *table, const char *key_json)
{
    csc_get_result_t gr;
    json_t *row = cenv_get(E.h, table, key_json, &gr);
    ck_assert_msg(row != NULL, "%s %s: no row", table, key_json);
    int64_t xp = gr.expiration_time;
    json_decref(row);
    csc_get_result_free(&gr);
    return xp;
}

START_TEST(test_ttl)
{
    senv_start(&E, NULL);
    int64_t t0 = cenv_utc_ms(2025, 3, 10, 10, 30, 0);
    clock_set(t0);
    cenv_ddl(E.h, "CREATE TABLE tt(id INTEGER, s STRING, PRIMARY KEY(id)) USING TTL 3 DAYS",
             &LIM, NULL);
    cenv_ddl(E.h, "CREATE TABLE nottl(id INTEGER, PRIMARY KEY(id))", &LIM, NULL);
    csc_put_result_t pr;

    /* the table default: write time + 3 days, rounded up to the next day */
    cenv_put(E.h, "tt", "{\"id\": 1, \"s\": \"a\"}", NULL);
    ck_assert_int_eq(expiration_of("tt", "{\"id\": 1}"), cenv_utc_ms(2025, 3, 14, 0, 0, 0));
    /* the modification time is the server's (moved) clock */
    csc_get_result_t gr;
    json_t *row = cenv_get(E.h, "tt", "{\"id\": 1}", &gr);
    ck_assert_int_eq(gr.modification_time, t0);
    json_decref(row);
    csc_get_result_free(&gr);
    /* no table TTL: never expires */
    cenv_put(E.h, "nottl", "{\"id\": 1}", NULL);
    ck_assert_int_eq(expiration_of("nottl", "{\"id\": 1}"), 0);

    /* hours: rounded up to the next hour */
    csc_put_request_t h5 = { .ttl = "5 HOURS" };
    put_opts("tt", "{\"id\": 2, \"s\": \"b\"}", &h5, &pr);
    ck_assert(pr.success);
    csc_put_result_free(&pr);
    ck_assert_int_eq(expiration_of("tt", "{\"id\": 2}"), cenv_utc_ms(2025, 3, 10, 16, 0, 0));
    /* days */
    csc_put_request_t d2 = { .ttl = "2 DAYS" };
    put_opts("nottl", "{\"id\": 2}", &d2, &pr);
    csc_put_result_free(&pr);
    ck_assert_int_eq(expiration_of("nottl", "{\"id\": 2}"), cenv_utc_ms(2025, 3, 13, 0, 0, 0));
    /* 0 days: never expires, even in a table with a default TTL (testPutNormal) */
    csc_put_request_t d0 = { .ttl = "0 DAYS" };
    put_opts("tt", "{\"id\": 3, \"s\": \"c\"}", &d0, &pr);
    csc_put_result_free(&pr);
    ck_assert_int_eq(expiration_of("tt", "{\"id\": 3}"), 0);

    /* an update without a TTL keeps the row's expiration */
    clock_set(t0 + HOUR_MS);
    cenv_put(E.h, "tt", "{\"id\": 2, \"s\": \"b2\"}", NULL);
    ck_assert_int_eq(expiration_of("tt", "{\"id\": 2}"), cenv_utc_ms(2025, 3, 10, 16, 0, 0));
    /* ... and with "use the table default TTL" takes the table's, from now */
    csc_put_request_t udef = { .use_table_default_ttl = true, .option = CSC_PUT_IF_PRESENT };
    put_opts("tt", "{\"id\": 2, \"s\": \"b3\"}", &udef, &pr);
    ck_assert(pr.success);
    csc_put_result_free(&pr);
    ck_assert_int_eq(expiration_of("tt", "{\"id\": 2}"), cenv_utc_ms(2025, 3, 14, 0, 0, 0));
    /* an update with a TTL sets it from now: 11:30 + 1 h -> 13:00 */
    csc_put_request_t h1 = { .ttl = "1 HOURS" };
    put_opts("tt", "{\"id\": 1, \"s\": \"a2\"}", &h1, &pr);
    csc_put_result_free(&pr);
    ck_assert_int_eq(expiration_of("tt", "{\"id\": 1}"), cenv_utc_ms(2025, 3, 10, 13, 0, 0));

    /* expired rows are invisible: Get, conditional puts, Delete, MultiDelete */
    clock_set(cenv_utc_ms(2025, 3, 10, 13, 0, 1));
    expect_no_row("tt", "{\"id\": 1}");
    expect_row("tt", "{\"id\": 2}", "{\"id\": 2, \"s\": \"b3\"}");
    expect_row("tt", "{\"id\": 3}", "{\"id\": 3, \"s\": \"c\"}");
    csc_put_request_t ip = { .option = CSC_PUT_IF_PRESENT };
    put_opts("tt", "{\"id\": 1, \"s\": \"back?\"}", &ip, &pr);
    ck_assert(!pr.success);
    csc_put_result_free(&pr);
    csc_delete_result_t dr;
    ck_assert(!delete_row("tt", "{\"id\": 1}", NULL, false, &dr));
    csc_delete_result_free(&dr);
    csc_put_request_t ia = { .option = CSC_PUT_IF_ABSENT, .return_row = true };
    put_opts("tt", "{\"id\": 1, \"s\": \"new\"}", &ia, &pr);
    ck_assert(pr.success);
    ck_assert(!pr.existing.present);
    csc_put_result_free(&pr);
    expect_row("tt", "{\"id\": 1}", "{\"id\": 1, \"s\": \"new\"}");
    /* days later: the 3-day rows are gone too, the never-expiring one stays */
    clock_set(cenv_utc_ms(2025, 3, 14, 0, 0, 0));
    expect_no_row("tt", "{\"id\": 2}");
    expect_row("tt", "{\"id\": 3}", "{\"id\": 3, \"s\": \"c\"}");
    expect_no_row("nottl", "{\"id\": 2}");
    expect_row("nottl", "{\"id\": 1}", "{\"id\": 1}");

    /* a TTL the service does not know is refused */
    json_t *bad = cenv_json("{\"id\": 5}");
    csc_put_request_t bt = { .table_name = "tt", .value = csc_json(bad), .ttl = "5 WEEKS" };
    csc_error_t err;
    CENV_FAILS(csc_put(E.h, &bt, &pr, &err), &err, CENV_ILLEGAL_ARGUMENT, "TTL");
    json_decref(bad);
}
END_TEST

/* ------------------------------------------------------------------------
 * Delete
 * ------------------------------------------------------------------------ */

START_TEST(test_delete)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE d(id INTEGER, s STRING, PRIMARY KEY(id))", &LIM, NULL);
    const char *row = "{\"id\": 1, \"s\": \"x\"}";
    csc_bytes_t v_old, v;
    cenv_put(E.h, "d", row, &v_old);
    cenv_put(E.h, "d", row, &v);
    csc_delete_result_t dr;

    /* if-version with a stale version: not deleted; with return row, the
     * current row and version (delete.py testDeleteIfVersionWithReturnRow) */
    ck_assert(!delete_row("d", "{\"id\": 1}", &v_old, true, &dr));
    ck_assert(dr.existing.present);
    ck_assert(cenv_json_eq(csc_row_json(&dr.existing.existing_value), row));
    ck_assert(cenv_bytes_eq(&dr.existing.existing_version, &v));
    expect_consumed(&dr.consumed, 1, 2, 0);
    csc_delete_result_free(&dr);
    /* without return row: nothing returned */
    ck_assert(!delete_row("d", "{\"id\": 1}", &v_old, false, &dr));
    ck_assert(!dr.existing.present);
    csc_delete_result_free(&dr);
    expect_row("d", "{\"id\": 1}", row);
    /* with the current version: deleted (no existing row at serial version 4) */
    ck_assert(delete_row("d", "{\"id\": 1}", &v, true, &dr));
    ck_assert(!dr.existing.present);
    expect_consumed(&dr.consumed, 1, 2, 1);
    csc_delete_result_free(&dr);
    expect_no_row("d", "{\"id\": 1}");

    /* plain delete: true once, then false (delete.py testDeleteNonExisting) */
    cenv_put(E.h, "d", row, NULL);
    ck_assert(delete_row("d", "{\"id\": 1}", NULL, true, &dr));
    expect_consumed(&dr.consumed, 1, 2, 1);
    csc_delete_result_free(&dr);
    ck_assert(!delete_row("d", "{\"id\": 1}", NULL, true, &dr));
    ck_assert(!dr.existing.present);
    expect_consumed(&dr.consumed, 1, 2, 0);
    csc_delete_result_free(&dr);

    /* a deleted and re-put row has a new version */
    csc_bytes_t v_new;
    cenv_put(E.h, "d", row, &v_new);
    ck_assert(!cenv_bytes_eq(&v_new, &v));
    ck_assert(!cenv_bytes_eq(&v_new, &v_old));

    /* errors: bad key, missing table */
    json_t *key = cenv_json("{\"invalid_field\": \"key\"}");
    csc_delete_request_t bad = { .table_name = "d", .key = csc_json(key) };
    csc_error_t err;
    CENV_FAILS(csc_delete(E.h, &bad, &dr, &err), &err, CENV_ILLEGAL_ARGUMENT, "invalid_field");
    json_decref(key);
    key = cenv_json("{\"id\": 1}");
    csc_delete_request_t nt = { .table_name = "IllegalTable", .key = csc_json(key) };
    CENV_FAILS(csc_delete(E.h, &nt, &dr, &err), &err, CENV_TABLE_NOT_FOUND, "IllegalTable");
    json_decref(key);
    csc_bytes_free(&v_old);
    csc_bytes_free(&v);
    csc_bytes_free(&v_new);
}
END_TEST

/* ------------------------------------------------------------------------
 * WriteMultiple
 * ------------------------------------------------------------------------ */

#define WM_DDL "CREATE TABLE wm(sid INTEGER, id INTEGER, name STRING, PRIMARY KEY(SHARD(sid), id))"

typedef struct wm_fixture {
    char rows[2][6][96];        /* [sid][id] the row as put */
    char new_rows[2][6][96];    /* the same rows with another name */
    char keys[2][6][48];
    json_t *jrows[2][6], *jnew[2][6], *jkeys[2][6];
    csc_bytes_t versions[2][6];
} wm_fixture_t;

static void wm_setup(wm_fixture_t *f)
{
    cenv_ddl(E.h, WM_DDL, &LIM, NULL);
    cenv_ddl(E.h, "CREATE TABLE wm.kid(kid INTEGER, kname STRING, PRIMARY KEY(kid))", NULL,
             NULL);
    for (int sk = 0; sk < 2; sk++) {
        for (int i = 0; i < 6; i++) {
            snprintf(f->rows[sk][i], sizeof f->rows[sk][i],
                     "{\"sid\": %d, \"id\": %d, \"name\": \"row_%d_%d\"}", sk, i, sk, i);
            snprintf(f->new_rows[sk][i], sizeof f->new_rows[sk][i],
                     "{\"sid\": %d, \"id\": %d, \"name\": \"new_%d_%d\"}", sk, i, sk, i);
            snprintf(f->keys[sk][i], sizeof f->keys[sk][i], "{\"sid\": %d, \"id\": %d}", sk, i);
            f->jrows[sk][i] = cenv_json(f->rows[sk][i]);
            f->jnew[sk][i] = cenv_json(f->new_rows[sk][i]);
            f->jkeys[sk][i] = cenv_json(f->keys[sk][i]);
            cenv_put(E.h, "wm", f->rows[sk][i], &f->versions[sk][i]);
        }
    }
}

static void wm_free(wm_fixture_t *f)
{
    for (int sk = 0; sk < 2; sk++)
        for (int i = 0; i < 6; i++) {
            json_decref(f->jrows[sk][i]);
            json_decref(f->jnew[sk][i]);
            json_decref(f->jkeys[sk][i]);
            csc_bytes_free(&f->versions[sk][i]);
        }
}

/* The six operations of borneo's write_multiple.py on shard key 0:
 * put, put-if-absent (fails), put-if-present, put-if-version (matches),
 * delete, delete-if-version (stale: fails); all with return row. */
static void wm_sdk_ops(wm_fixture_t *f, csc_write_op_t ops[6], bool abort)
{
    memset(ops, 0, 6 * sizeof *ops);
    for (int i = 0; i < 6; i++) {
        ops[i].abort_if_unsuccessful = abort;
        ops[i].put.table_name = "wm";
        ops[i].put.return_row = true;
        ops[i].put.value = csc_json(f->jnew[0][i]);
        ops[i].del.table_name = "wm";
        ops[i].del.return_row = true;
        ops[i].del.key = csc_json(f->jkeys[0][i]);
    }
    ops[0].put.ttl = "1 HOURS";
    ops[1].put.option = CSC_PUT_IF_ABSENT;
    ops[1].put.ttl = "1 HOURS";
    ops[2].put.option = CSC_PUT_IF_PRESENT;
    ops[2].put.use_table_default_ttl = true;
    ops[3].put.option = CSC_PUT_IF_VERSION;
    ops[3].put.match_version = f->versions[0][3].data;
    ops[3].put.match_version_len = f->versions[0][3].len;
    ops[3].put.ttl = "1 HOURS";
    ops[4].is_delete = true;
    ops[5].is_delete = true;
    ops[5].del.match_version = f->versions[0][0].data;
    ops[5].del.match_version_len = f->versions[0][0].len;
}

static void expect_existing(const csc_operation_result_t *r, const json_t *row,
                            const csc_bytes_t *version)
{
    ck_assert(r->existing.present);
    ck_assert_msg(json_equal(csc_row_json(&r->existing.existing_value), (json_t *)row),
                  "existing %s", dump(csc_row_json(&r->existing.existing_value)));
    ck_assert(cenv_bytes_eq(&r->existing.existing_version, version));
}

START_TEST(test_write_multiple)
{
    senv_start(&E, NULL);
    wm_fixture_t f;
    wm_setup(&f);
    csc_write_op_t ops[6];
    wm_sdk_ops(&f, ops, false);
    csc_write_multiple_request_t req = { .ops = ops, .num_ops = 6 };
    csc_write_multiple_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_write_multiple(E.h, &req, &res, &err) == CS_OK, "%s", err.e.msg);

    /* per-op results (write_multiple.py testWriteMultipleNormal) */
    ck_assert_int_eq(res.failed_operation_index, -1);
    ck_assert_uint_eq(res.num_results, 6);
    for (int i = 0; i < 6; i++) {
        const csc_operation_result_t *r = &res.results[i];
        bool ok = i != 1 && i != 5;
        ck_assert_msg(r->success == ok, "op %d success %d", i, r->success);
        bool versioned = i <= 3 && ok;
        ck_assert_msg((r->version.data != NULL) == versioned, "op %d version", i);
        ck_assert_ptr_null(r->generated.nson);
        if (i == 1 || i == 5)
            expect_existing(r, f.jrows[0][i], &f.versions[0][i]);
        else
            ck_assert_msg(!r->existing.present, "op %d has an existing row", i);
    }
    expect_consumed(&res.consumed, 5, 10, 7);
    csc_write_multiple_result_free(&res);

    /* the rows afterwards: shard 1 untouched, ops 1 and 5 had no effect */
    for (int sk = 0; sk < 2; sk++)
        for (int i = 0; i < 6; i++) {
            csc_get_result_t gr;
            json_t *row = cenv_get(E.h, "wm", f.keys[sk][i], &gr);
            if (sk == 0 && i == 4) {
                ck_assert_ptr_null(row);
            } else if (sk == 1 || i == 1 || i == 5) {
                ck_assert_msg(json_equal(row, f.jrows[sk][i]), "%d/%d: %s", sk, i, dump(row));
                ck_assert(cenv_bytes_eq(&gr.version, &f.versions[sk][i]));
            } else {
                ck_assert_msg(json_equal(row, f.jnew[sk][i]), "%d/%d: %s", sk, i, dump(row));
                ck_assert(!cenv_bytes_eq(&gr.version, &f.versions[sk][i]));
            }
            json_decref(row);
            csc_get_result_free(&gr);
        }
    wm_free(&f);
}
END_TEST

START_TEST(test_write_multiple_abort)
{
    senv_start(&E, NULL);
    wm_fixture_t f;
    wm_setup(&f);
    csc_write_op_t ops[6];
    wm_sdk_ops(&f, ops, true);
    csc_write_multiple_request_t req = { .ops = ops, .num_ops = 6 };
    csc_write_multiple_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_write_multiple(E.h, &req, &res, &err) == CS_OK, "%s", err.e.msg);
    /* op 1 (put-if-absent) fails and aborts: its result alone, with the
     * existing row (testWriteMultipleAbortIfUnsuccessful) */
    ck_assert_int_eq(res.failed_operation_index, 1);
    ck_assert_uint_eq(res.num_results, 1);
    ck_assert(!res.results[0].success);
    ck_assert_ptr_null(res.results[0].version.data);
    expect_existing(&res.results[0], f.jrows[0][1], &f.versions[0][1]);
    expect_consumed(&res.consumed, 1, 2, 2);
    csc_write_multiple_result_free(&res);
    /* rolled back: op 0's put did not stay */
    for (int sk = 0; sk < 2; sk++)
        for (int i = 0; i < 6; i++) {
            csc_get_result_t gr;
            json_t *row = cenv_get(E.h, "wm", f.keys[sk][i], &gr);
            ck_assert_msg(json_equal(row, f.jrows[sk][i]), "%d/%d: %s", sk, i, dump(row));
            ck_assert(cenv_bytes_eq(&gr.version, &f.versions[sk][i]));
            json_decref(row);
            csc_get_result_free(&gr);
        }

    /* an op that fails without abort does not stop the others */
    ops[1].abort_if_unsuccessful = false;
    ops[5].abort_if_unsuccessful = false;
    ck_assert_int_eq(csc_write_multiple(E.h, &req, &res, &err), CS_OK);
    ck_assert_int_eq(res.failed_operation_index, -1);
    ck_assert_uint_eq(res.num_results, 6);
    csc_write_multiple_result_free(&res);
    expect_row("wm", f.keys[0][0], f.new_rows[0][0]);
    wm_free(&f);
}
END_TEST

START_TEST(test_write_multiple_parent_child)
{
    senv_start(&E, NULL);
    wm_fixture_t f;
    wm_setup(&f);
    /* parent and child rows of one shard key in one batch (testWriteMultipleChild) */
    csc_write_op_t ops[12];
    json_t *vals[12];
    memset(ops, 0, sizeof ops);
    for (int i = 0; i < 6; i++) {
        char p[128], c[160];
        snprintf(p, sizeof p, "{\"sid\": 1, \"id\": %d, \"name\": \"str_%d\"}", i, i);
        snprintf(c, sizeof c, "{\"sid\": 1, \"id\": %d, \"kid\": %d, \"kname\": \"name_%d\"}", i,
                 i, i);
        vals[2 * i] = cenv_json(p);
        vals[2 * i + 1] = cenv_json(c);
        ops[2 * i].put = (csc_put_request_t){ .table_name = "wm", .value = csc_json(vals[2 * i]),
                                              .ttl = "1 HOURS", .return_row = true };
        ops[2 * i + 1].put = (csc_put_request_t){ .table_name = "wm.kid",
                                                  .value = csc_json(vals[2 * i + 1]),
                                                  .ttl = "1 HOURS", .return_row = true };
        ops[2 * i].abort_if_unsuccessful = ops[2 * i + 1].abort_if_unsuccessful = true;
    }
    csc_write_multiple_request_t req = { .ops = ops, .num_ops = 12 };
    csc_write_multiple_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_write_multiple(E.h, &req, &res, &err) == CS_OK, "%s (code %d)", err.e.msg,
                  err.proto_code);
    ck_assert_int_eq(res.failed_operation_index, -1);
    ck_assert_uint_eq(res.num_results, 12);
    for (size_t i = 0; i < 12; i++) {
        ck_assert(res.results[i].success);
        ck_assert_ptr_nonnull(res.results[i].version.data);
        ck_assert(!res.results[i].existing.present);
    }
    csc_write_multiple_result_free(&res);
    for (int i = 0; i < 6; i++) {
        char k[64], want[128];
        snprintf(k, sizeof k, "{\"sid\": 1, \"id\": %d, \"kid\": %d}", i, i);
        snprintf(want, sizeof want, "{\"sid\": 1, \"id\": %d, \"kid\": %d, \"kname\": "
                                    "\"name_%d\"}", i, i, i);
        expect_row("wm.kid", k, want);
        snprintf(k, sizeof k, "{\"sid\": 1, \"id\": %d}", i);
        snprintf(want, sizeof want, "{\"sid\": 1, \"id\": %d, \"name\": \"str_%d\"}", i, i);
        expect_row("wm", k, want);
    }
    /* a parent's rows and its children's are separate rows: deleting
     * the parent's does not touch the children */
    csc_delete_result_t dr;
    ck_assert(delete_row("wm", "{\"sid\": 1, \"id\": 0}", NULL, false, &dr));
    csc_delete_result_free(&dr);
    expect_row("wm.kid", "{\"sid\": 1, \"id\": 0, \"kid\": 0}",
               "{\"sid\": 1, \"id\": 0, \"kid\": 0, \"kname\": \"name_0\"}");
    json_t *shard = cenv_json("{\"sid\": 1}");
    csc_multi_delete_request_t mdr = { .table_name = "wm", .key = csc_json(shard) };
    csc_multi_delete_result_t mres;
    ck_assert_int_eq(csc_multi_delete(E.h, &mdr, &mres, &err), CS_OK);
    ck_assert_int_eq(mres.num_deletions, 5);
    csc_multi_delete_result_free(&mres);
    expect_row("wm.kid", "{\"sid\": 1, \"id\": 5, \"kid\": 5}",
               "{\"sid\": 1, \"id\": 5, \"kid\": 5, \"kname\": \"name_5\"}");
    expect_row("wm", f.keys[0][0], f.rows[0][0]);
    mdr.table_name = "wm.kid";
    ck_assert_int_eq(csc_multi_delete(E.h, &mdr, &mres, &err), CS_OK);
    ck_assert_int_eq(mres.num_deletions, 6);
    csc_multi_delete_result_free(&mres);
    expect_no_row("wm.kid", "{\"sid\": 1, \"id\": 5, \"kid\": 5}");
    json_decref(shard);

    /* children only (testWriteMultipleChildrenOnly): a single-table batch on the child */
    csc_write_op_t kids[6];
    for (int i = 0; i < 6; i++)
        kids[i] = ops[2 * i + 1];
    req.ops = kids;
    req.num_ops = 6;
    ck_assert_int_eq(csc_write_multiple(E.h, &req, &res, &err), CS_OK);
    ck_assert_uint_eq(res.num_results, 6);
    csc_write_multiple_result_free(&res);
    for (int i = 0; i < 12; i++)
        json_decref(vals[i]);
    wm_free(&f);
}
END_TEST

/* A WriteMultiple payload built by hand, for what the client refuses to send. */
static cs_err_t raw_write_multiple(const char *header_table, const char *const *op_tables,
                                   const char *const *rows, size_t n, csc_error_t *err)
{
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "no", (int32_t)n);
    nson_w_key(&w, "os");
    nson_w_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        nson_w_map_begin(&w);
        if (op_tables)
            nson_w_kv_string(&w, "n", op_tables[i]);
        nson_w_kv_int(&w, "o", OP_PUT);
        nson_w_key(&w, "l");
        json_t *row = cenv_json(rows[i]);
        cs_error_t e;
        cs_error_clear(&e);
        ck_assert_int_eq(nson_json_write_plain(&w, row, &e), CS_OK);
        json_decref(row);
        nson_w_kv_bool(&w, "rr", false);
        nson_w_kv_bool(&w, "a", true);
        nson_w_map_end(&w);
    }
    nson_w_array_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    csc_header_t hdr = { .op = OP_WRITE_MULTIPLE, .table_name = header_table,
                         .omit_topo_seq = true };
    csc_reply_t reply;
    cs_err_t rc = csc_send(E.h, &hdr, b.data, b.len, &reply, err);
    csc_reply_free(&reply);
    buf_free(&b);
    return rc;
}

START_TEST(test_write_multiple_errors)
{
    senv_start(&E, NULL);
    wm_fixture_t f;
    wm_setup(&f);
    cenv_ddl(E.h, "CREATE TABLE other(sid INTEGER, id INTEGER, PRIMARY KEY(SHARD(sid), id))",
             &LIM, NULL);
    csc_write_multiple_result_t res;
    csc_error_t err;

    /* different shard keys (testWriteMultipleAddIllegalRequest...): refused,
     * nothing written */
    csc_write_op_t two[2];
    memset(two, 0, sizeof two);
    two[0].put = (csc_put_request_t){ .table_name = "wm", .value = csc_json(f.jnew[0][0]) };
    two[0].abort_if_unsuccessful = true;
    two[1].is_delete = true;
    two[1].del = (csc_delete_request_t){ .table_name = "wm", .key = csc_json(f.jkeys[1][0]) };
    csc_write_multiple_request_t req = { .ops = two, .num_ops = 2 };
    CENV_FAILS(csc_write_multiple(E.h, &req, &res, &err), &err, CENV_ILLEGAL_ARGUMENT, "shard");
    expect_row("wm", f.keys[0][0], f.rows[0][0]);
    expect_row("wm", f.keys[1][0], f.rows[1][0]);

    /* a row error inside the batch fails the whole request, naming the field */
    json_t *bad = cenv_json("{\"sid\": 0, \"id\": \"x\", \"name\": \"bad\"}");
    two[1].is_delete = false;
    two[1].put = (csc_put_request_t){ .table_name = "wm", .value = csc_json(bad) };
    CENV_FAILS(csc_write_multiple(E.h, &req, &res, &err), &err, CENV_ILLEGAL_ARGUMENT, "id");
    expect_row("wm", f.keys[0][0], f.rows[0][0]);
    json_decref(bad);

    /* a missing table */
    two[0].put.table_name = "nosuch";
    two[1].put = two[0].put;
    CENV_FAILS(csc_write_multiple(E.h, &req, &res, &err), &err, CENV_TABLE_NOT_FOUND, "nosuch");

    /* 50 operations are fine, 51 are BATCH_OP_NUMBER_LIMIT_EXCEEDED */
    csc_write_op_t many[51];
    json_t *rows[51];
    memset(many, 0, sizeof many);
    for (int i = 0; i < 51; i++) {
        char r[96];
        snprintf(r, sizeof r, "{\"sid\": 7, \"id\": %d, \"name\": \"m%d\"}", i, i);
        rows[i] = cenv_json(r);
        many[i].put = (csc_put_request_t){ .table_name = "wm", .value = csc_json(rows[i]) };
    }
    csc_write_multiple_request_t r51 = { .ops = many, .num_ops = 51 };
    CENV_FAILS(csc_write_multiple(E.h, &r51, &res, &err), &err,
               CENV_BATCH_OP_NUMBER_LIMIT_EXCEEDED, "50");
    expect_no_row("wm", "{\"sid\": 7, \"id\": 0}");
    csc_write_multiple_request_t r50 = { .ops = many, .num_ops = 50 };
    ck_assert_int_eq(csc_write_multiple(E.h, &r50, &res, &err), CS_OK);
    ck_assert_uint_eq(res.num_results, 50);
    csc_write_multiple_result_free(&res);
    expect_row("wm", "{\"sid\": 7, \"id\": 49}", "{\"sid\": 7, \"id\": 49, \"name\": \"m49\"}");
    for (int i = 0; i < 51; i++)
        json_decref(rows[i]);

    /* what the client refuses to send, the server refuses too: tables of
     * two hierarchies, and no operations at all */
    const char *tables[] = { "wm", "other" };
    const char *rws[] = { "{\"sid\": 0, \"id\": 0, \"name\": \"x\"}", "{\"sid\": 0, \"id\": 1}" };
    CENV_FAILS(raw_write_multiple(NULL, tables, rws, 2, &err), &err, CENV_ILLEGAL_ARGUMENT,
               "other");
    expect_row("wm", f.keys[0][0], f.rows[0][0]);
    CENV_FAILS(raw_write_multiple("wm", NULL, rws, 0, &err), &err, CENV_ILLEGAL_ARGUMENT, "");
    wm_free(&f);
}
END_TEST

START_TEST(test_write_multiple_identity)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE wid(sid INTEGER, id LONG GENERATED ALWAYS AS IDENTITY, "
                  "name STRING, PRIMARY KEY(SHARD(sid), id))", &LIM, NULL);
    /* testWriteMultipleWithIdentityColumn: ten puts, increasing generated ids */
    json_t *row = cenv_json("{\"name\": \"myname\", \"sid\": 1}");
    csc_write_op_t ops[10];
    memset(ops, 0, sizeof ops);
    for (int i = 0; i < 10; i++)
        ops[i].put = (csc_put_request_t){ .table_name = "wid", .value = csc_json(row),
                                          .identity_cache_size = i };
    csc_write_multiple_request_t req = { .ops = ops, .num_ops = 10 };
    csc_write_multiple_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_write_multiple(E.h, &req, &res, &err) == CS_OK, "%s", err.e.msg);
    ck_assert_uint_eq(res.num_results, 10);
    long long last = 0;
    for (int i = 0; i < 10; i++) {
        json_t *g = csc_row_json(&res.results[i].generated);
        ck_assert_msg(json_is_integer(g), "op %d generated %s", i, dump(g));
        ck_assert_int_gt(json_integer_value(g), last);
        last = json_integer_value(g);
        char k[64], want[96];
        snprintf(k, sizeof k, "{\"sid\": 1, \"id\": %lld}", last);
        snprintf(want, sizeof want, "{\"sid\": 1, \"id\": %lld, \"name\": \"myname\"}", last);
        expect_row("wid", k, want);
    }
    expect_consumed(&res.consumed, 0, 0, 10);
    csc_write_multiple_result_free(&res);
    json_decref(row);
}
END_TEST

/* ------------------------------------------------------------------------
 * MultiDelete
 * ------------------------------------------------------------------------ */

static void md_fill(void)
{
    for (int sk = 0; sk < 2; sk++)
        for (int i = 0; i < 6; i++) {
            char r[96];
            snprintf(r, sizeof r, "{\"sid\": %d, \"id\": %d, \"s\": \"v\"}", sk, i);
            cenv_put(E.h, "md", r, NULL);
        }
}

/* The ids of shard key sk that exist, as "0,1,5". */
static void md_ids(int sk, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < 6; i++) {
        char k[64];
        snprintf(k, sizeof k, "{\"sid\": %d, \"id\": %d}", sk, i);
        json_t *row = cenv_get(E.h, "md", k, NULL);
        if (row)
            used += (size_t)snprintf(out + used, cap - used, "%s%d", used ? "," : "", i);
        json_decref(row);
    }
}

static int multi_delete(const char *key_json, const csc_field_range_t *range, int max_kb,
                        const csc_bytes_t *cont, csc_multi_delete_result_t *res)
{
    json_t *key = cenv_json(key_json);
    csc_multi_delete_request_t req = { .table_name = "md", .key = csc_json(key), .range = range,
                                       .max_write_kb = max_kb };
    if (cont) {
        req.continuation_key = cont->data;
        req.continuation_key_len = cont->len;
    }
    csc_error_t err;
    cs_err_t rc = csc_multi_delete(E.h, &req, res, &err);
    ck_assert_msg(rc == CS_OK, "multi delete %s: %s (code %d)", key_json, err.e.msg,
                  err.proto_code);
    json_decref(key);
    return res->num_deletions;
}

static void md_range_case(const char *start, bool start_incl, const char *end, bool end_incl,
                          const char *left)
{
    json_t *js = start ? cenv_json(start) : NULL, *je = end ? cenv_json(end) : NULL;
    csc_field_range_t rg = { .field_path = "id", .start_inclusive = start_incl,
                             .end_inclusive = end_incl };
    if (js)
        rg.start = csc_json(js);
    if (je)
        rg.end = csc_json(je);
    csc_multi_delete_result_t res;
    multi_delete("{\"sid\": 1}", &rg, 0, NULL, &res);
    char ids[64];
    md_ids(1, ids, sizeof ids);
    ck_assert_msg(strcmp(ids, left) == 0, "range %s%s, %s%s left %s, expected %s",
                  start_incl ? "[" : "(", start ? start : "-", end ? end : "-",
                  end_incl ? "]" : ")", ids, left);
    int gone = 0;
    for (const char *p = left; *p; p++)
        gone += *p == ',';
    ck_assert_int_eq(res.num_deletions, 6 - (left[0] ? gone + 1 : 0));
    ck_assert_ptr_null(res.continuation_key.data);
    csc_multi_delete_result_free(&res);
    md_ids(0, ids, sizeof ids);
    ck_assert_str_eq(ids, "0,1,2,3,4,5");
    json_decref(js);
    json_decref(je);
    md_fill();
}

START_TEST(test_multi_delete)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE md(sid INTEGER, id INTEGER, s STRING, "
                  "PRIMARY KEY(SHARD(sid), id)) USING TTL 1 HOURS", &LIM, NULL);
    md_fill();
    char ids[64];

    /* the whole shard key (multi_delete.py testMultiDeleteNormal) */
    csc_multi_delete_result_t res;
    ck_assert_int_eq(multi_delete("{\"sid\": 1}", NULL, 0, NULL, &res), 6);
    ck_assert_ptr_null(res.continuation_key.data);
    expect_consumed(&res.consumed, 6, 12, 6);
    csc_multi_delete_result_free(&res);
    md_ids(1, ids, sizeof ids);
    ck_assert_str_eq(ids, "");
    md_ids(0, ids, sizeof ids);
    ck_assert_str_eq(ids, "0,1,2,3,4,5");
    /* nothing left: 0 deleted, still 1 KB read */
    ck_assert_int_eq(multi_delete("{\"sid\": 1}", NULL, 0, NULL, &res), 0);
    expect_consumed(&res.consumed, 1, 2, 0);
    csc_multi_delete_result_free(&res);
    md_fill();

    /* ranges on the next key column, each bound inclusive or exclusive */
    md_range_case("0", false, "4", true, "0,5");   /* testMultiDeleteWithRange */
    md_range_case("2", true, "4", false, "0,1,4,5");
    md_range_case("2", false, "4", false, "0,1,2,4,5");
    md_range_case("2", true, "4", true, "0,1,5");
    md_range_case("3", false, NULL, false, "0,1,2,3");
    md_range_case(NULL, false, "2", true, "3,4,5");
    md_range_case(NULL, false, "2", false, "2,3,4,5");

    /* a full primary key deletes that row */
    ck_assert_int_eq(multi_delete("{\"sid\": 1, \"id\": 3}", NULL, 0, NULL, &res), 1);
    csc_multi_delete_result_free(&res);
    md_ids(1, ids, sizeof ids);
    ck_assert_str_eq(ids, "0,1,2,4,5");
    md_fill();

    /* max write KB 2: two rows, and a continuation key (testMultiDeleteWithMaxWriteKb) */
    ck_assert_int_eq(multi_delete("{\"sid\": 1}", NULL, 2, NULL, &res), 2);
    ck_assert_ptr_nonnull(res.continuation_key.data);
    expect_consumed(&res.consumed, 2, 4, 2);
    csc_multi_delete_result_free(&res);
    md_ids(1, ids, sizeof ids);
    ck_assert_str_eq(ids, "2,3,4,5");
    md_fill();

    /* continuation (testMultiDeleteWithContinuationKey): 3 + 3 + 0 in three calls */
    csc_bytes_t ck = { 0 };
    int calls = 0, total = 0;
    for (;;) {
        int n = multi_delete("{\"sid\": 1}", NULL, 3, ck.data ? &ck : NULL, &res);
        calls++;
        total += n;
        ck_assert_int_eq(n, calls <= 2 ? 3 : 0);
        expect_consumed(&res.consumed, n ? n : 1, 2 * (n ? n : 1), n);
        csc_bytes_free(&ck);
        ck = res.continuation_key;
        res.continuation_key.data = NULL;
        csc_multi_delete_result_free(&res);
        md_ids(1, ids, sizeof ids);
        ck_assert_str_eq(ids, calls == 1 ? "3,4,5" : "");
        if (!ck.data || calls > 5)
            break;
    }
    ck_assert_int_eq(calls, 3);
    ck_assert_int_eq(total, 6);
    md_ids(0, ids, sizeof ids);
    ck_assert_str_eq(ids, "0,1,2,3,4,5");
}
END_TEST

static void md_fails(const char *table, const char *key_json, const csc_field_range_t *rg,
                     int max_kb, int code, const char *needle)
{
    json_t *key = cenv_json(key_json);
    csc_multi_delete_request_t req = { .table_name = table, .key = csc_json(key), .range = rg,
                                       .max_write_kb = max_kb };
    csc_multi_delete_result_t res;
    csc_error_t err;
    CENV_FAILS(csc_multi_delete(E.h, &req, &res, &err), &err, code, needle);
    json_decref(key);
}

START_TEST(test_multi_delete_errors)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE md(sid INTEGER, id INTEGER, s STRING, l LONG, "
                  "PRIMARY KEY(SHARD(sid), id))", &LIM, NULL);
    md_fill();
    /* the shard key is required (testMultiDeleteSetIllegalKey) */
    md_fails("md", "{\"id\": 1}", NULL, 0, CENV_ILLEGAL_ARGUMENT, "sid");
    md_fails("md", "{\"l\": 2147483648}", NULL, 0, CENV_ILLEGAL_ARGUMENT, "l");
    md_fails("md", "{}", NULL, 0, CENV_ILLEGAL_ARGUMENT, "sid");
    md_fails("IllegalTable", "{\"sid\": 1}", NULL, 0, CENV_TABLE_NOT_FOUND, "IllegalTable");
    /* bad ranges (testMultiDeleteSetIllegalRange): no bounds, on the shard
     * key already given, on a non-key column */
    csc_field_range_t none = { .field_path = "sid" };
    md_fails("md", "{\"sid\": 1}", &none, 0, CENV_ILLEGAL_ARGUMENT, "sid");
    json_t *two = cenv_json("2");
    csc_field_range_t on_shard = { .field_path = "sid", .start = csc_json(two),
                                   .start_inclusive = true };
    md_fails("md", "{\"sid\": 1}", &on_shard, 0, CENV_ILLEGAL_ARGUMENT, "sid");
    json_t *big = cenv_json("2147483648");
    csc_field_range_t non_key = { .field_path = "l", .start = csc_json(big),
                                  .start_inclusive = true };
    md_fails("md", "{\"sid\": 1}", &non_key, 0, CENV_ILLEGAL_ARGUMENT, "l");
    /* a bound of the wrong type */
    json_t *str = cenv_json("\"x\"");
    csc_field_range_t bad_type = { .field_path = "id", .start = csc_json(str),
                                   .start_inclusive = true };
    md_fails("md", "{\"sid\": 1}", &bad_type, 0, CENV_ILLEGAL_ARGUMENT, "id");
    /* over the service's 2048 KB write limit */
    md_fails("md", "{\"sid\": 1}", NULL, 4096, CENV_ILLEGAL_ARGUMENT, "2048");
    json_decref(two);
    json_decref(big);
    json_decref(str);
    /* nothing was deleted by any of them */
    char ids[64];
    md_ids(1, ids, sizeof ids);
    ck_assert_str_eq(ids, "0,1,2,3,4,5");
}
END_TEST

/* ------------------------------------------------------------------------
 * row checks and size limits
 * ------------------------------------------------------------------------ */

START_TEST(test_row_errors)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, TYPES_DDL, &LIM, NULL);
    const int IA = CENV_ILLEGAL_ARGUMENT;
    /* missing or null key field */
    put_fails("types", "{\"l\": 1}", false, IA, "id");
    put_fails("types", "{\"id\": null}", false, IA, "id");
    /* wrong types */
    put_fails("types", "{\"id\": 1, \"s\": 5}", false, IA, "s");
    put_fails("types", "{\"id\": 1, \"l\": \"abc\"}", false, IA, "l");
    put_fails("types", "{\"id\": 1, \"a\": \"notarray\"}", false, IA, "a");
    put_fails("types", "{\"id\": 1, \"a\": [1, \"x\"]}", false, IA, "a");
    put_fails("types", "{\"id\": 1, \"m\": {\"k\": 5}}", false, IA, "m");
    put_fails("types", "{\"id\": 1, \"r\": {\"x\": \"nolong\"}}", false, IA, "x");
    put_fails("types", "{\"id\": \"one\"}", false, IA, "id");
    put_fails("types", "{\"id\": 1, \"ts\": \"yesterday\"}", false, IA, "ts");
    put_fails("types", "{\"id\": 1, \"bin\": \"%%%not base64\"}", false, IA, "bin");
    /* out of range */
    put_fails("types", "{\"id\": 1099511627776}", false, IA, "id");
    put_fails("types", "{\"id\": 1, \"f\": 1e300}", false, IA, "f");
    put_fails("types", "{\"id\": 1.5}", false, IA, "id");
    /* unknown field with exact match */
    put_fails("types", "{\"id\": 1, \"nosuch\": 1}", true, IA, "nosuch");
    put_fails("types", "{\"id\": 1, \"r\": {\"x\": 1, \"z\": 2}}", true, IA, "z");
    /* NOT NULL */
    put_fails("types", "{\"id\": 1, \"nn\": null}", false, IA, "nn");
    /* ENUM symbols are case-sensitive */
    put_fails("types", "{\"id\": 1, \"e\": \"purple\"}", false, IA, "e");
    put_fails("types", "{\"id\": 1, \"e\": \"RED\"}", false, IA, "e");
    /* FIXED_BINARY size */
    put_typed_fails("types", "{\"MAP\":[[\"id\",{\"INTEGER\":1}],[\"fb\",{\"BINARY\":\"010203\"}]]}",
                    IA, "fb");
    put_typed_fails("types",
                    "{\"MAP\":[[\"id\",{\"INTEGER\":1}],[\"fb\",{\"BINARY\":\"0102030405\"}]]}", IA,
                    "fb");
    /* EMPTY inside a value */
    put_typed_fails("types", "{\"MAP\":[[\"id\",{\"INTEGER\":1}],[\"a\",{\"ARRAY\":[{\"EMPTY\":"
                             "null}]}]]}", IA, "a");
    /* none of them wrote a row */
    expect_no_row("types", "{\"id\": 1}");
    /* a put to a missing table */
    put_fails("IllegalTable", "{\"id\": 1}", false, CENV_TABLE_NOT_FOUND, "IllegalTable");
}
END_TEST

static char *long_string_row(const char *fmt, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    s[n] = '\0';
    char *row = NULL;
    ck_assert_int_ge(asprintf(&row, fmt, s), 0);
    free(s);
    return row;
}

START_TEST(test_size_limits)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE big(id INTEGER, s STRING, PRIMARY KEY(id))", &LIM, NULL);
    cenv_ddl(E.h, "CREATE TABLE kt(k STRING, PRIMARY KEY(k))", &LIM, NULL);

    /* 500 KB is fine; its 500 KB are what a read costs */
    char *row = long_string_row("{\"id\": 1, \"s\": \"%s\"}", 500 * 1024);
    csc_put_result_t pr;
    put_opts("big", row, NULL, &pr);
    ck_assert(pr.success);
    ck_assert_int_ge(pr.consumed.write_kb, 500);
    ck_assert_int_le(pr.consumed.write_kb, 501);
    csc_put_result_free(&pr);
    free(row);
    /* a row over 512 KB: ROW_SIZE_LIMIT_EXCEEDED */
    row = long_string_row("{\"id\": 2, \"s\": \"%s\"}", 600 * 1024);
    put_fails("big", row, false, CENV_ROW_SIZE_LIMIT_EXCEEDED, "");
    free(row);
    expect_no_row("big", "{\"id\": 2}");
    /* a request over 2 MB: REQUEST_SIZE_LIMIT_EXCEEDED (put.py testPutSetLargeSizeValue) */
    row = long_string_row("{\"id\": 3, \"s\": \"%s\"}", 2 * 1024 * 1024 + 10);
    put_fails("big", row, false, CENV_REQUEST_SIZE_LIMIT_EXCEEDED, "");
    free(row);
    expect_no_row("big", "{\"id\": 3}");

    /* a key far over any limit: KEY_SIZE_LIMIT_EXCEEDED, for Put and Get */
    row = long_string_row("{\"k\": \"%s\"}", 1000);
    put_fails("kt", row, false, CENV_KEY_SIZE_LIMIT_EXCEEDED, "");
    json_t *key = cenv_json(row);
    csc_get_request_t g = { .table_name = "kt", .key = csc_json(key) };
    csc_get_result_t gr;
    csc_error_t err;
    cs_err_t rc = csc_get(E.h, &g, &gr, &err);
    /* a Get of such a key finds nothing or is refused the same way */
    if (rc == CS_OK) {
        ck_assert(!gr.found);
        csc_get_result_free(&gr);
    } else {
        ck_assert_int_eq(err.proto_code, CENV_KEY_SIZE_LIMIT_EXCEEDED);
    }
    json_decref(key);
    free(row);
    /* small keys are fine */
    cenv_put(E.h, "kt", "{\"k\": \"0123456789012345678901234567890123456789\"}", NULL);
}
END_TEST

/* The service's primary key limit is 64 bytes (proxy RequestLimits
 * PRIMARY_KEY_SIZE_LIMIT, also the cloud simulator's; Java SDK
 * BinaryProtocol.KEY_SIZE_LIMIT). */
START_TEST(test_key_size_limit_64_bytes)
{
    senv_start(&E, NULL);
    cenv_ddl(E.h, "CREATE TABLE kt(k STRING, PRIMARY KEY(k))", &LIM, NULL);
    char *row = long_string_row("{\"k\": \"%s\"}", 60);
    cenv_put(E.h, "kt", row, NULL);
    free(row);
    row = long_string_row("{\"k\": \"%s\"}", 100);
    put_fails("kt", row, false, CENV_KEY_SIZE_LIMIT_EXCEEDED, "");
    free(row);
}
END_TEST

/* ------------------------------------------------------------------------
 * restart
 * ------------------------------------------------------------------------ */

START_TEST(test_restart_keeps_rows)
{
    senv_start(&E, NULL);
    int64_t t0 = cenv_utc_ms(2025, 6, 1, 8, 15, 0);
    clock_set(t0);
    cenv_ddl(E.h, TYPES_DDL, &LIM, NULL);
    cenv_ddl(E.h, "CREATE TABLE rs(sid INTEGER, id LONG GENERATED ALWAYS AS IDENTITY, "
                  "name STRING, PRIMARY KEY(SHARD(sid), id)) USING TTL 2 DAYS", &LIM, NULL);
    cenv_ddl(E.h, "CREATE TABLE rs.kid(k INTEGER, PRIMARY KEY(k))", NULL, NULL);
    cenv_put(E.h, "types", "{\"id\": 1, \"l\": 1099511627776, \"n\": 1.25, \"s\": \"x\", "
                           "\"bin\": \"AQID\", \"ts\": \"2024-01-02T03:04:05.678\", "
                           "\"j\": {\"a\": [1, null]}, \"m\": {\"k\": \"v\"}}", NULL);
    csc_put_result_t pr;
    for (int i = 0; i < 3; i++) {
        put_opts("rs", "{\"sid\": 1, \"name\": \"gen\"}", NULL, &pr);
        csc_put_result_free(&pr);
    }
    cenv_put(E.h, "rs.kid", "{\"sid\": 1, \"id\": 1, \"k\": 9}", NULL);
    csc_put_request_t h1 = { .ttl = "1 HOURS" };
    put_opts("types", "{\"id\": 2}", &h1, &pr);
    csc_put_result_free(&pr);
    cenv_put(E.h, "types", "{\"id\": 3}", NULL);
    csc_delete_result_t dr;
    ck_assert(delete_row("types", "{\"id\": 3}", NULL, false, &dr));
    csc_delete_result_free(&dr);

    /* what a Get shows, before */
    const char *tables[] = { "types", "types", "rs", "rs", "rs", "rs.kid" };
    const char *keys[] = { "{\"id\": 1}", "{\"id\": 2}", "{\"sid\": 1, \"id\": 1}",
                           "{\"sid\": 1, \"id\": 2}", "{\"sid\": 1, \"id\": 3}",
                           "{\"sid\": 1, \"id\": 1, \"k\": 9}" };
    char *before[6];
    csc_bytes_t versions[6];
    int64_t md[6], xp[6];
    for (int i = 0; i < 6; i++) {
        csc_get_result_t gr;
        json_t *row = cenv_get(E.h, tables[i], keys[i], &gr);
        ck_assert_msg(row != NULL, "%s %s missing", tables[i], keys[i]);
        before[i] = cenv_typed(&gr.value);
        versions[i] = gr.version;
        gr.version.data = NULL;
        md[i] = gr.modification_time;
        xp[i] = gr.expiration_time;
        json_decref(row);
        csc_get_result_free(&gr);
    }
    ck_assert_int_eq(xp[2], cenv_utc_ms(2025, 6, 4, 0, 0, 0));

    senv_restart(&E);
    clock_set(t0);

    /* the same rows, versions, times; deleted rows stay deleted */
    for (int i = 0; i < 6; i++) {
        csc_get_result_t gr;
        json_t *row = cenv_get(E.h, tables[i], keys[i], &gr);
        ck_assert_msg(row != NULL, "%s %s lost in the restart", tables[i], keys[i]);
        char *after = cenv_typed(&gr.value);
        ck_assert_msg(strcmp(before[i], after) == 0, "%s %s:\n%s\n%s", tables[i], keys[i],
                      before[i], after);
        ck_assert(cenv_bytes_eq(&gr.version, &versions[i]));
        ck_assert_int_eq(gr.modification_time, md[i]);
        ck_assert_int_eq(gr.expiration_time, xp[i]);
        free(after);
        free(before[i]);
        csc_bytes_free(&versions[i]);
        json_decref(row);
        csc_get_result_free(&gr);
    }
    expect_no_row("types", "{\"id\": 3}");
    /* the identity sequence goes on where it was, never reusing a value */
    put_opts("rs", "{\"sid\": 1, \"name\": \"after\"}", NULL, &pr);
    ck_assert_int_eq(json_integer_value(csc_row_json(&pr.generated)), 4);
    csc_put_result_free(&pr);
    /* TTL still applies after the restart */
    clock_set(t0 + 2 * HOUR_MS);
    expect_no_row("types", "{\"id\": 2}");
    json_t *still = cenv_get(E.h, "types", "{\"id\": 1}", NULL);
    ck_assert_ptr_nonnull(still);
    json_decref(still);
}
END_TEST

static Suite *client_rows_suite(void)
{
    Suite *s = suite_create("client_rows");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_every_type_round_trip);
    tcase_add_test(core, test_get);
    tcase_add_test(core, test_put_options);
    tcase_add_test(core, test_put_exact_match);
    tcase_add_test(core, test_identity_and_uuid);
    tcase_add_test(core, test_ttl);
    tcase_add_test(core, test_delete);
    tcase_add_test(core, test_write_multiple);
    tcase_add_test(core, test_write_multiple_abort);
    tcase_add_test(core, test_write_multiple_parent_child);
    tcase_add_test(core, test_write_multiple_identity);
    tcase_add_test(core, test_multi_delete);
    suite_add_tcase(s, core);

    TCase *errors = tcase_create("Errors");
    tcase_add_checked_fixture(errors, NULL, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, test_row_errors);
    tcase_add_test(errors, test_write_multiple_errors);
    tcase_add_test(errors, test_multi_delete_errors);
    tcase_add_test(errors, test_size_limits);
    tcase_add_test(errors, test_key_size_limit_64_bytes);
    suite_add_tcase(s, errors);

    TCase *restart = tcase_create("Restart");
    tcase_add_checked_fixture(restart, NULL, teardown);
    tcase_set_timeout(restart, 60);
    tcase_add_test(restart, test_restart_keeps_rows);
    suite_add_tcase(s, restart);
    return s;
}

int main(void)
{
    setenv("CSEMU_LOG_LEVEL", "error", 0); /* the refused requests are expected */
    return senv_main(client_rows_suite());
}
