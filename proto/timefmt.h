/*
 * timefmt.h - TIMESTAMP text as Oracle NoSQL parses and prints it.
 *
 * Pure functions over (seconds since 1970-01-01T00:00:00Z, nanoseconds).
 * Parsing follows the service (kv TimestampUtils / nson TimestampUtil):
 *
 *   [-]Y..Y-MM-DD[(T| )hh[:mm[:ss[.f{1,9}]]]][Z|+00:00]   taken as UTC
 *   [-]Y..Y-MM-DD[Thh:mm:ss[.f{1,9}]](+|-)hh:mm            other offsets
 *
 * No zone means UTC. Components are range-checked (month 1-12, day valid for
 * the month, hour 0-23, minute/second 0-59) and the instant must lie in the
 * service's range -6383-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
 *
 * Printing is what the service puts in an NSON TIMESTAMP: UTC, always 'Z',
 * "uuuu-MM-ddTHH:mm:ss" then the fraction with trailing zeros stripped (no
 * '.' when the fraction is 0). A value is first rounded (half up) to its
 * column's precision, so TIMESTAMP(3) prints at most 3 fractional digits.
 */
#ifndef CS_TIMEFMT_H
#define CS_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

typedef struct cs_ts {
    int64_t sec;    /* seconds since the epoch, UTC (negative before 1970) */
    int32_t nsec;   /* 0 .. 999999999 */
} cs_ts_t;

#define TIMEFMT_MIN_SEC (-263595168000LL)  /* -6383-01-01T00:00:00Z */
#define TIMEFMT_MAX_SEC 253402300799LL     /* 9999-12-31T23:59:59Z */
#define TIMEFMT_MAX_PRECISION 9
#define TIMEFMT_TEXT_MAX 40                /* room for any formatted value + NUL */

/* Parse text[0..len) (need not be NUL-terminated). CS_EINVAL with a message
 * quoting the text and naming the problem. */
cs_err_t timefmt_parse(const char *text, size_t len, cs_ts_t *out, cs_error_t *err);

/* True if t lies within the service's range. */
bool timefmt_in_range(cs_ts_t t);

/* Round the fraction half up to `precision` digits (0..9); a result past the
 * maximum is clamped to the maximum truncated to that precision. */
cs_ts_t timefmt_round(cs_ts_t t, int precision);

/* Milliseconds since the epoch <-> cs_ts_t (floor semantics for negatives). */
cs_ts_t timefmt_from_ms(int64_t ms);
int64_t timefmt_to_ms(cs_ts_t t);

/* Write the service's text form of t (not rounded here) into out; returns the
 * length (excluding the NUL). cap must be >= TIMEFMT_TEXT_MAX. */
size_t timefmt_format(cs_ts_t t, char *out, size_t cap);

/* The text of a TIMESTAMP column value as the service sends it to SDKs:
 * UTC without a zone designator ("2026-01-02T03:04:05.123"). borneo reads
 * it into a naive datetime (its documented contract: "Timezone is UTC,
 * object is naive"); a trailing 'Z' would make it timezone-aware and
 * unequal to what the application wrote. */
size_t timefmt_format_value(cs_ts_t t, char *out, size_t cap);

/* Same for an epoch-milliseconds value: "2026-01-02T03:04:05.123Z". */
size_t timefmt_format_ms(int64_t ms, char *out, size_t cap);

#endif
