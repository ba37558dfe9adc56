// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index keygen|export|import|import-checksums and the known-bad
 * bundles (ctlbundle.c): a key made here signs an export of the demo index
 * with a rule file and a known-bad hash; a second node imports it (--json
 * figures, the index and the list there), refuses it again as a downgrade
 * unless allowed, refuses it tampered (manifest or member), signed by a key
 * it does not trust, without any trusted key, or as a known-bad bundle. Usage
 * errors, hostile names, a key file never overwritten, a database missing.
 * And a WordPress.org checksum file into a set and the index. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "jsonparse.h"
#include "store.h"
#include "util.h"
#include "t.h"

static struct fx fx;      /* the build host: the demo index, a known-bad hash */
static char key[128], key2[128], pub[64], bundle[128], node_db[128], sock[100];
static struct config *cfg; /* the build host's: its rule file */

/* runs `wsidctl index ARGS...` with env (its lookups resolved by ctl_index) */
#define INDEX(env, out, err, ...) fx_ctl(ctl_index, env, out, err, "index", __VA_ARGS__, NULL)

static void
test_keygen(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, want[512], *pubfile, *p;
	struct stat st;
	size_t n;
	int rc;

	fx_ctl_env(&env, NULL, fx.db, sock);
	env.json = true;
	rc = INDEX(&env, &out, &err, "keygen", "--out", key);
	T_CHECK(rc == 0, "%s", err);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "secret_key"), key);
	snprintf(want, sizeof(want), "%s.pub", key);
	T_EQ_STR(fx_jstr(o, "public_key_file"), want);
	T_CHECK(fx_jstr(o, "public_key") && strlen(fx_jstr(o, "public_key")) == 44, "%s", out);
	snprintf(pub, sizeof(pub), "%s", fx_jstr(o, "public_key") ? fx_jstr(o, "public_key") : "");
	jsonp_free(o);
	free(out);
	free(err);
	T_OK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
	pubfile = t_slurp(want, &n);
	T_CHECK(pubfile && strncmp(pubfile, pub, strlen(pub)) == 0, "%s", pubfile);
	free(pubfile);

	/* text: the public key on stdout, where each file is on stderr */
	env.json = false;
	rc = INDEX(&env, &out, &err, "keygen", "--out", key2);
	T_EQ_INT(rc, 0);
	T_OK(strlen(out) == 45 && out[44] == '\n' && strncmp(out, pub, 44) != 0);
	snprintf(want, sizeof(want), "secret key: %s (mode 0600", key2);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);
	free(out);
	free(err);

	/* never overwritten */
	p = t_slurp(key, &n);
	rc = INDEX(&env, &out, &err, "keygen", "--out", key);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl index keygen: ", 22) == 0 && strstr(err, "exists already"), "%s", err);
	{
		size_t n2;
		char *q = t_slurp(key, &n2);

		T_OK(p && q && n == n2 && memcmp(p, q, n) == 0);
		free(q);
	}
	free(p);
	free(out);
	free(err);
	/* usage */
	rc = INDEX(&env, &out, &err, "keygen");
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "usage: wsidctl index keygen --out KEYFILE\n");
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "keygen", "--out", fx_path(&fx, "k3"), "extra");
	T_EQ_INT(rc, EXIT_USAGE);
	T_OK(access(fx_path(&fx, "k3"), F_OK) != 0);
	free(out);
	free(err);
}

static void
test_export(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, want[512], none[160];
	int rc;

	fx_ctl_env(&env, cfg, fx.db, sock);
	env.json = true;
	rc = INDEX(&env, &out, &err, "export", "--sign", key, bundle);
	T_CHECK(rc == 0, "%s", err);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "bundle"), bundle);
	T_EQ_STR(fx_jstr(o, "kind"), "index");
	T_EQ_STR(fx_jstr(o, "key"), pub);
	T_CHECK(fx_jstr(o, "serial") && strtoll(fx_jstr(o, "serial"), NULL, 10) > 1700000000, "%s", out);
	T_EQ_STR(fx_jstr(o, "products"), "1");
	T_EQ_STR(fx_jstr(o, "sets"), "2");
	T_EQ_STR(fx_jstr(o, "files"), "12");
	T_EQ_STR(fx_jstr(o, "known_bad"), "1");
	T_EQ_STR(fx_jstr(o, "rule_files"), "1");
	jsonp_free(o);
	free(out);
	free(err);
	T_OK(ctl_is_bundle(bundle));
	T_OK(!ctl_is_bundle(key));
	T_OK(!ctl_is_bundle(fx_path(&fx, "nothing")));

	/* text, one product named; a product not in the index is named back */
	env.json = false;
	rc = INDEX(&env, &out, &err, "export", "--sign", key, "--product", "demo", fx_path(&fx, "b2.tar"));
	T_CHECK(rc == 0, "%s", err);
	snprintf(want, sizeof(want), "index bundle %s: serial ", fx_path(&fx, "b2.tar"));
	T_CHECK(strncmp(out, want, strlen(want)) == 0 &&
			strstr(out, ", 1 product, 2 sets (12 files), 1 known-bad hash, 1 rule file\n"),
		"%s", out);
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "export", "--sign", key, "--product", "demo,no\nsuch", fx_path(&fx, "b3.tar"));
	T_EQ_INT(rc, EXIT_USAGE);
	snprintf(want, sizeof(want), "wsidctl: export: product 'no\\nsuch' is not in the index of %s\n", fx.db);
	T_EQ_STR(err, want);
	T_OK(access(fx_path(&fx, "b3.tar"), F_OK) != 0);
	free(out);
	free(err);

	/* --product P Q as operands before OUT, and --compat */
	rc = INDEX(&env, &out, &err, "export", "--sign", key, "--compat", "--product", "demo", "demo",
		   fx_path(&fx, "b5.tar"));
	T_CHECK(rc == 0, "%s", err);
	T_CHECK(strstr(out, ", 1 product, 2 sets (12 files), ") != NULL, "%s", out);
	free(out);
	free(err);
	T_OK(ctl_is_bundle(fx_path(&fx, "b5.tar")));
	rc = INDEX(&env, &out, &err, "export", "--sign", key, "--product", "demo", "other", fx_path(&fx, "b6.tar"));
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strncmp(err, "wsidctl: export: product 'other' is not in the index of ", 56) == 0, "%s", err);
	free(out);
	free(err);

	/* usage: no key, no output, two outputs */
	rc = INDEX(&env, &out, &err, "export", bundle);
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "usage: wsidctl index export --sign KEYFILE [--product P...] [--compat] OUT\n");
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "export", "--sign", key);
	T_EQ_INT(rc, EXIT_USAGE);
	free(out);
	free(err);
	/* a key that is not one, a database that is not there */
	rc = INDEX(&env, &out, &err, "export", "--sign", fx_path(&fx, "nokey"), fx_path(&fx, "b4.tar"));
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: export: ", 17) == 0 && strstr(err, "nokey"), "%s", err);
	free(out);
	free(err);
	snprintf(none, sizeof(none), "%s", fx_path(&fx, "none.db"));
	fx_ctl_env(&env, cfg, none, sock);
	rc = INDEX(&env, &out, &err, "export", "--sign", key, fx_path(&fx, "b4.tar"));
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strstr(err, "none.db") != NULL, "%s", err);
	T_OK(access(fx_path(&fx, "b4.tar"), F_OK) != 0);
	free(out);
	free(err);
}

/* the count of rows of a table in a database */
static long long
rows(const char *db, const char *table)
{
	struct store *s = NULL;
	char err[256], q[128];
	sqlite3_stmt *st;
	long long n = -1;

	if (store_open(db, STORE_RDONLY, &s, err, sizeof(err)) < 0)
		return -1;
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", table);
	st = store_prepare(s, q);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	store_close(s);
	return n;
}

/* a copy of the bundle with the first occurrence of what replaced by with */
static int
tampered_copy(const char *to, const char *what, const char *with)
{
	size_t n, wl = strlen(what);
	char *d = t_slurp(bundle, &n), *p = NULL;
	FILE *f;
	size_t i;
	int r = -1;

	for (i = 0; d && i + wl <= n; i++)
		if (memcmp(d + i, what, wl) == 0) {
			p = d + i;
			break;
		}
	if (p) {
		memcpy(p, with, wl);
		f = fopen(to, "wb");
		if (f && fwrite(d, 1, n, f) == n)
			r = 0;
		if (f && fclose(f) != 0)
			r = -1;
	}
	free(d);
	return r;
}

/* mark export|import's bundles, as verbs: export KEY OUT, import BUNDLE */
static int
kb_export(int argc, char **argv, const struct ctl_env *env)
{
	return argc == 3 ? ctl_known_bad_export(env, argv[1], argv[2]) : EXIT_USAGE;
}

static int
kb_import(int argc, char **argv, const struct ctl_env *env)
{
	return argc == 2 ? ctl_known_bad_import(env, argv[1]) : EXIT_USAGE;
}

static void
test_import(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, want[512], ytext[512];
	struct config *ncfg = NULL;
	int rc;

	/* no trusted key: refused, nothing made */
	fx_ctl_env(&env, NULL, node_db, sock);
	rc = INDEX(&env, &out, &err, "import", bundle);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: import: no trusted keys", 32) == 0, "%s", err);
	T_OK(access(node_db, F_OK) != 0);
	free(out);
	free(err);
	/* a key it does not trust */
	rc = INDEX(&env, &out, &err, "import", "--trusted-key", fx_path(&fx, "k2.pub"), bundle);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl: import: %s: refused: ", bundle);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);
	T_OK(access(node_db, F_OK) != 0);
	free(out);
	free(err);
	/* tampered: the manifest, then a member (its product.yaml) */
	if (tampered_copy(fx_path(&fx, "t1.tar"), "known-bad.tsv", "known-bad.tsX") == 0) {
		rc = INDEX(&env, &out, &err, "import", "--trusted-key", pub, fx_path(&fx, "t1.tar"));
		T_EQ_INT(rc, EXIT_ERROR);
		T_CHECK(strstr(err, "t1.tar: refused: ") != NULL, "%s", err);
		free(out);
		free(err);
	} else {
		T_CHECK(0, "%s", "no manifest entry to tamper with");
	}
	if (tampered_copy(fx_path(&fx, "t2.tar"), "kind: \"core\"", "kind: \"cor3\"") == 0) {
		rc = INDEX(&env, &out, &err, "import", "--trusted-key", pub, fx_path(&fx, "t2.tar"));
		T_EQ_INT(rc, EXIT_ERROR);
		T_CHECK(strstr(err, "t2.tar: refused: ") != NULL, "%s", err);
		free(out);
		free(err);
	} else {
		T_CHECK(0, "%s", "no product.yaml to tamper with");
	}
	T_OK(access(node_db, F_OK) != 0 || rows(node_db, "known_bad") == 0);
	/* not a regular file; not there */
	rc = INDEX(&env, &out, &err, "import", "--trusted-key", pub, fx.dir);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl: import: %s: not a regular file\n", fx.dir);
	T_EQ_STR(err, want);
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "import", "--trusted-key", "not-a-key", bundle);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: --trusted-key: ", 24) == 0, "%s", err);
	free(out);
	free(err);
	/* usage */
	rc = INDEX(&env, &out, &err, "import");
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "usage: wsidctl index import [--allow-downgrade] [--trusted-key KEY]... BUNDLE\n");
	free(out);
	free(err);

	/* a node database that is damaged: refused, left as it was */
	{
		char junk[160], *before, *after;
		size_t n1, n2;

		snprintf(junk, sizeof(junk), "%s/junk.db", fx.dir);
		fx_put(junk, "not a database: text that must stay as it is\n");
		before = t_slurp(junk, &n1);
		fx_ctl_env(&env, NULL, junk, sock);
		rc = INDEX(&env, &out, &err, "import", "--trusted-key", pub, bundle);
		T_EQ_INT(rc, EXIT_ERROR);
		T_CHECK(strstr(err, "junk.db: not a usable wsid database") != NULL, "%s", err);
		T_EQ_STR(out, "");
		after = t_slurp(junk, &n2);
		T_OK(before && after && n1 == n2 && strcmp(before, after) == 0);
		free(before);
		free(after);
		free(out);
		free(err);
	}

	/* the key trusted in the configuration: imported */
	snprintf(ytext, sizeof(ytext), "database: %s\ntrusted_keys: [%s]\n", node_db, pub);
	T_CHECK(config_load_string(ytext, strlen(ytext), "node.yaml", &ncfg, want, sizeof(want)) == 0, "%s",
		want);
	fx_ctl_env(&env, ncfg, node_db, sock);
	ctl_env_resolve(&env);
	env.json = true;
	rc = INDEX(&env, &out, &err, "import", bundle);
	T_CHECK(rc == 0, "%s", err);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "bundle"), bundle);
	T_EQ_STR(fx_jstr(o, "kind"), "index");
	T_EQ_STR(fx_jstr(o, "key"), pub);
	T_EQ_STR(fx_jstr(o, "sets"), "2");
	T_EQ_STR(fx_jstr(o, "sets_indexed"), "2");
	T_EQ_STR(fx_jstr(o, "known_bad"), "1");
	T_EQ_STR(fx_jstr(o, "rule_files"), "1");
	T_OK(o && jsonp_get(o, "downgrade") && jsonp_get(o, "downgrade")->t == J_BOOL &&
	     !jsonp_get(o, "downgrade")->b);
	jsonp_free(o);
	free(out);
	free(err);
	T_EQ_INT(rows(node_db, "known_bad"), 1);
	/* the node's index: stats through the verb */
	rc = INDEX(&env, &out, &err, "stats");
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "products"), "1");
	T_EQ_STR(fx_jstr(o, "versions"), "2");
	jsonp_free(o);
	free(out);
	free(err);

	/* the same serial again: a downgrade, refused unless allowed */
	env.json = false;
	rc = INDEX(&env, &out, &err, "import", bundle);
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strstr(err, "serial") != NULL && strstr(err, "--allow-downgrade") != NULL, "%s", err);
	T_EQ_STR(out, "");
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "import", "--allow-downgrade", bundle);
	T_CHECK(rc == 0, "%s", err);
	snprintf(want, sizeof(want), "imported index bundle %s: serial ", bundle);
	T_CHECK(strncmp(out, want, strlen(want)) == 0 && strstr(out, "; 2 sets (0 indexed, 2 unchanged, 0 "
								     "removed), 1 known-bad hash (0 removed)\n"
								     "rules: 1 rule file active"),
		"%s", out);
	T_CHECK(strstr(err, "downgrade allowed and recorded") != NULL, "%s", err);
	free(out);
	free(err);

	/* as the known-bad import of mark: an index bundle is refused */
	rc = fx_ctl(kb_import, &env, &out, &err, "import", bundle, NULL);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl: import: %s: a index bundle, not a known-bad bundle\n", bundle);
	T_EQ_STR(err, want);
	free(out);
	free(err);
	config_free(ncfg);
}

static void
test_known_bad(void)
{
	struct ctl_env env;
	struct config *ncfg = NULL;
	char *out = NULL, *err = NULL, ytext[512], kb[160], kb2[160], db2[160];
	int rc;

	/* a known-bad bundle: the list alone, imported by a node that trusts it */
	snprintf(kb, sizeof(kb), "%s/kb.tar", fx.dir);
	snprintf(kb2, sizeof(kb2), "%s/kb2.tar", fx.dir);
	snprintf(db2, sizeof(db2), "%s/node2.db", fx.dir);
	fx_ctl_env(&env, cfg, fx.db, sock);
	ctl_env_resolve(&env);
	rc = fx_ctl(kb_export, &env, &out, &err, "export", key, kb, NULL);
	T_CHECK(rc == 0, "%s", err);
	T_CHECK(strstr(out, "known-bad bundle ") == out && strstr(out, ", 0 products, 0 sets (0 files), 1 known-bad "
								     "hash, 0 rule files\n"), "%s", out);
	free(out);
	free(err);
	T_OK(ctl_is_bundle(kb));
	snprintf(ytext, sizeof(ytext), "database: %s\ntrusted_keys: [%s]\n", db2, pub);
	T_CHECK(config_load_string(ytext, strlen(ytext), "node.yaml", &ncfg, kb + 100, 50) == 0, "config");
	fx_ctl_env(&env, ncfg, db2, sock);
	ctl_env_resolve(&env);
	/* the known-bad import of mark takes it */
	rc = fx_ctl(kb_import, &env, &out, &err, "import", kb, NULL);
	T_CHECK(rc == 0, "%s", err);
	T_EQ_INT(rows(db2, "known_bad"), 1);
	free(out);
	free(err);
	/* and index import, a later serial of the same list */
	rc = fx_ctl(kb_export, &env, &out, &err, "export", key, kb2, NULL);
	free(out);
	free(err);
	env.json = true;
	rc = INDEX(&env, &out, &err, "import", kb2);
	T_CHECK(rc == 0, "%s", err);
	{
		struct jnode *o = fx_json(out);

		T_EQ_STR(fx_jstr(o, "kind"), "known-bad");
		T_EQ_STR(fx_jstr(o, "known_bad"), "1");
		T_EQ_STR(fx_jstr(o, "sets"), "0");
		jsonp_free(o);
	}
	T_EQ_INT(rows(db2, "known_bad"), 1);
	free(out);
	free(err);
	config_free(ncfg);
}

static void
test_import_checksums(void)
{
	struct ctl_env env;
	struct jnode *o;
	char *out, *err, outdir[160], want[512], db3[160];
	const char *sums = "{\"files\": {\"akismet.php\": {\"md5\": \"x\", \"sha256\": "
			   "\"0000000000000000000000000000000000000000000000000000000000000001\"}, "
			   "\"readme.txt\": {\"sha256\": "
			   "\"0000000000000000000000000000000000000000000000000000000000000002\"}}}";
	int rc;

	snprintf(outdir, sizeof(outdir), "%s/local", fx.dir);
	snprintf(db3, sizeof(db3), "%s/node3.db", fx.dir);
	fx_put(fx_path(&fx, "5.3.json"), sums);
	fx_ctl_env(&env, NULL, db3, sock);
	env.json = true;
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "akismet", "--version", "5.3", "--out",
		   outdir, fx_path(&fx, "5.3.json"));
	T_CHECK(rc == 0, "%s", err);
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "product"), "akismet");
	T_EQ_STR(fx_jstr(o, "version"), "5.3");
	T_EQ_STR(fx_jstr(o, "kind"), "plugin");
	T_EQ_STR(fx_jstr(o, "files"), "2");
	snprintf(want, sizeof(want), "%s/akismet/5.3.sha256", outdir);
	T_CHECK(fx_jstr(o, "set") && strncmp(fx_jstr(o, "set"), want, strlen(want)) == 0, "%s", out);
	jsonp_free(o);
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "stats");
	o = fx_json(out);
	T_EQ_STR(fx_jstr(o, "products"), "1");
	T_EQ_STR(fx_jstr(o, "files"), "2");
	jsonp_free(o);
	free(out);
	free(err);

	/* hostile names, a kind unknown, usage, a file that is no checksum file */
	env.json = false;
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "../x", "--version", "1", "--out", outdir,
		   fx_path(&fx, "5.3.json"));
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl: import-checksums: invalid product name '../x'\n");
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "akismet", "--version", "1\n2", "--out",
		   outdir, fx_path(&fx, "5.3.json"));
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl: import-checksums: invalid version '1\\n2'\n");
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "akismet", "--version", "1", "--kind",
		   "evil\x1b", "--out", outdir, fx_path(&fx, "5.3.json"));
	T_EQ_INT(rc, EXIT_USAGE);
	T_EQ_STR(err, "wsidctl: import-checksums: invalid kind 'evil\\x1b' (core, plugin, theme, library)\n");
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "akismet", fx_path(&fx, "5.3.json"));
	T_EQ_INT(rc, EXIT_USAGE);
	T_CHECK(strncmp(err, "usage: wsidctl index import-checksums --product SLUG --version V", 63) == 0,
		"%s", err);
	free(out);
	free(err);
	fx_put(fx_path(&fx, "bad.json"), "{\"files\": {\"../a.php\": {\"sha256\": \"00\"}}}");
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "akismet", "--version", "6.0", "--out",
		   outdir, fx_path(&fx, "bad.json"));
	T_EQ_INT(rc, EXIT_ERROR);
	T_CHECK(strncmp(err, "wsidctl: import-checksums: ", 27) == 0 && strstr(err, "bad.json"), "%s", err);
	T_OK(access(fx_path(&fx, "local/akismet/6.0.sha256"), F_OK) != 0);
	free(out);
	free(err);
	rc = INDEX(&env, &out, &err, "import-checksums", "--product", "akismet", "--version", "6.0", "--out",
		   outdir, fx.dir);
	T_EQ_INT(rc, EXIT_ERROR);
	snprintf(want, sizeof(want), "wsidctl: import-checksums: %s: not a regular file of at most 64 MiB\n",
		 fx.dir);
	T_EQ_STR(err, want);
	free(out);
	free(err);
}

int
main(void)
{
	char ytext[512], err[256];
	sqlite3 *db;

	if (fx_open(&fx, "ctlbundle") < 0 || fx_index_demo(&fx) < 0)
		return 1;
	snprintf(key, sizeof(key), "%s/k1", fx.dir);
	snprintf(key2, sizeof(key2), "%s/k2", fx.dir);
	snprintf(bundle, sizeof(bundle), "%s/b1.tar", fx.dir);
	snprintf(node_db, sizeof(node_db), "%s/node.db", fx.dir);
	snprintf(sock, sizeof(sock), "%s/control", fx.dir);
	/* the build host's rule file and a known-bad hash */
	fx_put_at(fx.dir, "rules/marker.yar",
		  "rule marker { meta: severity = \"high\" class = \"admin-marker\" strings: $m = "
		  "\"XYZZY-MARK\" condition: $m }\n");
	snprintf(ytext, sizeof(ytext), "database: %s\nanalysis:\n  rules: [%s/rules/*.yar]\n", fx.db, fx.dir);
	if (config_load_string(ytext, strlen(ytext), "host.yaml", &cfg, err, sizeof(err)) < 0) {
		printf("%s\n", err);
		return 1;
	}
	db = store_db(fx.s);
	if (sqlite3_exec(db, "INSERT INTO known_bad(sha256, note, added_by, added_at, source) VALUES "
			     "(zeroblob(32), 'a web shell', 'admin', 1700000000, 'mark')",
			 NULL, NULL, NULL) != SQLITE_OK) {
		printf("known_bad: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	T_RUN(test_keygen);
	T_RUN(test_export);
	T_RUN(test_import);
	T_RUN(test_known_bad);
	T_RUN(test_import_checksums);
	config_free(cfg);
	fx_close(&fx);
	T_DONE();
}
