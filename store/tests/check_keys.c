/* check_keys.c - key builders: byte order is numeric order, parsers invert
 * builders, limits hold; prefix scans over a real store. */
#include "test_util.h"

#include "keys.h"

static int keycmp(const keybuf_t *a, const keybuf_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->b, b->b, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

START_TEST(test_event_order_is_numeric)
{
    const uint64_t seqs[] = { 1, 2, 255, 256, 65535, 65536, 1ull << 32, UINT64_MAX };
    keybuf_t a, b;
    for (size_t i = 0; i + 1 < sizeof seqs / sizeof seqs[0]; i++) {
        ck_assert(keys_event(&a, 7, 3, seqs[i]));
        ck_assert(keys_event(&b, 7, 3, seqs[i + 1]));
        ck_assert_int_lt(keycmp(&a, &b), 0);
    }
    /* Table before partition before sequence. */
    ck_assert(keys_event(&a, 7, 3, UINT64_MAX));
    ck_assert(keys_event(&b, 7, 4, 0));
    ck_assert_int_lt(keycmp(&a, &b), 0);
    ck_assert(keys_event(&a, 7, UINT32_MAX, UINT64_MAX));
    ck_assert(keys_event(&b, 8, 0, 0));
    ck_assert_int_lt(keycmp(&a, &b), 0);

    uint64_t t, s;
    uint32_t p;
    ck_assert(keys_event(&a, 0x0102030405060708ull, 0xa0b0c0d0u, 42));
    ck_assert_uint_eq(a.len, 20);
    ck_assert(keys_parse_event(a.b, a.len, &t, &p, &s));
    ck_assert_uint_eq(t, 0x0102030405060708ull);
    ck_assert_uint_eq(p, 0xa0b0c0d0u);
    ck_assert_uint_eq(s, 42);
    ck_assert(!keys_parse_event(a.b, 19, &t, &p, &s));
    ck_assert(keys_partition(&a, 9, 1));
    ck_assert(keys_parse_partition(a.b, a.len, &t, &p));
    ck_assert_uint_eq(t, 9);
    ck_assert_uint_eq(p, 1);
}
END_TEST

START_TEST(test_row_and_name_keys)
{
    keybuf_t a, b;
    uint8_t big[KEYS_MAX];
    memset(big, 'x', sizeof big);
    ck_assert(keys_row(&a, 1, big, KEYS_MAX - 8));
    ck_assert_uint_eq(a.len, KEYS_MAX);
    ck_assert(!keys_row(&a, 1, big, KEYS_MAX - 7));
    ck_assert_uint_eq(a.len, 0);

    uint64_t t;
    const uint8_t *rk;
    size_t rl;
    ck_assert(keys_row(&a, 5, (const uint8_t *)"abc", 3));
    ck_assert(keys_parse_row(a.b, a.len, &t, &rk, &rl));
    ck_assert_uint_eq(t, 5);
    ck_assert_uint_eq(rl, 3);
    ck_assert(memcmp(rk, "abc", 3) == 0);

    /* Names fold ASCII only; tenants are NUL-terminated so "ab" never
     * prefixes tenant "abc". */
    ck_assert(keys_tname(&a, "ten", "MyTable"));
    ck_assert(keys_tname(&b, "ten", "mytable"));
    ck_assert_int_eq(keycmp(&a, &b), 0);
    ck_assert(keys_tname_prefix(&a, "ab"));
    ck_assert(keys_tname(&b, "abc", "t"));
    ck_assert(memcmp(a.b, b.b, a.len) != 0);
    char out[8];
    ck_assert(keys_fold(out, sizeof out, "AbC\xc3\x89"));
    ck_assert_str_eq(out, "abc\xc3\x89");
    ck_assert(!keys_fold(out, 4, "abcd"));

    ck_assert(keys_drop(&a, 77));
    ck_assert(keys_parse_drop(a.b, a.len, &t));
    ck_assert_uint_eq(t, 77);
    ck_assert(!keys_counter(&a, ""));
    ck_assert(keys_counter(&a, "table_id"));
}
END_TEST

static bool count_keys(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *ctx)
{
    (void)k; (void)kl; (void)v; (void)vl;
    (*(int *)ctx)++;
    return true;
}

START_TEST(test_foreach_prefix)
{
    uint64_t id = tu_table(tu_s, "acme", "t", false, 0);
    uint64_t other = tu_table(tu_s, "acme", "u", false, 0);
    const char *keys[] = { "a1", "a2", "b1", "b2", "b3" };
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(tu_put(tu_s, id, keys[i], "v", NULL), CS_OK);
        ck_assert_int_eq(tu_put(tu_s, other, keys[i], "v", NULL), CS_OK);
    }
    store_txn_t t;
    tu_begin(&t);
    keybuf_t p, f;
    int n = 0;
    keys_table(&p, id);
    ck_assert_int_eq(keys_foreach_prefix(&t, KEYS_DBI_ROWS, p.b, p.len, NULL, 0, count_keys, &n),
                     CS_OK);
    ck_assert_int_eq(n, 5);
    n = 0;
    keys_row(&p, id, (const uint8_t *)"b", 1);
    ck_assert_int_eq(keys_foreach_prefix(&t, KEYS_DBI_ROWS, p.b, p.len, NULL, 0, count_keys, &n),
                     CS_OK);
    ck_assert_int_eq(n, 3);
    n = 0;
    keys_row(&f, id, (const uint8_t *)"b2", 2);
    ck_assert_int_eq(keys_foreach_prefix(&t, KEYS_DBI_ROWS, p.b, p.len, f.b, f.len, count_keys, &n),
                     CS_OK);
    ck_assert_int_eq(n, 2);
    n = 0;  /* from before the prefix: starts at the prefix */
    keys_row(&f, id, (const uint8_t *)"a", 1);
    ck_assert_int_eq(keys_foreach_prefix(&t, KEYS_DBI_ROWS, p.b, p.len, f.b, f.len, count_keys, &n),
                     CS_OK);
    ck_assert_int_eq(n, 3);
    tu_end(&t);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_test(core, test_event_order_is_numeric);
    tcase_add_test(core, test_row_and_name_keys);
    tcase_add_test(core, test_foreach_prefix);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(keys_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
