// SPDX-License-Identifier: GPL-2.0-or-later
/* bench/rawwalk.c: the reference line of the benchmarks, not part of wsid.
 *
 *   rawwalk [--sha256] [--threads N] DIR
 *
 * Walks DIR on N threads (default 2) with getdents64 + statx on every entry
 * (no symlink followed, no mount crossed) and, with --sha256, reads every
 * regular file and hashes it with OpenSSL's SHA-256. Nothing else: no index,
 * no identification, no output per file. Prints one line
 *   files=F dirs=D bytes=B seconds=S
 * so that every figure of the benchmarks reads as a ratio to what the
 * hardware allows. Directories are shared between the threads through one
 * queue (LIFO: depth first, small), each thread takes one at a time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct walk {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char **q;
	size_t qlen, qalloc;
	unsigned busy;
	bool sha;
	dev_t dev;
	uint64_t files, dirs, bytes;
};

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
push(struct walk *w, char *path)
{
	pthread_mutex_lock(&w->mu);
	if (w->qlen == w->qalloc) {
		w->qalloc = w->qalloc ? w->qalloc * 2 : 1024;
		w->q = realloc(w->q, w->qalloc * sizeof(*w->q));
		if (w->q == NULL)
			die("realloc");
	}
	w->q[w->qlen++] = path;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static uint64_t
hash_fd(int fd, unsigned char *buf, size_t cap)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	uint64_t n = 0;
	ssize_t r;

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		die("EVP_DigestInit_ex");
	while ((r = read(fd, buf, cap)) > 0) {
		EVP_DigestUpdate(c, buf, (size_t)r);
		n += (uint64_t)r;
	}
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	return n;
}

static void
walk_dir(struct walk *w, char *dir, char *dbuf, size_t dcap, unsigned char *buf, size_t cap,
	 uint64_t *files, uint64_t *bytes)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	size_t dlen = strlen(dir);
	long n;

	if (dfd < 0) {
		free(dir);
		return;
	}
	while ((n = syscall(SYS_getdents64, dfd, dbuf, dcap)) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64_raw *de = (struct dirent64_raw *)(dbuf + off);
			struct statx stx;

			off += de->d_reclen;
			if (de->d_name[0] == '.' &&
			    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			if (statx(dfd, de->d_name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
				  STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO | STATX_MTIME |
					  STATX_CTIME,
				  &stx) < 0)
				continue;
			if (S_ISDIR(stx.stx_mode)) {
				size_t nl = strlen(de->d_name);
				char *p;

				if (makedev(stx.stx_dev_major, stx.stx_dev_minor) != w->dev)
					continue;
				if ((p = malloc(dlen + nl + 2)) == NULL)
					die("malloc");
				memcpy(p, dir, dlen);
				p[dlen] = '/';
				memcpy(p + dlen + 1, de->d_name, nl + 1);
				push(w, p);
				continue;
			}
			(*files)++;
			if (!S_ISREG(stx.stx_mode))
				continue;
			if (w->sha) {
				int fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

				if (fd < 0)
					continue;
				*bytes += hash_fd(fd, buf, cap);
				close(fd);
			} else {
				*bytes += stx.stx_size;
			}
		}
	}
	close(dfd);
	free(dir);
}

static void *
worker(void *arg)
{
	struct walk *w = arg;
	size_t dcap = 64 << 10, cap = 256 << 10;
	char *dbuf = malloc(dcap);
	unsigned char *buf = malloc(cap);
	uint64_t files = 0, bytes = 0, dirs = 0;

	if (dbuf == NULL || buf == NULL)
		die("malloc");
	for (;;) {
		char *dir;

		pthread_mutex_lock(&w->mu);
		while (w->qlen == 0 && w->busy > 0)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->qlen == 0) { /* nothing queued and nobody left to queue more */
			pthread_cond_broadcast(&w->cv);
			pthread_mutex_unlock(&w->mu);
			break;
		}
		dir = w->q[--w->qlen];
		w->busy++;
		pthread_mutex_unlock(&w->mu);
		walk_dir(w, dir, dbuf, dcap, buf, cap, &files, &bytes);
		dirs++;
		pthread_mutex_lock(&w->mu);
		if (--w->busy == 0 && w->qlen == 0)
			pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	pthread_mutex_lock(&w->mu);
	w->files += files;
	w->bytes += bytes;
	w->dirs += dirs;
	pthread_mutex_unlock(&w->mu);
	free(dbuf);
	free(buf);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct walk w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	unsigned threads = 2;
	pthread_t *th;
	struct timespec t0, t1;
	struct stat st;
	int i;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--sha256") == 0) {
			w.sha = true;
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc - 1) {
			threads = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			break;
		}
	}
	if (i != argc - 1 || threads == 0 || threads > 256) {
		fprintf(stderr, "usage: rawwalk [--sha256] [--threads N] DIR\n");
		return 2;
	}
	if (stat(argv[i], &st) < 0)
		die(argv[i]);
	w.dev = st.st_dev;
	if ((th = calloc(threads, sizeof(*th))) == NULL)
		die("calloc");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w.busy = 0;
	push(&w, strdup(argv[i]));
	for (unsigned k = 0; k < threads; k++)
		if (pthread_create(&th[k], NULL, worker, &w) != 0)
			die("pthread_create");
	for (unsigned k = 0; k < threads; k++)
		pthread_join(th[k], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("files=%" PRIu64 " dirs=%" PRIu64 " bytes=%" PRIu64 " seconds=%.3f\n", w.files, w.dirs,
	       w.bytes, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(th);
	free(w.q);
	return 0;
}
