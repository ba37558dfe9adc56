// SPDX-License-Identifier: GPL-2.0-or-later
/* The state's tables read for reports; see statequery.h. */
#include "statequery.h"

#include <errno.h>

/* finalizes q: 0 when it ran to its end (or a callback stopped it with r) */
static int
done(sqlite3_stmt *q, int step, int r)
{
	sqlite3_finalize(q);
	if (r != 0)
		return r;
	return step == SQLITE_DONE ? 0 : -EIO;
}

int
stateq_installations_active(struct store *s, stateq_inst_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT i.product, coalesce(i.kind, 'unknown'), i.version FROM "
					   "installations i JOIN webspaces w ON w.id=i.webspace_id WHERE "
					   "w.active=1");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		       (const char *)sqlite3_column_text(q, 2));
	return done(q, step, r);
}

int
stateq_findings_open(struct store *s, stateq_count_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT verdict, severity, count(*) FROM events WHERE acked_at "
					   "IS NULL AND held=0 AND parent_id IS NULL AND verdict NOT IN "
					   "('ok','ignored') GROUP BY verdict, severity");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		       sqlite3_column_int64(q, 2));
	return done(q, step, r);
}

int
stateq_marks(struct store *s, stateq_mark_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(
		s, "SELECT 'malicious', sha256, '', note, added_by, added_at, example, source FROM known_bad "
		   "UNION ALL SELECT 'trusted', sha256, customer, note, added_by, added_at, example, NULL "
		   "FROM trusted ORDER BY 6");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		struct stateq_mark m = {
			.mark = (const char *)sqlite3_column_text(q, 0),
			.sha256 = sqlite3_column_bytes(q, 1) == 32 ? sqlite3_column_blob(q, 1) : NULL,
			.customer = (const char *)sqlite3_column_text(q, 2),
			.note = (const char *)sqlite3_column_text(q, 3),
			.added_by = (const char *)sqlite3_column_text(q, 4),
			.added_at = sqlite3_column_int64(q, 5),
			.example = (const char *)sqlite3_column_text(q, 6),
			.source = (const char *)sqlite3_column_text(q, 7),
		};

		r = fn(ud, &m);
	}
	return done(q, step, r);
}

int
stateq_known_bad(struct store *s, stateq_known_bad_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT sha256, example FROM known_bad ORDER BY sha256");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		if (sqlite3_column_bytes(q, 0) == 32)
			r = fn(ud, sqlite3_column_blob(q, 0), (const char *)sqlite3_column_text(q, 1));
	return done(q, step, r);
}
