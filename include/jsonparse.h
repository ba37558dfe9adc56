/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A strict RFC 8259 JSON parser into a small tree, for files admins bring
 * (WordPress.org checksum files). Limits: JSONP_MAX_BYTES of input,
 * JSONP_MAX_DEPTH nesting, JSONP_MAX_NODES values. Strings are unescaped to
 * UTF-8 (\u escapes with surrogate pairs; lone surrogates, raw control
 * characters and invalid UTF-8 are errors); numbers are kept as their text.
 * Errors name line and column. Pure module (fuzzed). */
#ifndef WSID_JSONPARSE_H
#define WSID_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define JSONP_MAX_BYTES (64u << 20)
#define JSONP_MAX_DEPTH 64
#define JSONP_MAX_NODES 4000000

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype t;
	bool b;
	char *s;    /* J_STR: unescaped bytes (NUL-terminated, may hold NULs); J_NUM: text */
	size_t slen;
	/* J_ARR, J_OBJ: n children; J_OBJ also has their keys */
	struct jnode *kids;
	char **keys;
	size_t *klens;
	size_t n;
	size_t off; /* where the value starts in the input */
};

int jsonp_parse(const char *data, size_t len, struct jnode **ret, char *err, size_t errsz);
void jsonp_free(struct jnode *n);
/* the member of an object by key (the last one if repeated), or NULL */
const struct jnode *jsonp_get(const struct jnode *obj, const char *key);
const char *jsonp_type_name(enum jtype t);
/* line and column (from 1) of an offset in the input */
void jsonp_pos(const char *data, size_t len, size_t off, size_t *line, size_t *col);

#endif
