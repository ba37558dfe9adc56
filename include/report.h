/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scan reports for people (aligned text, names escaped) and for programs (JSON,
 * schema 1, documented in the README). */
#ifndef WSID_REPORT_H
#define WSID_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "ident.h"
#include "json.h"
#include "scan.h"

struct report_opts {
	bool verbose; /* text: list every file, not a sample */
	bool color;   /* text: ANSI colour (terminals only) */
};

/* one tree's installations, appended to an open JSON array/object by the
 * caller; with flush, what j's buffer holds is written there whenever it
 * reaches 1 MiB (j's buffer then holds only the tail of the document) */
void report_json_tree(struct json *j, const struct scan_tree *t, const struct ident_result *r,
		      FILE *flush);
void report_text_tree(FILE *out, const struct scan_tree *t, const struct ident_result *r,
		      const struct report_opts *o);
/* absolute root of an installation: tree root + "/" + relative root (malloc'ed) */
char *report_inst_root(const struct scan_tree *t, const struct installation *in);

#endif
