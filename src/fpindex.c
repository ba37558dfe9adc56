// SPDX-License-Identifier: GPL-2.0-or-later
/* The fingerprint index's read side: the catalogue and lookups, what the
 * daemon links; see fpindex.h. The build side (wsidctl) is fpbuild.c. */
#include "fpindex.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hmap.h"
#include "slotset.h"

/* ---- catalogue ---- */

static char *
col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static int
cmp_version_rank(const void *a, const void *b)
{
	const struct fp_version *x = a, *y = b;

	return version_cmp(x->version, y->version);
}

static int
cmp_version_name(const void *a, const void *b)
{
	const struct fp_version *const *x = a, *const *y = b;

	return strcmp((*x)->version, (*y)->version);
}

int
fpindex_load(struct store *s, struct fpindex **ret)
{
	struct fpindex *idx = xcalloc(1, sizeof(*idx));
	sqlite3_stmt *st;
	size_t i, j;
	int rc;

	st = store_prepare(s, "SELECT id, name, kind, version_file, version_pattern, upload_dirs, "
			      "staging_dirs FROM products ORDER BY name");
	if (st == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fp_product *p;

		idx->products = xreallocarray(idx->products, idx->nproducts + 1, sizeof(*p));
		p = &idx->products[idx->nproducts++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		p->name = col_strdup(st, 1);
		p->kind = col_strdup(st, 2);
		p->version_file = col_strdup(st, 3);
		p->version_pattern = col_strdup(st, 4);
		p->upload_dirs = col_strdup(st, 5);
		p->staging_dirs = col_strdup(st, 6);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) /* a read error: never a partial index */
		goto fail;
	st = store_prepare(s, "SELECT id, slot, version, tag, released, nfiles, source, source_kind "
			      "FROM versions WHERE product_id=?");
	if (st == NULL)
		goto fail;
	for (i = 0; i < idx->nproducts; i++) {
		struct fp_product *p = &idx->products[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, p->id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct fp_version *v;

			p->versions = xreallocarray(p->versions, p->nversions + 1, sizeof(*v));
			v = &p->versions[p->nversions++];
			memset(v, 0, sizeof(*v));
			v->id = sqlite3_column_int64(st, 0);
			v->slot = (uint32_t)sqlite3_column_int64(st, 1);
			v->version = col_strdup(st, 2);
			v->tag = col_strdup(st, 3);
			v->released = col_strdup(st, 4);
			v->nfiles = (uint32_t)sqlite3_column_int64(st, 5);
			v->source = col_strdup(st, 6);
			v->source_kind = col_strdup(st, 7);
			if (v->slot + 1 > p->nslots)
				p->nslots = v->slot + 1;
		}
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto fail;
		}
		if (p->nversions)
			qsort(p->versions, p->nversions, sizeof(*p->versions), cmp_version_rank);
		p->by_slot = xcalloc(p->nslots ? p->nslots : 1, sizeof(*p->by_slot));
		p->by_name = xcalloc(p->nversions ? p->nversions : 1, sizeof(*p->by_name));
		for (j = 0; j < p->nversions; j++) {
			p->versions[j].rank = (int)j;
			p->by_slot[p->versions[j].slot] = &p->versions[j];
			p->by_name[j] = &p->versions[j];
		}
		qsort(p->by_name, p->nversions, sizeof(*p->by_name), cmp_version_name);
	}
	sqlite3_finalize(st);
	*ret = idx;
	return 0;
fail:
	fpindex_free(idx);
	return -EIO;
}

void
fpindex_free(struct fpindex *idx)
{
	size_t i, j;

	if (idx == NULL)
		return;
	for (i = 0; i < idx->nproducts; i++) {
		struct fp_product *p = &idx->products[i];

		for (j = 0; j < p->nversions; j++) {
			free(p->versions[j].version);
			free(p->versions[j].tag);
			free(p->versions[j].released);
			free(p->versions[j].source);
			free(p->versions[j].source_kind);
		}
		free(p->versions);
		free(p->by_slot);
		free(p->by_name);
		free(p->name);
		free(p->kind);
		free(p->version_file);
		free(p->version_pattern);
		free(p->upload_dirs);
		free(p->staging_dirs);
	}
	free(idx->products);
	free(idx);
}

const struct fp_product *
fpindex_product(const struct fpindex *idx, int64_t id)
{
	size_t i;

	for (i = 0; i < idx->nproducts; i++)
		if (idx->products[i].id == id)
			return &idx->products[i];
	return NULL;
}

const struct fp_product *
fpindex_product_by_name(const struct fpindex *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->nproducts; i++)
		if (strcmp(idx->products[i].name, name) == 0)
			return &idx->products[i];
	return NULL;
}

const struct fp_version *
fp_product_version(const struct fp_product *p, uint32_t slot)
{
	return slot < p->nslots ? p->by_slot[slot] : NULL;
}

/* by exact version string: a binary search (every change of a file in an
 * installation asks, and a product has hundreds of releases) */
const struct fp_version *
fp_product_find_version(const struct fp_product *p, const char *v)
{
	size_t lo = 0, hi = p->nversions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->by_name[mid]->version, v);

		if (c == 0)
			return p->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct fp_version *
fp_product_latest(const struct fp_product *p)
{
	return p->nversions ? &p->versions[p->nversions - 1] : NULL;
}

int
fpindex_stats(struct store *s, struct fpindex_stats *ret)
{
	static const char *const q[] = {
		"SELECT count(*) FROM products", "SELECT count(*) FROM versions",
		"SELECT coalesce(sum(nfiles), 0) FROM versions", "SELECT count(*) FROM hashes",
		"SELECT count(*) FROM paths", "SELECT count(*) FROM entries",
		"SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
	};
	uint64_t *out[] = { &ret->products, &ret->versions, &ret->files, &ret->hashes,
			    &ret->paths, &ret->entries, &ret->db_bytes };
	size_t i;

	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		sqlite3_stmt *st = store_prepare(s, q[i]);

		if (st == NULL)
			return -EIO;
		if (sqlite3_step(st) == SQLITE_ROW)
			*out[i] = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return 0;
}

/* ---- the filter ----
 *
 * DESIGN: under a burst of new content nearly every lookup of the daemon's
 * judgement is a miss, and a miss in SQLite costs a statement's step through
 * two B-trees (a fifth of the loop thread's time per change). Sorted arrays of
 * 64-bit values answer a miss in a binary search of a few cache lines. The
 * contents' values are their SHA-256 prefixes (a tenant cannot choose a
 * content to collide with a shipped one short of a 64-bit preimage search,
 * and a collision only costs the SQL lookup it would have made anyway). The
 * paths' values are a keyed hash (SipHash under a random key per filter):
 * names come from tenants. */

struct fpindex_filter {
	uint64_t *known; /* prefixes of the index's contents, sorted */
	size_t nknown;
	uint64_t *paths; /* path_value() of the index's (product, relpath), sorted */
	size_t npaths;
	unsigned char key[crypto_shorthash_KEYBYTES];
};

/* big-endian: the values come out of the index's sha256 order sorted */
static uint64_t
sha_prefix(const uint8_t *sha256)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = v << 8 | sha256[i];
	return v;
}

static uint64_t
path_value(const struct fpindex_filter *f, int64_t product_id, const char *relpath, size_t rlen)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)relpath, rlen, f->key);
	memcpy(&h, out, sizeof(h));
	/* the product mixed in after the keyed hash: (product, path) pairs a
	 * tenant could make collide would need the key */
	h ^= (uint64_t)product_id * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 31;
	return h;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
u64_find(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* appends x to *v (*n entries, *cap allocated); -E2BIG once *used reaches max */
static int
u64_push(uint64_t **v, size_t *n, size_t *cap, size_t *used, size_t max, uint64_t x)
{
	if (*used >= max)
		return -E2BIG;
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 4096;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = x;
	(*used)++;
	return 0;
}

/* sorted (when not read in order), duplicates dropped, the array trimmed
 * to its size */
static void
u64_settle(uint64_t **v, size_t *n)
{
	size_t i, o = 0;

	if (*n == 0) {
		free(*v);
		*v = NULL;
		return;
	}
	for (i = 1; i < *n && (*v)[i - 1] <= (*v)[i]; i++)
		;
	if (i < *n)
		qsort(*v, *n, sizeof(**v), cmp_u64);
	for (i = 0; i < *n; i++)
		if (o == 0 || (*v)[o - 1] != (*v)[i])
			(*v)[o++] = (*v)[i];
	*n = o;
	*v = xreallocarray(*v, o, sizeof(**v));
}

int
fpindex_filter_build(struct store *s, size_t max, struct fpindex_filter **ret)
{
	struct fpindex_filter *f = xcalloc(1, sizeof(*f));
	sqlite3_stmt *st = NULL;
	size_t cap = 0, used = 0;
	int rc, r = 0;

	if (sodium_init() < 0) { /* idempotent, thread-safe */
		r = -EIO;
		goto out;
	}
	randombytes_buf(f->key, sizeof(f->key));
	/* every content, those without entries (what a pruned release leaves)
	 * too: a superset only sends a lookup on to SQLite, and a probe of the
	 * entries per content would take most of the build's time; in the
	 * unique index's order, which is the order of the values */
	st = store_prepare(s, "SELECT sha256 FROM hashes ORDER BY sha256");
	if (st == NULL) {
		r = -EIO;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* a malformed one matches no 32-byte lookup */
		if (sqlite3_column_bytes(st, 0) != SHA256_LEN)
			continue;
		r = u64_push(&f->known, &f->nknown, &cap, &used, max,
			     sha_prefix(sqlite3_column_blob(st, 0)));
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = store_errno(rc);
		goto out;
	}
	sqlite3_finalize(st);
	/* every path (a build deletes those left without entries) */
	st = store_prepare(s, "SELECT product_id, relpath FROM paths");
	if (st == NULL) {
		r = -EIO;
		goto out;
	}
	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = u64_push(&f->paths, &f->npaths, &cap, &used, max,
			     path_value(f, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
					(size_t)sqlite3_column_bytes(st, 1)));
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = store_errno(rc);
		goto out;
	}
	u64_settle(&f->known, &f->nknown);
	u64_settle(&f->paths, &f->npaths);
	*ret = f;
	f = NULL;
out:
	sqlite3_finalize(st);
	fpindex_filter_free(f);
	return r;
}

void
fpindex_filter_free(struct fpindex_filter *f)
{
	if (f == NULL)
		return;
	free(f->known);
	free(f->paths);
	free(f);
}

bool
fpindex_filter_maybe_known(const struct fpindex_filter *f, const uint8_t sha256[SHA256_LEN])
{
	return u64_find(f->known, f->nknown, sha_prefix(sha256));
}

bool
fpindex_filter_maybe_path(const struct fpindex_filter *f, int64_t product_id, const char *relpath,
			  size_t rlen)
{
	return f->npaths > 0 && u64_find(f->paths, f->npaths, path_value(f, product_id, relpath, rlen));
}

void
fpindex_filter_size(const struct fpindex_filter *f, size_t *ret_known, size_t *ret_paths,
		    size_t *ret_bytes)
{
	*ret_known = f->nknown;
	*ret_paths = f->npaths;
	*ret_bytes = sizeof(*f) + (f->nknown + f->npaths) * sizeof(uint64_t);
}

/* ---- lookups ---- */

struct fpindex_lookup {
	struct store *s;
	sqlite3_stmt *by_hash;
	sqlite3_stmt *by_path; /* fpindex_lookup_path, prepared at its first use */
	sqlite3_stmt *known;   /* fpindex_lookup_known, likewise */
	struct fpindex_filter *filter; /* asked first when set */
	uint64_t asked;                /* fpindex_lookup_asked */
	bool held;
	bool borrowed; /* s belongs to the caller */
};

void
fpindex_lookup_set_filter(struct fpindex_lookup *l, struct fpindex_filter *f)
{
	if (l->filter != f)
		fpindex_filter_free(l->filter);
	l->filter = f;
}

const struct fpindex_filter *
fpindex_lookup_filter(const struct fpindex_lookup *l)
{
	return l->filter;
}

uint64_t
fpindex_lookup_asked(const struct fpindex_lookup *l)
{
	return l->asked;
}

int
fpindex_lookup_on(struct store *s, struct fpindex_lookup **ret)
{
	struct fpindex_lookup *l = xcalloc(1, sizeof(*l));

	l->s = s;
	l->borrowed = true;
	l->by_hash = store_prepare(s, "SELECT p.product_id, e.path_id, p.relpath, e.slots "
				      "FROM hashes h JOIN entries e ON e.hash_id=h.id "
				      "JOIN paths p ON p.id=e.path_id WHERE h.sha256=?");
	if (l->by_hash == NULL) {
		free(l);
		return -EIO;
	}
	*ret = l;
	return 0;
}

int
fpindex_lookup_hold(struct fpindex_lookup *l, bool hold)
{
	int r = 0;

	if (hold == l->held)
		return 0;
	sqlite3_reset(l->by_hash);
	sqlite3_reset(l->by_path);
	sqlite3_reset(l->known);
	r = store_exec(l->s, hold ? "BEGIN" : "COMMIT");
	if (r == 0)
		l->held = hold;
	return r;
}

int
fpindex_lookup_open(const char *dbpath, struct fpindex_lookup **ret, char *err, size_t errsz)
{
	struct fpindex_lookup *l = xcalloc(1, sizeof(*l));
	int r;

	if ((r = store_open(dbpath, STORE_RDONLY, &l->s, err, errsz)) < 0) {
		free(l);
		return r;
	}
	/* one per scan worker: a small page cache each (the index is a few MB per
	 * product; the OS page cache holds it anyway) */
	store_exec(l->s, "PRAGMA cache_size=-2048");
	l->by_hash = store_prepare(l->s, "SELECT p.product_id, e.path_id, p.relpath, e.slots "
					 "FROM hashes h JOIN entries e ON e.hash_id=h.id "
					 "JOIN paths p ON p.id=e.path_id WHERE h.sha256=?");
	if (l->by_hash == NULL) {
		snprintf(err, errsz, "%s: index tables missing", dbpath);
		fpindex_lookup_free(l);
		return -EIO;
	}
	*ret = l;
	return 0;
}

void
fpindex_lookup_free(struct fpindex_lookup *l)
{
	if (l == NULL)
		return;
	if (!l->borrowed)
		fpindex_lookup_hold(l, false);
	sqlite3_finalize(l->by_hash);
	sqlite3_finalize(l->by_path);
	sqlite3_finalize(l->known);
	fpindex_filter_free(l->filter);
	if (!l->borrowed)
		store_close(l->s);
	free(l);
}

int
fpindex_lookup_hash(struct fpindex_lookup *l, const uint8_t sha256[SHA256_LEN],
		    fpindex_match_fn fn, void *ud)
{
	sqlite3_stmt *st = l->by_hash;
	int rc, n = 0, r;

	sqlite3_reset(st);
	sqlite3_bind_blob(st, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn == NULL) { /* counting only */
			n++;
			continue;
		}
		r = fn(ud, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		       sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
		       sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
		if (r < 0) {
			sqlite3_reset(st);
			return r;
		}
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : store_errno(rc);
}

int
fpindex_lookup_path(struct fpindex_lookup *l, int64_t product_id, const char *relpath, size_t rlen,
		    fpindex_path_fn fn, void *ud)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (l->filter && !fpindex_filter_maybe_path(l->filter, product_id, relpath, rlen))
		return 0;
	if (l->by_path == NULL)
		l->by_path = store_prepare(l->s, "SELECT h.sha256, e.slots FROM paths p JOIN entries e ON "
						 "e.path_id=p.id JOIN hashes h ON h.id=e.hash_id "
						 "WHERE p.product_id=? AND p.relpath=?");
	if ((st = l->by_path) == NULL)
		return -EIO;
	l->asked++;
	sqlite3_bind_int64(st, 1, product_id);
	sqlite3_bind_blob(st, 2, relpath, (int)rlen, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *h = sqlite3_column_blob(st, 0);

		fn(ud, sqlite3_column_bytes(st, 0) == SHA256_LEN ? h : NULL, sqlite3_column_blob(st, 1),
		   (size_t)sqlite3_column_bytes(st, 1));
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : store_errno(rc);
}

bool
fpindex_lookup_known(struct fpindex_lookup *l, const uint8_t sha256[SHA256_LEN])
{
	bool known;

	if (l->filter && !fpindex_filter_maybe_known(l->filter, sha256))
		return false;
	if (l->known == NULL)
		l->known = store_prepare(l->s, "SELECT 1 FROM hashes h JOIN entries e ON e.hash_id=h.id "
					       "WHERE h.sha256=? LIMIT 1");
	if (l->known == NULL)
		return false;
	l->asked++;
	sqlite3_bind_blob(l->known, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	known = sqlite3_step(l->known) == SQLITE_ROW;
	sqlite3_reset(l->known);
	return known;
}

int64_t
fpindex_generation(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT CAST(value AS INTEGER) FROM meta "
					    "WHERE key='index_generation'");
	int64_t g = 0;

	if (st == NULL)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		g = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return g;
}

int
fpindex_product_entries(struct store *s, int64_t product_id, fpindex_entry_fn fn, void *ud)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT p.id, p.relpath, h.sha256, e.slots FROM paths p "
					    "JOIN entries e ON e.path_id=p.id JOIN hashes h ON h.id=e.hash_id "
					    "WHERE p.product_id=?");
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	sqlite3_bind_int64(st, 1, product_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 2) != SHA256_LEN)
			continue;
		r = fn(ud, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
		       (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 2),
		       sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}


/* ---- what wsidctl restore and the release lists read ---- */

int
fpindex_release_files(struct store *s, const char *product, const char *version, const char *relpath,
		      fpindex_release_fn fn, void *ud)
{
	sqlite3_stmt *st = store_prepare(s, relpath
		? "SELECT p.relpath, h.sha256, e.slots, v.slot FROM products pr JOIN versions v ON "
		  "v.product_id=pr.id AND v.version=?2 JOIN paths p ON p.product_id=pr.id AND p.relpath=?3 "
		  "JOIN entries e ON e.path_id=p.id JOIN hashes h ON h.id=e.hash_id WHERE pr.name=?1"
		: "SELECT p.relpath, h.sha256, e.slots, v.slot FROM products pr JOIN versions v ON "
		  "v.product_id=pr.id AND v.version=?2 JOIN paths p ON p.product_id=pr.id JOIN entries e "
		  "ON e.path_id=p.id JOIN hashes h ON h.id=e.hash_id WHERE pr.name=?1 ORDER BY p.relpath");
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	sqlite3_bind_text(st, 1, product, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	if (relpath)
		sqlite3_bind_blob(st, 3, relpath, (int)strlen(relpath), SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 1) == SHA256_LEN &&
		    slotset_blob_has(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
				     (uint32_t)sqlite3_column_int64(st, 3)))
			r = fn(ud, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
			       sqlite3_column_blob(st, 1));
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

int
fpindex_versions_of(struct store *s, const char *product, fpindex_version_fn fn, void *ud)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT v.version FROM versions v JOIN products p ON "
					    "p.id=v.product_id WHERE p.name=?");
	int rc, r = 0;

	if (st == NULL)
		return -EIO;
	sqlite3_bind_text(st, 1, product, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(ud, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}
