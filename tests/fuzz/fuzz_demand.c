// SPDX-License-Identifier: GPL-2.0-or-later
/* Demand lists (components --unknown --json from another node, read by
 * index fetch --list): any bytes are parsed or refused with a message; every
 * accepted component has a product name and version the index accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "components.h"
#include "fpset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct component_list l;
	char err[512] = "";
	size_t i;

	if (components_parse_list((const char *)data, size, "fuzz", &l, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || l.n != 0)
			abort();
		return 0;
	}
	for (i = 0; i < l.n; i++)
		if (fpset_check_product(l.c[i].product) < 0 || fpset_check_version(l.c[i].claimed) < 0)
			abort();
	components_free(&l);
	return 0;
}
