/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notification delivery, privilege-separated. The daemon (root, reads the
 * webspaces) never parses a network response: it hands finished jobs (a URL,
 * headers and a body, or an SMTP envelope and an RFC 5322 message) through a
 * socketpair to a delivery process it spawns (`wsid --deliver`, the socket
 * on fd 3), which drops to an unprivileged user, confines itself with
 * Landlock to reading system files, talks HTTP(S) and SMTP with libcurl's
 * multi interface, and answers one result line per job. A delivery process
 * that dies is spawned again; what it had in flight is sent again (receivers
 * deduplicate by the notification id).
 *
 * Wire format (parent -> child), one job:
 *   "J <id> <h|s>\n" then fields "<tag> <len>\n<bytes>\n", then "E\n"
 *   tags: u url, H header (repeats), b body, f mail from, r recipient
 *   (repeats), c CA file, U user, P password, t timeout in seconds
 * (child -> parent), first on every connection what confines it:
 *   "S <landlock|none (optional)>\n"
 * then one result per job:
 *   "R <id> <outcome> <status> <retry-after-s> <errlen>\n<error>\n"
 *   outcome 0 delivered, 1 retry later, 2 failed for good */
#ifndef WSID_DELIVER_H
#define WSID_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define DELIVER_BODY_MAX (8u << 20)
#define DELIVER_RESPONSE_MAX (64u << 10) /* bytes of a response body read at most */

enum deliver_outcome { DELIVER_OK = 0, DELIVER_RETRY = 1, DELIVER_FAILED = 2 };

struct deliver_job {
	int64_t id;
	char transport; /* 'h' HTTP POST, 's' SMTP */
	char *url;
	char **headers;
	size_t nheaders;
	char *body;
	size_t body_len;
	char *mail_from;
	char **rcpts;
	size_t nrcpts;
	char *ca_file, *username, *password;
	char tls; /* SMTP: 0 or 'v' verify (TLS required, certificate checked),
		   * 'o' opportunistic (STARTTLS when offered, any certificate),
		   * 'n' none */
	unsigned timeout_s;
};

struct deliver_result {
	int64_t id;
	int outcome;
	long status;           /* HTTP status or SMTP reply code (0: none) */
	unsigned retry_after_s;
	char error[256];
};

/* encodes a job (parent) */
void deliver_job_encode(struct buf *out, const struct deliver_job *j);
/* decodes one job from data; returns bytes used, 0 when incomplete, -1 on a
 * malformed stream */
ssize_t deliver_job_decode(const char *data, size_t len, struct deliver_job *j);
void deliver_job_free(struct deliver_job *j);
void deliver_result_encode(struct buf *out, const struct deliver_result *r);
/* strict: every number in range, the error bounded; same returns as above */
ssize_t deliver_result_decode(const char *data, size_t len, struct deliver_result *r);

/* the hello: what confines the delivery process; decode returns bytes used,
 * 0 when incomplete, -1 when data does not start with one */
void deliver_hello_encode(struct buf *out, const char *sandbox);
ssize_t deliver_hello_decode(const char *data, size_t len, char *sandbox, size_t sz);

/* HTTP status / SMTP code -> outcome (2xx delivered; 408, 429, 5xx HTTP and
 * 4xx SMTP retried; other 4xx HTTP and 5xx SMTP failed for good) */
int deliver_classify_http(long status);
int deliver_classify_smtp(long code);

/* the exit status of a delivery process that could not confine itself and
 * was not allowed to run without (notify.sandbox: required) */
#define DELIVER_EXIT_NO_SANDBOX 3

/* parent: fork + exec self --deliver with one end of a socketpair on fd 3 */
int deliver_spawn(const char *self_exe, const char *user, char *const *read_paths, size_t nread,
		  bool sandbox_optional, int *ret_fd, pid_t *ret_pid);
/* Landlock for this process: read-only access to the system files libcurl,
 * TLS and the resolver need and to read_paths; no other file (not the
 * configuration, no webspace, no database). 0, or -errno when the kernel
 * cannot (the process is then unconfined) */
int deliver_confine(char *const *read_paths, size_t nread);
/* child: drops privileges to user, confines itself (without Landlock it
 * exits with DELIVER_EXIT_NO_SANDBOX unless sandbox_optional), delivers
 * until EOF */
int deliver_main(int fd, const char *user, char *const *read_paths, size_t nread, bool sandbox_optional);

/* a delivery service of its own (wsid --deliver-listen PATH, e.g. a systemd
 * unit with network access while the watcher has none): listens on a unix
 * socket (mode 0600), confines itself, serves one daemon (root) at a time */
int deliver_listen(const char *path, const char *user, char *const *read_paths, size_t nread,
		   bool sandbox_optional);
/* wsid's command line (delivercli.c): is it one of the delivery modes
 * (--deliver USER ..., --deliver-listen PATH ...)? deliver_cli runs it and
 * returns the exit status. */
bool deliver_cli_mode(int argc, char **argv);
int deliver_cli(int argc, char **argv);
/* daemon: connects to such a service; a non-blocking fd or -errno */
int deliver_connect(const char *path);

#endif
