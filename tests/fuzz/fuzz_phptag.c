// SPDX-License-Identifier: GPL-2.0-or-later
/* The PHP open tag in any content ("<?php" in any case, or "<?="), as the
 * hashing looks for it (PHP behind an image header): hash_php_tag says what
 * a plain byte-by-byte search says, and so does hash_fd over a file whose
 * 64 KiB chunks split the content after its first 1..5 bytes (the seam
 * between two reads), where the bytes kept for the caller (hash_fd_keep)
 * are the file's and hash to its SHA-256. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
tag_naive(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '<' || p[i + 1] != '?')
			continue;
		if (i + 2 < n && p[i + 2] == '=')
			return true;
		if (i + 4 < n && strncasecmp((const char *)p + i + 2, "php", 3) == 0)
			return true;
	}
	return false;
}

#define CHUNK 65536

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool want = tag_naive(data, size);
	struct hash_keep keep = { .cap = 2 * CHUNK };
	struct hash_result r;
	uint8_t d[SHA256_LEN];
	size_t pad, total;
	uint8_t *buf;
	int fd;

	if (hash_php_tag(data, size) != want)
		abort();
	if (size == 0)
		return 0;
	/* filler that holds no '<', then the content: the first read ends
	 * 1..5 bytes into it */
	pad = CHUNK - 1 - data[0] % 5;
	total = pad + size;
	buf = malloc(total);
	if (buf == NULL)
		return 0;
	memset(buf, 'x', pad);
	memcpy(buf + pad, data, size);
	fd = memfd_create("fuzz_phptag", MFD_CLOEXEC);
	if (fd < 0 || write(fd, buf, total) != (ssize_t)total) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return 0;
	}
	hash_fd_keep(fd, 0, NULL, &keep, &r);
	sha256_buf(buf, total, d);
	if (r.status != HASH_OK || r.php_tag != want || memcmp(r.sha256, d, SHA256_LEN) != 0 ||
	    !keep.kept || keep.len != total || memcmp(keep.buf, buf, total) != 0)
		abort();
	close(fd);
	free(keep.buf);
	free(buf);
	return 0;
}
