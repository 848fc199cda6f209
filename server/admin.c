/*
 * admin.c - /health and /admin/... as JSON (jansson).
 *
 * /health is for CI pipelines and Docker health checks: 200 while the server
 * serves. /admin/clock moves the server's clock and exists only with
 * --test-clock, so liveness, retention and at-time can be tested in
 * milliseconds instead of real minutes.
 */
#include "admin.h"

#include <jansson.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "dispatch.h"

static int reply_json(buf_t *out, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (!text) {
        buf_printf(out, "{\"error\": \"out of memory\"}\n");
        return 500;
    }
    buf_printf(out, "%s\n", text);
    free(text);
    return status;
}

static int reply_err(buf_t *out, int status, const char *msg)
{
    return reply_json(out, status, json_pack("{s:s}", "error", msg));
}

bool admin_owns_path(const char *path)
{
    return strcmp(path, "/health") == 0 || strncmp(path, "/admin/", 7) == 0;
}

static int health(server_t *srv, buf_t *out)
{
    json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I}", "status", "ok", "version", CSEMU_VERSION,
                          "uptime_ms", (json_int_t)(clock_now_ms() - srv->started_ms),
                          "requests", (json_int_t)atomic_load(&srv->stats.requests),
                          "errors", (json_int_t)atomic_load(&srv->stats.errors));
    return reply_json(out, 200, j);
}

/* POST /admin/clock {"set_ms": N} | {"advance_ms": N} | {"real": true} */
static int admin_clock(server_t *srv, const admin_request_t *req, buf_t *out)
{
    if (!srv->cfg.test_clock)
        return reply_err(out, 403, "the clock can be moved only when csemu runs with --test-clock");
    if (strcmp(req->method, "GET") == 0)
        return reply_json(out, 200, json_pack("{s:I}", "now_ms", (json_int_t)clock_now_ms()));
    if (strcmp(req->method, "POST") != 0)
        return reply_err(out, 405, "use GET or POST");
    json_error_t jerr;
    json_t *body = json_loadb((const char *)req->body, req->body_len, 0, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        return reply_err(out, 400, "body must be a JSON object: {\"set_ms\": N}, "
                                   "{\"advance_ms\": N} or {\"real\": true}");
    }
    json_t *set = json_object_get(body, "set_ms");
    json_t *adv = json_object_get(body, "advance_ms");
    json_t *real = json_object_get(body, "real");
    int status = 200;
    if (json_is_integer(set))
        clock_set_ms(json_integer_value(set));
    else if (json_is_integer(adv))
        clock_advance_ms(json_integer_value(adv));
    else if (json_is_true(real))
        clock_use_real();
    else
        status = 400;
    json_decref(body);
    if (status != 200)
        return reply_err(out, 400, "expected set_ms, advance_ms (integers) or real: true");
    return reply_json(out, 200, json_pack("{s:I}", "now_ms", (json_int_t)clock_now_ms()));
}

int admin_handle(server_t *srv, const admin_request_t *req, buf_t *out)
{
    if (strcmp(req->path, "/health") == 0)
        return health(srv, out);
    if (strcmp(req->path, "/admin/clock") == 0)
        return admin_clock(srv, req, out);
    return reply_err(out, 404, "no such admin path");
}
