// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index keygen|export|import|import-checksums, and the signed
 * known-bad bundles of wsidctl mark; see bundle.h for the format. */
#include "ctlverbs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "analyse.h"
#include "bundle.h"
#include "config.h"
#include "ctlclient.h"
#include "fpindex.h"
#include "fpset.h"
#include "hash.h"
#include "ingest.h"
#include "json.h"
#include "store.h"
#include "util.h"
#include "wpsums.h"

#define CHECKSUMS_MAX_BYTES (64u << 20)

void
ctl_tell_index_changed(const char *socket)
{
	char *reply = NULL, v[16];

	if (access(socket, F_OK) != 0)
		return;
	if (ctlclient_call(socket, "index-changed", NULL, 60000, &reply) == 0 &&
	    json_field(reply, "ok", v, sizeof(v)) && strcmp(v, "true") == 0)
		fprintf(stderr, "wsid: index reloaded, webspaces are identified again\n");
	else
		fprintf(stderr, "wsid at %s did not reload the index: %s\n", socket,
			reply ? reply : "not reachable (it loads the index when it starts)");
	free(reply);
}

/* the daemon judges again every file whose content is on a list now */
static void
tell_marks(const char *socket)
{
	char *reply = NULL, v[32];

	if (access(socket, F_OK) != 0)
		return;
	if (ctlclient_call(socket, "marks", "", 300000, &reply) == 0 &&
	    json_field(reply, "reclassified", v, sizeof(v)))
		printf("%s file%s judged again\n", v, strcmp(v, "1") == 0 ? "" : "s");
	else
		fprintf(stderr, "wsid at %s did not apply the marks: %s\n", socket,
			reply ? reply : "not reachable (it applies them when it starts)");
	free(reply);
}

/* one JSON object on a line of stdout */
static void
jout_begin(struct buf *b, struct json *j)
{
	buf_init(b, 0);
	json_init(j, b);
	json_obj_begin(j);
}

static void
jout_end(struct buf *b, struct json *j)
{
	json_obj_end(j);
	printf("%s\n", b->data);
	buf_free(b);
}

/* ---- keygen ---- */

int
ctl_index_keygen(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = { { "out", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	const char *out = NULL;
	char pub[BUNDLE_KEY_B64_LEN + 1], err[1024];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'o')
			goto usage;
		out = optarg;
	}
	if (out == NULL || optind != argc)
		goto usage;
	if (bundle_keygen(out, pub, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl index keygen: %s\n", err);
		return EXIT_ERROR;
	}
	if (env->json) {
		struct buf b;
		struct json j;
		char *pubfile = xasprintf("%s.pub", out);

		jout_begin(&b, &j);
		json_kv_name(&j, "secret_key", out, strlen(out));
		json_kv_name(&j, "public_key_file", pubfile, strlen(pubfile));
		json_kv_str(&j, "public_key", pub);
		jout_end(&b, &j);
		free(pubfile);
	} else {
		printf("%s\n", pub);
		fprintf(stderr, "secret key: %s (mode 0600: keep it on the build host)\n"
				"public key: %s.pub (add it, or the line above, to trusted_keys: on the "
				"nodes)\n", esc_name(out), esc_name(out));
	}
	return 0;
usage:
	fprintf(stderr, "usage: wsidctl index keygen --out KEYFILE\n");
	return EXIT_USAGE;
}

/* ---- export ---- */

static int
gzip_buf(const char *data, size_t len, struct buf *out)
{
	z_stream zs;
	size_t bound;
	uint8_t *tmp;
	int zr;

	buf_init(out, BUNDLE_MAX_MEMBER);
	memset(&zs, 0, sizeof(zs));
	/* gzip wrapper without a name or a time: the same set gives the same bytes */
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)len);
	tmp = xmalloc(bound);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = tmp;
	zs.avail_out = (uInt)bound;
	zr = deflate(&zs, Z_FINISH);
	if (zr == Z_STREAM_END && buf_append(out, tmp, zs.total_out) < 0)
		zr = Z_BUF_ERROR;
	deflateEnd(&zs);
	free(tmp);
	return zr == Z_STREAM_END ? 0 : -EIO;
}

struct xp {
	struct bundle_writer *w;
	const char *product;
	uint64_t sets, lines;
};

static int
export_set(void *ud, const struct fp_version *v, const char *text, size_t len, uint32_t nlines)
{
	struct xp *x = ud;
	struct buf gz;
	char name[BUNDLE_NAME_MAX + 1];
	int r;

	if ((r = gzip_buf(text, len, &gz)) < 0) {
		buf_free(&gz);
		return r;
	}
	snprintf(name, sizeof(name), "sets/%s/%s.sha256.gz", x->product, v->version);
	bundle_writer_add(x->w, name, &gz, nlines);
	x->sets++;
	x->lines += nlines;
	return 0;
}

/* the known-bad list as known-bad.tsv; returns the number of entries */
static int64_t
export_known_bad(struct store *s, struct bundle_writer *w)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT sha256, added_at, added_by, note, example FROM "
					   "known_bad ORDER BY sha256");
	struct buf b;
	int64_t n = 0;

	if (q == NULL)
		return -EIO;
	buf_init(&b, BUNDLE_MAX_MEMBER);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_bytes(q, 0) != SHA256_LEN)
			continue;
		bundle_bad_format(&b, sqlite3_column_blob(q, 0), sqlite3_column_int64(q, 1),
				  (const char *)sqlite3_column_text(q, 2),
				  (const char *)sqlite3_column_text(q, 3),
				  (const char *)sqlite3_column_text(q, 4));
		n++;
	}
	sqlite3_finalize(q);
	bundle_writer_add(w, "known-bad.tsv", &b, (uint64_t)n);
	return n;
}

static bool
in_list(const char *const *l, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* ---- rules ---- */

/* the configured rule globs (analysis.rules, else the packaged rules) */
static void
rule_globs(const struct ctl_env *env, const char *const **globs, size_t *n)
{
	static const char *const dflt[] = { WSID_DATADIR "/rules/*.yar" };

	if (env->cfg && env->cfg->nanalysis_rules) {
		*globs = (const char *const *)env->cfg->analysis_rules;
		*n = env->cfg->nanalysis_rules;
	} else {
		*globs = dflt;
		*n = 1;
	}
}

/* the node's rule set as rules/<file> members: what its analysis compiles
 * (the configured files and those an imported bundle brought), checked to
 * compile; -1 after a message */
static int
export_rules(const struct ctl_env *env, struct bundle_writer *w, size_t *nrules)
{
	const char *const *globs;
	char **paths = NULL, err[1024], **names = NULL;
	size_t ng, np = 0, i, k, nn = 0;
	struct analyse *an = NULL;
	int rc = -1, r;

	*nrules = 0;
	rule_globs(env, &globs, &ng);
	if (bundle_rules_effective(env->db, globs, ng, &paths, &np, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: export: %s\n", err);
		return -1;
	}
	for (i = 0; i < np; i++) {
		const char *base = strrchr(paths[i], '/');
		char *data = NULL;
		size_t len = 0;
		struct buf b;

		base = base ? base + 1 : paths[i];
		if (strpbrk(paths[i], "*?[") && access(paths[i], F_OK) != 0)
			continue; /* a glob that matches nothing */
		if (!bundle_rule_name_ok(base)) {
			fprintf(stderr, "wsidctl: export: rule file %s: a bundle names rule files "
					"[A-Za-z0-9._-]+.yar or .yara\n", esc_name(paths[i]));
			goto out;
		}
		for (k = 0; k < nn; k++)
			if (strcmp(names[k], base) == 0) {
				fprintf(stderr, "wsidctl: export: two rule files named %s (a bundle "
						"carries them by name): rename one\n", esc_name(base));
				goto out;
			}
		if ((r = read_file_maybe_gz(paths[i], BUNDLE_MAX_MEMBER, &data, &len, NULL)) < 0) {
			fprintf(stderr, "wsidctl: export: rule file %s: %s\n", esc_name(paths[i]),
				strerror(-r));
			goto out;
		}
		names = xreallocarray(names, nn + 1, sizeof(*names));
		names[nn++] = xasprintf("%s", base);
		buf_init(&b, 0);
		buf_append(&b, data, len);
		free(data);
		{
			char *member = xasprintf("rules/%s", base);

			bundle_writer_add(w, member, &b, 0);
			free(member);
		}
	}
	if (nn && analyse_new((const char *const *)paths, np, &an, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: export: the rules do not compile: %s\n", err);
		goto out;
	}
	*nrules = nn;
	rc = 0;
out:
	analyse_free(an);
	bundle_rules_free(names, nn);
	bundle_rules_free(paths, np);
	return rc;
}

/* compat: product.yaml with the base keys alone, for fleets with nodes older
 * than the optional keys (doc/fleet.md) */
static int
export_bundle(const struct ctl_env *env, const char *kind, const char *const *products,
	      size_t nproducts, const char *keyfile, const char *out, bool compat)
{
	uint8_t sk[BUNDLE_SECRET_LEN];
	char err[1024], key[BUNDLE_KEY_B64_LEN + 1];
	struct store *s = NULL;
	struct fpindex *idx = NULL;
	struct bundle_writer *w = NULL;
	struct xp x = { 0 };
	uint64_t serial;
	int64_t nbad;
	size_t i, nprod = 0, nrules = 0;
	int rc = EXIT_ERROR, r;

	if (bundle_secret_load(keyfile, sk, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: export: %s\n", err);
		return EXIT_ERROR;
	}
	if (store_open(env->db, STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		goto out;
	}
	if (strcmp(kind, "index") == 0 && fpindex_load(s, &idx) < 0) {
		fprintf(stderr, "wsidctl: export: %s: cannot read the index\n", env->db);
		goto out;
	}
	for (i = 0; idx && i < nproducts; i++)
		if (fpindex_product_by_name(idx, products[i]) == NULL) {
			fprintf(stderr, "wsidctl: export: product '%s' is not in the index of %s\n",
				esc_name(products[i]), env->db);
			rc = EXIT_USAGE;
			goto out;
		}
	if (bundle_next_serial(keyfile, &serial, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: export: %s\n", err);
		goto out;
	}
	w = bundle_writer_new(kind, serial);
	x.w = w;
	for (i = 0; idx && i < idx->nproducts; i++) {
		const struct fp_product *p = &idx->products[i];
		struct buf b;
		char name[BUNDLE_NAME_MAX + 1];

		if (nproducts && !in_list(products, nproducts, p->name))
			continue;
		if (p->nversions == 0)
			continue;
		const char *left = NULL;

		buf_init(&b, 0);
		fpindex_product_yaml(p, compat, &b, &left);
		if (left)
			fprintf(stderr, "wsidctl: export: --compat: %s's %s left out (nodes importing the "
					"bundle keep their own; doc/fleet.md)\n", p->name, left);
		snprintf(name, sizeof(name), "sets/%s/product.yaml", p->name);
		bundle_writer_add(w, name, &b, 0);
		buf_init(&b, 0);
		fpindex_versions_tsv(p, &b);
		snprintf(name, sizeof(name), "sets/%s/versions.tsv", p->name);
		bundle_writer_add(w, name, &b, 0);
		x.product = p->name;
		if ((r = fpindex_export_product(s, p, export_set, &x)) < 0) {
			fprintf(stderr, "wsidctl: export: %s: %s\n", p->name, strerror(-r));
			goto out;
		}
		nprod++;
	}
	if (strcmp(kind, "index") == 0 && nprod == 0) {
		fprintf(stderr, "wsidctl: export: the index of %s holds no fingerprint sets\n", env->db);
		goto out;
	}
	if (strcmp(kind, "index") == 0 && export_rules(env, w, &nrules) < 0)
		goto out;
	if ((nbad = export_known_bad(s, w)) < 0) {
		fprintf(stderr, "wsidctl: export: %s: cannot read the known-bad list\n", env->db);
		goto out;
	}
	if (bundle_writer_finish(w, sk, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: export: %s\n", err);
		goto out;
	}
	bundle_key_b64(sk + 32, key);
	if (env->json) {
		struct buf b;
		struct json j;

		jout_begin(&b, &j);
		json_kv_name(&j, "bundle", out, strlen(out));
		json_kv_str(&j, "kind", kind);
		json_kv_int(&j, "serial", (int64_t)serial);
		json_kv_str(&j, "key", key);
		json_kv_int(&j, "products", (int64_t)nprod);
		json_kv_int(&j, "sets", (int64_t)x.sets);
		json_kv_int(&j, "files", (int64_t)x.lines);
		json_kv_int(&j, "known_bad", nbad);
		json_kv_int(&j, "rule_files", (int64_t)nrules);
		jout_end(&b, &j);
	} else
		printf("%s bundle %s: serial %llu, key %s, %zu product%s, %llu set%s (%llu files), "
		       "%lld known-bad hash%s, %zu rule file%s\n", kind, esc_name(out),
		       (unsigned long long)serial, key, nprod, nprod == 1 ? "" : "s",
		       (unsigned long long)x.sets, x.sets == 1 ? "" : "s", (unsigned long long)x.lines,
		       (long long)nbad, nbad == 1 ? "" : "es", nrules, nrules == 1 ? "" : "s");
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	bundle_writer_free(w);
	fpindex_free(idx);
	store_close(s);
	return rc;
}

int
ctl_index_export(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = { { "sign", required_argument, NULL, 's' },
					      { "product", required_argument, NULL, 'p' },
					      { "compat", no_argument, NULL, 'c' },
					      { NULL, 0, NULL, 0 } };
	const char *key = NULL, **products = NULL;
	size_t np = 0;
	bool compat = false;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's') {
			key = optarg;
		} else if (c == 'c') {
			compat = true;
		} else if (c == 'p') {
			/* --product P, repeated, or P,Q */
			char *list = optarg, *tok, *save = NULL;

			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				products = xreallocarray(products, np + 1, sizeof(*products));
				products[np++] = tok;
			}
		} else {
			goto usage;
		}
	}
	/* further product names may follow --product P as operands before OUT */
	while (np && optind < argc - 1) {
		products = xreallocarray(products, np + 1, sizeof(*products));
		products[np++] = argv[optind++];
	}
	if (key == NULL || optind != argc - 1)
		goto usage;
	rc = export_bundle(env, "index", products, np, key, argv[optind], compat);
	free(products);
	return rc;
usage:
	free(products);
	fprintf(stderr, "usage: wsidctl index export --sign KEYFILE [--product P...] [--compat] OUT\n");
	return EXIT_USAGE;
}

int
ctl_known_bad_export(const struct ctl_env *env, const char *keyfile, const char *out)
{
	return export_bundle(env, "known-bad", NULL, 0, keyfile, out, false);
}

/* ---- import ---- */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool
ctl_is_bundle(const char *path)
{
	char head[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head));
	close(fd);
	/* a tar header: "ustar" at offset 257 */
	return n == (ssize_t)sizeof(head) && memcmp(head + 257, "ustar", 5) == 0;
}

struct bad_ctx {
	struct store *s;
	sqlite3_stmt *ins, *untrust;
	const char *source;
	uint64_t n, untrusted;
	int r;
};

static int
bad_count(void *ud, const struct bundle_bad *b)
{
	(void)b;
	((struct bad_ctx *)ud)->n++;
	return 0;
}

static int
bad_insert(void *ud, const struct bundle_bad *b)
{
	struct bad_ctx *c = ud;

	sqlite3_reset(c->ins);
	sqlite3_bind_blob(c->ins, 1, b->sha256, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 2, b->note[0] ? b->note : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 3, b->added_by[0] ? b->added_by : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->ins, 4, b->added_at);
	sqlite3_bind_text(c->ins, 5, c->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 6, b->example[0] ? b->example : NULL, -1, SQLITE_STATIC);
	if (sqlite3_step(c->ins) != SQLITE_DONE)
		return -EIO;
	/* like 'wsidctl mark malicious': a node-wide trusted mark would hide it */
	sqlite3_reset(c->untrust);
	sqlite3_bind_blob(c->untrust, 1, b->sha256, SHA256_LEN, SQLITE_STATIC);
	if (sqlite3_step(c->untrust) != SQLITE_DONE)
		return -EIO;
	c->untrusted += (uint64_t)sqlite3_changes(store_db(c->s));
	c->n++;
	return 0;
}

struct import_opts {
	const char *path;
	bool allow_downgrade;
	const char *want_kind; /* NULL: any */
	const char *const *extra_keys;
	size_t nextra;
};

static int
load_trusted(const struct ctl_env *env, const struct import_opts *o,
	     uint8_t **keys, size_t *nkeys)
{
	size_t n = (env->cfg ? env->cfg->ntrusted_keys : 0) + o->nextra, i, k = 0;
	char err[1024];

	*keys = xcalloc(n ? n : 1, BUNDLE_KEY_LEN);
	for (i = 0; env->cfg && i < env->cfg->ntrusted_keys; i++)
		if (bundle_public_parse(env->cfg->trusted_keys[i], *keys + BUNDLE_KEY_LEN * k++, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: %s: trusted_keys: %s\n", env->cfg->source, err);
			return -EINVAL;
		}
	for (i = 0; i < o->nextra; i++)
		if (bundle_public_parse(o->extra_keys[i], *keys + BUNDLE_KEY_LEN * k++, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: --trusted-key: %s\n", err);
			return -EINVAL;
		}
	*nkeys = k;
	return 0;
}

/* the manifest's set members hold what the index now says for them */
static int
check_counts(struct store *s, const struct bundle_manifest *m, char *err, size_t errsz)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT v.nfiles FROM versions v JOIN products p ON "
					   "p.id=v.product_id WHERE p.name=? AND v.version=?");
	size_t i;
	int r = 0;

	if (q == NULL)
		return -EIO;
	for (i = 0; i < m->nfiles && r == 0; i++) {
		const char *name = m->files[i].name;
		char product[BUNDLE_NAME_MAX + 1], version[BUNDLE_NAME_MAX + 1];

		if (!bundle_member_set(name, product, version))
			continue;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, product, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, version, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_ROW ||
		    (uint64_t)sqlite3_column_int64(q, 0) != m->files[i].count) {
			snprintf(err, errsz, "%s: %lld files, the manifest says %llu", name,
				 sqlite3_column_type(q, 0) == SQLITE_NULL ? -1LL
				 : (long long)sqlite3_column_int64(q, 0),
				 (unsigned long long)m->files[i].count);
			r = -EINVAL;
		}
	}
	sqlite3_finalize(q);
	return r;
}

/* the staged rules/ compiled as the node would compile them (its other
 * configured files included): a rule file that does not compile refuses the
 * import, its message naming the member */
static int
check_staged_rules(const struct ctl_env *env, const char *stage, const char *stage_rules,
		   char *rules_version, char *err, size_t errsz)
{
	const char *const *globs;
	char **paths = NULL, msg[1024], *at;
	size_t ng, np = 0, sl = strlen(stage);
	struct analyse *an = NULL;
	int r;

	rule_globs(env, &globs, &ng);
	r = bundle_rules_effective_in(stage_rules, globs, ng, &paths, &np, err, errsz);
	if (r == 0 && (r = analyse_new((const char *const *)paths, np, &an, msg, sizeof(msg))) < 0) {
		/* "<stage>/rules/x.yar:3: ..." names the member as rules/x.yar */
		while ((at = strstr(msg, stage)) != NULL && at[sl] == '/')
			memmove(at, at + sl + 1, strlen(at + sl + 1) + 1);
		snprintf(err, errsz, "%s", msg);
	}
	if (r == 0)
		snprintf(rules_version, 65, "%s", analyse_rules_version(an));
	analyse_free(an);
	bundle_rules_free(paths, np);
	return r;
}

/* the daemon compiles the rules again (reload) and judges the cached
 * contents again in the background */
static void
tell_reload(const char *socket)
{
	char *reply = NULL, v[16];

	if (access(socket, F_OK) != 0)
		return;
	if (ctlclient_call(socket, "reload", NULL, 60000, &reply) == 0 &&
	    json_field(reply, "ok", v, sizeof(v)) && strcmp(v, "true") == 0)
		fprintf(stderr, "wsid: rules reloaded, analysed contents are judged again in the "
				"background\n");
	else
		fprintf(stderr, "wsid at %s did not reload the rules: %s\n", socket,
			reply ? reply : "not reachable (it loads them when it starts)");
	free(reply);
}

static int
import_bundle(const struct ctl_env *env, const struct import_opts *o)
{
	uint8_t *keys = NULL, file_sha[SHA256_LEN];
	size_t nkeys = 0, len = 0;
	struct bundle_manifest m;
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	struct store *s = NULL;
	struct bad_ctx bc = { 0 };
	char err[1024] = "", key[BUNDLE_KEY_B64_LEN + 1], by[128], *dbdir = NULL, *stage = NULL;
	char *setsdir = NULL, *badpath = NULL, *bad = NULL, *source = NULL, *label = NULL;
	int64_t last = -1, last_at = 0;
	uint64_t bad_removed = 0;
	bool in_tx = false, has_sets = false, has_rules = false, exchanged = false;
	char *stage_rules = NULL, rules_version[65] = "";
	size_t nrules = 0;
	sqlite3_stmt *q;
	int fd, r, rc = EXIT_ERROR;
	size_t i;

	memset(&m, 0, sizeof(m));
	memset(&st, 0, sizeof(st));
	if (load_trusted(env, o, &keys, &nkeys) < 0)
		goto out;
	fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", esc_name(o->path), strerror(errno));
		goto out;
	}
	{
		struct stat sb;

		if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			fprintf(stderr, "wsidctl: import: %s: not a regular file\n", esc_name(o->path));
			close(fd);
			goto out;
		}
	}
	if (nkeys == 0) {
		fprintf(stderr, "wsidctl: import: no trusted keys: list the fleet's public key under "
				"trusted_keys: in the configuration (or give --trusted-key)\n");
		close(fd);
		goto out;
	}
	/* members go to a private directory beside the database first */
	{
		char *tmp = xstrdup(env->db);

		dbdir = xstrdup(dirname(tmp));
		free(tmp);
	}
	stage = xasprintf("%s/.wsid-import.XXXXXX", dbdir);
	if (mkdtemp(stage) == NULL) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", esc_name(stage), strerror(errno));
		free(stage);
		stage = NULL;
		close(fd);
		goto out;
	}
	r = bundle_read_fd(fd, keys, nkeys, stage, &m, err,
			   sizeof(err));
	if (r == 0) {
		struct hash_result hr;

		hash_fd(fd, 0, NULL, &hr);
		memcpy(file_sha, hr.sha256, SHA256_LEN);
	}
	close(fd);
	if (r < 0) {
		fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
		goto out;
	}
	bundle_key_b64(m.key, key);
	if (o->want_kind && strcmp(o->want_kind, m.kind) != 0) {
		fprintf(stderr, "wsidctl: import: %s: a %s bundle, not a %s bundle\n", esc_name(o->path),
			m.kind, o->want_kind);
		goto out;
	}
	for (i = 0; i < m.nfiles; i++) {
		if (strncmp(m.files[i].name, "sets/", 5) == 0)
			has_sets = true;
		if (strncmp(m.files[i].name, "rules/", 6) == 0)
			nrules++;
	}
	has_rules = nrules > 0;
	if (has_rules && strcmp(m.kind, "index") != 0) {
		fprintf(stderr, "wsidctl: import: %s: refused: a %s bundle holding rule files\n",
			esc_name(o->path), m.kind);
		goto out;
	}
	/* the rules compiled before the database is touched */
	stage_rules = xasprintf("%s/rules", stage);
	if (has_rules && check_staged_rules(env, stage, stage_rules, rules_version, err,
					    sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
		goto out;
	}
	if (strcmp(m.kind, "known-bad") == 0 && has_sets) {
		fprintf(stderr, "wsidctl: import: %s: refused: a known-bad bundle holding fingerprint "
				"sets\n", esc_name(o->path));
		goto out;
	}
	/* known-bad.tsv checked whole before the database is touched */
	badpath = xasprintf("%s/known-bad.tsv", stage);
	if (bundle_manifest_find(&m, "known-bad.tsv")) {
		const struct bundle_file *bf = bundle_manifest_find(&m, "known-bad.tsv");

		if (read_file_maybe_gz(badpath, BUNDLE_MAX_MEMBER, &bad, &len, NULL) < 0 ||
		    bundle_bad_parse(bad, len, bad_count, &bc, err, sizeof(err)) < 0 || bc.n != bf->count) {
			if (bad && err[0] == '\0')
				snprintf(err, sizeof(err), "known-bad.tsv: %llu entries, the manifest says "
					 "%llu", (unsigned long long)bc.n, (unsigned long long)bf->count);
			fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path),
				err[0] ? err : "known-bad.tsv unreadable");
			goto out;
		}
	}

	if (store_open(env->db, STORE_CREATE, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		goto out;
	}
	if (store_begin(s) < 0) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", env->db, sqlite3_errmsg(store_db(s)));
		goto out;
	}
	in_tx = true;
	/* the downgrade guard: newer than the last bundle of this key and kind */
	q = store_prepare(s, "SELECT serial, imported_at FROM bundle_imports WHERE key=? AND kind=? "
			     "ORDER BY id DESC LIMIT 1");
	if (q == NULL)
		goto out;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m.kind, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		last = sqlite3_column_int64(q, 0);
		last_at = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (last >= 0 && m.serial <= (uint64_t)last && !o->allow_downgrade) {
		char when[32];
		time_t t = (time_t)last_at;
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
		fprintf(stderr, "wsidctl: import: %s: refused: serial %llu is not newer than %lld, the "
				"last %s bundle imported from key %s (on %s): an older or replayed "
				"bundle (--allow-downgrade imports it anyway, and records it)\n",
			esc_name(o->path), (unsigned long long)m.serial, (long long)last, m.kind, key,
			when);
		goto out;
	}
	label = xasprintf("bundle #%llu %s: ", (unsigned long long)m.serial, key);
	if (has_sets) {
		const char *dirs[1];

		setsdir = xasprintf("%s/sets", stage);
		dirs[0] = setsdir;
		bo.dirs = dirs;
		bo.ndirs = 1;
		bo.in_txn = true;
		bo.prune = true;
		bo.source_kind = "bundle";
		bo.source_label = label;
		if (fpindex_build(s, &bo, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
			goto out;
		}
		if (check_counts(s, &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
			goto out;
		}
	}
	if (bad) {
		/* the key's list replaces what its earlier bundles brought */
		source = xasprintf("bundle:%s:%llu", key, (unsigned long long)m.serial);
		bc.s = s;
		bc.n = 0;
		bc.source = source;
		bc.ins = store_prepare(s, "INSERT INTO known_bad(sha256, note, added_by, added_at, source, "
					  "example) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO "
					  "UPDATE SET note=?2, added_by=?3, added_at=?4, source=?5, "
					  "example=coalesce(?6, example) WHERE known_bad.source LIKE 'bundle:%'");
		bc.untrust = store_prepare(s, "DELETE FROM trusted WHERE sha256=? AND customer=''");
		if (bc.ins == NULL || bc.untrust == NULL ||
		    bundle_bad_parse(bad, len, bad_insert, &bc, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: import: %s: %s\n", env->db, sqlite3_errmsg(store_db(s)));
			sqlite3_finalize(bc.ins);
			sqlite3_finalize(bc.untrust);
			goto out;
		}
		sqlite3_finalize(bc.ins);
		sqlite3_finalize(bc.untrust);
		q = store_prepare(s, "DELETE FROM known_bad WHERE substr(source, 1, ?1)=?2 AND source<>?3");
		if (q) {
			char *prefix = xasprintf("bundle:%s:", key);

			sqlite3_bind_int(q, 1, (int)strlen(prefix));
			sqlite3_bind_text(q, 2, prefix, -1, free);
			sqlite3_bind_text(q, 3, source, -1, SQLITE_STATIC);
			sqlite3_step(q);
			bad_removed = (uint64_t)sqlite3_changes(store_db(s));
			sqlite3_finalize(q);
		}
	}
	ctl_who(by, sizeof(by));
	q = store_prepare(s, "INSERT INTO bundle_imports(key, kind, serial, created_at, imported_at, "
			     "sha256, downgrade, imported_by, sets, known_bad) VALUES(?, ?, ?, ?, ?, ?, ?, "
			     "?, ?, ?)");
	if (q == NULL)
		goto out;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m.kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)m.serial);
	sqlite3_bind_int64(q, 4, m.created);
	sqlite3_bind_int64(q, 5, now_unix());
	sqlite3_bind_blob(q, 6, file_sha, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int(q, 7, last >= 0 && m.serial <= (uint64_t)last);
	sqlite3_bind_text(q, 8, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, st.sets_seen);
	sqlite3_bind_int64(q, 10, (int64_t)bc.n);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		goto out;
	if (strcmp(m.kind, "index") == 0) {
		char v[32];

		snprintf(v, sizeof(v), "%llu", (unsigned long long)m.serial);
		store_meta_set(s, "index_serial", v);
		store_meta_set(s, "index_key", key);
		snprintf(v, sizeof(v), "%lld", (long long)m.created);
		store_meta_set(s, "index_created_at", v);
		snprintf(v, sizeof(v), "%lld", (long long)now_unix());
		store_meta_set(s, "index_imported_at", v);
	}
	/* the rules and the database change together: the rules directory is
	 * swapped in one rename, and back when the commit fails */
	if (has_rules && bundle_rules_activate(env->db, stage_rules, &exchanged, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import: %s\n", err);
		goto out;
	}
	if (store_commit(s) < 0) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", env->db, sqlite3_errmsg(store_db(s)));
		if (has_rules)
			bundle_rules_undo(env->db, stage_rules, exchanged);
		goto out;
	}
	in_tx = false;
	if (last >= 0 && m.serial <= (uint64_t)last)
		fprintf(stderr, "wsidctl: import: serial %llu after %lld: downgrade allowed and "
				"recorded\n", (unsigned long long)m.serial, (long long)last);
	if (env->json) {
		struct buf b;
		struct json j;

		jout_begin(&b, &j);
		json_kv_name(&j, "bundle", o->path, strlen(o->path));
		json_kv_str(&j, "kind", m.kind);
		json_kv_str(&j, "key", key);
		json_kv_int(&j, "serial", (int64_t)m.serial);
		json_kv_int(&j, "created", m.created);
		json_kv_int(&j, "sets", st.sets_seen);
		json_kv_int(&j, "sets_indexed", st.sets_indexed);
		json_kv_int(&j, "sets_unchanged", st.sets_unchanged);
		json_kv_int(&j, "sets_removed", st.sets_removed);
		json_kv_int(&j, "known_bad", (int64_t)bc.n);
		json_kv_int(&j, "known_bad_removed", (int64_t)bad_removed);
		json_kv_bool(&j, "downgrade", last >= 0 && m.serial <= (uint64_t)last);
		json_kv_int(&j, "rule_files", (int64_t)nrules);
		json_kv_str(&j, "rules_version", has_rules ? rules_version : NULL);
		jout_end(&b, &j);
	} else {
		printf("imported %s bundle %s: serial %llu from key %s; %u set%s (%u indexed, %u "
		       "unchanged, %u removed), %llu known-bad hash%s (%llu removed)\n", m.kind,
		       esc_name(o->path), (unsigned long long)m.serial, key, st.sets_seen,
		       st.sets_seen == 1 ? "" : "s", st.sets_indexed, st.sets_unchanged,
		       st.sets_removed, (unsigned long long)bc.n, bc.n == 1 ? "" : "es",
		       (unsigned long long)bad_removed);
		if (has_rules)
			printf("rules: %zu rule file%s active (rules version %.12s)\n", nrules,
			       nrules == 1 ? "" : "s", rules_version);
	}
	rc = 0;
out:
	if (in_tx)
		store_rollback(s);
	store_close(s);
	if (stage)
		rm_tree(stage);
	if (rc == 0) {
		if (st.sets_indexed || st.sets_removed)
			ctl_tell_index_changed(env->socket);
		if (bc.n || bad_removed)
			tell_marks(env->socket);
		if (has_rules)
			tell_reload(env->socket);
	}
	free(stage_rules);
	bundle_manifest_free(&m);
	free(keys);
	free(dbdir);
	free(stage);
	free(setsdir);
	free(badpath);
	free(bad);
	free(source);
	free(label);
	return rc;
}

int
ctl_index_import(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = { { "allow-downgrade", no_argument, NULL, 'd' },
					      { "trusted-key", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	struct import_opts o = { 0 };
	const char **extra = NULL;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			o.allow_downgrade = true;
		} else if (c == 'k') {
			extra = xreallocarray(extra, o.nextra + 1, sizeof(*extra));
			extra[o.nextra++] = optarg;
		} else {
			free(extra);
			goto usage;
		}
	}
	if (optind != argc - 1) {
		free(extra);
		goto usage;
	}
	o.path = argv[optind];
	o.extra_keys = extra;
	rc = import_bundle(env, &o);
	free(extra);
	return rc;
usage:
	fprintf(stderr, "usage: wsidctl index import [--allow-downgrade] [--trusted-key KEY]... BUNDLE\n");
	return EXIT_USAGE;
}

int
ctl_known_bad_import(const struct ctl_env *env, const char *path)
{
	struct import_opts o = { .path = path, .want_kind = "known-bad" };

	return import_bundle(env, &o);
}

/* ---- WordPress.org checksums ---- */

int
ctl_index_import_checksums(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "product", required_argument, NULL, 'p' }, { "version", required_argument, NULL, 'v' },
		{ "kind", required_argument, NULL, 'k' },    { "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *product = NULL, *version = NULL, *kind = "plugin", *out = DEFAULT_LOCAL_FP, *file;
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	struct store *s = NULL;
	struct buf set;
	char err[1024], *data = NULL, *set_path = NULL;
	size_t len = 0, nfiles = 0;
	int c, r, rc = EXIT_ERROR;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': product = optarg; break;
		case 'v': version = optarg; break;
		case 'k': kind = optarg; break;
		case 'o': out = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || product == NULL || version == NULL)
		goto usage;
	file = argv[optind];
	if (fpset_check_product(product) < 0 || fpset_check_version(version) < 0) {
		fprintf(stderr, "wsidctl: import-checksums: invalid %s '%s'\n",
			fpset_check_product(product) < 0 ? "product name" : "version",
			esc_name(fpset_check_product(product) < 0 ? product : version));
		return EXIT_USAGE;
	}
	if (strcmp(kind, "core") != 0 && strcmp(kind, "plugin") != 0 && strcmp(kind, "theme") != 0 &&
	    strcmp(kind, "library") != 0) {
		fprintf(stderr, "wsidctl: import-checksums: invalid kind '%s' (core, plugin, theme, "
				"library)\n", esc_name(kind));
		return EXIT_USAGE;
	}
	if ((r = read_file_maybe_gz(file, CHECKSUMS_MAX_BYTES, &data, &len, NULL)) < 0) {
		fprintf(stderr, "wsidctl: import-checksums: %s: %s\n", esc_name(file),
			r == -EINVAL || r == -E2BIG ? "not a regular file of at most 64 MiB"
						    : strerror(-r));
		return EXIT_ERROR;
	}
	buf_init(&set, SIZE_MAX / 2);
	if (wpsums_to_set(data, len, esc_name(file), product, version, &set, &nfiles, err,
			  sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import-checksums: %s\n", err);
		goto out;
	}
	if (ingest_write_set(out, product, version, kind, set.data, set.len, &set_path, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import-checksums: %s\n", err);
		goto out;
	}
	if (store_open(env->db, STORE_CREATE, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		goto out;
	}
	bo.dirs = &out;
	bo.ndirs = 1;
	bo.product = product;
	if (fpindex_build(s, &bo, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import-checksums: indexing %s failed: %s\n", set_path, err);
		goto out;
	}
	if (env->json) {
		struct buf b;
		struct json j;

		jout_begin(&b, &j);
		json_kv_str(&j, "product", product);
		json_kv_str(&j, "version", version);
		json_kv_str(&j, "kind", kind);
		json_kv_int(&j, "files", (int64_t)nfiles);
		json_kv_name(&j, "set", set_path, strlen(set_path));
		jout_end(&b, &j);
	} else
		printf("imported checksums of %s %s (%s): %zu files -> %s\n", product, version, kind,
		       nfiles, esc_name(set_path));
	rc = 0;
	if (st.sets_indexed || st.sets_removed)
		ctl_tell_index_changed(env->socket);
out:
	store_close(s);
	buf_free(&set);
	free(data);
	free(set_path);
	return rc;
usage:
	fprintf(stderr, "usage: wsidctl index import-checksums --product SLUG --version V "
			"[--kind plugin|theme|core|library] [--out DIR] FILE\n"
			"  FILE: a WordPress.org checksum file "
			"(downloads.wordpress.org/plugin-checksums/SLUG/V.json)\n");
	return EXIT_USAGE;
}
