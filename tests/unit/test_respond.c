// SPDX-License-Identifier: GPL-2.0-or-later
/* Writes into a webspace on a tmpfs the test mounts in a mount namespace of
 * its own (root needed): a name is resolved beneath the root only (an
 * absolute name, "..", an empty component are refused), a symlink on the way
 * or at the file is never followed (read: refused; write: the link replaced,
 * its target untouched), another mount inside the webspace is not entered;
 * a read takes regular files only, up to its cap; a write sets owner, group,
 * mode (no setuid) and time, leaves no temporary name behind, and with
 * noreplace keeps what is there; the neighbour's owner and mode are those of
 * a regular file beside, the same extension preferred. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "respond.h"
#include "t.h"

static char top[] = "/tmp/wsid-test-respond.XXXXXX";
static char ws[256], outside[256];
static int rootfd = -1;

static const char *
at(const char *rel)
{
	return fx_join(ws, rel);
}

/* the number of entries of dir named .wsid-* (temporary names left behind) */
static int
leftovers(const char *rel)
{
	DIR *d = opendir(at(rel));
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, ".wsid-", 6) == 0;
	closedir(d);
	return n;
}

static void
test_dir_open(void)
{
	static const struct {
		const char *rel;
		int err;
	} bad[] = {
		{ "/etc/passwd", -EXDEV },    { "../x.php", -EXDEV },     { "a/../../x.php", -EXDEV },
		{ "a//b/c.php", -EXDEV },     { "", -EXDEV },             { "a/", -EINVAL },
		{ "a/..", -EINVAL },          { "..", -EINVAL },          { "a/.", -EINVAL },
		{ "nodir/x.php", -ENOENT },   { "inlink/c.php", -ELOOP }, { "escape/passwd", -ELOOP },
		{ "a/blink/c.php", -ELOOP },  { "mnt/x.php", -EXDEV },
		/* a regular file on the way is no symlink */
		{ "a/b/c.php/x.php", -ENOTDIR }, { "index.php/x.php", -ENOTDIR },
	};
	const char *base = NULL;
	struct stat a, b;
	size_t i;
	int fd;

	fd = respond_dir_open(rootfd, "a/b/c.php", &base);
	T_OK(fd >= 0);
	T_EQ_STR(base, "c.php");
	if (fd >= 0) {
		T_OK(fstat(fd, &a) == 0 && stat(at("a/b"), &b) == 0 && a.st_ino == b.st_ino);
		close(fd);
	}
	fd = respond_dir_open(rootfd, "index.php", &base);
	T_OK(fd >= 0);
	T_EQ_STR(base, "index.php");
	if (fd >= 0) {
		T_OK(fstat(fd, &a) == 0 && stat(ws, &b) == 0 && a.st_ino == b.st_ino);
		close(fd);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = respond_dir_open(rootfd, bad[i].rel, &base);
		T_CHECK(fd == bad[i].err, "%s: %d, not %d", bad[i].rel, fd, bad[i].err);
		if (fd >= 0)
			close(fd);
	}
}

static void
test_read(void)
{
	uint8_t *d = NULL;
	size_t n = 0;
	struct stat st;
	int fd;
	const char *base;

	fd = respond_dir_open(rootfd, "a/b/c.php", &base);
	if (fd < 0) {
		T_CHECK(0, "a/b: %d", fd);
		return;
	}
	T_EQ_INT(respond_read(fd, "c.php", 1024, &d, &n, &st), 0);
	T_OK(d && n == 15 && memcmp(d, "<?php echo 1;\n", 14) == 0 && d[14] == '\n');
	T_OK(S_ISREG(st.st_mode) && st.st_size == 15);
	free(d);
	d = NULL;
	/* the cap: its size exactly is read, a byte less refused */
	T_EQ_INT(respond_read(fd, "c.php", 15, &d, &n, &st), 0);
	free(d);
	d = NULL;
	T_EQ_INT(respond_read(fd, "c.php", 14, &d, &n, &st), -EFBIG);
	T_OK(d == NULL);
	/* a link at the file, a FIFO, a directory, nothing */
	T_EQ_INT(respond_read(fd, "lnk.php", 1024, &d, &n, &st), -ELOOP);
	T_EQ_INT(respond_read(fd, "fifo", 1024, &d, &n, &st), -EINVAL);
	T_EQ_INT(respond_read(fd, "sub", 1024, &d, &n, &st), -EINVAL);
	T_EQ_INT(respond_read(fd, "none.php", 1024, &d, &n, &st), -ENOENT);
	T_OK(d == NULL);
	/* an empty file */
	T_EQ_INT(respond_read(fd, "empty", 10, &d, &n, &st), 0);
	T_EQ_INT(n, 0);
	free(d);
	close(fd);
}

static void
test_write(void)
{
	struct stat st, before;
	const char *base;
	size_t len;
	char *got;
	int fd;

	fd = respond_dir_open(rootfd, "a/b/new.php", &base);
	if (fd < 0) {
		T_CHECK(0, "a/b: %d", fd);
		return;
	}
	/* a new file: owner, group, mode without setuid, the time */
	T_EQ_INT(respond_write(fd, base, "<?php // new\n", 13, 1234, 2345, 04750,
			       1600000000123456789ll, 1),
		 0);
	T_OK(lstat(at("a/b/new.php"), &st) == 0);
	T_OK(S_ISREG(st.st_mode));
	T_EQ_INT(st.st_uid, 1234);
	T_EQ_INT(st.st_gid, 2345);
	T_EQ_INT(st.st_mode & 07777, 0750);
	T_EQ_INT(st.st_mtim.tv_sec, 1600000000);
	T_EQ_INT(st.st_mtim.tv_nsec, 123456789);
	got = t_slurp(at("a/b/new.php"), &len);
	T_OK(got && len == 13 && strcmp(got, "<?php // new\n") == 0);
	free(got);

	/* noreplace keeps what is there */
	T_EQ_INT(respond_write(fd, base, "x", 1, 0, 0, 0644, 0, 1), -EEXIST);
	got = t_slurp(at("a/b/new.php"), &len);
	T_OK(got && strcmp(got, "<?php // new\n") == 0);
	free(got);
	/* else it is replaced: a new inode under the name */
	T_OK(stat(at("a/b/new.php"), &before) == 0);
	T_EQ_INT(respond_write(fd, base, "y\n", 2, 0, 0, 0600, 0, 0), 0);
	got = t_slurp(at("a/b/new.php"), &len);
	T_OK(got && strcmp(got, "y\n") == 0);
	free(got);
	T_OK(stat(at("a/b/new.php"), &st) == 0 && st.st_ino != before.st_ino && st.st_uid == 0 &&
	     (st.st_mode & 0777) == 0600);

	/* a symlink at the name is replaced, its target (outside) untouched */
	T_EQ_INT(respond_write(fd, "victim.php", "safe\n", 5, 0, 0, 0644, 0, 0), 0);
	T_OK(lstat(at("a/b/victim.php"), &st) == 0 && S_ISREG(st.st_mode));
	got = t_slurp(outside, &len);
	T_OK(got && strcmp(got, "outside\n") == 0);
	free(got);
	/* noreplace does not write through a link either */
	T_OK(symlink(outside, at("a/b/victim2.php")) == 0);
	T_EQ_INT(respond_write(fd, "victim2.php", "x", 1, 0, 0, 0644, 0, 1), -EEXIST);
	got = t_slurp(outside, &len);
	T_OK(got && strcmp(got, "outside\n") == 0);
	free(got);
	/* no temporary name left behind, after success or failure */
	T_EQ_INT(leftovers("a/b"), 0);
	close(fd);
}

static void
test_neighbour(void)
{
	uid_t uid = 0;
	gid_t gid = 0;
	mode_t mode = 0;
	int fd;
	const char *base;

	/* n/: page.html (11:12 0600), lib.php (21:22 04640 -> 0640), a link,
	 * a temporary name, the file itself */
	fd = respond_dir_open(rootfd, "n/x.php", &base);
	if (fd < 0) {
		T_CHECK(0, "n: %d", fd);
		return;
	}
	respond_neighbour(fd, "x.php", &uid, &gid, &mode);
	T_EQ_INT(uid, 21);
	T_EQ_INT(gid, 22);
	T_EQ_INT(mode, 0640);
	close(fd);

	/* only one regular file beside, of another extension: that one */
	fd = respond_dir_open(rootfd, "one/x.php", &base);
	if (fd >= 0) {
		respond_neighbour(fd, "x.php", &uid, &gid, &mode);
		T_EQ_INT(uid, 11);
		T_EQ_INT(gid, 12);
		T_EQ_INT(mode, 0600);
		close(fd);
	}
	/* none beside (the file itself, a link, a directory do not count):
	 * the directory's owner, 0644 */
	fd = respond_dir_open(rootfd, "lonely/x.php", &base);
	if (fd >= 0) {
		respond_neighbour(fd, "x.php", &uid, &gid, &mode);
		T_EQ_INT(uid, 31);
		T_EQ_INT(gid, 32);
		T_EQ_INT(mode, 0644);
		close(fd);
	}
}

static int
file(const char *rel, const char *text, uid_t uid, gid_t gid, mode_t mode)
{
	if (fx_put_at(ws, rel, text) < 0 || chown(at(rel), uid, gid) < 0 || chmod(at(rel), mode) < 0)
		return -1;
	return 0;
}

static int
setup(void)
{
	char inner[300];

	snprintf(ws, sizeof(ws), "%s/ws", top);
	snprintf(outside, sizeof(outside), "%s/outside.txt", top);
	snprintf(inner, sizeof(inner), "%s/mnt", ws);
	if (mkdir(ws, 0755) < 0 || fx_put(outside, "outside\n") < 0 ||
	    fx_put_at(ws, "index.php", "<?php\n") < 0 || fx_put_at(ws, "a/b/c.php", "<?php echo 1;\n\n") < 0 ||
	    fx_put_at(ws, "a/b/empty", "") < 0 || mkdir(at("a/b/sub"), 0755) < 0 ||
	    mkfifo(at("a/b/fifo"), 0644) < 0 || symlink("c.php", at("a/b/lnk.php")) < 0 ||
	    symlink(outside, at("a/b/victim.php")) < 0 || symlink("a", at("inlink")) < 0 ||
	    symlink("/etc", at("escape")) < 0 || symlink("b", at("a/blink")) < 0 ||
	    file("n/page.html", "<p>\n", 11, 12, 0600) < 0 || file("n/lib.php", "<?php\n", 21, 22, 04640) < 0 ||
	    file("n/.wsid-write.1.x", "", 41, 42, 0777) < 0 || file("n/x.php", "", 51, 52, 0666) < 0 ||
	    symlink("lib.php", at("n/zz.php")) < 0 || file("one/page.html", "<p>\n", 11, 12, 0600) < 0 ||
	    mkdir(at("lonely"), 0755) < 0 || chown(at("lonely"), 31, 32) < 0 ||
	    file("lonely/x.php", "", 51, 52, 0666) < 0 || symlink("x.php", at("lonely/y.php")) < 0 ||
	    mkdir(at("lonely/d.php"), 0755) < 0 || mkdir(inner, 0755) < 0 ||
	    mount("wsid-test-inner", inner, "tmpfs", 0, "size=1m") < 0)
		return -1;
	rootfd = open(ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

int
main(void)
{
	char inner[300];

	if (fx_tmpfs(top) < 0) {
		printf("not ok setup: a tmpfs\n");
		return 1;
	}
	if (setup() < 0) {
		printf("not ok setup: %s\n", strerror(errno));
		t_fail++;
	} else {
		T_RUN(test_dir_open);
		T_RUN(test_read);
		T_RUN(test_write);
		T_RUN(test_neighbour);
	}
	if (rootfd >= 0)
		close(rootfd);
	snprintf(inner, sizeof(inner), "%s/ws/mnt", top);
	umount2(inner, MNT_DETACH);
	fx_tmpfs_done(top);
	T_DONE();
}
