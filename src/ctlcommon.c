// SPDX-License-Identifier: GPL-2.0-or-later
/* What wsidctl's verbs share: the usage line of a verb, the lookups of
 * ctl_env, one JSON object on a line of stdout, the rule globs the node
 * compiles. */
#include "ctlverbs.h"

#include "config.h"
#include "json.h"

#ifndef WSID_DATADIR
#define WSID_DATADIR "/usr/local/share/wsid"
#endif

void
ctl_usage(const struct ctl_verb *v, FILE *out)
{
	fprintf(out, "usage: wsidctl [--db PATH] [--config PATH] %s\n  %s\n", v->usage, v->help);
}

void
ctl_env_resolve(struct ctl_env *env)
{
	env->cfg = env->config();
	env->db = env->db_path();
	env->socket = env->socket_path();
}

void
ctl_jout_begin(struct buf *b, struct json *j)
{
	buf_init(b, 0);
	json_init(j, b);
	json_obj_begin(j);
}

void
ctl_jout_end(struct buf *b, struct json *j)
{
	json_obj_end(j);
	printf("%s\n", b->data);
	buf_free(b);
}

void
ctl_rule_globs(const struct ctl_env *env, const char *const **globs, size_t *n)
{
	static const char *const dflt[] = { WSID_DATADIR "/rules/*.yar" };

	if (env->cfg && env->cfg->nanalysis_rules) {
		*globs = (const char *const *)env->cfg->analysis_rules;
		*n = env->cfg->nanalysis_rules;
	} else {
		*globs = dflt;
		*n = 1;
	}
}
