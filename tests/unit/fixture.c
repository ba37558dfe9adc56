// SPDX-License-Identifier: GPL-2.0-or-later
/* What several unit tests build alike: see fixture.h. */
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fpindex.h"
#include "hash.h"
#include "root.h"
#include "util.h"

const char fx_demo_index_php[] = "<?php require 'lib/core.php'; core();\n";
const char fx_demo_core1[] = "<?php /* core 1.0 */ function core() { return 1; }\n";
const char fx_demo_core2[] = "<?php /* core 2.0 */ function core() { return 2; }\n";
/* the files both releases share beside index.php */
static const char *const demo_shared[][2] = {
	{ "lib/a.php", "<?php function a() { return 'a'; }\n" },
	{ "lib/b.php", "<?php function b() { return 'b'; }\n" },
	{ "lib/c.php", "<?php function c() { return 'c'; }\n" },
	{ "readme.txt", "demo, a product of the tests\n" },
};

static int
rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
fx_open(struct fx *f, const char *name)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/wsid-test-%s.XXXXXX", name);
	if (mkdtemp(f->dir) == NULL) {
		printf("fixture: mkdtemp %s: %s\n", f->dir, strerror(errno));
		f->dir[0] = '\0';
		return -1;
	}
	snprintf(f->db, sizeof(f->db), "%s/wsid.db", f->dir);
	if (store_open(f->db, STORE_CREATE, &f->s, err, sizeof(err)) < 0) {
		printf("fixture: %s\n", err);
		return -1;
	}
	if (state_open(f->s, &f->st) < 0) {
		printf("fixture: the state of %s cannot be opened\n", f->db);
		return -1;
	}
	return 0;
}

void
fx_close(struct fx *f)
{
	state_free(f->st);
	store_close(f->s);
	if (f->dir[0] && rm_rf(f->dir) < 0)
		printf("fixture: could not remove %s\n", f->dir);
	memset(f, 0, sizeof(*f));
}

const char *
fx_path(const struct fx *f, const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return p;
}

int
fx_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	int r;

	if (fp == NULL)
		return -1;
	r = fputs(text, fp) < 0 ? -1 : 0;
	if (fclose(fp) != 0)
		r = -1;
	return r;
}

int
fx_put_at(const char *dir, const char *rel, const char *text)
{
	char p[1024];
	char *slash;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	return fx_put(p, text);
}

struct file_row
fx_row(int64_t ws, const char *path, uint8_t fill)
{
	struct file_row f;

	memset(&f, 0, sizeof(f));
	f.webspace_id = ws;
	f.relpath = path;
	f.rlen = strlen(path);
	f.ino = 1000 + fill;
	f.size = 10u * fill;
	f.mtime_ns = 1700000000000000000ll + fill;
	f.mode = 0100644;
	f.uid = 1234;
	f.has_sha = true;
	memset(f.sha256, fill, SHA256_LEN);
	snprintf(f.status, sizeof(f.status), "ok");
	snprintf(f.known, sizeof(f.known), "unknown");
	snprintf(f.verdict, sizeof(f.verdict), "none");
	return f;
}

struct event_row
fx_event(int64_t ws, const char *path, enum verdict_kind v, enum severity sev)
{
	struct event_row e;

	memset(&e, 0, sizeof(e));
	e.time_ns = 1700000000000000000ll;
	e.webspace_id = ws;
	e.customer = "alice";
	e.path = path;
	e.plen = strlen(path);
	e.change = CHANGE_MODIFIED;
	e.verdict = v;
	e.severity = sev;
	e.reason = "code where none belongs";
	e.source = "live";
	return e;
}

/* one sha256sum line: the hash of content, two spaces, path */
static void
sum_line(struct buf *b, const char *content, const char *path)
{
	uint8_t h[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	sha256_buf(content, strlen(content), h);
	hex_encode(h, sizeof(h), hex);
	buf_printf(b, "%s  %s\n", hex, path);
}

int
fx_index_demo(struct fx *f)
{
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	const char *dirs[1];
	const char *core[2] = { fx_demo_core1, fx_demo_core2 };
	char fp[256], err[256];
	size_t k;
	int i;

	snprintf(fp, sizeof(fp), "%s/fp", f->dir);
	if (fx_put_at(fp, "demo/product.yaml", "kind: core\nupload_dirs: up\n") < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		struct buf b;
		char name[32];
		int r;

		buf_init(&b, 1 << 16);
		sum_line(&b, fx_demo_index_php, "index.php");
		sum_line(&b, core[i], "lib/core.php");
		for (k = 0; k < sizeof(demo_shared) / sizeof(demo_shared[0]); k++)
			sum_line(&b, demo_shared[k][1], demo_shared[k][0]);
		snprintf(name, sizeof(name), "demo/%d.0.sha256", i + 1);
		r = fx_put_at(fp, name, b.data);
		buf_free(&b);
		if (r < 0)
			return -1;
	}
	dirs[0] = fp;
	bo.dirs = dirs;
	bo.ndirs = 1;
	if (fpindex_build(f->s, &bo, &st, err, sizeof(err)) < 0) {
		printf("fixture: index: %s\n", err);
		return -1;
	}
	return 0;
}

int
fx_demo_install(const char *dir, int major)
{
	size_t k;

	if (fx_put_at(dir, "index.php", fx_demo_index_php) < 0 ||
	    fx_put_at(dir, "lib/core.php", major == 1 ? fx_demo_core1 : fx_demo_core2) < 0)
		return -1;
	for (k = 0; k < sizeof(demo_shared) / sizeof(demo_shared[0]); k++)
		if (fx_put_at(dir, demo_shared[k][0], demo_shared[k][1]) < 0)
			return -1;
	return 0;
}

int
fx_tmpfs(char *top)
{
	if (geteuid() != 0) {
		printf("fixture: a tmpfs needs root\n");
		return -1;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("fixture: a mount namespace: %s\n", strerror(errno));
		return -1;
	}
	if (mkdtemp(top) == NULL) {
		printf("fixture: mkdtemp %s: %s\n", top, strerror(errno));
		return -1;
	}
	if (mount("wsid-test", top, "tmpfs", 0, "size=16m") < 0) {
		printf("fixture: tmpfs at %s: %s\n", top, strerror(errno));
		rmdir(top);
		return -1;
	}
	return 0;
}

void
fx_tmpfs_done(const char *top)
{
	if (umount2(top, MNT_DETACH) < 0)
		printf("fixture: umount %s: %s\n", top, strerror(errno));
	rmdir(top);
}

int
fx_webspace(struct engine *e, const char *root, const char *customer, int64_t *ret_id)
{
	char *real = NULL;
	struct root_id rid;
	bool via;
	int fd, r;

	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((r = root_resolve(root, &fd, &real, &rid, &via)) < 0)
		return r;
	r = engine_webspace_add(e, real, customer, fd, &rid, ret_id);
	free(real);
	return r;
}

/* one turn of the daemon's loop, waiting at most wait_ms for work */
static void
turn(struct engine *e, int wait_ms)
{
	struct pollfd pf[2] = {
		{ .fd = engine_hash_fd(e), .events = POLLIN },
		{ .fd = engine_bg_fd(e), .events = POLLIN },
	};
	int t = engine_timeout_ms(e);

	if (t < 0 || t > wait_ms)
		t = wait_ms;
	poll(pf, 2, t);
	engine_on_hashed(e);
	engine_on_bg(e);
	engine_tick(e);
	engine_flush_due(e);
}

bool
fx_engine_settle(struct engine *e, unsigned max_ms)
{
	uint64_t end = now_mono_ns() + (uint64_t)max_ms * 1000000ull;

	do {
		turn(e, 20);
		if (engine_idle(e) && !engine_uncommitted(e))
			return true;
	} while (now_mono_ns() < end);
	return false;
}

void
fx_engine_run(struct engine *e, unsigned ms)
{
	uint64_t end = now_mono_ns() + (uint64_t)ms * 1000000ull;

	while (now_mono_ns() < end)
		turn(e, 5);
	engine_flush(e);
}

#include <sys/wait.h>

/* a whole file, NUL-terminated (malloc'ed), or NULL */
static char *
main_output(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	buf_append(&b, "", 1);
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static char **fx_argv_kept;

int
fx_run_main(int (*fn)(int, char **), const char *const *args, const char *dir, struct fx_main *ret)
{
	char out[256], err[256];
	pid_t pid;
	int st, n = 0, rc;

	snprintf(out, sizeof(out), "%s/main.out", dir);
	snprintf(err, sizeof(err), "%s/main.err", dir);
	while (args[n])
		n++;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char **argv = calloc((size_t)n + 1, sizeof(char *));
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int i;

		if (argv == NULL || fo < 0 || fe < 0 || dup2(fo, STDOUT_FILENO) < 0 ||
		    dup2(fe, STDERR_FILENO) < 0)
			_exit(125);
		/* the copies stay reachable when the main rearranges argv */
		fx_argv_kept = calloc((size_t)n + 1, sizeof(char *));
		for (i = 0; i < n && fx_argv_kept; i++)
			argv[i] = fx_argv_kept[i] = strdup(args[i]);
		exit(fn(n, argv));
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (ret) {
		fx_main_free(ret);
		ret->out = main_output(out);
		ret->err = main_output(err);
		if (ret->out == NULL || ret->err == NULL)
			rc = -1;
	}
	return rc;
}

void
fx_main_free(struct fx_main *m)
{
	free(m->out);
	free(m->err);
	m->out = m->err = NULL;
}
