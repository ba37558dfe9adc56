// SPDX-License-Identifier: GPL-2.0-or-later
/* Component claims: any bytes as a plugin file, readme, style.css,
 * package.json, installed.json, Joomla manifest, Drupal info file and as a
 * path; an accepted claim always carries a version the index accepts, a
 * refused one a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "fpset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int r, const struct claim *c, const char *err)
{
	if (r == 1 && fpset_check_version(c->version) < 0)
		abort();
	if (r < 0 && err[0] == '\0')
		abort();
}

static int
comp_cb(void *ud, const struct claim *c)
{
	(void)ud;
	if (fpset_check_version(c->version) < 0 || fpset_check_product(c->product) < 0 ||
	    strstr(c->root, "..") != NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "wp-content/plugins", "wp-content/themes", "plugins" };
	int (*const fns[])(const char *, size_t, struct claim *, char *, size_t) = {
		claims_wp_plugin_file, claims_wp_readme, claims_wp_style, claims_npm_package,
		claims_joomla_manifest, claims_drupal_info,
	};
	const char *d = (const char *)data;
	struct claim c;
	char err[256], prod[65];
	size_t i, rl = 0, skipped;
	int r;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		memset(&c, 0, sizeof(c));
		err[0] = '\0';
		r = fns[i](d, size, &c, err, sizeof(err));
		check(r, &c, err);
		if (r == 1 && i == 3 && claims_product(CLAIM_NPM, c.name, prod, sizeof(prod)) == 0 &&
		    fpset_check_product(prod) < 0)
			abort();
	}
	err[0] = '\0';
	if (claims_composer_installed(d, size, "vendor", comp_cb, NULL, &skipped, err, sizeof(err)) < 0 &&
	    err[0] == '\0')
		abort();
	if (claims_locate(d, size, dirs, 3, &rl) != CLAIM_FILE_NONE && rl >= size)
		abort();
	return 0;
}
