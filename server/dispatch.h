/*
 * dispatch.h - from a request body to a reply body, through one op table.
 *
 * dispatch_data() decodes the envelope, authenticates the tenant, looks the
 * op code up in one static table and rejects unknown, unsupported and
 * malformed requests there, before any handler runs. A handler receives a
 * well-formed, routed request and writes its reply fields after the "e": 0
 * that dispatch has already written; if it returns an error instead,
 * dispatch throws its partial reply away and answers with the error.
 */
#ifndef CS_DISPATCH_H
#define CS_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cs_err.h"
#include "nson.h"
#include "request.h"
#include "server.h"

/* What the HTTP layer learned from the request's headers. */
typedef struct request_meta {
    const char *authorization;   /* "Authorization" header or NULL */
    const char *compartment;     /* "x-nosql-compartment-id" header or NULL */
    const char *request_id;      /* "x-nosql-request-id" header or NULL, for logs */
    const char *user_agent;      /* "User-Agent" or NULL: tells SDK dialects apart */
} request_meta_t;

/* Everything a handler may use. */
typedef struct op_ctx {
    server_t *srv;
    arena_t *arena;              /* freed when the request ends */
    const proto_request_t *req;  /* op, header fields, payload MAP */
    const char *tenant;          /* from the Bearer token (never NULL) */
    const char *compartment;     /* header compartment or NULL (tenant root) */
    const char *user_agent;      /* "User-Agent" header or NULL */
    nson_writer_t *w;            /* reply MAP, open, "e": 0 already written */
    cs_error_t *err;             /* the handler's error detail */
} op_ctx_t;

typedef cs_err_t (*op_handler_fn)(op_ctx_t *ctx);

/* Answer one POST /V2/nosql/data body; *reply receives the complete body
 * (always a 200 reply: errors travel inside it). */
void dispatch_data(server_t *srv, const request_meta_t *meta, const uint8_t *body, size_t len,
                   buf_t *reply);

/* The error reply for a body that was too large to accept. */
void dispatch_too_large(buf_t *reply, size_t limit);

/* Tenant named by an Authorization header ("Bearer <tenant>"), copied into
 * out; CS_EAUTH with the reason otherwise. */
cs_err_t dispatch_tenant(const char *authorization, char *out, size_t outlen, cs_error_t *err);

#endif
