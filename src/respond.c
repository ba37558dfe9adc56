// SPDX-License-Identifier: GPL-2.0-or-later
/* Safe writes into a webspace; see respond.h. */
#include "respond.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "fdio.h"
#include "util.h"

int
respond_dir_open(int rootfd, const char *relpath, const char **ret_base)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	const char *slash = strrchr(relpath, '/');
	char *dir;
	long fd;

	if (relpath[0] == '/' || relpath[0] == '\0' || strstr(relpath, "//") != NULL)
		return -EXDEV;
	*ret_base = slash ? slash + 1 : relpath;
	if (**ret_base == '\0' || strcmp(*ret_base, ".") == 0 || strcmp(*ret_base, "..") == 0)
		return -EINVAL;
	dir = slash ? xstrndup(relpath, (size_t)(slash - relpath)) : xstrdup(".");
	fd = syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
	free(dir);
	/* RESOLVE_NO_SYMLINKS: ELOOP for a symlink, trailing ones included; a
	 * file where a directory of the path should be is ENOTDIR, no symlink */
	if (fd < 0)
		return -errno;
	return (int)fd;
}

/* the name's extension (".php"), or "" */
static const char *
ext_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && dot != name ? dot : "";
}

void
respond_neighbour(int dirfd, const char *except, uid_t *uid, gid_t *gid, mode_t *mode)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	const char *ext = ext_of(except);
	struct dirent *de;
	struct stat st;
	bool any = false;

	*mode = 0644;
	if (fstat(dirfd, &st) == 0) {
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* a neighbour of the same extension if there is one (PHP files are
	 * often kept closer than the HTML beside them), else any */
	while ((de = readdir(d)) != NULL) {
		bool same;

		if (strcmp(de->d_name, except) == 0 || strncmp(de->d_name, ".wsid-", 6) == 0)
			continue;
		same = strcmp(ext_of(de->d_name), ext) == 0;
		if ((any && !same) || fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		*uid = st.st_uid;
		*gid = st.st_gid;
		*mode = st.st_mode & 0777;
		any = true;
		if (same)
			break;
	}
	closedir(d);
}

int
respond_write(int dirfd, const char *base, const void *data, size_t len, uid_t uid, gid_t gid,
	      mode_t mode, int64_t mtime_ns, int noreplace)
{
	char tmp[64];
	uint8_t rnd[8];
	int fd, r = 0;

	if (getentropy(rnd, sizeof(rnd)) < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), ".wsid-write.%d.%02x%02x%02x%02x%02x%02x%02x%02x", (int)getpid(),
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if ((r = fd_write_all(fd, data, len)) < 0)
		goto fail;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode & 0777) < 0 || fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (mtime_ns > 0) {
		struct timespec ts[2] = {
			{ .tv_nsec = UTIME_OMIT },
			{ .tv_sec = mtime_ns / 1000000000, .tv_nsec = mtime_ns % 1000000000 },
		};

		if (futimens(fd, ts) < 0) {
			r = -errno;
			goto fail;
		}
	}
	/* renamed while still open: the close that the watcher judges names
	 * the final file, never the temporary one */
	if (renameat2(dirfd, tmp, dirfd, base, noreplace ? RENAME_NOREPLACE : 0) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
fail:
	unlinkat(dirfd, tmp, 0);
	close(fd);
	return r;
}

int
respond_read(int dirfd, const char *base, size_t cap, uint8_t **ret, size_t *ret_len,
	     struct stat *st)
{
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	uint8_t *data = NULL;
	size_t off = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st->st_size > cap) {
		r = -EFBIG;
		goto out;
	}
	data = xmalloc(st->st_size ? (size_t)st->st_size : 1);
	while (off < (size_t)st->st_size) {
		ssize_t n = pread(fd, data + off, (size_t)st->st_size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO; /* shrank while read */
			goto out;
		}
		off += (size_t)n;
	}
	*ret = data;
	*ret_len = off;
	data = NULL;
out:
	free(data);
	close(fd);
	return r;
}
