/*
 * csc_internal.h - plumbing shared by the client's operation files; not
 * part of the public API.
 *
 * An operation is a `build` function that fills the request header and
 * writes the payload MAP; csc_op_encode()/csc_op_send() turn it into bytes
 * or an HTTP exchange. Reply fields are read through a sticky decoder
 * (csc_dec_t) that checks each scalar's NSON type exactly as borneo does
 * (PROTOCOL.md 2.3), so a server sending "as" as LONG fails the test that
 * reads it instead of passing silently.
 */
#ifndef CSC_INTERNAL_H
#define CSC_INTERNAL_H

#include "csc_handle.h"
#include "csc_value.h"

typedef cs_err_t (*csc_build_fn)(const void *req, csc_header_t *hdr, nson_writer_t *w,
                                 csc_error_t *err);

cs_err_t csc_op_encode(const csc_handle_t *h, csc_build_fn build, const void *req, buf_t *body,
                       csc_error_t *err);
/* Build, send, and leave the decoded reply in *reply (freed by the caller). */
cs_err_t csc_op_send(csc_handle_t *h, csc_build_fn build, const void *req, csc_reply_t *reply,
                     csc_error_t *err);

/* Sticky reply decoder: after the first failure every call is a no-op. */
typedef struct csc_dec {
    csc_error_t *err;
    cs_err_t rc;
} csc_dec_t;

/* Each returns true when the field is present with the right type. */
bool csc_dec_str(csc_dec_t *d, const nson_value_t *m, const char *key, char **out);
/* csc_dec_str with the copy in arena a (freed with it, never free()d). */
bool csc_dec_str_in(csc_dec_t *d, const nson_value_t *m, const char *key, arena_t *a,
                    char **out);
bool csc_dec_int(csc_dec_t *d, const nson_value_t *m, const char *key, int *out);
bool csc_dec_long(csc_dec_t *d, const nson_value_t *m, const char *key, int64_t *out);
bool csc_dec_bool(csc_dec_t *d, const nson_value_t *m, const char *key, bool *out);
bool csc_dec_bytes(csc_dec_t *d, const nson_value_t *m, const char *key, csc_bytes_t *out);
bool csc_dec_row(csc_dec_t *d, const nson_value_t *m, const char *key, csc_row_t *out);
/* v (the value of field key, NULL = absent) when it has this type; a
 * present value of another type fails as the csc_dec_* getters do. */
const nson_value_t *csc_dec_typed(csc_dec_t *d, const nson_value_t *v, const char *key,
                                  int type);
/* A field that must be an ARRAY (or MAP); NULL when absent or bad. */
const nson_value_t *csc_dec_array(csc_dec_t *d, const nson_value_t *m, const char *key);
const nson_value_t *csc_dec_map(csc_dec_t *d, const nson_value_t *m, const char *key);
void csc_dec_fail(csc_dec_t *d, const char *key, const char *what);

#endif
