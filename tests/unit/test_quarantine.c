// SPDX-License-Identifier: GPL-2.0-or-later
/* The quarantine over a scratch database and a scratch webspace: a file
 * moved in is gone from the webspace, kept root-only beside the database
 * with its row (who, why, its metadata), and restored as wsidctl restores
 * it (the held item, a fresh write, released); a move refused (a symlink at
 * the file or on the way, a name outside the root, not a regular file, too
 * large, the content changed since it was judged, missing) leaves the file
 * where it was and no row or copy behind; the daemon's move leaves a content
 * the admin released at that path alone; the outcome as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "hash.h"
#include "json.h"
#include "jsonparse.h"
#include "quarantine.h"
#include "respond.h"
#include "t.h"

static struct fx fx;
static char ws[256];
static int rootfd = -1, qdirfd = -1;

static const char shell[] = "<?php system($_GET['c']);\n";

static const char *
at(const char *rel)
{
	return fx_join(ws, rel);
}

static int
count_rows(void *ud, const struct quarantine_row *r)
{
	(void)r;
	(*(int *)ud)++;
	return 0;
}

static int
nitems(void)
{
	int n = 0;

	T_EQ_INT(quarantine_items(fx.s, count_rows, &n), 0);
	return n;
}

/* files in the quarantine directory */
static int
ncopies(void)
{
	char *dir = quarantine_dir_path(fx.db);
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	free(dir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static struct quarantine_item
item(const char *rel, char *abs, size_t sz)
{
	struct quarantine_item it = { 0 };

	snprintf(abs, sz, "%s/%s", ws, rel);
	it.ws_id = 7;
	it.customer = "alice";
	it.abspath = abs;
	it.reason = "malicious: exec-of-input";
	it.by = "root";
	return it;
}

static void
test_paths(void)
{
	char *p = quarantine_dir_path("/var/lib/wsid/wsid.db");
	struct stat st;
	char *dir;

	T_EQ_STR(p, "/var/lib/wsid/quarantine");
	free(p);
	p = quarantine_dir_path("wsid.db");
	T_EQ_STR(p, "quarantine");
	free(p);
	dir = quarantine_dir_path(fx.db);
	T_OK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	free(dir);
}

struct first {
	struct quarantine_row r;
	char path[512], reason[128], by[64], customer[32], released_by[64];
	uint8_t sha[SHA256_LEN];
	bool has_sha;
	int64_t want;
	bool found;
};

static int
find_row(void *ud, const struct quarantine_row *r)
{
	struct first *f = ud;

	if (r->id != f->want)
		return 0;
	f->found = true;
	f->r = *r;
	snprintf(f->path, sizeof(f->path), "%.*s", (int)r->plen, r->path);
	snprintf(f->reason, sizeof(f->reason), "%s", t_str(r->reason));
	snprintf(f->by, sizeof(f->by), "%s", t_str(r->by));
	snprintf(f->customer, sizeof(f->customer), "%s", t_str(r->customer));
	snprintf(f->released_by, sizeof(f->released_by), "%s", t_str(r->released_by));
	f->has_sha = r->sha256 != NULL;
	if (r->sha256)
		memcpy(f->sha, r->sha256, SHA256_LEN);
	return 0;
}

static void
test_move_and_restore(void)
{
	struct quarantine_moved m;
	struct quarantine_item it;
	struct quarantine_held h;
	struct first row;
	struct stat st, orig;
	uint8_t sha[SHA256_LEN];
	char abs[512], name[32], *got;
	const char *base;
	size_t len;
	int fd;

	T_OK(fx_put_at(ws, "up/shell.php", shell) == 0);
	T_OK(chown(at("up/shell.php"), 1234, 2345) == 0 && chmod(at("up/shell.php"), 0640) == 0);
	T_OK(stat(at("up/shell.php"), &orig) == 0);
	sha256_buf(shell, strlen(shell), sha);
	it = item("up/shell.php", abs, sizeof(abs));
	T_EQ_INT(quarantine_move(fx.s, qdirfd, rootfd, "up/shell.php", &it, sha, QUARANTINE_MAX, &m), 0);
	T_OK(m.id > 0);
	T_EQ_INT(m.len, strlen(shell));
	T_EQ_INT(m.nlink, 1);
	/* gone from the webspace, kept root-only */
	T_OK(lstat(at("up/shell.php"), &st) < 0 && errno == ENOENT);
	snprintf(name, sizeof(name), "%lld", (long long)m.id);
	T_OK(fstatat(qdirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	     (st.st_mode & 07777) == 0400 && st.st_uid == 0);
	fd = openat(qdirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char b[128] = "";
		ssize_t k = read(fd, b, sizeof(b) - 1);

		T_OK(k == (ssize_t)strlen(shell) && memcmp(b, shell, (size_t)k) == 0);
		close(fd);
	}
	/* its row */
	memset(&row, 0, sizeof(row));
	row.want = m.id;
	T_EQ_INT(quarantine_items(fx.s, find_row, &row), 0);
	T_OK(row.found);
	T_EQ_STR(row.path, abs);
	T_EQ_STR(row.customer, "alice");
	T_EQ_STR(row.reason, "malicious: exec-of-input");
	T_EQ_STR(row.by, "root");
	T_OK(row.has_sha && memcmp(row.sha, sha, SHA256_LEN) == 0);
	T_EQ_INT(row.r.size, strlen(shell));
	T_EQ_INT(row.r.mode, 0640);
	T_EQ_INT(row.r.uid, 1234);
	T_OK(!row.r.released);
	T_OK(row.r.time > now_unix() - 600 && row.r.time <= now_unix());

	/* restored as wsidctl restore does: the held item, its copy, a fresh
	 * write that replaces nothing, then released */
	T_EQ_INT(quarantine_held(fx.s, m.id, &h), 0);
	T_EQ_STR(h.path, abs);
	T_OK(memcmp(h.sha256, sha, SHA256_LEN) == 0);
	T_EQ_INT(h.mode, 0640);
	T_EQ_INT(h.uid, 1234);
	T_EQ_INT(h.gid, 2345);
	T_EQ_INT(h.mtime_ns, (int64_t)orig.st_mtim.tv_sec * 1000000000 + orig.st_mtim.tv_nsec);
	fd = respond_dir_open(rootfd, "up/shell.php", &base);
	T_OK(fd >= 0);
	if (fd >= 0) {
		uint8_t *data = NULL;
		size_t n = 0;

		T_EQ_INT(respond_read(qdirfd, name, QUARANTINE_MAX, &data, &n, &st), 0);
		T_EQ_INT(respond_write(fd, base, data, n, h.uid, h.gid, h.mode, h.mtime_ns, 1), 0);
		free(data);
		close(fd);
	}
	free(h.path);
	quarantine_set_released(fx.s, m.id, "admin");
	got = t_slurp(at("up/shell.php"), &len);
	T_OK(got && len == strlen(shell) && strcmp(got, shell) == 0);
	free(got);
	T_OK(stat(at("up/shell.php"), &st) == 0 && st.st_uid == 1234 && st.st_gid == 2345 &&
	     (st.st_mode & 07777) == 0640 && st.st_mtim.tv_sec == orig.st_mtim.tv_sec &&
	     st.st_mtim.tv_nsec == orig.st_mtim.tv_nsec);
	/* released: no longer held, and remembered for this content here */
	T_EQ_INT(quarantine_held(fx.s, m.id, &h), -ENOENT);
	T_EQ_INT(quarantine_held(fx.s, m.id + 1000, &h), -ENOENT);
	memset(&row, 0, sizeof(row));
	row.want = m.id;
	T_EQ_INT(quarantine_items(fx.s, find_row, &row), 0);
	T_OK(row.found && row.r.released && row.r.released_at > 0);
	T_EQ_STR(row.released_by, "admin");
	T_EQ_INT(quarantine_released(fx.s, abs, sha), m.id);
	{
		uint8_t other[SHA256_LEN];
		char elsewhere[600];

		memset(other, 1, sizeof(other));
		T_EQ_INT(quarantine_released(fx.s, abs, other), 0);
		snprintf(elsewhere, sizeof(elsewhere), "%s/other.php", ws);
		T_EQ_INT(quarantine_released(fx.s, elsewhere, sha), 0);
	}

	/* the daemon leaves the released content there alone */
	{
		struct quarantine_auto qa;
		int before = nitems();

		quarantine_auto(fx.s, rootfd, ws, 7, "alice", "up/shell.php", 12, sha, "malicious", &qa);
		T_OK(qa.tried && qa.id == 0);
		T_CHECK(strstr(qa.error, "released") != NULL, "%s", qa.error);
		T_EQ_STR(qa.path, abs);
		T_OK(access(at("up/shell.php"), F_OK) == 0);
		T_EQ_INT(nitems(), before);
		quarantine_auto_free(&qa);
	}
}

static void
test_refused(void)
{
	static const struct {
		const char *rel;
		int err;
	} bad[] = {
		{ "r/link.php", -ELOOP },   /* a symlink at the file */
		{ "rl/x.php", -ELOOP },     /* a symlink on the way */
		{ "../outside.php", -EXDEV },
		{ "/etc/passwd", -EXDEV },
		{ "r/fifo", -EINVAL },
		{ "r", -EINVAL },           /* a directory */
		{ "r/none.php", -ENOENT },
	};
	struct quarantine_moved m;
	struct quarantine_item it;
	char abs[512], out[300];
	uint8_t other[SHA256_LEN];
	size_t i;
	int rows = nitems(), copies = ncopies();

	snprintf(out, sizeof(out), "%s/outside.php", fx.dir);
	T_OK(fx_put(out, shell) == 0);
	T_OK(fx_put_at(ws, "r/x.php", shell) == 0);
	T_OK(symlink(out, at("r/link.php")) == 0);
	T_OK(symlink("r", at("rl")) == 0);
	T_OK(mkfifo(at("r/fifo"), 0644) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		it = item(bad[i].rel, abs, sizeof(abs));
		r = quarantine_move(fx.s, qdirfd, rootfd, bad[i].rel, &it, NULL, QUARANTINE_MAX, &m);
		T_CHECK(r == bad[i].err, "%s: %d, not %d", bad[i].rel, r, bad[i].err);
		T_OK(m.id == 0);
	}
	/* too large; changed since it was judged */
	it = item("r/x.php", abs, sizeof(abs));
	T_EQ_INT(quarantine_move(fx.s, qdirfd, rootfd, "r/x.php", &it, NULL, strlen(shell) - 1, &m), -EFBIG);
	memset(other, 0x5a, sizeof(other));
	T_EQ_INT(quarantine_move(fx.s, qdirfd, rootfd, "r/x.php", &it, other, QUARANTINE_MAX, &m), -ESTALE);
	/* nothing moved, nothing kept, the link's target untouched */
	T_OK(access(at("r/x.php"), F_OK) == 0);
	T_OK(access(out, F_OK) == 0);
	T_EQ_INT(nitems(), rows);
	T_EQ_INT(ncopies(), copies);
	T_OK(strstr(quarantine_strerror(-ELOOP), "symbolic link") != NULL);
	T_OK(strstr(quarantine_strerror(-ENOTDIR), "not a directory") != NULL &&
	     strstr(quarantine_strerror(-ENOTDIR), "symbolic") == NULL);
	T_OK(strstr(quarantine_strerror(-ESTALE), "left in place") != NULL);
	T_EQ_STR(quarantine_strerror(-ENOENT), strerror(ENOENT));
}

static void
test_links_and_auto(void)
{
	struct quarantine_moved m;
	struct quarantine_item it;
	struct quarantine_auto qa;
	uint8_t sha[SHA256_LEN], other[SHA256_LEN];
	char abs[512], one[512];
	int rows;

	/* a content with another name: moved, the other name keeps it */
	T_OK(fx_put_at(ws, "h/one.php", shell) == 0);
	snprintf(one, sizeof(one), "%s/h/one.php", ws);
	T_OK(link(one, at("h/two.php")) == 0);
	it = item("h/one.php", abs, sizeof(abs));
	T_EQ_INT(quarantine_move(fx.s, qdirfd, rootfd, "h/one.php", &it, NULL, QUARANTINE_MAX, &m), 0);
	T_EQ_INT(m.nlink, 2);
	T_OK(access(at("h/one.php"), F_OK) < 0 && access(at("h/two.php"), F_OK) == 0);

	/* the daemon's move: by the daemon, the content still the one judged */
	sha256_buf(shell, strlen(shell), sha);
	rows = nitems();
	quarantine_auto(fx.s, rootfd, ws, 7, "alice", "h/two.php", 9, sha, "malicious: test", &qa);
	T_OK(qa.tried && qa.id > 0);
	T_EQ_STR(qa.path, at("h/two.php"));
	T_OK(access(at("h/two.php"), F_OK) < 0);
	T_EQ_INT(nitems(), rows + 1);
	if (qa.id > 0) {
		struct first row;

		memset(&row, 0, sizeof(row));
		row.want = qa.id;
		T_EQ_INT(quarantine_items(fx.s, find_row, &row), 0);
		T_EQ_STR(row.by, QUARANTINE_BY_DAEMON);
		T_EQ_STR(row.reason, "malicious: test");
	}
	quarantine_auto_free(&qa);
	/* another content than judged: left there */
	T_OK(fx_put_at(ws, "h/three.php", shell) == 0);
	memset(other, 0x11, sizeof(other));
	quarantine_auto(fx.s, rootfd, ws, 7, "alice", "h/three.php", 11, other, "malicious", &qa);
	T_OK(qa.id == 0 && strstr(qa.error, "left in place") != NULL);
	quarantine_auto_free(&qa);
	/* the root gone: nothing done */
	quarantine_auto(fx.s, -1, ws, 7, "alice", "h/three.php", 11, sha, "malicious", &qa);
	T_OK(qa.tried && qa.id == 0 && strstr(qa.error, "root moved") != NULL);
	quarantine_auto_free(&qa);
	T_OK(access(at("h/three.php"), F_OK) == 0);
	T_EQ_INT(nitems(), rows + 1);
}

static void
test_keep_forget_json(void)
{
	struct quarantine_item it;
	struct stat st;
	char abs[512], name[32];
	int64_t id = 0;
	int rows = nitems();
	struct buf b;
	struct json j;
	struct jnode *root = NULL;
	char err[128];

	memset(&st, 0, sizeof(st));
	st.st_mode = 0100644;
	it = item("k.php", abs, sizeof(abs));
	T_EQ_INT(quarantine_keep(fx.s, qdirfd, &it, (const uint8_t *)"kept", 4, &st, &id), 0);
	T_OK(id > 0);
	T_EQ_INT(nitems(), rows + 1);
	snprintf(name, sizeof(name), "%lld", (long long)id);
	T_OK(faccessat(qdirfd, name, F_OK, 0) == 0);
	quarantine_forget(fx.s, qdirfd, id);
	T_EQ_INT(nitems(), rows);
	T_OK(faccessat(qdirfd, name, F_OK, 0) < 0);

	buf_init(&b, 1 << 16);
	json_init(&j, &b);
	json_obj_begin(&j);
	quarantine_json(&j, 5, "/srv/a/x.php", NULL);
	json_obj_end(&j);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	if (root) {
		const struct jnode *q = jsonp_get(root, "quarantine");

		T_OK(q && jsonp_get(q, "id") && strcmp(jsonp_get(q, "id")->s, "5") == 0);
		T_OK(q && jsonp_get(q, "by") && strcmp(jsonp_get(q, "by")->s, QUARANTINE_BY_DAEMON) == 0);
		T_OK(q && jsonp_get(q, "error") == NULL);
	}
	jsonp_free(root);
	root = NULL;
	buf_reset(&b);
	json_init(&j, &b);
	json_obj_begin(&j);
	quarantine_json(&j, 0, "/srv/a/x\xff.php", "not quarantined: why");
	json_obj_end(&j);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	if (root) {
		const struct jnode *q = jsonp_get(root, "quarantine");

		T_OK(q && jsonp_get(q, "id") == NULL && jsonp_get(q, "by") == NULL);
		T_OK(q && jsonp_get(q, "error") && strcmp(jsonp_get(q, "error")->s, "not quarantined: why") == 0);
		T_OK(q && jsonp_get(q, "path_base64") != NULL);
	}
	jsonp_free(root);
	buf_free(&b);
}

int
main(void)
{
	if (fx_open(&fx, "quarantine") < 0) {
		printf("not ok setup\n");
		return 1;
	}
	snprintf(ws, sizeof(ws), "%s/ws", fx.dir);
	if (mkdir(ws, 0755) < 0 || (rootfd = open(ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (qdirfd = quarantine_dir_open(fx.db)) < 0) {
		printf("not ok setup\n");
		fx_close(&fx);
		return 1;
	}
	T_RUN(test_paths);
	T_RUN(test_move_and_restore);
	T_RUN(test_refused);
	T_RUN(test_links_and_auto);
	T_RUN(test_keep_forget_json);
	close(qdirfd);
	close(rootfd);
	fx_close(&fx);
	T_DONE();
}
