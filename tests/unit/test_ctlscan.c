// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl scan (ctlscan.c), driven in-process over a tree the test writes
 * and the demo product's index in a scratch database: the installation
 * found with its version and file counts, in text and --json; the code no
 * release holds analysed (findings lines "MALWARE  path  (finding, line N)",
 * the "analysis" array); a name with a newline escaped; a symbolic link
 * listed, never followed; --no-index without a database; the exit codes
 * (0 with findings, 2 usage, 3 a path or database that cannot be read). No
 * daemon is up: the tree is always walked. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "jsonparse.h"
#include "t.h"

static struct fx f;
static struct ctl_env env;
static char sock[256], site[256];

/* the scratch database again (fx_ctl_env holds one env at a time) */
static void
use_main_env(void)
{
	fx_ctl_env_db(&env, f.db, sock);
	env.verb = ctl_verb_find("scan");
}

static const char shell[] = "<?php\n$x = 1;\nsystem($_GET['c']);\n";

/* the whole of stdout as one JSON document (jsonp_free) */
static struct jnode *
doc_of(const char *out)
{
	struct jnode *j = NULL;
	char err[256];

	if (out == NULL || jsonp_parse(out, strlen(out), &j, err, sizeof(err)) < 0) {
		printf("scan --json: %s\n", out ? err : "no output");
		return NULL;
	}
	return j;
}

static const struct jnode *
at(const struct jnode *arr, size_t i)
{
	return arr && arr->t == J_ARR && i < arr->n ? &arr->kids[i] : NULL;
}

static void
make_tree(void)
{
	snprintf(site, sizeof(site), "%s", fx_path(&f, "www/site"));
	T_OK(fx_demo_install(site, 2) == 0);
	/* an edited release file; a shell in the upload dir; one under a name
	 * that would forge a line */
	T_OK(fx_put_at(site, "lib/a.php", "<?php function a() { return 'edited'; }\n") == 0);
	T_OK(fx_put_at(site, "up/2024/shell.php", shell) == 0);
	T_OK(fx_put_at(site, "up/a\nMALWARE  /fake.php", shell) == 0);
	T_OK(fx_put_at(site, "up/notes.txt", "plain text\n") == 0);
	T_OK(symlink("/etc/shadow", fx_path(&f, "www/site/up/passwords.txt")) == 0);
}

static void
test_text(void)
{
	char want[1024];
	struct fx_run r;

	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--jobs", "2", site, NULL), 0);
	T_CHECK(fx_has(r.out, "1 installation\n"), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "demo 2.0 (core)"), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "ok 5, modified 1, missing 0, added 3"), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "modified") && fx_has(r.out, "lib/a.php"), "out: %s", r.out);
	/* the findings: one line per file, names escaped */
	snprintf(want, sizeof(want), "MALWARE     %s/up/2024/shell.php  (", site);
	T_CHECK(fx_has(r.out, want), "out: %s", r.out);
	/* exec-of-input, and the page as a whole a command page (weak) */
	T_CHECK(fx_has(r.out, "(exec-of-input, line 3; 1 more)\n"), "out: %s", r.out);
	snprintf(want, sizeof(want), "MALWARE     %s/up/a\\nMALWARE  /fake.php  (", site);
	T_CHECK(fx_has(r.out, want), "out: %s", r.out);
	T_EQ_INT(fx_count_lines(r.out, "MALWARE     /"), 2);
	/* the finding and the upload code line, no forged line */
	T_EQ_INT(fx_count_lines(r.out, "fake.php"), 2);
	T_OK(!fx_has(r.out, "\nMALWARE  /fake.php"));
	T_OK(!fx_has(r.out, "notes.txt  ("));
	T_CHECK(fx_has(r.out, "1 symlinks (not followed)"), "out: %s", r.out);
	T_CHECK(fx_has(r.err, "analysed 3 files that are no release: 2 malicious, 0 suspicious"),
		"stderr: %s", r.err);
	fx_run_free(&r);
}

static void
test_json(void)
{
	const struct jnode *sc, *in, *an, *sk, *v;
	struct fx_run r;
	struct jnode *d;
	char want[512];
	size_t i;

	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--json", site, NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	d = doc_of(r.out);
	T_EQ_STR(fx_jstr(d, "schema"), "1");
	T_EQ_STR(fx_jstr(d, "database"), f.db);
	sc = at(d ? jsonp_get(d, "scanned") : NULL, 0);
	T_EQ_STR(fx_jstr(sc, "path"), site);
	in = at(sc ? jsonp_get(sc, "installations") : NULL, 0);
	T_EQ_STR(fx_jstr(in, "product"), "demo");
	T_EQ_STR(fx_jstr(in, "version"), "2.0");
	T_EQ_STR(fx_jstr(in, "root"), site);
	v = in ? jsonp_get(in, "counts") : NULL;
	T_EQ_STR(fx_jstr(v, "ok"), "5");
	T_EQ_STR(fx_jstr(v, "modified"), "1");
	T_EQ_STR(fx_jstr(v, "added"), "3");
	sk = at(sc ? jsonp_get(sc, "skipped") : NULL, 0);
	T_EQ_STR(fx_jstr(sk, "kind"), "symlink");
	T_EQ_STR(fx_jstr(sk, "target"), "/etc/shadow");
	an = d ? jsonp_get(d, "analysis") : NULL;
	T_OK(an && an->t == J_ARR && an->n == 2);
	for (i = 0; an && i < an->n; i++) {
		T_EQ_STR(fx_jstr(&an->kids[i], "verdict"), "malicious");
		T_OK(jsonp_get(&an->kids[i], "findings") != NULL);
	}
	snprintf(want, sizeof(want), "%s/up/a\nMALWARE  /fake.php", site);
	T_CHECK(t_streq(fx_jstr(at(an, 0), "path"), want) || t_streq(fx_jstr(at(an, 1), "path"), want),
		"analysis without %s", want);
	snprintf(want, sizeof(want), "%s/up/2024/shell.php", site);
	T_CHECK(t_streq(fx_jstr(at(an, 0), "path"), want) || t_streq(fx_jstr(at(an, 1), "path"), want),
		"analysis without %s", want);
	jsonp_free(d);
	T_CHECK(!fx_has(r.err, "analysed"), "stderr: %s", r.err);
	fx_run_free(&r);

	/* two paths: two entries in scanned, one document */
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--json", site, fx_path(&f, "www/site/lib"), NULL), 0);
	d = doc_of(r.out);
	v = d ? jsonp_get(d, "scanned") : NULL;
	T_OK(v && v->n == 2);
	jsonp_free(d);
	fx_run_free(&r);
}

/* --no-index: no database is opened, nothing identified, the code analysed */
static void
test_no_index(void)
{
	struct ctl_env e;
	struct fx_run r;
	struct jnode *d;
	const struct jnode *sc, *an;

	fx_ctl_env_bad(&e, &f, sock, false);
	e.verb = ctl_verb_find("scan");
	T_EQ_INT(fx_ctl_run(ctl_scan, &e, &r, "scan", "--no-index", "--json", site, NULL), 0);
	d = doc_of(r.out);
	T_OK(d && jsonp_get(d, "database") && jsonp_get(d, "database")->t == J_NULL);
	sc = at(d ? jsonp_get(d, "scanned") : NULL, 0);
	T_OK(sc && jsonp_get(sc, "installations") && jsonp_get(sc, "installations")->n == 0);
	an = d ? jsonp_get(d, "analysis") : NULL;
	/* without the index every PHP file is code no release holds */
	T_OK(an && an->n >= 2);
	jsonp_free(d);
	fx_run_free(&r);
	T_OK(access(fx_path(&f, "none"), F_OK) != 0);
	use_main_env();
}

/* options after the paths, as wsidctl runs the verb: its main has parsed
 * the global options with getopt first ("+": they stop at the verb) */
static void
test_options_after_paths(void)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	char prog[] = "wsidctl", verb[] = "scan", *argv[] = { prog, verb, NULL };
	struct fx_run r;
	struct jnode *d;

	optind = 0;
	T_EQ_INT(getopt_long(2, argv, "+hvj", none, NULL), -1);
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", site, "--json", NULL), 0);
	d = doc_of(r.out);
	T_EQ_STR(fx_jstr(d, "schema"), "1");
	jsonp_free(d);
	T_CHECK(!fx_has(r.err, "--json"), "stderr: %s", r.err);
	fx_run_free(&r);
}

static void
test_errors(void)
{
	struct ctl_env e;
	struct fx_run r;

	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl [--db PATH] [--config PATH] scan "), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--jobs", "65", site, NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "--jobs takes 0..64"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--jobs", "2x", site, NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--max-size", "lots", site, NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "--max-size takes bytes"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", "--bogus", site, NULL), EXIT_USAGE);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);

	/* a path that is not there, with a newline in it: exit 3, named
	 * escaped; the other paths are still scanned */
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", fx_path(&f, "no\nsuch"), site, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "wsidctl: scan: ") && fx_has(r.err, "no\\nsuch"), "stderr: %s", r.err);
	T_CHECK(fx_has(r.out, "demo 2.0 (core)"), "out: %s", r.out);
	fx_run_free(&r);
	/* a symbolic link named as the path: not followed */
	T_EQ_INT(fx_ctl_run(ctl_scan, &env, &r, "scan", fx_path(&f, "www/site/up/passwords.txt"), NULL),
		 EXIT_ERROR);
	T_CHECK(fx_has(r.err, "passwords.txt"), "stderr: %s", r.err);
	T_OK(!fx_has(r.out, "root:"));
	fx_run_free(&r);

	/* no database, a damaged one: exit 3 before anything is walked */
	fx_ctl_env_bad(&e, &f, sock, false);
	e.verb = ctl_verb_find("scan");
	T_EQ_INT(fx_ctl_run(ctl_scan, &e, &r, "scan", site, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	fx_ctl_env_bad(&e, &f, sock, true);
	e.verb = ctl_verb_find("scan");
	T_EQ_INT(fx_ctl_run(ctl_scan, &e, &r, "scan", "--json", site, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "junk.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	use_main_env();
}

int
main(void)
{
	if (fx_open(&f, "ctlscan") < 0 || fx_index_demo(&f) < 0)
		return 1;
	snprintf(sock, sizeof(sock), "%s", fx_path(&f, "control"));
	use_main_env();
	make_tree();
	T_RUN(test_text);
	T_RUN(test_json);
	T_RUN(test_no_index);
	T_RUN(test_options_after_paths);
	T_RUN(test_errors);
	fx_close(&f);
	T_DONE();
}
