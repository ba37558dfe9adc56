// SPDX-License-Identifier: GPL-2.0-or-later
/* Component claims from plugin, theme and package headers; see claims.h. */
#include "claims.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fpset.h"
#include "jsonparse.h"
#include "util.h"

static const char *const kind_names[CLAIM_KIND_MAX] = {
	"plugin", "theme", "npm", "composer", "joomla", "drupal",
};

const char *
claims_kind_name(enum claim_kind k)
{
	return (unsigned)k < CLAIM_KIND_MAX ? kind_names[k] : "?";
}

const char *
claims_index_kind(enum claim_kind k)
{
	if (k == CLAIM_WP_PLUGIN || k == CLAIM_JOOMLA || k == CLAIM_DRUPAL)
		return "plugin";
	return k == CLAIM_WP_THEME ? "theme" : "library";
}

int
claims_kind_from_name(const char *s, enum claim_kind *ret)
{
	int k;

	for (k = 0; k < CLAIM_KIND_MAX; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*ret = (enum claim_kind)k;
			return 0;
		}
	return -EINVAL;
}

static bool
seg_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

static bool
ends_with(const char *p, size_t n, const char *suf)
{
	size_t sl = strlen(suf);

	return n >= sl && memcmp(p + n - sl, suf, sl) == 0;
}

/* the last path component of a component dir contains word */
static bool
dir_holds(const char *cd, const char *word)
{
	const char *last = strrchr(cd, '/');

	return strstr(last ? last + 1 : cd, word) != NULL;
}

enum claim_file
claims_locate(const char *rp, size_t len, const char *const *dirs, size_t ndirs, size_t *root_len)
{
	const char *base, *dir;
	size_t blen, dlen, i, d;

	base = len ? memrchr(rp, '/', len) : NULL;
	if (base == NULL)
		return CLAIM_FILE_NONE;
	dlen = (size_t)(base - rp);
	base++;
	blen = len - (size_t)(base - rp);
	dir = dlen ? memrchr(rp, '/', dlen) : NULL;
	dir = dir ? dir + 1 : rp;
	/* node_modules/<name>/package.json, node_modules/@scope/<name>/package.json */
	if (seg_eq(base, blen, "package.json")) {
		const char *pd = dir;
		size_t pl = dlen - (size_t)(dir - rp);

		if (pl == 0 || pd[0] == '.' || pd[0] == '@')
			return CLAIM_FILE_NONE;
		if (pd - rp >= 14 && memcmp(pd - 14, "/node_modules/", 14) == 0)
			goto npm;
		if (pd - rp == 13 && memcmp(rp, "node_modules/", 13) == 0)
			goto npm;
		if (pd - rp >= 2 && pd[-1] == '/') {
			const char *sc = pd - 1;

			while (sc > rp && sc[-1] != '/')
				sc--;
			if (sc[0] == '@' && sc + 1 < pd - 1 &&
			    ((sc - rp >= 14 && memcmp(sc - 14, "/node_modules/", 14) == 0) ||
			     (sc - rp == 13 && memcmp(rp, "node_modules/", 13) == 0)))
				goto npm;
		}
		return CLAIM_FILE_NONE;
npm:
		*root_len = dlen;
		return CLAIM_FILE_NPM;
	}
	if (seg_eq(base, blen, "installed.json") && (dlen == 15 || (dlen > 15 && rp[dlen - 16] == '/')) &&
	    memcmp(rp + dlen - 15, "vendor/composer", 15) == 0) {
		*root_len = dlen - 9; /* vendor */
		return CLAIM_FILE_COMPOSER;
	}
	if (ends_with(base, blen, ".info.yml")) {
		size_t nl = blen - 9, dl = dlen - (size_t)(dir - rp);

		if (nl > 0 && dl == nl && memcmp(dir, base, nl) == 0) {
			*root_len = dlen;
			return CLAIM_FILE_DRUPAL;
		}
	}
	/* <component dir>/<slug>/<file> */
	for (d = 0; d < ndirs; d++) {
		size_t cl = strlen(dirs[d]);

		if (cl == 0 || dir == rp || (size_t)(dir - rp) < cl + 1)
			continue;
		i = (size_t)(dir - rp) - cl - 1;
		if (memcmp(rp + i, dirs[d], cl) != 0 || (i > 0 && rp[i - 1] != '/'))
			continue;
		*root_len = dlen;
		if (dir_holds(dirs[d], "theme"))
			return seg_eq(base, blen, "style.css") ? CLAIM_FILE_WP_STYLE : CLAIM_FILE_NONE;
		if (dir_holds(dirs[d], "plugin") && strncmp(rp + i, "wp-content/", 11) == 0) {
			if (seg_eq(base, blen, "readme.txt"))
				return CLAIM_FILE_WP_README;
			return ends_with(base, blen, ".php") && blen > 4 ? CLAIM_FILE_WP_PHP
									  : CLAIM_FILE_NONE;
		}
	}
	/* Joomla: a manifest named after its directory (com_foo/foo.xml, mod_foo/mod_foo.xml) */
	if (ends_with(base, blen, ".xml") && blen > 4) {
		size_t nl = blen - 4, dl = dlen - (size_t)(dir - rp);

		if (dl >= nl && memcmp(dir + dl - nl, base, nl) == 0 &&
		    (dl == nl || dir[dl - nl - 1] == '_')) {
			*root_len = dlen;
			return CLAIM_FILE_JOOMLA;
		}
	}
	return CLAIM_FILE_NONE;
}

/* trims spaces, tabs and CRs at both ends of [*p, *p + *n) */
static void
trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t' || **p == '\r')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

int
claims_wp_field(const char *data, size_t len, const char *field, char *out, size_t outsz)
{
	size_t fl = strlen(field), off = 0;

	if (len > CLAIMS_WP_HEADER)
		len = CLAIMS_WP_HEADER;
	while (off < len) {
		const char *line = data + off, *nl = memchr(line, '\n', len - off), *cr;
		size_t ll = nl ? (size_t)(nl - line) : len - off, vl;
		const char *v;

		off += ll + 1;
		/* old Mac files: WordPress reads \r as a line end too */
		if ((cr = memchr(line, '\r', ll)) != NULL && cr + 1 < line + ll) {
			off -= ll + 1;
			ll = (size_t)(cr - line);
			off += ll + 1;
		}
		if (ll >= 5 && strncasecmp(line, "<?php", 5) == 0) {
			line += 5;
			ll -= 5;
		}
		while (ll && strchr(" \t/*#@", *line)) {
			line++;
			ll--;
		}
		if (ll <= fl || strncasecmp(line, field, fl) != 0 || line[fl] != ':')
			continue;
		v = line + fl + 1;
		vl = ll - fl - 1;
		{
			const char *end = NULL;
			size_t i;

			for (i = 0; i + 1 < vl; i++)
				if (v[i] == '*' && v[i + 1] == '/') {
					end = v + i;
					break;
				}
			if (end)
				vl = (size_t)(end - v);
		}
		trim(&v, &vl);
		if (vl == 0)
			continue;
		if (vl >= outsz)
			vl = outsz - 1;
		memcpy(out, v, vl);
		out[vl] = '\0';
		return 1;
	}
	return 0;
}

/* a claimed version must be a version the index accepts; a leading "v"
 * (Composer, git tags) is dropped */
static int
take_version(struct claim *c, const char *v, char *err, size_t errsz)
{
	if ((v[0] == 'v' || v[0] == 'V') && isdigit((unsigned char)v[1]))
		v++;
	if (strlen(v) >= sizeof(c->version) || fpset_check_version(v) < 0) {
		snprintf(err, errsz, "claimed version '%s' is not a version name", esc_name(v));
		return -EINVAL;
	}
	snprintf(c->version, sizeof(c->version), "%s", v);
	return 1;
}

static int
wp_header(const char *data, size_t len, const char *name_field, const char *ver_field,
	  struct claim *c, char *err, size_t errsz)
{
	char v[256];

	if (name_field && claims_wp_field(data, len, name_field, v, sizeof(v)) == 0)
		return 0;
	if (claims_wp_field(data, len, ver_field, v, sizeof(v)) == 0)
		return 0;
	if (strcasecmp(v, "trunk") == 0)
		return 0;
	return take_version(c, v, err, errsz);
}

int
claims_wp_plugin_file(const char *data, size_t len, struct claim *c, char *err, size_t errsz)
{
	return wp_header(data, len, "Plugin Name", "Version", c, err, errsz);
}

int
claims_wp_readme(const char *data, size_t len, struct claim *c, char *err, size_t errsz)
{
	return wp_header(data, len, NULL, "Stable tag", c, err, errsz);
}

int
claims_wp_style(const char *data, size_t len, struct claim *c, char *err, size_t errsz)
{
	return wp_header(data, len, "Theme Name", "Version", c, err, errsz);
}

bool
claims_npm_name_ok(const char *n)
{
	const char *slash = NULL, *p;
	size_t len = strlen(n);

	if (len == 0 || len > 214)
		return false;
	if (n[0] == '@') {
		if ((slash = strchr(n, '/')) == NULL || slash == n + 1 || slash[1] == '\0')
			return false;
	}
	for (p = n[0] == '@' ? n + 1 : n; *p; p++) {
		if (p == slash)
			continue;
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && !strchr("._~-", *p))
			return false;
	}
	p = slash ? slash + 1 : n;
	return p[0] != '.' && p[0] != '_' && (n[0] != '@' || n[1] != '.');
}

static int
json_str(const struct jnode *o, const char *key, const char **ret)
{
	const struct jnode *v = jsonp_get(o, key);

	if (v == NULL || v->t != J_STR || strlen(v->s) != v->slen)
		return -EINVAL;
	*ret = v->s;
	return 0;
}

int
claims_npm_package(const char *data, size_t len, struct claim *c, char *err, size_t errsz)
{
	struct jnode *root = NULL;
	const char *name, *ver;
	char e[256];
	int r;

	if (len > CLAIMS_MAX_FILE) {
		snprintf(err, errsz, "package.json larger than %u bytes", CLAIMS_MAX_FILE);
		return -EINVAL;
	}
	if (jsonp_parse(data, len, &root, e, sizeof(e)) < 0) {
		snprintf(err, errsz, "package.json: %s", e);
		return -EINVAL;
	}
	r = 0;
	if (root->t != J_OBJ || json_str(root, "name", &name) < 0 || json_str(root, "version", &ver) < 0)
		goto out; /* a package.json without both is no release */
	if (!claims_npm_name_ok(name)) {
		snprintf(err, errsz, "npm name '%s' is not a package name", esc_name(name));
		r = -EINVAL;
		goto out;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	r = take_version(c, ver, err, errsz);
out:
	jsonp_free(root);
	return r;
}

/* the text of the first <tag>...</tag> element, trimmed */
static int
xml_elem(const char *data, size_t len, const char *tag, char *out, size_t outsz)
{
	char open[32], close[32];
	const char *p, *q;
	size_t n;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((p = memmem(data, len, open, strlen(open))) == NULL)
		return 0;
	p += strlen(open);
	if ((q = memmem(p, len - (size_t)(p - data), close, strlen(close))) == NULL)
		return 0;
	n = (size_t)(q - p);
	trim(&p, &n);
	while (n && (*p == '\n' || p[n - 1] == '\n')) {
		if (*p == '\n') {
			p++;
			n--;
		} else {
			n--;
		}
		trim(&p, &n);
	}
	if (n == 0 || n >= outsz)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

int
claims_joomla_manifest(const char *data, size_t len, struct claim *c, char *err, size_t errsz)
{
	char v[128];
	size_t head = len < 4096 ? len : 4096;

	/* a Joomla manifest's root element is <extension> (<install> before 1.6) */
	if (memmem(data, head, "<extension", 10) == NULL && memmem(data, head, "<install", 8) == NULL)
		return 0;
	if (len > CLAIMS_MAX_FILE || xml_elem(data, len, "version", v, sizeof(v)) == 0)
		return 0;
	return take_version(c, v, err, errsz);
}

int
claims_drupal_info(const char *data, size_t len, struct claim *c, char *err, size_t errsz)
{
	size_t off = 0;

	if (len > CLAIMS_MAX_FILE)
		len = CLAIMS_MAX_FILE;
	while (off < len) {
		const char *line = data + off, *nl = memchr(line, '\n', len - off), *v;
		size_t ll = nl ? (size_t)(nl - line) : len - off, vl;
		char buf[128];

		off += ll + 1;
		if (ll < 8 || memcmp(line, "version:", 8) != 0)
			continue; /* top level only: no indentation */
		v = line + 8;
		vl = ll - 8;
		trim(&v, &vl);
		if (vl >= 2 && (v[0] == '\'' || v[0] == '"') && v[vl - 1] == v[0]) {
			v++;
			vl -= 2;
		}
		if (vl == 0 || vl >= sizeof(buf))
			return 0;
		memcpy(buf, v, vl);
		buf[vl] = '\0';
		if (strcmp(buf, "VERSION") == 0) /* core's own modules */
			return 0;
		return take_version(c, buf, err, errsz);
	}
	return 0;
}

int
claims_product(enum claim_kind k, const char *name, char *out, size_t outsz)
{
	char tmp[300];
	const char *slash;

	switch (k) {
	case CLAIM_WP_PLUGIN:
	case CLAIM_WP_THEME:
		snprintf(tmp, sizeof(tmp), "%s", name);
		break;
	case CLAIM_NPM:
		if (!claims_npm_name_ok(name))
			return -EINVAL;
		if (name[0] == '@') {
			slash = strchr(name, '/');
			snprintf(tmp, sizeof(tmp), "npm-%.*s--%s", (int)(slash - name - 1), name + 1,
				 slash + 1);
		} else {
			snprintf(tmp, sizeof(tmp), "npm-%s", name);
		}
		break;
	case CLAIM_COMPOSER:
		if ((slash = strchr(name, '/')) == NULL || strchr(slash + 1, '/'))
			return -EINVAL;
		snprintf(tmp, sizeof(tmp), "composer-%.*s--%s", (int)(slash - name), name, slash + 1);
		break;
	case CLAIM_JOOMLA:
	case CLAIM_DRUPAL:
		snprintf(tmp, sizeof(tmp), "%s-%s", kind_names[k], name);
		break;
	default:
		return -EINVAL;
	}
	if (strlen(tmp) >= outsz || fpset_check_product(tmp) < 0)
		return -EINVAL;
	snprintf(out, outsz, "%s", tmp);
	return 0;
}

int
claims_composer_installed(const char *data, size_t len, const char *vendor_dir, claims_fn fn,
			  void *ud, size_t *skipped, char *err, size_t errsz)
{
	struct jnode *root = NULL;
	const struct jnode *pk;
	char e[256];
	size_t i;
	int r = 0, n = 0;

	*skipped = 0;
	if (len > CLAIMS_MAX_FILE) {
		snprintf(err, errsz, "installed.json larger than %u bytes", CLAIMS_MAX_FILE);
		return -EINVAL;
	}
	if (jsonp_parse(data, len, &root, e, sizeof(e)) < 0) {
		snprintf(err, errsz, "installed.json: %s", e);
		return -EINVAL;
	}
	pk = root->t == J_OBJ ? jsonp_get(root, "packages") : root; /* Composer 2 : 1 */
	if (pk == NULL || pk->t != J_ARR) {
		snprintf(err, errsz, "installed.json: no array of packages");
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < pk->n; i++) {
		const struct jnode *p = &pk->kids[i], *dist;
		const char *name, *ver, *url = "";
		struct claim c;
		char e2[160];

		memset(&c, 0, sizeof(c));
		c.kind = CLAIM_COMPOSER;
		if (p->t != J_OBJ || json_str(p, "name", &name) < 0 || json_str(p, "version", &ver) < 0 ||
		    strlen(name) >= sizeof(c.name) || claims_product(CLAIM_COMPOSER, name, c.product,
								     sizeof(c.product)) < 0 ||
		    take_version(&c, ver, e2, sizeof(e2)) < 0) {
			(*skipped)++;
			continue;
		}
		snprintf(c.name, sizeof(c.name), "%s", name);
		if ((dist = jsonp_get(p, "dist")) != NULL && dist->t == J_OBJ)
			(void)json_str(dist, "url", &url);
		if (strlen(url) >= sizeof(c.url))
			url = "";
		snprintf(c.url, sizeof(c.url), "%s", url);
		/* the default layout vendor/<vendor>/<name>; a custom installer's
		 * "install-path" is not followed (it may point anywhere) */
		snprintf(c.root, sizeof(c.root), "%s%s%s", vendor_dir, vendor_dir[0] ? "/" : "", name);
		if ((r = fn(ud, &c)) < 0)
			goto out;
		n++;
	}
	r = n;
out:
	jsonp_free(root);
	return r;
}

/* ---- WordPress.org plugin information ---- */

int
claims_wp_info(const char *data, size_t len, const char *slug, struct claims_releases *out,
	       char *err, size_t errsz)
{
	struct jnode *root = NULL;
	const struct jnode *vs;
	const char *latest, *s;
	char e[256];
	size_t i;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > CLAIMS_MAX_FILE) {
		snprintf(err, errsz, "plugin information larger than %u bytes", CLAIMS_MAX_FILE);
		return -EINVAL;
	}
	if (jsonp_parse(data, len, &root, e, sizeof(e)) < 0) {
		snprintf(err, errsz, "plugin information: %s", e);
		return -EINVAL;
	}
	if (root->t != J_OBJ) {
		snprintf(err, errsz, "plugin information: expected an object, found %s",
			 jsonp_type_name(root->t));
		goto out;
	}
	if (jsonp_get(root, "error") != NULL && jsonp_get(root, "version") == NULL) {
		r = 0; /* {"error": "Plugin not found."} */
		goto out;
	}
	if (json_str(root, "slug", &s) == 0 && strcmp(s, slug) != 0) {
		snprintf(err, errsz, "plugin information for '%s', asked for '%s'", esc_name(s), slug);
		goto out;
	}
	if (json_str(root, "version", &latest) < 0 || fpset_check_version(latest) < 0 ||
	    strlen(latest) >= sizeof(out->latest)) {
		snprintf(err, errsz, "plugin information: no valid \"version\"");
		goto out;
	}
	snprintf(out->latest, sizeof(out->latest), "%s", latest);
	vs = jsonp_get(root, "versions");
	for (i = 0; vs && vs->t == J_OBJ && i < vs->n && out->n < CLAIMS_WP_MAX_RELEASES; i++) {
		const char *k = vs->keys[i];

		if (strlen(k) != vs->klens[i] || strlen(k) >= sizeof(out->v[0]) ||
		    fpset_check_version(k) < 0 || strcmp(k, "trunk") == 0)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(out->v[0]));
		snprintf(out->v[out->n++], sizeof(out->v[0]), "%s", k);
	}
	r = 1;
out:
	if (r < 0)
		claims_releases_free(out);
	jsonp_free(root);
	return r;
}

void
claims_releases_free(struct claims_releases *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
