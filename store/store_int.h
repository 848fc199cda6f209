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
    /* Same for rows_reap_expired. */
    uint8_t reap_from[KEYS_MAX];
    size_t reap_from_len;
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

/* changelog.c: delete a dropped table's events and stream counters, at
 * most max entries; *more when some remain. */
cs_err_t changelog_drop_table(store_txn_t *t, uint64_t table_id, size_t max,
                              size_t *deleted, bool *more);

#endif
