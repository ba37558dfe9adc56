// SPDX-License-Identifier: GPL-2.0-or-later
/* Release ingest from directories and archives; see ingest.h. */
#include "ingest.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "fpset.h"
#include "hash.h"
#include "log.h"
#include "pristine.h"
#include "scan.h"
#include "util.h"

struct ientry {
	char *path;
	size_t len;
	uint8_t sha[SHA256_LEN];
};

struct icollect {
	struct ientry *e;
	size_t n, alloc;
	struct pristine *store; /* or NULL */
	size_t stored, not_stored;
	int store_error;
};

/* offers one content to the pristine store; a store that cannot take it
 * does not fail the ingest (counted, the first reason kept) */
static void
keep(struct icollect *c, const uint8_t sha[SHA256_LEN], const void *data, size_t len)
{
	int r = pristine_put(c->store, sha, data, len);

	if (r == 1)
		c->stored++;
	if (r < 0) {
		c->not_stored++;
		if (c->store_error == 0)
			c->store_error = r;
	}
}

static int
collect(void *ud, const char *path, size_t len, const uint8_t sha256[32])
{
	struct icollect *c = ud;

	if (c->n >= INGEST_MAX_ENTRIES)
		return -E2BIG;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 256;
		c->e = xreallocarray(c->e, c->alloc, sizeof(*c->e));
	}
	c->e[c->n].path = xstrndup(path, len);
	c->e[c->n].len = len;
	memcpy(c->e[c->n].sha, sha256, SHA256_LEN);
	c->n++;
	return 0;
}

static int
archive_walk(struct archive *a, ingest_entry_fn fn, void *ud, struct icollect *keepc, char *err,
	     size_t errsz)
{
	struct archive_entry *ae;
	struct sha256_ctx *ctx = sha256_new();
	uint64_t total = 0;
	char *buf = xmalloc(65536);
	struct buf content;
	bool toobig = false;
	int r = 0, ar;

	buf_init(&content, PRISTINE_MAX_FILE);

	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		mode_t type = archive_entry_filetype(ae);
		const char *why;
		size_t len;
		uint8_t sha[SHA256_LEN];

		if (name == NULL) {
			snprintf(err, errsz, "archive entry without a usable name");
			r = -EINVAL;
			goto out;
		}
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		len = strlen(name);
		while (len > 0 && name[len - 1] == '/')
			len--;
		if (type == AE_IFDIR || len == 0)
			continue;
		if (archive_entry_hardlink(ae) != NULL) {
			snprintf(err, errsz, "entry '%s' is a hard link: refused", esc_name(name));
			r = -EINVAL;
			goto out;
		}
		if (type == AE_IFLNK) {
			snprintf(err, errsz, "entry '%s' is a symbolic link: refused", esc_name(name));
			r = -EINVAL;
			goto out;
		}
		if (type != AE_IFREG) {
			snprintf(err, errsz, "entry '%s' is not a regular file (device, FIFO or "
				 "socket): refused", esc_name(name));
			r = -EINVAL;
			goto out;
		}
		if (fpset_check_path(name, len, &why) < 0) {
			snprintf(err, errsz, "entry '%s': %s: refused", esc_name(name), why);
			r = -EINVAL;
			goto out;
		}
		buf_reset(&content);
		toobig = false;
		for (;;) {
			la_ssize_t n = archive_read_data(a, buf, 65536);

			if (n < 0) {
				snprintf(err, errsz, "entry '%s': %s", esc_name(name),
					 archive_error_string(a) ? archive_error_string(a) : "read error");
				r = -EBADMSG;
				goto out;
			}
			if (n == 0)
				break;
			total += (uint64_t)n;
			if (total > INGEST_MAX_BYTES) {
				snprintf(err, errsz, "archive expands to more than %llu bytes: refused",
					 (unsigned long long)INGEST_MAX_BYTES);
				r = -E2BIG;
				goto out;
			}
			sha256_update(ctx, buf, (size_t)n);
			if (keepc && !toobig && buf_append(&content, buf, (size_t)n) < 0)
				toobig = true; /* too large to keep */
		}
		sha256_final(ctx, sha);
		if (keepc && keepc->store) {
			if (toobig) {
				keepc->not_stored++;
				if (keepc->store_error == 0)
					keepc->store_error = -EFBIG;
			} else {
				keep(keepc, sha, content.data, content.len);
			}
		}
		if ((r = fn(ud, name, len, sha)) < 0) {
			if (r == -E2BIG)
				snprintf(err, errsz, "more than %d entries: refused", INGEST_MAX_ENTRIES);
			goto out;
		}
	}
	if (ar != ARCHIVE_EOF) {
		snprintf(err, errsz, "not a readable archive: %s",
			 archive_error_string(a) ? archive_error_string(a) : "unknown format");
		r = -EBADMSG;
	}
out:
	buf_free(&content);
	free(buf);
	sha256_free(ctx);
	return r;
}

static struct archive *
archive_new_reader(void)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	return a;
}

/* Zip entries compressed with LZMA, XZ or PPMd carry their own memory
 * demand in a few header bytes (a 4 GiB dictionary from a 118-byte file):
 * only stored, deflate and bzip2 entries are read, as release zips use. Every
 * local header signature is checked: libarchive reads those, not the central
 * directory. */
static int
zip_methods_ok(const uint8_t *p, size_t n, char *err, size_t errsz)
{
	size_t i;

	if (n < 4 || p[0] != 'P' || p[1] != 'K')
		return 0;
	for (i = 0; i + 10 <= n; i++) {
		unsigned method;

		if (p[i] != 'P' || memcmp(p + i, "PK\003\004", 4) != 0)
			continue;
		method = (unsigned)p[i + 8] | (unsigned)p[i + 9] << 8;
		if (method != 0 && method != 8 && method != 12) {
			snprintf(err, errsz, "zip entry at byte %zu is compressed with method %u (only "
				 "stored, deflate and bzip2 entries are read): refused", i, method);
			return -EINVAL;
		}
	}
	return 0;
}

static int
walk_mem(const void *data, size_t len, ingest_entry_fn fn, void *ud, struct icollect *keepc,
	 char *err, size_t errsz)
{
	struct archive *a;
	int r;

	if ((r = zip_methods_ok(data, len, err, errsz)) < 0)
		return r;
	a = archive_new_reader();
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		snprintf(err, errsz, "not a readable archive: %s",
			 archive_error_string(a) ? archive_error_string(a) : "unknown format");
		archive_read_free(a);
		return -EBADMSG;
	}
	r = archive_walk(a, fn, ud, keepc, err, errsz);
	archive_read_free(a);
	return r;
}

int
ingest_archive_mem(const void *data, size_t len, ingest_entry_fn fn, void *ud, char *err,
		   size_t errsz)
{
	return walk_mem(data, len, fn, ud, NULL, err, errsz);
}

static int
ingest_archive_file(const char *path, struct icollect *c, char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	void *map;
	char e2[512];
	int r;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > INGEST_MAX_BYTES || st.st_size == 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path),
			 fd < 0 ? strerror(errno) : "not a regular, non-empty file of at most 8 GiB");
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		return -EIO;
	}
	e2[0] = '\0';
	r = walk_mem(map, (size_t)st.st_size, collect, c, c->store ? c : NULL, e2, sizeof(e2));
	munmap(map, (size_t)st.st_size);
	if (r < 0)
		snprintf(err, errsz, "%s: %s", esc_name(path), e2);
	return r;
}

/* reads a directory's file again beneath its root for the store; the bytes
 * must hash as the scan saw them (pristine_put checks) */
static void
keep_file(struct icollect *c, int rootfd, const struct scan_file *f)
{
	char *rel = xstrndup(f->path, f->pathlen), *data = NULL;
	int fd = rootfd >= 0 ? hash_open_beneath(rootfd, rel) : -EBADF, r = -EFBIG;
	struct stat st;

	if (fd < 0)
		r = fd;
	else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		 (uint64_t)st.st_size <= PRISTINE_MAX_FILE) {
		data = xmalloc(st.st_size ? (size_t)st.st_size : 1);
		r = pread(fd, data, (size_t)st.st_size, 0) == st.st_size ? 0 : -EIO;
	}
	if (r == 0) {
		keep(c, f->sha256, data, (size_t)st.st_size);
	} else {
		c->not_stored++;
		if (c->store_error == 0)
			c->store_error = r;
	}
	if (fd >= 0)
		close(fd);
	free(data);
	free(rel);
}

static int
ingest_dir(const char *path, struct icollect *c, char *err, size_t errsz)
{
	struct scan_opts so = { 0 };
	struct scan_tree *t = NULL;
	size_t i;
	int r;

	int rootfd = -1;

	if ((r = scan_tree_run(path, &so, &t, err, errsz)) < 0)
		return r;
	if (c->store)
		rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < t->nfiles && r == 0; i++) {
		const struct scan_file *f = scan_file_at(t, i);

		if (f->kind == SCAN_FILE && f->status == HASH_OK) {
			r = collect(c, f->path, f->pathlen, f->sha256);
			if (r == 0 && c->store)
				keep_file(c, rootfd, f);
			continue;
		}
		snprintf(err, errsz, "'%s' is %s: refused (a release holds regular files only)",
			 esc_name(f->path),
			 f->kind == SCAN_FILE ? hash_status_name(f->status)
					      : scan_kind_name((enum scan_entry_kind)f->kind));
		r = -EINVAL;
	}
	if (rootfd >= 0)
		close(rootfd);
	scan_tree_free(t);
	return r;
}

static int
cmp_ientry(const void *a, const void *b)
{
	const struct ientry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->path, y->path, n);

	return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

/* if every entry lies in one top folder, strip it */
static char *
strip_top(struct icollect *c)
{
	const char *slash;
	size_t tl, i;
	char *top;

	if (c->n == 0 || (slash = memchr(c->e[0].path, '/', c->e[0].len)) == NULL)
		return NULL;
	tl = (size_t)(slash - c->e[0].path);
	for (i = 1; i < c->n; i++)
		if (c->e[i].len <= tl + 1 || memcmp(c->e[i].path, c->e[0].path, tl + 1) != 0)
			return NULL;
	top = xstrndup(c->e[0].path, tl);
	for (i = 0; i < c->n; i++) {
		memmove(c->e[i].path, c->e[i].path + tl + 1, c->e[i].len - tl);
		c->e[i].len -= tl + 1;
	}
	return top;
}

static int
write_atomic(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int r = 0;

	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = fd_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
out:
	free(tmp);
	return r;
}

/* mkdir -p: dir and its missing parents, mode 0755 (fingerprint sets are
 * public data); 0 or a negative errno */
static int
mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *slash = p;
	int r = 0;

	for (;;) {
		slash = strchr(slash + 1, '/');
		if (slash)
			*slash = '\0';
		if (p[0] && mkdir(p, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		if (slash == NULL)
			break;
		*slash = '/';
	}
	free(p);
	return r;
}

int
ingest_write_set(const char *outdir, const char *product, const char *version, const char *kind,
		 const char *data, size_t len, char **set_path, char *err, size_t errsz)
{
	char *pdir = xasprintf("%s/%s", outdir, product), *meta = xasprintf("%s/product.yaml", pdir);
	struct stat st;
	int r = 0;

	*set_path = NULL;
	if ((r = mkdirs(pdir)) < 0) {
		snprintf(err, errsz, "%s: cannot create it: %s", pdir, strerror(-r));
		goto out;
	}
	if (stat(meta, &st) < 0) {
		char *text = xasprintf("# written by wsidctl\nkind: %s\n", kind);

		r = write_atomic(meta, text, strlen(text));
		free(text);
		if (r < 0) {
			snprintf(err, errsz, "%s: %s", meta, strerror(-r));
			goto out;
		}
	}
	*set_path = xasprintf("%s/%s.sha256", pdir, version);
	if ((r = write_atomic(*set_path, data ? data : "", len)) < 0) {
		snprintf(err, errsz, "%s: %s", *set_path, strerror(-r));
		free(*set_path);
		*set_path = NULL;
	}
out:
	free(pdir);
	free(meta);
	return r;
}

int
ingest_run(const struct ingest_opts *o, struct ingest_result *ret, char *err, size_t errsz)
{
	struct icollect c = { 0 };
	struct stat st;
	struct buf out;
	size_t i;
	int r;

	memset(ret, 0, sizeof(*ret));
	c.store = o->store;
	buf_init(&out, SIZE_MAX / 2);
	if (fpset_check_product(o->product) < 0) {
		snprintf(err, errsz, "invalid product name '%s' (lower case letters, digits, '.', '_', "
			 "'-')", esc_name(o->product));
		return -EINVAL;
	}
	if (fpset_check_version(o->version) < 0) {
		snprintf(err, errsz, "invalid version '%s'", esc_name(o->version));
		return -EINVAL;
	}
	if (strcmp(o->kind, "core") != 0 && strcmp(o->kind, "plugin") != 0 && strcmp(o->kind, "theme") != 0 &&
	    strcmp(o->kind, "library") != 0) {
		snprintf(err, errsz, "invalid kind '%s' (core, plugin, theme, library)", esc_name(o->kind));
		return -EINVAL;
	}
	if (o->data) {
		char e2[512] = "";

		memset(&st, 0, sizeof(st));
		if ((r = walk_mem(o->data, o->len, collect, &c, c.store ? &c : NULL, e2, sizeof(e2))) < 0)
			snprintf(err, errsz, "%s: %s", esc_name(o->source), e2);
	} else if (stat(o->source, &st) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(o->source), strerror(errno));
		return -errno;
	} else if (S_ISDIR(st.st_mode)) {
		r = ingest_dir(o->source, &c, err, errsz);
	} else {
		r = ingest_archive_file(o->source, &c, err, errsz);
	}
	if (r < 0)
		goto out;
	if (!S_ISDIR(st.st_mode) && o->strip_top)
		ret->stripped_top = strip_top(&c);
	if (o->expect_top && (ret->stripped_top == NULL || strcmp(ret->stripped_top, o->expect_top) != 0)) {
		snprintf(err, errsz, "%s: expected every entry below '%s/', found %s%s%s: refused",
			 esc_name(o->source), o->expect_top, ret->stripped_top ? "'" : "",
			 ret->stripped_top ? esc_name(ret->stripped_top) : "no single top folder",
			 ret->stripped_top ? "/'" : "");
		r = -EINVAL;
		goto out;
	}
	if (c.n == 0) {
		snprintf(err, errsz, "%s: no files", esc_name(o->source));
		r = -ENOENT;
		goto out;
	}
	qsort(c.e, c.n, sizeof(*c.e), cmp_ientry);
	for (i = 0; i < c.n; i++) {
		if (i > 0 && cmp_ientry(&c.e[i - 1], &c.e[i]) == 0) {
			snprintf(err, errsz, "duplicate entry '%s': refused", esc_name(c.e[i].path));
			r = -EINVAL;
			goto out;
		}
		if ((r = fpset_format_line(&out, c.e[i].sha, c.e[i].path, c.e[i].len)) < 0)
			goto out;
	}
	if ((r = ingest_write_set(o->outdir, o->product, o->version, o->kind, out.data, out.len,
				  &ret->set_path, err, errsz)) < 0)
		goto out;
	ret->files = c.n;
	ret->stored = c.stored;
	ret->not_stored = c.not_stored;
	ret->store_error = c.store_error;
out:
	for (i = 0; i < c.n; i++)
		free(c.e[i].path);
	free(c.e);
	buf_free(&out);
	if (r < 0)
		ingest_result_free(ret);
	return r;
}

void
ingest_result_free(struct ingest_result *r)
{
	free(r->set_path);
	free(r->stripped_top);
	r->set_path = NULL;
	r->stripped_top = NULL;
}
