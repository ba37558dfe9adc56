// SPDX-License-Identifier: GPL-2.0-or-later
/* eventfmt over events stored in a real SQLite database: the JSON line read
 * back through the JSON parser (absolute path, a name with a newline, an
 * escape sequence and invalid UTF-8 carried exactly in path_base64, hashes,
 * the writer), the text line with every control byte escaped, the line
 * from the row as stored equal to the line read back, and the time. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventfmt.h"
#include "fixture.h"
#include "jsonparse.h"
#include "state.h"
#include "t.h"

static const char hostile[] = "up/x\n\033[2J\xff.php";

static const char *
str_of(const struct jnode *o, const char *k)
{
	const struct jnode *v = jsonp_get(o, k);

	return v && v->t == J_STR ? v->s : v && v->t == J_NUM ? v->s : v && v->t == J_NULL ? "null" : NULL;
}

static void
test_event(void)
{
	char err[256];
	struct fx fx;
	struct store *s;
	struct state *st;
	struct event_row e;
	struct jnode *n = NULL;
	uint8_t sha[SHA256_LEN];
	int64_t ws, id = 0;
	bool base;
	char *line;

	if (fx_open(&fx, "eventfmt") < 0) {
		T_CHECK(0, "a database");
		goto out;
	}
	s = fx.s;
	st = fx.st;
	T_EQ_INT(state_webspace_upsert(st, "/srv/a", "alice", &ws, &base), 0);
	memset(sha, 0xab, sizeof(sha));
	e = fx_event(ws, hostile, VERDICT_SUSPICIOUS, SEV_WARNING);
	e.time_ns = 1700000000123456789ll;
	e.new_sha256 = sha;
	e.pid = 42;
	e.have_writer = true;
	e.uid = 1234;
	e.user = "alice";
	e.comm = "php-fpm";
	T_EQ_INT(state_event_add(st, &e, &id), 0);

	line = eventfmt_json_by_id(s, id);
	T_OK(line != NULL && strchr(line, '\n') == NULL); /* one line */
	if (line && jsonp_parse(line, strlen(line), &n, err, sizeof(err)) == 0) {
		const struct jnode *wr = jsonp_get(n, "writer");
		const char *b64 = str_of(n, "path_base64");
		unsigned char raw[128];
		size_t rawlen = 0;
		char want[128];

		T_EQ_STR(str_of(n, "id"), "1");
		T_EQ_STR(str_of(n, "time"), "2023-11-14T22:13:20Z");
		T_EQ_STR(str_of(n, "time_ns"), "1700000000123456789");
		T_EQ_STR(str_of(n, "customer"), "alice");
		T_EQ_STR(str_of(n, "webspace"), "/srv/a");
		T_EQ_STR(str_of(n, "change"), "modified");
		T_EQ_STR(str_of(n, "verdict"), "suspicious");
		T_EQ_STR(str_of(n, "severity"), "warning");
		T_EQ_STR(str_of(n, "new_sha256"),
			 "abababababababababababababababababababababababababababababababab");
		T_EQ_STR(str_of(n, "old_sha256"), "null");
		T_EQ_STR(str_of(n, "source"), "live");
		/* the path: valid UTF-8 in "path" (U+FFFD for the bad byte), the
		 * exact bytes in path_base64 */
		T_EQ_STR(str_of(n, "path"), "/srv/a/up/x\n\033[2J\xef\xbf\xbd.php");
		snprintf(want, sizeof(want), "/srv/a/%s", hostile);
		T_OK(b64 != NULL && sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL, &rawlen,
						      NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
		     rawlen == strlen(want) && memcmp(raw, want, rawlen) == 0);
		T_OK(wr != NULL && wr->t == J_OBJ);
		if (wr && wr->t == J_OBJ) {
			T_EQ_STR(str_of(wr, "comm"), "php-fpm");
			T_EQ_STR(str_of(wr, "uid"), "1234");
		}
	} else {
		T_CHECK(0, "not JSON: %s", err);
	}
	jsonp_free(n);
	free(line);
	T_OK(eventfmt_json_by_id(s, id + 100) == NULL);

	/* the text line: no control byte reaches a terminal */
	{
		sqlite3_stmt *q = store_prepare(s, EVENTFMT_SELECT "WHERE e.id=?");
		char *text = NULL;
		size_t tlen = 0, i;
		FILE *f = open_memstream(&text, &tlen);
		int ctl = 0;

		T_OK(q != NULL && f != NULL);
		if (q && f) {
			sqlite3_bind_int64(q, 1, id);
			T_EQ_INT(sqlite3_step(q), SQLITE_ROW);
			eventfmt_text(f, q, false);
			fclose(f);
			for (i = 0; i + 1 < tlen; i++)
				if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
					ctl++;
			T_EQ_INT(ctl, 0);
			T_OK(tlen > 0 && text[tlen - 1] == '\n');
			T_OK(strstr(text, "/srv/a/up/x\\n\\x1b[2J\\xff.php") != NULL);
			T_OK(strstr(text, "suspicious") && strstr(text, "by php-fpm (uid 1234)"));
		}
		sqlite3_finalize(q);
		free(text);
	}
out:
	fx_close(&fx);
}

/* the follower's line from the row as stored (eventfmt_json_line) is the
 * line read back by id, byte for byte, for rows that bind NULLs, empty
 * strings, a request or its reason, a detail, a rename, an aggregate of no
 * files, a member and an acknowledged event; state_event_load reads back
 * the same row */
static void
test_stored_same(void)
{
	struct fx fx;
	struct store *s;
	struct state *st;
	uint8_t sha[SHA256_LEN], old[SHA256_LEN];
	int64_t ws, id = 0;
	bool base, was;
	int k;

	T_EQ_INT(fx_open(&fx, "stored"), 0);
	s = fx.s;
	if ((st = fx.st) == NULL)
		goto out;
	T_EQ_INT(state_webspace_upsert(st, "/srv/b", "bob", &ws, &base), 0);
	memset(sha, 0xcd, sizeof(sha));
	memset(old, 0x01, sizeof(old));
	for (k = 0; k < 7; k++) {
		struct event_row e;
		struct event_stored es;
		struct event_loaded l;
		char *by_id, *live, *loaded;

		memset(&e, 0, sizeof(e));
		e.time_ns = 1700000000000000000ll + k;
		e.webspace_id = ws;
		e.customer = k == 1 ? "" : "bob";
		e.path = k == 2 ? "" : "wp-content/x.php";
		e.plen = strlen(e.path);
		e.change = k == 3 ? CHANGE_RENAMED : CHANGE_CREATED;
		e.known = k == 4 ? KNOWN_OTHER_VERSION : KNOWN_NONE;
		e.verdict = k == 4 ? VERDICT_UPDATE : VERDICT_NEW;
		e.severity = SEV_NOTICE;
		e.reason = k == 1 ? NULL : "why";
		e.new_sha256 = k == 2 ? NULL : sha;
		e.old_sha256 = k == 3 ? old : NULL;
		if (k == 3) {
			e.old_path = "a/old.php";
			e.oplen = strlen(e.old_path);
		}
		e.source = k == 5 ? NULL : "live";
		e.pid = k == 1 ? 0 : 77;
		e.have_writer = k != 1;
		e.uid = 33;
		e.user = "www-data";
		e.comm = k == 2 ? NULL : "php-fpm8.2";
		e.cgroup = k == 0 ? "" : "/system.slice/php.service";
		e.request = k == 0 ? "{\"method\":\"POST\"}" : k == 6 ? "" : NULL;
		e.request_unknown = k == 5 ? "not written by a PHP-FPM worker" : NULL;
		e.detail = k == 4 ? "{\"files\":[]}" : k == 6 ? "{" : NULL;
		e.product = k == 4 ? "wordpress" : NULL;
		e.version = k == 4 ? "6.4.3" : NULL;
		e.other_version = k == 4 ? "6.4.2" : NULL;
		e.parent_id = k == 6 ? 1 : 0;
		T_EQ_INT(state_event_add(st, &e, &id), 0);
		es = (struct event_stored){ .id = id, .row = &e, .webspace = "/srv/b", .wslen = 6 };
		by_id = eventfmt_json_by_id(s, id);
		live = eventfmt_json_line(&es);
		T_OK(by_id != NULL && live != NULL);
		T_CHECK(by_id && live && strcmp(by_id, live) == 0, "row %d: by id %s, as stored %s", k,
			by_id ? by_id : "-", live ? live : "-");
		if (k == 4)
			T_EQ_INT(state_event_set_nfiles(st, id, 0), 0); /* an aggregate of no files */
		if (k == 5)
			T_EQ_INT(state_event_ack(s, id, 1700000001, &was), 0);
		free(by_id);
		by_id = eventfmt_json_by_id(s, id);
		T_EQ_INT(state_event_load(st, id, &l), 0);
		loaded = eventfmt_json_line(&l.ev);
		T_CHECK(by_id && strcmp(by_id, loaded) == 0, "row %d: by id %s, loaded %s", k,
			by_id ? by_id : "-", loaded);
		if (k == 4)
			T_OK(l.ev.aggregate && strstr(loaded, "\"files\":0") != NULL);
		if (k == 5)
			T_OK(l.ev.acked && !was && strstr(loaded, "\"acked\":true") != NULL);
		if (k == 6)
			T_OK(l.row.parent_id == 1 && l.row.verdict == VERDICT_NEW);
		state_event_loaded_free(&l);
		free(loaded);
		free(live);
		free(by_id);
	}
	T_EQ_INT(state_event_load(st, id + 100, &(struct event_loaded){ 0 }), -ENOENT);
	T_EQ_INT(state_event_ack(s, id + 100, 1, &was), -ENOENT);
out:
	fx_close(&fx);
}

static void
test_time(void)
{
	char t[32];

	eventfmt_time(0, t, sizeof(t));
	T_EQ_STR(t, "1970-01-01T00:00:00Z");
	eventfmt_time(1700000000999999999ll, t, sizeof(t)); /* seconds, not rounded */
	T_EQ_STR(t, "2023-11-14T22:13:20Z");
}

int
main(void)
{
	T_RUN(test_event);
	T_RUN(test_stored_same);
	T_RUN(test_time);
	T_DONE();
}
