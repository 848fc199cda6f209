/*
 * check_nson_json.c - proto/nson_json.h: the typed-tree convention of the
 * golden vectors and the plain JSON a person types into the CLI.
 * (Every vector also goes through the typed functions in check_vectors.c.)
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nson.h"
#include "nson_json.h"

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    ck_assert_msg(j != NULL, "%s: %s", text, je.text);
    return j;
}

/* plain JSON text -> NSON -> typed JSON, compared with `typed` text */
static void plain_to_typed(const char *plain, const char *typed)
{
    json_t *p = parse(plain), *want = parse(typed);
    uint8_t *enc;
    size_t n;
    cs_error_t err;
    ck_assert_msg(nson_json_encode_plain(p, &enc, &n, &err) == CS_OK, "%s", err.msg);
    arena_t a;
    arena_init(&a, 1 << 16);
    nson_value_t *v = nson_decode(&a, enc, n, false, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    json_t *got = nson_json_render_typed(v);
    char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_msg(json_equal(got, want), "%s -> %s, want %s", plain, g, typed);
    free(g);
    json_decref(got);
    arena_free(&a);
    free(enc);
    json_decref(p);
    json_decref(want);
}

/* typed JSON text -> NSON -> plain JSON, compared with `plain` text */
static void typed_to_plain(const char *typed, const char *plain)
{
    json_t *t = parse(typed), *want = parse(plain);
    uint8_t *enc;
    size_t n;
    cs_error_t err;
    ck_assert_msg(nson_json_encode_typed(t, &enc, &n, &err) == CS_OK, "%s", err.msg);
    arena_t a;
    arena_init(&a, 1 << 16);
    nson_value_t *v = nson_decode(&a, enc, n, false, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    json_t *got = nson_json_render_plain(v);
    char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_msg(json_equal(got, want), "%s -> %s, want %s", typed, g, plain);
    free(g);
    json_decref(got);
    arena_free(&a);
    free(enc);
    json_decref(t);
    json_decref(want);
}

START_TEST(test_plain_in)
{
    plain_to_typed("{\"id\": 1, \"big\": 2147483648, \"neg\": -2147483648, \"low\": -2147483649,"
                   " \"d\": 1.5, \"t\": true, \"f\": false, \"n\": null, \"s\": \"h\\u00e9\","
                   " \"a\": [1, \"x\"], \"m\": {}}",
                   "{\"MAP\": [[\"id\", {\"INTEGER\": 1}], [\"big\", {\"LONG\": 2147483648}],"
                   " [\"neg\", {\"INTEGER\": -2147483648}], [\"low\", {\"LONG\": -2147483649}],"
                   " [\"d\", {\"DOUBLE\": 1.5}], [\"t\", {\"BOOLEAN\": true}],"
                   " [\"f\", {\"BOOLEAN\": false}], [\"n\", {\"NULL\": null}],"
                   " [\"s\", {\"STRING\": \"h\\u00e9\"}],"
                   " [\"a\", {\"ARRAY\": [{\"INTEGER\": 1}, {\"STRING\": \"x\"}]}],"
                   " [\"m\", {\"MAP\": []}]]}");
    /* key order is the order typed (a row's column order) */
    plain_to_typed("{\"z\": 1, \"a\": 2}",
                   "{\"MAP\": [[\"z\", {\"INTEGER\": 1}], [\"a\", {\"INTEGER\": 2}]]}");
    plain_to_typed("9223372036854775807", "{\"LONG\": 9223372036854775807}");
    plain_to_typed("\"\"", "{\"STRING\": \"\"}");
}
END_TEST

START_TEST(test_plain_out)
{
    typed_to_plain("{\"MAP\": [[\"bin\", {\"BINARY\": \"0001feff\"}], [\"e\", {\"BINARY\": \"\"}],"
                   " [\"b1\", {\"BINARY\": \"61\"}], [\"b2\", {\"BINARY\": \"6162\"}],"
                   " [\"bn\", {\"BINARY\": null}],"
                   " [\"ts\", {\"TIMESTAMP\": \"2026-01-02T03:04:05.123Z\"}],"
                   " [\"num\", {\"NUMBER\": \"12345678901234567890.125\"}],"
                   " [\"jn\", {\"JSON_NULL\": null}], [\"nn\", {\"NULL\": null}],"
                   " [\"em\", {\"EMPTY\": null}], [\"sn\", {\"STRING\": null}],"
                   " [\"l\", {\"LONG\": 1767225600000}], [\"i\", {\"INTEGER\": -5}],"
                   " [\"nan\", {\"DOUBLE\": \"NaN\"}], [\"inf\", {\"DOUBLE\": \"-Infinity\"}],"
                   " [\"arr\", {\"ARRAY\": [{\"BOOLEAN\": true}, {\"DOUBLE\": 3.25}]}]]}",
                   "{\"bin\": \"AAH+/w==\", \"e\": \"\", \"b1\": \"YQ==\", \"b2\": \"YWI=\","
                   " \"bn\": null, \"ts\": \"2026-01-02T03:04:05.123Z\","
                   " \"num\": \"12345678901234567890.125\", \"jn\": null, \"nn\": null,"
                   " \"em\": null, \"sn\": null, \"l\": 1767225600000, \"i\": -5,"
                   " \"nan\": \"NaN\", \"inf\": \"-Infinity\", \"arr\": [true, 3.25]}");
    /* duplicate keys: the last one wins */
    typed_to_plain("{\"MAP\": [[\"co\", {\"INTEGER\": 1}], [\"co\", {\"INTEGER\": 2}]]}",
                   "{\"co\": 2}");
}
END_TEST

START_TEST(test_typed_special_doubles)
{
    json_t *t = parse("{\"ARRAY\": [{\"DOUBLE\": \"NaN\"}, {\"DOUBLE\": \"Infinity\"},"
                      " {\"DOUBLE\": \"-Infinity\"}, {\"DOUBLE\": 2}]}");
    uint8_t *enc;
    size_t n;
    cs_error_t err;
    ck_assert_int_eq(nson_json_encode_typed(t, &enc, &n, &err), CS_OK);
    arena_t a;
    arena_init(&a, 1 << 16);
    nson_value_t *v = nson_decode(&a, enc, n, false, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert(isnan(v->u.arr.items[0]->u.d));
    ck_assert(isinf(v->u.arr.items[1]->u.d) && v->u.arr.items[1]->u.d > 0);
    ck_assert(isinf(v->u.arr.items[2]->u.d) && v->u.arr.items[2]->u.d < 0);
    ck_assert(v->u.arr.items[3]->u.d == 2.0);
    json_t *back = nson_json_render_typed(v);
    json_t *want = parse("{\"ARRAY\": [{\"DOUBLE\": \"NaN\"}, {\"DOUBLE\": \"Infinity\"},"
                         " {\"DOUBLE\": \"-Infinity\"}, {\"DOUBLE\": 2.0}]}");
    ck_assert(json_equal(back, want));
    json_decref(back);
    json_decref(want);
    arena_free(&a);
    free(enc);
    json_decref(t);
}
END_TEST

START_TEST(test_typed_rejects)
{
    static const char *const bad[] = {
        "{}",
        "{\"INTEGER\": 1, \"LONG\": 2}",
        "{\"FOO\": 1}",
        "{\"INTEGER\": 2147483648}",
        "{\"INTEGER\": 1.5}",
        "{\"LONG\": \"1\"}",
        "{\"BINARY\": \"abc\"}",
        "{\"BINARY\": \"zz\"}",
        "{\"BOOLEAN\": 1}",
        "{\"DOUBLE\": \"nan\"}",
        "{\"STRING\": 5}",
        "{\"NULL\": 0}",
        "{\"MAP\": [[\"k\"]]}",
        "{\"MAP\": [[1, {\"NULL\": null}]]}",
        "{\"MAP\": {\"k\": 1}}",
        "{\"ARRAY\": [1]}",
        "[1]",
        "{\"MAP\": [[\"ok\", {\"NULL\": null}], [\"deep\", {\"ARRAY\": [{\"INTEGER\": \"x\"}]}]]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *t = parse(bad[i]);
        uint8_t *enc = NULL;
        size_t n = 0;
        cs_error_t err;
        cs_error_clear(&err);
        ck_assert_msg(nson_json_encode_typed(t, &enc, &n, &err) == CS_EINVAL, "%s accepted", bad[i]);
        ck_assert_ptr_null(enc);
        ck_assert(strstr(err.msg, "typed NSON JSON at ") != NULL);
        json_decref(t);
    }
    /* the message names where it went wrong */
    json_t *t = parse(bad[sizeof bad / sizeof *bad - 1]);
    uint8_t *enc = NULL;
    size_t n;
    cs_error_t err;
    nson_json_encode_typed(t, &enc, &n, &err);
    ck_assert_msg(strstr(err.msg, ".MAP[1].ARRAY[0].INTEGER") != NULL, "%s", err.msg);
    json_decref(t);
}
END_TEST

START_TEST(test_too_deep)
{
    /* 100 nested arrays: over NSON_MAX_DEPTH, refused in both conventions */
    char plain[256], typed[3000];
    size_t p = 0, q = 0;
    for (int i = 0; i < 100; i++) {
        plain[p++] = '[';
        q += (size_t)snprintf(typed + q, sizeof typed - q, "{\"ARRAY\":[");
    }
    for (int i = 0; i < 100; i++) {
        plain[p++] = ']';
        q += (size_t)snprintf(typed + q, sizeof typed - q, "]}");
    }
    plain[p] = 0;
    json_t *jp = parse(plain), *jt = parse(typed);
    uint8_t *enc = NULL;
    size_t n;
    cs_error_t err;
    ck_assert_int_eq(nson_json_encode_plain(jp, &enc, &n, &err), CS_EINVAL);
    ck_assert_int_eq(nson_json_encode_typed(jt, &enc, &n, &err), CS_EINVAL);
    ck_assert_ptr_null(enc);
    json_decref(jp);
    json_decref(jt);
    ck_assert_int_eq(nson_json_encode_plain(NULL, &enc, &n, &err), CS_EINVAL);
}
END_TEST

static Suite *nson_json_suite(void)
{
    Suite *s = suite_create("nson_json");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, test_plain_in);
    tcase_add_test(core, test_plain_out);
    tcase_add_test(core, test_typed_special_doubles);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, test_typed_rejects);
    tcase_add_test(lim, test_too_deep);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(nson_json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
