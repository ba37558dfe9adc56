// SPDX-License-Identifier: GPL-2.0-or-later
/* The stat-only walk (a reconcile) runs on every thread; it must find exactly
 * what the breadth-first walk of a hashing scan finds (same paths, kinds,
 * inodes, sizes, times; each directory counted once), follow no symlink, enter no other
 * mount (a tmpfs mounted inside: reported as a mount point, nothing beneath
 * it listed), and prune what the ignore callback names. A hashing scan that
 * spills its entries to a file finds the same, in path order. Runs in a mount
 * namespace of its own on a tmpfs it mounts itself; needs root. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "scan.h"
#include "t.h"

static char top[] = "/tmp/wsid-test-scan.XXXXXX";
static char root[256];

static void
put(const char *rel, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

static void
dir(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mkdir(p, 0755);
}

/* a tree wide and deep enough for the threads to share directories */
static void
make_tree(void)
{
	char rel[256];
	int i, k;

	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof(rel), "d%02d", i);
		dir(rel);
		for (k = 0; k < 5; k++) {
			snprintf(rel, sizeof(rel), "d%02d/s%d", i, k);
			dir(rel);
			snprintf(rel, sizeof(rel), "d%02d/s%d/f.php", i, k);
			put(rel, "<?php echo 1;\n");
			snprintf(rel, sizeof(rel), "d%02d/s%d/deep", i, k);
			dir(rel);
			snprintf(rel, sizeof(rel), "d%02d/s%d/deep/g%d.txt", i, k, k);
			put(rel, "x");
		}
	}
	put("index.php", "<?php\n");
	dir("ign");
	put("ign/hidden.php", "<?php\n");
	dir("mnt");
	{
		char p[512], q[512];

		snprintf(p, sizeof(p), "%s/link-out", root);
		T_OK(symlink("/etc", p) == 0);
		snprintf(p, sizeof(p), "%s/link-dir", root);
		T_OK(symlink("d00", p) == 0);
		snprintf(p, sizeof(p), "%s/fifo", root);
		T_OK(mkfifo(p, 0600) == 0);
		snprintf(q, sizeof(q), "%s/mnt", root);
		T_OK(mount("wsid-test-inner", q, "tmpfs", 0, "size=1m") == 0);
	}
	put("mnt/inside.php", "<?php\n");
}

static bool
ignore_ign(void *ud, const char *relpath, size_t len)
{
	(void)ud;
	return len == 4 && memcmp(relpath, "ign/", 4) == 0;
}

static int
cmp_file(const void *a, const void *b)
{
	const struct scan_file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* the tree's entries, sorted by path, as a flat copy (paths borrowed) */
static struct scan_file *
sorted(const struct scan_tree *t)
{
	struct scan_file *v = calloc(t->nfiles + 1, sizeof(*v));

	for (size_t i = 0; i < t->nfiles; i++)
		v[i] = *scan_file_at(t, i);
	qsort(v, t->nfiles, sizeof(*v), cmp_file);
	return v;
}

static struct scan_tree *
walk(bool stat_only, unsigned jobs, bool ignore)
{
	struct scan_opts o = { .jobs = jobs, .stat_only = stat_only };
	struct scan_tree *t = NULL;
	char err[256];

	if (ignore)
		o.ignore = ignore_ign;
	T_OK(scan_tree_run(root, &o, &t, err, sizeof(err)) == 0);
	return t;
}

static void
same_entries(const struct scan_tree *ref, const struct scan_tree *t, const char *what)
{
	struct scan_file *a = sorted(ref), *b = sorted(t);
	size_t i, diff = 0;

	T_CHECK(ref->nfiles == t->nfiles, "%s: %zu entries, breadth-first walk %zu", what, t->nfiles,
		ref->nfiles);
	/* every directory counted once: the root, 40 + 200 + 200, and the
	 * mount point each walk fails to open (neither stats a directory:
	 * d_type says what it is, RESOLVE_NO_XDEV refuses the other mount) */
	T_CHECK(t->ndirs == 442 && t->ndirs == ref->ndirs, "%s: %llu dirs", what,
		(unsigned long long)t->ndirs);
	for (i = 0; i < ref->nfiles && i < t->nfiles; i++) {
		/* the hashing walk stats files through the open file: compare
		 * what both walks know without hashing */
		if (strcmp(a[i].path, b[i].path) != 0 || a[i].kind != b[i].kind ||
		    (a[i].kind == SCAN_FILE && (a[i].ino != b[i].ino || a[i].size != b[i].size ||
						 a[i].mtime_ns != b[i].mtime_ns)))
			diff++;
	}
	T_CHECK(diff == 0, "%s: %zu entries differ", what, diff);
	free(a);
	free(b);
}

static const struct scan_file *
find(const struct scan_tree *t, const char *path)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(scan_file_at(t, i)->path, path) == 0)
			return scan_file_at(t, i);
	return NULL;
}

static void
test_parallel_walk_finds_what_bfs_finds(void)
{
	struct scan_tree *ref = walk(false, 2, true);
	unsigned jobs[] = { 1, 2, 4, 16 };

	T_OK(ref != NULL);
	if (ref == NULL)
		return;
	/* 40 x 5 x 2 files, index.php, 2 symlinks, a FIFO, the mount point */
	T_EQ_INT(ref->nfiles, 400 + 1 + 2 + 1 + 1);
	for (size_t k = 0; k < sizeof(jobs) / sizeof(jobs[0]); k++) {
		struct scan_tree *t = walk(true, jobs[k], true);
		char what[64];
		const struct scan_file *f;

		snprintf(what, sizeof(what), "stat-only walk on %u threads", jobs[k]);
		if (t == NULL)
			continue;
		same_entries(ref, t, what);
		f = find(t, "mnt");
		T_CHECK(f && f->kind == SCAN_MOUNTPOINT, "%s: mnt not a mount point", what);
		T_CHECK(find(t, "mnt/inside.php") == NULL, "%s: entered the mount", what);
		f = find(t, "link-dir");
		T_CHECK(f && f->kind == SCAN_SYMLINK, "%s: link-dir not a symlink", what);
		T_CHECK(find(t, "link-dir/s0") == NULL, "%s: followed a symlink", what);
		f = find(t, "fifo");
		T_CHECK(f && f->kind == SCAN_SPECIAL, "%s: fifo not special", what);
		T_CHECK(find(t, "ign/hidden.php") == NULL, "%s: ignored subtree listed", what);
		f = find(t, "d07/s3/deep/g3.txt");
		T_CHECK(f && f->kind == SCAN_FILE && f->size == 1 && f->ino != 0 && f->mtime_ns != 0,
			"%s: a deep file without its stat", what);
		scan_tree_free(t);
	}
	scan_tree_free(ref);
}

/* a directory whose entries take many getdents64 calls (3,000 long names:
 * some 300 KB of records): every entry listed, each once, by the stat-only
 * walk and by the hashing one */
static void
test_large_directory(void)
{
	enum { N = 3000 };
	static bool seen[N];
	char big[512], p[700];
	bool modes[] = { true, false };

	snprintf(big, sizeof(big), "%s/big", top);
	T_OK(mkdir(big, 0755) == 0);
	for (unsigned i = 0; i < N; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/%05u-a-name-long-enough-to-fill-the-buffer-of-records-soon.php",
			 big, i);
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct scan_opts o = { .jobs = 2, .stat_only = modes[m] };
		struct scan_tree *t = NULL;
		size_t twice = 0, missing = 0;
		char err[256];

		T_OK(scan_tree_run(big, &o, &t, err, sizeof(err)) == 0);
		if (t == NULL)
			continue;
		memset(seen, 0, sizeof(seen));
		for (size_t i = 0; i < t->nfiles; i++) {
			unsigned k = (unsigned)atoi(scan_file_at(t, i)->path);

			if (k < N && seen[k])
				twice++;
			if (k < N)
				seen[k] = true;
		}
		for (unsigned k = 0; k < N; k++)
			missing += !seen[k];
		T_CHECK(t->nfiles == N && twice == 0 && missing == 0,
			"%s walk: %zu entries, %zu twice, %zu missing", modes[m] ? "stat-only" : "hashing",
			t->nfiles, twice, missing);
		scan_tree_free(t);
	}
}

/* the hashing walk keeps what the judgement reads of a file's head: code
 * first (a PHP tag or #! after white space), a PHP tag anywhere */
static void
test_head_flags(void)
{
	struct scan_tree *t;
	const struct scan_file *f;

	put("head-php.txt", "\n  <?php echo 1;\n");
	put("head-sh.txt", "#!/bin/sh\necho\n");
	put("head-gif.gif", "GIF89a\x01\x02 junk <?php system($_GET[1]); ?>");
	put("head-plain.txt", "just text, a < and a ? apart\n");
	t = walk(false, 2, true);
	T_OK(t != NULL);
	if (t == NULL)
		return;
	f = find(t, "head-php.txt");
	T_CHECK(f && f->head == SCAN_HEAD_CODE + SCAN_HEAD_PHP_TAG, "php head: %d", f ? f->head : -1);
	f = find(t, "head-sh.txt");
	T_CHECK(f && f->head == SCAN_HEAD_CODE, "#! head: %d", f ? f->head : -1);
	f = find(t, "head-gif.gif");
	T_CHECK(f && f->head == SCAN_HEAD_PHP_TAG, "PHP in an image: %d", f ? f->head : -1);
	f = find(t, "head-plain.txt");
	T_CHECK(f && f->head == 0, "plain text: %d", f ? f->head : -1);
	scan_tree_free(t);
	t = walk(true, 2, true);
	if (t) {
		f = find(t, "head-php.txt");
		T_CHECK(f && f->head == 0, "a stat-only walk reads no head: %d", f ? f->head : -1);
		scan_tree_free(t);
	}
}

/* one entry as the spilled tree gave it back (its pointers live until the next
 * read) */
struct seen {
	char *path;
	uint8_t kind, status;
	uint64_t ino, size;
	uint8_t sha[SHA256_LEN];
	char *target;
};

/* A hashing scan with its entries spilled to a file: the same entries as the
 * breadth-first walk (with the same hashes), in path order (bytes), a
 * directory's subtree where its path sorts among names that extend it with a
 * byte below '/' and above it; read back in any order. */
static void
test_spilled_scan_in_path_order(void)
{
	static const char *const extra[] = { "d00-x.php", "d00.php", "d000", "d00 z" };
	struct scan_opts o = { .jobs = 2, .spill = true, .ignore = ignore_ign };
	struct scan_tree *ref, *t = NULL;
	struct scan_file *a;
	struct seen *v;
	char err[256];
	size_t i, unsorted = 0, differ = 0;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		put(extra[i], "<?php\n");
	ref = walk(false, 2, true);
	T_OK(scan_tree_run(root, &o, &t, err, sizeof(err)) == 0);
	if (ref == NULL || t == NULL)
		goto out;
	T_CHECK(t->sorted && t->spill != NULL, "the tree is not spilled");
	T_EQ_INT(t->nfiles, ref->nfiles);
	T_CHECK(t->ndirs == ref->ndirs, "%llu dirs, not %llu", (unsigned long long)t->ndirs,
		(unsigned long long)ref->ndirs);
	v = calloc(t->nfiles + 1, sizeof(*v));
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);

		v[i].path = strdup(f->path);
		v[i].kind = f->kind;
		v[i].status = f->status;
		v[i].ino = f->ino;
		v[i].size = f->size;
		memcpy(v[i].sha, f->sha256, SHA256_LEN);
		v[i].target = f->link_target ? strdup(f->link_target) : NULL;
		if (i > 0 && f->kind == SCAN_FILE && v[i - 1].kind == SCAN_FILE &&
		    strcmp(v[i - 1].path, v[i].path) >= 0)
			unsorted++;
	}
	T_CHECK(unsorted == 0, "%zu files out of path order", unsorted);
	/* the extra names sort before the directory d00's files, d000 after */
	for (i = 0; i + 1 < t->nfiles; i++)
		if (strcmp(v[i].path, "d00.php") == 0)
			T_CHECK(strncmp(v[i + 1].path, "d00/", 4) == 0, "after d00.php: %s",
				v[i + 1].path);
	a = sorted(ref);
	for (i = 0; i < ref->nfiles && i < t->nfiles; i++) {
		/* each entry of the reference, with its kind, status, inode,
		 * size, hash and link target */
		const struct scan_file *r = &a[i];
		const struct seen *x = NULL;

		for (size_t k = 0; k < t->nfiles && x == NULL; k++)
			if (strcmp(v[k].path, r->path) == 0)
				x = &v[k];
		if (x == NULL || x->kind != r->kind || x->status != r->status ||
		    (r->kind == SCAN_FILE && (x->ino != r->ino || x->size != r->size ||
					      memcmp(x->sha, r->sha256, SHA256_LEN) != 0)) ||
		    (r->link_target == NULL) != (x->target == NULL) ||
		    (r->link_target && strcmp(r->link_target, x->target) != 0))
			differ++;
	}
	T_CHECK(differ == 0, "%zu entries differ from the breadth-first walk's", differ);
	/* read back out of order: from the end, then one in the middle */
	for (i = t->nfiles; i > 0; i--)
		if (strcmp(scan_file_at(t, i - 1)->path, v[i - 1].path) != 0)
			differ++;
	T_CHECK(differ == 0, "read backwards: %zu entries differ", differ);
	T_CHECK(strcmp(scan_file_at(t, t->nfiles / 2)->path, v[t->nfiles / 2].path) == 0,
		"a jump into the middle");
	T_CHECK(scan_file_at(t, 0) && strcmp(scan_file_at(t, 0)->path, v[0].path) == 0,
		"a jump back to the start");
	for (i = 0; i < t->nfiles; i++) {
		free(v[i].path);
		free(v[i].target);
	}
	free(v);
	free(a);
out:
	scan_tree_free(ref);
	scan_tree_free(t);
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", root, extra[i]);
		unlink(p);
	}
}

static bool
keep_php(void *ud, const char *relpath, size_t len)
{
	(void)ud;
	return len > 4 && memcmp(relpath + len - 4, ".php", 4) == 0;
}

/* the note says what the worker was given: 'K' and whether the bytes kept
 * hash to the entry's hash, or 'N' (not kept) */
static void
note_content(void *ud, const char *rootpath, int rootfd, struct scan_file *f, const uint8_t *data, size_t n)
{
	uint8_t d[SHA256_LEN];

	__atomic_add_fetch((unsigned *)ud, 1, __ATOMIC_RELAXED);
	if (strcmp(rootpath, root) != 0 || rootfd < 0 || f->status != HASH_OK)
		return; /* no note: counted as a failure below */
	f->note = malloc(2);
	f->notelen = 2;
	f->note[0] = data ? 'K' : 'N';
	f->note[1] = '-';
	if (data) {
		sha256_buf(data, n, d);
		f->note[1] = n == f->size && memcmp(d, f->sha256, SHA256_LEN) == 0 ? '=' : '!';
	}
}

/* The content hooks: every file hashed is handed to the worker's callback
 * once, after its lookup; the bytes of the files keep names, up to
 * keep_max, are the bytes hashed (no second read); what the callback notes
 * stays with the entry through the spilled tree's file. */
static void
test_content_hooks(void)
{
	unsigned calls = 0, hashed = 0, kept = 0, bad = 0;
	struct scan_opts o = { .jobs = 2, .spill = true, .keep = keep_php, .content = note_content,
			       .content_ud = &calls, .keep_max = 64 };
	struct scan_tree *t = NULL;
	char err[256];
	size_t i;

	put("hook-small.php", "<?php echo 'small';\n");
	put("hook-large.php", "<?php /* longer than the 64 bytes kept at most, so not kept */ echo 1;\n");
	put("hook-small.txt", "small text\n");
	T_OK(scan_tree_run(root, &o, &t, err, sizeof(err)) == 0);
	if (t == NULL)
		return;
	T_OK(t->content_seen);
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);
		bool want_kept;

		if (f->kind != SCAN_FILE || f->status != HASH_OK) {
			bad += f->notelen != 0;
			continue;
		}
		hashed++;
		want_kept = keep_php(NULL, f->path, f->pathlen) && f->size <= 64;
		if (f->notelen != 2 || f->note[0] != (want_kept ? 'K' : 'N') ||
		    f->note[1] != (want_kept ? '=' : '-')) {
			bad++;
			printf("# %s: note %.*s\n", f->path, (int)f->notelen, f->note ? (char *)f->note : "");
		}
		kept += want_kept;
	}
	T_EQ_INT(calls, hashed);
	T_EQ_INT(bad, 0);
	T_CHECK(kept >= 2, "%u files kept", kept);
	scan_tree_free(t);
	/* a walk without the hooks sees no content */
	o.content = NULL;
	t = NULL;
	T_OK(scan_tree_run(root, &o, &t, err, sizeof(err)) == 0);
	T_OK(t && !t->content_seen);
	scan_tree_free(t);
	for (i = 0; i < 3; i++) {
		static const char *const names[] = { "hook-small.php", "hook-large.php", "hook-small.txt" };
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", root, names[i]);
		unlink(p);
	}
}

/* the wide tree's hook: counts its calls; the note is 'K' (kept) or 'N'
 * and the first byte of the content */
static void
note_wide(void *ud, const char *rootpath, int rootfd, struct scan_file *f, const uint8_t *data,
	  size_t n)
{
	(void)rootpath;
	(void)rootfd;
	__atomic_add_fetch((unsigned *)ud, 1, __ATOMIC_RELAXED);
	f->note = malloc(2);
	f->notelen = 2;
	f->note[0] = data ? 'K' : 'N';
	f->note[1] = data && n ? data[0] : '-';
}

/* A spilled scan of a tree larger than its window (SCAN_WINDOW chunks): the
 * walking thread hashes while it waits for the window's oldest chunk, beside
 * the workers. On 1, 2 and 8 threads the entries are the same, in the same
 * (path) order, with the same hashes and notes; each file is handed to the
 * content hook once; one thread alone (no worker beside the walker) gets
 * through. */
static void
test_spill_wider_than_window_same_on_any_jobs(void)
{
	enum { NDIR = 48, PER = 800, NFILES = NDIR * PER };
	static const unsigned jobs[] = { 1, 2, 8 };
	struct scan_tree *ref = NULL;
	char wide[512], p[700];
	size_t i;

	_Static_assert(NFILES > SCAN_WINDOW * SCAN_CHUNK, "the tree must not fit the window");
	snprintf(wide, sizeof(wide), "%s/wide", top);
	T_OK(mkdir(wide, 0755) == 0);
	if (mount("wsid-test-wide", wide, "tmpfs", 0, "size=256m") < 0) {
		T_CHECK(0, "a tmpfs for the wide tree: %s", strerror(errno));
		return;
	}
	for (unsigned d = 0; d < NDIR; d++) {
		snprintf(p, sizeof(p), "%s/d%02u", wide, d);
		T_OK(mkdir(p, 0755) == 0);
		for (unsigned k = 0; k < PER; k++) {
			FILE *f;

			/* a few large files: some workers are slow while others
			 * run ahead */
			snprintf(p, sizeof(p), "%s/d%02u/%s%04u.php", wide, d, k % 7 ? "f" : "F", k);
			f = fopen(p, "w");
			if (f == NULL)
				continue;
			fprintf(f, "<?php /* %u %u */\n", d, k);
			if (k == 5)
				for (unsigned r = 0; r < 20000; r++)
					fprintf(f, "echo %u;\n", r);
			fclose(f);
		}
	}
	for (size_t m = 0; m < sizeof(jobs) / sizeof(jobs[0]); m++) {
		unsigned calls = 0;
		struct scan_opts o = { .jobs = jobs[m], .spill = true, .keep = keep_php,
				       .content = note_wide, .content_ud = &calls, .keep_max = 4096 };
		struct scan_tree *t = NULL;
		size_t differ = 0, hashed = 0, unsorted = 0;
		char err[256], prev[256] = "";

		T_OK(scan_tree_run(wide, &o, &t, err, sizeof(err)) == 0);
		if (t == NULL)
			continue;
		T_CHECK(t->nfiles == NFILES, "%u threads: %zu entries", jobs[m], t->nfiles);
		for (i = 0; i < t->nfiles; i++) {
			const struct scan_file *f = scan_file_at(t, i);

			hashed += f->kind == SCAN_FILE && f->status == HASH_OK;
			if (strcmp(prev, f->path) >= 0)
				unsorted++;
			snprintf(prev, sizeof(prev), "%s", f->path);
		}
		T_CHECK(hashed == NFILES && calls == NFILES && unsorted == 0,
			"%u threads: %zu hashed, %u hook calls, %zu out of order", jobs[m], hashed,
			calls, unsorted);
		if (ref == NULL) {
			ref = t;
			continue;
		}
		/* entry by entry against the first; both trees are read
		 * forward, one entry of each at a time */
		for (i = 0; i < t->nfiles && i < ref->nfiles; i++) {
			struct scan_file a = *scan_file_at(ref, i);
			char apath[256], anote[2] = { 0, 0 };
			const struct scan_file *b;

			snprintf(apath, sizeof(apath), "%s", a.path);
			if (a.notelen == 2)
				memcpy(anote, a.note, 2);
			b = scan_file_at(t, i);
			if (strcmp(apath, b->path) != 0 || a.kind != b->kind || a.status != b->status ||
			    a.size != b->size || memcmp(a.sha256, b->sha256, SHA256_LEN) != 0 ||
			    b->notelen != 2 || memcmp(anote, b->note, 2) != 0)
				differ++;
		}
		T_CHECK(differ == 0, "%u threads: %zu entries differ from 1 thread's", jobs[m], differ);
		scan_tree_free(t);
	}
	scan_tree_free(ref);
	umount(wide);
	rmdir(wide);
}

int
main(void)
{
	char inner[512];

	if (fx_tmpfs(top) < 0) {
		printf("not ok: a tmpfs of the test's own (needs root)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	snprintf(root, sizeof(root), "%s/root", top);
	mkdir(root, 0755);
	make_tree();
	T_RUN(test_parallel_walk_finds_what_bfs_finds);
	T_RUN(test_head_flags);
	T_RUN(test_spilled_scan_in_path_order);
	T_RUN(test_content_hooks);
	T_RUN(test_large_directory);
	T_RUN(test_spill_wider_than_window_same_on_any_jobs);
	snprintf(inner, sizeof(inner), "%s/mnt", root);
	umount(inner);
	fx_tmpfs_done(top);
	T_DONE();
}
