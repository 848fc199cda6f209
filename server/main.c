/*
 * main.c - csemu: parse settings, open the store, serve until SIGINT/SIGTERM.
 *
 * Signals are blocked before any thread starts and taken synchronously with
 * sigwait(), so shutdown runs in one place: stop HTTP (in-flight requests
 * finish), stop background work, close the store. Every acknowledged write
 * is then in the data directory for the next start.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "cursor.h"
#include "http.h"
#include "log.h"
#include "maint.h"
#include "server.h"
#include "store.h"
#include "tcache.h"

int main(int argc, char **argv)
{
    server_t srv;
    memset(&srv, 0, sizeof srv);
    switch (config_load(&srv.cfg, argc, argv)) {
    case CONFIG_EXIT_OK: return 0;
    case CONFIG_EXIT_ERROR: return 2;
    case CONFIG_RUN: break;
    }
    log_set_level((log_level_t)srv.cfg.log_level);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 1;
    cs_error_t err;
    cs_error_clear(&err);
    srv.started_ms = clock_now_ms();
    store_opts_t so = { .dir = srv.cfg.data_dir, .map_size = srv.cfg.map_size,
                        .sync = srv.cfg.sync };
    if (store_open(&so, &srv.store, &err) != CS_OK) {
        fprintf(stderr, "csemu: cannot open data directory %s: %s\n", srv.cfg.data_dir, err.msg);
        return 1;
    }
    /* Test-only crash point (STYLE rule 14): exit abruptly right after the
     * Nth write commit, so tests can kill the server between any two
     * commits and check what survives. Not a documented option. */
    const char *crash = getenv("CSEMU_TEST_EXIT_AFTER_COMMITS");
    if (crash && *crash) {
        store_faults_t f = { .exit_after_commits = strtoull(crash, NULL, 10) };
        store_set_faults(srv.store, &f);
        srv.maint_paused = true;   /* count only the commits of requests */
    }
    srv.cursor_key = cursor_key_new(store_secret(srv.store), STORE_SECRET_LEN);
    if (!srv.cursor_key) {
        fprintf(stderr, "csemu: OpenSSL provides no HMAC-SHA256 for consumer cursors\n");
        goto out_store;
    }
    if (tcache_init(&srv, &err) != CS_OK || maint_start(&srv, &err) != CS_OK) {
        fprintf(stderr, "csemu: %s\n", err.msg);
        goto out_store;
    }
    int port = 0;
    if (http_start(&srv, &srv.http, &port, &err) != CS_OK) {
        fprintf(stderr, "csemu: %s\n", err.msg);
        goto out_maint;
    }
    bool v6 = strchr(srv.cfg.host, ':') != NULL;
    printf("csemu %s ready on http://%s%s%s:%d (data: %s%s)\n", CSEMU_VERSION, v6 ? "[" : "",
           srv.cfg.host, v6 ? "]" : "", port, srv.cfg.data_dir, srv.cfg.sync ? ", sync" : "");
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("signal %d: shutting down", sig);
    http_stop(srv.http);
    rc = 0;
out_maint:
    maint_stop(&srv);
out_store:
    tcache_clear(&srv);
    cursor_key_free(srv.cursor_key);
    store_close(srv.store);
    return rc;
}
