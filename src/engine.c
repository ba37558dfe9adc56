// SPDX-License-Identifier: GPL-2.0-or-later
/* The change engine; see engine.h for the design. */
#include "engine.h"

#include <errno.h>
#include <fnmatch.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "hashpool.h"
#include "hmap.h"
#include "ident.h"
#include "json.h"
#include "log.h"
#include "procinfo.h"
#include "reconcile.h"
#include "root.h"
#include "scan.h"
#include "slotset.h"

#define HANDLE_MAP_MAX 65536
#define BATCH_MAX 2000
/* jobs handed to the hashing pool at once: what a webspace's change that
 * just became ready may find ahead of it there (a few ms of work) */
#define HASH_INFLIGHT_MAX 256
/* a webspace that fills its share of the pending table is reconciled, then
 * again at most after this gap, doubling while it keeps overflowing */
#define OVERFLOW_GAP_MIN_MS 1000
#define OVERFLOW_GAP_MAX_MS 60000
/* merging finished walks on the loop: at most this long per turn */
#define BG_MERGE_BUDGET_MS 10
/* Renames and directory removals are settled in the event handler, with
 * database work (~20-50 us each): the kernel's queue is one FIFO for every
 * tenant, so each webspace may spend only so many a second there (a burst
 * of STORM_BURST, then STORM_RATE a second); beyond, its webspace is
 * reconciled instead (backed off like a full pending share): nothing is
 * lost, the storming tenant's renames become deletions and creations. */
#define STORM_BURST 5000
#define STORM_RATE 2000

struct wsq;

/* Files wsid cannot read whole are retried, never dropped, and never retried
 * without bound:
 * - a file a lease (fcntl F_SETLEASE) keeps closed: the refused non-blocking
 *   open started the lease break (the holder is told to yield); tried again
 *   after 50, 200 and 800 ms, then once with an open that waits LEASE_WAIT_MS
 *   on a hash worker (one such open at a time, and only with two workers or
 *   more, so the others keep hashing), then stored `locked` with an event;
 * - a file that changed while hashed: tried again after a delay doubling
 *   from the close window + 5 ms (15, 30 ... 960 ms by default: 1.9 s; never
 *   more than PARK_CHANGING_MS); the
 *   CHANGED_MAX-th time in a row it is stored `changing` with an event;
 * then parked: looked at again after a delay doubling from PARK_LOCKED_MS or
 * PARK_CHANGING_MS up to PARK_MAX_MS. While a file waits for a retry, new
 * events on it wait too (a writer that never stops costs one hash per delay);
 * only a file created or moved to its name is looked at at once. Parked files
 * are stored: sync does not wait for them. Beyond PARKED_MAX of them, the
 * webspace is reconciled after RECHECK_MS instead (a reconcile looks at every
 * `locked` or `changing` row). */
#define LOCKED_RETRIES 3
#define LOCKED_RETRY_MS 50
#define LEASE_WAIT_MS 2000
#define CHANGED_MAX 8
#define PARK_LOCKED_MS 10000ull
#define PARK_CHANGING_MS 4000ull
#define PARK_MAX_MS 1800000ull
#define PARKED_MAX 4096
#define RECHECK_MS 60000ull

/* the pending lists: close window, modify window (FIFOs: every entry of one
 * waits the same time), and the retry list (ordered by deadline) */
enum { LIST_CLOSE, LIST_MODIFY, LIST_RETRY, LIST_MAX };
/* a change whose window closed, in its webspace's ready list (not in lists[]) */
#define LIST_READY LIST_MAX

struct pending {
	int64_t ws;
	char *relpath;
	size_t rlen;
	unsigned flags;
	int pid;
	uint64_t first_ns, last_ns, deadline_ns, close_ns;
	int mount_fd;
	struct file_handle *handle;
	bool in_flight, again;
	bool wait_open; /* the next attempt may wait for a lease to be broken */
	bool parked;    /* stored locked or changing, waiting in LIST_RETRY */
	uint8_t locked_tries, changed_tries, park_level;
	int list; /* -1 none, else LIST_*, or LIST_READY (q->ready) */
	struct wsq *q;  /* its webspace's queue */
	struct pending *prev, *next;
	char *key;
	size_t klen;
};

struct plist {
	struct pending *head, *tail;
};

/* Fairness between webspaces (DESIGN): a change whose quiet window closed
 * waits in its webspace's ready list; the pool is fed one change per
 * webspace in turn (a ring of the webspaces with ready changes), so a storm
 * of one tenant's changes delays another's by at most one turn of the ring
 * plus what the pool holds (HASH_INFLIGHT_MAX). Each webspace may hold at
 * most a quarter of the pending table: a storm overflows its own webspace
 * into a reconcile (backed off), never another's. */
struct wsq {
	int64_t ws;
	struct plist ready;
	size_t npending;
	bool in_ring;
	struct wsq *ring_next;
	uint64_t overflow_next_ns, overflow_gap_ms;
	bool overflow_due; /* a reconcile waits for overflow_next_ns */
	double tokens;     /* STORM_BURST/STORM_RATE budget of work in the handler */
	uint64_t tokens_ns;
};

struct webspace {
	int64_t id;
	char *root;
	size_t root_len;
	/* the directory registered (root.h): held open so that its inode cannot
	 * be reused; every walk, hash and read checks the path still leads to it */
	int rootfd;
	struct root_id rid;
	bool root_changed; /* the path leads elsewhere now: nothing is walked */
	char *customer;
	bool baselined;
	bool walking;
	bool reconcile_again;
	struct inst_row *inst;
	size_t ninst;
	uint64_t reident_ns; /* 0 = not scheduled */
	bool reident_index;  /* scheduled by an index change */
	uint64_t recheck_ns; /* a reconcile to come (files not parked, lost events), 0: none */
	uint64_t lost_ns;    /* the last reconcile for lost events or a file system error */
};

struct engine {
	struct engine_opts o;
	char *dbpath; /* a copy: the walks read it while a reload frees the configuration */
	struct store *s;
	struct state *st;
	struct fpindex *idx;
	struct fpindex_lookup *lk;
	int64_t index_gen; /* meta index_generation idx was loaded at */
	struct hashpool *pool;
	sqlite3_stmt *q_path_entries;
	sqlite3_stmt *q_hash_known;
	sqlite3_stmt *q_index_gen;
	uint64_t batch_start_ns;
	struct webspace *ws;
	size_t nws;
	struct hmap ws_by_root; /* root -> index + 1 */
	struct hmap ws_by_id;   /* id -> index + 1 (rebuilt when it misses) */
	struct hmap queues;     /* ws id -> struct wsq* */
	struct wsq *ring_head, *ring_tail;
	size_t inflight;        /* jobs in the hashing pool */
	size_t noverflow_due;   /* queues with overflow_due */
	struct hmap pending;    /* ws id + relpath -> struct pending* */
	struct hmap handles;    /* handle bytes -> ws id + relpath (for #ino names) */
	struct plist lists[LIST_MAX];
	size_t nparked;     /* parked entries (stored, waiting in LIST_RETRY) */
	bool lease_waiting; /* a job waits for a lease to be broken */
	unsigned workers;   /* hash worker threads */
	struct proc_cache *pc;
	size_t batch;
	struct engine_stats stats;
	/* background walks */
	struct walker *walker; /* the background walks (reconcile.h) */
	size_t bg_running;
	/* a commit failed (disk full, I/O error): what it held is lost from the
	 * database, so every webspace is reconciled at repair_ns; the delay doubles
	 * while commits keep failing */
	uint64_t repair_ns;
	uint64_t repair_delay_ms;
	/* contents being analysed: SHA-256 -> struct an_defer list of the
	 * changes waiting for it (the first is the job's) */
	struct hmap an_inflight;
	/* the analysis a worker just returned (on_analysed), for judge */
	const struct analyse_result *an_now;
	const uint8_t *an_now_sha;
	int an_now_err;
};

#define REPAIR_DELAY_MIN_MS 1000
#define REPAIR_DELAY_MAX_MS 30000


/* ---- small helpers ---- */

static char *
pkey(int64_t ws, const char *relpath, size_t rlen, size_t *klen)
{
	char *k = xmalloc(8 + rlen);

	memcpy(k, &ws, 8);
	memcpy(k + 8, relpath, rlen);
	*klen = 8 + rlen;
	return k;
}

static struct webspace *
ws_get(struct engine *e, int64_t id)
{
	size_t i;
	void *v = hmap_get(&e->ws_by_id, &id, sizeof(id));

	if (v && (size_t)v <= e->nws && e->ws[(size_t)v - 1].id == id)
		return &e->ws[(size_t)v - 1];
	/* a webspace added (or moved) since: index them again */
	hmap_free(&e->ws_by_id);
	hmap_init(&e->ws_by_id);
	for (i = 0; i < e->nws; i++)
		*hmap_put(&e->ws_by_id, &e->ws[i].id, sizeof(e->ws[i].id), NULL) =
			(void *)(uintptr_t)(i + 1);
	v = hmap_get(&e->ws_by_id, &id, sizeof(id));
	return v ? &e->ws[(size_t)v - 1] : NULL;
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

static void
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

static struct wsq *
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

static void
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

static void
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
static void
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
	free(p->relpath);
	free(p->handle);
	free(p->key);
	free(p);
}

static struct file_handle *
handle_dup(const struct file_handle *h)
{
	struct file_handle *c;

	if (h == NULL || h->handle_bytes > MAX_HANDLE_SZ)
		return NULL;
	c = xmalloc(sizeof(*c) + h->handle_bytes);
	memcpy(c, h, sizeof(*c) + h->handle_bytes);
	return c;
}

/* (re)arms a pending entry's window according to what happened */
static void
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
	    now - p->first_ns >= e->o.modify_max_ms * 1000000ull)
		plist_append(e, p, 0, now + close_w);
	else /* written and still open, or created and not closed yet */
		plist_append(e, p, 1, now + mod_w);
}

/* ---- webspaces ---- */

static int
ws_load_inst(struct engine *e, struct webspace *w)
{
	state_inst_rows_free(w->inst, w->ninst);
	w->inst = NULL;
	w->ninst = 0;
	return state_installations_load(e->st, w->id, &w->inst, &w->ninst);
}

size_t
engine_webspace_count(const struct engine *e)
{
	return e->nws;
}

const char *
engine_webspace_root(struct engine *e, int64_t ws)
{
	struct webspace *w = ws_get(e, ws);

	return w ? w->root : NULL;
}

bool
engine_webspace_find(struct engine *e, const char *abspath, size_t len, int64_t *ret_id,
		     size_t *ret_root_len)
{
	size_t i;

	/* longest root that is a prefix ending at a '/' or at the end */
	for (i = len; i > 0; i--) {
		void *v;

		if (i < len && abspath[i] != '/')
			continue;
		v = hmap_get(&e->ws_by_root, abspath, i);
		if (v) {
			*ret_id = e->ws[(size_t)v - 1].id;
			*ret_root_len = i;
			return true;
		}
	}
	return false;
}

static void bg_submit(struct engine *e, enum bg_kind kind, struct webspace *w);
static void batch_begin(struct engine *e);
static void emit(struct engine *e, int64_t id, enum verdict_kind v);

/* The path of w no longer leads to the directory registered (moved away,
 * replaced by a symlink or another directory): nothing is walked, hashed or
 * read under it until discovery registers a directory that passes its checks
 * again. Logged, and one event for the admin route (source "system"). */
static void
ws_root_changed(struct engine *e, struct webspace *w, const char *why)
{
	struct event_row ev;
	char reason[320];
	int64_t id;

	if (w->root_changed)
		return;
	w->root_changed = true;
	log_warnx("webspace %s: its root is no longer the directory registered (%s): not walked; "
		  "registered again when a directory at its path passes the discovery checks",
		  esc_name(w->root), why);
	snprintf(reason, sizeof(reason), "webspace root moved, removed or replaced (%s): not watched "
		 "until a directory at its path passes the discovery checks", why);
	memset(&ev, 0, sizeof(ev));
	ev.time_ns = now_real_ns();
	ev.webspace_id = w->id;
	ev.customer = w->customer;
	ev.path = "";
	ev.change = CHANGE_MODIFIED;
	ev.verdict = VERDICT_SUSPICIOUS;
	ev.severity = SEV_WARNING;
	ev.reason = reason;
	ev.source = "system";
	batch_begin(e);
	if (state_event_add(e->st, &ev, &id) == 0)
		emit(e, id, ev.verdict);
}

/* reopens the root of w (root_reopen): a descriptor to close, or negative;
 * a root that changed is marked so */
static int
ws_root_open(struct engine *e, struct webspace *w)
{
	int fd;

	if (w->root_changed)
		return -ESTALE;
	fd = root_reopen(w->root, &w->rid);
	if (fd == -ESTALE)
		ws_root_changed(e, w, "found when reading a file");
	return fd;
}

int
engine_webspace_add(struct engine *e, const char *root, const char *customer, int rootfd,
		    const struct root_id *rid, int64_t *ret_id)
{
	struct webspace *w;
	size_t rl = strlen(root);
	void *v;
	int r;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	v = hmap_get(&e->ws_by_root, root, rl);
	if (v) {
		w = &e->ws[(size_t)v - 1];
		if (ret_id)
			*ret_id = w->id;
		if (!w->root_changed && root_id_equal(&w->rid, rid)) {
			close(rootfd);
			return 0;
		}
		/* another directory at the path, and it passed the checks of
		 * discovery: it is the webspace from now on, compared with what
		 * was stored */
		ws_root_changed(e, w, "another directory took its path");
		close(w->rootfd);
		w->rootfd = rootfd;
		w->rid = *rid;
		w->root_changed = false;
		log_info("webspace %s (customer %s): registered again (a directory that passed the "
			 "checks): %s", esc_name(w->root), esc_name(w->customer),
			 w->baselined ? "reconciling with the stored state" : "first scan (baseline)");
		bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
		return 0;
	}
	e->ws = xreallocarray(e->ws, e->nws + 1, sizeof(*e->ws));
	w = &e->ws[e->nws];
	memset(w, 0, sizeof(*w));
	w->root = xstrndup(root, rl);
	w->root_len = rl;
	w->customer = xstrdup(customer);
	w->rootfd = rootfd;
	w->rid = *rid;
	if ((r = state_webspace_upsert(e->st, w->root, customer, &w->id, &w->baselined)) < 0) {
		free(w->root);
		free(w->customer);
		close(rootfd);
		return r;
	}
	e->nws++;
	*hmap_put(&e->ws_by_root, w->root, rl, NULL) = (void *)(uintptr_t)e->nws;
	ws_load_inst(e, w);
	/* events held when the daemon stopped: their window closes after this
	 * start's reconcile */
	if (state_has_held(e->st, w->id))
		w->reident_ns = now_mono_ns() + e->o.reident_ms * 1000000ull;
	bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
	if (ret_id)
		*ret_id = w->id;
	log_info("webspace %s (customer %s): %s", esc_name(w->root), esc_name(customer),
		 w->baselined ? "reconciling with the stored state" : "first scan (baseline)");
	return 0;
}

/* ---- notes ---- */

static struct pending *
pending_get(struct engine *e, int64_t ws, const char *relpath, size_t rlen, bool create)
{
	size_t klen;
	char *k = pkey(ws, relpath, rlen, &klen);
	struct pending *p = hmap_get(&e->pending, k, klen);
	struct wsq *q;
	int isnew;
	void **v;

	if (p || !create) {
		free(k);
		return p;
	}
	q = wsq_get(e, ws);
	if (e->pending.len >= e->o.pending_max || q->npending >= e->o.pending_max / 4 + 1) {
		free(k);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->q = q;
	q->npending++;
	p->ws = ws;
	p->relpath = xstrndup(relpath, rlen);
	p->rlen = rlen;
	p->first_ns = now_mono_ns();
	p->list = -1;
	p->mount_fd = -1;
	p->key = k;
	p->klen = klen;
	v = hmap_put(&e->pending, k, klen, &isnew);
	*v = p;
	return p;
}

static void
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
	v = xmalloc(8 + rlen + 1);
	memcpy(v, &ws, 8);
	memcpy(v + 8, relpath, rlen);
	v[8 + rlen] = '\0';
	{
		void **slot = hmap_put(&e->handles, h, hl, NULL);

		free(*slot);
		*slot = v;
	}
}

/* A webspace whose share of the pending table is full is reconciled: at
 * once the first time, then at most every overflow_gap_ms (doubling while it
 * keeps overflowing, from the shortest again after a quiet gap); meanwhile
 * the reconcile waits (overflow_due), so it is never lost. */
static void
overflow_reconcile(struct engine *e, struct wsq *q, uint64_t now)
{
	struct webspace *w = ws_get(e, q->ws);

	if (w == NULL)
		return;
	if (now < q->overflow_next_ns) {
		if (!q->overflow_due) {
			q->overflow_due = true;
			e->noverflow_due++;
		}
		return;
	}
	if (q->overflow_due) {
		q->overflow_due = false;
		e->noverflow_due--;
	}
	if (q->overflow_gap_ms == 0 || now - q->overflow_next_ns > q->overflow_gap_ms * 1000000ull)
		q->overflow_gap_ms = OVERFLOW_GAP_MIN_MS;
	else if ((q->overflow_gap_ms *= 2) > OVERFLOW_GAP_MAX_MS)
		q->overflow_gap_ms = OVERFLOW_GAP_MAX_MS;
	q->overflow_next_ns = now + q->overflow_gap_ms * 1000000ull;
	if (!w->walking)
		engine_reconcile(e, q->ws, "more changes at once than its share (pending table, "
					   "renames, removals)");
	else
		w->reconcile_again = true;
}

void
engine_reconcile_backoff(struct engine *e, int64_t ws)
{
	if (ws_get(e, ws))
		overflow_reconcile(e, wsq_get(e, ws), now_mono_ns());
}

/* May the webspace's event spend database work in the handler now? When
 * not, its webspace is reconciled instead (overflow_reconcile). */
static bool
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
	overflow_reconcile(e, q, now);
	return false;
}

void
engine_note(struct engine *e, int64_t ws, const char *relpath, size_t rlen, unsigned flags,
	    int mount_fd, const struct file_handle *handle, int pid)
{
	struct pending *p;

	if (rlen == 0)
		return; /* the webspace root itself */
	if (e->o.ignored && e->o.ignored(e->o.ignored_ud, relpath, rlen))
		return;
	e->stats.notes++;
	p = pending_get(e, ws, relpath, rlen, true);
	if (p == NULL) {
		/* the webspace's share is full: the walk will find it */
		e->stats.pending_overflows++;
		overflow_reconcile(e, wsq_get(e, ws), now_mono_ns());
		return;
	}
	p->flags |= flags;
	p->last_ns = now_mono_ns();
	if (pid > 0) {
		struct proc_info pi;

		p->pid = pid;
		/* read /proc while the writer still runs (cached per pid) */
		proc_cache_get(e->pc, pid, 2000, &pi);
	}
	if ((flags & NOTE_CLOSE_WRITE) && p->close_ns == 0)
		p->close_ns = p->last_ns;
	if (handle && !(flags & NOTE_DELETE)) {
		free(p->handle);
		p->handle = handle_dup(handle);
		p->mount_fd = mount_fd;
		remember_handle(e, handle, ws, relpath, rlen);
	}
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
		engine_note(e, ws, v + 8, strlen(v + 8), flags, -1, handle, pid);
	}
	/* else: a file with no name yet (O_TMPFILE): its CREATE will come */
}

/* ---- results ---- */

struct path_knowledge {
	bool release_path;
	enum content_known known;
	const struct fp_version *other;
};

/* what the index says of `sha` at installation-relative path irel */
static void
know_path(struct engine *e, const struct fp_product *p, const struct fp_version *v,
	  const char *irel, size_t ilen, const uint8_t *sha, struct path_knowledge *k)
{
	sqlite3_stmt *q = e->q_path_entries;

	memset(k, 0, sizeof(*k));
	if (p && v && q) {
		sqlite3_bind_int64(q, 1, p->id);
		sqlite3_bind_blob(q, 2, irel, (int)ilen, SQLITE_STATIC);
		while (sqlite3_step(q) == SQLITE_ROW) {
			const uint8_t *h = sqlite3_column_blob(q, 0);
			const uint8_t *slots = sqlite3_column_blob(q, 1);
			size_t sl = (size_t)sqlite3_column_bytes(q, 1);
			bool has = slotset_blob_has(slots, sl, v->slot);

			if (has)
				k->release_path = true;
			if (sha == NULL || sqlite3_column_bytes(q, 0) != SHA256_LEN ||
			    memcmp(h, sha, SHA256_LEN) != 0)
				continue;
			if (has) {
				k->known = KNOWN_RELEASE;
			} else if (k->known != KNOWN_RELEASE) {
				/* the newest other version shipping it */
				struct slotset_iter it;
				uint32_t a, b, s;

				slotset_iter_init(&it, slots, sl);
				while (slotset_iter_next(&it, &a, &b) == 1)
					for (s = a; s < b; s++) {
						const struct fp_version *o = fp_product_version(p, s);

						if (o && (k->other == NULL || o->rank > k->other->rank))
							k->other = o;
					}
				if (k->other)
					k->known = KNOWN_OTHER_VERSION;
			}
		}
		sqlite3_reset(q);
	}
	if (k->known == KNOWN_NONE && sha && e->q_hash_known) {
		sqlite3_bind_blob(e->q_hash_known, 1, sha, SHA256_LEN, SQLITE_STATIC);
		if (sqlite3_step(e->q_hash_known) == SQLITE_ROW)
			k->known = KNOWN_ELSEWHERE;
		sqlite3_reset(e->q_hash_known);
	}
}

static const struct inst_row *
inst_for(struct webspace *w, const char *relpath, size_t rlen)
{
	size_t i;

	/* rows are sorted by root length, longest first */
	for (i = 0; i < w->ninst; i++) {
		const struct inst_row *r = &w->inst[i];

		if (r->root_len == 0 ||
		    (rlen > r->root_len && memcmp(relpath, r->root, r->root_len) == 0 &&
		     relpath[r->root_len] == '/'))
			return r;
	}
	return NULL;
}

/* read at the start of every transaction: one prepared statement */
static int64_t
index_generation(struct engine *e)
{
	int64_t g = 0;

	if (e->q_index_gen == NULL)
		e->q_index_gen = store_prepare(e->s, "SELECT CAST(value AS INTEGER) FROM meta "
						     "WHERE key='index_generation'");
	if (e->q_index_gen == NULL)
		return 0;
	if (sqlite3_step(e->q_index_gen) == SQLITE_ROW)
		g = sqlite3_column_int64(e->q_index_gen, 0);
	sqlite3_reset(e->q_index_gen);
	return g;
}

/* Loads the catalogue and the lookups again. Called inside a transaction it
 * reads the same snapshot as every lookup of that transaction: an index
 * import (one transaction of its own) is seen whole or not at all. */
static int
index_swap(struct engine *e, int64_t gen)
{
	struct fpindex *idx = NULL;
	struct fpindex_lookup *lk = NULL;
	size_t i;
	int r;

	if ((r = fpindex_load(e->s, &idx)) < 0) {
		log_warnx("index reload failed (%s): keeping the loaded index", strerror(-r));
		return r;
	}
	if ((r = fpindex_lookup_on(e->s, &lk)) < 0) {
		fpindex_free(idx);
		log_warnx("index reload failed (%s): keeping the loaded index", strerror(-r));
		return r;
	}
	fpindex_lookup_free(e->lk);
	fpindex_free(e->idx);
	e->idx = idx;
	e->lk = lk;
	e->index_gen = gen;
	/* installations may match other releases now: identify every webspace
	 * again (an update between two newly known releases becomes one) */
	for (i = 0; i < e->nws; i++)
		if (e->ws[i].baselined) {
			e->ws[i].reident_ns = now_mono_ns();
			e->ws[i].reident_index = true;
		}
	log_info("index reloaded (generation %lld): webspaces are identified again", (long long)gen);
	return 0;
}

/* the index changed under the daemon (an import, a build) */
static void
index_follow(struct engine *e)
{
	int64_t g = index_generation(e);

	if (g != e->index_gen)
		index_swap(e, g);
}

static void
batch_begin(struct engine *e)
{
	if (!state_in_tx(e->st)) {
		state_begin(e->st);
		e->batch_start_ns = now_mono_ns();
		index_follow(e);
	}
	if (++e->batch >= BATCH_MAX)
		engine_flush(e);
}

/* Commits when the batch is large or old enough (a change waits at most
 * BATCH_AGE_MS to be durable), or when nothing else is about to be stored.
 * Under a burst this turns thousands of commits into a few. */
#define BATCH_AGE_MS 20

void
engine_flush_due(struct engine *e)
{
	bool busy;

	if (!state_in_tx(e->st))
		return;
	busy = e->inflight > 0 || e->ring_head != NULL ||
	       (e->lists[0].head && e->lists[0].head->deadline_ns <= now_mono_ns());
	if (!busy || e->batch >= BATCH_MAX ||
	    now_mono_ns() - e->batch_start_ns >= BATCH_AGE_MS * 1000000ull)
		engine_flush(e);
}

/* The consensus key of a file: the part of its path from a component
 * directory on ("wp-content/plugins/<slug>/<rest>"), the same in every
 * webspace whatever the installation's root. NULL when none. */
static const char *
comp_key_of(const struct engine *e, const char *relpath, size_t rlen, size_t *klen)
{
	size_t i, d;

	for (i = 0; i < rlen; i++) {
		if (i > 0 && relpath[i - 1] != '/')
			continue;
		for (d = 0; d < e->o.ncomponent_dirs; d++) {
			const char *cd = e->o.component_dirs[d];
			size_t cl = strlen(cd);
			const char *slug, *slash;

			if (cl == 0 || rlen - i <= cl + 1 || memcmp(relpath + i, cd, cl) != 0 ||
			    relpath[i + cl] != '/')
				continue;
			/* a slug directory and a file below it */
			slug = relpath + i + cl + 1;
			slash = memchr(slug, '/', (size_t)(relpath + rlen - slug));
			if (slash == NULL || slash == slug || slash + 1 >= relpath + rlen)
				continue;
			*klen = rlen - i;
			return relpath + i;
		}
	}
	return NULL;
}

/* Can a directory rename change the consensus keys of the files below it?
 * Only when one of its components may start a component directory. */
static bool
comp_keys_survive(const struct engine *e, const char *dir, size_t dlen)
{
	size_t i = 0, start, d;

	while (i < dlen) {
		start = i;
		while (i < dlen && dir[i] != '/')
			i++;
		for (d = 0; d < e->o.ncomponent_dirs; d++) {
			const char *cd = e->o.component_dirs[d];
			const char *sl = strchr(cd, '/');
			size_t fl = sl ? (size_t)(sl - cd) : strlen(cd);

			if (fl == i - start && memcmp(cd, dir + start, fl) == 0)
				return false;
		}
		i++;
	}
	return true;
}

static bool
is_web_server(const struct engine *e, const struct proc_info *pi)
{
	size_t i;

	for (i = 0; i < e->o.nweb_server; i++)
		if (fnmatch(e->o.web_server[i], pi->comm, 0) == 0 ||
		    fnmatch(e->o.web_server[i], pi->user, 0) == 0)
			return true;
	return false;
}

static bool
status_unsettled(enum hash_status st)
{
	return st == HASH_LOCKED || st == HASH_CHANGED;
}

static bool
row_unsettled(const struct file_row *row)
{
	return strcmp(row->status, hash_status_name(HASH_LOCKED)) == 0 ||
	       strcmp(row->status, hash_status_name(HASH_CHANGED)) == 0;
}

/* A file wsid could not read whole: a lease kept it closed, or it changed
 * every time it was hashed. What its name says still counts: code where none
 * belongs keeps the severity of `suspicious`. */
static void
verdict_unread(enum hash_status st, struct verdict *vd)
{
	enum verdict_kind kind = st == HASH_LOCKED ? VERDICT_LOCKED : VERDICT_CHANGING;
	enum severity sev = verdict_default_severity(kind);
	bool by_name = vd->kind == VERDICT_SUSPICIOUS;
	char name_reason[sizeof(vd->reason)];

	if (by_name && vd->severity > sev)
		sev = vd->severity;
	memcpy(name_reason, vd->reason, sizeof(name_reason));
	snprintf(vd->reason, sizeof(vd->reason), "%s; judged again later%s%.200s",
		 st == HASH_LOCKED ? "not read: a file lease (fcntl F_SETLEASE) kept it closed"
				   : "not read: it changed every time it was hashed",
		 by_name ? "; by its name: " : "", by_name ? name_reason : "");
	vd->kind = kind;
	vd->severity = sev;
}

/* what a change means */
struct judgement {
	const struct inst_row *ir;
	const struct fp_product *p;
	const struct fp_version *v;
	struct path_knowledge k;
	struct verdict vd;
	int sev;
	const char *ckey;
	size_t cklen;
	bool have_writer;
	struct proc_info writer;
	/* analysis of unknown code */
	bool an_wanted;  /* code that is no release: analysed (or to be) */
	bool an_have;    /* ar holds its result */
	bool an_cached;  /* taken from the cache */
	struct analyse_result ar;
};

static void analysis_judge(struct engine *e, const char *relpath, size_t rlen, const struct hash_result *res,
			   bool code_by_name, struct judgement *J);
static void analysis_detail(const struct engine *e, const struct analyse_result *ar, struct buf *out);
static void res_from_row(struct webspace *w, const struct file_row *row, const char *relpath,
			 struct hash_result *ret);

static void
judge(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
      enum change_kind change, const struct hash_result *res, int pid, struct judgement *J)
{
	const struct inst_row *ir = inst_for(w, relpath, rlen);
	const struct fp_product *p = ir ? fpindex_product_by_name(e->idx, ir->product) : NULL;
	const struct fp_version *v = p ? fp_product_find_version(p, ir->version) : NULL;
	size_t base = ir && ir->root_len ? ir->root_len + 1 : 0;
	const char *irel = relpath + base;
	size_t ilen = rlen - base;
	bool have_sha = res && res->status == HASH_OK;
	struct classify_input ci;
	bool code;

	memset(J, 0, sizeof(*J));
	J->ir = ir;
	J->p = p;
	J->v = v;
	know_path(e, p, v, irel, ilen, have_sha ? res->sha256 : NULL, &J->k);
	memset(&ci, 0, sizeof(ci));
	ci.change = change;
	ci.relpath = irel;
	ci.rlen = ilen;
	ci.in_installation = ir != NULL;
	ci.release_path = J->k.release_path;
	ci.known = J->k.known;
	ci.version_rank = v ? v->rank : 0;
	ci.other_rank = J->k.other ? J->k.other->rank : 0;
	ci.product = p ? p->name : NULL;
	ci.version = v ? v->version : NULL;
	ci.other_version = J->k.other ? J->k.other->version : NULL;
	ci.known_bad = have_sha && state_known_bad(e->st, res->sha256);
	ci.trusted = have_sha && state_trusted(e->st, res->sha256, w->customer);
	ci.php_head = have_sha && classify_php_head(res->head, res->headlen);
	ci.in_upload_dir = (p && ident_in_dirs(p->upload_dirs, irel, ilen)) ||
			   classify_generic_upload_dir(relpath, rlen);
	classify_change(&ci, &J->vd);
	code = ident_is_code(relpath, rlen) || ci.php_head;
	if (res && res->status == HASH_SYMLINK && change != CHANGE_DELETED) {
		J->vd.kind = VERDICT_SUSPICIOUS;
		J->vd.severity = SEV_WARNING;
		snprintf(J->vd.reason, sizeof(J->vd.reason), "a symbolic link (never followed by wsid)");
	} else if (res && res->status == HASH_NOT_REGULAR && change != CHANGE_DELETED &&
		   (S_ISFIFO(res->mode) || S_ISSOCK(res->mode) || S_ISCHR(res->mode) ||
		    S_ISBLK(res->mode))) {
		J->vd.kind = VERDICT_SUSPICIOUS;
		J->vd.severity = SEV_WARNING;
		snprintf(J->vd.reason, sizeof(J->vd.reason), "a %s in a webspace (never opened by wsid)",
			 S_ISFIFO(res->mode) ? "FIFO" : S_ISSOCK(res->mode) ? "socket" : "device node");
	} else if (res && change != CHANGE_DELETED && status_unsettled(res->status)) {
		verdict_unread(res->status, &J->vd);
	} else if (res && change != CHANGE_DELETED && res->status != HASH_OK) {
		size_t n = strlen(J->vd.reason);

		snprintf(J->vd.reason + n, sizeof(J->vd.reason) - n, " (not hashed: %s)",
			 hash_status_name(res->status));
	}
	J->ckey = comp_key_of(e, relpath, rlen, &J->cklen);
	/* consensus: code no index knows, shipped in a component that other
	 * webspaces on the node have too */
	if (J->ckey && have_sha && code && !ci.trusted && J->k.known == KNOWN_NONE &&
	    (J->vd.kind == VERDICT_NEW || J->vd.kind == VERDICT_CHANGED_UNKNOWN ||
	     J->vd.kind == VERDICT_TAMPERED)) {
		struct consensus c;
		unsigned need = e->o.consensus_min ? e->o.consensus_min : 3;

		if (state_consensus(e->st, J->ckey, J->cklen, w->id, res->sha256, &c) == 0 &&
		    c.same == 0 && c.top >= need && c.top * 2 > c.copies) {
			J->vd.kind = VERDICT_TAMPERED;
			J->vd.severity = verdict_default_severity(VERDICT_TAMPERED);
			snprintf(J->vd.reason, sizeof(J->vd.reason),
				 "tampered (by consensus): %u of %u other webspaces hold this file with "
				 "other, identical content",
				 c.top, c.copies);
		}
	}
	if (have_sha && change != CHANGE_DELETED && !ci.trusted && !ci.known_bad)
		analysis_judge(e, relpath, rlen, res, ident_is_code(relpath, rlen), J);
	J->sev = J->vd.severity;
	if (e->o.severity)
		J->sev = e->o.severity(e->o.severity_ud, w->customer, J->vd.kind, J->sev);
	if (pid > 0 && change != CHANGE_BASELINE)
		J->have_writer = proc_cache_get(e->pc, pid, 10000, &J->writer);
	if (J->have_writer && J->vd.kind == VERDICT_SUSPICIOUS && is_web_server(e, &J->writer)) {
		size_t n = strlen(J->vd.reason);

		if (J->sev < SEV_CRITICAL)
			J->sev++;
		snprintf(J->vd.reason + n, sizeof(J->vd.reason) - n,
			 ", written by the web server (%s, user %s)", J->writer.comm, J->writer.user);
	}
}

static void
event_from_judgement(struct event_row *ev, struct webspace *w, const char *relpath, size_t rlen,
		     enum change_kind change, const struct judgement *J, int pid, const char *source)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_ns = now_real_ns();
	ev->webspace_id = w->id;
	ev->customer = w->customer;
	ev->path = relpath;
	ev->plen = rlen;
	ev->change = change;
	ev->known = J->k.known;
	ev->verdict = J->vd.kind;
	ev->severity = (enum severity)J->sev;
	ev->reason = J->vd.reason;
	ev->installation_id = J->ir ? J->ir->id : 0;
	ev->product = J->p ? J->p->name : NULL;
	ev->version = J->v ? J->v->version : NULL;
	ev->other_version = J->k.other ? J->k.other->version : NULL;
	ev->pid = pid;
	ev->source = source;
	if (J->have_writer) {
		ev->have_writer = true;
		ev->uid = J->writer.uid;
		ev->user = J->writer.user;
		ev->comm = J->writer.comm;
		ev->cgroup = J->writer.cgroup;
	}
}

/* Verdicts that may be part of something larger (an update, an installation
 * or removal) wait for the installation's quiet window (reident) */
static bool
held_verdict(enum verdict_kind v)
{
	return v == VERDICT_UPDATE || v == VERDICT_DOWNGRADE || v == VERDICT_DELETED ||
	       v == VERDICT_FOREIGN;
}

static void
emit(struct engine *e, int64_t id, enum verdict_kind v)
{
	e->stats.events++;
	if ((unsigned)v < VERDICT_MAX)
		e->stats.events_by_verdict[v]++;
	if (e->o.on_event)
		e->o.on_event(e->o.on_event_ud, id);
}

static void
file_row_fill(struct file_row *row, struct webspace *w, const char *relpath, size_t rlen,
	      const struct hash_result *res, const struct judgement *J)
{
	memset(row, 0, sizeof(*row));
	row->webspace_id = w->id;
	row->relpath = relpath;
	row->rlen = rlen;
	if (res) {
		row->ino = res->ino;
		row->size = res->size;
		row->mtime_ns = res->mtime_ns;
		row->ctime_ns = res->ctime_ns;
		row->mode = res->mode;
		row->uid = res->uid;
		row->has_sha = res->status == HASH_OK;
		if (row->has_sha)
			memcpy(row->sha256, res->sha256, SHA256_LEN);
		snprintf(row->status, sizeof(row->status), "%s", hash_status_name(res->status));
	}
	snprintf(row->known, sizeof(row->known), "%s", known_name(J->k.known));
	snprintf(row->verdict, sizeof(row->verdict), "%s", verdict_name(J->vd.kind));
	row->installation_id = J->ir ? J->ir->id : 0;
	row->comp_key = J->ckey;
	row->cklen = J->cklen;
}

/* classifies and stores one change; returns the event id or 0 */
static int64_t
record_change(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
	      enum change_kind change, const struct hash_result *res, const struct file_row *old,
	      const char *old_path, size_t oplen, int pid, const char *source, bool event_always)
{
	bool have_sha = res && res->status == HASH_OK;
	struct judgement J;
	struct event_row ev;
	struct file_row row;
	struct buf detail = { 0 };
	int64_t id = 0;

	judge(e, w, relpath, rlen, change, res, pid, &J);
	if (J.an_cached)
		e->stats.analysis_cache_hits++;
	batch_begin(e);
	if (change == CHANGE_DELETED) {
		state_file_delete(e->st, w->id, relpath, rlen);
	} else {
		file_row_fill(&row, w, relpath, rlen, res, &J);
		state_file_put(e->st, &row);
	}
	if ((event_always && J.vd.kind != VERDICT_IGNORED) || J.sev >= SEV_WARNING) {
		event_from_judgement(&ev, w, relpath, rlen, change, &J, pid, source);
		ev.old_path = old_path;
		ev.oplen = oplen;
		ev.old_sha256 = old && old->has_sha ? old->sha256 : NULL;
		ev.new_sha256 = have_sha ? res->sha256 : NULL;
		if (J.an_have && J.ar.verdict != ANALYSE_CLEAN) {
			buf_init(&detail, 1 << 16);
			analysis_detail(e, &J.ar, &detail);
			ev.detail = detail.data;
		}
		/* a file back at its release's content while the installation's
		 * window is open (an update copying a file twice) joins the rest */
		ev.held = change != CHANGE_BASELINE &&
			  (held_verdict(J.vd.kind) || (J.vd.kind == VERDICT_OK && w->reident_ns)) &&
			  (strcmp(source, "live") == 0 || strcmp(source, "reconcile") == 0);
		if (state_event_add(e->st, &ev, &id) == 0) {
			if (ev.held)
				e->stats.held++;
			else
				emit(e, id, J.vd.kind);
		}
	}
	/* identification can only change when a file that votes changed: known
	 * content came or went, or a release file of an installation changed */
	if (change != CHANGE_BASELINE &&
	    (J.k.known != KNOWN_NONE || J.k.release_path ||
	     (old && old->known[0] && strcmp(old->known, "unknown") != 0)))
		w->reident_ns = now_mono_ns() + e->o.reident_ms * 1000000ull;
	buf_free(&detail);
	return id;
}

/* ---- analysis of unknown code (analyse.h) ----
 *
 * Code whose content is no release (new, changed-unknown, tampered, foreign,
 * suspicious) is analysed once per content and rule set: the result is cached
 * per SHA-256 (state_analysis_get). A content the cache does not hold waits
 * for an analysis job on the hash workers (the main loop never reads a file);
 * when it comes back, the change is recorded with its findings. */

struct an_defer {
	int64_t ws;
	char *relpath;
	int pid;
	const char *source; /* "live", "reconcile", "baseline", "rules" (static) */
	bool event_always;
	enum change_kind change; /* CHANGE_RECLASSIFIED: new rules judge a stored file again */
	struct hash_result res;
	struct an_defer *next;
};

static void
an_defer_free(struct an_defer *d)
{
	while (d) {
		struct an_defer *n = d->next;

		free(d->relpath);
		free(d);
		d = n;
	}
}

static bool
analysis_verdict_applies(enum verdict_kind v)
{
	return v == VERDICT_NEW || v == VERDICT_CHANGED_UNKNOWN || v == VERDICT_TAMPERED ||
	       v == VERDICT_FOREIGN || v == VERDICT_SUSPICIOUS;
}

/* the names a web server hands to PHP as they are (.htaccess or .user.ini
 * can add others: those are analysed themselves) */
static bool
web_runs_name(const char *relpath, size_t rlen)
{
	static const char *const exts[] = { ".php", ".phtml", ".php3", ".php4", ".php5", ".php7",
					    ".php8", ".phar", ".pht", ".cgi", ".pl", ".py", ".sh" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t el = strlen(exts[i]);

		if (rlen > el && strncasecmp(relpath + rlen - el, exts[i], el) == 0)
			return true;
	}
	return false;
}

static void
analysis_detail(const struct engine *e, const struct analyse_result *ar, struct buf *out)
{
	struct json j;

	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "analysis");
	json_obj_begin(&j);
	json_kv_str(&j, "verdict", analyse_verdict_name(ar->verdict));
	json_kv_str(&j, "rules_version", e->o.an ? analyse_rules_version(e->o.an) : "");
	analyse_findings_json(&j, ar);
	json_obj_end(&j);
	json_obj_end(&j);
}

/* the configured severities per finding class (analysis.severity) applied to
 * a result: the verdict follows the findings' new confidences */
static void
analysis_class_severities(const struct engine *e, struct analyse_result *ar)
{
	unsigned i, k = 0, notes = 0;
	bool any = false;
	int worst = -1;

	if (e->o.an_class_severity == NULL)
		return;
	for (i = 0; i < ar->n; i++) {
		int sev = e->o.an_class_severity(e->o.an_class_severity_ud, ar->f[i].cls);

		if (sev >= 0) {
			any = true;
			if (sev == SEV_INFO)
				continue; /* dropped */
			ar->f[i].conf = sev >= SEV_CRITICAL ? 2 : 1;
		}
		ar->f[k++] = ar->f[i];
	}
	if (!any)
		return;
	ar->n = k;
	for (i = 0; i < ar->n; i++) {
		if (ar->f[i].conf > worst)
			worst = ar->f[i].conf;
		notes += ar->f[i].conf == 0;
	}
	ar->verdict = worst >= 2 ? ANALYSE_MALICIOUS
		      : worst == 1 || notes >= 2 ? ANALYSE_SUSPICIOUS
						 : ANALYSE_CLEAN;
}

static void
reason_prepend(struct verdict *vd, const char *head, const char *sum)
{
	char was[sizeof(vd->reason)];

	memcpy(was, vd->reason, sizeof(was));
	snprintf(vd->reason, sizeof(vd->reason), "%s: %.200s; %.100s", head, sum, was);
}

/* what the analysis says about a change classify_change judged */
static void
analysis_judge(struct engine *e, const char *relpath, size_t rlen, const struct hash_result *res,
	       bool code_by_name, struct judgement *J)
{
	bool code = code_by_name || classify_php_head(res->head, res->headlen);
	enum verdict_kind k = J->vd.kind;
	char sum[sizeof(J->vd.reason)];

	/* an empty file is no evidence of anything: no release "holds" it */
	if (res->size == 0 && k == VERDICT_FOREIGN) {
		J->vd.kind = VERDICT_NEW;
		J->vd.severity = verdict_default_severity(VERDICT_NEW);
		snprintf(J->vd.reason, sizeof(J->vd.reason), "an empty file (no evidence of anything)");
		return;
	}
	if (e->o.an == NULL || !code || !analysis_verdict_applies(k) || res->size == 0)
		return;
	J->an_wanted = true;
	if (e->o.an_max_size && res->size > e->o.an_max_size) {
		size_t n = strlen(J->vd.reason);

		snprintf(J->vd.reason + n, sizeof(J->vd.reason) - n,
			 " (not analysed: larger than analysis max_size)");
		return;
	}
	if (e->an_now && memcmp(e->an_now_sha, res->sha256, SHA256_LEN) == 0) {
		J->ar = *e->an_now;
		J->an_have = true;
	} else if (e->an_now_err && e->an_now_sha && memcmp(e->an_now_sha, res->sha256, SHA256_LEN) == 0) {
		size_t n = strlen(J->vd.reason);

		snprintf(J->vd.reason + n, sizeof(J->vd.reason) - n, " (not analysed: %s)",
			 strerror(-e->an_now_err));
		return;
	} else if (state_analysis_get(e->st, res->sha256, analyse_rules_version(e->o.an), &J->ar) == 0) {
		J->an_have = J->an_cached = true;
	} else {
		return; /* analysis_defer submits it */
	}
	analysis_class_severities(e, &J->ar);
	if (J->ar.verdict == ANALYSE_CLEAN) {
		/* a name alone does not decide: code that does nothing found and
		 * that the web server would not run by its name, or a release's
		 * own .htaccess elsewhere, is no alarm */
		if ((k == VERDICT_SUSPICIOUS || k == VERDICT_FOREIGN) && !web_runs_name(relpath, rlen)) {
			char was[sizeof(J->vd.reason)];

			memcpy(was, J->vd.reason, sizeof(was));
			J->vd.kind = VERDICT_NEW;
			J->vd.severity = verdict_default_severity(VERDICT_NEW);
			snprintf(J->vd.reason, sizeof(J->vd.reason),
				 "analysed: nothing found, and the web server does not run it by its name "
				 "(was: %.200s)", was);
		}
		return;
	}
	analyse_result_summary(&J->ar, sum, sizeof(sum) - 100);
	if (J->ar.verdict == ANALYSE_MALICIOUS || k == VERDICT_TAMPERED) {
		J->vd.kind = VERDICT_MALICIOUS;
		J->vd.severity = SEV_CRITICAL;
		reason_prepend(&J->vd, "malicious code", sum);
	} else {
		if (k != VERDICT_SUSPICIOUS || J->vd.severity < SEV_WARNING) {
			J->vd.kind = VERDICT_SUSPICIOUS;
			J->vd.severity = SEV_WARNING;
		}
		reason_prepend(&J->vd, "suspicious code", sum);
	}
}

/* A change whose content waits for its analysis: the job goes to the hash
 * workers and the change is recorded when it comes back (on_analysed).
 * false: record it now (nothing to analyse, or the result is cached). */
static bool
analysis_defer(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
	       enum change_kind change, const struct hash_result *res, int pid, const char *source,
	       bool event_always)
{
	struct judgement J;
	struct hash_job *j;
	struct an_defer *d, **head;
	int fresh;

	/* cheap checks first: a change that is no code costs nothing more */
	if (e->o.an == NULL || res->status != HASH_OK || res->size == 0 ||
	    (!ident_is_code(relpath, rlen) && !classify_php_head(res->head, res->headlen)))
		return false;
	judge(e, w, relpath, rlen, change, res, 0, &J);
	if (!J.an_wanted || J.an_have || (e->o.an_max_size && res->size > e->o.an_max_size))
		return false;
	d = xcalloc(1, sizeof(*d));
	d->ws = w->id;
	d->relpath = xstrndup(relpath, rlen);
	d->pid = pid;
	d->source = source;
	d->event_always = event_always;
	d->change = change;
	d->res = *res;
	/* the same content in flight already (a shell copied into many
	 * webspaces at once): wait for its result */
	head = (struct an_defer **)hmap_put(&e->an_inflight, res->sha256, SHA256_LEN, &fresh);
	if (!fresh) {
		d->next = (*head)->next;
		(*head)->next = d;
		return true;
	}
	*head = d;
	j = xcalloc(1, sizeof(*j));
	j->root = xstrdup(w->root);
	j->rid = w->rid;
	j->relpath = xstrndup(relpath, rlen);
	j->mount_fd = -1;
	j->an = analyse_hold(e->o.an);
	j->an_max = e->o.an_max_size ? e->o.an_max_size : UINT64_MAX;
	memcpy(j->an_expect, res->sha256, SHA256_LEN);
	if (hashpool_submit(e->pool, j) < 0) {
		hmap_del(&e->an_inflight, res->sha256, SHA256_LEN);
		hash_job_free(j);
		an_defer_free(d);
		return false;
	}
	e->stats.analysis_backlog++;
	return true;
}

/* a change whose analysis came back: recorded with it */
static void
analysed_record(struct engine *e, struct hash_job *j, struct an_defer *d, bool own)
{
	struct webspace *w = ws_get(e, d->ws);
	size_t rlen = strlen(d->relpath);
	struct file_row old;
	bool had;

	/* gone, or a root registered since (its reconcile covers the file) */
	if (w == NULL || (own && !root_id_equal(&j->rid, &w->rid)))
		return;
	had = state_file_get(e->st, w->id, d->relpath, rlen, &old) == 0;
	if (d->change == CHANGE_RECLASSIFIED) {
		/* new rules: a stored file whose verdict they change */
		struct hash_result res;
		struct judgement J;

		if (!had || !old.has_sha || memcmp(old.sha256, j->an_expect, SHA256_LEN) != 0)
			return;
		res_from_row(w, &old, d->relpath, &res);
		e->an_now = j->an_err == 0 ? j->ar : NULL;
		e->an_now_sha = j->an_expect;
		judge(e, w, d->relpath, rlen, CHANGE_RECLASSIFIED, &res, 0, &J);
		if (strcmp(old.verdict, verdict_name(J.vd.kind)) != 0) {
			e->stats.analysis_rejudged++;
			record_change(e, w, d->relpath, rlen, CHANGE_RECLASSIFIED, &res, &old, NULL, 0, 0,
				      "rules", false);
		}
		e->an_now = NULL;
		e->an_now_sha = NULL;
		return;
	}
	/* recorded already, or something newer is (its own change was judged) */
	if (had && ((old.has_sha && memcmp(old.sha256, j->an_expect, SHA256_LEN) == 0) ||
		    old.ctime_ns > d->res.ctime_ns))
		return;
	e->an_now = j->an_err == 0 ? j->ar : NULL;
	e->an_now_err = j->an_err;
	e->an_now_sha = j->an_expect;
	record_change(e, w, d->relpath, rlen, d->change, &d->res, had ? &old : NULL, NULL, 0, d->pid,
		      d->source, d->event_always);
	e->an_now = NULL;
	e->an_now_sha = NULL;
	e->an_now_err = 0;
}

static void
on_analysed(struct engine *e, struct hash_job *j)
{
	struct an_defer *list = hmap_del(&e->an_inflight, j->an_expect, SHA256_LEN), *d;

	e->stats.analysis_backlog--;
	if (j->an_err == 0 && j->ar) {
		e->stats.analyses++;
		if (j->ar->verdict != ANALYSE_CLEAN)
			e->stats.analysis_findings++;
		if (j->an == e->o.an) {
			batch_begin(e);
			state_analysis_put(e->st, j->an_expect, analyse_rules_version(j->an), j->ar);
		}
	} else if (j->an_err != -ESTALE) {
		e->stats.analysis_skipped++;
	}
	/* the job's file changed since it was hashed: its own change follows;
	 * the others holding the content are judged again by it */
	for (d = list; d; d = d->next) {
		struct webspace *w;

		if (j->an_err != -ESTALE) {
			analysed_record(e, j, d, d == list);
			continue;
		}
		if (d == list || (w = ws_get(e, d->ws)) == NULL)
			continue;
		/* another copy of the content: analysed from its own file */
		if (!analysis_defer(e, w, d->relpath, strlen(d->relpath), d->change, &d->res, d->pid,
				    d->source, d->event_always)) {
			struct file_row old;
			bool had = state_file_get(e->st, w->id, d->relpath, strlen(d->relpath), &old) == 0;

			record_change(e, w, d->relpath, strlen(d->relpath), d->change, &d->res,
				      had ? &old : NULL, NULL, 0, d->pid, d->source, d->event_always);
		}
	}
	an_defer_free(list);
}

/* New rules: every stored file whose content was analysed under other rules
 * is analysed again on the workers (one job per content) and judged again
 * when its result is back (analysed_record). One scan of files, as marks do. */
static void
analysis_rejudge(struct engine *e)
{
	sqlite3_stmt *q;
	size_t n = 0;

	engine_flush(e);
	q = store_prepare(e->s, "SELECT f.webspace_id, f.relpath FROM files f JOIN analysis a ON "
				"a.sha256=f.sha256 WHERE a.rules_version<>?1");
	if (q == NULL)
		return;
	sqlite3_bind_text(q, 1, analyse_rules_version(e->o.an), -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t ws = sqlite3_column_int64(q, 0);
		size_t len = (size_t)sqlite3_column_bytes(q, 1);
		char *path = xstrndup(len ? sqlite3_column_blob(q, 1) : "", len);
		struct webspace *w = ws_get(e, ws);
		struct file_row row;
		struct hash_result res;

		if (w && state_file_get(e->st, ws, path, len, &row) == 0 && row.has_sha) {
			res_from_row(w, &row, path, &res);
			if (analysis_defer(e, w, path, len, CHANGE_RECLASSIFIED, &res, 0, "rules", false))
				n++;
		}
		free(path);
	}
	sqlite3_finalize(q);
	if (n)
		log_info("analysis: new rules: %zu file%s analysed again", n, n == 1 ? "" : "s");
}

void
engine_set_analyse(struct engine *e, struct analyse *an, uint64_t max_size)
{
	bool changed = an && (e->o.an == NULL ||
			      strcmp(analyse_rules_version(an), analyse_rules_version(e->o.an)) != 0);

	analyse_free(e->o.an);
	e->o.an = analyse_hold(an);
	e->o.an_max_size = max_size;
	if (changed)
		analysis_rejudge(e);
}

static bool
same_stat(const struct file_row *a, const struct hash_result *r)
{
	return a->ino == r->ino && a->size == r->size && a->mtime_ns == r->mtime_ns &&
	       a->ctime_ns == r->ctime_ns;
}

static void
on_result(struct engine *e, struct pending *p, struct hash_job *j)
{
	struct webspace *w = ws_get(e, p->ws);
	struct file_row old;
	bool had = false;
	const char *source = (p->flags & NOTE_RECONCILE) ? "reconcile" : "live";

	/* none, or hashed under a root registered since: its reconcile covers
	 * the file */
	if (w == NULL || !root_id_equal(&j->rid, &w->rid))
		return;
	had = state_file_get(e->st, w->id, p->relpath, p->rlen, &old) == 0;
	if (j->res.status == HASH_GONE) {
		if (had) {
			record_change(e, w, p->relpath, p->rlen, CHANGE_DELETED, NULL, &old, NULL, 0,
				      p->pid, source, true);
			e->stats.deleted++;
		}
		return;
	}
	if (j->res.status == HASH_ERROR && j->res.err == ESTALE) {
		ws_root_changed(e, w, "found when hashing a file");
		return;
	}
	if (j->res.status == HASH_ERROR) {
		e->stats.hash_errors++;
		log_warnx("%s/%s: cannot hash: %s", esc_name(w->root), esc_name(p->relpath),
			  strerror(j->res.err));
		return;
	}
	if (j->res.status == HASH_NOT_REGULAR && S_ISDIR(j->res.mode)) {
		/* a directory took the name: its files come with their own events;
		 * the file or symlink stored under the name is gone */
		if (had) {
			record_change(e, w, p->relpath, p->rlen, CHANGE_DELETED, NULL, &old, NULL, 0,
				      p->pid, source, true);
			e->stats.deleted++;
		}
		return;
	}
	if (had) {
		bool same_content = j->res.status == HASH_OK && old.has_sha &&
				    memcmp(old.sha256, j->res.sha256, SHA256_LEN) == 0;
		bool same_unhashed = j->res.status != HASH_OK && !old.has_sha &&
				     strcmp(old.status, hash_status_name(j->res.status)) == 0;

		if (same_content || same_unhashed) {
			/* touch, chmod, rewrite with the same bytes: state only */
			if (!same_stat(&old, &j->res)) {
				struct file_row row = old;

				row.relpath = p->relpath;
				row.rlen = p->rlen;
				row.ino = j->res.ino;
				row.size = j->res.size;
				row.mtime_ns = j->res.mtime_ns;
				row.ctime_ns = j->res.ctime_ns;
				row.mode = j->res.mode;
				row.uid = j->res.uid;
				batch_begin(e);
				state_file_put(e->st, &row);
			}
			return;
		}
	}
	if (analysis_defer(e, w, p->relpath, p->rlen, had ? CHANGE_MODIFIED : CHANGE_CREATED, &j->res, p->pid,
			   source, true))
		return;
	record_change(e, w, p->relpath, p->rlen, had ? CHANGE_MODIFIED : CHANGE_CREATED, &j->res,
		      had ? &old : NULL, NULL, 0, p->pid, source, true);
}

static bool
lease_wait_free(const struct engine *e)
{
	return e->workers >= 2 && !e->lease_waiting;
}

/* A lease kept the file closed (see LOCKED_RETRIES): true when another
 * attempt is scheduled, false when it is to be stored `locked` */
static bool
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
static bool
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

void
engine_on_hashed(struct engine *e)
{
	struct hash_job *j;

	while ((j = hashpool_done(e->pool)) != NULL) {
		struct pending *p = j->ud;
		uint64_t now = now_mono_ns();
		enum hash_status status = j->res.status;

		if (j->an) {
			on_analysed(e, j);
			hash_job_free(j);
			continue;
		}
		e->inflight--;
		e->stats.hashed++;
		p->in_flight = false;
		if (j->wait_ms)
			e->lease_waiting = false;
		if (status == HASH_LOCKED && lease_retry(e, p, j, now)) {
			hash_job_free(j);
			continue;
		}
		if (status == HASH_CHANGED && p->park_level == 0 && p->changed_tries + 1 < CHANGED_MAX) {
			/* changed while hashed: again after a delay doubling
			 * from the close window + 5 ms (newer events wait too) */
			uint64_t d = (e->o.debounce_close_ms + 5) << p->changed_tries;

			if (d > PARK_CHANGING_MS)
				d = PARK_CHANGING_MS;
			p->changed_tries++;
			p->again = false;
			plist_retry(e, p, now + d * 1000000ull);
			hash_job_free(j);
			continue;
		}
		on_result(e, p, j);
		if (p->close_ns) {
			uint64_t lat = now - p->close_ns;

			e->stats.lat_count++;
			e->stats.lat_sum_ns += lat;
			if (lat > e->stats.lat_max_ns)
				e->stats.lat_max_ns = lat;
		}
		hash_job_free(j);
		if (status_unsettled(status) && park(e, p, status, now))
			continue;
		p->locked_tries = p->changed_tries = p->park_level = 0;
		if (p->again) {
			p->again = false;
			p->flags = NOTE_CLOSE_WRITE;
			p->close_ns = 0;
			pending_arm(e, p);
		} else {
			pending_drop(e, p);
		}
	}
}

/* ---- renames and directory deletes ---- */

void
engine_rename(struct engine *e, int64_t ws_from, const char *from, size_t flen, int64_t ws_to,
	      const char *to, size_t tlen, bool is_dir, int mount_fd,
	      const struct file_handle *handle, int pid)
{
	struct webspace *wf = ws_from ? ws_get(e, ws_from) : NULL;
	struct webspace *wt = ws_to ? ws_get(e, ws_to) : NULL;
	struct file_row old;

	e->stats.renamed++;
	if (wf && wt && wf == wt && !storm_budget(e, wf->id))
		return; /* reconciled instead */
	if (is_dir) {
		if (wf && wt && wf == wt && flen && tlen) {
			batch_begin(e);
			state_dir_move(e->st, wf->id, from, flen, to, tlen,
				       comp_keys_survive(e, from, flen) && comp_keys_survive(e, to, tlen));
			ws_load_inst(e, wf);
			{
				struct event_row ev;
				int64_t id;
				memset(&ev, 0, sizeof(ev));
				ev.time_ns = now_real_ns();
				ev.webspace_id = wf->id;
				ev.customer = wf->customer;
				ev.path = to;
				ev.plen = tlen;
				ev.old_path = from;
				ev.oplen = flen;
				ev.change = CHANGE_RENAMED;
				ev.verdict = VERDICT_CHANGED_UNKNOWN;
				ev.severity = SEV_INFO;
				ev.reason = "directory renamed";
				ev.pid = pid;
				ev.source = "live";
				if (state_event_add(e->st, &ev, &id) == 0)
					emit(e, id, ev.verdict);
			}
			wf->reident_ns = now_mono_ns() + e->o.reident_ms * 1000000ull;
		} else {
			/* across webspaces, or in/out of watched space: walk both */
			if (wf)
				engine_reconcile(e, wf->id, "directory moved out");
			if (wt && wt != wf)
				engine_reconcile(e, wt->id, "directory moved in");
		}
		return;
	}
	if (wf && wt && wf == wt && state_file_get(e->st, wf->id, from, flen, &old) == 0) {
		/* the content moves with the name: re-check it at the new place */
		batch_begin(e);
		state_file_move(e->st, wf->id, from, flen, to, tlen);
		{
			struct hash_result res;

			memset(&res, 0, sizeof(res));
			res.status = old.has_sha ? HASH_OK : HASH_ERROR;
			memcpy(res.sha256, old.sha256, SHA256_LEN);
			res.ino = old.ino;
			res.size = old.size;
			res.mtime_ns = old.mtime_ns;
			res.ctime_ns = old.ctime_ns;
			res.mode = old.mode;
			res.uid = old.uid;
			if (old.has_sha)
				record_change(e, wt, to, tlen, CHANGE_RENAMED, &res, &old, from, flen, pid,
					      "live", true);
		}
		/* and confirm the content by hashing the new name */
		engine_note(e, wt->id, to, tlen, NOTE_MOVED_IN, mount_fd, handle, pid);
		return;
	}
	if (wf)
		engine_note(e, wf->id, from, flen, NOTE_DELETE, -1, NULL, pid);
	if (wt)
		engine_note(e, wt->id, to, tlen, NOTE_MOVED_IN, mount_fd, handle, pid);
}

struct dir_del_ctx {
	struct engine *e;
	int64_t ws;
};

static int
dir_del_one(void *ud, const struct file_row *f)
{
	struct dir_del_ctx *c = ud;

	engine_note(c->e, c->ws, f->relpath, f->rlen, NOTE_DELETE, -1, NULL, 0);
	return 0;
}

void
engine_dir_deleted(struct engine *e, int64_t ws, const char *relpath, size_t rlen)
{
	struct dir_del_ctx c = { e, ws };

	/* files under it should have had their own DELETE; make sure (an
	 * empty directory, as a storm of mkdir/rmdir makes, costs one lookup) */
	if (storm_budget(e, ws) && state_any_under(e->st, ws, relpath, rlen))
		state_files_under(e->st, ws, relpath, rlen, dir_del_one, &c);
}

/* ---- ticking ---- */

int
engine_timeout_ms(struct engine *e)
{
	uint64_t now = now_mono_ns(), best = UINT64_MAX;
	size_t i;
	int l;

	if (e->ring_head && e->inflight < HASH_INFLIGHT_MAX)
		return 0;
	for (l = 0; l < LIST_MAX; l++)
		if (e->lists[l].head && e->lists[l].head->deadline_ns < best)
			best = e->lists[l].head->deadline_ns;
	if (e->noverflow_due) {
		struct hmap_slot *hs;

		hmap_foreach(&e->queues, hs) {
			struct wsq *q = hs->val;

			if (q->overflow_due && q->overflow_next_ns < best)
				best = q->overflow_next_ns;
		}
	}
	for (i = 0; i < e->nws; i++) {
		if (e->ws[i].reident_ns && e->ws[i].reident_ns < best)
			best = e->ws[i].reident_ns;
		if (e->ws[i].recheck_ns && e->ws[i].recheck_ns < best)
			best = e->ws[i].recheck_ns;
	}
	if (e->repair_ns && e->repair_ns < best)
		best = e->repair_ns;
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	return (int)((best - now) / 1000000ull) + 1;
}

static void reident(struct engine *e, struct webspace *w);

void
engine_tick(struct engine *e)
{
	uint64_t now = now_mono_ns();
	size_t i;
	int l;

	/* windows that closed (and retries due): into their webspace's ready list */
	for (l = 0; l < LIST_MAX; l++) {
		struct pending *p;

		while ((p = e->lists[l].head) != NULL && p->deadline_ns <= now) {
			plist_append(e, p, LIST_READY, p->deadline_ns);
			ring_push(e, p->q);
		}
	}
	/* to the pool, one change per webspace in turn */
	while (e->inflight < HASH_INFLIGHT_MAX) {
		struct wsq *q = ring_pop(e);
		struct pending *p;
		struct webspace *w;
		struct hash_job *j;
		unsigned wait_ms;

		if (q == NULL)
			break;
		if ((w = ws_get(e, q->ws)) == NULL || w->root_changed) {
			/* the webspace is gone, and its changes with it; or its root
			 * changed: its reconcile once registered again finds what these
			 * changes were */
			while (q->ready.head)
				/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): unlinks the head */
				pending_drop(e, q->ready.head);
			continue;
		}
		if ((p = q->ready.head) == NULL)
			continue; /* re-armed meanwhile */
		j = xcalloc(1, sizeof(*j));
		j->root = xstrdup(w->root);
		j->rid = w->rid;
		j->relpath = xstrdup(p->relpath);
		j->mount_fd = p->mount_fd;
		j->handle = handle_dup(p->handle);
		j->max_size = e->o.max_file_size;
		j->ud = p;
		wait_ms = p->wait_open && lease_wait_free(e) ? LEASE_WAIT_MS : 0;
		j->wait_ms = wait_ms;
		if (hashpool_submit(e->pool, j) < 0) {
			hash_job_free(j);
			/* full: its turn comes first next time */
			q->ring_next = e->ring_head;
			e->ring_head = q;
			if (e->ring_tail == NULL)
				e->ring_tail = q;
			q->in_ring = true;
			break;
		}
		if (wait_ms)
			e->lease_waiting = true;
		p->wait_open = false;
		e->inflight++;
		plist_unlink(e, p);
		p->in_flight = true;
		p->again = false;
		if (q->ready.head)
			ring_push(e, q);
	}
	if (e->noverflow_due) {
		struct hmap_slot *hs;

		hmap_foreach(&e->queues, hs) {
			struct wsq *q = hs->val;

			if (q->overflow_due && q->overflow_next_ns <= now)
				overflow_reconcile(e, q, now);
		}
	}
	if (e->repair_ns && e->repair_ns <= now) {
		e->repair_ns = 0;
		engine_reconcile(e, 0, "storing again what a failed commit lost");
		if (e->stats.store_err == 0)
			e->repair_delay_ms = 0; /* the database took the last commit */
	}
	for (i = 0; i < e->nws; i++) {
		struct webspace *w = &e->ws[i];

		if (w->reident_ns && w->reident_ns <= now && !w->walking) {
			w->reident_ns = 0;
			engine_flush(e);
			reident(e, w);
		}
		if (w->recheck_ns && w->recheck_ns <= now) {
			w->recheck_ns = 0;
			engine_reconcile(e, w->id, "looking again (files locked or changing, lost events)");
		}
	}
}

/* A failed commit loses the batch (files, events, outbox rows) from the
 * database, while the pending entries it came from are already done: nothing
 * would store those changes again. So a failure schedules a reconcile of every
 * webspace (the stat walk finds exactly what the database lacks), again after
 * each failure with a growing delay, until the results commit. */
void
engine_flush(struct engine *e)
{
	int r;

	e->batch = 0;
	if (!state_in_tx(e->st))
		return;
	r = state_commit(e->st);
	if (r < 0) {
		e->stats.commit_failures++;
		if (e->stats.store_err == 0)
			log_warnx("engine: database %s cannot be written (%s): what failed to commit is "
				  "stored again by a reconcile once it can",
				  store_path(e->s), strerror(-r));
		e->stats.store_err = -r;
		if (e->repair_ns == 0) {
			e->repair_delay_ms = e->repair_delay_ms ? e->repair_delay_ms * 2 : REPAIR_DELAY_MIN_MS;
			if (e->repair_delay_ms > REPAIR_DELAY_MAX_MS)
				e->repair_delay_ms = REPAIR_DELAY_MAX_MS;
			e->repair_ns = now_mono_ns() + e->repair_delay_ms * 1000000ull;
		}
	} else if (e->stats.store_err) {
		log_warnx("engine: database %s is written again", store_path(e->s));
		e->stats.store_err = 0;
	}
}


bool
engine_idle(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nws; i++)
		if (e->ws[i].walking || e->ws[i].reident_ns)
			return false;
	/* parked files are stored: they are not waited for */
	return e->lists[LIST_CLOSE].head == NULL && e->lists[LIST_MODIFY].head == NULL &&
	       hashpool_backlog(e->pool) == 0 && e->bg_running == 0 && !state_in_tx(e->st) &&
	       e->pending.len == e->nparked && e->repair_ns == 0 && e->noverflow_due == 0 &&
	       e->stats.analysis_backlog == 0;
}

/* ---- background walks (reconcile.h) ---- */

static void
bg_submit(struct engine *e, enum bg_kind kind, struct webspace *w)
{
	if (w->root_changed)
		return; /* until registered again */
	if (w->walking) {
		w->reconcile_again = true;
		return;
	}
	w->walking = true;
	e->bg_running++;
	/* the configuration the walk reads stays alive until it is done */
	walker_submit(e->walker, kind, w->id, w->root, &w->rid,
		      e->o.ignore_hold ? e->o.ignore_hold(e->o.ignored_ud) : e->o.ignored_ud);
}

void
engine_reconcile(struct engine *e, int64_t ws, const char *why)
{
	size_t i;

	if (ws == 0)
		log_info("reconcile of every webspace (%zu): %s", e->nws, why);
	for (i = 0; i < e->nws; i++) {
		struct webspace *w = &e->ws[i];

		if ((ws && w->id != ws) || w->root_changed)
			continue;
		if (ws)
			log_info("reconcile %s: %s", esc_name(w->root), why);
		bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
	}
}

#define LOST_RECONCILE_MS 60000ull

void
engine_reconcile_dev(struct engine *e, dev_t dev, const char *why)
{
	uint64_t now = now_mono_ns();
	size_t i;

	for (i = 0; i < e->nws; i++) {
		struct webspace *w = &e->ws[i];
		struct stat st;

		if (dev && (lstat(w->root, &st) < 0 || st.st_dev != dev))
			continue;
		/* a reconcile can itself run into the error again */
		if (w->lost_ns && now - w->lost_ns < LOST_RECONCILE_MS * 1000000ull) {
			if (w->recheck_ns == 0)
				w->recheck_ns = w->lost_ns + LOST_RECONCILE_MS * 1000000ull;
			continue;
		}
		w->lost_ns = now;
		log_info("reconcile %s: %s", esc_name(w->root), why);
		bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
	}
}

void
engine_overflow(struct engine *e)
{
	e->stats.overflows++;
	engine_reconcile(e, 0, "kernel event queue overflow");
}

static bool
tree_entry_relevant(const struct scan_file *f)
{
	return f->kind == SCAN_FILE || f->kind == SCAN_SYMLINK || f->kind == SCAN_SPECIAL;
}

struct merge_ctx {
	struct engine *e;
	struct webspace *w;
};

static void
merge_note(void *ud, enum reconcile_note what, const char *relpath, size_t rlen)
{
	struct merge_ctx *c = ud;
	unsigned flags = NOTE_RECONCILE;

	if (what == RECONCILE_NEW)
		flags |= NOTE_CREATE;
	else if (what == RECONCILE_GONE)
		flags |= NOTE_DELETE;
	engine_note(c->e, c->w->id, relpath, rlen, flags, -1, NULL, 0);
}

static void
bg_reconcile_done(struct engine *e, struct webspace *w, struct bg_job *j)
{
	struct merge_ctx c;
	struct reconcile_counts n;

	c.e = e;
	c.w = w;
	engine_flush(e);
	if (reconcile_merge(e->st, w->id, j->tree, row_unsettled, merge_note, &c, &n) < 0)
		log_warnx("reconcile %s: the stored state cannot be read", esc_name(w->root));
	batch_begin(e);
	state_webspace_set_reconciled(e->st, w->id);
	e->stats.reconciles++;
	e->stats.last_reconcile_ms = (now_mono_ns() - j->started_ns) / 1000000ull;
	log_info("reconciled %s: %zu entries, %zu changed, %zu new, %zu gone (%llu ms)",
		 esc_name(w->root), j->tree->nfiles, n.changed, n.added, n.removed,
		 (unsigned long long)e->stats.last_reconcile_ms);
}

/* ---- installations and aggregation ---- */

/* fewer deletions than this in one installation are reported one by one */
#define INCOMPLETE_MIN 10
/* files listed by name in an aggregate's detail */
#define DETAIL_MAX 100

/* One event that stands for many file changes: an update or downgrade, an
 * installation that appeared or disappeared, one left incomplete. */
struct agg {
	int64_t inst_id;
	enum verdict_kind verdict;
	enum change_kind change;
	char *root;
	size_t root_len;
	char *product, *version, *other_version;
	int64_t event_id;
	int64_t members;
	struct buf detail; /* JSON object */
	char reason[320];
};

static struct agg *
agg_add(struct agg **v, size_t *n, int64_t inst_id, enum verdict_kind verdict,
	enum change_kind change, const char *root, size_t root_len, const char *product,
	const char *version, const char *other)
{
	struct agg *a;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	a = &(*v)[(*n)++];
	memset(a, 0, sizeof(*a));
	a->inst_id = inst_id;
	a->verdict = verdict;
	a->change = change;
	a->root = xstrndup(root, root_len);
	a->root_len = root_len;
	a->product = xstrdup(product);
	a->version = xstrdup(version);
	a->other_version = other ? xstrdup(other) : NULL;
	buf_init(&a->detail, 1 << 20);
	return a;
}

static void
aggs_free(struct agg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].root);
		free(v[i].product);
		free(v[i].version);
		free(v[i].other_version);
		buf_free(&v[i].detail);
	}
	free(v);
}

/* a stored row as a hash result, with the head bytes read again for the code
 * checks (the state keeps no content) */
static void
res_from_row(struct webspace *w, const struct file_row *row, const char *relpath,
	     struct hash_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = row->has_sha ? HASH_OK : HASH_ERROR;
	memcpy(res->sha256, row->sha256, SHA256_LEN);
	res->ino = row->ino;
	res->size = row->size;
	res->mtime_ns = row->mtime_ns;
	res->ctime_ns = row->ctime_ns;
	res->mode = row->mode;
	res->uid = row->uid;
	if (row->has_sha && row->size > 0) {
		char head[32];
		/* the registered directory only (root.h) */
		int fd = w->root_changed ? -ESTALE : root_reopen(w->root, &w->rid);
		int n = fd < 0 ? fd : scan_read_small(fd, relpath, head, sizeof(head));

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			memcpy(res->head, head, (size_t)n);
			res->headlen = (uint8_t)n;
		}
	}
}

struct row_copy {
	struct file_row row;
	char *relpath;
};

struct rows {
	struct row_copy *v;
	size_t n;
};

static int
rows_collect(void *ud, const struct file_row *f)
{
	struct rows *r = ud;
	struct row_copy *c;

	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	c = &r->v[r->n++];
	c->row = *f;
	c->relpath = xstrndup(f->relpath, f->rlen);
	c->row.relpath = c->relpath;
	return 0;
}

static void
rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].relpath);
	free(r->v);
}

/* After an installation changed version: every file of it judged again
 * against the new release; the files that did not follow are listed. */
static void
rejudge_installation(struct engine *e, struct webspace *w, struct agg *a)
{
	const struct inst_row *ir = NULL;
	struct rows rows = { NULL, 0 };
	struct json j;
	size_t i, listed = 0, nf = 0;

	for (i = 0; i < w->ninst; i++)
		if (w->inst[i].id == a->inst_id)
			ir = &w->inst[i];
	json_init(&j, &a->detail);
	json_obj_begin(&j);
	json_kv_str(&j, "from", a->other_version);
	json_kv_str(&j, "to", a->version);
	json_key(&j, "not_followed");
	json_arr_begin(&j);
	if (ir)
		state_files_under(e->st, w->id, ir->root, ir->root_len, rows_collect, &rows);
	for (i = 0; i < rows.n; i++) {
		struct row_copy *c = &rows.v[i];
		struct hash_result res;
		struct judgement J;
		struct file_row row;

		if (inst_for(w, c->relpath, c->row.rlen) != ir)
			continue; /* a nested installation's file */
		res_from_row(w, &c->row, c->relpath, &res);
		judge(e, w, c->relpath, c->row.rlen, CHANGE_MODIFIED, &res, 0, &J);
		if (strcmp(c->row.verdict, verdict_name(J.vd.kind)) != 0 ||
		    strcmp(c->row.known, known_name(J.k.known)) != 0) {
			file_row_fill(&row, w, c->relpath, c->row.rlen, &res, &J);
			state_file_put(e->st, &row);
		}
		if (J.vd.kind != VERDICT_UPDATE && J.vd.kind != VERDICT_DOWNGRADE &&
		    J.vd.kind != VERDICT_TAMPERED)
			continue;
		nf++;
		if (listed++ >= DETAIL_MAX)
			continue;
		json_obj_begin(&j);
		json_kv_name(&j, "path", c->relpath, c->row.rlen);
		json_kv_str(&j, "verdict", verdict_name(J.vd.kind));
		json_kv_str(&j, "reason", J.vd.reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_kv_int(&j, "not_followed_count", (int64_t)nf);
	json_obj_end(&j);
	rows_free(&rows);
	if (nf)
		snprintf(a->reason + strlen(a->reason), sizeof(a->reason) - strlen(a->reason),
			 " (%zu file%s did not follow)", nf, nf == 1 ? "" : "s");
}

static int64_t
agg_store(struct engine *e, struct webspace *w, struct agg *a, const char *source)
{
	struct event_row ev;
	int64_t id = 0;

	memset(&ev, 0, sizeof(ev));
	ev.time_ns = now_real_ns();
	ev.webspace_id = w->id;
	ev.customer = w->customer;
	ev.path = a->root;
	ev.plen = a->root_len;
	ev.installation_id = a->inst_id;
	ev.product = a->product;
	ev.version = a->version;
	ev.other_version = a->other_version;
	ev.source = source;
	ev.reason = a->reason;
	ev.change = a->change;
	ev.verdict = a->verdict;
	ev.severity = verdict_default_severity(a->verdict);
	if (e->o.severity)
		ev.severity = (enum severity)e->o.severity(e->o.severity_ud, w->customer, ev.verdict,
							     ev.severity);
	ev.nfiles = -1; /* set when the members are known */
	ev.detail = a->detail.len ? a->detail.data : NULL;
	state_event_add(e->st, &ev, &id);
	a->event_id = id;
	return id;
}

/* Held events of the webspace: members of an aggregate, or judged again
 * against what is installed now and released on their own. ids of events to
 * announce are appended to *out. */
/* an event to announce once its transaction holds everything it stands for */
struct announce {
	int64_t id;
	enum verdict_kind verdict;
};

static void
announce_add(struct announce **out, size_t *nout, int64_t id, enum verdict_kind verdict)
{
	*out = xreallocarray(*out, *nout + 1, sizeof(**out));
	(*out)[*nout].id = id;
	(*out)[*nout].verdict = verdict;
	(*nout)++;
}

static void
release_held(struct engine *e, struct webspace *w, struct agg **aggs, size_t *naggs,
	     const char *source, struct announce **out, size_t *nout)
{
	struct held_event *h = NULL;
	size_t nh = 0, i, k;
	struct {
		int64_t inst_id;
		size_t n;
	} *inc = NULL;
	size_t ninc = 0;

	if (state_held_events(e->st, w->id, &h, &nh) < 0 || nh == 0)
		goto out;
	for (i = 0; i < nh; i++) {
		const struct inst_row *cur = inst_for(w, h[i].path, h[i].plen);
		struct agg *parent = NULL;

		for (k = 0; k < *naggs && parent == NULL; k++) {
			struct agg *a = &(*aggs)[k];

			if (a->verdict == VERDICT_DELETED ? (h[i].change == CHANGE_DELETED &&
							    a->inst_id == h[i].installation_id)
							 : (cur && a->inst_id == cur->id))
				parent = a;
		}
		if (parent) {
			state_event_release(e->st, h[i].id, parent->event_id, -1, -1, NULL);
			parent->members++;
			continue;
		}
		if (h[i].change == CHANGE_DELETED && h[i].verdict == VERDICT_DELETED &&
		    h[i].installation_id) {
			for (k = 0; k < ninc && inc[k].inst_id != h[i].installation_id; k++)
				;
			if (k == ninc) {
				inc = xreallocarray(inc, ninc + 1, sizeof(*inc));
				inc[ninc].inst_id = h[i].installation_id;
				inc[ninc++].n = 0;
			}
			inc[k].n++;
			continue;
		}
		if (h[i].change != CHANGE_DELETED) {
			struct file_row row;
			struct hash_result res;
			struct judgement J;

			if (state_file_get(e->st, w->id, h[i].path, h[i].plen, &row) == 0) {
				res_from_row(w, &row, h[i].path, &res);
				judge(e, w, h[i].path, h[i].plen, h[i].change, &res, 0, &J);
				if (strcmp(row.verdict, verdict_name(J.vd.kind)) != 0) {
					struct file_row nrow;

					file_row_fill(&nrow, w, h[i].path, h[i].plen, &res, &J);
					state_file_put(e->st, &nrow);
				}
				state_event_release(e->st, h[i].id, 0, J.vd.kind, J.sev, J.vd.reason);
				announce_add(out, nout, h[i].id, J.vd.kind);
				continue;
			}
		}
		state_event_release(e->st, h[i].id, 0, -1, -1, NULL);
		announce_add(out, nout, h[i].id, (enum verdict_kind)h[i].verdict);
	}
	/* deletions in an installation that stays: many at once are one event */
	for (k = 0; k < ninc; k++) {
		struct agg *a = NULL;
		const struct inst_row *ir = NULL;
		size_t m;

		for (m = 0; m < w->ninst; m++)
			if (w->inst[m].id == inc[k].inst_id)
				ir = &w->inst[m];
		if (inc[k].n >= INCOMPLETE_MIN && ir) {
			a = agg_add(aggs, naggs, ir->id, VERDICT_DELETED, CHANGE_DELETED, ir->root,
				    ir->root_len, ir->product, ir->version, NULL);
			snprintf(a->reason, sizeof(a->reason),
				 "%zu files of %s %s removed: the installation is incomplete", inc[k].n,
				 ir->product, ir->version);
			agg_store(e, w, a, source);
		}
		for (i = 0; i < nh; i++) {
			if (h[i].change != CHANGE_DELETED || h[i].verdict != VERDICT_DELETED ||
			    h[i].installation_id != inc[k].inst_id)
				continue;
			if (a) {
				state_event_release(e->st, h[i].id, a->event_id, -1, -1, NULL);
				a->members++;
			} else {
				state_event_release(e->st, h[i].id, 0, -1, -1, NULL);
				announce_add(out, nout, h[i].id, (enum verdict_kind)h[i].verdict);
			}
		}
	}
out:
	free(inc);
	state_held_free(h, nh);
}

/* stores installations found by ident; one event per installation that
 * changed, standing for the file events held meanwhile */
static void
store_installations(struct engine *e, struct webspace *w, const struct ident_result *r,
		    const char *source)
{
	struct inst_row *old = w->inst;
	size_t nold = w->ninst, i, k, naggs = 0, nout = 0;
	bool *seen = xcalloc(nold ? nold : 1, sizeof(bool));
	bool baseline = strcmp(source, "baseline") == 0;
	struct agg *aggs = NULL;
	struct announce *out = NULL;
	int64_t now_ns = now_real_ns();

	batch_begin(e);
	for (i = 0; r && i < r->ninst; i++) {
		const struct installation *in = &r->inst[i];
		struct inst_row row;
		const struct inst_row *prev = NULL;
		struct agg *a = NULL;

		for (k = 0; k < nold; k++)
			if (old[k].root_len == in->root_len && memcmp(old[k].root, in->root, in->root_len) == 0 &&
			    strcmp(old[k].product, in->product->name) == 0) {
				prev = &old[k];
				seen[k] = true;
			}
		memset(&row, 0, sizeof(row));
		row.webspace_id = w->id;
		row.root = in->root;
		row.root_len = in->root_len;
		row.product = in->product->name;
		row.kind = in->product->kind;
		row.version = in->version->version;
		row.confidence = in->confidence;
		state_installation_put(e->st, &row, in->mixed ? in->mixed_with->version : NULL,
				       in->claimed_version, in->matched);
		if (prev && strcmp(prev->version, in->version->version) != 0) {
			const struct fp_version *pv = fp_product_find_version(in->product, prev->version);
			bool up = pv == NULL || in->version->rank > pv->rank;

			a = agg_add(&aggs, &naggs, row.id, up ? VERDICT_UPDATE : VERDICT_DOWNGRADE,
				    CHANGE_MODIFIED, in->root, in->root_len, in->product->name,
				    in->version->version, prev->version);
			snprintf(a->reason, sizeof(a->reason), "%s %s \u2192 %s at %s", in->product->name,
				 prev->version, in->version->version,
				 in->root_len ? esc_name(in->root) : "the webspace root");
			if (!up)
				snprintf(a->reason + strlen(a->reason), sizeof(a->reason) - strlen(a->reason),
					 " (a downgrade: old releases bring back fixed vulnerabilities)");
		} else if (prev == NULL && !baseline) {
			a = agg_add(&aggs, &naggs, row.id, VERDICT_NEW, CHANGE_CREATED, in->root,
				    in->root_len, in->product->name, in->version->version, NULL);
			snprintf(a->reason, sizeof(a->reason), "%s %s installed at %s", in->product->name,
				 in->version->version,
				 in->root_len ? esc_name(in->root) : "the webspace root");
		}
		/* the version file's claim, checked whenever the version is (re)decided */
		if (in->claimed_version && strcmp(in->claimed_version, in->version->version) != 0 &&
		    (baseline || prev == NULL || a != NULL || prev->claimed == NULL ||
		     strcmp(prev->claimed, in->claimed_version) != 0)) {
			struct event_row ev;
			char reason[320];
			int64_t id;

			memset(&ev, 0, sizeof(ev));
			ev.time_ns = now_ns;
			ev.webspace_id = w->id;
			ev.customer = w->customer;
			ev.path = in->root;
			ev.plen = in->root_len;
			ev.installation_id = row.id;
			ev.product = in->product->name;
			ev.version = in->version->version;
			ev.other_version = in->claimed_version;
			ev.source = source;
			ev.reason = reason;
			ev.change = CHANGE_MODIFIED;
			ev.verdict = VERDICT_VERSION_LIE;
			snprintf(reason, sizeof(reason), "%s claims %.60s, the hashes say %s",
				 in->product->version_file, in->claimed_version, in->version->version);
			ev.severity = verdict_default_severity(ev.verdict);
			if (e->o.severity)
				ev.severity = (enum severity)e->o.severity(e->o.severity_ud, w->customer,
									     ev.verdict, ev.severity);
			if (state_event_add(e->st, &ev, &id) == 0)
				announce_add(&out, &nout, id, ev.verdict);
		}
	}
	for (k = 0; k < nold; k++) {
		struct agg *a;

		if (seen[k])
			continue;
		state_installation_delete(e->st, old[k].id);
		a = agg_add(&aggs, &naggs, old[k].id, VERDICT_DELETED, CHANGE_DELETED, old[k].root,
			    old[k].root_len, old[k].product, old[k].version, NULL);
		snprintf(a->reason, sizeof(a->reason), "%s %s no longer found at %s (removed)",
			 old[k].product, old[k].version,
			 old[k].root_len ? esc_name(old[k].root) : "the webspace root");
	}
	free(seen);
	ws_load_inst(e, w);
	for (k = 0; k < naggs; k++) {
		if (aggs[k].verdict == VERDICT_UPDATE || aggs[k].verdict == VERDICT_DOWNGRADE)
			rejudge_installation(e, w, &aggs[k]);
		if (strcmp(source, "index") == 0) {
			size_t rl = strlen(aggs[k].reason);

			snprintf(aggs[k].reason + rl, sizeof(aggs[k].reason) - rl,
				 " (identified again after an index change)");
		}
		agg_store(e, w, &aggs[k], source);
	}
	if (!baseline)
		release_held(e, w, &aggs, &naggs, source, &out, &nout);
	for (i = 0; i < naggs; i++)
		state_event_set_nfiles(e->st, aggs[i].event_id, aggs[i].members);
	e->stats.aggregates += naggs;
	/* announced inside the transaction that stores them: what the
	 * announcement writes (notifications) commits with them */
	for (i = 0; i < naggs; i++)
		if (aggs[i].event_id)
			emit(e, aggs[i].event_id, aggs[i].verdict);
	for (i = 0; i < nout; i++)
		emit(e, out[i].id, out[i].verdict);
	engine_flush(e);
	aggs_free(aggs, naggs);
	free(out);
}

static void
bg_baseline_done(struct engine *e, struct webspace *w, struct bg_job *j)
{
	struct ident_result *r = NULL;
	const struct scan_file **byp;
	size_t i;

	ident_run(e->s, e->idx, j->tree, &r);
	store_installations(e, w, r, "baseline");
	/* stored in path order: the rows' ids then follow the order a reconcile
	 * reads them in (by path), each row the next one of the table */
	byp = reconcile_tree_sorted(j->tree);
	for (i = 0; i < j->tree->nfiles; i++) {
		const struct scan_file *f = byp[i];
		struct hash_result res;

		if (!tree_entry_relevant(f))
			continue;
		memset(&res, 0, sizeof(res));
		res.status = f->kind == SCAN_FILE ? (enum hash_status)f->status
			     : f->kind == SCAN_SYMLINK ? HASH_SYMLINK : HASH_NOT_REGULAR;
		memcpy(res.sha256, f->sha256, SHA256_LEN);
		res.ino = f->ino;
		res.size = f->size;
		res.mtime_ns = f->mtime_ns;
		res.ctime_ns = f->ctime_ns;
		res.mode = f->mode;
		res.uid = f->uid;
		/* the head bytes are not kept by the scan: read them for code checks */
		if (res.status == HASH_OK && f->size > 0 && !ident_is_code(f->path, f->pathlen)) {
			char head[32];
			/* beneath the directory the walk went through */
			int n = scan_read_small(j->tree->rootfd, f->path, head, sizeof(head));

			if (n > 0) {
				memcpy(res.head, head, (size_t)n);
				res.headlen = (uint8_t)n;
			}
		}
		/* only what the verdicts flag raises an event at baseline; code
		 * that is no release waits for its analysis */
		if (!analysis_defer(e, w, f->path, f->pathlen, CHANGE_BASELINE, &res, 0, "baseline", false))
			record_change(e, w, f->path, f->pathlen, CHANGE_BASELINE, &res, NULL, NULL, 0, 0,
				      "baseline", false);
		/* locked or changing: retried like a live change, then parked */
		if (status_unsettled(res.status))
			engine_note(e, w->id, f->path, f->pathlen, NOTE_RECONCILE, -1, NULL, 0);
	}
	free(byp);
	batch_begin(e);
	state_webspace_set_baseline(e->st, w->id);
	state_webspace_set_reconciled(e->st, w->id);
	engine_flush(e);
	w->baselined = true;
	w->reident_ns = 0;
	e->stats.baselines++;
	log_info("baseline %s: %zu entries, %zu installation%s (%llu ms)", esc_name(w->root),
		 j->tree->nfiles, r ? r->ninst : 0, r && r->ninst == 1 ? "" : "s",
		 (unsigned long long)((now_mono_ns() - j->started_ns) / 1000000ull));
	ident_result_free(r);
}

void
engine_on_bg(struct engine *e)
{
	struct bg_job *list, *j;
	uint64_t t0 = now_mono_ns();
	size_t merged = 0;

	/* walks done are merged here, on the loop: a few milliseconds' worth per
	 * turn, so that a reconcile of many webspaces does not hold up live
	 * changes (the rest waits on the eventfd, written again) */
	list = walker_take(e->walker);
	while ((j = list) != NULL) {
		struct webspace *w;

		if (now_mono_ns() - t0 > BG_MERGE_BUDGET_MS * 1000000ull) {
			walker_put_back(e->walker, list);
			break;
		}
		w = ws_get(e, j->ws);
		list = j->next;
		e->bg_running--;
		if (w) {
			w->walking = false;
			if (!root_id_equal(&j->rid, &w->rid))
				; /* a walk of the root before it was registered again */
			else if (j->root_changed)
				ws_root_changed(e, w, "found when walking it");
			else if (j->tree == NULL)
				log_warnx("walk of %s failed: %s", esc_name(w->root), j->err);
			else if (j->kind == BG_BASELINE)
				bg_baseline_done(e, w, j);
			else
				bg_reconcile_done(e, w, j);
			if (w->reconcile_again) {
				w->reconcile_again = false;
				bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
			}
		}
		if (j->tree)
			merged += j->tree->nfiles;
		bg_job_free(e->walker, j);
	}
	/* a walk's tree is large and short-lived: give the memory back (not
	 * after every small one: trimming walks the heap) */
	if (merged >= 10000)
		malloc_trim(0);
}

/* ---- re-identification from the stored hashes ---- */

struct reident_ctx {
	struct engine *e;
	struct scan_tree *t;
};

static int
reident_row(void *ud, const struct file_row *row)
{
	struct reident_ctx *c = ud;

	scan_tree_add_known(c->t, c->e->lk, row->relpath, row->rlen, row->has_sha ? row->sha256 : NULL,
			    row->size);
	return 0;
}

static void
reident(struct engine *e, struct webspace *w)
{
	struct reident_ctx c;
	struct ident_result *r = NULL;

	c.e = e;
	c.t = scan_tree_new(w->root);
	/* version files are read beneath the registered directory; a root
	 * that changed keeps its installations until registered again */
	c.t->rootfd = ws_root_open(e, w);
	if (c.t->rootfd != -ESTALE && state_files_under(e->st, w->id, "", 0, reident_row, &c) == 0 &&
	    ident_run(e->s, e->idx, c.t, &r) == 0)
		store_installations(e, w, r, w->reident_index ? "index" : "live");
	w->reident_index = false;
	ident_result_free(r);
	scan_tree_free(c.t);
}

/* ---- life cycle ---- */

int
engine_new(struct store *s, const struct engine_opts *o, struct engine **ret)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	int r;

	e->o = *o;
	analyse_hold(e->o.an);
	e->dbpath = o->dbpath ? xstrdup(o->dbpath) : NULL;
	e->o.dbpath = e->dbpath;
	if (e->o.debounce_close_ms == 0)
		e->o.debounce_close_ms = 10;
	if (e->o.debounce_modify_ms == 0)
		e->o.debounce_modify_ms = 3000;
	if (e->o.modify_max_ms == 0)
		e->o.modify_max_ms = 60000;
	if (e->o.reident_ms == 0)
		e->o.reident_ms = 2000;
	if (e->o.pending_max == 0)
		e->o.pending_max = 262144;
	e->s = s;
	e->pc = proc_cache_new();
	hmap_init(&e->ws_by_root);
	hmap_init(&e->ws_by_id);
	hmap_init(&e->queues);
	hmap_init(&e->pending);
	hmap_init(&e->handles);
	hmap_init(&e->an_inflight);
	if ((r = state_open(s, &e->st)) < 0)
		goto fail;
	e->index_gen = index_generation(e);
	if ((r = fpindex_load(s, &e->idx)) < 0)
		goto fail;
	if (fpindex_lookup_on(s, &e->lk) < 0)
		log_warnx("engine: %s: the index tables cannot be read", o->dbpath);
	e->q_hash_known = store_prepare(s, "SELECT 1 FROM hashes h JOIN entries e ON e.hash_id=h.id "
					   "WHERE h.sha256=? LIMIT 1");
	/* WAL checkpoints off the loop (an in-line one copied ~1,000 pages for
	 * 35-45 ms every ~400 ms at 1,000 changes/s, stalling every change behind) */
	store_checkpoint_thread(s, 0);
	e->q_path_entries = store_prepare(s, "SELECT h.sha256, e.slots FROM paths p JOIN entries e ON "
					     "e.path_id=p.id JOIN hashes h ON h.id=e.hash_id "
					     "WHERE p.product_id=? AND p.relpath=?");
	if ((r = hashpool_new(o->hash_workers, HASH_INFLIGHT_MAX, &e->pool)) < 0)
		goto fail;
	e->workers = hashpool_threads(e->pool);
	{
		struct walker_opts wo = {
			.jobs = o->hash_workers,
			.max_size = o->max_file_size,
			.dbpath = e->dbpath,
			.ignore = o->ignored,
			.ignore_release = o->ignore_release,
		};

		if ((r = walker_new(&wo, &e->walker)) < 0)
			goto fail;
	}

	*ret = e;
	return 0;
fail:
	engine_free(e);
	return r;
}

void
engine_free(struct engine *e)
{
	struct hmap_slot *hs;
	size_t i;

	if (e == NULL)
		return;
	walker_free(e->walker);
	hashpool_free(e->pool);
	if (e->st && state_in_tx(e->st))
		state_commit(e->st);
	hmap_foreach(&e->pending, hs) {
		struct pending *p = hs->val;

		free(p->relpath);
		free(p->handle);
		free(p->key);
		free(p);
	}
	hmap_free(&e->pending);
	hmap_foreach(&e->queues, hs) free(hs->val);
	hmap_free(&e->queues);
	hmap_free(&e->ws_by_id);
	hmap_foreach(&e->handles, hs) free(hs->val);
	hmap_free(&e->handles);
	hmap_free(&e->ws_by_root);
	for (i = 0; i < e->nws; i++) {
		close(e->ws[i].rootfd);
		free(e->ws[i].root);
		free(e->ws[i].customer);
		state_inst_rows_free(e->ws[i].inst, e->ws[i].ninst);
	}
	free(e->ws);
	sqlite3_finalize(e->q_path_entries);
	sqlite3_finalize(e->q_hash_known);
	sqlite3_finalize(e->q_index_gen);
	fpindex_lookup_free(e->lk);
	fpindex_free(e->idx);
	state_free(e->st);
	proc_cache_free(e->pc);
	{
		struct hmap_slot *as;

		hmap_foreach(&e->an_inflight, as)
			an_defer_free(as->val);
		hmap_free(&e->an_inflight);
	}
	analyse_free(e->o.an);
	free(e->dbpath);
	free(e);
}

int
engine_hash_fd(const struct engine *e)
{
	return hashpool_fd(e->pool);
}

int
engine_bg_fd(const struct engine *e)
{
	return walker_fd(e->walker);
}

size_t
engine_apply_marks(struct engine *e, const uint8_t *sha256)
{
	/* files whose stored verdict a mark contradicts, or (with a hash) every
	 * file with that content. files has no index on sha256 (a B-tree keyed by
	 * hash takes a random page per change; marks are rare): one scan of the
	 * table, about 0.2 s per million files, none at all without marks. */
	static const char *const all_sql =
		"SELECT f.webspace_id, f.relpath FROM files f WHERE (f.verdict IS NOT 'malicious' "
		"AND f.sha256 IN (SELECT sha256 FROM known_bad)) OR (f.verdict IN ('malicious', "
		"'suspicious', 'tampered', 'foreign') AND EXISTS (SELECT 1 FROM trusted t JOIN "
		"webspaces w ON w.id=f.webspace_id WHERE t.sha256=f.sha256 AND (t.customer='' OR "
		"t.customer=w.customer)))";
	sqlite3_stmt *q;
	struct {
		int64_t ws;
		char *path;
		size_t len;
	} *v = NULL;
	size_t n = 0, i, changed = 0;
	bool any = sha256 != NULL;

	engine_flush(e);
	state_marks_changed(e->st);
	if (!any && (q = store_prepare(e->s, "SELECT EXISTS (SELECT 1 FROM known_bad) OR "
					     "EXISTS (SELECT 1 FROM trusted)")) != NULL) {
		any = sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 0) != 0;
		sqlite3_finalize(q);
	}
	if (!any)
		return 0;
	q = store_prepare(e->s,
			  sha256 ? "SELECT webspace_id, relpath FROM files WHERE sha256=?" : all_sql);
	if (q == NULL)
		return 0;
	if (sha256)
		sqlite3_bind_blob(q, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].ws = sqlite3_column_int64(q, 0);
		v[n].len = (size_t)sqlite3_column_bytes(q, 1);
		v[n].path = xstrndup(v[n].len ? sqlite3_column_blob(q, 1) : "", v[n].len);
		n++;
	}
	sqlite3_finalize(q);
	for (i = 0; i < n; i++) {
		struct webspace *w = ws_get(e, v[i].ws);
		struct file_row row;
		struct hash_result res;
		struct judgement J;

		if (w && state_file_get(e->st, w->id, v[i].path, v[i].len, &row) == 0) {
			res_from_row(w, &row, v[i].path, &res);
			judge(e, w, v[i].path, v[i].len, CHANGE_RECLASSIFIED, &res, 0, &J);
			if (strcmp(row.verdict, verdict_name(J.vd.kind)) != 0) {
				record_change(e, w, v[i].path, v[i].len, CHANGE_RECLASSIFIED, &res, &row, NULL, 0,
					      0, "mark", J.vd.kind == VERDICT_MALICIOUS);
				changed++;
			}
		}
		free(v[i].path);
	}
	free(v);
	engine_flush(e);
	if (changed)
		log_info("marks: %zu file%s judged again", changed, changed == 1 ? "" : "s");
	return changed;
}

int
engine_reload_index(struct engine *e)
{
	int64_t g;

	engine_flush(e);
	g = index_generation(e);
	/* already followed in a transaction (or nothing changed) */
	if (g == e->index_gen && g != 0)
		return 0;
	return index_swap(e, g);
}

void
engine_set_policy(struct engine *e, const struct engine_opts *o)
{
	e->o.reident_ms = o->reident_ms ? o->reident_ms : 2000;
	e->o.consensus_min = o->consensus_min;
	e->o.component_dirs = o->component_dirs;
	e->o.ncomponent_dirs = o->ncomponent_dirs;
	e->o.web_server = o->web_server;
	e->o.nweb_server = o->nweb_server;
	e->o.ignored_ud = o->ignored_ud;
}

void
engine_get_stats(struct engine *e, struct engine_stats *ret)
{
	*ret = e->stats;
	ret->pending = e->pending.len;
	ret->backlog = hashpool_backlog(e->pool);
	ret->webspaces = e->nws;
	ret->reconciling = e->bg_running > 0;
	ret->rules_version = e->o.an ? analyse_rules_version(e->o.an) : "";
}

int64_t
engine_files_known(struct engine *e)
{
	return state_files_count(e->st);
}

bool
engine_uncommitted(struct engine *e)
{
	return state_in_tx(e->st);
}
