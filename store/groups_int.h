/*
 * groups_int.h - what the consumer-group files share (groups_rec.c: keys and
 * records; groups.c: operations; groups_poll.c: polls; groups_view.c: admin
 * views). Never included outside store/; the public API is groups.h.
 *
 * Conventions: loaders return 1 found, 0 absent, -1 failed (the txn's
 * sticky error set, CS_ECORRUPT for a malformed record); writers return
 * false on failure (sticky set). Collections (units_t, members_t,
 * owned_list_t) are malloc'd arrays the caller frees (free(x.v)), also on
 * error. Key and record layouts are documented in groups_rec.c.
 */
#ifndef CS_GROUPS_INT_H
#define CS_GROUPS_INT_H

#include "groups.h"
#include "store_int.h"

#define REC_FORMAT 1
#define GPOS_LEN 24
#define CPART_LEN 16
#define POLL_ENT_LEN 28
#define GEXP_MEMBERS "gexp/members"   /* meta: resume key of the member sweep */
#define GEXP_TOMBS "gexp/tombs"       /* meta: resume cid of the tombstone sweep */

/* A table of a group as stored in its record. */
typedef struct gtable {
    uint64_t table_id;
    uint8_t start;
    int64_t at_ms;
    int64_t added_ms;
} gtable_t;

/* A group held in memory while an operation works on it. */
typedef struct grec {
    uint64_t gid;
    char tenant[GROUPS_TENANT_MAX + 1];
    char compartment[GROUPS_COMPARTMENT_MAX + 1];
    char group_id[GROUPS_ID_MAX + 1];
    int64_t created_ms;
    uint64_t generation;
    size_t n_tables;
    gtable_t tables[GROUPS_MAX_TABLES];
} grec_t;

/* A unit's group position (gpos value). */
typedef struct gpos {
    uint64_t committed, owner, epoch;
} gpos_t;

/* Collected units of a group (gpos entries), in key order. */
typedef struct unit {
    uint64_t table_id;
    uint32_t partition;
    gpos_t pos;
} unit_t;

typedef struct units {
    store_txn_t *t;
    unit_t *v;
    size_t n, cap;
    bool nomem;
} units_t;

/* Active members of a group (gmembers), sorted by cid. */
typedef struct members {
    store_txn_t *t;
    uint64_t *v;
    size_t n, cap;
    bool nomem;
} members_t;

/* A consumer's owned partitions (cparts), in key order. */
typedef struct owned {
    uint64_t table_id;
    uint32_t partition;
    uint64_t delivered, epoch;
} owned_t;

typedef struct owned_list {
    store_txn_t *t;
    owned_t *v;
    size_t n, cap;
    bool nomem;
} owned_list_t;

/* ---- keys (groups_rec.c) ---- */
void gr_key_id(keybuf_t *k, uint64_t id);                      /* gid or cid */
void gr_key_id2(keybuf_t *k, uint64_t a, uint64_t b);          /* (gid, cid), (cid, seq), (gid, table) */
void gr_key_unit(keybuf_t *k, uint64_t id, uint64_t table_id, uint32_t part);
bool gr_key_gname(keybuf_t *k, const char *tenant, const char *comp, const char *gid);
bool gr_key_tenant(keybuf_t *k, const char *tenant);           /* gnames prefix: tenant NUL */

/* ---- records (groups_rec.c) ---- */
bool gr_group_store(store_txn_t *t, const grec_t *g);
int gr_group_load(store_txn_t *t, uint64_t gid, grec_t *g);
bool gr_consumer_store(store_txn_t *t, const consumer_info_t *c);
bool gr_consumer_decode(store_txn_t *t, uint64_t cid, const uint8_t *p, size_t n,
                        consumer_info_t *c);
int gr_consumer_load(store_txn_t *t, uint64_t cid, consumer_info_t *c);
int gr_gpos_get(store_txn_t *t, uint64_t gid, uint64_t table_id, uint32_t part, gpos_t *p);
bool gr_gpos_put(store_txn_t *t, uint64_t gid, uint64_t table_id, uint32_t part,
                 const gpos_t *p);
bool gr_cpart_put(store_txn_t *t, uint64_t cid, uint64_t table_id, uint32_t part,
                  uint64_t delivered, uint64_t epoch);
bool gr_cpart_del(store_txn_t *t, uint64_t cid, uint64_t table_id, uint32_t part);
int gr_cpart_get(store_txn_t *t, uint64_t cid, uint64_t table_id, uint32_t part,
                 uint64_t *delivered, uint64_t *epoch);
void gr_delete_prefix_all(store_txn_t *t, keys_dbi_t d, const keybuf_t *k);
int gr_gname_lookup(store_txn_t *t, const char *tenant, const char *compartment,
                    const char *group_id, uint64_t *gid);

/* ---- collections (groups_rec.c) ---- */
/* Every unit of a group (table_id 0 = all its tables, else that one). */
cs_err_t gr_units_load(store_txn_t *t, uint64_t gid, uint64_t table_id, units_t *u,
                       cs_error_t *err);
cs_err_t gr_members_load(store_txn_t *t, uint64_t gid, members_t *m, cs_error_t *err);
cs_err_t gr_owned_load(store_txn_t *t, uint64_t cid, owned_list_t *o, cs_error_t *err);

/* ---- small helpers (groups_rec.c) ---- */
bool gr_grow(void **arr, size_t *cap, size_t need, size_t es);  /* realloc to >= need */
bool gr_is_silent(const consumer_info_t *c, int64_t now_ms);    /* past its max poll interval */
/* CS_EINVAL unless tenant, compartment (non-NULL, may be "") and group id
 * are within their limits and fit in a key. */
cs_err_t gr_check_names(const char *tenant, const char *compartment, const char *group_id,
                        cs_error_t *err);

/* ---- operations shared with groups_poll.c (groups.c) ---- */
/* Drop vanished tables, expire silent members (except keep_cid), and
 * rebalance when `always` or when anything changed. */
cs_err_t gr_settle(store_txn_t *t, grec_t *g, uint64_t keep_cid, int64_t now_ms,
                   bool always, cs_error_t *err);
/* Commit polls 1..upto of consumer c (groups.h, "Polls"). */
cs_err_t gr_commit_upto(store_txn_t *t, const consumer_info_t *c, uint64_t upto,
                        cs_error_t *err);
/* The consumer's group record; CS_ECORRUPT if missing. */
cs_err_t gr_load_group_of(store_txn_t *t, const consumer_info_t *c, grec_t *g,
                          cs_error_t *err);

#endif
