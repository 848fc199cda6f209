/*
 * op_common.h - pieces every data handler shares: opening the table a
 * request names (record + parsed schema, inside the caller's transaction)
 * and the consumed-capacity reply field, computed the service's way.
 */
#ifndef CS_OP_COMMON_H
#define CS_OP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"
#include "store.h"
#include "tables.h"
#include "tcache.h"

/* Consumed capacity ("c"): read KB, read units (2 per KB for absolute
 * reads), write KB (the SDKs take write units from it). */
typedef struct consumed {
    int64_t read_kb, read_units, write_kb;
} consumed_t;

/* Bytes in the service's 1 KB units: rounded up, at least 1. */
int64_t op_kb_of(size_t bytes);

void op_write_consumed(nson_writer_t *w, const consumed_t *c);

/* The table a request names and its parsed schema. */
typedef struct table_ctx {
    table_rec_t rec;
    table_ent_t *ent;
} table_ctx_t;

/* Look the tenant's table up in txn t; CS_ENOTABLE "Table not found: name". */
cs_err_t op_table_open(op_ctx_t *ctx, store_txn_t *t, const char *name, table_ctx_t *tc,
                       cs_error_t *err);
/* Release what op_table_open took; safe on a zeroed or failed table_ctx_t. */
void op_table_close(table_ctx_t *tc);

#endif
