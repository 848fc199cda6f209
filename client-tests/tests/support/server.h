/*
 * server.h - run the real csemu binary as a child process for integration
 * tests.
 *
 * test_server_start() forks and execs `$CSEMU_BIN --host 127.0.0.1 --port 0
 * --data DIR [extra args]` (the Makefile sets CSEMU_BIN), on a fresh
 * mkdtemp directory unless one is given, and reads the child's stdout until
 * the one line containing "ready on http://127.0.0.1:PORT" (the server
 * prints the port it bound). Never a fixed port, never a signal to anything
 * but our own child's pid. The child dies with the test process
 * (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
 *
 * After readiness the child's stdout is drained by a thread (copied to our
 * stderr when CSEMU_TEST_VERBOSE is set); its stderr is inherited. Unless
 * CSEMU_LOG_LEVEL is set, the child runs with CSEMU_LOG_LEVEL=warn.
 */
#ifndef CSEMU_TEST_SERVER_H
#define CSEMU_TEST_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cs_err.h"

#define TEST_SERVER_START_TIMEOUT_MS 30000
#define TEST_SERVER_STOP_TIMEOUT_MS 10000

typedef struct test_server_opts {
    const char *bin;                /* NULL: $CSEMU_BIN, else "build/csemu" */
    const char *data_dir;           /* NULL: fresh mkdtemp dir, removed by cleanup */
    const char *const *extra_args;  /* NULL-terminated, appended; borrowed for the server's life */
    int start_timeout_ms;           /* 0: TEST_SERVER_START_TIMEOUT_MS */
} test_server_opts_t;

typedef struct test_server {
    pid_t pid;                      /* running child, 0 when stopped */
    int port;
    char endpoint[128];             /* "http://127.0.0.1:PORT" */
    char data_dir[4096];
    bool own_data_dir;              /* made by us: removed by test_server_cleanup */
    char bin[4096];
    const char *const *extra_args;
    int start_timeout_ms;
    int out_fd;                     /* read end of the child's stdout, -1 when none */
    pthread_t drain;
    bool draining;
    int last_status;                /* wait status of the last exit (waitpid) */
} test_server_t;

/* Start a server; on CS_OK s->endpoint and s->data_dir are set. On error
 * (binary missing, exited before ready, no readiness line in time) the
 * child is gone and err says why, including its exit status. Call
 * test_server_cleanup() in every case. */
cs_err_t test_server_start(test_server_t *s, const test_server_opts_t *opts, cs_error_t *err);

/* SIGTERM, then wait up to timeout_ms (0: default) for the exit; if it does
 * not exit, SIGKILL it and return CS_EBUSY. *wait_status (may be NULL) gets
 * the waitpid status. Stopping a stopped server is CS_OK. */
cs_err_t test_server_stop(test_server_t *s, int timeout_ms, int *wait_status, cs_error_t *err);

/* kill -9 and reap: a crash, for durability tests. */
cs_err_t test_server_kill9(test_server_t *s, int *wait_status, cs_error_t *err);

/* Stop if running (SIGTERM), then start again on the same data dir with
 * the same binary and arguments; the endpoint (port) may change. */
cs_err_t test_server_restart(test_server_t *s, cs_error_t *err);

/* Kill the child if still running, and remove the data dir if we made it. */
void test_server_cleanup(test_server_t *s);

/* True for a clean exit: exited with status 0. */
bool test_server_exited_cleanly(int wait_status);
/* "exited with status 3", "killed by signal 9": for messages. */
const char *test_server_describe_status(int wait_status, char *buf, size_t len);

#endif
