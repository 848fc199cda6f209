/*
 * fake_server.c - scripted HTTP stand-in for client unit tests (see
 * fake_server.h). Blocking sockets, one thread, one connection at a time.
 */
#include "fake_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "nson.h"

#define OCID_PREFIX "ocid1.nosqltable.oc1.csemu."

/* ------------------------------------------------------------------------
 * default replies (vectorgen/harness.py default_tree)
 * ------------------------------------------------------------------------ */

static void table_ocid(const char *name, char *out, size_t cap)
{
    static const char *const known[] = { "users", "orders", "order_items", "audit",
                                         "users.addresses" };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcasecmp(name, known[i]) == 0) {
            snprintf(out, cap, OCID_PREFIX "aaaaaaaa%08zu", i + 1);
            return;
        }
    size_t n = (size_t)snprintf(out, cap, OCID_PREFIX);
    for (const char *p = name; *p && n + 1 < cap; p++)
        if (isalnum((unsigned char)*p))
            out[n++] = (char)tolower((unsigned char)*p);
    out[n] = 0;
}

/* The default reply to one request body, appended to out. */
static void default_reply(fake_server_t *f, const uint8_t *req, size_t len, buf_t *out)
{
    arena_t a;
    cs_error_t err;
    nson_writer_t w;
    arena_init(&a, 16u << 20);
    nson_writer_init(&w, out);
    nson_value_t *root = len > 2 ? nson_decode(&a, req + 2, len - 2, false, &err) : NULL;
    const nson_value_t *h = root ? nson_map_get(root, "h") : NULL;
    const nson_value_t *p = root ? nson_map_get(root, "p") : NULL;
    int32_t op = -1, mode = 0;
    const char *name = NULL;
    if (h) {
        nson_get_int(h, "o", &op, NULL);
        nson_get_string(h, "n", &name, NULL);
    }
    if (p)
        nson_get_int(p, "mm", &mode, NULL);

    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "e", 0);
    if (op == 11 || op == 15) {
        char ocid[160];
        table_ocid(name ? name : "unknown", ocid, sizeof ocid);
        nson_w_kv_string(&w, "n", name ? name : "unknown");
        nson_w_kv_int(&w, "as", 0);
        nson_w_kv_string(&w, "to", ocid);
        nson_w_kv_string(&w, "cc", "vector_tenant");
    } else if (op == 43 || op == 44) {
        char cursor[32];
        pthread_mutex_lock(&f->mu);
        int seq = ++f->cursor_seq;
        pthread_mutex_unlock(&f->mu);
        int n = snprintf(cursor, sizeof cursor, "csemu-cursor-%04d", seq);
        if (op == 44) {
            nson_w_kv_binary(&w, "cu", cursor, (size_t)n);
            nson_w_kv_long(&w, "er", 0);
            nson_w_key(&w, "eb");
            nson_w_array_begin(&w);
            nson_w_array_end(&w);
        } else if (mode != 3 && mode != 4) {
            nson_w_kv_binary(&w, "cu", cursor, (size_t)n);
        }
    } else {
        buf_reset(out);
        nson_writer_init(&w, out);
        nson_w_map_begin(&w);
        nson_w_kv_int(&w, "e", 17);
        nson_w_kv_string(&w, "x", "fake server: no default reply for this op");
    }
    nson_w_map_end(&w);
    arena_free(&a);
}

/* ------------------------------------------------------------------------
 * HTTP
 * ------------------------------------------------------------------------ */

static bool send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

/* Read one request from fd into *in (which may hold bytes already read).
 * Returns the body length, with the body starting at *body_off, or -1. */
static ssize_t read_request(int fd, buf_t *in, size_t *body_off)
{
    for (;;) {
        char *hdr_end = in->len ? memmem(in->data, in->len, "\r\n\r\n", 4) : NULL;
        if (hdr_end) {
            size_t hlen = (size_t)((uint8_t *)hdr_end - in->data) + 4;
            size_t clen = 0;
            for (size_t i = 0; i + 17 <= hlen; i++)
                if (strncasecmp((char *)in->data + i, "\r\ncontent-length:", 17) == 0) {
                    clen = strtoul((char *)in->data + i + 17, NULL, 10);
                    break;
                }
            if (clen > FAKE_MAX_BODY)
                return -1;
            if (in->len >= hlen + clen) {
                *body_off = hlen;
                return (ssize_t)clen;
            }
        }
        if (!buf_reserve(in, 65536))
            return -1;
        ssize_t k = recv(fd, in->data + in->len, 65536, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        in->len += (size_t)k;
    }
}

static void serve_conn(fake_server_t *f, int fd)
{
    buf_t in, reply;
    buf_init(&in, 4 * FAKE_MAX_BODY);
    buf_init(&reply, 0);
    for (;;) {
        size_t off;
        ssize_t blen = read_request(fd, &in, &off);
        if (blen < 0)
            break;
        const uint8_t *body = in.data + off;
        pthread_mutex_lock(&f->mu);
        if (f->num_requests < FAKE_MAX_REQUESTS) {
            fake_body_t *r = &f->requests[f->num_requests++];
            r->data = malloc((size_t)blen + 1);
            if (r->data)
                memcpy(r->data, body, (size_t)blen);
            r->len = (size_t)blen;
        }
        fake_body_t queued = { 0 };
        if (f->queue_len > 0) {
            queued = f->queue[f->queue_head];
            f->queue_head = (f->queue_head + 1) % FAKE_MAX_QUEUED;
            f->queue_len--;
        }
        pthread_mutex_unlock(&f->mu);
        buf_reset(&reply);
        if (queued.data)
            buf_append(&reply, queued.data, queued.len);
        else
            default_reply(f, body, (size_t)blen, &reply);
        free(queued.data);
        char head[160];
        int hn = snprintf(head, sizeof head,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Length: %zu\r\n\r\n", reply.len);
        if (!send_all(fd, head, (size_t)hn) || !send_all(fd, reply.data, reply.len))
            break;
        /* drop the consumed request, keep what follows */
        size_t used = off + (size_t)blen;
        memmove(in.data, in.data + used, in.len - used);
        in.len -= used;
    }
    buf_free(&in);
    buf_free(&reply);
}

static void *fake_main(void *arg)
{
    fake_server_t *f = arg;
    for (;;) {
        int fd = accept(f->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* listen socket shut down: stop */
        }
        pthread_mutex_lock(&f->mu);
        f->conn_fd = fd;
        pthread_mutex_unlock(&f->mu);
        serve_conn(f, fd);
        pthread_mutex_lock(&f->mu);
        f->conn_fd = -1;
        pthread_mutex_unlock(&f->mu);
        close(fd);
    }
    return NULL;
}

cs_err_t fake_server_start(fake_server_t *f, cs_error_t *err)
{
    memset(f, 0, sizeof *f);
    f->conn_fd = -1;
    pthread_mutex_init(&f->mu, NULL);
    f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->listen_fd < 0)
        return cs_fail(err, CS_EIO, "socket: %s", strerror(errno));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(f->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(f->listen_fd, 8) != 0 ||
        getsockname(f->listen_fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(f->listen_fd);
        return cs_fail(err, CS_EIO, "bind/listen: %s", strerror(errno));
    }
    snprintf(f->endpoint, sizeof f->endpoint, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    if (pthread_create(&f->thread, NULL, fake_main, f) != 0) {
        close(f->listen_fd);
        return cs_fail(err, CS_EIO, "pthread_create failed");
    }
    f->running = true;
    return CS_OK;
}

void fake_server_stop(fake_server_t *f)
{
    if (f->running) {
        shutdown(f->listen_fd, SHUT_RDWR);
        pthread_mutex_lock(&f->mu);
        if (f->conn_fd >= 0)
            shutdown(f->conn_fd, SHUT_RDWR);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
        close(f->listen_fd);
        f->running = false;
    }
    for (size_t i = 0; i < f->num_requests; i++)
        free(f->requests[i].data);
    f->num_requests = 0;
    while (f->queue_len > 0) {
        free(f->queue[f->queue_head].data);
        f->queue_head = (f->queue_head + 1) % FAKE_MAX_QUEUED;
        f->queue_len--;
    }
    pthread_mutex_destroy(&f->mu);
}

void fake_server_queue(fake_server_t *f, const uint8_t *body, size_t len)
{
    fake_body_t b = { malloc(len ? len : 1), len };
    if (!b.data)
        return;
    memcpy(b.data, body, len);
    pthread_mutex_lock(&f->mu);
    if (f->queue_len < FAKE_MAX_QUEUED) {
        f->queue[(f->queue_head + f->queue_len) % FAKE_MAX_QUEUED] = b;
        f->queue_len++;
        b.data = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    free(b.data);
}

size_t fake_server_count(fake_server_t *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->num_requests;
    pthread_mutex_unlock(&f->mu);
    return n;
}

bool fake_server_request(fake_server_t *f, size_t i, fake_body_t *out)
{
    bool ok = false;
    out->data = NULL;
    out->len = 0;
    pthread_mutex_lock(&f->mu);
    if (i < f->num_requests && f->requests[i].data) {
        out->data = malloc(f->requests[i].len + 1);
        if (out->data) {
            memcpy(out->data, f->requests[i].data, f->requests[i].len);
            out->len = f->requests[i].len;
            ok = true;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}
