/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wsidctl verbs that live outside wsidctl.c, and what they share.
 *
 * mark: the admin teaches the node what a content is. Malicious hashes go on
 * the known-bad list, false positives are marked trusted (for one customer or
 * all); both are recorded with who, when and why, and the running daemon
 * judges again every file with that content at once.
 * sites, report, files, ack: read the database (read-only, beside the
 * daemon: WAL), ack writes one column. */
#ifndef WSID_CTLVERBS_H
#define WSID_CTLVERBS_H

#include <stdbool.h>
#include <stddef.h>

/* exit codes of wsidctl (documented in wsidctl(8) and the README) */
#define EXIT_FINDINGS 1 /* findings above the verb's threshold, or unhealthy */
#define EXIT_USAGE 2
#define EXIT_ERROR 3

#define DEFAULT_LOCAL_FP "/var/lib/wsid/fingerprints"

struct config;
struct ctl_env {
	const struct config *cfg; /* the configuration read, or NULL */
	const char *db;     /* database path */
	const char *socket; /* control socket of the daemon */
	bool json;
	bool color;         /* stdout is a terminal and NO_COLOR is not set */
};

/* argv[0] is the verb; each returns the process exit code */
int ctl_mark(int argc, char **argv, const struct ctl_env *env);
int ctl_sites(int argc, char **argv, const struct ctl_env *env);
int ctl_report(int argc, char **argv, const struct ctl_env *env);
int ctl_files(int argc, char **argv, const struct ctl_env *env);
int ctl_ack(int argc, char **argv, const struct ctl_env *env);
int ctl_outbox(int argc, char **argv, const struct ctl_env *env);
int ctl_notify(int argc, char **argv, const struct ctl_env *env);

/* index keygen|export|import|import-checksums, signed known-bad bundles
 * (ctlbundle.c; the format is in bundle.h) */
int ctl_index_keygen(int argc, char **argv, const struct ctl_env *env);
int ctl_index_export(int argc, char **argv, const struct ctl_env *env);
int ctl_index_import(int argc, char **argv, const struct ctl_env *env);
int ctl_index_import_checksums(int argc, char **argv, const struct ctl_env *env);
int ctl_known_bad_export(const struct ctl_env *env, const char *keyfile, const char *out);
int ctl_known_bad_import(const struct ctl_env *env, const char *path);
bool ctl_is_bundle(const char *path);
/* who acts: the admin behind sudo, else the user running wsidctl */
void ctl_who(char *out, size_t sz);
/* asks a running daemon to load the index again */
void ctl_tell_index_changed(const char *socket);

/* the daemon's stored state of an absolute path in a webspace, as a scan
 * tree (nothing is read from the disk); -ENOENT when no webspace holds it */
struct store;
struct scan_tree;
int ctl_tree_from_state(struct store *s, const char *path, struct scan_tree **ret);

/* the update state of an installed version among a product's releases */
struct release_state {
	const char *state;       /* latest, latest-in-branch, outdated, unknown */
	const char *latest;      /* newest stable release */
	const char *branch_latest; /* newest stable release of its branch */
	int behind;              /* stable releases newer than it */
};
/* versions: the product's releases, any order; prerelease names (alpha, beta,
 * rc) never count as newer */
void release_state_of(const char *const *versions, int nversions, const char *version,
		      struct release_state *out);

/* the products' release lists from the index, each loaded once */
struct releases {
	char *product;
	char **v;
	int n;
};
struct release_cache {
	struct releases *p;
	size_t n;
	struct store *s;
	struct sqlite3_stmt *q_listed;
};
void release_cache_init(struct release_cache *c, struct store *s);
/* product's releases: those the index knows and those its publisher lists
 * (product_releases, written by `index fetch`); none when neither knows it */
const struct releases *releases_of(struct release_cache *c, const char *product);
void release_cache_free(struct release_cache *c);

#endif
