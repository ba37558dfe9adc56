// SPDX-License-Identifier: GPL-2.0-or-later
/* Descriptor I/O helpers; see fdio.h. */
#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

static int
write_all(int fd, const void *p, size_t n, bool wait)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && wait) {
			struct pollfd pf = { fd, POLLOUT, 0 };

			poll(&pf, 1, 1000);
			continue;
		}
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fd_write_all(int fd, const void *p, size_t n)
{
	return write_all(fd, p, n, false);
}

int
fd_write_all_wait(int fd, const void *p, size_t n)
{
	return write_all(fd, p, n, true);
}
