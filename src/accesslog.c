// SPDX-License-Identifier: GPL-2.0-or-later
/* Access log lines (common and combined formats); see accesslog.h. */
#include "accesslog.h"

#include <string.h>

/* the next space-separated token: [*p, ret) */
static const char *
token(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	return p;
}

/* n bytes all printable ASCII other than space (an address, a host name) */
static bool
printable(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return false;
	return true;
}

/* an HTTP method: upper-case letters */
static bool
method_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 'A' || p[i] > 'Z')
			return false;
	return n > 0;
}

static int
num(const char *p, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "DD/Mon/YYYY:HH:MM:SS +ZZZZ" (26 bytes) */
static int
parse_time(const char *p, size_t n, int64_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int d, y, hh, mm, ss, zh, zm, m;

	if (n != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':' ||
	    p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	if (num(p, 2, &d) < 0 || num(p + 7, 4, &y) < 0 || num(p + 12, 2, &hh) < 0 || num(p + 15, 2, &mm) < 0 ||
	    num(p + 18, 2, &ss) < 0 || num(p + 22, 2, &zh) < 0 || num(p + 24, 2, &zm) < 0)
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(months + 3 * m, p + 3, 3) == 0)
			break;
	if (m == 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
		return -1;
	*t = days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
	*t += (p[21] == '+' ? -1 : 1) * (int64_t)(zh * 3600 + zm * 60);
	return 0;
}

int
alog_parse(const char *line, size_t n, struct alog_line *out)
{
	const char *end = line + n, *p = line, *q, *req, *reqend, *sp;
	int i;

	memset(out, 0, sizeof(*out));
	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	/* address, ident, user */
	q = token(p, end);
	if (q == p || q >= end || (size_t)(q - p) >= sizeof(out->addr) || !printable(p, (size_t)(q - p)))
		return -1;
	memcpy(out->addr, p, (size_t)(q - p));
	for (i = 0; i < 2; i++) {
		p = q + 1;
		q = token(p, end);
		if (q == p || q >= end)
			return -1;
	}
	p = q + 1;
	if (p >= end || *p != '[' || (q = memchr(p, ']', (size_t)(end - p))) == NULL ||
	    parse_time(p + 1, (size_t)(q - p - 1), &out->time) < 0)
		return -1;
	p = q + 1;
	if (end - p < 3 || p[0] != ' ' || p[1] != '"')
		return -1;
	req = p + 2;
	/* the request line ends at the quote before " STATUS " (a server escapes
	 * quotes inside it; a raw one would end it early and fail below) */
	if ((reqend = memchr(req, '"', (size_t)(end - req))) == NULL)
		return -1;
	p = reqend + 1;
	if (end - p < 5 || p[0] != ' ' || num(p + 1, 3, &out->status) < 0 || (p + 4 < end && p[4] != ' '))
		return -1;
	if (out->status < 100)
		return -1;
	/* METHOD URI [PROTOCOL] */
	sp = memchr(req, ' ', (size_t)(reqend - req));
	if (sp == NULL || (size_t)(sp - req) >= sizeof(out->method) || !method_ok(req, (size_t)(sp - req)))
		return -1;
	memcpy(out->method, req, (size_t)(sp - req));
	out->uri = sp + 1;
	q = memchr(out->uri, ' ', (size_t)(reqend - out->uri));
	out->urilen = (size_t)((q ? q : reqend) - out->uri);
	if (out->urilen == 0)
		return -1;
	return 0;
}

static size_t
path_len(const char *s, size_t n)
{
	const char *q = memchr(s, '?', n);

	return q ? (size_t)(q - s) : n;
}

bool
alog_match(const struct alog_line *l, const char *method, const char *uri, int64_t from, int64_t to)
{
	size_t ulen = strlen(uri), lp, up;

	if (l->time < from || l->time > to || strcmp(l->method, method) != 0)
		return false;
	if (l->urilen == ulen && memcmp(l->uri, uri, ulen) == 0)
		return true;
	lp = path_len(l->uri, l->urilen);
	up = path_len(uri, ulen);
	/* one side without its query string (a status page may show the script
	 * name where the log shows the URI asked for) */
	return (lp == l->urilen || up == ulen) && lp == up && memcmp(l->uri, uri, lp) == 0;
}
