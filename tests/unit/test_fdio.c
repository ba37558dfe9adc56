// SPDX-License-Identifier: GPL-2.0-or-later
/* fd_write_all: a buffer larger than a pipe's capacity arrives whole and in
 * order through short writes; a write that cannot happen returns -errno. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "fdio.h"
#include "t.h"

#define BIG (1u << 20) /* 16 times a default pipe's 64 KiB */

struct sink {
	int fd;
	unsigned char *got;
	size_t n;
};

static void *
drain(void *arg)
{
	struct sink *s = arg;
	ssize_t r;

	/* small reads, so the writer sees short writes */
	while (s->n < BIG && (r = read(s->fd, s->got + s->n, 4000)) > 0)
		s->n += (size_t)r;
	return NULL;
}

static void
test_pipe_whole(void)
{
	unsigned char *data = malloc(BIG);
	struct sink s = { -1, calloc(1, BIG), 0 };
	pthread_t th;
	int p[2];
	size_t i;

	T_OK(data != NULL && s.got != NULL);
	if (!data || !s.got || pipe(p) < 0)
		goto out;
	for (i = 0; i < BIG; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	s.fd = p[0];
	T_EQ_INT(pthread_create(&th, NULL, drain, &s), 0);
	T_EQ_INT(fd_write_all(p[1], data, BIG), 0);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	T_EQ_INT(s.n, BIG);
	T_OK(memcmp(data, s.got, BIG) == 0);
out:
	free(data);
	free(s.got);
}

static void
test_file_and_errors(void)
{
	char path[] = "/tmp/wsid-fdio.XXXXXX";
	char back[16] = { 0 };
	int fd = mkstemp(path), ro, p[2];

	T_OK(fd >= 0);
	if (fd < 0)
		return;
	T_EQ_INT(fd_write_all(fd, "hello", 5), 0);
	T_EQ_INT(fd_write_all(fd, "", 0), 0);
	T_EQ_INT(pread(fd, back, sizeof(back) - 1, 0), 5);
	T_EQ_STR(back, "hello");
	ro = open(path, O_RDONLY);
	T_EQ_INT(fd_write_all(ro, "x", 1), -EBADF);
	close(ro);
	close(fd);
	unlink(path);
	T_EQ_INT(fd_write_all(fd, "x", 1), -EBADF); /* closed */

	/* a pipe whose reader is gone: EPIPE (SIGPIPE ignored) */
	signal(SIGPIPE, SIG_IGN);
	if (pipe(p) == 0) {
		close(p[0]);
		T_EQ_INT(fd_write_all(p[1], "x", 1), -EPIPE);
		close(p[1]);
	}
	/* a full non-blocking pipe: -EAGAIN, not a spin */
	if (pipe2(p, O_NONBLOCK) == 0) {
		static char blob[1 << 18];

		T_EQ_INT(fd_write_all(p[1], blob, sizeof(blob)), -EAGAIN);
		close(p[0]);
		close(p[1]);
	}
}

int
main(void)
{
	T_RUN(test_pipe_whole);
	T_RUN(test_file_and_errors);
	T_DONE();
}
