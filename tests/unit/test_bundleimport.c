// SPDX-License-Identifier: GPL-2.0-or-later
/* bundle_import over a real database, with bundles the test makes and signs
 * with keys it makes (each import run in a child process as wsidctl runs
 * it, its stdout and stderr kept): an index bundle imported (the set, its
 * record, the index serial); the downgrade guard (the same serial refused,
 * an older one only with allow_downgrade, and recorded so); refusals that
 * leave the database as it was: a tampered member, an untrusted key, an
 * unsigned bundle, no trusted key at all, another kind than asked for, a
 * set whose count is not the manifest's (found inside the transaction,
 * rolled back); rules: a bundle's rule file made active with the import,
 * one that does not compile refused with the rules before kept; a
 * product.yaml's `requires:` naming a key this wsid knows, one it does not
 * (refused), and an unknown optional key (taken, named on stderr); a
 * known-bad bundle replacing what the key's earlier one listed. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <glob.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle.h"
#include "bundleimport.h"
#include "config.h"
#include "ctlverbs.h"
#include "fixture.h"
#include "log.h"
#include "store.h"
#include "t.h"
#include "util.h"

#define SHA_A "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_B "2222222222222222222222222222222222222222222222222222222222222222"

static char dir[] = "/tmp/wsid-test-bundleimport.XXXXXX";
static char db[128], sock[128], bpath[128];
static uint8_t pk[BUNDLE_KEY_LEN], sk[BUNDLE_SECRET_LEN], pk2[BUNDLE_KEY_LEN], sk2[BUNDLE_SECRET_LEN];
static char key_b64[BUNDLE_KEY_B64_LEN + 1];
static struct fx_main m; /* what the last import printed */

/* what the child imports */
static struct {
	const struct config *cfg;
	bool allow_downgrade, no_keys;
	const char *want_kind;
} imp;

static int
import_main(int argc, char **argv)
{
	const char *keys[] = { key_b64 };
	struct ctl_env env = { .cfg = imp.cfg, .db = db, .socket = sock };
	struct bundle_import_opts o = { .path = bpath, .allow_downgrade = imp.allow_downgrade,
					.want_kind = imp.want_kind, .extra_keys = keys,
					.nextra = imp.no_keys ? 0 : 1 };

	(void)argc;
	(void)argv;
	log_init("wsidctl", LOG_LEVEL_WARNING, false);
	return bundle_import(&env, &o);
}

/* imports bpath: the exit code; m holds what it printed */
static int
import(void)
{
	int rc = fx_run_main(import_main, (const char *const[]){ "wsidctl", NULL }, dir, &m);

	memset(&imp, 0, sizeof(imp));
	return rc;
}

/* one integer the query returns from the database, -1 when none */
static int64_t
q1(const char *sql)
{
	struct store *s = NULL;
	sqlite3_stmt *q;
	char e[512];
	int64_t v = -1;

	if (store_open(db, STORE_CREATE, &s, e, sizeof(e)) < 0) {
		printf("# %s\n", e);
		return -1;
	}
	q = store_prepare(s, sql);
	if (q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	store_close(s);
	return v;
}

static void
gzip_into(struct buf *b, const char *text)
{
	z_stream z;
	unsigned char o[4096];

	memset(&z, 0, sizeof(z));
	buf_init(b, 0);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	z.next_in = (unsigned char *)(uintptr_t)text;
	z.avail_in = (unsigned)strlen(text);
	z.next_out = o;
	z.avail_out = sizeof(o);
	deflate(&z, Z_FINISH);
	buf_append(b, o, sizeof(o) - z.avail_out);
	deflateEnd(&z);
}

static void
add(struct bundle_writer *w, const char *name, const char *text, uint64_t count)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, text);
	bundle_writer_add(w, name, &b, count);
}

/* An index bundle of product p: version 1.0 (set as given, count as the
 * manifest says), product.yaml as given, a rule file when rule is not NULL;
 * signed with secret, written to bpath. */
static void
make_index(uint64_t serial, const uint8_t *secret, const char *set, uint64_t count, const char *yaml,
	   const char *rule)
{
	struct bundle_writer *w = bundle_writer_new("index", serial);
	struct buf gz;
	char e[512];

	gzip_into(&gz, set);
	bundle_writer_add(w, "sets/p/1.0.sha256.gz", &gz, count);
	add(w, "sets/p/product.yaml", yaml, 0);
	if (rule)
		add(w, "rules/fleet.yar", rule, 0);
	T_CHECK(bundle_writer_finish(w, secret, bpath, e, sizeof(e)) == 0, "%s", e);
	bundle_writer_free(w);
}

/* the staging directories left beside the database (none, ever) */
static size_t
staged_left(void)
{
	char pat[192];
	glob_t g;
	size_t n;

	snprintf(pat, sizeof(pat), "%s/.wsid-import.*", dir);
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static const char set1[] = SHA_A "  index.php\n";
static const char set2[] = SHA_A "  index.php\n" SHA_B "  lib/core.php\n";

static void
test_import_and_downgrade(void)
{
	char want[256];

	make_index(5, sk, set1, 1, "kind: core\n", NULL);
	T_EQ_INT(import(), 0);
	snprintf(want, sizeof(want), "imported index bundle %s: serial 5 from key %s; 1 set (1 indexed", bpath,
		 key_b64);
	T_CHECK(strncmp(m.out, want, strlen(want)) == 0, "%s|%s", m.out, m.err);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v JOIN products p ON p.id=v.product_id WHERE p.name='p' "
		    "AND v.version='1.0'"), 1);
	T_EQ_INT(q1("SELECT count(*) FROM bundle_imports"), 1);
	T_EQ_INT(q1("SELECT CAST(value AS INTEGER) FROM meta WHERE key='index_serial'"), 5);
	T_EQ_INT(staged_left(), 0);

	/* the same serial again: a replay */
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "refused: serial 5 is not newer than 5") && strstr(m.err, "--allow-downgrade"), "%s",
		m.err);
	T_EQ_INT(q1("SELECT count(*) FROM bundle_imports"), 1);

	/* an older one with two files: refused, then allowed and recorded */
	make_index(4, sk, set2, 2, "kind: core\n", NULL);
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "serial 4 is not newer than 5") != NULL, "%s", m.err);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'"), 1);
	imp.allow_downgrade = true;
	T_EQ_INT(import(), 0);
	T_CHECK(strstr(m.err, "serial 4 after 5: downgrade allowed and recorded") != NULL, "%s", m.err);
	T_EQ_INT(q1("SELECT downgrade FROM bundle_imports ORDER BY id DESC LIMIT 1"), 1);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'"), 2);
	T_EQ_INT(q1("SELECT CAST(value AS INTEGER) FROM meta WHERE key='index_serial'"), 4);
}

/* the database as the refusals must leave it */
static void
unchanged(const char *what)
{
	T_CHECK(staged_left() == 0, "%s", what);
	T_CHECK(q1("SELECT count(*) FROM bundle_imports") == 2, "%s", what);
	T_CHECK(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'") == 2, "%s", what);
}

/* a tar of the manifest and the members of the bundle at bpath, without
 * MANIFEST.sig, over bpath */
static void
strip_signature(void)
{
	struct archive *in = archive_read_new(), *o = archive_write_new();
	struct archive_entry *e;
	char *data = xmalloc(1 << 20), path[160];

	snprintf(path, sizeof(path), "%s.unsigned", bpath);
	archive_read_support_format_tar(in);
	archive_write_set_format_pax_restricted(o);
	if (archive_read_open_filename(in, bpath, 65536) != ARCHIVE_OK ||
	    archive_write_open_filename(o, path) != ARCHIVE_OK) {
		T_OK(0);
		goto out;
	}
	while (archive_read_next_header(in, &e) == ARCHIVE_OK) {
		la_ssize_t n = archive_read_data(in, data, 1 << 20);

		if (strcmp(archive_entry_pathname(e), "MANIFEST.sig") == 0 || n < 0)
			continue;
		archive_write_header(o, e);
		archive_write_data(o, data, (size_t)n);
	}
out:
	archive_read_free(in);
	archive_write_free(o);
	free(data);
	T_EQ_INT(rename(path, bpath), 0);
}

static void
test_refusals(void)
{
	char *b;
	size_t len;

	/* a byte of the set changed after signing */
	make_index(9, sk, set1, 1, "kind: core\n", NULL);
	b = t_slurp(bpath, &len);
	if (b) {
		char *p = memmem(b, len, "kind: core", 10);

		T_OK(p != NULL);
		if (p)
			*p = 'K';
		{
			FILE *f = fopen(bpath, "wb");

			T_OK(f && fwrite(b, 1, len, f) == len);
			if (f)
				fclose(f);
		}
		free(b);
	}
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "refused: ") && strstr(m.err, "product.yaml: its SHA-256 does not match"), "%s",
		m.err);
	unchanged("tampered");

	/* signed by a key the node does not trust */
	make_index(9, sk2, set1, 1, "kind: core\n", NULL);
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "refused: ") && strstr(m.err, "not trusted"), "%s", m.err);
	unchanged("untrusted");

	/* no signature */
	make_index(9, sk, set1, 1, "kind: core\n", NULL);
	strip_signature();
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "refused: ") && strstr(m.err, "MANIFEST.sig"), "%s", m.err);
	printf("# unsigned: %s", m.err);
	unchanged("unsigned");

	/* no trusted key at all */
	make_index(9, sk, set1, 1, "kind: core\n", NULL);
	imp.no_keys = true;
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "no trusted keys") != NULL, "%s", m.err);
	unchanged("no keys");

	/* another kind than asked for */
	imp.want_kind = "known-bad";
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "a index bundle, not a known-bad bundle") != NULL, "%s", m.err);
	unchanged("kind");

	/* the manifest says 3 files, the set holds 1: found after the set was
	 * written in the transaction, which is rolled back */
	make_index(9, sk, set1, 3, "kind: core\n", NULL);
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "sets/p/1.0.sha256.gz: 1 files, the manifest says 3") != NULL, "%s", m.err);
	unchanged("count");
	T_EQ_INT(q1("SELECT CAST(value AS INTEGER) FROM meta WHERE key='index_serial'"), 4);
}

static void
test_rules(void)
{
	char cfgtext[512], local[192], active[192], e[1024], *text;
	struct config *cfg = NULL;
	size_t n;

	/* the node's own rules, as its configuration names them */
	snprintf(local, sizeof(local), "%s/local", dir);
	T_EQ_INT(fx_put_at(local, "node.yar", "rule node_rule { strings: $a = \"node-marker\" condition: $a }\n"),
		 0);
	snprintf(cfgtext, sizeof(cfgtext), "database: %s\nanalysis:\n  rules: [%s/*.yar]\n", db, local);
	T_EQ_INT(config_load_string(cfgtext, strlen(cfgtext), "wsid.yaml", &cfg, e, sizeof(e)), 0);

	make_index(10, sk, set2, 2, "kind: core\n",
		   "rule fleet_one { strings: $a = \"fleet-marker-1\" condition: $a }\n");
	imp.cfg = cfg;
	T_EQ_INT(import(), 0);
	T_CHECK(strstr(m.out, "rules: 1 rule file active") != NULL, "%s|%s", m.out, m.err);
	snprintf(active, sizeof(active), "%s/rules/fleet.yar", dir);
	text = t_slurp(active, &n);
	T_CHECK(text && strstr(text, "fleet-marker-1"), "%s", t_str(text));
	free(text);

	/* a newer bundle whose rule does not compile: refused, the rules and
	 * the database as they were */
	make_index(11, sk, set1, 1, "kind: core\n", "rule broken { condition: $nope }\n");
	imp.cfg = cfg;
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "refused: ") && strstr(m.err, "rules/fleet.yar"), "%s", m.err);
	text = t_slurp(active, &n);
	T_CHECK(text && strstr(text, "fleet-marker-1"), "%s", t_str(text));
	free(text);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'"), 2);
	T_EQ_INT(q1("SELECT CAST(value AS INTEGER) FROM meta WHERE key='index_serial'"), 10);
	config_free(cfg);
}

static void
test_requires(void)
{
	/* a key it knows, named by requires: imported */
	make_index(20, sk, set1, 1, "kind: core\nstaging_dirs: wp-content/upgrade\nrequires: staging_dirs\n",
		   NULL);
	T_EQ_INT(import(), 0);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'"), 1);

	/* an optional key of a newer exporter: taken, named */
	make_index(21, sk, set2, 2, "kind: core\nmirror_dirs: x\n", NULL);
	T_EQ_INT(import(), 0);
	T_CHECK(strstr(m.err, "key 'mirror_dirs' is not known to this wsid: ignored") != NULL, "%s", m.err);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'"), 2);

	/* the same key required: refused whole */
	make_index(22, sk, set1, 1, "kind: core\nmirror_dirs: x\nrequires: staging_dirs, mirror_dirs\n", NULL);
	T_EQ_INT(import(), EXIT_ERROR);
	T_CHECK(strstr(m.err, "requires key 'mirror_dirs', which this wsid does not know") != NULL, "%s", m.err);
	T_EQ_INT(q1("SELECT v.nfiles FROM versions v WHERE v.version='1.0'"), 2);
	T_EQ_INT(q1("SELECT CAST(value AS INTEGER) FROM meta WHERE key='index_serial'"), 21);
}

static void
make_known_bad(uint64_t serial, const char *const *hashes, size_t n)
{
	struct bundle_writer *w = bundle_writer_new("known-bad", serial);
	struct buf b;
	uint8_t h[SHA256_LEN];
	char e[512];
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		hex_decode(hashes[i], SHA256_LEN * 2, h);
		bundle_bad_format(&b, h, 1700000000, "fleet", "a web shell", "up/x.php");
	}
	bundle_writer_add(w, "known-bad.tsv", &b, n);
	T_CHECK(bundle_writer_finish(w, sk, bpath, e, sizeof(e)) == 0, "%s", e);
	bundle_writer_free(w);
}

static void
test_known_bad(void)
{
	static const char *const two[] = { SHA_A, SHA_B }, *const one[] = { SHA_B };

	make_known_bad(1, two, 2);
	imp.want_kind = "known-bad";
	T_EQ_INT(import(), 0);
	T_EQ_INT(q1("SELECT count(*) FROM known_bad WHERE source LIKE 'bundle:%:1'"), 2);
	/* the key's next list replaces it */
	make_known_bad(2, one, 1);
	T_EQ_INT(import(), 0);
	T_CHECK(strstr(m.out, "1 known-bad hash (1 removed)") != NULL, "%s", m.out);
	T_EQ_INT(q1("SELECT count(*) FROM known_bad"), 1);
	T_EQ_INT(q1("SELECT count(*) FROM known_bad WHERE source LIKE 'bundle:%:2' AND note='a web shell'"), 1);
	/* an index bundle's serials are another sequence */
	T_EQ_INT(q1("SELECT CAST(value AS INTEGER) FROM meta WHERE key='index_serial'"), 21);
}

int
main(void)
{
	uint8_t seed[crypto_sign_SEEDBYTES] = { 3 };

	if (mkdtemp(dir) == NULL || sodium_init() < 0)
		return 2;
	crypto_sign_seed_keypair(pk, sk, seed);
	seed[0] = 4;
	crypto_sign_seed_keypair(pk2, sk2, seed);
	bundle_key_b64(pk, key_b64);
	snprintf(db, sizeof(db), "%s/wsid.db", dir);
	snprintf(sock, sizeof(sock), "%s/control", dir); /* no daemon */
	snprintf(bpath, sizeof(bpath), "%s/b.wsidb", dir);
	T_RUN(test_import_and_downgrade);
	T_RUN(test_refusals);
	T_RUN(test_rules);
	T_RUN(test_requires);
	T_RUN(test_known_bad);
	fx_main_free(&m);
	t_rmtree(dir);
	T_DONE();
}
