// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening beneath a webspace root by paths longer than PATH_MAX, which openat2
 * refuses (ENAMETOOLONG) and the component-wise walk then resolves: the walk
 * must refuse what RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV refuse,
 * mount points included (a tmpfs, and a bind mount of the same file system:
 * same st_dev, another mount). Runs in a mount namespace of its own, on a
 * tmpfs it mounts itself; every mount is undone at the end (and vanishes with
 * the namespace in any case). Needs root.
 * A file under a write lease: refused as HASH_LOCKED, waited for no longer
 * than asked, read once the lease is gone; a FIFO never waited on. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "hash.h"
#include "t.h"

static char top[] = "/tmp/wsid-test-hash.XXXXXX";
static int rootfd = -1; /* the webspace root */
static char seg[201]; /* one 200-byte path component */
#define DEPTH 24      /* 24 components of 200 bytes: beyond PATH_MAX */

/* creates DEPTH components of `seg` under dfd (a path too long for mkdir);
 * returns the deepest directory's fd */
static int
make_chain(int dfd)
{
	int i, fd = dup(dfd);

	for (i = 0; fd >= 0 && i < DEPTH; i++) {
		int next;

		if (mkdirat(fd, seg, 0755) < 0 && errno != EEXIST)
			break;
		next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

static int
write_at(int dfd, const char *name, const char *s)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* prefix + DEPTH components + "/" + leaf */
static char *
chain_path(const char *prefix, const char *leaf)
{
	size_t cap = strlen(prefix) + DEPTH * (sizeof(seg)) + strlen(leaf) + 2;
	char *p = malloc(cap);
	int i;

	if (p == NULL)
		abort();
	strcpy(p, prefix);
	for (i = 0; i < DEPTH; i++) {
		strcat(p, seg);
		strcat(p, "/");
	}
	strcat(p, leaf);
	return p;
}

static void
expect_content(int fd, const char *want)
{
	char buf[64] = { 0 };
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	T_CHECK(n >= 0 && strcmp(buf, want) == 0, "read '%s', expected '%s' (fd %d)", buf, want,
		fd);
}

static long
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void
test_lease(void)
{
	static const char body[] = "<?php leased\n";
	uint8_t want[SHA256_LEN];
	struct hash_result r;
	struct timespec t0;
	int fd, holder;
	long ms;

	fd = openat(rootfd, "leased.php", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	T_OK(fd >= 0 && write(fd, body, sizeof(body) - 1) == (ssize_t)sizeof(body) - 1);
	if (fd >= 0)
		close(fd);
	T_EQ_INT(mkfifoat(rootfd, "fifo.php", 0644), 0);
	/* this process holds the lease: the break (SIGIO) comes here */
	signal(SIGIO, SIG_IGN);
	holder = openat(rootfd, "leased.php", O_RDONLY | O_CLOEXEC);
	T_EQ_INT(fcntl(holder, F_SETLEASE, F_WRLCK), 0);

	hash_file_beneath(rootfd, "leased.php", 0, NULL, &r);
	T_EQ_INT(r.status, HASH_LOCKED);
	T_EQ_INT(r.size, sizeof(body) - 1);
	/* the holder does not yield: the open that waits gives up on time */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hash_file_wait(rootfd, "leased.php", 0, 300, &r);
	ms = ms_since(&t0);
	T_EQ_INT(r.status, HASH_LOCKED);
	T_CHECK(ms >= 250 && ms < 1500, "waited %ld ms for a 300 ms bound", ms);
	/* a FIFO is never waited on */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hash_file_wait(rootfd, "fifo.php", 0, 300, &r);
	ms = ms_since(&t0);
	T_EQ_INT(r.status, HASH_NOT_REGULAR);
	T_CHECK(ms < 200, "a FIFO took %ld ms", ms);
	/* the lease gone: read and hashed */
	T_EQ_INT(fcntl(holder, F_SETLEASE, F_UNLCK), 0);
	close(holder);
	hash_file_wait(rootfd, "leased.php", 0, 300, &r);
	sha256_buf(body, sizeof(body) - 1, want);
	T_EQ_INT(r.status, HASH_OK);
	T_OK(memcmp(r.sha256, want, SHA256_LEN) == 0);
	signal(SIGIO, SIG_DFL);
}

static void
test_long_paths(void)
{
	char *plain = chain_path("plain/", "f.php");
	char *viamnt = chain_path("mnt/", "f.php");
	char *viabind = chain_path("bind/", "f.php");
	char *vialink = chain_path("link/", "f.php");
	char *dotdot = chain_path("plain/", "../../f.php");
	char *mntpoint, *deepmnt, *deepfile;
	struct stat st;
	int fd, deep;

	T_CHECK(strlen(plain) > PATH_MAX, "path of %zu bytes", strlen(plain));

	/* a plain deep file: openat2 refuses the length, the walk opens it */
	fd = hash_open_beneath(rootfd, plain);
	T_CHECK(fd >= 0, "plain deep file: %s", strerror(fd < 0 ? -fd : 0));
	expect_content(fd, "plain\n");
	if (fd >= 0)
		close(fd);
	T_EQ_INT(stat_beneath(rootfd, plain, &st), 0);
	T_OK(S_ISREG(st.st_mode) && st.st_size == 6);

	/* through a tmpfs mounted on the way: refused, by open and by stat */
	T_EQ_INT(hash_open_beneath(rootfd, viamnt), -EXDEV);
	T_EQ_INT(stat_beneath(rootfd, viamnt, &st), -EXDEV);
	/* through a bind mount of the same file system (same st_dev) */
	T_EQ_INT(hash_open_beneath(rootfd, viabind), -EXDEV);
	T_EQ_INT(stat_beneath(rootfd, viabind, &st), -EXDEV);
	/* a symlink on the way (to the plain chain, beneath the root) */
	fd = hash_open_beneath(rootfd, vialink);
	T_CHECK(fd == -ELOOP || fd == -ENOTDIR, "through a symlink: %d", fd);
	if (fd >= 0)
		close(fd);
	/* ".." never walked */
	T_EQ_INT(hash_open_beneath(rootfd, dotdot), -EXDEV);

	/* a mount point deep down, itself: stat says a mount point, open of a
	 * file beneath it refused; the same path without the mount opens */
	mntpoint = chain_path("plain/", "inner");
	deepmnt = chain_path("plain/", "inner/g.php");
	deepfile = chain_path("plain/", "g.php");
	deep = make_chain(openat(rootfd, "plain", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	T_OK(deep >= 0 && mkdirat(deep, "inner", 0755) == 0 && write_at(deep, "g.php", "g\n") == 0);
	if (deep >= 0) {
		char proc[64];

		/* mount(2) takes a path of at most PATH_MAX: the directory by its fd */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", deep);
		T_EQ_INT(chdir(proc), 0);
		T_EQ_INT(mount("tmpfs", "inner", "tmpfs", 0, "size=1m"), 0);
		T_EQ_INT(write_at(AT_FDCWD, "inner/g.php", "hidden\n"), 0);
		T_EQ_INT(stat_beneath(rootfd, mntpoint, &st), -EXDEV);
		T_EQ_INT(hash_open_beneath(rootfd, deepmnt), -EXDEV);
		fd = hash_open_beneath(rootfd, deepfile);
		expect_content(fd, "g\n");
		if (fd >= 0)
			close(fd);
		T_EQ_INT(umount2("inner", MNT_DETACH), 0);
		T_EQ_INT(chdir("/"), 0);
		close(deep);
	}
	free(plain);
	free(viamnt);
	free(viabind);
	free(vialink);
	free(dotdot);
	free(mntpoint);
	free(deepmnt);
	free(deepfile);
}

/* "<?php" or "<?=" anywhere in a content, across the 64 KiB chunks the hash
 * reads: PHP hidden behind an image header (engine: analysed then) */
static int
php_tag_of(const char *name, size_t at, const char *tag, size_t size)
{
	char *buf = malloc(size);
	struct hash_result r;
	int fd;
	ssize_t n;

	if (buf == NULL)
		abort();
	memset(buf, 'x', size);
	memcpy(buf, "\x89PNG\r\n\x1a\n<?xml", 13); /* "<?" alone is no tag */
	if (tag) /* cut at the end of the content */
		memcpy(buf + at, tag, at + strlen(tag) <= size ? strlen(tag) : size - at);
	fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	n = fd >= 0 ? write(fd, buf, size) : -1;
	if (fd >= 0)
		close(fd);
	free(buf);
	if (n != (ssize_t)size)
		return -1;
	hash_file_beneath(rootfd, name, 0, NULL, &r);
	return r.status == HASH_OK ? r.php_tag : -1;
}

static void
test_php_tag(void)
{
	size_t k;

	T_EQ_INT(php_tag_of("none.png", 0, NULL, 200000), 0);
	T_EQ_INT(php_tag_of("early.png", 20, "<?php", 200000), 1);
	T_EQ_INT(php_tag_of("upper.png", 20, "<?PHP", 300), 1);
	T_EQ_INT(php_tag_of("echo.png", 150000, "<?=", 200000), 1);
	T_EQ_INT(php_tag_of("end.png", 199995, "<?php", 200000), 1);
	T_EQ_INT(php_tag_of("cut.png", 199996, "<?php", 200000), 0); /* "<?ph" at the end */
	/* every split of the tag over the first chunk boundary */
	for (k = 1; k < 5; k++)
		T_CHECK(php_tag_of("seam.png", 65536 - k, "<?php", 140000) == 1, "tag split %zu|%zu", k, 5 - k);
	T_EQ_INT(php_tag_of("seam.png", 65535, "<?=", 140000), 1);
	T_EQ_INT(php_tag_of("seam.png", 65534, "<?x", 140000), 0);
	/* a '<' is no tag without the '?' right after it */
	T_EQ_INT(php_tag_of("lt.png", 100, "<a= <xphp <=<php< ?php<x?=", 200000), 0);
	T_EQ_INT(php_tag_of("ltlt.png", 100, "<<<?=", 200000), 1);
	T_EQ_INT(php_tag_of("ltend.png", 199999, "<", 200000), 0);
}

int
main(void)
{
	char path[128];
	int fd, ok;

	if (geteuid() != 0) {
		printf("test_hash: skipped: needs root (mounts)\n");
		T_DONE();
	}
	memset(seg, 'd', sizeof(seg) - 1);
	/* a tmpfs in a mount namespace of our own, its mounts not propagated back */
	ok = fx_tmpfs(top) == 0;
	T_CHECK(ok, "a tmpfs at %s", top);
	if (ok) {
		/* the webspace root and, beside it, what gets mounted into it */
		snprintf(path, sizeof(path), "%s/root", top);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/src", top);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/root", top);
		rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		T_OK(rootfd >= 0);
		mkdirat(rootfd, "plain", 0755);
		mkdirat(rootfd, "mnt", 0755);
		mkdirat(rootfd, "bind", 0755);
		fd = make_chain(openat(rootfd, "plain", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		T_OK(fd >= 0 && write_at(fd, "f.php", "plain\n") == 0);
		close(fd);
		/* mnt: a tmpfs, the chain inside it */
		snprintf(path, sizeof(path), "%s/root/mnt", top);
		T_EQ_INT(mount("tmpfs", path, "tmpfs", 0, "size=4m"), 0);
		fd = make_chain(openat(rootfd, "mnt", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		T_OK(fd >= 0 && write_at(fd, "f.php", "mnt\n") == 0);
		close(fd);
		/* bind: src (same tmpfs as the root) bound onto it */
		snprintf(path, sizeof(path), "%s/src", top);
		fd = make_chain(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		T_OK(fd >= 0 && write_at(fd, "f.php", "bind\n") == 0);
		close(fd);
		{
			char dst[128];

			snprintf(dst, sizeof(dst), "%s/root/bind", top);
			T_EQ_INT(mount(path, dst, NULL, MS_BIND, NULL), 0);
		}
		/* link: a symlink to the plain directory, beneath the root */
		T_EQ_INT(symlinkat("plain", rootfd, "link"), 0);
		if (rootfd >= 0)
			T_RUN(test_long_paths);
		if (rootfd >= 0)
			T_RUN(test_lease);
		if (rootfd >= 0)
			T_RUN(test_php_tag);
		if (rootfd >= 0)
			close(rootfd);
		snprintf(path, sizeof(path), "%s/root/bind", top);
		T_EQ_INT(umount2(path, MNT_DETACH), 0);
		snprintf(path, sizeof(path), "%s/root/mnt", top);
		T_EQ_INT(umount2(path, MNT_DETACH), 0);
		fx_tmpfs_done(top);
	}
	T_DONE();
}
