// SPDX-License-Identifier: GPL-2.0-or-later
/* The YAML tree alone: shapes and positions, quoted scalars, the empty
 * document, the limits (value size, depth, aliases, NUL), key checks and
 * lookups, and every error naming file:line:column. */
#include <errno.h>

#include "t.h"
#include "yamltree.h"

static char err[1024];
static const struct yerr E = { "t.yaml", err, sizeof(err) };

static struct ynode *
parse(const char *text, int *r)
{
	struct ynode *root = NULL;

	err[0] = '\0';
	*r = ytree_parse(&E, text, strlen(text), &root);
	return root;
}

static void
test_shapes(void)
{
	int r;
	struct ynode *t = parse("a: 1\nb:\n  - x\n  - 'y z'\nc: {d: e}\n", &r);
	const struct ynode *b, *c;

	T_EQ_INT(r, 0);
	if (t == NULL)
		return;
	T_EQ_INT(t->type, Y_MAP);
	T_EQ_INT(t->n, 6);
	T_EQ_STR(ytree_get(t, "a")->value, "1");
	T_OK(!ytree_get(t, "a")->quoted);
	b = ytree_get(t, "b");
	T_OK(b && b->type == Y_SEQ && b->n == 2);
	if (b && b->n == 2) {
		T_EQ_STR(b->kids[1]->value, "y z");
		T_OK(b->kids[1]->quoted);
		T_EQ_INT(b->kids[1]->line, 4);
		T_EQ_INT(b->kids[1]->col, 5);
	}
	c = ytree_get(t, "c");
	T_OK(c && c->type == Y_MAP && ytree_get(c, "d") && strcmp(ytree_get(c, "d")->value, "e") == 0);
	T_OK(ytree_get(t, "missing") == NULL);
	T_OK(ytree_get(b, "x") == NULL); /* not a mapping */
	T_EQ_INT(ytree_check_keys(&E, t, "top", NULL), 0);
	{
		static const char *const ok[] = { "a", "b", "c", NULL };
		static const char *const few[] = { "a", "b", NULL };

		T_EQ_INT(ytree_check_keys(&E, t, "top", ok), 0);
		T_EQ_INT(ytree_check_keys(&E, t, "top", few), -EINVAL);
		T_CHECK(strstr(err, "t.yaml:5:1: top: unknown key 'c' (expected one of: a, b)") != NULL, "%s", err);
	}
	T_EQ_INT(ytree_want(&E, b, Y_MAP, "b"), -EINVAL);
	T_CHECK(strcmp(err, "t.yaml:3:3: b: expected a mapping, got a list") == 0, "%s", err);
	ynode_free(t);

	t = parse("", &r);
	T_OK(r == 0 && t && t->type == Y_MAP && t->n == 0);
	ynode_free(t);
	t = parse("# only a comment\n", &r);
	T_OK(r == 0 && t && t->type == Y_MAP && t->n == 0);
	ynode_free(t);
	/* the first document only */
	t = parse("a: 1\n---\nb: 2\n", &r);
	T_OK(r == 0 && t && ytree_get(t, "a") && !ytree_get(t, "b"));
	ynode_free(t);
	t = parse("just a scalar", &r);
	T_OK(r == 0 && t && t->type == Y_SCALAR);
	ynode_free(t);
}

static void
test_errors(void)
{
	char big[YTREE_MAX_STRING + 64];
	char deep[4 * (YTREE_MAX_DEPTH + 4)];
	size_t i;
	int r;

	T_OK(parse("a: &x 1\nb: *x\n", &r) == NULL && r == -EINVAL);
	T_CHECK(strstr(err, "t.yaml:2:4: YAML aliases") != NULL, "%s", err);
	{
		struct ynode *t = parse("a: 1\na: 2\n", &r);

		T_EQ_INT(ytree_check_keys(&E, t, "top", NULL), -EINVAL);
		T_CHECK(strstr(err, "t.yaml:2:1: top: duplicate key 'a'") != NULL, "%s", err);
		ynode_free(t);
	}
	T_OK(parse("a: [1, 2\n", &r) == NULL && r == -EINVAL);
	T_CHECK(strncmp(err, "t.yaml:", 7) == 0 && strstr(err, "YAML:") != NULL, "%s", err);
	T_OK(parse("a: \"x\\0y\"\n", &r) == NULL && r == -EINVAL);
	T_CHECK(strstr(err, "NUL byte") != NULL, "%s", err);
	memcpy(big, "a: ", 3);
	memset(big + 3, 'x', YTREE_MAX_STRING + 1);
	big[YTREE_MAX_STRING + 4] = '\0';
	T_OK(parse(big, &r) == NULL && r == -EINVAL);
	T_CHECK(strstr(err, "t.yaml:1:4: value longer than") != NULL, "%s", err);
	for (i = 0; i < YTREE_MAX_DEPTH + 2; i++)
		deep[i] = '[';
	deep[i] = '\0';
	T_OK(parse(deep, &r) == NULL && r == -EINVAL);
	T_CHECK(strstr(err, "nested deeper than") != NULL, "%s", err);
	/* a mapping key that is a list */
	{
		struct ynode *t = parse("[a]: 1\n", &r);

		T_EQ_INT(r, 0);
		T_EQ_INT(ytree_check_keys(&E, t, "top", NULL), -EINVAL);
		T_CHECK(strstr(err, "keys must be scalars") != NULL, "%s", err);
		ynode_free(t);
	}
	/* a tiny error buffer still gets a terminated message */
	{
		char small[8];
		struct yerr e = { "t.yaml", small, sizeof(small) };

		T_EQ_INT(ytree_fail(&e, 1, 1, "%s", "long message"), -EINVAL);
		T_OK(strlen(small) < sizeof(small));
	}
}

int
main(void)
{
	T_RUN(test_shapes);
	T_RUN(test_errors);
	T_DONE();
}
