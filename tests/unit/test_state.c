// SPDX-License-Identifier: GPL-2.0-or-later
/* state over a real SQLite database in a temporary directory: webspaces,
 * file rows (put, get, move, delete), directory moves and walks that keep to
 * the directory ("a/" is not "ab/"), events with held ones released, and the
 * consensus over copies of a component file in other webspaces, marks and
 * the files they (or new analysis rules) judge again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "state.h"
#include "t.h"

struct walk {
	char paths[16][64];
	int n;
};

static int
collect(void *ud, const struct file_row *f)
{
	struct walk *w = ud;

	if (w->n < 16)
		snprintf(w->paths[w->n++], sizeof(w->paths[0]), "%.*s", (int)f->rlen, f->relpath);
	return 0;
}

static int
walk_under(struct state *st, int64_t ws, const char *d, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	return state_files_under(st, ws, d, strlen(d), collect, w);
}

static void
test_state(void)
{
	struct fx fx;
	struct state *st;
	struct file_row f, got;
	struct walk w;
	int64_t ws, ws2, again, e1, e2;
	bool base;
	static const char *const files[] = { "a/x.php", "a/b/y.php", "ab/z.php", "a.php", "b/w.php" };
	size_t i;

	T_EQ_INT(fx_open(&fx, "state"), 0);
	if ((st = fx.st) == NULL)
		goto out;

	/* webspaces: one id per path; baselined once set */
	T_EQ_INT(state_webspace_upsert(st, "/srv/a", "alice", &ws, &base), 0);
	T_OK(!base);
	T_EQ_INT(state_webspace_set_baseline(st, ws), 0);
	T_EQ_INT(state_webspace_upsert(st, "/srv/a", "alice", &again, &base), 0);
	T_EQ_INT(again, ws);
	T_OK(base);
	T_EQ_INT(state_webspace_upsert(st, "/srv/b", "bob", &ws2, &base), 0);
	T_OK(ws2 != ws && !base);

	/* file rows, in one transaction */
	T_EQ_INT(state_begin(st), 0);
	T_OK(state_in_tx(st));
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fx_row(ws, files[i], (uint8_t)(i + 1));
		T_EQ_INT(state_file_put(st, &f), 0);
	}
	T_EQ_INT(state_commit(st), 0);
	T_OK(!state_in_tx(st));
	T_EQ_INT(state_files_count(st), 5);
	T_EQ_INT(state_file_get(st, ws, "a/b/y.php", 9, &got), 0);
	T_EQ_INT(got.ino, 1002);
	T_EQ_INT(got.size, 20);
	T_EQ_INT(got.mode, 0100644);
	T_OK(got.has_sha && got.sha256[0] == 2 && got.sha256[31] == 2);
	T_EQ_STR(got.status, "ok");
	T_EQ_INT(state_file_get(st, ws2, "a/b/y.php", 9, &got), -ENOENT); /* other webspace */

	/* a walk of "a" holds a/ only, in path order; "" is the whole webspace */
	T_EQ_INT(walk_under(st, ws, "a", &w), 0);
	T_EQ_INT(w.n, 2);
	T_EQ_STR(w.paths[0], "a/b/y.php");
	T_EQ_STR(w.paths[1], "a/x.php");
	T_EQ_INT(walk_under(st, ws, "", &w), 0);
	T_EQ_INT(w.n, 5);
	T_OK(state_any_under(st, ws, "ab", 2));
	T_OK(!state_any_under(st, ws, "c", 1));
	T_OK(!state_any_under(st, ws2, "a", 1));

	/* moving a file over another replaces it */
	T_EQ_INT(state_file_move(st, ws, "a.php", 5, "b/w.php", 7), 0);
	T_EQ_INT(state_file_get(st, ws, "a.php", 5, &got), -ENOENT);
	T_EQ_INT(state_file_get(st, ws, "b/w.php", 7, &got), 0);
	T_EQ_INT(got.ino, 1004); /* a.php's */
	T_EQ_INT(state_files_count(st), 4);

	/* moving directory a to c leaves ab alone */
	T_EQ_INT(state_dir_move(st, ws, "a", 1, "c", 1, false), 0);
	T_EQ_INT(walk_under(st, ws, "c", &w), 0);
	T_EQ_INT(w.n, 2);
	T_EQ_STR(w.paths[0], "c/b/y.php");
	T_EQ_STR(w.paths[1], "c/x.php");
	T_OK(!state_any_under(st, ws, "a", 1));
	T_EQ_INT(state_file_get(st, ws, "ab/z.php", 8, &got), 0);

	T_EQ_INT(state_file_delete(st, ws, "c/x.php", 7), 0);
	T_EQ_INT(state_file_get(st, ws, "c/x.php", 7, &got), -ENOENT);
	T_EQ_INT(state_files_count(st), 3);

	/* events: ids grow; a held one is listed until released */
	{
		struct event_row e;
		struct held_event *h = NULL;
		size_t nh = 0;
		uint8_t sha[SHA256_LEN];

		memset(sha, 7, sizeof(sha));
		e = fx_event(ws, "ab/z.php", VERDICT_SUSPICIOUS, SEV_WARNING);
		e.new_sha256 = sha;
		T_EQ_INT(state_event_add(st, &e, &e1), 0);
		e.held = true;
		T_EQ_INT(state_event_add(st, &e, &e2), 0);
		T_OK(e1 > 0 && e2 > e1);
		T_OK(state_has_held(st, ws));
		T_OK(!state_has_held(st, ws2));
		T_EQ_INT(state_held_events(st, ws, &h, &nh), 0);
		T_EQ_INT(nh, 1);
		if (nh == 1) {
			T_EQ_INT(h[0].id, e2);
			T_OK(h[0].plen == 8 && memcmp(h[0].path, "ab/z.php", 8) == 0);
			T_EQ_INT(h[0].change, CHANGE_MODIFIED);
		}
		state_held_free(h, nh);
		T_EQ_INT(state_event_release(st, e2, 0, -1, -1, NULL), 0);
		T_OK(!state_has_held(st, ws));
	}
out:
	fx_close(&fx);
}

static void
test_consensus(void)
{
	struct fx fx;
	struct state *st;
	struct consensus c;
	int64_t ws[4];
	uint8_t good[SHA256_LEN];
	static const char key[] = "plugin:akismet:5.3:akismet.php";
	int i;

	T_EQ_INT(fx_open(&fx, "consensus"), 0);
	if ((st = fx.st) == NULL) {
		fx_close(&fx);
		return;
	}
	/* four webspaces hold the file: three the same content, one another */
	for (i = 0; i < 4; i++) {
		char p[32];
		struct file_row f;
		bool base;

		snprintf(p, sizeof(p), "/srv/%d", i);
		T_EQ_INT(state_webspace_upsert(st, p, "c", &ws[i], &base), 0);
		f = fx_row(ws[i], "wp-content/plugins/akismet/akismet.php", i == 3 ? 9 : 5);
		f.comp_key = key;
		f.cklen = strlen(key);
		T_EQ_INT(state_file_put(st, &f), 0);
	}
	memset(good, 5, sizeof(good));
	/* asked from webspace 3 (the odd one): the others agree on another content */
	T_EQ_INT(state_consensus(st, key, strlen(key), ws[3], (uint8_t[SHA256_LEN]){ 9 }, &c), 0);
	T_EQ_INT(c.copies, 3);
	T_EQ_INT(c.top, 3);
	T_OK(memcmp(c.top_sha256, good, SHA256_LEN) == 0);
	/* asked from webspace 0 with the common content */
	T_EQ_INT(state_consensus(st, key, strlen(key), ws[0], good, &c), 0);
	T_EQ_INT(c.copies, 3);
	T_EQ_INT(c.same, 2);
	T_EQ_INT(c.top, 2);
	T_EQ_INT(state_consensus(st, "other", 5, ws[0], good, &c), 0);
	T_EQ_INT(c.copies, 0);
	fx_close(&fx);
}

static int
collect_path(void *ud, int64_t ws, const char *path, size_t len)
{
	struct walk *w = ud;

	(void)ws;
	if (w->n < 16)
		snprintf(w->paths[w->n++], sizeof(w->paths[0]), "%.*s", (int)len, path);
	return 0;
}

/* marks as wsidctl mark writes them, and the files a mark may judge
 * otherwise: with its content, or every file a mark contradicts (a trusted
 * mark for another customer does not count); files analysed under older
 * rules */
static void
test_marks(void)
{
	struct fx fx;
	struct store *s;
	struct state *st;
	struct walk w;
	struct file_row f;
	struct analyse_result ar;
	int64_t a, b;
	bool base;
	uint8_t bad[SHA256_LEN], ok[SHA256_LEN];

	T_EQ_INT(fx_open(&fx, "marks"), 0);
	if ((st = fx.st) == NULL) {
		fx_close(&fx);
		return;
	}
	s = fx.s;
	T_EQ_INT(state_webspace_upsert(st, "/srv/a", "alice", &a, &base), 0);
	T_EQ_INT(state_webspace_upsert(st, "/srv/b", "bob", &b, &base), 0);
	f = fx_row(a, "x.php", 7);
	T_EQ_INT(state_file_put(st, &f), 0);
	f = fx_row(b, "y.php", 7);
	snprintf(f.verdict, sizeof(f.verdict), "malicious");
	T_EQ_INT(state_file_put(st, &f), 0);
	f = fx_row(b, "z.php", 8);
	snprintf(f.verdict, sizeof(f.verdict), "suspicious");
	T_EQ_INT(state_file_put(st, &f), 0);
	memset(bad, 7, sizeof(bad));
	memset(ok, 8, sizeof(ok));
	T_OK(!state_marks_any(st));
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_marked(st, NULL, collect_path, &w), 0);
	T_EQ_INT(w.n, 0);
	/* content 7 malicious: x.php is contradicted, y.php already says so */
	T_EQ_INT(state_mark_set(s, "malicious", bad, NULL, "shell", "root", "x.php"), 0);
	T_OK(state_marks_any(st));
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_marked(st, NULL, collect_path, &w), 0);
	T_EQ_INT(w.n, 1);
	T_EQ_STR(w.paths[0], "x.php");
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_marked(st, bad, collect_path, &w), 0);
	T_EQ_INT(w.n, 2);
	/* content 8 trusted for alice: bob's suspicious z.php is not hers */
	T_EQ_INT(state_mark_set(s, "trusted", ok, "alice", NULL, "root", NULL), 0);
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_marked(st, NULL, collect_path, &w), 0);
	T_EQ_INT(w.n, 1);
	T_EQ_INT(state_mark_set(s, "trusted", ok, "bob", NULL, "root", NULL), 0);
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_marked(st, NULL, collect_path, &w), 0);
	T_EQ_INT(w.n, 2);
	/* unmarked: nothing contradicts anything */
	T_EQ_INT(state_mark_set(s, "none", bad, NULL, NULL, "root", NULL), 0);
	T_EQ_INT(state_mark_set(s, "none", ok, NULL, NULL, "root", NULL), 0);
	T_OK(!state_marks_any(st));
	/* analysed under rules "1": asked for rules "2", the file comes back */
	memset(&ar, 0, sizeof(ar));
	T_EQ_INT(state_analysis_put(st, ok, "1", &ar), 0);
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_analysed_before(st, "2", collect_path, &w), 0);
	T_EQ_INT(w.n, 1);
	T_EQ_STR(w.paths[0], "z.php");
	memset(&w, 0, sizeof(w));
	T_EQ_INT(state_files_analysed_before(st, "1", collect_path, &w), 0);
	T_EQ_INT(w.n, 0);
	fx_close(&fx);
}

/* the files figure of the state is the table's count, and so is each
 * webspace's own count of its rows */
static void
check_counts(struct fx *fx, const char *when)
{
	int64_t rows = fx_query_int(fx->s, "SELECT count(*) FROM files");

	T_CHECK(state_files_count(fx->st) == rows, "%s: %lld files counted, %lld rows", when,
		(long long)state_files_count(fx->st), (long long)rows);
	T_CHECK(fx_query_int(fx->s, "SELECT count(*) FROM webspaces w WHERE nfiles IS NOT (SELECT "
			  "count(*) FROM files WHERE webspace_id=w.id)") == 0,
		"%s: a webspace's count of its files is not its rows'", when);
}

/* closes the state and the database and opens them again, as a restart does */
static int
reopen(struct fx *fx)
{
	char err[256];

	state_free(fx->st);
	fx->st = NULL;
	store_close(fx->s);
	fx->s = NULL;
	if (store_open(fx->db, STORE_CREATE, &fx->s, err, sizeof(err)) < 0) {
		printf("%s\n", err);
		return -1;
	}
	return state_open(fx->s, &fx->st);
}

/* The files figure of the status is read from the webspaces' counts (a
 * count of the files table takes seconds at ten million rows): it follows
 * every write of a file row, a restart, and the upgrade of a database that
 * had no counts. */
static void
test_files_count(void)
{
	struct fx fx;
	struct state *st;
	struct file_row f;
	int64_t a, b;
	bool base;
	static const char *const files[] = { "a/x.php", "a/b/y.php", "c/x.php", "k.php", "l.php" };
	size_t i;

	T_EQ_INT(fx_open(&fx, "count"), 0);
	if ((st = fx.st) == NULL)
		goto out;
	T_EQ_INT(state_webspace_upsert(st, "/srv/a", "alice", &a, &base), 0);
	T_EQ_INT(state_webspace_upsert(st, "/srv/b", "bob", &b, &base), 0);
	check_counts(&fx, "empty");
	T_EQ_INT(state_begin(st), 0);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fx_row(a, files[i], (uint8_t)i);
		T_EQ_INT(state_file_put(st, &f), 0);
		f = fx_row(b, files[i], (uint8_t)i);
		T_EQ_INT(state_file_put(st, &f), 0);
	}
	T_EQ_INT(state_commit(st), 0);
	T_EQ_INT(state_files_count(st), 10);
	check_counts(&fx, "inserted");
	/* a row written again is not one more */
	f = fx_row(a, "k.php", 9);
	T_EQ_INT(state_file_put(st, &f), 0);
	check_counts(&fx, "rewritten");
	T_EQ_INT(state_file_delete(st, a, "k.php", 5), 0);
	T_EQ_INT(state_file_delete(st, a, "none.php", 8), 0);
	check_counts(&fx, "deleted");
	/* renamed: to a new name, over another file, a directory over another */
	T_EQ_INT(state_file_move(st, b, "k.php", 5, "m.php", 5), 0);
	check_counts(&fx, "renamed");
	T_EQ_INT(state_file_move(st, b, "m.php", 5, "l.php", 5), 0);
	check_counts(&fx, "renamed over a file");
	T_EQ_INT(state_dir_move(st, b, "a", 1, "c", 1, false), 0);
	check_counts(&fx, "directory renamed over another");
	T_EQ_INT(state_files_count(st), 7);
	T_EQ_INT(reopen(&fx), 0);
	if ((st = fx.st) == NULL)
		goto out;
	check_counts(&fx, "reopened");
	T_EQ_INT(state_files_count(st), 7);

	/* a database of before the counts: counted by the upgrade, then kept */
	T_EQ_INT(store_exec(fx.s, "DROP TRIGGER files_digest_insert; DROP TRIGGER files_digest_delete;"
			    "DROP TRIGGER files_digest_move; ALTER TABLE webspaces DROP COLUMN nfiles;"
			    "PRAGMA user_version=12"), 0);
	T_EQ_INT(reopen(&fx), 0);
	if ((st = fx.st) == NULL)
		goto out;
	T_EQ_INT(store_schema_version(fx.s), 13);
	check_counts(&fx, "upgraded");
	T_EQ_INT(state_files_count(st), 7);
	f = fx_row(a, "o.php", 1);
	T_EQ_INT(state_file_put(st, &f), 0);
	T_EQ_INT(state_file_delete(st, b, "l.php", 5), 0);
	check_counts(&fx, "upgraded, then written");
	T_EQ_INT(state_files_count(st), 7);
out:
	fx_close(&fx);
}

static bool
never_unsettled(const struct file_row *row)
{
	(void)row;
	return false;
}

/* The daemon's way of writing a row (digests kept in C): a row the
 * transaction read is rewritten by its id, a row it did not find is
 * inserted; either way the row holds what was put, the row's id stays, the
 * count and the digest are the rows' (a digest summed again from the rows
 * equals the one kept). */
static void
test_rewrite_by_id(void)
{
	struct fx fx;
	struct state *st;
	struct file_row f, got;
	int64_t ws, id0;
	uint64_t kept, summed;
	bool base;

	T_EQ_INT(fx_open(&fx, "rewrite"), 0);
	if ((st = fx.st) == NULL)
		goto out;
	T_EQ_INT(state_digest_in_c(st), 0);
	state_digest_unsettled(st, never_unsettled);
	T_EQ_INT(state_webspace_upsert(st, "/srv/a", "alice", &ws, &base), 0);
	T_EQ_INT(state_begin(st), 0);
	T_EQ_INT(state_file_get(st, ws, "a/x.php", 7, &got), -ENOENT);
	f = fx_row(ws, "a/x.php", 1);
	T_EQ_INT(state_file_put(st, &f), 0);
	f = fx_row(ws, "a/y.php", 2);
	T_EQ_INT(state_file_put(st, &f), 0);
	T_EQ_INT(state_commit(st), 0);
	id0 = fx_query_int(fx.s, "SELECT id FROM files WHERE relpath=CAST('a/x.php' AS BLOB)");
	T_OK(id0 > 0);

	/* read, then written: by its id */
	T_EQ_INT(state_begin(st), 0);
	T_EQ_INT(state_file_get(st, ws, "a/x.php", 7, &got), 0);
	f = fx_row(ws, "a/x.php", 3);
	snprintf(f.verdict, sizeof(f.verdict), "tampered");
	f.installation_id = 77;
	T_EQ_INT(state_file_put(st, &f), 0);
	/* written without a read before it, and a row read then deleted */
	f = fx_row(ws, "a/y.php", 4);
	T_EQ_INT(state_file_put(st, &f), 0);
	T_EQ_INT(state_file_get(st, ws, "a/y.php", 7, &got), 0);
	T_EQ_INT(state_file_delete(st, ws, "a/y.php", 7), 0);
	/* read when missing, then written: a new row */
	T_EQ_INT(state_file_get(st, ws, "a/z.php", 7, &got), -ENOENT);
	f = fx_row(ws, "a/z.php", 5);
	T_EQ_INT(state_file_put(st, &f), 0);
	T_EQ_INT(state_commit(st), 0);

	T_EQ_INT(state_file_get(st, ws, "a/x.php", 7, &got), 0);
	T_EQ_INT(got.size, 30);
	T_EQ_INT(got.ino, 1003);
	T_EQ_INT(got.sha256[0], 3);
	T_EQ_STR(got.verdict, "tampered");
	T_EQ_INT(got.installation_id, 77);
	T_EQ_INT(fx_query_int(fx.s, "SELECT id FROM files WHERE relpath=CAST('a/x.php' AS BLOB)"), id0);
	T_EQ_INT(state_file_get(st, ws, "a/y.php", 7, &got), -ENOENT);
	T_EQ_INT(state_file_get(st, ws, "a/z.php", 7, &got), 0);
	T_EQ_INT(got.size, 50);
	check_counts(&fx, "rewritten by id");
	T_EQ_INT(fx_query_int(fx.s, "SELECT count(*) FROM files"), 2);
	T_EQ_INT(state_webspace_digest(st, ws, &kept), 0);
	T_EQ_INT(state_webspace_digest_repair(st, ws), 0);
	T_EQ_INT(state_webspace_digest(st, ws, &summed), 0);
	T_CHECK(kept == summed, "digest kept %llx, summed from the rows %llx",
		(unsigned long long)kept, (unsigned long long)summed);
out:
	fx_close(&fx);
}

int
main(void)
{
	T_RUN(test_state);
	T_RUN(test_files_count);
	T_RUN(test_rewrite_by_id);
	T_RUN(test_consensus);
	T_RUN(test_marks);
	T_DONE();
}
