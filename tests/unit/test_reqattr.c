// SPDX-License-Identifier: GPL-2.0-or-later
/* The configuration of the request attribution (php_fpm, access_log) and how
 * it errs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "reqattr.h"
#include "util.h"
#include "t.h"

static int
load(const char *text, struct config **c, char *err, size_t n)
{
	return config_load_string(text, strlen(text), "c.yaml", c, err, n);
}

static void
bad(const char *text, const char *want)
{
	struct config *c = NULL;
	char err[512] = "";

	T_CHECK(load(text, &c, err, sizeof(err)) < 0 && strstr(err, want) != NULL, "%s: got '%s'", want, err);
	config_free(c);
}

int
main(void)
{
	struct config *c = NULL;
	char err[512] = "";

	/* defaults */
	T_EQ_INT(load("database: /tmp/x.db\n", &c, err, sizeof(err)), 0);
	T_OK(c->fpm_discover);
	T_EQ_INT(c->fpm_timeout_ms, 200);
	T_EQ_INT(c->access_log_wait_ms, 2000);
	T_OK(c->access_log == NULL && c->nfpm_pools == 0);
	config_free(c);
	/* everything set */
	T_EQ_INT(load("php_fpm:\n"
		      "  discover: false\n"
		      "  timeout: 150ms\n"
		      "  access_log_wait: 5s\n"
		      "  pools:\n"
		      "    alice: {listen: /run/php/alice.sock}\n"
		      "    bob: {listen: 127.0.0.1:9001, status_path: /fpm-status}\n"
		      "    carol: {status_path: \"\"}\n"
		      "access_log: /var/log/nginx/{customer}.access.log\n"
		      "customers:\n"
		      "  alice:\n"
		      "    access_log: /var/log/nginx/alice-ssl.log\n",
		      &c, err, sizeof(err)),
		 0);
	T_OK(!c->fpm_discover);
	T_EQ_INT(c->fpm_timeout_ms, 150);
	T_EQ_INT(c->access_log_wait_ms, 5000);
	T_EQ_INT(c->nfpm_pools, 3);
	T_EQ_STR(c->fpm_pools[0].name, "alice");
	T_EQ_STR(c->fpm_pools[0].listen, "/run/php/alice.sock");
	T_EQ_STR(c->fpm_pools[0].status_path, "/status");
	T_EQ_STR(c->fpm_pools[1].listen, "127.0.0.1:9001");
	T_EQ_STR(c->fpm_pools[1].status_path, "/fpm-status");
	T_OK(c->fpm_pools[2].listen == NULL && c->fpm_pools[2].status_path == NULL);
	T_EQ_STR(c->access_log, "/var/log/nginx/{customer}.access.log");
	T_EQ_STR(config_customer_find(c, "alice")->access_log, "/var/log/nginx/alice-ssl.log");
	config_free(c);
	/* errors name the key */
	bad("php_fpm:\n  timeout: 1h\n", "php_fpm.timeout: expected 10ms to 5s");
	bad("php_fpm:\n  access_log_wait: 1m\n", "php_fpm.access_log_wait: at most 30s");
	bad("php_fpm:\n  bogus: 1\n", "unknown key 'bogus'");
	bad("php_fpm:\n  pools:\n    a: {listen: alice.sock}\n", "php_fpm.pools.a.listen: /path or HOST:PORT");
	bad("php_fpm:\n  pools:\n    a: {status_path: status}\n", "php_fpm.pools.a.status_path: a path like /status");
	bad("php_fpm:\n  pools:\n    a: {sock: /x}\n", "unknown key 'sock'");
	bad("php_fpm:\n  discover: maybe\n", "php_fpm.discover: expected true or false");
	bad("access_log: logs/{customer}.log\n", "access_log: expected an absolute path");
	bad("customers:\n  alice:\n    access_log: x.log\n", "access_log: expected an absolute path");
	/* the stored request says whether it was running or the worker's last */
	{
		struct reqattr_info in;
		struct buf b;

		memset(&in, 0, sizeof(in));
		in.fpm = in.tied = true;
		snprintf(in.pool, sizeof(in.pool), "alice");
		snprintf(in.method, sizeof(in.method), "POST");
		snprintf(in.uri, sizeof(in.uri), "/quick.php");
		in.started_ns = 1796600000123000000;
		buf_init(&b, 4096);
		reqattr_json(&in, &b);
		T_CHECK(strstr(b.data, "\"state\":\"running\"") != NULL && strstr(b.data, "duration_us") == NULL, "%s",
		     b.data);
		in.finished = true;
		in.duration_us = 412;
		buf_reset(&b);
		reqattr_json(&in, &b);
		T_CHECK(strstr(b.data, "\"state\":\"finished\",\"duration_us\":412") != NULL, "%s", b.data);
		T_CHECK(strstr(b.data, "\"started\":\"2026-12-06T23:33:20.123Z\"") != NULL, "%s", b.data);
		buf_free(&b);
	}
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail != 0;
}
