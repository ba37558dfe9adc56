// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl: the admin's command line. A table of verbs, one handler each
 * (cmd_<verb>). Exit codes: 0 ok, 1 findings/unhealthy where a verb says so,
 * 2 usage error, 3 runtime error. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlanalyse.h"
#include "ctlclient.h"
#include "ctlverbs.h"
#include "eventfmt.h"
#include "fpindex.h"
#include "classify.h"
#include "components.h"
#include "config.h"
#include "ident.h"
#include "ingest.h"
#include "ctlrespond.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "scan.h"
#include "store.h"
#include "util.h"


#ifndef WSID_DATADIR
#define WSID_DATADIR "/usr/local/share/wsid"
#endif
#define DEFAULT_DB "/var/lib/wsid/wsid.db"
#define DEFAULT_SOCKET "/run/wsid/control"

struct ctl {
	const char *db;
	const char *socket;
	const char *config;
	bool json;
	bool verbose;
	bool tty;
};

static struct ctl ctl;

/* every verb: argv[0] is the verb; returns the exit code. env holds the
 * configuration, database and socket when the verb's entry says so (.env);
 * else only json and color, and the verb finds the rest itself when it
 * needs it (a scan of a directory reads no configuration). */
typedef int verb_fn(int argc, char **argv, const struct ctl_env *env);

struct verb {
	const char *name;
	verb_fn *fn;
	const char *usage;
	const char *help;
	bool env; /* look the configuration, database and socket up first */
};

static verb_fn cmd_index;
static verb_fn cmd_scan;
static verb_fn cmd_help;
static verb_fn cmd_status;
static verb_fn cmd_events;
static verb_fn cmd_sync;
static verb_fn cmd_rescan;
static verb_fn cmd_reload;
static void tell_daemon_index_changed(void);
static struct ctl_env ctl_env(void);

static const struct verb verbs[] = {
	{ "index", cmd_index, "index build|ingest|import-checksums|fetch|stats|keygen|export|import [options]",
	  "build and query the fingerprint index" , false },
	{ "scan", cmd_scan, "scan [--json] [--jobs N] [--max-size BYTES] [--verbose] [--standalone] PATH...",
	  "identify the installations under PATH by hash votes" , false },
	{ "status", cmd_status, "status [--json|--prometheus]",
	  "is the daemon up and watching; its figures (exit 1 when it is not); --prometheus: "
	  "in the Prometheus text format" , false },
	{ "events", cmd_events, "events [--since 1h|DATE] [--customer C] [--severity S] [--verdict V] "
	  "[--limit N] [--members ID] [--all] [--unacked] [--follow] [--json]", "what changed, and what it means" , false },
	{ "sync", cmd_sync, "sync [--timeout SECONDS]",
	  "wait until every change noticed so far is classified and stored" , false },
	{ "rescan", cmd_rescan, "rescan [WEBSPACE|--all]", "reconcile webspaces with the disk now" , false },
	{ "reload", cmd_reload, "reload", "re-read the configuration (a bad one is refused)" , false },
	{ "sites", ctl_sites, "sites [--customer C] [--product P] [--outdated] [--json]",
	  "every installation, its version and update state (--outdated: exit 1 when any)", true },
	{ "components", ctl_components, "components [--unknown] [--customer C] [--json]",
	  "plugins, themes and packages on the node: claimed and identified version, state", true },
	{ "report", ctl_report, "report [--json]",
	  "the node in figures: installations per product, update states, major versions", true },
	{ "files", ctl_files, "files PATH [--json]",
	  "the stored state and verdict of a file, or of every file under a directory", true },
	{ "ack", ctl_ack, "ack EVENT-ID...", "acknowledge events (an update with its members)", true },
	{ "outbox", ctl_outbox, "outbox [--all] [--json] | outbox retry ID|--all",
	  "notifications waiting, retrying, failed or dead; send them again", true },
	{ "notify", ctl_notify, "notify test CUSTOMER | notify secret", "send a test message through each route; print a new webhook secret", true },
	{ "mark", ctl_mark, "mark malicious|trusted|remove PATH|SHA256... [--note TEXT] [--customer C]; "
	  "mark list|export|import",
	  "teach the node: known-bad and trusted content, judged again at once", true },
	{ "analyse", ctl_analyse, "analyse [--json] [--verbose] [--rules GLOB]... [--no-default-rules] [--max-size BYTES] "
	  "FILE|DIR...", "what unknown code does: web shells, backdoors, obfuscation (exit 1 on findings)" , false },
	{ "restore", ctl_restore, "restore [--dry-run] PATH...|--installation ROOT",
	  "put back the release content of tampered or deleted release files (doc/respond.md)", true },
	{ "quarantine", ctl_quarantine, "quarantine PATH... [--note TEXT] | quarantine list|release ID",
	  "move a file out of its webspace into a root-only store, list, put back", true },
	{ "help", cmd_help, "help [VERB]", "show help" , false },
};

/* The daemon's configuration tells where the database and the socket are:
 * --config PATH, else /etc/wsid/wsid.yaml when it exists. --db and --socket
 * override it. A config that does not load is an error only when named. */
static struct config *ctl_cfg;
static bool ctl_cfg_tried;

static const struct config *
ctl_config(void)
{
	char err[1024];
	const char *path = ctl.config ? ctl.config : WSID_SYSCONFDIR "/wsid/wsid.yaml";

	if (ctl_cfg_tried)
		return ctl_cfg;
	ctl_cfg_tried = true;
	if (ctl.config == NULL && access(path, F_OK) != 0)
		return NULL;
	if (config_load(path, &ctl_cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		exit(EXIT_ERROR);
	}
	return ctl_cfg;
}

static const char *
db_path(void)
{
	const struct config *c;

	if (ctl.db)
		return ctl.db;
	c = ctl_config();
	return c ? c->database : DEFAULT_DB;
}

static const char *
socket_path(void)
{
	const struct config *c;

	if (ctl.socket)
		return ctl.socket;
	c = ctl_config();
	return c ? c->control_socket : DEFAULT_SOCKET;
}

static void
usage_verb(const struct verb *v, FILE *out)
{
	fprintf(out, "usage: wsidctl [--db PATH] [--config PATH] %s\n  %s\n", v->usage, v->help);
}

/* The global options that take a value are accepted after the verb too
 * (wsidctl index build --db X, wsidctl events --config F), as git-like tools
 * take them: --db, --config and --socket, with their value as the next
 * argument or after '=', are taken out of the verb's arguments, up to a "--".
 * Returns the new argc, or -1 (said) when a value is missing. */
static int
take_global_options(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char **dst;
	} g[] = { { "--db", &ctl.db }, { "--config", &ctl.config }, { "--socket", &ctl.socket } };
	int i, n = 1;
	size_t k, l;

	for (i = 1; i < argc; i++) {
		bool taken = false;

		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		for (k = 0; k < ARRAY_SIZE(g) && !taken; k++) {
			l = strlen(g[k].name);
			if (strncmp(argv[i], g[k].name, l) != 0)
				continue;
			if (argv[i][l] == '=') {
				*g[k].dst = argv[i] + l + 1;
				taken = true;
			} else if (argv[i][l] == '\0') {
				if (i + 1 >= argc) {
					fprintf(stderr, "wsidctl: %s needs a value\n", g[k].name);
					return -1;
				}
				*g[k].dst = argv[++i];
				taken = true;
			}
		}
		if (!taken)
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static int
cmd_help(int argc, char **argv, const struct ctl_env *env)
{
	size_t i;

	(void)env; /* the verb looks up what it needs */
	if (argc > 1) {
		for (i = 0; i < ARRAY_SIZE(verbs); i++)
			if (strcmp(verbs[i].name, argv[1]) == 0) {
				usage_verb(&verbs[i], stdout);
				return 0;
			}
		fprintf(stderr, "wsidctl: unknown verb '%s'\n", esc_name(argv[1]));
		return EXIT_USAGE;
	}
	printf("usage: wsidctl [--config PATH] [--db PATH] [--socket PATH] [--json] VERB [ARGS]\n\n"
	       "quick start:\n"
	       "  wsidctl index build            index the fingerprint sets (once, and after an update)\n"
	       "  wsidctl status                 is the daemon up and watching\n"
	       "  wsidctl report                 the node in figures: what is installed, how outdated\n"
	       "  wsidctl sites --outdated       the installations to update, per customer\n"
	       "  wsidctl events --since 24h     what changed, and what it means\n\n"
	       "  --config PATH   the daemon's configuration (default " WSID_SYSCONFDIR "/wsid/wsid.yaml,\n"
	       "                  if present): where the database and the control socket are\n"
	       "  --db PATH       the database (overrides the configuration)\n"
	       "  --socket PATH   the control socket (overrides the configuration)\n"
	       "  these three are taken after the verb too (wsidctl events --config F)\n\nverbs:\n");
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		printf("  %-8s %s\n           %s\n", verbs[i].name, verbs[i].help, verbs[i].usage);
	printf("\nexit codes: 0 ok, 1 findings or unhealthy (where a verb says so), 2 usage, 3 error\n");
	return 0;
}

static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* ---- index ---- */

static int
index_build(int argc, char **argv)
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

	optind = 1;
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
		const struct config *cf = ctl_config();
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
	bo.progress = ctl.tty && !ctl.json;
	if (store_open(db_path(), STORE_CREATE, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		free(dirs);
		return EXIT_ERROR;
	}
	r = fpindex_build(s, &bo, &st, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "wsidctl: index build failed: %s\n", err[0] ? err : strerror(-r));
		rc = EXIT_ERROR;
	} else if (ctl.json) {
		struct buf b;
		struct json j;

		buf_init(&b, 0);
		json_init(&j, &b);
		json_obj_begin(&j);
		json_kv_str(&j, "database", db_path());
		json_kv_int(&j, "products", st.products);
		json_kv_int(&j, "sets", st.sets_seen);
		json_kv_int(&j, "indexed", st.sets_indexed);
		json_kv_int(&j, "unchanged", st.sets_unchanged);
		json_kv_int(&j, "removed", st.sets_removed);
		json_kv_int(&j, "lines", (int64_t)st.lines);
		json_kv_double(&j, "seconds", (double)(now_mono_ns() - t0) / 1e9);
		json_obj_end(&j);
		printf("%s\n", b.data);
		buf_free(&b);
	} else {
		printf("index %s: %u products, %u sets (%u indexed, %u unchanged, %u removed), "
		       "%llu lines in %.2f s\n", db_path(), st.products, st.sets_seen, st.sets_indexed,
		       st.sets_unchanged, st.sets_removed, (unsigned long long)st.lines,
		       (double)(now_mono_ns() - t0) / 1e9);
	}
	store_close(s);
	free(dirs);
	if (rc == 0 && (st.sets_indexed || st.sets_removed))
		tell_daemon_index_changed();
	return rc;
}

static void
tell_daemon_index_changed(void)
{
	ctl_tell_index_changed(socket_path());
}

static int
index_stats(int argc, char **argv __attribute__((unused)))
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
	if (store_open(db_path(), STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	if (fpindex_stats(s, &st) < 0 || fpindex_load(s, &idx) < 0) {
		fprintf(stderr, "wsidctl: %s: cannot read the index\n", db_path());
		store_close(s);
		return EXIT_ERROR;
	}
	if (ctl.json) {
		struct buf b;
		struct json j;

		buf_init(&b, 0);
		json_init(&j, &b);
		json_obj_begin(&j);
		json_kv_str(&j, "database", db_path());
		json_kv_int(&j, "products", (int64_t)st.products);
		json_kv_int(&j, "versions", (int64_t)st.versions);
		json_kv_int(&j, "files", (int64_t)st.files);
		json_kv_int(&j, "distinct_hashes", (int64_t)st.hashes);
		json_kv_int(&j, "distinct_paths", (int64_t)st.paths);
		json_kv_int(&j, "entries", (int64_t)st.entries);
		json_kv_int(&j, "database_bytes", (int64_t)st.db_bytes);
		ctl_pristine_stats(db_path(), &j);
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
		json_obj_end(&j);
		printf("%s\n", b.data);
		buf_free(&b);
	} else {
		printf("database        %s (%.1f MB)\n", db_path(), (double)st.db_bytes / 1e6);
		printf("products        %llu\n", (unsigned long long)st.products);
		printf("versions        %llu\n", (unsigned long long)st.versions);
		printf("files           %llu (in all versions)\n", (unsigned long long)st.files);
		printf("distinct hashes %llu\n", (unsigned long long)st.hashes);
		printf("distinct paths  %llu\n", (unsigned long long)st.paths);
		printf("(path, hash)    %llu\n", (unsigned long long)st.entries);
		ctl_pristine_stats(db_path(), NULL);
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
index_ingest(int argc, char **argv)
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

	optind = 1;
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
	if (!no_store && (io.store = ctl_pristine_open(db_path(), true)) == NULL)
		return EXIT_ERROR;
	r = ingest_run(&io, &ir, err, sizeof(err));
	ctl_pristine_close(io.store, &ir, ctl.json);
	if (r < 0) {
		fprintf(stderr, "wsidctl: ingest: %s\n", err[0] ? err : strerror(-r));
		return EXIT_ERROR;
	}
	if (store_open(db_path(), STORE_CREATE, &s, err, sizeof(err)) < 0) {
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
	} else if (ctl.json) {
		struct buf b;
		struct json j;

		buf_init(&b, 0);
		json_init(&j, &b);
		json_obj_begin(&j);
		json_kv_str(&j, "product", io.product);
		json_kv_str(&j, "version", io.version);
		json_kv_str(&j, "kind", io.kind);
		json_kv_str(&j, "set", ir.set_path);
		json_kv_int(&j, "files", (int64_t)ir.files);
		json_kv_str(&j, "stripped", ir.stripped_top);
		json_kv_int(&j, "skipped", (int64_t)ir.skipped);
		json_obj_end(&j);
		printf("%s\n", b.data);
		buf_free(&b);
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
		tell_daemon_index_changed();
	return rc;
usage:
	fprintf(stderr, "usage: wsidctl index ingest --product NAME --version V [--kind "
			"core|plugin|theme] [--out DIR] [--no-strip] [--no-store] SOURCE\n"
			"  SOURCE: a directory or a release archive (.zip, .tar.gz, .tgz, .tar.bz2, .tar.xz)\n");
	return EXIT_USAGE;
}

static int
cmd_index(int argc, char **argv, const struct ctl_env *genv)
{
	static const char *const actions[] = { "build", "ingest", "stats", "keygen", "export",
					       "import", "import-checksums", "fetch" };
	struct ctl_env env;
	size_t i;

	(void)genv; /* looked up below, for the actions that need it */

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
			"       wsidctl index export --sign KEYFILE [--product P...] OUT\n"
			"       wsidctl index import [--allow-downgrade] [--trusted-key KEY]... BUNDLE\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "build") == 0)
		return index_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "stats") == 0)
		return index_stats(argc - 1, argv + 1);
	if (strcmp(argv[1], "ingest") == 0)
		return index_ingest(argc - 1, argv + 1);
	for (i = 3; i < ARRAY_SIZE(actions); i++)
		if (strcmp(argv[1], actions[i]) == 0)
			break;
	if (i == ARRAY_SIZE(actions)) {
		fprintf(stderr, "wsidctl index: unknown action '%s' (build, ingest, import-checksums, "
				"fetch, stats, keygen, export, import)\n", esc_name(argv[1]));
		return EXIT_USAGE;
	}
	env = ctl_env();
	if (i == 3)
		return ctl_index_keygen(argc - 1, argv + 1, &env);
	if (i == 4)
		return ctl_index_export(argc - 1, argv + 1, &env);
	if (i == 5)
		return ctl_index_import(argc - 1, argv + 1, &env);
	if (i == 7)
		return ctl_index_fetch(argc - 1, argv + 1, &env);
	return ctl_index_import_checksums(argc - 1, argv + 1, &env);
}

/* ---- scan ---- */


static int
cmd_scan(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },      { "jobs", required_argument, NULL, 'J' },
		{ "max-size", required_argument, NULL, 'm' }, { "verbose", no_argument, NULL, 'v' },
		{ "no-index", no_argument, NULL, 'n' },  { "standalone", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_opts so = { .max_size = 64ull << 20 };
	struct report_opts ro = { 0 };
	struct buf ab; /* --json: the analysis's findings */
	struct json ja;
	unsigned found = 0;
	struct store *s = NULL;
	struct fpindex *idx = NULL;
	struct buf b;
	struct json j;
	char err[1024];
	bool use_index = true, standalone = false, daemon_up = false;
	int c, i, rc = 0;

	(void)env; /* the verb looks up what it needs */
	optind = 1;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'J': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 0 || n > 64) {
				fprintf(stderr, "wsidctl scan: --jobs takes 0..64\n");
				return EXIT_USAGE;
			}
			so.jobs = (unsigned)n;
			break;
		}
		case 'm':
			if (config_parse_size(optarg, &so.max_size) < 0) {
				fprintf(stderr, "wsidctl scan: --max-size takes bytes (suffix K, M, G)\n");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			ctl.verbose = true;
			break;
		case 'n':
			use_index = false;
			break;
		case 'S':
			standalone = true;
			break;
		default:
			usage_verb(&verbs[1], stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_verb(&verbs[1], stderr);
		return EXIT_USAGE;
	}
	if (use_index) {
		if (store_open(db_path(), STORE_RDONLY, &s, err, sizeof(err)) < 0 ||
		    fpindex_load(s, &idx) < 0) {
			fprintf(stderr, "wsidctl: %s\n", err);
			store_close(s);
			return EXIT_ERROR;
		}
		so.dbpath = db_path();
		/* with the daemon up, what it watches is read from its state:
		 * nothing is hashed twice */
		if (!standalone) {
			char *reply = NULL, v[16];

			daemon_up = access(socket_path(), F_OK) == 0 &&
				    ctlclient_call(socket_path(), "status", NULL, 3000, &reply) == 0 &&
				    json_field(reply, "watching", v, sizeof(v)) && strcmp(v, "true") == 0;
			free(reply);
		}
	}
	so.progress = ctl.tty && !ctl.json;
	so.spill = true; /* memory does not grow with the tree */
	ro.verbose = ctl.verbose;
	ro.color = ctl.tty && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	buf_init(&b, SIZE_MAX / 2);
	json_init(&j, &b);
	buf_init(&ab, SIZE_MAX / 2);
	json_init(&ja, &ab);
	json_arr_begin(&ja);
	if (ctl.json) {
		json_obj_begin(&j);
		json_kv_int(&j, "schema", 1);
		json_kv_str(&j, "database", use_index ? db_path() : NULL);
		json_key(&j, "scanned");
		json_arr_begin(&j);
	}
	for (i = optind; i < argc; i++) {
		struct scan_tree *t = NULL;
		struct ident_result *res = NULL;

		if (daemon_up) {
			char *abs = realpath(argv[i], NULL);

			if (abs && ctl_tree_from_state(s, abs, &t) == 0) {
				free(t->root);
				t->root = xstrdup(argv[i]);
				if (!ctl.json)
					fprintf(stderr, "%s: from the daemon's stored state (--standalone walks "
							"and hashes)\n", esc_name(argv[i]));
			}
			free(abs);
		}
		if (t == NULL && scan_tree_run(argv[i], &so, &t, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: scan: %s\n", err);
			rc = EXIT_ERROR;
			continue;
		}
		if (idx)
			ident_run(s, idx, t, &res);
		if (ctl.json) {
			report_json_tree(&j, t, res, stdout);
		} else {
			report_text_tree(stdout, t, res, &ro);
		}
		/* what the code that is no release does */
		if (ctl_analyse_scan_tree(t, ctl.json ? &ja : NULL, &found) < 0)
			rc = EXIT_ERROR;
		ident_result_free(res);
		scan_tree_free(t);
	}
	if (ctl.json) {
		json_arr_end(&j);
		json_arr_end(&ja);
		json_key(&j, "analysis");
		json_raw(&j, ab.data, ab.len);
		json_obj_end(&j);
		fwrite(b.data, 1, b.len, stdout);
		fputc('\n', stdout);
	}
	buf_free(&b);
	buf_free(&ab);
	fpindex_free(idx);
	store_close(s);
	return rc;
}

/* ---- daemon verbs ---- */

static int
find_verb_index(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return (int)i;
	return 0;
}

static int
cmd_status(int argc, char **argv, const struct ctl_env *env)
{
	char *reply = NULL;
	bool prom = false;
	int r, i;

	(void)env; /* the verb looks up what it needs */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl.json = true;
		else if (strcmp(argv[i], "--prometheus") == 0)
			prom = true;
		else {
			usage_verb(&verbs[find_verb_index("status")], stderr);
			return EXIT_USAGE;
		}
	}
	if (prom && ctl.json) {
		fprintf(stderr, "wsidctl: status: --json and --prometheus exclude each other\n");
		return EXIT_USAGE;
	}
	r = ctlclient_call(socket_path(), "status", NULL, 5000, &reply);
	if (prom) {
		/* the same figures and the same rendering as the daemon's textfile */
		struct metrics m;
		struct buf b;

		memset(&m, 0, sizeof(m));
		if (r == 0 && metrics_from_status(reply, &m) < 0) {
			fprintf(stderr, "wsidctl: %s: not a status reply: %s\n", socket_path(), reply);
			free(reply);
			return EXIT_ERROR;
		}
		if (r < 0)
			fprintf(stderr, "wsidctl: daemon down (%s: %s)\n", socket_path(), strerror(-r));
		buf_init(&b, 1 << 20);
		metrics_render(&m, &b);
		if (r == 0 && m.up) {
			/* the census of the daemon's database, counted here as the
			 * daemon's thread counts it */
			struct census cs;
			char err[1024];

			if (census_count_db(m.database[0] ? m.database : db_path(), &cs, err, sizeof(err)) < 0)
				fprintf(stderr, "wsidctl: census: %s\n", err);
			metrics_render_census(&cs, &b);
			census_free(&cs);
		}
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		r = r == 0 && m.up && m.watching ? 0 : 1;
		free(reply);
		return r;
	}
	if (r < 0) {
		if (ctl.json)
			printf("{\"daemon\":\"down\",\"socket\":\"%s\",\"error\":\"%s\"}\n",
			       socket_path(), strerror(-r));
		else
			printf("daemon       down (%s: %s)\n", socket_path(), strerror(-r));
		return 1;
	}
	if (ctl.json) {
		printf("%s\n", reply);
	} else {
		static const char *const keys[] = {
			"daemon", "pid", "uptime_s", "watching", "filesystems", "webspaces", "files",
			"events_total", "events_per_s", "pending", "hash_backlog", "overflows",
			"delivery_sandbox", "failing_routes",
			"reconciles", "reconciling", "last_reconcile_ms", "latency_avg_ms",
			"latency_max_ms", "database", "database_error", "database_bytes", "database_free_bytes",
			"oldest_event_time", "index_products", "index_versions", "index_built_at",
			"index_age_s", "index_serial", "index_key",
			"protected_hardlinks",
		};
		size_t k;
		char v[512];

		for (k = 0; k < ARRAY_SIZE(keys); k++) {
			if (!json_field(reply, keys[k], v, sizeof(v)) ||
			    (strcmp(v, "null") == 0 &&
			     (strcmp(keys[k], "index_key") == 0 || strcmp(keys[k], "failing_routes") == 0)))
				continue;
			if (strcmp(keys[k], "oldest_event_time") == 0 && strcmp(v, "null") != 0) {
				/* unix time in the JSON; a date here */
				time_t t = (time_t)strtoll(v, NULL, 10);
				struct tm tm;
				char date[32];

				if (gmtime_r(&t, &tm) && strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
					snprintf(v, sizeof(v), "%s", date);
			}
			printf("%-18s %s\n", keys[k], v);
		}
	}
	{
		char w[16];

		r = json_field(reply, "watching", w, sizeof(w)) && strcmp(w, "true") == 0 ? 0 : 1;
	}
	free(reply);
	return r;
}

static int
parse_since(const char *s, int64_t *ret)
{
	char *end;
	long long v;
	struct tm tm;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && end[0] && !end[1] && v >= 0) {
		int64_t mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
			       : end[0] == 'd' ? 86400 : 0;

		if (mult == 0)
			return -EINVAL;
		*ret = now_unix() - (int64_t)v * mult;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	}
	if (end == NULL || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || (*end && strcmp(end, "Z") != 0))
		return -EINVAL;
	*ret = (int64_t)timegm(&tm);
	return 0;
}

static int
cmd_events(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },    { "customer", required_argument, NULL, 'c' },
		{ "severity", required_argument, NULL, 'S' }, { "verdict", required_argument, NULL, 'V' },
		{ "limit", required_argument, NULL, 'l' },    { "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },           { "members", required_argument, NULL, 'm' },
		{ "all", no_argument, NULL, 'a' },            { "unacked", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *customer = NULL, *verdict = NULL;
	int64_t since = 0, limit = -1, members = 0;
	bool all = false, unacked = false;
	int minsev = 0, c, rc = 0;
	bool follow = false;
	struct store *s = NULL;
	sqlite3_stmt *q = NULL;
	char err[1024];
	bool color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	(void)env; /* the verb looks up what it needs */
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_since(optarg, &since) < 0) {
				fprintf(stderr, "wsidctl events: --since takes 90s, 30m, 1h, 2d or a date "
						"(YYYY-MM-DD[THH:MM:SS])\n");
				return EXIT_USAGE;
			}
			break;
		case 'c':
			customer = optarg;
			break;
		case 'S':
			minsev = severity_parse(optarg);
			if (minsev < 0) {
				fprintf(stderr, "wsidctl events: --severity takes info, notice, warning or "
						"critical\n");
				return EXIT_USAGE;
			}
			break;
		case 'V':
			if (verdict_parse(optarg) < 0) {
				fprintf(stderr, "wsidctl events: unknown verdict '%s'\n", esc_name(optarg));
				return EXIT_USAGE;
			}
			verdict = optarg;
			break;
		case 'l':
			limit = strtoll(optarg, NULL, 10);
			break;
		case 'f':
			follow = true;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'm':
			members = strtoll(optarg, NULL, 10);
			if (members <= 0) {
				fprintf(stderr, "wsidctl events: --members takes an event id\n");
				return EXIT_USAGE;
			}
			break;
		case 'a':
			all = true;
			break;
		case 'u':
			unacked = true;
			break;
		default:
			usage_verb(&verbs[find_verb_index("events")], stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage_verb(&verbs[find_verb_index("events")], stderr);
		return EXIT_USAGE;
	}
	if (follow) {
		/* live: the daemon streams each stored event as one JSON line */
		struct buf acc, line;
		int fd = ctlclient_connect(socket_path());

		if (fd < 0) {
			fprintf(stderr, "wsidctl: %s: %s (is wsid running?)\n", socket_path(), strerror(-fd));
			return EXIT_ERROR;
		}
		buf_init(&acc, 16u << 20);
		buf_init(&line, 16u << 20);
		ctlclient_send(fd, "follow", NULL);
		setvbuf(stdout, NULL, _IOLBF, 0);
		while (ctlclient_readline(fd, &acc, &line, -1) == 0) {
			char v[64];

			if (json_field(line.data, "ok", v, sizeof(v)))
				continue; /* the acknowledgement */
			if (customer && (!json_field(line.data, "customer", v, sizeof(v)) ||
					 strcmp(v, customer) != 0))
				continue;
			if (verdict && (!json_field(line.data, "verdict", v, sizeof(v)) ||
					strcmp(v, verdict) != 0))
				continue;
			if (minsev && (!json_field(line.data, "severity", v, sizeof(v)) ||
				       severity_parse(v) < minsev))
				continue;
			printf("%s\n", line.data);
		}
		buf_free(&acc);
		buf_free(&line);
		close(fd);
		return 0;
	}
	if (store_open(db_path(), STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	q = store_prepare(s, EVENTFMT_SELECT
			  "WHERE e.time >= ?1 AND (?2 IS NULL OR e.customer = ?2) AND "
			  "(?3 IS NULL OR e.verdict = ?3) AND (CASE e.severity WHEN 'info' THEN 0 "
			  "WHEN 'notice' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END) >= ?4 AND "
			  /* by default what stands alone: not the members of an update
			   * (--members ID lists them), not what waits for its window */
			  "(?7 OR (?6 IS NULL AND e.held=0 AND e.parent_id IS NULL) OR e.parent_id=?6) "
			  "AND (NOT ?8 OR e.acked_at IS NULL) ORDER BY e.id LIMIT ?5");
	if (q == NULL) {
		store_close(s);
		return EXIT_ERROR;
	}
	sqlite3_bind_int64(q, 1, since);
	if (customer)
		sqlite3_bind_text(q, 2, customer, -1, SQLITE_STATIC);
	if (verdict)
		sqlite3_bind_text(q, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, minsev);
	sqlite3_bind_int64(q, 5, limit);
	if (members)
		sqlite3_bind_int64(q, 6, members);
	sqlite3_bind_int(q, 7, all ? 1 : 0);
	sqlite3_bind_int(q, 8, unacked ? 1 : 0);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (ctl.json) {
			struct buf b;
			struct json j;

			buf_init(&b, 16u << 20);
			json_init(&j, &b);
			eventfmt_json(&j, q);
			printf("%s\n", b.data);
			buf_free(&b);
		} else
			eventfmt_text(stdout, q, color);
	}
	sqlite3_finalize(q);
	store_close(s);
	return rc;
}

static int
simple_call(const char *verb, const char *arg, int timeout_ms)
{
	char *reply = NULL, v[16];
	int r = ctlclient_call(socket_path(), verb, arg, timeout_ms, &reply);

	if (r < 0) {
		fprintf(stderr, "wsidctl %s: %s: %s\n", verb, socket_path(),
			r == -ETIMEDOUT ? "timed out" : strerror(-r));
		return EXIT_ERROR;
	}
	if (ctl.json || !json_field(reply, "ok", v, sizeof(v)) || strcmp(v, "true") != 0)
		printf("%s\n", reply);
	r = json_field(reply, "ok", v, sizeof(v)) && strcmp(v, "true") == 0 ? 0 : EXIT_ERROR;
	if (r && !ctl.json) {
		char e[512];

		if (json_field(reply, "error", e, sizeof(e)))
			fprintf(stderr, "wsidctl %s: %s\n", verb, e);
	}
	free(reply);
	return r;
}

static int
cmd_sync(int argc, char **argv, const struct ctl_env *env)
{
	long timeout = 600;
	char arg[32];

	(void)env; /* the verb looks up what it needs */
	if (argc == 3 && strcmp(argv[1], "--timeout") == 0) {
		char *end;

		timeout = strtol(argv[2], &end, 10);
		if (*end || timeout <= 0) {
			fprintf(stderr, "wsidctl sync: --timeout takes seconds\n");
			return EXIT_USAGE;
		}
	} else if (argc != 1) {
		usage_verb(&verbs[find_verb_index("sync")], stderr);
		return EXIT_USAGE;
	}
	snprintf(arg, sizeof(arg), "%ld", timeout * 1000);
	return simple_call("sync", arg, (int)(timeout * 1000 + 2000));
}

static int
cmd_rescan(int argc, char **argv, const struct ctl_env *env)
{
	char *b64;
	size_t blen;
	int r;

	(void)env; /* the verb looks up what it needs */
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "--all") == 0))
		return simple_call("rescan", NULL, 10000);
	if (argc != 2) {
		usage_verb(&verbs[find_verb_index("rescan")], stderr);
		return EXIT_USAGE;
	}
	blen = sodium_base64_ENCODED_LEN(strlen(argv[1]), sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(blen);
	sodium_bin2base64(b64, blen, (const unsigned char *)argv[1], strlen(argv[1]),
			  sodium_base64_VARIANT_ORIGINAL);
	r = simple_call("rescan", b64, 10000);
	free(b64);
	return r;
}

static int
cmd_reload(int argc, char **argv, const struct ctl_env *env)
{
	(void)env; /* the verb looks up what it needs */
	(void)argv;
	if (argc != 1) {
		usage_verb(&verbs[find_verb_index("reload")], stderr);
		return EXIT_USAGE;
	}
	return simple_call("reload", NULL, 30000);
}

static void
ctl_cleanup(void)
{
	config_free(ctl_cfg);
}

int
main(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "db", required_argument, NULL, 'd' },   { "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },       { "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_env bare = { 0 }; /* for a verb that looks its configuration up itself */
	size_t i;
	int c;

	log_init("wsidctl", LOG_LEVEL_WARNING, 0);
	atexit(ctl_cleanup);
	ctl.tty = isatty(STDERR_FILENO) && getenv("CI") == NULL;
	/* global options stop at the verb */
	while ((c = getopt_long(argc, argv, "+hvj", gopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			ctl.db = optarg;
			break;
		case 'c':
			ctl.config = optarg;
			break;
		case 's':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'v':
			ctl.verbose = true;
			break;
		case 'V':
			printf("wsidctl %s\n", WSID_VERSION);
			return 0;
		case 'h':
			return cmd_help(0, NULL, NULL);
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		{
		cmd_help(0, NULL, NULL);
		return EXIT_USAGE;
	}
	bare.json = ctl.json;
	bare.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	for (i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(verbs[i].name, argv[optind]) == 0) {
			char **sub = argv + optind;
			int subc = take_global_options(argc - optind, sub);

			if (subc < 0)
				return EXIT_USAGE;
			if (strcmp(verbs[i].name, "index") != 0 && wants_help(subc, sub)) {
				usage_verb(&verbs[i], stdout);
				return 0;
			}
			/* verbs parse their own options with getopt from index 1 */
			if (verbs[i].env) {
				struct ctl_env env = ctl_env();

				return verbs[i].fn(subc, sub, &env);
			}
			return verbs[i].fn(subc, sub, &bare);
		}
	}
	fprintf(stderr, "wsidctl: unknown verb '%s' (try wsidctl help)\n", esc_name(argv[optind]));
	return EXIT_USAGE;
}

static struct ctl_env
ctl_env(void)
{
	struct ctl_env env = { ctl_config(), db_path(), socket_path(), ctl.json,
			       isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL };

	return env;
}

