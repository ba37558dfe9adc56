// SPDX-License-Identifier: GPL-2.0-or-later
/* hmap: byte-string keys (empty, with NUL bytes, prefixes of each other),
 * insertion flags, growth, iteration, and inserts, lookups and backward-shift
 * deletes against a reference table over many random operations; the hash is
 * keyed (a key per map) and names built to collide under an unkeyed hash do not
 * make long probe runs. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	T_EQ_INT(hmap_hash(&m, "abc", 3), hmap_hash(&m, "abcd", 3));
	T_OK(hmap_hash(&m, "abc", 3) != hmap_hash(&m, "abd", 3));
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

/* Each map draws its own key: the same name hashes differently in two maps
 * (and in another process), and the same in one map over its life. */
static void
test_keyed(void)
{
	struct hmap a, b;
	uint64_t ha, hb, hchild = 0;
	int fds[2], st;
	pid_t pid;

	hmap_init(&a);
	hmap_init(&b);
	*hmap_put(&a, "index.php", 9, NULL) = &a;
	*hmap_put(&b, "index.php", 9, NULL) = &b;
	ha = hmap_hash(&a, "index.php", 9);
	hb = hmap_hash(&b, "index.php", 9);
	T_CHECK(ha != hb, "two maps hash alike: %016llx", (unsigned long long)ha);
	T_OK(memcmp(a.seed, b.seed, sizeof(a.seed)) != 0);
	T_EQ_INT(hmap_hash(&a, "index.php", 9), ha); /* stable within the map */
	/* a map made in a forked child draws its own key there */
	T_OK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		struct hmap c;
		uint64_t h;

		hmap_init(&c);
		*hmap_put(&c, "index.php", 9, NULL) = &c;
		h = hmap_hash(&c, "index.php", 9);
		_exit(write(fds[1], &h, sizeof(h)) == sizeof(h) ? 0 : 1);
	}
	close(fds[1]);
	T_OK(pid > 0 && read(fds[0], &hchild, sizeof(hchild)) == sizeof(hchild));
	T_OK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fds[0]);
	T_OK(hchild != ha && hchild != hb);
	/* a freed map draws a new key with its next table */
	{
		unsigned char old[sizeof(a.seed)];

		memcpy(old, a.seed, sizeof(old));
		hmap_free(&a);
		*hmap_put(&a, "index.php", 9, NULL) = &a;
		T_OK(memcmp(old, a.seed, sizeof(old)) != 0);
		T_OK(hmap_get(&a, "index.php", 9) == &a);
	}
	hmap_free(&a);
	hmap_free(&b);
}

/* The hash this map used before it was keyed (FNV-1a 64 then a mix): what a
 * tenant can compute offline to pick colliding names. */
static uint64_t
unkeyed_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* the longest distance of a stored key from its home slot: the probe run a
 * lookup of it walks */
static size_t
max_displacement(const struct hmap *m)
{
	size_t i, d, worst = 0;

	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		d = (i - (size_t)(m->slots[i].hash & (m->cap - 1))) & (m->cap - 1);
		if (d > worst)
			worst = d;
	}
	return worst;
}

/* 2,000 upload names whose unkeyed hashes share their low 12 bits: in the
 * 4,096-slot table they fill, the unkeyed map put them all in one probe run
 * (each lookup up to 2,000 comparisons, inserts quadratic). Keyed, the longest
 * run stays that of random keys at load 0.49 (a few tens at most). */
#define NCOLL 2000
static void
test_crafted_collisions(void)
{
	static char names[NCOLL][40];
	struct hmap m;
	size_t n = 0, worst;
	uint64_t i, target = 0;
	bool found = true;
	int len;

	for (i = 0; n < NCOLL; i++) {
		len = snprintf(names[n], sizeof(names[n]), "wp-content/uploads/%llx.php",
			       (unsigned long long)i);
		if (n == 0)
			target = unkeyed_hash(names[0], (size_t)len) & 4095;
		if ((unkeyed_hash(names[n], (size_t)len) & 4095) == target)
			n++;
	}
	hmap_init(&m);
	for (i = 0; i < NCOLL; i++)
		*hmap_put(&m, names[i], strlen(names[i]), NULL) = names[i];
	T_EQ_INT(m.cap, 4096);
	worst = max_displacement(&m);
	T_CHECK(worst < 64, "a probe run of %zu slots for %d crafted names", worst, NCOLL);
	for (i = 0; i < NCOLL; i++)
		found &= hmap_get(&m, names[i], strlen(names[i])) == names[i];
	T_OK(found);
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
	T_RUN(test_keyed);
	T_RUN(test_crafted_collisions);
	T_DONE();
}
