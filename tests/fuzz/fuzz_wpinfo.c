// SPDX-License-Identifier: GPL-2.0-or-later
/* WordPress.org plugin information: any bytes as an answer; an accepted one
 * carries only version names the index accepts, a refused one a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "fpset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct claims_releases r;
	char err[256] = "";
	size_t i;
	int rc = claims_wp_info((const char *)data, size, "akismet", &r, err, sizeof(err));

	if (rc < 0 && (err[0] == '\0' || r.v != NULL || r.n != 0))
		abort();
	if (rc == 1) {
		if (fpset_check_version(r.latest) < 0 || r.n > CLAIMS_WP_MAX_RELEASES)
			abort();
		for (i = 0; i < r.n; i++)
			if (fpset_check_version(r.v[i]) < 0 || strcmp(r.v[i], "trunk") == 0)
				abort();
	}
	claims_releases_free(&r);
	return 0;
}
