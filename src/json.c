// SPDX-License-Identifier: GPL-2.0-or-later
/* Streaming JSON writer; see json.h. Output is bounded by the struct buf cap:
 * a write that does not fit is dropped and the caller sees it in buf.len. */
#include "json.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void
json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->need_comma[j->depth - 1])
		buf_putc(j->out, ',');
	if (j->depth > 0)
		j->need_comma[j->depth - 1] = true;
}

static void
json_open(struct json *j, char c)
{
	json_sep(j);
	buf_putc(j->out, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->need_comma[j->depth] = false;
	j->depth++;
}

static void
json_close(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	buf_putc(j->out, c);
}

void
json_obj_begin(struct json *j)
{
	json_open(j, '{');
}

void
json_obj_end(struct json *j)
{
	json_close(j, '}');
}

void
json_arr_begin(struct json *j)
{
	json_open(j, '[');
}

void
json_arr_end(struct json *j)
{
	json_close(j, ']');
}

/* the bytes that stand for themselves in a JSON string: printable ASCII
 * but the quote and the backslash (a table: one load a byte, where four
 * comparisons were 12 instructions a byte of the scan report's paths) */
#define PLAIN_BYTE(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define PLAIN_ROW(r)                                                          \
	PLAIN_BYTE((r) + 0), PLAIN_BYTE((r) + 1), PLAIN_BYTE((r) + 2),        \
	PLAIN_BYTE((r) + 3), PLAIN_BYTE((r) + 4), PLAIN_BYTE((r) + 5),        \
	PLAIN_BYTE((r) + 6), PLAIN_BYTE((r) + 7), PLAIN_BYTE((r) + 8),        \
	PLAIN_BYTE((r) + 9), PLAIN_BYTE((r) + 10), PLAIN_BYTE((r) + 11),      \
	PLAIN_BYTE((r) + 12), PLAIN_BYTE((r) + 13), PLAIN_BYTE((r) + 14),     \
	PLAIN_BYTE((r) + 15)
static const bool json_plain[256] = {
	PLAIN_ROW(0x00), PLAIN_ROW(0x10), PLAIN_ROW(0x20), PLAIN_ROW(0x30),
	PLAIN_ROW(0x40), PLAIN_ROW(0x50), PLAIN_ROW(0x60), PLAIN_ROW(0x70),
	/* 0x80-0xff: false, UTF-8 sequences are checked one by one */
};
#undef PLAIN_ROW
#undef PLAIN_BYTE

int
json_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int r = buf_putc(b, '"');

	while (i < n && r == 0) {
		unsigned c = p[i];
		size_t k = i;

		/* a run of bytes that stand for themselves goes in one append
		 * (one append a byte was a tenth of the scan report's CPU) */
		while (k < n && json_plain[p[k]])
			k++;
		if (k > i) {
			r = buf_append(b, p + i, k - i);
			i = k;
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			r = buf_append(b, e, 2);
			i++;
		} else if (c == '\n') {
			r = buf_append(b, "\\n", 2);
			i++;
		} else if (c == '\r') {
			r = buf_append(b, "\\r", 2);
			i++;
		} else if (c == '\t') {
			r = buf_append(b, "\\t", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			r = buf_printf(b, "\\u%04x", c);
			i++;
		} else {
			size_t l = 1;

			/* find the longest valid sequence starting here */
			for (l = 2; l <= 4 && i + l <= n; l++)
				if (utf8_valid(s + i, l))
					break;
			if (l <= 4 && i + l <= n && utf8_valid(s + i, l)) {
				r = buf_append(b, p + i, l);
				i += l;
			} else {
				r = buf_append(b, "\\ufffd", 6);
				i++;
			}
		}
	}
	if (r == 0)
		r = buf_putc(b, '"');
	return r;
}

void
json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_escape(j->out, key, strlen(key));
	buf_putc(j->out, ':');
	j->after_key = true;
}

void
json_strn(struct json *j, const char *s, size_t n)
{
	json_sep(j);
	json_escape(j->out, s, n);
}

void
json_raw(struct json *j, const char *text, size_t n)
{
	json_sep(j);
	buf_append(j->out, text, n);
}

void
json_str(struct json *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void
json_int(struct json *j, int64_t v)
{
	json_sep(j);
	buf_printf(j->out, "%lld", (long long)v);
}

void
json_uint(struct json *j, uint64_t v)
{
	json_sep(j);
	buf_printf(j->out, "%llu", (unsigned long long)v);
}

void
json_double(struct json *j, double v)
{
	json_sep(j);
	if (!isfinite(v))
		buf_puts(j->out, "null");
	else
		buf_printf(j->out, "%.4f", v);
}

void
json_bool(struct json *j, bool v)
{
	json_sep(j);
	buf_puts(j->out, v ? "true" : "false");
}

void
json_null(struct json *j)
{
	json_sep(j);
	buf_puts(j->out, "null");
}

void
json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void
json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void
json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void
json_kv_name(struct json *j, const char *key, const char *s, size_t n)
{
	json_key(j, key);
	json_strn(j, s, n);
	if (!utf8_valid(s, n)) {
		size_t blen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(blen);
		char k[128];

		sodium_bin2base64(b64, blen, (const unsigned char *)s, n,
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(k, sizeof(k), "%s_base64", key);
		json_kv_str(j, k, b64);
		free(b64);
	}
}

void
json_kv_hex(struct json *j, const char *key, const uint8_t *bytes, size_t n)
{
	char hex[2 * 64 + 1];

	json_key(j, key);
	if (bytes == NULL || n > 64) {
		json_null(j);
		return;
	}
	hex_encode(bytes, n, hex);
	json_str(j, hex);
}
