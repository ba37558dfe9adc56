/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Open-addressing hash map from byte strings to a pointer-sized value. Keys are
 * copied into the map; iteration order is unspecified. Keys are hashed with a
 * random key per map (hmap.c: names come from tenants). */
#ifndef WSID_HMAP_H
#define WSID_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t hash;
	char *key; /* NULL: empty */
	size_t klen;
	void *val;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap; /* power of two */
	size_t len;
	unsigned char seed[16]; /* SipHash key, random, drawn with the first table */
};

void hmap_init(struct hmap *m);
/* frees keys; values are the caller's (free them first with hmap_foreach) */
void hmap_free(struct hmap *m);
/* returns the value slot for key, inserting a NULL value when absent; *ret_new
 * tells whether it was inserted. The pointer lives until the next insert. */
void **hmap_put(struct hmap *m, const void *key, size_t klen, int *ret_new);
void *hmap_get(const struct hmap *m, const void *key, size_t klen);
/* removes key; returns its value (NULL if absent). Invalidates slot pointers. */
void *hmap_del(struct hmap *m, const void *key, size_t klen);
/* the map's keyed hash of a key (SipHash-2-4); meaningful once m has a table */
uint64_t hmap_hash(const struct hmap *m, const void *key, size_t klen);

#define hmap_foreach(m, s) \
	for ((s) = (m)->slots; (m)->slots && (s) < (m)->slots + (m)->cap; (s)++) \
		if ((s)->key)

#endif
