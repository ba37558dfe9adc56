// SPDX-License-Identifier: GPL-2.0-or-later
/* The judge: what a change means. It gathers the facts of one file (what the
 * index knows of its content at its place, its installation, marks, the
 * consensus of other webspaces, the analysis of unknown code, who wrote it)
 * and hands them to classify_change (classify.c, pure) for the verdict; then
 * the severity override and the web server's hand. See judge.h. */
#include "judge.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_impl.h"
#include "ident.h"
#include "reqattr.h"
#include "slotset.h"
#include "util.h"

struct know_ctx {
	const struct fp_product *p;
	const struct fp_version *v;
	const uint8_t *sha;
	struct path_knowledge *k;
};

/* one content the index holds at the path (fpindex_lookup_path) */
static void
know_entry(void *ud, const uint8_t *h, const uint8_t *slots, size_t sl)
{
	struct know_ctx *c = ud;
	struct path_knowledge *k = c->k;
	bool has = slotset_blob_has(slots, sl, c->v->slot);

	if (has)
		k->release_path = true;
	if (c->sha == NULL || h == NULL || memcmp(h, c->sha, SHA256_LEN) != 0)
		return;
	if (has) {
		k->known = KNOWN_RELEASE;
	} else if (k->known != KNOWN_RELEASE) {
		/* the newest other version shipping it */
		struct slotset_iter it;
		uint32_t a, b, s;

		slotset_iter_init(&it, slots, sl);
		while (slotset_iter_next(&it, &a, &b) == 1)
			for (s = a; s < b; s++) {
				const struct fp_version *o = fp_product_version(c->p, s);

				if (o && (k->other == NULL || o->rank > k->other->rank))
					k->other = o;
			}
		if (k->other)
			k->known = KNOWN_OTHER_VERSION;
	}
}

/* what the index says of `sha` at installation-relative path irel */
static void
know_path(struct engine *e, const struct fp_product *p, const struct fp_version *v,
	  const char *irel, size_t ilen, const uint8_t *sha, struct path_knowledge *k)
{
	struct know_ctx c = { p, v, sha, k };

	memset(k, 0, sizeof(*k));
	if (p && v && e->lk)
		fpindex_lookup_path(e->lk, p->id, irel, ilen, know_entry, &c);
	if (k->known == KNOWN_NONE && sha && e->lk && fpindex_lookup_known(e->lk, sha))
		k->known = KNOWN_ELSEWHERE;
}

const struct inst_row *
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
bool
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

bool
status_unsettled(enum hash_status st)
{
	return st == HASH_LOCKED || st == HASH_CHANGED;
}

bool
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

static int
unknown_code_row(void *ud, const struct file_row *f)
{
	bool *found = ud;

	if (strcmp(f->known, known_name(KNOWN_NONE)) == 0 && classify_is_code_name(f->relpath, f->rlen)) {
		*found = true;
		return -1; /* enough */
	}
	return 0;
}

/* Does the top folder of relpath in the webspace hold code no index knows?
 * A file at the webspace's root has no folder of its own: no. Rows in path
 * order: an application's first PHP file ends the walk early. */
static bool
beside_unknown_code(struct engine *e, const struct webspace *w, const char *relpath, size_t rlen)
{
	const char *slash = memchr(relpath, '/', rlen);
	bool found = false;

	if (slash == NULL)
		return false;
	state_files_under(e->st, w->id, relpath, (size_t)(slash - relpath), unknown_code_row, &found);
	return found;
}

void
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
	bool code, code_name;

	memset(J, 0, offsetof(struct judgement, writer));
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
	ci.in_product_upload_dir = p && ident_in_dirs(p->upload_dirs, irel, ilen);
	ci.in_upload_dir = ci.in_product_upload_dir || classify_generic_upload_dir(relpath, rlen);
	ci.in_staging_dir = p && ident_in_dirs(p->staging_dirs, irel, ilen);
	if (ci.known == KNOWN_ELSEWHERE && !ci.release_path && !ci.php_head &&
	    !classify_is_code_name(irel, ilen) && !classify_inert_name(irel, ilen))
		ci.beside_unknown_code = beside_unknown_code(e, w, relpath, rlen);
	classify_change(&ci, &J->vd);
	code_name = ident_is_code(relpath, rlen);
	code = code_name || ci.php_head;
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
		analysis_judge(e, relpath, rlen, res, code_name, J);
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
	if (J->have_writer && (J->have_req = reqattr_describe(e->o.ra, pid, &J->req))) {
		reqattr_reason(&J->req, J->vd.reason, sizeof(J->vd.reason));
		reqattr_columns(&J->req, J->req_json, sizeof(J->req_json), &J->req_col, &J->req_unknown);
	}
}

void
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
		ev->request = J->req_col;
		ev->request_unknown = J->req_unknown;
	}
}

/* Verdicts that may be part of something larger (an update, an installation
 * or removal) wait for the installation's quiet window (reident) */
bool
held_verdict(enum verdict_kind v)
{
	return v == VERDICT_UPDATE || v == VERDICT_DOWNGRADE || v == VERDICT_DELETED ||
	       v == VERDICT_FOREIGN;
}

void
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
		str_copy(row->status, sizeof(row->status), hash_status_name(res->status));
	}
	str_copy(row->known, sizeof(row->known), known_name(J->k.known));
	str_copy(row->verdict, sizeof(row->verdict), verdict_name(J->vd.kind));
	row->installation_id = J->ir ? J->ir->id : 0;
	row->comp_key = J->ckey;
	row->cklen = J->cklen;
}
/* a stored row as a hash result, with the head bytes read again for the code
 * checks (the state keeps no content) */
void
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
