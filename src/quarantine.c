// SPDX-License-Identifier: GPL-2.0-or-later
/* The quarantine; see quarantine.h. */
#include "quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "hash.h"
#include "json.h"
#include "respond.h"
#include "store.h"

char *
quarantine_dir_path(const char *db)
{
	const char *slash = strrchr(db, '/');

	return slash ? xasprintf("%.*s/quarantine", (int)(slash - db), db) : xstrdup("quarantine");
}

int
quarantine_dir_open(const char *db)
{
	char *dir = quarantine_dir_path(db);
	int fd = -1;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fd = errno ? -errno : -EIO;
	free(dir);
	return fd;
}

static void
name_of(int64_t id, char name[32])
{
	snprintf(name, 32, "%lld", (long long)id);
}

static int
row_add(struct store *s, const struct quarantine_item *it, const uint8_t sha[SHA256_LEN],
	size_t len, const struct stat *st, int64_t *ret_id)
{
	sqlite3_stmt *q = store_prepare(s, "INSERT INTO quarantine(time, webspace_id, customer, path, "
					   "sha256, size, mode, uid, gid, mtime_ns, reason, by) "
					   "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
	int r;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, now_unix());
	sqlite3_bind_int64(q, 2, it->ws_id);
	sqlite3_bind_text(q, 3, it->customer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, it->abspath, (int)strlen(it->abspath), SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, sha, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, (int64_t)len);
	sqlite3_bind_int64(q, 7, st->st_mode & 07777);
	sqlite3_bind_int64(q, 8, st->st_uid);
	sqlite3_bind_int64(q, 9, st->st_gid);
	sqlite3_bind_int64(q, 10, stat_mtime_ns(st));
	sqlite3_bind_text(q, 11, it->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 12, it->by, -1, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(q);
	if (r == 0)
		*ret_id = sqlite3_last_insert_rowid(store_db(s));
	return r;
}

/* the copy, root's alone and nothing executable */
static int
file_write(int qdirfd, const char *name, const uint8_t *data, size_t len)
{
	int fd = openat(qdirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0400), r;

	if (fd < 0)
		return -errno;
	if ((r = fd_write_all(fd, data, len)) < 0 || fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		close(fd);
		unlinkat(qdirfd, name, 0);
		return r;
	}
	if (close(fd) < 0) {
		r = -errno;
		unlinkat(qdirfd, name, 0);
		return r;
	}
	return 0;
}

int
quarantine_keep(struct store *s, int qdirfd, const struct quarantine_item *it, const uint8_t *data,
		size_t len, const struct stat *st, int64_t *ret_id)
{
	uint8_t sha[SHA256_LEN];
	char name[32];
	int64_t id = 0;
	int r;

	if (store_begin(s) < 0)
		return -EIO;
	sha256_buf(data, len, sha);
	if ((r = row_add(s, it, sha, len, st, &id)) < 0)
		goto fail;
	name_of(id, name);
	if ((r = file_write(qdirfd, name, data, len)) < 0)
		goto fail;
	if (store_commit(s) < 0) {
		unlinkat(qdirfd, name, 0);
		r = -EIO;
		goto fail;
	}
	*ret_id = id;
	return 0;
fail:
	store_rollback(s);
	return r;
}

void
quarantine_forget(struct store *s, int qdirfd, int64_t id)
{
	sqlite3_stmt *q = store_prepare(s, "DELETE FROM quarantine WHERE id=?");
	char name[32];

	if (q) {
		sqlite3_bind_int64(q, 1, id);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
	name_of(id, name);
	unlinkat(qdirfd, name, 0);
}

int
quarantine_move(struct store *s, int qdirfd, int rootfd, const char *rel,
		const struct quarantine_item *it, const uint8_t *expect, size_t max,
		struct quarantine_moved *ret)
{
	uint8_t *data = NULL, sha[SHA256_LEN];
	size_t len = 0;
	struct stat st = { 0 }, now;
	const char *base;
	int dirfd, r;
	int64_t id = 0;

	memset(ret, 0, sizeof(*ret));
	if ((dirfd = respond_dir_open(rootfd, rel, &base)) < 0)
		return dirfd;
	if ((r = respond_read(dirfd, base, max, &data, &len, &st)) < 0)
		goto out;
	if (expect) {
		sha256_buf(data, len, sha);
		if (memcmp(sha, expect, SHA256_LEN) != 0) {
			r = -ESTALE;
			goto out;
		}
	}
	if ((r = quarantine_keep(s, qdirfd, it, data, len, &st, &id)) < 0)
		goto out;
	/* unlinked only if the name still holds the inode that was copied */
	if (fstatat(dirfd, base, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != st.st_ino ||
	    now.st_dev != st.st_dev || unlinkat(dirfd, base, 0) < 0) {
		quarantine_forget(s, qdirfd, id);
		r = -ESTALE;
		goto out;
	}
	ret->id = id;
	ret->len = len;
	ret->nlink = st.st_nlink;
out:
	close(dirfd);
	free(data);
	return r;
}

const char *
quarantine_strerror(int r)
{
	switch (r) {
	case -ELOOP:
		return "a symbolic link on the way or at the file: refused, nothing written";
	case -ENOTDIR:
		return "not a directory: a file on the way to it, refused, nothing written";
	case -EXDEV:
		return "outside the webspace or on another mount: refused";
	case -EINVAL:
		return "not a regular file: refused";
	case -EFBIG:
		return "too large to be moved: refused";
	case -ESTALE:
		return "changed while being moved: left in place";
	default:
		return strerror(-r);
	}
}

int64_t
quarantine_released(struct store *s, const char *abspath, const uint8_t sha[SHA256_LEN])
{
	sqlite3_stmt *q = store_prepare(s, "SELECT id FROM quarantine WHERE path=? AND sha256=? AND "
					   "released_at IS NOT NULL ORDER BY id DESC LIMIT 1");
	int64_t id = 0;

	if (q == NULL)
		return 0;
	sqlite3_bind_blob(q, 1, abspath, (int)strlen(abspath), SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, sha, SHA256_LEN, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return id;
}

void
quarantine_json(struct json *j, int64_t id, const char *path, const char *error)
{
	json_key(j, "quarantine");
	json_obj_begin(j);
	if (id > 0)
		json_kv_int(j, "id", id);
	json_kv_name(j, "path", path, strlen(path));
	if (id > 0)
		json_kv_str(j, "by", QUARANTINE_BY_DAEMON);
	else
		json_kv_str(j, "error", error);
	json_obj_end(j);
}

void
quarantine_auto(struct store *s, int rootfd, const char *ws_path, int64_t ws_id, const char *customer,
		const char *rel, size_t rlen, const uint8_t sha[SHA256_LEN], const char *reason,
		struct quarantine_auto *out)
{
	struct quarantine_item it = { 0 };
	struct quarantine_moved m = { 0 };
	char *relz = xstrndup(rel, rlen);
	int64_t released;
	int qdirfd, r;

	memset(out, 0, sizeof(*out));
	out->tried = true;
	out->path = xasprintf("%s/%s", ws_path, relz);
	if (rootfd < 0) {
		snprintf(out->error, sizeof(out->error), "not quarantined: the webspace root moved");
		goto out;
	}
	if ((released = quarantine_released(s, out->path, sha)) > 0) {
		snprintf(out->error, sizeof(out->error),
			 "not quarantined: the admin released this content here before (item %lld)",
			 (long long)released);
		goto out;
	}
	if ((qdirfd = quarantine_dir_open(store_path(s))) < 0) {
		snprintf(out->error, sizeof(out->error), "not quarantined: the quarantine directory: %s",
			 strerror(-qdirfd));
		goto out;
	}
	it.ws_id = ws_id;
	it.customer = customer;
	it.abspath = out->path;
	it.reason = reason;
	it.by = QUARANTINE_BY_DAEMON;
	r = quarantine_move(s, qdirfd, rootfd, relz, &it, sha, QUARANTINE_AUTO_MAX, &m);
	close(qdirfd);
	if (r < 0) {
		snprintf(out->error, sizeof(out->error), "not quarantined: %s",
			 r == -EFBIG ? "larger than 16 MiB (wsidctl quarantine moves it)"
				     : quarantine_strerror(r));
		goto out;
	}
	out->id = m.id;
out:
	free(relz);
}

void
quarantine_auto_free(struct quarantine_auto *a)
{
	free(a->path);
	a->path = NULL;
}

/* ---- the table read and updated for wsidctl quarantine ---- */

int
quarantine_items(struct store *s, quarantine_row_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT id, time, customer, path, sha256, size, mode, uid, reason, "
					   "by, released_at, released_by FROM quarantine ORDER BY id");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		struct quarantine_row row = {
			.id = sqlite3_column_int64(q, 0),
			.time = sqlite3_column_int64(q, 1),
			.customer = (const char *)sqlite3_column_text(q, 2),
			.path = sqlite3_column_blob(q, 3),
			.plen = (size_t)sqlite3_column_bytes(q, 3),
			.sha256 = sqlite3_column_bytes(q, 4) == SHA256_LEN ? sqlite3_column_blob(q, 4) : NULL,
			.size = sqlite3_column_int64(q, 5),
			.mode = sqlite3_column_int64(q, 6),
			.uid = sqlite3_column_int64(q, 7),
			.reason = (const char *)sqlite3_column_text(q, 8),
			.by = (const char *)sqlite3_column_text(q, 9),
			.released = sqlite3_column_type(q, 10) != SQLITE_NULL,
			.released_at = sqlite3_column_int64(q, 10),
			.released_by = (const char *)sqlite3_column_text(q, 11),
		};

		r = fn(ud, &row);
	}
	sqlite3_finalize(q);
	if (r != 0)
		return r;
	return step == SQLITE_DONE ? 0 : -EIO;
}

int
quarantine_held(struct store *s, int64_t id, struct quarantine_held *ret)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT path, sha256, mode, uid, gid, mtime_ns, released_at FROM "
					   "quarantine WHERE id=?");
	int r = -ENOENT;

	memset(ret, 0, sizeof(*ret));
	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 6) == SQLITE_NULL &&
	    sqlite3_column_bytes(q, 1) == SHA256_LEN) {
		ret->path = xstrndup(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0));
		memcpy(ret->sha256, sqlite3_column_blob(q, 1), SHA256_LEN);
		ret->mode = (mode_t)sqlite3_column_int64(q, 2) & 0777;
		ret->uid = (uid_t)sqlite3_column_int64(q, 3);
		ret->gid = (gid_t)sqlite3_column_int64(q, 4);
		ret->mtime_ns = sqlite3_column_int64(q, 5);
		r = 0;
	}
	sqlite3_finalize(q);
	return r;
}

void
quarantine_set_released(struct store *s, int64_t id, const char *who)
{
	sqlite3_stmt *q = store_prepare(s, "UPDATE quarantine SET released_at=?, released_by=? WHERE id=?");

	if (q) {
		sqlite3_bind_int64(q, 1, now_unix());
		sqlite3_bind_text(q, 2, who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, id);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
}
