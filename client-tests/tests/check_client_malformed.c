/*
 * check_client_malformed.c - hostile and broken request bodies against a
 * real csemu process: random bytes, every truncation of the golden request
 * vectors, unknown op codes, oversized payloads, lying lengths, a huge
 * declared Content-Length, an old serial version. Each gets a reply in the
 * protocol's own error format (status 200, NSON {e, x} or the V3-style error
 * byte for old versions) with the right code; afterwards the server still
 * serves and the row written before the barrage is intact.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "csc.h"
#include "nson.h"
#include "server.h"
#include "wire.h"

#define TENANT "tenant_malformed"

static test_server_t srv;
static csc_handle_t *h;

/* ------------------------------------------------------------------------
 * raw HTTP helpers
 * ------------------------------------------------------------------------ */

typedef struct reply {
    long status;
    buf_t body;
} reply_t;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    buf_append(&((reply_t *)ctx)->body, p, size * n);
    return size * n;
}

/* POST body to /V2/nosql/data as a v4 client would (Bearer tenant). */
static void post_raw(const void *body, size_t len, reply_t *r)
{
    char url[256];
    snprintf(url, sizeof url, "%s/V2/nosql/data", srv.endpoint);
    CURL *c = curl_easy_init();
    ck_assert_ptr_nonnull(c);
    struct curl_slist *hdr = curl_slist_append(NULL, "Authorization: Bearer " TENANT);
    hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
    buf_init(&r->body, 0);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "POST failed: %s", curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
}

/* The error code of an NSON error reply ({e, x} with e first); -1 if the
 * reply is not one. */
static int nson_error_code(const reply_t *r, char *msg, size_t msglen)
{
    arena_t a;
    arena_init(&a, 1 << 20);
    cs_error_t err;
    int code = -1;
    nson_value_t *v = nson_decode(&a, r->body.data, r->body.len, false, &err);
    if (v && v->type == NSON_MAP && v->u.map.count >= 2 && strcmp(v->u.map.items[0].key, "e") == 0 &&
        v->u.map.items[0].val->type == NSON_INTEGER) {
        code = v->u.map.items[0].val->u.i;
        const char *x = NULL;
        bool bad = false;
        if (msg && nson_get_string(v, "x", &x, &bad))
            snprintf(msg, msglen, "%s", x);
    }
    arena_free(&a);
    return code;
}

static void expect_error(const void *body, size_t len, int want_code, const char *what)
{
    reply_t r;
    char msg[512] = "";
    post_raw(body, len, &r);
    ck_assert_msg(r.status == 200, "%s: HTTP status %ld", what, r.status);
    int code = nson_error_code(&r, msg, sizeof msg);
    ck_assert_msg(code > 0, "%s: reply is not an NSON error (%zu bytes)", what, r.body.len);
    if (want_code > 0)
        ck_assert_msg(code == want_code, "%s: code %d (%s), want %d", what, code, msg, want_code);
    buf_free(&r.body);
}

/* A syntactically valid request with op code `op` and an empty payload. */
static void envelope(buf_t *b, int op)
{
    buf_init(b, 0);
    buf_put_be16(b, 4);
    nson_writer_t w;
    nson_writer_init(&w, b);
    nson_w_map_begin(&w);
    nson_w_key(&w, "h");
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "v", 4);
    nson_w_kv_int(&w, "o", op);
    nson_w_kv_int(&w, "t", 5000);
    nson_w_map_end(&w);
    nson_w_key(&w, "p");
    nson_w_map_begin(&w);
    nson_w_map_end(&w);
    nson_w_map_end(&w);
    ck_assert(nson_writer_ok(&w));
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* ------------------------------------------------------------------------
 * fixture: a server with one table and one row that must survive
 * ------------------------------------------------------------------------ */

static void setup(void)
{
    cs_error_t err;
    ck_assert_msg(test_server_start(&srv, NULL, &err) == CS_OK, "start: %s", err.msg);
    h = csc_handle_new(srv.endpoint, TENANT);
    ck_assert_ptr_nonnull(h);
    csc_table_limits_t lim = { .read_units = 10, .write_units = 10, .storage_gb = 1 };
    csc_table_request_t tr = { .statement = "CREATE TABLE keep(id INTEGER, v STRING, PRIMARY KEY(id))",
                               .limits = &lim };
    csc_table_result_t tres;
    csc_error_t cerr;
    ck_assert_msg(csc_do_table_request(h, &tr, 10000, 100, &tres, &cerr) == CS_OK, "%s", cerr.e.msg);
    csc_table_result_free(&tres);
    json_t *row = json_pack("{s:i, s:s}", "id", 1, "v", "precious");
    csc_put_request_t pr = { .table_name = "keep", .value = csc_json(row) };
    csc_put_result_t pres;
    ck_assert_msg(csc_put(h, &pr, &pres, &cerr) == CS_OK && pres.success, "%s", cerr.e.msg);
    csc_put_result_free(&pres);
    json_decref(row);
}

/* The server is alive, serves, and the row written in setup is intact. */
static void check_still_serving(void)
{
    ck_assert_msg(kill(srv.pid, 0) == 0, "the server process is gone");
    json_t *key = json_pack("{s:i}", "id", 1);
    csc_get_request_t gr = { .table_name = "keep", .key = csc_json(key) };
    csc_get_result_t gres;
    csc_error_t cerr;
    ck_assert_msg(csc_get(h, &gr, &gres, &cerr) == CS_OK, "get after the barrage: %s", cerr.e.msg);
    ck_assert_msg(gres.found, "the row written before the barrage is gone");
    ck_assert_str_eq(json_string_value(json_object_get(gres.value.json, "v")), "precious");
    csc_get_result_free(&gres);
    json_decref(key);
}

static void teardown(void)
{
    csc_handle_free(h);
    h = NULL;
    cs_error_t err;
    int status = 0;
    test_server_stop(&srv, TEST_SERVER_STOP_TIMEOUT_MS, &status, &err);
    ck_assert_msg(test_server_exited_cleanly(status), "server did not exit cleanly");
    test_server_cleanup(&srv);
}

/* ------------------------------------------------------------------------
 * tests
 * ------------------------------------------------------------------------ */

START_TEST(random_bytes_get_protocol_errors)
{
    srand(20261124);
    for (int i = 0; i < 300; i++) {
        size_t len = (size_t)(rand() % 600);
        uint8_t *b = malloc(len + 2);
        for (size_t k = 0; k < len + 2; k++)
            b[k] = (uint8_t)rand();
        b[0] = 0;
        b[1] = 4;   /* past the version check, into the decoder */
        char what[64];
        snprintf(what, sizeof what, "random body %d (%zu bytes)", i, len + 2);
        expect_error(b, len + 2, 0, what);
        free(b);
    }
    check_still_serving();
}
END_TEST

START_TEST(every_truncated_vector_is_refused)
{
    const char *dir = getenv("CSEMU_VECTORS");
    ck_assert_msg(dir && *dir, "CSEMU_VECTORS is not set");
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "req-", 4) != 0 || n < 5 || strcmp(e->d_name + n - 4, ".bin"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        uint8_t *b = read_file(path, &len);
        ck_assert_ptr_nonnull(b);
        /* cut inside the NSON: a handful of points per vector */
        for (size_t cut = 3; cut < len; cut += (len / 7) + 1) {
            char what[256];
            snprintf(what, sizeof what, "%s cut at %zu of %zu", e->d_name, cut, len);
            expect_error(b, cut, WIRE_BAD_PROTOCOL_MESSAGE, what);
        }
        free(b);
        files++;
    }
    closedir(d);
    ck_assert_int_gt(files, 50);
    check_still_serving();
}
END_TEST

START_TEST(unknown_opcode_says_unknown_opcode)
{
    buf_t b;
    envelope(&b, 99);
    reply_t r;
    char msg[512] = "";
    post_raw(b.data, b.len, &r);
    ck_assert_int_eq(nson_error_code(&r, msg, sizeof msg), WIRE_BAD_PROTOCOL_MESSAGE);
    ck_assert_msg(strstr(msg, "unknown opcode: 99"), "message: %s", msg);
    buf_free(&r.body);
    buf_free(&b);
    /* an op we define but do not serve names itself and is not "unknown" */
    envelope(&b, OP_ADD_REPLICA);
    post_raw(b.data, b.len, &r);
    ck_assert_int_eq(nson_error_code(&r, msg, sizeof msg), WIRE_OPERATION_NOT_SUPPORTED);
    ck_assert_msg(strstr(msg, "AddReplica") && !strstr(msg, "unknown"), "message: %s", msg);
    buf_free(&r.body);
    buf_free(&b);
    check_still_serving();
}
END_TEST

START_TEST(old_serial_version_gets_v3_style_error)
{
    const uint8_t body[] = { 0, 3, 1, 2, 3, 4 };
    reply_t r;
    post_raw(body, sizeof body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_gt(r.body.len, 2);
    ck_assert_int_eq(r.body.data[0], WIRE_UNSUPPORTED_PROTOCOL);   /* never sent to v4 */
    buf_free(&r.body);
    check_still_serving();
}
END_TEST

START_TEST(lying_lengths_and_huge_counts)
{
    /* a MAP claiming 2 GB and a count of 1e9 in a 20-byte body */
    uint8_t lie[] = { 0, 4, 6, 0x7f, 0xff, 0xff, 0xf0, 0x3b, 0x9a, 0xca, 0x00, 0x80, 0x68, 6,
                      0, 0, 0, 4, 0, 0 };
    expect_error(lie, sizeof lie, WIRE_BAD_PROTOCOL_MESSAGE, "lying map length");
    /* a STRING claiming 1 GB */
    uint8_t str[] = { 0, 4, 6, 0, 0, 0, 12, 0, 0, 0, 1, 0x80, 0x68, 7, 0xfb, 0x3f, 0xff, 0xff, 0x00 };
    expect_error(str, sizeof str, WIRE_BAD_PROTOCOL_MESSAGE, "lying string length");
    /* nesting far past any sane depth */
    size_t depth = 5000, len = 2 + depth * 10 + 1;
    uint8_t *deep = calloc(1, len);
    deep[1] = 4;
    for (size_t i = 0; i < depth; i++) {
        uint8_t *p = deep + 2 + i * 10;
        p[0] = 0;   /* ARRAY */
        uint32_t blen = (uint32_t)((depth - i - 1) * 10 + 1 + 5);
        p[1] = (uint8_t)(blen >> 24); p[2] = (uint8_t)(blen >> 16);
        p[3] = (uint8_t)(blen >> 8); p[4] = (uint8_t)blen;
        p[8] = 1;   /* one element */
    }
    deep[len - 1] = 11;   /* NULL */
    expect_error(deep, len, WIRE_BAD_PROTOCOL_MESSAGE, "deep nesting");
    free(deep);
    check_still_serving();
}
END_TEST

START_TEST(oversized_payload_gets_request_size_error)
{
    /* a Put whose row carries 3 MB: over the service's 2 MB request limit */
    size_t big = 3u << 20;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    json_t *row = json_pack("{s:i, s:s}", "id", 2, "v", s);
    free(s);
    csc_put_request_t pr = { .table_name = "keep", .value = csc_json(row) };
    csc_put_result_t pres;
    csc_error_t cerr;
    ck_assert_int_ne(csc_put(h, &pr, &pres, &cerr), CS_OK);
    ck_assert_int_eq(cerr.proto_code, WIRE_REQUEST_SIZE_LIMIT_EXCEEDED);
    json_decref(row);
    check_still_serving();
}
END_TEST

START_TEST(huge_declared_content_length_is_refused)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char req[] = "POST /V2/nosql/data HTTP/1.1\r\nHost: localhost\r\n"
                       "Authorization: Bearer " TENANT "\r\n"
                       "Content-Length: 100000000000\r\n\r\n\x00\x04";
    ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char resp[4096];
    ssize_t n = read(fd, resp, sizeof resp - 1);
    ck_assert_msg(n > 0, "no answer to a 100 GB declared body");
    resp[n] = '\0';
    ck_assert_msg(strncmp(resp, "HTTP/1.1 200", 12) == 0, "answer: %.40s", resp);
    close(fd);
    check_still_serving();
}
END_TEST

START_TEST(missing_authorization_is_invalid_authorization)
{
    buf_t b;
    envelope(&b, OP_LIST_TABLES);
    char url[256];
    snprintf(url, sizeof url, "%s/V2/nosql/data", srv.endpoint);
    CURL *c = curl_easy_init();
    reply_t r;
    buf_init(&r.body, 0);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, b.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    ck_assert_int_eq(nson_error_code(&r, NULL, 0), WIRE_INVALID_AUTHORIZATION);
    buf_free(&r.body);
    buf_free(&b);
}
END_TEST

static Suite *malformed_suite(void)
{
    Suite *s = suite_create("malformed");
    TCase *tc = tcase_create("limits and errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, random_bytes_get_protocol_errors);
    tcase_add_test(tc, every_truncated_vector_is_refused);
    tcase_add_test(tc, unknown_opcode_says_unknown_opcode);
    tcase_add_test(tc, old_serial_version_gets_v3_style_error);
    tcase_add_test(tc, lying_lengths_and_huge_counts);
    tcase_add_test(tc, oversized_payload_gets_request_size_error);
    tcase_add_test(tc, huge_declared_content_length_is_refused);
    tcase_add_test(tc, missing_authorization_is_invalid_authorization);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(malformed_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
