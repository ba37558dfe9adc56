// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index (ctlindex.c): the dispatch of its actions (usage, --help,
 * an unknown action named escaped), build (--from, again unchanged, --json
 * figures, the daemon told when sets changed, no fingerprint directory, a
 * stray argument), stats (text and --json per product, a database missing
 * or damaged) and ingest (a release directory into a set and the index,
 * --json, its usage and hostile product names and versions refused). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "jsonparse.h"
#include "util.h"
#include "t.h"

static struct fx fx;  /* its fp/ holds the demo sets */
static char db[128];  /* a database of the test's own, built by the verbs */
static char sock[100];

static int
index_run(const struct ctl_env *env, char **out, char **err, const char *a1, const char *a2,
	  const char *a3, const char *a4, const char *a5)
{
	return fx_ctl(ctl_index, env, out, err, "index", a1, a2, a3, a4, a5, NULL);
}

static void
test_dispatch(void)
{
	struct ctl_env env;
	char *out, *err;
	int rc;

	fx_ctl_env(&env, NULL, db, sock);
	env.verb = ctl_verb_find("index");
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strncmp(err, "usage: wsidctl index build ", 27) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "--help", NULL);
	T_EQ_INT(rc, 0);
	T_CHECK(strncmp(out, "usage: wsidctl index build ", 27) == 0, "%s", out);
	T_CHECK(strstr(out, "\n       wsidctl index stats\n") != NULL, "%s", out);
	T_EQ_STR(err, "");
	free(out);
	free(err);
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "bu\nild\x1b", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strncmp(err, "wsidctl index: unknown action 'bu\\nild\\x1b' (build, ", 51) == 0, "%s", err);
	free(out);
	free(err);
	/* nothing was made by any of them */
	T_OK(access(db, F_OK) != 0);
}

static void
test_build(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, fp[256], want[512];
	struct config *c = NULL;
	char cerr[256], ytext[1024];
	int rc;

	snprintf(fp, sizeof(fp), "%s/fp", fx.dir);
	fx_ctl_env(&env, NULL, db, sock);
	env.json = true;
	rc = index_run(&env, &out, &err, "build", "--from", fp, NULL, NULL);
	T_CHECK(rc == 0, "%s", err);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "database"), db);
	T_EQ_STR(fx_jstr(o, "products"), "1");
	T_EQ_STR(fx_jstr(o, "sets"), "2");
	T_EQ_STR(fx_jstr(o, "indexed"), "2");
	T_EQ_STR(fx_jstr(o, "unchanged"), "0");
	T_EQ_STR(fx_jstr(o, "removed"), "0");
	T_EQ_STR(fx_jstr(o, "lines"), "12");
	T_OK(fx_jstr(o, "seconds") != NULL);
	jsonp_free(o);
	T_EQ_STR(err, ""); /* no daemon at the socket: nothing said */
	free(out);
	free(err);

	/* again, in text, with the daemon listening: unchanged, nobody told */
	env.json = false;
	{
		struct fx_daemon d;

		if (fx_daemon_start(&d, sock, "{\"ok\":true}\n") == 0) {
			rc = index_run(&env, &out, &err, "build", "--from", fp, NULL, NULL);
			T_EQ_INT(rc, 0);
			snprintf(want, sizeof(want), "index %s: 1 products, 2 sets (0 indexed, 2 unchanged, "
				 "0 removed), 0 lines in ", db);
			T_CHECK(strncmp(out, want, strlen(want)) == 0, "%s", out);
			T_EQ_STR(err, "");
			free(out);
			free(err);
			/* forced: indexed again, and the daemon asked to reload the index */
			rc = index_run(&env, &out, &err, "build", "--from", fp, "--force", NULL);
			T_EQ_INT(rc, 0);
			T_EQ_STR(fx_daemon_done(&d), "index-changed\n");
			T_CHECK(strstr(out, "(2 indexed, 0 unchanged, 0 removed)") != NULL, "%s", out);
			T_EQ_STR(err, "wsid: index reloaded, webspaces are identified again\n");
			free(out);
			free(err);
		} else {
			T_CHECK(0, "%s", "fake daemon");
		}
	}
	/* a daemon that refuses is named */
	{
		struct fx_daemon d;

		if (fx_daemon_start(&d, sock, "{\"ok\":false,\"error\":\"busy\"}\n") == 0) {
			rc = index_run(&env, &out, &err, "build", "--from", fp, "--force", NULL);
			T_EQ_INT(rc, 0);
			fx_daemon_done(&d);
			snprintf(want, sizeof(want), "wsid at %s did not reload the index: "
				 "{\"ok\":false,\"error\":\"busy\"}\n", sock);
			T_EQ_STR(err, want);
			free(out);
			free(err);
		}
	}

	/* a stray argument, an unknown option: nothing built */
	rc = index_run(&env, &out, &err, "build", "--from", fp, "extra\n", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl index build: unexpected argument 'extra\\n'\n");
	free(out);
	free(err);
	rc = index_run(&env, &out, &err, "build", "--frm", fp, NULL, NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strstr(err, "usage: wsidctl index build [--from DIR]...") != NULL, "%s", err);
	free(out);
	free(err);

	/* no --from: the configuration's fingerprints:, none there */
	snprintf(ytext, sizeof(ytext), "database: %s\nfingerprints: [%s/nofp]\n", db, fx.dir);
	T_CHECK(config_load_string(ytext, strlen(ytext), "t.yaml", &c, cerr, sizeof(cerr)) == 0, "%s", cerr);
	fx_ctl_env(&env, c, db, sock);
	rc = index_run(&env, &out, &err, "build", NULL, NULL, NULL, NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	snprintf(want, sizeof(want), "wsidctl index build: no fingerprint directory found; looked in "
		 "%s/nofp (the fingerprints: of the configuration)\n", fx.dir);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);
	free(out);
	free(err);
	config_free(c);
	/* the configuration's fingerprints: that exist are built */
	snprintf(ytext, sizeof(ytext), "database: %s\nfingerprints: [%s/nofp, %s]\n", db, fx.dir, fp);
	c = NULL;
	T_CHECK(config_load_string(ytext, strlen(ytext), "t.yaml", &c, cerr, sizeof(cerr)) == 0, "%s", cerr);
	fx_ctl_env(&env, c, db, sock);
	rc = index_run(&env, &out, &err, "build", NULL, NULL, NULL, NULL);
	T_EQ_INT(rc, 0);
	T_CHECK(strstr(out, ": 1 products, 2 sets (0 indexed, 2 unchanged") != NULL, "%s", out);
	free(out);
	free(err);
	config_free(c);

	/* a database that cannot be made */
	fx_ctl_env(&env, NULL, "/nonexistent/dir/wsid.db", sock);
	rc = index_run(&env, &out, &err, "build", "--from", fp, NULL, NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: ", 9) == 0 && strstr(err, "/nonexistent/dir/wsid.db"), "%s", err);
	free(out);
	free(err);
}

static void
test_stats(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, want[512];
	int rc;

	fx_ctl_env(&env, NULL, db, sock);
	env.json = true;
	rc = index_run(&env, &out, &err, "stats", NULL, NULL, NULL, NULL);
	T_EQ_INT(rc, 0);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "database"), db);
	T_EQ_STR(fx_jstr(o, "products"), "1");
	T_EQ_STR(fx_jstr(o, "versions"), "2");
	T_EQ_STR(fx_jstr(o, "files"), "12");
	/* index.php and four more are alike in both: 7 distinct contents, 6 paths */
	T_EQ_STR(fx_jstr(o, "distinct_hashes"), "7");
	T_EQ_STR(fx_jstr(o, "distinct_paths"), "6");
	{
		const struct jnode *bp = o ? jsonp_get(o, "by_product") : NULL;

		T_OK(bp && bp->t == J_ARR && bp->n == 1);
		if (bp && bp->n == 1) {
			T_EQ_STR(fx_jstr(&bp->kids[0], "product"), "demo");
			T_EQ_STR(fx_jstr(&bp->kids[0], "kind"), "core");
			T_EQ_STR(fx_jstr(&bp->kids[0], "oldest"), "1.0");
			T_EQ_STR(fx_jstr(&bp->kids[0], "latest"), "2.0");
		}
	}
	jsonp_free(o);
	free(out);
	free(err);

	env.json = false;
	rc = index_run(&env, &out, &err, "stats", NULL, NULL, NULL, NULL);
	T_EQ_INT(rc, 0);
	snprintf(want, sizeof(want), "database        %s (", db);
	T_CHECK(strncmp(out, want, strlen(want)) == 0, "%s", out);
	T_CHECK(strstr(out, "\nproducts        1\nversions        2\nfiles           12 (in all versions)\n"),
		"%s", out);
	T_CHECK(strstr(out, "\ndemo                     core            2  1.0          2.0         \n"),
		"%s", out);
	free(out);
	free(err);

	rc = index_run(&env, &out, &err, "stats", "--json", NULL, NULL, NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "usage: wsidctl index stats\n");
	free(out);
	free(err);

	/* missing, and not a database */
	fx_ctl_env(&env, NULL, fx_path(&fx, "none.db"), sock);
	rc = index_run(&env, &out, &err, "stats", NULL, NULL, NULL, NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: ", 9) == 0 && strstr(err, "none.db") != NULL, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	fx_put(fx_path(&fx, "junk.db"), "SQLite format 3? no, just text that pretends\n");
	fx_ctl_env(&env, NULL, fx_path(&fx, "junk.db"), sock);
	rc = index_run(&env, &out, &err, "stats", NULL, NULL, NULL, NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: ", 9) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

static void
test_ingest(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, src[256], outdir[256], want[512], *set = NULL;
	size_t n;
	int rc;

	snprintf(src, sizeof(src), "%s/src/demo-3.0", fx.dir);
	snprintf(outdir, sizeof(outdir), "%s/local", fx.dir);
	/* a release directory */
	T_EQ_INT(fx_demo_install(fx_path(&fx, "src/demo-3.0"), 2), 0);
	fx_ctl_env(&env, NULL, db, sock);
	env.json = true;
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", "demo", "--version", "3.0",
		    "--out", outdir, "--no-store", src, NULL);
	T_CHECK(rc == 0, "%s", err);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "product"), "demo");
	T_EQ_STR(fx_jstr(o, "version"), "3.0");
	T_EQ_STR(fx_jstr(o, "kind"), "core");
	T_EQ_STR(fx_jstr(o, "files"), "6");
	T_OK(o && jsonp_get(o, "stripped") && jsonp_get(o, "stripped")->t == J_NULL);
	snprintf(want, sizeof(want), "%s/demo/3.0.sha256", outdir);
	T_CHECK(fx_jstr(o, "set") && strncmp(fx_jstr(o, "set"), want, strlen(want)) == 0, "%s", out);
	if (fx_jstr(o, "set"))
		set = t_slurp(fx_jstr(o, "set"), &n);
	T_CHECK(set && strstr(set, "  index.php\n") && strstr(set, "  lib/core.php\n"), "set: %s", set);
	free(set);
	jsonp_free(o);
	free(out);
	free(err);
	/* the index holds it: stats says three versions */
	rc = index_run(&env, &out, &err, "stats", NULL, NULL, NULL, NULL);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "versions"), "3");
	jsonp_free(o);
	free(out);
	free(err);

	/* text; an archive's top folder is stripped and said */
	env.json = false;
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", "demo", "--version", "3.1",
		    "--out", outdir, "--no-store", src, NULL);
	T_EQ_INT(rc, 0);
	snprintf(want, sizeof(want), "ingested demo 3.1 (core): 6 files -> %s/demo/3.1.sha256\n", outdir);
	T_EQ_STR(out, want);
	free(out);
	free(err);
	snprintf(want, sizeof(want), "tar -C '%s/src' -czf '%s/demo.tgz' demo-3.0", fx.dir, fx.dir);
	T_EQ_INT(system(want), 0);
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", "demo", "--version", "3.2",
		    "--kind", "plugin", "--out", outdir, "--no-store", fx_path(&fx, "demo.tgz"), NULL);
	T_CHECK(rc == 0, "%s", err);
	snprintf(want, sizeof(want), "ingested demo 3.2 (plugin): 6 files -> %s/demo/3.2.sha256 (top folder "
		 "'demo-3.0' stripped)\n", outdir);
	T_EQ_STR(out, want);
	free(out);
	free(err);

	/* usage: a version missing, a source missing, two sources */
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", "demo", src, NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strncmp(err, "usage: wsidctl index ingest --product NAME --version V", 53) == 0, "%s", err);
	free(out);
	free(err);
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", "demo", "--version", "4",
		    "--no-store", src, src, NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	free(out);
	free(err);

	/* hostile names: nothing written outside the output directory */
	{
		static const char *const bad[][3] = {
			{ "../evil", "1.0", "wsidctl: ingest: invalid product name '../evil'" },
			{ "demo", "../../x", "wsidctl: ingest: invalid version '../../x'" },
			{ "de\nmo", "1.0", "wsidctl: ingest: invalid product name 'de\\nmo'" },
			{ "demo", "1.0\n", "wsidctl: ingest: invalid version '1.0\\n'" },
			{ "demo", "1.0/../../y", "wsidctl: ingest: invalid version '1.0/../../y'" },
			{ "", "1.0", "wsidctl: ingest: invalid product name ''" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", bad[i][0],
				    "--version", bad[i][1], "--out", outdir, "--no-store", src, NULL);
			T_CHECK(rc == EXIT_ERROR || rc == EXIT_USAGE, "'%s' '%s' taken: %d", bad[i][0],
				bad[i][1], rc);
			T_CHECK(strncmp(err, bad[i][2], strlen(bad[i][2])) == 0 &&
					strchr(err, '\n') == err + strlen(err) - 1,
				"'%s' '%s': '%s'", bad[i][0], bad[i][1], err);
			T_EQ_STR(out, "");
			free(out);
			free(err);
		}
		T_OK(access(fx_path(&fx, "evil"), F_OK) != 0);
		T_OK(access(fx_path(&fx, "x.sha256"), F_OK) != 0);
		T_OK(access(fx_path(&fx, "y.sha256"), F_OK) != 0);
	}
	/* a source that is not there */
	rc = fx_ctl(ctl_index, &env, &out, &err, "index", "ingest", "--product", "demo", "--version", "5.0",
		    "--out", outdir, "--no-store", fx_path(&fx, "nosrc"), NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: ingest: ", 17) == 0, "%s", err);
	free(out);
	free(err);
}

int
main(void)
{
	if (fx_open(&fx, "ctlindex") < 0 || fx_index_demo(&fx) < 0)
		return 1;
	snprintf(db, sizeof(db), "%s/own.db", fx.dir);
	snprintf(sock, sizeof(sock), "%s/control", fx.dir);
	T_RUN(test_dispatch);
	T_RUN(test_build);
	T_RUN(test_stats);
	T_RUN(test_ingest);
	fx_close(&fx);
	T_DONE();
}
