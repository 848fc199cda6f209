/*
 * check_client_transport.c - the reference client's HTTP transport
 * (csc_handle.c) as a server sees it, against a tiny scripted HTTP/1.1
 * server in a thread of this process that records each request's header
 * block: the header list configured once per handle still goes out whole
 * and exactly once per request, with a fresh request id each time and no
 * "Expect: 100-continue"; one kept-alive connection carries consecutive
 * requests; the buffers reused between requests do not leak one reply
 * into the next (large, small, over the ceiling, then normal again); a
 * bad endpoint still fails at the first request, as it always did.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "csc.h"
#include "wire.h"

#define MAX_SEEN 16
#define MAX_REPLIES 8

/* ------------------------------------------------------------------------
 * scripted server
 * ------------------------------------------------------------------------ */

typedef struct srv {
    int listen_fd;
    char endpoint[64];
    pthread_t thread;
    pthread_mutex_t mu;
    char *heads[MAX_SEEN];          /* request line + headers of each request */
    size_t num_seen;
    int connections;                /* accepted so far */
    int conn_fd;                    /* the connection being served, -1 = none */
    uint8_t *replies[MAX_REPLIES];  /* bodies to answer with, in order (then a default) */
    size_t reply_len[MAX_REPLIES];
    size_t num_replies, next_reply;
} srv_t;

static srv_t S;

static bool read_full(int fd, char *p, size_t n)
{
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool write_full(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

/* One request on fd: header block recorded, body read and dropped, reply
 * sent. false when the client went away. */
static bool serve_one(int fd)
{
    char head[8192];
    size_t n = 0;
    while (n < 4 || memcmp(head + n - 4, "\r\n\r\n", 4) != 0) {
        if (n + 1 >= sizeof head || read(fd, head + n, 1) != 1)
            return false;
        n++;
    }
    head[n] = 0;
    const char *cl = strcasestr(head, "\r\nContent-Length:");
    size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
    char *drop = malloc(body ? body : 1);
    bool ok = read_full(fd, drop, body);
    free(drop);
    if (!ok)
        return false;

    static const uint8_t empty_map[] = { NSON_MAP, 0, 0, 0, 4, 0, 0, 0, 0 };
    const uint8_t *reply = empty_map;
    size_t len = sizeof empty_map;
    pthread_mutex_lock(&S.mu);
    if (S.num_seen < MAX_SEEN)
        S.heads[S.num_seen++] = strdup(head);
    if (S.next_reply < S.num_replies) {
        reply = S.replies[S.next_reply];
        len = S.reply_len[S.next_reply];
        S.next_reply++;
    }
    pthread_mutex_unlock(&S.mu);
    char status[160];
    int sn = snprintf(status, sizeof status,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %zu\r\n\r\n", len);
    return write_full(fd, status, (size_t)sn) && write_full(fd, reply, len);
}

static void *srv_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(S.listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&S.mu);
        S.connections++;
        S.conn_fd = fd;
        pthread_mutex_unlock(&S.mu);
        while (serve_one(fd))
            ;
        pthread_mutex_lock(&S.mu);
        S.conn_fd = -1;
        pthread_mutex_unlock(&S.mu);
        close(fd);
    }
}

static void srv_start(void)
{
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.mu, NULL);
    S.conn_fd = -1;
    S.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(S.listen_fd, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(S.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(S.listen_fd, 4), 0);
    ck_assert_int_eq(getsockname(S.listen_fd, (struct sockaddr *)&a, &alen), 0);
    snprintf(S.endpoint, sizeof S.endpoint, "http://127.0.0.1:%d", ntohs(a.sin_port));
    ck_assert_int_eq(pthread_create(&S.thread, NULL, srv_main, NULL), 0);
}

static void srv_stop(void)
{
    shutdown(S.listen_fd, SHUT_RDWR);
    pthread_mutex_lock(&S.mu);
    if (S.conn_fd >= 0)
        shutdown(S.conn_fd, SHUT_RDWR); /* a client keeping its connection open */
    pthread_mutex_unlock(&S.mu);
    close(S.listen_fd);
    pthread_join(S.thread, NULL);
    for (size_t i = 0; i < S.num_seen; i++)
        free(S.heads[i]);
    for (size_t i = 0; i < S.num_replies; i++)
        free(S.replies[i]);
    pthread_mutex_destroy(&S.mu);
}

/* Queue a reply: a MAP {"e": 0, "b": BINARY of n bytes of fill}. */
static void queue_binary_reply(size_t n, uint8_t fill)
{
    buf_t b;
    nson_writer_t w;
    uint8_t *data = malloc(n ? n : 1);
    memset(data, fill, n);
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "e", 0);
    nson_w_kv_binary(&w, "b", data, n);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
    free(data);
    pthread_mutex_lock(&S.mu);
    ck_assert_uint_lt(S.num_replies, MAX_REPLIES);
    S.replies[S.num_replies] = buf_steal(&b, &S.reply_len[S.num_replies]);
    S.num_replies++;
    pthread_mutex_unlock(&S.mu);
}

/* Count lines of head starting with name (case-insensitive). */
static int header_count(const char *head, const char *name)
{
    int n = 0;
    size_t len = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, len) == 0)
            n++;
    return n;
}

static const char *head_of(size_t i)
{
    pthread_mutex_lock(&S.mu);
    const char *h = i < S.num_seen ? S.heads[i] : NULL;
    pthread_mutex_unlock(&S.mu);
    ck_assert_msg(h != NULL, "request %zu was not received", i);
    return h;
}

/* One SystemStatus-shaped request (the payload is an empty MAP). */
static cs_err_t send_one(csc_handle_t *h, csc_reply_t *reply, csc_error_t *err)
{
    static const uint8_t payload[] = { NSON_MAP, 0, 0, 0, 4, 0, 0, 0, 0 };
    csc_header_t hdr = { .op = OP_SYSTEM_STATUS_REQUEST, .timeout_ms = 3000 };
    return csc_send(h, &hdr, payload, sizeof payload, reply, err);
}

static void setup(void) { srv_start(); }
static void teardown(void) { srv_stop(); }

/* ------------------------------------------------------------------------
 * core
 * ------------------------------------------------------------------------ */

START_TEST(test_headers_once_per_request)
{
    csc_handle_t *h = csc_handle_new(S.endpoint, "tenant_t");
    ck_assert_ptr_nonnull(h);
    for (int i = 0; i < 3; i++) {
        csc_reply_t r;
        csc_error_t err;
        ck_assert_msg(send_one(h, &r, &err) == CS_OK, "%s", err.e.msg);
        ck_assert_ptr_nonnull(r.root);
        ck_assert_int_eq(err.http_status, 200);
        csc_reply_free(&r);
        ck_assert_int_eq(csc_handle_connects(h), i == 0 ? 1 : 0);
    }
    for (size_t i = 0; i < 3; i++) {
        const char *head = head_of(i);
        ck_assert_msg(strncmp(head, "POST " WIRE_PATH " HTTP/1.1\r\n", 6 + strlen(WIRE_PATH)) == 0,
                      "%s", head);
        char id[64];
        snprintf(id, sizeof id, "\r\nx-nosql-request-id: %zu\r\n", i + 2); /* borneo starts at 2 */
        ck_assert_msg(strstr(head, id) != NULL, "request %zu: no '%s' in\n%s", i, id + 2, head);
        ck_assert_int_eq(header_count(head, "x-nosql-request-id:"), 1);
        ck_assert_int_eq(header_count(head, "Authorization: Bearer tenant_t"), 1);
        ck_assert_int_eq(header_count(head, "Content-Type: application/octet-stream"), 1);
        ck_assert_int_eq(header_count(head, "Accept: application/octet-stream"), 1);
        ck_assert_int_eq(header_count(head, "User-Agent: csemu-csclient/"), 1);
        ck_assert_int_eq(header_count(head, "Connection: keep-alive"), 1);
        ck_assert_int_eq(header_count(head, "Expect:"), 0);
    }
    pthread_mutex_lock(&S.mu);
    ck_assert_int_eq(S.connections, 1);
    pthread_mutex_unlock(&S.mu);
    csc_handle_free(h);
}
END_TEST

START_TEST(test_no_tenant_no_authorization)
{
    csc_handle_t *h = csc_handle_new(S.endpoint, NULL);
    csc_reply_t r;
    csc_error_t err;
    ck_assert_int_eq(send_one(h, &r, &err), CS_OK);
    csc_reply_free(&r);
    ck_assert_int_eq(header_count(head_of(0), "Authorization:"), 0);
    ck_assert_int_eq(header_count(head_of(0), "x-nosql-request-id:"), 1);
    csc_handle_free(h);
}
END_TEST

/* Reused buffers: a large reply, then a small one, then large again; each
 * decodes to its own bytes. */
START_TEST(test_reused_buffers_large_and_small)
{
    static const size_t sizes[] = { 3u << 20, 10, 0, 2u << 20, 100 };
    csc_handle_t *h = csc_handle_new(S.endpoint, "t");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        queue_binary_reply(sizes[i], (uint8_t)('a' + i));
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        csc_reply_t r;
        csc_error_t err;
        ck_assert_msg(send_one(h, &r, &err) == CS_OK, "%zu: %s", i, err.e.msg);
        const uint8_t *b;
        uint32_t blen;
        ck_assert(nson_get_binary(r.root, "b", &b, &blen, NULL));
        ck_assert_uint_eq(blen, sizes[i]);
        for (size_t k = 0; k < blen; k += 4099)
            ck_assert_int_eq(b[k], 'a' + (int)i);
        csc_reply_free(&r);
    }
    csc_handle_free(h);
}
END_TEST

/* ------------------------------------------------------------------------
 * limits and errors
 * ------------------------------------------------------------------------ */

/* Over the reply ceiling: CS_ETOOBIG; the next request gets its own reply. */
START_TEST(test_too_big_then_normal)
{
    csc_handle_t *h = csc_handle_new(S.endpoint, "t");
    queue_binary_reply(CSC_MAX_REPLY_BYTES + 1, 'x');
    queue_binary_reply(5, 'y');
    csc_reply_t r;
    csc_error_t err;
    ck_assert_int_eq(send_one(h, &r, &err), CS_ETOOBIG);
    ck_assert_ptr_null(r.root);
    ck_assert_msg(send_one(h, &r, &err) == CS_OK, "%s", err.e.msg);
    const uint8_t *b;
    uint32_t blen;
    ck_assert(nson_get_binary(r.root, "b", &b, &blen, NULL));
    ck_assert_uint_eq(blen, 5);
    ck_assert_int_eq(b[0], 'y');
    csc_reply_free(&r);
    csc_handle_free(h);
}
END_TEST

/* A malformed endpoint is not refused by csc_handle_new: the request
 * fails with CS_EIO and curl's words, as before. */
START_TEST(test_bad_endpoint_fails_at_request)
{
    csc_handle_t *h = csc_handle_new("http://[not-an-address", "t");
    ck_assert_ptr_nonnull(h);
    csc_reply_t r;
    csc_error_t err;
    ck_assert_int_eq(send_one(h, &r, &err), CS_EIO);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert(strstr(err.e.msg, "http://[not-an-address") != NULL);
    csc_handle_free(h);
}
END_TEST

/* Nothing listening: CS_EIO, and the handle works once a server is there
 * (a reconnect). */
START_TEST(test_refused_then_reconnect)
{
    csc_handle_t *h = csc_handle_new(S.endpoint, "t");
    csc_reply_t r;
    csc_error_t err;
    ck_assert_int_eq(send_one(h, &r, &err), CS_OK);
    csc_reply_free(&r);
    srv_stop();
    ck_assert_int_eq(send_one(h, &r, &err), CS_EIO);
    srv_start();
    csc_handle_t *h2 = csc_handle_new(S.endpoint, "t");
    ck_assert_int_eq(send_one(h2, &r, &err), CS_OK);
    csc_reply_free(&r);
    ck_assert_int_eq(header_count(head_of(0), "x-nosql-request-id: 2"), 1);
    csc_handle_free(h2);
    csc_handle_free(h);
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *s = suite_create("client_transport");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, test_headers_once_per_request);
    tcase_add_test(core, test_no_tenant_no_authorization);
    tcase_add_test(core, test_reused_buffers_large_and_small);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, test_too_big_then_normal);
    tcase_add_test(lim, test_bad_endpoint_fails_at_request);
    tcase_add_test(lim, test_refused_then_reconnect);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(transport_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
