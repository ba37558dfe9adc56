// SPDX-License-Identifier: GPL-2.0-or-later
/* PHP analyser: never reads out of bounds, always terminates, and keeps its
 * results within their bounds (findings capped, excerpts printable and
 * terminated, lines within the buffer). The first byte picks the file name. */
#include <stdlib.h>
#include <string.h>

#include "phpscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "x.php", ".htaccess", ".user.ini", "logo.jpg", NULL,
					     "favicon.ico", "notes.txt", "a.inc" };
	struct phpscan_result r;
	uint32_t lines = 1;
	size_t i;
	unsigned k;

	if (size == 0)
		return 0;
	for (i = 1; i < size; i++)
		lines += data[i] == '\n';
	if (phpscan_buf(data + 1, size - 1, names[data[0] % 8], &r) < 0)
		abort();
	if (r.n > PHPSCAN_FINDINGS_MAX || (r.n == 0 && r.worst != PHPSCAN_NOTE))
		abort();
	for (k = 0; k < r.n; k++) {
		const struct phpscan_finding *f = &r.f[k];
		size_t l = strnlen(f->excerpt, PHPSCAN_EXCERPT_MAX);

		if (l == PHPSCAN_EXCERPT_MAX || f->line == 0 || f->line > lines || f->count == 0 ||
		    (unsigned)f->cls >= PHPSCAN_CLASS_MAX || f->conf > r.worst)
			abort();
		for (i = 0; i < l; i++)
			if (f->excerpt[i] < 0x20 || f->excerpt[i] > 0x7e)
				abort();
	}
	return 0;
}
