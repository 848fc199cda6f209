/*
 * nson_json.c - typed-tree and plain JSON views of NSON (see nson_json.h).
 *
 * Rendering walks a decoded tree (already bounded by the reader); writing
 * walks a jansson value and stops at NSON_MAX_DEPTH so a deep JSON document
 * cannot exhaust the stack.
 */
#include "nson_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Small text codecs
 * ------------------------------------------------------------------------ */

static json_t *hex_string(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    json_t *j = json_stringn(s, 2 * n);
    free(s);
    return j;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode hex text into a malloc'd buffer; NULL on bad text or no memory. */
static uint8_t *hex_decode(const char *s, size_t n, size_t *out_len)
{
    if (n % 2)
        return NULL;
    uint8_t *b = malloc(n / 2 + 1);
    if (!b)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return b;
}

static json_t *base64_string(const uint8_t *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t olen = 4 * ((n + 2) / 3);
    char *s = malloc(olen + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        s[o++] = tbl[(v >> 18) & 63];
        s[o++] = tbl[(v >> 12) & 63];
        s[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    json_t *j = json_stringn(s, o);
    free(s);
    return j;
}

/* DOUBLE as JSON: a real, or the vectors' strings for non-finite values
 * (jansson refuses NaN and infinities). */
static json_t *double_json(double d)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

/* Set and steal; returns false (and drops both) when anything is NULL. */
static json_t *wrap1(const char *type, json_t *payload)
{
    if (!payload)
        return NULL;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, type, payload) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------------------
 * Typed tree: render
 * ------------------------------------------------------------------------ */

json_t *nson_json_render_typed(const nson_value_t *v)
{
    if (!v)
        return NULL;
    const char *tn = nson_type_name(v->type);
    switch (v->type) {
    case NSON_ARRAY: {
        json_t *arr = json_array();
        for (uint32_t i = 0; arr && i < v->u.arr.count; i++) {
            if (json_array_append_new(arr, nson_json_render_typed(v->u.arr.items[i])) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        return wrap1(tn, arr);
    }
    case NSON_MAP: {
        json_t *pairs = json_array();
        for (uint32_t i = 0; pairs && i < v->u.map.count; i++) {
            const nson_entry_t *e = &v->u.map.items[i];
            json_t *pair = json_pack("[s%o]", e->key, (size_t)e->key_len,
                                     nson_json_render_typed(e->val));
            if (json_array_append_new(pairs, pair) != 0) {
                json_decref(pairs);
                pairs = NULL;
            }
        }
        return wrap1(tn, pairs);
    }
    case NSON_BINARY:
        return wrap1(tn, v->u.bin.is_null ? json_null() : hex_string(v->u.bin.ptr, v->u.bin.len));
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        return wrap1(tn, v->u.str.is_null ? json_null() : json_stringn(v->u.str.ptr, v->u.str.len));
    case NSON_BOOLEAN:
        return wrap1(tn, json_boolean(v->u.b));
    case NSON_DOUBLE:
        return wrap1(tn, double_json(v->u.d));
    case NSON_INTEGER:
        return wrap1(tn, json_integer(v->u.i));
    case NSON_LONG:
        return wrap1(tn, json_integer(v->u.l));
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY:
        return wrap1(tn, json_null());
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Typed tree: write
 * ------------------------------------------------------------------------ */

/* The JSON path of the node being written, for error messages. */
typedef struct jpath {
    char s[256];
    size_t len;
} jpath_t;

static size_t jpath_push(jpath_t *p, const char *fmt, const char *key, size_t idx)
{
    size_t old = p->len;
    if (p->len < sizeof p->s) {
        int n = key ? snprintf(p->s + p->len, sizeof p->s - p->len, fmt, key)
                    : snprintf(p->s + p->len, sizeof p->s - p->len, fmt, idx);
        if (n > 0)
            p->len = p->len + (size_t)n < sizeof p->s ? p->len + (size_t)n : sizeof p->s - 1;
    }
    return old;
}

static void jpath_pop(jpath_t *p, size_t old)
{
    p->len = old;
    p->s[old] = '\0';
}

static cs_err_t typed_bad(cs_error_t *err, const jpath_t *p, const char *what)
{
    return cs_fail(err, CS_EINVAL, "typed NSON JSON at %s: %s", p->len ? p->s : "$", what);
}

static const char *const type_names[] = {
    "ARRAY", "BINARY", "BOOLEAN", "DOUBLE", "INTEGER", "LONG", "MAP",
    "STRING", "TIMESTAMP", "NUMBER", "JSON_NULL", "NULL", "EMPTY",
};

static cs_err_t typed_write(nson_writer_t *w, const json_t *j, int depth, jpath_t *p,
                            cs_error_t *err);

static cs_err_t typed_container(nson_writer_t *w, bool is_map, const json_t *pl, int depth,
                                jpath_t *p, cs_error_t *err)
{
    if (!json_is_array(pl))
        return typed_bad(err, p, is_map ? "MAP wants an array of pairs" : "ARRAY wants an array");
    if (depth >= NSON_MAX_DEPTH)
        return typed_bad(err, p, "nesting too deep");
    if (is_map)
        nson_w_map_begin(w);
    else
        nson_w_array_begin(w);
    size_t i;
    const json_t *el;
    json_array_foreach(pl, i, el) {
        size_t mark = jpath_push(p, "[%zu]", NULL, i);
        const json_t *val = el;
        if (is_map) {
            const json_t *k = json_array_get(el, 0);
            if (json_array_size(el) != 2 || !json_is_string(k))
                return typed_bad(err, p, "MAP pair must be [\"key\", value]");
            nson_w_keyn(w, json_string_value(k), json_string_length(k));
            val = json_array_get(el, 1);
        }
        cs_err_t rc = typed_write(w, val, depth + 1, p, err);
        if (rc)
            return rc;
        jpath_pop(p, mark);
    }
    if (is_map)
        nson_w_map_end(w);
    else
        nson_w_array_end(w);
    return CS_OK;
}

/* STRING, TIMESTAMP, NUMBER and BINARY: text (hex for BINARY) or null. */
static cs_err_t typed_sized(nson_writer_t *w, int type, const json_t *pl, jpath_t *p,
                            cs_error_t *err)
{
    if (json_is_null(pl)) {
        if (type == NSON_BINARY)
            nson_w_binary(w, NULL, 0);
        else if (type == NSON_STRING)
            nson_w_stringn(w, NULL, 0);
        else if (type == NSON_TIMESTAMP)
            nson_w_timestamp(w, NULL);
        else
            nson_w_number(w, NULL);
        return CS_OK;
    }
    if (!json_is_string(pl))
        return typed_bad(err, p, "expected a string or null");
    const char *s = json_string_value(pl);
    size_t n = json_string_length(pl);
    if (type == NSON_BINARY) {
        size_t blen = 0;
        uint8_t *b = hex_decode(s, n, &blen);
        if (!b)
            return typed_bad(err, p, "BINARY wants lowercase hex");
        nson_w_binary(w, b, blen);
        free(b);
        return CS_OK;
    }
    /* TIMESTAMP and NUMBER share STRING's layout: write a STRING and patch
     * its type byte, so embedded NULs survive like they do for STRING. */
    size_t at = w->out->len;
    nson_w_stringn(w, s, n);
    if (buf_ok(w->out) && w->out->len > at)
        w->out->data[at] = (uint8_t)type;
    return CS_OK;
}

static cs_err_t typed_double(nson_writer_t *w, const json_t *pl, jpath_t *p, cs_error_t *err)
{
    if (json_is_number(pl)) {
        nson_w_double(w, json_number_value(pl));
        return CS_OK;
    }
    const char *s = json_string_value(pl);
    if (s && strcmp(s, "NaN") == 0)
        nson_w_double(w, NAN);
    else if (s && strcmp(s, "Infinity") == 0)
        nson_w_double(w, INFINITY);
    else if (s && strcmp(s, "-Infinity") == 0)
        nson_w_double(w, -INFINITY);
    else
        return typed_bad(err, p, "DOUBLE wants a number, \"NaN\" or \"[-]Infinity\"");
    return CS_OK;
}

static cs_err_t typed_write(nson_writer_t *w, const json_t *j, int depth, jpath_t *p,
                            cs_error_t *err)
{
    if (!json_is_object(j) || json_object_size(j) != 1)
        return typed_bad(err, p, "a value must be an object with exactly one type key");
    const char *tn = NULL;
    const json_t *pl = NULL;
    json_object_foreach((json_t *)j, tn, pl)
        break;
    int type = -1;
    for (int t = 0; t <= NSON_EMPTY; t++)
        if (strcmp(tn, type_names[t]) == 0)
            type = t;
    size_t mark = jpath_push(p, ".%s", tn, 0);
    cs_err_t rc = CS_OK;
    switch (type) {
    case NSON_ARRAY:
    case NSON_MAP:
        rc = typed_container(w, type == NSON_MAP, pl, depth, p, err);
        break;
    case NSON_BINARY:
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        rc = typed_sized(w, type, pl, p, err);
        break;
    case NSON_BOOLEAN:
        if (!json_is_boolean(pl))
            rc = typed_bad(err, p, "BOOLEAN wants true or false");
        else
            nson_w_bool(w, json_is_true(pl));
        break;
    case NSON_DOUBLE:
        rc = typed_double(w, pl, p, err);
        break;
    case NSON_INTEGER:
        if (!json_is_integer(pl) || json_integer_value(pl) < INT32_MIN ||
            json_integer_value(pl) > INT32_MAX)
            rc = typed_bad(err, p, "INTEGER wants a 32-bit integer");
        else
            nson_w_int(w, (int32_t)json_integer_value(pl));
        break;
    case NSON_LONG:
        if (!json_is_integer(pl))
            rc = typed_bad(err, p, "LONG wants an integer");
        else
            nson_w_long(w, (int64_t)json_integer_value(pl));
        break;
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY:
        if (!json_is_null(pl))
            rc = typed_bad(err, p, "null types want null");
        else if (type == NSON_JSON_NULL)
            nson_w_json_null(w);
        else if (type == NSON_NULL)
            nson_w_null(w);
        else
            nson_w_empty(w);
        break;
    default:
        rc = typed_bad(err, p, "unknown type name");
        break;
    }
    if (!rc)
        jpath_pop(p, mark);
    return rc;
}

cs_err_t nson_json_write_typed(nson_writer_t *w, const json_t *typed, cs_error_t *err)
{
    jpath_t p = { .s = "", .len = 0 };
    cs_err_t rc = typed_write(w, typed, 0, &p, err);
    if (!rc && (w->failed || !buf_ok(w->out)))
        rc = cs_fail(err, CS_ENOMEM, "NSON writer failed (out of room or too deep)");
    return rc;
}

/* ------------------------------------------------------------------------
 * Plain JSON
 * ------------------------------------------------------------------------ */

json_t *nson_json_render_plain(const nson_value_t *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case NSON_ARRAY: {
        json_t *arr = json_array();
        for (uint32_t i = 0; arr && i < v->u.arr.count; i++) {
            if (json_array_append_new(arr, nson_json_render_plain(v->u.arr.items[i])) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        return arr;
    }
    case NSON_MAP: {
        json_t *obj = json_object();
        for (uint32_t i = 0; obj && i < v->u.map.count; i++) {
            const nson_entry_t *e = &v->u.map.items[i];
            /* jansson keys are C strings: a key with a NUL is cut there */
            if (json_object_set_new(obj, e->key, nson_json_render_plain(e->val)) != 0) {
                json_decref(obj);
                obj = NULL;
            }
        }
        return obj;
    }
    case NSON_BINARY:
        return v->u.bin.is_null ? json_null() : base64_string(v->u.bin.ptr, v->u.bin.len);
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        return v->u.str.is_null ? json_null() : json_stringn(v->u.str.ptr, v->u.str.len);
    case NSON_BOOLEAN:
        return json_boolean(v->u.b);
    case NSON_DOUBLE:
        return double_json(v->u.d);
    case NSON_INTEGER:
        return json_integer(v->u.i);
    case NSON_LONG:
        return json_integer(v->u.l);
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY:
        return json_null();
    }
    return NULL;
}

static cs_err_t plain_write(nson_writer_t *w, const json_t *j, int depth, cs_error_t *err)
{
    if ((json_is_object(j) || json_is_array(j)) && depth >= NSON_MAX_DEPTH)
        return cs_fail(err, CS_EINVAL, "JSON value nested deeper than %d levels", NSON_MAX_DEPTH);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        const json_t *v;
        nson_w_map_begin(w);
        json_object_foreach((json_t *)j, k, v) {
            nson_w_key(w, k);
            cs_err_t rc = plain_write(w, v, depth + 1, err);
            if (rc)
                return rc;
        }
        nson_w_map_end(w);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        const json_t *v;
        nson_w_array_begin(w);
        json_array_foreach(j, i, v) {
            cs_err_t rc = plain_write(w, v, depth + 1, err);
            if (rc)
                return rc;
        }
        nson_w_array_end(w);
        break;
    }
    case JSON_STRING:
        nson_w_stringn(w, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER: {
        json_int_t n = json_integer_value(j);
        if (n >= INT32_MIN && n <= INT32_MAX)
            nson_w_int(w, (int32_t)n);
        else
            nson_w_long(w, (int64_t)n);
        break;
    }
    case JSON_REAL:
        nson_w_double(w, json_real_value(j));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        nson_w_bool(w, json_is_true(j));
        break;
    case JSON_NULL:
        nson_w_null(w);
        break;
    }
    return CS_OK;
}

cs_err_t nson_json_write_plain(nson_writer_t *w, const json_t *plain, cs_error_t *err)
{
    if (!plain)
        return cs_fail(err, CS_EINVAL, "no JSON value");
    cs_err_t rc = plain_write(w, plain, 0, err);
    if (!rc && (w->failed || !buf_ok(w->out)))
        rc = cs_fail(err, CS_ENOMEM, "NSON writer failed (out of room or too deep)");
    return rc;
}

/* ------------------------------------------------------------------------
 * Whole documents
 * ------------------------------------------------------------------------ */

static cs_err_t encode_doc(const json_t *j, bool typed, uint8_t **out, size_t *len,
                           cs_error_t *err)
{
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    cs_err_t rc = typed ? nson_json_write_typed(&w, j, err) : nson_json_write_plain(&w, j, err);
    if (!rc && !nson_writer_ok(&w))
        rc = cs_fail(err, CS_ENOMEM, "NSON writer failed");
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_steal(&b, len);
    if (!*out) {
        /* an empty result cannot happen (every value has a type byte) */
        return cs_fail(err, CS_ENOMEM, "out of memory");
    }
    return CS_OK;
}

cs_err_t nson_json_encode_typed(const json_t *typed, uint8_t **out, size_t *len, cs_error_t *err)
{
    return encode_doc(typed, true, out, len, err);
}

cs_err_t nson_json_encode_plain(const json_t *plain, uint8_t **out, size_t *len, cs_error_t *err)
{
    return encode_doc(plain, false, out, len, err);
}
