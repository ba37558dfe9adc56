// SPDX-License-Identifier: GPL-2.0-or-later
/* The tie decision: is the request a PHP-FPM status page lists for a
 * change's writer the request that made the change? */
#include <stdio.h>
#include <string.h>

#include "fpmstatus.h"
#include "t.h"

#define MS 1000000ll

static struct fpm_worker
worker(bool busy, const char *method, const char *uri, uint64_t duration_us, uint64_t requests)
{
	struct fpm_worker w;

	memset(&w, 0, sizeof(w));
	w.pid = 4100;
	w.busy = busy;
	snprintf(w.state, sizeof(w.state), "%s", busy ? "Running" : "Idle");
	snprintf(w.method, sizeof(w.method), "%s", method);
	snprintf(w.uri, sizeof(w.uri), "%s", uri);
	w.duration_us = duration_us;
	w.requests = requests;
	return w;
}

int
main(void)
{
	const int64_t change = 1796600000000 * MS; /* the change, seen by wsid */
	struct fpm_worker w;
	int64_t st;

	/* running: started before the change (sent 5 ms after it, 250 ms in) */
	w = worker(true, "POST", "/upload.php", 250000, 3);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + 5 * MS, change + 6 * MS, &st), FPM_TIE_RUNNING);
	T_OK(st == change - 245 * MS);
	/* running, but only 2 ms in when asked 5 ms after the change: it moved on */
	w = worker(true, "GET", "/other.php", 2000, 4);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + 5 * MS, change + 6 * MS, &st), FPM_TIE_LATER);
	T_OK(st == change + 3 * MS);
	/* idle, its last request lasted 0.3 ms and the answer came 0.5 ms after
	 * the change: it began before the change at the latest + 0.2 ms */
	w = worker(false, "GET", "/put.php?n=1", 300, 5);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + MS / 4, change + MS / 2, &st), FPM_TIE_FINISHED);
	T_OK(st == change + MS / 5);
	/* idle, long last request that covers the whole wait: surely the writer's */
	w = worker(false, "POST", "/quick.php", 40000, 5);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + 20 * MS, change + 21 * MS, &st), FPM_TIE_FINISHED);
	T_OK(st == change - 19 * MS);
	/* the latest start at the edge of the window, and just beyond it */
	w = worker(false, "POST", "/quick.php", 1000, 5);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change, change + FPM_TIE_WINDOW_NS + MS, &st),
		 FPM_TIE_FINISHED);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change, change + FPM_TIE_WINDOW_NS + MS + 1, &st),
		 FPM_TIE_UNSURE);
	T_OK(st == change + FPM_TIE_WINDOW_NS + 1);
	/* the answer a second later: the last request may be any since */
	w = worker(false, "GET", "/index.php", 800, 9);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + 999 * MS, change + 1000 * MS, &st), FPM_TIE_UNSURE);
	/* the writer's worker took the status query: running it, or idle after
	 * one (ours or a monitor's, with or without a query string) */
	w = worker(true, "GET", "/status?full&json", 150, 6);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + MS, change + 2 * MS, &st), FPM_TIE_SELF);
	w = worker(false, "GET", "/status", 150, 6);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + MS, change + 2 * MS, &st), FPM_TIE_SELF);
	/* ... but a script whose name only begins like the status path is not */
	w = worker(false, "GET", "/statusboard.php", 300, 6);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + MS / 4, change + MS / 2, &st), FPM_TIE_FINISHED);
	/* idle, never served a request; an empty method */
	w = worker(false, "", "", 0, 0);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + MS, change + 2 * MS, &st), FPM_TIE_NONE);
	T_OK(st == 0);
	/* a duration beyond any clock does not wrap into a start after the change */
	w = worker(true, "POST", "/x.php", UINT64_MAX, 1);
	T_EQ_INT(fpm_tie_decide(&w, "/status", change, change + MS, change + 2 * MS, &st), FPM_TIE_RUNNING);
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail != 0;
}
