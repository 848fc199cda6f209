/* admin.c - JSON admin calls for integration tests (see admin.h). */
#include "admin.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return buf_ok(ud) ? size * n : 0;
}

/* GET (body NULL) or POST a JSON body to endpoint+path, as tenant (NULL: no
 * Authorization header). On CS_OK *json is the parsed body (caller's) and
 * *status the HTTP status (any status: the caller decides). CS_EIO when
 * the server is unreachable, CS_EPROTO when the body is not JSON. */
static cs_err_t admin_request(const char *endpoint, const char *path, const char *tenant,
                              const char *body, long *status, json_t **json, cs_error_t *err)
{
    char url[1024], auth[256];
    buf_t resp;
    cs_err_t rc = CS_OK;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (tenant && hdrs) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tenant);
        struct curl_slist *more = curl_slist_append(hdrs, auth);
        if (!more)
            curl_slist_free_all(hdrs);
        hdrs = more;
    }
    CURL *c = curl_easy_init();
    buf_init(&resp, 64u << 20);
    snprintf(url, sizeof url, "%s%s", endpoint, path);
    *json = NULL;
    *status = 0;
    if (!c || !hdrs) {
        rc = cs_fail(err, CS_ENOMEM, "curl_easy_init failed");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (cc != CURLE_OK) {
        rc = cs_fail(err, CS_EIO, "%s: %s", url, curl_easy_strerror(cc));
        goto out;
    }
    json_error_t je;
    *json = buf_ok(&resp) ? json_loadb((const char *)resp.data, resp.len, 0, &je) : NULL;
    if (!*json)
        rc = cs_fail(err, CS_EPROTO, "%s: HTTP %ld, body is not JSON: %.*s", url, *status,
                     (int)(resp.len > 300 ? 300 : resp.len),
                     resp.data ? (const char *)resp.data : "");
out:
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    buf_free(&resp);
    return rc;
}

cs_err_t test_admin_get_json(const char *endpoint, const char *tenant, const char *path,
                             json_t **out, cs_error_t *err)
{
    long status;
    json_t *j;
    cs_err_t rc = admin_request(endpoint, path, tenant, NULL, &status, &j, err);
    *out = NULL;
    if (rc)
        return rc;
    if (status != 200) {
        json_t *e = json_object_get(j, "error");
        rc = cs_fail(err, status == 404 ? CS_ENOTFOUND : CS_EIO, "%s%s: HTTP %ld: %s", endpoint,
                     path, status, json_is_string(e) ? json_string_value(e) : "(no error text)");
        json_decref(j);
        return rc;
    }
    *out = j;
    return CS_OK;
}

/* method "GET" (body NULL) or "POST" with a JSON body; reads "now_ms". */
static cs_err_t admin_call(const char *endpoint, const char *body, int64_t *now_ms,
                           cs_error_t *err)
{
    char url[512];
    buf_t resp;
    cs_err_t rc = CS_OK;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *c = curl_easy_init();
    buf_init(&resp, 1u << 20);
    snprintf(url, sizeof url, "%s/admin/clock", endpoint);
    if (!c) {
        rc = cs_fail(err, CS_ENOMEM, "curl_easy_init failed");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK) {
        rc = cs_fail(err, CS_EIO, "%s: %s", url, curl_easy_strerror(cc));
        goto out;
    }
    if (status != 200) {
        rc = cs_fail(err, CS_EIO, "%s: HTTP %ld: %.*s", url, status, (int)resp.len,
                     resp.data ? (const char *)resp.data : "");
        goto out;
    }
    json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
    json_t *now = json_object_get(j, "now_ms");
    if (!json_is_integer(now))
        rc = cs_fail(err, CS_EPROTO, "%s: no \"now_ms\" in %.*s", url, (int)resp.len,
                     resp.data ? (const char *)resp.data : "");
    else if (now_ms)
        *now_ms = json_integer_value(now);
    json_decref(j);
out:
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    buf_free(&resp);
    return rc;
}

cs_err_t test_admin_clock_set(const char *endpoint, int64_t ms, int64_t *now_ms, cs_error_t *err)
{
    char body[64];
    snprintf(body, sizeof body, "{\"set_ms\": %lld}", (long long)ms);
    return admin_call(endpoint, body, now_ms, err);
}

cs_err_t test_admin_clock_advance(const char *endpoint, int64_t delta_ms, int64_t *now_ms,
                                  cs_error_t *err)
{
    char body[64];
    snprintf(body, sizeof body, "{\"advance_ms\": %lld}", (long long)delta_ms);
    return admin_call(endpoint, body, now_ms, err);
}

cs_err_t test_admin_clock_now(const char *endpoint, int64_t *now_ms, cs_error_t *err)
{
    return admin_call(endpoint, NULL, now_ms, err);
}
