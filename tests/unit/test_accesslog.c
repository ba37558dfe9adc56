// SPDX-License-Identifier: GPL-2.0-or-later
/* Access log lines (accesslog.h), the access log file and what the request
 * attribution says (reqattr.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accesslog.h"
#include "reqattr.h"
#include "t.h"

static const char combined[] = "203.0.113.9 - - [07/Dec/2026:01:02:03 +0100] \"POST /wp-content/plugins/x/upload.php?a=1 "
			       "HTTP/1.1\" 200 12 \"-\" \"curl/7.88.1\"\n";

static void
test_parse(void)
{
	struct alog_line l;
	const char *common = "::1 - bob [07/Dec/2026:00:02:03 -0030] \"GET / HTTP/1.0\" 404 -";
	const char *escaped = "10.0.0.1 - - [07/Dec/2026:00:02:03 +0000] \"GET /a\\x22b HTTP/1.1\" 301 0 \"-\" \"x\\\"y\"";

	T_EQ_INT(alog_parse(combined, strlen(combined), &l), 0);
	T_EQ_STR(l.addr, "203.0.113.9");
	T_EQ_STR(l.method, "POST");
	T_OK(l.urilen == 36 && memcmp(l.uri, "/wp-content/plugins/x/upload.php?a=1", 36) == 0);
	T_EQ_INT(l.status, 200);
	/* 2026-12-07T00:02:03Z */
	T_EQ_INT(l.time, 1796601723);
	T_EQ_INT(alog_parse(common, strlen(common), &l), 0);
	T_EQ_STR(l.addr, "::1");
	T_EQ_INT(l.status, 404);
	T_EQ_INT(l.time, 1796601723 - 3600 + 30 * 60 + 3600); /* 00:02:03 at -00:30 is 00:32:03Z */
	T_EQ_INT(alog_parse(escaped, strlen(escaped), &l), 0);
	T_EQ_INT(l.status, 301);
	T_OK(l.urilen == 7 && memcmp(l.uri, "/a\\x22b", 7) == 0);
	/* malformed: never a match */
	T_EQ_INT(alog_parse("", 0, &l), -1);
	T_EQ_INT(alog_parse("1.2.3.4 - - [07/Dec/2026:00:02:03 +0000] \"GET / HTTP/1.1\"", 57, &l), -1);
	T_EQ_INT(alog_parse("1.2.3.4 - - [07/Foo/2026:00:02:03 +0000] \"GET / HTTP/1.1\" 200 1", 64, &l), -1);
	T_EQ_INT(alog_parse("1.2.3.4 - - [07/Dec/2026:00:02:03 +0000] \"GET\" 200 1", 52, &l), -1);
	T_EQ_INT(alog_parse("1.2.3.4 - - [07/Dec/2026:00:02:03 +0000] \"GET / HTTP/1.1\" 2000 1", 64, &l), -1);
	T_EQ_INT(alog_parse("1.2.3.4 - - 07/Dec/2026:00:02:03 +0000 \"GET / HTTP/1.1\" 200 1", 62, &l), -1);
}

static void
test_match(void)
{
	struct alog_line l;

	alog_parse(combined, strlen(combined), &l);
	T_OK(alog_match(&l, "POST", "/wp-content/plugins/x/upload.php?a=1", l.time - 1, l.time + 1));
	T_OK(alog_match(&l, "POST", "/wp-content/plugins/x/upload.php", l.time, l.time));
	T_OK(!alog_match(&l, "POST", "/wp-content/plugins/x/upload.php?a=2", l.time, l.time));
	T_OK(!alog_match(&l, "GET", "/wp-content/plugins/x/upload.php?a=1", l.time, l.time));
	T_OK(!alog_match(&l, "POST", "/wp-content/plugins/x/upload.php?a=1", l.time + 1, l.time + 5));
	T_OK(!alog_match(&l, "POST", "/wp-content/plugins/x/upload", l.time, l.time));
}

static char dir[] = "/tmp/wsid-alog.XXXXXX";

static void
put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static void
test_file(void)
{
	struct alog_line l;
	char p[256], p2[256], addr[64], err[256];
	int st = 0;

	T_OK(mkdtemp(dir) != NULL);
	alog_parse(combined, strlen(combined), &l);
	put("a.log", "garbage line\n"
		     "198.51.100.1 - - [07/Dec/2026:01:02:02 +0100] \"POST /wp-content/plugins/x/upload.php?a=1 HTTP/1.1\" 500 1\n"
		     "203.0.113.9 - - [07/Dec/2026:01:02:03 +0100] \"POST /wp-content/plugins/x/upload.php?a=1 HTTP/1.1\" 200 12 \"-\" \"c\"\n"
		     "192.0.2.7 - - [07/Dec/2026:01:02:04 +0100] \"GET / HTTP/1.1\" 200 1\n"
		     "192.0.2.8 - - [07/Dec/2026:01:02:04 +0100] \"POST /wp-content/plugins/x/up");
	snprintf(p, sizeof(p), "%s/a.log", dir);
	/* the newest matching line */
	T_EQ_INT(reqattr_access_log_find(p, "POST", "/wp-content/plugins/x/upload.php?a=1", l.time - 5, l.time + 5, addr,
					 sizeof(addr), &st, err, sizeof(err)),
		 1);
	T_EQ_STR(addr, "203.0.113.9");
	T_EQ_INT(st, 200);
	/* none in the window */
	T_EQ_INT(reqattr_access_log_find(p, "POST", "/wp-content/plugins/x/upload.php?a=1", l.time + 5, l.time + 9, addr,
					 sizeof(addr), &st, err, sizeof(err)),
		 0);
	/* a symbolic link at the name, or on the way: refused, named */
	snprintf(p2, sizeof(p2), "%s/link.log", dir);
	T_EQ_INT(symlink(p, p2), 0);
	T_EQ_INT(reqattr_access_log_find(p2, "POST", "/x", 0, INT64_MAX, addr, sizeof(addr), &st, err, sizeof(err)),
		 -ELOOP);
	T_OK(strstr(err, "a symbolic link in its path (never followed)") != NULL);
	snprintf(p2, sizeof(p2), "%s/linkdir", dir);
	T_EQ_INT(symlink(dir, p2), 0);
	snprintf(p2, sizeof(p2), "%s/linkdir/a.log", dir);
	T_EQ_INT(reqattr_access_log_find(p2, "POST", "/x", 0, INT64_MAX, addr, sizeof(addr), &st, err, sizeof(err)),
		 -ELOOP);
	/* not a regular file; missing */
	snprintf(p2, sizeof(p2), "%s/fifo", dir);
	T_EQ_INT(mkfifo(p2, 0600), 0);
	T_EQ_INT(reqattr_access_log_find(p2, "POST", "/x", 0, INT64_MAX, addr, sizeof(addr), &st, err, sizeof(err)),
		 -EINVAL);
	T_OK(strstr(err, "not a regular file") != NULL);
	snprintf(p2, sizeof(p2), "%s/none.log", dir);
	T_EQ_INT(reqattr_access_log_find(p2, "POST", "/x", 0, INT64_MAX, addr, sizeof(addr), &st, err, sizeof(err)),
		 -ENOENT);
	/* an empty log */
	put("empty.log", "");
	snprintf(p2, sizeof(p2), "%s/empty.log", dir);
	T_EQ_INT(reqattr_access_log_find(p2, "POST", "/x", 0, INT64_MAX, addr, sizeof(addr), &st, err, sizeof(err)), 0);
}

static void
test_fpm_pool(void)
{
	char p[256], pool[64];

	snprintf(p, sizeof(p), "%s/42", dir);
	mkdir(p, 0700);
	put("42/cmdline", "php-fpm: pool alice\0\0\0\0");
	T_OK(reqattr_fpm_pool(dir, 42, pool, sizeof(pool)));
	T_EQ_STR(pool, "alice");
	put("42/cmdline", "php-fpm: pool bob                 ");
	T_OK(reqattr_fpm_pool(dir, 42, pool, sizeof(pool)));
	T_EQ_STR(pool, "bob");
	put("42/cmdline", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)");
	T_OK(!reqattr_fpm_pool(dir, 42, pool, sizeof(pool)));
	put("42/cmdline", "/usr/bin/php\0upload.php\0");
	T_OK(!reqattr_fpm_pool(dir, 42, pool, sizeof(pool)));
	put("42/cmdline", "php-fpm: pool ");
	T_OK(!reqattr_fpm_pool(dir, 42, pool, sizeof(pool)));
	T_OK(!reqattr_fpm_pool(dir, 43, pool, sizeof(pool)));
}

static void
test_describe(void)
{
	struct reqattr_info in;
	struct reqattr *ra = reqattr_new();
	struct reqattr_conf c = { .discover = false };
	char reason[320], json[4096], text[512];
	const char *req, *unk;

	reqattr_configure(ra, &c);
	/* this test is no PHP-FPM worker */
	reqattr_note(ra, getpid(), "alice", now_real_ns());
	T_OK(!reqattr_busy(ra, getpid()));
	T_OK(reqattr_describe(ra, getpid(), &in));
	T_OK(!in.fpm && !in.tied);
	T_EQ_STR(in.why, "not written by a PHP-FPM worker");
	T_OK(!reqattr_describe(ra, getpid() + 1, &in));
	reqattr_free(ra);

	memset(&in, 0, sizeof(in));
	in.fpm = in.tied = true;
	snprintf(in.pool, sizeof(in.pool), "alice");
	snprintf(in.method, sizeof(in.method), "POST");
	snprintf(in.uri, sizeof(in.uri), "/wp-content/plugins/x/upload.php");
	snprintf(in.script, sizeof(in.script), "/srv/\"alice\"/upload.php");
	snprintf(in.user, sizeof(in.user), "-");
	in.started_ns = 1796601723123456789ll;
	snprintf(reason, sizeof(reason), "new PHP file in an upload directory");
	reqattr_reason(&in, reason, sizeof(reason));
	T_EQ_STR(reason, "new PHP file in an upload directory; written by POST /wp-content/plugins/x/upload.php "
			 "(php-fpm pool alice, 2026-12-07T00:02:03.123Z)");
	reqattr_columns(&in, json, sizeof(json), &req, &unk);
	T_OK(unk == NULL);
	T_EQ_STR(req, "{\"method\":\"POST\",\"uri\":\"/wp-content/plugins/x/upload.php\",\"script\":\"/srv/\\\"alice\\\"/upload.php\","
		      "\"started\":\"2026-12-07T00:02:03.123Z\",\"started_ns\":1796601723123456789,\"state\":\"running\","
		      "\"user\":\"-\",\"pool\":\"alice\"}");
	in.have_log = true;
	snprintf(in.addr, sizeof(in.addr), "203.0.113.9");
	in.status = 200;
	reqattr_text(&in, text, sizeof(text));
	T_EQ_STR(text, "POST /wp-content/plugins/x/upload.php (php-fpm pool alice, 2026-12-07T00:02:03.123Z, from "
		       "203.0.113.9, status 200)");
	reqattr_columns(&in, json, sizeof(json), &req, &unk);
	T_OK(req && strstr(req, "\"remote_addr\":\"203.0.113.9\",\"status\":200") != NULL);
	/* a buffer too small: no cut JSON, a reason instead */
	reqattr_columns(&in, json, 64, &req, &unk);
	T_OK(req == NULL && unk != NULL);
	/* not tied */
	in.tied = false;
	snprintf(in.why, sizeof(in.why), "pool alice has no status page at /status (it answered 404)");
	reqattr_columns(&in, json, sizeof(json), &req, &unk);
	T_OK(req == NULL);
	T_EQ_STR(unk, "pool alice has no status page at /status (it answered 404)");
	snprintf(reason, sizeof(reason), "x");
	reqattr_reason(&in, reason, sizeof(reason));
	T_EQ_STR(reason, "x; written by php-fpm pool alice (request unknown)");
	/* a full reason stays whole-string */
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	reqattr_reason(&in, reason, sizeof(reason));
	T_EQ_INT(strlen(reason), sizeof(reason) - 1);
}

int
main(void)
{
	char cmd[300];

	test_parse();
	test_match();
	test_file();
	test_fpm_pool();
	test_describe();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("cannot remove %s\n", dir);
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail != 0;
}
