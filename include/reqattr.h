/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP request behind a change. When the writer of a change is a PHP-FPM
 * worker ("php-fpm: pool NAME" in its command line), its pool's status page
 * (pm.status_path, ?full&json) is asked at once, over FastCGI on the pool's
 * socket, on a thread of its own with a short timeout: the request that
 * worker is serving (method, URI, script, start) is tied to the change when
 * it started before it; when the worker is idle again, the last request it
 * served is, when it can have begun before the change (fpm_tie_decide). Where an access log is configured, its line for that
 * request gives the remote address and the status. A change whose writer
 * is being asked about waits (reqattr_busy, bounded by the timeouts); the
 * main loop never waits on a socket or a file. */
#ifndef WSID_REQATTR_H
#define WSID_REQATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct reqattr_pool {
	char *name;        /* the pool's name (php-fpm: pool NAME) */
	char *listen;      /* its socket: /path (unix) or HOST:PORT */
	char *status_path; /* pm.status_path; NULL: the pool has no status page */
};

struct reqattr_conf {
	const struct reqattr_pool *pools;
	size_t npools;
	bool discover;            /* pools not listed: their socket from the worker */
	uint64_t timeout_ms;      /* of one status query (0: 200) */
	const char *access_log;   /* path, "{customer}" replaced; NULL: none */
	uint64_t access_log_wait_ms; /* how long to wait for the request's line */
	/* a customer's own access log (NULL: access_log) */
	const char *(*customer_log)(void *ud, const char *customer);
	void *customer_log_ud;
};

/* what is known of the request behind a write by pid (reqattr_describe) */
struct reqattr_info {
	bool fpm;            /* the writer was a PHP-FPM worker */
	bool tied;           /* request holds the request it served */
	char pool[64];
	char method[16];
	char uri[1024];
	char script[1024];
	char user[64];
	int64_t started_ns;  /* wall clock, from the status page's duration */
	bool finished;       /* tied from the worker's last request (it was idle) */
	uint64_t duration_us; /* of that finished request */
	bool have_log;       /* addr and status from the access log */
	char addr[64];
	int status;
	char log_why[256];   /* why no access log line ("" when none configured) */
	char why[256];       /* request_unknown: why it could not be tied */
};

struct reqattr;

struct reqattr *reqattr_new(void);
void reqattr_free(struct reqattr *ra);
/* takes a copy of conf (on the loop's thread; queries in flight keep theirs) */
void reqattr_configure(struct reqattr *ra, const struct reqattr_conf *conf);
/* a write by pid in customer's webspace at change_ns (wall clock): a
 * PHP-FPM worker's pool is asked about it (once per burst of writes) */
void reqattr_note(struct reqattr *ra, int pid, const char *customer, int64_t change_ns);
/* a query about pid is in flight, and its time is not over */
bool reqattr_busy(struct reqattr *ra, int pid);
/* what is known of the request behind pid's write: false when the writer
 * was never noted */
bool reqattr_describe(struct reqattr *ra, int pid, struct reqattr_info *out);
/* the request as a JSON object {method, uri, script, started, started_ns,
 * user, remote_addr, status, pool}, or why it is unknown as a JSON string; a
 * one-line text for people: "POST /x.php (php-fpm pool alice, 2026-...)" or
 * "php-fpm pool alice, request unknown: ..." */
void reqattr_json(const struct reqattr_info *in, struct buf *out);
void reqattr_text(const struct reqattr_info *in, char *out, size_t outsz);
/* the event's columns: *request the request object as JSON (into buf, or
 * NULL), *unknown why there is none (or NULL) */
void reqattr_columns(const struct reqattr_info *in, char *buf, size_t bufsz, const char **request,
		     const char **unknown);
/* appends "; written by POST /x.php (php-fpm pool alice, 2026-...)" to a
 * verdict's reason (a write by a PHP-FPM worker only) */
void reqattr_reason(const struct reqattr_info *in, char *reason, size_t sz);

/* the newest line of the access log at path for this request: 1 found, 0
 * not (yet), negative errno when it cannot be opened or read (err says why).
 * No component of path may be a symbolic link. */
int reqattr_access_log_find(const char *path, const char *method, const char *uri, int64_t from, int64_t to,
			    char *addr, size_t addrsz, int *status, char *err, size_t errsz);
/* pid's command line says it is a PHP-FPM worker: its pool name */
bool reqattr_fpm_pool(const char *proc_root, int pid, char *pool, size_t poolsz);

#endif
