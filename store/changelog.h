/*
 * changelog.h - the change log of streaming tables: reading, bounds, time
 * seek, retention.
 *
 * Events are appended only by rows.c, in the transaction of the row write
 * they describe (see rows.h). Each (table, partition) has its own sequence:
 * 1, 2, 3, ... from a counter that never goes back, also after purges or
 * when streaming is turned off and on again; retained events of a partition
 * always form one contiguous run [first_retained, next_seq).
 *
 * Partition of a row = changelog_hash(shard key bytes) % partitions, where
 * changelog_hash is 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3) over the shard-key prefix of the row key. This function is
 * part of the on-disk contract and must never change.
 *
 * Event time: event_ms = max(now_ms of the write, event_ms of the previous
 * event of the partition), so it never decreases within a partition even if
 * the clock goes back; seek-by-time and retention use it.
 */
#ifndef CS_CHANGELOG_H
#define CS_CHANGELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef enum {
    CHANGELOG_PUT = 1,
    CHANGELOG_DELETE = 2
} changelog_kind_t;

/* One change event. In changelog_read callbacks every pointer is borrowed
 * until the callback returns. */
struct changelog_event {
    uint64_t table_id;
    uint32_t partition;
    uint64_t seq;             /* per (table, partition), from 1 */
    changelog_kind_t kind;
    int64_t event_ms;         /* append time, non-decreasing per partition */
    int64_t mod_ms;           /* the write's modification time */
    int64_t exp_ms;           /* the new row's expiration, 0 = never / delete */
    uint64_t version;         /* a fresh global write number (commit order), also for deletes */
    const uint8_t *key;       /* the row key bytes */
    size_t key_len;
    const uint8_t *keymap;    /* the codec's key map */
    size_t keymap_len;
    const uint8_t *value;     /* new value; NULL for a delete */
    size_t value_len;
    bool has_prev;            /* a live row existed before the write */
    const uint8_t *prev_value;/* its value (NULL if !has_prev) */
    size_t prev_value_len;
    int64_t prev_mod_ms;      /* its modification time */
    uint64_t prev_version;    /* its version */
};
typedef struct changelog_event changelog_event_t;

/* The stable 64-bit FNV-1a hash of a shard key, and its partition. */
uint64_t changelog_hash(const uint8_t *shard, size_t len);
uint32_t changelog_partition_of(const uint8_t *shard, size_t len, uint32_t partitions);

/* Return true to continue, false to stop. */
typedef bool (*changelog_visit_fn)(const changelog_event_t *ev, void *ctx);

/* Call fn for each retained event of (table, partition) with seq >= from_seq,
 * in sequence order, at most max_events (0 = no limit); *n_read (may be NULL)
 * gets how many were passed to fn. Any txn. Errors: sticky (CS_ECORRUPT for a
 * malformed event). */
cs_err_t changelog_read(store_txn_t *t, uint64_t table_id, uint32_t partition,
                        uint64_t from_seq, size_t max_events,
                        changelog_visit_fn fn, void *ctx, size_t *n_read, cs_error_t *err);

/* First retained seq and next seq to be assigned of a partition; when
 * nothing is retained *first == *next (1 and 1 for a partition never
 * written). */
cs_err_t changelog_bounds(store_txn_t *t, uint64_t table_id, uint32_t partition,
                          uint64_t *first, uint64_t *next, cs_error_t *err);

/* The first retained seq whose event_ms >= t_ms (*seq = next seq when there
 * is none). Binary search: O(log n) lookups. */
cs_err_t changelog_seek_time(store_txn_t *t, uint64_t table_id, uint32_t partition,
                             int64_t t_ms, uint64_t *seq, cs_error_t *err);

/* Retention (write txn): delete events with event_ms < older_than_ms from
 * the front of every partition of every table, at most max_events deletions
 * (and a bounded number of partition visits) per call, resuming where the
 * previous call stopped. *purged = events deleted; *more = the call stopped on
 * its budget (call again soon). Never moves a sequence counter. */
cs_err_t changelog_purge(store_txn_t *t, int64_t older_than_ms, size_t max_events,
                         size_t *purged, bool *more, cs_error_t *err);

/* Retained events of a table over all its partitions (any txn). */
cs_err_t changelog_count(store_txn_t *t, uint64_t table_id, uint64_t *count, cs_error_t *err);

#endif
