// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl restore and quarantine; see ctlrespond.h. */
#include "ctlrespond.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctlverbs.h"
#include "hash.h"
#include "ingest.h"
#include "json.h"
#include "pristine.h"
#include "quarantine.h"
#include "respond.h"
#include "slotset.h"
#include "store.h"
#include "util.h"

#define NOTE_MAX 1000

/* a path in a webspace, and the installation that ships it */
struct target {
	int64_t ws_id;
	char *ws_path;
	char *customer;
	char *rel;     /* relative to the webspace root; "" for the root */
	char *root;    /* installation root relative to the webspace, or NULL */
	char *product;
	char *version;
};

struct ctx {
	const struct ctl_env *env;
	struct store *s;
	struct pristine *ps;
	int qdirfd;
	bool dry_run;
	bool json;
	char who[128];
	const char *note;
	unsigned done, same, failed;
};

static void
target_free(struct target *t)
{
	free(t->ws_path);
	free(t->customer);
	free(t->rel);
	free(t->root);
	free(t->product);
	free(t->version);
	memset(t, 0, sizeof(*t));
}

/* an absolute path without ".", ".." or empty components */
static bool
path_plain(const char *p)
{
	const char *c = p;

	if (p[0] != '/')
		return false;
	while (*c) {
		const char *e;
		size_t n;

		c++;
		e = strchrnul(c, '/');
		n = (size_t)(e - c);
		if ((n == 0 && *e) || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = e;
	}
	return true;
}

/* the webspace holding path (the longest match) */
static int
locate_webspace(struct store *s, const char *path, struct target *t)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT id, path, customer FROM webspaces WHERE active=1");
	size_t plen = strlen(path), best = 0;

	memset(t, 0, sizeof(*t));
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (q == NULL)
		return -EIO;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *w = sqlite3_column_blob(q, 1);
		size_t wl = (size_t)sqlite3_column_bytes(q, 1);

		if (w == NULL || wl > plen || wl <= best || memcmp(w, path, wl) != 0 ||
		    (wl < plen && path[wl] != '/'))
			continue;
		best = wl;
		free(t->ws_path);
		free(t->customer);
		t->ws_id = sqlite3_column_int64(q, 0);
		t->ws_path = xstrndup(w, wl);
		t->customer = xstrdup((const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	if (t->ws_path == NULL)
		return -ENOENT;
	t->rel = best < plen ? xstrndup(path + best + 1, plen - best - 1) : xstrdup("");
	return 0;
}

struct want {
	uint8_t (*sha)[SHA256_LEN];
	size_t n;
};

static void
want_add(struct want *w, const void *sha)
{
	w->sha = xreallocarray(w->sha, w->n + 1, sizeof(*w->sha));
	memcpy(w->sha[w->n++], sha, SHA256_LEN);
}

/* the release contents of relpath (relative to the installation root) in
 * product/version */
static int
release_contents(struct store *s, const char *product, const char *version, const char *relpath,
		 struct want *w)
{
	sqlite3_stmt *q = store_prepare(s,
		"SELECT h.sha256, e.slots, v.slot FROM products pr JOIN versions v ON v.product_id=pr.id "
		"AND v.version=?2 JOIN paths p ON p.product_id=pr.id AND p.relpath=?3 JOIN entries e "
		"ON e.path_id=p.id JOIN hashes h ON h.id=e.hash_id WHERE pr.name=?1");

	if (q == NULL)
		return -EIO;
	sqlite3_bind_text(q, 1, product, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, version, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, relpath, (int)strlen(relpath), SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW)
		if (sqlite3_column_bytes(q, 0) == SHA256_LEN &&
		    slotset_blob_has(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
				     (uint32_t)sqlite3_column_int64(q, 2)))
			want_add(w, sqlite3_column_blob(q, 0));
	sqlite3_finalize(q);
	return 0;
}

/* the installation of t->rel that ships a file at that path: the deepest
 * root first (a plugin inside WordPress) */
static int
locate_release_file(struct store *s, struct target *t, struct want *w)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT root, product, version FROM installations WHERE "
					   "webspace_id=? ORDER BY length(root) DESC");
	size_t rl = strlen(t->rel);

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, t->ws_id);
	while (w->n == 0 && sqlite3_step(q) == SQLITE_ROW) {
		const char *root = sqlite3_column_blob(q, 0);
		size_t n = (size_t)sqlite3_column_bytes(q, 0);
		const char *inner;

		if (n > 0 && (n >= rl || memcmp(root, t->rel, n) != 0 || t->rel[n] != '/'))
			continue;
		inner = n ? t->rel + n + 1 : t->rel;
		free(t->root);
		free(t->product);
		free(t->version);
		t->root = xstrndup(root ? root : "", n);
		t->product = xstrdup((const char *)sqlite3_column_text(q, 1));
		t->version = xstrdup((const char *)sqlite3_column_text(q, 2));
		release_contents(s, t->product, t->version, inner, w);
	}
	sqlite3_finalize(q);
	return w->n ? 0 : -ENOENT;
}

/* the directory of t->rel, opened beneath the webspace root (respond.h);
 * *base is the file's name in it */
static int
target_dir_open(const struct target *t, const char **base)
{
	int rootfd = open(t->ws_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), fd;

	*base = t->rel;
	if (rootfd < 0)
		return errno ? -errno : -EIO;
	fd = respond_dir_open(rootfd, t->rel, base);
	close(rootfd);
	return fd;
}

static const char *
why_open(int r)
{
	return r == -EFBIG ? "larger than 256 MiB: refused" : quarantine_strerror(r);
}

/* keeps data (the file's content with metadata st) in quarantine */
static int
keep(struct ctx *c, const struct target *t, const char *abspath, const uint8_t *data, size_t len,
     const struct stat *st, const char *reason, int64_t *ret_id)
{
	struct quarantine_item it = {
		.ws_id = t->ws_id, .customer = t->customer, .abspath = abspath, .reason = reason,
		.by = c->who,
	};

	return quarantine_keep(c->s, c->qdirfd, &it, data, len, st, ret_id);
}

static int
open_quarantine_dir(struct ctx *c)
{
	c->qdirfd = quarantine_dir_open(c->env->db);
	if (c->qdirfd < 0) {
		char *dir = quarantine_dir_path(c->env->db);

		fprintf(stderr, "wsidctl: %s: %s\n", dir, strerror(-c->qdirfd));
		free(dir);
		return c->qdirfd;
	}
	return 0;
}

/* ---- restore ---- */

/* puts back the release content of one file (t located, w its contents) */
static void
restore_one(struct ctx *c, struct target *t, const struct want *w)
{
	char *abspath = xasprintf("%s/%s", t->ws_path, t->rel), hex[SHA256_HEX_LEN + 1];
	uint8_t *old = NULL, *data = NULL, sha[SHA256_LEN];
	size_t oldlen = 0, len = 0, i;
	const char *base;
	struct stat st, now;
	bool exists = false;
	uid_t uid = 0;
	gid_t gid = 0;
	mode_t mode;
	int dirfd = target_dir_open(t, &base), r;
	int64_t qid = 0;

	if (dirfd < 0) {
		fprintf(stderr, "wsidctl restore: %s: %s\n", esc_name(abspath), why_open(dirfd));
		c->failed++;
		goto out;
	}
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		exists = true;
		if ((r = respond_read(dirfd, base, QUARANTINE_MAX, &old, &oldlen, &st)) < 0) {
			fprintf(stderr, "wsidctl restore: %s: %s\n", esc_name(abspath), why_open(r));
			c->failed++;
			goto out;
		}
		sha256_buf(old, oldlen, sha);
		for (i = 0; i < w->n; i++)
			if (memcmp(sha, w->sha[i], SHA256_LEN) == 0)
				break;
		if (i < w->n) {
			c->same++;
			goto out;
		}
	} else if (errno != ENOENT) {
		fprintf(stderr, "wsidctl restore: %s: %s\n", esc_name(abspath), strerror(errno));
		c->failed++;
		goto out;
	}
	for (i = 0; i < w->n && data == NULL; i++)
		if (pristine_get(c->ps, w->sha[i], &data, &len) < 0)
			data = NULL;
	if (data == NULL) {
		hex_encode(w->sha[0], SHA256_LEN, hex);
		fprintf(stderr, "wsidctl restore: %s: the content of %s %s (sha256 %s) is not in the "
				"pristine store: ingest that release (wsidctl index ingest --product %s "
				"--version %s SOURCE)\n",
			esc_name(abspath), t->product, t->version, hex, t->product, t->version);
		c->failed++;
		goto out;
	}
	if (c->dry_run) {
		printf("would restore %s (%s %s, %s)\n", esc_name(abspath), t->product, t->version,
		       exists ? "tampered" : "missing");
		c->done++;
		goto out;
	}
	if (exists) {
		char *why = xasprintf("replaced by wsidctl restore (release content of %s %s)",
				      t->product, t->version);

		r = keep(c, t, abspath, old, oldlen, &st, why, &qid);
		free(why);
		if (r < 0) {
			fprintf(stderr, "wsidctl restore: %s: cannot keep the replaced content in "
					"quarantine (%s): nothing written\n", esc_name(abspath), strerror(-r));
			c->failed++;
			goto out;
		}
	}
	respond_neighbour(dirfd, base, &uid, &gid, &mode);
	/* the file must still be the one read (or still absent) */
	if (exists ? (fstatat(dirfd, base, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != st.st_ino ||
		      now.st_dev != st.st_dev)
		   : fstatat(dirfd, base, &now, AT_SYMLINK_NOFOLLOW) == 0) {
		fprintf(stderr, "wsidctl restore: %s: changed while being restored: refused, "
				"nothing written\n", esc_name(abspath));
		if (qid)
			quarantine_forget(c->s, c->qdirfd, qid);
		c->failed++;
		goto out;
	}
	if ((r = respond_write(dirfd, base, data, len, uid, gid, mode, 0, !exists)) < 0) {
		fprintf(stderr, "wsidctl restore: %s: %s\n", esc_name(abspath), strerror(-r));
		if (qid)
			quarantine_forget(c->s, c->qdirfd, qid);
		c->failed++;
		goto out;
	}
	printf("restored %s (%s %s", esc_name(abspath), t->product, t->version);
	if (qid)
		printf("; the replaced content is quarantine item %lld", (long long)qid);
	printf(")\n");
	c->done++;
out:
	if (dirfd >= 0)
		close(dirfd);
	free(old);
	free(data);
	free(abspath);
}

static void
restore_path(struct ctx *c, const char *path)
{
	struct target t;
	struct want w = { 0 };

	if (!path_plain(path)) {
		fprintf(stderr, "wsidctl restore: %s: give an absolute path without '.' or '..'\n",
			esc_name(path));
		c->failed++;
		return;
	}
	if (locate_webspace(c->s, path, &t) < 0 || t.rel[0] == '\0') {
		fprintf(stderr, "wsidctl restore: %s: not a file in a watched webspace\n", esc_name(path));
		c->failed++;
	} else if (locate_release_file(c->s, &t, &w) < 0) {
		fprintf(stderr, "wsidctl restore: %s: not a file of an identified installation's "
				"release\n", esc_name(path));
		c->failed++;
	} else {
		restore_one(c, &t, &w);
	}
	free(w.sha);
	target_free(&t);
}

/* every release file of the installation at root that is missing or
 * differs */
static void
restore_installation(struct ctx *c, const char *root)
{
	struct target t;
	sqlite3_stmt *q = NULL;
	struct want w = { 0 };
	char *cur = NULL;
	int rc;

	if (!path_plain(root) || locate_webspace(c->s, root, &t) < 0) {
		fprintf(stderr, "wsidctl restore: %s: not in a watched webspace\n", esc_name(root));
		c->failed++;
		return;
	}
	q = store_prepare(c->s, "SELECT product, version FROM installations WHERE webspace_id=? AND "
				"root=? ORDER BY kind='core' DESC LIMIT 1");
	if (q == NULL)
		goto out;
	sqlite3_bind_int64(q, 1, t.ws_id);
	sqlite3_bind_blob(q, 2, t.rel, (int)strlen(t.rel), SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW) {
		fprintf(stderr, "wsidctl restore: %s: no identified installation there\n", esc_name(root));
		c->failed++;
		goto out;
	}
	t.product = xstrdup((const char *)sqlite3_column_text(q, 0));
	t.version = xstrdup((const char *)sqlite3_column_text(q, 1));
	t.root = t.rel;
	t.rel = NULL;
	sqlite3_finalize(q);
	q = store_prepare(c->s,
		"SELECT p.relpath, h.sha256, e.slots, v.slot FROM products pr JOIN versions v ON "
		"v.product_id=pr.id AND v.version=?2 JOIN paths p ON p.product_id=pr.id JOIN entries e "
		"ON e.path_id=p.id JOIN hashes h ON h.id=e.hash_id WHERE pr.name=?1 ORDER BY p.relpath");
	if (q == NULL)
		goto out;
	sqlite3_bind_text(q, 1, t.product, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, t.version, -1, SQLITE_STATIC);
	for (;;) {
		const char *rp = NULL;
		size_t rl = 0;

		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			rp = sqlite3_column_blob(q, 0);
			rl = (size_t)sqlite3_column_bytes(q, 0);
		}
		/* a path's contents are contiguous: restore the previous one */
		if (cur && (rp == NULL || strlen(cur) != rl || memcmp(cur, rp, rl) != 0)) {
			if (w.n) {
				t.rel = t.root[0] ? xasprintf("%s/%s", t.root, cur) : xstrdup(cur);
				restore_one(c, &t, &w);
				free(t.rel);
				t.rel = NULL;
			}
			w.n = 0;
			free(cur);
			cur = NULL;
		}
		if (rc != SQLITE_ROW)
			break;
		if (cur == NULL)
			cur = xstrndup(rp, rl);
		if (sqlite3_column_bytes(q, 1) == SHA256_LEN &&
		    slotset_blob_has(sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2),
				     (uint32_t)sqlite3_column_int64(q, 3)))
			want_add(&w, sqlite3_column_blob(q, 1));
	}
out:
	sqlite3_finalize(q);
	free(cur);
	free(w.sha);
	target_free(&t);
}

static struct pristine *
pristine_at(const char *db, bool create)
{
	char *dir = pristine_default_dir(db), *slash = strrchr(dir, '/');
	struct pristine *p = NULL;
	int r;

	/* the database's directory, made as store_open makes it */
	if (create && slash) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			fprintf(stderr, "wsidctl: %s: %s\n", dir, strerror(errno));
		*slash = '/';
	}
	r = pristine_open(dir, 0, create, &p);
	if (r == -ENOENT)
		fprintf(stderr, "wsidctl: no pristine store at %s: ingest the releases to restore from "
				"(wsidctl index ingest)\n", dir);
	else if (r < 0)
		fprintf(stderr, "wsidctl: pristine store %s: %s\n", dir, strerror(-r));
	free(dir);
	return r < 0 ? NULL : p;
}

int
ctl_restore(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "installation", required_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { .env = env, .qdirfd = -1 };
	const char *inst = NULL;
	char err[512];
	int ch, i;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'i')
			inst = optarg;
		else if (ch == 'n')
			c.dry_run = true;
		else
			goto usage;
	}
	if ((inst == NULL) == (optind == argc))
		goto usage;
	ctl_who(c.who, sizeof(c.who));
	if (store_open(env->db, 0, &c.s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	if ((c.ps = pristine_at(env->db, false)) == NULL || (!c.dry_run && open_quarantine_dir(&c) < 0)) {
		store_close(c.s);
		pristine_close(c.ps);
		return EXIT_ERROR;
	}
	if (inst)
		restore_installation(&c, inst);
	for (i = optind; i < argc; i++)
		restore_path(&c, argv[i]);
	printf("%u %s, %u already release content, %u refused or failed\n", c.done,
	       c.dry_run ? "to restore" : "restored", c.same, c.failed);
	pristine_close(c.ps);
	if (c.qdirfd >= 0)
		close(c.qdirfd);
	store_close(c.s);
	return c.failed ? EXIT_ERROR : 0;
usage:
	fprintf(stderr, "usage: wsidctl restore [--dry-run] PATH...\n"
			"       wsidctl restore [--dry-run] --installation ROOT\n");
	return EXIT_USAGE;
}

/* ---- quarantine ---- */

static void
quarantine_path(struct ctx *c, const char *path)
{
	struct target t = { 0 };
	struct quarantine_item it = { 0 };
	struct quarantine_moved m = { 0 };
	int rootfd, r;

	if (!path_plain(path) || locate_webspace(c->s, path, &t) < 0 || t.rel[0] == '\0') {
		fprintf(stderr, "wsidctl quarantine: %s: not a file in a watched webspace (an absolute "
				"path without '.' or '..')\n", esc_name(path));
		c->failed++;
		target_free(&t);
		return;
	}
	it.ws_id = t.ws_id;
	it.customer = t.customer;
	it.abspath = path;
	it.reason = c->note ? c->note : "wsidctl quarantine";
	it.by = c->who;
	rootfd = open(t.ws_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = rootfd < 0 ? (errno ? -errno : -EIO)
		       : quarantine_move(c->s, c->qdirfd, rootfd, t.rel, &it, NULL, QUARANTINE_MAX, &m);
	if (rootfd >= 0)
		close(rootfd);
	if (r < 0) {
		fprintf(stderr, "wsidctl quarantine: %s: %s\n", esc_name(path), why_open(r));
		c->failed++;
		target_free(&t);
		return;
	}
	printf("quarantined %s as item %lld (%zu bytes)\n", esc_name(path), (long long)m.id, m.len);
	if (m.nlink > 1)
		printf("  note: %lu other hard link%s still hold%s this content\n",
		       (unsigned long)m.nlink - 1, m.nlink > 2 ? "s" : "", m.nlink > 2 ? "" : "s");
	c->done++;
	target_free(&t);
}

static int
quarantine_list(struct ctx *c)
{
	sqlite3_stmt *q;
	struct buf b;
	struct json j;

	if (quarantine_schema(c->s) < 0)
		return EXIT_ERROR;
	q = store_prepare(c->s, "SELECT id, time, customer, path, sha256, size, mode, uid, reason, by, "
				"released_at, released_by FROM quarantine ORDER BY id");
	if (q == NULL)
		return EXIT_ERROR;
	buf_init(&b, 0);
	if (!c->json)
		printf("%-5s %-20s %-10s %-8s %-10s %s\n", "ID", "WHEN", "BY", "BYTES", "STATE", "PATH");
	while (sqlite3_step(q) == SQLITE_ROW) {
		time_t when = (time_t)sqlite3_column_int64(q, 1);
		const char *p = sqlite3_column_blob(q, 3);
		size_t pl = (size_t)sqlite3_column_bytes(q, 3);
		char ts[32], hex[SHA256_HEX_LEN + 1] = "";
		struct tm tm;

		gmtime_r(&when, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (sqlite3_column_bytes(q, 4) == SHA256_LEN)
			hex_encode(sqlite3_column_blob(q, 4), SHA256_LEN, hex);
		if (c->json) {
			buf_reset(&b);
			json_init(&j, &b);
			json_obj_begin(&j);
			json_kv_int(&j, "id", sqlite3_column_int64(q, 0));
			json_kv_str(&j, "time", ts);
			json_kv_str(&j, "customer", (const char *)sqlite3_column_text(q, 2));
			json_kv_name(&j, "path", p ? p : "", pl);
			json_kv_str(&j, "sha256", hex);
			json_kv_int(&j, "size", sqlite3_column_int64(q, 5));
			json_kv_int(&j, "mode", sqlite3_column_int64(q, 6));
			json_kv_int(&j, "uid", sqlite3_column_int64(q, 7));
			json_kv_str(&j, "reason", (const char *)sqlite3_column_text(q, 8));
			json_kv_str(&j, "by", (const char *)sqlite3_column_text(q, 9));
			if (sqlite3_column_type(q, 10) != SQLITE_NULL)
				json_kv_int(&j, "released_at", sqlite3_column_int64(q, 10));
			json_kv_str(&j, "released_by", (const char *)sqlite3_column_text(q, 11));
			json_obj_end(&j);
			printf("%s\n", b.data);
			continue;
		}
		buf_reset(&b);
		buf_put_escaped(&b, p ? p : "", pl);
		printf("%-5lld %-20s %-10s %-8lld %-10s %s\n", (long long)sqlite3_column_int64(q, 0), ts,
		       (const char *)sqlite3_column_text(q, 9), (long long)sqlite3_column_int64(q, 5),
		       sqlite3_column_type(q, 10) == SQLITE_NULL ? "held" : "released", b.data);
		printf("      %s\n", esc_name((const char *)sqlite3_column_text(q, 8)));
	}
	sqlite3_finalize(q);
	buf_free(&b);
	return 0;
}

static int
quarantine_release(struct ctx *c, const char *arg)
{
	sqlite3_stmt *q;
	struct target t = { 0 };
	char *end, *path = NULL, name[32];
	uint8_t *data = NULL, sha[SHA256_LEN], want[SHA256_LEN];
	size_t len = 0;
	struct stat st;
	const char *base;
	long long id = strtoll(arg, &end, 10);
	int dirfd = -1, r, rc = EXIT_ERROR;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int64_t mtime;

	if (*arg == '\0' || *end != '\0' || id <= 0) {
		fprintf(stderr, "wsidctl quarantine release: '%s' is not an item id\n", esc_name(arg));
		return EXIT_USAGE;
	}
	if (quarantine_schema(c->s) < 0)
		return EXIT_ERROR;
	q = store_prepare(c->s, "SELECT path, sha256, mode, uid, gid, mtime_ns, released_at FROM "
				"quarantine WHERE id=?");
	if (q == NULL)
		return EXIT_ERROR;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_type(q, 6) != SQLITE_NULL ||
	    sqlite3_column_bytes(q, 1) != SHA256_LEN) {
		fprintf(stderr, "wsidctl quarantine release: no item %lld held in quarantine\n", id);
		sqlite3_finalize(q);
		return EXIT_ERROR;
	}
	path = xstrndup(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0));
	memcpy(want, sqlite3_column_blob(q, 1), SHA256_LEN);
	mode = (mode_t)sqlite3_column_int64(q, 2) & 0777;
	uid = (uid_t)sqlite3_column_int64(q, 3);
	gid = (gid_t)sqlite3_column_int64(q, 4);
	mtime = sqlite3_column_int64(q, 5);
	sqlite3_finalize(q);
	snprintf(name, sizeof(name), "%lld", id);
	if ((r = respond_read(c->qdirfd, name, QUARANTINE_MAX, &data, &len, &st)) < 0) {
		fprintf(stderr, "wsidctl quarantine release: item %lld: %s\n", id, strerror(-r));
		goto out;
	}
	sha256_buf(data, len, sha);
	if (memcmp(sha, want, SHA256_LEN) != 0) {
		fprintf(stderr, "wsidctl quarantine release: item %lld: the kept content does not "
				"match its recorded SHA-256: refused\n", id);
		goto out;
	}
	if (locate_webspace(c->s, path, &t) < 0 || t.rel[0] == '\0') {
		fprintf(stderr, "wsidctl quarantine release: %s is no longer in a watched webspace\n",
			esc_name(path));
		goto out;
	}
	if ((dirfd = target_dir_open(&t, &base)) < 0) {
		fprintf(stderr, "wsidctl quarantine release: %s: %s\n", esc_name(path), why_open(dirfd));
		goto out;
	}
	if ((r = respond_write(dirfd, base, data, len, uid, gid, mode, mtime, 1)) < 0) {
		fprintf(stderr, "wsidctl quarantine release: %s: %s\n", esc_name(path),
			r == -EEXIST ? "a file of that name exists now: move it away first"
				     : strerror(-r));
		goto out;
	}
	q = store_prepare(c->s, "UPDATE quarantine SET released_at=?, released_by=? WHERE id=?");
	if (q) {
		sqlite3_bind_int64(q, 1, now_unix());
		sqlite3_bind_text(q, 2, c->who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, id);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
	unlinkat(c->qdirfd, name, 0);
	printf("released item %lld to %s\n", id, esc_name(path));
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	free(data);
	free(path);
	target_free(&t);
	return rc;
}

int
ctl_quarantine(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { .env = env, .qdirfd = -1, .json = env->json };
	char err[512];
	int ch, i, rc = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j') {
			c.json = true;
			continue;
		}
		if (ch != 'n' || strlen(optarg) > NOTE_MAX)
			goto usage;
		c.note = optarg;
	}
	if (optind == argc)
		goto usage;
	ctl_who(c.who, sizeof(c.who));
	if (store_open(env->db, 0, &c.s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	if (open_quarantine_dir(&c) < 0) {
		store_close(c.s);
		return EXIT_ERROR;
	}
	if (strcmp(argv[optind], "list") == 0 && optind + 1 == argc) {
		rc = quarantine_list(&c);
	} else if (strcmp(argv[optind], "release") == 0) {
		for (i = optind + 1; i < argc && rc == 0; i++)
			rc = quarantine_release(&c, argv[i]);
		if (optind + 1 == argc)
			rc = EXIT_USAGE;
	} else {
		for (i = optind; i < argc; i++)
			quarantine_path(&c, argv[i]);
		rc = c.failed ? EXIT_ERROR : 0;
	}
	close(c.qdirfd);
	store_close(c.s);
	return rc;
usage:
	fprintf(stderr, "usage: wsidctl quarantine PATH... [--note TEXT]\n"
			"       wsidctl quarantine list [--json]\n"
			"       wsidctl quarantine release ID\n");
	return EXIT_USAGE;
}

/* ---- the pristine store for index ingest and stats ---- */

struct pristine *
ctl_pristine_open(const char *db, bool create)
{
	return pristine_at(db, create);
}

void
ctl_pristine_close(struct pristine *p, const struct ingest_result *ir, bool json)
{
	struct pristine_stats st;

	if (p == NULL)
		return;
	pristine_stats(p, &st);
	if (!json && ir->files)
		printf("pristine store: %zu new contents kept (%llu contents, %.1f MiB of %.0f MiB)\n",
		       ir->stored, (unsigned long long)st.contents, (double)st.bytes / 1048576.0,
		       (double)st.max_bytes / 1048576.0);
	if (ir->not_stored)
		fprintf(stderr, "wsidctl: ingest: %zu contents not kept in the pristine store (%s): "
				"restore cannot put them back\n",
			ir->not_stored, ir->store_error == -ENOSPC ? "the store is full"
				      : ir->store_error == -EFBIG ? "larger than 64 MiB"
								  : strerror(-ir->store_error));
	pristine_close(p);
}

void
ctl_pristine_stats(const char *db, struct json *j)
{
	char *dir = pristine_default_dir(db);
	struct pristine *p = NULL;
	struct pristine_stats st = { 0 };

	if (pristine_open(dir, 0, 0, &p) == 0)
		pristine_stats(p, &st);
	else
		st.max_bytes = PRISTINE_MAX_BYTES_DEFAULT;
	if (j) {
		json_key(j, "pristine");
		json_obj_begin(j);
		json_kv_str(j, "dir", dir);
		json_kv_int(j, "contents", (int64_t)st.contents);
		json_kv_int(j, "bytes", (int64_t)st.bytes);
		json_kv_int(j, "max_bytes", (int64_t)st.max_bytes);
		json_obj_end(j);
	} else {
		printf("pristine store  %s: %llu contents, %.1f MiB of %.0f MiB\n", dir,
		       (unsigned long long)st.contents, (double)st.bytes / 1048576.0,
		       (double)st.max_bytes / 1048576.0);
	}
	pristine_close(p);
	free(dir);
}
