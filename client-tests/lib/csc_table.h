/*
 * csc_table.h - table and system operations of the reference client:
 * TableRequest (op 15), GetTable (11), ListTables (14), GetIndexes (12),
 * TableUsage (13), SystemRequest (23), SystemStatus (24).
 *
 * Names and defaults mirror the SDKs (borneo TableRequest, GetTableRequest,
 * ...). A request struct zero-initialised is the SDK's default request;
 * fields that borneo sends only when set are sent only when set here, in
 * borneo's order (PROTOCOL.md 4.1-4.7), so csc_*_encode() of the vectors'
 * sdk_call reproduces their req-*.bin bytes.
 *
 * Every call: `cs_err_t csc_X(h, req, res, err)`. On CS_OK *res is filled
 * and owned by the caller, who releases it with csc_X_result_free() (also
 * safe on a zeroed or failed result). csc_X_encode() writes the complete
 * request body (00 04 + NSON) the call would POST; h may be NULL there.
 */
#ifndef CSC_TABLE_H
#define CSC_TABLE_H

#include <jansson.h>

#include "csc_handle.h"
#include "csc_value.h"

/* ---- TableRequest / TableResult ---- */

enum { CSC_LIMITS_PROVISIONED = 1, CSC_LIMITS_ON_DEMAND = 2 };
enum { CSC_TABLE_ACTIVE = 0, CSC_TABLE_CREATING = 1, CSC_TABLE_DROPPED = 2,
       CSC_TABLE_DROPPING = 3, CSC_TABLE_UPDATING = 4 };
typedef enum { CSC_STREAMING_UNSET = 0, CSC_STREAMING_ENABLE, CSC_STREAMING_DISABLE } csc_streaming_t;

typedef struct csc_table_limits {
    int read_units, write_units, storage_gb;
    int mode;               /* CSC_LIMITS_*; 0 = provisioned */
} csc_table_limits_t;

typedef struct csc_table_request {
    const char *statement;          /* "st": DDL, or NULL */
    const char *table_name;         /* header "n" for the forms without a statement */
    const csc_table_limits_t *limits; /* "lm", NULL = not sent */
    const json_t *defined_tags;     /* "dt": object, sent as borneo's single-quoted text */
    const json_t *free_form_tags;   /* "ff" */
    const char *match_etag;         /* "et" */
    csc_streaming_t change_streaming; /* "ce" */
    int timeout_ms;                 /* 0 = handle's table timeout */
} csc_table_request_t;

typedef struct csc_table_result {
    char *table_name;       /* "n" */
    int state;              /* "as", CSC_TABLE_*, -1 if absent */
    char *table_id;         /* "to" (OCID) */
    char *compartment_id;   /* "cc" */
    char *namespace_;       /* "ns" */
    char *ddl;              /* "td" */
    char *schema;           /* "ac" */
    char *operation_id;     /* "od" */
    char *match_etag;       /* "et" */
    char *defined_tags;     /* "dt" JSON text */
    char *free_form_tags;   /* "ff" JSON text */
    bool has_limits;
    csc_table_limits_t limits;
    bool schema_frozen;     /* "sf" */
} csc_table_result_t;

void csc_table_result_free(csc_table_result_t *r);
cs_err_t csc_table_result_decode(const nson_value_t *reply, csc_table_result_t *r,
                                 csc_error_t *err);

cs_err_t csc_table_request_encode(const csc_handle_t *h, const csc_table_request_t *req,
                                  buf_t *body, csc_error_t *err);
/* One TableRequest, no waiting (borneo handle.table_request). */
cs_err_t csc_table_request(csc_handle_t *h, const csc_table_request_t *req,
                           csc_table_result_t *res, csc_error_t *err);
/* borneo TableResult.wait_for_completion: returns at once if res is ACTIVE
 * or DROPPED; else needs res->operation_id and polls GetTable(n, od) every
 * delay_ms (0 = 500) until a terminal state, updating *res. CS_EINVAL
 * without an operation id, CS_EBUSY ("not completed") after wait_ms. */
cs_err_t csc_table_wait_for_completion(csc_handle_t *h, csc_table_result_t *res, int wait_ms,
                                       int delay_ms, csc_error_t *err);
/* borneo handle.do_table_request: csc_table_request + wait. */
cs_err_t csc_do_table_request(csc_handle_t *h, const csc_table_request_t *req, int wait_ms,
                              int delay_ms, csc_table_result_t *res, csc_error_t *err);
/* borneo handle.enable_change_streaming(name, enabled): op 15 with header
 * "n" and "ce", then the wait. */
cs_err_t csc_enable_change_streaming(csc_handle_t *h, const char *table_name, bool enabled,
                                     int wait_ms, csc_table_result_t *res, csc_error_t *err);

/* ---- GetTable ---- */

typedef struct csc_get_table_request {
    const char *table_name;     /* required */
    const char *operation_id;   /* "od" */
    int timeout_ms;
} csc_get_table_request_t;

cs_err_t csc_get_table_encode(const csc_handle_t *h, const csc_get_table_request_t *req,
                              buf_t *body, csc_error_t *err);
cs_err_t csc_get_table(csc_handle_t *h, const csc_get_table_request_t *req,
                       csc_table_result_t *res, csc_error_t *err);

/* ---- ListTables ---- */

typedef struct csc_list_tables_request {
    int limit;              /* "lx", 0 = no limit */
    int start_index;        /* "ls" */
    const char *namespace_; /* "ns" */
    int timeout_ms;
} csc_list_tables_request_t;

typedef struct csc_list_tables_result {
    char **tables;          /* owned, num_tables entries */
    size_t num_tables;
    int last_index_returned; /* "li" */
} csc_list_tables_result_t;

void csc_list_tables_result_free(csc_list_tables_result_t *r);
cs_err_t csc_list_tables_encode(const csc_handle_t *h, const csc_list_tables_request_t *req,
                                buf_t *body, csc_error_t *err);
cs_err_t csc_list_tables(csc_handle_t *h, const csc_list_tables_request_t *req,
                         csc_list_tables_result_t *res, csc_error_t *err);

/* ---- GetIndexes ---- */

typedef struct csc_get_indexes_request {
    const char *table_name;
    const char *index_name; /* "i", NULL = all */
    int timeout_ms;
} csc_get_indexes_request_t;

typedef struct csc_index_info {
    char *index_name;       /* "m" */
    char **field_paths;     /* "f"[].pt */
    char **field_types;     /* "f"[].y (NULL entries when absent) */
    size_t num_fields;
} csc_index_info_t;

typedef struct csc_get_indexes_result {
    csc_index_info_t *indexes;
    size_t num_indexes;
} csc_get_indexes_result_t;

void csc_get_indexes_result_free(csc_get_indexes_result_t *r);
cs_err_t csc_get_indexes_encode(const csc_handle_t *h, const csc_get_indexes_request_t *req,
                                buf_t *body, csc_error_t *err);
cs_err_t csc_get_indexes(csc_handle_t *h, const csc_get_indexes_request_t *req,
                         csc_get_indexes_result_t *res, csc_error_t *err);

/* ---- TableUsage ---- */

typedef struct csc_table_usage_request {
    const char *table_name;
    int64_t start_time, end_time;   /* ms since the epoch, 0 = not sent ("sr", "en") */
    int limit, start_index;         /* "lx", "ls" (always sent) */
    int timeout_ms;
} csc_table_usage_request_t;

typedef struct csc_table_usage {
    char *start_time;               /* "sr" ISO text */
    int seconds_in_period;          /* "pd" */
    int read_units, write_units, storage_gb;       /* "ru", "wu", "sg" */
    int read_throttle_count, write_throttle_count, storage_throttle_count; /* "rt", "wt", "sl" */
    int max_shard_usage_percent;    /* "ms" */
} csc_table_usage_t;

typedef struct csc_table_usage_result {
    char *table_name;
    int last_index_returned;
    csc_table_usage_t *records;
    size_t num_records;
} csc_table_usage_result_t;

void csc_table_usage_result_free(csc_table_usage_result_t *r);
cs_err_t csc_table_usage_encode(const csc_handle_t *h, const csc_table_usage_request_t *req,
                                buf_t *body, csc_error_t *err);
cs_err_t csc_get_table_usage(csc_handle_t *h, const csc_table_usage_request_t *req,
                             csc_table_usage_result_t *res, csc_error_t *err);

/* ---- SystemRequest / SystemStatus ---- */

enum { CSC_SYSOP_COMPLETE = 0, CSC_SYSOP_WORKING = 1 };

typedef struct csc_system_request {
    const char *statement;  /* sent as BINARY "st" (UTF-8 bytes) */
    int timeout_ms;
} csc_system_request_t;

typedef struct csc_system_status_request {
    const char *operation_id;   /* "od" */
    const char *statement;      /* "st" STRING, optional */
    int timeout_ms;
} csc_system_status_request_t;

typedef struct csc_system_result {
    int state;              /* "ta", CSC_SYSOP_*, -1 if absent */
    char *result_string;    /* "rs" */
    char *statement;        /* "st" */
    char *operation_id;     /* "od" */
} csc_system_result_t;

void csc_system_result_free(csc_system_result_t *r);
cs_err_t csc_system_request_encode(const csc_handle_t *h, const csc_system_request_t *req,
                                   buf_t *body, csc_error_t *err);
cs_err_t csc_system_request(csc_handle_t *h, const csc_system_request_t *req,
                            csc_system_result_t *res, csc_error_t *err);
cs_err_t csc_system_status_encode(const csc_handle_t *h, const csc_system_status_request_t *req,
                                  buf_t *body, csc_error_t *err);
cs_err_t csc_system_status(csc_handle_t *h, const csc_system_status_request_t *req,
                           csc_system_result_t *res, csc_error_t *err);

#endif
