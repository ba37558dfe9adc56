// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index fetch (ctlfetch.c), driven in a child process (libcurl's
 * global state stays out of the test) against a real HTTP server on
 * 127.0.0.1 the test starts (tests/lib/release_server.py), laid out as
 * downloads.wordpress.org and api.wordpress.org: a plugin's checksum file
 * fetched and indexed (the next run skips the release the index knows), its
 * release list stored; a 404 remembered (not asked again within the TTL,
 * asked with --retry-negative); a damaged archive and a checksum file of
 * another plugin refused with the reason, nothing indexed; --json; --stage
 * writing nothing to the database; each usage error named; a demand list
 * that is none, or names a path. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "components.h"
#include "fixture.h"
#include "jsonparse.h"
#include "t.h"

static struct fx f;
static struct ctl_env env;
static char sock[256], top[512], srv_root[256], srv_log[256], list[256], fp[256], wp[128], wpapi[128];
static pid_t server = -1;

/* Debian's python3, as the shell suites run it */
#define PY "/usr/bin/python3"

/* how many requests the server answered for URL paths holding s */
static int
requests(const char *s)
{
	size_t n;
	char *log = t_slurp(srv_log, &n);
	int k = fx_count_lines(log, s);

	free(log);
	return k;
}

static int
start_server(void)
{
	char portfile[256], script[600], port[16] = "";
	struct timespec ts = { 0, 50 * 1000000L };
	int i;

	snprintf(portfile, sizeof(portfile), "%s", fx_path(&f, "port"));
	snprintf(script, sizeof(script), "%s/tests/lib/release_server.py", top);
	server = fork();
	if (server == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* never outlives the test, whatever ends it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(PY, PY, script, portfile, srv_root, srv_log, (char *)NULL);
		_exit(127);
	}
	for (i = 0; server > 0 && i < 200; i++) {
		size_t n;
		char *p = t_slurp(portfile, &n);

		if (p) {
			snprintf(port, sizeof(port), "%s", p);
			free(p);
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (port[0] == '\0') {
		printf("the release server did not start (%s)\n", script);
		return -1;
	}
	snprintf(wp, sizeof(wp), "wordpress=http://127.0.0.1:%s/wp", port);
	snprintf(wpapi, sizeof(wpapi), "wpapi=http://127.0.0.1:%s/wpapi", port);
	return 0;
}

static void
stop_server(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
}

/* the publisher's files: acme-forms 1.2's checksum file (of a tree the test
 * writes) and its release list; broken 1.0 a zip that is none; a checksum
 * file of acme-forms served as impostor's; gone-plugin nowhere */
static int
make_server_root(void)
{
	char rel[256], script[600], cmd[2048];

	snprintf(srv_root, sizeof(srv_root), "%s", fx_path(&f, "srv"));
	snprintf(srv_log, sizeof(srv_log), "%s", fx_path(&f, "srv.log"));
	snprintf(rel, sizeof(rel), "%s", fx_path(&f, "acme-forms"));
	snprintf(script, sizeof(script), "%s/tests/lib/mkrelease.py", top);
	if (fx_put_at(rel, "acme-forms.php", "<?php /* Plugin Name: Acme Forms */\n") < 0 ||
	    fx_put_at(rel, "includes/form.php", "<?php function acme_form() {}\n") < 0 ||
	    fx_put_at(srv_root, "wp/plugin/broken.1.0.zip", "PK\003\004 this is no zip archive at all") < 0 ||
	    fx_put_at(srv_root, "wpapi/plugins/info/1.2/acme-forms.json",
		      "{\"name\": \"Acme Forms\", \"slug\": \"acme-forms\", \"version\": \"1.3\", "
		      "\"versions\": {\"1.2\": \"u\", \"1.3\": \"u\", \"trunk\": \"u\"}}\n") < 0 ||
	    fx_put_at(srv_root, "wpapi/plugins/info/1.2/gone-plugin.json", "{\"error\": \"Plugin not found.\"}\n") < 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/wp' && mkdir -p plugin-checksums/acme-forms plugin-checksums/impostor && "
		 PY " '%s' checksums acme-forms 1.2 '%s' plugin-checksums/acme-forms/1.2.json && "
		 "cp plugin-checksums/acme-forms/1.2.json plugin-checksums/impostor/2.0.json",
		 srv_root, script, rel);
	if (system(cmd) != 0)
		return -1;
	snprintf(list, sizeof(list), "%s", fx_path(&f, "demand.json"));
	return fx_put(list, "{\"components\": ["
			    "{\"kind\": \"plugin\", \"name\": \"acme-forms\", \"claimed\": \"1.2\"},"
			    "{\"kind\": \"plugin\", \"name\": \"gone-plugin\", \"claimed\": \"1.0\"},"
			    "{\"kind\": \"plugin\", \"name\": \"broken\", \"claimed\": \"1.0\"},"
			    "{\"kind\": \"plugin\", \"name\": \"impostor\", \"claimed\": \"2.0\"}]}\n");
}

static void
test_fetch(void)
{
	struct fx_run r;
	struct jnode *j;

	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", list, "--source", wp, "--source", wpapi,
			     "--out", fp, "--interval", "0", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.out, "acme-forms 1.2 (plugin): 2 files from http://127.0.0.1:"), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "/wp/plugin-checksums/acme-forms/1.2.json\n"), "out: %s", r.out);
	/* a 404 on both, and on broken's checksum file: remembered for the
	 * TTL (7 days) */
	T_EQ_INT(fx_count_lines(r.out, "gone-plugin 1.0 (plugin): "), 2);
	T_EQ_INT(fx_count_lines(r.out, "not found (HTTP 404), remembered for 168 h"), 3);
	/* the damaged zip and the other plugin's checksum file: refused, said */
	T_CHECK(fx_has(r.err, "wsidctl: index fetch: broken 1.0: ") && fx_has(r.err, "(nothing indexed)"),
		"stderr: %s", r.err);
	T_CHECK(fx_has(r.err, "/wp/plugin/broken.1.0.zip: zip entry at byte 0"), "stderr: %s", r.err);
	T_CHECK(fx_has(r.err, "wsidctl: index fetch: impostor 2.0: ") &&
			fx_has(r.err, "this is the checksum file of acme-forms 1.2, not of impostor 2.0"),
		"stderr: %s", r.err);
	T_EQ_INT(fx_count_lines(r.err, "(nothing indexed)"), 2);
	/* the release list of the plugin the directory knows */
	T_CHECK(fx_has(r.out, "acme-forms (plugin): newest release 1.3, 2 releases listed, from "), "out: %s",
		r.out);
	T_CHECK(fx_has(r.out, "gone-plugin (plugin): ") && fx_has(r.out, "not in the plugin directory"),
		"out: %s", r.out);
	T_CHECK(fx_has(r.out, "index fetch: 1 fetched, 1 not found, 2 failed, 0 skipped, releases of 1 plugin; "
			      "sets in "), "out: %s", r.out);
	fx_run_free(&r);
	/* indexed: the release is in the database, the set in --out */
	{
		sqlite3_stmt *q = store_query(f.s, "SELECT count(*) FROM versions v JOIN products p ON "
						   "p.id=v.product_id WHERE v.version='1.2'", "");
		T_OK(q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1);
		sqlite3_finalize(q);
	}
	T_OK(access(fx_path(&f, "fp/acme-forms/1.2.sha256"), F_OK) == 0);
	T_OK(access(fx_path(&f, "fp/broken/1.0.sha256"), F_OK) != 0);
	T_OK(access(fx_path(&f, "fp/impostor/2.0.sha256"), F_OK) != 0);

	/* again, --json: the known release skipped, the 404s not asked */
	T_EQ_INT(requests("gone-plugin/1.0.json"), 1);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", list, "--source", wp, "--source", wpapi,
			     "--out", fp, "--interval", "0", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.out, "gone-plugin 1.0 (plugin): ") && fx_has(r.out, "answered not found before: not "
									   "asked again before "), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "1 skipped"), "out: %s", r.out);
	fx_run_free(&r);
	T_EQ_INT(requests("gone-plugin/1.0.json"), 1);
	T_EQ_INT(requests("acme-forms/1.2.json"), 1);

	env.json = true;
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", list, "--source", wp, "--source", wpapi,
			     "--out", fp, "--interval", "0", "--retry-negative", NULL), EXIT_ERROR);
	env.json = false;
	j = fx_json_line(r.out, fx_count_lines(r.out, "") - 1);
	T_EQ_STR(fx_jstr(j, "fetched"), "0");
	T_EQ_STR(fx_jstr(j, "not_found"), "1");
	T_EQ_STR(fx_jstr(j, "failed"), "2");
	T_EQ_STR(fx_jstr(j, "skipped"), "1");
	T_EQ_STR(fx_jstr(j, "sets"), fp);
	jsonp_free(j);
	fx_run_free(&r);
	T_EQ_INT(requests("gone-plugin/1.0.json"), 2); /* --retry-negative asked */
}

/* --stage: sets and answers in the directory, nothing in the database */
static void
test_stage(void)
{
	char stage[256];
	struct fx_run r;
	struct ctl_env e;

	snprintf(stage, sizeof(stage), "%s", fx_path(&f, "stage"));
	fx_ctl_env_bad(&e, &f, sock, false);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &e, &r, "fetch", "--list", list, "--source", wp, "--source", wpapi,
			     "--stage", stage, "--interval", "0", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.out, "acme-forms 1.2 (plugin): 2 files from"), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "(index them as root: wsidctl index build --from DIR)"), "out: %s", r.out);
	fx_run_free(&r);
	T_OK(access(fx_path(&f, "stage/fetch.db"), F_OK) == 0);
	T_OK(access(fx_path(&f, "stage/acme-forms/1.2.sha256"), F_OK) == 0);
	T_OK(access(fx_path(&f, "none"), F_OK) != 0);
	fx_ctl_env_db(&env, f.db, sock);
}

static void
test_usage(void)
{
	static const char *const bad_sources[] = { "wordpress=ftp://x", "nosuch=http://x", "=http://x",
						   "wordpress", "wordpress=" };
	char bad[256];
	struct fx_run r;
	size_t i;

	for (i = 0; i < sizeof(bad_sources) / sizeof(bad_sources[0]); i++) {
		T_CHECK(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", list, "--source", bad_sources[i],
				    NULL) == EXIT_USAGE, "--source %s", bad_sources[i]);
		T_CHECK(fx_has(r.err, "expected NAME=URL"), "stderr: %s", r.err);
		fx_run_free(&r);
	}
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--timeout", "soon", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "'soon': expected a duration"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--max-size", "0", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "expected a size such as 64M"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", list, "extra", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl index fetch"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--bogus", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", list, "--ca-file",
			     fx_path(&f, "no.pem"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "CA file") && fx_has(r.err, "no.pem"), "stderr: %s", r.err);
	fx_run_free(&r);

	/* lists that are none, or name a path */
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", fx_path(&f, "nolist.json"), NULL),
		 EXIT_ERROR);
	T_CHECK(fx_has(r.err, "nolist.json"), "stderr: %s", r.err);
	fx_run_free(&r);
	snprintf(bad, sizeof(bad), "%s", fx_path(&f, "bad.json"));
	T_OK(fx_put(bad, "{\"components\":[{\"kind\":\"plugin\",\"name\":\"../../etc\",\"claimed\":\"1\"}]}\n") == 0);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", bad, "--source", wp, "--out", fp, NULL),
		 EXIT_ERROR);
	T_CHECK(fx_has(r.err, "bad.json:1:"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(requests("etc"), 0);
	T_OK(fx_put(bad, "[1, 2\n") == 0);
	T_EQ_INT(fx_ctl_fork(ctl_index_fetch, &env, &r, "fetch", "--list", bad, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "bad.json"), "stderr: %s", r.err);
	fx_run_free(&r);
}

int
main(void)
{
	const char *t = getenv("WSID_TOP");
	char *abs = realpath(t && *t ? t : ".", NULL);

	/* the tree's top: tests/run.sh says, else the working directory */
	snprintf(top, sizeof(top), "%s", abs ? abs : ".");
	free(abs);
	if (fx_open(&f, "ctlfetch") < 0 || make_server_root() < 0 || start_server() < 0) {
		stop_server();
		fx_close(&f);
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s", fx_path(&f, "control"));
	snprintf(fp, sizeof(fp), "%s", fx_path(&f, "fp"));
	fx_ctl_env_db(&env, f.db, sock);
	T_RUN(test_fetch);
	T_RUN(test_stage);
	T_RUN(test_usage);
	stop_server();
	fx_close(&f);
	T_DONE();
}
