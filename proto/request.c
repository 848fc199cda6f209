/* request.c - decode the request envelope and encode error envelopes. */
#include "request.h"

#include <string.h>

proto_version_t proto_request_version(const uint8_t *body, size_t len)
{
    if (len >= 2 && body[0] == 0 && body[1] == 4)
        return PROTO_V4;
    return PROTO_OLD_VERSION;
}

cs_err_t proto_request_parse(arena_t *a, const uint8_t *body, size_t len, proto_request_t *req,
                             cs_error_t *err)
{
    static const nson_value_t empty_map = { .type = NSON_MAP };
    memset(req, 0, sizeof *req);
    if (proto_request_version(body, len) != PROTO_V4)
        return cs_fail(err, CS_EPROTO, "Invalid driver serial version");
    req->serial_version = 4;
    nson_value_t *root = nson_decode(a, body + 2, len - 2, false, err);
    if (!root)
        return err ? err->code : CS_EPROTO;
    if (root->type != NSON_MAP)
        return cs_fail(err, CS_EPROTO, "request body is %s, expected a MAP",
                       nson_type_name(root->type));
    const nson_value_t *h = nson_map_get(root, "h");
    if (!h || h->type != NSON_MAP)
        return cs_fail(err, CS_EPROTO, "request has no header MAP \"h\"");
    const nson_value_t *p = nson_map_get(root, "p");
    if (p && p->type != NSON_MAP)
        return cs_fail(err, CS_EPROTO, "request payload \"p\" is %s, expected a MAP",
                       nson_type_name(p->type));
    req->header = h;
    req->payload = p ? p : &empty_map;

    bool bad = false;
    int32_t v = 0;
    if (nson_get_int(h, "v", &v, &bad) && v != 4)
        return cs_fail(err, CS_EPROTO, "header version %d does not match serial version 4", v);
    if (!nson_get_int(h, "o", &req->op, &bad))
        return cs_fail(err, CS_EPROTO, bad ? "header field \"o\" is not an INTEGER"
                                           : "request header has no op code \"o\"");
    if (!nson_get_int(h, "t", &req->timeout_ms, &bad))
        req->timeout_ms = 0;
    if (!nson_get_int(h, "ts", &req->topo_seq, &bad))
        req->topo_seq = -1;
    if (!nson_get_string(h, "n", &req->table, &bad))
        req->table = NULL;
    if (bad)
        return cs_fail(err, CS_EPROTO, "request header has a field of the wrong type");
    return CS_OK;
}

void proto_v3_error(buf_t *out, int code, const char *msg)
{
    uint8_t t[5];
    size_t n = strlen(msg);
    buf_putc(out, (uint8_t)code);
    buf_append(out, t, nson_pack_int(t, (int32_t)n));
    buf_append(out, msg, n);
}

void proto_error_reply(buf_t *out, int code, const char *msg)
{
    nson_writer_t w;
    nson_writer_init(&w, out);
    nson_w_map_begin(&w);
    nson_w_kv_int(&w, "e", code);
    nson_w_kv_string(&w, "x", msg);
    nson_w_map_end(&w);
}
