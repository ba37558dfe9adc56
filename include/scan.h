/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scan: walk a tree safely, hash every regular file on all cores, and look each
 * hash up in the fingerprint index. The result (struct scan_tree) feeds the
 * identification (ident.h) and the reports.
 *
 * The walk never follows a symlink, never leaves the scanned root (directories
 * are opened beneath it with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV,
 * so other mounts, bind mounts included, are reported and not entered), never
 * opens a FIFO, socket or device, and keeps going after permission errors. */
#ifndef WSID_SCAN_H
#define WSID_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct scan_file;

struct scan_opts {
	const char *dbpath; /* index to look hashes up in; NULL: hash only */
	unsigned jobs;      /* hashing threads; 0 = number of CPUs */
	uint64_t max_size;  /* files above are reported, not hashed; 0 = no cap */
	bool progress;      /* progress line on stderr */
	bool stat_only;     /* walk and stat, hash nothing (reconcile) */
	/* keep the entries in a temporary file (O_TMPFILE in $TMPDIR, else /tmp)
	 * instead of memory: the walk goes depth first, each directory's entries
	 * sorted, so the tree comes out in path order (scan_tree.sorted), and only
	 * the entries being hashed stay in memory (a window of SCAN_WINDOW chunks).
	 * Not with stat_only. */
	bool spill;
	/* optional: skip entries whose path (relative to the root) matches; the
	 * callback sees directories too (with a trailing '/'), so whole subtrees are
	 * pruned */
	bool (*ignore)(void *ud, const char *relpath, size_t len);
	void *ignore_ud;
	/* optional: work on the content on the hashing workers, while it is in
	 * memory (wsidctl scan's analysis). keep says by name whether a file's
	 * bytes are kept as they are hashed (files of at most keep_max bytes).
	 * content is then called on the worker for every regular file hashed
	 * (HASH_OK), after its index lookup (f->nmatches), with the bytes hashed
	 * or data NULL (not kept); rootfd is the tree's root, to read beneath.
	 * What it leaves in f->note (malloc'd, notelen bytes; freed by scan)
	 * stays with the entry, in a spilled tree's temporary file too. Called
	 * from several threads at once. Not with stat_only. */
	bool (*keep)(void *ud, const char *relpath, size_t len);
	void (*content)(void *ud, const char *root, int rootfd, struct scan_file *f,
			const uint8_t *data, size_t n);
	void *content_ud;
	uint64_t keep_max;
};

/* One index entry that ships this content at a compatible path: the file's
 * relpath minus the entry's relpath is the candidate installation root. */
struct scan_match {
	int64_t product_id;
	int64_t path_id;
	uint32_t root_len; /* bytes of the file's path that form the root ("" = 0) */
	uint16_t slen;
	uint8_t *slots; /* slot set blob (slotset.h) */
};

enum scan_entry_kind {
	SCAN_FILE = 0,
	SCAN_SYMLINK,
	SCAN_SPECIAL,    /* FIFO, socket, device */
	SCAN_DIR_ERROR,  /* directory that could not be read */
	SCAN_MOUNTPOINT, /* another file system: not entered */
	SCAN_KIND_MAX,
};

struct scan_file {
	char *path; /* relative to the scan root; bytes, NUL-terminated */
	uint32_t pathlen;
	uint8_t kind;   /* enum scan_entry_kind */
	uint8_t status; /* enum hash_status, for SCAN_FILE */
	uint16_t nmatches;
	int err;
	uint8_t head; /* SCAN_HEAD_*: what the hashing saw of the content */
	uint64_t size;
	uint64_t ino;
	int64_t mtime_ns, ctime_ns;
	uint32_t mode, uid;
	uint8_t sha256[SHA256_LEN];
	struct scan_match *matches;
	char *link_target; /* SCAN_SYMLINK: where it points (not followed) */
	uint8_t *note;     /* what scan_opts.content left (opaque), notelen bytes */
	uint32_t notelen;
};

/* scan_file.head: the content starts as code does (classify_php_head), or
 * holds a PHP open tag anywhere (hash_result.php_tag) */
#define SCAN_HEAD_CODE 0x1
#define SCAN_HEAD_PHP_TAG 0x2

struct scan_spill;

struct scan_tree {
	char *root; /* as given on the command line */
	int rootfd; /* the directory walked (owned; -1: none): later reads go beneath it */
	struct scan_file **chunks;
	size_t nfiles;
	size_t nchunks;
	/* entries kept in a temporary file (scan_opts.spill); NULL: in chunks */
	struct scan_spill *spill;
	/* the entries are in path order: regular files by their bytes (memcmp,
	 * then length); an unreadable directory or a mount point stands where its
	 * entries would be */
	bool sorted;
	/* scan_opts.content saw every file hashed: the notes say what it found */
	bool content_seen;
	uint64_t bytes_hashed;
	uint64_t ndirs;
	double walk_seconds, total_seconds;
};

#define SCAN_CHUNK 4096
#define SCAN_WINDOW 8 /* chunks in memory while a spilled tree is hashed */

/* entry i of a spilled tree, read back from its file: the pointer (and what it
 * points to) lives until the next scan_file_at() on the same tree; not for use
 * from several threads. Reading forward is cheap, a jump back reads from the
 * nearest of the marks kept every SCAN_SPILL_STRIDE entries. Changes to the
 * entry are not kept. Aborts on a read error of the temporary file. */
struct scan_file *scan_spill_at(const struct scan_tree *t, size_t i);

static inline struct scan_file *
scan_file_at(const struct scan_tree *t, size_t i)
{
	if (t->spill)
		return scan_spill_at(t, i);
	return &t->chunks[i / SCAN_CHUNK][i % SCAN_CHUNK];
}

int scan_tree_run(const char *path, const struct scan_opts *o, struct scan_tree **ret, char *err,
		  size_t errsz);
/* the same from an open directory (borrowed; the tree keeps a duplicate);
 * path only names it in the tree and in messages */
int scan_tree_run_at(int rootfd, const char *path, const struct scan_opts *o,
		     struct scan_tree **ret, char *err, size_t errsz);
/* an empty tree of root (rootfd -1), for trees filled from the stored state
 * (in memory) */
struct scan_tree *scan_tree_new(const char *root);
void scan_tree_free(struct scan_tree *t);
/* Records an index entry for f when relpath is a suffix of its path (at a '/'):
 * the rest of the path is the candidate installation root. *alloc is the
 * capacity of f->matches. Returns 1 when added. */
int scan_file_add_match(struct scan_file *f, size_t *alloc, int64_t product_id, int64_t path_id,
			const char *relpath, size_t rlen, const uint8_t *slots, size_t slen);
const char *scan_kind_name(enum scan_entry_kind k);
struct fpindex_lookup;
/* appends a file known by its hash without reading it (the daemon's stored
 * state), with the index's matches when lk is given */
struct scan_file *scan_tree_add_known(struct scan_tree *t, struct fpindex_lookup *lk,
				      const char *path, size_t len, const uint8_t *sha256,
				      uint64_t size);

/* Reads at most cap bytes of relpath beneath the directory rootfd, safely
 * (for version files and head bytes). Returns bytes read or a negative errno. */
int scan_read_small(int rootfd, const char *relpath, char *out, size_t cap);

#endif
