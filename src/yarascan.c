// SPDX-License-Identifier: GPL-2.0-or-later
/* yarascan: libyara behind a small interface. Rules are compiled once from
 * files named by globs; the compiled set is read-only afterwards, so scans may
 * run on several threads (libyara allows YR_MAX_THREADS at once). The digest
 * is SHA-256 over each source's length and bytes, in the order of the sorted
 * paths: the same sources give the same version wherever they live. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yara.h>

#include "util.h"
#include "yarascan.h"

#define RULE_FILE_MAX (16u * 1024 * 1024)
#define SCAN_TIMEOUT_S 20

struct yarascan {
	YR_RULES *rules;
	uint8_t digest[crypto_hash_sha256_BYTES];
	size_t nfiles;
};

struct compile_err {
	char *buf;
	size_t size;
	bool set;
};

static void
compile_cb(int level, const char *file, int line, const YR_RULE *rule, const char *msg, void *user)
{
	struct compile_err *e = user;

	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR || e->set)
		return;
	e->set = true;
	snprintf(e->buf, e->size, "%s:%d: %s", file ? esc_name(file) : "(rules)", line, msg);
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_wildcard(const char *g)
{
	return strpbrk(g, "*?[") != NULL;
}

/* expands the globs into a sorted list without repeats (free each and the list) */
static int
expand_globs(const char *const *globs, size_t nglobs, char ***ret, size_t *ret_n, char *err, size_t errsz)
{
	char **v = NULL;
	size_t n = 0, i, j, k;
	int r = 0;

	for (i = 0; i < nglobs; i++) {
		glob_t g;
		int gr = glob(globs[i], 0, NULL, &g);

		if (gr == GLOB_NOMATCH) {
			if (!has_wildcard(globs[i])) {
				snprintf(err, errsz, "%s: no such rule file", esc_name(globs[i]));
				r = -ENOENT;
				goto out;
			}
			continue;
		}
		if (gr != 0) {
			snprintf(err, errsz, "%s: cannot expand", esc_name(globs[i]));
			r = -EIO;
			goto out;
		}
		v = xreallocarray(v, n + g.gl_pathc, sizeof(*v));
		for (j = 0; j < g.gl_pathc; j++)
			v[n++] = xstrdup(g.gl_pathv[j]);
		globfree(&g);
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), path_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && strcmp(v[k - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	*ret = v;
	*ret_n = k;
	v = NULL;
	n = 0;
out:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return r;
}

/* reads a regular rule file (no symlink games: it is the admin's path, but a
 * directory or a device is no rule file) */
static int
read_rule_file(const char *path, struct buf *b, char *err, size_t errsz)
{
	struct stat st;
	char chunk[8192];
	ssize_t k;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", esc_name(path));
		r = -EINVAL;
		goto out;
	}
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(b, chunk, (size_t)k) < 0) {
			snprintf(err, errsz, "%s: larger than %u bytes", esc_name(path), RULE_FILE_MAX);
			r = -E2BIG;
			goto out;
		}
	if (k < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
	}
out:
	close(fd);
	return r;
}

int
yarascan_new(const char *const *globs, size_t nglobs, struct yarascan **ret, char *err, size_t errsz)
{
	struct yarascan *y = NULL;
	YR_COMPILER *comp = NULL;
	crypto_hash_sha256_state hs;
	struct compile_err ce = { err, errsz, false };
	struct buf b;
	char **files = NULL;
	size_t nfiles = 0, i;
	bool inited = false;
	int r;

	buf_init(&b, RULE_FILE_MAX);
	r = expand_globs(globs, nglobs, &files, &nfiles, err, errsz);
	if (r < 0)
		goto out;
	if (nfiles == 0) {
		snprintf(err, errsz, "no rule files");
		r = -ENOENT;
		goto out;
	}
	if (yr_initialize() != ERROR_SUCCESS) {
		snprintf(err, errsz, "libyara: cannot initialise");
		r = -ENOMEM;
		goto out;
	}
	inited = true;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
		snprintf(err, errsz, "libyara: cannot create a compiler");
		r = -ENOMEM;
		goto out;
	}
	yr_compiler_set_callback(comp, compile_cb, &ce);
	crypto_hash_sha256_init(&hs);
	for (i = 0; i < nfiles; i++) {
		uint8_t len[8];
		FILE *f;
		int k;

		buf_reset(&b);
		r = read_rule_file(files[i], &b, err, errsz);
		if (r < 0)
			goto out;
		for (k = 0; k < 8; k++)
			len[k] = (uint8_t)(b.len >> (8 * k));
		crypto_hash_sha256_update(&hs, len, sizeof(len));
		crypto_hash_sha256_update(&hs, (const uint8_t *)b.data, b.len);
		/* the bytes hashed are the bytes compiled */
		if (b.data == NULL && buf_putc(&b, '\n') < 0) {
			r = -ENOMEM;
			goto out;
		}
		f = fmemopen(b.data, b.len, "r");
		if (f == NULL) {
			r = -errno;
			snprintf(err, errsz, "%s: %s", esc_name(files[i]), strerror(errno));
			goto out;
		}
		k = yr_compiler_add_file(comp, f, NULL, files[i]);
		fclose(f);
		if (k > 0) {
			if (!ce.set)
				snprintf(err, errsz, "%s: does not compile", esc_name(files[i]));
			r = -EINVAL;
			goto out;
		}
	}
	y = xcalloc(1, sizeof(*y));
	if (yr_compiler_get_rules(comp, &y->rules) != ERROR_SUCCESS) {
		snprintf(err, errsz, "libyara: cannot build the rule set");
		r = -ENOMEM;
		goto out;
	}
	crypto_hash_sha256_final(&hs, y->digest);
	y->nfiles = nfiles;
	*ret = y;
	y = NULL;
	inited = false; /* finalized by yarascan_free */
	r = 0;
out:
	if (comp)
		yr_compiler_destroy(comp);
	free(y);
	if (inited)
		yr_finalize();
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	buf_free(&b);
	return r;
}

void
yarascan_free(struct yarascan *y)
{
	if (y == NULL)
		return;
	yr_rules_destroy(y->rules);
	free(y);
	yr_finalize();
}

struct scan_ctx {
	struct yarascan_match *m;
	size_t max, n;
};

static void
copy_name(char *dst, const char *src)
{
	snprintf(dst, YARASCAN_NAME_MAX, "%s", src ? src : "");
}

static int
scan_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct scan_ctx *sc = user;
	const YR_RULE *rule = data;
	const YR_META *meta;
	const YR_STRING *str;
	struct yarascan_match one, *m = &one;
	size_t i, w;

	if (msg != CALLBACK_MSG_RULE_MATCHING || sc->max == 0)
		return CALLBACK_CONTINUE;
	copy_name(m->rule, rule->identifier);
	copy_name(m->cls, rule->identifier);
	m->severity = 1;
	m->offset = SIZE_MAX;
	yr_rule_metas_foreach(rule, meta)
	{
		if (meta->type != META_TYPE_STRING)
			continue;
		if (strcmp(meta->identifier, "class") == 0)
			copy_name(m->cls, meta->string);
		else if (strcmp(meta->identifier, "severity") == 0)
			m->severity = strcmp(meta->string, "high") == 0 ? 2 : strcmp(meta->string, "note") == 0 ? 0 : 1;
	}
	yr_rule_strings_foreach(rule, str)
	{
		const YR_MATCH *next = ctx->matches[str->idx].head;

		/* libyara's matches may sit unaligned in its arena: read each by
		 * copy (yr_string_matches_foreach dereferences them in place) */
		while (next != NULL) {
			YR_MATCH match;

			memcpy(&match, next, sizeof(match));
			if (!match.is_private && (size_t)match.base + (size_t)match.offset < m->offset)
				m->offset = (size_t)match.base + (size_t)match.offset;
			next = match.next;
		}
	}
	if (sc->n < sc->max) {
		sc->m[sc->n++] = one;
		return CALLBACK_CONTINUE;
	}
	/* full: a file matching many weak rules first must not hide a strong
	 * one behind them; the weakest kept gives way (the earliest of equals) */
	for (w = 0, i = 1; i < sc->n; i++)
		if (sc->m[i].severity < sc->m[w].severity)
			w = i;
	if (one.severity > sc->m[w].severity)
		sc->m[w] = one;
	return CALLBACK_CONTINUE;
}

int
yarascan_buf(struct yarascan *y, const uint8_t *p, size_t n, struct yarascan_match *m, size_t max, size_t *ret_n)
{
	struct scan_ctx sc = { m, max, 0 };
	int r;

	if (y == NULL || (p == NULL && n > 0) || m == NULL)
		return -EINVAL;
	/* NO_TRYCATCH: libyara's guard against SIGBUS from a mapped file that
	 * shrinks installs a signal handler and masks signals on every scan;
	 * our buffers are read() into memory, never mapped */
	r = yr_rules_scan_mem(y->rules, p ? p : (const uint8_t *)"", n, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH,
			      scan_cb, &sc, SCAN_TIMEOUT_S);
	if (r == ERROR_SCAN_TIMEOUT)
		return -ETIMEDOUT;
	if (r == ERROR_INSUFFICIENT_MEMORY)
		return -ENOMEM;
	if (r != ERROR_SUCCESS && r != ERROR_CALLBACK_ERROR)
		return -EIO;
	*ret_n = sc.n;
	return 0;
}

const uint8_t *
yarascan_digest(const struct yarascan *y)
{
	return y->digest;
}

size_t
yarascan_nfiles(const struct yarascan *y)
{
	return y->nfiles;
}
