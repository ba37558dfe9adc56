// SPDX-License-Identifier: GPL-2.0-or-later
/* Configuration loader; see config.h. libyaml's event parser builds a small
 * node tree (with positions) under hard limits; a schema walk then turns it
 * into struct config, naming file:line:column in every error. Aliases are
 * refused: they would let a few bytes expand into millions of nodes. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <strings.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "bundle.h"
#include "classify.h"
#include "log.h"
#include "pathmatch.h"
#include "util.h"
#include "whsig.h"
#include "yamltree.h"

#ifndef WSID_DATADIR
#define WSID_DATADIR "/usr/local/share/wsid"
#endif

struct ctx {
	struct yerr e;  /* file name and error buffer */
	unsigned mode; /* of the file when read from one (0: a string): secrets checked */
};

static int
fail(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ytree_vfail(&c->e, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
want(struct ctx *c, const struct ynode *n, enum ytype t, const char *key)
{
	return ytree_want(&c->e, n, t, key);
}

/* checks keys are scalars, unique and among the allowed ones */
static int
check_keys(struct ctx *c, const struct ynode *m, const char *where, const char *const *allowed)
{
	return ytree_check_keys(&c->e, m, where, allowed);
}

static int
get_str(struct ctx *c, const struct ynode *n, const char *key, char **out)
{
	int r = want(c, n, Y_SCALAR, key);

	if (r < 0)
		return r;
	free(*out);
	*out = xstrdup(n->value);
	return 0;
}

static int
get_bool(struct ctx *c, const struct ynode *n, const char *key, bool *out)
{
	int r = want(c, n, Y_SCALAR, key);

	if (r < 0)
		return r;
	if (strcmp(n->value, "true") == 0 || strcmp(n->value, "yes") == 0)
		*out = true;
	else if (strcmp(n->value, "false") == 0 || strcmp(n->value, "no") == 0)
		*out = false;
	else
		return fail(c, n->line, n->col, "%s: expected true or false, got '%s'", key, esc_name(n->value));
	return 0;
}

/* a secret (webhook.secret, smtp.password) read from a file others can read */
static int
get_secret(struct ctx *c, const struct ynode *n, const char *key, char **out)
{
	int r = get_str(c, n, key, out);

	if (r < 0)
		return r;
	if ((*out)[0] == '\0')
		return fail(c, n->line, n->col, "%s: empty", key);
	if (c->mode & 0007)
		return fail(c, n->line, n->col, "%s: a secret in a file readable by others (mode %04o): "
			    "chmod 600 %s (or 640 to a group of its own)", key, c->mode & 07777, c->e.file);
	return 0;
}

static int
get_abs_path(struct ctx *c, const struct ynode *n, const char *key, char **out)
{
	int r = want(c, n, Y_SCALAR, key);

	if (r < 0)
		return r;
	if (n->value[0] != '/')
		return fail(c, n->line, n->col, "%s: expected an absolute path, got '%s'", key,
			    esc_name(n->value));
	return get_str(c, n, key, out);
}

int
config_parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else if (strcmp(end, "d") == 0)
		mult = 86400000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ms = v * mult;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	else if (*end == 't' || *end == 'T')
		shift = 40;
	else if (*end != '\0')
		return -EINVAL;
	if (shift) {
		end++;
		if (*end == 'i' || *end == 'B')
			end++;
		if (end[-1] == 'i' && *end == 'B')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* a scalar read by parse (config_parse_duration, config_parse_size); what
 * says what was expected */
static int
get_parsed(struct ctx *c, const struct ynode *n, const char *key, int (*parse)(const char *, uint64_t *),
	   const char *what, uint64_t *out)
{
	int r = want(c, n, Y_SCALAR, key);

	if (r < 0)
		return r;
	if (parse(n->value, out) < 0)
		return fail(c, n->line, n->col, "%s: expected %s, got '%s'", key, what, esc_name(n->value));
	return 0;
}

static int
get_duration(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	return get_parsed(c, n, key, config_parse_duration,
			  "a duration such as 500ms, 90s, 30m, 24h or 1d", out);
}

static int
get_size(struct ctx *c, const struct ynode *n, const char *key, uint64_t *out)
{
	return get_parsed(c, n, key, config_parse_size, "a size such as 65536, 64K, 16M or 1G", out);
}

static int
get_uint(struct ctx *c, const struct ynode *n, const char *key, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int r = want(c, n, Y_SCALAR, key);

	if (r < 0)
		return r;
	errno = 0;
	v = strtoull(n->value, &end, 10);
	if (!isdigit((unsigned char)n->value[0]) || *end || errno || v > max)
		return fail(c, n->line, n->col, "%s: expected a whole number from 0 to %llu, got '%s'",
			    key, (unsigned long long)max, esc_name(n->value));
	*out = v;
	return 0;
}

/* the names of classify.h, NULL-terminated for check_keys */
static void
names_of(const char *(*name)(int), int n, const char **out)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = name(i);
	out[n] = NULL;
}

static const char *
sev_name_of(int i)
{
	return severity_name((enum severity)i);
}

static const char *
verdict_name_of(int i)
{
	return verdict_name((enum verdict_kind)i);
}

static int
get_severity(struct ctx *c, const struct ynode *n, const char *key, int *out)
{
	int i, r = want(c, n, Y_SCALAR, key);

	if (r < 0)
		return r;
	if ((i = severity_parse(n->value)) >= 0) {
		*out = i;
		return 0;
	}
	return fail(c, n->line, n->col, "%s: expected info, notice, warning or critical, got '%s'", key,
		    esc_name(n->value));
}

static void free_str_list(char **l, size_t n);

static int
get_str_list(struct ctx *c, const struct ynode *n, const char *key, char ***out, size_t *nout,
	     bool abs)
{
	size_t i;
	int r;

	if (n->type == Y_SCALAR) {
		/* a single value for a list is accepted */
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[*nout] = NULL;
		r = abs ? get_abs_path(c, n, key, &(*out)[*nout]) : get_str(c, n, key, &(*out)[*nout]);
		if (r == 0)
			(*nout)++;
		return r;
	}
	if ((r = want(c, n, Y_SEQ, key)) < 0)
		return r;
	for (i = 0; i < n->n; i++) {
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[*nout] = NULL;
		r = abs ? get_abs_path(c, n->kids[i], key, &(*out)[*nout])
			: get_str(c, n->kids[i], key, &(*out)[*nout]);
		if (r < 0)
			return r;
		(*nout)++;
	}
	return 0;
}

static bool
email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || strchr("<>,;\"()[]\\", s[i]) || (unsigned char)s[i] == 0x7f)
			return false;
	return strlen(s) <= 254;
}

static bool
url_scheme(const char *url, const char *const *schemes)
{
	size_t i;

	for (i = 0; schemes[i]; i++) {
		size_t l = strlen(schemes[i]);

		if (strncasecmp(url, schemes[i], l) == 0 && url[l] != '\0')
			break;
	}
	if (schemes[i] == NULL)
		return false;
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] == 0x7f)
			return false;
	return true;
}

/* a whsec_ secret must decode to a key of 24 to 64 bytes (a plain string is
 * its own key) */
static int
check_webhook_secret(struct ctx *c, const struct ynode *v, const char *k)
{
	uint8_t key[CONFIG_MAX_STRING];
	size_t klen;
	int r = whsig_key(v->value, key, sizeof(key), &klen);

	sodium_memzero(key, sizeof(key));
	if (r < 0)
		return fail(c, v->line, v->col, "webhook.%s: a whsec_ secret must be base64 of %d to %d "
			    "bytes ('wsidctl notify secret' makes one)", k, WHSIG_KEY_MIN, WHSIG_KEY_MAX);
	return 0;
}

static int
get_tls(struct ctx *c, const struct ynode *n, int *out)
{
	int r = want(c, n, Y_SCALAR, "smtp.tls");

	if (r < 0)
		return r;
	if (strcmp(n->value, "verify") == 0)
		*out = CONFIG_TLS_VERIFY;
	else if (strcmp(n->value, "opportunistic") == 0)
		*out = CONFIG_TLS_OPPORTUNISTIC;
	else if (strcmp(n->value, "none") == 0)
		*out = CONFIG_TLS_NONE;
	else
		return fail(c, n->line, n->col, "smtp.tls: expected verify, opportunistic or none, got '%s'",
			    esc_name(n->value));
	return 0;
}

static int
parse_webhook(struct ctx *c, const struct ynode *n, const char *key, struct config_webhook *w)
{
	static const char *const keys[] = { "url", "secret", "previous_secret", "ca_file", "unsigned",
					    "github_signature", "legacy_signature", NULL };
	static const char *const schemes[] = { "http://", "https://", NULL };
	size_t i;
	int r = 0;

	if (n->type == Y_SCALAR) {
		if ((r = get_str(c, n, key, &w->url)) < 0)
			return r;
	} else {
		if ((r = want(c, n, Y_MAP, key)) < 0 || (r = check_keys(c, n, key, keys)) < 0)
			return r;
		for (i = 0; i < n->n; i += 2) {
			const char *k = n->kids[i]->value;
			const struct ynode *v = n->kids[i + 1];

			if (strcmp(k, "url") == 0)
				r = get_str(c, v, "webhook.url", &w->url);
			else if (strcmp(k, "ca_file") == 0)
				r = get_abs_path(c, v, "webhook.ca_file", &w->ca_file);
			else if (strcmp(k, "unsigned") == 0)
				r = get_bool(c, v, "webhook.unsigned", &w->unsigned_ok);
			else if (strcmp(k, "github_signature") == 0)
				r = get_bool(c, v, "webhook.github_signature", &w->github_signature);
			else if (strcmp(k, "legacy_signature") == 0)
				r = get_bool(c, v, "webhook.legacy_signature", &w->legacy_signature);
			else if (strcmp(k, "previous_secret") == 0)
				r = get_secret(c, v, "webhook.previous_secret", &w->previous_secret);
			else
				r = get_secret(c, v, "webhook.secret", &w->secret);
			if (r == 0 && (strcmp(k, "secret") == 0 || strcmp(k, "previous_secret") == 0))
				r = check_webhook_secret(c, v, k);
			if (r < 0)
				return r;
		}
	}
	if (w->url == NULL)
		return fail(c, n->line, n->col, "%s: url is missing", key);
	if (!url_scheme(w->url, schemes))
		return fail(c, n->line, n->col, "%s: url must start with http:// or https://, got '%s'",
			    key, esc_name(w->url));
	/* without a secret anyone could forge its signature: say so explicitly */
	if (w->secret == NULL && !w->unsigned_ok)
		return fail(c, n->line, n->col, "%s: no secret: add 'secret: ...' (the key its receiver "
			    "checks webhook-signature with; 'wsidctl notify secret' makes one), or "
			    "'unsigned: true' to send it without a signature", key);
	if (w->secret && w->unsigned_ok)
		return fail(c, n->line, n->col, "%s: a secret and 'unsigned: true': choose one", key);
	if (w->previous_secret && w->secret == NULL)
		return fail(c, n->line, n->col, "%s: previous_secret without a secret", key);
	if (w->github_signature && w->legacy_signature)
		return fail(c, n->line, n->col, "%s: github_signature and legacy_signature both set "
			    "X-Hub-Signature-256: choose one", key);
	if ((w->github_signature || w->legacy_signature) && w->secret == NULL)
		return fail(c, n->line, n->col, "%s: %s needs a secret", key,
			    w->github_signature ? "github_signature" : "legacy_signature");
	return 0;
}

static int
parse_route(struct ctx *c, const struct ynode *k, const struct ynode *v, const char *where,
	    struct config_route *rt)
{
	int r;

	if (strcmp(k->value, "email") == 0) {
		size_t i, before = rt->nemails;

		if ((r = get_str_list(c, v, "email", &rt->emails, &rt->nemails, false)) < 0)
			return r;
		for (i = before; i < rt->nemails; i++)
			if (!email_ok(rt->emails[i]))
				return fail(c, v->line, v->col, "%s: email: not an address: '%s'", where,
					    esc_name(rt->emails[i]));
		return 0;
	}
	if (strcmp(k->value, "webhook") == 0)
		return parse_webhook(c, v, "webhook", &rt->webhook);
	if (strcmp(k->value, "min_severity") == 0)
		return get_severity(c, v, "min_severity", &rt->min_severity);
	if (strcmp(k->value, "quiet_hours") == 0) {
		unsigned h1, m1, h2, m2;
		char tail;

		if ((r = want(c, v, Y_SCALAR, "quiet_hours")) < 0)
			return r;
		if (sscanf(v->value, "%u:%u-%u:%u%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 > 23 ||
		    h2 > 23 || m1 > 59 || m2 > 59 || (h1 == h2 && m1 == m2))
			return fail(c, v->line, v->col, "%s: quiet_hours: expected HH:MM-HH:MM, got '%s'",
				    where, esc_name(v->value));
		rt->quiet_from = (int)(h1 * 60 + m1);
		rt->quiet_to = (int)(h2 * 60 + m2);
		return 0;
	}
	return 1; /* not a route key */
}

static int
parse_sev_map(struct ctx *c, const struct ynode *n, const char *key, struct config_sev_override **out,
	      size_t *nout)
{
	const char *verdict_names[VERDICT_MAX + 1];
	size_t i;
	int r;

	names_of(verdict_name_of, VERDICT_MAX, verdict_names);
	if ((r = want(c, n, Y_MAP, key)) < 0 || (r = check_keys(c, n, key, verdict_names)) < 0)
		return r;
	for (i = 0; i < n->n; i += 2) {
		int sev = 0;

		if ((r = get_severity(c, n->kids[i + 1], key, &sev)) < 0)
			return r;
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[*nout].verdict = xstrdup(n->kids[i]->value);
		(*out)[*nout].severity = sev;
		(*nout)++;
	}
	return 0;
}

/* analysis.severity: finding class -> severity (classes are words of
 * [a-z0-9_-]: wsid's own and those third-party rules name in their meta) */
static int
parse_class_sev(struct ctx *c, const struct ynode *n, struct config_sev_override **out, size_t *nout)
{
	const char *key = "analysis.severity";
	size_t i, k;
	int r;

	if ((r = want(c, n, Y_MAP, key)) < 0)
		return r;
	for (i = 0; i < n->n; i += 2) {
		const char *cls = n->kids[i]->value;
		int sev = 0;

		for (k = 0; cls[k]; k++)
			if (!((cls[k] >= 'a' && cls[k] <= 'z') || (cls[k] >= '0' && cls[k] <= '9') ||
			      cls[k] == '-' || cls[k] == '_'))
				break;
		if (k == 0 || cls[k] || k > 63)
			return fail(c, n->kids[i]->line, n->kids[i]->col,
				    "%s: '%s' is not a finding class (a word of a-z, 0-9, - and _)", key, cls);
		if ((r = get_severity(c, n->kids[i + 1], key, &sev)) < 0)
			return r;
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[*nout].verdict = xstrdup(cls);
		(*out)[*nout].severity = sev;
		(*nout)++;
	}
	return 0;
}

static void
route_free(struct config_route *r)
{
	size_t i;

	for (i = 0; i < r->nemails; i++)
		free(r->emails[i]);
	free(r->emails);
	free(r->webhook.url);
	free(r->webhook.secret);
	free(r->webhook.previous_secret);
	free(r->webhook.ca_file);
}

static bool
customer_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-@+", s[i]))
			return false;
	return true;
}

static int
parse_customers(struct ctx *c, const struct ynode *n, struct config *cfg, const char *source)
{
	static const char *const keys[] = { "email", "webhook", "min_severity", "quiet_hours", "language",
					    "severity", "access_log", NULL };
	size_t i, j;
	int r;

	if ((r = want(c, n, Y_MAP, "customers")) < 0 || (r = check_keys(c, n, "customers", NULL)) < 0)
		return r;
	for (i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1];
		struct config_customer *cu;

		if (!customer_name_ok(k->value))
			return fail(c, k->line, k->col, "customers: invalid customer name '%s' (letters, "
				    "digits and ._-@+)", esc_name(k->value));
		for (j = 0; j < cfg->ncustomers; j++)
			if (strcmp(cfg->customers[j].name, k->value) == 0)
				return fail(c, k->line, k->col, "customers: '%s' is already defined in %s",
					    esc_name(k->value), cfg->customers[j].source);
		if (cfg->ncustomers >= CONFIG_MAX_ITEMS)
			return fail(c, k->line, k->col, "customers: more than %d", CONFIG_MAX_ITEMS);
		cfg->customers = xreallocarray(cfg->customers, cfg->ncustomers + 1, sizeof(*cfg->customers));
		cu = &cfg->customers[cfg->ncustomers++];
		memset(cu, 0, sizeof(*cu));
		cu->name = xstrdup(k->value);
		cu->source = xstrdup(source);
		cu->route.min_severity = -1;
		cu->route.quiet_from = cu->route.quiet_to = -1;
		if (v->type == Y_SCALAR && v->value[0] == '\0' && !v->quoted)
			continue; /* "alice:" with nothing: known, no contact */
		if ((r = want(c, v, Y_MAP, k->value)) < 0 || (r = check_keys(c, v, k->value, keys)) < 0)
			return r;
		for (j = 0; j < v->n; j += 2) {
			const struct ynode *kk = v->kids[j], *vv = v->kids[j + 1];

			r = parse_route(c, kk, vv, k->value, &cu->route);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			if (strcmp(kk->value, "language") == 0) {
				r = get_str(c, vv, "language", &cu->language);
				/* it names a template directory */
				if (r == 0 && (strlen(cu->language) > 32 || cu->language[0] == '\0' ||
					       strspn(cu->language, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
								    "QRSTUVWXYZ0123456789_-") != strlen(cu->language)))
					r = fail(c, vv->line, vv->col, "%s: language: expected a code like de or "
						 "pt_BR, got '%s'", k->value, esc_name(cu->language));
			} else if (strcmp(kk->value, "access_log") == 0)
				r = get_abs_path(c, vv, "access_log", &cu->access_log);
			else
				r = parse_sev_map(c, vv, "severity", &cu->severity, &cu->nseverity);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int
check_pattern(struct ctx *c, const struct ynode *n, const char *p)
{
	const char *ph = strstr(p, "{customer}");

	if (p[0] != '/')
		return fail(c, n->line, n->col, "webspaces: pattern must be an absolute path, got '%s'",
			    esc_name(p));
	if (ph == NULL)
		return fail(c, n->line, n->col, "webspaces: pattern needs one {customer} placeholder: '%s'",
			    esc_name(p));
	if (strstr(ph + 1, "{customer}"))
		return fail(c, n->line, n->col, "webspaces: only one {customer} placeholder allowed: '%s'",
			    esc_name(p));
	if (strstr(p, "/../") || strstr(p, "/./"))
		return fail(c, n->line, n->col, "webspaces: '.' and '..' are not allowed in '%s'",
			    esc_name(p));
	return 0;
}

static int
parse_webspaces(struct ctx *c, const struct ynode *n, struct config *cfg)
{
	static const char *const keys[] = { "pattern", "path", "customer", NULL };
	size_t i, j;
	int r;

	if ((r = want(c, n, Y_SEQ, "webspaces")) < 0)
		return r;
	for (i = 0; i < n->n; i++) {
		const struct ynode *it = n->kids[i];
		struct config_webspace w = { 0 };

		if (it->type == Y_SCALAR) {
			/* "- /var/www/vhosts/{customer}/httpdocs" is a pattern */
			if ((r = check_pattern(c, it, it->value)) < 0)
				return r;
			w.pattern = xstrdup(it->value);
		} else {
			if ((r = want(c, it, Y_MAP, "webspaces[]")) < 0 ||
			    (r = check_keys(c, it, "webspaces[]", keys)) < 0)
				return r;
			for (j = 0; j < it->n && r == 0; j += 2) {
				const char *k = it->kids[j]->value;
				const struct ynode *v = it->kids[j + 1];

				if (strcmp(k, "pattern") == 0) {
					r = get_str(c, v, "pattern", &w.pattern);
					if (r == 0)
						r = check_pattern(c, v, w.pattern);
				} else if (strcmp(k, "path") == 0)
					r = get_abs_path(c, v, "path", &w.path);
				else {
					r = get_str(c, v, "customer", &w.customer);
					if (r == 0 && !customer_name_ok(w.customer))
						r = fail(c, v->line, v->col, "customer: invalid name '%s'",
							 esc_name(w.customer));
				}
			}
			if (r == 0 && !!w.pattern == !!w.path)
				r = fail(c, it->line, it->col, "webspaces[]: give either pattern or path");
			if (r == 0 && w.path && w.customer == NULL)
				r = fail(c, it->line, it->col, "webspaces[]: path needs a customer");
			if (r == 0 && w.pattern && w.customer)
				r = fail(c, it->line, it->col, "webspaces[]: a pattern names its customer "
					 "with {customer}, not customer:");
			if (r < 0) {
				free(w.pattern);
				free(w.path);
				free(w.customer);
				return r;
			}
		}
		if (w.path) {
			size_t l = strlen(w.path);

			while (l > 1 && w.path[l - 1] == '/')
				w.path[--l] = '\0';
		}
		cfg->webspaces = xreallocarray(cfg->webspaces, cfg->nwebspaces + 1, sizeof(*cfg->webspaces));
		cfg->webspaces[cfg->nwebspaces++] = w;
	}
	return 0;
}

/* metrics.textfile: an absolute path of a file node_exporter reads (*.prom) */
static int
parse_metrics_textfile(struct ctx *c, const struct ynode *n, struct config *cfg)
{
	const char *base;
	size_t l;
	int r;

	free(cfg->metrics_textfile);
	cfg->metrics_textfile = NULL;
	if ((r = get_abs_path(c, n, "metrics.textfile", &cfg->metrics_textfile)) < 0)
		return r;
	if (cfg->metrics_textfile == NULL)
		return -EINVAL;
	cfg->metrics_textfile_line = n->line;
	cfg->metrics_textfile_col = n->col;
	/* absolute (get_abs_path): there is a '/' */
	base = strrchr(cfg->metrics_textfile, '/');
	base = base ? base + 1 : cfg->metrics_textfile;
	l = strlen(base);
	if (l < 6 || strcmp(base + l - 5, ".prom") != 0)
		return fail(c, n->line, n->col, "metrics.textfile: expected a file name ending in .prom "
			    "(node_exporter's textfile collector reads only those), got '%s'",
			    esc_name(cfg->metrics_textfile));
	return 0;
}

/* ---- retention ---- */

/* retention.events: one duration for every severity, or one per severity */
static int
parse_retention_events(struct ctx *c, const struct ynode *n, struct config_retention *rt)
{
	const char *sev_names[SEV_MAX + 1];
	size_t i, k;
	int r;

	names_of(sev_name_of, SEV_MAX, sev_names);
	if (n->type == Y_SCALAR) {
		uint64_t ms = 0;

		if ((r = get_duration(c, n, "retention.events", &ms)) < 0)
			return r;
		for (k = 0; k < 4; k++)
			rt->events_ms[k] = ms;
		return 0;
	}
	if ((r = want(c, n, Y_MAP, "retention.events")) < 0 ||
	    (r = check_keys(c, n, "retention.events", sev_names)) < 0)
		return r;
	for (i = 0; i < n->n; i += 2) {
		for (k = 0; strcmp(sev_names[k], n->kids[i]->value) != 0; k++)
			;
		if ((r = get_duration(c, n->kids[i + 1], "retention.events", &rt->events_ms[k])) < 0)
			return r;
	}
	return 0;
}

static int
parse_retention(struct ctx *c, const struct ynode *n, struct config *cfg)
{
	static const char *const rk[] = { "events", "outbox", "acked_members", "interval", "batch", NULL };
	struct config_retention *rt = &cfg->retention;
	size_t j;
	int r;

	if ((r = want(c, n, Y_MAP, "retention")) < 0 || (r = check_keys(c, n, "retention", rk)) < 0)
		return r;
	for (j = 0; j < n->n && r == 0; j += 2) {
		const char *kk = n->kids[j]->value;
		const struct ynode *vv = n->kids[j + 1];
		uint64_t u = 0;

		if (strcmp(kk, "events") == 0) {
			r = parse_retention_events(c, vv, rt);
		} else if (strcmp(kk, "outbox") == 0) {
			r = get_duration(c, vv, "retention.outbox", &rt->outbox_ms);
		} else if (strcmp(kk, "acked_members") == 0) {
			r = get_duration(c, vv, "retention.acked_members", &rt->members_ms);
		} else if (strcmp(kk, "interval") == 0) {
			r = get_duration(c, vv, "retention.interval", &rt->interval_ms);
			if (r == 0 && (rt->interval_ms < 1000 || rt->interval_ms > 86400000))
				r = fail(c, vv->line, vv->col, "retention.interval: expected 1s to 1d, "
					 "got '%s'", esc_name(vv->value));
		} else {
			r = get_uint(c, vv, "retention.batch", 100000, &u);
			if (r == 0 && u < 10)
				r = fail(c, vv->line, vv->col, "retention.batch: at least 10 rows");
			if (r == 0)
				rt->batch = (unsigned)u;
		}
	}
	return r;
}

/* php_fpm: pools (NAME: {listen, status_path}), discover, timeout,
 * access_log_wait (reqattr.h) */
static int
parse_fpm_pool(struct ctx *c, const struct ynode *k, const struct ynode *v, struct config *cfg)
{
	static const char *const pk[] = { "listen", "status_path", NULL };
	struct config_fpm_pool *p;
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, k->value)) < 0 || (r = check_keys(c, v, k->value, pk)) < 0)
		return r;
	if (cfg->nfpm_pools >= CONFIG_MAX_ITEMS)
		return fail(c, k->line, k->col, "php_fpm.pools: more than %d", CONFIG_MAX_ITEMS);
	cfg->fpm_pools = xreallocarray(cfg->fpm_pools, cfg->nfpm_pools + 1, sizeof(*cfg->fpm_pools));
	p = &cfg->fpm_pools[cfg->nfpm_pools++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(k->value);
	p->status_path = xstrdup("/status");
	for (j = 0; j < v->n && r == 0; j += 2) {
		const struct ynode *vv = v->kids[j + 1];

		if (strcmp(v->kids[j]->value, "listen") == 0) {
			r = get_str(c, vv, "php_fpm.pools.listen", &p->listen);
			if (r == 0 && p->listen[0] != '/' && strchr(p->listen, ':') == NULL)
				r = fail(c, vv->line, vv->col, "php_fpm.pools.%s.listen: /path or HOST:PORT, got '%s'",
					 esc_name(k->value), esc_name(p->listen));
		} else {
			r = get_str(c, vv, "php_fpm.pools.status_path", &p->status_path);
			if (r == 0 && p->status_path[0] == '\0') {
				free(p->status_path); /* "": the pool has none */
				p->status_path = NULL;
			} else if (r == 0 && p->status_path[0] != '/')
				r = fail(c, vv->line, vv->col, "php_fpm.pools.%s.status_path: a path like /status, got '%s'",
					 esc_name(k->value), esc_name(p->status_path));
		}
	}
	return r;
}

static int
parse_php_fpm(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const fk[] = { "pools", "discover", "timeout", "access_log_wait", NULL };
	size_t j, i;
	int r;

	if ((r = want(c, v, Y_MAP, "php_fpm")) < 0 || (r = check_keys(c, v, "php_fpm", fk)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const char *kk = v->kids[j]->value;
		const struct ynode *vv = v->kids[j + 1];

		if (strcmp(kk, "discover") == 0) {
			r = get_bool(c, vv, "php_fpm.discover", &cfg->fpm_discover);
		} else if (strcmp(kk, "timeout") == 0) {
			r = get_duration(c, vv, "php_fpm.timeout", &cfg->fpm_timeout_ms);
			if (r == 0 && (cfg->fpm_timeout_ms < 10 || cfg->fpm_timeout_ms > 5000))
				r = fail(c, vv->line, vv->col, "php_fpm.timeout: expected 10ms to 5s");
		} else if (strcmp(kk, "access_log_wait") == 0) {
			r = get_duration(c, vv, "php_fpm.access_log_wait", &cfg->access_log_wait_ms);
			if (r == 0 && cfg->access_log_wait_ms > 30000)
				r = fail(c, vv->line, vv->col, "php_fpm.access_log_wait: at most 30s");
		} else if ((r = want(c, vv, Y_MAP, "php_fpm.pools")) == 0) {
			for (i = 0; i < vv->n && r == 0; i += 2)
				r = parse_fpm_pool(c, vv->kids[i], vv->kids[i + 1], cfg);
		}
	}
	return r;
}

/* fetch: sources (NAME: base URL), timeout, max_size, interval, negative_ttl,
 * ca_file (read by wsidctl index fetch only) */
static int
parse_fetch(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const fk[] = { "sources", "timeout", "max_size", "interval", "negative_ttl", "ca_file",
					   NULL };
	static const char *const names[] = { "wordpress", "npm", "composer", "wpapi", NULL };
	size_t j, i;
	int r;

	if ((r = want(c, v, Y_MAP, "fetch")) < 0 || (r = check_keys(c, v, "fetch", fk)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const char *kk = v->kids[j]->value;
		const struct ynode *vv = v->kids[j + 1];

		if (strcmp(kk, "timeout") == 0)
			r = get_duration(c, vv, "fetch.timeout", &cfg->fetch_timeout_ms);
		else if (strcmp(kk, "interval") == 0)
			r = get_duration(c, vv, "fetch.interval", &cfg->fetch_interval_ms);
		else if (strcmp(kk, "negative_ttl") == 0)
			r = get_duration(c, vv, "fetch.negative_ttl", &cfg->fetch_negative_ttl_ms);
		else if (strcmp(kk, "max_size") == 0)
			r = get_size(c, vv, "fetch.max_size", &cfg->fetch_max_bytes);
		else if (strcmp(kk, "ca_file") == 0) {
			free(cfg->fetch_ca_file);
			cfg->fetch_ca_file = NULL;
			r = get_abs_path(c, vv, "fetch.ca_file", &cfg->fetch_ca_file);
		}
		else if ((r = want(c, vv, Y_MAP, "fetch.sources")) == 0 &&
			 (r = check_keys(c, vv, "fetch.sources", names)) == 0) {
			for (i = 0; i < vv->n && r == 0; i += 2) {
				char *url = NULL;

				if ((r = get_str(c, vv->kids[i + 1], "fetch.sources", &url)) < 0)
					break;
				if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
					r = fail(c, vv->kids[i + 1]->line, vv->kids[i + 1]->col,
						 "fetch.sources.%s: a base URL (https://...), got '%s'",
						 vv->kids[i]->value, esc_name(url));
				else {
					cfg->fetch_sources = xreallocarray(cfg->fetch_sources,
									   cfg->nfetch_sources + 1,
									   sizeof(char *));
					cfg->fetch_sources[cfg->nfetch_sources++] =
						xasprintf("%s=%s", vv->kids[i]->value, url);
				}
				free(url);
			}
		}
	}
	return r;
}

/* ---- the top level: one function per key ---- */

static int
parse_database(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_abs_path(c, v, "database", &cfg->database);
}

static int
parse_control_socket(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_abs_path(c, v, "control_socket", &cfg->control_socket);
}

static int
parse_customers_dir(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_abs_path(c, v, "customers_dir", &cfg->customers_dir);
}

static int
parse_fingerprints(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	free_str_list(cfg->fingerprints, cfg->nfingerprints);
	cfg->fingerprints = NULL;
	cfg->nfingerprints = 0;
	return get_str_list(c, v, "fingerprints", &cfg->fingerprints, &cfg->nfingerprints, true);
}

static int
parse_log_level(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const lv[] = { "error", "warning", "notice", "info", "debug" };
	size_t j;
	int r = want(c, v, Y_SCALAR, "log_level");

	if (r < 0)
		return r;
	for (j = 0; j < 5; j++)
		if (strcmp(lv[j], v->value) == 0) {
			cfg->log_level = 3 + (int)j;
			return 0;
		}
	return fail(c, v->line, v->col, "log_level: expected error, warning, notice, info or debug, "
		    "got '%s'", esc_name(v->value));
}

static int
parse_hash_workers(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	uint64_t u = 0;
	int r = get_uint(c, v, "hash_workers", 64, &u);

	if (r == 0)
		cfg->hash_workers = (unsigned)u;
	return r;
}

static int
parse_max_file_size(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_size(c, v, "max_file_size", &cfg->max_file_size);
}

static int
parse_reconcile_interval(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_duration(c, v, "reconcile_interval", &cfg->reconcile_interval_ms);
}

static int
parse_queue_size(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_uint(c, v, "queue_size", 64u * 1024 * 1024, &cfg->queue_size);
}

static int
parse_debounce(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const dk[] = { "close_write", "modify", "modify_max", NULL };
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, "debounce")) < 0 || (r = check_keys(c, v, "debounce", dk)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const char *kk = v->kids[j]->value;
		uint64_t *dst = strcmp(kk, "close_write") == 0 ? &cfg->debounce_close_write_ms
				: strcmp(kk, "modify") == 0    ? &cfg->debounce_modify_ms
							       : &cfg->debounce_modify_max_ms;

		r = get_duration(c, v->kids[j + 1], kk, dst);
	}
	return r;
}

static int
parse_top_customers(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return parse_customers(c, v, cfg, c->e.file);
}

/* ignore: a list of globs, or paths: and max_file_size: */
static int
parse_ignore(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const ik[] = { "paths", "max_file_size", NULL };
	size_t j;
	int r;

	if (v->type == Y_SEQ)
		return get_str_list(c, v, "ignore", &cfg->ignore, &cfg->nignore, false);
	if ((r = want(c, v, Y_MAP, "ignore")) < 0 || (r = check_keys(c, v, "ignore", ik)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		if (strcmp(v->kids[j]->value, "paths") == 0)
			r = get_str_list(c, v->kids[j + 1], "ignore.paths", &cfg->ignore, &cfg->nignore, false);
		else
			r = get_size(c, v->kids[j + 1], "ignore.max_file_size", &cfg->ignore_max_file_size);
	}
	return r;
}

static int
parse_severity(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return parse_sev_map(c, v, "severity", &cfg->severity, &cfg->nseverity);
}

/* a list replacing the default one */
static int
replace_str_list(struct ctx *c, const struct ynode *v, const char *key, char ***l, size_t *n)
{
	free_str_list(*l, *n);
	*l = NULL;
	*n = 0;
	return get_str_list(c, v, key, l, n, false);
}

static int
parse_classify(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const ck[] = { "update_window", "consensus_min", "component_dirs",
					   "web_server_processes", NULL };
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, "classify")) < 0 || (r = check_keys(c, v, "classify", ck)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const char *kk = v->kids[j]->value;
		const struct ynode *vv = v->kids[j + 1];
		uint64_t u = 0;

		if (strcmp(kk, "update_window") == 0) {
			r = get_duration(c, vv, "classify.update_window", &cfg->update_window_ms);
			if (r == 0 && cfg->update_window_ms > 24ull * 3600 * 1000)
				r = fail(c, vv->line, vv->col, "classify.update_window: at most 24h");
		} else if (strcmp(kk, "consensus_min") == 0) {
			r = get_uint(c, vv, "classify.consensus_min", 100000, &u);
			if (r == 0 && u < 2)
				r = fail(c, vv->line, vv->col, "classify.consensus_min: at least 2 webspaces");
			if (r == 0)
				cfg->consensus_min = (unsigned)u;
		} else if (strcmp(kk, "component_dirs") == 0) {
			r = replace_str_list(c, vv, "classify.component_dirs", &cfg->component_dirs,
					     &cfg->ncomponent_dirs);
		} else {
			r = replace_str_list(c, vv, "classify.web_server_processes", &cfg->web_server_processes,
					     &cfg->nweb_server_processes);
		}
	}
	return r;
}

static int
parse_analysis(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const ak[] = { "enabled", "rules", "max_size", "severity", NULL };
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, "analysis")) < 0 || (r = check_keys(c, v, "analysis", ak)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const char *kk = v->kids[j]->value;
		const struct ynode *vv = v->kids[j + 1];

		if (strcmp(kk, "enabled") == 0) {
			r = get_bool(c, vv, "analysis.enabled", &cfg->analysis_enabled);
		} else if (strcmp(kk, "severity") == 0) {
			r = parse_class_sev(c, vv, &cfg->analysis_severity, &cfg->nanalysis_severity);
		} else if (strcmp(kk, "max_size") == 0) {
			r = get_size(c, vv, "analysis.max_size", &cfg->analysis_max_size);
			if (r == 0 && cfg->analysis_max_size == 0)
				r = fail(c, vv->line, vv->col, "analysis.max_size: at least 1 byte");
		} else {
			r = replace_str_list(c, vv, "analysis.rules", &cfg->analysis_rules, &cfg->nanalysis_rules);
		}
	}
	return r;
}

/* notify.smtp: the relay */
static int
parse_smtp(struct ctx *c, const struct ynode *vv, struct config *cfg)
{
	static const char *const sk[] = { "url", "from", "username", "password", "tls", "ca_file", NULL };
	static const char *const smtp_schemes[] = { "smtp://", "smtps://", NULL };
	size_t m;
	int r;

	if ((r = want(c, vv, Y_MAP, "smtp")) < 0 || (r = check_keys(c, vv, "smtp", sk)) < 0)
		return r;
	for (m = 0; m < vv->n && r == 0; m += 2) {
		const char *k = vv->kids[m]->value;
		const struct ynode *sv = vv->kids[m + 1];

		if (strcmp(k, "tls") == 0) {
			r = get_tls(c, sv, &cfg->smtp_tls);
		} else if (strcmp(k, "ca_file") == 0) {
			free(cfg->smtp_ca_file);
			cfg->smtp_ca_file = NULL;
			r = get_abs_path(c, sv, "smtp.ca_file", &cfg->smtp_ca_file);
		} else if (strcmp(k, "password") == 0) {
			r = get_secret(c, sv, "smtp.password", &cfg->smtp_password);
		} else {
			r = get_str(c, sv, k, strcmp(k, "url") == 0 ? &cfg->smtp_url
					      : strcmp(k, "from") == 0 ? &cfg->smtp_from
								   : &cfg->smtp_username);
		}
	}
	if (r == 0 && cfg->smtp_url && !url_scheme(cfg->smtp_url, smtp_schemes))
		r = fail(c, vv->line, vv->col, "smtp.url must start with smtp:// or smtps://, got '%s'",
			 esc_name(cfg->smtp_url));
	if (r == 0 && cfg->smtp_tls == CONFIG_TLS_NONE && cfg->smtp_url &&
	    strncmp(cfg->smtp_url, "smtps://", 8) == 0)
		r = fail(c, vv->line, vv->col, "smtp.tls: none with an smtps:// url, which is TLS: use "
			 "smtp:// or another level");
	if (r == 0 && cfg->smtp_tls == CONFIG_TLS_NONE && cfg->smtp_ca_file)
		r = fail(c, vv->line, vv->col, "smtp.ca_file with tls: none");
	if (r == 0 && cfg->smtp_from && !email_ok(cfg->smtp_from))
		r = fail(c, vv->line, vv->col, "smtp.from: not an address: '%s'", esc_name(cfg->smtp_from));
	return r;
}

/* notify.admin and notify.default: a route of their own */
static int
parse_notify_route(struct ctx *c, const struct ynode *vv, const char *kk, struct config_route *rt)
{
	static const char *const rk[] = { "email", "webhook", "min_severity", NULL };
	size_t m;
	int r;

	if ((r = want(c, vv, Y_MAP, kk)) < 0 || (r = check_keys(c, vv, kk, rk)) < 0)
		return r;
	for (m = 0; m < vv->n && r == 0; m += 2) {
		r = parse_route(c, vv->kids[m], vv->kids[m + 1], kk, rt);
		if (r > 0)
			r = 0;
	}
	return r;
}

static int
parse_notify_sandbox(struct ctx *c, const struct ynode *vv, struct config *cfg)
{
	int r = want(c, vv, Y_SCALAR, "notify.sandbox");

	if (r == 0 && strcmp(vv->value, "required") != 0 && strcmp(vv->value, "optional") != 0)
		r = fail(c, vv->line, vv->col, "notify.sandbox: expected required or optional, got '%s'",
			 esc_name(vv->value));
	if (r == 0)
		cfg->notify_sandbox_optional = strcmp(vv->value, "optional") == 0;
	return r;
}

/* one key of notify: */
static int
parse_notify_key(struct ctx *c, const char *kk, const struct ynode *vv, struct config *cfg)
{
	uint64_t u = 0;
	int r;

	if (strcmp(kk, "digest_interval") == 0)
		return get_duration(c, vv, kk, &cfg->digest_interval_ms);
	if (strcmp(kk, "ttl") == 0)
		return get_duration(c, vv, "notify.ttl", &cfg->notify_ttl_ms);
	if (strcmp(kk, "backoff") == 0)
		return get_duration(c, vv, "notify.backoff", &cfg->notify_backoff_ms);
	if (strcmp(kk, "templates") == 0) {
		free(cfg->notify_templates);
		cfg->notify_templates = NULL;
		return get_abs_path(c, vv, "notify.templates", &cfg->notify_templates);
	}
	if (strcmp(kk, "delivery_socket") == 0) {
		free(cfg->notify_socket);
		cfg->notify_socket = NULL;
		return get_abs_path(c, vv, "notify.delivery_socket", &cfg->notify_socket);
	}
	if (strcmp(kk, "sandbox") == 0)
		return parse_notify_sandbox(c, vv, cfg);
	if (strcmp(kk, "digest_max_events") == 0) {
		r = get_uint(c, vv, "notify.digest_max_events", 100000, &u);
		if (r == 0 && u == 0)
			r = fail(c, vv->line, vv->col, "notify.digest_max_events: at least 1");
		cfg->digest_max_events = (unsigned)u;
		return r;
	}
	if (strcmp(kk, "max_message_size") == 0) {
		r = get_size(c, vv, "notify.max_message_size", &cfg->notify_max_message);
		if (r == 0 && (cfg->notify_max_message < CONFIG_MESSAGE_MIN ||
			       cfg->notify_max_message > CONFIG_MESSAGE_MAX))
			r = fail(c, vv->line, vv->col, "notify.max_message_size: from 64K to 8M, got '%s'",
				 esc_name(vv->value));
		return r;
	}
	if (strcmp(kk, "user") == 0) {
		free(cfg->notify_user);
		cfg->notify_user = NULL;
		return get_str(c, vv, "notify.user", &cfg->notify_user);
	}
	if (strcmp(kk, "smtp") == 0)
		return parse_smtp(c, vv, cfg);
	return parse_notify_route(c, vv, kk, strcmp(kk, "admin") == 0 ? &cfg->admin : &cfg->dflt);
}

static int
parse_notify(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const nk[] = { "digest_interval", "smtp", "admin", "default", "ttl", "user",
					   "backoff", "delivery_socket", "templates", "sandbox",
					   "digest_max_events", "max_message_size", NULL };
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, "notify")) < 0 || (r = check_keys(c, v, "notify", nk)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2)
		r = parse_notify_key(c, v->kids[j]->value, v->kids[j + 1], cfg);
	return r;
}

static int
parse_metrics(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const mk[] = { "textfile", "interval", NULL };
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, "metrics")) < 0 || (r = check_keys(c, v, "metrics", mk)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const struct ynode *vv = v->kids[j + 1];

		if (strcmp(v->kids[j]->value, "textfile") == 0)
			r = parse_metrics_textfile(c, vv, cfg);
		else {
			r = get_duration(c, vv, "metrics.interval", &cfg->metrics_interval_ms);
			if (r == 0 && (cfg->metrics_interval_ms < 1000 || cfg->metrics_interval_ms > 3600000))
				r = fail(c, vv->line, vv->col, "metrics.interval: expected 1s to 1h, got '%s'",
					 esc_name(vv->value));
		}
	}
	return r;
}

/* trusted_keys: each a public key, its base64 text or a file holding it. The
 * keys are read and checked where the host is (config_check_host): here only
 * where each was written is kept. */
static int
parse_trusted_keys(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	size_t first = cfg->ntrusted_keys, j;
	int r = get_str_list(c, v, "trusted_keys", &cfg->trusted_keys, &cfg->ntrusted_keys, false);

	cfg->trusted_keys_at = xreallocarray(cfg->trusted_keys_at, cfg->ntrusted_keys + 1,
					     sizeof(*cfg->trusted_keys_at));
	for (j = first; j < cfg->ntrusted_keys; j++) {
		const struct ynode *kn = v->type == Y_SEQ ? v->kids[j - first] : v;

		cfg->trusted_keys_at[j].line = kn->line;
		cfg->trusted_keys_at[j].col = kn->col;
	}
	return r;
}

/* access_log: the web server's access log ({customer} replaced; reqattr.h) */
static int
parse_access_log(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	return get_abs_path(c, v, "access_log", &cfg->access_log);
}

/* respond: quarantine: off | malicious */
static int
parse_respond(struct ctx *c, const struct ynode *v, struct config *cfg)
{
	static const char *const rk[] = { "quarantine", NULL };
	size_t j;
	int r;

	if ((r = want(c, v, Y_MAP, "respond")) < 0 || (r = check_keys(c, v, "respond", rk)) < 0)
		return r;
	for (j = 0; j < v->n && r == 0; j += 2) {
		const struct ynode *vv = v->kids[j + 1];

		if ((r = want(c, vv, Y_SCALAR, "respond.quarantine")) < 0)
			break;
		if (strcmp(vv->value, "off") != 0 && strcmp(vv->value, "malicious") != 0)
			r = fail(c, vv->line, vv->col, "respond.quarantine: '%s' (expected off or malicious)",
				 esc_name(vv->value));
		else
			cfg->quarantine_malicious = strcmp(vv->value, "malicious") == 0;
	}
	return r;
}

/* the top-level keys in the order errors list them, each with its parser */
static const struct section {
	const char *key;
	int (*parse)(struct ctx *c, const struct ynode *v, struct config *cfg);
} sections[] = {
	{ "database", parse_database },
	{ "control_socket", parse_control_socket },
	{ "fingerprints", parse_fingerprints },
	{ "customers_dir", parse_customers_dir },
	{ "log_level", parse_log_level },
	{ "hash_workers", parse_hash_workers },
	{ "max_file_size", parse_max_file_size },
	{ "reconcile_interval", parse_reconcile_interval },
	{ "debounce", parse_debounce },
	{ "queue_size", parse_queue_size },
	{ "webspaces", parse_webspaces },
	{ "customers", parse_top_customers },
	{ "ignore", parse_ignore },
	{ "severity", parse_severity },
	{ "notify", parse_notify },
	{ "metrics", parse_metrics },
	{ "trusted_keys", parse_trusted_keys },
	{ "classify", parse_classify },
	{ "retention", parse_retention },
	{ "fetch", parse_fetch },
	{ "analysis", parse_analysis },
	{ "php_fpm", parse_php_fpm },
	{ "access_log", parse_access_log },
	{ "respond", parse_respond },
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static int
parse_top(struct ctx *c, const struct ynode *root, struct config *cfg)
{
	const char *keys[NSECTIONS + 1];
	size_t i, k;
	int r;

	for (k = 0; k < NSECTIONS; k++)
		keys[k] = sections[k].key;
	keys[NSECTIONS] = NULL;
	if ((r = want(c, root, Y_MAP, "top level")) < 0 || (r = check_keys(c, root, "top level", keys)) < 0)
		return r;
	for (i = 0; i < root->n; i += 2) {
		for (k = 0; strcmp(sections[k].key, root->kids[i]->value) != 0; k++)
			;
		if ((r = sections[k].parse(c, root->kids[i + 1], cfg)) < 0)
			return r;
	}
	return 0;
}

struct config *
config_default(void)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->source = xstrdup("(defaults)");
	c->database = xstrdup("/var/lib/wsid/wsid.db");
	c->control_socket = xstrdup("/run/wsid/control");
	c->customers_dir = xstrdup("/etc/wsid/customers.d");
	c->fingerprints = xcalloc(2, sizeof(char *));
	c->fingerprints[0] = xstrdup(WSID_DATADIR "/fingerprints");
	c->fingerprints[1] = xstrdup("/var/lib/wsid/fingerprints");
	c->nfingerprints = 2;
	c->log_level = LOG_LEVEL_INFO;
	c->max_file_size = 64ull << 20;
	c->reconcile_interval_ms = 86400000ull;
	c->debounce_close_write_ms = 10;
	c->debounce_modify_ms = 3000;
	c->debounce_modify_max_ms = 60000;
	c->queue_size = 1048576;
	c->fpm_discover = true;
	c->fpm_timeout_ms = 200;
	c->access_log_wait_ms = 2000;
	c->digest_interval_ms = 600000;
	c->smtp_url = xstrdup("smtp://127.0.0.1:25");
	c->smtp_from = xstrdup("wsid@localhost");
	c->admin.min_severity = -1;
	c->dflt.min_severity = -1;
	c->admin.quiet_from = c->admin.quiet_to = -1;
	c->dflt.quiet_from = c->dflt.quiet_to = -1;
	c->notify_ttl_ms = 3ull * 86400 * 1000;
	c->notify_backoff_ms = 30000;
	c->digest_max_events = 100;
	c->notify_max_message = 1u << 20;
	c->notify_user = xstrdup("nobody");
	c->notify_templates = xstrdup(WSID_SYSCONFDIR "/wsid/templates");
	c->metrics_interval_ms = 15000;
	c->update_window_ms = 120000;
	c->retention.events_ms[0] = 30ull * 86400 * 1000;
	c->retention.events_ms[1] = c->retention.events_ms[2] = c->retention.events_ms[3] =
		365ull * 86400 * 1000;
	c->retention.outbox_ms = 30ull * 86400 * 1000;
	c->retention.members_ms = 7ull * 86400 * 1000;
	c->retention.interval_ms = 600000;
	c->retention.batch = 1000;
	c->consensus_min = 3;
	c->component_dirs = xcalloc(8, sizeof(char *));
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("wp-content/plugins");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("wp-content/themes");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("wp-content/mu-plugins");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("extensions");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("skins");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("lib/plugins");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("lib/tpl");
	c->component_dirs[c->ncomponent_dirs++] = xstrdup("plugins");
	c->analysis_enabled = true;
	c->analysis_max_size = 4ull << 20;
	c->analysis_rules = xcalloc(1, sizeof(char *));
	c->analysis_rules[c->nanalysis_rules++] = xstrdup(WSID_DATADIR "/rules/*.yar");
	c->web_server_processes = xcalloc(8, sizeof(char *));
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("php-fpm*");
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("php*");
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("lsphp*");
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("apache2");
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("httpd");
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("nginx");
	c->web_server_processes[c->nweb_server_processes++] = xstrdup("www-data");
	return c;
}

static void
free_str_list(char **l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

struct config *
config_hold(struct config *c)
{
	c->holds++;
	return c;
}

void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	if (c->holds > 0) {
		c->holds--;
		return;
	}
	free(c->source);
	free(c->database);
	free(c->control_socket);
	free(c->customers_dir);
	for (i = 0; i < c->nfingerprints; i++)
		free(c->fingerprints[i]);
	free(c->fingerprints);
	for (i = 0; i < c->nwebspaces; i++) {
		free(c->webspaces[i].pattern);
		free(c->webspaces[i].path);
		free(c->webspaces[i].customer);
	}
	free(c->webspaces);
	for (i = 0; i < c->ncustomers; i++) {
		struct config_customer *cu = &c->customers[i];

		free(cu->name);
		free(cu->source);
		free(cu->language);
		free(cu->access_log);
		route_free(&cu->route);
		for (j = 0; j < cu->nseverity; j++)
			free(cu->severity[j].verdict);
		free(cu->severity);
	}
	free(c->customers);
	for (i = 0; i < c->nignore; i++)
		free(c->ignore[i]);
	free(c->ignore);
	for (i = 0; i < c->nseverity; i++)
		free(c->severity[i].verdict);
	free(c->severity);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_username);
	free(c->smtp_password);
	free(c->smtp_ca_file);
	route_free(&c->admin);
	route_free(&c->dflt);
	free(c->metrics_textfile);
	free(c->notify_user);
	free(c->notify_socket);
	free(c->notify_templates);
	for (i = 0; i < c->ntrusted_keys; i++)
		free(c->trusted_keys[i]);
	free(c->trusted_keys);
	free(c->trusted_keys_at);
	free_str_list(c->component_dirs, c->ncomponent_dirs);
	free_str_list(c->fetch_sources, c->nfetch_sources);
	free(c->fetch_ca_file);
	free_str_list(c->web_server_processes, c->nweb_server_processes);
	free_str_list(c->analysis_rules, c->nanalysis_rules);
	for (i = 0; i < c->nanalysis_severity; i++)
		free(c->analysis_severity[i].verdict);
	free(c->analysis_severity);
	for (i = 0; i < c->nfpm_pools; i++) {
		free(c->fpm_pools[i].name);
		free(c->fpm_pools[i].listen);
		free(c->fpm_pools[i].status_path);
	}
	free(c->fpm_pools);
	free(c->access_log);
	free(c);
}

int
config_file_check(const char *path, const struct stat *st, char *err, size_t errsz)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errsz, "%s: owned by uid %u, not root: chown root %s", esc_name(path),
			 (unsigned)st->st_uid, esc_name(path));
		return -EPERM;
	}
	if (st->st_mode & 0022) {
		snprintf(err, errsz, "%s: writable by others (mode %04o): chmod go-w %s", esc_name(path),
			 (unsigned)(st->st_mode & 07777), esc_name(path));
		return -EPERM;
	}
	return 0;
}

/* a configuration file: regular, owned by root (or this user), writable only
 * by its owner; *mode its permissions (secrets are checked against them) */
static int
read_text(const char *path, char **ret, size_t *len, unsigned *mode, char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	struct buf b;
	char chunk[65536];
	int r = 0;

	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((r = config_file_check(path, &st, err, errsz)) < 0) {
		close(fd);
		return r;
	}
	*mode = (unsigned)(st.st_mode & 07777);
	buf_init(&b, CONFIG_MAX_BYTES);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (buf_append(&b, chunk, (size_t)n) < 0) {
			r = -EFBIG;
			snprintf(err, errsz, "%s: larger than %u bytes", path, CONFIG_MAX_BYTES);
			break;
		}
	}
	close(fd);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	*len = b.len;
	*ret = buf_steal(&b);
	return 0;
}

static int
finish(struct ctx *c, struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nwebspaces; i++) {
		const struct config_webspace *w = &cfg->webspaces[i];
		const char *base = w->path ? w->path : w->pattern;
		size_t bl = w->path ? strlen(w->path) : pathmatch_prefix(w->pattern);

		if (cfg->metrics_textfile && pathmatch_under(cfg->metrics_textfile, base, bl)) {
			snprintf(c->e.err, c->e.errsz, "%s:%zu:%zu: metrics.textfile: %s lies under the webspace "
				 "%s%s: its customer could read or replace it; put it elsewhere (node_exporter's "
				 "default directory is /var/lib/prometheus/node-exporter)", c->e.file,
				 cfg->metrics_textfile_line, cfg->metrics_textfile_col, cfg->metrics_textfile,
				 w->path ? "" : "pattern ", base);
			return -EINVAL;
		}
		if (pathmatch_under(cfg->database, base, bl)) {
			snprintf(c->e.err, c->e.errsz, "%s: database: %s lies under the webspace %s%s: the "
				 "daemon's own writes would be watched; put it elsewhere (default "
				 "/var/lib/wsid/wsid.db)", c->e.file, cfg->database,
				 w->path ? "" : "pattern ", base);
			return -EINVAL;
		}
	}
	return 0;
}

static int
parse_text(const char *text, size_t len, const char *name, unsigned mode, struct config **ret,
	   char *err, size_t errsz)
{
	struct ctx c = { .e = { .file = name, .err = err, .errsz = errsz }, .mode = mode };
	struct config *cfg = config_default();
	struct ynode *root = NULL;
	int r;

	err[0] = '\0';
	free(cfg->source);
	cfg->source = xstrdup(name);
	if (len > CONFIG_MAX_BYTES) {
		snprintf(err, errsz, "%s: larger than %u bytes", name, CONFIG_MAX_BYTES);
		config_free(cfg);
		return -EFBIG;
	}
	if ((r = ytree_parse(&c.e, text, len, &root)) == 0 && (r = parse_top(&c, root, cfg)) == 0)
		r = finish(&c, cfg);
	ynode_free(root);
	if (r < 0) {
		config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int
config_load_string(const char *text, size_t len, const char *name, struct config **ret, char *err,
		   size_t errsz)
{
	return parse_text(text, len, name, 0, ret, err, errsz);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dropins(struct config *cfg, char *err, size_t errsz)
{
	DIR *d = opendir(cfg->customers_dir);
	struct dirent *de;
	struct stat st;
	char **names = NULL;
	size_t n = 0, i;
	int r = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : (snprintf(err, errsz, "%s: %s", cfg->customers_dir,
							strerror(errno)), -errno);
	/* whoever may write the directory may remove a customer's routes */
	if (fstat(dirfd(d), &st) < 0 || (r = config_file_check(cfg->customers_dir, &st, err, errsz)) < 0) {
		closedir(d);
		return r < 0 ? r : -errno;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xasprintf("%s/%s", cfg->customers_dir, de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		struct ctx c = { .e = { .file = names[i], .err = err, .errsz = errsz } };
		struct ynode *root = NULL;
		char *text = NULL;
		size_t len = 0;

		if (r < 0)
			break;
		if ((r = read_text(names[i], &text, &len, &c.mode, err, errsz)) < 0)
			break;
		r = ytree_parse(&c.e, text, len, &root);
		free(text);
		if (r == 0) {
			/* a drop-in holds customers, with or without a top "customers:" */
			const struct ynode *m = root;

			if (root->type == Y_MAP && root->n == 2 && strcmp(root->kids[0]->value, "customers") == 0)
				m = root->kids[1];
			r = parse_customers(&c, m, cfg, names[i]);
		}
		ynode_free(root);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int
config_load(const char *path, struct config **ret, char *err, size_t errsz)
{
	char *text = NULL;
	size_t len = 0;
	struct config *cfg = NULL;
	unsigned mode = 0;
	int r;

	if ((r = read_text(path, &text, &len, &mode, err, errsz)) < 0)
		return r;
	r = parse_text(text, len, path, mode, &cfg, err, errsz);
	free(text);
	if (r < 0)
		return r;
	if ((r = load_dropins(cfg, err, errsz)) < 0) {
		config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

static int
check_trusted_keys(const struct config *c, char *err, size_t errsz)
{
	uint8_t pk[BUNDLE_KEY_LEN];
	char kerr[512];
	size_t i;

	for (i = 0; i < c->ntrusted_keys; i++)
		if (bundle_public_parse(c->trusted_keys[i], pk, kerr, sizeof(kerr)) < 0) {
			snprintf(err, errsz, "%s:%zu:%zu: trusted_keys: %s", c->source,
				 c->trusted_keys_at[i].line, c->trusted_keys_at[i].col, kerr);
			return -EINVAL;
		}
	return 0;
}

int
config_check_host(const struct config *c, char *err, size_t errsz)
{
	struct stat st;
	char *dir;
	int r;

	if ((r = check_trusted_keys(c, err, errsz)) < 0)
		return r;
	if (c->metrics_textfile == NULL)
		return 0;
	dir = xstrndup(c->metrics_textfile, (size_t)(strrchr(c->metrics_textfile, '/') - c->metrics_textfile));
	if (stat(dir[0] ? dir : "/", &st) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s:%zu:%zu: metrics.textfile: its directory %s: %s (create it, e.g. "
			 "install node_exporter, or choose another)", c->source, c->metrics_textfile_line,
			 c->metrics_textfile_col, dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		r = -ENOTDIR;
		snprintf(err, errsz, "%s:%zu:%zu: metrics.textfile: %s is not a directory", c->source,
			 c->metrics_textfile_line, c->metrics_textfile_col, dir);
	} else if (stat(c->metrics_textfile, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		snprintf(err, errsz, "%s:%zu:%zu: metrics.textfile: %s is a directory", c->source,
			 c->metrics_textfile_line, c->metrics_textfile_col, c->metrics_textfile);
	}
	free(dir);
	return r;
}

bool
config_url_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	char host[256];
	size_t n;

	if (h == NULL)
		return false;
	h += 3;
	if (strchr(h, '@') && strcspn(h, "@") < strcspn(h, "/")) /* user:pass@host */
		h = strchr(h, '@') + 1;
	n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/?#");
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return true;
	/* 127.0.0.0/8, written as four decimal numbers */
	if (strncmp(host, "127.", 4) == 0) {
		unsigned a, b, cc, d;
		char end;

		return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &end) == 4 && b < 256 && cc < 256 &&
		       d < 256;
	}
	return false;
}

enum config_tls
config_smtp_tls(const struct config *c)
{
	if (c->smtp_tls != CONFIG_TLS_DEFAULT)
		return (enum config_tls)c->smtp_tls;
	if (strncmp(c->smtp_url, "smtps://", 8) != 0 && config_url_loopback(c->smtp_url))
		return CONFIG_TLS_OPPORTUNISTIC;
	return CONFIG_TLS_VERIFY;
}

const char *
config_tls_name(enum config_tls t)
{
	return t == CONFIG_TLS_NONE ? "none" : t == CONFIG_TLS_OPPORTUNISTIC ? "opportunistic" : "verify";
}

const struct config_customer *
config_customer_find(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ncustomers; i++)
		if (strcmp(c->customers[i].name, name) == 0)
			return &c->customers[i];
	return NULL;
}

int
config_webspace_match(const struct config *c, const char *path, char *customer_out, size_t sz,
		      size_t *root_len_out)
{
	size_t i, best = 0;
	int found = 0;

	for (i = 0; i < c->nwebspaces; i++) {
		const struct config_webspace *w = &c->webspaces[i];
		char cust[256];
		size_t rl;

		if (w->path) {
			rl = strlen(w->path);
			if (!pathmatch_under(path, w->path, rl))
				continue;
			snprintf(cust, sizeof(cust), "%s", w->customer);
		} else if (!pathmatch_pattern(w->pattern, path, cust, sizeof(cust), &rl, NULL))
			continue;
		if (rl > best) {
			best = rl;
			snprintf(customer_out, sz, "%s", cust);
			found = 1;
		}
	}
	if (found)
		*root_len_out = best;
	return found;
}

bool
config_pattern_candidate(const char *pattern, const char *path)
{
	return pathmatch_pattern_candidate(pattern, path);
}

bool
config_webspace_candidate(const struct config_webspace *w, const char *path)
{
	if (w->path)
		return pathmatch_under(w->path, path, strlen(path));
	return config_pattern_candidate(w->pattern, path);
}

void
config_webspace_foreach(const struct config_webspace *w, const char *under,
			void (*fn)(const char *path, const char *customer))
{
	struct buf gp;
	glob_t g;
	const char *rest = NULL, *q;
	char cust[256];
	size_t k, rl;

	if (w->path) {
		if (under == NULL || pathmatch_under(w->path, under, strlen(under)))
			fn(w->path, w->customer);
		return;
	}
	buf_init(&gp, 1 << 16);
	if (under) {
		/* the directory's own name is not a glob: a customer chooses it */
		if (!pathmatch_pattern(w->pattern, under, cust, sizeof(cust), &rl, &rest) ||
		    rl != strlen(under))
			goto out;
		for (q = under; *q; q++) {
			if (strchr("*?[\\", *q) && buf_putc(&gp, '\\') < 0)
				goto out;
			if (buf_putc(&gp, *q) < 0)
				goto out;
		}
	} else {
		rest = w->pattern;
	}
	for (q = rest; *q; q++) {
		if (strncmp(q, "{customer}", 10) == 0) {
			q += 9;
			if (buf_putc(&gp, '*') < 0)
				goto out;
		} else if (buf_putc(&gp, *q) < 0) {
			goto out;
		}
	}
	memset(&g, 0, sizeof(g));
	if (glob(gp.data, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0) {
		for (k = 0; k < g.gl_pathc; k++)
			if (pathmatch_pattern(w->pattern, g.gl_pathv[k], cust, sizeof(cust), &rl, NULL) &&
			    rl == strlen(g.gl_pathv[k]))
				fn(g.gl_pathv[k], cust);
	}
	globfree(&g);
out:
	buf_free(&gp);
}

void
config_foreach_webspace(const struct config *c, void (*fn)(const char *path, const char *customer))
{
	size_t i;

	for (i = 0; i < c->nwebspaces; i++)
		config_webspace_foreach(&c->webspaces[i], NULL, fn);
}

bool
config_glob_match(const char *g, const char *s)
{
	return pathmatch_glob(g, s);
}

bool
config_ignored(const struct config *c, const char *relpath)
{
	return pathmatch_ignored(c->ignore, c->nignore, relpath);
}

int
config_severity_for(const struct config *c, const char *verdict, const char *customer, int dflt)
{
	const struct config_customer *cu = customer ? config_customer_find(c, customer) : NULL;
	size_t i;

	if (cu)
		for (i = 0; i < cu->nseverity; i++)
			if (strcmp(cu->severity[i].verdict, verdict) == 0)
				return cu->severity[i].severity;
	for (i = 0; i < c->nseverity; i++)
		if (strcmp(c->severity[i].verdict, verdict) == 0)
			return c->severity[i].severity;
	return dflt;
}
