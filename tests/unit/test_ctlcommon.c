// SPDX-License-Identifier: GPL-2.0-or-later
/* What wsidctl's verbs share (ctlcommon.c): the usage line of a verb, the
 * lookups of ctl_env (each asked once, what it answers kept), one JSON object
 * on a line of stdout whatever the names in it, the rule globs the node
 * compiles. And the global options as wsidctl takes them, before and after
 * the verb (wsidctl.c, run as the built binary beside this test):
 * --db/--config/--socket with a value or '=', a missing value, "--", an
 * unknown verb, a configuration named that does not load. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "json.h"
#include "jsonparse.h"
#include "util.h"
#include "t.h"

static void
test_usage(void)
{
	const struct ctl_verb *v = ctl_verb_find("status");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	T_OK(v != NULL && f != NULL);
	if (v == NULL || f == NULL)
		return;
	ctl_usage(v, f);
	fclose(f);
	T_EQ_STR(text, "usage: wsidctl [--db PATH] [--config PATH] status [--json|--prometheus]\n"
		       "  is the daemon up and watching; its figures (exit 1 when it is not); "
		       "--prometheus: in the Prometheus text format\n");
	free(text);
}

/* lookups that count how often they are asked */
static int n_cfg, n_db, n_sock;
static const struct config *the_cfg;

static const struct config *
count_cfg(void)
{
	n_cfg++;
	return the_cfg;
}

static const char *
count_db(void)
{
	n_db++;
	return "/srv/x/wsid.db";
}

static const char *
count_sock(void)
{
	n_sock++;
	return "/run/x/control";
}

static void
test_env_resolve(void)
{
	struct config *c = NULL;
	char err[256];
	struct ctl_env env;
	const char *y = "database: /var/lib/t/wsid.db\ncontrol_socket: /run/t/control\n";

	T_CHECK(config_load_string(y, strlen(y), "t.yaml", &c, err, sizeof(err)) == 0, "%s", err);
	memset(&env, 0, sizeof(env));
	env.config = count_cfg;
	env.db_path = count_db;
	env.socket_path = count_sock;
	the_cfg = c;
	ctl_env_resolve(&env);
	T_OK(env.cfg == c);
	T_EQ_STR(env.db, "/srv/x/wsid.db");
	T_EQ_STR(env.socket, "/run/x/control");
	T_EQ_INT(n_cfg, 1);
	T_EQ_INT(n_db, 1);
	T_EQ_INT(n_sock, 1);
	/* no configuration: NULL kept, the paths still looked up */
	the_cfg = NULL;
	env.cfg = c;
	ctl_env_resolve(&env);
	T_OK(env.cfg == NULL);
	T_EQ_STR(env.db, "/srv/x/wsid.db");
	T_EQ_INT(n_cfg + n_db + n_sock, 6);

	/* the fixture's env: nothing looked up until asked */
	fx_ctl_env(&env, c, "/d/wsid.db", "/d/control");
	T_OK(env.cfg == NULL && env.db == NULL && env.socket == NULL && !env.json);
	ctl_env_resolve(&env);
	T_OK(env.cfg == c);
	T_EQ_STR(env.db, "/d/wsid.db");
	T_EQ_STR(env.socket, "/d/control");
	config_free(c);
}

/* a verb that prints argv[1] and argv[2] as one JSON object */
static int
jout_verb(int argc, char **argv, const struct ctl_env *env)
{
	struct buf b;
	struct json j;

	(void)env;
	if (argc != 3)
		return EXIT_USAGE;
	ctl_jout_begin(&b, &j);
	json_kv_name(&j, "name", argv[1], strlen(argv[1]));
	json_kv_str(&j, "text", argv[2]);
	json_kv_int(&j, "n", -42);
	ctl_jout_end(&b, &j);
	return 0;
}

static void
test_jout(void)
{
	static const char *const names[] = {
		"plain", "with\nnewline", "tab\tand\rcr", "ctl\x01\x1b[31m", "quote\"back\\slash",
		"../../etc/passwd", "caf\xc3\xa9", "",
	};
	struct ctl_env env;
	char *out, *err;
	size_t i;

	fx_ctl_env(&env, NULL, "/nonexistent/db", "/nonexistent/sock");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct jnode *o;
		int rc = fx_ctl(jout_verb, &env, &out, &err, "t", names[i], "x\ny", NULL);

		T_EQ_INT(rc, 0);
		/* one line: every byte that would break it is escaped */
		T_CHECK(strlen(out) > 0 && strchr(out, '\n') == out + strlen(out) - 1,
			"not one line: %s", out);
		T_CHECK(strpbrk(out, "\x01\x1b\t\r") == NULL, "raw control byte in %s", names[i]);
		o = fx_json(out);
		T_OK(o != NULL && o->t == J_OBJ && o->n == 3);
		T_CHECK(t_streq(fx_jstr(o, "name"), names[i]), "name %zu round trip: %s", i, out);
		T_EQ_STR(fx_jstr(o, "text"), "x\ny");
		T_EQ_STR(fx_jstr(o, "n"), "-42");
		T_EQ_STR(err, "");
		jsonp_free(o);
		free(out);
		free(err);
	}
	/* a name that is not UTF-8 is valid JSON with its bytes in base64 */
	T_EQ_INT(fx_ctl(jout_verb, &env, &out, &err, "t", "bad\xff\xfe", "v", NULL), 0);
	{
		struct jnode *o = fx_json(out);

		T_OK(o != NULL);
		T_EQ_STR(fx_jstr(o, "name_base64"), "YmFk//4=");
		jsonp_free(o);
	}
	free(out);
	free(err);
}

static void
test_rule_globs(void)
{
	struct config *c = NULL;
	struct ctl_env env;
	const char *const *g = NULL;
	char err[256];
	size_t n = 0;
	const char *y = "database: /var/lib/t/wsid.db\nanalysis:\n  rules: [/r/a/*.yar, /r/b/x.yar]\n";

	memset(&env, 0, sizeof(env));
	ctl_rule_globs(&env, &g, &n);
	T_EQ_INT(n, 1);
	T_CHECK(n == 1 && g[0][0] == '/' && strlen(g[0]) > 12 &&
			strcmp(g[0] + strlen(g[0]) - 12, "/rules/*.yar") == 0,
		"default %s", n ? g[0] : "");
	T_CHECK(config_load_string(y, strlen(y), "t.yaml", &c, err, sizeof(err)) == 0, "%s", err);
	if (c == NULL)
		return;
	env.cfg = c;
	ctl_rule_globs(&env, &g, &n);
	T_EQ_INT(n, 2);
	T_OK(g == (const char *const *)c->analysis_rules);
	T_EQ_STR(g[0], "/r/a/*.yar");
	T_EQ_STR(g[1], "/r/b/x.yar");
	config_free(c);
}

/* ---- the global options, through the built wsidctl ---- */

static char wsidctl[PATH_MAX + 16];

/* runs wsidctl with args (NULL-ended), stdout and stderr captured as fx_ctl
 * does; its exit code, or -1 */
static int
run_wsidctl(char **out, char **err, ...)
{
	char o[] = "/tmp/wsid-test-out.XXXXXX", e[] = "/tmp/wsid-test-err.XXXXXX";
	const char *argv[32];
	int argc = 0, fo, fe, st = 0;
	size_t n;
	va_list ap;
	pid_t pid;

	argv[argc++] = wsidctl;
	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fo = mkstemp(o);
	fe = mkstemp(e);
	pid = fork();
	if (pid == 0) {
		dup2(fo, STDOUT_FILENO);
		dup2(fe, STDERR_FILENO);
		unsetenv("WSID_CONFIG");
		execv(wsidctl, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	close(fo);
	close(fe);
	*out = t_slurp(o, &n);
	*err = t_slurp(e, &n);
	unlink(o);
	unlink(e);
	if (*out == NULL)
		*out = xstrdup("");
	if (*err == NULL)
		*err = xstrdup("");
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* index stats --json ran (rc) on the database db; out and err freed */
static void
stats_of(int rc, char *out, char *err, const char *db)
{
	struct jnode *o = fx_json(out);

	T_CHECK(rc == 0, "%s", err);
	T_EQ_STR(fx_jstr(o, "database"), db);
	jsonp_free(o);
	free(out);
	free(err);
}

static void
test_global_options(void)
{
	struct fx f;
	char *out, *err, dbopt[200], cfgtext[512], sock[200];
	struct jnode *o;
	int rc;

	if (access(wsidctl, X_OK) != 0) {
		T_CHECK(0, "%s: %s", wsidctl, strerror(errno));
		return;
	}
	if (fx_open(&f, "ctlcommon") < 0 || fx_index_demo(&f) < 0) {
		T_CHECK(0, "%s", "fixture");
		fx_close(&f);
		return;
	}
	/* --db after the verb, with its value next */
	rc = run_wsidctl(&out, &err, "--json", "index", "stats", "--db", f.db, NULL);
	T_EQ_INT(rc, 0);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "database"), f.db);
	T_EQ_STR(fx_jstr(o, "products"), "1");
	jsonp_free(o);
	free(out);
	free(err);
	/* --db=PATH after the verb, --json before it */
	snprintf(dbopt, sizeof(dbopt), "--db=%s", f.db);
	rc = run_wsidctl(&out, &err, "--json", "index", "stats", dbopt, NULL);
	stats_of(rc, out, err, f.db);
	/* before the verb */
	rc = run_wsidctl(&out, &err, "--db", f.db, "index", "stats", NULL);
	T_EQ_INT(rc, 0);
	T_CHECK(strstr(out, "products        1\n") != NULL, "%s", out);
	free(out);
	free(err);
	/* a value missing */
	rc = run_wsidctl(&out, &err, "index", "stats", "--db", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl: --db needs a value\n");
	free(out);
	free(err);
	/* after "--" nothing is taken: index stats refuses the operands */
	rc = run_wsidctl(&out, &err, "--db", f.db, "index", "stats", "--", "--db", "/x", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "usage: wsidctl index stats\n");
	free(out);
	free(err);
	/* the database and socket from the configuration named, --socket over it */
	snprintf(sock, sizeof(sock), "%s/nosock", f.dir);
	snprintf(cfgtext, sizeof(cfgtext), "database: %s\ncontrol_socket: %s/cfgsock\n", f.db, f.dir);
	fx_put(fx_path(&f, "wsid.yaml"), cfgtext);
	rc = run_wsidctl(&out, &err, "--json", "index", "stats", "--config", fx_path(&f, "wsid.yaml"), NULL);
	stats_of(rc, out, err, f.db);
	rc = run_wsidctl(&out, &err, "--config", fx_path(&f, "wsid.yaml"), "status", "--json", NULL);
	T_EQ_INT(rc, 1);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "daemon"), "down");
	T_CHECK(t_streq(fx_jstr(o, "socket"), fx_path(&f, "cfgsock")), "%s", out);
	jsonp_free(o);
	free(out);
	free(err);
	rc = run_wsidctl(&out, &err, "--config", fx_path(&f, "wsid.yaml"), "status", "--json",
			 "--socket", sock, NULL);
	T_EQ_INT(rc, 1);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "socket"), sock);
	jsonp_free(o);
	free(out);
	free(err);
	/* a configuration named that does not load: exit 3, its error said */
	fx_put(fx_path(&f, "bad.yaml"), "databse: /x\n");
	rc = run_wsidctl(&out, &err, "--config", fx_path(&f, "bad.yaml"), "report", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strstr(err, "bad.yaml:1:1: top level: unknown key 'databse'") != NULL, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	/* an unknown verb, escaped */
	rc = run_wsidctl(&out, &err, "no\nverb\x1b", NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl: unknown verb 'no\\nverb\\x1b' (try wsidctl help)\n");
	free(out);
	free(err);
	/* no verb: the overview on stdout, exit 2; VERB --help: its usage, exit 0 */
	rc = run_wsidctl(&out, &err, NULL);
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strncmp(out, "usage: wsidctl [--config PATH]", 30) == 0, "%.80s", out);
	free(out);
	free(err);
	rc = run_wsidctl(&out, &err, "sync", "--help", NULL);
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "usage: wsidctl [--db PATH] [--config PATH] sync [--timeout SECONDS]\n"
		      "  wait until every change noticed so far is classified and stored\n");
	free(out);
	free(err);
	fx_close(&f);
}

int
main(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	/* build/tests/test_ctlcommon: wsidctl is build/wsidctl */
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		snprintf(wsidctl, sizeof(wsidctl), "%s/../wsidctl", self);
	}
	T_RUN(test_usage);
	T_RUN(test_env_resolve);
	T_RUN(test_jout);
	T_RUN(test_rule_globs);
	T_RUN(test_global_options);
	T_DONE();
}
