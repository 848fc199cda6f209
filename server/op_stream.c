/*
 * op_stream.c - ChangeStreamConsumer (43) and ChangeStreamPoll (44): the
 * wire side of Change Streams (PROTOCOL.md §4.14, §4.15).
 *
 * Consumer state lives in the store (store/groups.h); the client holds only
 * a cursor naming the consumer and its latest poll (cursor.h). Every mode
 * runs as one store_write job, so what a reply says is exactly what was
 * committed. Cursor hand-over: every `cu` handed out names the consumer's
 * latest poll, so whatever cursor the client presents next (including one
 * that came from a COMMIT of an older bundle) is right for its next call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "changelog.h"
#include "clock.h"
#include "cursor.h"
#include "event_doc.h"
#include "groups.h"
#include "handlers.h"
#include "store.h"
#include "wire.h"
#include "tables.h"

enum { MODE_CREATE = 1, MODE_UPDATE = 2, MODE_CLOSE = 3, MODE_DELETE = 4, MODE_COMMIT = 5,
       MODE_RESET = 6 };

#define POLL_MAX_EVENTS 10000           /* a poll's limit is clamped to this */
#define POLL_MAX_BYTES (16u << 20)      /* reply budget: a poll stops before this */
#define OCID_PREFIX "ocid1.nosqltable."

/* ------------------------------------------------------------------------
 * Representation: request fields, cursors, table entries
 * ------------------------------------------------------------------------ */

/* One "ct" entry, resolved to a table id inside the job. */
typedef struct table_entry {
    const char *ref;             /* "to": an OCID or (Go SDK) a table name */
    group_start_t start;
    int64_t at_ms;
    bool remove;
    table_rec_t rec;             /* filled by the job */
} table_entry_t;

static cs_err_t read_table_entries(op_ctx_t *ctx, table_entry_t **out, size_t *n)
{
    const nson_value_t *ct = nson_map_get(ctx->req->payload, "ct");
    *out = NULL;
    *n = 0;
    if (!ct)
        return CS_OK;
    if (ct->type != NSON_ARRAY)
        return cs_fail(ctx->err, CS_EPROTO, "consumer table list \"ct\" must be an ARRAY");
    if (ct->u.arr.count > GROUPS_MAX_TABLES)
        return cs_fail(ctx->err, CS_EINVAL, "A consumer group can read at most %u tables",
                       GROUPS_MAX_TABLES);
    table_entry_t *e = arena_calloc(ctx->arena, ct->u.arr.count ? ct->u.arr.count : 1, sizeof *e);
    if (!e)
        return cs_fail(ctx->err, CS_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < ct->u.arr.count; i++) {
        const nson_value_t *m = ct->u.arr.items[i];
        bool bad = false;
        int32_t so = GROUP_START_FIRST_UNCOMMITTED;
        if (m->type != NSON_MAP || !nson_get_string(m, "to", &e[i].ref, &bad) || !*e[i].ref)
            return cs_fail(ctx->err, CS_EINVAL, "consumer table entry %u has no table OCID", i);
        nson_get_int(m, "so", &so, &bad);
        nson_get_long(m, "se", &e[i].at_ms, &bad);
        nson_get_bool(m, "ir", &e[i].remove, &bad);
        if (bad)
            return cs_fail(ctx->err, CS_EPROTO, "consumer table entry %u has a field of the "
                                                "wrong type", i);
        if (so < GROUP_START_FIRST_UNCOMMITTED || so > GROUP_START_AT_TIME)
            return cs_fail(ctx->err, CS_EINVAL, "Invalid start location %d for table %s", so,
                           e[i].ref);
        e[i].start = (group_start_t)so;
    }
    *out = e;
    *n = ct->u.arr.count;
    return CS_OK;
}

/* Resolve every entry to this tenant's table (inside the job's txn). */
static cs_err_t resolve_tables(op_ctx_t *ctx, store_txn_t *t, table_entry_t *e, size_t n,
                               group_table_spec_t *specs, bool *remove, cs_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        bool found = strncasecmp(e[i].ref, OCID_PREFIX, strlen(OCID_PREFIX)) == 0
                         ? tables_lookup_ocid(t, ctx->tenant, e[i].ref, false, &e[i].rec)
                         : tables_lookup_name(t, ctx->tenant, e[i].ref, false, &e[i].rec);
        if (!found)
            return t->ret ? store_txn_error(t, err)
                          : cs_fail(err, CS_ENOTABLE, "Table not found: %s", e[i].ref);
        specs[i].table_id = e[i].rec.id;
        specs[i].start = e[i].start;
        specs[i].at_ms = e[i].at_ms;
        if (remove)
            remove[i] = e[i].remove;
    }
    return CS_OK;
}

static cs_err_t read_cursor(op_ctx_t *ctx, cursor_t *c)
{
    const uint8_t *b = NULL;
    uint32_t len = 0;
    bool bad = false;
    if (!nson_get_binary(ctx->req->payload, "cu", &b, &len, &bad))
        return cs_fail(ctx->err, CS_EINVAL, "%s requires a consumer cursor",
                       ctx->req->op == OP_CHANGE_STREAM_POLL ? "Poll" : "This consumer request");
    return cursor_decode(b, len, ctx->srv->cursor_key, c, ctx->err);
}

static void write_cursor(op_ctx_t *ctx, uint64_t cid, uint64_t poll_seq)
{
    uint8_t cu[CURSOR_LEN];
    cursor_t c = { .consumer_id = cid, .poll_seq = poll_seq };
    cursor_encode(&c, ctx->srv->cursor_key, cu);
    nson_w_kv_binary(ctx->w, "cu", cu, CURSOR_LEN);
}

/* The Go SDK's older branch treats a cursor in a COMMIT reply as failure. */
static bool client_is_go(const op_ctx_t *ctx)
{
    return ctx->user_agent && strstr(ctx->user_agent, "NoSQL-GoSDK") != NULL;
}

/* "cm": what the consumer was created with (informational, never "cloudsim"). */
static void write_consumer_meta(op_ctx_t *ctx, const consumer_info_t *ci,
                                const table_entry_t *e, size_t n)
{
    char cid[24];
    snprintf(cid, sizeof cid, "%llu", (unsigned long long)ci->cid);
    nson_writer_t *w = ctx->w;
    nson_w_key(w, "cm");
    nson_w_map_begin(w);
    nson_w_kv_string(w, "groupId", ci->group_id);
    nson_w_kv_string(w, "consumerId", cid);
    nson_w_kv_bool(w, "manualCommit", ci->manual);
    nson_w_kv_long(w, "maxPollIntervalMs", ci->max_poll_ms);
    nson_w_key(w, "tables");
    nson_w_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        if (e[i].remove)
            continue;
        nson_w_map_begin(w);
        nson_w_kv_string(w, "tableOcid", e[i].rec.ocid);
        nson_w_kv_string(w, "tableName", e[i].rec.name);
        nson_w_kv_int(w, "startLocation", (int32_t)e[i].start);
        nson_w_map_end(w);
    }
    nson_w_array_end(w);
    nson_w_map_end(w);
}

/* ------------------------------------------------------------------------
 * ChangeStreamConsumer: one job per mode
 * ------------------------------------------------------------------------ */

typedef struct consumer_job {
    op_ctx_t *ctx;
    int mode;
    cursor_t cur;                    /* modes with a cursor */
    const char *group_id;            /* CREATE, DELETE */
    const char *compartment;         /* CREATE, DELETE: "cc" */
    bool manual, force;
    int64_t max_poll_ms;
    table_entry_t *tables;
    size_t n_tables;
    consumer_info_t info;            /* the consumer (after the operation) */
} consumer_job_t;

static cs_err_t consumer_job_run(store_txn_t *t, void *arg, cs_error_t *err)
{
    consumer_job_t *j = arg;
    op_ctx_t *ctx = j->ctx;
    int64_t now = clock_now_ms();
    uint64_t cid = j->cur.consumer_id;
    cs_err_t rc = CS_OK;
    group_table_spec_t *specs = NULL;
    bool *remove = NULL;

    /* a consumer's cursor is checked before anything it names: a foreign,
     * closed or expired consumer learns that, not what its tables are */
    if (j->mode != MODE_CREATE && j->mode != MODE_DELETE && j->mode != MODE_CLOSE) {
        rc = group_consumer_get(t, cid, ctx->tenant, &j->info, err);
        if (rc != CS_OK)
            return rc;
    }
    if (j->n_tables) {
        specs = arena_calloc(ctx->arena, j->n_tables, sizeof *specs);
        remove = arena_calloc(ctx->arena, j->n_tables, sizeof *remove);
        if (!specs || !remove)
            return cs_fail(err, CS_ENOMEM, "out of memory");
        rc = resolve_tables(ctx, t, j->tables, j->n_tables, specs, remove, err);
        if (rc != CS_OK)
            return rc;
    }
    switch (j->mode) {
    case MODE_CREATE:
        rc = group_consumer_create(t, ctx->tenant, j->compartment, j->group_id, specs,
                                   j->n_tables, j->manual, j->max_poll_ms, j->force, now, &cid,
                                   err);
        break;
    case MODE_UPDATE:
        rc = group_update(t, cid, ctx->tenant, specs, j->n_tables, remove, now, err);
        break;
    case MODE_COMMIT:
        rc = group_commit(t, cid, ctx->tenant, j->cur.poll_seq, now, err);
        break;
    case MODE_RESET:
        rc = group_reset(t, cid, ctx->tenant, now, err);
        break;
    case MODE_CLOSE:
        /* closing is idempotent: a consumer already closed, expired or
         * stopped by a group delete has nothing left to release */
        rc = group_consumer_get(t, cid, ctx->tenant, &j->info, err);
        if (rc == CS_ENOTFOUND && j->info.cid == cid && j->info.state != CONSUMER_ACTIVE &&
            strcmp(j->info.tenant, ctx->tenant) == 0) {
            cs_error_clear(err);
            return CS_OK;
        }
        if (rc == CS_OK)
            rc = group_close_seen(t, cid, ctx->tenant, j->cur.poll_seq, now, err);
        return rc;
    case MODE_DELETE:
        /* deleting a group that does not exist (any more) leaves nothing to
         * remove: like the API's other cleanups it succeeds, so teardown
         * code (and the guide's example, run as written) need not know
         * whether a group was ever created in that compartment */
        rc = group_delete(t, ctx->tenant, j->compartment, j->group_id, j->force, now, err);
        if (rc == CS_ENOTFOUND) {
            cs_error_clear(err);
            rc = CS_OK;
        }
        return rc;
    }
    if (rc == CS_OK)
        rc = group_consumer_get(t, cid, ctx->tenant, &j->info, err);
    return rc;
}

cs_err_t op_stream_consumer(op_ctx_t *ctx)
{
    const nson_value_t *p = ctx->req->payload;
    consumer_job_t j = { .ctx = ctx };
    int32_t mode = 0;
    bool bad = false;
    if (!nson_get_int(p, "mm", &mode, &bad))
        return cs_fail(ctx->err, bad ? CS_EPROTO : CS_EINVAL,
                       "ChangeStreamConsumer requires a mode \"mm\"");
    j.mode = mode;
    cs_err_t rc = CS_OK;
    switch (mode) {
    case MODE_CREATE:
    case MODE_DELETE: {
        if (!nson_get_string(p, "gr", &j.group_id, &bad) || !*j.group_id)
            return cs_fail(ctx->err, bad ? CS_EPROTO : CS_EINVAL,
                           "A consumer group id is required");
        if (strlen(j.group_id) > GROUPS_ID_MAX)
            return cs_fail(ctx->err, CS_EINVAL, "Consumer group id is longer than %u bytes",
                           GROUPS_ID_MAX);
        nson_get_string(p, "cc", &j.compartment, &bad);
        nson_get_bool(p, "ma", &j.manual, &bad);
        nson_get_bool(p, "fr", &j.force, &bad);
        if (!nson_get_long(p, "mi", &j.max_poll_ms, &bad))
            j.max_poll_ms = 0;
        if (bad)
            return cs_fail(ctx->err, CS_EPROTO, "ChangeStreamConsumer has a field of the wrong "
                                                "type");
        if (j.max_poll_ms < 0)
            return cs_fail(ctx->err, CS_EINVAL, "Max poll interval must not be negative");
        if (j.max_poll_ms == 0)
            j.max_poll_ms = ctx->srv->cfg.max_poll_interval_ms;
        if (mode == MODE_CREATE) {
            rc = read_table_entries(ctx, &j.tables, &j.n_tables);
            if (rc == CS_OK && j.n_tables == 0)
                rc = cs_fail(ctx->err, CS_EINVAL, "A consumer needs at least one table");
            for (size_t i = 0; rc == CS_OK && i < j.n_tables; i++)
                if (j.tables[i].remove)
                    rc = cs_fail(ctx->err, CS_EINVAL, "A new consumer cannot remove table %s",
                                 j.tables[i].ref);
        }
        break;
    }
    case MODE_UPDATE:
        rc = read_cursor(ctx, &j.cur);
        if (rc == CS_OK)
            rc = read_table_entries(ctx, &j.tables, &j.n_tables);
        if (rc == CS_OK && j.n_tables == 0)
            rc = cs_fail(ctx->err, CS_EINVAL, "A consumer update names no table");
        break;
    case MODE_CLOSE:
    case MODE_COMMIT:
    case MODE_RESET:
        rc = read_cursor(ctx, &j.cur);
        break;
    default:
        return cs_fail(ctx->err, CS_EINVAL, "Invalid ChangeStreamConsumer mode %d", mode);
    }
    if (rc == CS_OK)
        rc = store_write(ctx->srv->store, consumer_job_run, &j, ctx->err);
    if (rc != CS_OK)
        return rc;

    switch (mode) {
    case MODE_CREATE:
    case MODE_UPDATE:
        write_cursor(ctx, j.info.cid, j.info.poll_seq);
        write_consumer_meta(ctx, &j.info, j.tables, j.n_tables);
        break;
    case MODE_COMMIT:
        if (!client_is_go(ctx))
            write_cursor(ctx, j.info.cid, j.info.poll_seq);
        break;
    case MODE_RESET:
        write_cursor(ctx, j.info.cid, j.info.poll_seq);
        break;
    default:
        break;   /* CLOSE and DELETE reply with nothing but "e" */
    }
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * ChangeStreamPoll
 * ------------------------------------------------------------------------ */

/* Events of one table, encoded as NSON BINARY values back to back
 * (event_doc.h). */
typedef struct table_batch {
    uint64_t table_id;
    buf_t events;
    uint32_t count;
    table_rec_t rec;
    bool found;
} table_batch_t;

typedef struct poll_job {
    op_ctx_t *ctx;
    cursor_t cur;
    uint32_t limit;
    /* outputs */
    table_batch_t *batches;      /* in order of first event */
    size_t n_batches, cap_batches;
    size_t bytes;
    uint64_t poll_seq;
    int64_t remaining;
    bool failed;                 /* out of memory while encoding */
} poll_job_t;

static table_batch_t *batch_for(poll_job_t *j, uint64_t table_id)
{
    for (size_t i = 0; i < j->n_batches; i++)
        if (j->batches[i].table_id == table_id)
            return &j->batches[i];
    if (j->n_batches == j->cap_batches) {
        size_t cap = j->cap_batches ? 2 * j->cap_batches : 4;
        table_batch_t *b = realloc(j->batches, cap * sizeof *b);
        if (!b)
            return NULL;
        j->batches = b;
        j->cap_batches = cap;
    }
    table_batch_t *b = &j->batches[j->n_batches++];
    memset(b, 0, sizeof *b);
    b->table_id = table_id;
    buf_init(&b->events, 0);
    return b;
}

static bool poll_emit(void *arg, uint64_t table_id, const changelog_event_t *ev)
{
    poll_job_t *j = arg;
    if (j->bytes >= POLL_MAX_BYTES)
        return false;   /* the next poll continues here */
    table_batch_t *b = batch_for(j, table_id);
    if (!b) {
        j->failed = true;
        return false;
    }
    size_t len = event_doc_append(&b->events, table_id, ev);
    if (!len) {
        j->failed = true;
        return false;
    }
    b->count++;
    j->bytes += len + 8;
    return true;
}

static void poll_job_reset(poll_job_t *j)
{
    for (size_t i = 0; i < j->n_batches; i++)
        buf_free(&j->batches[i].events);
    j->n_batches = 0;
    j->bytes = 0;
    j->failed = false;
}

static cs_err_t poll_job_run(store_txn_t *t, void *arg, cs_error_t *err)
{
    poll_job_t *j = arg;
    poll_job_reset(j);
    /* the cursor says which poll the client saw last: a newer one's reply
     * was lost, and group_poll_seen gives its events again */
    cs_err_t rc = group_poll_seen(t, j->cur.consumer_id, j->ctx->tenant, j->limit,
                                  j->cur.poll_seq, clock_now_ms(), poll_emit, j, &j->poll_seq,
                                  &j->remaining, err);
    if (rc != CS_OK)
        return rc;
    if (j->failed)
        return cs_fail(err, CS_ENOMEM, "out of memory encoding the poll reply");
    for (size_t i = 0; i < j->n_batches; i++) {
        table_batch_t *b = &j->batches[i];
        b->found = tables_lookup_id(t, b->table_id, false, &b->rec);
        if (!b->found && t->ret)
            return store_txn_error(t, err);
    }
    return CS_OK;
}

cs_err_t op_stream_poll(op_ctx_t *ctx)
{
    poll_job_t j = { .ctx = ctx };
    int32_t limit = 0;
    bool bad = false;
    if (!nson_get_int(ctx->req->payload, "me", &limit, &bad) && bad)
        return cs_fail(ctx->err, CS_EPROTO, "Poll limit \"me\" must be an INTEGER");
    if (limit < 0)
        return cs_fail(ctx->err, CS_EINVAL, "Poll limit must not be negative: %d", limit);
    j.limit = limit > POLL_MAX_EVENTS ? POLL_MAX_EVENTS : (uint32_t)limit;
    cs_err_t rc = read_cursor(ctx, &j.cur);
    if (rc != CS_OK)
        return rc;
    rc = store_write(ctx->srv->store, poll_job_run, &j, ctx->err);
    if (rc == CS_OK) {
        nson_writer_t *w = ctx->w;
        write_cursor(ctx, j.cur.consumer_id, j.poll_seq);
        nson_w_kv_long(w, "er", j.remaining);
        nson_w_key(w, "eb");
        nson_w_array_begin(w);
        for (size_t i = 0; i < j.n_batches; i++) {
            table_batch_t *b = &j.batches[i];
            if (!b->count)
                continue;
            nson_w_map_begin(w);
            nson_w_kv_string(w, "to", b->found ? b->rec.ocid : "");
            nson_w_kv_string(w, "n", b->found ? b->rec.name : "");
            nson_w_kv_string(w, "cc", b->found && b->rec.compartment[0] ? b->rec.compartment
                                                                        : ctx->tenant);
            nson_w_key(w, "es");
            nson_w_array_begin(w);
            nson_w_raw_n(w, b->events.data, b->events.len, b->count);
            nson_w_array_end(w);
            nson_w_map_end(w);
        }
        nson_w_array_end(w);
    }
    poll_job_reset(&j);
    free(j.batches);
    return rc;
}
