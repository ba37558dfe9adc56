// SPDX-License-Identifier: GPL-2.0-or-later
/* yarascan over rule files the test writes: a rule set compiles and its
 * matches name the rule, its class and severity from the meta, and the offset
 * of the first string matched; a broken rule file is refused with its name,
 * line and libyara's message; globs: a name that matches nothing is refused,
 * an admin's wildcard that matches nothing is not, each file counts once;
 * the digest follows the sources' bytes, not where they live. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "t.h"
#include "yarascan.h"

static struct fx fx;
static char own[256], admin_glob[256];

static const char own_rules[] =
	"rule wsid_test_dropper\n"
	"{\n"
	"    meta:\n"
	"        class = \"dropper\"\n"
	"        severity = \"high\"\n"
	"    strings:\n"
	"        $put = \"file_put_contents(\"\n"
	"        $dec = \"base64_decode(\"\n"
	"    condition:\n"
	"        all of them\n"
	"}\n"
	"rule wsid_test_note\n"
	"{\n"
	"    meta:\n"
	"        severity = \"note\"\n"
	"    strings:\n"
	"        $n = \"NOTE-MARKER\"\n"
	"    condition:\n"
	"        $n\n"
	"}\n"
	"rule wsid_test_elf\n"
	"{\n"
	"    condition:\n"
	"        uint32(0) == 0x464c457f\n"
	"}\n";

static const char admin_rules[] = "rule admin_mark { strings: $m = \"ADMIN-MARK\" condition: $m }\n";

static int
compile(const char *const *globs, size_t n, struct yarascan **y, char *err, size_t errsz)
{
	err[0] = '\0';
	*y = NULL;
	return yarascan_new(globs, n, y, err, errsz);
}

static void
test_matches(void)
{
	const char *g[] = { own };
	static const char drop[] = "<?php\n// fetch\n$x = base64_decode($blob);\nfile_put_contents('a.php', $x);\n";
	static const char elf[] = "\x7f" "ELF\x02\x01\x01 NOTE-MARKER";
	struct yarascan *y;
	struct yarascan_match m[YARASCAN_MATCH_MAX];
	size_t n = 99, i;
	char err[256];

	T_EQ_INT(compile(g, 1, &y, err, sizeof(err)), 0);
	if (y == NULL) {
		printf("# %s\n", err);
		return;
	}
	T_EQ_INT(yarascan_nfiles(y), 1);

	T_EQ_INT(yarascan_buf(y, (const uint8_t *)drop, strlen(drop), m, YARASCAN_MATCH_MAX, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_STR(m[0].rule, "wsid_test_dropper");
	T_EQ_STR(m[0].cls, "dropper");
	T_EQ_INT(m[0].severity, 2);
	/* the first string matched: base64_decode( comes before the write */
	T_EQ_INT(m[0].offset, strstr(drop, "base64_decode(") - drop);

	/* no strings: no offset; no meta: the identifier is the class, weak */
	n = 99;
	T_EQ_INT(yarascan_buf(y, (const uint8_t *)elf, sizeof(elf) - 1, m, YARASCAN_MATCH_MAX, &n), 0);
	T_EQ_INT(n, 2);
	for (i = 0; i < n && i < 2; i++) {
		if (strcmp(m[i].rule, "wsid_test_elf") == 0) {
			T_EQ_STR(m[i].cls, "wsid_test_elf");
			T_EQ_INT(m[i].severity, 1);
			T_OK(m[i].offset == SIZE_MAX);
		} else {
			T_EQ_STR(m[i].rule, "wsid_test_note");
			T_EQ_INT(m[i].severity, 0);
			T_EQ_INT(m[i].offset, (const char *)memmem(elf, sizeof(elf) - 1, "NOTE", 4) - elf);
		}
	}
	/* at most max matches: the strongest kept, whatever the rules' order
	 * (the note rule matches before the weak one and gives way to it) */
	n = 99;
	T_EQ_INT(yarascan_buf(y, (const uint8_t *)elf, sizeof(elf) - 1, m, 1, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_STR(m[0].rule, "wsid_test_elf");

	/* half the dropper's strings: nothing; empty input: nothing */
	n = 99;
	T_EQ_INT(yarascan_buf(y, (const uint8_t *)"<?php base64_decode($a);", 24, m, YARASCAN_MATCH_MAX, &n), 0);
	T_EQ_INT(n, 0);
	n = 99;
	T_EQ_INT(yarascan_buf(y, NULL, 0, m, YARASCAN_MATCH_MAX, &n), 0);
	T_EQ_INT(n, 0);
	T_EQ_INT(yarascan_buf(y, NULL, 3, m, YARASCAN_MATCH_MAX, &n), -EINVAL);
	T_EQ_INT(yarascan_buf(NULL, (const uint8_t *)"x", 1, m, YARASCAN_MATCH_MAX, &n), -EINVAL);
	yarascan_free(y);
}

static void
test_broken_rule(void)
{
	char bad[256], err[512], want[300];
	const char *g[2] = { own, bad };
	struct yarascan *y;
	int r;

	snprintf(bad, sizeof(bad), "%s/broken.yar", fx.dir);
	T_OK(fx_put(bad, "rule broken\n{\n    condition: $nosuch }\n") == 0);
	r = compile(g, 2, &y, err, sizeof(err));
	T_OK(r < 0);
	T_OK(y == NULL);
	/* the file, the line, and libyara's words */
	snprintf(want, sizeof(want), "%s:3: ", bad);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);
	T_CHECK(strstr(err, "$nosuch") != NULL, "%s", err);
	yarascan_free(y);

	/* a syntax error on line 2 of another file */
	T_OK(fx_put(bad, "rule a { condition: true }\nrule b { strings: $x = condition: $x }\n") == 0);
	r = compile(g, 2, &y, err, sizeof(err));
	T_OK(r < 0);
	snprintf(want, sizeof(want), "%s:2: ", bad);
	T_CHECK(strncmp(err, want, strlen(want)) == 0, "%s", err);

	/* a rule set that compiles after a broken one was refused */
	r = compile(g, 1, &y, err, sizeof(err));
	T_EQ_INT(r, 0);
	yarascan_free(y);
}

static void
test_globs(void)
{
	char missing[256], dir[256], err[512], copy[256], admin_file[256], wild[256];
	const char *g2[2] = { own, admin_glob };
	const char *gm[1] = { missing };
	const char *gd[1] = { wild };
	const char *gw[1] = { admin_glob };
	struct yarascan *a = NULL, *b = NULL, *c = NULL;
	struct yarascan_match m[4];
	size_t n = 0;
	uint8_t d1[32];

	/* a name without wildcard must be there */
	snprintf(missing, sizeof(missing), "%s/none.yar", fx.dir);
	T_EQ_INT(compile(gm, 1, &a, err, sizeof(err)), -ENOENT);
	T_CHECK(strstr(err, "none.yar") != NULL && strstr(err, "no such rule file") != NULL, "%s", err);
	/* an admin's directory with nothing in it: only our rules */
	T_EQ_INT(compile(gw, 1, &a, err, sizeof(err)), -ENOENT);
	T_EQ_INT(compile(g2, 2, &a, err, sizeof(err)), 0);
	if (a == NULL)
		return;
	T_EQ_INT(yarascan_nfiles(a), 1);
	memcpy(d1, yarascan_digest(a), 32);

	/* the admin adds a file: two files, another digest, its rule matches */
	snprintf(admin_file, sizeof(admin_file), "%s/admin/local.yar", fx.dir);
	T_OK(fx_put_at(fx.dir, "admin/local.yar", admin_rules) == 0);
	T_EQ_INT(compile(g2, 2, &b, err, sizeof(err)), 0);
	if (b) {
		T_EQ_INT(yarascan_nfiles(b), 2);
		T_OK(memcmp(yarascan_digest(b), d1, 32) != 0);
		T_EQ_INT(yarascan_buf(b, (const uint8_t *)"x ADMIN-MARK", 12, m, 4, &n), 0);
		T_OK(n == 1 && strcmp(m[0].rule, "admin_mark") == 0);
	}
	yarascan_free(b);
	b = NULL;

	/* a file named twice counts once */
	{
		const char *g3[3] = { admin_file, own, admin_glob };

		T_EQ_INT(compile(g3, 3, &b, err, sizeof(err)), 0);
		if (b)
			T_EQ_INT(yarascan_nfiles(b), 2);
		yarascan_free(b);
		b = NULL;
	}

	/* the same bytes elsewhere: the same digest */
	snprintf(copy, sizeof(copy), "%s/elsewhere/copy.yar", fx.dir);
	T_OK(fx_put_at(fx.dir, "elsewhere/copy.yar", own_rules) == 0);
	{
		const char *gc[1] = { copy };

		T_EQ_INT(compile(gc, 1, &c, err, sizeof(err)), 0);
		T_OK(c && memcmp(yarascan_digest(c), d1, 32) == 0);
		yarascan_free(c);
		c = NULL;
	}
	/* one byte more: another digest */
	T_OK(fx_put_at(fx.dir, "elsewhere/copy.yar", "// \n" "rule wsid_x { condition: false }\n") == 0);
	{
		const char *gc[1] = { copy };

		T_EQ_INT(compile(gc, 1, &c, err, sizeof(err)), 0);
		T_OK(c && memcmp(yarascan_digest(c), d1, 32) != 0);
		yarascan_free(c);
		c = NULL;
	}

	/* a directory matched by a glob is no rule file */
	snprintf(dir, sizeof(dir), "%s/admin/sub.yar", fx.dir);
	T_OK(mkdir(dir, 0755) == 0);
	snprintf(wild, sizeof(wild), "%s/admin/*.yar", fx.dir);
	T_OK(compile(gd, 1, &c, err, sizeof(err)) < 0);
	T_CHECK(strstr(err, "sub.yar") != NULL && strstr(err, "not a regular file") != NULL, "%s", err);
	T_OK(c == NULL);
	yarascan_free(a);
}

static void
test_empty_file(void)
{
	char empty[256], err[256];
	const char *g[1] = { empty };
	struct yarascan *y;
	struct yarascan_match m[2];
	size_t n = 9;

	/* an empty file compiles to no rule at all */
	snprintf(empty, sizeof(empty), "%s/empty.yar", fx.dir);
	T_OK(fx_put(empty, "") == 0);
	T_EQ_INT(compile(g, 1, &y, err, sizeof(err)), 0);
	if (y) {
		T_EQ_INT(yarascan_buf(y, (const uint8_t *)"abc", 3, m, 2, &n), 0);
		T_EQ_INT(n, 0);
	}
	yarascan_free(y);
}

int
main(void)
{
	if (fx_open(&fx, "yarascan") < 0) {
		printf("not ok setup\n");
		return 1;
	}
	snprintf(own, sizeof(own), "%s/rules/wsid.yar", fx.dir);
	snprintf(admin_glob, sizeof(admin_glob), "%s/admin/*.yar", fx.dir);
	if (fx_put_at(fx.dir, "rules/wsid.yar", own_rules) < 0) {
		printf("not ok setup\n");
		return 1;
	}
	T_RUN(test_matches);
	T_RUN(test_broken_rule);
	T_RUN(test_globs);
	T_RUN(test_empty_file);
	fx_close(&fx);
	T_DONE();
}
