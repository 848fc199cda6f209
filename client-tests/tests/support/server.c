/*
 * server.c - child-process control of the csemu binary for integration
 * tests (see server.h). Only our own child's pid is ever signalled.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_MARK "ready on http://"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *test_server_describe_status(int st, char *buf, size_t len)
{
    if (WIFEXITED(st))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(buf, len, "wait status 0x%x", st);
    return buf;
}

bool test_server_exited_cleanly(int st)
{
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ------------------------------------------------------------------------
 * stdout after readiness
 * ------------------------------------------------------------------------ */

static void *drain_main(void *arg)
{
    test_server_t *s = arg;
    bool echo = getenv("CSEMU_TEST_VERBOSE") != NULL;
    char buf[4096];
    for (;;) {
        ssize_t n = read(s->out_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (echo && fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
            break;
    }
    return NULL;
}

/* Join the drain thread (the child is gone, so its stdout hit EOF). */
static void close_output(test_server_t *s)
{
    if (s->draining) {
        pthread_join(s->drain, NULL);
        s->draining = false;
    }
    if (s->out_fd >= 0) {
        close(s->out_fd);
        s->out_fd = -1;
    }
}

/* ------------------------------------------------------------------------
 * waiting
 * ------------------------------------------------------------------------ */

/* Reap the child within timeout_ms; true if it exited. */
static bool reap(test_server_t *s, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid || (r < 0 && errno == ECHILD)) {
            s->last_status = r == s->pid ? st : 0;
            s->pid = 0;
            return true;
        }
        if (now_ms() >= end)
            return false;
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static void kill_and_reap(test_server_t *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    reap(s, 60000);
}

/* ------------------------------------------------------------------------
 * start
 * ------------------------------------------------------------------------ */

/* Read stdout until the readiness line; fills s->endpoint / s->port. */
static cs_err_t await_ready(test_server_t *s, cs_error_t *err)
{
    char buf[8192];
    size_t len = 0;
    int64_t end = now_ms() + s->start_timeout_ms;
    for (;;) {
        buf[len] = 0;
        char *mark = strstr(buf, READY_MARK);
        if (mark && strchr(mark, '\n')) {
            char *url = mark + strlen("ready on ");
            size_t ulen = strcspn(url, " \t\r\n");
            if (ulen >= sizeof s->endpoint)
                return cs_fail(err, CS_EPROTO, "readiness line has an endpoint too long");
            memcpy(s->endpoint, url, ulen);
            s->endpoint[ulen] = 0;
            /* a bracketed IPv6 host may hold ':' too: the port follows the last one */
            const char *colon = strrchr(s->endpoint, ':');
            s->port = colon ? atoi(colon + 1) : 0;
            if (s->port <= 0 || s->port > 65535)
                return cs_fail(err, CS_EPROTO, "readiness line has no port: %s", s->endpoint);
            return CS_OK;
        }
        if (len == sizeof buf - 1) {
            /* keep the tail: the mark may straddle the cut */
            memmove(buf, buf + len / 2, len - len / 2);
            len -= len / 2;
        }
        int left = (int)(end - now_ms());
        if (left <= 0)
            return cs_fail(err, CS_EBUSY, "%s printed no '%s...' line within %d ms", s->bin,
                           READY_MARK, s->start_timeout_ms);
        struct pollfd p = { .fd = s->out_fd, .events = POLLIN };
        int pr = poll(&p, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        ssize_t n = read(s->out_fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char st[96];
            reap(s, 5000);
            buf[len] = 0;
            return cs_fail(err, CS_EIO, "%s %s before it was ready; its output: %.300s", s->bin,
                           s->pid ? "closed its stdout"
                                  : test_server_describe_status(s->last_status, st, sizeof st),
                           buf);
        }
        len += (size_t)n;
    }
}

static cs_err_t spawn(test_server_t *s, cs_error_t *err)
{
    int fds[2];
    if (access(s->bin, X_OK) != 0)
        return cs_fail(err, CS_EIO, "server binary %s: %s (set CSEMU_BIN)", s->bin,
                       strerror(errno));
    if (pipe2(fds, O_CLOEXEC) != 0)
        return cs_fail(err, CS_EIO, "pipe: %s", strerror(errno));

    const char *argv[64];
    int ac = 0;
    argv[ac++] = s->bin;
    argv[ac++] = "--host";
    argv[ac++] = "127.0.0.1";
    argv[ac++] = "--port";
    argv[ac++] = "0";
    argv[ac++] = "--data";
    argv[ac++] = s->data_dir;
    for (int i = 0; s->extra_args && s->extra_args[i] && ac < 63; i++)
        argv[ac++] = s->extra_args[i];
    argv[ac] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return cs_fail(err, CS_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* child: stdout to the pipe, die with the test process */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(126);
        setenv("CSEMU_LOG_LEVEL", "warn", 0);
        execv(s->bin, (char *const *)argv);
        dprintf(STDERR_FILENO, "exec %s: %s\n", s->bin, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    s->pid = pid;
    s->out_fd = fds[0];
    cs_err_t rc = await_ready(s, err);
    if (rc) {
        kill_and_reap(s);
        close_output(s);
        return rc;
    }
    if (pthread_create(&s->drain, NULL, drain_main, s) == 0)
        s->draining = true;
    return CS_OK;
}

cs_err_t test_server_start(test_server_t *s, const test_server_opts_t *opts, cs_error_t *err)
{
    memset(s, 0, sizeof *s);
    s->out_fd = -1;
    const char *bin = opts && opts->bin ? opts->bin : getenv("CSEMU_BIN");
    if (!bin || !*bin)
        bin = "build/csemu";
    snprintf(s->bin, sizeof s->bin, "%s", bin);
    s->extra_args = opts ? opts->extra_args : NULL;
    s->start_timeout_ms = opts && opts->start_timeout_ms > 0 ? opts->start_timeout_ms
                                                             : TEST_SERVER_START_TIMEOUT_MS;
    if (opts && opts->data_dir) {
        snprintf(s->data_dir, sizeof s->data_dir, "%s", opts->data_dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->data_dir, sizeof s->data_dir, "%s/csemu-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(s->data_dir))
            return cs_fail(err, CS_EIO, "mkdtemp %s: %s", s->data_dir, strerror(errno));
        s->own_data_dir = true;
    }
    return spawn(s, err);
}

/* ------------------------------------------------------------------------
 * stop, kill, restart, cleanup
 * ------------------------------------------------------------------------ */

cs_err_t test_server_stop(test_server_t *s, int timeout_ms, int *wait_status, cs_error_t *err)
{
    cs_err_t rc = CS_OK;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (!reap(s, timeout_ms > 0 ? timeout_ms : TEST_SERVER_STOP_TIMEOUT_MS)) {
            kill_and_reap(s);
            rc = cs_fail(err, CS_EBUSY, "server did not exit within %d ms of SIGTERM; killed",
                         timeout_ms > 0 ? timeout_ms : TEST_SERVER_STOP_TIMEOUT_MS);
        }
    }
    close_output(s);
    if (wait_status)
        *wait_status = s->last_status;
    return rc;
}

cs_err_t test_server_kill9(test_server_t *s, int *wait_status, cs_error_t *err)
{
    (void)err;
    kill_and_reap(s);
    close_output(s);
    if (wait_status)
        *wait_status = s->last_status;
    return CS_OK;
}

cs_err_t test_server_restart(test_server_t *s, cs_error_t *err)
{
    cs_err_t rc = test_server_stop(s, 0, NULL, err);
    if (rc)
        return rc;
    s->endpoint[0] = 0;
    s->port = 0;
    return spawn(s, err);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_server_cleanup(test_server_t *s)
{
    kill_and_reap(s);
    close_output(s);
    if (s->own_data_dir && s->data_dir[0]) {
        nftw(s->data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        s->own_data_dir = false;
    }
}
