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

/* ---- wsidctl's verbs ---- */

#include <stdarg.h>

static const struct config *ctl_cfg;
static const char *ctl_db, *ctl_socket;

static const struct config *
ctl_config_of(void)
{
	return ctl_cfg;
}

static const char *
ctl_db_of(void)
{
	return ctl_db;
}

static const char *
ctl_socket_of(void)
{
	return ctl_socket;
}

void
fx_ctl_env(struct ctl_env *env, const struct config *cfg, const char *db, const char *socket)
{
	ctl_cfg = cfg;
	ctl_db = db;
	ctl_socket = socket;
	memset(env, 0, sizeof(*env));
	env->config = ctl_config_of;
	env->db_path = ctl_db_of;
	env->socket_path = ctl_socket_of;
}

#include "jsonparse.h"

struct jnode *
fx_json(const char *text)
{
	struct jnode *root = NULL;
	char err[256];

	if (text == NULL || jsonp_parse(text, strlen(text), &root, err, sizeof(err)) < 0) {
		printf("fixture: not JSON (%s): %s\n", text ? err : "none", text ? text : "");
		return NULL;
	}
	return root;
}

/* ---- wsidctl's verbs, driven in-process ---- */
#include <stdarg.h>
#include <sys/wait.h>


static char fx_ctl_db[512], fx_ctl_sock[512];

static const struct config *
fx_ctl_config(void)
{
	return NULL;
}

static const char *
fx_ctl_db_path(void)
{
	return fx_ctl_db;
}

static const char *
fx_ctl_socket_path(void)
{
	return fx_ctl_sock;
}

void
fx_ctl_env_db(struct ctl_env *env, const char *db, const char *sock)
{
	snprintf(fx_ctl_db, sizeof(fx_ctl_db), "%s", db);
	snprintf(fx_ctl_sock, sizeof(fx_ctl_sock), "%s", sock);
	memset(env, 0, sizeof(*env));
	env->config = fx_ctl_config;
	env->db_path = fx_ctl_db_path;
	env->socket_path = fx_ctl_socket_path;
	ctl_env_resolve(env);
}

#define FX_ARGS_MAX 64

/* the arguments after ret, copied into own and argv (which the verb may
 * rearrange); their count */
static int
collect_args(va_list ap, char **own, char **argv)
{
	const char *a;
	int n = 0;

	while ((a = va_arg(ap, const char *)) != NULL && n < FX_ARGS_MAX) {
		own[n] = xstrdup(a);
		argv[n] = own[n];
		n++;
	}
	argv[n] = NULL;
	return n;
}

/* a scratch file for one stream, open for writing; its path into path */
static int
scratch_file(char path[64], const char *which)
{
	int fd;

	snprintf(path, 64, "/tmp/wsid-test-%s.XXXXXX", which);
	fd = mkstemp(path);
	if (fd < 0)
		printf("fixture: mkstemp: %s\n", strerror(errno));
	return fd;
}

/* a whole file, NUL-terminated (malloc'ed), or NULL when it cannot be read */
static char *
read_whole(const char *path)
{
	struct buf b;
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf_init(&b, 256u << 20);
	buf_puts(&b, "");
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	if (n < 0 || b.failed) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* a whole scratch file ("" when unreadable) */
static char *
slurp(const char *path)
{
	char *s = read_whole(path);

	return s ? s : xstrdup("");
}

static void
take_output(struct fx_run *ret, const char *opath, const char *epath)
{
	ret->out = slurp(opath);
	ret->err = slurp(epath);
	unlink(opath);
	unlink(epath);
}

/* fn(argc, argv, env) with its output captured; argv as it is (getopt may
 * permute it) */
static int
run_captured_argv(ctl_verb_fn *fn, const struct ctl_env *env, struct fx_run *ret, bool child,
		  int argc, char **argv)
{
	char opath[64], epath[64];
	int ofd, efd, so = -1, se = -1;

	memset(ret, 0, sizeof(*ret));
	ret->rc = -1;
	ofd = scratch_file(opath, "out");
	efd = scratch_file(epath, "err");
	if (ofd < 0 || efd < 0)
		goto out;
	fflush(stdout);
	fflush(stderr);
	optind = 0; /* a fresh getopt, as in a process of its own */
	if (child) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			dup2(ofd, STDOUT_FILENO);
			dup2(efd, STDERR_FILENO);
			st = fn(argc, argv, env);
			fflush(stdout);
			fflush(stderr);
			_exit(st & 0xff);
		}
		if (pid > 0 && waitpid(pid, &st, 0) == pid)
			ret->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	} else {
		so = dup(STDOUT_FILENO);
		se = dup(STDERR_FILENO);
		dup2(ofd, STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		ret->rc = fn(argc, argv, env);
		fflush(stdout);
		fflush(stderr);
		dup2(so, STDOUT_FILENO);
		dup2(se, STDERR_FILENO);
		close(so);
		close(se);
	}
out:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	if (ofd >= 0 && efd >= 0)
		take_output(ret, opath, epath);
	return ret->rc;
}

static int
run_captured(ctl_verb_fn *fn, const struct ctl_env *env, struct fx_run *ret, bool child, va_list ap)
{
	char *own[FX_ARGS_MAX], *argv[FX_ARGS_MAX + 1];
	int argc = collect_args(ap, own, argv), i;

	run_captured_argv(fn, env, ret, child, argc, argv);
	for (i = 0; i < argc; i++)
		free(own[i]);
	return ret->rc;
}

int
fx_ctl_argv(ctl_verb_fn *fn, const struct ctl_env *env, int argc, char **argv, char **ret_out,
	    char **ret_err)
{
	struct fx_run r;

	run_captured_argv(fn, env, &r, false, argc, argv);
	*ret_out = r.out ? r.out : xstrdup("");
	*ret_err = r.err ? r.err : xstrdup("");
	return r.rc;
}

int
fx_ctl(ctl_verb_fn *fn, const struct ctl_env *env, char **ret_out, char **ret_err, ...)
{
	struct fx_run r;
	va_list ap;

	va_start(ap, ret_err);
	run_captured(fn, env, &r, false, ap);
	va_end(ap);
	*ret_out = r.out ? r.out : xstrdup("");
	*ret_err = r.err ? r.err : xstrdup("");
	return r.rc;
}

int
fx_ctl_run(ctl_verb_fn *fn, const struct ctl_env *env, struct fx_run *ret, ...)
{
	va_list ap;
	int r;

	va_start(ap, ret);
	r = run_captured(fn, env, ret, false, ap);
	va_end(ap);
	return r;
}

int
fx_ctl_fork(ctl_verb_fn *fn, const struct ctl_env *env, struct fx_run *ret, ...)
{
	va_list ap;
	int r;

	va_start(ap, ret);
	r = run_captured(fn, env, ret, true, ap);
	va_end(ap);
	return r;
}

void
fx_run_free(struct fx_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

bool
fx_has(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

int
fx_count_lines(const char *s, const char *needle)
{
	int n = 0;

	while (s && *s) {
		const char *nl = strchrnul(s, '\n');
		const char *hit = strstr(s, needle);

		if (hit && hit < nl)
			n++;
		s = *nl ? nl + 1 : nl;
	}
	return n;
}

struct jnode *
fx_json_line(const char *s, int n)
{
	struct jnode *j = NULL;
	const char *nl;
	char err[256];

	for (; s && *s && n > 0; n--)
		s = (nl = strchr(s, '\n')) ? nl + 1 : s + strlen(s);
	if (s == NULL || *s == '\0')
		return NULL;
	nl = strchrnul(s, '\n');
	if (jsonp_parse(s, (size_t)(nl - s), &j, err, sizeof(err)) < 0) {
		printf("fixture: JSON line: %s\n", err);
		return NULL;
	}
	return j;
}

const char *
fx_jstr(const struct jnode *o, const char *key)
{
	const struct jnode *v = o && o->t == J_OBJ ? jsonp_get(o, key) : NULL;

	if (v && v->t == J_BOOL)
		return v->b ? "true" : "false";
	return v && (v->t == J_STR || v->t == J_NUM) ? v->s : NULL;
}

#include <sys/socket.h>
#include <sys/un.h>

static void *
daemon_serve(void *p)
{
	struct fx_daemon *d = p;
	size_t n = 0;
	int fd = accept(d->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (n < sizeof(d->req) - 1) {
		ssize_t k = read(fd, d->req + n, 1);

		if (k <= 0)
			break;
		n += (size_t)k;
		if (d->req[n - 1] == '\n')
			break;
	}
	d->req[n] = '\0';
	if (d->reply && write(fd, d->reply, strlen(d->reply)) < 0)
		printf("fixture: daemon: write: %s\n", strerror(errno));
	close(fd);
	return NULL;
}

int
fx_daemon_start(struct fx_daemon *d, const char *path, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memset(d, 0, sizeof(*d));
	d->reply = reply;
	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(d->path)) {
		printf("fixture: daemon: %s: too long\n", path);
		return -1;
	}
	memcpy(d->path, path, strlen(path) + 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->lfd < 0 || bind(d->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(d->lfd, 4) < 0 || pthread_create(&d->th, NULL, daemon_serve, d) != 0) {
		printf("fixture: daemon at %s: %s\n", path, strerror(errno));
		if (d->lfd >= 0)
			close(d->lfd);
		unlink(path);
		return -1;
	}
	return 0;
}

const char *
fx_daemon_done(struct fx_daemon *d)
{
	pthread_join(d->th, NULL);
	close(d->lfd);
	unlink(d->path);
	return d->req;
}

void
fx_ctl_env_bad(struct ctl_env *env, const struct fx *f, const char *sock, bool damaged)
{
	char db[512];

	snprintf(db, sizeof(db), "%s/%s", f->dir, damaged ? "junk.db" : "none/wsid.db");
	if (damaged && fx_put(db, "not a database: a page of text that SQLite will not take\n") < 0)
		printf("fixture: %s: %s\n", db, strerror(errno));
	fx_ctl_env_db(env, db, sock);
}


#include "scan.h" /* the helpers appended below */

int
fx_fp_set(const struct fx *f, const char *product, const char *version,
	  const char *const (*files)[2], size_t n)
{
	struct buf b;
	char name[256];
	size_t k;
	int r;

	buf_init(&b, 1 << 20);
	for (k = 0; k < n; k++)
		sum_line(&b, files[k][1], files[k][0]);
	snprintf(name, sizeof(name), "fp/%s/%s.sha256", product, version);
	r = fx_put_at(f->dir, name, b.data ? b.data : "");
	buf_free(&b);
	return r;
}

int
fx_scan(const struct fx *f, const char *dir, struct scan_tree **ret)
{
	struct scan_opts so = { 0 };
	char err[256];

	so.dbpath = f->db;
	so.jobs = 1;
	if (scan_tree_run(dir, &so, ret, err, sizeof(err)) < 0) {
		printf("fixture: scan %s: %s\n", dir, err);
		return -1;
	}
	return 0;
}

const char *
fx_join(const char *dir, const char *rel)
{
	static char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return p;
}

const char *const fx_mix1[FX_MIX_N][2] = {
	{ "version.php", "<?php $v = '1.0';\n" },
	{ "m1.php", "<?php /* mix 1.0 one */\n" },
	{ "m2.php", "<?php /* mix 1.0 two */\n" },
	{ "m3.php", "<?php /* mix 1.0 three */\n" },
	{ "m4.php", "<?php /* mix 1.0 four */\n" },
	{ "m5.php", "<?php /* mix 1.0 five */\n" },
	{ "m6.php", "<?php /* mix 1.0 six */\n" },
	{ "m7.php", "<?php /* mix 1.0 seven */\n" },
};
const char *const fx_mix2[FX_MIX_N][2] = {
	{ "version.php", "<?php $v = '2.0';\n" },
	{ "m1.php", "<?php /* mix 2.0 one */\n" },
	{ "m2.php", "<?php /* mix 2.0 two */\n" },
	{ "m3.php", "<?php /* mix 2.0 three */\n" },
	{ "m4.php", "<?php /* mix 2.0 four */\n" },
	{ "m5.php", "<?php /* mix 2.0 five */\n" },
	{ "m6.php", "<?php /* mix 2.0 six */\n" },
	{ "m7.php", "<?php /* mix 2.0 seven */\n" },
};

int
fx_fp_mix(const struct fx *f)
{
	if (fx_put_at(f->dir, "fp/mix/product.yaml",
		      "kind: plugin\nversion_file: version.php\nversion_pattern: v = .([0-9.]+).\n") < 0 ||
	    fx_fp_set(f, "mix", "1.0", fx_mix1, FX_MIX_N) < 0 || fx_fp_set(f, "mix", "2.0", fx_mix2, FX_MIX_N) < 0)
		return -1;
	return 0;
}

int
fx_mix_install(const char *dir, const char *const (*a)[2], const char *const (*b)[2], size_t first)
{
	size_t k;

	for (k = 0; k < FX_MIX_N; k++)
		if (fx_put_at(dir, (k < first ? a : b)[k][0], (k < first ? a : b)[k][1]) < 0)
			return -1;
	return 0;
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
		ret->out = read_whole(out);
		ret->err = read_whole(err);
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

int64_t
fx_query_int(struct store *s, const char *sql)
{
	sqlite3_stmt *q = store_prepare(s, sql);
	int64_t n = -1;

	if (q && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}
