// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon loop's timer list (timers.h). */
#include "timers.h"

#include "log.h"

void
timers_init(struct timers *t, timer_fire_fn *const *fire, unsigned n)
{
	unsigned i;

	if (n > TIMERS_MAX)
		fatalx("timers: %u timers, at most %u", n, TIMERS_MAX);
	for (i = 0; i < TIMERS_MAX; i++)
		t->due[i] = TIMER_OFF;
	t->fire = fire;
	t->n = n;
}

void
timers_at(struct timers *t, unsigned id, uint64_t due_ns)
{
	t->due[id] = due_ns;
}

void
timers_in(struct timers *t, unsigned id, uint64_t now, uint64_t ms)
{
	t->due[id] = now + ms * 1000000ull;
}

uint64_t
timers_next(const struct timers *t)
{
	uint64_t next = TIMER_OFF;
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (t->due[i] < next)
			next = t->due[i];
	return next;
}

void
timers_run(struct timers *t, uint64_t now)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (t->due[i] <= now) {
			t->due[i] = TIMER_OFF;
			t->fire[i](now);
		}
}
