// SPDX-License-Identifier: GPL-2.0-or-later
/* The store's WAL checkpoint thread: the committing connection only appends,
 * the thread copies the WAL back into the database file while the store is
 * open, the WAL starts over after a burst, and nothing committed is lost. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/wsid-test-store.XXXXXX";
static char dbpath[256], walpath[300];

static off_t
fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* one transaction of n rows of 4 KiB: at least n pages appended to the WAL */
static int
commit_rows(struct store *s, int n, int tag)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO t(tag, x) VALUES (?, randomblob(4096))");
	int i, r = store_begin(s);

	for (i = 0; r == 0 && i < n; i++) {
		sqlite3_bind_int(st, 1, tag);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return r == 0 ? store_commit(s) : r;
}

/* The WAL-index header at the start of the -shm file
 * (https://sqlite.org/walformat.html), read without a connection so that
 * nothing here checkpoints: mxFrame (frames in the WAL) at offset 16,
 * nBackfill (frames copied back) at offset 96. */
static int
shm_u32(off_t off)
{
	char shm[300];
	uint32_t v = 0;
	int fd;

	snprintf(shm, sizeof(shm), "%s-shm", dbpath);
	fd = open(shm, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &v, sizeof(v), off) != (ssize_t)sizeof(v))
		v = (uint32_t)-1;
	close(fd);
	return (int)v;
}

static int
wal_frames(void)
{
	return shm_u32(16);
}

/* until the thread has copied back every frame (at most 10 s) */
static void
wait_backfilled(int wake)
{
	int i;

	for (i = 0; i < 10000; i++) {
		int mx = shm_u32(16);

		if (mx < wake || shm_u32(96) == mx)
			return;
		pause_ms(1);
	}
}

static long long
count_rows(const char *where)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM t %s", where);
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* a value of the meta table, -1 when absent */
static long long
meta_int(const char *key)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key=?", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* a cut-back WAL file: its header and a few frames of 4 KiB pages */
#define TRIM_FLOOR (32 + 4 * (4096 + 24))

static void
test_thread_copies_back(void)
{
	struct store *s = NULL;
	char err[512];
	int i, ok = 0, maxf = 0;
	off_t db0;

	T_EQ_INT(store_open(dbpath, STORE_CREATE, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	T_EQ_INT(store_exec(s, "CREATE TABLE t(id INTEGER PRIMARY KEY, tag INTEGER, x BLOB)"), 0);
	/* the schema's frames (every migration's) copied back first: the WAL
	 * measured below holds only the commits of this test */
	T_EQ_INT(store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	T_EQ_INT(store_checkpoint_thread(s, 64), 0);
	db0 = fsize(dbpath);
	/* 60 commits of 8 pages, each once the thread has caught up (as when
	 * changes trickle in) */
	for (i = 0; i < 60; i++) {
		int f;

		ok += commit_rows(s, 8, 1) == 0;
		if ((f = wal_frames()) > maxf)
			maxf = f;
		wait_backfilled(64);
	}
	T_EQ_INT(ok, 60);
	/* copied back while the store is open: the committing connection has no
	 * autocheckpoint of its own left, so only the thread can have done it */
	T_CHECK(fsize(dbpath) - db0 > 1800 * 1024, "database file grew by %lld bytes only",
		(long long)(fsize(dbpath) - db0));
	/* and the WAL started over each time the thread had caught up, instead
	 * of holding all 480 pages: never much more than the wake-up size */
	T_CHECK(maxf >= 64 && maxf < 64 + 2 * 11, "WAL held up to %d frames", maxf);
	T_EQ_INT(count_rows(""), 480);
	store_close(s);
	T_CHECK(access(walpath, F_OK) != 0, "WAL left behind after close");
}

static void
test_burst(void)
{
	struct store *s = NULL;
	char err[512];
	int i, ok = 0, maxf = 0;
	off_t size0;

	T_EQ_INT(store_open(dbpath, 0, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	/* woken at 16 frames, the committer itself at 1,024, cut back when quiet
	 * past 256 frames (1 MiB) */
	T_EQ_INT(store_checkpoint_thread(s, 16), 0);
	/* a burst: 400 commits of 8 pages without pause */
	for (i = 0; i < 400; i++) {
		int f;

		ok += commit_rows(s, 8, 2) == 0;
		if ((f = wal_frames()) > maxf)
			maxf = f;
	}
	T_EQ_INT(ok, 400);
	T_CHECK(maxf >= 1024 && maxf < 1024 + 2 * 11, "WAL held up to %d frames in the burst", maxf);
	/* quiet: the thread catches up, the next transaction starts it over */
	wait_backfilled(16);
	T_EQ_INT(commit_rows(s, 1, 3), 0);
	T_CHECK(wal_frames() < 16, "WAL holds %d frames after the burst", wal_frames());
	T_EQ_INT(count_rows("WHERE tag=2"), 3200);
	/* 2 s after the last commit the thread cuts the 4 MiB WAL file back to a
	 * few frames, in steps of at most 256 KiB (4 times the wake-up size) */
	size0 = fsize(walpath);
	T_CHECK(size0 > 1024 * 1024, "WAL file of %lld bytes after the burst", (long long)size0);
	for (i = 0; i < 100 && fsize(walpath) > TRIM_FLOOR; i++)
		pause_ms(100);
	T_CHECK(fsize(walpath) <= TRIM_FLOOR, "WAL file still %lld bytes 10 s after the last commit",
		(long long)fsize(walpath));
	T_CHECK(meta_int("wal_trim_steps") >= (size0 - TRIM_FLOOR) / (256 * 1024),
		"%lld steps for %lld bytes", meta_int("wal_trim_steps"), (long long)size0);
	T_EQ_INT(commit_rows(s, 1, 3), 0); /* and it is written again */
	store_close(s);

	/* the last connection closed: everything in the database file */
	T_CHECK(access(walpath, F_OK) != 0, "WAL left behind after close");
	T_EQ_INT(count_rows(""), 480 + 3200 + 2);
	T_OK(fsize(dbpath) > (480 + 3200) * 4096);
}

/* killed (SIGKILL) while cutting the WAL file back: after the restart every
 * committed row is there and the database is intact (a cut only ever drops
 * frames the WAL no longer counts) */
static void
test_trim_killed(void)
{
	long long before = count_rows("");
	off_t max = 0, sz = 0;
	int i, status, mid = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	pid_t child = fork();

	if (child == 0) {
		struct store *s = NULL;
		sqlite3 *rd = NULL;
		char err[512];

		if (store_open(dbpath, 0, &s, err, sizeof(err)) != 0 ||
		    store_checkpoint_thread(s, 16) != 0)
			_exit(1);
		/* a reader on the snapshot before the burst: nothing of it can be
		 * copied back, so the WAL never starts over and its frames fill the
		 * file to its end, later commits rewriting pages of earlier ones */
		if (sqlite3_open_v2(dbpath, &rd, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		    sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM t", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		for (i = 0; i < 8; i++)
			if (commit_rows(s, 64, 5) != 0)
				_exit(1);
		sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(rd);
		pause_ms(30000);
		_exit(2);
	}
	T_OK(child > 0);
	if (child <= 0)
		return;
	/* until the file shrinks: then kill at once, mid-trim */
	for (i = 0; i < 20000000; i++) {
		sz = fsize(walpath);
		if (sz > max)
			max = sz;
		else if (max > 1024 * 1024 && sz < max)
			break;
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	mid = sz > TRIM_FLOOR && sz < max;
	T_CHECK(mid, "killed at a WAL file of %lld bytes (largest %lld)", (long long)sz,
		(long long)max);
	T_CHECK(WIFSIGNALED(status), "child ended with status %d before the kill", status);
	T_EQ_INT(count_rows("WHERE tag=5"), 512);
	T_EQ_INT(count_rows(""), before + 512);
	T_OK(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	     sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	     sqlite3_step(st) == SQLITE_ROW &&
	     t_streq((const char *)sqlite3_column_text(st, 0), "ok"));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_close_idle(void)
{
	struct store *s = NULL;
	char err[512];

	T_EQ_INT(store_open(dbpath, 0, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	T_EQ_INT(store_checkpoint_thread(s, 0), 0);
	T_EQ_INT(store_checkpoint_thread(s, 0), 0); /* a second call: nothing more */
	store_close(s);                              /* joins a thread that never ran */
	T_EQ_INT(count_rows(""), 480 + 3200 + 2 + 512);
}

static void
test_rdonly(void)
{
	struct store *s = NULL;
	char err[512];

	T_EQ_INT(store_open(dbpath, STORE_RDONLY, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	T_EQ_INT(store_checkpoint_thread(s, 0), 0); /* read-only: no thread */
	store_close(s);
}

static unsigned
mode_of(const char *path, const char *suffix)
{
	char p[320];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 01000; /* 01000: absent */
}

/* A database wsid creates is 0600 with its -wal and -shm, in a directory
 * 0700, whatever the umask of whoever created it (a root shell: 022). */
static void
test_mode_new(mode_t mask)
{
	char sub[300], path[320];
	struct store *s = NULL;
	char err[512];
	mode_t old;

	snprintf(sub, sizeof(sub), "%s/umask%03o", dir, (unsigned)mask);
	snprintf(path, sizeof(path), "%s/wsid.db", sub);
	old = umask(mask);
	T_EQ_INT(store_open(path, STORE_CREATE, &s, err, sizeof(err)), 0);
	if (s)
		T_EQ_INT(store_exec(s, "CREATE TABLE m(x); INSERT INTO m VALUES (1)"), 0);
	umask(old);
	T_CHECK(mode_of(path, "") == 0600, "umask %03o: database %04o", (unsigned)mask,
		mode_of(path, ""));
	T_CHECK(mode_of(path, "-wal") == 0600, "umask %03o: -wal %04o", (unsigned)mask,
		mode_of(path, "-wal"));
	T_CHECK(mode_of(path, "-shm") == 0600, "umask %03o: -shm %04o", (unsigned)mask,
		mode_of(path, "-shm"));
	T_CHECK(mode_of(sub, "") == 0700, "umask %03o: directory %04o", (unsigned)mask,
		mode_of(sub, ""));
	store_close(s);
}

static void
test_mode_umask022(void)
{
	test_mode_new(022);
}

static void
test_mode_umask000(void)
{
	test_mode_new(0);
}

/* An existing database readable by others (an older wsid, a loose umask) is
 * made 0600 when opened writable, with the -wal and -shm a crash left behind;
 * a read-only open changes nothing. */
static void
test_mode_tightened(void)
{
	char path[320];
	struct store *s = NULL;
	char err[512];
	pid_t child;
	int st = 0;

	snprintf(path, sizeof(path), "%s/umask000/wsid.db", dir);
	child = fork();
	if (child == 0) {
		/* killed with its WAL open: -wal and -shm stay */
		if (store_open(path, 0, &s, err, sizeof(err)) < 0 ||
		    store_exec(s, "INSERT INTO m VALUES (2)") < 0)
			_exit(1);
		_exit(0);
	}
	T_OK(child > 0 && waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_OK(chmod(path, 0644) == 0);
	T_OK(mode_of(path, "-wal") != 01000 && mode_of(path, "-shm") != 01000);
	{
		char w[340], m[340];

		snprintf(w, sizeof(w), "%s-wal", path);
		snprintf(m, sizeof(m), "%s-shm", path);
		T_OK(chmod(w, 0666) == 0 && chmod(m, 0644) == 0);
	}
	T_EQ_INT(store_open(path, STORE_RDONLY, &s, err, sizeof(err)), 0);
	store_close(s);
	s = NULL;
	T_EQ_INT(mode_of(path, ""), 0644); /* read-only: left as it is */
	T_EQ_INT(store_open(path, 0, &s, err, sizeof(err)), 0);
	T_EQ_INT(mode_of(path, ""), 0600);
	T_EQ_INT(mode_of(path, "-wal"), 0600);
	T_EQ_INT(mode_of(path, "-shm"), 0600);
	store_close(s);
}

/* A file that is not a database, given as one (a configuration, a tenant's
 * file): refused with why, its mode and bytes as they were, no -wal or -shm
 * made beside it; an empty file others may read, the same; an empty private
 * one is a database not written yet. */
static void
test_not_a_database(void)
{
	static const char text[] = "database: /var/lib/wsid/wsid.db\nwebspaces: []\n";
	char path[256], *back;
	struct store *s = NULL;
	char err[512];
	size_t n;
	int flags[] = { 0, STORE_CREATE, STORE_RDONLY };
	size_t i;

	snprintf(path, sizeof(path), "%s/wsid.yaml", dir);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		T_OK(fx_put(path, text) == 0 && chmod(path, 0644) == 0);
		err[0] = '\0';
		T_OK(store_open(path, flags[i], &s, err, sizeof(err)) < 0);
		/* read-only: SQLite's own refusal (it writes nothing) */
		T_CHECK(strstr(err, flags[i] == STORE_RDONLY ? "wsid.yaml: not a usable wsid database"
				    : "wsid.yaml: not a usable wsid database: not an SQLite database file") != NULL,
			"flags %d: %s", flags[i], err);
		T_CHECK(mode_of(path, "") == 0644, "flags %d: mode %04o", flags[i], mode_of(path, ""));
		back = t_slurp(path, &n);
		T_OK(back && n == strlen(text) && memcmp(back, text, n) == 0);
		free(back);
		T_OK(mode_of(path, "-wal") == 01000 && mode_of(path, "-shm") == 01000);
	}
	/* empty, readable by others: left */
	T_OK(fx_put(path, "") == 0 && chmod(path, 0644) == 0);
	T_EQ_INT(store_open(path, 0, &s, err, sizeof(err)), -EINVAL);
	T_CHECK(strstr(err, "an empty file of mode 0644") != NULL, "%s", err);
	T_EQ_INT(mode_of(path, ""), 0644);
	back = t_slurp(path, &n);
	T_OK(back && n == 0);
	free(back);
	/* empty and private: made a database */
	T_OK(chmod(path, 0600) == 0);
	T_EQ_INT(store_open(path, 0, &s, err, sizeof(err)), 0);
	store_close(s);
	s = NULL;
	T_EQ_INT(mode_of(path, ""), 0600);
	T_EQ_INT(store_open(path, STORE_RDONLY, &s, err, sizeof(err)), 0);
	store_close(s);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
}

static void
rm_db(const char *sub)
{
	char p[320];

	snprintf(p, sizeof(p), "%s/%s/wsid.db-wal", dir, sub);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s/wsid.db-shm", dir, sub);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s/wsid.db", dir, sub);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	rmdir(p);
}

/* store_exec_bind and store_query: each type bound as said (0 as NULL for
 * 'n', NULL text as NULL, blobs with their NULs), a failed statement an errno */
static void
test_bind(void)
{
	struct fx f;
	sqlite3_stmt *q;
	static const char blob[] = { 'a', 0, 'b' };

	if (fx_open(&f, "store-bind") < 0) {
		T_CHECK(0, "a database");
		fx_close(&f);
		return;
	}
	T_EQ_INT(store_exec(f.s, "CREATE TABLE t(i INTEGER, n INTEGER, s TEXT, b BLOB)"), 0);
	T_EQ_INT(store_exec_bind(f.s, "INSERT INTO t VALUES(?, ?, ?, ?)", "intb", (int64_t)1 << 40, (int64_t)0,
				 "x'y", blob, sizeof(blob)),
		 0);
	T_EQ_INT(store_exec_bind(f.s, "INSERT INTO t VALUES(?1, ?2, ?3, NULL)", "int", (int64_t)2, (int64_t)7,
				 (const char *)NULL),
		 0);
	q = store_query(f.s, "SELECT i, n, s, b FROM t WHERE i>? ORDER BY i", "i", (int64_t)0);
	T_OK(q != NULL);
	if (q && sqlite3_step(q) == SQLITE_ROW) {
		T_EQ_INT(sqlite3_column_int64(q, 0), 2);
		T_EQ_INT(sqlite3_column_int64(q, 1), 7);
		T_EQ_INT(sqlite3_column_type(q, 2), SQLITE_NULL);
		T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
		T_EQ_INT(sqlite3_column_int64(q, 0), (int64_t)1 << 40);
		T_EQ_INT(sqlite3_column_type(q, 1), SQLITE_NULL);
		T_EQ_STR((const char *)sqlite3_column_text(q, 2), "x'y");
		T_EQ_INT(sqlite3_column_bytes(q, 3), 3);
		T_OK(memcmp(sqlite3_column_blob(q, 3), blob, 3) == 0);
		T_EQ_INT(sqlite3_step(q), SQLITE_DONE);
	} else {
		T_CHECK(0, "no row");
	}
	sqlite3_finalize(q);
	/* a constraint broken: an errno, nothing stored */
	T_EQ_INT(store_exec(f.s, "CREATE UNIQUE INDEX t_i ON t(i)"), 0);
	T_OK(store_exec_bind(f.s, "INSERT INTO t(i) VALUES(?)", "i", (int64_t)2) < 0);
	q = store_query(f.s, "SELECT count(*) FROM t", "");
	T_OK(q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) == 2);
	sqlite3_finalize(q);
	T_OK(store_query(f.s, "SELECT nothing FROM nowhere", "") == NULL);
	fx_close(&f);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(dbpath, sizeof(dbpath), "%s/wsid.db", dir);
	snprintf(walpath, sizeof(walpath), "%s-wal", dbpath);
	T_RUN(test_thread_copies_back);
	T_RUN(test_burst);
	T_RUN(test_trim_killed);
	T_RUN(test_close_idle);
	T_RUN(test_rdonly);
	T_RUN(test_mode_umask022);
	T_RUN(test_mode_umask000);
	T_RUN(test_mode_tightened);
	T_RUN(test_not_a_database);
	T_RUN(test_bind);
	rm_db("umask022");
	rm_db("umask000");
	unlink(walpath);
	snprintf(walpath, sizeof(walpath), "%s-shm", dbpath);
	unlink(walpath);
	unlink(dbpath);
	rmdir(dir);
	T_DONE();
}
