/*
 * op_system.c - SystemRequest (23) and SystemStatus (24).
 *
 * The cloud service has no namespaces, users or roles, so SystemRequest
 * statements are refused as the cloud refuses them. SystemStatus is answered
 * as complete: nothing csemu does is asynchronous. SystemStatus is also the
 * server's cheapest request, the baseline of the benchmarks.
 */
#include "handlers.h"

#include <string.h>

cs_err_t op_system_request(op_ctx_t *ctx)
{
    const uint8_t *st = NULL;
    uint32_t len = 0;
    bool bad = false;
    if (!nson_get_binary(ctx->req->payload, "st", &st, &len, &bad) || len == 0)
        return cs_fail(ctx->err, CS_EINVAL, "SystemRequest requires a statement");
    return cs_fail(ctx->err, CS_ENOTSUP,
                   "SystemRequest '%.*s' is not supported: the cloud service has no "
                   "namespaces, users or roles", (int)(len > 80 ? 80 : len), (const char *)st);
}

cs_err_t op_system_status(op_ctx_t *ctx)
{
    const char *od = NULL, *st = NULL;
    bool bad = false;
    nson_get_string(ctx->req->payload, "od", &od, &bad);
    nson_get_string(ctx->req->payload, "st", &st, &bad);
    if (bad)
        return cs_fail(ctx->err, CS_EINVAL, "SystemStatus fields must be STRINGs");
    nson_w_kv_int(ctx->w, "ta", 0);   /* COMPLETE */
    if (od)
        nson_w_kv_string(ctx->w, "od", od);
    if (st)
        nson_w_kv_string(ctx->w, "st", st);
    nson_w_kv_string(ctx->w, "rs", "");
    return CS_OK;
}
