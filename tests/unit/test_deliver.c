// SPDX-License-Identifier: GPL-2.0-or-later
/* The delivery process's wire format and its outcome rules: a job, a result
 * and the hello go through encode and decode unchanged, a stream cut short
 * is incomplete (0) at every length, damage is refused (-1); HTTP and SMTP
 * codes map to delivered, retried or failed. (The process itself, with
 * libcurl against real receivers, is integration/notify's.) */
#include "deliver.h"
#include "t.h"

static void
test_job(void)
{
	char h0[] = "Content-Type: application/json", h1[] = "webhook-id: 7";
	char r0[] = "a@example.com", r1[] = "b@example.com";
	char *hdrs[] = { h0, h1 }, *rcpts[] = { r0, r1 };
	char body[] = "{\"a\":\"line\\nnext\"}\nE\n";
	struct deliver_job j = { .id = 42, .transport = 'h', .url = (char[]){ "https://127.0.0.1:1/x" },
				 .headers = hdrs, .nheaders = 2, .body = body, .body_len = sizeof(body) - 1,
				 .timeout_s = 30 };
	struct deliver_job d;
	struct buf b;
	size_t k;
	ssize_t n;
	int incomplete = 0;

	buf_init(&b, 1 << 20);
	deliver_job_encode(&b, &j);
	memset(&d, 0, sizeof(d));
	n = deliver_job_decode(b.data, b.len, &d);
	T_EQ_INT(n, (ssize_t)b.len);
	T_OK(d.id == 42 && d.transport == 'h' && d.timeout_s == 30);
	T_EQ_STR(d.url, "https://127.0.0.1:1/x");
	T_OK(d.nheaders == 2 && t_streq(d.headers[1], "webhook-id: 7"));
	T_OK(d.body_len == j.body_len && memcmp(d.body, body, j.body_len) == 0);
	deliver_job_free(&d);
	/* every proper prefix is incomplete, never a job nor an error */
	for (k = 0; k < b.len; k++) {
		memset(&d, 0, sizeof(d));
		incomplete += deliver_job_decode(b.data, k, &d) == 0;
		deliver_job_free(&d);
	}
	T_EQ_INT(incomplete, b.len);
	/* a length that runs past its field, an unknown transport */
	b.data[0] = 'X';
	memset(&d, 0, sizeof(d));
	T_EQ_INT(deliver_job_decode(b.data, b.len, &d), -1);
	deliver_job_free(&d);
	buf_free(&b);

	memset(&j, 0, sizeof(j));
	j.id = 7;
	j.transport = 's';
	j.url = (char[]){ "smtp://127.0.0.1:25" };
	j.mail_from = (char[]){ "wsid@localhost" };
	j.rcpts = rcpts;
	j.nrcpts = 2;
	j.body = (char[]){ "Subject: x\r\n\r\nbody\r\n" };
	j.body_len = strlen(j.body);
	j.password = (char[]){ "pw" };
	j.timeout_s = 60;
	buf_init(&b, 1 << 20);
	deliver_job_encode(&b, &j);
	memset(&d, 0, sizeof(d));
	T_EQ_INT(deliver_job_decode(b.data, b.len, &d), (ssize_t)b.len);
	T_OK(d.transport == 's' && d.nrcpts == 2 && t_streq(d.rcpts[1], "b@example.com") &&
	     t_streq(d.mail_from, "wsid@localhost") && t_streq(d.password, "pw"));
	deliver_job_free(&d);
	buf_free(&b);
}

static void
test_result_hello(void)
{
	struct deliver_result r = { .id = 9, .outcome = DELIVER_RETRY, .status = 503, .retry_after_s = 120 };
	struct deliver_result d;
	struct buf b;
	char sb[32];

	snprintf(r.error, sizeof(r.error), "%s", "HTTP 503 from receiver");
	buf_init(&b, 1 << 16);
	deliver_result_encode(&b, &r);
	memset(&d, 0, sizeof(d));
	T_EQ_INT(deliver_result_decode(b.data, b.len, &d), (ssize_t)b.len);
	T_OK(d.id == 9 && d.outcome == DELIVER_RETRY && d.status == 503 && d.retry_after_s == 120);
	T_EQ_STR(d.error, "HTTP 503 from receiver");
	T_EQ_INT(deliver_result_decode(b.data, b.len - 1, &d), 0);
	T_EQ_INT(deliver_result_decode("R 1 7 200 0 0\n\n", 15, &d), -1); /* no such outcome */
	T_EQ_INT(deliver_result_decode("Q\n", 2, &d), -1);
	buf_free(&b);

	buf_init(&b, 1 << 10);
	deliver_hello_encode(&b, "landlock");
	T_EQ_INT(deliver_hello_decode(b.data, b.len, sb, sizeof(sb)), (ssize_t)b.len);
	T_EQ_STR(sb, "landlock");
	T_EQ_INT(deliver_hello_decode(b.data, b.len - 1, sb, sizeof(sb)), 0);
	T_EQ_INT(deliver_hello_decode("R 1\n", 4, sb, sizeof(sb)), -1);
	buf_free(&b);
}

static void
test_classify(void)
{
	T_EQ_INT(deliver_classify_http(200), DELIVER_OK);
	T_EQ_INT(deliver_classify_http(204), DELIVER_OK);
	T_EQ_INT(deliver_classify_http(408), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_http(429), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_http(503), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_http(404), DELIVER_FAILED);
	T_EQ_INT(deliver_classify_http(401), DELIVER_FAILED);
	T_EQ_INT(deliver_classify_smtp(250), DELIVER_OK);
	T_EQ_INT(deliver_classify_smtp(451), DELIVER_RETRY);
	T_EQ_INT(deliver_classify_smtp(550), DELIVER_FAILED);
}

int
main(void)
{
	T_RUN(test_job);
	T_RUN(test_result_hello);
	T_RUN(test_classify);
	T_DONE();
}
