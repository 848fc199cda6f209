/* stream_env.c - Change Streams integration fixture (see stream_env.h). */
#include "stream_env.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin.h"

static senv_t *current; /* for the atexit cleanup of a failed test process */

static void cleanup_current(void)
{
    if (current)
        senv_cleanup(current);
}

static void open_handles(senv_t *e)
{
    csc_handle_free(e->h);
    csc_handle_free(e->other);
    e->h = csc_handle_new(e->srv.endpoint, SENV_TENANT);
    e->other = csc_handle_new(e->srv.endpoint, SENV_OTHER_TENANT);
    ck_assert_ptr_nonnull(e->h);
    ck_assert_ptr_nonnull(e->other);
}

void senv_start(senv_t *e, const char *const *extra)
{
    static const char *args[32];
    static bool registered;
    size_t n = 0;
    cs_error_t err;
    memset(e, 0, sizeof *e);
    args[n++] = "--test-clock";
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    test_server_opts_t opts = { .extra_args = args };
    current = e;
    if (!registered)
        registered = atexit(cleanup_current) == 0;
    ck_assert_msg(test_server_start(&e->srv, &opts, &err) == CS_OK, "start: %s", err.msg);
    e->started = true;
    open_handles(e);
}

void senv_cleanup(senv_t *e)
{
    csc_handle_free(e->h);
    csc_handle_free(e->other);
    e->h = e->other = NULL;
    if (e->started)
        test_server_cleanup(&e->srv);
    e->started = false;
    if (current == e)
        current = NULL;
}

void senv_restart(senv_t *e)
{
    cs_error_t err;
    int st;
    char buf[96];
    ck_assert_msg(test_server_stop(&e->srv, 0, &st, &err) == CS_OK, "stop: %s", err.msg);
    ck_assert_msg(test_server_exited_cleanly(st), "server %s on SIGTERM",
                  test_server_describe_status(st, buf, sizeof buf));
    ck_assert_msg(test_server_restart(&e->srv, &err) == CS_OK, "restart: %s", err.msg);
    open_handles(e);
}

void senv_crash_restart(senv_t *e)
{
    cs_error_t err;
    ck_assert(test_server_kill9(&e->srv, NULL, &err) == CS_OK);
    ck_assert_msg(test_server_restart(&e->srv, &err) == CS_OK, "restart: %s", err.msg);
    open_handles(e);
}

void senv_clock_set(senv_t *e, int64_t ms)
{
    cs_error_t err;
    ck_assert_msg(test_admin_clock_set(e->srv.endpoint, ms, NULL, &err) == CS_OK, "clock: %s",
                  err.msg);
}

void senv_clock_advance(senv_t *e, int64_t ms)
{
    cs_error_t err;
    ck_assert_msg(test_admin_clock_advance(e->srv.endpoint, ms, NULL, &err) == CS_OK,
                  "clock: %s", err.msg);
}

/* ------------------------------------------------------------------------
 * tables and rows
 * ------------------------------------------------------------------------ */

void senv_ddl(csc_handle_t *h, const char *stmt)
{
    csc_table_limits_t lim = { 100, 100, 1, CSC_LIMITS_PROVISIONED };
    bool create = strncasecmp(stmt, "CREATE TABLE", 12) == 0 && !strchr(stmt, '.');
    csc_table_request_t req = { .statement = stmt, .limits = create ? &lim : NULL };
    csc_table_result_t res;
    csc_error_t err;
    SENV_OK(csc_do_table_request(h, &req, 30000, 50, &res, &err), &err);
    csc_table_result_free(&res);
}

void senv_streaming(csc_handle_t *h, const char *name, bool enable)
{
    csc_table_result_t res;
    csc_error_t err;
    SENV_OK(csc_enable_change_streaming(h, name, enable, 30000, &res, &err), &err);
    ck_assert_int_eq(res.state, CSC_TABLE_ACTIVE);
    csc_table_result_free(&res);
}

void senv_create_streamed(csc_handle_t *h, const char *ddl, const char *name)
{
    senv_ddl(h, ddl);
    senv_streaming(h, name, true);
}

char *senv_table_ocid(csc_handle_t *h, const char *name)
{
    csc_get_table_request_t req = { .table_name = name };
    csc_table_result_t res;
    csc_error_t err;
    SENV_OK(csc_get_table(h, &req, &res, &err), &err);
    ck_assert_ptr_nonnull(res.table_id);
    char *ocid = strdup(res.table_id);
    csc_table_result_free(&res);
    return ocid;
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, je.text);
    return j;
}

bool senv_put_opt(csc_handle_t *h, const char *table, const char *row_json,
                  csc_put_option_t opt, const csc_bytes_t *match_version, const char *ttl,
                  csc_bytes_t *version_out)
{
    json_t *row = parse(row_json);
    csc_put_request_t req = { .table_name = table, .value = csc_json(row), .option = opt,
                              .ttl = ttl };
    if (match_version) {
        req.match_version = match_version->data;
        req.match_version_len = match_version->len;
    }
    csc_put_result_t res;
    csc_error_t err;
    SENV_OK(csc_put(h, &req, &res, &err), &err);
    bool ok = res.success;
    if (version_out) {
        *version_out = res.version;
        res.version.data = NULL;
    }
    csc_put_result_free(&res);
    json_decref(row);
    return ok;
}

bool senv_put(csc_handle_t *h, const char *table, const char *row_json)
{
    bool ok = senv_put_opt(h, table, row_json, CSC_PUT_ALWAYS, NULL, NULL, NULL);
    ck_assert_msg(ok, "put %s into %s was not written", row_json, table);
    return ok;
}

bool senv_delete(csc_handle_t *h, const char *table, const char *key_json)
{
    json_t *key = parse(key_json);
    csc_delete_request_t req = { .table_name = table, .key = csc_json(key) };
    csc_delete_result_t res;
    csc_error_t err;
    SENV_OK(csc_delete(h, &req, &res, &err), &err);
    bool ok = res.success;
    csc_delete_result_free(&res);
    json_decref(key);
    return ok;
}

void senv_put_range(csc_handle_t *h, const char *table, int first, int n, const char *prefix)
{
    for (int id = first; id < first + n; id++) {
        char row[256];
        snprintf(row, sizeof row, "{\"id\": %d, \"name\": \"%s%d\"}", id, prefix, id);
        senv_put(h, table, row);
    }
}

/* ------------------------------------------------------------------------
 * consumers
 * ------------------------------------------------------------------------ */

cs_err_t senv_try_consumer(csc_handle_t *h, const char *group, const senv_table_t *tables,
                           size_t n, bool manual, int64_t max_poll_ms, csc_consumer_t **c,
                           csc_error_t *err)
{
    csc_consumer_builder_t *b = csc_builder_new();
    ck_assert_ptr_nonnull(b);
    csc_builder_set_handle(b, h);
    csc_builder_set_group_id(b, group);
    if (manual)
        csc_builder_set_commit_manual(b);
    if (max_poll_ms > 0)
        csc_builder_set_max_poll_interval(b, max_poll_ms);
    for (size_t i = 0; i < n; i++)
        csc_builder_add_table(b, tables[i].table, NULL,
                              tables[i].start.kind ? &tables[i].start : NULL);
    cs_err_t rc = csc_consumer_build(b, c, err);
    csc_builder_free(b);
    return rc;
}

csc_consumer_t *senv_consumer(csc_handle_t *h, const char *group, const char *table,
                              csc_start_location_t start, bool manual)
{
    senv_table_t t = { table, start };
    csc_consumer_t *c;
    csc_error_t err;
    SENV_OK(senv_try_consumer(h, group, &t, 1, manual, 0, &c, &err), &err);
    return c;
}

/* ------------------------------------------------------------------------
 * records
 * ------------------------------------------------------------------------ */

static json_t *ref(json_t *j)
{
    return j ? json_incref(j) : NULL;
}

void senv_recs_add_bundle(senv_recs_t *r, const csc_bundle_t *b)
{
    for (size_t m = 0; m < b->num_messages; m++) {
        const csc_message_t *msg = &b->messages[m];
        for (size_t e = 0; e < msg->num_events; e++) {
            for (size_t k = 0; k < msg->events[e].num_records; k++) {
                const csc_record_t *rec = &msg->events[e].records[k];
                if (r->n == r->cap) {
                    r->cap = r->cap ? 2 * r->cap : 64;
                    r->v = realloc(r->v, r->cap * sizeof *r->v);
                    ck_assert_ptr_nonnull(r->v);
                }
                senv_rec_t *o = &r->v[r->n++];
                memset(o, 0, sizeof *o);
                snprintf(o->table, sizeof o->table, "%s", msg->table_name ? msg->table_name : "");
                snprintf(o->table_ocid, sizeof o->table_ocid, "%s",
                         msg->table_ocid ? msg->table_ocid : "");
                snprintf(o->event_id, sizeof o->event_id, "%s", rec->event_id ? rec->event_id : "");
                o->md = rec->modification_time;
                o->xp = rec->expiration_time;
                o->partition = rec->partition_id;
                o->key = ref(rec->key.json);
                json_t *id = json_object_get(rec->key.json, "id");
                o->id = json_is_integer(id) ? (int)json_integer_value(id) : -1;
                o->has_current = rec->current.present;
                o->has_before = rec->before.present;
                o->value = ref(rec->current.value.json);
                o->prev = ref(rec->before.value.json);
            }
        }
    }
}

void senv_recs_free(senv_recs_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        json_decref(r->v[i].key);
        json_decref(r->v[i].value);
        json_decref(r->v[i].prev);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

int senv_recs_find(const senv_recs_t *r, const char *table, int id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].id == id && (!table || strcmp(r->v[i].table, table) == 0))
            return (int)i;
    return -1;
}

size_t senv_recs_count(const senv_recs_t *r, const char *table, int id)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].id == id && (!table || strcmp(r->v[i].table, table) == 0))
            n++;
    return n;
}

size_t senv_poll_once(csc_consumer_t *c, int limit, int wait_ms, senv_recs_t *out,
                      int64_t *remaining)
{
    csc_bundle_t b;
    csc_error_t err;
    SENV_OK(csc_consumer_poll(c, limit, wait_ms, &b, &err), &err);
    size_t n = csc_bundle_num_records(&b);
    if (out)
        senv_recs_add_bundle(out, &b);
    if (remaining)
        *remaining = b.events_remaining;
    csc_bundle_free(&b);
    return n;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t senv_poll_until(csc_consumer_t *c, size_t want, int limit, int timeout_ms,
                       bool commit_each, senv_recs_t *out)
{
    size_t got = 0;
    int64_t end = mono_ms() + timeout_ms;
    while (got < want) {
        int64_t left = end - mono_ms();
        if (left <= 0)
            break;
        csc_bundle_t b;
        csc_error_t err;
        SENV_OK(csc_consumer_poll(c, limit, (int)(left < 1000 ? left : 1000), &b, &err), &err);
        got += csc_bundle_num_records(&b);
        senv_recs_add_bundle(out, &b);
        if (commit_each && !csc_bundle_is_empty(&b))
            SENV_OK(csc_bundle_commit(&b, 0, &err), &err);
        csc_bundle_free(&b);
    }
    return got;
}

void senv_expect_nothing(csc_consumer_t *c, int quiet_ms)
{
    senv_recs_t r = { 0 };
    size_t n = senv_poll_once(c, 100, quiet_ms, &r, NULL);
    ck_assert_msg(n == 0, "expected no events, got %zu (first: table %s id %d event %s)", n,
                  r.n ? r.v[0].table : "", r.n ? r.v[0].id : -1, r.n ? r.v[0].event_id : "");
    senv_recs_free(&r);
}

/* ------------------------------------------------------------------------
 * running
 * ------------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int senv_main(Suite *s)
{
    char run_dir[] = "/tmp/csemu-stream-XXXXXX";
    if (!mkdtemp(run_dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    setenv("TMPDIR", run_dir, 1);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nftw(run_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
