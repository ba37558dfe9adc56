// SPDX-License-Identifier: GPL-2.0-or-later
/* The in-memory catalogue of products and releases: rank order, slots, and
 * the lookup of a release by its exact version string (a binary search over
 * an order of its own: "6.4" and "6.4.0" are different releases). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "fpindex.h"
#include "store.h"
#include "t.h"


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

int
main(void)
{
	T_RUN(test_find_version);
	T_RUN(test_product_yaml);
	T_DONE();
}
