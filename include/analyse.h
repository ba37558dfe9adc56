/* SPDX-License-Identifier: GPL-2.0-or-later */
/* analyse: what unknown code does. Combines phpscan (our PHP analyser) and
 * yarascan (libyara with wsid's rules and the admin's) into findings and one
 * verdict per content. The rule-set version names the analyser version and
 * the rule sources, so a result can be cached per content hash and judged
 * again only when it changes. */
#ifndef WSID_ANALYSE_H
#define WSID_ANALYSE_H

#include <stddef.h>
#include <stdint.h>

/* bumped when the combination itself changes */
#define ANALYSE_VERSION 1

struct analyse;

enum analyse_verdict {
	ANALYSE_CLEAN,
	ANALYSE_SUSPICIOUS,
	ANALYSE_MALICIOUS,
	ANALYSE_VERDICT_MAX
};

#define ANALYSE_FINDINGS_MAX 24
#define ANALYSE_CLASS_MAX 64
#define ANALYSE_EXCERPT_MAX 72
#define ANALYSE_RULES_VERSION_LEN 64 /* hex of a SHA-256 */

struct analyse_finding {
	char cls[ANALYSE_CLASS_MAX];  /* finding class: "exec-of-input", a rule's class */
	char rule[ANALYSE_CLASS_MAX]; /* "phpscan" or the YARA rule's identifier */
	int conf;                     /* 2 high, 1 weak, 0 note (enum phpscan_conf) */
	uint32_t line;                /* 1-based; 0 when unknown */
	char excerpt[ANALYSE_EXCERPT_MAX]; /* escaped: printable ASCII, \xNN, \\ */
};

/* findings sorted most confident first */
struct analyse_result {
	enum analyse_verdict verdict;
	struct analyse_finding f[ANALYSE_FINDINGS_MAX];
	unsigned n;
};

/* Loads the rules named by the globs (none: our analyser alone). Errors as
 * yarascan_new: a rule file that does not compile is named in err. */
int analyse_new(const char *const *rule_globs, size_t nglobs, struct analyse **ret, char *err, size_t errsz);
/* Gives back one reference (the one of analyse_new or of analyse_hold):
 * the last frees. */
void analyse_free(struct analyse *a);
/* one more reference (a hash job holding the rules while a reload swaps them) */
struct analyse *analyse_hold(struct analyse *a);

/* Analyses n bytes named name (a path or a base name; may be NULL). Safe
 * from several threads on one struct analyse. */
int analyse_buf(struct analyse *a, const uint8_t *p, size_t n, const char *name, struct analyse_result *ret);

/* hex SHA-256 of the analyser versions and the rule sources; lives as long as a */
const char *analyse_rules_version(const struct analyse *a);
/* number of rule files compiled */
size_t analyse_rule_files(const struct analyse *a);

/* "clean", "suspicious", "malicious" */
const char *analyse_verdict_name(enum analyse_verdict v);

/* The findings as text (the analysis cache): one line each,
 * "conf<TAB>line<TAB>class<TAB>rule<TAB>excerpt". Returns the length written
 * (findings that do not fit are left off). */
size_t analyse_result_encode(const struct analyse_result *r, char *out, size_t sz);
/* reads what analyse_result_encode wrote; -EINVAL on a malformed line */
int analyse_result_decode(const char *s, size_t len, enum analyse_verdict v, struct analyse_result *ret);
/* "exec-of-input (high, line 3: eval($_POST...)); ..." for an event's reason:
 * the three most confident findings */
size_t analyse_result_summary(const struct analyse_result *r, char *out, size_t sz);
/* "high", "weak", "note" */
const char *analyse_conf_name(int conf);
struct json;
/* "findings": [{"class", "confidence", "source", "line", "excerpt"}] into an open object */
void analyse_findings_json(struct json *j, const struct analyse_result *r);

#endif
