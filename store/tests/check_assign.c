/* check_assign.c - the partition assignment function: complete, exclusive,
 * balanced, sticky, deterministic, over fixed cases and random ones. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"

#define MAXU 600
#define MAXM 40

static assign_unit_t units[MAXU];
static uint64_t owner[MAXU];

static void make_units(size_t n_tables, size_t parts)
{
    size_t u = 0;
    for (size_t t = 0; t < n_tables; t++)
        for (size_t p = 0; p < parts; p++, u++) {
            units[u].table_id = 100 + t;
            units[u].partition = (uint32_t)p;
            units[u].prev_owner = 0;
        }
}

static size_t count_of(uint64_t id, size_t n)
{
    size_t c = 0;
    for (size_t u = 0; u < n; u++)
        c += owner[u] == id;
    return c;
}

/* Every unit owned by a member; counts differ by at most one. */
static void assert_complete_balanced(const uint64_t *members, size_t nm, size_t nu)
{
    size_t lo = (size_t)-1, hi = 0, total = 0;
    for (size_t u = 0; u < nu; u++) {
        bool found = false;
        for (size_t m = 0; m < nm; m++)
            found |= owner[u] == members[m];
        ck_assert_msg(found, "unit %zu owned by non-member %llu", u,
                      (unsigned long long)owner[u]);
    }
    for (size_t m = 0; m < nm; m++) {
        size_t c = count_of(members[m], nu);
        total += c;
        if (c < lo) lo = c;
        if (c > hi) hi = c;
    }
    ck_assert_uint_eq(total, nu);
    ck_assert_uint_le(hi - lo, 1);
}

static void apply_prev(size_t nu)
{
    for (size_t u = 0; u < nu; u++)
        units[u].prev_owner = owner[u];
}

START_TEST(single_member_gets_everything)
{
    uint64_t m[] = { 7 };
    make_units(2, 4);
    ck_assert_int_eq(assign_compute(m, 1, units, 8, owner, NULL), CS_OK);
    for (size_t u = 0; u < 8; u++)
        ck_assert_uint_eq(owner[u], 7);
}
END_TEST

START_TEST(no_members_no_owner)
{
    make_units(1, 3);
    units[1].prev_owner = 5;
    ck_assert_int_eq(assign_compute(NULL, 0, units, 3, owner, NULL), CS_OK);
    for (size_t u = 0; u < 3; u++)
        ck_assert_uint_eq(owner[u], 0);
}
END_TEST

START_TEST(join_moves_only_what_balance_needs)
{
    uint64_t one[] = { 10 };
    uint64_t two[] = { 10, 20 };
    make_units(1, 8);
    ck_assert_int_eq(assign_compute(one, 1, units, 8, owner, NULL), CS_OK);
    apply_prev(8);
    ck_assert_int_eq(assign_compute(two, 2, units, 8, owner, NULL), CS_OK);
    assert_complete_balanced(two, 2, 8);
    /* 10 keeps 4 of its 8, 20 takes 4: exactly 4 moved */
    size_t moved = 0;
    for (size_t u = 0; u < 8; u++)
        moved += owner[u] != units[u].prev_owner;
    ck_assert_uint_eq(moved, 4);
    ck_assert_uint_eq(count_of(20, 8), 4);
}
END_TEST

START_TEST(leave_moves_only_the_leavers_units)
{
    uint64_t three[] = { 1, 2, 3 };
    uint64_t two[] = { 1, 3 };
    make_units(2, 3);   /* 6 units: 2 each */
    ck_assert_int_eq(assign_compute(three, 3, units, 6, owner, NULL), CS_OK);
    assert_complete_balanced(three, 3, 6);
    apply_prev(6);
    ck_assert_int_eq(assign_compute(two, 2, units, 6, owner, NULL), CS_OK);
    assert_complete_balanced(two, 2, 6);
    for (size_t u = 0; u < 6; u++)
        if (units[u].prev_owner != 2)
            ck_assert_uint_eq(owner[u], units[u].prev_owner);
}
END_TEST

START_TEST(extra_unit_goes_to_the_member_that_had_it)
{
    /* 5 units, 2 members: 3 + 2. Member 9 (higher id) owned 3 before; it
     * must keep all 3 rather than give one up to the lower id. */
    uint64_t m[] = { 4, 9 };
    make_units(1, 5);
    uint64_t prev[] = { 9, 9, 4, 9, 4 };
    for (size_t u = 0; u < 5; u++)
        units[u].prev_owner = prev[u];
    ck_assert_int_eq(assign_compute(m, 2, units, 5, owner, NULL), CS_OK);
    for (size_t u = 0; u < 5; u++)
        ck_assert_uint_eq(owner[u], prev[u]);
}
END_TEST

START_TEST(more_members_than_units)
{
    uint64_t m[] = { 1, 2, 3, 4, 5 };
    make_units(1, 2);
    ck_assert_int_eq(assign_compute(m, 5, units, 2, owner, NULL), CS_OK);
    assert_complete_balanced(m, 5, 2);
    ck_assert_uint_ne(owner[0], owner[1]);
}
END_TEST

/* Random member sets and unit counts, evolving over rounds of joins and
 * leaves: every round complete and balanced, deterministic on a rerun, and
 * sticky (units kept = the best possible: sum of min(held, quota) with the
 * bigger quotas on the biggest holders). */
START_TEST(randomized_properties)
{
    srand(12345);
    for (int trial = 0; trial < 200; trial++) {
        size_t nu = (size_t)(rand() % 6 + 1) * (size_t)(rand() % 64 + 1);
        if (nu > MAXU) nu = MAXU;
        make_units(1, nu);
        uint64_t pool[MAXM];
        bool in[MAXM] = { false };
        for (size_t i = 0; i < MAXM; i++)
            pool[i] = (uint64_t)(i * 3 + 1);
        for (int round = 0; round < 8; round++) {
            /* flip a few memberships */
            int flips = rand() % 4 + 1;
            for (int f = 0; f < flips; f++)
                in[rand() % MAXM] ^= true;
            uint64_t mem[MAXM];
            size_t nm = 0;
            for (size_t i = 0; i < MAXM; i++)
                if (in[i]) mem[nm++] = pool[i];

            ck_assert_int_eq(assign_compute(mem, nm, units, nu, owner, NULL), CS_OK);
            if (nm == 0) {
                for (size_t u = 0; u < nu; u++)
                    ck_assert_uint_eq(owner[u], 0);
                apply_prev(nu);
                continue;
            }
            assert_complete_balanced(mem, nm, nu);

            /* deterministic */
            uint64_t again[MAXU];
            ck_assert_int_eq(assign_compute(mem, nm, units, nu, again, NULL), CS_OK);
            ck_assert_int_eq(memcmp(again, owner, nu * sizeof *owner), 0);

            /* sticky: kept == optimum */
            size_t held[MAXM] = { 0 }, kept = 0;
            for (size_t u = 0; u < nu; u++) {
                for (size_t m = 0; m < nm; m++)
                    if (units[u].prev_owner == mem[m]) held[m]++;
                kept += units[u].prev_owner != 0 && owner[u] == units[u].prev_owner;
            }
            /* optimum: sort held descending, give base+1 to the first extra */
            size_t sorted[MAXM];
            memcpy(sorted, held, nm * sizeof *held);
            for (size_t i = 1; i < nm; i++)
                for (size_t j = i; j > 0 && sorted[j] > sorted[j - 1]; j--) {
                    size_t tmp = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = tmp;
                }
            size_t best = 0, base = nu / nm, extra = nu % nm;
            for (size_t i = 0; i < nm; i++) {
                size_t q = base + (i < extra);
                best += sorted[i] < q ? sorted[i] : q;
            }
            ck_assert_uint_eq(kept, best);
            apply_prev(nu);
        }
    }
}
END_TEST

START_TEST(rejects_unsorted_or_zero_members)
{
    uint64_t bad1[] = { 5, 3 };
    uint64_t bad2[] = { 0, 3 };
    uint64_t bad3[] = { 3, 3 };
    cs_error_t e;
    make_units(1, 2);
    ck_assert_int_eq(assign_compute(bad1, 2, units, 2, owner, &e), CS_EINVAL);
    ck_assert_int_eq(assign_compute(bad2, 2, units, 2, owner, &e), CS_EINVAL);
    ck_assert_int_eq(assign_compute(bad3, 2, units, 2, owner, &e), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "sorted"));
}
END_TEST

START_TEST(previous_owner_not_a_member_is_ignored)
{
    uint64_t m[] = { 2 };
    make_units(1, 3);
    units[0].prev_owner = 99;
    ck_assert_int_eq(assign_compute(m, 1, units, 3, owner, NULL), CS_OK);
    for (size_t u = 0; u < 3; u++)
        ck_assert_uint_eq(owner[u], 2);
    ck_assert_int_eq(assign_compute(m, 1, units, 0, owner, NULL), CS_OK);
}
END_TEST

static Suite *assign_suite(void)
{
    Suite *s = suite_create("assign");
    TCase *core = tcase_create("Core");
    tcase_add_test(core, single_member_gets_everything);
    tcase_add_test(core, no_members_no_owner);
    tcase_add_test(core, join_moves_only_what_balance_needs);
    tcase_add_test(core, leave_moves_only_the_leavers_units);
    tcase_add_test(core, extra_unit_goes_to_the_member_that_had_it);
    tcase_add_test(core, more_members_than_units);
    tcase_add_test(core, randomized_properties);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_test(lim, rejects_unsorted_or_zero_members);
    tcase_add_test(lim, previous_owner_not_a_member_is_ignored);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(assign_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
