/* reply.c - success envelopes and error replies in the protocol's format. */
#include "reply.h"

#include "log.h"
#include "request.h"
#include "wire.h"

void reply_begin_ok(nson_writer_t *w, buf_t *out)
{
    nson_writer_init(w, out);
    nson_w_map_begin(w);
    nson_w_kv_int(w, "e", 0);
}

bool reply_end_ok(nson_writer_t *w)
{
    nson_w_map_end(w);
    return nson_writer_ok(w);
}

bool reply_is_internal(cs_err_t code)
{
    return code == CS_ENOMEM || code == CS_EIO || code == CS_ECORRUPT;
}

void reply_error(buf_t *out, cs_err_t code, const char *msg, const char *what)
{
    int wire = wire_code_from_err(code);
    if (!msg || !*msg)
        msg = cs_strerror(code);
    if (reply_is_internal(code))
        log_error("%s failed: %s (code %d)", what ? what : "request", msg, wire);
    else
        log_warn("%s rejected: %s (code %d)", what ? what : "request", msg, wire);
    buf_reset(out);
    proto_error_reply(out, wire, msg);
}
