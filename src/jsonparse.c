// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON parsing; see jsonparse.h. Recursive descent, depth-limited. */
#include "jsonparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct jp {
	const char *p, *start, *end;
	size_t nodes;
	char *err;
	size_t errsz;
};

void
jsonp_pos(const char *data, size_t len, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int __attribute__((format(printf, 2, 3)))
jfail(struct jp *j, const char *fmt, ...)
{
	size_t line, col;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jsonp_pos(j->start, (size_t)(j->end - j->start), (size_t)(j->p - j->start), &line, &col);
	snprintf(j->err, j->errsz, "%zu:%zu: %s", line, col, msg);
	return -EINVAL;
}

static void
skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex4(struct jp *j, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (j->end - j->p < 4)
		return jfail(j, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = j->p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return jfail(j, "bad \\u escape");
	}
	j->p += 4;
	*out = v;
	return 0;
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* at the opening quote; the unescaped string in *out (malloc'ed) */
static int
parse_string(struct jp *j, char **out, size_t *outlen)
{
	struct buf b;
	const char *run;
	int r = 0;

	j->p++;
	buf_init(&b, JSONP_MAX_BYTES);
	for (;;) {
		run = j->p;
		while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
			j->p++;
		if (j->p > run) {
			if (!utf8_valid(run, (size_t)(j->p - run))) {
				j->p = run;
				r = jfail(j, "invalid UTF-8 in a string");
				goto fail;
			}
			buf_append(&b, run, (size_t)(j->p - run));
		}
		if (j->p >= j->end) {
			r = jfail(j, "unterminated string");
			goto fail;
		}
		if (*j->p == '"') {
			j->p++;
			break;
		}
		if ((unsigned char)*j->p < 0x20) {
			r = jfail(j, "control character in a string (must be escaped)");
			goto fail;
		}
		/* an escape */
		if (++j->p >= j->end) {
			r = jfail(j, "unterminated escape");
			goto fail;
		}
		switch (*j->p++) {
		case '"': buf_putc(&b, '"'); break;
		case '\\': buf_putc(&b, '\\'); break;
		case '/': buf_putc(&b, '/'); break;
		case 'b': buf_putc(&b, '\b'); break;
		case 'f': buf_putc(&b, '\f'); break;
		case 'n': buf_putc(&b, '\n'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'u': {
			uint32_t cp = 0, lo = 0;

			if ((r = hex4(j, &cp)) < 0)
				goto fail;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				r = jfail(j, "lone low surrogate in \\u escape");
				goto fail;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
					r = jfail(j, "high surrogate without its low half");
					goto fail;
				}
				j->p += 2;
				if ((r = hex4(j, &lo)) < 0)
					goto fail;
				if (lo < 0xdc00 || lo > 0xdfff) {
					r = jfail(j, "high surrogate without its low half");
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(&b, cp);
			break;
		}
		default:
			j->p--;
			r = jfail(j, "unknown escape '\\%c'", *j->p);
			goto fail;
		}
	}
	*outlen = b.len;
	buf_putc(&b, '\0');
	*out = buf_steal(&b);
	return 0;
fail:
	buf_free(&b);
	return r;
}

static int
parse_number(struct jp *j, struct jnode *n)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return jfail(j, "bad number");
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jfail(j, "bad number: digits expected after '.'");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jfail(j, "bad number: digits expected in the exponent");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	n->t = J_NUM;
	n->slen = (size_t)(j->p - s);
	n->s = xstrndup(s, n->slen);
	return 0;
}

static int
literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jfail(j, "unexpected character (expected a value)");
	j->p += n;
	return 0;
}

static int parse_value(struct jp *j, struct jnode *n, int depth);

static int
add_kid(struct jp *j, struct jnode *n, size_t *cap)
{
	if (++j->nodes > JSONP_MAX_NODES)
		return jfail(j, "more than %d values", JSONP_MAX_NODES);
	if (n->n == *cap) {
		*cap = *cap ? 2 * *cap : 4;
		n->kids = xreallocarray(n->kids, *cap, sizeof(*n->kids));
		if (n->t == J_OBJ) {
			n->keys = xreallocarray(n->keys, *cap, sizeof(*n->keys));
			n->klens = xreallocarray(n->klens, *cap, sizeof(*n->klens));
		}
	}
	memset(&n->kids[n->n], 0, sizeof(n->kids[0]));
	return 0;
}

static int
parse_container(struct jp *j, struct jnode *n, int depth)
{
	char close = n->t == J_OBJ ? '}' : ']';
	size_t cap = 0;
	int r;

	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if ((r = add_kid(j, n, &cap)) < 0)
			return r;
		if (n->t == J_OBJ) {
			skip_ws(j);
			if (j->p >= j->end || *j->p != '"')
				return jfail(j, "expected a member name in quotes");
			if ((r = parse_string(j, &n->keys[n->n], &n->klens[n->n])) < 0)
				return r;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':') {
				free(n->keys[n->n]);
				return jfail(j, "expected ':' after a member name");
			}
			j->p++;
		}
		r = parse_value(j, &n->kids[n->n], depth + 1);
		n->n++; /* freed with the parent even when half-parsed */
		if (r < 0)
			return r;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return jfail(j, "expected ',' or '%c'", close);
	}
}

static int
parse_value(struct jp *j, struct jnode *n, int depth)
{
	skip_ws(j);
	n->off = (size_t)(j->p - j->start);
	if (depth > JSONP_MAX_DEPTH)
		return jfail(j, "nested deeper than %d", JSONP_MAX_DEPTH);
	if (j->p >= j->end)
		return jfail(j, "unexpected end (expected a value)");
	switch (*j->p) {
	case '{':
		n->t = J_OBJ;
		return parse_container(j, n, depth);
	case '[':
		n->t = J_ARR;
		return parse_container(j, n, depth);
	case '"':
		n->t = J_STR;
		return parse_string(j, &n->s, &n->slen);
	case 't':
		n->t = J_BOOL;
		n->b = true;
		return literal(j, "true");
	case 'f':
		n->t = J_BOOL;
		return literal(j, "false");
	case 'n':
		n->t = J_NULL;
		return literal(j, "null");
	default:
		return parse_number(j, n);
	}
}

static void
node_clear(struct jnode *n)
{
	size_t i;

	for (i = 0; i < n->n; i++) {
		node_clear(&n->kids[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->kids);
	free(n->keys);
	free(n->klens);
	free(n->s);
}

void
jsonp_free(struct jnode *n)
{
	if (n == NULL)
		return;
	node_clear(n);
	free(n);
}

int
jsonp_parse(const char *data, size_t len, struct jnode **ret, char *err, size_t errsz)
{
	struct jp j = { data, data, data + len, 1, err, errsz };
	struct jnode *n = xcalloc(1, sizeof(*n));
	int r;

	*ret = NULL;
	err[0] = '\0';
	if (len > JSONP_MAX_BYTES) {
		snprintf(err, errsz, "larger than %u bytes", JSONP_MAX_BYTES);
		free(n);
		return -EFBIG;
	}
	/* a UTF-8 byte order mark is tolerated */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		j.p += 3;
	r = parse_value(&j, n, 0);
	if (r == 0) {
		skip_ws(&j);
		if (j.p != j.end)
			r = jfail(&j, "text after the JSON value");
	}
	if (r < 0) {
		jsonp_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

const struct jnode *
jsonp_get(const struct jnode *obj, const char *key)
{
	size_t i, kl = strlen(key);

	if (obj == NULL || obj->t != J_OBJ)
		return NULL;
	for (i = obj->n; i-- > 0;)
		if (obj->klens[i] == kl && memcmp(obj->keys[i], key, kl) == 0)
			return &obj->kids[i];
	return NULL;
}

const char *
jsonp_type_name(enum jtype t)
{
	static const char *const names[] = { "null", "a boolean", "a number", "a string",
					     "an array", "an object" };

	return names[t];
}
