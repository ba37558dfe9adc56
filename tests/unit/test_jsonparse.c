// SPDX-License-Identifier: GPL-2.0-or-later
/* The strict JSON parser alone: values and their types, escapes (surrogate
 * pairs, embedded NUL), repeated keys, what RFC 8259 forbids, the depth
 * limit, and errors naming line and column. */
#include <errno.h>

#include "jsonparse.h"
#include "t.h"

static char err[512];

static struct jnode *
parse(const char *s, int *r)
{
	struct jnode *n = NULL;

	err[0] = '\0';
	*r = jsonp_parse(s, strlen(s), &n, err, sizeof(err));
	return *r == 0 ? n : NULL;
}

static void
test_values(void)
{
	int r;
	struct jnode *n = parse("{\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\u00e9\\ud83d\\ude00\\u0000y\","
				" \"a\": \"last\"}", &r);
	const struct jnode *v;

	T_EQ_INT(r, 0);
	if (n == NULL)
		return;
	T_EQ_INT(n->t, J_OBJ);
	T_EQ_INT(n->n, 3);
	v = jsonp_get(n, "a"); /* the last one */
	T_OK(v && v->t == J_STR && strcmp(v->s, "last") == 0);
	v = &n->kids[0];
	T_OK(v->t == J_ARR && v->n == 5);
	if (v->t == J_ARR && v->n == 5) {
		T_OK(v->kids[0].t == J_NUM && strcmp(v->kids[0].s, "1") == 0);
		T_OK(v->kids[1].t == J_NUM && strcmp(v->kids[1].s, "-2.5e3") == 0);
		T_OK(v->kids[2].t == J_BOOL && v->kids[2].b);
		T_OK(v->kids[3].t == J_BOOL && !v->kids[3].b);
		T_OK(v->kids[4].t == J_NULL);
	}
	v = jsonp_get(n, "s");
	/* x, é (2 bytes), U+1F600 (4 bytes), NUL, y */
	T_OK(v && v->slen == 9 && memcmp(v->s, "x\xc3\xa9\xf0\x9f\x98\x80\0y", 9) == 0);
	T_OK(jsonp_get(n, "missing") == NULL);
	T_EQ_STR(jsonp_type_name(J_OBJ), "an object");
	jsonp_free(n);
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "'x'", "\"\\ud800\"", "\"a\tb\"",
		"\"\\x\"", "[1] [2]", "{\"a\" 1}", "tru", "nul", "\"\xff\"", "NaN", "[1,2", "{1:2}",
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jnode *n = parse(bad[i], &r);

		T_CHECK(n == NULL && r < 0 && err[0] != '\0', "accepted '%s'", bad[i]);
		jsonp_free(n);
	}
}

static void
test_limits_and_positions(void)
{
	char deep[2 * JSONP_MAX_DEPTH + 8];
	size_t i, line = 0, col = 0;
	const char *text = "{\n  \"a\": 1,\n  \"b\": x\n}";
	int r;

	for (i = 0; i < JSONP_MAX_DEPTH + 2; i++)
		deep[i] = '[';
	deep[i] = '\0';
	T_OK(parse(deep, &r) == NULL && r < 0);
	T_OK(parse(text, &r) == NULL && r < 0);
	T_CHECK(strstr(err, "3:") != NULL, "%s", err);
	jsonp_pos(text, strlen(text), (size_t)(strchr(text, 'x') - text), &line, &col);
	T_EQ_INT(line, 3);
	T_EQ_INT(col, 8);
}

int
main(void)
{
	T_RUN(test_values);
	T_RUN(test_refused);
	T_RUN(test_limits_and_positions);
	T_DONE();
}
