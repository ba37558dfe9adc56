// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl's verb table and what its verbs share: every verb has a handler,
 * a usage line that starts with its name and a help line, no name twice;
 * help for each verb exits 0 and prints its usage; the verbs that read the
 * database have the configuration looked up first, a scan or an analysis of
 * a directory does not. And events --since: relative times, dates, and what
 * is refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlverbs.h"
#include "t.h"

static char out_path[] = "/tmp/wsid-test-ctlverbs.XXXXXX";

/* runs ctl_help(argc, argv) with stdout in a file; returns its exit code,
 * what it printed into out (NUL-terminated, cut at sz) */
static int
help_to(int argc, char **argv, char *out, size_t sz)
{
	int saved, fd, rc;
	size_t n;
	FILE *f;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(out_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (saved < 0 || fd < 0) {
		out[0] = '\0';
		return -1;
	}
	dup2(fd, STDOUT_FILENO);
	close(fd);
	rc = ctl_help(argc, argv, NULL);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fopen(out_path, "r");
	n = f ? fread(out, 1, sz - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	return rc;
}

static void
test_table(void)
{
	size_t i, k;

	T_OK(ctl_nverbs > 0);
	for (i = 0; i < ctl_nverbs; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];
		size_t l = strlen(v->name);

		T_CHECK(v->fn != NULL, "%s: no handler", v->name);
		T_CHECK(l > 0 && strncmp(v->usage, v->name, l) == 0 &&
				(v->usage[l] == ' ' || v->usage[l] == '\0'),
			"%s: usage '%s' does not start with the verb", v->name, v->usage);
		T_CHECK(v->help != NULL && v->help[0] != '\0', "%s: no help line", v->name);
		for (k = i + 1; k < ctl_nverbs; k++)
			T_CHECK(strcmp(v->name, ctl_verbs[k].name) != 0, "%s twice", v->name);
		T_CHECK(ctl_verb_find(v->name) == v, "%s not found", v->name);
	}
	T_OK(ctl_verb_find("nosuchverb") == NULL);
	T_OK(ctl_verb_find("") == NULL);
	T_OK(ctl_verb_find("Index") == NULL);
}

/* the verbs that read or write the database get it looked up before; those
 * that may run on a directory alone look up only what they need */
static void
test_env_flags(void)
{
	static const char *const looked_up[] = { "sites", "components", "report", "files", "ack",
						 "outbox", "notify", "mark", "restore", "quarantine" };
	static const char *const own[] = { "index", "scan", "status", "events", "sync", "rescan",
					   "reload", "analyse", "help" };
	const struct ctl_verb *v;
	size_t i;

	for (i = 0; i < sizeof(looked_up) / sizeof(looked_up[0]); i++) {
		v = ctl_verb_find(looked_up[i]);
		T_CHECK(v && v->env, "%s: configuration not looked up first", looked_up[i]);
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		v = ctl_verb_find(own[i]);
		T_CHECK(v && !v->env, "%s: configuration looked up first", own[i]);
	}
	T_EQ_INT(sizeof(looked_up) / sizeof(looked_up[0]) + sizeof(own) / sizeof(own[0]),
		 ctl_nverbs);
}

static void
test_help(void)
{
	char out[8192], want[1024], verb[] = "help", name[64];
	char *argv[3] = { verb, name, NULL };
	size_t i;

	for (i = 0; i < ctl_nverbs; i++) {
		snprintf(name, sizeof(name), "%s", ctl_verbs[i].name);
		T_CHECK(help_to(2, argv, out, sizeof(out)) == 0, "help %s", ctl_verbs[i].name);
		snprintf(want, sizeof(want), "usage: wsidctl [--db PATH] [--config PATH] %s\n  %s\n",
			 ctl_verbs[i].usage, ctl_verbs[i].help);
		T_EQ_STR(out, want);
	}
	/* the overview lists every verb */
	T_EQ_INT(help_to(1, argv, out, sizeof(out)), 0);
	for (i = 0; i < ctl_nverbs; i++) {
		snprintf(want, sizeof(want), "\n  %-8s %s\n", ctl_verbs[i].name, ctl_verbs[i].help);
		T_CHECK(strstr(out, want) != NULL, "overview without %s", ctl_verbs[i].name);
	}
	snprintf(name, sizeof(name), "nosuchverb");
	T_EQ_INT(help_to(2, argv, out, sizeof(out)), EXIT_USAGE);
	T_EQ_STR(out, "");
}

static void
test_parse_since(void)
{
	const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
	static const char *const bad[] = {
		"", "h", "1", "1x", "1hh", "1h ", "-1h", "1.5h", "+", "2026", "2026-01",
		"2026-13-01", "2026-01-01T25:00:00", "2026-01-01T00:00", "2026-01-01Zjunk",
		"2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00 Z", "99999999999999999999s", "9223372036854775807d",
		"106751991167301d",
	};
	int64_t t;
	size_t i;

	T_EQ_INT(ctl_parse_since("90s", now, &t), 0);
	T_EQ_INT(t, now - 90);
	T_EQ_INT(ctl_parse_since("30m", now, &t), 0);
	T_EQ_INT(t, now - 1800);
	T_EQ_INT(ctl_parse_since("1h", now, &t), 0);
	T_EQ_INT(t, now - 3600);
	T_EQ_INT(ctl_parse_since("2d", now, &t), 0);
	T_EQ_INT(t, now - 2 * 86400);
	T_EQ_INT(ctl_parse_since("0s", now, &t), 0);
	T_EQ_INT(t, now);
	T_EQ_INT(ctl_parse_since("007m", now, &t), 0);
	T_EQ_INT(t, now - 420);
	/* the largest day count whose seconds fit */
	T_EQ_INT(ctl_parse_since("106751991167300d", 0, &t), 0);
	T_EQ_INT(t, -106751991167300LL * 86400);

	T_EQ_INT(ctl_parse_since("2026-01-02", now, &t), 0);
	T_EQ_INT(t, now + 86400);
	T_EQ_INT(ctl_parse_since("2026-01-02T03:04:05", now, &t), 0);
	T_EQ_INT(t, now + 86400 + 3 * 3600 + 4 * 60 + 5);
	T_EQ_INT(ctl_parse_since("2026-01-02 03:04:05", now, &t), 0);
	T_EQ_INT(t, now + 86400 + 3 * 3600 + 4 * 60 + 5);
	T_EQ_INT(ctl_parse_since("2026-01-02Z", now, &t), 0);
	T_EQ_INT(t, now + 86400);
	T_EQ_INT(ctl_parse_since("2026-01-02T03:04:05Z", now, &t), 0);
	T_EQ_INT(t, now + 86400 + 3 * 3600 + 4 * 60 + 5);
	T_EQ_INT(ctl_parse_since("2026-01-02 03:04:05Z", now, &t), 0);
	T_EQ_INT(t, now + 86400 + 3 * 3600 + 4 * 60 + 5);
	T_EQ_INT(ctl_parse_since("1970-01-01", now, &t), 0);
	T_EQ_INT(t, 0);
	/* a date is UTC whatever the local zone */
	setenv("TZ", "America/New_York", 1);
	tzset();
	T_EQ_INT(ctl_parse_since("2026-01-01", now, &t), 0);
	T_EQ_INT(t, now);
	unsetenv("TZ");
	tzset();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		T_CHECK(ctl_parse_since(bad[i], now, &t) == -EINVAL, "'%s' taken", bad[i]);
		T_CHECK(t == 42, "'%s': ret written on failure", bad[i]);
	}
}

int
main(void)
{
	int fd = mkstemp(out_path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_table();
	test_env_flags();
	test_help();
	test_parse_since();
	unlink(out_path);
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail != 0;
}
