/* csc_internal.c - operation plumbing and the strict reply decoder. */
#include "csc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cs_err_t build_payload(csc_build_fn build, const void *req, csc_header_t *hdr,
                              buf_t *payload, csc_error_t *err)
{
    nson_writer_t w;
    memset(hdr, 0, sizeof *hdr);
    nson_writer_init(&w, payload);
    nson_w_map_begin(&w);
    cs_err_t rc = build(req, hdr, &w, err);
    if (rc)
        return rc;
    nson_w_map_end(&w);
    if (!nson_writer_ok(&w))
        return cs_fail(&err->e, CS_ENOMEM, "cannot encode the request payload");
    return CS_OK;
}

cs_err_t csc_op_encode(const csc_handle_t *h, csc_build_fn build, const void *req, buf_t *body,
                       csc_error_t *err)
{
    csc_header_t hdr;
    buf_t payload;
    buf_init(&payload, 0);
    csc_error_clear(err);
    cs_err_t rc = build_payload(build, req, &hdr, &payload, err);
    if (!rc)
        rc = csc_request_encode(h, &hdr, payload.data, payload.len, body, err);
    buf_free(&payload);
    return rc;
}

cs_err_t csc_op_send(csc_handle_t *h, csc_build_fn build, const void *req, csc_reply_t *reply,
                     csc_error_t *err)
{
    csc_header_t hdr;
    buf_t payload;
    buf_init(&payload, 0);
    memset(reply, 0, sizeof *reply);
    csc_error_clear(err);
    cs_err_t rc = build_payload(build, req, &hdr, &payload, err);
    if (!rc)
        rc = csc_send(h, &hdr, payload.data, payload.len, reply, err);
    buf_free(&payload);
    return rc;
}

void csc_dec_fail(csc_dec_t *d, const char *key, const char *what)
{
    if (d->rc)
        return;
    d->rc = cs_fail(&d->err->e, CS_EPROTO, "reply field \"%s\": %s", key, what);
}

const nson_value_t *csc_dec_typed(csc_dec_t *d, const nson_value_t *v, const char *key,
                                  int type)
{
    if (d->rc || !v)
        return NULL;
    if ((int)v->type != type) {
        char what[96];
        snprintf(what, sizeof what, "expected %s, got %s", nson_type_name(type),
                 nson_type_name(v->type));
        csc_dec_fail(d, key, what);
        return NULL;
    }
    return v;
}

/* The field, or NULL when absent / after a failure / of the wrong type. */
static const nson_value_t *field(csc_dec_t *d, const nson_value_t *m, const char *key, int type)
{
    if (d->rc || !m)
        return NULL;
    return csc_dec_typed(d, nson_map_get(m, key), key, type);
}

bool csc_dec_str(csc_dec_t *d, const nson_value_t *m, const char *key, char **out)
{
    const nson_value_t *v = field(d, m, key, NSON_STRING);
    if (!v || v->u.str.is_null)
        return false;
    free(*out);
    *out = strndup(v->u.str.ptr, v->u.str.len);
    if (!*out && !d->rc)
        d->rc = cs_fail(&d->err->e, CS_ENOMEM, "out of memory");
    return *out != NULL;
}

bool csc_dec_str_in(csc_dec_t *d, const nson_value_t *m, const char *key, arena_t *a,
                    char **out)
{
    const nson_value_t *v = field(d, m, key, NSON_STRING);
    if (!v || v->u.str.is_null)
        return false;
    *out = arena_strndup(a, v->u.str.ptr, v->u.str.len);
    if (!*out && !d->rc)
        d->rc = cs_fail(&d->err->e, CS_ENOMEM, "out of memory");
    return *out != NULL;
}

bool csc_dec_int(csc_dec_t *d, const nson_value_t *m, const char *key, int *out)
{
    const nson_value_t *v = field(d, m, key, NSON_INTEGER);
    if (v)
        *out = v->u.i;
    return v != NULL;
}

bool csc_dec_long(csc_dec_t *d, const nson_value_t *m, const char *key, int64_t *out)
{
    const nson_value_t *v = field(d, m, key, NSON_LONG);
    if (v)
        *out = v->u.l;
    return v != NULL;
}

bool csc_dec_bool(csc_dec_t *d, const nson_value_t *m, const char *key, bool *out)
{
    const nson_value_t *v = field(d, m, key, NSON_BOOLEAN);
    if (v)
        *out = v->u.b;
    return v != NULL;
}

bool csc_dec_bytes(csc_dec_t *d, const nson_value_t *m, const char *key, csc_bytes_t *out)
{
    const nson_value_t *v = field(d, m, key, NSON_BINARY);
    if (!v)
        return false;
    csc_bytes_free(out);
    cs_err_t rc = csc_bytes_from_nson(v, out, &d->err->e);
    if (rc)
        d->rc = rc;
    return !rc && out->data;
}

bool csc_dec_row(csc_dec_t *d, const nson_value_t *m, const char *key, csc_row_t *out)
{
    if (d->rc || !m)
        return false;
    const nson_value_t *v = nson_map_get(m, key);
    if (!v)
        return false;
    csc_row_free(out);
    cs_err_t rc = csc_row_from_nson(v, out, &d->err->e);
    if (rc)
        d->rc = rc;
    return !rc;
}

const nson_value_t *csc_dec_array(csc_dec_t *d, const nson_value_t *m, const char *key)
{
    return field(d, m, key, NSON_ARRAY);
}

const nson_value_t *csc_dec_map(csc_dec_t *d, const nson_value_t *m, const char *key)
{
    return field(d, m, key, NSON_MAP);
}
