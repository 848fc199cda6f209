/*
 * groups_view.c - read-only views of consumer groups for the admin API
 * (contract in groups.h): everything copied out of the txn into malloc'd
 * arrays, lag computed from the change log's bounds.
 */
#include "groups_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tables.h"

/* ===================================================================== */
/* views                                                                 */
/* ===================================================================== */

typedef struct list_ctx {
    store_txn_t *t;
    size_t plen;
    group_summary_t *v;
    size_t n, cap;
    bool nomem;
} list_ctx_t;

static bool list_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                       void *ctx)
{
    list_ctx_t *l = ctx;
    const uint8_t *p = key + l->plen, *end = key + klen;
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    if (!nul || vlen != 8 || (size_t)(nul - p) > GROUPS_COMPARTMENT_MAX ||
        (size_t)(end - nul - 1) > GROUPS_ID_MAX) {
        txn_fail(l->t, CS_ECORRUPT, "store is corrupt: bad group name entry");
        return false;
    }
    if (!gr_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v)) {
        l->nomem = true;
        return false;
    }
    group_summary_t *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    memcpy(s->compartment, p, (size_t)(nul - p));
    memcpy(s->group_id, nul + 1, (size_t)(end - nul - 1));
    s->gid = be64_load(val);
    return true;
}

cs_err_t groups_list(store_txn_t *t, const char *tenant, group_summary_t **out, size_t *n,
                     cs_error_t *err)
{
    list_ctx_t l;
    keybuf_t k;
    grec_t *g = malloc(sizeof *g);
    cs_err_t rc = CS_OK;
    *out = NULL;
    *n = 0;
    memset(&l, 0, sizeof l);
    l.t = t;
    if (!g)
        return cs_fail(err, CS_ENOMEM, "out of memory listing consumer groups");
    if (!tenant || strlen(tenant) > GROUPS_TENANT_MAX) {
        free(g);
        return CS_OK;
    }
    gr_key_tenant(&k, tenant);
    l.plen = k.len;
    keys_foreach_prefix(t, KEYS_DBI_GNAMES, k.b, k.len, NULL, 0, list_visit, &l);
    if (!txn_ok(t)) {
        rc = store_txn_error(t, err);
        goto out;
    }
    if (l.nomem) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory listing consumer groups");
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        members_t m;
        if (gr_group_load(t, l.v[i].gid, g) == 1) {
            l.v[i].created_ms = g->created_ms;
            l.v[i].n_tables = g->n_tables;
        }
        rc = gr_members_load(t, l.v[i].gid, &m, err);
        l.v[i].n_members = m.n;
        free(m.v);
        if (rc != CS_OK)
            goto out;
    }
    rc = store_txn_error(t, err);
out:
    free(g);
    if (rc == CS_OK) {
        *out = l.v;
        *n = l.n;
    } else {
        free(l.v);
    }
    return rc;
}

typedef struct count_ctx {
    size_t n;
} count_ctx_t;

static bool count_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                        void *ctx)
{
    (void)key; (void)klen; (void)val; (void)vlen;
    ((count_ctx_t *)ctx)->n++;
    return true;
}

static uint64_t lag_of(uint64_t pos, uint64_t first, uint64_t next)
{
    uint64_t from = pos < first ? first : pos;
    return next > from ? next - from : 0;
}

/* Consumers of group gid that ended (closed, expired, stopped by a delete)
 * within GROUPS_DEPARTED_MS of now: a scan of the consumer records, which
 * only the admin view does. */
typedef struct departed_ctx {
    store_txn_t *t;
    uint64_t gid;
    int64_t since_ms;
    group_view_t *out;
    size_t cap;
    bool nomem;
} departed_ctx_t;

static bool departed_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                           void *ctx)
{
    departed_ctx_t *d = ctx;
    consumer_info_t c;
    if (klen != 8 || !gr_consumer_decode(d->t, be64_load(key), val, vlen, &c))
        return txn_ok(d->t);
    if (c.gid != d->gid || c.state == CONSUMER_ACTIVE || c.ended_ms < d->since_ms)
        return true;
    if (!gr_grow((void **)&d->out->departed, &d->cap, d->out->n_departed + 1,
                 sizeof *d->out->departed)) {
        d->nomem = true;
        return false;
    }
    d->out->departed[d->out->n_departed++] = c;
    return true;
}

static cs_err_t load_departed(store_txn_t *t, uint64_t gid, int64_t now_ms, group_view_t *out,
                              cs_error_t *err)
{
    departed_ctx_t d = { .t = t, .gid = gid, .since_ms = now_ms - GROUPS_DEPARTED_MS,
                         .out = out };
    keys_foreach_prefix(t, KEYS_DBI_CONSUMERS, NULL, 0, NULL, 0, departed_visit, &d);
    if (d.nomem)
        return cs_fail(err, CS_ENOMEM, "out of memory viewing a consumer group");
    return store_txn_error(t, err);
}

cs_err_t group_view_get(store_txn_t *t, const char *tenant, const char *compartment,
                        const char *group_id, int64_t now_ms, group_view_t *out,
                        cs_error_t *err)
{
    memset(out, 0, sizeof *out);
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
    grec_t *g = malloc(sizeof *g);
    members_t m = { 0 };
    units_t u = { 0 };
    if (!g)
        return cs_fail(err, CS_ENOMEM, "out of memory reading a consumer group");
    found = gr_group_load(t, gid, g);
    if (found <= 0) {
        rc = found < 0 ? store_txn_error(t, err)
                       : cs_fail(err, CS_ECORRUPT, "store is corrupt: group %" PRIu64, gid);
        goto out;
    }
    out->gid = gid;
    memcpy(out->tenant, g->tenant, sizeof out->tenant);
    memcpy(out->compartment, g->compartment, sizeof out->compartment);
    memcpy(out->group_id, g->group_id, sizeof out->group_id);
    out->created_ms = g->created_ms;
    out->generation = g->generation;

    rc = gr_members_load(t, gid, &m, err);
    if (rc == CS_OK)
        rc = gr_units_load(t, gid, 0, &u, err);
    if (rc != CS_OK)
        goto out;
    out->tables = calloc(g->n_tables ? g->n_tables : 1, sizeof *out->tables);
    out->members = calloc(m.n ? m.n : 1, sizeof *out->members);
    out->parts = calloc(u.n ? u.n : 1, sizeof *out->parts);
    if (!out->tables || !out->members || !out->parts) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory reading a consumer group");
        goto out;
    }
    for (size_t i = 0; i < g->n_tables && txn_ok(t); i++) {
        group_table_view_t *tv = &out->tables[out->n_tables++];
        bool streaming;
        tv->table_id = g->tables[i].table_id;
        tv->start = (group_start_t)g->tables[i].start;
        tv->at_ms = g->tables[i].at_ms;
        tv->added_ms = g->tables[i].added_ms;
        tv->exists = tables_stream_info(t, tv->table_id, &streaming, &tv->partitions);
    }
    for (size_t i = 0; i < u.n && txn_ok(t); i++) {
        group_part_view_t *pv = &out->parts[out->n_parts++];
        uint64_t ep;
        pv->table_id = u.v[i].table_id;
        pv->partition = u.v[i].partition;
        pv->committed = u.v[i].pos.committed;
        pv->owner = u.v[i].pos.owner;
        pv->epoch = u.v[i].pos.epoch;
        pv->delivered = pv->committed;
        if (pv->owner &&
            gr_cpart_get(t, pv->owner, pv->table_id, pv->partition, &pv->delivered, &ep) != 1)
            pv->delivered = pv->committed;
        changelog_bounds(t, pv->table_id, pv->partition, &pv->first, &pv->next, NULL);
        pv->lag_committed = lag_of(pv->committed, pv->first, pv->next);
        pv->lag_delivered = lag_of(pv->delivered, pv->first, pv->next);
    }
    for (size_t i = 0; i < m.n && txn_ok(t); i++) {
        group_member_view_t *mv = &out->members[out->n_members];
        if (gr_consumer_load(t, m.v[i], &mv->info) != 1)
            continue;
        out->n_members++;
        mv->silent = gr_is_silent(&mv->info, now_ms);
        for (size_t j = 0; j < out->n_parts; j++) {
            if (out->parts[j].owner != m.v[i])
                continue;
            mv->n_parts++;
            mv->lag += out->parts[j].lag_delivered;
        }
        keybuf_t k;
        count_ctx_t cc = { 0 };
        gr_key_id(&k, m.v[i]);
        keys_foreach_prefix(t, KEYS_DBI_CPOLLS, k.b, k.len, NULL, 0, count_visit, &cc);
        mv->pending_polls = cc.n;
    }
    if (txn_ok(t))
        rc = load_departed(t, gid, now_ms, out, err);
    else
        rc = store_txn_error(t, err);
out:
    free(g);
    free(m.v);
    free(u.v);
    if (rc != CS_OK)
        group_view_free(out);
    return rc;
}

void group_view_free(group_view_t *v)
{
    if (!v)
        return;
    free(v->tables);
    free(v->members);
    free(v->parts);
    free(v->departed);
    v->tables = NULL;
    v->members = NULL;
    v->parts = NULL;
    v->departed = NULL;
    v->n_departed = 0;
    v->n_tables = v->n_members = v->n_parts = 0;
}
