// SPDX-License-Identifier: GPL-2.0-or-later
/* The node's census for Prometheus; see census.h. */
#include "census.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlverbs.h"
#include "log.h"
#include "statequery.h"
#include "store.h"
#include "util.h"

const char *
census_state_name(enum census_state st)
{
	static const char *const names[CENSUS_STATES] = { "latest", "latest_minor", "outdated", "unknown" };

	return (unsigned)st < CENSUS_STATES ? names[st] : "unknown";
}

void
census_major(const char *version, char *out, size_t outsz)
{
	snprintf(out, outsz, "%.*s", (int)strcspn(version, ".-"), version);
}

static enum census_state
state_of(const char *name)
{
	if (strcmp(name, "latest") == 0)
		return CENSUS_LATEST;
	if (strcmp(name, "latest-in-branch") == 0)
		return CENSUS_LATEST_MINOR;
	if (strcmp(name, "outdated") == 0)
		return CENSUS_OUTDATED;
	return CENSUS_UNKNOWN;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct census_row *x = a, *y = b;
	int c = strcmp(x->product, y->product);

	if (c == 0)
		c = strcmp(x->kind, y->kind);
	return c ? c : version_cmp(x->major, y->major);
}

static struct census_row *
row_get(struct census *c, const char *product, const char *kind, const char *major)
{
	struct census_row *r;
	size_t i;

	for (i = 0; i < c->nrows; i++) {
		r = &c->rows[i];
		if (strcmp(r->product, product) == 0 && strcmp(r->kind, kind) == 0 && strcmp(r->major, major) == 0)
			return r;
	}
	c->rows = xreallocarray(c->rows, c->nrows + 1, sizeof(*c->rows));
	r = &c->rows[c->nrows++];
	memset(r, 0, sizeof(*r));
	r->product = xstrdup(product);
	r->kind = xstrdup(kind);
	r->major = xstrdup(major);
	return r;
}

void
census_free(struct census *c)
{
	size_t i;

	for (i = 0; i < c->nrows; i++) {
		free(c->rows[i].product);
		free(c->rows[i].kind);
		free(c->rows[i].major);
	}
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

struct census_walk {
	struct census *c;
	struct release_cache rc;
};

static int
count_installation(void *ud, const char *prod, const char *kind, const char *ver)
{
	struct census_walk *cw = ud;
	const struct releases *rel;
	struct release_state st;
	char major[64];

	if (prod == NULL || kind == NULL || ver == NULL)
		return 0;
	rel = releases_of(&cw->rc, prod);
	release_state_of((const char *const *)rel->v, rel->n, ver, &st);
	census_major(ver, major, sizeof(major));
	row_get(cw->c, prod, kind, major)->n[state_of(st.state)]++;
	return 0;
}

static int
count_findings(void *ud, const char *verdict, const char *severity, int64_t n)
{
	struct census_walk *cw = ud;
	int v = verdict_parse(verdict);
	int sev = severity_parse(severity);

	if (v >= 0 && v < VERDICT_MAX && sev >= 0 && sev < SEV_MAX)
		cw->c->findings[v][sev] += n;
	return 0;
}

int
census_count(struct store *s, struct census *c, char *err, size_t errsz)
{
	struct census_walk cw = { .c = c };
	int r;

	memset(c, 0, sizeof(*c));
	release_cache_init(&cw.rc, s);
	r = stateq_installations_active(s, count_installation, &cw);
	if (r < 0)
		snprintf(err, errsz, "installations: %s", sqlite3_errmsg(store_db(s)));
	release_cache_free(&cw.rc);
	/* what stands alone and waits for someone: as wsidctl events --unacked
	 * lists it (members of an update, held events and acknowledged ones not) */
	if (r == 0 && (r = stateq_findings_open(s, count_findings, &cw)) < 0)
		snprintf(err, errsz, "events: %s", sqlite3_errmsg(store_db(s)));
	if (r < 0) {
		census_free(c);
		return r;
	}
	if (c->nrows)
		qsort(c->rows, c->nrows, sizeof(*c->rows), row_cmp);
	c->counted = true;
	return 0;
}

int
census_count_db(const char *path, struct census *c, char *err, size_t errsz)
{
	struct store *s;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = store_open(path, STORE_RDONLY, &s, err, errsz)) < 0)
		return r;
	r = census_count(s, c, err, errsz);
	store_close(s);
	return r;
}

/* ---- the daemon's counting thread ---- */

struct census_counter {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	char *path;
	uint64_t interval_ms;
	struct census last; /* under mu */
};

/* PRAGMA data_version: changes when another connection (the daemon's writer,
 * wsidctl ack) commits; -1 when it cannot be read */
static int64_t
data_version(struct store *s)
{
	sqlite3_stmt *q = store_prepare(s, "PRAGMA data_version");
	int64_t v = -1;

	if (q && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void *
counter_main(void *arg)
{
	struct census_counter *cc = arg;
	struct store *s = NULL;
	int64_t seen = -1;
	bool failing = false;
	char err[1024];

	pthread_mutex_lock(&cc->mu);
	while (!cc->stop) {
		struct census c;
		struct timespec until;
		int64_t v;

		pthread_mutex_unlock(&cc->mu);
		if (s == NULL && store_open(cc->path, STORE_RDONLY, &s, err, sizeof(err)) < 0)
			s = NULL;
		v = s ? data_version(s) : -1;
		if (s && (v < 0 || v != seen)) {
			if (census_count(s, &c, err, sizeof(err)) == 0) {
				seen = v;
				pthread_mutex_lock(&cc->mu);
				census_free(&cc->last);
				cc->last = c;
				pthread_mutex_unlock(&cc->mu);
				if (failing)
					log_info("census: counted again");
				failing = false;
			} else {
				store_close(s); /* opened again next time */
				s = NULL;
			}
		}
		if (s == NULL && !failing) {
			log_warnx("census: cannot count installations and findings: %s (tried again every "
				  "interval)", err);
			failing = true;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(cc->interval_ms / 1000);
		until.tv_nsec += (long)(cc->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&cc->mu);
		while (!cc->stop && pthread_cond_timedwait(&cc->cv, &cc->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&cc->mu);
	store_close(s);
	return NULL;
}

int
census_counter_start(const char *db_path, uint64_t interval_ms, struct census_counter **out)
{
	struct census_counter *cc = xcalloc(1, sizeof(*cc));
	int r;

	cc->path = xstrdup(db_path);
	cc->interval_ms = interval_ms ? interval_ms : 1000;
	pthread_mutex_init(&cc->mu, NULL);
	pthread_cond_init(&cc->cv, NULL);
	if ((r = pthread_create(&cc->th, NULL, counter_main, cc)) != 0) {
		pthread_cond_destroy(&cc->cv);
		pthread_mutex_destroy(&cc->mu);
		free(cc->path);
		free(cc);
		*out = NULL;
		return -r;
	}
	*out = cc;
	return 0;
}

void
census_counter_get(struct census_counter *cc, struct census *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (cc == NULL)
		return;
	pthread_mutex_lock(&cc->mu);
	*out = cc->last;
	out->rows = out->nrows ? xcalloc(out->nrows, sizeof(*out->rows)) : NULL;
	for (i = 0; i < out->nrows; i++) {
		out->rows[i] = cc->last.rows[i];
		out->rows[i].product = xstrdup(cc->last.rows[i].product);
		out->rows[i].kind = xstrdup(cc->last.rows[i].kind);
		out->rows[i].major = xstrdup(cc->last.rows[i].major);
	}
	pthread_mutex_unlock(&cc->mu);
}

void
census_counter_stop(struct census_counter *cc)
{
	if (cc == NULL)
		return;
	pthread_mutex_lock(&cc->mu);
	cc->stop = true;
	pthread_cond_signal(&cc->cv);
	pthread_mutex_unlock(&cc->mu);
	pthread_join(cc->th, NULL);
	census_free(&cc->last);
	pthread_cond_destroy(&cc->cv);
	pthread_mutex_destroy(&cc->mu);
	free(cc->path);
	free(cc);
}
