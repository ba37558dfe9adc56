// SPDX-License-Identifier: GPL-2.0-or-later
/* Daemon state in SQLite; see state.h. Prepared statements are kept for the
 * life of the state object: the hot path (file get/put, event add) does no SQL
 * parsing. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"

enum {
	ST_WS_GET, ST_WS_INS, ST_WS_CUST, ST_WS_BASE, ST_WS_RECON,
	ST_F_GET, ST_F_PUT, ST_F_SET, ST_F_DEL, ST_F_MOVE_DEL, ST_F_MOVE,
	ST_EV_ADD, ST_BAD, ST_F_COUNT, ST_TRUSTED, ST_CONSENSUS, ST_EV_RELEASE, ST_F_ANY_UNDER,
	ST_AN_GET, ST_AN_PUT, ST_WS_DIGEST, ST_WS_SET_DIGEST, ST_WS_NFILES, ST_WS_ADD_DIGEST,
	ST_MAX,
};

static const char *const sqls[ST_MAX] = {
	[ST_WS_GET] = "SELECT id, baseline_at, customer FROM webspaces WHERE path=?",
	/* no file rows yet: their digest is known, 0 */
	[ST_WS_INS] = "INSERT INTO webspaces(path, customer, added_at, files_digest) VALUES(?, ?, ?, 0)",
	[ST_WS_CUST] = "UPDATE webspaces SET customer=?, active=1 WHERE id=?",
	[ST_WS_BASE] = "UPDATE webspaces SET baseline_at=? WHERE id=?",
	[ST_WS_RECON] = "UPDATE webspaces SET reconciled_at=? WHERE id=?",
	[ST_F_GET] = "SELECT ino, size, mtime_ns, ctime_ns, mode, uid, sha256, status, known, verdict, "
		     "installation_id, id FROM files WHERE webspace_id=? AND relpath=?",
	[ST_F_PUT] = "INSERT INTO files(webspace_id, relpath, ino, size, mtime_ns, ctime_ns, mode, uid, "
		     "sha256, status, known, verdict, installation_id, updated_at, comp_key) "
		     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
		     "ON CONFLICT(webspace_id, relpath) DO UPDATE SET ino=?3, size=?4, mtime_ns=?5, "
		     "ctime_ns=?6, mode=?7, uid=?8, sha256=?9, status=?10, known=?11, verdict=?12, "
		     "installation_id=?13, updated_at=?14, comp_key=?15",
	/* the row a read of this transaction found (its rowid): the same
	 * parameters as ST_F_PUT, without its search of the unique index */
	[ST_F_SET] = "UPDATE files SET ino=?3, size=?4, mtime_ns=?5, ctime_ns=?6, mode=?7, uid=?8, "
		     "sha256=?9, status=?10, known=?11, verdict=?12, installation_id=?13, updated_at=?14, "
		     "comp_key=?15 WHERE id=?16",
	[ST_F_DEL] = "DELETE FROM files WHERE webspace_id=? AND relpath=?",
	[ST_F_MOVE_DEL] = "DELETE FROM files WHERE webspace_id=? AND relpath=?",
	[ST_F_MOVE] = "UPDATE files SET relpath=? WHERE webspace_id=? AND relpath=?",
	[ST_EV_ADD] = "INSERT INTO events(time, time_ns, webspace_id, customer, path, old_path, change, "
		      "known, verdict, severity, reason, old_sha256, new_sha256, installation_id, product, "
		      "version, other_version, pid, source, uid, user, comm, cgroup, held, parent_id, nfiles, "
		      "detail, request, request_unknown) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		      "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, "
		      "?28, ?29)",
	[ST_BAD] = "SELECT 1 FROM known_bad WHERE sha256=?",
	[ST_F_ANY_UNDER] = "SELECT 1 FROM files WHERE webspace_id=? AND relpath>=? AND relpath<? "
			   "LIMIT 1",
	/* kept per webspace by the triggers on files (migration 13): a count
	 * of the files table would hold the loop for seconds at 10 M rows */
	[ST_F_COUNT] = "SELECT coalesce(sum(nfiles), 0) FROM webspaces WHERE active=1",
	[ST_TRUSTED] = "SELECT 1 FROM trusted WHERE sha256=?1 AND customer IN ('', ?2)",
	/* copies of a component file in the other webspaces, per content */
	[ST_CONSENSUS] = "SELECT sha256, count(DISTINCT webspace_id) FROM files WHERE comp_key=?1 AND "
			 "webspace_id<>?2 AND sha256 IS NOT NULL GROUP BY sha256",
	[ST_EV_RELEASE] = "UPDATE events SET held=0, parent_id=?1, verdict=coalesce(?2, verdict), "
			  "severity=coalesce(?3, severity), reason=coalesce(?4, reason) WHERE id=?5",
	[ST_AN_GET] = "SELECT verdict, findings FROM analysis WHERE sha256=?1 AND rules_version=?2",
	[ST_AN_PUT] = "INSERT OR REPLACE INTO analysis(sha256, rules_version, verdict, findings, "
		      "analysed_at) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_WS_DIGEST] = "SELECT files_digest FROM webspaces WHERE id=?",
	[ST_WS_SET_DIGEST] = "UPDATE webspaces SET files_digest=? WHERE id=?",
	[ST_WS_NFILES] = "SELECT nfiles FROM webspaces WHERE id=?",
	/* state_digest_in_c: a transaction's sums of one webspace */
	[ST_WS_ADD_DIGEST] = "UPDATE webspaces SET files_digest=wsid_digest_add(files_digest, ?1, ?2), "
			     "nfiles=nfiles+?3 WHERE id=?4",
};

struct state {
	struct store *s;
	sqlite3_stmt *st[ST_MAX];
	bool in_tx;
	int tx_err; /* a statement of the open transaction failed: it must not commit */
	/* whether known_bad [0] and trusted [1] have rows (table_any) */
	bool any[2];
	uint64_t any_checked_ns[2];
	/* the files' digest: its key (meta files_digest_key) and which rows
	 * count as unsettled; without either a write makes the digest unknown */
	bool dkey_ok;
	uint8_t dkey[STATE_DIGEST_KEYBYTES];
	bool (*unsettled)(const struct file_row *row);
	/* state_digest_in_c: per webspace, what the writes of file rows not yet
	 * written to its row add to its digest and count (unknown: a write
	 * made the digest unknown, as the triggers would have) */
	bool cdigest;
	struct digest_pend {
		int64_t ws;
		int64_t n;
		uint64_t add;
		bool unknown;
	} *pend;
	size_t npend, pend_cap;
	/* the row state_file_get read last (cdigest), so that its write that
	 * follows in the same transaction needs no second read of the old
	 * values; forgotten at any write and at the transaction's ends */
	struct {
		bool valid, found;
		int64_t ws, rowid;
		char *path;
		size_t rlen, cap;
		struct file_row row;
	} last;
};

static int step_done(struct state *st, sqlite3_stmt *q);
static int pend_flush(struct state *st);

/* ---- the digest of a webspace's files ----
 *
 * webspaces.files_digest is the sum, modulo 2^64, over the webspace's file
 * rows of a keyed hash (SipHash-2-4 under a random key of the database) of
 * what a reconcile compares: path, inode, size, mtime, ctime, and whether the
 * row is unsettled (looked at again whatever its stat). The triggers of
 * migration 12 add a row's hash when it is written and subtract it when it
 * is deleted or rewritten, in the same transaction (on the daemon's
 * connection this state does it: state_digest_in_c below); a walk sums the same hash
 * of what it found (unsettled: never). Equal sums say, but for a chance of
 * 2^-64 per comparison, that the rows are the walk: a tenant does not know
 * the key, so cannot choose stat values that compensate each other. */

uint64_t
state_file_digest(const uint8_t key[STATE_DIGEST_KEYBYTES], const char *relpath, size_t rlen,
		  uint64_t ino, uint64_t size, int64_t mtime_ns, int64_t ctime_ns, bool unsettled)
{
	uint8_t stack[33 + 480], *b = stack, out[crypto_shorthash_BYTES];
	const uint64_t v[4] = { ino, size, (uint64_t)mtime_ns, (uint64_t)ctime_ns };
	uint64_t h = 0;
	size_t i, j;

	_Static_assert(STATE_DIGEST_KEYBYTES == crypto_shorthash_KEYBYTES, "a shorthash key");
	if (rlen > sizeof(stack) - 33)
		b = xmalloc(33 + rlen);
	/* fixed fields first, little-endian, then the path: one encoding per row */
	for (i = 0; i < 4; i++)
		for (j = 0; j < 8; j++)
			b[i * 8 + j] = (uint8_t)(v[i] >> (8 * j));
	b[32] = unsettled;
	memcpy(b + 33, relpath, rlen);
	crypto_shorthash(out, b, 33 + rlen, key);
	if (b != stack)
		free(b);
	for (i = 0; i < sizeof(out); i++)
		h |= (uint64_t)out[i] << (8 * i);
	return h;
}

/* wsid_files_digest(digest, sign, relpath, ino, size, mtime_ns, ctime_ns,
 * status [, sign, relpath, ...]): digest with each row's hash added (sign 1)
 * or taken away (-1); NULL stays NULL (not known), and so does any digest it
 * cannot compute */
static void
sql_files_digest(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct state *st = sqlite3_user_data(cx);
	uint64_t d;
	int i;

	if (argc < 8 || (argc - 1) % 7 != 0 || sqlite3_value_type(argv[0]) != SQLITE_INTEGER ||
	    !st->dkey_ok || st->unsettled == NULL) {
		sqlite3_result_null(cx);
		return;
	}
	d = (uint64_t)sqlite3_value_int64(argv[0]);
	for (i = 1; i < argc; i += 7) {
		sqlite3_value **v = argv + i;
		struct file_row f;
		uint64_t h;

		memset(&f, 0, sizeof(f));
		f.relpath = sqlite3_value_blob(v[1]);
		f.rlen = (size_t)sqlite3_value_bytes(v[1]);
		if (f.relpath == NULL)
			f.relpath = "";
		f.ino = (uint64_t)sqlite3_value_int64(v[2]);
		f.size = (uint64_t)sqlite3_value_int64(v[3]);
		f.mtime_ns = sqlite3_value_int64(v[4]);
		f.ctime_ns = sqlite3_value_int64(v[5]);
		str_copy(f.status, sizeof(f.status), (const char *)sqlite3_value_text(v[6]));
		h = state_file_digest(st->dkey, f.relpath, f.rlen, f.ino, f.size, f.mtime_ns, f.ctime_ns,
				      st->unsettled(&f));
		d = sqlite3_value_int64(v[0]) < 0 ? d - h : d + h;
	}
	sqlite3_result_int64(cx, (int64_t)d);
}

/* wsid_digest_add(digest, add, unknown): digest + add modulo 2^64; NULL when
 * the digest is not known or unknown is set */
static void
sql_digest_add(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	if (argc != 3 || sqlite3_value_type(argv[0]) != SQLITE_INTEGER || sqlite3_value_int(argv[2])) {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_int64(cx, (int64_t)((uint64_t)sqlite3_value_int64(argv[0]) +
					   (uint64_t)sqlite3_value_int64(argv[1])));
}

static void
digest_key_load(struct state *st)
{
	char *hex = store_meta_get(st->s, "files_digest_key");
	size_t n = 0;

	st->dkey_ok = hex && sodium_hex2bin(st->dkey, sizeof(st->dkey), hex, strlen(hex), NULL, &n,
					    NULL) == 0 && n == sizeof(st->dkey);
	free(hex);
}

bool
state_digest_key(const struct state *st, uint8_t ret[STATE_DIGEST_KEYBYTES])
{
	if (!st->dkey_ok)
		return false;
	memcpy(ret, st->dkey, sizeof(st->dkey));
	return true;
}

void
state_digest_unsettled(struct state *st, bool (*unsettled)(const struct file_row *row))
{
	st->unsettled = unsettled;
}

int64_t
state_webspace_nfiles(struct state *st, int64_t ws)
{
	sqlite3_stmt *q = st->st[ST_WS_NFILES];
	int64_t n = -1;

	/* the counts this connection keeps in C are written first */
	if (st->npend && pend_flush(st) < 0)
		return -1;
	sqlite3_bind_int64(q, 1, ws);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER)
		n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}

int
state_webspace_digest(struct state *st, int64_t ws, uint64_t *ret)
{
	sqlite3_stmt *q = st->st[ST_WS_DIGEST];
	int rc, r = -ENOENT;

	if (st->npend && pend_flush(st) < 0)
		return -EIO;
	sqlite3_bind_int64(q, 1, ws);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER) {
		*ret = (uint64_t)sqlite3_column_int64(q, 0);
		r = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_reset(q);
	return r;
}

struct digest_sum {
	struct state *st;
	uint64_t d;
};

static int
digest_add_row(void *ud, const struct file_row *f)
{
	struct digest_sum *c = ud;

	c->d += state_file_digest(c->st->dkey, f->relpath, f->rlen, f->ino, f->size, f->mtime_ns,
				  f->ctime_ns, c->st->unsettled(f));
	return 0;
}

int
state_webspace_digest_repair(struct state *st, int64_t ws)
{
	sqlite3_stmt *q = st->st[ST_WS_SET_DIGEST];
	struct digest_sum c = { .st = st };
	int r;

	if (!st->dkey_ok || st->unsettled == NULL)
		return -ENOKEY;
	if (st->npend && (r = pend_flush(st)) < 0)
		return r;
	/* read and written with nothing between: the sum is the rows' */
	if ((r = state_files_stat(st, ws, digest_add_row, &c)) < 0)
		return r;
	sqlite3_bind_int64(q, 1, (int64_t)c.d);
	sqlite3_bind_int64(q, 2, ws);
	return step_done(st, q);
}

int
state_open(struct store *s, struct state **ret)
{
	struct state *st = xcalloc(1, sizeof(*st));
	int i;

	st->s = s;
	/* before any statement that writes file rows is prepared: their
	 * triggers call it */
	if (sqlite3_create_function(store_db(s), "wsid_files_digest", -1,
				    SQLITE_UTF8 | SQLITE_INNOCUOUS, st, sql_files_digest, NULL,
				    NULL) != SQLITE_OK ||
	    sqlite3_create_function(store_db(s), "wsid_digest_add", 3,
				    SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC, NULL,
				    sql_digest_add, NULL, NULL) != SQLITE_OK) {
		free(st);
		return -EIO;
	}
	if (sodium_init() < 0)
		log_warnx("state: libsodium cannot be initialised: the files' digests are not kept");
	else
		digest_key_load(st);
	for (i = 0; i < ST_MAX; i++) {
		st->st[i] = store_prepare(s, sqls[i]);
		if (st->st[i] == NULL) {
			state_free(st);
			return -EIO;
		}
	}
	*ret = st;
	return 0;
}

void
state_free(struct state *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(st->st[i]);
	if (st->cdigest)
		sqlite3_db_config(store_db(st->s), SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
	/* its user data goes: later writes make the digest unknown (store.c) */
	store_files_digest_unknown(st->s);
	free(st->pend);
	free(st->last.path);
	free(st);
}

struct store *
state_store(struct state *st)
{
	return st->s;
}

int
state_begin(struct state *st)
{
	int r;

	if (st->in_tx)
		return 0;
	st->last.valid = false;
	r = store_begin(st->s);
	if (r == 0)
		st->in_tx = true;
	return r;
}

int
state_commit(struct state *st)
{
	int r;

	if (!st->in_tx)
		return 0;
	st->last.valid = false;
	r = st->tx_err ? st->tx_err : pend_flush(st);
	if (r == 0)
		r = st->tx_err ? st->tx_err : store_commit(st->s);
	if (r < 0) {
		store_rollback(st->s);
	}
	st->npend = 0;
	st->in_tx = false;
	st->tx_err = 0;
	return r;
}

bool
state_in_tx(const struct state *st)
{
	return st->in_tx;
}

/* A failed write (disk full) fails the whole transaction: committing the rest
 * would store, say, a file's new hash without its event, and nothing would
 * ever notice the event missing. */
static int
step_done(struct state *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	int r;

	sqlite3_reset(q);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	log_warnx("state: %s", sqlite3_errstr(rc));
	r = store_errno(rc) ? store_errno(rc) : -EIO;
	if (st->in_tx && st->tx_err == 0 && r != -EEXIST)
		st->tx_err = r;
	return r;
}

/* ---- the digests kept in C (state_digest_in_c) ----
 *
 * The triggers of the files table (store.c, migrations 12 and 13) update the
 * webspace's row for every row written: under a burst, a second B-tree write
 * per change on the main loop. On the daemon's connection they are off and
 * each write of a row here adds what the trigger would have added to a sum
 * per webspace; the sums are written to the webspaces' rows before the
 * transaction commits (state_commit), before a digest or count is read, and
 * at once (in a savepoint with the row) for a write outside a transaction. */

static struct digest_pend *
pend_of(struct state *st, int64_t ws)
{
	struct digest_pend *p;
	size_t i;

	for (i = st->npend; i-- > 0;)
		if (st->pend[i].ws == ws)
			return &st->pend[i];
	if (st->npend == st->pend_cap) {
		st->pend_cap = st->pend_cap ? st->pend_cap * 2 : 8;
		st->pend = xreallocarray(st->pend, st->pend_cap, sizeof(*st->pend));
	}
	p = &st->pend[st->npend++];
	memset(p, 0, sizeof(*p));
	p->ws = ws;
	return p;
}

/* a row's hash added to (sign 1) or taken from (-1) the sum, as
 * wsid_files_digest does it */
static void
pend_digest(struct state *st, struct digest_pend *p, const struct file_row *f, int sign)
{
	uint64_t h;

	if (!st->dkey_ok || st->unsettled == NULL) {
		p->unknown = true;
		return;
	}
	h = state_file_digest(st->dkey, f->relpath ? f->relpath : "", f->relpath ? f->rlen : 0,
			      f->ino, f->size, f->mtime_ns, f->ctime_ns, st->unsettled(f));
	p->add = sign > 0 ? p->add + h : p->add - h;
}

/* a row inserted (1) or deleted (-1): files_digest_insert, _delete */
static void
pend_row(struct state *st, int64_t ws, const struct file_row *f, int sign)
{
	struct digest_pend *p = pend_of(st, ws);

	p->n += sign;
	pend_digest(st, p, f, sign);
}

/* a row rewritten in place: files_digest_update, whose WHEN asks for a
 * field of the digest that differs */
static void
pend_rewrite(struct state *st, int64_t ws, const struct file_row *o, const struct file_row *n)
{
	struct digest_pend *p;

	if (o->rlen == n->rlen && memcmp(o->relpath, n->relpath, o->rlen) == 0 && o->ino == n->ino &&
	    o->size == n->size && o->mtime_ns == n->mtime_ns && o->ctime_ns == n->ctime_ns &&
	    strcmp(o->status, n->status) == 0)
		return;
	p = pend_of(st, ws);
	pend_digest(st, p, o, -1);
	pend_digest(st, p, n, 1);
}

/* the sums written to the webspaces' rows */
static int
pend_flush(struct state *st)
{
	sqlite3_stmt *q = st->st[ST_WS_ADD_DIGEST];
	size_t i;
	int r = 0;

	/* the transaction of the rows ended under the state (a ROLLBACK of
	 * other code on the connection): their sums go with them */
	if (st->in_tx && sqlite3_get_autocommit(store_db(st->s))) {
		st->npend = 0;
		return 0;
	}
	for (i = 0; i < st->npend && r == 0; i++) {
		const struct digest_pend *p = &st->pend[i];

		if (p->n == 0 && p->add == 0 && !p->unknown)
			continue;
		sqlite3_bind_int64(q, 1, (int64_t)p->add);
		sqlite3_bind_int(q, 2, p->unknown ? 1 : 0);
		sqlite3_bind_int64(q, 3, p->n);
		sqlite3_bind_int64(q, 4, p->ws);
		r = step_done(st, q);
	}
	st->npend = 0;
	return r;
}

/* a write outside a transaction: the row and its webspace's sums in one
 * savepoint (the triggers wrote both in the row's own transaction) */
static bool
pend_wrap_begin(struct state *st)
{
	st->last.valid = false;
	if (!st->cdigest || st->in_tx)
		return false;
	return store_exec(st->s, "SAVEPOINT state_digest") == 0;
}

static int
pend_wrap_end(struct state *st, bool wrapped, int r)
{
	int rr;

	if (!st->cdigest || st->in_tx)
		return r;
	if (r == 0)
		r = pend_flush(st);
	st->npend = 0;
	if (wrapped && r < 0)
		store_exec(st->s, "ROLLBACK TO state_digest");
	if (wrapped && (rr = store_exec(st->s, "RELEASE state_digest")) < 0) {
		/* the savepoint was the transaction: a release that could not
		 * commit it (the disk full) leaves it open, and every later
		 * BEGIN would fail; the row goes with it, as a failed commit's */
		store_rollback(st->s);
		if (r == 0)
			r = rr;
	}
	return r;
}

int
state_digest_in_c(struct state *st)
{
	int on = 1;

	if (st->cdigest)
		return 0;
	if (sqlite3_db_config(store_db(st->s), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &on) != SQLITE_OK ||
	    on != 0)
		return -EIO;
	st->cdigest = true;
	return 0;
}

int
state_webspace_upsert(struct state *st, const char *path, const char *customer, int64_t *ret_id,
		      bool *ret_baselined)
{
	sqlite3_stmt *q = st->st[ST_WS_GET];
	int rc;

	sqlite3_bind_blob(q, 1, path, (int)strlen(path), SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		bool same = sqlite3_column_text(q, 2) &&
			    strcmp((const char *)sqlite3_column_text(q, 2), customer) == 0;

		*ret_id = sqlite3_column_int64(q, 0);
		*ret_baselined = sqlite3_column_type(q, 1) != SQLITE_NULL;
		sqlite3_reset(q);
		if (!same) {
			q = st->st[ST_WS_CUST];
			sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(q, 2, *ret_id);
			return step_done(st, q);
		}
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return -EIO;
	q = st->st[ST_WS_INS];
	sqlite3_bind_blob(q, 1, path, (int)strlen(path), SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, now_unix());
	if ((rc = step_done(st, q)) < 0)
		return rc;
	*ret_id = sqlite3_last_insert_rowid(store_db(st->s));
	*ret_baselined = false;
	return 0;
}

static int
ws_set_time(struct state *st, int which, int64_t id)
{
	sqlite3_stmt *q = st->st[which];

	sqlite3_bind_int64(q, 1, now_unix());
	sqlite3_bind_int64(q, 2, id);
	return step_done(st, q);
}

int
state_webspace_set_baseline(struct state *st, int64_t id)
{
	return ws_set_time(st, ST_WS_BASE, id);
}

int
state_webspace_set_reconciled(struct state *st, int64_t id)
{
	return ws_set_time(st, ST_WS_RECON, id);
}

static void
row_from(sqlite3_stmt *q, int base, struct file_row *f)
{
	f->ino = (uint64_t)sqlite3_column_int64(q, base + 0);
	f->size = (uint64_t)sqlite3_column_int64(q, base + 1);
	f->mtime_ns = sqlite3_column_int64(q, base + 2);
	f->ctime_ns = sqlite3_column_int64(q, base + 3);
	f->mode = (uint32_t)sqlite3_column_int64(q, base + 4);
	f->uid = (uint32_t)sqlite3_column_int64(q, base + 5);
	f->has_sha = sqlite3_column_bytes(q, base + 6) == SHA256_LEN;
	if (f->has_sha)
		memcpy(f->sha256, sqlite3_column_blob(q, base + 6), SHA256_LEN);
	str_copy(f->status, sizeof(f->status), (const char *)sqlite3_column_text(q, base + 7));
	str_copy(f->known, sizeof(f->known), (const char *)sqlite3_column_text(q, base + 8));
	str_copy(f->verdict, sizeof(f->verdict), (const char *)sqlite3_column_text(q, base + 9));
	f->installation_id = sqlite3_column_int64(q, base + 10);
}

/* ret_rowid (may be NULL): the row's id */
static int
file_get(struct state *st, int64_t ws, const char *relpath, size_t rlen, struct file_row *ret,
	 int64_t *ret_rowid)
{
	sqlite3_stmt *q = st->st[ST_F_GET];
	int rc;

	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, relpath, (int)rlen, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		memset(ret, 0, sizeof(*ret));
		ret->webspace_id = ws;
		row_from(q, 0, ret);
		if (ret_rowid)
			*ret_rowid = sqlite3_column_int64(q, 11);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int
state_file_get(struct state *st, int64_t ws, const char *relpath, size_t rlen, struct file_row *ret)
{
	int64_t rowid = 0;
	int r = file_get(st, ws, relpath, rlen, ret, &rowid);

	st->last.valid = false;
	if (st->cdigest && st->in_tx && r != -EIO) {
		if (rlen > st->last.cap) {
			free(st->last.path);
			st->last.cap = rlen;
			st->last.path = xmalloc(rlen);
		}
		memcpy(st->last.path, relpath, rlen);
		st->last.rlen = rlen;
		st->last.ws = ws;
		st->last.found = r == 0;
		st->last.rowid = rowid;
		if (r == 0)
			st->last.row = *ret;
		st->last.valid = true;
	}
	return r;
}

/* the row a write replaces, for its part of the digest: the one just read
 * by state_file_get, or read now (relpath: the caller's); ret_rowid (may be
 * NULL): its id */
static int
old_row(struct state *st, int64_t ws, const char *relpath, size_t rlen, struct file_row *ret,
	int64_t *ret_rowid)
{
	int r;

	if (st->last.valid && st->last.ws == ws && st->last.rlen == rlen &&
	    (rlen == 0 || memcmp(st->last.path, relpath, rlen) == 0)) {
		if (!st->last.found)
			return -ENOENT;
		*ret = st->last.row;
		if (ret_rowid)
			*ret_rowid = st->last.rowid;
		r = 0;
	} else {
		r = file_get(st, ws, relpath, rlen, ret, ret_rowid);
	}
	ret->relpath = relpath;
	ret->rlen = rlen;
	return r;
}

int
state_file_put(struct state *st, const struct file_row *f)
{
	sqlite3_stmt *q;
	struct file_row old, now;
	int64_t rowid = 0;
	int had = st->cdigest ? old_row(st, f->webspace_id, f->relpath, f->rlen, &old, &rowid)
			      : -ENOENT, r;
	bool wrapped;

	if (had == -EIO)
		return -EIO;
	wrapped = pend_wrap_begin(st);
	/* a row known to be there (the read of the digest's old values found
	 * it, in this transaction) is rewritten by its id: a third less work
	 * than the upsert, which searches the unique index for it again */
	q = st->st[had == 0 && rowid > 0 ? ST_F_SET : ST_F_PUT];
again:
	sqlite3_bind_int64(q, 1, f->webspace_id);
	sqlite3_bind_blob(q, 2, f->relpath, (int)f->rlen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)f->ino);
	sqlite3_bind_int64(q, 4, (int64_t)f->size);
	sqlite3_bind_int64(q, 5, f->mtime_ns);
	sqlite3_bind_int64(q, 6, f->ctime_ns);
	sqlite3_bind_int64(q, 7, f->mode);
	sqlite3_bind_int64(q, 8, f->uid);
	if (f->has_sha)
		sqlite3_bind_blob(q, 9, f->sha256, SHA256_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 9);
	sqlite3_bind_text(q, 10, f->status[0] ? f->status : "ok", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 11, f->known, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 12, f->verdict, -1, SQLITE_STATIC);
	if (f->installation_id)
		sqlite3_bind_int64(q, 13, f->installation_id);
	else
		sqlite3_bind_null(q, 13);
	sqlite3_bind_int64(q, 14, now_unix());
	if (f->comp_key)
		sqlite3_bind_blob(q, 15, f->comp_key, (int)f->cklen, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 15);
	if (q == st->st[ST_F_SET])
		sqlite3_bind_int64(q, 16, rowid);
	r = step_done(st, q);
	if (r == 0 && q == st->st[ST_F_SET] && sqlite3_changes(store_db(st->s)) == 0) {
		/* not there after all (cannot happen within one transaction):
		 * the upsert, and the digest as for a new row */
		q = st->st[ST_F_PUT];
		had = -ENOENT;
		goto again;
	}
	if (st->cdigest && r == 0) {
		now = *f;
		if (now.status[0] == '\0')
			snprintf(now.status, sizeof(now.status), "ok");
		if (had == 0)
			pend_rewrite(st, f->webspace_id, &old, &now);
		else
			pend_row(st, f->webspace_id, &now, 1);
	}
	return pend_wrap_end(st, wrapped, r);
}

int
state_file_delete(struct state *st, int64_t ws, const char *relpath, size_t rlen)
{
	sqlite3_stmt *q = st->st[ST_F_DEL];
	struct file_row old;
	int had = st->cdigest ? old_row(st, ws, relpath, rlen, &old, NULL) : -ENOENT, r;
	bool wrapped;

	if (had == -EIO)
		return -EIO;
	wrapped = pend_wrap_begin(st);
	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, relpath, (int)rlen, SQLITE_STATIC);
	r = step_done(st, q);
	if (st->cdigest && r == 0 && had == 0)
		pend_row(st, ws, &old, -1);
	return pend_wrap_end(st, wrapped, r);
}

int
state_file_move(struct state *st, int64_t ws, const char *from, size_t flen, const char *to,
		size_t tlen)
{
	sqlite3_stmt *q = st->st[ST_F_MOVE_DEL];
	struct file_row old, now;
	bool wrapped = pend_wrap_begin(st);
	/* the row at the destination goes; then the one at from (read after:
	 * from and to may be one name) takes its name */
	int had = st->cdigest ? file_get(st, ws, to, tlen, &old, NULL) : -ENOENT, r;

	if (had == -EIO) {
		r = -EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, to, (int)tlen, SQLITE_STATIC);
	if ((r = step_done(st, q)) < 0)
		goto out;
	if (st->cdigest && had == 0) {
		old.relpath = to;
		old.rlen = tlen;
		pend_row(st, ws, &old, -1);
	}
	had = st->cdigest ? file_get(st, ws, from, flen, &old, NULL) : -ENOENT;
	if (had == -EIO) {
		r = -EIO;
		goto out;
	}
	q = st->st[ST_F_MOVE];
	sqlite3_bind_blob(q, 1, to, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, ws);
	sqlite3_bind_blob(q, 3, from, (int)flen, SQLITE_STATIC);
	r = step_done(st, q);
	if (st->cdigest && r == 0 && had == 0) {
		old.relpath = from;
		old.rlen = flen;
		now = old;
		now.relpath = to;
		now.rlen = tlen;
		pend_rewrite(st, ws, &old, &now);
	}
out:
	return pend_wrap_end(st, wrapped, r);
}

/* upper bound of the BLOB range of paths under dir + "/": dir + "0" ('/'+1) */
static char *
prefix_hi(const char *dir, size_t dlen)
{
	char *hi = xmalloc(dlen + 1);

	memcpy(hi, dir, dlen);
	hi[dlen] = '/' + 1;
	return hi;
}

bool
state_any_under(struct state *st, int64_t ws, const char *dir, size_t dlen)
{
	sqlite3_stmt *q = st->st[ST_F_ANY_UNDER];
	char *lo = xmalloc(dlen + 1), *hi = prefix_hi(dir, dlen);
	int rc;

	memcpy(lo, dir, dlen);
	lo[dlen] = '/';
	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, lo, (int)dlen + 1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, hi, (int)dlen + 1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	free(lo);
	free(hi);
	/* an error says yes: the caller then looks for the rows themselves */
	return rc != SQLITE_DONE;
}

/* state_dir_move's rows, for their parts of the digest: those in [lo, hi)
 * deleted (to == NULL), or renamed from + rest to to + rest */
/* the columns of STAT_COLS, from a statement's first column on: the part
 * of a row a stat walk compares (state_files_stat) and its digest holds */
#define STAT_COLS "relpath, ino, size, mtime_ns, ctime_ns, status"

static void
stat_row_from(sqlite3_stmt *q, struct file_row *f)
{
	f->relpath = sqlite3_column_blob(q, 0);
	f->rlen = (size_t)sqlite3_column_bytes(q, 0);
	f->ino = (uint64_t)sqlite3_column_int64(q, 1);
	f->size = (uint64_t)sqlite3_column_int64(q, 2);
	f->mtime_ns = sqlite3_column_int64(q, 3);
	f->ctime_ns = sqlite3_column_int64(q, 4);
	str_copy(f->status, sizeof(f->status), (const char *)sqlite3_column_text(q, 5));
}

static int
pend_dir_rows(struct state *st, int64_t ws, const char *lo, const char *hi, size_t len,
	      size_t flen, const char *to, size_t tlen)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT " STAT_COLS " FROM files WHERE webspace_id=? AND "
					       "relpath>=? AND relpath<?");
	struct buf nb;
	int rc;

	if (q == NULL)
		return -EIO;
	buf_init(&nb, 0);
	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, lo, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, hi, (int)len, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct file_row f, n;

		memset(&f, 0, sizeof(f));
		stat_row_from(q, &f);
		if (to == NULL || f.rlen < flen) {
			pend_row(st, ws, &f, -1);
			continue;
		}
		/* the UPDATE's to || substr(relpath, flen + 1) */
		buf_reset(&nb);
		if (buf_append(&nb, to, tlen) < 0 || buf_append(&nb, f.relpath + flen, f.rlen - flen) < 0) {
			pend_of(st, ws)->unknown = true;
			continue;
		}
		n = f;
		n.relpath = nb.data;
		n.rlen = nb.len;
		pend_rewrite(st, ws, &f, &n);
	}
	sqlite3_finalize(q);
	buf_free(&nb);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int
state_dir_move(struct state *st, int64_t ws, const char *from, size_t flen, const char *to,
	       size_t tlen, bool keep_comp)
{
	bool wrapped = pend_wrap_begin(st);
	char *lo = xmalloc(flen + 1), *hi = prefix_hi(from, flen);
	sqlite3_stmt *q = NULL;
	int r = -EIO, i;
	static const char *const sql[] = {
		/* rows already at the destination are gone (the rename replaced it) */
		"DELETE FROM files WHERE webspace_id=?1 AND relpath>=?5 AND relpath<?6",
		("UPDATE files SET relpath=CAST(?4 || substr(relpath, ?7) AS BLOB), "
		 "comp_key=CASE WHEN ?9 THEN comp_key ELSE NULL END WHERE webspace_id=?1 AND "
		 "relpath>=?2 AND relpath<?3"),
		("UPDATE installations SET root=CAST(?4 || substr(root, ?7) AS BLOB) WHERE webspace_id=?1 AND "
		 "root>=?2 AND root<?3"),
		"UPDATE installations SET root=?4 WHERE webspace_id=?1 AND root=?8",
	};
	char *tlo = xmalloc(tlen + 1), *thi = prefix_hi(to, tlen);

	memcpy(lo, from, flen);
	lo[flen] = '/';
	memcpy(tlo, to, tlen);
	tlo[tlen] = '/';
	for (i = 0; i < 4; i++) {
		/* the rows' parts of the digest, read before each statement
		 * changes them (the rename's after the deletion); a failure
		 * after that makes the digest unknown */
		if (st->cdigest && i < 2 &&
		    (i == 0 ? pend_dir_rows(st, ws, tlo, thi, tlen + 1, 0, NULL, 0)
			    : pend_dir_rows(st, ws, lo, hi, flen + 1, flen, to, tlen)) < 0) {
			pend_of(st, ws)->unknown = true;
			goto out;
		}
		q = store_prepare(st->s, sql[i]);
		if (q == NULL)
			goto out;
		sqlite3_bind_int64(q, 1, ws);
		sqlite3_bind_blob(q, 2, lo, (int)flen + 1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 3, hi, (int)flen + 1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 4, to, (int)tlen, SQLITE_STATIC);
		sqlite3_bind_blob(q, 5, tlo, (int)tlen + 1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 6, thi, (int)tlen + 1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, (int64_t)flen + 1);
		sqlite3_bind_blob(q, 8, from, (int)flen, SQLITE_STATIC);
		sqlite3_bind_int(q, 9, keep_comp ? 1 : 0);
		if (sqlite3_step(q) != SQLITE_DONE) {
			log_warnx("state: directory move: %s", sqlite3_errmsg(store_db(st->s)));
			if (st->cdigest)
				pend_of(st, ws)->unknown = true;
			goto out;
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	r = 0;
out:
	sqlite3_finalize(q);
	free(lo);
	free(hi);
	free(tlo);
	free(thi);
	return pend_wrap_end(st, wrapped, r);
}

int
state_files_under(struct state *st, int64_t ws, const char *dir, size_t dlen, state_file_fn fn,
		  void *ud)
{
	sqlite3_stmt *q;
	char *lo = NULL, *hi = NULL;
	int rc, r = 0;

	if (dlen == 0) {
		q = store_prepare(st->s, "SELECT relpath, ino, size, mtime_ns, ctime_ns, mode, uid, sha256, "
					 "status, known, verdict, installation_id FROM files "
					 "WHERE webspace_id=? ORDER BY relpath");
	} else {
		q = store_prepare(st->s, "SELECT relpath, ino, size, mtime_ns, ctime_ns, mode, uid, sha256, "
					 "status, known, verdict, installation_id FROM files "
					 "WHERE webspace_id=? AND relpath>=? AND relpath<? ORDER BY relpath");
		lo = xmalloc(dlen + 1);
		memcpy(lo, dir, dlen);
		lo[dlen] = '/';
		hi = prefix_hi(dir, dlen);
	}
	if (q == NULL) {
		free(lo);
		free(hi);
		return -EIO;
	}
	sqlite3_bind_int64(q, 1, ws);
	if (dlen) {
		sqlite3_bind_blob(q, 2, lo, (int)dlen + 1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 3, hi, (int)dlen + 1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct file_row f;

		memset(&f, 0, sizeof(f));
		f.webspace_id = ws;
		f.relpath = sqlite3_column_blob(q, 0);
		f.rlen = (size_t)sqlite3_column_bytes(q, 0);
		row_from(q, 1, &f);
		if ((r = fn(ud, &f)) < 0)
			break;
	}
	sqlite3_finalize(q);
	free(lo);
	free(hi);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int
state_files_stat(struct state *st, int64_t ws, state_file_fn fn, void *ud)
{
	sqlite3_stmt *q;
	int rc, r = 0;

	q = store_prepare(st->s, "SELECT " STAT_COLS " FROM files WHERE webspace_id=? ORDER BY relpath");
	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, ws);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct file_row f;

		memset(&f, 0, sizeof(f));
		f.webspace_id = ws;
		stat_row_from(q, &f);
		if ((r = fn(ud, &f)) < 0)
			break;
	}
	sqlite3_finalize(q);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int64_t
state_files_count(struct state *st)
{
	sqlite3_stmt *q = st->st[ST_F_COUNT];
	int64_t n = 0;

	if (st->npend)
		pend_flush(st);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}

int
state_event_add(struct state *st, const struct event_row *e, int64_t *ret_id)
{
	sqlite3_stmt *q = st->st[ST_EV_ADD];
	int r;

	sqlite3_bind_int64(q, 1, e->time_ns / 1000000000);
	sqlite3_bind_int64(q, 2, e->time_ns);
	sqlite3_bind_int64(q, 3, e->webspace_id);
	sqlite3_bind_text(q, 4, e->customer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, e->path, (int)e->plen, SQLITE_STATIC);
	if (e->old_path)
		sqlite3_bind_blob(q, 6, e->old_path, (int)e->oplen, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 6);
	sqlite3_bind_text(q, 7, change_name(e->change), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, known_name(e->known), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, verdict_name(e->verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 10, severity_name(e->severity), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 11, e->reason, -1, SQLITE_STATIC);
	if (e->old_sha256)
		sqlite3_bind_blob(q, 12, e->old_sha256, SHA256_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 12);
	if (e->new_sha256)
		sqlite3_bind_blob(q, 13, e->new_sha256, SHA256_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 13);
	if (e->installation_id)
		sqlite3_bind_int64(q, 14, e->installation_id);
	else
		sqlite3_bind_null(q, 14);
	sqlite3_bind_text(q, 15, e->product, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 16, e->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 17, e->other_version, -1, SQLITE_STATIC);
	if (e->pid > 0)
		sqlite3_bind_int(q, 18, e->pid);
	else
		sqlite3_bind_null(q, 18);
	sqlite3_bind_text(q, 19, e->source ? e->source : "live", -1, SQLITE_STATIC);
	if (e->have_writer) {
		sqlite3_bind_int64(q, 20, e->uid);
		sqlite3_bind_text(q, 21, e->user, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 22, e->comm, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 23, e->cgroup && e->cgroup[0] ? e->cgroup : NULL, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(q, 20);
		sqlite3_bind_null(q, 21);
		sqlite3_bind_null(q, 22);
		sqlite3_bind_null(q, 23);
	}
	sqlite3_bind_int(q, 24, e->held ? 1 : 0);
	if (e->parent_id)
		sqlite3_bind_int64(q, 25, e->parent_id);
	else
		sqlite3_bind_null(q, 25);
	if (e->nfiles)
		sqlite3_bind_int64(q, 26, e->nfiles);
	else
		sqlite3_bind_null(q, 26);
	sqlite3_bind_text(q, 27, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 28, e->request, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 29, e->request_unknown, -1, SQLITE_STATIC);
	if ((r = step_done(st, q)) < 0)
		return r;
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(store_db(st->s));
	return 0;
}

int
state_installations_load(struct state *st, int64_t ws, struct inst_row **ret, size_t *ret_n)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT id, root, product, kind, version, confidence, "
					      "claimed_version FROM installations WHERE webspace_id=? ORDER BY length(root) DESC");
	struct inst_row *rows = NULL;
	size_t n = 0;
	int rc;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, ws);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct inst_row *r;

		rows = xreallocarray(rows, n + 1, sizeof(*rows));
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(q, 0);
		r->webspace_id = ws;
		r->root_len = (size_t)sqlite3_column_bytes(q, 1);
		r->root = xstrndup(sqlite3_column_blob(q, 1) ? sqlite3_column_blob(q, 1) : "", r->root_len);
		r->product = xstrdup((const char *)sqlite3_column_text(q, 2));
		r->kind = sqlite3_column_text(q, 3) ? xstrdup((const char *)sqlite3_column_text(q, 3)) : NULL;
		r->version = xstrdup((const char *)sqlite3_column_text(q, 4));
		r->confidence = sqlite3_column_double(q, 5);
		if (sqlite3_column_text(q, 6))
			r->claimed = xstrdup((const char *)sqlite3_column_text(q, 6));
	}
	sqlite3_finalize(q);
	*ret = rows;
	*ret_n = n;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

void
state_inst_rows_free(struct inst_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].root);
		free(rows[i].product);
		free(rows[i].kind);
		free(rows[i].version);
		free(rows[i].claimed);
	}
	free(rows);
}

int
state_installation_put(struct state *st, struct inst_row *r, const char *mixed_with,
		       const char *claimed, uint32_t matched)
{
	sqlite3_stmt *q = store_prepare(st->s,
		"INSERT INTO installations(webspace_id, root, product, kind, version, confidence, matched, "
		"mixed_with, claimed_version, identified_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
		"ON CONFLICT(webspace_id, root, product) DO UPDATE SET kind=?4, version=?5, confidence=?6, "
		"matched=?7, mixed_with=?8, claimed_version=?9, identified_at=?10 RETURNING id");
	int rc;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, r->webspace_id);
	sqlite3_bind_blob(q, 2, r->root, (int)r->root_len, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->product, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->version, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 6, r->confidence);
	sqlite3_bind_int64(q, 7, matched);
	sqlite3_bind_text(q, 8, mixed_with, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, claimed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 10, now_unix());
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		r->id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int
state_installation_delete(struct state *st, int64_t id)
{
	sqlite3_stmt *q = store_prepare(st->s, "DELETE FROM installations WHERE id=?");
	int rc;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* whether a table has rows, re-read every 2 s (marks come from wsidctl, another
 * process): saves a query per change while it is empty */
static bool
table_any(struct state *st, int which)
{
	static const char *const sql[] = { "SELECT EXISTS(SELECT 1 FROM known_bad)",
					   "SELECT EXISTS(SELECT 1 FROM trusted)" };
	uint64_t now = now_mono_ns();

	if (now - st->any_checked_ns[which] > 2000000000ull || st->any_checked_ns[which] == 0) {
		sqlite3_stmt *c = store_prepare(st->s, sql[which]);

		st->any[which] = true;
		if (c && sqlite3_step(c) == SQLITE_ROW)
			st->any[which] = sqlite3_column_int(c, 0) != 0;
		sqlite3_finalize(c);
		st->any_checked_ns[which] = now;
	}
	return st->any[which];
}

void
state_marks_changed(struct state *st)
{
	st->any_checked_ns[0] = st->any_checked_ns[1] = 0;
}

bool
state_known_bad(struct state *st, const uint8_t sha256[SHA256_LEN])
{
	sqlite3_stmt *q = st->st[ST_BAD];
	bool bad;

	if (!table_any(st, 0))
		return false;
	sqlite3_bind_blob(q, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	bad = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return bad;
}

bool
state_trusted(struct state *st, const uint8_t sha256[SHA256_LEN], const char *customer)
{
	sqlite3_stmt *q = st->st[ST_TRUSTED];
	bool ok;

	if (!table_any(st, 1))
		return false;
	sqlite3_bind_blob(q, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, customer ? customer : "", -1, SQLITE_STATIC);
	ok = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return ok;
}

int
state_consensus(struct state *st, const char *key, size_t klen, int64_t ws,
		const uint8_t sha256[SHA256_LEN], struct consensus *ret)
{
	sqlite3_stmt *q = st->st[ST_CONSENSUS];
	int rc;

	memset(ret, 0, sizeof(*ret));
	sqlite3_bind_blob(q, 1, key, (int)klen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, ws);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		unsigned n = (unsigned)sqlite3_column_int(q, 1);

		ret->copies += n;
		if (sqlite3_column_bytes(q, 0) != SHA256_LEN)
			continue;
		if (memcmp(sqlite3_column_blob(q, 0), sha256, SHA256_LEN) == 0)
			ret->same += n;
		if (n > ret->top) {
			ret->top = n;
			memcpy(ret->top_sha256, sqlite3_column_blob(q, 0), SHA256_LEN);
		}
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

bool
state_has_held(struct state *st, int64_t ws)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT 1 FROM events WHERE webspace_id=? AND held=1 "
					      "LIMIT 1");
	bool any;

	if (q == NULL)
		return false;
	sqlite3_bind_int64(q, 1, ws);
	any = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return any;
}

int
state_event_set_nfiles(struct state *st, int64_t id, int64_t n)
{
	sqlite3_stmt *q = store_prepare(st->s, "UPDATE events SET nfiles=? WHERE id=?");
	int r;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, n);
	sqlite3_bind_int64(q, 2, id);
	r = sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(q);
	return r;
}

int
state_held_events(struct state *st, int64_t ws, struct held_event **ret, size_t *ret_n)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT id, path, change, verdict, installation_id, "
					      "product, version FROM events WHERE webspace_id=? AND held=1 "
					      "ORDER BY id");
	struct held_event *v = NULL;
	size_t n = 0;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, ws);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct held_event *h;
		const char *t;

		v = xreallocarray(v, n + 1, sizeof(*v));
		h = &v[n++];
		memset(h, 0, sizeof(*h));
		h->id = sqlite3_column_int64(q, 0);
		h->plen = (size_t)sqlite3_column_bytes(q, 1);
		h->path = xstrndup(h->plen ? sqlite3_column_blob(q, 1) : "", h->plen);
		h->change = CHANGE_MODIFIED;
		if ((t = (const char *)sqlite3_column_text(q, 2)) != NULL) {
			int c;

			for (c = 0; c < CHANGE_KIND_MAX; c++)
				if (strcmp(change_name((enum change_kind)c), t) == 0)
					h->change = (enum change_kind)c;
		}
		h->verdict = verdict_parse((const char *)sqlite3_column_text(q, 3));
		h->installation_id = sqlite3_column_int64(q, 4);
		t = (const char *)sqlite3_column_text(q, 5);
		h->product = t ? xstrdup(t) : NULL;
		t = (const char *)sqlite3_column_text(q, 6);
		h->version = t ? xstrdup(t) : NULL;
	}
	sqlite3_finalize(q);
	*ret = v;
	*ret_n = n;
	return 0;
}

void
state_held_free(struct held_event *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].product);
		free(v[i].version);
	}
	free(v);
}

int
state_event_release(struct state *st, int64_t id, int64_t parent_id, int verdict, int severity,
		    const char *reason)
{
	sqlite3_stmt *q = st->st[ST_EV_RELEASE];

	if (parent_id)
		sqlite3_bind_int64(q, 1, parent_id);
	else
		sqlite3_bind_null(q, 1);
	sqlite3_bind_text(q, 2, verdict >= 0 ? verdict_name((enum verdict_kind)verdict) : NULL, -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(q, 3, severity >= 0 ? severity_name((enum severity)severity) : NULL, -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(q, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, id);
	return step_done(st, q);
}

int
state_analysis_get(struct state *st, const uint8_t sha256[SHA256_LEN], const char *rules_version,
		   struct analyse_result *ret)
{
	sqlite3_stmt *q = st->st[ST_AN_GET];
	int r = -ENOENT;

	sqlite3_bind_blob(q, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, rules_version, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(q, 1);

		r = analyse_result_decode(f ? f : "", (size_t)sqlite3_column_bytes(q, 1),
					  (enum analyse_verdict)sqlite3_column_int(q, 0), ret);
		if (r < 0)
			r = -ENOENT; /* judged again */
	}
	sqlite3_reset(q);
	return r;
}

int
state_analysis_put(struct state *st, const uint8_t sha256[SHA256_LEN], const char *rules_version,
		   const struct analyse_result *r)
{
	sqlite3_stmt *q = st->st[ST_AN_PUT];
	char buf[ANALYSE_FINDINGS_MAX * (2 * ANALYSE_CLASS_MAX + ANALYSE_EXCERPT_MAX + 32)];
	size_t n = analyse_result_encode(r, buf, sizeof(buf));

	sqlite3_bind_blob(q, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, rules_version, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, (int)r->verdict);
	sqlite3_bind_text(q, 4, buf, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, now_real_ns() / 1000000000);
	return step_done(st, q);
}

/* ---- the state's SQL its other users ran themselves (state.h) ---- */

/* runs q (bound) and hands each (webspace_id, relpath) row to fn */
static int
paths_each(sqlite3_stmt *q, state_path_fn fn, void *ud)
{
	int r = 0, step;

	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(q, 1);
		char *path = xstrndup(len ? sqlite3_column_blob(q, 1) : "", len);

		r = fn(ud, sqlite3_column_int64(q, 0), path, len);
		free(path);
	}
	if (r == 0 && step != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(q);
	return r;
}

bool
state_marks_any(struct state *st)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT EXISTS (SELECT 1 FROM known_bad) OR "
					       "EXISTS (SELECT 1 FROM trusted)");
	bool any = true; /* unreadable: look */

	if (q && sqlite3_step(q) == SQLITE_ROW)
		any = sqlite3_column_int(q, 0) != 0;
	sqlite3_finalize(q);
	return any;
}

int
state_files_marked(struct state *st, const uint8_t *sha256, state_path_fn fn, void *ud)
{
	static const char *const all_sql =
		"SELECT f.webspace_id, f.relpath FROM files f WHERE (f.verdict IS NOT 'malicious' "
		"AND f.sha256 IN (SELECT sha256 FROM known_bad)) OR (f.verdict IN ('malicious', "
		"'suspicious', 'tampered', 'foreign') AND EXISTS (SELECT 1 FROM trusted t JOIN "
		"webspaces w ON w.id=f.webspace_id WHERE t.sha256=f.sha256 AND (t.customer='' OR "
		"t.customer=w.customer)))";
	sqlite3_stmt *q = store_prepare(st->s, sha256 ? "SELECT webspace_id, relpath FROM files "
							"WHERE sha256=?" : all_sql);

	if (q == NULL)
		return -EIO;
	if (sha256)
		sqlite3_bind_blob(q, 1, sha256, SHA256_LEN, SQLITE_STATIC);
	return paths_each(q, fn, ud);
}

int
state_files_unanalysed(struct state *st, state_path_fn fn, void *ud)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT f.webspace_id, f.relpath FROM files f WHERE "
					       "f.sha256 IS NOT NULL AND f.verdict IN ('new', 'changed-unknown', "
					       "'tampered', 'foreign', 'suspicious') AND NOT EXISTS (SELECT 1 FROM "
					       "analysis a WHERE a.sha256=f.sha256)");

	if (q == NULL)
		return -EIO;
	return paths_each(q, fn, ud);
}

int
state_files_analysed_before(struct state *st, const char *rules_version, state_path_fn fn, void *ud)
{
	/* the analysis table first (CROSS JOIN keeps the order): the few
	 * contents analysed, not every file stored, at each start */
	sqlite3_stmt *q = store_prepare(st->s, "SELECT f.webspace_id, f.relpath FROM analysis a CROSS JOIN "
					       "files f ON f.sha256=a.sha256 WHERE a.rules_version<>?1");

	if (q == NULL)
		return -EIO;
	sqlite3_bind_text(q, 1, rules_version, -1, SQLITE_STATIC);
	return paths_each(q, fn, ud);
}

/* column col as an owned string in the next slot of l->mem (NULL stays NULL) */
static const char *
loaded_text(struct event_loaded *l, size_t *slot, sqlite3_stmt *q, int col, size_t *ret_len)
{
	size_t len = (size_t)sqlite3_column_bytes(q, col);
	const void *v = sqlite3_column_type(q, col) == SQLITE_BLOB ? sqlite3_column_blob(q, col)
								    : (const void *)sqlite3_column_text(q, col);

	if (ret_len)
		*ret_len = len;
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return NULL;
	return l->mem[(*slot)++] = xstrndup(len ? v : "", len);
}

static int
enum_of(const char *name, const char *(*name_of)(int), int max)
{
	int i;

	for (i = 0; name && i < max; i++)
		if (strcmp(name_of(i), name) == 0)
			return i;
	return 0;
}

static const char *
change_name_i(int i)
{
	return change_name((enum change_kind)i);
}

static const char *
known_name_i(int i)
{
	return known_name((enum content_known)i);
}

int
state_event_load(struct state *st, int64_t id, struct event_loaded *ret)
{
	sqlite3_stmt *q = store_prepare(st->s, "SELECT w.path, e.time_ns, e.webspace_id, e.customer, e.path, "
					       "e.old_path, e.change, e.known, e.verdict, e.severity, e.reason, "
					       "e.old_sha256, e.new_sha256, e.installation_id, e.product, e.version, "
					       "e.other_version, e.pid, e.source, e.uid, e.user, e.comm, e.cgroup, "
					       "e.held, e.parent_id, e.nfiles, e.detail, e.request, e.request_unknown, "
					       "e.acked_at FROM events e JOIN webspaces w ON w.id=e.webspace_id "
					       "WHERE e.id=?");
	struct event_loaded *l = ret;
	struct event_row *r = &l->row;
	size_t slot = 0;
	int step, v;

	memset(l, 0, sizeof(*l));
	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	if ((step = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return step == SQLITE_DONE ? -ENOENT : -EIO;
	}
	l->ev.id = id;
	l->ev.row = r;
	l->ev.webspace = loaded_text(l, &slot, q, 0, &l->ev.wslen);
	r->time_ns = sqlite3_column_int64(q, 1);
	r->webspace_id = sqlite3_column_int64(q, 2);
	r->customer = loaded_text(l, &slot, q, 3, NULL);
	r->path = loaded_text(l, &slot, q, 4, &r->plen);
	r->old_path = loaded_text(l, &slot, q, 5, &r->oplen);
	r->change = (enum change_kind)enum_of((const char *)sqlite3_column_text(q, 6), change_name_i,
					      CHANGE_KIND_MAX);
	r->known = (enum content_known)enum_of((const char *)sqlite3_column_text(q, 7), known_name_i,
					       KNOWN_MAX);
	v = verdict_parse((const char *)sqlite3_column_text(q, 8));
	r->verdict = v < 0 ? VERDICT_OK : (enum verdict_kind)v;
	v = severity_parse((const char *)sqlite3_column_text(q, 9));
	r->severity = v < 0 ? SEV_INFO : (enum severity)v;
	r->reason = loaded_text(l, &slot, q, 10, NULL);
	if (sqlite3_column_bytes(q, 11) == SHA256_LEN) {
		memcpy(l->old_sha, sqlite3_column_blob(q, 11), SHA256_LEN);
		r->old_sha256 = l->old_sha;
	}
	if (sqlite3_column_bytes(q, 12) == SHA256_LEN) {
		memcpy(l->new_sha, sqlite3_column_blob(q, 12), SHA256_LEN);
		r->new_sha256 = l->new_sha;
	}
	r->installation_id = sqlite3_column_int64(q, 13);
	r->product = loaded_text(l, &slot, q, 14, NULL);
	r->version = loaded_text(l, &slot, q, 15, NULL);
	r->other_version = loaded_text(l, &slot, q, 16, NULL);
	r->pid = sqlite3_column_int(q, 17);
	r->source = loaded_text(l, &slot, q, 18, NULL);
	r->have_writer = sqlite3_column_type(q, 19) != SQLITE_NULL;
	r->uid = (uint32_t)sqlite3_column_int64(q, 19);
	r->user = loaded_text(l, &slot, q, 20, NULL);
	r->comm = loaded_text(l, &slot, q, 21, NULL);
	r->cgroup = loaded_text(l, &slot, q, 22, NULL);
	r->held = sqlite3_column_int(q, 23) != 0;
	r->parent_id = sqlite3_column_int64(q, 24);
	r->nfiles = sqlite3_column_int64(q, 25);
	l->ev.aggregate = sqlite3_column_type(q, 25) != SQLITE_NULL;
	r->detail = loaded_text(l, &slot, q, 26, NULL);
	r->request = loaded_text(l, &slot, q, 27, NULL);
	r->request_unknown = loaded_text(l, &slot, q, 28, NULL);
	l->ev.acked = sqlite3_column_type(q, 29) != SQLITE_NULL;
	sqlite3_finalize(q);
	return 0;
}

void
state_event_loaded_free(struct event_loaded *l)
{
	size_t i;

	for (i = 0; i < sizeof(l->mem) / sizeof(l->mem[0]); i++)
		free(l->mem[i]);
	memset(l, 0, sizeof(*l));
}

/* removes a hash from one list of marks (sql: a DELETE by sha256) */
static void
mark_delete(struct store *s, const char *sql, const uint8_t sha[SHA256_LEN])
{
	sqlite3_stmt *q = store_prepare(s, sql);

	if (q) {
		sqlite3_bind_blob(q, 1, sha, SHA256_LEN, SQLITE_STATIC);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
}

int
state_webspace_set_active(struct store *s, int64_t id, bool active)
{
	int r = store_exec_bind(s, "UPDATE webspaces SET active=?1 WHERE id=?2 AND active IS NOT ?1",
				"ii", (int64_t)active, id);

	return r < 0 ? r : sqlite3_changes(store_db(s)) > 0;
}

int
state_mark_set(struct store *s, const char *kind, const uint8_t sha[SHA256_LEN], const char *customer,
	       const char *note, const char *by, const char *example)
{
	sqlite3_stmt *q;
	int rc;

	if (strcmp(kind, "malicious") == 0) {
		/* a trusted mark would hide it again */
		mark_delete(s, "DELETE FROM trusted WHERE sha256=?", sha);
		q = store_prepare(s, "INSERT INTO known_bad(sha256, note, added_by, added_at, source, example) "
				     "VALUES(?1, ?2, ?3, ?4, 'wsidctl mark', ?5) ON CONFLICT(sha256) DO UPDATE "
				     "SET note=coalesce(?2, note), added_by=?3, added_at=?4, "
				     "example=coalesce(?5, example)");
	} else if (strcmp(kind, "trusted") == 0) {
		if (customer == NULL)
			mark_delete(s, "DELETE FROM known_bad WHERE sha256=?", sha);
		q = store_prepare(s, "INSERT INTO trusted(sha256, note, added_by, added_at, example, customer) "
				     "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256, customer) DO UPDATE "
				     "SET note=coalesce(?2, note), added_by=?3, added_at=?4, "
				     "example=coalesce(?5, example)");
	} else {
		/* for a customer: that customer's trusted mark; else every mark */
		if (customer == NULL)
			mark_delete(s, "DELETE FROM known_bad WHERE sha256=?", sha);
		q = store_prepare(s, customer ? "DELETE FROM trusted WHERE sha256=?1 AND customer=?6"
					      : "DELETE FROM trusted WHERE sha256=?1");
	}
	if (q == NULL)
		return -EIO;
	sqlite3_bind_blob(q, 1, sha, SHA256_LEN, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(q) >= 2) {
		sqlite3_bind_text(q, 2, note, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, by, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, now_unix());
		sqlite3_bind_text(q, 5, example, -1, SQLITE_STATIC);
	}
	if (sqlite3_bind_parameter_count(q) >= 6)
		sqlite3_bind_text(q, 6, customer ? customer : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int
state_event_ack(struct store *s, int64_t id, int64_t now, bool *ret_was_acked)
{
	sqlite3_stmt *e = store_prepare(s, "SELECT acked_at FROM events WHERE id=?");
	sqlite3_stmt *q;
	bool exists = false;
	int rc;

	if (e == NULL)
		return -EIO;
	sqlite3_bind_int64(e, 1, id);
	if (sqlite3_step(e) == SQLITE_ROW) {
		exists = true;
		*ret_was_acked = sqlite3_column_type(e, 0) != SQLITE_NULL;
	}
	sqlite3_finalize(e);
	if (!exists)
		return -ENOENT;
	/* an aggregate is acknowledged with its members */
	q = store_prepare(s, "UPDATE events SET acked_at=?2 WHERE (id=?1 OR parent_id=?1) AND acked_at IS NULL");
	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
