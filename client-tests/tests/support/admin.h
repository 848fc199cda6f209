/*
 * admin.h - the server's JSON admin endpoints from integration tests:
 * POST /admin/clock (exists only with --test-clock) to set or advance the
 * server's clock, so AT_TIME start locations, TTLs and max-poll-interval
 * expiry are tested without sleeping; GET of the tenant-scoped views
 * (/admin/groups, /admin/groups/<id>, /admin/tables) as parsed JSON.
 */
#ifndef CSEMU_TEST_ADMIN_H
#define CSEMU_TEST_ADMIN_H

#include <jansson.h>
#include <stdint.h>

#include "cs_err.h"

/* {"set_ms": ms}: the server's clock stands still at ms until moved again.
 * *now_ms (may be NULL) gets the clock the server reports afterwards.
 * CS_EIO when the server is unreachable or answers other than 200 (err
 * has the status and body). */
cs_err_t test_admin_clock_set(const char *endpoint, int64_t ms, int64_t *now_ms, cs_error_t *err);
/* {"advance_ms": delta} */
cs_err_t test_admin_clock_advance(const char *endpoint, int64_t delta_ms, int64_t *now_ms,
                                  cs_error_t *err);
/* GET /admin/clock: the server's current time. */
cs_err_t test_admin_clock_now(const char *endpoint, int64_t *now_ms, cs_error_t *err);

/* GET endpoint+path (e.g. "/admin/groups/g") with "Authorization: Bearer
 * <tenant>". CS_OK: *out is the parsed JSON body (json_decref it).
 * CS_ENOTFOUND for HTTP 404 (e.g. no such group), CS_EIO for another
 * status or an unreachable server, CS_EPROTO for a body that is not JSON;
 * *out is NULL then and err has the status and the server's "error". */
cs_err_t test_admin_get_json(const char *endpoint, const char *tenant, const char *path,
                             json_t **out, cs_error_t *err);

#endif
