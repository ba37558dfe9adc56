// SPDX-License-Identifier: GPL-2.0-or-later
/* The pending table: one entry per changed file (webspace, path) while its
 * quiet window runs (debounce), the per-webspace ready lists and the ring that
 * feeds the hashing pool in turn, the retry list of files a lease kept closed
 * or that changed while hashed, and the per-webspace shares and storm budgets
 * beyond which a webspace is reconciled instead. See engine.h for the design
 * and pending.h for the retry policy. */
#include "pending.h"

#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "hmap.h"
#include "log.h"
#include "procinfo.h"
#include "reqattr.h"
#include "util.h"

/* the pending table's key of a file, webspace id and path, in out when it
 * fits (a lookup allocates nothing), else in memory the caller frees */
static char *
pkey(char *out, size_t outsz, int64_t ws, const char *relpath, size_t rlen, size_t *klen)
{
	char *k = 8 + rlen <= outsz ? out : xmalloc(8 + rlen);

	memcpy(k, &ws, 8);
	memcpy(k + 8, relpath, rlen);
	*klen = 8 + rlen;
	return k;
}

static struct wsq *
wsq_get(struct engine *e, int64_t ws)
{
	int isnew;
	void **v = hmap_put(&e->queues, &ws, sizeof(ws), &isnew);

	if (isnew) {
		struct wsq *q = xcalloc(1, sizeof(*q));

		q->ws = ws;
		q->tokens = STORM_BURST;
		q->tokens_ns = now_mono_ns();
		*v = q;
	}
	return *v;
}

void
ring_push(struct engine *e, struct wsq *q)
{
	if (q->in_ring)
		return;
	q->in_ring = true;
	q->ring_next = NULL;
	if (e->ring_tail)
		e->ring_tail->ring_next = q;
	else
		e->ring_head = q;
	e->ring_tail = q;
}

struct wsq *
ring_pop(struct engine *e)
{
	struct wsq *q = e->ring_head;

	if (q) {
		e->ring_head = q->ring_next;
		if (e->ring_head == NULL)
			e->ring_tail = NULL;
		q->ring_next = NULL;
		q->in_ring = false;
	}
	return q;
}

void
plist_unlink(struct engine *e, struct pending *p)
{
	struct plist *l;

	if (p->list < 0)
		return;
	if (p->parked) {
		p->parked = false;
		e->nparked--;
	}
	l = p->list == LIST_READY ? &p->q->ready : &e->lists[p->list];
	if (p->prev)
		p->prev->next = p->next;
	else
		l->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		l->tail = p->prev;
	p->prev = p->next = NULL;
	p->list = -1;
}

void
plist_append(struct engine *e, struct pending *p, int which, uint64_t deadline)
{
	struct plist *l = which == LIST_READY ? &p->q->ready : &e->lists[which];

	plist_unlink(e, p);
	p->deadline_ns = deadline;
	p->list = which;
	p->prev = l->tail;
	p->next = NULL;
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
}

/* into LIST_RETRY, which stays ordered by deadline */
void
plist_retry(struct engine *e, struct pending *p, uint64_t deadline)
{
	struct plist *l = &e->lists[LIST_RETRY];
	struct pending *at;

	plist_unlink(e, p);
	p->deadline_ns = deadline;
	p->list = LIST_RETRY;
	for (at = l->tail; at && at->deadline_ns > deadline; at = at->prev)
		;
	/* after `at`, or at the head */
	p->prev = at;
	p->next = at ? at->next : l->head;
	if (p->next)
		p->next->prev = p;
	else
		l->tail = p;
	if (at)
		at->next = p;
	else
		l->head = p;
}

static void
pending_free(struct engine *e, struct pending *p)
{
	plist_unlink(e, p);
	p->q->npending--;
	free(p->key); /* relpath too: it lies in the key */
	free(p);
}

/* (re)arms a pending entry's window according to what happened */
void
pending_arm(struct engine *e, struct pending *p)
{
	uint64_t now = now_mono_ns();
	uint64_t close_w = e->o.debounce_close_ms * 1000000ull;
	uint64_t mod_w = e->o.debounce_modify_ms * 1000000ull;

	if (p->in_flight) {
		p->again = true;
		return;
	}
	if (p->flags & (NOTE_CLOSE_WRITE | NOTE_DELETE | NOTE_MOVED_IN | NOTE_RECONCILE | NOTE_ATTRIB) ||
	    now - p->first_ns >= e->o.modify_max_ms * 1000000ull) {
		/* a file closed again and again (appended to for ever) never
		 * settles: it is looked at when the modify window has passed
		 * since its first event at the latest, never put off for ever */
		uint64_t due = now + close_w, cap = p->first_ns + mod_w;

		if (due > cap)
			due = cap > now ? cap : now;
		plist_append(e, p, 0, due);
	} else /* written and still open, or created and not closed yet */
		plist_append(e, p, 1, now + mod_w);
}

static struct pending *
pending_get(struct engine *e, int64_t ws, const char *relpath, size_t rlen, bool create)
{
	char kbuf[512];
	size_t klen;
	char *k = pkey(kbuf, sizeof(kbuf), ws, relpath, rlen, &klen);
	struct pending *p = hmap_get(&e->pending, k, klen);
	struct wsq *q;
	int isnew;
	void **v;

	if (p || !create)
		goto out;
	q = wsq_get(e, ws);
	if (e->pending.len >= e->o.pending_max || q->npending >= e->o.pending_max / 4 + 1)
		goto out;
	p = xcalloc(1, sizeof(*p));
	p->q = q;
	q->npending++;
	p->ws = ws;
	/* one allocation: the key, then a NUL, and the path is its tail */
	p->key = xmalloc(klen + 1);
	memcpy(p->key, k, klen);
	p->key[klen] = '\0';
	p->klen = klen;
	p->relpath = p->key + 8;
	p->rlen = rlen;
	p->first_ns = now_mono_ns();
	p->list = -1;
	v = hmap_put(&e->pending, p->key, klen, &isnew);
	*v = p;
out:
	if (k != kbuf)
		free(k);
	return p;
}

void
pending_drop(struct engine *e, struct pending *p)
{
	hmap_del(&e->pending, p->key, p->klen);
	pending_free(e, p);
}

static void
remember_handle(struct engine *e, const struct file_handle *h, int64_t ws, const char *relpath,
		size_t rlen)
{
	size_t hl;
	char *v;

	if (h == NULL || h->handle_bytes > MAX_HANDLE_SZ)
		return;
	if (e->handles.len >= HANDLE_MAP_MAX) {
		struct hmap_slot *hs;

		hmap_foreach(&e->handles, hs) free(hs->val);
		hmap_free(&e->handles);
		hmap_init(&e->handles);
	}
	hl = sizeof(*h) + h->handle_bytes;
	{
		void **slot = hmap_put(&e->handles, h, hl, NULL);
		const char *old = *slot;

		/* the same file at the same name (its create, writes and close):
		 * kept as it is */
		if (old && memcmp(old, &ws, 8) == 0 && strlen(old + 8) == rlen &&
		    memcmp(old + 8, relpath, rlen) == 0)
			return;
		v = xmalloc(8 + rlen + 1);
		memcpy(v, &ws, 8);
		memcpy(v + 8, relpath, rlen);
		v[8 + rlen] = '\0';
		free(*slot);
		*slot = v;
	}
}

/* A webspace whose share of the pending table is full is reconciled: at
 * once the first time, then at most every overflow_gap_ms (doubling while it
 * keeps overflowing, from the shortest again after a quiet gap); meanwhile
 * the reconcile waits (overflow_due), so it is never lost. WHY (a static
 * string) is logged with it: the first reason of a waiting one. */
void
overflow_reconcile(struct engine *e, struct wsq *q, uint64_t now, const char *why)
{
	struct webspace *w = ws_get(e, q->ws);

	if (w == NULL)
		return;
	if (now < q->overflow_next_ns) {
		if (!q->overflow_due) {
			q->overflow_due = true;
			q->overflow_why = why;
			e->noverflow_due++;
		}
		return;
	}
	if (q->overflow_due) {
		q->overflow_due = false;
		why = q->overflow_why;
		e->noverflow_due--;
	}
	if (q->overflow_gap_ms == 0 || now - q->overflow_next_ns > q->overflow_gap_ms * 1000000ull)
		q->overflow_gap_ms = OVERFLOW_GAP_MIN_MS;
	else if ((q->overflow_gap_ms *= 2) > OVERFLOW_GAP_MAX_MS)
		q->overflow_gap_ms = OVERFLOW_GAP_MAX_MS;
	q->overflow_next_ns = now + q->overflow_gap_ms * 1000000ull;
	if (!w->walking)
		engine_reconcile(e, q->ws, why);
	else
		w->reconcile_again = true;
}

void
engine_reconcile_backoff(struct engine *e, int64_t ws, const char *why)
{
	struct webspace *w = ws_get(e, ws);

	if (w && !w->retired)
		overflow_reconcile(e, wsq_get(e, ws), now_mono_ns(), why);
}

/* May the webspace's event spend database work in the handler now? When
 * not, its webspace is reconciled instead (overflow_reconcile). */
bool
storm_budget(struct engine *e, int64_t ws)
{
	struct wsq *q = wsq_get(e, ws);
	uint64_t now = now_mono_ns();

	q->tokens += (double)(now - q->tokens_ns) * STORM_RATE / 1e9;
	if (q->tokens > STORM_BURST)
		q->tokens = STORM_BURST;
	q->tokens_ns = now;
	if (q->tokens >= 1) {
		q->tokens -= 1;
		return true;
	}
	e->stats.storm_drops++;
	overflow_reconcile(e, q, now, "more events a second than its budget (an event storm)");
	return false;
}

void
engine_note(struct engine *e, int64_t ws, const char *relpath, size_t rlen, unsigned flags,
	    const struct file_handle *handle, int pid)
{
	struct pending *p;

	if (rlen == 0)
		return; /* the webspace root itself */
	if (e->o.ignored && e->o.ignored(e->o.ignored_ud, relpath, rlen))
		return;
	e->stats.notes++;
	if (!(flags & NOTE_RECONCILE))
		baseline_touch(e, ws, relpath, rlen);
	p = pending_get(e, ws, relpath, rlen, true);
	if (p == NULL) {
		/* the webspace's share is full: the walk will find it */
		e->stats.pending_overflows++;
		overflow_reconcile(e, wsq_get(e, ws), now_mono_ns(),
				   "more changes at once than its share of the pending table");
		return;
	}
	p->flags |= flags;
	p->last_ns = now_mono_ns();
	if (pid > 0) {
		struct proc_info pi;

		p->pid = pid;
		/* read /proc while the writer still runs (cached per pid) */
		proc_cache_get(e->pc, pid, 2000, &pi);
		reqattr_note(e->o.ra, pid, ws_get(e, ws) ? ws_get(e, ws)->customer : "", now_real_ns());
	}
	if ((flags & NOTE_CLOSE_WRITE) && p->close_ns == 0)
		p->close_ns = p->last_ns;
	if (handle && !(flags & NOTE_DELETE))
		remember_handle(e, handle, ws, relpath, rlen);
	/* waiting to be tried again (a lease, a file that never settles): only
	 * a new file at the name cuts the wait short */
	if (p->list == LIST_RETRY && !(flags & (NOTE_CREATE | NOTE_DELETE | NOTE_MOVED_IN)))
		return;
	pending_arm(e, p);
}

bool
engine_webspace_of_handle(struct engine *e, const struct file_handle *handle, int64_t *ret_id)
{
	const char *v;
	int64_t id;

	if (handle == NULL || handle->handle_bytes > MAX_HANDLE_SZ)
		return false;
	v = hmap_get(&e->handles, handle, sizeof(*handle) + handle->handle_bytes);
	if (v == NULL)
		return false;
	memcpy(&id, v, 8);
	if (ws_get(e, id) == NULL)
		return false;
	*ret_id = id;
	return true;
}

void
engine_note_handle(struct engine *e, unsigned flags, const struct file_handle *handle, int pid)
{
	const char *v;

	if (handle == NULL)
		return;
	v = hmap_get(&e->handles, handle, sizeof(*handle) + handle->handle_bytes);
	if (v) {
		int64_t ws;

		memcpy(&ws, v, 8);
		engine_note(e, ws, v + 8, strlen(v + 8), flags, handle, pid);
	}
	/* else: a file with no name yet (O_TMPFILE): its CREATE will come */
}

bool
lease_wait_free(const struct engine *e)
{
	return e->workers >= 2 && !e->lease_waiting;
}

/* A lease kept the file closed (see LOCKED_RETRIES): true when another
 * attempt is scheduled, false when it is to be stored `locked` */
bool
lease_retry(struct engine *e, struct pending *p, const struct hash_job *j, uint64_t now)
{
	if (j->wait_ms)
		return false; /* even the open that waits was refused */
	if (p->park_level == 0 && p->locked_tries < LOCKED_RETRIES) {
		uint64_t d = (uint64_t)LOCKED_RETRY_MS << (2 * p->locked_tries);

		p->locked_tries++;
		p->again = false;
		plist_retry(e, p, now + d * 1000000ull);
		return true;
	}
	if (!lease_wait_free(e))
		return false;
	p->wait_open = true;
	p->again = false;
	plist_retry(e, p, now);
	return true;
}

/* Stored `locked` or `changing`: parked to be looked at again later (see
 * PARK_LOCKED_MS). false when too many are parked: the webspace is then
 * reconciled after RECHECK_MS, which looks at every such row. */
bool
park(struct engine *e, struct pending *p, enum hash_status why, uint64_t now)
{
	uint64_t d = why == HASH_LOCKED ? PARK_LOCKED_MS : PARK_CHANGING_MS;
	unsigned k;

	if (e->nparked >= PARKED_MAX) {
		struct webspace *w = ws_get(e, p->ws);

		if (w && w->recheck_ns == 0)
			w->recheck_ns = now + RECHECK_MS * 1000000ull;
		return false;
	}
	for (k = 0; k < p->park_level && d < PARK_MAX_MS; k++)
		d *= 2;
	if (d > PARK_MAX_MS)
		d = PARK_MAX_MS;
	if (p->park_level < UINT8_MAX)
		p->park_level++;
	p->locked_tries = p->changed_tries = 0;
	p->again = false;
	p->flags &= NOTE_RECONCILE;
	p->close_ns = 0;
	plist_retry(e, p, now + d * 1000000ull);
	p->parked = true;
	e->nparked++;
	return true;
}
