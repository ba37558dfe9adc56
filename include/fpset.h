/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fingerprint sets: exactly sha256sum's output format, one "<64 hex>  <path>"
 * line per file, path relative to the installation root. GNU sha256sum's escape
 * convention is understood: a line starting with '\' has "\\" and "\n" escapes in
 * its path. '#' comment lines and empty lines are skipped; a CR before the LF is
 * dropped. Paths must be relative, without "." or ".." components or empty
 * components, and at most FPSET_PATH_MAX bytes. A path may be on several lines
 * with different hashes: alternative contents of the release, one file (the
 * index refuses the same line twice). Pure module (fuzzed). */
#ifndef WSID_FPSET_H
#define WSID_FPSET_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FPSET_PATH_MAX 4096
#define FPSET_MAX_LINES 2000000

struct fpset_line {
	uint8_t sha256[SHA256_LEN];
	const char *path; /* not NUL-terminated; valid during the callback only */
	size_t pathlen;
	size_t lineno;
};

typedef int (*fpset_line_fn)(void *ud, const struct fpset_line *line);

/* Parses data; calls fn per line (a negative return from fn stops parsing and
 * is returned). On a format error returns -EINVAL with "NAME:LINE: what" in err. */
int fpset_parse(const char *data, size_t len, const char *name, fpset_line_fn fn, void *ud,
		char *err, size_t errsz);

/* Appends one line in sha256sum format (escaping '\\' and '\n' like GNU). */
int fpset_format_line(struct buf *b, const uint8_t sha256[SHA256_LEN], const char *path,
		      size_t pathlen);

/* Validates a relative path as the parser does; 0 or -EINVAL with a reason. */
int fpset_check_path(const char *path, size_t len, const char **why);

/* versions.tsv: "version<TAB>tag<TAB>release date<TAB>files", '#' comments, an
 * optional header line starting with "version". */
struct fpset_version_info {
	const char *version, *tag, *released; /* NUL-terminated, valid in callback */
	long files;
	size_t lineno;
};
typedef int (*fpset_vinfo_fn)(void *ud, const struct fpset_version_info *vi);
int fpset_parse_versions(const char *data, size_t len, const char *name, fpset_vinfo_fn fn,
			 void *ud, char *err, size_t errsz);

/* A version string usable as a file name and in output: [A-Za-z0-9._+~-],
 * 1..64 bytes, not starting with '.' */
int fpset_check_version(const char *v);
/* A product name: [a-z0-9._-], 1..64 bytes, starting with [a-z0-9] */
int fpset_check_product(const char *p);

#endif
