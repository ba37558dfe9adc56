// SPDX-License-Identifier: GPL-2.0-or-later
/* Identification by hash votes; see ident.h. */
#include "ident.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "hmap.h"
#include "log.h"
#include "slotset.h"

/* A candidate (product, root): its voters are the files with a match of the
 * product at the root, all at positions [lo, hi) of the tree in path order
 * (a root's files are contiguous there). Nothing per file is kept: the votes
 * are counted again from the tree when needed. */
struct cand {
	const struct fp_product *p;
	char *root; /* root_len bytes */
	uint32_t root_len;
	size_t lo, hi;
	uint32_t best;
	uint32_t best_slot;
};

/* one product's entries, loaded once per run */
struct pentry {
	char *relpath;
	size_t rlen;
	uint8_t sha[SHA256_LEN];
	uint8_t *slots;
	size_t slen;
};

struct pcache {
	struct pentry *e;
	size_t n, alloc;
	struct hmap by_slot; /* slot -> struct hmap* (relpath -> pentry idx + 1) */
	/* while loading: the versions (slots) whose entries are kept */
	const uint32_t *need;
	size_t nneed;
};

struct ident_priv {
	struct hmap products; /* product id -> struct pcache* */
	/* per installation, the installations nested in it (their indices,
	 * nnested[i] of them): the only ones whose files are not its own */
	size_t **nested;
	size_t *nnested;
	size_t *sorted;       /* file indices sorted by path; NULL: t->sorted */
	size_t nsorted;
	struct hmap claimed;  /* product id -> bitmap of positions claimed */
};

/* the file at position pos of the tree in path order; lives until the next
 * call (scan_file_at) */
static const struct scan_file *
file_at(const struct ident_priv *pv, const struct scan_tree *t, size_t pos)
{
	return scan_file_at(t, pv->sorted ? pv->sorted[pos] : pos);
}

/* the next match of f from *j on that votes for c, or NULL */
static const struct scan_match *
cand_vote(const struct cand *c, const struct scan_file *f, size_t *j)
{
	if (f->kind != SCAN_FILE || f->pathlen < c->root_len ||
	    memcmp(f->path, c->root, c->root_len) != 0)
		return NULL;
	for (; *j < f->nmatches; (*j)++) {
		const struct scan_match *m = &f->matches[*j];

		if (m->product_id == c->p->id && m->root_len == c->root_len) {
			(*j)++;
			return m;
		}
	}
	return NULL;
}

static bool
bit_get(const uint64_t *bits, size_t pos)
{
	return bits && (bits[pos / 64] >> (pos % 64) & 1);
}

const char *
ident_state_name(enum ident_file_state s)
{
	static const char *const n[IDENT_STATE_MAX] = { "ok", "modified", "missing", "added" };

	return (unsigned)s < IDENT_STATE_MAX ? n[s] : "unknown";
}

/* kept for its callers; the test itself is pure and lives in classify */
bool
ident_is_code(const char *name, size_t len)
{
	return classify_is_code_name(name, len);
}

bool
ident_in_dirs(const char *dirs, const char *relpath, size_t len)
{
	const char *p = dirs;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		while (n > 0 && p[n - 1] == '/')
			n--;
		if (n > 0 && len > n && memcmp(relpath, p, n) == 0 && relpath[n] == '/')
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static int
pcache_add(void *ud, int64_t path_id, const char *relpath, size_t rlen,
	   const uint8_t sha256[SHA256_LEN], const uint8_t *slots, size_t slen)
{
	struct pcache *c = ud;
	struct pentry *e;
	size_t k;

	(void)path_id;
	/* only the entries of the versions installed: a product's other
	 * releases would be copied, kept and freed for nothing */
	for (k = 0; k < c->nneed; k++)
		if (slotset_blob_has(slots, slen, c->need[k]))
			break;
	if (k == c->nneed)
		return 0;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 1024;
		c->e = xreallocarray(c->e, c->alloc, sizeof(*c->e));
	}
	e = &c->e[c->n++];
	e->relpath = xstrndup(relpath, rlen);
	e->rlen = rlen;
	memcpy(e->sha, sha256, SHA256_LEN);
	e->slots = xmalloc(slen ? slen : 1);
	memcpy(e->slots, slots, slen);
	e->slen = slen;
	return 0;
}

/* the entries of the product of installation self, loaded with the first
 * of its installations: those of the versions its installations are */
static struct pcache *
pcache_get(struct ident_priv *pv, struct store *s, const struct ident_result *res, size_t self)
{
	int64_t product_id = res->inst[self].product->id;
	int isnew;
	void **v = hmap_put(&pv->products, &product_id, sizeof(product_id), &isnew);

	if (isnew) {
		struct pcache *c = xcalloc(1, sizeof(*c));
		uint32_t *need = xcalloc(res->ninst, sizeof(*need));
		size_t i;

		/* each version once: a release installed in many webspaces
		 * would have every entry tested against it as many times */
		for (i = 0; i < res->ninst; i++) {
			uint32_t slot = res->inst[i].version->slot;
			size_t k;

			if (res->inst[i].product->id != product_id)
				continue;
			for (k = 0; k < c->nneed && need[k] != slot; k++)
				;
			if (k == c->nneed)
				need[c->nneed++] = slot;
		}
		c->need = need;
		hmap_init(&c->by_slot);
		if (fpindex_product_entries(s, product_id, pcache_add, c) < 0)
			log_warnx("ident: cannot read the entries of product %lld", (long long)product_id);
		c->need = NULL;
		c->nneed = 0;
		free(need);
		*v = c;
	}
	return *v;
}

/* relpath -> entry index + 1, for the files of one version */
static struct hmap *
pcache_version(struct pcache *c, uint32_t slot)
{
	int isnew;
	void **v = hmap_put(&c->by_slot, &slot, sizeof(slot), &isnew);

	if (isnew) {
		struct hmap *m = xcalloc(1, sizeof(*m));
		size_t i;

		hmap_init(m);
		for (i = 0; i < c->n; i++)
			if (slotset_blob_has(c->e[i].slots, c->e[i].slen, slot))
				*hmap_put(m, c->e[i].relpath, c->e[i].rlen, NULL) = (void *)(i + 1);
		*v = m;
	}
	return *v;
}

static void
pcache_free(struct pcache *c)
{
	struct hmap_slot *hs;
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->e[i].relpath);
		free(c->e[i].slots);
	}
	free(c->e);
	hmap_foreach(&c->by_slot, hs) {
		hmap_free(hs->val);
		free(hs->val);
	}
	hmap_free(&c->by_slot);
	free(c);
}

/* one vote per slot of m's set below n, into the difference array diff */
static void
diff_add(int64_t *diff, uint32_t n, const struct scan_match *m)
{
	struct slotset_iter it;
	uint32_t a, b;

	slotset_iter_init(&it, m->slots, m->slen);
	while (slotset_iter_next(&it, &a, &b) == 1) {
		if (a >= n)
			break;
		diff[a]++;
		diff[b < n ? b : n]--;
	}
}

/* votes of the candidate's files not claimed yet (claimed: bitmap of the
 * product's claimed positions, or NULL), per slot into counts (p->nslots),
 * by difference array */
static void
cand_count(struct cand *c, const struct ident_priv *pv, const struct scan_tree *t,
	   const uint64_t *claimed, uint32_t *counts)
{
	uint32_t n = c->p->nslots;
	int64_t *diff = xcalloc((size_t)n + 1, sizeof(*diff));
	int64_t run = 0;
	size_t pos;
	uint32_t s;

	for (pos = c->lo; pos < c->hi; pos++) {
		const struct scan_file *f;
		const struct scan_match *m;
		size_t j = 0;

		if (bit_get(claimed, pos))
			continue;
		f = file_at(pv, t, pos);
		while ((m = cand_vote(c, f, &j)) != NULL)
			diff_add(diff, n, m);
	}
	c->best = 0;
	c->best_slot = 0;
	for (s = 0; s < n; s++) {
		run += diff[s];
		counts[s] = (uint32_t)run;
		if (fp_product_version(c->p, s) == NULL)
			continue;
		if (counts[s] > c->best) {
			c->best = counts[s];
			c->best_slot = s;
		} else if (counts[s] == c->best && c->best > 0) {
			/* tie: the version whose release is best covered */
			const struct fp_version *x = fp_product_version(c->p, s);
			const struct fp_version *y = fp_product_version(c->p, c->best_slot);

			if (x->nfiles < y->nfiles || (x->nfiles == y->nfiles && x->rank > y->rank))
				c->best_slot = s;
		}
	}
	free(diff);
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = *(struct cand *const *)a, *y = *(struct cand *const *)b;

	if (x->best != y->best)
		return x->best > y->best ? -1 : 1;
	if (x->root_len != y->root_len)
		return x->root_len < y->root_len ? -1 : 1;
	if (x->p->id != y->p->id)
		return x->p->id < y->p->id ? -1 : 1;
	/* the same product at roots of one length (disjoint subtrees, say the
	 * same release in every webspace): by root, so that the report's order
	 * is the same from run to run (the candidates come from a hash map
	 * whose order is not) */
	return memcmp(x->root, y->root, x->root_len);
}

/* qsort_r (arg: the tree): indices into the tree by path */
static int
cmp_path(const void *a, const void *b, void *arg)
{
	const struct scan_tree *t = arg;
	const struct scan_file *x = scan_file_at(t, *(const size_t *)a);
	const struct scan_file *y = scan_file_at(t, *(const size_t *)b);
	size_t n = x->pathlen < y->pathlen ? x->pathlen : y->pathlen;
	int c = memcmp(x->path, y->path, n);

	if (c)
		return c;
	return x->pathlen < y->pathlen ? -1 : x->pathlen > y->pathlen;
}

/* the first position whose path is not below key (klen bytes) */
static size_t
lower_bound(const struct ident_priv *pv, const struct scan_tree *t, const char *key, size_t klen)
{
	size_t lo = 0, hi = pv->nsorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct scan_file *f = file_at(pv, t, mid);
		size_t n = f->pathlen < klen ? f->pathlen : klen;
		int c = memcmp(f->path, key, n);

		if (c == 0)
			c = f->pathlen < klen ? -1 : 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* range [lo, hi) of the positions whose path starts with root + "/": from
 * root + "/" up to root + "0", '0' being the byte after '/' */
static void
files_under(const struct ident_priv *pv, const struct scan_tree *t, const char *root,
	    size_t rlen, size_t *ret_lo, size_t *ret_hi)
{
	char *key;

	if (rlen == 0) {
		*ret_lo = 0;
		*ret_hi = pv->nsorted;
		return;
	}
	key = xmalloc(rlen + 1);
	memcpy(key, root, rlen);
	key[rlen] = '/';
	*ret_lo = lower_bound(pv, t, key, rlen + 1);
	key[rlen] = '/' + 1;
	*ret_hi = lower_bound(pv, t, key, rlen + 1);
	free(key);
}

/* the newest version of product p, other than `not`, that ships f's content at
 * the same root */
static const struct fp_version *
known_elsewhere(const struct scan_file *f, const struct fp_product *p, uint32_t root_len,
		uint32_t not_slot)
{
	const struct fp_version *best = NULL;
	size_t i;

	for (i = 0; i < f->nmatches; i++) {
		const struct scan_match *m = &f->matches[i];
		struct slotset_iter it;
		uint32_t a, b, s;

		if (m->product_id != p->id || m->root_len != root_len)
			continue;
		slotset_iter_init(&it, m->slots, m->slen);
		while (slotset_iter_next(&it, &a, &b) == 1)
			for (s = a; s < b; s++) {
				const struct fp_version *v = fp_product_version(p, s);

				if (v && s != not_slot && (best == NULL || v->rank > best->rank))
					best = v;
			}
	}
	return best;
}

static void
inst_version_claim(struct installation *in, const struct scan_tree *t)
{
	const struct fp_product *p = in->product;
	char *full, buf[65536];
	regex_t re;
	regmatch_t m[2];
	int n;

	if (p->version_file == NULL || p->version_pattern == NULL)
		return;
	in->has_version_file = true;
	/* beneath the directory the tree was walked from, never through a link */
	full = in->root_len ? xasprintf("%.*s/%s", (int)in->root_len, in->root, p->version_file)
			    : xstrdup(p->version_file);
	n = scan_read_small(t->rootfd, full, buf, sizeof(buf) - 1);
	free(full);
	if (n < 0)
		return;
	buf[n] = '\0';
	if (regcomp(&re, p->version_pattern, REG_EXTENDED) != 0) {
		log_warnx("ident: %s: bad version_pattern", p->name);
		return;
	}
	if (regexec(&re, buf, 2, m, 0) == 0 && m[1].rm_so >= 0 && m[1].rm_eo - m[1].rm_so < 64)
		in->claimed_version = xstrndup(buf + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
	regfree(&re);
}

/* what an installation needs to place its files: its product's entries and
 * those of its version (relpath -> entry index + 1) */
struct inst_ctx {
	const struct ident_result *res;
	const struct installation *in;
	size_t self;
	struct pcache *pc;
	struct hmap *vm;
	size_t base; /* bytes of a path that are the root and its '/' */
	const size_t *nested; /* the installations nested in this one */
	size_t nnested;
};

static void
inst_ctx_init(struct inst_ctx *ic, const struct ident_result *res, size_t self)
{
	const struct ident_priv *pv = res->priv;
	const struct installation *in = &res->inst[self];

	ic->res = res;
	ic->in = in;
	ic->self = self;
	ic->pc = hmap_get(&pv->products, &in->product->id, sizeof(in->product->id));
	ic->vm = pcache_version(ic->pc, in->version->slot);
	ic->base = in->root_len ? in->root_len + 1 : 0;
	ic->nested = pv->nested[self];
	ic->nnested = pv->nnested[self];
}

/* f's place in the installation: 0 with out filled (state, expected,
 * in_upload_dir) and *ret_e its release entry (SIZE_MAX: none), or -1 when it
 * is none of its files (not a regular file, or a file of a nested
 * installation that is no release file) */
static int
inst_file_state(const struct inst_ctx *ic, const struct scan_file *f, struct ident_file *out,
		size_t *ret_e)
{
	const struct installation *in = ic->in;
	const char *rel = f->path + ic->base;
	size_t rl = f->pathlen - ic->base, j;
	void *e;

	*ret_e = SIZE_MAX;
	if (f->kind != SCAN_FILE)
		return -1;
	memset(out, 0, sizeof(*out));
	e = hmap_get(ic->vm, rel, rl);
	if (e) {
		const struct pentry *pe = &ic->pc->e[(size_t)e - 1];

		*ret_e = (size_t)e - 1;

		memcpy(out->expected, pe->sha, SHA256_LEN);
		out->state = f->status == HASH_OK && memcmp(f->sha256, pe->sha, SHA256_LEN) == 0
				     ? IDENT_OK
				     : IDENT_MODIFIED;
		return 0;
	}
	/* files of a nested installation belong to it */
	for (j = 0; j < ic->nnested; j++) {
		const struct installation *o = &ic->res->inst[ic->nested[j]];

		if (f->pathlen > o->root_len && memcmp(f->path, o->root, o->root_len) == 0 &&
		    f->path[o->root_len] == '/')
			return -1;
	}
	out->state = IDENT_ADDED;
	out->in_upload_dir = ident_in_dirs(in->product->upload_dirs, rel, rl);
	return 0;
}

struct dircount {
	bool present; /* a release file below it is there */
	size_t missing;
};

/* counts a release file (present or missing) in each of its directories
 * from byte `from` of its name on (the directories before it were counted
 * with the file before, whose name shares those bytes) */
static void
dir_count(struct hmap *dirs, const char *name, size_t len, size_t from, bool missing)
{
	size_t k;

	for (k = from; k < len; k++) {
		struct dircount *dc;
		void **v;

		if (name[k] != '/')
			continue;
		v = hmap_put(dirs, name, k, NULL);
		if (*v == NULL)
			*v = xcalloc(1, sizeof(struct dircount));
		dc = *v;
		if (missing)
			dc->missing++;
		else
			dc->present = true;
	}
}

/* the bytes of a and b up to the last '/' they share: the directories both
 * lie in */
static size_t
common_dirs(const char *a, size_t al, const char *b, size_t bl)
{
	size_t k, n = al < bl ? al : bl, last = 0;

	for (k = 0; k < n && a[k] == b[k]; k++)
		if (a[k] == '/')
			last = k + 1;
	return last;
}

static int
cmp_mdir(const void *a, const void *b)
{
	return strcmp(((const struct ident_missing_dir *)a)->path,
		      ((const struct ident_missing_dir *)b)->path);
}

/* Directories of the release whose files are all missing (a theme or plugin
 * not installed), top-most only: one line instead of hundreds. */
static void
inst_missing_dirs(struct installation *in, struct hmap *dirs)
{
	struct hmap_slot *hs;

	hmap_foreach(dirs, hs) {
		struct dircount *dc = hs->val;
		size_t k;
		bool top = true;

		if (dc->missing == 0 || dc->present)
			continue;
		/* skip when an ancestor is wholly missing too */
		for (k = 0; k < hs->klen && top; k++) {
			struct dircount *pc;

			if (hs->key[k] != '/')
				continue;
			pc = hmap_get(dirs, hs->key, k);
			if (pc && !pc->present)
				top = false;
		}
		if (!top)
			continue;
		in->missing_dirs = xreallocarray(in->missing_dirs, in->nmissing_dirs + 1,
						 sizeof(*in->missing_dirs));
		in->missing_dirs[in->nmissing_dirs].path = xstrndup(hs->key, hs->klen);
		in->missing_dirs[in->nmissing_dirs].files = dc->missing;
		in->nmissing_dirs++;
	}
	if (in->nmissing_dirs)
		qsort(in->missing_dirs, in->nmissing_dirs, sizeof(*in->missing_dirs), cmp_mdir);
}

/* qsort_r (arg: struct pcache): entry indices by relpath */
static int
cmp_entry(const void *a, const void *b, void *arg)
{
	const struct pcache *pc = arg;

	return strcmp(pc->e[*(const size_t *)a].relpath, pc->e[*(const size_t *)b].relpath);
}

/* One pass over the installation's files: the counts per state, the release
 * files missing (sorted by path) and the directories wholly missing. */
static void
inst_detail(struct ident_result *res, size_t self, struct store *s, const struct scan_tree *t)
{
	struct ident_priv *pv = res->priv;
	struct installation *in = &res->inst[self];
	struct hmap dirs;
	struct inst_ctx ic;
	struct hmap_slot *hs;
	size_t pos, amissing = 0, e;
	uint64_t *present; /* the release entries present, by index */
	char *last = NULL; /* the name of the last present file */
	size_t lastlen = 0, alast = 0;

	pcache_get(pv, s, res, self);
	inst_ctx_init(&ic, res, self);
	present = xcalloc(ic.pc->n / 64 + 1, sizeof(*present));
	hmap_init(&dirs);
	files_under(pv, t, in->root, in->root_len, &in->lo, &in->hi);
	for (pos = in->lo; pos < in->hi; pos++) {
		const struct scan_file *f = file_at(pv, t, pos);
		const char *rel = f->path + ic.base;
		size_t rl = f->pathlen - ic.base;
		struct ident_file out;

		if (inst_file_state(&ic, f, &out, &e) < 0)
			continue;
		in->counts[out.state]++;
		if (out.state == IDENT_ADDED)
			continue;
		present[e / 64] |= (uint64_t)1 << (e % 64);
		/* the files are in path order: the directories shared with the
		 * file before are counted already */
		dir_count(&dirs, rel, rl, last ? common_dirs(last, lastlen, rel, rl) : 0, false);
		if (last == NULL || rl > alast) {
			alast = rl * 2 + 1;
			free(last);
			last = xmalloc(alast);
		}
		memcpy(last, rel, rl);
		lastlen = rl;
	}
	free(last);
	/* missing: release files not present as regular files */
	hmap_foreach(ic.vm, hs) {
		const struct pentry *pe;

		e = (size_t)hs->val - 1;
		pe = &ic.pc->e[e];
		if (present[e / 64] >> (e % 64) & 1)
			continue;
		if (in->nmissing == amissing) {
			amissing = amissing ? amissing * 2 : 16;
			in->missing = xreallocarray(in->missing, amissing, sizeof(*in->missing));
		}
		in->missing[in->nmissing++] = e;
		in->counts[IDENT_MISSING]++;
		dir_count(&dirs, pe->relpath, pe->rlen, 0, true);
	}
	free(present);
	if (in->nmissing)
		qsort_r(in->missing, in->nmissing, sizeof(*in->missing), cmp_entry, ic.pc);
	inst_missing_dirs(in, &dirs);
	hmap_foreach(&dirs, hs) free(hs->val);
	hmap_free(&dirs);
	in->confidence = in->version->nfiles ? (double)in->counts[IDENT_OK] / in->version->nfiles : 0;
	inst_version_claim(in, t);
}

/* the installation's release files that are missing, in path order */
static void
inst_missing_files(const struct inst_ctx *ic, ident_file_cb cb, void *ud)
{
	const struct installation *in = ic->in;
	size_t k;

	for (k = 0; k < in->nmissing; k++) {
		const struct pentry *pe = &ic->pc->e[in->missing[k]];
		struct ident_file out;

		memset(&out, 0, sizeof(out));
		out.state = IDENT_MISSING;
		out.file = SIZE_MAX;
		out.relpath = pe->relpath;
		out.relpath_len = pe->rlen;
		memcpy(out.expected, pe->sha, SHA256_LEN);
		cb(ud, &out, NULL);
	}
}

/* f at position pos to cb, if it is a file of the installation in state st */
static void
inst_file_to(const struct inst_ctx *ic, const struct scan_file *f, size_t pos,
	     enum ident_file_state st, ident_file_cb cb, void *ud)
{
	const struct installation *in = ic->in;
	struct ident_file out;
	size_t e;

	if (inst_file_state(ic, f, &out, &e) < 0 || out.state != st)
		return;
	out.file = pos;
	if (f->status == HASH_OK && st != IDENT_OK)
		out.known_as = known_elsewhere(f, in->product, in->root_len,
					       st == IDENT_ADDED ? UINT32_MAX : in->version->slot);
	cb(ud, &out, f);
}

void
ident_inst_files(const struct ident_result *r, const struct scan_tree *t, size_t i,
		 enum ident_file_state st, ident_file_cb cb, void *ud)
{
	const struct ident_priv *pv = r->priv;
	const struct installation *in = &r->inst[i];
	struct inst_ctx ic;
	size_t pos;

	inst_ctx_init(&ic, r, i);
	if (st == IDENT_MISSING) {
		inst_missing_files(&ic, cb, ud);
		return;
	}
	for (pos = in->lo; pos < in->hi; pos++)
		inst_file_to(&ic, file_at(pv, t, pos), pos, st, cb, ud);
}

/* positions of modified and added files remembered by ident_inst_files_all
 * while it lists the files that are ok, per state: past this many, the rest
 * is found by a pass of its own from the first one not remembered */
#define IDENT_DEFER_MAX 65536

static void
deferred_list(const struct inst_ctx *ic, const struct ident_priv *pv, const struct scan_tree *t,
	      struct pos_list *d, enum ident_file_state st, ident_file_cb cb, void *ud)
{
	size_t k, pos;

	for (k = 0; k < d->n; k++)
		inst_file_to(ic, file_at(pv, t, d->pos[k]), d->pos[k], st, cb, ud);
	if (d->resume != SIZE_MAX)
		for (pos = d->resume; pos < ic->in->hi; pos++)
			inst_file_to(ic, file_at(pv, t, pos), pos, st, cb, ud);
	pos_list_free(d);
}

void
ident_inst_files_all(const struct ident_result *r, const struct scan_tree *t, size_t i,
		     ident_state_cb begin, ident_file_cb cb, void *ud)
{
	const struct ident_priv *pv = r->priv;
	const struct installation *in = &r->inst[i];
	struct pos_list mod, add;
	struct inst_ctx ic;
	size_t pos, e;

	pos_list_init(&mod, IDENT_DEFER_MAX);
	pos_list_init(&add, IDENT_DEFER_MAX);
	inst_ctx_init(&ic, r, i);
	begin(ud, IDENT_OK);
	for (pos = in->lo; pos < in->hi; pos++) {
		const struct scan_file *f = file_at(pv, t, pos);
		struct ident_file out;

		if (inst_file_state(&ic, f, &out, &e) < 0)
			continue;
		if (out.state == IDENT_OK) {
			out.file = pos;
			cb(ud, &out, f);
		} else
			pos_list_add(out.state == IDENT_MODIFIED ? &mod : &add, pos);
	}
	begin(ud, IDENT_MODIFIED);
	deferred_list(&ic, pv, t, &mod, IDENT_MODIFIED, cb, ud);
	begin(ud, IDENT_MISSING);
	inst_missing_files(&ic, cb, ud);
	begin(ud, IDENT_ADDED);
	deferred_list(&ic, pv, t, &add, IDENT_ADDED, cb, ud);
}

/* the bitmap of the positions claimed for product p (created empty) */
static uint64_t *
claimed_bits(struct ident_priv *pv, const struct fp_product *p)
{
	int isnew;
	void **v = hmap_put(&pv->claimed, &p->id, sizeof(p->id), &isnew);

	if (isnew)
		*v = xcalloc(pv->nsorted / 64 + 1, sizeof(uint64_t));
	return *v;
}

int
ident_run(struct store *s, const struct fpindex *idx, const struct scan_tree *t,
	  struct ident_result **ret)
{
	struct ident_result *res = xcalloc(1, sizeof(*res));
	struct ident_priv *pv = xcalloc(1, sizeof(*pv));
	struct hmap cands;
	struct cand **list = NULL;
	struct hmap_slot *hs;
	uint32_t *counts = NULL, ncounts = 0;
	size_t ncand = 0, i, j, k, pos;

	res->priv = pv;
	hmap_init(&pv->products);
	hmap_init(&pv->claimed);
	hmap_init(&cands);

	/* 0. the files in path order (a spilled tree is in it already) */
	pv->nsorted = t->nfiles;
	if (!t->sorted) {
		pv->sorted = xcalloc(t->nfiles ? t->nfiles : 1, sizeof(size_t));
		for (i = 0; i < t->nfiles; i++)
			pv->sorted[i] = i;
		qsort_r(pv->sorted, pv->nsorted, sizeof(size_t), cmp_path, (void *)(uintptr_t)t);
	}

	/* 1. candidates: (product, root) and where their voters are */
	for (pos = 0; pos < pv->nsorted; pos++) {
		const struct scan_file *f = file_at(pv, t, pos);

		for (j = 0; j < f->nmatches; j++) {
			const struct scan_match *m = &f->matches[j];
			const struct fp_product *p = fpindex_product(idx, m->product_id);
			char key[8 + 4096];
			size_t klen;
			int isnew;
			void **v;
			struct cand *c;

			if (p == NULL || p->nslots == 0 || m->root_len > 4096)
				continue;
			memcpy(key, &m->product_id, 8);
			memcpy(key + 8, f->path, m->root_len);
			klen = 8 + m->root_len;
			v = hmap_put(&cands, key, klen, &isnew);
			if (isnew) {
				c = xcalloc(1, sizeof(*c));
				c->p = p;
				c->root = xstrndup(f->path, m->root_len);
				c->root_len = m->root_len;
				c->lo = pos;
				*v = c;
				if (p->nslots > ncounts)
					ncounts = p->nslots;
			}
			c = *v;
			c->hi = pos + 1;
		}
	}
	counts = xcalloc(ncounts ? ncounts : 1, sizeof(*counts));
	list = xcalloc(cands.len ? cands.len : 1, sizeof(*list));
	hmap_foreach(&cands, hs) {
		struct cand *c = hs->val;

		cand_count(c, pv, t, NULL, counts);
		list[ncand++] = c;
	}
	qsort(list, ncand, sizeof(*list), cmp_cand);

	/* 2. accept strongest first; a file votes for one installation per product */
	for (i = 0; i < ncand; i++) {
		struct cand *c = list[i];
		const struct fp_version *v;
		struct installation *in;
		uint32_t need;
		uint64_t *bits;

		cand_count(c, pv, t, hmap_get(&pv->claimed, &c->p->id, sizeof(c->p->id)), counts);
		v = fp_product_version(c->p, c->best_slot);
		if (v == NULL || c->best == 0)
			continue;
		need = (uint32_t)(IDENT_MIN_SHARE * v->nfiles);
		if (need < 2)
			need = v->nfiles < 2 ? v->nfiles : 2;
		if (c->best < need)
			continue;
		res->inst = xreallocarray(res->inst, res->ninst + 1, sizeof(*res->inst));
		in = &res->inst[res->ninst++];
		memset(in, 0, sizeof(*in));
		in->root = xstrndup(c->root, c->root_len);
		in->root_len = c->root_len;
		in->product = c->p;
		in->version = v;
		in->matched = c->best;
		in->parent = -1;
		/* candidates: other versions nearly as good */
		for (k = 0; k < c->p->nslots; k++) {
			const struct fp_version *o = fp_product_version(c->p, (uint32_t)k);
			struct ident_candidate cd;
			size_t at;

			if (o == NULL || o == v || counts[k] == 0 || (double)counts[k] < 0.99 * c->best)
				continue;
			cd.version = o;
			cd.matched = counts[k];
			cd.confidence = o->nfiles ? (double)counts[k] / o->nfiles : 0;
			for (at = in->ncandidates; at > 0 && in->candidates[at - 1].matched < cd.matched; at--)
				if (at < IDENT_MAX_CANDIDATES)
					in->candidates[at] = in->candidates[at - 1];
			if (at < IDENT_MAX_CANDIDATES) {
				in->candidates[at] = cd;
				if (in->ncandidates < IDENT_MAX_CANDIDATES)
					in->ncandidates++;
			}
		}
		/* mixed: another version explains many files the winner does
		 * not; the same pass claims the candidate's voters */
		{
			uint32_t n = c->p->nslots;
			int64_t *diff = xcalloc((size_t)n + 1, sizeof(*diff));
			int64_t run = 0;
			uint32_t sl, bestb = 0, bests = 0;

			bits = claimed_bits(pv, c->p);
			for (pos = c->lo; pos < c->hi; pos++) {
				const struct scan_file *f = file_at(pv, t, pos);
				const struct scan_match *m;
				size_t jj = 0;

				while ((m = cand_vote(c, f, &jj)) != NULL) {
					bits[pos / 64] |= (uint64_t)1 << (pos % 64);
					if (!slotset_blob_has(m->slots, m->slen, c->best_slot))
						diff_add(diff, n, m);
				}
			}
			for (sl = 0; sl < n; sl++) {
				run += diff[sl];
				if (fp_product_version(c->p, sl) && (uint32_t)run > bestb) {
					bestb = (uint32_t)run;
					bests = sl;
				}
			}
			free(diff);
			if (bestb >= 3) {
				/* files the winner has that the other does not */
				uint32_t a_only = counts[c->best_slot] - (counts[bests] - bestb);

				if ((double)bestb >= 0.25 * (double)(a_only + bestb)) {
					in->mixed = true;
					in->mixed_with = fp_product_version(c->p, bests);
					in->mixed_only_best = a_only;
					in->mixed_only_other = bestb;
				}
			}
		}
	}

	/* 3. details per installation, over the files in path order */
	pv->nested = xcalloc(res->ninst ? res->ninst : 1, sizeof(*pv->nested));
	pv->nnested = xcalloc(res->ninst ? res->ninst : 1, sizeof(*pv->nnested));
	for (i = 0; i < res->ninst; i++) {
		struct installation *in = &res->inst[i];

		for (j = 0; j < res->ninst; j++) {
			const struct installation *o = &res->inst[j];

			if (j == i || o->root_len >= in->root_len)
				continue;
			if (o->root_len == 0 || (memcmp(in->root, o->root, o->root_len) == 0 &&
						 in->root[o->root_len] == '/')) {
				if (in->parent < 0 || res->inst[in->parent].root_len < o->root_len)
					in->parent = (int)j;
				/* in is nested in o */
				pv->nested[j] = xreallocarray(pv->nested[j], pv->nnested[j] + 1,
							      sizeof(**pv->nested));
				pv->nested[j][pv->nnested[j]++] = i;
			}
		}
	}
	for (i = 0; i < res->ninst; i++)
		inst_detail(res, i, s, t);

	for (i = 0; i < ncand; i++) {
		free(list[i]->root);
		free(list[i]);
	}
	free(list);
	free(counts);
	hmap_free(&cands);
	*ret = res;
	return 0;
}

void
ident_result_free(struct ident_result *r)
{
	struct ident_priv *pv;
	struct hmap_slot *hs;
	size_t i;

	if (r == NULL)
		return;
	pv = r->priv;
	for (i = 0; i < r->ninst; i++) {
		free(r->inst[i].root);
		free(r->inst[i].missing);
		free(r->inst[i].claimed_version);
		for (size_t k = 0; k < r->inst[i].nmissing_dirs; k++)
			free(r->inst[i].missing_dirs[k].path);
		free(r->inst[i].missing_dirs);
	}
	free(r->inst);
	if (pv) {
		hmap_foreach(&pv->products, hs) pcache_free(hs->val);
		hmap_free(&pv->products);
		hmap_foreach(&pv->claimed, hs) free(hs->val);
		hmap_free(&pv->claimed);
		for (i = 0; pv->nested && i < r->ninst; i++)
			free(pv->nested[i]);
		free(pv->nested);
		free(pv->nnested);
		free(pv->sorted);
		free(pv);
	}
	free(r);
}
