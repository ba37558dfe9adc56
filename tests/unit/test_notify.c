// SPDX-License-Identifier: GPL-2.0-or-later
/* Notifications' pure parts: back-off, header encoding, quiet hours, the
 * delivery wire format (round trips and hostile streams), outcome classes,
 * and the update states of sites. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlverbs.h"
#include "deliver.h"
#include "notify.h"
#include "t.h"
#include "whsig.h"

static void
test_backoff(void)
{
	uint64_t d;
	int i;

	T_EQ_INT(notify_backoff_ms(1000, 1, 500), 1000);
	T_EQ_INT(notify_backoff_ms(1000, 2, 500), 2000);
	T_EQ_INT(notify_backoff_ms(1000, 4, 500), 8000);
	/* jitter stays within 80..120 % */
	T_EQ_INT(notify_backoff_ms(1000, 1, 0), 800);
	T_EQ_INT(notify_backoff_ms(1000, 1, 1000), 1200);
	/* capped at one hour, whatever the attempt */
	for (i = 1; i < 100; i++) {
		d = notify_backoff_ms(30000, i, 1000);
		T_OK(d <= 3600000ull * 12 / 10);
	}
	T_EQ_INT(notify_backoff_ms(30000, 60, 500), 3600000);
}

static void
test_header(void)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	notify_header_value(&b, "[wsid] alice: 3 changes");
	T_EQ_STR(b.data, "[wsid] alice: 3 changes");
	buf_reset(&b);
	notify_header_value(&b, "a\r\nBcc: x@y");
	T_OK(strstr(b.data, "\r\nBcc") == NULL);
	T_OK(strncmp(b.data, "=?UTF-8?B?", 10) == 0);
	buf_reset(&b);
	notify_header_value(&b, "caf\xc3\xa9");
	T_EQ_STR(b.data, "=?UTF-8?B?Y2Fmw6k=?=");
	buf_reset(&b);
	/* long text: folded encoded words, each line short */
	{
		char s[400];
		char *line, *save = NULL;

		memset(s, 0, sizeof(s));
		for (int i = 0; i < 100; i++)
			strcat(s, "\xc3\xa9");
		notify_header_value(&b, s);
		for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			T_OK(strlen(line) < 78);
	}
	buf_free(&b);
}

static void
test_expand(void)
{
	const char *vars[] = { "customer", "alice", "path", "/a\\nb", "empty", NULL };
	struct buf b;

	buf_init(&b, 1 << 16);
	notify_expand(&b, "[wsid] {customer}: {path} {unknown} {empty}{", vars, 6, false);
	T_EQ_STR(b.data, "[wsid] alice: /a\\nb {unknown} {");
	buf_reset(&b);
	notify_expand(&b, "a\nb\r\nc", NULL, 0, true);
	T_EQ_STR(b.data, "a\r\nb\r\nc");
	buf_reset(&b);
	notify_expand(&b, "{customer}{customer}", vars, 6, false);
	T_EQ_STR(b.data, "alicealice");
	buf_free(&b);
}

static void
test_quiet(void)
{
	struct tm tm;
	time_t t;
	int64_t ms, out;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 11;
	tm.tm_mday = 2;
	tm.tm_hour = 23;
	tm.tm_min = 30;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	ms = (int64_t)t * 1000;
	T_EQ_INT(notify_after_quiet(ms, -1, -1), ms);
	/* 22:00-07:00: 23:30 waits until 07:00 */
	out = notify_after_quiet(ms, 22 * 60, 7 * 60);
	T_EQ_INT(out - ms / 60000 * 60000, (7 * 60 + 30) * 60000);
	/* 01:00-05:00: 23:30 is not quiet */
	T_EQ_INT(notify_after_quiet(ms, 60, 300), ms);
}

static void
test_wire(void)
{
	struct deliver_job j, back;
	struct deliver_result r, rb;
	char h1[] = "Content-Type: application/json", h2[] = "Idempotency-Key: wsid-1";
	char r1[] = "a@example.com", r2[] = "b@example.com";
	char url1[] = "http://127.0.0.1:8080/hook", body1[] = "{\"a\":\"\n\0x\"}";
	char url2[] = "smtp://127.0.0.1:25", from2[] = "wsid@localhost";
	char body2[] = "Subject: x\r\n\r\n.\r\nhi\r\n";
	char *hdrs[] = { h1, h2 };
	char *rcpts[] = { r1, r2 };
	struct buf b;
	ssize_t used;
	size_t cut;

	memset(&j, 0, sizeof(j));
	j.id = 42;
	j.transport = 'h';
	j.url = url1;
	j.headers = hdrs;
	j.nheaders = 2;
	j.body = body1;
	j.body_len = 12;
	j.timeout_s = 30;
	buf_init(&b, 1 << 20);
	deliver_job_encode(&b, &j);
	used = deliver_job_decode(b.data, b.len, &back);
	T_EQ_INT(used, (ssize_t)b.len);
	T_EQ_INT(back.id, 42);
	T_EQ_STR(back.url, j.url);
	T_EQ_INT(back.nheaders, 2);
	T_EQ_STR(back.headers[1], "Idempotency-Key: wsid-1");
	T_EQ_INT(back.body_len, 12);
	T_OK(memcmp(back.body, j.body, 12) == 0);
	deliver_job_free(&back);
	/* every prefix is incomplete, never an error or a job */
	for (cut = 0; cut < b.len; cut++) {
		used = deliver_job_decode(b.data, cut, &back);
		T_CHECK(used == 0, "prefix %zu: %zd", cut, used);
	}
	/* smtp */
	buf_reset(&b);
	memset(&j, 0, sizeof(j));
	j.id = 7;
	j.transport = 's';
	j.url = url2;
	j.mail_from = from2;
	j.rcpts = rcpts;
	j.nrcpts = 2;
	j.body = body2;
	j.body_len = strlen(j.body);
	j.timeout_s = 5;
	deliver_job_encode(&b, &j);
	T_EQ_INT(deliver_job_decode(b.data, b.len, &back), (ssize_t)b.len);
	T_EQ_INT(back.nrcpts, 2);
	T_EQ_STR(back.rcpts[1], "b@example.com");
	T_EQ_INT(back.tls, 0); /* verify, the default */
	deliver_job_free(&back);
	/* the TLS level travels: opportunistic, none */
	for (cut = 0; cut < 2; cut++) {
		buf_reset(&b);
		j.tls = "on"[cut];
		deliver_job_encode(&b, &j);
		T_EQ_INT(deliver_job_decode(b.data, b.len, &back), (ssize_t)b.len);
		T_EQ_INT(back.tls, "on"[cut]);
		deliver_job_free(&back);
	}
	T_EQ_INT(deliver_job_decode("J 1 s\nu 3\nabc\nT 1\nx\nt 1\n5\nE\n", 26, &back), -1);
	T_EQ_INT(deliver_job_decode("J 1 s\nu 3\nabc\nT 2\noo\nt 1\n5\nE\n", 27, &back), -1);
	/* hostile streams */
	T_EQ_INT(deliver_job_decode("J 0 h\nE\n", 8, &back), -1);
	T_EQ_INT(deliver_job_decode("J 1 x\nE\n", 8, &back), -1);
	T_EQ_INT(deliver_job_decode("J 1 h\nE\n", 8, &back), -1); /* no url */
	T_EQ_INT(deliver_job_decode("J 1 h\nu 3\nabcX", 14, &back), -1);
	T_EQ_INT(deliver_job_decode("J 1 h\nu 99999999999\n", 20, &back), -1);
	T_EQ_INT(deliver_job_decode("J 1 h\nz 1\na\nE\n", 14, &back), -1);
	T_EQ_INT(deliver_job_decode("J 1 h\nu 3\na\0c\nE\n", 16, &back), -1);
	/* results */
	buf_reset(&b);
	memset(&r, 0, sizeof(r));
	r.id = 9;
	r.outcome = DELIVER_RETRY;
	r.status = 503;
	r.retry_after_s = 2;
	strcpy(r.error, "HTTP 503");
	deliver_result_encode(&b, &r);
	T_EQ_INT(deliver_result_decode(b.data, b.len, &rb), (ssize_t)b.len);
	T_EQ_INT(rb.outcome, DELIVER_RETRY);
	T_EQ_INT(rb.status, 503);
	T_EQ_STR(rb.error, "HTTP 503");
	T_EQ_INT(deliver_result_decode("R 1 3 200 0 0\n\n", 15, &rb), -1);
	T_EQ_INT(deliver_result_decode("R 1 0 2000 0 0\n\n", 16, &rb), -1);
	T_EQ_INT(deliver_result_decode("R 1 0 200 0 999\n", 16, &rb), -1);
	T_EQ_INT(deliver_result_decode("R 1 0 200 0 2\na\x01\n", 17, &rb), 17);
	/* the hello: what confines the delivery process */
	{
		char sb[48];

		buf_reset(&b);
		deliver_hello_encode(&b, "none (optional)");
		T_EQ_INT(deliver_hello_decode(b.data, b.len, sb, sizeof(sb)), (ssize_t)b.len);
		T_EQ_STR(sb, "none (optional)");
		T_EQ_INT(deliver_hello_decode("S landlock\nR 1", 15, sb, sizeof(sb)), 11);
		T_EQ_STR(sb, "landlock");
		T_EQ_INT(deliver_hello_decode("S land", 6, sb, sizeof(sb)), 0);
		T_EQ_INT(deliver_hello_decode("R 1 0 200 0 0\n\n", 15, sb, sizeof(sb)), -1);
		T_EQ_INT(deliver_hello_decode("S \x1b[2J\n", 7, sb, sizeof(sb)), -1);
		T_EQ_INT(deliver_hello_decode("S \n", 3, sb, sizeof(sb)), -1);
		T_EQ_INT(deliver_hello_decode("S a\0b\n", 6, sb, sizeof(sb)), -1); /* found by fuzz_deliver */
		T_EQ_INT(deliver_hello_decode("S landlock\n", 11, sb, 4), -1);
	}
	T_EQ_STR(rb.error, "a?");
	buf_free(&b);
}

static void
test_classes(void)
{
	T_EQ_INT(deliver_classify_http(200), DELIVER_OK);
	T_EQ_INT(deliver_classify_http(204), DELIVER_OK);
	T_EQ_INT(deliver_classify_http(408), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_http(429), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_http(503), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_http(400), DELIVER_FAILED);
	T_EQ_INT(deliver_classify_http(404), DELIVER_FAILED);
	T_EQ_INT(deliver_classify_http(301), DELIVER_FAILED);
	T_EQ_INT(deliver_classify_smtp(250), DELIVER_OK);
	T_EQ_INT(deliver_classify_smtp(451), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_smtp(550), DELIVER_FAILED);
	T_EQ_INT(deliver_classify_smtp(0), DELIVER_RETRY);
}

static void
test_release_states(void)
{
	const char *wp[] = { "6.1.9", "6.1.12", "6.4.2", "6.4.3", "6.5-beta1", "5.9" };
	const char *dw[] = { "2022-07-31", "2022-07-31a", "2023-04-04" };
	struct release_state st;

	release_state_of(wp, 6, "6.4.3", &st);
	T_EQ_STR(st.state, "latest");
	T_EQ_INT(st.behind, 0);
	release_state_of(wp, 6, "6.1.12", &st);
	T_EQ_STR(st.state, "latest-in-branch");
	T_EQ_STR(st.latest, "6.4.3");
	T_EQ_INT(st.behind, 2);
	release_state_of(wp, 6, "6.1.9", &st);
	T_EQ_STR(st.state, "outdated");
	T_EQ_STR(st.branch_latest, "6.1.12");
	T_EQ_INT(st.behind, 3);
	release_state_of(wp, 6, "4.0", &st);
	T_EQ_STR(st.state, "unknown");
	release_state_of(dw, 3, "2022-07-31", &st);
	T_EQ_STR(st.state, "outdated");
	T_EQ_STR(st.branch_latest, "2022-07-31a");
}

/* signatures against vectors the reference libraries produce: the
 * Standard Webhooks example (standardwebhooks on npm signs it so), a plain
 * secret keyed as its bytes (the library's format "raw"), and GitHub's
 * documented example (@octokit/webhooks-methods' sign) */
static void
test_signatures(void)
{
	char sig[WHSIG_V1_LEN + 1], hex[WHSIG_HEX_LEN + 1], sec[128], sec2[128];
	uint8_t key[256];
	size_t klen = 0;

	T_EQ_INT(whsig_standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
				"1614265330", "{\"test\": 2432232314}", 20, sig, sizeof(sig)), 0);
	T_EQ_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	T_EQ_INT(whsig_standard("s3cret", "wsid-00", "1700000000", "{\"a\":1}", 7, sig, sizeof(sig)), 0);
	T_EQ_STR(sig, "v1,fACOm4pOrEVlLkTMzi+/9CrkwN03k1PiMDMwgWtOb3E=");
	/* one byte of the body, the id or the timestamp changed: another one */
	T_EQ_INT(whsig_standard("s3cret", "wsid-00", "1700000000", "{\"a\":2}", 7, sig, sizeof(sig)), 0);
	T_OK(strcmp(sig, "v1,fACOm4pOrEVlLkTMzi+/9CrkwN03k1PiMDMwgWtOb3E=") != 0);
	T_EQ_INT(whsig_standard("s3cret", "wsid-01", "1700000000", "{\"a\":1}", 7, sig, sizeof(sig)), 0);
	T_OK(strcmp(sig, "v1,fACOm4pOrEVlLkTMzi+/9CrkwN03k1PiMDMwgWtOb3E=") != 0);
	whsig_github("It's a Secret to Everybody", "Hello, World!", 13, hex);
	T_EQ_STR(hex, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
	/* wsid 1's scheme is the same HMAC over "<ts>." and the body */
	whsig_legacy("It's a Secret to Everybody", "1", "Hello, World!", 13, hex);
	T_OK(strcmp(hex, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17") != 0);
	/* whsec_ keys: base64 of 24 to 64 bytes, padded or not */
	T_EQ_INT(whsig_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, sizeof(key), &klen), 0);
	T_EQ_INT(klen, 24);
	T_EQ_INT(whsig_key("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", key, sizeof(key), &klen), 0);
	T_EQ_INT(klen, 33);
	T_EQ_INT(whsig_key("whsec_AAAA", key, sizeof(key), &klen), -EINVAL); /* 3 bytes */
	T_EQ_INT(whsig_key("whsec_not base64!", key, sizeof(key), &klen), -EINVAL);
	T_EQ_INT(whsig_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==", key, sizeof(key), &klen), -EINVAL);
	T_EQ_INT(whsig_standard("whsec_", "i", "1", "", 0, sig, sizeof(sig)), -EINVAL);
	/* a plain string is its bytes */
	T_EQ_INT(whsig_key("s3cret", key, sizeof(key), &klen), 0);
	T_EQ_INT(klen, 6);
	T_OK(memcmp(key, "s3cret", 6) == 0);
	/* fresh secrets: whsec_, 32 random bytes, never twice the same */
	T_EQ_INT(whsig_secret_new(sec, sizeof(sec)), 0);
	T_EQ_INT(whsig_secret_new(sec2, sizeof(sec2)), 0);
	T_OK(strncmp(sec, "whsec_", 6) == 0 && strcmp(sec, sec2) != 0);
	T_EQ_INT(whsig_key(sec, key, sizeof(key), &klen), 0);
	T_EQ_INT(klen, WHSIG_NEW_BYTES);
	T_EQ_INT(whsig_secret_new(sec, 20), -ENOSPC);
}

int
main(void)
{
	T_RUN(test_backoff);
	T_RUN(test_header);
	T_RUN(test_expand);
	T_RUN(test_quiet);
	T_RUN(test_wire);
	T_RUN(test_classes);
	T_RUN(test_release_states);
	T_RUN(test_signatures);
	T_DONE();
}
