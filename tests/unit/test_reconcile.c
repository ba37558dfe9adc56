// SPDX-License-Identifier: GPL-2.0-or-later
/* reconcile: a real directory walked by the walker thread (submitted, taken
 * back through its eventfd, put back and taken again), and the merge of that
 * walk with rows stored in a real SQLite database: what changed (stat or an
 * unsettled row), what is new, what is gone, with paths that sort differently
 * bytewise and by component ("a.b/" before "a.php" before "a/"); the
 * digest of a webspace's rows against the walk's, after every kind of change
 * made while the daemon is down, every write of a row, a rollback, and a
 * database of before the digest; a baseline's walk, hashed and in path order,
 * from its temporary file or, without one, in memory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "reconcile.h"
#include "scan.h"
#include "state.h"
#include "store.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/wsid-test-reconcile.XXXXXX";
static char root[128];

static const char *const on_disk[] = { "a.php", "a.b/c.php", "a/b.php", "sub/keep.php",
				       "sub/changed.php", "sub/locked.php", "sub/new.php" };

/* top with the directories dirs (NUL-separated) and the files names, each
 * holding "<?php // NAME" and a newline */
static void
write_tree(const char *top, const char *dirs, const char *const *names, size_t n)
{
	char p[256];
	size_t i;

	mkdir(top, 0755);
	for (const char *d = dirs; *d; d += strlen(d) + 1) {
		snprintf(p, sizeof(p), "%s/%s", top, d);
		mkdir(p, 0755);
	}
	for (i = 0; i < n; i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", top, names[i]);
		f = fopen(p, "w");
		if (f) {
			fprintf(f, "<?php // %s\n", names[i]);
			fclose(f);
		}
	}
}

static void
make_tree(void)
{
	snprintf(root, sizeof(root), "%s/root", dir);
	write_tree(root, "a.b\0a\0sub\0", on_disk, ARRAY_SIZE(on_disk));
}

/* top resolved as the daemon resolves a webspace's root */
static bool
resolve_root(const char *top, char **real, struct root_id *rid)
{
	bool base;
	int fd = -1;

	T_EQ_INT(root_resolve(top, &fd, real, rid, &base), 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* a row with the file's stat as it is on disk (or made up when absent) */
static void
put_row(struct state *st, int64_t ws, const char *rel, const char *status, bool touch_size)
{
	struct file_row f;
	struct stat sb;
	char p[256];

	memset(&f, 0, sizeof(f));
	f.webspace_id = ws;
	f.relpath = rel;
	f.rlen = strlen(rel);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (lstat(p, &sb) == 0) {
		f.ino = (uint64_t)sb.st_ino;
		f.size = (uint64_t)sb.st_size;
		f.mtime_ns = stat_mtime_ns(&sb);
		f.ctime_ns = stat_ctime_ns(&sb);
		f.mode = sb.st_mode;
	} else {
		f.ino = 4242;
		f.size = 7;
	}
	if (touch_size)
		f.size++;
	snprintf(f.status, sizeof(f.status), "%s", status);
	snprintf(f.known, sizeof(f.known), "unknown");
	snprintf(f.verdict, sizeof(f.verdict), "none");
	T_EQ_INT(state_file_put(st, &f), 0);
}

struct notes {
	char what[16][8];
	char path[16][64];
	int n;
};

static void
note(void *ud, enum reconcile_note what, const char *relpath, size_t rlen)
{
	struct notes *n = ud;
	static const char *const names[] = { "changed", "new", "gone" };

	if (n->n < 16) {
		snprintf(n->what[n->n], sizeof(n->what[0]), "%s", names[what]);
		snprintf(n->path[n->n], sizeof(n->path[0]), "%.*s", (int)rlen, relpath);
		n->n++;
	}
}

static bool
unsettled(const struct file_row *row)
{
	return strcmp(row->status, "locked") == 0;
}

static struct bg_job *
wait_walk(struct walker *wk)
{
	struct pollfd pfd = { .fd = walker_fd(wk), .events = POLLIN };

	T_EQ_INT(poll(&pfd, 1, 10000), 1);
	return walker_take(wk);
}

static void
test_walk_and_merge(void)
{
	struct walker_opts wo = { .jobs = 2 };
	struct walker *wk = NULL;
	struct bg_job *j;
	struct root_id rid;
	struct store *s = NULL;
	struct state *st = NULL;
	struct reconcile_counts cnt;
	struct notes n;
	const struct scan_file **v;
	char *real = NULL, db[192], err[256];
	int64_t ws;
	bool base;
	size_t i;

	make_tree();
	if (!resolve_root(root, &real, &rid))
		return;

	/* the walk, on its thread; put back, it is taken again */
	T_EQ_INT(walker_new(&wo, &wk), 0);
	if (wk == NULL)
		goto out;
	walker_submit(wk, BG_RECONCILE, 7, real, &rid, -1, NULL);
	j = wait_walk(wk);
	T_OK(j != NULL && j->next == NULL);
	if (j == NULL)
		goto out;
	walker_put_back(wk, j);
	j = wait_walk(wk);
	T_OK(j != NULL && j->ws == 7 && j->kind == BG_RECONCILE);
	if (j == NULL)
		goto out;
	T_OK(j->tree != NULL && !j->root_changed);
	if (j->tree == NULL)
		goto free_job;
	T_EQ_INT(j->tree->nfiles, ARRAY_SIZE(on_disk));

	/* by path, bytewise */
	v = reconcile_tree_sorted(j->tree);
	for (i = 1; i < j->tree->nfiles; i++)
		T_CHECK(strcmp(v[i - 1]->path, v[i]->path) < 0, "%s before %s", v[i - 1]->path,
			v[i]->path);
	T_EQ_STR(v[0]->path, "a.b/c.php");
	T_EQ_STR(v[1]->path, "a.php");
	T_EQ_STR(v[2]->path, "a/b.php");
	free(v);

	/* the stored side */
	snprintf(db, sizeof(db), "%s/wsid.db", dir);
	T_EQ_INT(store_open(db, STORE_CREATE, &s, err, sizeof(err)), 0);
	if (s == NULL)
		goto free_job;
	T_EQ_INT(state_open(s, &st), 0);
	if (st == NULL)
		goto free_job;
	T_EQ_INT(state_webspace_upsert(st, real, "alice", &ws, &base), 0);
	T_EQ_INT(state_begin(st), 0);
	put_row(st, ws, "a.php", "ok", false);
	put_row(st, ws, "a.b/c.php", "ok", false);
	put_row(st, ws, "sub/keep.php", "ok", false);
	put_row(st, ws, "sub/changed.php", "ok", true);
	put_row(st, ws, "sub/locked.php", "locked", false);
	put_row(st, ws, "sub/gone.php", "ok", false);
	put_row(st, ws, "zz-gone-last.php", "ok", false);
	T_EQ_INT(state_commit(st), 0);

	memset(&n, 0, sizeof(n));
	T_EQ_INT(reconcile_merge(st, ws, j->tree, unsettled, note, &n, &cnt), 0);
	T_EQ_INT(cnt.changed, 2);
	T_EQ_INT(cnt.added, 2);
	T_EQ_INT(cnt.removed, 2);
	T_EQ_INT(n.n, 6);
	/* in path order */
	T_EQ_STR(n.what[0], "new");
	T_EQ_STR(n.path[0], "a/b.php");
	T_EQ_STR(n.what[1], "changed");
	T_EQ_STR(n.path[1], "sub/changed.php");
	T_EQ_STR(n.what[2], "gone");
	T_EQ_STR(n.path[2], "sub/gone.php");
	T_EQ_STR(n.what[3], "changed");
	T_EQ_STR(n.path[3], "sub/locked.php");
	T_EQ_STR(n.what[4], "new");
	T_EQ_STR(n.path[4], "sub/new.php");
	T_EQ_STR(n.what[5], "gone");
	T_EQ_STR(n.path[5], "zz-gone-last.php");

	/* the root replaced by another directory: the walk says so, walks nothing */
	{
		char moved[192];

		snprintf(moved, sizeof(moved), "%s/moved", dir);
		T_EQ_INT(rename(root, moved), 0);
		T_EQ_INT(mkdir(root, 0755), 0);
		walker_submit(wk, BG_RECONCILE, 8, real, &rid, -1, NULL);
		bg_job_free(wk, j);
		j = wait_walk(wk);
		T_OK(j != NULL && j->ws == 8 && j->tree == NULL && j->root_changed);
	}
free_job:
	if (j)
		bg_job_free(wk, j);
out:
	state_free(st);
	store_close(s);
	walker_free(wk);
	free(real);
}

/* ---- a baseline's walk ---- */

/* the walk of a baseline comes back in path order, hashed: from its temporary
 * file, or in memory when there is none */
static void
baseline_walk(struct walker *wk, const char *real, const struct root_id *rid, bool spilled)
{
	static const char *const names[] = { "a.b/c.php", "a.php", "a/b.php", "a/z.php", "b.php" };
	struct bg_job *j;
	size_t i;

	walker_submit(wk, BG_BASELINE, 9, real, rid, -1, NULL);
	j = wait_walk(wk);
	T_OK(j != NULL && j->kind == BG_BASELINE);
	if (j == NULL)
		return;
	T_OK(j->tree != NULL);
	if (j->tree) {
		/* in memory: in the walk's order, sorted as the engine sorts it */
		const struct scan_file **v = spilled ? NULL : reconcile_tree_sorted(j->tree);

		T_CHECK((j->tree->spill != NULL) == spilled, "spilled %d, expected %d",
			j->tree->spill != NULL, spilled);
		T_CHECK(j->tree->sorted == spilled, "sorted %d", j->tree->sorted);
		T_EQ_INT(j->tree->nfiles, ARRAY_SIZE(names));
		for (i = 0; i < j->tree->nfiles && i < ARRAY_SIZE(names); i++) {
			const struct scan_file *f = v ? v[i] : scan_file_at(j->tree, i);
			uint8_t want[SHA256_LEN];
			char text[64];

			T_EQ_STR(f->path, names[i]);
			snprintf(text, sizeof(text), "<?php // %s\n", names[i]);
			sha256_buf(text, strlen(text), want);
			T_CHECK(f->status == HASH_OK && memcmp(f->sha256, want, SHA256_LEN) == 0,
				"%s: not hashed", names[i]);
		}
		free(v);
	}
	bg_job_free(wk, j);
}

static void
test_baseline_walk(void)
{
	static const char *const files[] = { "b.php", "a/z.php", "a.php", "a/b.php", "a.b/c.php" };
	struct walker_opts wo = { .jobs = 1 };
	struct walker *wk = NULL;
	struct root_id rid;
	char base[128], none[160], *real = NULL;

	snprintf(base, sizeof(base), "%s/base", dir);
	write_tree(base, "a.b\0a\0", files, ARRAY_SIZE(files));
	if (!resolve_root(base, &real, &rid))
		return;
	T_EQ_INT(walker_new(&wo, &wk), 0);
	if (wk == NULL)
		goto out;
	setenv("TMPDIR", dir, 1);
	baseline_walk(wk, real, &rid, true);
	/* no temporary file: walked in memory all the same */
	snprintf(none, sizeof(none), "%s/none", dir);
	setenv("TMPDIR", none, 1);
	baseline_walk(wk, real, &rid, false);
	unsetenv("TMPDIR");
out:
	walker_free(wk);
	free(real);
}

/* the walking threads do not run ahead of a loop that does not take their
 * walks: past 65,536 walked entries waiting, the next walk waits; a walk of
 * unknown size, or expected over the bound, is not walked beside another
 * (expect: what walker_submit is given) */
static void
walker_bounded(int64_t expect)
{
	struct walker_opts wo = { .jobs = 2 };
	struct walker *wk = NULL;
	struct root_id rid;
	struct bg_job *j, *k;
	char big[128], p[192], *real = NULL;
	int i, n = 0;

	snprintf(big, sizeof(big), "%s/big", dir);
	mkdir(big, 0755);
	for (i = 0; i < 70000; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/f%05d", big, i);
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	if (!resolve_root(big, &real, &rid))
		return;
	T_EQ_INT(walker_new(&wo, &wk), 0);
	if (wk == NULL)
		goto out;
	walker_submit(wk, BG_RECONCILE, 1, real, &rid, expect, NULL);
	walker_submit(wk, BG_RECONCILE, 2, real, &rid, expect, NULL);
	{
		struct pollfd pfd = { .fd = walker_fd(wk), .events = POLLIN };

		T_EQ_INT(poll(&pfd, 1, 10000), 1);
	}
	/* the first walk is done and not taken: the second waits (a stat-only
	 * walk of 70,000 entries takes well under the 3 s given it) */
	sleep(3);
	j = walker_take(wk);
	T_OK(j != NULL && j->ws == 1 && j->tree && j->tree->nfiles == 70000);
	T_CHECK(j == NULL || j->next == NULL, "the second walk ran ahead of the loop");
	for (; j; j = k) {
		k = j->next;
		bg_job_free(wk, j);
	}
	/* taken: the second walk goes on */
	j = wait_walk(wk);
	for (; j; j = k, n++) {
		k = j->next;
		T_EQ_INT(j->ws, 2);
		bg_job_free(wk, j);
	}
	for (i = 0; i < 10 && n == 0; i++) {
		j = wait_walk(wk);
		for (; j; j = k, n++) {
			k = j->next;
			bg_job_free(wk, j);
		}
	}
	T_EQ_INT(n, 1);
out:
	walker_free(wk);
	free(real);
	t_rmtree(big);
}

static void
test_walker_bounded(void)
{
	walker_bounded(-1);
	walker_bounded(70000);
}

/* small stat walks, two at a time: each comes back once, whole */
static void
test_walker_small_walks(void)
{
	struct walker_opts wo = { .jobs = 2 };
	struct walker *wk = NULL;
	struct root_id rid;
	struct bg_job *j, *k;
	char *real = NULL;
	int seen[8] = { 0 }, n = 0, i;

	make_tree();
	if (!resolve_root(root, &real, &rid))
		return;
	T_EQ_INT(walker_new(&wo, &wk), 0);
	if (wk == NULL)
		goto out;
	for (i = 0; i < 8; i++)
		walker_submit(wk, BG_RECONCILE, i + 1, real, &rid, (int64_t)ARRAY_SIZE(on_disk), NULL);
	for (i = 0; i < 100 && n < 8; i++) {
		for (j = wait_walk(wk); j; j = k, n++) {
			k = j->next;
			T_OK(j->ws >= 1 && j->ws <= 8 && j->kind == BG_RECONCILE);
			T_OK(j->tree != NULL && j->tree->nfiles == ARRAY_SIZE(on_disk));
			if (j->ws >= 1 && j->ws <= 8)
				seen[j->ws - 1]++;
			bg_job_free(wk, j);
		}
	}
	T_EQ_INT(n, 8);
	for (i = 0; i < 8; i++)
		T_CHECK(seen[i] == 1, "walk %d came back %d times", i + 1, seen[i]);
out:
	walker_free(wk);
	free(real);
}

/* ---- the files' digest ---- */

struct digest_env {
	struct walker *wk;
	struct state *st;
	struct store *s;
	char *real;
	struct root_id rid;
	int64_t ws;
};

/* walks the root and compares: 1 equal, 0 different, -1 no digest */
static int
digest_equal(struct digest_env *d)
{
	struct bg_job *j;
	uint64_t stored;
	int r = -1;

	walker_submit(d->wk, BG_RECONCILE, d->ws, d->real, &d->rid, -1, NULL);
	j = wait_walk(d->wk);
	if (j == NULL)
		return -1;
	if (j->tree && j->digest_ok && state_webspace_digest(d->st, d->ws, &stored) == 0)
		r = j->digest == stored;
	bg_job_free(d->wk, j);
	return r;
}

/* what the merge finds (changed + new + gone) */
static size_t
merge_finds(struct digest_env *d)
{
	struct bg_job *j;
	struct reconcile_counts cnt;
	struct notes n;
	size_t found = 0;

	memset(&n, 0, sizeof(n));
	memset(&cnt, 0, sizeof(cnt));
	walker_submit(d->wk, BG_RECONCILE, d->ws, d->real, &d->rid, -1, NULL);
	j = wait_walk(d->wk);
	if (j == NULL)
		return 0;
	if (j->tree && reconcile_merge(d->st, d->ws, j->tree, unsettled, note, &n, &cnt) == 0)
		found = cnt.changed + cnt.added + cnt.removed;
	bg_job_free(d->wk, j);
	return found;
}

/* the stored digest is the sum over the rows (the repair reads them) */
static bool
digest_is_rows(struct digest_env *d)
{
	uint64_t a, b;

	if (state_webspace_digest(d->st, d->ws, &a) < 0 ||
	    state_webspace_digest_repair(d->st, d->ws) < 0 ||
	    state_webspace_digest(d->st, d->ws, &b) < 0)
		return false;
	return a == b;
}

/* the webspace's count of rows (kept with the digest) is the rows' */
static bool
count_is_rows(struct digest_env *d)
{
	sqlite3_stmt *q = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(store_db(d->s), "SELECT count(*) FROM files", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n >= 0 && state_files_count(d->st) == n;
}

static void
disk_write(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* a change made while the daemon was down makes the digests differ and the
 * merge finds it; the rows written as the engine would make them equal again */
#define DOWN_CHANGE(what, change, resync)                                           \
	do {                                                                        \
		change;                                                             \
		T_CHECK(digest_equal(&d) == 0, "%s: the digest still equal", what); \
		T_CHECK(merge_finds(&d) > 0, "%s: the merge finds nothing", what);  \
		T_EQ_INT(state_begin(d.st), 0);                                     \
		resync;                                                             \
		T_EQ_INT(state_commit(d.st), 0);                                    \
		T_CHECK(digest_is_rows(&d), "%s: stored digest not the rows'", what); \
		T_CHECK(count_is_rows(&d), "%s: stored count not the rows'", what);   \
		T_CHECK(digest_equal(&d) == 1, "%s: rows stored, digest differs", what); \
		T_EQ_INT(merge_finds(&d), 0);                                       \
	} while (0)

/* in_c: the daemon's way (state_digest_in_c), the triggers off */
static void
digest_run(bool in_c)
{
	struct digest_env d;
	struct walker_opts wo = { .jobs = 2 };
	struct timespec keep[2];
	struct stat sb;
	char db[192], err[256], p[256], q[256];
	uint64_t v;
	bool base;
	sqlite3 *raw = NULL;

	memset(&d, 0, sizeof(d));
	snprintf(root, sizeof(root), "%s/digest%s", dir, in_c ? "_c" : "");
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/d", root);
	mkdir(p, 0755);
	disk_write("x.php", "<?php // x\n");
	disk_write("d/y.php", "<?php // y\n");
	disk_write("d/z.txt", "zzz\n");
	if (!resolve_root(root, &d.real, &d.rid))
		return;
	snprintf(db, sizeof(db), "%s/digest%s.db", dir, in_c ? "_c" : "");
	T_EQ_INT(store_open(db, STORE_CREATE, &d.s, err, sizeof(err)), 0);
	if (d.s == NULL)
		goto out;
	T_EQ_INT(state_open(d.s, &d.st), 0);
	if (d.st == NULL)
		goto out;
	if (in_c)
		T_EQ_INT(state_digest_in_c(d.st), 0);
	state_digest_unsettled(d.st, unsettled);
	T_EQ_INT(state_webspace_upsert(d.st, d.real, "alice", &d.ws, &base), 0);
	/* a new webspace: no rows, digest 0 */
	T_EQ_INT(state_webspace_digest(d.st, d.ws, &v), 0);
	T_EQ_INT(v, 0);
	wo.digest = state_digest_key(d.st, wo.digest_key);
	T_OK(wo.digest);
	T_EQ_INT(walker_new(&wo, &d.wk), 0);
	if (d.wk == NULL)
		goto out;

	/* the baseline's rows */
	T_EQ_INT(state_begin(d.st), 0);
	put_row(d.st, d.ws, "x.php", "ok", false);
	put_row(d.st, d.ws, "d/y.php", "ok", false);
	put_row(d.st, d.ws, "d/z.txt", "ok", false);
	T_EQ_INT(state_commit(d.st), 0);
	T_OK(digest_is_rows(&d));
	T_EQ_INT(digest_equal(&d), 1);

	/* content rewritten at the same size, mtime set back: the ctime tells */
	snprintf(p, sizeof(p), "%s/x.php", root);
	T_EQ_INT(stat(p, &sb), 0);
	keep[0] = sb.st_atim;
	keep[1] = sb.st_mtim;
	usleep(20000);
	DOWN_CHANGE("content, same size and mtime",
		    (disk_write("x.php", "<?php // X\n"), utimensat(AT_FDCWD, p, keep, 0)),
		    put_row(d.st, d.ws, "x.php", "ok", false));
	/* the mtime only */
	keep[1].tv_sec -= 3600;
	DOWN_CHANGE("mtime only", utimensat(AT_FDCWD, p, keep, 0),
		    put_row(d.st, d.ws, "x.php", "ok", false));
	/* a chmod (the ctime) */
	DOWN_CHANGE("chmod", chmod(p, 0600), put_row(d.st, d.ws, "x.php", "ok", false));
	/* a new file */
	DOWN_CHANGE("new file", disk_write("d/new.php", "<?php // new\n"),
		    put_row(d.st, d.ws, "d/new.php", "ok", false));
	/* a file deleted */
	snprintf(q, sizeof(q), "%s/d/new.php", root);
	DOWN_CHANGE("delete", unlink(q), state_file_delete(d.st, d.ws, "d/new.php", 9));
	/* a file renamed */
	snprintf(q, sizeof(q), "%s/w.php", root);
	DOWN_CHANGE("rename", rename(p, q),
		    (state_file_move(d.st, d.ws, "x.php", 5, "w.php", 5),
		     put_row(d.st, d.ws, "w.php", "ok", false)));
	/* a directory renamed: its files' rows move, their stat is the same */
	snprintf(p, sizeof(p), "%s/d", root);
	snprintf(q, sizeof(q), "%s/e", root);
	DOWN_CHANGE("directory renamed", rename(p, q),
		    state_dir_move(d.st, d.ws, "d", 1, "e", 1, false));
	/* an unsettled row: looked at again whatever its stat */
	DOWN_CHANGE("unsettled row", (state_begin(d.st), put_row(d.st, d.ws, "e/y.php", "locked", false),
				      state_commit(d.st)),
		    put_row(d.st, d.ws, "e/y.php", "ok", false));

	/* a write rolled back leaves the digest as it was; committed, it counts
	 * (the triggers: SQL of its own on the connection; kept in C, the
	 * state's writes, the sums rolled back with them) */
	if (!in_c) {
		T_EQ_INT(sqlite3_exec(store_db(d.s), "BEGIN; UPDATE files SET size=size+1 WHERE relpath="
				      "CAST('w.php' AS BLOB); ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
		T_EQ_INT(digest_equal(&d), 1);
		T_EQ_INT(sqlite3_exec(store_db(d.s), "UPDATE files SET size=size+1 WHERE relpath="
				      "CAST('w.php' AS BLOB)", NULL, NULL, NULL), SQLITE_OK);
	} else {
		T_EQ_INT(state_begin(d.st), 0);
		put_row(d.st, d.ws, "w.php", "ok", true);
		T_EQ_INT(sqlite3_exec(store_db(d.s), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
		/* the transaction is gone: its sums are not written alone */
		T_OK(state_commit(d.st) < 0);
		T_EQ_INT(digest_equal(&d), 1);
		T_OK(digest_is_rows(&d));
		put_row(d.st, d.ws, "w.php", "ok", true); /* outside a transaction */
	}
	T_EQ_INT(digest_equal(&d), 0);
	T_OK(digest_is_rows(&d));
	put_row(d.st, d.ws, "w.php", "ok", false);
	T_EQ_INT(digest_equal(&d), 1);

	/* a database of before the digest: not known, kept unknown by writes,
	 * until set from the rows */
	T_EQ_INT(sqlite3_exec(store_db(d.s), "UPDATE webspaces SET files_digest=NULL", NULL, NULL,
			      NULL), SQLITE_OK);
	T_EQ_INT(state_webspace_digest(d.st, d.ws, &v), -ENOENT);
	T_EQ_INT(digest_equal(&d), -1);
	put_row(d.st, d.ws, "w.php", "ok", false);
	T_EQ_INT(state_webspace_digest(d.st, d.ws, &v), -ENOENT);
	T_EQ_INT(state_webspace_digest_repair(d.st, d.ws), 0);
	T_EQ_INT(digest_equal(&d), 1);

	/* without the unsettled predicate a write makes it unknown (a row
	 * written again with the same stat and status changes nothing) */
	state_digest_unsettled(d.st, NULL);
	put_row(d.st, d.ws, "w.php", "ok", false);
	T_EQ_INT(digest_equal(&d), 1);
	put_row(d.st, d.ws, "w.php", "ok", true);
	T_EQ_INT(state_webspace_digest(d.st, d.ws, &v), -ENOENT);
	state_digest_unsettled(d.st, unsettled);
	T_EQ_INT(state_webspace_digest_repair(d.st, d.ws), 0);
	T_EQ_INT(digest_equal(&d), 0);
	put_row(d.st, d.ws, "w.php", "ok", false);
	T_EQ_INT(digest_equal(&d), 1);

	/* a connection without wsid's function cannot write a file row */
	T_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
	T_OK(sqlite3_exec(raw, "DELETE FROM files", NULL, NULL, NULL) != SQLITE_OK);
	sqlite3_close(raw);
	T_EQ_INT(digest_equal(&d), 1);

	/* another connection of wsid's (wsidctl, retention: store_open without
	 * the state) writes file rows, and the digest becomes unknown */
	{
		struct store *other = NULL;
		char oerr[256];

		T_EQ_INT(store_open(db, 0, &other, oerr, sizeof(oerr)), 0);
		if (other) {
			T_EQ_INT(store_exec(other, "DELETE FROM files WHERE relpath=CAST('w.php' AS BLOB)"), 0);
			store_close(other);
		}
		T_EQ_INT(state_webspace_digest(d.st, d.ws, &v), -ENOENT);
		T_EQ_INT(digest_equal(&d), -1);
		/* the full merge's repair makes it the rows' again */
		T_EQ_INT(state_webspace_digest_repair(d.st, d.ws), 0);
		T_OK(digest_is_rows(&d));
	}
out:
	walker_free(d.wk);
	state_free(d.st);
	store_close(d.s);
	free(d.real);
}

static void
test_digest(void)
{
	digest_run(false);
}

static void
test_digest_in_c(void)
{
	digest_run(true);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	T_RUN(test_walk_and_merge);
	T_RUN(test_baseline_walk);
	T_RUN(test_walker_bounded);
	T_RUN(test_walker_small_walks);
	T_RUN(test_digest);
	T_RUN(test_digest_in_c);
	t_rmtree(dir);
	T_DONE();
}
