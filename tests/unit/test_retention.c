// SPDX-License-Identifier: GPL-2.0-or-later
/* retention: the retention: section (errors name file:line:column), which
 * rows are due (pure), the spacing of steps, and the steps themselves on a
 * real database: what is due goes, what is still needed stays, a step deletes
 * at most its batch. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "retention.h"
#include "store.h"
#include "t.h"

#define DAY_MS (86400ll * 1000)

static char dir[] = "/tmp/wsid-test-retention.XXXXXX";

/* ---- configuration ---- */

static void
expect_err(const char *text, const char *want)
{
	struct config *c = NULL;
	char err[1024] = "";
	int r = config_load_string(text, strlen(text), "c.yaml", &c, err, sizeof(err));

	T_CHECK(r < 0 && strstr(err, want) != NULL, "got %d '%s', want '%s'", r, err, want);
	config_free(c);
}

static void
test_config(void)
{
	struct config *c = NULL;
	char err[1024] = "";
	const char *t = "retention:\n"
			"  events: {info: 2d, critical: 0}\n"
			"  outbox: 12h\n"
			"  acked_members: 90s\n"
			"  interval: 5s\n"
			"  batch: 50\n";

	c = config_default();
	T_EQ_INT(c->retention.events_ms[0], 30 * DAY_MS);
	T_EQ_INT(c->retention.events_ms[1], 365 * DAY_MS);
	T_EQ_INT(c->retention.events_ms[3], 365 * DAY_MS);
	T_EQ_INT(c->retention.outbox_ms, 30 * DAY_MS);
	T_EQ_INT(c->retention.members_ms, 7 * DAY_MS);
	T_OK(c->retention.batch > 0 && c->retention.interval_ms > 0);
	config_free(c);
	c = NULL;
	T_CHECK(config_load_string(t, strlen(t), "c.yaml", &c, err, sizeof(err)) == 0, "%s", err);
	if (c) {
		T_EQ_INT(c->retention.events_ms[0], 2 * DAY_MS);
		T_EQ_INT(c->retention.events_ms[1], 365 * DAY_MS); /* unset: the default */
		T_EQ_INT(c->retention.events_ms[3], 0);
		T_EQ_INT(c->retention.outbox_ms, 12 * 3600 * 1000);
		T_EQ_INT(c->retention.members_ms, 90000);
		T_EQ_INT(c->retention.interval_ms, 5000);
		T_EQ_INT(c->retention.batch, 50);
	}
	config_free(c);
	c = NULL;
	t = "retention:\n  events: 10d\n";
	T_CHECK(config_load_string(t, strlen(t), "c.yaml", &c, err, sizeof(err)) == 0, "%s", err);
	if (c) {
		T_EQ_INT(c->retention.events_ms[0], 10 * DAY_MS);
		T_EQ_INT(c->retention.events_ms[2], 10 * DAY_MS);
	}
	config_free(c);

	expect_err("retention:\n  event: 1d\n", "c.yaml:2:3: retention: unknown key 'event'");
	expect_err("retention:\n  events: {info: 1d, debug: 2d}\n",
		   "c.yaml:2:22: retention.events: unknown key 'debug'");
	expect_err("retention:\n  events: {warning: a year}\n", "c.yaml:2:21: retention.events: expected a duration");
	expect_err("retention:\n  outbox: -1\n", "c.yaml:2:11: retention.outbox: expected a duration");
	expect_err("retention:\n  interval: 100ms\n", "c.yaml:2:13: retention.interval: expected 1s to 1d");
	expect_err("retention:\n  batch: 5\n", "c.yaml:2:10: retention.batch: at least 10 rows");
	expect_err("retention:\n  batch: many\n", "c.yaml:2:10: retention.batch: expected a whole number");
	expect_err("retention: 30d\n", "c.yaml:1:12: retention: expected a mapping");
	expect_err("retention:\n  events: [1d]\n", "c.yaml:2:11: retention.events: expected a mapping");
}

/* ---- pure ---- */

static void
test_due(void)
{
	struct config_retention rc = { { 30 * DAY_MS, 365 * DAY_MS, 365 * DAY_MS, 0 }, 30 * DAY_MS,
				       7 * DAY_MS, 600000, 1000 };
	int64_t now_ms = 2000000000ll * 1000, now = now_ms / 1000;
	struct retention_cutoffs cut;
	struct retention_event ev;

	retention_cutoffs(&rc, now_ms, &cut);
	T_EQ_INT(cut.events_s[0], now - 30 * 86400);
	T_EQ_INT(cut.events_s[3], INT64_MIN); /* 0: kept for ever */
	T_EQ_INT(cut.outbox_ms, now_ms - 30 * DAY_MS);

	memset(&ev, 0, sizeof(ev));
	ev.severity = 0;
	ev.time_s = now - 31 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_DUE);
	ev.time_s = now - 29 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_AGE);
	ev.time_s = now - 30 * 86400; /* exactly the age: not older than it */
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_AGE);
	/* a warning of 31 days: its age is a year */
	ev.severity = 2;
	ev.time_s = now - 31 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_AGE);
	/* two years: an unacknowledged finding may still be open */
	ev.time_s = now - 730 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_FINDING);
	ev.acked = true;
	ev.acked_s = now - 700 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_DUE);
	/* critical: kept for ever here */
	ev.severity = 3;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_AGE);
	/* unknown severity: a warning's age */
	ev.severity = -1;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_DUE);
	/* held: never, whatever its age */
	ev.severity = 0;
	ev.held = true;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_HELD);
	ev.held = false;
	/* members: a week after the acknowledgement, or when the aggregate is gone */
	memset(&ev, 0, sizeof(ev));
	ev.member = true;
	ev.severity = 1;
	ev.time_s = now - 10 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_AGE);
	ev.acked = true;
	ev.acked_s = now - 6 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_KEEP_AGE);
	ev.acked_s = now - 8 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_DUE);
	ev.acked = false;
	ev.parent_gone = true;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_DUE);
	/* an unacknowledged member above info is not a finding of its own */
	ev.parent_gone = false;
	ev.time_s = now - 400 * 86400;
	T_EQ_INT(retention_event_due(&ev, &cut), RETENTION_DUE);

	T_OK(retention_outbox_due("sent", now_ms - 31 * DAY_MS, &cut));
	T_OK(retention_outbox_due("failed", now_ms - 31 * DAY_MS, &cut));
	T_OK(retention_outbox_due("dead", now_ms - 31 * DAY_MS, &cut));
	T_OK(!retention_outbox_due("sent", now_ms - 29 * DAY_MS, &cut));
	T_OK(!retention_outbox_due("retrying", now_ms - 300 * DAY_MS, &cut));
	T_OK(!retention_outbox_due("pending", now_ms - 300 * DAY_MS, &cut));
	T_OK(!retention_outbox_due("open", now_ms - 300 * DAY_MS, &cut));
	T_OK(!retention_outbox_due(NULL, 0, &cut));
	rc.outbox_ms = 0;
	retention_cutoffs(&rc, now_ms, &cut);
	T_OK(!retention_outbox_due("sent", 0, &cut));
	/* an age longer than the clock's: nothing due */
	rc.events_ms[0] = (uint64_t)now_ms + 1;
	retention_cutoffs(&rc, now_ms, &cut);
	T_EQ_INT(cut.events_s[0], INT64_MIN);
}

static void
test_delay(void)
{
	T_EQ_INT(retention_delay_ms(false, 5000000, 600000), 600000);
	T_EQ_INT(retention_delay_ms(true, 1000000, 600000), 50);      /* 1 ms: the floor */
	T_EQ_INT(retention_delay_ms(true, 20000000, 600000), 181);    /* 20 ms: 9 times */
	T_EQ_INT(retention_delay_ms(true, 600000000000ull, 1000), 1000); /* never past the interval */
}

/* ---- steps on a database ---- */

static struct store *
open_db(const char *name)
{
	char path[512], err[512];
	struct store *s = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	T_CHECK(store_open(path, STORE_CREATE, &s, err, sizeof(err)) == 0, "%s", err);
	return s;
}

/* an event; returns its id */
static int64_t
ev_add(struct store *s, int64_t time_s, const char *path, const char *verdict, const char *sev,
       int held, int64_t parent, int64_t acked_s, const char *sha)
{
	sqlite3_stmt *q = store_prepare(s, "INSERT INTO events(time, webspace_id, customer, path, change, "
					   "verdict, severity, held, parent_id, acked_at, new_sha256) "
					   "VALUES(?, 1, 'c', ?, 'modified', ?, ?, ?, ?, ?, ?)");
	int64_t id = 0;

	sqlite3_bind_int64(q, 1, time_s);
	sqlite3_bind_blob(q, 2, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_text(q, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, sev, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, held);
	if (parent)
		sqlite3_bind_int64(q, 6, parent);
	if (acked_s)
		sqlite3_bind_int64(q, 7, acked_s);
	if (sha)
		sqlite3_bind_blob(q, 8, sha, (int)strlen(sha), SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(store_db(s));
	sqlite3_finalize(q);
	return id;
}

static int64_t
outbox_add(struct store *s, const char *state, int64_t created_ms, int64_t sent_ms, int64_t event)
{
	static int n;
	char sql[512];
	int64_t id;

	snprintf(sql, sizeof(sql), "INSERT INTO outbox(uid, created_at, customer, route, transport, "
		 "destination, kind, state, due_at, next_at, sent_at) VALUES('u%d', %lld, 'c', 'r', "
		 "'webhook', 'http://x', 'digest', '%s', %lld, %lld, %s)", n++, (long long)created_ms, state,
		 (long long)created_ms, (long long)created_ms, sent_ms ? "0" : "NULL");
	store_exec(s, sql);
	id = sqlite3_last_insert_rowid(store_db(s));
	if (sent_ms) {
		snprintf(sql, sizeof(sql), "UPDATE outbox SET sent_at=%lld WHERE id=%lld", (long long)sent_ms,
			 (long long)id);
		store_exec(s, sql);
	}
	snprintf(sql, sizeof(sql), "INSERT INTO outbox_events(outbox_id, event_id) VALUES(%lld, %lld)",
		 (long long)id, (long long)event);
	store_exec(s, sql);
	return id;
}

static bool
ev_exists(struct store *s, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id=%lld", (long long)id);
	return fx_query_int(s, sql) == 1;
}

/* steps until the round is done; returns the steps taken */
static int
round_all(struct retention *rt, struct store *s, const struct config_retention *rc, int64_t now_ms)
{
	bool more = true;
	int n = 0;

	while (more && n < 10000) {
		T_CHECK(retention_step(rt, s, rc, now_ms, &more) >= 0, "step %d failed", n);
		n++;
	}
	return n;
}

static void
test_steps(void)
{
	struct config_retention rc = { { 30 * DAY_MS, 365 * DAY_MS, 365 * DAY_MS, 365 * DAY_MS },
				       30 * DAY_MS, 7 * DAY_MS, 600000, 1000 };
	int64_t now_ms = 2000000000ll * 1000, now = now_ms / 1000, old = now - 400 * 86400;
	struct retention rt;
	struct store *s = open_db("steps.db");
	int64_t info_old, info_new, held, parent, member_acked, member_unacked, member_orphan;
	int64_t finding_open, finding_changed, finding_acked, undelivered, delivered_ev, last;
	int64_t ob_sent_old, ob_sent_new, ob_retrying, ob_failed_old, ob_last;

	memset(&rt, 0, sizeof(rt));
	if (s == NULL)
		return;
	store_exec(s, "INSERT INTO files(webspace_id, relpath, sha256, verdict, updated_at) VALUES"
		      "(1, CAST('shell.php' AS BLOB), X'41', 'suspicious', 0), (1, CAST('changed.php' AS BLOB), X'42', 'suspicious', 0)");
	info_old = ev_add(s, now - 31 * 86400, "a.txt", "new", "info", 0, 0, 0, NULL);
	info_new = ev_add(s, now - 29 * 86400, "b.txt", "new", "info", 0, 0, 0, NULL);
	held = ev_add(s, old, "wp/x.php", "update", "notice", 1, 0, 0, NULL);
	/* an update acknowledged 8 days ago: its members go, the aggregate
	 * stays for its year */
	parent = ev_add(s, now - 10 * 86400, "wp", "update", "notice", 0, 0, now - 8 * 86400, NULL);
	member_acked = ev_add(s, now - 10 * 86400, "wp/y.php", "ok", "info", 0, parent, now - 8 * 86400, NULL);
	member_unacked = ev_add(s, now - 10 * 86400, "wp/z.php", "ok", "info", 0, parent + 1000, 0, NULL);
	member_orphan = ev_add(s, now - 10 * 86400, "wp/w.php", "ok", "info", 0, 999999, 0, NULL);
	/* findings two years old: open while the file still holds what they found */
	finding_open = ev_add(s, old, "shell.php", "suspicious", "warning", 0, 0, 0, "A");
	finding_changed = ev_add(s, old, "changed.php", "suspicious", "warning", 0, 0, 0, "A");
	finding_acked = ev_add(s, old, "shell.php", "suspicious", "warning", 0, 0, now - 1000, "A");
	/* an old info event a notification still has to tell, one it told */
	undelivered = ev_add(s, old, "c.txt", "new", "info", 0, 0, 0, NULL);
	delivered_ev = ev_add(s, old, "d.txt", "new", "info", 0, 0, 0, NULL);
	ob_retrying = outbox_add(s, "retrying", now_ms - 300 * DAY_MS, 0, undelivered);
	ob_sent_old = outbox_add(s, "sent", now_ms - 300 * DAY_MS, now_ms - 299 * DAY_MS, delivered_ev);
	ob_failed_old = outbox_add(s, "failed", now_ms - 200 * DAY_MS, 0, delivered_ev);
	ob_sent_new = outbox_add(s, "sent", now_ms - 2 * DAY_MS, now_ms - 2 * DAY_MS, delivered_ev);
	ob_last = outbox_add(s, "sent", now_ms - 300 * DAY_MS, now_ms - 299 * DAY_MS, delivered_ev);
	/* the newest event is old, and due: it stays (its id is never reused) */
	last = ev_add(s, old, "e.txt", "new", "info", 0, 0, 0, NULL);

	round_all(&rt, s, &rc, now_ms);
	T_OK(!ev_exists(s, info_old));
	T_OK(ev_exists(s, info_new));
	T_OK(ev_exists(s, held));
	T_OK(ev_exists(s, parent));
	T_OK(!ev_exists(s, member_acked));
	T_OK(!ev_exists(s, member_unacked)); /* its aggregate (parent + 1000) does not exist */
	T_OK(!ev_exists(s, member_orphan));
	T_OK(ev_exists(s, finding_open));
	T_OK(!ev_exists(s, finding_changed));
	T_OK(!ev_exists(s, finding_acked));
	T_OK(ev_exists(s, undelivered));
	T_OK(!ev_exists(s, delivered_ev));
	T_OK(ev_exists(s, last));
	T_EQ_INT(rt.stats.events, 7);
	T_EQ_INT(fx_query_int(s, "SELECT count(*) FROM outbox"), 3);
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE id IN (%lld, %lld, %lld)",
			 (long long)ob_retrying, (long long)ob_sent_new, (long long)ob_last);
		T_EQ_INT(fx_query_int(s, sql), 3);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox_events WHERE outbox_id IN (%lld, %lld)",
			 (long long)ob_sent_old, (long long)ob_failed_old);
		T_EQ_INT(fx_query_int(s, sql), 0);
	}
	T_EQ_INT(rt.stats.outbox, 2);
	T_EQ_INT(rt.stats.rounds, 1);
	/* the notification delivered: its event goes at the next round */
	store_exec(s, "UPDATE outbox SET state='sent', sent_at=0 WHERE state='retrying'");
	round_all(&rt, s, &rc, now_ms);
	T_OK(!ev_exists(s, undelivered));
	/* the file holds other content now: the finding is closed, and goes */
	store_exec(s, "UPDATE files SET sha256=X'43' WHERE relpath=CAST('shell.php' AS BLOB)");
	round_all(&rt, s, &rc, now_ms);
	T_OK(!ev_exists(s, finding_open));
	T_OK(ev_exists(s, last) && ev_exists(s, held) && ev_exists(s, info_new));
	store_close(s);
}

/* a step deletes at most its batch; a round takes them all in steps */
static void
test_batch(void)
{
	struct config_retention rc = { { DAY_MS, DAY_MS, DAY_MS, DAY_MS }, DAY_MS, DAY_MS, 600000, 100 };
	int64_t now_ms = 2000000000ll * 1000, now = now_ms / 1000;
	struct retention rt;
	struct store *s = open_db("batch.db");
	bool more = false;
	int i, steps;

	memset(&rt, 0, sizeof(rt));
	if (s == NULL)
		return;
	store_begin(s);
	for (i = 0; i < 1050; i++)
		ev_add(s, now - 2 * 86400 + i, "f.txt", "changed-unknown", "info", 0, 0, 0, NULL);
	/* kept ones in between: held, scanned over without counting */
	for (i = 0; i < 2000; i++)
		ev_add(s, now - 2 * 86400, "h.txt", "update", "notice", 1, 0, 0, NULL);
	for (i = 0; i < 10; i++)
		ev_add(s, now - 3600, "g.txt", "changed-unknown", "info", 0, 0, 0, NULL);
	store_commit(s);
	T_EQ_INT(retention_step(&rt, s, &rc, now_ms, &more), 100);
	T_OK(more);
	T_EQ_INT(fx_query_int(s, "SELECT count(*) FROM events"), 3060 - 100);
	steps = round_all(&rt, s, &rc, now_ms);
	/* 950 more in steps of 100, the held ones examined in steps of 800 */
	T_CHECK(steps >= 10 && steps <= 16, "%d steps", steps);
	T_EQ_INT(fx_query_int(s, "SELECT count(*) FROM events"), 2010);
	T_EQ_INT(rt.stats.events, 1050);
	/* a step with a transaction of the caller's open refuses */
	store_begin(s);
	T_EQ_INT(retention_step(&rt, s, &rc, now_ms, &more), -EBUSY);
	store_rollback(s);
	store_close(s);
}

/* deleted pages are reused: the file does not grow while rows come and go */
static void
test_reuse(void)
{
	struct config_retention rc = { { 5000, 5000, 5000, 5000 }, 5000, 5000, 600000, 100000 };
	struct retention rt;
	struct retention_db_stats ds;
	struct store *s = open_db("reuse.db");
	int64_t base = 2000000000ll, size1 = 0, size6 = 0;
	bool more;
	int round, i;

	memset(&rt, 0, sizeof(rt));
	if (s == NULL)
		return;
	for (round = 0; round < 12; round++) {
		store_begin(s);
		for (i = 0; i < 5000; i++)
			ev_add(s, base + round * 10, "some/longer/path/of/a/file/rewritten.php", "changed-unknown",
			       "info", 0, 0, 0, "0123456789abcdef0123456789abcdef");
		store_commit(s);
		/* everything before this round is due */
		more = true;
		while (more)
			retention_step(&rt, s, &rc, (base + round * 10 + 5) * 1000, &more);
		store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
		retention_db_stats(s, &ds);
		printf("# round %d: %lld bytes, %lld free\n", round, (long long)ds.db_bytes, (long long)ds.free_bytes);
		if (round == 1)
			size1 = ds.db_bytes;
		if (round == 6)
			size6 = ds.db_bytes;
	}
	T_EQ_INT(ds.oldest_event_s, base + 110);
	/* a few pages of fragmentation at most: 5 % over ten rounds, and
	 * settled: 1 % over the last five */
	T_CHECK(ds.db_bytes <= size1 + size1 / 20, "grew from %lld to %lld bytes", (long long)size1,
		(long long)ds.db_bytes);
	T_CHECK(ds.db_bytes <= size6 + size6 / 100, "still growing: %lld bytes after round 6, %lld after 11",
		(long long)size6, (long long)ds.db_bytes);
	T_CHECK(ds.free_bytes > 0, "%lld free", (long long)ds.free_bytes);
	store_close(s);
}

/* the notifier's memory: rows past twice its reminder interval go, in steps
 * that resume after the last key examined */
static void
test_notified(void)
{
	struct config_retention rc = { { 0, 0, 0, 0 }, 0, 0, 600000, 10 };
	int64_t now_ms = 2000000000ll * 1000;
	struct retention rt;
	struct store *s = open_db("notified.db");
	bool more = true;
	char sql[512];
	int i, steps = 0;

	memset(&rt, 0, sizeof(rt));
	if (s == NULL)
		return;
	store_begin(s);
	/* 200 rows over two webspaces and two routes: every third told within
	 * the two days, the others before */
	for (i = 0; i < 200; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO notified(webspace_id, path, verdict, route, last_at) "
			 "VALUES(%d, CAST('p%03d' AS BLOB), 'suspicious', '%s', %lld)", 1 + i % 2, i / 4,
			 i % 4 < 2 ? "alice" : "admin",
			 (long long)(now_ms - (i % 3 == 0 ? RETENTION_NOTIFIED_MS - 1000 : RETENTION_NOTIFIED_MS + 1000)));
		store_exec(s, sql);
	}
	store_commit(s);
	T_EQ_INT(fx_query_int(s, "SELECT count(*) FROM notified"), 200);
	while (more && steps < 1000) {
		T_OK(retention_step(&rt, s, &rc, now_ms, &more) >= 0);
		steps++;
	}
	T_EQ_INT(fx_query_int(s, "SELECT count(*) FROM notified"), 67);
	T_EQ_INT(rt.stats.notified, 133);
	/* events (phase 0, kept for ever here), outbox (1), then 133 in steps of 10 */
	T_CHECK(steps >= 2 + 14 && steps <= 2 + 16, "%d steps", steps);
	T_EQ_INT(fx_query_int(s, "SELECT count(*) FROM notified WHERE last_at < 2000000000000 - 172800000"), 0);
	retention_clear(&rt);
	store_close(s);
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(dir) == NULL)
		return 1;
	T_RUN(test_config);
	T_RUN(test_due);
	T_RUN(test_delay);
	T_RUN(test_steps);
	T_RUN(test_batch);
	T_RUN(test_reuse);
	T_RUN(test_notified);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	T_DONE();
}
