// SPDX-License-Identifier: GPL-2.0-or-later
/* Update aggregation and held events: after a webspace's changes settle
 * (reident_ms) its installations are identified again from the stored hashes;
 * what changed (an update or downgrade, an installation that appeared, went
 * or was left incomplete) becomes one event standing for the file events
 * held meanwhile, and the held events it does not stand for are released one
 * by one. See updates.h. */
#include "updates.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_impl.h"
#include "ident.h"
#include "json.h"
#include "judge.h"
#include "log.h"
#include "scan.h"
#include "util.h"

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

/* An installation identified because the index changed (a set fetched or
 * imported): its files were stored while no set covered them (added code,
 * new). Each is judged again against the release as it stands, without being
 * written again: a release file becomes ok, an edited one tampered (an event
 * when its severity asks for one, as for a live change). */
static void
rejudge_identified(struct engine *e, struct webspace *w, int64_t inst_id)
{
	const struct inst_row *ir = NULL;
	struct rows rows = { NULL, 0 };
	uint64_t keep = w->reident_ns;
	size_t i, n = 0;

	for (i = 0; i < w->ninst; i++)
		if (w->inst[i].id == inst_id)
			ir = &w->inst[i];
	if (ir == NULL)
		return;
	state_files_under(e->st, w->id, ir->root, ir->root_len, rows_collect, &rows);
	for (i = 0; i < rows.n; i++) {
		struct row_copy *c = &rows.v[i];
		struct hash_result res;
		struct judgement J;

		if (inst_for(w, c->relpath, c->row.rlen) != ir)
			continue; /* a nested installation's file */
		res_from_row(w, &c->row, c->relpath, &res);
		judge(e, w, c->relpath, c->row.rlen, CHANGE_RECLASSIFIED, &res, 0, &J);
		if (strcmp(c->row.verdict, verdict_name(J.vd.kind)) == 0 &&
		    strcmp(c->row.known, known_name(J.k.known)) == 0 && c->row.installation_id == ir->id)
			continue;
		record_change(e, w, c->relpath, c->row.rlen, CHANGE_RECLASSIFIED, &res, &c->row, NULL, 0, 0,
			      "index", false);
		n++;
	}
	w->reident_ns = keep; /* judged here: nothing for identification to follow */
	rows_free(&rows);
	if (n)
		log_info("index: %zu file%s of %s %s in %s judged again", n, n == 1 ? "" : "s", ir->product,
			 ir->version, esc_name(w->root));
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

/* A held change whose file, judged again now, is still a finding (a content
 * no release has, code found malicious or suspicious): held with its
 * installation's window (record_change), it is told on its own when the
 * window closes, never folded into the aggregate. */
static bool
held_still_finding(struct engine *e, struct webspace *w, const struct held_event *h)
{
	struct file_row row;
	struct hash_result res;
	struct judgement J;

	if (h->change == CHANGE_DELETED || state_file_get(e->st, w->id, h->path, h->plen, &row) < 0)
		return false;
	res_from_row(w, &row, h->path, &res);
	judge(e, w, h->path, h->plen, h->change, &res, 0, &J);
	return J.vd.kind == VERDICT_TAMPERED || J.vd.kind == VERDICT_MALICIOUS ||
	       J.vd.kind == VERDICT_SUSPICIOUS;
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
		if (parent && held_still_finding(e, w, &h[i]))
			parent = NULL;
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
void
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
		else if (aggs[k].verdict == VERDICT_NEW && strcmp(source, "index") == 0)
			rejudge_identified(e, w, aggs[k].inst_id);
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

void
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
