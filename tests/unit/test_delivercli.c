// SPDX-License-Identifier: GPL-2.0-or-later
/* delivercli: which command lines are the delivery modes; wsid --deliver
 * USER run as the daemon runs it (a socketpair on fd 3: it says hello with
 * its sandbox, skips the options it does not know, ends when the daemon's
 * end closes); wsid --deliver-listen's usage errors (exit 2), a socket path
 * too long, and a service that really listens, said hello to by a
 * connection as root and stopped by SIGTERM. What it delivers is
 * test_deliver's and integration/notify's. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "fixture.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/wsid-test-delivercli.XXXXXX";
static int child_fd = -1, parent_fd = -1; /* the socketpair's ends */

static bool
mode(const char *const *args)
{
	char *argv[8];
	int n = 0;

	while (args[n] && n < 7) {
		argv[n] = xstrdup(args[n]);
		n++;
	}
	argv[n] = NULL;
	{
		bool r = deliver_cli_mode(n, argv);

		while (n > 0)
			free(argv[--n]);
		return r;
	}
}

static void
test_mode(void)
{
	T_OK(mode((const char *const[]){ "wsid", "--deliver", "nobody", NULL }));
	T_OK(mode((const char *const[]){ "wsid", "--deliver-listen", "/run/x", "--user", "u", NULL }));
	T_OK(!mode((const char *const[]){ "wsid", "--deliver", NULL }));
	T_OK(!mode((const char *const[]){ "wsid", NULL }));
	T_OK(!mode((const char *const[]){ "wsid", "--config", "/etc/wsid/wsid.yaml", NULL }));
	T_OK(!mode((const char *const[]){ "wsid", "--delivery", "nobody", NULL }));
	/* only as the first argument, as the daemon writes it */
	T_OK(!mode((const char *const[]){ "wsid", "--foreground", "--deliver", "nobody", NULL }));
}

/* reads the hello from fd (at most 5 s); its sandbox into sb */
static bool
read_hello(int fd, char *sb, size_t sz)
{
	char buf[512];
	size_t len = 0;

	while (len < sizeof(buf)) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 5000) <= 0)
			return false;
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		if (deliver_hello_decode(buf, len, sb, sz) > 0)
			return true;
	}
	return false;
}

/* deliver_cli, ended with _exit: once it runs as nobody, LeakSanitizer
 * (an ASan build) cannot read /proc/self/task at exit and would turn the
 * exit code into 1 */
static int
cli_dropped(int argc, char **argv)
{
	int rc = deliver_cli(argc, argv);

	fflush(NULL);
	_exit(rc);
}

/* the same with child_fd on fd 3, as the daemon starts it */
static int
cli_on_fd3(int argc, char **argv)
{
	/* the daemon's end is the parent's alone: its close is the EOF */
	close(parent_fd);
	if (dup2(child_fd, 3) < 0)
		return 125;
	return cli_dropped(argc, argv);
}

/* fx_run_main in the background: the pid */
static pid_t
start(int (*fn)(int, char **), const char *const *args)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();

	if (pid == 0) {
		/* a process group of its own: fx_run_main runs fn in a child
		 * of this one, and a signal must reach both */
		setpgid(0, 0);
		if (parent_fd >= 0)
			close(parent_fd);
		_exit(fx_run_main(fn, args, dir, NULL));
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* what the last main run in the background said on stderr (static) */
static const char *
said(void)
{
	static char *text;
	char path[128];
	size_t n;

	free(text);
	snprintf(path, sizeof(path), "%s/main.err", dir);
	text = t_slurp(path, &n);
	return t_str(text);
}

static int
reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
test_child(void)
{
	int sp[2];
	char sb[64] = "";
	pid_t pid;
	int rc;

	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	child_fd = sp[1];
	parent_fd = sp[0];
	pid = start(cli_on_fd3, (const char *const[]){ "wsid", "--deliver", "nobody", "--newer-option",
						       "x", "--sandbox", "optional", NULL });
	close(sp[1]);
	T_OK(read_hello(sp[0], sb, sizeof(sb)));
	T_CHECK(strcmp(sb, "landlock") == 0 || strcmp(sb, "none (optional)") == 0, "'%s'", sb);
	/* the daemon's end closes: nothing in flight, it ends */
	close(sp[0]);
	parent_fd = -1;
	rc = reap(pid);
	T_CHECK(rc == 0, "%d: %s", rc, said());
}

/* wsid --deliver-listen ARGS...: the exit code, what it said in m */
static int
listen_cli(struct fx_main *m, const char *const *args)
{
	return fx_run_main(deliver_cli, args, dir, m);
}

static void
test_listen_usage(void)
{
	struct fx_main m = { 0 };
	char sock[192], *lng;
	int rc;

	snprintf(sock, sizeof(sock), "%s/deliver.sock", dir);
	rc = listen_cli(&m, (const char *const[]){ "wsid", "--deliver-listen", sock, "--frobnicate", "x", NULL });
	T_EQ_INT(rc, 2);
	T_CHECK(m.err && strncmp(m.err, "usage: wsid --deliver-listen PATH [--user USER]", 47) == 0, "%s",
		t_str(m.err));
	rc = listen_cli(&m, (const char *const[]){ "wsid", "--deliver-listen", sock, "--sandbox", "maybe", NULL });
	T_EQ_INT(rc, 2);
	T_CHECK(m.err && strstr(m.err, "usage: wsid --deliver-listen") != NULL, "%s", t_str(m.err));
	T_EQ_INT(access(sock, F_OK), -1);

	/* longer than a unix socket's name can be */
	lng = xasprintf("%s/%0200d/%0200d", dir, 0, 0);
	rc = listen_cli(&m, (const char *const[]){ "wsid", "--deliver-listen", lng, NULL });
	T_EQ_INT(rc, 1);
	T_CHECK(m.err && strstr(m.err, "socket path too long") != NULL, "%s", t_str(m.err));
	free(lng);
	fx_main_free(&m);
}

static void
test_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char sb[64] = "";
	pid_t pid;
	int fd = -1, i, r;

	if (geteuid() != 0) {
		printf("# not root: the service takes only root's connections\n");
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/listen.sock", dir);
	pid = start(cli_dropped, (const char *const[]){ "wsid", "--deliver-listen", sa.sun_path, "--user",
							"nobody", "--sandbox", "optional", NULL });
	for (i = 0; i < 250; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		usleep(20000);
	}
	T_OK(fd >= 0);
	if (fd >= 0) {
		T_OK(read_hello(fd, sb, sizeof(sb)));
		T_CHECK(strcmp(sb, "landlock") == 0 || strcmp(sb, "none (optional)") == 0, "'%s'", sb);
		close(fd);
	}
	/* the service and fx_run_main's process around it: the group */
	kill(-pid, SIGTERM);
	r = reap(pid);
	/* fx_run_main's child ended by the signal, or the service's own exit */
	T_CHECK(r == 0 || r == 128 + SIGTERM, "%d", r);
	/* nothing of it outlives the test (the service ran on as nobody):
	 * orphaned, it is this process's to reap (a subreaper, main) */
	for (i = 0; i < 250 && kill(-pid, 0) == 0; i++) {
		while (waitpid(-pid, NULL, WNOHANG) > 0)
			;
		usleep(20000);
	}
	T_CHECK(kill(-pid, 0) == -1 && errno == ESRCH, "process group %d still there", (int)pid);
	if (kill(-pid, 0) == 0) {
		kill(-pid, SIGKILL);
		while (waitpid(-pid, NULL, 0) > 0)
			;
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	/* what a test's child leaves orphaned is reparented here */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	T_RUN(test_mode);
	T_RUN(test_child);
	T_RUN(test_listen_usage);
	T_RUN(test_listen);
	t_rmtree(dir);
	T_DONE();
}
