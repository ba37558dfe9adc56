// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl analyse (ctlanalyse.c) over a scratch tree: findings of the PHP
 * analyser and of a rule file the test writes (--rules, or the node's from
 * the configuration), text and --json output, exit 0 clean, 1 findings, 2
 * errors; names with newlines and control bytes escaped (text) or kept
 * exactly (JSON); symlinks never followed (named: refused; inside: skipped);
 * the size cap; rules that do not compile; usage errors. And
 * ctl_analyse_scan_tree (wsidctl scan's analysis) over a scanned tree:
 * release files never analysed, PHP in an image found. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctlanalyse.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "json.h"
#include "jsonparse.h"
#include "scan.h"
#include "util.h"
#include "t.h"

static struct fx fx;
static char tree[160], rules[200], sock[100], odd[200];

#define ANALYSE(env, out, err, ...) fx_ctl(ctl_analyse, env, out, err, "analyse", __VA_ARGS__, NULL)

static void
test_findings(void)
{
	struct ctl_env env;
	char *out, *err, want[1024];
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", "--rules", rules, tree);
	T_EQ_INT(rc, 1);
	snprintf(want, sizeof(want),
		 /* a page of its own that runs a command from the request: also a
		  * command page (weak), the "1 more"; one that evals it: also a
		  * code runner (weak) */
		 "MALWARE     %s/odd\\nname\\x1b[1m.php  (exec-of-input, line 1; 1 more)\n"
		 "MALWARE     %s/shell.php  (exec-of-input, line 1; 1 more)\n"
		 "MALWARE     %s/sub/note.txt  (admin-marker, line 2)\n",
		 tree, tree, tree);
	T_EQ_STR(out, want);
	T_EQ_STR(err, "analysed 4 files: 3 malicious, 0 suspicious; 0 not analysed, 0 errors\n");
	free(out);
	free(err);

	/* without the rule file: the marker is no finding */
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", tree);
	T_EQ_INT(rc, 1);
	T_CHECK(strstr(out, "note.txt") == NULL && strstr(out, "shell.php") != NULL, "%s", out);
	free(out);
	free(err);

	/* a clean file: exit 0, --verbose says so */
	snprintf(want, sizeof(want), "%s/clean.php", tree);
	rc = ANALYSE(&env, &out, &err, "--verbose", "--no-default-rules", want);
	T_EQ_INT(rc, 0);
	snprintf(want, sizeof(want), "clean       %s/clean.php\n", tree);
	T_EQ_STR(out, want);
	T_EQ_STR(err, "analysed 1 files: 0 malicious, 0 suspicious; 0 not analysed, 0 errors\n");
	free(out);
	free(err);
}

/* options may follow the paths (a new getopt parse, after main's global one
 * stopped at the verb) */
static void
test_options_after_paths(void)
{
	struct ctl_env env;
	char *out, *err;
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", tree, "--json", "--rules", rules);
	T_EQ_INT(rc, 1);
	T_CHECK(out[0] == '{', "%s", out);
	T_CHECK(strstr(out, "admin-marker") != NULL, "%s", out); /* --rules, given after the path, was read */
	T_CHECK(strstr(err, "--json") == NULL, "%s", err);
	free(out);
	free(err);
}

static void
test_json(void)
{
	struct ctl_env env;
	char *out, *err, *line, *nl, name[256];
	int rc, n = 0;

	fx_ctl_env(&env, NULL, fx.db, sock);
	env.json = true; /* the global --json */
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", "--rules", rules, tree);
	T_EQ_INT(rc, 1);
	T_EQ_STR(err, ""); /* no summary with --json */
	for (line = out; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		struct jnode *o;
		const struct jnode *f;

		*nl = '\0';
		o = fx_json(line);
		T_OK(o != NULL);
		if (o == NULL)
			continue;
		f = jsonp_get(o, "findings");
		T_OK(f && f->t == J_ARR);
		T_CHECK(fx_jstr(o, "rules_version") && strlen(fx_jstr(o, "rules_version")) == 64, "%s", line);
		switch (n) {
		case 0:
			snprintf(name, sizeof(name), "%s/clean.php", tree);
			T_EQ_STR(fx_jstr(o, "path"), name);
			T_EQ_STR(fx_jstr(o, "verdict"), "clean");
			T_OK(f && f->n == 0);
			break;
		case 1:
			T_EQ_STR(fx_jstr(o, "path"), odd);
			T_EQ_STR(fx_jstr(o, "verdict"), "malicious");
			T_OK(f && f->n == 2 && t_streq(fx_jstr(&f->kids[0], "class"), "exec-of-input") &&
			     t_streq(fx_jstr(&f->kids[0], "line"), "1") &&
			     t_streq(fx_jstr(&f->kids[1], "class"), "command-page") &&
			     t_streq(fx_jstr(&f->kids[1], "confidence"), "weak"));
			break;
		case 3:
			snprintf(name, sizeof(name), "%s/sub/note.txt", tree);
			T_EQ_STR(fx_jstr(o, "path"), name);
			T_OK(f && f->n == 1 && t_streq(fx_jstr(&f->kids[0], "class"), "admin-marker") &&
			     t_streq(fx_jstr(&f->kids[0], "source"), "marker") &&
			     t_streq(fx_jstr(&f->kids[0], "line"), "2"));
			break;
		default:
			break;
		}
		jsonp_free(o);
		n++;
	}
	T_EQ_INT(n, 4);
	free(out);
	free(err);

	/* --json after the verb; the size cap: not analysed, with the reason */
	snprintf(name, sizeof(name), "%s/shell.php", tree);
	fx_ctl_env(&env, NULL, fx.db, sock);
	rc = ANALYSE(&env, &out, &err, "--json", "--max-size", "10", "--no-default-rules", name);
	T_EQ_INT(rc, 0);
	{
		struct jnode *o = fx_json(out);

		T_EQ_STR(fx_jstr(o, "path"), name);
		T_EQ_STR(fx_jstr(o, "verdict"), "not-analysed");
		T_EQ_STR(fx_jstr(o, "reason"), "larger than the size cap");
		jsonp_free(o);
	}
	free(out);
	free(err);
	rc = ANALYSE(&env, &out, &err, "--max-size", "10", "--no-default-rules", name);
	T_EQ_INT(rc, 0);
	snprintf(name, sizeof(name), "wsidctl: %s/shell.php: not analysed: larger than the size cap\n", tree);
	T_CHECK(strncmp(err, name, strlen(name)) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

static void
test_links_and_errors(void)
{
	struct ctl_env env;
	char *out, *err, want[512], p[256];
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	/* a symlink named: refused, exit 2 */
	snprintf(p, sizeof(p), "%s/link", tree);
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", p);
	T_EQ_INT(rc, 2);
	snprintf(want, sizeof(want), "wsidctl: %s: a symbolic link (not followed)\n", p);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);
	free(out);
	free(err);
	/* inside a directory: skipped, said with --verbose */
	rc = ANALYSE(&env, &out, &err, "--verbose", "--no-default-rules", tree);
	T_EQ_INT(rc, 1);
	snprintf(want, sizeof(want), "wsidctl: %s: skipped: not a regular file\n", p);
	T_CHECK(strstr(err, want) != NULL, "%s", err);
	T_CHECK(strstr(out, "passwd") == NULL, "%s", out);
	free(out);
	free(err);
	/* missing: an error, exit 2, the others still analysed */
	snprintf(p, sizeof(p), "%s/none.php", tree);
	snprintf(want, sizeof(want), "%s/shell.php", tree);
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", p, want);
	T_EQ_INT(rc, 2);
	T_CHECK(strstr(out, "shell.php") != NULL, "%s", out);
	snprintf(want, sizeof(want), "wsidctl: %s: No such file or directory\n", p);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);
	T_CHECK(strstr(err, "1 errors\n") != NULL, "%s", err);
	free(out);
	free(err);
	/* rules that do not compile: nothing analysed */
	fx_put(fx_path(&fx, "broken.yar"), "rule broken { strings: $a = \"x\" condition: $a and }\n");
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", "--rules", fx_path(&fx, "broken.yar"), tree);
	T_EQ_INT(rc, 2);
	T_CHECK(strncmp(err, "wsidctl: analyse: rules: ", 25) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

static void
test_usage(void)
{
	struct ctl_env env;
	char *out, *err;
	int rc, i;
	static const char *const sizes[] = { "0", "abc", "", "1073741825", "-1", "10k" };

	fx_ctl_env(&env, NULL, fx.db, sock);
	rc = fx_ctl(ctl_analyse, &env, &out, &err, "analyse", NULL);
	T_EQ_INT(rc, 2);
	T_CHECK(strncmp(err, "usage: wsidctl [--config PATH] [--db PATH] analyse ", 51) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	rc = ANALYSE(&env, &out, &err, "--help");
	T_EQ_INT(rc, 0);
	T_CHECK(strncmp(out, "usage: wsidctl [--config PATH] [--db PATH] analyse ", 51) == 0, "%s", out);
	free(out);
	free(err);
	rc = ANALYSE(&env, &out, &err, "--bogus", tree);
	T_EQ_INT(rc, 2);
	T_CHECK(strstr(err, "usage: wsidctl") != NULL, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	for (i = 0; i < (int)ARRAY_SIZE(sizes); i++) {
		char want[128];

		rc = ANALYSE(&env, &out, &err, "--max-size", sizes[i], tree);
		T_EQ_INT(rc, 2);
		snprintf(want, sizeof(want), "wsidctl: analyse: --max-size: '%s' is no size in bytes (1..1 GiB)\n",
			 sizes[i]);
		T_EQ_STR(err, want);
		T_EQ_STR(out, "");
		free(out);
		free(err);
	}
	rc = ANALYSE(&env, &out, &err, "--max-size", "1\n\x1b", tree);
	T_EQ_INT(rc, 2);
	T_EQ_STR(err, "wsidctl: analyse: --max-size: '1\\n\\x1b' is no size in bytes (1..1 GiB)\n");
	free(out);
	free(err);
	/* more than 64 --rules */
	{
		char *argv[140], verb[] = "analyse", opt[] = "--rules";
		int n = 0;

		argv[n++] = verb;
		for (i = 0; i < 65; i++) {
			argv[n++] = opt;
			argv[n++] = rules;
		}
		argv[n++] = tree;
		argv[n] = NULL;
		rc = fx_ctl_argv(ctl_analyse, &env, n, argv, &out, &err);
		T_EQ_INT(rc, 2);
		T_EQ_STR(err, "wsidctl: analyse: at most 64 --rules\n");
		T_EQ_STR(out, "");
		free(out);
		free(err);
	}
}

/* the node's rules: the configuration's analysis.rules, or none installed */
static void
test_node_rules(void)
{
	struct ctl_env env;
	struct config *c = NULL;
	char *out, *err, y[512], e[256];
	int rc;

	snprintf(y, sizeof(y), "database: %s\nanalysis:\n  rules: [%s]\n", fx.db, rules);
	T_CHECK(config_load_string(y, strlen(y), "t.yaml", &c, e, sizeof(e)) == 0, "%s", e);
	fx_ctl_env(&env, c, fx.db, sock);
	rc = ANALYSE(&env, &out, &err, tree);
	T_EQ_INT(rc, 1);
	T_CHECK(strstr(out, "(admin-marker, line 2)") != NULL, "%s", out);
	free(out);
	free(err);
	/* --no-default-rules: the configuration's are left out */
	rc = ANALYSE(&env, &out, &err, "--no-default-rules", tree);
	T_CHECK(strstr(out, "admin-marker") == NULL, "%s", out);
	free(out);
	free(err);
	config_free(c);

	/* a rule file named by the configuration that is not there */
	c = NULL;
	snprintf(y, sizeof(y), "database: %s\nanalysis:\n  rules: [%s/none.yar]\n", fx.db, fx.dir);
	T_CHECK(config_load_string(y, strlen(y), "t.yaml", &c, e, sizeof(e)) == 0, "%s", e);
	fx_ctl_env(&env, c, fx.db, sock);
	rc = ANALYSE(&env, &out, &err, tree);
	T_EQ_INT(rc, 1);
	T_CHECK(strstr(err, ": the PHP analyser alone\n") != NULL, "%s", err);
	T_CHECK(strstr(out, "shell.php") != NULL && strstr(out, "admin-marker") == NULL, "%s", out);
	free(out);
	free(err);
	config_free(c);
}

/* a verb around wsidctl scan's analysis: argv[1] the root of a scan, a
 * second argument for JSON; in_walk: analysed on the hashing workers
 * (ctl_scan_analysis_*), else by the pass after the walk
 * (ctl_analyse_scan_tree). The tree in breadth-first order either way. */
static int
scan_run(int argc, char **argv, const struct ctl_env *env, bool in_walk)
{
	struct scan_opts so;
	struct scan_tree *t = NULL;
	struct ctl_scan_analysis *sa = NULL;
	unsigned found = 0;
	char e[256];
	struct buf b;
	struct json j, *jp = NULL;
	int r;

	if (argc < 2)
		return EXIT_USAGE;
	memset(&so, 0, sizeof(so));
	so.dbpath = fx.db;
	so.jobs = in_walk ? 2 : 1;
	if (in_walk && ctl_scan_analysis_new(env, &so, &sa) < 0)
		return EXIT_ERROR;
	if (scan_tree_run(argv[1], &so, &t, e, sizeof(e)) < 0) {
		fprintf(stderr, "scan: %s\n", e);
		ctl_scan_analysis_free(sa);
		return EXIT_ERROR;
	}
	if (argc > 2) {
		buf_init(&b, 0);
		json_init(&j, &b);
		json_arr_begin(&j);
		jp = &j;
	}
	if (in_walk)
		r = ctl_scan_analysis_report(sa, t, jp, &found);
	else
		r = ctl_analyse_scan_tree(t, env, jp, &found);
	if (jp) {
		json_arr_end(&j);
		printf("%s\n", b.data);
		buf_free(&b);
	}
	printf("found %u\n", found);
	ctl_scan_analysis_free(sa);
	scan_tree_free(t);
	return r < 0 ? EXIT_ERROR : 0;
}

static int
scan_verb(int argc, char **argv, const struct ctl_env *env)
{
	return scan_run(argc, argv, env, false);
}

static int
scan_verb_inwalk(int argc, char **argv, const struct ctl_env *env)
{
	return scan_run(argc, argv, env, true);
}

/* the node's rules from a configuration (the same whatever is installed) and
 * a site of the demo release under fx.dir/name with code of no release
 * beside it: a shell, PHP hidden in an image, an image that is only one */
static void
shell_site(const char *name, struct config **c, char *site, size_t sz)
{
	char y[512], e[256];

	snprintf(y, sizeof(y), "database: %s\nanalysis:\n  rules: [%s]\n", fx.db, rules);
	T_CHECK(config_load_string(y, strlen(y), "t.yaml", c, e, sizeof(e)) == 0, "%s", e);
	snprintf(site, sz, "%s/%s", fx.dir, name);
	T_EQ_INT(fx_demo_install(site, 2), 0);
	fx_put_at(site, "up/a.php", "<?php @eval($_POST['x']); ?>\n");
	fx_put_at(site, "up/pic.jpg", "\xff\xd8\xff\xe0<?php system($_GET['c']); ?>");
	fx_put_at(site, "up/real.jpg", "\xff\xd8\xff\xe0 a picture, nothing else");
}

/* The analysis on the hashing workers says what the pass after the walk
 * says, byte for byte, text and JSON: code of no release by name and by its
 * head, PHP in an image (also a large one, read again), an image that is
 * only an image, a file over the size cap, release files left alone. */
static void
test_scan_in_walk_same(void)
{
	struct ctl_env env;
	struct config *c = NULL;
	char *out[2], *err[2], site[200], big[256];
	int rc[2], k;
	FILE *f;

	shell_site("site2", &c, site, sizeof(site));
	fx_put_at(site, "up/clean.php", "<?php echo 'hello';\n");
	fx_put_at(site, "bin/tool", "#!/bin/sh\nrm -rf \"$1\"\n");
	fx_put_at(site, "lib/x.txt", "<?php eval(base64_decode($_COOKIE['k']));");
	fx_put_at(site, "XYZ.inc", "XYZZY-MARK\n");
	/* over the size cap (16 MiB): not analysed, said */
	snprintf(big, sizeof(big), "%s/huge.php", site);
	f = fopen(big, "w");
	T_OK(f != NULL);
	if (f) {
		/* written, not a file of holes (not hashed at all) */
		fputs("<?php\n", f);
		for (k = 0; k < (17 << 20) / 64; k++)
			fputs("// ............................................................\n", f);
		fclose(f);
	}
	fx_ctl_env(&env, c, fx.db, sock);
	for (k = 0; k < 2; k++) {
		rc[0] = fx_ctl(scan_verb, &env, &out[0], &err[0], "scan", site, k ? "json" : NULL, NULL);
		rc[1] = fx_ctl(scan_verb_inwalk, &env, &out[1], &err[1], "scan", site, k ? "json" : NULL, NULL);
		T_EQ_INT(rc[0], 0);
		T_EQ_INT(rc[1], 0);
		T_EQ_STR(out[1], out[0]);
		T_EQ_STR(err[1], err[0]);
		T_CHECK(strstr(out[0], "found 4\n") != NULL && strstr(out[0], "real.jpg") == NULL &&
				strstr(out[0], "clean.php") == NULL,
			"%s", out[0]);
		if (k == 0)
			T_CHECK(strstr(err[0], "huge.php: not analysed: larger than the size cap") != NULL,
				"%s", err[0]);
		free(out[0]);
		free(out[1]);
		free(err[0]);
		free(err[1]);
	}
	config_free(c);
}

static void
test_scan_tree(void)
{
	struct ctl_env env;
	struct config *c = NULL;
	char *out, *err, site[200];
	int rc;

	/* release files are never analysed, even one that would be a finding:
	 * here a file of no release, a shell, and PHP hidden in an image */
	shell_site("site", &c, site, sizeof(site));
	fx_ctl_env(&env, c, fx.db, sock);
	rc = fx_ctl(scan_verb, &env, &out, &err, "scan", site, NULL);
	T_CHECK(rc == 0, "%s", err);
	T_CHECK(strstr(out, "/up/a.php  (exec-of-input") != NULL && strstr(out, "/up/pic.jpg  (") != NULL &&
			strstr(out, "real.jpg") == NULL && strstr(out, "index.php") == NULL &&
			strstr(out, "\nfound 2\n") != NULL,
		"%s", out);
	T_CHECK(strstr(err, "analysed 2 files that are no release: 2 malicious") != NULL, "%s", err);
	free(out);
	free(err);
	rc = fx_ctl(scan_verb, &env, &out, &err, "scan", site, "json", NULL);
	T_EQ_INT(rc, 0);
	{
		char *nl = strchr(out, '\n');
		struct jnode *o;

		if (nl)
			*nl = '\0';
		o = fx_json(out);
		T_OK(o && o->t == J_ARR && o->n == 2);
		if (o && o->n == 2) {
			T_EQ_STR(fx_jstr(&o->kids[0], "verdict"), "malicious");
			T_EQ_STR(fx_jstr(&o->kids[1], "verdict"), "malicious");
		}
		jsonp_free(o);
		T_CHECK(nl && strcmp(nl + 1, "found 2\n") == 0, "%s", nl ? nl + 1 : "");
	}
	T_EQ_STR(err, "");
	free(out);
	free(err);
	config_free(c);
}

int
main(void)
{
	if (fx_open(&fx, "ctlanalyse") < 0 || fx_index_demo(&fx) < 0)
		return 1;
	snprintf(tree, sizeof(tree), "%s/w", fx.dir);
	snprintf(rules, sizeof(rules), "%s/r/*.yar", fx.dir);
	snprintf(sock, sizeof(sock), "%s/control", fx.dir);
	snprintf(odd, sizeof(odd), "%s/odd\nname\x1b[1m.php", tree);
	if (fx_put_at(tree, "shell.php", "<?php @eval($_POST['x']); ?>\n") < 0 ||
	    fx_put_at(tree, "clean.php", "<?php echo 'hi';\n") < 0 ||
	    fx_put_at(tree, "sub/note.txt", "hello\nXYZZY-MARK\n") < 0 ||
	    fx_put(odd, "<?php system($_GET[\"c\"]);") < 0 || symlink("/etc/passwd", fx_path(&fx, "w/link")) < 0 ||
	    fx_put_at(fx.dir, "r/marker.yar",
		      "rule marker { meta: severity = \"high\" class = \"admin-marker\" strings: $m = "
		      "\"XYZZY-MARK\" condition: $m }\n") < 0) {
		printf("the tree: %s\n", strerror(errno));
		return 1;
	}
	T_RUN(test_findings);
	T_RUN(test_json);
	T_RUN(test_links_and_errors);
	T_RUN(test_usage);
	T_RUN(test_options_after_paths);
	T_RUN(test_node_rules);
	T_RUN(test_scan_tree);
	T_RUN(test_scan_in_walk_same);
	fx_close(&fx);
	T_DONE();
}
