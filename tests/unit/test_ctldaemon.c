// SPDX-License-Identifier: GPL-2.0-or-later
/* The wsidctl verbs that ask the daemon (ctldaemon.c): status, its
 * Prometheus rendering, sync, rescan, reload and events --follow against a
 * control socket this test serves (a unix socket in a scratch directory; a
 * thread accepts one connection, keeps the request line and answers as the
 * daemon would). What was sent, how the reply is printed, the exit codes;
 * a daemon not running; usage errors; names with newlines and control bytes
 * (rescan sends them in base64, one line). events reads the database: its
 * filters, --json, hostile paths, a database missing or damaged. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "jsonparse.h"
#include "state.h"
#include "util.h"
#include "t.h"

static struct fx fx;
static char sock[100];

static const char *
first_of(const char *s, ...)
{
	return s;
}

#define ASK(reply, rc, out, err, ...)                                                     \
	do {                                                                              \
		struct fx_daemon ask_fk;                                                       \
		struct ctl_env ask_env;                                                   \
		fx_ctl_env(&ask_env, NULL, fx.db, sock);                                  \
		ask_env.verb = ctl_verb_find(first_of(__VA_ARGS__, NULL));                \
		if (fx_daemon_start(&ask_fk, sock, reply) < 0) {                                     \
			T_CHECK(0, "%s", "fake daemon");                                  \
			break;                                                            \
		}                                                                         \
		rc = fx_ctl(ask_env.verb->fn, &ask_env, &out, &err, __VA_ARGS__, NULL);   \
		snprintf(req, sizeof(req), "%s", fx_daemon_done(&ask_fk));                     \
	} while (0)

static void
test_status(void)
{
	const char *up = "{\"daemon\":\"up\",\"pid\":4242,\"uptime_s\":12,\"watching\":true,"
			 "\"webspaces\":2,\"index_key\":null,\"failing_routes\":null,"
			 "\"oldest_event_time\":1767225600,\"database\":\"/var/lib/wsid/wsid.db\","
			 "\"unlisted\":7}\n";
	char *out = NULL, *err = NULL, req[4096] = "";
	int rc = -1;

	ASK(up, rc, out, err, "status");
	T_EQ_STR(req, "status\n");
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "daemon             up\n"
		      "pid                4242\n"
		      "uptime_s           12\n"
		      "watching           true\n"
		      "webspaces          2\n"
		      "database           /var/lib/wsid/wsid.db\n"
		      "oldest_event_time  2026-01-01T00:00:00Z\n");
	T_EQ_STR(err, "");
	free(out);
	free(err);

	/* not watching: exit 1; --json prints the reply as it came */
	ASK("{\"daemon\":\"up\",\"watching\":false}\n", rc, out, err, "status", "--json");
	T_EQ_STR(req, "status\n");
	T_EQ_INT(rc, 1);
	T_EQ_STR(out, "{\"daemon\":\"up\",\"watching\":false}\n");
	free(out);
	free(err);

	/* a value with escapes is printed as sent: no control byte reaches the terminal */
	ASK("{\"daemon\":\"up\",\"watching\":true,\"database\":\"/x\\n\\u001b[2J\"}\n", rc, out, err,
	    "status");
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "daemon             up\n"
		      "watching           true\n"
		      "database           /x\\n\\u001b[2J\n");
	free(out);
	free(err);

	/* a reply that is no JSON: nothing printed as a figure, unhealthy */
	ASK("garbage\n", rc, out, err, "status");
	T_EQ_INT(rc, 1);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

static void
test_status_down(void)
{
	struct ctl_env env;
	char *out, *err, want[512], odd[256];
	struct jnode *o;
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	env.verb = ctl_verb_find("status");
	unlink(sock);
	rc = fx_ctl(ctl_status, &env, &out, &err, "status", NULL);
	T_EQ_INT(rc, 1);
	snprintf(want, sizeof(want), "daemon       down (%s: No such file or directory)\n", sock);
	T_EQ_STR(out, want);
	free(out);
	free(err);

	rc = fx_ctl(ctl_status, &env, &out, &err, "status", "--json", NULL);
	T_EQ_INT(rc, 1);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "daemon"), "down");
	T_EQ_STR(fx_jstr(o, "socket"), sock);
	T_EQ_STR(fx_jstr(o, "error"), "No such file or directory");
	jsonp_free(o);
	free(out);
	free(err);

	/* a socket path with a quote, a backslash and a newline: still one JSON line */
	snprintf(odd, sizeof(odd), "%s/so\"ck\\\n", fx.dir);
	fx_ctl_env(&env, NULL, fx.db, odd);
	env.verb = ctl_verb_find("status");
	rc = fx_ctl(ctl_status, &env, &out, &err, "status", "--json", NULL);
	T_EQ_INT(rc, 1);
	T_CHECK(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "socket"), odd);
	jsonp_free(o);
	free(out);
	free(err);

	/* --prometheus with the daemon down: wsid_up 0, said on stderr, exit 1 */
	fx_ctl_env(&env, NULL, fx.db, sock);
	env.verb = ctl_verb_find("status");
	rc = fx_ctl(ctl_status, &env, &out, &err, "status", "--prometheus", NULL);
	T_EQ_INT(rc, 1);
	T_CHECK(strstr(out, "\nwsid_up 0\n") != NULL, "%s", out);
	snprintf(want, sizeof(want), "wsidctl: daemon down (%s: No such file or directory)\n", sock);
	T_EQ_STR(err, want);
	free(out);
	free(err);
}

static void
test_status_prometheus(void)
{
	char *out = NULL, *err = NULL, req[4096] = "", reply[1024];
	int rc = -1;

	snprintf(reply, sizeof(reply), "{\"daemon\":\"up\",\"watching\":true,\"webspaces\":3,"
		 "\"files\":99,\"database\":\"%s\"}\n", fx.db);
	ASK(reply, rc, out, err, "status", "--prometheus");
	T_EQ_STR(req, "status\n");
	T_EQ_INT(rc, 0);
	T_CHECK(strstr(out, "\nwsid_up 1\n") != NULL, "%s", out);
	T_CHECK(strstr(out, "\nwsid_watching 1\n") != NULL, "%s", out);
	T_CHECK(strstr(out, "\nwsid_webspaces 3\n") != NULL, "%s", out);
	T_EQ_STR(err, "");
	free(out);
	free(err);

	/* a reply that is not a status: said, exit 3 */
	ASK("{\"ok\":true}\n", rc, out, err, "status", "--prometheus");
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strstr(err, ": not a status reply: {\"ok\":true}\n") != NULL, "%s", err);
	free(out);
	free(err);
}

static void
test_usage_errors(void)
{
	struct ctl_env env;
	char *out, *err;
	size_t i;
	static const char *const cases[][4] = {
		/* verb, argument, argument, what stderr holds */
		{ "status", "--bogus", NULL, "usage: wsidctl [--db PATH] [--config PATH] status " },
		{ "status", "--json", "--prometheus", "wsidctl: status: --json and --prometheus exclude each other\n" },
		{ "sync", "--timeout", "0", "wsidctl sync: --timeout takes seconds\n" },
		{ "sync", "--timeout", "5s", "wsidctl sync: --timeout takes seconds\n" },
		{ "sync", "now", NULL, "usage: wsidctl [--db PATH] [--config PATH] sync " },
		{ "rescan", "/a", "/b", "usage: wsidctl [--db PATH] [--config PATH] rescan " },
		{ "reload", "now", NULL, "usage: wsidctl [--db PATH] [--config PATH] reload\n" },
		{ "events", "--since", "yesterday", "wsidctl events: --since takes 90s, 30m, 1h, 2d or a date" },
		{ "events", "--severity", "loud", "wsidctl events: --severity takes info, notice, warning or critical\n" },
		{ "events", "--verdict", "evil\n\x1b[0m", "wsidctl events: unknown verdict 'evil\\n\\x1b[0m'\n" },
		{ "events", "--members", "x", "wsidctl events: --members takes an event id\n" },
		{ "events", "stray", NULL, "usage: wsidctl [--db PATH] [--config PATH] events " },
	};

	/* nothing listens: a usage error must not reach for the daemon */
	unlink(sock);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ctl_verb *v = ctl_verb_find(cases[i][0]);
		int rc;

		fx_ctl_env(&env, NULL, "/nonexistent/wsid.db", sock);
		env.verb = v;
		if (cases[i][2])
			rc = fx_ctl(v->fn, &env, &out, &err, cases[i][0], cases[i][1], cases[i][2], NULL);
		else
			rc = fx_ctl(v->fn, &env, &out, &err, cases[i][0], cases[i][1], NULL);
		T_CHECK(rc == EXIT_USAGE, "%s %s: %d", cases[i][0], cases[i][1], rc);
		T_CHECK(strncmp(err, cases[i][3], strlen(cases[i][3])) == 0, "%s %s: '%s'", cases[i][0],
			cases[i][1], err);
		T_CHECK(out[0] == '\0', "%s: stdout '%s'", cases[i][0], out);
		free(out);
		free(err);
	}
}

static void
test_simple_calls(void)
{
	char *out = NULL, *err = NULL, req[4096] = "", want[512];
	const char *hostile = "/srv/a\nb \x01/..";
	unsigned char dec[256];
	size_t dlen = 0;
	const char *end = NULL;
	struct ctl_env env;
	int rc = -1;

	/* sync: the timeout in ms; ok says nothing */
	ASK("{\"ok\":true}\n", rc, out, err, "sync");
	T_EQ_STR(req, "sync 600000\n");
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "");
	T_EQ_STR(err, "");
	free(out);
	free(err);
	ASK("{\"ok\":true,\"pending\":0}\n", rc, out, err, "sync", "--timeout", "5");
	T_EQ_STR(req, "sync 5000\n");
	T_EQ_INT(rc, 0);
	free(out);
	free(err);
	/* refused: the reply on stdout, its error on stderr, exit 3 */
	ASK("{\"ok\":false,\"error\":\"timed out with 3 pending\"}\n", rc, out, err, "sync");
	T_EQ_INT(rc, EXIT_ERROR);
	T_EQ_STR(out, "{\"ok\":false,\"error\":\"timed out with 3 pending\"}\n");
	T_EQ_STR(err, "wsidctl sync: timed out with 3 pending\n");
	free(out);
	free(err);

	/* rescan: all, or one webspace named in base64 on the one line */
	ASK("{\"ok\":true}\n", rc, out, err, "rescan", "--all");
	T_EQ_STR(req, "rescan\n");
	T_EQ_INT(rc, 0);
	free(out);
	free(err);
	ASK("{\"ok\":true}\n", rc, out, err, "rescan");
	T_EQ_STR(req, "rescan\n");
	free(out);
	free(err);
	ASK("{\"ok\":false,\"error\":\"no such webspace\"}\n", rc, out, err, "rescan", hostile);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(req, "rescan ", 7) == 0 && strchr(req, '\n') == req + strlen(req) - 1,
		"request '%s'", req);
	req[strlen(req) - 1] = '\0';
	T_OK(sodium_base642bin(dec, sizeof(dec), req + 7, strlen(req + 7), NULL, &dlen, &end,
			       sodium_base64_VARIANT_ORIGINAL) == 0);
	T_OK(dlen == strlen(hostile) && memcmp(dec, hostile, dlen) == 0);
	T_EQ_STR(err, "wsidctl rescan: no such webspace\n");
	free(out);
	free(err);

	/* reload; with --json the reply is printed even when ok */
	fx_ctl_env(&env, NULL, fx.db, sock);
	ASK("{\"ok\":true,\"webspaces\":4}\n", rc, out, err, "reload");
	T_EQ_STR(req, "reload\n");
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	{
		struct fx_daemon fk;

		fx_ctl_env(&env, NULL, fx.db, sock);
		env.json = true;
		env.verb = ctl_verb_find("reload");
		if (fx_daemon_start(&fk, sock, "{\"ok\":true,\"webspaces\":4}\n") == 0) {
			rc = fx_ctl(ctl_reload, &env, &out, &err, "reload", NULL);
			T_EQ_STR(fx_daemon_done(&fk), "reload\n");
			T_EQ_INT(rc, 0);
			T_EQ_STR(out, "{\"ok\":true,\"webspaces\":4}\n");
			free(out);
			free(err);
		}
	}
	/* a daemon that hangs up without answering */
	ASK(NULL, rc, out, err, "reload");
	T_EQ_STR(req, "reload\n");
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl reload: ", 16) == 0, "%s", err);
	free(out);
	free(err);

	/* no daemon: the documented message, exit 3 */
	unlink(sock);
	fx_ctl_env(&env, NULL, fx.db, sock);
	env.verb = ctl_verb_find("sync");
	rc = fx_ctl(ctl_sync, &env, &out, &err, "sync", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl sync: %s: No such file or directory\n", sock);
	T_EQ_STR(err, want);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

static void
test_follow(void)
{
	const char *stream = "{\"ok\":true}\n"
			     "{\"id\":1,\"customer\":\"alice\",\"verdict\":\"malicious\",\"severity\":\"critical\"}\n"
			     "{\"id\":2,\"customer\":\"bob\",\"verdict\":\"malicious\",\"severity\":\"critical\"}\n"
			     "{\"id\":3,\"customer\":\"alice\",\"verdict\":\"new\",\"severity\":\"info\"}\n";
	char *out = NULL, *err = NULL, req[4096] = "", want[512];
	struct ctl_env env;
	int rc = -1;

	ASK(stream, rc, out, err, "events", "--follow");
	T_EQ_STR(req, "follow\n");
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, strchr(stream, '\n') + 1); /* all but the acknowledgement */
	free(out);
	free(err);
	ASK(stream, rc, out, err, "events", "--follow", "--customer", "alice", "--severity", "warning");
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "{\"id\":1,\"customer\":\"alice\",\"verdict\":\"malicious\",\"severity\":\"critical\"}\n");
	free(out);
	free(err);
	ASK(stream, rc, out, err, "events", "--follow", "--verdict", "new");
	T_EQ_STR(out, "{\"id\":3,\"customer\":\"alice\",\"verdict\":\"new\",\"severity\":\"info\"}\n");
	free(out);
	free(err);

	unlink(sock);
	fx_ctl_env(&env, NULL, fx.db, sock);
	env.verb = ctl_verb_find("events");
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", "--follow", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl: %s: No such file or directory (is wsid running?)\n", sock);
	T_EQ_STR(err, want);
	free(out);
	free(err);
}

/* events from the database: three events of two customers, one hostile path */
static void
test_events_db(void)
{
	const char *hostile = "wp-content/x\n\x1b[2Jevil.php";
	struct event_row e;
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, *nl, want[256];
	int64_t ws, ws2, id;
	bool base;
	int rc;

	T_EQ_INT(state_webspace_upsert(fx.st, "/srv/a", "alice", &ws, &base), 0);
	T_EQ_INT(state_webspace_upsert(fx.st, "/srv/b", "bob", &ws2, &base), 0);
	e = fx_event(ws, "index.php", VERDICT_TAMPERED, SEV_CRITICAL);
	T_EQ_INT(state_event_add(fx.st, &e, &id), 0);
	e = fx_event(ws, hostile, VERDICT_SUSPICIOUS, SEV_WARNING);
	T_EQ_INT(state_event_add(fx.st, &e, &id), 0);
	e = fx_event(ws2, "readme.txt", VERDICT_NEW, SEV_INFO);
	e.customer = "bob";
	T_EQ_INT(state_event_add(fx.st, &e, &id), 0);

	fx_ctl_env(&env, NULL, fx.db, sock);
	env.verb = ctl_verb_find("events");
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", "--json", NULL);
	T_EQ_INT(rc, 0);
	/* three lines, each an event, the hostile path escaped within its line */
	{
		int lines = 0;
		char *p = out;

		while ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			o = fx_json(p);
			T_OK(o != NULL);
			if (lines == 1) {
				T_CHECK(fx_jstr(o, "path") && strlen(fx_jstr(o, "path")) == 7 + strlen(hostile) &&
						strncmp(fx_jstr(o, "path"), "/srv/a/", 7) == 0 &&
						strcmp(fx_jstr(o, "path") + 7, hostile) == 0, "%s", p);
				T_EQ_STR(fx_jstr(o, "verdict"), "suspicious");
			}
			jsonp_free(o);
			lines++;
			p = nl + 1;
		}
		T_EQ_INT(lines, 3);
	}
	free(out);
	free(err);
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", "--json", "--customer", "bob", NULL);
	T_EQ_INT(rc, 0);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "customer"), "bob");
	T_EQ_STR(fx_jstr(o, "path"), "/srv/b/readme.txt");
	jsonp_free(o);
	free(out);
	free(err);
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", "--json", "--severity", "critical", NULL);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "verdict"), "tampered");
	T_OK(strchr(out, '\n') == out + strlen(out) - 1);
	jsonp_free(o);
	free(out);
	free(err);
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", "--limit", "1", "--verdict", "suspicious", NULL);
	T_EQ_INT(rc, 0);
	/* text: the hostile name cannot start a line of its own or reach the terminal raw */
	T_CHECK(strchr(out, '\x1b') == NULL && strstr(out, "x\\n\\x1b[2Jevil.php") != NULL, "%s", out);
	T_EQ_INT(strchr(out, '\n') - out + 1, (long long)strlen(out));
	free(out);
	free(err);
	/* a date after them: nothing */
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", "--since", "2030-01-01", NULL);
	T_EQ_INT(rc, 0);
	T_EQ_STR(out, "");
	free(out);
	free(err);

	/* no database there, and one that is not a database */
	fx_ctl_env(&env, NULL, fx_path(&fx, "none.db"), sock);
	env.verb = ctl_verb_find("events");
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl: ");
	T_CHECK(strncmp(err, want, strlen(want)) == 0 && strstr(err, "none.db") != NULL, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	fx_put(fx_path(&fx, "junk.db"), "this is not an SQLite database, it is text\n");
	fx_ctl_env(&env, NULL, fx_path(&fx, "junk.db"), sock);
	env.verb = ctl_verb_find("events");
	rc = fx_ctl(ctl_events, &env, &out, &err, "events", NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: ", 9) == 0, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
}

int
main(void)
{
	if (fx_open(&fx, "ctldaemon") < 0)
		return 1;
	snprintf(sock, sizeof(sock), "%s/control", fx.dir);
	T_RUN(test_status);
	T_RUN(test_status_down);
	T_RUN(test_status_prometheus);
	T_RUN(test_usage_errors);
	T_RUN(test_simple_calls);
	T_RUN(test_follow);
	T_RUN(test_events_db);
	fx_close(&fx);
	T_DONE();
}
