/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wsidctl mark: the admin teaches the node what a content is. Malicious
 * hashes go on the known-bad list, false positives are marked trusted (for
 * one customer or all); both are recorded with who, when and why, and the
 * running daemon judges again every file with that content at once. */
#ifndef WSID_CTLMARK_H
#define WSID_CTLMARK_H

#include <stdbool.h>

struct ctl_env {
	const char *db;     /* database path */
	const char *socket; /* control socket of the daemon */
	bool json;
};

/* argv[0] is "mark"; returns the process exit code */
int ctl_mark(int argc, char **argv, const struct ctl_env *env);

#endif
