// SPDX-License-Identifier: GPL-2.0-or-later
/* The analysis cache (state_analysis_get/put over the `analysis` table): a
 * result comes back as stored, findings, lines and escaped excerpts intact,
 * only under the rule-set version it was stored with; a malformed row is
 * judged again rather than trusted; the analyser's references. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse.h"
#include "fixture.h"
#include "state.h"
#include "store.h"
#include "t.h"

static void
sample(struct analyse_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = ANALYSE_MALICIOUS;
	snprintf(r->f[0].cls, sizeof(r->f[0].cls), "exec-of-input");
	snprintf(r->f[0].rule, sizeof(r->f[0].rule), "phpscan");
	r->f[0].conf = 2;
	r->f[0].line = 3;
	snprintf(r->f[0].excerpt, sizeof(r->f[0].excerpt), "eval($_POST[\\x22k\\x22]) \\\\ x");
	snprintf(r->f[1].cls, sizeof(r->f[1].cls), "shell-recon");
	snprintf(r->f[1].rule, sizeof(r->f[1].rule), "wsid_shell_recon");
	r->f[1].conf = 1;
	r->f[1].line = 0;
	r->n = 2;
}

static void
test_roundtrip(void)
{
	struct fx f;
	struct store *s;
	struct state *st;
	struct analyse_result in, out;
	uint8_t sha[SHA256_LEN], other[SHA256_LEN];

	memset(sha, 0xab, sizeof(sha));
	memset(other, 0xcd, sizeof(other));
	if (fx_open(&f, "ancache") < 0) {
		T_CHECK(0, "a database");
		fx_close(&f);
		return;
	}
	s = f.s;
	st = f.st;
	sample(&in);
	T_EQ_INT(state_analysis_get(st, sha, "v1", &out), -ENOENT);
	T_EQ_INT(state_begin(st), 0);
	T_EQ_INT(state_analysis_put(st, sha, "v1", &in), 0);
	T_EQ_INT(state_commit(st), 0);
	T_EQ_INT(state_analysis_get(st, sha, "v1", &out), 0);
	T_EQ_INT(out.verdict, ANALYSE_MALICIOUS);
	T_EQ_INT(out.n, 2);
	T_EQ_STR(out.f[0].cls, "exec-of-input");
	T_EQ_STR(out.f[0].rule, "phpscan");
	T_EQ_INT(out.f[0].line, 3);
	T_EQ_INT(out.f[0].conf, 2);
	T_EQ_STR(out.f[0].excerpt, in.f[0].excerpt);
	T_EQ_STR(out.f[1].cls, "shell-recon");
	T_EQ_STR(out.f[1].excerpt, "");
	/* other rules, other content: not known */
	T_EQ_INT(state_analysis_get(st, sha, "v2", &out), -ENOENT);
	T_EQ_INT(state_analysis_get(st, other, "v1", &out), -ENOENT);
	/* a clean result is cached too (one analysis per content) */
	memset(&in, 0, sizeof(in));
	T_EQ_INT(state_begin(st), 0);
	T_EQ_INT(state_analysis_put(st, other, "v1", &in), 0);
	T_EQ_INT(state_commit(st), 0);
	T_EQ_INT(state_analysis_get(st, other, "v1", &out), 0);
	T_EQ_INT(out.verdict, ANALYSE_CLEAN);
	T_EQ_INT(out.n, 0);
	/* a damaged row is analysed again, never trusted */
	{
		sqlite3_stmt *q = store_prepare(s, "UPDATE analysis SET findings='x\tnot a finding' WHERE "
						   "rules_version='v1' AND verdict=2");

		T_OK(q && sqlite3_step(q) == SQLITE_DONE);
		sqlite3_finalize(q);
	}
	T_EQ_INT(state_analysis_get(st, sha, "v1", &out), -ENOENT);
	fx_close(&f);
}

static void
test_decode_bounds(void)
{
	struct analyse_result r;
	char big[8192];
	size_t n = 0;
	int i;

	/* more lines than ANALYSE_FINDINGS_MAX: the rest is left off */
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "1\t%d\tchr-soup\tphpscan\tabc\n", i);
	T_EQ_INT(analyse_result_decode(big, n, ANALYSE_SUSPICIOUS, &r), 0);
	T_EQ_INT(r.n, ANALYSE_FINDINGS_MAX);
	/* a confidence out of range, a verdict out of range */
	T_EQ_INT(analyse_result_decode("7\t1\tx\ty\tz\n", 12, ANALYSE_SUSPICIOUS, &r), -EINVAL);
	T_EQ_INT(analyse_result_decode("", 0, (enum analyse_verdict)9, &r), -EINVAL);
	/* the summary names at most three and counts the rest */
	T_EQ_INT(analyse_result_decode(big, n, ANALYSE_SUSPICIOUS, &r), 0);
	analyse_result_summary(&r, big, sizeof(big));
	T_OK(strstr(big, "chr-soup (weak, line 0: abc)") == big);
	T_OK(strstr(big, "; 21 more") != NULL);
}

static void
test_refs(void)
{
	struct analyse *a = NULL, *b;
	char err[128];

	T_EQ_INT(analyse_new(NULL, 0, &a, err, sizeof(err)), 0);
	b = analyse_hold(a);
	T_OK(a == b);
	analyse_free(a);
	/* still alive: the hold keeps it (ASan would see a use after free) */
	T_EQ_INT((int)strlen(analyse_rules_version(b)), ANALYSE_RULES_VERSION_LEN);
	analyse_free(b);
}

int
main(void)
{
	T_RUN(test_roundtrip);
	T_RUN(test_decode_bounds);
	T_RUN(test_refs);
	T_DONE();
}
