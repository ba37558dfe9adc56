// SPDX-License-Identifier: GPL-2.0-or-later
/* hmap: inserts, lookups and backward-shift deletes against a reference. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "hmap.h"
#include "t.h"

static void
test_random(void)
{
	struct hmap m;
	static int ref[5000];
	unsigned seed = 7;
	int k, i;
	bool ok = true;

	hmap_init(&m);
	for (k = 0; k < 200000; k++) {
		int key = rand_r(&seed) % 5000;

		if (rand_r(&seed) % 3) {
			*hmap_put(&m, &key, sizeof(key), NULL) = (void *)(intptr_t)(key + 1);
			ref[key] = 1;
		} else {
			void *v = hmap_del(&m, &key, sizeof(key));

			ok &= (v != NULL) == (ref[key] != 0);
			ref[key] = 0;
		}
	}
	for (i = 0; i < 5000; i++) {
		void *v = hmap_get(&m, &i, sizeof(i));

		ok &= ref[i] ? v == (void *)(intptr_t)(i + 1) : v == NULL;
	}
	T_OK(ok);
	{
		size_t n = 0;

		for (i = 0; i < 5000; i++)
			n += ref[i] != 0;
		T_EQ_INT(m.len, n);
	}
	hmap_free(&m);
}

int
main(void)
{
	T_RUN(test_random);
	T_DONE();
}
