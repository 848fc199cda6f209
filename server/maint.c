/* maint.c - the background maintenance thread (retention, liveness). */
#include "maint.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "maint_tasks.h"

struct maint {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

#define MAINT_PERIOD_MS 1000

void maint_run_once(server_t *srv)
{
    if (!srv->maint_paused)
        maint_tasks_run(srv);
}

static void *maint_main(void *arg)
{
    server_t *srv = arg;
    struct maint *m = srv->maint;
    pthread_mutex_lock(&m->lock);
    while (!m->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);   /* real time: the pace, not the test clock */
        until.tv_sec += MAINT_PERIOD_MS / 1000;
        pthread_cond_timedwait(&m->wake, &m->lock, &until);
        if (m->stop)
            break;
        pthread_mutex_unlock(&m->lock);
        maint_run_once(srv);
        pthread_mutex_lock(&m->lock);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

cs_err_t maint_start(server_t *srv, cs_error_t *err)
{
    struct maint *m = calloc(1, sizeof *m);
    if (!m)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    srv->maint = m;
    if (pthread_create(&m->thread, NULL, maint_main, srv) != 0) {
        srv->maint = NULL;
        free(m);
        return cs_fail(err, CS_EIO, "cannot start the maintenance thread");
    }
    return CS_OK;
}

void maint_stop(server_t *srv)
{
    struct maint *m = srv->maint;
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stop = true;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->wake);
    free(m);
    srv->maint = NULL;
}
