/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Safe opening of webspace files and streaming SHA-256 (OpenSSL's libcrypto:
 * measured ~1.7 GB/s with SHA-NI against ~0.39 GB/s for libsodium here).
 *
 * Customers control every name and byte: files are opened beneath their root
 * only (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS|
 * RESOLVE_NO_XDEV, or a component-wise O_NOFOLLOW walk for paths longer than
 * PATH_MAX), with O_NONBLOCK so a FIFO never blocks, and checked S_ISREG with
 * fstat before the first read. Exactly st_size bytes are hashed with pread, and
 * the file is fstat'ed again afterwards: a file that changed while being hashed
 * is reported HASH_CHANGED, never given a hash of mixed content. */
#ifndef WSID_HASH_H
#define WSID_HASH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

enum hash_status {
	HASH_OK = 0,
	HASH_NOT_REGULAR, /* FIFO, socket, device, directory: never read */
	HASH_SYMLINK,     /* a symlink: never followed */
	HASH_TOO_BIG,     /* over the size cap: reported, not hashed */
	HASH_SPARSE,      /* mostly holes (st_blocks*512 far below st_size): not hashed */
	HASH_CHANGED,     /* changed while hashed (size/mtime/ctime/inode moved) */
	HASH_GONE,        /* vanished before it could be opened */
	HASH_ERROR,       /* other error; errno kept in err */
	HASH_LOCKED,      /* a regular file a lease kept closed (EWOULDBLOCK) */
	HASH_STATUS_MAX,
};

struct hash_result {
	enum hash_status status;
	int err; /* errno for HASH_ERROR / HASH_GONE */
	uint8_t sha256[SHA256_LEN];
	dev_t dev;
	ino_t ino;
	uint64_t size;
	mode_t mode;
	uid_t uid;
	int64_t mtime_ns, ctime_ns;
	uint64_t nlink;
	uint8_t head[32]; /* first bytes of the content (PHP detection) */
	uint8_t headlen;
	bool php_tag; /* "<?php" or "<?=" somewhere in the content (PHP behind an image header) */
};

const char *hash_status_name(enum hash_status s);

/* One-shot SHA-256 of a memory buffer. */
void sha256_buf(const void *p, size_t n, uint8_t out[SHA256_LEN]);

/* Streaming context for callers that feed data themselves (archives). */
struct sha256_ctx;
struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]); /* also resets */
void sha256_free(struct sha256_ctx *c);

/* Opens relpath beneath rootfd for reading (see above). Returns an fd or a
 * negative errno (-ELOOP for a symlink anywhere, -EXDEV for an escape). */
int hash_open_beneath(int rootfd, const char *relpath);

/* "<?php" (any case) or "<?=" in p[0..n): what hash_fd sets php_tag for */
bool hash_php_tag(const void *p, size_t n);

/* Hashes an already opened fd (checks S_ISREG first). max_size 0: no cap.
 * expect (may be NULL): the stat the caller saw, checked against the fd so a
 * swapped-in file is detected. Always fills ret (status says what happened). */
void hash_fd(int fd, uint64_t max_size, const struct stat *expect, struct hash_result *ret);

/* Convenience: hash_open_beneath + hash_fd + close. */
void hash_file_beneath(int rootfd, const char *relpath, uint64_t max_size,
		       const struct stat *expect, struct hash_result *ret);

/* The content hashed, kept for the caller (wsidctl scan analyses it without
 * reading the file again): a file of at most cap bytes is read into buf,
 * which is grown as needed (alloc bytes; the caller frees buf). kept says
 * whether buf holds the len bytes that were hashed: only with HASH_OK. */
struct hash_keep {
	uint8_t *buf;
	size_t alloc;
	size_t cap;
	size_t len;
	bool kept;
};

/* hash_fd and hash_file_beneath keeping the content (keep may be NULL) */
void hash_fd_keep(int fd, uint64_t max_size, const struct stat *expect, struct hash_keep *keep,
		  struct hash_result *ret);
void hash_file_beneath_keep(int rootfd, const char *relpath, uint64_t max_size,
			    const struct stat *expect, struct hash_keep *keep, struct hash_result *ret);

/* Hashes a file that a lease (fcntl F_SETLEASE) kept closed: opens it
 * without O_NONBLOCK, so that the kernel makes the holder yield, but waits at
 * most wait_ms (a timer signal to this thread interrupts the open; the lease
 * break the open started goes on, see lease-break-time in proc(5)). The inode
 * is first pinned with O_PATH beneath rootfd and checked S_ISREG, so no FIFO
 * can be waited on. ret->status is HASH_LOCKED when the wait ran out. */
void hash_file_wait(int rootfd, const char *relpath, uint64_t max_size, unsigned wait_ms,
		    struct hash_result *ret);

/* lstat of relpath beneath rootfd without following any symlink */
int stat_beneath(int rootfd, const char *relpath, struct stat *ret);
/* the mount id of fd (name_to_handle_at), -1 when the file system cannot tell */
int fd_mount_id(int fd);

int64_t stat_mtime_ns(const struct stat *st);
int64_t stat_ctime_ns(const struct stat *st);

#endif
