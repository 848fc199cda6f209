/*
 * groups.h - Change Streams consumer groups: groups, consumers, committed
 * and delivered positions, partition assignment, polls and commits.
 *
 * Model. A group is named by (tenant, compartment, group id); compartment ""
 * is the tenancy default. It has a number (gid, never reused), a set of
 * tables (each with the start spec it was added with) and, per (table,
 * partition) of those tables, three things: the COMMITTED position (the
 * group's next change-log sequence to read: everything before it is done),
 * the OWNER consumer (0 = none) and an ownership EPOCH that increments every
 * time the owner changes. A consumer (cid, never reused) belongs to one
 * group and owns some of its partitions; per owned partition it has a
 * DELIVERED position (next sequence it will be given) and the epoch it was
 * granted under. Positions are "next sequence to read" (changelog.h);
 * delivered and committed are separate fields, neither inferred from the
 * other.
 *
 * Polls. Each poll that returns events gets a number (the consumer's
 * poll_seq after the poll; the cursor carries it) and a poll record: per
 * partition it advanced, (table, partition, epoch, end position). Committing
 * poll K applies every record of that consumer with number <= K whose
 * partition the consumer still owns under the same epoch (committed =
 * max(committed, end): never backwards) and deletes those records. So a
 * commit of an older bundle after a newer one is a no-op, and a commit for
 * partitions that moved to another consumer does not touch them.
 *
 * Assignment. Whenever the set of active members or the group's tables
 * change, group partitions are reassigned (assign.h: balanced and sticky). A
 * partition whose owner changes gets a new epoch; its new owner's delivered
 * position is the group's committed one, so events the old owner received
 * but did not commit are delivered again (at-least-once); the old owner's
 * entry is removed.
 *
 * Liveness. A consumer is silent when now_ms - last_poll_ms > its max poll
 * interval (last_poll_ms starts at creation). Silent consumers are EXPIRED by
 * the next poll of any member of their group, by any rebalance of the group,
 * and by the background pass groups_expire(); their partitions move on and
 * their uncommitted events are redelivered. Consumers that end (closed,
 * expired, group deleted) stay as tombstones, so a later call with their
 * cursor gets a precise error, until groups_expire() purges them.
 *
 * Transactions. Every function runs inside a transaction the caller owns:
 * write functions take a write-job txn (store_write), views any txn. Time is
 * always passed in (now_ms), never read from the clock here. Semantic errors
 * (not found, invalid) are detected before anything is written and do not
 * poison the txn; storage failures set the txn's sticky error (the job must
 * then fail, store_write rolls it back).
 *
 * Every operation on a consumer first runs the group_consumer_get check and
 * fails with its error when the consumer is unknown, of another tenant,
 * closed, expired or its group deleted.
 */
#ifndef CS_GROUPS_H
#define CS_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "changelog.h"
#include "store.h"

#define GROUPS_ID_MAX 128u                  /* bytes of a group id */
#define GROUPS_TENANT_MAX 127u              /* bytes of a tenant name */
#define GROUPS_COMPARTMENT_MAX 255u         /* bytes of a compartment */
#define GROUPS_MAX_TABLES 64u               /* tables per group */
#define GROUPS_DEFAULT_MAX_POLL_MS 30000    /* max poll interval when 0 is given */
#define GROUPS_TOMBSTONE_MS (7LL * 24 * 3600 * 1000) /* suggested tombstone age */
#define GROUPS_DEPARTED_MS (3600LL * 1000)  /* the view lists consumers that ended this recently */

/* Start location of a table added to a group (wire `so`). */
typedef enum {
    GROUP_START_FIRST_UNCOMMITTED = 1, /* the group's committed position; EARLIEST if none */
    GROUP_START_EARLIEST = 2,          /* the first retained event */
    GROUP_START_LATEST = 3,            /* events written after this call */
    GROUP_START_AT_TIME = 4            /* first event with event time >= at_ms */
} group_start_t;

typedef struct group_table_spec {
    uint64_t table_id;     /* from tables_lookup_ocid/name (tenant-scoped) */
    group_start_t start;
    int64_t at_ms;         /* for GROUP_START_AT_TIME, ms since the epoch */
} group_table_spec_t;

typedef enum {
    CONSUMER_ACTIVE = 1,
    CONSUMER_CLOSED = 2,        /* group_close */
    CONSUMER_EXPIRED = 3,       /* silent past its max poll interval */
    CONSUMER_GROUP_DELETED = 4  /* group_delete while it was active */
} consumer_state_t;

/* A consumer as stored (copied out of the txn). */
typedef struct consumer_info {
    uint64_t cid;                               /* consumer id */
    uint64_t gid;                               /* its group's number */
    char tenant[GROUPS_TENANT_MAX + 1];
    char compartment[GROUPS_COMPARTMENT_MAX + 1]; /* "" = tenancy default */
    char group_id[GROUPS_ID_MAX + 1];
    bool manual;                                /* manual commit mode */
    int64_t max_poll_ms;                        /* effective interval, > 0 */
    consumer_state_t state;
    int64_t created_ms;
    int64_t last_poll_ms;                       /* last poll of any limit ("seen") */
    int64_t ended_ms;                           /* when it left ACTIVE, 0 while active */
    uint64_t poll_seq;                          /* number of its latest poll, 0 = none yet */
} consumer_info_t;

/* Human name of a state: "active", "closed", "expired", "group deleted". */
const char *consumer_state_name(consumer_state_t s);

/* ---- consumer operations (write txn) --------------------------------- */

/* CREATE: join (creating if needed) the group (tenant, compartment, group_id)
 * with a new consumer. tables[0..n) is the group's new table set: it
 * REPLACES the current one (tables not listed leave the group with their
 * positions). A table new to the group (or, with force_reset, every listed
 * table) gets its committed positions from its start spec; a table already
 * in the group keeps the group's positions. force_reset also moves the
 * delivered positions of the current owners to the new committed ones (and
 * bumps those partitions' epochs so their pending polls cannot commit
 * afterwards). The new consumer is ACTIVE with last_poll_ms = now_ms; then
 * silent members expire and the group is rebalanced. max_poll_ms <= 0 means
 * GROUPS_DEFAULT_MAX_POLL_MS. Duplicate table ids in the list: the first
 * spec wins. On success *cid_out is the new consumer id.
 * Errors (nothing written): CS_EINVAL (empty or too long group id, tenant or
 * compartment, empty table list, more than GROUPS_MAX_TABLES tables, bad
 * start kind, streaming not enabled on a table: "Change streaming is not
 * enabled for table T"), CS_ENOTABLE (a table id that does not exist or
 * belongs to another tenant: "Table not found: <ocid>"), storage errors. */
cs_err_t group_consumer_create(store_txn_t *t, const char *tenant, const char *compartment,
                               const char *group_id, const group_table_spec_t *tables,
                               size_t n, bool manual, int64_t max_poll_ms,
                               bool force_reset, int64_t now_ms, uint64_t *cid_out,
                               cs_error_t *err);

/* The consumer cid of tenant, if it is ACTIVE (any txn). Errors, all
 * CS_ENOTFOUND: unknown cid or another tenant's ("Invalid or unknown
 * consumer cursor"), closed ("Consumer N has been closed"), expired
 * ("Consumer N of group 'g' was removed after not polling within its max
 * poll interval of X ms; create a new consumer"), group deleted ("Consumer
 * group 'g' was deleted"); CS_ECORRUPT for a malformed record. *out is
 * filled whenever the record exists (also on the state errors). A consumer
 * past its interval that has not been expired yet is still returned. */
cs_err_t group_consumer_get(store_txn_t *t, uint64_t cid, const char *tenant,
                            consumer_info_t *out, cs_error_t *err);

/* Called for each event a poll returns, in delivery order; ev and its bytes
 * are borrowed until the callback returns (copy or encode them). Return
 * true when the event is taken, false to end the poll before this event
 * (it is not delivered; e.g. the reply is full). table_id == ev->table_id.
 * The callback runs inside the poll's transaction and must not use it (no
 * store calls); look table names up before or after group_poll. */
typedef bool (*group_emit_fn)(void *ctx, uint64_t table_id, const changelog_event_t *ev);

/* POLL: (1) marks the consumer seen (last_poll_ms = now_ms); (2) in
 * automatic mode, when limit > 0, commits every earlier poll of this
 * consumer (group_commit up to poll_seq); (3) expires the group's other
 * silent members and drops tables that no longer exist from the group,
 * rebalancing if either happened; (4) limit 0 is a heartbeat ("alive, still
 * processing") and stops here: no events, no commit, no poll record,
 * poll_seq unchanged; (5) otherwise reads up to `limit` events
 * of the consumer's partitions from their delivered positions (a delivered
 * position below the first retained event jumps to it), merged across
 * partitions by the events' global write version (ev->version, from the
 * "row_version" counter: commit order; one partition's events are always
 * in sequence order), calling emit for each (every event, deletes too,
 * carries a fresh value of the global write counter, so the merge is commit
 * order; a poll reads one table, see groups_poll.c);
 * (6) advances delivered positions past the taken events, writes the poll
 * record when at least one event was taken, and increments poll_seq
 * (every poll with limit > 0 gets a new number, even an empty one).
 * *poll_seq_out = the consumer's poll_seq after the call (the cursor's
 * number); *remaining_out = events still waiting in its partitions after
 * this poll (exact). Errors: group_consumer_get's, storage errors. */
cs_err_t group_poll(store_txn_t *t, uint64_t cid, const char *tenant, uint32_t limit,
                    int64_t now_ms, group_emit_fn emit, void *ctx,
                    uint64_t *poll_seq_out, int64_t *remaining_out, cs_error_t *err);

/* group_poll for a client that presents the cursor of poll `seen_seq`.
 * When seen_seq is older than the consumer's latest poll, the replies of
 * the polls after it never reached the client (the server stopped or the
 * connection broke after they committed): those polls are rewound first —
 * their records dropped and delivered positions moved back to where poll
 * seen_seq left them — so their events come again (at-least-once), and
 * automatic mode commits only up to seen_seq. group_poll is this function
 * with seen_seq = the latest poll. */
cs_err_t group_poll_seen(store_txn_t *t, uint64_t cid, const char *tenant, uint32_t limit,
                         uint64_t seen_seq, int64_t now_ms, group_emit_fn emit, void *ctx,
                         uint64_t *poll_seq_out, int64_t *remaining_out, cs_error_t *err);

/* COMMIT everything polls 1..upto_poll_seq of this consumer returned, for the
 * partitions it still owns under the same epoch (see the model above);
 * upto_poll_seq above the consumer's poll_seq is clamped. Committing an
 * already committed or older poll is a no-op, not an error. Does not count
 * as a sign of life. Errors: group_consumer_get's, storage errors. */
cs_err_t group_commit(store_txn_t *t, uint64_t cid, const char *tenant,
                      uint64_t upto_poll_seq, int64_t now_ms, cs_error_t *err);

/* RESET: delivered := committed for every partition the consumer owns, its
 * pending poll records are dropped without committing; no rebalance.
 * Errors: group_consumer_get's, storage errors. */
cs_err_t group_reset(store_txn_t *t, uint64_t cid, const char *tenant, int64_t now_ms,
                     cs_error_t *err);

/* UPDATE the group's table set through one of its consumers: for each i,
 * remove[i] (remove may be NULL = no removals) removes specs[i].table_id
 * from the group (a no-op if absent), else adds it with its start spec if it
 * is new to the group (a no-op if present), in list order. Added tables are
 * validated like CREATE (all before writing); then the group is rebalanced.
 * Removing the last table leaves the group with none (polls return nothing).
 * Errors: group_consumer_get's, CREATE's table errors, CS_EINVAL (more than
 * GROUPS_MAX_TABLES), storage errors. */
cs_err_t group_update(store_txn_t *t, uint64_t cid, const char *tenant,
                      const group_table_spec_t *specs, size_t n, const bool *remove,
                      int64_t now_ms, cs_error_t *err);

/* CLOSE: automatic mode commits every pending poll first; the consumer
 * becomes CLOSED (a tombstone), loses its partitions and poll records, and
 * the rest of the group is rebalanced. Errors: group_consumer_get's (closing
 * twice gives "Consumer N has been closed"), storage errors. */
cs_err_t group_close(store_txn_t *t, uint64_t cid, const char *tenant, int64_t now_ms,
                     cs_error_t *err);

/* group_close for a client that presents the cursor of poll `seen_seq`:
 * automatic mode commits only the polls up to seen_seq (later replies never
 * reached the client, so their events stay uncommitted for the group). */
cs_err_t group_close_seen(store_txn_t *t, uint64_t cid, const char *tenant, uint64_t seen_seq,
                          int64_t now_ms, cs_error_t *err);

/* ---- group operations (write txn) ----------------------------------- */

/* DELETE the group (tenant, compartment, group_id). CS_ENOTFOUND ("Consumer
 * group 'g' not found") when absent. With live members (ACTIVE and not
 * silent) and !force_stop: CS_ESTATE ("Consumer group 'g' has N active
 * consumers; close them or use force stop"). Otherwise removes all group
 * state (name, record, positions, assignment, members' partitions and poll
 * records); live members become GROUP_DELETED, silent ones EXPIRED. */
cs_err_t group_delete(store_txn_t *t, const char *tenant, const char *compartment,
                      const char *group_id, bool force_stop, int64_t now_ms,
                      cs_error_t *err);

/* Background liveness pass over all groups (write txn), resuming where the
 * previous call stopped (resume keys kept in meta under "gexp/"): visits at
 * most max(max_work, 2) records - half memberships, the rest consumer
 * records - expiring silent consumers (then rebalancing their groups) and
 * purging tombstones that ended more than tombstone_ms ago (e.g.
 * GROUPS_TOMBSTONE_MS). *done (may be NULL) = records visited. Call it
 * periodically (e.g. every second) from a background write job; each sweep
 * wraps around to the start once it reaches the end. */
cs_err_t groups_expire(store_txn_t *t, int64_t now_ms, int64_t tombstone_ms,
                       size_t max_work, size_t *done, cs_error_t *err);

/* ---- read-only views for the admin API (any txn) ------------------- */

typedef struct group_summary {
    uint64_t gid;
    char compartment[GROUPS_COMPARTMENT_MAX + 1];
    char group_id[GROUPS_ID_MAX + 1];
    int64_t created_ms;
    size_t n_tables;
    size_t n_members;        /* active consumers */
} group_summary_t;

/* The tenant's groups (all compartments), sorted by (compartment, group id).
 * *out is malloc'd (free()); *n its length. Errors: CS_ENOMEM, storage. */
cs_err_t groups_list(store_txn_t *t, const char *tenant, group_summary_t **out,
                     size_t *n, cs_error_t *err);

typedef struct group_table_view {
    uint64_t table_id;
    group_start_t start;     /* the spec it was added with */
    int64_t at_ms;
    int64_t added_ms;
    bool exists;             /* false once the table was dropped (pruned at next poll) */
    uint32_t partitions;
} group_table_view_t;

typedef struct group_part_view {
    uint64_t table_id;
    uint32_t partition;
    uint64_t committed;      /* group's next seq to read */
    uint64_t owner;          /* consumer id, 0 = none */
    uint64_t epoch;          /* ownership epoch */
    uint64_t delivered;      /* owner's next seq (== committed with no owner) */
    uint64_t first, next;    /* retained events: [first, next) */
    uint64_t lag_committed;  /* next - max(committed, first): not yet committed */
    uint64_t lag_delivered;  /* next - max(delivered, first): not yet delivered */
} group_part_view_t;

typedef struct group_member_view {
    consumer_info_t info;    /* state is ACTIVE (silent ones may still be listed) */
    bool silent;             /* past its max poll interval at now_ms */
    size_t n_parts;          /* partitions it owns (parts[] with owner == cid) */
    uint64_t lag;            /* sum of lag_delivered over its partitions */
    uint64_t pending_polls;  /* uncommitted poll records */
} group_member_view_t;

typedef struct group_view {
    uint64_t gid;
    char tenant[GROUPS_TENANT_MAX + 1];
    char compartment[GROUPS_COMPARTMENT_MAX + 1];
    char group_id[GROUPS_ID_MAX + 1];
    int64_t created_ms;
    uint64_t generation;     /* rebalances that changed an owner */
    group_table_view_t *tables;   size_t n_tables;
    group_member_view_t *members; size_t n_members;   /* sorted by cid */
    group_part_view_t *parts;     size_t n_parts;     /* by (table, partition) */
    consumer_info_t *departed;    size_t n_departed;  /* ended within GROUPS_DEPARTED_MS */
} group_view_t;

/* Everything about one group, copied out (free with group_view_free).
 * CS_ENOTFOUND when the group does not exist; CS_ENOMEM; storage. */
cs_err_t group_view_get(store_txn_t *t, const char *tenant, const char *compartment,
                        const char *group_id, int64_t now_ms, group_view_t *out,
                        cs_error_t *err);
void group_view_free(group_view_t *v);

#endif
