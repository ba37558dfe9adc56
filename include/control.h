/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Daemon side of the control socket: a Unix stream socket, root-only (peer
 * credentials checked with SO_PEERCRED; optionally a group may use the read-only
 * verbs). A request is one line of at most CONTROL_LINE_MAX bytes:
 *     VERB [ARG]\n
 * where ARG, when it is a path, is base64 (paths are bytes). Every response
 * is one JSON object per line. Anything malformed or oversized gets
 * {"ok":false,"error":"..."} and the connection is closed; nothing a client
 * sends can crash or stall the daemon (non-blocking I/O, capped buffers). */
#ifndef WSID_CONTROL_H
#define WSID_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONTROL_LINE_MAX 4096
#define CONTROL_OUT_MAX (4u * 1024 * 1024)
#define CONTROL_CLIENTS_MAX 64

struct control;

/* verb handler: reply with control_reply() now or later (by id); `privileged`
 * tells whether the peer is root (else only read-only verbs may be served) */
typedef void (*control_fn)(void *ud, uint64_t client, const char *verb, const char *arg,
			   bool privileged);

int control_open(const char *path, gid_t read_group, control_fn fn, void *ud,
		 struct control **ret);
void control_free(struct control *c);
int control_fd(const struct control *c); /* an epoll fd: readable when work waits */
void control_dispatch(struct control *c);

/* queues a line (a newline is appended); closes the client after it when
 * close_after. Unknown ids are ignored (the client went away). */
void control_reply(struct control *c, uint64_t client, const char *line, bool close_after);
/* followers receive every control_broadcast() line */
void control_follow(struct control *c, uint64_t client);
void control_broadcast(struct control *c, const char *line);
size_t control_nclients(const struct control *c);
size_t control_nfollowers(const struct control *c);

/* parsing of one request line (pure; fuzzed): splits VERB and ARG in place.
 * Returns 0, or -EINVAL for an empty verb, bytes outside printable ASCII, or
 * a verb that is not [a-z-]. */
int control_parse_line(char *line, size_t len, char **verb, char **arg);

#endif
