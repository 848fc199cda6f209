/*
 * check_keyenc.c - key encodings keep Oracle NoSQL's primary-key order
 * under memcmp (randomized), are self-delimiting (prefix / shard
 * properties), and NUMBER values have one canonical form and text.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyenc.h"

/* deterministic xorshift so failures reproduce */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct enc {
    uint8_t b[128];
    size_t n;
} enc_t;

static void take(buf_t *b, enc_t *e)
{
    ck_assert(buf_ok(b));
    ck_assert_uint_le(b->len, sizeof e->b);
    memcpy(e->b, b->data, b->len);
    e->n = b->len;
    buf_reset(b);
}

static int bcmp3(const enc_t *a, const enc_t *b)
{
    size_t m = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->b, b->b, m);
    if (c)
        return c < 0 ? -1 : 1;
    return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
}


/* ---- decimals ---- */

static const char *canon(const char *in)
{
    static char out[256];
    char dig[128];
    keyenc_dec_t d;
    cs_error_t e;
    ck_assert_msg(keyenc_dec_parse(in, strlen(in), dig, &d, &e) == CS_OK, "%s: %s", in, e.msg);
    ck_assert_uint_gt(keyenc_dec_format(&d, out, sizeof out), 0);
    return out;
}

START_TEST(decimal_text)
{
    static const char *const cases[][2] = {
        {"0", "0"}, {"0.000", "0"}, {"-0", "0"}, {"0E-7", "0"}, {"1", "1"}, {"1.0", "1"},
        {"1E0", "1"}, {"10", "1E+1"}, {"100", "1E+2"}, {"1E+2", "1E+2"}, {"123", "123"},
        {"1230", "1.23E+3"}, {"12.50", "12.5"}, {"0.001", "0.001"}, {"0.000001", "0.000001"},
        {"0.0000001", "1E-7"}, {"1.5E-7", "1.5E-7"}, {".5", "0.5"}, {"5.", "5"}, {"+5", "5"},
        {"1e5", "1E+5"}, {"-12.5", "-12.5"}, {"-0.00012", "-0.00012"},
        {"12345678901234567890.125", "12345678901234567890.125"},
        {"00012.3400", "12.34"}, {"1.23E-10", "1.23E-10"}, {"123.456e2", "12345.6"},
        {"5E-1", "0.5"}, {"-1E+3", "-1E+3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(strcmp(canon(cases[i][0]), cases[i][1]) == 0, "%s -> %s, want %s",
                      cases[i][0], canon(cases[i][0]), cases[i][1]);
    static const char *const bad[] = {"", "-", "1e", "abc", "NaN", "Infinity", "1.2.3", "1e+",
                                      " 1", "1 ", "0x10", "1e99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char dig[64];
        keyenc_dec_t d;
        cs_error_t e;
        ck_assert_msg(keyenc_dec_parse(bad[i], strlen(bad[i]), dig, &d, &e) == CS_EINVAL,
                      "'%s' accepted", bad[i]);
    }
}
END_TEST

START_TEST(decimal_conversions)
{
    char dig[32], out[64];
    keyenc_dec_t d;
    int64_t l;
    double x;
    ck_assert(keyenc_dec_from_double(3.25, dig, &d));
    keyenc_dec_format(&d, out, sizeof out);
    ck_assert_str_eq(out, "3.25");
    ck_assert(keyenc_dec_from_double(0.1, dig, &d));
    keyenc_dec_format(&d, out, sizeof out);
    ck_assert_str_eq(out, "0.1");
    ck_assert(keyenc_dec_from_double(1e20, dig, &d));
    keyenc_dec_format(&d, out, sizeof out);
    ck_assert_str_eq(out, "1E+20");
    ck_assert(!keyenc_dec_from_double(NAN, dig, &d));
    keyenc_dec_from_i64(INT64_MIN, dig, &d);
    ck_assert(keyenc_dec_to_i64(&d, &l));
    ck_assert(l == INT64_MIN);
    keyenc_dec_from_i64(-120, dig, &d);
    ck_assert(keyenc_dec_to_i64(&d, &l) && l == -120);
    ck_assert(keyenc_dec_to_double(&d, &x) && x == -120.0);
    char big[64];
    keyenc_dec_parse("9223372036854775808", 19, big, &d, NULL);
    ck_assert(!keyenc_dec_to_i64(&d, &l));
    keyenc_dec_parse("1.5", 3, big, &d, NULL);
    ck_assert(!keyenc_dec_to_i64(&d, &l));
    ck_assert(keyenc_dec_to_double(&d, &x) && x == 1.5);
    keyenc_dec_parse("0.10000000000000000001", 22, big, &d, NULL);
    ck_assert(!keyenc_dec_to_double(&d, &x));   /* loses information */
    keyenc_dec_parse("1E+400", 6, big, &d, NULL);
    ck_assert(keyenc_dec_to_double(&d, &x) && isinf(x));
}
END_TEST

/* ---- ordering ---- */

START_TEST(order_integers)
{
    buf_t b;
    buf_init(&b, 0);
    enc_t x, y;
    for (int i = 0; i < 20000; i++) {
        int64_t a = (int64_t)rnd(), c = (int64_t)rnd();
        if (i % 3 == 0) {
            a %= 1000;
            c %= 1000;
        }
        keyenc_put_long(&b, a);
        take(&b, &x);
        keyenc_put_long(&b, c);
        take(&b, &y);
        ck_assert_int_eq(bcmp3(&x, &y), a < c ? -1 : a > c);
        int32_t a32 = (int32_t)a, c32 = (int32_t)c;
        keyenc_put_int(&b, a32);
        take(&b, &x);
        keyenc_put_int(&b, c32);
        take(&b, &y);
        ck_assert_int_eq(bcmp3(&x, &y), a32 < c32 ? -1 : a32 > c32);
    }
    buf_free(&b);
}
END_TEST

static double rnd_double(void)
{
    static const double specials[] = {0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, 1e-310, -1e-310,
                                      1e308, -1e308, 0.5, 2.0};
    uint64_t r = rnd();
    if (r % 5 == 0)
        return specials[(r >> 8) % (sizeof specials / sizeof specials[0])];
    if (r % 5 == 1)
        return (double)((int64_t)(r >> 12) % 1000) / 8.0;
    double d;
    uint64_t bits = rnd();
    memcpy(&d, &bits, 8);
    return isnan(d) ? 1.25 : d;
}

/* the service's order: raw IEEE patterns, -0.0 before 0.0 */
static int dcmp(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == 0 && b == 0)
        return signbit(a) == signbit(b) ? 0 : signbit(a) ? -1 : 1;
    return 0;
}

START_TEST(order_floats)
{
    buf_t b;
    buf_init(&b, 0);
    enc_t x, y;
    for (int i = 0; i < 20000; i++) {
        double a = rnd_double(), c = rnd_double();
        keyenc_put_double(&b, a);
        take(&b, &x);
        keyenc_put_double(&b, c);
        take(&b, &y);
        ck_assert_msg(bcmp3(&x, &y) == dcmp(a, c), "%g vs %g", a, c);
        float fa = (float)a, fc = (float)c;
        keyenc_put_float(&b, fa);
        take(&b, &x);
        keyenc_put_float(&b, fc);
        take(&b, &y);
        ck_assert_msg(bcmp3(&x, &y) == dcmp(fa, fc), "%g vs %g", (double)fa, (double)fc);
    }
    /* NaN: one key, after +Infinity */
    enc_t n1, n2, inf;
    keyenc_put_double(&b, NAN);
    take(&b, &n1);
    keyenc_put_double(&b, -NAN);
    take(&b, &n2);
    keyenc_put_double(&b, INFINITY);
    take(&b, &inf);
    ck_assert_int_eq(bcmp3(&n1, &n2), 0);
    ck_assert_int_eq(bcmp3(&inf, &n1), -1);
    buf_free(&b);
}
END_TEST

static void rnd_decimal(char *out, size_t cap)
{
    static const char *const specials[] = {"0", "1", "-1", "10", "1.0", "0.1", "-0.1", "1E+2",
                                           "100", "99", "-99", "0.000001", "1E-7"};
    uint64_t r = rnd();
    if (r % 4 == 0) {
        snprintf(out, cap, "%s", specials[(r >> 8) % (sizeof specials / sizeof specials[0])]);
        return;
    }
    int nd = 1 + (int)(rnd() % 20);
    size_t k = 0;
    if (rnd() % 2)
        out[k++] = '-';
    for (int i = 0; i < nd; i++)
        out[k++] = (char)('0' + rnd() % 10);
    snprintf(out + k, cap - k, "E%d", (int)(rnd() % 61) - 30);
}

START_TEST(order_numbers)
{
    buf_t b;
    buf_init(&b, 0);
    enc_t x, y;
    for (int i = 0; i < 20000; i++) {
        char ta[64], tc[64], da[64], dc[64];
        keyenc_dec_t a, c;
        rnd_decimal(ta, sizeof ta);
        rnd_decimal(tc, sizeof tc);
        ck_assert(keyenc_dec_parse(ta, strlen(ta), da, &a, NULL) == CS_OK);
        ck_assert(keyenc_dec_parse(tc, strlen(tc), dc, &c, NULL) == CS_OK);
        keyenc_put_number(&b, &a);
        take(&b, &x);
        keyenc_put_number(&b, &c);
        take(&b, &y);
        int want = keyenc_dec_cmp(&a, &c);
        ck_assert_msg(bcmp3(&x, &y) == want, "%s vs %s", ta, tc);
        /* the comparison agrees with the numeric value where doubles can tell */
        double fa = strtod(ta, NULL), fc = strtod(tc, NULL);
        if (fa != fc)
            ck_assert_msg(want == (fa < fc ? -1 : 1), "%s vs %s", ta, tc);
    }
    /* 1, 1.0 and 1E0 are one key */
    const char *same[] = {"1", "1.0", "1E0", "0.1E1", "10E-1"};
    enc_t first;
    for (size_t i = 0; i < 5; i++) {
        char d[16];
        keyenc_dec_t v;
        keyenc_dec_parse(same[i], strlen(same[i]), d, &v, NULL);
        keyenc_put_number(&b, &v);
        take(&b, i ? &x : &first);
        if (i)
            ck_assert_int_eq(bcmp3(&first, &x), 0);
    }
    buf_free(&b);
}
END_TEST

static size_t rnd_bytes(char *out, size_t max)
{
    static const char alphabet[] = {0x00, 0x01, 'a', 'b', (char)0xFE, (char)0xFF};
    size_t n = rnd() % (max + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd() % sizeof alphabet];
    return n;
}

static int strcmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    if (c)
        return c < 0 ? -1 : 1;
    return an == bn ? 0 : an < bn ? -1 : 1;
}

START_TEST(order_strings_and_tuples)
{
    buf_t b;
    buf_init(&b, 0);
    enc_t x, y;
    for (int i = 0; i < 20000; i++) {
        char sa[8], sc[8];
        size_t na = rnd_bytes(sa, 6), nc = rnd_bytes(sc, 6);
        int32_t ia = (int32_t)(rnd() % 5) - 2, ic = (int32_t)(rnd() % 5) - 2;
        /* (string, int) tuples */
        keyenc_put_string(&b, sa, na);
        size_t pa = b.len;
        keyenc_put_int(&b, ia);
        take(&b, &x);
        keyenc_put_string(&b, sc, nc);
        keyenc_put_int(&b, ic);
        take(&b, &y);
        int sres = strcmp_bytes(sa, na, sc, nc);
        int want = sres ? sres : (ia < ic ? -1 : ia > ic);
        ck_assert_int_eq(bcmp3(&x, &y), want);
        /* prefix property: y starts with x's first component iff same string */
        bool prefix = y.n >= pa && memcmp(x.b, y.b, pa) == 0;
        ck_assert_int_eq(prefix, sres == 0);
    }
    buf_free(&b);
}
END_TEST

START_TEST(order_timestamps_and_small_types)
{
    buf_t b;
    buf_init(&b, 0);
    enc_t x, y;
    for (int i = 0; i < 20000; i++) {
        cs_ts_t a = {(int64_t)(rnd() % 2000000) - 1000000, (int32_t)(rnd() % 1000000000)};
        cs_ts_t c = {(int64_t)(rnd() % 2000000) - 1000000, (int32_t)(rnd() % 1000000000)};
        if (i % 2)
            c.sec = a.sec;
        int p = (int)(rnd() % 10);
        keyenc_put_timestamp(&b, a, p);
        take(&b, &x);
        keyenc_put_timestamp(&b, c, p);
        take(&b, &y);
        cs_ts_t ra = timefmt_round(a, p), rc = timefmt_round(c, p);
        int want = ra.sec != rc.sec ? (ra.sec < rc.sec ? -1 : 1)
                 : ra.nsec != rc.nsec ? (ra.nsec < rc.nsec ? -1 : 1) : 0;
        ck_assert_int_eq(bcmp3(&x, &y), want);
        ck_assert_uint_eq(x.n, p > 0 ? 12u : 8u);
    }
    keyenc_put_bool(&b, false);
    take(&b, &x);
    keyenc_put_bool(&b, true);
    take(&b, &y);
    ck_assert_int_eq(bcmp3(&x, &y), -1);
    keyenc_put_enum(&b, 2);
    take(&b, &x);
    keyenc_put_enum(&b, 300);
    take(&b, &y);
    ck_assert_int_eq(bcmp3(&x, &y), -1);
    buf_free(&b);
}
END_TEST

START_TEST(successor)
{
    uint8_t k[4] = {1, 2, 0xFF, 0xFF};
    size_t n = 4;
    ck_assert(keyenc_successor(k, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(k[1], 3);
    uint8_t all[2] = {0xFF, 0xFF};
    n = 2;
    ck_assert(!keyenc_successor(all, &n));
    n = 0;
    ck_assert(!keyenc_successor(all, &n));
    /* every string starting with "ab" sorts below successor(enc("ab") prefix) */
    buf_t b;
    buf_init(&b, 0);
    enc_t pre, x;
    buf_append(&b, "ab", 2);
    take(&b, &pre);
    ck_assert(keyenc_successor(pre.b, &pre.n));
    for (int i = 0; i < 1000; i++) {
        char s[8] = "ab";
        size_t ns = 2 + rnd_bytes(s + 2, 5);
        keyenc_put_string(&b, s, ns);
        take(&b, &x);
        ck_assert_int_eq(bcmp3(&x, &pre), -1);
    }
    buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("keyenc");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, decimal_text);
    tcase_add_test(core, decimal_conversions);
    tcase_add_test(core, order_integers);
    tcase_add_test(core, order_floats);
    tcase_add_test(core, order_numbers);
    tcase_add_test(core, order_strings_and_tuples);
    tcase_add_test(core, order_timestamps_and_small_types);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, successor);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
