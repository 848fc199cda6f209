/*
 * rows.h - table rows, each write with its change event in the same txn.
 *
 * Invariant: on a table whose record (read inside the same transaction, not
 * from any cache; by rows_* itself or by the caller, who passes it) has
 * streaming on, every successful row write appends exactly one change event
 * to the table's change log; a write whose condition fails, or a delete of
 * an absent or expired row, writes nothing and appends nothing. Row and
 * event commit together or not at all (any storage failure in between sets
 * the txn's sticky error, so store_write rolls the job back).
 *
 * Row keys and values are opaque bytes from the row codec. Rows of a table
 * sort by their key bytes (memcmp order); the first shard_len bytes of a key
 * are its shard key, so rows of one shard are contiguous when the codec puts
 * the shard key first. A row key is at most ROWS_MAX_KEY bytes.
 *
 * Every write gets a new version from the global "row_version" counter
 * (strictly increasing across all tables, never reused). A row with
 * exp_ms != 0 && exp_ms <= now_ms is expired: invisible everywhere, as if
 * absent (it stays on disk until overwritten, reaped by rows_reap_expired,
 * or its table is dropped).
 */
#ifndef CS_ROWS_H
#define CS_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "keys.h"
#include "store.h"
#include "tables.h"

#define ROWS_MAX_KEY (KEYS_MAX - 8)  /* bytes of a row key */

/* A row as read. In results the byte fields point into the caller's arena;
 * in rows_scan callbacks they are borrowed until the callback returns. */
typedef struct row_rec {
    uint64_t version;
    int64_t mod_ms;        /* last modification */
    int64_t exp_ms;        /* expiration, 0 = never */
    int64_t created_ms;    /* first write of this row (since it last did not exist) */
    const uint8_t *keymap; /* the codec's key map bytes, as given to rows_put */
    size_t keymap_len;
    const uint8_t *value;
    size_t value_len;
} row_rec_t;

typedef enum {
    ROWS_ALWAYS = 0,   /* put / delete unconditionally */
    ROWS_IF_ABSENT,    /* put only if no live row (put only) */
    ROWS_IF_PRESENT,   /* put only if a live row exists (put only) */
    ROWS_IF_VERSION    /* only if a live row has version == match_version */
} rows_cond_t;

/* Outcome of a put or delete. A failed condition is not an error: the call
 * returns CS_OK with written == false. */
typedef struct rows_result {
    bool written;          /* the row was written / deleted (and its event made) */
    uint64_t version;      /* the new version (put that wrote), else 0 */
    bool had_existing;     /* a live row existed before the call */
    row_rec_t existing;    /* that row: metadata always, bytes copied into the
                            * arena when one was passed (NULL/0 otherwise) */
} rows_result_t;

/* Read a live row into *out, bytes copied into arena a (must not be NULL).
 * Returns false if absent or expired, or on failure (t->ret set: storage
 * error, or CS_ENOMEM when the arena's ceiling is reached). */
bool rows_get(store_txn_t *t, uint64_t table_id, const uint8_t *key, size_t klen,
              int64_t now_ms, arena_t *a, row_rec_t *out);

typedef struct rows_put_args {
    uint64_t table_id;
    const table_rec_t *table;  /* the table's record as the caller read it with
                                * tables_lookup_* inside this same txn (its
                                * streaming state decides the event), or NULL:
                                * rows_put reads the record itself */
    const uint8_t *key;      /* row key (shard key first) */
    size_t klen;
    size_t shard_len;        /* leading bytes of key that are the shard key (<= klen) */
    const uint8_t *keymap;   /* stored with the row and in its events */
    size_t keymap_len;
    const uint8_t *value;
    size_t value_len;
    rows_cond_t cond;
    uint64_t match_version;  /* for ROWS_IF_VERSION */
    int64_t exp_ms;          /* expiration to set, 0 = never */
    bool update_ttl;         /* false: an existing live row keeps its exp_ms */
    int64_t now_ms;          /* becomes mod_ms (and created_ms of a new row) */
} rows_put_args_t;

/* Write a row (write txn) if its condition holds, with its change event on a
 * streaming table. res->existing is the live row before the call (for the
 * caller's "return row"), copied into a when a != NULL. Errors: CS_ENOTABLE
 * (no table with that id), CS_EKEYSIZE, CS_EINVAL (bad shard_len, empty key,
 * ROWS_IF_* misuse, args->table of another id), CS_ESPACE and storage
 * errors (sticky). */
cs_err_t rows_put(store_txn_t *t, const rows_put_args_t *args, arena_t *a,
                  rows_result_t *res, cs_error_t *err);

typedef struct rows_delete_args {
    uint64_t table_id;
    const table_rec_t *table;  /* as rows_put_args_t.table */
    const uint8_t *key;
    size_t klen;
    size_t shard_len;
    rows_cond_t cond;        /* ROWS_ALWAYS or ROWS_IF_VERSION */
    uint64_t match_version;
    int64_t now_ms;          /* the event's mod_ms; decides expiry */
} rows_delete_args_t;

/* Delete a live row (write txn) if the condition holds, with its change
 * event; res->existing is the deleted (or, on a failed condition, the
 * current) row. Absent/expired: CS_OK, written false, nothing written.
 * Errors as rows_put. */
cs_err_t rows_delete(store_txn_t *t, const rows_delete_args_t *args, arena_t *a,
                     rows_result_t *res, cs_error_t *err);

/* A key range inside one table: keys starting with prefix (prefix_len 0 =
 * the whole table), optionally bounded by start/end (NULL = unbounded on
 * that side), compared as bytes. */
typedef struct rows_range {
    const uint8_t *prefix;
    size_t prefix_len;
    const uint8_t *start;
    size_t start_len;
    bool start_incl;
    const uint8_t *end;
    size_t end_len;
    bool end_incl;
} rows_range_t;

/* Called for each live row of a scan; key and row bytes are borrowed until
 * the callback returns. Return true to continue, false to stop. */
typedef bool (*rows_visit_fn)(const uint8_t *key, size_t klen, const row_rec_t *row, void *ctx);

/* Visit the live rows of the range in key order (any txn). Returns the
 * txn's sticky error or CS_OK; a visitor that stops early is not an error. */
cs_err_t rows_scan(store_txn_t *t, uint64_t table_id, const rows_range_t *range,
                   int64_t now_ms, rows_visit_fn fn, void *ctx, cs_error_t *err);

typedef struct rows_delete_range_args {
    uint64_t table_id;
    size_t shard_len;        /* shard-key bytes of each key (its partition) */
    rows_range_t range;
    size_t max_rows;         /* stop after this many deletions, 0 = no limit */
    size_t max_bytes;        /* stop once deleted key+value bytes reach this, 0 = no limit */
    size_t max_kb;           /* stop once deleted KB reach this, each row counting
                              * ceil(bytes / 1024) and at least 1 (the service's
                              * write-KB budget), 0 = no limit */
    int64_t now_ms;
} rows_delete_range_args_t;

typedef struct rows_range_result {
    size_t deleted;          /* rows deleted (one event each on a streaming table) */
    size_t bytes;            /* their key + value bytes */
    size_t kb;               /* their KB, counted per row as for max_kb */
    bool more;               /* stopped on a budget with keys left in the range */
    const uint8_t *cont_key; /* the last deleted key (in arena) when any was deleted;
                              * resume with range.start = cont_key, start_incl = false */
    size_t cont_len;
} rows_range_result_t;

/* MultiDelete (write txn): delete the live rows of the range in key order
 * until a budget is reached. Errors as rows_put (CS_ENOMEM if the arena
 * cannot hold the continuation key). */
cs_err_t rows_delete_range(store_txn_t *t, const rows_delete_range_args_t *args, arena_t *a,
                           rows_range_result_t *res, cs_error_t *err);

/* Background cleanup (write txn): physically delete expired rows (already
 * invisible everywhere) of all tables, at most max deletions and a bounded
 * number of rows examined per call, resuming where the previous call
 * stopped. No change events: expiry is not a write. *more = call again.
 * A pass goes from the first row to the last over one or more calls; once
 * one has, calls do nothing until the earliest expiration it met (or a
 * later write set) has come: a store whose rows never expire is not
 * scanned again and again. */
cs_err_t rows_reap_expired(store_txn_t *t, int64_t now_ms, size_t max, size_t *deleted,
                           bool *more, cs_error_t *err);

#endif
