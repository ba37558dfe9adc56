/* SPDX-License-Identifier: GPL-2.0-or-later */
/* yarascan: compiled YARA rule sets (libyara) and scans of byte buffers.
 * Rules come from files named by globs; a file that does not compile is
 * refused with its name, line and libyara's message. The rule set carries a
 * SHA-256 over its sources, so results can be cached per rule version. */
#ifndef WSID_YARASCAN_H
#define WSID_YARASCAN_H

#include <stddef.h>
#include <stdint.h>

struct yarascan;

#define YARASCAN_NAME_MAX 64
#define YARASCAN_MATCH_MAX 16

struct yarascan_match {
	char rule[YARASCAN_NAME_MAX];  /* the rule's identifier */
	char cls[YARASCAN_NAME_MAX];   /* meta "class", else the identifier */
	int severity;                  /* meta "severity": 2 high, 1 weak (default), 0 note */
	size_t offset;                 /* first string match, SIZE_MAX when none */
};

/* Compiles every file matched by the globs (sorted, each once). A glob that
 * matches nothing is an error unless it contains a wildcard. On failure
 * returns a negative errno and writes a message naming the file (and line)
 * into err. *ret is freed with yarascan_free. */
int yarascan_new(const char *const *globs, size_t nglobs, struct yarascan **ret, char *err, size_t errsz);
void yarascan_free(struct yarascan *y);

/* Scans n bytes; writes up to max matches into m and their count into
 * *ret_n. Safe from several threads at once on the same rule set. p is
 * memory the caller read, never a file mapping (no SIGBUS guard). */
int yarascan_buf(struct yarascan *y, const uint8_t *p, size_t n, struct yarascan_match *m, size_t max,
		 size_t *ret_n);

/* SHA-256 of the rule sources (32 bytes, lives as long as y) and their count */
const uint8_t *yarascan_digest(const struct yarascan *y);
size_t yarascan_nfiles(const struct yarascan *y);

#endif
