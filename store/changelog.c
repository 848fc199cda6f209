/*
 * changelog.c - change events of streaming tables (contract in changelog.h).
 *
 * Invariant: for each (table, partition) the `streams` counter holds the
 * next sequence to assign and the last event time; retained events are the
 * contiguous run [first key in `changes`, next). Appends happen only from
 * rows.c inside the row write's transaction; purges delete from the front.
 */
#include "changelog.h"

#include <inttypes.h>
#include <string.h>

#include "buf.h"
#include "store_int.h"

/* ===================================================================== */
/* encoding                                                              */
/* ===================================================================== */

/* Value of a `changes` entry (key: table id, partition, seq):
 *
 *   OFFSET SIZE DESCRIPTION
 *    0      1   event format (1)
 *    1      1   kind: 1 put, 2 delete
 *    2      1   flags: bit 0 has previous row
 *    3      8   event time (ms, non-decreasing per partition)
 *   11      8   modification time (ms)
 *   19      8   expiration time (ms, 0 = never)
 *   27      8   version
 *   35      8   previous row's modification time (0 if none)
 *   43      8   previous row's version (0 if none)
 *   51      4   key length K
 *   55      4   key map length M
 *   59      4   value length V (0 for a delete)
 *   63      4   previous value length P (0 if none)
 *   67      K+M+V+P  key, key map, value, previous value
 *
 * Value of a `streams` entry (key: table id, partition):
 *    0      8   next sequence to assign
 *    8      8   event time of the last event appended
 */
#define EV_FORMAT 1
#define EV_HDR 67
#define EV_TIME_OFF 3

static void stream_key(keybuf_t *k, uint64_t table_id, uint32_t partition)
{
    keys_partition(k, table_id, partition);
}

/* Read the (next seq, last event ms) counter; defaults (1, INT64_MIN). */
static bool stream_get(store_txn_t *t, uint64_t table_id, uint32_t partition,
                       uint64_t *next, int64_t *last_ms)
{
    keybuf_t k;
    MDB_val v;
    stream_key(&k, table_id, partition);
    *next = 1;
    *last_ms = INT64_MIN;
    int found = txn_get(t, KEYS_DBI_STREAMS, &k, &v);
    if (found < 0)
        return false;
    if (found == 0)
        return true;
    if (v.mv_size != 16) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: bad stream counter of table %" PRIu64,
                 table_id);
        return false;
    }
    *next = be64_load(v.mv_data);
    *last_ms = (int64_t)be64_load((const uint8_t *)v.mv_data + 8);
    return true;
}

/* Decode the value of an event whose key fields the caller already has. */
static bool ev_decode_value(store_txn_t *t, const MDB_val *v, changelog_event_t *ev)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < EV_HDR || p[0] != EV_FORMAT ||
        (p[1] != CHANGELOG_PUT && p[1] != CHANGELOG_DELETE))
        goto corrupt;
    size_t kl = be32_load(p + 51), ml = be32_load(p + 55);
    size_t vl = be32_load(p + 59), pl = be32_load(p + 63);
    if (v->mv_size - EV_HDR != kl + ml + vl + pl ||
        kl > v->mv_size || ml > v->mv_size || vl > v->mv_size || pl > v->mv_size)
        goto corrupt;
    ev->kind = p[1];
    ev->has_prev = p[2] & 1;
    ev->event_ms = (int64_t)be64_load(p + 3);
    ev->mod_ms = (int64_t)be64_load(p + 11);
    ev->exp_ms = (int64_t)be64_load(p + 19);
    ev->version = be64_load(p + 27);
    ev->prev_mod_ms = (int64_t)be64_load(p + 35);
    ev->prev_version = be64_load(p + 43);
    const uint8_t *q = p + EV_HDR;
    ev->key = q; ev->key_len = kl; q += kl;
    ev->keymap = q; ev->keymap_len = ml; q += ml;
    ev->value = NULL;
    ev->value_len = 0;
    if (ev->kind == CHANGELOG_PUT) {
        ev->value = q;
        ev->value_len = vl;
    }
    q += vl;
    ev->prev_value = NULL;
    ev->prev_value_len = 0;
    if (ev->has_prev) {
        ev->prev_value = q;
        ev->prev_value_len = pl;
    }
    return true;
corrupt:
    txn_fail(t, CS_ECORRUPT, "store is corrupt: malformed change event");
    return false;
}

static bool ev_time(store_txn_t *t, const MDB_val *v, int64_t *ms)
{
    if (v->mv_size < EV_HDR) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: malformed change event");
        return false;
    }
    *ms = (int64_t)be64_load((const uint8_t *)v->mv_data + EV_TIME_OFF);
    return true;
}

/* ===================================================================== */
/* hashing and appending                                                 */
/* ===================================================================== */

uint64_t changelog_hash(const uint8_t *shard, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= shard[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint32_t changelog_partition_of(const uint8_t *shard, size_t len, uint32_t partitions)
{
    if (partitions <= 1)
        return 0;
    return (uint32_t)(changelog_hash(shard, len) % partitions);
}

cs_err_t changelog_append(store_txn_t *t, changelog_event_t *ev)
{
    uint64_t next;
    int64_t last_ms;
    if (!stream_get(t, ev->table_id, ev->partition, &next, &last_ms))
        return t->ret;
    ev->seq = next;
    ev->event_ms = ev->mod_ms > last_ms ? ev->mod_ms : last_ms;

    size_t vl = ev->kind == CHANGELOG_PUT ? ev->value_len : 0;
    size_t pl = ev->has_prev ? ev->prev_value_len : 0;
    size_t total = EV_HDR + ev->key_len + ev->keymap_len + vl + pl;
    keybuf_t k;
    keys_event(&k, ev->table_id, ev->partition, ev->seq);
    uint8_t *p = txn_reserve(t, KEYS_DBI_CHANGES, &k, total);
    if (!p)
        return t->ret;
    p[0] = EV_FORMAT;
    p[1] = (uint8_t)ev->kind;
    p[2] = ev->has_prev ? 1 : 0;
    be64_store(p + 3, (uint64_t)ev->event_ms);
    be64_store(p + 11, (uint64_t)ev->mod_ms);
    be64_store(p + 19, (uint64_t)ev->exp_ms);
    be64_store(p + 27, ev->version);
    be64_store(p + 35, ev->has_prev ? (uint64_t)ev->prev_mod_ms : 0);
    be64_store(p + 43, ev->has_prev ? ev->prev_version : 0);
    be32_store(p + 51, (uint32_t)ev->key_len);
    be32_store(p + 55, (uint32_t)ev->keymap_len);
    be32_store(p + 59, (uint32_t)vl);
    be32_store(p + 63, (uint32_t)pl);
    uint8_t *q = p + EV_HDR;
    if (ev->key_len) { memcpy(q, ev->key, ev->key_len); q += ev->key_len; }
    if (ev->keymap_len) { memcpy(q, ev->keymap, ev->keymap_len); q += ev->keymap_len; }
    if (vl) { memcpy(q, ev->value, vl); q += vl; }
    if (pl) memcpy(q, ev->prev_value, pl);

    uint8_t sv[16];
    be64_store(sv, next + 1);
    be64_store(sv + 8, (uint64_t)ev->event_ms);
    stream_key(&k, ev->table_id, ev->partition);
    txn_put(t, KEYS_DBI_STREAMS, &k, sv, sizeof sv);
    return t->ret;
}

/* ===================================================================== */
/* reading                                                               */
/* ===================================================================== */

static bool same_partition(const MDB_val *k, const keybuf_t *prefix)
{
    return k->mv_size == 20 && memcmp(k->mv_data, prefix->b, 12) == 0;
}

/* Take the cursor's entry (got = txn_cursor_get's result) as the iterator's
 * head if it is an event of the iterator's partition. Only the fixed
 * header is looked at (seq from the key, version from the value); the
 * rest is decoded by changelog_iter_event when the caller wants it. */
static bool iter_settle(changelog_iter_t *it, int got, const MDB_val *kv)
{
    it->valid = false;
    if (got != 1 || kv->mv_size != 20 || memcmp(kv->mv_data, it->prefix, 12) != 0)
        return false;
    if (it->val.mv_size < EV_HDR) {
        txn_fail(it->t, CS_ECORRUPT, "store is corrupt: malformed change event");
        return false;
    }
    it->seq = be64_load((const uint8_t *)kv->mv_data + 12);
    it->version = be64_load((const uint8_t *)it->val.mv_data + 27);
    it->valid = true;
    return true;
}

bool changelog_iter_open(store_txn_t *t, changelog_iter_t *it, uint64_t table_id,
                         uint32_t partition, uint64_t from_seq)
{
    keybuf_t k;
    it->t = t;
    it->table_id = table_id;
    it->partition = partition;
    it->valid = false;
    be64_store(it->prefix, table_id);
    be32_store(it->prefix + 8, partition);
    it->c = txn_cursor(t, KEYS_DBI_CHANGES);
    if (!it->c)
        return false;
    keys_event(&k, table_id, partition, from_seq);
    MDB_val kv = { k.len, k.b };
    return iter_settle(it, txn_cursor_get(t, it->c, &kv, &it->val, MDB_SET_RANGE), &kv);
}

bool changelog_iter_next(changelog_iter_t *it)
{
    if (!it->valid)
        return false;
    MDB_val kv;
    return iter_settle(it, txn_cursor_get(it->t, it->c, &kv, &it->val, MDB_NEXT), &kv);
}

bool changelog_iter_event(changelog_iter_t *it, changelog_event_t *ev)
{
    if (!it->valid)
        return false;
    ev->table_id = it->table_id;
    ev->partition = it->partition;
    ev->seq = it->seq;
    return ev_decode_value(it->t, &it->val, ev);
}

void changelog_iter_close(changelog_iter_t *it)
{
    if (it->c)
        mdb_cursor_close(it->c);
    it->c = NULL;
    it->valid = false;
}

bool changelog_next_seq(store_txn_t *t, uint64_t table_id, uint32_t partition, uint64_t *next)
{
    int64_t last_ms;
    return stream_get(t, table_id, partition, next, &last_ms);
}

cs_err_t changelog_read(store_txn_t *t, uint64_t table_id, uint32_t partition,
                        uint64_t from_seq, size_t max_events,
                        changelog_visit_fn fn, void *ctx, size_t *n_read, cs_error_t *err)
{
    size_t n = 0;
    changelog_iter_t it;
    bool more = changelog_iter_open(t, &it, table_id, partition, from_seq);
    while (more && (max_events == 0 || n < max_events)) {
        changelog_event_t ev;
        if (!changelog_iter_event(&it, &ev))
            break;
        n++;
        if (!fn(&ev, ctx))
            break;
        more = changelog_iter_next(&it);
    }
    changelog_iter_close(&it);
    if (n_read)
        *n_read = n;
    return store_txn_error(t, err);
}

/* First retained seq of the partition at or after `from`; 0 if none. */
static uint64_t first_at_or_after(store_txn_t *t, uint64_t table_id, uint32_t partition,
                                  uint64_t from, MDB_val *val)
{
    keybuf_t pk, k;
    keys_partition(&pk, table_id, partition);
    keys_event(&k, table_id, partition, from);
    uint64_t seq = 0;
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_CHANGES);
    if (!c)
        return 0;
    MDB_val kv = { k.len, k.b }, v;
    if (txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE) == 1 && same_partition(&kv, &pk)) {
        seq = be64_load((const uint8_t *)kv.mv_data + 12);
        if (val)
            *val = v;
    }
    mdb_cursor_close(c);
    return seq;
}

cs_err_t changelog_bounds(store_txn_t *t, uint64_t table_id, uint32_t partition,
                          uint64_t *first, uint64_t *next, cs_error_t *err)
{
    int64_t last_ms;
    *first = *next = 1;
    if (stream_get(t, table_id, partition, next, &last_ms)) {
        uint64_t f = first_at_or_after(t, table_id, partition, 0, NULL);
        *first = f ? f : *next;
    }
    return store_txn_error(t, err);
}

cs_err_t changelog_seek_time(store_txn_t *t, uint64_t table_id, uint32_t partition,
                             int64_t t_ms, uint64_t *seq, cs_error_t *err)
{
    uint64_t lo, hi;
    *seq = 1;
    if (changelog_bounds(t, table_id, partition, &lo, &hi, err) != CS_OK)
        return t->ret;
    /* Invariant: every retained seq < lo has event_ms < t_ms, every seq >= hi
     * has event_ms >= t_ms (or does not exist). */
    while (lo < hi && txn_ok(t)) {
        uint64_t mid = lo + (hi - lo) / 2;
        MDB_val v;
        uint64_t s = first_at_or_after(t, table_id, partition, mid, &v);
        int64_t ms;
        if (s == 0 || s >= hi)
            hi = mid;
        else if (!ev_time(t, &v, &ms))
            break;
        else if (ms >= t_ms)
            hi = mid;
        else
            lo = s + 1;
    }
    *seq = lo;
    return store_txn_error(t, err);
}

/* ===================================================================== */
/* retention and drop                                                    */
/* ===================================================================== */

#define PURGE_MAX_VISITS 4096  /* partitions skipped per call, at most */

cs_err_t changelog_purge(store_txn_t *t, int64_t older_than_ms, size_t max_events,
                         size_t *purged, bool *more, cs_error_t *err)
{
    store_t *s = t->store;
    *purged = 0;
    *more = false;
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_CHANGES);
    if (!c)
        return store_txn_error(t, err);
    bool resumed = s->purge_from_len != 0;
    MDB_val kv = { s->purge_from_len, s->purge_from }, v;
    int got = resumed ? txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE)
                      : txn_cursor_get(t, c, &kv, &v, MDB_FIRST);
    size_t visits = 0;
    s->purge_from_len = 0;
    while (got == 1) {
        uint64_t table_id, seq;
        uint32_t part;
        int64_t ms;
        if (!keys_parse_event(kv.mv_data, kv.mv_size, &table_id, &part, &seq)) {
            txn_fail(t, CS_ECORRUPT, "store is corrupt: malformed change event key");
            break;
        }
        if (!ev_time(t, &v, &ms))
            break;
        if (*purged >= max_events || visits >= PURGE_MAX_VISITS) {
            /* Budget spent: remember this key for the next call. */
            memcpy(s->purge_from, kv.mv_data, kv.mv_size);
            s->purge_from_len = kv.mv_size;
            *more = true;
            break;
        }
        if (ms < older_than_ms) {
            int rc = mdb_cursor_del(c, 0);
            if (rc) {
                txn_fail_mdb(t, rc, "purging change events");
                break;
            }
            (*purged)++;
            got = txn_cursor_get(t, c, &kv, &v, MDB_NEXT);
            continue;
        }
        /* The rest of this partition is newer: skip to the next one. */
        visits++;
        keybuf_t k;
        if (part == UINT32_MAX)
            keys_event(&k, table_id + 1, 0, 0);
        else
            keys_event(&k, table_id, part + 1, 0);
        kv.mv_size = k.len;
        kv.mv_data = k.b;
        got = txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE);
    }
    mdb_cursor_close(c);
    /* A pass that began mid-way has not seen the partitions before it. */
    if (got == 0 && resumed)
        *more = true;
    return store_txn_error(t, err);
}

typedef struct count_ctx {
    store_txn_t *t;
    uint64_t total;
} count_ctx_t;

static bool count_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, void *ctx)
{
    count_ctx_t *c = ctx;
    uint64_t table_id;
    uint32_t part;
    if (!keys_parse_partition(key, klen, &table_id, &part) || vlen != 16) {
        txn_fail(c->t, CS_ECORRUPT, "store is corrupt: bad stream counter");
        return false;
    }
    uint64_t next = be64_load(val);
    uint64_t first = first_at_or_after(c->t, table_id, part, 0, NULL);
    if (first && first < next)
        c->total += next - first;
    return true;
}

cs_err_t changelog_count(store_txn_t *t, uint64_t table_id, uint64_t *count, cs_error_t *err)
{
    keybuf_t k;
    keys_table(&k, table_id);
    count_ctx_t c = { t, 0 };
    keys_foreach_prefix(t, KEYS_DBI_STREAMS, k.b, k.len, NULL, 0, count_visit, &c);
    *count = c.total;
    return store_txn_error(t, err);
}

cs_err_t changelog_drop_table(store_txn_t *t, uint64_t table_id, size_t max,
                              size_t *deleted, bool *more)
{
    keybuf_t k;
    size_t n = 0, m = 0;
    keys_table(&k, table_id);
    keys_delete_prefix(t, KEYS_DBI_CHANGES, k.b, k.len, max, &n, more);
    if (!*more)
        keys_delete_prefix(t, KEYS_DBI_STREAMS, k.b, k.len, max - n, &m, more);
    *deleted = n + m;
    return t->ret;
}
