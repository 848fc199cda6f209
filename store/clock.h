/*
 * clock.h - the one clock of csemu.
 *
 * Every timestamp the store and the server use (row modification and
 * expiration times, change-event times, liveness, retention, at-time starts)
 * comes from clock_now_ms(), never from time() or clock_gettime() scattered
 * through the code, so tests can freeze and move time. Thread-safe: the
 * state is three atomics; switching modes while other threads read the clock
 * is allowed (a reader sees either the old or the new mode).
 */
#ifndef CS_CLOCK_H
#define CS_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch: the wall clock (CLOCK_REALTIME) plus
 * any advance, or the frozen value after clock_set_ms(). */
int64_t clock_now_ms(void);

/* Test control. clock_set_ms freezes the clock at `ms` (it stays there until
 * moved); clock_advance_ms moves a frozen clock by `delta_ms`, or adds the
 * delta to the wall clock when not frozen; clock_use_real returns to the
 * plain wall clock (no offset). */
void clock_set_ms(int64_t ms);
void clock_advance_ms(int64_t delta_ms);
void clock_use_real(void);

#endif
