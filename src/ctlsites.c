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
#include "statequery.h"
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
	c->s = s;
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

static int
release_add(void *ud, const char *version)
{
	struct releases *r = ud;

	r->v = xreallocarray(r->v, (size_t)r->n + 1, sizeof(char *));
	r->v[r->n++] = xstrdup(version);
	return 0;
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
	fpindex_versions_of(c->s, product, release_add, r);
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

struct sites_ctx {
	const struct ctl_env *env;
	struct release_cache rc;
	bool outdated, json;
	size_t listed;
};

static int
site_row(void *ud, const struct stateq_site *si)
{
	struct sites_ctx *c = ud;
	const struct ctl_env *env = c->env;
	const char *prod = si->product;
	const char *ver = si->version;
	const struct releases *r = releases_of(&c->rc, prod ? prod : "");
	struct release_state st;
	size_t plen;
	char *site = path_join(si->webspace, si->wslen, si->root, si->rootlen, &plen);

	release_state_of((const char *const *)r->v, r->n, ver ? ver : "", &st);
	if (c->outdated && strcmp(st.state, "outdated") != 0) {
		free(site);
		return 0;
	}
	c->listed++;
	if (c->json) {
		struct buf b;
		struct json j;
		char ts[32];

		ctl_jout_begin(&b, &j);
		json_kv_str(&j, "customer", si->customer);
		json_kv_name(&j, "webspace", si->webspace ? si->webspace : "", si->wslen);
		json_kv_name(&j, "root", site, plen);
		json_kv_str(&j, "product", prod);
		json_kv_str(&j, "kind", si->kind);
		json_kv_str(&j, "version", ver);
		json_kv_double(&j, "confidence", si->confidence);
		json_kv_str(&j, "state", st.state);
		json_kv_str(&j, "latest_version", st.latest);
		json_kv_str(&j, "latest_in_branch", st.branch_latest);
		json_kv_int(&j, "behind", st.behind);
		json_kv_str(&j, "mixed_with", si->mixed_with);
		json_kv_str(&j, "claimed_version", si->claimed_version);
		eventfmt_time(si->identified_at * 1000000000, ts, sizeof(ts));
		json_kv_str(&j, "identified_at", ts);
		ctl_jout_end(&b, &j);
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
		printf("%-12s ", esc_name(si->customer));
		print_escaped_padded(site, plen, 44);
		printf(" %-12s %-12s %4.0f%%  %s%-17s%s %s\n", prod ? prod : "?", ver ? ver : "?",
		       si->confidence * 100, col, state, env->color ? "\033[0m" : "",
		       st.latest ? st.latest : "?");
	}
	free(site);
	return 0;
}

int
ctl_sites(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "customer", required_argument, NULL, 'c' }, { "product", required_argument, NULL, 'p' },
		{ "outdated", no_argument, NULL, 'o' },       { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *customer = NULL, *product = NULL;
	struct sites_ctx sc = { .env = env, .json = env->json };
	struct store *s;
	int c, r;

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
			sc.outdated = true;
			break;
		case 'j':
			sc.json = true;
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
	release_cache_init(&sc.rc, s);
	if (!sc.json)
		printf("%-12s %-44s %-12s %-12s %5s  %-17s %s\n", "CUSTOMER", "SITE", "PRODUCT", "VERSION",
		       "CONF", "STATE", "NEWEST");
	r = stateq_sites(s, customer, product, site_row, &sc);
	release_cache_free(&sc.rc);
	store_close(s);
	if (r < 0)
		return EXIT_ERROR;
	/* monitoring: --outdated exits 1 when it lists anything */
	return sc.outdated && sc.listed ? EXIT_FINDINGS : 0;
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

struct report_ctx {
	struct release_cache rc;
	struct prod_count *pc;
	size_t npc, total;
};

static int
report_installation(void *ud, const char *prod, const char *kind, const char *ver)
{
	struct report_ctx *c = ud;
	const struct releases *r = releases_of(&c->rc, prod ? prod : "");
	struct release_state st;
	struct prod_count *p = NULL;
	char major[32];
	size_t ml, i, k;

	(void)kind;

	if (prod == NULL || ver == NULL)
		return 0;
	release_state_of((const char *const *)r->v, r->n, ver, &st);
	for (i = 0; i < c->npc; i++)
		if (strcmp(c->pc[i].product, prod) == 0)
			p = &c->pc[i];
	if (p == NULL) {
		c->pc = xreallocarray(c->pc, c->npc + 1, sizeof(*c->pc));
		p = &c->pc[c->npc++];
		memset(p, 0, sizeof(*p));
		p->product = xstrdup(prod);
	}
	p->total++;
	c->total++;
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
	return 0;
}

int
ctl_report(int argc, char **argv, const struct ctl_env *env)
{
	struct report_ctx c = { .npc = 0 };
	struct prod_count *pc = NULL;
	size_t npc = 0, i, k, total = 0;
	bool json = env->json;
	struct store *s;
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
	webspaces = stateq_webspaces_active(s);
	release_cache_init(&c.rc, s);
	stateq_installations(s, report_installation, &c);
	pc = c.pc;
	npc = c.npc;
	total = c.total;
	if (json) {
		struct buf b;
		struct json j;

		ctl_jout_begin(&b, &j);
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
		ctl_jout_end(&b, &j);
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
	release_cache_free(&c.rc);
	store_close(s);
	return 0;
}

/* ---- files ---- */

struct webspace_of_ctx {
	const char *path;
	size_t plen;
	int64_t ws;
	char *root;
	size_t rl;
};

static int
webspace_of_row(void *ud, int64_t id, const char *w, size_t wl, const char *customer)
{
	struct webspace_of_ctx *c = ud;

	(void)customer;
	if (w && wl <= c->plen && wl > c->rl && memcmp(w, c->path, wl) == 0 &&
	    (wl == c->plen || c->path[wl] == '/')) {
		free(c->root);
		c->root = xstrndup(w, wl);
		c->rl = wl;
		c->ws = id;
	}
	return 0;
}

/* the webspace holding an absolute path (the longest root that is a prefix of
 * it): its id (0: none) and root (malloc'ed) */
static int64_t
webspace_of(struct store *s, const char *path, size_t plen, bool active_only, char **root, size_t *rl)
{
	struct webspace_of_ctx c = { .path = path, .plen = plen };

	stateq_webspaces(s, active_only, webspace_of_row, &c);
	*root = c.root;
	*rl = c.rl;
	return c.ws;
}


struct files_ctx {
	bool json;
	const char *best;
	size_t bl, n;
};

static int
file_row_print(void *ud, const struct stateq_file *f)
{
	struct files_ctx *c = ud;
	char hex[65] = "-";
	struct analyse_result ar;
	bool analysed = f->analysed &&
			analyse_result_decode(f->an_findings ? f->an_findings : "", f->an_flen,
					      (enum analyse_verdict)f->an_verdict, &ar) == 0;
	size_t fl;
	char *full = path_join(c->best, c->bl, f->relpath, f->rlen, &fl);

	if (f->sha256)
		hex_encode(f->sha256, 32, hex);
	c->n++;
	if (c->json) {
		struct buf b;
		struct json j;
		char ts[32];

		ctl_jout_begin(&b, &j);
		json_kv_str(&j, "customer", f->customer);
		json_kv_name(&j, "webspace", c->best, c->bl);
		json_kv_name(&j, "path", full, fl);
		json_kv_str(&j, "verdict", f->verdict);
		json_kv_str(&j, "known", f->known);
		json_kv_str(&j, "status", f->status);
		json_kv_int(&j, "size", f->size);
		eventfmt_time(f->mtime_ns, ts, sizeof(ts));
		json_kv_str(&j, "mtime", ts);
		json_kv_int(&j, "mode", f->mode);
		json_kv_int(&j, "uid", f->uid);
		json_kv_str(&j, "sha256", hex[0] != '-' ? hex : NULL);
		json_kv_str(&j, "product", f->product);
		json_kv_str(&j, "version", f->version);
		eventfmt_time(f->updated_at * 1000000000, ts, sizeof(ts));
		json_kv_str(&j, "updated_at", ts);
		/* what the analysis found in this content (null: never analysed) */
		json_key(&j, "analysis");
		if (analysed) {
			json_obj_begin(&j);
			json_kv_str(&j, "verdict", analyse_verdict_name(ar.verdict));
			json_kv_str(&j, "rules_version", f->an_rules);
			analyse_findings_json(&j, &ar);
			json_obj_end(&j);
		} else {
			json_null(&j);
		}
		ctl_jout_end(&b, &j);
	} else {
		hex[12] = '\0';
		printf("%-16s %-14s %-10s %10lld  %-12s ",
		       f->verdict ? f->verdict : "?",
		       f->known ? f->known : "?",
		       f->status ? f->status : "?",
		       (long long)f->size, hex);
		print_escaped_padded(full, fl, 0);
		printf("\n");
		if (analysed && ar.verdict != ANALYSE_CLEAN) {
			char sum[512];

			analyse_result_summary(&ar, sum, sizeof(sum));
			printf("%-16s analysis: %s: %s\n", "", analyse_verdict_name(ar.verdict), sum);
		}
	}
	free(full);
	return 0;
}

int
ctl_files(int argc, char **argv, const struct ctl_env *env)
{
	bool json = env->json;
	const char *path = NULL;
	struct store *s;
	struct files_ctx fc = { .n = 0 };
	char *best = NULL;
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
	fc.json = json;
	fc.best = best;
	fc.bl = bl;
	if (!json)
		printf("%-16s %-14s %-10s %10s  %-12s %s\n", "VERDICT", "KNOWN", "STATUS", "SIZE", "SHA256",
		       "PATH");
	if (stateq_files(s, ws, rel, rl, file_row_print, &fc) < 0) {
		free(best);
		store_close(s);
		return EXIT_ERROR;
	}
	n = fc.n;
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
	for (i = 1; i < argc; i++) {
		int64_t id = strtoll(argv[i], NULL, 10);
		bool acked = false;
		int r = state_event_ack(s, id, now_unix(), &acked);

		if (r == -ENOENT) {
			fprintf(stderr, "wsidctl ack: no event %lld\n", (long long)id);
			rc = EXIT_FINDINGS;
		} else if (r < 0) {
			fprintf(stderr, "wsidctl ack: %s\n", sqlite3_errmsg(store_db(s)));
			rc = EXIT_ERROR;
		} else if (!env->json) {
			printf("event %lld %s\n", (long long)id, acked ? "was acknowledged already" : "acknowledged");
		}
	}
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
