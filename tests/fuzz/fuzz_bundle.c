// SPDX-License-Identifier: GPL-2.0-or-later
/* Signed bundles: any bytes as a manifest, as a known-bad list and as a
 * bundle archive (verified with a fixed trusted key, checked without a
 * staging directory); and, when the bytes parse as a manifest, a bundle
 * signed with that key around them, so the member checks after a valid
 * signature are reached too. Nothing may crash; an accepted manifest formats
 * back to the same bytes. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
bad_cb(void *ud, const struct bundle_bad *b)
{
	(void)ud;
	if (b->added_by == NULL || b->note == NULL || b->example == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[BUNDLE_KEY_LEN], sk[BUNDLE_SECRET_LEN];
	static int ready;
	struct bundle_manifest m;
	char err[512];
	struct buf b;

	if (!ready) {
		uint8_t seed[crypto_sign_SEEDBYTES] = { 1 };

		if (sodium_init() < 0)
			abort();
		crypto_sign_seed_keypair(pk, sk, seed);
		ready = 1;
	}
	bundle_bad_parse((const char *)data, size, bad_cb, NULL, err, sizeof(err));
	if (bundle_read_mem(data, size, pk, 1, NULL, &m, err,
			    sizeof(err)) == 0)
		bundle_manifest_free(&m);
	if (bundle_manifest_parse((const char *)data, size, &m, err, sizeof(err)) == 0) {
		struct bundle_writer *w = bundle_writer_new(m.kind, m.serial ? m.serial : 1);
		struct bundle_manifest back;
		size_t i;

		memset(&back, 0, sizeof(back));

		buf_init(&b, 0);
		bundle_manifest_format(&m, &b);
		if (b.len != size || memcmp(b.data, data, size) != 0)
			abort();
		buf_free(&b);
		/* the listed members, with bytes of the input: mostly the wrong
		 * hash or size, refused after the signature is found good */
		for (i = 0; i < m.nfiles && i < 8; i++) {
			buf_init(&b, 0);
			buf_append(&b, data, size < m.files[i].size ? size : (size_t)m.files[i].size);
			bundle_writer_add(w, m.files[i].name, &b, m.files[i].count);
		}
		buf_init(&b, 0);
		if (bundle_writer_finish_mem(w, sk, &b, err, sizeof(err)) == 0) {
			if (bundle_read_mem(b.data, b.len, pk, 1, NULL,
					    &back, err, sizeof(err)) == 0) {
				/* accepted: then every member was exactly as listed */
				for (i = 0; i < back.nfiles; i++)
					if (!back.files[i].seen)
						abort();
				bundle_manifest_free(&back);
			}
		}
		buf_free(&b);
		bundle_writer_free(w);
		bundle_manifest_free(&m);
	}
	return 0;
}
