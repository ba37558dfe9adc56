// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine's pending table (pending.c) on a real engine: a file noted again
 * and again is one entry, hashed once after it settles (debounce); the close
 * window re-armed never beyond the modify window from the first event; a
 * file written and not closed waits the modify window, for ever-changing
 * ones never longer than modify_max; windows that closed feed the hashing
 * pool one webspace in turn; a webspace holds at most a quarter of the
 * table, its overflow reconciled, never another's; files locked or ever
 * changing are tried again after delays that grow to a bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "engine_impl.h"
#include "fixture.h"
#include "pending.h"
#include "t.h"

#define CLOSE_MS 30
#define MODIFY_MS 300
#define MODIFY_MAX_MS 600
#define PENDING_MAX 40 /* a share: 40 / 4 + 1 */

static struct fx f;
static struct engine *e;
static int64_t wa, wb;
static char ra[128], rb[128];

/* the order in which events were told */
static char told[64][32];
static size_t ntold;

static void
on_event(void *ud, const struct event_stored *es)
{
	const struct event_row *ev = es->row;

	(void)ud;
	if (ev && ntold < 64)
		snprintf(told[ntold++], sizeof(told[0]), "%s%.*s", ev->webspace_id == wa ? "A:" : "B:",
			 (int)ev->plen, ev->path);
}

static struct pending *
find(int64_t ws, const char *rel)
{
	struct hmap_slot *hs;

	hmap_foreach(&e->pending, hs) {
		struct pending *p = hs->val;

		if (p->ws == ws && strcmp(p->relpath, rel) == 0)
			return p;
	}
	return NULL;
}

static void
note(int64_t ws, const char *rel, unsigned flags)
{
	engine_note(e, ws, rel, strlen(rel), flags, NULL, 0);
}

static int64_t
ms_from_now(uint64_t t)
{
	return ((int64_t)t - (int64_t)now_mono_ns()) / 1000000;
}

static void
test_debounce(void)
{
	struct pending *p;
	uint64_t d1;
	uint64_t hashed = e->stats.hashed;
	struct file_row r;

	T_EQ_INT(fx_put_at(ra, "a.txt", "one\n"), 0);
	note(wa, "a.txt", NOTE_CREATE | NOTE_CLOSE_WRITE);
	p = find(wa, "a.txt");
	T_OK(p != NULL);
	if (p == NULL)
		return;
	T_EQ_INT(p->list, LIST_CLOSE);
	T_OK(ms_from_now(p->deadline_ns) > 0 && ms_from_now(p->deadline_ns) <= CLOSE_MS);
	d1 = p->deadline_ns;
	usleep(10000);
	T_EQ_INT(fx_put_at(ra, "a.txt", "two\n"), 0);
	note(wa, "a.txt", NOTE_CLOSE_WRITE);
	T_EQ_INT(e->pending.len, 1);
	T_OK(find(wa, "a.txt") == p);
	T_OK(p->deadline_ns >= d1 + 9000000ull); /* the window starts again */
	/* the window runs: a tick does not hash it yet */
	engine_tick(e);
	T_OK(!p->in_flight);
	T_EQ_INT(p->list, LIST_CLOSE);
	/* settled: hashed once, the last content stored */
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_INT(e->stats.hashed - hashed, 1);
	T_EQ_INT(e->pending.len, 0);
	T_OK(state_file_get(f.st, wa, "a.txt", 5, &r) == 0 && r.size == 4);
}

static void
test_windows(void)
{
	struct pending *p;
	uint64_t now;

	/* written, not closed: the modify window */
	note(wa, "b.txt", NOTE_CREATE | NOTE_MODIFY);
	p = find(wa, "b.txt");
	T_OK(p != NULL);
	if (p == NULL)
		return;
	T_EQ_INT(p->list, LIST_MODIFY);
	T_OK(ms_from_now(p->deadline_ns) > CLOSE_MS && ms_from_now(p->deadline_ns) <= MODIFY_MS);
	/* closed: the close window */
	note(wa, "b.txt", NOTE_CLOSE_WRITE);
	T_EQ_INT(p->list, LIST_CLOSE);
	T_OK(ms_from_now(p->deadline_ns) <= CLOSE_MS);
	/* closed again and again: the close window is re-armed, but never
	 * beyond the modify window from its first event */
	now = now_mono_ns();
	p->first_ns = now - (MODIFY_MS - 10) * 1000000ull;
	note(wa, "b.txt", NOTE_CLOSE_WRITE);
	T_OK(p->deadline_ns <= p->first_ns + MODIFY_MS * 1000000ull);
	T_OK(ms_from_now(p->deadline_ns) < CLOSE_MS - 5);
	/* past the modify window: due now */
	p->first_ns = now - 2 * MODIFY_MS * 1000000ull;
	note(wa, "b.txt", NOTE_CLOSE_WRITE);
	T_OK(ms_from_now(p->deadline_ns) <= 0);
	/* written for ever without a close: past modify_max it waits the close
	 * window only */
	note(wa, "c.txt", NOTE_MODIFY);
	p = find(wa, "c.txt");
	T_OK(p && p->list == LIST_MODIFY);
	if (p) {
		p->first_ns = now_mono_ns() - (MODIFY_MAX_MS + 1) * 1000000ull;
		note(wa, "c.txt", NOTE_MODIFY);
		T_EQ_INT(p->list, LIST_CLOSE);
	}
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_INT(e->pending.len, 0);
}

static void
test_round_robin(void)
{
	char name[32];
	int i;

	/* five changes of A's noted before two of B's */
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "rr%d.txt", i);
		T_EQ_INT(fx_put_at(ra, name, name), 0);
		note(wa, name, NOTE_CREATE | NOTE_CLOSE_WRITE);
	}
	for (i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "rr%d.txt", i);
		T_EQ_INT(fx_put_at(rb, name, name), 0);
		note(wb, name, NOTE_CREATE | NOTE_CLOSE_WRITE);
	}
	ntold = 0;
	usleep((CLOSE_MS + 5) * 1000);
	/* every window closed: one tick feeds the pool, one webspace in turn */
	engine_tick(e);
	T_OK(e->ring_head == NULL);
	T_EQ_INT(e->inflight, 7);
	T_OK(fx_engine_settle(e, 5000));
	/* one worker hashes in the order fed */
	T_EQ_INT(ntold, 7);
	if (ntold == 7) {
		static const char *const want[] = { "A:rr1.txt", "B:rr1.txt", "A:rr2.txt", "B:rr2.txt",
						    "A:rr3.txt", "A:rr4.txt", "A:rr5.txt" };
		for (i = 0; i < 7; i++)
			T_EQ_STR(told[i], want[i]);
	}
}

static void
test_share(void)
{
	char name[32];
	uint64_t over = e->stats.pending_overflows, rec = e->stats.reconciles;
	size_t share = PENDING_MAX / 4 + 1;
	size_t i;

	/* A may hold a quarter of the table (and one) */
	for (i = 0; i < share + 3; i++) {
		snprintf(name, sizeof(name), "gone%zu.txt", i);
		note(wa, name, NOTE_CLOSE_WRITE);
	}
	T_EQ_INT(e->pending.len, share);
	T_EQ_INT(e->stats.pending_overflows - over, 3);
	/* its overflow is reconciled (once, then backed off), not lost */
	T_OK(e->stats.reconciles > rec || e->ws[0].walking);
	/* B is not held back by A's storm */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "gone%zu.txt", i);
		note(wb, name, NOTE_CLOSE_WRITE);
	}
	T_EQ_INT(e->pending.len, share + 4);
	T_EQ_INT(e->stats.pending_overflows - over, 3);
	T_OK(fx_engine_settle(e, 10000));
	T_EQ_INT(e->pending.len, 0);
}

static void
test_retry_backoff(void)
{
	struct pending *p, *q;
	struct hash_job j;
	uint64_t now;
	int64_t d, prev = 0;
	int k;

	note(wa, "locked.txt", NOTE_CLOSE_WRITE);
	note(wa, "changing.txt", NOTE_CLOSE_WRITE);
	p = find(wa, "locked.txt");
	q = find(wa, "changing.txt");
	T_OK(p && q);
	if (!p || !q)
		return;
	/* a lease: tried again after 50, 200, 800 ms; then (one worker: no
	 * open that waits) it is to be stored locked */
	memset(&j, 0, sizeof(j));
	for (k = 0; k < LOCKED_RETRIES; k++) {
		now = now_mono_ns();
		T_OK(lease_retry(e, p, &j, now));
		T_EQ_INT(p->list, LIST_RETRY);
		T_EQ_INT((p->deadline_ns - now) / 1000000, (int64_t)LOCKED_RETRY_MS << (2 * k));
	}
	T_OK(!lease_retry(e, p, &j, now_mono_ns()));
	/* parked: looked at again after a delay doubling to a bound */
	now = now_mono_ns();
	T_OK(park(e, p, HASH_LOCKED, now));
	T_EQ_INT((p->deadline_ns - now) / 1000000, PARK_LOCKED_MS);
	T_OK(p->parked);
	T_EQ_INT(e->nparked, 1);
	for (k = 0; k < 12; k++) {
		now = now_mono_ns();
		T_OK(park(e, q, HASH_CHANGED, now));
		d = (int64_t)((q->deadline_ns - now) / 1000000);
		T_OK(d == (k == 0 ? (int64_t)PARK_CHANGING_MS : prev * 2) || d == (int64_t)PARK_MAX_MS);
		T_OK(d <= (int64_t)PARK_MAX_MS);
		prev = d;
	}
	T_EQ_INT(prev, PARK_MAX_MS);
	T_EQ_INT(e->nparked, 2);
	/* the retry list stays ordered by deadline */
	T_OK(e->lists[LIST_RETRY].head == p && e->lists[LIST_RETRY].tail == q);
	/* a writer going on does not cut the wait short; a new file does */
	note(wa, "changing.txt", NOTE_MODIFY | NOTE_CLOSE_WRITE);
	T_EQ_INT(q->list, LIST_RETRY);
	note(wa, "changing.txt", NOTE_CREATE);
	T_EQ_INT(q->list, LIST_CLOSE);
	T_EQ_INT(e->nparked, 1);
	/* too many parked: the webspace is looked at again by a reconcile */
	e->nparked = PARKED_MAX;
	T_OK(!park(e, q, HASH_CHANGED, now_mono_ns()));
	T_OK(e->ws[0].recheck_ns > now_mono_ns());
	e->nparked = 1;
	e->ws[0].recheck_ns = 0;
	pending_drop(e, p);
	T_EQ_INT(e->nparked, 0);
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_INT(e->pending.len, 0);
}

int
main(void)
{
	struct engine_opts o = { 0 };

	T_EQ_INT(fx_open(&f, "pending"), 0);
	snprintf(ra, sizeof(ra), "%s/a", f.dir);
	snprintf(rb, sizeof(rb), "%s/b", f.dir);
	o.dbpath = f.db;
	o.hash_workers = 1;
	o.debounce_close_ms = CLOSE_MS;
	o.debounce_modify_ms = MODIFY_MS;
	o.modify_max_ms = MODIFY_MAX_MS;
	o.reident_ms = 20;
	o.pending_max = PENDING_MAX;
	o.on_event = on_event;
	T_EQ_INT(engine_new(f.s, &o, &e), 0);
	if (e && fx_webspace(e, ra, "a", &wa) == 0 && fx_webspace(e, rb, "b", &wb) == 0 &&
	    fx_engine_settle(e, 5000)) {
		T_RUN(test_debounce);
		T_RUN(test_windows);
		T_RUN(test_round_robin);
		T_RUN(test_share);
		T_RUN(test_retry_backoff);
	} else {
		T_CHECK(0, "an engine with two webspaces");
	}
	engine_free(e);
	fx_close(&f);
	T_DONE();
}
