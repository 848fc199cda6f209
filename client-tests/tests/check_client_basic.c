/*
 * check_client_basic.c - end to end through the reference client against a
 * real csemu process ($CSEMU_BIN) on an ephemeral loopback port: system
 * status, create table, put/get/delete, list tables, errors, then stop,
 * restart on the same data directory (and kill -9, restart) and find the
 * data still there. The "Support" case checks the process-control helpers
 * themselves against tiny fake servers (shell scripts), so they are known
 * to work even before the server does.
 */
#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csc.h"
#include "server.h"

#define TENANT "tenant_basic"
#define USERS_DDL "CREATE TABLE users(id INTEGER, sk STRING, name STRING, " \
                  "PRIMARY KEY(SHARD(sk), id))"

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

static test_server_t srv;
static csc_handle_t *h;

static void teardown(void);

static void start_server(void)
{
    static bool registered;
    cs_error_t err;
    if (!registered) /* a failed check exits the test process: clean up then too */
        registered = atexit(teardown) == 0;
    ck_assert_msg(test_server_start(&srv, NULL, &err) == CS_OK, "start: %s", err.msg);
    ck_assert_msg(strncmp(srv.endpoint, "http://127.0.0.1:", 17) == 0, "%s", srv.endpoint);
    h = csc_handle_new(srv.endpoint, TENANT);
    ck_assert_ptr_nonnull(h);
}

static void teardown(void)
{
    csc_handle_free(h);
    h = NULL;
    test_server_cleanup(&srv);
}

static void reconnect(void)
{
    csc_handle_free(h);
    h = csc_handle_new(srv.endpoint, TENANT);
    ck_assert_ptr_nonnull(h);
}

static void create_users(void)
{
    csc_table_limits_t lim = { 50, 50, 1, CSC_LIMITS_PROVISIONED };
    csc_table_request_t req = { .statement = USERS_DDL, .limits = &lim };
    csc_table_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_do_table_request(h, &req, 20000, 100, &res, &err) == CS_OK,
                  "create table: %s (code %d)", err.e.msg, err.proto_code);
    ck_assert_int_eq(res.state, CSC_TABLE_ACTIVE);
    ck_assert_str_eq(res.table_name, "users");
    ck_assert_ptr_nonnull(res.table_id);
    ck_assert_msg(strncasecmp(res.table_id, "ocid1.nosqltable.", 17) == 0, "%s", res.table_id);
    csc_table_result_free(&res);
}

static void put_row(int id, const char *name, csc_bytes_t *version_out)
{
    json_t *row = json_pack("{s:i, s:s, s:s}", "id", id, "sk", "a", "name", name);
    csc_put_request_t req = { .table_name = "users", .value = csc_json(row) };
    csc_put_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_put(h, &req, &res, &err) == CS_OK, "put: %s", err.e.msg);
    ck_assert(res.success);
    ck_assert_ptr_nonnull(res.version.data);
    ck_assert_uint_gt(res.version.len, 0);
    if (version_out) {
        *version_out = res.version;
        res.version.data = NULL;
    }
    csc_put_result_free(&res);
    json_decref(row);
}

/* Get row (id, "a"); returns its name (caller frees) or NULL if missing. */
static char *get_name(int id)
{
    json_t *key = json_pack("{s:i, s:s}", "id", id, "sk", "a");
    csc_get_request_t req = { .table_name = "users", .key = csc_json(key) };
    csc_get_result_t res;
    csc_error_t err;
    ck_assert_msg(csc_get(h, &req, &res, &err) == CS_OK, "get: %s", err.e.msg);
    char *name = NULL;
    if (res.found) {
        ck_assert_ptr_nonnull(res.value.json);
        ck_assert_int_eq(json_integer_value(json_object_get(res.value.json, "id")), id);
        name = strdup(json_string_value(json_object_get(res.value.json, "name")));
    }
    csc_get_result_free(&res);
    json_decref(key);
    return name;
}

/* ------------------------------------------------------------------------
 * against the real server
 * ------------------------------------------------------------------------ */

START_TEST(test_system_status)
{
    start_server();
    csc_system_status_request_t req = { .operation_id = "sysop-1",
                                        .statement = "CREATE NAMESPACE ns1" };
    csc_system_result_t res;
    csc_error_t err;
    cs_err_t rc = csc_system_status(h, &req, &res, &err);
    /* the cloud has no namespaces: a minimal answer or OPERATION_NOT_SUPPORTED */
    ck_assert_msg(rc == CS_OK || (rc == CS_ENOTSUP && err.proto_code == 21),
                  "system status: %d %s (code %d)", rc, err.e.msg, err.proto_code);
    if (rc == CS_OK)
        ck_assert(res.state == CSC_SYSOP_COMPLETE || res.state == CSC_SYSOP_WORKING);
    csc_system_result_free(&res);

    csc_system_request_t sr = { .statement = "CREATE NAMESPACE ns1" };
    rc = csc_system_request(h, &sr, &res, &err);
    ck_assert_msg(rc == CS_OK || (rc == CS_ENOTSUP && err.proto_code == 21),
                  "system request: %d %s (code %d)", rc, err.e.msg, err.proto_code);
    csc_system_result_free(&res);
}
END_TEST

START_TEST(test_table_and_rows)
{
    start_server();
    create_users();

    /* creating it again is TABLE_EXISTS (9), message kept */
    csc_table_request_t again = { .statement = USERS_DDL };
    csc_table_result_t tr;
    csc_error_t err;
    ck_assert_int_eq(csc_table_request(h, &again, &tr, &err), CS_ETABLEEXISTS);
    ck_assert_int_eq(err.proto_code, 9);
    ck_assert_uint_gt(strlen(err.e.msg), 0);

    csc_bytes_t v1;
    put_row(1, "jane", &v1);

    /* put-if-absent on an existing row: not written, no version */
    json_t *row = json_pack("{s:i, s:s, s:s}", "id", 1, "sk", "a", "name", "other");
    csc_put_request_t pia = { .table_name = "users", .value = csc_json(row),
                              .option = CSC_PUT_IF_ABSENT, .return_row = true };
    csc_put_result_t pr;
    ck_assert_int_eq(csc_put(h, &pia, &pr, &err), CS_OK);
    ck_assert(!pr.success);
    ck_assert_ptr_null(pr.version.data);
    csc_put_result_free(&pr);
    json_decref(row);

    /* get: the row and the version the put returned */
    json_t *key = json_pack("{s:i, s:s}", "id", 1, "sk", "a");
    csc_get_request_t g = { .table_name = "users", .key = csc_json(key) };
    csc_get_result_t gr;
    ck_assert_int_eq(csc_get(h, &g, &gr, &err), CS_OK);
    ck_assert(gr.found);
    json_t *want = json_pack("{s:i, s:s, s:s}", "id", 1, "sk", "a", "name", "jane");
    ck_assert(json_equal(gr.value.json, want));
    ck_assert_uint_eq(gr.version.len, v1.len);
    ck_assert(memcmp(gr.version.data, v1.data, v1.len) == 0);
    ck_assert_int_gt(gr.modification_time, 0);
    json_decref(want);
    csc_get_result_free(&gr);

    /* the second request reused the connection (keep-alive) */
    ck_assert_int_eq(csc_handle_connects(h), 0);

    /* missing row, missing table */
    char *n = get_name(42);
    ck_assert_ptr_null(n);
    csc_get_request_t gm = { .table_name = "nosuch", .key = csc_json(key) };
    ck_assert_int_eq(csc_get(h, &gm, &gr, &err), CS_ENOTABLE);
    ck_assert_int_eq(err.proto_code, 2);
    ck_assert_uint_gt(strlen(err.e.msg), 0);

    /* list tables and get table */
    csc_list_tables_request_t lt = { 0 };
    csc_list_tables_result_t lr;
    ck_assert_int_eq(csc_list_tables(h, &lt, &lr, &err), CS_OK);
    bool seen = false;
    for (size_t i = 0; i < lr.num_tables; i++)
        seen |= strcmp(lr.tables[i], "users") == 0;
    ck_assert(seen);
    csc_list_tables_result_free(&lr);
    csc_get_table_request_t gt = { .table_name = "users" };
    ck_assert_int_eq(csc_get_table(h, &gt, &tr, &err), CS_OK);
    ck_assert_int_eq(tr.state, CSC_TABLE_ACTIVE);
    csc_table_result_free(&tr);

    /* delete: once true, then false; the row is gone */
    csc_delete_request_t d = { .table_name = "users", .key = csc_json(key) };
    csc_delete_result_t dr;
    ck_assert_int_eq(csc_delete(h, &d, &dr, &err), CS_OK);
    ck_assert(dr.success);
    csc_delete_result_free(&dr);
    ck_assert_int_eq(csc_delete(h, &d, &dr, &err), CS_OK);
    ck_assert(!dr.success);
    csc_delete_result_free(&dr);
    ck_assert_ptr_null(get_name(1));

    json_decref(key);
    csc_bytes_free(&v1);
}
END_TEST

START_TEST(test_restart_keeps_data)
{
    start_server();
    create_users();
    put_row(2, "kept", NULL);

    int st = -1;
    cs_error_t err;
    ck_assert_int_eq(test_server_stop(&srv, 0, &st, &err), CS_OK);
    char desc[96];
    ck_assert_msg(test_server_exited_cleanly(st), "SIGTERM: server %s",
                  test_server_describe_status(st, desc, sizeof desc));

    ck_assert_msg(test_server_restart(&srv, &err) == CS_OK, "restart: %s", err.msg);
    reconnect();
    char *n = get_name(2);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(n, "kept");
    free(n);

    /* an acknowledged write survives kill -9 */
    put_row(3, "crash", NULL);
    ck_assert_int_eq(test_server_kill9(&srv, &st, &err), CS_OK);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    ck_assert_msg(test_server_restart(&srv, &err) == CS_OK, "restart: %s", err.msg);
    reconnect();
    n = get_name(3);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(n, "crash");
    free(n);

    csc_get_table_request_t gt = { .table_name = "users" };
    csc_table_result_t tr;
    csc_error_t cerr;
    ck_assert_int_eq(csc_get_table(h, &gt, &tr, &cerr), CS_OK);
    ck_assert_int_eq(tr.state, CSC_TABLE_ACTIVE);
    csc_table_result_free(&tr);
}
END_TEST

/* csemu-cli ($CSEMU_CLI) prints one JSON object per result. */
static json_t *run_cli(const char *args, int *status)
{
    const char *cli = getenv("CSEMU_CLI");
    ck_assert_msg(cli && access(cli, X_OK) == 0, "CSEMU_CLI not set or not executable");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' --endpoint %s --tenant %s %s 2>&1", cli, srv.endpoint,
             TENANT, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    *status = pclose(p);
    json_t *j = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", out);
    return j;
}

START_TEST(test_cli)
{
    start_server();
    int st;
    json_t *j = run_cli("create-table '" USERS_DDL "' --limits 10 10 1", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "ACTIVE");
    json_decref(j);
    j = run_cli("put users '{\"id\": 5, \"sk\": \"a\", \"name\": \"cli\"}'", &st);
    ck_assert_int_eq(st, 0);
    ck_assert(json_is_true(json_object_get(j, "success")));
    json_decref(j);
    j = run_cli("get users '{\"id\": 5, \"sk\": \"a\"}'", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "value"), "name")),
                     "cli");
    json_decref(j);
    j = run_cli("get-table nosuch", &st);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), 2);
    json_decref(j);
    j = run_cli("health", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
}
END_TEST

/* ------------------------------------------------------------------------
 * the support module, against fake servers
 * ------------------------------------------------------------------------ */

static char fake_dir[256];

static const char *fake(const char *name, const char *body)
{
    static char path[512];
    if (!fake_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fake_dir, sizeof fake_dir, "%s/csemu-fake-XXXXXX", tmp ? tmp : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(fake_dir));
    }
    snprintf(path, sizeof path, "%s/%s", fake_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
    return path;
}

static void fake_cleanup(void)
{
    if (fake_dir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fake_dir);
        ck_assert_int_eq(system(cmd), 0);
        fake_dir[0] = 0;
    }
}

START_TEST(test_support_start_stop_restart)
{
    /* $6 is the data dir: --host H --port 0 --data DIR */
    const char *bin = fake("ready.sh",
                           "echo \"starting $*\"\n"
                           "[ \"$4\" = 0 ] || exit 9\n"
                           "echo run >> \"$6/runs\"\n"
                           "echo \"csemu 0.0 ready on http://127.0.0.1:45678 (data: $6)\"\n"
                           "exec sleep 60");
    test_server_opts_t o = { .bin = bin };
    test_server_t s;
    cs_error_t err;
    ck_assert_msg(test_server_start(&s, &o, &err) == CS_OK, "%s", err.msg);
    ck_assert_str_eq(s.endpoint, "http://127.0.0.1:45678");
    ck_assert_int_eq(s.port, 45678);
    ck_assert(s.own_data_dir);
    char runs[4200];
    snprintf(runs, sizeof runs, "%s/runs", s.data_dir);
    ck_assert_int_eq(access(runs, F_OK), 0);

    /* restart: same data dir, a second run recorded */
    ck_assert_msg(test_server_restart(&s, &err) == CS_OK, "%s", err.msg);
    FILE *f = fopen(runs, "r");
    char line[16];
    int count = 0;
    while (fgets(line, sizeof line, f))
        count++;
    fclose(f);
    ck_assert_int_eq(count, 2);

    /* SIGTERM kills `sleep` by the signal: reported as such */
    int st;
    ck_assert_int_eq(test_server_stop(&s, 2000, &st, &err), CS_OK);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    ck_assert(!test_server_exited_cleanly(st));
    ck_assert_int_eq(s.pid, 0);
    ck_assert_int_eq(test_server_stop(&s, 0, NULL, &err), CS_OK); /* idempotent */

    char dir[4096];
    snprintf(dir, sizeof dir, "%s", s.data_dir);
    test_server_cleanup(&s);
    ck_assert_int_ne(access(dir, F_OK), 0); /* our mkdtemp dir is gone */
    fake_cleanup();
}
END_TEST

START_TEST(test_support_clean_exit_and_kill9)
{
    const char *bin = fake("clean.sh",
                           "trap 'exit 0' TERM\n"
                           "echo 'csemu ready on http://127.0.0.1:45679'\n"
                           "while :; do sleep 0.05; done");
    test_server_opts_t o = { .bin = bin };
    test_server_t s;
    cs_error_t err;
    ck_assert_msg(test_server_start(&s, &o, &err) == CS_OK, "%s", err.msg);
    int st;
    ck_assert_int_eq(test_server_stop(&s, 5000, &st, &err), CS_OK);
    ck_assert(test_server_exited_cleanly(st));

    ck_assert_msg(test_server_restart(&s, &err) == CS_OK, "%s", err.msg);
    pid_t pid = s.pid;
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(test_server_kill9(&s, &st, &err), CS_OK);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    ck_assert_int_ne(kill(pid, 0), 0); /* reaped: no such process */
    test_server_cleanup(&s);
    fake_cleanup();
}
END_TEST

START_TEST(test_support_given_dir_kept)
{
    const char *bin = fake("ready2.sh", "echo 'x ready on http://127.0.0.1:40001'\nexec sleep 60");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/csemu-given-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    test_server_opts_t o = { .bin = bin, .data_dir = dir };
    test_server_t s;
    cs_error_t err;
    ck_assert_msg(test_server_start(&s, &o, &err) == CS_OK, "%s", err.msg);
    ck_assert_str_eq(s.data_dir, dir);
    ck_assert(!s.own_data_dir);
    test_server_cleanup(&s);
    ck_assert_int_eq(access(dir, F_OK), 0); /* not ours to remove */
    rmdir(dir);
    fake_cleanup();
}
END_TEST

START_TEST(test_support_failures)
{
    test_server_t s;
    cs_error_t err;

    /* exits before ready: the status is in the message */
    test_server_opts_t o1 = { .bin = fake("fail.sh", "echo 'bad config'\nexit 3") };
    ck_assert_int_ne(test_server_start(&s, &o1, &err), CS_OK);
    ck_assert_msg(strstr(err.msg, "exited with status 3") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "bad config") != NULL, "%s", err.msg);
    ck_assert_int_eq(s.pid, 0);
    test_server_cleanup(&s);

    /* never says ready: times out, child killed */
    test_server_opts_t o2 = { .bin = fake("silent.sh", "exec sleep 60"), .start_timeout_ms = 300 };
    ck_assert_int_eq(test_server_start(&s, &o2, &err), CS_EBUSY);
    ck_assert_int_eq(s.pid, 0);
    test_server_cleanup(&s);

    /* ignores SIGTERM: stop falls back to SIGKILL and says so */
    test_server_opts_t o3 = {
        .bin = fake("stubborn.sh", "trap '' TERM\necho 'ready on http://127.0.0.1:40002'\n"
                                   "while :; do sleep 0.05; done") };
    ck_assert_msg(test_server_start(&s, &o3, &err) == CS_OK, "%s", err.msg);
    int st;
    ck_assert_int_eq(test_server_stop(&s, 300, &st, &err), CS_EBUSY);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    test_server_cleanup(&s);

    /* missing binary */
    test_server_opts_t o4 = { .bin = "/nonexistent/csemu" };
    ck_assert_int_eq(test_server_start(&s, &o4, &err), CS_EIO);
    ck_assert(strstr(err.msg, "/nonexistent/csemu") != NULL);
    test_server_cleanup(&s);
    fake_cleanup();
}
END_TEST

static Suite *client_basic_suite(void)
{
    Suite *s = suite_create("client_basic");
    TCase *sup = tcase_create("Support");
    tcase_add_test(sup, test_support_start_stop_restart);
    tcase_add_test(sup, test_support_clean_exit_and_kill9);
    tcase_add_test(sup, test_support_given_dir_kept);
    tcase_add_test(sup, test_support_failures);
    suite_add_tcase(s, sup);

    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_system_status);
    tcase_add_test(core, test_table_and_rows);
    tcase_add_test(core, test_restart_keeps_data);
    tcase_add_test(core, test_cli);
    suite_add_tcase(s, core);
    return s;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    /* Every data dir is made under one run dir that this (parent) process
     * removes at the end: a failed check ends its forked test process
     * without running teardowns, and must not leave directories behind. */
    char run_dir[] = "/tmp/csemu-client-basic-XXXXXX";
    if (!mkdtemp(run_dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    setenv("TMPDIR", run_dir, 1);
    SRunner *sr = srunner_create(client_basic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nftw(run_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
