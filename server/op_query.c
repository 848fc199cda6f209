/*
 * op_query.c - Query (7) and Prepare (8) on the simple-query path
 * (PROTOCOL.md 4.13): the server runs the whole statement and hands rows
 * out in batches; a reply never carries a driver plan ("dq"), which is
 * what makes every SDK treat the query as simple.
 *
 * Statelessness: the prepared statement "pq" is PQ_MAGIC + format byte +
 * the statement text, so a later batch or a prepared query re-parses it and
 * needs nothing kept on the server. The continuation key "ck" says where the
 * previous batch stopped:
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       8     CK_MAGIC "csemu-ck"
 *   8       1     format (1)
 *   9       1     flags: bit 0 = descending scan, bit 1 = sorted results
 *   10      8     matching rows seen before this batch (LIMIT/OFFSET), BE;
 *                 sorted results: the position of the next row to return
 *   18      8     rows counted so far (count(*)), BE
 *   26      4     length n of the last examined row key, BE
 *   30      n     that key: the next batch starts after it (before it when
 *                 descending); sorted results: unused (one 0 byte)
 *
 * An ORDER BY that is not the key order reads and sorts every matching row
 * in each batch (the server keeps nothing between batches), then returns
 * the batch's slice of the sorted results; its read budget cannot stop the
 * scan, so such a batch costs the whole range.
 *
 * Each batch reads rows in primary-key order inside one read transaction
 * (the shard or key prefix the WHERE clause fixes, else the whole table;
 * a descending batch first collects the keys, since the store scans only
 * forward),
 * evaluates the statement with proto/query, and stops at the request's row
 * limit ("nl"), its read budget ("mr", default DEFAULT_MAX_READ_KB: the
 * row that goes over it is the last one read) or REPLY_ROWS_LIMIT bytes of
 * results; it then returns "ck". Capacity: every row read costs its key +
 * value bytes in KB, at least 1, as Get does; read units are twice that for
 * ABSOLUTE consistency; a batch costs at least 1 KB. Prepare costs 2 KB and
 * 2 units, as the service reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "handlers.h"
#include "op_common.h"
#include "query.h"
#include "row.h"
#include "rows.h"
#include "schema.h"
#include "store.h"
#include "tables.h"
#include "tcache.h"

#define PQ_MAGIC "csemu-pq"
#define CK_MAGIC "csemu-ck"
#define MAGIC_LEN 8
#define FORMAT 1
#define CK_HEADER (MAGIC_LEN + 2 + 8 + 8 + 4)
#define DEFAULT_MAX_READ_KB 2048          /* the service's per-batch read ceiling */
#define REPLY_ROWS_LIMIT (4u << 20)       /* result bytes per batch */
#define DESC_KEYS_LIMIT (64u << 20)       /* key bytes a descending batch may collect */
#define ROW_SCRATCH_LIMIT (64u << 20)     /* decoding and evaluating one row */
#define SORT_LIMIT (128u << 20)           /* results a sorted batch may hold */
#define PREPARE_COST_KB 2
#define QUERY_OP_SELECT 5                 /* "qo": PreparedStatement.OPCODE_SELECT */

/* ------------------------------------------------------------------------
 * Shared pieces: capacity, the statement, the table
 * ------------------------------------------------------------------------ */

/* The prepared-statement bytes for a statement text (arena-allocated). */
static uint8_t *pq_encode(arena_t *a, const char *text, size_t len, size_t *out_len)
{
    uint8_t *p = arena_alloc(a, MAGIC_LEN + 1 + len);
    if (!p)
        return NULL;
    memcpy(p, PQ_MAGIC, MAGIC_LEN);
    p[MAGIC_LEN] = FORMAT;
    memcpy(p + MAGIC_LEN + 1, text, len);
    *out_len = MAGIC_LEN + 1 + len;
    return p;
}

/* The statement text of a Query request: "st", or the text inside "pq"
 * when "is" (prepared) is true. */
static cs_err_t statement_of(const nson_value_t *p, const char **text, size_t *len,
                             bool *prepared, cs_error_t *err)
{
    bool bad = false;
    *prepared = false;
    nson_get_bool(p, "is", prepared, &bad);
    if (*prepared) {
        const uint8_t *pq;
        uint32_t n;
        if (!nson_get_binary(p, "pq", &pq, &n, &bad) || bad)
            return cs_fail(err, bad ? CS_EPROTO : CS_EINVAL,
                           "a prepared query needs its prepared statement \"pq\"");
        if (n <= MAGIC_LEN + 1 || memcmp(pq, PQ_MAGIC, MAGIC_LEN) != 0 || pq[MAGIC_LEN] != FORMAT)
            return cs_fail(err, CS_EINVAL, "the prepared statement was not made by csemu "
                                           "(prepare the query again)");
        *text = (const char *)pq + MAGIC_LEN + 1;
        *len = n - MAGIC_LEN - 1;
        return CS_OK;
    }
    const char *st;
    if (!nson_get_string(p, "st", &st, &bad) || bad)
        return cs_fail(err, bad ? CS_EPROTO : CS_EINVAL, "the query has no statement");
    *text = st;
    *len = strlen(st);
    return CS_OK;
}

/* The statement's table and its parsed schema, read inside txn t. */
/* ------------------------------------------------------------------------
 * Prepare
 * ------------------------------------------------------------------------ */

cs_err_t op_prepare(op_ctx_t *ctx)
{
    const nson_value_t *p = ctx->req->payload;
    const char *st;
    bool bad = false, want_plan = false;
    if (!nson_get_string(p, "st", &st, &bad) || bad)
        return cs_fail(ctx->err, bad ? CS_EPROTO : CS_EINVAL, "Prepare requires a statement");
    nson_get_bool(p, "gq", &want_plan, &bad);
    query_t *q;
    cs_err_t rc = query_parse(ctx->arena, st, strlen(st), &q, ctx->err);
    if (rc != CS_OK)
        return rc;

    store_txn_t t;
    rc = store_read_begin(ctx->srv->store, &t, ctx->err);
    if (rc != CS_OK)
        return rc;
    table_ctx_t tc;
    rc = op_table_open(ctx, &t, query_table(q), &tc, ctx->err);
    buf_t plan;
    buf_init(&plan, 1u << 20);
    if (rc == CS_OK) {
        rc = query_check(q, tc.ent->schema, ctx->err);
        if (rc == CS_OK && want_plan)
            query_describe(q, &plan);
        op_table_close(&tc);
    }
    store_read_end(&t);
    size_t pq_len = 0;
    uint8_t *pq = rc == CS_OK ? pq_encode(ctx->arena, st, strlen(st), &pq_len) : NULL;
    if (rc == CS_OK && !pq)
        rc = cs_fail(ctx->err, CS_ENOMEM, "out of memory");
    if (rc == CS_OK) {
        /* no "qr", no "p1": borneo would take this for a query result */
        op_write_consumed(ctx->w,
                          &(consumed_t){ .read_kb = PREPARE_COST_KB, .read_units = PREPARE_COST_KB });
        nson_w_kv_binary(ctx->w, "pq", pq, pq_len);
        nson_w_kv_string(ctx->w, "n", tc.rec.name);
        nson_w_kv_int(ctx->w, "qo", QUERY_OP_SELECT);
        if (want_plan && buf_ok(&plan) && plan.len > 0)
            nson_w_kv_string(ctx->w, "qs", (const char *)plan.data);
    }
    buf_free(&plan);
    return rc;
}

/* ------------------------------------------------------------------------
 * Query: one batch
 * ------------------------------------------------------------------------ */

typedef struct cont {
    bool present;
    bool desc;
    bool sort;
    int64_t matches;        /* matching rows before this batch */
    int64_t count;          /* count(*) so far */
    const uint8_t *key;     /* last examined key */
    uint32_t key_len;
} cont_t;

static cs_err_t cont_decode(const uint8_t *p, uint32_t n, cont_t *c, cs_error_t *err)
{
    memset(c, 0, sizeof *c);
    if (!p)
        return CS_OK;
    if (n < CK_HEADER || memcmp(p, CK_MAGIC, MAGIC_LEN) != 0 || p[MAGIC_LEN] != FORMAT)
        return cs_fail(err, CS_EINVAL, "invalid continuation key: it was not made by csemu "
                                       "for this query");
    c->present = true;
    c->desc = p[MAGIC_LEN + 1] & 1;
    c->sort = (p[MAGIC_LEN + 1] & 2) != 0;
    c->matches = (int64_t)be64_load(p + MAGIC_LEN + 2);
    c->count = (int64_t)be64_load(p + MAGIC_LEN + 10);
    c->key_len = be32_load(p + MAGIC_LEN + 18);
    c->key = p + CK_HEADER;
    if (c->matches < 0 || c->count < 0 || c->key_len != n - CK_HEADER || c->key_len == 0 ||
        c->key_len > ROWS_MAX_KEY)
        return cs_fail(err, CS_EINVAL, "invalid continuation key");
    return CS_OK;
}

typedef struct run {
    query_t *q;
    const schema_t *schema;
    query_exec_t ex;
    int32_t max_rows;       /* "nl", 0 = none */
    int64_t max_read_kb;    /* "mr" or the default */
    int64_t read_kb;        /* this batch */
    int64_t matches;        /* matching rows so far, all batches */
    int64_t count;          /* count(*) so far, all batches */
    uint32_t returned;      /* rows in this batch */
    bool stop;              /* a budget ran out: more batches follow */
    bool done;              /* LIMIT reached: nothing follows */
    buf_t last_key;         /* the last examined row's key */
    buf_t rowbuf;           /* the current row, all columns */
    buf_t out;              /* the "qr" ARRAY */
    nson_writer_t ow;
    /* sorted results (ex.sort) */
    arena_t sort_arena;     /* sort keys and result rows */
    buf_t sorted;           /* sorted_t entries */
    buf_t tmp;              /* one encoded sort key or result row */
    cs_err_t rc;
    cs_error_t *err;
} run_t;

/* One matching row of a sorted batch. */
typedef struct sorted {
    const nson_value_t *key;    /* decoded ARRAY of ORDER BY values */
    const uint8_t *row;         /* the encoded result row */
    size_t row_len;
    size_t seq;                 /* scan position: ties keep primary-key order */
} sorted_t;

/* Keep a matching row for sorting: its sort key and its result. */
static cs_err_t sort_keep(run_t *r, arena_t *scratch, const nson_value_t *v)
{
    sorted_t e = { .seq = r->sorted.len / sizeof(sorted_t) };
    buf_reset(&r->tmp);
    nson_writer_t w;
    nson_writer_init(&w, &r->tmp);
    cs_err_t rc = query_sort_key(r->q, scratch, v, &w, r->err);
    if (rc != CS_OK)
        return rc;
    cs_error_t e2;
    if (nson_writer_ok(&w))
        e.key = nson_decode(&r->sort_arena, r->tmp.data, r->tmp.len, false, &e2);
    buf_reset(&r->tmp);
    nson_writer_init(&w, &r->tmp);
    if (r->ex.select_star)
        nson_w_raw(&w, r->rowbuf.data, r->rowbuf.len);
    else if ((rc = query_project(r->q, scratch, v, &w, r->err)) != CS_OK)
        return rc;
    if (e.key && nson_writer_ok(&w)) {
        e.row = arena_memdup(&r->sort_arena, r->tmp.data, r->tmp.len);
        e.row_len = r->tmp.len;
        buf_append(&r->sorted, &e, sizeof e);
    }
    if (!e.key || !e.row || !buf_ok(&r->sorted))
        return cs_fail(r->err, CS_ENOTSUP, "ORDER BY over more than %u MB of results is not "
                                           "supported by csemu: narrow the query with WHERE",
                       SORT_LIMIT >> 20);
    return CS_OK;
}

/* Examine one row: filter, count or project it, charge it, and decide
 * whether the batch goes on. */
static bool run_row(run_t *r, const uint8_t *key, size_t klen, const row_rec_t *row)
{
    r->read_kb += op_kb_of(row->keymap_len + row->value_len);
    buf_reset(&r->last_key);
    buf_append(&r->last_key, key, klen);

    buf_reset(&r->rowbuf);
    nson_writer_t w;
    nson_writer_init(&w, &r->rowbuf);
    arena_t scratch;
    arena_init(&scratch, ROW_SCRATCH_LIMIT);
    cs_err_t rc = row_write_full(&w, r->schema, row->keymap, row->keymap_len, row->value,
                                 row->value_len);
    if (rc == CS_OK && (!nson_writer_ok(&w) || !buf_ok(&r->last_key)))
        rc = cs_fail(r->err, CS_ENOMEM, "out of memory");
    else if (rc != CS_OK && r->err->code == CS_OK)
        cs_fail(r->err, rc, "stored row does not decode");
    nson_value_t *v = NULL;
    if (rc == CS_OK) {
        v = nson_decode(&scratch, r->rowbuf.data, r->rowbuf.len, false, r->err);
        if (!v)
            rc = r->err->code == CS_ENOMEM ? CS_ENOMEM : cs_fail(r->err, CS_ECORRUPT,
                                                                 "stored row does not decode");
    }
    bool match = false;
    if (rc == CS_OK)
        rc = query_filter(r->q, &scratch, v, &match, r->err);
    if (rc == CS_OK && match && r->ex.sort) {
        rc = sort_keep(r, &scratch, v);
    } else if (rc == CS_OK && match) {
        int64_t idx = r->matches++;
        if (r->ex.count_star) {
            r->count++;
        } else if (idx >= r->ex.offset) {
            if (r->ex.select_star)
                nson_w_raw(&r->ow, r->rowbuf.data, r->rowbuf.len);
            else
                rc = query_project(r->q, &scratch, v, &r->ow, r->err);
            r->returned++;
            if (r->ex.limit >= 0 && idx + 1 >= r->ex.offset + r->ex.limit)
                r->done = true;
        }
    }
    arena_free(&scratch);
    if (rc != CS_OK) {
        r->rc = rc;
        return false;
    }
    if (r->ex.sort)
        return true;   /* a sort needs every row */
    if (!r->done && ((r->max_rows > 0 && r->returned >= (uint32_t)r->max_rows) ||
                     r->read_kb > r->max_read_kb || r->out.len >= REPLY_ROWS_LIMIT))
        r->stop = true;
    return !r->done && !r->stop;
}

static int sorted_cmp(const void *pa, const void *pb, void *arg)
{
    const sorted_t *a = pa, *b = pb;
    int c = query_sort_cmp(arg, a->key, b->key);
    return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sort the kept rows and return this batch's slice, from position `from`. */
static void sort_emit(run_t *r, int64_t from)
{
    sorted_t *e = (sorted_t *)r->sorted.data;
    size_t n = r->sorted.len / sizeof *e;
    if (n > 1)
        qsort_r(e, n, sizeof *e, sorted_cmp, r->q);
    int64_t start = from > r->ex.offset ? from : r->ex.offset;
    int64_t end = (int64_t)n;
    if (r->ex.limit >= 0 && r->ex.offset + r->ex.limit < end)
        end = r->ex.offset + r->ex.limit;
    int64_t i = start;
    for (; i < end; i++) {
        if ((r->max_rows > 0 && r->returned >= (uint32_t)r->max_rows) ||
            r->out.len >= REPLY_ROWS_LIMIT)
            break;
        nson_w_raw(&r->ow, e[i].row, e[i].row_len);
        r->returned++;
    }
    r->matches = i;
    r->stop = i < end;
    buf_reset(&r->last_key);
    buf_putc(&r->last_key, 0);
}

static bool visit_row(const uint8_t *key, size_t klen, const row_rec_t *row, void *arg)
{
    return run_row(arg, key, klen, row);
}

/* Descending batches: collect the keys of the range, then examine rows
 * from the last key back (the store scans forward only). */
typedef struct keylist {
    buf_t keys;             /* u32 length + key, back to back */
    buf_t offs;             /* size_t offsets into keys */
    size_t n;
} keylist_t;

static bool collect_key(const uint8_t *key, size_t klen, const row_rec_t *row, void *arg)
{
    (void)row;
    keylist_t *kl = arg;
    size_t off = kl->keys.len;
    buf_put_be32(&kl->keys, (uint32_t)klen);
    buf_append(&kl->keys, key, klen);
    buf_append(&kl->offs, &off, sizeof off);
    kl->n++;
    return buf_ok(&kl->keys) && buf_ok(&kl->offs);
}

static cs_err_t scan_desc(run_t *r, store_txn_t *t, uint64_t table_id, const rows_range_t *range,
                          int64_t now, cs_error_t *err)
{
    keylist_t kl = { .n = 0 };
    buf_init(&kl.keys, DESC_KEYS_LIMIT);
    buf_init(&kl.offs, DESC_KEYS_LIMIT);
    cs_err_t rc = rows_scan(t, table_id, range, now, collect_key, &kl, err);
    if (rc == CS_OK && (!buf_ok(&kl.keys) || !buf_ok(&kl.offs)))
        rc = cs_fail(err, CS_ENOTSUP, "ORDER BY ... DESC over this many rows is not supported by "
                                      "csemu (more than %u MB of keys)", DESC_KEYS_LIMIT >> 20);
    for (size_t i = kl.n; rc == CS_OK && i-- > 0;) {
        size_t off;
        memcpy(&off, kl.offs.data + i * sizeof off, sizeof off);
        const uint8_t *key = kl.keys.data + off + 4;
        size_t klen = be32_load(kl.keys.data + off);
        arena_t a;
        arena_init(&a, ROW_SCRATCH_LIMIT);
        row_rec_t row;
        bool found = rows_get(t, table_id, key, klen, now, &a, &row);
        bool more = true;
        if (found)
            more = run_row(r, key, klen, &row);
        else if (t->ret)
            rc = store_txn_error(t, err);
        arena_free(&a);
        if (r->rc != CS_OK)
            rc = r->rc;
        if (!more)
            break;
    }
    buf_free(&kl.keys);
    buf_free(&kl.offs);
    return rc;
}

/* The narrowest key range the statement allows, as a key prefix. */
static cs_err_t key_prefix(arena_t *a, const query_t *q, const schema_t *s, key_parts_t *kp)
{
    memset(kp, 0, sizeof *kp);
    buf_t b;
    buf_init(&b, 1u << 20);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    cs_err_t rc = CS_OK;
    if (query_key_prefix(q, &w) > 0 && nson_writer_ok(&w)) {
        cs_error_t ignore;
        nson_value_t *m = nson_decode(a, b.data, b.len, false, &ignore);
        /* a value the key codec refuses just means no narrowing: the
         * condition still decides, row by row */
        if (!m || row_encode_key(a, s, m, true, kp, &ignore) != CS_OK || kp->shard_len == 0)
            memset(kp, 0, sizeof *kp);
    }
    buf_free(&b);
    return rc;
}

typedef struct qreq {
    const char *text;
    size_t len;
    bool prepared;
    int32_t max_rows, max_read_kb;
    bool absolute;
    cont_t cont;
    const nson_value_t *bv;
} qreq_t;

static cs_err_t qreq_read(const nson_value_t *p, qreq_t *r, cs_error_t *err)
{
    memset(r, 0, sizeof *r);
    cs_err_t rc = statement_of(p, &r->text, &r->len, &r->prepared, err);
    if (rc != CS_OK)
        return rc;
    bool bad = false;
    int32_t consistency = 1;
    nson_get_int(p, "nl", &r->max_rows, &bad);
    nson_get_int(p, "mr", &r->max_read_kb, &bad);
    nson_get_int(nson_map_get(p, "co"), "y", &consistency, &bad);
    const uint8_t *ck = NULL;
    uint32_t ck_len = 0;
    nson_get_binary(p, "ck", &ck, &ck_len, &bad);
    r->bv = nson_map_get(p, "bv");
    if (bad)
        return cs_fail(err, CS_EPROTO, "Query has a field of the wrong type");
    if (r->max_rows < 0 || r->max_read_kb < 0)
        return cs_fail(err, CS_EINVAL, "Query limit and max read KB must not be negative");
    r->absolute = consistency == 0;
    return cont_decode(ck, ck_len, &r->cont, err);
}

/* Run one batch of a checked and bound query inside txn t. */
static cs_err_t run_batch(run_t *r, store_txn_t *t, arena_t *a, uint64_t table_id,
                          const cont_t *cont, cs_error_t *err)
{
    key_parts_t kp;
    cs_err_t rc = key_prefix(a, r->q, r->schema, &kp);
    if (rc != CS_OK)
        return rc;
    if (cont->present && (cont->desc != r->ex.desc || cont->sort != r->ex.sort))
        return cs_fail(err, CS_EINVAL, "invalid continuation key: it belongs to another query");
    rows_range_t range = { .prefix = kp.key, .prefix_len = kp.key_len };
    if (cont->present && !r->ex.sort) {
        if (r->ex.desc) {
            range.end = cont->key;
            range.end_len = cont->key_len;
        } else {
            range.start = cont->key;
            range.start_len = cont->key_len;
        }
    }
    int64_t now = clock_now_ms();
    if (!r->ex.count_star && r->ex.limit >= 0 && r->matches >= r->ex.offset + r->ex.limit) {
        r->done = true;   /* LIMIT already satisfied (LIMIT 0, or a stale key) */
        return CS_OK;
    }
    if (r->ex.desc)
        rc = scan_desc(r, t, table_id, &range, now, err);
    else
        rc = rows_scan(t, table_id, &range, now, visit_row, r, err);
    if (r->rc != CS_OK)
        rc = r->rc;
    if (rc == CS_OK && r->ex.sort)
        sort_emit(r, cont->matches);
    return rc;
}

static cs_err_t ck_write(nson_writer_t *w, const run_t *r)
{
    size_t n = CK_HEADER + r->last_key.len;
    uint8_t *p = malloc(n);
    if (!p)
        return CS_ENOMEM;
    memcpy(p, CK_MAGIC, MAGIC_LEN);
    p[MAGIC_LEN] = FORMAT;
    p[MAGIC_LEN + 1] = (r->ex.desc ? 1 : 0) | (r->ex.sort ? 2 : 0);
    be64_store(p + MAGIC_LEN + 2, (uint64_t)r->matches);
    be64_store(p + MAGIC_LEN + 10, (uint64_t)r->count);
    be32_store(p + MAGIC_LEN + 18, (uint32_t)r->last_key.len);
    memcpy(p + CK_HEADER, r->last_key.data, r->last_key.len);
    nson_w_kv_binary(w, "ck", p, n);
    free(p);
    return CS_OK;
}

cs_err_t op_query(op_ctx_t *ctx)
{
    qreq_t req;
    cs_err_t rc = qreq_read(ctx->req->payload, &req, ctx->err);
    query_t *q = NULL;
    if (rc == CS_OK)
        rc = query_parse(ctx->arena, req.text, req.len, &q, ctx->err);
    if (rc == CS_OK)
        rc = query_bind(q, req.bv, ctx->err);
    if (rc != CS_OK)
        return rc;

    run_t r = {
        .q = q,
        .max_rows = req.max_rows,
        .max_read_kb = req.max_read_kb > 0 ? req.max_read_kb : DEFAULT_MAX_READ_KB,
        .matches = req.cont.matches,
        .count = req.cont.count,
        .err = ctx->err,
    };
    buf_init(&r.last_key, 0);
    buf_init(&r.rowbuf, 0);
    buf_init(&r.out, 0);
    buf_init(&r.tmp, 0);
    buf_init(&r.sorted, SORT_LIMIT / 4);
    arena_init(&r.sort_arena, SORT_LIMIT);
    nson_writer_init(&r.ow, &r.out);
    nson_w_array_begin(&r.ow);

    store_txn_t t;
    table_ctx_t tc = { .ent = NULL };
    rc = store_read_begin(ctx->srv->store, &t, ctx->err);
    if (rc == CS_OK) {
        rc = op_table_open(ctx, &t, query_table(q), &tc, ctx->err);
        if (rc == CS_OK) {
            r.schema = tc.ent->schema;
            rc = query_check(q, r.schema, ctx->err);
            query_exec_info(q, &r.ex);
            if (rc == CS_OK)
                rc = run_batch(&r, &t, ctx->arena, tc.rec.id, &req.cont, ctx->err);
        }
        store_read_end(&t);
    }
    bool more = rc == CS_OK && r.stop && !r.done;
    if (rc == CS_OK && r.ex.count_star && !more && r.ex.offset == 0 && r.ex.limit != 0)
        query_write_count(q, r.count, &r.ow);
    nson_w_array_end(&r.ow);
    if (rc == CS_OK && !nson_writer_ok(&r.ow))
        rc = cs_fail(ctx->err, CS_ENOMEM, "out of memory building the query result");

    if (rc == CS_OK) {
        int64_t kb = r.read_kb > 0 ? r.read_kb : 1;
        op_write_consumed(ctx->w,
                          &(consumed_t){ .read_kb = kb, .read_units = req.absolute ? 2 * kb : kb });
        if (!req.prepared) {
            /* the first batch of a statement prepares it (PROTOCOL.md 4.13) */
            size_t pq_len;
            uint8_t *pq = pq_encode(ctx->arena, req.text, req.len, &pq_len);
            if (!pq)
                rc = cs_fail(ctx->err, CS_ENOMEM, "out of memory");
            else
                nson_w_kv_binary(ctx->w, "pq", pq, pq_len);
            nson_w_kv_string(ctx->w, "n", tc.rec.name);
            nson_w_kv_int(ctx->w, "qo", QUERY_OP_SELECT);
        }
        nson_w_key(ctx->w, "qr");
        nson_w_raw(ctx->w, r.out.data, r.out.len);
        if (rc == CS_OK && more && ck_write(ctx->w, &r) != CS_OK)
            rc = cs_fail(ctx->err, CS_ENOMEM, "out of memory");
    }
    if (tc.ent)
        op_table_close(&tc);
    buf_free(&r.last_key);
    buf_free(&r.rowbuf);
    buf_free(&r.out);
    buf_free(&r.tmp);
    buf_free(&r.sorted);
    arena_free(&r.sort_arena);
    return rc;
}
