/*
 * csc_rows.h - row operations of the reference client: Get (op 2), Put
 * (3-6), Delete (0, 1), WriteMultiple (9), MultiDelete (10).
 *
 * Same conventions as csc_table.h: zero-initialised requests are the SDK
 * defaults, payload fields in borneo's order (PROTOCOL.md 4.8-4.12),
 * csc_X_encode() gives the exact request body, results are freed with
 * csc_X_result_free(). Rows and keys are csc_value_t (plain JSON or raw
 * NSON); returned rows are csc_row_t (both forms).
 */
#ifndef CSC_ROWS_H
#define CSC_ROWS_H

#include "csc_handle.h"
#include "csc_value.h"

/* ---- Get ---- */

typedef struct csc_get_request {
    const char *table_name;
    csc_value_t key;            /* MAP of the primary key */
    bool absolute;              /* consistency ABSOLUTE (0) vs EVENTUAL (1, default) */
    int timeout_ms;
} csc_get_request_t;

typedef struct csc_get_result {
    bool found;                 /* "r" present */
    csc_row_t value;            /* "r.l" */
    csc_bytes_t version;        /* "r.rv" */
    int64_t modification_time;  /* "r.md", ms */
    int64_t expiration_time;    /* "r.xp", ms, 0 = never */
    int64_t creation_time;      /* "r.ct", ms */
    csc_consumed_t consumed;
} csc_get_result_t;

void csc_get_result_free(csc_get_result_t *r);
cs_err_t csc_get_result_decode(const nson_value_t *reply, csc_get_result_t *r, csc_error_t *err);
cs_err_t csc_get_encode(const csc_handle_t *h, const csc_get_request_t *req, buf_t *body,
                        csc_error_t *err);
cs_err_t csc_get(csc_handle_t *h, const csc_get_request_t *req, csc_get_result_t *res,
                 csc_error_t *err);

/* ---- Put ---- */

typedef enum {
    CSC_PUT_ALWAYS = 0,         /* op 3 */
    CSC_PUT_IF_ABSENT,          /* op 4 */
    CSC_PUT_IF_PRESENT,         /* op 5 */
    CSC_PUT_IF_VERSION,         /* op 6, needs match_version */
} csc_put_option_t;

typedef struct csc_put_request {
    const char *table_name;
    csc_value_t value;              /* "l": MAP of the row */
    csc_put_option_t option;
    const uint8_t *match_version;   /* "rv" (IF_VERSION) */
    size_t match_version_len;
    const char *ttl;                /* "tt": "5 DAYS" / "10 HOURS"; implies update TTL */
    bool use_table_default_ttl;     /* "ut" without "tt" */
    bool return_row;                /* "rr" */
    bool exact_match;               /* "ec" */
    int identity_cache_size;        /* "ic", 0 = not sent */
    bool has_durability;            /* "du" sent when true */
    int durability;                 /* master_sync + replica_sync<<2 + replica_ack<<4 */
    int timeout_ms;
} csc_put_request_t;

typedef struct csc_put_result {
    bool success;                   /* "rv" present: the row was written */
    csc_bytes_t version;            /* "rv" */
    csc_return_info_t existing;     /* "ri" */
    csc_row_t generated;            /* "gn" */
    csc_consumed_t consumed;
} csc_put_result_t;

void csc_put_result_free(csc_put_result_t *r);
cs_err_t csc_put_result_decode(const nson_value_t *reply, csc_put_result_t *r, csc_error_t *err);
cs_err_t csc_put_encode(const csc_handle_t *h, const csc_put_request_t *req, buf_t *body,
                        csc_error_t *err);
cs_err_t csc_put(csc_handle_t *h, const csc_put_request_t *req, csc_put_result_t *res,
                 csc_error_t *err);

/* ---- Delete ---- */

typedef struct csc_delete_request {
    const char *table_name;
    csc_value_t key;
    const uint8_t *match_version;   /* non-NULL: DELETE_IF_VERSION (op 1) */
    size_t match_version_len;
    bool return_row;
    bool has_durability;
    int durability;
    int timeout_ms;
} csc_delete_request_t;

typedef struct csc_delete_result {
    bool success;                   /* "ss" */
    csc_return_info_t existing;     /* "ri" */
    csc_consumed_t consumed;
} csc_delete_result_t;

void csc_delete_result_free(csc_delete_result_t *r);
cs_err_t csc_delete_result_decode(const nson_value_t *reply, csc_delete_result_t *r,
                                  csc_error_t *err);
cs_err_t csc_delete_encode(const csc_handle_t *h, const csc_delete_request_t *req, buf_t *body,
                           csc_error_t *err);
cs_err_t csc_delete(csc_handle_t *h, const csc_delete_request_t *req, csc_delete_result_t *res,
                    csc_error_t *err);

/* ---- WriteMultiple ---- */

/* One operation: a put (is_delete false) or a delete. Its table_name,
 * return_row and options come from the embedded request; durability and
 * timeout of the embedded request are ignored (the batch has its own). */
typedef struct csc_write_op {
    bool is_delete;
    csc_put_request_t put;
    csc_delete_request_t del;
    bool abort_if_unsuccessful;     /* "a" */
} csc_write_op_t;

typedef struct csc_write_multiple_request {
    const csc_write_op_t *ops;
    size_t num_ops;
    bool has_durability;
    int durability;
    int timeout_ms;
} csc_write_multiple_request_t;

typedef struct csc_operation_result {
    bool success;                   /* "ss" */
    csc_bytes_t version;            /* "rv" */
    csc_return_info_t existing;     /* "ri" */
    csc_row_t generated;            /* "gn" */
} csc_operation_result_t;

typedef struct csc_write_multiple_result {
    csc_operation_result_t *results; /* one per op on success; the failed op's on abort */
    size_t num_results;
    int failed_operation_index;     /* "wf.wi", -1 = none (success) */
    csc_consumed_t consumed;
} csc_write_multiple_result_t;

void csc_write_multiple_result_free(csc_write_multiple_result_t *r);
cs_err_t csc_write_multiple_result_decode(const nson_value_t *reply,
                                          csc_write_multiple_result_t *r, csc_error_t *err);
/* The batch is single-table (header "n", no per-op "n") when every op names
 * the first op's table (case-insensitively), as in borneo; ops must share
 * the top-level (parent) table, else CS_EINVAL. */
cs_err_t csc_write_multiple_encode(const csc_handle_t *h, const csc_write_multiple_request_t *req,
                                   buf_t *body, csc_error_t *err);
cs_err_t csc_write_multiple(csc_handle_t *h, const csc_write_multiple_request_t *req,
                            csc_write_multiple_result_t *res, csc_error_t *err);

/* ---- MultiDelete ---- */

typedef struct csc_field_range {
    const char *field_path;         /* "rp" */
    csc_value_t start;              /* "sr.l", absent = open */
    bool start_inclusive;           /* "sr.in" */
    csc_value_t end;                /* "en.l" */
    bool end_inclusive;             /* "en.in" */
} csc_field_range_t;

typedef struct csc_multi_delete_request {
    const char *table_name;
    csc_value_t key;                /* partial key (at least the shard key) */
    const csc_field_range_t *range; /* "rg", NULL = none */
    int max_write_kb;               /* "mw" (always sent, 0 = server default) */
    const uint8_t *continuation_key; /* "ck" from a previous result */
    size_t continuation_key_len;
    bool has_durability;
    int durability;
    int timeout_ms;
} csc_multi_delete_request_t;

typedef struct csc_multi_delete_result {
    int num_deletions;              /* "nd" */
    csc_bytes_t continuation_key;   /* "ck": data non-NULL = more to delete */
    csc_consumed_t consumed;
} csc_multi_delete_result_t;

void csc_multi_delete_result_free(csc_multi_delete_result_t *r);
cs_err_t csc_multi_delete_encode(const csc_handle_t *h, const csc_multi_delete_request_t *req,
                                 buf_t *body, csc_error_t *err);
cs_err_t csc_multi_delete(csc_handle_t *h, const csc_multi_delete_request_t *req,
                          csc_multi_delete_result_t *res, csc_error_t *err);

#endif
