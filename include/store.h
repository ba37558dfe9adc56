/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SQLite database that holds the fingerprint index and the daemon's state.
 * One file, WAL mode; the schema is versioned with PRAGMA user_version and
 * upgraded by the migrations in store.c when opened writable. */
#ifndef WSID_STORE_H
#define WSID_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

enum {
	STORE_RDONLY = 1 << 0, /* open read-only; never creates or migrates */
	STORE_CREATE = 1 << 1, /* create the file (and its directory) if missing */
};

struct store;

/* Opens the database; on failure fills err with a message naming the file. */
int store_open(const char *path, int flags, struct store **ret, char *err, size_t errsz);
void store_close(struct store *s);
/* Moves WAL checkpoints off the committing thread: a thread with a connection
 * of its own copies the WAL back once it holds `frames` pages (0: 1000); past
 * 64 times that, the committing thread does (the WAL must start over some
 * time); after 2 s without a commit a WAL file larger than 16 times that is
 * cut back to nothing. Stopped by store_close. On failure checkpoints stay SQLite's in-line ones. */
int store_checkpoint_thread(struct store *s, int frames);
/* PRAGMA quick_check of the database on a thread with a connection of its
 * own (on the calling thread when no thread can be started), begun at once:
 * the start's reading and walking goes on meanwhile, while a commit of s
 * waits for its end. end joins it (when not over yet); a check that failed
 * calls damaged with its first answer or SQLite's error, which must not
 * return (the process ends before anything is committed). */
void store_check_begin(struct store *s, void (*damaged)(const char *msg));
void store_check_end(struct store *s);
sqlite3 *store_db(const struct store *s);
/* (re)registers the fallback of the files' digest function on s: a write of
 * a file row without state.c's makes its webspace's digest unknown */
void store_files_digest_unknown(struct store *s);
const char *store_path(const struct store *s);
int store_schema_version(const struct store *s);

/* Executes SQL with no result rows; logs and returns -EIO on failure. */
int store_exec(struct store *s, const char *sql);
int store_begin(struct store *s);    /* BEGIN IMMEDIATE */
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* maps an SQLite result code to a negative errno */
int store_errno(int rc);

/* key/value table "meta" */
int store_meta_set(struct store *s, const char *key, const char *value);
/* returns a malloc'ed copy (caller frees) or NULL when absent */
char *store_meta_get(struct store *s, const char *key);

/* prepares a statement, logging the SQL error; NULL on failure */
sqlite3_stmt *store_prepare(struct store *s, const char *sql);

/* A statement with its parameters bound in one call. types has one letter
 * per parameter, in order (?1, ?2, ...):
 *   'i' int64_t (pass an int64_t: the arguments are variadic)
 *   'n' int64_t, bound as NULL when 0
 *   't' const char *, text (NULL binds NULL)
 *   'b' const void *, size_t: a blob
 * store_query returns the statement to step (the caller finalizes it; text
 * and blobs are copied), NULL when it cannot be prepared (logged).
 * store_exec_bind runs a statement that returns no rows to its end and
 * finalizes it: 0, or a negative errno (not logged: the caller says what
 * failed). */
sqlite3_stmt *store_query(struct store *s, const char *sql, const char *types, ...);
int store_exec_bind(struct store *s, const char *sql, const char *types, ...);
/* the same binding on a statement of another connection (copied): SQLITE_OK
 * or SQLite's error code */
int store_bind(sqlite3_stmt *q, const char *types, ...);

#endif
