/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state in SQLite (schema in store.c, migration 2): webspaces,
 * files with their identity, hash and verdict, installations, and the
 * append-only events table. Only the daemon's main thread writes; it batches
 * writes into short transactions (state_begin/state_commit). */
#ifndef WSID_STATE_H
#define WSID_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyse.h"
#include "classify.h"
#include "store.h"
#include "util.h"

struct state;

struct file_row {
	int64_t webspace_id;
	const char *relpath; /* borrowed */
	size_t rlen;
	uint64_t ino, size;
	int64_t mtime_ns, ctime_ns;
	uint32_t mode, uid;
	bool has_sha;
	uint8_t sha256[SHA256_LEN];
	char status[24];   /* hash status name: ok, too-big, sparse, ... */
	char known[16];    /* content_known name */
	char verdict[24];
	int64_t installation_id; /* 0 = none */
	const char *comp_key;    /* consensus key (put only; NULL = none) */
	size_t cklen;
};

struct event_row {
	int64_t time_ns; /* wall clock */
	int64_t webspace_id;
	const char *customer;
	const char *path; /* relative to the webspace */
	size_t plen;
	const char *old_path; /* renames */
	size_t oplen;
	enum change_kind change;
	enum content_known known;
	enum verdict_kind verdict;
	enum severity severity;
	const char *reason;
	const uint8_t *old_sha256, *new_sha256;
	int64_t installation_id;
	const char *product, *version, *other_version;
	int pid;
	const char *source; /* live, reconcile, baseline, mark */
	/* the writer (procinfo.h), when known */
	bool have_writer;
	uint32_t uid;
	const char *user, *comm, *cgroup;
	bool held;          /* waits for the installation's quiet window */
	int64_t parent_id;  /* member of an aggregate event */
	int64_t nfiles;     /* aggregate: files it stands for (0: not an aggregate) */
	const char *detail; /* aggregate: JSON object (files that did not follow, ...) */
	const char *request;         /* the writer's HTTP request: JSON object (reqattr.h) */
	const char *request_unknown; /* or why it could not be tied */
};

struct inst_row {
	int64_t id;
	int64_t webspace_id;
	char *root; /* relative to the webspace; "" = the webspace root */
	size_t root_len;
	char *product, *kind, *version;
	char *claimed; /* what the version file says (NULL: nothing) */
	double confidence;
};

int state_open(struct store *s, struct state **ret);
void state_free(struct state *st);
struct store *state_store(struct state *st);

int state_begin(struct state *st);
int state_commit(struct state *st);
bool state_in_tx(const struct state *st);

int state_webspace_upsert(struct state *st, const char *path, const char *customer,
			  int64_t *ret_id, bool *ret_baselined);
int state_webspace_set_baseline(struct state *st, int64_t id);
int state_webspace_set_reconciled(struct state *st, int64_t id);
/* A webspace the configuration no longer names is inactive (its rows kept;
 * not listed, not counted in the status), active again when named again:
 * 1 when the flag changed, 0 when it was so already, or a negative errno. */
int state_webspace_set_active(struct store *s, int64_t id, bool active);

/* The digest of a webspace's file rows (state.c: a keyed hash per row of
 * what a reconcile compares, summed; kept by the database's triggers with
 * every write of a row). A digest is unknown (NULL) in a database upgraded
 * from before it, or after a write made without a key or without the
 * unsettled predicate set here; a full merge sets it again. */
#define STATE_DIGEST_KEYBYTES 16
/* one row's hash under key (safe on any thread) */
uint64_t state_file_digest(const uint8_t key[STATE_DIGEST_KEYBYTES], const char *relpath,
			   size_t rlen, uint64_t ino, uint64_t size, int64_t mtime_ns,
			   int64_t ctime_ns, bool unsettled);
/* false when the database holds no usable key */
bool state_digest_key(const struct state *st, uint8_t ret[STATE_DIGEST_KEYBYTES]);
/* which rows are unsettled (reconcile_merge's predicate); until set, every
 * write of a file row makes its webspace's digest unknown */
void state_digest_unsettled(struct state *st, bool (*unsettled)(const struct file_row *row));
/* the count of the webspace's file rows, or -1 when it cannot be read */
int64_t state_webspace_nfiles(struct state *st, int64_t ws);
/* 0 and *ret, or -ENOENT when not known, or -EIO */
int state_webspace_digest(struct state *st, int64_t ws, uint64_t *ret);
/* sets the digest from the rows as they are (one read of them) */
int state_webspace_digest_repair(struct state *st, int64_t ws);
/* The daemon's connection: the digests and row counts kept in C instead of
 * by the triggers of the files table, which are off on this connection from
 * here on. Every write of a file row through this state adds its part to a
 * sum per webspace, written to the webspace's row once per transaction (and
 * before the digest or the count is read): the same values as the triggers
 * wrote, in the same transaction as the rows. A file row written here by
 * other SQL than state.c's would not count: the daemon writes none. */
int state_digest_in_c(struct state *st);

/* 0 and *ret filled (relpath not set), or -ENOENT */
int state_file_get(struct state *st, int64_t ws, const char *relpath, size_t rlen,
		   struct file_row *ret);
int state_file_put(struct state *st, const struct file_row *f);
int state_file_delete(struct state *st, int64_t ws, const char *relpath, size_t rlen);
/* moves one file row; an existing row at the new path is replaced */
int state_file_move(struct state *st, int64_t ws, const char *from, size_t flen, const char *to,
		    size_t tlen);
/* moves every row under directory `from` to `to` (and installations rooted there) */
int state_dir_move(struct state *st, int64_t ws, const char *from, size_t flen, const char *to,
		   size_t tlen, bool keep_comp);
/* rows under directory `dir` ("" = all of the webspace), ordered by relpath */
typedef int (*state_file_fn)(void *ud, const struct file_row *f);
/* is any file stored under dir/ (one prepared statement: cheap enough for
 * every directory removal a tenant makes) */
bool state_any_under(struct state *st, int64_t ws, const char *dir, size_t dlen);
int state_files_under(struct state *st, int64_t ws, const char *dir, size_t dlen, state_file_fn fn,
		      void *ud);
/* the same for a whole webspace with only what a reconcile compares: relpath,
 * ino, size, mtime_ns, ctime_ns and status (the other fields zero) */
int state_files_stat(struct state *st, int64_t ws, state_file_fn fn, void *ud);
int64_t state_files_count(struct state *st);

int state_event_add(struct state *st, const struct event_row *e, int64_t *ret_id);

/* installations of a webspace replace the previous ones under `root` */
int state_installations_load(struct state *st, int64_t ws, struct inst_row **ret, size_t *ret_n);
void state_inst_rows_free(struct inst_row *rows, size_t n);
int state_installation_put(struct state *st, struct inst_row *r, const char *mixed_with,
			   const char *claimed, uint32_t matched);
int state_installation_delete(struct state *st, int64_t id);

/* the analysis cache (analyse.h): a result stored for this content under this
 * rule-set version; -ENOENT when none (or one of other rules) */
int state_analysis_get(struct state *st, const uint8_t sha256[SHA256_LEN], const char *rules_version,
		       struct analyse_result *ret);
int state_analysis_put(struct state *st, const uint8_t sha256[SHA256_LEN], const char *rules_version,
		       const struct analyse_result *r);
bool state_known_bad(struct state *st, const uint8_t sha256[SHA256_LEN]);
/* marked trusted globally or for this customer */
bool state_trusted(struct state *st, const uint8_t sha256[SHA256_LEN], const char *customer);
/* forget the cached "list is empty" answers (after a mark) */
void state_marks_changed(struct state *st);

/* consensus over copies of one component file (same comp_key) in other webspaces */
struct consensus {
	unsigned copies;  /* webspaces holding a copy */
	unsigned same;    /* of them with this content */
	unsigned top;     /* with the most common content */
	uint8_t top_sha256[SHA256_LEN];
};
int state_consensus(struct state *st, const char *key, size_t klen, int64_t ws,
		    const uint8_t sha256[SHA256_LEN], struct consensus *ret);

/* events held for an installation's quiet window */
struct held_event {
	int64_t id;
	char *path;
	size_t plen;
	enum change_kind change;
	int verdict;
	int64_t installation_id;
	char *product, *version;
};
bool state_has_held(struct state *st, int64_t ws);
int state_event_set_nfiles(struct state *st, int64_t id, int64_t n);
int state_held_events(struct state *st, int64_t ws, struct held_event **ret, size_t *ret_n);
void state_held_free(struct held_event *v, size_t n);
/* un-holds an event: a member of parent_id (0: stands alone); verdict and
 * severity -1 / reason NULL keep what it has */
int state_event_release(struct state *st, int64_t id, int64_t parent_id, int verdict, int severity,
			const char *reason);

/* ---- the state's SQL its other users ran themselves (doc/architecture.md,
 * "Where each table's SQL lives") ---- */

/* a stored file by (webspace, path); relpath borrowed for the call.
 * Returning non-zero stops the walk and is returned. */
typedef int (*state_path_fn)(void *ud, int64_t ws, const char *relpath, size_t rlen);
/* whether any content is marked (known_bad or trusted rows exist) */
bool state_marks_any(struct state *st);
/* the files a mark may judge otherwise: with this content (sha256), or with
 * sha256 NULL every file whose stored verdict a mark contradicts. One scan
 * of files (no index on sha256: marks are rare) */
int state_files_marked(struct state *st, const uint8_t *sha256, state_path_fn fn, void *ud);
/* the files whose content was analysed under rules other than these */
/* the stored files judged unknown code (new, changed-unknown, tampered,
 * foreign, suspicious) whose content has no analysis */
int state_files_unanalysed(struct state *st, state_path_fn fn, void *ud);
int state_files_analysed_before(struct state *st, const char *rules_version, state_path_fn fn,
				void *ud);

/* An event as stored, handed to whoever is told of it (engine.h on_event):
 * the row as the engine wrote it, or as state_event_load read it back. */
struct event_stored {
	int64_t id;
	const struct event_row *row;
	const char *webspace; /* the webspace's path (borrowed) */
	size_t wslen;
	bool acked;     /* acknowledged (a held event may be before it is told) */
	bool aggregate; /* nfiles is set, 0 included */
};
/* an event read back by id, its strings owned (state_event_loaded_free) */
struct event_loaded {
	struct event_stored ev;
	struct event_row row;
	uint8_t old_sha[SHA256_LEN], new_sha[SHA256_LEN];
	char *mem[16];
};
/* 0 and *ret filled, -ENOENT, or -EIO */
int state_event_load(struct state *st, int64_t id, struct event_loaded *ret);
void state_event_loaded_free(struct event_loaded *l);

/* wsidctl mark on its own connection: kind "malicious" (known_bad; its
 * trusted marks go), "trusted" (globally: its known_bad row goes; or for a
 * customer), else the marks go (for a customer: that customer's trusted
 * mark; else every mark of the content). by: who (ctl_who) */
int state_mark_set(struct store *s, const char *kind, const uint8_t sha[SHA256_LEN], const char *customer,
		   const char *note, const char *by, const char *example);

/* wsidctl ack on its own connection: the event and, for an aggregate, its
 * members; *ret_was_acked: it was before. -ENOENT no such event, -EIO */
int state_event_ack(struct store *s, int64_t id, int64_t now, bool *ret_was_acked);

#endif
