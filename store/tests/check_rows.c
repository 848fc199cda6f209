/* check_rows.c - rows through rows.h: conditions, versions, TTL, scans and
 * MultiDelete ranges. */
#include "test_util.h"

static uint64_t table;

static void rows_setup(void)
{
    clock_set_ms(1000000);
    table = tu_table(tu_s, "acme", "t", false, 0);
}

/* ===================================================================== */
/* single rows                                                           */
/* ===================================================================== */

START_TEST(test_put_get_versions)
{
    rows_result_t r1, r2;
    ck_assert_int_eq(tu_put(tu_s, table, "k1", "one", &r1), CS_OK);
    ck_assert(r1.written);
    ck_assert(!r1.had_existing);
    ck_assert_uint_ne(r1.version, 0);

    clock_advance_ms(10);
    ck_assert_int_eq(tu_put(tu_s, table, "k1", "two", &r2), CS_OK);
    ck_assert(r2.written);
    ck_assert_uint_gt(r2.version, r1.version);
    ck_assert(r2.had_existing);
    ck_assert_uint_eq(r2.existing.version, r1.version);
    ck_assert_int_eq(r2.existing.mod_ms, 1000000);

    char v[16];
    row_rec_t m;
    ck_assert(tu_get(tu_s, table, "k1", v, sizeof v, &m));
    ck_assert_str_eq(v, "two");
    ck_assert_uint_eq(m.version, r2.version);
    ck_assert_int_eq(m.mod_ms, 1000010);
    ck_assert_int_eq(m.created_ms, 1000000);  /* kept across overwrites */
    ck_assert_int_eq(m.exp_ms, 0);

    /* Versions are global: another table's write gets a higher one. */
    uint64_t other = tu_table(tu_s, "acme", "other", false, 0);
    rows_result_t r3;
    ck_assert_int_eq(tu_put(tu_s, other, "k1", "x", &r3), CS_OK);
    ck_assert_uint_gt(r3.version, r2.version);
    ck_assert(!tu_get(tu_s, table, "k2", v, sizeof v, NULL));
}
END_TEST

typedef struct copy_job {
    rows_put_args_t args;
    arena_t arena;
    rows_result_t res;
} copy_job_t;

static cs_err_t copy_put_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    copy_job_t *c = arg;
    return rows_put(t, &c->args, &c->arena, &c->res, err);
}

START_TEST(test_existing_row_copied)
{
    ck_assert_int_eq(tu_put(tu_s, table, "k", "before", NULL), CS_OK);
    copy_job_t c;
    memset(&c, 0, sizeof c);
    arena_init(&c.arena, 0);
    c.args = (rows_put_args_t){ .table_id = table, .key = (const uint8_t *)"k", .klen = 1,
                                .shard_len = 1, .keymap = (const uint8_t *)"KM2",
                                .keymap_len = 3, .value = (const uint8_t *)"after",
                                .value_len = 5, .cond = ROWS_IF_ABSENT,
                                .now_ms = clock_now_ms() };
    ck_assert_int_eq(store_write(tu_s, copy_put_job, &c, NULL), CS_OK);
    ck_assert(!c.res.written);
    ck_assert(c.res.had_existing);
    ck_assert_uint_eq(c.res.existing.value_len, 6);
    ck_assert(memcmp(c.res.existing.value, "before", 6) == 0);
    ck_assert_uint_eq(c.res.existing.keymap_len, 2);
    ck_assert(memcmp(c.res.existing.keymap, "km", 2) == 0);
    arena_free(&c.arena);

    /* An arena too small for the existing row fails the job cleanly. */
    arena_init(&c.arena, 16);
    c.args.cond = ROWS_ALWAYS;
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_int_eq(tu_put(tu_s, table, "k", big, NULL), CS_OK);
    cs_error_t e;
    ck_assert_int_eq(store_write(tu_s, copy_put_job, &c, &e), CS_ENOMEM);
    arena_free(&c.arena);
    char v[256];
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, NULL));
    ck_assert_str_eq(v, big);
}
END_TEST

/* A writer that read the table's record in its own txn passes it: the
 * record read there decides the event, as if rows_* had read it. */
typedef struct rec_job {
    uint64_t table_id;        /* written to */
    uint64_t rec_of;          /* whose record is passed */
    bool del;
    rows_result_t res;
} rec_job_t;

static cs_err_t rec_put_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    rec_job_t *j = arg;
    table_rec_t rec;
    if (!tables_lookup_id(t, j->rec_of, false, &rec))
        return cs_fail(err, CS_ENOTABLE, "no table");
    if (j->del) {
        rows_delete_args_t d = { .table_id = j->table_id, .table = &rec,
                                 .key = (const uint8_t *)"k", .klen = 1, .shard_len = 1,
                                 .now_ms = clock_now_ms() };
        return rows_delete(t, &d, NULL, &j->res, err);
    }
    rows_put_args_t a = { .table_id = j->table_id, .table = &rec,
                          .key = (const uint8_t *)"k", .klen = 1, .shard_len = 1,
                          .keymap = (const uint8_t *)"km", .keymap_len = 2,
                          .value = (const uint8_t *)"v", .value_len = 1,
                          .now_ms = clock_now_ms() };
    return rows_put(t, &a, NULL, &j->res, err);
}

START_TEST(test_caller_passes_record)
{
    uint64_t streamed = tu_table(tu_s, "acme", "streamed", true, 4);
    rec_job_t j = { .table_id = streamed, .rec_of = streamed };
    ck_assert_int_eq(store_write(tu_s, rec_put_job, &j, NULL), CS_OK);
    ck_assert(j.res.written);
    ck_assert_uint_eq(tu_count_events(tu_s, streamed), 1);
    j.del = true;
    ck_assert_int_eq(store_write(tu_s, rec_put_job, &j, NULL), CS_OK);
    ck_assert(j.res.written);
    ck_assert_uint_eq(tu_count_events(tu_s, streamed), 2);

    /* not streaming: rows only */
    rec_job_t p = { .table_id = table, .rec_of = table };
    ck_assert_int_eq(store_write(tu_s, rec_put_job, &p, NULL), CS_OK);
    ck_assert(p.res.written);
    ck_assert_uint_eq(tu_count_rows(tu_s, table), 1);
    ck_assert_uint_eq(tu_count_events(tu_s, table), 0);
}
END_TEST

START_TEST(test_caller_record_of_another_table)
{
    uint64_t streamed = tu_table(tu_s, "acme", "streamed", true, 4);
    rec_job_t j = { .table_id = table, .rec_of = streamed };
    cs_error_t e;
    ck_assert_int_eq(store_write(tu_s, rec_put_job, &j, &e), CS_EINVAL);
    j.del = true;
    ck_assert_int_eq(store_write(tu_s, rec_put_job, &j, &e), CS_EINVAL);
    ck_assert_uint_eq(tu_count_rows(tu_s, table), 0);
    ck_assert_uint_eq(tu_count_events(tu_s, streamed), 0);
    ck_assert_uint_eq(tu_count_events(tu_s, table), 0);
}
END_TEST

START_TEST(test_conditions)
{
    rows_result_t r, w;
    /* IF_PRESENT on an absent row: nothing. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "a", ROWS_IF_PRESENT, 0, 0, false, &r), CS_OK);
    ck_assert(!r.written);
    ck_assert(!r.had_existing);
    ck_assert_uint_eq(tu_count_rows(tu_s, table), 0);
    /* IF_ABSENT on an absent row: written. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "a", ROWS_IF_ABSENT, 0, 0, false, &w), CS_OK);
    ck_assert(w.written);
    /* IF_ABSENT on a present row: nothing, existing reported. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "b", ROWS_IF_ABSENT, 0, 0, false, &r), CS_OK);
    ck_assert(!r.written);
    ck_assert(r.had_existing);
    ck_assert_uint_eq(r.existing.version, w.version);
    /* IF_PRESENT on a present row: written. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "c", ROWS_IF_PRESENT, 0, 0, false, &w), CS_OK);
    ck_assert(w.written);
    /* IF_VERSION: wrong version nothing, right version written. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "d", ROWS_IF_VERSION, w.version + 100, 0,
                                 false, &r), CS_OK);
    ck_assert(!r.written);
    ck_assert_uint_eq(r.existing.version, w.version);
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "e", ROWS_IF_VERSION, w.version, 0,
                                 false, &r), CS_OK);
    ck_assert(r.written);
    /* IF_VERSION on an absent row: nothing. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "nope", 1, "x", ROWS_IF_VERSION, r.version, 0,
                                 false, &w), CS_OK);
    ck_assert(!w.written);
    char v[8];
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, NULL));
    ck_assert_str_eq(v, "e");
    ck_assert(!tu_get(tu_s, table, "nope", v, sizeof v, NULL));
}
END_TEST

START_TEST(test_delete)
{
    rows_result_t p, d;
    ck_assert_int_eq(tu_put(tu_s, table, "k", "v", &p), CS_OK);
    ck_assert_int_eq(tu_del(tu_s, table, "k", ROWS_IF_VERSION, p.version + 1, &d), CS_OK);
    ck_assert(!d.written);
    ck_assert(d.had_existing);
    ck_assert_uint_eq(d.existing.version, p.version);
    ck_assert_int_eq(tu_del(tu_s, table, "k", ROWS_IF_VERSION, p.version, &d), CS_OK);
    ck_assert(d.written);
    char v[8];
    ck_assert(!tu_get(tu_s, table, "k", v, sizeof v, NULL));
    ck_assert_int_eq(tu_del(tu_s, table, "k", ROWS_ALWAYS, 0, &d), CS_OK);
    ck_assert(!d.written);
    ck_assert(!d.had_existing);
    ck_assert_int_eq(tu_del(tu_s, table, "k", ROWS_IF_ABSENT, 0, &d), CS_EINVAL);
}
END_TEST

START_TEST(test_ttl)
{
    int64_t now = clock_now_ms();
    rows_result_t r;
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "v1", ROWS_ALWAYS, 0, now + 1000, true, &r),
                     CS_OK);
    char v[8];
    row_rec_t m;
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, &m));
    ck_assert_int_eq(m.exp_ms, now + 1000);

    /* update_ttl false: an existing row keeps its expiration. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "v2", ROWS_ALWAYS, 0, now + 5000, false, &r),
                     CS_OK);
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, &m));
    ck_assert_int_eq(m.exp_ms, now + 1000);
    ck_assert_str_eq(v, "v2");

    clock_advance_ms(999);
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, NULL));
    clock_advance_ms(1);
    /* Expired: invisible to get, scan, conditions and delete. */
    ck_assert(!tu_get(tu_s, table, "k", v, sizeof v, NULL));
    ck_assert_uint_eq(tu_count_rows(tu_s, table), 0);
    rows_result_t d;
    ck_assert_int_eq(tu_del(tu_s, table, "k", ROWS_ALWAYS, 0, &d), CS_OK);
    ck_assert(!d.written);
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "v3", ROWS_IF_PRESENT, 0, 0, false, &r), CS_OK);
    ck_assert(!r.written);
    /* A put over an expired row is a new row: created now, its own TTL. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "v4", ROWS_IF_ABSENT, 0, 0, false, &r), CS_OK);
    ck_assert(r.written);
    ck_assert(!r.had_existing);
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, &m));
    ck_assert_int_eq(m.exp_ms, 0);
    ck_assert_int_eq(m.created_ms, now + 1000);
    /* update_ttl true replaces the expiration of a live row. */
    ck_assert_int_eq(tu_put_full(tu_s, table, "k", 1, "v5", ROWS_ALWAYS, 0, now + 9000, true, &r),
                     CS_OK);
    ck_assert(tu_get(tu_s, table, "k", v, sizeof v, &m));
    ck_assert_int_eq(m.exp_ms, now + 9000);
}
END_TEST

/* ===================================================================== */
/* scans and ranges                                                      */
/* ===================================================================== */

typedef struct collect {
    char keys[64][16];
    int n;
    int stop_after;  /* 0 = never */
} collect_t;

static bool collect_visit(const uint8_t *k, size_t kl, const row_rec_t *r, void *ctx)
{
    (void)r;
    collect_t *c = ctx;
    snprintf(c->keys[c->n], sizeof c->keys[0], "%.*s", (int)kl, (const char *)k);
    c->n++;
    return !(c->stop_after && c->n >= c->stop_after);
}

/* Keys a0..a4, b0..b4, c0..c4; shard key = first byte. */
static void fill_abc(uint64_t t)
{
    for (char s = 'a'; s <= 'c'; s++)
        for (int i = 0; i < 5; i++) {
            char key[4] = { s, (char)('0' + i), 0 };
            ck_assert_int_eq(tu_put(tu_s, t, key, key, NULL), CS_OK);
        }
}

static int scan(const rows_range_t *r, collect_t *c)
{
    store_txn_t t;
    tu_begin(&t);
    ck_assert_int_eq(rows_scan(&t, table, r, clock_now_ms(), collect_visit, c, NULL), CS_OK);
    tu_end(&t);
    return c->n;
}

START_TEST(test_scan_ranges)
{
    fill_abc(table);
    collect_t c = { .n = 0 };
    rows_range_t all = { 0 };
    ck_assert_int_eq(scan(&all, &c), 15);
    ck_assert_str_eq(c.keys[0], "a0");
    ck_assert_str_eq(c.keys[14], "c4");

    rows_range_t shard = { .prefix = (const uint8_t *)"b", .prefix_len = 1 };
    c.n = 0;
    ck_assert_int_eq(scan(&shard, &c), 5);
    ck_assert_str_eq(c.keys[0], "b0");
    ck_assert_str_eq(c.keys[4], "b4");

    rows_range_t bounded = { .prefix = (const uint8_t *)"b", .prefix_len = 1,
                             .start = (const uint8_t *)"b1", .start_len = 2, .start_incl = false,
                             .end = (const uint8_t *)"b3", .end_len = 2, .end_incl = true };
    c.n = 0;
    ck_assert_int_eq(scan(&bounded, &c), 2);
    ck_assert_str_eq(c.keys[0], "b2");
    ck_assert_str_eq(c.keys[1], "b3");
    bounded.start_incl = true;
    bounded.end_incl = false;
    c.n = 0;
    ck_assert_int_eq(scan(&bounded, &c), 2);
    ck_assert_str_eq(c.keys[0], "b1");
    ck_assert_str_eq(c.keys[1], "b2");

    /* Start before the prefix, end after it: the prefix still bounds. */
    rows_range_t wide = { .prefix = (const uint8_t *)"b", .prefix_len = 1,
                          .start = (const uint8_t *)"a", .start_len = 1, .start_incl = true,
                          .end = (const uint8_t *)"z", .end_len = 1, .end_incl = true };
    c.n = 0;
    ck_assert_int_eq(scan(&wide, &c), 5);

    /* Bounds without a prefix span shards. */
    rows_range_t span = { .start = (const uint8_t *)"a3", .start_len = 2, .start_incl = true,
                          .end = (const uint8_t *)"b1", .end_len = 2, .end_incl = true };
    c.n = 0;
    ck_assert_int_eq(scan(&span, &c), 4);
    ck_assert_str_eq(c.keys[0], "a3");
    ck_assert_str_eq(c.keys[3], "b1");

    /* Stop early. */
    c.n = 0;
    c.stop_after = 3;
    ck_assert_int_eq(scan(&all, &c), 3);

    /* Another table's rows never show. */
    uint64_t other = tu_table(tu_s, "acme", "other", false, 0);
    ck_assert_int_eq(tu_put(tu_s, other, "b9", "x", NULL), CS_OK);
    c.n = 0;
    c.stop_after = 0;
    ck_assert_int_eq(scan(&shard, &c), 5);
}
END_TEST

typedef struct range_job {
    rows_delete_range_args_t args;
    arena_t arena;
    rows_range_result_t res;
} range_job_t;

static cs_err_t range_del_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    range_job_t *r = arg;
    return rows_delete_range(t, &r->args, &r->arena, &r->res, err);
}

START_TEST(test_delete_range)
{
    uint64_t st = tu_table(tu_s, "acme", "streamed", true, 4);
    uint64_t save = table;
    table = st;
    fill_abc(st);
    /* Let b2 expire: it is neither deleted nor evented. */
    ck_assert_int_eq(tu_put_full(tu_s, st, "b2", 1, "b2", ROWS_ALWAYS, 0, clock_now_ms() + 5, true,
                                 NULL), CS_OK);
    clock_advance_ms(10);
    uint64_t events_before = tu_count_events(tu_s, st);

    range_job_t j;
    memset(&j, 0, sizeof j);
    arena_init(&j.arena, 0);
    j.args = (rows_delete_range_args_t){
        .table_id = st, .shard_len = 1,
        .range = { .prefix = (const uint8_t *)"b", .prefix_len = 1,
                   .start = (const uint8_t *)"b0", .start_len = 2, .start_incl = false,
                   .end = (const uint8_t *)"b4", .end_len = 2, .end_incl = true },
        .max_rows = 2, .now_ms = clock_now_ms() };
    ck_assert_int_eq(store_write(tu_s, range_del_job, &j, NULL), CS_OK);
    ck_assert_uint_eq(j.res.deleted, 2);          /* b1, b3 (b2 expired) */
    ck_assert(j.res.more);
    ck_assert_uint_eq(j.res.cont_len, 2);
    ck_assert(memcmp(j.res.cont_key, "b3", 2) == 0);
    ck_assert_uint_eq(j.res.bytes, 8);

    /* Resume after the continuation key. */
    j.args.range.start = j.res.cont_key;
    j.args.range.start_len = j.res.cont_len;
    j.args.range.start_incl = false;
    ck_assert_int_eq(store_write(tu_s, range_del_job, &j, NULL), CS_OK);
    ck_assert_uint_eq(j.res.deleted, 1);          /* b4 */
    ck_assert(!j.res.more);

    collect_t c = { .n = 0 };
    rows_range_t shard = { .prefix = (const uint8_t *)"b", .prefix_len = 1 };
    ck_assert_int_eq(scan(&shard, &c), 1);
    ck_assert_str_eq(c.keys[0], "b0");
    ck_assert_uint_eq(tu_count_rows(tu_s, st), 11);
    ck_assert_uint_eq(tu_count_events(tu_s, st), events_before + 3);

    /* A byte budget stops once reached (always after at least one row). */
    memset(&j.args.range, 0, sizeof j.args.range);
    j.args.range.prefix = (const uint8_t *)"c";
    j.args.range.prefix_len = 1;
    j.args.max_rows = 0;
    j.args.max_bytes = 5;
    ck_assert_int_eq(store_write(tu_s, range_del_job, &j, NULL), CS_OK);
    ck_assert_uint_eq(j.res.deleted, 2);
    ck_assert(j.res.more);
    j.args.max_bytes = 0;
    ck_assert_int_eq(store_write(tu_s, range_del_job, &j, NULL), CS_OK);
    ck_assert_uint_eq(j.res.deleted, 3);
    ck_assert(!j.res.more);
    ck_assert_uint_eq(tu_count_rows(tu_s, st), 6);
    arena_free(&j.arena);
    table = save;
}
END_TEST

/* ===================================================================== */
/* limits                                                                */
/* ===================================================================== */

START_TEST(test_key_limits)
{
    char key[ROWS_MAX_KEY + 2];
    memset(key, 'k', sizeof key);
    key[ROWS_MAX_KEY] = '\0';
    ck_assert_int_eq(tu_put(tu_s, table, key, "v", NULL), CS_OK);
    char v[4];
    ck_assert(tu_get(tu_s, table, key, v, sizeof v, NULL));
    key[ROWS_MAX_KEY] = 'k';
    key[ROWS_MAX_KEY + 1] = '\0';
    ck_assert_int_eq(tu_put(tu_s, table, key, "v", NULL), CS_EKEYSIZE);
    ck_assert(!tu_get(tu_s, table, key, v, sizeof v, NULL));
    ck_assert_int_eq(tu_put(tu_s, table, "", "v", NULL), CS_EINVAL);
    ck_assert_int_eq(tu_put_full(tu_s, table, "ab", 3, "v", ROWS_ALWAYS, 0, 0, false, NULL),
                     CS_EINVAL);
    ck_assert_int_eq(tu_put_full(tu_s, table, "ab", 1, "v", (rows_cond_t)42, 0, 0, false, NULL),
                     CS_EINVAL);
}
END_TEST

START_TEST(test_missing_table)
{
    cs_error_t e;
    (void)e;
    ck_assert_int_eq(tu_put(tu_s, 987654, "k", "v", NULL), CS_ENOTABLE);
    ck_assert_int_eq(tu_del(tu_s, 987654, "k", ROWS_ALWAYS, 0, NULL), CS_ENOTABLE);
    char v[4];
    ck_assert(!tu_get(tu_s, 987654, "k", v, sizeof v, NULL));
}
END_TEST

START_TEST(test_empty_and_large_values)
{
    ck_assert_int_eq(tu_put(tu_s, table, "empty", "", NULL), CS_OK);
    char v[4] = "zz";
    ck_assert(tu_get(tu_s, table, "empty", v, sizeof v, NULL));
    ck_assert_str_eq(v, "");
    /* A value spanning many LMDB pages. */
    size_t n = 600 * 1024;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    ck_assert_int_eq(tu_put(tu_s, table, "big", big, NULL), CS_OK);
    char *out = malloc(n + 1);
    ck_assert(tu_get(tu_s, table, "big", out, n + 1, NULL));
    ck_assert(memcmp(out, big, n + 1) == 0);
    free(out);
    free(big);
}
END_TEST

static cs_err_t reap_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    size_t *a = arg;   /* [max, deleted out, more out] */
    bool more;
    cs_err_t rc = rows_reap_expired(t, clock_now_ms(), a[0], &a[1], &more, err);
    a[2] = more;
    return rc;
}

START_TEST(test_reap_expired)
{
    uint64_t st = tu_table(tu_s, "acme", "streamed", true, 2);
    int64_t now = clock_now_ms();
    for (int i = 0; i < 30; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%02d", i);
        /* Every third row lives forever, the others expire at now+100. */
        ck_assert_int_eq(tu_put_full(tu_s, i % 2 ? st : table, key, 1, "v", ROWS_ALWAYS, 0,
                                     i % 3 ? now + 100 : 0, true, NULL), CS_OK);
    }
    uint64_t events = tu_count_events(tu_s, st);
    size_t a[3] = { 1000, 0, 0 };
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    ck_assert_uint_eq(a[1], 0);          /* nothing expired yet */
    clock_advance_ms(100);
    size_t total = 0;
    int calls = 0;
    a[0] = 3;
    do {
        ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
        ck_assert_uint_le(a[1], 3);
        total += a[1];
        calls++;
    } while (a[2] && calls < 50);
    ck_assert(!a[2]);
    ck_assert_uint_eq(total, 20);
    ck_assert_uint_eq(tu_count_rows(tu_s, table) + tu_count_rows(tu_s, st), 10);
    ck_assert_uint_eq(tu_count_events(tu_s, st), events);  /* expiry makes no events */
    /* Back to the past: the reaped rows are gone for real now. */
    clock_advance_ms(-100);
    ck_assert_uint_eq(tu_count_rows(tu_s, table) + tu_count_rows(tu_s, st), 10);
}
END_TEST

/* Rows physically stored (live or expired): the clock moved far back
 * makes expired rows visible again. */
static size_t stored_rows(uint64_t t)
{
    clock_advance_ms(-1000000);
    size_t n = tu_count_rows(tu_s, t);
    clock_advance_ms(1000000);
    return n;
}

START_TEST(test_reap_due_times)
{
    int64_t now = clock_now_ms();
    size_t a[3] = { 1000, 0, 0 };
    ck_assert_int_eq(tu_put_full(tu_s, table, "late", 1, "v", ROWS_ALWAYS, 0, now + 1000, true,
                                 NULL), CS_OK);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);   /* a whole pass */
    ck_assert_uint_eq(a[1], 0);
    ck_assert(!a[2]);
    /* written after the pass, expiring before anything it saw */
    ck_assert_int_eq(tu_put_full(tu_s, table, "soon", 1, "v", ROWS_ALWAYS, 0, now + 100, true,
                                 NULL), CS_OK);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    ck_assert_uint_eq(a[1], 0);                 /* nothing due yet */
    clock_advance_ms(100);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    ck_assert_uint_eq(a[1], 1);
    ck_assert_uint_eq(stored_rows(table), 1);
    clock_advance_ms(899);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    ck_assert_uint_eq(a[1], 0);
    clock_advance_ms(1);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    ck_assert_uint_eq(a[1], 1);
    ck_assert_uint_eq(stored_rows(table), 0);
}
END_TEST

START_TEST(test_reap_after_rolled_back_pass)
{
    int64_t now = clock_now_ms();
    size_t a[3] = { 1000, 0, 0 };
    ck_assert_int_eq(tu_put_full(tu_s, table, "x", 1, "v", ROWS_ALWAYS, 0, now + 100, true,
                                 NULL), CS_OK);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    clock_advance_ms(100);
    store_faults_t f = { .fail_commits = 1 };
    store_set_faults(tu_s, &f);
    cs_error_t e;
    ck_assert_int_ne(store_write(tu_s, reap_job, a, &e), CS_OK);   /* its deletion is undone */
    ck_assert_uint_eq(stored_rows(table), 1);
    ck_assert_int_eq(store_write(tu_s, reap_job, a, NULL), CS_OK);
    ck_assert_uint_eq(a[1], 1);
    ck_assert_uint_eq(stored_rows(table), 0);
}
END_TEST

static Suite *rows_suite(void)
{
    Suite *s = suite_create("rows");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_checked_fixture(core, rows_setup, NULL);
    tcase_add_test(core, test_put_get_versions);
    tcase_add_test(core, test_existing_row_copied);
    tcase_add_test(core, test_conditions);
    tcase_add_test(core, test_caller_passes_record);
    tcase_add_test(core, test_delete);
    tcase_add_test(core, test_ttl);
    tcase_add_test(core, test_scan_ranges);
    tcase_add_test(core, test_delete_range);
    tcase_add_test(core, test_reap_expired);
    tcase_add_test(core, test_reap_due_times);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Limits");
    tu_add_fixtures(lim);
    tcase_add_checked_fixture(lim, rows_setup, NULL);
    tcase_add_test(lim, test_key_limits);
    tcase_add_test(lim, test_missing_table);
    tcase_add_test(lim, test_caller_record_of_another_table);
    tcase_add_test(lim, test_reap_after_rolled_back_pass);
    tcase_add_test(lim, test_empty_and_large_values);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rows_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
