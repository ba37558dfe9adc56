// SPDX-License-Identifier: GPL-2.0-or-later
/* wsid's delivery modes, before the daemon's own options are read:
 *
 *   wsid --deliver USER [--sandbox optional] [--read PATH]...
 *	the delivery process the daemon starts, its socket on fd 3;
 *   wsid --deliver-listen PATH [--user USER] [--sandbox required|optional] [--read PATH]...
 *	a delivery service of its own (systemd/wsid-deliver.service).
 *
 * Linked into wsid beside deliver.c: nothing here reads a webspace. */
#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

bool
deliver_cli_mode(int argc, char **argv)
{
	return argc >= 3 && (strcmp(argv[1], "--deliver") == 0 || strcmp(argv[1], "--deliver-listen") == 0);
}

/* wsid --deliver USER ...: unknown options are skipped, as the daemon wrote them */
static int
deliver_child(int argc, char **argv)
{
	char **reads = xcalloc((size_t)argc, sizeof(char *));
	bool optional = false;
	size_t nr = 0;
	int k, r;

	for (k = 3; k + 1 < argc; k += 2)
		if (strcmp(argv[k], "--read") == 0)
			reads[nr++] = argv[k + 1];
		else if (strcmp(argv[k], "--sandbox") == 0)
			optional = strcmp(argv[k + 1], "optional") == 0;
	r = deliver_main(3, argv[2], reads, nr, optional);
	free(reads);
	return r;
}

static int
deliver_service(int argc, char **argv)
{
	char **reads = xcalloc((size_t)argc, sizeof(char *));
	const char *user = "nobody";
	bool optional = false;
	size_t nr = 0;
	int k, r;

	for (k = 3; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--read") == 0)
			reads[nr++] = argv[k + 1];
		else if (strcmp(argv[k], "--user") == 0)
			user = argv[k + 1];
		else if (strcmp(argv[k], "--sandbox") == 0 &&
			 (strcmp(argv[k + 1], "required") == 0 || strcmp(argv[k + 1], "optional") == 0))
			optional = strcmp(argv[k + 1], "optional") == 0;
		else {
			fprintf(stderr, "usage: wsid --deliver-listen PATH [--user USER] [--sandbox "
				"required|optional] [--read PATH]...\n");
			free(reads);
			return 2;
		}
	}
	r = deliver_listen(argv[2], user, reads, nr, optional);
	free(reads);
	return r;
}

int
deliver_cli(int argc, char **argv)
{
	log_init("wsid-deliver", LOG_LEVEL_INFO, true);
	if (strcmp(argv[1], "--deliver") == 0)
		return deliver_child(argc, argv);
	return deliver_service(argc, argv);
}
