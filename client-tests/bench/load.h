/*
 * load.h - the load generator: N keep-alive HTTP/1.1 connections to a csemu
 * on 127.0.0.1, each driven by its own thread, sending request bodies that
 * were encoded once beforehand (csc_*_encode), bounded by a request count
 * and by time.
 *
 * Two transports send the same bytes: LOAD_RAW writes a pre-built HTTP
 * message on a plain socket and reads the reply by Content-Length (a few
 * hundred nanoseconds of client work per request); LOAD_CURL drives one
 * libcurl easy handle per thread. The client shares the machine with the
 * server, so whatever CPU it burns is taken from the server: the bench
 * measures both and reports the figures of the cheaper one.
 *
 * Request k (k = first_ticket, first_ticket + 1, ... across all threads, a
 * shared ticket) sends set->reqs[k % set->n], so with max_requests <= n
 * every request is distinct
 * (e.g. every put writes a different key). A reply counts as a success when
 * the HTTP status is 200 and the check function accepts it (default: the
 * NSON reply MAP starts with "e": 0).
 */
#ifndef CSBENCH_LOAD_H
#define CSBENCH_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cs_err.h"

typedef struct load_req {
    uint8_t *http;          /* owned: request line, headers, body */
    size_t http_len;
    const uint8_t *body;    /* points into http */
    size_t body_len;
} load_req_t;

/* A set of prepared requests for one tenant (Authorization: Bearer). */
typedef struct load_set {
    char tenant[128];
    load_req_t *reqs;
    size_t n, cap;
} load_set_t;

void load_set_init(load_set_t *s, const char *tenant);
void load_set_free(load_set_t *s);
/* Append one request body (00 04 + NSON, as csc_*_encode writes it). */
cs_err_t load_set_add(load_set_t *s, const uint8_t *body, size_t len, cs_error_t *err);

typedef enum { LOAD_RAW = 0, LOAD_CURL } load_transport_t;

/* Decides whether a 200 reply body is a success; ticket is the request's
 * number. Must be thread-safe. why gets a reason on false. */
typedef bool (*load_check_fn)(const uint8_t *body, size_t len, uint64_t ticket, void *arg,
                              char *why, size_t why_len);

typedef struct load_spec {
    int port;                       /* csemu on 127.0.0.1:port */
    const load_set_t *set;
    load_transport_t transport;
    int conns;                      /* connections = threads, >= 1 */
    uint64_t max_requests;          /* 0 = bounded by time only */
    uint64_t first_ticket;          /* the first request sends reqs[first_ticket % n] */
    int max_ms;                     /* time bound, > 0 */
    pid_t server_pid;               /* CPU accounting; 0 = none */
    load_check_fn check;            /* NULL = "e" 0 */
    void *check_arg;
    bool warmup;                    /* one unmeasured request per connection first */
    bool colocate;                  /* pin the server's threads and ours to the least
                                     * busy CPU for this run (restored after) */
} load_spec_t;

typedef struct load_result {
    uint64_t ok, errors;            /* replies accepted / failed requests */
    double seconds;                 /* wall time of the measured part */
    double rps;                     /* ok / seconds */
    double p50_us, p99_us;          /* request latency */
    double server_cpu_us;           /* server utime+stime per ok request, -1 unknown */
    double server_sys_us;           /* of which stime (kernel) */
    double client_cpu_us;           /* this process's CPU per ok request */
    double other_cpu_pct;           /* other processes' CPU, % of the machine, -1 unknown */
    int cpu;                        /* the CPU of a colocated run, -1 otherwise */
    char first_error[256];          /* empty when errors == 0 */
} load_result_t;

/* Run one load. CS_OK even when requests failed (see res->errors); an
 * error only when the load could not run at all (threads, memory). */
cs_err_t load_run(const load_spec_t *spec, load_result_t *res, cs_error_t *err);

/* One keep-alive raw connection for request loops whose bodies cannot be
 * encoded beforehand (a Change Streams poll carries the last reply's
 * cursor). Not thread-safe. */
typedef struct load_conn load_conn_t;
cs_err_t load_conn_open(int port, const char *tenant, load_conn_t **out, cs_error_t *err);
/* POST one body (00 04 + NSON); *reply is borrowed until the next call.
 * CS_EIO when the connection failed (it is then unusable), CS_EPROTO for
 * an HTTP status other than 200. */
cs_err_t load_conn_call(load_conn_t *c, const uint8_t *body, size_t len, const uint8_t **reply,
                        size_t *reply_len, cs_error_t *err);
void load_conn_close(load_conn_t *c);   /* NULL is fine */

/* The default check: reply MAP whose first field is "e" INTEGER 0. */
bool load_reply_ok(const uint8_t *body, size_t len);

#endif
