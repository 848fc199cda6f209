/*
 * keys.h - every LMDB key of the store, built and parsed in one place, and
 * the prefix-scan helpers over them.
 *
 * Integers in keys are big-endian and fixed-width, so LMDB's byte order is
 * their numeric order; strings are raw bytes (tenant names end in a NUL so a
 * tenant is never a prefix of another). Key layout, one row per DBI:
 *
 *   DBI      KEY (offset:size description)                  VALUE
 *   meta     0:n  name bytes                                "format" u32 BE;
 *            ("format", "secret", "ctr/<name>",              "secret" 32 bytes;
 *             "drop/" + u64 table id)                        counters u64 BE;
 *                                                            drop marks empty
 *   tables   0:8  table id                                  table record (tables.c)
 *   tnames   0:t  tenant, t+0:1 NUL, t+1:n  table name       u64 BE table id
 *            folded to ASCII lower case
 *   rows     0:8  table id, 8:n  row key bytes as given       row record (rows.c)
 *            (shard key first, so a shard is contiguous)
 *   changes  0:8  table id, 8:4  partition, 12:8  sequence   change event (changelog.c)
 *   streams  0:8  table id, 8:4  partition                   u64 next seq, i64 last
 *                                                            event ms (changelog.c)
 *   gnames   tenant NUL compartment NUL group id            u64 gid
 *   groups   0:8  gid                                       group record (groups_rec.c)
 *   gpos     0:8  gid, 8:8  table id, 16:4  partition        committed, owner cid, epoch
 *   gmembers 0:8  gid, 8:8  cid                              empty (active consumers)
 *   consumers 0:8 cid                                       consumer record (groups_rec.c)
 *   cparts   0:8  cid, 8:8  table id, 16:4  partition        delivered, epoch
 *   cpolls   0:8  cid, 8:8  poll seq                         poll record (groups_rec.c)
 *   (the group DBIs' keys are built in groups_rec.c, values documented there)
 *
 * A key is at most KEYS_MAX bytes (LMDB's default maximum key size), so a
 * row key is at most KEYS_MAX - 8 bytes. Later layers (consumer groups) add
 * their DBIs here: one enum entry, one name, and their key builders.
 */
#ifndef CS_KEYS_H
#define CS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define KEYS_MAX 511u   /* LMDB's maximum key size (mdb_env_get_maxkeysize) */

typedef enum {
    KEYS_DBI_META = 0,
    KEYS_DBI_TABLES,
    KEYS_DBI_TNAMES,
    KEYS_DBI_ROWS,
    KEYS_DBI_CHANGES,
    KEYS_DBI_STREAMS,
    /* consumer groups (groups.c builds these keys; layout in groups.c) */
    KEYS_DBI_GNAMES,    /* tenant NUL compartment NUL group id -> gid */
    KEYS_DBI_GROUPS,    /* gid -> group record */
    KEYS_DBI_GPOS,      /* gid, table id, partition -> committed, owner, epoch */
    KEYS_DBI_GMEMBERS,  /* gid, cid -> (empty): the group's active consumers */
    KEYS_DBI_CONSUMERS, /* cid -> consumer record (tombstones included) */
    KEYS_DBI_CPARTS,    /* cid, table id, partition -> delivered, epoch */
    KEYS_DBI_CPOLLS,    /* cid, poll seq -> what that poll advanced */
    KEYS_DBI__COUNT
} keys_dbi_t;

/* LMDB name of each DBI ("meta", "tables", ...). */
const char *keys_dbi_name(keys_dbi_t dbi);

/* A key under construction. Builders return false (and leave len 0) when
 * the key would exceed KEYS_MAX. */
typedef struct keybuf {
    uint8_t b[KEYS_MAX];
    size_t len;
} keybuf_t;

/* meta */
bool keys_meta(keybuf_t *k, const char *name);             /* "format", "secret" */
bool keys_counter(keybuf_t *k, const char *counter_name);  /* "ctr/<name>" */
bool keys_drop(keybuf_t *k, uint64_t table_id);            /* "drop/" + id */
bool keys_drop_prefix(keybuf_t *k);                        /* "drop/" */
bool keys_parse_drop(const uint8_t *key, size_t len, uint64_t *table_id);

/* tables / tnames */
bool keys_table(keybuf_t *k, uint64_t table_id);
bool keys_tname(keybuf_t *k, const char *tenant, const char *name); /* name folded */
bool keys_tname_prefix(keybuf_t *k, const char *tenant);            /* tenant NUL */

/* rows */
bool keys_row(keybuf_t *k, uint64_t table_id, const uint8_t *rkey, size_t rlen);
bool keys_parse_row(const uint8_t *key, size_t len, uint64_t *table_id,
                    const uint8_t **rkey, size_t *rlen);

/* changes / streams; a prefix of only the table id uses keys_table(). */
bool keys_event(keybuf_t *k, uint64_t table_id, uint32_t partition, uint64_t seq);
bool keys_partition(keybuf_t *k, uint64_t table_id, uint32_t partition); /* = streams key */
bool keys_parse_event(const uint8_t *key, size_t len, uint64_t *table_id,
                      uint32_t *partition, uint64_t *seq);
bool keys_parse_partition(const uint8_t *key, size_t len, uint64_t *table_id,
                          uint32_t *partition);

/* ASCII lower-case copy of s into out (outsz bytes, NUL-terminated);
 * returns false if it does not fit. Table names compare through this. */
bool keys_fold(char *out, size_t outsz, const char *s);

/* ---- scans ------------------------------------------------------------ */

/* Called for each key/value; both borrowed until the callback returns.
 * Return true to continue, false to stop. */
typedef bool (*keys_visit_fn)(const uint8_t *key, size_t klen,
                              const uint8_t *val, size_t vlen, void *ctx);

/* Visit, in key order, every key of dbi that starts with prefix[0..plen)
 * and is >= from[0..flen) (from may be NULL: start at the prefix). Returns
 * the txn's sticky error, or CS_OK. */
cs_err_t keys_foreach_prefix(store_txn_t *t, keys_dbi_t dbi,
                             const uint8_t *prefix, size_t plen,
                             const uint8_t *from, size_t flen,
                             keys_visit_fn fn, void *ctx);

/* Delete up to max keys of dbi starting with prefix (write txn). *deleted
 * gets the count, *more whether keys with the prefix remain. */
cs_err_t keys_delete_prefix(store_txn_t *t, keys_dbi_t dbi,
                            const uint8_t *prefix, size_t plen, size_t max,
                            size_t *deleted, bool *more);

#endif
