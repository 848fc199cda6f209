/*
 * test_util.h - shared fixtures for the store's Check suites (header-only:
 * the Makefile builds one binary per check_*.c with no support objects).
 *
 * Each TCase gets a parent temp dir (unchecked fixture, in the parent
 * process, removed with everything under it at the end even when a test
 * failed in its forked child); each test gets a fresh store in its own
 * subdirectory (checked fixture). Helpers run the common jobs through
 * store_write so tests exercise the same path as the server.
 */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "changelog.h"
#include "clock.h"
#include "rows.h"
#include "store.h"
#include "tables.h"

static char tu_parent[256];   /* per-TCase temp dir */
static char tu_dir[300];      /* this test's data dir */
static store_t *tu_s;         /* this test's store */
static int tu_seq;

static inline int tu_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static inline void tu_rm_rf(const char *path)
{
    nftw(path, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void tu_parent_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(tu_parent, sizeof tu_parent, "%s/csemu-store-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(tu_parent)) {
        perror("mkdtemp");
        abort();
    }
}

static inline void tu_parent_teardown(void)
{
    tu_rm_rf(tu_parent);
}

static inline store_t *tu_open_opts(size_t map_size, bool sync)
{
    store_opts_t o = { tu_dir, map_size, sync };
    cs_error_t e;
    store_t *s = NULL;
    cs_err_t rc = store_open(&o, &s, &e);
    ck_assert_msg(rc == CS_OK, "store_open: %s", e.msg);
    return s;
}

/* Fresh dir, store opened with defaults, real clock. */
static inline void tu_setup(void)
{
    clock_use_real();
    snprintf(tu_dir, sizeof tu_dir, "%s/t%d-%d", tu_parent, (int)getpid(), tu_seq++);
    tu_s = tu_open_opts(64u << 20, false);
}

static inline void tu_teardown(void)
{
    store_close(tu_s);
    tu_s = NULL;
    tu_rm_rf(tu_dir);
}

static inline void tu_add_fixtures(TCase *tc)
{
    tcase_add_unchecked_fixture(tc, tu_parent_setup, tu_parent_teardown);
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
}

/* ---- jobs ---- */

static inline cs_err_t tu_create_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    return tables_create(t, arg, err);
}

/* Create a table, return its id (asserts success). */
static inline uint64_t tu_table(store_t *s, const char *tenant, const char *name,
                         bool streaming, uint32_t partitions)
{
    table_rec_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.tenant, sizeof r.tenant, "%s", tenant);
    snprintf(r.compartment, sizeof r.compartment, "%s", "comp");
    snprintf(r.name, sizeof r.name, "%s", name);
    r.streaming = streaming;
    r.partitions = partitions;
    cs_error_t e;
    cs_err_t rc = store_write(s, tu_create_job, &r, &e);
    ck_assert_msg(rc == CS_OK, "create %s: %s", name, e.msg);
    return r.id;
}

typedef struct tu_put {
    rows_put_args_t args;
    rows_delete_args_t dargs;
    bool is_delete;
    arena_t arena;
    rows_result_t res;
} tu_put_t;

static inline cs_err_t tu_put_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    tu_put_t *p = arg;
    if (p->is_delete)
        return rows_delete(t, &p->dargs, &p->arena, &p->res, err);
    return rows_put(t, &p->args, &p->arena, &p->res, err);
}

/* Put key -> value (strings; the shard key is the first shard_len bytes). */
static inline cs_err_t tu_put_full(store_t *s, uint64_t table, const char *key, size_t shard_len,
                            const char *value, rows_cond_t cond, uint64_t match,
                            int64_t exp_ms, bool update_ttl, rows_result_t *res)
{
    tu_put_t p;
    memset(&p, 0, sizeof p);
    arena_init(&p.arena, 1u << 20);
    p.args.table_id = table;
    p.args.key = (const uint8_t *)key;
    p.args.klen = strlen(key);
    p.args.shard_len = shard_len;
    p.args.keymap = (const uint8_t *)"km";
    p.args.keymap_len = 2;
    p.args.value = (const uint8_t *)value;
    p.args.value_len = strlen(value);
    p.args.cond = cond;
    p.args.match_version = match;
    p.args.exp_ms = exp_ms;
    p.args.update_ttl = update_ttl;
    p.args.now_ms = clock_now_ms();
    cs_error_t e;
    cs_err_t rc = store_write(s, tu_put_job, &p, &e);
    if (res) {
        *res = p.res;
        memset(&res->existing, 0, sizeof res->existing);
        res->existing.version = p.res.existing.version;
        res->existing.mod_ms = p.res.existing.mod_ms;
        res->existing.exp_ms = p.res.existing.exp_ms;
    }
    arena_free(&p.arena);
    return rc;
}

static inline cs_err_t tu_put(store_t *s, uint64_t table, const char *key, const char *value,
                       rows_result_t *res)
{
    return tu_put_full(s, table, key, 1, value, ROWS_ALWAYS, 0, 0, false, res);
}

static inline cs_err_t tu_del(store_t *s, uint64_t table, const char *key, rows_cond_t cond,
                       uint64_t match, rows_result_t *res)
{
    tu_put_t p;
    memset(&p, 0, sizeof p);
    arena_init(&p.arena, 1u << 20);
    p.is_delete = true;
    p.dargs.table_id = table;
    p.dargs.key = (const uint8_t *)key;
    p.dargs.klen = strlen(key);
    p.dargs.shard_len = 1;
    p.dargs.cond = cond;
    p.dargs.match_version = match;
    p.dargs.now_ms = clock_now_ms();
    cs_error_t e;
    cs_err_t rc = store_write(s, tu_put_job, &p, &e);
    if (res) {
        *res = p.res;
        memset(&res->existing, 0, sizeof res->existing);
        res->existing.version = p.res.existing.version;
    }
    arena_free(&p.arena);
    return rc;
}

/* Read a row's value into out (NUL-terminated); false if absent. */
static inline bool tu_get(store_t *s, uint64_t table, const char *key, char *out, size_t outsz,
                   row_rec_t *meta)
{
    store_txn_t t;
    ck_assert_int_eq(store_read_begin(s, &t, NULL), CS_OK);
    arena_t a;
    arena_init(&a, 0);
    row_rec_t r;
    bool found = rows_get(&t, table, (const uint8_t *)key, strlen(key), clock_now_ms(), &a, &r);
    ck_assert_int_eq(t.ret, CS_OK);
    if (found) {
        size_t n = r.value_len < outsz - 1 ? r.value_len : outsz - 1;
        memcpy(out, r.value, n);
        out[n] = '\0';
        if (meta) {
            *meta = r;
            meta->keymap = meta->value = NULL;
        }
    }
    arena_free(&a);
    store_read_end(&t);
    return found;
}

static inline bool tu_count_visit(const uint8_t *k, size_t kl, const row_rec_t *r, void *ctx)
{
    (void)k; (void)kl; (void)r;
    (*(size_t *)ctx)++;
    return true;
}

/* Live rows of a table. */
static inline size_t tu_count_rows(store_t *s, uint64_t table)
{
    store_txn_t t;
    ck_assert_int_eq(store_read_begin(s, &t, NULL), CS_OK);
    size_t n = 0;
    rows_range_t all = { 0 };
    ck_assert_int_eq(rows_scan(&t, table, &all, clock_now_ms(), tu_count_visit, &n, NULL), CS_OK);
    store_read_end(&t);
    return n;
}

/* Retained events of a table. */
static inline uint64_t tu_count_events(store_t *s, uint64_t table)
{
    store_txn_t t;
    uint64_t n = 0;
    ck_assert_int_eq(store_read_begin(s, &t, NULL), CS_OK);
    ck_assert_int_eq(changelog_count(&t, table, &n, NULL), CS_OK);
    store_read_end(&t);
    return n;
}

/* Begin a read txn (asserting success) / end it asserting no error stuck. */
static inline void tu_begin(store_txn_t *t)
{
    ck_assert_int_eq(store_read_begin(tu_s, t, NULL), CS_OK);
}

static inline void tu_end(store_txn_t *t)
{
    ck_assert_msg(t->ret == CS_OK, "txn error: %s", t->err.msg);
    store_read_end(t);
}

#endif
