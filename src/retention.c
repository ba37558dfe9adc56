// SPDX-License-Identifier: GPL-2.0-or-later
/* Retention: old history deleted in small steps; see retention.h. */
#include "retention.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "classify.h"
#include "log.h"
#include "util.h"

/* ---- pure: what is due ---- */

void
retention_cutoffs(const struct config_retention *rc, int64_t now_ms, struct retention_cutoffs *ret)
{
	int k;

	/* an age of 0 keeps for ever; an age longer than the epoch too */
	for (k = 0; k < 4; k++)
		ret->events_s[k] = rc->events_ms[k] == 0 || rc->events_ms[k] > (uint64_t)now_ms
					   ? INT64_MIN
					   : (now_ms - (int64_t)rc->events_ms[k]) / 1000;
	ret->members_s = rc->members_ms == 0 || rc->members_ms > (uint64_t)now_ms
				 ? INT64_MIN
				 : (now_ms - (int64_t)rc->members_ms) / 1000;
	ret->outbox_ms = rc->outbox_ms == 0 || rc->outbox_ms > (uint64_t)now_ms
				 ? INT64_MIN
				 : now_ms - (int64_t)rc->outbox_ms;
}

enum retention_keep
retention_event_due(const struct retention_event *ev, const struct retention_cutoffs *cut)
{
	int sev = ev->severity >= 0 && ev->severity < 4 ? ev->severity : 2;

	if (ev->held)
		return RETENTION_KEEP_HELD;
	if (ev->member) {
		/* the aggregate stands for it: gone, or acknowledged long enough */
		if (ev->parent_gone)
			return RETENTION_DUE;
		if (ev->acked && cut->members_s != INT64_MIN && ev->acked_s < cut->members_s)
			return RETENTION_DUE;
	}
	if (cut->events_s[sev] == INT64_MIN || ev->time_s >= cut->events_s[sev])
		return RETENTION_KEEP_AGE;
	if (sev > 0 && !ev->acked && !ev->member)
		return RETENTION_KEEP_FINDING;
	return RETENTION_DUE;
}

bool
retention_outbox_due(const char *state, int64_t settled_ms, const struct retention_cutoffs *cut)
{
	if (state == NULL || cut->outbox_ms == INT64_MIN || settled_ms >= cut->outbox_ms)
		return false;
	/* open, pending, sending, retrying: not delivered yet */
	return strcmp(state, "sent") == 0 || strcmp(state, "failed") == 0 || strcmp(state, "dead") == 0;
}

uint64_t
retention_delay_ms(bool more, uint64_t step_ns, uint64_t interval_ms)
{
	uint64_t d;

	if (!more)
		return interval_ms;
	d = step_ns * 9 / 1000000ull + 1;
	return d < 50 ? 50 : d > interval_ms ? interval_ms : d;
}

/* ---- the step ---- */

static int64_t
one_int(struct store *s, const char *sql, int64_t dflt)
{
	sqlite3_stmt *q = store_prepare(s, sql);
	int64_t v = dflt;

	if (q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static int
sql_err(int rc)
{
	return store_errno(rc) ? store_errno(rc) : -EIO;
}

/* runs a prepared one-id DELETE */
static int
delete_id(sqlite3_stmt *qd, int64_t id)
{
	int rc;

	sqlite3_bind_int64(qd, 1, id);
	rc = sqlite3_step(qd);
	sqlite3_reset(qd);
	return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

/* the end of a phase's scan (rc: the last row's read): more may follow a
 * full batch, or the examined limit reached */
static int
scan_end(int rc, int ndel, size_t examined, unsigned batch, bool *done)
{
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_err(rc);
	*done = (unsigned)ndel < batch && examined < (size_t)batch * RETENTION_EXAMINE_FACTOR;
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* events a notification not delivered yet will tell: sorted, caller frees */
static int
undelivered_events(struct store *s, int64_t **ret, size_t *ret_n)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT DISTINCT oe.event_id FROM outbox o JOIN outbox_events oe "
					   "ON oe.outbox_id = o.id WHERE o.state IN ('open', 'pending', "
					   "'sending', 'retrying') ORDER BY 1");
	int64_t *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (q == NULL)
		return -EIO;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		free(v);
		return sql_err(rc);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* an open finding: the file still holds the content and verdict it reported */
static bool
finding_open(sqlite3_stmt *qf, sqlite3_stmt *ev)
{
	bool open;

	sqlite3_bind_value(qf, 1, sqlite3_column_value(ev, 6));
	sqlite3_bind_value(qf, 2, sqlite3_column_value(ev, 7));
	sqlite3_bind_value(qf, 3, sqlite3_column_value(ev, 8));
	sqlite3_bind_value(qf, 4, sqlite3_column_value(ev, 9));
	open = sqlite3_step(qf) == SQLITE_ROW;
	sqlite3_reset(qf);
	return open;
}

static bool
event_exists(sqlite3_stmt *qp, int64_t id)
{
	bool found;

	sqlite3_bind_int64(qp, 1, id);
	found = sqlite3_step(qp) == SQLITE_ROW;
	sqlite3_reset(qp);
	return found;
}

/* the time from which no event can be due (INT64_MIN: every event kept) */
static int64_t
events_stop_s(const struct retention_cutoffs *cut)
{
	int64_t stop = INT64_MIN;
	int k;

	for (k = 0; k < 4; k++)
		if (cut->events_s[k] > stop)
			stop = cut->events_s[k];
	if (cut->members_s > stop)
		stop = cut->members_s;
	return stop;
}

/* deletes due events after the cursor; *done: the phase is over */
static int
step_events(struct retention *rt, struct store *s, unsigned batch, const struct retention_cutoffs *cut,
	    bool *done)
{
	sqlite3_stmt *q = NULL, *qf = NULL, *qp = NULL, *qd = NULL;
	int64_t *undel = NULL, max_id, stop_s = events_stop_s(cut);
	size_t nundel = 0, examined = 0;
	bool have_undel = false;
	int ndel = 0, rc = SQLITE_DONE, r = 0;

	*done = true;
	if (stop_s == INT64_MIN)
		return 0; /* every event kept for ever */
	/* the newest event stays: SQLite hands out max(id) + 1, and ids already
	 * told (acks, outbox lists, members' parent) must never name another */
	max_id = one_int(s, "SELECT max(id) FROM events", 0);
	q = store_query(s, "SELECT id, time, severity, held, parent_id, acked_at, webspace_id, path, "
			   "verdict, new_sha256 FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
			"ii", rt->cursor, (int64_t)batch * RETENTION_EXAMINE_FACTOR);
	qf = store_prepare(s, "SELECT 1 FROM files WHERE webspace_id = ?1 AND relpath = ?2 AND "
			      "verdict = ?3 AND sha256 IS ?4");
	qp = store_prepare(s, "SELECT 1 FROM events WHERE id = ?");
	qd = store_prepare(s, "DELETE FROM events WHERE id = ?");
	if (q == NULL || qf == NULL || qp == NULL || qd == NULL) {
		r = -EIO;
		goto out;
	}
	while ((unsigned)ndel < batch && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct retention_event ev;
		enum retention_keep k;
		const char *sev = (const char *)sqlite3_column_text(q, 2);

		memset(&ev, 0, sizeof(ev));
		ev.id = sqlite3_column_int64(q, 0);
		ev.time_s = sqlite3_column_int64(q, 1);
		if (ev.id >= max_id || ev.time_s >= stop_s)
			goto out; /* newer from here on: the phase is over */
		examined++;
		rt->cursor = ev.id;
		ev.severity = sev ? severity_parse(sev) : -1;
		ev.held = sqlite3_column_int(q, 3) != 0;
		ev.member = sqlite3_column_type(q, 4) != SQLITE_NULL;
		ev.acked = sqlite3_column_type(q, 5) != SQLITE_NULL;
		ev.acked_s = sqlite3_column_int64(q, 5);
		if (ev.member)
			ev.parent_gone = !event_exists(qp, sqlite3_column_int64(q, 4));
		k = retention_event_due(&ev, cut);
		if (k == RETENTION_KEEP_FINDING && !finding_open(qf, q))
			k = RETENTION_DUE;
		if (k != RETENTION_DUE)
			continue;
		if (!have_undel) {
			if ((r = undelivered_events(s, &undel, &nundel)) < 0)
				goto out;
			have_undel = true;
		}
		if (nundel && bsearch(&ev.id, undel, nundel, sizeof(*undel), cmp_id))
			continue;
		if ((r = delete_id(qd, ev.id)) < 0)
			goto out;
		ndel++;
	}
	r = scan_end(rc, ndel, examined, batch, done);
out:
	sqlite3_finalize(q);
	sqlite3_finalize(qf);
	sqlite3_finalize(qp);
	sqlite3_finalize(qd);
	free(undel);
	return r < 0 ? r : ndel;
}

/* deletes delivered notifications after the cursor, with their event lists */
static int
step_outbox(struct retention *rt, struct store *s, unsigned batch, const struct retention_cutoffs *cut,
	    bool *done)
{
	sqlite3_stmt *q = NULL, *qe = NULL, *qd = NULL;
	int64_t max_id;
	size_t examined = 0;
	int ndel = 0, rc = SQLITE_DONE, r = 0;

	*done = true;
	if (cut->outbox_ms == INT64_MIN)
		return 0;
	max_id = one_int(s, "SELECT max(id) FROM outbox", 0);
	q = store_query(s, "SELECT id, state, coalesce(sent_at, next_at, created_at), created_at "
			   "FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2",
			"ii", rt->cursor, (int64_t)batch * RETENTION_EXAMINE_FACTOR);
	qe = store_prepare(s, "DELETE FROM outbox_events WHERE outbox_id = ?");
	qd = store_prepare(s, "DELETE FROM outbox WHERE id = ?");
	if (q == NULL || qe == NULL || qd == NULL) {
		r = -EIO;
		goto out;
	}
	while ((unsigned)ndel < batch && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);

		/* created after the cutoff: settled after it too, as are the
		 * rows that follow */
		if (id >= max_id || sqlite3_column_int64(q, 3) >= cut->outbox_ms)
			goto out;
		examined++;
		rt->cursor = id;
		if (!retention_outbox_due((const char *)sqlite3_column_text(q, 1), sqlite3_column_int64(q, 2),
					  cut))
			continue;
		if ((r = delete_id(qe, id)) < 0 || (r = delete_id(qd, id)) < 0)
			goto out;
		ndel++;
	}
	r = scan_end(rc, ndel, examined, batch, done);
out:
	sqlite3_finalize(q);
	sqlite3_finalize(qe);
	sqlite3_finalize(qd);
	return r < 0 ? r : ndel;
}

/* the cursor of the notified phase: the key of the row q is on */
static void
key_set(struct retention *rt, sqlite3_stmt *q)
{
	int plen = sqlite3_column_bytes(q, 1);

	rt->cursor = sqlite3_column_int64(q, 0);
	free(rt->key_path);
	rt->key_path = xmalloc((size_t)plen + 1);
	memcpy(rt->key_path, plen ? sqlite3_column_blob(q, 1) : "", (size_t)plen);
	rt->key_plen = plen;
	free(rt->key_verdict);
	rt->key_verdict = xstrdup((const char *)sqlite3_column_text(q, 2));
	free(rt->key_route);
	rt->key_route = xstrdup((const char *)sqlite3_column_text(q, 3));
}

/* deletes the notifier's memory (notified, keyed by webspace, path, verdict,
 * route) after the cursor's key: rows older than RETENTION_NOTIFIED_MS */
static int
step_notified(struct retention *rt, struct store *s, unsigned batch, int64_t now_ms, bool *done)
{
	sqlite3_stmt *q, *qd = NULL;
	size_t examined = 0;
	int ndel = 0, rc = SQLITE_DONE, r = 0;

	*done = true;
	/* the key is copied: key_set replaces it while q still compares with it */
	if (rt->key_path == NULL)
		q = store_query(s, "SELECT webspace_id, path, verdict, route, last_at FROM notified "
				   "ORDER BY webspace_id, path, verdict, route LIMIT ?1",
				"i", (int64_t)batch * RETENTION_EXAMINE_FACTOR);
	else
		q = store_query(s, "SELECT webspace_id, path, verdict, route, last_at FROM notified "
				   "WHERE (webspace_id, path, verdict, route) > (?2, ?3, ?4, ?5) "
				   "ORDER BY webspace_id, path, verdict, route LIMIT ?1",
				"iibtt", (int64_t)batch * RETENTION_EXAMINE_FACTOR, rt->cursor, rt->key_path,
				(size_t)rt->key_plen, rt->key_verdict, rt->key_route);
	qd = store_prepare(s, "DELETE FROM notified WHERE webspace_id = ?1 AND path = ?2 AND "
			      "verdict = ?3 AND route = ?4");
	if (q == NULL || qd == NULL) {
		r = -EIO;
		goto out;
	}
	while ((unsigned)ndel < batch && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int k;

		/* the next step starts after the last row this one examines */
		if (++examined == (size_t)batch * RETENTION_EXAMINE_FACTOR || ndel + 1 == (int)batch)
			key_set(rt, q);
		if (sqlite3_column_int64(q, 4) >= now_ms - RETENTION_NOTIFIED_MS)
			continue;
		for (k = 0; k < 4; k++)
			sqlite3_bind_value(qd, k + 1, sqlite3_column_value(q, k));
		rc = sqlite3_step(qd);
		sqlite3_reset(qd);
		if (rc != SQLITE_DONE) {
			r = sql_err(rc);
			goto out;
		}
		ndel++;
	}
	r = scan_end(rc, ndel, examined, batch, done);
out:
	sqlite3_finalize(q);
	sqlite3_finalize(qd);
	return r < 0 ? r : ndel;
}

int
retention_step(struct retention *rt, struct store *s, const struct config_retention *rc,
	       int64_t now_ms, bool *ret_more)
{
	struct retention_cutoffs cut;
	unsigned batch = rc->batch ? rc->batch : 1000;
	bool done = true;
	int r;

	if (!sqlite3_get_autocommit(store_db(s)))
		return -EBUSY; /* the caller's transaction is open */
	if (rt->phase >= 3) {
		rt->phase = 0;
		rt->cursor = 0;
	}
	retention_cutoffs(rc, now_ms, &cut);
	if ((r = store_begin(s)) < 0)
		return r;
	r = rt->phase == 0   ? step_events(rt, s, batch, &cut, &done)
	    : rt->phase == 1 ? step_outbox(rt, s, batch, &cut, &done)
			     : step_notified(rt, s, batch, now_ms, &done);
	if (r >= 0 && store_commit(s) < 0)
		r = -EIO;
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	if (rt->phase == 0)
		rt->stats.events += (uint64_t)r;
	else if (rt->phase == 1)
		rt->stats.outbox += (uint64_t)r;
	else
		rt->stats.notified += (uint64_t)r;
	rt->stats.steps++;
	if (done) {
		rt->phase++;
		retention_clear(rt);
		if (rt->phase >= 3) {
			rt->stats.rounds++;
			rt->stats.last_round_s = now_ms / 1000;
		}
	}
	*ret_more = rt->phase < 3;
	return r;
}

void
retention_clear(struct retention *rt)
{
	rt->cursor = 0;
	free(rt->key_path);
	free(rt->key_verdict);
	free(rt->key_route);
	rt->key_path = NULL;
	rt->key_verdict = rt->key_route = NULL;
	rt->key_plen = 0;
}

/* ---- figures ---- */

int
retention_db_stats(struct store *s, struct retention_db_stats *ret)
{
	struct stat st;
	char *wal;

	memset(ret, 0, sizeof(*ret));
	if (stat(store_path(s), &st) == 0)
		ret->db_bytes = st.st_size;
	wal = xasprintf("%s-wal", store_path(s));
	if (stat(wal, &st) == 0)
		ret->wal_bytes = st.st_size;
	free(wal);
	ret->free_bytes = one_int(s, "PRAGMA freelist_count", 0) * one_int(s, "PRAGMA page_size", 0);
	ret->oldest_event_s = one_int(s, "SELECT min(time) FROM events", 0);
	return 0;
}
