// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's main (src/wsid.c, built into this program with its main
 * renamed, see below): the options, run in a child process as the binary
 * runs them (--version, --help, a usage error and a stray argument with
 * exit 2, --check-config on a good configuration (0, "PATH: valid"), on a
 * broken, a missing and a host-invalid one (1, the message naming the file,
 * line and problem), the delivery modes' dispatch; and in-process what runs
 * without the loop: the control verbs' table (which verbs need root), the
 * dispatch of a request through a real control socket (a verb that needs
 * root refused to a peer that is not root, an unknown verb, reload), and
 * the reload path refusing a bad configuration and keeping the running one,
 * and one that succeeds over a real engine.
 *
 * The daemon loop itself (fanotify, the engine, notifications, signals) is
 * covered by the integration suites that run the real binary as root
 * (integration/daemon, metrics, notify, respond...). */
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctlclient.h"
#define FX_NO_CTL
#include "fixture.h"
#include "t.h"

/* the seam: wsid.c compiled here with its main renamed; its statics (the
 * daemon's state d, the verbs' table, reload_config) are this program's */
int wsid_main(int argc, char **argv);
#define main wsid_main
#include "../../src/wsid.c"
#undef main

static char dir[] = "/tmp/wsid-test-wsid.XXXXXX";
static struct fx_main m; /* what the last run printed */

static int
run(const char *const *args)
{
	return fx_run_main(wsid_main, args, dir, &m);
}

#define RUN(...) run((const char *const[]){ "wsid", __VA_ARGS__, NULL })

static void
test_options(void)
{
	T_EQ_INT(RUN("--version"), 0);
	T_EQ_STR(m.out, "wsid " WSID_VERSION "\n");
	T_EQ_INT(RUN("--help"), 0);
	T_CHECK(strncmp(m.out, "usage: wsid [--config PATH]", 27) == 0 && strstr(m.out, "--check-config"),
		"%s", m.out);
	T_EQ_INT(RUN("--frobnicate"), 2);
	T_CHECK(strstr(m.err, "usage: wsid") != NULL && m.out[0] == '\0', "%s|%s", m.out, m.err);
	T_EQ_INT(RUN("--check-config", "stray"), 2);
	T_CHECK(strstr(m.err, "usage: wsid") != NULL, "%s", m.err);
	T_EQ_INT(RUN("--config"), 2);
}

static void
test_check_config(void)
{
	char good[192], bad[192], missing[192], host[192], text[512];

	snprintf(good, sizeof(good), "%s/good.yaml", dir);
	snprintf(text, sizeof(text), "database: %s/wsid.db\ncontrol_socket: %s/control\n", dir, dir);
	T_EQ_INT(fx_put(good, text), 0);
	T_EQ_INT(RUN("--config", good, "--check-config"), 0);
	snprintf(text, sizeof(text), "%s: valid\n", good);
	T_EQ_STR(m.out, text);

	/* each refusal names the file, the line and column, and the problem */
	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	T_EQ_INT(fx_put(bad, "database: /x.db\nhash_wokers: 4\n"), 0);
	T_EQ_INT(RUN("--check-config", "--config", bad), 1);
	T_CHECK(strstr(m.err, "bad.yaml:2:1: top level: unknown key 'hash_wokers'") != NULL, "%s", m.err);
	T_EQ_STR(m.out, "");
	T_EQ_INT(fx_put(bad, "max_file_size: big\n"), 0);
	T_EQ_INT(RUN("--check-config", "--config", bad), 1);
	T_CHECK(strstr(m.err, "bad.yaml:1:16: max_file_size: expected a size") != NULL, "%s", m.err);

	snprintf(missing, sizeof(missing), "%s/none.yaml", dir);
	T_EQ_INT(RUN("--check-config", "--config", missing), 1);
	T_CHECK(strstr(m.err, missing) != NULL, "%s", m.err);

	/* valid YAML, but not on this host: the metrics directory is missing */
	snprintf(host, sizeof(host), "%s/host.yaml", dir);
	snprintf(text, sizeof(text), "database: %s/wsid.db\nmetrics:\n  textfile: %s/no/such/dir/wsid.prom\n",
		 dir, dir);
	T_EQ_INT(fx_put(host, text), 0);
	T_EQ_INT(RUN("--check-config", "--config", host), 1);
	T_CHECK(strstr(m.err, "host.yaml:") && strstr(m.err, "metrics.textfile: its directory"), "%s", m.err);
}

static void
test_deliver_dispatch(void)
{
	char sock[192];

	/* wsid --deliver-listen with an option it does not know: its usage */
	snprintf(sock, sizeof(sock), "%s/deliver", dir);
	T_EQ_INT(RUN("--deliver-listen", sock, "--frobnicate", "x"), 2);
	T_CHECK(strstr(m.err, "usage: wsid --deliver-listen PATH") != NULL, "%s", m.err);
	/* "--deliver" alone is not the delivery mode: a daemon option it does not know */
	T_EQ_INT(RUN("--deliver"), 2);
	T_CHECK(strstr(m.err, "usage: wsid [--config PATH]") != NULL, "%s", m.err);
}

static void
test_verbs_table(void)
{
	static const char *const readonly[] = { "status", "follow", "sync" };
	size_t i, k, nro = 0;

	for (i = 0; i < ARRAY_SIZE(ctl_verbs); i++) {
		bool ro = false;

		for (k = 0; k < ARRAY_SIZE(readonly); k++)
			ro |= strcmp(ctl_verbs[i].name, readonly[k]) == 0;
		nro += ro;
		T_CHECK(ctl_verbs[i].needs_root == !ro, "%s", ctl_verbs[i].name);
		T_OK(ctl_verbs[i].fn != NULL);
	}
	T_EQ_INT(nro, ARRAY_SIZE(readonly));
	T_OK(ARRAY_SIZE(ctl_verbs) >= 9);
}

/* one request from a child process (as uid/gid when uid is not 0), served
 * here by the control socket; the reply line, malloc'ed */
static char *
ask(const char *sock, uid_t uid, const char *verb)
{
	char path[192], *reply = NULL;
	pid_t pid;
	int st;
	size_t n;

	snprintf(path, sizeof(path), "%s/reply", dir);
	unlink(path);
	pid = fork();
	if (pid == 0) {
		FILE *f;

		if (uid != 0 && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0))
			_exit(2);
		if (ctlclient_call(sock, verb, NULL, 5000, &reply) < 0)
			_exit(3);
		if (uid != 0 && (setuid(0) == 0))
			_exit(4); /* not dropped */
		f = fopen(path, "w");
		if (f == NULL)
			_exit(5);
		fputs(reply, f);
		fclose(f);
		_exit(0);
	}
	for (;;) {
		struct pollfd pf = { .fd = control_fd(d.ctl), .events = POLLIN };

		poll(&pf, 1, 20);
		control_dispatch(d.ctl);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("# client of '%s' as uid %u ended with %d\n", verb, (unsigned)uid, st);
		return NULL;
	}
	return t_slurp(path, &n);
}

static void
test_control_dispatch(void)
{
	const uid_t nobody = 65534;
	char sock[192], bad[192], good[192], text[512], err2[1024];
	struct config *running = NULL;
	char *r;

	if (geteuid() != 0) {
		printf("# not root: the control socket's peers are not tested\n");
		return;
	}
	/* the client running as nobody reaches the socket through its group
	 * (as the read-only group of the configuration) and writes its reply
	 * into the directory */
	T_EQ_INT(chmod(dir, 0777), 0);
	snprintf(sock, sizeof(sock), "%s/run/control", dir);
	T_EQ_INT(control_open(sock, nobody, on_control, NULL, &d.ctl), 0);
	if (d.ctl == NULL)
		return;

	/* the running configuration, and a bad one in its file: a reload is
	 * refused and the running one kept */
	snprintf(good, sizeof(good), "%s/run.yaml", dir);
	snprintf(text, sizeof(text), "database: %s/wsid.db\ncontrol_socket: %s\n", dir, sock);
	T_EQ_INT(fx_put(good, text), 0);
	T_EQ_INT(config_load(good, &running, err2, sizeof(err2)), 0);
	d.cfg = running;
	snprintf(bad, sizeof(bad), "%s/reload.yaml", dir);
	T_EQ_INT(fx_put(bad, "database: /x.db\nlog_level: chatty\n"), 0);
	d.config_path = bad;
	err2[0] = '\0';
	T_OK(reload_config(err2, sizeof(err2)) < 0);
	T_CHECK(strstr(err2, "reload.yaml:2:12: log_level") != NULL, "%s", err2);
	T_OK(d.cfg == running);

	/* as root: reload answers with the same refusal; an unknown verb is named */
	r = ask(sock, 0, "reload");
	T_CHECK(r && strstr(r, "\"ok\":false") && strstr(r, "reload.yaml:2:12: log_level"), "%s", t_str(r));
	free(r);
	T_OK(d.cfg == running);
	r = ask(sock, 0, "frobnicate");
	T_EQ_STR(r, "{\"ok\":false,\"error\":\"unknown verb\"}");
	free(r);

	/* not root: every verb that changes something is refused before it runs */
	r = ask(sock, nobody, "reload");
	T_EQ_STR(r, "{\"ok\":false,\"error\":\"permission denied: this verb needs root\"}");
	free(r);
	r = ask(sock, nobody, "rescan");
	T_EQ_STR(r, "{\"ok\":false,\"error\":\"permission denied: this verb needs root\"}");
	free(r);
	r = ask(sock, nobody, "frobnicate");
	T_EQ_STR(r, "{\"ok\":false,\"error\":\"permission denied: this verb needs root\"}");
	free(r);

	control_free(d.ctl);
	d.ctl = NULL;
	d.cfg = NULL;
	config_free(running);
}

/* A reload that succeeds, in-process over a real engine (what the loop
 * would hold): the new configuration replaces the running one, its log
 * level applies, the old metrics textfile is removed when the new one
 * names none; then over the socket: "reload" answers ok. */
static void
test_reload(void)
{
	struct engine_opts eo = { 0 };
	struct config *first = NULL;
	char cfg[192], prom[192], sock[192], text[1024], e[1024];
	struct fx f;
	char *r;
	size_t i;

	if (fx_open(&f, "wsid") < 0)
		return;
	snprintf(cfg, sizeof(cfg), "%s/wsid.yaml", f.dir);
	snprintf(prom, sizeof(prom), "%s/wsid.prom", f.dir);
	snprintf(sock, sizeof(sock), "%s/run/control", f.dir);
	snprintf(text, sizeof(text), "database: %s\ncontrol_socket: %s\nlog_level: warning\n"
		 "analysis:\n  enabled: false\nmetrics:\n  textfile: %s\n", f.db, sock, prom);
	T_EQ_INT(fx_put(cfg, text), 0);
	T_EQ_INT(config_load(cfg, &first, e, sizeof(e)), 0);
	if (first == NULL) {
		fx_close(&f);
		return;
	}
	d.cfg = first;
	d.config_path = cfg;
	d.s = f.s; /* the daemon's store: a reload marks the webspaces it no longer names */
	eo.dbpath = f.db;
	eo.hash_workers = 1;
	T_EQ_INT(engine_new(f.s, &eo, &d.e), 0);
	d.ra = reqattr_new();
	timers_init(&d.timers, timer_fire, TIMER_MAX);
	T_EQ_INT(fx_put(prom, "wsid_up 1\n"), 0); /* as the last write left it */
	log_set_level(LOG_LEVEL_WARNING);

	/* the file now: debug, no textfile */
	snprintf(text, sizeof(text), "database: %s\ncontrol_socket: %s\nlog_level: debug\n"
		 "analysis:\n  enabled: false\n", f.db, sock);
	T_EQ_INT(fx_put(cfg, text), 0);
	e[0] = '\0';
	T_CHECK(d.e && reload_config(e, sizeof(e)) == 0, "%s", e);
	T_OK(d.cfg != first && d.cfg->metrics_textfile == NULL);
	T_EQ_INT(log_get_level(), LOG_LEVEL_DEBUG);
	T_EQ_INT(access(prom, F_OK), -1);
	log_set_level(LOG_LEVEL_ERR);

	/* the verb over the socket, as root */
	T_EQ_INT(control_open(sock, 0, on_control, NULL, &d.ctl), 0);
	if (d.ctl) {
		snprintf(text, sizeof(text), "database: %s\ncontrol_socket: %s\nlog_level: error\n"
			 "analysis:\n  enabled: false\n", f.db, sock);
		T_EQ_INT(fx_put(cfg, text), 0);
		r = ask(sock, 0, "reload");
		T_EQ_STR(r, "{\"ok\":true,\"reloaded\":true}");
		free(r);
		T_EQ_INT(log_get_level(), LOG_LEVEL_ERR);
		control_free(d.ctl);
		d.ctl = NULL;
	}

	engine_free(d.e);
	d.e = NULL;
	d.s = NULL;
	reqattr_free(d.ra);
	d.ra = NULL;
	for (i = 0; i < d.nreal_patterns; i++)
		free(d.real_patterns[i]);
	free(d.real_patterns);
	d.real_patterns = NULL;
	d.nreal_patterns = 0;
	config_free(d.cfg);
	d.cfg = NULL;
	fx_close(&f);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	log_init("wsid-test", LOG_LEVEL_ERR, false);
	T_RUN(test_options);
	T_RUN(test_check_config);
	T_RUN(test_deliver_dispatch);
	T_RUN(test_verbs_table);
	T_RUN(test_control_dispatch);
	T_RUN(test_reload);
	fx_main_free(&m);
	t_rmtree(dir);
	T_DONE();
}
