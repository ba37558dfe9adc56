// SPDX-License-Identifier: GPL-2.0-or-later
/* wsid: the webspace integrity daemon. */
#include <stdio.h>
#include <string.h>

#include "log.h"

#define WSID_VERSION "0.1.0"

int
main(int argc, char **argv)
{
	log_init("wsid", LOG_LEVEL_INFO, 0);
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("wsid %s\n", WSID_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: wsid [--version]\n");
	return 2;
}
