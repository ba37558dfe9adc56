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

/* Is the request a status page lists for the writer of a change its
 * request? The page has no start or end time of a request, only its
 * duration so far (running) or the duration of the last one (idle); the
 * per-process "start time" is the process's. */
enum fpm_tie {
	FPM_TIE_RUNNING,  /* tied: it serves the request, started before the change */
	FPM_TIE_FINISHED, /* tied: idle, and its last request began before the change */
	FPM_TIE_LATER,    /* it serves a request that started after the change */
	FPM_TIE_UNSURE,   /* idle: its last request may have begun well after the change */
	FPM_TIE_SELF,     /* it serves (or last served) a status query: the writer's request is gone */
	FPM_TIE_NONE,     /* idle, and it has served no request */
};

/* how much later than the change an idle worker's last request may have
 * begun and still be taken for the writer's: the time wsid takes from the
 * write to the pool's answer (measured: 0.4 to 28 ms) */
#define FPM_TIE_WINDOW_NS (50ll * 1000000)

/* the decision for worker w of a page at status_path ("/status") about a
 * change seen at change_ns, the query sent at sent_ns and its answer in at
 * answered_ns (one wall clock, ns). A running request is the writer's when it
 * started before the change. An idle worker's last request ended before
 * answered_ns, so began at answered_ns - duration at the latest; the page has
 * no start or end time of it, so it is the writer's when that latest start is
 * at most FPM_TIE_WINDOW_NS after the change (the worker cannot be shown to
 * have begun no other request since, only to have had no time for much).
 * *started_ns: the request's start (running: as of the query; finished: the
 * latest it can be). */
enum fpm_tie fpm_tie_decide(const struct fpm_worker *w, const char *status_path, int64_t change_ns, int64_t sent_ns,
			    int64_t answered_ns, int64_t *started_ns);

/* the worker with this pid in the status JSON: 0 found, -ENOENT when the
 * page does not list it, -EINVAL when it is no status page (err says why).
 * pool gets the page's pool name. */
int fpm_status_find(const char *json, size_t len, int pid, char *pool, size_t poolsz, struct fpm_worker *w,
		    char *err, size_t errsz);

#endif
