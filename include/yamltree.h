/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small YAML node tree built from libyaml's event parser, with positions,
 * under hard limits (size of a value, nesting depth, number of entries and of
 * nodes). Aliases are refused: they would let a few bytes expand into millions
 * of nodes. Pure: it parses a string, it never opens a file. Errors are
 * "file:line:column: what" in the caller's buffer. Used by the configuration
 * (config.c) and by a product's product.yaml (fpindex.c). */
#ifndef WSID_YAMLTREE_H
#define WSID_YAMLTREE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define YTREE_MAX_DEPTH 16
#define YTREE_MAX_STRING 4096
#define YTREE_MAX_ITEMS 100000 /* entries of one mapping or list; nodes: 4 times this */

enum ytype { Y_SCALAR, Y_MAP, Y_SEQ };

struct ynode {
	enum ytype type;
	char *value; /* scalars */
	bool quoted;
	size_t line, col;
	struct ynode **kids; /* maps: key, value, key, value ... */
	size_t n;
};

/* where errors go: file names the text in messages */
struct yerr {
	const char *file;
	char *err;
	size_t errsz;
};

/* Builds the tree of the first document of text; an empty document is an
 * empty mapping. *ret is the caller's, freed with ynode_free. */
int ytree_parse(const struct yerr *e, const char *text, size_t len, struct ynode **ret);
void ynode_free(struct ynode *n);

/* writes "file:line:column: what" into e->err; returns -EINVAL */
int ytree_fail(const struct yerr *e, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int ytree_vfail(const struct yerr *e, size_t line, size_t col, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* "a mapping", "a list" or "a scalar" */
const char *ytree_type_name(enum ytype t);
/* 0 when n is of type t, else an error naming key and both types */
int ytree_want(const struct yerr *e, const struct ynode *n, enum ytype t, const char *key);
/* A mapping's keys: scalars, unique, and (allowed not NULL) among the
 * NULL-terminated allowed ones; where names the mapping in errors. */
int ytree_check_keys(const struct yerr *e, const struct ynode *m, const char *where,
		     const char *const *allowed);
/* the value of key in the mapping m, or NULL (borrowed from m) */
const struct ynode *ytree_get(const struct ynode *m, const char *key);

#endif
