// SPDX-License-Identifier: GPL-2.0-or-later
/* Component claims: which files carry them, and what each parser accepts. */
#include <errno.h>

#include "claims.h"
#include "t.h"

static const char *const dirs[] = { "wp-content/plugins", "wp-content/themes", "wp-content/mu-plugins",
				    "plugins" };

static enum claim_file
loc(const char *p, size_t *rl)
{
	*rl = 0;
	return claims_locate(p, strlen(p), dirs, 4, rl);
}

static void
test_locate(void)
{
	size_t rl;

	T_EQ_INT(loc("blog/wp-content/plugins/akismet/akismet.php", &rl), CLAIM_FILE_WP_PHP);
	T_EQ_INT(rl, strlen("blog/wp-content/plugins/akismet"));
	T_EQ_INT(loc("wp-content/plugins/akismet/readme.txt", &rl), CLAIM_FILE_WP_README);
	T_EQ_INT(loc("wp-content/plugins/akismet/views/x.php", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("wp-content/plugins/hello.php", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("wp-content/themes/twentytwo/style.css", &rl), CLAIM_FILE_WP_STYLE);
	T_EQ_INT(loc("wp-content/themes/twentytwo/x.php", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("xwp-content/plugins/a/a.php", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("node_modules/left-pad/package.json", &rl), CLAIM_FILE_NPM);
	T_EQ_INT(rl, strlen("node_modules/left-pad"));
	T_EQ_INT(loc("app/node_modules/@babel/core/package.json", &rl), CLAIM_FILE_NPM);
	T_EQ_INT(rl, strlen("app/node_modules/@babel/core"));
	T_EQ_INT(loc("app/node_modules/a/node_modules/b/package.json", &rl), CLAIM_FILE_NPM);
	T_EQ_INT(loc("node_modules/a/lib/package.json", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("node_modules/.bin/package.json", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("package.json", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("shop/vendor/composer/installed.json", &rl), CLAIM_FILE_COMPOSER);
	T_EQ_INT(rl, strlen("shop/vendor"));
	T_EQ_INT(loc("vendor/composer/installed.json", &rl), CLAIM_FILE_COMPOSER);
	T_EQ_INT(rl, strlen("vendor"));
	T_EQ_INT(loc("xvendor/composer/installed.json", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("modules/contrib/token/token.info.yml", &rl), CLAIM_FILE_DRUPAL);
	T_EQ_INT(rl, strlen("modules/contrib/token"));
	T_EQ_INT(loc("modules/contrib/token/other.info.yml", &rl), CLAIM_FILE_NONE);
	T_EQ_INT(loc("administrator/components/com_foo/foo.xml", &rl), CLAIM_FILE_JOOMLA);
	T_EQ_INT(loc("modules/mod_menu/mod_menu.xml", &rl), CLAIM_FILE_JOOMLA);
	T_EQ_INT(loc("modules/mod_menu/config.xml", &rl), CLAIM_FILE_NONE);
}

static void
test_wp(void)
{
	struct claim c;
	char err[256] = "", v[64];
	const char *plugin = "<?php\n/**\n * @package Akismet\n */\n/*\nPlugin Name: Akismet Anti-spam\n"
			     "Version: 5.0.2\nRequires PHP: 5.6\n*/\n";
	const char *lib = "<?php\n/* Version: 9.9 */\nfunction f() {}\n";
	const char *theme = "/*\r\nTheme Name: Twenty Twenty\r\nVersion: 2.1 */\r\n";

	memset(&c, 0, sizeof(c));
	T_EQ_INT(claims_wp_plugin_file(plugin, strlen(plugin), &c, err, sizeof(err)), 1);
	T_EQ_STR(c.version, "5.0.2");
	T_EQ_INT(claims_wp_plugin_file(lib, strlen(lib), &c, err, sizeof(err)), 0);
	T_EQ_INT(claims_wp_style(theme, strlen(theme), &c, err, sizeof(err)), 1);
	T_EQ_STR(c.version, "2.1");
	T_EQ_INT(claims_wp_readme("=== A ===\nStable tag: trunk\n", 28, &c, err, sizeof(err)), 0);
	T_EQ_INT(claims_wp_readme("=== A ===\n Stable Tag:  4.2 \n", 29, &c, err, sizeof(err)), 1);
	T_EQ_STR(c.version, "4.2");
	/* a version that would name a path or a URL is refused */
	T_EQ_INT(claims_wp_readme("Stable tag: ../../x\n", 20, &c, err, sizeof(err)), -EINVAL);
	T_OK(strstr(err, "not a version") != NULL);
	T_EQ_INT(claims_wp_field(" * Version:\n * Version: 1\n", 26, "Version", v, sizeof(v)), 1);
	T_EQ_STR(v, "1");
}

static int
comp_cb(void *ud, const struct claim *c)
{
	struct claim *out = ud;

	out[out[0].kind == CLAIM_COMPOSER && out[0].version[0] ? 1 : 0] = *c;
	return 0;
}

static void
test_packages(void)
{
	struct claim c, cc[2];
	char err[256] = "";
	size_t skipped;
	const char *pj = "{\"name\":\"@scope/left-pad\",\"version\":\"1.3.0\",\"main\":\"index.js\"}";
	const char *bad = "{\"name\":\"../x\",\"version\":\"1.0\"}";
	const char *inst2 = "{\"packages\":[{\"name\":\"monolog/monolog\",\"version\":\"v2.9.1\","
			    "\"dist\":{\"type\":\"zip\",\"url\":\"https://api.github.com/x.zip\"}},"
			    "{\"name\":\"Bad/Name\",\"version\":\"1\"},{\"name\":\"a/b\",\"version\":\"1.0.0\"}],"
			    "\"dev\":true}";
	const char *jx = "<?xml version=\"1.0\"?>\n<extension type=\"component\">\n<name>Foo</name>\n"
			 "<version> 3.4.1 </version>\n</extension>\n";
	const char *dr = "name: Token\ntype: module\n  version: nested\n# x\nversion: '8.x-1.13'\nproject: token\n";

	memset(&c, 0, sizeof(c));
	T_EQ_INT(claims_npm_package(pj, strlen(pj), &c, err, sizeof(err)), 1);
	T_EQ_STR(c.name, "@scope/left-pad");
	T_EQ_STR(c.version, "1.3.0");
	T_EQ_INT(claims_npm_package(bad, strlen(bad), &c, err, sizeof(err)), -EINVAL);
	T_EQ_INT(claims_npm_package("{\"name\":\"x\"}", 12, &c, err, sizeof(err)), 0);
	T_EQ_INT(claims_npm_package("{\"name\":", 8, &c, err, sizeof(err)), -EINVAL);
	memset(cc, 0, sizeof(cc));
	T_EQ_INT(claims_composer_installed(inst2, strlen(inst2), "vendor", comp_cb, cc, &skipped, err,
					   sizeof(err)), 2);
	T_EQ_INT(skipped, 1);
	T_EQ_STR(cc[0].product, "composer-monolog--monolog");
	T_EQ_STR(cc[0].version, "2.9.1");
	T_EQ_STR(cc[0].url, "https://api.github.com/x.zip");
	T_EQ_STR(cc[0].root, "vendor/monolog/monolog");
	T_EQ_STR(cc[1].root, "vendor/a/b");
	T_EQ_INT(claims_composer_installed("[]", 2, "vendor", comp_cb, cc, &skipped, err, sizeof(err)), 0);
	T_EQ_INT(claims_composer_installed("{}", 2, "vendor", comp_cb, cc, &skipped, err, sizeof(err)),
		 -EINVAL);
	T_EQ_INT(claims_joomla_manifest(jx, strlen(jx), &c, err, sizeof(err)), 1);
	T_EQ_STR(c.version, "3.4.1");
	T_EQ_INT(claims_joomla_manifest("<config><version>1</version></config>", 37, &c, err,
					sizeof(err)), 0);
	T_EQ_INT(claims_drupal_info(dr, strlen(dr), &c, err, sizeof(err)), 1);
	T_EQ_STR(c.version, "8.x-1.13");
	T_EQ_INT(claims_drupal_info("version: VERSION\n", 17, &c, err, sizeof(err)), 0);
}

static void
test_product(void)
{
	char p[65];

	T_EQ_INT(claims_product(CLAIM_NPM, "@babel/core", p, sizeof(p)), 0);
	T_EQ_STR(p, "npm-babel--core");
	T_EQ_INT(claims_product(CLAIM_NPM, "left-pad", p, sizeof(p)), 0);
	T_EQ_STR(p, "npm-left-pad");
	T_EQ_INT(claims_product(CLAIM_NPM, "Left", p, sizeof(p)), -EINVAL);
	T_EQ_INT(claims_product(CLAIM_WP_PLUGIN, "akismet", p, sizeof(p)), 0);
	T_EQ_STR(p, "akismet");
	T_EQ_INT(claims_product(CLAIM_WP_PLUGIN, "../x", p, sizeof(p)), -EINVAL);
	T_EQ_INT(claims_product(CLAIM_COMPOSER, "a/b/c", p, sizeof(p)), -EINVAL);
	T_EQ_INT(claims_product(CLAIM_DRUPAL, "token", p, sizeof(p)), 0);
	T_EQ_STR(p, "drupal-token");
}

static void
test_wp_info(void)
{
	static const char ok[] = "{\"name\": \"Akismet\", \"slug\": \"akismet\", \"version\": \"5.3.1\", "
				 "\"versions\": {\"5.0\": \"u\", \"trunk\": \"u\", \"../x\": \"u\", \"5.3.1\": \"u\"}}";
	static const char other[] = "{\"slug\": \"hello\", \"version\": \"1.0\"}";
	static const char bad[] = "{\"slug\": \"akismet\", \"version\": \"/etc\"}";
	static const char none[] = "{\"error\": \"Plugin not found.\"}";
	struct claims_releases r;
	char err[256] = "";

	T_EQ_INT(claims_wp_info(ok, strlen(ok), "akismet", &r, err, sizeof(err)), 1);
	T_EQ_STR(r.latest, "5.3.1");
	T_EQ_INT(r.n, 2);
	if (r.n == 2) {
		T_EQ_STR(r.v[0], "5.0");
		T_EQ_STR(r.v[1], "5.3.1");
	}
	claims_releases_free(&r);
	T_EQ_INT(claims_wp_info(none, strlen(none), "akismet", &r, err, sizeof(err)), 0);
	T_EQ_INT(claims_wp_info(other, strlen(other), "akismet", &r, err, sizeof(err)), -EINVAL);
	T_OK(strstr(err, "'hello'") != NULL);
	T_EQ_INT(claims_wp_info(bad, strlen(bad), "akismet", &r, err, sizeof(err)), -EINVAL);
	T_EQ_INT(claims_wp_info("[1]", 3, "akismet", &r, err, sizeof(err)), -EINVAL);
	T_EQ_INT(claims_wp_info("{", 1, "akismet", &r, err, sizeof(err)), -EINVAL);
	T_OK(r.v == NULL && r.n == 0);
}

int
main(void)
{
	T_RUN(test_locate);
	T_RUN(test_wp);
	T_RUN(test_packages);
	T_RUN(test_product);
	T_RUN(test_wp_info);
	T_DONE();
}
