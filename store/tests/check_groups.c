/* check_groups.c - consumer groups as a Change Streams user sees them:
 * start locations, polls, manual and automatic commits, reset, tables of a
 * group, several groups and several tables, and the errors of bad input.
 * (Liveness, deletion, rebalancing and views: check_groups_life.c.) */
#include "groups_tu.h"

static gpoll_t P, Q;

/* Put n rows "<prefix><i>" = "v<i>" at time ms. */
static void put_n(uint64_t table, const char *prefix, int from, int to, int64_t ms)
{
    for (int i = from; i < to; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "%s%d", prefix, i);
        snprintf(v, sizeof v, "v%d", i);
        gt_put_at(table, k, v, ms);
    }
}

/* ===================================================================== */
/* start locations                                                       */
/* ===================================================================== */

START_TEST(earliest_reads_existing_events_in_order)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 3, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 2000);
    ck_assert_uint_eq(gt_poll(c, 100, 2001, &P), 3);
    ck_assert_str_eq(P.ev[0].key, "a0");
    ck_assert_str_eq(P.ev[1].key, "a1");
    ck_assert_str_eq(P.ev[2].key, "a2");
    ck_assert_str_eq(P.ev[2].value, "v2");
    ck_assert_int_eq(P.remaining, 0);
    ck_assert_uint_eq(P.poll_seq, 1);
    ck_assert_uint_eq(gt_poll(c, 100, 2002, &P), 0);
}
END_TEST

START_TEST(latest_reads_only_events_after_creation)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 4);
    put_n(t, "abcdefgh", 0, 1, 1000);
    put_n(t, "b", 0, 5, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_LATEST, true, 2000);
    ck_assert_uint_eq(gt_poll(c, 100, 2001, &P), 0);
    put_n(t, "c", 0, 2, 3000);
    ck_assert_uint_eq(gt_poll(c, 100, 3001, &P), 2);
    ck_assert(gt_has(&P, "c0", "v0") && gt_has(&P, "c1", "v1"));
}
END_TEST

START_TEST(at_time_starts_at_first_event_at_or_after)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 3);
    put_n(t, "a", 0, 3, 1000);   /* keys a0..a2: one partition (shard = 'a') */
    put_n(t, "b", 0, 3, 1500);
    put_n(t, "a", 3, 6, 2000);
    put_n(t, "c", 0, 2, 2500);
    group_table_spec_t s = gt_spec(t, GROUP_START_AT_TIME, 2000);
    uint64_t c = gt_create("g", &s, 1, true, 0, 3000);
    ck_assert_uint_eq(gt_poll(c, 100, 3001, &P), 5);
    for (int i = 3; i < 6; i++) {
        char k[8];
        snprintf(k, sizeof k, "a%d", i);
        ck_assert(gt_has(&P, k, NULL));
    }
    ck_assert(gt_has(&P, "c0", NULL) && gt_has(&P, "c1", NULL));
    ck_assert(!gt_has(&P, "a0", NULL) && !gt_has(&P, "b0", NULL));
}
END_TEST

START_TEST(first_uncommitted_on_a_new_group_is_earliest)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 2);
    put_n(t, "a", 0, 2, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_FIRST_UNCOMMITTED, true, 2000);
    ck_assert_uint_eq(gt_poll(c, 100, 2001, &P), 2);
}
END_TEST

/* The SDK integration test: manual consumer polls without committing,
 * closes; a new consumer of the group gets the same events again; after
 * committing, the next consumer starts after them. */
START_TEST(first_uncommitted_resumes_at_the_group_position)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    uint64_t c1 = gt_create1("g", t, GROUP_START_FIRST_UNCOMMITTED, true, 1000);
    put_n(t, "a", 0, 3, 1100);
    ck_assert_uint_eq(gt_poll(c1, 100, 1200, &P), 3);
    gt_ok(GJ_CLOSE, c1, 0, 1300);

    uint64_t c2 = gt_create1("g", t, GROUP_START_FIRST_UNCOMMITTED, true, 1400);
    ck_assert_uint_eq(gt_poll(c2, 100, 1500, &P), 3);
    ck_assert_str_eq(P.ev[0].key, "a0");
    gt_ok(GJ_COMMIT, c2, P.poll_seq, 1600);
    gt_ok(GJ_CLOSE, c2, 0, 1700);

    /* EARLIEST too: the table is already in the group, which keeps its
     * position (start locations apply to tables new to the group). */
    uint64_t c3 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1800);
    put_n(t, "a", 3, 5, 1900);
    ck_assert_uint_eq(gt_poll(c3, 100, 2000, &P), 2);
    ck_assert_str_eq(P.ev[0].key, "a3");
    ck_assert_str_eq(P.ev[1].key, "a4");
}
END_TEST

START_TEST(force_reset_applies_the_start_again)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 4, 1000);
    uint64_t c1 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    ck_assert_uint_eq(gt_poll(c1, 2, 1200, &P), 2);
    uint64_t old_poll = P.poll_seq;
    gt_ok(GJ_COMMIT, c1, old_poll, 1201);
    ck_assert_uint_eq(gt_poll(c1, 1, 1202, &P), 1);   /* a2, not committed */
    ck_assert_uint_eq(gt_committed("g", t, 0), 3);

    /* A new consumer with force reset back to EARLIEST: committed goes back
     * to 1, the running consumer's delivered position too. */
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    gjob_t j = { .op = GJ_CREATE, .compartment = "", .group_id = "g", .specs = &s, .n = 1,
                 .manual = true, .force = true, .now_ms = 1300 };
    cs_error_t e;
    ck_assert_int_eq(gt_run(&j, &e), CS_OK);
    ck_assert_uint_eq(gt_committed("g", t, 0), 1);
    /* c1's pending poll (a2) can no longer move the reset position */
    gt_ok(GJ_COMMIT, c1, P.poll_seq, 1301);
    ck_assert_uint_eq(gt_committed("g", t, 0), 1);
    /* exactly one of the two owns the single partition and reads from a0 */
    size_t n1 = gt_poll(c1, 100, 1400, &P), n2 = gt_poll(j.cid, 100, 1400, &Q);
    ck_assert_uint_eq(n1 + n2, 4);
    ck_assert_str_eq((n1 ? P.ev[0] : Q.ev[0]).key, "a0");
}
END_TEST

/* ===================================================================== */
/* commits                                                               */
/* ===================================================================== */

START_TEST(manual_commit_and_reset)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 10, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    ck_assert_uint_eq(gt_poll(c, 4, 1200, &P), 4);
    ck_assert_int_eq(P.remaining, 6);
    ck_assert_uint_eq(gt_poll(c, 4, 1201, &P), 4);
    ck_assert_int_eq(P.remaining, 2);
    /* nothing committed in manual mode: reset redelivers from a0 */
    ck_assert_uint_eq(gt_committed("g", t, 0), 1);
    gt_ok(GJ_RESET, c, 0, 1202);
    ck_assert_uint_eq(gt_poll(c, 3, 1203, &P), 3);
    ck_assert_str_eq(P.ev[0].key, "a0");
    ck_assert_int_eq(P.remaining, 7);
    gt_ok(GJ_COMMIT, c, P.poll_seq, 1204);
    ck_assert_uint_eq(gt_committed("g", t, 0), 4);
    ck_assert_uint_eq(gt_poll(c, 100, 1205, &P), 7);
    gt_ok(GJ_RESET, c, 0, 1206);
    ck_assert_uint_eq(gt_poll(c, 100, 1207, &P), 7);
    ck_assert_str_eq(P.ev[0].key, "a3");
}
END_TEST

/* Java autoCommitTest: poll one at a time, reset: only the last poll's event
 * comes again (every earlier poll was committed by the next poll). */
START_TEST(automatic_commit_commits_the_previous_poll)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 10, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, false, 1100);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(gt_poll(c, 1, 1200 + i, &P), 1);
    ck_assert_uint_eq(gt_committed("g", t, 0), 10);   /* a0..a8 committed */
    gt_ok(GJ_RESET, c, 0, 1300);
    ck_assert_uint_eq(gt_poll(c, 10, 1301, &P), 1);
    ck_assert_str_eq(P.ev[0].key, "a9");
    /* close commits the last poll */
    gt_ok(GJ_CLOSE, c, 0, 1302);
    ck_assert_uint_eq(gt_committed("g", t, 0), 11);
}
END_TEST

START_TEST(heartbeat_reads_nothing_and_keeps_the_poll_number)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 3, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    ck_assert_uint_eq(gt_poll(c, 0, 1200, &P), 0);
    ck_assert_uint_eq(P.poll_seq, 0);
    ck_assert_int_eq(P.remaining, 3);
    consumer_info_t ci;
    ck_assert_int_eq(gt_get(c, TENANT, &ci, NULL), CS_OK);
    ck_assert_int_eq(ci.last_poll_ms, 1200);
    ck_assert_uint_eq(gt_poll(c, 2, 1300, &P), 2);
    ck_assert_uint_eq(P.poll_seq, 1);
    ck_assert_uint_eq(gt_poll(c, 0, 1400, &P), 0);
    ck_assert_uint_eq(P.poll_seq, 1);
    ck_assert_int_eq(P.remaining, 1);

    /* automatic mode: a heartbeat does not commit the bundle being processed */
    uint64_t a = gt_create1("auto", t, GROUP_START_EARLIEST, false, 1500);
    ck_assert_uint_eq(gt_poll(a, 2, 1600, &P), 2);
    ck_assert_uint_eq(gt_poll(a, 0, 1700, &P), 0);
    ck_assert_uint_eq(gt_committed("auto", t, 0), 1);
    gt_ok(GJ_RESET, a, 0, 1800);
    ck_assert_uint_eq(gt_poll(a, 2, 1900, &P), 2);
    ck_assert_str_eq(P.ev[0].key, "a0");
}
END_TEST

START_TEST(commit_of_an_older_poll_after_a_newer_one_is_a_noop)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 6, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    gt_poll(c, 2, 1200, &P);
    uint64_t first = P.poll_seq;
    gt_poll(c, 2, 1201, &P);
    uint64_t second = P.poll_seq;
    ck_assert_uint_gt(second, first);
    gt_ok(GJ_COMMIT, c, second, 1202);
    ck_assert_uint_eq(gt_committed("g", t, 0), 5);
    gt_ok(GJ_COMMIT, c, first, 1203);
    ck_assert_uint_eq(gt_committed("g", t, 0), 5);
    /* committing the first bundle alone moves only to its end */
    gt_ok(GJ_RESET, c, 0, 1204);
    gt_poll(c, 2, 1205, &P);           /* a4 a5 */
    ck_assert_str_eq(P.ev[0].key, "a4");
    gt_ok(GJ_COMMIT, c, P.poll_seq + 100, 1206);   /* clamped to the latest */
    ck_assert_uint_eq(gt_committed("g", t, 0), 7);
}
END_TEST

START_TEST(commit_never_moves_backwards)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 6, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    gt_poll(c, 4, 1200, &P);
    uint64_t far = P.poll_seq;
    gt_ok(GJ_RESET, c, 0, 1201);        /* delivered back to 1, poll dropped */
    gt_poll(c, 1, 1202, &P);            /* a0 again */
    gt_ok(GJ_COMMIT, c, P.poll_seq, 1203);
    ck_assert_uint_eq(gt_committed("g", t, 0), 2);
    gt_poll(c, 4, 1204, &P);            /* a1..a4 */
    gt_ok(GJ_COMMIT, c, P.poll_seq, 1205);
    ck_assert_uint_eq(gt_committed("g", t, 0), 6);
    /* the far poll's record is gone (reset), and an older poll never
     * lowers the position */
    gt_ok(GJ_COMMIT, c, far, 1206);
    ck_assert_uint_eq(gt_committed("g", t, 0), 6);
}
END_TEST

/* ===================================================================== */
/* groups and tables                                                     */
/* ===================================================================== */

START_TEST(two_groups_read_one_table_independently)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 2);
    put_n(t, "a", 0, 3, 1000);
    put_n(t, "b", 0, 3, 1000);
    uint64_t c1 = gt_create1("g1", t, GROUP_START_EARLIEST, true, 1100);
    uint64_t c2 = gt_create1("g2", t, GROUP_START_EARLIEST, true, 1100);
    ck_assert_uint_eq(gt_poll(c1, 100, 1200, &P), 6);
    gt_ok(GJ_COMMIT, c1, P.poll_seq, 1201);
    ck_assert_uint_eq(gt_poll(c2, 4, 1202, &Q), 4);
    gt_ok(GJ_RESET, c2, 0, 1203);
    ck_assert_uint_eq(gt_poll(c2, 100, 1204, &Q), 6);
    ck_assert_uint_eq(gt_poll(c1, 100, 1205, &P), 0);
}
END_TEST

START_TEST(multiple_tables_one_table_per_poll)
{
    uint64_t t1 = tu_table(tu_s, TENANT, "orders", true, 3);
    uint64_t t2 = tu_table(tu_s, TENANT, "items", true, 2);
    const char *keys[] = { "a1", "x1", "b1", "y1", "c1", "a2", "z1", "b2" };
    for (int i = 0; i < 8; i++)
        gt_put_at(i % 2 ? t2 : t1, keys[i], "v", 1000 + i);
    group_table_spec_t s[2] = { gt_spec(t1, GROUP_START_EARLIEST, 0),
                                gt_spec(t2, GROUP_START_EARLIEST, 0) };
    uint64_t c = gt_create("g", s, 2, true, 0, 2000);
    /* the first poll reads the table with the oldest event, in commit order */
    ck_assert_uint_eq(gt_poll(c, 100, 2001, &P), 4);
    const char *t1_keys[] = { "a1", "b1", "c1", "z1" };
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(P.ev[i].key, t1_keys[i]);
        ck_assert_uint_eq(P.ev[i].table_id, t1);
        if (i)
            ck_assert_uint_gt(P.ev[i].version, P.ev[i - 1].version);
    }
    ck_assert_int_eq(P.remaining, 4);
    /* the next one the other table, nothing lost */
    ck_assert_uint_eq(gt_poll(c, 100, 2002, &P), 4);
    const char *t2_keys[] = { "x1", "y1", "a2", "b2" };
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(P.ev[i].key, t2_keys[i]);
        ck_assert_uint_eq(P.ev[i].table_id, t2);
    }
    ck_assert_int_eq(P.remaining, 0);
    /* a limit cuts within the table */
    gt_ok(GJ_RESET, c, 0, 2003);
    ck_assert_uint_eq(gt_poll(c, 3, 2004, &P), 3);
    ck_assert_str_eq(P.ev[2].key, "c1");
    ck_assert_int_eq(P.remaining, 5);
}
END_TEST

START_TEST(update_adds_and_removes_tables)
{
    uint64_t t1 = tu_table(tu_s, TENANT, "t1", true, 1);
    uint64_t t2 = tu_table(tu_s, TENANT, "t2", true, 1);
    uint64_t t3 = tu_table(tu_s, TENANT, "t3", true, 1);
    put_n(t2, "a", 0, 2, 900);           /* before t2 is added */
    uint64_t c = gt_create1("g", t1, GROUP_START_EARLIEST, true, 1000);
    put_n(t1, "a", 0, 1, 1100);
    ck_assert_uint_eq(gt_poll(c, 100, 1200, &P), 1);

    cs_error_t e;
    group_table_spec_t add2 = gt_spec(t2, GROUP_START_LATEST, 0);
    ck_assert_int_eq(gt_update(c, &add2, 1, NULL, 1300, &e), CS_OK);
    put_n(t2, "b", 0, 1, 1400);
    ck_assert_uint_eq(gt_poll(c, 100, 1500, &P), 1);
    ck_assert_str_eq(P.ev[0].key, "b0");
    ck_assert_uint_eq(P.ev[0].table_id, t2);

    /* adding t2 again (with EARLIEST) is a no-op: the position stays */
    group_table_spec_t again = gt_spec(t2, GROUP_START_EARLIEST, 0);
    ck_assert_int_eq(gt_update(c, &again, 1, NULL, 1600, &e), CS_OK);
    ck_assert_uint_eq(gt_poll(c, 100, 1601, &P), 0);

    /* remove t2, add t3: one UPDATE */
    group_table_spec_t both[2] = { gt_spec(t2, GROUP_START_FIRST_UNCOMMITTED, 0),
                                   gt_spec(t3, GROUP_START_EARLIEST, 0) };
    bool rm[2] = { true, false };
    ck_assert_int_eq(gt_update(c, both, 2, rm, 1700, &e), CS_OK);
    put_n(t2, "c", 0, 1, 1800);
    put_n(t3, "d", 0, 1, 1800);
    ck_assert_uint_eq(gt_poll(c, 100, 1900, &P), 1);
    ck_assert_str_eq(P.ev[0].key, "d0");
    /* removing a table that is not in the group: no-op */
    ck_assert_int_eq(gt_update(c, both, 1, rm, 2000, &e), CS_OK);

    group_view_t v;
    gt_view("g", 2000, &v);
    ck_assert_uint_eq(v.n_tables, 2);
    ck_assert_uint_eq(v.tables[0].table_id, t1);
    ck_assert_uint_eq(v.tables[1].table_id, t3);
    group_view_free(&v);
}
END_TEST

START_TEST(create_replaces_the_table_set)
{
    uint64_t t1 = tu_table(tu_s, TENANT, "t1", true, 1);
    uint64_t t2 = tu_table(tu_s, TENANT, "t2", true, 1);
    group_table_spec_t s[2] = { gt_spec(t1, GROUP_START_EARLIEST, 0),
                                gt_spec(t2, GROUP_START_EARLIEST, 0) };
    uint64_t c1 = gt_create("g", s, 2, true, 0, 1000);
    /* a second consumer listing only t2: t1 leaves the group, for c1 too */
    uint64_t c2 = gt_create("g", &s[1], 1, true, 0, 1100);
    put_n(t1, "a", 0, 3, 1200);
    put_n(t2, "b", 0, 1, 1200);
    size_t n = gt_poll(c1, 100, 1300, &P) + gt_poll(c2, 100, 1300, &Q);
    ck_assert_uint_eq(n, 1);
    ck_assert(gt_has(&P, "b0", NULL) || gt_has(&Q, "b0", NULL));
    group_view_t v;
    gt_view("g", 1300, &v);
    ck_assert_uint_eq(v.n_tables, 1);
    ck_assert_uint_eq(v.n_parts, 1);
    group_view_free(&v);
}
END_TEST

START_TEST(dropped_table_is_skipped_and_leaves_the_group)
{
    uint64_t t1 = tu_table(tu_s, TENANT, "t1", true, 2);
    uint64_t t2 = tu_table(tu_s, TENANT, "t2", true, 2);
    put_n(t1, "a", 0, 2, 1000);
    put_n(t2, "b", 0, 2, 1000);
    group_table_spec_t s[2] = { gt_spec(t1, GROUP_START_EARLIEST, 0),
                                gt_spec(t2, GROUP_START_EARLIEST, 0) };
    uint64_t c = gt_create("g", s, 2, true, 0, 1100);
    gt_drop_table(t2);
    ck_assert_uint_eq(gt_poll(c, 100, 1200, &P), 2);
    ck_assert(gt_has(&P, "a0", NULL) && gt_has(&P, "a1", NULL));
    group_view_t v;
    gt_view("g", 1200, &v);
    ck_assert_uint_eq(v.n_tables, 1);
    ck_assert_uint_eq(v.tables[0].table_id, t1);
    ck_assert_uint_eq(v.n_parts, 2);
    group_view_free(&v);
}
END_TEST

START_TEST(purged_events_are_skipped)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 3, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    put_n(t, "a", 3, 5, 2000);
    gt_purge(1500);    /* a0..a2 are gone before the consumer read them */
    ck_assert_uint_eq(gt_poll(c, 100, 2100, &P), 2);
    ck_assert_str_eq(P.ev[0].key, "a3");
    ck_assert_uint_eq(P.ev[0].seq, 4);
    ck_assert_int_eq(P.remaining, 0);
    gt_ok(GJ_COMMIT, c, P.poll_seq, 2200);
    ck_assert_uint_eq(gt_committed("g", t, 0), 6);
}
END_TEST

START_TEST(fully_purged_partition_jumps_to_its_end)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 3, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    gt_purge(1500);    /* nothing of the partition is retained */
    ck_assert_uint_eq(gt_poll(c, 100, 1600, &P), 0);
    ck_assert_int_eq(P.remaining, 0);
    put_n(t, "a", 3, 5, 2000);
    ck_assert_uint_eq(gt_poll(c, 100, 2100, &P), 2);
    ck_assert_str_eq(P.ev[0].key, "a3");
    ck_assert_uint_eq(P.ev[0].seq, 4);
    ck_assert_uint_eq(P.ev[1].seq, 5);
    ck_assert_int_eq(P.remaining, 0);
    gt_ok(GJ_COMMIT, c, P.poll_seq, 2200);
    ck_assert_uint_eq(gt_committed("g", t, 0), 6);
}
END_TEST

START_TEST(remaining_counts_only_own_partitions)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 4);
    const char *shards = "abcdefgh";
    for (int i = 0; i < 8; i++) {
        char k[8];
        for (int r = 0; r < 5; r++) {
            snprintf(k, sizeof k, "%c%d", shards[i], r);
            gt_put_at(t, k, "v", 1000);
        }
    }
    uint64_t c1 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    uint64_t c2 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    gt_poll(c1, 0, 1200, &P);
    gt_poll(c2, 0, 1200, &Q);
    ck_assert_int_eq(P.remaining + Q.remaining, 40);
    int64_t before = P.remaining;
    size_t got = gt_poll(c1, 7, 1300, &P);
    ck_assert_int_eq(P.remaining, before - (int64_t)got);
}
END_TEST

START_TEST(emit_refusal_ends_the_poll_without_losing_the_event)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 5, 1000);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    P.stop_at = 2;
    ck_assert_uint_eq(gt_poll(c, 100, 1200, &P), 2);
    ck_assert_int_eq(P.remaining, 3);
    P.stop_at = 0;
    ck_assert_uint_eq(gt_poll(c, 100, 1201, &P), 3);
    ck_assert_str_eq(P.ev[0].key, "a2");
}
END_TEST

START_TEST(delete_events_are_delivered)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    uint64_t c = gt_create1("g", t, GROUP_START_LATEST, true, 900);
    clock_set_ms(1000);
    ck_assert_int_eq(tu_put(tu_s, t, "a1", "jane", NULL), CS_OK);
    ck_assert_int_eq(tu_del(tu_s, t, "a1", ROWS_ALWAYS, 0, NULL), CS_OK);
    ck_assert_uint_eq(gt_poll(c, 100, 1100, &P), 2);
    ck_assert_int_eq(P.ev[0].kind, CHANGELOG_PUT);
    ck_assert_int_eq(P.ev[1].kind, CHANGELOG_DELETE);
    ck_assert_str_eq(P.ev[1].key, "a1");
}
END_TEST

/* ===================================================================== */
/* limits and errors                                                     */
/* ===================================================================== */

static cs_err_t create_rc(const char *tenant, const char *group, const group_table_spec_t *s,
                          size_t n, cs_error_t *e)
{
    gjob_t j = { .op = GJ_CREATE, .tenant = tenant, .compartment = "", .group_id = group,
                 .specs = s, .n = n, .now_ms = 1000 };
    return gt_run(&j, e);
}

START_TEST(create_validates_tables_before_writing)
{
    uint64_t ok = tu_table(tu_s, TENANT, "ok", true, 1);
    uint64_t off = tu_table(tu_s, TENANT, "Plain", false, 0);
    uint64_t other = tu_table(tu_s, "globex", "theirs", true, 1);
    cs_error_t e;
    group_table_spec_t s[2] = { gt_spec(ok, GROUP_START_EARLIEST, 0),
                                gt_spec(off, GROUP_START_EARLIEST, 0) };
    ck_assert_int_eq(create_rc(TENANT, "g", s, 2, &e), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Plain"));
    ck_assert_ptr_nonnull(strstr(e.msg, "not enabled"));

    s[1] = gt_spec(other, GROUP_START_EARLIEST, 0);
    ck_assert_int_eq(create_rc(TENANT, "g", s, 2, &e), CS_ENOTABLE);
    ck_assert_ptr_nonnull(strstr(e.msg, "ocid1.nosqltable."));

    s[1] = gt_spec(999999, GROUP_START_EARLIEST, 0);
    ck_assert_int_eq(create_rc(TENANT, "g", s, 2, &e), CS_ENOTABLE);

    s[1] = gt_spec(ok, (group_start_t)9, 0);
    ck_assert_int_eq(create_rc(TENANT, "g", &s[1], 1, &e), CS_EINVAL);
    ck_assert_int_eq(create_rc(TENANT, "g", s, 0, &e), CS_EINVAL);
    ck_assert_int_eq(create_rc(TENANT, "", s, 1, &e), CS_EINVAL);
    char longid[GROUPS_ID_MAX + 2];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    ck_assert_int_eq(create_rc(TENANT, longid, s, 1, &e), CS_EINVAL);

    /* nothing was written: the group does not exist */
    store_txn_t t;
    group_view_t v;
    tu_begin(&t);
    ck_assert_int_eq(group_view_get(&t, TENANT, "", "g", 0, &v, &e), CS_ENOTFOUND);
    group_summary_t *list;
    size_t n;
    ck_assert_int_eq(groups_list(&t, TENANT, &list, &n, &e), CS_OK);
    ck_assert_uint_eq(n, 0);
    free(list);
    tu_end(&t);
}
END_TEST

START_TEST(update_validates_added_tables)
{
    uint64_t ok = tu_table(tu_s, TENANT, "ok", true, 1);
    uint64_t off = tu_table(tu_s, TENANT, "Plain", false, 0);
    uint64_t c = gt_create1("g", ok, GROUP_START_EARLIEST, true, 1000);
    cs_error_t e;
    group_table_spec_t s = gt_spec(off, GROUP_START_EARLIEST, 0);
    ck_assert_int_eq(gt_update(c, &s, 1, NULL, 1100, &e), CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "Plain"));
    /* removing a table unknown to the group is fine even if it is bogus */
    bool rm = true;
    s = gt_spec(424242, GROUP_START_EARLIEST, 0);
    ck_assert_int_eq(gt_update(c, &s, 1, &rm, 1100, &e), CS_OK);
}
END_TEST

START_TEST(consumers_are_tenant_scoped)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1000);
    consumer_info_t ci;
    cs_error_t e;
    ck_assert_int_eq(gt_get(c, "globex", &ci, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, "Invalid or unknown consumer cursor");
    ck_assert_int_eq(gt_get(c + 1000, TENANT, &ci, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, "Invalid or unknown consumer cursor");
    gjob_t j = { .op = GJ_POLL, .tenant = "globex", .cid = c, .limit = 10, .now_ms = 1100,
                 .poll = &P };
    ck_assert_int_eq(gt_run(&j, &e), CS_ENOTFOUND);
    ck_assert_int_eq(gt_get(c, TENANT, &ci, &e), CS_OK);
    ck_assert_str_eq(ci.group_id, "g");
    ck_assert(ci.manual);
    ck_assert_int_eq(ci.max_poll_ms, GROUPS_DEFAULT_MAX_POLL_MS);
    ck_assert_int_eq(ci.state, CONSUMER_ACTIVE);
}
END_TEST

START_TEST(closed_consumer_errors)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    uint64_t c = gt_create1("g", t, GROUP_START_EARLIEST, true, 1000);
    gt_ok(GJ_CLOSE, c, 0, 1100);
    cs_error_t e;
    char want[64];
    snprintf(want, sizeof want, "Consumer %llu has been closed", (unsigned long long)c);
    ck_assert_int_eq(gt_poll_rc(c, 10, 1200, &P, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, want);
    ck_assert_int_eq(gt_simple(GJ_CLOSE, c, 0, 1200, &e), CS_ENOTFOUND);
    ck_assert_str_eq(e.msg, want);
    ck_assert_int_eq(gt_simple(GJ_COMMIT, c, 1, 1200, &e), CS_ENOTFOUND);
    ck_assert_int_eq(gt_simple(GJ_RESET, c, 0, 1200, &e), CS_ENOTFOUND);
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    ck_assert_int_eq(gt_update(c, &s, 1, NULL, 1200, &e), CS_ENOTFOUND);
}
END_TEST

START_TEST(group_keyed_by_compartment)
{
    uint64_t t = tu_table(tu_s, TENANT, "users", true, 1);
    put_n(t, "a", 0, 2, 1000);
    group_table_spec_t s = gt_spec(t, GROUP_START_EARLIEST, 0);
    gjob_t j = { .op = GJ_CREATE, .compartment = "ocid1.compartment.x", .group_id = "g",
                 .specs = &s, .n = 1, .manual = true, .now_ms = 1100 };
    cs_error_t e;
    ck_assert_int_eq(gt_run(&j, &e), CS_OK);
    uint64_t c2 = gt_create1("g", t, GROUP_START_EARLIEST, true, 1100);
    /* separate groups: each gets everything */
    ck_assert_uint_eq(gt_poll(j.cid, 100, 1200, &P), 2);
    ck_assert_uint_eq(gt_poll(c2, 100, 1200, &Q), 2);
    store_txn_t t2;
    group_summary_t *list;
    size_t n;
    tu_begin(&t2);
    ck_assert_int_eq(groups_list(&t2, TENANT, &list, &n, &e), CS_OK);
    tu_end(&t2);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0].compartment, "");
    ck_assert_str_eq(list[1].compartment, "ocid1.compartment.x");
    ck_assert_uint_eq(list[0].n_members, 1);
    ck_assert_uint_eq(list[1].n_tables, 1);
    free(list);
}
END_TEST

static Suite *groups_suite(void)
{
    Suite *s = suite_create("groups");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_test(core, earliest_reads_existing_events_in_order);
    tcase_add_test(core, latest_reads_only_events_after_creation);
    tcase_add_test(core, at_time_starts_at_first_event_at_or_after);
    tcase_add_test(core, first_uncommitted_on_a_new_group_is_earliest);
    tcase_add_test(core, first_uncommitted_resumes_at_the_group_position);
    tcase_add_test(core, force_reset_applies_the_start_again);
    tcase_add_test(core, manual_commit_and_reset);
    tcase_add_test(core, automatic_commit_commits_the_previous_poll);
    tcase_add_test(core, heartbeat_reads_nothing_and_keeps_the_poll_number);
    tcase_add_test(core, commit_of_an_older_poll_after_a_newer_one_is_a_noop);
    tcase_add_test(core, commit_never_moves_backwards);
    tcase_add_test(core, two_groups_read_one_table_independently);
    tcase_add_test(core, multiple_tables_one_table_per_poll);
    tcase_add_test(core, update_adds_and_removes_tables);
    tcase_add_test(core, create_replaces_the_table_set);
    tcase_add_test(core, dropped_table_is_skipped_and_leaves_the_group);
    tcase_add_test(core, purged_events_are_skipped);
    tcase_add_test(core, fully_purged_partition_jumps_to_its_end);
    tcase_add_test(core, remaining_counts_only_own_partitions);
    tcase_add_test(core, emit_refusal_ends_the_poll_without_losing_the_event);
    tcase_add_test(core, delete_events_are_delivered);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Limits");
    tu_add_fixtures(lim);
    tcase_add_test(lim, create_validates_tables_before_writing);
    tcase_add_test(lim, update_validates_added_tables);
    tcase_add_test(lim, consumers_are_tenant_scoped);
    tcase_add_test(lim, closed_consumer_errors);
    tcase_add_test(lim, group_keyed_by_compartment);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(groups_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
