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

/* Encode c into out[CURSOR_LEN] with a MAC under secret[secret_len]. */
void cursor_encode(const cursor_t *c, const uint8_t *secret, size_t secret_len,
                   uint8_t out[CURSOR_LEN]);

/* Check and decode; CS_ENOTFOUND with a clear message for a cursor that is
 * not one of ours (wrong size, format, or MAC: forged or corrupted). */
cs_err_t cursor_decode(const uint8_t *in, size_t len, const uint8_t *secret, size_t secret_len,
                       cursor_t *out, cs_error_t *err);

#endif
