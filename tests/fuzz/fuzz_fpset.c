// SPDX-License-Identifier: GPL-2.0-or-later
/* Fingerprint set parser: any bytes; every accepted line must be a sane path. */
#include <stdlib.h>
#include <string.h>

#include "fpset.h"

static int
check(void *ud, const struct fpset_line *l)
{
	const char *why;

	(void)ud;
	if (l->pathlen == 0 || l->path[0] == '/' || memchr(l->path, '\0', l->pathlen) ||
	    fpset_check_path(l->path, l->pathlen, &why) < 0)
		abort();
	return 0;
}

static int
vcheck(void *ud, const struct fpset_version_info *vi)
{
	(void)ud;
	if (fpset_check_version(vi->version) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct buf b;

	fpset_parse((const char *)data, size, "fuzz", check, NULL, err, sizeof(err));
	fpset_parse_versions((const char *)data, size, "fuzz", vcheck, NULL, err, sizeof(err));
	/* a formatted line parses back to the same path */
	if (size >= 32 && size < 4096) {
		const char *why;

		if (fpset_check_path((const char *)data + 32, size - 32, &why) == 0) {
			buf_init(&b, 1 << 20);
			fpset_format_line(&b, data, (const char *)data + 32, size - 32);
			fpset_parse(b.data, b.len, "rt", check, NULL, err, sizeof(err));
			buf_free(&b);
		}
	}
	return 0;
}
