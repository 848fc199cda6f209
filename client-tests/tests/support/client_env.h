/*
 * client_env.h - small asserting helpers for the table, row and tenancy
 * integration suites (check_client_tables.c, check_client_rows.c,
 * check_client_tenancy.c). They sit on top of stream_env.h's fixture (a
 * real csemu with --test-clock, one handle per tenant, restart, clock) and
 * add what those suites check over and over: "this call fails with that
 * protocol code and a message naming X", DDL with or without limits, rows
 * given as JSON text, and a row's exact NSON types.
 *
 * Every helper fails the current Check test (ck_assert) on an unexpected
 * outcome, naming the call and the server's code and message. Returned
 * memory belongs to the caller (json_decref / free / the csc_*_free of the
 * result).
 */
#ifndef CSEMU_CLIENT_ENV_H
#define CSEMU_CLIENT_ENV_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>

#include "csc.h"

/* Protocol error codes (PROTOCOL.md 1.4) the suites expect. */
enum {
    CENV_TABLE_NOT_FOUND = 2,
    CENV_INDEX_NOT_FOUND = 3,
    CENV_ILLEGAL_ARGUMENT = 4,
    CENV_ROW_SIZE_LIMIT_EXCEEDED = 5,
    CENV_KEY_SIZE_LIMIT_EXCEEDED = 6,
    CENV_BATCH_OP_NUMBER_LIMIT_EXCEEDED = 7,
    CENV_REQUEST_SIZE_LIMIT_EXCEEDED = 8,
    CENV_TABLE_EXISTS = 9,
    CENV_INDEX_EXISTS = 10,
    CENV_INVALID_AUTHORIZATION = 11,
    CENV_OPERATION_NOT_SUPPORTED = 21,
    CENV_ETAG_MISMATCH = 22,
};

/* Assert that `call` failed with the server's error `code` and that the
 * message contains every string of the NULL-terminated list (case-
 * insensitively). Use through CENV_FAILS. */
void cenv_expect_fail(const char *what, cs_err_t rc, const csc_error_t *err, int code,
                      const char *const *needles);
#define CENV_FAILS(call, err, code, ...)                                                  \
    cenv_expect_fail(#call, (call), (err), (code), (const char *const[]){ __VA_ARGS__, NULL })

/* Parse JSON text of a test (asserts it parses). */
json_t *cenv_json(const char *text);
/* True if the JSON text of `have` equals the JSON text `want` (objects
 * compared as sets of keys, as json_equal does). */
bool cenv_json_eq(const json_t *have, const char *want);

/* TableRequest with a statement (and limits when non-NULL) then wait for
 * completion; asserts success and a terminal state. res may be NULL. */
void cenv_ddl(csc_handle_t *h, const char *stmt, const csc_table_limits_t *limits,
              csc_table_result_t *res);
/* Same, returning the error instead of asserting (res freed on error). */
cs_err_t cenv_try_ddl(csc_handle_t *h, const char *stmt, const csc_table_limits_t *limits,
                      csc_table_result_t *res, csc_error_t *err);
/* GetTable; asserts success. */
void cenv_get_table(csc_handle_t *h, const char *name, csc_table_result_t *res);

/* Put a row given as JSON text (plain, always), asserts success and that it
 * was written; the new version goes to *version (may be NULL). */
void cenv_put(csc_handle_t *h, const char *table, const char *row_json, csc_bytes_t *version);
/* Get by key JSON text (absolute consistency); asserts the call succeeds.
 * Returns the row (new reference) or NULL when there is none; *res (may be
 * NULL) gets the whole result, which the caller frees. */
json_t *cenv_get(csc_handle_t *h, const char *table, const char *key_json,
                 csc_get_result_t *res);

/* The typed-tree JSON text (nson_json.h convention 1) of a returned row's
 * NSON, e.g. {"MAP":[["id",{"INTEGER":1}],...]}; caller frees. */
char *cenv_typed(const csc_row_t *row);
/* The typed tree of one column of a returned row (new reference), or NULL
 * if the row has no such column. */
json_t *cenv_typed_column(const csc_row_t *row, const char *column);

/* Two byte strings are equal (both present). */
bool cenv_bytes_eq(const csc_bytes_t *a, const csc_bytes_t *b);

/* Milliseconds of a UTC date and time (tests set the server clock). */
int64_t cenv_utc_ms(int year, int month, int day, int hour, int min, int sec);

#endif
