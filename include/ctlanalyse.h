/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wsidctl analyse FILE|DIR...: the analyser (src/analyse.c) run ad hoc. */
#ifndef WSID_CTLANALYSE_H
#define WSID_CTLANALYSE_H

#include <stdbool.h>

/* argv[0] is the verb; json: the global --json was given. Returns the exit
 * code: 0 clean, 1 findings, 2 error. */
int ctl_analyse(int argc, char **argv, bool json);

#endif
