/*
 * check_stream_groups.c - consumer groups that share work (issue 5),
 * through the reference client against a real csemu.
 *
 * What a user of the group observes: N consumers of one group over M
 * partitions get disjoint, complete coverage of the events; the admin view
 * (GET /admin/groups/<id>) shows every partition owned once, sizes within
 * one; a consumer that stops polling loses its partitions after its max
 * poll interval (the server clock is moved, never slept) and another
 * consumer gets its uncommitted events, while a consumer that only
 * heartbeats (poll limit 0) keeps its own; its next call fails with code 14
 * telling it to create a new consumer; closing and joining move as little
 * as possible; per-key order holds across rebalances; add_table and
 * remove_table on one consumer change what every consumer gets; a commit
 * for partitions the consumer lost does not move them and a cursor from
 * before a rebalance keeps working; events_remaining counts only the
 * consumer's own partitions.
 *
 * Every test starts its own server (--test-clock, --partitions as needed)
 * and freezes the server clock at T0, so liveness is decided only by the
 * clock moves the test makes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "group_view.h"
#include "stream_env.h"

#define T1_DDL "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id))"
#define T2_DDL "CREATE TABLE t2(id INTEGER, name STRING, PRIMARY KEY(id))"
#define KV_DDL "CREATE TABLE kv(id INTEGER, v INTEGER, PRIMARY KEY(id))"
#define T0 1800000000000LL  /* a fixed server time (2027-01-15T08:00:00Z) */
#define GROUP "g"
#define MAX_MEMBERS 8

static senv_t env;

static const csc_start_location_t EARLIEST = { CSC_START_EARLIEST, 0 };

static void start(int partitions)
{
    static char arg[32];
    snprintf(arg, sizeof arg, "%d", partitions);
    const char *extra[] = { "--partitions", arg, NULL };
    senv_start(&env, extra);
    senv_clock_set(&env, T0);
}

static void teardown(void) { senv_cleanup(&env); }

/* ------------------------------------------------------------------------
 * helpers: views, members, draining
 * ------------------------------------------------------------------------ */

/* The group's admin view; asserts it is there and follows the rules. */
static void view(gview_t *v)
{
    cs_error_t err;
    char why[4096];
    ck_assert_msg(gview_fetch(env.srv.endpoint, SENV_TENANT, GROUP, v, &err) == CS_OK,
                  "GET /admin/groups/" GROUP ": %s", err.msg);
    ck_assert_msg(gview_check_assignment(v, why, sizeof why), "assignment rule broken: %s", why);
}

static void view_or_none(gview_t *v)
{
    cs_error_t err;
    cs_err_t rc = gview_fetch(env.srv.endpoint, SENV_TENANT, GROUP, v, &err);
    ck_assert_msg(rc == CS_OK || rc == CS_ENOTFOUND, "GET /admin/groups/" GROUP ": %s", err.msg);
}

typedef struct member {
    const char *name;        /* "A", "B", ... for messages */
    csc_consumer_t *c;
    uint64_t cid;            /* from the admin view: the member that appeared */
    senv_recs_t recs;        /* everything it received */
    bool manual;
} member_t;

/* Build a consumer of GROUP on tables[0..n) and learn its consumer id
 * from the view (the one new member). max_poll_ms 0 = server default. */
static void join_tables(member_t *m, const char *name, const senv_table_t *tables, size_t n,
                        bool manual, int64_t max_poll_ms)
{
    gview_t before, after;
    csc_error_t err;
    memset(m, 0, sizeof *m);
    m->name = name;
    m->manual = manual;
    view_or_none(&before);
    SENV_OK(senv_try_consumer(env.h, GROUP, tables, n, manual, max_poll_ms, &m->c, &err), &err);
    view(&after);
    m->cid = gview_new_member(&before, &after);
    ck_assert_msg(m->cid != 0, "consumer %s: no single new member in the group view", name);
    gview_free(&before);
    gview_free(&after);
}

static void join(member_t *m, const char *name, const char *table, bool manual,
                 int64_t max_poll_ms)
{
    senv_table_t t = { table, EARLIEST };
    join_tables(m, name, &t, 1, manual, max_poll_ms);
}

static void leave(member_t *m)
{
    csc_error_t err;
    if (m->c) {
        SENV_OK(csc_consumer_close(m->c, &err), &err);
        csc_consumer_free(m->c);
        m->c = NULL;
    }
}

static void member_free(member_t *m)
{
    csc_consumer_free(m->c);
    m->c = NULL;
    senv_recs_free(&m->recs);
}

/* Poll (limit per call, no waiting) until a poll returns nothing; manual
 * members commit every bundle when commit is set. Appends to m->recs and
 * returns the number of records received. */
static size_t drain(member_t *m, int limit, bool commit)
{
    size_t got = 0;
    for (;;) {
        csc_bundle_t b;
        csc_error_t err;
        SENV_OK(csc_consumer_poll(m->c, limit, 0, &b, &err), &err);
        size_t n = csc_bundle_num_records(&b);
        senv_recs_add_bundle(&m->recs, &b);
        if (n && commit && m->manual)
            SENV_OK(csc_bundle_commit(&b, 0, &err), &err);
        csc_bundle_free(&b);
        if (!n)
            return got;
        got += n;
    }
}

/* Every record of m from index `from` on comes from a partition m owns in v. */
static void expect_owned(const member_t *m, size_t from, const gview_t *v)
{
    char buf[2048];
    for (size_t i = from; i < m->recs.n; i++) {
        const senv_rec_t *r = &m->recs.v[i];
        uint64_t owner = gview_owner(v, r->table, r->partition);
        ck_assert_msg(owner == m->cid,
                      "consumer %s (%llu) got %s id %d from partition %d owned by %llu; %s",
                      m->name, (unsigned long long)m->cid, r->table, r->id, r->partition,
                      (unsigned long long)owner, gview_describe(v, buf, sizeof buf));
    }
}

/* Over members[0..n), records from index from[i] on (from NULL = 0): table
 * ids first..last each arrived exactly once, and nothing else of table. */
static void expect_exactly_once(member_t *const *ms, size_t n, const size_t *from,
                                const char *table, int first, int last)
{
    int span = last - first + 1;
    int *count = calloc((size_t)span, sizeof *count);
    ck_assert_ptr_nonnull(count);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = from ? from[i] : 0; k < ms[i]->recs.n; k++) {
            const senv_rec_t *r = &ms[i]->recs.v[k];
            if (strcmp(r->table, table) != 0)
                continue;
            ck_assert_msg(r->id >= first && r->id <= last,
                          "consumer %s got unexpected %s id %d (expected %d..%d)", ms[i]->name,
                          table, r->id, first, last);
            count[r->id - first]++;
        }
    }
    for (int id = first; id <= last; id++)
        ck_assert_msg(count[id - first] == 1, "%s id %d delivered %d times to the group", table,
                      id, count[id - first]);
    free(count);
}

/* ------------------------------------------------------------------------
 * 1. disjoint, complete coverage; balanced assignment
 * ------------------------------------------------------------------------ */

typedef struct coverage_case {
    int consumers, partitions, tables;
} coverage_case_t;

static const coverage_case_t coverage_cases[] = {
    { 2, 4, 1 }, { 3, 4, 1 }, { 5, 4, 1 }, { 2, 16, 1 }, { 3, 16, 1 }, { 5, 16, 1 }, { 3, 4, 2 },
};
#define N_COVERAGE (int)(sizeof coverage_cases / sizeof coverage_cases[0])
#define COVERAGE_ROWS 60

START_TEST(test_coverage)
{
    const coverage_case_t *cc = &coverage_cases[_i];
    static const char *const names[] = { "A", "B", "C", "D", "E" };
    member_t ms[5];
    member_t *mp[5];
    gview_t v;
    start(cc->partitions);
    senv_create_streamed(env.h, T1_DDL, "t1");
    if (cc->tables > 1)
        senv_create_streamed(env.h, T2_DDL, "t2");
    senv_table_t tables[2] = { { "t1", EARLIEST }, { "t2", EARLIEST } };
    for (int i = 0; i < cc->consumers; i++) {
        join_tables(&ms[i], names[i], tables, (size_t)cc->tables, false, 0);
        mp[i] = &ms[i];
    }
    view(&v);
    ck_assert_uint_eq(v.n_members, (size_t)cc->consumers);
    ck_assert_uint_eq(v.n_parts, (size_t)(cc->partitions * cc->tables));
    size_t units = v.n_parts, q = units / (size_t)cc->consumers;
    for (int i = 0; i < cc->consumers; i++) {
        size_t n = gview_count(&v, ms[i].cid);
        ck_assert_msg(n == q || n == q + 1, "consumer %s owns %zu of %zu partitions (%d members)",
                      names[i], n, units, cc->consumers);
    }

    senv_put_range(env.h, "t1", 1, COVERAGE_ROWS, "a");
    if (cc->tables > 1)
        senv_put_range(env.h, "t2", 1, COVERAGE_ROWS, "b");
    for (int i = 0; i < cc->consumers; i++) {
        drain(&ms[i], 7, false);
        expect_owned(&ms[i], 0, &v);
    }
    expect_exactly_once(mp, (size_t)cc->consumers, NULL, "t1", 1, COVERAGE_ROWS);
    if (cc->tables > 1)
        expect_exactly_once(mp, (size_t)cc->consumers, NULL, "t2", 1, COVERAGE_ROWS);
    /* nobody has anything left, and the assignment did not change */
    for (int i = 0; i < cc->consumers; i++) {
        int64_t remaining = -1;
        ck_assert_uint_eq(senv_poll_once(ms[i].c, 100, 0, NULL, &remaining), 0);
        ck_assert_int_eq(remaining, 0);
    }
    gview_t after;
    view(&after);
    ck_assert_uint_eq(gview_moved(&v, &after), 0);
    for (int i = 0; i < cc->consumers; i++) {
        leave(&ms[i]);
        member_free(&ms[i]);
    }
    gview_free(&v);
    gview_free(&after);
}
END_TEST

/* ------------------------------------------------------------------------
 * 2. liveness: silent consumers lose their partitions; heartbeats count
 * ------------------------------------------------------------------------ */

#define LIVE_MAX_POLL 5000
#define LIVE_ROWS 40

START_TEST(test_silent_consumer_expires)
{
    member_t a, b, c;
    gview_t v1, v2;
    csc_error_t err;
    char buf[2048];
    start(8);
    senv_create_streamed(env.h, T1_DDL, "t1");
    join(&a, "A", "t1", true, LIVE_MAX_POLL);
    join(&b, "B", "t1", true, LIVE_MAX_POLL);
    join(&c, "C", "t1", true, LIVE_MAX_POLL);
    senv_put_range(env.h, "t1", 1, LIVE_ROWS, "v");
    drain(&a, 100, true);
    drain(&b, 100, true);
    drain(&c, 100, false);           /* C polls but never commits */
    member_t *all[] = { &a, &b, &c };
    expect_exactly_once(all, 3, NULL, "t1", 1, LIVE_ROWS);
    ck_assert_msg(c.recs.n > 0, "C owns partitions without events: pick other ids");
    view(&v1);

    /* A and B only heartbeat (limit 0) for 5 rounds of 2.5 s: 12.5 s in
     * all, past their 5 s interval, and they stay; C stops at T0 */
    for (int round = 1; round <= 5; round++) {
        senv_clock_advance(&env, LIVE_MAX_POLL / 2);
        int64_t remaining = -1;
        ck_assert_uint_eq(senv_poll_once(a.c, 0, 0, NULL, &remaining), 0);
        ck_assert_uint_eq(senv_poll_once(b.c, 0, 0, NULL, &remaining), 0);
    }
    view(&v2);
    ck_assert_msg(v2.n_members == 2 && gview_member(&v2, a.cid) && gview_member(&v2, b.cid),
                  "after 12.5 s, members should be A (%llu) and B (%llu): %s",
                  (unsigned long long)a.cid, (unsigned long long)b.cid,
                  gview_describe(&v2, buf, sizeof buf));
    ck_assert_msg(gview_owned_subset(&v1, &v2, a.cid) && gview_owned_subset(&v1, &v2, b.cid),
                  "a heartbeating consumer lost partitions: before %s",
                  gview_describe(&v1, buf, sizeof buf));
    ck_assert_uint_eq(gview_count(&v2, a.cid) + gview_count(&v2, b.cid), 8);

    /* C's uncommitted events go to the consumers now owning its partitions */
    size_t a0 = a.recs.n, b0 = b.recs.n;
    drain(&a, 100, true);
    drain(&b, 100, true);
    expect_owned(&a, a0, &v2);
    expect_owned(&b, b0, &v2);
    ck_assert_uint_eq((a.recs.n - a0) + (b.recs.n - b0), c.recs.n);
    for (size_t i = 0; i < c.recs.n; i++) {
        int id = c.recs.v[i].id;
        size_t again = 0;
        for (size_t k = a0; k < a.recs.n; k++)
            again += a.recs.v[k].id == id;
        for (size_t k = b0; k < b.recs.n; k++)
            again += b.recs.v[k].id == id;
        ck_assert_msg(again == 1, "C's uncommitted id %d redelivered %zu times", id, again);
    }

    /* C's next calls fail and tell it to create a new consumer */
    csc_bundle_t bundle;
    cs_err_t rc = csc_consumer_poll(c.c, 10, 0, &bundle, &err);
    csc_bundle_free(&bundle);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14,
                  "poll of an expired consumer: rc %d code %d \"%s\" (want code 14)", (int)rc,
                  err.proto_code, err.e.msg);
    ck_assert_msg(strcasestr(err.e.msg, "create a new consumer") &&
                      strcasestr(err.e.msg, "max poll interval"),
                  "expired consumer's error does not say what happened: \"%s\"", err.e.msg);
    rc = csc_consumer_commit(c.c, 0, &err);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14 &&
                      strcasestr(err.e.msg, "create a new consumer"),
                  "commit of an expired consumer: rc %d code %d \"%s\"", (int)rc, err.proto_code,
                  err.e.msg);
    rc = csc_consumer_poll(c.c, 0, 0, &bundle, &err);
    csc_bundle_free(&bundle);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14,
                  "heartbeat of an expired consumer: rc %d code %d \"%s\"", (int)rc,
                  err.proto_code, err.e.msg);

    /* a new consumer takes its place */
    member_t d;
    join(&d, "D", "t1", true, LIVE_MAX_POLL);
    senv_put_range(env.h, "t1", LIVE_ROWS + 1, 20, "w");
    gview_t v3;
    view(&v3);
    ck_assert_uint_eq(v3.n_members, 3);
    size_t a1 = a.recs.n, b1 = b.recs.n;
    drain(&a, 100, true);
    drain(&b, 100, true);
    drain(&d, 100, true);
    expect_owned(&a, a1, &v3);
    expect_owned(&b, b1, &v3);
    expect_owned(&d, 0, &v3);
    member_t *now[] = { &a, &b, &d };
    size_t from[] = { a1, b1, 0 };
    expect_exactly_once(now, 3, from, "t1", LIVE_ROWS + 1, LIVE_ROWS + 20);
    leave(&a);
    leave(&b);
    leave(&d);
    csc_consumer_close(c.c, &err);  /* idempotent for an expired one; result not asserted */
    member_free(&a);
    member_free(&b);
    member_free(&c);
    member_free(&d);
    gview_free(&v1);
    gview_free(&v2);
    gview_free(&v3);
}
END_TEST

/* The background pass alone expires a silent consumer (no other member
 * polls), within a few seconds of real time once the clock is past. */
START_TEST(test_silent_consumer_expired_in_background)
{
    member_t a, b;
    gview_t v;
    start(4);
    senv_create_streamed(env.h, T1_DDL, "t1");
    join(&a, "A", "t1", false, LIVE_MAX_POLL);
    join(&b, "B", "t1", false, LIVE_MAX_POLL * 4);
    senv_clock_advance(&env, LIVE_MAX_POLL + 1);
    bool gone = false;
    for (int i = 0; i < 60 && !gone; i++) {
        nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
        view(&v);
        gone = !gview_member(&v, a.cid);
        if (gone)
            ck_assert_uint_eq(gview_count(&v, b.cid), 4);
        gview_free(&v);
    }
    ck_assert_msg(gone, "silent consumer A still a member 6 s after its interval passed");
    csc_error_t err;
    csc_bundle_t bundle;
    cs_err_t rc = csc_consumer_poll(a.c, 10, 0, &bundle, &err);
    csc_bundle_free(&bundle);
    ck_assert_msg(rc != CS_OK && err.proto_code == 14 &&
                      strcasestr(err.e.msg, "create a new consumer"),
                  "poll of a consumer expired in the background: rc %d code %d \"%s\"", (int)rc,
                  err.proto_code, err.e.msg);
    leave(&b);
    member_free(&a);
    member_free(&b);
}
END_TEST

/* ------------------------------------------------------------------------
 * 3. close and join: sticky, minimal moves
 * ------------------------------------------------------------------------ */

START_TEST(test_close_and_join_are_sticky)
{
    member_t a, b, c, d;
    gview_t v1, v2, v3;
    char buf[2048];
    start(16);
    senv_create_streamed(env.h, T1_DDL, "t1");
    join(&a, "A", "t1", false, 0);
    join(&b, "B", "t1", false, 0);
    join(&c, "C", "t1", false, 0);
    view(&v1);
    size_t na = gview_count(&v1, a.cid), nb = gview_count(&v1, b.cid),
           nc = gview_count(&v1, c.cid);
    ck_assert_msg(na + nb + nc == 16 && na >= 5 && nb >= 5 && nc >= 5,
                  "3 consumers on 16 partitions: %zu, %zu, %zu", na, nb, nc);
    senv_put_range(env.h, "t1", 1, 40, "v");
    drain(&a, 10, false);
    drain(&b, 10, false);
    drain(&c, 10, false);
    member_t *abc[] = { &a, &b, &c };
    expect_exactly_once(abc, 3, NULL, "t1", 1, 40);

    /* C closes (automatic mode: its last poll is committed): A and B keep
     * what they had and share C's partitions, 8 and 8 */
    leave(&c);
    view(&v2);
    ck_assert_uint_eq(v2.n_members, 2);
    ck_assert_msg(gview_owned_subset(&v1, &v2, a.cid) && gview_owned_subset(&v1, &v2, b.cid),
                  "close moved partitions of the members that stayed: before %s",
                  gview_describe(&v1, buf, sizeof buf));
    ck_assert_uint_eq(gview_count(&v2, a.cid), 8);
    ck_assert_uint_eq(gview_count(&v2, b.cid), 8);
    ck_assert_uint_eq(gview_moved(&v1, &v2), nc);
    size_t a0 = a.recs.n, b0 = b.recs.n;
    senv_put_range(env.h, "t1", 41, 40, "w");
    drain(&a, 10, false);
    drain(&b, 10, false);
    expect_owned(&a, a0, &v2);
    expect_owned(&b, b0, &v2);
    member_t *ab[] = { &a, &b };
    size_t from_ab[] = { a0, b0 };
    expect_exactly_once(ab, 2, from_ab, "t1", 41, 80); /* C committed: 1..40 not again */

    /* D joins: it takes 5, the fewest it can; A and B only give */
    join(&d, "D", "t1", false, 0);
    view(&v3);
    ck_assert_uint_eq(gview_count(&v3, d.cid), 5);
    ck_assert_uint_eq(gview_moved(&v2, &v3), 5);
    ck_assert_msg(gview_owned_subset(&v3, &v2, a.cid) && gview_owned_subset(&v3, &v2, b.cid),
                  "join gave A or B partitions they did not own: before %s",
                  gview_describe(&v2, buf, sizeof buf));
    size_t a1 = a.recs.n, b1 = b.recs.n;
    senv_put_range(env.h, "t1", 81, 40, "x");
    drain(&a, 10, false);
    drain(&b, 10, false);
    drain(&d, 10, false);
    expect_owned(&a, a1, &v3);
    expect_owned(&b, b1, &v3);
    expect_owned(&d, 0, &v3);
    member_t *abd[] = { &a, &b, &d };
    size_t from_abd[] = { a1, b1, 0 };
    expect_exactly_once(abd, 3, from_abd, "t1", 81, 120);

    leave(&a);
    leave(&b);
    leave(&d);
    member_free(&a);
    member_free(&b);
    member_free(&c);
    member_free(&d);
    gview_free(&v1);
    gview_free(&v2);
    gview_free(&v3);
}
END_TEST

/* ------------------------------------------------------------------------
 * 4. per-key order across rebalances
 * ------------------------------------------------------------------------ */

#define ORDER_KEYS 6
#define ORDER_ROUNDS 24
#define ORDER_MAX_POLL 5000

/* Per consumer and key: the last version seen and the consumer's gains of
 * the key's partition at that time (gv_history). */
typedef struct key_track {
    int last[ORDER_KEYS];
    unsigned gain[ORDER_KEYS];
} key_track_t;

/* Check m's records from index `from` (one bundle, or one drain) against
 * its key track: within one ownership of a partition a key's versions come
 * one after the other (v == last + 1); only after the consumer (re)gained
 * the partition may it start elsewhere (e.g. again from the group's
 * committed position), and never go back inside one bundle. Marks the
 * versions seen. */
static void check_order(const member_t *m, size_t from, key_track_t *kt, const gv_history_t *h,
                        bool *versions_seen)
{
    int in_bundle[ORDER_KEYS] = { 0 };
    for (size_t i = from; i < m->recs.n; i++) {
        const senv_rec_t *r = &m->recs.v[i];
        ck_assert_msg(r->id >= 0 && r->id < ORDER_KEYS && r->value, "unexpected record id %d",
                      r->id);
        json_t *jv = json_object_get(r->value, "v");
        ck_assert_msg(json_is_integer(jv), "record of key %d without v", r->id);
        int ver = (int)json_integer_value(jv), k = r->id;
        ck_assert_msg(ver >= 1 && ver <= ORDER_ROUNDS, "key %d has version %d", k, ver);
        versions_seen[k * (ORDER_ROUNDS + 1) + ver] = true;
        unsigned g = gv_history_gains(h, m->cid, r->table, r->partition);
        ck_assert_msg(g > 0, "consumer %s got key %d from partition %d it never owned", m->name,
                      k, r->partition);
        if (kt->last[k] && kt->gain[k] == g)
            ck_assert_msg(ver == kt->last[k] + 1,
                          "consumer %s (%llu): key %d version %d after version %d, without "
                          "losing partition %d in between", m->name,
                          (unsigned long long)m->cid, k, ver, kt->last[k], r->partition);
        ck_assert_msg(ver > in_bundle[k], "consumer %s: key %d version %d after %d in one poll",
                      m->name, k, ver, in_bundle[k]);
        in_bundle[k] = ver;
        kt->last[k] = ver;
        kt->gain[k] = g;
    }
}

START_TEST(test_key_order_across_rebalances)
{
    member_t ms[MAX_MEMBERS];
    key_track_t kt[MAX_MEMBERS];
    bool active[MAX_MEMBERS] = { false }, silent[MAX_MEMBERS] = { false };
    bool seen[ORDER_KEYS * (ORDER_ROUNDS + 1)] = { false };
    static const char *const names[] = { "A", "B", "C", "D", "E", "F", "G", "H" };
    gv_history_t hist = { 0 };
    cs_error_t e;
    csc_error_t err;
    int n = 0;
    memset(kt, 0, sizeof kt);
    start(8);
    senv_create_streamed(env.h, KV_DDL, "kv");

    /* who joins (J), closes (X) or goes silent (S) at which round */
    for (int round = 1; round <= ORDER_ROUNDS; round++) {
        gview_t v;
        switch (round) {
        case 1: case 4: case 7: case 15: case 19:
            ck_assert_int_lt(n, MAX_MEMBERS);
            join(&ms[n], names[n], "kv", n % 2 == 0, ORDER_MAX_POLL);
            active[n++] = true;
            break;
        case 10:  /* A closes */
            leave(&ms[0]);
            active[0] = false;
            break;
        case 12:  /* C goes silent */
            silent[2] = true;
            break;
        case 14:  /* two half intervals: C expires, the others heartbeat */
            for (int half = 0; half < 2; half++) {
                senv_clock_advance(&env, ORDER_MAX_POLL * 6 / 10);
                for (int i = 0; i < n; i++)
                    if (active[i] && !silent[i])
                        senv_poll_once(ms[i].c, 0, 0, NULL, NULL);
            }
            active[2] = false;
            break;
        case 21:  /* B closes */
            leave(&ms[1]);
            active[1] = false;
            break;
        }
        for (int k = 0; k < ORDER_KEYS; k++) {
            char row[64];
            snprintf(row, sizeof row, "{\"id\": %d, \"v\": %d}", k, round);
            senv_put(env.h, "kv", row);
        }
        /* everyone polls a little, manual ones commit every other bundle */
        for (int i = 0; i < n; i++) {
            if (!active[i] || silent[i])
                continue;
            for (int p = 0; p < 2; p++) {
                csc_bundle_t b;
                size_t from = ms[i].recs.n;
                SENV_OK(csc_consumer_poll(ms[i].c, 4, 0, &b, &err), &err);
                senv_recs_add_bundle(&ms[i].recs, &b);
                if (ms[i].manual && (round + p) % 2 == 0 && !csc_bundle_is_empty(&b))
                    SENV_OK(csc_bundle_commit(&b, 0, &err), &err);
                csc_bundle_free(&b);
                view(&v);
                ck_assert(gv_history_update(&hist, &v, &e) == CS_OK);
                expect_owned(&ms[i], from, &v);
                check_order(&ms[i], from, &kt[i], &hist, seen);
                gview_free(&v);
            }
        }
        view(&v);
        ck_assert(gv_history_update(&hist, &v, &e) == CS_OK);
        gview_free(&v);
    }
    /* the ones left drain everything */
    for (int i = 0; i < n; i++) {
        if (!active[i])
            continue;
        size_t from = ms[i].recs.n;
        drain(&ms[i], 50, true);
        check_order(&ms[i], from, &kt[i], &hist, seen);
    }
    for (int k = 0; k < ORDER_KEYS; k++)
        for (int ver = 1; ver <= ORDER_ROUNDS; ver++)
            ck_assert_msg(seen[k * (ORDER_ROUNDS + 1) + ver],
                          "key %d version %d was never delivered to the group", k, ver);
    for (int i = 0; i < n; i++) {
        if (active[i])
            leave(&ms[i]);
        member_free(&ms[i]);
    }
    gv_history_free(&hist);
}
END_TEST

/* ------------------------------------------------------------------------
 * 5. add_table / remove_table change what every consumer receives
 * ------------------------------------------------------------------------ */

START_TEST(test_update_tables_applies_to_group)
{
    member_t a, b;
    gview_t v1, v2, v3;
    csc_error_t err;
    char buf[2048];
    start(4);
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_create_streamed(env.h, T2_DDL, "t2");
    join(&a, "A", "t1", false, 0);
    join(&b, "B", "t1", false, 0);
    view(&v1);
    ck_assert_uint_eq(v1.n_parts, 4);

    /* A adds t2: the group now has 8 partitions, B owns some of t2 */
    SENV_OK(csc_consumer_add_table(a.c, "t2", NULL, &EARLIEST, &err), &err);
    view(&v2);
    ck_assert_uint_eq(v2.n_tables, 2);
    ck_assert_uint_eq(v2.n_parts, 8);
    ck_assert_uint_eq(gview_count(&v2, a.cid), 4);
    ck_assert_uint_eq(gview_count(&v2, b.cid), 4);
    ck_assert_msg(gview_owned_subset(&v1, &v2, a.cid) && gview_owned_subset(&v1, &v2, b.cid),
                  "adding a table moved t1 partitions: %s", gview_describe(&v2, buf, sizeof buf));
    const gv_member_t *mb = gview_member(&v2, b.cid);
    size_t b_t2 = 0;
    for (size_t i = 0; i < mb->n_units; i++)
        b_t2 += strcmp(mb->units[i].table, "t2") == 0;
    ck_assert_msg(b_t2 == 2, "B should own 2 of t2's 4 partitions: %s",
                  gview_describe(&v2, buf, sizeof buf));
    senv_put_range(env.h, "t2", 1, 30, "x");
    senv_put_range(env.h, "t1", 101, 20, "y");
    drain(&a, 10, false);
    drain(&b, 10, false);
    expect_owned(&a, 0, &v2);
    expect_owned(&b, 0, &v2);
    member_t *ab[] = { &a, &b };
    expect_exactly_once(ab, 2, NULL, "t2", 1, 30);
    expect_exactly_once(ab, 2, NULL, "t1", 101, 120);
    size_t b_t2_events = 0;
    for (size_t i = 0; i < b.recs.n; i++)
        b_t2_events += strcmp(b.recs.v[i].table, "t2") == 0;
    ck_assert_msg(b_t2_events > 0, "B, which did not add t2, received none of its events");

    /* B removes t1: nobody receives t1 any more, t2 goes on, 2 and 2 */
    SENV_OK(csc_consumer_remove_table(b.c, "t1", NULL, &err), &err);
    view(&v3);
    ck_assert_uint_eq(v3.n_tables, 1);
    ck_assert_uint_eq(v3.n_parts, 4);
    ck_assert_uint_eq(gview_count(&v3, a.cid), 2);
    ck_assert_uint_eq(gview_count(&v3, b.cid), 2);
    size_t a0 = a.recs.n, b0 = b.recs.n;
    senv_put_range(env.h, "t1", 201, 10, "gone");
    senv_put_range(env.h, "t2", 31, 20, "z");
    drain(&a, 10, false);
    drain(&b, 10, false);
    expect_owned(&a, a0, &v3);
    expect_owned(&b, b0, &v3);
    size_t from[] = { a0, b0 };
    expect_exactly_once(ab, 2, from, "t2", 31, 50);
    for (size_t i = a0; i < a.recs.n; i++)
        ck_assert_msg(strcmp(a.recs.v[i].table, "t1") != 0, "A got t1 id %d after B removed t1",
                      a.recs.v[i].id);
    for (size_t i = b0; i < b.recs.n; i++)
        ck_assert_msg(strcmp(b.recs.v[i].table, "t1") != 0, "B got t1 id %d after removing t1",
                      b.recs.v[i].id);
    leave(&a);
    leave(&b);
    member_free(&a);
    member_free(&b);
    gview_free(&v1);
    gview_free(&v2);
    gview_free(&v3);
}
END_TEST

/* ------------------------------------------------------------------------
 * 6. commits for partitions no longer owned; cursors from before
 * ------------------------------------------------------------------------ */

START_TEST(test_commit_after_rebalance)
{
    member_t a, b;
    gview_t v1, v2, v3;
    csc_error_t err;
    char buf[2048];
    start(8);
    senv_create_streamed(env.h, T1_DDL, "t1");
    join(&a, "A", "t1", true, 0);
    senv_put_range(env.h, "t1", 1, 40, "v");
    csc_bundle_t before;  /* everything, polled by A alone, not committed */
    SENV_OK(csc_consumer_poll(a.c, 100, 0, &before, &err), &err);
    ck_assert_uint_eq(csc_bundle_num_records(&before), 40);
    size_t old_len;
    const uint8_t *cur = csc_consumer_cursor(a.c, &old_len);
    uint8_t old_cursor[256];
    ck_assert_uint_le(old_len, sizeof old_cursor);
    memcpy(old_cursor, cur, old_len);

    join(&b, "B", "t1", true, 0);
    view(&v1);
    ck_assert_uint_eq(gview_count(&v1, a.cid), 4);
    ck_assert_uint_eq(gview_count(&v1, b.cid), 4);

    /* A commits the bundle from before the rebalance: its own partitions
     * move to their end, B's do not move */
    SENV_OK(csc_bundle_commit(&before, 0, &err), &err);
    view(&v2);
    for (size_t i = 0; i < v2.n_parts; i++) {
        const gv_part_t *p = &v2.parts[i];
        const gv_part_t *q = gview_part(&v1, p->u.table, p->u.partition);
        if (p->owner == a.cid)
            ck_assert_msg(p->committed == p->next, "A's partition %d not committed: %s",
                          p->u.partition, gview_describe(&v2, buf, sizeof buf));
        else
            ck_assert_msg(p->committed == q->committed,
                          "commit of a bundle moved B's partition %d from %lld to %lld",
                          p->u.partition, (long long)q->committed, (long long)p->committed);
    }
    /* so B gets every event of its partitions (at-least-once), A nothing again */
    drain(&b, 100, true);
    expect_owned(&b, 0, &v2);
    senv_recs_t all = { 0 };
    senv_recs_add_bundle(&all, &before);
    size_t in_b = 0;
    for (size_t i = 0; i < all.n; i++) {
        bool mine = gview_owner(&v2, "t1", all.v[i].partition) == b.cid;
        in_b += mine;
        if (mine)
            ck_assert_msg(senv_recs_count(&b.recs, "t1", all.v[i].id) == 1,
                          "B did not get id %d of its partition %d exactly once", all.v[i].id,
                          all.v[i].partition);
    }
    senv_recs_free(&all);
    ck_assert_uint_eq(b.recs.n, in_b);
    ck_assert_uint_eq(senv_poll_once(a.c, 100, 0, NULL, NULL), 0);

    /* a cursor from before the rebalance keeps working for what A owns */
    SENV_OK(csc_consumer_set_cursor(a.c, old_cursor, old_len, &err), &err);
    senv_put_range(env.h, "t1", 41, 40, "w");
    drain(&a, 100, true);
    drain(&b, 100, true);
    expect_owned(&a, 0, &v2);
    member_t *ab[] = { &a, &b };
    size_t from[] = { 0, in_b };
    expect_exactly_once(ab, 2, from, "t1", 41, 80);
    SENV_OK(csc_consumer_set_cursor(a.c, old_cursor, old_len, &err), &err);
    SENV_OK(csc_consumer_commit(a.c, 0, &err), &err); /* an old cursor's commit: a no-op */
    view(&v3);
    ck_assert_msg(!gview_committed_backwards(&v2, &v3, buf, sizeof buf), "%s", buf);
    for (size_t i = 0; i < v3.n_parts; i++)
        ck_assert_msg(v3.parts[i].committed == v3.parts[i].next, "partition %d not committed: %s",
                      v3.parts[i].u.partition, gview_describe(&v3, buf, sizeof buf));
    csc_bundle_free(&before);
    leave(&a);
    leave(&b);
    member_free(&a);
    member_free(&b);
    gview_free(&v1);
    gview_free(&v2);
    gview_free(&v3);
}
END_TEST

/* ------------------------------------------------------------------------
 * 7. events_remaining counts only the consumer's partitions
 * ------------------------------------------------------------------------ */

static int64_t held(const gview_t *v, uint64_t cid, bool from_committed)
{
    int64_t n = 0;
    for (size_t i = 0; i < v->n_parts; i++)
        if (v->parts[i].owner == cid)
            n += v->parts[i].next - (from_committed ? v->parts[i].committed
                                                    : v->parts[i].delivered);
    return n;
}

START_TEST(test_events_remaining_is_per_consumer)
{
    member_t a, b;
    gview_t v1, v2;
    csc_error_t err;
    int64_t ra = -1, rb = -1;
    start(4);
    senv_create_streamed(env.h, T1_DDL, "t1");
    join(&a, "A", "t1", true, 0);
    join(&b, "B", "t1", true, 0);
    senv_put_range(env.h, "t1", 1, 40, "v");
    view(&v1);
    int64_t ha = held(&v1, a.cid, true), hb = held(&v1, b.cid, true);
    ck_assert_int_eq(ha + hb, 40);
    ck_assert_msg(ha > 1 && hb > 1, "ids spread badly over partitions: %lld / %lld",
                  (long long)ha, (long long)hb);
    ck_assert_uint_eq(senv_poll_once(a.c, 1, 0, &a.recs, &ra), 1);
    ck_assert_uint_eq(senv_poll_once(b.c, 1, 0, &b.recs, &rb), 1);
    ck_assert_int_eq(ra, ha - 1);
    ck_assert_int_eq(rb, hb - 1);
    ck_assert_uint_eq(senv_poll_once(a.c, 3, 0, &a.recs, &ra), 3);
    ck_assert_int_eq(ra, ha - 4);

    /* B closes without committing (manual): A now also holds B's
     * partitions from their committed positions */
    leave(&b);
    view(&v2);
    ck_assert_uint_eq(gview_count(&v2, a.cid), 4);
    ck_assert_uint_eq(senv_poll_once(a.c, 1, 0, &a.recs, &ra), 1);
    ck_assert_int_eq(ra, held(&v2, a.cid, false) - 1);
    ck_assert_int_eq(ra, 40 - 4 - 1);
    drain(&a, 100, true);
    ck_assert_uint_eq(senv_poll_once(a.c, 1, 0, NULL, &ra), 0);
    ck_assert_int_eq(ra, 0);
    (void)err;
    leave(&a);
    member_free(&a);
    member_free(&b);
    gview_free(&v1);
    gview_free(&v2);
}
END_TEST

/* ------------------------------------------------------------------------
 * limits: more consumers than partitions
 * ------------------------------------------------------------------------ */

START_TEST(test_more_consumers_than_partitions)
{
    member_t ms[6];
    static const char *const names[] = { "A", "B", "C", "D", "E", "F" };
    gview_t v1, v2;
    start(4);
    senv_create_streamed(env.h, T1_DDL, "t1");
    for (int i = 0; i < 6; i++)
        join(&ms[i], names[i], "t1", false, 0);
    view(&v1);
    int idle = -1, busy = -1;
    for (int i = 0; i < 6; i++) {
        size_t n = gview_count(&v1, ms[i].cid);
        ck_assert_uint_le(n, 1);
        if (n == 0 && idle < 0)
            idle = i;
        if (n == 1)
            busy = i;
    }
    ck_assert_int_ge(idle, 0);
    ck_assert_int_ge(busy, 0);
    senv_put_range(env.h, "t1", 1, 30, "v");
    int64_t remaining = -1;
    ck_assert_uint_eq(senv_poll_once(ms[idle].c, 100, 0, NULL, &remaining), 0);
    ck_assert_int_eq(remaining, 0);
    for (int i = 0; i < 6; i++)
        drain(&ms[i], 100, false);
    member_t *mp[6];
    for (int i = 0; i < 6; i++)
        mp[i] = &ms[i];
    expect_exactly_once(mp, 6, NULL, "t1", 1, 30);
    /* a busy one closes: exactly its one partition moves, to an idle one */
    leave(&ms[busy]);
    view(&v2);
    ck_assert_uint_eq(gview_moved(&v1, &v2), 1);
    for (int i = 0; i < 6; i++)
        if (i != busy)
            ck_assert(gview_owned_subset(&v1, &v2, ms[i].cid));
    for (int i = 0; i < 6; i++) {
        leave(&ms[i]);
        member_free(&ms[i]);
    }
    gview_free(&v1);
    gview_free(&v2);
}
END_TEST

static Suite *stream_groups_suite(void)
{
    Suite *s = suite_create("stream_groups");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_set_timeout(core, 240);
    tcase_add_loop_test(core, test_coverage, 0, N_COVERAGE);
    tcase_add_test(core, test_silent_consumer_expires);
    tcase_add_test(core, test_silent_consumer_expired_in_background);
    tcase_add_test(core, test_close_and_join_are_sticky);
    tcase_add_test(core, test_key_order_across_rebalances);
    tcase_add_test(core, test_update_tables_applies_to_group);
    tcase_add_test(core, test_commit_after_rebalance);
    tcase_add_test(core, test_events_remaining_is_per_consumer);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("Limits");
    tcase_add_checked_fixture(limits, NULL, teardown);
    tcase_set_timeout(limits, 240);
    tcase_add_test(limits, test_more_consumers_than_partitions);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    return senv_main(stream_groups_suite());
}
