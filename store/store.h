/*
 * store.h - csemu's storage environment: one LMDB environment per data dir,
 * transactions with a sticky error, and group commit for every write.
 *
 * The store layer (store/) is the only code that includes <lmdb.h>; it knows
 * nothing of HTTP or NSON and treats row keys and values as opaque bytes.
 *
 * Threads and transactions:
 *   - Reads: store_read_begin() gives a read-only snapshot usable from any
 *     thread (MDB_NOTLS); the LMDB handle is reset and renewed from a pool,
 *     not allocated per request. Nothing read through a transaction outlives
 *     it: the rows/tables/changelog functions copy into caller memory (an
 *     arena or a struct) unless their header says "borrowed".
 *   - Writes: only through store_write(), which runs a job inside a write
 *     transaction shared with concurrent callers (group commit) and returns
 *     once that transaction is committed. There is no other way to write, so
 *     every write is batched, bounded and error-checked the same way.
 *
 * Errors: an operation on a store_txn_t that fails because of the storage
 * itself (LMDB error, corrupt record, out of memory) records the error in the
 * transaction; from then on every store_* operation on it is a no-op that
 * returns the same error, and store_write() rolls the job back. Results a
 * caller expects ("not found", a failed put condition, "table exists") are
 * returned without poisoning the transaction, and are always detected before
 * anything is written.
 *
 * Every function that takes a `cs_error_t *err` (may be NULL) puts the
 * user-facing sentence of the code it returns there; on a sticky error it is
 * a copy of txn->err.
 *
 * Background work the server schedules (each a small store_write job with a
 * budget, repeated while it reports more): changelog_purge (retention),
 * tables_reap (data of dropped big tables), rows_reap_expired (TTL).
 *
 * Durability: by default commits do not fsync (MDB_NOSYNC): a committed write
 * is in the kernel's page cache and survives kill -9 of the process, not a
 * power loss. With opts.sync every batch commit is fsynced before any of its
 * callers return; concurrent writers share those fsyncs.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

#define STORE_FORMAT 1u             /* on-disk format this build reads and writes */
#define STORE_SECRET_LEN 32u        /* bytes of the per-store secret */
#define STORE_DEFAULT_MAP (4ull << 30) /* map size when opts.map_size == 0: 4 GiB */
#define STORE_BATCH_MAX 256u        /* jobs per group-commit batch, at most */

typedef struct store store_t;
struct MDB_txn;                     /* LMDB's, opaque outside store/ */

typedef struct store_opts {
    const char *dir;   /* data directory; created (mode 0700) if missing */
    size_t map_size;   /* bytes the LMDB map may grow to; 0 = STORE_DEFAULT_MAP */
    bool sync;         /* fsync every batch commit (durable against power loss) */
} store_opts_t;

/* A transaction handle. Callers allocate it (usually on the stack), get it
 * from store_read_begin() or as the argument of a store_write() job, and
 * read only `ret` / `err`; the other fields are the store's. */
typedef struct store_txn {
    store_t *store;
    struct MDB_txn *txn; /* private */
    bool rw;             /* a write (job) transaction */
    cs_err_t ret;        /* sticky error: CS_OK while the transaction is usable */
    cs_error_t err;      /* message of the first error once ret != CS_OK */
} store_txn_t;

/* ---- environment ------------------------------------------------------ */

/* Open (creating if needed) the store in opts->dir. Checks the format
 * version kept in the meta DBI (a store written by a newer csemu is refused
 * with CS_ENOTSUP and a message naming both versions; a file that is not an
 * LMDB store gives CS_ECORRUPT), creates the random per-store secret on first
 * open, clears reader slots left by dead processes, and takes an exclusive
 * lock on the directory (a second process on the same dir gets CS_EBUSY).
 * On success *out owns the store (free with store_close). */
cs_err_t store_open(const store_opts_t *opts, store_t **out, cs_error_t *err);

/* Flush (one fsync, also in no-sync mode) and close. No store_write or read
 * transaction may be in progress. NULL is ignored. */
void store_close(store_t *s);

/* The store's STORE_SECRET_LEN random bytes (e.g. the key for cursor MACs);
 * valid until store_close. */
const uint8_t *store_secret(const store_t *s);

/* ---- read transactions ------------------------------------------------ */

/* Begin a read-only snapshot in *t (caller-owned struct). Any thread may use
 * it, one thread at a time. Returns CS_OK, or CS_EBUSY when every reader slot
 * is in use, CS_EIO otherwise (message in *err, which may be NULL). */
cs_err_t store_read_begin(store_t *s, store_txn_t *t, cs_error_t *err);

/* End a read snapshot; everything borrowed from it becomes invalid. Safe on
 * a txn whose begin failed. */
void store_read_end(store_txn_t *t);

/* ---- writes: group commit -------------------------------------------- */

/* A write job. Runs inside a nested transaction of the batch's write
 * transaction, on whichever thread leads the batch (so it must not use
 * thread-local state, must not call store_write or block on other writers,
 * and should be short: it holds up every writer queued behind it). Returns
 * CS_OK to keep its writes, anything else to roll them back (err carries the
 * message; it is the caller's err from store_write). Anything it reads must
 * be copied out before it returns. */
typedef cs_err_t (*store_job_fn)(store_txn_t *txn, void *arg, cs_error_t *err);

/* Run fn(txn, arg, err) in a write transaction shared with concurrent callers
 * and return once that transaction has committed (and been fsynced in sync
 * mode). Returns fn's error if fn failed or left the txn's sticky error set
 * (its writes are rolled back, its neighbours' are not); CS_ESPACE when the
 * map or disk is full; CS_EIO / CS_ECORRUPT when the batch could not commit
 * (then no job of the batch took effect). The store keeps working after any
 * of these. The leader/follower protocol: the first caller to find no batch
 * running leads, taking up to STORE_BATCH_MAX queued jobs (its own and
 * others') into one transaction; the others sleep, each on its own
 * semaphore. When the batch ends its leader wakes exactly that batch's
 * callers and hands leadership to the oldest caller still queued (if any),
 * which leads the next batch. Jobs run in arrival order. */
cs_err_t store_write(store_t *s, store_job_fn fn, void *arg, cs_error_t *err);

/* Group-commit counters since store_open. */
typedef struct store_stats {
    uint64_t commits;        /* batch transactions committed */
    uint64_t failed_commits; /* batch transactions whose commit (or begin) failed */
    uint64_t jobs;           /* jobs run (committed, rolled back, or failed) */
    uint64_t max_batch;      /* most jobs seen in one batch */
    uint64_t pending;        /* jobs queued now, not yet taken by a leader */
} store_stats_t;
void store_get_stats(store_t *s, store_stats_t *out);

/* Test-only fault injection (rule 14 of STYLE.md); never set in production.
 * Takes effect from the next batch a leader starts. */
typedef struct store_faults {
    unsigned fail_commits;        /* the next N batch commits fail ... */
    int commit_rc;                /* ... as if LMDB returned this (e.g. MDB_MAP_FULL
                                   * = -30792, or an errno such as EIO) */
    uint64_t exit_after_commits;  /* _exit(99) right after this many more commits,
                                   * before any of that batch's callers wake; 0 = never */
} store_faults_t;
void store_set_faults(store_t *s, const store_faults_t *f);

/* ---- inside transactions ---------------------------------------------- */

/* Next value of a named counter kept in meta (table ids, row versions, ...):
 * 1 on first use, then strictly increasing; never reused, also after its
 * users are deleted. Write transactions only; name is at most 64 bytes.
 * Returns 0 (and sets the sticky error) on failure. */
uint64_t store_next_id(store_txn_t *t, const char *counter_name);

/* A new row version: unique, and increasing in commit order. Built from
 * LMDB's transaction id (persistent, one per committed batch) and a
 * per-batch sequence, so a write costs no counter update in the store: the
 * meta DBI's pages stay clean. Write transactions only; 0 on failure. */
#define STORE_VERSION_SHIFT 24
#define STORE_VERSION_PER_TXN (1u << STORE_VERSION_SHIFT)
uint64_t store_next_version(store_txn_t *t);

/* The current value of a counter (0 if never used). Any transaction. */
uint64_t store_peek_id(store_txn_t *t, const char *counter_name);

/* Copy the txn's sticky error into *err (if err) and return it. */
cs_err_t store_txn_error(const store_txn_t *t, cs_error_t *err);

/* ---- errors ----------------------------------------------------------- */

/* The one place LMDB return codes and errno values become cs_err_t, with a
 * message in *err (may be NULL): MDB_MAP_FULL, ENOSPC, EDQUOT -> CS_ESPACE;
 * MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID -> CS_ECORRUPT;
 * MDB_READERS_FULL -> CS_EBUSY; MDB_VERSION_MISMATCH -> CS_ENOTSUP;
 * ENOMEM -> CS_ENOMEM; anything else -> CS_EIO. rc 0 gives CS_OK. */
cs_err_t store_err_from_mdb(int rc, cs_error_t *err);

#endif
