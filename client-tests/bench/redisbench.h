/*
 * redisbench.h - the Redis Streams yardstick for target 6: a redis-server
 * of our own on a loopback port with persistence off, a stream of N
 * entries, drained by one consumer with XREADGROUP COUNT c + XACK, through
 * a tiny RESP client (no hiredis).
 */
#ifndef CSBENCH_REDISBENCH_H
#define CSBENCH_REDISBENCH_H

#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

typedef struct redis_stream_result {
    uint64_t events;            /* entries read and acknowledged */
    double fill_seconds;        /* XADD of the N entries, pipelined */
    double seconds;             /* the drain */
    double per_sec;             /* events / seconds */
    double server_cpu_us;       /* redis-server CPU per drained event */
    double client_cpu_us;       /* our RESP client's CPU per event */
    int cpu;                    /* the CPU of a co-located drain, -1 otherwise */
    char version[64];           /* redis_version from INFO */
} redis_stream_result_t;

/* Start redis_bin with its working directory under workdir, fill stream
 * "bench" with n entries (one field, value_len bytes), drain it twice with
 * XREADGROUP COUNT count + XACK of the returned ids (two groups): res[0]
 * as the scheduler places things, res[1] with redis-server and the client
 * pinned to one CPU. Stop the server. */
cs_err_t redis_stream_bench(const char *redis_bin, const char *workdir, uint64_t n,
                            size_t value_len, int count, redis_stream_result_t res[2],
                            cs_error_t *err);

#endif
