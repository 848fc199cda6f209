/* op_common.c - table lookup and capacity reporting shared by the handlers. */
#include "op_common.h"

#include <string.h>

int64_t op_kb_of(size_t bytes)
{
    size_t kb = (bytes + 1023) / 1024;
    return (int64_t)(kb ? kb : 1);
}

static int32_t clamp32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < 0 ? 0 : (int32_t)v;
}

void op_write_consumed(nson_writer_t *w, const consumed_t *c)
{
    nson_w_key(w, "c");
    nson_w_map_begin(w);
    nson_w_kv_int(w, "ru", clamp32(c->read_units));
    nson_w_kv_int(w, "rk", clamp32(c->read_kb));
    nson_w_kv_int(w, "wk", clamp32(c->write_kb));
    nson_w_map_end(w);
}

cs_err_t op_table_open(op_ctx_t *ctx, store_txn_t *t, const char *name, table_ctx_t *tc,
                       cs_error_t *err)
{
    memset(tc, 0, sizeof *tc);
    if (!tables_lookup_name(t, ctx->tenant, name, false, &tc->rec))
        return t->ret ? store_txn_error(t, err)
                      : cs_fail(err, CS_ENOTABLE, "Table not found: %s", name);
    tc->ent = tcache_get(ctx->srv, t, &tc->rec, err);
    return tc->ent ? CS_OK : err->code;
}

void op_table_close(table_ctx_t *tc)
{
    tcache_put(tc->ent);
    tc->ent = NULL;
}
