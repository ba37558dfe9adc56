// SPDX-License-Identifier: GPL-2.0-or-later
/* Webhook signatures; see whsig.h. */
#include "whsig.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "util.h"

int
whsig_key(const char *secret, uint8_t *key, size_t keysz, size_t *ret_len)
{
	size_t plen = strlen(WHSIG_PREFIX), n = strlen(secret), len = 0;
	const char *end = NULL;

	if (strncmp(secret, WHSIG_PREFIX, plen) != 0) {
		if (n > keysz)
			return -E2BIG;
		memcpy(key, secret, n);
		*ret_len = n;
		return 0;
	}
	/* padded or not, as the libraries accept both; nothing else after it */
	if (sodium_base642bin(key, keysz, secret + plen, n - plen, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0') {
		if (sodium_base642bin(key, keysz, secret + plen, n - plen, NULL, &len, &end,
				      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 || *end != '\0')
			return -EINVAL;
	}
	if (len < WHSIG_KEY_MIN || len > WHSIG_KEY_MAX) {
		sodium_memzero(key, len);
		return -EINVAL;
	}
	*ret_len = len;
	return 0;
}

int
whsig_standard(const char *secret, const char *id, const char *ts, const void *body, size_t blen,
	       char *out, size_t outsz)
{
	uint8_t key[4096], mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t klen;
	int r;

	if (outsz < WHSIG_V1_LEN + 1)
		return -ENOSPC;
	if ((r = whsig_key(secret, key, sizeof(key), &klen)) < 0)
		return r;
	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, body, blen);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1,", 3); /* NOLINT(bugprone-not-null-terminated-result): bin2base64 ends it */
	sodium_bin2base64(out + 3, outsz - 3, mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(key, sizeof(key));
	return 0;
}

static void
hex_hmac(const char *secret, const char *ts, const void *body, size_t blen, char out[WHSIG_HEX_LEN + 1])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	if (ts) {
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	}
	crypto_auth_hmacsha256_update(&st, body, blen);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7); /* NOLINT(bugprone-not-null-terminated-result): hex_encode ends it */
	hex_encode(mac, sizeof(mac), out + 7);
	sodium_memzero(&st, sizeof(st));
}

void
whsig_github(const char *secret, const void *body, size_t blen, char out[WHSIG_HEX_LEN + 1])
{
	hex_hmac(secret, NULL, body, blen, out);
}

void
whsig_legacy(const char *secret, const char *ts, const void *body, size_t blen, char out[WHSIG_HEX_LEN + 1])
{
	hex_hmac(secret, ts, body, blen, out);
}

int
whsig_secret_new(char *out, size_t outsz)
{
	uint8_t raw[WHSIG_NEW_BYTES];
	size_t plen = strlen(WHSIG_PREFIX);

	if (outsz < plen + sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_ORIGINAL))
		return -ENOSPC;
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, WHSIG_PREFIX, plen); /* NOLINT(bugprone-not-null-terminated-result): bin2base64 ends it */
	sodium_bin2base64(out + plen, outsz - plen, raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}
