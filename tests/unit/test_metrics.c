// SPDX-License-Identifier: GPL-2.0-or-later
/* metrics: the figures read from a status reply as the daemon writes it (json.c),
 * the exposition (HELP and TYPE before samples, every verdict present, label
 * values escaped), wsid_up alone for a daemon that is down, and the atomic
 * textfile write. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "census.h"
#include "json.h"
#include "metrics.h"
#include "store.h"
#include "t.h"

static char *
status_reply(const char *key)
{
	struct buf b;
	struct json j;
	int i;

	buf_init(&b, 1 << 20);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_bool(&j, "ok", true);
	json_kv_str(&j, "daemon", "up");
	json_kv_str(&j, "version", "1.2.3");
	json_kv_int(&j, "start_time", 1700000000);
	json_kv_bool(&j, "watching", true);
	json_kv_int(&j, "webspaces", 7);
	json_kv_int(&j, "files", 12345);
	json_kv_int(&j, "pending", 3);
	json_kv_int(&j, "hash_backlog", 2);
	json_kv_int(&j, "overflows", 1);
	json_kv_int(&j, "last_reconcile_ms", 1500);
	json_kv_int(&j, "latency_count", 4);
	json_kv_double(&j, "latency_sum_ms", 20.5);
	json_kv_int(&j, "outbox_open", 1);
	json_kv_int(&j, "outbox_pending", 2);
	json_kv_int(&j, "outbox_dead", 5);
	json_kv_int(&j, "index_serial", 42);
	json_kv_int(&j, "index_age_s", 3600);
	json_kv_str(&j, "index_key", key);
	json_key(&j, "events_by_verdict");
	json_obj_begin(&j);
	for (i = 0; i < VERDICT_MAX; i++)
		json_kv_int(&j, verdict_name((enum verdict_kind)i), i * 10);
	json_obj_end(&j);
	json_obj_end(&j);
	return buf_steal(&b);
}

static void
test_from_status(void)
{
	char *s = status_reply("k\"e\\y\nz");
	struct metrics m;

	T_EQ_INT(metrics_from_status(s, &m), 0);
	T_OK(m.up && m.figures && m.watching);
	T_EQ_STR(m.version, "1.2.3");
	T_EQ_INT(m.start_time, 1700000000);
	T_EQ_INT(m.webspaces, 7);
	T_EQ_INT(m.files, 12345);
	T_EQ_INT(m.pending, 3);
	T_EQ_INT(m.backlog, 2);
	T_EQ_INT(m.events[VERDICT_OK], 0);
	T_EQ_INT(m.events[VERDICT_TAMPERED], 30);
	T_EQ_INT(m.events[VERDICT_IGNORED], 110);
	T_OK(m.have_outbox && m.outbox_pending == 2 && m.outbox_dead == 5);
	T_OK(m.have_index_age && m.index_age_s == 3600 && m.index_serial == 42);
	T_EQ_STR(m.index_key, "k\"e\\y\nz");
	free(s);
	T_EQ_INT(metrics_from_status("{\"ok\":false,\"error\":\"x\"}", &m), -EINVAL);
}

static void
test_render(void)
{
	char *s = status_reply("k\"e\\y\nz");
	struct metrics m;
	struct buf b;
	int i;

	metrics_from_status(s, &m);
	buf_init(&b, 1 << 20);
	metrics_render(&m, &b);
	T_OK(strncmp(b.data, "# HELP wsid_up ", 15) == 0);
	T_OK(strstr(b.data, "\n# TYPE wsid_up gauge\nwsid_up 1\n") != NULL);
	T_OK(strstr(b.data, "\n# TYPE wsid_events_total counter\nwsid_events_total{verdict=\"ok\"} 0\n"));
	for (i = 0; i < VERDICT_MAX; i++) {
		char line[128];

		snprintf(line, sizeof(line), "\nwsid_events_total{verdict=\"%s\"} %d\n",
			 verdict_name((enum verdict_kind)i), i * 10);
		T_CHECK(strstr(b.data, line) != NULL, "missing %s", line);
	}
	T_OK(strstr(b.data, "\nwsid_queue_overflows_total 1\n"));
	T_OK(strstr(b.data, "\nwsid_last_reconcile_duration_seconds 1.5\n"));
	T_OK(strstr(b.data, "\nwsid_change_latency_seconds_sum 0.0205\n"));
	T_OK(strstr(b.data, "\nwsid_change_latency_seconds_count 4\n"));
	T_OK(strstr(b.data, "\nwsid_outbox_messages{state=\"dead\"} 5\n"));
	T_OK(strstr(b.data, "\nwsid_index_serial 42\n"));
	T_OK(strstr(b.data, "\nwsid_index_age_seconds 3600\n"));
	T_OK(strstr(b.data, "\nwsid_build_info{version=\"1.2.3\"} 1\n"));
	/* a quote, a backslash and a newline in a label value */
	T_CHECK(strstr(b.data, "\nwsid_index_key_info{key=\"k\\\"e\\\\y\\nz\"} 1\n") != NULL, "%s", b.data);
	T_OK(b.data[b.len - 1] == '\n');
	buf_free(&b);
	free(s);

	/* no key, no index age: those families are left out */
	s = status_reply(NULL);
	metrics_from_status(s, &m);
	m.have_index_age = false;
	buf_init(&b, 1 << 20);
	metrics_render(&m, &b);
	T_OK(strstr(b.data, "wsid_index_key_info") == NULL && strstr(b.data, "wsid_index_age_seconds") == NULL);
	buf_free(&b);
	free(s);

	/* a daemon that is down: wsid_up 0 and nothing else */
	memset(&m, 0, sizeof(m));
	buf_init(&b, 1 << 20);
	metrics_render(&m, &b);
	T_EQ_STR(b.data, "# HELP wsid_up 1 when the daemon is running and answering, 0 when it is stopped.\n"
			 "# TYPE wsid_up gauge\nwsid_up 0\n");
	buf_free(&b);
}

static void
test_label_escape(void)
{
	struct buf b;

	buf_init(&b, 1024);
	metrics_label_escape(&b, "plain-\xc3\xa4 \\ \" \n end");
	T_EQ_STR(b.data, "plain-\xc3\xa4 \\\\ \\\" \\n end");
	buf_free(&b);
}

static void
test_write_file(void)
{
	char dir[] = "/tmp/wsid-metrics.XXXXXX", path[256], err[512], tmp[300], got[64];
	struct stat st;
	mode_t old = umask(077);
	int fd;
	ssize_t n;

	T_OK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/wsid.prom", dir);
	T_EQ_INT(metrics_write_file(path, "a 1\n", 4, err, sizeof(err)), 0);
	T_EQ_INT(metrics_write_file(path, "b 2\n", 4, err, sizeof(err)), 0);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, got, sizeof(got) - 1) : -1;
	got[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	T_EQ_STR(got, "b 2\n");
	/* mode 0644 whatever the umask; no temporary file left */
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	T_OK(access(tmp, F_OK) < 0 && errno == ENOENT);
	/* a directory that is gone: an error naming the file */
	unlink(path);
	rmdir(dir);
	T_OK(metrics_write_file(path, "c 3\n", 4, err, sizeof(err)) == -ENOENT && strstr(err, dir));
	umask(old);
}

/* the census from a real database: states from the index's release list,
 * inactive webspaces left out; findings: standing alone, not acknowledged,
 * neither ok nor ignored */
static void
test_census_count(void)
{
	char dir[] = "/tmp/wsid-census.XXXXXX", path[256], wal[270], err[512];
	struct census c;
	struct store *s = NULL;
	const char *sql =
		"INSERT INTO products(id, name, kind) VALUES (1, 'wordpress', 'core');"
		"INSERT INTO versions(product_id, slot, version) VALUES (1, 0, '6.1.9'), (1, 1, '6.1.12'),"
		" (1, 2, '6.4.3'), (1, 3, '5.9'), (1, 4, '6.5-beta1');"
		"INSERT INTO webspaces(id, path, customer, added_at, active) VALUES (1, '/a', 'alice', 0, 1),"
		" (2, '/b', 'bob', 0, 1), (3, '/gone', 'carol', 0, 0);"
		"INSERT INTO installations(webspace_id, root, product, kind, version, identified_at) VALUES"
		" (1, '', 'wordpress', 'core', '6.1.9', 0), (1, 'old', 'wordpress', 'core', '5.9', 0),"
		" (2, '', 'wordpress', 'core', '6.1.12', 0), (2, 'x', 'wordpress', 'core', '6.4.3', 0),"
		" (2, 'y', 'wordpress', 'core', '6.9.9', 0), (3, '', 'wordpress', 'core', '6.1.9', 0),"
		" (1, 'js', 'jquery', NULL, '3.7.1', 0);"
		"INSERT INTO events(time, webspace_id, customer, path, change, verdict, severity, held,"
		" parent_id, acked_at) VALUES"
		" (0, 1, 'alice', 'a', 'created', 'suspicious', 'critical', 0, NULL, NULL),"
		" (0, 1, 'alice', 'b', 'created', 'suspicious', 'critical', 0, NULL, NULL),"
		" (0, 1, 'alice', 'c', 'created', 'suspicious', 'critical', 0, NULL, 5),"
		" (0, 1, 'alice', 'd', 'modified', 'tampered', 'warning', 0, NULL, NULL),"
		" (0, 1, 'alice', 'e', 'modified', 'tampered', 'warning', 1, NULL, NULL),"
		" (0, 1, 'alice', 'f', 'modified', 'tampered', 'warning', 0, 1, NULL),"
		" (0, 1, 'alice', 'g', 'modified', 'ok', 'info', 0, NULL, NULL),"
		" (0, 1, 'alice', 'h', 'created', 'ignored', 'info', 0, NULL, NULL);";
	struct buf b;

	T_OK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/wsid.db", dir);
	T_EQ_INT(store_open(path, STORE_CREATE, &s, err, sizeof(err)), 0);
	T_EQ_INT(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
	store_close(s);
	T_EQ_INT(census_count_db(path, &c, err, sizeof(err)), 0);
	T_OK(c.counted);
	/* ordered: jquery (unknown kind: not in the index), wordpress 5, 6 */
	T_EQ_INT(c.nrows, 3);
	T_EQ_STR(c.rows[0].product, "jquery");
	T_EQ_STR(c.rows[0].kind, "unknown");
	T_EQ_INT(c.rows[0].n[CENSUS_UNKNOWN], 1);
	T_EQ_STR(c.rows[1].major, "5");
	T_EQ_INT(c.rows[1].n[CENSUS_LATEST_MINOR], 1); /* 5.9: the newest of 5.9 */
	T_EQ_STR(c.rows[2].major, "6");
	T_EQ_INT(c.rows[2].n[CENSUS_LATEST], 1);       /* 6.4.3 (6.5-beta1 is no release) */
	T_EQ_INT(c.rows[2].n[CENSUS_LATEST_MINOR], 1); /* 6.1.12 */
	T_EQ_INT(c.rows[2].n[CENSUS_OUTDATED], 1);     /* 6.1.9; carol's is inactive */
	T_EQ_INT(c.rows[2].n[CENSUS_UNKNOWN], 1);      /* 6.9.9 */
	T_EQ_INT(c.findings[VERDICT_SUSPICIOUS][SEV_CRITICAL], 2);
	T_EQ_INT(c.findings[VERDICT_TAMPERED][SEV_WARNING], 1);
	T_EQ_INT(c.findings[VERDICT_OK][SEV_INFO], 0);
	T_EQ_INT(c.findings[VERDICT_IGNORED][SEV_INFO], 0);
	buf_init(&b, 1 << 20);
	metrics_render_census(&c, &b);
	T_OK(strstr(b.data, "wsid_installations{product=\"wordpress\",kind=\"core\",major=\"6\","
			    "state=\"outdated\"} 1\n") != NULL);
	T_OK(strstr(b.data, "wsid_findings{verdict=\"suspicious\",severity=\"critical\"} 2\n") != NULL);
	T_OK(strstr(b.data, "verdict=\"ok\"") == NULL && strstr(b.data, "verdict=\"ignored\"") == NULL);
	T_OK(strstr(b.data, "alice") == NULL && strstr(b.data, "/a") == NULL);
	buf_free(&b);
	census_free(&c);
	unlink(path);
	/* the census's connection leaves the WAL's files beside it */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	rmdir(dir);
}

/* label values escaped; no family without samples; nothing before a count */
static void
test_census_render(void)
{
	struct census c;
	char prod[] = "we\"ird\\", kind[] = "plugin", maj[] = "1";
	struct census_row row = { prod, kind, maj, { 0, 0, 3, 0 } };
	char major[16];
	struct buf b;
	size_t n = 0;
	const char *p;

	memset(&c, 0, sizeof(c));
	buf_init(&b, 1 << 20);
	metrics_render_census(&c, &b);
	T_EQ_INT(b.len, 0);
	c.counted = true;
	metrics_render_census(&c, &b);
	T_OK(strstr(b.data, "wsid_installations") == NULL);
	for (p = b.data; (p = strstr(p, "\nwsid_findings{")) != NULL; p++)
		n++;
	T_EQ_INT(n, (VERDICT_MAX - 2) * SEV_MAX);
	buf_reset(&b);
	c.rows = &row;
	c.nrows = 1;
	metrics_render_census(&c, &b);
	T_OK(strstr(b.data, "wsid_installations{product=\"we\\\"ird\\\\\",kind=\"plugin\",major=\"1\","
			    "state=\"outdated\"} 3\n") != NULL);
	buf_free(&b);
	census_major("6.4.3", major, sizeof(major));
	T_EQ_STR(major, "6");
	census_major("2022-07-31a", major, sizeof(major));
	T_EQ_STR(major, "2022");
	census_major("10", major, sizeof(major));
	T_EQ_STR(major, "10");
}

int
main(void)
{
	T_RUN(test_from_status);
	T_RUN(test_render);
	T_RUN(test_label_escape);
	T_RUN(test_write_file);
	T_RUN(test_census_count);
	T_RUN(test_census_render);
	T_DONE();
}
