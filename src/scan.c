// SPDX-License-Identifier: GPL-2.0-or-later
/* Tree walk + parallel hashing + index lookups; see scan.h.
 *
 * DESIGN: the calling thread walks (one directory at a time, breadth first,
 * each opened beneath the root fd) and appends files to a chunked array that
 * never moves; `jobs` worker threads take files from it as they appear, hash
 * them (hash.h) and look the hash up through their own read-only SQLite
 * connection. When the walk ends, the walker becomes a worker too. The only
 * shared state is the array's length and the next index, under one mutex. */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "classify.h"
#include "fpindex.h"
#include "hmap.h"
#include "log.h"

struct scan_state {
	struct scan_tree *t;
	const struct scan_opts *o;
	int rootfd;
	dev_t rootdev;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t published; /* files visible to workers */
	size_t next;      /* next file to hash */
	bool walk_done;
	char *dbpath;
	uint64_t bytes;
};

const char *
scan_kind_name(enum scan_entry_kind k)
{
	static const char *const names[SCAN_KIND_MAX] = {
		[SCAN_FILE] = "file",
		[SCAN_SYMLINK] = "symlink",
		[SCAN_SPECIAL] = "special",
		[SCAN_DIR_ERROR] = "unreadable-dir",
		[SCAN_MOUNTPOINT] = "mountpoint",
	};

	return (unsigned)k < SCAN_KIND_MAX ? names[k] : "unknown";
}

/* `locked`: the caller holds ss->mu (the parallel walk) */
static struct scan_file *
scan_append(struct scan_state *ss, bool locked)
{
	struct scan_tree *t = ss->t;
	size_t i = t->nfiles;
	struct scan_file *f;

	if (i / SCAN_CHUNK >= t->nchunks) {
		/* the chunk table may move; chunks themselves never do. Workers
		 * read t->chunks under the mutex, so grow it under the mutex. */
		if (!locked)
			pthread_mutex_lock(&ss->mu);
		t->chunks = xreallocarray(t->chunks, t->nchunks + 1, sizeof(*t->chunks));
		t->chunks[t->nchunks++] = xcalloc(SCAN_CHUNK, sizeof(struct scan_file));
		if (!locked)
			pthread_mutex_unlock(&ss->mu);
	}
	f = &t->chunks[i / SCAN_CHUNK][i % SCAN_CHUNK];
	memset(f, 0, sizeof(*f));
	t->nfiles++;
	return f;
}

static void
scan_publish(struct scan_state *ss)
{
	pthread_mutex_lock(&ss->mu);
	ss->published = ss->t->nfiles;
	pthread_cond_broadcast(&ss->cv);
	pthread_mutex_unlock(&ss->mu);
}

struct match_ctx {
	struct scan_file *f;
	size_t alloc;
};

int
scan_file_add_match(struct scan_file *f, size_t *alloc, int64_t product_id, int64_t path_id,
		    const char *relpath, size_t rlen, const uint8_t *slots, size_t slen)
{
	struct scan_match *m;
	uint32_t root_len;

	if (rlen == f->pathlen && memcmp(f->path, relpath, rlen) == 0)
		root_len = 0;
	else if (rlen < f->pathlen && f->path[f->pathlen - rlen - 1] == '/' &&
		 memcmp(f->path + f->pathlen - rlen, relpath, rlen) == 0)
		root_len = (uint32_t)(f->pathlen - rlen - 1);
	else
		return 0; /* same content, but not at a path that fits an install */
	if (f->nmatches == UINT16_MAX || slen > UINT16_MAX)
		return 0;
	if (f->nmatches == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 2;
		f->matches = xreallocarray(f->matches, *alloc, sizeof(*f->matches));
	}
	m = &f->matches[f->nmatches++];
	m->product_id = product_id;
	m->path_id = path_id;
	m->root_len = root_len;
	m->slen = (uint16_t)slen;
	m->slots = xmalloc(slen ? slen : 1);
	memcpy(m->slots, slots, slen);
	return 1;
}

static int
on_match(void *ud, int64_t product_id, int64_t path_id, const char *relpath, size_t rlen,
	 const uint8_t *slots, size_t slen)
{
	struct match_ctx *c = ud;

	scan_file_add_match(c->f, &c->alloc, product_id, path_id, relpath, rlen, slots, slen);
	return 0;
}

struct scan_file *
scan_tree_add_known(struct scan_tree *t, struct fpindex_lookup *lk, const char *path, size_t len,
		    const uint8_t *sha256, uint64_t size)
{
	struct scan_file *f;
	size_t i = t->nfiles;

	if (i / SCAN_CHUNK >= t->nchunks) {
		t->chunks = xreallocarray(t->chunks, t->nchunks + 1, sizeof(*t->chunks));
		t->chunks[t->nchunks++] = xcalloc(SCAN_CHUNK, sizeof(struct scan_file));
	}
	f = scan_file_at(t, i);
	memset(f, 0, sizeof(*f));
	t->nfiles++;
	f->path = xstrndup(path, len);
	f->pathlen = (uint32_t)len;
	f->kind = SCAN_FILE;
	f->status = sha256 ? HASH_OK : HASH_ERROR;
	f->size = size;
	if (sha256) {
		struct match_ctx c = { f, 0 };

		memcpy(f->sha256, sha256, SHA256_LEN);
		if (lk)
			fpindex_lookup_hash(lk, f->sha256, on_match, &c);
	}
	return f;
}

/* Per-worker cache of index answers: the sites of a node repeat the same
 * release files, so most hashes are asked many times. Bounded; cleared when
 * full. */
#define LOOKUP_CACHE_MAX 65536

struct lk_match {
	int64_t product_id, path_id;
	char *relpath;
	size_t rlen;
	uint8_t *slots;
	size_t slen;
};

struct lk_cached {
	struct lk_match *m;
	size_t n;
};

static int
cache_add(void *ud, int64_t product_id, int64_t path_id, const char *relpath, size_t rlen,
	  const uint8_t *slots, size_t slen)
{
	struct lk_cached *c = ud;
	struct lk_match *m;

	c->m = xreallocarray(c->m, c->n + 1, sizeof(*c->m));
	m = &c->m[c->n++];
	m->product_id = product_id;
	m->path_id = path_id;
	m->relpath = xstrndup(relpath, rlen);
	m->rlen = rlen;
	m->slots = xmalloc(slen ? slen : 1);
	memcpy(m->slots, slots, slen);
	m->slen = slen;
	return 0;
}

static void
cache_clear(struct hmap *cache)
{
	struct hmap_slot *hs;

	hmap_foreach(cache, hs) {
		struct lk_cached *c = hs->val;

		for (size_t k = 0; k < c->n; k++) {
			free(c->m[k].relpath);
			free(c->m[k].slots);
		}
		free(c->m);
		free(c);
	}
	hmap_free(cache);
	hmap_init(cache);
}

static void *
scan_worker(void *arg)
{
	struct scan_state *ss = arg;
	struct fpindex_lookup *lk = NULL;
	struct hmap cache;
	char err[512];
	uint64_t bytes = 0;

	if (ss->dbpath && fpindex_lookup_open(ss->dbpath, &lk, err, sizeof(err)) < 0)
		log_warnx("scan: %s", err);
	if (lk)
		fpindex_lookup_hold(lk, true);
	hmap_init(&cache);
	for (;;) {
		struct scan_file *f;
		struct hash_result hr;
		size_t i;

		pthread_mutex_lock(&ss->mu);
		while (ss->next >= ss->published && !ss->walk_done)
			pthread_cond_wait(&ss->cv, &ss->mu);
		if (ss->next >= ss->published) {
			pthread_mutex_unlock(&ss->mu);
			break;
		}
		i = ss->next++;
		f = &ss->t->chunks[i / SCAN_CHUNK][i % SCAN_CHUNK];
		pthread_mutex_unlock(&ss->mu);

		if (f->kind != SCAN_FILE || ss->o->stat_only)
			continue;
		hash_file_beneath(ss->rootfd, f->path, ss->o->max_size, NULL, &hr);
		f->status = (uint8_t)hr.status;
		f->err = hr.err;
		if (hr.status != HASH_GONE && hr.status != HASH_ERROR) {
			f->size = hr.size;
			f->ino = hr.ino;
			f->mtime_ns = hr.mtime_ns;
			f->ctime_ns = hr.ctime_ns;
			f->mode = hr.mode;
			f->uid = hr.uid;
		}
		if (hr.status != HASH_OK)
			continue;
		f->head = (uint8_t)((classify_php_head(hr.head, hr.headlen) ? SCAN_HEAD_CODE : 0) |
				    (hr.php_tag ? SCAN_HEAD_PHP_TAG : 0));
		memcpy(f->sha256, hr.sha256, SHA256_LEN);
		bytes += hr.size;
		if (lk) {
			struct match_ctx mc = { .f = f, .alloc = 0 };
			struct lk_cached *cached = hmap_get(&cache, f->sha256, SHA256_LEN);

			if (cached == NULL) {
				cached = xcalloc(1, sizeof(*cached));
				fpindex_lookup_hash(lk, f->sha256, cache_add, cached);
				if (cache.len >= LOOKUP_CACHE_MAX)
					cache_clear(&cache);
				*hmap_put(&cache, f->sha256, SHA256_LEN, NULL) = cached;
			}
			for (size_t k = 0; k < cached->n; k++)
				on_match(&mc, cached->m[k].product_id, cached->m[k].path_id,
					 cached->m[k].relpath, cached->m[k].rlen, cached->m[k].slots,
					 cached->m[k].slen);
		}
	}
	fpindex_lookup_free(lk);
	cache_clear(&cache);
	hmap_free(&cache);
	pthread_mutex_lock(&ss->mu);
	ss->bytes += bytes;
	pthread_mutex_unlock(&ss->mu);
	return NULL;
}

static int
open_dir_beneath(int rootfd, const char *relpath)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;
	const char *p;
	struct stat rst, st;
	int dfd, rootmnt;

	if (relpath[0] == '\0')
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENAMETOOLONG && errno != EAGAIN && errno != ENOSYS)
		return -errno;
	/* longer than PATH_MAX, or no openat2 here: component by component, a
	 * mount point refused like RESOLVE_NO_XDEV does */
	if (fstat(rootfd, &rst) < 0)
		return -errno;
	rootmnt = fd_mount_id(rootfd);
	dfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	for (p = relpath; dfd >= 0 && *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char name[256];
		int nfd;

		if (n == 0 || n > 255)
			break;
		memcpy(name, p, n);
		name[n] = '\0';
		nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		close(dfd);
		dfd = nfd < 0 ? -errno : nfd;
		if (dfd >= 0 && (fstat(dfd, &st) < 0 || st.st_dev != rst.st_dev ||
				 (rootmnt >= 0 && fd_mount_id(dfd) != rootmnt))) {
			close(dfd);
			dfd = -EXDEV;
		}
		p += n + (slash ? 1 : 0);
	}
	return dfd;
}

static char *
join_path(const char *dir, size_t dlen, const char *name, size_t *ret_len)
{
	size_t nlen = strlen(name);
	char *p = xmalloc(dlen + nlen + 2);

	if (dlen) {
		memcpy(p, dir, dlen);
		p[dlen] = '/';
		memcpy(p + dlen + 1, name, nlen + 1);
		*ret_len = dlen + 1 + nlen;
	} else {
		memcpy(p, name, nlen + 1);
		*ret_len = nlen;
	}
	return p;
}

static void
scan_progress(struct scan_state *ss, bool final)
{
	static uint64_t last;
	uint64_t now = now_mono_ns();

	if (!ss->o->progress || (!final && now - last < 200000000ull))
		return;
	last = now;
	fprintf(stderr, "\r  scanning: %zu files found, %zu hashed%s", ss->t->nfiles, ss->next,
		final ? "\n" : "   ");
}

/* What one directory holds: its entries in readdir order (subdirectories
 * apart, by relative path), filled without a lock. */
struct dir_out {
	struct scan_file *files;
	size_t nfiles, afiles;
	char **dirs;
	size_t ndirs, adirs;
};

static struct scan_file *
dir_out_file(struct dir_out *o)
{
	if (o->nfiles == o->afiles) {
		o->afiles = o->afiles ? o->afiles * 2 : 64;
		o->files = xreallocarray(o->files, o->afiles, sizeof(*o->files));
	}
	memset(&o->files[o->nfiles], 0, sizeof(*o->files));
	return &o->files[o->nfiles++];
}

static void
dir_out_dir(struct dir_out *o, char *path)
{
	if (o->ndirs == o->adirs) {
		o->adirs = o->adirs ? o->adirs * 2 : 16;
		o->dirs = xreallocarray(o->dirs, o->adirs, sizeof(*o->dirs));
	}
	o->dirs[o->ndirs++] = path;
}

/* Reads the directory `dir` (relative to the root, owned: freed or kept in an
 * entry) into `o`. */
static void
scan_dir(struct scan_state *ss, char *dir, struct dir_out *o)
{
	size_t dlen = strlen(dir);
	int dfd = open_dir_beneath(ss->rootfd, dir);
	DIR *d;
	struct dirent *de;

	if (dfd < 0) {
		struct scan_file *f = dir_out_file(o);

		f->path = dir;
		f->pathlen = (uint32_t)dlen;
		f->kind = dfd == -EXDEV ? SCAN_MOUNTPOINT : SCAN_DIR_ERROR;
		f->err = -dfd;
		return;
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		struct scan_file *f;
		size_t plen;
		char *path;

		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		/* d_type spares a stat for directories (one on another mount
		 * fails to open with EXDEV), and for files when hashing (the
		 * hasher fstat()s the open file anyway) */
		if (de->d_type == DT_DIR || (!ss->o->stat_only && de->d_type == DT_REG)) {
			memset(&st, 0, sizeof(st));
			st.st_mode = de->d_type == DT_REG ? S_IFREG : S_IFDIR;
			st.st_dev = ss->rootdev;
			st.st_ino = de->d_ino;
		} else if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished meanwhile */
		path = join_path(dir, dlen, de->d_name, &plen);
		if (ss->o->ignore) {
			bool skip;

			if (S_ISDIR(st.st_mode)) {
				path[plen] = '/';
				skip = ss->o->ignore(ss->o->ignore_ud, path, plen + 1);
				path[plen] = '\0';
			} else
				skip = ss->o->ignore(ss->o->ignore_ud, path, plen);
			if (skip) {
				free(path);
				continue;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != ss->rootdev) {
				f = dir_out_file(o);
				f->path = path;
				f->pathlen = (uint32_t)plen;
				f->kind = SCAN_MOUNTPOINT;
				continue;
			}
			dir_out_dir(o, path);
			continue;
		}
		f = dir_out_file(o);
		f->path = path;
		f->pathlen = (uint32_t)plen;
		f->size = (uint64_t)st.st_size;
		f->ino = (uint64_t)st.st_ino;
		f->mtime_ns = stat_mtime_ns(&st);
		f->ctime_ns = stat_ctime_ns(&st);
		f->mode = st.st_mode;
		f->uid = st.st_uid;
		if (S_ISREG(st.st_mode)) {
			f->kind = SCAN_FILE;
		} else if (S_ISLNK(st.st_mode)) {
			char tgt[4096];
			ssize_t n = readlinkat(dfd, de->d_name, tgt, sizeof(tgt) - 1);

			f->kind = SCAN_SYMLINK;
			if (n >= 0) {
				tgt[n] = '\0';
				f->link_target = xstrdup(tgt);
			}
		} else {
			f->kind = SCAN_SPECIAL;
		}
	}
	closedir(d);
	free(dir);
}

/* the entries of `o` into the tree; `locked` as for scan_append */
static void
scan_take(struct scan_state *ss, struct dir_out *o, bool locked)
{
	size_t i;

	for (i = 0; i < o->nfiles; i++)
		*scan_append(ss, locked) = o->files[i];
	o->nfiles = 0;
}

/* Breadth-first walk on the calling thread, while the workers hash;
 * directories are queued by relative path. The tree's order (breadth first,
 * readdir order within a directory) is the reports' order. */
static void
scan_walk(struct scan_state *ss)
{
	char **queue = NULL;
	size_t qhead = 0, qlen = 0, qalloc = 0;
	struct dir_out o;

	memset(&o, 0, sizeof(o));
	queue = xmalloc(sizeof(*queue));
	queue[qlen++] = xstrdup("");
	qalloc = 1;
	while (qhead < qlen) {
		char *dir = queue[qhead];

		queue[qhead++] = NULL;
		ss->t->ndirs++;
		o.ndirs = 0;
		scan_dir(ss, dir, &o);
		scan_take(ss, &o, false);
		for (size_t k = 0; k < o.ndirs; k++) {
			if (qlen == qalloc) {
				/* compact the consumed head before growing */
				if (qhead > qalloc / 2) {
					memmove(queue, queue + qhead, (qlen - qhead) * sizeof(*queue));
					qlen -= qhead;
					qhead = 0;
				} else {
					qalloc *= 2;
					queue = xreallocarray(queue, qalloc, sizeof(*queue));
				}
			}
			queue[qlen++] = o.dirs[k];
		}
		scan_publish(ss);
		scan_progress(ss, false);
	}
	free(o.files);
	free(o.dirs);
	free(queue);
}

/* Stat-only walks (a reconcile) have no hashing to overlap with: every
 * thread walks. Directories are shared on one stack (depth first, small);
 * the tree's order is then not the breadth-first one, which a reconcile does
 * not use (it sorts by path). Same safety as above: each directory opened
 * beneath the root, nothing followed, no mount entered. */
struct pwalk {
	struct scan_state *ss;
	char **stack;
	size_t len, alloc;
	unsigned busy;
};

static void *
scan_pwalk_thread(void *arg)
{
	struct pwalk *pw = arg;
	struct scan_state *ss = pw->ss;
	struct dir_out o;

	memset(&o, 0, sizeof(o));
	pthread_mutex_lock(&ss->mu);
	for (;;) {
		char *dir;

		while (pw->len == 0 && pw->busy > 0)
			pthread_cond_wait(&ss->cv, &ss->mu);
		if (pw->len == 0)
			break; /* nothing queued, nobody left to queue more */
		dir = pw->stack[--pw->len];
		pw->busy++;
		pthread_mutex_unlock(&ss->mu);
		o.ndirs = 0;
		scan_dir(ss, dir, &o);
		pthread_mutex_lock(&ss->mu);
		ss->t->ndirs++;
		scan_take(ss, &o, true);
		if (pw->len + o.ndirs > pw->alloc) {
			while (pw->len + o.ndirs > pw->alloc)
				pw->alloc = pw->alloc ? pw->alloc * 2 : 256;
			pw->stack = xreallocarray(pw->stack, pw->alloc, sizeof(*pw->stack));
		}
		/* reversed: the stack hands them out in readdir order */
		for (size_t k = o.ndirs; k > 0; k--)
			pw->stack[pw->len++] = o.dirs[k - 1];
		pw->busy--;
		if (o.ndirs || (pw->busy == 0 && pw->len == 0))
			pthread_cond_broadcast(&ss->cv);
	}
	pthread_mutex_unlock(&ss->mu);
	free(o.files);
	free(o.dirs);
	return NULL;
}

static void
scan_pwalk(struct scan_state *ss, unsigned threads)
{
	struct pwalk pw;
	pthread_t *th = xcalloc(threads, sizeof(*th));
	unsigned i;

	memset(&pw, 0, sizeof(pw));
	pw.ss = ss;
	pw.alloc = 256;
	pw.stack = xcalloc(pw.alloc, sizeof(*pw.stack));
	pw.stack[pw.len++] = xstrdup("");
	for (i = 0; i + 1 < threads; i++)
		if (pthread_create(&th[i], NULL, scan_pwalk_thread, &pw) != 0)
			fatalx("scan: cannot start a thread");
	scan_pwalk_thread(&pw);
	for (i = 0; i + 1 < threads; i++)
		pthread_join(th[i], NULL);
	free(pw.stack);
	free(th);
}

struct scan_tree *
scan_tree_new(const char *root)
{
	struct scan_tree *t = xcalloc(1, sizeof(*t));

	t->root = xstrdup(root);
	t->rootfd = -1;
	return t;
}

int
scan_tree_run(const char *path, const struct scan_opts *o, struct scan_tree **ret, char *err,
	      size_t errsz)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(-r));
		return r;
	}
	r = scan_tree_run_at(fd, path, o, ret, err, errsz);
	close(fd);
	return r;
}

int
scan_tree_run_at(int rootfd, const char *path, const struct scan_opts *o, struct scan_tree **ret,
		 char *err, size_t errsz)
{
	struct scan_state ss;
	struct scan_tree *t = scan_tree_new(path);
	pthread_t *th = NULL;
	unsigned jobs = o->jobs, i;
	struct stat st;
	uint64_t t0 = now_mono_ns();
	int r;

	memset(&ss, 0, sizeof(ss));
	ss.t = t;
	ss.o = o;
	memset(&st, 0, sizeof(st));
	ss.rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (ss.rootfd < 0 || fstat(ss.rootfd, &st) < 0)
		r = errno ? -errno : -EIO;
	else
		r = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (r < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(-r));
		if (ss.rootfd >= 0)
			close(ss.rootfd);
		scan_tree_free(t);
		return r;
	}
	ss.rootdev = st.st_dev;
	ss.dbpath = o->dbpath ? xstrdup(o->dbpath) : NULL;
	pthread_mutex_init(&ss.mu, NULL);
	pthread_cond_init(&ss.cv, NULL);
	if (jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		jobs = n > 0 ? (unsigned)n : 1;
	}
	if (jobs > 64)
		jobs = 64;
	if (o->stat_only) {
		/* nothing to hash: every thread walks */
		scan_pwalk(&ss, jobs);
		t->walk_seconds = (double)(now_mono_ns() - t0) / 1e9;
		scan_progress(&ss, true);
		t->total_seconds = t->walk_seconds;
		goto done;
	}
	th = xcalloc(jobs, sizeof(*th));
	/* the walker takes a core too; it joins as a worker when done */
	for (i = 0; i + 1 < jobs; i++)
		if (pthread_create(&th[i], NULL, scan_worker, &ss) != 0)
			fatalx("scan: cannot start a thread");
	scan_walk(&ss);
	t->walk_seconds = (double)(now_mono_ns() - t0) / 1e9;
	pthread_mutex_lock(&ss.mu);
	ss.walk_done = true;
	ss.published = t->nfiles;
	pthread_cond_broadcast(&ss.cv);
	pthread_mutex_unlock(&ss.mu);
	if (jobs == 1) {
		scan_worker(&ss);
	} else {
		/* one more worker on this thread while the others finish */
		scan_worker(&ss);
		for (i = 0; i + 1 < jobs; i++)
			pthread_join(th[i], NULL);
	}
	scan_progress(&ss, true);
	t->bytes_hashed = ss.bytes;
	t->total_seconds = (double)(now_mono_ns() - t0) / 1e9;
	free(th);
done:
	free(ss.dbpath);
	t->rootfd = ss.rootfd; /* the tree's: files are read beneath it later */
	pthread_mutex_destroy(&ss.mu);
	pthread_cond_destroy(&ss.cv);
	*ret = t;
	return 0;
}

void
scan_tree_free(struct scan_tree *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nfiles; i++) {
		struct scan_file *f = scan_file_at(t, i);

		for (j = 0; j < f->nmatches; j++)
			free(f->matches[j].slots);
		free(f->matches);
		free(f->path);
		free(f->link_target);
	}
	for (i = 0; i < t->nchunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->root);
	if (t->rootfd >= 0)
		close(t->rootfd);
	free(t);
}

int
scan_read_small(int rootfd, const char *relpath, char *out, size_t cap)
{
	int fd, r;
	struct stat st;
	ssize_t n;

	if (rootfd < 0)
		return -EBADF;
	fd = hash_open_beneath(rootfd, relpath);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	n = pread(fd, out, cap, 0);
	r = n < 0 ? -errno : (int)n;
	close(fd);
	return r;
}
