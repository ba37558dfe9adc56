// SPDX-License-Identifier: GPL-2.0-or-later
/* The YAML node tree; see yamltree.h. */
#include "yamltree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util.h"

void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

int
ytree_vfail(const struct yerr *e, size_t line, size_t col, const char *fmt, va_list ap)
{
	int n = snprintf(e->err, e->errsz, "%s:%zu:%zu: ", e->file, line, col);

	if (n < 0 || (size_t)n >= e->errsz)
		return -EINVAL;
	vsnprintf(e->err + n, e->errsz - (size_t)n, fmt, ap);
	return -EINVAL;
}

int
ytree_fail(const struct yerr *e, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ytree_vfail(e, line, col, fmt, ap);
	va_end(ap);
	return r;
}

static int
ynode_add(const struct yerr *e, struct ynode *parent, struct ynode *kid)
{
	if (parent->n >= YTREE_MAX_ITEMS * 2)
		return ytree_fail(e, kid->line, kid->col, "too many entries (limit %d)", YTREE_MAX_ITEMS);
	if ((parent->n & (parent->n - 1)) == 0)
		parent->kids = xreallocarray(parent->kids, parent->n ? parent->n * 2 : 4, sizeof(*parent->kids));
	parent->kids[parent->n++] = kid;
	return 0;
}

/* a new node for a scalar or the start of a collection, or NULL with *r set */
static struct ynode *
ynode_new(const struct yerr *e, const yaml_event_t *ev, int *r)
{
	struct ynode *n;
	size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;

	if (ev->type == YAML_SCALAR_EVENT) {
		if (ev->data.scalar.length > YTREE_MAX_STRING) {
			*r = ytree_fail(e, line, col, "value longer than %d bytes", YTREE_MAX_STRING);
			return NULL;
		}
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			*r = ytree_fail(e, line, col, "NUL byte in a value");
			return NULL;
		}
	}
	n = xcalloc(1, sizeof(*n));
	n->line = line;
	n->col = col;
	if (ev->type == YAML_SCALAR_EVENT) {
		n->type = Y_SCALAR;
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	} else {
		n->type = ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
	}
	return n;
}

int
ytree_parse(const struct yerr *e, const char *text, size_t len, struct ynode **ret)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ynode *stack[YTREE_MAX_DEPTH + 1], *root = NULL;
	size_t nodes = 0;
	int depth = 0, r = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			r = ytree_fail(e, p.problem_mark.line + 1, p.problem_mark.column + 1, "YAML: %s%s%s",
				       p.problem ? p.problem : "syntax error", p.context ? " " : "",
				       p.context ? p.context : "");
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = ev.type == YAML_STREAM_END_EVENT || root != NULL;
			break;
		case YAML_ALIAS_EVENT:
			r = ytree_fail(e, ev.start_mark.line + 1, ev.start_mark.column + 1,
				       "YAML aliases (*name) are not accepted");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (++nodes > (size_t)YTREE_MAX_ITEMS * 4) {
				r = ytree_fail(e, ev.start_mark.line + 1, ev.start_mark.column + 1,
					       "document too large");
				break;
			}
			if ((n = ynode_new(e, &ev, &r)) == NULL)
				break;
			if (depth == 0) {
				if (root != NULL) {
					ynode_free(n);
					break;
				}
				root = n;
			} else if ((r = ynode_add(e, stack[depth - 1], n)) < 0) {
				ynode_free(n);
				break;
			}
			if (n->type != Y_SCALAR) {
				if (depth >= YTREE_MAX_DEPTH) {
					r = ytree_fail(e, n->line, n->col, "nested deeper than %d levels",
						       YTREE_MAX_DEPTH);
					break;
				}
				stack[depth++] = n;
			}
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (r < 0)
			break;
	}
	yaml_parser_delete(&p);
	if (r < 0) {
		ynode_free(root);
		return r;
	}
	if (root == NULL) {
		root = xcalloc(1, sizeof(*root));
		root->type = Y_MAP;
		root->line = root->col = 1;
	}
	*ret = root;
	return 0;
}

const char *
ytree_type_name(enum ytype t)
{
	return t == Y_MAP ? "a mapping" : t == Y_SEQ ? "a list" : "a scalar";
}

int
ytree_want(const struct yerr *e, const struct ynode *n, enum ytype t, const char *key)
{
	if (n->type == t)
		return 0;
	return ytree_fail(e, n->line, n->col, "%s: expected %s, got %s", key, ytree_type_name(t),
			  ytree_type_name(n->type));
}

static int
unknown_key(const struct yerr *e, const struct ynode *key, const char *where, const char *const *allowed)
{
	struct buf b;
	size_t k;
	int r;

	buf_init(&b, 4096);
	for (k = 0; allowed[k]; k++)
		buf_printf(&b, "%s%s", k ? ", " : "", allowed[k]);
	r = ytree_fail(e, key->line, key->col, "%s: unknown key '%s' (expected one of: %s)", where,
		       esc_name(key->value), b.data ? b.data : "");
	buf_free(&b);
	return r;
}

int
ytree_check_keys(const struct yerr *e, const struct ynode *m, const char *where, const char *const *allowed)
{
	size_t i, j, k;

	for (i = 0; i < m->n; i += 2) {
		const struct ynode *key = m->kids[i];

		if (key->type != Y_SCALAR)
			return ytree_fail(e, key->line, key->col, "%s: keys must be scalars", where);
		for (j = 0; j < i; j += 2)
			if (strcmp(m->kids[j]->value, key->value) == 0)
				return ytree_fail(e, key->line, key->col, "%s: duplicate key '%s'", where,
						  esc_name(key->value));
		if (allowed == NULL)
			continue;
		for (k = 0; allowed[k]; k++)
			if (strcmp(allowed[k], key->value) == 0)
				break;
		if (allowed[k] == NULL)
			return unknown_key(e, key, where, allowed);
	}
	return 0;
}

const struct ynode *
ytree_get(const struct ynode *m, const char *key)
{
	size_t i;

	if (m == NULL || m->type != Y_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->value, key) == 0)
			return m->kids[i + 1];
	return NULL;
}
