/* client_env.c - asserting helpers of the table/row/tenancy suites (see client_env.h). */
#include "client_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "nson.h"
#include "nson_json.h"

void cenv_expect_fail(const char *what, cs_err_t rc, const csc_error_t *err, int code,
                      const char *const *needles)
{
    ck_assert_msg(rc != CS_OK, "%s: succeeded, expected error code %d", what, code);
    ck_assert_msg(err->proto_code == code, "%s: expected error code %d, got code %d (cs %d): %s",
                  what, code, err->proto_code, (int)rc, err->e.msg);
    for (size_t i = 0; needles && needles[i]; i++)
        ck_assert_msg(strcasestr(err->e.msg, needles[i]) != NULL,
                      "%s: error message \"%s\" does not mention \"%s\"", what, err->e.msg,
                      needles[i]);
}

json_t *cenv_json(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, je.text);
    return j;
}

bool cenv_json_eq(const json_t *have, const char *want)
{
    json_t *w = cenv_json(want);
    bool eq = json_equal((json_t *)have, w);
    json_decref(w);
    return eq;
}

cs_err_t cenv_try_ddl(csc_handle_t *h, const char *stmt, const csc_table_limits_t *limits,
                      csc_table_result_t *res, csc_error_t *err)
{
    csc_table_result_t local;
    csc_table_result_t *r = res ? res : &local;
    csc_table_request_t req = { .statement = stmt, .limits = limits };
    cs_err_t rc = csc_do_table_request(h, &req, 20000, 50, r, err);
    if (rc != CS_OK || !res)
        csc_table_result_free(r);
    return rc;
}

void cenv_ddl(csc_handle_t *h, const char *stmt, const csc_table_limits_t *limits,
              csc_table_result_t *res)
{
    csc_error_t err;
    csc_table_result_t local;
    csc_table_result_t *r = res ? res : &local;
    cs_err_t rc = cenv_try_ddl(h, stmt, limits, r, &err);
    ck_assert_msg(rc == CS_OK, "%s: %s (cs %d, code %d)", stmt, err.e.msg, (int)rc,
                  err.proto_code);
    ck_assert_msg(r->state == CSC_TABLE_ACTIVE || r->state == CSC_TABLE_DROPPED,
                  "%s: state %d after waiting", stmt, r->state);
    if (!res)
        csc_table_result_free(r);
}

void cenv_get_table(csc_handle_t *h, const char *name, csc_table_result_t *res)
{
    csc_get_table_request_t req = { .table_name = name };
    csc_error_t err;
    cs_err_t rc = csc_get_table(h, &req, res, &err);
    ck_assert_msg(rc == CS_OK, "GetTable %s: %s (code %d)", name, err.e.msg, err.proto_code);
}

void cenv_put(csc_handle_t *h, const char *table, const char *row_json, csc_bytes_t *version)
{
    json_t *row = cenv_json(row_json);
    csc_put_request_t req = { .table_name = table, .value = csc_json(row) };
    csc_put_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_put(h, &req, &res, &err);
    ck_assert_msg(rc == CS_OK, "put %s into %s: %s (code %d)", row_json, table, err.e.msg,
                  err.proto_code);
    ck_assert_msg(res.success, "put %s into %s was not written", row_json, table);
    if (version) {
        *version = res.version;
        res.version.data = NULL;
    }
    csc_put_result_free(&res);
    json_decref(row);
}

json_t *cenv_get(csc_handle_t *h, const char *table, const char *key_json, csc_get_result_t *res)
{
    json_t *key = cenv_json(key_json);
    csc_get_request_t req = { .table_name = table, .key = csc_json(key), .absolute = true };
    csc_get_result_t local;
    csc_get_result_t *r = res ? res : &local;
    csc_error_t err;
    cs_err_t rc = csc_get(h, &req, r, &err);
    ck_assert_msg(rc == CS_OK, "get %s from %s: %s (code %d)", key_json, table, err.e.msg,
                  err.proto_code);
    json_t *row = r->found ? json_incref(csc_row_json(&r->value)) : NULL;
    if (!res)
        csc_get_result_free(r);
    json_decref(key);
    return row;
}

/* Decode a returned row's bytes (asserts they are one NSON value). */
static json_t *typed_tree(const csc_row_t *row)
{
    ck_assert_msg(row->nson != NULL, "row has no NSON bytes");
    arena_t a;
    arena_init(&a, 64u << 20);
    cs_error_t err;
    cs_error_clear(&err);
    nson_value_t *v = nson_decode(&a, row->nson, row->nson_len, false, &err);
    ck_assert_msg(v != NULL, "row bytes do not decode: %s", err.msg);
    json_t *t = nson_json_render_typed(v);
    arena_free(&a);
    ck_assert_ptr_nonnull(t);
    return t;
}

char *cenv_typed(const csc_row_t *row)
{
    json_t *t = typed_tree(row);
    char *s = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    ck_assert_ptr_nonnull(s);
    return s;
}

json_t *cenv_typed_column(const csc_row_t *row, const char *column)
{
    json_t *t = typed_tree(row);
    json_t *entries = json_object_get(t, "MAP");
    ck_assert_msg(json_is_array(entries), "row is not a MAP");
    json_t *found = NULL;
    size_t i;
    json_t *kv;
    json_array_foreach(entries, i, kv) {
        if (strcmp(json_string_value(json_array_get(kv, 0)), column) == 0)
            found = json_incref(json_array_get(kv, 1));
    }
    json_decref(t);
    return found;
}

bool cenv_bytes_eq(const csc_bytes_t *a, const csc_bytes_t *b)
{
    return a->data && b->data && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

int64_t cenv_utc_ms(int year, int month, int day, int hour, int min, int sec)
{
    /* days from civil (Howard Hinnant's algorithm), no time zone involved */
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int mp = (month + 9) % 12;
    int doy = (153 * mp + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    return ((days * 24 + hour) * 60 + min) * 60000LL + sec * 1000LL;
}
