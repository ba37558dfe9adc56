// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket request lines. */
#include <stdlib.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CONTROL_LINE_MAX + 1], *verb, *arg;
	size_t i;

	if (size > CONTROL_LINE_MAX)
		size = CONTROL_LINE_MAX;
	memcpy(line, data, size);
	if (control_parse_line(line, size, &verb, &arg) == 0) {
		for (i = 0; verb[i]; i++)
			if (!((verb[i] >= 'a' && verb[i] <= 'z') || verb[i] == '-'))
				abort();
		if (verb[0] == '\0')
			abort();
	}
	return 0;
}
