/*
 * fake_server.h - a scripted stand-in for csemu in client unit tests: an
 * HTTP/1.1 server on an ephemeral loopback port, in a thread of the test
 * process, that records every request body and answers each with either a
 * queued reply body or the default reply of the vector generator
 * (shared/protocol/vectorgen/harness.py default_tree): GetTable/TableRequest
 * a TableResult whose "to" is the vectors' OCID for the name, op 43/44
 * cursors "csemu-cursor-NNNN" numbered per server (CLOSE/DELETE without
 * one, polls with "er" 0 and an empty "eb"). With it a test replays an SDK
 * call sequence and compares the exact bodies with the golden vectors.
 *
 * One connection at a time (the reference client keeps one alive). Not for
 * anything but tests: bodies up to FAKE_MAX_BODY, requests up to
 * FAKE_MAX_REQUESTS.
 */
#ifndef CSEMU_FAKE_SERVER_H
#define CSEMU_FAKE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

#define FAKE_MAX_REQUESTS 64
#define FAKE_MAX_QUEUED 16
#define FAKE_MAX_BODY (1u << 20)

typedef struct fake_body {
    uint8_t *data;              /* malloc'd */
    size_t len;
} fake_body_t;

typedef struct fake_server {
    int listen_fd;
    int conn_fd;
    char endpoint[64];          /* "http://127.0.0.1:PORT" */
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    fake_body_t requests[FAKE_MAX_REQUESTS];   /* bodies received, in order */
    size_t num_requests;
    fake_body_t queue[FAKE_MAX_QUEUED];        /* replies to send before defaults */
    size_t queue_head, queue_len;
    int cursor_seq;             /* numbers default cursors */
} fake_server_t;

cs_err_t fake_server_start(fake_server_t *f, cs_error_t *err);
void fake_server_stop(fake_server_t *f);   /* also frees everything recorded */

/* Queue a reply body (copied) for the next request that has none queued. */
void fake_server_queue(fake_server_t *f, const uint8_t *body, size_t len);
/* Number of requests received so far, and a copy of the i-th body
 * (caller frees data); false when there is no such request. */
size_t fake_server_count(fake_server_t *f);
bool fake_server_request(fake_server_t *f, size_t i, fake_body_t *out);

#endif
