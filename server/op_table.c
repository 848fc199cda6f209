/*
 * op_table.c - TableRequest (15), GetTable (11), ListTables (14),
 * GetIndexes (12) and TableUsage (13).
 *
 * DDL takes effect at once (the table is usable as soon as the request
 * returns), but the reply reports the transitional state the cloud reports
 * (CREATING, UPDATING, DROPPING) with an operation id, so SDK code that
 * waits for completion runs unchanged: its first GetTable with that id sees
 * the terminal state. Operation ids are stateless ("csemu-drop-<id>-<ver>"),
 * so GetTable can answer DROPPED for a table whose drop it was given.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "ddl.h"
#include "handlers.h"
#include "schema.h"
#include "store.h"
#include "tables.h"
#include "tcache.h"
#include "timefmt.h"
#include "wire.h"

/* The cloud's numbers for an on-demand table's throughput. */
#define ONDEMAND_UNITS 2147483646

/* ------------------------------------------------------------------------
 * Representation: metadata JSON helpers and the TableResult reply
 * ------------------------------------------------------------------------ */

typedef struct limits {
    bool present;
    int32_t ru, wu, sg, mode;   /* mode 1 provisioned, 2 on demand */
} limits_t;

/* Read "lm" from a payload; CS_EINVAL for values the cloud refuses. */
static cs_err_t limits_read(const nson_value_t *payload, limits_t *out, cs_error_t *err)
{
    memset(out, 0, sizeof *out);
    const nson_value_t *lm = nson_map_get(payload, "lm");
    if (!lm)
        return CS_OK;
    if (lm->type != NSON_MAP)
        return cs_fail(err, CS_EPROTO, "table limits \"lm\" must be a MAP");
    bool bad = false;
    out->present = true;
    out->mode = 1;
    nson_get_int(lm, "ru", &out->ru, &bad);
    nson_get_int(lm, "wu", &out->wu, &bad);
    nson_get_int(lm, "sg", &out->sg, &bad);
    nson_get_int(lm, "mo", &out->mode, &bad);
    if (bad)
        return cs_fail(err, CS_EPROTO, "table limits fields must be INTEGERs");
    if (out->mode != 1 && out->mode != 2)
        return cs_fail(err, CS_EINVAL, "Invalid table limits capacity mode: %d", out->mode);
    if (out->sg <= 0)
        return cs_fail(err, CS_EINVAL, "Table limits storage must be greater than 0 GB");
    if (out->mode == 2) {
        out->ru = ONDEMAND_UNITS;
        out->wu = ONDEMAND_UNITS;
    } else if (out->ru <= 0 || out->wu <= 0) {
        return cs_fail(err, CS_EINVAL,
                       "Table limits read and write units must be greater than 0 for a "
                       "provisioned table (read units %d, write units %d)", out->ru, out->wu);
    }
    return CS_OK;
}

static json_t *limits_json(const limits_t *l)
{
    return json_pack("{s:i, s:i, s:i, s:i}", "ru", l->ru, "wu", l->wu, "sg", l->sg, "mo", l->mode);
}

/* Tags arrive as single-quoted JSON-like text (borneo) or real JSON (Java,
 * Go); keep them as real JSON text, which every SDK reads back. */
static cs_err_t tags_normalize(const char *in, char **out, cs_error_t *err)
{
    *out = NULL;
    if (!in || !*in)
        return CS_OK;
    json_error_t jerr;
    json_t *j = json_loads(in, JSON_DECODE_ANY, &jerr);
    if (!j) {
        char *fixed = strdup(in);
        if (!fixed)
            return cs_fail(err, CS_ENOMEM, "out of memory");
        for (char *p = fixed; *p; p++)
            if (*p == '\'')
                *p = '"';
        j = json_loads(fixed, JSON_DECODE_ANY, &jerr);
        free(fixed);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return cs_fail(err, CS_EINVAL, "Table tags must be a JSON object: %.100s", in);
    }
    *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return *out ? CS_OK : cs_fail(err, CS_ENOMEM, "out of memory");
}

/* Operation ids: "csemu-<kind>-<table id>-<version>". */
static void make_op_id(char *out, size_t n, const char *kind, const table_rec_t *rec)
{
    snprintf(out, n, "csemu-%s-%llu-%llu", kind, (unsigned long long)rec->id,
             (unsigned long long)rec->version);
}

static void make_etag(char *out, size_t n, const table_rec_t *rec)
{
    snprintf(out, n, "%016llx%08llx", (unsigned long long)rec->id,
             (unsigned long long)rec->version);
}

static const char *json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Write the TableResult fields (PROTOCOL.md §4.3). meta may be NULL (drop). */
static void write_table_result(op_ctx_t *ctx, const table_rec_t *rec, json_t *meta, int state,
                               const char *op_id)
{
    nson_writer_t *w = ctx->w;
    nson_w_kv_string(w, "n", rec->name);
    nson_w_kv_int(w, "as", state);
    nson_w_kv_string(w, "to", rec->ocid);
    nson_w_kv_string(w, "cc", rec->compartment[0] ? rec->compartment : ctx->tenant);
    json_t *lm = meta ? json_object_get(meta, "limits") : NULL;
    if (json_is_object(lm) && state != TABLE_STATE_DROPPED) {
        nson_w_key(w, "lm");
        nson_w_map_begin(w);
        nson_w_kv_int(w, "ru", (int32_t)json_integer_value(json_object_get(lm, "ru")));
        nson_w_kv_int(w, "wu", (int32_t)json_integer_value(json_object_get(lm, "wu")));
        nson_w_kv_int(w, "sg", (int32_t)json_integer_value(json_object_get(lm, "sg")));
        nson_w_kv_int(w, "mo", (int32_t)json_integer_value(json_object_get(lm, "mo")));
        nson_w_map_end(w);
    }
    if (meta && state != TABLE_STATE_DROPPED) {
        const char *ddl = json_str(meta, "ddl");
        if (ddl)
            nson_w_kv_string(w, "td", ddl);
        json_t *schema = json_object_get(meta, "schema");
        char *ac = schema ? json_dumps(schema, JSON_COMPACT) : NULL;
        if (ac)
            nson_w_kv_string(w, "ac", ac);
        free(ac);
        char etag[40];
        make_etag(etag, sizeof etag, rec);
        nson_w_kv_string(w, "et", etag);
        json_t *tags = json_object_get(meta, "tags");
        const char *ff = json_str(tags, "freeform");
        const char *dt = json_str(tags, "defined");
        if (ff)
            nson_w_kv_string(w, "ff", ff);
        if (dt)
            nson_w_kv_string(w, "dt", dt);
        nson_w_kv_bool(w, "sf", json_is_true(json_object_get(schema, "csemu_frozen")));
        nson_w_kv_bool(w, "ce", rec->streaming);
    }
    if (op_id)
        nson_w_kv_string(w, "od", op_id);
}

/* Parent of "a.b.c" is "a.b"; false for a top-level name. */
static bool parent_name(const char *name, char *out, size_t n)
{
    const char *dot = strrchr(name, '.');
    if (!dot || (size_t)(dot - name) >= n)
        return false;
    memcpy(out, name, (size_t)(dot - name));
    out[dot - name] = '\0';
    return true;
}

/* ------------------------------------------------------------------------
 * TableRequest: one write job per request
 * ------------------------------------------------------------------------ */

typedef struct ddl_job {
    op_ctx_t *ctx;
    /* inputs */
    const ddl_stmt_t *stmt;      /* NULL for the no-statement forms */
    const char *statement;
    const char *table;           /* header "n" for the no-statement forms */
    limits_t limits;
    char *tags_ff, *tags_dt;     /* normalized, malloc'd */
    const char *match_etag;
    bool has_ce, ce;
    /* outputs */
    table_rec_t rec;             /* the table after the operation */
    json_t *meta;                /* its metadata (owned) */
    int state;                   /* state to report */
    char op_id[96];
    bool no_op_id;               /* DROP IF EXISTS of a missing table */
} ddl_job_t;

static cs_err_t check_etag(ddl_job_t *j, const table_rec_t *rec, cs_error_t *err)
{
    char etag[40];
    if (!j->match_etag)
        return CS_OK;
    make_etag(etag, sizeof etag, rec);
    if (strcmp(etag, j->match_etag) != 0)
        return cs_fail(err, CS_EETAG, "ETag mismatch for table %s: the table changed since "
                                      "the ETag was read", rec->name);
    return CS_OK;
}

/* Look the job's table up with its metadata; CS_ENOTABLE if absent. */
static cs_err_t load_table(store_txn_t *t, ddl_job_t *j, const char *name, cs_error_t *err)
{
    if (!tables_lookup_name(t, j->ctx->tenant, name, true, &j->rec))
        return t->ret ? store_txn_error(t, err) : cs_fail(err, CS_ENOTABLE, "Table not found: %s", name);
    json_error_t jerr;
    j->meta = json_loads(j->rec.meta_json ? j->rec.meta_json : "{}", 0, &jerr);
    if (!j->meta)
        return cs_fail(err, CS_ECORRUPT, "stored metadata of table %s does not parse", name);
    return CS_OK;
}

/* Store j->meta into j->rec and update the record. */
static cs_err_t save_table(store_txn_t *t, ddl_job_t *j, cs_error_t *err)
{
    char *text = json_dumps(j->meta, JSON_COMPACT);
    if (!text)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    free(j->rec.meta_json);
    j->rec.meta_json = text;
    return tables_update(t, &j->rec, err);
}

static cs_err_t job_create_table(store_txn_t *t, ddl_job_t *j, cs_error_t *err)
{
    op_ctx_t *ctx = j->ctx;
    const ddl_stmt_t *st = j->stmt;
    if (tables_lookup_name(t, ctx->tenant, st->table, true, &j->rec)) {
        if (!st->if_exists)
            return cs_fail(err, CS_ETABLEEXISTS, "Table already exists: %s", j->rec.name);
        json_error_t jerr;
        j->meta = json_loads(j->rec.meta_json ? j->rec.meta_json : "{}", 0, &jerr);
        j->state = TABLE_STATE_ACTIVE;
        make_op_id(j->op_id, sizeof j->op_id, "create", &j->rec);
        return CS_OK;
    }
    if (t->ret)
        return store_txn_error(t, err);

    char parent[TABLES_NAME_MAX + 1];
    table_rec_t prec;
    memset(&prec, 0, sizeof prec);
    table_ent_t *pent = NULL;
    bool child = parent_name(st->table, parent, sizeof parent);
    if (child) {
        if (!tables_lookup_name(t, ctx->tenant, parent, false, &prec))
            return t->ret ? store_txn_error(t, err)
                          : cs_fail(err, CS_ENOTABLE, "Parent table not found: %s", parent);
        if (j->limits.present)
            return cs_fail(err, CS_EINVAL, "A child table cannot have table limits: %s "
                                           "shares the limits of its top-level table", st->table);
        pent = tcache_get(ctx->srv, t, &prec, err);
        if (!pent)
            return err->code;
    } else if (!j->limits.present) {
        return cs_fail(err, CS_EINVAL, "Table limits are required to create the top-level "
                                       "table %s", st->table);
    }

    /* a child's name starts with its parent's as stored (the case the
     * parent was created with), whatever case the statement used */
    char name[TABLES_NAME_MAX + 1];
    int n = child ? snprintf(name, sizeof name, "%s%s", prec.name, strrchr(st->table, '.'))
                  : snprintf(name, sizeof name, "%s", st->table);
    if (n < 0 || (size_t)n >= sizeof name) {
        tcache_put(pent);
        return cs_fail(err, CS_EINVAL, "Table name is too long: %.64s...", st->table);
    }
    cs_err_t rc = CS_OK;
    schema_t *schema = schema_create(st, pent ? pent->schema : NULL, err);
    tcache_put(pent);
    if (!schema)
        return err->code ? err->code : CS_EINVAL;
    char *stext = schema_to_json(schema, name);
    schema_free(schema);
    json_error_t jerr;
    json_t *sj = stext ? json_loads(stext, 0, &jerr) : NULL;
    free(stext);
    if (!sj)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    j->meta = json_pack("{s:o, s:s, s:[]}", "schema", sj, "ddl", j->statement, "indexes");
    if (!j->meta)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    if (j->limits.present)
        json_object_set_new(j->meta, "limits", limits_json(&j->limits));
    if (j->tags_ff || j->tags_dt) {
        json_t *tags = json_object();
        if (j->tags_ff)
            json_object_set_new(tags, "freeform", json_string(j->tags_ff));
        if (j->tags_dt)
            json_object_set_new(tags, "defined", json_string(j->tags_dt));
        json_object_set_new(j->meta, "tags", tags);
    }
    char *mtext = json_dumps(j->meta, JSON_COMPACT);
    if (!mtext)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    memset(&j->rec, 0, sizeof j->rec);
    snprintf(j->rec.tenant, sizeof j->rec.tenant, "%s", ctx->tenant);
    snprintf(j->rec.compartment, sizeof j->rec.compartment, "%s",
             ctx->compartment ? ctx->compartment : "");
    strcpy(j->rec.name, name);
    j->rec.parent_id = child ? prec.id : 0;
    j->rec.state = TABLE_STATE_ACTIVE;
    j->rec.meta_json = mtext;
    rc = tables_create(t, &j->rec, err);
    if (rc != CS_OK)
        return rc;
    j->state = TABLE_STATE_CREATING;
    make_op_id(j->op_id, sizeof j->op_id, "create", &j->rec);
    return CS_OK;
}

static cs_err_t job_drop_table(store_txn_t *t, ddl_job_t *j, cs_error_t *err)
{
    const ddl_stmt_t *st = j->stmt;
    if (!tables_lookup_name(t, j->ctx->tenant, st->table, false, &j->rec)) {
        if (t->ret)
            return store_txn_error(t, err);
        if (!st->if_exists)
            return cs_fail(err, CS_ENOTABLE, "Table not found: %s", st->table);
        memset(&j->rec, 0, sizeof j->rec);
        snprintf(j->rec.name, sizeof j->rec.name, "%s", st->table);
        j->state = TABLE_STATE_DROPPED;
        j->no_op_id = true;
        return CS_OK;
    }
    cs_err_t rc = check_etag(j, &j->rec, err);
    if (rc == CS_OK)
        rc = tables_drop(t, j->rec.id, err);
    if (rc == CS_ESTATE)
        return cs_fail(err, CS_EINVAL, "Cannot drop table %s: it has child tables; drop them "
                                       "first", j->rec.name);
    if (rc != CS_OK)
        return rc;
    j->state = TABLE_STATE_DROPPING;
    make_op_id(j->op_id, sizeof j->op_id, "drop", &j->rec);
    return CS_OK;
}

static cs_err_t job_alter_table(store_txn_t *t, ddl_job_t *j, cs_error_t *err)
{
    const ddl_stmt_t *st = j->stmt;
    if (j->limits.present)
        return cs_fail(err, CS_EINVAL, "ALTER TABLE cannot set table limits: change them with "
                                       "a table request that has only the table name and limits");
    cs_err_t rc = load_table(t, j, st->table, err);
    if (rc == CS_OK)
        rc = check_etag(j, &j->rec, err);
    if (rc != CS_OK)
        return rc;
    table_ent_t *ent = tcache_get(j->ctx->srv, t, &j->rec, err);
    if (!ent)
        return err->code;
    schema_t *ns = schema_alter(ent->schema, st, err);
    tcache_put(ent);
    if (!ns)
        return err->code ? err->code : CS_EINVAL;
    char *stext = schema_to_json(ns, j->rec.name);
    schema_free(ns);
    json_error_t jerr;
    json_t *sj = stext ? json_loads(stext, 0, &jerr) : NULL;
    free(stext);
    if (!sj)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    json_object_set_new(j->meta, "schema", sj);
    rc = save_table(t, j, err);
    if (rc != CS_OK)
        return rc;
    j->state = TABLE_STATE_UPDATING;
    make_op_id(j->op_id, sizeof j->op_id, "alter", &j->rec);
    return CS_OK;
}

static json_t *index_find(json_t *indexes, const char *name, size_t *at)
{
    size_t i;
    json_t *ix;
    json_array_foreach(indexes, i, ix) {
        const char *n = json_str(ix, "name");
        if (n && strcasecmp(n, name) == 0) {
            if (at)
                *at = i;
            return ix;
        }
    }
    return NULL;
}

static cs_err_t job_index(store_txn_t *t, ddl_job_t *j, cs_error_t *err)
{
    const ddl_stmt_t *st = j->stmt;
    cs_err_t rc = load_table(t, j, st->table, err);
    if (rc == CS_OK)
        rc = check_etag(j, &j->rec, err);
    if (rc != CS_OK)
        return rc;
    json_t *indexes = json_object_get(j->meta, "indexes");
    if (!json_is_array(indexes)) {
        indexes = json_array();
        json_object_set_new(j->meta, "indexes", indexes);
    }
    size_t at = 0;
    json_t *found = index_find(indexes, st->index, &at);
    if (st->kind == DDL_CREATE_INDEX) {
        if (found) {
            if (st->if_exists) {
                j->state = TABLE_STATE_ACTIVE;
                make_op_id(j->op_id, sizeof j->op_id, "index", &j->rec);
                return CS_OK;
            }
            return cs_fail(err, CS_EINDEXEXISTS, "Index already exists: %s on table %s",
                           st->index, j->rec.name);
        }
        table_ent_t *ent = tcache_get(j->ctx->srv, t, &j->rec, err);
        if (!ent)
            return err->code;
        rc = schema_check_index(ent->schema, st, err);
        tcache_put(ent);
        if (rc != CS_OK)
            return rc;
        json_t *fields = json_array();
        for (uint32_t i = 0; i < st->nifields; i++)
            json_array_append_new(fields, json_pack("{s:s, s:s?}", "path", st->ifields[i].path,
                                                    "type", st->ifields[i].type));
        json_array_append_new(indexes, json_pack("{s:s, s:o, s:s}", "name", st->index,
                                                 "fields", fields, "ddl", j->statement));
    } else {
        if (!found) {
            if (st->if_exists) {
                j->state = TABLE_STATE_ACTIVE;
                make_op_id(j->op_id, sizeof j->op_id, "index", &j->rec);
                return CS_OK;
            }
            return cs_fail(err, CS_ENOINDEX, "Index not found: %s on table %s", st->index,
                           j->rec.name);
        }
        json_array_remove(indexes, at);
    }
    rc = save_table(t, j, err);
    if (rc != CS_OK)
        return rc;
    j->state = TABLE_STATE_UPDATING;
    make_op_id(j->op_id, sizeof j->op_id, "index", &j->rec);
    return CS_OK;
}

/* Limits, tags and change streaming for a named table (no statement). */
static cs_err_t job_table_settings(store_txn_t *t, ddl_job_t *j, cs_error_t *err)
{
    cs_err_t rc = load_table(t, j, j->table, err);
    if (rc == CS_OK)
        rc = check_etag(j, &j->rec, err);
    if (rc != CS_OK)
        return rc;
    const char *kind = "update";
    if (j->limits.present) {
        if (j->rec.parent_id)
            return cs_fail(err, CS_EINVAL, "Cannot set table limits on child table %s: it "
                                           "shares the limits of its top-level table",
                           j->rec.name);
        json_object_set_new(j->meta, "limits", limits_json(&j->limits));
        kind = "limits";
    }
    if (j->tags_ff || j->tags_dt) {
        json_t *tags = json_object_get(j->meta, "tags");
        if (!json_is_object(tags)) {
            tags = json_object();
            json_object_set_new(j->meta, "tags", tags);
        }
        if (j->tags_ff)
            json_object_set_new(tags, "freeform", json_string(j->tags_ff));
        if (j->tags_dt)
            json_object_set_new(tags, "defined", json_string(j->tags_dt));
    }
    if (j->has_ce) {
        j->rec.streaming = j->ce;
        if (j->ce && j->rec.partitions == 0)
            j->rec.partitions = j->ctx->srv->cfg.partitions;
        if (j->ce)
            j->rec.streaming_since_ms = 0;   /* the store stamps "now" */
        kind = "streaming";
    }
    rc = save_table(t, j, err);
    if (rc != CS_OK)
        return rc;
    j->state = TABLE_STATE_UPDATING;
    make_op_id(j->op_id, sizeof j->op_id, kind, &j->rec);
    return CS_OK;
}

static cs_err_t ddl_job_run(store_txn_t *t, void *arg, cs_error_t *err)
{
    ddl_job_t *j = arg;
    /* a retried batch must not see the previous attempt's outputs */
    table_rec_free(&j->rec);
    memset(&j->rec, 0, sizeof j->rec);
    json_decref(j->meta);
    j->meta = NULL;
    j->no_op_id = false;
    j->op_id[0] = '\0';
    if (!j->stmt)
        return job_table_settings(t, j, err);
    switch (j->stmt->kind) {
    case DDL_CREATE_TABLE: return job_create_table(t, j, err);
    case DDL_DROP_TABLE: return job_drop_table(t, j, err);
    case DDL_ALTER_TABLE: return job_alter_table(t, j, err);
    case DDL_CREATE_INDEX:
    case DDL_DROP_INDEX: return job_index(t, j, err);
    }
    return cs_fail(err, CS_ENOTSUP, "statement not supported");
}

cs_err_t op_table_request(op_ctx_t *ctx)
{
    const nson_value_t *p = ctx->req->payload;
    bool bad = false;
    ddl_job_t j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    ddl_stmt_t *stmt = NULL;
    const char *ff = NULL, *dt = NULL;

    nson_get_string(p, "st", &j.statement, &bad);
    nson_get_string(p, "et", &j.match_etag, &bad);
    nson_get_string(p, "ff", &ff, &bad);
    nson_get_string(p, "dt", &dt, &bad);
    j.has_ce = nson_get_bool(p, "ce", &j.ce, &bad);
    if (bad)
        return cs_fail(ctx->err, CS_EPROTO, "TableRequest has a field of the wrong type");
    cs_err_t rc = limits_read(p, &j.limits, ctx->err);
    if (rc == CS_OK)
        rc = tags_normalize(ff, &j.tags_ff, ctx->err);
    if (rc == CS_OK)
        rc = tags_normalize(dt, &j.tags_dt, ctx->err);
    if (rc != CS_OK)
        goto out;

    if (j.statement && *j.statement) {
        rc = ddl_parse(j.statement, &stmt, ctx->err);
        if (rc != CS_OK)
            goto out;
        /* like the service, other statements ignore limits; ALTER refuses them */
        j.stmt = stmt;
    } else {
        j.table = ctx->req->table;
        if (!j.table || !*j.table) {
            rc = cs_fail(ctx->err, CS_EINVAL, "TableRequest needs a statement, or a table name "
                                              "with limits, tags or a change-streaming setting");
            goto out;
        }
        if (!j.limits.present && !j.has_ce && !j.tags_ff && !j.tags_dt) {
            rc = cs_fail(ctx->err, CS_EINVAL, "TableRequest for table %s has nothing to change: "
                                              "give limits, tags or a change-streaming setting",
                         j.table);
            goto out;
        }
    }

    rc = store_write(ctx->srv->store, ddl_job_run, &j, ctx->err);
    if (rc == CS_OK)
        write_table_result(ctx, &j.rec, j.meta, j.state, j.no_op_id ? NULL : j.op_id);
out:
    ddl_free(stmt);
    table_rec_free(&j.rec);
    json_decref(j.meta);
    free(j.tags_ff);
    free(j.tags_dt);
    return rc;
}

/* ------------------------------------------------------------------------
 * Reads: GetTable, ListTables, GetIndexes, TableUsage
 * ------------------------------------------------------------------------ */

/* The header's table and its parsed metadata, copied out of a read
 * transaction (the caller frees rec and *meta). */
static cs_err_t read_table(op_ctx_t *ctx, table_rec_t *rec, json_t **meta)
{
    store_txn_t t;
    memset(rec, 0, sizeof *rec);
    *meta = NULL;
    cs_err_t rc = store_read_begin(ctx->srv->store, &t, ctx->err);
    if (rc != CS_OK)
        return rc;
    if (!tables_lookup_name(&t, ctx->tenant, ctx->req->table, true, rec))
        rc = t.ret ? store_txn_error(&t, ctx->err)
                   : cs_fail(ctx->err, CS_ENOTABLE, "Table not found: %s", ctx->req->table);
    store_read_end(&t);
    if (rc != CS_OK)
        return rc;
    json_error_t jerr;
    *meta = json_loads(rec->meta_json ? rec->meta_json : "{}", 0, &jerr);
    if (!*meta) {
        table_rec_free(rec);
        return cs_fail(ctx->err, CS_ECORRUPT, "stored metadata of table %s does not parse",
                       ctx->req->table);
    }
    return CS_OK;
}

cs_err_t op_get_table(op_ctx_t *ctx)
{
    const char *od = NULL;
    bool bad = false;
    nson_get_string(ctx->req->payload, "od", &od, &bad);
    table_rec_t rec;
    json_t *meta;
    cs_err_t rc = read_table(ctx, &rec, &meta);
    if (rc == CS_ENOTABLE && od && strncmp(od, "csemu-drop-", 11) == 0) {
        /* the drop this operation id names has completed */
        snprintf(rec.name, sizeof rec.name, "%s", ctx->req->table);
        write_table_result(ctx, &rec, NULL, TABLE_STATE_DROPPED, od);
        return CS_OK;
    }
    if (rc != CS_OK)
        return rc;
    write_table_result(ctx, &rec, meta, TABLE_STATE_ACTIVE, od);
    json_decref(meta);
    table_rec_free(&rec);
    return CS_OK;
}

cs_err_t op_list_tables(op_ctx_t *ctx)
{
    int32_t limit = 0, start = 0;
    bool bad = false;
    nson_get_int(ctx->req->payload, "lx", &limit, &bad);
    nson_get_int(ctx->req->payload, "ls", &start, &bad);
    if (bad)
        return cs_fail(ctx->err, CS_EPROTO, "ListTables limit and start index must be INTEGERs");
    if (limit < 0 || start < 0)
        return cs_fail(ctx->err, CS_EINVAL, "ListTables limit and start index must not be "
                                            "negative");
    store_txn_t t;
    cs_err_t rc = store_read_begin(ctx->srv->store, &t, ctx->err);
    if (rc != CS_OK)
        return rc;
    tables_list_t list;
    rc = tables_list(&t, ctx->tenant, ctx->compartment, (uint32_t)start, (uint32_t)limit, &list,
                     ctx->err);
    store_read_end(&t);
    if (rc != CS_OK)
        return rc;
    nson_w_key(ctx->w, "tb");
    nson_w_array_begin(ctx->w);
    for (size_t i = 0; i < list.n; i++)
        nson_w_string(ctx->w, list.recs[i].name);
    nson_w_array_end(ctx->w);
    nson_w_kv_int(ctx->w, "li", (int32_t)list.next_index);
    tables_list_free(&list);
    return CS_OK;
}

cs_err_t op_get_indexes(op_ctx_t *ctx)
{
    const char *only = NULL;
    bool bad = false;
    nson_get_string(ctx->req->payload, "i", &only, &bad);
    table_rec_t rec;
    json_t *meta;
    cs_err_t rc = read_table(ctx, &rec, &meta);
    if (rc != CS_OK)
        return rc;
    json_t *indexes = json_object_get(meta, "indexes");
    if (only && !index_find(indexes, only, NULL)) {
        rc = cs_fail(ctx->err, CS_ENOINDEX, "Index not found: %s on table %s", only, rec.name);
        goto out;
    }
    nson_w_key(ctx->w, "ix");
    nson_w_array_begin(ctx->w);
    size_t i;
    json_t *ix;
    json_array_foreach(indexes, i, ix) {
        const char *name = json_str(ix, "name");
        if (!name || (only && strcasecmp(name, only) != 0))
            continue;
        nson_w_map_begin(ctx->w);
        nson_w_kv_string(ctx->w, "m", name);
        nson_w_key(ctx->w, "f");
        nson_w_array_begin(ctx->w);
        size_t k;
        json_t *f;
        json_array_foreach(json_object_get(ix, "fields"), k, f) {
            nson_w_map_begin(ctx->w);
            nson_w_kv_string(ctx->w, "pt", json_str(f, "path"));
            if (json_str(f, "type"))
                nson_w_kv_string(ctx->w, "y", json_str(f, "type"));
            nson_w_map_end(ctx->w);
        }
        nson_w_array_end(ctx->w);
        nson_w_map_end(ctx->w);
    }
    nson_w_array_end(ctx->w);
out:
    json_decref(meta);
    table_rec_free(&rec);
    return rc;
}

cs_err_t op_table_usage(op_ctx_t *ctx)
{
    table_rec_t rec;
    json_t *meta;
    cs_err_t rc = read_table(ctx, &rec, &meta);
    if (rc != CS_OK)
        return rc;
    int64_t now = clock_now_ms();
    char start[40];
    timefmt_format_ms(now - now % 60000, start, sizeof start);
    json_t *lm = json_object_get(meta, "limits");
    nson_w_kv_string(ctx->w, "n", rec.name);
    nson_w_kv_int(ctx->w, "li", 1);
    nson_w_key(ctx->w, "u");
    nson_w_array_begin(ctx->w);
    nson_w_map_begin(ctx->w);
    nson_w_kv_string(ctx->w, "sr", start);
    nson_w_kv_int(ctx->w, "pd", 60);
    nson_w_kv_int(ctx->w, "ru", 0);
    nson_w_kv_int(ctx->w, "wu", 0);
    nson_w_kv_int(ctx->w, "sg", (int32_t)json_integer_value(json_object_get(lm, "sg")) ? 0 : 0);
    nson_w_kv_int(ctx->w, "rt", 0);
    nson_w_kv_int(ctx->w, "wt", 0);
    nson_w_kv_int(ctx->w, "sl", 0);
    nson_w_kv_int(ctx->w, "ms", 0);
    nson_w_map_end(ctx->w);
    nson_w_array_end(ctx->w);
    json_decref(meta);
    table_rec_free(&rec);
    return CS_OK;
}
