/*
 * csemu_cli.c - csemu-cli, a small command-line client over the reference
 * client library (client-tests/lib): create and drop tables, put/get/delete
 * rows as JSON, list and describe tables, switch Change Streams on and off,
 * and check a server's health (GET /health, for Docker HEALTHCHECK); tail
 * tables' Change Streams as JSON lines (cmd_tail).
 *
 * Output: one JSON object per result on stdout. Errors: one JSON object on
 * stderr, {"error": <kind>, "code": <protocol code or 0>, "message": ...},
 * and exit status 1 (2 for usage mistakes).
 */
#include <curl/curl.h>
#include <ctype.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csc.h"
#include "timefmt.h"

#define DEFAULT_ENDPOINT "http://localhost:8080"
#define DEFAULT_TENANT "csemu"
#define DDL_WAIT_MS 60000
#define HEALTH_TIMEOUT_MS 5000
#define HEALTH_MAX_BODY (64 * 1024)

static const char usage[] =
    "usage: csemu-cli [--endpoint URL] [--tenant T] [--timeout MS] COMMAND ARGS...\n"
    "\n"
    "commands:\n"
    "  create-table 'DDL' [--limits RU WU GB | --on-demand GB]\n"
    "  drop-table NAME\n"
    "  put TABLE 'ROW-JSON' [--if-absent | --if-present] [--ttl '5 DAYS']\n"
    "  get TABLE 'KEY-JSON'\n"
    "  delete TABLE 'KEY-JSON'\n"
    "  list-tables\n"
    "  get-table NAME\n"
    "  enable-streaming NAME\n"
    "  disable-streaming NAME\n"
    "  health           GET URL/health; exit 0 if it answers 200 with \"status\":\"ok\"\n"
    "  tail TABLE... [--group G] [--from earliest|latest|uncommitted|TIME] [--manual]\n"
    "       [--limit N] [--count N]\n"
    "                   follow the tables' Change Streams: one JSON line per record\n"
    "                   {table, event_id, partition, modification_time, expiration_time,\n"
    "                   op: put|delete, key, value, previous} until SIGINT/SIGTERM or\n"
    "                   --count records; TIME is ISO-8601 or epoch ms. Without --group\n"
    "                   a group csemu-cli-<pid> is used and deleted at exit. Automatic\n"
    "                   commit, or --manual: commit after each printed bundle\n"
    "\n"
    "options:\n"
    "  --endpoint URL   server, default " DEFAULT_ENDPOINT " [CSEMU_ENDPOINT]\n"
    "  --tenant T       sent as 'Authorization: Bearer T', default " DEFAULT_TENANT
    " [CSEMU_TENANT]\n"
    "  --timeout MS     request timeout\n"
    "  --help           this text\n"
    "\n"
    "Each result is printed as one JSON object on stdout; an error as one JSON\n"
    "object on stderr ({\"error\", \"code\", \"message\"}) with exit status 1.\n";

/* ------------------------------------------------------------------------
 * output
 * ------------------------------------------------------------------------ */

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static int fail(const csc_error_t *err)
{
    json_t *j = json_pack("{s:s, s:i, s:s}", "error", cs_strerror(err->e.code), "code",
                          err->proto_code, "message", err->e.msg);
    char *s = json_dumps(j, JSON_COMPACT);
    fprintf(stderr, "%s\n", s ? s : err->e.msg);
    free(s);
    json_decref(j);
    return 1;
}

static int usage_error(const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    json_t *j = json_pack("{s:s, s:i, s:s}", "error", "usage", "code", 0, "message", msg);
    char *s = json_dumps(j, JSON_COMPACT);
    fprintf(stderr, "%s\n", s ? s : msg);
    free(s);
    json_decref(j);
    return 2;
}

static json_t *hex(const csc_bytes_t *b)
{
    if (!b->data)
        return json_null();
    char *s = malloc(2 * b->len + 1);
    for (size_t i = 0; i < b->len; i++)
        snprintf(s + 2 * i, 3, "%02x", b->data[i]);
    s[2 * b->len] = 0;
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *opt_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *table_json(const csc_table_result_t *t)
{
    static const char *const states[] = { "ACTIVE", "CREATING", "DROPPED", "DROPPING",
                                          "UPDATING" };
    json_t *j = json_object();
    json_object_set_new(j, "table_name", opt_str(t->table_name));
    json_object_set_new(j, "state", t->state >= 0 && t->state <= 4 ? json_string(states[t->state])
                                                                   : json_null());
    json_object_set_new(j, "table_id", opt_str(t->table_id));
    json_object_set_new(j, "compartment_id", opt_str(t->compartment_id));
    if (t->has_limits)
        json_object_set_new(j, "limits",
                            json_pack("{s:i, s:i, s:i, s:s}", "read_units", t->limits.read_units,
                                      "write_units", t->limits.write_units, "storage_gb",
                                      t->limits.storage_gb, "mode",
                                      t->limits.mode == CSC_LIMITS_ON_DEMAND ? "ON_DEMAND"
                                                                             : "PROVISIONED"));
    json_object_set_new(j, "ddl", opt_str(t->ddl));
    json_object_set_new(j, "schema", opt_str(t->schema));
    json_object_set_new(j, "etag", opt_str(t->match_etag));
    json_object_set_new(j, "operation_id", opt_str(t->operation_id));
    return j;
}

/* ------------------------------------------------------------------------
 * commands
 * ------------------------------------------------------------------------ */

typedef struct cli {
    csc_handle_t *h;
    int timeout_ms;
    int argc;           /* command arguments after the command name */
    char **argv;
} cli_t;

static json_t *parse_json_arg(const char *text, const char *what, int *rc)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j || !json_is_object(j)) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s must be a JSON object: %s", what, j ? "not an object" : je.text);
        *rc = usage_error("%s", msg);
        json_decref(j);
        return NULL;
    }
    return j;
}

static int cmd_table_request(cli_t *c, const csc_table_request_t *req)
{
    csc_table_result_t res;
    csc_error_t err;
    if (csc_do_table_request(c->h, req, DDL_WAIT_MS, 200, &res, &err) != CS_OK)
        return fail(&err);
    print_json(table_json(&res));
    csc_table_result_free(&res);
    return 0;
}

static int cmd_create_table(cli_t *c)
{
    if (c->argc < 1)
        return usage_error("create-table needs a DDL statement%s", NULL);
    csc_table_limits_t lim = { 0 };
    csc_table_request_t req = { .statement = c->argv[0], .timeout_ms = c->timeout_ms };
    for (int i = 1; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--limits") == 0 && i + 3 < c->argc) {
            lim = (csc_table_limits_t){ atoi(c->argv[i + 1]), atoi(c->argv[i + 2]),
                                        atoi(c->argv[i + 3]), CSC_LIMITS_PROVISIONED };
            req.limits = &lim;
            i += 3;
        } else if (strcmp(c->argv[i], "--on-demand") == 0 && i + 1 < c->argc) {
            lim = (csc_table_limits_t){ 0, 0, atoi(c->argv[i + 1]), CSC_LIMITS_ON_DEMAND };
            req.limits = &lim;
            i += 1;
        } else {
            return usage_error("create-table: unexpected argument '%s'", c->argv[i]);
        }
    }
    return cmd_table_request(c, &req);
}

static int cmd_drop_table(cli_t *c)
{
    if (c->argc != 1)
        return usage_error("drop-table needs a table name%s", NULL);
    char stmt[512];
    snprintf(stmt, sizeof stmt, "DROP TABLE %s", c->argv[0]);
    csc_table_request_t req = { .statement = stmt, .timeout_ms = c->timeout_ms };
    return cmd_table_request(c, &req);
}

static int cmd_streaming(cli_t *c, bool enable)
{
    if (c->argc != 1)
        return usage_error("%s needs a table name", enable ? "enable-streaming" : "disable-streaming");
    csc_table_request_t req = {
        .table_name = c->argv[0],
        .change_streaming = enable ? CSC_STREAMING_ENABLE : CSC_STREAMING_DISABLE,
        .timeout_ms = c->timeout_ms,
    };
    return cmd_table_request(c, &req);
}

static int cmd_get_table(cli_t *c)
{
    if (c->argc != 1)
        return usage_error("get-table needs a table name%s", NULL);
    csc_get_table_request_t req = { .table_name = c->argv[0], .timeout_ms = c->timeout_ms };
    csc_table_result_t res;
    csc_error_t err;
    if (csc_get_table(c->h, &req, &res, &err) != CS_OK)
        return fail(&err);
    print_json(table_json(&res));
    csc_table_result_free(&res);
    return 0;
}

static int cmd_list_tables(cli_t *c)
{
    if (c->argc != 0)
        return usage_error("list-tables takes no arguments%s", NULL);
    json_t *names = json_array();
    csc_list_tables_request_t req = { .limit = 100, .timeout_ms = c->timeout_ms };
    for (;;) {
        csc_list_tables_result_t res;
        csc_error_t err;
        if (csc_list_tables(c->h, &req, &res, &err) != CS_OK) {
            json_decref(names);
            return fail(&err);
        }
        for (size_t i = 0; i < res.num_tables; i++)
            json_array_append_new(names, json_string(res.tables[i]));
        size_t got = res.num_tables;
        int next = res.last_index_returned;
        csc_list_tables_result_free(&res);
        if (got < (size_t)req.limit || next <= req.start_index)
            break;
        req.start_index = next;
    }
    print_json(json_pack("{s:o}", "tables", names));
    return 0;
}

static int cmd_put(cli_t *c)
{
    if (c->argc < 2)
        return usage_error("put needs a table name and a row%s", NULL);
    int rc = 0;
    json_t *row = parse_json_arg(c->argv[1], "the row", &rc);
    if (!row)
        return rc;
    csc_put_request_t req = { .table_name = c->argv[0], .value = csc_json(row),
                              .timeout_ms = c->timeout_ms };
    for (int i = 2; i < c->argc && !rc; i++) {
        if (strcmp(c->argv[i], "--if-absent") == 0)
            req.option = CSC_PUT_IF_ABSENT;
        else if (strcmp(c->argv[i], "--if-present") == 0)
            req.option = CSC_PUT_IF_PRESENT;
        else if (strcmp(c->argv[i], "--ttl") == 0 && i + 1 < c->argc)
            req.ttl = c->argv[++i];
        else
            rc = usage_error("put: unexpected argument '%s'", c->argv[i]);
    }
    if (!rc) {
        csc_put_result_t res;
        csc_error_t err;
        if (csc_put(c->h, &req, &res, &err) != CS_OK) {
            rc = fail(&err);
        } else {
            json_t *out = json_pack("{s:b, s:o}", "success", res.success, "version",
                                    hex(&res.version));
            if (res.generated.json)
                json_object_set(out, "generated", res.generated.json);
            print_json(out);
            csc_put_result_free(&res);
        }
    }
    json_decref(row);
    return rc;
}

static int cmd_get(cli_t *c)
{
    if (c->argc != 2)
        return usage_error("get needs a table name and a key%s", NULL);
    int rc = 0;
    json_t *key = parse_json_arg(c->argv[1], "the key", &rc);
    if (!key)
        return rc;
    csc_get_request_t req = { .table_name = c->argv[0], .key = csc_json(key),
                              .timeout_ms = c->timeout_ms };
    csc_get_result_t res;
    csc_error_t err;
    if (csc_get(c->h, &req, &res, &err) != CS_OK) {
        rc = fail(&err);
    } else {
        json_t *out = json_pack("{s:b}", "found", res.found);
        if (res.found) {
            json_object_set(out, "value", res.value.json ? res.value.json : json_null());
            json_object_set_new(out, "version", hex(&res.version));
            json_object_set_new(out, "modification_time", json_integer(res.modification_time));
            json_object_set_new(out, "expiration_time", json_integer(res.expiration_time));
        }
        print_json(out);
        csc_get_result_free(&res);
    }
    json_decref(key);
    return rc;
}

static int cmd_delete(cli_t *c)
{
    if (c->argc != 2)
        return usage_error("delete needs a table name and a key%s", NULL);
    int rc = 0;
    json_t *key = parse_json_arg(c->argv[1], "the key", &rc);
    if (!key)
        return rc;
    csc_delete_request_t req = { .table_name = c->argv[0], .key = csc_json(key),
                                 .timeout_ms = c->timeout_ms };
    csc_delete_result_t res;
    csc_error_t err;
    if (csc_delete(c->h, &req, &res, &err) != CS_OK) {
        rc = fail(&err);
    } else {
        print_json(json_pack("{s:b}", "success", res.success));
        csc_delete_result_free(&res);
    }
    json_decref(key);
    return rc;
}

/* ------------------------------------------------------------------------
 * health: a plain HTTP GET, no NoSQL protocol, so it needs no handle
 * ------------------------------------------------------------------------ */

typedef struct body {
    char data[HEALTH_MAX_BODY + 1];
    size_t len;
    bool truncated;
} body_t;

static size_t on_health_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    body_t *b = userdata;
    size_t n = size * nmemb;
    size_t room = HEALTH_MAX_BODY - b->len;
    if (n > room) {
        b->truncated = true;
        return 0; /* stop: a health answer is small */
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

/* Reports an unhealthy or unreachable server on stderr; returns 1. */
static int health_fail(const char *msg)
{
    csc_error_t err;
    csc_error_clear(&err);
    cs_fail(&err.e, CS_EBUSY, "%s", msg);
    return fail(&err);
}

/* Prints the server's /health JSON on stdout; 0 when it answered 200 with
 * {"status": "ok", ...}, else 1 with the reason on stderr. */
static int cmd_health(const char *endpoint, int timeout_ms, int argc)
{
    if (argc != 0)
        return usage_error("health takes no arguments%s", NULL);
    size_t elen = strlen(endpoint);
    while (elen > 0 && endpoint[elen - 1] == '/')
        elen--;
    char url[1024];
    if (elen + sizeof "/health" > sizeof url)
        return usage_error("endpoint too long: %s", endpoint);
    snprintf(url, sizeof url, "%.*s/health", (int)elen, endpoint);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return health_fail("cannot start libcurl");
    CURL *curl = curl_easy_init();
    body_t *b = calloc(1, sizeof *b);
    char msg[640];
    int rc = 1;
    if (!curl || !b) {
        rc = health_fail("out of memory");
        goto done;
    }
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_health_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : HEALTH_TIMEOUT_MS));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK && !b->truncated) {
        snprintf(msg, sizeof msg, "no answer from %.200s: %.300s", url,
                 curl_err[0] ? curl_err : curl_easy_strerror(cc));
        rc = health_fail(msg);
        goto done;
    }
    if (b->truncated) {
        snprintf(msg, sizeof msg, "health answer over %d bytes (HTTP %ld)", HEALTH_MAX_BODY, status);
        rc = health_fail(msg);
        goto done;
    }
    b->data[b->len] = 0;
    json_error_t je;
    json_t *j = json_loadb(b->data, b->len, 0, &je);
    if (j)
        print_json(json_incref(j));
    const char *st = json_string_value(json_object_get(j, "status"));
    if (status == 200 && st && strcmp(st, "ok") == 0) {
        rc = 0;
    } else {
        snprintf(msg, sizeof msg, "server not healthy: HTTP %ld, status %.60s", status,
                 st ? st : "(none)");
        rc = health_fail(msg);
    }
    json_decref(j);
done:
    free(b);
    if (curl)
        curl_easy_cleanup(curl);
    curl_global_cleanup();
    return rc;
}

/* ------------------------------------------------------------------------
 * tail: follow Change Streams
 * ------------------------------------------------------------------------ */

#define TAIL_WAIT_MS 500        /* poll wait: how long a signal may go unnoticed */
#define TAIL_DEFAULT_LIMIT 100

static volatile sig_atomic_t tail_stop;

static void on_tail_signal(int sig)
{
    (void)sig;
    tail_stop = 1;
}

/* --from: earliest | latest | uncommitted | epoch ms | ISO-8601 time. */
static bool parse_start(const char *s, csc_start_location_t *out)
{
    if (strcmp(s, "earliest") == 0)
        *out = csc_start_earliest();
    else if (strcmp(s, "latest") == 0)
        *out = csc_start_latest();
    else if (strcmp(s, "uncommitted") == 0)
        *out = csc_start_first_uncommitted();
    else {
        bool digits = *s != 0;
        for (const char *p = s; *p; p++)
            digits = digits && isdigit((unsigned char)*p);
        int64_t ms;
        if (digits) {
            ms = strtoll(s, NULL, 10);
        } else {
            cs_ts_t ts;
            cs_error_t e;
            if (timefmt_parse(s, strlen(s), &ts, &e) != CS_OK)
                return false;
            ms = timefmt_to_ms(ts);
        }
        if (ms <= 0)
            return false;
        *out = csc_start_at_time(ms);
    }
    return true;
}

static json_t *row_or_null(const csc_row_t *r)
{
    return r->json ? json_incref(r->json) : json_null();
}

/* Print every record of a bundle as one JSON line; returns how many. */
static size_t print_bundle(const csc_bundle_t *b)
{
    size_t n = 0;
    for (size_t m = 0; m < b->num_messages; m++) {
        const csc_message_t *msg = &b->messages[m];
        for (size_t e = 0; e < msg->num_events; e++) {
            for (size_t k = 0; k < msg->events[e].num_records; k++) {
                const csc_record_t *r = &msg->events[e].records[k];
                json_t *j = json_object();
                json_object_set_new(j, "table", opt_str(msg->table_name));
                json_object_set_new(j, "event_id", opt_str(r->event_id));
                json_object_set_new(j, "partition", json_integer(r->partition_id));
                json_object_set_new(j, "modification_time", json_integer(r->modification_time));
                json_object_set_new(j, "expiration_time", json_integer(r->expiration_time));
                json_object_set_new(j, "op", json_string(r->current.present ? "put" : "delete"));
                json_object_set_new(j, "key", row_or_null(&r->key));
                json_object_set_new(j, "value", row_or_null(&r->current.value));
                json_object_set_new(j, "previous", row_or_null(&r->before.value));
                print_json(j);
                n++;
            }
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        tail_stop = 1; /* the reader went away (| head): stop and close cleanly */
    return n;
}

typedef struct tail_opts {
    const char *group;
    csc_start_location_t start;
    bool manual;
    long limit, count;          /* count 0 = follow until a signal */
    int ntables;
    char **tables;
} tail_opts_t;

static int parse_tail(cli_t *c, tail_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->start = csc_start_first_uncommitted();
    o->limit = TAIL_DEFAULT_LIMIT;
    o->tables = calloc((size_t)c->argc + 1, sizeof *o->tables);
    if (!o->tables)
        return usage_error("out of memory%s", NULL);
    for (int i = 0; i < c->argc; i++) {
        const char *a = c->argv[i];
        bool has_val = i + 1 < c->argc;
        char *end;
        if (strcmp(a, "--group") == 0 && has_val) {
            o->group = c->argv[++i];
        } else if (strcmp(a, "--from") == 0 && has_val) {
            if (!parse_start(c->argv[++i], &o->start))
                return usage_error("tail: --from takes earliest, latest, uncommitted, an "
                                   "ISO-8601 time or epoch ms, not '%s'", c->argv[i]);
        } else if (strcmp(a, "--manual") == 0) {
            o->manual = true;
        } else if ((strcmp(a, "--limit") == 0 || strcmp(a, "--count") == 0) && has_val) {
            long v = strtol(c->argv[++i], &end, 10);
            if (*end || v <= 0 || v > 1000000)
                return usage_error("tail: %s takes a positive number", a);
            *(a[2] == 'l' ? &o->limit : &o->count) = v;
        } else if (strncmp(a, "--", 2) == 0) {
            return usage_error("tail: unexpected argument '%s'", a);
        } else {
            o->tables[o->ntables++] = c->argv[i];
        }
    }
    if (o->ntables == 0)
        return usage_error("tail needs at least one table%s", NULL);
    return 0;
}

/* Poll and print until a signal or --count; commit per --manual. */
static int tail_loop(csc_consumer_t *cons, const tail_opts_t *o, csc_error_t *err)
{
    long printed = 0;
    while (!tail_stop && (o->count == 0 || printed < o->count)) {
        long limit = o->limit;
        if (o->count && o->count - printed < limit)
            limit = o->count - printed; /* never receive more than we print */
        csc_bundle_t b;
        if (csc_consumer_poll(cons, (int)limit, TAIL_WAIT_MS, &b, err) != CS_OK)
            return 1;
        printed += (long)print_bundle(&b);
        cs_err_t rc = o->manual && !csc_bundle_is_empty(&b) ? csc_bundle_commit(&b, 0, err)
                                                            : CS_OK;
        csc_bundle_free(&b);
        if (rc)
            return 1;
    }
    return 0;
}

static int cmd_tail(cli_t *c)
{
    tail_opts_t o;
    int rc = parse_tail(c, &o);
    char gen[64];
    if (rc) {
        free(o.tables);
        return rc;
    }
    if (!o.group) {
        snprintf(gen, sizeof gen, "csemu-cli-%ld", (long)getpid());
        o.group = gen;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tail_signal; /* no SA_RESTART: waits end early */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (c->timeout_ms > 0)
        csc_handle_set_timeout(c->h, c->timeout_ms);

    csc_error_t err;
    csc_consumer_t *cons = NULL;
    csc_consumer_builder_t *b = csc_builder_new();
    if (!b) {
        free(o.tables);
        csc_error_clear(&err);
        cs_fail(&err.e, CS_ENOMEM, "out of memory");
        return fail(&err);
    }
    csc_builder_set_handle(b, c->h);
    csc_builder_set_group_id(b, o.group);
    if (o.manual)
        csc_builder_set_commit_manual(b);
    for (int i = 0; i < o.ntables; i++)
        csc_builder_add_table(b, o.tables[i], NULL, &o.start);
    if (csc_consumer_build(b, &cons, &err) != CS_OK)
        rc = fail(&err);
    else if (tail_loop(cons, &o, &err) != 0)
        rc = fail(&err);
    /* close (automatic mode commits the last poll) and drop a generated group */
    csc_error_t cerr;
    if (cons && csc_consumer_close(cons, &cerr) != CS_OK && rc == 0)
        rc = fail(&cerr);
    if (cons && o.group == gen && csc_consumer_delete_group(c->h, o.group, NULL, false, &cerr) &&
        rc == 0)
        rc = fail(&cerr);
    csc_consumer_free(cons);
    csc_builder_free(b);
    free(o.tables);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(cli_t *);
    int streaming; /* 1 enable, -1 disable, 0 n/a */
} commands[] = {
    { "create-table", cmd_create_table, 0 },
    { "drop-table", cmd_drop_table, 0 },
    { "put", cmd_put, 0 },
    { "get", cmd_get, 0 },
    { "delete", cmd_delete, 0 },
    { "list-tables", cmd_list_tables, 0 },
    { "get-table", cmd_get_table, 0 },
    { "tail", cmd_tail, 0 },
    { "enable-streaming", NULL, 1 },
    { "disable-streaming", NULL, -1 },
};

int main(int argc, char **argv)
{
    const char *endpoint = getenv("CSEMU_ENDPOINT");
    const char *tenant = getenv("CSEMU_TENANT");
    int timeout_ms = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc) {
            endpoint = argv[++i];
        } else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) {
            tenant = argv[++i];
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout_ms = atoi(argv[++i]);
        } else {
            fputs(usage, stderr);
            return usage_error("unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return usage_error("no command given%s", NULL);
    }
    for (int k = i + 1; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    if (!endpoint || !*endpoint)
        endpoint = DEFAULT_ENDPOINT;
    if (!tenant || !*tenant)
        tenant = DEFAULT_TENANT;
    if (strcmp(argv[i], "health") == 0)
        return cmd_health(endpoint, timeout_ms, argc - i - 1);

    for (size_t k = 0; k < sizeof commands / sizeof *commands; k++) {
        if (strcmp(argv[i], commands[k].name) != 0)
            continue;
        cli_t c = { .h = csc_handle_new(endpoint, tenant), .timeout_ms = timeout_ms,
                    .argc = argc - i - 1, .argv = argv + i + 1 };
        if (!c.h) {
            csc_error_t err;
            csc_error_clear(&err);
            cs_fail(&err.e, CS_ENOMEM, "cannot create a client for %s", endpoint);
            return fail(&err);
        }
        int rc = commands[k].run ? commands[k].run(&c) : cmd_streaming(&c, commands[k].streaming > 0);
        csc_handle_free(c.h);
        return rc;
    }
    fputs(usage, stderr);
    return usage_error("unknown command '%s'", argv[i]);
}
