/* check_tables.c - the table catalog through tables.h. */
#include "test_util.h"

#include <inttypes.h>

/* Run the block in a read txn t and assert it left no error. */
#define WITH_READ(t) \
    for (store_txn_t t, *t##_once = (tu_begin(&t), &t); t##_once; tu_end(&t), t##_once = NULL)

static cs_err_t update_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    return tables_update(t, arg, err);
}

static cs_err_t drop_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    return tables_drop(t, *(uint64_t *)arg, err);
}

static cs_err_t create_rec(const char *tenant, const char *comp, const char *name,
                           uint64_t parent, const char *meta, table_rec_t *r, cs_error_t *e)
{
    memset(r, 0, sizeof *r);
    snprintf(r->tenant, sizeof r->tenant, "%s", tenant);
    snprintf(r->compartment, sizeof r->compartment, "%s", comp);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->parent_id = parent;
    r->meta_json = (char *)meta;
    return store_write(tu_s, tu_create_job, r, e);
}

START_TEST(test_create_and_lookup)
{
    clock_set_ms(1700000000000LL);
    table_rec_t r, got;
    cs_error_t e;
    ck_assert_int_eq(create_rec("acme", "c1", "Users", 0, "{\"schema\":1}", &r, &e), CS_OK);
    ck_assert_uint_ne(r.id, 0);
    ck_assert_uint_eq(r.version, 1);
    ck_assert_int_eq(r.created_ms, 1700000000000LL);
    char want[64];
    snprintf(want, sizeof want, "ocid1.nosqltable.oc1.csemu.%016" PRIx64, r.id);
    ck_assert_str_eq(r.ocid, want);

    WITH_READ(t) {
        ck_assert(tables_lookup_name(&t, "acme", "USERS", true, &got));
        ck_assert_str_eq(got.name, "Users");
        ck_assert_str_eq(got.compartment, "c1");
        ck_assert_str_eq(got.meta_json, "{\"schema\":1}");
        ck_assert_str_eq(got.ocid, want);
        table_rec_free(&got);
        ck_assert_ptr_null(got.meta_json);
        ck_assert(tables_lookup_name(&t, "acme", "users", false, &got));
        ck_assert_ptr_null(got.meta_json);
        ck_assert(!tables_lookup_name(&t, "other", "users", false, &got));
        ck_assert(!tables_lookup_name(&t, "acme", "user", false, &got));
        ck_assert(tables_lookup_id(&t, r.id, false, &got));
        ck_assert_str_eq(got.tenant, "acme");
        ck_assert(tables_lookup_ocid(&t, "acme", want, false, &got));
        ck_assert_uint_eq(got.id, r.id);
        /* Another tenant's OCID is not found; neither is garbage. */
        ck_assert(!tables_lookup_ocid(&t, "evil", want, false, &got));
        ck_assert(!tables_lookup_ocid(&t, "acme", "ocid1.nosqltable.oc1.csemu.zz", false, &got));
        ck_assert(!tables_lookup_ocid(&t, "acme", "", false, &got));
    }
    clock_use_real();
}
END_TEST

START_TEST(test_create_exists_case_insensitive)
{
    table_rec_t r;
    cs_error_t e;
    ck_assert_int_eq(create_rec("acme", "c", "Users", 0, NULL, &r, &e), CS_OK);
    uint64_t first = r.id;
    ck_assert_int_eq(create_rec("acme", "c", "uSERS", 0, NULL, &r, &e), CS_ETABLEEXISTS);
    ck_assert(strstr(e.msg, "uSERS") != NULL);
    /* Same name, other tenant: fine, and ids never repeat. */
    ck_assert_int_eq(create_rec("other", "c", "users", 0, NULL, &r, &e), CS_OK);
    ck_assert_uint_gt(r.id, first);
}
END_TEST

START_TEST(test_list_paging)
{
    const char *names[] = { "delta", "Alpha", "charlie", "Bravo", "echo" };
    table_rec_t r;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(create_rec("acme", i % 2 ? "odd" : "even", names[i], 0, NULL, &r, NULL),
                         CS_OK);
    ck_assert_int_eq(create_rec("zzz", "c", "aaa", 0, NULL, &r, NULL), CS_OK);
    tables_list_t l;
    WITH_READ(t) {
        ck_assert_int_eq(tables_list(&t, "acme", NULL, 0, 0, &l, NULL), CS_OK);
        ck_assert_uint_eq(l.n, 5);
        ck_assert(!l.more);
        const char *sorted[] = { "Alpha", "Bravo", "charlie", "delta", "echo" };
        for (int i = 0; i < 5; i++)
            ck_assert_str_eq(l.recs[i].name, sorted[i]);
        tables_list_free(&l);

        ck_assert_int_eq(tables_list(&t, "acme", NULL, 0, 2, &l, NULL), CS_OK);
        ck_assert_uint_eq(l.n, 2);
        ck_assert(l.more);
        ck_assert_uint_eq(l.next_index, 2);
        ck_assert_str_eq(l.recs[1].name, "Bravo");
        tables_list_free(&l);

        ck_assert_int_eq(tables_list(&t, "acme", NULL, 4, 2, &l, NULL), CS_OK);
        ck_assert_uint_eq(l.n, 1);
        ck_assert(!l.more);
        ck_assert_str_eq(l.recs[0].name, "echo");
        ck_assert_uint_eq(l.next_index, 5);
        tables_list_free(&l);

        ck_assert_int_eq(tables_list(&t, "acme", NULL, 9, 2, &l, NULL), CS_OK);
        ck_assert_uint_eq(l.n, 0);
        tables_list_free(&l);

        ck_assert_int_eq(tables_list(&t, "acme", "odd", 0, 0, &l, NULL), CS_OK);
        ck_assert_uint_eq(l.n, 2);
        ck_assert_str_eq(l.recs[0].name, "Alpha");
        ck_assert_str_eq(l.recs[1].name, "Bravo");
        tables_list_free(&l);

        ck_assert_int_eq(tables_list(&t, "nobody", NULL, 0, 0, &l, NULL), CS_OK);
        ck_assert_uint_eq(l.n, 0);
        tables_list_free(&l);
    }
}
END_TEST

START_TEST(test_update)
{
    table_rec_t r, got;
    cs_error_t e;
    clock_set_ms(1000);
    ck_assert_int_eq(create_rec("acme", "c", "t", 0, "{\"v\":1}", &r, &e), CS_OK);
    clock_set_ms(2000);
    r.meta_json = NULL;            /* keep the stored blob */
    r.streaming = true;
    r.partitions = 4;
    ck_assert_int_eq(store_write(tu_s, update_job, &r, &e), CS_OK);
    ck_assert_uint_eq(r.version, 2);
    ck_assert_int_eq(r.modified_ms, 2000);
    ck_assert_int_eq(r.streaming_since_ms, 2000);
    WITH_READ(t) {
        ck_assert(tables_lookup_id(&t, r.id, true, &got));
        ck_assert(got.streaming);
        ck_assert_uint_eq(got.partitions, 4);
        ck_assert_uint_eq(got.version, 2);
        ck_assert_int_eq(got.created_ms, 1000);
        ck_assert_str_eq(got.meta_json, "{\"v\":1}");
        table_rec_free(&got);
    }
    /* New meta, streaming off; partitions stay fixed. */
    r.meta_json = "{\"v\":2}";
    r.streaming = false;
    ck_assert_int_eq(store_write(tu_s, update_job, &r, &e), CS_OK);
    ck_assert_uint_eq(r.version, 3);
    r.partitions = 8;
    ck_assert_int_eq(store_write(tu_s, update_job, &r, &e), CS_ESTATE);
    r.partitions = 4;
    r.streaming = true;
    r.streaming_since_ms = 0;
    clock_set_ms(3000);
    ck_assert_int_eq(store_write(tu_s, update_job, &r, &e), CS_OK);
    WITH_READ(t) {
        ck_assert(tables_lookup_id(&t, r.id, true, &got));
        ck_assert_str_eq(got.meta_json, "{\"v\":2}");
        ck_assert_uint_eq(got.version, 4);
        ck_assert_int_eq(got.streaming_since_ms, 3000);
        table_rec_free(&got);
    }
    r.id = 999999;
    ck_assert_int_eq(store_write(tu_s, update_job, &r, &e), CS_ENOTABLE);
    clock_use_real();
}
END_TEST

START_TEST(test_drop_removes_everything)
{
    uint64_t id = tu_table(tu_s, "acme", "Drop", true, 3);
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof key, "%c-%d", 'a' + i % 5, i);
        ck_assert_int_eq(tu_put(tu_s, id, key, "v", NULL), CS_OK);
    }
    ck_assert_uint_eq(tu_count_events(tu_s, id), 20);
    cs_error_t e;
    ck_assert_int_eq(store_write(tu_s, drop_job, &id, &e), CS_OK);
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 0);
    ck_assert_uint_eq(tu_count_events(tu_s, id), 0);
    table_rec_t got;
    WITH_READ(t) {
        ck_assert(!tables_lookup_name(&t, "acme", "drop", false, &got));
        ck_assert(!tables_lookup_id(&t, id, false, &got));
        uint64_t first, next;
        ck_assert_int_eq(changelog_bounds(&t, id, 0, &first, &next, NULL), CS_OK);
        ck_assert_uint_eq(next, 1);  /* counters gone with the table */
    }
    ck_assert_int_eq(store_write(tu_s, drop_job, &id, &e), CS_ENOTABLE);
    /* Re-created under the same name: a new id, nothing inherited. */
    uint64_t id2 = tu_table(tu_s, "acme", "drop", true, 3);
    ck_assert_uint_ne(id2, id);
    ck_assert_uint_eq(tu_count_rows(tu_s, id2), 0);
    /* Writes to the dropped id fail. */
    ck_assert_int_eq(tu_put(tu_s, id, "a", "v", NULL), CS_ENOTABLE);
}
END_TEST

START_TEST(test_child_tables)
{
    table_rec_t p, c, c2;
    cs_error_t e;
    ck_assert_int_eq(create_rec("acme", "c", "Parent", 0, NULL, &p, &e), CS_OK);
    ck_assert_int_eq(create_rec("acme", "c", "Parent.child", p.id, NULL, &c, &e), CS_OK);
    ck_assert_int_eq(create_rec("acme", "c", "Parentx", 0, NULL, &c2, &e), CS_OK);
    ck_assert_int_eq(create_rec("acme", "c", "x.y", 424242, NULL, &c2, &e), CS_ENOTABLE);
    ck_assert_int_eq(store_write(tu_s, drop_job, &p.id, &e), CS_ESTATE);
    ck_assert(strstr(e.msg, "child") != NULL);
    ck_assert_int_eq(store_write(tu_s, drop_job, &c.id, &e), CS_OK);
    ck_assert_int_eq(store_write(tu_s, drop_job, &p.id, &e), CS_OK);
}
END_TEST

typedef struct bulk { uint64_t table; int from, n; } bulk_t;

static cs_err_t bulk_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    bulk_t *b = arg;
    for (int i = b->from; i < b->from + b->n; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%06d", i);
        rows_put_args_t a = { .table_id = b->table, .key = (const uint8_t *)key,
                              .klen = strlen(key), .shard_len = 3,
                              .value = (const uint8_t *)"v", .value_len = 1, .now_ms = 1 };
        rows_result_t res;
        if (rows_put(t, &a, NULL, &res, err) != CS_OK)
            return err->code;
    }
    return CS_OK;
}

static cs_err_t reap_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    return tables_reap(t, 4000, arg, err);
}

START_TEST(test_drop_big_table_is_bounded)
{
    uint64_t id = tu_table(tu_s, "acme", "big", true, 2);
    /* 8000 rows + 8000 events > TABLES_DROP_BUDGET (10000). */
    for (int i = 0; i < 8; i++) {
        bulk_t b = { id, i * 1000, 1000 };
        ck_assert_int_eq(store_write(tu_s, bulk_job, &b, NULL), CS_OK);
    }
    ck_assert_int_eq(store_write(tu_s, drop_job, &id, NULL), CS_OK);
    table_rec_t got;
    WITH_READ(t) ck_assert(!tables_lookup_id(&t, id, false, &got));
    ck_assert_uint_eq(tu_count_rows(tu_s, id), 0);
    ck_assert_uint_gt(tu_count_events(tu_s, id), 0);  /* left for the reaper */
    bool more = true;
    int rounds = 0;
    while (more && rounds < 10) {
        ck_assert_int_eq(store_write(tu_s, reap_job, &more, NULL), CS_OK);
        rounds++;
    }
    ck_assert(!more);
    ck_assert_int_eq(rounds, 2);  /* 6000 left at 4000 per round */
    ck_assert_uint_eq(tu_count_events(tu_s, id), 0);
    WITH_READ(t) {
        uint64_t first, next;
        ck_assert_int_eq(changelog_bounds(&t, id, 1, &first, &next, NULL), CS_OK);
        ck_assert_uint_eq(next, 1);
    }
    /* Nothing left to do. */
    ck_assert_int_eq(store_write(tu_s, reap_job, &more, NULL), CS_OK);
    ck_assert(!more);
}
END_TEST

START_TEST(test_bad_fields)
{
    table_rec_t r;
    cs_error_t e;
    ck_assert_int_eq(create_rec("", "c", "t", 0, NULL, &r, &e), CS_EINVAL);
    ck_assert_int_eq(create_rec("acme", "c", "", 0, NULL, &r, &e), CS_EINVAL);
    memset(&r, 0, sizeof r);
    strcpy(r.tenant, "acme");
    strcpy(r.name, "s");
    r.streaming = true;          /* without partitions */
    ck_assert_int_eq(store_write(tu_s, tu_create_job, &r, &e), CS_EINVAL);
    r.partitions = TABLES_MAX_PARTITIONS + 1;
    ck_assert_int_eq(store_write(tu_s, tu_create_job, &r, &e), CS_EINVAL);
    r.partitions = 1;
    ck_assert_int_eq(store_write(tu_s, tu_create_job, &r, &e), CS_OK);
    /* A 255-byte name is fine (the longest that fits). */
    char longname[256];
    memset(longname, 'n', 255);
    longname[255] = '\0';
    ck_assert_int_eq(create_rec("acme", "c", longname, 0, NULL, &r, &e), CS_OK);
    WITH_READ(t) {
        table_rec_t got;
        ck_assert(tables_lookup_name(&t, "acme", longname, false, &got));
    }
    uint64_t id;
    ck_assert(!tables_ocid_to_id("ocid1.nosqltable.oc1.csemu.0000000000000000", &id));
    ck_assert(!tables_ocid_to_id("ocid1.nosqltable.oc1.csemu.00000000000000AB", &id));
    ck_assert(tables_ocid_to_id("ocid1.nosqltable.oc1.csemu.00000000000000ab", &id));
    ck_assert_uint_eq(id, 0xab);
}
END_TEST

static Suite *tables_suite(void)
{
    Suite *s = suite_create("tables");
    TCase *core = tcase_create("Core");
    tu_add_fixtures(core);
    tcase_add_test(core, test_create_and_lookup);
    tcase_add_test(core, test_create_exists_case_insensitive);
    tcase_add_test(core, test_list_paging);
    tcase_add_test(core, test_update);
    tcase_add_test(core, test_drop_removes_everything);
    tcase_add_test(core, test_child_tables);
    suite_add_tcase(s, core);

    TCase *lim = tcase_create("Limits");
    tu_add_fixtures(lim);
    tcase_set_timeout(lim, 120);
    tcase_add_test(lim, test_drop_big_table_is_bounded);
    tcase_add_test(lim, test_bad_fields);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tables_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
