// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl components (ctlcomponents.c) over a database the test fills
 * (webspaces, file rows, an installation) and claim files on the disk:
 * a plugin claimed in two webspaces counted once with both, a theme the
 * index identified as a release (its update state and the latest), --unknown, --customer, --json,
 * text columns; a claim that is malformed said and ignored; directory names
 * that cannot be products, a webspace gone from the disk (its name hostile),
 * a symlinked claim file never followed; usage errors; a database missing
 * or damaged. And the demand list parser (components_parse_list): errors
 * name line and column, hostile names refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "components.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "jsonparse.h"
#include "state.h"
#include "util.h"
#include "t.h"

static struct fx fx;
static char ws1[160], ws2[160], gone[160], sock[100];

static const char akismet[] = "<?php\n/*\nPlugin Name: Akismet Anti-spam\nVersion: 5.3\n*/\n";
static const char theme[] = "/*\nTheme Name: Twenty Two\nVersion: 1.2\n*/\n";

/* a claim file on the disk and its row in the database */
static int
put_file(int64_t ws, const char *root, const char *rel, const char *text, uint8_t fill)
{
	struct file_row f = fx_row(ws, rel, fill);

	if (text && fx_put_at(root, rel, text) < 0)
		return -1;
	return state_file_put(fx.st, &f);
}

static int
fill_db(void)
{
	struct inst_row in;
	char target[256], link[256];
	int64_t a, b, c;
	bool base;
	int r = 0;

	if (state_begin(fx.st) < 0 || state_webspace_upsert(fx.st, ws1, "alice", &a, &base) < 0 ||
	    state_webspace_upsert(fx.st, ws2, "bob", &b, &base) < 0 ||
	    state_webspace_upsert(fx.st, gone, "carol", &c, &base) < 0)
		return -1;
	r |= put_file(a, ws1, "wp-content/plugins/akismet/akismet.php", akismet, 1);
	r |= put_file(b, ws2, "wp-content/plugins/akismet/akismet.php", akismet, 1);
	r |= put_file(a, ws1, "wp-content/themes/twentytwo/style.css", theme, 2);
	/* a claim that is malformed: said, ignored */
	r |= put_file(b, ws2, "wp-content/plugins/bad/readme.txt", "=== Bad ===\nStable tag: ../../x\n", 3);
	/* names that cannot be a product: nothing to show */
	r |= put_file(b, ws2, "wp-content/plugins/Ev\nil\x1b/readme.txt", "Stable tag: 1.0\n", 4);
	r |= put_file(b, ws2, "wp-content/plugins/UPPER/readme.txt", "Stable tag: 1.0\n", 5);
	/* a claim file that is a symlink: not followed (the claim not read) */
	r |= put_file(b, ws2, "wp-content/plugins/linked/readme.txt", NULL, 6);
	r |= put_file(c, gone, "wp-content/plugins/akismet/akismet.php", NULL, 1);
	if (r)
		return -1;
	snprintf(target, sizeof(target), "%s/secret/readme.txt", fx.dir);
	snprintf(link, sizeof(link), "%s/wp-content/plugins/linked", ws2);
	if (fx_put_at(fx.dir, "secret/readme.txt", "=== Secret ===\nStable tag: 6.6.6\n") < 0) {
		printf("secret\n");
		return -1;
	}
	if (mkdir(link, 0755) < 0) {
		printf("mkdir %s\n", link);
		return -1;
	}
	snprintf(link, sizeof(link), "%s/wp-content/plugins/linked/readme.txt", ws2);
	if (symlink(target, link) < 0) {
		printf("symlink\n");
		return -1;
	}
	/* the index identified the theme's directory as demo 1.0 */
	memset(&in, 0, sizeof(in));
	in.webspace_id = a;
	in.root = (char *)(uintptr_t)"wp-content/themes/twentytwo";
	in.root_len = strlen(in.root);
	in.product = (char *)(uintptr_t)"demo";
	in.kind = (char *)(uintptr_t)"core";
	in.version = (char *)(uintptr_t)"1.0";
	in.confidence = 1;
	if (state_installation_put(fx.st, &in, NULL, NULL, 6) < 0)
		return -1;
	return state_commit(fx.st);
}

static const struct jnode *
comp_at(const struct jnode *o, size_t i)
{
	const struct jnode *a = o ? jsonp_get(o, "components") : NULL;

	return a && a->t == J_ARR && i < a->n ? &a->kids[i] : NULL;
}

static size_t
ncomp(const struct jnode *o)
{
	const struct jnode *a = o ? jsonp_get(o, "components") : NULL;

	return a && a->t == J_ARR ? a->n : (size_t)-1;
}

static void
test_json(void)
{
	struct ctl_env env;
	struct jnode *o;
	const struct jnode *c;
	char *out, *err, want[512];
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	ctl_env_resolve(&env);
	env.json = true;
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", NULL);
	T_EQ_INT(rc, 0);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "schema"), "1");
	T_EQ_INT(ncomp(o), 2);
	c = comp_at(o, 0);
	T_EQ_STR(fx_jstr(c, "kind"), "plugin");
	T_EQ_STR(fx_jstr(c, "name"), "akismet");
	T_EQ_STR(fx_jstr(c, "product"), "akismet");
	T_EQ_STR(fx_jstr(c, "claimed"), "5.3");
	T_OK(c && jsonp_get(c, "identified")->t == J_NULL);
	T_EQ_STR(fx_jstr(c, "state"), "unknown");
	T_EQ_STR(fx_jstr(c, "webspaces"), "2");
	c = comp_at(o, 1);
	T_EQ_STR(fx_jstr(c, "kind"), "theme");
	T_EQ_STR(fx_jstr(c, "name"), "twentytwo");
	T_EQ_STR(fx_jstr(c, "claimed"), "1.2");
	T_EQ_STR(fx_jstr(c, "identified_product"), "demo");
	T_EQ_STR(fx_jstr(c, "identified"), "1.0");
	T_EQ_STR(fx_jstr(c, "state"), "latest-in-branch"); /* 1.0 is its branch's newest */
	T_EQ_STR(fx_jstr(c, "latest"), "2.0");
	T_EQ_STR(fx_jstr(c, "webspaces"), "1");
	jsonp_free(o);
	/* what was skipped is said, escaped, each on a line of its own */
	snprintf(want, sizeof(want), "wsidctl: components: %s/wp-content/plugins/bad/readme.txt: ", ws2);
	T_CHECK(strstr(err, want) != NULL && strstr(err, "(ignored)\n") != NULL, "%s", err);
	T_CHECK(strstr(err, ": No such file or directory (skipped)\n") != NULL &&
			strstr(err, "/go\\nne\\x1b") != NULL,
		"%s", err);
	T_CHECK(strchr(err, '\x1b') == NULL && strstr(out, "6.6.6") == NULL && strstr(out, "secret") == NULL,
		"%s", out);
	free(out);
	free(err);

	/* --unknown: the plugin alone; --customer alice: both of hers */
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", "--unknown", NULL);
	T_EQ_INT(rc, 0);
	o = fx_json(out);
	T_EQ_INT(ncomp(o), 1);
	T_EQ_STR(fx_jstr(comp_at(o, 0), "name"), "akismet");
	jsonp_free(o);
	free(out);
	free(err);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", "--customer", "alice", NULL);
	o = fx_json(out);
	T_EQ_INT(ncomp(o), 2);
	T_EQ_STR(fx_jstr(comp_at(o, 0), "webspaces"), "1");
	jsonp_free(o);
	T_EQ_STR(err, "");
	free(out);
	free(err);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", "--customer", "nobody\n", NULL);
	T_EQ_INT(rc, 0);
	o = fx_json(out);
	T_EQ_INT(ncomp(o), 0);
	jsonp_free(o);
	free(out);
	free(err);
}

static void
test_text(void)
{
	struct ctl_env env;
	char *out, *err;
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	ctl_env_resolve(&env);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", "--customer", "alice", NULL);
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "KIND      NAME                             CLAIMED      IDENTIFIED               STATE"
		      "             LATEST     WEBSPACES\n"
		      "plugin    akismet                          5.3          -                        unknown"
		      "           -          1\n"
		      "theme     twentytwo                        1.2          demo 1.0                 latest-in-branch"
		      "  2.0        1\n");
	free(out);
	free(err);
}

static void
test_errors(void)
{
	struct ctl_env env;
	char *out, *err;
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	ctl_env_resolve(&env);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", "--bogus", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strstr(err, "'--bogus'\nusage: wsidctl components [--unknown] [--customer C] [--json]\n") != NULL,
		"%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", "st\nray", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl components: unexpected argument 'st\\nray'\n");
	free(out);
	free(err);

	fx_ctl_env(&env, NULL, fx_path(&fx, "none.db"), sock);
	ctl_env_resolve(&env);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: components: ", 21) == 0 && strstr(err, "none.db"), "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	fx_put(fx_path(&fx, "junk.db"), "not a database at all, only text\n");
	fx_ctl_env(&env, NULL, fx_path(&fx, "junk.db"), sock);
	ctl_env_resolve(&env);
	rc = fx_ctl(ctl_components, &env, &out, &err, "components", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: components: ", 21) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

static void
test_parse_list(void)
{
	struct component_list l;
	char err[256];
	const char *good = "{\"schema\":1,\"components\":[{\"kind\":\"plugin\",\"name\":\"akismet\","
			   "\"claimed\":\"5.3\"},\n{\"kind\":\"npm\",\"name\":\"@babel/core\",\"claimed\":\"7.1.0\","
			   "\"url\":\"https://x/y.tgz\"}]}";
	static const char *const bad[] = {
		"{\"components\":[{\"kind\":\"plugin\",\"name\":\"../x\",\"claimed\":\"1\"}]}",
		"{\"components\":[{\"kind\":\"plugin\",\"name\":\"a\\nb\",\"claimed\":\"1\"}]}",
		"{\"components\":[{\"kind\":\"plugin\",\"name\":\"a\",\"claimed\":\"../../1\"}]}",
		"{\"components\":[{\"kind\":\"evil\",\"name\":\"a\",\"claimed\":\"1\"}]}",
		"{\"components\":[{\"kind\":\"plugin\",\"name\":\"a\"}]}",
		"{\"components\":[5]}",
	};
	size_t i;

	T_EQ_INT(components_parse_list(good, strlen(good), "l.json", &l, err, sizeof(err)), 0);
	T_EQ_INT(l.n, 2);
	if (l.n == 2) {
		T_EQ_STR(l.c[0].product, "akismet");
		T_EQ_STR(l.c[1].product, "npm-babel--core");
		T_EQ_STR(l.c[1].url, "https://x/y.tgz");
	}
	components_free(&l);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		T_CHECK(components_parse_list(bad[i], strlen(bad[i]), "l.json", &l, err, sizeof(err)) == -EINVAL,
			"%s taken", bad[i]);
		T_CHECK(strcmp(err, "l.json:1:16: component 1: needs a known kind, a valid name and a claimed "
				   "version") == 0, "%s: %s", bad[i], err);
		T_EQ_INT(l.n, 0);
	}
	T_EQ_INT(components_parse_list("{\"c\":[]}", 8, "l.json", &l, err, sizeof(err)), -EINVAL);
	T_EQ_STR(err, "l.json: expected {\"components\": [...]} (wsidctl components --json)");
	T_EQ_INT(components_parse_list("[{]", 3, "l.json", &l, err, sizeof(err)), -EINVAL);
	T_CHECK(strncmp(err, "l.json:1:", 9) == 0, "%s", err);
}

int
main(void)
{
	if (fx_open(&fx, "ctlcomponents") < 0 || fx_index_demo(&fx) < 0)
		return 1;
	snprintf(ws1, sizeof(ws1), "%s/ws1", fx.dir);
	snprintf(ws2, sizeof(ws2), "%s/ws2", fx.dir);
	snprintf(gone, sizeof(gone), "%s/go\nne\x1b", fx.dir);
	snprintf(sock, sizeof(sock), "%s/control", fx.dir);
	if (fill_db() < 0) {
		printf("the database: %s\n", strerror(errno));
		fx_close(&fx);
		return 1;
	}
	T_RUN(test_json);
	T_RUN(test_text);
	T_RUN(test_errors);
	T_RUN(test_parse_list);
	fx_close(&fx);
	T_DONE();
}
