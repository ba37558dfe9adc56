// SPDX-License-Identifier: GPL-2.0-or-later
/* The pristine store; see pristine.h. */
#include "pristine.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fdio.h"
#include "hash.h"
#include "respond.h"

#define MAGIC "WSP1"
#define HDR 12

struct pristine {
	int dirfd;
	uint64_t bytes, contents, max_bytes;
	bool written;
};

char *
pristine_default_dir(const char *db_path)
{
	const char *slash = strrchr(db_path, '/');

	if (slash == NULL)
		return xstrdup("pristine");
	return xasprintf("%.*s/pristine", (int)(slash - db_path), db_path);
}

static void
sum_dir(struct pristine *p)
{
	int fd = openat(p->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		int sfd;
		DIR *sd;
		struct dirent *se;
		struct stat st;

		if (strlen(de->d_name) != 2)
			continue;
		sfd = openat(p->dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || (sd = fdopendir(sfd)) == NULL) {
			if (sfd >= 0)
				close(sfd);
			continue;
		}
		while ((se = readdir(sd)) != NULL) {
			if (strlen(se->d_name) != SHA256_HEX_LEN ||
			    fstatat(dirfd(sd), se->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			p->contents++;
			p->bytes += (uint64_t)st.st_size;
		}
		closedir(sd);
	}
	closedir(d);
}

int
pristine_open(const char *dir, uint64_t max_bytes, int create, struct pristine **ret)
{
	struct pristine *p;
	int fd;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = xcalloc(1, sizeof(*p));
	p->dirfd = fd;
	p->max_bytes = max_bytes ? max_bytes : PRISTINE_MAX_BYTES_DEFAULT;
	sum_dir(p);
	*ret = p;
	return 0;
}

void
pristine_close(struct pristine *p)
{
	if (p == NULL)
		return;
	if (p->written)
		syncfs(p->dirfd);
	close(p->dirfd);
	free(p);
}

static void
name_of(const uint8_t sha[SHA256_LEN], char sub[3], char name[3 + SHA256_HEX_LEN + 1])
{
	char hex[SHA256_HEX_LEN + 1];

	hex_encode(sha, SHA256_LEN, hex);
	memcpy(sub, hex, 2);
	sub[2] = '\0';
	snprintf(name, 3 + SHA256_HEX_LEN + 1, "%s/%s", sub, hex);
}

int
pristine_has(struct pristine *p, const uint8_t sha[SHA256_LEN])
{
	char sub[3], name[3 + SHA256_HEX_LEN + 1];
	struct stat st;

	name_of(sha, sub, name);
	return fstatat(p->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int
pristine_put(struct pristine *p, const uint8_t sha[SHA256_LEN], const void *data, size_t len)
{
	char sub[3], name[3 + SHA256_HEX_LEN + 1], tmp[sizeof(name) + 24];
	uint8_t check[SHA256_LEN], *z = NULL;
	uLongf zlen;
	int fd = -1, r;

	if (len > PRISTINE_MAX_FILE)
		return -EFBIG;
	sha256_buf(data, len, check);
	if (memcmp(check, sha, SHA256_LEN) != 0)
		return -EINVAL;
	if (pristine_has(p, sha))
		return 0;
	zlen = compressBound((uLong)len);
	z = xmalloc(HDR + zlen);
	if (compress2(z + HDR, &zlen, data, (uLong)len, 6) != Z_OK) {
		r = -EIO;
		goto out;
	}
	memcpy(z, MAGIC, 4);
	for (int i = 0; i < 8; i++)
		z[4 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	if (p->bytes + HDR + zlen > p->max_bytes) {
		r = -ENOSPC;
		goto out;
	}
	name_of(sha, sub, name);
	if (mkdirat(p->dirfd, sub, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, (int)getpid());
	fd = openat(p->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* no fsync per content (2,400 of them took 15 s): pristine_close
	 * syncs the file system once; a torn file fails its hash when read */
	if ((r = fd_write_all(fd, z, HDR + zlen)) < 0 ||
	    (renameat(p->dirfd, tmp, p->dirfd, name) < 0 && (r = -errno))) {
		unlinkat(p->dirfd, tmp, 0);
		goto out;
	}
	p->bytes += HDR + zlen;
	p->contents++;
	p->written = true;
	r = 1;
out:
	if (fd >= 0)
		close(fd);
	free(z);
	return r;
}

int
pristine_get(struct pristine *p, const uint8_t sha[SHA256_LEN], uint8_t **ret, size_t *ret_len)
{
	char sub[3], name[3 + SHA256_HEX_LEN + 1];
	uint8_t *z = NULL, *out = NULL, check[SHA256_LEN];
	uint64_t rawlen = 0;
	uLongf olen;
	struct stat st;
	int fd, r = 0;

	name_of(sha, sub, name);
	fd = openat(p->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < HDR ||
	    (uint64_t)st.st_size > 2ull * PRISTINE_MAX_FILE) {
		r = -EBADMSG;
		goto out;
	}
	z = xmalloc((size_t)st.st_size);
	if (pread(fd, z, (size_t)st.st_size, 0) != st.st_size || memcmp(z, MAGIC, 4) != 0) {
		r = -EBADMSG;
		goto out;
	}
	for (int i = 0; i < 8; i++)
		rawlen |= (uint64_t)z[4 + i] << (8 * i);
	if (rawlen > PRISTINE_MAX_FILE) {
		r = -EBADMSG;
		goto out;
	}
	olen = (uLongf)rawlen;
	out = xmalloc(rawlen ? (size_t)rawlen : 1);
	if (uncompress(out, &olen, z + HDR, (uLong)((size_t)st.st_size - HDR)) != Z_OK ||
	    olen != rawlen) {
		r = -EBADMSG;
		goto out;
	}
	sha256_buf(out, (size_t)rawlen, check);
	if (memcmp(check, sha, SHA256_LEN) != 0) {
		r = -EBADMSG;
		goto out;
	}
	*ret = out;
	*ret_len = (size_t)rawlen;
	out = NULL;
out:
	close(fd);
	free(z);
	free(out);
	return r;
}

void
pristine_stats(const struct pristine *p, struct pristine_stats *ret)
{
	ret->contents = p->contents;
	ret->bytes = p->bytes;
	ret->max_bytes = p->max_bytes;
}
