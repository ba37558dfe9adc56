/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the engine's files share (engine.c, pending.c, judge.c, updates.c):
 * the engine and webspace structures and the engine.c functions the others
 * call. Not an interface: no other module includes it. Single-threaded: only
 * the event loop's thread touches these (the walk thread gets copies). */
#ifndef WSID_ENGINE_IMPL_H
#define WSID_ENGINE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "hashpool.h"
#include "hmap.h"
#include "pending.h"
#include "procinfo.h"

struct walker;

struct webspace {
	int64_t id;
	char *root;
	size_t root_len;
	/* the directory registered (root.h): held open so that its inode cannot
	 * be reused; every walk, hash and read checks the path still leads to it */
	int rootfd;
	struct root_id rid;
	bool root_changed; /* the path leads elsewhere now: nothing is walked */
	/* the configuration no longer names it (a reload): no event is noted in
	 * it, nothing walked or hashed; its rows are kept (state: inactive) */
	bool retired;
	uint64_t seen_pass; /* the discovery pass that registered it last */
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
	/* a first baseline: from its submission to the end of its store, the
	 * paths of live events (touched) are what the walk's older observation
	 * must not overwrite; past TOUCHED_MAX of them (touched_full) a stored
	 * row wins and the webspace is reconciled once the baseline is stored */
	bool baselining;
	bool baseline_wait; /* its walk waits for another baseline's store */
	bool touched_full;
	struct hmap touched;
	/* the finished walk being stored, a slice per loop turn (engine.c) */
	struct bg_job *merging;
	const struct scan_file **merge_byp;
	size_t merge_pos;
	struct ident_result *merge_ident;
};

struct engine {
	struct engine_opts o;
	char *dbpath; /* a copy: the walks read it while a reload frees the configuration */
	uint64_t discovery_pass; /* engine_discovery_begin */
	struct store *s;
	struct state *st;
	struct fpindex *idx;
	struct fpindex_lookup *lk;
	int64_t index_gen; /* meta index_generation idx was loaded at */
	bool lk_filter_tried; /* index_filter ran on lk (built or refused) */
	struct hashpool *pool;
	uint64_t batch_start_ns;
	struct webspace *ws;
	size_t nws;
	struct hmap ws_by_root; /* root -> index + 1 */
	struct hmap ws_by_id;   /* id -> index + 1 (rebuilt when it misses) */
	size_t ws_last;         /* index + 1 of ws_get's last answer (0: none) */
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
	size_t nmerging; /* webspaces whose baseline walk is being stored */
	size_t nbaselines; /* baseline walks submitted and not yet stored */
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

struct judgement;

/* the webspace with this id, or NULL */
struct webspace *ws_get(struct engine *e, int64_t id);
/* loads w's installations from the state again */
int ws_load_inst(struct engine *e, struct webspace *w);
/* reopens w's registered root (root_reopen): a descriptor to close, or a
 * negative errno (-ESTALE: the root changed, and w is marked so) */
int ws_root_open(struct engine *e, struct webspace *w);
/* opens the batched transaction if none is (following an index changed
 * under the daemon), and counts one more change in it */
void batch_begin(struct engine *e);
/* announces a stored event (engine_opts.on_event) and counts it; ev is the
 * row as written; emit reads it back where the engine holds none (an
 * aggregate, a held event released: rows changed since they were written) */
void emit_row(struct engine *e, int64_t id, enum verdict_kind v, const struct event_row *ev);
void emit(struct engine *e, int64_t id, enum verdict_kind v);
/* judges one change of w/relpath and stores it (file row, event unless
 * nothing to tell; held when part of a larger change); returns the event id
 * or 0. old: the stored row before, old_path: a rename's old name. */
int64_t record_change(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
		      enum change_kind change, const struct hash_result *res, const struct file_row *old,
		      const char *old_path, size_t oplen, int pid, const char *source, bool event_always);

/* a live event of ws/relpath: while ws's first baseline is walked and
 * stored, the walk's observation of that path is not stored (engine.c) */
void baseline_touch(struct engine *e, int64_t ws, const char *relpath, size_t rlen);

/* analysis of unknown code in a judgement (engine.c) */
void analysis_judge(struct engine *e, const char *relpath, size_t rlen, const struct hash_result *res,
		    bool code_by_name, struct judgement *J);

#endif
