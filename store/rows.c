/*
 * rows.c - rows and their change events (contract in rows.h).
 *
 * Every write path takes the table's streaming state from the record as read
 * inside its own txn (by the caller, or here), copies whatever it still
 * needs of the old row (for the caller and for the event's before image)
 * before it writes anything — a pointer into LMDB is invalid after any
 * write in the same txn — then writes the row and appends the event. A
 * failure after the first write is a storage failure and sets the txn's
 * sticky error, so store_write rolls the whole job back.
 */
#include "rows.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "changelog.h"
#include "store_int.h"

/* ===================================================================== */
/* encoding                                                              */
/* ===================================================================== */

/* Value of a `rows` entry (key: table id, row key):
 *
 *   OFFSET SIZE DESCRIPTION
 *    0      1   row format (1)
 *    1      8   version
 *    9      8   modification time (ms)
 *   17      8   expiration time (ms, 0 = never)
 *   25      8   creation time (ms)
 *   33      4   key map length M
 *   37      M   key map
 *   37+M    ..  value (the rest)
 */
#define ROW_FORMAT 1
#define ROW_HDR 37

static bool row_decode(store_txn_t *t, const MDB_val *v, row_rec_t *r)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < ROW_HDR || p[0] != ROW_FORMAT ||
        be32_load(p + 33) > v->mv_size - ROW_HDR) {
        txn_fail(t, CS_ECORRUPT, "store is corrupt: malformed row");
        return false;
    }
    r->version = be64_load(p + 1);
    r->mod_ms = (int64_t)be64_load(p + 9);
    r->exp_ms = (int64_t)be64_load(p + 17);
    r->created_ms = (int64_t)be64_load(p + 25);
    r->keymap_len = be32_load(p + 33);
    r->keymap = p + ROW_HDR;
    r->value = r->keymap + r->keymap_len;
    r->value_len = v->mv_size - ROW_HDR - r->keymap_len;
    return true;
}

static bool row_live(const row_rec_t *r, int64_t now_ms)
{
    return r->exp_ms == 0 || r->exp_ms > now_ms;
}

/* Copy the row's byte fields into a (sticky CS_ENOMEM when over its ceiling). */
static bool row_copy(store_txn_t *t, arena_t *a, row_rec_t *r)
{
    uint8_t *km = arena_memdup(a, r->keymap, r->keymap_len);
    uint8_t *val = arena_memdup(a, r->value, r->value_len);
    if (!km || !val) {
        txn_fail(t, CS_ENOMEM, "the row does not fit in the request's memory limit");
        return false;
    }
    r->keymap = km;
    r->value = val;
    return true;
}

/* The table's stream state: from rec when the caller read the record in
 * this txn, else read here; CS_ENOTABLE (not sticky) if it does not exist. */
static cs_err_t table_state(store_txn_t *t, uint64_t table_id, const table_rec_t *rec,
                            bool *streaming, uint32_t *partitions, cs_error_t *err)
{
    if (rec) {
        if (rec->id != table_id)
            return cs_fail(err, CS_EINVAL, "row write names table %" PRIu64 " but passes "
                           "the record of table %" PRIu64, table_id, rec->id);
        *streaming = rec->streaming;
        *partitions = rec->partitions;
        return CS_OK;
    }
    if (tables_stream_info(t, table_id, streaming, partitions))
        return CS_OK;
    if (!txn_ok(t))
        return store_txn_error(t, err);
    return cs_fail(err, CS_ENOTABLE, "Table not found (id %" PRIu64 ")", table_id);
}

static cs_err_t check_key(store_txn_t *t, const uint8_t *key, size_t klen, size_t shard_len,
                          cs_error_t *err)
{
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (!t->rw)
        return cs_fail(err, CS_EINVAL, "row write outside a write transaction");
    if (!key || klen == 0)
        return cs_fail(err, CS_EINVAL, "empty row key");
    if (klen > ROWS_MAX_KEY)
        return cs_fail(err, CS_EKEYSIZE, "primary key of %zu bytes exceeds the limit of %u bytes",
                       klen, ROWS_MAX_KEY);
    if (shard_len > klen)
        return cs_fail(err, CS_EINVAL, "shard key longer than the key");
    return CS_OK;
}

/* Read the row at k into *cur; returns 1 live, 0 absent or expired, -1 error. */
static int row_read(store_txn_t *t, const keybuf_t *k, int64_t now_ms, row_rec_t *cur)
{
    MDB_val v;
    int found = txn_get(t, KEYS_DBI_ROWS, k, &v);
    if (found != 1)
        return found;
    if (!row_decode(t, &v, cur))
        return -1;
    return row_live(cur, now_ms) ? 1 : 0;
}

/* row_read through cursor c, which stays on the row when it is stored
 * (*stored, live or expired) so that row_reserve can overwrite it without
 * a second lookup. */
static int row_read_at(store_txn_t *t, MDB_cursor *c, const keybuf_t *k, int64_t now_ms,
                       row_rec_t *cur, bool *stored)
{
    MDB_val kv = { k->len, (void *)k->b }, v;
    *stored = false;
    int found = txn_cursor_get(t, c, &kv, &v, MDB_SET_KEY);
    if (found != 1)
        return found;
    *stored = true;
    if (!row_decode(t, &v, cur))
        return -1;
    return row_live(cur, now_ms) ? 1 : 0;
}

/* Reserve vlen bytes for the row at k: in place of the stored row under
 * the cursor (stored), else as a new key. NULL on failure (sticky). */
static uint8_t *row_reserve(store_txn_t *t, MDB_cursor *c, const keybuf_t *k, bool stored,
                            size_t vlen)
{
    if (!txn_ok(t))
        return NULL;
    MDB_val kv = { k->len, (void *)k->b }, v = { vlen, NULL };
    int rc = mdb_cursor_put(c, &kv, &v, MDB_RESERVE | (stored ? MDB_CURRENT : 0));
    if (rc) {
        txn_fail_mdb(t, rc, "writing");
        return NULL;
    }
    return v.mv_data;
}

/* Append the event of a write (only when the table streams). prev is the
 * copied live previous row or NULL. `version` is always a fresh value of the
 * global write counter, also for a delete (whose deleted version travels as
 * prev_version), so events of all partitions merge into commit order. */
static void append_event(store_txn_t *t, uint64_t table_id, uint32_t partitions,
                         changelog_kind_t kind, const uint8_t *key, size_t klen,
                         size_t shard_len, const uint8_t *keymap, size_t keymap_len,
                         const uint8_t *value, size_t value_len, int64_t mod_ms,
                         int64_t exp_ms, uint64_t version, const row_rec_t *prev)
{
    changelog_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.table_id = table_id;
    ev.partition = changelog_partition_of(key, shard_len, partitions);
    ev.kind = kind;
    ev.mod_ms = mod_ms;
    ev.exp_ms = exp_ms;
    ev.version = version;
    ev.key = key;
    ev.key_len = klen;
    ev.keymap = keymap;
    ev.keymap_len = keymap_len;
    ev.value = value;
    ev.value_len = value_len;
    if (prev) {
        ev.has_prev = true;
        ev.prev_value = prev->value;
        ev.prev_value_len = prev->value_len;
        ev.prev_mod_ms = prev->mod_ms;
        ev.prev_version = prev->version;
    }
    changelog_append(t, &ev);
}

static void reap_note(store_t *s, int64_t exp_ms);

/* ===================================================================== */
/* single-row operations                                                 */
/* ===================================================================== */

bool rows_get(store_txn_t *t, uint64_t table_id, const uint8_t *key, size_t klen,
              int64_t now_ms, arena_t *a, row_rec_t *out)
{
    keybuf_t k;
    if (!a) {
        txn_fail(t, CS_EINVAL, "rows_get needs an arena (store bug)");
        return false;
    }
    if (!txn_ok(t) || !keys_row(&k, table_id, key, klen))
        return false;
    if (row_read(t, &k, now_ms, out) != 1)
        return false;
    return row_copy(t, a, out);
}

cs_err_t rows_put(store_txn_t *t, const rows_put_args_t *args, arena_t *a,
                  rows_result_t *res, cs_error_t *err)
{
    memset(res, 0, sizeof *res);
    cs_err_t code = check_key(t, args->key, args->klen, args->shard_len, err);
    if (code != CS_OK)
        return code;
    if (args->cond > ROWS_IF_VERSION)
        return cs_fail(err, CS_EINVAL, "unknown put condition %d", (int)args->cond);
    bool streaming;
    uint32_t partitions;
    code = table_state(t, args->table_id, args->table, &streaming, &partitions, err);
    if (code != CS_OK)
        return code;

    keybuf_t k;
    keys_row(&k, args->table_id, args->key, args->klen);
    row_rec_t cur;
    arena_t local;
    arena_init(&local, 0);
    bool stored = false;
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_ROWS);
    int live = c ? row_read_at(t, c, &k, args->now_ms, &cur, &stored) : -1;
    if (live == 1) {
        res->had_existing = true;
        if (a || streaming)
            row_copy(t, a ? a : &local, &cur);
        res->existing = cur;
    }
    if (!txn_ok(t))
        goto done;

    bool ok;
    switch (args->cond) {
    case ROWS_IF_ABSENT:  ok = live != 1; break;
    case ROWS_IF_PRESENT: ok = live == 1; break;
    case ROWS_IF_VERSION: ok = live == 1 && cur.version == args->match_version; break;
    default:              ok = true; break;
    }
    if (!ok)
        goto done;

    uint64_t version = store_next_version(t);
    int64_t exp_ms = (live == 1 && !args->update_ttl) ? cur.exp_ms : args->exp_ms;
    int64_t created = live == 1 ? cur.created_ms : args->now_ms;
    uint8_t *p = row_reserve(t, c, &k, stored, ROW_HDR + args->keymap_len + args->value_len);
    if (!p)
        goto done;
    p[0] = ROW_FORMAT;
    be64_store(p + 1, version);
    be64_store(p + 9, (uint64_t)args->now_ms);
    be64_store(p + 17, (uint64_t)exp_ms);
    be64_store(p + 25, (uint64_t)created);
    be32_store(p + 33, (uint32_t)args->keymap_len);
    if (args->keymap_len)
        memcpy(p + ROW_HDR, args->keymap, args->keymap_len);
    if (args->value_len)
        memcpy(p + ROW_HDR + args->keymap_len, args->value, args->value_len);

    if (streaming)
        append_event(t, args->table_id, partitions, CHANGELOG_PUT, args->key, args->klen,
                     args->shard_len, args->keymap, args->keymap_len, args->value,
                     args->value_len, args->now_ms, exp_ms, version,
                     live == 1 ? &cur : NULL);
    if (txn_ok(t)) {
        res->written = true;
        res->version = version;
        if (exp_ms != 0)
            reap_note(t->store, exp_ms);
    }
done:
    if (c)
        mdb_cursor_close(c);
    if (!a) {
        res->existing.keymap = res->existing.value = NULL;
        res->existing.keymap_len = res->existing.value_len = 0;
    }
    arena_free(&local);
    return store_txn_error(t, err);
}

cs_err_t rows_delete(store_txn_t *t, const rows_delete_args_t *args, arena_t *a,
                     rows_result_t *res, cs_error_t *err)
{
    memset(res, 0, sizeof *res);
    cs_err_t code = check_key(t, args->key, args->klen, args->shard_len, err);
    if (code != CS_OK)
        return code;
    if (args->cond != ROWS_ALWAYS && args->cond != ROWS_IF_VERSION)
        return cs_fail(err, CS_EINVAL, "a delete is unconditional or if-version");
    bool streaming;
    uint32_t partitions;
    code = table_state(t, args->table_id, args->table, &streaming, &partitions, err);
    if (code != CS_OK)
        return code;

    keybuf_t k;
    keys_row(&k, args->table_id, args->key, args->klen);
    row_rec_t cur;
    arena_t local;
    arena_init(&local, 0);
    int live = row_read(t, &k, args->now_ms, &cur);
    if (live != 1)
        goto done;
    res->had_existing = true;
    if (a || streaming)
        row_copy(t, a ? a : &local, &cur);
    res->existing = cur;
    if (!txn_ok(t))
        goto done;
    if (args->cond == ROWS_IF_VERSION && cur.version != args->match_version)
        goto done;

    txn_del(t, KEYS_DBI_ROWS, &k);
    if (streaming)
        append_event(t, args->table_id, partitions, CHANGELOG_DELETE, args->key, args->klen,
                     args->shard_len, cur.keymap, cur.keymap_len, NULL, 0, args->now_ms, 0,
                     store_next_version(t), &cur);
    if (txn_ok(t))
        res->written = true;
done:
    if (!a) {
        res->existing.keymap = res->existing.value = NULL;
        res->existing.keymap_len = res->existing.value_len = 0;
    }
    arena_free(&local);
    return store_txn_error(t, err);
}

/* ===================================================================== */
/* ranges                                                                */
/* ===================================================================== */

/* memcmp order with a shorter prefix first: LMDB's default key order. */
static int cmp_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* Position c at the first key of the range (>= max(prefix, start)). */
static int range_first(store_txn_t *t, MDB_cursor *c, uint64_t table_id,
                       const rows_range_t *r, MDB_val *kv, MDB_val *v, keybuf_t *seek)
{
    const uint8_t *from = r->prefix;
    size_t flen = r->prefix_len;
    if (r->start && cmp_bytes(r->start, r->start_len, r->prefix, r->prefix_len) > 0) {
        from = r->start;
        flen = r->start_len;
    }
    if (!keys_row(seek, table_id, from, flen > ROWS_MAX_KEY ? ROWS_MAX_KEY : flen))
        return 0;
    kv->mv_size = seek->len;
    kv->mv_data = seek->b;
    return txn_cursor_get(t, c, kv, v, MDB_SET_RANGE);
}

/* Classify the cursor's key: 1 inside the range, 0 skip (the exclusive
 * start), -1 past the end of the range. */
static int range_check(uint64_t table_id, const rows_range_t *r, const MDB_val *kv,
                       const uint8_t **rkey, size_t *rlen)
{
    uint64_t tid;
    if (!keys_parse_row(kv->mv_data, kv->mv_size, &tid, rkey, rlen) || tid != table_id)
        return -1;
    if (*rlen < r->prefix_len || (r->prefix_len && memcmp(*rkey, r->prefix, r->prefix_len)))
        return -1;
    if (r->end) {
        int c = cmp_bytes(*rkey, *rlen, r->end, r->end_len);
        if (c > 0 || (c == 0 && !r->end_incl))
            return -1;
    }
    if (r->start) {
        int c = cmp_bytes(*rkey, *rlen, r->start, r->start_len);
        if (c < 0 || (c == 0 && !r->start_incl))
            return 0;
    }
    return 1;
}

cs_err_t rows_scan(store_txn_t *t, uint64_t table_id, const rows_range_t *range,
                   int64_t now_ms, rows_visit_fn fn, void *ctx, cs_error_t *err)
{
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_ROWS);
    if (!c)
        return store_txn_error(t, err);
    MDB_val kv, v;
    keybuf_t seek;
    int got = range_first(t, c, table_id, range, &kv, &v, &seek);
    while (got == 1) {
        const uint8_t *rkey;
        size_t rlen;
        int in = range_check(table_id, range, &kv, &rkey, &rlen);
        if (in < 0)
            break;
        row_rec_t row;
        if (in > 0) {
            if (!row_decode(t, &v, &row))
                break;
            if (row_live(&row, now_ms) && !fn(rkey, rlen, &row, ctx))
                break;
        }
        got = txn_cursor_get(t, c, &kv, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return store_txn_error(t, err);
}

cs_err_t rows_delete_range(store_txn_t *t, const rows_delete_range_args_t *args, arena_t *a,
                           rows_range_result_t *res, cs_error_t *err)
{
    memset(res, 0, sizeof *res);
    if (!txn_ok(t))
        return store_txn_error(t, err);
    if (!t->rw)
        return cs_fail(err, CS_EINVAL, "row write outside a write transaction");
    bool streaming;
    uint32_t partitions;
    cs_err_t code = table_state(t, args->table_id, NULL, &streaming, &partitions, err);
    if (code != CS_OK)
        return code;

    const rows_range_t *r = &args->range;
    uint8_t last[ROWS_MAX_KEY];
    size_t last_len = 0;
    buf_t old;            /* the deleted row's key map + value, for its event */
    buf_init(&old, 0);
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_ROWS);
    if (!c)
        goto done;
    MDB_val kv, v;
    keybuf_t seek;
    int got = range_first(t, c, args->table_id, r, &kv, &v, &seek);
    while (got == 1) {
        const uint8_t *rkey;
        size_t rlen;
        int in = range_check(args->table_id, r, &kv, &rkey, &rlen);
        if (in < 0)
            break;
        row_rec_t row;
        if (in == 0 || (row_decode(t, &v, &row) && !row_live(&row, args->now_ms))) {
            got = txn_cursor_get(t, c, &kv, &v, MDB_NEXT);
            continue;
        }
        if (!txn_ok(t))
            break;
        if ((args->max_rows && res->deleted >= args->max_rows) ||
            (args->max_bytes && res->bytes >= args->max_bytes) ||
            (args->max_kb && res->kb >= args->max_kb)) {
            res->more = true;
            break;
        }
        /* Copy what the event needs before the delete invalidates it. */
        memcpy(last, rkey, rlen);
        last_len = rlen;
        buf_reset(&old);
        buf_append(&old, row.keymap, row.keymap_len);
        buf_append(&old, row.value, row.value_len);
        if (!buf_ok(&old)) {
            txn_fail(t, CS_ENOMEM, "out of memory deleting rows");
            break;
        }
        int rc = mdb_cursor_del(c, 0);
        if (rc) {
            txn_fail_mdb(t, rc, "deleting a row");
            break;
        }
        res->deleted++;
        res->bytes += rlen + row.value_len;
        size_t row_kb = (row.keymap_len + row.value_len + 1023) / 1024;
        res->kb += row_kb ? row_kb : 1;
        if (streaming) {
            row.keymap = old.data;
            row.value = old.data + row.keymap_len;
            size_t shard = args->shard_len < last_len ? args->shard_len : last_len;
            append_event(t, args->table_id, partitions, CHANGELOG_DELETE, last, last_len,
                         shard, row.keymap, row.keymap_len, NULL, 0, args->now_ms, 0,
                         store_next_version(t), &row);
        }
        /* Re-seek past the deleted key rather than trust the cursor across
         * the writes the event made. */
        keys_row(&seek, args->table_id, last, last_len);
        kv.mv_size = seek.len;
        kv.mv_data = seek.b;
        got = txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE);
    }
    mdb_cursor_close(c);
    if (res->deleted > 0 && txn_ok(t)) {
        res->cont_key = arena_memdup(a, last, last_len);
        res->cont_len = last_len;
        if (!res->cont_key)
            txn_fail(t, CS_ENOMEM, "out of memory for the continuation key");
    }
done:
    buf_free(&old);
    return store_txn_error(t, err);
}

/* ===================================================================== */
/* expiry                                                                */
/* ===================================================================== */

#define REAP_EXAMINE_PER_DELETE 16  /* rows examined per allowed deletion */

/* A stored row expires at exp_ms (store_int.h: reap_due_ms). Write jobs
 * only, like the rest of the reaper's state. */
static void reap_note(store_t *s, int64_t exp_ms)
{
    if (exp_ms < s->reap_due_ms)
        s->reap_due_ms = exp_ms;
    if (exp_ms < s->reap_pass_min)
        s->reap_pass_min = exp_ms;
}

cs_err_t rows_reap_expired(store_txn_t *t, int64_t now_ms, size_t max, size_t *deleted,
                           bool *more, cs_error_t *err)
{
    store_t *s = t->store;
    *deleted = 0;
    *more = false;
    bool resumed = s->reap_from_len != 0;
    if (!resumed && s->reap_known && now_ms < s->reap_due_ms)
        return store_txn_error(t, err);   /* no stored row can have expired yet */
    MDB_cursor *c = txn_cursor(t, KEYS_DBI_ROWS);
    if (!c)
        return store_txn_error(t, err);
    size_t budget = max > SIZE_MAX / REAP_EXAMINE_PER_DELETE ? SIZE_MAX
                                                             : max * REAP_EXAMINE_PER_DELETE;
    if (!resumed)
        s->reap_pass_min = INT64_MAX;   /* a pass starts at the first row */
    MDB_val kv = { s->reap_from_len, s->reap_from }, v;
    int got = resumed ? txn_cursor_get(t, c, &kv, &v, MDB_SET_RANGE)
                      : txn_cursor_get(t, c, &kv, &v, MDB_FIRST);
    s->reap_from_len = 0;
    size_t examined = 0;
    while (got == 1) {
        if (*deleted >= max || examined >= budget) {
            memcpy(s->reap_from, kv.mv_data, kv.mv_size);  /* <= KEYS_MAX */
            s->reap_from_len = kv.mv_size;
            *more = true;
            break;
        }
        examined++;
        row_rec_t row;
        if (!row_decode(t, &v, &row))
            break;
        /* deleted rows count too: if this job rolls back, they are still
         * there, and the next pass must come soon */
        if (row.exp_ms != 0 && row.exp_ms < s->reap_pass_min)
            s->reap_pass_min = row.exp_ms;
        if (row_live(&row, now_ms)) {
            got = txn_cursor_get(t, c, &kv, &v, MDB_NEXT);
            continue;
        }
        int rc = mdb_cursor_del(c, 0);
        if (rc) {
            txn_fail_mdb(t, rc, "deleting an expired row");
            break;
        }
        (*deleted)++;
        got = txn_cursor_get(t, c, &kv, &v, MDB_NEXT);  /* the row after the deleted one */
    }
    mdb_cursor_close(c);
    if (got == 0) {
        /* The pass reached the last row, having seen every row since it
         * began at the first (rows written meanwhile went through
         * reap_note): nothing expires before the earliest it met. */
        s->reap_known = true;
        s->reap_due_ms = s->reap_pass_min;
    }
    return store_txn_error(t, err);
}
