/*
 * request.h - the envelope of a v4 request body: `00 04` + MAP {h, p}.
 *
 * Pure decoding of what every operation shares (PROTOCOL.md §1.1, §3): the
 * serial version, the header fields and the payload MAP. Operation payloads
 * are read by the handlers through nson_get_* on `payload`.
 */
#ifndef CS_REQUEST_H
#define CS_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cs_err.h"
#include "nson.h"

typedef struct proto_request {
    int32_t serial_version;      /* from the body prefix (always 4 here) */
    int32_t op;                  /* header "o" */
    const char *table;           /* header "n", NULL when absent */
    int32_t timeout_ms;          /* header "t", 0 when absent */
    int32_t topo_seq;            /* header "ts", -1 when absent */
    const nson_value_t *header;  /* "h" MAP */
    const nson_value_t *payload; /* "p" MAP (an empty MAP when absent) */
} proto_request_t;

/* Outcome of looking at the first two bytes. */
typedef enum {
    PROTO_V4,           /* `00 04`: decode it */
    PROTO_OLD_VERSION,  /* another serial version: answer with a V3-style error */
} proto_version_t;

proto_version_t proto_request_version(const uint8_t *body, size_t len);

/* Decode a v4 body into *req; tree memory from `a`. CS_EPROTO with a clear
 * message when the body is not a well-formed request. */
cs_err_t proto_request_parse(arena_t *a, const uint8_t *body, size_t len, proto_request_t *req,
                             cs_error_t *err);

/* The V3-style error body an old client understands: [code][packed len][UTF-8]. */
void proto_v3_error(buf_t *out, int code, const char *msg);

/* A complete NSON error reply {e: code, x: msg} ("e" first, PROTOCOL.md §1.4). */
void proto_error_reply(buf_t *out, int code, const char *msg);

#endif
