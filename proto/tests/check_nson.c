/*
 * check_nson.c - the NSON reader and writer (proto/nson.h) on their own:
 * the packed-integer table of PROTOCOL.md 2.2 in both directions, random
 * trees that must survive encode -> decode -> encode byte for byte, and
 * hostile inputs (lying lengths, huge counts, deep nesting, bad UTF-8,
 * unknown types) that must come back as errors without crashing or
 * allocating past a small arena ceiling.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nson.h"
#include "nson_json.h"

#define SMALL_CEILING (64 * 1024)

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

/* Decode and expect failure with `code`; the arena never passes its ceiling. */
static void expect_reject(const uint8_t *p, size_t n, cs_err_t code, const char *what)
{
    arena_t a;
    arena_init(&a, SMALL_CEILING);
    cs_error_t err;
    cs_error_clear(&err);
    /* copy to an exact-size heap block so ASan catches any over-read */
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    nson_value_t *v = nson_decode(&a, copy, n, false, &err);
    ck_assert_msg(v == NULL, "%s: decoded", what);
    ck_assert_msg(err.code == code, "%s: code %d (%s), want %d", what, err.code, err.msg, code);
    ck_assert_msg(strlen(err.msg) > 0, "%s: no message", what);
    ck_assert_uint_le(a.used, SMALL_CEILING);
    arena_free(&a);
    free(copy);
}

static nson_value_t *expect_decode(arena_t *a, const uint8_t *p, size_t n)
{
    cs_error_t err;
    nson_value_t *v = nson_decode(a, p, n, false, &err);
    ck_assert_msg(v != NULL, "decode failed: %s", err.msg);
    return v;
}

/* ------------------------------------------------------------------------
 * packed integers (PROTOCOL.md 2.2)
 * ------------------------------------------------------------------------ */

typedef struct {
    int64_t v;
    const char *minimal;   /* hex */
    const char *alt;       /* a non-minimal form readers must accept, or NULL */
} packed_case_t;

static const packed_case_t int_cases[] = {
    { 0, "7f", NULL },
    { 1, "80", NULL },
    { -1, "7e", NULL },
    { 4, "83", NULL },
    { 44, "ab", NULL },
    { 100, "e3", NULL },
    { 120, "f7", NULL },
    { -119, "08", NULL },
    { 121, "f800", NULL },
    { 376, "f8ff", NULL },
    { 377, "f90100", NULL },
    { 5000, "f9130f", NULL },
    { 65657, "fa010000", NULL },
    { 2147483647, "fb7fffff86", NULL },
    { -120, "07ff", "04ffffffff" },
    { -200, "07af", "04ffffffaf" },
    { -376, "06feff", NULL },
    { -2147483648LL, "0480000077", NULL },
};

static const packed_case_t long_cases[] = {
    { 1767225600000LL, "fd019b76daa787", NULL },
    { INT64_MAX, "ff7fffffffffffff86", NULL },
    { INT64_MIN, "008000000000000077", NULL },
    { -120, "07ff", "00ffffffffffffffff" },
    { -4294967296LL, "0400000077", "00ffffffff00000077" },
    { 0, "7f", NULL },
    { -200, "07af", "00ffffffffffffffaf" },
};

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = strlen(s) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned x;
        sscanf(s + 2 * i, "%2x", &x);
        out[i] = (uint8_t)x;
    }
    return n;
}

START_TEST(test_packed_int_table)
{
    const packed_case_t *c = &int_cases[_i];
    uint8_t want[16], got[16];
    size_t wn = unhex(c->minimal, want);
    size_t gn = nson_pack_int(got, (int32_t)c->v);
    ck_assert_msg(gn == wn && memcmp(got, want, wn) == 0, "pack_int(%lld)", (long long)c->v);
    int32_t v = 0x5a5a;
    ck_assert_uint_eq(nson_unpack_int(want, wn, &v), wn);
    ck_assert_int_eq(v, c->v);
    if (c->alt) {
        size_t an = unhex(c->alt, want);
        v = 0x5a5a;
        ck_assert_uint_eq(nson_unpack_int(want, an, &v), an);
        ck_assert_int_eq(v, c->v);
    }
    /* the same numbers as LONGs unpack alike */
    int64_t l = 0;
    ck_assert_uint_eq(nson_unpack_long(got, gn, &l), gn);
    ck_assert_int_eq(l, c->v);
}
END_TEST

START_TEST(test_packed_long_table)
{
    const packed_case_t *c = &long_cases[_i];
    uint8_t want[16], got[16];
    size_t wn = unhex(c->minimal, want);
    size_t gn = nson_pack_long(got, c->v);
    ck_assert_msg(gn == wn && memcmp(got, want, wn) == 0, "pack_long(%lld)", (long long)c->v);
    int64_t v = 77;
    ck_assert_uint_eq(nson_unpack_long(want, wn, &v), wn);
    ck_assert_int_eq(v, c->v);
    if (c->alt) {
        size_t an = unhex(c->alt, want);
        v = 77;
        ck_assert_uint_eq(nson_unpack_long(want, an, &v), an);
        ck_assert_int_eq(v, c->v);
    }
}
END_TEST

START_TEST(test_packed_roundtrip_sweep)
{
    /* every boundary and a spread of values survive pack -> unpack, and the
     * packed form is never longer than needed (1 + bytes of |v| roughly) */
    static const int64_t edges[] = { 0, 1, -1, 119, 120, 121, -118, -119, -120, -121,
                                     255, 256, 376, 377, 65535, 65657, 65658, -375, -376,
                                     -377, 16777215, 16777337, INT32_MAX, INT32_MIN,
                                     (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1,
                                     INT64_MAX, INT64_MIN, INT64_MAX - 121, INT64_MIN + 119 };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        for (int d = -2; d <= 2; d++) {
            int64_t x = edges[i];
            if ((d > 0 && x > INT64_MAX - d) || (d < 0 && x < INT64_MIN - d))
                continue;
            x += d;
            uint8_t b[16];
            size_t n = nson_pack_long(b, x);
            ck_assert_uint_ge(n, 1);
            ck_assert_uint_le(n, 9);
            int64_t back;
            ck_assert_uint_eq(nson_unpack_long(b, n, &back), n);
            ck_assert_int_eq(back, x);
            /* truncated forms are rejected */
            for (size_t k = 0; k < n; k++)
                ck_assert_uint_eq(nson_unpack_long(b, k, &back), 0);
            if (x >= INT32_MIN && x <= INT32_MAX) {
                int32_t bi;
                ck_assert_uint_le(n, 5);
                ck_assert_uint_eq(nson_unpack_int(b, n, &bi), n);
                ck_assert_int_eq(bi, x);
            } else {
                int32_t bi;
                ck_assert_uint_eq(nson_unpack_int(b, n, &bi), 0);
            }
        }
    }
}
END_TEST

START_TEST(test_packed_out_of_range)
{
    static const char *const bad_long[] = {
        "ff7fffffffffffff87",   /* 2^63: what borneo writes for 2**63 */
        "ffffffffffffffff8c",   /* 2^64 + 5 */
        "007ffffffffffffc8f",   /* -2^63 - 1000 */
        "008000000000000076",   /* -2^63 - 1 */
    };
    static const char *const bad_int[] = {
        "fb7fffff87",           /* 2^31 */
        "fc0000000000",         /* 5 extra bytes */
        "0300000000ff",         /* 5 extra bytes, negative */
        "0480000076",           /* -2^31 - 1 */
    };
    uint8_t b[16];
    int64_t l;
    int32_t i;
    for (size_t k = 0; k < sizeof bad_long / sizeof *bad_long; k++) {
        size_t n = unhex(bad_long[k], b);
        ck_assert_msg(nson_unpack_long(b, n, &l) == 0, "%s accepted", bad_long[k]);
        uint8_t doc[16] = { NSON_LONG };
        memcpy(doc + 1, b, n);
        expect_reject(doc, n + 1, CS_EPROTO, bad_long[k]);
    }
    for (size_t k = 0; k < sizeof bad_int / sizeof *bad_int; k++) {
        size_t n = unhex(bad_int[k], b);
        ck_assert_msg(nson_unpack_int(b, n, &i) == 0, "%s accepted", bad_int[k]);
        uint8_t doc[16] = { NSON_INTEGER };
        memcpy(doc + 1, b, n);
        expect_reject(doc, n + 1, CS_EPROTO, bad_int[k]);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * random trees
 * ------------------------------------------------------------------------ */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* Random valid UTF-8 text (ASCII, 2-, 3- and 4-byte forms, sometimes NUL). */
static size_t rnd_text(char *s, size_t cap)
{
    size_t n = 0, want = rnd() % 12;
    static const char *const pieces[] = { "a", "Z", "0", " ", "\xc3\xa9", "\xe2\x9c\x93",
                                          "\xf0\x9f\x98\x80", "\"", "\\", "\n" };
    for (size_t i = 0; i < want; i++) {
        const char *p = pieces[rnd() % 10];
        size_t l = strlen(p);
        if (rnd() % 40 == 0) {
            p = "\0";
            l = 1;
        }
        if (n + l >= cap)
            break;
        memcpy(s + n, p, l);
        n += l;
    }
    s[n] = 0;
    return n;
}

static int64_t rnd_int64(void)
{
    switch (rnd() % 4) {
    case 0: return (int64_t)(rnd() % 240) - 119;
    case 1: return (int64_t)(rnd() % 100000) - 50000;
    case 2: return (int64_t)rnd();
    default: return (int64_t)(rnd() >> (rnd() % 63));
    }
}

static void gen_value(nson_writer_t *w, int depth)
{
    char text[64];
    int t = (int)(rnd() % (depth >= 5 ? 11 : 13));
    if (t >= 11) /* containers are rarer than scalars deep down */
        t = rnd() % 2 ? NSON_MAP : NSON_ARRAY;
    else
        t = (int[]){ NSON_BINARY, NSON_BOOLEAN, NSON_DOUBLE, NSON_INTEGER, NSON_LONG,
                     NSON_STRING, NSON_TIMESTAMP, NSON_NUMBER, NSON_JSON_NULL, NSON_NULL,
                     NSON_EMPTY }[t];
    switch (t) {
    case NSON_MAP: {
        nson_w_map_begin(w);
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++) {
            size_t kl = rnd_text(text, 16);
            nson_w_keyn(w, text, kl);
            gen_value(w, depth + 1);
        }
        if (n && rnd() % 4 == 0) { /* a duplicate key, as in Query requests */
            nson_w_key(w, "co");
            gen_value(w, depth + 1);
            nson_w_key(w, "co");
            gen_value(w, depth + 1);
        }
        nson_w_map_end(w);
        break;
    }
    case NSON_ARRAY: {
        nson_w_array_begin(w);
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++)
            gen_value(w, depth + 1);
        nson_w_array_end(w);
        break;
    }
    case NSON_BINARY: {
        if (rnd() % 8 == 0) {
            nson_w_binary(w, NULL, 0);
            break;
        }
        uint8_t b[40];
        size_t n = rnd() % sizeof b;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)rnd();
        nson_w_binary(w, b, n);
        break;
    }
    case NSON_BOOLEAN: nson_w_bool(w, rnd() % 2); break;
    case NSON_DOUBLE: {
        static const double specials[] = { 0.0, -0.0, 1.5, -3.25, 1e300, 5e-324 };
        double d = rnd() % 3 ? specials[rnd() % 6] : (double)rnd_int64() / 7.0;
        if (rnd() % 20 == 0)
            d = rnd() % 2 ? INFINITY : -INFINITY;
        nson_w_double(w, d);
        break;
    }
    case NSON_INTEGER: nson_w_int(w, (int32_t)rnd_int64()); break;
    case NSON_LONG: nson_w_long(w, rnd_int64()); break;
    case NSON_STRING:
        if (rnd() % 10 == 0)
            nson_w_stringn(w, NULL, 0);
        else
            nson_w_stringn(w, text, rnd_text(text, sizeof text));
        break;
    case NSON_TIMESTAMP: nson_w_timestamp(w, "2026-01-02T03:04:05.123Z"); break;
    case NSON_NUMBER: nson_w_number(w, rnd() % 2 ? "12345678901234567890.125" : "1E+2"); break;
    case NSON_JSON_NULL: nson_w_json_null(w); break;
    case NSON_NULL: nson_w_null(w); break;
    default: nson_w_empty(w); break;
    }
}

START_TEST(test_random_trees_roundtrip)
{
    rng_state = 0x1234567887654321ULL + (uint64_t)_i * 7919;
    for (int round = 0; round < 200; round++) {
        buf_t b;
        nson_writer_t w;
        buf_init(&b, 0);
        nson_writer_init(&w, &b);
        nson_w_map_begin(&w); /* documents are MAPs, like messages */
        int n = (int)(rnd() % 6);
        for (int i = 0; i < n; i++) {
            nson_w_key(&w, i % 2 ? "p" : "h");
            gen_value(&w, 1);
        }
        nson_w_map_end(&w);
        ck_assert(nson_writer_ok(&w));

        arena_t a;
        arena_init(&a, 1 << 20);
        nson_value_t *v = expect_decode(&a, b.data, b.len);

        /* tree -> bytes: identical (the writer only makes minimal forms) */
        buf_t r;
        nson_writer_t rw;
        buf_init(&r, 0);
        nson_writer_init(&rw, &r);
        nson_w_value(&rw, v);
        ck_assert(nson_writer_ok(&rw));
        ck_assert_uint_eq(r.len, b.len);
        ck_assert(memcmp(r.data, b.data, b.len) == 0);

        /* typed JSON -> bytes: identical, through a text round trip too */
        json_t *typed = nson_json_render_typed(v);
        ck_assert_ptr_nonnull(typed);
        char *text = json_dumps(typed, JSON_COMPACT);
        json_t *parsed = json_loads(text, JSON_ALLOW_NUL, NULL);
        ck_assert_ptr_nonnull(parsed);
        uint8_t *enc;
        size_t elen;
        cs_error_t err;
        ck_assert_msg(nson_json_encode_typed(parsed, &enc, &elen, &err) == CS_OK, "%s", err.msg);
        ck_assert_uint_eq(elen, b.len);
        ck_assert(memcmp(enc, b.data, b.len) == 0);
        free(enc);

        /* plain JSON is lossy but stable after one step */
        json_t *plain = nson_json_render_plain(v);
        ck_assert_ptr_nonnull(plain);
        ck_assert_msg(nson_json_encode_plain(plain, &enc, &elen, &err) == CS_OK, "%s", err.msg);
        arena_t a2;
        arena_init(&a2, 1 << 20);
        nson_value_t *v2 = expect_decode(&a2, enc, elen);
        json_t *plain2 = nson_json_render_plain(v2);
        ck_assert(json_equal(plain, plain2));

        json_decref(plain2);
        json_decref(plain);
        arena_free(&a2);
        free(enc);
        free(text);
        json_decref(parsed);
        json_decref(typed);
        buf_free(&r);
        arena_free(&a);
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_trailing_bytes)
{
    static const uint8_t doc[] = { 0x06, 0, 0, 0, 4, 0, 0, 0, 0, 0x0b };
    expect_reject(doc, sizeof doc, CS_EPROTO, "trailing byte");
    arena_t a;
    arena_init(&a, SMALL_CEILING);
    cs_error_t err;
    nson_value_t *v = nson_decode(&a, doc, sizeof doc, true, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, NSON_MAP);
    ck_assert_uint_eq(v->u.map.count, 0);
    arena_free(&a);
}
END_TEST

START_TEST(test_null_strings_and_duplicates)
{
    /* {"a": STRING null, "a": BINARY null, "b": TIMESTAMP ""} */
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_key(&w, "a");
    nson_w_string(&w, NULL);
    nson_w_key(&w, "a");
    nson_w_binary(&w, NULL, 0);
    nson_w_key(&w, "b");
    nson_w_timestamp(&w, "");
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    arena_t a;
    arena_init(&a, SMALL_CEILING);
    nson_value_t *v = expect_decode(&a, b.data, b.len);
    ck_assert_uint_eq(v->u.map.count, 3);
    ck_assert(v->u.map.items[0].val->u.str.is_null);
    /* nson_map_get returns the last duplicate */
    ck_assert_int_eq(nson_map_get(v, "a")->type, NSON_BINARY);
    ck_assert(nson_map_get(v, "a")->u.bin.is_null);
    ck_assert(!nson_map_get(v, "b")->u.str.is_null);
    json_t *t = nson_json_render_typed(v);
    json_t *want = json_loads("{\"MAP\":[[\"a\",{\"STRING\":null}],[\"a\",{\"BINARY\":null}],"
                              "[\"b\",{\"TIMESTAMP\":\"\"}]]}", 0, NULL);
    ck_assert(json_equal(t, want));
    json_decref(t);
    json_decref(want);
    arena_free(&a);
    buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------------------
 * hostile inputs
 * ------------------------------------------------------------------------ */

START_TEST(test_reject_unknown_and_empty)
{
    static const uint8_t codes[] = { 13, 14, 0x3f, 0x80, 0xff };
    expect_reject((const uint8_t *)"", 0, CS_EPROTO, "empty input");
    for (size_t i = 0; i < sizeof codes; i++) {
        uint8_t doc[] = { codes[i] };
        expect_reject(doc, 1, CS_EPROTO, "unknown type code");
        /* inside a MAP value, too */
        uint8_t m[] = { 0x06, 0, 0, 0, 7, 0, 0, 0, 1, 0x80, 'k', codes[i] };
        expect_reject(m, sizeof m, CS_EPROTO, "unknown type code in a map");
    }
}
END_TEST

START_TEST(test_reject_lying_lengths)
{
    /* container length larger than the input, smaller than its count, below 4 */
    static const uint8_t big[] = { 0x06, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    static const uint8_t over[] = { 0x06, 0, 0, 0, 5, 0, 0, 0, 0 };
    static const uint8_t under[] = { 0x06, 0, 0, 0, 3, 0, 0, 0, 0 };
    static const uint8_t zero[] = { 0x00, 0, 0, 0, 0 };
    static const uint8_t short_inner[] = { 0x00, 0, 0, 0, 5, 0, 0, 0, 1, 0x04, 0x80 };
    static const uint8_t long_inner[] = { 0x00, 0, 0, 0, 6, 0, 0, 0, 1, 0x0b, 0x0b };
    /* string / binary / key lengths */
    static const uint8_t str_huge[] = { 0x07, 0xfb, 0x7f, 0xff, 0xff, 0x86, 'a', 'b' };
    static const uint8_t str_over[] = { 0x07, 0x83, 'a', 'b', 'c' };
    static const uint8_t bin_neg2[] = { 0x01, 0x7d };
    static const uint8_t str_neg[] = { 0x07, 0x04, 0x80, 0x00, 0x00, 0x77 };
    static const uint8_t key_null[] = { 0x06, 0, 0, 0, 6, 0, 0, 0, 1, 0x7e, 0x0b };
    static const uint8_t key_over[] = { 0x06, 0, 0, 0, 7, 0, 0, 0, 1, 0x90, 'k', 0x0b };
    static const uint8_t trunc_double[] = { 0x03, 0x40, 0x0a };
    static const uint8_t trunc_bool[] = { 0x02 };
    static const uint8_t trunc_long[] = { 0x05, 0xfd, 0x01, 0x9b };
    struct { const uint8_t *p; size_t n; const char *what; } cases[] = {
        { big, sizeof big, "map length 0xffffffff" },
        { over, sizeof over, "map length past the end" },
        { under, sizeof under, "map length below 4" },
        { zero, sizeof zero, "array length 0" },
        { short_inner, sizeof short_inner, "array length shorter than contents" },
        { long_inner, sizeof long_inner, "array length longer than contents" },
        { str_huge, sizeof str_huge, "string length 2^31-1" },
        { str_over, sizeof str_over, "string length past the end" },
        { bin_neg2, sizeof bin_neg2, "binary length -2" },
        { str_neg, sizeof str_neg, "string length -2^31" },
        { key_null, sizeof key_null, "null map key" },
        { key_over, sizeof key_over, "key length past the end" },
        { trunc_double, sizeof trunc_double, "truncated double" },
        { trunc_bool, sizeof trunc_bool, "truncated boolean" },
        { trunc_long, sizeof trunc_long, "truncated long" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_reject(cases[i].p, cases[i].n, CS_EPROTO, cases[i].what);
}
END_TEST

START_TEST(test_reject_huge_counts)
{
    /* counts the bytes cannot hold are refused before any allocation:
     * the error is a protocol error, not the arena running out */
    static const uint8_t arr[] = { 0x00, 0, 0, 0, 6, 0x7f, 0xff, 0xff, 0xff, 0x0b, 0x0b };
    static const uint8_t arr_neg[] = { 0x00, 0, 0, 0, 4, 0x80, 0, 0, 0 };
    static const uint8_t map[] = { 0x06, 0, 0, 0, 6, 0x00, 0x98, 0x96, 0x81, 0x7f, 0x0b };
    static const uint8_t map_ff[] = { 0x06, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff };
    expect_reject(arr, sizeof arr, CS_EPROTO, "array count 2^31-1");
    expect_reject(arr_neg, sizeof arr_neg, CS_EPROTO, "negative array count");
    expect_reject(map, sizeof map, CS_EPROTO, "map count 10000001");
    expect_reject(map_ff, sizeof map_ff, CS_EPROTO, "map count 0xffffffff");
}
END_TEST

START_TEST(test_arena_ceiling)
{
    /* an honest but large document: 100000 NULLs in an array. Decoding it
     * needs more than the small ceiling, so it fails cleanly with ENOMEM
     * and the arena stays under its ceiling; with room it decodes. */
    size_t count = 100000, n = 9 + count;
    uint8_t *doc = malloc(n);
    doc[0] = NSON_ARRAY;
    be32_store(doc + 1, (uint32_t)(n - 5));
    be32_store(doc + 5, (uint32_t)count);
    memset(doc + 9, NSON_NULL, count);
    expect_reject(doc, n, CS_ENOMEM, "array over the arena ceiling");
    arena_t a;
    arena_init(&a, 64u << 20);
    nson_value_t *v = expect_decode(&a, doc, n);
    ck_assert_uint_eq(v->u.arr.count, count);
    ck_assert_int_eq(v->u.arr.items[count - 1]->type, NSON_NULL);
    arena_free(&a);
    free(doc);
}
END_TEST

/* `levels` nested ARRAYs of one element each, innermost NULL, with
 * consistent lengths: only the depth is wrong. */
static uint8_t *nested(size_t levels, bool maps, size_t *len)
{
    size_t per = maps ? 11 : 9; /* type, length, count (+ key "k") */
    size_t n = levels * per + 1;
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < levels; i++) {
        uint8_t *q = p + i * per;
        q[0] = maps ? NSON_MAP : NSON_ARRAY;
        be32_store(q + 1, (uint32_t)(n - i * per - 5));
        be32_store(q + 5, 1);
        if (maps) {
            q[9] = 0x80;
            q[10] = 'k';
        }
    }
    p[n - 1] = NSON_NULL;
    *len = n;
    return p;
}

START_TEST(test_reject_deep_nesting)
{
    size_t n;
    uint8_t *p = nested(10000, false, &n);
    expect_reject(p, n, CS_EPROTO, "10000 nested arrays");
    free(p);
    p = nested(10000, true, &n);
    expect_reject(p, n, CS_EPROTO, "10000 nested maps");
    free(p);
    p = nested(NSON_MAX_DEPTH + 1, false, &n);
    expect_reject(p, n, CS_EPROTO, "one level too deep");
    free(p);
    /* the limit itself is fine */
    p = nested(NSON_MAX_DEPTH, false, &n);
    arena_t a;
    arena_init(&a, SMALL_CEILING);
    ck_assert_ptr_nonnull(expect_decode(&a, p, n));
    arena_free(&a);
    free(p);
    /* and 10000 levels of an unterminated prefix */
    uint8_t *q = malloc(10000 * 9);
    for (size_t i = 0; i < 10000; i++) {
        q[i * 9] = NSON_ARRAY;
        be32_store(q + i * 9 + 1, (uint32_t)(10000 * 9 - i * 9 - 5));
        be32_store(q + i * 9 + 5, 1);
    }
    expect_reject(q, 10000 * 9, CS_EPROTO, "10000 open arrays");
    free(q);
}
END_TEST

START_TEST(test_reject_bad_utf8)
{
    static const char *const bad[] = {
        "\xc3\x28",             /* bad continuation */
        "\xc0\x80",             /* overlong NUL */
        "\xe0\x80\xaf",         /* overlong */
        "\xed\xa0\x80",         /* surrogate */
        "\xf4\x90\x80\x80",     /* above U+10FFFF */
        "\xf8\x88\x80\x80\x80", /* 5-byte form */
        "\xe2\x82",             /* truncated sequence */
        "\x80",                 /* lone continuation */
        "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t l = strlen(bad[i]);
        uint8_t doc[32];
        /* as a STRING, a TIMESTAMP, a NUMBER and as a MAP key */
        for (int t = 0; t < 3; t++) {
            doc[0] = (uint8_t)(t == 0 ? NSON_STRING : t == 1 ? NSON_TIMESTAMP : NSON_NUMBER);
            doc[1] = (uint8_t)(127 + l);
            memcpy(doc + 2, bad[i], l);
            expect_reject(doc, 2 + l, CS_EPROTO, "bad UTF-8 value");
        }
        doc[0] = NSON_MAP;
        be32_store(doc + 1, (uint32_t)(4 + 1 + l + 1));
        be32_store(doc + 5, 1);
        doc[9] = (uint8_t)(127 + l);
        memcpy(doc + 10, bad[i], l);
        doc[10 + l] = NSON_NULL;
        expect_reject(doc, 11 + l, CS_EPROTO, "bad UTF-8 key");
    }
    /* BINARY is not text: the same bytes are fine there */
    uint8_t bin[] = { NSON_BINARY, 0x81, 0xc0, 0x80 };
    arena_t a;
    arena_init(&a, SMALL_CEILING);
    nson_value_t *v = expect_decode(&a, bin, sizeof bin);
    ck_assert_uint_eq(v->u.bin.len, 2);
    arena_free(&a);
    /* and good multi-byte text passes */
    ck_assert(nson_utf8_valid((const uint8_t *)"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80", 16));
}
END_TEST

/* ------------------------------------------------------------------------
 * writer misuse
 * ------------------------------------------------------------------------ */

START_TEST(test_writer_misuse)
{
    buf_t b;
    nson_writer_t w;
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_end(&w); /* close without open */
    ck_assert(!nson_writer_ok(&w));
    buf_free(&b);

    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w); /* left open */
    ck_assert(!nson_writer_ok(&w));
    buf_free(&b);

    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    for (int i = 0; i < NSON_MAX_DEPTH + 1; i++)
        nson_w_array_begin(&w);
    for (int i = 0; i < NSON_MAX_DEPTH + 1; i++)
        nson_w_array_end(&w);
    ck_assert(!nson_writer_ok(&w));
    buf_free(&b);

    /* a buffer ceiling makes the writer fail, not overflow */
    buf_init(&b, 16);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_string(&w, "k", "a string longer than the ceiling");
    nson_w_map_end(&w);
    ck_assert(!nson_writer_ok(&w));
    ck_assert_uint_le(b.len, 16);
    buf_free(&b);
}
END_TEST

static Suite *nson_suite(void)
{
    Suite *s = suite_create("nson");
    TCase *core = tcase_create("Core");
    tcase_add_loop_test(core, test_packed_int_table, 0, sizeof int_cases / sizeof *int_cases);
    tcase_add_loop_test(core, test_packed_long_table, 0, sizeof long_cases / sizeof *long_cases);
    tcase_add_test(core, test_packed_roundtrip_sweep);
    tcase_add_loop_test(core, test_random_trees_roundtrip, 0, 10);
    tcase_add_test(core, test_trailing_bytes);
    tcase_add_test(core, test_null_strings_and_duplicates);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, test_packed_out_of_range);
    tcase_add_test(lim, test_reject_unknown_and_empty);
    tcase_add_test(lim, test_reject_lying_lengths);
    tcase_add_test(lim, test_reject_huge_counts);
    tcase_add_test(lim, test_arena_ceiling);
    tcase_add_test(lim, test_reject_deep_nesting);
    tcase_add_test(lim, test_reject_bad_utf8);
    tcase_add_test(lim, test_writer_misuse);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(nson_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
