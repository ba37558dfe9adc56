/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FastCGI record codec (the FastCGI 1.0 specification), for asking a PHP-FPM
 * pool its status page: a responder request is built into a buffer, and the
 * reply is decoded record by record as its bytes come (any split). Only what
 * a responder sends is accepted (STDOUT, STDERR, END_REQUEST of our request
 * id; unknown types and other ids are errors); STDOUT is kept up to a cap,
 * STDERR is counted and dropped. Pure module (fuzzed). */
#ifndef WSID_FCGI_H
#define WSID_FCGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST = 2,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
};

/* a responder request with id: BEGIN_REQUEST, the name/value pairs of params
 * (names and values alternate, NULL-terminated) as PARAMS records, the empty
 * PARAMS and the empty STDIN that end them. -E2BIG when out's cap is hit. */
int fcgi_build_request(struct buf *out, uint16_t id, const char *const *params);

struct fcgi_resp {
	uint16_t id;
	unsigned char hdr[8];
	size_t hlen;           /* header bytes held */
	unsigned type;         /* of the record being read */
	size_t content_left, pad_left;
	unsigned char end[8];  /* END_REQUEST body */
	size_t endlen;
	struct buf out;        /* STDOUT bytes (cap: fcgi_resp_init) */
	size_t stderr_len;
	size_t records;
	bool done, failed;
	uint32_t app_status;
	unsigned proto_status; /* 0: request complete */
	char err[128];
};

void fcgi_resp_init(struct fcgi_resp *r, uint16_t id, size_t cap);
void fcgi_resp_free(struct fcgi_resp *r);
/* feeds n bytes of the reply: 1 once END_REQUEST came (bytes after it are
 * an error), 0 when more are needed, -1 on an error (r->err says which) */
int fcgi_resp_feed(struct fcgi_resp *r, const void *data, size_t n);

/* a CGI response (headers, empty line, body): the Status header's code (200
 * without one), the body. -1 when the headers are malformed (err says how). */
int fcgi_cgi_split(const char *data, size_t len, int *status, const char **body, size_t *blen,
		   char *err, size_t errsz);

#endif
