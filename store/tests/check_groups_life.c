/* check_groups_life.c - consumer groups over time: several consumers
 * sharing partitions, rebalancing on join, close and expiry, per-key order
 * and at-least-once delivery across rebalances, group deletion, the
 * background expiry pass and the admin views. */
#include "groups_tu.h"

static gpoll_t P, Q, R;

/* Put `per` rows for each shard letter of `shards` at time ms, round robin
 * over the shards so partitions interleave. Keys "<shard><i>". */
static void put_rr(uint64_t table, const char *shards, int per, int64_t ms)
{
    for (int i = 0; i < per; i++)
        for (const char *s = shards; *s; s++) {
            char k[16], v[16];
            snprintf(k, sizeof k, "%c%d", *s, i);
            snprintf(v, sizeof v, "v%d", i);
            gt_put_at(table, k, v, ms);
        }
}

/* Partitions owned by cid in the view. */
static size_t owned_by(const group_view_t *v, uint64_t cid)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_parts; i++)
        n += v->parts[i].owner == cid;
    return n;
}

/* ===================================================================== */
/* sharing and rebalancing                                               */
/* ===================================================================== */

START_TEST(consumers_get_disjoint_complete_balanced_partitions)
{
    uint64_t t1 = tu_table(tu_s, TENANT, "t1", true, 5);
    uint64_t t2 = tu_table(tu_s, TENANT, "t2", true, 3);
    put_rr(t1, "abcdefghij", 3, 1000);
    put_rr(t2, "klmnop", 2, 1000);
    group_table_spec_t s[2] = { gt_spec(t1, GROUP_START_EARLIEST, 0),
                                gt_spec(t2, GROUP_START_EARLIEST, 0) };
    uint64_t c[3];
    for (int i = 0; i < 3; i++)
        c[i] = gt_create("g", s, 2, true, 0, 1100);

    group_view_t v;
    gt_view("g", 1100, &v);
    ck_assert_uint_eq(v.n_parts, 8);
    ck_assert_uint_eq(v.n_members, 3);
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = owned_by(&v, c[i]);
        ck_assert(n == 2 || n == 3);
        ck_assert_uint_eq(v.members[i].n_parts, n);
        total += n;
    }
    ck_assert_uint_eq(total, 8);   /* complete: no unit without a member */
    group_view_free(&v);

    /* every event exactly once over the three consumers */
    static bool seen[2][5][64];
    memset(seen, 0, sizeof seen);
    size_t events = 0;
    gpoll_t *ps[3] = { &P, &Q, &R };
    /* a poll reads one table at a time: two rounds cover both tables */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) {
            gt_poll(c[i], 1000, 1200 + round, ps[i]);
            for (size_t e = 0; e < ps[i]->n; e++) {
                gev_t *ev = &ps[i]->ev[e];
                int ti = ev->table_id == t1 ? 0 : 1;
                ck_assert(!seen[ti][ev->partition][ev->seq]);
                seen[ti][ev->partition][ev->seq] = true;
                events++;
            }
        }
    }
    ck_assert_uint_eq(events, 30 + 12);
}
END_TEST

START_TEST(join_moves_partitions_and_redelivers_uncommitted)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 4);
    put_rr(t, "abcdefgh", 2, 1000);
    uint64_t c1 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    ck_assert_uint_eq(gt_poll(c1, 100, 1200, &P), 16);   /* not committed */
    uint64_t c2 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1300);
    group_view_t v;
    gt_view("g", 1300, &v);
    ck_assert_uint_eq(owned_by(&v, c1), 2);
    ck_assert_uint_eq(owned_by(&v, c2), 2);
    ck_assert_uint_eq(v.generation, 2);
    group_view_free(&v);
    /* c2 gets its partitions from the committed position: the events c1
     * received but did not commit come again */
    size_t n2 = gt_poll(c2, 100, 1400, &Q);
    ck_assert_uint_gt(n2, 0);
    for (size_t i = 0; i < Q.n; i++)
        ck_assert(gt_has(&P, Q.ev[i].key, Q.ev[i].value));
    /* c1's commit now only covers the partitions it kept */
    gt_ok(GJ_COMMIT, c1, P.poll_seq, 1500);
    gt_view("g", 1500, &v);
    for (size_t i = 0; i < v.n_parts; i++) {
        if (v.parts[i].owner == c1)
            ck_assert_uint_eq(v.parts[i].lag_committed, 0);
        else
            ck_assert_uint_eq(v.parts[i].committed, 1);
    }
    group_view_free(&v);
}
END_TEST

START_TEST(close_gives_partitions_to_the_rest)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 4);
    put_rr(t, "abcdefgh", 2, 1000);
    uint64_t c1 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    uint64_t c2 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    size_t n1 = gt_poll(c1, 100, 1200, &P);
    size_t n2 = gt_poll(c2, 100, 1200, &Q);
    ck_assert_uint_eq(n1 + n2, 16);
    gt_ok(GJ_COMMIT, c1, P.poll_seq, 1201);
    gt_ok(GJ_CLOSE, c2, 0, 1300);          /* manual: nothing committed */
    ck_assert_uint_eq(gt_poll(c1, 100, 1400, &P), n2);
    for (size_t i = 0; i < P.n; i++)
        ck_assert(gt_has(&Q, P.ev[i].key, P.ev[i].value));
    group_view_t v;
    gt_view("g", 1400, &v);
    ck_assert_uint_eq(owned_by(&v, c1), 4);
    ck_assert_uint_eq(v.n_members, 1);
    group_view_free(&v);
}
END_TEST

/* Per-key order and no lost event across joins, leaves and resets: for
 * every partition, in the order deliveries happen, no delivered sequence
 * skips past what was delivered before (at-least-once, nothing jumped), and
 * within one poll a partition's events are consecutive and increasing. */
START_TEST(per_key_order_across_rebalances)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 4);
    put_rr(t, "abcdefgh", 12, 1000);                  /* 96 events */
    static uint64_t hi[4];
    static uint64_t cids[8];
    size_t ncid = 0;
    memset(hi, 0, sizeof hi);
    cids[ncid++] = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    int64_t now = 1200;
    srand(7);
    size_t rounds = 0;
    for (;;) {
        bool any = false;
        for (size_t i = 0; i < ncid; i++) {
            if (!cids[i])
                continue;
            gt_poll(cids[i], (uint32_t)(rand() % 9 + 1), now++, &P);
            uint64_t last[4] = { 0 };
            for (size_t e = 0; e < P.n; e++) {
                gev_t *ev = &P.ev[e];
                ck_assert_msg(ev->seq <= hi[ev->partition] + 1,
                              "partition %u: delivered %llu after only %llu", ev->partition,
                              (unsigned long long)ev->seq,
                              (unsigned long long)hi[ev->partition]);
                if (last[ev->partition])
                    ck_assert_uint_eq(ev->seq, last[ev->partition] + 1);
                last[ev->partition] = ev->seq;
                if (ev->seq > hi[ev->partition])
                    hi[ev->partition] = ev->seq;
                any = true;
            }
            int r = rand() % 6;
            if (r < 3)
                gt_ok(GJ_COMMIT, cids[i], P.poll_seq, now++);
            else if (r == 3)
                gt_ok(GJ_RESET, cids[i], 0, now++);
        }
        rounds++;
        if (rounds == 3 || rounds == 6)
            cids[ncid++] = gt_create1("g", t, GROUP_START_EARLIEST, true, now++);
        if (rounds == 8) {
            gt_ok(GJ_CLOSE, cids[0], 0, now++);
            cids[0] = 0;
        }
        if (!any && rounds > 10)
            break;
        ck_assert_uint_lt(rounds, 500);
    }
    /* everything was delivered at least once */
    for (uint32_t p = 0; p < 4; p++) {
        store_txn_t tx;
        uint64_t first, next;
        tu_begin(&tx);
        changelog_bounds(&tx, t, p, &first, &next, NULL);
        tu_end(&tx);
        ck_assert_uint_eq(hi[p], next - 1);
    }
}
END_TEST

/* ===================================================================== */
/* liveness                                                              */
/* ===================================================================== */

START_TEST(silent_consumer_expires_and_its_events_are_redelivered)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 4);
    put_rr(t, "abcdefgh", 2, 1000);
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    uint64_t c1 = gt_create("g", &s, 1, true, 1000, 1000);
    uint64_t c2 = gt_create("g", &s, 1, true, 1000, 1000);
    size_t n1 = gt_poll(c1, 100, 1100, &P);
    gt_poll(c2, 100, 1100, &Q);
    gt_ok(GJ_COMMIT, c2, Q.poll_seq, 1101);
    ck_assert_uint_gt(n1, 0);

    /* c2 heartbeats at 2000; c1 says nothing */
    gt_poll(c2, 0, 2000, &Q);
    group_view_t v;
    gt_view("g", 2000, &v);
    ck_assert_uint_eq(v.n_members, 2);
    ck_assert(!v.members[0].silent);     /* 2000 - 1100 = 900 <= 1000 */
    group_view_free(&v);

    /* at 2200 c1 has been silent 1100 ms > 1000: c2's poll expires it */
    ck_assert_uint_eq(gt_poll(c2, 100, 2200, &Q), n1);
    for (size_t i = 0; i < Q.n; i++)
        ck_assert(gt_has(&P, Q.ev[i].key, Q.ev[i].value));
    gt_view("g", 2200, &v);
    ck_assert_uint_eq(v.n_members, 1);
    ck_assert_uint_eq(owned_by(&v, c2), 4);
    group_view_free(&v);

    cs_error_t e;
    char want[200];
    snprintf(want, sizeof want,
             "Consumer %llu of group 'g' was removed after not polling within its max poll "
             "interval of 1000 ms; create a new consumer", (unsigned long long)c1);
    ck_assert_int_eq(gt_poll_rc(c1, 10, 2300, &P, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, want);
    ck_assert_int_eq(gt_simple(GJ_COMMIT, c1, 1, 2300, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, want);
}
END_TEST

START_TEST(heartbeat_keeps_a_consumer_alive)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 2);
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    uint64_t c1 = gt_create("g", &s, 1, true, 1000, 1000);
    uint64_t c2 = gt_create("g", &s, 1, true, 1000, 1000);
    for (int64_t now = 1500; now <= 5000; now += 500) {
        gt_poll(c1, 0, now, &P);
        gt_poll(c2, 1, now, &Q);
    }
    group_view_t v;
    gt_view("g", 5000, &v);
    ck_assert_uint_eq(v.n_members, 2);
    ck_assert_uint_eq(owned_by(&v, c1), 1);
    group_view_free(&v);
}
END_TEST

START_TEST(background_pass_expires_and_purges_tombstones)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 3);
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    uint64_t c[5], live;
    char names[5][8];
    for (int i = 0; i < 5; i++) {
        snprintf(names[i], sizeof names[i], "g%d", i);
        c[i] = gt_create(names[i], &s, 1, true, 1000, 1000);
    }
    gt_create("live", &s, 1, true, 1000, 1000);         /* silent too, shares "live" */
    live = gt_create("live", &s, 1, true, 100000, 1000);

    /* with a budget of 2 records per call (one membership), the silent
     * consumers of five groups take several calls */
    size_t calls = 0, expired = 0;
    while (expired < 6) {
        size_t done = gt_expire(5000, GROUPS_TOMBSTONE_MS, 2);
        ck_assert_uint_le(done, 2);
        calls++;
        ck_assert_uint_lt(calls, 40);
        expired = 0;
        for (int i = 0; i < 5; i++) {
            consumer_info_t ci;
            expired += gt_get(c[i], TENANT, &ci, NULL) == CS_ENOTFOUND;
        }
        group_view_t v;
        gt_view("live", 5000, &v);
        expired += v.n_members == 1;
        group_view_free(&v);
    }
    ck_assert_uint_ge(calls, 5);
    group_view_t v;
    gt_view("live", 5000, &v);
    ck_assert_uint_eq(owned_by(&v, live), 3);
    group_view_free(&v);
    gt_view("g0", 5000, &v);
    ck_assert_uint_eq(v.n_members, 0);
    ck_assert_uint_eq(owned_by(&v, 0), 3);   /* no owner while nobody is there */
    group_view_free(&v);

    consumer_info_t ci;
    cs_error_t e;
    ck_assert_int_eq(gt_get(c[0], TENANT, &ci, &e), CS_ENOTFOUND);
    ck_assert_int_eq(ci.state, CONSUMER_EXPIRED);
    ck_assert_int_eq(ci.ended_ms, 5000);

    /* tombstones older than the age go; then the cursor is just unknown */
    for (int i = 0; i < 10; i++)
        gt_expire(5000 + 60000, 60000 - 1, 4);
    ck_assert_int_eq(gt_get(c[0], TENANT, &ci, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, "Invalid or unknown consumer cursor");
    ck_assert_int_eq(gt_get(live, TENANT, &ci, &e), CS_OK);
}
END_TEST

/* ===================================================================== */
/* deleting groups                                                       */
/* ===================================================================== */

START_TEST(delete_group_needs_force_while_consumers_are_live)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_rr(t, "a", 3, 1000);
    uint64_t c1 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1000);
    uint64_t c2 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1000);
    cs_error_t e;
    ck_assert_int_eq(gt_delete("g", false, 1100, &e), CS_ESTATE);
    ck_assert_str_eq(e.msg,
                     "Consumer group 'g' has 2 active consumers; close them or use force stop");
    ck_assert_int_eq(gt_delete("g", true, 1100, &e), CS_OK);

    ck_assert_int_eq(gt_poll_rc(c1, 10, 1200, &P, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, "Consumer group 'g' was deleted");
    ck_assert_int_eq(gt_simple(GJ_CLOSE, c2, 0, 1200, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, "Consumer group 'g' was deleted");
    ck_assert_int_eq(gt_delete("g", true, 1300, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, "Consumer group 'g' not found");

    /* the name can be used again: a new group, new positions */
    uint64_t c3 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1400);
    ck_assert_uint_eq(gt_poll(c3, 100, 1500, &P), 3);
    ck_assert_int_eq(gt_poll_rc(c1, 10, 1500, &P, &e), CS_ENOTFOUND);
}
END_TEST

START_TEST(delete_group_without_live_consumers)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    uint64_t c1 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1000);
    gt_ok(GJ_CLOSE, c1, 0, 1100);
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    uint64_t c2 = gt_create("g", &s, 1, true, 500, 1100);
    cs_error_t e;
    /* c2 is silent at 2000 (interval 500): not live, no force needed */
    ck_assert_int_eq(gt_delete("g", false, 2000, &e), CS_OK);
    consumer_info_t ci;
    ck_assert_int_eq(gt_get(c1, TENANT, &ci, &e), CS_ENOTFOUND);
    ck_assert_int_eq(ci.state, CONSUMER_CLOSED);   /* closed stays closed */
    ck_assert_int_eq(gt_get(c2, TENANT, &ci, &e), CS_ENOTFOUND);
    ck_assert_int_eq(ci.state, CONSUMER_EXPIRED);
    store_txn_t tx;
    group_summary_t *list;
    size_t n;
    tu_begin(&tx);
    ck_assert_int_eq(groups_list(&tx, TENANT, &list, &n, &e), CS_OK);
    tu_end(&tx);
    ck_assert_uint_eq(n, 0);
    free(list);
}
END_TEST

/* ===================================================================== */
/* views                                                                 */
/* ===================================================================== */

START_TEST(view_reports_positions_and_lag)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_rr(t, "a", 10, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    gt_poll(c, 4, 1200, &P);
    gt_ok(GJ_COMMIT, c, P.poll_seq, 1201);
    gt_poll(c, 3, 1202, &P);
    gt_poll(c, 1, 1203, &P);
    group_view_t v;
    gt_view("g", 1300, &v);
    ck_assert_str_eq(v.tenant, TENANT);
    ck_assert_str_eq(v.group_id, "g");
    ck_assert_int_eq(v.created_ms, 1100);
    ck_assert_uint_eq(v.n_tables, 1);
    ck_assert(v.tables[0].exists);
    ck_assert_uint_eq(v.tables[0].partitions, 1);
    ck_assert_int_eq(v.tables[0].start, GROUP_START_EARLIEST);
    ck_assert_uint_eq(v.n_parts, 1);
    group_part_view_t *p = &v.parts[0];
    ck_assert_uint_eq(p->owner, c);
    ck_assert_uint_eq(p->committed, 5);
    ck_assert_uint_eq(p->delivered, 9);
    ck_assert_uint_eq(p->first, 1);
    ck_assert_uint_eq(p->next, 11);
    ck_assert_uint_eq(p->lag_committed, 6);
    ck_assert_uint_eq(p->lag_delivered, 2);
    ck_assert_uint_eq(v.n_members, 1);
    ck_assert_uint_eq(v.members[0].info.cid, c);
    ck_assert_uint_eq(v.members[0].n_parts, 1);
    ck_assert_uint_eq(v.members[0].lag, 2);
    ck_assert_uint_eq(v.members[0].pending_polls, 2);
    ck_assert_int_eq(v.members[0].info.last_poll_ms, 1203);
    ck_assert_uint_eq(v.members[0].info.poll_seq, 3);
    group_view_free(&v);
}
END_TEST

START_TEST(view_of_unknown_group_and_other_tenant)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    gt_create1("g", t, GROUP_START_EARLIEST, true, 1000);
    store_txn_t tx;
    group_view_t v;
    cs_error_t e;
    group_summary_t *list;
    size_t n;
    tu_begin(&tx);
    ck_assert_int_eq(group_view_get(&tx, "globex", "", "g", 0, &v, &e), CS_ENOTFOUND);
    ck_assert_int_eq(group_view_get(&tx, TENANT, "", "nope", 0, &v, &e), CS_ENOTFOUND);
    ck_assert_int_eq(groups_list(&tx, "globex", &list, &n, &e), CS_OK);
    ck_assert_uint_eq(n, 0);
    free(list);
    tu_end(&tx);
}
END_TEST

START_TEST(state_survives_reopening_the_store)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 2);
    put_rr(t, "ab", 3, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    gt_poll(c, 2, 1200, &P);
    gt_ok(GJ_COMMIT, c, P.poll_seq, 1201);
    gt_poll(c, 2, 1202, &P);
    uint64_t pending = P.poll_seq;
    store_close(tu_s);
    tu_s = tu_open_opts(64u << 20, false);
    gt_ok(GJ_COMMIT, c, pending, 1300);
    ck_assert_uint_eq(gt_poll(c, 100, 1301, &P), 2);
    consumer_info_t ci;
    ck_assert_int_eq(gt_get(c, TENANT, &ci, NULL), CS_OK);
    ck_assert_uint_eq(ci.poll_seq, 3);
}
END_TEST

static Suite *groups_life_suite(void)
{
    Suite *s = suite_create("groups_life");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_test(core, consumers_get_disjoint_complete_balanced_partitions);
    tcase_add_test(core, join_moves_partitions_and_redelivers_uncommitted);
    tcase_add_test(core, close_gives_partitions_to_the_rest);
    tcase_add_test(core, per_key_order_across_rebalances);
    tcase_add_test(core, silent_consumer_expires_and_its_events_are_redelivered);
    tcase_add_test(core, heartbeat_keeps_a_consumer_alive);
    tcase_add_test(core, background_pass_expires_and_purges_tombstones);
    tcase_add_test(core, delete_group_needs_force_while_consumers_are_live);
    tcase_add_test(core, delete_group_without_live_consumers);
    tcase_add_test(core, view_reports_positions_and_lag);
    tcase_add_test(core, state_survives_reopening_the_store);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Limits");
    tu_add_fixtures(lim);
    tcase_add_test(lim, view_of_unknown_group_and_other_tenant);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(groups_life_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
