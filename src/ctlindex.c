// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index: build the fingerprint index from the sets on disk, ingest
 * a release into a set, show the index's figures, and the dispatch of the
 * actions that live elsewhere (keygen, export, import, import-checksums in
 * ctlbundle.c, fetch in ctlfetch.c). */
#include "ctlverbs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "components.h"
#include "config.h"
#include "ctlrespond.h"
#include "fpindex.h"
#include "ingest.h"
#include "json.h"
#include "store.h"
#include "util.h"

#ifndef WSID_DATADIR
#define WSID_DATADIR "/usr/local/share/wsid"
#endif

static int
index_build(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' }, { "force", no_argument, NULL, 'F' },
		{ "prune", no_argument, NULL, 'p' },      { "product", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char **dirs = NULL;
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	struct store *s = NULL;
	char err[1024] = "";
	uint64_t t0 = now_mono_ns();
	int c, r, rc = 0;
	size_t nd = 0;

	optind = 0; /* a new parse: options may follow the operands */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			dirs = xreallocarray(dirs, nd + 1, sizeof(*dirs));
			dirs[nd++] = optarg;
			break;
		case 'F':
			bo.force = true;
			break;
		case 'p':
			bo.prune = true;
			break;
		case 'P':
			bo.product = optarg;
			break;
		default:
			fprintf(stderr, "usage: wsidctl index build [--from DIR]... [--product P] "
					"[--force] [--prune]\n");
			free(dirs);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wsidctl index build: unexpected argument '%s'\n", esc_name(argv[optind]));
		free(dirs);
		return EXIT_USAGE;
	}
	if (nd == 0) {
		static const char *const builtin[] = { WSID_DATADIR "/fingerprints", DEFAULT_LOCAL_FP };
		const struct config *cf = env->config();
		const char *const *look = cf ? (const char *const *)cf->fingerprints : builtin;
		size_t k, nlook = cf ? cf->nfingerprints : ARRAY_SIZE(builtin);
		struct stat sb;

		for (k = 0; k < nlook; k++)
			if (stat(look[k], &sb) == 0) {
				dirs = xreallocarray(dirs, nd + 1, sizeof(*dirs));
				dirs[nd++] = look[k];
			}
		if (nd == 0) {
			fprintf(stderr, "wsidctl index build: no fingerprint directory found; looked in");
			for (k = 0; k < nlook; k++)
				fprintf(stderr, "%s %s", k ? "," : "", esc_name(look[k]));
			fprintf(stderr, " (%s)\n  give the directory of the sets: wsidctl index build --from DIR "
					"(the source tree's fingerprints/, or what 'make install' or the "
					"package put in " WSID_DATADIR "/fingerprints)\n",
				cf ? "the fingerprints: of the configuration" : "the built-in defaults");
			return EXIT_USAGE;
		}
	}
	bo.dirs = dirs;
	bo.ndirs = nd;
	bo.progress = env->progress && !env->json;
	if (store_open(env->db_path(), STORE_CREATE, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		free(dirs);
		return EXIT_ERROR;
	}
	r = fpindex_build(s, &bo, &st, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "wsidctl: index build failed: %s\n", err[0] ? err : strerror(-r));
		rc = EXIT_ERROR;
	} else if (env->json) {
		struct buf b;
		struct json j;

		ctl_jout_begin(&b, &j);
		json_kv_str(&j, "database", env->db_path());
		json_kv_int(&j, "products", st.products);
		json_kv_int(&j, "sets", st.sets_seen);
		json_kv_int(&j, "indexed", st.sets_indexed);
		json_kv_int(&j, "unchanged", st.sets_unchanged);
		json_kv_int(&j, "removed", st.sets_removed);
		json_kv_int(&j, "lines", (int64_t)st.lines);
		json_kv_double(&j, "seconds", (double)(now_mono_ns() - t0) / 1e9);
		ctl_jout_end(&b, &j);
	} else {
		printf("index %s: %u products, %u sets (%u indexed, %u unchanged, %u removed), "
		       "%llu lines in %.2f s\n", env->db_path(), st.products, st.sets_seen, st.sets_indexed,
		       st.sets_unchanged, st.sets_removed, (unsigned long long)st.lines,
		       (double)(now_mono_ns() - t0) / 1e9);
	}
	store_close(s);
	free(dirs);
	if (rc == 0 && (st.sets_indexed || st.sets_removed))
		ctl_tell_index_changed(env->socket_path());
	return rc;
}

static int
index_stats(int argc, char **argv __attribute__((unused)), const struct ctl_env *env)
{
	struct store *s = NULL;
	struct fpindex *idx = NULL;
	struct fpindex_stats st;
	char err[1024];
	size_t i;

	if (argc > 1) {
		fprintf(stderr, "usage: wsidctl index stats\n");
		return EXIT_USAGE;
	}
	if (store_open(env->db_path(), STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	if (fpindex_stats(s, &st) < 0 || fpindex_load(s, &idx) < 0) {
		fprintf(stderr, "wsidctl: %s: cannot read the index\n", env->db_path());
		store_close(s);
		return EXIT_ERROR;
	}
	if (env->json) {
		struct buf b;
		struct json j;

		ctl_jout_begin(&b, &j);
		json_kv_str(&j, "database", env->db_path());
		json_kv_int(&j, "products", (int64_t)st.products);
		json_kv_int(&j, "versions", (int64_t)st.versions);
		json_kv_int(&j, "files", (int64_t)st.files);
		json_kv_int(&j, "distinct_hashes", (int64_t)st.hashes);
		json_kv_int(&j, "distinct_paths", (int64_t)st.paths);
		json_kv_int(&j, "entries", (int64_t)st.entries);
		json_kv_int(&j, "database_bytes", (int64_t)st.db_bytes);
		ctl_pristine_stats(env->db_path(), &j);
		json_key(&j, "by_product");
		json_arr_begin(&j);
		for (i = 0; i < idx->nproducts; i++) {
			const struct fp_product *p = &idx->products[i];
			const struct fp_version *l = fp_product_latest(p);

			json_obj_begin(&j);
			json_kv_str(&j, "product", p->name);
			json_kv_str(&j, "kind", p->kind);
			json_kv_int(&j, "versions", (int64_t)p->nversions);
			json_kv_str(&j, "oldest", p->nversions ? p->versions[0].version : NULL);
			json_kv_str(&j, "latest", l ? l->version : NULL);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		ctl_jout_end(&b, &j);
	} else {
		printf("database        %s (%.1f MB)\n", env->db_path(), (double)st.db_bytes / 1e6);
		printf("products        %llu\n", (unsigned long long)st.products);
		printf("versions        %llu\n", (unsigned long long)st.versions);
		printf("files           %llu (in all versions)\n", (unsigned long long)st.files);
		printf("distinct hashes %llu\n", (unsigned long long)st.hashes);
		printf("distinct paths  %llu\n", (unsigned long long)st.paths);
		printf("(path, hash)    %llu\n", (unsigned long long)st.entries);
		ctl_pristine_stats(env->db_path(), NULL);
		if (idx->nproducts)
			printf("\n%-24s %-8s %8s  %-12s %-12s\n", "PRODUCT", "KIND", "VERSIONS", "OLDEST",
			       "LATEST");
		for (i = 0; i < idx->nproducts; i++) {
			const struct fp_product *p = &idx->products[i];
			const struct fp_version *l = fp_product_latest(p);

			printf("%-24s %-8s %8zu  %-12s %-12s\n", p->name, p->kind, p->nversions,
			       p->nversions ? p->versions[0].version : "-", l ? l->version : "-");
		}
	}
	fpindex_free(idx);
	store_close(s);
	return 0;
}

static int
index_ingest(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "product", required_argument, NULL, 'p' }, { "version", required_argument, NULL, 'v' },
		{ "kind", required_argument, NULL, 'k' },    { "out", required_argument, NULL, 'o' },
		{ "no-strip", no_argument, NULL, 'n' },      { "no-store", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_opts io = { .kind = "core", .strip_top = true };
	bool no_store = false;
	struct ingest_result ir;
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	struct store *s = NULL;
	const char *out = DEFAULT_LOCAL_FP;
	char err[1024] = "";
	int c, r, rc = 0;

	optind = 0; /* a new parse: options may follow the operands */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			io.product = optarg;
			break;
		case 'v':
			io.version = optarg;
			break;
		case 'k':
			io.kind = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			io.strip_top = false;
			break;
		case 'S':
			no_store = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || io.product == NULL || io.version == NULL)
		goto usage;
	io.source = argv[optind];
	io.outdir = out;
	if (!no_store && (io.store = ctl_pristine_open(env->db_path(), true)) == NULL)
		return EXIT_ERROR;
	r = ingest_run(&io, &ir, err, sizeof(err));
	ctl_pristine_close(io.store, &ir, env->json);
	if (r < 0) {
		fprintf(stderr, "wsidctl: ingest: %s\n", err[0] ? err : strerror(-r));
		return EXIT_ERROR;
	}
	if (store_open(env->db_path(), STORE_CREATE, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		free(ir.set_path);
		return EXIT_ERROR;
	}
	bo.dirs = &out;
	bo.ndirs = 1;
	bo.product = io.product;
	r = fpindex_build(s, &bo, &st, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "wsidctl: ingest: indexing %s failed: %s\n", ir.set_path, err);
		rc = EXIT_ERROR;
	} else if (env->json) {
		struct buf b;
		struct json j;

		ctl_jout_begin(&b, &j);
		json_kv_str(&j, "product", io.product);
		json_kv_str(&j, "version", io.version);
		json_kv_str(&j, "kind", io.kind);
		json_kv_str(&j, "set", ir.set_path);
		json_kv_int(&j, "files", (int64_t)ir.files);
		json_kv_str(&j, "stripped", ir.stripped_top);
		json_kv_int(&j, "skipped", (int64_t)ir.skipped);
		ctl_jout_end(&b, &j);
	} else {
		printf("ingested %s %s (%s): %zu files -> %s", io.product, io.version, io.kind, ir.files,
		       ir.set_path);
		if (ir.stripped_top)
			printf(" (top folder '%s' stripped)", esc_name(ir.stripped_top));
		printf("\n");
	}
	store_close(s);
	ingest_result_free(&ir);
	if (rc == 0)
		ctl_tell_index_changed(env->socket_path());
	return rc;
usage:
	fprintf(stderr, "usage: wsidctl index ingest --product NAME --version V [--kind "
			"core|plugin|theme] [--out DIR] [--no-strip] [--no-store] SOURCE\n"
			"  SOURCE: a directory or a release archive (.zip, .tar.gz, .tgz, .tar.bz2, .tar.xz)\n");
	return EXIT_USAGE;
}

/* index's actions: those of ctlbundle.c and ctlfetch.c are given the
 * configuration, database and socket looked up (.env) */
static const struct {
	const char *name;
	ctl_verb_fn *fn;
	bool env;
} actions[] = {
	{ "build", index_build, false },
	{ "ingest", index_ingest, false },
	{ "stats", index_stats, false },
	{ "keygen", ctl_index_keygen, true },
	{ "export", ctl_index_export, true },
	{ "import", ctl_index_import, true },
	{ "import-checksums", ctl_index_import_checksums, true },
	{ "fetch", ctl_index_fetch, true },
};

int
ctl_index(int argc, char **argv, const struct ctl_env *genv)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: wsidctl index build [--from DIR]... [--product P] [--force] [--prune]\n"
			"       wsidctl index ingest --product NAME --version V [--kind core|plugin|theme] "
			"[--out DIR] SOURCE\n"
			"       wsidctl index import-checksums --product SLUG --version V [--kind plugin] "
			"[--out DIR] FILE\n"
			"       wsidctl index fetch [--unknown | --list FILE] [--source NAME=URL]... "
			"[--out DIR | --stage DIR] [--ca-file FILE]\n"
			"       wsidctl index stats\n"
			"       wsidctl index keygen --out KEYFILE\n"
			"       wsidctl index export --sign KEYFILE [--product P...] [--compat] OUT\n"
			"       wsidctl index import [--allow-downgrade] [--trusted-key KEY]... BUNDLE\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(argv[1], actions[i].name) == 0) {
			struct ctl_env env = *genv;

			if (actions[i].env)
				ctl_env_resolve(&env);
			return actions[i].fn(argc - 1, argv + 1, &env);
		}
	fprintf(stderr, "wsidctl index: unknown action '%s' (build, ingest, import-checksums, "
			"fetch, stats, keygen, export, import)\n", esc_name(argv[1]));
	return EXIT_USAGE;
}
