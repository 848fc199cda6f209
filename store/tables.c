/*
 * tables.c - the table catalog (contract in tables.h).
 *
 * Invariant: every record in `tables` has exactly one `tnames` entry
 * (tenant, folded name) -> id, and no other entry points at its id; both are
 * written and removed in the same transaction.
 */
#include "tables.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "store_int.h"

/* ===================================================================== */
/* record encoding                                                       */
/* ===================================================================== */

/* Value of a `tables` entry (key: table id):
 *
 *   OFFSET SIZE DESCRIPTION
 *    0      1   record format (1)
 *    1      8   parent id
 *    9      4   state (int32)
 *   13      1   flags: bit 0 streaming
 *   14      4   partitions
 *   18      8   streaming since (ms)
 *   26      8   version
 *   34      8   created (ms)
 *   42      8   modified (ms)
 *   50      2   tenant length T
 *   52      2   compartment length C
 *   54      2   name length N
 *   56      4   meta JSON length M
 *   60      T+C+N+M  tenant, compartment, name, meta JSON (no NULs stored)
 */
#define REC_FORMAT 1
#define REC_HDR 60
#define REC_FIELD_CAP(f) sizeof(((table_rec_t *)0)->f)   /* bytes of a table_rec_t field */

static size_t rec_encoded_len(const table_rec_t *r, size_t meta_len)
{
    return REC_HDR + strlen(r->tenant) + strlen(r->compartment) + strlen(r->name) + meta_len;
}

static void rec_encode(uint8_t *p, const table_rec_t *r, const char *meta, size_t meta_len)
{
    size_t tl = strlen(r->tenant), cl = strlen(r->compartment), nl = strlen(r->name);
    p[0] = REC_FORMAT;
    be64_store(p + 1, r->parent_id);
    be32_store(p + 9, (uint32_t)r->state);
    p[13] = r->streaming ? 1 : 0;
    be32_store(p + 14, r->partitions);
    be64_store(p + 18, (uint64_t)r->streaming_since_ms);
    be64_store(p + 26, r->version);
    be64_store(p + 34, (uint64_t)r->created_ms);
    be64_store(p + 42, (uint64_t)r->modified_ms);
    p[50] = (uint8_t)(tl >> 8); p[51] = (uint8_t)tl;
    p[52] = (uint8_t)(cl >> 8); p[53] = (uint8_t)cl;
    p[54] = (uint8_t)(nl >> 8); p[55] = (uint8_t)nl;
    be32_store(p + 56, (uint32_t)meta_len);
    uint8_t *q = p + REC_HDR;
    memcpy(q, r->tenant, tl); q += tl;
    memcpy(q, r->compartment, cl); q += cl;
    memcpy(q, r->name, nl); q += nl;
    if (meta_len)
        memcpy(q, meta, meta_len);
}

/* TABLES_OCID_PREFIX + 16 lowercase hex digits of id (no printf: every
 * record read formats one). */
static void make_ocid(char *out, size_t outsz, uint64_t id)
{
    static const char hex[] = "0123456789abcdef";
    size_t pl = sizeof TABLES_OCID_PREFIX - 1;
    if (outsz < pl + 17) {
        if (outsz)
            out[0] = '\0';
        return;
    }
    memcpy(out, TABLES_OCID_PREFIX, pl);
    for (int i = 15; i >= 0; i--, id >>= 4)
        out[pl + (size_t)i] = hex[id & 15];
    out[pl + 16] = '\0';
}

/* Check a stored record's header and lengths against the value size; a
 * mismatch is corruption (sticky). */
static bool rec_check(store_txn_t *t, uint64_t id, const MDB_val *v)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < REC_HDR || p[0] != REC_FORMAT)
        goto corrupt;
    size_t tl = be16_load(p + 50), cl = be16_load(p + 52), nl = be16_load(p + 54);
    size_t ml = be32_load(p + 56);
    if (tl >= REC_FIELD_CAP(tenant) || cl >= REC_FIELD_CAP(compartment) ||
        nl >= REC_FIELD_CAP(name) || v->mv_size != REC_HDR + tl + cl + nl + ml)
        goto corrupt;
    return true;
corrupt:
    txn_fail(t, CS_ECORRUPT, "store is corrupt: table record %" PRIu64 " is malformed", id);
    return false;
}

/* Decode a stored record. meta points into the value (borrowed). */
static bool rec_decode(store_txn_t *t, uint64_t id, const MDB_val *v, table_rec_t *r,
                       const uint8_t **meta, size_t *meta_len)
{
    const uint8_t *p = v->mv_data;
    if (!rec_check(t, id, v))
        return false;
    size_t tl = be16_load(p + 50), cl = be16_load(p + 52), nl = be16_load(p + 54);
    memset(r, 0, sizeof *r);
    r->id = id;
    r->parent_id = be64_load(p + 1);
    r->state = (int32_t)be32_load(p + 9);
    r->streaming = p[13] & 1;
    r->partitions = be32_load(p + 14);
    r->streaming_since_ms = (int64_t)be64_load(p + 18);
    r->version = be64_load(p + 26);
    r->created_ms = (int64_t)be64_load(p + 34);
    r->modified_ms = (int64_t)be64_load(p + 42);
    const uint8_t *q = p + REC_HDR;
    memcpy(r->tenant, q, tl); q += tl;
    memcpy(r->compartment, q, cl); q += cl;
    memcpy(r->name, q, nl); q += nl;
    make_ocid(r->ocid, sizeof r->ocid, id);
    *meta = q;
    *meta_len = be32_load(p + 56);
    return true;
}

/* ===================================================================== */
/* lookups                                                               */
/* ===================================================================== */

void table_rec_free(table_rec_t *rec)
{
    if (rec) {
        free(rec->meta_json);
        rec->meta_json = NULL;
    }
}

bool tables_lookup_id(store_txn_t *t, uint64_t id, bool want_meta, table_rec_t *out)
{
    keybuf_t k;
    MDB_val v;
    keys_table(&k, id);
    if (txn_get(t, KEYS_DBI_TABLES, &k, &v) != 1)
        return false;
    const uint8_t *meta;
    size_t ml;
    if (!rec_decode(t, id, &v, out, &meta, &ml))
        return false;
    if (want_meta) {
        out->meta_json = malloc(ml + 1);
        if (!out->meta_json) {
            txn_fail(t, CS_ENOMEM, "out of memory reading table metadata");
            return false;
        }
        memcpy(out->meta_json, meta, ml);
        out->meta_json[ml] = '\0';
    }
    return true;
}

/* Only the header's two fields: no names copied, no OCID formatted (a
 * poll asks this of every table of its group). */
bool tables_stream_info(store_txn_t *t, uint64_t table_id, bool *streaming, uint32_t *partitions)
{
    keybuf_t k;
    MDB_val v;
    keys_table(&k, table_id);
    if (txn_get(t, KEYS_DBI_TABLES, &k, &v) != 1 || !rec_check(t, table_id, &v))
        return false;
    const uint8_t *p = v.mv_data;
    *streaming = p[13] & 1;
    *partitions = be32_load(p + 14);
    return true;
}

/* The id a (tenant, name) maps to: 1 found, 0 absent, -1 error. */
static int name_to_id(store_txn_t *t, const char *tenant, const char *name, uint64_t *id)
{
    keybuf_t k;
    MDB_val v;
    if (!keys_tname(&k, tenant, name))
        return 0;  /* too long to exist */
    int found = txn_get(t, KEYS_DBI_TNAMES, &k, &v);
    if (found != 1)
        return found;
    if (v.mv_size != 8) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: bad name entry for table %s", name);
        return -1;
    }
    *id = be64_load(v.mv_data);
    return 1;
}

bool tables_lookup_name(store_txn_t *t, const char *tenant, const char *name,
                        bool want_meta, table_rec_t *out)
{
    uint64_t id;
    if (name_to_id(t, tenant, name, &id) != 1)
        return false;
    if (!tables_lookup_id(t, id, want_meta, out)) {
        if (txn_ok(t))
            txn_fail(t, CS_ECORRUPT, "store is corrupt: name %s points at missing table %"
                     PRIu64, name, id);
        return false;
    }
    return true;
}

bool tables_ocid_to_id(const char *ocid, uint64_t *id)
{
    size_t pl = strlen(TABLES_OCID_PREFIX);
    if (strncmp(ocid, TABLES_OCID_PREFIX, pl) != 0 || strlen(ocid + pl) != 16)
        return false;
    uint64_t v = 0;
    for (const char *p = ocid + pl; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *id = v;
    return v != 0;
}

bool tables_lookup_ocid(store_txn_t *t, const char *tenant, const char *ocid,
                        bool want_meta, table_rec_t *out)
{
    uint64_t id;
    if (!tables_ocid_to_id(ocid, &id) || !tables_lookup_id(t, id, want_meta, out))
        return false;
    if (strcmp(out->tenant, tenant) != 0) {
        table_rec_free(out);
        return false;
    }
    return true;
}

/* ===================================================================== */
/* listing                                                               */
/* ===================================================================== */

typedef struct list_ctx {
    store_txn_t *t;
    const char *compartment;
    uint32_t skip;       /* matching tables still to skip */
    uint32_t limit;      /* 0 = none */
    tables_list_t *out;
    size_t cap;
    bool nomem;
} list_ctx_t;

static bool list_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                       void *ctx)
{
    (void)key; (void)klen;
    list_ctx_t *c = ctx;
    if (vlen != 8) {
        txn_fail(c->t, CS_ECORRUPT, "store is corrupt: bad table name entry");
        return false;
    }
    table_rec_t r;
    if (!tables_lookup_id(c->t, be64_load(val), false, &r)) {
        if (txn_ok(c->t))
            txn_fail(c->t, CS_ECORRUPT, "store is corrupt: name entry without table");
        return false;
    }
    if (c->compartment && strcmp(r.compartment, c->compartment) != 0)
        return true;
    if (c->skip) {
        c->skip--;
        return true;
    }
    if (c->limit && c->out->n == c->limit) {
        c->out->more = true;
        return false;
    }
    if (c->out->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        table_rec_t *p = realloc(c->out->recs, cap * sizeof *p);
        if (!p) {
            c->nomem = true;
            return false;
        }
        c->out->recs = p;
        c->cap = cap;
    }
    c->out->recs[c->out->n++] = r;
    return true;
}

cs_err_t tables_list(store_txn_t *t, const char *tenant, const char *compartment,
                     uint32_t start, uint32_t limit, tables_list_t *out, cs_error_t *err)
{
    memset(out, 0, sizeof *out);
    keybuf_t k;
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (!keys_tname_prefix(&k, tenant))
        return CS_OK;  /* no such tenant can exist */
    list_ctx_t c = { t, compartment, start, limit, out, 0, false };
    keys_foreach_prefix(t, KEYS_DBI_TNAMES, k.b, k.len, NULL, 0, list_visit, &c);
    if (!txn_ok(t) || c.nomem) {
        tables_list_free(out);
        if (c.nomem)
            return cs_fail(err, CS_ENOMEM, "out of memory listing tables");
        return store_txn_error(t, err);
    }
    out->next_index = start + (uint32_t)out->n;
    return CS_OK;
}

void tables_list_free(tables_list_t *l)
{
    free(l->recs);
    memset(l, 0, sizeof *l);
}

/* ===================================================================== */
/* create / update / drop                                                */
/* ===================================================================== */

static cs_err_t check_fields(const table_rec_t *r, cs_error_t *err)
{
    size_t tl = strnlen(r->tenant, sizeof r->tenant);
    size_t cl = strnlen(r->compartment, sizeof r->compartment);
    size_t nl = strnlen(r->name, sizeof r->name);
    if (tl == 0 || tl == sizeof r->tenant)
        return cs_fail(err, CS_EINVAL, "tenant must be 1 to %zu bytes", sizeof r->tenant - 1);
    if (cl == sizeof r->compartment)
        return cs_fail(err, CS_EINVAL, "compartment is too long");
    if (nl == 0 || nl == sizeof r->name)
        return cs_fail(err, CS_EINVAL, "table name must be 1 to %zu bytes", sizeof r->name - 1);
    if (r->streaming && r->partitions == 0)
        return cs_fail(err, CS_EINVAL, "a streaming table needs at least one partition");
    if (r->partitions > TABLES_MAX_PARTITIONS)
        return cs_fail(err, CS_EINVAL, "at most %u stream partitions", TABLES_MAX_PARTITIONS);
    return CS_OK;
}

/* Write record + (optionally) its name entry. */
static bool rec_store(store_txn_t *t, const table_rec_t *r, const char *meta, size_t meta_len)
{
    keybuf_t k;
    keys_table(&k, r->id);
    uint8_t *p = txn_reserve(t, KEYS_DBI_TABLES, &k, rec_encoded_len(r, meta_len));
    if (!p)
        return false;
    rec_encode(p, r, meta, meta_len);
    return true;
}

cs_err_t tables_create(store_txn_t *t, table_rec_t *rec, cs_error_t *err)
{
    if (!txn_ok(t))
        return store_txn_error(t, err);
    cs_err_t code = check_fields(rec, err);
    if (code != CS_OK)
        return code;
    uint64_t id;
    int found = name_to_id(t, rec->tenant, rec->name, &id);
    if (found < 0)
        return store_txn_error(t, err);
    if (found)
        return cs_fail(err, CS_ETABLEEXISTS, "Table %s already exists", rec->name);
    if (rec->parent_id) {
        table_rec_t parent;
        if (!tables_lookup_id(t, rec->parent_id, false, &parent) ||
            strcmp(parent.tenant, rec->tenant) != 0) {
            if (!txn_ok(t))
                return store_txn_error(t, err);
            return cs_fail(err, CS_ENOTABLE, "parent table of %s does not exist", rec->name);
        }
    }

    int64_t now = clock_now_ms();
    rec->id = store_next_id(t, "table_id");
    make_ocid(rec->ocid, sizeof rec->ocid, rec->id);
    rec->version = 1;
    rec->created_ms = rec->modified_ms = now;
    if (rec->streaming && rec->streaming_since_ms == 0)
        rec->streaming_since_ms = now;
    const char *meta = rec->meta_json ? rec->meta_json : "";
    rec_store(t, rec, meta, strlen(meta));

    keybuf_t k;
    uint8_t idv[8];
    be64_store(idv, rec->id);
    keys_tname(&k, rec->tenant, rec->name);
    txn_put(t, KEYS_DBI_TNAMES, &k, idv, sizeof idv);
    return store_txn_error(t, err);
}

cs_err_t tables_update(store_txn_t *t, table_rec_t *rec, cs_error_t *err)
{
    table_rec_t old;
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (!tables_lookup_id(t, rec->id, rec->meta_json == NULL, &old)) {
        if (!txn_ok(t))
            return store_txn_error(t, err);
        return cs_fail(err, CS_ENOTABLE, "Table not found: id %" PRIu64, rec->id);
    }
    /* Identity is the stored one; only mutable fields come from rec. */
    table_rec_t n = old;
    n.meta_json = NULL;
    snprintf(n.compartment, sizeof n.compartment, "%s", rec->compartment);
    n.state = rec->state;
    n.streaming = rec->streaming;
    n.partitions = rec->partitions;
    n.streaming_since_ms = rec->streaming_since_ms;
    cs_err_t code = CS_OK;
    if (old.partitions != 0 && n.partitions != old.partitions)
        code = cs_fail(err, CS_ESTATE, "the stream partition count of %s is fixed at %u",
                       old.name, old.partitions);
    else
        code = check_fields(&n, err);
    if (code != CS_OK) {
        table_rec_free(&old);
        return code;
    }
    int64_t now = clock_now_ms();
    if (n.streaming && !old.streaming &&
        (n.streaming_since_ms == 0 || n.streaming_since_ms == old.streaming_since_ms))
        n.streaming_since_ms = now;
    n.version = old.version + 1;
    n.modified_ms = now;
    const char *meta = rec->meta_json ? rec->meta_json : (old.meta_json ? old.meta_json : "");
    rec_store(t, &n, meta, strlen(meta));
    table_rec_free(&old);
    if (txn_ok(t)) {
        char *keep = rec->meta_json;
        *rec = n;
        rec->meta_json = keep;
    }
    return store_txn_error(t, err);
}

/* Delete up to max entries of a dropped table's data; *more if any remain. */
static void drop_data(store_txn_t *t, uint64_t id, size_t max, size_t *deleted, bool *more)
{
    keybuf_t k;
    size_t n = 0, m = 0;
    bool more_rows = false, more_log = false;
    keys_table(&k, id);
    keys_delete_prefix(t, KEYS_DBI_ROWS, k.b, k.len, max, &n, &more_rows);
    if (!more_rows)
        changelog_drop_table(t, id, max - n, &m, &more_log);
    *deleted = n + m;
    *more = more_rows || more_log;
}

cs_err_t tables_drop(store_txn_t *t, uint64_t id, cs_error_t *err)
{
    table_rec_t r;
    if (!tables_lookup_id(t, id, false, &r)) {
        if (!txn_ok(t))
            return store_txn_error(t, err);
        return cs_fail(err, CS_ENOTABLE, "Table not found: id %" PRIu64, id);
    }
    /* A child's name is "<parent>.<child>", so children share a prefix. */
    keybuf_t k;
    keys_tname(&k, r.tenant, r.name);
    if (k.len < KEYS_MAX) {
        k.b[k.len++] = '.';
        bool has_child = false;
        MDB_cursor *c = txn_cursor(t, KEYS_DBI_TNAMES);
        if (c) {
            MDB_val kv = { k.len, k.b }, v;
            if (txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE) == 1)
                has_child = kv.mv_size >= k.len && memcmp(kv.mv_data, k.b, k.len) == 0;
            mdb_cursor_close(c);
        }
        if (!txn_ok(t))
            return store_txn_error(t, err);
        if (has_child)
            return cs_fail(err, CS_ESTATE, "Table %s has child tables; drop them first", r.name);
    }

    keys_tname(&k, r.tenant, r.name);
    txn_del(t, KEYS_DBI_TNAMES, &k);
    keys_table(&k, id);
    txn_del(t, KEYS_DBI_TABLES, &k);
    size_t deleted;
    bool more;
    drop_data(t, id, TABLES_DROP_BUDGET, &deleted, &more);
    if (more && txn_ok(t)) {
        keys_drop(&k, id);
        txn_put(t, KEYS_DBI_META, &k, "", 0);
    }
    return store_txn_error(t, err);
}

cs_err_t tables_reap(store_txn_t *t, size_t max, bool *more, cs_error_t *err)
{
    *more = false;
    uint64_t ids[16];
    size_t nids = 0;
    keybuf_t k;
    keys_drop_prefix(&k);
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_META);
    if (c) {
        MDB_val kv = { k.len, k.b }, v;
        int got = txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE);
        while (got == 1 && nids < 16 && keys_parse_drop(kv.mv_data, kv.mv_size, &ids[nids])) {
            nids++;
            got = txn_cursor_get(t, c, &kv, &v, MDB_NEXT);
        }
        if (got == 1 && nids == 16 && keys_parse_drop(kv.mv_data, kv.mv_size, &ids[0]))
            *more = true;
        mdb_cursor_close(c);
    }
    for (size_t i = 0; i < nids && txn_ok(t); i++) {
        size_t deleted;
        bool left;
        drop_data(t, ids[i], max, &deleted, &left);
        max -= deleted;
        if (left) {
            *more = true;
            break;
        }
        keys_drop(&k, ids[i]);
        txn_del(t, KEYS_DBI_META, &k);
        if (max == 0) {
            *more = *more || i + 1 < nids;
            break;
        }
    }
    return store_txn_error(t, err);
}
