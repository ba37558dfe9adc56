// SPDX-License-Identifier: GPL-2.0-or-later
/* sd_notify without libsystemd, against real datagram sockets: a path and an
 * abstract ("@") NOTIFY_SOCKET receive the formatted message; no variable is
 * a no-op; a bad one an error; WATCHDOG_USEC only for the pid it names. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "t.h"

static int
bind_dgram(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));

	memcpy(sa.sun_path, name, strlen(name));
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		unlink(name);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0)
		return -1;
	return fd;
}

static void
expect(int fd, const char *want)
{
	char got[2048];
	ssize_t n = recv(fd, got, sizeof(got) - 1, 0);

	T_OK(n >= 0);
	got[n < 0 ? 0 : n] = '\0';
	T_EQ_STR(got, want);
}

static void
test_notify(void)
{
	char path[64], abs[64], big[1500];
	int fd, afd;

	snprintf(path, sizeof(path), "/tmp/wsid-sdn.%d", (int)getpid());
	snprintf(abs, sizeof(abs), "@wsid-sdn.%d", (int)getpid());
	fd = bind_dgram(path);
	afd = bind_dgram(abs);
	T_OK(fd >= 0 && afd >= 0);

	unsetenv("NOTIFY_SOCKET");
	T_EQ_INT(sd_notifyf("READY=1"), 0); /* not under systemd: nothing sent */
	setenv("NOTIFY_SOCKET", path, 1);
	T_EQ_INT(sd_notifyf("STATUS=watching %d webspaces", 12), 0);
	expect(fd, "STATUS=watching 12 webspaces");
	setenv("NOTIFY_SOCKET", abs, 1);
	T_EQ_INT(sd_notifyf("READY=1\nMAINPID=%d", 7), 0);
	expect(afd, "READY=1\nMAINPID=7");
	/* a message longer than the buffer is cut, not overrun */
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ_INT(sd_notifyf("STATUS=%s", big), 0);
	{
		char got[2048];
		ssize_t n = recv(afd, got, sizeof(got), 0);

		T_EQ_INT(n, 1023);
	}
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	T_EQ_INT(sd_notifyf("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/tmp/wsid-sdn-nobody-listens", 1);
	T_EQ_INT(sd_notifyf("READY=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	close(afd);
	unlink(path);
}

static void
test_watchdog(void)
{
	char pid[16];

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	T_EQ_INT(sd_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	T_EQ_INT(sd_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	T_EQ_INT(sd_watchdog_usec(), 30000000);
	setenv("WATCHDOG_PID", "1", 1); /* meant for another process */
	T_EQ_INT(sd_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	T_EQ_INT(sd_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int
main(void)
{
	T_RUN(test_notify);
	T_RUN(test_watchdog);
	T_DONE();
}
