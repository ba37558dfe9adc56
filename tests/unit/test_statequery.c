// SPDX-License-Identifier: GPL-2.0-or-later
/* The report-side reads of the state: rows written through state.c into a
 * scratch database (webspaces, files, installations, events, marks, the
 * analysis cache) and read back through statequery.c: which rows each walk
 * yields, their fields, their order, the filters (customer, product, active
 * webspaces, a path and what lies under it), a callback stopping a walk, and
 * -EIO when the query cannot run. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "statequery.h"
#include "t.h"
#include "util.h"

static struct fx fx;
static int64_t ws_a, ws_b, ws_c; /* alice /srv/a, bob /srv/b, alice /srv/c (inactive) */
static int64_t inst_a_root, inst_a_blog;

/* what a walk yielded, one line per row ("a|b|c"), in order */
struct lines {
	char l[16][160];
	size_t n;
	int stop_after; /* > 0: the callback returns 7 after this many rows */
};

static int
add(struct lines *ls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
add(struct lines *ls, const char *fmt, ...)
{
	va_list ap;

	if (ls->n < 16) {
		va_start(ap, fmt);
		vsnprintf(ls->l[ls->n], sizeof(ls->l[0]), fmt, ap);
		va_end(ap);
	}
	ls->n++;
	return ls->stop_after > 0 && (int)ls->n >= ls->stop_after ? 7 : 0;
}

static int
on_inst(void *ud, const char *product, const char *kind, const char *version)
{
	return add(ud, "%s|%s|%s", t_str(product), t_str(kind), t_str(version));
}

static int
on_site(void *ud, const struct stateq_site *si)
{
	return add(ud, "%s|%.*s|%.*s|%s|%s|%s|%s|%s|%.2f|%d", si->customer, (int)si->wslen, si->webspace,
		   (int)si->rootlen, si->root, si->product, t_str(si->kind), si->version,
		   t_str(si->mixed_with), t_str(si->claimed_version), si->confidence,
		   si->identified_at > now_unix() - 600 && si->identified_at <= now_unix());
}

static int
on_ws(void *ud, int64_t id, const char *path, size_t len, const char *customer)
{
	return add(ud, "%lld|%.*s|%s", (long long)id, (int)len, path, customer);
}

static int
on_file(void *ud, const struct stateq_file *f)
{
	return add(ud, "%.*s|%s|%s|%s|%lld|%lld|%d|%s|%s|%s|%d|%d|%s", (int)f->rlen, f->relpath,
		   f->verdict, f->known, f->status, (long long)f->size, (long long)f->uid,
		   f->sha256 ? f->sha256[0] : -1, t_str(f->product), t_str(f->version), f->customer,
		   f->analysed, f->analysed ? f->an_verdict : -1, f->analysed ? t_str(f->an_rules) : "-");
}

static int
on_known(void *ud, const char *relpath, size_t rlen, const char *known, int64_t inst)
{
	return add(ud, "%.*s|%s|%d", (int)rlen, relpath, known, inst == inst_a_root);
}

static int
on_inst_row(void *ud, const struct stateq_inst *in)
{
	return add(ud, "%lld|%.*s|%s|%s", (long long)in->webspace_id, (int)in->rootlen, in->root,
		   in->product, in->version);
}

static int
on_inst_at(void *ud, const char *root, size_t rootlen, const char *product, const char *version)
{
	return add(ud, "%.*s|%s|%s", (int)rootlen, root, product, version);
}

static int
on_count(void *ud, const char *verdict, const char *severity, int64_t n)
{
	return add(ud, "%s|%s|%lld", verdict, severity, (long long)n);
}

static int
on_mark(void *ud, const struct stateq_mark *m)
{
	return add(ud, "%s|%d|%s|%s|%s|%s|%s|%d", m->mark, m->sha256 ? m->sha256[0] : -1,
		   m->customer ? m->customer : "(null)", t_str(m->note), t_str(m->added_by),
		   t_str(m->example), t_str(m->source), m->added_at > now_unix() - 600);
}

static int
on_known_bad(void *ud, const uint8_t sha256[32], const char *example)
{
	return add(ud, "%d|%s", sha256[0], t_str(example));
}

/* true when the lines are exactly the expected ones, in order */
static bool
lines_are(const struct lines *ls, const char *const *want, size_t n)
{
	size_t i;
	bool ok = ls->n == n;

	for (i = 0; i < n && i < ls->n && i < 16; i++)
		if (strcmp(ls->l[i], want[i]) != 0)
			ok = false;
	if (!ok) {
		printf("# got %zu rows:\n", ls->n);
		for (i = 0; i < ls->n && i < 16; i++)
			printf("#   %s\n", ls->l[i]);
	}
	return ok;
}
#define T_LINES(ls, ...)                                                       \
	do {                                                                   \
		static const char *const want_[] = { __VA_ARGS__ };            \
		T_OK(lines_are((ls), want_, sizeof(want_) / sizeof(want_[0]))); \
	} while (0)

static int64_t
inst(int64_t ws, const char *root, const char *product, const char *kind, const char *version,
     double conf, const char *mixed, const char *claimed)
{
	struct inst_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.webspace_id = ws;
	r.root = xstrdup(root);
	r.root_len = strlen(root);
	r.product = xstrdup(product);
	r.kind = kind ? xstrdup(kind) : NULL;
	r.version = xstrdup(version);
	r.confidence = conf;
	rc = state_installation_put(fx.st, &r, mixed, claimed, 3);
	T_CHECK(rc == 0, "installation %s", product);
	free(r.root);
	free(r.product);
	free(r.kind);
	free(r.version);
	return rc == 0 ? r.id : 0;
}

static int
setup(void)
{
	static const char *const paths[] = { "lib.php", "lib/a.php", "index.php", "lib2/x.php",
					     "lib/b.php" };
	struct analyse_result ar;
	char sql[128];
	bool based;
	size_t i;

	if (state_begin(fx.st) < 0 || state_webspace_upsert(fx.st, "/srv/a", "alice", &ws_a, &based) < 0 ||
	    state_webspace_upsert(fx.st, "/srv/b", "bob", &ws_b, &based) < 0 ||
	    state_webspace_upsert(fx.st, "/srv/c", "alice", &ws_c, &based) < 0)
		return -1;
	inst_a_root = inst(ws_a, "", "demo", "core", "1.0", 1.0, NULL, NULL);
	inst_a_blog = inst(ws_a, "blog", "mix", "plugin", "2.0", 0.625, "1.0", "2.0");
	/* a plugin first, then a core at the same root */
	inst(ws_b, "", "plug", "plugin", "0.1", 0.5, NULL, NULL);
	inst(ws_b, "", "demo", "core", "2.0", 1.0, NULL, NULL);
	inst(ws_b, "x", "anon", NULL, "3", 0.25, NULL, NULL);
	inst(ws_c, "", "demo", "core", "1.0", 1.0, NULL, NULL);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct file_row f = fx_row(ws_a, paths[i], (uint8_t)(i + 1));

		if (strcmp(paths[i], "index.php") == 0) {
			f.installation_id = inst_a_root;
			snprintf(f.known, sizeof(f.known), "release");
		}
		if (state_file_put(fx.st, &f) < 0)
			return -1;
	}
	{
		struct file_row f = fx_row(ws_b, "lib/a.php", 9);

		if (state_file_put(fx.st, &f) < 0)
			return -1;
	}
	/* lib/a.php's content (all 2s) was analysed */
	memset(&ar, 0, sizeof(ar));
	ar.verdict = ANALYSE_MALICIOUS;
	ar.n = 1;
	snprintf(ar.f[0].cls, sizeof(ar.f[0].cls), "exec-of-input");
	snprintf(ar.f[0].rule, sizeof(ar.f[0].rule), "phpscan");
	ar.f[0].conf = 2;
	ar.f[0].line = 1;
	{
		uint8_t sha[SHA256_LEN];

		memset(sha, 2, sizeof(sha));
		if (state_analysis_put(fx.st, sha, "rules-v1", &ar) < 0)
			return -1;
	}
	if (state_commit(fx.st) < 0)
		return -1;
	/* nothing in the daemon retires a webspace yet: the column is set here */
	snprintf(sql, sizeof(sql), "UPDATE webspaces SET active=0 WHERE id=%lld", (long long)ws_c);
	return sqlite3_exec(store_db(fx.s), sql, NULL,
			    NULL, NULL) == SQLITE_OK
		       ? 0
		       : -1;
}

static void
test_webspaces(void)
{
	struct lines ls = { 0 };
	char a[64], b[64], c[64];

	snprintf(a, sizeof(a), "%lld|/srv/a|alice", (long long)ws_a);
	snprintf(b, sizeof(b), "%lld|/srv/b|bob", (long long)ws_b);
	snprintf(c, sizeof(c), "%lld|/srv/c|alice", (long long)ws_c);
	T_EQ_INT(stateq_webspaces_active(fx.s), 2);
	T_EQ_INT(stateq_webspaces(fx.s, true, on_ws, &ls), 0);
	T_EQ_INT(ls.n, 2);
	T_OK(ls.n == 2 && strcmp(ls.l[0], c) != 0 && strcmp(ls.l[1], c) != 0);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_webspaces(fx.s, false, on_ws, &ls), 0);
	T_EQ_INT(ls.n, 3);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_webspaces_of(fx.s, "alice", on_ws, &ls), 0);
	T_OK(ls.n == 1 && strcmp(ls.l[0], a) == 0);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_webspaces_of(fx.s, NULL, on_ws, &ls), 0);
	T_OK(ls.n == 2 && strcmp(ls.l[0], a) == 0 && strcmp(ls.l[1], b) == 0);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_webspaces_of(fx.s, "nobody", on_ws, &ls), 0);
	T_EQ_INT(ls.n, 0);
}

static void
test_sites(void)
{
	struct lines ls = { 0 };

	T_EQ_INT(stateq_sites(fx.s, "alice", NULL, on_site, &ls), 0);
	T_LINES(&ls, "alice|/srv/a||demo|core|1.0|(null)|(null)|1.00|1",
		"alice|/srv/a|blog|mix|plugin|2.0|1.0|2.0|0.62|1", "alice|/srv/c||demo|core|1.0|(null)|(null)|1.00|1");
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_sites(fx.s, NULL, "demo", on_site, &ls), 0);
	T_LINES(&ls, "alice|/srv/a||demo|core|1.0|(null)|(null)|1.00|1",
		"alice|/srv/c||demo|core|1.0|(null)|(null)|1.00|1", "bob|/srv/b||demo|core|2.0|(null)|(null)|1.00|1");
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_sites(fx.s, "bob", "mix", on_site, &ls), 0);
	T_EQ_INT(ls.n, 0);
}

/* stateq_installation_at(ws, root) says product and version */
static bool
installation_at_is(int64_t ws, const char *root, const char *product, const char *version)
{
	char *p = NULL, *v = NULL;
	bool ok = stateq_installation_at(fx.s, ws, root, strlen(root), &p, &v) == 0 &&
		  t_streq(p, product) && t_streq(v, version);

	if (!ok)
		printf("# %s: %s %s\n", root, t_str(p), t_str(v));
	free(p);
	free(v);
	return ok;
}

static void
test_installations(void)
{
	struct lines ls = { 0 };
	char *p = NULL, *v = NULL;
	char r1[64], r2[64];

	/* the inactive webspace's is left out; no kind reads "unknown" */
	T_EQ_INT(stateq_installations_active(fx.s, on_inst, &ls), 0);
	T_EQ_INT(ls.n, 5);
	{
		size_t i, demo = 0, unknown = 0;

		for (i = 0; i < ls.n && i < 16; i++) {
			demo += strncmp(ls.l[i], "demo|", 5) == 0;
			unknown += strcmp(ls.l[i], "anon|unknown|3") == 0;
		}
		T_EQ_INT(demo, 2);
		T_EQ_INT(unknown, 1);
	}
	/* every one, by product; the kind as stored */
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_installations(fx.s, on_inst, &ls), 0);
	T_EQ_INT(ls.n, 6);
	T_EQ_STR(ls.l[0], "anon|(null)|3");
	T_OK(strncmp(ls.l[1], "demo|core|", 10) == 0 && strncmp(ls.l[3], "demo|core|", 10) == 0);
	T_EQ_STR(ls.l[4], "mix|plugin|2.0");
	T_EQ_STR(ls.l[5], "plug|plugin|0.1");

	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_installation_rows(fx.s, on_inst_row, &ls), 0);
	T_EQ_INT(ls.n, 6);
	snprintf(r1, sizeof(r1), "%lld||demo|1.0", (long long)ws_a);
	snprintf(r2, sizeof(r2), "%lld|blog|mix|2.0", (long long)ws_a);
	T_EQ_STR(ls.l[0], r1);
	T_EQ_STR(ls.l[1], r2);

	/* the deepest root first */
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_installations_of(fx.s, ws_b, on_inst_at, &ls), 0);
	T_EQ_INT(ls.n, 3);
	T_EQ_STR(ls.l[0], "x|anon|3");

	T_OK(installation_at_is(ws_a, "blog", "mix", "2.0"));
	/* two at one root: the core */
	T_OK(installation_at_is(ws_b, "", "demo", "2.0"));
	T_EQ_INT(stateq_installation_at(fx.s, ws_a, "bl", 2, &p, &v), -ENOENT);
	T_OK(p == NULL && v == NULL);
}

static void
test_files(void)
{
	struct lines ls = { 0 };

	/* a directory: what is under it, not its namesakes (lib.php, lib2/) */
	T_EQ_INT(stateq_files(fx.s, ws_a, "lib", 3, on_file, &ls), 0);
	T_LINES(&ls, "lib/a.php|none|unknown|ok|20|1234|2|(null)|(null)|alice|1|2|rules-v1",
		"lib/b.php|none|unknown|ok|50|1234|5|(null)|(null)|alice|0|-1|-");
	/* one file */
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_files(fx.s, ws_a, "index.php", 9, on_file, &ls), 0);
	T_LINES(&ls, "index.php|none|release|ok|30|1234|3|demo|1.0|alice|0|-1|-");
	/* all of the webspace, by path; not bob's */
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_files(fx.s, ws_a, "", 0, on_file, &ls), 0);
	T_EQ_INT(ls.n, 5);
	T_OK(strncmp(ls.l[0], "index.php|", 10) == 0 && strncmp(ls.l[1], "lib.php|", 8) == 0 &&
	     strncmp(ls.l[4], "lib2/x.php|", 11) == 0);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_files(fx.s, ws_a, "nothing", 7, on_file, &ls), 0);
	T_EQ_INT(ls.n, 0);

	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_files_known(fx.s, ws_b, on_known, &ls), 0);
	T_LINES(&ls, "lib/a.php|unknown|0");
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_files_known(fx.s, ws_a, on_known, &ls), 0);
	T_EQ_INT(ls.n, 5);
	{
		size_t i, tied = 0;

		for (i = 0; i < ls.n && i < 16; i++)
			tied += strcmp(ls.l[i], "index.php|release|1") == 0;
		T_EQ_INT(tied, 1);
	}
}

static void
test_findings(void)
{
	struct event_row e;
	struct lines ls = { 0 };
	int64_t id = 0, agg = 0;
	bool was;

	T_OK(state_begin(fx.st) == 0);
	e = fx_event(ws_a, "a.php", VERDICT_MALICIOUS, SEV_CRITICAL);
	T_OK(state_event_add(fx.st, &e, NULL) == 0);
	T_OK(state_event_add(fx.st, &e, &id) == 0);
	e = fx_event(ws_a, "b.php", VERDICT_SUSPICIOUS, SEV_WARNING);
	T_OK(state_event_add(fx.st, &e, NULL) == 0);
	/* left out: ok, ignored, held, a member of an aggregate, acknowledged */
	e = fx_event(ws_a, "c.php", VERDICT_OK, SEV_INFO);
	T_OK(state_event_add(fx.st, &e, NULL) == 0);
	e = fx_event(ws_a, "d.jpg", VERDICT_IGNORED, SEV_INFO);
	T_OK(state_event_add(fx.st, &e, NULL) == 0);
	e = fx_event(ws_a, "e.php", VERDICT_SUSPICIOUS, SEV_WARNING);
	e.held = true;
	T_OK(state_event_add(fx.st, &e, NULL) == 0);
	e = fx_event(ws_a, "up", VERDICT_SUSPICIOUS, SEV_WARNING);
	e.nfiles = 2;
	T_OK(state_event_add(fx.st, &e, &agg) == 0);
	e = fx_event(ws_a, "up/f.php", VERDICT_SUSPICIOUS, SEV_WARNING);
	e.parent_id = agg;
	T_OK(state_event_add(fx.st, &e, NULL) == 0);
	T_OK(state_commit(fx.st) == 0);
	T_OK(state_event_ack(fx.s, id, now_unix(), &was) == 0);

	T_EQ_INT(stateq_findings_open(fx.s, on_count, &ls), 0);
	T_EQ_INT(ls.n, 2);
	{
		size_t i;
		int mal = 0, sus = 0;

		for (i = 0; i < ls.n && i < 16; i++) {
			mal += strcmp(ls.l[i], "malicious|critical|1") == 0;
			sus += strcmp(ls.l[i], "suspicious|warning|2") == 0;
		}
		T_CHECK(mal == 1 && sus == 1, "%s / %s", ls.l[0], ls.l[1]);
	}
}

static void
test_marks(void)
{
	uint8_t a[SHA256_LEN], b[SHA256_LEN], c[SHA256_LEN];
	struct lines ls = { 0 };
	size_t i;
	int mal = 0, tr_alice = 0, tr_all = 0;

	memset(a, 0xa1, sizeof(a));
	memset(b, 0xb2, sizeof(b));
	memset(c, 0xc3, sizeof(c));
	T_OK(state_mark_set(fx.s, "malicious", a, NULL, "a dropper", "root", "up/x.php") == 0);
	T_OK(state_mark_set(fx.s, "trusted", b, "alice", NULL, "admin", NULL) == 0);
	T_OK(state_mark_set(fx.s, "trusted", c, NULL, "ours", "root", "lib/ours.php") == 0);
	T_EQ_INT(stateq_marks(fx.s, on_mark, &ls), 0);
	T_EQ_INT(ls.n, 3);
	for (i = 0; i < ls.n && i < 16; i++) {
		mal += strcmp(ls.l[i], "malicious|161||a dropper|root|up/x.php|wsidctl mark|1") == 0;
		tr_alice += strcmp(ls.l[i], "trusted|178|alice|(null)|admin|(null)|(null)|1") == 0;
		tr_all += strcmp(ls.l[i], "trusted|195||ours|root|lib/ours.php|(null)|1") == 0;
	}
	T_CHECK(mal == 1 && tr_alice == 1 && tr_all == 1, "%s / %s / %s", ls.l[0], ls.l[1], ls.l[2]);

	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_known_bad(fx.s, on_known_bad, &ls), 0);
	T_LINES(&ls, "161|up/x.php");
	/* trusted globally: the known-bad row goes */
	T_OK(state_mark_set(fx.s, "trusted", a, NULL, NULL, "root", NULL) == 0);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_known_bad(fx.s, on_known_bad, &ls), 0);
	T_EQ_INT(ls.n, 0);
}

static void
test_stop_and_errors(void)
{
	struct lines ls = { 0 };

	/* a callback's non-zero stops the walk and is returned */
	ls.stop_after = 2;
	T_EQ_INT(stateq_files(fx.s, ws_a, "", 0, on_file, &ls), 7);
	T_EQ_INT(ls.n, 2);
	memset(&ls, 0, sizeof(ls));
	ls.stop_after = 1;
	T_EQ_INT(stateq_sites(fx.s, NULL, NULL, on_site, &ls), 7);
	T_EQ_INT(ls.n, 1);

	/* a table that is not there */
	T_OK(sqlite3_exec(store_db(fx.s), "DROP TABLE known_bad", NULL, NULL, NULL) == SQLITE_OK);
	memset(&ls, 0, sizeof(ls));
	T_EQ_INT(stateq_known_bad(fx.s, on_known_bad, &ls), -EIO);
	T_EQ_INT(stateq_marks(fx.s, on_mark, &ls), -EIO);
	T_EQ_INT(ls.n, 0);
}

int
main(void)
{
	if (fx_open(&fx, "statequery") < 0 || setup() < 0) {
		printf("not ok setup\n");
		return 1;
	}
	T_RUN(test_webspaces);
	T_RUN(test_sites);
	T_RUN(test_installations);
	T_RUN(test_files);
	T_RUN(test_findings);
	T_RUN(test_marks);
	T_RUN(test_stop_and_errors);
	fx_close(&fx);
	T_DONE();
}
