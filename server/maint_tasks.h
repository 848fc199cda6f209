/*
 * maint_tasks.h - the periodic tasks the maintenance thread runs: purge
 * change events past retention, expire consumers past their max poll
 * interval. Each task does a bounded amount of work per call.
 */
#ifndef CS_MAINT_TASKS_H
#define CS_MAINT_TASKS_H

#include "server.h"

void maint_tasks_run(server_t *srv);

#endif
