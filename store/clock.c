/* clock.c - wall clock with a test override (see clock.h). */
#include "clock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

static atomic_bool frozen;          /* true after clock_set_ms() */
static _Atomic int64_t frozen_ms;   /* the time while frozen */
static _Atomic int64_t offset_ms;   /* added to the wall clock when not frozen */

int64_t clock_now_ms(void)
{
    if (atomic_load(&frozen))
        return atomic_load(&frozen_ms);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load(&offset_ms);
}

void clock_set_ms(int64_t ms)
{
    atomic_store(&frozen_ms, ms);
    atomic_store(&frozen, true);
}

void clock_advance_ms(int64_t delta_ms)
{
    if (atomic_load(&frozen))
        atomic_fetch_add(&frozen_ms, delta_ms);
    else
        atomic_fetch_add(&offset_ms, delta_ms);
}

void clock_use_real(void)
{
    atomic_store(&frozen, false);
    atomic_store(&offset_ms, 0);
}
