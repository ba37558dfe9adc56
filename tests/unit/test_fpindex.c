// SPDX-License-Identifier: GPL-2.0-or-later
/* The in-memory catalogue of products and releases: rank order, slots, and
 * the lookup of a release by its exact version string (a binary search over
 * an order of its own: "6.4" and "6.4.0" are different releases). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "fpindex.h"
#include "hash.h"
#include "store.h"
#include "t.h"
#include "util.h"


/* versions inserted in this (shuffled) order, slot = position */
static const char *const wp[] = {
	"6.4.2", "4.9",   "6.4",    "5.0.10", "6.4.0", "3.0",   "6.10", "6.4.10", "2.0",
	"6.4.1", "6.9.4", "5.0",    "0.71",   "6.1",   "5.10",  "4.0",  "6.4.3",  "1.5",
	"6.2",   "5.9.3", "4.9.26", "6.8-rc1", "6.0.1", "5.0.1", "6.7",  "3.9.40",
};
#define NWP (sizeof(wp) / sizeof(wp[0]))

static void
test_find_version(void)
{
	struct fx f;
	struct store *s;
	struct fpindex *idx = NULL;
	const struct fp_product *p, *q;
	char sql[160];
	size_t i;
	int found = 0, prev_rank = -1, ranked = 1;

	T_EQ_INT(fx_open(&f, "fpindex"), 0);
	if ((s = f.s) == NULL) {
		fx_close(&f);
		return;
	}
	T_EQ_INT(store_exec(s, "INSERT INTO products(id, name) VALUES (1, 'wordpress'), (2, 'empty')"),
		 0);
	for (i = 0; i < NWP; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO versions(product_id, slot, version) VALUES (1, %zu, '%s')", i,
			 wp[i]);
		T_EQ_INT(store_exec(s, sql), 0);
	}
	T_EQ_INT(fpindex_load(s, &idx), 0);
	if (idx == NULL) {
		fx_close(&f);
		return;
	}
	p = fpindex_product_by_name(idx, "wordpress");
	q = fpindex_product_by_name(idx, "empty");
	T_OK(p != NULL && q != NULL);
	if (p == NULL || q == NULL)
		goto out;
	T_EQ_INT(p->nversions, NWP);
	/* every release found by its string, and it is the one of that slot */
	for (i = 0; i < NWP; i++) {
		const struct fp_version *v = fp_product_find_version(p, wp[i]);

		found += v != NULL && strcmp(v->version, wp[i]) == 0 && v->slot == i &&
			 fp_product_version(p, (uint32_t)i) == v;
	}
	T_EQ_INT(found, NWP);
	/* near misses are not releases */
	T_OK(fp_product_find_version(p, "6.4.4") == NULL);
	T_OK(fp_product_find_version(p, "6.4.") == NULL);
	T_OK(fp_product_find_version(p, "6") == NULL);
	T_OK(fp_product_find_version(p, "") == NULL);
	T_OK(fp_product_find_version(p, "0.70") == NULL);
	T_OK(fp_product_find_version(p, "9.9") == NULL);
	T_OK(fp_product_find_version(q, "6.4") == NULL);
	/* ranks follow release order, whatever the string order */
	for (i = 0; i < p->nversions; i++) {
		ranked &= p->versions[i].rank == prev_rank + 1;
		prev_rank = p->versions[i].rank;
	}
	T_OK(ranked);
	T_EQ_STR(p->versions[0].version, "0.71");
	T_EQ_STR(fp_product_latest(p)->version, "6.10");
	T_OK(fp_product_find_version(p, "6.9.4")->rank < fp_product_find_version(p, "6.10")->rank);
out:
	fpindex_free(idx);
	fx_close(&f);
}

/* product.yaml's staging_dirs reaches the index; a product.yaml with an
 * unknown key fails the build, naming it (and frees what it read once) */
static void
test_product_yaml(void)
{
	struct fx f;
	struct store *s;
	struct fpindex *idx = NULL;
	struct fpindex_build_stats st;
	struct fpindex_build_opts o = { 0 };
	const struct fp_product *p;
	char err[512], fp[300], path[400];
	const char *dirs[1] = { fp };

	T_EQ_INT(fx_open(&f, "fpindex-yaml"), 0);
	if ((s = f.s) == NULL) {
		fx_close(&f);
		return;
	}
	snprintf(fp, sizeof(fp), "%s/fp", f.dir);
	T_EQ_INT(fx_put_at(fp, "demo/1.0.sha256",
			   "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  index.php\n"), 0);
	snprintf(path, sizeof(path), "%s/demo/product.yaml", fp);
	T_EQ_INT(fx_put(path, "kind: core\nupload_dirs: up\nstaging_dirs: 'stage,tmp/x'\n"), 0);
	o.dirs = dirs;
	o.ndirs = 1;
	T_EQ_INT(fpindex_build(s, &o, &st, err, sizeof(err)), 0);
	T_EQ_INT(fpindex_load(s, &idx), 0);
	p = idx ? fpindex_product_by_name(idx, "demo") : NULL;
	T_OK(p != NULL);
	if (p) {
		T_EQ_STR(p->upload_dirs, "up");
		T_EQ_STR(p->staging_dirs, "stage,tmp/x");
	}
	fpindex_free(idx);
	T_EQ_INT(fx_put(path, "kind: core\nbogus: 1\n"), 0);
	o.force = true;
	err[0] = '\0';
	T_OK(fpindex_build(s, &o, &st, err, sizeof(err)) < 0);
	T_OK(strstr(err, "unknown key 'bogus'") != NULL);
	fx_close(&f);
}

/* the content and the path of file i of release r of the filter's product */
static void
filter_file(int r, int i, char *content, size_t csz, char *path, size_t psz)
{
	snprintf(content, csz, "<?php /* release %d file %d */\n", i % 7 == 0 ? 0 : r, i);
	snprintf(path, psz, "dir%d/file%d.php", i % 13, i);
}

/* release r of a product of n files written as a set under fp, and the index built */
static int
filter_release(struct store *s, const char *fp, int r, int n)
{
	struct fpindex_build_stats st;
	struct fpindex_build_opts o = { 0 };
	const char *dirs[1] = { fp };
	char content[128], path[64], hex[2 * SHA256_LEN + 1], name[32], err[256];
	uint8_t h[SHA256_LEN];
	struct buf b;
	int i, rc;

	buf_init(&b, 1 << 22);
	for (i = 0; i < n; i++) {
		filter_file(r, i, content, sizeof(content), path, sizeof(path));
		sha256_buf(content, strlen(content), h);
		hex_encode(h, sizeof(h), hex);
		buf_printf(&b, "%s  %s\n", hex, path);
	}
	snprintf(name, sizeof(name), "many/%d.0.sha256", r);
	rc = fx_put_at(fp, name, b.data);
	buf_free(&b);
	o.dirs = dirs;
	o.ndirs = 1;
	if (rc == 0 && (rc = fpindex_build(s, &o, &st, err, sizeof(err))) < 0)
		printf("filter: index: %s\n", err);
	return rc;
}

static void
count_path(void *ud, const uint8_t *sha256, const uint8_t *slots, size_t slen)
{
	(void)sha256;
	(void)slots;
	(void)slen;
	++*(int *)ud;
}

/* The filter never says "unknown" for what the index holds: every content
 * and every (product, path) with entries is found, and the lookups asking it
 * first answer as SQLite alone does, for known and unknown contents alike; a
 * release added later is unknown to the filter built before it (whoever holds
 * one builds it again with the generation) and known to the next; over its
 * bound no filter is built. */
static void
test_filter(void)
{
	struct fx f;
	struct store *s;
	struct fpindex_filter *flt = NULL, *flt2 = NULL;
	struct fpindex_lookup *plain = NULL, *filtered = NULL;
	struct fpindex *idx = NULL;
	const struct fp_product *p;
	sqlite3_stmt *q;
	char fp[300], content[128], path[64];
	uint8_t h[SHA256_LEN];
	size_t nk = 0, np = 0, bytes = 0, nfound = 0, nrows = 0, misses = 0, same = 0;
	int i, n = 3000, c1, c2;

	T_EQ_INT(fx_open(&f, "fpindex-filter"), 0);
	if ((s = f.s) == NULL) {
		fx_close(&f);
		return;
	}
	snprintf(fp, sizeof(fp), "%s/fp", f.dir);
	T_EQ_INT(filter_release(s, fp, 1, n), 0);
	/* a content no entry holds (what a pruned release leaves) */
	T_EQ_INT(store_exec(s, "INSERT INTO hashes(sha256) VALUES (zeroblob(32))"), 0);
	T_EQ_INT(fpindex_filter_build(s, 1 << 20, &flt), 0);
	T_EQ_INT(fpindex_load(s, &idx), 0);
	p = idx ? fpindex_product_by_name(idx, "many") : NULL;
	T_OK(flt != NULL && p != NULL);
	if (flt == NULL || p == NULL)
		goto out;
	fpindex_filter_size(flt, &nk, &np, &bytes);
	T_EQ_INT(np, (size_t)n);
	T_OK(nk > (size_t)n / 2 && nk <= (size_t)n + 1); /* the one without entries may be in */
	T_OK(bytes >= (nk + np) * 8);
	/* every content with entries, every path with entries */
	q = store_prepare(s, "SELECT h.sha256 FROM hashes h JOIN entries e ON e.hash_id=h.id");
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		nrows++;
		nfound += fpindex_filter_maybe_known(flt, sqlite3_column_blob(q, 0));
	}
	sqlite3_finalize(q);
	T_OK(nrows >= (size_t)n);
	T_EQ_INT(nfound, nrows);
	nrows = nfound = 0;
	q = store_prepare(s, "SELECT product_id, relpath FROM paths");
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		nrows++;
		nfound += fpindex_filter_maybe_path(flt, sqlite3_column_int64(q, 0),
						    sqlite3_column_blob(q, 1),
						    (size_t)sqlite3_column_bytes(q, 1));
	}
	sqlite3_finalize(q);
	T_EQ_INT(nrows, (size_t)n);
	T_EQ_INT(nfound, nrows);
	/* the lookups with the filter answer as without it */
	T_EQ_INT(fpindex_lookup_on(s, &plain), 0);
	T_EQ_INT(fpindex_lookup_on(s, &filtered), 0);
	if (plain == NULL || filtered == NULL)
		goto out;
	fpindex_lookup_set_filter(filtered, flt);
	flt = NULL;
	for (i = 0; i < 2 * n; i++) {
		/* the release's files, then as many that no release has */
		filter_file(i < n ? 1 : 2, i % n, content, sizeof(content), path, sizeof(path));
		if (i >= n)
			path[0] = 'X';
		sha256_buf(content, strlen(content), h);
		same += fpindex_lookup_known(plain, h) == fpindex_lookup_known(filtered, h);
		c1 = c2 = 0;
		same += fpindex_lookup_path(plain, p->id, path, strlen(path), count_path, &c1) ==
				fpindex_lookup_path(filtered, p->id, path, strlen(path), count_path, &c2) &&
			c1 == c2;
		misses += i >= n && !fpindex_lookup_known(filtered, h);
	}
	T_EQ_INT(same, 4 * (size_t)n);
	T_OK(misses > (size_t)n / 2); /* the unknown half is unknown (those of i % 7 are shared) */
	T_OK(!fpindex_lookup_known(filtered, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
							      "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"));
	/* a release added: not in the filter built before, in the next */
	T_EQ_INT(filter_release(s, fp, 2, n + 1), 0);
	filter_file(2, 1, content, sizeof(content), path, sizeof(path));
	sha256_buf(content, strlen(content), h);
	T_OK(fpindex_lookup_known(plain, h));
	T_OK(!fpindex_lookup_known(filtered, h));
	T_EQ_INT(fpindex_filter_build(s, 1 << 20, &flt2), 0);
	T_OK(flt2 && fpindex_filter_maybe_known(flt2, h));
	filter_file(2, n, content, sizeof(content), path, sizeof(path));
	T_OK(flt2 && fpindex_filter_maybe_path(flt2, p->id, path, strlen(path)));
	fpindex_lookup_set_filter(filtered, flt2);
	flt2 = NULL;
	c1 = 0;
	T_EQ_INT(fpindex_lookup_path(filtered, p->id, path, strlen(path), count_path, &c1), 1);
	/* bounded: over max contents and paths, no filter */
	T_EQ_INT(fpindex_filter_build(s, (size_t)n, &flt), -E2BIG);
	T_OK(flt == NULL);
out:
	fpindex_filter_free(flt);
	fpindex_filter_free(flt2);
	fpindex_lookup_free(plain);
	fpindex_lookup_free(filtered);
	fpindex_free(idx);
	fx_close(&f);
}

int
main(void)
{
	T_RUN(test_find_version);
	T_RUN(test_product_yaml);
	T_RUN(test_filter);
	T_DONE();
}
