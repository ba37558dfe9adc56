/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small pool of hashing threads with a bounded FIFO of jobs and an eventfd
 * that becomes readable when jobs complete (redis bio.c's shape). The event
 * loop submits and collects; it never blocks on a file. */
#ifndef WSID_HASHPOOL_H
#define WSID_HASHPOOL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyse.h"
#include "hash.h"
#include "root.h"

struct hash_job {
	/* input */
	char *root;      /* webspace root (owned), reopened by the worker (root.h): */
	struct root_id rid; /* a path that leads elsewhere now fails with ESTALE */
	char *relpath;   /* beneath root (owned) */
	uint64_t max_size;
	unsigned wait_ms; /* > 0: a file a lease keeps closed is waited for that long */
	void *ud;        /* caller's */
	/* An analysis job (analyse.h) when an is set: the worker reads the file
	 * again, at most an_max bytes, checks that it is the content hashed
	 * (an_expect) and analyses it; the bytes come from the page cache the
	 * hashing filled. Only content that is no release is analysed, and the
	 * main loop knows that only once the hash is judged. */
	struct analyse *an;   /* a reference (analyse_hold), given back by hash_job_free,
			       * which also frees ud (plain memory) */
	uint64_t an_max;
	uint8_t an_expect[SHA256_LEN];
	int an_err;           /* 0: ar holds the result; -ESTALE: the content moved on */
	struct analyse_result *ar; /* owned */
	uint64_t submitted_ns;
	/* output */
	struct hash_result res;
	struct hash_job *next;
};

struct hashpool;

int hashpool_new(unsigned nthreads, size_t queue_cap, struct hashpool **ret);
/* Joins the threads; jobs still queued or done are freed. */
void hashpool_free(struct hashpool *p);
/* Takes ownership of job. -EAGAIN when the queue is full. */
int hashpool_submit(struct hashpool *p, struct hash_job *job);
/* How many hash jobs the queue takes now; only the submitter fills it, so
 * that many may be handed over with hashpool_submit_list. */
size_t hashpool_room(struct hashpool *p);
/* Takes ownership of a list of jobs (linked by next, NULL-terminated), queued
 * in its order past the cap: the caller keeps within hashpool_room. */
void hashpool_submit_list(struct hashpool *p, struct hash_job *head);
/* readable (eventfd) when completed jobs are waiting */
int hashpool_fd(const struct hashpool *p);
/* Pops one completed job (the caller owns it: hash_job_free), NULL if none. */
struct hash_job *hashpool_done(struct hashpool *p);
/* Takes every completed job at once, in completion order (linked by next; the
 * caller owns them), NULL if none. */
struct hash_job *hashpool_done_all(struct hashpool *p);
size_t hashpool_backlog(const struct hashpool *p); /* queued + running */
unsigned hashpool_threads(const struct hashpool *p);
void hash_job_free(struct hash_job *j);

/* the work a thread does for one job (exposed for tests) */
void hash_job_run(struct hash_job *j);

#endif
