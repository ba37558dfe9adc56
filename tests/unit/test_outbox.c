// SPDX-License-Identifier: GPL-2.0-or-later
/* The outbox (outbox.c) over a real SQLite database in a temporary directory:
 * rows added with fresh uids and their events, the open digest found and
 * made due, the rows due, attempts counted, the back-off doubling from its
 * base (or the receiver's Retry-After), rows delivered, failed, dead past
 * their TTL with a dead letter to the admin route, a message's rest moved to
 * its next part, and what the daemon reports of the queue. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "outbox.h"
#include "t.h"

static struct fx f;

static int64_t
now_ms(void)
{
	return now_real_ns() / 1000000;
}

/* the first column of the first row of sql, ?1 bound to id; -2 NULL, -1 none */
static int64_t
q1(const char *sql, int64_t id)
{
	sqlite3_stmt *q = store_prepare(f.s, sql);
	int64_t v = -1;

	if (q) {
		sqlite3_bind_int64(q, 1, id);
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_type(q, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	return v;
}

static const char *
state_of(int64_t id)
{
	static char st[16];
	char sql[80];
	sqlite3_stmt *q;

	st[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT state FROM outbox WHERE id=%lld", (long long)id);
	q = store_prepare(f.s, sql);
	if (q && sqlite3_step(q) == SQLITE_ROW)
		snprintf(st, sizeof(st), "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return st;
}

/* the ids outbox_due lists now, in order, into ids; how many */
static size_t
due(int64_t *ids, size_t max)
{
	sqlite3_stmt *q = outbox_due(f.s, now_ms());
	size_t n = 0;

	while (q && sqlite3_step(q) == SQLITE_ROW)
		if (n < max)
			ids[n++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static void
test_add_and_due(void)
{
	int64_t a, b, c, d, ids[8];
	struct outbox_row r;
	size_t n;

	a = outbox_insert(f.s, "alice", "customer", "webhook", "https://a.example/h", "event", "pending",
			  now_ms() - 1000);
	b = outbox_insert(f.s, "alice", "customer", "email", "a@example.org", "event", "pending",
			  now_ms() - 2000);
	c = outbox_insert(f.s, "bob", "customer", "email", "b@example.org", "event", "pending",
			  now_ms() + 3600000);
	d = outbox_insert(f.s, "bob", "customer", "email", "b@example.org", "digest", "open",
			  now_ms() + 100);
	T_OK(a > 0 && b > a && c > b && d > c);
	T_EQ_INT(outbox_row_get(f.s, a, &r), 0);
	T_EQ_STR(r.customer, "alice");
	T_EQ_STR(r.route, "customer");
	T_EQ_STR(r.transport, "webhook");
	T_EQ_STR(r.dest, "https://a.example/h");
	T_EQ_STR(r.kind, "event");
	T_OK(r.uid && strncmp(r.uid, "wsid-", 5) == 0 && strlen(r.uid) == 5 + 32);
	{
		struct outbox_row rb;

		T_EQ_INT(outbox_row_get(f.s, b, &rb), 0);
		T_OK(!t_streq(r.uid, rb.uid)); /* each row its own uid */
		outbox_row_free(&rb);
	}
	outbox_row_free(&r);
	T_EQ_INT(outbox_row_get(f.s, 9999, &r), -ENOENT);
	outbox_row_free(&r);
	/* events join a row once each */
	outbox_add_event(f.s, a, 11);
	outbox_add_event(f.s, a, 12);
	outbox_add_event(f.s, a, 12);
	T_EQ_INT(q1("SELECT count(*) FROM outbox_events WHERE outbox_id=?1", a), 2);
	T_EQ_INT(q1("SELECT nevents FROM outbox WHERE id=?1", a), 2);
	/* due: the oldest first, neither the later one nor the open digest */
	n = due(ids, 8);
	T_EQ_INT(n, 2);
	if (n == 2) {
		T_EQ_INT(ids[0], b);
		T_EQ_INT(ids[1], a);
	}
	T_EQ_INT(outbox_open_find(f.s, "bob", "customer", "email", "b@example.org"), d);
	T_EQ_INT(outbox_open_find(f.s, "bob", "customer", "email", "c@example.org"), 0);
	T_EQ_INT(outbox_open_find(f.s, "alice", "customer", "email", "a@example.org"), 0);
	/* the next due time: the open digest's */
	T_OK(outbox_next_at(f.s) <= now_ms() - 2000 + 1);
	/* the digest's interval over: pending, and due */
	outbox_digests_due(f.s, now_ms() + 200);
	T_EQ_STR(state_of(d), "pending");
	T_EQ_INT(outbox_open_find(f.s, "bob", "customer", "email", "b@example.org"), 0);
	outbox_digests_due(f.s, now_ms());
	T_EQ_STR(state_of(c), "pending");
}

static struct deliver_result
result(int64_t id, int outcome, long status, unsigned retry_after_s, const char *err)
{
	struct deliver_result r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.outcome = outcome;
	r.status = status;
	r.retry_after_s = retry_after_s;
	snprintf(r.error, sizeof(r.error), "%s", err);
	return r;
}

static void
test_retries(void)
{
	int64_t id = outbox_insert(f.s, "carol", "customer", "webhook", "https://c.example/h", "event",
				   "pending", now_ms());
	struct deliver_result r;
	int k;

	/* attempts are counted; the back-off doubles from its base, +-20 % */
	for (k = 1; k <= 4; k++) {
		int64_t before = now_ms(), next, base = 1000LL << (k - 1);

		outbox_mark_sending(f.s, id);
		T_EQ_STR(state_of(id), "sending");
		T_EQ_INT(q1("SELECT attempts FROM outbox WHERE id=?1", id), k);
		r = result(id, DELIVER_RETRY, 503, 0, "503 Service Unavailable");
		T_EQ_INT(outbox_result(f.s, &r, 1000, 86400000), OUTBOX_RETRYING);
		T_EQ_STR(state_of(id), "retrying");
		next = q1("SELECT next_at FROM outbox WHERE id=?1", id);
		T_CHECK(next >= before + base * 8 / 10 && next <= now_ms() + base * 12 / 10,
			"attempt %d: next in %lld ms, base %lld", k, (long long)(next - before), (long long)base);
		T_EQ_INT(q1("SELECT last_status FROM outbox WHERE id=?1", id), 503);
	}
	/* the receiver's Retry-After when longer */
	outbox_mark_sending(f.s, id);
	r = result(id, DELIVER_RETRY, 429, 600, "429");
	T_EQ_INT(outbox_result(f.s, &r, 1000, 86400000), OUTBOX_RETRYING);
	T_OK(q1("SELECT next_at FROM outbox WHERE id=?1", id) >= now_ms() + 599000);
	/* rows in flight when the daemon stopped are sent again */
	outbox_mark_sending(f.s, id);
	outbox_requeue_sending(f.s);
	T_EQ_STR(state_of(id), "pending");
	T_EQ_INT(q1("SELECT attempts FROM outbox WHERE id=?1", id), 6);
	/* delivered */
	outbox_mark_sending(f.s, id);
	r = result(id, DELIVER_OK, 200, 0, "");
	T_EQ_INT(outbox_result(f.s, &r, 1000, 86400000), OUTBOX_SENT);
	T_EQ_STR(state_of(id), "sent");
	T_OK(q1("SELECT sent_at FROM outbox WHERE id=?1", id) >= now_ms() - 5000);
	T_EQ_INT(q1("SELECT last_status FROM outbox WHERE id=?1", id), 200);
	/* refused for good */
	id = outbox_insert(f.s, "carol", "customer", "email", "c@example.org", "event", "pending", now_ms());
	outbox_mark_sending(f.s, id);
	r = result(id, DELIVER_FAILED, 550, 0, "550 no such user");
	T_EQ_INT(outbox_result(f.s, &r, 1000, 86400000), OUTBOX_FAILED);
	T_EQ_STR(state_of(id), "failed");
	{
		struct buf b;

		buf_init(&b, 4096);
		outbox_failing_routes(f.s, &b);
		T_OK(b.data && strstr(b.data, "carol/customer email c@example.org: 550 no such user") != NULL);
		buf_free(&b);
	}
}

static void
test_dead_letter(void)
{
	int64_t id = outbox_insert(f.s, "dave", "customer", "webhook", "https://d.example/h", "event", "pending",
				   now_ms());
	struct deliver_result r;
	char *note = NULL;
	int64_t wh, em;

	outbox_add_event(f.s, id, 21);
	outbox_add_event(f.s, id, 22);
	/* a retry that would end past the TTL: dead */
	outbox_mark_sending(f.s, id);
	r = result(id, DELIVER_RETRY, 0, 0, "connection refused");
	T_EQ_INT(outbox_result(f.s, &r, 60000, 1000), OUTBOX_DEAD);
	T_EQ_STR(state_of(id), "dead");
	/* the admin route is told, by webhook and by mail, of the same events */
	outbox_dead_letter(f.s, id, "https://admin.example/h", "root@example.org");
	wh = q1("SELECT max(id) FROM outbox WHERE route='admin' AND kind='dead-letter' AND transport='webhook' "
		"AND id>?1", id);
	em = q1("SELECT max(id) FROM outbox WHERE route='admin' AND kind='dead-letter' AND transport='email' "
		"AND id>?1", id);
	T_OK(wh > id && em > id);
	T_EQ_INT(q1("SELECT count(*) FROM outbox_events WHERE outbox_id=?1 AND event_id IN (21, 22)", wh), 2);
	T_EQ_INT(q1("SELECT count(*) FROM outbox_events WHERE outbox_id=?1", em), 2);
	/* and counts them, as the message it stands for did */
	T_EQ_INT(q1("SELECT nevents FROM outbox WHERE id=?1", wh), 2);
	T_EQ_INT(q1("SELECT nevents FROM outbox WHERE id=?1", em), 2);
	T_EQ_INT(outbox_note(f.s, wh, &note), 0);
	T_OK(note && strstr(note, "could not be delivered") && strstr(note, "connection refused") &&
	     strstr(note, "customer dave"));
	free(note);
	T_EQ_INT(outbox_note(f.s, 99999, &note), -ENOENT);
	/* a dead letter that dies itself is not told again (no loop) */
	outbox_mark_sending(f.s, wh);
	r = result(wh, DELIVER_RETRY, 0, 0, "timeout");
	T_EQ_INT(outbox_result(f.s, &r, 60000, 1000), OUTBOX_DEAD);
	outbox_dead_letter(f.s, wh, "https://admin.example/h", NULL);
	T_EQ_INT(q1("SELECT count(*) FROM outbox WHERE id>?1", em), 0);
	/* no admin route: nothing */
	outbox_dead_letter(f.s, id, NULL, NULL);
	T_EQ_INT(q1("SELECT count(*) FROM outbox WHERE id>?1", em), 0);
}

static void
test_parts(void)
{
	int64_t id = outbox_insert(f.s, "erin", "customer", "email", "e@example.org", "event", "pending",
				   now_ms());
	int64_t rest[2] = { 32, 33 }, next;
	struct message_part p;
	struct outbox_row r, rn;

	outbox_add_event(f.s, id, 31);
	outbox_add_event(f.s, id, 32);
	outbox_add_event(f.s, id, 33);
	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.rest = rest;
	p.nrest = 2;
	T_EQ_INT(outbox_row_get(f.s, id, &r), 0);
	T_EQ_INT(outbox_store_body(f.s, id, r.uid, &p, "body one", 8), 0);
	/* this part keeps what fit and its body; the rest is the next part's */
	T_EQ_INT(q1("SELECT length(body) FROM outbox WHERE id=?1", id), 8);
	T_EQ_INT(q1("SELECT nevents FROM outbox WHERE id=?1", id), 1);
	next = q1("SELECT max(id) FROM outbox WHERE id>?1", id);
	T_OK(next > id);
	T_EQ_INT(q1("SELECT nevents FROM outbox WHERE id=?1", next), 2);
	T_EQ_INT(q1("SELECT count(*) FROM outbox_events WHERE outbox_id=?1 AND event_id IN (32, 33)", next), 2);
	T_EQ_STR(state_of(next), "pending");
	T_EQ_INT(outbox_row_get(f.s, next, &rn), 0);
	{
		char want[80];

		snprintf(want, sizeof(want), "%s-p2", r.uid);
		T_EQ_STR(rn.uid, want);
		T_EQ_STR(rn.dest, "e@example.org");
	}
	outbox_row_free(&r);
	outbox_row_free(&rn);
}

static void
test_counts(void)
{
	struct notifier_stats st;

	memset(&st, 0, sizeof(st));
	outbox_count_states(f.s, &st);
	T_EQ_INT(st.sent, 1);
	T_EQ_INT(st.failed, 1);
	T_EQ_INT(st.dead, 2);
	T_EQ_INT(st.open + st.pending + st.sending + st.retrying + st.sent + st.failed + st.dead,
		 q1("SELECT count(*) FROM outbox WHERE id>?1", 0));
}

int
main(void)
{
	if (fx_open(&f, "outbox") < 0) {
		printf("not ok: a database\n0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_add_and_due);
	T_RUN(test_retries);
	T_RUN(test_dead_letter);
	T_RUN(test_parts);
	T_RUN(test_counts);
	fx_close(&f);
	T_DONE();
}
