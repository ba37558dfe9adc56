// SPDX-License-Identifier: GPL-2.0-or-later
/* json: nesting and commas, RFC 8259 string escaping (quotes, backslash, control
 * bytes), invalid UTF-8 written as U+FFFD with the exact bytes kept in
 * "<key>_base64" by json_kv_name, numbers and literals. Every document is checked
 * by a small strict JSON parser below and, when python3 is there, by Python's
 * json module, which also checks the decoded names byte for byte. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "json.h"
#include "t.h"

/* ---- a strict RFC 8259 checker ---- */

struct jp {
	const unsigned char *p, *end;
	int depth;
};

static bool jp_value(struct jp *j);

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool
jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int
jp_hex4(const unsigned char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		int c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static bool
jp_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end) {
		unsigned c = *j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (j->end - j->p < 2)
				return false;
			c = j->p[1];
			if (c == 'u') {
				int u;

				if (j->end - j->p < 6 || (u = jp_hex4(j->p + 2)) < 0)
					return false;
				j->p += 6;
				if (u >= 0xdc00 && u <= 0xdfff)
					return false; /* lone low surrogate */
				if (u >= 0xd800 && u <= 0xdbff) {
					int lo;

					if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
					    (lo = jp_hex4(j->p + 2)) < 0xdc00 || lo > 0xdfff)
						return false;
					j->p += 6;
				}
				continue;
			}
			if (!strchr("\"\\/bfnrt", (int)c) || c == '\0')
				return false;
			j->p += 2;
			continue;
		}
		if (c < 0x80) {
			j->p++;
			continue;
		}
		{
			size_t l;

			for (l = 2; l <= 4; l++)
				if ((size_t)(j->end - j->p) >= l && utf8_valid((const char *)j->p, l))
					break;
			if (l > 4)
				return false;
			j->p += l;
		}
	}
	return false;
}

static bool
jp_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return false;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return true;
}

static bool
jp_container(struct jp *j, char open, char close)
{
	bool first = true;

	if (++j->depth > 512)
		return false;
	j->p++; /* open */
	(void)open;
	for (;;) {
		jp_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == close) {
			j->p++;
			j->depth--;
			return true;
		}
		if (!first) {
			if (*j->p != ',')
				return false;
			j->p++;
			jp_ws(j);
		}
		if (close == '}') {
			if (!jp_string(j))
				return false;
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return false;
			j->p++;
			jp_ws(j);
		}
		if (!jp_value(j))
			return false;
		first = false;
	}
}

static bool
jp_value(struct jp *j)
{
	jp_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
		return jp_container(j, '{', '}');
	case '[':
		return jp_container(j, '[', ']');
	case '"':
		return jp_string(j);
	case 't':
		return jp_lit(j, "true");
	case 'f':
		return jp_lit(j, "false");
	case 'n':
		return jp_lit(j, "null");
	default:
		return jp_number(j);
	}
}

/* exactly one JSON value, whitespace around it allowed */
static bool
json_strict_ok(const char *s, size_t n)
{
	struct jp j = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	if (!jp_value(&j))
		return false;
	jp_ws(&j);
	return j.p == j.end;
}

static void
test_checker_itself(void)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"\\u00e9\\ud83d\\ude00\"", "{\"a\":[1,{\"b\":null}]}",
		" [ true , false ] ", "\"\xc3\xa9\"",
	};
	static const char *const bad[] = {
		"{", "[1,]", "[,1]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "\"\\x41\"",
		"\"a\nb\"", "\"\\ud800\"", "\"\xff\"", "\"\xc0\xaf\"", "[1 2]", "{1:2}",
		"\"abc", "nul", "[]]", "\"\\u12\"",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		T_CHECK(json_strict_ok(good[i], strlen(good[i])), "rejects %s", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		T_CHECK(!json_strict_ok(bad[i], strlen(bad[i])), "accepts %s", bad[i]);
}

/* ---- python3 as a second opinion ---- */

static bool
have_python(void)
{
	return system("python3 -c 'import json' >/dev/null 2>&1") == 0;
}

/* Feeds doc to a Python snippet reading stdin; true when it exits 0. */
static bool
python_ok(const char *script, const char *doc, size_t n)
{
	char cmd[4096];
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "python3 -c '%s' 2>/dev/null", script);
	f = popen(cmd, "w");
	if (f == NULL)
		return false;
	fwrite(doc, 1, n, f);
	st = pclose(f);
	return st == 0;
}

#define PY_LOAD "import json,sys; json.load(sys.stdin.buffer)"

static void
check_doc(const struct buf *b)
{
	T_CHECK(b->data != NULL && json_strict_ok(b->data, b->len), "not strict JSON: %s",
		b->data ? b->data : "(null)");
	T_CHECK(b->data != NULL && utf8_valid(b->data, b->len), "not UTF-8");
}

/* ---- the writer ---- */

/* a writer that runs out of room: its caller sees it (buf.failed), however
 * many writes come after the one that did not fit */
static void
test_overflow(void)
{
	struct buf b;
	struct json j;

	buf_init(&b, 64);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "a", "0123456789012345678901234567890123456789");
	T_OK(!b.failed);
	json_kv_str(&j, "b", "0123456789012345678901234567890123456789");
	json_obj_end(&j);
	T_OK(b.failed);
	T_OK(b.len <= 64);
	buf_free(&b);
}

static void
test_nesting(void)
{
	struct buf b;
	struct json j;

	buf_init(&b, 0);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_int(&j, "a", 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_int(&j, 2);
	json_obj_begin(&j);
	json_kv_str(&j, "c", NULL);
	json_key(&j, "d");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_key(&j, "e");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_kv_bool(&j, "f", true);
	json_kv_bool(&j, "g", false);
	json_kv_int(&j, "h", -5);
	json_kv_double(&j, "i", 1.5);
	json_key(&j, "u");
	json_uint(&j, UINT64_MAX);
	json_key(&j, "m");
	json_int(&j, INT64_MIN);
	json_key(&j, "n");
	json_null(&j);
	json_key(&j, "s");
	json_str(&j, NULL);
	json_obj_end(&j);
	T_EQ_STR(b.data, "{\"a\":1,\"b\":[1,2,{\"c\":null,\"d\":[]},[]],\"e\":{},\"f\":true,"
			 "\"g\":false,\"h\":-5,\"i\":1.5000,\"u\":18446744073709551615,"
			 "\"m\":-9223372036854775808,\"n\":null,\"s\":null}");
	check_doc(&b);
	T_EQ_INT(j.depth, 0);
	buf_free(&b);

	/* arrays of arrays and objects in arrays: a comma between siblings only */
	buf_init(&b, 0);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_begin(&j);
	json_str(&j, "x");
	json_arr_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "k", "v");
	json_kv_str(&j, "k2", "");
	json_obj_end(&j);
	json_arr_end(&j);
	T_EQ_STR(b.data, "[[],[\"x\"],{},{\"k\":\"v\",\"k2\":\"\"}]");
	check_doc(&b);
	buf_free(&b);
}

static void
test_max_depth(void)
{
	struct buf b;
	struct json j;
	int i;

	/* JSON_MAX_DEPTH levels, two values in the innermost */
	buf_init(&b, 0);
	json_init(&j, &b);
	for (i = 0; i < JSON_MAX_DEPTH; i++) {
		if (i % 2 == 0) {
			json_obj_begin(&j);
			json_kv_int(&j, "sibling", i);
			json_key(&j, "k");
		} else {
			json_arr_begin(&j);
			if (i % 3 == 0)
				json_int(&j, i); /* a sibling before the nested one */
		}
	}
	/* the innermost level (JSON_MAX_DEPTH is even) is an array */
	json_int(&j, 1);
	json_int(&j, 2);
	for (i = JSON_MAX_DEPTH; i-- > 0;) {
		if (i % 2 == 0)
			json_obj_end(&j);
		else
			json_arr_end(&j);
	}
	T_EQ_INT(j.depth, 0);
	T_OK(strstr(b.data, "[1,2]") != NULL);
	check_doc(&b);
	buf_free(&b);
}

static void
expect_escape(const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	T_EQ_INT(json_escape(&b, in, n), 0);
	T_CHECK(b.data && strcmp(b.data, want) == 0, "escaped to %s, want %s", t_str(b.data), want);
	check_doc(&b);
	buf_free(&b);
}

static void
test_escaping(void)
{
	expect_escape("", 0, "\"\"");
	expect_escape("plain", 5, "\"plain\"");
	expect_escape("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	expect_escape("C:\\dir\\", 7, "\"C:\\\\dir\\\\\"");
	expect_escape("a/b", 3, "\"a/b\"");
	expect_escape("\n\r\t", 3, "\"\\n\\r\\t\"");
	expect_escape("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	expect_escape("\b\f", 2, "\"\\u0008\\u000c\"");
	expect_escape("a\0b", 3, "\"a\\u0000b\"");
	expect_escape("\x1b[2J", 4, "\"\\u001b[2J\"");
	/* valid UTF-8 passes as is, including U+2028 and 4-byte sequences */
	expect_escape("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	expect_escape("\xe2\x80\xa8", 3, "\"\xe2\x80\xa8\"");
	expect_escape("\xf0\x9f\x98\x80!", 5, "\"\xf0\x9f\x98\x80!\"");
	/* invalid UTF-8: one U+FFFD per bad byte, the rest kept */
	expect_escape("a\x81" "b", 3, "\"a\\ufffdb\"");
	expect_escape("\xff\xfe", 2, "\"\\ufffd\\ufffd\"");
	expect_escape("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");          /* overlong */
	expect_escape("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	expect_escape("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	expect_escape("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");            /* truncated at the end */
	expect_escape("caf\xe9.php", 8, "\"caf\\ufffd.php\"");         /* Latin-1 name */
	expect_escape("\xc3\xa9\xc3", 3, "\"\xc3\xa9\\ufffd\"");
	/* n bounds the read */
	expect_escape("ab\"cd", 2, "\"ab\"");
	/* each byte alone, between two plain ones: printable ASCII but the
	 * quote and the backslash as is, every other byte escaped (by its
	 * escape, as \uXXXX or as U+FFFD) */
	for (unsigned c = 0; c < 256; c++) {
		char in[3] = { 'a', (char)c, 'z' }, want[16];
		bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
		struct buf b;

		buf_init(&b, 0);
		T_EQ_INT(json_escape(&b, in, 3), 0);
		if (plain) {
			snprintf(want, sizeof(want), "\"a%cz\"", (int)c);
			T_CHECK(b.data && strcmp(b.data, want) == 0, "byte 0x%02x escaped to %s", c,
				t_str(b.data));
		} else
			T_CHECK(b.data && b.len > 5 && b.data[2] == '\\', "byte 0x%02x not escaped: %s",
				c, t_str(b.data));
		check_doc(&b);
		buf_free(&b);
	}
}

static void
test_kv_name(void)
{
	struct buf b;
	struct json j;

	buf_init(&b, 0);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_name(&j, "path", "wp-content/caf\xc3\xa9.php", 20);
	json_kv_name(&j, "old", "a\x81" "b", 3);
	json_kv_name(&j, "latin1", "caf\xe9.php", 8);
	json_kv_name(&j, "ff", "\xff", 1);
	json_kv_name(&j, "nul", "a\0b", 3);
	json_kv_name(&j, "empty", "", 0);
	json_kv_int(&j, "after", 1);
	json_obj_end(&j);
	T_EQ_STR(b.data, "{\"path\":\"wp-content/caf\xc3\xa9.php\","
			 "\"old\":\"a\\ufffdb\",\"old_base64\":\"YYFi\","
			 "\"latin1\":\"caf\\ufffd.php\",\"latin1_base64\":\"Y2Fm6S5waHA=\","
			 "\"ff\":\"\\ufffd\",\"ff_base64\":\"/w==\","
			 "\"nul\":\"a\\u0000b\",\"empty\":\"\",\"after\":1}");
	check_doc(&b);
	buf_free(&b);

	/* as the only field of an object nested in an array */
	buf_init(&b, 0);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_kv_name(&j, "n", "\x80", 1);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_kv_name(&j, "n", "ok", 2);
	json_obj_end(&j);
	json_arr_end(&j);
	T_EQ_STR(b.data, "[{\"n\":\"\\ufffd\",\"n_base64\":\"gA==\"},{\"n\":\"ok\"}]");
	check_doc(&b);
	buf_free(&b);
}

static void
test_numbers_and_hex(void)
{
	struct buf b;
	struct json j;
	uint8_t bytes[65];

	memset(bytes, 0xab, sizeof(bytes));
	buf_init(&b, 0);
	json_init(&j, &b);
	json_arr_begin(&j);
	json_double(&j, 0.5);
	json_double(&j, NAN);
	json_double(&j, INFINITY);
	json_double(&j, -INFINITY);
	json_double(&j, -0.0);
	json_double(&j, 1e300);
	json_double(&j, -1e-300);
	json_int(&j, 0);
	json_uint(&j, 0);
	json_arr_end(&j);
	check_doc(&b);
	T_OK(strncmp(b.data, "[0.5000,null,null,null,", 23) == 0);
	buf_free(&b);

	buf_init(&b, 0);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_hex(&j, "sha", bytes, 3);
	json_kv_hex(&j, "none", NULL, 0);
	json_kv_hex(&j, "long", bytes, 65);
	json_kv_hex(&j, "max", bytes, 64);
	json_kv_hex(&j, "zero", bytes, 0);
	json_obj_end(&j);
	check_doc(&b);
	T_OK(strncmp(b.data, "{\"sha\":\"ababab\",\"none\":null,\"long\":null,\"max\":\"abab", 51) == 0);
	T_OK(strstr(b.data, ",\"zero\":\"\"}") != NULL);
	buf_free(&b);
}

/* the key of a json_kv_name field is escaped like any string */
static void
test_keys_escaped(void)
{
	struct buf b;
	struct json j;

	buf_init(&b, 0);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_str(&j, "we\"ird\n", "v\\");
	json_kv_name(&j, "k\t", "\xfe", 1);
	json_obj_end(&j);
	T_EQ_STR(b.data, "{\"we\\\"ird\\n\":\"v\\\\\",\"k\\t\":\"\\ufffd\",\"k\\t_base64\":\"/g==\"}");
	check_doc(&b);
	buf_free(&b);
}

/* random names (biased to the interesting bytes), each written with
 * json_kv_name next to its hex: Python decodes every one and checks that either
 * the string is the exact name or the base64 field is */
static void
test_random_names_python(void)
{
	static const uint8_t pick[] = { 'a', '/', '.', '"', '\\', '\n', '\r', '\t', 0x00, 0x01,
					0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xc3, 0xa9, 0xe0,
					0xe2, 0x82, 0xac, 0xed, 0xa0, 0xf0, 0x9f, 0x98, 0xf4,
					0x90, 0xff };
	static const char script[] =
		"import json,sys,base64\n"
		"d = json.load(sys.stdin.buffer)\n"
		"bad = 0\n"
		"for o in d:\n"
		"    raw = bytes.fromhex(o[\"hex\"])\n"
		"    if \"name_base64\" in o:\n"
		"        ok = base64.b64decode(o[\"name_base64\"]) == raw\n"
		"        try:\n"
		"            raw.decode(\"utf-8\"); ok = False\n"
		"        except UnicodeDecodeError: pass\n"
		"    else:\n"
		"        ok = o[\"name\"].encode(\"utf-8\") == raw\n"
		"    bad += not ok\n"
		"sys.exit(1 if bad or len(d) != 2000 else 0)\n";
	struct buf b;
	struct json j;
	unsigned seed = 4242;
	int i, k;
	bool strict = true;


	buf_init(&b, 0);
	json_init(&j, &b);
	json_arr_begin(&j);
	for (i = 0; i < 2000; i++) {
		uint8_t name[32];
		int n = rand_r(&seed) % 32;
		size_t mark = b.len;

		for (k = 0; k < n; k++)
			name[k] = rand_r(&seed) % 4 ? pick[rand_r(&seed) % sizeof(pick)]
						    : (uint8_t)rand_r(&seed);
		json_obj_begin(&j);
		json_kv_hex(&j, "hex", name, (size_t)n);
		json_kv_name(&j, "name", (const char *)name, (size_t)n);
		json_obj_end(&j);
		/* each object alone is strict JSON too */
		strict &= json_strict_ok(b.data + mark + (i ? 1 : 0), b.len - mark - (i ? 1 : 0));
	}
	json_arr_end(&j);
	T_OK(strict);
	check_doc(&b);
	if (have_python()) {
		/* no single quote in the script: it goes inside '...' */
		T_CHECK(python_ok(script, b.data, b.len), "python3 rejected the document or a name");
		T_CHECK(!python_ok(PY_LOAD, "{\"a\":", 5), "the python check cannot fail");
		T_CHECK(python_ok(PY_LOAD, b.data, b.len), "python3 json.load failed");
	} else {
		printf("# python3 not found: Python cross-check skipped\n");
	}
	buf_free(&b);
}

/* a document bigger than the buffer's cap stays within the cap */
static void
test_cap(void)
{
	struct buf b;
	struct json j;
	int i;

	buf_init(&b, 100);
	json_init(&j, &b);
	json_obj_begin(&j);
	for (i = 0; i < 100; i++)
		json_kv_name(&j, "name", "\xff\xfe\xfd", 3);
	json_obj_end(&j);
	T_OK(b.len <= 100);
	T_OK(b.data != NULL && strlen(b.data) == b.len);
	buf_free(&b);
}

int
main(void)
{
	T_RUN(test_checker_itself);
	T_RUN(test_overflow);
	T_RUN(test_nesting);
	T_RUN(test_max_depth);
	T_RUN(test_escaping);
	T_RUN(test_kv_name);
	T_RUN(test_numbers_and_hex);
	T_RUN(test_keys_escaped);
	T_RUN(test_random_names_python);
	T_RUN(test_cap);
	T_DONE();
}
