// SPDX-License-Identifier: GPL-2.0-or-later
/* eventfmt over events stored in a real SQLite database: the JSON line read
 * back through the JSON parser (absolute path, a name with a newline, an
 * escape sequence and invalid UTF-8 carried exactly in path_base64, hashes,
 * the writer), the text line with every control byte escaped, and the time. */
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
	T_RUN(test_time);
	T_DONE();
}
