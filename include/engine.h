/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine: what the daemon does with a change, whatever noticed it (fanotify,
 * a reconcile walk, a rescan request). Single-threaded: only the event loop
 * calls it. It owns the pending table (debounce per file), feeds the hashing
 * pool, classifies and stores results, runs baseline and reconcile walks in a
 * background thread, and re-identifies installations after changes.
 *
 * DESIGN (nothing lost): a change is first a pending entry keyed by (webspace,
 * path); it leaves the table when its result is written in the engine's
 * batched transaction, before that commits. A commit that fails (disk full,
 * an I/O error) loses the batch from the database, not from the webspaces:
 * every webspace is then reconciled, again with a growing delay while commits
 * keep failing, and the stat walk stores what the database lacks
 * (engine_flush; tests/faults/disk_full.sh). The table is bounded, and so is each webspace's share of it (a quarter): when
 * the share is full, that webspace is marked for reconcile instead (a stat
 * walk finds every difference with the stored state), which is also what a
 * kernel queue overflow, a restart or kill -9 lead to. The same holds for the
 * renames and directory removals a webspace may settle in the event handler
 * (a budget a second): beyond it, the walk settles them. Such a reconcile is
 * backed off while its tenant's storm goes on, never dropped: a due one keeps
 * the engine from idle.
 *
 * Fairness: changes whose quiet window closed are fed to the hashing pool one
 * webspace at a time in turn (pending.c, struct wsq), so one tenant's storm
 * delays another's change by a turn, not by the storm.
 *
 * Files: engine.c orchestrates (webspaces, hashing results, renames, ticks,
 * commits, analysis, life cycle); pending.c holds the pending table and
 * debounce (pending.h), judge.c turns the facts of a change into a verdict
 * (judge.h), updates.c aggregates updates and releases held events
 * (updates.h); engine_impl.h is what they share. */
#ifndef WSID_ENGINE_H
#define WSID_ENGINE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "analyse.h"
#include "reqattr.h"
#include "classify.h"
#include "fpindex.h"
#include "root.h"
#include "state.h"
#include "store.h"

enum engine_note_flags {
	NOTE_CREATE = 1 << 0,
	NOTE_MODIFY = 1 << 1,      /* written, not closed yet */
	NOTE_CLOSE_WRITE = 1 << 2,
	NOTE_ATTRIB = 1 << 3,
	NOTE_DELETE = 1 << 4,
	NOTE_MOVED_IN = 1 << 5,    /* the new name of a rename */
	NOTE_RECONCILE = 1 << 6,   /* found different by a stat walk */
};

struct engine_opts {
	const char *dbpath;
	unsigned hash_workers;
	uint64_t max_file_size;
	uint64_t debounce_close_ms;  /* quiet window after CLOSE_WRITE/CREATE */
	uint64_t debounce_modify_ms; /* after MODIFY without close */
	uint64_t modify_max_ms;      /* ceiling for files that never stop changing */
	uint64_t reident_ms;         /* quiet window before re-identifying: the update
				      * aggregation window (classify.update_window) */
	unsigned consensus_min;      /* webspaces agreeing on a component file (0: 3) */
	char *const *component_dirs; /* directories whose subdirectories are components */
	size_t ncomponent_dirs;
	char *const *web_server;     /* fnmatch globs of web server command or user names */
	size_t nweb_server;
	size_t pending_max;
	/* path filter: true = ignore (relative to the webspace). ignored_ud is
	 * replaced by engine_set_policy; a walk on the background thread calls
	 * ignored with what ignore_hold(ignored_ud) returned when it was submitted,
	 * given back to ignore_release when it is done (both on the loop's thread;
	 * may be NULL: ignored_ud then lives as long as the engine) */
	bool (*ignored)(void *ud, const char *relpath, size_t len);
	void *ignored_ud;
	void *(*ignore_hold)(void *ud);
	void (*ignore_release)(void *held);
	/* severity override: returns the severity to store for a verdict */
	int (*severity)(void *ud, const char *customer, int verdict, int dflt);
	void *severity_ud;
	/* analysis of unknown code (analyse.h): NULL off. The engine holds its
	 * own reference (analyse_hold). Files above an_max_size are reported as
	 * not analysed. */
	struct analyse *an;
	uint64_t an_max_size;
	/* severity configured for a finding class (analysis.severity), -1 none:
	 * critical counts the finding as high, warning or notice as weak, info
	 * drops it; read at each judgement (a reload takes effect at once) */
	int (*an_class_severity)(void *ud, const char *cls);
	void *an_class_severity_ud;
	/* respond.quarantine: malicious: a file judged malicious (not by a
	 * baseline) is moved into quarantine (quarantine.h) before its event is
	 * stored; the event's detail says so ("quarantine") */
	bool quarantine_malicious;
	/* the HTTP request behind a PHP-FPM worker's write (reqattr.h), may be NULL */
	struct reqattr *ra;
	/* called for every stored event (notifications, live streaming), may
	 * be NULL; ev (state.h) is the row as written in the open transaction,
	 * or read back once where the engine holds none (an aggregate, a held
	 * event released); valid during the call */
	void (*on_event)(void *ud, const struct event_stored *ev);
	void *on_event_ud;
	/* reads what the kernel has queued (may be NULL): called before hash
	 * results and finished walks are applied, so that a rename or removal
	 * made before a file was hashed or a tree walked is settled first (a
	 * file found gone because its directory was renamed is then looked for
	 * at the directory's new name, not deleted after the move was stored) */
	void (*read_events)(void *ud);
	void *read_events_ud;
};

struct engine_stats {
	uint64_t notes, hashed, events, reconciles, baselines, overflows, pending_overflows;
	uint64_t hash_errors, deleted, renamed, held, aggregates;
	uint64_t commit_failures;
	uint64_t storm_drops; /* renames, directory removals left to a reconcile (storm_budget) */
	int store_err; /* errno of the last failed commit while the database cannot be written, else 0 */
	uint64_t events_by_verdict[VERDICT_MAX]; /* events announced, by verdict */
	size_t pending, backlog, webspaces;
	uint64_t last_reconcile_ms;
	bool reconciling;
	/* close()->stored latency of live changes, ns */
	uint64_t lat_count, lat_sum_ns, lat_max_ns;
	/* analysis: contents analysed by the workers, results taken from the
	 * cache, files not analysed (too big, unreadable), findings raised */
	uint64_t analyses, analysis_cache_hits, analysis_skipped, analysis_findings;
	uint64_t analysis_backlog; /* analysis jobs submitted, not yet back */
	uint64_t analysis_rejudged; /* stored files new rules judged otherwise */
	uint64_t quarantined;       /* malicious files moved into quarantine */
	const char *rules_version; /* "" analysis off; valid until the next reload */
};

struct engine;

int engine_new(struct store *s, const struct engine_opts *o, struct engine **ret);
void engine_free(struct engine *e);

/* Registers a webspace whose root passed the checks of discovery
 * (root_resolve: root is its real path, rootfd an O_PATH descriptor the engine
 * takes, rid its identity); its first time it is baselined, later reconciled.
 * A webspace already registered with another directory (or one whose root
 * changed) takes the new one and is reconciled with it. */
int engine_webspace_add(struct engine *e, const char *root, const char *customer, int rootfd,
			const struct root_id *rid, int64_t *ret_id);
/* finds the webspace holding an absolute path: id and the length of its root */
bool engine_webspace_find(struct engine *e, const char *abspath, size_t len, int64_t *ret_id,
			  size_t *ret_root_len);
const char *engine_webspace_root(struct engine *e, int64_t ws);
/* the webspace a file with this handle was last noticed in (a change in a
 * directory already gone can then be settled there alone) */
bool engine_webspace_of_handle(struct engine *e, const struct file_handle *handle, int64_t *ret_id);
size_t engine_webspace_count(const struct engine *e);
/* the configuration no longer names webspace id: nothing in it is noted,
 * walked or hashed until engine_webspace_add registers its root again
 * (then it is reconciled with the disk) */
void engine_webspace_retire(struct engine *e, int64_t id);
/* A full discovery of the configured webspaces begins (at a reload): a
 * webspace engine_webspace_add registers from now on is seen in it. */
void engine_discovery_begin(struct engine *e);
/* webspace id was registered by the latest discovery: the configuration
 * names it, whatever path led to its root (a symlinked customer folder) */
bool engine_webspace_seen(struct engine *e, int64_t id);

/* A change noticed at ws/relpath. handle (may be NULL) identifies the inode. */
void engine_note(struct engine *e, int64_t ws, const char *relpath, size_t rlen, unsigned flags,
		 const struct file_handle *handle, int pid);
/* A name without a path yet (O_TMPFILE "#ino"): attach to the handle's path */
void engine_note_handle(struct engine *e, unsigned flags, const struct file_handle *handle, int pid);
void engine_rename(struct engine *e, int64_t ws_from, const char *from, size_t flen, int64_t ws_to,
		   const char *to, size_t tlen, bool is_dir, const struct file_handle *handle, int pid);
void engine_dir_deleted(struct engine *e, int64_t ws, const char *relpath, size_t rlen);

/* reconcile a webspace (ws) or all (ws = 0); why is logged */
void engine_reconcile(struct engine *e, int64_t ws, const char *why);
void engine_overflow(struct engine *e);
/* reconcile a webspace now, or when its back-off allows (1 s doubling to 60 s
 * while asked again): for what a storm of its tenant's makes it need */
void engine_reconcile_backoff(struct engine *e, int64_t ws, const char *why);
/* Events of the file system of dev (0: of every one) were lost, or it reported
 * an error: reconcile the webspaces on it, each at most once a minute (one
 * asked for sooner runs when the minute is over). */
void engine_reconcile_dev(struct engine *e, dev_t dev, const char *why);

/* event loop integration */
int engine_hash_fd(const struct engine *e);
int engine_bg_fd(const struct engine *e);
void engine_on_hashed(struct engine *e);
void engine_on_bg(struct engine *e);
/* milliseconds until engine_tick has work (-1: none) */
int engine_timeout_ms(struct engine *e);
void engine_tick(struct engine *e);
/* commits what is batched */
void engine_flush(struct engine *e);
/* commits when the batch is due (size, age, or nothing else queued): the loop
 * calls it before sleeping */
void engine_flush_due(struct engine *e);
/* uncommitted changes are waiting */
bool engine_uncommitted(struct engine *e);
bool engine_idle(struct engine *e); /* nothing pending, hashing or walking */

/* loads the fingerprint index again (after `wsidctl index build/ingest` or a
 * reload) and identifies every webspace again; the old index stays on failure */
int engine_reload_index(struct engine *e);

/* replaces the classification settings (reident_ms, consensus_min,
 * component_dirs, web_server, ignored_ud) after a reload */
void engine_set_policy(struct engine *e, const struct engine_opts *o);

/* Judges again every known file whose content was marked malicious or trusted
 * since it was stored (wsidctl mark), or with sha256: every file with that
 * content. Returns how many verdicts changed; events for new findings. */
size_t engine_apply_marks(struct engine *e, const uint8_t *sha256);

/* new rules (a reload): an replaces the engine's (NULL: analysis off); results
 * cached under other rules are judged again when their content is seen */
void engine_set_analyse(struct engine *e, struct analyse *an, uint64_t max_size);
/* the stored verdicts brought to the running analysis (rules changed since
 * they were judged, or the analysis switched on): at start and by
 * engine_set_analyse */
void engine_analysis_catch_up(struct engine *e);
void engine_get_stats(struct engine *e, struct engine_stats *ret);
int64_t engine_files_known(struct engine *e);

#endif
