// SPDX-License-Identifier: GPL-2.0-or-later
/* Hashing worker pool; see hashpool.h.
 *
 * DESIGN: one mutex guards two singly linked FIFOs (todo, done) and counters.
 * Workers sleep on a condition variable; they take a batch of jobs at once
 * and, when it is finished, append it to `done` and write the eventfd, which
 * the event loop polls. The queue is bounded
 * so that a burst of millions of changes cannot grow memory here: the caller
 * keeps what does not fit in its own bounded pending table. The loop hands
 * over what is due at once (hashpool_submit_list: one lock, one wake-up) and
 * takes back every finished job at once (hashpool_done_all); a worker is
 * woken only when one sleeps: under a burst, waking a thread per job costs
 * the loop a futex call and often its core. */
#include "hashpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "root.h"
#include "util.h"

struct hashpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t *threads;
	unsigned nthreads;
	struct hash_job *todo_head, *todo_tail, *done_head, *done_tail;
	size_t queued, running, cap;
	unsigned idle; /* workers waiting on cv */
	bool stop;
	int efd;
};

void
hash_job_free(struct hash_job *j)
{
	if (j == NULL)
		return;
	free(j->root);
	free(j->relpath);
	if (j->an)
		free(j->ud); /* an analysis job's: plain memory */
	analyse_free(j->an);
	free(j->ar);
	free(j);
}

static int
analysis_read(int rootfd, const struct hash_job *j, uint8_t **ret, size_t *ret_n)
{
	int fd = hash_open_beneath(rootfd, j->relpath);
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -ESTALE;
		goto out;
	}
	if ((uint64_t)st.st_size > j->an_max) {
		r = -EFBIG;
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size) {
		ssize_t k = pread(fd, buf + n, (size_t)st.st_size - n, (off_t)n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -ESTALE;
			goto out;
		}
		n += (size_t)k;
	}
out:
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_n = n;
	return 0;
}

/* an analysis job: the content hashed, read again and analysed */
static void
analysis_run(struct hash_job *j, int rootfd)
{
	uint8_t *buf = NULL, d[SHA256_LEN];
	size_t n = 0;

	j->an_err = analysis_read(rootfd, j, &buf, &n);
	if (j->an_err < 0)
		return;
	sha256_buf(buf, n, d);
	if (memcmp(d, j->an_expect, SHA256_LEN) != 0) {
		j->an_err = -ESTALE; /* changed since: its own change comes */
	} else {
		j->ar = xmalloc(sizeof(*j->ar));
		j->an_err = analyse_buf(j->an, buf, n, j->relpath, j->ar);
	}
	free(buf);
}

/* A job with its webspace's root open (or a negative errno: the root is not
 * the registered directory any more, root.h) */
static void
job_run_at(struct hash_job *j, int rootfd)
{
	if (j->an) {
		j->an_err = rootfd < 0 ? rootfd : 0;
		if (rootfd >= 0)
			analysis_run(j, rootfd);
		return;
	}
	if (rootfd < 0) {
		memset(&j->res, 0, sizeof(j->res));
		j->res.status = HASH_ERROR;
		j->res.err = -rootfd;
		return;
	}
	/* by its path beneath the root, as it is now: a file renamed or
	 * replaced since its event is what its later events tell */
	hash_file_beneath(rootfd, j->relpath, j->max_size, NULL, &j->res);
	if (j->res.status == HASH_LOCKED && j->wait_ms)
		hash_file_wait(rootfd, j->relpath, j->max_size, j->wait_ms, &j->res);
}

void
hash_job_run(struct hash_job *j)
{
	/* the registered directory, never what took its path since (root.h) */
	int rootfd = root_reopen(j->root, &j->rid);

	job_run_at(j, rootfd);
	if (rootfd >= 0)
		close(rootfd);
}

/*
 * A worker takes a share of the queue at once (its part of what waits, at
 * most BATCH_MAX jobs), runs them, and hands them back together with one
 * write of the eventfd: a burst of small files costs a lock round and a
 * wake-up per batch, not per file. Within a batch, jobs of the same webspace
 * share one reopening of its root (checked against its identity when the
 * batch's first job of that webspace starts, as root.h requires of every
 * use).
 */
#define BATCH_MAX 32

static void *
hashpool_thread(void *arg)
{
	struct hashpool *p = arg;

	for (;;) {
		struct hash_job *head, *tail, *j;
		const struct hash_job *at = NULL; /* whose root rootfd is */
		uint64_t one = 1;
		size_t n, take;
		int rootfd = -1;

		pthread_mutex_lock(&p->mu);
		while (p->todo_head == NULL && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cv, &p->mu);
			p->idle--;
		}
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		take = p->queued / p->nthreads;
		if (take < 1)
			take = 1;
		if (take > BATCH_MAX)
			take = BATCH_MAX;
		head = tail = p->todo_head;
		for (n = 1; n < take && tail->next; n++)
			tail = tail->next;
		p->todo_head = tail->next;
		if (p->todo_head == NULL)
			p->todo_tail = NULL;
		tail->next = NULL;
		p->queued -= n;
		p->running += n;
		pthread_mutex_unlock(&p->mu);

		for (j = head; j; j = j->next) {
			if (at == NULL || strcmp(at->root, j->root) != 0 || !root_id_equal(&at->rid, &j->rid)) {
				if (rootfd >= 0)
					close(rootfd);
				/* the registered directory, never what took its path since */
				rootfd = root_reopen(j->root, &j->rid);
				at = j;
			}
			job_run_at(j, rootfd);
		}
		if (rootfd >= 0)
			close(rootfd);

		pthread_mutex_lock(&p->mu);
		p->running -= n;
		if (p->done_tail)
			p->done_tail->next = head;
		else
			p->done_head = head;
		p->done_tail = tail;
		pthread_mutex_unlock(&p->mu);
		if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("hashpool: eventfd");
	}
}

int
hashpool_new(unsigned nthreads, size_t queue_cap, struct hashpool **ret)
{
	struct hashpool *p = xcalloc(1, sizeof(*p));
	unsigned i;

	if (nthreads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n > 0 ? (unsigned)n : 1;
	}
	p->cap = queue_cap ? queue_cap : 4096;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		free(p);
		return -errno;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->threads = xcalloc(nthreads, sizeof(*p->threads));
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, hashpool_thread, p) != 0) {
			p->nthreads = i;
			hashpool_free(p);
			return -EAGAIN;
		}
		p->nthreads = i + 1;
	}
	*ret = p;
	return 0;
}

static void
free_list(struct hash_job *j)
{
	while (j) {
		struct hash_job *n = j->next;

		hash_job_free(j);
		j = n;
	}
}

void
hashpool_free(struct hashpool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free_list(p->todo_head);
	free_list(p->done_head);
	free(p->threads);
	close(p->efd);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

int
hashpool_submit(struct hashpool *p, struct hash_job *job)
{
	pthread_mutex_lock(&p->mu);
	/* an analysis follows a hash that left the queue: it may exceed the
	 * cap, which then holds new hashes back (at most twice the cap queued) */
	if (p->queued >= p->cap && job->an == NULL) {
		pthread_mutex_unlock(&p->mu);
		return -EAGAIN;
	}
	job->next = NULL;
	job->submitted_ns = now_mono_ns();
	if (p->todo_tail)
		p->todo_tail->next = job;
	else
		p->todo_head = job;
	p->todo_tail = job;
	p->queued++;
	if (p->idle)
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

size_t
hashpool_room(struct hashpool *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->queued < p->cap ? p->cap - p->queued : 0;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
hashpool_submit_list(struct hashpool *p, struct hash_job *head)
{
	struct hash_job *tail = head;
	uint64_t now = now_mono_ns();
	size_t n = 1;

	if (head == NULL)
		return;
	head->submitted_ns = now;
	for (; tail->next; tail = tail->next, n++)
		tail->next->submitted_ns = now;
	pthread_mutex_lock(&p->mu);
	if (p->todo_tail)
		p->todo_tail->next = head;
	else
		p->todo_head = head;
	p->todo_tail = tail;
	p->queued += n;
	/* each woken worker takes its share (queued / nthreads) */
	if (p->idle > 1 && n > 1)
		pthread_cond_broadcast(&p->cv);
	else if (p->idle)
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
hashpool_fd(const struct hashpool *p)
{
	return p->efd;
}

/* the eventfd's counter back to 0 (p->mu held): a worker appends under the
 * lock and writes the eventfd after it, so a batch appended later wakes the
 * loop again */
static void
efd_reset(struct hashpool *p)
{
	uint64_t v;

	if (read(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("hashpool: eventfd read");
}

struct hash_job *
hashpool_done(struct hashpool *p)
{
	struct hash_job *j;

	pthread_mutex_lock(&p->mu);
	j = p->done_head;
	if (j) {
		p->done_head = j->next;
		if (p->done_head == NULL)
			p->done_tail = NULL;
		j->next = NULL;
	} else {
		efd_reset(p); /* drained */
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

struct hash_job *
hashpool_done_all(struct hashpool *p)
{
	struct hash_job *j;

	pthread_mutex_lock(&p->mu);
	j = p->done_head;
	p->done_head = p->done_tail = NULL;
	efd_reset(p);
	pthread_mutex_unlock(&p->mu);
	return j;
}

unsigned
hashpool_threads(const struct hashpool *p)
{
	return p->nthreads;
}

size_t
hashpool_backlog(const struct hashpool *p)
{
	struct hashpool *mp = (struct hashpool *)(uintptr_t)p;
	size_t n;

	pthread_mutex_lock(&mp->mu);
	n = mp->queued + mp->running;
	pthread_mutex_unlock(&mp->mu);
	return n;
}
