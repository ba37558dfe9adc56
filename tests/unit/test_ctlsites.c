// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl sites, report, files and ack (ctlsites.c), and components
 * (ctlcomponents.c, over the same release lists), driven in-process over
 * a scratch database whose webspaces, installations, files and events are
 * stored through state.c as the daemon stores them, the demo product
 * indexed and a plugin's release list as `index fetch` keeps it: each
 * installation's update state (latest, latest in its branch, outdated by
 * N) in text and --json, --outdated (exit 1 when any), --customer and
 * --product; the node in figures; a plugin's claim with the newest release
 * its publisher lists; a file's or a directory's stored state;
 * acknowledging events; names with control bytes escaped; a path in a
 * webspace whose name only starts like another's; usage errors; a missing
 * or damaged database. And release_state_of, releases_of and
 * ctl_tree_from_state directly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "components.h"
#include "fixture.h"
#include "jsonparse.h"
#include "scan.h"
#include "t.h"
#include "util.h"

static struct fx f;
static struct ctl_env env;
static char sock[256], ws_alice[256], ws_evil[256], ws_bob[256], ws_hostile[256];
static int64_t id_alice, id_evil, id_bob, id_hostile, ev1, ev2;

static int64_t
webspace(const char *path, const char *customer)
{
	int64_t id = 0;
	bool baselined;

	T_OK(state_webspace_upsert(f.st, path, customer, &id, &baselined) == 0);
	return id;
}

static void
installation(int64_t ws, const char *root, const char *product, const char *kind, const char *version)
{
	struct inst_row r = {
		.webspace_id = ws, .root = xstrdup(root), .root_len = strlen(root), .product = xstrdup(product),
		.kind = xstrdup(kind), .version = xstrdup(version), .confidence = 0.9,
	};

	T_OK(state_installation_put(f.st, &r, NULL, version, 6) == 0);
	free(r.root);
	free(r.product);
	free(r.kind);
	free(r.version);
}

static void
file(int64_t ws, const char *rel, uint8_t fill, const char *verdict)
{
	struct file_row r = fx_row(ws, rel, fill);

	snprintf(r.verdict, sizeof(r.verdict), "%s", verdict);
	T_OK(state_file_put(f.st, &r) == 0);
}

static void
make_state(void)
{
	struct event_row e;

	snprintf(ws_alice, sizeof(ws_alice), "%s", fx_path(&f, "www/alice"));
	snprintf(ws_evil, sizeof(ws_evil), "%s", fx_path(&f, "www/alice-evil"));
	snprintf(ws_bob, sizeof(ws_bob), "%s", fx_path(&f, "www/bob"));
	snprintf(ws_hostile, sizeof(ws_hostile), "%s", fx_path(&f, "www/e\nv\033[1m"));
	T_OK(state_begin(f.st) == 0);
	id_alice = webspace(ws_alice, "alice");
	id_evil = webspace(ws_evil, "mallory");
	id_bob = webspace(ws_bob, "bob");
	id_hostile = webspace(ws_hostile, "c\nd");
	installation(id_alice, "blog", "demo", "core", "1.0");
	installation(id_alice, "blog/plugins/acme", "acme", "plugin", "3.0.1");
	installation(id_bob, "", "demo", "core", "2.0");
	installation(id_hostile, "x\ty", "demo", "core", "9.9");
	file(id_alice, "blog/index.php", 1, "none");
	file(id_alice, "blog/up/x.php", 2, "malicious");
	file(id_alice, "blog/a\nFAKE.php", 3, "none");
	file(id_alice, "other.txt", 4, "none");
	file(id_evil, "blog/index.php", 5, "none");
	/* a plugin in bob's webspace, on the disk and in the state: its header
	 * claims a version no release in the index has */
	T_OK(fx_put_at(ws_bob, "wp-content/plugins/acme-forms/acme-forms.php",
		       "<?php\n/*\nPlugin Name: Acme Forms\nVersion: 1.2\n*/\n") == 0);
	file(id_bob, "wp-content/plugins/acme-forms/acme-forms.php", 6, "none");
	e = fx_event(id_alice, "blog/up/x.php", VERDICT_MALICIOUS, SEV_CRITICAL);
	T_OK(state_event_add(f.st, &e, &ev1) == 0);
	e = fx_event(id_alice, "blog/index.php", VERDICT_TAMPERED, SEV_WARNING);
	T_OK(state_event_add(f.st, &e, &ev2) == 0);
	T_OK(state_commit(f.st) == 0);
	/* the plugin's releases as index fetch lists them */
	T_OK(store_exec_bind(f.s, "INSERT INTO product_releases VALUES(?,?,?,?,?)", "tttti", "acme", "3.1.0",
			     "3.0.1\n3.0.2\n3.1.0\n3.2.0-beta1", "test", now_unix()) == 0);
	T_OK(store_exec_bind(f.s, "INSERT INTO product_releases VALUES(?,?,?,?,?)", "tttti", "acme-forms", "1.3",
			     "1.2\n1.3", "test", now_unix()) == 0);
}

static void
test_release_state(void)
{
	static const char *const wp[] = { "6.4.3", "6.4.2", "6.5.1", "6.5.2-RC1", "6.3.9", "6.6-beta2" };
	struct release_state st;
	struct release_cache rc;
	const struct releases *r;

	release_state_of(wp, 6, "6.4.2", &st);
	T_EQ_STR(st.state, "outdated");
	T_EQ_STR(st.latest, "6.5.1");
	T_EQ_STR(st.branch_latest, "6.4.3");
	T_EQ_INT(st.behind, 2);
	release_state_of(wp, 6, "6.4.3", &st);
	T_EQ_STR(st.state, "latest-in-branch");
	T_EQ_INT(st.behind, 1);
	release_state_of(wp, 6, "6.5.1", &st);
	T_EQ_STR(st.state, "latest"); /* the RC and the beta never count */
	T_EQ_INT(st.behind, 0);
	release_state_of(wp, 6, "6.3.9", &st);
	T_EQ_STR(st.state, "latest-in-branch");
	T_EQ_INT(st.behind, 3);
	release_state_of(wp, 6, "7.0", &st);
	T_EQ_STR(st.state, "unknown");
	release_state_of(NULL, 0, "1.0", &st);
	T_EQ_STR(st.state, "unknown");
	T_OK(st.latest == NULL && st.branch_latest == NULL);

	/* the index's releases and the publisher's list, merged, once each */
	release_cache_init(&rc, f.s);
	r = releases_of(&rc, "demo");
	T_EQ_INT(r->n, 2);
	T_OK(releases_of(&rc, "demo") == r);
	r = releases_of(&rc, "acme");
	T_EQ_INT(r->n, 4);
	r = releases_of(&rc, "nosuch");
	T_EQ_INT(r->n, 0);
	release_cache_free(&rc);
}

static void
test_sites(void)
{
	struct fx_run r;
	struct jnode *j;
	char want[1024];
	int i;

	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 5);
	T_CHECK(strncmp(r.out, "CUSTOMER", 8) == 0, "out: %s", r.out);
	T_EQ_INT(fx_count_lines(r.out, "latest-in-branch"), 1);
	T_EQ_INT(fx_count_lines(r.out, "outdated (-2)"), 1);
	T_CHECK(fx_has(r.out, " 2.0 "), "out: %s", r.out);
	/* customers, webspaces and roots with control bytes: escaped */
	T_CHECK(fx_has(r.out, "c\\nd") && fx_has(r.out, "e\\nv\\x1b[1m/x\\ty"), "out: %s", r.out);
	T_OK(!fx_has(r.out, "\033") && !fx_has(r.out, "\t"));
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--json", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 4);
	for (i = 0; (j = fx_json_line(r.out, i)) != NULL; i++) {
		const char *p = fx_jstr(j, "product"), *v = fx_jstr(j, "version");

		if (t_streq(p, "acme")) {
			snprintf(want, sizeof(want), "%s/blog/plugins/acme", ws_alice);
			T_EQ_STR(fx_jstr(j, "root"), want);
			T_EQ_STR(fx_jstr(j, "webspace"), ws_alice);
			T_EQ_STR(fx_jstr(j, "customer"), "alice");
			T_EQ_STR(fx_jstr(j, "kind"), "plugin");
			T_EQ_STR(fx_jstr(j, "state"), "outdated");
			T_EQ_STR(fx_jstr(j, "latest_version"), "3.1.0");
			T_EQ_STR(fx_jstr(j, "latest_in_branch"), "3.0.2");
			T_EQ_STR(fx_jstr(j, "behind"), "2");
			T_EQ_STR(fx_jstr(j, "claimed_version"), "3.0.1");
			T_OK(fx_jstr(j, "mixed_with") == NULL);
		} else if (t_streq(v, "1.0")) {
			T_EQ_STR(fx_jstr(j, "state"), "latest-in-branch");
			T_EQ_STR(fx_jstr(j, "latest_version"), "2.0");
			T_EQ_STR(fx_jstr(j, "behind"), "1");
		} else if (t_streq(v, "2.0")) {
			T_EQ_STR(fx_jstr(j, "state"), "latest");
			T_EQ_STR(fx_jstr(j, "root"), ws_bob);
			T_EQ_STR(fx_jstr(j, "customer"), "bob");
		} else {
			T_EQ_STR(v, "9.9");
			T_EQ_STR(fx_jstr(j, "state"), "unknown");
			T_EQ_STR(fx_jstr(j, "customer"), "c\nd");
			snprintf(want, sizeof(want), "%s/x\ty", ws_hostile);
			T_EQ_STR(fx_jstr(j, "root"), want);
		}
		T_OK(fx_jstr(j, "identified_at") != NULL);
		jsonp_free(j);
	}
	T_EQ_INT(i, 4);
	fx_run_free(&r);

	/* --outdated: monitoring's exit 1 while anything is listed */
	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--outdated", NULL), EXIT_FINDINGS);
	T_EQ_INT(fx_count_lines(r.out, ""), 2);
	T_EQ_INT(fx_count_lines(r.out, "acme"), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--outdated", "--customer", "bob", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--json", "--customer", "alice", "--product", "demo",
			    NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	T_EQ_INT(fx_count_lines(r.out, "\"version\":\"1.0\""), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--json", "--customer", "nobody", NULL), 0);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "extra\nline", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "unexpected argument 'extra\\nline'"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--bogus", NULL), EXIT_USAGE);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_sites, &env, &r, "sites", "--customer", NULL), EXIT_USAGE);
	fx_run_free(&r);
}

static void
test_report(void)
{
	const struct jnode *p, *st;
	struct fx_run r;
	struct jnode *d;
	size_t i;
	bool seen_demo = false;

	T_EQ_INT(fx_ctl_run(ctl_report, &env, &r, "report", NULL), 0);
	T_CHECK(strncmp(r.out, "4 webspaces, 4 installations\n", 29) == 0, "out: %s", r.out);
	T_CHECK(fx_has(r.out, "\ndemo: 3 installations\n  latest 33%, latest in its branch 33%, outdated 0%, "
				"unknown 33%\n  by major version: 1.x 33%, 2.x 33%, 9.x 33%\n"), "out: %s", r.out);
	T_CHECK(fx_has(r.out, "\nacme: 1 installation\n  latest 0%, latest in its branch 0%, outdated 100%\n"),
		"out: %s", r.out);
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_report, &env, &r, "report", "--json", NULL), 0);
	d = fx_json_line(r.out, 0);
	T_EQ_STR(fx_jstr(d, "webspaces"), "4");
	T_EQ_STR(fx_jstr(d, "installations"), "4");
	p = d ? jsonp_get(d, "products") : NULL;
	T_OK(p && p->t == J_ARR && p->n == 2);
	for (i = 0; p && i < p->n; i++) {
		if (!t_streq(fx_jstr(&p->kids[i], "product"), "demo"))
			continue;
		seen_demo = true;
		T_EQ_STR(fx_jstr(&p->kids[i], "installations"), "3");
		st = jsonp_get(&p->kids[i], "states");
		T_EQ_STR(fx_jstr(st, "latest"), "1");
		T_EQ_STR(fx_jstr(st, "latest-in-branch"), "1");
		T_EQ_STR(fx_jstr(st, "outdated"), "0");
		T_EQ_STR(fx_jstr(st, "unknown"), "1");
		T_EQ_STR(fx_jstr(jsonp_get(&p->kids[i], "majors"), "9"), "1");
	}
	T_OK(seen_demo);
	jsonp_free(d);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_report, &env, &r, "report", "--outdated", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "unexpected argument '--outdated'"), "stderr: %s", r.err);
	fx_run_free(&r);
}

static void
test_files(void)
{
	char path[512], want[1024];
	struct fx_run r;
	struct jnode *j;

	snprintf(path, sizeof(path), "%s/blog", ws_alice);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", path, NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 4);
	T_CHECK(strncmp(r.out, "VERDICT", 7) == 0, "out: %s", r.out);
	T_EQ_INT(fx_count_lines(r.out, "malicious"), 1);
	T_CHECK(fx_has(r.out, "/blog/a\\nFAKE.php\n"), "out: %s", r.out);
	T_OK(!fx_has(r.out, "other.txt"));
	/* the twelve first hex digits of the content */
	T_CHECK(fx_has(r.out, " 020202020202 "), "out: %s", r.out);
	fx_run_free(&r);

	/* one file, --json; a trailing slash on a directory is the same */
	snprintf(path, sizeof(path), "%s/blog/up/x.php", ws_alice);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", "--json", path, NULL), 0);
	j = fx_json_line(r.out, 0);
	T_EQ_STR(fx_jstr(j, "customer"), "alice");
	T_EQ_STR(fx_jstr(j, "webspace"), ws_alice);
	T_EQ_STR(fx_jstr(j, "path"), path);
	T_EQ_STR(fx_jstr(j, "verdict"), "malicious");
	T_EQ_STR(fx_jstr(j, "known"), "unknown");
	T_EQ_STR(fx_jstr(j, "status"), "ok");
	T_EQ_STR(fx_jstr(j, "size"), "20");
	T_EQ_STR(fx_jstr(j, "uid"), "1234");
	T_EQ_STR(fx_jstr(j, "sha256"), "0202020202020202020202020202020202020202020202020202020202020202");
	T_OK(j && jsonp_get(j, "analysis") && jsonp_get(j, "analysis")->t == J_NULL);
	T_OK(fx_json_line(r.out, 1) == NULL);
	jsonp_free(j);
	fx_run_free(&r);
	snprintf(path, sizeof(path), "%s/", ws_alice);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", "--json", path, NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 4);
	fx_run_free(&r);

	/* alice-evil is not in alice's webspace, nor alice's files in it */
	snprintf(path, sizeof(path), "%s/blog", ws_evil);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", "--json", path, NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	T_EQ_INT(fx_count_lines(r.out, "\"customer\":\"mallory\""), 1);
	fx_run_free(&r);

	snprintf(path, sizeof(path), "%s/blog/none.php", ws_alice);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", path, NULL), EXIT_FINDINGS);
	snprintf(want, sizeof(want), "wsidctl files: nothing known at %s", path);
	T_CHECK(fx_has(r.err, want), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", "/nowhere/a\nb", NULL), EXIT_FINDINGS);
	T_CHECK(fx_has(r.err, "/nowhere/a\\nb is in no webspace the daemon knows"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", "relative/path", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "give an absolute PATH"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_files, &env, &r, "files", "/a", "/b", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "one PATH"), "stderr: %s", r.err);
	fx_run_free(&r);
}

static void
test_ack(void)
{
	char a[32], b[32], want[128];
	struct fx_run r;

	snprintf(a, sizeof(a), "%lld", (long long)ev1);
	snprintf(b, sizeof(b), "%lld", (long long)ev2);
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", a, NULL), 0);
	snprintf(want, sizeof(want), "event %s acknowledged\n", a);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", a, b, NULL), 0);
	snprintf(want, sizeof(want), "event %s was acknowledged already\nevent %s acknowledged\n", a, b);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	/* an id that is none: exit 1, the others still acknowledged */
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", "999999", a, NULL), EXIT_FINDINGS);
	T_CHECK(fx_has(r.err, "no event 999999"), "stderr: %s", r.err);
	T_CHECK(fx_has(r.out, "was acknowledged already"), "out: %s", r.out);
	fx_run_free(&r);
	/* every id is checked before anything is written */
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", a, "1\n2", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "'1\\n2' is not an event id"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", "0", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", "99999999999999999999", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_ack, &env, &r, "ack", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl ack EVENT-ID..."), "stderr: %s", r.err);
	fx_run_free(&r);
}

/* the plugins the webspaces hold, by their claims; the newest release as
 * the publisher lists it */
static void
test_components(void)
{
	const struct jnode *c;
	struct fx_run r;
	struct jnode *d;

	T_EQ_INT(fx_ctl_run(ctl_components, &env, &r, "components", "--json", NULL), 0);
	d = fx_json_line(r.out, 0);
	T_EQ_STR(fx_jstr(d, "schema"), "1");
	c = d ? jsonp_get(d, "components") : NULL;
	T_OK(c && c->t == J_ARR && c->n == 1);
	c = c && c->n ? &c->kids[0] : NULL;
	T_EQ_STR(fx_jstr(c, "kind"), "plugin");
	T_EQ_STR(fx_jstr(c, "name"), "acme-forms");
	T_EQ_STR(fx_jstr(c, "claimed"), "1.2");
	T_OK(c && fx_jstr(c, "identified") == NULL);
	T_EQ_STR(fx_jstr(c, "state"), "unknown");
	T_EQ_STR(fx_jstr(c, "latest"), "1.3");
	T_EQ_STR(fx_jstr(c, "webspaces"), "1");
	jsonp_free(d);
	/* the webspaces not on this disk: skipped, said */
	T_CHECK(fx_has(r.err, "(skipped)"), "stderr: %s", r.err);
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_components, &env, &r, "components", "--unknown", "--customer", "bob", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, "acme-forms"), 1);
	T_CHECK(fx_has(r.out, "plugin ") && fx_has(r.out, " 1.2 ") && fx_has(r.out, " unknown ") &&
			fx_has(r.out, " 1.3 "), "out: %s", r.out);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_components, &env, &r, "components", "--json", "--customer", "alice", NULL), 0);
	T_CHECK(fx_has(r.out, "\"components\":[]"), "out: %s", r.out);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_components, &env, &r, "components", "extra", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "unexpected argument 'extra'"), "stderr: %s", r.err);
	fx_run_free(&r);
}

/* the daemon's stored state as a scan tree */
static void
test_tree_from_state(void)
{
	struct scan_tree *t = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/blog/", ws_alice);
	T_EQ_INT(ctl_tree_from_state(f.s, path, &t), 0);
	T_OK(t != NULL && t->nfiles == 3);
	if (t) {
		const struct scan_file *sf = scan_file_at(t, 0);

		T_OK(sf->pathlen == strlen("a\nFAKE.php") || sf->pathlen == strlen("index.php") ||
		     sf->pathlen == strlen("up/x.php"));
	}
	scan_tree_free(t);
	t = NULL;
	T_EQ_INT(ctl_tree_from_state(f.s, ws_alice, &t), 0);
	T_OK(t != NULL && t->nfiles == 4);
	scan_tree_free(t);
	t = (struct scan_tree *)&f; /* must be cleared */
	T_EQ_INT(ctl_tree_from_state(f.s, "/nowhere", &t), -ENOENT);
	T_OK(t == NULL);
	T_EQ_INT(ctl_tree_from_state(f.s, "www/alice", &t), -ENOENT);
	snprintf(path, sizeof(path), "%sx", ws_alice); /* a name that only starts like it */
	T_EQ_INT(ctl_tree_from_state(f.s, path, &t), -ENOENT);
}

static void
test_bad_database(void)
{
	struct ctl_env e;
	struct fx_run r;

	fx_ctl_env_bad(&e, &f, sock, false);
	T_EQ_INT(fx_ctl_run(ctl_sites, &e, &r, "sites", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_report, &e, &r, "report", NULL), EXIT_ERROR);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_files, &e, &r, "files", "/srv", NULL), EXIT_ERROR);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_ack, &e, &r, "ack", "1", NULL), EXIT_ERROR);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_components, &e, &r, "components", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(access(fx_path(&f, "none"), F_OK) != 0);
	fx_ctl_env_bad(&e, &f, sock, true);
	T_EQ_INT(fx_ctl_run(ctl_sites, &e, &r, "sites", "--json", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "junk.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_report, &e, &r, "report", "--json", NULL), EXIT_ERROR);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	fx_ctl_env_db(&env, f.db, sock);
}

int
main(void)
{
	if (fx_open(&f, "ctlsites") < 0 || fx_index_demo(&f) < 0)
		return 1;
	snprintf(sock, sizeof(sock), "%s", fx_path(&f, "control"));
	fx_ctl_env_db(&env, f.db, sock);
	make_state();
	T_RUN(test_release_state);
	T_RUN(test_sites);
	T_RUN(test_report);
	T_RUN(test_files);
	T_RUN(test_ack);
	T_RUN(test_components);
	T_RUN(test_tree_from_state);
	T_RUN(test_bad_database);
	fx_close(&f);
	T_DONE();
}
