// SPDX-License-Identifier: GPL-2.0-or-later
/* The wsidctl verbs that ask the running daemon over its control socket:
 * status (and its Prometheus rendering), events (from the database, or
 * followed live from the daemon), sync, rescan and reload. */
#include "ctlverbs.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "classify.h"
#include "ctlclient.h"
#include "eventfmt.h"
#include "json.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

int
ctl_status(int argc, char **argv, const struct ctl_env *env)
{
	char *reply = NULL;
	bool prom = false, json = env->json;
	int r, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--prometheus") == 0)
			prom = true;
		else {
			ctl_usage(env->verb, stderr);
			return EXIT_USAGE;
		}
	}
	if (prom && json) {
		fprintf(stderr, "wsidctl: status: --json and --prometheus exclude each other\n");
		return EXIT_USAGE;
	}
	r = ctlclient_call(env->socket_path(), "status", NULL, 5000, &reply);
	if (prom) {
		/* the same figures and the same rendering as the daemon's textfile */
		struct metrics m;
		struct buf b;

		memset(&m, 0, sizeof(m));
		if (r == 0 && metrics_from_status(reply, &m) < 0) {
			fprintf(stderr, "wsidctl: %s: not a status reply: %s\n", env->socket_path(), reply);
			free(reply);
			return EXIT_ERROR;
		}
		if (r < 0)
			fprintf(stderr, "wsidctl: daemon down (%s: %s)\n", env->socket_path(), strerror(-r));
		buf_init(&b, 1 << 20);
		metrics_render(&m, &b);
		if (r == 0 && m.up) {
			/* the census of the daemon's database, counted here as the
			 * daemon's thread counts it */
			struct census cs;
			char err[1024];

			if (census_count_db(m.database[0] ? m.database : env->db_path(), &cs, err, sizeof(err)) < 0)
				fprintf(stderr, "wsidctl: census: %s\n", err);
			metrics_render_census(&cs, &b);
			census_free(&cs);
		}
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		r = r == 0 && m.up && m.watching ? 0 : 1;
		free(reply);
		return r;
	}
	if (r < 0) {
		if (json) {
			/* the socket's name escaped: it may hold a quote or a newline */
			const char *sp = env->socket_path();
			struct buf b;
			struct json j;

			ctl_jout_begin(&b, &j);
			json_kv_str(&j, "daemon", "down");
			json_kv_name(&j, "socket", sp, strlen(sp));
			json_kv_str(&j, "error", strerror(-r));
			ctl_jout_end(&b, &j);
		} else
			printf("daemon       down (%s: %s)\n", env->socket_path(), strerror(-r));
		return 1;
	}
	if (json) {
		printf("%s\n", reply);
	} else {
		static const char *const keys[] = {
			"daemon", "pid", "uptime_s", "watching", "filesystems", "webspaces", "files",
			"events_total", "events_per_s", "pending", "hash_backlog", "overflows",
			"delivery_sandbox", "failing_routes",
			"reconciles", "reconciling", "last_reconcile_ms", "latency_avg_ms",
			"latency_max_ms", "database", "database_error", "database_bytes", "database_free_bytes",
			"oldest_event_time", "index_products", "index_versions", "index_built_at",
			"index_age_s", "index_serial", "index_key",
			"protected_hardlinks",
		};
		size_t k;
		char v[512];

		for (k = 0; k < ARRAY_SIZE(keys); k++) {
			if (!json_field(reply, keys[k], v, sizeof(v)) ||
			    (strcmp(v, "null") == 0 &&
			     (strcmp(keys[k], "index_key") == 0 || strcmp(keys[k], "failing_routes") == 0)))
				continue;
			if (strcmp(keys[k], "oldest_event_time") == 0 && strcmp(v, "null") != 0) {
				/* unix time in the JSON; a date here */
				time_t t = (time_t)strtoll(v, NULL, 10);
				struct tm tm;
				char date[32];

				if (gmtime_r(&t, &tm) && strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
					snprintf(v, sizeof(v), "%s", date);
			}
			printf("%-18s %s\n", keys[k], v);
		}
	}
	{
		char w[16];

		r = json_field(reply, "watching", w, sizeof(w)) && strcmp(w, "true") == 0 ? 0 : 1;
	}
	free(reply);
	return r;
}

int
ctl_parse_since(const char *s, int64_t now, int64_t *ret)
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d" };
	char *end;
	long long v;
	struct tm tm;
	size_t i;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && end[0] && !end[1] && v >= 0) {
		int64_t mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
			       : end[0] == 'd' ? 86400 : 0;

		if (mult == 0 || v > INT64_MAX / mult)
			return -EINVAL;
		*ret = now - (int64_t)v * mult;
		return 0;
	}
	/* a date, with a time or not, in UTC; a trailing Z says so */
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end != NULL && (*end == '\0' || strcmp(end, "Z") == 0)) {
			*ret = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -EINVAL;
}

int
ctl_events(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },    { "customer", required_argument, NULL, 'c' },
		{ "severity", required_argument, NULL, 'S' }, { "verdict", required_argument, NULL, 'V' },
		{ "limit", required_argument, NULL, 'l' },    { "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },           { "members", required_argument, NULL, 'm' },
		{ "all", no_argument, NULL, 'a' },            { "unacked", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *customer = NULL, *verdict = NULL;
	int64_t since = 0, limit = -1, members = 0;
	bool all = false, unacked = false;
	int minsev = 0, c, rc = 0;
	bool follow = false;
	struct store *s = NULL;
	sqlite3_stmt *q = NULL;
	char err[1024];
	bool color = env->color, json = env->json;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (ctl_parse_since(optarg, now_unix(), &since) < 0) {
				fprintf(stderr, "wsidctl events: --since takes 90s, 30m, 1h, 2d or a date "
						"(YYYY-MM-DD[THH:MM:SS][Z], UTC)\n");
				return EXIT_USAGE;
			}
			break;
		case 'c':
			customer = optarg;
			break;
		case 'S':
			minsev = severity_parse(optarg);
			if (minsev < 0) {
				fprintf(stderr, "wsidctl events: --severity takes info, notice, warning or "
						"critical\n");
				return EXIT_USAGE;
			}
			break;
		case 'V':
			if (verdict_parse(optarg) < 0) {
				fprintf(stderr, "wsidctl events: unknown verdict '%s'\n", esc_name(optarg));
				return EXIT_USAGE;
			}
			verdict = optarg;
			break;
		case 'l':
			limit = strtoll(optarg, NULL, 10);
			break;
		case 'f':
			follow = true;
			break;
		case 'j':
			json = true;
			break;
		case 'm':
			members = strtoll(optarg, NULL, 10);
			if (members <= 0) {
				fprintf(stderr, "wsidctl events: --members takes an event id\n");
				return EXIT_USAGE;
			}
			break;
		case 'a':
			all = true;
			break;
		case 'u':
			unacked = true;
			break;
		default:
			ctl_usage(env->verb, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		ctl_usage(env->verb, stderr);
		return EXIT_USAGE;
	}
	if (follow) {
		/* live: the daemon streams each stored event as one JSON line */
		struct buf acc, line;
		int fd = ctlclient_connect(env->socket_path());

		if (fd < 0) {
			fprintf(stderr, "wsidctl: %s: %s (is wsid running?)\n", env->socket_path(), strerror(-fd));
			return EXIT_ERROR;
		}
		buf_init(&acc, 16u << 20);
		buf_init(&line, 16u << 20);
		ctlclient_send(fd, "follow", NULL);
		setvbuf(stdout, NULL, _IOLBF, 0);
		while (ctlclient_readline(fd, &acc, &line, -1) == 0) {
			char v[64];

			if (json_field(line.data, "ok", v, sizeof(v)))
				continue; /* the acknowledgement */
			if (customer && (!json_field(line.data, "customer", v, sizeof(v)) ||
					 strcmp(v, customer) != 0))
				continue;
			if (verdict && (!json_field(line.data, "verdict", v, sizeof(v)) ||
					strcmp(v, verdict) != 0))
				continue;
			if (minsev && (!json_field(line.data, "severity", v, sizeof(v)) ||
				       severity_parse(v) < minsev))
				continue;
			printf("%s\n", line.data);
		}
		buf_free(&acc);
		buf_free(&line);
		close(fd);
		return 0;
	}
	if (store_open(env->db_path(), STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	q = store_prepare(s, EVENTFMT_SELECT
			  "WHERE e.time >= ?1 AND (?2 IS NULL OR e.customer = ?2) AND "
			  "(?3 IS NULL OR e.verdict = ?3) AND (CASE e.severity WHEN 'info' THEN 0 "
			  "WHEN 'notice' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END) >= ?4 AND "
			  /* by default what stands alone: not the members of an update
			   * (--members ID lists them), not what waits for its window */
			  "(?7 OR (?6 IS NULL AND e.held=0 AND e.parent_id IS NULL) OR e.parent_id=?6) "
			  "AND (NOT ?8 OR e.acked_at IS NULL) ORDER BY e.id LIMIT ?5");
	if (q == NULL) {
		store_close(s);
		return EXIT_ERROR;
	}
	sqlite3_bind_int64(q, 1, since);
	if (customer)
		sqlite3_bind_text(q, 2, customer, -1, SQLITE_STATIC);
	if (verdict)
		sqlite3_bind_text(q, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, minsev);
	sqlite3_bind_int64(q, 5, limit);
	if (members)
		sqlite3_bind_int64(q, 6, members);
	sqlite3_bind_int(q, 7, all ? 1 : 0);
	sqlite3_bind_int(q, 8, unacked ? 1 : 0);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (json) {
			struct buf b;
			struct json j;

			buf_init(&b, 16u << 20);
			json_init(&j, &b);
			eventfmt_json(&j, q);
			printf("%s\n", b.data);
			buf_free(&b);
		} else
			eventfmt_text(stdout, q, color);
	}
	sqlite3_finalize(q);
	store_close(s);
	return rc;
}

static int
simple_call(const struct ctl_env *env, const char *verb, const char *arg, int timeout_ms)
{
	char *reply = NULL, v[16];
	bool json = env->json;
	int r = ctlclient_call(env->socket_path(), verb, arg, timeout_ms, &reply);

	if (r < 0) {
		fprintf(stderr, "wsidctl %s: %s: %s\n", verb, env->socket_path(),
			r == -ETIMEDOUT ? "timed out" : strerror(-r));
		return EXIT_ERROR;
	}
	if (json || !json_field(reply, "ok", v, sizeof(v)) || strcmp(v, "true") != 0)
		printf("%s\n", reply);
	r = json_field(reply, "ok", v, sizeof(v)) && strcmp(v, "true") == 0 ? 0 : EXIT_ERROR;
	if (r && !json) {
		char e[512];

		if (json_field(reply, "error", e, sizeof(e)))
			fprintf(stderr, "wsidctl %s: %s\n", verb, e);
	}
	free(reply);
	return r;
}

int
ctl_sync(int argc, char **argv, const struct ctl_env *env)
{
	long timeout = 600;
	char arg[32];

	if (argc == 3 && strcmp(argv[1], "--timeout") == 0) {
		char *end;

		timeout = strtol(argv[2], &end, 10);
		if (*end || timeout <= 0) {
			fprintf(stderr, "wsidctl sync: --timeout takes seconds\n");
			return EXIT_USAGE;
		}
	} else if (argc != 1) {
		ctl_usage(env->verb, stderr);
		return EXIT_USAGE;
	}
	snprintf(arg, sizeof(arg), "%ld", timeout * 1000);
	return simple_call(env, "sync", arg, (int)(timeout * 1000 + 2000));
}

int
ctl_rescan(int argc, char **argv, const struct ctl_env *env)
{
	char *b64;
	size_t blen;
	int r;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "--all") == 0))
		return simple_call(env, "rescan", NULL, 10000);
	if (argc != 2) {
		ctl_usage(env->verb, stderr);
		return EXIT_USAGE;
	}
	blen = sodium_base64_ENCODED_LEN(strlen(argv[1]), sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(blen);
	sodium_bin2base64(b64, blen, (const unsigned char *)argv[1], strlen(argv[1]),
			  sodium_base64_VARIANT_ORIGINAL);
	r = simple_call(env, "rescan", b64, 10000);
	free(b64);
	return r;
}

int
ctl_reload(int argc, char **argv, const struct ctl_env *env)
{
	(void)argv;
	if (argc != 1) {
		ctl_usage(env->verb, stderr);
		return EXIT_USAGE;
	}
	return simple_call(env, "reload", NULL, 30000);
}
