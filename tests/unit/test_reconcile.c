// SPDX-License-Identifier: GPL-2.0-or-later
/* reconcile: a real directory walked by the walker thread (submitted, taken
 * back through its eventfd, put back and taken again), and the merge of that
 * walk with rows stored in a real SQLite database: what changed (stat or an
 * unsettled row), what is new, what is gone, with paths that sort differently
 * bytewise and by component ("a.b/" before "a.php" before "a/"). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

static void
make_tree(void)
{
	char p[256];
	size_t i;

	snprintf(root, sizeof(root), "%s/root", dir);
	mkdir(root, 0755);
	for (const char *d = "a.b\0a\0sub\0"; *d; d += strlen(d) + 1) {
		snprintf(p, sizeof(p), "%s/%s", root, d);
		mkdir(p, 0755);
	}
	for (i = 0; i < ARRAY_SIZE(on_disk); i++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", root, on_disk[i]);
		f = fopen(p, "w");
		if (f) {
			fprintf(f, "<?php // %s\n", on_disk[i]);
			fclose(f);
		}
	}
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
	int fd = -1;
	size_t i;

	make_tree();
	T_EQ_INT(root_resolve(root, &fd, &real, &rid, &base), 0);
	if (fd < 0)
		return;
	close(fd);

	/* the walk, on its thread; put back, it is taken again */
	T_EQ_INT(walker_new(&wo, &wk), 0);
	if (wk == NULL)
		goto out;
	walker_submit(wk, BG_RECONCILE, 7, real, &rid, NULL);
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
		walker_submit(wk, BG_RECONCILE, 8, real, &rid, NULL);
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

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	T_RUN(test_walk_and_merge);
	t_rmtree(dir);
	T_DONE();
}
