// SPDX-License-Identifier: GPL-2.0-or-later
/* fetch against an HTTP server on 127.0.0.1 that the test runs in a thread
 * of its own (one connection at a time, each closed after its answer): a
 * download; the size cap, announced (Content-Length) or not (a stream cut
 * off while it is read); 404; a redirect to http (only https is followed),
 * a scheme that is not http(s), a server that does not speak HTTP and one
 * too slow, each refused with the URL and the reason in the error; a
 * partial download resumed with a Range request, dropped when the server
 * answers whole (libcurl refuses the resume; the next call starts over) or
 * 416; the interval between two requests;
 * fetch_url_origin. Then what index fetch does with a downloaded release
 * archive: read from memory by ingest, which refuses an entry with "..", an
 * absolute name and a symbolic link, naming the entry, and writes nothing.
 * TLS (certificate checks) is left to integration/fetch. */
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "fetch.h"
#include "hash.h"
#include "ingest.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/wsid-test-fetch.XXXXXX";

/* ---- the server ---- */

#define BODY "the body of a release, long enough to be resumed in the middle\n"

struct member {
	const char *name, *link; /* link: a symbolic link to it */
};

static struct {
	int lfd;
	int port;
	pthread_t thread;
	unsigned requests;
	char range[64];  /* the Range header of the last request, "" when none */
	struct buf tars[4]; /* served as /tar/0 ... /tar/3 */
} srv;

static void
send_all(int fd, const void *p, size_t n)
{
	/* a client that gave up (a size cap, a refused resume) closed it */
	if (fd_write_all(fd, p, n) < 0 && errno != EPIPE && errno != ECONNRESET)
		printf("# server: write: %s\n", strerror(errno));
}

static void
answer(int fd, const char *status, const char *headers, const void *body, size_t len)
{
	char *h = xasprintf("HTTP/1.1 %s\r\n%sConnection: close\r\n\r\n", status, headers);

	send_all(fd, h, strlen(h));
	free(h);
	if (len)
		send_all(fd, body, len);
}

static void
answer_len(int fd, const char *status, const void *body, size_t len)
{
	char hdr[64];

	snprintf(hdr, sizeof(hdr), "Content-Length: %zu\r\n", len);
	answer(fd, status, hdr, body, len);
}

static void
serve_one(int fd)
{
	char req[4096], path[256] = "", *p;
	size_t len = 0;
	ssize_t n;

	/* the request's head */
	while (len < sizeof(req) - 1 && (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	srv.requests++;
	sscanf(req, "GET %255s ", path);
	srv.range[0] = '\0';
	if ((p = strcasestr(req, "\r\nRange: ")) != NULL)
		sscanf(p + 9, "%63[^\r]", srv.range);

	if (strcmp(path, "/ok") == 0) {
		answer_len(fd, "200 OK", BODY, strlen(BODY));
	} else if (strcmp(path, "/big") == 0) {
		char big[5000];

		memset(big, 'x', sizeof(big));
		answer_len(fd, "200 OK", big, sizeof(big));
	} else if (strcmp(path, "/stream") == 0) {
		/* no length said: the cap is found while reading */
		char big[5000];

		memset(big, 'y', sizeof(big));
		answer(fd, "200 OK", "", big, sizeof(big));
	} else if (strcmp(path, "/redirect") == 0) {
		char *h = xasprintf("Location: http://127.0.0.1:%d/ok\r\nContent-Length: 0\r\n", srv.port);

		answer(fd, "302 Found", h, NULL, 0);
		free(h);
	} else if (strcmp(path, "/garbage") == 0) {
		send_all(fd, "SSH-2.0-OpenSSH_9.2\r\nnot an HTTP answer\r\n", 41);
	} else if (strcmp(path, "/slow") == 0) {
		sleep(1);
		answer_len(fd, "200 OK", BODY, strlen(BODY));
	} else if (strcmp(path, "/range") == 0) {
		unsigned long from = 0;

		if (sscanf(srv.range, "bytes=%lu-", &from) == 1 && from < strlen(BODY)) {
			char *h = xasprintf("Content-Range: bytes %lu-%zu/%zu\r\nContent-Length: %zu\r\n", from,
					    strlen(BODY) - 1, strlen(BODY), strlen(BODY) - from);

			answer(fd, "206 Partial Content", h, BODY + from, strlen(BODY) - from);
			free(h);
		} else {
			answer_len(fd, "200 OK", BODY, strlen(BODY));
		}
	} else if (strcmp(path, "/whole") == 0) {
		answer_len(fd, "200 OK", BODY, strlen(BODY)); /* Range ignored */
	} else if (strcmp(path, "/unsatisfiable") == 0) {
		answer(fd, "416 Range Not Satisfiable", "Content-Length: 0\r\n", NULL, 0);
	} else if (strncmp(path, "/tar/", 5) == 0 && path[5] >= '0' && path[5] <= '3' && !path[6]) {
		const struct buf *t = &srv.tars[path[5] - '0'];

		answer_len(fd, "200 OK", t->data, t->len);
	} else {
		answer_len(fd, "404 Not Found", "no\n", 3);
	}
}

static void *
server(void *ud)
{
	(void)ud;
	for (;;) {
		int fd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL; /* shut down */
		}
		serve_one(fd);
		close(fd);
	}
}

static int
server_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv.lfd, 8) < 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	srv.port = ntohs(sa.sin_port);
	return pthread_create(&srv.thread, NULL, server, NULL) == 0 ? 0 : -1;
}

static void
server_stop(void)
{
	shutdown(srv.lfd, SHUT_RDWR);
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
}

static char *
url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", srv.port, path);
}

/* ---- the fetcher ---- */

static struct fetch_opts
opts(void)
{
	struct fetch_opts o = { .connect_timeout_ms = 5000, .timeout_ms = 10000, .max_bytes = 1000 };

	return o;
}

/* GET path: the status or error, the body (or NULL) in *body, err in e */
static int
get(const struct fetch_opts *o, const char *path, char **body, size_t *len, char *e, size_t esz)
{
	struct fetcher *f = NULL;
	char *u = strstr(path, "://") ? xstrdup(path) : url(path);
	int r;

	*body = NULL;
	*len = 0;
	e[0] = '\0';
	if ((r = fetch_new(o, &f)) < 0)
		return r;
	r = fetch_get(f, u, body, len, e, esz);
	fetch_free(f);
	free(u);
	return r;
}

/* T_EQ_INT evaluates its arguments again to print them */
#define T_GET(want, ...)                                                       \
	do {                                                                   \
		int got_ = get(__VA_ARGS__);                                   \
		T_EQ_INT(got_, want);                                          \
	} while (0)

static void
test_download(void)
{
	struct fetch_opts o = opts();
	char e[1024], *body, *u = url("/missing");
	size_t len;

	T_GET(200, &o, "/ok", &body, &len, e, sizeof(e));
	T_EQ_INT(len, strlen(BODY));
	T_EQ_STR(body, BODY);
	free(body);

	/* 404: the status, no body, the URL and the status said */
	T_GET(404, &o, "/missing", &body, &len, e, sizeof(e));
	T_OK(body == NULL);
	T_CHECK(strstr(e, u) == e && strstr(e, "HTTP 404"), "%s", e);
	free(u);
}

static void
test_size_cap(void)
{
	struct fetch_opts o = opts();
	char e[1024], *body;
	size_t len;

	T_GET(-E2BIG, &o, "/big", &body, &len, e, sizeof(e));
	T_OK(body == NULL);
	T_CHECK(strstr(e, "/big: larger than 1000 bytes: refused") != NULL, "%s", e);
	T_GET(-E2BIG, &o, "/stream", &body, &len, e, sizeof(e));
	T_OK(body == NULL);
	T_CHECK(strstr(e, "/stream: larger than 1000 bytes: refused") != NULL, "%s", e);
	/* under the cap it is taken */
	o.max_bytes = 5000;
	T_GET(200, &o, "/stream", &body, &len, e, sizeof(e));
	T_EQ_INT(len, 5000);
	free(body);
}

static void
test_refusals(void)
{
	struct fetch_opts o = opts();
	char e[1024], *body, *u;
	unsigned before;
	size_t len;

	/* a redirect to plain http is not followed */
	before = srv.requests;
	T_GET(-EIO, &o, "/redirect", &body, &len, e, sizeof(e));
	T_OK(body == NULL);
	u = url("/redirect");
	T_CHECK(strncmp(e, u, strlen(u)) == 0 && strlen(e) > strlen(u) + 2, "%s", e);
	printf("# redirect: %s\n", e);
	free(u);
	T_EQ_INT(srv.requests, before + 1); /* /ok never asked */

	/* a scheme that is not http(s): nothing asked */
	before = srv.requests;
	T_GET(-EIO, &o, "ftp://127.0.0.1/x", &body, &len, e, sizeof(e));
	T_CHECK(strncmp(e, "ftp://127.0.0.1/x: ", 19) == 0, "%s", e);
	T_EQ_INT(srv.requests, before);

	/* not HTTP */
	T_GET(-EIO, &o, "/garbage", &body, &len, e, sizeof(e));
	T_OK(body == NULL);
	T_CHECK(strstr(e, "/garbage: ") != NULL, "%s", e);
	printf("# garbage: %s\n", e);

	/* too slow */
	o.timeout_ms = 200;
	T_GET(-ETIMEDOUT, &o, "/slow", &body, &len, e, sizeof(e));
	T_CHECK(strstr(e, "/slow: ") != NULL, "%s", e);
}

/* the first n bytes of data into path; 0 or -1 */
static int
put_n(const char *path, const char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = fd >= 0 && fd_write_all(fd, data, n) == 0 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return r;
}

/* the part file a download of path waits in */
static char *
part_of(const char *partdir, const char *path)
{
	char *u = url(path), hex[SHA256_LEN * 2 + 1], *p;
	uint8_t h[SHA256_LEN];

	sha256_buf(u, strlen(u), h);
	hex_encode(h, sizeof(h), hex);
	p = xasprintf("%s/%s.part", partdir, hex);
	free(u);
	return p;
}

static void
test_resume(void)
{
	struct fetch_opts o = opts();
	char e[1024], *body, *part, partdir[128];
	size_t len;

	snprintf(partdir, sizeof(partdir), "%s/parts", dir);
	T_EQ_INT(mkdir(partdir, 0700), 0);
	o.partdir = partdir;

	/* the first 20 bytes are there: the rest is asked for */
	part = part_of(partdir, "/range");
	T_EQ_INT(put_n(part, BODY, 20), 0);
	T_GET(206, &o, "/range", &body, &len, e, sizeof(e));
	T_EQ_STR(srv.range, "bytes=20-");
	T_EQ_STR(body, BODY);
	T_EQ_INT(access(part, F_OK), -1); /* complete: gone */
	free(body);
	free(part);

	/* a server that answers whole (no ranges): the part is dropped, the
	 * next call starts over and nothing of the old part is kept */
	part = part_of(partdir, "/whole");
	T_EQ_INT(put_n(part, "XXXXXXXXXXXXXXXXXXXX", 20), 0);
	T_GET(-EIO, &o, "/whole", &body, &len, e, sizeof(e));
	T_EQ_STR(srv.range, "bytes=20-");
	T_CHECK(strstr(e, "/whole: cannot resume") != NULL, "%s", e);
	T_OK(body == NULL);
	T_EQ_INT(access(part, F_OK), -1);
	T_GET(200, &o, "/whole", &body, &len, e, sizeof(e));
	T_EQ_STR(srv.range, "");
	T_EQ_STR(body, BODY);
	free(body);
	free(part);

	/* 416: the part is stale, dropped */
	part = part_of(partdir, "/unsatisfiable");
	T_EQ_INT(put_n(part, "0123456789", 10), 0);
	T_GET(-EIO, &o, "/unsatisfiable", &body, &len, e, sizeof(e));
	T_CHECK(strstr(e, "cannot resume (HTTP 416)") != NULL, "%s", e);
	T_EQ_INT(access(part, F_OK), -1);
	free(part);
}

static void
test_interval(void)
{
	struct fetch_opts o = opts();
	struct fetcher *f = NULL;
	char e[1024], *body = NULL, *u = url("/ok");
	size_t len;
	uint64_t t0;

	o.interval_ms = 300;
	T_EQ_INT(fetch_new(&o, &f), 0);
	T_EQ_INT(fetch_get(f, u, &body, &len, e, sizeof(e)), 200);
	free(body);
	t0 = now_mono_ns();
	T_EQ_INT(fetch_get(f, u, &body, &len, e, sizeof(e)), 200);
	T_CHECK(now_mono_ns() - t0 >= 250000000ull, "%llu ns", (unsigned long long)(now_mono_ns() - t0));
	free(body);
	fetch_free(f);
	free(u);
}

static void
test_origin(void)
{
	char o[64];

	T_EQ_INT(fetch_url_origin("https://downloads.wordpress.org/plugin/x.zip", o, sizeof(o)), 0);
	T_EQ_STR(o, "https://downloads.wordpress.org");
	T_EQ_INT(fetch_url_origin("https://api.example?x=1", o, sizeof(o)), 0);
	T_EQ_STR(o, "https://api.example");
	T_EQ_INT(fetch_url_origin("no-scheme/x", o, sizeof(o)), -EINVAL);
	T_EQ_INT(fetch_url_origin("https:///path", o, sizeof(o)), -EINVAL);
	T_EQ_INT(fetch_url_origin("https://user@evil.example/", o, sizeof(o)), -EINVAL);
	T_EQ_INT(fetch_url_origin("https://a-rather-long-host.example/", o, 10), -EINVAL);
}

/* ---- a downloaded archive, read by ingest ---- */

/* a tar of plugin/ok.php and the members given, into b */
static void
make_tar(struct buf *b, const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();
	size_t used = 0, i;
	static char mem[64 * 1024];

	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, mem, sizeof(mem), &used);
	for (i = 0; i <= n; i++) {
		struct archive_entry *e = archive_entry_new();
		const char *name = i == 0 ? "plugin/ok.php" : m[i - 1].name;
		const char *link = i == 0 ? NULL : m[i - 1].link;

		archive_entry_set_pathname(e, name);
		archive_entry_set_perm(e, 0644);
		if (link) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, link);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, 6);
		}
		archive_write_header(a, e);
		if (!link)
			archive_write_data(a, "<?php\n", 6);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	buf_init(b, 0);
	buf_append(b, mem, used);
}

static void
ingest_downloaded(int k, const char *what, const char *named)
{
	struct fetch_opts o = opts();
	struct ingest_opts io = { .product = "plugin", .version = "1.0", .kind = "plugin",
				  .strip_top = true };
	struct ingest_result ir = { 0 };
	char e[1024], path[32], out[192], set[256], *body;
	size_t len;
	int r;

	o.max_bytes = 1 << 20;
	snprintf(path, sizeof(path), "/tar/%d", k);
	T_GET(200, &o, path, &body, &len, e, sizeof(e));
	T_EQ_INT(len, srv.tars[k].len);
	snprintf(out, sizeof(out), "%s/sets-%d", dir, k);
	io.source = path;
	io.outdir = out;
	io.data = body;
	io.len = len;
	r = ingest_run(&io, &ir, e, sizeof(e));
	snprintf(set, sizeof(set), "%s/plugin/1.0.sha256", out);
	if (named == NULL) {
		T_CHECK(r == 0, "%s: %s", what, e);
		T_EQ_INT(ir.files, 1);
		T_EQ_INT(access(set, F_OK), 0);
	} else {
		T_CHECK(r < 0 && strstr(e, named) && strstr(e, "refused"), "%s: %d %s", what, r, e);
		printf("# %s: %s\n", what, e);
		T_CHECK(access(set, F_OK) < 0, "%s: a set was written", what);
	}
	ingest_result_free(&ir);
	free(body);
}

static void
test_archives(void)
{
	ingest_downloaded(0, "clean", NULL);
	ingest_downloaded(1, "dot-dot", "'plugin/../../etc/cron.d/x'");
	ingest_downloaded(2, "absolute", "'/etc/x.php'");
	ingest_downloaded(3, "symlink", "'plugin/link.php' is a symbolic link");
}

int
main(void)
{
	static const struct member dotdot[] = { { "plugin/../../etc/cron.d/x", NULL } };
	static const struct member absolute[] = { { "/etc/x.php", NULL } };
	static const struct member symlink[] = { { "plugin/link.php", "/etc/shadow" } };
	int i;

	signal(SIGPIPE, SIG_IGN); /* a client that gives up on an answer */
	if (mkdtemp(dir) == NULL || server_start() < 0)
		return 2;
	make_tar(&srv.tars[0], NULL, 0);
	make_tar(&srv.tars[1], dotdot, 1);
	make_tar(&srv.tars[2], absolute, 1);
	make_tar(&srv.tars[3], symlink, 1);
	T_RUN(test_download);
	T_RUN(test_size_cap);
	T_RUN(test_refusals);
	T_RUN(test_resume);
	T_RUN(test_interval);
	T_RUN(test_origin);
	T_RUN(test_archives);
	server_stop();
	for (i = 0; i < 4; i++)
		buf_free(&srv.tars[i]);
	t_rmtree(dir);
	T_DONE();
}
