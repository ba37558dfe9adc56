// SPDX-License-Identifier: GPL-2.0-or-later
/* Parser and writer of sha256sum-format fingerprint sets; see fpset.h. */
#include "fpset.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fpset_check_path(const char *path, size_t len, const char **why)
{
	size_t i = 0, start;

	if (len == 0) {
		*why = "empty path";
		return -EINVAL;
	}
	if (len > FPSET_PATH_MAX) {
		*why = "path too long";
		return -EINVAL;
	}
	if (path[0] == '/') {
		*why = "absolute path";
		return -EINVAL;
	}
	if (memchr(path, '\0', len)) {
		*why = "NUL byte in path";
		return -EINVAL;
	}
	while (i <= len) {
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i == start) {
			*why = "empty path component";
			return -EINVAL;
		}
		if ((i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' && path[start + 1] == '.')) {
			*why = "'.' or '..' path component";
			return -EINVAL;
		}
		if (i - start > 255) {
			*why = "path component longer than 255 bytes";
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

int
fpset_parse(const char *data, size_t len, const char *name, fpset_line_fn fn, void *ud,
	    char *err, size_t errsz)
{
	struct fpset_line fl;
	char *path = xmalloc(FPSET_PATH_MAX + 1);
	size_t off = 0, lineno = 0;
	const char *why;
	int r = 0;

	while (off < len) {
		const char *line = data + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - line) : len - off;
		bool escaped = false;
		size_t i, plen = 0;

		off += llen + (nl ? 1 : 0);
		lineno++;
		if (lineno > FPSET_MAX_LINES) {
			snprintf(err, errsz, "%s:%zu: more than %d lines", name, lineno, FPSET_MAX_LINES);
			r = -EINVAL;
			goto out;
		}
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0 || line[0] == '#')
			continue;
		if (line[0] == '\\') {
			escaped = true;
			line++;
			llen--;
		}
		if (llen < SHA256_HEX_LEN + 2 || hex_decode(line, SHA256_LEN, fl.sha256) < 0) {
			snprintf(err, errsz, "%s:%zu: expected 64 hex digits, two spaces and a path",
				 name, lineno);
			r = -EINVAL;
			goto out;
		}
		if (line[SHA256_HEX_LEN] != ' ' ||
		    (line[SHA256_HEX_LEN + 1] != ' ' && line[SHA256_HEX_LEN + 1] != '*')) {
			snprintf(err, errsz, "%s:%zu: expected two spaces (or ' *') after the hash",
				 name, lineno);
			r = -EINVAL;
			goto out;
		}
		for (i = SHA256_HEX_LEN + 2; i < llen; i++) {
			char c = line[i];

			if (escaped && c == '\\') {
				if (i + 1 >= llen) {
					snprintf(err, errsz, "%s:%zu: dangling backslash", name, lineno);
					r = -EINVAL;
					goto out;
				}
				c = line[++i];
				if (c == 'n')
					c = '\n';
				else if (c == 'r')
					c = '\r';
				else if (c != '\\') {
					snprintf(err, errsz, "%s:%zu: unknown escape '\\%c'", name,
						 lineno, isprint((unsigned char)c) ? c : '?');
					r = -EINVAL;
					goto out;
				}
			}
			if (plen >= FPSET_PATH_MAX) {
				snprintf(err, errsz, "%s:%zu: path too long", name, lineno);
				r = -EINVAL;
				goto out;
			}
			path[plen++] = c;
		}
		/* tolerate a leading "./" as find(1) produces it */
		while (plen >= 2 && path[0] == '.' && path[1] == '/') {
			memmove(path, path + 2, plen - 2);
			plen -= 2;
		}
		if (fpset_check_path(path, plen, &why) < 0) {
			snprintf(err, errsz, "%s:%zu: %s", name, lineno, why);
			r = -EINVAL;
			goto out;
		}
		path[plen] = '\0';
		fl.path = path;
		fl.pathlen = plen;
		fl.lineno = lineno;
		if ((r = fn(ud, &fl)) < 0)
			goto out;
	}
	r = 0;
out:
	free(path);
	return r;
}

int
fpset_format_line(struct buf *b, const uint8_t sha256[SHA256_LEN], const char *path,
		  size_t pathlen)
{
	char hex[SHA256_HEX_LEN + 1];
	bool esc = memchr(path, '\\', pathlen) || memchr(path, '\n', pathlen) ||
		   memchr(path, '\r', pathlen);
	size_t i;
	int r = 0;

	hex_encode(sha256, SHA256_LEN, hex);
	if (esc)
		r = buf_putc(b, '\\');
	if (r == 0)
		r = buf_append(b, hex, SHA256_HEX_LEN);
	if (r == 0)
		r = buf_append(b, "  ", 2);
	for (i = 0; i < pathlen && r == 0; i++) {
		if (esc && path[i] == '\\')
			r = buf_append(b, "\\\\", 2);
		else if (path[i] == '\n')
			r = buf_append(b, "\\n", 2);
		else if (path[i] == '\r')
			r = buf_append(b, "\\r", 2);
		else
			r = buf_putc(b, path[i]);
	}
	if (r == 0)
		r = buf_putc(b, '\n');
	return r;
}

int
fpset_check_version(const char *v)
{
	size_t n = strlen(v), i;

	if (n == 0 || n > 64 || v[0] == '.' || v[0] == '-')
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._+~-", v[i]))
			return -EINVAL;
	return 0;
}

int
fpset_check_product(const char *p)
{
	size_t n = strlen(p), i;

	if (n == 0 || n > 64 || !(islower((unsigned char)p[0]) || isdigit((unsigned char)p[0])))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)p[i]) && !isdigit((unsigned char)p[i]) &&
		    !strchr("._-", p[i]))
			return -EINVAL;
	return 0;
}

int
fpset_parse_versions(const char *data, size_t len, const char *name, fpset_vinfo_fn fn,
		     void *ud, char *err, size_t errsz)
{
	size_t off = 0, lineno = 0;
	int r = 0;

	while (off < len) {
		const char *line = data + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - line) : len - off;
		char buf[512], *fields[4] = { 0 }, *p, *end;
		struct fpset_version_info vi;
		int nf = 0;

		off += llen + (nl ? 1 : 0);
		lineno++;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0 || line[0] == '#')
			continue;
		if (llen >= sizeof(buf)) {
			snprintf(err, errsz, "%s:%zu: line too long", name, lineno);
			return -EINVAL;
		}
		memcpy(buf, line, llen);
		buf[llen] = '\0';
		if (memchr(buf, '\0', llen)) {
			snprintf(err, errsz, "%s:%zu: NUL byte", name, lineno);
			return -EINVAL;
		}
		for (p = buf; nf < 4; nf++) {
			fields[nf] = p;
			p = strchr(p, '\t');
			if (p == NULL) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (lineno == 1 && strcmp(fields[0], "version") == 0)
			continue;
		if (fpset_check_version(fields[0]) < 0) {
			snprintf(err, errsz, "%s:%zu: invalid version '%s'", name, lineno, esc_name(fields[0]));
			return -EINVAL;
		}
		vi.version = fields[0];
		vi.tag = nf > 1 ? fields[1] : "";
		vi.released = nf > 2 ? fields[2] : "";
		vi.files = -1;
		if (nf > 3 && fields[3][0]) {
			errno = 0;
			vi.files = strtol(fields[3], &end, 10);
			if (errno || *end || vi.files < 0) {
				snprintf(err, errsz, "%s:%zu: invalid file count '%s'", name, lineno,
					 esc_name(fields[3]));
				return -EINVAL;
			}
		}
		vi.lineno = lineno;
		if ((r = fn(ud, &vi)) < 0)
			return r;
	}
	return 0;
}
