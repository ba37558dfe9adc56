// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl outbox and notify (ctloutbox.c), driven in-process over a scratch
 * database whose rows are made through outbox.c as the notifier makes them:
 * sent, failed for good, retrying, dead with its dead letters to the admin
 * route. The list in text and --json (sent rows only with --all), retry of
 * one row or all, each usage error named, a customer and destination with
 * control bytes escaped, a missing or damaged database (exit 3); notify's
 * secret, and its test refused without a daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "fixture.h"
#include "jsonparse.h"
#include "outbox.h"
#include "t.h"
#include "util.h"

static struct fx f;
static struct ctl_env env;
static char sock[256];
static int64_t id_sent, id_failed, id_retrying, id_dead, id_hostile;

/* one delivery of row id with this outcome */
static void
deliver(int64_t id, int outcome, long status, const char *error, uint64_t ttl_ms)
{
	struct deliver_result r = { .id = id, .outcome = outcome, .status = status };

	snprintf(r.error, sizeof(r.error), "%s", error);
	outbox_mark_sending(f.s, id);
	outbox_result(f.s, &r, 60000, ttl_ms);
}

static void
make_rows(void)
{
	int64_t now = now_real_ns() / 1000000;

	id_sent = outbox_insert(f.s, "alice", "customer", "webhook", "https://a.example/h", "event", "pending", now);
	id_failed = outbox_insert(f.s, "bob", "customer", "email", "b@example.org", "event", "pending", now);
	id_retrying = outbox_insert(f.s, "carol", "customer", "webhook", "https://c.example/h", "digest",
				    "pending", now);
	id_dead = outbox_insert(f.s, "dave", "customer", "webhook", "https://d.example/h", "event", "pending", now);
	id_hostile = outbox_insert(f.s, "ev\nil\033[2J", "customer", "webhook", "https://e.example/\r\nX: y",
				   "event", "pending", now);
	outbox_add_event(f.s, id_failed, 11);
	outbox_add_event(f.s, id_failed, 12);
	outbox_add_event(f.s, id_dead, 13);
	deliver(id_sent, DELIVER_OK, 200, "", 86400000);
	deliver(id_failed, DELIVER_FAILED, 550, "mailbox unavailable", 86400000);
	deliver(id_retrying, DELIVER_RETRY, 503, "HTTP 503", 86400000);
	deliver(id_dead, DELIVER_RETRY, 502, "HTTP 502", 0);
	outbox_dead_letter(f.s, id_dead, "https://admin.example/dl", "root@example.org");
}

/* the JSON object of row id in out, or NULL (jsonp_free) */
static struct jnode *
row_json(const char *out, int64_t id)
{
	char want[32];
	int i;

	snprintf(want, sizeof(want), "%lld", (long long)id);
	for (i = 0;; i++) {
		struct jnode *j = fx_json_line(out, i);

		if (j == NULL)
			return NULL;
		if (t_streq(fx_jstr(j, "id"), want))
			return j;
		jsonp_free(j);
	}
}

static void
test_empty(void)
{
	struct fx_run r;

	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", NULL), 0);
	T_CHECK(fx_has(r.out, "ID  STATE") && fx_has(r.out, "(the outbox is empty)\n"), "out: %s", r.out);
	T_EQ_STR(r.err, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "--json", NULL), 0);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", "--all", NULL), EXIT_FINDINGS);
	T_CHECK(fx_has(r.err, "nothing to retry"), "stderr: %s", r.err);
	fx_run_free(&r);
}

static void
test_list(void)
{
	struct fx_run r;
	struct jnode *j;

	make_rows();
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", NULL), 0);
	/* header, failed, retrying, dead, hostile, two dead letters; not the sent */
	T_EQ_INT(fx_count_lines(r.out, ""), 7);
	T_EQ_INT(fx_count_lines(r.out, "alice"), 0);
	T_EQ_INT(fx_count_lines(r.out, " failed "), 1);
	T_CHECK(fx_has(r.out, "mailbox unavailable"), "out: %s", r.out);
	T_EQ_INT(fx_count_lines(r.out, " retrying "), 1);
	T_EQ_INT(fx_count_lines(r.out, " dead "), 1);
	T_EQ_INT(fx_count_lines(r.out, "dead-letter"), 2);
	T_EQ_INT(fx_count_lines(r.out, "(admin)"), 2);
	/* a tenant's bytes never reach the terminal raw */
	T_CHECK(fx_has(r.out, "ev\\nil\\x1b[2J") && fx_has(r.out, "https://e.example/\\r\\nX: y"), "out: %s",
		r.out);
	T_OK(!fx_has(r.out, "\033") && !fx_has(r.out, "\r"));
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "--all", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 8);
	T_EQ_INT(fx_count_lines(r.out, " sent "), 1);
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "--json", "--all", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 7);
	j = row_json(r.out, id_sent);
	T_EQ_STR(fx_jstr(j, "state"), "sent");
	T_EQ_STR(fx_jstr(j, "customer"), "alice");
	T_EQ_STR(fx_jstr(j, "last_status"), "200");
	T_OK(fx_jstr(j, "sent") != NULL);
	T_EQ_STR(fx_jstr(j, "attempts"), "1");
	jsonp_free(j);
	j = row_json(r.out, id_failed);
	T_EQ_STR(fx_jstr(j, "state"), "failed");
	T_EQ_STR(fx_jstr(j, "transport"), "email");
	T_EQ_STR(fx_jstr(j, "destination"), "b@example.org");
	T_EQ_STR(fx_jstr(j, "kind"), "event");
	T_EQ_STR(fx_jstr(j, "route"), "customer");
	T_EQ_STR(fx_jstr(j, "last_status"), "550");
	T_EQ_STR(fx_jstr(j, "last_error"), "mailbox unavailable");
	T_EQ_STR(fx_jstr(j, "events"), "2");
	T_OK(fx_jstr(j, "sent") == NULL);
	T_OK(fx_jstr(j, "uid") != NULL && strlen(fx_jstr(j, "uid")) > 8);
	jsonp_free(j);
	j = row_json(r.out, id_retrying);
	T_EQ_STR(fx_jstr(j, "state"), "retrying");
	T_EQ_STR(fx_jstr(j, "kind"), "digest");
	T_OK(fx_jstr(j, "next_attempt") != NULL && strcmp(fx_jstr(j, "next_attempt"), "-") != 0);
	jsonp_free(j);
	j = row_json(r.out, id_dead);
	T_EQ_STR(fx_jstr(j, "state"), "dead");
	T_EQ_STR(fx_jstr(j, "last_error"), "HTTP 502");
	T_EQ_STR(fx_jstr(j, "events"), "1");
	jsonp_free(j);
	j = row_json(r.out, id_hostile + 1); /* the first dead letter */
	T_EQ_STR(fx_jstr(j, "kind"), "dead-letter");
	T_EQ_STR(fx_jstr(j, "route"), "admin");
	T_OK(fx_jstr(j, "customer") == NULL);
	T_EQ_STR(fx_jstr(j, "state"), "pending");
	T_EQ_STR(fx_jstr(j, "destination"), "https://admin.example/dl");
	jsonp_free(j);
	j = row_json(r.out, id_hostile);
	T_EQ_STR(fx_jstr(j, "customer"), "ev\nil\033[2J");
	T_EQ_STR(fx_jstr(j, "destination"), "https://e.example/\r\nX: y");
	T_OK(fx_jstr(j, "last_status") == NULL); /* never tried: null */
	jsonp_free(j);
	fx_run_free(&r);
}

static void
test_retry(void)
{
	char id[32];
	struct fx_run r;
	struct jnode *j;

	snprintf(id, sizeof(id), "%lld", (long long)id_failed);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", id, NULL), 0);
	T_EQ_STR(r.out, "1 notification queued again\n");
	T_CHECK(fx_has(r.err, "wsid is not reachable: they go out when it runs"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "--json", NULL), 0);
	j = row_json(r.out, id_failed);
	T_EQ_STR(fx_jstr(j, "state"), "pending");
	T_OK(fx_jstr(j, "last_error") == NULL);
	jsonp_free(j);
	j = row_json(r.out, id_retrying);
	T_EQ_STR(fx_jstr(j, "state"), "retrying");
	jsonp_free(j);
	fx_run_free(&r);

	/* a row that is pending now, or sent, or none: nothing to retry (exit 1) */
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", id, NULL), EXIT_FINDINGS);
	T_CHECK(fx_has(r.err, "nothing to retry (no such id, or it is not retrying, failed or dead)"),
		"stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	snprintf(id, sizeof(id), "%lld", (long long)id_sent);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", id, NULL), EXIT_FINDINGS);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", "999999", NULL), EXIT_FINDINGS);
	fx_run_free(&r);

	/* --all: the retrying and the dead row */
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", "--all", NULL), 0);
	T_EQ_STR(r.out, "2 notifications queued again\n");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "--all", "--json", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, "\"state\":\"pending\""), 6);
	T_EQ_INT(fx_count_lines(r.out, "\"state\":\"sent\""), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", "--all", NULL), EXIT_FINDINGS);
	fx_run_free(&r);
}

static void
test_usage(void)
{
	static const char *const bad_ids[] = { "0", "-3", "abc", "12x", "", "1\n2" };
	struct fx_run r;
	size_t i;

	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl outbox retry ID|--all"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", "1", "2", NULL), EXIT_USAGE);
	fx_run_free(&r);
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		T_CHECK(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "retry", bad_ids[i], NULL) == EXIT_USAGE,
			"retry '%s'", bad_ids[i]);
		T_CHECK(fx_has(r.err, "give an id or --all"), "stderr: %s", r.err);
		fx_run_free(&r);
	}
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "--bogus", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl outbox [--all] [--json]"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &env, &r, "outbox", "list", NULL), EXIT_USAGE);
	fx_run_free(&r);
}

static void
test_bad_database(void)
{
	struct ctl_env e;
	struct fx_run r;

	fx_ctl_env_bad(&e, &f, sock, false);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &e, &r, "outbox", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &e, &r, "outbox", "retry", "--all", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(access(fx_path(&f, "none"), F_OK) != 0);
	fx_ctl_env_bad(&e, &f, sock, true);
	T_EQ_INT(fx_ctl_run(ctl_outbox, &e, &r, "outbox", "--json", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "junk.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	fx_ctl_env_db(&env, f.db, sock);
}

static void
test_notify(void)
{
	struct fx_run r;
	char first[128];

	T_EQ_INT(fx_ctl_run(ctl_notify, &env, &r, "notify", "secret", NULL), 0);
	T_CHECK(strncmp(r.out, "whsec_", 6) == 0 && fx_count_lines(r.out, "") == 1, "out: %s", r.out);
	snprintf(first, sizeof(first), "%s", r.out);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_notify, &env, &r, "notify", "secret", NULL), 0);
	T_CHECK(strcmp(first, r.out) != 0, "the same secret twice: %s", first);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_notify, &env, &r, "notify", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl notify test"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_notify, &env, &r, "notify", "test", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_notify, &env, &r, "notify", "test", "a\nb", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "not a customer name"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_notify, &env, &r, "notify", "test", "--no-wait", "alice", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "is wsid running?") && fx_has(r.err, sock), "stderr: %s", r.err);
	fx_run_free(&r);
}

int
main(void)
{
	if (fx_open(&f, "ctloutbox") < 0)
		return 1;
	snprintf(sock, sizeof(sock), "%s", fx_path(&f, "control"));
	fx_ctl_env_db(&env, f.db, sock);
	T_RUN(test_empty);
	T_RUN(test_list);
	T_RUN(test_retry);
	T_RUN(test_usage);
	T_RUN(test_bad_database);
	T_RUN(test_notify);
	fx_close(&f);
	T_DONE();
}
