/*
 * dispatch.c - the one table of operations and the checks every request
 * passes before a handler sees it: serial version, envelope, tenant, op code,
 * and the table name for ops that need one.
 */
#include "dispatch.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "log.h"
#include "reply.h"
#include "wire.h"

enum {
    OPF_NEEDS_TABLE = 1 << 0,   /* header "n" is required */
};

/* The service's request size limits: one row operation, and a batch. */
#define REQUEST_LIMIT (2u << 20)
#define BATCH_REQUEST_LIMIT (25u << 20)

typedef struct op_entry {
    int op;
    op_handler_fn handler;      /* NULL: known op we answer with "not supported" */
    unsigned flags;
    const char *unsupported;    /* the reason, for handler == NULL */
} op_entry_t;

static const op_entry_t op_table[] = {
    { OP_DELETE, op_delete, OPF_NEEDS_TABLE, NULL },
    { OP_DELETE_IF_VERSION, op_delete, OPF_NEEDS_TABLE, NULL },
    { OP_GET, op_get, OPF_NEEDS_TABLE, NULL },
    { OP_PUT, op_put, OPF_NEEDS_TABLE, NULL },
    { OP_PUT_IF_ABSENT, op_put, OPF_NEEDS_TABLE, NULL },
    { OP_PUT_IF_PRESENT, op_put, OPF_NEEDS_TABLE, NULL },
    { OP_PUT_IF_VERSION, op_put, OPF_NEEDS_TABLE, NULL },
    { OP_QUERY, op_query, 0, NULL },
    { OP_PREPARE, op_prepare, 0, NULL },
    { OP_WRITE_MULTIPLE, op_write_multiple, 0, NULL },
    { OP_MULTI_DELETE, op_multi_delete, OPF_NEEDS_TABLE, NULL },
    { OP_GET_TABLE, op_get_table, OPF_NEEDS_TABLE, NULL },
    { OP_GET_INDEXES, op_get_indexes, OPF_NEEDS_TABLE, NULL },
    { OP_GET_TABLE_USAGE, op_table_usage, OPF_NEEDS_TABLE, NULL },
    { OP_LIST_TABLES, op_list_tables, 0, NULL },
    { OP_TABLE_REQUEST, op_table_request, 0, NULL },
    { OP_SYSTEM_REQUEST, op_system_request, 0, NULL },
    { OP_SYSTEM_STATUS_REQUEST, op_system_status, 0, NULL },
    { OP_ADD_REPLICA, NULL, 0, "AddReplica is not supported by csemu (no global active tables)" },
    { OP_DROP_REPLICA, NULL, 0, "DropReplica is not supported by csemu (no global active tables)" },
    { OP_GET_REPLICA_STATS, NULL, 0,
      "GetReplicaStats is not supported by csemu (no global active tables)" },
    { OP_CHANGE_STREAM_CONSUMER, op_stream_consumer, 0, NULL },
    { OP_CHANGE_STREAM_POLL, op_stream_poll, 0, NULL },
};

static const op_entry_t *op_lookup(int op)
{
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (op_table[i].op == op)
            return &op_table[i];
    return NULL;
}

cs_err_t dispatch_tenant(const char *auth, char *out, size_t outlen, cs_error_t *err)
{
    if (!auth || !*auth)
        return cs_fail(err, CS_EAUTH,
                       "Missing Authorization header: csemu expects 'Bearer <tenant>', "
                       "as the cloud simulator does");
    if (strncasecmp(auth, "Bearer ", 7) != 0)
        return cs_fail(err, CS_EAUTH,
                       "Unsupported Authorization scheme: csemu expects 'Bearer <tenant>'");
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == ' ')
        n--;
    if (n == 0)
        return cs_fail(err, CS_EAUTH, "Authorization 'Bearer' names no tenant");
    if (n >= outlen)
        return cs_fail(err, CS_EAUTH, "Tenant name in Authorization is longer than %zu bytes",
                       outlen - 1);
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)t[i]))
            return cs_fail(err, CS_EAUTH, "Tenant name in Authorization has a blank or "
                                          "control character");
    memcpy(out, t, n);
    out[n] = '\0';
    return CS_OK;
}

void dispatch_too_large(buf_t *reply, size_t limit)
{
    char msg[128];
    snprintf(msg, sizeof msg, "Request size exceeds the limit of %zu bytes", limit);
    reply_error(reply, CS_ETOOBIG, msg, "request");
}

/* Route and run one decoded request; the reply goes to *reply. */
static void run_op(server_t *srv, const request_meta_t *meta, arena_t *arena,
                   const proto_request_t *req, size_t req_len, buf_t *reply)
{
    cs_error_t err;
    cs_error_clear(&err);
    char tenant[128];
    const char *name = wire_op_name(req->op);
    char what[64];
    snprintf(what, sizeof what, "%s", name ? name : "request");

    const op_entry_t *e = op_lookup(req->op);
    if (!e) {
        /* The text every SDK keys on to say "not supported by server". */
        cs_fail(&err, CS_EUNKNOWNOP, "unknown opcode: %d", req->op);
        goto fail;
    }
    if (!e->handler) {
        cs_fail(&err, CS_ENOTSUP, "%s", e->unsupported);
        goto fail;
    }
    if (dispatch_tenant(meta->authorization, tenant, sizeof tenant, &err) != CS_OK)
        goto fail;
    size_t limit = req->op == OP_WRITE_MULTIPLE ? BATCH_REQUEST_LIMIT : REQUEST_LIMIT;
    if (req_len > limit) {
        cs_fail(&err, CS_ETOOBIG, "Request size %zu exceeds the limit of %zu bytes for %s",
                req_len, limit, name);
        goto fail;
    }
    if ((e->flags & OPF_NEEDS_TABLE) && (!req->table || !*req->table)) {
        cs_fail(&err, CS_EINVAL, "%s requires a table name", name);
        goto fail;
    }

    nson_writer_t w;
    reply_begin_ok(&w, reply);
    op_ctx_t ctx = {
        .srv = srv,
        .arena = arena,
        .req = req,
        .tenant = tenant,
        .compartment = meta->compartment && *meta->compartment ? meta->compartment : NULL,
        .user_agent = meta->user_agent,
        .w = &w,
        .err = &err,
    };
    cs_err_t rc = e->handler(&ctx);
    if (rc != CS_OK) {
        if (err.code == CS_OK)
            cs_fail(&err, rc, "%s", cs_strerror(rc));
        err.code = rc;
        goto fail;
    }
    if (!reply_end_ok(&w)) {
        cs_fail(&err, CS_EIO, "%s reply could not be encoded", name);
        goto fail;
    }
    log_debug("%s ok (tenant %s, %zu reply bytes)", what, tenant, reply->len);
    return;

fail:
    atomic_fetch_add(&srv->stats.errors, 1);
    reply_error(reply, err.code, err.msg, what);
}

void dispatch_data(server_t *srv, const request_meta_t *meta, const uint8_t *body, size_t len,
                   buf_t *reply)
{
    atomic_fetch_add(&srv->stats.requests, 1);
    buf_reset(reply);
    if (proto_request_version(body, len) != PROTO_V4) {
        /* What a pre-V4 server says: old clients understand it, and V4
         * clients never send it. */
        atomic_fetch_add(&srv->stats.errors, 1);
        log_warn("request with serial version %d rejected",
                 len >= 2 ? (body[0] << 8 | body[1]) : -1);
        proto_v3_error(reply, WIRE_UNSUPPORTED_PROTOCOL,
                       "Invalid driver serial version: csemu speaks version 4");
        return;
    }
    arena_t arena;
    /* decoding costs a bounded multiple of what the peer sent */
    arena_init(&arena, 24 * len + (1u << 20));
    proto_request_t req;
    cs_error_t err;
    cs_error_clear(&err);
    if (proto_request_parse(&arena, body, len, &req, &err) != CS_OK) {
        atomic_fetch_add(&srv->stats.errors, 1);
        cs_err_t code = err.code == CS_ENOMEM ? CS_ETOOBIG : CS_EPROTO;
        reply_error(reply, code, err.msg, "request");
    } else {
        run_op(srv, meta, &arena, &req, len, reply);
    }
    arena_free(&arena);
}
