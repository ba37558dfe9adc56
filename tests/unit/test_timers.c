// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon loop's timer list: none armed after init; the next due time is
 * the earliest armed one; a run fires what is due, in the order of the ids,
 * each once, disarmed before it fires (a timer that arms itself again for
 * now waits for the next run); a timer armed by an earlier one in the same
 * run fires in that run when due; TIMER_OFF disarms. */
#include <stdint.h>
#include <stdio.h>

#include "t.h"
#include "timers.h"

static struct timers tl;
static char fired[64];
static size_t nfired;
static uint64_t fired_at[3];

static void
note(unsigned id, uint64_t now)
{
	if (nfired + 1 < sizeof(fired))
		fired[nfired++] = (char)('a' + id);
	fired[nfired] = '\0';
	fired_at[id] = now;
}

/* a: fires and comes back at once (due now) */
static void
fire_a(uint64_t now)
{
	note(0, now);
	timers_at(&tl, 0, now);
}

/* b: fires and arms c for now */
static void
fire_b(uint64_t now)
{
	note(1, now);
	timers_at(&tl, 2, now);
}

/* c: fires once */
static void
fire_c(uint64_t now)
{
	note(2, now);
}

static timer_fire_fn *const fire[] = { fire_a, fire_b, fire_c };

static void
reset(void)
{
	nfired = 0;
	fired[0] = '\0';
}

int
main(void)
{
	timers_init(&tl, fire, 3);
	T_OK(timers_next(&tl) == TIMER_OFF);
	reset();
	timers_run(&tl, UINT64_MAX - 1);
	T_EQ_STR(fired, "");

	/* the earliest armed */
	timers_in(&tl, 2, 1000, 5);  /* 5 ms after 1000 ns */
	timers_at(&tl, 0, 9000000);
	T_OK(timers_next(&tl) == 5001000);
	timers_at(&tl, 2, TIMER_OFF);
	T_OK(timers_next(&tl) == 9000000);

	/* nothing due before its time */
	reset();
	timers_run(&tl, 8999999);
	T_EQ_STR(fired, "");
	/* a fires once though it arms itself for now; it waits for the next run */
	timers_run(&tl, 9000000);
	T_EQ_STR(fired, "a");
	T_OK(fired_at[0] == 9000000);
	T_OK(timers_next(&tl) == 9000000);
	timers_run(&tl, 9000001);
	T_EQ_STR(fired, "aa");
	timers_at(&tl, 0, TIMER_OFF);

	/* due at 0: at the next run; b arms c, later in the order: c fires in
	 * the same run; in the order of the ids whatever their due times */
	reset();
	timers_at(&tl, 1, 0);
	timers_at(&tl, 0, 10);
	timers_run(&tl, 100);
	T_EQ_STR(fired, "abc");
	T_OK(fired_at[2] == 100);
	/* a is back; b and c are not */
	T_OK(timers_next(&tl) == 100);
	timers_at(&tl, 0, TIMER_OFF);
	T_OK(timers_next(&tl) == TIMER_OFF);
	reset();
	timers_run(&tl, UINT64_MAX - 1);
	T_EQ_STR(fired, "");

	/* only the n timers of the list count */
	tl.due[3] = 7;
	T_OK(timers_next(&tl) == TIMER_OFF);

	/* init disarms what was armed */
	timers_at(&tl, 1, 5);
	timers_init(&tl, fire, 3);
	T_OK(timers_next(&tl) == TIMER_OFF);

	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail != 0;
}
