// SPDX-License-Identifier: GPL-2.0-or-later
/* log: stderr captured through a pipe. The line format (program prefix or
 * journald's "<N>"), the level filter, errno text, the cap on a line's
 * length, fatal's exit status, and lines from four threads at once that never
 * interleave (each line is one write(2)). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "t.h"

static int rfd, saved_err;

/* what stderr received since the last call (the pipe is non-blocking) */
static char *
drain(void)
{
	static char buf[1 << 20];
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sizeof(buf) && (r = read(rfd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

static void
test_format(void)
{
	log_init("wsid-t", LOG_LEVEL_INFO, 0);
	log_info("a %d", 1);
	T_EQ_STR(drain(), "wsid-t: a 1\n");
	log_debug("hidden");
	T_EQ_STR(drain(), "");
	log_set_level(LOG_LEVEL_DEBUG);
	T_EQ_INT(log_get_level(), LOG_LEVEL_DEBUG);
	log_debug("shown");
	T_EQ_STR(drain(), "wsid-t: shown\n");
	errno = ENOENT;
	log_warn("open %s", "x");
	T_EQ_STR(drain(), "wsid-t: open x: No such file or directory\n");
	log_set_level(LOG_LEVEL_WARNING);
	log_notice("quiet");
	log_warnx("loud");
	T_EQ_STR(drain(), "wsid-t: loud\n");

	log_init("wsid-t", LOG_LEVEL_INFO, 1); /* under systemd */
	log_info("i");
	log_warnx("w");
	T_EQ_STR(drain(), "<6>i\n<4>w\n");

	/* a long message is cut, still one line */
	static char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	log_info("%s", big);
	char *out = drain();
	size_t len = strlen(out);
	T_OK(len > 1000 && len <= 2048);
	T_OK(len > 0 && out[len - 1] == '\n' && strchr(out, '\n') == out + len - 1);
}

static void
test_fatal(void)
{
	int st = 0;
	pid_t pid;

	fflush(stdout); /* the child exits through exit(3) */
	pid = fork();

	if (pid == 0) {
		log_init("wsid-t", LOG_LEVEL_INFO, 0);
		fatalx("out of %s", "memory");
	}
	waitpid(pid, &st, 0);
	T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	T_OK(strstr(drain(), "wsid-t: out of memory\n") != NULL);
}

#define NTH 4
#define NLINES 200

static void *
writer(void *arg)
{
	char body[1500];
	int id = (int)(long)arg, i;

	memset(body, 'a' + id, sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (i = 0; i < NLINES; i++)
		log_info("%d %s", id, body);
	return NULL;
}

static void
test_threads(void)
{
	pthread_t th[NTH];
	int counts[NTH] = { 0 }, joined[NTH] = { 0 }, bad = 0, total = 0;
	long i;
	char *p, *nl;
	/* 4 * 200 lines of ~1.5 KiB: more than a pipe holds, so read as they come */
	static char all[2 << 20];
	size_t n = 0;

	log_init("wsid-t", LOG_LEVEL_INFO, 0);
	for (i = 0; i < NTH; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	for (;;) {
		char *got = drain();
		size_t g = strlen(got);
		int done = 1;

		if (n + g < sizeof(all)) {
			memcpy(all + n, got, g);
			n += g;
		}
		for (i = 0; i < NTH; i++)
			if (!joined[i] && pthread_tryjoin_np(th[i], NULL) == 0)
				joined[i] = 1;
			else if (!joined[i])
				done = 0;
		if (done)
			break;
		usleep(1000);
	}
	n += strlen(strcpy(all + n, drain()));
	all[n] = '\0';
	for (p = all; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		int id = p[8] - '0';
		size_t k, len = (size_t)(nl - p);

		total++;
		if (strncmp(p, "wsid-t: ", 8) != 0 || id < 0 || id >= NTH || len != 8 + 2 + 1499) {
			bad++;
			continue;
		}
		for (k = 10; k < len; k++)
			if (p[k] != 'a' + id)
				break;
		if (k != len)
			bad++;
		else
			counts[id]++;
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(total, NTH * NLINES);
	for (i = 0; i < NTH; i++)
		T_EQ_INT(counts[i], NLINES);
}

int
main(void)
{
	int p[2];

	if (pipe2(p, O_NONBLOCK) < 0)
		return 2;
	fcntl(p[1], F_SETFL, 0); /* the writers block when it is full */
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	saved_err = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	rfd = p[0];
	T_RUN(test_format);
	T_RUN(test_fatal);
	T_RUN(test_threads);
	dup2(saved_err, STDERR_FILENO);
	T_DONE();
}
