// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl outbox and notify; see ctlverbs.h. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlclient.h"
#include "ctlverbs.h"
#include "eventfmt.h"
#include "json.h"
#include "outbox.h"
#include "store.h"
#include "util.h"
#include "whsig.h"

static void
ms_time(int64_t ms, char *out, size_t sz)
{
	if (ms <= 0)
		snprintf(out, sz, "-");
	else
		eventfmt_time(ms * 1000000, out, sz);
}

struct list_ctx {
	const struct ctl_env *env;
	size_t n;
};

static int
list_row(void *ud, const struct outbox_listed *r)
{
	struct list_ctx *c = ud;
	char created[32], next[32], sent[32];
	const char *t = r->customer;

	ms_time(r->created_at, created, sizeof(created));
	ms_time(r->next_at, next, sizeof(next));
	ms_time(r->sent_at, sent, sizeof(sent));
	c->n++;
	if (c->env->json) {
		struct buf b;
		struct json j;

		buf_init(&b, 1 << 20);
		json_init(&j, &b);
		json_obj_begin(&j);
		json_kv_int(&j, "id", r->id);
		json_kv_str(&j, "uid", r->uid);
		json_kv_str(&j, "state", r->state);
		json_kv_str(&j, "kind", r->kind);
		json_kv_str(&j, "customer", t && *t ? t : NULL);
		json_kv_str(&j, "route", r->route);
		json_kv_str(&j, "transport", r->transport);
		json_kv_str(&j, "destination", r->destination);
		json_kv_int(&j, "attempts", r->attempts);
		json_kv_str(&j, "created", created);
		json_kv_str(&j, "next_attempt", next);
		json_kv_str(&j, "sent", r->sent ? sent : NULL);
		json_key(&j, "last_status");
		if (!r->has_status)
			json_null(&j);
		else
			json_int(&j, r->last_status);
		json_kv_str(&j, "last_error", r->last_error);
		json_kv_int(&j, "events", r->nevents);
		json_obj_end(&j);
		printf("%s\n", b.data);
		buf_free(&b);
	} else {
		printf("%6lld  %-9s %-11s %-10s %-8s %-36.36s %4lld  %-20s %s\n", (long long)r->id, r->state,
		       r->kind, t && *t ? esc_name(t) : "(admin)", r->transport, esc_name(r->destination),
		       (long long)r->attempts, next, r->last_error ? esc_name(r->last_error) : "");
	}
	return 0;
}

static int
outbox_list(const struct ctl_env *env, bool all)
{
	struct list_ctx c = { env, 0 };
	struct store *s;
	char err[1024];
	int r;

	if (store_open(env->db, STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	if (!env->json)
		printf("%6s  %-9s %-11s %-10s %-8s %-36s %4s  %-20s %s\n", "ID", "STATE", "KIND", "CUSTOMER",
		       "VIA", "TO", "TRY", "NEXT", "LAST ERROR");
	r = outbox_rows(s, all, list_row, &c);
	store_close(s);
	if (r < 0)
		return EXIT_ERROR;
	if (!env->json && c.n == 0)
		printf("(the outbox is empty)\n");
	return 0;
}

/* a retried notification starts a new TTL */
static int
outbox_retry(const struct ctl_env *env, const char *which)
{
	struct store *s;
	char err[1024], *reply = NULL;
	bool all = strcmp(which, "--all") == 0;
	int64_t id = 0;
	int changed;

	if (!all) {
		char *end;

		id = strtoll(which, &end, 10);
		if (*end || id <= 0) {
			fprintf(stderr, "wsidctl outbox retry: give an id or --all\n");
			return EXIT_USAGE;
		}
	}
	if (store_open(env->db, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	changed = outbox_requeue_failed(s, all, id, now_real_ns() / 1000000);
	if (changed < 0) {
		store_close(s);
		return EXIT_ERROR;
	}
	store_close(s);
	if (changed == 0) {
		fprintf(stderr, "wsidctl outbox retry: nothing to retry%s\n",
			all ? "" : " (no such id, or it is not retrying, failed or dead)");
		return EXIT_FINDINGS;
	}
	printf("%d notification%s queued again\n", changed, changed == 1 ? "" : "s");
	if (ctlclient_call(env->socket, "outbox-kick", NULL, 5000, &reply) < 0)
		fprintf(stderr, "wsidctl: wsid is not reachable: they go out when it runs\n");
	free(reply);
	return 0;
}

int
ctl_outbox(int argc, char **argv, const struct ctl_env *env)
{
	struct ctl_env e = *env;
	bool all = false;
	int i;

	if (argc >= 2 && strcmp(argv[1], "retry") == 0) {
		if (argc != 3) {
			fprintf(stderr, "usage: wsidctl outbox retry ID|--all\n");
			return EXIT_USAGE;
		}
		return outbox_retry(env, argv[2]);
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			e.json = true;
		else if (strcmp(argv[i], "--all") == 0)
			all = true;
		else {
			fprintf(stderr, "usage: wsidctl outbox [--all] [--json] | outbox retry ID|--all\n");
			return EXIT_USAGE;
		}
	}
	return outbox_list(&e, all);
}

#define TEST_WAIT_MS 90000 /* a route's 30 s timeout, a connect, a retry's start */

struct test_ctx {
	bool all_sent;
};

static int
test_row(void *ud, const struct outbox_listed *r)
{
	struct test_ctx *c = ud;
	const char *tr = r->transport, *to = r->destination, *st = r->state, *why = r->last_error;

	if (strcmp(st, "sent") == 0) {
		printf("%s %s: delivered\n", tr, esc_name(to));
		return 0;
	}
	c->all_sent = false;
	if (r->attempts == 0)
		fprintf(stderr, "%s %s: not tried within %d s (outbox %lld, %s)\n", tr, esc_name(to),
			TEST_WAIT_MS / 1000, (long long)r->id, st);
	else
		fprintf(stderr, "%s %s: %s (%s; wsidctl outbox)\n", tr, esc_name(to), why ? esc_name(why) : "no answer",
			strcmp(st, "retrying") == 0 ? "retried later" : st);
	return 0;
}

/* waits until each test message of customer (outbox ids first..last) is
 * delivered or has failed an attempt; prints one line per route and returns
 * 0 when all were delivered */
static int
test_wait(const struct ctl_env *env, const char *customer, int64_t first, int64_t last)
{
	struct store *s;
	char err[1024];
	int waited, rc = EXIT_ERROR;

	if (store_open(env->db, STORE_RDONLY, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl notify test: queued, but the outcome cannot be followed: %s "
			"(--config or --db names the daemon's database; --no-wait only queues)\n", err);
		return EXIT_ERROR;
	}
	for (waited = 0; waited <= TEST_WAIT_MS; waited += 200) {
		int64_t n = 0, sent = 0, bad = 0;

		if (outbox_test_count(s, first, last, customer, &n, &sent, &bad) < 0)
			goto out;
		if (n > 0 && sent + bad == n)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000000L }, NULL);
	}
	{
		struct test_ctx c = { true };

		if (outbox_test_rows(s, first, last, customer, test_row, &c) == -EIO && c.all_sent)
			goto out;
		rc = c.all_sent ? 0 : EXIT_ERROR;
	}
out:
	store_close(s);
	return rc;
}

int
ctl_notify(int argc, char **argv, const struct ctl_env *env)
{
	char *reply = NULL, v[32], e[512];
	bool wait = true;
	int r;

	if (argc == 2 && strcmp(argv[1], "secret") == 0) {
		/* a fresh webhook secret for a route and its receiver */
		char sec[128];

		if (sodium_init() < 0 || whsig_secret_new(sec, sizeof(sec)) < 0) {
			fprintf(stderr, "wsidctl notify secret: no random bytes\n");
			return EXIT_ERROR;
		}
		printf("%s\n", sec);
		sodium_memzero(sec, sizeof(sec));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "test") == 0 && strcmp(argv[2], "--no-wait") == 0) {
		wait = false;
		argv[2] = argv[3];
		argc = 3;
	} else if (argc == 4 && strcmp(argv[1], "test") == 0 && strcmp(argv[3], "--no-wait") == 0) {
		wait = false;
		argc = 3;
	}
	if (argc != 3 || strcmp(argv[1], "test") != 0) {
		fprintf(stderr, "usage: wsidctl notify test [--no-wait] CUSTOMER | wsidctl notify secret\n");
		return EXIT_USAGE;
	}
	if (strlen(argv[2]) > 200 || strpbrk(argv[2], " \t\r\n")) {
		fprintf(stderr, "wsidctl notify test: not a customer name\n");
		return EXIT_USAGE;
	}
	r = ctlclient_call(env->socket, "notify-test", argv[2], 10000, &reply);
	if (r < 0) {
		fprintf(stderr, "wsidctl notify: %s: %s (is wsid running?)\n", env->socket, strerror(-r));
		return EXIT_ERROR;
	}
	if (json_field(reply, "queued", v, sizeof(v))) {
		char a[32] = "0", b[32] = "0";

		json_field(reply, "first", a, sizeof(a));
		json_field(reply, "last", b, sizeof(b));
		free(reply);
		if (!wait || strtoll(a, NULL, 10) <= 0) {
			printf("%s test message%s queued for %s\n", v, strcmp(v, "1") == 0 ? "" : "s",
			       esc_name(argv[2]));
			return 0;
		}
		return test_wait(env, argv[2], strtoll(a, NULL, 10), strtoll(b, NULL, 10));
	}
	fprintf(stderr, "wsidctl notify test: %s\n", json_field(reply, "error", e, sizeof(e)) ? e : reply);
	free(reply);
	return EXIT_ERROR;
}
