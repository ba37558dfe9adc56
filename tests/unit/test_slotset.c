// SPDX-License-Identifier: GPL-2.0-or-later
/* slotset: runs merging and splitting, canonical form after every operation,
 * random operations against a plain bitmap, encode/decode round trips, the
 * allocation-free iterator, and malformed blobs (truncated varints, empty runs,
 * gap 0 between runs, slots beyond SLOTSET_MAX_SLOT). */
#include <errno.h>
#include <stdlib.h>

#include "slotset.h"
#include "t.h"

#define N 3000

/* runs sorted, disjoint, non-adjacent, non-empty, within range */
static bool
canonical(const struct slotset *s)
{
	size_t i;

	for (i = 0; i < s->nruns; i++) {
		if (s->runs[2 * i] >= s->runs[2 * i + 1])
			return false;
		if (s->runs[2 * i + 1] > SLOTSET_MAX_SLOT + 1)
			return false;
		if (i > 0 && s->runs[2 * i] <= s->runs[2 * i - 1])
			return false;
	}
	return true;
}

static bool
runs_are(const struct slotset *s, const uint32_t *want, size_t nwant)
{
	size_t i;

	if (s->nruns != nwant)
		return false;
	for (i = 0; i < 2 * nwant; i++)
		if (s->runs[i] != want[i])
			return false;
	return true;
}

static void
test_empty(void)
{
	struct slotset s, d;
	uint8_t *blob;
	size_t len;

	slotset_init(&s);
	slotset_init(&d);
	T_OK(slotset_empty(&s));
	T_EQ_INT(slotset_count(&s), 0);
	T_OK(!slotset_has(&s, 0));
	T_EQ_INT(slotset_remove(&s, 5), 0);
	len = slotset_encode(&s, &blob);
	T_EQ_INT(len, 0);
	T_EQ_INT(slotset_decode(&d, blob, len), 0);
	T_OK(slotset_empty(&d));
	T_OK(!slotset_blob_has(blob, len, 0));
	free(blob);
	T_EQ_INT(slotset_decode(&d, NULL, 0), 0);
	slotset_free(&s);
	slotset_free(&d);
	slotset_free(&d); /* twice: harmless */
}

static void
test_merge_split(void)
{
	struct slotset s;

	slotset_init(&s);
	T_EQ_INT(slotset_add(&s, 5), 1);
	T_EQ_INT(slotset_add(&s, 5), 0); /* already there */
	T_OK(runs_are(&s, (const uint32_t[]){ 5, 6 }, 1));
	T_EQ_INT(slotset_add(&s, 7), 1);
	T_OK(runs_are(&s, (const uint32_t[]){ 5, 6, 7, 8 }, 2));
	T_EQ_INT(slotset_add(&s, 6), 1); /* joins both neighbours */
	T_OK(runs_are(&s, (const uint32_t[]){ 5, 8 }, 1));
	T_EQ_INT(slotset_add(&s, 4), 1); /* extends at the start */
	T_EQ_INT(slotset_add(&s, 8), 1); /* extends at the end */
	T_OK(runs_are(&s, (const uint32_t[]){ 4, 9 }, 1));
	T_EQ_INT(slotset_add(&s, 0), 1);
	T_EQ_INT(slotset_add(&s, 20), 1);
	T_OK(runs_are(&s, (const uint32_t[]){ 0, 1, 4, 9, 20, 21 }, 3));
	T_EQ_INT(slotset_count(&s), 7);
	T_EQ_INT(slotset_remove(&s, 6), 1); /* splits */
	T_OK(runs_are(&s, (const uint32_t[]){ 0, 1, 4, 6, 7, 9, 20, 21 }, 4));
	T_EQ_INT(slotset_remove(&s, 6), 0);
	T_EQ_INT(slotset_remove(&s, 4), 1); /* shrinks at the start */
	T_EQ_INT(slotset_remove(&s, 8), 1); /* shrinks at the end */
	T_OK(runs_are(&s, (const uint32_t[]){ 0, 1, 5, 6, 7, 8, 20, 21 }, 4));
	T_EQ_INT(slotset_remove(&s, 0), 1); /* a run of one disappears */
	T_EQ_INT(slotset_remove(&s, 20), 1);
	T_OK(runs_are(&s, (const uint32_t[]){ 5, 6, 7, 8 }, 2));
	T_OK(!slotset_has(&s, 6) && slotset_has(&s, 5) && slotset_has(&s, 7) && !slotset_has(&s, 8));
	T_OK(canonical(&s));
	slotset_clear(&s);
	T_OK(slotset_empty(&s));
	T_OK(!slotset_has(&s, 5));
	slotset_free(&s);
}

static void
test_limits(void)
{
	struct slotset s, d;
	uint8_t *blob;
	size_t len;

	slotset_init(&s);
	slotset_init(&d);
	T_EQ_INT(slotset_add(&s, SLOTSET_MAX_SLOT + 1), -ERANGE);
	T_EQ_INT(slotset_add(&s, UINT32_MAX), -ERANGE);
	T_OK(slotset_empty(&s));
	T_EQ_INT(slotset_add(&s, SLOTSET_MAX_SLOT), 1);
	T_EQ_INT(slotset_add(&s, 0), 1);
	T_OK(slotset_has(&s, SLOTSET_MAX_SLOT));
	T_OK(!slotset_has(&s, SLOTSET_MAX_SLOT + 1));
	T_OK(!slotset_has(&s, UINT32_MAX));
	len = slotset_encode(&s, &blob);
	T_EQ_INT(slotset_decode(&d, blob, len), 0);
	T_OK(slotset_has(&d, SLOTSET_MAX_SLOT) && slotset_has(&d, 0) && slotset_count(&d) == 2);
	T_OK(slotset_blob_has(blob, len, SLOTSET_MAX_SLOT));
	T_OK(!slotset_blob_has(blob, len, SLOTSET_MAX_SLOT - 1));
	free(blob);
	/* every slot: one run, a few bytes */
	slotset_clear(&s);
	for (uint32_t i = 0; i <= SLOTSET_MAX_SLOT; i++)
		slotset_add(&s, i);
	T_EQ_INT(s.nruns, 1);
	T_EQ_INT(slotset_count(&s), SLOTSET_MAX_SLOT + 1);
	len = slotset_encode(&s, &blob);
	T_OK(len <= 4);
	T_EQ_INT(slotset_decode(&d, blob, len), 0);
	T_EQ_INT(slotset_count(&d), SLOTSET_MAX_SLOT + 1);
	free(blob);
	slotset_free(&s);
	slotset_free(&d);
}

static void
test_runs_compact(void)
{
	struct slotset s;
	uint8_t *blob;
	uint32_t i;
	size_t len;

	slotset_init(&s);
	for (i = 0; i < 837; i++)
		slotset_add(&s, i);
	T_EQ_INT(s.nruns, 1);
	len = slotset_encode(&s, &blob);
	T_OK(len <= 3); /* one run of 837 versions: a few bytes */
	free(blob);
	slotset_remove(&s, 400);
	T_EQ_INT(s.nruns, 2);
	slotset_add(&s, 400);
	T_EQ_INT(s.nruns, 1);
	slotset_free(&s);
}

static void
test_encoding_bytes(void)
{
	struct slotset s;
	uint8_t *blob;
	size_t len;

	/* {2,3,4} {6} {200..202}: gap 2 len 3, gap 1 len 1, gap 193 len 3 */
	static const uint8_t want[] = { 0x02, 0x03, 0x01, 0x01, 0xc1, 0x01, 0x03 };

	slotset_init(&s);
	slotset_add(&s, 2);
	slotset_add(&s, 3);
	slotset_add(&s, 4);
	slotset_add(&s, 6);
	slotset_add(&s, 200);
	slotset_add(&s, 201);
	slotset_add(&s, 202);
	len = slotset_encode(&s, &blob);
	T_EQ_INT(len, sizeof(want));
	T_OK(len == sizeof(want) && memcmp(blob, want, len) == 0);
	free(blob);
	slotset_free(&s);
}

/* blob bytes equal to a re-encode of its decode */
static bool
roundtrip_same(const uint8_t *blob, size_t len)
{
	struct slotset d;
	uint8_t *again;
	size_t n;
	bool same;

	slotset_init(&d);
	if (slotset_decode(&d, blob, len) < 0) {
		slotset_free(&d);
		return false;
	}
	n = slotset_encode(&d, &again);
	same = n == len && memcmp(again, blob, n) == 0;
	free(again);
	slotset_free(&d);
	return same;
}

static void
test_random_vs_bitmap(void)
{
	static bool bm[N];
	struct slotset s, d;
	uint8_t *blob;
	size_t len, i, k, count;
	unsigned seed = 12345;
	bool ok = true, canon = true, rets = true, rt = true;
	int round;

	slotset_init(&s);
	slotset_init(&d);
	for (round = 0; round < 4; round++) {
		/* each round uses a different density and range */
		uint32_t range = round == 0 ? 64 : round == 1 ? 500 : N;
		unsigned add_odds = round == 3 ? 2 : 3;

		for (k = 0; k < 20000; k++) {
			uint32_t x = (uint32_t)(rand_r(&seed) % range);
			int r;

			if (rand_r(&seed) % add_odds) {
				r = slotset_add(&s, x);
				rets &= r == (bm[x] ? 0 : 1);
				bm[x] = true;
			} else {
				r = slotset_remove(&s, x);
				rets &= r == (bm[x] ? 1 : 0);
				bm[x] = false;
			}
			if (k % 97 == 0) {
				canon &= canonical(&s);
				len = slotset_encode(&s, &blob);
				rt &= roundtrip_same(blob, len);
				free(blob);
			}
		}
		canon &= canonical(&s);
		count = 0;
		for (i = 0; i < N; i++) {
			ok &= slotset_has(&s, (uint32_t)i) == bm[i];
			count += bm[i];
		}
		T_EQ_INT(slotset_count(&s), count);
		T_OK(slotset_empty(&s) == (count == 0));
		len = slotset_encode(&s, &blob);
		T_EQ_INT(slotset_decode(&d, blob, len), 0);
		for (i = 0; i < N; i++)
			ok &= slotset_blob_has(blob, len, (uint32_t)i) == bm[i] &&
			      slotset_has(&d, (uint32_t)i) == bm[i];
		T_EQ_INT(slotset_count(&d), count);
		/* the iterator gives the same runs as the decoded set */
		{
			struct slotset_iter it;
			uint32_t a, b;
			size_t r = 0;
			int ret;

			slotset_iter_init(&it, blob, len);
			while ((ret = slotset_iter_next(&it, &a, &b)) == 1) {
				ok &= r < d.nruns && d.runs[2 * r] == a && d.runs[2 * r + 1] == b;
				r++;
			}
			T_EQ_INT(ret, 0);
			T_EQ_INT(r, d.nruns);
		}
		free(blob);
	}
	T_CHECK(ok, "set differs from the bitmap");
	T_CHECK(canon, "runs not canonical");
	T_CHECK(rets, "add/remove return values wrong");
	T_CHECK(rt, "encode/decode/encode not identical");
	slotset_free(&s);
	slotset_free(&d);
}

static void
expect_bad(const uint8_t *p, size_t n, const char *what)
{
	struct slotset s;
	struct slotset_iter it;
	uint32_t a, b;
	int r;

	slotset_init(&s);
	T_CHECK(slotset_decode(&s, p, n) == -EINVAL, "%s accepted by decode", what);
	slotset_iter_init(&it, p, n);
	while ((r = slotset_iter_next(&it, &a, &b)) == 1)
		T_CHECK(b <= SLOTSET_MAX_SLOT + 1 && a < b, "%s: iterator gave [%u, %u)", what, a, b);
	T_CHECK(r == -EINVAL, "%s: iterator ended with %d", what, r);
	slotset_free(&s);
}

static void
test_malformed(void)
{
	struct slotset s;
	static const uint8_t trunc[] = { 0x80 };
	static const uint8_t trunc_len[] = { 0x02 };           /* gap without its length */
	static const uint8_t trunc_len2[] = { 0x02, 0x81 };    /* length varint cut short */
	static const uint8_t trunc_second[] = { 0x01, 0x01, 0x05 };
	static const uint8_t zerolen[] = { 0x01, 0x00 };
	static const uint8_t zerolen_second[] = { 0x01, 0x01, 0x01, 0x00 };
	static const uint8_t gap0[] = { 0x00, 0x02, 0x00, 0x02 };
	static const uint8_t big[] = { 0xff, 0xff, 0x03, 0x05 };
	static const uint8_t past_max[] = { 0xff, 0xff, 0x03, 0x02 }; /* 65535 + 2 > 65536 */
	static const uint8_t past_max_sum[] = { 0xf0, 0xff, 0x03, 0x01, 0x0f, 0x02 };
	static const uint8_t huge_len[] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const uint8_t too_long_varint[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01 };
	static const uint8_t wrap[] = { 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	static const uint8_t ok[] = { 0x02, 0x03, 0x01, 0x01 };
	static const uint8_t at_max[] = { 0xff, 0xff, 0x03, 0x01 }; /* exactly slot 65535 */

	expect_bad(trunc, sizeof(trunc), "truncated varint");
	expect_bad(trunc_len, sizeof(trunc_len), "missing length");
	expect_bad(trunc_len2, sizeof(trunc_len2), "truncated length varint");
	expect_bad(trunc_second, sizeof(trunc_second), "truncated second run");
	expect_bad(zerolen, sizeof(zerolen), "zero-length run");
	expect_bad(zerolen_second, sizeof(zerolen_second), "zero-length second run");
	expect_bad(gap0, sizeof(gap0), "gap 0 between runs");
	expect_bad(big, sizeof(big), "run beyond SLOTSET_MAX_SLOT");
	expect_bad(past_max, sizeof(past_max), "run ending past SLOTSET_MAX_SLOT");
	expect_bad(past_max_sum, sizeof(past_max_sum), "second run past SLOTSET_MAX_SLOT");
	expect_bad(huge_len, sizeof(huge_len), "32-bit length");
	expect_bad(too_long_varint, sizeof(too_long_varint), "six-byte varint");
	expect_bad(wrap, sizeof(wrap), "gap that wraps 32 bits");

	slotset_init(&s);
	T_EQ_INT(slotset_decode(&s, ok, sizeof(ok)), 0);
	T_OK(slotset_has(&s, 2) && slotset_has(&s, 4) && !slotset_has(&s, 5) && slotset_has(&s, 6));
	T_EQ_INT(slotset_count(&s), 4);
	/* decoding replaces what the set held */
	T_EQ_INT(slotset_decode(&s, at_max, sizeof(at_max)), 0);
	T_EQ_INT(slotset_count(&s), 1);
	T_OK(slotset_has(&s, SLOTSET_MAX_SLOT) && !slotset_has(&s, 2));
	slotset_free(&s);

	/* slotset_blob_has on malformed blobs: false past the error, never a crash */
	T_OK(!slotset_blob_has(trunc, sizeof(trunc), 0));
	T_OK(!slotset_blob_has(zerolen, sizeof(zerolen), 1));
	T_OK(!slotset_blob_has(big, sizeof(big), 65535));
	T_OK(!slotset_blob_has(gap0, sizeof(gap0), 2));
	T_OK(slotset_blob_has(ok, sizeof(ok), 6));
	T_OK(!slotset_blob_has(ok, sizeof(ok), 7));
	T_OK(!slotset_blob_has(ok, sizeof(ok), 1));
	T_OK(slotset_blob_has(at_max, sizeof(at_max), SLOTSET_MAX_SLOT));
	/* the decoder never reads past n: the tail bytes here would be valid */
	T_OK(!slotset_blob_has(ok, 2, 6));
	slotset_init(&s);
	T_EQ_INT(slotset_decode(&s, ok, 3), -EINVAL);
	slotset_free(&s);
}

static void
test_iter(void)
{
	static const uint8_t blob[] = { 0x00, 0x02, 0x03, 0x01, 0x80, 0x01, 0x05 };
	struct slotset_iter it;
	uint32_t a = 0, b = 0;

	/* [0,2) [5,6) [134,139) */
	slotset_iter_init(&it, blob, sizeof(blob));
	T_EQ_INT(slotset_iter_next(&it, &a, &b), 1);
	T_OK(a == 0 && b == 2);
	T_EQ_INT(slotset_iter_next(&it, &a, &b), 1);
	T_OK(a == 5 && b == 6);
	T_EQ_INT(slotset_iter_next(&it, &a, &b), 1);
	T_OK(a == 134 && b == 139);
	T_EQ_INT(slotset_iter_next(&it, &a, &b), 0);
	T_EQ_INT(slotset_iter_next(&it, &a, &b), 0);
	T_OK(slotset_blob_has(blob, sizeof(blob), 138));
	T_OK(!slotset_blob_has(blob, sizeof(blob), 139));
	T_OK(!slotset_blob_has(blob, sizeof(blob), 100));
}

int
main(void)
{
	T_RUN(test_empty);
	T_RUN(test_merge_split);
	T_RUN(test_limits);
	T_RUN(test_runs_compact);
	T_RUN(test_encoding_bytes);
	T_RUN(test_random_vs_bitmap);
	T_RUN(test_malformed);
	T_RUN(test_iter);
	T_DONE();
}
