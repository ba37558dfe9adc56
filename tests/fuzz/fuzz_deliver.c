// SPDX-License-Identifier: GPL-2.0-or-later
/* The delivery wire format: jobs (what the delivery process reads) and
 * results (what the daemon reads from the unprivileged process, after its
 * hello "S <sandbox>"). The first
 * byte picks the parser; whatever decodes must encode back to the same. */
#include <stdlib.h>
#include <string.h>

#include "deliver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;
	struct buf b;
	ssize_t used;

	if (size == 0)
		return 0;
	buf_init(&b, 64u << 20);
	if (data[0] & 1) {
		struct deliver_result r;
		char sb[48];

		/* the hello first, as the daemon reads it */
		if (n > 0 && p[0] == 'S' && (used = deliver_hello_decode(p, n, sb, sizeof(sb))) > 0) {
			if (strlen(sb) >= sizeof(sb) || strchr(sb, '\n'))
				abort();
			buf_reset(&b);
			deliver_hello_encode(&b, sb);
			if (deliver_hello_decode(b.data, b.len, sb, sizeof(sb)) != (ssize_t)b.len)
				abort();
			p += used;
			n -= (size_t)used;
		}
		while (n > 0 && (used = deliver_result_decode(p, n, &r)) > 0) {
			if (r.outcome < 0 || r.outcome > 2 || r.status > 999 || strlen(r.error) >= sizeof(r.error))
				abort();
			buf_reset(&b);
			deliver_result_encode(&b, &r);
			p += used;
			n -= (size_t)used;
		}
	} else {
		struct deliver_job j, k;

		while (n > 0 && (used = deliver_job_decode(p, n, &j)) > 0) {
			if (j.url == NULL || (j.transport != 'h' && j.transport != 's'))
				abort();
			buf_reset(&b);
			deliver_job_encode(&b, &j);
			if (deliver_job_decode(b.data, b.len, &k) != (ssize_t)b.len || k.id != j.id ||
			    k.body_len != j.body_len || strcmp(k.url, j.url) != 0)
				abort();
			deliver_job_free(&k);
			deliver_job_free(&j);
			p += used;
			n -= (size_t)used;
		}
	}
	buf_free(&b);
	return 0;
}
