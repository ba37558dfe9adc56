// SPDX-License-Identifier: GPL-2.0-or-later
/* Verdicts; see classify.h. The order of the rules is the order of what matters
 * most to a customer: a known-bad hash first, code where none belongs next, then
 * what the release index says. */
#include "classify.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *const verdict_names[VERDICT_MAX] = {
	[VERDICT_OK] = "ok",
	[VERDICT_UPDATE] = "update",
	[VERDICT_DOWNGRADE] = "downgrade",
	[VERDICT_TAMPERED] = "tampered",
	[VERDICT_MALICIOUS] = "malicious",
	[VERDICT_SUSPICIOUS] = "suspicious",
	[VERDICT_FOREIGN] = "foreign",
	[VERDICT_DELETED] = "deleted",
	[VERDICT_VERSION_LIE] = "version-lie",
	[VERDICT_NEW] = "new",
	[VERDICT_CHANGED_UNKNOWN] = "changed-unknown",
	[VERDICT_IGNORED] = "ignored",
	[VERDICT_LOCKED] = "locked",
	[VERDICT_CHANGING] = "changing",
};

static const enum severity verdict_sev[VERDICT_MAX] = {
	[VERDICT_OK] = SEV_INFO,
	[VERDICT_UPDATE] = SEV_NOTICE,
	[VERDICT_DOWNGRADE] = SEV_WARNING,
	[VERDICT_TAMPERED] = SEV_WARNING,
	[VERDICT_MALICIOUS] = SEV_CRITICAL,
	[VERDICT_SUSPICIOUS] = SEV_WARNING, /* critical when the web server wrote it */
	[VERDICT_FOREIGN] = SEV_WARNING,
	[VERDICT_DELETED] = SEV_NOTICE,
	[VERDICT_VERSION_LIE] = SEV_WARNING,
	[VERDICT_NEW] = SEV_INFO,
	[VERDICT_CHANGED_UNKNOWN] = SEV_INFO,
	[VERDICT_IGNORED] = SEV_INFO,
	[VERDICT_LOCKED] = SEV_WARNING,
	[VERDICT_CHANGING] = SEV_INFO,
};

static const char *const sev_names[SEV_MAX] = { "info", "notice", "warning", "critical" };
static const char *const change_names[CHANGE_KIND_MAX] = { "created", "modified", "deleted",
							   "renamed", "baseline", "reclassified" };
static const char *const known_names[KNOWN_MAX] = { "unknown", "release", "other-version",
						    "elsewhere" };

const char *
verdict_name(enum verdict_kind v)
{
	return (unsigned)v < VERDICT_MAX ? verdict_names[v] : "unknown";
}

int
verdict_parse(const char *name)
{
	int i;

	for (i = 0; i < VERDICT_MAX; i++)
		if (strcmp(verdict_names[i], name) == 0)
			return i;
	return -1;
}

const char *
severity_name(enum severity s)
{
	return (unsigned)s < SEV_MAX ? sev_names[s] : "unknown";
}

int
severity_parse(const char *name)
{
	int i;

	for (i = 0; i < SEV_MAX; i++)
		if (strcmp(sev_names[i], name) == 0)
			return i;
	return -1;
}

const char *
change_name(enum change_kind c)
{
	return (unsigned)c < CHANGE_KIND_MAX ? change_names[c] : "unknown";
}

const char *
known_name(enum content_known k)
{
	return (unsigned)k < KNOWN_MAX ? known_names[k] : "unknown";
}

enum severity
verdict_default_severity(enum verdict_kind v)
{
	return (unsigned)v < VERDICT_MAX ? verdict_sev[v] : SEV_WARNING;
}

/* The name's extension: the base name's last dot on (*base set to the base
 * name), NULL when the base name has no dot but its first byte. Every
 * extension is one dot and what follows it, so only this ending is compared
 * with a list, and only with its entries of the same length and second byte
 * (asked several times per change on the main loop: the name is read from
 * its end, the base name only). */
static const char *
name_ext(const char *name, size_t len, const char **base)
{
	const char *dot = NULL;
	size_t i = len;

	*base = name;
	while (i-- > 0) {
		if (name[i] == '/') {
			*base = name + i + 1;
			break;
		}
		if (name[i] == '.' && dot == NULL)
			dot = name + i;
	}
	return dot == NULL || dot <= *base ? NULL : dot;
}

/* is the extension dot (of name_ext: NULL for none) one of exts (each a dot
 * and lower case letters or digits)? */
static bool
ext_listed(const char *name, size_t len, const char *dot, const char *const *exts, size_t n)
{
	size_t i, el;
	int c1;

	if (dot == NULL)
		return false;
	el = len - (size_t)(dot - name);
	if (el < 2)
		return false;
	c1 = tolower((unsigned char)dot[1]);
	for (i = 0; i < n; i++)
		if (exts[i][1] == c1 && strlen(exts[i]) == el && strncasecmp(dot, exts[i], el) == 0)
			return true;
	return false;
}

/* Does the name end in one of exts (each one dot and what follows it), not
 * as the whole base name? */
static bool
ext_in(const char *name, size_t len, const char *const *exts, size_t n)
{
	const char *base;

	return ext_listed(name, len, name_ext(name, len, &base), exts, n);
}

bool
classify_is_code_name(const char *name, size_t len)
{
	static const char *const exts[] = { ".php", ".phtml", ".php3", ".php4", ".php5", ".php6",
					    ".php7", ".php8", ".phar", ".pht", ".inc", ".cgi",
					    ".pl", ".py", ".sh" };
	const char *base, *dot = name_ext(name, len, &base);
	size_t blen = len - (size_t)(base - name);

	if ((blen == 9 && strncmp(base, ".htaccess", 9) == 0) ||
	    (blen == 9 && strncmp(base, ".user.ini", 9) == 0))
		return true;
	return ext_listed(name, len, dot, exts, ARRAY_SIZE(exts));
}

static const char *
basename_of(const char *p, size_t len, size_t *blen)
{
	const char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '/')
			b = p + i + 1;
	*blen = len - (size_t)(b - p);
	return b;
}

bool
classify_double_ext(const char *relpath, size_t len)
{
	static const char *const media[] = { ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg",
					     ".ico", ".pdf", ".txt", ".zip", ".mp4", ".mp3",
					     ".doc", ".docx", ".xls", ".css", ".js" };
	size_t blen, i;
	const char *b = basename_of(relpath, len, &blen);

	if (!classify_is_code_name(b, blen))
		return false;
	/* a media extension followed by another extension: x.jpg.php, x.png.phtml */
	for (i = 0; i < sizeof(media) / sizeof(media[0]); i++) {
		size_t ml = strlen(media[i]);
		const char *hit = b;

		while ((hit = memmem(hit, blen - (size_t)(hit - b), media[i], ml)) != NULL) {
			size_t after = (size_t)(hit - b) + ml;

			if (after < blen && b[after] == '.' && strncasecmp(hit, media[i], ml) == 0)
				return true;
			hit++;
			if ((size_t)(hit - b) >= blen)
				break;
		}
	}
	return false;
}

bool
classify_hidden_code(const char *relpath, size_t len)
{
	size_t blen;
	const char *b = basename_of(relpath, len, &blen);

	if (blen < 2 || b[0] != '.')
		return false;
	if ((blen == 9 && memcmp(b, ".htaccess", 9) == 0) || (blen == 9 && memcmp(b, ".user.ini", 9) == 0))
		return false; /* named code of its own: judged by place */
	return classify_is_code_name(b, blen);
}

/* whether a directory component of relpath (not the file's own name) is one
 * of names, compared exactly: an application's upload folders are lower case,
 * a class folder (SimplePie's Cache/) is not one */
static bool
dir_component_in(const char *relpath, size_t len, const char *const *names, size_t nnames)
{
	size_t i = 0, start, k;

	while (i < len) {
		start = i;
		while (i < len && relpath[i] != '/')
			i++;
		if (i >= len)
			break; /* the last component is the file itself */
		for (k = 0; k < nnames; k++)
			if (i - start == strlen(names[k]) && strncmp(relpath + start, names[k], i - start) == 0)
				return true;
		i++;
	}
	return false;
}

/* uploads/ is where users' files go; the others are also names of code
 * folders (MediaWiki's includes/upload/, DokuWiki's lib/images/ with its
 * index.php) or where applications write code (compiled templates) */
static const char *const upload_names[] = { "uploads" };
static const char *const weak_names[] = { "upload", "images", "cache", "tmp", "temp" };

bool
classify_generic_upload_dir(const char *relpath, size_t len)
{
	return dir_component_in(relpath, len, upload_names, ARRAY_SIZE(upload_names)) ||
	       dir_component_in(relpath, len, weak_names, ARRAY_SIZE(weak_names));
}

bool
classify_generic_cache_dir(const char *relpath, size_t len)
{
	return dir_component_in(relpath, len, weak_names, ARRAY_SIZE(weak_names)) &&
	       !dir_component_in(relpath, len, upload_names, ARRAY_SIZE(upload_names));
}


bool
classify_media_name(const char *relpath, size_t len)
{
	static const char *const exts[] = { ".jpg", ".jpeg", ".jpe", ".png", ".gif", ".ico", ".bmp",
					    ".webp", ".tif", ".tiff" };

	return ext_in(relpath, len, exts, ARRAY_SIZE(exts));
}

bool
classify_inert_name(const char *relpath, size_t len)
{
	static const char *const exts[] = { ".txt", ".md", ".rst", ".html", ".htm", ".xml", ".csv",
					    ".po", ".pot", ".mo", ".svg", ".woff", ".woff2", ".ttf",
					    ".eot", ".otf", ".mp3", ".ogg", ".wav", ".mp4", ".webm",
					    ".pdf", ".xcf", ".psd" };
	static const char *const stems[] = { "copying", "license", "licence", "readme", "changelog",
					     "changes", "authors", "credits", "notice", "copyright",
					     "install", "news", "history", "contributing" };
	static const char *const inside[] = { "license", "licence", "copying", "readme" };
	size_t blen, i;
	const char *b = basename_of(relpath, len, &blen);

	if (classify_media_name(relpath, len) || ext_in(relpath, len, exts, ARRAY_SIZE(exts)))
		return true;
	if (classify_is_code_name(b, blen))
		return false;
	/* COPYING, LICENSE, README.md, CHANGELOG-1.x: documents, by name */
	for (i = 0; i < ARRAY_SIZE(stems); i++) {
		size_t sl = strlen(stems[i]);

		if (blen >= sl && strncasecmp(b, stems[i], sl) == 0 &&
		    (blen == sl || b[sl] == '.' || b[sl] == '-' || b[sl] == '_'))
			return true;
	}
	/* GPL-LICENSE, MIT-LICENSE, README-ja */
	for (i = 0; i < ARRAY_SIZE(inside); i++) {
		size_t il = strlen(inside[i]), k;

		for (k = 1; k + il <= blen; k++)
			if ((b[k - 1] == '-' || b[k - 1] == '_' || b[k - 1] == '.') &&
			    strncasecmp(b + k, inside[i], il) == 0)
				return true;
	}
	return false;
}

bool
classify_analyse_wanted(const char *relpath, size_t len, bool php_head, bool php_inside, enum verdict_kind v)
{
	bool judged_unknown = v == VERDICT_NEW || v == VERDICT_CHANGED_UNKNOWN || v == VERDICT_TAMPERED ||
			      v == VERDICT_FOREIGN || v == VERDICT_SUSPICIOUS;

	if (classify_is_code_name(relpath, len) || php_head)
		return judged_unknown;
	/* an image is data until PHP shows in it: then what it does decides,
	 * in an upload folder (ignored) as anywhere */
	if (classify_media_name(relpath, len) && php_inside)
		return judged_unknown || v == VERDICT_IGNORED;
	return false;
}

bool
classify_code_content(const char *relpath, size_t len, const unsigned char *head, size_t headlen,
		      bool php_tag)
{
	return classify_is_code_name(relpath, len) || classify_php_head(head, headlen) ||
	       (php_tag && classify_media_name(relpath, len));
}

bool
classify_php_head(const unsigned char *head, size_t n)
{
	size_t i = 0;

	/* a UTF-8 BOM or leading white space does not hide PHP */
	if (n >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf)
		i = 3;
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
		i++;
	if (n - i >= 5 && strncasecmp((const char *)head + i, "<?php", 5) == 0)
		return true;
	if (n - i >= 3 && memcmp(head + i, "<?=", 3) == 0)
		return true;
	if (n - i >= 2 && head[i] == '#' && head[i + 1] == '!')
		return true;
	return false;
}

void
classify_change(const struct classify_input *in, struct verdict *out)
{
	bool code = classify_is_code_name(in->relpath, in->rlen) || in->php_head;
	bool inert = classify_inert_name(in->relpath, in->rlen);
	const char *prod = in->product ? in->product : "the installation";
	const char *ver = in->version ? in->version : "?";

	memset(out, 0, sizeof(*out));
	if (in->change == CHANGE_DELETED) {
		if (in->release_path) {
			out->kind = VERDICT_DELETED;
			snprintf(out->reason, sizeof(out->reason), "a file of %s %s was removed", prod, ver);
		} else if (code) {
			out->kind = VERDICT_CHANGED_UNKNOWN;
			snprintf(out->reason, sizeof(out->reason), "code that belongs to no release was removed");
		} else if (in->in_upload_dir) {
			out->kind = VERDICT_IGNORED;
			snprintf(out->reason, sizeof(out->reason), "not code, removed from a directory meant "
				 "for uploads");
		} else {
			out->kind = VERDICT_CHANGED_UNKNOWN;
			snprintf(out->reason, sizeof(out->reason), "a file that belongs to no release was removed");
		}
		goto sev;
	}
	if (in->known_bad && !in->trusted) {
		out->kind = VERDICT_MALICIOUS;
		snprintf(out->reason, sizeof(out->reason), "the content is on the known-bad list");
		goto sev;
	}
	if (code && !in->trusted && in->known != KNOWN_RELEASE) {
		const char *why = NULL;
		bool by_name = false;

		if (in->in_upload_dir) {
			why = in->known == KNOWN_ELSEWHERE || in->known == KNOWN_OTHER_VERSION
				      ? "a known release file copied into a directory meant for uploads"
				      : "executable code in a directory meant for uploads or caches";
			/* a folder name that code folders and caches have too:
			 * there the place alone does not decide */
			by_name = !in->in_product_upload_dir && classify_generic_cache_dir(in->relpath, in->rlen);
		} else if (classify_double_ext(in->relpath, in->rlen)) {
			why = "executable code disguised with a double extension";
			by_name = true; /* getID3's module.audio.mp3.php */
		} else if (classify_hidden_code(in->relpath, in->rlen)) {
			why = "hidden executable code (name starts with a dot)";
			by_name = true; /* .php-cs-fixer.dist.php */
		} else if (in->php_head && !classify_is_code_name(in->relpath, in->rlen)) {
			why = "PHP code in a file whose name does not say so";
			by_name = true; /* conf/plugins.local.php.bak */
		}
		if (why) {
			out->kind = VERDICT_SUSPICIOUS;
			out->by_name = by_name;
			snprintf(out->reason, sizeof(out->reason), "%s", why);
			goto sev;
		}
	}
	if (in->release_path) {
		switch (in->known) {
		case KNOWN_RELEASE:
			out->kind = VERDICT_OK;
			snprintf(out->reason, sizeof(out->reason), "the content is %s %s's own", prod, ver);
			break;
		case KNOWN_OTHER_VERSION:
			out->kind = in->other_rank > in->version_rank ? VERDICT_UPDATE : VERDICT_DOWNGRADE;
			snprintf(out->reason, sizeof(out->reason), "the content is %s %s's (installed: %s)",
				 prod, in->other_version ? in->other_version : "?", ver);
			break;
		default:
			out->kind = in->trusted ? VERDICT_OK : VERDICT_TAMPERED;
			snprintf(out->reason, sizeof(out->reason),
				 in->trusted ? "a release file with content marked trusted"
					     : "a file of %s %s whose content matches no known version",
				 prod, ver);
			break;
		}
		goto sev;
	}
	if (in->in_staging_dir && (in->known == KNOWN_OTHER_VERSION || in->known == KNOWN_ELSEWHERE)) {
		/* the updater unpacks a theme or plugin there and moves it
		 * into place seconds later: that install is what counts */
		out->kind = VERDICT_NEW;
		snprintf(out->reason, sizeof(out->reason),
			 "known content unpacked into %s's staging folder by its updater", prod);
	} else if (in->known == KNOWN_OTHER_VERSION) {
		out->kind = in->other_rank > in->version_rank ? VERDICT_UPDATE : VERDICT_DOWNGRADE;
		snprintf(out->reason, sizeof(out->reason), "a file of %s %s (installed: %s)", prod,
			 in->other_version ? in->other_version : "?", ver);
	} else if (in->known == KNOWN_ELSEWHERE && !in->trusted && !code && !inert &&
		   in->beside_unknown_code) {
		/* a script or style of another product's release among code no
		 * index knows: that application's own copy of the library (it
		 * does not run on the server; server-side code stays foreign) */
		out->kind = in->change == CHANGE_MODIFIED ? VERDICT_CHANGED_UNKNOWN : VERDICT_NEW;
		snprintf(out->reason, sizeof(out->reason),
			 "a script or style another product ships too, in a folder of code no index "
			 "knows (an application not identified, with its own copy)");
	} else if (in->known == KNOWN_ELSEWHERE && !in->trusted && (code || !inert)) {
		out->kind = VERDICT_FOREIGN;
		snprintf(out->reason, sizeof(out->reason),
			 "known content of another product, version or place");
	} else if (in->in_upload_dir && !code) {
		out->kind = VERDICT_IGNORED;
		snprintf(out->reason, sizeof(out->reason), "not code, in a directory meant for uploads");
	} else if (in->known == KNOWN_ELSEWHERE && !in->trusted) {
		/* a licence, a read-me or an image another product ships too */
		out->kind = in->change == CHANGE_MODIFIED ? VERDICT_CHANGED_UNKNOWN : VERDICT_NEW;
		snprintf(out->reason, sizeof(out->reason),
			 "a document or image that another product or place has too (no evidence of anything)");
	} else if (in->change == CHANGE_CREATED || in->change == CHANGE_BASELINE ||
		   in->change == CHANGE_RENAMED) {
		out->kind = VERDICT_NEW;
		snprintf(out->reason, sizeof(out->reason), "%s that belongs to no known release",
			 code ? "code" : "a file");
	} else {
		out->kind = VERDICT_CHANGED_UNKNOWN;
		snprintf(out->reason, sizeof(out->reason), "%s that belongs to no known release changed",
			 code ? "code" : "a file");
	}
sev:
	out->severity = verdict_default_severity(out->kind);
	/* an image's or a document's older content runs nothing: no fixed
	 * vulnerability comes back with it (a distribution's package keeps
	 * an old GIF); an older script still warns */
	if (out->kind == VERDICT_DOWNGRADE && inert && !code && out->severity > SEV_NOTICE)
		out->severity = SEV_NOTICE;
}
