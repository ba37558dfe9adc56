// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine (engine.c) driven as the daemon's loop drives it, with a real
 * database, the demo product's index and a webspace on a tmpfs of the test's
 * own: the baseline identifies the installed release; a noted change is
 * hashed, stored as a file row and told as an event; a release file put back
 * is ok; code in the upload directory is suspicious; a rename moves the row;
 * a change outside every webspace is ignored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "fixture.h"
#include "hash.h"
#include "state.h"
#include "t.h"

static struct fx f;
static char top[] = "/tmp/wsid-test-engine-fs.XXXXXX";
static char site[128];
static struct engine *e;
static int64_t ws;

#define NSEEN 64
static struct seen {
	int64_t id;
	char path[128];
	enum change_kind change;
	enum verdict_kind verdict;
	enum severity sev;
	bool held;
} seen[NSEEN];
static size_t nseen;

static void
on_event(void *ud, const struct event_stored *es)
{
	const struct event_row *ev = es->row;

	(void)ud;
	if (ev == NULL || nseen >= NSEEN)
		return;
	seen[nseen].id = es->id;
	snprintf(seen[nseen].path, sizeof(seen[nseen].path), "%.*s", (int)ev->plen, ev->path);
	seen[nseen].change = ev->change;
	seen[nseen].verdict = ev->verdict;
	seen[nseen].sev = ev->severity;
	seen[nseen].held = ev->held;
	nseen++;
}

/* the last event told for path, NULL none */
static const struct seen *
seen_of(const char *path)
{
	size_t i;

	for (i = nseen; i-- > 0;)
		if (strcmp(seen[i].path, path) == 0)
			return &seen[i];
	return NULL;
}

static int
write_site(const char *rel, const char *text)
{
	return fx_put_at(site, rel, text);
}

static void
note(const char *rel, unsigned flags)
{
	engine_note(e, ws, rel, strlen(rel), flags, NULL, 0);
}

static bool
row_of(const char *rel, struct file_row *r)
{
	return state_file_get(f.st, ws, rel, strlen(rel), r) == 0;
}

static void
test_baseline(void)
{
	struct inst_row *inst = NULL;
	struct file_row r;
	size_t n = 0;

	T_OK(row_of("index.php", &r));
	T_EQ_STR(r.verdict, "ok");
	T_EQ_INT(state_installations_load(f.st, ws, &inst, &n), 0);
	T_EQ_INT(n, 1);
	if (n == 1) {
		T_EQ_STR(inst[0].product, "demo");
		T_EQ_STR(inst[0].version, "2.0");
	}
	state_inst_rows_free(inst, n);
	/* a baseline tells nothing file by file */
	T_OK(seen_of("index.php") == NULL);
}

static void
test_note_is_hashed_and_stored(void)
{
	static const char text[] = "some notes\n";
	struct engine_stats st;
	struct file_row r;
	uint8_t sha[SHA256_LEN];
	const struct seen *ev;

	T_EQ_INT(write_site("notes.txt", text), 0);
	note("notes.txt", NOTE_CREATE | NOTE_CLOSE_WRITE);
	engine_get_stats(e, &st);
	T_EQ_INT(st.pending, 1); /* waiting for its window, not hashed yet */
	T_OK(!row_of("notes.txt", &r));
	T_OK(fx_engine_settle(e, 5000));
	T_OK(row_of("notes.txt", &r));
	sha256_buf(text, strlen(text), sha);
	T_OK(r.has_sha && memcmp(r.sha256, sha, SHA256_LEN) == 0);
	T_EQ_INT(r.size, strlen(text));
	T_EQ_STR(r.status, "ok");
	ev = seen_of("notes.txt");
	T_OK(ev != NULL);
	if (ev) {
		T_EQ_INT(ev->change, CHANGE_CREATED);
		T_EQ_INT(ev->verdict, VERDICT_NEW);
	}
	engine_get_stats(e, &st);
	T_EQ_INT(st.pending, 0);
	T_OK(st.hashed >= 1);
}

static void
test_release_file_is_ok(void)
{
	struct file_row r;
	const struct seen *ev;

	/* a release file changed to content no release has: tampered */
	T_EQ_INT(write_site("lib/core.php", "<?php /* changed */ function core() { return 3; }\n"), 0);
	note("lib/core.php", NOTE_CLOSE_WRITE);
	T_OK(fx_engine_settle(e, 5000));
	T_OK(row_of("lib/core.php", &r));
	T_EQ_STR(r.verdict, "tampered");
	ev = seen_of("lib/core.php");
	T_OK(ev && ev->verdict == VERDICT_TAMPERED && ev->change == CHANGE_MODIFIED);
	/* the release's content back: ok, known as the release's file */
	T_EQ_INT(write_site("lib/core.php", fx_demo_core2), 0);
	note("lib/core.php", NOTE_CLOSE_WRITE);
	T_OK(fx_engine_settle(e, 5000));
	T_OK(row_of("lib/core.php", &r));
	T_EQ_STR(r.verdict, "ok");
	T_EQ_STR(r.known, "release");
	ev = seen_of("lib/core.php");
	T_OK(ev && ev->verdict == VERDICT_OK);
}

static void
test_upload_code(void)
{
	struct file_row r;
	const struct seen *ev;

	T_EQ_INT(write_site("up/x.php", "<?php eval($_POST['x']);\n"), 0);
	note("up/x.php", NOTE_CREATE | NOTE_CLOSE_WRITE);
	T_OK(fx_engine_settle(e, 5000));
	T_OK(row_of("up/x.php", &r));
	T_EQ_STR(r.verdict, "suspicious");
	ev = seen_of("up/x.php");
	T_OK(ev != NULL);
	if (ev) {
		T_EQ_INT(ev->verdict, VERDICT_SUSPICIOUS);
		T_OK(ev->sev >= SEV_WARNING);
		T_OK(!ev->held);
	}
	/* a text file there is not code */
	T_EQ_INT(write_site("up/a.txt", "plain text\n"), 0);
	note("up/a.txt", NOTE_CREATE | NOTE_CLOSE_WRITE);
	T_OK(fx_engine_settle(e, 5000));
	T_OK(row_of("up/a.txt", &r));
	T_OK(strcmp(r.verdict, "suspicious") != 0);
}

static void
test_rename(void)
{
	char a[256], b[256];
	struct file_row r;

	snprintf(a, sizeof(a), "%s/notes.txt", site);
	snprintf(b, sizeof(b), "%s/renamed.txt", site);
	T_EQ_INT(rename(a, b), 0);
	engine_rename(e, ws, "notes.txt", 9, ws, "renamed.txt", 11, false, NULL, 0);
	T_OK(fx_engine_settle(e, 5000));
	T_OK(!row_of("notes.txt", &r));
	T_OK(row_of("renamed.txt", &r));
	T_OK(seen_of("renamed.txt") && seen_of("renamed.txt")->change == CHANGE_RENAMED);
}

static void
test_outside(void)
{
	char p[256];
	int64_t id = 0;
	size_t rl = 0;
	struct engine_stats st;
	struct file_row r;
	size_t before = nseen;

	snprintf(p, sizeof(p), "%s/index.php", site);
	T_OK(engine_webspace_find(e, p, strlen(p), &id, &rl));
	T_EQ_INT(id, ws);
	T_EQ_INT(rl, strlen(site));
	/* a sibling whose name starts like the root is not in it */
	snprintf(p, sizeof(p), "%s2/index.php", site);
	T_OK(!engine_webspace_find(e, p, strlen(p), &id, &rl));
	T_OK(!engine_webspace_find(e, "/elsewhere/x.php", 16, &id, &rl));
	/* a change noted for no webspace: nothing hashed, stored or told */
	engine_note(e, ws + 1000, "x.php", 5, NOTE_CLOSE_WRITE, NULL, 0);
	T_OK(fx_engine_settle(e, 5000));
	T_OK(state_file_get(f.st, ws + 1000, "x.php", 5, &r) == -ENOENT);
	T_EQ_INT(nseen, before);
	engine_get_stats(e, &st);
	T_EQ_INT(st.pending, 0);
	/* the webspace root itself is no change */
	engine_note(e, ws, "", 0, NOTE_ATTRIB, NULL, 0);
	engine_get_stats(e, &st);
	T_EQ_INT(st.pending, 0);
}

int
main(void)
{
	struct engine_opts o = { 0 };

	if (fx_tmpfs(top) < 0) {
		printf("not ok: a tmpfs of the test's own\n0 passed, 1 failed\n");
		return 1;
	}
	T_EQ_INT(fx_open(&f, "engine"), 0);
	T_EQ_INT(fx_index_demo(&f), 0);
	snprintf(site, sizeof(site), "%s/site", top);
	T_EQ_INT(fx_demo_install(site, 2), 0);
	o.dbpath = f.db;
	o.hash_workers = 1;
	o.reident_ms = 50;
	o.on_event = on_event;
	T_EQ_INT(engine_new(f.s, &o, &e), 0);
	if (e) {
		T_EQ_INT(fx_webspace(e, site, "acme", &ws), 0);
		T_OK(fx_engine_settle(e, 10000));
		T_RUN(test_baseline);
		T_RUN(test_note_is_hashed_and_stored);
		T_RUN(test_release_file_is_ok);
		T_RUN(test_upload_code);
		T_RUN(test_rename);
		T_RUN(test_outside);
		engine_free(e);
	}
	fx_close(&f);
	fx_tmpfs_done(top);
	T_DONE();
}
