/*
 * nson_lit.h - test helper: NSON trees from short JSON-like literals.
 *
 * Single quotes stand for double quotes; integers become INTEGER when they
 * fit 32 bits, else LONG; one-key objects with a "$" key are typed values:
 * {"$long": n}, {"$int": n}, {"$dbl": x}, {"$num": "text"}, {"$ts": "iso"},
 * {"$jnull": 0}, {"$empty": 0}, {"$bin": "hex"}. Header-only (each Check
 * suite is one translation unit), shared by the proto suites that build
 * rows and query values, and render trees back for assertions.
 */
#ifndef CS_TEST_NSON_LIT_H
#define CS_TEST_NSON_LIT_H

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "nson.h"

static void nson_lit_write(nson_writer_t *w, json_t *j)
{
    if (json_is_object(j) && json_object_size(j) == 1) {
        const char *k = json_object_iter_key(json_object_iter(j));
        json_t *v = json_object_iter_value(json_object_iter(j));
        if (k[0] == '$') {
            if (!strcmp(k, "$long")) nson_w_long(w, json_integer_value(v));
            else if (!strcmp(k, "$int")) nson_w_int(w, (int32_t)json_integer_value(v));
            else if (!strcmp(k, "$dbl")) nson_w_double(w, json_number_value(v));
            else if (!strcmp(k, "$num")) nson_w_number(w, json_string_value(v));
            else if (!strcmp(k, "$ts")) nson_w_timestamp(w, json_string_value(v));
            else if (!strcmp(k, "$jnull")) nson_w_json_null(w);
            else if (!strcmp(k, "$empty")) nson_w_empty(w);
            else if (!strcmp(k, "$bin")) {
                const char *h = json_string_value(v);
                uint8_t b[256];
                size_t n = strlen(h) / 2;
                for (size_t i = 0; i < n; i++)
                    sscanf(h + 2 * i, "%2hhx", &b[i]);
                nson_w_binary(w, b, n);
            } else
                ck_abort_msg("bad marker %s", k);
            return;
        }
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        nson_w_map_begin(w);
        json_object_foreach(j, k, v) {
            nson_w_key(w, k);
            nson_lit_write(w, v);
        }
        nson_w_map_end(w);
        break;
    }
    case JSON_ARRAY:
        nson_w_array_begin(w);
        for (size_t i = 0; i < json_array_size(j); i++)
            nson_lit_write(w, json_array_get(j, i));
        nson_w_array_end(w);
        break;
    case JSON_STRING: nson_w_stringn(w, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(j);
        if (x >= INT32_MIN && x <= INT32_MAX)
            nson_w_int(w, (int32_t)x);
        else
            nson_w_long(w, x);
        break;
    }
    case JSON_REAL: nson_w_double(w, json_real_value(j)); break;
    case JSON_TRUE: nson_w_bool(w, true); break;
    case JSON_FALSE: nson_w_bool(w, false); break;
    default: nson_w_null(w); break;
    }
}

/* Decode a literal into a tree allocated from a (the test's arena). */
static nson_value_t *nson_lit(arena_t *a, const char *text)
{
    char *t = strdup(text);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t je;
    json_t *j = json_loads(t, JSON_DECODE_ANY, &je);
    ck_assert_msg(j != NULL, "%s: %s", t, je.text);
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_lit_write(&w, j);
    ck_assert(nson_writer_ok(&w));
    cs_error_t e;
    nson_value_t *v = nson_decode(a, b.data, b.len, false, &e);
    ck_assert_msg(v != NULL, "%s", e.msg);
    buf_free(&b);
    json_decref(j);
    free(t);
    return v;
}

/* A compact, typed rendering of a tree for assertions: {k:v,...}, [..],
 * i:1, l:1, d:1.5, n:1.5, t:iso, "text", b:hex, true, null, jnull, empty. */
static void nson_lit_render(buf_t *o, const nson_value_t *v)
{
    switch (v->type) {
    case NSON_MAP:
        buf_putc(o, '{');
        for (uint32_t i = 0; i < v->u.map.count; i++) {
            buf_printf(o, "%s%s:", i ? "," : "", v->u.map.items[i].key);
            nson_lit_render(o, v->u.map.items[i].val);
        }
        buf_putc(o, '}');
        break;
    case NSON_ARRAY:
        buf_putc(o, '[');
        for (uint32_t i = 0; i < v->u.arr.count; i++) {
            if (i)
                buf_putc(o, ',');
            nson_lit_render(o, v->u.arr.items[i]);
        }
        buf_putc(o, ']');
        break;
    case NSON_INTEGER: buf_printf(o, "i:%d", v->u.i); break;
    case NSON_LONG: buf_printf(o, "l:%lld", (long long)v->u.l); break;
    case NSON_DOUBLE: buf_printf(o, "d:%.17g", v->u.d); break;
    case NSON_NUMBER: buf_printf(o, "n:%s", v->u.str.ptr); break;
    case NSON_TIMESTAMP: buf_printf(o, "t:%s", v->u.str.ptr); break;
    case NSON_STRING: buf_printf(o, "\"%s\"", v->u.str.ptr); break;
    case NSON_BOOLEAN: buf_printf(o, "%s", v->u.b ? "true" : "false"); break;
    case NSON_BINARY:
        buf_printf(o, "b:");
        for (uint32_t i = 0; i < v->u.bin.len; i++)
            buf_printf(o, "%02x", v->u.bin.ptr[i]);
        break;
    case NSON_JSON_NULL: buf_printf(o, "jnull"); break;
    case NSON_NULL: buf_printf(o, "null"); break;
    case NSON_EMPTY: buf_printf(o, "empty"); break;
    default: buf_printf(o, "?%d", v->type); break;
    }
}

#endif
