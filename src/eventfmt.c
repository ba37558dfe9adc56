// SPDX-License-Identifier: GPL-2.0-or-later
/* Event formatting; see eventfmt.h. */
#include "eventfmt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonparse.h"
#include "util.h"

void
eventfmt_time(int64_t time_ns, char *out, size_t outsz)
{
	time_t t = (time_t)(time_ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* webspace path + "/" + relative path, as bytes (malloc'ed) */
static char *
abs_path(sqlite3_stmt *row, int ws_col, int rel_col, size_t *len)
{
	return path_join(sqlite3_column_blob(row, ws_col), (size_t)sqlite3_column_bytes(row, ws_col),
			 sqlite3_column_blob(row, rel_col), (size_t)sqlite3_column_bytes(row, rel_col), len);
}

static void
kv_text(struct json *j, const char *k, sqlite3_stmt *row, int col)
{
	json_key(j, k);
	if (sqlite3_column_type(row, col) == SQLITE_NULL)
		json_null(j);
	else
		json_str(j, (const char *)sqlite3_column_text(row, col));
}

static void
kv_sha(struct json *j, const char *k, sqlite3_stmt *row, int col)
{
	if (sqlite3_column_bytes(row, col) == SHA256_LEN)
		json_kv_hex(j, k, sqlite3_column_blob(row, col), SHA256_LEN);
	else {
		json_key(j, k);
		json_null(j);
	}
}

void
eventfmt_json(struct json *j, sqlite3_stmt *row)
{
	char ts[32], *path;
	size_t plen;

	json_obj_begin(j);
	json_kv_int(j, "id", sqlite3_column_int64(row, 0));
	eventfmt_time(sqlite3_column_int64(row, 1), ts, sizeof(ts));
	json_kv_str(j, "time", ts);
	json_kv_int(j, "time_ns", sqlite3_column_int64(row, 1));
	kv_text(j, "customer", row, 2);
	json_kv_name(j, "webspace", sqlite3_column_blob(row, 3) ? sqlite3_column_blob(row, 3) : "",
		     (size_t)sqlite3_column_bytes(row, 3));
	path = abs_path(row, 3, 4, &plen);
	json_kv_name(j, "path", path, plen);
	free(path);
	if (sqlite3_column_type(row, 5) != SQLITE_NULL) {
		path = abs_path(row, 3, 5, &plen);
		json_kv_name(j, "old_path", path, plen);
		free(path);
	} else {
		json_key(j, "old_path");
		json_null(j);
	}
	kv_text(j, "change", row, 6);
	kv_text(j, "known", row, 7);
	kv_text(j, "verdict", row, 8);
	kv_text(j, "severity", row, 9);
	kv_text(j, "reason", row, 10);
	kv_sha(j, "old_sha256", row, 11);
	kv_sha(j, "new_sha256", row, 12);
	kv_text(j, "product", row, 13);
	kv_text(j, "version", row, 14);
	kv_text(j, "other_version", row, 15);
	json_key(j, "pid");
	if (sqlite3_column_type(row, 16) == SQLITE_NULL)
		json_null(j);
	else
		json_int(j, sqlite3_column_int64(row, 16));
	kv_text(j, "source", row, 17);
	json_kv_bool(j, "acked", sqlite3_column_type(row, 18) != SQLITE_NULL);
	/* the writer, as /proc told when the change happened (best effort) */
	json_key(j, "writer");
	if (sqlite3_column_type(row, 19) == SQLITE_NULL) {
		json_null(j);
	} else {
		json_obj_begin(j);
		json_key(j, "pid");
		if (sqlite3_column_type(row, 16) == SQLITE_NULL)
			json_null(j);
		else
			json_int(j, sqlite3_column_int64(row, 16));
		json_kv_int(j, "uid", sqlite3_column_int64(row, 19));
		kv_text(j, "user", row, 20);
		kv_text(j, "comm", row, 21);
		kv_text(j, "cgroup", row, 22);
		/* the HTTP request behind the write (reqattr.h) */
		if (sqlite3_column_type(row, 27) == SQLITE_TEXT && sqlite3_column_text(row, 27)[0] == '{') {
			json_key(j, "request");
			json_raw(j, (const char *)sqlite3_column_text(row, 27), (size_t)sqlite3_column_bytes(row, 27));
		} else if (sqlite3_column_type(row, 28) == SQLITE_TEXT) {
			kv_text(j, "request_unknown", row, 28);
		}
		json_obj_end(j);
	}
	json_kv_bool(j, "held", sqlite3_column_int(row, 23) != 0);
	json_key(j, "parent_id");
	if (sqlite3_column_type(row, 24) == SQLITE_NULL)
		json_null(j);
	else
		json_int(j, sqlite3_column_int64(row, 24));
	json_key(j, "files");
	if (sqlite3_column_type(row, 25) == SQLITE_NULL)
		json_null(j);
	else
		json_int(j, sqlite3_column_int64(row, 25));
	json_key(j, "detail");
	if (sqlite3_column_type(row, 26) == SQLITE_TEXT && sqlite3_column_bytes(row, 26) > 1 &&
	    sqlite3_column_text(row, 26)[0] == '{')
		json_raw(j, (const char *)sqlite3_column_text(row, 26),
			 (size_t)sqlite3_column_bytes(row, 26));
	else
		json_null(j);
	json_obj_end(j);
}

void
eventfmt_text(FILE *out, sqlite3_stmt *row, bool color)
{
	static const char *const sevcol[] = { "", "\033[36m", "\033[33m", "\033[31;1m" };
	const char *sev = (const char *)sqlite3_column_text(row, 9);
	char ts[32], *path;
	size_t plen;
	struct buf b;
	int si = 0;

	if (sev && strcmp(sev, "notice") == 0)
		si = 1;
	else if (sev && strcmp(sev, "warning") == 0)
		si = 2;
	else if (sev && strcmp(sev, "critical") == 0)
		si = 3;
	eventfmt_time(sqlite3_column_int64(row, 1), ts, sizeof(ts));
	path = abs_path(row, 3, 4, &plen);
	buf_init(&b, 1 << 20);
	buf_put_escaped(&b, path, plen);
	fprintf(out, "%6lld  %s  %s%-8s%s  %-15s %-9s %-12s %s", (long long)sqlite3_column_int64(row, 0),
		ts, color ? sevcol[si] : "", sev ? sev : "?", color ? "\033[0m" : "",
		sqlite3_column_text(row, 8) ? (const char *)sqlite3_column_text(row, 8) : "?",
		sqlite3_column_text(row, 6) ? (const char *)sqlite3_column_text(row, 6) : "?",
		esc_name(sqlite3_column_text(row, 2) ? (const char *)sqlite3_column_text(row, 2) : ""),
		b.data ? b.data : "");
	if (sqlite3_column_text(row, 10)) {
		buf_reset(&b);
		buf_put_escaped(&b, (const char *)sqlite3_column_text(row, 10),
				(size_t)sqlite3_column_bytes(row, 10));
		fprintf(out, "  (%s)", b.data ? b.data : "");
	}
	if (sqlite3_column_type(row, 25) != SQLITE_NULL && sqlite3_column_int64(row, 25) > 0)
		fprintf(out, "  [%lld files]", (long long)sqlite3_column_int64(row, 25));
	if (sqlite3_column_text(row, 21))
		fprintf(out, "  by %s (uid %lld)", esc_name((const char *)sqlite3_column_text(row, 21)),
			(long long)sqlite3_column_int64(row, 19));
	fputc('\n', out);
	buf_free(&b);
	free(path);
}

char *
eventfmt_json_by_id(struct store *s, int64_t id)
{
	sqlite3_stmt *q = store_prepare(s, EVENTFMT_SELECT "WHERE e.id=?");
	char *line = NULL;

	if (q == NULL)
		return NULL;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		struct buf b;
		struct json j;

		buf_init(&b, 1 << 20);
		json_init(&j, &b);
		eventfmt_json(&j, q);
		line = buf_steal(&b);
	}
	sqlite3_finalize(q);
	return line;
}

void
eventfmt_quarantine_text(sqlite3_stmt *row, struct buf *out)
{
	const char *d = (const char *)sqlite3_column_text(row, 26);
	const struct jnode *q, *id, *err;
	struct jnode *root = NULL;
	char e[128];

	if (d == NULL || strstr(d, "\"quarantine\"") == NULL ||
	    jsonp_parse(d, (size_t)sqlite3_column_bytes(row, 26), &root, e, sizeof(e)) < 0)
		return;
	q = jsonp_get(root, "quarantine");
	if (q && q->t == J_OBJ) {
		id = jsonp_get(q, "id");
		err = jsonp_get(q, "error");
		if (id && id->t == J_NUM)
			buf_printf(out, "  Quarantined: moved out of the webspace by wsid (quarantine item "
					"%s)\n", id->s);
		else if (err && err->t == J_STR) {
			buf_puts(out, "  Not moved into quarantine: ");
			buf_put_escaped(out, err->s, err->slen);
			buf_puts(out, "\n");
		}
	}
	jsonp_free(root);
}

static void
kv_sha_or_null(struct json *j, const char *k, const uint8_t *sha)
{
	if (sha)
		json_kv_hex(j, k, sha, SHA256_LEN);
	else {
		json_key(j, k);
		json_null(j);
	}
}

/* The same object as eventfmt_json from the row the engine stored: every
 * field as state_event_add writes it (NULL where it binds NULL). */
void
eventfmt_json_event(struct json *j, const struct event_stored *es)
{
	const struct event_row *ev = es->row;
	char ts[32], *path;
	size_t plen;

	json_obj_begin(j);
	json_kv_int(j, "id", es->id);
	eventfmt_time(ev->time_ns, ts, sizeof(ts));
	json_kv_str(j, "time", ts);
	json_kv_int(j, "time_ns", ev->time_ns);
	json_kv_str(j, "customer", ev->customer);
	json_kv_name(j, "webspace", es->webspace ? es->webspace : "", es->wslen);
	path = path_join(es->webspace, es->wslen, ev->path, ev->plen, &plen);
	json_kv_name(j, "path", path, plen);
	free(path);
	if (ev->old_path) {
		path = path_join(es->webspace, es->wslen, ev->old_path, ev->oplen, &plen);
		json_kv_name(j, "old_path", path, plen);
		free(path);
	} else {
		json_key(j, "old_path");
		json_null(j);
	}
	json_kv_str(j, "change", change_name(ev->change));
	json_kv_str(j, "known", known_name(ev->known));
	json_kv_str(j, "verdict", verdict_name(ev->verdict));
	json_kv_str(j, "severity", severity_name(ev->severity));
	json_kv_str(j, "reason", ev->reason);
	kv_sha_or_null(j, "old_sha256", ev->old_sha256);
	kv_sha_or_null(j, "new_sha256", ev->new_sha256);
	json_kv_str(j, "product", ev->product);
	json_kv_str(j, "version", ev->version);
	json_kv_str(j, "other_version", ev->other_version);
	json_key(j, "pid");
	if (ev->pid > 0)
		json_int(j, ev->pid);
	else
		json_null(j);
	json_kv_str(j, "source", ev->source ? ev->source : "live");
	json_kv_bool(j, "acked", es->acked);
	json_key(j, "writer");
	if (!ev->have_writer) {
		json_null(j);
	} else {
		json_obj_begin(j);
		json_key(j, "pid");
		if (ev->pid > 0)
			json_int(j, ev->pid);
		else
			json_null(j);
		json_kv_int(j, "uid", ev->uid);
		json_kv_str(j, "user", ev->user);
		json_kv_str(j, "comm", ev->comm);
		json_kv_str(j, "cgroup", ev->cgroup && ev->cgroup[0] ? ev->cgroup : NULL);
		if (ev->request && ev->request[0] == '{') {
			json_key(j, "request");
			json_raw(j, ev->request, strlen(ev->request));
		} else if (ev->request_unknown) {
			json_kv_str(j, "request_unknown", ev->request_unknown);
		}
		json_obj_end(j);
	}
	json_kv_bool(j, "held", ev->held);
	json_key(j, "parent_id");
	if (ev->parent_id)
		json_int(j, ev->parent_id);
	else
		json_null(j);
	json_key(j, "files");
	if (es->aggregate)
		json_int(j, ev->nfiles);
	else
		json_null(j);
	json_key(j, "detail");
	if (ev->detail && strlen(ev->detail) > 1 && ev->detail[0] == '{')
		json_raw(j, ev->detail, strlen(ev->detail));
	else
		json_null(j);
	json_obj_end(j);
}

char *
eventfmt_json_line(const struct event_stored *es)
{
	struct buf b;
	struct json j;

	buf_init(&b, 1 << 20);
	json_init(&j, &b);
	eventfmt_json_event(&j, es);
	return buf_steal(&b);
}
