/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's pending table (pending.c): one entry per changed file while
 * its quiet window runs, the ready lists fed to the hashing pool one webspace
 * in turn, and the retry list. Part of the engine (engine.h has the design);
 * only the engine's files include this header. Every function here runs on
 * the event loop's thread.
 *
 * An entry leaves the table when its result is in the engine's open
 * transaction (record_change), not when that transaction commits: a commit
 * that fails is repaired by a reconcile of every webspace (engine_flush). */
#ifndef WSID_PENDING_H
#define WSID_PENDING_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct engine;
struct hash_job;

#define HANDLE_MAP_MAX 65536

/* a webspace that fills its share of the pending table is reconciled, then
 * again at most after this gap, doubling while it keeps overflowing */
#define OVERFLOW_GAP_MIN_MS 1000
#define OVERFLOW_GAP_MAX_MS 60000

/* Renames and directory removals are settled in the event handler, with
 * database work (~20-50 us each): the kernel's queue is one FIFO for every
 * tenant, so each webspace may spend only so many a second there (a burst
 * of STORM_BURST, then STORM_RATE a second); beyond, its webspace is
 * reconciled instead (backed off like a full pending share): nothing is
 * lost, the storming tenant's renames become deletions and creations. */
#define STORM_BURST 5000
#define STORM_RATE 2000

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
/* a change waiting for its writer's request (reqattr.h) is looked at again after */
#define REQATTR_RECHECK_NS (20ull * 1000000)

struct pending {
	int64_t ws;
	char *relpath;
	size_t rlen;
	unsigned flags;
	int pid;
	uint64_t first_ns, last_ns, deadline_ns, close_ns;
	bool in_flight, again;
	bool wait_open; /* the next attempt may wait for a lease to be broken */
	bool parked;    /* stored locked or changing, waiting in LIST_RETRY */
	uint8_t locked_tries, changed_tries, park_level;
	int list; /* -1 none, else LIST_*, or LIST_READY (q->ready) */
	struct wsq *q;  /* its webspace's queue */
	struct pending *prev, *next;
	char *key;  /* webspace id (8 bytes), relpath, NUL: relpath points into it */
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
	const char *overflow_why; /* what asked for it (a static string) */
	double tokens;     /* STORM_BURST/STORM_RATE budget of work in the handler */
	uint64_t tokens_ns;
};

/* the ready ring: webspaces with changes whose window closed */
void ring_push(struct engine *e, struct wsq *q);
struct wsq *ring_pop(struct engine *e);
/* moving an entry between lists; plist_retry keeps LIST_RETRY ordered */
void plist_unlink(struct engine *e, struct pending *p);
void plist_append(struct engine *e, struct pending *p, int which, uint64_t deadline);
void plist_retry(struct engine *e, struct pending *p, uint64_t deadline);
/* (re)arms an entry's window according to what happened to the file */
void pending_arm(struct engine *e, struct pending *p);
/* removes an entry from the table and frees it */
void pending_drop(struct engine *e, struct pending *p);
/* the webspace of q filled its share: reconcile it now or when backed off */
void overflow_reconcile(struct engine *e, struct wsq *q, uint64_t now, const char *why);
/* may ws spend database work in the event handler now (else reconciled) */
bool storm_budget(struct engine *e, int64_t ws);
/* a hash worker may wait for a lease to be broken */
bool lease_wait_free(const struct engine *e);
/* a lease kept the file closed: true when another attempt is scheduled */
bool lease_retry(struct engine *e, struct pending *p, const struct hash_job *j, uint64_t now);
/* stored locked or changing: parked to be looked at again; false when too
 * many are parked (the webspace is reconciled later instead) */
bool park(struct engine *e, struct pending *p, enum hash_status why, uint64_t now);

#endif
