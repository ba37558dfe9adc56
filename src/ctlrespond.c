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
#include "fpindex.h"
#include "hash.h"
#include "ingest.h"
#include "json.h"
#include "pristine.h"
#include "quarantine.h"
#include "respond.h"
#include "statequery.h"
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

struct locate_ctx {
	const char *path;
	size_t plen, best;
	struct target *t;
};

static int
locate_row(void *ud, int64_t id, const char *w, size_t wl, const char *customer)
{
	struct locate_ctx *c = ud;
	struct target *t = c->t;

	if (w == NULL || wl > c->plen || wl <= c->best || memcmp(w, c->path, wl) != 0 ||
	    (wl < c->plen && c->path[wl] != '/'))
		return 0;
	c->best = wl;
	free(t->ws_path);
	free(t->customer);
	t->ws_id = id;
	t->ws_path = xstrndup(w, wl);
	t->customer = xstrdup(customer);
	return 0;
}

/* the webspace holding path (the longest match) */
static int
locate_webspace(struct store *s, const char *path, struct target *t)
{
	struct locate_ctx c = { .path = path, .plen = strlen(path), .t = t };

	memset(t, 0, sizeof(*t));
	while (c.plen > 1 && path[c.plen - 1] == '/')
		c.plen--;
	if (stateq_webspaces(s, true, locate_row, &c) == -EIO && t->ws_path == NULL)
		return -EIO;
	if (t->ws_path == NULL)
		return -ENOENT;
	t->rel = c.best < c.plen ? xstrndup(path + c.best + 1, c.plen - c.best - 1) : xstrdup("");
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

static int
want_row(void *ud, const char *relpath, size_t rlen, const uint8_t sha256[SHA256_LEN])
{
	(void)relpath;
	(void)rlen;
	want_add(ud, sha256);
	return 0;
}

/* the release contents of relpath (relative to the installation root) in
 * product/version */
static int
release_contents(struct store *s, const char *product, const char *version, const char *relpath,
		 struct want *w)
{
	return fpindex_release_files(s, product, version, relpath, want_row, w) == -EIO ? -EIO : 0;
}

struct release_file_ctx {
	struct store *s;
	struct target *t;
	struct want *w;
};

static int
release_file_row(void *ud, const char *root, size_t n, const char *product, const char *version)
{
	struct release_file_ctx *c = ud;
	struct target *t = c->t;
	size_t rl = strlen(t->rel);
	const char *inner;

	if (n > 0 && (n >= rl || memcmp(root, t->rel, n) != 0 || t->rel[n] != '/'))
		return 0;
	inner = n ? t->rel + n + 1 : t->rel;
	free(t->root);
	free(t->product);
	free(t->version);
	t->root = xstrndup(root ? root : "", n);
	t->product = xstrdup(product);
	t->version = xstrdup(version);
	release_contents(c->s, t->product, t->version, inner, c->w);
	return c->w->n != 0; /* found: stop */
}

/* the installation of t->rel that ships a file at that path: the deepest
 * root first (a plugin inside WordPress) */
static int
locate_release_file(struct store *s, struct target *t, struct want *w)
{
	struct release_file_ctx c = { s, t, w };

	if (stateq_installations_of(s, t->ws_id, release_file_row, &c) == -EIO)
		return -EIO;
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
/* restore_installation's walk of the release: a path's contents are
 * contiguous; each path is restored when the next begins */
struct restore_walk {
	struct ctx *c;
	struct target *t;
	struct want w;
	char *cur;
};

static void
restore_flush(struct restore_walk *rw)
{
	struct target *t = rw->t;

	if (rw->cur && rw->w.n) {
		t->rel = t->root[0] ? xasprintf("%s/%s", t->root, rw->cur) : xstrdup(rw->cur);
		restore_one(rw->c, t, &rw->w);
		free(t->rel);
		t->rel = NULL;
	}
	rw->w.n = 0;
	free(rw->cur);
	rw->cur = NULL;
}

static int
restore_row(void *ud, const char *rp, size_t rl, const uint8_t sha256[SHA256_LEN])
{
	struct restore_walk *rw = ud;

	if (rw->cur && (strlen(rw->cur) != rl || memcmp(rw->cur, rp, rl) != 0))
		restore_flush(rw);
	if (rw->cur == NULL)
		rw->cur = xstrndup(rp, rl);
	want_add(&rw->w, sha256);
	return 0;
}

static void
restore_installation(struct ctx *c, const char *root)
{
	struct target t;
	struct restore_walk rw = { .c = c, .t = &t };
	int rc;

	if (!path_plain(root) || locate_webspace(c->s, root, &t) < 0) {
		fprintf(stderr, "wsidctl restore: %s: not in a watched webspace\n", esc_name(root));
		c->failed++;
		return;
	}
	rc = stateq_installation_at(c->s, t.ws_id, t.rel, strlen(t.rel), &t.product, &t.version);
	if (rc == -EIO)
		goto out;
	if (rc < 0) {
		fprintf(stderr, "wsidctl restore: %s: no identified installation there\n", esc_name(root));
		c->failed++;
		goto out;
	}
	t.root = t.rel;
	t.rel = NULL;
	fpindex_release_files(c->s, t.product, t.version, NULL, restore_row, &rw);
	restore_flush(&rw); /* the last path, or the one a failed step cut short */
out:
	free(rw.cur);
	free(rw.w.sha);
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

struct list_ctx {
	bool json;
	struct buf b;
};

static int
list_item(void *ud, const struct quarantine_row *r)
{
	struct list_ctx *c = ud;
	time_t when = (time_t)r->time;
	const char *p = r->path;
	size_t pl = r->plen;
	char ts[32], hex[SHA256_HEX_LEN + 1] = "";
	struct tm tm;
	struct json j;

	gmtime_r(&when, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (r->sha256)
		hex_encode(r->sha256, SHA256_LEN, hex);
	if (c->json) {
		buf_reset(&c->b);
		json_init(&j, &c->b);
		json_obj_begin(&j);
		json_kv_int(&j, "id", r->id);
		json_kv_str(&j, "time", ts);
		json_kv_str(&j, "customer", r->customer);
		json_kv_name(&j, "path", p ? p : "", pl);
		json_kv_str(&j, "sha256", hex);
		json_kv_int(&j, "size", r->size);
		json_kv_int(&j, "mode", r->mode);
		json_kv_int(&j, "uid", r->uid);
		json_kv_str(&j, "reason", r->reason);
		json_kv_str(&j, "by", r->by);
		if (r->released)
			json_kv_int(&j, "released_at", r->released_at);
		json_kv_str(&j, "released_by", r->released_by);
		json_obj_end(&j);
		printf("%s\n", c->b.data);
		return 0;
	}
	buf_reset(&c->b);
	buf_put_escaped(&c->b, p ? p : "", pl);
	printf("%-5lld %-20s %-10s %-8lld %-10s %s\n", (long long)r->id, ts, r->by, (long long)r->size,
	       r->released ? "released" : "held", c->b.data);
	printf("      %s\n", esc_name(r->reason));
	return 0;
}

static int
quarantine_list(struct ctx *c)
{
	struct list_ctx l = { .json = c->json };
	int r;

	buf_init(&l.b, 0);
	if (!c->json)
		printf("%-5s %-20s %-10s %-8s %-10s %s\n", "ID", "WHEN", "BY", "BYTES", "STATE", "PATH");
	r = quarantine_items(c->s, list_item, &l);
	buf_free(&l.b);
	return r < 0 ? EXIT_ERROR : 0;
}

static int
quarantine_release(struct ctx *c, const char *arg)
{
	struct quarantine_held h;
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
	if ((r = quarantine_held(c->s, id, &h)) == -EIO)
		return EXIT_ERROR;
	if (r < 0) {
		fprintf(stderr, "wsidctl quarantine release: no item %lld held in quarantine\n", id);
		return EXIT_ERROR;
	}
	path = h.path;
	memcpy(want, h.sha256, SHA256_LEN);
	mode = h.mode;
	uid = h.uid;
	gid = h.gid;
	mtime = h.mtime_ns;
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
	quarantine_set_released(c->s, id, c->who);
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
