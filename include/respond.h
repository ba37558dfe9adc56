/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes into a webspace on the admin's behalf (restore, quarantine): every
 * name is resolved beneath the webspace root with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV), the file itself is looked at with AT_SYMLINK_NOFOLLOW on
 * the directory descriptor, and new content is written to a fresh O_EXCL name
 * in that directory and renamed over the file before it is closed (rename
 * replaces a name, it never follows one). No function here trusts a name it
 * did not just open. */
#ifndef WSID_RESPOND_H
#define WSID_RESPOND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The directory holding relpath (relative to rootfd; the webspace root) and
 * the last component of relpath in *ret_base (a pointer into relpath).
 * Returns the directory fd, or -ELOOP for a symlink on the way, -ENOTDIR for
 * another file on the way (not a directory), -EXDEV for an escape or another
 * mount, -ENOENT. */
int respond_dir_open(int rootfd, const char *relpath, const char **ret_base);

/* Owner, group and mode (permission bits, setuid/setgid/sticky cleared) of a
 * regular file in dirfd other than `except`, else the directory's owner and
 * 0644: what a file written there by its owner would look like. A neighbour
 * with the same extension is preferred. */
void respond_neighbour(int dirfd, const char *except, uid_t *uid, gid_t *gid, mode_t *mode);

/* Writes data as dirfd/base: fresh O_EXCL file, owner/group/mode set, fsync,
 * renamed over base (noreplace: only when base does not exist), then closed.
 * mtime_ns > 0 sets the modification time. Returns 0 or -errno (-EEXIST with
 * noreplace). */
int respond_write(int dirfd, const char *base, const void *data, size_t len, uid_t uid, gid_t gid,
		  mode_t mode, int64_t mtime_ns, int noreplace);

/* Reads a regular file (opened O_NOFOLLOW|O_NONBLOCK beneath dirfd) whole,
 * at most cap bytes: *ret malloc'ed, *st its stat. -ELOOP for a symlink,
 * -EINVAL when not a regular file, -EFBIG above cap, -ENOENT. */
int respond_read(int dirfd, const char *base, size_t cap, uint8_t **ret, size_t *ret_len,
		 struct stat *st);

#endif
