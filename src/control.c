// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket server; see control.h. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct cclient {
	uint64_t id;
	int fd;
	bool privileged;
	bool follow;
	bool close_after;
	bool dead;
	char in[CONTROL_LINE_MAX + 1];
	size_t inlen;
	struct buf out;
	size_t outoff;
};

struct control {
	int lfd, efd;
	char *path;
	gid_t read_group;
	control_fn fn;
	void *ud;
	struct cclient *cl[CONTROL_CLIENTS_MAX];
	uint64_t next_id;
};

int
control_parse_line(char *line, size_t len, char **verb, char **arg)
{
	size_t i;
	char *sp;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return -EINVAL;
	sp = strchr(line, ' ');
	if (sp) {
		*sp = '\0';
		*arg = sp + 1;
	} else
		*arg = line + len;
	if (line[0] == '\0' || strlen(line) > 32)
		return -EINVAL;
	for (i = 0; line[i]; i++)
		if (!((line[i] >= 'a' && line[i] <= 'z') || line[i] == '-'))
			return -EINVAL;
	*verb = line;
	return 0;
}

static struct cclient *
client_by_id(struct control *c, uint64_t id)
{
	size_t i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->cl[i] && c->cl[i]->id == id && !c->cl[i]->dead)
			return c->cl[i];
	return NULL;
}

static void
client_close(struct control *c, size_t i)
{
	struct cclient *cl = c->cl[i];

	epoll_ctl(c->efd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	buf_free(&cl->out);
	free(cl);
	c->cl[i] = NULL;
}

static void
client_want(struct control *c, struct cclient *cl)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = cl->id };

	if (cl->out.len > cl->outoff)
		ev.events |= EPOLLOUT;
	epoll_ctl(c->efd, EPOLL_CTL_MOD, cl->fd, &ev);
}

static void
client_flush(struct control *c, struct cclient *cl)
{
	while (cl->out.len > cl->outoff) {
		ssize_t n = send(cl->fd, cl->out.data + cl->outoff, cl->out.len - cl->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			cl->dead = true;
			return;
		}
		cl->outoff += (size_t)n;
	}
	if (cl->outoff == cl->out.len) {
		buf_reset(&cl->out);
		cl->outoff = 0;
		if (cl->close_after) {
			shutdown(cl->fd, SHUT_WR);
			cl->dead = true;
			return;
		}
	}
	client_want(c, cl);
}

void
control_reply(struct control *c, uint64_t client, const char *line, bool close_after)
{
	struct cclient *cl = client_by_id(c, client);

	if (cl == NULL)
		return;
	if (buf_puts(&cl->out, line) < 0 || buf_putc(&cl->out, '\n') < 0) {
		/* a reader that does not read: drop it rather than grow */
		cl->dead = true;
		return;
	}
	if (close_after)
		cl->close_after = true;
	client_flush(c, cl);
}

void
control_follow(struct control *c, uint64_t client)
{
	struct cclient *cl = client_by_id(c, client);

	if (cl)
		cl->follow = true;
}

void
control_broadcast(struct control *c, const char *line)
{
	size_t i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->cl[i] && c->cl[i]->follow && !c->cl[i]->dead)
			control_reply(c, c->cl[i]->id, line, false);
}

size_t
control_nclients(const struct control *c)
{
	size_t i, n = 0;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->cl[i])
			n++;
	return n;
}

int
control_open(const char *path, gid_t read_group, control_fn fn, void *ud, struct control **ret)
{
	struct control *c = xcalloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
	char *dup, *dir;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		free(c);
		return -ENAMETOOLONG;
	}
	c->path = xstrdup(path);
	c->read_group = read_group;
	c->fn = fn;
	c->ud = ud;
	c->next_id = 1;
	c->lfd = c->efd = -1;
	dup = xstrdup(path);
	dir = dirname(dup);
	if (mkdir(dir, read_group ? 0750 : 0700) < 0 && errno != EEXIST) {
		r = -errno;
		free(dup);
		goto fail;
	}
	if (read_group && chown(dir, 0, read_group) < 0)
		log_warn("control: chown %s", dir);
	free(dup);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		r = -errno;
		goto fail;
	}
	/* a stale socket from a killed daemon: replace it; anything else: refuse */
	{
		struct stat st;

		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				r = -EEXIST;
				goto fail;
			}
			unlink(path);
		}
	}
	old = umask(read_group ? 0117 : 0177);
	r = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(c->lfd, 16) < 0) {
		r = -errno;
		goto fail;
	}
	if (read_group && chown(path, 0, read_group) < 0)
		log_warn("control: chown %s", path);
	c->efd = epoll_create1(EPOLL_CLOEXEC);
	if (c->efd < 0 || epoll_ctl(c->efd, EPOLL_CTL_ADD, c->lfd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	control_free(c);
	return r;
}

void
control_free(struct control *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->cl[i])
			client_close(c, i);
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->path);
	}
	if (c->efd >= 0)
		close(c->efd);
	free(c->path);
	free(c);
}

int
control_fd(const struct control *c)
{
	return c->efd;
}

static bool
in_group(uid_t uid, gid_t gid, gid_t want)
{
	(void)uid;
	return want != 0 && gid == want;
}

static void
control_accept(struct control *c)
{
	for (;;) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr;
		socklen_t sl = sizeof(cr);
		struct cclient *cl;
		struct epoll_event ev;
		size_t i;

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0 ||
		    (cr.uid != 0 && !in_group(cr.uid, cr.gid, c->read_group))) {
			static const char msg[] = "{\"ok\":false,\"error\":\"permission denied\"}\n";

			if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing to do */
			}
			close(fd);
			continue;
		}
		for (i = 0; i < CONTROL_CLIENTS_MAX && c->cl[i]; i++)
			;
		if (i == CONTROL_CLIENTS_MAX) {
			static const char msg[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";

			if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing to do */
			}
			close(fd);
			continue;
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->id = c->next_id++;
		cl->fd = fd;
		cl->privileged = cr.uid == 0;
		buf_init(&cl->out, CONTROL_OUT_MAX);
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u64 = cl->id;
		if (epoll_ctl(c->efd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(cl);
			continue;
		}
		c->cl[i] = cl;
	}
}

static void
client_read(struct control *c, struct cclient *cl)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (cl->inlen >= CONTROL_LINE_MAX) {
			control_reply(c, cl->id, "{\"ok\":false,\"error\":\"request too long\"}", true);
			return;
		}
		n = recv(cl->fd, cl->in + cl->inlen, CONTROL_LINE_MAX - cl->inlen, MSG_DONTWAIT);
		if (n == 0) {
			/* the peer closed its side: followers and waiters are done */
			cl->dead = true;
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				cl->dead = true;
			return;
		}
		cl->inlen += (size_t)n;
		while ((nl = memchr(cl->in, '\n', cl->inlen)) != NULL) {
			size_t len = (size_t)(nl - cl->in);
			char line[CONTROL_LINE_MAX + 1], *verb, *arg;
			uint64_t id = cl->id;

			memcpy(line, cl->in, len);
			memmove(cl->in, nl + 1, cl->inlen - len - 1);
			cl->inlen -= len + 1;
			if (control_parse_line(line, len, &verb, &arg) < 0) {
				control_reply(c, id, "{\"ok\":false,\"error\":\"malformed request\"}", true);
				return;
			}
			c->fn(c->ud, id, verb, arg, cl->privileged);
			/* the handler may have closed or freed nothing: re-find */
			if (client_by_id(c, id) == NULL || cl->dead || cl->close_after)
				return;
		}
	}
}

void
control_dispatch(struct control *c)
{
	struct epoll_event evs[16];
	int n, i;
	size_t k;

	n = epoll_wait(c->efd, evs, 16, 0);
	for (i = 0; i < n; i++) {
		struct cclient *cl;

		if (evs[i].data.u64 == 0) {
			control_accept(c);
			continue;
		}
		cl = client_by_id(c, evs[i].data.u64);
		if (cl == NULL)
			continue;
		if (evs[i].events & EPOLLIN)
			client_read(c, cl);
		if (!cl->dead && (evs[i].events & EPOLLOUT))
			client_flush(c, cl);
		if (!cl->dead && (evs[i].events & (EPOLLHUP | EPOLLERR)))
			cl->dead = true;
	}
	for (k = 0; k < CONTROL_CLIENTS_MAX; k++)
		if (c->cl[k] && c->cl[k]->dead)
			client_close(c, k);
}

size_t
control_nfollowers(const struct control *c)
{
	size_t i, n = 0;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->cl[i] && c->cl[i]->follow && !c->cl[i]->dead)
			n++;
	return n;
}
