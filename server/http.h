/*
 * http.h - the HTTP front end (libmicrohttpd).
 *
 * One request lifecycle (STYLE rule 10): a per-request struct in *req_cls,
 * the body collected into a buffer with a ceiling, decode and dispatch
 * exactly once on the final call, the struct freed only in the
 * request-completed callback. Routes:
 *   POST /V2/nosql/data   the SDKs' protocol (dispatch.h), always status 200
 *   HEAD /V2/nosql/data   borneo's feature probe: 200, no body
 *   GET  /health, /admin/...  JSON (admin.h)
 * Thread per connection: a handler may block on the store's group commit
 * without holding up other connections, and concurrent writers then share
 * commits.
 */
#ifndef CS_HTTP_H
#define CS_HTTP_H

#include "cs_err.h"
#include "server.h"

typedef struct http http_t;

/* Bind srv->cfg.host:port and start serving; *port_out gets the real port. */
cs_err_t http_start(server_t *srv, http_t **out, int *port_out, cs_error_t *err);
/* Stop accepting, finish in-flight requests, free. */
void http_stop(http_t *h);

#endif
