/*
 * handlers.h - one handler per operation, grouped in one file per resource:
 * op_system.c (SystemRequest/Status), op_table.c (TableRequest, GetTable,
 * ListTables, GetIndexes, TableUsage), op_rows.c (Get, Put, Delete,
 * WriteMultiple, MultiDelete), op_query.c (Query, Prepare), op_stream.c
 * (ChangeStreamConsumer/Poll).
 * Each reads ctx->req->payload and writes its reply fields to ctx->w.
 */
#ifndef CS_HANDLERS_H
#define CS_HANDLERS_H

#include "dispatch.h"

cs_err_t op_system_request(op_ctx_t *ctx);
cs_err_t op_system_status(op_ctx_t *ctx);

cs_err_t op_table_request(op_ctx_t *ctx);
cs_err_t op_get_table(op_ctx_t *ctx);
cs_err_t op_list_tables(op_ctx_t *ctx);
cs_err_t op_get_indexes(op_ctx_t *ctx);
cs_err_t op_table_usage(op_ctx_t *ctx);

cs_err_t op_get(op_ctx_t *ctx);
cs_err_t op_put(op_ctx_t *ctx);
cs_err_t op_delete(op_ctx_t *ctx);
cs_err_t op_write_multiple(op_ctx_t *ctx);
cs_err_t op_multi_delete(op_ctx_t *ctx);

cs_err_t op_query(op_ctx_t *ctx);     /* op_query.c: simple-query path */
cs_err_t op_prepare(op_ctx_t *ctx);

cs_err_t op_stream_consumer(op_ctx_t *ctx);
cs_err_t op_stream_poll(op_ctx_t *ctx);

#endif
