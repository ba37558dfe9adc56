// SPDX-License-Identifier: GPL-2.0-or-later
/* slotset: random operations against a plain bitmap; encode/decode; malformed
 * blobs. */
#include <errno.h>
#include <stdlib.h>

#include "slotset.h"
#include "t.h"

#define N 2000

static void
test_random_vs_bitmap(void)
{
	static bool bm[N];
	struct slotset s, d;
	uint8_t *blob;
	size_t len, i, k;
	unsigned seed = 12345;
	bool ok = true;

	slotset_init(&s);
	slotset_init(&d);
	for (k = 0; k < 50000; k++) {
		uint32_t x = (uint32_t)(rand_r(&seed) % N);

		if (rand_r(&seed) % 3) {
			slotset_add(&s, x);
			bm[x] = true;
		} else {
			slotset_remove(&s, x);
			bm[x] = false;
		}
	}
	for (i = 0; i < N; i++)
		ok &= slotset_has(&s, (uint32_t)i) == bm[i];
	T_OK(ok);
	len = slotset_encode(&s, &blob);
	T_EQ_INT(slotset_decode(&d, blob, len), 0);
	ok = true;
	for (i = 0; i < N; i++)
		ok &= slotset_blob_has(blob, len, (uint32_t)i) == bm[i] &&
		      slotset_has(&d, (uint32_t)i) == bm[i];
	T_OK(ok);
	T_EQ_INT(slotset_count(&d), slotset_count(&s));
	/* runs are canonical: merged, non-adjacent */
	for (i = 1; i < s.nruns; i++)
		T_OK(s.runs[2 * i] > s.runs[2 * i - 1]);
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
	T_EQ_INT(slotset_add(&s, SLOTSET_MAX_SLOT + 1), -ERANGE);
	slotset_free(&s);
}

static void
test_malformed(void)
{
	struct slotset s;
	static const uint8_t trunc[] = { 0x80 };
	static const uint8_t zerolen[] = { 0x01, 0x00 };
	static const uint8_t gap0[] = { 0x00, 0x02, 0x00, 0x02 };
	static const uint8_t big[] = { 0xff, 0xff, 0x03, 0x05 };
	static const uint8_t ok[] = { 0x02, 0x03, 0x01, 0x01 };

	slotset_init(&s);
	T_EQ_INT(slotset_decode(&s, trunc, sizeof(trunc)), -EINVAL);
	T_EQ_INT(slotset_decode(&s, zerolen, sizeof(zerolen)), -EINVAL);
	T_EQ_INT(slotset_decode(&s, gap0, sizeof(gap0)), -EINVAL);
	T_EQ_INT(slotset_decode(&s, big, sizeof(big)), -EINVAL);
	T_EQ_INT(slotset_decode(&s, ok, sizeof(ok)), 0);
	T_OK(slotset_has(&s, 2) && slotset_has(&s, 4) && !slotset_has(&s, 5) && slotset_has(&s, 6));
	T_OK(!slotset_blob_has(trunc, sizeof(trunc), 0));
	slotset_free(&s);
}

int
main(void)
{
	T_RUN(test_random_vs_bitmap);
	T_RUN(test_runs_compact);
	T_RUN(test_malformed);
	T_DONE();
}
