/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Webspace roots: found once, then only ever reopened as the same directory.
 *
 * A tenant who owns the directory above its webspace (/home/{customer}/
 * public_html) can move the root away and put a symlink or another directory
 * in its place at any moment. So a root is resolved at registration component
 * by component from "/", following only symbolic links root owns (never the
 * root itself being one), and its identity kept: device, inode and mount id.
 * Every later walk, hash and read reopens the registered real path with
 * RESOLVE_NO_SYMLINKS and compares that identity; a path that now names
 * anything else is -ESTALE and is not used. The registration keeps an O_PATH
 * descriptor of the root so that its inode number cannot be reused meanwhile. */
#ifndef WSID_ROOT_H
#define WSID_ROOT_H

#include <stdbool.h>
#include <stdint.h>

struct root_id {
	uint64_t dev, ino, mnt;
};

/* Resolves path (absolute) as discovery requires. On success *ret_fd is an
 * O_PATH descriptor of the directory (the caller closes it), *ret_real its
 * path without symbolic links (malloc'ed, the caller frees it), *ret_id its
 * identity, *ret_via_link whether a (root-owned) link was followed. Errors:
 * -ELOOP the path itself is a symbolic link, -EPERM a link on the way is not
 * root's, -EMLINK too many links, -ENOTDIR not a directory, -EAGAIN the path
 * changed while it was resolved, other negative errnos from the system. */
int root_resolve(const char *path, int *ret_fd, char **ret_real, struct root_id *ret_id,
		 bool *ret_via_link);

/* Opens real (from root_resolve) again, O_RDONLY|O_DIRECTORY without
 * following any symbolic link, and checks it is still the directory id.
 * Returns the descriptor (the caller closes it), -ESTALE when the path names
 * something else or nothing now, another negative errno on a system error. */
int root_reopen(const char *real, const struct root_id *id);

/* the identity of an open file */
int root_identify(int fd, struct root_id *ret);
bool root_id_equal(const struct root_id *a, const struct root_id *b);

#endif
