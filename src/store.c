// SPDX-License-Identifier: GPL-2.0-or-later
/* SQLite: open, pragmas, migrations.
 *
 * DESIGN: the index (products, versions, paths, hashes, entries) is stored
 * normalised so that a (path, hash) pair is one row whatever the number of
 * versions that ship it: entries.slots is a run-length set of version slots
 * (slotset.h). Lookups a scan needs are then one index probe each:
 *   hash -> entries(hash_id, ...) -> paths (product, relpath) + slots;
 *   (product, relpath) -> paths -> entries_path index -> hashes + slots.
 * Paths are BLOBs: file names are bytes, not text. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* WAL checkpoints on a thread and connection of their own (see
 * store_checkpoint_thread) */
struct store_ckpt {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t run_mu; /* held by whoever checkpoints: thread or committer */
	sqlite3 *db;
	int frames;        /* WAL size (frames) that wakes the thread */
	int inline_frames; /* WAL size past which the committer copies back itself */
	off_t trim_bytes;  /* WAL file size cut back when quiet, and the step */
	char *wal_path;
	uint64_t last_commit_ns; /* atomic: set by the hook */
	bool want, stop;
	int last_rc; /* the last failure logged, so that it is logged once */
};

struct store {
	sqlite3 *db;
	char *path;
	int rdonly;
	int version;
	struct store_ckpt *ckpt;
	struct store_check *check; /* the check at start, while it runs */
};

/* Each entry upgrades the schema by one version. Never edit a released entry:
 * append a new one. */
/* the digest of a webspace's files with one row (R: NEW or OLD) added
 * (sign "1") or taken away ("-1"): state.c's wsid_files_digest */
#define DIGEST_ROW(sign, R)                                                                        \
	"files_digest=wsid_files_digest(files_digest, " sign ", " R ".relpath, " R ".ino, " R        \
	".size, " R ".mtime_ns, " R ".ctime_ns, " R ".status)"

static const char *const migrations[] = {
	/* 1: fingerprint index */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE products("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL DEFAULT 'core',"
	"  version_file TEXT, version_pattern TEXT, upload_dirs TEXT, nslots INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE versions("
	"  id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES products(id),"
	"  slot INTEGER NOT NULL, version TEXT NOT NULL, rank INTEGER NOT NULL DEFAULT 0,"
	"  tag TEXT, released TEXT, nfiles INTEGER NOT NULL DEFAULT 0,"
	"  source TEXT, source_kind TEXT, source_sha256 BLOB, indexed_at INTEGER,"
	"  UNIQUE(product_id, version), UNIQUE(product_id, slot));"
	"CREATE TABLE paths(id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, relpath BLOB NOT NULL,"
	"  UNIQUE(product_id, relpath));"
	"CREATE TABLE hashes(id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE);"
	"CREATE TABLE entries(hash_id INTEGER NOT NULL, path_id INTEGER NOT NULL, slots BLOB NOT NULL,"
	"  PRIMARY KEY(hash_id, path_id)) WITHOUT ROWID;"
	"CREATE INDEX entries_path ON entries(path_id);",
	/* 2: daemon state. Paths are BLOBs relative to their webspace root. */
	"CREATE TABLE webspaces(id INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE,"
	"  customer TEXT NOT NULL, added_at INTEGER NOT NULL, baseline_at INTEGER,"
	"  reconciled_at INTEGER, active INTEGER NOT NULL DEFAULT 1);"
	"CREATE TABLE installations(id INTEGER PRIMARY KEY, webspace_id INTEGER NOT NULL,"
	"  root BLOB NOT NULL, product TEXT NOT NULL, kind TEXT, version TEXT NOT NULL,"
	"  confidence REAL, matched INTEGER, mixed_with TEXT, claimed_version TEXT,"
	"  identified_at INTEGER NOT NULL, UNIQUE(webspace_id, root, product));"
	"CREATE TABLE files(id INTEGER PRIMARY KEY, webspace_id INTEGER NOT NULL,"
	"  relpath BLOB NOT NULL, ino INTEGER, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER,"
	"  mode INTEGER, uid INTEGER, sha256 BLOB, status TEXT NOT NULL DEFAULT 'ok',"
	"  known TEXT, verdict TEXT, installation_id INTEGER, updated_at INTEGER NOT NULL,"
	"  UNIQUE(webspace_id, relpath));"
	"CREATE INDEX files_sha ON files(sha256);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, time_ns INTEGER,"
	"  webspace_id INTEGER NOT NULL, customer TEXT NOT NULL, path BLOB NOT NULL,"
	"  old_path BLOB, change TEXT NOT NULL, known TEXT, verdict TEXT NOT NULL,"
	"  severity TEXT NOT NULL, reason TEXT, old_sha256 BLOB, new_sha256 BLOB,"
	"  installation_id INTEGER, product TEXT, version TEXT, other_version TEXT,"
	"  pid INTEGER, source TEXT NOT NULL DEFAULT 'live', acked_at INTEGER);"
	"CREATE INDEX events_time ON events(time);"
	"CREATE INDEX events_ws ON events(webspace_id, time);"
	"CREATE TABLE known_bad(sha256 BLOB PRIMARY KEY, note TEXT, added_by TEXT,"
	"  added_at INTEGER NOT NULL, source TEXT) WITHOUT ROWID;",
	/* 3: classification. Held events wait for their installation's quiet
	 * window (update aggregation); members point to their aggregate; the
	 * writer's identity; trusted content; component keys for consensus. */
	"ALTER TABLE events ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE events ADD COLUMN parent_id INTEGER;"
	"ALTER TABLE events ADD COLUMN nfiles INTEGER;"
	"ALTER TABLE events ADD COLUMN detail TEXT;"
	"ALTER TABLE events ADD COLUMN uid INTEGER;"
	"ALTER TABLE events ADD COLUMN user TEXT;"
	"ALTER TABLE events ADD COLUMN comm TEXT;"
	"ALTER TABLE events ADD COLUMN cgroup TEXT;"
	"CREATE INDEX events_held ON events(webspace_id) WHERE held=1;"
	"CREATE INDEX events_parent ON events(parent_id) WHERE parent_id IS NOT NULL;"
	"ALTER TABLE files ADD COLUMN comp_key BLOB;"
	"CREATE INDEX files_comp ON files(comp_key) WHERE comp_key IS NOT NULL;"
	"ALTER TABLE known_bad ADD COLUMN example TEXT;"
	"CREATE TABLE trusted(sha256 BLOB NOT NULL, customer TEXT NOT NULL DEFAULT '',"
	"  note TEXT, added_by TEXT, added_at INTEGER NOT NULL, example TEXT,"
	"  PRIMARY KEY(sha256, customer)) WITHOUT ROWID;",
	/* 4: notifications. A row is written in the transaction of the event
	 * that causes it; uid is the stable id receivers deduplicate by.
	 * state: open (a digest collecting), pending, sending, retrying, sent,
	 * failed (permanent), dead (TTL over). Times in unix ms. */
	"CREATE TABLE outbox(id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL, customer TEXT NOT NULL, route TEXT NOT NULL,"
	"  transport TEXT NOT NULL, destination TEXT NOT NULL, kind TEXT NOT NULL,"
	"  state TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL, last_error TEXT, last_status INTEGER, sent_at INTEGER,"
	"  subject TEXT, body BLOB, nevents INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX outbox_state ON outbox(state, next_at);"
	"CREATE TABLE outbox_events(outbox_id INTEGER NOT NULL, event_id INTEGER NOT NULL,"
	"  PRIMARY KEY(outbox_id, event_id)) WITHOUT ROWID;"
	"CREATE TABLE notified(webspace_id INTEGER NOT NULL, path BLOB NOT NULL, verdict TEXT NOT NULL,"
	"  route TEXT NOT NULL, sha256 BLOB, last_at INTEGER NOT NULL,"
	"  PRIMARY KEY(webspace_id, path, verdict, route)) WITHOUT ROWID;",
	/* 5: events are looked up by time, id, parent and held state, never by
	 * webspace and time: one B-tree less to write per event */
	"DROP INDEX events_ws;",
	/* 6: signed bundles imported (index, known-bad), the downgrade guard's
	 * memory: the last serial imported per key and kind */
	"CREATE TABLE bundle_imports(id INTEGER PRIMARY KEY, key TEXT NOT NULL, kind TEXT NOT NULL,"
	"  serial INTEGER NOT NULL, created_at INTEGER NOT NULL, imported_at INTEGER NOT NULL,"
	"  sha256 BLOB, downgrade INTEGER NOT NULL DEFAULT 0, imported_by TEXT, sets INTEGER,"
	"  known_bad INTEGER);"
	"CREATE INDEX bundle_imports_key ON bundle_imports(key, kind, id);",
	/* 7: files are looked up by hash only when a hash is marked (known-bad,
	 * trusted), rare and done by one scan: an index keyed by hash took a
	 * random page per change, half of what a change cost the daemon */
	"DROP INDEX files_sha;",
	/* 8: what unknown code does (analyse.h), once per content and rule set:
	 * a shell copied into 500 webspaces is analysed once */
	"CREATE TABLE analysis(sha256 BLOB PRIMARY KEY, rules_version TEXT NOT NULL,"
	"  verdict INTEGER NOT NULL, findings TEXT NOT NULL, analysed_at INTEGER NOT NULL)"
	"  WITHOUT ROWID;",
	/* 9: tables the verbs created on first use until now (IF NOT EXISTS:
	 * a database they touched has them already): the fetch's negative
	 * answers, the quarantine; and the releases a publisher lists for a
	 * product (the newest release of a plugin), one row per product */
	"CREATE TABLE IF NOT EXISTS fetch_negative(url TEXT PRIMARY KEY, status INTEGER NOT NULL,"
	"  checked_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS quarantine(id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	"  webspace_id INTEGER, customer TEXT, path BLOB NOT NULL, sha256 BLOB, size INTEGER,"
	"  mode INTEGER, uid INTEGER, gid INTEGER, mtime_ns INTEGER, reason TEXT, by TEXT,"
	"  released_at INTEGER, released_by TEXT);"
	"CREATE TABLE product_releases(product TEXT PRIMARY KEY, latest TEXT, versions TEXT NOT NULL,"
	"  source TEXT NOT NULL, checked_at INTEGER NOT NULL);",
	/* 10: the HTTP request behind a PHP-FPM worker's write (reqattr.h): a
	 * JSON object, or why it could not be tied */
	("ALTER TABLE events ADD COLUMN request TEXT;"
	 "ALTER TABLE events ADD COLUMN request_unknown TEXT;"),
	/* 11: where a product's updater unpacks what it installs (product.yaml
	 * staging_dirs) */
	"ALTER TABLE products ADD COLUMN staging_dirs TEXT;",
	/* 12: per webspace, the digest of what a reconcile compares of its
	 * files (state.c: the sum of a keyed hash per row; NULL: not known),
	 * kept by triggers in the transaction of every write of a file row.
	 * wsid_files_digest is registered by state_open (with the key), by
	 * store_open as a stand-in that makes the digest unknown */
	"ALTER TABLE webspaces ADD COLUMN files_digest INTEGER;"
	"INSERT OR IGNORE INTO meta(key, value) VALUES('files_digest_key', hex(randomblob(16)));"
	"CREATE TRIGGER files_digest_insert AFTER INSERT ON files BEGIN"
	"  UPDATE webspaces SET files_digest=wsid_files_digest(files_digest, 1, NEW.relpath, NEW.ino,"
	"    NEW.size, NEW.mtime_ns, NEW.ctime_ns, NEW.status) WHERE id=NEW.webspace_id;"
	"END;"
	"CREATE TRIGGER files_digest_delete AFTER DELETE ON files BEGIN"
	"  UPDATE webspaces SET files_digest=wsid_files_digest(files_digest, -1, OLD.relpath, OLD.ino,"
	"    OLD.size, OLD.mtime_ns, OLD.ctime_ns, OLD.status) WHERE id=OLD.webspace_id;"
	"END;"
	/* a row rewritten (an upsert, a rename): one update of its webspace */
	"CREATE TRIGGER files_digest_update AFTER UPDATE OF relpath, ino, size, mtime_ns, ctime_ns,"
	"  status ON files WHEN OLD.webspace_id IS NEW.webspace_id AND (OLD.relpath IS NOT NEW.relpath"
	"  OR OLD.ino IS NOT NEW.ino OR OLD.size IS NOT NEW.size OR OLD.mtime_ns IS NOT NEW.mtime_ns"
	"  OR OLD.ctime_ns IS NOT NEW.ctime_ns OR OLD.status IS NOT NEW.status) BEGIN"
	"  UPDATE webspaces SET files_digest=wsid_files_digest(files_digest, -1, OLD.relpath, OLD.ino,"
	"    OLD.size, OLD.mtime_ns, OLD.ctime_ns, OLD.status, 1, NEW.relpath, NEW.ino, NEW.size,"
	"    NEW.mtime_ns, NEW.ctime_ns, NEW.status) WHERE id=NEW.webspace_id;"
	"END;"
	/* a row given to another webspace (nothing does so today) */
	"CREATE TRIGGER files_digest_move AFTER UPDATE OF webspace_id ON files"
	"  WHEN OLD.webspace_id IS NOT NEW.webspace_id BEGIN"
	"  UPDATE webspaces SET files_digest=wsid_files_digest(files_digest, -1, OLD.relpath, OLD.ino,"
	"    OLD.size, OLD.mtime_ns, OLD.ctime_ns, OLD.status) WHERE id=OLD.webspace_id;"
	"  UPDATE webspaces SET files_digest=wsid_files_digest(files_digest, 1, NEW.relpath, NEW.ino,"
	"    NEW.size, NEW.mtime_ns, NEW.ctime_ns, NEW.status) WHERE id=NEW.webspace_id;"
	"END;",
	/* 13: per webspace, how many file rows it has (the daemon's status
	 * figure, read from these instead of a count of the files table: seconds
	 * at ten million rows), counted once here, then kept by the triggers of
	 * migration 12, made again to do it in the update they already make */
	"ALTER TABLE webspaces ADD COLUMN nfiles INTEGER NOT NULL DEFAULT 0;"
	"UPDATE webspaces SET nfiles=(SELECT count(*) FROM files WHERE webspace_id=webspaces.id);"
	"DROP TRIGGER IF EXISTS files_digest_insert;"
	"DROP TRIGGER IF EXISTS files_digest_delete;"
	"DROP TRIGGER IF EXISTS files_digest_move;"
	"CREATE TRIGGER files_digest_insert AFTER INSERT ON files BEGIN"
	"  UPDATE webspaces SET nfiles=nfiles+1, " DIGEST_ROW("1", "NEW") " WHERE id=NEW.webspace_id;"
	"END;"
	"CREATE TRIGGER files_digest_delete AFTER DELETE ON files BEGIN"
	"  UPDATE webspaces SET nfiles=nfiles-1, " DIGEST_ROW("-1", "OLD") " WHERE id=OLD.webspace_id;"
	"END;"
	"CREATE TRIGGER files_digest_move AFTER UPDATE OF webspace_id ON files"
	"  WHEN OLD.webspace_id IS NOT NEW.webspace_id BEGIN"
	"  UPDATE webspaces SET nfiles=nfiles-1, " DIGEST_ROW("-1", "OLD") " WHERE id=OLD.webspace_id;"
	"  UPDATE webspaces SET nfiles=nfiles+1, " DIGEST_ROW("1", "NEW") " WHERE id=NEW.webspace_id;"
	"END;",
};

int
store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -EIO;
	}
}

int
store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_warnx("store: %s: %s", s->path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return store_errno(rc) ? store_errno(rc) : -EIO;
	}
	return 0;
}

int
store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *s)
{
	return store_exec(s, "COMMIT");
}

int
store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return store_exec(s, "ROLLBACK");
}

sqlite3_stmt *
store_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);

	if (rc != SQLITE_OK) {
		log_warnx("store: %s: cannot prepare: %s", s->path, sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

static int
mkdir_parent(const char *path)
{
	char *dup = xstrdup(path);
	char *dir = dirname(dup);
	struct stat st;
	int r = 0;

	if (stat(dir, &st) < 0) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			r = -errno;
	}
	free(dup);
	return r;
}

/* Creates the database file 0600 whatever the umask: SQLite would create it
 * 0644 less the umask, and gives its -wal and -shm files the mode of the
 * database file. */
static int
create_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (fchmod(fd, 0600) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* A database file (or its -wal, -shm) that group or others may read, made by
 * an older wsid or under a loose umask, is made private (0600 at most) and
 * the change logged, as Tor does for its data directory: the file holds every
 * customer's file list, hashes and findings. suffix: "", "-wal", "-shm". */
static void
tighten_mode_fd(int fd, const char *p)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		mode_t m = st.st_mode & 0700;

		if (fchmod(fd, m) < 0)
			log_warn("store: %s is mode %04o, readable by others: cannot chmod it",
				 esc_name(p), (unsigned)(st.st_mode & 07777));
		else
			log_warnx("store: %s was mode %04o, readable by others: now %04o",
				  esc_name(p), (unsigned)(st.st_mode & 07777), (unsigned)m);
	}
}

static void
tighten_mode(const char *path, const char *suffix)
{
	char *p = xasprintf("%s%s", path, suffix);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0) {
		tighten_mode_fd(fd, p);
		close(fd);
	}
	free(p);
}

/* An existing file given as the database is read before anything is done to
 * it: a path to some other file (a configuration, a tenant's file) must not
 * be chmod-ed, nor written by SQLite. It must start with SQLite's header, or
 * be empty and private already (a database not written yet; an empty file
 * others may read is nobody's database to take). On success (0) the file's
 * mode is made private when it was not (writable opens). Otherwise a negative
 * errno and why in err; nothing changed. */
static int
check_existing(const char *path, bool rdonly, char *err, size_t errsz)
{
	static const char magic[16] = "SQLite format 3";
	char head[sizeof(magic)];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	bool link = false;
	struct stat st;
	ssize_t n;
	int r = 0;

	/* a symbolic link (SQLite follows it) is read, its target's mode left */
	if (fd < 0 && errno == ELOOP) {
		link = true;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errsz, "%s: not a regular file", path);
	} else if ((n = pread(fd, head, sizeof(head), 0)) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: cannot read it: %s", path, strerror(errno));
	} else if (n == 0 && (st.st_mode & 077)) {
		r = -EINVAL;
		snprintf(err, errsz, "%s: not a usable wsid database: an empty file of mode %04o, "
			 "readable by others, left as it is (remove it, or make it mode 0600)", path,
			 (unsigned)(st.st_mode & 07777));
	} else if (n > 0 && (n < (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0)) {
		r = -EINVAL;
		snprintf(err, errsz, "%s: not a usable wsid database: not an SQLite database file "
			 "(its first bytes are not the SQLite header), left as it is", path);
	} else if (!rdonly && !link) {
		tighten_mode_fd(fd, path);
	}
	close(fd);
	return r;
}

static int
store_migrate(struct store *s, char *err, size_t errsz)
{
	int target = (int)ARRAY_SIZE(migrations);
	int v;
	char sql[64];

	for (v = s->version; v < target; v++) {
		if (store_begin(s) < 0 || store_exec(s, migrations[v]) < 0) {
			store_rollback(s);
			snprintf(err, errsz, "%s: schema migration to version %d failed", s->path, v + 1);
			return -EIO;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
		if (store_exec(s, sql) < 0 || store_commit(s) < 0) {
			store_rollback(s);
			snprintf(err, errsz, "%s: schema migration to version %d failed", s->path, v + 1);
			return -EIO;
		}
	}
	s->version = target;
	return 0;
}

/* The files' digest triggers (migration 12) call wsid_files_digest, which
 * state_open registers with the key and the unsettled rule. Without them a
 * connection (wsidctl, the retention thread, a test) writes its file rows
 * all the same and makes the webspace's digest unknown (NULL): its next
 * reconcile merges in full and sets it again. */
static void
files_digest_unknown(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_null(cx);
}

void
store_files_digest_unknown(struct store *s)
{
	sqlite3_create_function(s->db, "wsid_files_digest", -1, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
				files_digest_unknown, NULL, NULL);
}

/* SQLite's memory statistics take a global mutex around every allocation
 * (a few per statement step) and nothing reads them: off, before the first
 * connection initialises the library. */
static pthread_once_t sqlite_config_once = PTHREAD_ONCE_INIT;

static void
sqlite_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(const char *path, int flags, struct store **ret, char *err, size_t errsz)
{
	struct store *s = xcalloc(1, sizeof(*s));
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int oflags, rc, r;

	pthread_once(&sqlite_config_once, sqlite_config);

	s->path = xstrdup(path);
	s->rdonly = !!(flags & STORE_RDONLY);
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT || s->rdonly || !(flags & STORE_CREATE)) {
			r = -errno;
			snprintf(err, errsz, "%s: %s%s", path, strerror(errno),
				 errno == ENOENT ? " (build the index first: wsidctl index build)" : "");
			goto fail;
		}
		if ((r = mkdir_parent(path)) < 0) {
			snprintf(err, errsz, "%s: cannot create its directory: %s", path, strerror(-r));
			goto fail;
		}
		if ((r = create_private(path)) < 0) {
			snprintf(err, errsz, "%s: cannot create it: %s", path, strerror(-r));
			goto fail;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		r = -EINVAL;
		snprintf(err, errsz, "%s: not a regular file", path);
		goto fail;
	} else if (!s->rdonly && (r = check_existing(path, s->rdonly, err, errsz)) < 0) {
		/* writable opens only: a read-only one changes nothing, and comes
		 * beside the process's other connections (the daemon's index
		 * lookups, the census), whose POSIX locks on the file the close of
		 * any descriptor of it would drop (fcntl(2)): another process would
		 * then take itself for the last connection and delete the WAL */
		goto fail;
	} else if (!s->rdonly) {
		/* SQLite's own files beside a database checked above */
		tighten_mode(path, "-wal");
		tighten_mode(path, "-shm");
	}
	oflags = SQLITE_OPEN_NOMUTEX | (s->rdonly ? SQLITE_OPEN_READONLY
						  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = store_errno(rc);
		snprintf(err, errsz, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	store_files_digest_unknown(s);
	/* a non-database file fails here, with SQLITE_NOTADB */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = store_errno(rc) ? store_errno(rc) : -EIO;
		snprintf(err, errsz, "%s: not a usable wsid database: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	s->version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (s->version > (int)ARRAY_SIZE(migrations)) {
		r = -EPROTO;
		snprintf(err, errsz, "%s: schema version %d is newer than this wsid (%d)", path,
			 s->version, (int)ARRAY_SIZE(migrations));
		goto fail;
	}
	if (!s->rdonly) {
		if ((r = store_exec(s, "PRAGMA journal_mode=WAL")) < 0 ||
		    (r = store_exec(s, "PRAGMA synchronous=NORMAL")) < 0 ||
		    (r = store_exec(s, "PRAGMA foreign_keys=ON")) < 0) {
			snprintf(err, errsz, "%s: cannot set pragmas: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
		if ((r = store_migrate(s, err, errsz)) < 0)
			goto fail;
	} else if (s->version < (int)ARRAY_SIZE(migrations)) {
		r = -EPROTO;
		snprintf(err, errsz, "%s: schema version %d is older than this wsid (%d); open it "
			 "writable once (wsidctl index build) to upgrade", path, s->version,
			 (int)ARRAY_SIZE(migrations));
		goto fail;
	}
	store_exec(s, "PRAGMA cache_size=-16384");
	*ret = s;
	return 0;
fail:
	sqlite3_finalize(st);
	store_close(s);
	return r < 0 ? r : -EIO;
}

/* ---- the integrity check at start ---- */

struct store_check {
	pthread_t thread;
	char *path;
	bool threaded; /* else run on the caller's thread already */
	bool failed;
	char msg[256];
	void (*damaged)(const char *msg);
};

static void *
check_main(void *arg)
{
	struct store_check *c = arg;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc;

	/* a connection of its own: SQLite's default page cache (the check
	 * reads every page once; filling a larger cache cost it twice its own
	 * CPU, doc/performance.md), nothing written */
	rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		rc = sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		c->failed = true;
		snprintf(c->msg, sizeof(c->msg), "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	} else if (strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0) {
		c->failed = true;
		snprintf(c->msg, sizeof(c->msg), "%s", (const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return NULL;
}

/* joins the check; with `hook`, from the commit hook: a callback of the
 * connection does not change the connection's hooks (it stays, a no-op) */
static void
check_end(struct store *s, bool hook)
{
	struct store_check *c = s->check;

	if (c == NULL)
		return;
	if (c->threaded) {
		pthread_join(c->thread, NULL);
		if (!hook)
			sqlite3_commit_hook(s->db, NULL, NULL);
	}
	s->check = NULL;
	if (c->failed && c->damaged)
		c->damaged(c->msg); /* does not return */
	free(c->path);
	free(c);
}

/* Nothing is committed before the check has passed: a commit of the daemon's
 * connection waits for it (and does not happen when it failed) */
static int
check_commit_hook(void *arg)
{
	check_end(arg, true);
	return 0;
}

void
store_check_begin(struct store *s, void (*damaged)(const char *msg))
{
	struct store_check *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(s->path);
	c->damaged = damaged;
	s->check = c;
	c->threaded = pthread_create(&c->thread, NULL, check_main, c) == 0;
	if (!c->threaded) {
		check_main(c); /* no thread: here, before the rest */
		check_end(s, false);
		return;
	}
	sqlite3_commit_hook(s->db, check_commit_hook, s);
}

void
store_check_end(struct store *s)
{
	check_end(s, false);
}

/* a failure of the thread's own work, logged once until it changes */
static void
ckpt_failed(struct store *s, int rc, const char *what)
{
	struct store_ckpt *c = s->ckpt;

	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != c->last_rc)
		log_warnx("store: %s: %s failed: %s", s->path, what, sqlite3_errmsg(c->db));
	if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		c->last_rc = rc;
}

/* The committing connection only appends to the WAL; copying the WAL back
 * into the database file and the two fsyncs that brackets (tens of ms per
 * thousand pages, more when the disk is busy) happen on this thread, on its
 * own connection, while the committing thread goes on appending. PASSIVE: it
 * never waits for readers or the writer; frames appended meanwhile are copied
 * by the next round, which the next commit asks for. */
static int
ckpt_round(struct store *s, int mode, int *nlog, int *nckpt)
{
	struct store_ckpt *c = s->ckpt;
	int rc;
	uint64_t t0 = now_mono_ns();

	*nlog = *nckpt = 0;
	pthread_mutex_lock(&c->run_mu);
	rc = sqlite3_wal_checkpoint_v2(c->db, NULL, mode, nlog, nckpt);
	pthread_mutex_unlock(&c->run_mu);
	if (now_mono_ns() - t0 > 100000000ull)
		log_debug("store: WAL checkpoint of %d pages took %llu ms", *nckpt,
			  (unsigned long long)((now_mono_ns() - t0) / 1000000ull));
	ckpt_failed(s, rc, "WAL checkpoint");
	return rc;
}

/* quiet this long, a WAL file grown past trim_bytes is cut back */
#define CKPT_IDLE_MS 2000
/* what a cut-back WAL file holds: its header and a few frames of 4 KiB pages */
#define CKPT_TRIM_FLOOR (32 + 4 * (4096 + 24))

static bool
ckpt_stopping(struct store_ckpt *c)
{
	bool stop;

	pthread_mutex_lock(&c->mu);
	stop = c->stop;
	pthread_mutex_unlock(&c->mu);
	return stop;
}

/* A WAL file a burst made large is cut back while the committer is quiet, in
 * steps of trim_bytes (16 MiB for the daemon), so that a commit arriving
 * meanwhile waits for one short ftruncate, never for the whole file: the
 * blocks of a written-back file are freed at about 0.8 ms per MiB here (a
 * TRUNCATE checkpoint of 250 MiB held the write lock for 200-300 ms).
 * SQLite cuts the file itself: a transaction that starts the WAL over
 * truncates it to journal_size_limit at its commit, and only frames of the
 * old WAL go (cutting frames it still counts would let a recovery replay a
 * prefix of them over newer pages). A step is: copy back what is left
 * (PASSIVE), then a one-row write on this connection with the limit one step
 * below the file's size. A commit of the committer since `quiet` ends the
 * cut (it is left for the next quiet time). Returns true when done. */
static bool
ckpt_trim(struct store *s, uint64_t quiet, off_t size)
{
	struct store_ckpt *c = s->ckpt;
	char sql[96];
	struct stat st;
	int rc, nlog, nckpt;

	for (;;) {
		if (ckpt_stopping(c) ||
		    __atomic_load_n(&c->last_commit_ns, __ATOMIC_RELAXED) != quiet)
			return false;
		rc = ckpt_round(s, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		if (rc != SQLITE_OK || nckpt != nlog)
			return false;
		snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit=%lld",
			 (long long)(size > c->trim_bytes ? size - c->trim_bytes : 0));
		rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_exec(c->db,
					  "INSERT INTO meta(key, value) VALUES('wal_trim_steps', '1') "
					  "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
					  NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
		}
		ckpt_failed(s, rc, "cutting back the WAL file");
		/* a failed write or commit (disk full) leaves no transaction open */
		if (!sqlite3_get_autocommit(c->db))
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		/* a WAL that did not start over (a reader still on it) keeps its size */
		if (rc != SQLITE_OK || stat(c->wal_path, &st) != 0 || st.st_size >= size)
			return false;
		if (st.st_size <= CKPT_TRIM_FLOOR)
			return true;
		size = st.st_size;
	}
}

static void *
ckpt_main(void *arg)
{
	struct store *s = arg;
	struct store_ckpt *c = s->ckpt;
	uint64_t trimmed_at = 0; /* last_commit_ns when the WAL was last cut back */

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct timespec ts;
		uint64_t last;
		struct stat st;
		int nlog, nckpt;

		if (!c->want && !c->stop) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += CKPT_IDLE_MS / 1000;
			pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		}
		if (c->stop)
			break;
		if (c->want) {
			c->want = false;
			pthread_mutex_unlock(&c->mu);
			ckpt_round(s, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		/* quiet: a WAL file a burst made large is cut back */
		last = __atomic_load_n(&c->last_commit_ns, __ATOMIC_RELAXED);
		if (last == trimmed_at || now_mono_ns() - last < CKPT_IDLE_MS * 1000000ull ||
		    stat(c->wal_path, &st) != 0 || st.st_size <= c->trim_bytes)
			continue;
		pthread_mutex_unlock(&c->mu);
		if (ckpt_trim(s, last, st.st_size)) {
			log_debug("store: WAL file of %lld MiB cut back while quiet",
				  (long long)(st.st_size >> 20));
			trimmed_at = last;
		}
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* After each commit of the store's connection: nframes is the WAL's size.
 * The WAL starts over only when a transaction begins with every frame copied
 * back, which a committer that begins its next transaction right after a
 * commit (a burst, or a steady stream) rarely allows. The WAL then grows, and
 * past inline_frames (64 times the wake-up size: 256 MiB for the daemon) the
 * committing thread copies back the little the thread has left itself,
 * between two of its transactions, and the WAL starts over: a pause of tens of
 * ms (an fsync) every 64,000 pages, about 100 s at 1,000 changes/s. The file
 * itself is cut back by the thread once the committer has been quiet
 * (ckpt_main), not by the committer (an ftruncate of 250 MiB took it 47 ms). */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct store *s = arg;
	struct store_ckpt *c = s->ckpt;

	__atomic_store_n(&c->last_commit_ns, now_mono_ns(), __ATOMIC_RELAXED);
	if (nframes >= c->inline_frames) {
		uint64_t t0 = now_mono_ns(), t1;

		/* after the thread's round, if one is running */
		pthread_mutex_lock(&c->run_mu);
		t1 = now_mono_ns();
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_unlock(&c->run_mu);
		log_debug("store: WAL at %d pages copied back in-line in %llu ms (%llu ms waiting "
			  "for the thread's round)", nframes,
			  (unsigned long long)((now_mono_ns() - t0) / 1000000ull),
			  (unsigned long long)((t1 - t0) / 1000000ull));
		return SQLITE_OK;
	}
	if (nframes >= c->frames) {
		pthread_mutex_lock(&c->mu);
		if (!c->want) {
			c->want = true;
			pthread_cond_signal(&c->cv);
		}
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void
ckpt_free(struct store_ckpt *c)
{
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->run_mu);
	pthread_cond_destroy(&c->cv);
	sqlite3_close(c->db);
	free(c->wal_path);
	free(c);
}

int
store_checkpoint_thread(struct store *s, int frames)
{
	struct store_ckpt *c;
	pthread_condattr_t ca;
	int rc;

	if (s->rdonly || s->ckpt)
		return 0;
	c = xcalloc(1, sizeof(*c));
	c->frames = frames > 0 ? frames : 1000;
	c->inline_frames = c->frames * 64;
	c->trim_bytes = (off_t)c->frames * 4 * 4096;
	c->wal_path = xasprintf("%s-wal", s->path);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->run_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	/* a connection learns the file is in WAL mode by reading it: before
	 * that a checkpoint does nothing */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	/* its own one-row writes (ckpt_trim) as durable as the committer's */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_wal_autocheckpoint(c->db, 0);
	if (rc != SQLITE_OK) {
		log_warnx("store: %s: checkpoint connection: %s; checkpoints stay in-line", s->path,
			  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		ckpt_free(c);
		return -EIO;
	}
	s->ckpt = c;
	if (pthread_create(&c->thread, NULL, ckpt_main, s) != 0) {
		log_warnx("store: %s: no checkpoint thread; checkpoints stay in-line", s->path);
		s->ckpt = NULL;
		ckpt_free(c);
		return -EAGAIN;
	}
	/* replaces SQLite's own in-line autocheckpoint */
	sqlite3_wal_hook(s->db, ckpt_hook, s);
	return 0;
}

static void
ckpt_stop(struct store *s)
{
	struct store_ckpt *c = s->ckpt;

	if (c == NULL)
		return;
	sqlite3_wal_autocheckpoint(s->db, 1000); /* the hook off, SQLite's own back */
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	ckpt_free(c);
	s->ckpt = NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->check) {
		/* a check still running: joined, its answer no longer asked for */
		s->check->damaged = NULL;
		check_end(s, false);
	}
	ckpt_stop(s);
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

sqlite3 *
store_db(const struct store *s)
{
	return s->db;
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

int
store_schema_version(const struct store *s)
{
	return s->version;
}

int
store_meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO meta(key, value) VALUES(?, ?) "
					    "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
	int rc;

	if (st == NULL)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

char *
store_meta_get(struct store *s, const char *key)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT value FROM meta WHERE key=?");
	char *v = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* binds ap to q as types says (store.h); destructor: SQLITE_STATIC when q
 * is finalized before the arguments go, else SQLITE_TRANSIENT */
static int
store_bindv(sqlite3_stmt *q, const char *types, va_list ap, sqlite3_destructor_type destructor)
{
	int i, rc = SQLITE_OK;

	/* a wrong count is a mistake of the caller's, not of the database */
	if ((size_t)sqlite3_bind_parameter_count(q) != strlen(types))
		fatalx("store: %d parameters, %zu types in '%s'", sqlite3_bind_parameter_count(q), strlen(types),
		       sqlite3_sql(q));
	for (i = 0; types[i] && rc == SQLITE_OK; i++) {
		int64_t v;
		const char *t;
		const void *b;
		size_t n;

		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
			break;
		case 'n':
			v = va_arg(ap, int64_t);
			rc = v ? sqlite3_bind_int64(q, i + 1, v) : sqlite3_bind_null(q, i + 1);
			break;
		case 't':
			t = va_arg(ap, const char *);
			rc = sqlite3_bind_text(q, i + 1, t, -1, destructor);
			break;
		case 'b':
			b = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(q, i + 1, b, n, destructor);
			break;
		default:
			fatalx("store: parameter type '%c' unknown", types[i]);
		}
	}
	return rc;
}

sqlite3_stmt *
store_query(struct store *s, const char *sql, const char *types, ...)
{
	sqlite3_stmt *q = store_prepare(s, sql);
	va_list ap;
	int rc;

	if (q == NULL)
		return NULL;
	va_start(ap, types);
	rc = store_bindv(q, types, ap, SQLITE_TRANSIENT);
	va_end(ap);
	if (rc != SQLITE_OK) {
		log_warnx("store: %s: cannot bind: %s", s->path, sqlite3_errstr(rc));
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

int
store_exec_bind(struct store *s, const char *sql, const char *types, ...)
{
	sqlite3_stmt *q = store_prepare(s, sql);
	va_list ap;
	int rc;

	if (q == NULL)
		return -EIO;
	va_start(ap, types);
	rc = store_bindv(q, types, ap, SQLITE_STATIC);
	va_end(ap);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			;
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE || rc == SQLITE_OK)
		return 0;
	return store_errno(rc) ? store_errno(rc) : -EIO;
}

int
store_bind(sqlite3_stmt *q, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = store_bindv(q, types, ap, SQLITE_TRANSIENT);
	va_end(ap);
	return rc;
}
