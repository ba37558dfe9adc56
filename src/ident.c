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

struct cand_file {
	size_t file;
	uint16_t m; /* index of the match in the file's matches */
};

struct cand {
	const struct fp_product *p;
	const char *root; /* points into a file's path; root_len bytes */
	uint32_t root_len;
	struct cand_file *files;
	size_t nfiles, alloc;
	uint32_t *counts; /* per slot */
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
};

struct ident_priv {
	struct hmap products; /* product id -> struct pcache* */
	size_t *sorted;       /* file indices sorted by path */
	size_t nsorted;
};

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

	(void)path_id;
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

static struct pcache *
pcache_get(struct ident_priv *pv, struct store *s, int64_t product_id)
{
	int isnew;
	void **v = hmap_put(&pv->products, &product_id, sizeof(product_id), &isnew);

	if (isnew) {
		struct pcache *c = xcalloc(1, sizeof(*c));

		hmap_init(&c->by_slot);
		if (fpindex_product_entries(s, product_id, pcache_add, c) < 0)
			log_warnx("ident: cannot read the entries of product %lld", (long long)product_id);
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

/* votes of the candidate's files not claimed yet, per slot, by difference array */
static void
cand_count(struct cand *c, const struct scan_tree *t, const struct hmap *claimed)
{
	uint32_t n = c->p->nslots;
	int64_t *diff = xcalloc((size_t)n + 1, sizeof(*diff));
	int64_t run = 0;
	size_t i;
	uint32_t s;

	for (i = 0; i < c->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, c->files[i].file);
		const struct scan_match *m = &f->matches[c->files[i].m];
		struct slotset_iter it;
		uint32_t a, b;

		if (claimed) {
			int64_t key[2] = { (int64_t)c->files[i].file, c->p->id };

			if (hmap_get(claimed, key, sizeof(key)))
				continue;
		}
		slotset_iter_init(&it, m->slots, m->slen);
		while (slotset_iter_next(&it, &a, &b) == 1) {
			if (a >= n)
				break;
			diff[a]++;
			diff[b < n ? b : n]--;
		}
	}
	c->best = 0;
	c->best_slot = 0;
	for (s = 0; s < n; s++) {
		run += diff[s];
		c->counts[s] = (uint32_t)run;
		if (fp_product_version(c->p, s) == NULL)
			continue;
		if (c->counts[s] > c->best) {
			c->best = c->counts[s];
			c->best_slot = s;
		} else if (c->counts[s] == c->best && c->best > 0) {
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
	return x->p->id < y->p->id ? -1 : x->p->id > y->p->id;
}

/* where an installation's file names are: the tree's paths less the
 * installation's root (base), and missing files' names in strs */
struct detail_ctx {
	const struct scan_tree *tree;
	size_t base;
	const char *strs;
};

/* qsort_r (arg: struct detail_ctx): indices into the tree by path */
static int
cmp_path(const void *a, const void *b, void *arg)
{
	const struct scan_tree *t = ((const struct detail_ctx *)arg)->tree;
	const struct scan_file *x = scan_file_at(t, *(const size_t *)a);
	const struct scan_file *y = scan_file_at(t, *(const size_t *)b);
	size_t n = x->pathlen < y->pathlen ? x->pathlen : y->pathlen;
	int c = memcmp(x->path, y->path, n);

	if (c)
		return c;
	return x->pathlen < y->pathlen ? -1 : x->pathlen > y->pathlen;
}

/* range [lo, hi) of sorted files whose path starts with root + "/" */
static void
files_under(const struct ident_priv *pv, const struct scan_tree *t, const char *root,
	    size_t rlen, size_t *ret_lo, size_t *ret_hi)
{
	size_t lo = 0, hi = pv->nsorted, klen = rlen + 1;
	char *key;

	if (rlen == 0) {
		*ret_lo = 0;
		*ret_hi = pv->nsorted;
		return;
	}
	key = xmalloc(klen);
	memcpy(key, root, rlen);
	key[rlen] = '/';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct scan_file *f = scan_file_at(t, pv->sorted[mid]);
		size_t n = f->pathlen < klen ? f->pathlen : klen;
		int c = memcmp(f->path, key, n);

		if (c == 0)
			c = f->pathlen < klen ? -1 : 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_lo = lo;
	for (hi = lo; hi < pv->nsorted; hi++) {
		const struct scan_file *f = scan_file_at(t, pv->sorted[hi]);

		if (f->pathlen < klen || memcmp(f->path, key, klen) != 0)
			break;
	}
	*ret_hi = hi;
	free(key);
}

static void
inst_add_file(struct installation *in, struct ident_file *f)
{
	if ((in->nfiles & (in->nfiles + 1)) == 0 || in->nfiles == 0)
		in->files = xreallocarray(in->files, in->nfiles * 2 + 2, sizeof(*in->files));
	in->files[in->nfiles++] = *f;
	in->counts[f->state]++;
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

static void
ifile_name(const struct detail_ctx *dc, const struct ident_file *f, const char **name, size_t *len)
{
	if (f->file == SIZE_MAX) {
		*name = f->relpath;
		*len = f->relpath_len;
	} else {
		const struct scan_file *sf = scan_file_at(dc->tree, f->file);

		*name = sf->path + dc->base;
		*len = sf->pathlen - dc->base;
	}
}

/* qsort_r (arg: struct detail_ctx) by state, then path; missing files' names
 * are still offsets into strs at this point */
static int
cmp_ifile(const void *a, const void *b, void *arg)
{
	const struct detail_ctx *dc = arg;
	const struct ident_file *x = a, *y = b;
	struct ident_file xx = *x, yy = *y;
	const char *xn, *yn;
	size_t xl, yl;
	int c;

	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	if (xx.file == SIZE_MAX)
		xx.relpath = dc->strs + (uintptr_t)xx.relpath;
	if (yy.file == SIZE_MAX)
		yy.relpath = dc->strs + (uintptr_t)yy.relpath;
	ifile_name(dc, &xx, &xn, &xl);
	ifile_name(dc, &yy, &yn, &yl);
	c = memcmp(xn, yn, xl < yl ? xl : yl);
	return c ? c : (xl < yl ? -1 : xl > yl);
}

static int
cmp_mdir(const void *a, const void *b)
{
	return strcmp(((const struct ident_missing_dir *)a)->path,
		      ((const struct ident_missing_dir *)b)->path);
}

struct dircount {
	size_t total, missing;
};

/* Directories of the release whose files are all missing (a theme or plugin
 * not installed), top-most only: one line instead of hundreds. */
static void
inst_missing_dirs(struct installation *in, const struct detail_ctx *ctx)
{
	struct hmap dirs;
	struct hmap_slot *hs;
	size_t i;

	hmap_init(&dirs);
	for (i = 0; i < in->nfiles; i++) {
		const struct ident_file *f = &in->files[i];
		const char *name;
		size_t len, k;

		if (f->state == IDENT_ADDED)
			continue;
		if (f->file == SIZE_MAX) {
			name = ctx->strs + (uintptr_t)f->relpath;
			len = f->relpath_len;
		} else {
			ifile_name(ctx, f, &name, &len);
		}
		for (k = 0; k < len; k++) {
			struct dircount *dc;
			void **v;

			if (name[k] != '/')
				continue;
			v = hmap_put(&dirs, name, k, NULL);
			if (*v == NULL)
				*v = xcalloc(1, sizeof(struct dircount));
			dc = *v;
			dc->total++;
			if (f->state == IDENT_MISSING)
				dc->missing++;
		}
	}
	hmap_foreach(&dirs, hs) {
		struct dircount *dc = hs->val;
		size_t k;
		bool top = true;

		if (dc->missing == 0 || dc->missing != dc->total)
			continue;
		/* skip when an ancestor is wholly missing too */
		for (k = 0; k < hs->klen && top; k++) {
			struct dircount *pc;

			if (hs->key[k] != '/')
				continue;
			pc = hmap_get(&dirs, hs->key, k);
			if (pc && pc->missing == pc->total)
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
	hmap_foreach(&dirs, hs) free(hs->val);
	hmap_free(&dirs);
	if (in->nmissing_dirs)
		qsort(in->missing_dirs, in->nmissing_dirs, sizeof(*in->missing_dirs), cmp_mdir);
}

static void
inst_detail(struct installation *in, struct store *s, struct ident_priv *pv,
	    const struct scan_tree *t, const struct ident_result *res, size_t self, struct buf *strs)
{
	struct pcache *pc = pcache_get(pv, s, in->product->id);
	struct hmap *vm = pcache_version(pc, in->version->slot);
	struct hmap present;
	struct detail_ctx dc;
	struct hmap_slot *hs;
	size_t lo, hi, i, j;
	size_t base = in->root_len ? in->root_len + 1 : 0;

	hmap_init(&present);
	files_under(pv, t, in->root, in->root_len, &lo, &hi);
	for (i = lo; i < hi; i++) {
		size_t fi = pv->sorted[i];
		const struct scan_file *f = scan_file_at(t, fi);
		const char *rel = f->path + base;
		size_t rl = f->pathlen - base;
		struct ident_file out;
		void *e;
		bool nested = false;

		if (f->kind != SCAN_FILE)
			continue;
		/* files of a nested installation belong to it */
		for (j = 0; j < res->ninst; j++) {
			const struct installation *o = &res->inst[j];

			if (j == self || o->root_len <= in->root_len)
				continue;
			if (f->pathlen > o->root_len && memcmp(f->path, o->root, o->root_len) == 0 &&
			    f->path[o->root_len] == '/' &&
			    (in->root_len == 0 || (memcmp(o->root, in->root, in->root_len) == 0 &&
						   o->root[in->root_len] == '/'))) {
				nested = true;
				break;
			}
		}
		memset(&out, 0, sizeof(out));
		out.file = fi;
		e = hmap_get(vm, rel, rl);
		if (e) {
			const struct pentry *pe = &pc->e[(size_t)e - 1];

			*hmap_put(&present, rel, rl, NULL) = (void *)1;
			memcpy(out.expected, pe->sha, SHA256_LEN);
			if (f->status == HASH_OK && memcmp(f->sha256, pe->sha, SHA256_LEN) == 0) {
				out.state = IDENT_OK;
			} else {
				out.state = IDENT_MODIFIED;
				if (f->status == HASH_OK)
					out.known_as = known_elsewhere(f, in->product, in->root_len,
								       in->version->slot);
			}
			inst_add_file(in, &out);
		} else if (!nested) {
			out.state = IDENT_ADDED;
			out.in_upload_dir = ident_in_dirs(in->product->upload_dirs, rel, rl);
			if (f->status == HASH_OK)
				out.known_as = known_elsewhere(f, in->product, in->root_len, UINT32_MAX);
			inst_add_file(in, &out);
		}
	}
	/* missing: release files not present as regular files */
	hmap_foreach(vm, hs) {
		const struct pentry *pe = &pc->e[(size_t)hs->val - 1];
		struct ident_file out;

		if (hmap_get(&present, pe->relpath, pe->rlen))
			continue;
		memset(&out, 0, sizeof(out));
		out.state = IDENT_MISSING;
		out.file = SIZE_MAX;
		/* offsets for now: strs may move; fixed up by the caller */
		out.relpath = (const char *)(uintptr_t)strs->len;
		out.relpath_len = pe->rlen;
		buf_append(strs, pe->relpath, pe->rlen);
		buf_putc(strs, '\0');
		memcpy(out.expected, pe->sha, SHA256_LEN);
		inst_add_file(in, &out);
	}
	hmap_free(&present);
	dc = (struct detail_ctx){ t, base, strs->data };
	qsort_r(in->files, in->nfiles, sizeof(*in->files), cmp_ifile, &dc);
	inst_missing_dirs(in, &dc);
	in->confidence = in->version->nfiles ? (double)in->counts[IDENT_OK] / in->version->nfiles : 0;
	inst_version_claim(in, t);
}

int
ident_run(struct store *s, const struct fpindex *idx, const struct scan_tree *t,
	  struct ident_result **ret)
{
	struct ident_result *res = xcalloc(1, sizeof(*res));
	struct ident_priv *pv = xcalloc(1, sizeof(*pv));
	struct hmap cands, claimed;
	struct cand **list = NULL;
	struct hmap_slot *hs;
	struct buf strs;
	size_t ncand = 0, i, j, k;

	res->priv = pv;
	hmap_init(&pv->products);
	hmap_init(&cands);
	hmap_init(&claimed);
	buf_init(&strs, SIZE_MAX / 2);

	/* 1. candidates: (product, root) with the files that vote for them */
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);

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
				c->root = f->path;
				c->root_len = m->root_len;
				*v = c;
			}
			c = *v;
			if (c->nfiles == c->alloc) {
				c->alloc = c->alloc ? c->alloc * 2 : 16;
				c->files = xreallocarray(c->files, c->alloc, sizeof(*c->files));
			}
			c->files[c->nfiles].file = i;
			c->files[c->nfiles].m = (uint16_t)j;
			c->nfiles++;
		}
	}
	list = xcalloc(cands.len ? cands.len : 1, sizeof(*list));
	hmap_foreach(&cands, hs) {
		struct cand *c = hs->val;

		c->counts = xcalloc(c->p->nslots, sizeof(*c->counts));
		cand_count(c, t, NULL);
		list[ncand++] = c;
	}
	qsort(list, ncand, sizeof(*list), cmp_cand);

	/* 2. accept strongest first; a file votes for one installation per product */
	for (i = 0; i < ncand; i++) {
		struct cand *c = list[i];
		const struct fp_version *v;
		struct installation *in;
		uint32_t need;

		cand_count(c, t, &claimed);
		v = fp_product_version(c->p, c->best_slot);
		if (v == NULL || c->best == 0)
			continue;
		need = (uint32_t)(IDENT_MIN_SHARE * v->nfiles);
		if (need < 2)
			need = v->nfiles < 2 ? v->nfiles : 2;
		if (c->best < need)
			continue;
		for (j = 0; j < c->nfiles; j++) {
			int64_t key[2] = { (int64_t)c->files[j].file, c->p->id };

			*hmap_put(&claimed, key, sizeof(key), NULL) = (void *)1;
		}
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
			size_t pos;

			if (o == NULL || o == v || c->counts[k] == 0 ||
			    (double)c->counts[k] < 0.99 * c->best)
				continue;
			cd.version = o;
			cd.matched = c->counts[k];
			cd.confidence = o->nfiles ? (double)c->counts[k] / o->nfiles : 0;
			for (pos = in->ncandidates; pos > 0 && in->candidates[pos - 1].matched < cd.matched; pos--)
				if (pos < IDENT_MAX_CANDIDATES)
					in->candidates[pos] = in->candidates[pos - 1];
			if (pos < IDENT_MAX_CANDIDATES) {
				in->candidates[pos] = cd;
				if (in->ncandidates < IDENT_MAX_CANDIDATES)
					in->ncandidates++;
			}
		}
		/* mixed: another version explains many files the winner does not */
		{
			uint32_t n = c->p->nslots;
			int64_t *diff = xcalloc((size_t)n + 1, sizeof(*diff));
			int64_t run = 0;
			uint32_t sl, bestb = 0, bests = 0;

			for (j = 0; j < c->nfiles; j++) {
				const struct scan_file *f = scan_file_at(t, c->files[j].file);
				const struct scan_match *m = &f->matches[c->files[j].m];
				struct slotset_iter it;
				uint32_t a, b;

				if (slotset_blob_has(m->slots, m->slen, c->best_slot))
					continue;
				slotset_iter_init(&it, m->slots, m->slen);
				while (slotset_iter_next(&it, &a, &b) == 1) {
					if (a >= n)
						break;
					diff[a]++;
					diff[b < n ? b : n]--;
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
				uint32_t a_only = c->counts[c->best_slot] - (c->counts[bests] - bestb);

				if ((double)bestb >= 0.25 * (double)(a_only + bestb)) {
					in->mixed = true;
					in->mixed_with = fp_product_version(c->p, bests);
					in->mixed_only_best = a_only;
					in->mixed_only_other = bestb;
				}
			}
		}
	}

	/* 3. details per installation, over the files sorted by path */
	pv->nsorted = t->nfiles;
	pv->sorted = xcalloc(t->nfiles ? t->nfiles : 1, sizeof(size_t));
	for (i = 0; i < t->nfiles; i++)
		pv->sorted[i] = i;
	qsort_r(pv->sorted, pv->nsorted, sizeof(size_t), cmp_path, &(struct detail_ctx){ .tree = t });
	for (i = 0; i < res->ninst; i++) {
		struct installation *in = &res->inst[i];

		inst_detail(in, s, pv, t, res, i, &strs);
		for (j = 0; j < res->ninst; j++) {
			const struct installation *o = &res->inst[j];

			if (j == i || o->root_len >= in->root_len)
				continue;
			if (o->root_len == 0 || (memcmp(in->root, o->root, o->root_len) == 0 &&
						 in->root[o->root_len] == '/')) {
				if (in->parent < 0 || res->inst[in->parent].root_len < o->root_len)
					in->parent = (int)j;
			}
		}
	}
	res->strings = buf_steal(&strs);
	for (i = 0; i < res->ninst; i++)
		for (j = 0; j < res->inst[i].nfiles; j++)
			if (res->inst[i].files[j].state == IDENT_MISSING)
				res->inst[i].files[j].relpath =
					res->strings + (uintptr_t)res->inst[i].files[j].relpath;

	for (i = 0; i < ncand; i++) {
		free(list[i]->files);
		free(list[i]->counts);
		free(list[i]);
	}
	free(list);
	hmap_free(&cands);
	hmap_free(&claimed);
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
		free(r->inst[i].files);
		free(r->inst[i].claimed_version);
		for (size_t k = 0; k < r->inst[i].nmissing_dirs; k++)
			free(r->inst[i].missing_dirs[k].path);
		free(r->inst[i].missing_dirs);
	}
	free(r->inst);
	free(r->strings);
	if (pv) {
		hmap_foreach(&pv->products, hs) pcache_free(hs->val);
		hmap_free(&pv->products);
		free(pv->sorted);
		free(pv);
	}
	free(r);
}
