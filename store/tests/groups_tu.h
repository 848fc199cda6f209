/*
 * groups_tu.h - helpers for the consumer-group suites (header-only, on top
 * of test_util.h): every group operation run through store_write like the
 * server does, polls collected into copies, views read in a read txn.
 */
#ifndef STORE_GROUPS_TU_H
#define STORE_GROUPS_TU_H

#include "test_util.h"

#include "groups.h"

#define GT_MAXEV 4096
#define TENANT "acme"

/* One delivered event, copied. */
typedef struct gev {
    uint64_t table_id;
    uint32_t partition;
    uint64_t seq, version;
    int kind;
    char key[32], value[32];
} gev_t;

typedef struct gpoll {
    gev_t ev[GT_MAXEV];
    size_t n;
    size_t stop_at;          /* refuse the event after this many, 0 = never */
    uint64_t poll_seq;
    int64_t remaining;
} gpoll_t;

static bool gt_emit(void *ctx, uint64_t table_id, const changelog_event_t *ev)
{
    gpoll_t *p = ctx;
    if (p->n >= GT_MAXEV || (p->stop_at && p->n >= p->stop_at))
        return false;
    ck_assert_uint_eq(table_id, ev->table_id);
    gev_t *g = &p->ev[p->n++];
    g->table_id = ev->table_id;
    g->partition = ev->partition;
    g->seq = ev->seq;
    g->version = ev->version;
    g->kind = (int)ev->kind;
    snprintf(g->key, sizeof g->key, "%.*s", (int)ev->key_len, (const char *)ev->key);
    snprintf(g->value, sizeof g->value, "%.*s", (int)ev->value_len,
             ev->value ? (const char *)ev->value : "");
    return true;
}

enum { GJ_CREATE, GJ_POLL, GJ_COMMIT, GJ_RESET, GJ_CLOSE, GJ_UPDATE, GJ_DELETE, GJ_EXPIRE,
       GJ_DROP, GJ_PURGE };

typedef struct gjob {
    int op;
    const char *tenant, *compartment, *group_id;
    const group_table_spec_t *specs;
    const bool *remove;
    size_t n;
    bool manual, force;
    int64_t max_poll_ms, now_ms, tomb_ms;
    uint64_t cid, upto, table_id;
    uint32_t limit;
    gpoll_t *poll;
    size_t done;
} gjob_t;

static cs_err_t gt_job(store_txn_t *t, void *arg, cs_error_t *err)
{
    gjob_t *j = arg;
    size_t purged;
    bool more;
    switch (j->op) {
    case GJ_CREATE:
        return group_consumer_create(t, j->tenant, j->compartment, j->group_id, j->specs, j->n,
                                     j->manual, j->max_poll_ms, j->force, j->now_ms, &j->cid,
                                     err);
    case GJ_POLL:
        return group_poll(t, j->cid, j->tenant, j->limit, j->now_ms, gt_emit, j->poll,
                          &j->poll->poll_seq, &j->poll->remaining, err);
    case GJ_COMMIT:
        return group_commit(t, j->cid, j->tenant, j->upto, j->now_ms, err);
    case GJ_RESET:
        return group_reset(t, j->cid, j->tenant, j->now_ms, err);
    case GJ_CLOSE:
        return group_close(t, j->cid, j->tenant, j->now_ms, err);
    case GJ_UPDATE:
        return group_update(t, j->cid, j->tenant, j->specs, j->n, j->remove, j->now_ms, err);
    case GJ_DELETE:
        return group_delete(t, j->tenant, j->compartment, j->group_id, j->force, j->now_ms,
                            err);
    case GJ_EXPIRE:
        return groups_expire(t, j->now_ms, j->tomb_ms, j->n, &j->done, err);
    case GJ_DROP:
        return tables_drop(t, j->table_id, err);
    case GJ_PURGE:
        return changelog_purge(t, j->now_ms, 1000000, &purged, &more, err);
    }
    return CS_EINVAL;
}

static cs_err_t gt_run(gjob_t *j, cs_error_t *e)
{
    if (!j->tenant)
        j->tenant = TENANT;
    cs_error_clear(e);
    return store_write(tu_s, gt_job, j, e);
}

/* One table spec. */
static inline group_table_spec_t gt_spec(uint64_t table, group_start_t start, int64_t at_ms)
{
    group_table_spec_t s = { table, start, at_ms };
    return s;
}

/* Create a consumer, asserting success. */
static inline uint64_t gt_create(const char *group, const group_table_spec_t *specs, size_t n,
                                 bool manual, int64_t max_poll_ms, int64_t now_ms)
{
    gjob_t j = { .op = GJ_CREATE, .compartment = "", .group_id = group, .specs = specs,
                 .n = n, .manual = manual, .max_poll_ms = max_poll_ms, .now_ms = now_ms };
    cs_error_t e;
    cs_err_t rc = gt_run(&j, &e);
    ck_assert_msg(rc == CS_OK, "create consumer in %s: %s", group, e.msg);
    ck_assert_uint_gt(j.cid, 0);
    return j.cid;
}

/* A consumer on one table starting at `start`. */
static inline uint64_t gt_create1(const char *group, uint64_t table, group_start_t start,
                                  bool manual, int64_t now_ms)
{
    group_table_spec_t s = gt_spec(table, start, 0);
    return gt_create(group, &s, 1, manual, 0, now_ms);
}

/* Poll; returns the rc, events in *p. */
static inline cs_err_t gt_poll_rc(uint64_t cid, uint32_t limit, int64_t now_ms, gpoll_t *p,
                                  cs_error_t *e)
{
    gjob_t j = { .op = GJ_POLL, .cid = cid, .limit = limit, .now_ms = now_ms, .poll = p };
    p->n = 0;
    return gt_run(&j, e);
}

static inline size_t gt_poll(uint64_t cid, uint32_t limit, int64_t now_ms, gpoll_t *p)
{
    cs_error_t e;
    cs_err_t rc = gt_poll_rc(cid, limit, now_ms, p, &e);
    ck_assert_msg(rc == CS_OK, "poll %llu: %s", (unsigned long long)cid, e.msg);
    return p->n;
}

static inline cs_err_t gt_simple(int op, uint64_t cid, uint64_t upto, int64_t now_ms,
                                 cs_error_t *e)
{
    gjob_t j = { .op = op, .cid = cid, .upto = upto, .now_ms = now_ms };
    return gt_run(&j, e);
}

static inline void gt_ok(int op, uint64_t cid, uint64_t upto, int64_t now_ms)
{
    cs_error_t e;
    cs_err_t rc = gt_simple(op, cid, upto, now_ms, &e);
    ck_assert_msg(rc == CS_OK, "op %d on %llu: %s", op, (unsigned long long)cid, e.msg);
}

static inline cs_err_t gt_delete(const char *group, bool force, int64_t now_ms, cs_error_t *e)
{
    gjob_t j = { .op = GJ_DELETE, .compartment = "", .group_id = group, .force = force,
                 .now_ms = now_ms };
    return gt_run(&j, e);
}

static inline cs_err_t gt_update(uint64_t cid, const group_table_spec_t *specs, size_t n,
                                 const bool *remove, int64_t now_ms, cs_error_t *e)
{
    gjob_t j = { .op = GJ_UPDATE, .cid = cid, .specs = specs, .n = n, .remove = remove,
                 .now_ms = now_ms };
    return gt_run(&j, e);
}

static inline void gt_drop_table(uint64_t table)
{
    gjob_t j = { .op = GJ_DROP, .table_id = table };
    cs_error_t e;
    ck_assert_msg(gt_run(&j, &e) == CS_OK, "drop: %s", e.msg);
}

/* Purge events with event time < older_than_ms. */
static inline void gt_purge(int64_t older_than_ms)
{
    gjob_t j = { .op = GJ_PURGE, .now_ms = older_than_ms };
    cs_error_t e;
    ck_assert_msg(gt_run(&j, &e) == CS_OK, "purge: %s", e.msg);
}

static inline size_t gt_expire(int64_t now_ms, int64_t tomb_ms, size_t max_work)
{
    gjob_t j = { .op = GJ_EXPIRE, .now_ms = now_ms, .tomb_ms = tomb_ms, .n = max_work };
    cs_error_t e;
    ck_assert_msg(gt_run(&j, &e) == CS_OK, "expire: %s", e.msg);
    return j.done;
}

/* The consumer's state check, in a read txn. */
static inline cs_err_t gt_get(uint64_t cid, const char *tenant, consumer_info_t *ci,
                              cs_error_t *e)
{
    store_txn_t t;
    tu_begin(&t);
    cs_err_t rc = group_consumer_get(&t, cid, tenant, ci, e);
    tu_end(&t);
    return rc;
}

/* A group's view (free with group_view_free), asserting it exists. */
static inline void gt_view(const char *group, int64_t now_ms, group_view_t *v)
{
    store_txn_t t;
    cs_error_t e;
    tu_begin(&t);
    cs_err_t rc = group_view_get(&t, TENANT, "", group, now_ms, v, &e);
    tu_end(&t);
    ck_assert_msg(rc == CS_OK, "view %s: %s", group, e.msg);
}

/* Committed position of (table, partition) in a group. */
static inline uint64_t gt_committed(const char *group, uint64_t table, uint32_t part)
{
    group_view_t v;
    uint64_t c = 0;
    bool found = false;
    gt_view(group, 0, &v);
    for (size_t i = 0; i < v.n_parts; i++)
        if (v.parts[i].table_id == table && v.parts[i].partition == part) {
            c = v.parts[i].committed;
            found = true;
        }
    group_view_free(&v);
    ck_assert_msg(found, "no position for table %llu partition %u",
                  (unsigned long long)table, part);
    return c;
}

/* Put key=value (shard key = first byte) at time ms. */
static inline void gt_put_at(uint64_t table, const char *key, const char *value, int64_t ms)
{
    clock_set_ms(ms);
    ck_assert_int_eq(tu_put(tu_s, table, key, value, NULL), CS_OK);
}

/* Does the poll hold an event with this key and value? */
static inline bool gt_has(const gpoll_t *p, const char *key, const char *value)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->ev[i].key, key) == 0 && (!value || strcmp(p->ev[i].value, value) == 0))
            return true;
    return false;
}

#endif
