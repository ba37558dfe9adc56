// SPDX-License-Identifier: GPL-2.0-or-later
/* FastCGI codec (fcgi.h) and PHP-FPM status pages (fpmstatus.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fcgi.h"
#include "fpmstatus.h"
#include "t.h"

/* a record of type with content c (length n) and pad bytes of padding */
static void
rec(struct buf *b, unsigned type, unsigned id, const char *c, size_t n, unsigned pad)
{
	unsigned char h[8] = { 1, (unsigned char)type, (unsigned char)(id >> 8), (unsigned char)id,
			       (unsigned char)(n >> 8), (unsigned char)n, (unsigned char)pad, 0 };
	static const char zeros[256];

	buf_append(b, h, 8);
	buf_append(b, c, n);
	buf_append(b, zeros, pad);
}

static void
end(struct buf *b, unsigned id, unsigned app, unsigned proto)
{
	char e[8] = { (char)(app >> 24), (char)(app >> 16), (char)(app >> 8), (char)app, (char)proto, 0, 0, 0 };

	rec(b, FCGI_END_REQUEST, id, e, 8, 0);
}

static void
test_build(void)
{
	const char *params[] = { "SCRIPT_NAME", "/status", "QUERY_STRING", "full&json", "LONG", NULL, NULL };
	char longv[300];
	struct buf b;
	const unsigned char *p;

	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	params[5] = longv;
	buf_init(&b, 1 << 16);
	T_EQ_INT(fcgi_build_request(&b, 7, params), 0);
	p = (const unsigned char *)b.data;
	/* BEGIN_REQUEST: version 1, id 7, 8 bytes, role responder, keep-conn off */
	T_OK(p[0] == 1 && p[1] == FCGI_BEGIN_REQUEST && p[2] == 0 && p[3] == 7 && p[5] == 8);
	T_OK(p[8] == 0 && p[9] == 1 && p[10] == 0);
	/* PARAMS: 11 "SCRIPT_NAME" 7 "/status" ... a 4-byte length for 299 */
	T_OK(p[16] == 1 && p[17] == FCGI_PARAMS);
	T_OK(p[24] == 11 && p[25] == 7 && memcmp(p + 26, "SCRIPT_NAME/status", 18) == 0);
	T_OK(memmem(b.data, b.len, "\x04\x80\x00\x01\x2bLONG", 9) != NULL);
	/* ends with the empty PARAMS and the empty STDIN */
	T_OK(b.len > 16 && memcmp(b.data + b.len - 16, "\x01\x04\x00\x07\x00\x00\x00\x00\x01\x05\x00\x07\x00\x00\x00\x00",
				  16) == 0);
	buf_free(&b);
	/* a cap too small: -E2BIG, not a cut request */
	buf_init(&b, 40);
	T_EQ_INT(fcgi_build_request(&b, 1, params), -E2BIG);
	buf_free(&b);
}

static void
test_decode(void)
{
	struct fcgi_resp r;
	struct buf b;
	size_t i;
	int rc = 0;

	buf_init(&b, 1 << 20);
	rec(&b, FCGI_STDERR, 1, "warn", 4, 4);
	rec(&b, FCGI_STDOUT, 1, "Content-type: application/json\r\n\r\n{\"a\"", 38, 3);
	rec(&b, FCGI_STDOUT, 1, ":1}", 3, 0);
	rec(&b, FCGI_STDOUT, 1, "", 0, 0);
	end(&b, 1, 0, 0);
	/* whole, then byte by byte: the same */
	fcgi_resp_init(&r, 1, 1 << 16);
	T_EQ_INT(fcgi_resp_feed(&r, b.data, b.len), 1);
	T_EQ_STR(r.out.data, "Content-type: application/json\r\n\r\n{\"a\":1}");
	T_EQ_INT(r.stderr_len, 4);
	T_OK(r.done && r.proto_status == 0 && r.app_status == 0);
	fcgi_resp_free(&r);
	fcgi_resp_init(&r, 1, 1 << 16);
	for (i = 0; i < b.len; i++)
		rc = fcgi_resp_feed(&r, b.data + i, 1);
	T_EQ_INT(rc, 1);
	T_EQ_STR(r.out.data, "Content-type: application/json\r\n\r\n{\"a\":1}");
	/* bytes after the end are an error */
	T_EQ_INT(fcgi_resp_feed(&r, "x", 1), -1);
	fcgi_resp_free(&r);
	buf_free(&b);
}

static void
test_decode_hostile(void)
{
	struct fcgi_resp r;
	struct buf b;

	/* another request id */
	buf_init(&b, 1 << 20);
	rec(&b, FCGI_STDOUT, 2, "x", 1, 0);
	fcgi_resp_init(&r, 1, 1 << 16);
	T_EQ_INT(fcgi_resp_feed(&r, b.data, b.len), -1);
	T_EQ_STR(r.err, "FastCGI record for another request");
	fcgi_resp_free(&r);
	/* a version that is not 1: not FastCGI (an HTTP server answering) */
	fcgi_resp_init(&r, 1, 1 << 16);
	T_EQ_INT(fcgi_resp_feed(&r, "HTTP/1.1 400 Bad\r\n", 18), -1);
	T_OK(strstr(r.err, "not a FastCGI reply") != NULL);
	fcgi_resp_free(&r);
	/* a type a responder does not send */
	buf_reset(&b);
	rec(&b, FCGI_PARAMS, 1, "", 0, 0);
	fcgi_resp_init(&r, 1, 1 << 16);
	T_EQ_INT(fcgi_resp_feed(&r, b.data, b.len), -1);
	fcgi_resp_free(&r);
	/* END_REQUEST of another size */
	buf_reset(&b);
	rec(&b, FCGI_END_REQUEST, 1, "1234", 4, 0);
	fcgi_resp_init(&r, 1, 1 << 16);
	T_EQ_INT(fcgi_resp_feed(&r, b.data, b.len), -1);
	fcgi_resp_free(&r);
	/* more STDOUT than the cap */
	buf_reset(&b);
	{
		char big[60000];

		memset(big, 'a', sizeof(big));
		rec(&b, FCGI_STDOUT, 1, big, sizeof(big), 0);
		rec(&b, FCGI_STDOUT, 1, big, sizeof(big), 0);
	}
	fcgi_resp_init(&r, 1, 100000);
	T_EQ_INT(fcgi_resp_feed(&r, b.data, b.len), -1);
	T_EQ_STR(r.err, "FastCGI reply too large");
	fcgi_resp_free(&r);
	/* a reply cut short: more needed, never done */
	buf_reset(&b);
	rec(&b, FCGI_STDOUT, 1, "abc", 3, 0);
	fcgi_resp_init(&r, 1, 1 << 16);
	T_EQ_INT(fcgi_resp_feed(&r, b.data, b.len - 1), 0);
	T_OK(!r.done);
	fcgi_resp_free(&r);
	buf_free(&b);
}

static void
test_cgi(void)
{
	const char *body;
	size_t blen;
	char err[128];
	int st;

	T_EQ_INT(fcgi_cgi_split("Content-type: text/plain\r\n\r\nhello", 33, &st, &body, &blen, err, sizeof(err)), 0);
	T_EQ_INT(st, 200);
	T_OK(blen == 5 && memcmp(body, "hello", 5) == 0);
	T_EQ_INT(fcgi_cgi_split("Status: 404 Not Found\nX-Powered-By: PHP\n\nFile not found.\n", 57, &st, &body, &blen,
				err, sizeof(err)),
		 0);
	T_EQ_INT(st, 404);
	T_EQ_INT(fcgi_cgi_split("no headers at all", 17, &st, &body, &blen, err, sizeof(err)), -1);
	T_EQ_STR(err, "CGI headers without an end");
	T_EQ_INT(fcgi_cgi_split("Status: abc\r\n\r\n", 15, &st, &body, &blen, err, sizeof(err)), -1);
	T_EQ_INT(fcgi_cgi_split(": x\r\n\r\n", 7, &st, &body, &blen, err, sizeof(err)), -1);
	T_EQ_INT(fcgi_cgi_split("\r\n", 2, &st, &body, &blen, err, sizeof(err)), 0);
	T_EQ_INT(blen, 0);
}

/* what PHP-FPM 8.2 answers to /status?full&json (the shape of its page) */
static const char status_page[] =
	"{\"pool\":\"alice\",\"process manager\":\"static\",\"start time\":1796000000,\"start since\":12,"
	"\"accepted conn\":5,\"listen queue\":0,\"max listen queue\":0,\"listen queue len\":0,"
	"\"idle processes\":1,\"active processes\":2,\"total processes\":3,\"max active processes\":2,"
	"\"max children reached\":0,\"slow requests\":0,\"processes\":["
	"{\"pid\":4100,\"state\":\"Idle\",\"start time\":1796000000,\"start since\":12,\"requests\":2,"
	"\"request duration\":5012,\"request method\":\"GET\",\"request uri\":\"/index.php\","
	"\"content length\":0,\"user\":\"-\",\"script\":\"/srv/a/index.php\",\"last request cpu\":0.00,"
	"\"last request memory\":2097152},"
	"{\"pid\":4101,\"state\":\"Running\",\"start time\":1796000000,\"start since\":12,\"requests\":3,"
	"\"request duration\":250123,\"request method\":\"POST\",\"request uri\":\"/up\\/load.php?x=1\","
	"\"content length\":412,\"user\":\"-\",\"script\":\"/srv/a/upload.php\",\"last request cpu\":0.00,"
	"\"last request memory\":0}]}";

static void
test_status(void)
{
	struct fpm_worker w;
	char pool[64], err[200];

	T_EQ_INT(fpm_status_find(status_page, strlen(status_page), 4101, pool, sizeof(pool), &w, err, sizeof(err)), 0);
	T_EQ_STR(pool, "alice");
	T_OK(w.busy);
	T_EQ_STR(w.state, "Running");
	T_EQ_STR(w.method, "POST");
	T_EQ_STR(w.uri, "/up/load.php?x=1");
	T_EQ_STR(w.script, "/srv/a/upload.php");
	T_EQ_INT(w.duration_us, 250123);
	T_EQ_INT(w.requests, 3);
	T_EQ_INT(fpm_status_find(status_page, strlen(status_page), 4100, NULL, 0, &w, err, sizeof(err)), 0);
	T_OK(!w.busy);
	T_EQ_INT(fpm_status_find(status_page, strlen(status_page), 999, NULL, 0, &w, err, sizeof(err)), -ENOENT);
	T_EQ_STR(err, "the status page does not list pid 999");
	/* not JSON (the page without ?json), JSON without processes (without ?full) */
	T_EQ_INT(fpm_status_find("pool: alice\n", 12, 4101, NULL, 0, &w, err, sizeof(err)), -EINVAL);
	T_OK(strncmp(err, "status page is not JSON", 23) == 0);
	T_EQ_INT(fpm_status_find("{\"pool\":\"alice\"}", 16, 4101, NULL, 0, &w, err, sizeof(err)), -EINVAL);
	/* hostile strings: control bytes never come out raw; long ones are cut */
	{
		const char *h = "{\"processes\":[{\"pid\":7,\"state\":\"Running\",\"request method\":\"P\\u001bOST\","
				"\"request uri\":\"/a\\nb\"}]}";

		T_EQ_INT(fpm_status_find(h, strlen(h), 7, NULL, 0, &w, err, sizeof(err)), 0);
		T_EQ_STR(w.method, "P?OST");
		T_EQ_STR(w.uri, "/a?b");
	}
	{
		struct buf b;
		size_t i;

		buf_init(&b, 1 << 20);
		buf_puts(&b, "{\"processes\":[{\"pid\":8,\"state\":\"Running\",\"request uri\":\"/");
		for (i = 0; i < 3000; i++)
			buf_puts(&b, "\xc3\xa9");
		buf_puts(&b, "\"}]}");
		T_EQ_INT(fpm_status_find(b.data, b.len, 8, NULL, 0, &w, err, sizeof(err)), 0);
		T_EQ_INT(strlen(w.uri), 1023); /* "/" and 511 whole é */
		buf_free(&b);
	}
	/* a pid given as a string or negative is no match */
	{
		const char *h = "{\"processes\":[{\"pid\":\"7\"},{\"pid\":-7}]}";

		T_EQ_INT(fpm_status_find(h, strlen(h), 7, NULL, 0, &w, err, sizeof(err)), -ENOENT);
	}
}

int
main(void)
{
	test_build();
	test_decode();
	test_decode_hostile();
	test_cgi();
	test_status();
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail != 0;
}
