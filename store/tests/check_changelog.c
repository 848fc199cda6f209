/* check_changelog.c - change events as the Change Streams layer will see
 * them: one per successful write, partitioned by shard key, in sequence
 * order, with before images; bounds, time seek, retention. */
#include "test_util.h"

#define MAXEV 64

typedef struct ev_copy {
    changelog_event_t ev;  /* pointers cleared; bytes below */
    char key[32], keymap[16], value[32], prev[32];
} ev_copy_t;

typedef struct evs {
    ev_copy_t e[MAXEV];
    size_t n;
    size_t stop_after;
} evs_t;

static void cpy(char *dst, size_t dsz, const uint8_t *p, size_t n)
{
    snprintf(dst, dsz, "%.*s", (int)n, p ? (const char *)p : "");
}

static bool collect(const changelog_event_t *ev, void *ctx)
{
    evs_t *s = ctx;
    ev_copy_t *c = &s->e[s->n++];
    c->ev = *ev;
    cpy(c->key, sizeof c->key, ev->key, ev->key_len);
    cpy(c->keymap, sizeof c->keymap, ev->keymap, ev->keymap_len);
    cpy(c->value, sizeof c->value, ev->value, ev->value_len);
    cpy(c->prev, sizeof c->prev, ev->prev_value, ev->prev_value_len);
    c->ev.key = c->ev.keymap = c->ev.value = c->ev.prev_value = NULL;
    return s->n < MAXEV && !(s->stop_after && s->n >= s->stop_after);
}

static size_t read_part(uint64_t table, uint32_t part, uint64_t from, size_t max, evs_t *out)
{
    store_txn_t t;
    size_t n;
    out->n = 0;
    tu_begin(&t);
    ck_assert_int_eq(changelog_read(&t, table, part, from, max, collect, out, &n, NULL), CS_OK);
    tu_end(&t);
    ck_assert_uint_eq(n, out->n);
    return n;
}

static uint32_t part_of(const char *key, size_t shard_len, uint32_t parts)
{
    return changelog_partition_of((const uint8_t *)key, shard_len, parts);
}

/* ===================================================================== */
/* appends                                                               */
/* ===================================================================== */

START_TEST(test_hash_is_fnv1a)
{
    /* Pinned forever: partitions of stored events depend on it. */
    ck_assert_uint_eq(changelog_hash(NULL, 0), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(changelog_hash((const uint8_t *)"a", 1), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(changelog_hash((const uint8_t *)"foobar", 6), 0x85944171f73967e8ull);
    ck_assert_uint_eq(part_of("foobar", 6, 1), 0);
    ck_assert_uint_eq(part_of("foobar", 6, 7), 0x85944171f73967e8ull % 7);
}
END_TEST

START_TEST(test_one_event_per_write)
{
    clock_set_ms(5000);
    uint64_t id = tu_table(tu_s, "acme", "s", true, 1);
    uint64_t plain = tu_table(tu_s, "acme", "p", false, 0);
    rows_result_t r1, r2, r3, d;
    ck_assert_int_eq(tu_put_full(tu_s, id, "k1", 1, "v1", ROWS_ALWAYS, 0, 9000, true, &r1), CS_OK);
    clock_set_ms(6000);
    ck_assert_int_eq(tu_put(tu_s, id, "k1", "v2", &r2), CS_OK);
    /* Failed conditions and deletes of nothing: no events. */
    ck_assert_int_eq(tu_put_full(tu_s, id, "k1", 1, "no", ROWS_IF_ABSENT, 0, 0, false, &r3), CS_OK);
    ck_assert(!r3.written);
    ck_assert_int_eq(tu_put_full(tu_s, id, "k1", 1, "no", ROWS_IF_VERSION, 1, 0, false, &r3), CS_OK);
    ck_assert_int_eq(tu_del(tu_s, id, "k1", ROWS_IF_VERSION, 1, &d), CS_OK);
    ck_assert(!d.written);
    ck_assert_int_eq(tu_del(tu_s, id, "zz", ROWS_ALWAYS, 0, &d), CS_OK);
    clock_set_ms(7000);
    ck_assert_int_eq(tu_del(tu_s, id, "k1", ROWS_ALWAYS, 0, &d), CS_OK);
    ck_assert(d.written);
    /* Non-streaming table: never an event. */
    ck_assert_int_eq(tu_put(tu_s, plain, "k1", "v", NULL), CS_OK);
    ck_assert_uint_eq(tu_count_events(tu_s, plain), 0);

    evs_t *e = calloc(1, sizeof *e);
    ck_assert_uint_eq(read_part(id, 0, 1, 0, e), 3);
    changelog_event_t *a = &e->e[0].ev, *b = &e->e[1].ev, *c = &e->e[2].ev;
    ck_assert_uint_eq(a->seq, 1);
    ck_assert_int_eq(a->kind, CHANGELOG_PUT);
    ck_assert_int_eq(a->mod_ms, 5000);
    ck_assert_int_eq(a->event_ms, 5000);
    ck_assert_int_eq(a->exp_ms, 9000);
    ck_assert_uint_eq(a->version, r1.version);
    ck_assert(!a->has_prev);
    ck_assert_str_eq(e->e[0].key, "k1");
    ck_assert_str_eq(e->e[0].keymap, "km");
    ck_assert_str_eq(e->e[0].value, "v1");

    ck_assert_uint_eq(b->seq, 2);
    ck_assert_int_eq(b->kind, CHANGELOG_PUT);
    ck_assert_uint_eq(b->version, r2.version);
    ck_assert_int_eq(b->exp_ms, 9000);        /* kept: update_ttl false */
    ck_assert(b->has_prev);
    ck_assert_str_eq(e->e[1].prev, "v1");
    ck_assert_uint_eq(b->prev_version, r1.version);
    ck_assert_int_eq(b->prev_mod_ms, 5000);

    ck_assert_uint_eq(c->seq, 3);
    ck_assert_int_eq(c->kind, CHANGELOG_DELETE);
    ck_assert_int_eq(c->mod_ms, 7000);
    ck_assert_int_eq(c->exp_ms, 0);
    ck_assert_uint_eq(c->value_len, 0);
    ck_assert_str_eq(e->e[2].keymap, "km");
    ck_assert(c->has_prev);
    ck_assert_str_eq(e->e[2].prev, "v2");
    ck_assert_uint_eq(c->prev_version, r2.version);
    ck_assert_int_eq(c->prev_mod_ms, 6000);
    free(e);
    clock_use_real();
}
END_TEST

START_TEST(test_partitions_and_order)
{
    const uint32_t P = 4;
    uint64_t id = tu_table(tu_s, "acme", "s", true, P);
    /* 8 shards x 5 rows, interleaved; shard key = first 3 bytes. */
    for (int i = 0; i < 5; i++)
        for (int s = 0; s < 8; s++) {
            char key[16], val[16];
            snprintf(key, sizeof key, "u%02d-%d", s, i);
            snprintf(val, sizeof val, "%d", i);
            ck_assert_int_eq(tu_put_full(tu_s, id, key, 3, val, ROWS_ALWAYS, 0, 0, false, NULL),
                             CS_OK);
        }
    evs_t *e = calloc(1, sizeof *e);
    size_t total = 0;
    for (uint32_t p = 0; p < P; p++) {
        size_t n = read_part(id, p, 1, 0, e);
        total += n;
        int last_i[8];
        for (int s = 0; s < 8; s++)
            last_i[s] = -1;
        for (size_t j = 0; j < n; j++) {
            ck_assert_uint_eq(e->e[j].ev.seq, j + 1);       /* 1, 2, 3, ... */
            ck_assert_uint_eq(e->e[j].ev.partition, p);
            /* The partition is the shard key's, for every row of the shard. */
            ck_assert_uint_eq(part_of(e->e[j].key, 3, P), p);
            int s = (e->e[j].key[1] - '0') * 10 + (e->e[j].key[2] - '0');
            int i = atoi(e->e[j].value);
            ck_assert_int_eq(i, last_i[s] + 1);             /* per-shard write order */
            last_i[s] = i;
        }
    }
    ck_assert_uint_eq(total, 40);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 40);

    /* Read from the middle, with a cap, and stopping early. */
    uint32_t p = part_of("u00", 3, P);
    size_t n = read_part(id, p, 3, 2, e);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(e->e[0].ev.seq, 3);
    ck_assert_uint_eq(e->e[1].ev.seq, 4);
    e->stop_after = 1;
    ck_assert_uint_eq(read_part(id, p, 1, 0, e), 1);
    free(e);
}
END_TEST

static cs_err_t update_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    return tables_update(t, arg, err);
}

START_TEST(test_streaming_toggle_keeps_sequence)
{
    uint64_t id = tu_table(tu_s, "acme", "s", true, 1);
    ck_assert_int_eq(tu_put(tu_s, id, "a", "1", NULL), CS_OK);
    table_rec_t r;
    store_txn_t t;
    tu_begin(&t);
    ck_assert(tables_lookup_id(&t, id, false, &r));
    tu_end(&t);
    r.streaming = false;
    ck_assert_int_eq(store_write(tu_s, update_job, &r, NULL), CS_OK);
    ck_assert_int_eq(tu_put(tu_s, id, "a", "2", NULL), CS_OK);    /* not recorded */
    r.streaming = true;
    ck_assert_int_eq(store_write(tu_s, update_job, &r, NULL), CS_OK);
    ck_assert_int_eq(tu_put(tu_s, id, "a", "3", NULL), CS_OK);
    evs_t *e = calloc(1, sizeof *e);
    ck_assert_uint_eq(read_part(id, 0, 1, 0, e), 2);
    ck_assert_uint_eq(e->e[1].ev.seq, 2);
    ck_assert_str_eq(e->e[1].value, "3");
    ck_assert_str_eq(e->e[1].prev, "2");
    free(e);
}
END_TEST

/* ===================================================================== */
/* bounds, time, retention                                               */
/* ===================================================================== */

static void bounds(uint64_t id, uint32_t p, uint64_t *first, uint64_t *next)
{
    store_txn_t t;
    tu_begin(&t);
    ck_assert_int_eq(changelog_bounds(&t, id, p, first, next, NULL), CS_OK);
    tu_end(&t);
}

static uint64_t seek(uint64_t id, int64_t ms)
{
    store_txn_t t;
    uint64_t seq;
    tu_begin(&t);
    ck_assert_int_eq(changelog_seek_time(&t, id, 0, ms, &seq, NULL), CS_OK);
    tu_end(&t);
    return seq;
}

static cs_err_t purge_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    int64_t *a = arg;   /* [older_than, max, purged out, more out] */
    size_t purged;
    bool more;
    cs_err_t rc = changelog_purge(t, a[0], (size_t)a[1], &purged, &more, err);
    a[2] = (int64_t)purged;
    a[3] = more;
    return rc;
}

/* Events of one-partition table at times 100, 200, ..., n*100. */
static uint64_t timed_table(int n)
{
    uint64_t id = tu_table(tu_s, "acme", "timed", true, 1);
    for (int i = 1; i <= n; i++) {
        clock_set_ms(i * 100);
        char key[8];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(tu_put(tu_s, id, key, "v", NULL), CS_OK);
    }
    return id;
}

START_TEST(test_bounds_and_seek)
{
    uint64_t first, next;
    uint64_t id = timed_table(5);
    bounds(id, 0, &first, &next);
    ck_assert_uint_eq(first, 1);
    ck_assert_uint_eq(next, 6);
    ck_assert_uint_eq(seek(id, 0), 1);
    ck_assert_uint_eq(seek(id, 100), 1);
    ck_assert_uint_eq(seek(id, 101), 2);
    ck_assert_uint_eq(seek(id, 300), 3);
    ck_assert_uint_eq(seek(id, 500), 5);
    ck_assert_uint_eq(seek(id, 501), 6);
    /* The clock going back does not make event time go back. */
    clock_set_ms(50);
    ck_assert_int_eq(tu_put(tu_s, id, "late", "v", NULL), CS_OK);
    evs_t *e = calloc(1, sizeof *e);
    ck_assert_uint_eq(read_part(id, 0, 6, 0, e), 1);
    ck_assert_int_eq(e->e[0].ev.mod_ms, 50);
    ck_assert_int_eq(e->e[0].ev.event_ms, 500);
    free(e);
    ck_assert_uint_eq(seek(id, 501), 7);
    /* A partition never written. */
    uint64_t other = tu_table(tu_s, "acme", "other", true, 3);
    bounds(other, 2, &first, &next);
    ck_assert_uint_eq(first, 1);
    ck_assert_uint_eq(next, 1);
    clock_use_real();
}
END_TEST

START_TEST(test_purge_by_time)
{
    uint64_t id = timed_table(10);
    uint64_t plain_events = 0;
    int64_t a[4] = { 450, 1000, 0, 0 };
    ck_assert_int_eq(store_write(tu_s, purge_job, a, NULL), CS_OK);
    ck_assert_int_eq(a[2], 4);             /* 100..400 */
    ck_assert_uint_eq(tu_count_events(tu_s, id), 6);
    uint64_t first, next;
    bounds(id, 0, &first, &next);
    ck_assert_uint_eq(first, 5);
    ck_assert_uint_eq(next, 11);
    ck_assert_uint_eq(seek(id, 0), 5);
    /* Sequences never go back: the next event is 11. */
    clock_set_ms(2000);
    ck_assert_int_eq(tu_put(tu_s, id, "new", "v", NULL), CS_OK);
    evs_t *e = calloc(1, sizeof *e);
    ck_assert_uint_eq(read_part(id, 0, 1, 0, e), 7);
    ck_assert_uint_eq(e->e[0].ev.seq, 5);
    ck_assert_uint_eq(e->e[6].ev.seq, 11);
    /* Bounded work: 2 per call. */
    a[0] = 1001; a[1] = 2;     /* strictly older than: 500..1000 go */
    ck_assert_int_eq(store_write(tu_s, purge_job, a, NULL), CS_OK);
    ck_assert_int_eq(a[2], 2);
    ck_assert(a[3]);
    int calls = 1;
    while (a[3] && calls < 20) {
        ck_assert_int_eq(store_write(tu_s, purge_job, a, NULL), CS_OK);
        calls++;
    }
    ck_assert(!a[3]);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 1);   /* only the 2000 one */
    ck_assert_uint_eq(read_part(id, 0, 1, 0, e), 1);
    ck_assert_uint_eq(e->e[0].ev.seq, 11);
    /* Purging everything leaves the counter: bounds (12, 12). */
    a[0] = INT64_MAX; a[1] = 1000;
    ck_assert_int_eq(store_write(tu_s, purge_job, a, NULL), CS_OK);
    bounds(id, 0, &first, &next);
    ck_assert_uint_eq(first, 12);
    ck_assert_uint_eq(next, 12);
    ck_assert_uint_eq(tu_count_events(tu_s, id), plain_events);
    free(e);
    clock_use_real();
}
END_TEST

START_TEST(test_purge_many_partitions)
{
    /* Several tables and partitions: retention reaches all of them. */
    clock_set_ms(1000);
    uint64_t ids[3];
    for (int t = 0; t < 3; t++) {
        char name[8];
        snprintf(name, sizeof name, "t%d", t);
        ids[t] = tu_table(tu_s, "acme", name, true, 5);
        for (int i = 0; i < 20; i++) {
            char key[8];
            snprintf(key, sizeof key, "%c%d", 'a' + i, i);
            ck_assert_int_eq(tu_put(tu_s, ids[t], key, "v", NULL), CS_OK);
        }
    }
    clock_set_ms(5000);
    for (int t = 0; t < 3; t++)
        ck_assert_int_eq(tu_put(tu_s, ids[t], "zz", "v", NULL), CS_OK);
    int64_t a[4] = { 2000, 7, 0, 0 };
    size_t total = 0;
    int calls = 0;
    do {
        ck_assert_int_eq(store_write(tu_s, purge_job, a, NULL), CS_OK);
        ck_assert_int_le(a[2], 7);
        total += (size_t)a[2];
        calls++;
    } while (a[3] && calls < 100);
    ck_assert(!a[3]);
    ck_assert_uint_eq(total, 60);
    for (int t = 0; t < 3; t++)
        ck_assert_uint_eq(tu_count_events(tu_s, ids[t]), 1);
    clock_use_real();
}
END_TEST

static Suite *changelog_suite(void)
{
    Suite *s = suite_create("changelog");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_test(core, test_hash_is_fnv1a);
    tcase_add_test(core, test_one_event_per_write);
    tcase_add_test(core, test_partitions_and_order);
    tcase_add_test(core, test_streaming_toggle_keeps_sequence);
    tcase_add_test(core, test_bounds_and_seek);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Retention");
    tu_add_fixtures(lim);
    tcase_add_test(lim, test_purge_by_time);
    tcase_add_test(lim, test_purge_many_partitions);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(changelog_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
