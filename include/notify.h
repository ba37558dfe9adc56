/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifications, the daemon's side: routing of stored events to the owner of
 * each webspace (and the default and admin routes), the persistent outbox,
 * digests, retries with back-off, dead letters, and the hand-over of finished
 * messages to the unprivileged delivery process (deliver.h).
 *
 * DESIGN (never lost, never sent twice): notifier_event_row() runs on the
 * daemon's connection inside the transaction that stores the event, so the
 * outbox row commits with it or not at all. Every row has a stable uid,
 * sent as Idempotency-Key / Message-ID: after a crash mid-delivery the row is
 * sent again and the receiver deduplicates; a confirmed row is never sent
 * again. */
#ifndef WSID_NOTIFY_H
#define WSID_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "message.h" /* the pure helpers: notify_backoff_ms, notify_expand, ... */
#include "state.h"
#include "store.h"
#include "util.h"

struct notifier;

struct notifier_stats {
	int64_t open, pending, sending, retrying, sent, failed, dead; /* outbox rows */
	int64_t delivery_restarts;
	/* deliveries since the daemon started: confirmed, refused, given up */
	int64_t sent_total, failed_total, dead_total;
	/* what confines the delivery process: "landlock", "none (optional)",
	 * "unavailable (required)" (nothing is sent), "unknown" (not yet said) */
	char sandbox[48];
};

/* self_exe: this program, spawned as the delivery process */
int notifier_new(struct store *s, const struct config *cfg, const char *self_exe,
		 struct notifier **ret);
void notifier_free(struct notifier *n);
/* after a reload: routes, intervals; the delivery process is spawned again
 * (its confinement names the CA files of the routes) */
void notifier_set_config(struct notifier *n, const struct config *cfg);

/* routes one stored event (call inside the transaction that stored it),
 * the row as the engine handed it (engine.h on_event, state.h
 * event_stored): nothing is read back; true when something was queued */
bool notifier_event_row(struct notifier *n, const struct event_stored *ev);
/* enqueues a test message through every route of customer; returns the
 * number of messages or -ENOENT; *ret_first and *ret_last are the outbox ids
 * of the first and the last of them (consecutive) */
int notifier_test(struct notifier *n, const char *customer, int64_t *ret_first, int64_t *ret_last);

/* event loop: the socket of the delivery process (-1 while there is none) */
int notifier_fd(const struct notifier *n);
void notifier_on_readable(struct notifier *n);
/* milliseconds until notifier_tick has work (-1: none) */
int notifier_timeout_ms(struct notifier *n);
void notifier_tick(struct notifier *n);

void notifier_get_stats(struct notifier *n, struct notifier_stats *ret);
/* the routes whose last attempt failed (retrying, failed or dead), one
 * "customer/route transport destination: error" each, "; " between them, at
 * most 10, into out (empty when none) */
void notifier_failing_routes(struct notifier *n, struct buf *out);

#endif
