/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Component claims: what a plugin, theme or package says it is, read from its
 * own headers. A claim is only a claim (a tenant writes these files): it names
 * what to fetch, and once a set of that release is indexed the hashes decide.
 *
 *   WordPress plugin   <plugins dir>/<slug>/<any>.php header "Version:" (the
 *                      file that has "Plugin Name:"), readme.txt "Stable tag:"
 *   WordPress theme    <themes dir>/<slug>/style.css "Version:" ("Theme Name:")
 *   npm                node_modules/[@scope/]<name>/package.json name, version
 *   Composer           vendor/composer/installed.json (v1 array, v2 object):
 *                      name, version, dist url, install-path
 *   Joomla             <dir>/<name>.xml <extension> manifest <version>
 *   Drupal             <name>/<name>.info.yml top-level "version:"
 *
 * Everything handed out is checked: slugs and versions are product and
 * version names the index accepts (fpset.h), so a claim can never name a path
 * or a URL of its own. Pure module (fuzzed: tests/fuzz/fuzz_claims.c,
 * fuzz_wpinfo.c). */
#ifndef WSID_CLAIMS_H
#define WSID_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#define CLAIMS_MAX_FILE (8u << 20) /* installed.json of a large project: ~2 MiB */
#define CLAIMS_WP_HEADER 8192      /* WordPress reads this much of a header too */

enum claim_kind {
	CLAIM_WP_PLUGIN = 0,
	CLAIM_WP_THEME,
	CLAIM_NPM,
	CLAIM_COMPOSER,
	CLAIM_JOOMLA,
	CLAIM_DRUPAL,
	CLAIM_KIND_MAX,
};

/* which file a path is, for claims */
enum claim_file {
	CLAIM_FILE_NONE = 0,
	CLAIM_FILE_WP_PHP,    /* a .php directly in a plugin's directory */
	CLAIM_FILE_WP_README, /* a plugin's readme.txt */
	CLAIM_FILE_WP_STYLE,  /* a theme's style.css */
	CLAIM_FILE_NPM,       /* package.json of a package under node_modules */
	CLAIM_FILE_COMPOSER,  /* vendor/composer/installed.json */
	CLAIM_FILE_JOOMLA,    /* <dir>/<name>.xml, dir named after the extension */
	CLAIM_FILE_DRUPAL,    /* <name>/<name>.info.yml */
};

struct claim {
	enum claim_kind kind;
	char product[65];  /* the index's product name (see claims_product) */
	char name[215];    /* the ecosystem's own name: slug, npm or composer name */
	char version[65];
	char root[1024];   /* the component's directory, relative to the webspace */
	char url[512];     /* Composer: the dist URL recorded; else "" */
};

/* Classifies a webspace-relative path. component_dirs as in the config
 * (classify.component_dirs); a dir whose last component contains "theme" holds
 * themes, one containing "plugin" plugins. *root_len is the length of the
 * component's directory in relpath. */
enum claim_file claims_locate(const char *relpath, size_t len, const char *const *dirs,
			      size_t ndirs, size_t *root_len);

/* A WordPress file header field ("Version", "Plugin Name", "Stable tag"): the
 * first line of the first CLAIMS_WP_HEADER bytes that holds "Field:" after
 * comment leaders, trimmed and cut at "*" "/". 1 found (out filled), 0 not. */
int claims_wp_field(const char *data, size_t len, const char *field, char *out, size_t outsz);

/* Each returns 1 and fills c->version (and c->name where the file names it)
 * when the file holds a valid claim, 0 when it holds none (a plugin file
 * without "Plugin Name:", "Stable tag: trunk"), -EINVAL when the claim is
 * malformed (err says why). */
int claims_wp_plugin_file(const char *data, size_t len, struct claim *c, char *err, size_t errsz);
int claims_wp_readme(const char *data, size_t len, struct claim *c, char *err, size_t errsz);
int claims_wp_style(const char *data, size_t len, struct claim *c, char *err, size_t errsz);
int claims_npm_package(const char *data, size_t len, struct claim *c, char *err, size_t errsz);
int claims_joomla_manifest(const char *data, size_t len, struct claim *c, char *err, size_t errsz);
int claims_drupal_info(const char *data, size_t len, struct claim *c, char *err, size_t errsz);

/* Composer's installed.json: fn once per valid package (root is vendor_dir +
 * the package's install path). Invalid packages are skipped and counted in
 * *skipped. Returns the number of claims or -EINVAL (not JSON, wrong shape). */
typedef int (*claims_fn)(void *ud, const struct claim *c);
int claims_composer_installed(const char *data, size_t len, const char *vendor_dir, claims_fn fn,
			      void *ud, size_t *skipped, char *err, size_t errsz);

/* The index product of an ecosystem name: WordPress slug as it is; npm
 * "npm-<name>", "@scope/name" as "npm-scope--name"; Composer "vendor/name" as
 * "composer-vendor--name"; "joomla-<name>", "drupal-<name>". -EINVAL when the
 * name cannot be a product (upper case, other characters, too long). */
int claims_product(enum claim_kind k, const char *name, char *out, size_t outsz);
const char *claims_kind_name(enum claim_kind k);       /* plugin, theme, npm, ... */
const char *claims_index_kind(enum claim_kind k);      /* fpindex kind: plugin, theme, library */
int claims_kind_from_name(const char *s, enum claim_kind *ret);
/* npm package names: lower case, [a-z0-9._~-], optionally "@scope/" */
bool claims_npm_name_ok(const char *n);

/* WordPress.org's plugin information (BASE/plugins/info/1.2/?action=
 * plugin_information&request[slug]=SLUG): the newest release ("version") and
 * the releases listed ("versions" keys; "trunk" and names the index would not
 * accept are left out, at most CLAIMS_WP_MAX_RELEASES). "slug", when there,
 * must be the one asked for. Returns 1 (out filled), 0 when the answer says
 * the plugin is unknown ({"error": ...}), -EINVAL when malformed (err). */
#define CLAIMS_WP_MAX_RELEASES 2000
struct claims_releases {
	char latest[65];
	char (*v)[65];
	size_t n;
};
int claims_wp_info(const char *data, size_t len, const char *slug, struct claims_releases *out,
		   char *err, size_t errsz);
void claims_releases_free(struct claims_releases *r);

#endif
