/* csemu.c - the csemu processes of the bench (see bench.h). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READY_MARK "ready on http://"

static cs_err_t spawn(const bench_ctx_t *b, csemu_t *s, cs_error_t *err)
{
    char *argv[] = { (char *)b->server_bin, "--host", "127.0.0.1", "--port", "0", "--data",
                     s->data, s->sync ? "--sync" : NULL, NULL };
    cs_err_t rc = proc_spawn(&s->p, argv, READY_MARK, 30000, err);
    if (rc != CS_OK)
        return rc;
    const char *url = strstr(s->p.ready_line, READY_MARK) + strlen("ready on ");
    size_t n = strcspn(url, " \t\r\n");
    snprintf(s->endpoint, sizeof s->endpoint, "%.*s", (int)n, url);
    const char *colon = strrchr(s->endpoint, ':');
    s->port = colon ? atoi(colon + 1) : 0;
    if (s->port <= 0 || s->port > 65535) {
        proc_kill9(&s->p);
        return cs_fail(err, CS_EPROTO, "no port in the ready line: %s", s->p.ready_line);
    }
    return CS_OK;
}

cs_err_t csemu_start(const bench_ctx_t *b, csemu_t *s, const char *data_dir, bool sync,
                     cs_error_t *err)
{
    memset(s, 0, sizeof *s);
    s->p.out_fd = -1;
    s->sync = sync;
    if (data_dir) {
        snprintf(s->data, sizeof s->data, "%s", data_dir);
    } else {
        cs_err_t rc = tmpdir_make(b->work, sync ? "data-sync-" : "data-", s->data,
                                  sizeof s->data, err);
        if (rc != CS_OK)
            return rc;
        s->own_data = true;
    }
    cs_err_t rc = spawn(b, s, err);
    if (rc != CS_OK && s->own_data) {
        tmpdir_remove(s->data);
        s->own_data = false;
    }
    return rc;
}

cs_err_t csemu_restart(const bench_ctx_t *b, csemu_t *s, cs_error_t *err)
{
    if (s->p.pid > 0)
        proc_stop(&s->p, 10000);
    return spawn(b, s, err);
}

void csemu_stop(csemu_t *s, bool keep_data)
{
    proc_stop(&s->p, 10000);
    if (!keep_data && s->own_data)
        tmpdir_remove(s->data);
    s->own_data = s->own_data && keep_data;
}

void csemu_kill9(csemu_t *s)
{
    proc_kill9(&s->p);
}
