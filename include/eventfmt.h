/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events as people and programs read them. The same JSON object (one line) is
 * printed by `wsidctl events --json` from the database and streamed live by the
 * daemon to `wsidctl events --follow`:
 *   {"id", "time" (ISO 8601 UTC), "time_ns", "customer", "webspace", "path"
 *    (absolute), "old_path", "change", "known", "verdict", "severity", "reason",
 *    "old_sha256", "new_sha256", "product", "version", "other_version", "pid",
 *    "source", "acked"} */
#ifndef WSID_EVENTFMT_H
#define WSID_EVENTFMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "state.h"
#include "store.h"

/* the SELECT list and FROM clause the formatters expect (append WHERE/ORDER) */
#define EVENTFMT_SELECT                                                                 \
	"SELECT e.id, e.time_ns, e.customer, w.path, e.path, e.old_path, e.change, e.known, " \
	"e.verdict, e.severity, e.reason, e.old_sha256, e.new_sha256, e.product, e.version, " \
	"e.other_version, e.pid, e.source, e.acked_at, e.uid, e.user, e.comm, e.cgroup, "   \
	"e.held, e.parent_id, e.nfiles, e.detail, e.request, e.request_unknown FROM events e " \
	"JOIN webspaces w ON "                                                              \
	"w.id=e.webspace_id "

void eventfmt_json(struct json *j, sqlite3_stmt *row);
void eventfmt_text(FILE *out, sqlite3_stmt *row, bool color);
/* one event by id as a JSON line (malloc'ed) or NULL */
char *eventfmt_json_by_id(struct store *s, int64_t id);
/* the same object from the row as stored (state.h), without reading it
 * back: the daemon's follower stream; eventfmt_json_line: as one line
 * (malloc'ed) */
void eventfmt_json_event(struct json *j, const struct event_stored *es);
char *eventfmt_json_line(const struct event_stored *es);
/* what the daemon's automatic quarantine did with the event's file (its
 * detail's "quarantine"), as one indented text line ending in "\n" for a
 * message; nothing when it did not try */
void eventfmt_quarantine_text(sqlite3_stmt *row, struct buf *out);
/* "2026-11-24T04:33:01Z" */
void eventfmt_time(int64_t time_ns, char *out, size_t outsz);

#endif
