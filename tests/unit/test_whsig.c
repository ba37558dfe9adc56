// SPDX-License-Identifier: GPL-2.0-or-later
/* Webhook signatures against values computed independently (Python's hmac):
 * the Standard Webhooks example of its specification, GitHub's and wsid 1's
 * schemes; secrets that do not decode or are out of range; fresh secrets. */
#include <errno.h>
#include <sodium.h>

#include "t.h"
#include "whsig.h"

static void
test_standard(void)
{
	char out[WHSIG_V1_LEN + 1];
	const char *body = "{\"test\": 2432232314}";

	T_EQ_INT(whsig_standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
				"1614265330", body, strlen(body), out, sizeof(out)), 0);
	T_EQ_STR(out, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* a plain string is its own key */
	T_EQ_INT(whsig_standard("plain-secret", "id1", "1700000000", "{\"a\":1}", 7, out, sizeof(out)), 0);
	T_EQ_STR(out, "v1,4hH8conMRiiWGOOwKcFnFLatFDPu2o6ZaKXoFdITfvE=");
	/* one byte of the body changed: another signature */
	T_EQ_INT(whsig_standard("plain-secret", "id1", "1700000000", "{\"a\":2}", 7, out, sizeof(out)), 0);
	T_OK(strcmp(out, "v1,4hH8conMRiiWGOOwKcFnFLatFDPu2o6ZaKXoFdITfvE=") != 0);
	T_EQ_INT(whsig_standard("whsec_!!!", "id", "1", "", 0, out, sizeof(out)), -EINVAL);
}

static void
test_hex_schemes(void)
{
	char out[WHSIG_HEX_LEN + 1];

	whsig_github("plain-secret", "{\"a\":1}", 7, out);
	T_EQ_STR(out, "sha256=9e0c6ff4bcd0c2a9fa77d9c0f50ee5e05cc1d1b2814ee5fdf7ec9e8ed28aa55d");
	whsig_legacy("plain-secret", "1700000000", "{\"a\":1}", 7, out);
	T_EQ_STR(out, "sha256=29874ee4eb08ec95e123c978b05aab1ae40da7c46b7d5632b64ec09022628e2b");
}

static void
test_keys(void)
{
	uint8_t key[128];
	size_t n = 0;
	char s[80];

	T_EQ_INT(whsig_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, sizeof(key), &n), 0);
	T_EQ_INT(n, 24);
	T_EQ_INT(whsig_key("abc", key, sizeof(key), &n), 0);
	T_OK(n == 3 && memcmp(key, "abc", 3) == 0);
	/* 16 bytes: below the 24 Standard Webhooks asks for */
	T_EQ_INT(whsig_key("whsec_AAAAAAAAAAAAAAAAAAAAAA==", key, sizeof(key), &n), -EINVAL);
	T_EQ_INT(whsig_key("whsec_not base64", key, sizeof(key), &n), -EINVAL);
	T_EQ_INT(whsig_key("a-plain-secret-longer-than-the-buffer", key, 4, &n), -E2BIG);

	T_OK(sodium_init() >= 0);
	T_EQ_INT(whsig_secret_new(s, sizeof(s)), 0);
	T_OK(strncmp(s, WHSIG_PREFIX, strlen(WHSIG_PREFIX)) == 0);
	T_EQ_INT(whsig_key(s, key, sizeof(key), &n), 0);
	T_EQ_INT(n, WHSIG_NEW_BYTES);
	{
		char s2[80];

		T_EQ_INT(whsig_secret_new(s2, sizeof(s2)), 0);
		T_OK(strcmp(s, s2) != 0);
	}
}

int
main(void)
{
	T_RUN(test_standard);
	T_RUN(test_hex_schemes);
	T_RUN(test_keys);
	T_DONE();
}
