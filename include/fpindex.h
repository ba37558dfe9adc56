/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fingerprint index: fingerprint sets (fpset.h) of products' releases turned
 * into SQLite tables (schema in store.c) and looked up by hash or by path.
 *
 * Layout of a fingerprint directory:
 *   <dir>/<product>/<version>.sha256 | <version>.sha256.gz   one set per release
 *   <dir>/<product>/versions.tsv     version, tag, release date, files (optional)
 *   <dir>/<product>/product.yaml     kind, version_file, version_pattern,
 *                                    upload_dirs (optional)
 * A product is only its sets: no product-specific code anywhere. */
#ifndef WSID_FPINDEX_H
#define WSID_FPINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

struct fp_version {
	int64_t id;
	uint32_t slot;
	char *version;
	int rank; /* 0 = oldest, by version_cmp */
	char *tag;
	char *released;
	uint32_t nfiles;
	char *source;
	char *source_kind;
};

struct fp_product {
	int64_t id;
	char *name;
	char *kind;
	char *version_file;    /* relpath holding a version claim, or NULL */
	char *version_pattern; /* POSIX ERE; group 1 is the version, or NULL */
	char *upload_dirs;     /* comma-separated relpaths, or NULL */
	char *staging_dirs;    /* where its updater unpacks releases: comma-separated, or NULL */
	uint32_t nslots;
	struct fp_version **by_slot; /* nslots entries; NULL where a slot is free */
	struct fp_version *versions; /* sorted by rank (oldest first) */
	size_t nversions;
	struct fp_version **by_name; /* nversions entries, sorted by strcmp of version */
};

/* The product/version catalogue, loaded into memory (small: one row per
 * release). Lives until fpindex_free(). */
struct fpindex {
	struct fp_product *products;
	size_t nproducts;
};

int fpindex_load(struct store *s, struct fpindex **ret);
void fpindex_free(struct fpindex *idx);
const struct fp_product *fpindex_product(const struct fpindex *idx, int64_t id);
const struct fp_product *fpindex_product_by_name(const struct fpindex *idx, const char *name);
const struct fp_version *fp_product_version(const struct fp_product *p, uint32_t slot);
const struct fp_version *fp_product_find_version(const struct fp_product *p, const char *v);
/* newest release overall */
const struct fp_version *fp_product_latest(const struct fp_product *p);

/* ---- the build side (fpbuild.c): wsidctl's, never linked by the daemon ---- */

struct fpindex_build_opts {
	const char *const *dirs;
	size_t ndirs;
	const char *product; /* only this product, or NULL for all */
	bool force;          /* re-index every set even if unchanged */
	bool prune;          /* drop versions whose set file disappeared from dirs */
	bool progress;       /* print progress on stderr (terminal) */
	bool in_txn;         /* the caller holds a transaction: all or nothing */
	const char *source_kind;  /* recorded per version ("set" when NULL); with
				   * prune, versions of this kind not in dirs go */
	const char *source_label; /* recorded as "<label><product>/<file>" instead
				   * of the set file's path */
};

struct fpindex_build_stats {
	unsigned products;
	unsigned sets_seen;
	unsigned sets_indexed;
	unsigned sets_unchanged;
	unsigned sets_removed;
	uint64_t lines;
};

/* Builds or refreshes the index from fingerprint directories. Only sets whose
 * file content changed are redone. Each product is one transaction. */
int fpindex_build(struct store *s, const struct fpindex_build_opts *o,
		  struct fpindex_build_stats *st, char *err, size_t errsz);

/* ---- the read side (fpindex.c) ---- */

struct fpindex_stats {
	uint64_t products, versions, files, hashes, paths, entries, db_bytes;
};
int fpindex_stats(struct store *s, struct fpindex_stats *ret);

/* Per-thread read-only lookups (own SQLite connection). */
struct fpindex_lookup;
int fpindex_lookup_open(const char *dbpath, struct fpindex_lookup **ret, char *err, size_t errsz);
void fpindex_lookup_free(struct fpindex_lookup *l);
/* Lookups on a connection the caller owns (the daemon's, inside its write
 * transactions: no read transaction of their own to set up). */
int fpindex_lookup_on(struct store *s, struct fpindex_lookup **ret);
/* Holds one read transaction across lookups (a scan: saves the per-query lock
 * and WAL snapshot set-up, ~15 % of a scan) or releases it. A long-lived
 * process must not hold it: it pins the WAL. */
int fpindex_lookup_hold(struct fpindex_lookup *l, bool hold);
/* Calls fn for every (product, relpath, versions) that ships this content. The
 * pointers live during the callback only; fn may be NULL to count. Returns the
 * number of matches. */
typedef int (*fpindex_match_fn)(void *ud, int64_t product_id, int64_t path_id, const char *relpath,
				size_t rlen, const uint8_t *slots, size_t slen);
int fpindex_lookup_hash(struct fpindex_lookup *l, const uint8_t sha256[SHA256_LEN],
			fpindex_match_fn fn, void *ud);

/* Every content the index holds at one path of a product: fn is called with
 * its SHA-256 (NULL when the stored one is malformed) and the slot set of the
 * versions shipping it (pointers valid during the call). Returns the number
 * of entries, or a negative errno. */
typedef void (*fpindex_path_fn)(void *ud, const uint8_t *sha256, const uint8_t *slots, size_t slen);
int fpindex_lookup_path(struct fpindex_lookup *l, int64_t product_id, const char *relpath, size_t rlen,
			fpindex_path_fn fn, void *ud);
/* Does any release of any product ship this content? false also when the
 * index cannot be read. */
bool fpindex_lookup_known(struct fpindex_lookup *l, const uint8_t sha256[SHA256_LEN]);
/* ---- the filter: "certainly not in the index" without SQLite ----
 *
 * The 64-bit prefixes of every content the index holds and keyed 64-bit
 * hashes of every (product, relpath) it holds, each a sorted array (8 bytes
 * an entry). A miss is certain; a hit may be a collision and is
 * asked of SQLite. A filter describes the snapshot it was built in: whoever
 * holds one builds it again when the index generation changes. */
struct fpindex_filter;
/* Reads the index's contents and paths on s (one read each). At most max
 * entries (contents and paths together): -E2BIG beyond, no filter. *ret is
 * freed with fpindex_filter_free. */
int fpindex_filter_build(struct store *s, size_t max, struct fpindex_filter **ret);
void fpindex_filter_free(struct fpindex_filter *f);
/* false: no release of any product ships this content */
bool fpindex_filter_maybe_known(const struct fpindex_filter *f, const uint8_t sha256[SHA256_LEN]);
/* false: the index holds no content at this path of this product */
bool fpindex_filter_maybe_path(const struct fpindex_filter *f, int64_t product_id, const char *relpath,
			       size_t rlen);
/* entries (contents, paths) and the bytes they take */
void fpindex_filter_size(const struct fpindex_filter *f, size_t *ret_known, size_t *ret_paths,
			 size_t *ret_bytes);
/* fpindex_lookup_known and fpindex_lookup_path ask f first; l takes f (freed
 * with l, or by the next call; NULL drops it). f must describe the snapshot
 * l reads. */
void fpindex_lookup_set_filter(struct fpindex_lookup *l, struct fpindex_filter *f);
/* the filter l asks first, NULL when none */
const struct fpindex_filter *fpindex_lookup_filter(const struct fpindex_lookup *l);
/* fpindex_lookup_known and fpindex_lookup_path calls SQLite answered (the
 * filter's misses are not counted) since l was made */
uint64_t fpindex_lookup_asked(const struct fpindex_lookup *l);

/* The index's generation (meta index_generation): changed by every build or
 * import, 0 before the first. The daemon reads it at the start of each of its
 * transactions to follow an index changed under it. */
int64_t fpindex_generation(struct store *s);
/* Every (relpath, hash) entry of a product, with its slot set. */
typedef int (*fpindex_entry_fn)(void *ud, int64_t path_id, const char *relpath, size_t rlen,
				const uint8_t sha256[SHA256_LEN], const uint8_t *slots, size_t slen);
int fpindex_product_entries(struct store *s, int64_t product_id, fpindex_entry_fn fn, void *ud);
/* The files of a product's release: each path (relpath non-NULL: that one
 * only, else all of them by path) with each hash whose slot set holds that
 * version. A callback returning non-zero stops the walk with that value. */
typedef int (*fpindex_release_fn)(void *ud, const char *relpath, size_t rlen,
				  const uint8_t sha256[SHA256_LEN]);
int fpindex_release_files(struct store *s, const char *product, const char *version, const char *relpath,
			  fpindex_release_fn fn, void *ud);
/* The versions of a product by name, as the index stores them. */
typedef int (*fpindex_version_fn)(void *ud, const char *version);
int fpindex_versions_of(struct store *s, const char *product, fpindex_version_fn fn, void *ud);

/* ---- the build side again (fpbuild.c) ---- */

/* A product's sets written back out of the index (bundles): fn is called once
 * per version, oldest first, with the set's text in sha256sum format sorted
 * bytewise by path, and its number of files (alternative contents of a path
 * are lines of their own, one file). */
typedef int (*fpindex_set_fn)(void *ud, const struct fp_version *v, const char *text, size_t len,
			      uint32_t nfiles);
int fpindex_export_product(struct store *s, const struct fp_product *p, fpindex_set_fn fn, void *ud);
/* product.yaml and versions.tsv of a product, as the index holds them;
 * compat: only the base keys every wsid that imports bundles knows, the
 * optional ones left out (*ret_left, may be NULL: the first one left out, or
 * NULL; doc/fleet.md) */
void fpindex_product_yaml(const struct fp_product *p, bool compat, struct buf *out, const char **ret_left);
void fpindex_versions_tsv(const struct fp_product *p, struct buf *out);

/* Reads a whole (optionally gzip-compressed) file into memory, at most cap bytes
 * after decompression. *ret is malloc'ed (caller frees), NUL-terminated. */
int read_file_maybe_gz(const char *path, size_t cap, char **ret, size_t *ret_len,
		       uint8_t raw_sha256[SHA256_LEN]);

#endif
