/*
 * group_view.h - a consumer group as the admin view shows it
 * (GET /admin/groups/<id>, server/admin.c), parsed into plain structs so
 * integration tests can check the assignment rules of issue 5 from the
 * outside: exclusive (no partition owned twice), complete (none unowned
 * while a consumer is active), balanced (sizes differ by at most one),
 * sticky (a join or leave moves as little as possible), and that committed
 * positions never move back.
 *
 * A unit is one (table name, partition) of the group. Members are the
 * view's "members" (active consumers, maybe silent ones not yet expired),
 * each with the units its own "partitions" object lists; parts are the
 * view's "partitions" array with their "owner". gview_check_assignment()
 * checks that the two agree.
 *
 * gv_history_t remembers, per (consumer, unit), how many times a sequence
 * of views showed the consumer GAINING the unit (owning it when the
 * previous view did not). A consumer may see an event of a unit again only
 * after such a gain (or a reset): the order checkers of the suites use it.
 *
 * Ownership: everything a gview_t holds is its own (gview_free); strings
 * are copied. Nothing here asserts: functions return false or an error
 * with a sentence the test prints.
 */
#ifndef CSEMU_TEST_GROUP_VIEW_H
#define CSEMU_TEST_GROUP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

#define GV_TABLE_MAX 64

typedef struct gv_unit {
    char table[GV_TABLE_MAX];  /* table name ("(dropped N)" once dropped) */
    int partition;
} gv_unit_t;

typedef struct gv_part {
    gv_unit_t u;
    uint64_t owner;            /* consumer id, 0 = none */
    int64_t committed;         /* group's next sequence to read */
    int64_t delivered;         /* owner's next sequence (== committed without owner) */
    int64_t first, next;       /* retained events [first, next) */
} gv_part_t;

typedef struct gv_member {
    uint64_t cid;
    bool silent;               /* past its max poll interval, not expired yet */
    int64_t polls;             /* its poll number */
    int64_t uncommitted_polls;
    int64_t lag;               /* events still to deliver to it */
    int64_t last_poll_ms;      /* its last poll (any limit), server clock, ms */
    gv_unit_t *units;          /* from its "partitions" object */
    size_t n_units;
} gv_member_t;

typedef struct gview {
    int64_t generation;        /* rebalances that changed an owner */
    size_t n_tables;
    gv_member_t *members;      /* in the view's order (by consumer id) */
    size_t n_members;
    gv_part_t *parts;          /* in the view's order (by table id, partition) */
    size_t n_parts;
} gview_t;

/* GET /admin/groups/<group> as tenant and parse it. CS_ENOTFOUND when the
 * group does not exist (404); CS_EIO / CS_EPROTO when the server cannot be
 * reached or the JSON does not have the expected shape (err says where).
 * *out is zeroed first and must be gview_free'd after CS_OK. */
cs_err_t gview_fetch(const char *endpoint, const char *tenant, const char *group,
                     gview_t *out, cs_error_t *err);
void gview_free(gview_t *v);

/* The member with consumer id cid, or NULL. */
const gv_member_t *gview_member(const gview_t *v, uint64_t cid);
/* The part (table, partition), or NULL. */
const gv_part_t *gview_part(const gview_t *v, const char *table, int partition);
/* Owner of (table, partition): 0 when none or no such unit. */
uint64_t gview_owner(const gview_t *v, const char *table, int partition);
/* Number of units whose owner is cid (from parts). */
size_t gview_count(const gview_t *v, uint64_t cid);

/* The rules of a live group: every member's list agrees with the parts'
 * owners, no unit appears twice (in parts or over all members' lists),
 * every owner is a member, with at least one member every unit has an
 * owner, and members' counts differ by at most one. On false, why[cap]
 * names the first broken rule and the view. */
bool gview_check_assignment(const gview_t *v, char *why, size_t cap);

/* True when every unit cid owns in a is owned by cid in b. */
bool gview_owned_subset(const gview_t *a, const gview_t *b, uint64_t cid);
/* Units of b whose owner differs from their owner in a (units missing
 * from a count as moved when owned in b). */
size_t gview_moved(const gview_t *a, const gview_t *b);
/* The one member of after that is not in before; 0 when none or several. */
uint64_t gview_new_member(const gview_t *before, const gview_t *after);
/* True when some part's committed position in after is below before's
 * (same unit); why names the first one. */
bool gview_committed_backwards(const gview_t *before, const gview_t *after, char *why,
                               size_t cap);

/* "gen 3; 5:[t1/0 t1/3] 6:[t1/1 t1/2]; t1/0 c=4 d=6 n=9 o=5 ..." into
 * buf[cap] (truncated), for failure messages; returns buf. */
const char *gview_describe(const gview_t *v, char *buf, size_t cap);

/* ---- ownership history ---- */

typedef struct gv_hist_entry {
    uint64_t cid;
    gv_unit_t u;
    unsigned gains;            /* times a view showed cid gaining u */
    bool owned;                /* owned in the latest view */
} gv_hist_entry_t;

typedef struct gv_history {
    gv_hist_entry_t *v;
    size_t n, cap;
} gv_history_t;

/* Fold the next view in. CS_ENOMEM. */
cs_err_t gv_history_update(gv_history_t *h, const gview_t *view, cs_error_t *err);
/* Gains of (cid, table, partition) so far; 0 when never owned. */
unsigned gv_history_gains(const gv_history_t *h, uint64_t cid, const char *table,
                          int partition);
void gv_history_free(gv_history_t *h);

#endif
