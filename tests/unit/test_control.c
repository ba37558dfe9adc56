// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket server on a real Unix socket, dispatched from this
 * thread while clients run in a thread (root) and in forked children with
 * other credentials: requests reach the handler split into verb and arg,
 * replies come back as lines; root is privileged, a member of the read group
 * is served unprivileged, anyone else is refused; a malformed or oversized
 * line gets an error and the connection closed; followers get broadcasts.
 * And control_parse_line's cases. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "ctlclient.h"
#include "t.h"

static char dir[] = "/tmp/wsid-test-control.XXXXXX";
static char sock[128];
static struct control *ctl;
static atomic_int client_done;

static void
on_request(void *ud, uint64_t client, const char *verb, const char *arg, bool privileged)
{
	char line[512];

	(void)ud;
	if (strcmp(verb, "follow") == 0) {
		control_follow(ctl, client);
		control_reply(ctl, client, "{\"ok\":true}", false);
		return;
	}
	snprintf(line, sizeof(line), "{\"ok\":true,\"verb\":\"%s\",\"arg\":\"%s\",\"privileged\":%s}", verb,
		 arg ? arg : "", privileged ? "true" : "false");
	control_reply(ctl, client, line, false);
}

static char reply1[512], reply2[512], reply3[512], bcast[512];
static int rc1, rc2, rc3, rc4;

static void *
root_client(void *arg)
{
	char *r = NULL;
	char big[CONTROL_LINE_MAX + 100];
	struct buf acc, out;
	int fd;

	(void)arg;
	rc1 = ctlclient_call(sock, "status", NULL, 3000, &r);
	snprintf(reply1, sizeof(reply1), "%s", r ? r : "");
	free(r);
	r = NULL;
	rc2 = ctlclient_call(sock, "rescan", "L3Nydi9h", 3000, &r);
	snprintf(reply2, sizeof(reply2), "%s", r ? r : "");
	free(r);
	r = NULL;
	rc3 = ctlclient_call(sock, "STATUS", NULL, 3000, &r); /* not [a-z-] */
	snprintf(reply3, sizeof(reply3), "%s", r ? r : "");
	free(r);
	r = NULL;
	/* oversized: an error, then the end of the stream */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fd = ctlclient_connect(sock);
	buf_init(&acc, 1 << 20);
	buf_init(&out, 1 << 20);
	if (fd >= 0 && ctlclient_send(fd, "status", big) == 0 &&
	    ctlclient_readline(fd, &acc, &out, 3000) == 0 && strstr(out.data, "\"ok\":false") != NULL)
		rc4 = ctlclient_readline(fd, &acc, &out, 3000);
	else
		rc4 = 1;
	if (fd >= 0)
		close(fd);
	/* a follower gets broadcasts */
	fd = ctlclient_connect(sock);
	if (fd >= 0 && ctlclient_send(fd, "follow", NULL) == 0 &&
	    ctlclient_readline(fd, &acc, &out, 3000) == 0 && ctlclient_readline(fd, &acc, &out, 3000) == 0)
		snprintf(bcast, sizeof(bcast), "%s", out.data);
	if (fd >= 0)
		close(fd);
	buf_free(&acc);
	buf_free(&out);
	atomic_store(&client_done, 1);
	return NULL;
}

static void
test_root(void)
{
	pthread_t th;
	int i;

	atomic_store(&client_done, 0);
	pthread_create(&th, NULL, root_client, NULL);
	/* broadcast once the follower is registered */
	for (i = 0; i < 1000 && !atomic_load(&client_done); i++) {
		struct pollfd p = { control_fd(ctl), POLLIN, 0 };

		if (poll(&p, 1, 10) > 0)
			control_dispatch(ctl);
		if (control_nfollowers(ctl) > 0 && bcast[0] == '\0')
			control_broadcast(ctl, "{\"event\":1}");
	}
	pthread_join(th, NULL);
	T_EQ_INT(rc1, 0);
	T_EQ_STR(reply1, "{\"ok\":true,\"verb\":\"status\",\"arg\":\"\",\"privileged\":true}");
	T_EQ_INT(rc2, 0);
	T_EQ_STR(reply2, "{\"ok\":true,\"verb\":\"rescan\",\"arg\":\"L3Nydi9h\",\"privileged\":true}");
	T_EQ_INT(rc3, 0);
	T_OK(strstr(reply3, "\"ok\":false") != NULL);
	/* closed after the error (a reset: the rest of the line was never read) */
	T_CHECK(rc4 == -EPIPE || rc4 == -ECONNRESET, "%d", rc4);
	T_EQ_STR(bcast, "{\"event\":1}");
}

/* a child with other credentials asks for status; exit 0 served unprivileged,
 * 1 refused, 2 served privileged, 3 setup failed */
static int
as_user(uid_t uid, gid_t gid)
{
	int st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *r = NULL;

		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(3);
		if (ctlclient_call(sock, "status", NULL, 3000, &r) < 0 || strstr(r, "\"ok\":true") == NULL)
			_exit(1);
		_exit(strstr(r, "\"privileged\":false") ? 0 : 2);
	}
	for (int i = 0; i < 1000; i++) {
		struct pollfd p = { control_fd(ctl), POLLIN, 0 };

		if (poll(&p, 1, 10) > 0)
			control_dispatch(ctl);
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 5;
}

static void
test_credentials(void)
{
	T_EQ_INT(as_user(1234, 1234), 0); /* the read group: served, unprivileged */
	T_EQ_INT(as_user(4321, 4321), 1); /* anyone else: refused */
	T_EQ_INT(control_nclients(ctl), 0);
}

static void
test_parse(void)
{
	static const struct {
		const char *in, *verb, *arg; /* verb NULL: -EINVAL */
	} c[] = {
		{ "status", "status", NULL },
		{ "rescan L3Nydi9h", "rescan", "L3Nydi9h" },
		{ "mark-bad  x y", "mark-bad", " x y" },
		{ "", NULL, NULL },
		{ " status", NULL, NULL },
		{ "Status", NULL, NULL },
		{ "status \x1b[2J", NULL, NULL },
		{ "st4tus", NULL, NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		char line[64], *verb = NULL, *arg = NULL;
		int r;

		snprintf(line, sizeof(line), "%s", c[i].in);
		r = control_parse_line(line, strlen(line), &verb, &arg);
		if (c[i].verb == NULL) {
			T_CHECK(r == -EINVAL, "case %zu: %d", i, r);
			continue;
		}
		T_CHECK(r == 0 && t_streq(verb, c[i].verb), "case %zu: %d %s", i, r, t_str(verb));
		if (c[i].arg)
			T_CHECK(t_streq(arg, c[i].arg), "case %zu: arg %s", i, t_str(arg));
		else
			T_CHECK(arg == NULL || arg[0] == '\0', "case %zu: arg %s", i, t_str(arg));
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	chmod(dir, 0755); /* the other users' children reach the socket */
	snprintf(sock, sizeof(sock), "%s/run/ctl.sock", dir);
	T_EQ_INT(control_open(sock, 1234, on_request, NULL, &ctl), 0);
	if (ctl) {
		T_RUN(test_root);
		T_RUN(test_credentials);
		control_free(ctl);
	}
	T_RUN(test_parse);
	t_rmtree(dir);
	T_DONE();
}
