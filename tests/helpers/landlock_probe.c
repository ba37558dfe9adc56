// SPDX-License-Identifier: GPL-2.0-or-later
/* landlock_probe USER [--read PATH]... -- FILE...: becomes USER (no new
 * privileges) as the delivery process does, reads each FILE once before and
 * once after confining itself with the delivery process's own Landlock rules
 * (deliver_confine, the route CA files given with --read), and prints
 *   confine: ok | confine: <error>
 *   before FILE: ok|<error>
 *   after FILE: ok|<error>
 * so a test shows what the sender can and cannot read, and that a refusal
 * comes from the sandbox, not from the file's mode. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "deliver.h"

static void
try_read(const char *when, const char *path)
{
	char b[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) < 0)
		printf("%s %s: %s\n", when, path, strerror(errno));
	else
		printf("%s %s: ok\n", when, path);
	if (fd >= 0)
		close(fd);
}

int
main(int argc, char **argv)
{
	char **reads = calloc((size_t)argc, sizeof(char *));
	struct passwd *pw;
	size_t nr = 0;
	int i = 2, k, r;

	if (argc < 3 || reads == NULL || (pw = getpwnam(argv[1])) == NULL) {
		fprintf(stderr, "usage: landlock_probe USER [--read PATH]... -- FILE...\n");
		return 2;
	}
	for (; i + 1 < argc && strcmp(argv[i], "--read") == 0; i += 2)
		reads[nr++] = argv[i + 1];
	if (i >= argc || strcmp(argv[i], "--") != 0)
		return 2;
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("landlock_probe: cannot become the user");
		return 1;
	}
	for (k = i + 1; k < argc; k++)
		try_read("before", argv[k]);
	r = deliver_confine(reads, nr);
	printf("confine: %s\n", r == 0 ? "ok" : strerror(-r));
	for (k = i + 1; k < argc; k++)
		try_read("after", argv[k]);
	free(reads);
	/* no exit handlers: LeakSanitizer's cannot read /proc in the sandbox */
	fflush(stdout);
	_exit(0);
}
