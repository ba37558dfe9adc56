// SPDX-License-Identifier: GPL-2.0-or-later
/* fpset: sha256sum format, GNU escapes, errors with NAME:LINE. */
#include <errno.h>
#include <stdio.h>

#include "fpset.h"
#include "t.h"

struct col {
	char paths[8][64];
	int n;
};

static int
collect(void *ud, const struct fpset_line *l)
{
	struct col *c = ud;

	if (c->n < 8)
		snprintf(c->paths[c->n++], 64, "%.*s", (int)l->pathlen, l->path);
	return 0;
}

static const char H[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static void
test_valid(void)
{
	char text[1024], err[256];
	struct col c = { 0 };
	int r;

	snprintf(text, sizeof(text), "%s  index.php\n# comment\n\n%s *bin/x.dat\r\n\\%s  a\\nb\\\\c.php\n%s  ./lead.php\n",
		 H, H, H, H);
	r = fpset_parse(text, strlen(text), "set", collect, &c, err, sizeof(err));
	T_EQ_INT(r, 0);
	T_EQ_INT(c.n, 4);
	T_EQ_STR(c.paths[0], "index.php");
	T_EQ_STR(c.paths[1], "bin/x.dat");
	T_EQ_STR(c.paths[2], "a\nb\\c.php");
	T_EQ_STR(c.paths[3], "lead.php");
}

static void
expect_err(const char *line, const char *msg)
{
	char err[256] = "";
	struct col c = { 0 };
	int r = fpset_parse(line, strlen(line), "s.sha256", collect, &c, err, sizeof(err));

	T_CHECK(r == -EINVAL && strstr(err, msg) != NULL, "'%s' -> %d '%s' (want '%s')", line, r, err, msg);
}

static void
test_errors(void)
{
	char l[256];

	snprintf(l, sizeof(l), "%.63s  a.php\n", H);
	expect_err(l, "s.sha256:1: expected 64 hex digits");
	snprintf(l, sizeof(l), "%s  ok.php\n%.63sz  a.php\n", H, H);
	expect_err(l, "s.sha256:2: expected 64 hex digits");
	snprintf(l, sizeof(l), "%s a.php\n", H);
	expect_err(l, "s.sha256:1: expected two spaces");
	snprintf(l, sizeof(l), "%s  /etc/passwd\n", H);
	expect_err(l, "s.sha256:1: absolute path");
	snprintf(l, sizeof(l), "%s  a/../b\n", H);
	expect_err(l, "'.' or '..'");
	snprintf(l, sizeof(l), "%s  a//b\n", H);
	expect_err(l, "empty path component");
	snprintf(l, sizeof(l), "\\%s  a\\qb\n", H);
	expect_err(l, "unknown escape");
}

static void
test_roundtrip(void)
{
	uint8_t sha[SHA256_LEN];
	struct buf b;
	struct col c = { 0 };
	char err[256];

	hex_decode(H, SHA256_LEN, sha);
	buf_init(&b, 0);
	fpset_format_line(&b, sha, "x\ny\\z\r.php", strlen("x\ny\\z\r.php"));
	T_OK(b.data[0] == '\\');
	T_CHECK(fpset_parse(b.data, b.len, "rt", collect, &c, err, sizeof(err)) == 0, "%s [%s]", err, b.data);
	T_EQ_STR(c.paths[0], "x\ny\\z\r.php");
	buf_free(&b);
}

static int
vcount(void *ud, const struct fpset_version_info *vi)
{
	(*(int *)ud)++;
	return vi->files >= -1 ? 0 : -1;
}

static void
test_versions(void)
{
	const char ok[] = "version\ttag\tdate\tfiles\n6.4\t6.4\t2023-11-07\t3400\n# x\n6.4.1\t6.4.1\t\t\n";
	const char bad[] = "6.4\t6.4\t2023\tmany\n";
	char err[256];
	int n = 0;

	T_EQ_INT(fpset_parse_versions(ok, strlen(ok), "v.tsv", vcount, &n, err, sizeof(err)), 0);
	T_EQ_INT(n, 2);
	T_EQ_INT(fpset_parse_versions(bad, strlen(bad), "v.tsv", vcount, &n, err, sizeof(err)), -EINVAL);
	T_OK(strstr(err, "v.tsv:1: invalid file count") != NULL);
	T_EQ_INT(fpset_check_version("6.4.1"), 0);
	T_EQ_INT(fpset_check_version("../x"), -EINVAL);
	T_EQ_INT(fpset_check_version("a/b"), -EINVAL);
	T_EQ_INT(fpset_check_product("wordpress"), 0);
	T_EQ_INT(fpset_check_product("Word Press"), -EINVAL);
}

int
main(void)
{
	T_RUN(test_valid);
	T_RUN(test_errors);
	T_RUN(test_roundtrip);
	T_RUN(test_versions);
	T_DONE();
}
