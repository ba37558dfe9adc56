// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl's main (src/wsidctl.c, built into this program with its main
 * renamed, see below), each run in a child process as the binary runs:
 * --version and --help, the usage errors and their exit codes (2), an
 * unknown verb, a global option without its value (before and after the
 * verb), a verb's --help, global options after the verb, the configuration
 * (a named one that is missing or broken ends with exit 3 and a message
 * naming the file and the problem; a good one gives the socket), and the
 * daemon-down answer of status, as text and as its JSON line. The verbs
 * themselves have their own programs and the integration suite
 * (integration/cli) runs the real binary against a real daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "t.h"

/* the seam: wsidctl.c compiled here with its main renamed (its statics,
 * the global options, stay in this program); libwsid.a holds the rest */
int wsidctl_main(int argc, char **argv);
#define main wsidctl_main
#include "../../src/wsidctl.c"
#undef main

static char dir[] = "/tmp/wsid-test-wsidctl.XXXXXX";
static struct fx_main m; /* what the last run printed */

static int
run(const char *const *args)
{
	return fx_run_main(wsidctl_main, args, dir, &m);
}

#define RUN(...) run((const char *const[]){ "wsidctl", __VA_ARGS__, NULL })

static void
test_version_help(void)
{
	T_EQ_INT(RUN("--version"), 0);
	T_EQ_STR(m.out, "wsidctl " WSID_VERSION "\n");
	T_EQ_INT(RUN("--help"), 0);
	T_CHECK(strstr(m.out, "status") && strstr(m.out, "index") && strstr(m.out, "quarantine"), "%s", m.out);
	/* no verb: the help, as a usage error */
	T_EQ_INT(run((const char *const[]){ "wsidctl", NULL }), EXIT_USAGE);
	T_CHECK(strstr(m.out, "status") || strstr(m.err, "status"), "%s%s", m.out, m.err);
	/* a verb's --help: its usage line, nothing run */
	T_EQ_INT(RUN("status", "--help"), 0);
	T_CHECK(strncmp(m.out, "usage: wsidctl [--db PATH] [--config PATH] status", 49) == 0, "%s", m.out);
	T_EQ_INT(RUN("help", "sync"), 0);
	T_CHECK(strstr(m.out, "sync [--timeout SECONDS]") != NULL, "%s", m.out);
}

static void
test_usage_errors(void)
{
	T_EQ_INT(RUN("frobnicate"), EXIT_USAGE);
	T_CHECK(strstr(m.err, "unknown verb 'frobnicate'") != NULL, "%s", m.err);
	T_EQ_INT(RUN("--bogus", "status"), EXIT_USAGE);
	T_CHECK(strstr(m.err, "bogus") != NULL, "%s", m.err);
	T_EQ_INT(RUN("status", "--db"), EXIT_USAGE);
	T_CHECK(strstr(m.err, "--db needs a value") != NULL, "%s", m.err);
	T_EQ_INT(RUN("status", "--socket"), EXIT_USAGE);
	T_CHECK(strstr(m.err, "--socket needs a value") != NULL, "%s", m.err);
	T_EQ_INT(RUN("--db"), EXIT_USAGE);
}

static void
test_config(void)
{
	char cfg[192], bad[192], missing[192], sock[192], want[512];
	int rc;

	snprintf(missing, sizeof(missing), "%s/none.yaml", dir);
	T_EQ_INT(RUN("--config", missing, "status"), EXIT_ERROR);
	T_CHECK(strstr(m.err, missing) != NULL, "%s", m.err);

	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	T_EQ_INT(fx_put(bad, "database: relative/db\n"), 0);
	T_EQ_INT(RUN("--config", bad, "status"), EXIT_ERROR);
	T_CHECK(strstr(m.err, "bad.yaml:1:11: database: expected an absolute path") != NULL, "%s", m.err);
	/* taken after the verb too */
	rc = RUN("status", "--config", bad);
	T_CHECK(rc == EXIT_ERROR, "%d: %s", rc, m.err);
	T_CHECK(strstr(m.err, "expected an absolute path") != NULL, "%s", m.err);

	/* a good one tells where the socket is: nobody listens there */
	snprintf(cfg, sizeof(cfg), "%s/good.yaml", dir);
	snprintf(sock, sizeof(sock), "%s/control", dir);
	snprintf(want, sizeof(want), "database: %s/wsid.db\ncontrol_socket: %s\n", dir, sock);
	T_EQ_INT(fx_put(cfg, want), 0);
	T_EQ_INT(RUN("--config", cfg, "status"), 1);
	snprintf(want, sizeof(want), "daemon       down (%s: No such file or directory)\n", sock);
	T_EQ_STR(m.out, want);
	/* --socket overrides it, after the verb and with '=' */
	snprintf(want, sizeof(want), "--socket=%s/other", dir);
	T_EQ_INT(RUN("--config", cfg, "status", want), 1);
	T_CHECK(strstr(m.out, "/other: No such file") != NULL, "%s", m.out);
}

static void
test_status_down_json(void)
{
	char sock[192], want[512];

	snprintf(sock, sizeof(sock), "%s/nobody", dir);
	T_EQ_INT(RUN("--json", "--socket", sock, "status"), 1);
	snprintf(want, sizeof(want),
		 "{\"daemon\":\"down\",\"socket\":\"%s\",\"error\":\"No such file or directory\"}\n", sock);
	T_EQ_STR(m.out, want);
	/* a socket path with a quote still gives one JSON object */
	snprintf(sock, sizeof(sock), "%s/a\"b", dir);
	T_EQ_INT(RUN("--json", "--socket", sock, "status"), 1);
	snprintf(want, sizeof(want),
		 "{\"daemon\":\"down\",\"socket\":\"%s/a\\\"b\",\"error\":\"No such file or directory\"}\n",
		 dir);
	T_EQ_STR(m.out, want);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	T_RUN(test_version_help);
	T_RUN(test_usage_errors);
	T_RUN(test_config);
	T_RUN(test_status_down_json);
	fx_main_free(&m);
	t_rmtree(dir);
	T_DONE();
}
