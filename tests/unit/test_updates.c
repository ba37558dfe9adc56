// SPDX-License-Identifier: GPL-2.0-or-later
/* Update aggregation (updates.c) on a real engine over the demo product's
 * index: the changes of an update, an installation and a removal are held
 * while the webspace's window runs, then re-identification tells one event
 * standing for them all (its members point to it); a held change no new
 * installation stands for is released on its own; the installations stored
 * are what the hashes say. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "engine_impl.h"
#include "fixture.h"
#include "t.h"

#define WINDOW_MS 300

static struct fx f;
static struct engine *e;
static int64_t ws;
static char site[128];
static size_t naggregates; /* aggregates told */
static size_t nreleased;   /* held events told on their own once released */

static void
on_event(void *ud, const struct event_stored *es)
{
	(void)ud;
	if (es->aggregate)
		naggregates++;
	else if (es->row && es->row->verdict == VERDICT_DELETED && es->row->plen == 9 &&
		 memcmp(es->row->path, "lib/a.php", 9) == 0)
		nreleased++;
}

static int64_t
q1(const char *sql)
{
	sqlite3_stmt *q = store_prepare(f.s, sql);
	int64_t v = -1;

	if (q && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static const char *
inst_version(const char *root)
{
	static char v[32];
	struct inst_row *r = NULL;
	size_t n = 0, i;

	v[0] = '\0';
	if (state_installations_load(f.st, ws, &r, &n) == 0)
		for (i = 0; i < n; i++)
			if (strcmp(r[i].root, root) == 0 && strcmp(r[i].product, "demo") == 0)
				snprintf(v, sizeof(v), "%s", r[i].version);
	state_inst_rows_free(r, n);
	return v;
}

static void
note(const char *rel, unsigned flags)
{
	engine_note(e, ws, rel, strlen(rel), flags, NULL, 0);
}

static void
test_update(void)
{
	int64_t max0 = q1("SELECT coalesce(max(id), 0) FROM events"), agg, held_id;
	char sql[256];

	T_EQ_STR(inst_version(""), "1.0");
	/* demo 1.0 -> 2.0: its one differing file */
	T_EQ_INT(fx_put_at(site, "lib/core.php", fx_demo_core2), 0);
	note("lib/core.php", NOTE_CLOSE_WRITE);
	fx_engine_run(e, 100); /* hashed and stored, the window still runs */
	snprintf(sql, sizeof(sql), "SELECT id FROM events WHERE id>%lld AND held=1 AND verdict='update'",
		 (long long)max0);
	held_id = q1(sql);
	T_OK(held_id > 0);
	T_OK(state_has_held(f.st, ws));
	T_EQ_STR(inst_version(""), "1.0");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND nfiles IS NOT NULL",
		 (long long)max0);
	T_EQ_INT(q1(sql), 0);
	/* the window closes: one update event, the change its member */
	T_OK(fx_engine_settle(e, 5000));
	T_OK(!state_has_held(f.st, ws));
	T_EQ_STR(inst_version(""), "2.0");
	snprintf(sql, sizeof(sql), "SELECT id FROM events WHERE id>%lld AND verdict='update' AND nfiles=1 "
		 "AND product='demo' AND version='2.0' AND other_version='1.0'", (long long)max0);
	agg = q1(sql);
	T_OK(agg > 0);
	snprintf(sql, sizeof(sql), "SELECT parent_id FROM events WHERE id=%lld AND held=0", (long long)held_id);
	T_EQ_INT(q1(sql), agg);
	/* and back: a downgrade */
	T_EQ_INT(fx_put_at(site, "lib/core.php", fx_demo_core1), 0);
	note("lib/core.php", NOTE_CLOSE_WRITE);
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_STR(inst_version(""), "1.0");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND verdict='downgrade' AND "
		 "nfiles=1 AND version='1.0' AND other_version='2.0'", (long long)agg);
	T_EQ_INT(q1(sql), 1);
}

static const char *const demo_files[] = { "index.php", "lib/core.php", "lib/a.php", "lib/b.php", "lib/c.php",
					   "readme.txt" };
#define NDEMO (sizeof(demo_files) / sizeof(demo_files[0]))

static void
test_install_and_remove(void)
{
	int64_t max0 = q1("SELECT coalesce(max(id), 0) FROM events"), agg;
	size_t aggs0 = naggregates;
	char dir[256], rel[320], sql[320];
	size_t i;

	/* a second copy appears under blog/: six changes, one event */
	snprintf(dir, sizeof(dir), "%s/blog", site);
	T_EQ_INT(fx_demo_install(dir, 2), 0);
	for (i = 0; i < NDEMO; i++) {
		snprintf(rel, sizeof(rel), "blog/%s", demo_files[i]);
		note(rel, NOTE_CREATE | NOTE_CLOSE_WRITE);
	}
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_STR(inst_version("blog"), "2.0");
	T_EQ_STR(inst_version(""), "1.0"); /* the other is left alone */
	/* its files are held and stand behind one event (readme.txt too: a
	 * file of the installation while its window is open) */
	snprintf(sql, sizeof(sql), "SELECT id FROM events WHERE id>%lld AND verdict='new' AND change='created' "
		 "AND nfiles=%zu AND path=CAST('blog' AS BLOB)", (long long)max0, NDEMO);
	agg = q1(sql);
	T_OK(agg > 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM events WHERE parent_id=%lld AND CAST(path AS TEXT) LIKE 'blog/%%.php'",
		 (long long)agg);
	T_EQ_INT(q1(sql), NDEMO - 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND parent_id IS NULL AND id<>%lld "
		 "AND CAST(path AS TEXT) LIKE '%%.php'", (long long)max0, (long long)agg);
	T_EQ_INT(q1(sql), 0); /* no code file told on its own */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND parent_id IS NULL AND id<>%lld "
		 "AND CAST(path AS TEXT) LIKE 'blog/%%'", (long long)max0, (long long)agg);
	T_EQ_INT(q1(sql), 0); /* nor any other file of it */
	T_EQ_INT(naggregates - aggs0, 1);
	/* removed: one event for the removal */
	max0 = q1("SELECT max(id) FROM events");
	for (i = 0; i < NDEMO; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, demo_files[i]);
		T_EQ_INT(unlink(rel), 0);
		snprintf(rel, sizeof(rel), "blog/%s", demo_files[i]);
		note(rel, NOTE_DELETE);
	}
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_STR(inst_version("blog"), "");
	snprintf(sql, sizeof(sql), "SELECT id FROM events WHERE id>%lld AND verdict='deleted' AND nfiles=%zu "
		 "AND path=CAST('blog' AS BLOB)", (long long)max0, NDEMO);
	agg = q1(sql);
	T_OK(agg > 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE parent_id=%lld", (long long)agg);
	T_EQ_INT(q1(sql), NDEMO);
}

static void
test_released_alone(void)
{
	int64_t max0 = q1("SELECT coalesce(max(id), 0) FROM events");
	size_t aggs0 = naggregates, rel0 = nreleased;
	char p[256], sql[256];

	/* one release file removed: held, then told on its own (no
	 * installation changed, too few to call it incomplete) */
	snprintf(p, sizeof(p), "%s/lib/a.php", site);
	T_EQ_INT(unlink(p), 0);
	note("lib/a.php", NOTE_DELETE);
	fx_engine_run(e, 100);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND held=1 AND verdict='deleted'",
		 (long long)max0);
	T_EQ_INT(q1(sql), 1);
	T_OK(fx_engine_settle(e, 5000));
	T_EQ_STR(inst_version(""), "1.0");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND held=0 AND verdict='deleted' "
		 "AND parent_id IS NULL AND path=CAST('lib/a.php' AS BLOB)", (long long)max0);
	T_EQ_INT(q1(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id>%lld AND nfiles IS NOT NULL",
		 (long long)max0);
	T_EQ_INT(q1(sql), 0);
	T_EQ_INT(naggregates - aggs0, 0);
	T_EQ_INT(nreleased - rel0, 1); /* the released event, told once with its row */
}

int
main(void)
{
	struct engine_opts o = { 0 };

	T_EQ_INT(fx_open(&f, "updates"), 0);
	T_EQ_INT(fx_index_demo(&f), 0);
	snprintf(site, sizeof(site), "%s/site", f.dir);
	T_EQ_INT(fx_demo_install(site, 1), 0);
	o.dbpath = f.db;
	o.hash_workers = 1;
	o.reident_ms = WINDOW_MS;
	o.on_event = on_event;
	T_EQ_INT(engine_new(f.s, &o, &e), 0);
	if (e && fx_webspace(e, site, "acme", &ws) == 0 && fx_engine_settle(e, 5000)) {
		T_RUN(test_update);
		T_RUN(test_install_and_remove);
		T_RUN(test_released_alone);
	} else {
		T_CHECK(0, "an engine with a webspace");
	}
	engine_free(e);
	fx_close(&f);
	T_DONE();
}
