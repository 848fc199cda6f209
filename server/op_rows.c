/*
 * op_rows.c - Get (2), Put (3-6), Delete (0, 1), WriteMultiple (9) and
 * MultiDelete (10).
 *
 * Every write runs as one store_write job: the table record is read inside
 * the job's transaction (so the schema checked is the schema in force when
 * the row commits), the row is checked and encoded by proto/row, and the
 * store writes the row and its change event together. Replies report the
 * consumed capacity the way the service computes it (1 KB units, absolute
 * reads cost 2 read units per KB), because SDK code and tests read it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "clock.h"
#include "handlers.h"
#include "op_common.h"
#include "row.h"
#include "rows.h"
#include "schema.h"
#include "store.h"
#include "tables.h"
#include "tcache.h"
#include "wire.h"

#define ROW_SIZE_LIMIT (512 * 1024)   /* the service's maximum row size */
#define KEY_SIZE_LIMIT 64             /* the service's maximum primary key size */
#define BATCH_OP_LIMIT 50             /* operations in one WriteMultiple */
#define VERSION_LEN 8
#define MULTI_DELETE_MAX_KB 2048          /* write KB one MultiDelete may use */

/* ------------------------------------------------------------------------
 * Shared pieces: capacity, versions, table lookup inside a transaction
 * ------------------------------------------------------------------------ */

static void version_bytes(uint64_t v, uint8_t out[VERSION_LEN])
{
    be64_store(out, v);
}

static cs_err_t version_parse(const nson_value_t *p, const char *key, uint64_t *out, cs_error_t *err)
{
    const uint8_t *b;
    uint32_t len;
    bool bad = false;
    if (!nson_get_binary(p, key, &b, &len, &bad))
        return cs_fail(err, bad ? CS_EPROTO : CS_EINVAL, "a matching version is required");
    if (len != VERSION_LEN) {
        *out = 0;   /* not one of ours: it can never match */
        return CS_OK;
    }
    *out = be64_load(b);
    return CS_OK;
}

/* Copy a row's full value (all columns) as an NSON MAP into the arena. */
static cs_err_t full_row(arena_t *a, const schema_t *s, const row_rec_t *row, uint8_t **out,
                         size_t *len, cs_error_t *err)
{
    buf_t b;
    buf_init(&b, 0);
    nson_writer_t w;
    nson_writer_init(&w, &b);
    cs_err_t rc = row_write_full(&w, s, row->keymap, row->keymap_len, row->value, row->value_len);
    if (rc == CS_OK && !nson_writer_ok(&w))
        rc = cs_fail(err, CS_ENOMEM, "out of memory");
    if (rc == CS_OK) {
        *out = arena_memdup(a, b.data, b.len);
        *len = b.len;
        if (!*out)
            rc = cs_fail(err, CS_ENOMEM, "out of memory");
    } else if (err && err->code == CS_OK) {
        cs_fail(err, rc, "stored row does not decode");
    }
    buf_free(&b);
    return rc;
}

/* What a write op reports back (one per op of a WriteMultiple). */
typedef struct write_out {
    bool success;
    uint64_t version;            /* new version when written */
    const uint8_t *generated;    /* NSON of a generated value, or NULL */
    size_t generated_len;
    bool has_existing;           /* return info to send */
    uint8_t *existing;           /* full row NSON */
    size_t existing_len;
    uint64_t existing_version;
    int64_t existing_mod_ms;
    int64_t existing_created_ms;
    consumed_t cost;
    const uint8_t *key;          /* the row's key bytes (arena) */
    size_t shard_len;            /* its shard-key prefix */
} write_out_t;

/* "ri": the existing row of a failed conditional write. */
static void write_return_info(nson_writer_t *w, const write_out_t *o)
{
    uint8_t v[VERSION_LEN];
    version_bytes(o->existing_version, v);
    nson_w_key(w, "ri");
    nson_w_map_begin(w);
    nson_w_key(w, "el");
    nson_w_raw(w, o->existing, o->existing_len);
    nson_w_kv_binary(w, "ev", v, VERSION_LEN);
    nson_w_kv_long(w, "em", o->existing_mod_ms);
    nson_w_kv_long(w, "ct", o->existing_created_ms);
    nson_w_map_end(w);
}

/* Keep the row that made a conditional write fail, for "ri". */
static cs_err_t capture_existing(arena_t *a, const schema_t *schema, const row_rec_t *row,
                                 write_out_t *o, cs_error_t *err)
{
    cs_err_t rc = full_row(a, schema, row, &o->existing, &o->existing_len, err);
    if (rc != CS_OK)
        return rc;
    o->has_existing = true;
    o->existing_version = row->version;
    o->existing_mod_ms = row->mod_ms;
    o->existing_created_ms = row->created_ms;
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * Put and Delete as operations inside a job (shared with WriteMultiple)
 * ------------------------------------------------------------------------ */

typedef struct ident_ctx {
    store_txn_t *t;
    uint64_t table_id;
    const schema_t *schema;
} ident_ctx_t;

/* Next identity value: start + (n-1) * increment, within the bounds. */
static bool next_identity(void *arg, int64_t *out)
{
    ident_ctx_t *ic = arg;
    const schema_identity_t *id = &ic->schema->identity;
    char name[48];
    snprintf(name, sizeof name, "identity/%llu", (unsigned long long)ic->table_id);
    uint64_t n = store_next_id(ic->t, name);
    if (n == 0)
        return false;
    __int128 v = (__int128)id->start + (__int128)(n - 1) * (id->increment ? id->increment : 1);
    if ((id->has_max && v > id->max) || (id->has_min && v < id->min) || v > INT64_MAX ||
        v < INT64_MIN)
        return false;
    *out = (int64_t)v;
    return true;
}

static void random16(void *arg, uint8_t out[16])
{
    (void)arg;
    if (getrandom(out, 16, 0) != 16)
        memset(out, 0x5a, 16);
}

typedef struct put_spec {
    int op;                       /* OP_PUT .. OP_PUT_IF_VERSION */
    const nson_value_t *value;    /* "l" */
    bool return_row, exact_match, update_ttl;
    const char *ttl;              /* "tt" or NULL */
    uint64_t match_version;
} put_spec_t;

static cs_err_t put_spec_read(const nson_value_t *p, int op, put_spec_t *s, cs_error_t *err)
{
    bool bad = false;
    memset(s, 0, sizeof *s);
    s->op = op;
    nson_get_bool(p, "rr", &s->return_row, &bad);
    nson_get_bool(p, "ec", &s->exact_match, &bad);
    nson_get_bool(p, "ut", &s->update_ttl, &bad);
    nson_get_string(p, "tt", &s->ttl, &bad);
    if (bad)
        return cs_fail(err, CS_EPROTO, "Put has a field of the wrong type");
    s->value = nson_map_get(p, "l");
    if (!s->value || s->value->type != NSON_MAP)
        return cs_fail(err, CS_EINVAL, "Put requires a row value (a MAP)");
    if (op == OP_PUT_IF_VERSION)
        return version_parse(p, "rv", &s->match_version, err);
    return CS_OK;
}

static cs_err_t do_put(store_txn_t *t, arena_t *a, const table_ctx_t *tc, const put_spec_t *s,
                       write_out_t *o, cs_error_t *err)
{
    const schema_t *schema = tc->ent->schema;
    ident_ctx_t ic = { .t = t, .table_id = tc->rec.id, .schema = schema };
    row_opts_t ro = { .exact_match = s->exact_match, .next_identity = next_identity,
                      .random16 = random16, .ctx = &ic };
    row_parts_t parts;
    cs_err_t rc = row_encode(a, schema, s->value, &ro, &parts, err);
    if (rc != CS_OK)
        return rc;
    if (row_size(&parts) > ROW_SIZE_LIMIT)
        return cs_fail(err, CS_EROWSIZE, "Row size %zu exceeds the limit of %d bytes",
                       row_size(&parts), ROW_SIZE_LIMIT);
    /* The service refuses primary keys over 64 bytes of its own encoding;
     * csemu's order-preserving encoding spends about one byte more per key
     * column (string terminators, fixed-width integers), hence the slack. */
    if (parts.key_len > KEY_SIZE_LIMIT + schema->npk || parts.key_len > ROWS_MAX_KEY)
        return cs_fail(err, CS_EKEYSIZE, "Primary key of %zu bytes exceeds the limit of %d "
                       "bytes", parts.key_len - schema->npk, KEY_SIZE_LIMIT);

    int64_t now = clock_now_ms();
    ttl_t ttl = schema->ttl;
    bool update_ttl = s->update_ttl;
    if (s->ttl) {
        rc = ttl_parse(s->ttl, &ttl, err);
        if (rc != CS_OK)
            return rc;
        update_ttl = true;
    }
    rows_put_args_t args = {
        .table_id = tc->rec.id,
        .table = &tc->rec,   /* read by op_table_open in this job's txn */
        .key = parts.key, .klen = parts.key_len, .shard_len = parts.shard_len,
        .keymap = parts.keymap, .keymap_len = parts.keymap_len,
        .value = parts.value, .value_len = parts.value_len,
        .cond = s->op == OP_PUT_IF_ABSENT ? ROWS_IF_ABSENT
              : s->op == OP_PUT_IF_PRESENT ? ROWS_IF_PRESENT
              : s->op == OP_PUT_IF_VERSION ? ROWS_IF_VERSION : ROWS_ALWAYS,
        .match_version = s->match_version,
        .exp_ms = ttl_expiration_ms(now, ttl),
        .update_ttl = update_ttl,
        .now_ms = now,
    };
    rows_result_t res;
    rc = rows_put(t, &args, a, &res, err);
    if (rc != CS_OK)
        return rc;

    memset(o, 0, sizeof *o);
    o->key = parts.key;
    o->shard_len = parts.shard_len;
    o->success = res.written;
    o->version = res.version;
    if (res.written) {
        o->generated = parts.generated;
        o->generated_len = parts.generated_len;
    }
    size_t old_size = res.had_existing ? res.existing.keymap_len + res.existing.value_len : 0;
    if (args.cond != ROWS_ALWAYS) {
        o->cost.read_kb = res.had_existing ? op_kb_of(old_size) : 1;
        o->cost.read_units = 2 * o->cost.read_kb;
    }
    if (res.written)
        o->cost.write_kb = op_kb_of(parts.keymap_len + parts.value_len) +
                           (res.had_existing ? op_kb_of(old_size) : 0);
    if (s->return_row && !res.written && res.had_existing)
        return capture_existing(a, schema, &res.existing, o, err);
    return CS_OK;
}

typedef struct delete_spec {
    int op;
    const nson_value_t *key;
    bool return_row;
    uint64_t match_version;
} delete_spec_t;

static cs_err_t delete_spec_read(const nson_value_t *p, int op, delete_spec_t *s, cs_error_t *err)
{
    bool bad = false;
    memset(s, 0, sizeof *s);
    s->op = op;
    nson_get_bool(p, "rr", &s->return_row, &bad);
    if (bad)
        return cs_fail(err, CS_EPROTO, "Delete has a field of the wrong type");
    s->key = nson_map_get(p, "k");
    if (!s->key || s->key->type != NSON_MAP)
        return cs_fail(err, CS_EINVAL, "Delete requires a primary key (a MAP)");
    if (op == OP_DELETE_IF_VERSION)
        return version_parse(p, "rv", &s->match_version, err);
    return CS_OK;
}

static cs_err_t do_delete(store_txn_t *t, arena_t *a, const table_ctx_t *tc,
                          const delete_spec_t *s, write_out_t *o, cs_error_t *err)
{
    key_parts_t kp;
    cs_err_t rc = row_encode_key(a, tc->ent->schema, s->key, false, &kp, err);
    if (rc != CS_OK)
        return rc;
    rows_delete_args_t args = {
        .table_id = tc->rec.id, .table = &tc->rec,
        .key = kp.key, .klen = kp.key_len, .shard_len = kp.shard_len,
        .cond = s->op == OP_DELETE_IF_VERSION ? ROWS_IF_VERSION : ROWS_ALWAYS,
        .match_version = s->match_version, .now_ms = clock_now_ms(),
    };
    rows_result_t res;
    rc = rows_delete(t, &args, a, &res, err);
    if (rc != CS_OK)
        return rc;
    memset(o, 0, sizeof *o);
    o->key = kp.key;
    o->shard_len = kp.shard_len;
    o->success = res.written;
    size_t old_size = res.had_existing ? res.existing.keymap_len + res.existing.value_len : 0;
    o->cost.read_kb = res.had_existing ? op_kb_of(old_size) : 1;
    o->cost.read_units = 2 * o->cost.read_kb;
    o->cost.write_kb = res.written ? op_kb_of(old_size) : 0;
    if (s->return_row && !res.written && res.had_existing)
        return capture_existing(a, tc->ent->schema, &res.existing, o, err);
    return CS_OK;
}

/* The reply fields of one put/delete (top level, or one "ws" element). */
static void write_op_fields(nson_writer_t *w, const write_out_t *o, bool is_put)
{
    if (is_put) {
        if (o->success) {
            uint8_t v[VERSION_LEN];
            version_bytes(o->version, v);
            nson_w_kv_binary(w, "rv", v, VERSION_LEN);
        }
    } else {
        nson_w_kv_bool(w, "ss", o->success);
    }
    if (o->has_existing)
        write_return_info(w, o);
    if (o->generated) {
        nson_w_key(w, "gn");
        nson_w_raw(w, o->generated, o->generated_len);
    }
}

/* ------------------------------------------------------------------------
 * Single-row handlers
 * ------------------------------------------------------------------------ */

typedef struct single_job {
    op_ctx_t *ctx;
    bool is_put;
    put_spec_t put;
    delete_spec_t del;
    write_out_t out;
} single_job_t;

static cs_err_t single_job_run(store_txn_t *t, void *arg, cs_error_t *err)
{
    single_job_t *j = arg;
    table_ctx_t tc;
    cs_err_t rc = op_table_open(j->ctx, t, j->ctx->req->table, &tc, err);
    if (rc != CS_OK)
        return rc;
    rc = j->is_put ? do_put(t, j->ctx->arena, &tc, &j->put, &j->out, err)
                   : do_delete(t, j->ctx->arena, &tc, &j->del, &j->out, err);
    op_table_close(&tc);
    return rc;
}

/* Put and Delete share everything but the payload reader and the job. */
static cs_err_t single_write(op_ctx_t *ctx, bool is_put)
{
    single_job_t j = { .ctx = ctx, .is_put = is_put };
    cs_err_t rc = is_put ? put_spec_read(ctx->req->payload, ctx->req->op, &j.put, ctx->err)
                         : delete_spec_read(ctx->req->payload, ctx->req->op, &j.del, ctx->err);
    if (rc == CS_OK)
        rc = store_write(ctx->srv->store, single_job_run, &j, ctx->err);
    if (rc != CS_OK)
        return rc;
    op_write_consumed(ctx->w, &j.out.cost);
    write_op_fields(ctx->w, &j.out, is_put);
    return CS_OK;
}

cs_err_t op_put(op_ctx_t *ctx)
{
    return single_write(ctx, true);
}

cs_err_t op_delete(op_ctx_t *ctx)
{
    return single_write(ctx, false);
}

cs_err_t op_get(op_ctx_t *ctx)
{
    const nson_value_t *p = ctx->req->payload;
    const nson_value_t *key = nson_map_get(p, "k");
    if (!key || key->type != NSON_MAP)
        return cs_fail(ctx->err, CS_EINVAL, "Get requires a primary key (a MAP)");
    int32_t consistency = 0;
    bool bad = false;
    nson_get_int(nson_map_get(p, "co"), "y", &consistency, &bad);

    store_txn_t t;
    cs_err_t rc = store_read_begin(ctx->srv->store, &t, ctx->err);
    if (rc != CS_OK)
        return rc;
    table_ctx_t tc;
    rc = op_table_open(ctx, &t, ctx->req->table, &tc, ctx->err);
    if (rc != CS_OK) {
        store_read_end(&t);
        return rc;
    }
    key_parts_t kp;
    row_rec_t row;
    uint8_t *full = NULL;
    size_t full_len = 0;
    rc = row_encode_key(ctx->arena, tc.ent->schema, key, false, &kp, ctx->err);
    bool found = rc == CS_OK &&
                 rows_get(&t, tc.rec.id, kp.key, kp.key_len, clock_now_ms(), ctx->arena, &row);
    if (rc == CS_OK && t.ret)
        rc = store_txn_error(&t, ctx->err);
    if (rc == CS_OK && found)
        rc = full_row(ctx->arena, tc.ent->schema, &row, &full, &full_len, ctx->err);
    op_table_close(&tc);
    store_read_end(&t);
    if (rc != CS_OK)
        return rc;

    consumed_t c = { .read_kb = found ? op_kb_of(row.keymap_len + row.value_len) : 1 };
    c.read_units = consistency == 1 ? c.read_kb : 2 * c.read_kb;
    op_write_consumed(ctx->w, &c);
    if (found) {
        uint8_t v[VERSION_LEN];
        version_bytes(row.version, v);
        nson_w_key(ctx->w, "r");
        nson_w_map_begin(ctx->w);
        nson_w_key(ctx->w, "l");
        nson_w_raw(ctx->w, full, full_len);
        nson_w_kv_binary(ctx->w, "rv", v, VERSION_LEN);
        nson_w_kv_long(ctx->w, "md", row.mod_ms);
        nson_w_kv_long(ctx->w, "xp", row.exp_ms);
        nson_w_kv_long(ctx->w, "ct", row.created_ms);
        nson_w_map_end(ctx->w);
    }
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * WriteMultiple: every op in one job, all or nothing when one aborts
 * ------------------------------------------------------------------------ */

typedef struct wm_op {
    const char *table;
    bool is_put;
    bool abort_on_fail;
    put_spec_t put;
    delete_spec_t del;
    write_out_t out;
} wm_op_t;

typedef struct wm_job {
    op_ctx_t *ctx;
    wm_op_t *ops;
    uint32_t n;
    int32_t failed_index;        /* -1: none aborted */
    consumed_t cost;
} wm_job_t;

/* The top-level table of a (possibly child) table name. */
static size_t root_len(const char *name)
{
    return strcspn(name, ".");
}

static cs_err_t wm_job_run(store_txn_t *t, void *arg, cs_error_t *err)
{
    wm_job_t *j = arg;
    j->failed_index = -1;
    memset(&j->cost, 0, sizeof j->cost);
    const uint8_t *shard = NULL;
    size_t shard_len = 0;
    for (uint32_t i = 0; i < j->n; i++) {
        wm_op_t *op = &j->ops[i];
        table_ctx_t tc;
        cs_err_t rc = op_table_open(j->ctx, t, op->table, &tc, err);
        if (rc != CS_OK)
            return rc;
        rc = op->is_put ? do_put(t, j->ctx->arena, &tc, &op->put, &op->out, err)
                        : do_delete(t, j->ctx->arena, &tc, &op->del, &op->out, err);
        /* every op must address the same shard (the service's atomicity unit) */
        if (rc == CS_OK) {
            if (!shard) {
                shard = op->out.key;
                shard_len = op->out.shard_len;
            } else if (op->out.shard_len != shard_len ||
                       memcmp(op->out.key, shard, shard_len) != 0) {
                rc = cs_fail(err, CS_EINVAL, "All operations of a WriteMultiple must share the "
                                             "same shard key; operation %u does not", i);
            }
        }
        op_table_close(&tc);
        if (rc != CS_OK)
            return rc;
        j->cost.read_kb += op->out.cost.read_kb;
        j->cost.read_units += op->out.cost.read_units;
        j->cost.write_kb += op->out.cost.write_kb;
        if (!op->out.success && op->abort_on_fail) {
            j->failed_index = (int32_t)i;
            return CS_ESTATE;   /* roll every op back; reported as an abort, not an error */
        }
    }
    return CS_OK;
}

cs_err_t op_write_multiple(op_ctx_t *ctx)
{
    const nson_value_t *p = ctx->req->payload;
    const nson_value_t *os = nson_map_get(p, "os");
    if (!os || os->type != NSON_ARRAY || os->u.arr.count == 0)
        return cs_fail(ctx->err, CS_EINVAL, "WriteMultiple requires at least one operation");
    if (os->u.arr.count > BATCH_OP_LIMIT)
        return cs_fail(ctx->err, CS_EBATCH, "WriteMultiple has %u operations; the limit is %d",
                       os->u.arr.count, BATCH_OP_LIMIT);
    wm_job_t j = { .ctx = ctx, .n = os->u.arr.count, .failed_index = -1 };
    j.ops = arena_calloc(ctx->arena, j.n, sizeof *j.ops);
    if (!j.ops)
        return cs_fail(ctx->err, CS_ENOMEM, "out of memory");
    const char *first_table = NULL;
    for (uint32_t i = 0; i < j.n; i++) {
        const nson_value_t *o = os->u.arr.items[i];
        wm_op_t *op = &j.ops[i];
        int32_t code = -1;
        bool bad = false;
        if (o->type != NSON_MAP || !nson_get_int(o, "o", &code, &bad))
            return cs_fail(ctx->err, CS_EPROTO, "WriteMultiple operation %u has no op code", i);
        op->table = ctx->req->table;
        nson_get_string(o, "n", &op->table, &bad);
        nson_get_bool(o, "a", &op->abort_on_fail, &bad);
        if (bad)
            return cs_fail(ctx->err, CS_EPROTO, "WriteMultiple operation %u has a field of the "
                                                "wrong type", i);
        if (!op->table || !*op->table)
            return cs_fail(ctx->err, CS_EINVAL, "WriteMultiple operation %u names no table", i);
        if (!first_table)
            first_table = op->table;
        else if (root_len(first_table) != root_len(op->table) ||
                 strncasecmp(first_table, op->table, root_len(op->table)) != 0)
            return cs_fail(ctx->err, CS_EINVAL, "WriteMultiple operations must be on one table "
                                                "or on tables of one parent/child hierarchy: "
                                                "%s and %s are not", first_table, op->table);
        cs_err_t rc;
        if (code == OP_DELETE || code == OP_DELETE_IF_VERSION) {
            rc = delete_spec_read(o, code, &op->del, ctx->err);
        } else if (code >= OP_PUT && code <= OP_PUT_IF_VERSION) {
            op->is_put = true;
            rc = put_spec_read(o, code, &op->put, ctx->err);
        } else {
            rc = cs_fail(ctx->err, CS_EINVAL, "WriteMultiple operation %u has op code %d, "
                                              "which is not a put or delete", i, code);
        }
        if (rc != CS_OK)
            return rc;
    }

    cs_err_t rc = store_write(ctx->srv->store, wm_job_run, &j, ctx->err);
    if (rc == CS_ESTATE && j.failed_index >= 0) {
        rc = CS_OK;
        cs_error_clear(ctx->err);
    }
    if (rc != CS_OK)
        return rc;
    op_write_consumed(ctx->w, &j.cost);
    if (j.failed_index >= 0) {
        const wm_op_t *op = &j.ops[j.failed_index];
        write_out_t failed = op->out;
        failed.generated = NULL;
        nson_w_key(ctx->w, "wf");
        nson_w_map_begin(ctx->w);
        nson_w_kv_int(ctx->w, "wi", j.failed_index);
        nson_w_key(ctx->w, "wr");
        nson_w_map_begin(ctx->w);
        nson_w_kv_bool(ctx->w, "ss", false);
        if (failed.has_existing)
            write_return_info(ctx->w, &failed);
        nson_w_map_end(ctx->w);
        nson_w_map_end(ctx->w);
        return CS_OK;
    }
    nson_w_key(ctx->w, "ws");
    nson_w_array_begin(ctx->w);
    for (uint32_t i = 0; i < j.n; i++) {
        const wm_op_t *op = &j.ops[i];
        nson_w_map_begin(ctx->w);
        nson_w_kv_bool(ctx->w, "ss", op->out.success);
        write_op_fields(ctx->w, &op->out, op->is_put);
        nson_w_map_end(ctx->w);
    }
    nson_w_array_end(ctx->w);
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * MultiDelete: rows of one shard key, optionally a range, in budgeted steps
 * ------------------------------------------------------------------------ */

typedef struct md_job {
    op_ctx_t *ctx;
    const nson_value_t *key, *range;
    const uint8_t *cont;
    uint32_t cont_len;
    int32_t max_write_kb;
    rows_range_result_t res;
} md_job_t;

static cs_err_t md_job_run(store_txn_t *t, void *arg, cs_error_t *err)
{
    md_job_t *j = arg;
    table_ctx_t tc;
    cs_err_t rc = op_table_open(j->ctx, t, j->ctx->req->table, &tc, err);
    if (rc != CS_OK)
        return rc;
    key_parts_t kp;
    key_range_t kr;
    rc = row_encode_key(j->ctx->arena, tc.ent->schema, j->key, true, &kp, err);
    if (rc == CS_OK && kp.shard_len == 0)
        rc = cs_fail(err, CS_EINVAL, "MultiDelete requires every shard key field of table %s",
                     tc.rec.name);
    if (rc == CS_OK)
        rc = row_encode_range(j->ctx->arena, tc.ent->schema, &kp, j->range, &kr, err);
    if (rc == CS_OK) {
        rows_delete_range_args_t args = {
            .table_id = tc.rec.id,
            .shard_len = kp.shard_len,
            .range = { .prefix = kp.key, .prefix_len = kp.key_len,
                       .start = kr.start, .start_len = kr.start_len, .start_incl = true,
                       .end = kr.end, .end_len = kr.end_len, .end_incl = false },
            .max_kb = j->max_write_kb > 0 ? (size_t)j->max_write_kb : MULTI_DELETE_MAX_KB,
            .now_ms = clock_now_ms(),
        };
        /* A continuation key from another key or range (SDK request objects
         * get reused) is ignored: deleting from the start again is safe. */
        if (j->cont && j->cont_len >= kp.key_len && memcmp(j->cont, kp.key, kp.key_len) == 0) {
            if (!kr.start || memcmp(j->cont, kr.start, j->cont_len < kr.start_len
                                                           ? j->cont_len : kr.start_len) >= 0) {
                args.range.start = j->cont;
                args.range.start_len = j->cont_len;
                args.range.start_incl = false;
            }
        }
        if (rc == CS_OK)
            rc = rows_delete_range(t, &args, j->ctx->arena, &j->res, err);
    }
    op_table_close(&tc);
    return rc;
}

cs_err_t op_multi_delete(op_ctx_t *ctx)
{
    const nson_value_t *p = ctx->req->payload;
    md_job_t j = { .ctx = ctx };
    bool bad = false;
    j.key = nson_map_get(p, "k");
    if (!j.key || j.key->type != NSON_MAP)
        return cs_fail(ctx->err, CS_EINVAL, "MultiDelete requires a partial primary key (a MAP)");
    j.range = nson_map_get(p, "rg");
    if (j.range && j.range->type != NSON_MAP)
        return cs_fail(ctx->err, CS_EPROTO, "MultiDelete range \"rg\" must be a MAP");
    nson_get_int(p, "mw", &j.max_write_kb, &bad);
    nson_get_binary(p, "ck", &j.cont, &j.cont_len, &bad);
    if (bad)
        return cs_fail(ctx->err, CS_EPROTO, "MultiDelete has a field of the wrong type");
    if (j.max_write_kb < 0 || j.max_write_kb > MULTI_DELETE_MAX_KB)
        return cs_fail(ctx->err, CS_EINVAL, "MultiDelete max write KB must be between 0 and %d, "
                                            "got %d", MULTI_DELETE_MAX_KB, j.max_write_kb);
    cs_err_t rc = store_write(ctx->srv->store, md_job_run, &j, ctx->err);
    if (rc != CS_OK)
        return rc;
    consumed_t c = { .read_kb = (int32_t)(j.res.kb ? j.res.kb : 1),
                     .write_kb = (int32_t)j.res.kb };
    c.read_units = 2 * c.read_kb;
    op_write_consumed(ctx->w, &c);
    nson_w_kv_int(ctx->w, "nd", (int32_t)j.res.deleted);
    /* like the service: a batch that used its whole budget hands out a
     * continuation key, even when nothing is left (the next call deletes 0) */
    size_t budget = j.max_write_kb > 0 ? (size_t)j.max_write_kb : MULTI_DELETE_MAX_KB;
    bool budget_used = j.res.kb >= budget;
    if ((j.res.more || budget_used) && j.res.cont_key)
        nson_w_kv_binary(ctx->w, "ck", j.res.cont_key, j.res.cont_len);
    return CS_OK;
}
