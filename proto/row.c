/*
 * row.c - the row codec: request values -> canonical NSON and key bytes
 * (conversion rules in row.h).
 *
 * Sections: helpers (base64, UUID, numbers from text), scalar conversion,
 * complex values and JSON, defaults, row_encode, keys and ranges, reading
 * stored rows back (row_write_full). Output is built in buf_t writers and
 * copied into the caller's arena at the end; every buf is freed on the one
 * exit path of each entry point.
 */
#include "row.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyenc.h"
#include "timefmt.h"

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t row_base64_encode(const uint8_t *p, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64chars[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool row_base64_decode(const char *s, size_t len, uint8_t *out, size_t *out_len)
{
    /* padding is optional, as for java.util.Base64's basic decoder */
    while (len > 0 && s[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = o;
    return true;
}

/* 8-4-4-4-12 hex digits -> 16 bytes and the lower-case canonical text. */
static bool uuid_parse(const char *s, size_t len, uint8_t out[16], char text[37])
{
    if (len != 36)
        return false;
    int k = 0;
    for (size_t i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
            text[i] = '-';
            continue;
        }
        int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (v < 0)
            return false;
        text[i] = "0123456789abcdef"[v];
        if (k % 2 == 0)
            out[k / 2] = (uint8_t)(v << 4);
        else
            out[k / 2] |= (uint8_t)v;
        k++;
    }
    text[36] = '\0';
    return true;
}

static void uuid_format(const uint8_t u[16], char text[37])
{
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text[o++] = '-';
        text[o++] = hex[u[i] >> 4];
        text[o++] = hex[u[i] & 15];
    }
    text[36] = '\0';
}

/* Java Integer.parseInt / Long.parseLong: [+-]digits, nothing else. */
static bool parse_i64_text(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        if (v < (INT64_MIN + d) / 10)
            return false;
        v = v * 10 - d;
    }
    if (!neg) {
        if (v == INT64_MIN)
            return false;
        v = -v;
    }
    *out = v;
    return true;
}

/* Java Double.parseDouble, decimal forms plus NaN / [+-]Infinity. */
static bool parse_double_text(const char *s, size_t len, double *out)
{
    char tmp[128];
    size_t i = 0;
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    const char *p = tmp + (tmp[0] == '+' || tmp[0] == '-');
    if (strcmp(p, "NaN") == 0 && p == tmp) {
        *out = NAN;
        return true;
    }
    if (strcmp(p, "Infinity") == 0) {
        *out = tmp[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    /* digits, optional fraction, optional exponent, optional d/f suffix */
    for (i = (size_t)(p - tmp); i < len; i++)
        if (!((tmp[i] >= '0' && tmp[i] <= '9') || tmp[i] == '.' || tmp[i] == 'e' ||
              tmp[i] == 'E' || tmp[i] == '+' || tmp[i] == '-'))
            break;
    if (i < len && i + 1 == len && strchr("dDfF", tmp[i]))
        tmp[i] = '\0';
    else if (i < len)
        return false;
    char *end;
    double v = strtod(tmp, &end);
    if (end == tmp || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* ------------------------------------------------------------------------
 * scalar conversion
 * ------------------------------------------------------------------------ */

typedef struct conv {
    arena_t *a;
    cs_error_t *err;
    bool exact;
} conv_t;

/* One atomic value converted to its column type. */
typedef struct scalar {
    int32_t i;
    int64_t l;
    float f;
    double d;
    bool b;
    keyenc_dec_t dec;          /* NUMBER */
    const char *text;          /* NUMBER canonical text; STRING/ENUM/UUID text */
    size_t len;
    uint16_t ord;              /* ENUM */
    uint8_t uuid[16];
    cs_ts_t ts;                /* TIMESTAMP, rounded to the column precision */
    const uint8_t *bin;        /* BINARY / FIXED_BINARY */
    size_t binlen;
} scalar_t;

static cs_err_t type_err(conv_t *C, const char *path, const ddl_type_t *t, const nson_value_t *v)
{
    return cs_fail(C->err, CS_EINVAL, "Invalid value for field '%s': expected %s, got %s", path,
                   ddl_tkind_name(t->kind), nson_type_name(v->type));
}

static cs_err_t value_err(conv_t *C, const char *path, const char *why)
{
    return cs_fail(C->err, CS_EINVAL, "Invalid value for field '%s': %s", path, why);
}

static cs_err_t nomem(conv_t *C)
{
    return cs_fail(C->err, CS_ENOMEM, "out of memory converting the row");
}

/* Parse a NUMBER/STRING text as a decimal; digits live in the arena. */
static cs_err_t dec_from_text(conv_t *C, const char *path, const char *s, size_t len,
                              keyenc_dec_t *out)
{
    char *dig = arena_alloc(C->a, len + 1);
    if (!dig)
        return nomem(C);
    cs_error_t e;
    if (keyenc_dec_parse(s, len, dig, out, &e) != CS_OK)
        return value_err(C, path, e.msg);
    return CS_OK;
}

/* Any numeric NSON value as an exact decimal (for integer/float targets). */
static cs_err_t as_decimal(conv_t *C, const char *path, const nson_value_t *v, keyenc_dec_t *out)
{
    char *dig = arena_alloc(C->a, 32);
    if (!dig)
        return nomem(C);
    switch (v->type) {
    case NSON_INTEGER: keyenc_dec_from_i64(v->u.i, dig, out); return CS_OK;
    case NSON_LONG: keyenc_dec_from_i64(v->u.l, dig, out); return CS_OK;
    case NSON_DOUBLE:
        if (!keyenc_dec_from_double(v->u.d, dig, out))
            return value_err(C, path, "NaN or Infinity cannot be a NUMBER");
        return CS_OK;
    case NSON_NUMBER:
    case NSON_STRING:
        return dec_from_text(C, path, v->u.str.ptr, v->u.str.len, out);
    default:
        return CS_EINVAL;
    }
}

static cs_err_t conv_int64(conv_t *C, const char *path, const ddl_type_t *t,
                           const nson_value_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    char why[160];
    int64_t x;
    keyenc_dec_t d;
    switch (v->type) {
    case NSON_INTEGER: x = v->u.i; break;
    case NSON_LONG: x = v->u.l; break;
    case NSON_DOUBLE:
        if (!(v->u.d >= -9223372036854775808.0 && v->u.d < 9223372036854775808.0) ||
            (double)(int64_t)v->u.d != v->u.d) {
            snprintf(why, sizeof why, "converting double to %s loses information: %.17g",
                     t->kind == DDL_T_INTEGER ? "int" : "long", v->u.d);
            return value_err(C, path, why);
        }
        x = (int64_t)v->u.d;
        break;
    case NSON_NUMBER:
        if (as_decimal(C, path, v, &d) != CS_OK)
            return CS_EINVAL;
        if (!keyenc_dec_to_i64(&d, &x)) {
            snprintf(why, sizeof why, "%s overflow or not an integer: %.60s",
                     t->kind == DDL_T_INTEGER ? "Int" : "Long", v->u.str.ptr);
            return value_err(C, path, why);
        }
        break;
    case NSON_STRING:
        if (!parse_i64_text(v->u.str.ptr, v->u.str.len, &x)) {
            snprintf(why, sizeof why, "Invalid string for %s: %.60s",
                     t->kind == DDL_T_INTEGER ? "Integer" : "Long", v->u.str.ptr);
            return value_err(C, path, why);
        }
        break;
    default:
        return type_err(C, path, t, v);
    }
    if (x < lo || x > hi) {
        snprintf(why, sizeof why, "%lld is out of range for %s", (long long)x,
                 ddl_tkind_name(t->kind));
        return value_err(C, path, why);
    }
    *out = x;
    return CS_OK;
}

static cs_err_t conv_double(conv_t *C, const char *path, const ddl_type_t *t,
                            const nson_value_t *v, double *out)
{
    char why[160];
    keyenc_dec_t d;
    int64_t l;
    switch (v->type) {
    case NSON_INTEGER: *out = v->u.i; return CS_OK;
    case NSON_LONG:
        if (v->u.l > (1LL << 53) || v->u.l < -(1LL << 53)) {
            double x = (double)v->u.l;
            if (!(x < 9223372036854775808.0) || (int64_t)x != v->u.l) {
                snprintf(why, sizeof why, "converting long to double loses information: %lld",
                         (long long)v->u.l);
                return value_err(C, path, why);
            }
        }
        *out = (double)v->u.l;
        return CS_OK;
    case NSON_DOUBLE: *out = v->u.d; return CS_OK;
    case NSON_NUMBER:
        if (as_decimal(C, path, v, &d) != CS_OK)
            return CS_EINVAL;
        if (keyenc_dec_to_i64(&d, &l)) {
            nson_value_t lv = {.type = NSON_LONG, .u.l = l};
            return conv_double(C, path, t, &lv, out);
        }
        if (!keyenc_dec_to_double(&d, out)) {
            snprintf(why, sizeof why, "Converting decimal to double loses information: %.60s",
                     v->u.str.ptr);
            return value_err(C, path, why);
        }
        return CS_OK;
    case NSON_STRING:
        if (!parse_double_text(v->u.str.ptr, v->u.str.len, out)) {
            snprintf(why, sizeof why, "Invalid string for %s: %.60s",
                     t->kind == DDL_T_FLOAT ? "Float" : "Double", v->u.str.ptr);
            return value_err(C, path, why);
        }
        return CS_OK;
    default:
        return type_err(C, path, t, v);
    }
}

static cs_err_t conv_float(conv_t *C, const char *path, const ddl_type_t *t,
                           const nson_value_t *v, float *out)
{
    char why[160];
    if (v->type == NSON_INTEGER || v->type == NSON_LONG) {
        int64_t l = v->type == NSON_INTEGER ? v->u.i : v->u.l;
        float f = (float)l;
        if (!(f < 9223372036854775808.0f && f >= -9223372036854775808.0f) || (int64_t)f != l) {
            snprintf(why, sizeof why, "Converting long to float loses information: %lld",
                     (long long)l);
            return value_err(C, path, why);
        }
        *out = f;
        return CS_OK;
    }
    double d;
    cs_err_t rc = conv_double(C, path, t, v, &d);
    if (rc != CS_OK)
        return rc;
    float f = (float)d;
    if ((f == 0 && d != 0) || (isinf(f) && !isinf(d))) {
        snprintf(why, sizeof why, "Converting double to float loses information: %.17g", d);
        return value_err(C, path, why);
    }
    *out = f;
    return CS_OK;
}

static cs_err_t conv_timestamp(conv_t *C, const char *path, const ddl_type_t *t,
                               const nson_value_t *v, cs_ts_t *out)
{
    cs_error_t e;
    cs_ts_t ts;
    switch (v->type) {
    case NSON_STRING:
    case NSON_TIMESTAMP:
        if (timefmt_parse(v->u.str.ptr, v->u.str.len, &ts, &e) != CS_OK)
            return value_err(C, path, e.msg);
        break;
    case NSON_INTEGER:
    case NSON_LONG:
        ts = timefmt_from_ms(v->type == NSON_INTEGER ? v->u.i : v->u.l);
        if (!timefmt_in_range(ts))
            return value_err(C, path, "the timestamp is outside the supported range");
        break;
    default:
        return type_err(C, path, t, v);
    }
    *out = timefmt_round(ts, t->precision);
    return CS_OK;
}

/* Convert an atomic (non-null) value v to type t. */
static cs_err_t conv_scalar(conv_t *C, const char *path, const ddl_type_t *t,
                            const nson_value_t *v, scalar_t *sc)
{
    char why[200];
    int64_t l;
    cs_err_t rc;
    switch (t->kind) {
    case DDL_T_INTEGER:
        if ((rc = conv_int64(C, path, t, v, INT32_MIN, INT32_MAX, &l)) != CS_OK)
            return rc;
        sc->i = (int32_t)l;
        return CS_OK;
    case DDL_T_LONG:
        return conv_int64(C, path, t, v, INT64_MIN, INT64_MAX, &sc->l);
    case DDL_T_FLOAT:
        return conv_float(C, path, t, v, &sc->f);
    case DDL_T_DOUBLE:
        return conv_double(C, path, t, v, &sc->d);
    case DDL_T_NUMBER: {
        if (v->type != NSON_INTEGER && v->type != NSON_LONG && v->type != NSON_DOUBLE &&
            v->type != NSON_NUMBER && v->type != NSON_STRING)
            return type_err(C, path, t, v);
        if ((rc = as_decimal(C, path, v, &sc->dec)) != CS_OK)
            return rc;
        size_t cap = sc->dec.ndigits + 32;
        char *txt = arena_alloc(C->a, cap);
        if (!txt)
            return nomem(C);
        sc->len = keyenc_dec_format(&sc->dec, txt, cap);
        sc->text = txt;
        return CS_OK;
    }
    case DDL_T_STRING:
        if (v->type != NSON_STRING)
            return type_err(C, path, t, v);
        if (t->as_uuid) {
            char *txt = arena_alloc(C->a, 37);
            if (!txt)
                return nomem(C);
            if (!uuid_parse(v->u.str.ptr, v->u.str.len, sc->uuid, txt)) {
                snprintf(why, sizeof why, "Invalid UUID string: %.60s", v->u.str.ptr);
                return value_err(C, path, why);
            }
            sc->text = txt;
            sc->len = 36;
            return CS_OK;
        }
        sc->text = v->u.str.ptr;
        sc->len = v->u.str.len;
        return CS_OK;
    case DDL_T_ENUM:
        if (v->type != NSON_STRING)
            return type_err(C, path, t, v);
        for (uint32_t i = 0; i < t->nsymbols; i++)
            if (strlen(t->symbols[i]) == v->u.str.len &&
                memcmp(t->symbols[i], v->u.str.ptr, v->u.str.len) == 0) {
                sc->ord = (uint16_t)i;
                sc->text = t->symbols[i];
                sc->len = v->u.str.len;
                return CS_OK;
            }
        snprintf(why, sizeof why, "'%.60s' is not one of the ENUM's symbols", v->u.str.ptr);
        return value_err(C, path, why);
    case DDL_T_BOOLEAN:
        if (v->type == NSON_BOOLEAN)
            sc->b = v->u.b;
        else if (v->type == NSON_STRING)
            sc->b = v->u.str.len == 4 && strncasecmp(v->u.str.ptr, "true", 4) == 0;
        else
            return type_err(C, path, t, v);
        return CS_OK;
    case DDL_T_BINARY:
    case DDL_T_FIXED_BINARY:
        if (v->type == NSON_BINARY) {
            sc->bin = v->u.bin.ptr;
            sc->binlen = v->u.bin.len;
        } else if (v->type == NSON_STRING) {
            uint8_t *o = arena_alloc(C->a, v->u.str.len / 4 * 3 + 3);
            if (!o)
                return nomem(C);
            if (!row_base64_decode(v->u.str.ptr, v->u.str.len, o, &sc->binlen))
                return value_err(C, path, "Invalid string for binary value: not base64");
            sc->bin = o;
        } else {
            return type_err(C, path, t, v);
        }
        if (t->kind == DDL_T_FIXED_BINARY && sc->binlen != (size_t)t->size) {
            snprintf(why, sizeof why, "FIXED_BINARY(%d) needs exactly %d bytes, got %zu",
                     t->size, t->size, sc->binlen);
            return value_err(C, path, why);
        }
        return CS_OK;
    case DDL_T_TIMESTAMP:
        return conv_timestamp(C, path, t, v, &sc->ts);
    default:
        return type_err(C, path, t, v);
    }
}

static void write_scalar(nson_writer_t *w, const ddl_type_t *t, const scalar_t *sc)
{
    switch (t->kind) {
    case DDL_T_INTEGER: nson_w_int(w, sc->i); break;
    case DDL_T_LONG: nson_w_long(w, sc->l); break;
    case DDL_T_FLOAT: nson_w_double(w, (double)sc->f); break;
    case DDL_T_DOUBLE: nson_w_double(w, sc->d); break;
    case DDL_T_NUMBER: nson_w_number(w, sc->text); break;
    case DDL_T_STRING:
    case DDL_T_ENUM: nson_w_stringn(w, sc->text, sc->len); break;
    case DDL_T_BOOLEAN: nson_w_bool(w, sc->b); break;
    case DDL_T_BINARY:
    case DDL_T_FIXED_BINARY: nson_w_binary(w, sc->bin ? sc->bin : (const uint8_t *)"", sc->binlen); break;
    case DDL_T_TIMESTAMP: {
        char txt[TIMEFMT_TEXT_MAX];
        timefmt_format_value(sc->ts, txt, sizeof txt);
        nson_w_timestamp(w, txt);
        break;
    }
    default: nson_w_null(w); break;
    }
}

static void key_scalar(buf_t *b, const ddl_type_t *t, const scalar_t *sc)
{
    switch (t->kind) {
    case DDL_T_INTEGER: keyenc_put_int(b, sc->i); break;
    case DDL_T_LONG: keyenc_put_long(b, sc->l); break;
    case DDL_T_FLOAT: keyenc_put_float(b, sc->f); break;
    case DDL_T_DOUBLE: keyenc_put_double(b, sc->d); break;
    case DDL_T_NUMBER: keyenc_put_number(b, &sc->dec); break;
    case DDL_T_STRING:
        if (t->as_uuid)
            keyenc_put_uuid(b, sc->uuid);
        else
            keyenc_put_string(b, sc->text, sc->len);
        break;
    case DDL_T_ENUM: keyenc_put_enum(b, sc->ord); break;
    case DDL_T_BOOLEAN: keyenc_put_bool(b, sc->b); break;
    case DDL_T_TIMESTAMP: keyenc_put_timestamp(b, sc->ts, t->precision); break;
    default: b->failed = true; break;
    }
}

/* ------------------------------------------------------------------------
 * complex values and JSON
 * ------------------------------------------------------------------------ */

static int key_cmp(const nson_entry_t *a, const nson_entry_t *b)
{
    uint32_t m = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, m);
    return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

/* Entries of a MAP in the order the client sent them, keeping only the last
 * of entries with equal keys (at its own position). The service stores
 * maps in the order given. O(n log n) so hostile maps stay cheap. *out is
 * arena memory. */
static cs_err_t unique_entries(conv_t *C, const nson_value_t *m, const nson_entry_t ***out,
                               uint32_t *count)
{
    uint32_t n = m->u.map.count;
    const nson_entry_t *items = m->u.map.items;
    const nson_entry_t **e = arena_calloc(C->a, n ? n : 1, sizeof *e);
    const nson_entry_t **tmp = arena_calloc(C->a, n ? n : 1, sizeof *tmp);
    bool *drop = arena_calloc(C->a, n ? n : 1, sizeof *drop);
    if (!e || !tmp || !drop)
        return nomem(C);
    for (uint32_t i = 0; i < n; i++)
        e[i] = &items[i];
    /* stable bottom-up merge sort by key */
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = key_cmp(e[j], e[i]) < 0 ? e[j++] : e[i++];
            while (i < mid)
                tmp[k++] = e[i++];
            while (j < hi)
                tmp[k++] = e[j++];
        }
        memcpy(e, tmp, n * sizeof *e);
    }
    /* in each run of equal keys all but the last sent are dropped */
    for (uint32_t i = 0; i + 1 < n; i++)
        if (key_cmp(e[i], e[i + 1]) == 0)
            drop[e[i] - items] = true;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!drop[i])
            e[k++] = &items[i];
    *out = e;
    *count = k;
    return CS_OK;
}

static cs_err_t conv_json(conv_t *C, const char *path, const nson_value_t *v, nson_writer_t *w,
                          int depth)
{
    if (depth > ROW_MAX_DEPTH)
        return value_err(C, path, "value nested too deeply");
    switch (v->type) {
    case NSON_ARRAY:
        nson_w_array_begin(w);
        for (uint32_t i = 0; i < v->u.arr.count; i++) {
            cs_err_t rc = conv_json(C, path, v->u.arr.items[i], w, depth + 1);
            if (rc != CS_OK)
                return rc;
        }
        nson_w_array_end(w);
        return CS_OK;
    case NSON_MAP: {
        const nson_entry_t **e;
        uint32_t n;
        cs_err_t rc = unique_entries(C, v, &e, &n);
        if (rc != CS_OK)
            return rc;
        nson_w_map_begin(w);
        for (uint32_t i = 0; i < n; i++) {
            nson_w_keyn(w, e[i]->key, e[i]->key_len);
            if ((rc = conv_json(C, path, e[i]->val, w, depth + 1)) != CS_OK)
                return rc;
        }
        nson_w_map_end(w);
        return CS_OK;
    }
    case NSON_BOOLEAN: nson_w_bool(w, v->u.b); return CS_OK;
    case NSON_DOUBLE: nson_w_double(w, v->u.d); return CS_OK;
    case NSON_INTEGER: nson_w_int(w, v->u.i); return CS_OK;
    case NSON_LONG: nson_w_long(w, v->u.l); return CS_OK;
    case NSON_STRING:
    case NSON_TIMESTAMP:
        if (v->u.str.is_null)
            nson_w_json_null(w);
        else
            nson_w_stringn(w, v->u.str.ptr, v->u.str.len);
        return CS_OK;
    case NSON_NUMBER: {
        ddl_type_t num = {.kind = DDL_T_NUMBER};
        scalar_t sc;
        if (v->u.str.is_null) {
            nson_w_json_null(w);
            return CS_OK;
        }
        cs_err_t rc = conv_scalar(C, path, &num, v, &sc);
        if (rc == CS_OK)
            nson_w_number(w, sc.text);
        return rc;
    }
    case NSON_BINARY: {
        if (v->u.bin.is_null) {
            nson_w_json_null(w);
            return CS_OK;
        }
        char *txt = arena_alloc(C->a, (size_t)v->u.bin.len / 3 * 4 + 8);
        if (!txt)
            return nomem(C);
        size_t n = row_base64_encode(v->u.bin.ptr, v->u.bin.len, txt);
        nson_w_stringn(w, txt, n);
        return CS_OK;
    }
    case NSON_JSON_NULL:
    case NSON_NULL:
        nson_w_json_null(w);
        return CS_OK;
    default:
        return value_err(C, path, "Invalid driver type for JSON: EMPTY");
    }
}

static bool value_is_null(const nson_value_t *v)
{
    switch (v->type) {
    case NSON_NULL:
    case NSON_JSON_NULL:
        return true;
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        return v->u.str.is_null;
    case NSON_BINARY:
        return v->u.bin.is_null;
    default:
        return false;
    }
}

static cs_err_t conv_value(conv_t *C, const char *path, const ddl_type_t *t,
                           const nson_value_t *v, nson_writer_t *w, int depth);

/* Does a MAP entry name `name` (case-insensitively)? A key with an
 * embedded NUL names nothing. */
static bool entry_is(const nson_entry_t *e, const char *name)
{
    return strlen(e->key) == e->key_len && strcasecmp(e->key, name) == 0;
}

/* The column a MAP entry names, -1 if none. */
static int entry_field(const schema_t *s, const nson_entry_t *e)
{
    return strlen(e->key) == e->key_len ? schema_field_index(s, e->key) : -1;
}

/* A RECORD value from a MAP (by name) or an ARRAY (by position). */
static cs_err_t conv_record(conv_t *C, const char *path, const ddl_type_t *t,
                            const nson_value_t *v, nson_writer_t *w, int depth)
{
    char sub[192];
    if (v->type != NSON_MAP && v->type != NSON_ARRAY)
        return value_err(C, path, "Type mismatch on input. Expected MAP or ARRAY for a RECORD");
    if (v->type == NSON_ARRAY && C->exact && v->u.arr.count != t->nfields) {
        char why[160];
        snprintf(why, sizeof why, "Invalid Array value for Record Value, it has %u elements but "
                 "the Record Value contains %u fields", v->u.arr.count, t->nfields);
        return value_err(C, path, why);
    }
    if (v->type == NSON_MAP && C->exact) {
        for (uint32_t i = 0; i < v->u.map.count; i++) {
            bool known = false;
            for (uint32_t j = 0; j < t->nfields && !known; j++)
                known = entry_is(&v->u.map.items[i], t->fields[j].name);
            if (!known)
                return cs_fail(C->err, CS_EINVAL, "Unknown field '%s' in RECORD field '%s'",
                               v->u.map.items[i].key, path);
        }
    }
    nson_w_map_begin(w);
    for (uint32_t j = 0; j < t->nfields; j++) {
        const ddl_field_t *f = &t->fields[j];
        const nson_value_t *fv = NULL;
        if (v->type == NSON_MAP) {
            for (uint32_t i = 0; i < v->u.map.count; i++)
                if (entry_is(&v->u.map.items[i], f->name))
                    fv = v->u.map.items[i].val;
        } else if (j < v->u.arr.count) {
            fv = v->u.arr.items[j];
        }
        snprintf(sub, sizeof sub, "%s.%s", path, f->name);
        nson_w_key(w, f->name);
        if (!fv || fv->type == NSON_EMPTY) {
            if (f->def.kind != DDL_LIT_NONE)
                row_default_write(w, f->type, f->def.text);
            else if (f->type->kind == DDL_T_JSON && fv)
                nson_w_json_null(w);
            else
                nson_w_null(w);
            continue;
        }
        if (value_is_null(fv) && f->type->kind != DDL_T_JSON) {
            if (f->not_null)
                return cs_fail(C->err, CS_EINVAL,
                               "Invalid null value for non-nullable field '%s'", sub);
            nson_w_null(w);
            continue;
        }
        cs_err_t rc = conv_value(C, sub, f->type, fv, w, depth + 1);
        if (rc != CS_OK)
            return rc;
    }
    nson_w_map_end(w);
    return CS_OK;
}

/* Convert any non-null value v to type t, writing the column's NSON. */
static cs_err_t conv_value(conv_t *C, const char *path, const ddl_type_t *t,
                           const nson_value_t *v, nson_writer_t *w, int depth)
{
    char sub[192];
    cs_err_t rc;
    if (depth > ROW_MAX_DEPTH)
        return value_err(C, path, "value nested too deeply");
    switch (t->kind) {
    case DDL_T_JSON:
        return conv_json(C, path, v, w, depth);
    case DDL_T_ARRAY:
        if (v->type != NSON_ARRAY)
            return type_err(C, path, t, v);
        snprintf(sub, sizeof sub, "%s[]", path);
        nson_w_array_begin(w);
        for (uint32_t i = 0; i < v->u.arr.count; i++) {
            const nson_value_t *e = v->u.arr.items[i];
            if (value_is_null(e) && t->elem->kind != DDL_T_JSON)
                return value_err(C, sub, "Unexpected NULL value in map or array");
            if ((rc = conv_value(C, sub, t->elem, e, w, depth + 1)) != CS_OK)
                return rc;
        }
        nson_w_array_end(w);
        return CS_OK;
    case DDL_T_MAP: {
        const nson_entry_t **e;
        uint32_t n;
        if (v->type != NSON_MAP)
            return type_err(C, path, t, v);
        if ((rc = unique_entries(C, v, &e, &n)) != CS_OK)
            return rc;
        nson_w_map_begin(w);
        for (uint32_t i = 0; i < n; i++) {
            snprintf(sub, sizeof sub, "%s.%s", path, e[i]->key);
            if (value_is_null(e[i]->val) && t->elem->kind != DDL_T_JSON)
                return value_err(C, sub, "Unexpected NULL value in map or array");
            nson_w_keyn(w, e[i]->key, e[i]->key_len);
            if ((rc = conv_value(C, sub, t->elem, e[i]->val, w, depth + 1)) != CS_OK)
                return rc;
        }
        nson_w_map_end(w);
        return CS_OK;
    }
    case DDL_T_RECORD:
        return conv_record(C, path, t, v, w, depth);
    default: {
        scalar_t sc;
        memset(&sc, 0, sizeof sc);
        if (v->type == NSON_EMPTY)
            return type_err(C, path, t, v);
        if ((rc = conv_scalar(C, path, t, v, &sc)) != CS_OK)
            return rc;
        write_scalar(w, t, &sc);
        return CS_OK;
    }
    }
}

/* ------------------------------------------------------------------------
 * defaults
 * ------------------------------------------------------------------------ */

cs_err_t row_default_canon(arena_t *a, const ddl_type_t *t, const ddl_literal_t *lit,
                           const char *field, char **canon, cs_error_t *err)
{
    const char *s = lit->text ? lit->text : "";
    size_t len = strlen(s);
    conv_t C = {.a = a, .err = err};
    scalar_t sc;
    nson_value_t v;
    char buf[64];

    memset(&sc, 0, sizeof sc);
    switch (t->kind) {
    case DDL_T_JSON: case DDL_T_ARRAY: case DDL_T_MAP: case DDL_T_RECORD:
        return cs_fail(err, CS_EINVAL, "Fields of type: %s cannot have default values",
                       ddl_tkind_name(t->kind));
    default:
        break;
    }
    bool stringy = t->kind == DDL_T_STRING || t->kind == DDL_T_TIMESTAMP ||
                   t->kind == DDL_T_BINARY || t->kind == DDL_T_FIXED_BINARY;
    bool numeric = t->kind == DDL_T_INTEGER || t->kind == DDL_T_LONG || t->kind == DDL_T_FLOAT ||
                   t->kind == DDL_T_DOUBLE || t->kind == DDL_T_NUMBER || t->kind == DDL_T_TIMESTAMP;
    if (lit->kind == DDL_LIT_STRING && !stringy)
        return cs_fail(err, CS_EINVAL, "Quoted default value for a non-string field. Field = %s "
                       "Value = %s", field, s);
    if (lit->kind == DDL_LIT_NUMBER && !numeric)
        return cs_fail(err, CS_EINVAL, "Numeric default value for a non-numeric field. Field = %s "
                       "Value = %s", field, s);
    if (lit->kind == DDL_LIT_ID && t->kind != DDL_T_ENUM)
        return cs_fail(err, CS_EINVAL, "id as default value for a non-enum field. Field = %s "
                       "Value = %s", field, s);
    if (lit->kind == DDL_LIT_BOOL && t->kind != DDL_T_BOOLEAN)
        return cs_fail(err, CS_EINVAL, "Boolean default value for a non-boolean field. Field = %s "
                       "Value = %s", field, s);
    if (t->kind == DDL_T_ENUM && lit->kind != DDL_LIT_ID)
        return cs_fail(err, CS_EINVAL, "Invalid default value for ENUM field %s: %s", field, s);
    if (t->kind == DDL_T_BOOLEAN && lit->kind != DDL_LIT_BOOL)
        return cs_fail(err, CS_EINVAL, "Invalid default value for BOOLEAN field %s: %s", field, s);

    switch (t->kind) {
    case DDL_T_INTEGER:
    case DDL_T_LONG: {
        int64_t x;
        if (!parse_i64_text(s, len, &x) ||
            (t->kind == DDL_T_INTEGER && (x < INT32_MIN || x > INT32_MAX)))
            return cs_fail(err, CS_EINVAL, "Invalid default value for %s field %s: %s",
                           ddl_tkind_name(t->kind), field, s);
        snprintf(buf, sizeof buf, "%lld", (long long)x);
        break;
    }
    case DDL_T_FLOAT:
    case DDL_T_DOUBLE: {
        double d;
        char dig[32];
        keyenc_dec_t dec;
        if (!parse_double_text(s, len, &d) || !isfinite(d) ||
            (t->kind == DDL_T_FLOAT && (isinf((float)d) || ((float)d == 0 && d != 0))))
            return cs_fail(err, CS_EINVAL, "Invalid default value for %s field %s: %s",
                           ddl_tkind_name(t->kind), field, s);
        if (t->kind == DDL_T_FLOAT) {
            /* the float's own shortest decimal */
            float f = (float)d;
            int n = 0;
            for (int prec = 1; prec <= 9; prec++) {
                n = snprintf(buf, sizeof buf, "%.*e", prec - 1, (double)f);
                if (strtof(buf, NULL) == f)
                    break;
            }
            if (keyenc_dec_parse(buf, (size_t)n, dig, &dec, err) != CS_OK)
                return CS_EINVAL;
        } else {
            keyenc_dec_from_double(d, dig, &dec);
        }
        keyenc_dec_format(&dec, buf, sizeof buf);
        break;
    }
    case DDL_T_NUMBER: {
        v = (nson_value_t){.type = NSON_NUMBER, .u.str = {s, (uint32_t)len, false}};
        if (conv_scalar(&C, field, t, &v, &sc) != CS_OK)
            return cs_fail(err, CS_EINVAL, "Invalid default value for NUMBER field %s: %s",
                           field, s);
        return (*canon = arena_strndup(a, sc.text, sc.len)) ? CS_OK
               : cs_fail(err, CS_ENOMEM, "out of memory");
    }
    case DDL_T_BOOLEAN:
        snprintf(buf, sizeof buf, "%s", strcmp(s, "true") == 0 ? "true" : "false");
        break;
    case DDL_T_ENUM:
    case DDL_T_STRING:
    case DDL_T_BINARY:
    case DDL_T_FIXED_BINARY:
        v = (nson_value_t){.type = NSON_STRING, .u.str = {s, (uint32_t)len, false}};
        if (t->kind == DDL_T_STRING && t->as_uuid)
            return cs_fail(err, CS_EINVAL, "A UUID field cannot have a default value: %s", field);
        if (conv_scalar(&C, field, t, &v, &sc) != CS_OK)
            return CS_EINVAL;   /* the message names the field and the problem */
        if (t->kind == DDL_T_BINARY || t->kind == DDL_T_FIXED_BINARY) {
            char *txt = arena_alloc(a, sc.binlen / 3 * 4 + 8);
            if (!txt)
                return cs_fail(err, CS_ENOMEM, "out of memory");
            row_base64_encode(sc.bin, sc.binlen, txt);
            *canon = txt;
            return CS_OK;
        }
        return (*canon = arena_strndup(a, s, len)) ? CS_OK
               : cs_fail(err, CS_ENOMEM, "out of memory");
    case DDL_T_TIMESTAMP:
        if (lit->kind == DDL_LIT_NUMBER) {
            int64_t ms;
            if (!parse_i64_text(s, len, &ms))
                return cs_fail(err, CS_EINVAL, "Invalid default value for TIMESTAMP field %s: %s",
                               field, s);
            v = (nson_value_t){.type = NSON_LONG, .u.l = ms};
        } else {
            v = (nson_value_t){.type = NSON_STRING, .u.str = {s, (uint32_t)len, false}};
        }
        if (conv_scalar(&C, field, t, &v, &sc) != CS_OK)
            return CS_EINVAL;
        timefmt_format(sc.ts, buf, sizeof buf);
        break;
    default:
        return cs_fail(err, CS_EINVAL, "Fields of type: %s cannot have default values",
                       ddl_tkind_name(t->kind));
    }
    return (*canon = arena_strndup(a, buf, strlen(buf))) ? CS_OK
           : cs_fail(err, CS_ENOMEM, "out of memory");
}

void row_default_write(nson_writer_t *w, const ddl_type_t *t, const char *canon)
{
    switch (t->kind) {
    case DDL_T_INTEGER: nson_w_int(w, (int32_t)strtol(canon, NULL, 10)); break;
    case DDL_T_LONG: nson_w_long(w, strtoll(canon, NULL, 10)); break;
    case DDL_T_FLOAT: nson_w_double(w, (double)strtof(canon, NULL)); break;
    case DDL_T_DOUBLE: nson_w_double(w, strtod(canon, NULL)); break;
    case DDL_T_NUMBER: nson_w_number(w, canon); break;
    case DDL_T_STRING:
    case DDL_T_ENUM: nson_w_string(w, canon); break;
    case DDL_T_BOOLEAN: nson_w_bool(w, strcmp(canon, "true") == 0); break;
    case DDL_T_TIMESTAMP: {
        /* the canonical text ends in 'Z'; values go out without it */
        size_t n = strlen(canon);
        char txt[TIMEFMT_TEXT_MAX];
        if (n > 0 && canon[n - 1] == 'Z' && n < sizeof txt) {
            memcpy(txt, canon, n - 1);
            txt[n - 1] = '\0';
            nson_w_timestamp(w, txt);
        } else {
            nson_w_timestamp(w, canon);
        }
        break;
    }
    case DDL_T_BINARY:
    case DDL_T_FIXED_BINARY: {
        size_t n = strlen(canon), out_len = 0;
        uint8_t small[256];
        uint8_t *o = n / 4 * 3 + 3 <= sizeof small ? small : malloc(n / 4 * 3 + 3);
        if (o && row_base64_decode(canon, n, o, &out_len))
            nson_w_binary(w, o, out_len);
        else
            w->failed = true;
        if (o != small)
            free(o);
        break;
    }
    default: nson_w_null(w); break;
    }
}

/* ------------------------------------------------------------------------
 * row_encode
 * ------------------------------------------------------------------------ */

/* Copy a finished buffer into the arena. */
static const uint8_t *to_arena(arena_t *a, const buf_t *b, size_t *len)
{
    *len = b->len;
    return arena_memdup(a, b->len ? b->data : (const uint8_t *)"", b->len ? b->len : 1);
}

/* Fill in the identity or UUID value Put must generate (see row.h); the
 * synthesized request value replaces slot[idx]. *gen_idx = the column. */
static cs_err_t generate_values(conv_t *C, const schema_t *s, const row_opts_t *opts,
                                const nson_value_t **slot, int *gen_idx)
{
    *gen_idx = -1;
    if (s->has_identity) {
        const schema_identity_t *id = &s->identity;
        const schema_field_t *f = &s->fields[id->field];
        const nson_value_t *v = slot[id->field];
        bool present = v && v->type != NSON_EMPTY, gen = false;
        if (id->always) {
            if (present)
                return cs_fail(C->err, CS_EINVAL, "Value should not be set for a generated "
                               "always identity column: %s", f->name);
            gen = true;
        } else {
            gen = !present || (value_is_null(v) && id->on_null);
        }
        if (gen) {
            int64_t x;
            if (!opts || !opts->next_identity)
                return cs_fail(C->err, CS_EINVAL, "No identity sequence for column %s", f->name);
            if (!opts->next_identity(opts->ctx, &x))
                return cs_fail(C->err, CS_EINVAL, "The identity sequence of column %s has "
                               "reached its limit", f->name);
            nson_value_t *nv = arena_calloc(C->a, 1, sizeof *nv);
            if (!nv)
                return nomem(C);
            nv->type = NSON_LONG;
            nv->u.l = x;
            slot[id->field] = nv;
            *gen_idx = (int)id->field;
        }
    }
    if (s->uuid_field >= 0) {
        const nson_value_t *v = slot[s->uuid_field];
        if (!v || v->type == NSON_EMPTY) {
            uint8_t u[16];
            if (!opts || !opts->random16)
                return cs_fail(C->err, CS_EINVAL, "No UUID generator for column %s",
                               s->fields[s->uuid_field].name);
            opts->random16(opts->ctx, u);
            u[6] = (uint8_t)((u[6] & 0x0F) | 0x40);   /* version 4 */
            u[8] = (uint8_t)((u[8] & 0x3F) | 0x80);   /* IETF variant */
            char *txt = arena_alloc(C->a, 37);
            nson_value_t *nv = arena_calloc(C->a, 1, sizeof *nv);
            if (!txt || !nv)
                return nomem(C);
            uuid_format(u, txt);
            nv->type = NSON_STRING;
            nv->u.str.ptr = txt;
            nv->u.str.len = 36;
            slot[s->uuid_field] = nv;
            *gen_idx = s->uuid_field;
        }
    }
    return CS_OK;
}

/* Convert key column i (pk order) from v into the key and keymap. */
static cs_err_t encode_key_col(conv_t *C, const schema_t *s, uint32_t i, const nson_value_t *v,
                               buf_t *kb, nson_writer_t *kmw)
{
    const schema_field_t *f = &s->fields[s->pk[i]];
    scalar_t sc;
    memset(&sc, 0, sizeof sc);
    if (!v || v->type == NSON_EMPTY)
        return cs_fail(C->err, CS_EINVAL, "Missing primary key field: %s", f->name);
    if (value_is_null(v))
        return cs_fail(C->err, CS_EINVAL, "Key field can not be null: %s", f->name);
    cs_err_t rc = conv_scalar(C, f->name, f->type, v, &sc);
    if (rc != CS_OK)
        return rc;
    nson_w_key(kmw, f->name);
    write_scalar(kmw, f->type, &sc);
    key_scalar(kb, f->type, &sc);
    return CS_OK;
}

cs_err_t row_encode(arena_t *a, const schema_t *s, const nson_value_t *value,
                    const row_opts_t *opts, row_parts_t *out, cs_error_t *err)
{
    conv_t C = {.a = a, .err = err, .exact = opts && opts->exact_match};
    buf_t kb, kmb, vb, gb;
    nson_writer_t kmw, vw, gw;
    cs_err_t rc = CS_OK;
    int gen_idx = -1;

    memset(out, 0, sizeof *out);
    buf_init(&kb, 0);
    buf_init(&kmb, 0);
    buf_init(&vb, 0);
    buf_init(&gb, 0);
    nson_writer_init(&kmw, &kmb);
    nson_writer_init(&vw, &vb);
    nson_writer_init(&gw, &gb);

    const nson_value_t **slot = arena_calloc(a, s->nfields, sizeof *slot);
    if (!slot) {
        rc = nomem(&C);
        goto done;
    }
    if (!value || value->type != NSON_MAP) {
        rc = cs_fail(err, CS_EINVAL, "The row value must be a MAP, got %s",
                     value ? nson_type_name(value->type) : "nothing");
        goto done;
    }
    for (uint32_t i = 0; i < value->u.map.count; i++) {
        int idx = entry_field(s, &value->u.map.items[i]);
        if (idx >= 0) {
            slot[idx] = value->u.map.items[i].val;
        } else if (C.exact) {
            rc = cs_fail(err, CS_EINVAL, "The row does not exactly match the table: unknown "
                         "field '%s'", value->u.map.items[i].key);
            goto done;
        }
    }
    if ((rc = generate_values(&C, s, opts, slot, &gen_idx)) != CS_OK)
        goto done;

    /* key columns, in key order */
    nson_w_map_begin(&kmw);
    for (uint32_t i = 0; i < s->npk; i++) {
        if ((rc = encode_key_col(&C, s, i, slot[s->pk[i]], &kb, &kmw)) != CS_OK)
            goto done;
        if (i + 1 == s->nshard)
            out->shard_len = kb.len;
    }
    nson_w_map_end(&kmw);

    /* the other columns, in declaration order */
    nson_w_map_begin(&vw);
    for (uint32_t i = 0; i < s->nfields; i++) {
        const schema_field_t *f = &s->fields[i];
        const nson_value_t *v = slot[i];
        if (f->key_pos >= 0)
            continue;
        nson_w_key(&vw, f->name);
        if (!v || v->type == NSON_EMPTY) {
            if (f->has_default)
                nson_w_raw(&vw, f->def_nson, f->def_nson_len);
            else
                nson_w_null(&vw);
        } else if (value_is_null(v) && f->type->kind == DDL_T_JSON) {
            nson_w_json_null(&vw);
        } else if (value_is_null(v)) {
            if (!f->nullable) {
                rc = cs_fail(err, CS_EINVAL, "Invalid null value for non-nullable field '%s'",
                             f->name);
                goto done;
            }
            nson_w_null(&vw);
        } else if ((rc = conv_value(&C, f->name, f->type, v, &vw, 1)) != CS_OK) {
            goto done;
        }
    }
    nson_w_map_end(&vw);

    if (gen_idx >= 0) {
        const schema_field_t *f = &s->fields[gen_idx];
        if ((rc = conv_value(&C, f->name, f->type, slot[gen_idx], &gw, 1)) != CS_OK)
            goto done;
    }
    if (!buf_ok(&kb) || !nson_writer_ok(&kmw) || !buf_ok(&kmb) || !nson_writer_ok(&vw) ||
        !buf_ok(&vb) || !nson_writer_ok(&gw) || !buf_ok(&gb)) {
        rc = nomem(&C);
        goto done;
    }
    out->key = to_arena(a, &kb, &out->key_len);
    out->keymap = to_arena(a, &kmb, &out->keymap_len);
    out->value = to_arena(a, &vb, &out->value_len);
    if (gen_idx >= 0)
        out->generated = to_arena(a, &gb, &out->generated_len);
    if (!out->key || !out->keymap || !out->value || (gen_idx >= 0 && !out->generated))
        rc = nomem(&C);
done:
    buf_free(&kb);
    buf_free(&kmb);
    buf_free(&vb);
    buf_free(&gb);
    if (rc != CS_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ------------------------------------------------------------------------
 * keys and ranges
 * ------------------------------------------------------------------------ */

cs_err_t row_encode_key(arena_t *a, const schema_t *s, const nson_value_t *key_map,
                        bool partial_ok, key_parts_t *out, cs_error_t *err)
{
    conv_t C = {.a = a, .err = err, .exact = true};
    buf_t kb, kmb;
    nson_writer_t kmw;
    cs_err_t rc = CS_OK;

    memset(out, 0, sizeof *out);
    buf_init(&kb, 0);
    buf_init(&kmb, 0);
    nson_writer_init(&kmw, &kmb);
    const nson_value_t **slot = arena_calloc(a, s->npk, sizeof *slot);
    if (!slot) {
        rc = nomem(&C);
        goto done;
    }
    if (!key_map || key_map->type != NSON_MAP) {
        rc = cs_fail(err, CS_EINVAL, "The primary key must be a MAP, got %s",
                     key_map ? nson_type_name(key_map->type) : "nothing");
        goto done;
    }
    for (uint32_t i = 0; i < key_map->u.map.count; i++) {
        const char *k = key_map->u.map.items[i].key;
        int idx = entry_field(s, &key_map->u.map.items[i]);
        if (idx < 0 || s->fields[idx].key_pos < 0) {
            rc = cs_fail(err, CS_EINVAL, "Field '%s' is not a primary key field of the table", k);
            goto done;
        }
        slot[s->fields[idx].key_pos] = key_map->u.map.items[i].val;
    }
    nson_w_map_begin(&kmw);
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->npk; i++) {
        const nson_value_t *v = slot[i];
        bool missing = !v || v->type == NSON_EMPTY;
        if (missing && partial_ok && i >= s->nshard) {
            /* the prefix ends here: no later key column may be given */
            for (uint32_t j = i + 1; j < s->npk; j++)
                if (slot[j]) {
                    rc = cs_fail(err, CS_EINVAL, "The key is not a prefix of the primary key: "
                                 "%s is given but %s is missing", schema_pk_name(s, j),
                                 schema_pk_name(s, i));
                    goto done;
                }
            break;
        }
        if (missing && partial_ok) {
            rc = cs_fail(err, CS_EINVAL, "Missing shard key field: %s", schema_pk_name(s, i));
            goto done;
        }
        if ((rc = encode_key_col(&C, s, i, v, &kb, &kmw)) != CS_OK)
            goto done;
        n++;
        if (n == s->nshard)
            out->shard_len = kb.len;
    }
    nson_w_map_end(&kmw);
    if (!buf_ok(&kb) || !nson_writer_ok(&kmw) || !buf_ok(&kmb)) {
        rc = nomem(&C);
        goto done;
    }
    out->ncols = n;
    out->key = to_arena(a, &kb, &out->key_len);
    out->keymap = to_arena(a, &kmb, &out->keymap_len);
    if (!out->key || !out->keymap)
        rc = nomem(&C);
done:
    buf_free(&kb);
    buf_free(&kmb);
    if (rc != CS_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* Bound from rg's sr/en: prefix + the component; inclusive/exclusive
 * applied by the caller. */
static cs_err_t range_bound(conv_t *C, const schema_t *s, const key_parts_t *prefix,
                            uint32_t col, const nson_value_t *b, const char *which, buf_t *out,
                            bool *inclusive)
{
    const schema_field_t *f = &s->fields[s->pk[col]];
    nson_value_t *l = b ? nson_map_get(b, "l") : NULL;
    nson_value_t *in = b ? nson_map_get(b, "in") : NULL;
    scalar_t sc;
    memset(&sc, 0, sizeof sc);
    if (!b || b->type != NSON_MAP || !l)
        return cs_fail(C->err, CS_EINVAL, "Invalid field range: '%s' needs a value", which);
    *inclusive = in ? (in->type == NSON_BOOLEAN && in->u.b) : true;
    if (value_is_null(l) || l->type == NSON_EMPTY)
        return cs_fail(C->err, CS_EINVAL, "Invalid field range: the %s value of %s is null",
                       which, f->name);
    cs_err_t rc = conv_scalar(C, f->name, f->type, l, &sc);
    if (rc != CS_OK)
        return rc;
    buf_append(out, prefix->key, prefix->key_len);
    key_scalar(out, f->type, &sc);
    return CS_OK;
}

cs_err_t row_encode_range(arena_t *a, const schema_t *s, const key_parts_t *prefix,
                          const nson_value_t *rg, key_range_t *out, cs_error_t *err)
{
    conv_t C = {.a = a, .err = err, .exact = true};
    buf_t sb, eb;
    cs_err_t rc = CS_OK;
    bool has_end = true, incl;

    memset(out, 0, sizeof *out);
    buf_init(&sb, 0);
    buf_init(&eb, 0);
    if (!rg) {
        buf_append(&sb, prefix->key, prefix->key_len);
        buf_append(&eb, prefix->key, prefix->key_len);
        has_end = keyenc_successor(eb.data ? eb.data : (uint8_t *)"", &eb.len) && eb.len > 0;
    } else {
        nson_value_t *rp = nson_map_get(rg, "rp");
        nson_value_t *sr = nson_map_get(rg, "sr"), *en = nson_map_get(rg, "en");
        uint32_t col = prefix->ncols;
        if (rg->type != NSON_MAP || !rp || rp->type != NSON_STRING || rp->u.str.is_null) {
            rc = cs_fail(err, CS_EINVAL, "Invalid field range: missing the field name");
            goto done;
        }
        if (col >= s->npk) {
            rc = cs_fail(err, CS_EINVAL, "Invalid field range on %s: the key already names "
                         "every primary key field", rp->u.str.ptr);
            goto done;
        }
        if (strcasecmp(rp->u.str.ptr, schema_pk_name(s, col)) != 0) {
            rc = cs_fail(err, CS_EINVAL, "Invalid field range on %s: it must be the next "
                         "primary key field after the given key, %s", rp->u.str.ptr,
                         schema_pk_name(s, col));
            goto done;
        }
        if (!sr && !en) {
            rc = cs_fail(err, CS_EINVAL, "Invalid field range on %s: no start or end",
                         rp->u.str.ptr);
            goto done;
        }
        if (sr) {
            if ((rc = range_bound(&C, s, prefix, col, sr, "start", &sb, &incl)) != CS_OK)
                goto done;
            if (!incl && !keyenc_successor(sb.data, &sb.len)) {
                buf_reset(&sb);   /* nothing can follow: make the range empty */
                buf_append(&sb, prefix->key, prefix->key_len);
                buf_putc(&sb, 0xFF);
            }
        } else {
            buf_append(&sb, prefix->key, prefix->key_len);
        }
        if (en) {
            if ((rc = range_bound(&C, s, prefix, col, en, "end", &eb, &incl)) != CS_OK)
                goto done;
            if (incl)
                has_end = keyenc_successor(eb.data, &eb.len);
        } else {
            buf_append(&eb, prefix->key, prefix->key_len);
            has_end = prefix->key_len > 0 && keyenc_successor(eb.data, &eb.len);
        }
    }
    if (!buf_ok(&sb) || !buf_ok(&eb)) {
        rc = nomem(&C);
        goto done;
    }
    out->start = to_arena(a, &sb, &out->start_len);
    if (has_end)
        out->end = to_arena(a, &eb, &out->end_len);
    if (!out->start || (has_end && !out->end))
        rc = nomem(&C);
done:
    buf_free(&sb);
    buf_free(&eb);
    if (rc != CS_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ------------------------------------------------------------------------
 * stored rows
 * ------------------------------------------------------------------------ */

static const nson_value_t *map_find(const nson_value_t *m, const char *name)
{
    if (!m || m->type != NSON_MAP)
        return NULL;
    for (uint32_t i = m->u.map.count; i-- > 0;)
        if (strcasecmp(m->u.map.items[i].key, name) == 0)
            return m->u.map.items[i].val;
    return NULL;
}

/* Write a stored value under the current type: RECORDs are re-shaped to
 * their current fields (added ones get defaults, dropped ones vanish). */
static void write_stored(nson_writer_t *w, const ddl_type_t *t, const nson_value_t *v, int depth)
{
    if (depth > ROW_MAX_DEPTH + 2 || v->type == NSON_NULL) {
        nson_w_value(w, v);
        return;
    }
    if (t->kind == DDL_T_RECORD && v->type == NSON_MAP) {
        nson_w_map_begin(w);
        for (uint32_t i = 0; i < t->nfields; i++) {
            const ddl_field_t *f = &t->fields[i];
            const nson_value_t *fv = map_find(v, f->name);
            nson_w_key(w, f->name);
            if (fv)
                write_stored(w, f->type, fv, depth + 1);
            else if (f->def.kind != DDL_LIT_NONE)
                row_default_write(w, f->type, f->def.text);
            else
                nson_w_null(w);
        }
        nson_w_map_end(w);
    } else if (t->kind == DDL_T_ARRAY && v->type == NSON_ARRAY && t->elem->kind == DDL_T_RECORD) {
        nson_w_array_begin(w);
        for (uint32_t i = 0; i < v->u.arr.count; i++)
            write_stored(w, t->elem, v->u.arr.items[i], depth + 1);
        nson_w_array_end(w);
    } else if (t->kind == DDL_T_MAP && v->type == NSON_MAP && t->elem->kind == DDL_T_RECORD) {
        nson_w_map_begin(w);
        for (uint32_t i = 0; i < v->u.map.count; i++) {
            nson_w_keyn(w, v->u.map.items[i].key, v->u.map.items[i].key_len);
            write_stored(w, t->elem, v->u.map.items[i].val, depth + 1);
        }
        nson_w_map_end(w);
    } else {
        nson_w_value(w, v);
    }
}

cs_err_t row_write_full(nson_writer_t *w, const schema_t *s, const uint8_t *keymap,
                        size_t keymap_len, const uint8_t *value, size_t value_len)
{
    arena_t a;
    cs_error_t e;
    cs_err_t rc = CS_OK;
    arena_init(&a, 8 * (keymap_len + value_len) + 65536);
    nson_value_t *km = nson_decode(&a, keymap, keymap_len, false, &e);
    nson_value_t *vm = nson_decode(&a, value, value_len, false, &e);
    if (!km || !vm || km->type != NSON_MAP || vm->type != NSON_MAP) {
        rc = CS_ECORRUPT;
        goto done;
    }
    nson_w_map_begin(w);
    for (uint32_t i = 0; i < s->nfields; i++) {
        const schema_field_t *f = &s->fields[i];
        const nson_value_t *v = map_find(f->key_pos >= 0 ? km : vm, f->name);
        nson_w_key(w, f->name);
        if (v)
            write_stored(w, f->type, v, 1);
        else if (f->has_default)
            nson_w_raw(w, f->def_nson, f->def_nson_len);
        else
            nson_w_null(w);
    }
    nson_w_map_end(w);
done:
    arena_free(&a);
    return rc;
}
