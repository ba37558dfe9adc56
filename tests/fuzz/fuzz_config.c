// SPDX-License-Identifier: GPL-2.0-or-later
/* Configuration parser: any bytes give a config or an error with a position. */
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char err[1024];

	if (config_load_string((const char *)data, size, "fuzz.yaml", &c, err, sizeof(err)) == 0) {
		char cust[256];
		size_t rl;

		config_webspace_match(c, "/var/www/vhosts/x/httpdocs/a.php", cust, sizeof(cust), &rl);
		config_ignored(c, "wp-content/cache/x/y.html");
		config_free(c);
	} else if (strncmp(err, "fuzz.yaml", 9) != 0) {
		abort(); /* every error names the file */
	}
	return 0;
}
