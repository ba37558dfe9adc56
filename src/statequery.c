// SPDX-License-Identifier: GPL-2.0-or-later
/* The state's tables read for reports; see statequery.h. */
#include "statequery.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

int
stateq_sites(struct store *s, const char *customer, const char *product, stateq_site_fn fn, void *ud)
{
	sqlite3_stmt *q = store_query(s, "SELECT w.customer, w.path, i.root, i.product, i.kind, i.version, "
					 "i.confidence, i.mixed_with, i.claimed_version, i.identified_at FROM "
					 "installations i JOIN webspaces w ON w.id=i.webspace_id WHERE (?1 IS "
					 "NULL OR w.customer=?1) AND (?2 IS NULL OR i.product=?2) ORDER BY "
					 "w.customer, w.path, i.root",
				      "tt", customer, product);
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		struct stateq_site si = {
			.customer = (const char *)sqlite3_column_text(q, 0),
			.webspace = sqlite3_column_blob(q, 1),
			.wslen = (size_t)sqlite3_column_bytes(q, 1),
			.root = sqlite3_column_blob(q, 2),
			.rootlen = (size_t)sqlite3_column_bytes(q, 2),
			.product = (const char *)sqlite3_column_text(q, 3),
			.kind = (const char *)sqlite3_column_text(q, 4),
			.version = (const char *)sqlite3_column_text(q, 5),
			.confidence = sqlite3_column_double(q, 6),
			.mixed_with = (const char *)sqlite3_column_text(q, 7),
			.claimed_version = (const char *)sqlite3_column_text(q, 8),
			.identified_at = sqlite3_column_int64(q, 9),
		};

		r = fn(ud, &si);
	}
	return done(q, step, r);
}

int
stateq_installations(struct store *s, stateq_inst_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT product, kind, version FROM installations ORDER BY product");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		       (const char *)sqlite3_column_text(q, 2));
	return done(q, step, r);
}

int64_t
stateq_webspaces_active(struct store *s)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT count(*) FROM webspaces WHERE active=1");
	int64_t n = 0;

	if (q && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

int
stateq_webspaces(struct store *s, bool active_only, stateq_webspace_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, active_only ? "SELECT id, path, customer FROM webspaces WHERE "
							 "active=1"
						       : "SELECT id, path, customer FROM webspaces");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, sqlite3_column_int64(q, 0), sqlite3_column_blob(q, 1),
		       (size_t)sqlite3_column_bytes(q, 1), (const char *)sqlite3_column_text(q, 2));
	return done(q, step, r);
}

int
stateq_files(struct store *s, int64_t ws, const char *rel, size_t rl, stateq_file_fn fn, void *ud)
{
	/* the directory's subtree: relpath in [rel/, rel0) ('0' follows '/') */
	char *lo = xmalloc(rl + 2), *hi = xmalloc(rl + 2);
	sqlite3_stmt *q;
	int step, r = 0;

	memcpy(lo, rel, rl);
	lo[rl] = '/';
	memcpy(hi, rel, rl);
	hi[rl] = '/' + 1;
	q = store_query(s, "SELECT f.relpath, f.verdict, f.known, f.status, f.size, f.mtime_ns, "
			   "f.mode, f.uid, f.sha256, i.product, i.version, f.updated_at, "
			   "w.customer, a.verdict, a.findings, a.rules_version FROM files f JOIN "
			   "webspaces w ON w.id=f.webspace_id LEFT JOIN installations i ON "
			   "i.id=f.installation_id LEFT JOIN analysis a ON a.sha256=f.sha256 "
			   "WHERE f.webspace_id=?1 AND (f.relpath=?2 OR ?5 OR (f.relpath>=?3 AND "
			   "f.relpath<?4)) ORDER BY f.relpath",
			"ibbbi", ws, rel, rl, lo, rl + 1, hi, rl + 1, (int64_t)(rl == 0));
	free(lo);
	free(hi);
	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		struct stateq_file f = {
			.relpath = sqlite3_column_blob(q, 0),
			.rlen = (size_t)sqlite3_column_bytes(q, 0),
			.verdict = (const char *)sqlite3_column_text(q, 1),
			.known = (const char *)sqlite3_column_text(q, 2),
			.status = (const char *)sqlite3_column_text(q, 3),
			.size = sqlite3_column_int64(q, 4),
			.mtime_ns = sqlite3_column_int64(q, 5),
			.mode = sqlite3_column_int64(q, 6),
			.uid = sqlite3_column_int64(q, 7),
			.sha256 = sqlite3_column_bytes(q, 8) == 32 ? sqlite3_column_blob(q, 8) : NULL,
			.product = (const char *)sqlite3_column_text(q, 9),
			.version = (const char *)sqlite3_column_text(q, 10),
			.updated_at = sqlite3_column_int64(q, 11),
			.customer = (const char *)sqlite3_column_text(q, 12),
			.analysed = sqlite3_column_type(q, 13) != SQLITE_NULL,
			.an_verdict = sqlite3_column_int(q, 13),
			.an_findings = (const char *)sqlite3_column_text(q, 14),
			.an_flen = (size_t)sqlite3_column_bytes(q, 14),
			.an_rules = (const char *)sqlite3_column_text(q, 15),
		};

		r = fn(ud, &f);
	}
	return done(q, step, r);
}

int
stateq_installation_rows(struct store *s, stateq_inst_row_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT id, webspace_id, root, product, version FROM installations "
					   "ORDER BY webspace_id, root");
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		struct stateq_inst in = {
			.id = sqlite3_column_int64(q, 0),
			.webspace_id = sqlite3_column_int64(q, 1),
			.root = sqlite3_column_blob(q, 2),
			.rootlen = (size_t)sqlite3_column_bytes(q, 2),
			.product = (const char *)sqlite3_column_text(q, 3),
			.version = (const char *)sqlite3_column_text(q, 4),
		};

		r = fn(ud, &in);
	}
	return done(q, step, r);
}

int
stateq_webspaces_of(struct store *s, const char *customer, stateq_webspace_fn fn, void *ud)
{
	sqlite3_stmt *q = store_query(s, "SELECT id, path, customer FROM webspaces WHERE active=1 AND (?1 "
					 "IS NULL OR customer=?1) ORDER BY id",
				      "t", customer);
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, sqlite3_column_int64(q, 0), sqlite3_column_blob(q, 1),
		       (size_t)sqlite3_column_bytes(q, 1), (const char *)sqlite3_column_text(q, 2));
	return done(q, step, r);
}

int
stateq_files_known(struct store *s, int64_t ws, stateq_file_known_fn fn, void *ud)
{
	sqlite3_stmt *q = store_query(s, "SELECT relpath, known, installation_id FROM files WHERE "
					 "webspace_id=?",
				      "i", ws);
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0),
		       (const char *)sqlite3_column_text(q, 1), sqlite3_column_int64(q, 2));
	return done(q, step, r);
}

int
stateq_installations_of(struct store *s, int64_t ws, stateq_inst_at_fn fn, void *ud)
{
	sqlite3_stmt *q = store_query(s, "SELECT root, product, version FROM installations WHERE "
					 "webspace_id=? ORDER BY length(root) DESC",
				      "i", ws);
	int step, r = 0;

	if (q == NULL)
		return -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(ud, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0),
		       (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2));
	return done(q, step, r);
}

int
stateq_installation_at(struct store *s, int64_t ws, const char *root, size_t rootlen,
		       char **ret_product, char **ret_version)
{
	sqlite3_stmt *q = store_query(s, "SELECT product, version FROM installations WHERE webspace_id=? "
					 "AND root=? ORDER BY kind='core' DESC LIMIT 1",
				      "ib", ws, root, rootlen);
	int r = -ENOENT;

	if (q == NULL)
		return -EIO;
	if (sqlite3_step(q) == SQLITE_ROW) {
		*ret_product = xstrdup((const char *)sqlite3_column_text(q, 0));
		*ret_version = xstrdup((const char *)sqlite3_column_text(q, 1));
		r = 0;
	}
	sqlite3_finalize(q);
	return r;
}
