// SPDX-License-Identifier: GPL-2.0-or-later
/* FastCGI record codec; see fcgi.h. */
#include "fcgi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FCGI_VERSION 1
#define FCGI_RESPONDER 1
#define FCGI_MAX_CONTENT 65535u
#define FCGI_MAX_RECORDS 100000u /* a reply in more records than this is no status page */
#define CGI_MAX_HEADERS 8192u

static int
put_header(struct buf *out, unsigned type, uint16_t id, size_t clen)
{
	unsigned char h[8] = { FCGI_VERSION, (unsigned char)type, (unsigned char)(id >> 8), (unsigned char)id,
			       (unsigned char)(clen >> 8), (unsigned char)clen, 0, 0 };

	return buf_append(out, h, sizeof(h));
}

static int
put_len(struct buf *b, size_t n)
{
	unsigned char l[4];

	if (n < 128) {
		l[0] = (unsigned char)n;
		return buf_append(b, l, 1);
	}
	if (n > 0x7fffffffu)
		return -E2BIG;
	l[0] = (unsigned char)(0x80 | (n >> 24));
	l[1] = (unsigned char)(n >> 16);
	l[2] = (unsigned char)(n >> 8);
	l[3] = (unsigned char)n;
	return buf_append(b, l, 4);
}

/* body as records of at most FCGI_MAX_CONTENT bytes */
static int
put_stream(struct buf *out, unsigned type, uint16_t id, const char *data, size_t n)
{
	size_t off = 0;
	int r;

	while (off < n) {
		size_t k = n - off > FCGI_MAX_CONTENT ? FCGI_MAX_CONTENT : n - off;

		if ((r = put_header(out, type, id, k)) < 0 || (r = buf_append(out, data + off, k)) < 0)
			return r;
		off += k;
	}
	return 0;
}

int
fcgi_build_request(struct buf *out, uint16_t id, const char *const *params)
{
	unsigned char begin[8] = { 0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0 };
	struct buf pb;
	size_t i;
	int r;

	buf_init(&pb, out->cap);
	for (i = 0; params && params[i] && params[i + 1]; i += 2) {
		size_t nl = strlen(params[i]), vl = strlen(params[i + 1]);

		if ((r = put_len(&pb, nl)) < 0 || (r = put_len(&pb, vl)) < 0 ||
		    (r = buf_append(&pb, params[i], nl)) < 0 || (r = buf_append(&pb, params[i + 1], vl)) < 0)
			goto out;
	}
	if ((r = put_header(out, FCGI_BEGIN_REQUEST, id, sizeof(begin))) < 0 ||
	    (r = buf_append(out, begin, sizeof(begin))) < 0 ||
	    (r = put_stream(out, FCGI_PARAMS, id, pb.data, pb.len)) < 0 ||
	    (r = put_header(out, FCGI_PARAMS, id, 0)) < 0 || (r = put_header(out, FCGI_STDIN, id, 0)) < 0)
		goto out;
	r = 0;
out:
	buf_free(&pb);
	return r;
}

void
fcgi_resp_init(struct fcgi_resp *r, uint16_t id, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	buf_init(&r->out, cap);
}

void
fcgi_resp_free(struct fcgi_resp *r)
{
	buf_free(&r->out);
}

static int
fail(struct fcgi_resp *r, const char *what)
{
	r->failed = true;
	snprintf(r->err, sizeof(r->err), "%s", what);
	return -1;
}

/* a whole header is in: checks it and starts its record */
static int
start_record(struct fcgi_resp *r)
{
	unsigned id = (unsigned)r->hdr[2] << 8 | r->hdr[3];

	if (r->hdr[0] != FCGI_VERSION)
		return fail(r, "not a FastCGI reply (version byte)");
	if (++r->records > FCGI_MAX_RECORDS)
		return fail(r, "too many FastCGI records");
	r->type = r->hdr[1];
	r->content_left = (size_t)r->hdr[4] << 8 | r->hdr[5];
	r->pad_left = r->hdr[6];
	r->hlen = 0;
	if (r->type != FCGI_STDOUT && r->type != FCGI_STDERR && r->type != FCGI_END_REQUEST)
		return fail(r, "unexpected FastCGI record type");
	if (id != r->id)
		return fail(r, "FastCGI record for another request");
	if (r->type == FCGI_END_REQUEST && r->content_left != 8)
		return fail(r, "malformed FastCGI END_REQUEST");
	return 0;
}

static int
end_record(struct fcgi_resp *r)
{
	if (r->type != FCGI_END_REQUEST)
		return 0;
	r->app_status = (uint32_t)r->end[0] << 24 | (uint32_t)r->end[1] << 16 | (uint32_t)r->end[2] << 8 |
			r->end[3];
	r->proto_status = r->end[4];
	r->done = true;
	return 1;
}

int
fcgi_resp_feed(struct fcgi_resp *r, const void *data, size_t n)
{
	const unsigned char *p = data;

	if (r->failed)
		return -1;
	while (n > 0) {
		size_t k;

		if (r->done)
			return fail(r, "bytes after the FastCGI END_REQUEST");
		if (r->hlen < 8 && r->content_left == 0 && r->pad_left == 0) {
			k = 8 - r->hlen < n ? 8 - r->hlen : n;
			memcpy(r->hdr + r->hlen, p, k);
			r->hlen += k;
			p += k;
			n -= k;
			if (r->hlen < 8)
				break;
			if (start_record(r) < 0)
				return -1;
			if (r->content_left == 0 && r->pad_left == 0)
				end_record(r);
			continue;
		}
		if (r->content_left > 0) {
			k = r->content_left < n ? r->content_left : n;
			if (r->type == FCGI_STDOUT) {
				if (buf_append(&r->out, p, k) < 0)
					return fail(r, "FastCGI reply too large");
			} else if (r->type == FCGI_STDERR) {
				r->stderr_len += k;
			} else {
				memcpy(r->end + r->endlen, p, k);
				r->endlen += k;
			}
			r->content_left -= k;
			p += k;
			n -= k;
		} else {
			k = r->pad_left < n ? r->pad_left : n;
			r->pad_left -= k;
			p += k;
			n -= k;
		}
		if (r->content_left == 0 && r->pad_left == 0)
			end_record(r);
	}
	return r->done ? 1 : 0;
}

/* one header line "Name: value": a Status header's code into *status */
static int
cgi_header(const char *line, size_t n, int *status, char *err, size_t errsz)
{
	const char *colon = memchr(line, ':', n);
	size_t i;

	if (colon == NULL || colon == line) {
		snprintf(err, errsz, "malformed CGI header line");
		return -1;
	}
	for (i = 0; line + i < colon; i++)
		if (line[i] <= ' ' || line[i] >= 0x7f) {
			snprintf(err, errsz, "malformed CGI header name");
			return -1;
		}
	if ((size_t)(colon - line) == 6 && strncasecmp(line, "Status", 6) == 0) {
		const char *v = colon + 1, *end = line + n;
		int code = 0, digits = 0;

		while (v < end && *v == ' ')
			v++;
		for (; v < end && *v >= '0' && *v <= '9' && digits < 3; v++, digits++)
			code = code * 10 + (*v - '0');
		if (digits != 3 || code < 100) {
			snprintf(err, errsz, "malformed CGI Status header");
			return -1;
		}
		*status = code;
	}
	return 0;
}

int
fcgi_cgi_split(const char *data, size_t len, int *status, const char **body, size_t *blen, char *err,
	       size_t errsz)
{
	size_t off = 0;

	*status = 200;
	*body = NULL;
	*blen = 0;
	for (;;) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n;

		if (nl == NULL || off > CGI_MAX_HEADERS) {
			snprintf(err, errsz, nl ? "CGI headers too long" : "CGI headers without an end");
			return -1;
		}
		n = (size_t)(nl - (data + off));
		if (n > 0 && data[off + n - 1] == '\r')
			n--;
		if (n == 0) {
			off = (size_t)(nl - data) + 1;
			break;
		}
		if (cgi_header(data + off, n, status, err, errsz) < 0)
			return -1;
		off = (size_t)(nl - data) + 1;
	}
	*body = data + off;
	*blen = len - off;
	return 0;
}
