/*
 * nson.c - NSON reader (bytes -> arena tree) and writer (calls -> buf_t).
 *
 * The reader is a bounded cursor in the style of Knot's wire_ctx: every read
 * checks the bytes left, declared lengths and counts are checked against the
 * bytes left before anything is allocated, nesting is capped, and the first
 * error sticks. Nothing here trusts a number the peer sent.
 */
#include "nson.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Packed integers
 * ------------------------------------------------------------------------ */

/* Shared decoder: max_n is 4 for INTEGER, 8 for LONG; lo/hi the type range. */
static size_t unpack(const uint8_t *p, size_t len, int max_n, int64_t lo, int64_t hi, int64_t *out)
{
    if (len < 1)
        return 0;
    unsigned b = p[0];
    if (b >= 0x08 && b <= 0xF7) {
        *out = (int64_t)b - 127;
        return 1;
    }
    int n = b >= 0xF8 ? (int)(b - 0xF7) : (int)(0x08 - b);
    if (n > max_n || (size_t)n + 1 > len)
        return 0;
    uint64_t u = 0;
    for (int i = 1; i <= n; i++)
        u = (u << 8) | p[i];
    int64_t v;
    if (b >= 0xF8) {
        if (u > (uint64_t)INT64_MAX - 121)
            return 0;
        v = (int64_t)u + 121;
    } else {
        /* sign-extend from all ones: u - 2^(8n) */
        int64_t x;
        if (n == 8) {
            if (!(u >> 63))
                return 0;               /* below -2^63 */
            x = (int64_t)u;
        } else {
            x = (int64_t)(u | (~(uint64_t)0 << (8 * n)));
        }
        if (x < INT64_MIN + 119)
            return 0;
        v = x - 119;
    }
    if (v < lo || v > hi)
        return 0;
    *out = v;
    return (size_t)n + 1;
}

size_t nson_unpack_int(const uint8_t *p, size_t len, int32_t *out)
{
    int64_t v;
    size_t n = unpack(p, len, 4, INT32_MIN, INT32_MAX, &v);
    if (n)
        *out = (int32_t)v;
    return n;
}

size_t nson_unpack_long(const uint8_t *p, size_t len, int64_t *out)
{
    return unpack(p, len, 8, INT64_MIN, INT64_MAX, out);
}

size_t nson_pack_long(uint8_t *out, int64_t v)
{
    if (v >= -119 && v <= 120) {
        out[0] = (uint8_t)(v + 127);
        return 1;
    }
    uint64_t a;
    int n = 1;
    if (v > 120) {
        a = (uint64_t)v - 121;
        while (n < 8 && (a >> (8 * n)) != 0)
            n++;
        out[0] = (uint8_t)(0xF7 + n);
    } else {
        int64_t s = v + 119;   /* negative, never overflows since v < -119 */
        while (n < 8 && s < -((int64_t)1 << (8 * n - 1)) * 2)
            n++;
        a = (uint64_t)s;
        out[0] = (uint8_t)(0x08 - n);
    }
    for (int i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(a >> (8 * (n - 1 - i)));
    return (size_t)n + 1;
}

size_t nson_pack_int(uint8_t *out, int32_t v)
{
    return nson_pack_long(out, v);
}

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;     /* whole input */
    size_t pos, end;      /* current position and the end of the enclosing value */
    arena_t *a;
    cs_error_t *err;
    bool failed;
} rd_t;

static void rd_fail(rd_t *r, cs_err_t code, const char *what)
{
    if (r->failed)
        return;
    r->failed = true;
    cs_fail(r->err, code, "invalid NSON at byte %zu: %s", r->pos, what);
}

static bool rd_need(rd_t *r, size_t n, const char *what)
{
    if (r->failed)
        return false;
    if (r->end - r->pos < n) {
        rd_fail(r, CS_EPROTO, what);
        return false;
    }
    return true;
}

static int32_t rd_packed_int(rd_t *r, const char *what)
{
    int32_t v = 0;
    if (r->failed)
        return 0;
    size_t n = nson_unpack_int(r->p + r->pos, r->end - r->pos, &v);
    if (!n) {
        rd_fail(r, CS_EPROTO, what);
        return 0;
    }
    r->pos += n;
    return v;
}

static uint32_t rd_be32(rd_t *r, const char *what)
{
    if (!rd_need(r, 4, what))
        return 0;
    uint32_t v = be32_load(r->p + r->pos);
    r->pos += 4;
    return v;
}

static void *rd_alloc(rd_t *r, size_t n)
{
    if (r->failed)
        return NULL;
    void *p = arena_alloc(r->a, n);
    if (!p)
        rd_fail(r, CS_ENOMEM, "message too large to decode");
    return p;
}

bool nson_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return false;
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* A length-prefixed text (STRING/TIMESTAMP/NUMBER) or BINARY body. */
static bool rd_sized(rd_t *r, bool text, const uint8_t **ptr, uint32_t *len, bool *is_null)
{
    int32_t n = rd_packed_int(r, "bad length");
    if (r->failed)
        return false;
    if (n == -1) {
        *ptr = (const uint8_t *)"";
        *len = 0;
        *is_null = true;
        return true;
    }
    if (n < 0) {
        rd_fail(r, CS_EPROTO, "negative length");
        return false;
    }
    if (!rd_need(r, (size_t)n, "length runs past the end"))
        return false;
    const uint8_t *src = r->p + r->pos;
    if (text && !nson_utf8_valid(src, (size_t)n)) {
        rd_fail(r, CS_EPROTO, "string is not valid UTF-8");
        return false;
    }
    uint8_t *copy = rd_alloc(r, (size_t)n + 1);
    if (!copy)
        return false;
    memcpy(copy, src, (size_t)n);
    copy[n] = 0;
    r->pos += (size_t)n;
    *ptr = copy;
    *len = (uint32_t)n;
    *is_null = false;
    return true;
}

static nson_value_t *rd_value(rd_t *r, int depth);

/* MAP or ARRAY body after the type byte: exact byte length, bounded count. */
static void rd_container(rd_t *r, nson_value_t *v, int depth)
{
    bool is_map = v->type == NSON_MAP;
    if (depth >= NSON_MAX_DEPTH) {
        rd_fail(r, CS_EPROTO, "nesting too deep");
        return;
    }
    uint32_t blen = rd_be32(r, "truncated container length");
    if (r->failed)
        return;
    if (blen < 4 || blen > r->end - r->pos) {
        rd_fail(r, CS_EPROTO, "container length runs past the end");
        return;
    }
    size_t outer_end = r->end;
    r->end = r->pos + blen;
    uint32_t count = rd_be32(r, "truncated container count");
    /* every entry needs at least 1 (array) or 2 (map: key, value) bytes */
    size_t room = r->end - r->pos;
    if (!r->failed && ((int32_t)count < 0 || (size_t)count > room / (is_map ? 2 : 1) ||
                       (is_map && count > NSON_MAX_MAP_ENTRIES))) {
        rd_fail(r, CS_EPROTO, "container count larger than its bytes");
    }
    if (r->failed)
        return;
    if (is_map) {
        nson_entry_t *items = count ? rd_alloc(r, sizeof *items * count) : NULL;
        for (uint32_t i = 0; i < count && !r->failed; i++) {
            const uint8_t *k;
            uint32_t klen;
            bool knull;
            if (!rd_sized(r, true, &k, &klen, &knull))
                break;
            if (knull) {
                rd_fail(r, CS_EPROTO, "null map key");
                break;
            }
            items[i].key = (const char *)k;
            items[i].key_len = klen;
            items[i].val = rd_value(r, depth + 1);
        }
        v->u.map.items = items;
        v->u.map.count = count;
    } else {
        nson_value_t **items = count ? rd_alloc(r, sizeof *items * count) : NULL;
        for (uint32_t i = 0; i < count && !r->failed; i++)
            items[i] = rd_value(r, depth + 1);
        v->u.arr.items = items;
        v->u.arr.count = count;
    }
    if (!r->failed && r->pos != r->end)
        rd_fail(r, CS_EPROTO, "container length does not match its contents");
    r->end = outer_end;
}

static nson_value_t *rd_value(rd_t *r, int depth)
{
    if (!rd_need(r, 1, "truncated value"))
        return NULL;
    uint8_t t = r->p[r->pos];
    nson_value_t *v = rd_alloc(r, sizeof *v);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    r->pos++;
    v->type = (nson_type_t)t;
    switch (t) {
    case NSON_ARRAY:
    case NSON_MAP:
        rd_container(r, v, depth);
        break;
    case NSON_BINARY:
        rd_sized(r, false, &v->u.bin.ptr, &v->u.bin.len, &v->u.bin.is_null);
        break;
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER: {
        const uint8_t *p;
        if (rd_sized(r, true, &p, &v->u.str.len, &v->u.str.is_null))
            v->u.str.ptr = (const char *)p;
        break;
    }
    case NSON_BOOLEAN:
        if (rd_need(r, 1, "truncated boolean"))
            v->u.b = r->p[r->pos++] != 0;
        break;
    case NSON_DOUBLE:
        if (rd_need(r, 8, "truncated double")) {
            uint64_t bits = be64_load(r->p + r->pos);
            memcpy(&v->u.d, &bits, 8);
            r->pos += 8;
        }
        break;
    case NSON_INTEGER:
        v->u.i = rd_packed_int(r, "bad packed integer");
        break;
    case NSON_LONG: {
        size_t n = r->failed ? 0 : nson_unpack_long(r->p + r->pos, r->end - r->pos, &v->u.l);
        if (!n)
            rd_fail(r, CS_EPROTO, "bad packed long");
        else
            r->pos += n;
        break;
    }
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY:
        break;
    default:
        r->pos--;
        rd_fail(r, CS_EPROTO, "unknown type code");
        break;
    }
    return r->failed ? NULL : v;
}

nson_value_t *nson_decode(arena_t *a, const uint8_t *data, size_t len, bool allow_trailing,
                          cs_error_t *err)
{
    rd_t r = { .p = data, .pos = 0, .end = len, .a = a, .err = err, .failed = false };
    nson_value_t *v = rd_value(&r, 0);
    if (!r.failed && !allow_trailing && r.pos != len)
        rd_fail(&r, CS_EPROTO, "trailing bytes after the message");
    return r.failed ? NULL : v;
}

/* ------------------------------------------------------------------------
 * Field access
 * ------------------------------------------------------------------------ */

nson_value_t *nson_map_get(const nson_value_t *map, const char *key)
{
    if (!map || map->type != NSON_MAP)
        return NULL;
    for (uint32_t i = map->u.map.count; i-- > 0;)
        if (strcmp(map->u.map.items[i].key, key) == 0)
            return map->u.map.items[i].val;
    return NULL;
}

static bool mark_bad(bool *bad)
{
    if (bad)
        *bad = true;
    return false;
}

bool nson_get_long(const nson_value_t *map, const char *key, int64_t *out, bool *bad)
{
    const nson_value_t *v = nson_map_get(map, key);
    if (!v)
        return false;
    if (v->type == NSON_INTEGER)
        *out = v->u.i;
    else if (v->type == NSON_LONG)
        *out = v->u.l;
    else
        return mark_bad(bad);
    return true;
}

bool nson_get_int(const nson_value_t *map, const char *key, int32_t *out, bool *bad)
{
    int64_t l;
    bool was_bad = false;
    if (!nson_get_long(map, key, &l, &was_bad))
        return was_bad ? mark_bad(bad) : false;
    if (l < INT32_MIN || l > INT32_MAX)
        return mark_bad(bad);
    *out = (int32_t)l;
    return true;
}

bool nson_get_bool(const nson_value_t *map, const char *key, bool *out, bool *bad)
{
    const nson_value_t *v = nson_map_get(map, key);
    if (!v)
        return false;
    if (v->type != NSON_BOOLEAN)
        return mark_bad(bad);
    *out = v->u.b;
    return true;
}

bool nson_get_string(const nson_value_t *map, const char *key, const char **out, bool *bad)
{
    const nson_value_t *v = nson_map_get(map, key);
    if (!v)
        return false;
    if (v->type != NSON_STRING)
        return mark_bad(bad);
    if (v->u.str.is_null)
        return false;
    *out = v->u.str.ptr;
    return true;
}

bool nson_get_binary(const nson_value_t *map, const char *key, const uint8_t **out,
                     uint32_t *len, bool *bad)
{
    const nson_value_t *v = nson_map_get(map, key);
    if (!v)
        return false;
    if (v->type != NSON_BINARY)
        return mark_bad(bad);
    if (v->u.bin.is_null)
        return false;
    *out = v->u.bin.ptr;
    *len = v->u.bin.len;
    return true;
}

const char *nson_type_name(int type)
{
    static const char *const names[] = {
        "ARRAY", "BINARY", "BOOLEAN", "DOUBLE", "INTEGER", "LONG", "MAP",
        "STRING", "TIMESTAMP", "NUMBER", "JSON_NULL", "NULL", "EMPTY",
    };
    if (type < 0 || type > NSON_EMPTY)
        return "UNKNOWN";
    return names[type];
}

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

void nson_writer_init(nson_writer_t *w, buf_t *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

bool nson_writer_ok(const nson_writer_t *w)
{
    return !w->failed && w->depth == 0 && buf_ok(w->out);
}

/* Every value written inside a container counts once (a MAP's key does not). */
static void w_count(nson_writer_t *w)
{
    if (w->depth > 0)
        w->count[w->depth - 1]++;
}

static void w_begin(nson_writer_t *w, nson_type_t t)
{
    if (w->depth >= NSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w_count(w);
    buf_putc(w->out, (uint8_t)t);
    w->start[w->depth] = w->out->len;
    w->count[w->depth] = 0;
    w->depth++;
    buf_put_be32(w->out, 0);
    buf_put_be32(w->out, 0);
}

static void w_end(nson_writer_t *w)
{
    if (w->depth <= 0) {
        w->failed = true;
        return;
    }
    w->depth--;
    if (!buf_ok(w->out))
        return;
    size_t at = w->start[w->depth];
    size_t blen = w->out->len - at - 4;
    if (blen > INT32_MAX) {
        w->failed = true;
        return;
    }
    be32_store(w->out->data + at, (uint32_t)blen);
    be32_store(w->out->data + at + 4, w->count[w->depth]);
}

void nson_w_map_begin(nson_writer_t *w) { w_begin(w, NSON_MAP); }
void nson_w_map_end(nson_writer_t *w) { w_end(w); }
void nson_w_array_begin(nson_writer_t *w) { w_begin(w, NSON_ARRAY); }
void nson_w_array_end(nson_writer_t *w) { w_end(w); }

static void w_packed_int(nson_writer_t *w, int32_t v)
{
    uint8_t t[5];
    buf_append(w->out, t, nson_pack_int(t, v));
}

void nson_w_keyn(nson_writer_t *w, const char *key, size_t len)
{
    if (len > INT32_MAX) {
        w->failed = true;
        return;
    }
    w_packed_int(w, (int32_t)len);
    buf_append(w->out, key, len);
    /* the key is not an entry by itself: the value that follows counts */
}

void nson_w_key(nson_writer_t *w, const char *key) { nson_w_keyn(w, key, strlen(key)); }

void nson_w_int(nson_writer_t *w, int32_t v)
{
    w_count(w);
    buf_putc(w->out, NSON_INTEGER);
    w_packed_int(w, v);
}

void nson_w_long(nson_writer_t *w, int64_t v)
{
    uint8_t t[9];
    w_count(w);
    buf_putc(w->out, NSON_LONG);
    buf_append(w->out, t, nson_pack_long(t, v));
}

void nson_w_double(nson_writer_t *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    w_count(w);
    buf_putc(w->out, NSON_DOUBLE);
    buf_put_be64(w->out, bits);
}

void nson_w_bool(nson_writer_t *w, bool v)
{
    w_count(w);
    buf_putc(w->out, NSON_BOOLEAN);
    buf_putc(w->out, v ? 1 : 0);
}

static void w_sized(nson_writer_t *w, nson_type_t t, const void *p, size_t len)
{
    w_count(w);
    buf_putc(w->out, (uint8_t)t);
    if (!p) {
        w_packed_int(w, -1);
        return;
    }
    if (len > INT32_MAX) {
        w->failed = true;
        return;
    }
    w_packed_int(w, (int32_t)len);
    buf_append(w->out, p, len);
}

void nson_w_string(nson_writer_t *w, const char *s) { w_sized(w, NSON_STRING, s, s ? strlen(s) : 0); }
void nson_w_stringn(nson_writer_t *w, const char *s, size_t len) { w_sized(w, NSON_STRING, s, len); }
void nson_w_binary(nson_writer_t *w, const void *p, size_t len) { w_sized(w, NSON_BINARY, p, len); }
void nson_w_timestamp(nson_writer_t *w, const char *s) { w_sized(w, NSON_TIMESTAMP, s, s ? strlen(s) : 0); }
void nson_w_number(nson_writer_t *w, const char *s) { w_sized(w, NSON_NUMBER, s, s ? strlen(s) : 0); }

static void w_bare(nson_writer_t *w, nson_type_t t)
{
    w_count(w);
    buf_putc(w->out, (uint8_t)t);
}

void nson_w_json_null(nson_writer_t *w) { w_bare(w, NSON_JSON_NULL); }
void nson_w_null(nson_writer_t *w) { w_bare(w, NSON_NULL); }
void nson_w_empty(nson_writer_t *w) { w_bare(w, NSON_EMPTY); }

void nson_w_raw(nson_writer_t *w, const void *p, size_t len)
{
    w_count(w);
    buf_append(w->out, p, len);
}

void nson_w_raw_n(nson_writer_t *w, const void *p, size_t len, uint32_t count)
{
    if (w->depth > 0)
        w->count[w->depth - 1] += count;
    buf_append(w->out, p, len);
}

void nson_w_value(nson_writer_t *w, const nson_value_t *v)
{
    switch (v->type) {
    case NSON_ARRAY:
        nson_w_array_begin(w);
        for (uint32_t i = 0; i < v->u.arr.count; i++)
            nson_w_value(w, v->u.arr.items[i]);
        nson_w_array_end(w);
        break;
    case NSON_MAP:
        nson_w_map_begin(w);
        for (uint32_t i = 0; i < v->u.map.count; i++) {
            nson_w_keyn(w, v->u.map.items[i].key, v->u.map.items[i].key_len);
            nson_w_value(w, v->u.map.items[i].val);
        }
        nson_w_map_end(w);
        break;
    case NSON_BINARY:
        w_sized(w, NSON_BINARY, v->u.bin.is_null ? NULL : v->u.bin.ptr, v->u.bin.len);
        break;
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        w_sized(w, v->type, v->u.str.is_null ? NULL : v->u.str.ptr, v->u.str.len);
        break;
    case NSON_BOOLEAN: nson_w_bool(w, v->u.b); break;
    case NSON_DOUBLE: nson_w_double(w, v->u.d); break;
    case NSON_INTEGER: nson_w_int(w, v->u.i); break;
    case NSON_LONG: nson_w_long(w, v->u.l); break;
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY:
        w_bare(w, v->type);
        break;
    default:
        w->failed = true;
        break;
    }
}

void nson_w_kv_int(nson_writer_t *w, const char *key, int32_t v) { nson_w_key(w, key); nson_w_int(w, v); }
void nson_w_kv_long(nson_writer_t *w, const char *key, int64_t v) { nson_w_key(w, key); nson_w_long(w, v); }
void nson_w_kv_bool(nson_writer_t *w, const char *key, bool v) { nson_w_key(w, key); nson_w_bool(w, v); }
void nson_w_kv_string(nson_writer_t *w, const char *key, const char *s) { nson_w_key(w, key); nson_w_string(w, s); }
void nson_w_kv_binary(nson_writer_t *w, const char *key, const void *p, size_t len)
{
    nson_w_key(w, key);
    nson_w_binary(w, p, len);
}
