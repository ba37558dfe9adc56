/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The background walks of webspaces (baseline: hash and look up every file;
 * reconcile: stat every file) on threads of their own, and the merge of a
 * stat walk with the stored state. The engine submits walks and takes the
 * finished ones back on its loop (the eventfd says when); what a finished
 * walk means for the state (notes, verdicts, installations) is the engine's.
 *
 * A walk at a time, each on every core (scan.h), or two small stat walks
 * at once where there are two cores or more: the walk opens
 * every directory beneath the registered root, follows no symlink and enters
 * no other mount. */
#ifndef WSID_RECONCILE_H
#define WSID_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root.h"
#include "state.h"

struct scan_tree;
struct state;
struct file_row;
struct scan_file;

enum bg_kind { BG_BASELINE, BG_RECONCILE };

struct bg_job {
	enum bg_kind kind;
	int64_t ws;
	char *root;
	struct root_id rid;
	int64_t expect;     /* entries expected (its last walk's), -1: unknown */
	bool root_changed; /* the path did not lead to the registered root */
	void *ignore_ud;   /* held for the walk (walker_opts.ignore_release) */
	struct scan_tree *tree; /* NULL: the walk failed (err) */
	char err[256];
	struct bg_job *next;
	uint64_t started_ns;
	/* a stat walk's digest (state_file_digest of every file, symlink and
	 * special file walked, summed), when walker_opts has a key */
	bool digest_ok;
	uint64_t digest;
};

struct walker_opts {
	unsigned jobs;     /* threads of one walk (scan_opts.jobs) */
	uint64_t max_size; /* scan_opts.max_size */
	const char *dbpath; /* the index baselines look hashes up in (copied) */
	bool (*ignore)(void *ud, const char *relpath, size_t len);
	void (*ignore_release)(void *ud); /* optional: a job's ignore_ud is done */
	bool digest; /* stat walks sum their digest under digest_key */
	uint8_t digest_key[STATE_DIGEST_KEYBYTES];
};

struct walker;

int walker_new(const struct walker_opts *o, struct walker **ret);
/* stops the threads (after the walks under way) and frees what is queued */
void walker_free(struct walker *wk);
/* readable when walks are done */
int walker_fd(const struct walker *wk);
/* queues a walk of root (reopened and checked against rid by the thread);
 * expect: the entries it should find (the webspace's stored count; -1 when
 * unknown: walked alone); ignore_ud is handed to walker_opts.ignore during
 * the walk */
void walker_submit(struct walker *wk, enum bg_kind kind, int64_t ws, const char *root,
		   const struct root_id *rid, int64_t expect, void *ignore_ud);
/* the walks done, oldest first (the caller frees each with bg_job_free) */
struct bg_job *walker_take(struct walker *wk);
/* hands back what the caller did not get to: taken again next time */
void walker_put_back(struct walker *wk, struct bg_job *list);
void bg_job_free(struct walker *wk, struct bg_job *j);

/* ---- the merge of a stat walk with the stored rows ---- */

enum reconcile_note { RECONCILE_CHANGED, RECONCILE_NEW, RECONCILE_GONE };
/* relpath changed, appeared or disappeared since stored */
typedef void (*reconcile_note_fn)(void *ud, enum reconcile_note what, const char *relpath,
				  size_t rlen);
struct reconcile_counts {
	size_t changed, added, removed;
	/* the digest of the rows read (state_file_digest, unsettled as the
	 * merge's predicate says), when the state has a key */
	bool digest_ok;
	uint64_t digest;
};

/* the tree's entries by path (bytewise, as the stored rows are ordered): an
 * array of t->nfiles pointers, freed by the caller */
const struct scan_file **reconcile_tree_sorted(const struct scan_tree *t);

/* Streams the webspace's stored rows (path order) against the walked tree
 * (sorted here by path); `unsettled` says which stored rows are looked at
 * again whatever their stat. Returns 0 or a negative errno. */
int reconcile_merge(struct state *st, int64_t ws, const struct scan_tree *t,
		    bool (*unsettled)(const struct file_row *row), reconcile_note_fn note, void *ud,
		    struct reconcile_counts *ret);

#endif
