/*
 * groups_rec.c - keys and stored records of the consumer-group DBIs, and
 * the collections read from them (shared through groups_int.h).
 *
 * Every record read is checked against its layout; a mismatch sets the
 * txn's sticky error to CS_ECORRUPT rather than trusting the bytes.
 */
#include "groups_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ===================================================================== */
/* keys and records                                                      */
/* ===================================================================== */

/* Keys (all integers big-endian):
 *
 *   DBI        KEY                                         VALUE
 *   gnames     tenant NUL compartment NUL group id          gid (8)
 *   groups     gid (8)                                      group record
 *   gpos       gid (8), table id (8), partition (4)         committed (8), owner cid (8), epoch (8)
 *   gmembers   gid (8), cid (8)                             empty
 *   consumers  cid (8)                                      consumer record
 *   cparts     cid (8), table id (8), partition (4)         delivered (8), epoch (8)
 *   cpolls     cid (8), poll seq (8)                        poll record
 *
 * Group record:
 *   OFFSET SIZE DESCRIPTION
 *    0      1   format (1)
 *    1      8   created_ms
 *    9      8   generation (rebalances that changed an owner)
 *   17      2   tenant length T, then T bytes
 *    .      2   compartment length C, then C bytes
 *    .      2   group id length G, then G bytes
 *    .      2   table count N, then N x 25 bytes:
 *                 table id (8), start kind (1), at_ms (8), added_ms (8)
 *
 * Consumer record:
 *    0      1   format (1)
 *    1      1   state (consumer_state_t)
 *    2      1   manual (0/1)
 *    3      8   gid
 *   11      8   max_poll_ms
 *   19      8   created_ms
 *   27      8   last_poll_ms
 *   35      8   ended_ms
 *   43      8   poll_seq
 *   51      2+T tenant, 2+C compartment, 2+G group id (as in the group record)
 *
 * Poll record: N x 28 bytes: table id (8), partition (4), epoch (8), end
 * position (8) - the delivered position after that poll.
 */

static void kput(keybuf_t *k, const void *p, size_t n)
{
    if (k->len + n > KEYS_MAX) {   /* callers check lengths first; keep it safe */
        k->len = 0;
        return;
    }
    memcpy(k->b + k->len, p, n);
    k->len += n;
}

static void kput64(keybuf_t *k, uint64_t v)
{
    uint8_t b[8];
    be64_store(b, v);
    kput(k, b, 8);
}

static void kput32(keybuf_t *k, uint32_t v)
{
    uint8_t b[4];
    be32_store(b, v);
    kput(k, b, 4);
}

void gr_key_id(keybuf_t *k, uint64_t id)
{
    k->len = 0;
    kput64(k, id);
}

void gr_key_id2(keybuf_t *k, uint64_t a, uint64_t b)
{
    gr_key_id(k, a);
    kput64(k, b);
}

void gr_key_unit(keybuf_t *k, uint64_t id, uint64_t table_id, uint32_t part)
{
    gr_key_id2(k, id, table_id);
    kput32(k, part);
}

/* tenant NUL compartment NUL group id; false if too long. */
bool gr_key_tenant(keybuf_t *k, const char *tenant)
{
    size_t a = strlen(tenant);
    k->len = 0;
    if (a + 1 > KEYS_MAX)
        return false;
    kput(k, tenant, a + 1);
    return true;
}

bool gr_key_gname(keybuf_t *k, const char *tenant, const char *comp, const char *gid)
{
    size_t a = strlen(tenant), b = strlen(comp), c = strlen(gid);
    k->len = 0;
    if (a + b + c + 2 > KEYS_MAX)
        return false;
    kput(k, tenant, a + 1);
    kput(k, comp, b + 1);
    kput(k, gid, c);
    return true;
}

/* A bounded reader over a stored record; any overrun sets bad. */
typedef struct rd {
    const uint8_t *p;
    size_t n;
    bool bad;
} rd_t;

static const uint8_t *rd_take(rd_t *r, size_t n)
{
    if (r->bad || r->n < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    r->n -= n;
    return q;
}

static uint8_t rd_u8(rd_t *r)
{
    const uint8_t *q = rd_take(r, 1);
    return q ? q[0] : 0;
}

static uint64_t rd_u64(rd_t *r)
{
    const uint8_t *q = rd_take(r, 8);
    return q ? be64_load(q) : 0;
}

static uint16_t rd_u16(rd_t *r)
{
    const uint8_t *q = rd_take(r, 2);
    return q ? be16_load(q) : 0;
}

static void rd_str(rd_t *r, char *out, size_t cap)
{
    size_t n = rd_u16(r);
    const uint8_t *q = rd_take(r, n);
    if (!q || n >= cap || memchr(q, 0, n)) {
        r->bad = true;
        out[0] = '\0';
        return;
    }
    memcpy(out, q, n);
    out[n] = '\0';
}

static void put_str(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    buf_put_be16(b, (uint16_t)n);
    buf_append(b, s, n);
}

/* A group as held in memory while an operation works on it. */


bool gr_group_store(store_txn_t *t, const grec_t *g)
{
    buf_t b;
    buf_init(&b, 0);
    buf_putc(&b, REC_FORMAT);
    buf_put_be64(&b, (uint64_t)g->created_ms);
    buf_put_be64(&b, g->generation);
    put_str(&b, g->tenant);
    put_str(&b, g->compartment);
    put_str(&b, g->group_id);
    buf_put_be16(&b, (uint16_t)g->n_tables);
    for (size_t i = 0; i < g->n_tables; i++) {
        buf_put_be64(&b, g->tables[i].table_id);
        buf_putc(&b, g->tables[i].start);
        buf_put_be64(&b, (uint64_t)g->tables[i].at_ms);
        buf_put_be64(&b, (uint64_t)g->tables[i].added_ms);
    }
    bool ok = false;
    if (!buf_ok(&b)) {
        txn_fail(t, CS_ENOMEM, "out of memory encoding a consumer group");
    } else {
        keybuf_t k;
        gr_key_id(&k, g->gid);
        ok = txn_put(t, KEYS_DBI_GROUPS, &k, b.data, b.len);
    }
    buf_free(&b);
    return ok;
}

/* 1 found, 0 absent, -1 failed (sticky set; a malformed record is CS_ECORRUPT). */
int gr_group_load(store_txn_t *t, uint64_t gid, grec_t *g)
{
    keybuf_t k;
    MDB_val v;
    gr_key_id(&k, gid);
    int found = txn_get(t, KEYS_DBI_GROUPS, &k, &v);
    if (found != 1)
        return found;
    rd_t r = { v.mv_data, v.mv_size, false };
    memset(g, 0, sizeof *g);
    g->gid = gid;
    if (rd_u8(&r) != REC_FORMAT)
        r.bad = true;
    g->created_ms = (int64_t)rd_u64(&r);
    g->generation = rd_u64(&r);
    rd_str(&r, g->tenant, sizeof g->tenant);
    rd_str(&r, g->compartment, sizeof g->compartment);
    rd_str(&r, g->group_id, sizeof g->group_id);
    g->n_tables = rd_u16(&r);
    if (g->n_tables > GROUPS_MAX_TABLES)
        r.bad = true;
    for (size_t i = 0; i < g->n_tables && !r.bad; i++) {
        g->tables[i].table_id = rd_u64(&r);
        g->tables[i].start = rd_u8(&r);
        g->tables[i].at_ms = (int64_t)rd_u64(&r);
        g->tables[i].added_ms = (int64_t)rd_u64(&r);
    }
    if (r.bad || r.n != 0) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: malformed consumer group record %" PRIu64, gid);
        return -1;
    }
    return 1;
}

bool gr_consumer_store(store_txn_t *t, const consumer_info_t *c)
{
    buf_t b;
    buf_init(&b, 0);
    buf_putc(&b, REC_FORMAT);
    buf_putc(&b, (uint8_t)c->state);
    buf_putc(&b, c->manual ? 1 : 0);
    buf_put_be64(&b, c->gid);
    buf_put_be64(&b, (uint64_t)c->max_poll_ms);
    buf_put_be64(&b, (uint64_t)c->created_ms);
    buf_put_be64(&b, (uint64_t)c->last_poll_ms);
    buf_put_be64(&b, (uint64_t)c->ended_ms);
    buf_put_be64(&b, c->poll_seq);
    put_str(&b, c->tenant);
    put_str(&b, c->compartment);
    put_str(&b, c->group_id);
    bool ok = false;
    if (!buf_ok(&b)) {
        txn_fail(t, CS_ENOMEM, "out of memory encoding a consumer");
    } else {
        keybuf_t k;
        gr_key_id(&k, c->cid);
        ok = txn_put(t, KEYS_DBI_CONSUMERS, &k, b.data, b.len);
    }
    buf_free(&b);
    return ok;
}

bool gr_consumer_decode(store_txn_t *t, uint64_t cid, const uint8_t *p, size_t n,
                        consumer_info_t *c)
{
    rd_t r = { p, n, false };
    memset(c, 0, sizeof *c);
    c->cid = cid;
    if (rd_u8(&r) != REC_FORMAT)
        r.bad = true;
    c->state = (consumer_state_t)rd_u8(&r);
    c->manual = rd_u8(&r) != 0;
    c->gid = rd_u64(&r);
    c->max_poll_ms = (int64_t)rd_u64(&r);
    c->created_ms = (int64_t)rd_u64(&r);
    c->last_poll_ms = (int64_t)rd_u64(&r);
    c->ended_ms = (int64_t)rd_u64(&r);
    c->poll_seq = rd_u64(&r);
    rd_str(&r, c->tenant, sizeof c->tenant);
    rd_str(&r, c->compartment, sizeof c->compartment);
    rd_str(&r, c->group_id, sizeof c->group_id);
    if (r.bad || r.n != 0 || c->state < CONSUMER_ACTIVE || c->state > CONSUMER_GROUP_DELETED) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: malformed consumer record %" PRIu64, cid);
        return false;
    }
    return true;
}

/* 1 found, 0 absent, -1 failed. */
int gr_consumer_load(store_txn_t *t, uint64_t cid, consumer_info_t *c)
{
    keybuf_t k;
    MDB_val v;
    gr_key_id(&k, cid);
    int found = txn_get(t, KEYS_DBI_CONSUMERS, &k, &v);
    if (found != 1)
        return found;
    return gr_consumer_decode(t, cid, v.mv_data, v.mv_size, c) ? 1 : -1;
}

/* A unit's group position. */

/* 1 found, 0 absent, -1 failed. */
int gr_gpos_get(store_txn_t *t, uint64_t gid, uint64_t table_id, uint32_t part, gpos_t *p)
{
    keybuf_t k;
    MDB_val v;
    gr_key_unit(&k, gid, table_id, part);
    int found = txn_get(t, KEYS_DBI_GPOS, &k, &v);
    if (found != 1)
        return found;
    if (v.mv_size != GPOS_LEN) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: bad group position");
        return -1;
    }
    const uint8_t *q = v.mv_data;
    p->committed = be64_load(q);
    p->owner = be64_load(q + 8);
    p->epoch = be64_load(q + 16);
    return 1;
}

bool gr_gpos_put(store_txn_t *t, uint64_t gid, uint64_t table_id, uint32_t part,
                 const gpos_t *p)
{
    keybuf_t k;
    uint8_t v[GPOS_LEN];
    gr_key_unit(&k, gid, table_id, part);
    be64_store(v, p->committed);
    be64_store(v + 8, p->owner);
    be64_store(v + 16, p->epoch);
    return txn_put(t, KEYS_DBI_GPOS, &k, v, sizeof v);
}

bool gr_cpart_put(store_txn_t *t, uint64_t cid, uint64_t table_id, uint32_t part,
                  uint64_t delivered, uint64_t epoch)
{
    keybuf_t k;
    uint8_t v[CPART_LEN];
    gr_key_unit(&k, cid, table_id, part);
    be64_store(v, delivered);
    be64_store(v + 8, epoch);
    return txn_put(t, KEYS_DBI_CPARTS, &k, v, sizeof v);
}

bool gr_cpart_del(store_txn_t *t, uint64_t cid, uint64_t table_id, uint32_t part)
{
    keybuf_t k;
    gr_key_unit(&k, cid, table_id, part);
    return txn_del(t, KEYS_DBI_CPARTS, &k);
}

/* 1 found, 0 absent, -1 failed. */
int gr_cpart_get(store_txn_t *t, uint64_t cid, uint64_t table_id, uint32_t part,
                 uint64_t *delivered, uint64_t *epoch)
{
    keybuf_t k;
    MDB_val v;
    gr_key_unit(&k, cid, table_id, part);
    int found = txn_get(t, KEYS_DBI_CPARTS, &k, &v);
    if (found != 1)
        return found;
    if (v.mv_size != CPART_LEN) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: bad consumer partition");
        return -1;
    }
    *delivered = be64_load(v.mv_data);
    *epoch = be64_load((const uint8_t *)v.mv_data + 8);
    return 1;
}

void gr_delete_prefix_all(store_txn_t *t, keys_dbi_t d, const keybuf_t *k)
{
    size_t n;
    bool more;
    keys_delete_prefix(t, d, k->b, k->len, SIZE_MAX, &n, &more);
}

/* Grow *arr (elements of size es) so that it holds at least need. */
bool gr_grow(void **arr, size_t *cap, size_t need, size_t es)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, nc * es);
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

bool gr_is_silent(const consumer_info_t *c, int64_t now_ms)
{
    return c->state == CONSUMER_ACTIVE && now_ms > c->last_poll_ms &&
           now_ms - c->last_poll_ms > c->max_poll_ms;
}


/* Collected units of a group (gpos entries), in key order. */


static bool units_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                        void *ctx)
{
    units_t *u = ctx;
    if (klen != 20 || vlen != GPOS_LEN) {
        txn_fail(u->t, CS_ECORRUPT, "store is corrupt: bad group position");
        return false;
    }
    if (!gr_grow((void **)&u->v, &u->cap, u->n + 1, sizeof *u->v)) {
        u->nomem = true;
        return false;
    }
    unit_t *x = &u->v[u->n++];
    x->table_id = be64_load(key + 8);
    x->partition = be32_load(key + 16);
    x->pos.committed = be64_load(val);
    x->pos.owner = be64_load(val + 8);
    x->pos.epoch = be64_load(val + 16);
    return true;
}

/* Every unit of the group (table_id 0 = all tables, else only that one).
 * Caller frees u->v. */
cs_err_t gr_units_load(store_txn_t *t, uint64_t gid, uint64_t table_id, units_t *u,
                       cs_error_t *err)
{
    keybuf_t k;
    memset(u, 0, sizeof *u);
    u->t = t;
    if (table_id)
        gr_key_id2(&k, gid, table_id);
    else
        gr_key_id(&k, gid);
    keys_foreach_prefix(t, KEYS_DBI_GPOS, k.b, k.len, NULL, 0, units_visit, u);
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (u->nomem)
        return cs_fail(err, CS_ENOMEM, "out of memory reading a consumer group");
    return CS_OK;
}


/* Members (active consumers) of a group, sorted by cid. Caller frees. */

static bool members_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                          void *ctx)
{
    members_t *m = ctx;
    (void)val;
    (void)vlen;
    if (klen != 16) {
        txn_fail(m->t, CS_ECORRUPT, "store is corrupt: bad group member entry");
        return false;
    }
    if (!gr_grow((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v)) {
        m->nomem = true;
        return false;
    }
    m->v[m->n++] = be64_load(key + 8);
    return true;
}

cs_err_t gr_members_load(store_txn_t *t, uint64_t gid, members_t *m, cs_error_t *err)
{
    keybuf_t k;
    memset(m, 0, sizeof *m);
    m->t = t;
    gr_key_id(&k, gid);
    keys_foreach_prefix(t, KEYS_DBI_GMEMBERS, k.b, k.len, NULL, 0, members_visit, m);
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (m->nomem)
        return cs_fail(err, CS_ENOMEM, "out of memory reading group members");
    return CS_OK;
}


/* The consumer's owned partitions (cparts). */


static bool owned_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                        void *ctx)
{
    owned_list_t *o = ctx;
    if (klen != 20 || vlen != CPART_LEN) {
        txn_fail(o->t, CS_ECORRUPT, "store is corrupt: bad consumer partition");
        return false;
    }
    if (!gr_grow((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v)) {
        o->nomem = true;
        return false;
    }
    owned_t *x = &o->v[o->n++];
    x->table_id = be64_load(key + 8);
    x->partition = be32_load(key + 16);
    x->delivered = be64_load(val);
    x->epoch = be64_load(val + 8);
    return true;
}

cs_err_t gr_owned_load(store_txn_t *t, uint64_t cid, owned_list_t *o, cs_error_t *err)
{
    keybuf_t k;
    memset(o, 0, sizeof *o);
    o->t = t;
    gr_key_id(&k, cid);
    keys_foreach_prefix(t, KEYS_DBI_CPARTS, k.b, k.len, NULL, 0, owned_visit, o);
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (o->nomem)
        return cs_fail(err, CS_ENOMEM, "out of memory reading a consumer's partitions");
    return CS_OK;
}


cs_err_t gr_check_names(const char *tenant, const char *compartment, const char *group_id,
                        cs_error_t *err)
{
    if (!tenant || !*tenant || strlen(tenant) > GROUPS_TENANT_MAX)
        return cs_fail(err, CS_EINVAL, "Invalid tenant for a consumer group");
    if (strlen(compartment) > GROUPS_COMPARTMENT_MAX)
        return cs_fail(err, CS_EINVAL, "Compartment is longer than %u bytes",
                       GROUPS_COMPARTMENT_MAX);
    if (!group_id || !*group_id)
        return cs_fail(err, CS_EINVAL, "Consumer group id must not be empty");
    if (strlen(group_id) > GROUPS_ID_MAX)
        return cs_fail(err, CS_EINVAL, "Consumer group id is longer than %u bytes",
                       GROUPS_ID_MAX);
    keybuf_t k;
    if (!gr_key_gname(&k, tenant, compartment, group_id))
        return cs_fail(err, CS_EINVAL, "Consumer group id and compartment are too long");
    return CS_OK;
}

/* gid of a group name: 1 found, 0 absent, -1 failed. */
int gr_gname_lookup(store_txn_t *t, const char *tenant, const char *compartment,
                    const char *group_id, uint64_t *gid)
{
    keybuf_t k;
    MDB_val v;
    if (!gr_key_gname(&k, tenant, compartment, group_id))
        return 0;
    int found = txn_get(t, KEYS_DBI_GNAMES, &k, &v);
    if (found != 1)
        return found;
    if (v.mv_size != 8) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: bad group name entry");
        return -1;
    }
    *gid = be64_load(v.mv_data);
    return 1;
}
