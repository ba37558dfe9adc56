// SPDX-License-Identifier: GPL-2.0-or-later
/* The outbox: the persistent queue of notifications (tables outbox and
 * outbox_events, schema in store.c). Rows are written in the transaction of
 * the events they tell (notify.c routes them); a row becomes due, its message
 * is built once (message.c) and stored with it, is handed to the delivery
 * process, and ends sent, failed, or dead once its TTL is over, with a dead
 * letter to the admin route. Retries wait notify_backoff_ms. See outbox.h. */
#include "outbox.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventfmt.h"
#include "log.h"
#include "message.h"
#include "util.h"

static uint64_t
now_ms(void)
{
	return (uint64_t)(now_real_ns() / 1000000);
}

static void
new_uid(char out[40])
{
	uint8_t r[16];

	randombytes_buf(r, sizeof(r));
	memcpy(out, "wsid-", 5); /* NOLINT(bugprone-not-null-terminated-result): hex_encode ends it */
	hex_encode(r, sizeof(r), out + 5);
}

int64_t
outbox_insert(struct store *s, const char *customer, const char *route, const char *transport,
	      const char *dest, const char *kind, const char *state, int64_t due)
{
	char uid[40];

	new_uid(uid);
	if (store_exec_bind(s, "INSERT INTO outbox(uid, created_at, customer, route, transport, destination, "
			       "kind, state, due_at, next_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
			    "titttttti", uid, (int64_t)now_ms(), customer, route, transport, dest, kind, state,
			    due) < 0)
		return 0;
	return sqlite3_last_insert_rowid(store_db(s));
}

void
outbox_add_event(struct store *s, int64_t oid, int64_t event_id)
{
	/* counted once: an event the row lists already is not counted again */
	if (store_exec_bind(s, "INSERT OR IGNORE INTO outbox_events(outbox_id, event_id) VALUES(?, ?)", "ii", oid,
			    event_id) == 0 &&
	    sqlite3_changes(store_db(s)) == 1)
		store_exec_bind(s, "UPDATE outbox SET nevents=nevents+1 WHERE id=?", "i", oid);
}

void
outbox_set_state(struct store *s, int64_t id, const char *state, int64_t next_at, const char *err,
	  long status)
{
	store_exec_bind(s, "UPDATE outbox SET state=?1, next_at=coalesce(?2, next_at), last_error=coalesce(?3, "
			   "last_error), last_status=coalesce(?4, last_status), sent_at=CASE WHEN ?1='sent' "
			   "THEN ?5 ELSE sent_at END WHERE id=?6",
			"tntnii", state, next_at, err, (int64_t)status, (int64_t)now_ms(), id);
}

int
outbox_readdress(struct store *s, int64_t id, const char *transport, const char *dest)
{
	return store_exec_bind(s, "UPDATE outbox SET destination=?1, body=CASE WHEN ?2='email' THEN NULL "
				  "ELSE body END WHERE id=?3",
			       "tti", dest, transport, id) < 0 ? -EIO : 0;
}

/* the events of part p that did not fit move to a new row, the next part
 * (same route, kind and note; due now); false when the database refused */
bool
outbox_split_rest(struct store *s, int64_t id, const char *uid, int num, const int64_t *rest, size_t nrest)
{
	char *nuid;
	int64_t nid;
	size_t i;
	const char *dash = strstr(uid, "-p");
	int r;

	nuid = xasprintf("%.*s-p%d", (int)(dash ? (size_t)(dash - uid) : strlen(uid)), uid, num + 1);
	r = store_exec_bind(s, "INSERT INTO outbox(uid, created_at, customer, route, transport, destination, "
			       "kind, state, due_at, next_at, subject) SELECT ?1, created_at, customer, route, "
			       "transport, destination, kind, 'pending', ?2, ?2, subject FROM outbox WHERE id=?3",
			    "tii", nuid, (int64_t)now_ms(), id);
	free(nuid);
	if (r < 0 || sqlite3_changes(store_db(s)) != 1)
		return false;
	nid = sqlite3_last_insert_rowid(store_db(s));
	for (i = 0; r == 0 && i < nrest; i++)
		r = store_exec_bind(s, "UPDATE outbox_events SET outbox_id=?1 WHERE outbox_id=?2 AND event_id=?3",
				    "iii", nid, id, rest[i]);
	return r == 0 && store_exec_bind(s, "UPDATE outbox SET nevents=(SELECT count(*) FROM outbox_events "
					   "WHERE outbox_id=outbox.id) WHERE id IN (?1, ?2)",
					"ii", id, nid) == 0;
}

void
outbox_dead_letter(struct store *s, int64_t id, const char *webhook, const char *emails)
{
	sqlite3_stmt *q = store_query(s, "SELECT uid, customer, transport, destination, last_error, route "
					    "FROM outbox WHERE id=?", "i", id);
	int64_t nid;

	if (q == NULL)
		return;
	if (sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 5), "admin") != 0 &&
	    (webhook || emails)) {
		char text[1024];
		size_t k;

		snprintf(text, sizeof(text), "Notification %s (%s to %s, customer %s) could not be delivered "
			 "before its TTL ran out. Last error: %s",
			 sqlite3_column_text(q, 0), sqlite3_column_text(q, 2), sqlite3_column_text(q, 3),
			 sqlite3_column_text(q, 1),
			 sqlite3_column_text(q, 4) ? (const char *)sqlite3_column_text(q, 4) : "-");
		for (k = 0; k < 2; k++) {
			const char *tr = k == 0 ? "webhook" : "email";
			const char *dest = k == 0 ? webhook : emails;

			if (dest == NULL)
				continue;
			nid = outbox_insert(s, "", "admin", tr, dest, "dead-letter", "pending", (int64_t)now_ms());
			if (nid == 0)
				continue;
			store_exec_bind(s, "INSERT OR IGNORE INTO outbox_events(outbox_id, event_id) "
					   "SELECT ?, event_id FROM outbox_events WHERE outbox_id=?",
					"ii", nid, id);
			/* what `wsidctl outbox` counts: the events it tells of */
			store_exec_bind(s, "UPDATE outbox SET subject=?1, nevents=(SELECT count(*) FROM "
					   "outbox_events WHERE outbox_id=?2) WHERE id=?2",
					"ti", text, nid);
		}
	}
	sqlite3_finalize(q);
}

/* ---- what a message lists ---- */

#define SEV_RANK "CASE ev.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'notice' THEN 1 ELSE 0 END"
#define LISTED_SQL                                                                                 \
	EVENTFMT_SELECT "WHERE e.id IN (SELECT event_id FROM (SELECT oe.event_id, row_number() OVER "     \
			"(PARTITION BY ev.customer ORDER BY " SEV_RANK " DESC, ev.id) AS rn FROM outbox_events " \
			"oe JOIN events ev ON ev.id=oe.event_id WHERE oe.outbox_id=?1) WHERE rn<=?2) ORDER BY e.id"

sqlite3_stmt *
outbox_listed_events(struct store *s, int64_t oid, unsigned max_events)
{
	return store_query(s, LISTED_SQL, "ii", oid, (int64_t)(max_events ? max_events : 100));
}

/* the customers of message oid with more events than are listed */
void
outbox_omitted(struct store *s, int64_t oid, unsigned max_events, struct message_part *p)
{
	sqlite3_stmt *q = store_query(s, "SELECT ev.customer, count(*) - ?2 FROM outbox_events oe JOIN "
					    "events ev ON ev.id=oe.event_id JOIN webspaces w ON "
					    "w.id=ev.webspace_id WHERE oe.outbox_id=?1 GROUP BY ev.customer "
					    "HAVING count(*) > ?2 ORDER BY ev.customer",
				      "ii", oid, (int64_t)(max_events ? max_events : 100));

	if (q == NULL)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(q, 0);

		p->omit_customer = xreallocarray(p->omit_customer, p->nomit + 1, sizeof(char *));
		p->omit_count = xreallocarray(p->omit_count, p->nomit + 1, sizeof(int64_t));
		p->omit_customer[p->nomit] = xstrdup(c ? c : "");
		p->omit_count[p->nomit] = sqlite3_column_int64(q, 1);
		p->omitted += p->omit_count[p->nomit];
		/* its line or object, the command included */
		p->reserve += 2 * strlen(p->omit_customer[p->nomit]) + 200;
		p->nomit++;
	}
	sqlite3_finalize(q);
}

int
outbox_note(struct store *s, int64_t id, char **ret)
{
	sqlite3_stmt *q = store_query(s, "SELECT subject FROM outbox WHERE id=?", "i", id);
	int r = -ENOENT;

	*ret = NULL;
	if (q == NULL)
		return -EIO;
	if (sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_text(q, 0))
			*ret = xstrdup((const char *)sqlite3_column_text(q, 0));
		r = 0;
	}
	sqlite3_finalize(q);
	return r;
}

/* ---- the life of a row ---- */

int64_t
outbox_open_find(struct store *s, const char *customer, const char *route, const char *transport,
		 const char *dest)
{
	sqlite3_stmt *q = store_query(s, "SELECT id FROM outbox WHERE state='open' AND customer=? AND route=? "
					 "AND transport=? AND destination=?",
				      "tttt", customer, route, transport, dest);
	int64_t oid = 0;

	if (q && sqlite3_step(q) == SQLITE_ROW)
		oid = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return oid;
}

void
outbox_digests_due(struct store *s, int64_t now)
{
	store_exec_bind(s, "UPDATE outbox SET state='pending' WHERE state='open' AND due_at<=?", "i", now);
}

sqlite3_stmt *
outbox_due(struct store *s, int64_t now)
{
	return store_query(s, "SELECT id, uid, customer, route, transport, destination, kind, body FROM outbox "
			      "WHERE state IN ('pending', 'retrying') AND next_at<=? ORDER BY next_at LIMIT 200",
			   "i", now);
}

int
outbox_row_get(struct store *s, int64_t id, struct outbox_row *ret)
{
	sqlite3_stmt *q = store_query(s, "SELECT uid, kind, customer, route, transport, destination "
					 "FROM outbox WHERE id=?", "i", id);
	int r = -ENOENT;
	int k;

	memset(ret, 0, sizeof(*ret));
	if (q == NULL)
		return -EIO;
	if (sqlite3_step(q) == SQLITE_ROW) {
		char **f[6] = { &ret->uid, &ret->kind, &ret->customer, &ret->route, &ret->transport, &ret->dest };

		for (k = 0; k < 6; k++)
			*f[k] = xstrdup(sqlite3_column_text(q, k) ? (const char *)sqlite3_column_text(q, k) : "");
		r = 0;
	}
	sqlite3_finalize(q);
	return r;
}

void
outbox_row_free(struct outbox_row *r)
{
	free(r->uid);
	free(r->kind);
	free(r->customer);
	free(r->route);
	free(r->transport);
	free(r->dest);
}

int
outbox_store_body(struct store *s, int64_t id, const char *uid, const struct message_part *p,
		  const void *body, size_t len)
{
	bool done;

	if (store_exec(s, "SAVEPOINT notify_part") != 0)
		return -EIO;
	/* the next part and this one's body, together or not at all */
	done = (p->nrest == 0 || outbox_split_rest(s, id, uid, p->num, p->rest, p->nrest)) &&
	       store_exec_bind(s, "UPDATE outbox SET body=? WHERE id=?", "bi", body, len, id) == 0;
	store_exec(s, done ? "RELEASE notify_part" : "ROLLBACK TO notify_part; RELEASE notify_part");
	return done ? 0 : -EIO;
}

void
outbox_mark_sending(struct store *s, int64_t id)
{
	store_exec_bind(s, "UPDATE outbox SET state='sending', attempts=attempts+1 WHERE id=?", "i", id);
}

enum outbox_outcome
outbox_result(struct store *s, const struct deliver_result *r, uint64_t backoff_ms, uint64_t ttl_ms)
{
	sqlite3_stmt *q = store_query(s, "SELECT created_at, attempts FROM outbox WHERE id=?", "i", r->id);
	int64_t created = 0, attempts = 0;
	uint64_t now = now_ms();

	if (q && sqlite3_step(q) == SQLITE_ROW) {
		created = sqlite3_column_int64(q, 0);
		attempts = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (r->outcome == DELIVER_OK) {
		outbox_set_state(s, r->id, "sent", 0, NULL, r->status);
		return OUTBOX_SENT;
	} else if (r->outcome == DELIVER_FAILED) {
		log_warnx("notify: %lld failed for good: %s", (long long)r->id, r->error);
		outbox_set_state(s, r->id, "failed", 0, r->error[0] ? r->error : "refused", r->status);
		return OUTBOX_FAILED;
	} else {
		uint64_t wait = notify_backoff_ms(backoff_ms, (int)attempts, randombytes_random());

		if (r->retry_after_s && (uint64_t)r->retry_after_s * 1000 > wait)
			wait = (uint64_t)r->retry_after_s * 1000;
		if (now + wait > (uint64_t)created + ttl_ms) {
			log_warnx("notify: %lld dead after %lld attempts: %s", (long long)r->id,
				  (long long)attempts, r->error);
			outbox_set_state(s, r->id, "dead", 0, r->error[0] ? r->error : "retries exhausted", r->status);
			return OUTBOX_DEAD;
		}
		outbox_set_state(s, r->id, "retrying", (int64_t)(now + wait), r->error[0] ? r->error : "retry",
				 r->status);
		return OUTBOX_RETRYING;
	}
}

/* ---- what the daemon reports ---- */

int64_t
outbox_next_at(struct store *s)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT min(t) FROM (SELECT min(next_at) AS t FROM outbox WHERE "
					   "state IN ('pending', 'retrying') UNION ALL SELECT min(due_at) FROM "
					   "outbox WHERE state='open')");
	int64_t next = -1;

	if (q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return next;
}

void
outbox_failing_routes(struct store *s, struct buf *out)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT o.customer, o.route, o.transport, o.destination, "
					      "o.last_error FROM outbox o JOIN (SELECT max(id) AS id FROM outbox "
					      "WHERE attempts>0 GROUP BY customer, route, transport, destination) l "
					      "ON o.id=l.id WHERE o.state IN ('retrying','failed','dead') "
					      "ORDER BY o.id DESC LIMIT 10");

	if (q == NULL)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *cu = (const char *)sqlite3_column_text(q, 0);
		const char *why = (const char *)sqlite3_column_text(q, 4);

		buf_printf(out, "%s%s%s%s %s %s: %s", out->len ? "; " : "", cu && *cu ? cu : "",
			   cu && *cu ? "/" : "", (const char *)sqlite3_column_text(q, 1),
			   (const char *)sqlite3_column_text(q, 2), esc_name((const char *)sqlite3_column_text(q, 3)),
			   why ? esc_name(why) : "no answer");
	}
	sqlite3_finalize(q);
}

void
outbox_count_states(struct store *s, struct notifier_stats *ret)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT state, count(*) FROM outbox GROUP BY state");

	while (q && sqlite3_step(q) == SQLITE_ROW) {
		const char *st = (const char *)sqlite3_column_text(q, 0);
		int64_t c = sqlite3_column_int64(q, 1);

		if (st == NULL)
			continue;
		if (strcmp(st, "open") == 0)
			ret->open = c;
		else if (strcmp(st, "pending") == 0)
			ret->pending = c;
		else if (strcmp(st, "sending") == 0)
			ret->sending = c;
		else if (strcmp(st, "retrying") == 0)
			ret->retrying = c;
		else if (strcmp(st, "sent") == 0)
			ret->sent = c;
		else if (strcmp(st, "failed") == 0)
			ret->failed = c;
		else if (strcmp(st, "dead") == 0)
			ret->dead = c;
	}
	sqlite3_finalize(q);
}

void
outbox_requeue_sending(struct store *s)
{
	store_exec_bind(s, "UPDATE outbox SET state='pending' WHERE state='sending'", "");
}

/* ---- notified: the notifier's memory of findings told (notify.c's dedupe) ---- */

int
outbox_notified_get(struct store *s, const struct outbox_finding *f, uint8_t ret_sha[SHA256_LEN],
		    int *ret_shalen, int64_t *ret_last_at)
{
	sqlite3_stmt *q = store_query(s, "SELECT sha256, last_at FROM notified WHERE webspace_id=? AND "
					 "path=? AND verdict=? AND route=?",
				      "ibtt", f->ws, f->path, (size_t)f->plen, f->verdict, f->route);
	int r = -ENOENT, len;

	if (q == NULL)
		return -EIO;
	if (sqlite3_step(q) == SQLITE_ROW) {
		len = sqlite3_column_bytes(q, 0);
		*ret_shalen = len;
		if (len == SHA256_LEN)
			memcpy(ret_sha, sqlite3_column_blob(q, 0), SHA256_LEN);
		*ret_last_at = sqlite3_column_int64(q, 1);
		r = 0;
	}
	sqlite3_finalize(q);
	return r;
}

void
outbox_notified_put(struct store *s, const struct outbox_finding *f, int64_t now_ms)
{
	/* no content told: sha256 NULL (a blob with no pointer binds NULL) */
	store_exec_bind(s, "INSERT INTO notified(webspace_id, path, verdict, route, sha256, last_at) "
			   "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET sha256=?5, last_at=?6",
			"ibttbi", f->ws, f->path, (size_t)f->plen, f->verdict, f->route,
			f->shalen ? f->sha : NULL, (size_t)f->shalen, now_ms);
}

/* ---- the rows as wsidctl outbox and notify test read and requeue them ---- */

static void
row_of(sqlite3_stmt *q, struct outbox_listed *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(q, 0);
	r->uid = (const char *)sqlite3_column_text(q, 1);
	r->state = (const char *)sqlite3_column_text(q, 2);
	r->kind = (const char *)sqlite3_column_text(q, 3);
	r->customer = (const char *)sqlite3_column_text(q, 4);
	r->route = (const char *)sqlite3_column_text(q, 5);
	r->transport = (const char *)sqlite3_column_text(q, 6);
	r->destination = (const char *)sqlite3_column_text(q, 7);
	r->attempts = sqlite3_column_int64(q, 8);
	r->created_at = sqlite3_column_int64(q, 9);
	r->next_at = sqlite3_column_int64(q, 10);
	r->sent = sqlite3_column_type(q, 11) != SQLITE_NULL;
	r->sent_at = sqlite3_column_int64(q, 11);
	r->has_status = sqlite3_column_type(q, 12) != SQLITE_NULL;
	r->last_status = sqlite3_column_int64(q, 12);
	r->last_error = (const char *)sqlite3_column_text(q, 13);
	r->nevents = sqlite3_column_int64(q, 14);
}

#define OUTBOX_ROW_COLUMNS                                                                      \
	"SELECT id, uid, state, kind, customer, route, transport, destination, attempts, created_at, " \
	"next_at, sent_at, last_status, last_error, nevents FROM outbox "

static int
rows_each(sqlite3_stmt *q, outbox_listed_fn fn, void *ud)
{
	struct outbox_listed row;
	int step, r = 0;

	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		row_of(q, &row);
		r = fn(ud, &row);
	}
	sqlite3_finalize(q);
	if (r != 0)
		return r;
	return step == SQLITE_DONE ? 0 : -EIO;
}

int
outbox_rows(struct store *s, bool all, outbox_listed_fn fn, void *ud)
{
	sqlite3_stmt *q = store_query(s, OUTBOX_ROW_COLUMNS "WHERE ?1 OR state<>'sent' ORDER BY id", "i",
				      (int64_t)all);

	if (q == NULL)
		return -EIO;
	return rows_each(q, fn, ud);
}

int
outbox_test_rows(struct store *s, int64_t first, int64_t last, const char *customer, outbox_listed_fn fn,
		 void *ud)
{
	sqlite3_stmt *q = store_query(s, OUTBOX_ROW_COLUMNS "WHERE id BETWEEN ?1 AND ?2 AND kind='test' "
							    "AND customer=?3 ORDER BY id",
				      "iit", first, last, customer);

	if (q == NULL)
		return -EIO;
	return rows_each(q, fn, ud);
}

int
outbox_test_count(struct store *s, int64_t first, int64_t last, const char *customer, int64_t *ret_n,
		  int64_t *ret_sent, int64_t *ret_bad)
{
	sqlite3_stmt *q = store_query(s, "SELECT count(*), sum(state='sent'), sum(state IN ('retrying',"
					 "'failed','dead')) FROM outbox WHERE id BETWEEN ? AND ? AND "
					 "kind='test' AND customer=?",
				      "iit", first, last, customer);

	*ret_n = *ret_sent = *ret_bad = 0;
	if (q == NULL)
		return -EIO;
	if (sqlite3_step(q) == SQLITE_ROW) {
		*ret_n = sqlite3_column_int64(q, 0);
		*ret_sent = sqlite3_column_int64(q, 1);
		*ret_bad = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	return 0;
}

int
outbox_requeue_failed(struct store *s, bool all, int64_t id, int64_t now_ms)
{
	int r = store_exec_bind(s, "UPDATE outbox SET state='pending', next_at=?1, created_at=?1, "
				   "last_error=NULL WHERE (?2 OR id=?3) AND state IN ('retrying', "
				   "'failed', 'dead')",
				"iii", now_ms, (int64_t)all, id);

	return r < 0 ? -EIO : sqlite3_changes(store_db(s));
}
