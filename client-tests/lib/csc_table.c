/*
 * csc_table.c - table and system operations (see csc_table.h).
 *
 * Each operation: a build function that writes borneo's payload fields in
 * borneo's order (nson.py *RequestSerializer), a decoder that reads the
 * reply the way borneo's deserializer does (by name, unknown names
 * skipped, scalar types checked exactly), and the public call.
 */
#include "csc_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csc_internal.h"
#include "wire.h"

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------------
 * Tags: borneo sends dicts as JSON-like text with single quotes and no
 * escaping (nson.py JsonSerializer(use_single_quote=True)).
 * ------------------------------------------------------------------------ */

static void tags_text(buf_t *b, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        bool first = true;
        buf_putc(b, '{');
        json_object_foreach((json_t *)j, k, v) {
            buf_printf(b, "%s'%s':", first ? "" : ",", k);
            tags_text(b, v);
            first = false;
        }
        buf_putc(b, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        buf_putc(b, '[');
        json_array_foreach(j, i, v) {
            if (i)
                buf_putc(b, ',');
            tags_text(b, v);
        }
        buf_putc(b, ']');
        break;
    }
    case JSON_STRING: buf_printf(b, "'%s'", json_string_value(j)); break;
    case JSON_INTEGER: buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j)); break;
    case JSON_REAL: buf_printf(b, "%.17g", json_real_value(j)); break;
    case JSON_TRUE: buf_printf(b, "true"); break;
    case JSON_FALSE: buf_printf(b, "false"); break;
    case JSON_NULL: buf_printf(b, "null"); break;
    }
}

static cs_err_t write_tags(nson_writer_t *w, const char *key, const json_t *tags, csc_error_t *err)
{
    if (!tags)
        return CS_OK;
    buf_t b;
    buf_init(&b, 1 << 20);
    tags_text(&b, tags);
    if (!buf_ok(&b)) {
        buf_free(&b);
        return cs_fail(&err->e, CS_ENOMEM, "cannot format tags");
    }
    nson_w_key(w, key);
    nson_w_stringn(w, (const char *)b.data, b.len);
    buf_free(&b);
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * TableResult
 * ------------------------------------------------------------------------ */

void csc_table_result_free(csc_table_result_t *r)
{
    if (!r)
        return;
    char **s[] = { &r->table_name, &r->table_id, &r->compartment_id, &r->namespace_, &r->ddl,
                   &r->schema, &r->operation_id, &r->match_etag, &r->defined_tags,
                   &r->free_form_tags };
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        free(*s[i]);
    memset(r, 0, sizeof *r);
    r->state = -1;
}

cs_err_t csc_table_result_decode(const nson_value_t *m, csc_table_result_t *r, csc_error_t *err)
{
    csc_dec_t d = { err, CS_OK };
    memset(r, 0, sizeof *r);
    r->state = -1;
    csc_dec_str(&d, m, "n", &r->table_name);
    csc_dec_int(&d, m, "as", &r->state);
    csc_dec_str(&d, m, "to", &r->table_id);
    csc_dec_str(&d, m, "cc", &r->compartment_id);
    csc_dec_str(&d, m, "ns", &r->namespace_);
    csc_dec_str(&d, m, "td", &r->ddl);
    csc_dec_str(&d, m, "ac", &r->schema);
    csc_dec_str(&d, m, "od", &r->operation_id);
    csc_dec_str(&d, m, "et", &r->match_etag);
    csc_dec_str(&d, m, "dt", &r->defined_tags);
    csc_dec_str(&d, m, "ff", &r->free_form_tags);
    csc_dec_bool(&d, m, "sf", &r->schema_frozen);
    const nson_value_t *lm = csc_dec_map(&d, m, "lm");
    if (lm) {
        r->has_limits = true;
        r->limits.mode = CSC_LIMITS_PROVISIONED;
        csc_dec_int(&d, lm, "ru", &r->limits.read_units);
        csc_dec_int(&d, lm, "wu", &r->limits.write_units);
        csc_dec_int(&d, lm, "sg", &r->limits.storage_gb);
        csc_dec_int(&d, lm, "mo", &r->limits.mode);
    }
    if (!d.rc && r->state > CSC_TABLE_UPDATING)
        csc_dec_fail(&d, "as", "unknown table state (borneo raises IllegalStateException)");
    if (d.rc)
        csc_table_result_free(r);
    return d.rc;
}

/* ------------------------------------------------------------------------
 * TableRequest
 * ------------------------------------------------------------------------ */

static cs_err_t build_table_request(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                    csc_error_t *err)
{
    const csc_table_request_t *req = rq;
    if (!req->statement && !req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "TableRequest needs a statement or a table name");
    hdr->op = OP_TABLE_REQUEST;
    hdr->table_op = true;
    hdr->timeout_ms = req->timeout_ms;
    /* borneo never sends both: with a statement the name is inside it */
    hdr->table_name = req->statement ? NULL : req->table_name;
    if (req->statement)
        nson_w_kv_string(w, "st", req->statement);
    if (req->limits) {
        nson_w_key(w, "lm");
        nson_w_map_begin(w);
        nson_w_kv_int(w, "ru", req->limits->read_units);
        nson_w_kv_int(w, "wu", req->limits->write_units);
        nson_w_kv_int(w, "sg", req->limits->storage_gb);
        nson_w_kv_int(w, "mo", req->limits->mode ? req->limits->mode : CSC_LIMITS_PROVISIONED);
        nson_w_map_end(w);
    }
    cs_err_t rc = write_tags(w, "dt", req->defined_tags, err);
    if (!rc)
        rc = write_tags(w, "ff", req->free_form_tags, err);
    if (rc)
        return rc;
    if (req->match_etag)
        nson_w_kv_string(w, "et", req->match_etag);
    if (req->change_streaming != CSC_STREAMING_UNSET)
        nson_w_kv_bool(w, "ce", req->change_streaming == CSC_STREAMING_ENABLE);
    return CS_OK;
}

cs_err_t csc_table_request_encode(const csc_handle_t *h, const csc_table_request_t *req,
                                  buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_table_request, req, body, err);
}

/* Send, then decode a TableResult reply. */
static cs_err_t table_call(csc_handle_t *h, csc_build_fn build, const void *req,
                           csc_table_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    res->state = -1;
    cs_err_t rc = csc_op_send(h, build, req, &reply, err);
    if (!rc)
        rc = csc_table_result_decode(reply.root, res, err);
    csc_reply_free(&reply);
    return rc;
}

cs_err_t csc_table_request(csc_handle_t *h, const csc_table_request_t *req,
                           csc_table_result_t *res, csc_error_t *err)
{
    return table_call(h, build_table_request, req, res, err);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

cs_err_t csc_table_wait_for_completion(csc_handle_t *h, csc_table_result_t *res, int wait_ms,
                                       int delay_ms, csc_error_t *err)
{
    csc_error_clear(err);
    if (res->state == CSC_TABLE_ACTIVE || res->state == CSC_TABLE_DROPPED)
        return CS_OK;
    if (!res->operation_id)
        return cs_fail(&err->e, CS_EINVAL, "Operation id must not be none.");
    if (!res->table_name)
        return cs_fail(&err->e, CS_EINVAL, "table name needed to wait for completion");
    if (delay_ms <= 0)
        delay_ms = 500;
    if (wait_ms < delay_ms)
        return cs_fail(&err->e, CS_EINVAL,
                       "Wait milliseconds must be a minimum of 500 and greater than delay "
                       "milliseconds");
    int64_t start = now_ms();
    for (bool first = true;; first = false) {
        if (now_ms() - start > wait_ms)
            return cs_fail(&err->e, CS_EBUSY, "Operation not completed in expected time");
        if (!first)
            sleep_ms(delay_ms);
        csc_get_table_request_t gt = { .table_name = res->table_name,
                                       .operation_id = res->operation_id };
        csc_table_result_t now;
        cs_err_t rc = csc_get_table(h, &gt, &now, err);
        if (rc)
            return rc;
        /* like borneo: take the new state, keep the operation id */
        res->state = now.state;
        res->has_limits = now.has_limits;
        res->limits = now.limits;
        free(res->schema);
        res->schema = now.schema;
        now.schema = NULL;
        res->schema_frozen = now.schema_frozen;
        if (now.table_id && !res->table_id) {
            res->table_id = now.table_id;
            now.table_id = NULL;
        }
        csc_table_result_free(&now);
        if (res->state == CSC_TABLE_ACTIVE || res->state == CSC_TABLE_DROPPED)
            return CS_OK;
    }
}

cs_err_t csc_do_table_request(csc_handle_t *h, const csc_table_request_t *req, int wait_ms,
                              int delay_ms, csc_table_result_t *res, csc_error_t *err)
{
    cs_err_t rc = csc_table_request(h, req, res, err);
    if (!rc)
        rc = csc_table_wait_for_completion(h, res, wait_ms, delay_ms, err);
    return rc;
}

cs_err_t csc_enable_change_streaming(csc_handle_t *h, const char *table_name, bool enabled,
                                     int wait_ms, csc_table_result_t *res, csc_error_t *err)
{
    csc_table_request_t req = {
        .table_name = table_name,
        .change_streaming = enabled ? CSC_STREAMING_ENABLE : CSC_STREAMING_DISABLE,
    };
    return csc_do_table_request(h, &req, wait_ms > 0 ? wait_ms : 30000, 0, res, err);
}

/* ------------------------------------------------------------------------
 * GetTable
 * ------------------------------------------------------------------------ */

static cs_err_t build_get_table(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                csc_error_t *err)
{
    const csc_get_table_request_t *req = rq;
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "GetTable needs a table name");
    hdr->op = OP_GET_TABLE;
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    if (req->operation_id)
        nson_w_kv_string(w, "od", req->operation_id);
    return CS_OK;
}

cs_err_t csc_get_table_encode(const csc_handle_t *h, const csc_get_table_request_t *req,
                              buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_get_table, req, body, err);
}

cs_err_t csc_get_table(csc_handle_t *h, const csc_get_table_request_t *req,
                       csc_table_result_t *res, csc_error_t *err)
{
    return table_call(h, build_get_table, req, res, err);
}

/* ------------------------------------------------------------------------
 * ListTables
 * ------------------------------------------------------------------------ */

static cs_err_t build_list_tables(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                  csc_error_t *err)
{
    const csc_list_tables_request_t *req = rq;
    if (req->limit < 0 || req->start_index < 0)
        return cs_fail(&err->e, CS_EINVAL, "ListTables limit and start index must be >= 0");
    hdr->op = OP_LIST_TABLES;
    hdr->timeout_ms = req->timeout_ms;
    nson_w_kv_int(w, "lx", req->limit);
    nson_w_kv_int(w, "ls", req->start_index);
    if (req->namespace_)
        nson_w_kv_string(w, "ns", req->namespace_);
    return CS_OK;
}

void csc_list_tables_result_free(csc_list_tables_result_t *r)
{
    if (!r)
        return;
    free_strv(r->tables, r->num_tables);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_list_tables_encode(const csc_handle_t *h, const csc_list_tables_request_t *req,
                                buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_list_tables, req, body, err);
}

cs_err_t csc_list_tables(csc_handle_t *h, const csc_list_tables_request_t *req,
                         csc_list_tables_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_list_tables, req, &reply, err);
    if (rc)
        goto out;
    csc_dec_t d = { err, CS_OK };
    csc_dec_int(&d, reply.root, "li", &res->last_index_returned);
    const nson_value_t *tb = csc_dec_array(&d, reply.root, "tb");
    if (tb && tb->u.arr.count) {
        res->tables = calloc(tb->u.arr.count, sizeof *res->tables);
        if (!res->tables)
            d.rc = cs_fail(&err->e, CS_ENOMEM, "out of memory");
        for (uint32_t i = 0; !d.rc && i < tb->u.arr.count; i++) {
            const nson_value_t *s = tb->u.arr.items[i];
            if (s->type != NSON_STRING || s->u.str.is_null)
                csc_dec_fail(&d, "tb", "table names must be STRINGs");
            else
                res->tables[res->num_tables++] = strndup(s->u.str.ptr, s->u.str.len);
        }
    }
    rc = d.rc;
out:
    if (rc)
        csc_list_tables_result_free(res);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * GetIndexes
 * ------------------------------------------------------------------------ */

static cs_err_t build_get_indexes(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                  csc_error_t *err)
{
    const csc_get_indexes_request_t *req = rq;
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "GetIndexes needs a table name");
    hdr->op = OP_GET_INDEXES;
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    if (req->index_name)
        nson_w_kv_string(w, "i", req->index_name);
    return CS_OK;
}

void csc_get_indexes_result_free(csc_get_indexes_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->num_indexes; i++) {
        csc_index_info_t *x = &r->indexes[i];
        free(x->index_name);
        free_strv(x->field_paths, x->num_fields);
        free_strv(x->field_types, x->num_fields);
    }
    free(r->indexes);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_get_indexes_encode(const csc_handle_t *h, const csc_get_indexes_request_t *req,
                                buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_get_indexes, req, body, err);
}

static void read_index(csc_dec_t *d, const nson_value_t *m, csc_index_info_t *x)
{
    if (m->type != NSON_MAP) {
        csc_dec_fail(d, "ix", "index entries must be MAPs");
        return;
    }
    if (!csc_dec_str(d, m, "m", &x->index_name))
        csc_dec_fail(d, "m", "index name missing");
    const nson_value_t *f = csc_dec_array(d, m, "f");
    if (!f || !f->u.arr.count)
        return;
    x->field_paths = calloc(f->u.arr.count, sizeof *x->field_paths);
    x->field_types = calloc(f->u.arr.count, sizeof *x->field_types);
    if (!x->field_paths || !x->field_types) {
        d->rc = cs_fail(&d->err->e, CS_ENOMEM, "out of memory");
        return;
    }
    x->num_fields = f->u.arr.count;
    for (uint32_t i = 0; !d->rc && i < f->u.arr.count; i++) {
        csc_dec_str(d, f->u.arr.items[i], "pt", &x->field_paths[i]);
        csc_dec_str(d, f->u.arr.items[i], "y", &x->field_types[i]);
    }
}

cs_err_t csc_get_indexes(csc_handle_t *h, const csc_get_indexes_request_t *req,
                         csc_get_indexes_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_get_indexes, req, &reply, err);
    if (rc)
        goto out;
    csc_dec_t d = { err, CS_OK };
    const nson_value_t *ix = csc_dec_array(&d, reply.root, "ix");
    if (ix && ix->u.arr.count) {
        res->indexes = calloc(ix->u.arr.count, sizeof *res->indexes);
        if (!res->indexes)
            d.rc = cs_fail(&err->e, CS_ENOMEM, "out of memory");
        for (uint32_t i = 0; !d.rc && i < ix->u.arr.count; i++)
            read_index(&d, ix->u.arr.items[i], &res->indexes[res->num_indexes++]);
    }
    rc = d.rc;
out:
    if (rc)
        csc_get_indexes_result_free(res);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * TableUsage
 * ------------------------------------------------------------------------ */

/* borneo: datetime.fromtimestamp(ms / 1000).replace(tzinfo=UTC).isoformat() */
static void iso_time(int64_t ms, char *out, size_t cap)
{
    time_t sec = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        snprintf(out + n, cap - n, ".%06d+00:00", frac * 1000);
    else
        snprintf(out + n, cap - n, "+00:00");
}

static cs_err_t build_table_usage(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                  csc_error_t *err)
{
    const csc_table_usage_request_t *req = rq;
    char t[64];
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "TableUsage needs a table name");
    hdr->op = OP_GET_TABLE_USAGE;
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    if (req->start_time) {
        iso_time(req->start_time, t, sizeof t);
        nson_w_kv_string(w, "sr", t);
    }
    if (req->end_time) {
        iso_time(req->end_time, t, sizeof t);
        nson_w_kv_string(w, "en", t);
    }
    nson_w_kv_int(w, "lx", req->limit);
    nson_w_kv_int(w, "ls", req->start_index);
    return CS_OK;
}

void csc_table_usage_result_free(csc_table_usage_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->num_records; i++)
        free(r->records[i].start_time);
    free(r->records);
    free(r->table_name);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_table_usage_encode(const csc_handle_t *h, const csc_table_usage_request_t *req,
                                buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_table_usage, req, body, err);
}

cs_err_t csc_get_table_usage(csc_handle_t *h, const csc_table_usage_request_t *req,
                             csc_table_usage_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_table_usage, req, &reply, err);
    if (rc)
        goto out;
    csc_dec_t d = { err, CS_OK };
    csc_dec_str(&d, reply.root, "n", &res->table_name);
    csc_dec_int(&d, reply.root, "li", &res->last_index_returned);
    const nson_value_t *u = csc_dec_array(&d, reply.root, "u");
    if (u && u->u.arr.count) {
        res->records = calloc(u->u.arr.count, sizeof *res->records);
        if (!res->records)
            d.rc = cs_fail(&err->e, CS_ENOMEM, "out of memory");
        for (uint32_t i = 0; !d.rc && i < u->u.arr.count; i++) {
            const nson_value_t *m = u->u.arr.items[i];
            csc_table_usage_t *x = &res->records[res->num_records++];
            csc_dec_str(&d, m, "sr", &x->start_time);
            csc_dec_int(&d, m, "pd", &x->seconds_in_period);
            csc_dec_int(&d, m, "ru", &x->read_units);
            csc_dec_int(&d, m, "wu", &x->write_units);
            csc_dec_int(&d, m, "sg", &x->storage_gb);
            csc_dec_int(&d, m, "rt", &x->read_throttle_count);
            csc_dec_int(&d, m, "wt", &x->write_throttle_count);
            csc_dec_int(&d, m, "sl", &x->storage_throttle_count);
            csc_dec_int(&d, m, "ms", &x->max_shard_usage_percent);
        }
    }
    rc = d.rc;
out:
    if (rc)
        csc_table_usage_result_free(res);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * SystemRequest / SystemStatus
 * ------------------------------------------------------------------------ */

static cs_err_t build_system_request(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                     csc_error_t *err)
{
    const csc_system_request_t *req = rq;
    if (!req->statement)
        return cs_fail(&err->e, CS_EINVAL, "SystemRequest needs a statement");
    hdr->op = OP_SYSTEM_REQUEST;
    hdr->table_op = true;
    hdr->timeout_ms = req->timeout_ms;
    nson_w_kv_binary(w, "st", req->statement, strlen(req->statement));
    return CS_OK;
}

static cs_err_t build_system_status(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                    csc_error_t *err)
{
    const csc_system_status_request_t *req = rq;
    (void)err;
    hdr->op = OP_SYSTEM_STATUS_REQUEST;
    hdr->table_op = true;
    hdr->timeout_ms = req->timeout_ms;
    if (req->statement)
        nson_w_kv_string(w, "st", req->statement);
    if (req->operation_id)
        nson_w_kv_string(w, "od", req->operation_id);
    return CS_OK;
}

void csc_system_result_free(csc_system_result_t *r)
{
    if (!r)
        return;
    free(r->result_string);
    free(r->statement);
    free(r->operation_id);
    memset(r, 0, sizeof *r);
    r->state = -1;
}

static cs_err_t system_call(csc_handle_t *h, csc_build_fn build, const void *req,
                            csc_system_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    res->state = -1;
    cs_err_t rc = csc_op_send(h, build, req, &reply, err);
    if (!rc) {
        csc_dec_t d = { err, CS_OK };
        csc_dec_int(&d, reply.root, "ta", &res->state);
        csc_dec_str(&d, reply.root, "rs", &res->result_string);
        csc_dec_str(&d, reply.root, "st", &res->statement);
        csc_dec_str(&d, reply.root, "od", &res->operation_id);
        if (!d.rc && res->state > CSC_SYSOP_WORKING)
            csc_dec_fail(&d, "ta", "unknown operation state");
        rc = d.rc;
    }
    if (rc)
        csc_system_result_free(res);
    csc_reply_free(&reply);
    return rc;
}

cs_err_t csc_system_request_encode(const csc_handle_t *h, const csc_system_request_t *req,
                                   buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_system_request, req, body, err);
}

cs_err_t csc_system_request(csc_handle_t *h, const csc_system_request_t *req,
                            csc_system_result_t *res, csc_error_t *err)
{
    return system_call(h, build_system_request, req, res, err);
}

cs_err_t csc_system_status_encode(const csc_handle_t *h, const csc_system_status_request_t *req,
                                  buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_system_status, req, body, err);
}

cs_err_t csc_system_status(csc_handle_t *h, const csc_system_status_request_t *req,
                           csc_system_result_t *res, csc_error_t *err)
{
    return system_call(h, build_system_status, req, res, err);
}
