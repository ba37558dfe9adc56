// SPDX-License-Identifier: GPL-2.0-or-later
/* The change engine; see engine.h for the design. */
#include "engine.h"
#include "engine_impl.h"
#include "judge.h"
#include "updates.h"

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
#include "quarantine.h"
#include "reconcile.h"
#include "reqattr.h"
#include "root.h"
#include "scan.h"
#include "slotset.h"

#define BATCH_MAX 2000
/* jobs handed to the hashing pool at once: what a webspace's change that
 * just became ready may find ahead of it there (a few ms of work) */
#define HASH_INFLIGHT_MAX 256
/* merging finished walks on the loop: at most this long per turn */
#define BG_MERGE_BUDGET_MS 10
/* first baselines whose walked tree may be in memory at once */
#define BASELINE_TREES_MAX 2

/* ---- small helpers ---- */

struct webspace *
ws_get(struct engine *e, int64_t id)
{
	size_t i;
	void *v;

	/* asked several times per change, mostly for the webspace of the
	 * last answer: that one first, checked as the table's answer is */
	if (e->ws_last && e->ws_last <= e->nws && e->ws[e->ws_last - 1].id == id)
		return &e->ws[e->ws_last - 1];
	v = hmap_get(&e->ws_by_id, &id, sizeof(id));
	if (v && (size_t)v <= e->nws && e->ws[(size_t)v - 1].id == id) {
		e->ws_last = (size_t)v;
		return &e->ws[(size_t)v - 1];
	}
	/* a webspace added (or moved) since: index them again */
	hmap_free(&e->ws_by_id);
	hmap_init(&e->ws_by_id);
	for (i = 0; i < e->nws; i++)
		*hmap_put(&e->ws_by_id, &e->ws[i].id, sizeof(e->ws[i].id), NULL) =
			(void *)(uintptr_t)(i + 1);
	v = hmap_get(&e->ws_by_id, &id, sizeof(id));
	return v ? &e->ws[(size_t)v - 1] : NULL;
}

/* ---- webspaces ---- */

int
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
	size_t i, n = 0;

	for (i = 0; i < e->nws; i++)
		n += !e->ws[i].retired;
	return n;
}

void
engine_discovery_begin(struct engine *e)
{
	e->discovery_pass++;
}

bool
engine_webspace_seen(struct engine *e, int64_t id)
{
	struct webspace *w = ws_get(e, id);

	return w && w->seen_pass == e->discovery_pass;
}

void
engine_webspace_retire(struct engine *e, int64_t id)
{
	struct webspace *w = ws_get(e, id);

	if (w == NULL || w->retired)
		return;
	/* what was noted in it meanwhile is dropped when its turn comes (its
	 * rows are kept, and named again it is reconciled with the disk) */
	w->retired = true;
	log_info("webspace %s: no longer watched (taken out of the configuration)", esc_name(w->root));
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
		if (v && !e->ws[(size_t)v - 1].retired) {
			*ret_id = e->ws[(size_t)v - 1].id;
			*ret_root_len = i;
			return true;
		}
	}
	return false;
}

static void bg_submit(struct engine *e, enum bg_kind kind, struct webspace *w);
static void bg_walk(struct engine *e, enum bg_kind kind, struct webspace *w);
static void baseline_walk_next(struct engine *e);
static void baseline_touched_clear(struct webspace *w);
static void baseline_resume(struct engine *e, uint64_t t0);
static bool baseline_can_resume(const struct engine *e);

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
		emit_row(e, id, ev.verdict, &ev);
}

/* reopens the root of w (root_reopen): a descriptor to close, or negative;
 * a root that changed is marked so */
int
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
		bool was_retired;

		w = &e->ws[(size_t)v - 1];
		if (ret_id)
			*ret_id = w->id;
		w->seen_pass = e->discovery_pass;
		was_retired = w->retired;
		w->retired = false;
		if (strcmp(w->customer, customer) != 0) {
			/* the folder is another customer's now (a reload): what
			 * happens there from now on is theirs, events and mail */
			bool baselined;
			int64_t id;

			log_info("webspace %s: customer %s -> %s", esc_name(w->root), esc_name(w->customer),
				 esc_name(customer));
			if (state_webspace_upsert(e->st, w->root, customer, &id, &baselined) < 0)
				log_warnx("webspace %s: the new customer is not stored (kept in memory)",
					  esc_name(w->root));
			free(w->customer);
			w->customer = xstrdup(customer);
		}
		if (!w->root_changed && root_id_equal(&w->rid, rid)) {
			close(rootfd);
			if (was_retired) {
				/* what changed while it was not watched is found by
				 * comparing the disk with its rows */
				log_info("webspace %s (customer %s): configured again: %s",
					 esc_name(w->root), esc_name(w->customer),
					 w->baselined ? "reconciling with the stored state"
						      : "first scan (baseline)");
				bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
			}
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
	w->seen_pass = e->discovery_pass;
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

/* ---- results ---- */

/* read at the start of every transaction */
static int64_t
index_generation(struct engine *e)
{
	return fpindex_generation(e->s);
}

/* The index's filter (fpindex.h) on the lookups of lk: misses, nearly every
 * lookup of a burst of new content, answered without SQLite. At most
 * INDEX_FILTER_MAX contents and paths (8 bytes each: 32 MiB; the index built
 * from the shipped sets has some 50,000 contents and 6,000 paths, 450 KiB);
 * a bigger index is looked up in SQLite alone. Read in the snapshot lk reads
 * (the caller's transaction, or at least as new as the generation it holds:
 * a later import changes the generation and brings a new filter).
 * Built once SQLite has answered INDEX_FILTER_AFTER lookups of lk, at the
 * start of the next transaction: a start or a restart that judges nothing
 * new (the index's 20-80 ms would be most of a restart with nothing changed)
 * and a node with a change now and then never wait for it; a burst does
 * after its first few hundred changes. */
#define INDEX_FILTER_MAX ((size_t)4 << 20)
#define INDEX_FILTER_AFTER 512

static void
index_filter(struct fpindex_lookup *lk, struct store *s)
{
	struct fpindex_filter *f = NULL;
	uint64_t t0 = now_mono_ns();
	size_t nk, np, bytes;
	int r;

	if ((r = fpindex_filter_build(s, INDEX_FILTER_MAX, &f)) < 0) {
		fpindex_lookup_set_filter(lk, NULL);
		if (r == -E2BIG)
			log_info("index: over %zu contents and paths, looked up without a filter",
				 INDEX_FILTER_MAX);
		else
			log_warnx("index: filter not built (%s): looked up without it", strerror(-r));
		return;
	}
	fpindex_filter_size(f, &nk, &np, &bytes);
	fpindex_lookup_set_filter(lk, f);
	log_debug("index: filter of %zu contents and %zu paths, %zu bytes, built in %.1f ms", nk, np,
		  bytes, (double)(now_mono_ns() - t0) / 1e6);
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
	e->lk_filter_tried = false;
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
	else if (e->lk && !e->lk_filter_tried && fpindex_lookup_asked(e->lk) >= INDEX_FILTER_AFTER) {
		e->lk_filter_tried = true;
		index_filter(e->lk, e->s);
	}
}

void
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
	busy = e->inflight > 0 || e->ring_head != NULL || baseline_can_resume(e) ||
	       (e->lists[0].head && e->lists[0].head->deadline_ns <= now_mono_ns());
	if (!busy || e->batch >= BATCH_MAX ||
	    now_mono_ns() - e->batch_start_ns >= BATCH_AGE_MS * 1000000ull)
		engine_flush(e);
}

static void analysis_detail(const struct engine *e, const struct analyse_result *ar,
			    const struct quarantine_auto *qa, struct buf *out);

void
emit_row(struct engine *e, int64_t id, enum verdict_kind v, const struct event_row *ev)
{
	e->stats.events++;
	if ((unsigned)v < VERDICT_MAX)
		e->stats.events_by_verdict[v]++;
	if (e->o.on_event) {
		struct webspace *w = ws_get(e, ev->webspace_id);
		struct event_stored es = { .id = id, .row = ev, .aggregate = ev->nfiles != 0 };

		es.webspace = w ? w->root : NULL;
		es.wslen = w ? strlen(w->root) : 0;
		e->o.on_event(e->o.on_event_ud, &es);
	}
}

void
emit(struct engine *e, int64_t id, enum verdict_kind v)
{
	struct event_loaded l;

	e->stats.events++;
	if ((unsigned)v < VERDICT_MAX)
		e->stats.events_by_verdict[v]++;
	/* the row changed since it was written (an aggregate's count, a held
	 * event released): read back once, for everyone told of it */
	if (e->o.on_event && state_event_load(e->st, id, &l) == 0) {
		e->o.on_event(e->o.on_event_ud, &l.ev);
		state_event_loaded_free(&l);
	}
}

static int64_t record_judged(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
			     enum change_kind change, const struct hash_result *res,
			     const struct file_row *old, const char *old_path, size_t oplen, int pid,
			     const char *source, bool event_always, const struct judgement *Jp);

/* classifies and stores one change; returns the event id or 0 */
int64_t
record_change(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
	      enum change_kind change, const struct hash_result *res, const struct file_row *old,
	      const char *old_path, size_t oplen, int pid, const char *source, bool event_always)
{
	struct judgement J;

	judge(e, w, relpath, rlen, change, res, pid, &J);
	return record_judged(e, w, relpath, rlen, change, res, old, old_path, oplen, pid, source,
			     event_always, &J);
}

/* stores one change judged already (J: judge() of the same arguments) */
static int64_t
record_judged(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
	      enum change_kind change, const struct hash_result *res, const struct file_row *old,
	      const char *old_path, size_t oplen, int pid, const char *source, bool event_always,
	      const struct judgement *J)
{
	bool have_sha = res && res->status == HASH_OK;
	struct event_row ev;
	struct file_row row;
	struct buf detail = { 0 };
	struct quarantine_auto qa = { 0 };
	int64_t id = 0;

	if (J->an_cached)
		e->stats.analysis_cache_hits++;
	/* respond.quarantine: malicious: moved before the event is stored, which
	 * says so (the item's row commits on its own; the watcher drops the
	 * daemon's own unlink, the file row leaves here) */
	if (e->o.quarantine_malicious && J->vd.kind == VERDICT_MALICIOUS && have_sha &&
	    change != CHANGE_DELETED && strcmp(source, "baseline") != 0) {
		engine_flush(e);
		quarantine_auto(e->s, w->root_changed ? -1 : w->rootfd, w->root, w->id, w->customer,
				relpath, rlen, res->sha256, J->vd.reason, &qa);
		e->stats.quarantined += qa.id > 0;
	}
	batch_begin(e);
	if (change == CHANGE_DELETED || qa.id > 0) {
		state_file_delete(e->st, w->id, relpath, rlen);
	} else {
		file_row_fill(&row, w, relpath, rlen, res, J);
		state_file_put(e->st, &row);
	}
	if ((event_always && J->vd.kind != VERDICT_IGNORED) || J->sev >= SEV_WARNING) {
		event_from_judgement(&ev, w, relpath, rlen, change, J, pid, source);
		ev.old_path = old_path;
		ev.oplen = oplen;
		ev.old_sha256 = old && old->has_sha ? old->sha256 : NULL;
		ev.new_sha256 = have_sha ? res->sha256 : NULL;
		if ((J->an_have && J->ar.verdict != ANALYSE_CLEAN) || qa.tried) {
			buf_init(&detail, 1 << 16);
			analysis_detail(e, J->an_have && J->ar.verdict != ANALYSE_CLEAN ? &J->ar : NULL, &qa,
					&detail);
			ev.detail = detail.data;
		}
		/* a change while the window is open, of a file of an installation
		 * or back at its release's content, is held with the window
		 * whatever its verdict: an update writing a file twice (truncated,
		 * then written) passes through contents that are no release, and
		 * they are judged again with the rest when the window closes.
		 * Findings about code (malicious, suspicious) are told at once. */
		ev.held = change != CHANGE_BASELINE &&
			  (held_verdict(J->vd.kind) ||
			   (w->reident_ns && (J->vd.kind == VERDICT_OK || J->ir != NULL) &&
			    J->vd.kind != VERDICT_MALICIOUS && J->vd.kind != VERDICT_SUSPICIOUS)) &&
			  (strcmp(source, "live") == 0 || strcmp(source, "reconcile") == 0);
		if (state_event_add(e->st, &ev, &id) == 0) {
			if (ev.held)
				e->stats.held++;
			else
				emit_row(e, id, J->vd.kind, &ev);
		}
	}
	/* identification can only change when a file that votes changed: known
	 * content came or went, or a release file of an installation changed */
	if (change != CHANGE_BASELINE &&
	    (J->k.known != KNOWN_NONE || J->k.release_path ||
	     (old && old->known[0] && strcmp(old->known, "unknown") != 0)))
		w->reident_ns = now_mono_ns() + e->o.reident_ms * 1000000ull;
	buf_free(&detail);
	quarantine_auto_free(&qa);
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
analysis_detail(const struct engine *e, const struct analyse_result *ar,
		const struct quarantine_auto *qa, struct buf *out)
{
	struct json j;

	json_init(&j, out);
	json_obj_begin(&j);
	if (ar) {
		json_key(&j, "analysis");
		json_obj_begin(&j);
		json_kv_str(&j, "verdict", analyse_verdict_name(ar->verdict));
		json_kv_str(&j, "rules_version", e->o.an ? analyse_rules_version(e->o.an) : "");
		analyse_findings_json(&j, ar);
		json_obj_end(&j);
	}
	if (qa && qa->tried)
		quarantine_json(&j, qa->id, qa->path, qa->error);
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
void
analysis_judge(struct engine *e, const char *relpath, size_t rlen, const struct hash_result *res,
	       bool code_by_name, struct judgement *J)
{
	enum verdict_kind k = J->vd.kind;
	char sum[sizeof(J->vd.reason)];

	/* an empty file is no evidence of anything: no release "holds" it */
	if (res->size == 0 && k == VERDICT_FOREIGN) {
		J->vd.kind = VERDICT_NEW;
		J->vd.severity = verdict_default_severity(VERDICT_NEW);
		snprintf(J->vd.reason, sizeof(J->vd.reason), "an empty file (no evidence of anything)");
		return;
	}
	if (e->o.an == NULL || res->size == 0 ||
	    !classify_analyse_wanted(relpath, rlen, code_by_name || classify_php_head(res->head, res->headlen),
				     res->php_tag, k))
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
		if ((k == VERDICT_SUSPICIOUS || k == VERDICT_FOREIGN) &&
		    (J->vd.by_name || !web_runs_name(relpath, rlen))) {
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
 * false: record it now (nothing to analyse, or the result is cached); then
 * *ret_judged says whether ret_J holds judge() of the change with pid 0,
 * for record_judged. */
static bool
analysis_defer_judged(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
		      enum change_kind change, const struct hash_result *res, int pid,
		      const char *source, bool event_always, struct judgement *ret_J, bool *ret_judged)
{
	struct judgement *Jp = ret_J;
	struct hash_job *j;
	struct an_defer *d, **head;
	int fresh;

	*ret_judged = false;
	/* cheap checks first: a change that is no code costs nothing more */
	if (e->o.an == NULL || res->status != HASH_OK || res->size == 0 ||
	    !classify_code_content(relpath, rlen, res->head, res->headlen, res->php_tag))
		return false;
	judge(e, w, relpath, rlen, change, res, 0, Jp);
	if (!Jp->an_wanted || Jp->an_have || (e->o.an_max_size && res->size > e->o.an_max_size)) {
		*ret_judged = true;
		return false;
	}
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

static bool
analysis_defer(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
	       enum change_kind change, const struct hash_result *res, int pid, const char *source,
	       bool event_always)
{
	struct judgement J;
	bool judged;

	return analysis_defer_judged(e, w, relpath, rlen, change, res, pid, source, event_always, &J,
				     &judged);
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
struct rejudge {
	struct engine *e;
	size_t n;
	/* files analysed before (an image among them held PHP); else stored
	 * unknown code never analysed (stored while the analysis was off) */
	bool analysed_before;
};

static int
rejudge_one(void *ud, int64_t ws, const char *path, size_t len)
{
	struct rejudge *rj = ud;
	struct engine *e = rj->e;
	struct webspace *w = ws_get(e, ws);
	struct file_row row;
	struct hash_result res;

	if (w && state_file_get(e->st, ws, path, len, &row) == 0 && row.has_sha) {
		res_from_row(w, &row, path, &res);
		if (rj->analysed_before)
			res.php_tag = true;
		if (analysis_defer(e, w, path, len, CHANGE_RECLASSIFIED, &res, 0, "rules", false))
			rj->n++;
	}
	return 0;
}

/* The stored verdicts are brought to the analysis that runs now: the rules
 * they were judged under are kept in the database ("analysis_rules", "off"
 * while it was off), so a reload and a restart both see a change: every
 * stored file whose content was analysed under other rules is analysed
 * again; the analysis switched on, the unknown code stored while it was off
 * is analysed too. One scan, as marks do; nothing when nothing changed. */
void
engine_analysis_catch_up(struct engine *e)
{
	const char *now = e->o.an ? analyse_rules_version(e->o.an) : "off";
	char *was = store_meta_get(e->s, "analysis_rules");
	struct rejudge rj = { e, 0, true };

	if (was && strcmp(was, now) == 0) {
		free(was);
		return;
	}
	engine_flush(e);
	if (e->o.an) {
		state_files_analysed_before(e->st, now, rejudge_one, &rj);
		if (rj.n)
			log_info("analysis: new rules: %zu file%s analysed again", rj.n, rj.n == 1 ? "" : "s");
		if (was && strcmp(was, "off") == 0) {
			rj.n = 0;
			rj.analysed_before = false;
			state_files_unanalysed(e->st, rejudge_one, &rj);
			log_info("analysis: switched on: %zu stored file%s of unknown code analysed", rj.n,
				 rj.n == 1 ? "" : "s");
		}
	}
	store_meta_set(e->s, "analysis_rules", now);
	free(was);
}

void
engine_set_analyse(struct engine *e, struct analyse *an, uint64_t max_size)
{
	analyse_free(e->o.an);
	e->o.an = analyse_hold(an);
	e->o.an_max_size = max_size;
	engine_analysis_catch_up(e);
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

void
engine_on_hashed(struct engine *e)
{
	/* the results done now, applied after the events queued before them
	 * (engine_opts.read_events) */
	struct hash_job *j, *next, *done = hashpool_done_all(e->pool);

	if (done && e->o.read_events)
		e->o.read_events(e->o.read_events_ud);
	for (j = done; j; j = next) {
		struct pending *p = j->ud;
		uint64_t now = now_mono_ns();
		enum hash_status status = j->res.status;

		next = j->next;
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
			p->first_ns = now_mono_ns(); /* its windows start again */
			pending_arm(e, p);
		} else {
			pending_drop(e, p);
		}
	}
}

/* ---- renames and directory deletes ---- */

void
engine_rename(struct engine *e, int64_t ws_from, const char *from, size_t flen, int64_t ws_to,
	      const char *to, size_t tlen, bool is_dir, const struct file_handle *handle, int pid)
{
	struct webspace *wf = ws_from ? ws_get(e, ws_from) : NULL;
	struct webspace *wt = ws_to ? ws_get(e, ws_to) : NULL;
	struct file_row old;

	e->stats.renamed++;
	if (wf && wt && wf == wt && !storm_budget(e, wf->id))
		return; /* reconciled instead */
	if (is_dir) {
		if (wf && wt && wf == wt && flen && tlen) {
			/* the walk of a first baseline may hold either name of the
			 * files under it: looked at again once it is stored */
			if (wf->baselining)
				wf->reconcile_again = true;
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
					emit_row(e, id, ev.verdict, &ev);
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
		engine_note(e, wt->id, to, tlen, NOTE_MOVED_IN, handle, pid);
		return;
	}
	if (wf)
		engine_note(e, wf->id, from, flen, NOTE_DELETE, NULL, pid);
	if (wt)
		engine_note(e, wt->id, to, tlen, NOTE_MOVED_IN, handle, pid);
}

struct dir_del_ctx {
	struct engine *e;
	int64_t ws;
};

static int
dir_del_one(void *ud, const struct file_row *f)
{
	struct dir_del_ctx *c = ud;

	engine_note(c->e, c->ws, f->relpath, f->rlen, NOTE_DELETE, NULL, 0);
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

	if ((e->ring_head && e->inflight < HASH_INFLIGHT_MAX) || baseline_can_resume(e))
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

void
engine_tick(struct engine *e)
{
	uint64_t now = now_mono_ns();
	struct hash_job *jobs = NULL, **jtail = &jobs;
	size_t i, room;
	int l;

	/* windows that closed (and retries due): into their webspace's ready list */
	for (l = 0; l < LIST_MAX; l++) {
		struct pending *p;

		while ((p = e->lists[l].head) != NULL && p->deadline_ns <= now) {
			plist_append(e, p, LIST_READY, p->deadline_ns);
			ring_push(e, p->q);
		}
	}
	/* to the pool, one change per webspace in turn; handed over together
	 * (one lock and wake-up, hashpool.c) up to the room the queue has */
	room = e->ring_head && e->inflight < HASH_INFLIGHT_MAX ? hashpool_room(e->pool) : 0;
	while (e->inflight < HASH_INFLIGHT_MAX && room > 0) {
		struct wsq *q = ring_pop(e);
		struct pending *p;
		struct webspace *w;
		struct hash_job *j;
		unsigned wait_ms;

		if (q == NULL)
			break;
		if ((w = ws_get(e, q->ws)) == NULL || w->root_changed || w->retired) {
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
		if (p->pid > 0 && reqattr_busy(e->o.ra, p->pid)) {
			/* its writer's pool is being asked: the answer goes with it */
			plist_append(e, p, LIST_CLOSE, now + REQATTR_RECHECK_NS);
			if (q->ready.head)
				ring_push(e, q);
			continue;
		}
		j = xcalloc(1, sizeof(*j));
		j->root = xstrdup(w->root);
		j->rid = w->rid;
		j->relpath = xstrndup(p->relpath, p->rlen);
		j->max_size = e->o.max_file_size;
		j->ud = p;
		wait_ms = p->wait_open && lease_wait_free(e) ? LEASE_WAIT_MS : 0;
		j->wait_ms = wait_ms;
		*jtail = j;
		jtail = &j->next;
		room--;
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
	hashpool_submit_list(e->pool, jobs);
	if (e->noverflow_due) {
		struct hmap_slot *hs;

		hmap_foreach(&e->queues, hs) {
			struct wsq *q = hs->val;

			if (q->overflow_due && q->overflow_next_ns <= now)
				overflow_reconcile(e, q, now, q->overflow_why);
		}
	}
	if (e->repair_ns && e->repair_ns <= now) {
		e->repair_ns = 0;
		engine_reconcile(e, 0, "storing again what a failed commit lost");
		if (e->stats.store_err == 0)
			e->repair_delay_ms = 0; /* the database took the last commit */
	}
	if (baseline_can_resume(e))
		baseline_resume(e, now);
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
	if (w->root_changed || w->retired)
		return; /* until registered (configured) again */
	if (w->walking) {
		w->reconcile_again = true;
		return;
	}
	w->walking = true;
	e->bg_running++;
	if (kind == BG_BASELINE) {
		w->baselining = true;
		/* each walk's tree stays in memory until it is stored: a third
		 * baseline waits for the first to be stored (one walked while
		 * another is stored) */
		if (e->nbaselines >= BASELINE_TREES_MAX) {
			w->baseline_wait = true;
			return;
		}
		e->nbaselines++;
	}
	bg_walk(e, kind, w);
}

static void
bg_walk(struct engine *e, enum bg_kind kind, struct webspace *w)
{
	/* the configuration the walk reads stays alive until it is done; a
	 * stat walk expects the stored count of files (two small ones are
	 * walked at once) */
	walker_submit(e->walker, kind, w->id, w->root, &w->rid,
		      kind == BG_RECONCILE ? state_webspace_nfiles(e->st, w->id) : -1,
		      e->o.ignore_hold ? e->o.ignore_hold(e->o.ignored_ud) : e->o.ignored_ud);
}

/* a baseline walk is stored (or failed): the next one waiting is walked */
static void
baseline_walk_next(struct engine *e)
{
	size_t i;

	e->nbaselines--;
	for (i = 0; i < e->nws; i++) {
		struct webspace *w = &e->ws[i];

		if (!w->baseline_wait)
			continue;
		w->baseline_wait = false;
		if (w->root_changed) {
			/* walked once registered again */
			w->walking = false;
			e->bg_running--;
			baseline_touched_clear(w);
			continue;
		}
		e->nbaselines++;
		bg_walk(e, BG_BASELINE, w);
		return;
	}
}

void
engine_reconcile(struct engine *e, int64_t ws, const char *why)
{
	size_t i;

	if (ws == 0)
		log_info("reconcile of every webspace (%zu): %s", e->nws, why);
	for (i = 0; i < e->nws; i++) {
		struct webspace *w = &e->ws[i];

		if ((ws && w->id != ws) || w->root_changed || w->retired)
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
	engine_note(c->e, c->w->id, relpath, rlen, flags, NULL, 0);
}

/* A directory listed by the walk and gone when it was opened was renamed or
 * removed meanwhile: what lies under its new name may be missing from the
 * tree, and from the state if its rename was not told (merged events). */
static bool
tree_raced(const struct scan_tree *t)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);

		if (f->kind == SCAN_DIR_ERROR && f->err == ENOENT)
			return true;
	}
	return false;
}

static void
bg_reconcile_done(struct engine *e, struct webspace *w, struct bg_job *j)
{
	struct merge_ctx c;
	struct reconcile_counts n;
	uint64_t stored;
	bool known, repair = false, equal = false;

	c.e = e;
	c.w = w;
	engine_flush(e);
	known = state_webspace_digest(e->st, w->id, &stored) == 0;
	memset(&n, 0, sizeof(n));
	/* the walk's digest is the stored rows': nothing to merge (a stat, a
	 * path, an unsettled row that differs makes them differ) */
	if (j->digest_ok && known && j->digest == stored) {
		equal = true;
	} else if (reconcile_merge(e->st, w->id, j->tree, row_unsettled, merge_note, &c, &n) < 0) {
		log_warnx("reconcile %s: the stored state cannot be read", esc_name(w->root));
	} else if (n.digest_ok && (!known || n.digest != stored)) {
		/* not known (a database of before the digest), or not the rows' */
		if (known)
			log_warnx("reconcile %s: the stored digest of its files was not theirs: set again",
				  esc_name(w->root));
		repair = true;
	}
	batch_begin(e);
	if (repair)
		state_webspace_digest_repair(e->st, w->id);
	state_webspace_set_reconciled(e->st, w->id);
	e->stats.reconciles++;
	e->stats.last_reconcile_ms = (now_mono_ns() - j->started_ns) / 1000000ull;
	log_info("reconciled %s: %zu entries, %zu changed, %zu new, %zu gone%s (%llu ms)",
		 esc_name(w->root), j->tree->nfiles, n.changed, n.added, n.removed,
		 equal ? ", digest equal (rows not read)" : "",
		 (unsigned long long)e->stats.last_reconcile_ms);
}

/* ---- installations and aggregation ---- */

/* Held events of the webspace: members of an aggregate, or judged again
 * against what is installed now and released on their own. ids of events to
 * announce are appended to *out. */

/* ---- the first baseline ----
 *
 * A finished baseline walk is identified at once, then its files are stored
 * in path order, a slice per loop turn (BG_MERGE_BUDGET_MS): each file's
 * judgement and row, or, for unknown code, its analysis job. A slice stops
 * when AN_INFLIGHT_MAX analyses are in flight and the store goes on once
 * they are back below AN_RESUME, so that a node of unknown code never queues
 * more than that many jobs (each holds its change until the result is
 * recorded: nothing is lost, only later).
 *
 * From the submission of the walk to the end of its store, live events of
 * the webspace win: the paths they name (touched) are left to their own
 * hashing, which observed them later than the walk. Past TOUCHED_MAX of
 * them, a path with a stored row keeps it, and the webspace is reconciled
 * once its baseline is stored (a directory renamed meanwhile too). */

#define AN_INFLIGHT_MAX HASH_INFLIGHT_MAX
#define AN_RESUME (AN_INFLIGHT_MAX / 2)
#define TOUCHED_MAX 65536

void
baseline_touch(struct engine *e, int64_t ws, const char *relpath, size_t rlen)
{
	struct webspace *w = ws_get(e, ws);

	if (w == NULL || !w->baselining || w->touched_full)
		return;
	if (w->touched.len >= TOUCHED_MAX) {
		w->touched_full = true;
		w->reconcile_again = true;
		return;
	}
	*hmap_put(&w->touched, relpath, rlen, NULL) = (void *)1; /* present: not NULL */
}

static void
baseline_touched_clear(struct webspace *w)
{
	w->baselining = false;
	w->touched_full = false;
	hmap_free(&w->touched);
	hmap_init(&w->touched);
}

/* the walk's entry f as a hash result (no file is opened: the walk kept
 * what the judgement reads of the head) */
static void
res_from_scan(const struct scan_file *f, struct hash_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = f->kind == SCAN_FILE ? (enum hash_status)f->status
		      : f->kind == SCAN_SYMLINK ? HASH_SYMLINK : HASH_NOT_REGULAR;
	memcpy(res->sha256, f->sha256, SHA256_LEN);
	res->ino = f->ino;
	res->size = f->size;
	res->mtime_ns = f->mtime_ns;
	res->ctime_ns = f->ctime_ns;
	res->mode = f->mode;
	res->uid = f->uid;
	/* classify_php_head reads the head: a canonical one stands for what the
	 * walk saw (a PHP open tag or a #! line first) */
	if (f->head & SCAN_HEAD_CODE) {
		memcpy(res->head, "<?php", 5);
		res->headlen = 5;
	}
	res->php_tag = (f->head & SCAN_HEAD_PHP_TAG) != 0;
}

static void
baseline_store_one(struct engine *e, struct webspace *w, const struct scan_file *f)
{
	struct hash_result res;
	struct judgement J;
	bool judged;

	if (w->touched.len && hmap_get(&w->touched, f->path, f->pathlen))
		return; /* a live event's hashing stores it */
	if (w->touched_full) {
		struct file_row row;

		if (state_file_get(e->st, w->id, f->path, f->pathlen, &row) == 0)
			return;
	}
	res_from_scan(f, &res);
	/* only what the verdicts flag raises an event at baseline; code that is
	 * no release waits for its analysis (judged once: the judgement that
	 * decided so is the one stored) */
	if (!analysis_defer_judged(e, w, f->path, f->pathlen, CHANGE_BASELINE, &res, 0, "baseline",
				   false, &J, &judged)) {
		if (!judged)
			judge(e, w, f->path, f->pathlen, CHANGE_BASELINE, &res, 0, &J);
		record_judged(e, w, f->path, f->pathlen, CHANGE_BASELINE, &res, NULL, NULL, 0, 0,
			      "baseline", false, &J);
	}
	/* locked or changing: retried like a live change, then parked */
	if (status_unsettled(res.status))
		engine_note(e, w->id, f->path, f->pathlen, NOTE_RECONCILE, NULL, 0);
}

/* the store of w's walk is over (done, or dropped: root changed) */
static void
baseline_end(struct engine *e, struct webspace *w)
{
	struct bg_job *j = w->merging;
	bool trim = false;

	free(w->merge_byp);
	ident_result_free(w->merge_ident);
	w->merge_byp = NULL;
	w->merge_ident = NULL;
	w->merging = NULL;
	w->merge_pos = 0;
	e->nmerging--;
	e->bg_running--;
	w->walking = false;
	baseline_touched_clear(w);
	baseline_walk_next(e);
	/* a walk that ran into a rename is done again */
	if (tree_raced(j->tree))
		w->reconcile_again = true;
	if (j->tree->nfiles >= 10000)
		trim = true;
	bg_job_free(e->walker, j);
	/* a walk's tree is large and short-lived: give the memory back (not
	 * after every small one: trimming walks the heap) */
	if (trim)
		malloc_trim(0);
	if (w->reconcile_again) {
		w->reconcile_again = false;
		bg_submit(e, w->baselined ? BG_RECONCILE : BG_BASELINE, w);
	}
}

/* stores a slice of w's walk; true when the walk is all stored */
static bool
baseline_slice(struct engine *e, struct webspace *w, uint64_t t0)
{
	struct bg_job *j = w->merging;
	size_t n = j->tree->nfiles, k = 0;

	if (w->root_changed || !root_id_equal(&j->rid, &w->rid)) {
		baseline_end(e, w); /* its next walk stores it */
		return true;
	}
	while (w->merge_pos < n) {
		const struct scan_file *f = w->merge_byp ? w->merge_byp[w->merge_pos]
						       : scan_file_at(j->tree, w->merge_pos);

		if (e->stats.analysis_backlog >= AN_INFLIGHT_MAX)
			return false;
		if ((++k & 63) == 0 && now_mono_ns() - t0 > BG_MERGE_BUDGET_MS * 1000000ull)
			return false;
		w->merge_pos++;
		if (tree_entry_relevant(f))
			baseline_store_one(e, w, f);
	}
	batch_begin(e);
	state_webspace_set_baseline(e->st, w->id);
	state_webspace_set_reconciled(e->st, w->id);
	engine_flush(e);
	w->baselined = true;
	w->reident_ns = 0;
	e->stats.baselines++;
	log_info("baseline %s: %zu entries, %zu installation%s (%llu ms)", esc_name(w->root), n,
		 w->merge_ident ? w->merge_ident->ninst : 0,
		 w->merge_ident && w->merge_ident->ninst == 1 ? "" : "s",
		 (unsigned long long)((now_mono_ns() - j->started_ns) / 1000000ull));
	baseline_end(e, w);
	return true;
}

/* stores what the loop's budget allows of the baselines under way */
static void
baseline_resume(struct engine *e, uint64_t t0)
{
	size_t i;

	for (i = 0; i < e->nws && e->nmerging; i++) {
		if (e->ws[i].merging == NULL)
			continue;
		if (e->stats.analysis_backlog >= AN_RESUME ||
		    now_mono_ns() - t0 > BG_MERGE_BUDGET_MS * 1000000ull)
			return;
		baseline_slice(e, &e->ws[i], t0);
	}
}

static bool
baseline_can_resume(const struct engine *e)
{
	return e->nmerging && e->stats.analysis_backlog < AN_RESUME;
}

/* a finished baseline walk: identified now, stored from here on in slices */
static void
bg_baseline_start(struct engine *e, struct webspace *w, struct bg_job *j)
{
	ident_run(e->s, e->idx, j->tree, &w->merge_ident);
	store_installations(e, w, w->merge_ident, "baseline");
	/* stored in path order: the rows' ids then follow the order a reconcile
	 * reads them in (by path), each row the next one of the table. A walk
	 * kept in its temporary file is in that order already, and is read
	 * from it one entry at a time (scan_file_at). */
	w->merge_byp = j->tree->sorted ? NULL : reconcile_tree_sorted(j->tree);
	w->merge_pos = 0;
	w->merging = j;
	e->nmerging++;
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
	/* what was renamed or removed while the trees were walked is stored
	 * first: the merge compares the walk with the state it left */
	if (list && e->o.read_events)
		e->o.read_events(e->o.read_events_ud);
	while ((j = list) != NULL) {
		struct webspace *w;

		if (now_mono_ns() - t0 > BG_MERGE_BUDGET_MS * 1000000ull) {
			walker_put_back(e->walker, list);
			break;
		}
		w = ws_get(e, j->ws);
		list = j->next;
		if (w && j->kind == BG_BASELINE && j->tree && !j->root_changed &&
		    root_id_equal(&j->rid, &w->rid)) {
			/* still walking while it is stored (baseline_slice) */
			bg_baseline_start(e, w, j);
			baseline_slice(e, w, t0);
			continue;
		}
		e->bg_running--;
		if (j->kind == BG_BASELINE)
			baseline_walk_next(e);
		if (w) {
			w->walking = false;
			if (j->kind == BG_BASELINE)
				baseline_touched_clear(w);
			if (!root_id_equal(&j->rid, &w->rid))
				; /* a walk of the root before it was registered again */
			else if (j->root_changed)
				ws_root_changed(e, w, "found when walking it");
			else if (j->tree == NULL)
				log_warnx("walk of %s failed: %s", esc_name(w->root), j->err);
			else
				bg_reconcile_done(e, w, j);
			/* walked again (backed off) when it ran into a rename */
			if (j->tree && !w->reconcile_again && tree_raced(j->tree))
				engine_reconcile_backoff(e, w->id, "its walk ran into a rename");
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
	/* the digests count unsettled rows as the reconcile's merge does */
	state_digest_unsettled(e->st, row_unsettled);
	/* and are kept in C, not by a trigger's update of the webspace's row
	 * per file row: the main loop's writes are one B-tree less per change */
	if ((r = state_digest_in_c(e->st)) < 0)
		goto fail;
	e->index_gen = index_generation(e);
	if ((r = fpindex_load(s, &e->idx)) < 0)
		goto fail;
	if (fpindex_lookup_on(s, &e->lk) < 0)
		log_warnx("engine: %s: the index tables cannot be read", o->dbpath);
	/* WAL checkpoints off the loop (an in-line one copied ~1,000 pages for
	 * 35-45 ms every ~400 ms at 1,000 changes/s, stalling every change behind) */
	store_checkpoint_thread(s, 0);
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

		wo.digest = state_digest_key(e->st, wo.digest_key);
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
	for (i = 0; i < e->nws; i++) {
		struct webspace *w = &e->ws[i];

		if (w->merging) {
			free(w->merge_byp);
			ident_result_free(w->merge_ident);
			bg_job_free(e->walker, w->merging);
		}
		hmap_free(&w->touched);
	}
	walker_free(e->walker);
	hashpool_free(e->pool);
	if (e->st && state_in_tx(e->st))
		state_commit(e->st);
	hmap_foreach(&e->pending, hs) {
		struct pending *p = hs->val;

		free(p->key); /* relpath lies in it */
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

struct marked {
	struct {
		int64_t ws;
		char *path;
		size_t len;
	} *v;
	size_t n;
};

static int
marked_add(void *ud, int64_t ws, const char *path, size_t len)
{
	struct marked *m = ud;

	m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
	m->v[m->n].ws = ws;
	m->v[m->n].len = len;
	m->v[m->n].path = xstrndup(path, len);
	m->n++;
	return 0;
}

size_t
engine_apply_marks(struct engine *e, const uint8_t *sha256)
{
	/* files whose stored verdict a mark contradicts, or (with a hash) every
	 * file with that content (state_files_marked: one scan of the table,
	 * about 0.2 s per million files, none at all without marks) */
	struct marked m = { NULL, 0 };
	size_t i, changed = 0;

	engine_flush(e);
	state_marks_changed(e->st);
	if (sha256 == NULL && !state_marks_any(e->st))
		return 0;
	state_files_marked(e->st, sha256, marked_add, &m);
	for (i = 0; i < m.n; i++) {
		struct webspace *w = ws_get(e, m.v[i].ws);
		struct file_row row;
		struct hash_result res;
		struct judgement J;

		if (w && state_file_get(e->st, w->id, m.v[i].path, m.v[i].len, &row) == 0) {
			res_from_row(w, &row, m.v[i].path, &res);
			judge(e, w, m.v[i].path, m.v[i].len, CHANGE_RECLASSIFIED, &res, 0, &J);
			if (strcmp(row.verdict, verdict_name(J.vd.kind)) != 0) {
				record_change(e, w, m.v[i].path, m.v[i].len, CHANGE_RECLASSIFIED, &res, &row, NULL, 0,
					      0, "mark", J.vd.kind == VERDICT_MALICIOUS);
				changed++;
			}
		}
		free(m.v[i].path);
	}
	free(m.v);
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
	e->o.quarantine_malicious = o->quarantine_malicious;
}

void
engine_get_stats(struct engine *e, struct engine_stats *ret)
{
	*ret = e->stats;
	ret->pending = e->pending.len;
	ret->backlog = hashpool_backlog(e->pool);
	ret->webspaces = engine_webspace_count(e);
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
