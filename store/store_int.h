/*
 * store_int.h - what the store's own modules share; never included outside
 * store/ (it includes <lmdb.h>). Server code uses store.h, keys.h, tables.h,
 * rows.h and changelog.h only.
 *
 * Conventions for the txn helpers below: each returns early if the txn's
 * sticky error is set, and sets it on any storage failure, so a module writes
 * its happy path straight and checks t->ret once.
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>

#include "keys.h"
#include "store.h"

#define STORE_READ_POOL 64   /* idle read txns kept for renewal */
#define STORE_MAX_READERS 256

typedef struct store_job store_job_t;

struct store {
    MDB_env *env;
    MDB_dbi dbi[KEYS_DBI__COUNT];
    uint8_t secret[STORE_SECRET_LEN];
    int lock_fd;                      /* flock'ed csemu.lock in the data dir */

    pthread_mutex_t pool_mu;          /* guards pool[] */
    MDB_txn *pool[STORE_READ_POOL];   /* reset read txns ready for renewal */
    size_t pool_n;

    pthread_mutex_t w_mu;             /* guards everything below */
    bool w_leading;                   /* a leader runs a batch or has been handed
                                       * the next one; false only with an empty queue */
    store_job_t *w_head, *w_tail;     /* queued jobs, FIFO (writer.c) */
    store_stats_t stats;
    store_faults_t faults;

    /* store_next_version: the batch transaction it numbers, and how many
     * versions it handed out (only touched inside write jobs). */
    uint64_t ver_txnid, ver_seq;

    /* Hint where changelog_purge stopped (only touched inside write jobs,
     * which never run concurrently). */
    uint8_t purge_from[20];
    size_t purge_from_len;
    /* Same for rows_reap_expired, and what its passes learn: once a pass
     * has gone through every row (reap_known), no stored row expires
     * before reap_due_ms (the earliest expiration that pass met, lowered
     * by every later write of a row that expires), so passes before then
     * have nothing to do. reap_pass_min: the same minimum for the pass
     * under way. Hints only: a rolled-back job can only leave them low. */
    uint8_t reap_from[KEYS_MAX];
    size_t reap_from_len;
    bool reap_known;
    int64_t reap_due_ms, reap_pass_min;
};

/* ---- writer (writer.c) ---- */
void writer_init(store_t *s);
void writer_destroy(store_t *s);

/* ---- sticky errors ---- */
cs_err_t txn_fail(store_txn_t *t, cs_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
cs_err_t txn_fail_mdb(store_txn_t *t, int rc, const char *what);
/* Copy a semantic (non-sticky) error into err and return code. */
static inline bool txn_ok(const store_txn_t *t) { return t->ret == CS_OK; }
void txn_init(store_txn_t *t, store_t *s, MDB_txn *txn, bool rw);

/* ---- raw access (sticky) ---- */
static inline MDB_dbi txn_dbi(const store_txn_t *t, keys_dbi_t d) { return t->store->dbi[d]; }
/* 1 found (*v borrowed until the txn ends or the next write), 0 absent,
 * -1 failed (sticky error set). */
int txn_get(store_txn_t *t, keys_dbi_t d, const keybuf_t *k, MDB_val *v);
bool txn_put(store_txn_t *t, keys_dbi_t d, const keybuf_t *k,
             const void *val, size_t vlen);
/* Reserve vlen bytes for the value and return where to write them
 * (MDB_RESERVE), NULL on failure. */
uint8_t *txn_reserve(store_txn_t *t, keys_dbi_t d, const keybuf_t *k, size_t vlen);
/* Delete the key; absent is fine. */
bool txn_del(store_txn_t *t, keys_dbi_t d, const keybuf_t *k);
/* Open a cursor; NULL on failure (sticky set). Close with mdb_cursor_close. */
MDB_cursor *txn_cursor(store_txn_t *t, keys_dbi_t d);
/* mdb_cursor_get that maps MDB_NOTFOUND to 0, success to 1, errors to -1 (sticky). */
int txn_cursor_get(store_txn_t *t, MDB_cursor *c, MDB_val *k, MDB_val *v, MDB_cursor_op op);

/* ---- internal module entry points ---- */

/* tables.c: streaming state of a table, read inside the txn. Returns false
 * if the table does not exist (or on a sticky error). */
bool tables_stream_info(store_txn_t *t, uint64_t table_id, bool *streaming,
                        uint32_t *partitions);

/* changelog.c: the change event a row write makes. Only rows.c calls this,
 * in the same transaction as the row write. */
typedef struct changelog_event changelog_event_t;
cs_err_t changelog_append(store_txn_t *t, changelog_event_t *ev);

/* changelog.c: one partition's events through a cursor the caller holds, for
 * readers that interleave partitions (group polls): moving to the next
 * event costs no new lookup, and the head's seq and version are known
 * without decoding the event. Fields are read-only for callers; the head
 * (and what changelog_iter_event borrows) is valid until the iterator
 * moves, the txn writes, or it is closed. Open and close in one txn. */
typedef struct changelog_iter {
    store_txn_t *t;
    MDB_cursor *c;          /* NULL if the open failed */
    uint64_t table_id;
    uint32_t partition;
    uint8_t prefix[12];     /* the partition's key prefix */
    MDB_val val;            /* the head event's value (borrowed) */
    bool valid;             /* positioned on an event of the partition */
    uint64_t seq, version;  /* the head event's, when valid */
} changelog_iter_t;
/* Position at the first retained event with seq >= from_seq; false when
 * there is none (or on a sticky error). Always changelog_iter_close. */
bool changelog_iter_open(store_txn_t *t, changelog_iter_t *it, uint64_t table_id,
                         uint32_t partition, uint64_t from_seq);
/* Move to the partition's next event; false at its end (or on error). */
bool changelog_iter_next(changelog_iter_t *it);
/* Decode the head event (pointers borrowed as above); false on a
 * malformed event (sticky CS_ECORRUPT) or when not positioned. */
bool changelog_iter_event(changelog_iter_t *it, changelog_event_t *ev);
void changelog_iter_close(changelog_iter_t *it);
/* The partition's next seq to be assigned (1 if never written); false on
 * a sticky error. */
bool changelog_next_seq(store_txn_t *t, uint64_t table_id, uint32_t partition,
                        uint64_t *next);

/* changelog.c: delete a dropped table's events and stream counters, at
 * most max entries; *more when some remain. */
cs_err_t changelog_drop_table(store_txn_t *t, uint64_t table_id, size_t max,
                              size_t *deleted, bool *more);

#endif
