/*
 * tables.h - the table catalog.
 *
 * A record holds the fields the store itself needs (identity, streaming
 * state and partition count, version) plus an opaque metadata JSON blob the
 * server owns (schema, limits, tags, TTL, DDL text, indexes). Table names
 * are unique per tenant and compare case-insensitively (ASCII fold); the
 * record keeps the case as written. Table ids come from the "table_id"
 * counter and are never reused, so rows or events left by a dropped table
 * can never be seen through a new table of the same name.
 *
 * OCID: "ocid1.nosqltable.oc1.csemu." + 16 lowercase hex digits of the id.
 *
 * Drop removes the catalog record and name entry and, in the same txn, up
 * to TABLES_DROP_BUDGET rows + events + stream counters of the table. A
 * bigger table is marked in meta ("drop/<id>") and tables_reap() deletes the
 * rest in bounded steps from background write jobs; until then the leftover
 * data is unreachable (no record resolves to the id).
 */
#ifndef CS_TABLES_H
#define CS_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TABLES_STATE_ACTIVE 0
#define TABLES_MAX_PARTITIONS 4096u
#define TABLES_DROP_BUDGET 10000u   /* entries a drop deletes inline */
#define TABLES_OCID_PREFIX "ocid1.nosqltable.oc1.csemu."
#define TABLES_NAME_MAX 520u        /* a full name: parent.child...; each part <= 256 */

typedef struct table_rec {
    uint64_t id;                  /* assigned by tables_create, never reused */
    uint64_t parent_id;           /* 0 for a top-level table */
    char tenant[128];
    char compartment[256];
    char name[TABLES_NAME_MAX + 1]; /* as written, e.g. "Parent.child" */
    char ocid[64];                /* derived from id */
    int32_t state;                /* TABLES_STATE_ACTIVE (0) or server-defined */
    bool streaming;               /* change events are recorded */
    uint32_t partitions;          /* stream partitions; fixed once non-zero */
    int64_t streaming_since_ms;   /* when streaming was last turned on, 0 = never */
    uint64_t version;             /* bumps on every change, 1 at create */
    int64_t created_ms, modified_ms;
    char *meta_json;              /* malloc'd, NUL-terminated; NULL = none or not requested */
} table_rec_t;

/* Free rec->meta_json and set it to NULL (the struct itself is the caller's). */
void table_rec_free(table_rec_t *rec);

/* Lookups, in any txn. Return true and fill *out when found; false when not
 * found or on a storage error (then t->ret is set). With want_meta the
 * record's meta_json is malloc'd into out->meta_json (free with
 * table_rec_free), else it is NULL. */
bool tables_lookup_name(store_txn_t *t, const char *tenant, const char *name,
                        bool want_meta, table_rec_t *out);
bool tables_lookup_id(store_txn_t *t, uint64_t id, bool want_meta, table_rec_t *out);
/* Scoped to tenant: another tenant's OCID (or a malformed one) is not found. */
bool tables_lookup_ocid(store_txn_t *t, const char *tenant, const char *ocid,
                        bool want_meta, table_rec_t *out);

/* Parse an OCID of ours into the table id; false if it is not one. */
bool tables_ocid_to_id(const char *ocid, uint64_t *id);

/* A page of a tenant's tables, sorted by folded name. */
typedef struct tables_list {
    table_rec_t *recs;       /* malloc'd array of n records (meta_json NULL) */
    size_t n;
    uint32_t next_index;     /* start index of the next page */
    bool more;               /* more tables follow this page */
} tables_list_t;

/* List the tenant's tables (all compartments when compartment is NULL),
 * skipping the first `start`, returning at most `limit` (0 = no limit).
 * Free with tables_list_free. Errors: CS_ENOMEM, the txn's sticky error. */
cs_err_t tables_list(store_txn_t *t, const char *tenant, const char *compartment,
                     uint32_t start, uint32_t limit, tables_list_t *out, cs_error_t *err);
void tables_list_free(tables_list_t *l);

/* Create (write txn). In: tenant, compartment, name, parent_id, state,
 * streaming, partitions, meta_json (may be NULL). Out: id, ocid, version = 1,
 * created_ms = modified_ms = now, streaming_since_ms = now if streaming.
 * Errors: CS_ETABLEEXISTS (same tenant and folded name), CS_EINVAL (empty or
 * too long tenant/compartment/name, bad partitions), CS_ENOTABLE (parent_id
 * given but absent). */
cs_err_t tables_create(store_txn_t *t, table_rec_t *rec, cs_error_t *err);

/* Update (write txn) the record with id rec->id. Start from a record read
 * with tables_lookup_* and change what you mean to: the mutable fields are
 * compartment, state, streaming, partitions, streaming_since_ms, and
 * meta_json (NULL keeps the stored blob). Identity (tenant, name, parent,
 * created) is never changed. Bumps version and sets modified_ms; rec gets the
 * stored values back. Turning streaming on (off -> on) sets
 * streaming_since_ms to now unless the caller put another non-zero value
 * there. Partitions may be set once (0 -> n), changing them later is
 * CS_ESTATE; streaming needs partitions >= 1. Errors: CS_ENOTABLE,
 * CS_EINVAL, CS_ESTATE. */
cs_err_t tables_update(store_txn_t *t, table_rec_t *rec, cs_error_t *err);

/* Drop (write txn) the table with this id: record, name, and its rows,
 * change log and stream counters (see the budget note above). Refuses a
 * table that still has child tables (CS_ESTATE). Errors: CS_ENOTABLE. */
cs_err_t tables_drop(store_txn_t *t, uint64_t id, cs_error_t *err);

/* Continue deleting data of dropped tables, at most max entries (write
 * txn). *more is true while some remain. Call from a background job. */
cs_err_t tables_reap(store_txn_t *t, size_t max, bool *more, cs_error_t *err);

#endif
