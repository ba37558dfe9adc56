// SPDX-License-Identifier: GPL-2.0-or-later
/* Webhook signatures: Standard Webhooks (webhook-id, webhook-timestamp,
 * webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">),
 * GitHub's X-Hub-Signature-256 (sha256=<hex HMAC of the raw body>) and the
 * scheme of wsid 1 (sha256=<hex HMAC of "<timestamp>.<body>">). Pure. */
#ifndef WSID_WHSIG_H
#define WSID_WHSIG_H

#include <stddef.h>
#include <stdint.h>

#define WHSIG_PREFIX "whsec_"
#define WHSIG_KEY_MIN 24 /* bytes of a whsec_ key, as Standard Webhooks says */
#define WHSIG_KEY_MAX 64
#define WHSIG_NEW_BYTES 32 /* a secret made by whsig_secret_new */
/* "v1," + base64 of 32 bytes */
#define WHSIG_V1_LEN (3 + 44)
/* "sha256=" + 64 hex */
#define WHSIG_HEX_LEN (7 + 64)

/* The HMAC key of a secret as written in the configuration: "whsec_<base64>"
 * is the decoded bytes (24 to 64 of them), anything else its own bytes.
 * *ret_len is set on success; -EINVAL for a whsec_ secret that does not
 * decode or has a length out of range, -E2BIG for a key over keysz. */
int whsig_key(const char *secret, uint8_t *key, size_t keysz, size_t *ret_len);

/* "v1,<base64>" for id, timestamp and body into out (at least
 * WHSIG_V1_LEN + 1 bytes); -EINVAL for a secret whsig_key refuses */
int whsig_standard(const char *secret, const char *id, const char *ts, const void *body, size_t blen,
		   char *out, size_t outsz);

/* "sha256=<hex>" of the raw body, keyed with the secret's characters as
 * written (GitHub's scheme: its libraries take the secret as a string) */
void whsig_github(const char *secret, const void *body, size_t blen, char out[WHSIG_HEX_LEN + 1]);

/* "sha256=<hex>" of "<ts>.<body>", keyed with the secret's characters: the
 * X-Hub-Signature-256 of wsid 1, sent on routes with legacy_signature: true */
void whsig_legacy(const char *secret, const char *ts, const void *body, size_t blen,
		  char out[WHSIG_HEX_LEN + 1]);

/* a fresh "whsec_<base64 of WHSIG_NEW_BYTES random bytes>" into out (at
 * least 64 bytes); libsodium must be initialised */
int whsig_secret_new(char *out, size_t outsz);

#endif
