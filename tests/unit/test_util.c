// SPDX-License-Identifier: GPL-2.0-or-later
/* util: capped buffers, escaping, UTF-8, hex, version order. */
#include <errno.h>

#include "t.h"
#include "util.h"

static void
test_buf_cap(void)
{
	struct buf b;

	buf_init(&b, 8);
	T_EQ_INT(buf_puts(&b, "12345678"), 0);
	T_EQ_INT(buf_putc(&b, 'x'), -E2BIG);
	T_EQ_INT(b.len, 8);
	T_EQ_STR(b.data, "12345678");
	/* the failure is remembered until a reset, even after appends that fit */
	T_OK(b.failed);
	buf_free(&b);
	buf_init(&b, 8);
	T_OK(!b.failed);
	T_EQ_INT(buf_printf(&b, "%s", "123456789"), -E2BIG);
	T_OK(b.failed);
	buf_reset(&b);
	T_OK(!b.failed && buf_puts(&b, "1234") == 0 && !b.failed);
	buf_free(&b);
}

static void
test_escape(void)
{
	struct buf b;
	const char *in = "a\nb\tc\\d\x01\xff\xc0\x80\xed\xa0\x80\xc2\x85 \xc3\xa9";

	buf_init(&b, 0);
	buf_put_escaped(&b, in, strlen(in));
	T_EQ_STR(b.data, "a\\nb\\tc\\\\d\\x01\\xff\\xc0\\x80\\xed\\xa0\\x80\\xc2\\x85 \xc3\xa9");
	buf_free(&b);
	T_EQ_STR(esc_name("x\r\ny"), "x\\r\\ny");
}

/* Bidirectional controls, zero-width and other invisible characters are
 * escaped as \u{XXXX}: a name cannot make a text line show another name. */
static void
test_escape_invisible(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* RLO: "shell\u202egpj.php" shows as "shellphp.jpg" */
		{ "shell\xe2\x80\xaegpj.php", "shell\\u{202e}gpj.php" },
		{ "a\xe2\x80\xaa" "b\xe2\x80\xab" "c\xe2\x80\xac" "d\xe2\x80\xad", /* LRE RLE PDF LRO */
		  "a\\u{202a}b\\u{202b}c\\u{202c}d\\u{202d}" },
		{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", /* LRI RLI FSI PDI */
		  "\\u{2066}\\u{2067}\\u{2068}\\u{2069}" },
		{ "x\xe2\x80\x8ey\xe2\x80\x8fz\xd8\x9c", "x\\u{200e}y\\u{200f}z\\u{061c}" }, /* LRM RLM ALM */
		/* zero-width space, non-joiner, joiner, word joiner, BOM */
		{ "in\xe2\x80\x8b" "dex\xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0.php\xef\xbb\xbf",
		  "in\\u{200b}dex\\u{200c}\\u{200d}\\u{2060}.php\\u{feff}" },
		/* line and paragraph separators, soft hyphen, Hangul filler */
		{ "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xc2\xad" "d\xe3\x85\xa4",
		  "a\\u{2028}b\\u{2029}c\\u{00ad}d\\u{3164}" },
		/* variation selector, tag characters (4-byte) */
		{ "e\xef\xb8\x8f\xf3\xa0\x81\x81\xf3\xa0\x81\xbf", "e\\u{fe0f}\\u{e0041}\\u{e007f}" },
		/* visible text around them passes: accents, CJK, emoji, Arabic, Hebrew */
		{ "caf\xc3\xa9" " \xe6\x97\xa5 \xf0\x9f\x98\x80 \xd8\xb9 \xd7\x90 \xc2\xa0",
		  "caf\xc3\xa9" " \xe6\x97\xa5 \xf0\x9f\x98\x80 \xd8\xb9 \xd7\x90 \xc2\xa0" },
		/* the escape itself cannot be forged: a literal backslash is doubled */
		{ "\\u{202e}", "\\\\u{202e}" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		T_EQ_STR(esc_name(cases[i].in), cases[i].out);
	T_OK(unicode_invisible(0x202e) && unicode_invisible(0x200b) && unicode_invisible(0xe0001));
	T_OK(!unicode_invisible('a') && !unicode_invisible(0xe9) && !unicode_invisible(0x1f600));
	T_OK(!unicode_invisible(0x2027) && !unicode_invisible(0x202f) && !unicode_invisible(0xe1000));
}

static void
test_utf8(void)
{
	T_OK(utf8_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
	T_OK(!utf8_valid("\xc0\xaf", 2));         /* overlong */
	T_OK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	T_OK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	T_OK(!utf8_valid("\xe2\x82", 2));         /* truncated */
}

static void
test_hex(void)
{
	uint8_t b[3] = { 0x00, 0xab, 0xff }, o[3];
	char h[7];

	hex_encode(b, 3, h);
	T_EQ_STR(h, "00abff");
	T_EQ_INT(hex_decode("00ABff", 3, o), 0);
	T_OK(memcmp(o, b, 3) == 0);
	T_EQ_INT(hex_decode("0g", 1, o), -EINVAL);
}

static void
test_version_order(void)
{
	static const char *const order[] = { "3.0",	 "3.0.1",  "3.1",    "3.9",  "3.10",
					     "6.4-beta1", "6.4-RC1", "6.4",    "6.4.1", "6.4.10",
					     "7.0",	 "2022-07-31a" };
	size_t i, j;
	char br[32];

	for (i = 0; i < ARRAY_SIZE(order); i++)
		for (j = 0; j < ARRAY_SIZE(order); j++) {
			int c = version_cmp(order[i], order[j]);

			T_CHECK(i < j ? c < 0 : i > j ? c > 0 : c == 0, "%s vs %s -> %d", order[i], order[j], c);
		}
	T_EQ_INT(version_cmp("1.0", "1.0"), 0);
	/* a final letter is a hotfix, a letter with digits a pre-release */
	T_CHECK(version_cmp("2022-07-31a", "2022-07-31") > 0, "hotfix");
	T_CHECK(version_cmp("2022-07-31b", "2022-07-31a") > 0, "hotfix b");
	T_CHECK(version_cmp("1.1.1w", "1.1.1") > 0, "openssl letter");
	T_CHECK(version_cmp("1.0a1", "1.0") < 0, "alpha");
	T_EQ_INT(version_cmp("01.0", "1.0"), 0);
	/* a date version's hotfix letter is not part of its branch (ctlsites and
	 * fpindex once disagreed here: "2022" against "2022-07-31") */
	static const char *const branches[][2] = {
		{ "6.4.3", "6.4" }, { "7.0", "7.0" }, { "5.2", "5.2" }, { "6", "6" },
		{ "2022-07-31a", "2022-07-31" }, { "2022-07-31", "2022-07-31" }, { "1.1.1w", "1.1" },
	};
	for (size_t k = 0; k < sizeof(branches) / sizeof(branches[0]); k++) {
		version_branch(branches[k][0], br, sizeof(br));
		T_EQ_STR(br, branches[k][1]);
	}
	version_branch("6.4.3", br, 4); /* truncated, terminated */
	T_EQ_STR(br, "6.4");
	version_branch("6.4.3", br, 3);
	T_EQ_STR(br, "6.");
}

int
main(void)
{
	T_RUN(test_buf_cap);
	T_RUN(test_escape);
	T_RUN(test_escape_invisible);
	T_RUN(test_utf8);
	T_RUN(test_hex);
	T_RUN(test_version_order);
	T_DONE();
}
