// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON and WordPress.org checksum files: any bytes are parsed or refused with
 * a message; an accepted file gives a set the fingerprint set parser
 * accepts, one line per (path, sha256). */
#include <stdlib.h>
#include <string.h>

#include "fpset.h"
#include "jsonparse.h"
#include "wpsums.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
line_cb(void *ud, const struct fpset_line *l)
{
	(void)l;
	(*(size_t *)ud)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jnode *root = NULL;
	char err[512];
	struct buf out;
	size_t nfiles = 0, nlines = 0;

	if (jsonp_parse((const char *)data, size, &root, err, sizeof(err)) == 0)
		jsonp_free(root);
	else if (err[0] == '\0')
		abort();
	buf_init(&out, 0);
	if (wpsums_to_set((const char *)data, size, "fuzz", NULL, NULL, &out, &nfiles, err,
			  sizeof(err)) == 0) {
		if (fpset_parse(out.data, out.len, "set", line_cb, &nlines, err, sizeof(err)) != 0 ||
		    nlines < nfiles || nfiles == 0)
			abort();
	} else if (err[0] == '\0') {
		abort();
	}
	buf_free(&out);
	return 0;
}
