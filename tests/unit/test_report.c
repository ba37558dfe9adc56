// SPDX-License-Identifier: GPL-2.0-or-later
/* Scan reports of a real scanned tree (a demo release with a modified, a
 * missing and added files, hostile names among them, and a symlink): the
 * text report's lines, its sections in their order, its limit of ten lines a
 * section, names escaped (control bytes, bytes that are not UTF-8,
 * invisible characters), no colour unless asked; the JSON report parsed
 * back: its fields, the files of each state in path order, the exact bytes
 * of a name that is not UTF-8 (path_base64), what was not hashed; a mixed
 * installation whose version file lies, in both; more entries not hashed
 * than the report remembers while it counts them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "fpindex.h"
#include "ident.h"
#include "json.h"
#include "jsonparse.h"
#include "report.h"
#include "scan.h"
#include "t.h"

static struct fx fx;
static struct fpindex *idx;
static char site[256];
static struct scan_tree *tree;
static struct ident_result *res;

#define EVIL_UP "up/evil\n\x1b[31mred.php"   /* newline and ESC */
#define EVIL_UP_ESC "up/evil\\n\\x1b[31mred.php"
#define EVIL_BYTES "lib/x\xff\xfe.php"         /* not UTF-8 */
#define EVIL_BYTES_ESC "lib/x\\xff\\xfe.php"
#define EVIL_RLO "lib/gpj\xe2\x80\xae.php"     /* U+202E, right-to-left override */
#define EVIL_RLO_ESC "lib/gpj\\u{202e}.php"

static int
setup(void)
{
	char p[512];
	int i;

	snprintf(site, sizeof(site), "%s/site", fx.dir);
	if (fx_demo_install(site, 1) < 0 || fx_put_at(site, "lib/b.php", "<?php // changed\n") < 0 ||
	    fx_put_at(site, "notes.txt", "mine\n") < 0 || fx_put_at(site, EVIL_UP, "<?php\n") < 0 ||
	    fx_put_at(site, EVIL_BYTES, "<?php\n") < 0 || fx_put_at(site, EVIL_RLO, "<?php\n") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/readme.txt", site);
	if (unlink(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/link", site);
	if (symlink("/etc/passwd", p) < 0)
		return -1;
	/* twelve added code files: more than a section shows */
	for (i = 0; i < 12; i++) {
		snprintf(p, sizeof(p), "extra/e%02d.php", i);
		if (fx_put_at(site, p, "<?php echo 1;\n") < 0)
			return -1;
	}
	if (fx_scan(&fx, site, &tree) < 0 || ident_run(fx.s, idx, tree, &res) < 0)
		return -1;
	return res->ninst == 1 ? 0 : -1;
}

/* the text report into a malloc'ed string */
static char *
text(const struct report_opts *o)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL)
		return NULL;
	report_text_tree(f, tree, res, o);
	fclose(f);
	return s;
}

/* the number of lines of s that begin with prefix */
static size_t
lines_with(const char *s, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	const char *l = s;

	while (l && *l) {
		if (strncmp(l, prefix, pl) == 0)
			n++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return n;
}

static void
test_text(void)
{
	struct report_opts o = { 0 };
	char *s = text(&o), want[512];
	const char *id, *mod, *miss, *up, *code;

	T_OK(s != NULL);
	if (s == NULL)
		return;
	/* the tree's line first, then the installation */
	T_CHECK(strncmp(s, site, strlen(site)) == 0 && strstr(s, ": 22 entries") != NULL, "%s", s);
	snprintf(want, sizeof(want), "\n  %s\n    identified   demo 1.0 (core), confidence 66.7%% (4 of 6 "
				     "release files)\n", site);
	T_CHECK(strstr(s, want) != NULL, "%s", s);
	T_OK(strstr(s, "    files        ok 4, modified 1, missing 1, added 16\n") != NULL);
	/* sections in their order */
	id = strstr(s, "identified");
	mod = strstr(s, "    modified     lib/b.php\n");
	miss = strstr(s, "    missing      readme.txt\n");
	up = strstr(s, "    UPLOAD CODE  " EVIL_UP_ESC "\n");
	code = strstr(s, "    added code   extra/e00.php\n");
	T_OK(id && mod && miss && up && code);
	T_OK(id < mod && mod < miss && miss < up && up < code);
	/* hostile names escaped, nothing raw reaches the terminal */
	T_OK(strchr(s, '\x1b') == NULL);
	T_OK(strstr(s, "\xff") == NULL && strstr(s, "\xe2\x80\xae") == NULL);
	/* ten of the fourteen added code files, then a count */
	T_EQ_INT(lines_with(s, "    added code "), 10);
	T_OK(strstr(s, "... 4 more (--verbose lists all)\n") != NULL);
	/* what is no code is listed with --verbose only */
	T_OK(strstr(s, "notes.txt") == NULL);
	T_OK(strstr(s, "\n  not hashed: 1 symlinks (not followed), 0 special files") != NULL);
	T_OK(strstr(s, "/etc/passwd") == NULL);
	free(s);

	o.verbose = true;
	s = text(&o);
	T_OK(s != NULL);
	if (s == NULL)
		return;
	T_EQ_INT(lines_with(s, "    added code "), 14);
	T_OK(strstr(s, "    added code   " EVIL_BYTES_ESC "\n") != NULL);
	T_OK(strstr(s, "    added code   " EVIL_RLO_ESC "\n") != NULL);
	T_OK(strstr(s, "\xff") == NULL && strstr(s, "\xe2\x80\xae") == NULL);
	T_OK(strstr(s, "    added        notes.txt\n") != NULL);
	T_OK(strstr(s, "    symlink        link -> /etc/passwd\n") != NULL);
	T_OK(strchr(s, '\x1b') == NULL);
	free(s);

	o.color = true;
	s = text(&o);
	T_OK(s != NULL && strstr(s, "    \x1b[31mUPLOAD CODE  " EVIL_UP_ESC "\x1b[0m\n") != NULL);
	free(s);
}

/* the strings of an array node, in order, joined by '|' */
static void
joined(const struct jnode *a, char *out, size_t sz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; a && a->t == J_ARR && i < a->n && n < sz; i++) {
		const struct jnode *e = &a->kids[i];
		const char *s = e->t == J_STR ? e->s : e->t == J_OBJ && jsonp_get(e, "path")
								 ? jsonp_get(e, "path")->s
								 : "?";

		n += (size_t)snprintf(out + n, sz - n, "%s%s", i ? "|" : "", s);
	}
}

static const char *
str_of(const struct jnode *o, const char *key)
{
	const struct jnode *v = o ? jsonp_get(o, key) : NULL;

	return v && (v->t == J_STR || v->t == J_NUM) ? v->s : NULL;
}

static void
test_json(void)
{
	struct buf b;
	struct json j;
	struct jnode *root = NULL;
	const struct jnode *in, *files, *counts, *added, *sk;
	char err[256], got[2048];
	size_t i;
	bool found_bytes = false, found_up = false;

	buf_init(&b, 1 << 24);
	json_init(&j, &b);
	report_json_tree(&j, tree, res, NULL);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	if (root == NULL) {
		printf("# %s\n", err);
		buf_free(&b);
		return;
	}
	T_EQ_STR(str_of(root, "path"), site);
	T_EQ_STR(str_of(root, "files"), "21");
	T_EQ_STR(str_of(root, "files_hashed"), "21");
	in = jsonp_get(root, "installations");
	T_OK(in && in->t == J_ARR && in->n == 1);
	in = in && in->n == 1 ? &in->kids[0] : NULL;
	T_EQ_STR(str_of(in, "root"), site);
	T_EQ_STR(str_of(in, "product"), "demo");
	T_EQ_STR(str_of(in, "kind"), "core");
	T_EQ_STR(str_of(in, "version"), "1.0");
	T_EQ_STR(str_of(in, "matched"), "4");
	T_EQ_STR(str_of(in, "release_files"), "6");
	T_OK(in && jsonp_get(in, "mixed") && jsonp_get(in, "mixed")->t == J_BOOL &&
	     !jsonp_get(in, "mixed")->b);
	T_OK(in && jsonp_get(in, "parent") && jsonp_get(in, "parent")->t == J_NULL);
	counts = in ? jsonp_get(in, "counts") : NULL;
	T_EQ_STR(str_of(counts, "ok"), "4");
	T_EQ_STR(str_of(counts, "modified"), "1");
	T_EQ_STR(str_of(counts, "missing"), "1");
	T_EQ_STR(str_of(counts, "added"), "16");
	files = in ? jsonp_get(in, "files") : NULL;
	/* each state's files in path order */
	joined(files ? jsonp_get(files, "ok") : NULL, got, sizeof(got));
	T_EQ_STR(got, "index.php|lib/a.php|lib/c.php|lib/core.php");
	joined(files ? jsonp_get(files, "modified") : NULL, got, sizeof(got));
	T_EQ_STR(got, "lib/b.php");
	joined(files ? jsonp_get(files, "missing") : NULL, got, sizeof(got));
	T_EQ_STR(got, "readme.txt");
	{
		const struct jnode *m = files ? jsonp_get(files, "modified") : NULL;
		const struct jnode *g = files ? jsonp_get(files, "missing") : NULL;
		uint8_t h[32];
		char hex[65];

		sha256_buf("<?php // changed\n", 17, h);
		hex_encode(h, 32, hex);
		T_EQ_STR(m && m->n ? str_of(&m->kids[0], "sha256") : NULL, hex);
		sha256_buf("<?php function b() { return 'b'; }\n", 35, h);
		hex_encode(h, 32, hex);
		T_EQ_STR(m && m->n ? str_of(&m->kids[0], "expected_sha256") : NULL, hex);
		T_OK(g && g->n == 1 && str_of(&g->kids[0], "sha256") == NULL &&
		     str_of(&g->kids[0], "expected_sha256") != NULL);
	}
	added = files ? jsonp_get(files, "added") : NULL;
	T_OK(added && added->n == 16);
	for (i = 0; added && i < added->n; i++) {
		const struct jnode *a = &added->kids[i];
		const char *p = str_of(a, "path");
		const struct jnode *code = jsonp_get(a, "code"), *upl = jsonp_get(a, "upload_dir");

		T_OK(i == 0 || strcmp(str_of(&added->kids[i - 1], "path"), p) < 0 ||
		     jsonp_get(a, "path_base64") || jsonp_get(&added->kids[i - 1], "path_base64"));
		if (p && strcmp(p, EVIL_UP) == 0) {
			/* the exact name, JSON-escaped: it parses back whole */
			found_up = true;
			T_OK(code && code->b && upl && upl->b);
			T_OK(jsonp_get(a, "path_base64") == NULL);
		} else if (jsonp_get(a, "path_base64")) {
			/* the name is not UTF-8: its bytes in base64 */
			found_bytes = true;
			T_EQ_STR(str_of(a, "path_base64"), "bGliL3j//i5waHA=");
			T_OK(code && code->b && upl && !upl->b);
		} else if (p && strcmp(p, "notes.txt") == 0) {
			T_OK(code && !code->b);
		}
	}
	T_OK(found_up && found_bytes);
	/* the raw bytes of the hostile names never reach the document */
	T_OK(memchr(b.data, '\x1b', b.len) == NULL && memchr(b.data, '\n', b.len) == NULL);
	T_OK(memchr(b.data, 0xff, b.len) == NULL);
	sk = jsonp_get(root, "skipped");
	T_OK(sk && sk->n == 1);
	if (sk && sk->n == 1) {
		T_EQ_STR(str_of(&sk->kids[0], "path"), "link");
		T_EQ_STR(str_of(&sk->kids[0], "kind"), "symlink");
		T_EQ_STR(str_of(&sk->kids[0], "target"), "/etc/passwd");
	}
	jsonp_free(root);
	buf_free(&b);
}

/* a tree of the mix product: four files of 1.0, three of 2.0, and a
 * version.php of neither that claims 9.9 */
static void
test_mixed_lie(void)
{
	char d[256], *s = NULL, err[256];
	size_t n = 0;
	struct scan_tree *t = NULL;
	struct ident_result *r = NULL;
	struct report_opts o = { 0 };
	struct buf b;
	struct json j;
	struct jnode *root = NULL;
	const struct jnode *in = NULL, *mx, *vc, *mod;
	FILE *f;

	snprintf(d, sizeof(d), "%s/mixlie", fx.dir);
	T_OK(fx_mix_install(d, fx_mix1, fx_mix2, 5) == 0);
	T_OK(fx_put_at(d, "version.php", "<?php $v = '9.9';\n") == 0);
	if (fx_scan(&fx, d, &t) < 0 || ident_run(fx.s, idx, t, &r) < 0) {
		T_CHECK(0, "scan of %s", d);
		scan_tree_free(t);
		return;
	}
	f = open_memstream(&s, &n);
	if (f) {
		report_text_tree(f, t, r, &o);
		fclose(f);
	}
	T_OK(s && strstr(s, "    identified   mix 1.0 (plugin), confidence 50.0% (4 of 8 release files)\n"));
	T_OK(s && strstr(s, "    MIXED        3 files are 2.0 content, 4 only 1.0\n"));
	T_OK(s && strstr(s, "    VERSION LIE  version.php claims 9.9, the hashes say 1.0\n"));
	T_OK(s && strstr(s, "    modified     m5.php (content of 2.0)\n"));
	T_OK(s && strstr(s, "    modified     version.php\n"));
	free(s);

	buf_init(&b, 1 << 20);
	json_init(&j, &b);
	report_json_tree(&j, t, r, NULL);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	if (root && jsonp_get(root, "installations") && jsonp_get(root, "installations")->n == 1)
		in = &jsonp_get(root, "installations")->kids[0];
	T_OK(in != NULL);
	mx = in ? jsonp_get(in, "mixed") : NULL;
	T_OK(mx && mx->t == J_OBJ);
	T_EQ_STR(str_of(mx, "with"), "2.0");
	T_EQ_STR(str_of(mx, "only_best"), "4");
	T_EQ_STR(str_of(mx, "only_other"), "3");
	vc = in ? jsonp_get(in, "version_file_claims") : NULL;
	T_EQ_STR(str_of(vc, "file"), "version.php");
	T_EQ_STR(str_of(vc, "claimed"), "9.9");
	T_EQ_STR(str_of(vc, "hashes_say"), "1.0");
	T_OK(vc && jsonp_get(vc, "agrees") && !jsonp_get(vc, "agrees")->b);
	mod = in && jsonp_get(in, "files") ? jsonp_get(jsonp_get(in, "files"), "modified") : NULL;
	T_OK(mod && mod->n == 4);
	if (mod && mod->n == 4) {
		/* m5, m6, m7 hold 2.0's content; version.php no release's */
		T_EQ_STR(str_of(&mod->kids[0], "path"), "m5.php");
		T_EQ_STR(str_of(&mod->kids[0], "known_in"), "2.0");
		T_EQ_STR(str_of(&mod->kids[3], "path"), "version.php");
		T_OK(str_of(&mod->kids[3], "known_in") == NULL);
	}
	jsonp_free(root);
	buf_free(&b);
	ident_result_free(r);
	scan_tree_free(t);
}

static void
test_no_index(void)
{
	struct buf b;
	struct json j;
	struct jnode *root = NULL;
	struct report_opts o = { 0 };
	char err[128], *s = NULL;
	size_t n = 0;
	FILE *f;

	/* a scan without the index: no installations, the same tree */
	buf_init(&b, 1 << 20);
	json_init(&j, &b);
	report_json_tree(&j, tree, NULL, NULL);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	T_OK(root && jsonp_get(root, "installations") && jsonp_get(root, "installations")->n == 0);
	jsonp_free(root);
	buf_free(&b);
	f = open_memstream(&s, &n);
	if (f) {
		report_text_tree(f, tree, NULL, &o);
		fclose(f);
	}
	T_OK(s && strstr(s, ", 0 installations\n") != NULL && strstr(s, "identified") == NULL);
	free(s);
}

/* more entries not hashed than the report remembers while it counts them
 * (65,536): every one listed under "skipped", in the tree's order */
static void
test_many_skipped(void)
{
	char d[512], p[600];
	struct scan_tree *t = NULL;
	struct buf b;
	struct json j;
	struct jnode *root = NULL;
	const struct jnode *sk;
	char err[128];
	size_t k, same = 0;
	int i, made = 0;

	snprintf(d, sizeof(d), "%s/skipped", fx.dir);
	T_OK(mkdir(d, 0755) == 0);
	for (i = 0; i < 65600; i++) {
		snprintf(p, sizeof(p), "%s/l%05d", d, i);
		made += symlink("/etc/passwd", p) == 0;
	}
	T_EQ_INT(made, 65600);
	T_OK(fx_put_at(d, "m.txt", "mine\n") == 0);
	snprintf(p, sizeof(p), "%s/zfifo", d);
	T_OK(mkfifo(p, 0600) == 0);
	if (fx_scan(&fx, d, &t) < 0)
		return;
	buf_init(&b, SIZE_MAX / 2);
	json_init(&j, &b);
	report_json_tree(&j, t, NULL, NULL);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	sk = root ? jsonp_get(root, "skipped") : NULL;
	T_OK(sk != NULL && sk->n == 65601);
	/* in the tree's order, each once */
	for (i = 0, k = 0; sk && i < (int)t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);
		const struct jnode *e;

		if (f->kind == SCAN_FILE && f->status == HASH_OK)
			continue;
		e = k < sk->n ? jsonp_get(&sk->kids[k], "path") : NULL;
		same += e && e->slen == f->pathlen && memcmp(e->s, f->path, f->pathlen) == 0;
		k++;
	}
	T_EQ_INT(k, 65601);
	T_EQ_INT(same, 65601);
	T_OK(b.data && strstr(b.data, "\"m.txt\"") == NULL);
	jsonp_free(root);
	buf_free(&b);
	scan_tree_free(t);
}

static void
test_inst_root(void)
{
	struct installation in;
	struct scan_tree t;
	char troot[] = "/srv/www/", iroot[] = "blog/wp", slash[] = "/";
	char *r;

	memset(&in, 0, sizeof(in));
	memset(&t, 0, sizeof(t));
	t.root = troot;
	r = report_inst_root(&t, &in);
	T_EQ_STR(r, "/srv/www");
	free(r);
	in.root = iroot;
	in.root_len = 4;
	r = report_inst_root(&t, &in);
	T_EQ_STR(r, "/srv/www/blog");
	free(r);
	/* a scan of the root directory */
	t.root = slash;
	r = report_inst_root(&t, &in);
	T_EQ_STR(r, "/blog");
	free(r);
	in.root_len = 0;
	r = report_inst_root(&t, &in);
	T_EQ_STR(r, "/");
	free(r);
}

int
main(void)
{
	if (fx_open(&fx, "report") < 0 || fx_fp_mix(&fx) < 0 || fx_index_demo(&fx) < 0 ||
	    fpindex_load(fx.s, &idx) < 0 || setup() < 0) {
		printf("not ok setup\n");
		return 1;
	}
	T_RUN(test_text);
	T_RUN(test_json);
	T_RUN(test_mixed_lie);
	T_RUN(test_no_index);
	T_RUN(test_inst_root);
	T_RUN(test_many_skipped);
	ident_result_free(res);
	scan_tree_free(tree);
	fpindex_free(idx);
	fx_close(&fx);
	T_DONE();
}
