// SPDX-License-Identifier: GPL-2.0-or-later
/* config: every error names file:line:column; patterns; ignore globs; drop-ins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "t.h"

static int
load(const char *text, struct config **c, char *err, size_t n)
{
	return config_load_string(text, strlen(text), "c.yaml", c, err, n);
}

static void
expect_err(const char *text, const char *want)
{
	struct config *c = NULL;
	char err[1024] = "";
	int r = load(text, &c, err, sizeof(err));

	T_CHECK(r < 0 && strstr(err, want) != NULL, "got %d '%s', want '%s'", r, err, want);
	config_free(c);
}

static void
test_errors(void)
{
	expect_err("databse: /x\n", "c.yaml:1:1: top level: unknown key 'databse'");
	expect_err("database: rel/path\n", "c.yaml:1:11: database: expected an absolute path");
	expect_err("webspaces: 5\n", "c.yaml:1:12: webspaces: expected a list, got a scalar");
	expect_err("webspaces:\n  - pattern: /srv/www\n", "c.yaml:2:14: webspaces: pattern needs one {customer}");
	expect_err("max_file_size: big\n", "c.yaml:1:16: max_file_size: expected a size");
	expect_err("reconcile_interval: 3 weeks\n", "c.yaml:1:21: reconcile_interval: expected a duration");
	expect_err("customers:\n  a:\n    email: 'x@y>z'\n", "not an address");
	expect_err("customers:\n  a:\n    webhook: ftp://x\n", "url must start with http:// or https://");
	expect_err("database: /a\ndatabase: /b\n", "c.yaml:2:1: top level: duplicate key 'database'");
	expect_err("a: [1, 2\n", "c.yaml:2:1: YAML:");
	expect_err("x: &a [1]\ny: *a\n", "aliases");
	expect_err("severity:\n  tampered: loud\n", "expected info, notice, warning or critical");
	expect_err("database: /var/www/vhosts/x/httpdocs/db\nwebspaces:\n  - pattern: /var/www/vhosts/{customer}/httpdocs\n",
		   "lies under the webspace");
	expect_err("log_level: chatty\n", "c.yaml:1:12: log_level");
}

static bool
mkdirs(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	return system(cmd) == 0;
}

static void
test_full(void)
{
	const char *t = "database: /var/lib/wsid/x.db\n"
			"webspaces:\n"
			"  - pattern: /var/www/vhosts/{customer}/httpdocs\n"
			"  - /home/{customer}/public_html\n"
			"  - path: /srv/shop\n"
			"    customer: acme\n"
			"debounce: {close_write: 50ms, modify: 2s}\n"
			"ignore:\n  paths: ['wp-content/cache/**', '**/node_modules/**', '*.log']\n"
			"severity: {new: notice}\n"
			"customers:\n  alice:\n    email: [a@x.org, b@x.org]\n    severity: {new: warning}\n";
	struct config *c = NULL;
	char err[1024], cust[64];
	size_t rl;

	T_CHECK(load(t, &c, err, sizeof(err)) == 0, "%s", err);
	if (c == NULL)
		return;
	T_EQ_INT(c->nwebspaces, 3);
	T_EQ_INT(c->debounce_close_write_ms, 50);
	T_EQ_INT(c->debounce_modify_ms, 2000);
	T_EQ_INT(config_webspace_match(c, "/var/www/vhosts/bob/httpdocs/wp/a.php", cust, sizeof(cust), &rl), 1);
	T_EQ_STR(cust, "bob");
	T_EQ_INT(rl, strlen("/var/www/vhosts/bob/httpdocs"));
	T_EQ_INT(config_webspace_match(c, "/var/www/vhosts/bob/other/a.php", cust, sizeof(cust), &rl), 0);
	T_EQ_INT(config_webspace_match(c, "/home/carol/public_html", cust, sizeof(cust), &rl), 1);
	T_EQ_STR(cust, "carol");
	T_EQ_INT(config_webspace_match(c, "/srv/shop/x", cust, sizeof(cust), &rl), 1);
	T_EQ_STR(cust, "acme");
	T_EQ_INT(config_webspace_match(c, "/srv/shopping/x", cust, sizeof(cust), &rl), 0);
	T_OK(config_ignored(c, "wp-content/cache/a/b.html"));
	T_OK(config_ignored(c, "wp-content/cache/"));
	T_OK(config_ignored(c, "x/y/node_modules/z/q.js"));
	T_OK(config_ignored(c, "error.log"));
	T_OK(!config_ignored(c, "logs/error.log"));
	T_OK(!config_ignored(c, "wp-content/uploads/a.php"));
	T_EQ_INT(config_severity_for(c, "new", "alice", 0), 2);
	T_EQ_INT(config_severity_for(c, "new", "bob", 0), 1);
	T_EQ_INT(config_severity_for(c, "tampered", "bob", 2), 2);
	T_EQ_INT(c->customers[0].route.nemails, 2);
	config_free(c);
}

/* analysis: enabled by default with our rules; the keys, their errors */
static void
test_analysis(void)
{
	struct config *c = NULL;
	char err[512] = "";

	T_EQ_INT(load("database: /x.db\n", &c, err, sizeof(err)), 0);
	T_OK(c->analysis_enabled);
	T_EQ_INT(c->nanalysis_rules, 1);
	T_OK(strstr(c->analysis_rules[0], "/rules/*.yar") != NULL);
	T_OK(c->analysis_max_size == 4ull << 20);
	config_free(c);
	c = NULL;
	T_EQ_INT(load("analysis:\n  enabled: false\n  max_size: 1m\n  rules: [/a/*.yar, /b/x.yar]\n", &c, err,
		      sizeof(err)),
		 0);
	T_OK(!c->analysis_enabled);
	T_OK(c->analysis_max_size == 1ull << 20);
	T_EQ_INT(c->nanalysis_rules, 2);
	T_EQ_STR(c->analysis_rules[1], "/b/x.yar");
	config_free(c);
	expect_err("analysis:\n  max_size: 0\n", "c.yaml:2:13: analysis.max_size: at least 1 byte");
	expect_err("analysis:\n  rule: [x]\n", "c.yaml:2:3: analysis: unknown key 'rule'");
	expect_err("analysis:\n  enabled: perhaps\n", "c.yaml:2:12: analysis.enabled");
	expect_err("analysis:\n  severity: {Exec Of Input: info}\n", "'Exec Of Input' is not a finding class");
	expect_err("analysis:\n  severity: {exec-of-input: loud}\n", "expected info, notice, warning or critical");
	T_EQ_INT(load("analysis:\n  severity: {shell-recon: info, local_rule: critical}\n", &c, err, sizeof(err)), 0);
	T_EQ_INT(c->nanalysis_severity, 2);
	T_EQ_STR(c->analysis_severity[1].verdict, "local_rule");
	T_EQ_INT(c->analysis_severity[1].severity, 3);
	config_free(c);
}

static void
test_units(void)
{
	uint64_t v;

	T_OK(config_parse_duration("90s", &v) == 0 && v == 90000);
	T_OK(config_parse_duration("1d", &v) == 0 && v == 86400000);
	T_OK(config_parse_duration("250ms", &v) == 0 && v == 250);
	T_OK(config_parse_duration("99999999999999999999d", &v) < 0);
	T_OK(config_parse_size("16M", &v) == 0 && v == 16u << 20);
	T_OK(config_parse_size("1GiB", &v) == 0 && v == 1u << 30);
	T_OK(config_parse_size("-1", &v) < 0);
	T_OK(config_parse_size("999999999999T", &v) < 0);
	T_OK(config_glob_match("a/**/b", "a/b"));
	T_OK(config_glob_match("a/**/b", "a/x/y/b"));
	T_OK(!config_glob_match("a/*/b", "a/x/y/b"));
	T_OK(config_glob_match("**", "anything/at/all"));
	/* patterns that make a backtracking matcher exponential finish at once
	 * and still answer right */
	{
		char g[400], p[300];

		memset(g, 0, sizeof(g));
		for (int i = 0; i < 60; i++)
			strcat(g, "a*");
		strcat(g, "b");
		memset(p, 'a', 250);
		p[250] = '\0';
		T_OK(!config_glob_match(g, p));
		p[249] = 'b';
		T_OK(config_glob_match(g, p));
		memset(g, '*', 300);
		g[300] = 'x';
		g[301] = '\0';
		T_OK(!config_glob_match(g, "wp-content/cache/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/y"));
		T_OK(config_glob_match(g, "wp-content/cache/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/x"));
	}
}

static void
test_dropins(void)
{
	char dir[] = "/tmp/wsid-cfg.XXXXXX", path[256], err[1024];
	struct config *c = NULL;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/customers.d", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/customers.d/10-bob.yaml", dir);
	f = fopen(path, "w");
	fputs("bob:\n  email: bob@example.org\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/customers.d/20-dup.yaml", dir);
	f = fopen(path, "w");
	fputs("customers:\n  carol: {email: c@example.org}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/wsid.yaml", dir);
	f = fopen(path, "w");
	fprintf(f, "customers_dir: %s/customers.d\ncustomers:\n  alice: {email: a@example.org}\n", dir);
	fclose(f);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	T_OK(c && config_customer_find(c, "bob") && config_customer_find(c, "carol") &&
	     config_customer_find(c, "alice"));
	config_free(c);
	c = NULL;
	snprintf(path, sizeof(path), "%s/customers.d/30-again.yaml", dir);
	f = fopen(path, "w");
	fputs("alice: {email: evil@example.org}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/wsid.yaml", dir);
	T_OK(config_load(path, &c, err, sizeof(err)) < 0 && strstr(err, "30-again.yaml:1:1") &&
	     strstr(err, "'alice' is already defined in"));
	config_free(c);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return;
}

static void
test_metrics(void)
{
	struct config *c = NULL;
	char err[1024] = "", dir[] = "/tmp/wsid-cfg-m.XXXXXX", text[512];

	expect_err("metrics:\n  textfile: wsid.prom\n", "c.yaml:2:13: metrics.textfile: expected an absolute path");
	expect_err("metrics:\n  textfile: /var/lib/prometheus/node-exporter/wsid.txt\n",
		   "c.yaml:2:13: metrics.textfile: expected a file name ending in .prom");
	expect_err("metrics:\n  textfile: /x/\n", "c.yaml:2:13: metrics.textfile: expected a file name");
	expect_err("metrics:\n  interval: 500ms\n", "c.yaml:2:13: metrics.interval: expected 1s to 1h");
	expect_err("metrics:\n  interval: 2h\n", "c.yaml:2:13: metrics.interval: expected 1s to 1h");
	expect_err("metrics:\n  interval: often\n", "c.yaml:2:13: metrics.interval: expected a duration");
	expect_err("metrics:\n  textfile: /srv/a/b/w.prom\n  bogus: 1\n", "c.yaml:3:3: metrics: unknown key 'bogus'");
	expect_err("metrics:\n  textfile: /var/www/vhosts/x/httpdocs/w.prom\nwebspaces:\n"
		   "  - pattern: /var/www/vhosts/{customer}/httpdocs\n",
		   "c.yaml:2:13: metrics.textfile: /var/www/vhosts/x/httpdocs/w.prom lies under the webspace");
	/* defaults: no textfile, every 15 s */
	T_OK(load("{}\n", &c, err, sizeof(err)) == 0 && c->metrics_textfile == NULL &&
	     c->metrics_interval_ms == 15000);
	T_OK(c && config_check_host(c, err, sizeof(err)) == 0);
	config_free(c);
	c = NULL;
	/* the directory must exist where the daemon runs */
	T_OK(mkdtemp(dir) != NULL);
	snprintf(text, sizeof(text), "metrics:\n  interval: 1h\n  textfile: %s/no/wsid.prom\n", dir);
	T_OK(load(text, &c, err, sizeof(err)) == 0 && c->metrics_interval_ms == 3600000);
	T_CHECK(c && config_check_host(c, err, sizeof(err)) == -ENOENT &&
		strstr(err, "c.yaml:3:13: metrics.textfile: its directory") &&
		strstr(err, "No such file or directory"), "%s", err);
	config_free(c);
	c = NULL;
	snprintf(text, sizeof(text), "metrics:\n  textfile: %s/wsid.prom\n", dir);
	T_OK(load(text, &c, err, sizeof(err)) == 0);
	T_CHECK(c && config_check_host(c, err, sizeof(err)) == 0, "%s", err);
	snprintf(text, sizeof(text), "%s/wsid.prom", dir);
	T_OK(mkdir(text, 0700) == 0);
	T_OK(c && config_check_host(c, err, sizeof(err)) == -EISDIR && strstr(err, "is a directory"));
	rmdir(text);
	rmdir(dir);
	config_free(c);
}

/* webhook secrets (a route without one is an error unless unsigned: true) and
 * the notify keys */
static void
test_notify_keys(void)
{
	struct config *c = NULL;
	char err[1024] = "";

	expect_err("customers:\n  a:\n    webhook: http://h/x\n",
		   "c.yaml:3:14: webhook: no secret: add 'secret: ...'");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x'}\n", "c.yaml:3:14: webhook: no secret");
	expect_err("notify:\n  admin:\n    webhook:\n      url: http://h/x\n", "c.yaml:4:7: webhook: no secret");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: ''}\n",
		   "c.yaml:3:42: webhook.secret: empty");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: s, unsigned: true}\n",
		   "a secret and 'unsigned: true': choose one");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', unsigned: maybe}\n",
		   "c.yaml:3:44: webhook.unsigned: expected true or false");
	/* notify.smtp.tls: by the relay unless said; ca_file */
	T_CHECK(load("notify:\n  smtp: {url: 'smtp://127.0.0.1:25'}\n", &c, err, sizeof(err)) == 0, "%s", err);
	T_OK(c && config_smtp_tls(c) == CONFIG_TLS_OPPORTUNISTIC);
	config_free(c);
	c = NULL;
	T_CHECK(load("notify:\n  smtp: {url: 'smtp://relay.example:587', tls: opportunistic, ca_file: /etc/ca.pem}\n",
		     &c, err, sizeof(err)) == 0, "%s", err);
	T_OK(c && config_smtp_tls(c) == CONFIG_TLS_OPPORTUNISTIC && t_streq(c->smtp_ca_file, "/etc/ca.pem"));
	config_free(c);
	c = NULL;
	T_CHECK(load("notify:\n  smtp: {url: 'smtp://relay.example:587'}\n", &c, err, sizeof(err)) == 0, "%s", err);
	T_OK(c && config_smtp_tls(c) == CONFIG_TLS_VERIFY);
	config_free(c);
	c = NULL;
	T_CHECK(load("notify:\n  smtp: {url: 'smtps://127.0.0.1:465'}\n", &c, err, sizeof(err)) == 0, "%s", err);
	T_OK(c && config_smtp_tls(c) == CONFIG_TLS_VERIFY);
	config_free(c);
	c = NULL;
	expect_err("notify:\n  smtp: {url: 'smtp://h', tls: maybe}\n",
		   "c.yaml:2:32: smtp.tls: expected verify, opportunistic or none, got 'maybe'");
	expect_err("notify:\n  smtp: {url: 'smtps://h', tls: none}\n", "smtp.tls: none with an smtps:// url");
	expect_err("notify:\n  smtp: {url: 'smtp://h', ca_file: rel.pem}\n", "smtp.ca_file: expected an absolute path");
	T_OK(config_url_loopback("smtp://127.0.0.1:25") && config_url_loopback("smtp://127.1.2.3") &&
	     config_url_loopback("smtp://localhost") && config_url_loopback("smtp://[::1]:25") &&
	     config_url_loopback("smtp://u:p@127.0.0.1:25/x"));
	T_OK(!config_url_loopback("smtp://127.0.0.1.evil.example:25") && !config_url_loopback("smtp://relay:25") &&
	     !config_url_loopback("smtp://localhost.example") && !config_url_loopback("smtp://127.0.0.256") &&
	     !config_url_loopback("smtp://[::2]:25") && !config_url_loopback("smtp://evil@x@127.0.0.1"));
	/* whsec_ secrets decode to 24..64 bytes; rotation and GitHub's header */
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: whsec_AAAA}\n",
		   "c.yaml:3:42: webhook.secret: a whsec_ secret must be base64 of 24 to 64 bytes");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: k, previous_secret: 'whsec_%%'}\n",
		   "c.yaml:3:62: webhook.previous_secret: a whsec_ secret must be base64");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', unsigned: true, previous_secret: k}\n",
		   "previous_secret without a secret");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: k, github_signature: true, "
		   "legacy_signature: true}\n", "github_signature and legacy_signature both set");
	expect_err("customers:\n  a:\n    webhook: {url: 'http://h/x', unsigned: true, github_signature: true}\n",
		   "github_signature needs a secret");
	T_CHECK(load("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, "
		     "previous_secret: old, github_signature: true}\n", &c, err, sizeof(err)) == 0, "%s", err);
	T_OK(c && t_streq(c->customers[0].route.webhook.previous_secret, "old") &&
	     c->customers[0].route.webhook.github_signature && !c->customers[0].route.webhook.legacy_signature);
	config_free(c);
	c = NULL;
	T_CHECK(load("customers:\n  a:\n    webhook: {url: 'http://h/x', unsigned: true}\n", &c, err,
		     sizeof(err)) == 0, "%s", err);
	T_OK(c && c->customers[0].route.webhook.unsigned_ok && c->customers[0].route.webhook.secret == NULL);
	config_free(c);
	c = NULL;
	T_CHECK(load("customers:\n  a:\n    webhook: {url: 'http://h/x', secret: k}\n", &c, err, sizeof(err)) == 0,
		"%s", err);
	T_OK(c && !c->customers[0].route.webhook.unsigned_ok && t_streq(c->customers[0].route.webhook.secret, "k"));
	/* defaults: the sandbox required, 100 events per customer, 1 MiB */
	T_OK(c && !c->notify_sandbox_optional && c->digest_max_events == 100 && c->notify_max_message == 1u << 20);
	config_free(c);
	c = NULL;
	T_CHECK(load("notify:\n  sandbox: optional\n  digest_max_events: 20\n  max_message_size: 256K\n", &c, err,
		     sizeof(err)) == 0, "%s", err);
	T_OK(c && c->notify_sandbox_optional && c->digest_max_events == 20 && c->notify_max_message == 256u << 10);
	config_free(c);
	expect_err("notify:\n  sandbox: off\n", "c.yaml:2:12: notify.sandbox: expected required or optional");
	expect_err("notify:\n  digest_max_events: 0\n", "c.yaml:2:22: notify.digest_max_events: at least 1");
	expect_err("notify:\n  max_message_size: 1K\n", "c.yaml:2:21: notify.max_message_size: from 64K to 8M");
	expect_err("notify:\n  max_message_size: 9M\n", "c.yaml:2:21: notify.max_message_size: from 64K to 8M");
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

/* files holding secrets: refused when others can read them; any config file
 * refused when others can write it or it is not root's */
static void
test_file_modes(void)
{
	char dir[] = "/tmp/wsid-cfg-s.XXXXXX", path[256], drop[256], text[512], err[1024];
	struct config *c = NULL;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/customers.d", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/wsid.yaml", dir);
	snprintf(text, sizeof(text), "customers_dir: %s/customers.d\nnotify:\n  smtp:\n    password: pw\n", dir);
	write_file(path, text, 0644);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EINVAL && strstr(err, "wsid.yaml:4:15: smtp.password: "
		"a secret in a file readable by others (mode 0644): chmod 600"), "%s", err);
	chmod(path, 0640);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == 0, "0640: %s", err);
	config_free(c);
	c = NULL;
	chmod(path, 0600);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == 0, "0600: %s", err);
	config_free(c);
	c = NULL;
	chmod(path, 0620);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EPERM && strstr(err, "writable by others (mode 0620)"),
		"%s", err);
	chmod(path, 0600);
	/* root's file only (the tests run as root) */
	T_OK(chown(path, 1234, 1234) == 0);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EPERM && strstr(err, "owned by uid 1234, not root"),
		"%s", err);
	T_OK(chown(path, 0, 0) == 0);
	/* without a secret a world-readable file is fine */
	snprintf(text, sizeof(text), "customers_dir: %s/customers.d\n", dir);
	write_file(path, text, 0644);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	config_free(c);
	c = NULL;
	/* a drop-in: the same rules, its own file:line:column */
	snprintf(drop, sizeof(drop), "%s/customers.d/acme.yaml", dir);
	write_file(drop, "acme:\n  webhook: {url: 'https://h/x', secret: k}\n", 0644);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EINVAL && strstr(err, "acme.yaml:2:41: webhook.secret: "
		"a secret in a file readable by others (mode 0644)"), "%s", err);
	chmod(drop, 0600);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	config_free(c);
	c = NULL;
	T_OK(chown(drop, 1234, 0) == 0);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EPERM && strstr(err, "acme.yaml: owned by uid 1234"),
		"%s", err);
	write_file(drop, "acme:\n  email: a@example.org\n", 0666);
	T_OK(chown(drop, 0, 0) == 0);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EPERM && strstr(err, "acme.yaml: writable by others "
		"(mode 0666)"), "%s", err);
	chmod(drop, 0644);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	config_free(c);
	c = NULL;
	/* whoever writes the directory removes customers' routes */
	snprintf(text, sizeof(text), "%s/customers.d", dir);
	chmod(text, 0777);
	T_CHECK(config_load(path, &c, err, sizeof(err)) == -EPERM && strstr(err, "customers.d: writable by others "
		"(mode 0777)"), "%s", err);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	if (system(text) != 0)
		return;
}

/* the directories whose appearance asks for a discovery, and the discovery
 * below one of them (globbing only there, its own name taken literally) */
static char found[8][256];
static size_t nfound;

static void
collect(const char *path, const char *customer)
{
	if (nfound < 8)
		snprintf(found[nfound++], sizeof(found[0]), "%s %s", path, customer);
}

static void
test_discovery(void)
{
	char dir[] = "/tmp/wsid-cfg-d.XXXXXX", text[512], p[512], want[512];
	struct config *c = NULL;
	char err[1024];
	const struct config_webspace *w, *x;

	T_OK(mkdtemp(dir) != NULL);
	snprintf(text, sizeof(text), "webspaces:\n  - %s/vhosts/{customer}/httpdocs\n"
		 "  - path: %s/shop/www\n    customer: acme\n", dir, dir);
	T_CHECK(load(text, &c, err, sizeof(err)) == 0, "%s", err);
	if (c == NULL)
		return;
	w = &c->webspaces[0];
	x = &c->webspaces[1];
	/* on the way to a root, or a root: yes */
	snprintf(p, sizeof(p), "%s", dir);
	T_OK(config_webspace_candidate(w, p) && config_webspace_candidate(x, p));
	snprintf(p, sizeof(p), "%s/vhosts", dir);
	T_OK(config_webspace_candidate(w, p) && !config_webspace_candidate(x, p));
	snprintf(p, sizeof(p), "%s/vhosts/bob", dir);
	T_OK(config_webspace_candidate(w, p));
	snprintf(p, sizeof(p), "%s/vhosts/bob/httpdocs", dir);
	T_OK(config_webspace_candidate(w, p));
	snprintf(p, sizeof(p), "%s/shop", dir);
	T_OK(config_webspace_candidate(x, p) && !config_webspace_candidate(w, p));
	/* elsewhere, below a root, beside one, a hidden customer: no */
	T_OK(!config_webspace_candidate(w, "/tmp/a1/b") && !config_webspace_candidate(x, "/tmp/a1/b"));
	snprintf(p, sizeof(p), "%s/vhosts/bob/junk", dir);
	T_OK(!config_webspace_candidate(w, p));
	snprintf(p, sizeof(p), "%s/vhosts/bob/httpdocs/sub", dir);
	T_OK(!config_webspace_candidate(w, p));
	snprintf(p, sizeof(p), "%s/vhosts/.bob", dir);
	T_OK(!config_webspace_candidate(w, p));
	snprintf(p, sizeof(p), "%s/shop/www/sub", dir);
	T_OK(!config_webspace_candidate(x, p));
	/* discovery below a directory finds only what lies there */
	snprintf(p, sizeof(p), "%s/vhosts/bob/httpdocs", dir);
	T_OK(mkdirs(p));
	snprintf(p, sizeof(p), "%s/vhosts/carol/httpdocs", dir);
	T_OK(mkdirs(p));
	snprintf(p, sizeof(p), "%s/vhosts/[a-z]*/httpdocs", dir); /* a customer's odd name */
	T_OK(mkdirs(p));
	nfound = 0;
	snprintf(p, sizeof(p), "%s/vhosts/bob", dir);
	config_webspace_foreach(w, p, collect);
	snprintf(want, sizeof(want), "%s/vhosts/bob/httpdocs bob", dir);
	T_CHECK(nfound == 1 && strcmp(found[0], want) == 0, "%zu '%s'", nfound, found[0]);
	nfound = 0;
	snprintf(p, sizeof(p), "%s/vhosts/[a-z]*", dir);
	config_webspace_foreach(w, p, collect);
	snprintf(want, sizeof(want), "%s/vhosts/[a-z]*/httpdocs [a-z]*", dir);
	T_CHECK(nfound == 1 && strcmp(found[0], want) == 0, "the name is no glob: %zu '%s'", nfound, found[0]);
	nfound = 0;
	config_webspace_foreach(w, NULL, collect);
	T_EQ_INT(nfound, 3);
	nfound = 0;
	snprintf(p, sizeof(p), "%s/shop", dir);
	config_webspace_foreach(x, p, collect);
	config_webspace_foreach(w, p, collect);
	T_CHECK(nfound == 1 && strstr(found[0], "/shop/www acme"), "%zu '%s'", nfound, found[0]);
	config_free(c);
	snprintf(text, sizeof(text), "rm -rf '%s'", dir);
	T_OK(system(text) == 0);
}

int
main(void)
{
	T_RUN(test_errors);
	T_RUN(test_discovery);
	T_RUN(test_full);
	T_RUN(test_analysis);
	T_RUN(test_units);
	T_RUN(test_dropins);
	T_RUN(test_metrics);
	T_RUN(test_notify_keys);
	T_RUN(test_file_modes);
	T_DONE();
}
