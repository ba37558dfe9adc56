// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl components: every plugin, theme and package on the node, what it
 * claims to be, what the hashes identified, whether it is outdated; see
 * components.h. Reads the daemon's database beside it (WAL) and the claim
 * files beneath each webspace root. */
#include "components.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fpindex.h"
#include "fpset.h"
#include "ctlverbs.h"
#include "hash.h"
#include "json.h"
#include "jsonparse.h"
#include "statequery.h"
#include "store.h"
#include "util.h"

static const char *const default_dirs[] = { "wp-content/plugins", "wp-content/themes",
					     "wp-content/mu-plugins" };

/* a claim found in one webspace, before merging */
struct found {
	int64_t ws;
	struct claim c;
	int prio;          /* header 2, readme 1 */
	int64_t covered;   /* installation id whose release holds the claim file, or 0 */
};

struct inst {
	int64_t id, ws;
	char *root;
	size_t rlen;
	char product[65], version[65];
};

struct collect {
	struct found *f;
	size_t n, alloc;
	struct inst *in;
	size_t nin;
};

static void
found_add(struct collect *cl, int64_t ws, const struct claim *c, int prio, int64_t covered)
{
	size_t i;

	/* one claim per (webspace, component directory): the header wins */
	for (i = cl->n; i-- > 0 && cl->f[i].ws == ws;) {
		if (strcmp(cl->f[i].c.root, c->root) != 0 || cl->f[i].c.kind != c->kind)
			continue;
		if (prio > cl->f[i].prio) {
			cl->f[i].c = *c;
			cl->f[i].prio = prio;
		}
		if (covered)
			cl->f[i].covered = covered;
		return;
	}
	if (cl->n == cl->alloc) {
		cl->alloc = cl->alloc ? cl->alloc * 2 : 64;
		cl->f = xreallocarray(cl->f, cl->alloc, sizeof(*cl->f));
	}
	cl->f[cl->n].ws = ws;
	cl->f[cl->n].c = *c;
	cl->f[cl->n].prio = prio;
	cl->f[cl->n].covered = covered;
	cl->n++;
}

/* reads a webspace file beneath its root, at most cap bytes (more: refused) */
static int
read_beneath(int rootfd, const char *relpath, size_t cap, char **ret, size_t *ret_len)
{
	struct stat st;
	char *data;
	size_t off = 0;
	int fd, r = 0;

	if ((fd = hash_open_beneath(rootfd, relpath)) < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > cap) {
		close(fd);
		return -EINVAL;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, data + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(data);
		return r;
	}
	data[off] = '\0';
	*ret = data;
	*ret_len = off;
	return 0;
}

struct comp_ud {
	struct collect *cl;
	int64_t ws;
};

static int
composer_cb(void *ud, const struct claim *c)
{
	struct comp_ud *u = ud;

	found_add(u->cl, u->ws, c, 2, 0);
	return 0;
}

/* the claim of one file, added to cl */
static void
claim_file(struct collect *cl, int64_t ws, int rootfd, const char *wspath, const char *rp,
	   size_t rlen, enum claim_file cf, size_t root_len, int64_t covered)
{
	struct claim c;
	char err[256] = "", *data = NULL;
	const char *base;
	size_t len = 0, skipped = 0;
	int r, prio = 2;

	memset(&c, 0, sizeof(c));
	if (root_len >= sizeof(c.root))
		return;
	if (read_beneath(rootfd, rp, cf == CLAIM_FILE_COMPOSER ? CLAIMS_MAX_FILE : 1u << 20, &data,
			 &len) < 0)
		return;
	memcpy(c.root, rp, root_len);
	c.root[root_len] = '\0';
	base = strrchr(c.root, '/');
	base = base ? base + 1 : c.root;
	switch (cf) {
	case CLAIM_FILE_WP_PHP:
		c.kind = CLAIM_WP_PLUGIN;
		r = claims_wp_plugin_file(data, len, &c, err, sizeof(err));
		break;
	case CLAIM_FILE_WP_README:
		c.kind = CLAIM_WP_PLUGIN;
		prio = 1;
		r = claims_wp_readme(data, len, &c, err, sizeof(err));
		break;
	case CLAIM_FILE_WP_STYLE:
		c.kind = CLAIM_WP_THEME;
		r = claims_wp_style(data, len, &c, err, sizeof(err));
		break;
	case CLAIM_FILE_NPM:
		c.kind = CLAIM_NPM;
		r = claims_npm_package(data, len, &c, err, sizeof(err));
		break;
	case CLAIM_FILE_JOOMLA:
		c.kind = CLAIM_JOOMLA;
		r = claims_joomla_manifest(data, len, &c, err, sizeof(err));
		break;
	case CLAIM_FILE_DRUPAL:
		c.kind = CLAIM_DRUPAL;
		r = claims_drupal_info(data, len, &c, err, sizeof(err));
		break;
	case CLAIM_FILE_COMPOSER: {
		struct comp_ud u = { cl, ws };

		r = claims_composer_installed(data, len, c.root, composer_cb, &u, &skipped, err,
					      sizeof(err));
		if (r < 0)
			fprintf(stderr, "wsidctl: components: %s/%s: %s\n", esc_name(wspath), esc_name(rp),
				err);
		free(data);
		return;
	}
	default:
		r = 0;
	}
	free(data);
	if (r < 0) {
		fprintf(stderr, "wsidctl: components: %s/%s: %s (ignored)\n", esc_name(wspath),
			esc_name(rp), err);
		return;
	}
	if (c.kind != CLAIM_NPM) {
		if (strlen(base) >= sizeof(c.name))
			return;
		memcpy(c.name, base, strlen(base) + 1);
	}
	if (claims_product(c.kind, c.name, c.product, sizeof(c.product)) < 0)
		return; /* a directory name that cannot be a product: nothing to fetch */
	if (r == 0)
		c.version[0] = '\0';
	(void)rlen;
	found_add(cl, ws, &c, r == 1 ? prio : 0, covered);
}

struct inst_key {
	int64_t ws;
	const char *root;
	size_t rlen;
};

static int
cmp_inst_key(const void *k, const void *e)
{
	const struct inst_key *a = k;
	const struct inst *b = e;

	if (a->ws != b->ws)
		return a->ws < b->ws ? -1 : 1;
	return bytes_cmp(a->root, a->rlen, b->root, b->rlen);
}

/* the installation at (webspace, root): cl->in is sorted by both */
static const struct inst *
inst_at(const struct collect *cl, int64_t ws, const char *root)
{
	struct inst_key k = { ws, root, strlen(root) };

	return cl->nin ? bsearch(&k, cl->in, cl->nin, sizeof(*cl->in), cmp_inst_key) : NULL;
}

static int
cmp_inst_id(const void *a, const void *b)
{
	const struct inst *const *x = a, *const *y = b;

	return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

static const struct inst *
inst_by_id(const struct inst *const *by_id, size_t n, int64_t id)
{
	struct inst k = { .id = id };
	const struct inst *kp = &k, *const *r;

	r = n ? bsearch(&kp, by_id, n, sizeof(*by_id), cmp_inst_id) : NULL;
	return r ? *r : NULL;
}

struct inst_load {
	struct collect *cl;
	size_t alloc;
};

static int
inst_row(void *ud, const struct stateq_inst *r)
{
	struct inst_load *l = ud;
	struct collect *cl = l->cl;
	struct inst *in;

	if (cl->nin == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		cl->in = xreallocarray(cl->in, l->alloc, sizeof(*cl->in));
	}
	in = &cl->in[cl->nin++];
	in->id = r->id;
	in->ws = r->webspace_id;
	in->rlen = r->rootlen;
	in->root = xstrndup(r->root ? r->root : "", in->rlen);
	snprintf(in->product, sizeof(in->product), "%s", r->product);
	snprintf(in->version, sizeof(in->version), "%s", r->version);
	return 0;
}

static void
load_installations(struct store *s, struct collect *cl)
{
	struct inst_load l = { cl, 0 };

	stateq_installation_rows(s, inst_row, &l);
}

/* one webspace's walk of its files (components_collect) */
struct ws_walk {
	struct collect *cl;
	struct store *s;
	const char *const *dirs;
	size_t ndirs;
	int64_t ws;
	int rootfd;
	const char *wspath;
};

static int
ws_file(void *ud, const char *rp, size_t rlen, const char *st, int64_t installation_id)
{
	struct ws_walk *w = ud;
	size_t root_len = 0;
	enum claim_file cf;
	char *p;

	/* known: the claim file is content of the enclosing release */
	if (rp == NULL || memchr(rp, '\0', rlen) != NULL)
		return 0;
	cf = claims_locate(rp, rlen, w->dirs, w->ndirs, &root_len);
	if (cf == CLAIM_FILE_NONE)
		return 0;
	p = xstrndup(rp, rlen);
	claim_file(w->cl, w->ws, w->rootfd, w->wspath, p, rlen, cf, root_len,
		   st && (strcmp(st, "release") == 0 || strcmp(st, "other-version") == 0) ? installation_id : 0);
	free(p);
	return 0;
}

static int
ws_row(void *ud, int64_t ws, const char *path, size_t len, const char *customer)
{
	struct ws_walk *w = ud;
	char *wspath = xstrndup(path ? path : "", len);
	int rootfd = open(wspath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	(void)customer;
	if (rootfd < 0) {
		fprintf(stderr, "wsidctl: components: %s: %s (skipped)\n", esc_name(wspath), strerror(errno));
		free(wspath);
		return 0;
	}
	w->ws = ws;
	w->rootfd = rootfd;
	w->wspath = wspath;
	r = stateq_files_known(w->s, ws, ws_file, w);
	close(rootfd);
	free(wspath);
	return r;
}

static void
comp_merge(struct component_list *l, const struct found *f, const struct inst *id, int64_t *last_ws)
{
	struct component *c;
	size_t i;

	for (i = 0; i < l->n; i++) {
		c = &l->c[i];
		if (c->kind == f->c.kind && strcmp(c->product, f->c.product) == 0 &&
		    strcmp(c->claimed, f->c.version) == 0 &&
		    strcmp(c->ident_product, id ? id->product : "") == 0 &&
		    strcmp(c->ident_version, id ? id->version : "") == 0) {
			if (last_ws[i] != f->ws)
				c->webspaces++;
			last_ws[i] = f->ws;
			return;
		}
	}
	l->c = xreallocarray(l->c, l->n + 1, sizeof(*l->c));
	c = &l->c[l->n];
	memset(c, 0, sizeof(*c));
	c->kind = f->c.kind;
	snprintf(c->product, sizeof(c->product), "%s", f->c.product);
	snprintf(c->name, sizeof(c->name), "%s", f->c.name);
	snprintf(c->claimed, sizeof(c->claimed), "%s", f->c.version);
	snprintf(c->url, sizeof(c->url), "%s", f->c.url);
	if (id) {
		snprintf(c->ident_product, sizeof(c->ident_product), "%s", id->product);
		snprintf(c->ident_version, sizeof(c->ident_version), "%s", id->version);
	}
	c->webspaces = 1;
	last_ws[l->n++] = f->ws;
}

static int
cmp_comp(const void *a, const void *b)
{
	const struct component *x = a, *y = b;
	int c = strcmp(x->product, y->product);

	return c ? c : version_cmp(x->claimed, y->claimed);
}

int
components_collect(const struct ctl_env *env, const char *customer, struct component_list *ret,
		   char *err, size_t errsz)
{
	const char *const *dirs = default_dirs;
	size_t ndirs = ARRAY_SIZE(default_dirs), i;
	struct collect cl = { 0 };
	struct store *s = NULL;
	struct ws_walk walk;
	int64_t *last_ws = NULL;
	struct inst **by_id = NULL;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (env->cfg && env->cfg->ncomponent_dirs) {
		dirs = (const char *const *)env->cfg->component_dirs;
		ndirs = env->cfg->ncomponent_dirs;
	}
	if ((r = store_open(env->db, STORE_RDONLY, &s, err, errsz)) < 0)
		return r;
	load_installations(s, &cl);
	walk = (struct ws_walk){ .cl = &cl, .s = s, .dirs = dirs, .ndirs = ndirs };
	if (stateq_webspaces_of(s, customer, ws_row, &walk) < 0) {
		snprintf(err, errsz, "%s: not a wsid database with webspaces", env->db);
		r = -EINVAL;
		goto out;
	}
	last_ws = xcalloc(cl.n + 1, sizeof(*last_ws));
	by_id = xcalloc(cl.nin + 1, sizeof(*by_id));
	for (i = 0; i < cl.nin; i++)
		by_id[i] = &cl.in[i];
	if (cl.nin > 1)
		qsort(by_id, cl.nin, sizeof(*by_id), cmp_inst_id);
	for (i = 0; i < cl.n; i++) {
		const struct found *f = &cl.f[i];
		const struct inst *id = inst_at(&cl, f->ws, f->c.root);

		/* a release that ships the claim file itself (the default themes in
		 * WordPress core's sets) covers the component */
		if (id == NULL && f->covered)
			id = inst_by_id((const struct inst *const *)by_id, cl.nin, f->covered);
		comp_merge(ret, f, id, last_ws);
	}
	if (ret->n > 1)
		qsort(ret->c, ret->n, sizeof(*ret->c), cmp_comp);
out:
	store_close(s);
	for (i = 0; i < cl.nin; i++)
		free(cl.in[i].root);
	free(cl.in);
	free(cl.f);
	free(last_ws);
	free(by_id);
	return r;
}

bool
component_unknown(const struct component *c)
{
	return c->ident_product[0] == '\0';
}

void
components_free(struct component_list *l)
{
	free(l->c);
	l->c = NULL;
	l->n = 0;
}

static const char *
jstr(const struct jnode *o, const char *k)
{
	const struct jnode *v = jsonp_get(o, k);

	return v && v->t == J_STR && strlen(v->s) == v->slen ? v->s : NULL;
}

int
components_parse_list(const char *data, size_t len, const char *name, struct component_list *ret,
		      char *err, size_t errsz)
{
	struct jnode *root = NULL;
	const struct jnode *arr;
	char e[256];
	size_t i;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (jsonp_parse(data, len, &root, e, sizeof(e)) < 0) {
		snprintf(err, errsz, "%s:%s", name, e);
		return -EINVAL;
	}
	arr = root->t == J_OBJ ? jsonp_get(root, "components") : root;
	if (arr == NULL || arr->t != J_ARR) {
		snprintf(err, errsz, "%s: expected {\"components\": [...]} (wsidctl components --json)", name);
		r = -EINVAL;
		goto out;
	}
	ret->c = xcalloc(arr->n + 1, sizeof(*ret->c));
	for (i = 0; i < arr->n; i++) {
		const struct jnode *o = &arr->kids[i];
		const char *kind = o->t == J_OBJ ? jstr(o, "kind") : NULL, *cname = NULL, *ver = NULL, *url;
		struct component *c = &ret->c[ret->n];
		size_t line, col;

		if (kind == NULL || claims_kind_from_name(kind, &c->kind) < 0 ||
		    (cname = jstr(o, "name")) == NULL || (ver = jstr(o, "claimed")) == NULL ||
		    strlen(cname) >= sizeof(c->name) || fpset_check_version(ver) < 0 ||
		    claims_product(c->kind, cname, c->product, sizeof(c->product)) < 0) {
			jsonp_pos(data, len, o->off, &line, &col);
			snprintf(err, errsz, "%s:%zu:%zu: component %zu: needs a known kind, a valid "
				 "name and a claimed version", name, line, col, i + 1);
			r = -EINVAL;
			goto out;
		}
		snprintf(c->name, sizeof(c->name), "%s", cname);
		snprintf(c->claimed, sizeof(c->claimed), "%s", ver);
		if ((url = jstr(o, "url")) != NULL && strlen(url) < sizeof(c->url))
			snprintf(c->url, sizeof(c->url), "%s", url);
		c->webspaces = 1;
		ret->n++;
	}
out:
	if (r < 0)
		components_free(ret);
	jsonp_free(root);
	return r;
}

int
components_read_list(const char *path, struct component_list *ret, char *err, size_t errsz)
{
	char *data = NULL;
	size_t len;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = read_file_maybe_gz(path, JSONP_MAX_BYTES, &data, &len, NULL)) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(-r));
		return r;
	}
	r = components_parse_list(data, len, esc_name(path), ret, err, errsz);
	free(data);
	return r;
}

int
ctl_components(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "unknown", no_argument, NULL, 'u' }, { "customer", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },    { NULL, 0, NULL, 0 },
	};
	const char *customer = NULL;
	bool unknown = false, json = env->json;
	struct component_list l;
	struct release_cache rc;
	struct store *s = NULL;
	struct buf b;
	struct json j;
	char err[1024] = "";
	size_t i;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': unknown = true; break;
		case 'c': customer = optarg; break;
		case 'j': json = true; break;
		default:
			fprintf(stderr, "usage: wsidctl components [--unknown] [--customer C] [--json]\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wsidctl components: unexpected argument '%s'\n", esc_name(argv[optind]));
		return EXIT_USAGE;
	}
	if (components_collect(env, customer, &l, err, sizeof(err)) < 0 ||
	    store_open(env->db, STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: components: %s\n", err);
		return EXIT_ERROR;
	}
	release_cache_init(&rc, s);
	buf_init(&b, 0);
	json_init(&j, &b);
	if (json) {
		json_obj_begin(&j);
		json_kv_int(&j, "schema", 1);
		json_key(&j, "components");
		json_arr_begin(&j);
	} else {
		printf("%-9s %-32s %-12s %-24s %-17s %-10s %s\n", "KIND", "NAME", "CLAIMED", "IDENTIFIED",
		       "STATE", "LATEST", "WEBSPACES");
	}
	for (i = 0; i < l.n; i++) {
		const struct component *cp = &l.c[i];
		const struct releases *r;
		struct release_state st = { "unknown", NULL, NULL, 0 };
		char ident[140];

		if (unknown && !component_unknown(cp))
			continue;
		if (unknown && cp->claimed[0] == '\0')
			continue; /* nothing to ask for */
		if (!component_unknown(cp)) {
			r = releases_of(&rc, cp->ident_product);
			release_state_of((const char *const *)r->v, r->n, cp->ident_version, &st);
		} else {
			/* the newest release its publisher lists; no state for a claim */
			r = releases_of(&rc, cp->product);
			release_state_of((const char *const *)r->v, r->n, "", &st);
		}
		snprintf(ident, sizeof(ident), "%s%s%s", cp->ident_product,
			 cp->ident_product[0] && strcmp(cp->ident_product, cp->product) != 0 ? " " : "",
			 strcmp(cp->ident_product, cp->product) == 0 ? cp->ident_version
			 : cp->ident_product[0] ? cp->ident_version : "");
		if (json) {
			json_obj_begin(&j);
			json_kv_str(&j, "kind", claims_kind_name(cp->kind));
			json_kv_str(&j, "name", cp->name);
			json_kv_str(&j, "product", cp->product);
			json_kv_str(&j, "claimed", cp->claimed[0] ? cp->claimed : NULL);
			json_kv_str(&j, "identified_product", cp->ident_product[0] ? cp->ident_product : NULL);
			json_kv_str(&j, "identified", cp->ident_product[0] ? cp->ident_version : NULL);
			json_kv_str(&j, "state", st.state);
			json_kv_str(&j, "latest", st.latest);
			json_kv_int(&j, "webspaces", (int64_t)cp->webspaces);
			json_kv_str(&j, "url", cp->url[0] ? cp->url : NULL);
			json_obj_end(&j);
		} else {
			printf("%-9s %-32s %-12s %-24s %-17s %-10s %zu\n", claims_kind_name(cp->kind),
			       esc_name(cp->name), cp->claimed[0] ? cp->claimed : "-",
			       ident[0] ? ident : "-", st.state, st.latest ? st.latest : "-",
			       cp->webspaces);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		printf("%s\n", b.data);
	}
	buf_free(&b);
	release_cache_free(&rc);
	store_close(s);
	components_free(&l);
	return 0;
}
