/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What several unit tests build alike (fixture.c, linked into every unit
 * test): a scratch directory with a real SQLite database and the state over
 * it, a file row, the small "demo" product's index (two releases), a tmpfs
 * in a mount namespace of the test's own, and an engine driven like the
 * daemon's loop drives it. Nothing here counts checks: callers assert on
 * what these return. */
#ifndef WSID_TEST_FIXTURE_H
#define WSID_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "state.h"
#include "store.h"

struct fx {
	char dir[64];  /* the scratch directory, /tmp/wsid-test-<name>.XXXXXX */
	char db[128];  /* <dir>/wsid.db */
	struct store *s;
	struct state *st;
};

/* Makes the scratch directory and opens <dir>/wsid.db (created) and its
 * state; 0, or -1 with what failed printed. */
int fx_open(struct fx *f, const char *name);
/* Frees the state, closes the database, removes the directory and all in it. */
void fx_close(struct fx *f);
/* the path of name in f's directory, in a static buffer (valid until the next call) */
const char *fx_path(const struct fx *f, const char *name);

/* writes text to path (created or truncated); 0 or -1 */
int fx_put(const char *path, const char *text);
/* writes text to dir/rel, making dir and the directories of rel first; 0 or -1 */
int fx_put_at(const char *dir, const char *rel, const char *text);

/* a file row of ws at path: sha256 all `fill` bytes, status ok, verdict none */
struct file_row fx_row(int64_t ws, const char *path, uint8_t fill);

/* an event of ws at path, modified, with verdict v and severity sev:
 * customer alice, source live, a fixed time; the rest zero */
struct event_row fx_event(int64_t ws, const char *path, enum verdict_kind v, enum severity sev);

/* The demo product: release 1.0 and 2.0 of six files, index.php and four
 * more the same in both, lib/core.php not; "up" is its upload directory.
 * fx_index_demo writes the sets under <f->dir>/fp and builds them into f's
 * database; fx_demo_install writes release <major>.0 into dir. */
extern const char fx_demo_index_php[], fx_demo_core1[], fx_demo_core2[];
int fx_index_demo(struct fx *f);
int fx_demo_install(const char *dir, int major);

/* A tmpfs (size 16m) mounted at a new directory made from top (mkdtemp
 * template, rewritten) in a mount namespace of the process's own, whose
 * mounts never reach the host's; 0, or -1 with what failed printed (not
 * root: -1 too). fx_tmpfs_done unmounts it and removes the directory. */
int fx_tmpfs(char *top);
void fx_tmpfs_done(const char *top);

/* Registers the directory root (made if missing) as a webspace of customer
 * in e; its id into *ret_id. 0 or a negative errno. */
int fx_webspace(struct engine *e, const char *root, const char *customer, int64_t *ret_id);
/* Drives e as the daemon's loop does (hashing results, walks, ticks,
 * commits) until it is idle with nothing uncommitted, or max_ms passed;
 * true when idle. */
bool fx_engine_settle(struct engine *e, unsigned max_ms);
/* Drives e for ms milliseconds, idle or not. */
void fx_engine_run(struct engine *e, unsigned ms);

/* Writes the fingerprint set of release `version` of product (n files,
 * {relpath, content} each) as <f->dir>/fp/<product>/<version>.sha256; the
 * caller writes its product.yaml beside it, and fx_index_demo builds every
 * product under <f->dir>/fp. 0 or -1. */
int fx_fp_set(const struct fx *f, const char *product, const char *version,
	      const char *const (*files)[2], size_t n);
struct scan_tree;
/* Walks and hashes dir (a scratch tree) with f's index, one thread, in
 * memory; the tree into *ret (scan_tree_free). 0, or -1 with why printed. */
int fx_scan(const struct fx *f, const char *dir, struct scan_tree **ret);

/* dir + "/" + rel in a static buffer (valid until the next call) */
const char *fx_join(const char *dir, const char *rel);
/* the integer the first row of one query holds (-1 when the query fails) */
int64_t fx_query_int(struct store *s, const char *sql);

/* The "mix" product (kind plugin): eight files, every one different in
 * release 1.0 and 2.0; version.php claims the release (its version_file).
 * fx_fp_mix writes its sets under <f->dir>/fp (fx_index_demo then builds
 * them with the demo's); fx_mix_install writes into dir the first `first`
 * files of release a and the others of release b. 0 or -1. */
#define FX_MIX_N 8
extern const char *const fx_mix1[FX_MIX_N][2], *const fx_mix2[FX_MIX_N][2];
int fx_fp_mix(const struct fx *f);
int fx_mix_install(const char *dir, const char *const (*a)[2], const char *const (*b)[2], size_t first);
/* Runs fn(argc, argv) with args (NULL-terminated; copied) in a child
 * process, as a main runs, its stdout and stderr into dir/main.out and
 * dir/main.err; with ret, what it printed is read into ret (its strings
 * from an earlier run freed first). Returns the exit code (128 + the
 * signal when one ended it), or -1 when it could not be run or read. */
struct fx_main {
	char *out, *err; /* NUL-terminated, malloc'ed (fx_main_free) */
};
int fx_run_main(int (*fn)(int, char **), const char *const *args, const char *dir, struct fx_main *ret);
void fx_main_free(struct fx_main *m);

/* The wsidctl verbs' harnesses below; a program that includes a main's
 * source of its own (test_wsid.c) defines FX_NO_CTL, since the daemon's
 * control verbs share names with ctlverbs.h. */
#ifndef FX_NO_CTL

/* ---- wsidctl's verbs, run in the test's process ---- */
#include "ctlverbs.h"

/* Fills env as wsidctl does before a verb: the flags off, nothing looked up
 * yet (cfg, db, socket NULL), the lookups returning cfg, db and socket
 * (kept, borrowed: they must outlive the runs). One such env at a time. */
void fx_ctl_env(struct ctl_env *env, const struct config *cfg, const char *db, const char *socket);
/* Runs fn with argv made of the strings given (NULL ends them; the first is
 * the verb), its stdout and stderr each into a scratch file; what each
 * printed into *ret_out and *ret_err (malloc'ed, NUL-terminated: the caller
 * frees both). Returns the verb's exit code, or -1 when the capture failed. */
int fx_ctl(ctl_verb_fn *fn, const struct ctl_env *env, char **ret_out, char **ret_err, ...)
	__attribute__((sentinel));
/* the same with argv as it is (argc strings, argv[argc] NULL; the verb's
 * getopt may reorder them) */
int fx_ctl_argv(ctl_verb_fn *fn, const struct ctl_env *env, int argc, char **argv, char **ret_out,
		char **ret_err);

/* The JSON text a verb printed (one object or array), parsed; NULL with
 * the parser's error printed. jsonp_free() it. */
struct jnode;
struct jnode *fx_json(const char *text);
/* the text of o's member key when a string or a number, "true"/"false" for
 * a boolean, else NULL (borrowed from o) */
const char *fx_jstr(const struct jnode *o, const char *key);

/* A daemon's control socket played by a thread: listens at path (a unix
 * socket made here), accepts one connection, keeps the request line (with
 * its newline) in req and answers reply (NULL: hangs up unanswered).
 * fx_daemon_start: 0 or -1 (said); fx_daemon_done waits for the thread,
 * removes the socket and returns req (borrowed from d). */
#include <pthread.h>

struct fx_daemon {
	int lfd;
	char path[108];
	const char *reply;
	char req[4096];
	pthread_t th;
};
int fx_daemon_start(struct fx_daemon *d, const char *path, const char *reply);
const char *fx_daemon_done(struct fx_daemon *d);
/* ---- wsidctl's verbs, driven in-process ---- */
#include "ctlverbs.h"

struct jnode;

/* An env as wsidctl.c builds it, over the database db and the control
 * socket sock (a path where nothing listens: the verbs that tell the daemon
 * say it is not reachable): no configuration, no colour, no progress, not
 * --json; env->db_path() and env->socket_path() give db and sock. The
 * strings are copied (one env at a time: the lookups are static). */
void fx_ctl_env_db(struct ctl_env *env, const char *db, const char *sock);

/* what a verb printed and returned */
struct fx_run {
	int rc;    /* its exit code; in a child, 128 + the signal that ended it */
	char *out; /* stdout, NUL-terminated (malloc'ed; fx_run_free) */
	char *err; /* stderr */
};
/* Runs fn(argc, argv, env) with its stdout and stderr in scratch files;
 * args: the verb's arguments (the verb first), NULL-terminated, copied into
 * a writable argv as main hands them (getopt permutes). Returns the exit
 * code (also in ret->rc). fx_ctl_fork runs it in a child process, for a verb
 * that exits or changes the process's state. */
int fx_ctl_run(ctl_verb_fn *fn, const struct ctl_env *env, struct fx_run *ret, ...);
int fx_ctl_fork(ctl_verb_fn *fn, const struct ctl_env *env, struct fx_run *ret, ...);
void fx_run_free(struct fx_run *r);
/* s holds needle (false for NULL) */
bool fx_has(const char *s, const char *needle);
/* the lines of s that hold needle */
int fx_count_lines(const char *s, const char *needle);
/* line n (from 0) of s parsed as JSON (jsonp_free), NULL when there is no
 * such line or it does not parse */
struct jnode *fx_json_line(const char *s, int n);
/* fx_ctl_env_db over a database that is not there (<dir>/none/wsid.db, in a
 * directory that is not there either) or, damaged, over <dir>/junk.db, a
 * text file that is no database (written here) */
void fx_ctl_env_bad(struct ctl_env *env, const struct fx *f, const char *sock, bool damaged);

#endif /* FX_NO_CTL */
#endif
