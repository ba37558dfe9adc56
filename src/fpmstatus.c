// SPDX-License-Identifier: GPL-2.0-or-later
/* PHP-FPM status page parsing; see fpmstatus.h. */
#include "fpmstatus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"

/* a printable copy: control bytes become '?' (names a client chose) */
static void
copy_str(char *dst, size_t dsz, const struct jnode *n)
{
	size_t i, k = 0;

	dst[0] = '\0';
	if (n == NULL || n->t != J_STR)
		return;
	for (i = 0; i < n->slen && k + 1 < dsz; i++) {
		unsigned char ch = (unsigned char)n->s[i];

		dst[k++] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	/* never end inside a UTF-8 sequence */
	while (k > 0 && k < n->slen && ((unsigned char)dst[k] & 0xc0) == 0x80 &&
	       ((unsigned char)dst[k - 1] & 0x80))
		k--;
	dst[k] = '\0';
}

/* a non-negative integer member (absent or other: 0) */
static uint64_t
get_u64(const struct jnode *obj, const char *key)
{
	const struct jnode *n = jsonp_get(obj, key);
	uint64_t v = 0;
	const char *p;

	if (n == NULL || n->t != J_NUM || n->s[0] == '-')
		return 0;
	for (p = n->s; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

int
fpm_status_find(const char *json, size_t len, int pid, char *pool, size_t poolsz, struct fpm_worker *w,
		char *err, size_t errsz)
{
	struct jnode *root = NULL;
	const struct jnode *procs;
	char perr[160];
	size_t i;
	int r = -ENOENT;

	memset(w, 0, sizeof(*w));
	if (poolsz)
		pool[0] = '\0';
	if (len > FPM_STATUS_MAX_BYTES) {
		snprintf(err, errsz, "status page too large (%zu bytes)", len);
		return -EINVAL;
	}
	if (jsonp_parse(json, len, &root, perr, sizeof(perr)) < 0) {
		snprintf(err, errsz, "status page is not JSON: %s", perr);
		return -EINVAL;
	}
	if (root->t != J_OBJ || (procs = jsonp_get(root, "processes")) == NULL || procs->t != J_ARR) {
		snprintf(err, errsz, "no per-process list (was ?full&json asked of a PHP-FPM status page?)");
		jsonp_free(root);
		return -EINVAL;
	}
	if (poolsz) {
		const struct jnode *pn = jsonp_get(root, "pool");

		copy_str(pool, poolsz, pn);
	}
	for (i = 0; i < procs->n; i++) {
		const struct jnode *p = &procs->kids[i];
		const struct jnode *pn;

		if (p->t != J_OBJ || (pn = jsonp_get(p, "pid")) == NULL || pn->t != J_NUM ||
		    get_u64(p, "pid") != (uint64_t)pid || pid <= 0)
			continue;
		w->pid = pid;
		copy_str(w->state, sizeof(w->state), jsonp_get(p, "state"));
		copy_str(w->method, sizeof(w->method), jsonp_get(p, "request method"));
		copy_str(w->uri, sizeof(w->uri), jsonp_get(p, "request uri"));
		copy_str(w->script, sizeof(w->script), jsonp_get(p, "script"));
		copy_str(w->user, sizeof(w->user), jsonp_get(p, "user"));
		w->duration_us = get_u64(p, "request duration");
		w->requests = get_u64(p, "requests");
		w->busy = w->state[0] && strcmp(w->state, "Idle") != 0;
		r = 0;
		break;
	}
	if (r == -ENOENT)
		snprintf(err, errsz, "the status page does not list pid %d", pid);
	jsonp_free(root);
	return r;
}

static int64_t
dur_ns(uint64_t us)
{
	return us > (uint64_t)INT64_MAX / 1000 ? INT64_MAX : (int64_t)(us * 1000);
}

enum fpm_tie
fpm_tie_decide(const struct fpm_worker *w, const char *status_path, int64_t change_ns, int64_t sent_ns,
	       int64_t answered_ns, int64_t *started_ns)
{
	size_t n = status_path ? strlen(status_path) : 0;

	*started_ns = 0;
	/* a status query (ours, or a monitor's): it replaced the request the
	 * worker served before on the page */
	if (n && strncmp(w->uri, status_path, n) == 0 && (w->uri[n] == '\0' || w->uri[n] == '?'))
		return FPM_TIE_SELF;
	if (w->busy) {
		/* FPM measures the duration when it serves the status request,
		 * which is after it was sent: the start computed is at most that
		 * early */
		*started_ns = sent_ns - dur_ns(w->duration_us);
		return *started_ns > change_ns ? FPM_TIE_LATER : FPM_TIE_RUNNING;
	}
	if (w->requests == 0 || w->method[0] == '\0')
		return FPM_TIE_NONE;
	/* ended before the answer was in: began at most this late */
	*started_ns = answered_ns - dur_ns(w->duration_us);
	return *started_ns - change_ns <= FPM_TIE_WINDOW_NS ? FPM_TIE_FINISHED : FPM_TIE_UNSURE;
}
