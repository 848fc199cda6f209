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
#include <stdio.h>
#include <string.h>

#include "changelog.h"
#include "clock.h"
#include "groups.h"
#include "store.h"
#include "tables.h"
#include <time.h>
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

/* ------------------------------------------------------------------------
 * Views of groups and tables, scoped to a tenant
 * ------------------------------------------------------------------------ */

/* "2026-11-24T21:04:05.990Z": fixed-width milliseconds, for people. */
static json_t *iso_time(int64_t ms)
{
    char txt[48];
    if (ms <= 0)
        return json_null();
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(txt, sizeof txt, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(txt + n, sizeof txt - n, ".%03dZ", (int)(ms % 1000));
    return json_string(txt);
}

static const char *start_name(group_start_t s)
{
    switch (s) {
    case GROUP_START_FIRST_UNCOMMITTED: return "first_uncommitted";
    case GROUP_START_EARLIEST: return "earliest";
    case GROUP_START_LATEST: return "latest";
    case GROUP_START_AT_TIME: return "at_time";
    }
    return "unknown";
}

/* Name of a table id for a view ("" once dropped). */
static void table_names(store_txn_t *t, uint64_t id, json_t *obj)
{
    table_rec_t rec;
    if (tables_lookup_id(t, id, false, &rec)) {
        json_object_set_new(obj, "table", json_string(rec.name));
        json_object_set_new(obj, "table_ocid", json_string(rec.ocid));
    } else {
        json_object_set_new(obj, "table", json_null());
        json_object_set_new(obj, "table_ocid", json_null());
    }
}

/* One group as JSON: tables, members with their partitions, and per
 * partition the committed and delivered positions and the lag. */
static json_t *group_json(store_txn_t *t, const group_view_t *v)
{
    json_t *g = json_pack("{s:s, s:s, s:o, s:I}", "group_id", v->group_id, "compartment",
                          v->compartment, "created", iso_time(v->created_ms), "generation",
                          (json_int_t)v->generation);
    json_t *tables = json_array();
    for (size_t i = 0; i < v->n_tables; i++) {
        const group_table_view_t *tv = &v->tables[i];
        json_t *o = json_object();
        table_names(t, tv->table_id, o);
        uint64_t lag = 0;
        for (size_t k = 0; k < v->n_parts; k++)
            if (v->parts[k].table_id == tv->table_id)
                lag += v->parts[k].lag_committed;
        json_object_set_new(o, "start", json_string(start_name(tv->start)));
        if (tv->start == GROUP_START_AT_TIME)
            json_object_set_new(o, "start_time", iso_time(tv->at_ms));
        json_object_set_new(o, "added", iso_time(tv->added_ms));
        json_object_set_new(o, "exists", json_boolean(tv->exists));
        json_object_set_new(o, "partitions", json_integer(tv->partitions));
        json_object_set_new(o, "uncommitted_events", json_integer((json_int_t)lag));
        json_array_append_new(tables, o);
    }
    json_object_set_new(g, "tables", tables);
    json_t *members = json_array();
    for (size_t i = 0; i < v->n_members; i++) {
        const group_member_view_t *m = &v->members[i];
        /* {"<table>": [partition, ...]} */
        json_t *parts = json_object();
        for (size_t k = 0; k < v->n_parts; k++) {
            if (v->parts[k].owner != m->info.cid)
                continue;
            json_t *names = json_object();
            table_names(t, v->parts[k].table_id, names);
            const char *tn = json_string_value(json_object_get(names, "table"));
            char dropped[40];
            if (!tn) {
                snprintf(dropped, sizeof dropped, "(dropped %llu)",
                         (unsigned long long)v->parts[k].table_id);
                tn = dropped;
            }
            json_t *list = json_object_get(parts, tn);
            if (!list) {
                list = json_array();
                json_object_set_new(parts, tn, list);
            }
            json_array_append_new(list, json_integer(v->parts[k].partition));
            json_decref(names);
        }
        json_array_append_new(
            members,
            json_pack("{s:I, s:s, s:s, s:I, s:o, s:o, s:b, s:I, s:I, s:I, s:o}", "consumer_id",
                      (json_int_t)m->info.cid, "state", consumer_state_name(m->info.state),
                      "commit", m->info.manual ? "manual" : "automatic",
                      "max_poll_interval_ms", (json_int_t)m->info.max_poll_ms, "created",
                      iso_time(m->info.created_ms), "last_poll", iso_time(m->info.last_poll_ms),
                      "silent", m->silent, "polls", (json_int_t)m->info.poll_seq,
                      "uncommitted_polls", (json_int_t)m->pending_polls, "lag",
                      (json_int_t)m->lag, "partitions", parts));
    }
    json_object_set_new(g, "members", members);
    json_t *departed = json_array();
    for (size_t i = 0; i < v->n_departed; i++) {
        const consumer_info_t *c = &v->departed[i];
        json_array_append_new(departed,
                              json_pack("{s:I, s:s, s:o, s:o}", "consumer_id", (json_int_t)c->cid,
                                        "state", consumer_state_name(c->state), "last_poll",
                                        iso_time(c->last_poll_ms), "ended",
                                        iso_time(c->ended_ms)));
    }
    json_object_set_new(g, "departed", departed);
    json_t *parts = json_array();
    for (size_t k = 0; k < v->n_parts; k++) {
        const group_part_view_t *p = &v->parts[k];
        json_t *o = json_object();
        table_names(t, p->table_id, o);
        json_object_set_new(o, "partition", json_integer(p->partition));
        json_object_set_new(o, "owner", p->owner ? json_integer((json_int_t)p->owner) : json_null());
        json_object_set_new(o, "committed", json_integer((json_int_t)p->committed));
        json_object_set_new(o, "delivered", json_integer((json_int_t)p->delivered));
        json_object_set_new(o, "first_retained", json_integer((json_int_t)p->first));
        json_object_set_new(o, "next", json_integer((json_int_t)p->next));
        json_object_set_new(o, "lag_committed", json_integer((json_int_t)p->lag_committed));
        json_object_set_new(o, "lag_delivered", json_integer((json_int_t)p->lag_delivered));
        json_array_append_new(parts, o);
    }
    json_object_set_new(g, "partitions", parts);
    return g;
}

/* GET /admin/groups[/<id>] (?compartment=C) */
static int admin_groups(server_t *srv, const admin_request_t *req, const char *tenant,
                        buf_t *out)
{
    const char *one = strncmp(req->path, "/admin/groups/", 14) == 0 ? req->path + 14 : NULL;
    const char *comp = req->compartment ? req->compartment : "";
    store_txn_t t;
    cs_error_t err;
    cs_error_clear(&err);
    if (store_read_begin(srv->store, &t, &err) != CS_OK)
        return reply_err(out, 503, err.msg);
    int64_t now = clock_now_ms();
    json_t *result = NULL;
    int status = 200;
    if (one) {
        group_view_t v;
        if (group_view_get(&t, tenant, comp, one, now, &v, &err) == CS_OK) {
            result = group_json(&t, &v);
            group_view_free(&v);
        } else {
            status = err.code == CS_ENOTFOUND ? 404 : 500;
        }
    } else {
        group_summary_t *list = NULL;
        size_t n = 0;
        if (groups_list(&t, tenant, &list, &n, &err) == CS_OK) {
            json_t *groups = json_array();
            for (size_t i = 0; i < n; i++) {
                group_view_t v;
                if (group_view_get(&t, tenant, list[i].compartment, list[i].group_id, now, &v,
                                   &err) == CS_OK) {
                    json_array_append_new(groups, group_json(&t, &v));
                    group_view_free(&v);
                }
            }
            free(list);
            result = json_pack("{s:s, s:o}", "tenant", tenant, "groups", groups);
        } else {
            status = 500;
        }
    }
    store_read_end(&t);
    if (!result)
        return reply_err(out, status, err.msg[0] ? err.msg : "failed");
    return reply_json(out, status, result);
}

/* GET /admin/tables: the tenant's tables, streaming state, stream length. */
static int admin_tables(server_t *srv, const char *tenant, buf_t *out)
{
    store_txn_t t;
    cs_error_t err;
    cs_error_clear(&err);
    if (store_read_begin(srv->store, &t, &err) != CS_OK)
        return reply_err(out, 503, err.msg);
    tables_list_t list;
    if (tables_list(&t, tenant, NULL, 0, 0, &list, &err) != CS_OK) {
        store_read_end(&t);
        return reply_err(out, 500, err.msg);
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < list.n; i++) {
        const table_rec_t *r = &list.recs[i];
        uint64_t events = 0;
        changelog_count(&t, r->id, &events, NULL);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:b, s:i, s:o, s:I, s:o}", "name", r->name,
                           "ocid", r->ocid, "compartment", r->compartment[0] ? r->compartment
                                                                            : tenant,
                           "streaming", r->streaming, "partitions", (int)r->partitions,
                           "streaming_since", iso_time(r->streaming ? r->streaming_since_ms : 0),
                           "stream_events", (json_int_t)events, "created",
                           iso_time(r->created_ms)));
    }
    tables_list_free(&list);
    store_read_end(&t);
    return reply_json(out, 200, json_pack("{s:s, s:o}", "tenant", tenant, "tables", arr));
}

int admin_handle(server_t *srv, const admin_request_t *req, buf_t *out)
{
    if (strcmp(req->path, "/health") == 0)
        return health(srv, out);
    if (strcmp(req->path, "/admin/clock") == 0)
        return admin_clock(srv, req, out);
    bool groups = strcmp(req->path, "/admin/groups") == 0 ||
                  strncmp(req->path, "/admin/groups/", 14) == 0;
    bool tables = strcmp(req->path, "/admin/tables") == 0;
    if (!groups && !tables)
        return reply_err(out, 404, "no such admin path");
    if (strcmp(req->method, "GET") != 0)
        return reply_err(out, 405, "use GET");
    char tenant[128];
    cs_error_t err;
    const char *auth = req->authorization;
    char bearer[160];
    if ((!auth || !*auth) && req->tenant) {
        snprintf(bearer, sizeof bearer, "Bearer %s", req->tenant);
        auth = bearer;
    }
    if (dispatch_tenant(auth, tenant, sizeof tenant, &err) != CS_OK)
        return reply_err(out, 401, err.msg);
    return groups ? admin_groups(srv, req, tenant, out) : admin_tables(srv, tenant, out);
}
