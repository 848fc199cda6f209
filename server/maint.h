/*
 * maint.h - background maintenance: one thread that wakes periodically to
 * purge change events past the retention period and expire silent
 * consumers, in small bounded transactions so requests never wait long.
 */
#ifndef CS_MAINT_H
#define CS_MAINT_H

#include "cs_err.h"
#include "server.h"

cs_err_t maint_start(server_t *srv, cs_error_t *err);
void maint_stop(server_t *srv);
/* Run one pass now (tests and admin use it). */
void maint_run_once(server_t *srv);

#endif
