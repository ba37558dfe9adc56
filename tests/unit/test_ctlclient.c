// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket client against a real Unix socket served by a thread:
 * one request line out, response lines back (split across reads, several in
 * one read), a timeout, the end of the stream; and json_field, which reads a
 * reply's top-level fields through the JSON parser. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlclient.h"
#include "t.h"

static char sock_path[108];
static char got[256]; /* the request line the server read */

/* one connection: read a line, then answer with the script of writes */
struct script {
	int lfd;
	const char *const *writes; /* NULL-terminated; "" = pause 50 ms */
};

static void *
serve(void *arg)
{
	struct script *sc = arg;
	int fd = accept(sc->lfd, NULL, NULL);
	size_t n = 0, i;
	ssize_t r;

	if (fd < 0)
		return NULL;
	while (n + 1 < sizeof(got) && (r = read(fd, got + n, 1)) == 1 && got[n] != '\n')
		n++;
	got[n] = '\0';
	for (i = 0; sc->writes[i]; i++) {
		if (sc->writes[i][0] == '\0')
			usleep(50000);
		else if (write(fd, sc->writes[i], strlen(sc->writes[i])) < 0)
			break;
	}
	close(fd);
	return NULL;
}

static int
listen_on(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	unlink(sock_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
		return -1;
	return fd;
}

static void
test_call(void)
{
	static const char *const w[] = { "{\"ok\":", "", "true,\"n\":3}\n", NULL };
	struct script sc = { listen_on(), w };
	pthread_t th;
	char *reply = NULL;

	T_OK(sc.lfd >= 0);
	if (sc.lfd < 0)
		return;
	pthread_create(&th, NULL, serve, &sc);
	T_EQ_INT(ctlclient_call(sock_path, "status", "--x y", 2000, &reply), 0);
	pthread_join(th, NULL);
	T_EQ_STR(got, "status --x y");
	T_EQ_STR(reply, "{\"ok\":true,\"n\":3}"); /* one line from two reads */
	free(reply);

	reply = NULL;
	pthread_create(&th, NULL, serve, &sc);
	T_EQ_INT(ctlclient_call(sock_path, "sync", NULL, 2000, &reply), 0);
	pthread_join(th, NULL);
	T_EQ_STR(got, "sync");
	free(reply);
	close(sc.lfd);
	unlink(sock_path);
}

static void
test_lines_timeout_eof(void)
{
	static const char *const w[] = { "{\"a\":1}\n{\"b\":2}\n{\"c\"", "", "", "", "", "", ":3}\n", NULL };
	struct script sc = { listen_on(), w };
	struct buf acc, out;
	pthread_t th;
	int fd;

	T_OK(sc.lfd >= 0);
	if (sc.lfd < 0)
		return;
	pthread_create(&th, NULL, serve, &sc);
	fd = ctlclient_connect(sock_path);
	T_OK(fd >= 0);
	buf_init(&acc, 1 << 20);
	buf_init(&out, 1 << 20);
	T_EQ_INT(ctlclient_send(fd, "events", "--follow"), 0);
	T_EQ_INT(ctlclient_readline(fd, &acc, &out, 2000), 0);
	T_EQ_STR(out.data, "{\"a\":1}");
	T_EQ_INT(ctlclient_readline(fd, &acc, &out, 2000), 0); /* already read */
	T_EQ_STR(out.data, "{\"b\":2}");
	/* the third line is held back 250 ms: a 20 ms wait times out */
	T_EQ_INT(ctlclient_readline(fd, &acc, &out, 20), -ETIMEDOUT);
	T_EQ_INT(ctlclient_readline(fd, &acc, &out, 5000), 0);
	T_EQ_STR(out.data, "{\"c\":3}");
	T_EQ_INT(ctlclient_readline(fd, &acc, &out, 5000), -EPIPE); /* closed */
	pthread_join(th, NULL);
	close(fd);
	buf_free(&acc);
	buf_free(&out);
	close(sc.lfd);
	unlink(sock_path);
	T_EQ_INT(ctlclient_connect(sock_path), -ENOENT);
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	T_EQ_INT(ctlclient_connect(longp), -ENAMETOOLONG);
}

static void
test_json_field(void)
{
	char v[64];

	T_OK(json_field("{\"ok\":true,\"n\":-12.5e1,\"s\":\"a\\\"b\",\"z\":null}", "ok", v, sizeof(v)));
	T_EQ_STR(v, "true");
	T_OK(json_field("{\"ok\":true,\"n\":-12.5e1,\"s\":\"a\\\"b\",\"z\":null}", "n", v, sizeof(v)));
	T_EQ_STR(v, "-12.5e1");
	T_OK(json_field("{\"ok\":true,\"n\":-12.5e1,\"s\":\"a\\\"b\",\"z\":null}", "s", v, sizeof(v)));
	T_EQ_STR(v, "a\\\"b"); /* escapes stay */
	T_OK(json_field("{\"ok\":true,\"z\":null}", "z", v, sizeof(v)));
	T_EQ_STR(v, "null");
	T_OK(json_field("{ \"error\" : \"no route\\u001b[2J\" }", "error", v, sizeof(v)));
	T_EQ_STR(v, "no route\\u001b[2J"); /* a control character stays escaped */
	T_OK(json_field("{\"ok\": false}", "ok", v, sizeof(v)));
	T_EQ_STR(v, "false");

	/* the top level only: a nested key (first in the text) is not the field */
	T_OK(json_field("{\"detail\":{\"ok\":true},\"ok\":false}", "ok", v, sizeof(v)));
	T_EQ_STR(v, "false");
	T_OK(!json_field("{\"detail\":{\"ok\":true}}", "ok", v, sizeof(v)));
	/* a string that holds what looks like the key */
	T_OK(!json_field("{\"error\":\"bad \\\"queued\\\":1\"}", "queued", v, sizeof(v)));
	T_OK(!json_field("{\"ok\":tru", "ok", v, sizeof(v)));       /* not JSON */
	T_OK(!json_field("[{\"ok\":true}]", "ok", v, sizeof(v)));    /* not an object */
	T_OK(!json_field("{\"ok\":[true]}", "ok", v, sizeof(v)));    /* not flat */
	T_OK(!json_field("{\"ok\":true}", "missing", v, sizeof(v))); /* absent */
	/* truncated to the buffer, terminated */
	T_OK(json_field("{\"s\":\"abcdefgh\"}", "s", v, 4));
	T_EQ_STR(v, "abc");
}

int
main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/wsid-ctlclient.%d.sock", (int)getpid());
	T_RUN(test_call);
	T_RUN(test_lines_timeout_eof);
	T_RUN(test_json_field);
	T_DONE();
}
