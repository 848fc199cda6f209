/*
 * groups_poll.c - group_poll: reading a consumer's partitions in commit
 * order (contract in groups.h).
 *
 * A poll reads one table: the one whose oldest undelivered event is the
 * oldest (see poll_read). It merges that table's owned partitions by event
 * version with a binary heap; each partition keeps its own change-log
 * cursor on its next event, so every event is read once and only the
 * head's version is looked at before the event is taken. Events are passed
 * to the caller's emit while the cursor is on them (borrowed); the cursors
 * are closed, then positions and the poll record written.
 */
#include "groups_int.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Merge state of one owned partition during a poll: its own change-log
 * cursor, on the next event to deliver (the head). */
typedef struct pstream {
    uint64_t table_id;
    uint32_t partition;
    uint64_t epoch;
    uint64_t delivered;    /* as stored before the poll */
    uint64_t pos;          /* next seq to deliver */
    uint64_t next;         /* partition's next seq to be written */
    changelog_iter_t it;   /* it.valid: the head is an event to deliver */
} pstream_t;

/* Heap order: lower head version first, ties by (table, partition). */
static bool stream_less(const pstream_t *a, const pstream_t *b)
{
    if (a->it.version != b->it.version)
        return a->it.version < b->it.version;
    if (a->table_id != b->table_id)
        return a->table_id < b->table_id;
    return a->partition < b->partition;
}

static void heap_down(pstream_t **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && stream_less(h[l], h[m]))
            m = l;
        if (r < n && stream_less(h[r], h[m]))
            m = r;
        if (m == i)
            return;
        pstream_t *tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

/* Open s's cursor at its delivered position and settle where the poll
 * starts: retained events are the contiguous run [first, next), so the
 * first event at or after `delivered` is `delivered` itself, or the first
 * retained one when the events before it were purged (the position jumps
 * over them); with none at or after it, a position before `next` jumps to
 * `next` (everything before was purged). */
static void stream_open(store_txn_t *t, pstream_t *s)
{
    if (!changelog_next_seq(t, s->table_id, s->partition, &s->next))
        return;
    if (s->delivered >= s->next)
        return;   /* nothing written since: no cursor needed */
    if (changelog_iter_open(t, &s->it, s->table_id, s->partition, s->delivered))
        s->pos = s->it.seq;
    else
        s->pos = s->delivered < s->next ? s->next : s->delivered;
}

/* Read up to limit events of the consumer's partitions in merge order,
 * emitting each; moves every stream's pos past what was taken. Every event
 * is read once, from its partition's cursor. */
static cs_err_t poll_read(store_txn_t *t, pstream_t *st, size_t ns, uint32_t limit,
                          group_emit_fn emit, void *ctx, cs_error_t *err)
{
    pstream_t **heap = malloc((ns ? ns : 1) * sizeof *heap);
    if (!heap)
        return cs_fail(err, CS_ENOMEM, "out of memory polling");
    /* One table per poll: the table whose oldest undelivered event is the
     * oldest of all. A bundle then holds one message, and a caller that
     * polls "until table A's records arrive" never swallows table B's
     * (the official Python SDK's multi-table tests poll exactly so). Other
     * tables' events stay undelivered for the next poll. */
    size_t hn = 0;
    uint64_t oldest = UINT64_MAX, table = 0;
    for (size_t i = 0; i < ns; i++) {
        if (st[i].it.valid && st[i].it.version < oldest) {
            oldest = st[i].it.version;
            table = st[i].table_id;
        }
    }
    for (size_t i = 0; i < ns; i++)
        if (st[i].it.valid && st[i].table_id == table)
            heap[hn++] = &st[i];
    for (size_t i = hn; i-- > 0;)
        heap_down(heap, hn, i);
    uint32_t taken = 0;
    while (taken < limit && hn > 0 && txn_ok(t)) {
        pstream_t *s = heap[0];
        changelog_event_t ev;
        if (!changelog_iter_event(&s->it, &ev))
            break;
        if (!emit(ctx, ev.table_id, &ev))
            break;                      /* the caller is full */
        taken++;
        s->pos = ev.seq + 1;
        if (!changelog_iter_next(&s->it))
            heap[0] = heap[--hn];
        heap_down(heap, hn, 0);
    }
    free(heap);
    return store_txn_error(t, err);
}

/* ---- rewinding polls whose replies were lost --------------------------- */

typedef struct rewind_ent {
    uint64_t table_id, epoch, end;
    uint32_t partition;
    bool lost;             /* from a poll after seen_seq */
} rewind_ent_t;

typedef struct rewind {
    store_txn_t *t;
    uint64_t seen;
    rewind_ent_t *v;
    size_t n, cap;
    uint64_t *lost_seqs;
    size_t nl, lcap;
    bool nomem;
} rewind_t;

static bool rewind_visit(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                         void *ctx)
{
    rewind_t *r = ctx;
    if (klen != 16 || vlen % POLL_ENT_LEN != 0) {
        txn_fail(r->t, CS_ECORRUPT, "store is corrupt: bad poll record");
        return false;
    }
    uint64_t seq = be64_load(key + 8);
    bool lost = seq > r->seen;
    size_t ne = vlen / POLL_ENT_LEN;
    if ((lost && !gr_grow((void **)&r->lost_seqs, &r->lcap, r->nl + 1, sizeof *r->lost_seqs)) ||
        !gr_grow((void **)&r->v, &r->cap, r->n + ne, sizeof *r->v)) {
        r->nomem = true;
        return false;
    }
    if (lost)
        r->lost_seqs[r->nl++] = seq;
    for (size_t i = 0; i < ne; i++) {
        const uint8_t *q = val + i * POLL_ENT_LEN;
        rewind_ent_t *e = &r->v[r->n++];
        e->table_id = be64_load(q);
        e->partition = be32_load(q + 8);
        e->epoch = be64_load(q + 12);
        e->end = be64_load(q + 20);
        e->lost = lost;
    }
    return true;
}

/* Undo the polls of consumer c after seen_seq (their replies never reached
 * the client): drop their records and move each partition they advanced
 * back to where the client's knowledge ends: the furthest end of a kept
 * (seen, uncommitted) poll of that partition, else the group's committed
 * position. Partitions that changed owner or epoch since are left alone. */
static cs_err_t rewind_lost_polls(store_txn_t *t, const consumer_info_t *c, uint64_t seen_seq,
                                  cs_error_t *err)
{
    rewind_t r;
    keybuf_t k;
    cs_err_t rc = CS_OK;
    memset(&r, 0, sizeof r);
    r.t = t;
    r.seen = seen_seq;
    gr_key_id(&k, c->cid);
    keys_foreach_prefix(t, KEYS_DBI_CPOLLS, k.b, k.len, NULL, 0, rewind_visit, &r);
    if (!txn_ok(t) || r.nomem) {
        rc = r.nomem ? cs_fail(err, CS_ENOMEM, "out of memory rewinding polls")
                     : store_txn_error(t, err);
        goto out;
    }
    for (size_t i = 0; i < r.n && txn_ok(t); i++) {
        const rewind_ent_t *e = &r.v[i];
        uint64_t delivered, epoch;
        gpos_t g;
        if (!e->lost || gr_cpart_get(t, c->cid, e->table_id, e->partition, &delivered, &epoch) != 1 ||
            epoch != e->epoch || gr_gpos_get(t, c->gid, e->table_id, e->partition, &g) != 1 ||
            g.owner != c->cid || g.epoch != epoch)
            continue;
        uint64_t to = g.committed;
        for (size_t j = 0; j < r.n; j++) {
            const rewind_ent_t *f = &r.v[j];
            if (!f->lost && f->table_id == e->table_id && f->partition == e->partition &&
                f->epoch == epoch && f->end > to)
                to = f->end;
        }
        if (to < delivered)
            gr_cpart_put(t, c->cid, e->table_id, e->partition, to, epoch);
    }
    for (size_t i = 0; i < r.nl && txn_ok(t); i++) {
        gr_key_id2(&k, c->cid, r.lost_seqs[i]);
        txn_del(t, KEYS_DBI_CPOLLS, &k);
    }
    rc = store_txn_error(t, err);
out:
    free(r.v);
    free(r.lost_seqs);
    return rc;
}

cs_err_t group_poll(store_txn_t *t, uint64_t cid, const char *tenant, uint32_t limit,
                    int64_t now_ms, group_emit_fn emit, void *ctx,
                    uint64_t *poll_seq_out, int64_t *remaining_out, cs_error_t *err)
{
    return group_poll_seen(t, cid, tenant, limit, UINT64_MAX, now_ms, emit, ctx, poll_seq_out,
                           remaining_out, err);
}

cs_err_t group_poll_seen(store_txn_t *t, uint64_t cid, const char *tenant, uint32_t limit,
                         uint64_t seen_seq, int64_t now_ms, group_emit_fn emit, void *ctx,
                         uint64_t *poll_seq_out, int64_t *remaining_out, cs_error_t *err)
{
    consumer_info_t c;
    grec_t *g = NULL;
    owned_list_t o = { 0 };
    pstream_t *st = NULL;
    uint8_t *rec = NULL;
    cs_err_t rc = group_consumer_get(t, cid, tenant, &c, err);
    if (rc != CS_OK)
        return rc;
    g = malloc(sizeof *g);
    if (!g)
        return cs_fail(err, CS_ENOMEM, "out of memory polling");
    rc = gr_load_group_of(t, &c, g, err);
    uint64_t seen = seen_seq < c.poll_seq ? seen_seq : c.poll_seq;
    if (rc == CS_OK && seen < c.poll_seq)
        rc = rewind_lost_polls(t, &c, seen, err);
    /* automatic mode: this poll says the polls the client saw are
     * processed. A heartbeat (limit 0) says only "alive, still processing":
     * it commits nothing (the Java doc's use of poll(0) during long
     * processing). */
    if (rc == CS_OK && !c.manual && limit > 0 && seen > 0)
        rc = gr_commit_upto(t, &c, seen, err);
    if (rc == CS_OK)
        rc = gr_settle(t, g, cid, now_ms, false, err);
    if (rc == CS_OK)
        rc = gr_owned_load(t, cid, &o, err);
    if (rc != CS_OK)
        goto out;

    st = calloc(o.n ? o.n : 1, sizeof *st);
    if (!st) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory polling");
        goto out;
    }
    for (size_t i = 0; i < o.n && txn_ok(t); i++) {
        st[i].table_id = o.v[i].table_id;
        st[i].partition = o.v[i].partition;
        st[i].epoch = o.v[i].epoch;
        st[i].delivered = st[i].pos = o.v[i].delivered;
        stream_open(t, &st[i]);
    }
    rc = limit > 0 ? poll_read(t, st, o.n, limit, emit, ctx, err) : store_txn_error(t, err);
    /* the cursors go before anything is written */
    for (size_t i = 0; i < o.n; i++)
        changelog_iter_close(&st[i].it);
    if (rc != CS_OK)
        goto out;

    /* write back: delivered positions, the poll record, the consumer */
    uint64_t remaining = 0;
    size_t n_adv = 0;
    for (size_t i = 0; i < o.n; i++) {
        if (st[i].next > st[i].pos)
            remaining += st[i].next - st[i].pos;
        if (st[i].pos != st[i].delivered) {
            gr_cpart_put(t, cid, st[i].table_id, st[i].partition, st[i].pos, st[i].epoch);
            n_adv++;
        }
    }
    c.last_poll_ms = now_ms;
    if (limit > 0) {
        c.poll_seq++;
        if (n_adv > 0) {
            rec = malloc(n_adv * POLL_ENT_LEN);
            if (!rec) {
                rc = cs_fail(err, CS_ENOMEM, "out of memory polling");
                goto out;
            }
            size_t j = 0;
            for (size_t i = 0; i < o.n; i++) {
                if (st[i].pos == st[i].delivered)
                    continue;
                uint8_t *q = rec + j++ * POLL_ENT_LEN;
                be64_store(q, st[i].table_id);
                be32_store(q + 8, st[i].partition);
                be64_store(q + 12, st[i].epoch);
                be64_store(q + 20, st[i].pos);
            }
            keybuf_t k;
            gr_key_id2(&k, cid, c.poll_seq);
            txn_put(t, KEYS_DBI_CPOLLS, &k, rec, n_adv * POLL_ENT_LEN);
        }
    }
    gr_consumer_store(t, &c);
    rc = store_txn_error(t, err);
    if (rc == CS_OK) {
        if (poll_seq_out)
            *poll_seq_out = c.poll_seq;
        if (remaining_out)
            *remaining_out = remaining > INT64_MAX ? INT64_MAX : (int64_t)remaining;
    }
out:
    free(g);
    free(o.v);
    free(st);
    free(rec);
    return rc;
}
