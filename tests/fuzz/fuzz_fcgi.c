// SPDX-License-Identifier: GPL-2.0-or-later
/* A pool's reply to the status request, whatever its bytes: the FastCGI
 * decoder (fed in pieces the input's first byte chooses), the CGI header
 * split and the status page parser. Checks: never more STDOUT than the cap,
 * done only with an END_REQUEST, the same result for any split, the status
 * fields NUL-terminated without control bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "fpmstatus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz);

	if (n == sz)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_resp a, b;
	size_t step, off;
	int ra, rb = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	fcgi_resp_init(&a, 1, 4096);
	fcgi_resp_init(&b, 1, 4096);
	ra = fcgi_resp_feed(&a, data, size);
	for (off = 0; off < size && rb >= 0; off += step)
		rb = fcgi_resp_feed(&b, data + off, size - off < step ? size - off : step);
	if (size == 0)
		rb = ra;
	if (ra != rb || a.out.len != b.out.len || (a.out.len && memcmp(a.out.data, b.out.data, a.out.len) != 0))
		abort();
	if (a.out.len > 4096 || (ra == 1 && !a.done))
		abort();
	if (ra == 1) {
		const char *body;
		size_t blen;
		char err[128];
		int status;

		if (fcgi_cgi_split(a.out.data ? a.out.data : "", a.out.len, &status, &body, &blen, err, sizeof(err)) == 0) {
			struct fpm_worker w;
			char pool[64];

			if (status < 100 || status > 999 || body + blen != (a.out.data ? a.out.data : "") + a.out.len)
				abort();
			if (fpm_status_find(body, blen, 7, pool, sizeof(pool), &w, err, sizeof(err)) == 0) {
				check_str(w.method, sizeof(w.method));
				check_str(w.uri, sizeof(w.uri));
				check_str(w.script, sizeof(w.script));
				check_str(w.state, sizeof(w.state));
				check_str(pool, sizeof(pool));
			}
		}
	}
	fcgi_resp_free(&a);
	fcgi_resp_free(&b);
	/* the status parser on the raw input too (most inputs are no FastCGI) */
	{
		struct fpm_worker w;
		char err[160], pool[64];

		if (fpm_status_find((const char *)data, size, 7, pool, sizeof(pool), &w, err, sizeof(err)) == 0) {
			check_str(w.uri, sizeof(w.uri));
			check_str(w.user, sizeof(w.user));
		}
	}
	return 0;
}
