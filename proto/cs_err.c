/* cs_err.c - names and message helpers for cs_err_t. */
#include "cs_err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const err_names[CS_ERR__COUNT] = {
    [CS_OK] = "ok",
    [CS_EINVAL] = "illegal argument",
    [CS_EPROTO] = "bad protocol message",
    [CS_ENOTABLE] = "table not found",
    [CS_ETABLEEXISTS] = "table exists",
    [CS_ENOINDEX] = "index not found",
    [CS_EINDEXEXISTS] = "index exists",
    [CS_ENOTFOUND] = "resource not found",
    [CS_EEXIST] = "resource exists",
    [CS_ENOTSUP] = "operation not supported",
    [CS_EUNKNOWNOP] = "unknown opcode",
    [CS_ESTATE] = "illegal state",
    [CS_ETOOBIG] = "request too large",
    [CS_EROWSIZE] = "row too large",
    [CS_EKEYSIZE] = "key too large",
    [CS_EBATCH] = "too many operations",
    [CS_EETAG] = "etag mismatch",
    [CS_ESPACE] = "storage full",
    [CS_EAUTH] = "invalid authorization",
    [CS_EPERM] = "insufficient permission",
    [CS_ETABLELIMIT] = "limit exceeded",
    [CS_EBUSY] = "busy",
    [CS_ENOMEM] = "out of memory",
    [CS_EIO] = "i/o error",
    [CS_ECORRUPT] = "corrupt store",
};

const char *cs_strerror(cs_err_t code)
{
    if ((int)code < 0 || code >= CS_ERR__COUNT || !err_names[code])
        return "unknown error";
    return err_names[code];
}

cs_err_t cs_fail(cs_error_t *err, cs_err_t code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void cs_error_clear(cs_error_t *err)
{
    if (err) {
        err->code = CS_OK;
        err->msg[0] = '\0';
    }
}
