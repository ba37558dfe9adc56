/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "reconcile.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "scan.h"
#include "state.h"
#include "util.h"

/* Two stat walks at once: a walk on every core leaves cores idle at its
 * start (one directory, the root, to read) and at its end (the last
 * directories of the deepest branch), and the digest of its entries is
 * summed on one thread after it; a second walk fills those. Only small ones
 * (walk_fits): what is held in memory stays within the bound below.
 * Baselines are walked alone (each holds its lookups' caches and a hashing
 * window). */
#define WALKS_MAX 2

struct walker {
	struct walker_opts o;
	char *dbpath;
	pthread_t thread[WALKS_MAX];
	unsigned nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a walk queued, done, or taken by the loop */
	struct bg_job *todo, *done; /* todo: FIFO; done: newest first */
	unsigned nwalking;
	bool baselining; /* the walk under way is a baseline */
	uint64_t walking_expect; /* the expected entries of the walks under way */
	int efd;
	bool stop;
};

static bool entry_relevant(const struct scan_file *f);

/* The walking threads do not run ahead of the loop by more than this many
 * walked entries waiting to be taken (a walk larger than that alone): a
 * restart whose loop is busy (the database's check at start) would otherwise
 * hold the trees of every webspace at once. */
#define DONE_MAX_ENTRIES 65536

static size_t
done_entries(const struct walker *wk)
{
	const struct bg_job *j;
	size_t n = 0;

	for (j = wk->done; j; j = j->next)
		n += j->tree ? j->tree->nfiles : 1;
	return n;
}

/* what the stored rows' digest is compared with: the same hash of every
 * entry the merge would look at, none unsettled */
static void
walk_digest(const struct walker *wk, struct bg_job *j)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < j->tree->nfiles; i++) {
		const struct scan_file *f = scan_file_at(j->tree, i);

		if (entry_relevant(f))
			d += state_file_digest(wk->o.digest_key, f->path, f->pathlen, f->ino, f->size,
					       f->mtime_ns, f->ctime_ns, false);
	}
	j->digest = d;
	j->digest_ok = true;
}

static void
walk_one(struct walker *wk, struct bg_job *j)
{
	struct scan_opts so;
	int rootfd, r;

	memset(&so, 0, sizeof(so));
	so.jobs = wk->o.jobs;
	so.max_size = wk->o.max_size;
	so.ignore = wk->o.ignore;
	so.ignore_ud = j->ignore_ud;
	if (j->kind == BG_BASELINE) {
		so.dbpath = wk->dbpath;
		/* the entries in a temporary file, in path order: the memory of
		 * a baseline does not grow with the webspace's size */
		so.spill = true;
	} else {
		so.stat_only = true;
	}
	j->started_ns = now_mono_ns();
	/* from the registered directory only: never from what a tenant put at
	 * its path since */
	rootfd = root_reopen(j->root, &j->rid);
	if (rootfd < 0) {
		j->root_changed = rootfd == -ESTALE;
		snprintf(j->err, sizeof(j->err), "%s", strerror(-rootfd));
		j->tree = NULL;
		return;
	}
	r = scan_tree_run_at(rootfd, j->root, &so, &j->tree, j->err, sizeof(j->err));
	if (r == -EIO && so.spill) {
		/* no temporary file (TMPDIR, else /tmp): walked in memory */
		log_warnx("walk of %s: %s; walked in memory", esc_name(j->root), j->err);
		so.spill = false;
		r = scan_tree_run_at(rootfd, j->root, &so, &j->tree, j->err, sizeof(j->err));
	}
	if (r < 0)
		j->tree = NULL;
	else if (so.stat_only && wk->o.digest)
		walk_digest(wk, j);
	close(rootfd);
}

/* the entries a queued walk is expected to hold: its webspace's last count,
 * or the whole bound when unknown (never beside another) */
static uint64_t
walk_expect(const struct bg_job *j)
{
	return j->expect >= 0 && j->expect < DONE_MAX_ENTRIES ? (uint64_t)j->expect
							     : DONE_MAX_ENTRIES;
}

/* The oldest queued walk when it may start now, unlinked; NULL when none
 * may. Alone: while fewer than DONE_MAX_ENTRIES walked entries wait for the
 * loop (then at most those and one walk of any size are held). Beside
 * another: both stat walks expected to hold half that together, so that at
 * most 1.5 times the bound is held, less than before with any walk of more
 * than half of it. Under wk->mu. */
static struct bg_job *
todo_take(struct walker *wk)
{
	struct bg_job *j = wk->todo;

	if (j == NULL || wk->nwalking >= wk->nthreads || done_entries(wk) >= DONE_MAX_ENTRIES)
		return NULL;
	if (wk->nwalking > 0 &&
	    (j->kind != BG_RECONCILE || wk->baselining ||
	     wk->walking_expect + walk_expect(j) > DONE_MAX_ENTRIES / 2))
		return NULL;
	wk->todo = j->next;
	j->next = NULL;
	wk->nwalking++;
	wk->walking_expect += walk_expect(j);
	wk->baselining = j->kind == BG_BASELINE;
	return j;
}

static void *
walker_thread(void *arg)
{
	struct walker *wk = arg;

	for (;;) {
		struct bg_job *j;
		uint64_t one = 1;

		j = NULL;
		pthread_mutex_lock(&wk->mu);
		while (!wk->stop && (j = todo_take(wk)) == NULL)
			pthread_cond_wait(&wk->cv, &wk->mu);
		if (j == NULL) {
			pthread_mutex_unlock(&wk->mu);
			return NULL;
		}
		pthread_mutex_unlock(&wk->mu);

		walk_one(wk, j);

		pthread_mutex_lock(&wk->mu);
		wk->nwalking--;
		wk->walking_expect -= walk_expect(j);
		if (j->kind == BG_BASELINE)
			wk->baselining = false;
		j->next = wk->done;
		wk->done = j;
		/* the other thread may wait for this walk's end */
		pthread_cond_broadcast(&wk->cv);
		pthread_mutex_unlock(&wk->mu);
		if (write(wk->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("reconcile: eventfd");
	}
}

/* stops and joins the first n threads (after the walks under way) */
static void
walker_stop(struct walker *wk, unsigned n)
{
	unsigned i;

	pthread_mutex_lock(&wk->mu);
	wk->stop = true;
	pthread_cond_broadcast(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
	for (i = 0; i < n; i++)
		pthread_join(wk->thread[i], NULL);
}

int
walker_new(const struct walker_opts *o, struct walker **ret)
{
	struct walker *wk = xcalloc(1, sizeof(*wk));
	unsigned cores = o->jobs, i;
	int r;

	wk->o = *o;
	wk->dbpath = o->dbpath ? xstrdup(o->dbpath) : NULL;
	wk->o.dbpath = wk->dbpath;
	wk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wk->efd < 0) {
		r = -errno;
		free(wk->dbpath);
		free(wk);
		return r;
	}
	pthread_mutex_init(&wk->mu, NULL);
	pthread_cond_init(&wk->cv, NULL);
	/* a second walk only where a walk has cores to share */
	if (cores == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cores = n > 0 ? (unsigned)n : 1;
	}
	wk->nthreads = cores > 1 ? WALKS_MAX : 1;
	for (i = 0; i < wk->nthreads; i++)
		if (pthread_create(&wk->thread[i], NULL, walker_thread, wk) != 0)
			break;
	if (i < wk->nthreads) {
		walker_stop(wk, i);
		close(wk->efd);
		pthread_mutex_destroy(&wk->mu);
		pthread_cond_destroy(&wk->cv);
		free(wk->dbpath);
		free(wk);
		return -EAGAIN;
	}
	*ret = wk;
	return 0;
}

void
bg_job_free(struct walker *wk, struct bg_job *j)
{
	if (wk->o.ignore_release)
		wk->o.ignore_release(j->ignore_ud);
	scan_tree_free(j->tree);
	free(j->root);
	free(j);
}

void
walker_free(struct walker *wk)
{
	struct bg_job *j;

	if (wk == NULL)
		return;
	walker_stop(wk, wk->nthreads);
	while ((j = wk->todo) != NULL) {
		wk->todo = j->next;
		bg_job_free(wk, j);
	}
	while ((j = wk->done) != NULL) {
		wk->done = j->next;
		bg_job_free(wk, j);
	}
	close(wk->efd);
	pthread_mutex_destroy(&wk->mu);
	pthread_cond_destroy(&wk->cv);
	free(wk->dbpath);
	free(wk);
}

int
walker_fd(const struct walker *wk)
{
	return wk->efd;
}

void
walker_submit(struct walker *wk, enum bg_kind kind, int64_t ws, const char *root,
	      const struct root_id *rid, int64_t expect, void *ignore_ud)
{
	struct bg_job *j = xcalloc(1, sizeof(*j));
	struct bg_job **t;

	j->kind = kind;
	j->ws = ws;
	j->root = xstrdup(root);
	j->rid = *rid;
	j->expect = expect;
	j->ignore_ud = ignore_ud;
	pthread_mutex_lock(&wk->mu);
	for (t = &wk->todo; *t; t = &(*t)->next)
		;
	*t = j;
	pthread_cond_broadcast(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
}

struct bg_job *
walker_take(struct walker *wk)
{
	struct bg_job *list, *rev = NULL;
	uint64_t v;

	pthread_mutex_lock(&wk->mu);
	list = wk->done;
	wk->done = NULL;
	pthread_cond_broadcast(&wk->cv);
	if (read(wk->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("reconcile: eventfd read");
	pthread_mutex_unlock(&wk->mu);
	/* oldest first */
	while (list) {
		struct bg_job *n = list->next;

		list->next = rev;
		rev = list;
		list = n;
	}
	return rev;
}

void
walker_put_back(struct walker *wk, struct bg_job *list)
{
	struct bg_job **t, *rev = NULL;
	uint64_t one = 1;

	if (list == NULL)
		return;
	/* done is newest first and list oldest first: list, reversed, goes at
	 * the end of done, to be taken first again */
	while (list) {
		struct bg_job *n = list->next;

		list->next = rev;
		rev = list;
		list = n;
	}
	pthread_mutex_lock(&wk->mu);
	for (t = &wk->done; *t; t = &(*t)->next)
		;
	*t = rev;
	pthread_mutex_unlock(&wk->mu);
	if (write(wk->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("reconcile: eventfd");
}

/* ---- the merge ---- */

static int
cmp_file_path(const void *a, const void *b)
{
	const struct scan_file *x = *(const struct scan_file *const *)a;
	const struct scan_file *y = *(const struct scan_file *const *)b;
	size_t n = x->pathlen < y->pathlen ? x->pathlen : y->pathlen;
	int c = memcmp(x->path, y->path, n);

	return c ? c : (x->pathlen < y->pathlen ? -1 : x->pathlen > y->pathlen);
}

const struct scan_file **
reconcile_tree_sorted(const struct scan_tree *t)
{
	const struct scan_file **v = xcalloc(t->nfiles ? t->nfiles : 1, sizeof(*v));
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		v[i] = scan_file_at(t, i);
	qsort(v, t->nfiles, sizeof(*v), cmp_file_path);
	return v;
}

/* what the state holds: files, symlinks, special files (not a directory that
 * could not be read, nor another mount) */
static bool
entry_relevant(const struct scan_file *f)
{
	return f->kind == SCAN_FILE || f->kind == SCAN_SYMLINK || f->kind == SCAN_SPECIAL;
}

struct merge_ctx {
	const struct scan_file **v;
	size_t n, pos;
	bool (*unsettled)(const struct file_row *row);
	reconcile_note_fn note;
	void *ud;
	struct reconcile_counts cnt;
	uint8_t key[STATE_DIGEST_KEYBYTES];
};

/* walked entries before `upto` (all when NULL) that the database does not have */
static void
merge_new_until(struct merge_ctx *c, const char *upto, size_t ulen)
{
	for (; c->pos < c->n; c->pos++) {
		const struct scan_file *f = c->v[c->pos];

		if (upto) {
			size_t n = f->pathlen < ulen ? f->pathlen : ulen;
			int cmp = memcmp(f->path, upto, n);

			if (cmp > 0 || (cmp == 0 && f->pathlen >= ulen))
				return;
		}
		if (entry_relevant(f)) {
			c->note(c->ud, RECONCILE_NEW, f->path, f->pathlen);
			c->cnt.added++;
		}
	}
}

static int
merge_row(void *ud, const struct file_row *row)
{
	struct merge_ctx *c = ud;
	const struct scan_file *f;
	bool unsettled = c->unsettled(row);

	if (c->cnt.digest_ok)
		c->cnt.digest += state_file_digest(c->key, row->relpath, row->rlen, row->ino, row->size,
						   row->mtime_ns, row->ctime_ns, unsettled);
	merge_new_until(c, row->relpath, row->rlen);
	if (c->pos < c->n) {
		f = c->v[c->pos];
		if (f->pathlen == row->rlen && memcmp(f->path, row->relpath, row->rlen) == 0) {
			c->pos++;
			if (!entry_relevant(f) || f->ino != row->ino || f->size != row->size ||
			    f->mtime_ns != row->mtime_ns || f->ctime_ns != row->ctime_ns || unsettled) {
				log_debug("reconcile: %s changed (ino %llu/%llu size %llu/%llu mtime %lld/%lld "
					  "ctime %lld/%lld)", esc_name(f->path), (unsigned long long)f->ino,
					  (unsigned long long)row->ino, (unsigned long long)f->size,
					  (unsigned long long)row->size, (long long)f->mtime_ns,
					  (long long)row->mtime_ns, (long long)f->ctime_ns, (long long)row->ctime_ns);
				c->note(c->ud, RECONCILE_CHANGED, f->path, f->pathlen);
				c->cnt.changed++;
			}
			return 0;
		}
	}
	/* in the database, not on disk */
	c->note(c->ud, RECONCILE_GONE, row->relpath, row->rlen);
	c->cnt.removed++;
	return 0;
}

int
reconcile_merge(struct state *st, int64_t ws, const struct scan_tree *t,
		bool (*unsettled)(const struct file_row *row), reconcile_note_fn note, void *ud,
		struct reconcile_counts *ret)
{
	struct merge_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.v = reconcile_tree_sorted(t);
	c.n = t->nfiles;
	c.unsettled = unsettled;
	c.note = note;
	c.ud = ud;
	c.cnt.digest_ok = state_digest_key(st, c.key);
	r = state_files_stat(st, ws, merge_row, &c);
	if (r == 0)
		merge_new_until(&c, NULL, 0);
	free(c.v);
	c.cnt.digest_ok = c.cnt.digest_ok && r == 0;
	*ret = c.cnt;
	return r;
}
