/*
 * csc_handle.h - the reference client's handle and transport.
 *
 * A handle is the C counterpart of the SDKs' NoSQLHandle: one endpoint, one
 * tenant (sent as "Authorization: Bearer <tenant>"), one libcurl easy handle
 * kept alive across requests (HTTP/1.1 keep-alive, connection reuse), and
 * the default request timeouts. A handle is not thread-safe: use one per
 * thread.
 *
 * Every operation goes through csc_send(): it wraps an already encoded
 * payload MAP with the request header MAP (PROTOCOL.md 3), prefixes the
 * serial version (00 04), POSTs it to /V2/nosql/data and decodes the reply
 * the way borneo does: a reply whose first byte is not MAP is a V3-style
 * error; otherwise "e" must come first and a non-zero "e" is an error whose
 * message is the "x" that follows it. The Change Streams consumer
 * (csc_stream.h, later) reuses csc_send() with its own payloads.
 */
#ifndef CSC_HANDLE_H
#define CSC_HANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cs_err.h"
#include "nson.h"

#define CSC_DEFAULT_TIMEOUT_MS 5000        /* borneo's request timeout */
#define CSC_DEFAULT_TABLE_TIMEOUT_MS 10000 /* TableRequest, System* */
#define CSC_MAX_REPLY_BYTES (64u << 20)    /* reply bodies above this are refused */

typedef struct csc_handle csc_handle_t;

/* The outcome of a call. `e.code` is CS_OK or the cs_err_t; `e.msg` the
 * sentence to show. When the server answered with an error, proto_code is
 * its numeric code (PROTOCOL.md 1.4, e.g. 2 TABLE_NOT_FOUND) and e.msg is
 * exactly its message; proto_code 0 means the failure was local (HTTP,
 * connection, malformed reply: then http_status may say more). */
typedef struct csc_error {
    cs_error_t e;
    int proto_code;   /* server's error code, 0 = none */
    int http_status;  /* last HTTP status, 0 = no HTTP reply */
} csc_error_t;

void csc_error_clear(csc_error_t *err);

/* New handle for endpoint ("http://127.0.0.1:PORT", no trailing path) and
 * tenant (NULL = no Authorization header). NULL if out of memory or curl
 * cannot start. Free with csc_handle_free(). */
csc_handle_t *csc_handle_new(const char *endpoint, const char *tenant);
void csc_handle_free(csc_handle_t *h);

/* Default "t" of data requests (Get, Put, ...; 5000) and of TableRequest /
 * SystemRequest / SystemStatus (10000), used when a request leaves its own
 * timeout_ms at 0. The HTTP exchange may take that long plus one second. */
void csc_handle_set_timeout(csc_handle_t *h, int timeout_ms);
void csc_handle_set_table_timeout(csc_handle_t *h, int timeout_ms);
int csc_handle_timeout(const csc_handle_t *h, bool table_op); /* h may be NULL: defaults */
const char *csc_handle_endpoint(const csc_handle_t *h);

/* New TCP connections curl had to open for the last request: 0 when it
 * reused the kept-alive one. */
long csc_handle_connects(const csc_handle_t *h);

/* The request header MAP "h" (PROTOCOL.md 3), written in borneo's order
 * v, n, o, ts, t. */
typedef struct csc_header {
    int op;                 /* "o", wire_op_t */
    const char *table_name; /* "n", NULL = absent */
    int timeout_ms;         /* "t"; 0 = the handle's default for the op */
    bool table_op;          /* default timeout is the table one */
    bool omit_topo_seq;     /* no "ts" (WriteMultiple) */
} csc_header_t;

/* Write a whole request body into out (appending): 00 04, then
 * {"h": header, "p": payload}, where payload is the encoded payload MAP.
 * h may be NULL (default timeouts). CS_EINVAL if payload is not one MAP. */
cs_err_t csc_request_encode(const csc_handle_t *h, const csc_header_t *hdr,
                            const uint8_t *payload, size_t payload_len, buf_t *out,
                            csc_error_t *err);

/* A decoded successful reply. root is the reply MAP (arena-owned); body the
 * raw bytes. Free with csc_reply_free() (also after an error). */
typedef struct csc_reply {
    uint8_t *body;
    size_t len;
    arena_t arena;
    nson_value_t *root;
} csc_reply_t;

void csc_reply_free(csc_reply_t *r);

/* Send one request and decode the reply. CS_OK: reply->root is a MAP with
 * "e" 0 (or no "e"). Server error: its cs_err_t (wire_err_from_code), with
 * err->proto_code and the message. Local failures: CS_EIO (connection,
 * HTTP status other than 200, empty body), CS_EPROTO (reply is not NSON, or
 * an error reply borneo would silently drop: "e" not first, or no "x"
 * after a non-zero "e"), CS_ETOOBIG (reply over CSC_MAX_REPLY_BYTES). */
cs_err_t csc_send(csc_handle_t *h, const csc_header_t *hdr, const uint8_t *payload,
                  size_t payload_len, csc_reply_t *reply, csc_error_t *err);

/* Decode a reply body (what csc_send does after HTTP): exposed for tests
 * against the golden response vectors. body is copied, not kept; free the
 * reply with csc_reply_free() whatever the result. */
cs_err_t csc_reply_decode(const uint8_t *body, size_t len, csc_reply_t *reply,
                          csc_error_t *err);

#endif
