// SPDX-License-Identifier: GPL-2.0-or-later
/* mkentries DIR N: creates N empty regular files e0000000 ... in DIR, fast
 * (mknodat, no open/close): the million-entry directory of the hostile suite. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long i, n;
	int dfd;

	if (argc != 3) {
		fprintf(stderr, "usage: mkentries DIR N\n");
		return 2;
	}
	n = strtol(argv[2], NULL, 10);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "e%07ld", i);
		if (mknodat(dfd, name, S_IFREG | 0644, 0) < 0) {
			perror(name);
			return 1;
		}
	}
	close(dfd);
	return 0;
}
