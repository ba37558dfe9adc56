// SPDX-License-Identifier: GPL-2.0-or-later
/* analyse: phpscan and yarascan behind one call, one verdict.
 *
 * Verdict: a high-confidence finding of either engine is malicious; a weak
 * one, or notes of two different classes from phpscan, suspicious; else
 * clean. Findings are merged (one per class and source), most confident
 * first, each with a line and an escaped excerpt. The rule-set version is a
 * SHA-256 over "wsid-analyse", ANALYSE_VERSION, PHPSCAN_VERSION and the YARA
 * sources' digest: results stored with it stay valid until it changes. */
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "phpscan.h"
#include "util.h"
#include "yarascan.h"

struct analyse {
	struct yarascan *yara; /* NULL: our analyser alone */
	char version[ANALYSE_RULES_VERSION_LEN + 1];
};

int
analyse_new(const char *const *rule_globs, size_t nglobs, struct analyse **ret, char *err, size_t errsz)
{
	struct analyse *a = xcalloc(1, sizeof(*a));
	crypto_hash_sha256_state hs;
	uint8_t d[crypto_hash_sha256_BYTES];
	char head[64];
	int r;

	if (nglobs > 0) {
		r = yarascan_new(rule_globs, nglobs, &a->yara, err, errsz);
		if (r < 0) {
			free(a);
			return r;
		}
	}
	snprintf(head, sizeof(head), "wsid-analyse %d phpscan %d yara %zu", ANALYSE_VERSION, PHPSCAN_VERSION,
		 a->yara ? yarascan_nfiles(a->yara) : 0);
	crypto_hash_sha256_init(&hs);
	crypto_hash_sha256_update(&hs, (const uint8_t *)head, strlen(head));
	if (a->yara)
		crypto_hash_sha256_update(&hs, yarascan_digest(a->yara), crypto_hash_sha256_BYTES);
	crypto_hash_sha256_final(&hs, d);
	hex_encode(d, sizeof(d), a->version);
	*ret = a;
	return 0;
}

void
analyse_free(struct analyse *a)
{
	if (a == NULL)
		return;
	yarascan_free(a->yara);
	free(a);
}

const char *
analyse_rules_version(const struct analyse *a)
{
	return a->version;
}

size_t
analyse_rule_files(const struct analyse *a)
{
	return a->yara ? yarascan_nfiles(a->yara) : 0;
}

const char *
analyse_verdict_name(enum analyse_verdict v)
{
	switch (v) {
	case ANALYSE_MALICIOUS:
		return "malicious";
	case ANALYSE_SUSPICIOUS:
		return "suspicious";
	default:
		return "clean";
	}
}

static void
add(struct analyse_result *r, const char *cls, const char *rule, int conf, uint32_t line, const char *excerpt)
{
	struct analyse_finding *f;
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->f[i].cls, cls) == 0 && strcmp(r->f[i].rule, rule) == 0)
			return;
	if (r->n == ANALYSE_FINDINGS_MAX)
		return;
	f = &r->f[r->n++];
	snprintf(f->cls, sizeof(f->cls), "%s", cls);
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->conf = conf;
	f->line = line;
	snprintf(f->excerpt, sizeof(f->excerpt), "%s", excerpt);
}

static int
finding_cmp(const void *x, const void *y)
{
	const struct analyse_finding *a = x, *b = y;

	if (a->conf != b->conf)
		return b->conf - a->conf;
	return (a->line > b->line) - (a->line < b->line);
}

int
analyse_buf(struct analyse *a, const uint8_t *p, size_t n, const char *name, struct analyse_result *ret)
{
	struct phpscan_result ps;
	struct yarascan_match ym[YARASCAN_MATCH_MAX];
	size_t nym = 0, i;
	int r, worst = 0;

	if (a == NULL || ret == NULL || (p == NULL && n > 0))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	r = phpscan_buf(p, n, name, &ps);
	if (r < 0)
		return r;
	for (i = 0; i < ps.n; i++)
		add(ret, phpscan_class_name(ps.f[i].cls), "phpscan", (int)ps.f[i].conf, ps.f[i].line, ps.f[i].excerpt);
	if (a->yara) {
		r = yarascan_buf(a->yara, p, n, ym, YARASCAN_MATCH_MAX, &nym);
		if (r < 0)
			return r;
	}
	for (i = 0; i < nym; i++) {
		char ex[PHPSCAN_EXCERPT_MAX] = "";
		uint32_t line = 0;

		if (ym[i].offset != SIZE_MAX && ym[i].offset < n) {
			line = phpscan_line_of(p, n, ym[i].offset);
			phpscan_excerpt(p, n, ym[i].offset, ex);
		}
		add(ret, ym[i].cls, ym[i].rule, ym[i].severity, line, ex);
	}
	qsort(ret->f, ret->n, sizeof(ret->f[0]), finding_cmp);
	for (i = 0; i < ret->n; i++)
		if (ret->f[i].conf > worst)
			worst = ret->f[i].conf;
	if (worst >= PHPSCAN_HIGH)
		ret->verdict = ANALYSE_MALICIOUS;
	else if (worst == PHPSCAN_WEAK || ps.notes >= 2)
		ret->verdict = ANALYSE_SUSPICIOUS;
	else
		ret->verdict = ANALYSE_CLEAN;
	return 0;
}
