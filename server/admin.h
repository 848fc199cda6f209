/*
 * admin.h - JSON endpoints beside the data path: /health and /admin/...
 *
 * Answers with a status code and a JSON body (jansson). The data API's
 * tenancy applies: /admin views are scoped to the tenant named by the
 * Authorization header.
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
    const uint8_t *body;
    size_t body_len;
} admin_request_t;

/* True if the path is one of ours (the caller then answers with *status, *out). */
bool admin_owns_path(const char *path);
/* Fill *out with a JSON body and return the HTTP status. */
int admin_handle(server_t *srv, const admin_request_t *req, buf_t *out);

#endif
