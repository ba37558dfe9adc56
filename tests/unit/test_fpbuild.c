// SPDX-License-Identifier: GPL-2.0-or-later
/* The index build from a fingerprint directory made here: product.yaml read
 * through the YAML tree (and its errors with file:line:column), every set
 * indexed with the SHA-256 of its file, lookups by hash, a re-run that
 * touches nothing, a changed set indexed again, a set gone pruned, and the
 * sets written back out as they came in. */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fpindex.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/wsid-test-fpbuild.XXXXXX";
static char fpdir[300], pdir[300], dbpath[300];

static void
put(const char *name, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* a set line: the SHA-256 of content, then path */
static void
line(char *out, size_t sz, const char *content, const char *path)
{
	uint8_t h[32];
	char hex[65];

	crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
	hex_encode(h, 32, hex);
	snprintf(out, sz, "%s  %s\n", hex, path);
}

static int
build(struct store *s, bool prune, struct fpindex_build_stats *st, char *err, size_t errsz)
{
	const char *dirs[] = { fpdir };
	struct fpindex_build_opts o = { .dirs = dirs, .ndirs = 1, .prune = prune };

	return fpindex_build(s, &o, st, err, errsz);
}

static int
count_matches(struct store *s, const char *content)
{
	struct fpindex_lookup *l = NULL;
	uint8_t h[32];
	int n;

	crypto_hash_sha256(h, (const unsigned char *)content, strlen(content));
	if (fpindex_lookup_on(s, &l) < 0)
		return -1;
	n = fpindex_lookup_hash(l, h, NULL, NULL);
	fpindex_lookup_free(l);
	return n;
}

/* the recorded source_sha256 of a version is the SHA-256 of its file */
static bool
source_sha_ok(struct store *s, const char *version, const char *file)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT source_sha256 FROM versions WHERE version=?");
	char path[600];
	size_t len = 0;
	char *data;
	uint8_t h[32];
	bool ok = false;

	snprintf(path, sizeof(path), "%s/%s", pdir, file);
	data = t_slurp(path, &len);
	if (q && data) {
		crypto_hash_sha256(h, (const unsigned char *)data, len);
		sqlite3_bind_text(q, 1, version, -1, SQLITE_STATIC);
		ok = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 32 &&
		     memcmp(sqlite3_column_blob(q, 0), h, 32) == 0;
	}
	sqlite3_finalize(q);
	free(data);
	return ok;
}

struct exp {
	int n;
	char text[4096];
};

static int
on_set(void *ud, const struct fp_version *v, const char *text, size_t len, uint32_t nfiles)
{
	struct exp *e = ud;

	(void)nfiles;
	if (strcmp(v->version, "1.1") == 0 && len < sizeof(e->text)) {
		memcpy(e->text, text, len);
		e->text[len] = '\0';
	}
	e->n++;
	return 0;
}

static void
test_build(void)
{
	struct store *s = NULL;
	struct fpindex_build_stats st;
	struct fpindex *idx = NULL;
	const struct fp_product *p;
	char err[1024], l1[200], l2[200], l3[200], set11[600];
	struct exp e = { 0, "" };

	T_OK(sodium_init() >= 0);
	T_EQ_INT(store_open(dbpath, STORE_CREATE, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	put("product.yaml", "# a test product\nkind: plugin\nversion_file: \"hello.php\"\n"
			    "version_pattern: \"Version: ([0-9.]+) \\\\d\"\nname: hello\n");
	line(l1, sizeof(l1), "<?php echo 1;", "hello.php");
	line(l2, sizeof(l2), "readme 1.0", "readme.txt");
	put("1.0.sha256", l1);
	{
		char t[400];

		snprintf(t, sizeof(t), "%s%s", l1, l2);
		put("1.0.sha256", t);
	}
	line(l3, sizeof(l3), "readme 1.1", "readme.txt");
	snprintf(set11, sizeof(set11), "%s%s", l1, l3);
	put("1.1.sha256", set11);
	put("versions.tsv", "version\ttag\treleased\tfiles\n1.1\tv1.1\t2024-01-02\t2\n");

	T_EQ_INT(build(s, false, &st, err, sizeof(err)), 0);
	T_CHECK(st.products == 1 && st.sets_seen == 2 && st.sets_indexed == 2 && st.sets_unchanged == 0 &&
		st.lines == 4, "%u %u %u %u %llu", st.products, st.sets_seen, st.sets_indexed,
		st.sets_unchanged, (unsigned long long)st.lines);
	T_OK(source_sha_ok(s, "1.0", "1.0.sha256"));
	T_OK(source_sha_ok(s, "1.1", "1.1.sha256"));
	T_EQ_INT(count_matches(s, "<?php echo 1;"), 1);
	T_EQ_INT(count_matches(s, "readme 1.1"), 1);
	T_EQ_INT(count_matches(s, "nothing"), 0);
	T_EQ_INT(fpindex_load(s, &idx), 0);
	p = idx ? fpindex_product_by_name(idx, "hello") : NULL;
	T_OK(p != NULL);
	if (p) {
		T_EQ_STR(p->kind, "plugin");
		T_EQ_STR(p->version_file, "hello.php");
		/* YAML double quotes: "\\d" is a backslash and d */
		T_EQ_STR(p->version_pattern, "Version: ([0-9.]+) \\d");
		T_EQ_INT(p->nversions, 2);
		T_EQ_STR(fp_product_find_version(p, "1.1")->tag, "v1.1");
		T_EQ_INT(fpindex_export_product(s, p, on_set, &e), 0);
		T_EQ_INT(e.n, 2);
		T_EQ_STR(e.text, set11);
	}
	fpindex_free(idx);

	/* nothing changed: nothing indexed again */
	T_EQ_INT(build(s, false, &st, err, sizeof(err)), 0);
	T_CHECK(st.sets_indexed == 0 && st.sets_unchanged == 2, "%u %u", st.sets_indexed, st.sets_unchanged);

	/* one set changed: that one again, with its new SHA-256 */
	put("1.1.sha256", l3);
	T_EQ_INT(build(s, false, &st, err, sizeof(err)), 0);
	T_CHECK(st.sets_indexed == 1 && st.sets_unchanged == 1, "%u %u", st.sets_indexed, st.sets_unchanged);
	T_OK(source_sha_ok(s, "1.1", "1.1.sha256"));
	T_EQ_INT(count_matches(s, "<?php echo 1;"), 1); /* still in 1.0 */

	/* a set gone: pruned only when asked */
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/1.0.sha256", pdir);
		unlink(path);
	}
	T_EQ_INT(build(s, false, &st, err, sizeof(err)), 0);
	T_EQ_INT(st.sets_removed, 0);
	T_EQ_INT(count_matches(s, "<?php echo 1;"), 1);
	T_EQ_INT(build(s, true, &st, err, sizeof(err)), 0);
	T_EQ_INT(st.sets_removed, 1);
	T_EQ_INT(count_matches(s, "<?php echo 1;"), 0);
	T_EQ_INT(count_matches(s, "readme 1.1"), 1);
	store_close(s);
}

static void
test_bad_meta(void)
{
	static const char *const bad[][2] = {
		{ "kind: nope\n", "product.yaml:1:1: kind must be core, plugin, theme or library" },
		{ "kind: core\nversion_file: [a]\n", "product.yaml:2:15: version_file: expected a scalar" },
		{ "kind: core\ncolour: red\n", "product.yaml:2:1: product.yaml: unknown key 'colour'" },
		{ "kind: core\nkind: plugin\n", "product.yaml:2:1: product.yaml: duplicate key 'kind'" },
		{ "- a\n- b\n", "product.yaml:1:1: product.yaml: expected a mapping, got a list" },
		{ "kind: \"core\n", "product.yaml:" },
	};
	struct store *s = NULL;
	struct fpindex_build_stats st;
	char err[1024];
	size_t i;

	T_EQ_INT(store_open(dbpath, STORE_CREATE, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("product.yaml", bad[i][0]);
		err[0] = '\0';
		T_CHECK(build(s, false, &st, err, sizeof(err)) == -EINVAL && strstr(err, bad[i][1]) != NULL,
			"%s -> %s", bad[i][0], err);
	}
	/* an empty product.yaml is no product knowledge, not an error */
	put("product.yaml", "");
	T_EQ_INT(build(s, false, &st, err, sizeof(err)), 0);
	store_close(s);
}

int
main(void)
{
	char cmd[400];

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(fpdir, sizeof(fpdir), "%s/fp", dir);
	snprintf(pdir, sizeof(pdir), "%s/fp/hello", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/wsid.db", dir);
	if (mkdir(fpdir, 0755) < 0 || mkdir(pdir, 0755) < 0)
		return 2;
	T_RUN(test_build);
	T_RUN(test_bad_meta);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	T_DONE();
}
