// SPDX-License-Identifier: GPL-2.0-or-later
/* Linear-probing hash map with FNV-1a-then-mix hashing; see hmap.h. */
#include "hmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
hmap_hash(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < klen; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
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
	uint64_t h = hmap_hash(key, klen);
	struct hmap_slot *s;

	if ((m->len + 1) * 4 >= m->cap * 3)
		hmap_grow(m);
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
	struct hmap_slot *s = hmap_find(m, hmap_hash(key, klen), key, klen);

	return s && s->key ? s->val : NULL;
}

void *
hmap_del(struct hmap *m, const void *key, size_t klen)
{
	struct hmap_slot *s = hmap_find(m, hmap_hash(key, klen), key, klen);
	size_t mask, i, j;
	void *val;

	if (s == NULL || s->key == NULL)
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
