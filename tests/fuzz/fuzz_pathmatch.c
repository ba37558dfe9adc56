// SPDX-License-Identifier: GPL-2.0-or-later
/* Path matcher: the input is a pattern or glob, a newline, and a path (a
 * tenant names its files). Any bytes match or not, within bounds: the root
 * length lies inside the path, the customer is a terminated string of the
 * path, the prefix inside the pattern. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pathmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *a, *b, cust[64];
	size_t al, rl = 0;
	const char *rest = NULL;

	if (nl == NULL || size > 8192)
		return 0;
	al = (size_t)(nl - data);
	a = strndup((const char *)data, al);
	b = strndup((const char *)nl + 1, size - al - 1);
	if (a == NULL || b == NULL)
		abort();
	if (pathmatch_pattern(a, b, cust, sizeof(cust), &rl, NULL) &&
	    (rl > strlen(b) || strlen(cust) >= sizeof(cust)))
		abort();
	if (pathmatch_pattern(a, b, cust, sizeof(cust), &rl, &rest) &&
	    (rl > strlen(b) || rest < a || rest > a + strlen(a)))
		abort();
	(void)pathmatch_pattern_candidate(a, b);
	if (pathmatch_prefix(a) > strlen(a))
		abort();
	(void)pathmatch_under(b, a, strlen(a));
	(void)pathmatch_glob(a, b);
	{
		char *g[1] = { a };

		(void)pathmatch_ignored(g, 1, b);
	}
	free(a);
	free(b);
	return 0;
}
