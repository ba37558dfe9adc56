// SPDX-License-Identifier: GPL-2.0-or-later
/* Linear-probing hash map; see hmap.h.
 *
 * DESIGN: keys are names tenants choose (paths in their webspaces), so the
 * hash is keyed: SipHash-2-4 (libsodium crypto_shorthash) under a random key
 * drawn for each map when it first allocates its table. Without the key an
 * unseeded hash (FNV-1a, as this map used) lets a tenant compute offline a few
 * thousand names that share their low bits, and every insert and lookup of the
 * map then walks one probe run as long as the set. The key is the only use of
 * randomness (getrandom) in this otherwise pure module. */
#include "hmap.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

_Static_assert(sizeof(((struct hmap *)0)->seed) == crypto_shorthash_KEYBYTES,
	       "hmap seed is a crypto_shorthash key");

void
hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
hmap_free(struct hmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	hmap_init(m);
}

uint64_t
hmap_hash(const struct hmap *m, const void *key, size_t klen)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, key, klen, m->seed);
	memcpy(&h, out, sizeof(h));
	return h;
}

static struct hmap_slot *
hmap_find(const struct hmap *m, uint64_t h, const void *key, size_t klen)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct hmap_slot *s = &m->slots[i];

		if (s->key == NULL)
			return s;
		if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
			return s;
	}
}

static void
hmap_grow(struct hmap *m)
{
	struct hmap_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	if (oldcap == 0) {
		/* the first table: a key of its own (sodium_init: idempotent, thread-safe) */
		if (sodium_init() < 0)
			fatalx("hmap: libsodium cannot be initialised");
		randombytes_buf(m->seed, sizeof(m->seed));
	}
	m->cap = m->cap ? m->cap * 2 : 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key) {
			struct hmap_slot *s = hmap_find(m, old[i].hash, old[i].key, old[i].klen);
			*s = old[i];
		}
	}
	free(old);
}

void **
hmap_put(struct hmap *m, const void *key, size_t klen, int *ret_new)
{
	uint64_t h;
	struct hmap_slot *s;

	if ((m->len + 1) * 4 >= m->cap * 3)
		hmap_grow(m);
	h = hmap_hash(m, key, klen);
	s = hmap_find(m, h, key, klen);
	if (s->key == NULL) {
		s->key = xmalloc(klen + 1);
		memcpy(s->key, key, klen);
		s->key[klen] = '\0';
		s->klen = klen;
		s->hash = h;
		s->val = NULL;
		m->len++;
		if (ret_new)
			*ret_new = 1;
	} else if (ret_new)
		*ret_new = 0;
	return &s->val;
}

void *
hmap_get(const struct hmap *m, const void *key, size_t klen)
{
	struct hmap_slot *s;

	if (m->cap == 0)
		return NULL;
	s = hmap_find(m, hmap_hash(m, key, klen), key, klen);
	return s->key ? s->val : NULL;
}

void *
hmap_del(struct hmap *m, const void *key, size_t klen)
{
	struct hmap_slot *s;
	size_t mask, i, j;
	void *val;

	if (m->cap == 0)
		return NULL;
	s = hmap_find(m, hmap_hash(m, key, klen), key, klen);
	if (s->key == NULL)
		return NULL;
	val = s->val;
	free(s->key);
	mask = m->cap - 1;
	i = (size_t)(s - m->slots);
	/* backward-shift: move later entries of the probe run into the hole when
	 * their ideal slot does not lie cyclically in (i, j] */
	for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
		size_t k = m->slots[j].hash & mask;
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);

		if (!stays) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = NULL;
	m->slots[i].val = NULL;
	m->len--;
	return val;
}
