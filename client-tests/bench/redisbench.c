/*
 * redisbench.c - Redis Streams drain rate through a tiny RESP client (see
 * redisbench.h).
 *
 * The RESP reader parses one reply from the start of a buffer and reports
 * "incomplete" rather than blocking, so the caller reads more and parses
 * again (replies here are a few tens of KiB: re-parsing is cheap and keeps
 * the reader a pure function of its bytes, as hiredis's read.h is).
 */
#include "redisbench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "proc.h"

static int64_t thread_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

#define RESP_MAX_DEPTH 8
#define RESP_INCOMPLETE (-2)
#define RESP_BAD (-1)

/* ------------------------------------------------------------------------
 * RESP reader
 * ------------------------------------------------------------------------ */

/* Called for every bulk string: depth of the value (top = 0) and its index
 * in the enclosing array. */
typedef void (*resp_visit_fn)(void *arg, int depth, long index, const char *s, size_t len);

typedef struct resp_reply {
    char type;          /* '+', '-', ':', '$', '*' of the top-level value */
    long long integer;  /* ':' value, or '*' / '$' count (-1 = nil) */
    char error[160];    /* '-' text */
} resp_reply_t;

/* Parse one value at p[0..len); bytes used, RESP_INCOMPLETE or RESP_BAD. */
static long resp_parse(const char *p, size_t len, int depth, long index, resp_visit_fn visit,
                       void *arg, resp_reply_t *top)
{
    if (depth > RESP_MAX_DEPTH)
        return RESP_BAD;
    const char *nl = memchr(p, '\n', len);
    if (!nl)
        return RESP_INCOMPLETE;
    if (nl == p || nl[-1] != '\r')
        return RESP_BAD;
    size_t line = (size_t)(nl - p) + 1;
    char t = p[0];
    long long n = 0;
    if (t == ':' || t == '$' || t == '*') {
        char *e;
        n = strtoll(p + 1, &e, 10);
        if (e != nl - 1)
            return RESP_BAD;
    }
    if (depth == 0) {
        top->type = t;
        top->integer = n;
        if (t == '-')
            snprintf(top->error, sizeof top->error, "%.*s", (int)(line - 3), p + 1);
    }
    switch (t) {
    case '+':
    case '-':
    case ':':
        return (long)line;
    case '$':
        if (n < 0)
            return (long)line;
        if (len < line + (size_t)n + 2)
            return RESP_INCOMPLETE;
        if (visit)
            visit(arg, depth, index, p + line, (size_t)n);
        return (long)(line + (size_t)n + 2);
    case '*': {
        size_t off = line;
        for (long long i = 0; i < n; i++) {
            long used = resp_parse(p + off, len - off, depth + 1, (long)i, visit, arg, top);
            if (used < 0)
                return used;
            off += (size_t)used;
        }
        return (long)off;
    }
    default:
        return RESP_BAD;
    }
}

typedef struct resp_conn {
    int fd;
    char *in;           /* received, not yet parsed */
    size_t len, cap;
    buf_t out;          /* encoded commands not yet sent */
} resp_conn_t;

static void resp_cmd(resp_conn_t *c, int argc, const char *const *argv, const size_t *lens)
{
    buf_printf(&c->out, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t l = lens ? lens[i] : strlen(argv[i]);
        buf_printf(&c->out, "$%zu\r\n", l);
        buf_append(&c->out, argv[i], l);
        buf_append(&c->out, "\r\n", 2);
    }
}

static cs_err_t resp_flush(resp_conn_t *c, cs_error_t *err)
{
    if (!buf_ok(&c->out))
        return cs_fail(err, CS_ENOMEM, "redis: out of memory");
    for (size_t off = 0; off < c->out.len;) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cs_fail(err, CS_EIO, "redis send: %s", strerror(errno));
        off += (size_t)n;
    }
    buf_reset(&c->out);
    return CS_OK;
}

/* Read one reply; visit sees its bulk strings (possibly more than once if
 * the reply arrives in pieces: reset is called before each attempt). */
static cs_err_t resp_read(resp_conn_t *c, resp_visit_fn visit, void (*reset)(void *), void *arg,
                          resp_reply_t *top, cs_error_t *err)
{
    for (;;) {
        if (c->len) {
            if (reset)
                reset(arg);
            long used = resp_parse(c->in, c->len, 0, 0, visit, arg, top);
            if (used == RESP_BAD)
                return cs_fail(err, CS_EPROTO, "redis: malformed reply");
            if (used > 0) {
                memmove(c->in, c->in + used, c->len - (size_t)used);
                c->len -= (size_t)used;
                if (top->type == '-')
                    return cs_fail(err, CS_EIO, "redis: %s", top->error);
                return CS_OK;
            }
        }
        if (c->len == c->cap) {
            if (c->cap >= (64u << 20))
                return cs_fail(err, CS_ETOOBIG, "redis: reply too large");
            char *p = realloc(c->in, c->cap * 2);
            if (!p)
                return cs_fail(err, CS_ENOMEM, "redis: out of memory");
            c->in = p;
            c->cap *= 2;
        }
        ssize_t n = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cs_fail(err, CS_EIO, "redis recv: %s", n == 0 ? "closed" : strerror(errno));
        c->len += (size_t)n;
    }
}

static cs_err_t resp_connect(resp_conn_t *c, int port, cs_error_t *err)
{
    memset(c, 0, sizeof *c);
    buf_init(&c->out, 0);
    c->cap = 1 << 16;
    c->in = malloc(c->cap);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!c->in || c->fd < 0)
        return cs_fail(err, CS_EIO, "redis: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        return cs_fail(err, CS_EIO, "redis: connect to port %d: %s", port, strerror(errno));
    return CS_OK;
}

static void resp_close(resp_conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    buf_free(&c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* ------------------------------------------------------------------------
 * the stream bench
 * ------------------------------------------------------------------------ */

/* Entry ids of an XREADGROUP reply: *1 [ *2 [ name, *N [ *2 [ id, fields ] ] ] ]
 * puts each id at depth 4, index 0. */
typedef struct ids {
    char (*id)[48];
    size_t n, cap;
    bool overflow;
} ids_t;

static void ids_reset(void *arg)
{
    ids_t *ids = arg;
    ids->n = 0;
    ids->overflow = false;
}

static void ids_visit(void *arg, int depth, long index, const char *s, size_t len)
{
    ids_t *ids = arg;
    if (depth != 4 || index != 0)
        return;
    if (ids->n == ids->cap || len >= sizeof ids->id[0]) {
        ids->overflow = true;
        return;
    }
    memcpy(ids->id[ids->n], s, len);
    ids->id[ids->n][len] = 0;
    ids->n++;
}

static void info_visit(void *arg, int depth, long index, const char *s, size_t len)
{
    (void)depth;
    (void)index;
    char *out = arg;
    const char *v = memmem(s, len, "redis_version:", 14);
    if (v) {
        v += 14;
        size_t n = strcspn(v, "\r\n");
        snprintf(out, 64, "%.*s", (int)(n < 63 ? n : 63), v);
    }
}

static cs_err_t fill(resp_conn_t *c, uint64_t n, size_t value_len, cs_error_t *err)
{
    char *value = malloc(value_len + 1);
    if (!value)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    memset(value, 'v', value_len);
    const char *argv[] = { "XADD", "bench", "*", "f", value };
    size_t lens[] = { 4, 5, 1, 1, value_len };
    cs_err_t rc = CS_OK;
    for (uint64_t done = 0; done < n && rc == CS_OK;) {
        uint64_t batch = n - done < 1000 ? n - done : 1000;
        for (uint64_t i = 0; i < batch; i++)
            resp_cmd(c, 5, argv, lens);
        rc = resp_flush(c, err);
        for (uint64_t i = 0; i < batch && rc == CS_OK; i++) {
            resp_reply_t top;
            rc = resp_read(c, NULL, NULL, NULL, &top, err);
        }
        done += batch;
    }
    free(value);
    return rc;
}

static cs_err_t drain(resp_conn_t *c, const char *group, int count, uint64_t *events,
                      cs_error_t *err)
{
    char cnt[16];
    snprintf(cnt, sizeof cnt, "%d", count);
    const char *rd[] = { "XREADGROUP", "GROUP", group, "c1", "COUNT", cnt, "STREAMS", "bench",
                         ">" };
    ids_t ids = { .cap = (size_t)count };
    ids.id = calloc(ids.cap, sizeof ids.id[0]);
    const char **ack = calloc((size_t)count + 3, sizeof *ack);
    cs_err_t rc = ids.id && ack ? CS_OK : cs_fail(err, CS_ENOMEM, "out of memory");
    if (ack) {
        ack[0] = "XACK";
        ack[1] = "bench";
        ack[2] = group;
    }
    *events = 0;
    while (rc == CS_OK) {
        resp_reply_t top;
        resp_cmd(c, 9, rd, NULL);
        rc = resp_flush(c, err);
        if (rc == CS_OK)
            rc = resp_read(c, ids_visit, ids_reset, &ids, &top, err);
        if (rc != CS_OK || ids.n == 0)
            break;
        if (ids.overflow) {
            rc = cs_fail(err, CS_EPROTO, "redis: XREADGROUP returned more than COUNT entries");
            break;
        }
        for (size_t i = 0; i < ids.n; i++)
            ack[3 + i] = ids.id[i];
        resp_cmd(c, (int)ids.n + 3, ack, NULL);
        rc = resp_flush(c, err);
        if (rc == CS_OK)
            rc = resp_read(c, NULL, NULL, NULL, &top, err);
        if (rc == CS_OK && (top.type != ':' || (size_t)top.integer != ids.n))
            rc = cs_fail(err, CS_EPROTO, "redis: XACK acknowledged %lld of %zu", top.integer,
                         ids.n);
        *events += ids.n;
    }
    free(ids.id);
    free(ack);
    return rc;
}

/* Start redis-server on a free loopback port (retrying if another process
 * takes the port first). */
static cs_err_t start_redis(proc_t *p, const char *bin, const char *dir, int *port_out,
                            cs_error_t *err)
{
    cs_err_t rc = CS_EIO;
    for (int attempt = 0; attempt < 3; attempt++) {
        int port = free_loopback_port();
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        char *argv[] = { (char *)bin, "--port", ps, "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--daemonize", "no", "--dir", (char *)dir,
                         "--logfile", "", "--protected-mode", "yes", NULL };
        rc = proc_spawn(p, argv, "Ready to accept connections", 10000, err);
        if (rc == CS_OK) {
            *port_out = port;
            return CS_OK;
        }
    }
    return rc;
}

/* One drain of the whole stream by a new group; colocated: redis-server
 * and this thread on one CPU for its duration. */
static cs_err_t measure(resp_conn_t *c, const proc_t *p, const char *group, uint64_t n, int count,
                        bool colocate, redis_stream_result_t *res, cs_error_t *err)
{
    const char *grp[] = { "XGROUP", "CREATE", "bench", group, "0" };
    resp_reply_t top;
    resp_cmd(c, 5, grp, NULL);
    cs_err_t rc = resp_flush(c, err);
    if (rc == CS_OK)
        rc = resp_read(c, NULL, NULL, NULL, &top, err);
    if (rc != CS_OK)
        return rc;
    res->cpu = -1;
    if (colocate) {
        res->cpu = least_busy_cpu(100);
        if (!proc_pin(p->pid, res->cpu) || !pin_self(res->cpu))
            res->cpu = -1;
    }
    int64_t cpu0 = proc_cpu_us(p->pid), self0 = thread_cpu_us();
    uint64_t t0 = now_ns();
    rc = drain(c, group, count, &res->events, err);
    res->seconds = (double)(now_ns() - t0) / 1e9;
    int64_t cpu1 = proc_cpu_us(p->pid), self1 = thread_cpu_us();
    if (colocate) {
        pin_self(-1);
        proc_pin(p->pid, -1);
    }
    res->per_sec = res->seconds > 0 ? (double)res->events / res->seconds : 0;
    res->server_cpu_us = res->events && cpu0 >= 0 && cpu1 >= 0
                             ? (double)(cpu1 - cpu0) / (double)res->events : -1;
    res->client_cpu_us = res->events ? (double)(self1 - self0) / (double)res->events : -1;
    if (rc == CS_OK && res->events != n)
        rc = cs_fail(err, CS_EPROTO, "redis: drained %llu of %llu entries",
                     (unsigned long long)res->events, (unsigned long long)n);
    return rc;
}

cs_err_t redis_stream_bench(const char *redis_bin, const char *workdir, uint64_t n,
                            size_t value_len, int count, redis_stream_result_t res[2],
                            cs_error_t *err)
{
    memset(res, 0, 2 * sizeof *res);
    char dir[4096];
    proc_t p = { .out_fd = -1 };
    resp_conn_t c = { .fd = -1 };
    int port = 0;
    cs_err_t rc = tmpdir_make(workdir, "redis-", dir, sizeof dir, err);
    if (rc != CS_OK)
        return rc;
    rc = start_redis(&p, redis_bin, dir, &port, err);
    if (rc == CS_OK)
        rc = resp_connect(&c, port, err);
    resp_reply_t top;
    if (rc == CS_OK) {
        const char *info[] = { "INFO", "server" };
        resp_cmd(&c, 2, info, NULL);
        rc = resp_flush(&c, err);
        if (rc == CS_OK)
            rc = resp_read(&c, info_visit, NULL, res[0].version, &top, err);
    }
    uint64_t t0 = now_ns();
    if (rc == CS_OK)
        rc = fill(&c, n, value_len, err);
    res[0].fill_seconds = (double)(now_ns() - t0) / 1e9;
    if (rc == CS_OK)
        rc = measure(&c, &p, "g", n, count, false, &res[0], err);
    if (rc == CS_OK)
        rc = measure(&c, &p, "gco", n, count, true, &res[1], err);
    memcpy(res[1].version, res[0].version, sizeof res[1].version);
    res[1].fill_seconds = res[0].fill_seconds;
    resp_close(&c);
    proc_stop(&p, 5000);
    tmpdir_remove(dir);
    return rc;
}
