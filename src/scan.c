// SPDX-License-Identifier: GPL-2.0-or-later
/* Tree walk + parallel hashing + index lookups; see scan.h.
 *
 * DESIGN: the calling thread walks (one directory at a time, breadth first,
 * each opened beneath the root fd) and appends files to a chunked array that
 * never moves; `jobs` worker threads take files from it as they appear, hash
 * them (hash.h) and look the hash up through their own read-only SQLite
 * connection. When the walk ends, the walker becomes a worker too; a walker
 * that must wait (a spilled tree: the window's oldest chunk is not hashed
 * yet) hashes the files published next meanwhile, so that the walk does not
 * leave a core idle while the workers have the window ahead of them. The
 * only shared state is the array's length and the next index, under one
 * mutex. */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "fpindex.h"
#include "log.h"

struct scan_worker;
struct lk_cache;

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
	/* a spilled tree (o->spill): file i lives in window slot (i / SCAN_CHUNK)
	 * % SCAN_WINDOW until its chunk is written out; done[] counts the files of
	 * each slot's chunk the workers are through with */
	bool spill;
	size_t spilled; /* chunks written to the file */
	size_t done[SCAN_WINDOW];
	pthread_cond_t drained; /* a chunk was completed */
	/* the walking thread's own worker: a walker that waits for the window
	 * hashes files meanwhile, so no core waits for the other */
	struct scan_worker *walker;
	/* the index's answers, shared by the hashing threads under cache_mu */
	struct lk_cache *cache;
	pthread_mutex_t cache_mu;
};

static struct scan_file *
live_at(struct scan_state *ss, size_t i)
{
	size_t c = i / SCAN_CHUNK;

	if (ss->spill)
		c %= SCAN_WINDOW;
	return &ss->t->chunks[c][i % SCAN_CHUNK];
}

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

/* ---- spilled trees: the entries in a temporary file ----
 *
 * An entry is a record: its length (u32), then the fixed fields, the path and
 * the link target (each with a NUL), then the index matches (each a fixed part
 * and the slot set). Written in order by the walking thread as the chunks of
 * the window are done; read back by scan_spill_at(). */
#define SCAN_SPILL_STRIDE 256
#define SPILL_WBUF (1u << 20)
#define SPILL_RBUF (256u << 10)
#define SPILL_RJUMP (8u << 10)
#define SPILL_FIXED (4 + 1 + 1 + 2 + 4 + 1 + 8 * 4 + 4 * 2 + SHA256_LEN + 4 + 4 + 4)
#define SPILL_MATCH (8 + 8 + 4 + 2)

struct scan_spill {
	int fd;
	uint8_t *wbuf;
	size_t wlen;
	uint64_t off;    /* bytes written (buffered included) */
	size_t nrec;     /* entries written */
	uint64_t *marks; /* offset of entry k * SCAN_SPILL_STRIDE */
	size_t nmarks, amarks;
	/* reading */
	uint8_t *rbuf; /* file bytes [roff, roff + rlen) */
	size_t rcap, rlen;
	uint64_t roff;
	size_t pos;      /* next entry to read */
	uint64_t posoff; /* its offset */
	bool have;       /* cur is entry pos - 1 */
	struct scan_file cur;
	size_t amatch;
};

static struct scan_spill *
spill_new(char *err, size_t errsz)
{
	const char *dir = getenv("TMPDIR");
	struct scan_spill *sp;
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* no O_TMPFILE on that file system: a name, removed at once */
		char *tmpl = xasprintf("%s/wsid-scan.XXXXXX", dir);

		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	if (fd < 0) {
		snprintf(err, errsz, "a temporary file in %s: %s", esc_name(dir), strerror(errno));
		return NULL;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->fd = fd;
	sp->wbuf = xmalloc(SPILL_WBUF);
	return sp;
}

static void
spill_free(struct scan_spill *sp)
{
	if (sp == NULL)
		return;
	close(sp->fd);
	free(sp->wbuf);
	free(sp->marks);
	free(sp->rbuf);
	free(sp->cur.matches);
	free(sp);
}

static void
spill_flush(struct scan_spill *sp)
{
	size_t done = 0;

	while (done < sp->wlen) {
		ssize_t n = pwrite(sp->fd, sp->wbuf + done, sp->wlen - done,
				   (off_t)(sp->off - sp->wlen + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("scan: writing the temporary file of the entries");
		done += (size_t)n;
	}
	sp->wlen = 0;
}

static void
spill_bytes(struct scan_spill *sp, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		size_t k = SPILL_WBUF - sp->wlen;

		if (k == 0) {
			spill_flush(sp);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(sp->wbuf + sp->wlen, b, k);
		sp->wlen += k;
		sp->off += k;
		b += k;
		n -= k;
	}
}

#define SPILL_PUT(sp, v) spill_bytes((sp), &(v), sizeof(v))

static void
spill_put(struct scan_spill *sp, const struct scan_file *f)
{
	uint32_t linklen = f->link_target ? (uint32_t)strlen(f->link_target) + 1 : 0;
	uint64_t len = SPILL_FIXED - 4 + (uint64_t)f->pathlen + 1 + linklen + f->notelen;
	uint32_t reclen;
	uint64_t size = f->size, ino = f->ino;
	int64_t mt = f->mtime_ns, ct = f->ctime_ns;
	size_t k;

	for (k = 0; k < f->nmatches; k++)
		len += SPILL_MATCH + f->matches[k].slen;
	if (len > UINT32_MAX)
		fatalx("scan: an entry of %llu bytes", (unsigned long long)len);
	reclen = (uint32_t)len;
	if (sp->nrec % SCAN_SPILL_STRIDE == 0) {
		if (sp->nmarks == sp->amarks) {
			sp->amarks = sp->amarks ? sp->amarks * 2 : 64;
			sp->marks = xreallocarray(sp->marks, sp->amarks, sizeof(*sp->marks));
		}
		sp->marks[sp->nmarks++] = sp->off;
	}
	SPILL_PUT(sp, reclen);
	SPILL_PUT(sp, f->kind);
	SPILL_PUT(sp, f->status);
	SPILL_PUT(sp, f->nmatches);
	SPILL_PUT(sp, f->err);
	SPILL_PUT(sp, f->head);
	SPILL_PUT(sp, size);
	SPILL_PUT(sp, ino);
	SPILL_PUT(sp, mt);
	SPILL_PUT(sp, ct);
	SPILL_PUT(sp, f->mode);
	SPILL_PUT(sp, f->uid);
	spill_bytes(sp, f->sha256, SHA256_LEN);
	SPILL_PUT(sp, f->pathlen);
	SPILL_PUT(sp, linklen);
	SPILL_PUT(sp, f->notelen);
	spill_bytes(sp, f->path, f->pathlen);
	spill_bytes(sp, "", 1);
	if (linklen)
		spill_bytes(sp, f->link_target, linklen);
	if (f->notelen)
		spill_bytes(sp, f->note, f->notelen);
	for (k = 0; k < f->nmatches; k++) {
		const struct scan_match *m = &f->matches[k];

		SPILL_PUT(sp, m->product_id);
		SPILL_PUT(sp, m->path_id);
		SPILL_PUT(sp, m->root_len);
		SPILL_PUT(sp, m->slen);
		spill_bytes(sp, m->slots, m->slen);
	}
	sp->nrec++;
}

/* the file's bytes [off, off + n) in the read buffer */
static uint8_t *
spill_fetch(struct scan_spill *sp, uint64_t off, size_t n)
{
	size_t got = 0, want;

	if (off >= sp->roff && off + n <= sp->roff + sp->rlen)
		return sp->rbuf + (off - sp->roff);
	if (sp->rcap < n || sp->rcap < SPILL_RBUF) {
		sp->rcap = n > SPILL_RBUF ? n : SPILL_RBUF;
		free(sp->rbuf);
		sp->rbuf = xmalloc(sp->rcap);
	}
	/* reading on from the buffer: twice as much as the last read, up to
	 * the buffer; a jump elsewhere (the identification's binary searches
	 * jump to an entry, read one path and jump again) reads SPILL_RJUMP
	 * (a jump read the whole buffer before: its copy was 15 % of the
	 * samples of the identification and report on the bench node) */
	if (sp->rlen && off >= sp->roff && off <= sp->roff + sp->rlen)
		want = sp->rlen * 2;
	else
		want = SPILL_RJUMP;
	if (want > sp->rcap)
		want = sp->rcap;
	if (want < n)
		want = n;
	while (got < n) {
		ssize_t r = pread(sp->fd, sp->rbuf + got, want - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fatalx("scan: the temporary file of the entries is short");
		got += (size_t)r;
	}
	sp->roff = off;
	sp->rlen = got;
	return sp->rbuf;
}

#define SPILL_GET(p, v) (memcpy(&(v), (p), sizeof(v)), (p) += sizeof(v))

struct scan_file *
scan_spill_at(const struct scan_tree *t, size_t i)
{
	struct scan_spill *sp = t->spill;
	struct scan_file *f = &sp->cur;
	uint8_t *p;
	uint32_t reclen, linklen;
	uint64_t size, ino;
	int64_t mt, ct;
	size_t k;

	if (i >= sp->nrec)
		fatalx("scan: entry %zu of %zu", i, sp->nrec);
	if (sp->have && sp->pos == i + 1)
		return f;
	if (i < sp->pos || i - sp->pos >= SCAN_SPILL_STRIDE) {
		sp->pos = i / SCAN_SPILL_STRIDE * SCAN_SPILL_STRIDE;
		sp->posoff = sp->marks[i / SCAN_SPILL_STRIDE];
	}
	for (;;) {
		p = spill_fetch(sp, sp->posoff, 4);
		memcpy(&reclen, p, 4);
		if (sp->pos == i)
			break;
		sp->posoff += 4 + (uint64_t)reclen;
		sp->pos++;
	}
	p = spill_fetch(sp, sp->posoff + 4, reclen);
	sp->posoff += 4 + (uint64_t)reclen;
	sp->pos++;
	sp->have = true;
	SPILL_GET(p, f->kind);
	SPILL_GET(p, f->status);
	SPILL_GET(p, f->nmatches);
	SPILL_GET(p, f->err);
	SPILL_GET(p, f->head);
	SPILL_GET(p, size);
	SPILL_GET(p, ino);
	SPILL_GET(p, mt);
	SPILL_GET(p, ct);
	SPILL_GET(p, f->mode);
	SPILL_GET(p, f->uid);
	memcpy(f->sha256, p, SHA256_LEN);
	p += SHA256_LEN;
	SPILL_GET(p, f->pathlen);
	SPILL_GET(p, linklen);
	SPILL_GET(p, f->notelen);
	f->size = size;
	f->ino = ino;
	f->mtime_ns = mt;
	f->ctime_ns = ct;
	/* the strings and slot sets point into the read buffer */
	f->path = (char *)p;
	p += f->pathlen + 1;
	f->link_target = linklen ? (char *)p : NULL;
	p += linklen;
	f->note = f->notelen ? p : NULL;
	p += f->notelen;
	if (f->nmatches > sp->amatch) {
		sp->amatch = f->nmatches;
		f->matches = xreallocarray(f->matches, sp->amatch, sizeof(*f->matches));
	}
	for (k = 0; k < f->nmatches; k++) {
		struct scan_match *m = &f->matches[k];

		SPILL_GET(p, m->product_id);
		SPILL_GET(p, m->path_id);
		SPILL_GET(p, m->root_len);
		SPILL_GET(p, m->slen);
		m->slots = p;
		p += m->slen;
	}
	return f;
}

static void
scan_file_release(struct scan_file *f)
{
	for (size_t j = 0; j < f->nmatches; j++)
		free(f->matches[j].slots);
	free(f->matches);
	free(f->path);
	free(f->link_target);
	free(f->note);
}

static void scan_publish(struct scan_state *ss);
static void worker_done(struct scan_state *ss, size_t i);
static void worker_file(struct scan_state *ss, struct scan_worker *w, struct scan_file *f);

/* Writes out the window's chunks the workers are through with, oldest first;
 * with `wait`, waits for the oldest one (the walker needs its slot). Only the
 * walking thread calls this. */
static void
spill_drain(struct scan_state *ss, bool wait)
{
	struct scan_tree *t = ss->t;

	if (wait)
		scan_publish(ss);
	for (;;) {
		size_t c = ss->spilled, first = c * SCAN_CHUNK, n, k;

		if (t->nfiles <= first)
			return;
		n = t->nfiles - first < SCAN_CHUNK ? t->nfiles - first : SCAN_CHUNK;
		pthread_mutex_lock(&ss->mu);
		/* a partial chunk is done only when nothing more comes */
		while ((ss->done[c % SCAN_WINDOW] < n || (n < SCAN_CHUNK && !ss->walk_done)) && wait) {
			size_t j;

			if (ss->next >= ss->published) {
				pthread_cond_wait(&ss->drained, &ss->mu);
				continue;
			}
			/* the workers have the whole window ahead of them: the
			 * walker hashes beside them instead of waiting */
			j = ss->next++;
			pthread_mutex_unlock(&ss->mu);
			worker_file(ss, ss->walker, live_at(ss, j));
			pthread_mutex_lock(&ss->mu);
			worker_done(ss, j);
		}
		if (ss->done[c % SCAN_WINDOW] < n || (n < SCAN_CHUNK && !ss->walk_done)) {
			pthread_mutex_unlock(&ss->mu);
			return;
		}
		ss->done[c % SCAN_WINDOW] = 0;
		pthread_mutex_unlock(&ss->mu);
		/* cppcheck-suppress knownConditionTrueFalse ; n >= 1: nfiles > first */
		for (k = 0; k < n; k++) {
			struct scan_file *f = live_at(ss, first + k);

			spill_put(t->spill, f);
			scan_file_release(f);
		}
		ss->spilled++;
		wait = false;
	}
}

/* `locked`: the caller holds ss->mu (the parallel walk) */
static struct scan_file *
scan_append(struct scan_state *ss, bool locked)
{
	struct scan_tree *t = ss->t;
	size_t i = t->nfiles;
	struct scan_file *f;

	if (ss->spill) {
		/* the slot's previous chunk must be written out first */
		if (i / SCAN_CHUNK >= ss->spilled + SCAN_WINDOW)
			spill_drain(ss, true);
		f = live_at(ss, i);
		memset(f, 0, sizeof(*f));
		t->nfiles++;
		return f;
	}
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

/* The hashing threads' cache of index answers: the sites of a node repeat
 * the same release files, so most hashes are asked many times; one cache for
 * all threads (one per thread asked SQLite for each release file once per
 * thread). Bounded; cleared when full. An open-addressing table of the digests themselves (a probe reads
 * one slot, no hash of 32 bytes to compute): the slot is taken from a
 * digest's first bytes mixed with a random key of the cache's, so contents
 * a customer chose cannot be made to fall into one run of slots. */
#define LOOKUP_CACHE_MAX 65536
#define LOOKUP_CACHE_MIN 4096 /* slots of the first table */

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

struct lk_slot {
	uint8_t sha256[SHA256_LEN];
	struct lk_cached *c; /* NULL: empty */
};

struct lk_cache {
	struct lk_slot *slots;
	size_t cap; /* a power of two; at most half full */
	size_t len;
	uint64_t key;
};

static size_t
cache_slot(const struct lk_cache *lc, const uint8_t *sha256)
{
	uint64_t h;

	memcpy(&h, sha256, sizeof(h));
	h = (h ^ lc->key) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (lc->cap - 1);
}

/* the slot of sha256: its entry, or the empty slot it would go to */
static struct lk_slot *
cache_find(const struct lk_cache *lc, const uint8_t *sha256)
{
	size_t i = cache_slot(lc, sha256);

	while (lc->slots[i].c && memcmp(lc->slots[i].sha256, sha256, SHA256_LEN) != 0)
		i = (i + 1) & (lc->cap - 1);
	return &lc->slots[i];
}

static void
cache_init(struct lk_cache *lc)
{
	memset(lc, 0, sizeof(*lc));
	if (getrandom(&lc->key, sizeof(lc->key), 0) != sizeof(lc->key))
		lc->key = (uint64_t)(uintptr_t)lc ^ (uint64_t)time(NULL);
	lc->cap = LOOKUP_CACHE_MIN;
	lc->slots = xcalloc(lc->cap, sizeof(*lc->slots));
}

/* c as sha256's answer (absent from the table), the table grown first
 * when it would be over half full */
static void
cache_put(struct lk_cache *lc, const uint8_t *sha256, struct lk_cached *c)
{
	struct lk_slot *sl;

	if (2 * (lc->len + 1) > lc->cap) {
		struct lk_slot *old = lc->slots;
		size_t ocap = lc->cap;

		lc->cap *= 2;
		lc->slots = xcalloc(lc->cap, sizeof(*lc->slots));
		for (size_t i = 0; i < ocap; i++)
			if (old[i].c)
				*cache_find(lc, old[i].sha256) = old[i];
		free(old);
	}
	sl = cache_find(lc, sha256);
	memcpy(sl->sha256, sha256, SHA256_LEN);
	sl->c = c;
	lc->len++;
}

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
cached_free(struct lk_cached *c)
{
	for (size_t k = 0; k < c->n; k++) {
		free(c->m[k].relpath);
		free(c->m[k].slots);
	}
	free(c->m);
	free(c);
}

/* empties the table (it keeps its size); free: its memory too */
static void
cache_clear(struct lk_cache *lc, bool free_table)
{
	for (size_t i = 0; i < lc->cap; i++) {
		if (lc->slots[i].c == NULL)
			continue;
		cached_free(lc->slots[i].c);
		lc->slots[i].c = NULL;
	}
	lc->len = 0;
	if (free_table) {
		free(lc->slots);
		lc->slots = NULL;
		lc->cap = 0;
	}
}

/* bytes of a worker's content buffer kept from one file to the next */
#define KEEP_RETAIN (1u << 20)

/* what a hashing thread keeps for itself: its index connection, its content
 * buffer */
struct scan_worker {
	struct fpindex_lookup *lk;
	struct hash_keep hk;
	uint64_t bytes;
};

static void
worker_init(struct scan_state *ss, struct scan_worker *w)
{
	char err[512];

	memset(w, 0, sizeof(*w));
	w->hk.cap = ss->o->keep_max;
	if (ss->dbpath && fpindex_lookup_open(ss->dbpath, &w->lk, err, sizeof(err)) < 0)
		log_warnx("scan: %s", err);
	if (w->lk)
		fpindex_lookup_hold(w->lk, true);
}

static void
worker_fini(struct scan_state *ss, struct scan_worker *w)
{
	free(w->hk.buf);
	fpindex_lookup_free(w->lk);
	pthread_mutex_lock(&ss->mu);
	ss->bytes += w->bytes;
	pthread_mutex_unlock(&ss->mu);
}

/* file i is through (ss->mu held): a spilled tree's chunk may be written out */
static void
worker_done(struct scan_state *ss, size_t i)
{
	if (ss->spill && ++ss->done[i / SCAN_CHUNK % SCAN_WINDOW] == SCAN_CHUNK)
		pthread_cond_signal(&ss->drained);
}

/* hashes f, looks it up, hands its content to o->content; without the lock */
static void
worker_file(struct scan_state *ss, struct scan_worker *w, struct scan_file *f)
{
	const struct scan_opts *o = ss->o;
	struct hash_keep *hk = &w->hk;
	struct hash_result hr;
	bool keep;

	if (f->kind != SCAN_FILE || o->stat_only)
		return;
	/* the content of the files o->keep names, as hashed */
	keep = o->content && o->keep && o->keep(o->content_ud, f->path, f->pathlen);
	hash_file_beneath_keep(ss->rootfd, f->path, o->max_size, NULL, keep ? hk : NULL, &hr);
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
		return;
	f->head = (uint8_t)((classify_php_head(hr.head, hr.headlen) ? SCAN_HEAD_CODE : 0) |
			    (hr.php_tag ? SCAN_HEAD_PHP_TAG : 0));
	memcpy(f->sha256, hr.sha256, SHA256_LEN);
	w->bytes += hr.size;
	if (w->lk) {
		struct match_ctx mc = { .f = f, .alloc = 0 };
		struct lk_cache *lc = ss->cache;
		struct lk_cached *cached;

		pthread_mutex_lock(&ss->cache_mu);
		cached = cache_find(lc, f->sha256)->c;
		if (cached == NULL) {
			/* SQLite without the lock; a thread that asked the same
			 * meanwhile put its answer first, ours goes */
			struct lk_cached *mine = xcalloc(1, sizeof(*mine));

			pthread_mutex_unlock(&ss->cache_mu);
			fpindex_lookup_hash(w->lk, f->sha256, cache_add, mine);
			pthread_mutex_lock(&ss->cache_mu);
			cached = cache_find(lc, f->sha256)->c;
			if (cached)
				cached_free(mine);
			else {
				if (lc->len >= LOOKUP_CACHE_MAX)
					cache_clear(lc, false);
				cache_put(lc, f->sha256, mine);
				cached = mine;
			}
		}
		/* the answer is copied under the lock: a full cache is
		 * cleared by whichever thread adds to it */
		for (size_t k = 0; k < cached->n; k++)
			on_match(&mc, cached->m[k].product_id, cached->m[k].path_id,
				 cached->m[k].relpath, cached->m[k].rlen, cached->m[k].slots,
				 cached->m[k].slen);
		pthread_mutex_unlock(&ss->cache_mu);
	}
	if (o->content) {
		bool kept = keep && hk->kept;

		o->content(o->content_ud, ss->t->root, ss->rootfd, f, kept ? hk->buf : NULL,
			   kept ? hk->len : 0);
	}
	/* a large file's buffer is not kept for the next small one */
	if (hk->alloc > KEEP_RETAIN) {
		free(hk->buf);
		hk->buf = NULL;
		hk->alloc = 0;
	}
}

/* takes files as they are published until the walk is over and none is left */
static void
worker_run(struct scan_state *ss, struct scan_worker *w)
{
	size_t prev = SIZE_MAX; /* the file done last, counted at the next lock */

	for (;;) {
		struct scan_file *f;

		pthread_mutex_lock(&ss->mu);
		if (prev != SIZE_MAX)
			worker_done(ss, prev);
		while (ss->next >= ss->published && !ss->walk_done)
			pthread_cond_wait(&ss->cv, &ss->mu);
		if (ss->next >= ss->published) {
			pthread_mutex_unlock(&ss->mu);
			break;
		}
		prev = ss->next++;
		f = live_at(ss, prev);
		pthread_mutex_unlock(&ss->mu);
		worker_file(ss, w, f);
	}
}

static void *
scan_worker(void *arg)
{
	struct scan_state *ss = arg;
	struct scan_worker w;

	worker_init(ss, &w);
	worker_run(ss, &w);
	worker_fini(ss, &w);
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

/* a getdents64 record (the kernel's struct linux_dirent64) */
struct dirent64_rec {
	uint64_t d_ino;
	/* cppcheck-suppress unusedStructMember ; the kernel's layout */
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Reads the directory `dir` (relative to the root, owned: freed or kept in an
 * entry) into `o`. The records come from getdents64 into a buffer on the
 * stack: no DIR (its fstat, fcntl and buffer allocation) per directory. */
static void
scan_dir(struct scan_state *ss, char *dir, struct dir_out *o)
{
	size_t dlen = strlen(dir);
	int dfd = open_dir_beneath(ss->rootfd, dir);
	_Alignas(8) char dbuf[32768];
	long got = 0, off = 0;

	if (dfd < 0) {
		struct scan_file *f = dir_out_file(o);

		f->path = dir;
		f->pathlen = (uint32_t)dlen;
		f->kind = dfd == -EXDEV ? SCAN_MOUNTPOINT : SCAN_DIR_ERROR;
		f->err = -dfd;
		return;
	}
	for (;;) {
		const struct dirent64_rec *de;
		struct stat st;
		struct scan_file *f;
		size_t plen;
		char *path;

		if (off >= got) {
			/* an error reading it ends the directory as its end does */
			got = syscall(SYS_getdents64, dfd, dbuf, sizeof(dbuf));
			if (got <= 0)
				break;
			off = 0;
		}
		de = (const struct dirent64_rec *)(dbuf + off);
		off += de->d_reclen;
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
	close(dfd);
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

/* a (+ '/' when adir) against b (+ '/' when bdir), two entries of one
 * directory: the order that puts a directory's subtree where its path sorts */
static int
entry_cmp(const char *a, size_t al, bool adir, const char *b, size_t bl, bool bdir)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n), ca, cb;

	if (c)
		return c;
	/* cppcheck-suppress knownConditionTrueFalse ; n == al only when a is the shorter */
	ca = n < al ? (unsigned char)a[n] : adir ? '/' : -1;
	cb = n < bl ? (unsigned char)b[n] : bdir ? '/' : -1;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	return al < bl ? -1 : al > bl;
}

static int
cmp_entry_file(const void *a, const void *b)
{
	const struct scan_file *x = a, *y = b;

	return entry_cmp(x->path, x->pathlen, false, y->path, y->pathlen, false);
}

static int
cmp_entry_dir(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return entry_cmp(x, strlen(x), true, y, strlen(y), true);
}

struct wframe {
	struct dir_out o;
	size_t fi, di;
};

/* Depth first on the calling thread, each directory's entries sorted (a
 * subdirectory as its name and '/'), so that the entries come out in path
 * order, while the workers hash. Memory: the directories on the way down and
 * their entries not walked yet. */
static void
scan_walk_sorted(struct scan_state *ss)
{
	struct wframe *st = NULL;
	size_t n = 0, alloc = 0;
	char *dir = xstrdup("");

	for (;;) {
		struct wframe *w;

		if (dir) {
			/* what was walked goes to the workers before the syscalls */
			scan_publish(ss);
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 16;
				st = xreallocarray(st, alloc, sizeof(*st));
			}
			w = &st[n++];
			memset(w, 0, sizeof(*w));
			ss->t->ndirs++;
			scan_dir(ss, dir, &w->o);
			dir = NULL;
			if (w->o.nfiles > 1)
				qsort(w->o.files, w->o.nfiles, sizeof(*w->o.files), cmp_entry_file);
			if (w->o.ndirs > 1)
				qsort(w->o.dirs, w->o.ndirs, sizeof(*w->o.dirs), cmp_entry_dir);
			scan_progress(ss, false);
		}
		if (n == 0)
			break;
		w = &st[n - 1];
		if (w->fi < w->o.nfiles &&
		    (w->di == w->o.ndirs ||
		     entry_cmp(w->o.files[w->fi].path, w->o.files[w->fi].pathlen, false,
			       w->o.dirs[w->di], strlen(w->o.dirs[w->di]), true) < 0)) {
			*scan_append(ss, false) = w->o.files[w->fi++];
			/* a large directory: its files to the workers as they come */
			if (ss->t->nfiles - ss->published >= 64)
				scan_publish(ss);
		} else if (w->di < w->o.ndirs) {
			dir = w->o.dirs[w->di++];
		} else {
			free(w->o.files);
			free(w->o.dirs);
			n--;
		}
	}
	free(st);
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
	struct scan_worker walker;
	struct scan_tree *t = scan_tree_new(path);
	pthread_t *th = NULL;
	unsigned jobs = o->jobs, nworkers, i;
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
	if (r < 0)
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(-r));
	else if (o->spill && !o->stat_only && (t->spill = spill_new(err, errsz)) == NULL)
		r = -EIO;
	if (r < 0) {
		if (ss.rootfd >= 0)
			close(ss.rootfd);
		scan_tree_free(t);
		return r;
	}
	ss.rootdev = st.st_dev;
	ss.spill = t->spill != NULL;
	ss.dbpath = o->dbpath ? xstrdup(o->dbpath) : NULL;
	pthread_mutex_init(&ss.mu, NULL);
	pthread_mutex_init(&ss.cache_mu, NULL);
	pthread_cond_init(&ss.cv, NULL);
	pthread_cond_init(&ss.drained, NULL);
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
	if (ss.spill) {
		t->sorted = true;
		t->nchunks = SCAN_WINDOW;
		t->chunks = xcalloc(SCAN_WINDOW, sizeof(*t->chunks));
		for (i = 0; i < SCAN_WINDOW; i++)
			t->chunks[i] = xcalloc(SCAN_CHUNK, sizeof(struct scan_file));
	}
	/* the walker takes a core too: it hashes while it waits for the
	 * window's oldest chunk (a spilled tree) and joins the workers when the
	 * walk is done */
	nworkers = jobs - 1;
	ss.cache = xcalloc(1, sizeof(*ss.cache));
	cache_init(ss.cache);
	worker_init(&ss, &walker);
	ss.walker = &walker;
	th = xcalloc(nworkers + 1, sizeof(*th));
	for (i = 0; i < nworkers; i++)
		if (pthread_create(&th[i], NULL, scan_worker, &ss) != 0)
			fatalx("scan: cannot start a thread");
	if (ss.spill)
		scan_walk_sorted(&ss);
	else
		scan_walk(&ss);
	t->walk_seconds = (double)(now_mono_ns() - t0) / 1e9;
	pthread_mutex_lock(&ss.mu);
	ss.walk_done = true;
	ss.published = t->nfiles;
	pthread_cond_broadcast(&ss.cv);
	pthread_mutex_unlock(&ss.mu);
	/* one more worker on this thread while the others finish */
	worker_run(&ss, &walker);
	worker_fini(&ss, &walker);
	for (i = 0; i < nworkers; i++)
		pthread_join(th[i], NULL);
	cache_clear(ss.cache, true);
	free(ss.cache);
	if (ss.spill) {
		spill_drain(&ss, false);
		spill_flush(t->spill);
		for (i = 0; i < SCAN_WINDOW; i++)
			free(t->chunks[i]);
		free(t->chunks);
		t->chunks = NULL;
		t->nchunks = 0;
	}
	scan_progress(&ss, true);
	t->content_seen = o->content != NULL;
	t->bytes_hashed = ss.bytes;
	t->total_seconds = (double)(now_mono_ns() - t0) / 1e9;
	free(th);
done:
	free(ss.dbpath);
	t->rootfd = ss.rootfd; /* the tree's: files are read beneath it later */
	pthread_mutex_destroy(&ss.mu);
	pthread_mutex_destroy(&ss.cache_mu);
	pthread_cond_destroy(&ss.cv);
	pthread_cond_destroy(&ss.drained);
	*ret = t;
	return 0;
}

void
scan_tree_free(struct scan_tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->spill == NULL && i < t->nfiles; i++)
		scan_file_release(scan_file_at(t, i));
	spill_free(t->spill);
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
