// SPDX-License-Identifier: GPL-2.0-or-later
/* Version slot sets as runs; see slotset.h for the encoding. */
#include "slotset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
slotset_init(struct slotset *s)
{
	memset(s, 0, sizeof(*s));
}

void
slotset_free(struct slotset *s)
{
	free(s->runs);
	slotset_init(s);
}

void
slotset_clear(struct slotset *s)
{
	s->nruns = 0;
}

bool
slotset_empty(const struct slotset *s)
{
	return s->nruns == 0;
}

size_t
slotset_count(const struct slotset *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nruns; i++)
		n += s->runs[2 * i + 1] - s->runs[2 * i];
	return n;
}

/* index of the first run whose end >= slot (binary search) */
static size_t
slotset_find(const struct slotset *s, uint32_t slot)
{
	size_t lo = 0, hi = s->nruns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->runs[2 * mid + 1] < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
slotset_has(const struct slotset *s, uint32_t slot)
{
	size_t i = slotset_find(s, slot);

	return i < s->nruns && s->runs[2 * i] <= slot && slot < s->runs[2 * i + 1];
}

static void
slotset_insert_run(struct slotset *s, size_t at, uint32_t start, uint32_t end)
{
	if (s->nruns == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 4;
		s->runs = xreallocarray(s->runs, s->alloc, 2 * sizeof(uint32_t));
	}
	memmove(&s->runs[2 * (at + 1)], &s->runs[2 * at], (s->nruns - at) * 2 * sizeof(uint32_t));
	s->runs[2 * at] = start;
	s->runs[2 * at + 1] = end;
	s->nruns++;
}

static void
slotset_delete_run(struct slotset *s, size_t at)
{
	memmove(&s->runs[2 * at], &s->runs[2 * (at + 1)], (s->nruns - at - 1) * 2 * sizeof(uint32_t));
	s->nruns--;
}

int
slotset_add(struct slotset *s, uint32_t slot)
{
	size_t i;

	if (slot > SLOTSET_MAX_SLOT)
		return -ERANGE;
	i = slotset_find(s, slot);
	if (i < s->nruns && s->runs[2 * i] <= slot && slot < s->runs[2 * i + 1])
		return 0;
	if (i < s->nruns && s->runs[2 * i + 1] == slot) {
		/* extends run i at its end; may join run i+1 */
		s->runs[2 * i + 1] = slot + 1;
		if (i + 1 < s->nruns && s->runs[2 * (i + 1)] == slot + 1) {
			s->runs[2 * i + 1] = s->runs[2 * (i + 1) + 1];
			slotset_delete_run(s, i + 1);
		}
		return 1;
	}
	if (i < s->nruns && s->runs[2 * i] == slot + 1) {
		s->runs[2 * i] = slot;
		return 1;
	}
	slotset_insert_run(s, i, slot, slot + 1);
	return 1;
}

int
slotset_remove(struct slotset *s, uint32_t slot)
{
	size_t i = slotset_find(s, slot);
	uint32_t start, end;

	if (!(i < s->nruns && s->runs[2 * i] <= slot && slot < s->runs[2 * i + 1]))
		return 0;
	start = s->runs[2 * i];
	end = s->runs[2 * i + 1];
	if (start == slot && end == slot + 1)
		slotset_delete_run(s, i);
	else if (start == slot)
		s->runs[2 * i] = slot + 1;
	else if (end == slot + 1)
		s->runs[2 * i + 1] = slot;
	else {
		s->runs[2 * i + 1] = slot;
		slotset_insert_run(s, i + 1, slot + 1, end);
	}
	return 1;
}

static size_t
put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		p[n++] = b | (v ? 0x80 : 0);
	} while (v);
	return n;
}

size_t
slotset_encode(const struct slotset *s, uint8_t **out)
{
	uint8_t *p = xmalloc(s->nruns * 2 * 5 + 1);
	uint32_t prev = 0;
	size_t i, n = 0;

	for (i = 0; i < s->nruns; i++) {
		n += put_varint(p + n, s->runs[2 * i] - prev);
		n += put_varint(p + n, s->runs[2 * i + 1] - s->runs[2 * i]);
		prev = s->runs[2 * i + 1];
	}
	*out = p;
	return n;
}

static int
get_varint(const uint8_t *p, size_t n, size_t *off, uint32_t *ret)
{
	uint32_t v = 0;
	unsigned shift = 0;

	while (*off < n) {
		uint8_t b = p[(*off)++];

		if (shift >= 28 && (b & 0x7f) > 0x0f)
			return -EINVAL;
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
		shift += 7;
		if (shift > 28)
			return -EINVAL;
	}
	return -EINVAL;
}

void
slotset_iter_init(struct slotset_iter *it, const uint8_t *p, size_t n)
{
	it->p = p;
	it->n = n;
	it->off = 0;
	it->prev_end = 0;
}

int
slotset_iter_next(struct slotset_iter *it, uint32_t *start, uint32_t *end)
{
	uint32_t gap, len;

	if (it->off >= it->n)
		return 0;
	if (get_varint(it->p, it->n, &it->off, &gap) < 0 ||
	    get_varint(it->p, it->n, &it->off, &len) < 0)
		return -EINVAL;
	/* runs must be disjoint, non-adjacent (gap >= 1 after the first), non-empty */
	if (len == 0 || (it->prev_end > 0 && gap == 0))
		return -EINVAL;
	if ((uint64_t)it->prev_end + gap + len > SLOTSET_MAX_SLOT + 1u)
		return -EINVAL;
	*start = it->prev_end + gap;
	*end = *start + len;
	it->prev_end = *end;
	return 1;
}

bool
slotset_blob_has(const uint8_t *p, size_t n, uint32_t slot)
{
	struct slotset_iter it;
	uint32_t a, b;

	slotset_iter_init(&it, p, n);
	while (slotset_iter_next(&it, &a, &b) == 1) {
		if (slot < a)
			return false;
		if (slot < b)
			return true;
	}
	return false;
}

int
slotset_decode(struct slotset *s, const uint8_t *p, size_t n)
{
	struct slotset_iter it;
	uint32_t a, b;
	int r;

	slotset_clear(s);
	slotset_iter_init(&it, p, n);
	while ((r = slotset_iter_next(&it, &a, &b)) == 1) {
		if (s->nruns == s->alloc) {
			s->alloc = s->alloc ? s->alloc * 2 : 4;
			s->runs = xreallocarray(s->runs, s->alloc, 2 * sizeof(uint32_t));
		}
		s->runs[2 * s->nruns] = a;
		s->runs[2 * s->nruns + 1] = b;
		s->nruns++;
	}
	return r < 0 ? r : 0;
}
