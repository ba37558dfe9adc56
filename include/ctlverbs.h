/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wsidctl's verbs: one signature (ctl_verb_fn), the table (ctlverbs.c),
 * the handlers in ctl*.c by concern, and what they share (ctlcommon.c).
 * wsidctl.c takes the global options and runs the verb named.
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
#include <stdint.h>
#include <stdio.h>

/* exit codes of wsidctl (documented in wsidctl(8) and the README) */
#define EXIT_FINDINGS 1 /* findings above the verb's threshold, or unhealthy */
#define EXIT_USAGE 2
#define EXIT_ERROR 3

#define DEFAULT_LOCAL_FP "/var/lib/wsid/fingerprints"

struct config;
struct ctl_verb;
struct ctl_env {
	const struct config *cfg; /* the configuration read, or NULL */
	const char *db;     /* database path */
	const char *socket; /* control socket of the daemon */
	bool json;
	bool color;         /* stdout is a terminal and NO_COLOR is not set */
	bool verbose;       /* --verbose before the verb */
	bool progress;      /* stderr is a terminal outside CI: progress lines */
	const struct ctl_verb *verb; /* the verb's entry: its usage and help */
	/* the configuration, database and socket looked up when first asked,
	 * for the verbs whose entry does not look them up before (a scan of a
	 * directory reads no configuration); a configuration that exists and
	 * does not load ends the process (exit 3) */
	const struct config *(*config)(void);
	const char *(*db_path)(void);
	const char *(*socket_path)(void);
};

/* ctlcommon.c: looks the configuration, database and socket up into env
 * (cfg, db, socket) */
void ctl_env_resolve(struct ctl_env *env);

/* one JSON object on a line of stdout: begin opens it in b (initialised
 * here), end closes it, prints it and frees b */
struct buf;
struct json;
void ctl_jout_begin(struct buf *b, struct json *j);
void ctl_jout_end(struct buf *b, struct json *j);
/* the rule globs the node compiles: the configuration's analysis.rules, else
 * the packaged rules; *globs borrowed from env->cfg or static */
void ctl_rule_globs(const struct ctl_env *env, const char *const **globs, size_t *n);

/* argv[0] is the verb; returns the exit code. env holds the configuration,
 * database and socket when the verb's entry says so (.env); else only the
 * flags, and the verb finds the rest itself (env->db_path) */
typedef int ctl_verb_fn(int argc, char **argv, const struct ctl_env *env);

struct ctl_verb {
	const char *name;
	ctl_verb_fn *fn;
	const char *usage;
	const char *help;
	bool env; /* look the configuration, database and socket up first */
};

/* the verb table, in the order help lists it (ctlverbs.c) */
extern const struct ctl_verb ctl_verbs[];
extern const size_t ctl_nverbs;
/* the entry of a verb, or NULL */
const struct ctl_verb *ctl_verb_find(const char *name);
/* "usage: wsidctl ..." and the verb's help line, to out (ctlcommon.c) */
void ctl_usage(const struct ctl_verb *v, FILE *out);
/* help [VERB]: every verb with its usage, or one; env may be NULL */
int ctl_help(int argc, char **argv, const struct ctl_env *env);

/* argv[0] is the verb; each returns the process exit code */
int ctl_mark(int argc, char **argv, const struct ctl_env *env);
int ctl_sites(int argc, char **argv, const struct ctl_env *env);
int ctl_report(int argc, char **argv, const struct ctl_env *env);
int ctl_files(int argc, char **argv, const struct ctl_env *env);
int ctl_ack(int argc, char **argv, const struct ctl_env *env);
int ctl_outbox(int argc, char **argv, const struct ctl_env *env);
int ctl_notify(int argc, char **argv, const struct ctl_env *env);
/* scan PATH...: the installations under a directory (ctlscan.c) */
int ctl_scan(int argc, char **argv, const struct ctl_env *env);
/* index build|stats|ingest and the dispatch of index's actions (ctlindex.c) */
int ctl_index(int argc, char **argv, const struct ctl_env *env);
/* status, events, sync, rescan, reload: they ask the daemon (ctldaemon.c) */
int ctl_status(int argc, char **argv, const struct ctl_env *env);
int ctl_events(int argc, char **argv, const struct ctl_env *env);
int ctl_sync(int argc, char **argv, const struct ctl_env *env);
int ctl_rescan(int argc, char **argv, const struct ctl_env *env);
int ctl_reload(int argc, char **argv, const struct ctl_env *env);
/* events --since: 90s, 30m, 1h, 2d before now, or a UTC date YYYY-MM-DD
 * with T or a space and HH:MM:SS and a Z optional; the unix time into
 * *ret, or -EINVAL (ret untouched) */
int ctl_parse_since(const char *s, int64_t now, int64_t *ret);

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
