// SPDX-License-Identifier: GPL-2.0-or-later
/* Identification by hash votes over real scanned trees: a release of the
 * demo product found at its root with its version, two installations side by
 * side and one nested in another, the states of its files (modified with the
 * content of another version, missing, added, in an upload directory), a tree
 * mixing two releases of a product whose releases differ in every file, the
 * version file's claim, a tree with too few votes, one release in many
 * webspaces (reported in the order of their roots), the files of every
 * state listed in one pass as state by state (past what that pass remembers),
 * and the name tests
 * (ident_is_code, ident_in_dirs). The index is built in a scratch database;
 * the trees are scratch directories. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "fpindex.h"
#include "hash.h"
#include "ident.h"
#include "scan.h"
#include "t.h"
#include "util.h"

static struct fx fx;
static struct fpindex *idx;

/* a fresh scratch tree <fx.dir>/<name> */
static const char *
tree(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", fx.dir, name);
	mkdir(p, 0755);
	return p;
}

/* scans dir and identifies; NULL when either failed (counted) */
static struct ident_result *
identify(const char *dir, struct scan_tree **ret_t)
{
	struct ident_result *r = NULL;

	*ret_t = NULL;
	if (fx_scan(&fx, dir, ret_t) < 0) {
		T_CHECK(0, "scan of %s", dir);
		return NULL;
	}
	T_EQ_INT(ident_run(fx.s, idx, *ret_t, &r), 0);
	return r;
}

static void
done(struct scan_tree *t, struct ident_result *r)
{
	ident_result_free(r);
	scan_tree_free(t);
}

/* the installation of r rooted at root, or NULL */
static const struct installation *
inst_at(const struct ident_result *r, const char *root)
{
	size_t i;

	for (i = 0; r && i < r->ninst; i++)
		if (r->inst[i].root_len == strlen(root) && memcmp(r->inst[i].root, root, strlen(root)) == 0)
			return &r->inst[i];
	return NULL;
}

static void
test_release_at_root(void)
{
	int major;

	for (major = 1; major <= 2; major++) {
		char name[16];
		const char *d;
		struct scan_tree *t;
		struct ident_result *r;
		const struct installation *in;

		snprintf(name, sizeof(name), "root%d", major);
		d = tree(name);
		T_OK(fx_demo_install(d, major) == 0);
		if ((r = identify(d, &t)) == NULL)
			continue;
		T_EQ_INT(r->ninst, 1);
		in = inst_at(r, "");
		T_OK(in != NULL);
		if (in) {
			char want[16];

			snprintf(want, sizeof(want), "%d.0", major);
			T_EQ_STR(in->product->name, "demo");
			T_EQ_STR(in->product->kind, "core");
			T_EQ_STR(in->version->version, want);
			T_EQ_INT(in->matched, 6);
			T_EQ_INT(in->counts[IDENT_OK], 6);
			T_EQ_INT(in->counts[IDENT_MODIFIED] + in->counts[IDENT_MISSING] +
					 in->counts[IDENT_ADDED], 0);
			T_OK(fabs(in->confidence - 1.0) < 1e-9);
			T_OK(!in->mixed);
			T_EQ_INT(in->parent, -1);
			/* the other release shares 5 of 6 files: not a close candidate */
			T_EQ_INT(in->ncandidates, 0);
			T_OK(!in->has_version_file);
		}
		done(t, r);
	}
}

static void
test_two_installations(void)
{
	const char *d = tree("two");
	char a[256], b[256], n1[256], n2[256];
	struct scan_tree *t;
	struct ident_result *r;
	const struct installation *ia, *ib, *in1, *in2;

	snprintf(a, sizeof(a), "%s/a", d);
	snprintf(b, sizeof(b), "%s/b/c", d);
	T_OK(fx_demo_install(a, 1) == 0);
	T_OK(fx_demo_install(b, 2) == 0);
	/* and two nested: one release inside another's directory */
	snprintf(n1, sizeof(n1), "%s/n", d);
	snprintf(n2, sizeof(n2), "%s/n/old", d);
	T_OK(fx_demo_install(n1, 2) == 0);
	T_OK(fx_demo_install(n2, 1) == 0);
	if ((r = identify(d, &t)) == NULL)
		return;
	T_EQ_INT(r->ninst, 4);
	ia = inst_at(r, "a");
	ib = inst_at(r, "b/c");
	in1 = inst_at(r, "n");
	in2 = inst_at(r, "n/old");
	T_OK(ia && ib && in1 && in2);
	if (ia && ib && in1 && in2) {
		T_EQ_STR(ia->version->version, "1.0");
		T_EQ_STR(ib->version->version, "2.0");
		T_EQ_STR(in1->version->version, "2.0");
		T_EQ_STR(in2->version->version, "1.0");
		T_EQ_INT(ia->parent, -1);
		T_EQ_INT(ib->parent, -1);
		T_EQ_INT(in1->parent, -1);
		T_OK(in2->parent >= 0 && &r->inst[in2->parent] == in1);
		/* each counts its own six files: the nested one's are not "added"
		 * to the outer one */
		T_EQ_INT(ia->counts[IDENT_OK], 6);
		T_EQ_INT(ib->counts[IDENT_OK], 6);
		T_EQ_INT(in1->counts[IDENT_OK], 6);
		T_EQ_INT(in1->counts[IDENT_ADDED], 0);
		T_EQ_INT(in2->counts[IDENT_OK], 6);
	}
	done(t, r);
}

/* The same release in many webspaces: the installations come out in the
 * order of their roots, the same at every run (their candidates are of equal
 * strength; a hash map, whose order changes from run to run, holds them) */
static void
test_equal_installations_in_root_order(void)
{
	enum { N = 12 };
	const char *d = tree("same");
	struct scan_tree *t;
	struct ident_result *r;
	char p[256];
	int k, run;

	for (k = 0; k < N; k++) {
		snprintf(p, sizeof(p), "%s/w%02d", d, k);
		T_OK(fx_demo_install(p, 1) == 0);
	}
	if (fx_scan(&fx, d, &t) < 0) {
		T_CHECK(0, "scan of %s", d);
		return;
	}
	for (run = 0; run < 5; run++) {
		size_t unordered = 0;

		r = NULL;
		T_EQ_INT(ident_run(fx.s, idx, t, &r), 0);
		if (r == NULL)
			break;
		T_EQ_INT(r->ninst, N);
		for (size_t i = 0; i < r->ninst; i++) {
			snprintf(p, sizeof(p), "w%02zu", i);
			if (r->inst[i].root_len != 3 || memcmp(r->inst[i].root, p, 3) != 0)
				unordered++;
		}
		T_CHECK(unordered == 0, "run %d: %zu installations out of root order", run, unordered);
		ident_result_free(r);
	}
	scan_tree_free(t);
}

struct seen {
	char path[8][64];
	bool upload[8];
	const char *known_in[8];
	uint8_t expected[8][SHA256_LEN];
	size_t n;
};

static void
collect(void *ud, const struct ident_file *f, const struct scan_file *sf)
{
	struct seen *s = ud;

	if (s->n >= 8)
		return;
	if (sf)
		snprintf(s->path[s->n], sizeof(s->path[0]), "%.*s", (int)sf->pathlen, sf->path);
	else
		snprintf(s->path[s->n], sizeof(s->path[0]), "%.*s", (int)f->relpath_len, f->relpath);
	s->upload[s->n] = f->in_upload_dir;
	s->known_in[s->n] = f->known_as ? f->known_as->version : NULL;
	memcpy(s->expected[s->n], f->expected, SHA256_LEN);
	s->n++;
}

static void
test_file_states(void)
{
	const char *d = tree("states");
	char p[512];
	struct scan_tree *t;
	struct ident_result *r;
	const struct installation *in;
	struct seen s;
	uint8_t want[SHA256_LEN];

	T_OK(fx_demo_install(d, 1) == 0);
	T_OK(fx_put_at(d, "lib/b.php", "<?php eval($_POST['x']);\n") == 0);
	snprintf(p, sizeof(p), "%s/readme.txt", d);
	T_OK(unlink(p) == 0);
	T_OK(fx_put_at(d, "up/shell.php", "<?php system($_GET['c']);\n") == 0);
	T_OK(fx_put_at(d, "notes.txt", "mine\n") == 0);
	if ((r = identify(d, &t)) == NULL)
		return;
	in = inst_at(r, "");
	T_OK(r->ninst == 1 && in != NULL);
	if (in == NULL) {
		done(t, r);
		return;
	}
	T_EQ_STR(in->version->version, "1.0");
	T_EQ_INT(in->counts[IDENT_OK], 4);
	T_EQ_INT(in->counts[IDENT_MODIFIED], 1);
	T_EQ_INT(in->counts[IDENT_MISSING], 1);
	T_EQ_INT(in->counts[IDENT_ADDED], 2);
	T_OK(fabs(in->confidence - 4.0 / 6.0) < 1e-9);

	memset(&s, 0, sizeof(s));
	ident_inst_files(r, t, 0, IDENT_MODIFIED, collect, &s);
	T_EQ_INT(s.n, 1);
	T_EQ_STR(s.path[0], "lib/b.php");
	sha256_buf("<?php function b() { return 'b'; }\n", 35, want);
	T_OK(memcmp(s.expected[0], want, SHA256_LEN) == 0);
	T_OK(s.known_in[0] == NULL);

	memset(&s, 0, sizeof(s));
	ident_inst_files(r, t, 0, IDENT_MISSING, collect, &s);
	T_EQ_INT(s.n, 1);
	T_EQ_STR(s.path[0], "readme.txt");

	/* in path order; only what lies under "up" is in the upload directory */
	memset(&s, 0, sizeof(s));
	ident_inst_files(r, t, 0, IDENT_ADDED, collect, &s);
	T_EQ_INT(s.n, 2);
	T_EQ_STR(s.path[0], "notes.txt");
	T_EQ_STR(s.path[1], "up/shell.php");
	T_OK(!s.upload[0] && s.upload[1]);

	memset(&s, 0, sizeof(s));
	ident_inst_files(r, t, 0, IDENT_OK, collect, &s);
	T_EQ_INT(s.n, 4);
	T_EQ_STR(s.path[0], "index.php");
	T_EQ_STR(s.path[3], "lib/core.php");
	done(t, r);
}

/* "state path known_in" lines of the files listed, and "[state]" where a
 * state's list begins */
static void
log_file(void *ud, const struct ident_file *f, const struct scan_file *sf)
{
	struct buf *b = ud;

	if (sf)
		buf_printf(b, "%s %.*s", ident_state_name(f->state), (int)sf->pathlen, sf->path);
	else
		buf_printf(b, "%s %.*s", ident_state_name(f->state), (int)f->relpath_len, f->relpath);
	buf_printf(b, " %s %d\n", f->known_as ? f->known_as->version : "-", f->in_upload_dir);
}

static void
log_state(void *ud, enum ident_file_state st)
{
	buf_printf(ud, "[%s]\n", ident_state_name(st));
}

/* ident_inst_files_all lists what ident_inst_files lists state by state, in
 * the same order, with more files of a later state than it remembers
 * during its pass (65,536) */
static void
test_all_states_one_pass(void)
{
	const char *d = tree("onepass");
	char p[512];
	struct scan_tree *t;
	struct ident_result *r;
	struct buf one, each;
	int i, st, fd, made = 0;

	T_OK(fx_demo_install(d, 1) == 0);
	T_OK(fx_put_at(d, "lib/b.php", "<?php function b() { return 'b2'; }\n") == 0);
	snprintf(p, sizeof(p), "%s/readme.txt", d);
	T_OK(unlink(p) == 0);
	T_OK(fx_put_at(d, "up/shell.php", "<?php system($_GET['c']);\n") == 0);
	T_OK(fx_put_at(d, "aa/first.txt", "x\n") == 0);
	T_OK(fx_put_at(d, "zz/last.php", "<?php\n") == 0);
	for (i = 0; i < 65600; i++) {
		snprintf(p, sizeof(p), "%s/%s/f%05d", d, i < 65000 ? "many" : "up", i);
		if (i == 0 || i == 65000) {
			char *slash = strrchr(p, '/');

			*slash = '\0';
			mkdir(p, 0755);
			*slash = '/';
		}
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			close(fd);
			made++;
		}
	}
	T_EQ_INT(made, 65600);
	if ((r = identify(d, &t)) == NULL)
		return;
	T_EQ_INT(r->ninst, 1);
	if (r->ninst == 1) {
		T_EQ_INT(r->inst[0].counts[IDENT_ADDED], 65603);
		T_EQ_INT(r->inst[0].counts[IDENT_MODIFIED], 1);
		buf_init(&one, SIZE_MAX / 2);
		buf_init(&each, SIZE_MAX / 2);
		ident_inst_files_all(r, t, 0, log_state, log_file, &one);
		for (st = 0; st < IDENT_STATE_MAX; st++) {
			log_state(&each, (enum ident_file_state)st);
			ident_inst_files(r, t, 0, (enum ident_file_state)st, log_file, &each);
		}
		T_EQ_INT(one.len, each.len);
		T_OK(one.len == each.len && memcmp(one.data, each.data, one.len) == 0);
		T_OK(one.data && strstr(one.data, "[added]\nadded aa/first.txt - 0\n") != NULL);
		T_OK(one.data && strstr(one.data, "added up/f65599 - 1\nadded up/shell.php - 1\nadded zz/last.php - 0\n") != NULL);
		buf_free(&one);
		buf_free(&each);
	}
	done(t, r);
}

static void
test_mixed(void)
{
	const char *d = tree("mixed");
	struct scan_tree *t;
	struct ident_result *r;
	const struct installation *in;
	struct seen s;

	/* five files of 1.0 (version.php among them), three of 2.0 */
	T_OK(fx_mix_install(d, fx_mix1, fx_mix2, 5) == 0);
	if ((r = identify(d, &t)) == NULL)
		return;
	in = inst_at(r, "");
	T_OK(r->ninst == 1 && in != NULL);
	if (in) {
		T_EQ_STR(in->product->name, "mix");
		T_EQ_STR(in->version->version, "1.0");
		T_EQ_INT(in->matched, 5);
		T_OK(in->mixed);
		T_OK(in->mixed_with != NULL && t_streq(in->mixed_with->version, "2.0"));
		T_EQ_INT(in->mixed_only_best, 5);
		T_EQ_INT(in->mixed_only_other, 3);
		T_EQ_INT(in->counts[IDENT_OK], 5);
		T_EQ_INT(in->counts[IDENT_MODIFIED], 3);
		T_OK(in->has_version_file);
		T_EQ_STR(in->claimed_version, "1.0");
		memset(&s, 0, sizeof(s));
		ident_inst_files(r, t, 0, IDENT_MODIFIED, collect, &s);
		T_EQ_INT(s.n, 3);
		T_EQ_STR(s.path[0], "m5.php");
		T_EQ_STR(s.known_in[0], "2.0");
		T_EQ_STR(s.known_in[2], "2.0");
	}
	done(t, r);
}

static void
test_version_lie(void)
{
	const char *d = tree("lie");
	struct scan_tree *t;
	struct ident_result *r;
	const struct installation *in;

	/* 1.0 throughout but version.php, which is 2.0's and claims 2.0: one
	 * file of another release is no mix */
	T_OK(fx_mix_install(d, fx_mix2, fx_mix1, 1) == 0);
	if ((r = identify(d, &t)) == NULL)
		return;
	in = inst_at(r, "");
	T_OK(r->ninst == 1 && in != NULL);
	if (in) {
		T_EQ_STR(in->version->version, "1.0");
		T_OK(!in->mixed);
		T_EQ_INT(in->counts[IDENT_OK], 7);
		T_EQ_INT(in->counts[IDENT_MODIFIED], 1);
		T_EQ_STR(in->claimed_version, "2.0");
	}
	done(t, r);
}

static void
test_too_few_votes(void)
{
	const char *d = tree("few");
	struct scan_tree *t;
	struct ident_result *r;

	/* one file of six: below the share needed (and below two votes) */
	T_OK(fx_put_at(d, "site/index.php", fx_demo_index_php) == 0);
	T_OK(fx_put_at(d, "site/other.php", "<?php echo 'mine';\n") == 0);
	if ((r = identify(d, &t)) != NULL) {
		T_EQ_INT(r->ninst, 0);
		done(t, r);
	}
	/* a second file of the release is enough for its six */
	T_OK(fx_put_at(d, "site/lib/a.php", "<?php function a() { return 'a'; }\n") == 0);
	if ((r = identify(d, &t)) != NULL) {
		const struct installation *in = inst_at(r, "site");

		T_EQ_INT(r->ninst, 1);
		T_OK(in != NULL);
		if (in) {
			T_EQ_INT(in->matched, 2);
			T_EQ_INT(in->counts[IDENT_MISSING], 4);
			T_EQ_INT(in->counts[IDENT_ADDED], 1);
			/* lib/ keeps a.php: lib/b.php, c.php, core.php are listed
			 * one by one, not as a missing directory */
			T_EQ_INT(in->nmissing_dirs, 0);
		}
		done(t, r);
	}
	/* a tree with nothing of any release */
	d = tree("none");
	T_OK(fx_put_at(d, "x.php", "<?php\n") == 0);
	if ((r = identify(d, &t)) != NULL) {
		T_EQ_INT(r->ninst, 0);
		done(t, r);
	}
}

static void
test_missing_dir(void)
{
	const char *d = tree("nolib");
	struct scan_tree *t;
	struct ident_result *r;
	const struct installation *in;

	T_OK(fx_put_at(d, "index.php", fx_demo_index_php) == 0);
	T_OK(fx_put_at(d, "readme.txt", "demo, a product of the tests\n") == 0);
	if ((r = identify(d, &t)) == NULL)
		return;
	in = inst_at(r, "");
	T_OK(in != NULL);
	if (in) {
		T_EQ_INT(in->counts[IDENT_MISSING], 4);
		T_EQ_INT(in->nmissing_dirs, 1);
		if (in->nmissing_dirs == 1) {
			T_EQ_STR(in->missing_dirs[0].path, "lib");
			T_EQ_INT(in->missing_dirs[0].files, 4);
		}
	}
	done(t, r);
}

static void
test_is_code(void)
{
	static const struct {
		const char *name;
		bool code;
	} c[] = {
		{ "index.php", true },      { "a/b/Upper.PHP", true }, { "x.phtml", true },
		{ "shell.php7", true },     { "run.cgi", true },       { "w/.htaccess", true },
		{ ".user.ini", true },      { "lib.inc", true },       { "a.phar", true },
		{ "a.php.txt", false },     { "readme.txt", false },   { "x.htaccess", false },
		{ "htaccess", false },      { ".php", false },         { "php", false },
		{ "img.jpg", false },       { "php/readme", false },   { "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		T_CHECK(ident_is_code(c[i].name, strlen(c[i].name)) == c[i].code, "%s", c[i].name);
	/* only len bytes count */
	T_OK(ident_is_code("a.php.bak", 5));
	T_OK(!ident_is_code("a.php", 4));
}

static void
test_in_dirs(void)
{
	const char *dirs = "up,wp-content/uploads/";

	T_OK(ident_in_dirs(dirs, "up/x.php", 8));
	T_OK(ident_in_dirs(dirs, "wp-content/uploads/2024/a.php", 29));
	T_OK(!ident_in_dirs(dirs, "up", 2));
	T_OK(!ident_in_dirs(dirs, "upload/x.php", 12));
	T_OK(!ident_in_dirs(dirs, "wp-content/x.php", 16));
	T_OK(!ident_in_dirs(NULL, "up/x.php", 8));
	T_OK(!ident_in_dirs("", "up/x.php", 8));
}

int
main(void)
{
	if (fx_open(&fx, "ident") < 0 || fx_fp_mix(&fx) < 0 || fx_index_demo(&fx) < 0 ||
	    fpindex_load(fx.s, &idx) < 0) {
		printf("not ok setup\n");
		return 1;
	}
	T_RUN(test_release_at_root);
	T_RUN(test_two_installations);
	T_RUN(test_equal_installations_in_root_order);
	T_RUN(test_file_states);
	T_RUN(test_all_states_one_pass);
	T_RUN(test_mixed);
	T_RUN(test_version_lie);
	T_RUN(test_too_few_votes);
	T_RUN(test_missing_dir);
	T_RUN(test_is_code);
	T_RUN(test_in_dirs);
	fpindex_free(idx);
	fx_close(&fx);
	T_DONE();
}
