/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon loop's timers, one list (as redis' ae.c): a fixed set of
 * timers, each with its due time on the monotonic clock (ns) and the
 * function that fires it. Each fires at most once a run, in the order of
 * its id, disarmed before it fires: the function arms it again when it
 * should come back. Pure: the caller gives the time. */
#ifndef WSID_TIMERS_H
#define WSID_TIMERS_H

#include <stdint.h>

#define TIMER_OFF UINT64_MAX
#define TIMERS_MAX 16

typedef void timer_fire_fn(uint64_t now);

struct timers {
	uint64_t due[TIMERS_MAX]; /* when each timer fires next (TIMER_OFF: not armed) */
	timer_fire_fn *const *fire; /* borrowed: n functions, for as long as the list */
	unsigned n;
};

/* n timers (at most TIMERS_MAX), none armed; fire[id] fires timer id */
void timers_init(struct timers *t, timer_fire_fn *const *fire, unsigned n);
/* timer id due at due_ns (TIMER_OFF disarms it; 0: at the next run) */
void timers_at(struct timers *t, unsigned id, uint64_t due_ns);
/* timer id due ms after now */
void timers_in(struct timers *t, unsigned id, uint64_t now, uint64_t ms);
/* the earliest due time of an armed timer (TIMER_OFF: none) */
uint64_t timers_next(const struct timers *t);
/* fires every timer due at now, in the order of their ids */
void timers_run(struct timers *t, uint64_t now);

#endif
