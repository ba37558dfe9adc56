/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Retention: old history deleted in small steps, so that a node's database
 * stops growing with the number of changes it has seen (config retention:).
 *
 * What goes: events older than their severity's age; members of an
 * acknowledged aggregate some time after the acknowledgement, and members
 * whose aggregate is gone; delivered notifications (sent, failed, dead) with
 * their event lists. What stays whatever its age: held events (an update's
 * window is open), events of a notification not delivered yet, an open
 * finding (an unacknowledged event above info whose file still holds the
 * content and verdict it reported), the newest event and the newest outbox
 * row (their ids are never handed out again), and everything that is state,
 * not history: files, installations, webspaces, marks, the index.
 *
 * DESIGN: a round walks the events, then the outbox, in id order from a
 * cursor, in steps: one transaction per step, at most `batch` rows deleted
 * and at most RETENTION_EXAMINE_FACTOR times that examined, on the daemon's
 * one writing connection between two turns of its loop (no second writer
 * waiting on the lock). The daemon spaces the steps so that they take at most
 * a tenth of its time (retention_delay_ms). Deleted pages go to SQLite's
 * freelist and are reused by the next rows: the file stays at its high-water
 * mark instead of growing; nothing shrinks it (see README, What is stored).
 * A third phase forgets the notifier's memory of findings told (notified)
 * once it no longer changes what is told (RETENTION_NOTIFIED_MS). */
#ifndef WSID_RETENTION_H
#define WSID_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* rows examined per step at most, as a multiple of the batch */
#define RETENTION_EXAMINE_FACTOR 8
/* a notified row (the notifier's memory of a finding told) older than this
 * is deleted: twice the notifier's reminder interval (a day, notify.c), past
 * which the row no longer keeps a finding from being told again */
#define RETENTION_NOTIFIED_MS (2ll * 86400 * 1000)

/* the times before which rows are due, from the settings and the time now */
struct retention_cutoffs {
	int64_t events_s[4]; /* events by severity, unix s (INT64_MIN: none due) */
	int64_t members_s;   /* members acknowledged before this, unix s */
	int64_t outbox_ms;   /* delivered notifications, unix ms */
};

/* what the due test needs of an event row */
struct retention_event {
	int64_t id, time_s;
	int severity;    /* 0 info .. 3 critical; -1 unknown */
	bool held;
	bool member;     /* parent_id set */
	bool parent_gone;
	bool acked;
	int64_t acked_s;
};

enum retention_keep {
	RETENTION_DUE = 0,
	RETENTION_KEEP_AGE,      /* not old enough */
	RETENTION_KEEP_HELD,     /* waiting for its installation's window */
	RETENTION_KEEP_FINDING,  /* may be an open finding: the caller checks the file */
};

struct retention_stats {
	uint64_t events, outbox, notified; /* rows deleted since start */
	uint64_t steps, rounds;
	uint64_t step_ns_sum, step_ns_max; /* the daemon's timing of its steps */
	int64_t last_round_s;     /* unix s of the last round completed (0: none) */
};

/* retention state of the daemon: the cursors of the round under way */
struct retention {
	int phase;                /* 0 events, 1 outbox, 2 notified, 3 the round is done */
	int64_t cursor;           /* last id examined in the phase (notified: webspace) */
	void *key_path;           /* notified: the rest of the last key examined (NULL: none) */
	int key_plen;
	char *key_verdict, *key_route;
	struct retention_stats stats;
};

/* pure: cutoffs for now_ms */
void retention_cutoffs(const struct config_retention *rc, int64_t now_ms, struct retention_cutoffs *ret);
/* pure: whether an event is due, or why it stays */
enum retention_keep retention_event_due(const struct retention_event *ev,
					const struct retention_cutoffs *cut);
/* pure: whether a notification in state `state`, settled at settled_ms, is due */
bool retention_outbox_due(const char *state, int64_t settled_ms, const struct retention_cutoffs *cut);
/* pure: milliseconds until the next step: soon when more is due (at least 9
 * times what the step took, so steps take at most a tenth of the time), the
 * interval when the round is done */
uint64_t retention_delay_ms(bool more, uint64_t step_ns, uint64_t interval_ms);

/* One step of the round: one transaction, at most rc->batch rows deleted.
 * The caller holds no transaction on s. *ret_more: the round goes on. Returns
 * the rows deleted or a negative errno (the step rolled back). */
int retention_step(struct retention *rt, struct store *s, const struct config_retention *rc,
		   int64_t now_ms, bool *ret_more);

/* frees what the round holds (the cursor and its key); the phase stays */
void retention_clear(struct retention *rt);

/* figures for status: file sizes in bytes (the WAL apart), free pages in
 * the file, the oldest event's time (0: no event) */
struct retention_db_stats {
	int64_t db_bytes, wal_bytes, free_bytes, oldest_event_s;
};
int retention_db_stats(struct store *s, struct retention_db_stats *ret);

#endif
