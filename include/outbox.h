/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The outbox (outbox.c): the SQL of the persistent notification queue
 * (tables outbox and outbox_events), its back-off and dead letters. Called by
 * the notifier (notify.c) on the daemon's connection: rows for an event are
 * written in the transaction that stores the event.
 *
 * A row's states: open (a digest collecting events until due_at) -> pending
 * -> sending (handed to the delivery process) -> sent | failed | retrying
 * (next_at after a back-off, notify_backoff_ms) -> ... -> dead when the TTL
 * is over, with a dead letter for the admin route. */
#ifndef WSID_OUTBOX_H
#define WSID_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deliver.h"
#include "message.h"
#include "notify.h"
#include "store.h"

/* a row as a message is built from it (strings malloc'ed, "" for NULL) */
struct outbox_row {
	char *uid, *kind, *customer, *route, *transport, *dest;
};

enum outbox_outcome { OUTBOX_SENT, OUTBOX_FAILED, OUTBOX_RETRYING, OUTBOX_DEAD };

/* a new row with a fresh uid (sent as Idempotency-Key / Message-ID); its id,
 * 0 when the database refused */
int64_t outbox_insert(struct store *s, const char *customer, const char *route, const char *transport,
		      const char *dest, const char *kind, const char *state, int64_t due);
/* the event joins row oid */
void outbox_add_event(struct store *s, int64_t oid, int64_t event_id);
/* the open digest of (customer, route, transport, destination), 0 none */
int64_t outbox_open_find(struct store *s, const char *customer, const char *route, const char *transport,
			 const char *dest);
/* a row's state; next_at, err and status only when given (0, NULL, 0 keep) */
void outbox_set_state(struct store *s, int64_t id, const char *state, int64_t next_at, const char *err,
		      long status);
/* a row sent to another destination (its route's address changed): an
 * email's body, which names its recipients, is built again; 0 or -EIO */
int outbox_readdress(struct store *s, int64_t id, const char *transport, const char *dest);
/* digests whose interval is over become pending */
void outbox_digests_due(struct store *s, int64_t now);
/* the rows due now, oldest first (at most 200): id, uid, customer, route,
 * transport, destination, kind, body (NULL until built). The caller
 * finalizes the statement. */
sqlite3_stmt *outbox_due(struct store *s, int64_t now);
int outbox_row_get(struct store *s, int64_t id, struct outbox_row *ret);
void outbox_row_free(struct outbox_row *r);
/* a part's body, and the events that did not fit moved to the next part's
 * new row: together or not at all (a savepoint); 0 or -EIO */
int outbox_store_body(struct store *s, int64_t id, const char *uid, const struct message_part *p,
		      const void *body, size_t len);
/* the events of p that did not fit move to a new row (uid "<uid>-p<num+1>") */
bool outbox_split_rest(struct store *s, int64_t id, const char *uid, int num, const int64_t *rest,
		       size_t nrest);
/* handed to the delivery process: one attempt more */
void outbox_mark_sending(struct store *s, int64_t id);
/* a delivery's result: sent, failed for good, retrying after the back-off
 * (base backoff_ms, or the receiver's Retry-After if longer), or dead when
 * that would pass the row's TTL */
enum outbox_outcome outbox_result(struct store *s, const struct deliver_result *r, uint64_t backoff_ms,
				  uint64_t ttl_ms);
/* a dead row told to the admin route (its webhook URL and e-mail
 * addresses, NULL: none), listing the same events */
void outbox_dead_letter(struct store *s, int64_t id, const char *webhook, const char *emails);
/* the events a message lists (eventfmt.h's columns; at most max_events per
 * customer, 0: 100), and the customers with more, counted into p */
sqlite3_stmt *outbox_listed_events(struct store *s, int64_t oid, unsigned max_events);
void outbox_omitted(struct store *s, int64_t oid, unsigned max_events, struct message_part *p);
/* a dead letter's note (*ret malloc'ed, NULL when none); -ENOENT no row */
int outbox_note(struct store *s, int64_t id, char **ret);
/* when the next row is due (ms), -1 none */
int64_t outbox_next_at(struct store *s);
/* the routes whose last attempt failed (notifier_failing_routes) */
void outbox_failing_routes(struct store *s, struct buf *out);
/* rows by state into ret's open ... dead */
void outbox_count_states(struct store *s, struct notifier_stats *ret);
/* rows in flight when the daemon stopped are sent again */
void outbox_requeue_sending(struct store *s);

/* notified: a finding told on a route (the notifier's dedupe) */
struct outbox_finding {
	int64_t ws;
	const void *path;
	int plen;
	const char *verdict, *route;
	const void *sha; /* the content told, shalen bytes (0: none) */
	int shalen;
};
/* when it was last told and with which content (ret_sha filled when
 * *ret_shalen is SHA256_LEN); -ENOENT never, -EIO */
int outbox_notified_get(struct store *s, const struct outbox_finding *f, uint8_t ret_sha[SHA256_LEN],
			int *ret_shalen, int64_t *ret_last_at);
/* told now (replaces what was remembered) */
void outbox_notified_put(struct store *s, const struct outbox_finding *f, int64_t now_ms);

/* a row as wsidctl outbox lists it; pointers borrowed for the call (times
 * in ms) */
struct outbox_listed {
	int64_t id;
	const char *uid, *state, *kind, *customer, *route, *transport, *destination;
	int64_t attempts, created_at, next_at;
	bool sent; /* sent_at is set */
	int64_t sent_at;
	bool has_status; /* last_status is set */
	int64_t last_status;
	const char *last_error;
	int64_t nevents;
};
/* a callback returning non-zero stops a walk with that value; -EIO */
typedef int (*outbox_listed_fn)(void *ud, const struct outbox_listed *r);
/* the rows not sent (all: every row), by id */
int outbox_rows(struct store *s, bool all, outbox_listed_fn fn, void *ud);
/* the test messages of customer among ids first..last: the rows, and how
 * many there are, sent, and failed or retrying */
int outbox_test_rows(struct store *s, int64_t first, int64_t last, const char *customer, outbox_listed_fn fn,
		     void *ud);
int outbox_test_count(struct store *s, int64_t first, int64_t last, const char *customer, int64_t *ret_n,
		      int64_t *ret_sent, int64_t *ret_bad);
/* retrying, failed and dead rows (all, or the one id) pending again from
 * now: how many, or -EIO */
int outbox_requeue_failed(struct store *s, bool all, int64_t id, int64_t now_ms);

#endif
