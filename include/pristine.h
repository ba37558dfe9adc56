/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pristine store: the release contents `index ingest` read, each distinct
 * content kept once, zlib-compressed, named by its SHA-256:
 *   <dir>/<2 hex>/<64 hex>     "WSP1", 8 bytes raw length (LE), zlib stream
 * The directory is root's (0700), files 0600, written to a temporary name and
 * renamed. Its total size is bounded (max_bytes): a content that would pass it
 * is not stored (-ENOSPC). Contents are synced once, at pristine_close. Reading checks the SHA-256 of the inflated bytes,
 * so a damaged or swapped file never leaves the store as release content.
 * Default location: "pristine" beside the database. */
#ifndef WSID_PRISTINE_H
#define WSID_PRISTINE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PRISTINE_MAX_BYTES_DEFAULT (4ull << 30) /* 4 GiB compressed */
#define PRISTINE_MAX_FILE (64u << 20)           /* larger contents are not kept */

struct pristine;

struct pristine_stats {
	uint64_t contents;
	uint64_t bytes;     /* compressed, on disk */
	uint64_t max_bytes;
};

/* "<dirname of db>/pristine" (malloc'ed, caller frees) */
char *pristine_default_dir(const char *db_path);
/* Opens (create: makes the directory 0700) and sums what is stored. */
int pristine_open(const char *dir, uint64_t max_bytes, int create, struct pristine **ret);
void pristine_close(struct pristine *p);
/* 1 when stored now, 0 when it was there already; -ENOSPC over the bound,
 * -EFBIG above PRISTINE_MAX_FILE, -EINVAL when data does not hash to sha */
int pristine_put(struct pristine *p, const uint8_t sha[SHA256_LEN], const void *data, size_t len);
int pristine_has(struct pristine *p, const uint8_t sha[SHA256_LEN]);
/* The content (*ret malloc'ed, caller frees), its hash checked: -ENOENT when
 * absent, -EBADMSG when the stored bytes do not inflate to sha. */
int pristine_get(struct pristine *p, const uint8_t sha[SHA256_LEN], uint8_t **ret, size_t *ret_len);
void pristine_stats(const struct pristine *p, struct pristine_stats *ret);

#endif
