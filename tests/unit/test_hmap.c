// SPDX-License-Identifier: GPL-2.0-or-later
/* hmap: byte-string keys (empty, with NUL bytes, prefixes of each other),
 * insertion flags, growth, iteration, and inserts, lookups and backward-shift
 * deletes against a reference table over many random operations. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"
#include "t.h"

static void
test_empty_map(void)
{
	struct hmap m;
	struct hmap_slot *s;
	size_t n = 0;

	hmap_init(&m);
	T_OK(hmap_get(&m, "a", 1) == NULL);
	T_OK(hmap_del(&m, "a", 1) == NULL);
	hmap_foreach(&m, s) n++;
	T_EQ_INT(n, 0);
	T_EQ_INT(m.len, 0);
	hmap_free(&m);
	hmap_free(&m); /* twice: harmless */
}

static void
test_keys(void)
{
	struct hmap m;
	int isnew = -1;
	void **v;
	static int one, two, three, four, five;

	hmap_init(&m);
	v = hmap_put(&m, "abc", 3, &isnew);
	T_EQ_INT(isnew, 1);
	T_OK(*v == NULL); /* a new key starts with a NULL value */
	*v = &one;
	v = hmap_put(&m, "abc", 3, &isnew);
	T_EQ_INT(isnew, 0);
	T_OK(*v == &one);
	*hmap_put(&m, "ab", 2, NULL) = &two;       /* a prefix is another key */
	*hmap_put(&m, "", 0, NULL) = &three;       /* the empty key */
	*hmap_put(&m, "a\0c", 3, NULL) = &four;    /* NUL inside the key */
	*hmap_put(&m, "a\0d", 3, NULL) = &five;
	T_EQ_INT(m.len, 5);
	T_OK(hmap_get(&m, "abc", 3) == &one);
	T_OK(hmap_get(&m, "ab", 2) == &two);
	T_OK(hmap_get(&m, "abcd", 3) == &one); /* only klen bytes count */
	T_OK(hmap_get(&m, "", 0) == &three);
	T_OK(hmap_get(&m, "a\0c", 3) == &four);
	T_OK(hmap_get(&m, "a\0d", 3) == &five);
	T_OK(hmap_get(&m, "a", 1) == NULL);
	T_OK(hmap_get(&m, "a\0", 2) == NULL);
	T_OK(hmap_get(&m, "abcd", 4) == NULL);
	/* keys are copied: changing the caller's bytes changes nothing */
	{
		char k[4] = "xyz";

		*hmap_put(&m, k, 3, NULL) = &one;
		k[0] = 'q';
		T_OK(hmap_get(&m, "xyz", 3) == &one);
		T_OK(hmap_get(&m, k, 3) == NULL);
	}
	T_OK(hmap_del(&m, "", 0) == &three);
	T_OK(hmap_get(&m, "", 0) == NULL);
	T_OK(hmap_del(&m, "", 0) == NULL);
	T_OK(hmap_del(&m, "a\0c", 3) == &four);
	T_OK(hmap_get(&m, "a\0d", 3) == &five);
	T_EQ_INT(m.len, 4);
	/* a stored key is NUL-terminated after klen (callers print them) */
	{
		struct hmap_slot *s;
		bool term = true;

		hmap_foreach(&m, s) term &= s->key[s->klen] == '\0';
		T_OK(term);
	}
	T_EQ_INT(hmap_hash("abc", 3), hmap_hash("abcd", 3));
	T_OK(hmap_hash("abc", 3) != hmap_hash("abd", 3));
	hmap_free(&m);
	T_EQ_INT(m.len, 0);
	T_OK(m.slots == NULL);
}

static void
test_grow_and_iterate(void)
{
	struct hmap m;
	struct hmap_slot *s;
	char key[32];
	size_t i, n = 0;
	bool ok = true, seen_ok = true;
	static bool seen[10000];

	hmap_init(&m);
	for (i = 0; i < 10000; i++) {
		int isnew;
		int kl = snprintf(key, sizeof(key), "wp-content/%zu.php", i);

		*hmap_put(&m, key, (size_t)kl, &isnew) = (void *)(uintptr_t)(i + 1);
		ok &= isnew == 1;
	}
	T_OK(ok);
	T_EQ_INT(m.len, 10000);
	T_OK(m.cap >= 10000 && (m.cap & (m.cap - 1)) == 0);
	T_OK(m.len * 4 < m.cap * 3); /* load factor kept below 3/4 */
	hmap_foreach(&m, s) {
		size_t v = (size_t)(uintptr_t)s->val;

		n++;
		if (v == 0 || v > 10000 || seen[v - 1])
			seen_ok = false;
		else
			seen[v - 1] = true;
	}
	T_EQ_INT(n, 10000);
	T_OK(seen_ok);
	ok = true;
	for (i = 0; i < 10000; i++) {
		int kl = snprintf(key, sizeof(key), "wp-content/%zu.php", i);

		ok &= hmap_get(&m, key, (size_t)kl) == (void *)(uintptr_t)(i + 1);
	}
	T_OK(ok);
	/* delete every other key, the rest stays reachable */
	ok = true;
	for (i = 0; i < 10000; i += 2) {
		int kl = snprintf(key, sizeof(key), "wp-content/%zu.php", i);

		ok &= hmap_del(&m, key, (size_t)kl) == (void *)(uintptr_t)(i + 1);
	}
	for (i = 0; i < 10000; i++) {
		int kl = snprintf(key, sizeof(key), "wp-content/%zu.php", i);
		void *v = hmap_get(&m, key, (size_t)kl);

		ok &= i % 2 ? v == (void *)(uintptr_t)(i + 1) : v == NULL;
	}
	T_OK(ok);
	T_EQ_INT(m.len, 5000);
	hmap_free(&m);
}

/* Random operations on small integer keys: a small table means long probe runs
 * that wrap around the end, where backward-shift deletion is easy to get wrong. */
static void
random_round(unsigned seed, int nkeys, int ops)
{
	struct hmap m;
	int *ref = calloc((size_t)nkeys, sizeof(int));
	int k, i, isnew;
	bool ok = true, flags = true;
	size_t n = 0, iter = 0;
	struct hmap_slot *s;

	hmap_init(&m);
	for (k = 0; k < ops; k++) {
		int key = rand_r(&seed) % nkeys;

		if (rand_r(&seed) % 3) {
			void **v = hmap_put(&m, &key, sizeof(key), &isnew);

			flags &= isnew == (ref[key] == 0);
			*v = (void *)(intptr_t)(key + 1);
			ref[key] = 1;
		} else {
			void *v = hmap_del(&m, &key, sizeof(key));

			ok &= ref[key] ? v == (void *)(intptr_t)(key + 1) : v == NULL;
			ref[key] = 0;
		}
	}
	for (i = 0; i < nkeys; i++) {
		void *v = hmap_get(&m, &i, sizeof(i));

		ok &= ref[i] ? v == (void *)(intptr_t)(i + 1) : v == NULL;
		n += ref[i] != 0;
	}
	hmap_foreach(&m, s) iter++;
	T_CHECK(ok, "seed %u keys %d: contents differ from the reference", seed, nkeys);
	T_CHECK(flags, "seed %u keys %d: ret_new wrong", seed, nkeys);
	T_EQ_INT(m.len, n);
	T_EQ_INT(iter, n);
	hmap_free(&m);
	free(ref);
}

static void
test_random(void)
{
	random_round(7, 5000, 200000);
	random_round(1, 40, 20000);
	random_round(2, 48, 20000);
	random_round(3, 100, 50000);
	random_round(4, 1000, 100000);
}

/* Delete everything in random order after filling: the table must end empty and
 * all slots free. */
static void
test_drain(void)
{
	struct hmap m;
	struct hmap_slot *s;
	int keys[3000], i;
	unsigned seed = 99;
	bool ok = true;
	size_t left = 0;

	hmap_init(&m);
	for (i = 0; i < 3000; i++) {
		keys[i] = i * 7919;
		*hmap_put(&m, &keys[i], sizeof(int), NULL) = (void *)(intptr_t)(keys[i] + 1);
	}
	for (i = 2999; i > 0; i--) {
		int j = rand_r(&seed) % (i + 1), t = keys[i];

		keys[i] = keys[j];
		keys[j] = t;
	}
	for (i = 0; i < 3000; i++) {
		void *v = hmap_del(&m, &keys[i], sizeof(int));

		ok &= v == (void *)(intptr_t)(keys[i] + 1);
		if (i % 500 == 0) {
			int j;

			for (j = i + 1; j < 3000; j++)
				ok &= hmap_get(&m, &keys[j], sizeof(int)) != NULL;
		}
	}
	T_OK(ok);
	T_EQ_INT(m.len, 0);
	hmap_foreach(&m, s) left++;
	T_EQ_INT(left, 0);
	hmap_free(&m);
}

int
main(void)
{
	T_RUN(test_empty_map);
	T_RUN(test_keys);
	T_RUN(test_grow_and_iterate);
	T_RUN(test_random);
	T_RUN(test_drain);
	T_DONE();
}
