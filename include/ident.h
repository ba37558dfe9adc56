/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identification: which products are installed where, in which version, by
 * hash votes over a scanned tree (scan.h). Product-independent: a product is
 * only its fingerprint sets.
 *
 * Rules: each file's hash names the (product, version set, relpath) entries it
 * belongs to; the file's path minus relpath names a candidate root; per (root,
 * product) each version gets one vote per file that ships it. Candidates are
 * accepted strongest first, a file counting for one installation per product
 * only (so a nested copy does not create phantom roots), and only when the best
 * version has at least IDENT_MIN_SHARE of its files there. A second version
 * holding a large share of the files the winner does not explain makes the
 * installation "mixed". */
#ifndef WSID_IDENT_H
#define WSID_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fpindex.h"
#include "scan.h"
#include "store.h"

#define IDENT_MIN_SHARE 0.2
#define IDENT_MAX_CANDIDATES 5

enum ident_file_state {
	IDENT_OK = 0,
	IDENT_MODIFIED, /* release path, other content */
	IDENT_MISSING,  /* release path, absent */
	IDENT_ADDED,    /* in the root, in no release of this version */
	IDENT_STATE_MAX,
};

struct ident_file {
	enum ident_file_state state;
	size_t file;          /* position in the tree's path order; SIZE_MAX when missing */
	const char *relpath;  /* for missing files (owned by the result) */
	size_t relpath_len;
	const struct fp_version *known_as; /* content known in this other version */
	uint8_t expected[SHA256_LEN];      /* release hash (ok/modified/missing) */
	bool in_upload_dir;                /* under one of the product's upload_dirs */
};

/* a release directory none of whose files is present */
struct ident_missing_dir {
	char *path;
	size_t files;
};

struct ident_candidate {
	const struct fp_version *version;
	uint32_t matched;
	double confidence;
};

struct installation {
	char *root; /* relative to the scan root; "" is the scan root itself */
	size_t root_len;
	const struct fp_product *product;
	const struct fp_version *version;
	uint32_t matched; /* files of `version` present with its content */
	double confidence; /* matched / files in the release */
	struct ident_candidate candidates[IDENT_MAX_CANDIDATES];
	size_t ncandidates;
	bool mixed;
	const struct fp_version *mixed_with;
	uint32_t mixed_only_best, mixed_only_other;
	size_t counts[IDENT_STATE_MAX];
	/* the installation's files are read again from the tree when listed
	 * (ident_inst_files): here only where they are, positions [lo, hi) of
	 * the tree in path order, and the release's entries not present */
	size_t lo, hi;
	size_t *missing;
	size_t nmissing;
	char *claimed_version; /* from the product's version file, or NULL */
	bool has_version_file;
	int parent; /* index of the enclosing installation, or -1 */
	struct ident_missing_dir *missing_dirs; /* top-most only */
	size_t nmissing_dirs;
};

struct ident_result {
	struct installation *inst;
	size_t ninst;
	void *priv;
};

/* Memory: what is kept per candidate root and per installation, the release
 * entries of the products found, and one bit per file for each product found;
 * nothing per file otherwise (a spilled tree stays in its file). */
int ident_run(struct store *s, const struct fpindex *idx, const struct scan_tree *t,
	      struct ident_result **ret);
/* Calls cb for each file of installation i (of the tree t that r was run on)
 * in state st, in path order. sf is the tree's entry (NULL for a missing
 * file); f and sf live during the call only, and cb must not read the tree
 * (scan_file_at). */
typedef void (*ident_file_cb)(void *ud, const struct ident_file *f, const struct scan_file *sf);
void ident_inst_files(const struct ident_result *r, const struct scan_tree *t, size_t i,
		      enum ident_file_state st, ident_file_cb cb, void *ud);
/* The same for every state in turn (ok, modified, missing, added), in one
 * pass over the installation's files: begin(ud, st) before each state's
 * files, then what ident_inst_files gives for st. Remembers at most
 * 65,536 positions per state (the files of a later state met during the
 * pass), past that a state's rest is found by a pass of its own. */
typedef void (*ident_state_cb)(void *ud, enum ident_file_state st);
void ident_inst_files_all(const struct ident_result *r, const struct scan_tree *t, size_t i,
			  ident_state_cb begin, ident_file_cb cb, void *ud);
void ident_result_free(struct ident_result *r);
const char *ident_state_name(enum ident_file_state s);
/* true for names that are executable code on a web server (php, cgi, .htaccess...) */
bool ident_is_code(const char *name, size_t len);
/* true when relpath lies under one of the comma-separated dirs */
bool ident_in_dirs(const char *dirs, const char *relpath, size_t len);

#endif
