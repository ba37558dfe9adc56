/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state's tables read for reports, over any connection (read-only is
 * enough): wsidctl's verbs and the census thread. state.c writes these
 * tables and holds the daemon's own reads; this module holds what the
 * reports read, so that no report runs SQL of its own on a table
 * (doc/architecture.md, "Where each table's SQL lives"). Every walk hands
 * rows to a callback; the pointers in a row are borrowed for the call, and
 * a callback returning non-zero stops the walk with that value. -EIO when
 * the query fails (sqlite3_errmsg(store_db(s)) says why). */
#ifndef WSID_STATEQUERY_H
#define WSID_STATEQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* installations of the active webspaces: product, kind ("unknown" when
 * none), version */
typedef int (*stateq_inst_fn)(void *ud, const char *product, const char *kind, const char *version);
int stateq_installations_active(struct store *s, stateq_inst_fn fn, void *ud);

/* open findings (as wsidctl events --unacked lists them: standing alone,
 * not acknowledged, verdict neither ok nor ignored) counted by verdict and
 * severity */
typedef int (*stateq_count_fn)(void *ud, const char *verdict, const char *severity, int64_t n);
int stateq_findings_open(struct store *s, stateq_count_fn fn, void *ud);

/* marks (known_bad and trusted together), oldest first (by added_at): mark ("malicious",
 * "trusted"), sha256 (NULL: not 32 bytes), customer ("" = every customer;
 * NULL for malicious marks' ""), note, added_by, added_at (unix), example,
 * source (NULL for trusted) */
struct stateq_mark {
	const char *mark;
	const uint8_t *sha256;
	const char *customer, *note, *added_by;
	int64_t added_at;
	const char *example, *source;
};
typedef int (*stateq_mark_fn)(void *ud, const struct stateq_mark *m);
int stateq_marks(struct store *s, stateq_mark_fn fn, void *ud);
/* the known-bad hashes by hash, with the file each was found as (example) */
typedef int (*stateq_known_bad_fn)(void *ud, const uint8_t sha256[32], const char *example);
int stateq_known_bad(struct store *s, stateq_known_bad_fn fn, void *ud);

/* installations (wsidctl sites): of a customer and a product (NULL: any),
 * ordered by customer, webspace, root */
struct stateq_site {
	const char *customer;
	const char *webspace; /* bytes, wslen */
	size_t wslen;
	const char *root; /* relative to the webspace, rootlen bytes */
	size_t rootlen;
	const char *product, *kind, *version;
	double confidence;
	const char *mixed_with, *claimed_version;
	int64_t identified_at; /* unix */
};
typedef int (*stateq_site_fn)(void *ud, const struct stateq_site *si);
int stateq_sites(struct store *s, const char *customer, const char *product, stateq_site_fn fn,
		 void *ud);
/* every installation, by product (kind passed as stored, may be NULL) */
int stateq_installations(struct store *s, stateq_inst_fn fn, void *ud);
/* how many webspaces are active (0 when unreadable) */
int64_t stateq_webspaces_active(struct store *s);
/* webspaces (only the active ones, or all): id, path (bytes), customer */
typedef int (*stateq_webspace_fn)(void *ud, int64_t id, const char *path, size_t len,
				  const char *customer);
int stateq_webspaces(struct store *s, bool active_only, stateq_webspace_fn fn, void *ud);

/* the files of webspace ws at relpath rel or under it (rl 0: all), by path
 * (wsidctl files), with their installation and the analysis of their content */
struct stateq_file {
	const char *relpath;
	size_t rlen;
	const char *verdict, *known, *status;
	int64_t size, mtime_ns, mode, uid;
	const uint8_t *sha256; /* NULL: none */
	const char *product, *version;
	int64_t updated_at; /* unix */
	const char *customer;
	bool analysed; /* a row in analysis: its verdict, findings, rules */
	int an_verdict;
	const char *an_findings;
	size_t an_flen;
	const char *an_rules;
};
typedef int (*stateq_file_fn)(void *ud, const struct stateq_file *f);
int stateq_files(struct store *s, int64_t ws, const char *rel, size_t rl, stateq_file_fn fn, void *ud);

/* installations as rows, by webspace and root (wsidctl components) */
struct stateq_inst {
	int64_t id, webspace_id;
	const char *root; /* bytes, rootlen */
	size_t rootlen;
	const char *product, *version;
};
typedef int (*stateq_inst_row_fn)(void *ud, const struct stateq_inst *in);
int stateq_installation_rows(struct store *s, stateq_inst_row_fn fn, void *ud);
/* the active webspaces of a customer (NULL: all), by id */
int stateq_webspaces_of(struct store *s, const char *customer, stateq_webspace_fn fn, void *ud);
/* a webspace's files: relpath, what the index knows of it, its installation */
typedef int (*stateq_file_known_fn)(void *ud, const char *relpath, size_t rlen, const char *known,
				    int64_t installation_id);
int stateq_files_known(struct store *s, int64_t ws, stateq_file_known_fn fn, void *ud);

/* the installations of webspace ws, the deepest root first: root (bytes),
 * product, version */
typedef int (*stateq_inst_at_fn)(void *ud, const char *root, size_t rootlen, const char *product,
				 const char *version);
int stateq_installations_of(struct store *s, int64_t ws, stateq_inst_at_fn fn, void *ud);
/* the installation rooted at root in webspace ws (a core first): product and
 * version (malloc'ed), or -ENOENT */
int stateq_installation_at(struct store *s, int64_t ws, const char *root, size_t rootlen,
			   char **ret_product, char **ret_version);

#endif
