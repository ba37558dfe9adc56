// SPDX-License-Identifier: GPL-2.0-or-later
/* Release archives through libarchive: any bytes are an archive or an error;
 * an accepted entry is never absolute and never climbs out. */
#include <stdlib.h>
#include <string.h>

#include "fpset.h"
#include "ingest.h"

static int
entry(void *ud, const char *path, size_t len, const uint8_t sha256[32])
{
	const char *why;

	(void)ud;
	(void)sha256;
	if (fpset_check_path(path, len, &why) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	ingest_archive_mem(data, size, entry, NULL, err, sizeof(err));
	return 0;
}
