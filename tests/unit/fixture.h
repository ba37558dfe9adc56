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

#endif
