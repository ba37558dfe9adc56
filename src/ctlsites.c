// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl sites, report, files, ack; see ctlverbs.h. All read the database
 * read-only except ack, which sets one column. */
#include "ctlverbs.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "eventfmt.h"
#include "fpindex.h"
#include "json.h"
#include "root.h"
#include "scan.h"
#include "state.h"
#include "store.h"
#include "util.h"

/* ---- release states ---- */

static bool
prerelease(const char *v)
{
	const char *dash = strchr(v, '-');

	return strcasestr(v, "alpha") || strcasestr(v, "beta") || strcasestr(v, "rc") ||
	       (dash != NULL && isalpha((unsigned char)dash[1]));
}

void
release_state_of(const char *const *versions, int nversions, const char *version,
		 struct release_state *out)
{
	char br[128], vb[128];
	bool found = false;
	int i;

	memset(out, 0, sizeof(*out));
	out->state = "unknown";
	version_branch(version, br, sizeof(br));
	for (i = 0; i < nversions; i++) {
		const char *v = versions[i];

		if (strcmp(v, version) == 0)
			found = true;
		if (prerelease(v))
			continue;
		if (out->latest == NULL || version_cmp(v, out->latest) > 0)
			out->latest = v;
		version_branch(v, vb, sizeof(vb));
		if (strcmp(vb, br) == 0 && (out->branch_latest == NULL || version_cmp(v, out->branch_latest) > 0))
			out->branch_latest = v;
		if (version_cmp(v, version) > 0)
			out->behind++;
	}
	if (!found)
		return;
	if (out->behind == 0)
		out->state = "latest";
	else if (out->branch_latest == NULL || version_cmp(out->branch_latest, version) <= 0)
		out->state = "latest-in-branch";
	else
		out->state = "outdated";
}

void
release_cache_init(struct release_cache *c, struct store *s)
{
	memset(c, 0, sizeof(*c));
	c->q = store_prepare(s, "SELECT v.version FROM versions v JOIN products p ON p.id=v.product_id "
				"WHERE p.name=?");
	c->q_listed = store_prepare(s, "SELECT latest || char(10) || versions FROM product_releases "
				       "WHERE product=?");
}

static void
releases_add(struct releases *r, const char *v, size_t len)
{
	int i;

	if (len == 0)
		return;
	for (i = 0; i < r->n; i++)
		if (strlen(r->v[i]) == len && memcmp(r->v[i], v, len) == 0)
			return;
	r->v = xreallocarray(r->v, (size_t)r->n + 1, sizeof(char *));
	r->v[r->n++] = xstrndup(v, len);
}

const struct releases *
releases_of(struct release_cache *c, const char *product)
{
	struct releases *r;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->p[i].product, product) == 0)
			return &c->p[i];
	c->p = xreallocarray(c->p, c->n + 1, sizeof(*c->p));
	r = &c->p[c->n++];
	memset(r, 0, sizeof(*r));
	r->product = xstrdup(product);
	if (c->q) {
		sqlite3_bind_text(c->q, 1, product, -1, SQLITE_STATIC);
		while (sqlite3_step(c->q) == SQLITE_ROW) {
			r->v = xreallocarray(r->v, (size_t)r->n + 1, sizeof(char *));
			r->v[r->n++] = xstrdup((const char *)sqlite3_column_text(c->q, 0));
		}
		sqlite3_reset(c->q);
	}
	if (c->q_listed) {
		sqlite3_bind_text(c->q_listed, 1, product, -1, SQLITE_STATIC);
		if (sqlite3_step(c->q_listed) == SQLITE_ROW && sqlite3_column_text(c->q_listed, 0)) {
			const char *l = (const char *)sqlite3_column_text(c->q_listed, 0), *nl;

			for (; (nl = strchr(l, '\n')) != NULL; l = nl + 1)
				releases_add(r, l, (size_t)(nl - l));
			releases_add(r, l, strlen(l));
		}
		sqlite3_reset(c->q_listed);
	}
	return r;
}

void
release_cache_free(struct release_cache *c)
{
	size_t i;
	int k;

	for (i = 0; i < c->n; i++) {
		for (k = 0; k < c->p[i].n; k++)
			free(c->p[i].v[k]);
		free(c->p[i].v);
		free(c->p[i].product);
	}
	free(c->p);
	sqlite3_finalize(c->q);
	sqlite3_finalize(c->q_listed);
}

static int
open_ro(const struct ctl_env *env, struct store **s)
{
	char err[1024];

	if (store_open(env->db, STORE_RDONLY, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return -1;
	}
	return 0;
}

static void
print_escaped_padded(const char *s, size_t n, int width)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_put_escaped(&b, s, n);
	printf("%-*s", width, b.data ? b.data : "");
	buf_free(&b);
}

/* ---- sites ---- */

#define SITES_SELECT                                                                            \
	"SELECT w.customer, w.path, i.root, i.product, i.kind, i.version, i.confidence, "      \
	"i.mixed_with, i.claimed_version, i.identified_at FROM installations i JOIN webspaces w " \
	"ON w.id=i.webspace_id WHERE (?1 IS NULL OR w.customer=?1) AND (?2 IS NULL OR "          \
	"i.product=?2) ORDER BY w.customer, w.path, i.root"

int
ctl_sites(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "customer", required_argument, NULL, 'c' }, { "product", required_argument, NULL, 'p' },
		{ "outdated", no_argument, NULL, 'o' },       { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *customer = NULL, *product = NULL;
	bool outdated = false, json = env->json;
	struct release_cache rc = { NULL, 0, NULL, NULL };
	struct store *s;
	sqlite3_stmt *q;
	size_t listed = 0;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			customer = optarg;
			break;
		case 'p':
			product = optarg;
			break;
		case 'o':
			outdated = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wsidctl sites: unexpected argument '%s'\n", esc_name(argv[optind]));
		return EXIT_USAGE;
	}
	if (open_ro(env, &s) < 0)
		return EXIT_ERROR;
	q = store_prepare(s, SITES_SELECT);
	release_cache_init(&rc, s);
	if (q == NULL) {
		store_close(s);
		return EXIT_ERROR;
	}
	if (customer)
		sqlite3_bind_text(q, 1, customer, -1, SQLITE_STATIC);
	if (product)
		sqlite3_bind_text(q, 2, product, -1, SQLITE_STATIC);
	if (!json)
		printf("%-12s %-44s %-12s %-12s %5s  %-17s %s\n", "CUSTOMER", "SITE", "PRODUCT", "VERSION",
		       "CONF", "STATE", "NEWEST");
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *prod = (const char *)sqlite3_column_text(q, 3);
		const char *ver = (const char *)sqlite3_column_text(q, 5);
		const struct releases *r = releases_of(&rc, prod ? prod : "");
		struct release_state st;
		size_t plen;
		char *site = path_join(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
				       sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2), &plen);

		release_state_of((const char *const *)r->v, r->n, ver ? ver : "", &st);
		if (outdated && strcmp(st.state, "outdated") != 0) {
			free(site);
			continue;
		}
		listed++;
		if (json) {
			struct buf b;
			struct json j;
			char ts[32];

			buf_init(&b, 1 << 20);
			json_init(&j, &b);
			json_obj_begin(&j);
			json_kv_str(&j, "customer", (const char *)sqlite3_column_text(q, 0));
			json_kv_name(&j, "webspace", sqlite3_column_blob(q, 1) ? sqlite3_column_blob(q, 1) : "",
				     (size_t)sqlite3_column_bytes(q, 1));
			json_kv_name(&j, "root", site, plen);
			json_kv_str(&j, "product", prod);
			json_kv_str(&j, "kind", (const char *)sqlite3_column_text(q, 4));
			json_kv_str(&j, "version", ver);
			json_kv_double(&j, "confidence", sqlite3_column_double(q, 6));
			json_kv_str(&j, "state", st.state);
			json_kv_str(&j, "latest_version", st.latest);
			json_kv_str(&j, "latest_in_branch", st.branch_latest);
			json_kv_int(&j, "behind", st.behind);
			json_kv_str(&j, "mixed_with", (const char *)sqlite3_column_text(q, 7));
			json_kv_str(&j, "claimed_version", (const char *)sqlite3_column_text(q, 8));
			eventfmt_time(sqlite3_column_int64(q, 9) * 1000000000, ts, sizeof(ts));
			json_kv_str(&j, "identified_at", ts);
			json_obj_end(&j);
			printf("%s\n", b.data);
			buf_free(&b);
		} else {
			char state[64];
			const char *col = "";

			if (strcmp(st.state, "outdated") == 0)
				snprintf(state, sizeof(state), "outdated (-%d)", st.behind);
			else
				snprintf(state, sizeof(state), "%s", st.state);
			if (env->color)
				col = strcmp(st.state, "latest") == 0 ? "\033[32m"
				      : strcmp(st.state, "outdated") == 0 ? "\033[31m" : "\033[33m";
			printf("%-12s ", esc_name((const char *)sqlite3_column_text(q, 0)));
			print_escaped_padded(site, plen, 44);
			printf(" %-12s %-12s %4.0f%%  %s%-17s%s %s\n", prod ? prod : "?", ver ? ver : "?",
			       sqlite3_column_double(q, 6) * 100, col, state, env->color ? "\033[0m" : "",
			       st.latest ? st.latest : "?");
		}
		free(site);
	}
	sqlite3_finalize(q);
	release_cache_free(&rc);
	store_close(s);
	/* monitoring: --outdated exits 1 when it lists anything */
	return outdated && listed ? EXIT_FINDINGS : 0;
}

/* ---- report ---- */

struct prod_count {
	char *product;
	size_t total, latest, branch, outdated, unknown;
	struct {
		char major[32];
		size_t n;
	} majors[64];
	size_t nmajors;
};

int
ctl_report(int argc, char **argv, const struct ctl_env *env)
{
	struct release_cache rc = { NULL, 0, NULL, NULL };
	struct prod_count *pc = NULL;
	size_t npc = 0, i, k, total = 0;
	bool json = env->json;
	struct store *s;
	sqlite3_stmt *q;
	int64_t webspaces = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else {
			fprintf(stderr, "wsidctl report: unexpected argument '%s'\n", esc_name(argv[i]));
			return EXIT_USAGE;
		}
	}
	if (open_ro(env, &s) < 0)
		return EXIT_ERROR;
	q = store_prepare(s, "SELECT count(*) FROM webspaces WHERE active=1");
	if (q && sqlite3_step(q) == SQLITE_ROW)
		webspaces = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = store_prepare(s, "SELECT product, version FROM installations ORDER BY product");
	release_cache_init(&rc, s);
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		const char *prod = (const char *)sqlite3_column_text(q, 0);
		const char *ver = (const char *)sqlite3_column_text(q, 1);
		const struct releases *r = releases_of(&rc, prod ? prod : "");
		struct release_state st;
		struct prod_count *p = NULL;
		char major[32];
		size_t ml;

		if (prod == NULL || ver == NULL)
			continue;
		release_state_of((const char *const *)r->v, r->n, ver, &st);
		for (i = 0; i < npc; i++)
			if (strcmp(pc[i].product, prod) == 0)
				p = &pc[i];
		if (p == NULL) {
			pc = xreallocarray(pc, npc + 1, sizeof(*pc));
			p = &pc[npc++];
			memset(p, 0, sizeof(*p));
			p->product = xstrdup(prod);
		}
		p->total++;
		total++;
		if (strcmp(st.state, "latest") == 0)
			p->latest++;
		else if (strcmp(st.state, "latest-in-branch") == 0)
			p->branch++;
		else if (strcmp(st.state, "outdated") == 0)
			p->outdated++;
		else
			p->unknown++;
		ml = strcspn(ver, ".-");
		snprintf(major, sizeof(major), "%.*s", (int)(ml < 31 ? ml : 31), ver);
		for (k = 0; k < p->nmajors && strcmp(p->majors[k].major, major) != 0; k++)
			;
		if (k == p->nmajors && p->nmajors < 64) {
			snprintf(p->majors[k].major, sizeof(p->majors[k].major), "%s", major);
			p->nmajors++;
		}
		if (k < p->nmajors)
			p->majors[k].n++;
	}
	sqlite3_finalize(q);
	if (json) {
		struct buf b;
		struct json j;

		buf_init(&b, 16u << 20);
		json_init(&j, &b);
		json_obj_begin(&j);
		json_kv_int(&j, "webspaces", webspaces);
		json_kv_int(&j, "installations", (int64_t)total);
		json_key(&j, "products");
		json_arr_begin(&j);
		for (i = 0; i < npc; i++) {
			json_obj_begin(&j);
			json_kv_str(&j, "product", pc[i].product);
			json_kv_int(&j, "installations", (int64_t)pc[i].total);
			json_key(&j, "states");
			json_obj_begin(&j);
			json_kv_int(&j, "latest", (int64_t)pc[i].latest);
			json_kv_int(&j, "latest-in-branch", (int64_t)pc[i].branch);
			json_kv_int(&j, "outdated", (int64_t)pc[i].outdated);
			json_kv_int(&j, "unknown", (int64_t)pc[i].unknown);
			json_obj_end(&j);
			json_key(&j, "majors");
			json_obj_begin(&j);
			for (k = 0; k < pc[i].nmajors; k++)
				json_kv_int(&j, pc[i].majors[k].major, (int64_t)pc[i].majors[k].n);
			json_obj_end(&j);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		printf("%s\n", b.data);
		buf_free(&b);
	} else {
		printf("%lld webspaces, %zu installations\n", (long long)webspaces, total);
		for (i = 0; i < npc; i++) {
			double t = (double)pc[i].total;

			printf("\n%s: %zu installation%s\n", pc[i].product, pc[i].total, pc[i].total == 1 ? "" : "s");
			printf("  latest %.0f%%, latest in its branch %.0f%%, outdated %.0f%%", 100 * (double)pc[i].latest / t,
			       100 * (double)pc[i].branch / t, 100 * (double)pc[i].outdated / t);
			if (pc[i].unknown)
				printf(", unknown %.0f%%", 100 * (double)pc[i].unknown / t);
			printf("\n  by major version:");
			for (k = 0; k < pc[i].nmajors; k++)
				printf("%s %s.x %.0f%%", k ? "," : "", pc[i].majors[k].major,
				       100 * (double)pc[i].majors[k].n / t);
			printf("\n");
		}
	}
	for (i = 0; i < npc; i++)
		free(pc[i].product);
	free(pc);
	release_cache_free(&rc);
	store_close(s);
	return 0;
}

/* ---- files ---- */

/* the webspace holding an absolute path (the longest root that is a prefix of
 * it): its id (0: none) and root (malloc'ed) */
static int64_t
webspace_of(struct store *s, const char *path, size_t plen, bool active_only, char **root, size_t *rl)
{
	sqlite3_stmt *q = store_prepare(s, active_only ? "SELECT id, path FROM webspaces WHERE active=1"
						     : "SELECT id, path FROM webspaces");
	int64_t ws = 0;

	*root = NULL;
	*rl = 0;
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		size_t wl = (size_t)sqlite3_column_bytes(q, 1);
		const char *w = sqlite3_column_blob(q, 1);

		if (w && wl <= plen && wl > *rl && memcmp(w, path, wl) == 0 && (wl == plen || path[wl] == '/')) {
			free(*root);
			*root = xstrndup(w, wl);
			*rl = wl;
			ws = sqlite3_column_int64(q, 0);
		}
	}
	sqlite3_finalize(q);
	return ws;
}


int
ctl_files(int argc, char **argv, const struct ctl_env *env)
{
	bool json = env->json;
	const char *path = NULL;
	struct store *s;
	sqlite3_stmt *q;
	char *best = NULL, *lo = NULL, *hi = NULL;
	size_t plen, bl = 0, rl, n = 0;
	int64_t ws = 0;
	const char *rel;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (path == NULL)
			path = argv[i];
		else {
			fprintf(stderr, "wsidctl files: one PATH\n");
			return EXIT_USAGE;
		}
	}
	if (path == NULL || path[0] != '/') {
		fprintf(stderr, "wsidctl files: give an absolute PATH (a file or a directory in a webspace)\n");
		return EXIT_USAGE;
	}
	plen = strlen(path);
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (open_ro(env, &s) < 0)
		return EXIT_ERROR;
	ws = webspace_of(s, path, plen, false, &best, &bl);
	if (best == NULL) {
		fprintf(stderr, "wsidctl files: %s is in no webspace the daemon knows\n", esc_name(path));
		store_close(s);
		return EXIT_FINDINGS;
	}
	rel = bl < plen ? path + bl + 1 : "";
	rl = bl < plen ? plen - bl - 1 : 0;
	q = store_prepare(s, "SELECT f.relpath, f.verdict, f.known, f.status, f.size, f.mtime_ns, f.mode, "
			     "f.uid, f.sha256, i.product, i.version, f.updated_at, w.customer, a.verdict, "
			     "a.findings, a.rules_version FROM files f "
			     "JOIN webspaces w ON w.id=f.webspace_id LEFT JOIN installations i ON "
			     "i.id=f.installation_id LEFT JOIN analysis a ON a.sha256=f.sha256 WHERE f.webspace_id=?1 AND (f.relpath=?2 OR ?5 OR "
			     "(f.relpath>=?3 AND f.relpath<?4)) ORDER BY f.relpath");
	if (q == NULL) {
		free(best);
		store_close(s);
		return EXIT_ERROR;
	}
	lo = xmalloc(rl + 2);
	memcpy(lo, rel, rl);
	lo[rl] = '/';
	hi = xmalloc(rl + 2);
	memcpy(hi, rel, rl);
	hi[rl] = '/' + 1;
	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, rel, (int)rl, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, lo, (int)rl + 1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, hi, (int)rl + 1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, rl == 0);
	if (!json)
		printf("%-16s %-14s %-10s %10s  %-12s %s\n", "VERDICT", "KNOWN", "STATUS", "SIZE", "SHA256",
		       "PATH");
	while (sqlite3_step(q) == SQLITE_ROW) {
		char hex[65] = "-";
		struct analyse_result ar;
		bool analysed = sqlite3_column_type(q, 13) != SQLITE_NULL &&
				analyse_result_decode(sqlite3_column_text(q, 14) ? (const char *)sqlite3_column_text(q, 14) : "",
						      (size_t)sqlite3_column_bytes(q, 14),
						      (enum analyse_verdict)sqlite3_column_int(q, 13), &ar) == 0;
		size_t fl;
		char *full = path_join(best, bl, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0), &fl);

		if (sqlite3_column_bytes(q, 8) == 32)
			hex_encode(sqlite3_column_blob(q, 8), 32, hex);
		n++;
		if (json) {
			struct buf b;
			struct json j;
			char ts[32];

			buf_init(&b, 1 << 20);
			json_init(&j, &b);
			json_obj_begin(&j);
			json_kv_str(&j, "customer", (const char *)sqlite3_column_text(q, 12));
			json_kv_name(&j, "webspace", best, bl);
			json_kv_name(&j, "path", full, fl);
			json_kv_str(&j, "verdict", (const char *)sqlite3_column_text(q, 1));
			json_kv_str(&j, "known", (const char *)sqlite3_column_text(q, 2));
			json_kv_str(&j, "status", (const char *)sqlite3_column_text(q, 3));
			json_kv_int(&j, "size", sqlite3_column_int64(q, 4));
			eventfmt_time(sqlite3_column_int64(q, 5), ts, sizeof(ts));
			json_kv_str(&j, "mtime", ts);
			json_kv_int(&j, "mode", sqlite3_column_int64(q, 6));
			json_kv_int(&j, "uid", sqlite3_column_int64(q, 7));
			json_kv_str(&j, "sha256", hex[0] != '-' ? hex : NULL);
			json_kv_str(&j, "product", (const char *)sqlite3_column_text(q, 9));
			json_kv_str(&j, "version", (const char *)sqlite3_column_text(q, 10));
			eventfmt_time(sqlite3_column_int64(q, 11) * 1000000000, ts, sizeof(ts));
			json_kv_str(&j, "updated_at", ts);
			/* what the analysis found in this content (null: never analysed) */
			json_key(&j, "analysis");
			if (analysed) {
				json_obj_begin(&j);
				json_kv_str(&j, "verdict", analyse_verdict_name(ar.verdict));
				json_kv_str(&j, "rules_version", (const char *)sqlite3_column_text(q, 15));
				analyse_findings_json(&j, &ar);
				json_obj_end(&j);
			} else {
				json_null(&j);
			}
			json_obj_end(&j);
			printf("%s\n", b.data);
			buf_free(&b);
		} else {
			hex[12] = '\0';
			printf("%-16s %-14s %-10s %10lld  %-12s ",
			       sqlite3_column_text(q, 1) ? (const char *)sqlite3_column_text(q, 1) : "?",
			       sqlite3_column_text(q, 2) ? (const char *)sqlite3_column_text(q, 2) : "?",
			       sqlite3_column_text(q, 3) ? (const char *)sqlite3_column_text(q, 3) : "?",
			       (long long)sqlite3_column_int64(q, 4), hex);
			print_escaped_padded(full, fl, 0);
			printf("\n");
			if (analysed && ar.verdict != ANALYSE_CLEAN) {
				char sum[512];

				analyse_result_summary(&ar, sum, sizeof(sum));
				printf("%-16s analysis: %s: %s\n", "", analyse_verdict_name(ar.verdict), sum);
			}
		}
		free(full);
	}
	sqlite3_finalize(q);
	free(lo);
	free(hi);
	free(best);
	store_close(s);
	if (n == 0) {
		fprintf(stderr, "wsidctl files: nothing known at %s\n", esc_name(path));
		return EXIT_FINDINGS;
	}
	return 0;
}

/* ---- ack ---- */

int
ctl_ack(int argc, char **argv, const struct ctl_env *env)
{
	struct store *s;
	sqlite3_stmt *q;
	char err[1024];
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: wsidctl ack EVENT-ID...\n");
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		char *end;

		errno = 0;
		if (strtoll(argv[i], &end, 10) <= 0 || *end || errno) {
			fprintf(stderr, "wsidctl ack: '%s' is not an event id\n", esc_name(argv[i]));
			return EXIT_USAGE;
		}
	}
	if (store_open(env->db, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	/* an aggregate is acknowledged with its members */
	q = store_prepare(s, "UPDATE events SET acked_at=?2 WHERE (id=?1 OR parent_id=?1) AND acked_at IS NULL");
	for (i = 1; q && i < argc; i++) {
		int64_t id = strtoll(argv[i], NULL, 10);
		sqlite3_stmt *e = store_prepare(s, "SELECT acked_at FROM events WHERE id=?");
		bool exists = false, acked = false;

		if (e) {
			sqlite3_bind_int64(e, 1, id);
			if (sqlite3_step(e) == SQLITE_ROW) {
				exists = true;
				acked = sqlite3_column_type(e, 0) != SQLITE_NULL;
			}
			sqlite3_finalize(e);
		}
		if (!exists) {
			fprintf(stderr, "wsidctl ack: no event %lld\n", (long long)id);
			rc = EXIT_FINDINGS;
			continue;
		}
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, now_unix());
		if (sqlite3_step(q) != SQLITE_DONE) {
			fprintf(stderr, "wsidctl ack: %s\n", sqlite3_errmsg(store_db(s)));
			rc = EXIT_ERROR;
		} else if (!env->json) {
			printf("event %lld %s\n", (long long)id, acked ? "was acknowledged already" : "acknowledged");
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	store_close(s);
	return rc;
}

/* ---- scan through the daemon: its stored state as a scan tree ---- */

struct tree_ctx {
	struct scan_tree *t;
	struct fpindex_lookup *lk;
	size_t skip; /* bytes of relpath before the tree's own paths */
};

static int
tree_row(void *ud, const struct file_row *row)
{
	struct tree_ctx *c = ud;

	if (row->rlen <= c->skip)
		return 0;
	scan_tree_add_known(c->t, c->lk, row->relpath + c->skip, row->rlen - c->skip,
			    row->has_sha ? row->sha256 : NULL, row->size);
	return 0;
}

int
ctl_tree_from_state(struct store *s, const char *path, struct scan_tree **ret)
{
	size_t plen = strlen(path), rl;
	struct state *st = NULL;
	struct tree_ctx c;
	struct root_id id;
	char *root;
	int64_t ws;
	int r;

	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	*ret = NULL;
	if (path[0] != '/' || (ws = webspace_of(s, path, plen, true, &root, &rl)) == 0)
		return -ENOENT;
	free(root);
	if ((r = state_open(s, &st)) < 0)
		return r;
	memset(&c, 0, sizeof(c));
	root = xstrndup(path, plen);
	c.t = scan_tree_new(root);
	free(root);
	/* version files are read beneath it, reached as discovery reaches a
	 * webspace (root.h) */
	if (root_resolve(c.t->root, &c.t->rootfd, &root, &id, NULL) == 0)
		free(root);
	else
		c.t->rootfd = -1;
	fpindex_lookup_on(s, &c.lk);
	c.skip = rl < plen ? plen - rl : 0; /* "dir/" below the webspace root */
	r = state_files_under(st, ws, rl < plen ? path + rl + 1 : "",
			      rl < plen ? plen - rl - 1 : 0, tree_row, &c);
	fpindex_lookup_free(c.lk);
	state_free(st);
	if (r < 0) {
		scan_tree_free(c.t);
		return r;
	}
	*ret = c.t;
	return 0;
}
