// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared pure utilities; see util.h. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void *q = reallocarray(p, nmemb ? nmemb : 1, size ? size : 1);

	if (q == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

void
str_copy(char *dst, size_t dsz, const char *src)
{
	size_t n = src ? strnlen(src, dsz - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		fatalx("out of memory");
	return s;
}

void
pos_list_init(struct pos_list *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
	l->resume = SIZE_MAX;
}

void
pos_list_add(struct pos_list *l, size_t pos)
{
	if (l->resume != SIZE_MAX)
		return;
	if (l->n == l->max) {
		l->resume = pos;
		return;
	}
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->pos = xreallocarray(l->pos, l->alloc, sizeof(*l->pos));
	}
	l->pos[l->n++] = pos;
}

void
pos_list_free(struct pos_list *l)
{
	free(l->pos);
	l->pos = NULL;
	l->n = l->alloc = 0;
}

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : BUF_CAP_DEFAULT;
	b->failed = false;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t add)
{
	size_t need, na;

	if (add > b->cap || b->len > b->cap - add) {
		b->failed = true;
		return -E2BIG;
	}
	need = b->len + add + 1;
	if (need <= b->alloc)
		return 0;
	na = b->alloc ? b->alloc : 64;
	while (na < need)
		na *= 2;
	if (na > b->cap + 1)
		na = b->cap + 1;
	b->data = xrealloc(b->data, na);
	b->alloc = na;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int r = buf_grow(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	r = buf_grow(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
buf_steal(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->alloc = 0;
	return s;
}

/* length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid; its
 * code point in *ret_cp */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80) {
		*ret_cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	*ret_cp = cp;
	return len;
}

/* Code points that change how the text around them is shown, or show nothing:
 * Default_Ignorable_Code_Point, General_Category Cf (format), Zl and Zp, as of
 * Unicode 15.0. Bidirectional controls (U+202A-202E, U+2066-2069, U+200E/F,
 * U+061C) reorder what follows them: a name ending in U+202E "php.gpj" shows
 * as "jpg.php"; zero-width ones (U+200B-200D, U+2060, U+FEFF) make two names
 * look alike; U+2028/2029 break lines. Sorted, for a binary search. */
static const struct {
	uint32_t lo, hi;
} invisible[] = {
	{ 0x00ad, 0x00ad },   { 0x034f, 0x034f },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },
	{ 0x06dd, 0x06dd },   { 0x070f, 0x070f },   { 0x0890, 0x0891 },   { 0x08e2, 0x08e2 },
	{ 0x115f, 0x1160 },   { 0x17b4, 0x17b5 },   { 0x180b, 0x180f },   { 0x200b, 0x200f },
	{ 0x2028, 0x202e },   { 0x2060, 0x206f },   { 0x3164, 0x3164 },   { 0xfe00, 0xfe0f },
	{ 0xfeff, 0xfeff },   { 0xffa0, 0xffa0 },   { 0xfff0, 0xfffb },   { 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
	{ 0xe0000, 0xe0fff },
};

bool
unicode_invisible(uint32_t cp)
{
	size_t lo = 0, hi = ARRAY_SIZE(invisible);

	if (cp < 0xad)
		return false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < invisible[mid].lo)
			hi = mid;
		else if (cp > invisible[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		l = utf8_seq(p + i, n - i, &cp);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

int
buf_put_escaped(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;
	int r = 0;

	while (i < n && r == 0) {
		unsigned c = p[i];

		if (c == '\\') {
			r = buf_append(b, "\\\\", 2);
			i++;
		} else if (c == '\n') {
			r = buf_append(b, "\\n", 2);
			i++;
		} else if (c == '\t') {
			r = buf_append(b, "\\t", 2);
			i++;
		} else if (c == '\r') {
			r = buf_append(b, "\\r", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) { /* NOLINT(bugprone-branch-clone): before UTF-8 */
			r = buf_printf(b, "\\x%02x", c);
			i++;
		} else if (c < 0x80) {
			r = buf_putc(b, (char)c);
			i++;
		} else if ((l = utf8_seq(p + i, n - i, &cp)) > 0) {
			/* C1 controls (U+0080..U+009F) are escaped too */
			if (l == 2 && c == 0xc2 && p[i + 1] < 0xa0)
				r = buf_printf(b, "\\x%02x\\x%02x", c, p[i + 1]);
			else if (unicode_invisible(cp))
				r = buf_printf(b, "\\u{%04x}", (unsigned)cp);
			else
				r = buf_append(b, p + i, l);
			i += l;
		} else {
			r = buf_printf(b, "\\x%02x", c);
			i++;
		}
	}
	return r;
}

/* esc_name's ring is per thread: a thread that ends (a walker) frees its own */
static pthread_key_t esc_ring_key;
static pthread_once_t esc_ring_once = PTHREAD_ONCE_INIT;

static void
esc_ring_free(void *v)
{
	struct buf *ring = v;
	unsigned i;

	for (i = 0; i < 8; i++)
		buf_free(&ring[i]);
}

static void
esc_ring_key_make(void)
{
	if (pthread_key_create(&esc_ring_key, esc_ring_free) != 0)
		abort();
}

const char *
esc_name(const char *s)
{
	static __thread struct buf ring[8];
	static __thread unsigned next;
	struct buf *b = &ring[next++ % 8];

	if (b->cap == 0) {
		if (next == 1) {
			pthread_once(&esc_ring_once, esc_ring_key_make);
			(void)pthread_setspecific(esc_ring_key, ring);
		}
		buf_init(b, 64 * 1024);
	}
	buf_reset(b);
	if (s == NULL)
		return "(null)";
	if (buf_put_escaped(b, s, strnlen(s, 16384)) < 0 || b->data == NULL)
		return "(name too long)";
	return b->data;
}

int
bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* rank of a pre-release word: lower sorts earlier; a plain release is 100 */
static int
prerelease_rank(const char *w, size_t n)
{
	if (n >= 5 && strncasecmp(w, "alpha", 5) == 0)
		return 10;
	if (n >= 4 && strncasecmp(w, "beta", 4) == 0)
		return 20;
	if (n >= 2 && strncasecmp(w, "rc", 2) == 0)
		return 30;
	if (n >= 3 && strncasecmp(w, "pre", 3) == 0)
		return 5;
	if (n >= 3 && strncasecmp(w, "dev", 3) == 0)
		return 1;
	return 50;
}

int
version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		/* skip separators */
		while (*a && (*a == '.' || *a == '-' || *a == '_' || *a == '+'))
			a++;
		while (*b && (*b == '.' || *b == '-' || *b == '_' || *b == '+'))
			b++;
		if (!*a || !*b) {
			/* "6.4" vs "6.4.1": the shorter one is older, unless what
			 * remains of the longer is a pre-release word */
			const char *rest = *a ? a : b;
			int sign = *a ? 1 : -1;

			if (!*rest)
				return 0;
			if (isalpha((unsigned char)*rest)) {
				size_t n = strcspn(rest, ".-_+0123456789");

				/* one letter that ends the version is a hotfix
				 * (DokuWiki's 2022-07-31a, OpenSSL's 1.1.1w); with
				 * digits after it, a pre-release (1.0a1) */
				if (n == 1 && rest[1] == '\0')
					return sign;
				if (prerelease_rank(rest, n) < 100)
					return -sign;
			}
			return sign;
		}
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *ea, *eb;
			size_t la, lb;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			ea = a;
			eb = b;
			while (isdigit((unsigned char)*ea))
				ea++;
			while (isdigit((unsigned char)*eb))
				eb++;
			la = (size_t)(ea - a);
			lb = (size_t)(eb - b);
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = memcmp(a, b, la);
			if (c)
				return c < 0 ? -1 : 1;
			a = ea;
			b = eb;
		} else if (isdigit((unsigned char)*a) || isdigit((unsigned char)*b)) {
			/* number vs word: "1.0.1" > "1.0-beta" */
			if (isdigit((unsigned char)*a))
				return prerelease_rank(b, strcspn(b, ".-_+0123456789")) < 100 ? 1 : -1;
			return prerelease_rank(a, strcspn(a, ".-_+0123456789")) < 100 ? -1 : 1;
		} else {
			size_t la = strcspn(a, ".-_+0123456789");
			size_t lb = strcspn(b, ".-_+0123456789");
			int ra = prerelease_rank(a, la), rb = prerelease_rank(b, lb);
			int c;

			if (ra != rb)
				return ra < rb ? -1 : 1;
			c = strncmp(a, b, la < lb ? la : lb);
			if (c)
				return c < 0 ? -1 : 1;
			if (la != lb)
				return la < lb ? -1 : 1;
			a += la;
			b += lb;
		}
	}
	return 0;
}

void
version_branch(const char *v, char *out, size_t outsz)
{
	const char *d1 = strchr(v, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	size_t n;

	if (d2)
		n = (size_t)(d2 - v);
	else {
		n = strlen(v);
		/* date versions: 2022-07-31a is a hotfix of 2022-07-31 */
		if (!d1)
			while (n > 0 && isalpha((unsigned char)v[n - 1]))
				n--;
	}
	if (outsz == 0)
		return;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

uint64_t
now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t
now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
now_unix(void)
{
	return (int64_t)time(NULL);
}

char *
path_join(const void *dir, size_t dlen, const void *name, size_t nlen, size_t *len)
{
	char *p = xmalloc(dlen + nlen + 2);

	memcpy(p, dir ? dir : "", dlen);
	*len = dlen;
	if (nlen) {
		p[(*len)++] = '/';
		memcpy(p + *len, name, nlen);
		*len += nlen;
	}
	p[*len] = '\0';
	return p;
}
