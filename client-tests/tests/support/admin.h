/*
 * admin.h - the server's JSON admin endpoints from integration tests:
 * POST /admin/clock (exists only with --test-clock) to set or advance the
 * server's clock, so AT_TIME start locations, TTLs and max-poll-interval
 * expiry are tested without sleeping.
 */
#ifndef CSEMU_TEST_ADMIN_H
#define CSEMU_TEST_ADMIN_H

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

#endif
