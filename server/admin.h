/*
 * admin.h - JSON endpoints beside the data path: /health and /admin/...
 *
 * Answers with a status code and a JSON body (jansson). The data API's
 * tenancy applies: /admin views are scoped to the tenant named by the
 * Authorization header ("Bearer <tenant>", or ?tenant=<tenant> for a
 * browser). Routes:
 *   GET  /health                 status, version, uptime, request counts
 *   GET  /admin/tables           tables, streaming state, partitions, stream length
 *   GET  /admin/groups           every consumer group with the detail below
 *   GET  /admin/groups/<id>      one group (?compartment=C): tables, members and
 *                                their partitions, committed/delivered positions, lag
 *   GET|POST /admin/clock        read / move the clock (only with --test-clock)
 */
#ifndef CS_ADMIN_H
#define CS_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "server.h"

typedef struct admin_request {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* URL path, no query string */
    const char *authorization;   /* header or NULL */
    const char *tenant;          /* "?tenant=" (when there is no Authorization) or NULL */
    const char *compartment;     /* "?compartment=" or NULL */
    const uint8_t *body;
    size_t body_len;
} admin_request_t;

/* True if the path is one of ours (the caller then answers with *status, *out). */
bool admin_owns_path(const char *path);
/* Fill *out with a JSON body and return the HTTP status. */
int admin_handle(server_t *srv, const admin_request_t *req, buf_t *out);

#endif
