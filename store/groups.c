/*
 * groups.c - Change Streams consumer groups (contract and model in groups.h).
 *
 * Invariants kept by every entry point, within its transaction:
 *   - every (table, partition) of a group's tables has exactly one `gpos`
 *     entry (committed position, owner, epoch);
 *   - a gpos owner != 0 is an ACTIVE member of the group (in `gmembers`), and
 *     that consumer has a `cparts` entry for the unit carrying the same epoch;
 *     a consumer has no other cparts entries;
 *   - `gmembers`, `cparts` and `cpolls` hold entries of ACTIVE consumers only:
 *     a consumer that ends loses all three in the same transaction;
 *   - committed positions move forward only, except by an explicit start
 *     position (table added, or force reset, which bumps the epoch so that
 *     older poll records can no longer commit).
 *
 * Files: groups_rec.c (keys, records), groups.c (this: internal
 * operations - positions, tables, membership, assignment, commit - and the
 * entry points except polls), groups_poll.c (polls), groups_view.c (views).
 */
#include "groups_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "buf.h"
#include "tables.h"

/* ===================================================================== */
/* internal operations                                                   */
/* ===================================================================== */

static void table_ocid(char *out, size_t n, uint64_t table_id)
{
    snprintf(out, n, TABLES_OCID_PREFIX "%016" PRIx64, table_id);
}

/* Check that a table may be added to a group of tenant: it exists, is the
 * tenant's, has streaming on with partitions, and the start kind is valid.
 * *parts gets its partition count. */
static cs_err_t table_check(store_txn_t *t, const char *tenant, const group_table_spec_t *s,
                            uint32_t *parts, cs_error_t *err)
{
    char ocid[64];
    table_rec_t rec;
    table_ocid(ocid, sizeof ocid, s->table_id);
    if (!tables_lookup_id(t, s->table_id, false, &rec)) {
        if (!txn_ok(t))
            return store_txn_error(t, err);
        return cs_fail(err, CS_ENOTABLE, "Table not found: %s", ocid);
    }
    if (strcmp(rec.tenant, tenant) != 0)
        return cs_fail(err, CS_ENOTABLE, "Table not found: %s", ocid);
    if (!rec.streaming || rec.partitions == 0)
        return cs_fail(err, CS_EINVAL,
                       "Change streaming is not enabled for table %s; enable it before "
                       "adding the table to a consumer group", rec.name);
    if (s->start < GROUP_START_FIRST_UNCOMMITTED || s->start > GROUP_START_AT_TIME)
        return cs_fail(err, CS_EINVAL, "Invalid start location %d for table %s",
                       (int)s->start, rec.name);
    *parts = rec.partitions;
    return CS_OK;
}

/* The position a start spec gives one partition. */
static uint64_t start_position(store_txn_t *t, uint64_t table_id, uint32_t part,
                               group_start_t start, int64_t at_ms)
{
    uint64_t first = 1, next = 1, seq = 1;
    switch (start) {
    case GROUP_START_LATEST:
        changelog_bounds(t, table_id, part, &first, &next, NULL);
        return next;
    case GROUP_START_AT_TIME:
        changelog_seek_time(t, table_id, part, at_ms, &seq, NULL);
        return seq;
    case GROUP_START_FIRST_UNCOMMITTED:   /* the group has none: as EARLIEST */
    case GROUP_START_EARLIEST:
    default:
        changelog_bounds(t, table_id, part, &first, &next, NULL);
        return first;
    }
}

/* Set the committed positions of every partition of a table from its start
 * spec. Existing units (force reset) keep their owner; an owned one gets a
 * new epoch and its owner's delivered position moves to the new committed. */
static void table_set_positions(store_txn_t *t, uint64_t gid, uint64_t table_id,
                                uint32_t parts, group_start_t start, int64_t at_ms)
{
    for (uint32_t p = 0; p < parts && txn_ok(t); p++) {
        gpos_t g = { 0, 0, 0 };
        int found = gr_gpos_get(t, gid, table_id, p, &g);
        if (found < 0)
            return;
        g.committed = start_position(t, table_id, p, start, at_ms);
        if (found && g.owner) {
            g.epoch++;
            gr_cpart_put(t, g.owner, table_id, p, g.committed, g.epoch);
        }
        gr_gpos_put(t, gid, table_id, p, &g);
    }
}

/* Remove a table from a group: its positions and its owners' entries. */
static cs_err_t table_remove(store_txn_t *t, grec_t *g, uint64_t table_id, cs_error_t *err)
{
    units_t u;
    cs_err_t rc = gr_units_load(t, g->gid, table_id, &u, err);
    for (size_t i = 0; rc == CS_OK && i < u.n; i++)
        if (u.v[i].pos.owner)
            gr_cpart_del(t, u.v[i].pos.owner, table_id, u.v[i].partition);
    free(u.v);
    if (rc != CS_OK)
        return rc;
    keybuf_t k;
    gr_key_id2(&k, g->gid, table_id);
    gr_delete_prefix_all(t, KEYS_DBI_GPOS, &k);
    for (size_t i = 0; i < g->n_tables; i++) {
        if (g->tables[i].table_id == table_id) {
            memmove(&g->tables[i], &g->tables[i + 1],
                    (g->n_tables - i - 1) * sizeof g->tables[0]);
            g->n_tables--;
            break;
        }
    }
    return store_txn_error(t, err);
}

static gtable_t *group_find_table(grec_t *g, uint64_t table_id)
{
    for (size_t i = 0; i < g->n_tables; i++)
        if (g->tables[i].table_id == table_id)
            return &g->tables[i];
    return NULL;
}

/* Drop tables that no longer exist from the group. *changed when any. */
static cs_err_t prune_dropped(store_txn_t *t, grec_t *g, bool *changed, cs_error_t *err)
{
    for (size_t i = 0; i < g->n_tables;) {
        bool streaming;
        uint32_t parts;
        if (tables_stream_info(t, g->tables[i].table_id, &streaming, &parts)) {
            i++;
            continue;
        }
        if (!txn_ok(t))
            return store_txn_error(t, err);
        cs_err_t rc = table_remove(t, g, g->tables[i].table_id, err);
        if (rc != CS_OK)
            return rc;
        *changed = true;   /* table_remove shifted the array: same i again */
    }
    return CS_OK;
}

/* End an active consumer: new state, and its membership, partitions and
 * poll records go (the gpos entries it owned are fixed by the next
 * rebalance, which every caller runs). */
static void consumer_end(store_txn_t *t, consumer_info_t *c, consumer_state_t state,
                         int64_t now_ms)
{
    keybuf_t k;
    gr_key_id(&k, c->cid);
    gr_delete_prefix_all(t, KEYS_DBI_CPARTS, &k);
    gr_delete_prefix_all(t, KEYS_DBI_CPOLLS, &k);
    gr_key_id2(&k, c->gid, c->cid);
    txn_del(t, KEYS_DBI_GMEMBERS, &k);
    c->state = state;
    c->ended_ms = now_ms;
    gr_consumer_store(t, c);
}

/* Expire the group's silent members, except keep_cid. *n_expired counts. */
static cs_err_t expire_silent(store_txn_t *t, uint64_t gid, uint64_t keep_cid, int64_t now_ms,
                              size_t *n_expired, cs_error_t *err)
{
    members_t m;
    cs_err_t rc = gr_members_load(t, gid, &m, err);
    for (size_t i = 0; rc == CS_OK && i < m.n; i++) {
        consumer_info_t c;
        if (m.v[i] == keep_cid)
            continue;
        int found = gr_consumer_load(t, m.v[i], &c);
        if (found < 0) {
            rc = store_txn_error(t, err);
        } else if (found == 0 || c.state != CONSUMER_ACTIVE) {
            /* a stale membership: drop it */
            keybuf_t k;
            gr_key_id2(&k, gid, m.v[i]);
            txn_del(t, KEYS_DBI_GMEMBERS, &k);
            (*n_expired)++;
        } else if (gr_is_silent(&c, now_ms)) {
            consumer_end(t, &c, CONSUMER_EXPIRED, now_ms);
            (*n_expired)++;
        }
    }
    free(m.v);
    if (rc == CS_OK)
        rc = store_txn_error(t, err);
    return rc;
}

/* Reassign the group's units among its current members (assign.h) and
 * apply the result: a unit whose owner changes gets epoch + 1, its new
 * owner a cparts entry at the committed position, its old owner's entry
 * goes. Stores the group record (generation + 1 when an owner changed). */
static cs_err_t rebalance(store_txn_t *t, grec_t *g, cs_error_t *err)
{
    members_t m;
    units_t u;
    assign_unit_t *au = NULL;
    uint64_t *owner = NULL;
    cs_err_t rc = gr_members_load(t, g->gid, &m, err);
    if (rc == CS_OK)
        rc = gr_units_load(t, g->gid, 0, &u, err);
    else
        memset(&u, 0, sizeof u);
    if (rc != CS_OK)
        goto out;
    au = malloc((u.n ? u.n : 1) * sizeof *au);
    owner = malloc((u.n ? u.n : 1) * sizeof *owner);
    if (!au || !owner) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory rebalancing a consumer group");
        goto out;
    }
    for (size_t i = 0; i < u.n; i++) {
        au[i].table_id = u.v[i].table_id;
        au[i].partition = u.v[i].partition;
        au[i].prev_owner = u.v[i].pos.owner;
    }
    rc = assign_compute(m.v, m.n, au, u.n, owner, err);
    if (rc != CS_OK)
        goto out;
    bool changed = false;
    for (size_t i = 0; i < u.n && txn_ok(t); i++) {
        unit_t *x = &u.v[i];
        if (owner[i] == x->pos.owner)
            continue;
        changed = true;
        if (x->pos.owner)
            gr_cpart_del(t, x->pos.owner, x->table_id, x->partition);
        x->pos.owner = owner[i];
        x->pos.epoch++;
        if (owner[i])
            gr_cpart_put(t, owner[i], x->table_id, x->partition, x->pos.committed, x->pos.epoch);
        gr_gpos_put(t, g->gid, x->table_id, x->partition, &x->pos);
    }
    if (changed)
        g->generation++;
    gr_group_store(t, g);
    rc = store_txn_error(t, err);
out:
    free(m.v);
    free(u.v);
    free(au);
    free(owner);
    return rc;
}

/* Bring a group up to date around an operation: drop vanished tables,
 * expire silent members (except keep_cid), and rebalance when `always` or
 * when either changed anything (the rebalance stores the group record;
 * callers that changed *g pass always = true). */
cs_err_t gr_settle(store_txn_t *t, grec_t *g, uint64_t keep_cid, int64_t now_ms,
                   bool always, cs_error_t *err)
{
    bool changed = false;
    size_t expired = 0;
    cs_err_t rc = prune_dropped(t, g, &changed, err);
    if (rc == CS_OK)
        rc = expire_silent(t, g->gid, keep_cid, now_ms, &expired, err);
    if (rc != CS_OK)
        return rc;
    if (always || changed || expired)
        return rebalance(t, g, err);
    return CS_OK;
}

/* Poll records of a consumer with seq <= upto, decoded. */
typedef struct poll_ent {
    uint64_t table_id;
    uint32_t partition;
    uint64_t epoch, end;
} poll_ent_t;

typedef struct polls {
    store_txn_t *t;
    uint64_t upto;
    poll_ent_t *v;
    size_t n, cap;
    uint64_t *seqs;        /* records read (to delete) */
    size_t ns, scap;
    bool nomem;
} polls_t;

static bool polls_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                        void *ctx)
{
    polls_t *p = ctx;
    if (klen != 16 || vlen % POLL_ENT_LEN != 0) {
        txn_fail(p->t, CS_ECORRUPT, "store is corrupt: bad poll record");
        return false;
    }
    uint64_t seq = be64_load(key + 8);
    if (seq > p->upto)
        return false;
    size_t ne = vlen / POLL_ENT_LEN;
    if (!gr_grow((void **)&p->seqs, &p->scap, p->ns + 1, sizeof *p->seqs) ||
        !gr_grow((void **)&p->v, &p->cap, p->n + ne, sizeof *p->v)) {
        p->nomem = true;
        return false;
    }
    p->seqs[p->ns++] = seq;
    for (size_t i = 0; i < ne; i++) {
        const uint8_t *q = val + i * POLL_ENT_LEN;
        poll_ent_t *e = &p->v[p->n++];
        e->table_id = be64_load(q);
        e->partition = be32_load(q + 8);
        e->epoch = be64_load(q + 12);
        e->end = be64_load(q + 20);
    }
    return true;
}

/* Commit polls 1..upto of consumer c (see groups.h): move committed up for
 * the entries whose unit c still owns under the same epoch, then delete the
 * records. */
cs_err_t gr_commit_upto(store_txn_t *t, const consumer_info_t *c, uint64_t upto,
                        cs_error_t *err)
{
    polls_t p;
    keybuf_t k;
    cs_err_t rc = CS_OK;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.upto = upto;
    gr_key_id(&k, c->cid);
    keys_foreach_prefix(t, KEYS_DBI_CPOLLS, k.b, k.len, NULL, 0, polls_visit, &p);
    if (!txn_ok(t)) {
        rc = store_txn_error(t, err);
        goto out;
    }
    if (p.nomem) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory committing");
        goto out;
    }
    for (size_t i = 0; i < p.n && txn_ok(t); i++) {
        poll_ent_t *e = &p.v[i];
        gpos_t g;
        if (gr_gpos_get(t, c->gid, e->table_id, e->partition, &g) != 1)
            continue;
        if (g.owner != c->cid || g.epoch != e->epoch || e->end <= g.committed)
            continue;
        g.committed = e->end;
        gr_gpos_put(t, c->gid, e->table_id, e->partition, &g);
    }
    for (size_t i = 0; i < p.ns && txn_ok(t); i++) {
        gr_key_id2(&k, c->cid, p.seqs[i]);
        txn_del(t, KEYS_DBI_CPOLLS, &k);
    }
    rc = store_txn_error(t, err);
out:
    free(p.v);
    free(p.seqs);
    return rc;
}

/* The consumer's group record; CS_ECORRUPT if it is missing (an active
 * consumer always has its group). */
cs_err_t gr_load_group_of(store_txn_t *t, const consumer_info_t *c, grec_t *g,
                          cs_error_t *err)
{
    int found = gr_group_load(t, c->gid, g);
    if (found < 0)
        return store_txn_error(t, err);
    if (found == 0)
        return cs_fail(err, CS_ECORRUPT,
                       "store is corrupt: consumer %" PRIu64 " has no group", c->cid);
    return CS_OK;
}

/* Validate the entries of a table list with check[i] true (check NULL =
 * all) for tenant (table_check); parts[i] gets their partition counts, 0
 * for the others. */
static cs_err_t validate_tables(store_txn_t *t, const char *tenant,
                                const group_table_spec_t *specs, size_t n, const bool *check,
                                uint32_t *parts, cs_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        parts[i] = 0;
        if (check && !check[i])
            continue;
        cs_err_t rc = table_check(t, tenant, &specs[i], &parts[i], err);
        if (rc != CS_OK)
            return rc;
    }
    return CS_OK;
}


/* ===================================================================== */
/* entry points: consumers                                               */
/* ===================================================================== */

const char *consumer_state_name(consumer_state_t s)
{
    switch (s) {
    case CONSUMER_ACTIVE: return "active";
    case CONSUMER_CLOSED: return "closed";
    case CONSUMER_EXPIRED: return "expired";
    case CONSUMER_GROUP_DELETED: return "group deleted";
    }
    return "unknown";
}

cs_err_t group_consumer_get(store_txn_t *t, uint64_t cid, const char *tenant,
                            consumer_info_t *out, cs_error_t *err)
{
    int found = gr_consumer_load(t, cid, out);
    if (found < 0)
        return store_txn_error(t, err);
    if (found == 0 || !tenant || strcmp(out->tenant, tenant) != 0) {
        memset(out, 0, sizeof *out);
        return cs_fail(err, CS_ENOTFOUND, "Invalid or unknown consumer cursor");
    }
    switch (out->state) {
    case CONSUMER_ACTIVE:
        return CS_OK;
    case CONSUMER_CLOSED:
        return cs_fail(err, CS_ENOTFOUND, "Consumer %" PRIu64 " has been closed", cid);
    case CONSUMER_EXPIRED:
        return cs_fail(err, CS_ENOTFOUND,
                       "Consumer %" PRIu64 " of group '%s' was removed after not polling "
                       "within its max poll interval of %" PRId64 " ms; create a new consumer",
                       cid, out->group_id, out->max_poll_ms);
    case CONSUMER_GROUP_DELETED:
        return cs_fail(err, CS_ENOTFOUND, "Consumer group '%s' was deleted", out->group_id);
    }
    return cs_fail(err, CS_ECORRUPT, "store is corrupt: consumer %" PRIu64 " state", cid);
}

cs_err_t group_consumer_create(store_txn_t *t, const char *tenant, const char *compartment,
                               const char *group_id, const group_table_spec_t *tables,
                               size_t n, bool manual, int64_t max_poll_ms,
                               bool force_reset, int64_t now_ms, uint64_t *cid_out,
                               cs_error_t *err)
{
    if (!compartment)
        compartment = "";
    cs_err_t rc = gr_check_names(tenant, compartment, group_id, err);
    if (rc != CS_OK)
        return rc;
    if (n == 0)
        return cs_fail(err, CS_EINVAL, "A consumer needs at least one table");
    bool *keep = calloc(n, sizeof *keep);         /* first occurrence of each table */
    uint32_t *parts = calloc(n, sizeof *parts);
    grec_t *g = malloc(sizeof *g);
    if (!keep || !parts || !g) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory creating a consumer");
        goto out;
    }
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        keep[i] = true;
        for (size_t j = 0; j < i && keep[i]; j++)
            if (keep[j] && tables[j].table_id == tables[i].table_id)
                keep[i] = false;
        distinct += keep[i];
    }
    if (distinct > GROUPS_MAX_TABLES) {
        rc = cs_fail(err, CS_EINVAL, "A consumer group can have at most %u tables",
                     GROUPS_MAX_TABLES);
        goto out;
    }
    rc = validate_tables(t, tenant, tables, n, keep, parts, err);
    if (rc != CS_OK)
        goto out;

    /* the group: existing or new */
    uint64_t gid = 0;
    int found = gr_gname_lookup(t, tenant, compartment, group_id, &gid);
    if (found > 0)
        found = gr_group_load(t, gid, g);
    if (found < 0) {
        rc = store_txn_error(t, err);
        goto out;
    }
    if (found == 0) {
        memset(g, 0, sizeof *g);
        g->gid = store_next_id(t, "group_id");
        snprintf(g->tenant, sizeof g->tenant, "%s", tenant);
        snprintf(g->compartment, sizeof g->compartment, "%s", compartment);
        snprintf(g->group_id, sizeof g->group_id, "%s", group_id);
        g->created_ms = now_ms;
        keybuf_t k;
        uint8_t v[8];
        gr_key_gname(&k, tenant, compartment, group_id);
        be64_store(v, g->gid);
        txn_put(t, KEYS_DBI_GNAMES, &k, v, sizeof v);
    }

    /* the table set: drop tables not listed, set positions of new ones */
    for (size_t i = 0; i < g->n_tables && rc == CS_OK;) {
        bool listed = false;
        for (size_t j = 0; j < n && !listed; j++)
            listed = tables[j].table_id == g->tables[i].table_id;
        if (listed)
            i++;
        else
            rc = table_remove(t, g, g->tables[i].table_id, err);
    }
    for (size_t i = 0; i < n && rc == CS_OK && txn_ok(t); i++) {
        if (!keep[i])
            continue;
        gtable_t *gt = group_find_table(g, tables[i].table_id);
        if (gt && !force_reset)
            continue;
        table_set_positions(t, g->gid, tables[i].table_id, parts[i], tables[i].start,
                            tables[i].at_ms);
        if (!gt)
            gt = &g->tables[g->n_tables++];
        gt->table_id = tables[i].table_id;
        gt->start = (uint8_t)tables[i].start;
        gt->at_ms = tables[i].at_ms;
        gt->added_ms = now_ms;
    }
    if (rc != CS_OK)
        goto out;

    /* the consumer */
    consumer_info_t c;
    memset(&c, 0, sizeof c);
    c.cid = store_next_id(t, "consumer_id");
    c.gid = g->gid;
    snprintf(c.tenant, sizeof c.tenant, "%s", tenant);
    snprintf(c.compartment, sizeof c.compartment, "%s", compartment);
    snprintf(c.group_id, sizeof c.group_id, "%s", group_id);
    c.manual = manual;
    c.max_poll_ms = max_poll_ms > 0 ? max_poll_ms : GROUPS_DEFAULT_MAX_POLL_MS;
    c.state = CONSUMER_ACTIVE;
    c.created_ms = now_ms;
    c.last_poll_ms = now_ms;
    if (!txn_ok(t)) {
        rc = store_txn_error(t, err);
        goto out;
    }
    gr_consumer_store(t, &c);
    keybuf_t k;
    gr_key_id2(&k, g->gid, c.cid);
    txn_put(t, KEYS_DBI_GMEMBERS, &k, "", 0);
    rc = gr_settle(t, g, c.cid, now_ms, true, err);
    if (rc == CS_OK)
        *cid_out = c.cid;
out:
    free(keep);
    free(parts);
    free(g);
    return rc;
}

cs_err_t group_commit(store_txn_t *t, uint64_t cid, const char *tenant,
                      uint64_t upto_poll_seq, int64_t now_ms, cs_error_t *err)
{
    consumer_info_t c;
    (void)now_ms;
    cs_err_t rc = group_consumer_get(t, cid, tenant, &c, err);
    if (rc != CS_OK)
        return rc;
    if (upto_poll_seq > c.poll_seq)
        upto_poll_seq = c.poll_seq;
    if (upto_poll_seq == 0)
        return CS_OK;
    return gr_commit_upto(t, &c, upto_poll_seq, err);
}

cs_err_t group_reset(store_txn_t *t, uint64_t cid, const char *tenant, int64_t now_ms,
                     cs_error_t *err)
{
    consumer_info_t c;
    owned_list_t o;
    (void)now_ms;
    cs_err_t rc = group_consumer_get(t, cid, tenant, &c, err);
    if (rc != CS_OK)
        return rc;
    rc = gr_owned_load(t, cid, &o, err);
    for (size_t i = 0; rc == CS_OK && i < o.n && txn_ok(t); i++) {
        gpos_t g;
        int found = gr_gpos_get(t, c.gid, o.v[i].table_id, o.v[i].partition, &g);
        if (found == 1 && g.owner == cid)
            gr_cpart_put(t, cid, o.v[i].table_id, o.v[i].partition, g.committed, g.epoch);
        else if (found == 0 || (found == 1 && g.owner != cid))
            gr_cpart_del(t, cid, o.v[i].table_id, o.v[i].partition);   /* stale */
    }
    free(o.v);
    if (rc != CS_OK)
        return rc;
    keybuf_t k;
    gr_key_id(&k, cid);
    gr_delete_prefix_all(t, KEYS_DBI_CPOLLS, &k);
    return store_txn_error(t, err);
}

cs_err_t group_update(store_txn_t *t, uint64_t cid, const char *tenant,
                      const group_table_spec_t *specs, size_t n, const bool *remove,
                      int64_t now_ms, cs_error_t *err)
{
    consumer_info_t c;
    cs_err_t rc = group_consumer_get(t, cid, tenant, &c, err);
    if (rc != CS_OK)
        return rc;
    grec_t *g = malloc(sizeof *g);
    bool *check = calloc(n ? n : 1, sizeof *check);
    uint32_t *parts = calloc(n ? n : 1, sizeof *parts);
    uint64_t *ids = malloc((n + GROUPS_MAX_TABLES + 1) * sizeof *ids);
    if (!g || !check || !parts || !ids) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory updating a consumer group");
        goto out;
    }
    rc = gr_load_group_of(t, &c, g, err);
    if (rc != CS_OK)
        goto out;

    /* Dry run on the table-id set: which adds are new, and the final size. */
    size_t nids = 0;
    for (size_t i = 0; i < g->n_tables; i++)
        ids[nids++] = g->tables[i].table_id;
    for (size_t i = 0; i < n; i++) {
        size_t at = nids;
        for (size_t j = 0; j < nids; j++)
            if (ids[j] == specs[i].table_id)
                at = j;
        if (remove && remove[i]) {
            if (at < nids)
                ids[at] = ids[--nids];
        } else if (at == nids) {
            if (nids >= GROUPS_MAX_TABLES) {
                rc = cs_fail(err, CS_EINVAL, "A consumer group can have at most %u tables",
                             GROUPS_MAX_TABLES);
                goto out;
            }
            ids[nids++] = specs[i].table_id;
            check[i] = true;
        }
    }
    rc = validate_tables(t, tenant, specs, n, check, parts, err);
    if (rc != CS_OK)
        goto out;

    for (size_t i = 0; i < n && rc == CS_OK && txn_ok(t); i++) {
        gtable_t *gt = group_find_table(g, specs[i].table_id);
        if (remove && remove[i]) {
            if (gt)
                rc = table_remove(t, g, specs[i].table_id, err);
        } else if (!gt) {
            /* the dry run followed the same set changes: check[i] is set
             * and parts[i] validated */
            table_set_positions(t, g->gid, specs[i].table_id, parts[i], specs[i].start,
                                specs[i].at_ms);
            gt = &g->tables[g->n_tables++];
            gt->table_id = specs[i].table_id;
            gt->start = (uint8_t)specs[i].start;
            gt->at_ms = specs[i].at_ms;
            gt->added_ms = now_ms;
        }
    }
    if (rc == CS_OK)
        rc = gr_settle(t, g, cid, now_ms, true, err);
out:
    free(g);
    free(check);
    free(parts);
    free(ids);
    return rc;
}

cs_err_t group_close(store_txn_t *t, uint64_t cid, const char *tenant, int64_t now_ms,
                     cs_error_t *err)
{
    return group_close_seen(t, cid, tenant, UINT64_MAX, now_ms, err);
}

cs_err_t group_close_seen(store_txn_t *t, uint64_t cid, const char *tenant, uint64_t seen_seq,
                          int64_t now_ms, cs_error_t *err)
{
    consumer_info_t c;
    cs_err_t rc = group_consumer_get(t, cid, tenant, &c, err);
    if (rc != CS_OK)
        return rc;
    grec_t *g = malloc(sizeof *g);
    if (!g)
        return cs_fail(err, CS_ENOMEM, "out of memory closing a consumer");
    rc = gr_load_group_of(t, &c, g, err);
    uint64_t upto = seen_seq < c.poll_seq ? seen_seq : c.poll_seq;
    if (rc == CS_OK && !c.manual && upto > 0)
        rc = gr_commit_upto(t, &c, upto, err);
    if (rc == CS_OK) {
        consumer_end(t, &c, CONSUMER_CLOSED, now_ms);
        rc = gr_settle(t, g, 0, now_ms, true, err);
    }
    free(g);
    return rc;
}

/* ===================================================================== */
/* entry points: groups                                                  */
/* ===================================================================== */

cs_err_t group_delete(store_txn_t *t, const char *tenant, const char *compartment,
                      const char *group_id, bool force_stop, int64_t now_ms,
                      cs_error_t *err)
{
    if (!compartment)
        compartment = "";
    cs_err_t rc = gr_check_names(tenant, compartment, group_id, err);
    if (rc != CS_OK)
        return rc;
    uint64_t gid;
    int found = gr_gname_lookup(t, tenant, compartment, group_id, &gid);
    if (found < 0)
        return store_txn_error(t, err);
    if (found == 0)
        return cs_fail(err, CS_ENOTFOUND, "Consumer group '%s' not found", group_id);

    members_t m;
    consumer_info_t *cs = NULL;
    rc = gr_members_load(t, gid, &m, err);
    if (rc != CS_OK)
        return rc;
    cs = calloc(m.n ? m.n : 1, sizeof *cs);
    if (!cs) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory deleting a consumer group");
        goto out;
    }
    size_t live = 0;
    for (size_t i = 0; i < m.n; i++) {
        found = gr_consumer_load(t, m.v[i], &cs[i]);
        if (found < 0) {
            rc = store_txn_error(t, err);
            goto out;
        }
        if (found == 0)
            cs[i].state = 0;   /* stale membership, just removed below */
        else if (cs[i].state == CONSUMER_ACTIVE && !gr_is_silent(&cs[i], now_ms))
            live++;
    }
    if (live > 0 && !force_stop) {
        rc = cs_fail(err, CS_ESTATE,
                     "Consumer group '%s' has %zu active consumer%s; close them or use "
                     "force stop", group_id, live, live == 1 ? "" : "s");
        goto out;
    }
    for (size_t i = 0; i < m.n && txn_ok(t); i++) {
        if (cs[i].state == CONSUMER_ACTIVE)
            consumer_end(t, &cs[i], gr_is_silent(&cs[i], now_ms) ? CONSUMER_EXPIRED
                                                              : CONSUMER_GROUP_DELETED,
                         now_ms);
    }
    keybuf_t k;
    gr_key_id(&k, gid);
    gr_delete_prefix_all(t, KEYS_DBI_GMEMBERS, &k);
    gr_delete_prefix_all(t, KEYS_DBI_GPOS, &k);
    txn_del(t, KEYS_DBI_GROUPS, &k);
    gr_key_gname(&k, tenant, compartment, group_id);
    txn_del(t, KEYS_DBI_GNAMES, &k);
    rc = store_txn_error(t, err);
out:
    free(m.v);
    free(cs);
    return rc;
}

/* Collect up to max keys of a DBI from a resume key (exclusive). */
typedef struct sweep {
    store_txn_t *t;
    const uint8_t *after;   /* skip a key equal to this */
    size_t after_len;
    size_t max;
    uint8_t (*keys)[16];
    size_t n;
    consumer_info_t *cons;  /* for the consumers DBI: decoded records */
    bool reached_end;
} sweep_t;

static bool sweep_member_visit(const uint8_t *key, size_t klen, const uint8_t *val,
                               size_t vlen, void *ctx)
{
    sweep_t *s = ctx;
    (void)val;
    (void)vlen;
    if (klen == s->after_len && memcmp(key, s->after, klen) == 0)
        return true;
    if (s->n >= s->max)
        return false;
    if (klen != 16) {
        txn_fail(s->t, CS_ECORRUPT, "store is corrupt: bad group member entry");
        return false;
    }
    memcpy(s->keys[s->n++], key, 16);
    return true;
}

static bool sweep_consumer_visit(const uint8_t *key, size_t klen, const uint8_t *val,
                                 size_t vlen, void *ctx)
{
    sweep_t *s = ctx;
    if (klen == s->after_len && memcmp(key, s->after, klen) == 0)
        return true;
    if (s->n >= s->max)
        return false;
    if (klen != 8) {
        txn_fail(s->t, CS_ECORRUPT, "store is corrupt: bad consumer key");
        return false;
    }
    if (!gr_consumer_decode(s->t, be64_load(key), val, vlen, &s->cons[s->n]))
        return false;
    memcpy(s->keys[s->n++], key, 8);
    return true;
}

/* Read a resume key from meta into buf (len 0 when none). */
static size_t hint_get(store_txn_t *t, const char *name, uint8_t *buf, size_t cap)
{
    keybuf_t k;
    MDB_val v;
    keys_meta(&k, name);
    if (txn_get(t, KEYS_DBI_META, &k, &v) != 1 || v.mv_size > cap)
        return 0;
    memcpy(buf, v.mv_data, v.mv_size);
    return v.mv_size;
}

static void hint_put(store_txn_t *t, const char *name, const uint8_t *buf, size_t len)
{
    keybuf_t k;
    keys_meta(&k, name);
    if (len)
        txn_put(t, KEYS_DBI_META, &k, buf, len);
    else
        txn_del(t, KEYS_DBI_META, &k);
}

cs_err_t groups_expire(store_txn_t *t, int64_t now_ms, int64_t tombstone_ms,
                       size_t max_work, size_t *done, cs_error_t *err)
{
    cs_err_t rc = CS_OK;
    size_t work = 0;
    uint8_t hint[16];
    sweep_t s;
    grec_t *g = malloc(sizeof *g);
    uint64_t *gids = NULL;
    /* half the budget for memberships, the rest for tombstones; at least
     * one of each so that a tiny budget still progresses */
    size_t cap = max_work > 2 ? max_work : 2;
    memset(&s, 0, sizeof s);
    s.t = t;
    s.keys = malloc(cap * sizeof *s.keys);
    s.cons = malloc(cap * sizeof *s.cons);
    gids = malloc(cap * sizeof *gids);
    if (!g || !s.keys || !s.cons || !gids) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory in the consumer expiry pass");
        goto out;
    }

    /* 1. memberships: expire silent consumers. (The scans pass `hint` as an
     * empty prefix: any non-NULL pointer, so memcmp never sees NULL.) */
    s.after_len = hint_get(t, GEXP_MEMBERS, hint, sizeof hint);
    s.after = hint;
    s.max = cap / 2;
    keys_foreach_prefix(t, KEYS_DBI_GMEMBERS, hint, 0, s.after_len ? hint : NULL,
                        s.after_len, sweep_member_visit, &s);
    if (!txn_ok(t))
        goto sticky;
    work += s.n;
    size_t ng = 0;
    for (size_t i = 0; i < s.n && txn_ok(t); i++) {
        consumer_info_t c;
        uint64_t gid = be64_load(s.keys[i]), cid = be64_load(s.keys[i] + 8);
        int found = gr_consumer_load(t, cid, &c);
        bool stale = found == 0 || (found == 1 && c.state != CONSUMER_ACTIVE);
        if (found == 1 && gr_is_silent(&c, now_ms))
            consumer_end(t, &c, CONSUMER_EXPIRED, now_ms);
        else if (stale) {
            keybuf_t k;
            gr_key_id2(&k, gid, cid);
            txn_del(t, KEYS_DBI_GMEMBERS, &k);
        } else
            continue;
        if (ng == 0 || gids[ng - 1] != gid)
            gids[ng++] = gid;
    }
    for (size_t i = 0; i < ng && rc == CS_OK && txn_ok(t); i++) {
        int found = gr_group_load(t, gids[i], g);
        if (found == 1)
            rc = gr_settle(t, g, 0, now_ms, true, err);
    }
    if (rc != CS_OK)
        goto out;
    hint_put(t, GEXP_MEMBERS, s.n == s.max ? s.keys[s.n - 1] : NULL, s.n == s.max ? 16 : 0);

    /* 2. consumers: purge old tombstones */
    s.n = 0;
    s.max = cap - work > 0 ? cap - work : 1;
    s.after_len = hint_get(t, GEXP_TOMBS, hint, sizeof hint);
    keys_foreach_prefix(t, KEYS_DBI_CONSUMERS, hint, 0, s.after_len ? hint : NULL,
                        s.after_len, sweep_consumer_visit, &s);
    if (!txn_ok(t))
        goto sticky;
    work += s.n;
    for (size_t i = 0; i < s.n && txn_ok(t); i++) {
        consumer_info_t *c = &s.cons[i];
        if (c->state != CONSUMER_ACTIVE && now_ms - c->ended_ms > tombstone_ms) {
            keybuf_t k;
            gr_key_id(&k, c->cid);
            txn_del(t, KEYS_DBI_CONSUMERS, &k);
        }
    }
    hint_put(t, GEXP_TOMBS, s.n == s.max ? s.keys[s.n - 1] : NULL, s.n == s.max ? 8 : 0);
sticky:
    rc = store_txn_error(t, err);
out:
    if (done)
        *done = work;
    free(g);
    free(s.keys);
    free(s.cons);
    free(gids);
    return rc;
}
