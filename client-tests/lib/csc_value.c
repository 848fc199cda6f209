/* csc_value.c - values in and out of the client API (see csc_value.h). */
#include "csc_value.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nson_json.h"

void csc_row_free(csc_row_t *r)
{
    if (!r)
        return;
    json_decref(r->json);
    if (!r->nson_borrowed)
        free(r->nson);
    memset(r, 0, sizeof *r);
}

void csc_bytes_free(csc_bytes_t *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

void csc_return_info_free(csc_return_info_t *ri)
{
    if (!ri)
        return;
    csc_row_free(&ri->existing_value);
    csc_bytes_free(&ri->existing_version);
    memset(ri, 0, sizeof *ri);
}

cs_err_t csc_row_from_nson(const nson_value_t *v, csc_row_t *r, cs_error_t *err)
{
    buf_t b;
    nson_writer_t w;
    memset(r, 0, sizeof *r);
    buf_init(&b, 0);
    nson_writer_init(&w, &b);
    nson_w_value(&w, v);
    if (!nson_writer_ok(&w)) {
        buf_free(&b);
        return cs_fail(err, CS_ENOMEM, "cannot copy a reply value");
    }
    r->nson = buf_steal(&b, &r->nson_len);
    r->json = nson_json_render_plain(v);
    if (!r->json) {
        csc_row_free(r);
        return cs_fail(err, CS_ENOMEM, "cannot render a reply value as JSON");
    }
    return CS_OK;
}

json_t *csc_row_json(const csc_row_t *r)
{
    if (!r || r->json || !r->nson)
        return r ? r->json : NULL;
    /* decode only on demand: the tree is scratch, the JSON is kept. A tree
     * takes at most ~40 bytes per input byte (a 1-byte NULL in an ARRAY:
     * node + slot), so this ceiling never refuses a valid value. */
    arena_t a;
    cs_error_t derr;
    arena_init(&a, r->nson_len < (SIZE_MAX >> 8) ? 64 * r->nson_len + 4096 : 0);
    const nson_value_t *v = nson_decode(&a, r->nson, r->nson_len, false, &derr);
    json_t *j = v ? nson_json_render_plain(v) : NULL;
    arena_free(&a);
    /* the cache is logically const: rows are never defined const objects */
    ((csc_row_t *)r)->json = j;
    return j;
}

cs_err_t csc_bytes_from_nson(const nson_value_t *v, csc_bytes_t *b, cs_error_t *err)
{
    b->data = NULL;
    b->len = 0;
    if (!v || v->type != NSON_BINARY)
        return v ? cs_fail(err, CS_EPROTO, "expected BINARY, got %s", nson_type_name(v->type))
                 : CS_OK;
    if (v->u.bin.is_null)
        return CS_OK;
    b->data = malloc(v->u.bin.len ? v->u.bin.len : 1);
    if (!b->data)
        return cs_fail(err, CS_ENOMEM, "out of memory");
    memcpy(b->data, v->u.bin.ptr, v->u.bin.len);
    b->len = v->u.bin.len;
    return CS_OK;
}

cs_err_t csc_value_write(nson_writer_t *w, const csc_value_t *v, bool must_be_map,
                         cs_error_t *err)
{
    if (v->json) {
        if (must_be_map && !json_is_object(v->json))
            return cs_fail(err, CS_EINVAL, "a row or key must be a JSON object");
        return nson_json_write_plain(w, v->json, err);
    }
    if (!v->nson)
        return cs_fail(err, CS_EINVAL, "value missing");
    /* check the caller's bytes are exactly one value before splicing them */
    arena_t a;
    cs_error_t derr;
    arena_init(&a, 64u << 20);
    nson_value_t *d = nson_decode(&a, v->nson, v->nson_len, false, &derr);
    bool is_map = d && d->type == NSON_MAP;
    arena_free(&a);
    if (!d)
        return cs_fail(err, CS_EINVAL, "value is not one NSON value: %s", derr.msg);
    if (must_be_map && !is_map)
        return cs_fail(err, CS_EINVAL, "a row or key must be an NSON MAP");
    nson_w_raw(w, v->nson, v->nson_len);
    return CS_OK;
}
