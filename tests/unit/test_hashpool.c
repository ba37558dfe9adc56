// SPDX-License-Identifier: GPL-2.0-or-later
/* The hashing pool over real files in a temporary directory: jobs submitted
 * from this thread come back through the eventfd with their results (the
 * SHA-256 of known content, a symlink never followed, a file over the cap, a
 * file gone), the backlog drains to 0, and a root whose path was taken by
 * another directory gives ESTALE instead of hashing what is there now; a list
 * handed over at once comes back whole, taken back at once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashpool.h"
#include "t.h"

static char dir[] = "/tmp/wsid-test-hashpool.XXXXXX";

static void
put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/ws/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static struct hash_job *
job(const char *real, const struct root_id *rid, const char *rel, long id)
{
	struct hash_job *j = xcalloc(1, sizeof(*j));

	j->root = xstrdup(real);
	j->rid = *rid;
	j->relpath = xstrdup(rel);
	j->max_size = 1000;
	j->ud = (void *)id;
	return j;
}

/* collects n jobs, waiting on the eventfd; results by ud into out */
static int
collect(struct hashpool *p, struct hash_job **out, int n)
{
	int got = 0, rounds = 0;

	while (got < n && rounds++ < 100) {
		struct pollfd pfd = { hashpool_fd(p), POLLIN, 0 };
		struct hash_job *j;

		if (poll(&pfd, 1, 100) < 0)
			break;
		while ((j = hashpool_done(p)) != NULL) {
			long id = (long)j->ud;

			out[id] = j;
			got++;
		}
	}
	return got;
}

static void
test_pool(void)
{
	char ws[200], *real = NULL, big[2000];
	struct root_id rid;
	struct hashpool *p = NULL;
	struct hash_job *out[8] = { 0 };
	bool via;
	int rfd = -1, i;
	static const char *const rel[] = { "abc.txt", "link", "big.bin", "gone.php", "empty" };
	static const uint8_t sha_abc[4] = { 0xba, 0x78, 0x16, 0xbf }; /* SHA-256("abc") */

	snprintf(ws, sizeof(ws), "%s/ws", dir);
	mkdir(ws, 0755);
	put("abc.txt", "abc");
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("big.bin", big);
	put("empty", "");
	snprintf(big, sizeof(big), "%s/ws/link", dir);
	T_EQ_INT(symlink("abc.txt", big), 0);
	T_EQ_INT(root_resolve(ws, &rfd, &real, &rid, &via), 0);
	if (rfd < 0)
		return;
	close(rfd);
	T_EQ_INT(hashpool_new(2, 16, &p), 0);
	T_EQ_INT(hashpool_threads(p), 2);
	for (i = 0; i < 5; i++)
		T_EQ_INT(hashpool_submit(p, job(real, &rid, rel[i], i)), 0);
	T_EQ_INT(collect(p, out, 5), 5);
	T_EQ_INT(hashpool_backlog(p), 0);
	T_OK(hashpool_done(p) == NULL);
	if (out[0] && out[1] && out[2] && out[3] && out[4]) {
		T_EQ_INT(out[0]->res.status, HASH_OK);
		T_EQ_INT(out[0]->res.size, 3);
		T_OK(memcmp(out[0]->res.sha256, sha_abc, 4) == 0);
		T_OK(out[0]->res.headlen == 3 && memcmp(out[0]->res.head, "abc", 3) == 0);
		T_EQ_INT(out[1]->res.status, HASH_SYMLINK);
		T_EQ_INT(out[2]->res.status, HASH_TOO_BIG);
		T_EQ_INT(out[3]->res.status, HASH_GONE);
		T_EQ_INT(out[4]->res.status, HASH_OK);
		T_EQ_INT(out[4]->res.size, 0);
		T_OK(out[0]->submitted_ns > 0);
	}
	for (i = 0; i < 8; i++) {
		hash_job_free(out[i]);
		out[i] = NULL;
	}

	/* the root's path now names another directory: nothing is hashed there */
	{
		char moved[256];

		snprintf(moved, sizeof(moved), "%s/ws.old", dir);
		T_EQ_INT(rename(ws, moved), 0);
		mkdir(ws, 0755);
		put("abc.txt", "not abc");
		T_EQ_INT(hashpool_submit(p, job(real, &rid, "abc.txt", 0)), 0);
		T_EQ_INT(collect(p, out, 1), 1);
		if (out[0]) {
			T_EQ_INT(out[0]->res.status, HASH_ERROR);
			T_EQ_INT(out[0]->res.err, ESTALE);
		}
		hash_job_free(out[0]);
	}
	/* queued jobs are freed with the pool */
	for (i = 0; i < 4; i++)
		hashpool_submit(p, job(real, &rid, "abc.txt", i));
	hashpool_free(p);
	free(real);
}

/* A list handed over at once (the loop's way): the room it had, every job
 * back with its own result, taken back at once in one list; the room is back
 * once they are done, and a single job sent alone wakes a sleeping worker. */
static void
test_list(void)
{
	char ws[200], *real = NULL;
	struct root_id rid;
	struct hashpool *p = NULL;
	struct hash_job *head = NULL, **tail = &head, *j, *next;
	bool via, seen[40] = { 0 };
	int rfd = -1, i, got = 0, rounds = 0, ok = 0;

	snprintf(ws, sizeof(ws), "%s/ws", dir);
	put("abc.txt", "abc");
	put("empty", "");
	T_EQ_INT(root_resolve(ws, &rfd, &real, &rid, &via), 0);
	if (rfd < 0)
		return;
	close(rfd);
	T_EQ_INT(hashpool_new(2, 40, &p), 0);
	T_EQ_INT(hashpool_room(p), 40);
	for (i = 0; i < 40; i++) {
		*tail = job(real, &rid, i % 2 ? "abc.txt" : "empty", i);
		tail = &(*tail)->next;
	}
	hashpool_submit_list(p, head);
	T_OK(hashpool_room(p) <= 40);
	while (got < 40 && rounds++ < 100) {
		struct pollfd pfd = { hashpool_fd(p), POLLIN, 0 };

		if (poll(&pfd, 1, 100) < 0)
			break;
		for (j = hashpool_done_all(p); j; j = next) {
			long id = (long)j->ud;

			next = j->next;
			if (id >= 0 && id < 40 && !seen[id]) {
				seen[id] = true;
				got++;
				ok += j->res.status == HASH_OK && j->res.size == (id % 2 ? 3u : 0u) &&
				      j->submitted_ns > 0;
			}
			hash_job_free(j);
		}
	}
	T_EQ_INT(got, 40);
	T_EQ_INT(ok, 40);
	T_EQ_INT(hashpool_backlog(p), 0);
	T_EQ_INT(hashpool_room(p), 40);
	T_OK(hashpool_done_all(p) == NULL);
	/* both workers asleep now: one job alone still wakes one */
	usleep(20000);
	hashpool_submit_list(p, job(real, &rid, "abc.txt", 7));
	for (rounds = 0, j = NULL; j == NULL && rounds++ < 100;) {
		struct pollfd pfd = { hashpool_fd(p), POLLIN, 0 };

		if (poll(&pfd, 1, 100) < 0)
			break;
		j = hashpool_done_all(p);
	}
	T_OK(j != NULL && (long)j->ud == 7 && j->next == NULL && j->res.status == HASH_OK);
	hash_job_free(j);
	hashpool_submit_list(p, NULL);
	hashpool_free(p);
	free(real);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	T_RUN(test_pool);
	T_RUN(test_list);
	t_rmtree(dir);
	T_DONE();
}
