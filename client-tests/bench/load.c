/*
 * load.c - the load generator (see load.h).
 *
 * Each thread owns one connection, one receive buffer and one array of
 * latency samples; the only shared state in the hot loop is the ticket
 * counter (one atomic add per request). Threads connect (and warm up)
 * before a start gate opens, so connection setup is outside the measured interval;
 * the server's CPU is read from /proc just before the gate opens and
 * after the last thread has finished.
 */
#include "load.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proc.h"

#define LOAD_PATH "/V2/nosql/data"
#define RECV_MAX (1u << 20)   /* largest reply the raw transport accepts */

/* ------------------------------------------------------------------------
 * prepared requests
 * ------------------------------------------------------------------------ */

void load_set_init(load_set_t *s, const char *tenant)
{
    memset(s, 0, sizeof *s);
    snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
}

void load_set_free(load_set_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->reqs[i].http);
    free(s->reqs);
    memset(s, 0, sizeof *s);
}

cs_err_t load_set_add(load_set_t *s, const uint8_t *body, size_t len, cs_error_t *err)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        load_req_t *r = realloc(s->reqs, cap * sizeof *r);
        if (!r)
            return cs_fail(err, CS_ENOMEM, "out of memory");
        s->reqs = r;
        s->cap = cap;
    }
    char head[512];
    /* the Host header needs no port: the set outlives a server restart */
    int hl = snprintf(head, sizeof head,
                      "POST " LOAD_PATH " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %zu\r\n\r\n", s->tenant, len);
    uint8_t *m = malloc((size_t)hl + len);
    if (!m)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    memcpy(m, head, (size_t)hl);
    memcpy(m + hl, body, len);
    s->reqs[s->n++] = (load_req_t){ m, (size_t)hl + len, m + hl, len };
    return CS_OK;
}

bool load_reply_ok(const uint8_t *b, size_t len)
{
    /* MAP(6) int32 length, int32 count, key "e" (80 65), INTEGER(4) 0 (7f) */
    static const uint8_t e0[4] = { 0x80, 0x65, 0x04, 0x7f };
    return len >= 13 && b[0] == 6 && memcmp(b + 9, e0, 4) == 0;
}

/* ------------------------------------------------------------------------
 * one connection
 * ------------------------------------------------------------------------ */

typedef struct shared {
    const load_spec_t *spec;
    int cpu;                        /* pin the workers here, -1 = no pinning */
    atomic_uint_fast64_t next;      /* ticket counter */
    uint64_t deadline_ns;           /* set by the main thread before the gate opens */
    pthread_mutex_t mu;             /* start gate: */
    pthread_cond_t cv;
    int ready;                      /* threads connected and waiting */
    bool go;                        /* the gate is open */
} shared_t;

typedef struct worker {
    shared_t *sh;
    int index;
    pthread_t tid;
    int fd;                          /* raw transport */
    CURL *curl;                      /* curl transport */
    struct curl_slist *headers;
    uint8_t *rbuf;                   /* reply bytes */
    size_t rlen, rcap;
    long status;
    uint32_t *lat;                   /* latency samples, ns (capped) */
    size_t nlat, caplat;
    uint64_t ok, errors;
    char first_error[256];
    bool broken;                     /* the connection is unusable */
} worker_t;

static void worker_fail(worker_t *w, const char *fmt, const char *detail)
{
    w->errors++;
    if (!w->first_error[0])
        snprintf(w->first_error, sizeof w->first_error, fmt, detail);
}

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Content-Length of a header block (NUL-terminated), -1 if absent. */
static long content_length(const char *h)
{
    for (const char *p = strstr(h, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
            return strtol(p + 17, NULL, 10);
    return -1;
}

/* Send the iovecs (one HTTP request) and read the whole reply: body into
 * rbuf[0..*rlen), HTTP status into *status. false with why on any I/O or
 * framing failure (the connection is then unusable). */
static bool raw_exchange(int fd, struct iovec *iov, int iovcnt, uint8_t *rbuf, size_t rcap,
                         size_t *rlen, long *status, char *why, size_t why_len)
{
    while (iovcnt > 0) {
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
        ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, why_len, "send: %s", strerror(errno));
            return false;
        }
        size_t left = (size_t)n;   /* skip what was sent */
        while (iovcnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    size_t have = 0, head_len = 0;
    long body_len = -1;
    for (;;) {
        if (have + 1 >= rcap) {
            snprintf(why, why_len, "reply larger than the receive buffer");
            return false;
        }
        ssize_t n = recv(fd, rbuf + have, rcap - have - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, why_len, "recv: %s",
                     n == 0 ? "connection closed by the server" : strerror(errno));
            return false;
        }
        have += (size_t)n;
        if (!head_len) {
            rbuf[have] = 0;
            char *end = strstr((char *)rbuf, "\r\n\r\n");
            if (!end)
                continue;
            head_len = (size_t)(end - (char *)rbuf) + 4;
            *end = 0;
            *status = strncmp((char *)rbuf, "HTTP/1.1 ", 9) == 0
                          ? strtol((char *)rbuf + 9, NULL, 10) : 0;
            body_len = content_length((char *)rbuf);
            if (body_len < 0 || (size_t)body_len > rcap - head_len - 1) {
                snprintf(why, why_len, "reply without a usable Content-Length");
                return false;
            }
        }
        if (have >= head_len + (size_t)body_len)
            break;
    }
    memmove(rbuf, rbuf + head_len, (size_t)body_len);
    *rlen = (size_t)body_len;
    return true;
}

static bool worker_raw_exchange(worker_t *w, const load_req_t *r)
{
    struct iovec iov = { r->http, r->http_len };
    char why[200];
    if (raw_exchange(w->fd, &iov, 1, w->rbuf, w->rcap, &w->rlen, &w->status, why, sizeof why))
        return true;
    worker_fail(w, "%s", why);
    return false;
}

/* ------------------------------------------------------------------------
 * one connection for request loops (load.h)
 * ------------------------------------------------------------------------ */

struct load_conn {
    int fd;
    char tenant[128];
    uint8_t *rbuf;
    size_t rcap, rlen;
};

cs_err_t load_conn_open(int port, const char *tenant, load_conn_t **out, cs_error_t *err)
{
    load_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    snprintf(c->tenant, sizeof c->tenant, "%s", tenant);
    c->rcap = 64u << 20;
    c->rbuf = malloc(c->rcap);
    c->fd = raw_connect(port);
    if (!c->rbuf || c->fd < 0) {
        cs_err_t rc = cs_fail(err, CS_EIO, "cannot connect to 127.0.0.1:%d: %s", port,
                              strerror(errno));
        load_conn_close(c);
        return rc;
    }
    *out = c;
    return CS_OK;
}

cs_err_t load_conn_call(load_conn_t *c, const uint8_t *body, size_t len, const uint8_t **reply,
                        size_t *reply_len, cs_error_t *err)
{
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST " LOAD_PATH " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %zu\r\n\r\n", c->tenant, len);
    struct iovec iov[2] = { { head, (size_t)hl }, { (void *)body, len } };
    char why[200];
    long status = 0;
    if (!raw_exchange(c->fd, iov, 2, c->rbuf, c->rcap, &c->rlen, &status, why, sizeof why))
        return cs_fail(err, CS_EIO, "%s", why);
    if (status != 200)
        return cs_fail(err, CS_EPROTO, "HTTP status %ld", status);
    *reply = c->rbuf;
    *reply_len = c->rlen;
    return CS_OK;
}

void load_conn_close(load_conn_t *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->rbuf);
    free(c);
}

static size_t curl_sink(char *p, size_t size, size_t n, void *arg)
{
    worker_t *w = arg;
    size_t len = size * n;
    if (w->rlen + len > w->rcap - 1)
        return 0;
    memcpy(w->rbuf + w->rlen, p, len);
    w->rlen += len;
    return len;
}

static bool curl_setup(worker_t *w)
{
    const load_spec_t *spec = w->sh->spec;
    char url[128], auth[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d" LOAD_PATH, spec->port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", spec->set->tenant);
    w->curl = curl_easy_init();
    if (!w->curl)
        return false;
    w->headers = curl_slist_append(NULL, auth);
    w->headers = curl_slist_append(w->headers, "Content-Type: application/octet-stream");
    w->headers = curl_slist_append(w->headers, "Expect:");
    curl_easy_setopt(w->curl, CURLOPT_URL, url);
    curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(w->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, 30000L);
    return true;
}

static bool curl_exchange(worker_t *w, const load_req_t *r)
{
    w->rlen = 0;
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    CURLcode rc = curl_easy_perform(w->curl);
    if (rc != CURLE_OK) {
        worker_fail(w, "curl: %s", curl_easy_strerror(rc));
        return false;
    }
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->status);
    return true;
}

/* One request and its verdict; false when the connection is unusable. */
static bool one_request(worker_t *w, uint64_t ticket, bool check)
{
    const load_spec_t *spec = w->sh->spec;
    const load_req_t *r = &spec->set->reqs[ticket % spec->set->n];
    bool io = spec->transport == LOAD_RAW ? worker_raw_exchange(w, r) : curl_exchange(w, r);
    if (!io)
        return false;
    char code[32];
    if (w->status != 200) {
        snprintf(code, sizeof code, "%ld", w->status);
        worker_fail(w, "HTTP status %s", code);
        return true;
    }
    char why[200] = "";
    bool ok = !check ? load_reply_ok(w->rbuf, w->rlen)
              : spec->check ? spec->check(w->rbuf, w->rlen, ticket, spec->check_arg, why, sizeof why)
                            : load_reply_ok(w->rbuf, w->rlen);
    if (!ok) {
        if (!why[0])
            snprintf(why, sizeof why, "error reply (%zu bytes)", w->rlen);
        worker_fail(w, "%s", why);
        return true;
    }
    w->ok++;
    return true;
}

static void record(worker_t *w, uint64_t ns)
{
    if (w->nlat == w->caplat) {
        size_t cap = w->caplat ? w->caplat * 2 : 4096;
        uint32_t *p = realloc(w->lat, cap * sizeof *p);
        if (!p)
            return;
        w->lat = p;
        w->caplat = cap;
    }
    w->lat[w->nlat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    shared_t *sh = w->sh;
    const load_spec_t *spec = sh->spec;
    if (sh->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sh->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    bool up = spec->transport == LOAD_RAW ? (w->fd = raw_connect(spec->port)) >= 0
                                          : curl_setup(w);
    if (!up) {
        worker_fail(w, "cannot connect: %s", strerror(errno));
        w->broken = true;
    } else if (spec->warmup) {
        uint64_t ok = w->ok, errors = w->errors;
        w->broken = !one_request(w, (uint64_t)w->index, false);
        w->ok = ok;   /* the warm-up is not counted, only its failure to connect */
        if (!w->broken)
            w->errors = errors;
    }
    pthread_mutex_lock(&sh->mu);
    sh->ready++;
    pthread_cond_broadcast(&sh->cv);
    while (!sh->go)
        pthread_cond_wait(&sh->cv, &sh->mu);
    pthread_mutex_unlock(&sh->mu);
    while (!w->broken) {
        uint64_t t0 = now_ns();
        if (t0 >= sh->deadline_ns)
            break;
        uint64_t ticket = atomic_fetch_add(&sh->next, 1);
        if (spec->max_requests && ticket >= spec->first_ticket + spec->max_requests)
            break;
        if (!one_request(w, ticket, true)) {
            w->broken = true;
            break;
        }
        record(w, now_ns() - t0);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * the run
 * ------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Merge the samples and fill the percentiles. */
static void percentiles(worker_t *ws, int n, load_result_t *res)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += ws[i].nlat;
    if (!total)
        return;
    uint32_t *all = malloc(total * sizeof *all);
    if (!all)
        return;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof *all);
        k += ws[i].nlat;
    }
    qsort(all, total, sizeof *all, cmp_u32);
    res->p50_us = all[(total - 1) / 2] / 1000.0;
    res->p99_us = all[(size_t)((double)(total - 1) * 0.99)] / 1000.0;
    free(all);
}

cs_err_t load_run(const load_spec_t *spec, load_result_t *res, cs_error_t *err)
{
    memset(res, 0, sizeof *res);
    res->server_cpu_us = -1;
    if (spec->conns < 1 || !spec->set || spec->set->n == 0 || spec->max_ms <= 0)
        return cs_fail(err, CS_EINVAL, "load: bad spec");
    shared_t sh = { .spec = spec, .deadline_ns = UINT64_MAX, .cpu = -1 };
    res->cpu = -1;
    if (spec->colocate && spec->server_pid) {
        /* before the workers connect: the server's connection threads are
         * created by its listener thread and inherit its CPU set */
        sh.cpu = least_busy_cpu(100);
        if (!proc_pin(spec->server_pid, sh.cpu))
            sh.cpu = -1;
        res->cpu = sh.cpu;
    }
    atomic_init(&sh.next, spec->first_ticket);
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    worker_t *ws = calloc((size_t)spec->conns, sizeof *ws);
    if (!ws)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    int started = 0;
    cs_err_t rc = CS_OK;
    for (int i = 0; i < spec->conns; i++) {
        worker_t *w = &ws[i];
        w->sh = &sh;
        w->index = i;
        w->fd = -1;
        w->rcap = RECV_MAX;
        w->rbuf = malloc(w->rcap);
        if (!w->rbuf || pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            rc = cs_fail(err, CS_ENOMEM, "cannot start load thread %d", i);
            break;
        }
        started++;
    }
    /* Open the gate once every thread is connected (and warmed up), so
     * neither counts; on a failed start, open it with a past deadline. */
    pthread_mutex_lock(&sh.mu);
    while (sh.ready < started)
        pthread_cond_wait(&sh.cv, &sh.mu);
    int64_t su0 = 0, ss0 = 0, su1 = 0, ss1 = 0;
    bool cpu_ok = spec->server_pid && proc_cpu_split(spec->server_pid, &su0, &ss0);
    int64_t self0 = self_cpu_us(), busy0 = machine_busy_us();
    uint64_t t0 = now_ns();
    sh.deadline_ns = rc == CS_OK ? t0 + (uint64_t)spec->max_ms * 1000000u : 0;
    sh.go = true;
    pthread_cond_broadcast(&sh.cv);
    pthread_mutex_unlock(&sh.mu);
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    uint64_t t1 = now_ns();
    cpu_ok = cpu_ok && proc_cpu_split(spec->server_pid, &su1, &ss1);
    int64_t self1 = self_cpu_us(), busy1 = machine_busy_us();
    pthread_cond_destroy(&sh.cv);
    pthread_mutex_destroy(&sh.mu);
    if (sh.cpu >= 0)
        proc_pin(spec->server_pid, -1);

    for (int i = 0; i < spec->conns; i++) {
        worker_t *w = &ws[i];
        res->ok += w->ok;
        res->errors += w->errors;
        if (w->first_error[0] && !res->first_error[0])
            snprintf(res->first_error, sizeof res->first_error, "%s", w->first_error);
    }
    if (rc == CS_OK) {
        res->seconds = (double)(t1 - t0) / 1e9;
        res->rps = res->seconds > 0 ? (double)res->ok / res->seconds : 0;
        int64_t server = cpu_ok ? (su1 + ss1) - (su0 + ss0) : 0;
        if (res->ok && cpu_ok) {
            res->server_cpu_us = (double)server / (double)res->ok;
            res->server_sys_us = (double)(ss1 - ss0) / (double)res->ok;
        }
        res->client_cpu_us = res->ok ? (double)(self1 - self0) / (double)res->ok : 0;
        res->other_cpu_pct = -1;
        if (busy0 >= 0 && busy1 >= 0 && (cpu_ok || !spec->server_pid) && t1 > t0) {
            double other = (double)(busy1 - busy0 - server - (self1 - self0));
            double cap = (double)(t1 - t0) / 1e3 * machine_cpus();
            res->other_cpu_pct = other > 0 ? 100.0 * other / cap : 0;
        }
        percentiles(ws, spec->conns, res);
    }
    for (int i = 0; i < spec->conns; i++) {
        worker_t *w = &ws[i];
        if (w->fd >= 0)
            close(w->fd);
        if (w->curl)
            curl_easy_cleanup(w->curl);
        curl_slist_free_all(w->headers);
        free(w->rbuf);
        free(w->lat);
    }
    free(ws);
    return rc;
}
