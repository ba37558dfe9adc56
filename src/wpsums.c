// SPDX-License-Identifier: GPL-2.0-or-later
/* WordPress.org checksum files to fingerprint sets; see wpsums.h. */
#include "wpsums.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpset.h"
#include "jsonparse.h"

struct sum {
	const char *path;
	size_t plen;
	uint8_t sha[SHA256_LEN];
};

static int
cmp_sum(const void *a, const void *b)
{
	const struct sum *x = a, *y = b;
	int c = bytes_cmp(x->path, x->plen, y->path, y->plen);

	return c ? c : memcmp(x->sha, y->sha, SHA256_LEN);
}

static int
at(const char *data, size_t len, const char *name, const struct jnode *n, char *err, size_t errsz,
   const char *what)
{
	size_t line, col;

	jsonp_pos(data, len, n->off, &line, &col);
	snprintf(err, errsz, "%s:%zu:%zu: %s", name, line, col, what);
	return -EINVAL;
}

static bool
matches(const struct jnode *n, const char *want)
{
	return n == NULL || want == NULL || (n->t == J_STR && strcmp(n->s, want) == 0);
}

int
wpsums_to_set(const char *data, size_t len, const char *name, const char *slug,
	      const char *version, struct buf *out, size_t *nfiles, char *err, size_t errsz)
{
	struct jnode *root = NULL;
	const struct jnode *files, *pl, *ver;
	struct sum *sums = NULL;
	size_t n = 0, cap = 0, i, k;
	char what[512], jerr[400];
	int r;

	*nfiles = 0;
	if ((r = jsonp_parse(data, len, &root, jerr, sizeof(jerr))) < 0) {
		snprintf(err, errsz, "%s:%s (not a valid JSON checksum file)", name, jerr);
		return r;
	}
	if (root->t != J_OBJ) {
		r = at(data, len, name, root, err, errsz, "expected an object with a \"files\" member");
		goto out;
	}
	pl = jsonp_get(root, "plugin");
	ver = jsonp_get(root, "version");
	if (!matches(pl, slug) || !matches(ver, version)) {
		snprintf(what, sizeof(what), "this is the checksum file of %s %s, not of %s %s",
			 pl && pl->t == J_STR ? esc_name(pl->s) : "?",
			 ver && ver->t == J_STR ? esc_name(ver->s) : "?", slug ? esc_name(slug) : "?",
			 version ? version : "?");
		r = at(data, len, name, pl && !matches(pl, slug) ? pl : ver, err, errsz, what);
		goto out;
	}
	files = jsonp_get(root, "files");
	if (files == NULL || files->t != J_OBJ) {
		r = at(data, len, name, files ? files : root, err, errsz,
		       "expected \"files\": an object of path -> {\"md5\", \"sha256\"}");
		goto out;
	}
	for (i = 0; i < files->n; i++) {
		const struct jnode *f = &files->kids[i], *sh;
		const char *why = NULL;

		if (files->klens[i] != strlen(files->keys[i]) ||
		    fpset_check_path(files->keys[i], files->klens[i], &why) < 0) {
			snprintf(what, sizeof(what), "files: '%s' is not a relative path inside the "
				 "release (%s)", esc_name(files->keys[i]), why ? why : "NUL byte");
			r = at(data, len, name, f, err, errsz, what);
			goto out;
		}
		sh = f->t == J_OBJ ? jsonp_get(f, "sha256") : NULL;
		if (sh == NULL || (sh->t != J_STR && sh->t != J_ARR) || (sh->t == J_ARR && sh->n == 0)) {
			snprintf(what, sizeof(what), "files: '%s': no \"sha256\" (a string or a list of "
				 "strings; an md5 alone cannot be used)", esc_name(files->keys[i]));
			r = at(data, len, name, f, err, errsz, what);
			goto out;
		}
		for (k = 0; k < (sh->t == J_ARR ? sh->n : 1); k++) {
			const struct jnode *h = sh->t == J_ARR ? &sh->kids[k] : sh;

			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				sums = xreallocarray(sums, cap, sizeof(*sums));
			}
			if (h->t != J_STR || h->slen != 2 * SHA256_LEN ||
			    hex_decode(h->s, SHA256_LEN, sums[n].sha) < 0) {
				snprintf(what, sizeof(what), "files: '%s': the sha256 must be 64 hex digits",
					 esc_name(files->keys[i]));
				r = at(data, len, name, h, err, errsz, what);
				goto out;
			}
			sums[n].path = files->keys[i];
			sums[n].plen = files->klens[i];
			n++;
		}
	}
	if (n == 0) {
		r = at(data, len, name, files, err, errsz, "\"files\" is empty");
		goto out;
	}
	if (n > FPSET_MAX_LINES) {
		r = at(data, len, name, files, err, errsz, "too many files");
		goto out;
	}
	qsort(sums, n, sizeof(*sums), cmp_sum);
	for (i = 0; i < n; i++) {
		if (i > 0 && cmp_sum(&sums[i - 1], &sums[i]) == 0)
			continue;
		if ((r = fpset_format_line(out, sums[i].sha, sums[i].path, sums[i].plen)) < 0) {
			snprintf(err, errsz, "%s: %s", name, strerror(-r));
			goto out;
		}
		if (i == 0 || sums[i - 1].plen != sums[i].plen ||
		    memcmp(sums[i - 1].path, sums[i].path, sums[i].plen) != 0)
			(*nfiles)++;
	}
	r = 0;
out:
	free(sums);
	jsonp_free(root);
	return r;
}
