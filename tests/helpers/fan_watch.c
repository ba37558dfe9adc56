// SPDX-License-Identifier: GPL-2.0-or-later
/* fan_watch DIR PREFIX OUTFILE: marks the file system of DIR (a file system the
 * test mounted itself) for opens and reads, and appends one line
 * "PID COMM PATH" to OUTFILE for every event on a path that starts with PREFIX.
 * The hostile suites run it on canaries outside the webspace: a line naming
 * wsid or wsidctl is a read outside the webspace. O_NOATIME opens hide from an
 * atime check; they do not hide from this. Runs until killed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

static void
comm_of(int pid, char *out, size_t sz)
{
	char p[64];
	FILE *f;

	snprintf(out, sz, "?");
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	f = fopen(p, "r");
	if (f == NULL)
		return;
	if (fgets(out, (int)sz, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

int
main(int argc, char **argv)
{
	char buf[65536] __attribute__((aligned(8)));
	size_t plen;
	FILE *out;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: fan_watch DIR PREFIX OUTFILE\n");
		return 2;
	}
	plen = strlen(argv[2]);
	out = fopen(argv[3], "a");
	if (out == NULL)
		return 1;
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				    FAN_OPEN | FAN_ACCESS | FAN_OPEN_EXEC | FAN_ONDIR, AT_FDCWD,
				    argv[1]) < 0) {
		perror("fan_watch: fanotify");
		return 1;
	}
	/* ready: the test waits for this line */
	fprintf(out, "ready\n");
	fflush(out);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			char lnk[64], path[PATH_MAX], comm[64];
			ssize_t l;

			if (m->fd < 0)
				continue;
			snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", m->fd);
			l = readlink(lnk, path, sizeof(path) - 1);
			close(m->fd);
			if (l < 0 || m->pid == getpid())
				continue;
			path[l] = '\0';
			if (strncmp(path, argv[2], plen) != 0)
				continue;
			comm_of(m->pid, comm, sizeof(comm));
			fprintf(out, "%d %s %s\n", m->pid, comm, path);
			fflush(out);
		}
	}
}
