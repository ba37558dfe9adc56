/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ingest: turn a release (a directory, or a .zip/.tar.* archive read through
 * libarchive without extracting anything) into a fingerprint set
 * <outdir>/<product>/<version>.sha256. Archives usually hold one top folder
 * ("wordpress/", npm's "package/"): it is stripped. Entries that are absolute,
 * contain "..", are symlinks, hard links or devices make the whole ingest fail
 * with a message naming the entry; nothing is written then. */
#ifndef WSID_INGEST_H
#define WSID_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pristine;

#define INGEST_MAX_ENTRIES 1000000
#define INGEST_MAX_BYTES (8ull << 30)

struct ingest_opts {
	const char *product;
	const char *version;
	const char *kind; /* core, plugin, theme, library */
	const char *source;
	const char *outdir;
	bool strip_top;
	const void *data;       /* an archive in memory instead of source (source
				 * then only names it in messages) */
	size_t len;
	const char *expect_top; /* with strip_top: the top folder must be this one */
	struct pristine *store; /* keep each content in the pristine store, or NULL */
};

struct ingest_result {
	char *set_path;     /* malloc'ed */
	size_t files;
	char *stripped_top; /* the folder removed, or NULL */
	size_t skipped;     /* directory entries */
	size_t stored;      /* contents new to the pristine store */
	size_t not_stored;  /* contents the store could not take (over its bound, too large) */
	int store_error;    /* the first reason (negative errno), 0 when none */
};

int ingest_run(const struct ingest_opts *o, struct ingest_result *ret, char *err, size_t errsz);
void ingest_result_free(struct ingest_result *r);

/* Writes a set's text as <outdir>/<product>/<version>.sha256 (atomically) and
 * a product.yaml of the given kind when the product has none yet. */
int ingest_write_set(const char *outdir, const char *product, const char *version, const char *kind,
		     const char *data, size_t len, char **set_path, char *err, size_t errsz);

/* Reads an archive from memory into (path, sha256) pairs; used by ingest_run
 * and by the fuzzer. fn is called per regular file; returns 0 or -errno with
 * err filled. */
typedef int (*ingest_entry_fn)(void *ud, const char *path, size_t len, const uint8_t sha256[32]);
int ingest_archive_mem(const void *data, size_t len, ingest_entry_fn fn, void *ud, char *err,
		       size_t errsz);

#endif
