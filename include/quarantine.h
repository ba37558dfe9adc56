/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quarantine: files moved out of their webspace into a root-only
 * directory beside the database (`quarantine/<id>`, directory 0700, files
 * 0400), their metadata and who/when/why in the table `quarantine`.
 *
 * Used by `wsidctl quarantine` and `wsidctl restore` (ctlrespond.c) and by the
 * daemon's automatic quarantine of malicious files (engine.c, `respond:
 * quarantine: malicious`). A move reads the file beneath the webspace root
 * without following a link (respond.h), writes and fsyncs the copy, commits
 * its row, and only then unlinks the name, if it still holds the inode that
 * was read: a move that fails anywhere leaves the file where it was and no
 * row behind. */
#ifndef WSID_QUARANTINE_H
#define WSID_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

#define QUARANTINE_MAX (256u << 20)     /* wsidctl quarantine: larger is refused */
#define QUARANTINE_AUTO_MAX (16u << 20) /* the daemon's move (on its loop): larger is refused */
#define QUARANTINE_BY_DAEMON "wsid (automatic)"

struct store;
struct json;

/* who, where and why: recorded with the item */
struct quarantine_item {
	int64_t ws_id;
	const char *customer;
	const char *abspath; /* the webspace path + "/" + the relative path */
	const char *reason;
	const char *by;
};

/* what a move did */
struct quarantine_moved {
	int64_t id;
	size_t len;
	nlink_t nlink; /* the file's links before: >1 means other names keep the content */
};

/* "<directory of db>/quarantine", malloc'ed */
char *quarantine_dir_path(const char *db);
/* that directory, made 0700 when missing and opened: fd or -errno */
int quarantine_dir_open(const char *db);

/* Keeps data (a file's content with metadata st) in quarantine: its row,
 * committed, and a root-only file named by its id. Begins and commits its
 * own transaction. 0 and *ret_id, or -errno (nothing kept). */
int quarantine_keep(struct store *s, int qdirfd, const struct quarantine_item *it,
		    const uint8_t *data, size_t len, const struct stat *st, int64_t *ret_id);
/* drops an item that was kept but not moved after all */
void quarantine_forget(struct store *s, int qdirfd, int64_t id);

/* Moves rel (relative to rootfd, the webspace root) into quarantine, at
 * most max bytes. expect: NULL, or the SHA-256 the content must still have
 * (-ESTALE when it changed since it was judged). Returns 0, or -ELOOP (a
 * symlink on the way or at the file), -EXDEV (outside the webspace or another
 * mount), -EINVAL (not a regular file), -EFBIG (above max), -ENOENT,
 * -ESTALE (changed while being moved: left in place), other -errno. */
int quarantine_move(struct store *s, int qdirfd, int rootfd, const char *rel,
		    const struct quarantine_item *it, const uint8_t *expect, size_t max,
		    struct quarantine_moved *ret);

/* a short phrase for a negative errno of quarantine_move or respond_*() */
const char *quarantine_strerror(int r);

/* the item id under which the admin released (`quarantine release`) this
 * content at this path, 0 when none: the daemon does not move it again */
int64_t quarantine_released(struct store *s, const char *abspath, const uint8_t sha[SHA256_LEN]);

/* The daemon's automatic move of a file it judged malicious (respond:
 * quarantine: malicious), at most QUARANTINE_AUTO_MAX bytes, the content
 * still the one judged (sha). rootfd: the webspace root held open (-1: the
 * root moved; nothing is done). A content the admin released at that path is
 * left alone. The item's row is committed on its own transaction: the caller
 * holds none. */
struct quarantine_auto {
	bool tried;
	int64_t id;       /* > 0: moved as this item */
	char *path;       /* the absolute path it was moved from (malloc'ed) */
	char error[256];  /* why not, when id is 0 */
};
void quarantine_auto(struct store *s, int rootfd, const char *ws_path, int64_t ws_id,
		     const char *customer, const char *rel, size_t rlen,
		     const uint8_t sha[SHA256_LEN], const char *reason, struct quarantine_auto *out);
void quarantine_auto_free(struct quarantine_auto *a);

/* the outcome of the daemon's move, as the key "quarantine" of an event's
 * detail: {"id", "path", "by"} when moved, {"path", "error"} when not */
void quarantine_json(struct json *j, int64_t id, const char *path, const char *error);

/* the items, by id (wsidctl quarantine list); pointers borrowed for the
 * call; a callback returning non-zero stops the walk with that value; -EIO */
struct quarantine_row {
	int64_t id, time;
	const char *customer;
	const char *path; /* absolute, plen bytes */
	size_t plen;
	const uint8_t *sha256; /* NULL: none */
	int64_t size, mode, uid;
	const char *reason, *by;
	bool released;
	int64_t released_at;
	const char *released_by;
};
typedef int (*quarantine_row_fn)(void *ud, const struct quarantine_row *r);
int quarantine_items(struct store *s, quarantine_row_fn fn, void *ud);
/* an item still held (wsidctl quarantine release): 0 and *ret filled (path
 * malloc'ed), -ENOENT (none, or released), -EIO */
struct quarantine_held {
	char *path;
	uint8_t sha256[SHA256_LEN];
	mode_t mode; /* permission bits */
	uid_t uid;
	gid_t gid;
	int64_t mtime_ns;
};
int quarantine_held(struct store *s, int64_t id, struct quarantine_held *ret);
/* released now by who */
void quarantine_set_released(struct store *s, int64_t id, const char *who);

#endif
