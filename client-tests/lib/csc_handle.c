/*
 * csc_handle.c - handle, request framing and HTTP transport (libcurl).
 *
 * The only file of the client that includes <curl/curl.h>. One easy handle
 * per csc_handle_t keeps its connection open between requests; the reply
 * body is collected into a buf_t with a ceiling, then decoded into an arena
 * the reply owns.
 *
 * Per-request cost: the easy handle is configured once (URL, header list,
 * callbacks, TCP_NODELAY, no "Expect: 100-continue") and each request only
 * sets its body and timeout; the header list is built once and the
 * request-id header rewritten in place; the request and reply buffers are
 * kept (and dropped again when a big exchange made them large).
 */
#include "csc_handle.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define REQUEST_ID_HEADER "x-nosql-request-id: "
#define REQUEST_ID_DIGITS 20          /* an unsigned long in decimal */
#define KEEP_BUFFER_BYTES (1u << 20)  /* larger request/reply buffers are freed after use */

struct csc_handle {
    CURL *curl;
    char *endpoint;               /* "http://host:port" */
    char *url;                    /* endpoint + WIRE_PATH */
    char *auth;                   /* "Authorization: Bearer <tenant>" or NULL */
    int timeout_ms, table_timeout_ms;
    unsigned long request_id;     /* x-nosql-request-id counter */
    struct curl_slist *headers;   /* every request's headers, built once */
    CURLU *curlu;                 /* url, parsed once */
    char *id_header;              /* the request-id entry's text, rewritten per request */
    long curl_timeout_ms;         /* CURLOPT_TIMEOUT_MS last set, 0 = none yet */
    buf_t req, resp;              /* request body and reply body, reused */
    char curl_err[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void csc_error_clear(csc_error_t *err)
{
    if (!err)
        return;
    cs_error_clear(&err->e);
    err->proto_code = 0;
    err->http_status = 0;
}

/* ------------------------------------------------------------------------
 * handle
 * ------------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    buf_t *b = ud;
    buf_append(b, p, size * n);
    return buf_ok(b) ? size * n : 0; /* 0 aborts the transfer */
}

/* The header list every request sends; the request-id entry holds room
 * for any counter value and is rewritten in place (curl reads the list at
 * each transfer and never copies it). */
static bool build_headers(csc_handle_t *h)
{
    static const char *const fixed[] = {
        "Content-Type: application/octet-stream", "Accept: application/octet-stream",
        "Connection: keep-alive", "User-Agent: csemu-csclient/0.1", "Expect:",
    };
    struct curl_slist *l = NULL, *t;
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        if (!(t = curl_slist_append(l, fixed[i])))
            goto fail;
        l = t;
    }
    char id[sizeof REQUEST_ID_HEADER + REQUEST_ID_DIGITS];
    snprintf(id, sizeof id, "%s%0*d", REQUEST_ID_HEADER, REQUEST_ID_DIGITS, 0);
    if (!(t = curl_slist_append(l, id)))
        goto fail;
    l = t;
    for (t = l; t->next; t = t->next)
        ;
    h->id_header = t->data;
    if (h->auth) {
        if (!(t = curl_slist_append(l, h->auth)))
            goto fail;
        l = t;
    }
    h->headers = l;
    return true;
fail:
    curl_slist_free_all(l);
    return false;
}

/* The URL, parsed once when curl can (it then skips parsing it at every
 * transfer); as text otherwise, so a bad endpoint fails at the first
 * request with curl's message, as it always did. */
static bool set_url(csc_handle_t *h)
{
    h->curlu = curl_url();
    if (h->curlu && curl_url_set(h->curlu, CURLUPART_URL, h->url, 0) == CURLUE_OK &&
        curl_easy_setopt(h->curl, CURLOPT_CURLU, h->curlu) == CURLE_OK)
        return true;
    curl_url_cleanup(h->curlu);
    h->curlu = NULL;
    return curl_easy_setopt(h->curl, CURLOPT_URL, h->url) == CURLE_OK;
}

/* What stays the same for every request. */
static bool configure(csc_handle_t *h)
{
    CURL *c = h->curl;
    return build_headers(h) && set_url(h) &&
           curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->resp) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err) == CURLE_OK;
}

csc_handle_t *csc_handle_new(const char *endpoint, const char *tenant)
{
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK || !endpoint)
        return NULL;
    csc_handle_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    size_t elen = strlen(endpoint);
    while (elen > 0 && endpoint[elen - 1] == '/')
        elen--;
    h->endpoint = strndup(endpoint, elen);
    h->url = malloc(elen + sizeof WIRE_PATH);
    if (tenant) {
        size_t n = strlen(tenant) + 32;
        h->auth = malloc(n);
        if (h->auth)
            snprintf(h->auth, n, "Authorization: Bearer %s", tenant);
    }
    h->curl = curl_easy_init();
    buf_init(&h->req, 0);
    buf_init(&h->resp, CSC_MAX_REPLY_BYTES);
    if (!h->endpoint || !h->url || (tenant && !h->auth) || !h->curl) {
        csc_handle_free(h);
        return NULL;
    }
    memcpy(h->url, h->endpoint, elen);
    memcpy(h->url + elen, WIRE_PATH, sizeof WIRE_PATH);
    if (!configure(h)) {
        csc_handle_free(h);
        return NULL;
    }
    h->timeout_ms = CSC_DEFAULT_TIMEOUT_MS;
    h->table_timeout_ms = CSC_DEFAULT_TABLE_TIMEOUT_MS;
    h->request_id = 1; /* borneo's first request carries "2" */
    return h;
}

void csc_handle_free(csc_handle_t *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    curl_url_cleanup(h->curlu);
    buf_free(&h->req);
    buf_free(&h->resp);
    free(h->endpoint);
    free(h->url);
    free(h->auth);
    free(h);
}

void csc_handle_set_timeout(csc_handle_t *h, int timeout_ms)
{
    h->timeout_ms = timeout_ms > 0 ? timeout_ms : CSC_DEFAULT_TIMEOUT_MS;
}

void csc_handle_set_table_timeout(csc_handle_t *h, int timeout_ms)
{
    h->table_timeout_ms = timeout_ms > 0 ? timeout_ms : CSC_DEFAULT_TABLE_TIMEOUT_MS;
}

int csc_handle_timeout(const csc_handle_t *h, bool table_op)
{
    if (!h)
        return table_op ? CSC_DEFAULT_TABLE_TIMEOUT_MS : CSC_DEFAULT_TIMEOUT_MS;
    return table_op ? h->table_timeout_ms : h->timeout_ms;
}

const char *csc_handle_endpoint(const csc_handle_t *h)
{
    return h->endpoint;
}

long csc_handle_connects(const csc_handle_t *h)
{
    long n = 0;
    /* CURLINFO_NUM_CONNECTS counts new connections of the last transfer */
    curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &n);
    return n;
}

/* ------------------------------------------------------------------------
 * framing
 * ------------------------------------------------------------------------ */

cs_err_t csc_request_encode(const csc_handle_t *h, const csc_header_t *hdr,
                            const uint8_t *payload, size_t payload_len, buf_t *out,
                            csc_error_t *err)
{
    if (payload_len < 9 || payload[0] != NSON_MAP)
        return cs_fail(&err->e, CS_EINVAL, "request payload must be one NSON MAP");
    int t = hdr->timeout_ms > 0 ? hdr->timeout_ms : csc_handle_timeout(h, hdr->table_op);
    nson_writer_t w;
    buf_put_be16(out, WIRE_SERIAL_VERSION);
    nson_writer_init(&w, out);
    nson_w_map_begin(&w);
    nson_w_key(&w, "h");
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "v", WIRE_SERIAL_VERSION);
    if (hdr->table_name)
        nson_w_kv_string(&w, "n", hdr->table_name);
    nson_w_kv_int(&w, "o", hdr->op);
    if (!hdr->omit_topo_seq)
        nson_w_kv_int(&w, "ts", -1);
    nson_w_kv_int(&w, "t", t);
    nson_w_map_end(&w);
    nson_w_key(&w, "p");
    nson_w_raw(&w, payload, payload_len);
    nson_w_map_end(&w);
    if (!nson_writer_ok(&w))
        return cs_fail(&err->e, CS_ENOMEM, "cannot encode the request");
    return CS_OK;
}

/* ------------------------------------------------------------------------
 * replies
 * ------------------------------------------------------------------------ */

void csc_reply_free(csc_reply_t *r)
{
    if (!r)
        return;
    free(r->body);
    arena_free(&r->arena);
    r->body = NULL;
    r->len = 0;
    r->root = NULL;
}

/* A server error: keep its code and message verbatim. */
static cs_err_t server_error(csc_error_t *err, int code, const char *msg, size_t len)
{
    cs_err_t e = wire_err_from_code(code);
    if (e == CS_OK)
        e = CS_EIO;
    err->proto_code = code;
    return cs_fail(&err->e, e, "%.*s", (int)(len < 500 ? len : 500), msg);
}

/* V3-style error: [code byte][packed-int length][UTF-8 message]. */
static cs_err_t v3_error(const uint8_t *b, size_t len, csc_error_t *err)
{
    int32_t mlen = 0;
    size_t n = len > 1 ? nson_unpack_int(b + 1, len - 1, &mlen) : 0;
    if (!n || mlen < 0 || (size_t)mlen > len - 1 - n)
        return cs_fail(&err->e, CS_EPROTO, "reply is neither NSON nor a V3 error (first byte %u)",
                       b[0]);
    return server_error(err, b[0], (const char *)b + 1 + n, (size_t)mlen);
}

cs_err_t csc_reply_decode(const uint8_t *body, size_t len, csc_reply_t *reply,
                          csc_error_t *err)
{
    memset(reply, 0, sizeof *reply);
    arena_init(&reply->arena, 4 * (size_t)CSC_MAX_REPLY_BYTES);
    if (len == 0)
        return cs_fail(&err->e, CS_EIO, "empty reply body");
    if (body[0] != NSON_MAP)
        return v3_error(body, len, err);
    reply->body = malloc(len);
    if (!reply->body)
        return cs_fail(&err->e, CS_ENOMEM, "out of memory");
    memcpy(reply->body, body, len);
    reply->len = len;
    cs_error_t derr;
    reply->root = nson_decode(&reply->arena, reply->body, len, false, &derr);
    if (!reply->root)
        return cs_fail(&err->e, CS_EPROTO, "bad reply: %s", derr.msg);

    const nson_value_t *m = reply->root;
    int32_t code = 0;
    uint32_t at = 0;
    for (; at < m->u.map.count; at++)
        if (strcmp(m->u.map.items[at].key, "e") == 0)
            break;
    if (at == m->u.map.count)
        return CS_OK; /* borneo does not require "e" on success */
    const nson_value_t *e = m->u.map.items[at].val;
    if (e->type != NSON_INTEGER)
        return cs_fail(&err->e, CS_EPROTO, "reply \"e\" is %s, not INTEGER",
                       nson_type_name(e->type));
    code = e->u.i;
    if (code == 0)
        return CS_OK;
    /* borneo looks for "x" only after "e" */
    for (uint32_t i = at + 1; i < m->u.map.count; i++) {
        const nson_entry_t *x = &m->u.map.items[i];
        if (strcmp(x->key, "x") == 0 && x->val->type == NSON_STRING && !x->val->u.str.is_null)
            return server_error(err, code, x->val->u.str.ptr, x->val->u.str.len);
    }
    err->proto_code = code;
    return cs_fail(&err->e, CS_EPROTO,
                   "error reply %d without a message after \"e\" (borneo would ignore it)",
                   (int)code);
}

/* ------------------------------------------------------------------------
 * HTTP
 * ------------------------------------------------------------------------ */

/* Empty a buffer, keeping its memory for the next request unless it grew
 * large (buf_free keeps the ceiling). */
static void buf_recycle(buf_t *b)
{
    if (b->cap > KEEP_BUFFER_BYTES)
        buf_free(b);
    else
        buf_reset(b);
}

cs_err_t csc_send(csc_handle_t *h, const csc_header_t *hdr, const uint8_t *payload,
                  size_t payload_len, csc_reply_t *reply, csc_error_t *err)
{
    cs_err_t rc;
    CURL *c = h->curl;
    memset(reply, 0, sizeof *reply);
    csc_error_clear(err);

    rc = csc_request_encode(h, hdr, payload, payload_len, &h->req, err);
    if (rc)
        goto out;
    /* same width as the placeholder: digits of an unsigned long fit */
    snprintf(h->id_header + sizeof REQUEST_ID_HEADER - 1, REQUEST_ID_DIGITS + 1, "%lu",
             ++h->request_id);

    int t = hdr->timeout_ms > 0 ? hdr->timeout_ms : csc_handle_timeout(h, hdr->table_op);
    if ((long)t + 1000 != h->curl_timeout_ms) {
        h->curl_timeout_ms = (long)t + 1000;
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->curl_timeout_ms);
    }
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)h->req.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->req.len);
    h->curl_err[0] = 0;

    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    err->http_status = (int)status;
    if (cc != CURLE_OK) {
        if (cc == CURLE_WRITE_ERROR && !buf_ok(&h->resp))
            rc = cs_fail(&err->e, CS_ETOOBIG, "reply larger than %u bytes",
                         (unsigned)CSC_MAX_REPLY_BYTES);
        else
            rc = cs_fail(&err->e, CS_EIO, "%s: %s", h->url,
                         h->curl_err[0] ? h->curl_err : curl_easy_strerror(cc));
        goto out;
    }
    if (status != 200) {
        rc = cs_fail(&err->e, CS_EIO, "HTTP status %ld from %s", status, h->url);
        goto out;
    }
    rc = csc_reply_decode(h->resp.data, h->resp.len, reply, err);
    err->http_status = (int)status;

out:
    if (rc)
        csc_reply_free(reply);
    buf_recycle(&h->req);
    buf_recycle(&h->resp);
    return rc;
}
