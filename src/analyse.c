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
#include "json.h"
#include "phpscan.h"
#include "util.h"
#include "yarascan.h"

struct analyse {
	unsigned refs; /* analyse_hold; atomic: hash workers give theirs back */
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
	a->refs = 1;
	*ret = a;
	return 0;
}

void
analyse_free(struct analyse *a)
{
	if (a == NULL || __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	yarascan_free(a->yara);
	free(a);
}

struct analyse *
analyse_hold(struct analyse *a)
{
	if (a)
		__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	return a;
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
	if (r->n < ANALYSE_FINDINGS_MAX) {
		f = &r->f[r->n++];
	} else {
		/* full: the weakest kept gives way to a stronger finding, so that
		 * many weak findings cannot hide the one that decides the verdict */
		unsigned w = 0;

		for (i = 1; i < r->n; i++)
			if (r->f[i].conf < r->f[w].conf)
				w = i;
		if (r->f[w].conf >= conf)
			return;
		f = &r->f[w];
	}
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

/* one finding a line: "conf<TAB>line<TAB>class<TAB>rule<TAB>excerpt"; the
 * excerpt is escaped (no tab, no newline), classes and rules are identifiers */
size_t
analyse_result_encode(const struct analyse_result *r, char *out, size_t sz)
{
	size_t n = 0;
	unsigned i;

	if (sz == 0)
		return 0;
	out[0] = '\0';
	for (i = 0; i < r->n; i++) {
		const struct analyse_finding *f = &r->f[i];
		int k = snprintf(out + n, sz - n, "%d\t%u\t%s\t%s\t%s\n", f->conf, f->line, f->cls, f->rule,
				 f->excerpt);

		if (k < 0 || (size_t)k >= sz - n) {
			out[n] = '\0';
			break;
		}
		n += (size_t)k;
	}
	return n;
}

static bool
field(const char **p, const char *end, char *out, size_t sz)
{
	const char *t = memchr(*p, '\t', (size_t)(end - *p));
	size_t n;

	if (t == NULL)
		t = end;
	n = (size_t)(t - *p);
	if (n >= sz)
		n = sz - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = t < end ? t + 1 : end;
	return true;
}

int
analyse_result_decode(const char *s, size_t len, enum analyse_verdict v, struct analyse_result *ret)
{
	const char *p = s, *end = s + len;

	memset(ret, 0, sizeof(*ret));
	if ((unsigned)v >= ANALYSE_VERDICT_MAX)
		return -EINVAL;
	ret->verdict = v;
	while (p < end && ret->n < ANALYSE_FINDINGS_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct analyse_finding *f = &ret->f[ret->n];
		char num[16];

		if (nl == NULL)
			nl = end;
		field(&p, nl, num, sizeof(num));
		f->conf = atoi(num);
		field(&p, nl, num, sizeof(num));
		f->line = (uint32_t)strtoul(num, NULL, 10);
		field(&p, nl, f->cls, sizeof(f->cls));
		field(&p, nl, f->rule, sizeof(f->rule));
		field(&p, nl, f->excerpt, sizeof(f->excerpt));
		if (f->cls[0] == '\0' || f->conf < 0 || f->conf > 2)
			return -EINVAL;
		ret->n++;
		p = nl < end ? nl + 1 : end;
	}
	return 0;
}

size_t
analyse_result_summary(const struct analyse_result *r, char *out, size_t sz)
{
	size_t n = 0;
	unsigned i;

	if (sz == 0)
		return 0;
	out[0] = '\0';
	for (i = 0; i < r->n && i < 3; i++) {
		const struct analyse_finding *f = &r->f[i];
		int k = snprintf(out + n, sz - n, "%s%s (%s, line %u: %s)", i ? "; " : "", f->cls,
				 analyse_conf_name(f->conf), f->line, f->excerpt);

		if (k < 0 || (size_t)k >= sz - n) {
			n = strlen(out);
			break;
		}
		n += (size_t)k;
	}
	if (r->n > 3 && n + 16 < sz)
		n += (size_t)snprintf(out + n, sz - n, "; %u more", r->n - 3);
	return n;
}

const char *
analyse_conf_name(int conf)
{
	return conf >= 2 ? "high" : conf == 1 ? "weak" : "note";
}

void
analyse_findings_json(struct json *j, const struct analyse_result *r)
{
	unsigned i;

	json_key(j, "findings");
	json_arr_begin(j);
	for (i = 0; i < r->n; i++) {
		const struct analyse_finding *f = &r->f[i];

		json_obj_begin(j);
		json_kv_str(j, "class", f->cls);
		json_kv_str(j, "confidence", analyse_conf_name(f->conf));
		json_kv_str(j, "source", f->rule);
		json_kv_int(j, "line", f->line);
		json_kv_str(j, "excerpt", f->excerpt);
		json_obj_end(j);
	}
	json_arr_end(j);
}
