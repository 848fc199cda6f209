/*
 * assign.c - sticky, balanced partition assignment (contract in assign.h).
 *
 * Three steps: (1) quotas: every member gets floor(n/m) units, and the
 * n mod m members that held the most units before (ties: lower id) get one
 * more, which maximizes what can stay where it is; (2) keep: walking the
 * units in order, a unit stays with its previous owner while that owner is
 * under quota; (3) fill: the remaining units go round-robin, in id order,
 * to members still under quota. Quotas sum to n, so step 3 always finds a
 * member.
 */
#include "assign.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct member_slot {
    size_t held;     /* units this member owned before */
    size_t quota;    /* units it gets now */
    size_t count;    /* units given to it so far */
} member_slot_t;

/* Index of id in the sorted members array, or n when absent. */
static size_t member_index(const uint64_t *members, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (members[mid] == id)
            return mid;
        if (members[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n;
}

/* True when member x comes before member y in the quota order: more units
 * held first, then lower id (= lower index, members are sorted). */
static bool before(const member_slot_t *slots, size_t x, size_t y)
{
    if (slots[x].held != slots[y].held)
        return slots[x].held > slots[y].held;
    return x < y;
}

/* Insertion sort of member indexes into quota order (qsort has no context
 * argument; a group has few members). */
static void order_by_held(size_t *order, size_t n, const member_slot_t *slots)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && before(slots, v, order[j - 1])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

cs_err_t assign_compute(const uint64_t *members, size_t n_members,
                        const assign_unit_t *units, size_t n_units,
                        uint64_t *owner_out, cs_error_t *err)
{
    for (size_t i = 0; i < n_members; i++) {
        if (members[i] == 0 || (i > 0 && members[i - 1] >= members[i]))
            return cs_fail(err, CS_EINVAL,
                           "assignment members must be non-zero, sorted and distinct");
    }
    if (n_members == 0) {
        for (size_t u = 0; u < n_units; u++)
            owner_out[u] = 0;
        return CS_OK;
    }

    cs_err_t rc = CS_OK;
    member_slot_t *slots = calloc(n_members, sizeof *slots);
    size_t *order = malloc(n_members * sizeof *order);
    size_t *prev_idx = malloc((n_units ? n_units : 1) * sizeof *prev_idx);
    if (!slots || !order || !prev_idx) {
        rc = cs_fail(err, CS_ENOMEM, "out of memory computing a partition assignment");
        goto out;
    }

    for (size_t u = 0; u < n_units; u++) {
        prev_idx[u] = units[u].prev_owner
                          ? member_index(members, n_members, units[u].prev_owner)
                          : n_members;
        if (prev_idx[u] < n_members)
            slots[prev_idx[u]].held++;
    }

    /* (1) quotas */
    size_t base = n_units / n_members, extra = n_units % n_members;
    for (size_t m = 0; m < n_members; m++)
        order[m] = m;
    order_by_held(order, n_members, slots);
    for (size_t r = 0; r < n_members; r++)
        slots[order[r]].quota = base + (r < extra ? 1 : 0);

    /* (2) keep what is still within quota */
    for (size_t u = 0; u < n_units; u++) {
        size_t m = prev_idx[u];
        if (m < n_members && slots[m].count < slots[m].quota) {
            slots[m].count++;
            owner_out[u] = members[m];
        } else {
            owner_out[u] = 0;
        }
    }

    /* (3) hand out the rest round-robin in id order */
    size_t rr = 0;
    for (size_t u = 0; u < n_units; u++) {
        if (owner_out[u] != 0)
            continue;
        while (slots[rr].count >= slots[rr].quota)
            rr = (rr + 1) % n_members;
        slots[rr].count++;
        owner_out[u] = members[rr];
        rr = (rr + 1) % n_members;
    }

out:
    free(slots);
    free(order);
    free(prev_idx);
    return rc;
}
