/* csc_nson_raw.c - NSON read in place (see csc_nson_raw.h). The checks
 * mirror proto/nson.c's reader rule for rule (rd_value, rd_container,
 * rd_sized); check_client_nson_raw.c compares the two on many inputs. */
#include "csc_nson_raw.h"

#include <string.h>

#include "nson.h"

/* nson_unpack_int with the one-byte form inline (key lengths, small
 * values: nearly every packed int). */
static inline size_t unpack_int(const uint8_t *p, size_t len, int32_t *out)
{
    if (len && p[0] >= 0x08 && p[0] <= 0xF7) {
        *out = (int32_t)p[0] - 127;
        return 1;
    }
    return nson_unpack_int(p, len, out);
}

/* nson_utf8_valid, skipping ASCII eight bytes at a time first (an ASCII
 * byte is a whole character, so the rest is checked on its own). */
static bool utf8_ok(const uint8_t *s, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    while (i < len && s[i] < 0x80)
        i++;
    return i == len || nson_utf8_valid(s + i, len - i);
}

/* ------------------------------------------------------------------------
 * checking
 * ------------------------------------------------------------------------ */

typedef struct chk {
    const uint8_t *p;
    size_t pos, end;    /* current position, end of the enclosing value */
} chk_t;

static bool chk_value(chk_t *c, int depth);

/* A length-prefixed body: rd_sized. */
static bool chk_sized(chk_t *c, bool text, bool *is_null)
{
    int32_t n;
    size_t k = unpack_int(c->p + c->pos, c->end - c->pos, &n);
    if (!k)
        return false;
    c->pos += k;
    *is_null = n == -1;
    if (n == -1)
        return true;
    if (n < 0 || (size_t)n > c->end - c->pos)
        return false;
    if (text && !utf8_ok(c->p + c->pos, (size_t)n))
        return false;
    c->pos += (size_t)n;
    return true;
}

/* MAP or ARRAY body after the type byte: rd_container. */
static bool chk_container(chk_t *c, bool is_map, int depth)
{
    if (depth >= NSON_MAX_DEPTH || c->end - c->pos < 4)
        return false;
    uint32_t blen = be32_load(c->p + c->pos);
    c->pos += 4;
    if (blen < 4 || blen > c->end - c->pos)
        return false;
    size_t outer_end = c->end;
    c->end = c->pos + blen;
    uint32_t count = be32_load(c->p + c->pos);
    c->pos += 4;
    size_t room = c->end - c->pos;
    if ((int32_t)count < 0 || (size_t)count > room / (is_map ? 2 : 1) ||
        (is_map && count > NSON_MAX_MAP_ENTRIES))
        return false;
    for (uint32_t i = 0; i < count; i++) {
        bool null_key;
        if (is_map && (!chk_sized(c, true, &null_key) || null_key))
            return false;
        if (!chk_value(c, depth + 1))
            return false;
    }
    if (c->pos != c->end)
        return false;
    c->end = outer_end;
    return true;
}

/* One value: rd_value. */
static bool chk_value(chk_t *c, int depth)
{
    int32_t i32;
    int64_t i64;
    size_t k;
    bool is_null;
    if (c->pos >= c->end)
        return false;
    uint8_t t = c->p[c->pos++];
    switch (t) {
    case NSON_ARRAY:
    case NSON_MAP:
        return chk_container(c, t == NSON_MAP, depth);
    case NSON_BINARY:
        return chk_sized(c, false, &is_null);
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        return chk_sized(c, true, &is_null);
    case NSON_BOOLEAN:
        k = 1;
        break;
    case NSON_DOUBLE:
        k = 8;
        break;
    case NSON_INTEGER:
        k = unpack_int(c->p + c->pos, c->end - c->pos, &i32);
        if (!k)
            return false;
        break;
    case NSON_LONG:
        k = nson_unpack_long(c->p + c->pos, c->end - c->pos, &i64);
        if (!k)
            return false;
        break;
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY:
        return true;
    default:
        return false;
    }
    if (k > c->end - c->pos)
        return false;
    c->pos += k;
    return true;
}

size_t csc_nson_check(const uint8_t *p, size_t len)
{
    chk_t c = { p, 0, len };
    return chk_value(&c, 0) ? c.pos : 0;
}

/* ------------------------------------------------------------------------
 * walking
 * ------------------------------------------------------------------------ */

size_t csc_nson_span(const uint8_t *p, size_t len)
{
    int32_t i32;
    int64_t i64;
    size_t n, k;
    if (len == 0)
        return 0;
    switch (p[0]) {
    case NSON_ARRAY:
    case NSON_MAP:
        n = len >= 5 ? 5 + (size_t)be32_load(p + 1) : 0;
        break;
    case NSON_BINARY:
    case NSON_STRING:
    case NSON_TIMESTAMP:
    case NSON_NUMBER:
        k = unpack_int(p + 1, len - 1, &i32);
        n = k ? 1 + k + (i32 > 0 ? (size_t)i32 : 0) : 0;
        break;
    case NSON_INTEGER:
        k = unpack_int(p + 1, len - 1, &i32);
        n = k ? 1 + k : 0;
        break;
    case NSON_LONG:
        k = nson_unpack_long(p + 1, len - 1, &i64);
        n = k ? 1 + k : 0;
        break;
    case NSON_BOOLEAN: n = 2; break;
    case NSON_DOUBLE: n = 9; break;
    case NSON_JSON_NULL:
    case NSON_NULL:
    case NSON_EMPTY: n = 1; break;
    default: n = 0; break;
    }
    return n <= len ? n : 0;
}

bool csc_nson_iter_init(csc_nson_iter_t *it, const uint8_t *p, size_t len)
{
    memset(it, 0, sizeof *it);
    if (len < 9 || (p[0] != NSON_MAP && p[0] != NSON_ARRAY))
        return false;
    size_t blen = be32_load(p + 1);
    if (blen < 4 || blen > len - 5)
        return false;
    it->p = p;
    it->pos = 9;
    it->end = 5 + blen;
    it->left = be32_load(p + 5);
    it->map = p[0] == NSON_MAP;
    return true;
}

bool csc_nson_iter_next(csc_nson_iter_t *it, const char **key, size_t *key_len,
                        const uint8_t **val, size_t *val_len)
{
    *key = NULL;
    *key_len = 0;
    if (!it->left || it->pos >= it->end)
        return false;
    size_t pos = it->pos;
    if (it->map) {
        int32_t klen;
        size_t k = unpack_int(it->p + pos, it->end - pos, &klen);
        if (!k || klen < 0 || (size_t)klen > it->end - pos - k)
            return false;
        *key = (const char *)it->p + pos + k;
        *key_len = (size_t)klen;
        pos += k + (size_t)klen;
    }
    size_t n = csc_nson_span(it->p + pos, it->end - pos);
    if (!n)
        return false;
    *val = it->p + pos;
    *val_len = n;
    it->pos = pos + n;
    it->left--;
    return true;
}

bool csc_nson_get_int(const uint8_t *v, size_t len, int32_t *out)
{
    return len > 1 && v[0] == NSON_INTEGER && unpack_int(v + 1, len - 1, out) != 0;
}

bool csc_nson_get_long(const uint8_t *v, size_t len, int64_t *out)
{
    return len > 1 && v[0] == NSON_LONG && nson_unpack_long(v + 1, len - 1, out) != 0;
}

bool csc_nson_get_string(const uint8_t *v, size_t len, const char **s, size_t *n,
                         bool *is_null)
{
    int32_t l;
    size_t k;
    if (len < 2 || v[0] != NSON_STRING || !(k = unpack_int(v + 1, len - 1, &l)))
        return false;
    *is_null = l == -1;
    *s = (const char *)v + 1 + k;
    *n = 0;
    if (l == -1)
        return true;
    if (l < 0 || (size_t)l > len - 1 - k)
        return false;
    *n = (size_t)l;
    return true;
}
