// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index fetch: the fingerprints of the releases the node holds and
 * the index does not know, fetched from their publishers and indexed.
 *
 * Sources are base URLs (config fetch.sources, --source NAME=URL):
 *   wordpress  BASE/plugin-checksums/SLUG/VERSION.json (checksum file), else
 *              BASE/plugin/SLUG.VERSION.zip; themes BASE/theme/SLUG.VERSION.zip
 *   npm        BASE/NAME/-/BASENAME-VERSION.tgz (the registry's tarball)
 *   composer   the dist URL installed.json records, https only, from a host
 *              of the allow-list (or below --source composer=BASE)
 *   wpapi      BASE/plugins/info/1.2/?action=plugin_information&request[slug]=SLUG
 *              (WordPress.org's plugin information: the releases a plugin has,
 *              its newest; stored in product_releases for latest/outdated)
 * Every answer is checked whole (checksum file parsed strictly, archive read
 * through the ingest's checks, top folder named after the slug) before its
 * set is written (atomically); each product is indexed in one transaction.
 * A 404/410 is remembered with a TTL (a premium plugin is never on
 * WordPress.org: ask once a week), other failures are not: the next run tries
 * again, resuming a cut download.
 *
 * With --stage DIR nothing touches the daemon's database: sets are written to
 * DIR (a fingerprint directory) and the negative answers to DIR/fetch.db (a
 * schema of its own, versioned like the database's), so an unprivileged user
 * can fetch and root indexes DIR with `index build`. */
#include "components.h"

#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctlverbs.h"
#include "fetch.h"
#include "fpindex.h"
#include "fpset.h"
#include "ingest.h"
#include "json.h"
#include "store.h"
#include "util.h"
#include "wpsums.h"

#define FETCH_DEFAULT_TTL_MS (7ull * 86400 * 1000)
#define FETCH_MAX_SOURCES 16
#define RELEASES_TTL_S (24 * 3600) /* a plugin's release list is asked once a day */

static const char *const composer_hosts[] = {
	"https://api.github.com", "https://codeload.github.com", "https://github.com",
	"https://gitlab.com", "https://bitbucket.org",
};

struct fsource {
	char name[16];
	const char *base;
};

struct fctx {
	struct fsource src[FETCH_MAX_SOURCES];
	size_t nsrc;
	struct fetcher *f;
	sqlite3 *cache;      /* negative answers */
	const char *outdir;
	uint64_t ttl_ms;
	bool retry_negative;
	char **products;     /* products with a new set */
	size_t nproducts;
	unsigned fetched, missing, failed, skipped, releases;
};

enum fres { FR_OK, FR_NOTFOUND, FR_FAILED, FR_NOSOURCE };

static int
source_set(struct fctx *x, const char *spec, bool override)
{
	const char *eq = strchr(spec, '=');
	size_t i, nl = eq ? (size_t)(eq - spec) : 0;

	if (eq == NULL || nl == 0 || nl >= sizeof(x->src[0].name) ||
	    (strncmp(eq + 1, "https://", 8) != 0 && strncmp(eq + 1, "http://", 7) != 0))
		return -EINVAL;
	if (!(nl == 9 && memcmp(spec, "wordpress", 9) == 0) && !(nl == 3 && memcmp(spec, "npm", 3) == 0) &&
	    !(nl == 8 && memcmp(spec, "composer", 8) == 0) && !(nl == 5 && memcmp(spec, "wpapi", 5) == 0))
		return -EINVAL;
	for (i = 0; i < x->nsrc; i++)
		if (strlen(x->src[i].name) == nl && memcmp(x->src[i].name, spec, nl) == 0) {
			if (override)
				x->src[i].base = eq + 1;
			return 0;
		}
	if (x->nsrc == FETCH_MAX_SOURCES)
		return -E2BIG;
	memcpy(x->src[x->nsrc].name, spec, nl);
	x->src[x->nsrc].name[nl] = '\0';
	x->src[x->nsrc++].base = eq + 1;
	return 0;
}

static const char *
source_base(const struct fctx *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nsrc; i++)
		if (strcmp(x->src[i].name, name) == 0)
			return x->src[i].base;
	return NULL;
}

/* ---- negative answers ---- */

/* The staging directory's fetch.db: a schema of its own. Each entry upgrades
 * it by one version (PRAGMA user_version); never edit one, append. A fetch.db
 * of a wsid before versioning (version 0, fetch_negative made on first use)
 * is upgraded in place. The daemon's database has these tables from its own
 * migrations (store.c). */
static const char *const cache_migrations[] = {
	/* 1 */
	"CREATE TABLE IF NOT EXISTS fetch_negative(url TEXT PRIMARY KEY, status INTEGER NOT NULL,"
	"  checked_at INTEGER NOT NULL)",
	/* 2 */
	"CREATE TABLE product_releases(product TEXT PRIMARY KEY, latest TEXT, versions TEXT NOT NULL,"
	"  source TEXT NOT NULL, checked_at INTEGER NOT NULL)",
};

static int
cache_migrate(sqlite3 *db, const char *path)
{
	sqlite3_stmt *q = NULL;
	int v = -1, target = (int)ARRAY_SIZE(cache_migrations);
	char sql[64];

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (v < 0 || v > target) {
		fprintf(stderr, "wsidctl: index fetch: %s: %s\n", esc_name(path),
			v < 0 ? sqlite3_errmsg(db) : "schema newer than this wsidctl");
		return -EPROTO;
	}
	for (; v < target; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, cache_migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "wsidctl: index fetch: %s: schema migration to version %d failed: %s\n",
				esc_name(path), v + 1, sqlite3_errmsg(db));
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -EIO;
		}
	}
	return 0;
}

static int
cache_open(struct fctx *x, const char *path, bool own_schema)
{
	if (sqlite3_open_v2(path, &x->cache, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		fprintf(stderr, "wsidctl: index fetch: %s: %s\n", esc_name(path), sqlite3_errmsg(x->cache));
		return -EIO;
	}
	sqlite3_busy_timeout(x->cache, 10000);
	return own_schema ? cache_migrate(x->cache, path) : 0;
}

/* when url was last answered "not found" within the TTL, that time; else 0 */
static int64_t
cache_negative(struct fctx *x, const char *url)
{
	sqlite3_stmt *q = NULL;
	int64_t t = 0;

	if (x->retry_negative ||
	    sqlite3_prepare_v2(x->cache, "SELECT checked_at FROM fetch_negative WHERE url=? AND checked_at>?",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	if (store_bind(q, "ti", url, now_unix() - (int64_t)(x->ttl_ms / 1000)) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		t = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return t;
}

static void
cache_put(struct fctx *x, const char *url, int status)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sqlite3_prepare_v2(x->cache, status ? "INSERT OR REPLACE INTO fetch_negative VALUES(?,?,?)"
						: "DELETE FROM fetch_negative WHERE url=?",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	rc = status ? store_bind(q, "tii", url, (int64_t)status, now_unix()) : store_bind(q, "t", url);
	if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE)
		fprintf(stderr, "wsidctl: index fetch: cannot record the answer for %s: %s\n", url,
			sqlite3_errmsg(x->cache));
	sqlite3_finalize(q);
}

/* ---- one release ---- */

static void
product_done(struct fctx *x, const char *product)
{
	size_t i;

	for (i = 0; i < x->nproducts; i++)
		if (strcmp(x->products[i], product) == 0)
			return;
	x->products = xreallocarray(x->products, x->nproducts + 1, sizeof(char *));
	x->products[x->nproducts++] = xstrdup(product);
}

/* checks and writes the set of one answer; nothing is written on error */
static int
take_answer(struct fctx *x, const struct component *c, const char *url, bool checksums,
	    const char *data, size_t len, size_t *nfiles, char *err, size_t errsz)
{
	const char *kind = claims_index_kind(c->kind);
	char *set_path = NULL;
	int r;

	if (checksums) {
		struct buf set;

		buf_init(&set, SIZE_MAX / 2);
		r = wpsums_to_set(data, len, url, c->name, c->claimed, &set, nfiles, err, errsz);
		if (r == 0)
			r = ingest_write_set(x->outdir, c->product, c->claimed, kind, set.data, set.len,
					     &set_path, err, errsz);
		buf_free(&set);
	} else {
		struct ingest_opts io = { .product = c->product, .version = c->claimed, .kind = kind,
					  .source = url, .outdir = x->outdir, .strip_top = true,
					  .data = data, .len = len };
		struct ingest_result ir;

		/* a WordPress.org zip holds one folder named after the slug */
		if (c->kind == CLAIM_WP_PLUGIN || c->kind == CLAIM_WP_THEME)
			io.expect_top = c->name;
		r = ingest_run(&io, &ir, err, errsz);
		if (r == 0) {
			*nfiles = ir.files;
			ingest_result_free(&ir);
		}
	}
	free(set_path);
	if (r == 0)
		product_done(x, c->product);
	return r;
}

static bool
composer_url_ok(const struct fctx *x, const char *url)
{
	const char *base = source_base(x, "composer");
	char origin[256];
	size_t i;

	if (base)
		return strncmp(url, base, strlen(base)) == 0;
	if (strncmp(url, "https://", 8) != 0 || fetch_url_origin(url, origin, sizeof(origin)) < 0)
		return false;
	for (i = 0; i < ARRAY_SIZE(composer_hosts); i++)
		if (strcmp(origin, composer_hosts[i]) == 0)
			return true;
	return false;
}

static enum fres
fetch_one(struct fctx *x, const struct component *c)
{
	char *urls[2] = { NULL, NULL }, err[1024], when[32];
	bool sums[2] = { false, false };
	const char *base, *label = c->name;
	enum fres res = FR_NOTFOUND;
	size_t i, n = 0;

	switch (c->kind) {
	case CLAIM_WP_PLUGIN:
	case CLAIM_WP_THEME:
		if ((base = source_base(x, "wordpress")) == NULL)
			return FR_NOSOURCE;
		if (c->kind == CLAIM_WP_PLUGIN) {
			sums[n] = true;
			urls[n++] = xasprintf("%s/plugin-checksums/%s/%s.json", base, c->name, c->claimed);
		}
		urls[n++] = xasprintf("%s/%s/%s.%s.zip", base, c->kind == CLAIM_WP_PLUGIN ? "plugin" : "theme",
				      c->name, c->claimed);
		break;
	case CLAIM_NPM: {
		const char *slash = strchr(c->name, '/');

		if ((base = source_base(x, "npm")) == NULL || !claims_npm_name_ok(c->name))
			return FR_NOSOURCE;
		urls[n++] = xasprintf("%s/%s/-/%s-%s.tgz", base, c->name, slash ? slash + 1 : c->name,
				      c->claimed);
		break;
	}
	case CLAIM_COMPOSER:
		if (c->url[0] == '\0')
			return FR_NOSOURCE;
		if (!composer_url_ok(x, c->url)) {
			printf("%s %s (composer): dist URL %s is not https on an allowed host "
			       "(fetch.sources.composer names another): skipped\n", esc_name(label),
			       c->claimed, esc_name(c->url));
			return FR_NOSOURCE;
		}
		urls[n++] = xstrdup(c->url);
		break;
	default:
		return FR_NOSOURCE;
	}
	for (i = 0; i < n && res == FR_NOTFOUND; i++) {
		char *data = NULL;
		size_t len = 0, nfiles = 0;
		int64_t neg = cache_negative(x, urls[i]);
		int st;

		if (neg) {
			time_t t = (time_t)(neg + (int64_t)(x->ttl_ms / 1000));
			struct tm tm;

			strftime(when, sizeof(when), "%Y-%m-%dT%H:%MZ", gmtime_r(&t, &tm));
			printf("%s %s (%s): %s answered not found before: not asked again before %s\n",
			       esc_name(label), c->claimed, claims_kind_name(c->kind), urls[i], when);
			continue;
		}
		err[0] = '\0';
		st = fetch_get(x->f, urls[i], &data, &len, err, sizeof(err));
		if (st == 404 || st == 410) {
			cache_put(x, urls[i], st);
			printf("%s %s (%s): %s: not found (HTTP %d), remembered for %llu h\n",
			       esc_name(label), c->claimed, claims_kind_name(c->kind), urls[i], st,
			       (unsigned long long)(x->ttl_ms / 3600000));
			continue;
		}
		if (st < 200 || st > 299) {
			fprintf(stderr, "wsidctl: index fetch: %s %s: %s\n", esc_name(label), c->claimed,
				err[0] ? err : "failed");
			res = FR_FAILED;
			break;
		}
		if (take_answer(x, c, urls[i], sums[i], data, len, &nfiles, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: index fetch: %s %s: %s (nothing indexed)\n", esc_name(label),
				c->claimed, err);
			res = FR_FAILED;
		} else {
			cache_put(x, urls[i], 0);
			printf("%s %s (%s): %zu files from %s\n", esc_name(label), c->claimed,
			       claims_kind_name(c->kind), nfiles, urls[i]);
			res = FR_OK;
		}
		free(data);
	}
	for (i = 0; i < n; i++)
		free(urls[i]);
	return res;
}

/* ---- the releases a plugin has: WordPress.org's plugin information ---- */

static bool
releases_fresh(struct fctx *x, const char *product)
{
	sqlite3_stmt *q = NULL;
	bool fresh = false;

	if (sqlite3_prepare_v2(x->cache, "SELECT 1 FROM product_releases WHERE product=? AND checked_at>?",
			       -1, &q, NULL) != SQLITE_OK)
		return false;
	fresh = store_bind(q, "ti", product, now_unix() - RELEASES_TTL_S) == SQLITE_OK &&
		sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return fresh;
}

static int
releases_put(struct fctx *x, const char *product, const struct claims_releases *r, const char *url)
{
	sqlite3_stmt *q = NULL;
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, SIZE_MAX / 2);
	for (i = 0; i < r->n; i++)
		buf_printf(&b, "%s%s", i ? "\n" : "", r->v[i]);
	if (sqlite3_prepare_v2(x->cache, "INSERT OR REPLACE INTO product_releases VALUES(?,?,?,?,?)", -1,
			       &q, NULL) != SQLITE_OK) {
		buf_free(&b);
		return -EIO;
	}
	rc = -EIO;
	if (store_bind(q, "tttti", product, r->latest, b.len ? b.data : "", url, now_unix()) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(q);
	buf_free(&b);
	return rc;
}

/* A plugin's releases and its newest, for latest/outdated (`components`,
 * `sites`, `report`): asked once a day per plugin; a plugin WordPress.org does
 * not know is remembered like a 404. Failures are reported, not fatal: the
 * fingerprints are what the fetch is for. */
static void
ask_releases(struct fctx *x, const struct component *c)
{
	const char *base = source_base(x, "wpapi");
	struct claims_releases rel;
	char *url, *data = NULL, err[1024] = "";
	size_t len = 0;
	int st, r;

	if (c->kind != CLAIM_WP_PLUGIN || base == NULL || (!x->retry_negative && releases_fresh(x, c->product)))
		return;
	url = xasprintf("%s/plugins/info/1.2/?action=plugin_information&request[slug]=%s", base, c->name);
	if (cache_negative(x, url)) {
		free(url);
		return;
	}
	st = fetch_get(x->f, url, &data, &len, err, sizeof(err));
	r = st >= 200 && st <= 299 ? claims_wp_info(data, len, c->name, &rel, err, sizeof(err)) : -1;
	if (st == 404 || st == 410 || r == 0) {
		cache_put(x, url, st == 410 ? 410 : 404);
		printf("%s (plugin): %s: not in the plugin directory, remembered for %llu h\n", esc_name(c->name),
		       url, (unsigned long long)(x->ttl_ms / 3600000));
	} else if (st < 200 || st > 299) {
		fprintf(stderr, "wsidctl: index fetch: %s releases: %s\n", esc_name(c->name),
			err[0] ? err : "failed");
	} else if (r < 0) {
		fprintf(stderr, "wsidctl: index fetch: %s releases: %s: %s (not stored)\n", esc_name(c->name),
			url, err);
	} else if (releases_put(x, c->product, &rel, url) < 0) {
		fprintf(stderr, "wsidctl: index fetch: %s releases: cannot store them: %s\n",
			esc_name(c->name), sqlite3_errmsg(x->cache));
	} else {
		x->releases++;
		printf("%s (plugin): newest release %s, %zu releases listed, from %s\n", esc_name(c->name),
		       rel.latest, rel.n, url);
	}
	if (r == 1)
		claims_releases_free(&rel);
	free(data);
	free(url);
}

static bool
known_release(struct store *s, const struct component *c)
{
	sqlite3_stmt *q;
	bool known = false;

	if (s == NULL || (q = store_query(s, "SELECT 1 FROM versions v JOIN products p ON p.id=v.product_id "
					     "WHERE p.name=? AND v.version=?",
					  "tt", c->product, c->claimed)) == NULL)
		return false;
	known = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return known;
}

static int
index_products(struct fctx *x, struct store *s)
{
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	char err[1024];
	size_t i;
	int rc = 0;

	bo.dirs = &x->outdir;
	bo.ndirs = 1;
	for (i = 0; i < x->nproducts; i++) {
		bo.product = x->products[i];
		if (fpindex_build(s, &bo, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: index fetch: indexing %s failed: %s\n", x->products[i], err);
			rc = -EIO;
		}
	}
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: wsidctl index fetch [--unknown | --list FILE] [--source NAME=URL]... "
			"[--out DIR | --stage DIR]\n"
			"         [--timeout DURATION] [--max-size BYTES] [--interval DURATION] "
			"[--negative-ttl DURATION] [--retry-negative]\n"
			"         [--ca-file FILE]\n"
			"  NAME: wordpress (https://downloads.wordpress.org), npm "
			"(https://registry.npmjs.org), composer,\n"
			"        wpapi (https://api.wordpress.org: the releases of plugins)\n");
	return EXIT_USAGE;
}

int
ctl_index_fetch(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "unknown", no_argument, NULL, 'u' },         { "list", required_argument, NULL, 'l' },
		{ "source", required_argument, NULL, 's' },    { "out", required_argument, NULL, 'o' },
		{ "stage", required_argument, NULL, 'S' },     { "timeout", required_argument, NULL, 't' },
		{ "max-size", required_argument, NULL, 'm' },  { "interval", required_argument, NULL, 'i' },
		{ "negative-ttl", required_argument, NULL, 'n' },
		{ "retry-negative", no_argument, NULL, 'r' },  { "ca-file", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const struct config *cfg = env->cfg;
	struct fetch_opts fo = { .connect_timeout_ms = 15000, .timeout_ms = 300000,
				 .max_bytes = 64ull << 20, .interval_ms = 1000 };
	struct fctx x = { .outdir = DEFAULT_LOCAL_FP, .ttl_ms = FETCH_DEFAULT_TTL_MS };
	const char *list = NULL, *stage = NULL, *cli_src[FETCH_MAX_SOURCES];
	struct component_list l = { 0 };
	struct store *s = NULL;
	char err[1024] = "", *cachepath = NULL, *partdir = NULL;
	size_t ncli = 0, i;
	uint64_t u;
	int c, rc = EXIT_ERROR;

	if (cfg) {
		if (cfg->fetch_timeout_ms)
			fo.timeout_ms = cfg->fetch_timeout_ms;
		if (cfg->fetch_max_bytes)
			fo.max_bytes = cfg->fetch_max_bytes;
		if (cfg->fetch_interval_ms)
			fo.interval_ms = cfg->fetch_interval_ms;
		if (cfg->fetch_negative_ttl_ms)
			x.ttl_ms = cfg->fetch_negative_ttl_ms;
		fo.ca_file = cfg->fetch_ca_file;
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': break; /* the default */
		case 'l': list = optarg; break;
		case 's':
			if (ncli == FETCH_MAX_SOURCES)
				return usage();
			cli_src[ncli++] = optarg;
			break;
		case 'o': x.outdir = optarg; break;
		case 'S': stage = optarg; break;
		case 'r': x.retry_negative = true; break;
		case 'c': fo.ca_file = optarg; break;
		case 't':
		case 'i':
		case 'n':
			if (config_parse_duration(optarg, &u) < 0) {
				fprintf(stderr, "wsidctl index fetch: '%s': expected a duration such as "
						"500ms, 90s, 30m, 24h or 7d\n", esc_name(optarg));
				return EXIT_USAGE;
			}
			if (c == 't')
				fo.timeout_ms = u ? u : 1;
			else if (c == 'i')
				fo.interval_ms = u;
			else
				x.ttl_ms = u;
			break;
		case 'm':
			if (config_parse_size(optarg, &u) < 0 || u == 0) {
				fprintf(stderr, "wsidctl index fetch: '%s': expected a size such as 64M\n",
					esc_name(optarg));
				return EXIT_USAGE;
			}
			fo.max_bytes = u;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	/* per call over the configuration over the defaults */
	for (i = 0; i < ncli; i++)
		if (source_set(&x, cli_src[i], true) < 0) {
			fprintf(stderr, "wsidctl index fetch: --source '%s': expected NAME=URL, NAME one of "
					"wordpress, npm, composer, URL http(s)://...\n", esc_name(cli_src[i]));
			return EXIT_USAGE;
		}
	for (i = 0; cfg && i < cfg->nfetch_sources; i++)
		(void)source_set(&x, cfg->fetch_sources[i], false);
	(void)source_set(&x, "wordpress=https://downloads.wordpress.org", false);
	(void)source_set(&x, "npm=https://registry.npmjs.org", false);
	(void)source_set(&x, "wpapi=https://api.wordpress.org", false);
	if (fo.ca_file && access(fo.ca_file, R_OK) < 0) {
		fprintf(stderr, "wsidctl: index fetch: CA file %s: %s\n", esc_name(fo.ca_file), strerror(errno));
		return EXIT_ERROR;
	}

	if (list) {
		if (components_read_list(list, &l, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: index fetch: %s\n", err);
			return EXIT_ERROR;
		}
	} else if (components_collect(env, NULL, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: index fetch: %s (give --list FILE on a host without the "
				"daemon's database)\n", err);
		return EXIT_ERROR;
	}
	if (stage) {
		x.outdir = stage;
		if (mkdir(stage, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "wsidctl: index fetch: %s: %s\n", esc_name(stage), strerror(errno));
			goto out;
		}
		cachepath = xasprintf("%s/fetch.db", stage);
		partdir = xasprintf("%s/.partial", stage);
	} else {
		char err2[1024];

		if (store_open(env->db, STORE_CREATE, &s, err2, sizeof(err2)) < 0) {
			fprintf(stderr, "wsidctl: %s (an unprivileged fetch writes to --stage DIR)\n", err2);
			goto out;
		}
		cachepath = xstrdup(env->db);
		partdir = xasprintf("%s/.partial", x.outdir);
		if (mkdir(x.outdir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "wsidctl: index fetch: %s: %s\n", esc_name(x.outdir), strerror(errno));
			goto out;
		}
	}
	if (mkdir(partdir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "wsidctl: index fetch: %s: %s\n", esc_name(partdir), strerror(errno));
		goto out;
	}
	fo.partdir = partdir;
	if (cache_open(&x, cachepath, stage != NULL) < 0 || fetch_new(&fo, &x.f) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		const struct component *cp = &l.c[i];
		size_t k;

		if (!component_unknown(cp) || cp->claimed[0] == '\0')
			continue;
		for (k = 0; k < i; k++) /* the same release twice in a merged list */
			if (strcmp(l.c[k].product, cp->product) == 0 && strcmp(l.c[k].claimed, cp->claimed) == 0)
				break;
		if (k < i)
			continue;
		if (known_release(s, cp)) {
			x.skipped++;
			continue;
		}
		switch (fetch_one(&x, cp)) {
		case FR_OK: x.fetched++; break;
		case FR_NOTFOUND: x.missing++; break;
		case FR_FAILED: x.failed++; break;
		case FR_NOSOURCE:
			x.skipped++;
			break;
		}
	}
	for (i = 0; i < l.n; i++) {
		size_t k;

		for (k = 0; k < i && strcmp(l.c[k].product, l.c[i].product) != 0; k++)
			;
		if (k == i)
			ask_releases(&x, &l.c[i]);
	}
	rc = x.failed ? EXIT_ERROR : 0;
	if (s && x.nproducts && index_products(&x, s) < 0)
		rc = EXIT_ERROR;
	if (env->json) {
		struct buf b;
		struct json j;

		ctl_jout_begin(&b, &j);
		json_kv_int(&j, "fetched", x.fetched);
		json_kv_int(&j, "not_found", x.missing);
		json_kv_int(&j, "failed", x.failed);
		json_kv_int(&j, "skipped", x.skipped);
		json_kv_int(&j, "releases", x.releases);
		json_kv_str(&j, "sets", x.outdir);
		ctl_jout_end(&b, &j);
	} else {
		printf("index fetch: %u fetched, %u not found, %u failed, %u skipped, releases of %u "
		       "plugin%s; sets in %s%s\n",
		       x.fetched, x.missing, x.failed, x.skipped, x.releases, x.releases == 1 ? "" : "s", x.outdir,
		       stage && x.fetched ? " (index them as root: wsidctl index build --from DIR)" : "");
	}
out:
	if (s) {
		store_close(s);
		if (x.nproducts)
			ctl_tell_index_changed(env->socket);
	}
	if (x.cache)
		sqlite3_close(x.cache);
	fetch_free(x.f);
	for (i = 0; i < x.nproducts; i++)
		free(x.products[i]);
	free(x.products);
	free(cachepath);
	free(partdir);
	components_free(&l);
	return rc;
}
