// SPDX-License-Identifier: GPL-2.0-or-later
/* What wsidctl's verbs share: the usage line of a verb's table entry. */
#include "ctlverbs.h"

void
ctl_usage(const struct ctl_verb *v, FILE *out)
{
	fprintf(out, "usage: wsidctl [--db PATH] [--config PATH] %s\n  %s\n", v->usage, v->help);
}
