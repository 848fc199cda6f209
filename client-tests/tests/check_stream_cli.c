/*
 * check_stream_cli.c - `csemu-cli tail` ($CSEMU_CLI) against a real csemu:
 * one JSON line per record with the documented fields, --count, --from
 * (earliest, latest, uncommitted, ISO time, epoch ms), --manual commits,
 * several tables, following until SIGINT/SIGTERM or until its reader goes
 * away with a clean close (automatic commit), the generated group deleted at
 * exit, and clear errors.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stream_env.h"
#include "timefmt.h"

#define T1_DDL "CREATE TABLE t1(id INTEGER, name STRING, PRIMARY KEY(id))"
#define T2_DDL "CREATE TABLE t2(id INTEGER, name STRING, PRIMARY KEY(id))"
#define T0 1800000000000LL
#define LINE_WAIT_MS 10000

static senv_t env;

static void setup(void) { senv_start(&env, NULL); }
static void teardown(void) { senv_cleanup(&env); }

/* ------------------------------------------------------------------------
 * running the CLI
 * ------------------------------------------------------------------------ */

typedef struct cli {
    pid_t pid;
    int out, err;           /* read ends */
    char buf[1 << 16];      /* stdout not yet returned as lines */
    size_t len;
} cli_t;

static void cli_start(cli_t *c, const char *const *args)
{
    const char *bin = getenv("CSEMU_CLI");
    if (!bin || !*bin)
        bin = "build/csemu-cli";
    const char *argv[32];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "--endpoint";
    argv[n++] = env.srv.endpoint;
    argv[n++] = "--tenant";
    argv[n++] = SENV_TENANT;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int o[2], e[2];
    ck_assert_int_eq(pipe2(o, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(e, O_CLOEXEC), 0);
    fflush(NULL);
    memset(c, 0, sizeof *c);
    c->pid = fork();
    ck_assert_int_ge(c->pid, 0);
    if (c->pid == 0) {
        dup2(o[1], STDOUT_FILENO);
        dup2(e[1], STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    c->out = o[0];
    c->err = e[0];
}

/* Next stdout line as JSON (NULL at EOF or after timeout_ms). */
static json_t *cli_line(cli_t *c, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            *nl = 0;
            json_error_t je;
            json_t *j = json_loads(c->buf, 0, &je);
            ck_assert_msg(j != NULL, "not a JSON line: %s (%s)", c->buf, je.text);
            size_t used = (size_t)(nl - c->buf) + 1;
            memmove(c->buf, c->buf + used, c->len - used);
            c->len -= used;
            return j;
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int left = (int)(end - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
        if (left <= 0 || c->len == sizeof c->buf)
            return NULL;
        struct pollfd p = { .fd = c->out, .events = POLLIN };
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t k = read(c->out, c->buf + c->len, sizeof c->buf - c->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return NULL;
        c->len += (size_t)k;
    }
}

/* Wait for the CLI to exit (killing it after timeout_ms); its exit status,
 * -1 if it had to be killed. *errtext (may be NULL) gets its stderr. */
static int cli_wait(cli_t *c, int timeout_ms, char *errtext, size_t cap)
{
    int st = 0;
    int waited = 0;
    while (waitpid(c->pid, &st, WNOHANG) == 0) {
        if (waited >= timeout_ms) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &st, 0);
            st = -1;
            break;
        }
        nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
        waited += 20;
    }
    if (errtext) {
        ssize_t k = read(c->err, errtext, cap - 1);
        errtext[k > 0 ? k : 0] = 0;
    }
    close(c->out);
    close(c->err);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_record(json_t *j, const char *table, int id, const char *op, const char *value,
                          const char *previous)
{
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "table")), table);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "key"), "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(j, "op")), op);
    json_t *v = json_object_get(j, "value"), *p = json_object_get(j, "previous");
    if (value)
        ck_assert_str_eq(json_string_value(json_object_get(v, "name")), value);
    else
        ck_assert(json_is_null(v));
    if (previous)
        ck_assert_str_eq(json_string_value(json_object_get(p, "name")), previous);
    else
        ck_assert(json_is_null(p));
    ck_assert(json_is_string(json_object_get(j, "event_id")));
    ck_assert(json_is_integer(json_object_get(j, "partition")));
    ck_assert_int_gt(json_integer_value(json_object_get(j, "modification_time")), 0);
    ck_assert(json_is_integer(json_object_get(j, "expiration_time")));
}

/* ------------------------------------------------------------------------
 * tests
 * ------------------------------------------------------------------------ */

START_TEST(test_tail_count)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"a\"}");
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"b\"}");
    ck_assert(senv_delete(env.h, "t1", "{\"id\": 1}"));
    senv_put_opt(env.h, "t1", "{\"id\": 2, \"name\": \"c\"}", CSC_PUT_ALWAYS, NULL, "1 DAYS", NULL);
    cli_t c;
    cli_start(&c, (const char *const[]){ "tail", "t1", "--from", "earliest", "--count", "4", NULL });
    json_t *j[5];
    for (int i = 0; i < 4; i++)
        j[i] = cli_line(&c, LINE_WAIT_MS);
    j[4] = cli_line(&c, 3000);
    char errtext[2048];
    int st = cli_wait(&c, 10000, errtext, sizeof errtext);
    ck_assert_msg(st == 0, "exit %d: %s", st, errtext);
    expect_record(j[0], "t1", 1, "put", "a", NULL);
    expect_record(j[1], "t1", 1, "put", "b", "a");
    expect_record(j[2], "t1", 1, "delete", NULL, "b");
    expect_record(j[3], "t1", 2, "put", "c", NULL);
    ck_assert_int_gt(json_integer_value(json_object_get(j[3], "expiration_time")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(j[0], "expiration_time")), 0);
    ck_assert_ptr_null(j[4]); /* nothing past --count */
    for (int i = 0; i < 4; i++)
        json_decref(j[i]);
    /* the generated group was deleted at exit: under its name a new group
     * starts from the earliest event (had it survived, its close would have
     * committed all four and nothing would come) */
    char group[64];
    snprintf(group, sizeof group, "csemu-cli-%ld", (long)c.pid);
    csc_consumer_t *cons = senv_consumer(env.h, group, "t1", csc_start_first_uncommitted(), false);
    senv_recs_t r = { 0 };
    senv_poll_until(cons, 4, 100, 5000, false, &r);
    ck_assert_uint_eq(r.n, 4);
    senv_recs_free(&r);
    SENV_OK(csc_consumer_close(cons, &err), &err);
    csc_consumer_free(cons);
}
END_TEST

START_TEST(test_tail_follow_until_sigint)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    cli_t c;
    cli_start(&c, (const char *const[]){ "tail", "t1", "--group", "gf", "--from", "earliest",
                                         NULL });
    senv_put_range(env.h, "t1", 1, 3, "v");
    json_t *j[3];
    for (int i = 0; i < 3; i++) {
        j[i] = cli_line(&c, LINE_WAIT_MS);
        ck_assert_msg(j[i] != NULL, "line %d did not come", i);
    }
    senv_put(env.h, "t1", "{\"id\": 4, \"name\": \"v4\"}");
    json_t *j4 = cli_line(&c, LINE_WAIT_MS);
    expect_record(j4, "t1", 4, "put", "v4", NULL);
    kill(c.pid, SIGINT);
    char errtext[2048];
    int st = cli_wait(&c, 10000, errtext, sizeof errtext);
    ck_assert_msg(st == 0, "exit %d after SIGINT: %s", st, errtext);
    for (int i = 0; i < 3; i++)
        json_decref(j[i]);
    json_decref(j4);
    /* closed cleanly: everything printed was committed, the group kept */
    csc_consumer_t *cons = senv_consumer(env.h, "gf", "t1", csc_start_first_uncommitted(), false);
    senv_expect_nothing(cons, 300);
    SENV_OK(csc_consumer_close(cons, &err), &err);
    csc_consumer_free(cons);
    /* SIGTERM too */
    senv_put(env.h, "t1", "{\"id\": 5, \"name\": \"v5\"}");
    cli_start(&c, (const char *const[]){ "tail", "t1", "--group", "gf", NULL });
    json_t *j5 = cli_line(&c, LINE_WAIT_MS);
    expect_record(j5, "t1", 5, "put", "v5", NULL);
    json_decref(j5);
    kill(c.pid, SIGTERM);
    st = cli_wait(&c, 10000, errtext, sizeof errtext);
    ck_assert_msg(st == 0, "exit %d after SIGTERM: %s", st, errtext);
}
END_TEST

START_TEST(test_tail_manual)
{
    csc_error_t err;
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put_range(env.h, "t1", 1, 4, "v");
    cli_t c;
    cli_start(&c, (const char *const[]){ "tail", "t1", "--group", "gm", "--manual", "--from",
                                         "earliest", "--limit", "2", "--count", "3", NULL });
    senv_recs_t printed = { 0 };
    int ids[3];
    for (int i = 0; i < 3; i++) {
        json_t *j = cli_line(&c, LINE_WAIT_MS);
        ck_assert_ptr_nonnull(j);
        ids[i] = (int)json_integer_value(json_object_get(json_object_get(j, "key"), "id"));
        json_decref(j);
    }
    char errtext[2048];
    int st = cli_wait(&c, 10000, errtext, sizeof errtext);
    ck_assert_msg(st == 0, "exit %d: %s", st, errtext);
    /* the three printed rows were committed, the fourth was never received */
    csc_consumer_t *cons = senv_consumer(env.h, "gm", "t1", csc_start_first_uncommitted(), true);
    senv_poll_until(cons, 1, 100, 5000, false, &printed);
    ck_assert_uint_eq(printed.n, 1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_ne(printed.v[0].id, ids[i]);
    senv_expect_nothing(cons, 200);
    senv_recs_free(&printed);
    SENV_OK(csc_consumer_close(cons, &err), &err);
    csc_consumer_free(cons);
}
END_TEST

START_TEST(test_tail_from_time_and_tables)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_create_streamed(env.h, T2_DDL, "t2");
    senv_clock_set(&env, T0);
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"early\"}");
    senv_clock_set(&env, T0 + 60000);
    senv_put(env.h, "t1", "{\"id\": 2, \"name\": \"late\"}");
    senv_put(env.h, "t2", "{\"id\": 3, \"name\": \"late t2\"}");

    char iso[TIMEFMT_TEXT_MAX], ms[32];
    timefmt_format(timefmt_from_ms(T0 + 30000), iso, sizeof iso);
    snprintf(ms, sizeof ms, "%lld", (long long)(T0 + 30000));
    const char *froms[] = { iso, ms };
    for (int k = 0; k < 2; k++) {
        cli_t c;
        cli_start(&c, (const char *const[]){ "tail", "t1", "t2", "--from", froms[k], "--count",
                                             "2", NULL });
        json_t *a = cli_line(&c, LINE_WAIT_MS), *b = cli_line(&c, LINE_WAIT_MS);
        char errtext[2048];
        int st = cli_wait(&c, 10000, errtext, sizeof errtext);
        ck_assert_msg(st == 0, "--from %s: exit %d: %s", froms[k], st, errtext);
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        json_t *t1 = strcmp(json_string_value(json_object_get(a, "table")), "t1") == 0 ? a : b;
        json_t *t2 = t1 == a ? b : a;
        expect_record(t1, "t1", 2, "put", "late", NULL);
        expect_record(t2, "t2", 3, "put", "late t2", NULL);
        ck_assert_int_eq(json_integer_value(json_object_get(t1, "modification_time")), T0 + 60000);
        json_decref(a);
        json_decref(b);
    }
}
END_TEST

/* The reader of the output goes away (tail ... | head -1): tail stops and
 * closes its consumer instead of dying of SIGPIPE. */
START_TEST(test_tail_reader_gone)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_put(env.h, "t1", "{\"id\": 1, \"name\": \"v1\"}");
    cli_t c;
    cli_start(&c, (const char *const[]){ "tail", "t1", "--group", "gp", "--from", "earliest",
                                         NULL });
    json_t *j = cli_line(&c, LINE_WAIT_MS);
    expect_record(j, "t1", 1, "put", "v1", NULL);
    json_decref(j);
    close(c.out);
    c.out = open("/dev/null", O_RDONLY | O_CLOEXEC);
    senv_put(env.h, "t1", "{\"id\": 2, \"name\": \"v2\"}");
    char errtext[2048];
    int st = cli_wait(&c, 10000, errtext, sizeof errtext);
    ck_assert_msg(st == 0, "exit %d when its reader left: %s", st, errtext);
}
END_TEST

START_TEST(test_tail_errors)
{
    senv_create_streamed(env.h, T1_DDL, "t1");
    senv_ddl(env.h, "CREATE TABLE plain(id INTEGER, PRIMARY KEY(id))");
    static const struct { const char *args[8]; int status; int code; } cases[] = {
        { { "tail", "nosuch", "--count", "1", NULL }, 1, 2 },
        { { "tail", "plain", "--count", "1", NULL }, 1, -1 },
        { { "tail", NULL }, 2, 0 },
        { { "tail", "t1", "--from", "yesterday", NULL }, 2, 0 },
        { { "tail", "t1", "--count", "0", NULL }, 2, 0 },
        { { "tail", "t1", "--bogus", NULL }, 2, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cli_t c;
        cli_start(&c, cases[i].args);
        char errtext[2048];
        int st = cli_wait(&c, 10000, errtext, sizeof errtext);
        ck_assert_msg(st == cases[i].status, "case %zu: exit %d, want %d (%s)", i, st,
                      cases[i].status, errtext);
        json_t *j = json_loads(errtext, JSON_DISABLE_EOF_CHECK, NULL);
        ck_assert_msg(j != NULL, "case %zu: stderr is not one JSON error: %s", i, errtext);
        ck_assert(json_is_string(json_object_get(j, "message")));
        if (cases[i].code >= 0)
            ck_assert_int_eq(json_integer_value(json_object_get(j, "code")), cases[i].code);
        else
            ck_assert_int_ne(json_integer_value(json_object_get(j, "code")), 0);
        json_decref(j);
    }
}
END_TEST

static Suite *stream_cli_suite(void)
{
    Suite *s = suite_create("stream_cli");
    TCase *core = tcase_create("Core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_tail_count);
    tcase_add_test(core, test_tail_follow_until_sigint);
    tcase_add_test(core, test_tail_manual);
    tcase_add_test(core, test_tail_from_time_and_tables);
    tcase_add_test(core, test_tail_reader_gone);
    suite_add_tcase(s, core);
    TCase *lim = tcase_create("Limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_set_timeout(lim, 60);
    tcase_add_test(lim, test_tail_errors);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    return senv_main(stream_cli_suite());
}
