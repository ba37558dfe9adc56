// SPDX-License-Identifier: GPL-2.0-or-later
/* Safe open beneath a root and streaming SHA-256; see hash.h. */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define HASH_CHUNK (64 * 1024)

static void fill_stat(struct hash_result *r, const struct stat *st);

struct sha256_ctx {
	EVP_MD_CTX *md;
};

static const EVP_MD *
sha256_md(void)
{
	/* EVP_sha256() returns a static object: safe from any thread */
	return EVP_sha256();
}

struct sha256_ctx *
sha256_new(void)
{
	struct sha256_ctx *c = xcalloc(1, sizeof(*c));

	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, sha256_md(), NULL) != 1)
		fatalx("hash: cannot initialise SHA-256");
	return c;
}

void
sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
	if (EVP_DigestUpdate(c->md, p, n) != 1)
		fatalx("hash: SHA-256 update failed");
}

void
sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN])
{
	unsigned len = 0;

	if (EVP_DigestFinal_ex(c->md, out, &len) != 1 || len != SHA256_LEN ||
	    EVP_DigestInit_ex(c->md, sha256_md(), NULL) != 1)
		fatalx("hash: SHA-256 final failed");
}

void
sha256_free(struct sha256_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

void
sha256_buf(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	unsigned len = 0;

	if (EVP_Digest(p, n, out, &len, sha256_md(), NULL) != 1 || len != SHA256_LEN)
		fatalx("hash: SHA-256 failed");
}

const char *
hash_status_name(enum hash_status s)
{
	static const char *const names[HASH_STATUS_MAX] = {
		[HASH_OK] = "ok",
		[HASH_NOT_REGULAR] = "not-regular",
		[HASH_SYMLINK] = "symlink",
		[HASH_TOO_BIG] = "too-big",
		[HASH_SPARSE] = "sparse",
		[HASH_CHANGED] = "changed-while-hashed",
		[HASH_GONE] = "gone",
		[HASH_ERROR] = "error",
		[HASH_LOCKED] = "locked",
	};

	return (unsigned)s < HASH_STATUS_MAX ? names[s] : "unknown";
}

int64_t
stat_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int64_t
stat_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)

static int
open_noatime(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOATIME);

	/* O_NOATIME needs ownership or CAP_FOWNER */
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd < 0 ? -errno : fd;
}

int
fd_mount_id(int fd)
{
	struct {
		struct file_handle fh;
		/* the kernel writes the handle here, after fh */
		/* cppcheck-suppress unusedStructMember */
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	int id = -1;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &h.fh, &id, AT_EMPTY_PATH) < 0 && errno != EOVERFLOW)
		return -1;
	return id;
}

/* what RESOLVE_NO_XDEV refuses: fd on another mount than the root (a bind
 * mount of the same file system has the same st_dev, not the same mount) */
static int
check_mount(int fd, dev_t rootdev, int rootmnt)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_dev != rootdev ||
	    (rootmnt >= 0 && fd_mount_id(fd) != rootmnt)) {
		close(fd);
		return -EXDEV;
	}
	return fd;
}

/* Component-wise walk: every directory opened O_DIRECTORY|O_NOFOLLOW relative to
 * the previous one, so no symlink is followed and ".." never appears; nothing on
 * another mount is opened. */
static int
open_walk(int rootfd, const char *relpath)
{
	const char *p = relpath;
	int dfd = rootfd, fd = -EINVAL;
	char name[256];
	struct stat rst;
	int rootmnt = fd_mount_id(rootfd);

	if (fstat(rootfd, &rst) < 0)
		return -errno;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || n > 255 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			fd = -EXDEV;
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (slash == NULL) {
			fd = open_noatime(dfd, name, OPEN_FLAGS);
			if (fd >= 0)
				fd = check_mount(fd, rst.st_dev, rootmnt);
			break;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = errno == ENOTDIR ? -ELOOP : -errno;
			break;
		}
		if ((fd = check_mount(fd, rst.st_dev, rootmnt)) < 0)
			break;
		if (dfd != rootfd)
			close(dfd);
		dfd = fd;
		p = slash + 1;
	}
	if (dfd != rootfd)
		close(dfd);
	return fd;
}

int
hash_open_beneath(int rootfd, const char *relpath)
{
	struct open_how how = {
		.flags = OPEN_FLAGS | O_NOATIME,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;

	if (relpath[0] == '/' || relpath[0] == '\0')
		return -EXDEV;
	fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
	if (fd < 0 && errno == EPERM) {
		how.flags &= ~(uint64_t)O_NOATIME;
		fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
	}
	if (fd >= 0)
		return (int)fd;
	if (errno == ENAMETOOLONG || errno == ENOSYS)
		return open_walk(rootfd, relpath);
	if (errno == EAGAIN) /* RESOLVE_BENEATH raced with a rename: once more */
		return open_walk(rootfd, relpath);
	return -errno;
}

static void
fill_stat(struct hash_result *r, const struct stat *st)
{
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->size = (uint64_t)st->st_size;
	r->mode = st->st_mode;
	r->uid = st->st_uid;
	r->nlink = st->st_nlink;
	r->mtime_ns = stat_mtime_ns(st);
	r->ctime_ns = stat_ctime_ns(st);
}

/* "<?php" (any case) or "<?=" in p[0..n); seam holds the last 4 bytes of the
 * previous chunk (zeros at first), so a tag across two chunks is found */
static bool
php_tag_at(const uint8_t *q, size_t left)
{
	if (left >= 3 && q[2] == '=')
		return true;
	return left >= 5 && strncasecmp((const char *)q + 2, "php", 3) == 0;
}

static bool
php_tag_scan(uint8_t seam[4], const uint8_t *p, size_t n)
{
	uint8_t join[8];
	size_t k = n < 4 ? n : 4, i;
	const uint8_t *q = p;

	memcpy(join, seam, 4);
	memcpy(join + 4, p, k);
	for (i = 0; i + 1 < 4 + k; i++)
		if (join[i] == '<' && join[i + 1] == '?' && i < 4 && php_tag_at(join + i, 4 + k - i))
			return true;
	/* memchr for the '<' (vectorised), then a look at what follows: a
	 * two-byte memmem went byte by byte, 15 % of a scan's CPU over images */
	while ((q = memchr(q, '<', n - (size_t)(q - p))) != NULL) {
		size_t left = n - (size_t)(q - p);

		if (left >= 2 && q[1] == '?' && php_tag_at(q, left))
			return true;
		q++;
	}
	if (n >= 4) {
		memcpy(seam, p + n - 4, 4);
	} else {
		memmove(seam, seam + n, 4 - n);
		memcpy(seam + 4 - n, p, n);
	}
	return false;
}

bool
hash_php_tag(const void *p, size_t n)
{
	uint8_t seam[4] = { 0 };

	return php_tag_scan(seam, p, n);
}

void
hash_fd(int fd, uint64_t max_size, const struct stat *expect, struct hash_result *ret)
{
	hash_fd_keep(fd, max_size, expect, NULL, ret);
}

void
hash_fd_keep(int fd, uint64_t max_size, const struct stat *expect, struct hash_keep *keep,
	     struct hash_result *ret)
{
	/* per call, nothing thread-local: threads come and go (scans, pools) */
	uint8_t chunk[HASH_CHUNK], seam[4] = { 0 };
	EVP_MD_CTX *md = NULL;
	struct stat st, st2;
	uint64_t off = 0;
	unsigned len = 0;
	bool kept = false;

	memset(ret, 0, sizeof(*ret));
	if (keep)
		keep->kept = false;
	if (fstat(fd, &st) < 0) {
		ret->status = HASH_ERROR;
		ret->err = errno;
		return;
	}
	fill_stat(ret, &st);
	if (S_ISLNK(st.st_mode)) {
		ret->status = HASH_SYMLINK;
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		ret->status = HASH_NOT_REGULAR;
		return;
	}
	if (expect && (expect->st_ino != st.st_ino || expect->st_dev != st.st_dev)) {
		ret->status = HASH_CHANGED;
		return;
	}
	if (max_size && (uint64_t)st.st_size > max_size) {
		ret->status = HASH_TOO_BIG;
		return;
	}
	/* a file of holes: a customer can make a 64 GiB one in no time */
	if (st.st_size > (off_t)(16 * 1024 * 1024) &&
	    (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size / 8) {
		ret->status = HASH_SPARSE;
		return;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, sha256_md(), NULL) != 1)
		fatalx("hash: cannot initialise SHA-256");
	if (keep && (uint64_t)st.st_size <= keep->cap) {
		/* read straight into the caller's buffer: the bytes hashed are
		 * the bytes kept */
		if (keep->alloc < (size_t)st.st_size || keep->buf == NULL) {
			keep->alloc = (size_t)st.st_size ? (size_t)st.st_size : 1;
			free(keep->buf);
			keep->buf = xmalloc(keep->alloc);
		}
		kept = true;
	}
	while (off < (uint64_t)st.st_size) {
		/* a kept file is read whole, the rest a chunk at a time */
		size_t want = kept || (uint64_t)st.st_size - off < HASH_CHUNK
				      ? (size_t)((uint64_t)st.st_size - off)
				      : HASH_CHUNK;
		uint8_t *dst = kept ? keep->buf + off : chunk;
		ssize_t n = pread(fd, dst, want, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret->status = errno == EAGAIN ? HASH_NOT_REGULAR : HASH_ERROR;
			ret->err = errno;
			goto out;
		}
		if (n == 0) {
			/* truncated under us */
			ret->status = HASH_CHANGED;
			goto out;
		}
		if (off == 0) {
			ret->headlen = (uint8_t)((size_t)n < sizeof(ret->head) ? (size_t)n : sizeof(ret->head));
			memcpy(ret->head, dst, ret->headlen);
		}
		if (!ret->php_tag)
			ret->php_tag = php_tag_scan(seam, dst, (size_t)n);
		EVP_DigestUpdate(md, dst, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, ret->sha256, &len);
	if (fstat(fd, &st2) < 0 || st2.st_size != st.st_size ||
	    stat_mtime_ns(&st2) != stat_mtime_ns(&st) || stat_ctime_ns(&st2) != stat_ctime_ns(&st)) {
		ret->status = HASH_CHANGED;
		goto out;
	}
	ret->status = HASH_OK;
	if (kept) {
		keep->len = (size_t)st.st_size;
		keep->kept = true;
	}
out:
	EVP_MD_CTX_free(md);
}

void
hash_file_beneath(int rootfd, const char *relpath, uint64_t max_size, const struct stat *expect,
		  struct hash_result *ret)
{
	hash_file_beneath_keep(rootfd, relpath, max_size, expect, NULL, ret);
}

void
hash_file_beneath_keep(int rootfd, const char *relpath, uint64_t max_size, const struct stat *expect,
		       struct hash_keep *keep, struct hash_result *ret)
{
	int fd = hash_open_beneath(rootfd, relpath);

	if (keep)
		keep->kept = false;
	if (fd < 0) {
		struct stat st = { 0 };

		memset(ret, 0, sizeof(*ret));
		if (fd == -ELOOP) {
			ret->status = HASH_SYMLINK;
			/* the link itself (O_PATH|O_NOFOLLOW): its identity, for the state */
			if (stat_beneath(rootfd, relpath, &st) == 0)
				fill_stat(ret, &st);
			ret->err = ELOOP;
			return;
		} else if (fd == -ENOENT || fd == -ENOTDIR) {
			ret->status = HASH_GONE;
		} else if (fd == -EAGAIN && stat_beneath(rootfd, relpath, &st) == 0 &&
			   S_ISREG(st.st_mode)) {
			/* a lease: the refused open started its break, the
			 * caller tries again (hash_file_wait) */
			ret->status = HASH_LOCKED;
			ret->err = EAGAIN;
			fill_stat(ret, &st);
			return;
		} else if (stat_beneath(rootfd, relpath, &st) == 0 && !S_ISREG(st.st_mode)) {
			/* a socket cannot be opened at all (ENXIO), nor a device
			 * without a driver: it is what it is, not an error */
			ret->status = HASH_NOT_REGULAR;
			fill_stat(ret, &st);
			return;
		} else {
			ret->status = HASH_ERROR;
		}
		ret->err = -fd;
		if (expect)
			fill_stat(ret, expect);
		return;
	}
	hash_fd_keep(fd, max_size, expect, keep, ret);
	close(fd);
}

/* stat_beneath without openat2 (a kernel or an emulator that lacks it, or a
 * path beyond PATH_MAX): the parent directory by open_walk, the name itself
 * not followed */
static int
stat_walk(int rootfd, const char *relpath, struct stat *ret)
{
	const char *slash = strrchr(relpath, '/'), *name = slash ? slash + 1 : relpath;
	int dfd = rootfd, fd, pm, r = 0;
	struct stat dst;

	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EXDEV;
	if (slash) {
		char *dir = xstrndup(relpath, (size_t)(slash - relpath));

		dfd = open_walk(rootfd, dir);
		free(dir);
		if (dfd < 0)
			return dfd;
	}
	fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
	} else {
		if (fstat(fd, ret) < 0)
			r = -errno;
		else if (!S_ISLNK(ret->st_mode) && fstat(dfd, &dst) == 0 &&
			 (ret->st_dev != dst.st_dev ||
			  ((pm = fd_mount_id(dfd)) >= 0 && fd_mount_id(fd) != pm)))
			r = -EXDEV; /* a mount point */
		close(fd);
	}
	if (dfd != rootfd)
		close(dfd);
	return r;
}

/* relpath beneath rootfd as an O_PATH descriptor (the name not followed), or
 * a negative errno */
static int
path_open_beneath(int rootfd, const char *relpath)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;

	if (relpath[0] == '/' || relpath[0] == '\0')
		return -EXDEV;
	fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int
stat_beneath(int rootfd, const char *relpath, struct stat *ret)
{
	int fd = path_open_beneath(rootfd, relpath), r = 0;

	/* as hash_open_beneath: no openat2, a path beyond PATH_MAX, or a
	 * rename raced with RESOLVE_BENEATH */
	if (fd == -ENOSYS || fd == -ENAMETOOLONG || fd == -EAGAIN)
		return stat_walk(rootfd, relpath, ret);
	if (fd < 0)
		return fd;
	if (fstat(fd, ret) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ---- waiting for a lease to be broken ---- */

static void
wait_alarm(int sig)
{
	(void)sig; /* only there to interrupt the open (no SA_RESTART) */
}

static pthread_once_t wait_once = PTHREAD_ONCE_INIT;

static void
wait_signal_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wait_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) < 0)
		log_warn("hash: sigaction");
}

/* Opens the inode pinned by pathfd for reading, blocking at most wait_ms: a
 * timer sends this thread a signal then, and every 10 ms after (one that
 * came just before the open went to sleep would be lost). Returns an fd,
 * -EINTR when the time ran out, or another negative errno. */
static int
open_bounded(int pathfd, unsigned wait_ms)
{
	char link[64];
	struct sigevent sev;
	struct itimerspec its;
	sigset_t set, old;
	timer_t t;
	int fd, err;

	pthread_once(&wait_once, wait_signal_init);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &set, &old);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = wait_ms / 1000;
	its.it_value.tv_nsec = (long)(wait_ms % 1000) * 1000000L + 1;
	its.it_interval.tv_nsec = 10 * 1000000L;
	if (timer_settime(t, 0, &its, NULL) < 0) {
		err = errno;
		fd = -1;
		goto out;
	}
	/* the magic link reaches the pinned inode itself: no path walk */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", pathfd);
	fd = open(link, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(link, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	err = errno;
out:
	timer_delete(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return fd < 0 ? -err : fd;
}

void
hash_file_wait(int rootfd, const char *relpath, uint64_t max_size, unsigned wait_ms,
	       struct hash_result *ret)
{
	int pfd = path_open_beneath(rootfd, relpath), fd;
	struct stat st;

	if (pfd < 0 || fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* gone, no longer a regular file, or a path only the walk
		 * opens: judged as usual, without waiting */
		if (pfd >= 0)
			close(pfd);
		hash_file_beneath(rootfd, relpath, max_size, NULL, ret);
		return;
	}
	fd = open_bounded(pfd, wait_ms);
	close(pfd);
	if (fd < 0) {
		memset(ret, 0, sizeof(*ret));
		fill_stat(ret, &st);
		ret->status = fd == -EINTR ? HASH_LOCKED : HASH_ERROR;
		ret->err = -fd;
		return;
	}
	hash_fd(fd, max_size, &st, ret);
	close(fd);
}
