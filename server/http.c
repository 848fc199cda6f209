/* http.c - libmicrohttpd wiring: request lifecycle, routes, replies. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "admin.h"
#include "dispatch.h"
#include "log.h"
#include "wire.h"

struct http {
    server_t *srv;
    struct MHD_Daemon *daemon;
    struct MHD_Daemon *daemon6;  /* [::1] beside 127.0.0.1, or NULL */
};

typedef enum { ROUTE_DATA, ROUTE_PROBE, ROUTE_ADMIN, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD } route_t;

/* One per request, in *req_cls from the first call to the completed callback. */
typedef struct conn_req {
    route_t route;
    buf_t body;          /* collected upload, ceiling = max request size */
    bool too_big;        /* the body passed the ceiling: the rest is discarded */
} conn_req_t;

/* A declared body this many times over the limit is refused before reading. */
#define HOPELESS_FACTOR 16

/* The path of a request target. HTTP/1.1 allows the absolute form
 * ("POST http://localhost:8080/V2/nosql/data"), which the Java SDK sends;
 * libmicrohttpd passes it through unchanged. */
static const char *target_path(const char *url)
{
    const char *p = NULL;
    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    if (!p)
        return url;
    p = strchr(p, '/');
    return p ? p : "/";
}

static route_t route_of(const char *method, const char *url)
{
    if (strcmp(url, WIRE_PATH) == 0) {
        if (strcmp(method, "POST") == 0)
            return ROUTE_DATA;
        if (strcmp(method, "HEAD") == 0 || strcmp(method, "GET") == 0)
            return ROUTE_PROBE;
        return ROUTE_BAD_METHOD;
    }
    if (admin_owns_path(url))
        return ROUTE_ADMIN;
    return ROUTE_NOT_FOUND;
}

static enum MHD_Result queue_buf_hdr(struct MHD_Connection *c, unsigned status, buf_t *b,
                                     const char *content_type, const char *request_id)
{
    size_t len;
    uint8_t *data = buf_steal(b, &len);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, data ? data : (void *)"", data ? MHD_RESPMEM_MUST_FREE
                                                                          : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (request_id) {
        /* the Java SDK matches replies to requests by this id */
        MHD_add_response_header(r, "x-nosql-request-id", request_id);
        MHD_add_response_header(r, "x-nosql-serial-version", "4");
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_buf(struct MHD_Connection *c, unsigned status, buf_t *b,
                                 const char *content_type)
{
    return queue_buf_hdr(c, status, b, content_type, NULL);
}

static enum MHD_Result queue_json_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    buf_t b;
    buf_init(&b, 0);
    buf_printf(&b, "{\"error\": \"%s\"}\n", msg);
    return queue_buf(c, status, &b, "application/json");
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result finish(http_t *h, struct MHD_Connection *c, const char *method,
                              const char *url, conn_req_t *cr)
{
    buf_t out;
    buf_init(&out, 0);
    switch (cr->route) {
    case ROUTE_DATA:
        if (cr->too_big) {
            dispatch_too_large(&out, h->srv->cfg.max_request);
        } else {
            request_meta_t meta = {
                .authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION),
                .compartment = header(c, "x-nosql-compartment-id"),
                .request_id = header(c, "x-nosql-request-id"),
                .user_agent = header(c, MHD_HTTP_HEADER_USER_AGENT),
            };
            dispatch_data(h->srv, &meta, cr->body.data ? cr->body.data : (const uint8_t *)"",
                          cr->body.len, &out);
        }
        return queue_buf_hdr(c, MHD_HTTP_OK, &out, "application/octet-stream",
                             header(c, "x-nosql-request-id"));
    case ROUTE_PROBE:
        return queue_buf(c, MHD_HTTP_OK, &out, "application/octet-stream");
    case ROUTE_ADMIN: {
        if (cr->too_big)
            return queue_json_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
        admin_request_t ar = {
            .method = method,
            .path = url,
            .authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION),
            .tenant = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "tenant"),
            .compartment = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "compartment"),
            .body = cr->body.data,
            .body_len = cr->body.len,
        };
        int status = admin_handle(h->srv, &ar, &out);
        return queue_buf(c, (unsigned)status, &out, "application/json");
    }
    case ROUTE_BAD_METHOD:
        return queue_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                "use POST " WIRE_PATH " (the NoSQL SDK protocol)");
    case ROUTE_NOT_FOUND:
    default:
        return queue_json_error(c, MHD_HTTP_NOT_FOUND, "no such path");
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    http_t *h = cls;
    (void)version;
    url = target_path(url);
    conn_req_t *cr = *req_cls;
    if (!cr) {
        cr = calloc(1, sizeof *cr);
        if (!cr)
            return MHD_NO;
        cr->route = route_of(method, url);
        buf_init(&cr->body, h->srv->cfg.max_request);
        *req_cls = cr;
        const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            unsigned long long n = strtoull(cl, NULL, 10);
            if (n > (unsigned long long)h->srv->cfg.max_request * HOPELESS_FACTOR) {
                /* not worth reading: answer now, MHD closes the connection */
                cr->too_big = true;
                return finish(h, c, method, url, cr);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!cr->too_big) {
            buf_append(&cr->body, upload_data, *upload_data_size);
            if (!buf_ok(&cr->body)) {
                cr->too_big = true;
                buf_free(&cr->body);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return finish(h, c, method, url, cr);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_req_t *cr = *req_cls;
    if (cr) {
        buf_free(&cr->body);
        free(cr);
        *req_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log_warn("http: %s", line);
}

/* Start one daemon on addr; NULL if it cannot listen. */
static struct MHD_Daemon *start_daemon(http_t *h, const struct sockaddr *addr, int port)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
                            MHD_OPTION_END);
}

/* "localhost" means both loopbacks to clients: Java and Node resolve it to
 * [::1] first. When csemu listens on IPv4 loopback, it also listens on
 * [::1] (same port) where the machine has IPv6, so any SDK pointed at
 * http://localhost:PORT connects. */
static void start_ipv6_loopback(http_t *h, int port)
{
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    a6.sin6_port = htons((uint16_t)port);
    h->daemon6 = start_daemon(h, (const struct sockaddr *)&a6, port);
    if (!h->daemon6)
        log_debug("not listening on [::1]:%d (no IPv6 loopback?)", port);
}

cs_err_t http_start(server_t *srv, http_t **out, int *port_out, cs_error_t *err)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", srv->cfg.port);
    bool loopback = strcmp(srv->cfg.host, "127.0.0.1") == 0 ||
                    strcmp(srv->cfg.host, "localhost") == 0;
    if (strcmp(srv->cfg.host, "localhost") == 0)
        hints.ai_family = AF_INET;   /* IPv4 first; [::1] is added below */
    int gai = getaddrinfo(srv->cfg.host, port, &hints, &ai);
    if (gai != 0)
        return cs_fail(err, CS_EINVAL, "cannot resolve listen address '%s': %s", srv->cfg.host,
                       gai_strerror(gai));
    http_t *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        return cs_fail(err, CS_ENOMEM, "out of memory");
    }
    h->srv = srv;
    h->daemon = start_daemon(h, ai->ai_addr, srv->cfg.port);
    freeaddrinfo(ai);
    if (!h->daemon) {
        free(h);
        return cs_fail(err, CS_EIO, "cannot listen on %s:%d (address in use or not local?)",
                       srv->cfg.host, srv->cfg.port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info ? info->port : srv->cfg.port;
    if (loopback)
        start_ipv6_loopback(h, *port_out);
    *out = h;
    return CS_OK;
}

void http_stop(http_t *h)
{
    if (!h)
        return;
    if (h->daemon6)
        MHD_stop_daemon(h->daemon6);
    MHD_stop_daemon(h->daemon);
    free(h);
}
