// SPDX-License-Identifier: GPL-2.0-or-later
/* Webspace roots: resolved once without a symbolic link root does not own,
 * reopened by identity; see root.h.
 *
 * Resolution goes one component at a time from a descriptor of "/": each
 * name is opened O_PATH|O_NOFOLLOW beneath the directory before it, so what
 * is checked (a link's owner, its target read from the same descriptor) is
 * what is used, whatever the tenant renames meanwhile. */
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hash.h"
#include "util.h"

#define ROOT_LINKS_MAX 40

int
root_identify(int fd, struct root_id *ret)
{
	struct statx stx;
	int mnt;

	memset(&stx, 0, sizeof(stx));
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_TYPE | STATX_MNT_ID,
		  &stx) < 0)
		return -errno;
	ret->dev = ((uint64_t)stx.stx_dev_major << 32) | stx.stx_dev_minor;
	ret->ino = stx.stx_ino;
	if (stx.stx_mask & STATX_MNT_ID) {
		ret->mnt = stx.stx_mnt_id;
	} else {
		mnt = fd_mount_id(fd);
		ret->mnt = mnt < 0 ? 0 : (uint64_t)mnt;
	}
	return 0;
}

bool
root_id_equal(const struct root_id *a, const struct root_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->mnt == b->mnt;
}

int
root_reopen(const char *real, const struct root_id *id)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct root_id now = { 0 };
	long fd;
	int r;

	fd = syscall(SYS_openat2, AT_FDCWD, real, &how, sizeof(how));
	if (fd < 0) {
		r = -errno;
		/* a link, a file or nothing where the root was */
		return r == -ENOENT || r == -ELOOP || r == -ENOTDIR || r == -EXDEV ? -ESTALE : r;
	}
	if ((r = root_identify((int)fd, &now)) < 0 || !root_id_equal(&now, id)) {
		close((int)fd);
		return r < 0 ? r : -ESTALE;
	}
	return (int)fd;
}

/* the path of an open directory, as the kernel names it (malloc'ed) */
static char *
fd_path(int fd)
{
	char proc[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

int
root_resolve(const char *path, int *ret_fd, char **ret_real, struct root_id *ret_id,
	     bool *ret_via_link)
{
	/* what is left to resolve; a link's target is put in front of it */
	char *rest = NULL, *real = NULL;
	int dfd = -1, fd = -1, links = 0, r, chk;
	bool via_link = false;
	struct root_id id = { 0 };
	size_t pos = 0;

	if (path[0] != '/')
		return -EINVAL;
	rest = xstrdup(path);
	if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		char name[NAME_MAX + 1], target[PATH_MAX];
		struct stat st;
		size_t n;
		ssize_t tl;
		bool last;

		while (rest[pos] == '/')
			pos++;
		if (rest[pos] == '\0')
			break;
		n = strcspn(rest + pos, "/");
		if (n > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, rest + pos, n);
		name[n] = '\0';
		pos += n;
		last = rest[pos + strspn(rest + pos, "/")] == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = -errno;
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char *next;

			/* the root itself is never a link: a customer's would
			 * choose what is watched as its webspace */
			if (last) {
				r = -ELOOP;
				goto out;
			}
			if (st.st_uid != 0) {
				r = -EPERM;
				goto out;
			}
			if (++links > ROOT_LINKS_MAX) {
				r = -EMLINK;
				goto out;
			}
			tl = readlinkat(fd, "", target, sizeof(target) - 1);
			if (tl <= 0) {
				r = tl < 0 ? -errno : -ENOENT;
				goto out;
			}
			target[tl] = '\0';
			close(fd);
			fd = -1;
			if (target[0] == '/') {
				close(dfd);
				if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
					r = -errno;
					goto out;
				}
			}
			next = xasprintf("%s/%s", target, rest + pos);
			free(rest);
			rest = next;
			pos = 0;
			via_link = true;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			r = -ENOTDIR;
			goto out;
		}
		close(dfd);
		dfd = fd;
		fd = -1;
	}
	if ((r = root_identify(dfd, &id)) < 0)
		goto out;
	if ((real = fd_path(dfd)) == NULL) {
		r = -ENOENT;
		goto out;
	}
	/* the name the kernel gives must lead to this very directory without
	 * a link (else it changed meanwhile: the next discovery tries again) */
	if ((chk = root_reopen(real, &id)) < 0) {
		r = chk == -ESTALE ? -EAGAIN : chk;
		goto out;
	}
	close(chk);
	*ret_fd = dfd;
	dfd = -1;
	*ret_real = real;
	real = NULL;
	*ret_id = id;
	if (ret_via_link)
		*ret_via_link = via_link;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(rest);
	free(real);
	return r;
}
