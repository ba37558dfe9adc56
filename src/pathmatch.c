// SPDX-License-Identifier: GPL-2.0-or-later
/* Webspace patterns and ignore globs; see pathmatch.h. */
#include "pathmatch.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* one component of a pattern (pc) against one of the path (sc, sl bytes) */
static bool
component_match(const char *pc, const char *sc, size_t sl, char *customer, size_t sz)
{
	const char *ph;
	size_t pre, suf;

	if (strcmp(pc, "{customer}") == 0) {
		if (sc[0] == '.' || sl >= sz)
			return false;
		memcpy(customer, sc, sl + 1);
		return true;
	}
	ph = strstr(pc, "{customer}");
	if (ph == NULL)
		return fnmatch(pc, sc, FNM_PERIOD) == 0;
	/* the placeholder inside a component: prefix{customer}suffix */
	pre = (size_t)(ph - pc);
	suf = strlen(ph + 10);
	if (sl <= pre + suf || strncmp(sc, pc, pre) != 0 || strcmp(sc + sl - suf, ph + 10) != 0 ||
	    sl - pre - suf >= sz)
		return false;
	memcpy(customer, sc + pre, sl - pre - suf);
	customer[sl - pre - suf] = '\0';
	return true;
}

bool
pathmatch_pattern(const char *pattern, const char *path, char *customer, size_t sz, size_t *root_len,
		  const char **rest)
{
	const char *p = pattern, *s = path;

	while (*p) {
		const char *pe, *se;
		size_t pl, sl;
		char pc[512], sc[512];

		if (rest && *s == '\0') {
			*rest = p;
			*root_len = (size_t)(s - path);
			return true;
		}
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		pe = strchr(p, '/');
		se = strchr(s, '/');
		pl = pe ? (size_t)(pe - p) : strlen(p);
		sl = se ? (size_t)(se - s) : strlen(s);
		if (sl == 0 || pl >= sizeof(pc) || sl >= sizeof(sc))
			return false;
		memcpy(pc, p, pl);
		pc[pl] = '\0';
		memcpy(sc, s, sl);
		sc[sl] = '\0';
		if (!component_match(pc, sc, sl, customer, sz))
			return false;
		p += pl;
		s += sl;
	}
	if (*s != '\0' && *s != '/')
		return false;
	*root_len = (size_t)(s - path);
	if (rest)
		*rest = p;
	return true;
}

bool
pathmatch_pattern_candidate(const char *pattern, const char *path)
{
	char cust[256];
	size_t rl;
	const char *rest;

	return pathmatch_pattern(pattern, path, cust, sizeof(cust), &rl, &rest) && rl == strlen(path);
}

size_t
pathmatch_prefix(const char *p)
{
	const char *w = strpbrk(p, "{*?[");
	size_t n = w ? (size_t)(w - p) : strlen(p);

	while (n > 0 && p[n - 1] != '/')
		n--;
	return n > 1 ? n - 1 : n;
}

bool
pathmatch_under(const char *path, const char *dir, size_t dlen)
{
	if (dlen == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, dlen) == 0 && (path[dlen] == '/' || path[dlen] == '\0');
}

/* Glob matching. A plain backtracking matcher is exponential on patterns such
 * as "a*a*a*a*b" or a long run of stars; it runs first with a step budget (the
 * common case stays cheap), and when that is spent the match is redone with a
 * table of (glob, path) positions already known to fail: O(|glob| * |path|). */
struct globctx {
	const char *g0, *s0;
	size_t slen;
	uint8_t *fail; /* NULL while on the budget */
	long budget;
};

static int glob_at(struct globctx *c, const char *g, const char *s);

static int
glob_body(struct globctx *c, const char *g, const char *s)
{
	int r;

	while (*g) {
		if (g[0] == '*' && g[1] == '*') {
			const char *rest = g + 2;

			if (*rest == '/')
				rest++;
			if (*rest == '\0')
				return 1;
			for (;;) {
				if ((r = glob_at(c, rest, s)) != 0)
					return r;
				s = strchr(s, '/');
				if (s == NULL)
					return 0;
				s++;
			}
		}
		if (*g == '*') {
			for (;;) {
				if ((r = glob_at(c, g + 1, s)) != 0)
					return r;
				if (*s == '\0' || *s == '/')
					return 0;
				s++;
			}
		}
		if (*s == '\0')
			return 0;
		if (*g != '?' && *g != *s)
			return 0;
		if (*g == '?' && *s == '/')
			return 0;
		g++;
		s++;
	}
	return *s == '\0';
}

/* 1 match, 0 no match, -1 budget spent */
static int
glob_at(struct globctx *c, const char *g, const char *s)
{
	size_t key = 0;
	int r;

	if (c->fail) {
		key = (size_t)(g - c->g0) * (c->slen + 1) + (size_t)(s - c->s0);
		if (c->fail[key >> 3] & (1u << (key & 7)))
			return 0;
	} else if (--c->budget < 0) {
		return -1;
	}
	r = glob_body(c, g, s);
	if (r == 0 && c->fail)
		c->fail[key >> 3] |= (uint8_t)(1u << (key & 7));
	return r;
}

bool
pathmatch_glob(const char *g, const char *s)
{
	struct globctx c = { g, s, strlen(s), NULL, 20000 };
	size_t bits;
	int r = glob_at(&c, g, s);

	if (r >= 0)
		return r == 1;
	bits = (strlen(g) + 1) * (c.slen + 1);
	c.fail = xcalloc(bits / 8 + 1, 1);
	r = glob_at(&c, g, s);
	free(c.fail);
	return r == 1;
}

bool
pathmatch_ignored(char *const *globs, size_t n, const char *relpath)
{
	size_t i, l = strlen(relpath);
	bool isdir = l > 0 && relpath[l - 1] == '/';

	for (i = 0; i < n; i++) {
		const char *g = globs[i];
		size_t gl = strlen(g);

		if (pathmatch_glob(g, relpath))
			return true;
		/* "dir" + slash + two stars also matches the directory "dir/" itself (prune) */
		if (isdir && gl > 3 && strcmp(g + gl - 3, "/**") == 0) {
			char *tmp = xstrndup(relpath, l - 1);
			char *gg = xstrndup(g, gl - 3);
			bool m = pathmatch_glob(gg, tmp);

			free(tmp);
			free(gg);
			if (m)
				return true;
		}
	}
	return false;
}
