/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A set of version slots stored as runs. Each (path, hash) pair of the index
 * belongs to the versions that ship it; with versions numbered in release order
 * those form a few contiguous runs (measured on WordPress: 50,630 pairs, 55,881
 * runs), so a pair costs a handful of bytes whatever the number of versions.
 *
 * Encoding (the BLOB in entries.slots): a sequence of LEB128 varints
 * gap0 len0 gap1 len1 ..., where run i covers [start_i, start_i + len_i) and
 * start_i = end_{i-1} + gap_i (end_{-1} = 0). Runs are sorted, disjoint and
 * non-adjacent; len_i >= 1. Pure module. */
#ifndef WSID_SLOTSET_H
#define WSID_SLOTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOTSET_MAX_SLOT 65535u

struct slotset {
	uint32_t *runs; /* pairs: start, end (exclusive) */
	size_t nruns;
	size_t alloc;
};

void slotset_init(struct slotset *s);
void slotset_free(struct slotset *s);
void slotset_clear(struct slotset *s);
int slotset_add(struct slotset *s, uint32_t slot);
int slotset_remove(struct slotset *s, uint32_t slot);
bool slotset_has(const struct slotset *s, uint32_t slot);
bool slotset_empty(const struct slotset *s);
size_t slotset_count(const struct slotset *s);

/* encodes into out (malloc'ed, caller frees); returns length */
size_t slotset_encode(const struct slotset *s, uint8_t **out);
/* decodes a BLOB; -EINVAL on malformed input (never reads past n) */
int slotset_decode(struct slotset *s, const uint8_t *p, size_t n);

/* Iterates the runs of an encoded BLOB without allocating. Returns 1 and the
 * next run [*start, *end), 0 at the end, -EINVAL on malformed input. */
struct slotset_iter {
	const uint8_t *p;
	size_t n, off;
	uint32_t prev_end;
};
void slotset_iter_init(struct slotset_iter *it, const uint8_t *p, size_t n);
int slotset_iter_next(struct slotset_iter *it, uint32_t *start, uint32_t *end);
bool slotset_blob_has(const uint8_t *p, size_t n, uint32_t slot);

#endif
