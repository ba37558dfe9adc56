// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket client; see ctlclient.h. */
#include "ctlclient.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jsonparse.h"

int
ctlclient_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int
ctlclient_send(int fd, const char *verb, const char *arg)
{
	char *line = arg && arg[0] ? xasprintf("%s %s\n", verb, arg) : xasprintf("%s\n", verb);
	size_t off = 0, len = strlen(line);
	int r = 0;

	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	free(line);
	return r;
}

int
ctlclient_readline(int fd, struct buf *acc, struct buf *out, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : now_mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		char *nl = acc->data ? memchr(acc->data, '\n', acc->len) : NULL;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char chunk[65536];
		ssize_t n;
		int wait = -1, pr;

		if (nl) {
			size_t len = (size_t)(nl - acc->data);

			buf_reset(out);
			buf_append(out, acc->data, len);
			memmove(acc->data, nl + 1, acc->len - len - 1);
			acc->len -= len + 1;
			acc->data[acc->len] = '\0';
			return 0;
		}
		if (timeout_ms >= 0) {
			uint64_t now = now_mono_ns();

			if (now >= deadline)
				return -ETIMEDOUT;
			wait = (int)((deadline - now) / 1000000ull) + 1;
		}
		pr = poll(&pfd, 1, wait);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return -ETIMEDOUT;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		if (buf_append(acc, chunk, (size_t)n) < 0)
			return -E2BIG;
	}
}

int
ctlclient_call(const char *path, const char *verb, const char *arg, int timeout_ms, char **ret)
{
	struct buf acc, out;
	int fd = ctlclient_connect(path), r;

	if (fd < 0)
		return fd;
	buf_init(&acc, 16u << 20);
	buf_init(&out, 16u << 20);
	r = ctlclient_send(fd, verb, arg);
	if (r == 0)
		r = ctlclient_readline(fd, &acc, &out, timeout_ms);
	close(fd);
	if (r == 0)
		*ret = buf_steal(&out);
	buf_free(&acc);
	buf_free(&out);
	return r;
}

/* a top-level field of a reply, found by the JSON parser (a key nested in
 * another object, or text inside a string, is not the field) */
bool
json_field(const char *json, const char *key, char *out, size_t outsz)
{
	struct jnode *root = NULL;
	const struct jnode *v;
	const char *p, *e;
	char err[128];
	bool ok = false;
	size_t n;

	if (outsz == 0 || jsonp_parse(json, strlen(json), &root, err, sizeof(err)) < 0)
		return false;
	if (root->t != J_OBJ || (v = jsonp_get(root, key)) == NULL)
		goto out;
	switch (v->t) {
	case J_STR:
		/* the text between the quotes as the daemon wrote it: escapes
		 * stay escaped, so a name never reaches a terminal raw */
		p = json + v->off + 1;
		for (e = p; *e && *e != '"'; e++)
			if (*e == '\\' && e[1])
				e++;
		break;
	case J_NUM:
		p = v->s;
		e = p + strlen(p);
		break;
	case J_BOOL:
		p = v->b ? "true" : "false";
		e = p + strlen(p);
		break;
	case J_NULL:
		p = "null";
		e = p + 4;
		break;
	default: /* objects and arrays are not flat fields */
		goto out;
	}
	n = (size_t)(e - p) < outsz - 1 ? (size_t)(e - p) : outsz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	ok = true;
out:
	jsonp_free(root);
	return ok;
}
