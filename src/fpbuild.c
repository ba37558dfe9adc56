// SPDX-License-Identifier: GPL-2.0-or-later
/* The fingerprint index's build side (wsidctl index build, import, export);
 * see fpindex.h. The daemon reads the index (fpindex.c) and never links this.
 *
 * DESIGN: a build works per product in memory. The product's existing entries
 * ((path, hash) -> slot set) are loaded, the slots of the versions whose set
 * file changed are cleared, the changed sets are parsed and their lines added,
 * and only the entries that changed are written back, in one transaction. So a
 * re-run with nothing changed reads the set files' bytes (to hash them) and
 * touches no row, and adding one release rewrites only the rows it touches.
 * New versions get slots in version order, which keeps slot runs long. A set
 * is read once when it is new (its SHA-256 taken while it is parsed), twice
 * only when an indexed set's file changed (hashed to compare, then parsed). */
#include "fpindex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fpset.h"
#include "hash.h"
#include "hmap.h"
#include "log.h"
#include "slotset.h"
#include "yamltree.h"

#define SET_MAX_BYTES (512u * 1024 * 1024)
#define META_MAX_BYTES (1u * 1024 * 1024)

/* ---- reading set files ---- */

int
read_file_maybe_gz(const char *path, size_t cap, char **ret, size_t *ret_len,
		   uint8_t raw_sha256[SHA256_LEN])
{
	struct buf raw, out;
	char chunk[65536];
	int fd, r = 0;
	size_t plen = strlen(path);
	bool gz = plen > 3 && strcmp(path + plen - 3, ".gz") == 0;
	struct stat st;

	*ret = NULL;
	*ret_len = 0;
	buf_init(&raw, cap);
	buf_init(&out, cap);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		if ((r = buf_append(&raw, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	if (r < 0)
		goto out;
	if (raw_sha256)
		sha256_buf(raw.data ? raw.data : "", raw.len, raw_sha256);
	if (!gz) {
		*ret_len = raw.len;
		*ret = buf_steal(&raw);
		return 0;
	} else {
		z_stream zs;
		int zr;

		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, 15 + 32) != Z_OK) {
			r = -ENOMEM;
			goto out;
		}
		zs.next_in = (Bytef *)raw.data;
		zs.avail_in = (uInt)raw.len;
		do {
			zs.next_out = (Bytef *)chunk;
			zs.avail_out = sizeof(chunk);
			zr = inflate(&zs, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END) {
				r = -EBADMSG;
				break;
			}
			if ((r = buf_append(&out, chunk, sizeof(chunk) - zs.avail_out)) < 0)
				break;
			if (zr == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
				r = -EBADMSG; /* truncated stream */
				break;
			}
		} while (zr != Z_STREAM_END);
		inflateEnd(&zs);
		if (r < 0)
			goto out;
		*ret_len = out.len;
		*ret = buf_steal(&out);
	}
out:
	buf_free(&raw);
	buf_free(&out);
	return r;
}


/* ---- build ---- */

struct bentry {
	struct slotset set;
	bool dirty;
};

struct bpath {
	int64_t id;
	uint32_t last_slot_plus1; /* duplicate path detection within one set */
};

struct bset {
	char *version;
	char *file;
	uint8_t sha[SHA256_LEN];
	bool changed;
	bool hashed; /* sha read already (a set indexed before) */
	uint32_t slot;
	const struct fp_version *old; /* existing row, if any */
};

struct build {
	struct store *s;
	int64_t product_id;
	const char *product;
	struct hmap paths;   /* relpath -> struct bpath* */
	struct hmap hashes;  /* sha256 -> (int64 id + 1) cast */
	struct hmap entries; /* (path_id, hash_id) -> struct bentry* */
	sqlite3_stmt *st_hash_get, *st_hash_ins, *st_path_ins;
	uint32_t slot;
	uint32_t nfiles;
	const char *setname;
	char *err;
	size_t errsz;
};

static int
build_hash_id(struct build *b, const uint8_t sha[SHA256_LEN], int64_t *ret)
{
	int isnew;
	void **v = hmap_put(&b->hashes, sha, SHA256_LEN, &isnew);
	int rc;

	if (!isnew) {
		*ret = (int64_t)(intptr_t)*v;
		return 0;
	}
	sqlite3_reset(b->st_hash_get);
	sqlite3_bind_blob(b->st_hash_get, 1, sha, SHA256_LEN, SQLITE_STATIC);
	rc = sqlite3_step(b->st_hash_get);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(b->st_hash_get, 0);
	} else {
		sqlite3_reset(b->st_hash_ins);
		sqlite3_bind_blob(b->st_hash_ins, 1, sha, SHA256_LEN, SQLITE_STATIC);
		if (sqlite3_step(b->st_hash_ins) != SQLITE_DONE)
			return -EIO;
		*ret = sqlite3_last_insert_rowid(store_db(b->s));
	}
	*v = (void *)(intptr_t)*ret;
	return 0;
}

static int
build_path(struct build *b, const char *relpath, size_t len, struct bpath **ret)
{
	int isnew;
	void **v = hmap_put(&b->paths, relpath, len, &isnew);
	struct bpath *bp;

	if (!isnew) {
		*ret = *v;
		return 0;
	}
	bp = xcalloc(1, sizeof(*bp));
	sqlite3_reset(b->st_path_ins);
	sqlite3_bind_int64(b->st_path_ins, 1, b->product_id);
	sqlite3_bind_blob(b->st_path_ins, 2, relpath, (int)len, SQLITE_STATIC);
	if (sqlite3_step(b->st_path_ins) != SQLITE_DONE) {
		free(bp);
		*v = NULL;
		return -EIO;
	}
	bp->id = sqlite3_last_insert_rowid(store_db(b->s));
	*v = bp;
	*ret = bp;
	return 0;
}

static struct bentry *
build_entry(struct build *b, int64_t path_id, int64_t hash_id)
{
	int64_t key[2] = { path_id, hash_id };
	int isnew;
	void **v = hmap_put(&b->entries, key, sizeof(key), &isnew);

	if (isnew) {
		struct bentry *e = xcalloc(1, sizeof(*e));

		slotset_init(&e->set);
		*v = e;
	}
	return *v;
}

static int
build_line(void *ud, const struct fpset_line *l)
{
	struct build *b = ud;
	struct bpath *bp;
	struct bentry *e;
	int64_t hid;
	int r;

	if ((r = build_path(b, l->path, l->pathlen, &bp)) < 0)
		return r;
	if ((r = build_hash_id(b, l->sha256, &hid)) < 0)
		return r;
	e = build_entry(b, bp->id, hid);
	/* a path on several lines with different hashes: alternative contents
	 * of the release (WordPress.org checksum files list some); the same
	 * line twice is a mistake */
	if (bp->last_slot_plus1 == b->slot + 1 && slotset_has(&e->set, b->slot)) {
		snprintf(b->err, b->errsz, "%s:%zu: duplicate line for '%s'", b->setname, l->lineno,
			 esc_name(l->path));
		return -EINVAL;
	}
	if ((r = slotset_add(&e->set, b->slot)) < 0)
		return r;
	e->dirty = true;
	if (bp->last_slot_plus1 != b->slot + 1)
		b->nfiles++;
	bp->last_slot_plus1 = b->slot + 1;
	return 0;
}

static int
build_load_existing(struct build *b)
{
	sqlite3_stmt *st;
	int rc;

	st = store_prepare(b->s, "SELECT id, relpath FROM paths WHERE product_id=?");
	if (st == NULL)
		return -EIO;
	sqlite3_bind_int64(st, 1, b->product_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bpath *bp = xcalloc(1, sizeof(*bp));
		void **v = hmap_put(&b->paths, sqlite3_column_blob(st, 1),
				    (size_t)sqlite3_column_bytes(st, 1), NULL);

		bp->id = sqlite3_column_int64(st, 0);
		free(*v);
		*v = bp;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	st = store_prepare(b->s, "SELECT e.path_id, e.hash_id, e.slots FROM entries e "
				 "JOIN paths p ON p.id=e.path_id WHERE p.product_id=?");
	if (st == NULL)
		return -EIO;
	sqlite3_bind_int64(st, 1, b->product_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bentry *e = build_entry(b, sqlite3_column_int64(st, 0),
					       sqlite3_column_int64(st, 1));

		if (slotset_decode(&e->set, sqlite3_column_blob(st, 2),
				   (size_t)sqlite3_column_bytes(st, 2)) < 0) {
			sqlite3_finalize(st);
			snprintf(b->err, b->errsz, "index: corrupt slot set in product %s", b->product);
			return -EBADMSG;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void
build_clear_slot(struct build *b, uint32_t slot)
{
	struct hmap_slot *hs;

	hmap_foreach(&b->entries, hs) {
		struct bentry *e = hs->val;

		if (slotset_remove(&e->set, slot) > 0)
			e->dirty = true;
	}
}

static int
build_write_entries(struct build *b)
{
	sqlite3_stmt *up = store_prepare(b->s, "INSERT OR REPLACE INTO entries(path_id, hash_id, slots) "
					       "VALUES(?, ?, ?)");
	sqlite3_stmt *del = store_prepare(b->s, "DELETE FROM entries WHERE path_id=? AND hash_id=?");
	struct hmap_slot *hs;
	int r = 0;

	if (up == NULL || del == NULL) {
		r = -EIO;
		goto out;
	}
	hmap_foreach(&b->entries, hs) {
		struct bentry *e = hs->val;
		int64_t key[2];
		sqlite3_stmt *st;
		uint8_t *blob = NULL;
		size_t n;

		if (!e->dirty)
			continue;
		memcpy(key, hs->key, sizeof(key));
		st = slotset_empty(&e->set) ? del : up;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, key[0]);
		sqlite3_bind_int64(st, 2, key[1]);
		if (st == up) {
			n = slotset_encode(&e->set, &blob);
			sqlite3_bind_blob(st, 3, blob, (int)n, free);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			r = -EIO;
			goto out;
		}
	}
out:
	sqlite3_finalize(up);
	sqlite3_finalize(del);
	return r;
}

static void
build_free(struct build *b)
{
	struct hmap_slot *hs;

	hmap_foreach(&b->paths, hs) free(hs->val);
	hmap_foreach(&b->entries, hs) {
		struct bentry *e = hs->val;

		slotset_free(&e->set);
		free(e);
	}
	hmap_free(&b->paths);
	hmap_free(&b->hashes);
	hmap_free(&b->entries);
	sqlite3_finalize(b->st_hash_get);
	sqlite3_finalize(b->st_hash_ins);
	sqlite3_finalize(b->st_path_ins);
}

/* product.yaml: a YAML mapping of scalars (yamltree.h) */
struct product_meta {
	char *kind, *version_file, *version_pattern, *upload_dirs, *staging_dirs;
};

/* frees the fields and clears them: freeing twice is harmless */
static void
product_meta_free(struct product_meta *m)
{
	free(m->kind);
	free(m->version_file);
	free(m->version_pattern);
	free(m->upload_dirs);
	free(m->staging_dirs);
	memset(m, 0, sizeof(*m));
}

/* The keys of a product.yaml. The base keys (kind, version_file,
 * version_pattern, upload_dirs, name) are those every wsid that imports
 * bundles knows; keys added later are optional: a node that does not know one
 * judges as it did before the key existed (doc/fleet.md). */
static const char *const meta_keys[] = { "kind",  "version_file", "version_pattern", "upload_dirs",
					 "name",  "staging_dirs", "requires",	     NULL };

static bool
key_in(const char *const *keys, const char *k, size_t len)
{
	size_t i;

	for (i = 0; keys[i]; i++)
		if (strlen(keys[i]) == len && strncmp(keys[i], k, len) == 0)
			return true;
	return false;
}

/* requires: the keys (comma-separated) a node must know to read the file
 * right; one this wsid does not know refuses it */
static int
meta_requires(const struct yerr *e, const struct ynode *v)
{
	const char *p = v->value;

	while (*p) {
		size_t n = strcspn(p, ",");
		const char *k = p;

		while (n && (*k == ' ' || *k == '\t'))
			k++, n--;
		while (n && (k[n - 1] == ' ' || k[n - 1] == '\t'))
			n--;
		if (n && !key_in(meta_keys, k, n))
			return ytree_fail(e, v->line, v->col,
					  "requires key '%.*s', which this wsid does not know (a newer "
					  "one wrote it: update wsid)",
					  (int)n, esc_name(k));
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

/* the keys of a product.yaml, from its tree; lenient (a bundle's): a key
 * this wsid does not know is ignored with a warning (a newer exporter's
 * optional key), unless `requires` names it */
static int
product_meta_keys(const struct yerr *e, const struct ynode *root, bool lenient, struct product_meta *m)
{
	size_t i;
	int r;

	if ((r = ytree_want(e, root, Y_MAP, "product.yaml")) < 0 ||
	    (r = ytree_check_keys(e, root, "product.yaml", lenient ? NULL : meta_keys)) < 0)
		return r;
	for (i = 0; i < root->n; i += 2) {
		const char *k = root->kids[i]->value;
		const struct ynode *v = root->kids[i + 1];
		char **dst = strcmp(k, "kind") == 0		 ? &m->kind
			     : strcmp(k, "version_file") == 0	 ? &m->version_file
			     : strcmp(k, "version_pattern") == 0 ? &m->version_pattern
			     : strcmp(k, "upload_dirs") == 0	 ? &m->upload_dirs
			     : strcmp(k, "staging_dirs") == 0	 ? &m->staging_dirs
								 : NULL;

		if (!key_in(meta_keys, k, strlen(k))) {
			log_warnx("index: %s:%zu: key '%s' is not known to this wsid: ignored (an optional "
				  "key of a newer exporter)",
				  e->file, root->kids[i]->line, esc_name(k));
			continue;
		}
		if ((r = ytree_want(e, v, Y_SCALAR, k)) < 0)
			return r;
		if (strcmp(k, "requires") == 0 && (r = meta_requires(e, v)) < 0)
			return r;
		if (dst == NULL) /* name: the directory names the product */
			continue;
		free(*dst);
		*dst = xstrdup(v->value);
	}
	if (m->kind && strcmp(m->kind, "core") != 0 && strcmp(m->kind, "plugin") != 0 &&
	    strcmp(m->kind, "theme") != 0 && strcmp(m->kind, "library") != 0)
		return ytree_fail(e, root->line, root->col, "kind must be core, plugin, theme or library");
	return 0;
}

/* a product's product.yaml, if it has one (none: all fields NULL) */
static int
product_meta_parse(const char *path, bool lenient, struct product_meta *m, char *err, size_t errsz)
{
	struct yerr e = { .file = path, .err = err, .errsz = errsz };
	struct ynode *root = NULL;
	char *data = NULL;
	size_t len;
	int r;

	memset(m, 0, sizeof(*m));
	r = read_file_maybe_gz(path, META_MAX_BYTES, &data, &len, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(-r));
		return r;
	}
	if ((r = ytree_parse(&e, data, len, &root)) == 0)
		r = product_meta_keys(&e, root, lenient, m);
	ynode_free(root);
	free(data);
	if (r < 0)
		product_meta_free(m);
	return r;
}

struct vinfo_ctx {
	struct hmap map; /* version -> struct fpset_version_info copy (strings joined) */
};

struct vinfo {
	char *tag, *released;
	long files;
};

static int
vinfo_add(void *ud, const struct fpset_version_info *vi)
{
	struct vinfo_ctx *c = ud;
	void **v = hmap_put(&c->map, vi->version, strlen(vi->version), NULL);
	struct vinfo *x = *v;

	if (x == NULL) {
		x = xcalloc(1, sizeof(*x));
		*v = x;
	} else {
		free(x->tag);
		free(x->released);
	}
	x->tag = xstrdup(vi->tag);
	x->released = xstrdup(vi->released);
	x->files = vi->files;
	return 0;
}

static void
vinfo_free(struct vinfo_ctx *c)
{
	struct hmap_slot *hs;

	hmap_foreach(&c->map, hs) {
		struct vinfo *x = hs->val;

		free(x->tag);
		free(x->released);
		free(x);
	}
	hmap_free(&c->map);
}

static int
cmp_bset(const void *a, const void *b)
{
	const struct bset *x = a, *y = b;

	return version_cmp(x->version, y->version);
}

static bool
is_set_file(const char *name, char *version, size_t vsz)
{
	size_t n = strlen(name);
	size_t cut;

	if (n > 10 && strcmp(name + n - 10, ".sha256.gz") == 0)
		cut = n - 10;
	else if (n > 7 && strcmp(name + n - 7, ".sha256") == 0)
		cut = n - 7;
	else
		return false;
	if (cut >= vsz)
		return false;
	memcpy(version, name, cut);
	version[cut] = '\0';
	return true;
}

/* one product's build, phase by phase (build_product) */
struct pbuild {
	struct store *s;
	const char *product;
	char *pdir;
	const struct fpindex_build_opts *o;
	struct fpindex_build_stats *stats;
	char *err;
	size_t errsz;
	struct product_meta meta;
	struct vinfo_ctx vctx;
	struct bset *sets; /* sorted by version */
	size_t nsets;
	struct fpindex *idx;          /* the catalogue before the build */
	const struct fp_product *oldp; /* the product in it, or NULL */
	bool any_change, removed;
	struct build b;
};

/* phase 1: product.yaml and versions.tsv, both optional */
static int
pbuild_read_meta(struct pbuild *pb)
{
	char *path = xasprintf("%s/product.yaml", pb->pdir), *data = NULL;
	size_t len;
	int r;

	/* a bundle's is read leniently (doc/fleet.md), a directory's strictly */
	r = product_meta_parse(path, pb->o->source_kind && strcmp(pb->o->source_kind, "bundle") == 0,
			       &pb->meta, pb->err, pb->errsz);
	free(path);
	if (r < 0)
		return r;
	path = xasprintf("%s/versions.tsv", pb->pdir);
	r = read_file_maybe_gz(path, META_MAX_BYTES, &data, &len, NULL);
	if (r == 0)
		r = fpset_parse_versions(data, len, path, vinfo_add, &pb->vctx, pb->err, pb->errsz);
	else if (r == -ENOENT)
		r = 0;
	else
		snprintf(pb->err, pb->errsz, "%s: %s", path, strerror(-r));
	free(data);
	free(path);
	return r;
}

/* phase 2: the set files of the directory, sorted by version */
static int
pbuild_list_sets(struct pbuild *pb)
{
	DIR *d = opendir(pb->pdir);
	struct dirent *de;
	size_t i;
	int r = 0;

	if (d == NULL) {
		snprintf(pb->err, pb->errsz, "%s: %s", pb->pdir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		char version[128];
		struct bset *bs;

		if (!is_set_file(de->d_name, version, sizeof(version)))
			continue;
		if (fpset_check_version(version) < 0) {
			log_warnx("index: %s/%s: not a valid version name, skipped", pb->pdir,
				  esc_name(de->d_name));
			continue;
		}
		for (i = 0; i < pb->nsets; i++)
			if (strcmp(pb->sets[i].version, version) == 0)
				break;
		if (i < pb->nsets) {
			snprintf(pb->err, pb->errsz, "%s: both %s.sha256 and %s.sha256.gz exist", pb->pdir,
				 version, version);
			r = -EINVAL;
			break;
		}
		pb->sets = xreallocarray(pb->sets, pb->nsets + 1, sizeof(*pb->sets));
		bs = &pb->sets[pb->nsets++];
		memset(bs, 0, sizeof(*bs));
		bs->version = xstrdup(version);
		bs->file = xasprintf("%s/%s", pb->pdir, de->d_name);
	}
	closedir(d);
	if (r == 0 && pb->nsets > 1)
		qsort(pb->sets, pb->nsets, sizeof(*pb->sets), cmp_bset);
	return r;
}

static void
set_read_error(struct pbuild *pb, const struct bset *bs, int r)
{
	snprintf(pb->err, pb->errsz, "%s: %s", bs->file,
		 r == -EBADMSG ? "corrupt or truncated gzip data" : strerror(-r));
}

/* phase 3: which sets changed since they were indexed? Only a set indexed
 * before is read here (to compare its SHA-256); a new one, or every one with
 * force, is read once, when it is indexed. */
static int
pbuild_find_changes(struct pbuild *pb)
{
	sqlite3_stmt *q;
	size_t i;
	int r;

	if ((r = fpindex_load(pb->s, &pb->idx)) < 0)
		return r;
	pb->oldp = fpindex_product_by_name(pb->idx, pb->product);
	for (i = 0; i < pb->nsets; i++) {
		struct bset *bs = &pb->sets[i];
		char *tmp = NULL;
		size_t tl;

		bs->changed = true;
		if (pb->oldp == NULL || (bs->old = fp_product_find_version(pb->oldp, bs->version)) == NULL ||
		    pb->o->force)
			continue;
		if ((r = read_file_maybe_gz(bs->file, SET_MAX_BYTES, &tmp, &tl, bs->sha)) < 0) {
			set_read_error(pb, bs, r);
			return r;
		}
		free(tmp);
		bs->hashed = true;
		if ((q = store_prepare(pb->s, "SELECT source_sha256 FROM versions WHERE id=?")) == NULL)
			return -EIO;
		sqlite3_bind_int64(q, 1, bs->old->id);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == SHA256_LEN &&
		    memcmp(sqlite3_column_blob(q, 0), bs->sha, SHA256_LEN) == 0)
			bs->changed = false;
		sqlite3_finalize(q);
	}
	for (i = 0; i < pb->nsets; i++)
		pb->any_change |= pb->sets[i].changed;
	return 0;
}

/* phase 4: the product's row (product.yaml's fields kept when it has none);
 * its id into pb->b.product_id */
static int
pbuild_upsert_product(struct pbuild *pb)
{
	sqlite3_stmt *st;

	st = store_prepare(pb->s, "INSERT INTO products(name, kind, version_file, version_pattern, upload_dirs, "
				  "staging_dirs) VALUES(?1, coalesce(?2, 'core'), ?3, ?4, ?5, ?6) ON CONFLICT(name) DO "
				  "UPDATE SET kind=coalesce(?2, kind), version_file=coalesce(?3, version_file), "
				  "version_pattern=coalesce(?4, version_pattern), upload_dirs=coalesce(?5, upload_dirs), "
				  "staging_dirs=coalesce(?6, staging_dirs)");
	if (st == NULL)
		return -EIO;
	sqlite3_bind_text(st, 1, pb->product, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pb->meta.kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pb->meta.version_file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pb->meta.version_pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pb->meta.upload_dirs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, pb->meta.staging_dirs, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return -EIO;
	}
	sqlite3_finalize(st);
	st = store_prepare(pb->s, "SELECT id FROM products WHERE name=?");
	if (st == NULL)
		return -EIO;
	sqlite3_bind_text(st, 1, pb->product, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -EIO;
	}
	pb->b.product_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* the in-memory entries of the product (struct build) */
static int
pbuild_open_entries(struct pbuild *pb)
{
	struct build *b = &pb->b;

	b->s = pb->s;
	b->product = pb->product;
	b->err = pb->err;
	b->errsz = pb->errsz;
	hmap_init(&b->paths);
	hmap_init(&b->hashes);
	hmap_init(&b->entries);
	b->st_hash_get = store_prepare(pb->s, "SELECT id FROM hashes WHERE sha256=?");
	b->st_hash_ins = store_prepare(pb->s, "INSERT INTO hashes(sha256) VALUES(?)");
	b->st_path_ins = store_prepare(pb->s, "INSERT INTO paths(product_id, relpath) VALUES(?, ?)");
	if (!b->st_hash_get || !b->st_hash_ins || !b->st_path_ins)
		return -EIO;
	return build_load_existing(b);
}

/* phase 5a: versions whose set file is gone from this directory. Only what
 * the same kind of source brought: a bundle prunes what an earlier bundle
 * brought, a directory what came from that directory. */
static void
pbuild_prune(struct pbuild *pb)
{
	const struct fpindex_build_opts *o = pb->o;
	size_t i, k;

	for (i = 0; pb->oldp && i < pb->oldp->nversions; i++) {
		const struct fp_version *v = &pb->oldp->versions[i];
		sqlite3_stmt *st;

		for (k = 0; k < pb->nsets; k++)
			if (strcmp(pb->sets[k].version, v->version) == 0)
				break;
		if (k < pb->nsets)
			continue;
		if (o->source_kind ? v->source_kind == NULL || strcmp(v->source_kind, o->source_kind) != 0
				   : v->source == NULL || strncmp(v->source, pb->pdir, strlen(pb->pdir)) != 0)
			continue;
		build_clear_slot(&pb->b, v->slot);
		st = store_prepare(pb->s, "DELETE FROM versions WHERE id=?");
		sqlite3_bind_int64(st, 1, v->id);
		sqlite3_step(st);
		sqlite3_finalize(st);
		pb->stats->sets_removed++;
		pb->removed = true;
		log_info("index: %s %s: set file gone, removed", pb->product, v->version);
	}
}

/* the versions row of a set just indexed */
static int
pbuild_version_row(struct pbuild *pb, const struct bset *bs)
{
	const struct fpindex_build_opts *o = pb->o;
	sqlite3_stmt *st;
	int r = 0;

	st = store_prepare(pb->s, "INSERT INTO versions(product_id, slot, version, nfiles, source, "
				  "source_kind, source_sha256, indexed_at) VALUES(?1, ?2, ?3, ?4, ?5, "
				  "?8, ?6, ?7) ON CONFLICT(product_id, version) DO UPDATE SET "
				  "nfiles=?4, source=?5, source_sha256=?6, indexed_at=?7, source_kind=?8");
	if (st == NULL)
		return -EIO;
	sqlite3_bind_int64(st, 1, pb->b.product_id);
	sqlite3_bind_int64(st, 2, bs->slot);
	sqlite3_bind_text(st, 3, bs->version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, pb->b.nfiles);
	if (o->source_label) {
		const char *base = strrchr(bs->file, '/');

		sqlite3_bind_text(st, 5, xasprintf("%s%s/%s", o->source_label, pb->product,
						   base ? base + 1 : bs->file), -1, free);
	} else {
		sqlite3_bind_text(st, 5, bs->file, -1, SQLITE_STATIC);
	}
	sqlite3_bind_blob(st, 6, bs->sha, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now_unix());
	sqlite3_bind_text(st, 8, o->source_kind ? o->source_kind : "set", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(st);
	return r;
}

/* phase 5b: one changed set into the entries, read (and hashed) once */
static int
pbuild_index_set(struct pbuild *pb, struct bset *bs, uint32_t *next_slot)
{
	char *text = NULL;
	size_t tl;
	int r;

	if (bs->old) {
		bs->slot = bs->old->slot;
		build_clear_slot(&pb->b, bs->slot);
	} else {
		if (*next_slot > SLOTSET_MAX_SLOT) {
			snprintf(pb->err, pb->errsz, "%s: more than %u versions", pb->product, SLOTSET_MAX_SLOT + 1);
			return -ERANGE;
		}
		bs->slot = (*next_slot)++;
	}
	if ((r = read_file_maybe_gz(bs->file, SET_MAX_BYTES, &text, &tl, bs->hashed ? NULL : bs->sha)) < 0) {
		set_read_error(pb, bs, r);
		return r;
	}
	pb->b.slot = bs->slot;
	pb->b.nfiles = 0;
	pb->b.setname = bs->file;
	r = fpset_parse(text, tl, bs->file, build_line, &pb->b, pb->err, pb->errsz);
	free(text);
	if (r < 0) {
		if (r != -EINVAL && pb->err[0] == '\0')
			snprintf(pb->err, pb->errsz, "%s: %s", bs->file, strerror(-r));
		return r;
	}
	pb->stats->lines += pb->b.nfiles;
	pb->stats->sets_indexed++;
	if ((r = pbuild_version_row(pb, bs)) < 0)
		return r;
	if (pb->o->progress)
		fprintf(stderr, "\r  %s %-12s %6u files", pb->product, bs->version, pb->b.nfiles);
	return 0;
}

/* phase 5: prune, index what changed, write the entries that changed */
static int
pbuild_apply(struct pbuild *pb)
{
	uint32_t next_slot = pb->oldp ? pb->oldp->nslots : 0;
	size_t i;
	int r;

	if ((r = pbuild_open_entries(pb)) < 0)
		return r;
	if (pb->o->prune)
		pbuild_prune(pb);
	for (i = 0; i < pb->nsets; i++)
		if (pb->sets[i].changed && (r = pbuild_index_set(pb, &pb->sets[i], &next_slot)) < 0)
			return r;
	if (pb->o->progress)
		fprintf(stderr, "\r%60s\r", "");
	if ((r = build_write_entries(&pb->b)) < 0)
		return r;
	if (pb->o->prune)
		store_exec(pb->s, "DELETE FROM paths WHERE NOT EXISTS (SELECT 1 FROM entries e "
				  "WHERE e.path_id=paths.id)");
	return 0;
}

/* phase 6: release metadata (versions.tsv), refreshed every time: it is cheap */
static int
pbuild_release_meta(struct pbuild *pb)
{
	sqlite3_stmt *st;
	struct hmap_slot *hs;
	int r = 0;

	st = store_prepare(pb->s, "UPDATE versions SET tag=?1, released=?2 WHERE product_id=?3 AND version=?4");
	if (st == NULL)
		return -EIO;
	hmap_foreach(&pb->vctx.map, hs) {
		struct vinfo *x = hs->val;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, x->tag, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, x->released, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, pb->b.product_id);
		sqlite3_bind_text(st, 4, hs->key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			r = -EIO;
			break;
		}
	}
	sqlite3_finalize(st);
	return r;
}

/* phase 7: ranks in version order and the number of slots, from the
 * catalogue as it is now */
static int
pbuild_ranks(struct pbuild *pb)
{
	struct fpindex *nidx = NULL;
	const struct fp_product *np;
	sqlite3_stmt *st;
	size_t i;
	int r;

	if ((r = fpindex_load(pb->s, &nidx)) < 0)
		return r;
	np = fpindex_product_by_name(nidx, pb->product);
	st = store_prepare(pb->s, "UPDATE versions SET rank=? WHERE id=?");
	for (i = 0; np && st && i < np->nversions; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, np->versions[i].rank);
		sqlite3_bind_int64(st, 2, np->versions[i].id);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	st = store_prepare(pb->s, "UPDATE products SET nslots=? WHERE id=?");
	if (st && np) {
		sqlite3_bind_int64(st, 1, np->nslots);
		sqlite3_bind_int64(st, 2, np->id);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	fpindex_free(nidx);
	return 0;
}

/* phases 4 to 7, in one transaction (or in the caller's, when o->in_txn: a
 * failure then rolls back the caller's whole import) */
static int
pbuild_write(struct pbuild *pb)
{
	bool in_tx = false;
	int r;

	if (!pb->o->in_txn) {
		if ((r = store_begin(pb->s)) < 0)
			return r;
		in_tx = true;
	}
	if ((r = pbuild_upsert_product(pb)) < 0 ||
	    ((pb->any_change || pb->o->prune) && (r = pbuild_apply(pb)) < 0) ||
	    (r = pbuild_release_meta(pb)) < 0 || (r = pbuild_ranks(pb)) < 0)
		goto out;
	/* a running daemon compares this in each of its transactions: it loads
	 * the catalogue again in the same snapshot as the new entries */
	if ((pb->any_change || pb->removed) &&
	    store_exec(pb->s, "INSERT INTO meta(key, value) VALUES('index_generation', 1) ON CONFLICT(key) "
			      "DO UPDATE SET value=CAST(value AS INTEGER) + 1") < 0) {
		r = -EIO;
		goto out;
	}
	if (in_tx) {
		r = store_commit(pb->s);
		in_tx = false;
	}
out:
	if (in_tx)
		store_rollback(pb->s);
	return r;
}

static int
build_product(struct store *s, const char *dir, const char *product,
	      const struct fpindex_build_opts *o, struct fpindex_build_stats *stats,
	      char *err, size_t errsz)
{
	struct pbuild pb = {
		.s = s, .product = product, .o = o, .stats = stats, .err = err, .errsz = errsz,
	};
	size_t i;
	int r;

	pb.pdir = xasprintf("%s/%s", dir, product);
	hmap_init(&pb.vctx.map);
	if ((r = pbuild_read_meta(&pb)) < 0 || (r = pbuild_list_sets(&pb)) < 0)
		goto out;
	stats->sets_seen += (unsigned)pb.nsets;
	if (pb.nsets == 0) {
		log_info("index: %s: no fingerprint sets, skipped", pb.pdir);
		goto out;
	}
	if ((r = pbuild_find_changes(&pb)) < 0 || (r = pbuild_write(&pb)) < 0)
		goto out;
	for (i = 0; i < pb.nsets; i++)
		if (!pb.sets[i].changed)
			stats->sets_unchanged++;
	stats->products++;
out:
	if (r < 0 && err[0] == '\0')
		snprintf(err, errsz, "index: %s: %s", product, strerror(-r));
	if (pb.b.s)
		build_free(&pb.b);
	for (i = 0; i < pb.nsets; i++) {
		free(pb.sets[i].version);
		free(pb.sets[i].file);
	}
	free(pb.sets);
	fpindex_free(pb.idx);
	vinfo_free(&pb.vctx);
	product_meta_free(&pb.meta);
	free(pb.pdir);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fpindex_build(struct store *s, const struct fpindex_build_opts *o,
	      struct fpindex_build_stats *stats, char *err, size_t errsz)
{
	size_t i, j;
	int r = 0;

	memset(stats, 0, sizeof(*stats));
	err[0] = '\0';
	for (i = 0; i < o->ndirs && r == 0; i++) {
		DIR *d = opendir(o->dirs[i]);
		struct dirent *de;
		char **names = NULL;
		size_t n = 0;

		if (d == NULL) {
			snprintf(err, errsz, "%s: %s", o->dirs[i], strerror(errno));
			return -errno;
		}
		while ((de = readdir(d)) != NULL) {
			char *p;
			struct stat st;

			if (de->d_name[0] == '.')
				continue;
			if (o->product && strcmp(o->product, de->d_name) != 0)
				continue;
			p = xasprintf("%s/%s", o->dirs[i], de->d_name);
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				free(p);
				continue;
			}
			free(p);
			if (fpset_check_product(de->d_name) < 0) {
				log_warnx("index: %s/%s: not a valid product name ([a-z0-9._-]), skipped",
					  o->dirs[i], esc_name(de->d_name));
				continue;
			}
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
		closedir(d);
		if (n > 1) /* names is NULL when the directory had none */
			qsort(names, n, sizeof(*names), cmp_str);
		for (j = 0; j < n; j++) {
			if (r == 0)
				r = build_product(s, o->dirs[i], names[j], o, stats, err, errsz);
			free(names[j]);
		}
		free(names);
	}
	if (r == 0) {
		char serial[32];

		snprintf(serial, sizeof(serial), "%lld", (long long)now_unix());
		store_meta_set(s, "index_built_at", serial);
	}
	return r;
}


/* ---- writing sets back out of the index (bundles) ---- */

struct xentry {
	const char *path; /* owned by xctx.paths */
	size_t plen;
	uint8_t sha[SHA256_LEN];
};

struct xctx {
	const struct fp_product *p;
	struct hmap paths; /* path id -> copy of the path */
	struct xentry *e;
	size_t n, ecap;
	uint32_t **by_slot; /* per slot: entry indices */
	size_t *nby_slot, *cap_slot;
};

static int
xcollect(void *ud, int64_t path_id, const char *relpath, size_t rlen, const uint8_t sha[SHA256_LEN],
	 const uint8_t *slots, size_t slen)
{
	struct xctx *c = ud;
	struct slotset_iter it;
	uint32_t a, b, k;
	void **v = hmap_put(&c->paths, &path_id, sizeof(path_id), NULL);
	struct xentry *x;

	if (*v == NULL)
		*v = xstrndup(relpath, rlen);
	if (c->n >= (size_t)UINT32_MAX)
		return -ERANGE;
	if (c->n == c->ecap) {
		c->ecap = c->ecap ? 2 * c->ecap : 4096;
		c->e = xreallocarray(c->e, c->ecap, sizeof(*c->e));
	}
	x = &c->e[c->n];
	x->path = *v;
	x->plen = rlen;
	memcpy(x->sha, sha, SHA256_LEN);
	slotset_iter_init(&it, slots, slen);
	while (slotset_iter_next(&it, &a, &b) > 0) {
		for (k = a; k < b && k < c->p->nslots; k++) {
			if (c->nby_slot[k] == c->cap_slot[k]) {
				c->cap_slot[k] = c->cap_slot[k] ? 2 * c->cap_slot[k] : 256;
				c->by_slot[k] = xreallocarray(c->by_slot[k], c->cap_slot[k],
							      sizeof(uint32_t));
			}
			c->by_slot[k][c->nby_slot[k]++] = (uint32_t)c->n;
		}
	}
	c->n++;
	return 0;
}

/* qsort_r: entry indices by path, then content (ud: the struct xctx) */
static int
cmp_xentry(const void *a, const void *b, void *ud)
{
	const struct xctx *ctx = ud;
	const struct xentry *x = &ctx->e[*(const uint32_t *)a];
	const struct xentry *y = &ctx->e[*(const uint32_t *)b];
	int c = bytes_cmp(x->path, x->plen, y->path, y->plen);

	return c ? c : memcmp(x->sha, y->sha, SHA256_LEN);
}

int
fpindex_export_product(struct store *s, const struct fp_product *p, fpindex_set_fn fn, void *ud)
{
	struct xctx c;
	struct hmap_slot *hs;
	struct buf text;
	size_t i, k;
	uint32_t nfiles;
	int r;

	memset(&c, 0, sizeof(c));
	c.p = p;
	hmap_init(&c.paths);
	c.by_slot = xcalloc(p->nslots ? p->nslots : 1, sizeof(*c.by_slot));
	c.nby_slot = xcalloc(p->nslots ? p->nslots : 1, sizeof(*c.nby_slot));
	c.cap_slot = xcalloc(p->nslots ? p->nslots : 1, sizeof(*c.cap_slot));
	buf_init(&text, SIZE_MAX / 2);
	r = fpindex_product_entries(s, p->id, xcollect, &c);
	for (i = 0; r == 0 && i < p->nversions; i++) {
		const struct fp_version *v = &p->versions[i];
		uint32_t *ix = v->slot < p->nslots ? c.by_slot[v->slot] : NULL;
		size_t n = v->slot < p->nslots ? c.nby_slot[v->slot] : 0;

		/* sha256sum order: bytewise by path */
		if (n)
			qsort_r(ix, n, sizeof(*ix), cmp_xentry, &c);
		buf_reset(&text);
		nfiles = 0;
		for (k = 0; k < n && r == 0; k++) {
			const struct xentry *x = &c.e[ix[k]], *prev = k ? &c.e[ix[k - 1]] : NULL;

			/* alternatives of one path count as one file */
			if (prev == NULL || prev->plen != x->plen || memcmp(prev->path, x->path, x->plen) != 0)
				nfiles++;
			r = fpset_format_line(&text, x->sha, x->path, x->plen);
		}
		if (r == 0)
			r = fn(ud, v, text.data ? text.data : "", text.len, nfiles);
	}
	for (i = 0; i < p->nslots; i++)
		free(c.by_slot[i]);
	free(c.by_slot);
	free(c.nby_slot);
	free(c.cap_slot);
	hmap_foreach(&c.paths, hs)
		free(hs->val);
	hmap_free(&c.paths);
	free(c.e);
	buf_free(&text);
	return r;
}

static void
yaml_kv(struct buf *out, const char *key, const char *val)
{
	const char *q;

	if (val == NULL)
		return;
	buf_printf(out, "%s: \"", key);
	for (q = val; *q; q++) {
		if (*q == '\\' || *q == '"')
			buf_putc(out, '\\');
		buf_putc(out, *q);
	}
	buf_puts(out, "\"\n");
}

void
fpindex_product_yaml(const struct fp_product *p, bool compat, struct buf *out, const char **ret_left)
{
	buf_printf(out, "# %s, as indexed\n", p->name);
	yaml_kv(out, "kind", p->kind);
	yaml_kv(out, "version_file", p->version_file);
	yaml_kv(out, "version_pattern", p->version_pattern);
	yaml_kv(out, "upload_dirs", p->upload_dirs);
	/* optional keys (meta_keys): older nodes refuse what they do not know */
	if (!compat)
		yaml_kv(out, "staging_dirs", p->staging_dirs);
	if (ret_left)
		*ret_left = compat && p->staging_dirs ? "staging_dirs" : NULL;
}

void
fpindex_versions_tsv(const struct fp_product *p, struct buf *out)
{
	size_t i;

	buf_puts(out, "version\ttag\treleased\tfiles\n");
	for (i = 0; i < p->nversions; i++) {
		const struct fp_version *v = &p->versions[i];

		buf_printf(out, "%s\t%s\t%s\t%u\n", v->version, v->tag ? v->tag : "",
			   v->released ? v->released : "", v->nfiles);
	}
}
