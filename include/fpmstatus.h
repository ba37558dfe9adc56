/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PHP-FPM's status page, full JSON form (pm.status_path?full&json): the pool
 * name and, per worker process, its pid, state, the request it serves (or last
 * served, when idle): method, URI, script, user and duration. Parsed with the
 * strict JSON parser (jsonparse.h); strings longer than the fields below are
 * cut. Pure module (fuzzed). */
#ifndef WSID_FPMSTATUS_H
#define WSID_FPMSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FPM_STATUS_MAX_BYTES (1u << 20)

struct fpm_worker {
	int pid;
	char state[32];     /* "Idle", "Running", "Reading headers", "Finishing", ... */
	bool busy;          /* serving a request now (not Idle) */
	char method[16];
	char uri[1024];     /* "request uri": script name and query string */
	char script[1024];  /* the script file */
	char user[64];      /* REMOTE_USER, "-" without one */
	uint64_t duration_us; /* of the request so far (busy), or of the last one */
	uint64_t requests;  /* served by this worker */
};

/* the worker with this pid in the status JSON: 0 found, -ENOENT when the
 * page does not list it, -EINVAL when it is no status page (err says why).
 * pool gets the page's pool name. */
int fpm_status_find(const char *json, size_t len, int pid, char *pool, size_t poolsz, struct fpm_worker *w,
		    char *err, size_t errsz);

#endif
