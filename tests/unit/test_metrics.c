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

#include "json.h"
#include "metrics.h"
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

int
main(void)
{
	T_RUN(test_from_status);
	T_RUN(test_render);
	T_RUN(test_label_escape);
	T_RUN(test_write_file);
	T_DONE();
}
