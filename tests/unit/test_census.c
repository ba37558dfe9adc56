// SPDX-License-Identifier: GPL-2.0-or-later
/* The census (census.c) over a real database: installations counted by
 * product, kind, major version and their version's place among the index's
 * releases (latest, latest of its branch, outdated, unknown), only in active
 * webspaces; findings counted by verdict and severity, leaving out what is
 * acknowledged, held, a member of an update, ok or ignored; the counting
 * thread; the major version of a version string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census.h"
#include "fixture.h"
#include "t.h"

static struct fx f;

static void
test_major(void)
{
	char m[16];

	census_major("6.4.3", m, sizeof(m));
	T_EQ_STR(m, "6");
	census_major("2022-07-31a", m, sizeof(m));
	T_EQ_STR(m, "2022");
	census_major("10", m, sizeof(m));
	T_EQ_STR(m, "10");
	T_EQ_STR(census_state_name(CENSUS_LATEST), "latest");
	T_EQ_STR(census_state_name(CENSUS_LATEST_MINOR), "latest_minor");
	T_EQ_STR(census_state_name(CENSUS_OUTDATED), "outdated");
	T_EQ_STR(census_state_name(CENSUS_UNKNOWN), "unknown");
}

static int64_t
install(int64_t ws, const char *root, const char *version)
{
	struct inst_row r;
	char rt[64], pr[] = "demo", kind[] = "core", ver[32];

	memset(&r, 0, sizeof(r));
	snprintf(rt, sizeof(rt), "%s", root);
	snprintf(ver, sizeof(ver), "%s", version);
	r.webspace_id = ws;
	r.root = rt;
	r.root_len = strlen(rt);
	r.product = pr;
	r.kind = kind;
	r.version = ver;
	r.confidence = 1;
	return state_installation_put(f.st, &r, NULL, NULL, 6) == 0 ? r.id : 0;
}

static int64_t
event(int64_t ws, const char *path, enum verdict_kind v, enum severity sev, bool held, int64_t parent)
{
	struct event_row e = fx_event(ws, path, v, sev);
	int64_t id = 0;

	e.held = held;
	e.parent_id = parent;
	return state_event_add(f.st, &e, &id) == 0 ? id : 0;
}

static const struct census_row *
row(const struct census *c, const char *major)
{
	size_t i;

	for (i = 0; i < c->nrows; i++)
		if (strcmp(c->rows[i].product, "demo") == 0 && strcmp(c->rows[i].kind, "core") == 0 &&
		    strcmp(c->rows[i].major, major) == 0)
			return &c->rows[i];
	return NULL;
}

static void
check(const struct census *c)
{
	const struct census_row *r1 = row(c, "1"), *r2 = row(c, "2"), *r9 = row(c, "9");
	int v, s;
	int64_t other = 0;

	T_OK(c->counted);
	T_EQ_INT(c->nrows, 3);
	T_OK(r1 && r2 && r9);
	if (r1 && r2 && r9) {
		T_EQ_INT(r2->n[CENSUS_LATEST], 1);
		T_EQ_INT(r2->n[CENSUS_LATEST_MINOR], 1);
		T_EQ_INT(r2->n[CENSUS_OUTDATED], 0);
		T_EQ_INT(r1->n[CENSUS_OUTDATED], 2);
		T_EQ_INT(r1->n[CENSUS_LATEST_MINOR], 0);
		T_EQ_INT(r9->n[CENSUS_UNKNOWN], 1);
	}
	T_EQ_INT(c->findings[VERDICT_SUSPICIOUS][SEV_WARNING], 2);
	T_EQ_INT(c->findings[VERDICT_TAMPERED][SEV_CRITICAL], 1);
	for (v = 0; v < VERDICT_MAX; v++)
		for (s = 0; s < SEV_MAX; s++)
			other += c->findings[v][s];
	T_EQ_INT(other, 3);
}

static void
test_count(void)
{
	struct census c;
	char err[256] = "";
	int64_t a, b, id, agg;
	bool base;

	T_EQ_INT(state_webspace_upsert(f.st, "/srv/a", "acme", &a, &base), 0);
	T_EQ_INT(state_webspace_upsert(f.st, "/srv/b", "acme", &b, &base), 0);
	/* demo has 1.0, 1.0.1, 2.0 and 2.1 */
	T_EQ_INT(store_exec(f.s, "INSERT INTO versions(product_id, slot, version) SELECT id, 2, '1.0.1' "
				 "FROM products WHERE name='demo'; INSERT INTO versions(product_id, slot, version) "
				 "SELECT id, 3, '2.1' FROM products WHERE name='demo'"),
		 0);
	T_OK(install(a, "", "2.1") > 0);
	T_OK(install(a, "x", "2.0") > 0);
	T_OK(install(a, "y", "1.0") > 0);
	T_OK(install(a, "z", "1.0") > 0);
	T_OK(install(a, "w", "9.9") > 0);
	/* a webspace no longer active is not counted */
	T_OK(install(b, "", "2.1") > 0);
	T_EQ_INT(store_exec(f.s, "UPDATE webspaces SET active=0 WHERE path=CAST('/srv/b' AS BLOB)"), 0);
	/* findings */
	T_OK(event(a, "up/1.php", VERDICT_SUSPICIOUS, SEV_WARNING, false, 0) > 0);
	T_OK(event(a, "up/2.php", VERDICT_SUSPICIOUS, SEV_WARNING, false, 0) > 0);
	T_OK(event(a, "index.php", VERDICT_TAMPERED, SEV_CRITICAL, false, 0) > 0);
	id = event(a, "up/3.php", VERDICT_SUSPICIOUS, SEV_WARNING, false, 0);
	T_OK(id > 0);
	T_EQ_INT(store_exec(f.s, "UPDATE events SET acked_at=1 WHERE path=CAST('up/3.php' AS BLOB)"), 0);
	T_OK(event(a, "lib/core.php", VERDICT_UPDATE, SEV_NOTICE, true, 0) > 0);
	agg = event(a, "", VERDICT_UPDATE, SEV_NOTICE, false, 0);
	T_OK(event(a, "lib/a.php", VERDICT_TAMPERED, SEV_CRITICAL, false, agg) > 0);
	T_OK(event(a, "lib/b.php", VERDICT_OK, SEV_INFO, false, 0) > 0);
	T_OK(event(a, "up/x.jpg", VERDICT_IGNORED, SEV_INFO, false, 0) > 0);
	/* the aggregate itself stands alone: one update/notice, taken out here */
	T_EQ_INT(census_count(f.s, &c, err, sizeof(err)), 0);
	T_EQ_INT(c.findings[VERDICT_UPDATE][SEV_NOTICE], 1);
	c.findings[VERDICT_UPDATE][SEV_NOTICE] = 0;
	c.counted = true;
	check(&c);
	census_free(&c);
	/* the same read-only from the file, as wsidctl does */
	T_EQ_INT(census_count_db(f.db, &c, err, sizeof(err)), 0);
	c.findings[VERDICT_UPDATE][SEV_NOTICE] = 0;
	c.counted = true;
	check(&c);
	census_free(&c);
}

static void
test_counter(void)
{
	struct census_counter *cc = NULL;
	struct census c;
	int i;

	T_EQ_INT(census_counter_start(f.db, 60000, &cc), 0);
	if (cc == NULL)
		return;
	/* counted at once, not after the interval */
	for (i = 0; i < 100; i++) {
		census_counter_get(cc, &c);
		if (c.counted)
			break;
		census_free(&c);
		usleep(20000);
	}
	T_OK(c.counted);
	if (c.counted) {
		T_EQ_INT(c.findings[VERDICT_UPDATE][SEV_NOTICE], 1);
		c.findings[VERDICT_UPDATE][SEV_NOTICE] = 0;
		check(&c);
		census_free(&c);
	}
	census_counter_stop(cc);
}

int
main(void)
{
	if (fx_open(&f, "census") < 0 || fx_index_demo(&f) < 0) {
		printf("not ok: a database with the demo index\n0 passed, 1 failed\n");
		return 1;
	}
	T_RUN(test_major);
	T_RUN(test_count);
	T_RUN(test_counter);
	fx_close(&f);
	T_DONE();
}
