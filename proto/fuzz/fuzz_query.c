/*
 * fuzz_query.c - libFuzzer harness for the query parser and evaluator
 * (proto/query.h).
 *
 * Input: statement text, optionally followed by a NUL byte and the NSON
 * bytes of a row (else a fixed row is used). The statement is parsed,
 * checked against a fixed schema, bound without variables and, when that
 * succeeds, filtered, projected and sort-keyed against the row.
 *
 * Contract checked on every input: nothing crashes; every failure is one a
 * user may see (CS_EINVAL, CS_ENOTSUP, CS_ENOMEM, CS_EPROTO) with a
 * message; a successful projection is well-formed NSON. A violated contract
 * calls abort() so libFuzzer and the plain replay build (replay_main.c)
 * both report it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "nson_json.h"
#include "query.h"
#include "schema.h"

#define FUZZ_ARENA_CEILING (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const cs_error_t *err)
{
    fprintf(stderr, "fuzz_query: contract violated: %s (%s)\n", what, err ? err->msg : "");
    abort();
}

static void expect_user_error(cs_err_t rc, const cs_error_t *err)
{
    if (rc != CS_EINVAL && rc != CS_ENOTSUP && rc != CS_ENOMEM && rc != CS_EPROTO)
        fail("unexpected error code", err);
    if (err->msg[0] == '\0')
        fail("error without a message", err);
}

static schema_t *schema(void)
{
    static schema_t *s;
    if (s)
        return s;
    ddl_stmt_t *st;
    cs_error_t e;
    if (ddl_parse("CREATE TABLE t (id INTEGER, sk STRING, name STRING, age INTEGER, "
                  "score DOUBLE, amount NUMBER, ts TIMESTAMP(3), flag BOOLEAN, info JSON, "
                  "tags ARRAY(STRING), attrs MAP(INTEGER), rec RECORD(a INTEGER, b STRING), "
                  "bin BINARY, PRIMARY KEY(SHARD(sk), id))", &st, &e) != CS_OK)
        fail("test schema does not parse", &e);
    s = schema_create(st, NULL, &e);
    ddl_free(st);
    if (!s)
        fail("test schema is refused", &e);
    return s;
}

static const char DEFAULT_ROW[] =
    "{\"id\": 1, \"sk\": \"a\", \"name\": \"jo\", \"age\": null, \"score\": 1.5, "
    "\"info\": {\"a\": {\"b\": [1, 2, {\"c\": \"x\"}]}, \"n\": null}, \"tags\": [\"t\"], "
    "\"attrs\": {\"k\": 3}, \"rec\": {\"a\": 1, \"b\": \"y\"}, \"flag\": true}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t a, scratch;
    cs_error_t err;
    arena_init(&a, FUZZ_ARENA_CEILING);
    arena_init(&scratch, FUZZ_ARENA_CEILING);
    cs_error_clear(&err);

    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    nson_value_t *row = NULL;
    if (nul && (size_t)(nul - data) + 1 < size) {
        row = nson_decode(&a, nul + 1, size - text_len - 1, false, &err);
    } else {
        json_error_t je;
        json_t *j = json_loads(DEFAULT_ROW, 0, &je);
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (!j || nson_json_encode_plain(j, &bytes, &len, &err) != CS_OK)
            fail("default row does not encode", &err);
        row = nson_decode(&a, bytes, len, false, &err);
        free(bytes);
        json_decref(j);
        if (!row)
            fail("default row does not decode", &err);
    }

    query_t *q = NULL;
    cs_error_clear(&err);
    cs_err_t rc = query_parse(&a, (const char *)data, text_len, &q, &err);
    if (rc == CS_OK && !query_table(q))
        fail("parsed query without a table", &err);
    if (rc == CS_OK)
        rc = query_check(q, schema(), &err);
    if (rc == CS_OK)
        rc = query_bind(q, NULL, &err);
    if (rc != CS_OK) {
        expect_user_error(rc, &err);
    } else if (row) {
        query_exec_t x;
        query_exec_info(q, &x);
        bool match;
        rc = query_filter(q, &scratch, row, &match, &err);
        if (rc != CS_OK)
            expect_user_error(rc, &err);
        buf_t b;
        buf_init(&b, 0);
        nson_writer_t w;
        nson_writer_init(&w, &b);
        if (x.count_star)
            query_write_count(q, 3, &w);
        else
            rc = query_project(q, &scratch, row, &w, &err);
        if (rc != CS_OK) {
            expect_user_error(rc, &err);
        } else {
            if (!nson_writer_ok(&w))
                fail("projection writer failed", NULL);
            if (!nson_decode(&scratch, b.data, b.len, false, &err) && err.code != CS_ENOMEM)
                fail("projection is not NSON", &err);
        }
        if (x.sort) {
            buf_reset(&b);
            nson_writer_init(&w, &b);
            rc = query_sort_key(q, &scratch, row, &w, &err);
            if (rc != CS_OK) {
                expect_user_error(rc, &err);
            } else {
                nson_value_t *k = nson_decode(&scratch, b.data, b.len, false, &err);
                if (!k && err.code != CS_ENOMEM)
                    fail("sort key is not NSON", &err);
                if (k && query_sort_cmp(q, k, k) != 0)
                    fail("a sort key does not equal itself", NULL);
            }
        }
        buf_t d;
        buf_init(&d, 1u << 20);
        query_describe(q, &d);
        buf_free(&d);
        buf_free(&b);
    }
    arena_free(&scratch);
    arena_free(&a);
    return 0;
}
