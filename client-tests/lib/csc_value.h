/*
 * csc_value.h - how rows, keys and opaque bytes cross the client API.
 *
 * Input values (rows, keys, range bounds) are either plain JSON (jansson,
 * converted by proto/nson_json.h: integer -> INTEGER/LONG, real -> DOUBLE,
 * ...) or raw NSON bytes of one value, for types JSON cannot express
 * (TIMESTAMP, BINARY, NUMBER, JSON_NULL, exact INTEGER vs LONG).
 * Output values carry both: the raw NSON bytes as the server sent them and
 * their plain JSON rendering. All output memory is owned by the result and
 * released by its csc_*_result_free().
 *
 * A row may be lazy: NSON bytes only, its JSON rendered on the first
 * csc_row_json() and cached in the row (Change Streams records of a
 * consumer asked for that, csc_builder_set_lazy_json()). Code that reads
 * row.json directly sees NULL in a lazy row until then; csc_row_json()
 * works on every row, eager or lazy.
 */
#ifndef CSC_VALUE_H
#define CSC_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"
#include "nson.h"

/* An input value: set exactly one of json / nson (both NULL = absent). */
typedef struct csc_value {
    const json_t *json;     /* borrowed */
    const uint8_t *nson;    /* borrowed: one complete NSON value */
    size_t nson_len;
} csc_value_t;

static inline csc_value_t csc_json(const json_t *j) { return (csc_value_t){ .json = j }; }
static inline csc_value_t csc_nson(const uint8_t *p, size_t n)
{
    return (csc_value_t){ .nson = p, .nson_len = n };
}
static inline bool csc_value_present(const csc_value_t *v) { return v->json || v->nson; }

/* An output value. nson NULL (and json NULL) when the reply had none. */
typedef struct csc_row {
    json_t *json;           /* owned: plain JSON rendering; NULL in a lazy row until
                               csc_row_json() */
    uint8_t *nson;          /* the NSON bytes of the value: owned (malloc), or borrowed */
    size_t nson_len;
    bool nson_borrowed;     /* nson belongs to the row's container (a bundle's storage,
                               valid until csc_bundle_free): csc_row_free leaves it */
} csc_row_t;

/* Owned opaque bytes (row versions, continuation keys). data NULL = absent;
 * a present zero-length value has data non-NULL and len 0. */
typedef struct csc_bytes {
    uint8_t *data;
    size_t len;
} csc_bytes_t;

/* Read and write units of a reply's "c" (borneo sets write units and write
 * KB both from "wk"). */
typedef struct csc_consumed {
    int read_units, read_kb, write_kb;
} csc_consumed_t;

/* Previous row returned by conditional writes with return-row ("ri"). */
typedef struct csc_return_info {
    bool present;
    csc_row_t existing_value;       /* "el" */
    csc_bytes_t existing_version;   /* "ev" */
    int64_t existing_modification_time; /* "em", ms */
    int64_t existing_creation_time;     /* "ct", ms */
} csc_return_info_t;

/* Release what the row owns (its JSON; its bytes unless borrowed). */
void csc_row_free(csc_row_t *r);
void csc_bytes_free(csc_bytes_t *b);
void csc_return_info_free(csc_return_info_t *ri);

/* Fill r from a decoded value (re-encoded to bytes + plain JSON). */
cs_err_t csc_row_from_nson(const nson_value_t *v, csc_row_t *r, cs_error_t *err);

/* The row's plain JSON: r->json when set, else rendered from r->nson and
 * cached in *r (which is why r must point to writable memory, and why two
 * threads must not call this on one row at once). Borrowed: owned by the
 * row. NULL when the row is absent, when its bytes are not one NSON value,
 * or out of memory. */
json_t *csc_row_json(const csc_row_t *r);
/* A lazy row over bytes someone else owns (p stays valid while the row is
 * used); no JSON until csc_row_json(). */
static inline csc_row_t csc_row_borrow(const uint8_t *p, size_t n)
{
    return (csc_row_t){ .nson = (uint8_t *)p, .nson_len = n, .nson_borrowed = true };
}
/* Copy a BINARY's bytes (null BINARY = absent). */
cs_err_t csc_bytes_from_nson(const nson_value_t *v, csc_bytes_t *b, cs_error_t *err);

/* Append v as one NSON value. CS_EINVAL if absent, not one complete NSON
 * value, or (must_be_map) not a MAP. */
cs_err_t csc_value_write(nson_writer_t *w, const csc_value_t *v, bool must_be_map,
                         cs_error_t *err);

#endif
