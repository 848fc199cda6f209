/*
 * csc_rows.c - row operations (see csc_rows.h).
 *
 * Payload layouts follow borneo's nson.py serializers field for field:
 *   Put:    du? rr ec? ut? tt? ic? rv? l
 *   Delete: du? rr rv? k
 *   WriteMultiple: du? no os[ {n? o <put|delete fields> rr a} ]
 *   MultiDelete:   mw ck? du? rg? k
 */
#include "csc_rows.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csc_internal.h"
#include "wire.h"

/* ------------------------------------------------------------------------
 * shared reply pieces
 * ------------------------------------------------------------------------ */

static void dec_consumed(csc_dec_t *d, const nson_value_t *m, csc_consumed_t *c)
{
    const nson_value_t *cv = csc_dec_map(d, m, "c");
    memset(c, 0, sizeof *c);
    if (!cv)
        return;
    csc_dec_int(d, cv, "ru", &c->read_units);
    csc_dec_int(d, cv, "rk", &c->read_kb);
    csc_dec_int(d, cv, "wk", &c->write_kb);
}

static void dec_return_info(csc_dec_t *d, const nson_value_t *m, csc_return_info_t *ri)
{
    const nson_value_t *v = csc_dec_map(d, m, "ri");
    memset(ri, 0, sizeof *ri);
    if (!v)
        return;
    ri->present = true;
    csc_dec_row(d, v, "el", &ri->existing_value);
    csc_dec_bytes(d, v, "ev", &ri->existing_version);
    csc_dec_long(d, v, "em", &ri->existing_modification_time);
    csc_dec_long(d, v, "ct", &ri->existing_creation_time);
}

static void write_durability(nson_writer_t *w, bool has, int du)
{
    if (has)
        nson_w_kv_int(w, "du", du);
}

/* ------------------------------------------------------------------------
 * Get
 * ------------------------------------------------------------------------ */

static cs_err_t build_get(const void *rq, csc_header_t *hdr, nson_writer_t *w, csc_error_t *err)
{
    const csc_get_request_t *req = rq;
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "Get needs a table name");
    hdr->op = OP_GET;
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    nson_w_key(w, "co");
    nson_w_map_begin(w);
    nson_w_kv_int(w, "y", req->absolute ? 0 : 1);
    nson_w_map_end(w);
    nson_w_key(w, "k");
    return csc_value_write(w, &req->key, true, &err->e);
}

void csc_get_result_free(csc_get_result_t *r)
{
    if (!r)
        return;
    csc_row_free(&r->value);
    csc_bytes_free(&r->version);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_get_result_decode(const nson_value_t *m, csc_get_result_t *r, csc_error_t *err)
{
    csc_dec_t d = { err, CS_OK };
    memset(r, 0, sizeof *r);
    dec_consumed(&d, m, &r->consumed);
    const nson_value_t *row = csc_dec_map(&d, m, "r");
    if (row) {
        r->found = true;
        csc_dec_row(&d, row, "l", &r->value);
        csc_dec_bytes(&d, row, "rv", &r->version);
        csc_dec_long(&d, row, "md", &r->modification_time);
        csc_dec_long(&d, row, "xp", &r->expiration_time);
        csc_dec_long(&d, row, "ct", &r->creation_time);
    }
    if (d.rc)
        csc_get_result_free(r);
    return d.rc;
}

cs_err_t csc_get_encode(const csc_handle_t *h, const csc_get_request_t *req, buf_t *body,
                        csc_error_t *err)
{
    return csc_op_encode(h, build_get, req, body, err);
}

cs_err_t csc_get(csc_handle_t *h, const csc_get_request_t *req, csc_get_result_t *res,
                 csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_get, req, &reply, err);
    if (!rc)
        rc = csc_get_result_decode(reply.root, res, err);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * Put
 * ------------------------------------------------------------------------ */

static int put_op(const csc_put_request_t *req)
{
    switch (req->option) {
    case CSC_PUT_IF_ABSENT: return OP_PUT_IF_ABSENT;
    case CSC_PUT_IF_PRESENT: return OP_PUT_IF_PRESENT;
    case CSC_PUT_IF_VERSION: return OP_PUT_IF_VERSION;
    default: return OP_PUT;
    }
}

/* The put fields shared with WriteMultiple (borneo write_put_request). */
static cs_err_t write_put_fields(nson_writer_t *w, const csc_put_request_t *req, csc_error_t *err)
{
    if (req->option == CSC_PUT_IF_VERSION && !req->match_version)
        return cs_fail(&err->e, CS_EINVAL, "PutIfVersion needs a match version");
    if (req->exact_match)
        nson_w_kv_bool(w, "ec", true);
    if (req->use_table_default_ttl || req->ttl)
        nson_w_kv_bool(w, "ut", true);
    if (req->ttl)
        nson_w_kv_string(w, "tt", req->ttl);
    if (req->identity_cache_size)
        nson_w_kv_int(w, "ic", req->identity_cache_size);
    if (req->match_version)
        nson_w_kv_binary(w, "rv", req->match_version, req->match_version_len);
    nson_w_key(w, "l");
    return csc_value_write(w, &req->value, true, &err->e);
}

static cs_err_t build_put(const void *rq, csc_header_t *hdr, nson_writer_t *w, csc_error_t *err)
{
    const csc_put_request_t *req = rq;
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "Put needs a table name");
    hdr->op = put_op(req);
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    write_durability(w, req->has_durability, req->durability);
    nson_w_kv_bool(w, "rr", req->return_row);
    return write_put_fields(w, req, err);
}

void csc_put_result_free(csc_put_result_t *r)
{
    if (!r)
        return;
    csc_bytes_free(&r->version);
    csc_return_info_free(&r->existing);
    csc_row_free(&r->generated);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_put_result_decode(const nson_value_t *m, csc_put_result_t *r, csc_error_t *err)
{
    csc_dec_t d = { err, CS_OK };
    memset(r, 0, sizeof *r);
    dec_consumed(&d, m, &r->consumed);
    /* borneo: success is the presence of "rv", even zero-length */
    if (nson_map_get(m, "rv")) {
        csc_dec_bytes(&d, m, "rv", &r->version);
        r->success = !d.rc;
    }
    dec_return_info(&d, m, &r->existing);
    csc_dec_row(&d, m, "gn", &r->generated);
    if (d.rc)
        csc_put_result_free(r);
    return d.rc;
}

cs_err_t csc_put_encode(const csc_handle_t *h, const csc_put_request_t *req, buf_t *body,
                        csc_error_t *err)
{
    return csc_op_encode(h, build_put, req, body, err);
}

cs_err_t csc_put(csc_handle_t *h, const csc_put_request_t *req, csc_put_result_t *res,
                 csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_put, req, &reply, err);
    if (!rc)
        rc = csc_put_result_decode(reply.root, res, err);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * Delete
 * ------------------------------------------------------------------------ */

static cs_err_t write_delete_fields(nson_writer_t *w, const csc_delete_request_t *req,
                                    csc_error_t *err)
{
    if (req->match_version)
        nson_w_kv_binary(w, "rv", req->match_version, req->match_version_len);
    nson_w_key(w, "k");
    return csc_value_write(w, &req->key, true, &err->e);
}

static cs_err_t build_delete(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                             csc_error_t *err)
{
    const csc_delete_request_t *req = rq;
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "Delete needs a table name");
    hdr->op = req->match_version ? OP_DELETE_IF_VERSION : OP_DELETE;
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    write_durability(w, req->has_durability, req->durability);
    nson_w_kv_bool(w, "rr", req->return_row);
    return write_delete_fields(w, req, err);
}

void csc_delete_result_free(csc_delete_result_t *r)
{
    if (!r)
        return;
    csc_return_info_free(&r->existing);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_delete_result_decode(const nson_value_t *m, csc_delete_result_t *r,
                                  csc_error_t *err)
{
    csc_dec_t d = { err, CS_OK };
    memset(r, 0, sizeof *r);
    dec_consumed(&d, m, &r->consumed);
    csc_dec_bool(&d, m, "ss", &r->success);
    dec_return_info(&d, m, &r->existing);
    if (d.rc)
        csc_delete_result_free(r);
    return d.rc;
}

cs_err_t csc_delete_encode(const csc_handle_t *h, const csc_delete_request_t *req, buf_t *body,
                           csc_error_t *err)
{
    return csc_op_encode(h, build_delete, req, body, err);
}

cs_err_t csc_delete(csc_handle_t *h, const csc_delete_request_t *req, csc_delete_result_t *res,
                    csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_delete, req, &reply, err);
    if (!rc)
        rc = csc_delete_result_decode(reply.root, res, err);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * WriteMultiple
 * ------------------------------------------------------------------------ */

static const char *op_table(const csc_write_op_t *op)
{
    return op->is_delete ? op->del.table_name : op->put.table_name;
}

/* Length of the top-level table name ("users" of "users.addresses"). */
static size_t top_len(const char *name)
{
    const char *dot = strchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

static cs_err_t build_write_multiple(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                     csc_error_t *err)
{
    const csc_write_multiple_request_t *req = rq;
    if (req->num_ops == 0 || !req->ops)
        return cs_fail(&err->e, CS_EINVAL, "WriteMultiple needs at least one operation");
    const char *first = op_table(&req->ops[0]);
    if (!first)
        return cs_fail(&err->e, CS_EINVAL, "WriteMultiple operation 0 has no table name");
    bool single = true;
    for (size_t i = 0; i < req->num_ops; i++) {
        const char *t = op_table(&req->ops[i]);
        if (!t)
            return cs_fail(&err->e, CS_EINVAL, "WriteMultiple operation %zu has no table name", i);
        if (top_len(t) != top_len(first) || strncasecmp(t, first, top_len(first)) != 0)
            return cs_fail(&err->e, CS_EINVAL,
                           "All sub requests must operate on the same table or descendant "
                           "tables belonging to the same top level table");
        if (strcasecmp(t, first) != 0)
            single = false;
    }
    hdr->op = OP_WRITE_MULTIPLE;
    hdr->table_name = single ? first : NULL;
    hdr->timeout_ms = req->timeout_ms;
    hdr->omit_topo_seq = true;
    write_durability(w, req->has_durability, req->durability);
    nson_w_kv_int(w, "no", (int32_t)req->num_ops);
    nson_w_key(w, "os");
    nson_w_array_begin(w);
    for (size_t i = 0; i < req->num_ops; i++) {
        const csc_write_op_t *op = &req->ops[i];
        nson_w_map_begin(w);
        if (!single)
            nson_w_kv_string(w, "n", op_table(op));
        cs_err_t rc;
        if (op->is_delete) {
            nson_w_kv_int(w, "o", op->del.match_version ? OP_DELETE_IF_VERSION : OP_DELETE);
            rc = write_delete_fields(w, &op->del, err);
        } else {
            nson_w_kv_int(w, "o", put_op(&op->put));
            rc = write_put_fields(w, &op->put, err);
        }
        if (rc)
            return rc;
        nson_w_kv_bool(w, "rr", op->is_delete ? op->del.return_row : op->put.return_row);
        nson_w_kv_bool(w, "a", op->abort_if_unsuccessful);
        nson_w_map_end(w);
    }
    nson_w_array_end(w);
    return CS_OK;
}

void csc_write_multiple_result_free(csc_write_multiple_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->num_results; i++) {
        csc_bytes_free(&r->results[i].version);
        csc_return_info_free(&r->results[i].existing);
        csc_row_free(&r->results[i].generated);
    }
    free(r->results);
    memset(r, 0, sizeof *r);
    r->failed_operation_index = -1;
}

static void dec_op_result(csc_dec_t *d, const nson_value_t *m, csc_operation_result_t *o)
{
    if (!m || m->type != NSON_MAP) {
        csc_dec_fail(d, "ws", "operation results must be MAPs");
        return;
    }
    csc_dec_bool(d, m, "ss", &o->success);
    csc_dec_bytes(d, m, "rv", &o->version);
    csc_dec_row(d, m, "gn", &o->generated);
    dec_return_info(d, m, &o->existing);
}

cs_err_t csc_write_multiple_result_decode(const nson_value_t *m, csc_write_multiple_result_t *r,
                                          csc_error_t *err)
{
    csc_dec_t d = { err, CS_OK };
    memset(r, 0, sizeof *r);
    r->failed_operation_index = -1;
    dec_consumed(&d, m, &r->consumed);
    const nson_value_t *ws = csc_dec_array(&d, m, "ws");
    const nson_value_t *wf = csc_dec_map(&d, m, "wf");
    size_t n = (ws ? ws->u.arr.count : 0) + (wf ? 1 : 0);
    if (n) {
        r->results = calloc(n, sizeof *r->results);
        if (!r->results)
            d.rc = cs_fail(&err->e, CS_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; !d.rc && ws && i < ws->u.arr.count; i++)
        dec_op_result(&d, ws->u.arr.items[i], &r->results[r->num_results++]);
    if (!d.rc && wf) {
        int wi = -1;
        if (!csc_dec_int(&d, wf, "wi", &wi))
            csc_dec_fail(&d, "wf", "failure without \"wi\"");
        r->failed_operation_index = wi;
        const nson_value_t *wr = csc_dec_map(&d, wf, "wr");
        if (wr)
            dec_op_result(&d, wr, &r->results[r->num_results++]);
    }
    if (d.rc)
        csc_write_multiple_result_free(r);
    return d.rc;
}

cs_err_t csc_write_multiple_encode(const csc_handle_t *h, const csc_write_multiple_request_t *req,
                                   buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_write_multiple, req, body, err);
}

cs_err_t csc_write_multiple(csc_handle_t *h, const csc_write_multiple_request_t *req,
                            csc_write_multiple_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    res->failed_operation_index = -1;
    cs_err_t rc = csc_op_send(h, build_write_multiple, req, &reply, err);
    if (!rc)
        rc = csc_write_multiple_result_decode(reply.root, res, err);
    csc_reply_free(&reply);
    return rc;
}

/* ------------------------------------------------------------------------
 * MultiDelete
 * ------------------------------------------------------------------------ */

static cs_err_t write_bound(nson_writer_t *w, const char *key, const csc_value_t *v, bool incl,
                            csc_error_t *err)
{
    if (!csc_value_present(v))
        return CS_OK;
    nson_w_key(w, key);
    nson_w_map_begin(w);
    nson_w_key(w, "l");
    cs_err_t rc = csc_value_write(w, v, false, &err->e);
    if (rc)
        return rc;
    nson_w_kv_bool(w, "in", incl);
    nson_w_map_end(w);
    return CS_OK;
}

static cs_err_t build_multi_delete(const void *rq, csc_header_t *hdr, nson_writer_t *w,
                                   csc_error_t *err)
{
    const csc_multi_delete_request_t *req = rq;
    if (!req->table_name)
        return cs_fail(&err->e, CS_EINVAL, "MultiDelete needs a table name");
    hdr->op = OP_MULTI_DELETE;
    hdr->table_name = req->table_name;
    hdr->timeout_ms = req->timeout_ms;
    nson_w_kv_int(w, "mw", req->max_write_kb);
    if (req->continuation_key)
        nson_w_kv_binary(w, "ck", req->continuation_key, req->continuation_key_len);
    write_durability(w, req->has_durability, req->durability);
    if (req->range) {
        const csc_field_range_t *r = req->range;
        if (!r->field_path)
            return cs_fail(&err->e, CS_EINVAL, "a field range needs a field path");
        nson_w_key(w, "rg");
        nson_w_map_begin(w);
        nson_w_kv_string(w, "rp", r->field_path);
        cs_err_t rc = write_bound(w, "sr", &r->start, r->start_inclusive, err);
        if (!rc)
            rc = write_bound(w, "en", &r->end, r->end_inclusive, err);
        if (rc)
            return rc;
        nson_w_map_end(w);
    }
    nson_w_key(w, "k");
    return csc_value_write(w, &req->key, true, &err->e);
}

void csc_multi_delete_result_free(csc_multi_delete_result_t *r)
{
    if (!r)
        return;
    csc_bytes_free(&r->continuation_key);
    memset(r, 0, sizeof *r);
}

cs_err_t csc_multi_delete_encode(const csc_handle_t *h, const csc_multi_delete_request_t *req,
                                 buf_t *body, csc_error_t *err)
{
    return csc_op_encode(h, build_multi_delete, req, body, err);
}

cs_err_t csc_multi_delete(csc_handle_t *h, const csc_multi_delete_request_t *req,
                          csc_multi_delete_result_t *res, csc_error_t *err)
{
    csc_reply_t reply;
    memset(res, 0, sizeof *res);
    cs_err_t rc = csc_op_send(h, build_multi_delete, req, &reply, err);
    if (!rc) {
        csc_dec_t d = { err, CS_OK };
        dec_consumed(&d, reply.root, &res->consumed);
        csc_dec_int(&d, reply.root, "nd", &res->num_deletions);
        csc_dec_bytes(&d, reply.root, "ck", &res->continuation_key);
        rc = d.rc;
    }
    if (rc)
        csc_multi_delete_result_free(res);
    csc_reply_free(&reply);
    return rc;
}
