/*
 * check_client_nson_raw.c - csc_nson_raw.h, the client's in-place NSON
 * reader, against the reference reader proto/nson.c: csc_nson_check()
 * must accept exactly the inputs nson_decode(allow_trailing) accepts, and
 * say how many bytes the value takes, on every golden vector body, every
 * event embedded in one, the NSON fuzz corpus and thousands of mutants of
 * each; the iterator and getters must see the same items and scalars as
 * the tree; and every limit of the reference (depth, counts, lengths,
 * UTF-8, null keys, packed-integer ranges, unknown types) must hold.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csc_nson_raw.h"
#include "nson.h"

static const char *vec_dir;
static const char *corpus_dir;

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Does the reference accept p[0..len) (trailing bytes allowed)? */
static bool ref_accepts(const uint8_t *p, size_t len)
{
    arena_t a;
    cs_error_t err;
    arena_init(&a, 0);
    bool ok = nson_decode(&a, p, len, true, &err) != NULL;
    arena_free(&a);
    return ok;
}

static bool ref_accepts_exact(const uint8_t *p, size_t len)
{
    arena_t a;
    cs_error_t err;
    arena_init(&a, 0);
    bool ok = nson_decode(&a, p, len, false, &err) != NULL;
    arena_free(&a);
    return ok;
}

static size_t compared;

/* The core property on one input. */
static void agree(const char *what, const uint8_t *p, size_t len)
{
    size_t used = csc_nson_check(p, len);
    bool ref = ref_accepts(p, len);
    ck_assert_msg((used != 0) == ref, "%s (%zu bytes): check says %zu, nson_decode %s", what,
                  len, used, ref ? "accepts" : "refuses");
    if (used) {
        ck_assert_uint_le(used, len);
        ck_assert_msg(ref_accepts_exact(p, used), "%s: value is not %zu bytes", what, used);
        ck_assert_uint_eq(csc_nson_span(p, len), used);
    }
    compared++;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* agree() on p and on n mutants: byte flips, truncations, 0xFF runs over
 * length fields, inserted and deleted bytes. */
static void agree_mutants(const char *what, const uint8_t *p, size_t len, int n)
{
    agree(what, p, len);
    if (len == 0)
        return;
    uint8_t *m = malloc(len + 8);
    for (int i = 0; i < n; i++) {
        size_t mlen = len;
        memcpy(m, p, len);
        size_t at = next_rand() % len;
        switch (next_rand() % 6) {
        case 0: m[at] ^= (uint8_t)(1u << (next_rand() % 8)); break;
        case 1: m[at] = (uint8_t)next_rand(); break;
        case 2: mlen = at; break;
        case 3:
            for (size_t k = at; k < len && k < at + 4; k++)
                m[k] = 0xFF;
            break;
        case 4:
            memmove(m + at + 1, m + at, len - at);
            m[at] = (uint8_t)next_rand();
            mlen = len + 1;
            break;
        default:
            memmove(m + at, m + at + 1, len - at - 1);
            mlen = len - 1;
            break;
        }
        agree(what, m, mlen);
    }
    free(m);
}

/* agree_mutants on every BINARY inside a decoded tree (poll events). */
static void agree_embedded(const char *what, const nson_value_t *v, int n)
{
    if (v->type == NSON_BINARY && !v->u.bin.is_null && v->u.bin.len)
        agree_mutants(what, v->u.bin.ptr, v->u.bin.len, n);
    if (v->type == NSON_MAP)
        for (uint32_t i = 0; i < v->u.map.count; i++)
            agree_embedded(what, v->u.map.items[i].val, n);
    if (v->type == NSON_ARRAY)
        for (uint32_t i = 0; i < v->u.arr.count; i++)
            agree_embedded(what, v->u.arr.items[i], n);
}

/* The iterator sees the tree's items (keys, types, exact value bytes),
 * and the getters its scalars. */
static void iterate_like_tree(const uint8_t *p, size_t len, const nson_value_t *t)
{
    csc_nson_iter_t it;
    if (t->type != NSON_MAP && t->type != NSON_ARRAY) {
        ck_assert(!csc_nson_iter_init(&it, p, len));
        return;
    }
    ck_assert(csc_nson_iter_init(&it, p, len));
    ck_assert_int_eq(it.map, t->type == NSON_MAP);
    uint32_t count = t->type == NSON_MAP ? t->u.map.count : t->u.arr.count;
    for (uint32_t i = 0; i < count; i++) {
        const char *key;
        size_t klen;
        const uint8_t *v;
        size_t vlen;
        ck_assert(csc_nson_iter_next(&it, &key, &klen, &v, &vlen));
        const nson_value_t *tv = t->type == NSON_MAP ? t->u.map.items[i].val : t->u.arr.items[i];
        if (t->type == NSON_MAP) {
            ck_assert_uint_eq(klen, t->u.map.items[i].key_len);
            ck_assert(memcmp(key, t->u.map.items[i].key, klen) == 0);
        } else {
            ck_assert_ptr_null(key);
        }
        ck_assert_int_eq(v[0], tv->type);
        ck_assert_uint_eq(csc_nson_check(v, vlen), vlen);
        int32_t i32;
        int64_t i64;
        const char *s;
        size_t n;
        bool is_null;
        ck_assert_int_eq(csc_nson_get_int(v, vlen, &i32), tv->type == NSON_INTEGER);
        if (tv->type == NSON_INTEGER)
            ck_assert_int_eq(i32, tv->u.i);
        ck_assert_int_eq(csc_nson_get_long(v, vlen, &i64), tv->type == NSON_LONG);
        if (tv->type == NSON_LONG)
            ck_assert(i64 == tv->u.l);
        ck_assert_int_eq(csc_nson_get_string(v, vlen, &s, &n, &is_null), tv->type == NSON_STRING);
        if (tv->type == NSON_STRING) {
            ck_assert_int_eq(is_null, tv->u.str.is_null);
            ck_assert_uint_eq(n, tv->u.str.len);
            ck_assert(memcmp(s, tv->u.str.ptr, n) == 0);
        }
        iterate_like_tree(v, vlen, tv);
    }
    const char *key;
    size_t klen;
    const uint8_t *v;
    size_t vlen;
    ck_assert(!csc_nson_iter_next(&it, &key, &klen, &v, &vlen));
}

/* Each vector body (without the 00 04 serial version of requests): the
 * body, its mutants, its embedded events and theirs; and iteration. */
static void each_vector(void (*fn)(const char *, const uint8_t *, size_t))
{
    DIR *d = opendir(vec_dir);
    ck_assert_msg(d != NULL, "cannot open %s", vec_dir);
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".bin") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", vec_dir, e->d_name);
        size_t len;
        uint8_t *p = slurp(path, &len);
        size_t skip = len >= 2 && p[0] == 0 && p[1] == 4 ? 2 : 0;
        fn(e->d_name, p + skip, len - skip);
        free(p);
        files++;
    }
    closedir(d);
    ck_assert_uint_gt(files, 50);
}

static void vector_mutants(const char *name, const uint8_t *p, size_t len)
{
    agree_mutants(name, p, len, 300);
    arena_t a;
    cs_error_t err;
    arena_init(&a, 0);
    const nson_value_t *t = nson_decode(&a, p, len, true, &err);
    if (t)
        agree_embedded(name, t, 300);
    arena_free(&a);
}

static void vector_iterate(const char *name, const uint8_t *p, size_t len)
{
    (void)name;
    arena_t a;
    cs_error_t err;
    arena_init(&a, 0);
    const nson_value_t *t = nson_decode(&a, p, len, true, &err);
    if (t)
        iterate_like_tree(p, len, t);
    arena_free(&a);
}

/* ------------------------------------------------------------------------
 * core
 * ------------------------------------------------------------------------ */

START_TEST(test_vectors_and_mutants_agree)
{
    compared = 0;
    each_vector(vector_mutants);
    ck_assert_uint_gt(compared, 20000);
}
END_TEST

START_TEST(test_fuzz_corpus_and_mutants_agree)
{
    DIR *d = opendir(corpus_dir);
    ck_assert_msg(d != NULL, "cannot open %s", corpus_dir);
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", corpus_dir, e->d_name);
        size_t len;
        uint8_t *p = slurp(path, &len);
        agree_mutants(e->d_name, p, len, 300);
        free(p);
        files++;
    }
    closedir(d);
    ck_assert_uint_gt(files, 20);
}
END_TEST

START_TEST(test_iterator_sees_the_tree)
{
    each_vector(vector_iterate);
}
END_TEST

/* Random bytes, short and long, mostly refused; both must agree. */
START_TEST(test_random_bytes_agree)
{
    uint8_t b[64];
    for (int i = 0; i < 200000; i++) {
        size_t len = next_rand() % sizeof b;
        for (size_t k = 0; k < len; k++)
            b[k] = (uint8_t)next_rand();
        if (len)
            b[0] = (uint8_t)(next_rand() % 14); /* mostly known type codes */
        agree("random", b, len);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * limits
 * ------------------------------------------------------------------------ */

/* n nested ARRAYs around an INTEGER 0, built by hand (the writer itself
 * refuses that depth). */
static uint8_t *nested(int n, size_t *len)
{
    size_t total = (size_t)n * 9 + 2;
    uint8_t *p = malloc(total);
    for (int i = 0; i < n; i++) {
        p[i * 9] = NSON_ARRAY;
        be32_store(p + i * 9 + 1, (uint32_t)(total - (size_t)i * 9 - 5));
        be32_store(p + i * 9 + 5, 1);
    }
    p[n * 9] = NSON_INTEGER;
    p[n * 9 + 1] = 0x7F; /* 0 */
    *len = total;
    return p;
}

START_TEST(test_depth_limit)
{
    for (int n = NSON_MAX_DEPTH - 2; n <= NSON_MAX_DEPTH + 2; n++) {
        size_t len;
        uint8_t *p = nested(n, &len);
        agree("nested", p, len);
        ck_assert_int_eq(csc_nson_check(p, len) != 0, n <= NSON_MAX_DEPTH);
        free(p);
    }
}
END_TEST

START_TEST(test_handmade_limits)
{
    static const struct { const char *what; size_t len; uint8_t b[24]; bool ok; } cases[] = {
        { "empty", 0, { 0 }, false },
        { "unknown type", 1, { 13 }, false },
        { "NULL", 1, { NSON_NULL }, true },
        { "EMPTY + trailing", 3, { NSON_EMPTY, 1, 2 }, true },
        { "truncated boolean", 1, { NSON_BOOLEAN }, false },
        { "truncated double", 8, { NSON_DOUBLE, 0, 0, 0, 0, 0, 0, 0 }, false },
        { "INTEGER 5-byte max", 6, { NSON_INTEGER, 0xFB, 0x7F, 0xFF, 0xFF, 0x86 }, true },
        { "INTEGER over 32 bits", 6, { NSON_INTEGER, 0xFB, 0x7F, 0xFF, 0xFF, 0xFF }, false },
        { "INTEGER 5 length bytes", 7, { NSON_INTEGER, 0xFC, 0, 0, 0, 0, 1 }, false },
        { "LONG truncated", 3, { NSON_LONG, 0xFF, 1 }, false },
        { "STRING null", 2, { NSON_STRING, 0x7E }, true },
        { "STRING length -2", 2, { NSON_STRING, 0x7D }, false },
        { "STRING past end", 3, { NSON_STRING, 0x82, 'a' }, false },
        { "STRING overlong UTF-8", 4, { NSON_STRING, 0x81, 0xC0, 0x80 }, false },
        { "STRING surrogate", 5, { NSON_STRING, 0x82, 0xED, 0xA0, 0x80 }, false },
        { "STRING 2-byte char", 4, { NSON_STRING, 0x81, 0xC3, 0xA9 }, true },
        { "BINARY invalid UTF-8 is fine", 4, { NSON_BINARY, 0x81, 0xC0, 0x80 }, true },
        { "MAP empty", 9, { NSON_MAP, 0, 0, 0, 4, 0, 0, 0, 0 }, true },
        { "MAP length 3", 9, { NSON_MAP, 0, 0, 0, 3, 0, 0, 0, 0 }, false },
        { "MAP length past end", 9, { NSON_MAP, 0, 0, 0, 5, 0, 0, 0, 0 }, false },
        { "MAP count over bytes", 11, { NSON_MAP, 0, 0, 0, 6, 0, 0, 0, 2, 0x7F, 11 }, false },
        { "MAP null key", 11, { NSON_MAP, 0, 0, 0, 6, 0, 0, 0, 1, 0x7E, 11 }, false },
        { "MAP key bad UTF-8", 12, { NSON_MAP, 0, 0, 0, 7, 0, 0, 0, 1, 0x80, 0xFF, 11 }, false },
        { "MAP one entry", 12, { NSON_MAP, 0, 0, 0, 7, 0, 0, 0, 1, 0x80, 'k', 11 }, true },
        { "MAP short of its length", 13, { NSON_MAP, 0, 0, 0, 8, 0, 0, 0, 1, 0x80, 'k', 11, 11 }, false },
        { "ARRAY negative count", 9, { NSON_ARRAY, 0, 0, 0, 4, 0x80, 0, 0, 0 }, false },
        { "ARRAY two NULLs", 11, { NSON_ARRAY, 0, 0, 0, 6, 0, 0, 0, 2, 11, 11 }, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        agree(cases[i].what, cases[i].b, cases[i].len);
        ck_assert_msg((csc_nson_check(cases[i].b, cases[i].len) != 0) == cases[i].ok, "%s",
                      cases[i].what);
    }
}
END_TEST

/* Walking functions on bytes that do not fit stop; nothing reads past. */
START_TEST(test_walk_bounded)
{
    static const uint8_t map[] = { NSON_MAP, 0, 0, 0, 10, 0, 0, 0, 2, 0x80, 'a', 11, 0x80, 'b', 11 };
    csc_nson_iter_t it;
    const char *k;
    size_t kl, vl;
    const uint8_t *v;
    /* every truncation: init refuses or the walk ends early */
    for (size_t len = 0; len < sizeof map; len++) {
        uint8_t *p = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        memcpy(p, map, len);
        if (csc_nson_iter_init(&it, p, len))
            while (csc_nson_iter_next(&it, &k, &kl, &v, &vl))
                ;
        ck_assert_uint_eq(csc_nson_span(p, len), 0);
        free(p);
    }
    ck_assert(csc_nson_iter_init(&it, map, sizeof map));
    ck_assert(csc_nson_iter_next(&it, &k, &kl, &v, &vl));
    ck_assert(kl == 1 && k[0] == 'a' && vl == 1 && v[0] == NSON_NULL);
    ck_assert(csc_nson_iter_next(&it, &k, &kl, &v, &vl));
    ck_assert(kl == 1 && k[0] == 'b');
    ck_assert(!csc_nson_iter_next(&it, &k, &kl, &v, &vl));
    ck_assert(!csc_nson_iter_init(&it, (const uint8_t[]){ NSON_NULL }, 1));
    int32_t i32;
    ck_assert(!csc_nson_get_int((const uint8_t[]){ NSON_INTEGER }, 1, &i32));
    ck_assert(!csc_nson_get_int((const uint8_t[]){ NSON_LONG, 0x80 }, 2, &i32));
}
END_TEST

static Suite *nson_raw_suite(void)
{
    Suite *s = suite_create("client_nson_raw");
    TCase *core = tcase_create("Core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_vectors_and_mutants_agree);
    tcase_add_test(core, test_fuzz_corpus_and_mutants_agree);
    tcase_add_test(core, test_iterator_sees_the_tree);
    tcase_add_test(core, test_random_bytes_agree);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, test_depth_limit);
    tcase_add_test(lim, test_handmade_limits);
    tcase_add_test(lim, test_walk_bounded);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    vec_dir = getenv("CSEMU_VECTORS");
    if (!vec_dir || !*vec_dir)
        vec_dir = "../shared/protocol/vectors";
    corpus_dir = getenv("CSEMU_NSON_CORPUS");
    if (!corpus_dir || !*corpus_dir)
        corpus_dir = "proto/fuzz/corpus/nson";
    SRunner *sr = srunner_create(nson_raw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
