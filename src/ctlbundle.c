// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index keygen|export|import|import-checksums, and the signed
 * known-bad bundles of wsidctl mark; see bundle.h for the format, and
 * bundleimport.c for the import into the database. */
#include "ctlverbs.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "bundleimport.h"
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

		ctl_jout_begin(&b, &j);
		json_kv_name(&j, "secret_key", out, strlen(out));
		json_kv_name(&j, "public_key_file", pubfile, strlen(pubfile));
		json_kv_str(&j, "public_key", pub);
		ctl_jout_end(&b, &j);
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
	ctl_rule_globs(env, &globs, &ng);
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

		ctl_jout_begin(&b, &j);
		json_kv_name(&j, "bundle", out, strlen(out));
		json_kv_str(&j, "kind", kind);
		json_kv_int(&j, "serial", (int64_t)serial);
		json_kv_str(&j, "key", key);
		json_kv_int(&j, "products", (int64_t)nprod);
		json_kv_int(&j, "sets", (int64_t)x.sets);
		json_kv_int(&j, "files", (int64_t)x.lines);
		json_kv_int(&j, "known_bad", nbad);
		json_kv_int(&j, "rule_files", (int64_t)nrules);
		ctl_jout_end(&b, &j);
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

int
ctl_index_import(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = { { "allow-downgrade", no_argument, NULL, 'd' },
					      { "trusted-key", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	struct bundle_import_opts o = { 0 };
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
	rc = bundle_import(env, &o);
	free(extra);
	return rc;
usage:
	fprintf(stderr, "usage: wsidctl index import [--allow-downgrade] [--trusted-key KEY]... BUNDLE\n");
	return EXIT_USAGE;
}

int
ctl_known_bad_import(const struct ctl_env *env, const char *path)
{
	struct bundle_import_opts o = { .path = path, .want_kind = "known-bad" };

	return bundle_import(env, &o);
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

		ctl_jout_begin(&b, &j);
		json_kv_str(&j, "product", product);
		json_kv_str(&j, "version", version);
		json_kv_str(&j, "kind", kind);
		json_kv_int(&j, "files", (int64_t)nfiles);
		json_kv_name(&j, "set", set_path, strlen(set_path));
		ctl_jout_end(&b, &j);
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
