/*
 * assign.h - partition assignment for a consumer group: a pure function.
 *
 * Input: the group's live members (consumer ids, sorted ascending, distinct,
 * non-zero), every unit of work of the group (one per (table, partition) of
 * the group's tables) with the unit's previous owner (0 = none). Output: the
 * new owner of every unit. No LMDB, no clock, no global state: the store
 * (groups.c) reads the inputs in a transaction and applies the result.
 *
 * Rules, all guaranteed:
 *   complete    with at least one member every unit has an owner that is a
 *               member; with none, every unit gets owner 0;
 *   exclusive   each unit has exactly one owner (it is an array);
 *   balanced    members' unit counts differ by at most one;
 *   sticky      a member keeps the units it owned, up to its quota, and the
 *               quotas of size ceil(n/m) go to the members that owned the
 *               most, so a join or leave moves as few units as possible;
 *   determined  the same input (same member set, same units in the same
 *               order, same previous owners) gives the same output.
 */
#ifndef CS_ASSIGN_H
#define CS_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "cs_err.h"

typedef struct assign_unit {
    uint64_t table_id;
    uint32_t partition;
    uint64_t prev_owner;    /* consumer id that owned it, 0 = none */
} assign_unit_t;

/* Compute the new owner of units[i] into owner_out[i] (caller's array of
 * n_units). members: n_members ids, sorted ascending and distinct (CS_EINVAL
 * otherwise). A prev_owner that is not a member counts as none. Allocates
 * scratch of O(n_members) and frees it before returning. Errors: CS_EINVAL,
 * CS_ENOMEM (owner_out then undefined). */
cs_err_t assign_compute(const uint64_t *members, size_t n_members,
                        const assign_unit_t *units, size_t n_units,
                        uint64_t *owner_out, cs_error_t *err);

#endif
