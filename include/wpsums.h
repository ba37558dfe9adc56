/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WordPress.org plugin checksum files (the JSON published per plugin release:
 * {"plugin": slug, "version": v, "files": {"<path>": {"md5": ..., "sha256":
 * "<hex>" or ["<hex>", ...]}, ...}}) turned into a fingerprint set (fpset.h
 * format, sorted by path; a path with several SHA-256 gets one line each).
 * Pure module (fuzzed). */
#ifndef WSID_WPSUMS_H
#define WSID_WPSUMS_H

#include <stddef.h>

#include "util.h"

/* slug and version, when not NULL, must match the file's own "plugin" and
 * "version" members if it has them. name prefixes error messages
 * ("NAME:LINE:COL: what"). */
int wpsums_to_set(const char *data, size_t len, const char *name, const char *slug,
		  const char *version, struct buf *out, size_t *nfiles, char *err, size_t errsz);

#endif
