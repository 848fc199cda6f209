/*
 * cursor.h - the consumer cursor (`cu`) handed to Change Streams clients.
 *
 * Opaque to clients, compact and tamper-evident. It names the consumer and
 * the poll it belongs to; everything else (positions, what a poll returned)
 * lives in the store, so a cursor stays small whatever the group's size and
 * stays valid across restarts.
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      1    format, CURSOR_FORMAT
 *   1      8    consumer id, big-endian
 *   9      8    poll sequence: the consumer's latest poll when issued
 *   17     16   HMAC-SHA256 of bytes 0..16 under the store's secret, truncated
 */
#ifndef CS_CURSOR_H
#define CS_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

#define CURSOR_FORMAT 1
#define CURSOR_LEN 33

typedef struct cursor {
    uint64_t consumer_id;
    uint64_t poll_seq;
} cursor_t;

/* The MAC key: HMAC-SHA256 keyed once with the store's secret. Keying per
 * cursor (the one-shot HMAC()) costs as much as the MAC itself, four times
 * per poll + commit. Shared read-only by every thread. */
typedef struct cursor_key cursor_key_t;

/* NULL when OpenSSL cannot provide HMAC-SHA256 (then nothing else works). */
cursor_key_t *cursor_key_new(const uint8_t *secret, size_t secret_len);
void cursor_key_free(cursor_key_t *k);

/* Encode c into out[CURSOR_LEN] with its MAC. */
void cursor_encode(const cursor_t *c, const cursor_key_t *k, uint8_t out[CURSOR_LEN]);

/* Check and decode; CS_ENOTFOUND with a clear message for a cursor that is
 * not one of ours (wrong size, format, or MAC: forged or corrupted). */
cs_err_t cursor_decode(const uint8_t *in, size_t len, const cursor_key_t *k, cursor_t *out,
                       cs_error_t *err);

#endif
