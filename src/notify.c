// SPDX-License-Identifier: GPL-2.0-or-later
/* Notifications, the daemon's side; see notify.h. */
#include "notify.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "deliver.h"
#include "eventfmt.h"
#include "json.h"
#include "log.h"
#include "util.h"
#include "whsig.h"

#define INFLIGHT_MAX 32
#define REMIND_MS (24ull * 3600 * 1000) /* a finding that persists: once a day at most */
#define SEND_TIMEOUT_S 30

struct notifier {
	struct store *s;
	const struct config *cfg;
	char *self_exe;
	int fd;
	pid_t pid;
	uint64_t respawn_at_ms, restarts;
	uint64_t nsent, nfailed, ndead; /* since start */
	struct buf in, out;
	struct {
		int64_t id;
		char dest[512];
	} inflight[INFLIGHT_MAX];
	size_t ninflight;
	char host[256];
	char sandbox[48];    /* what confines the delivery process (its hello) */
	int child_status;    /* of a delivery process reaped by the tick, else -1 */
	bool connect_failing;
	bool any_route;      /* some route exists: else events need no lookup */
	sqlite3_stmt *q_event;
};

static bool
has_routes(const struct config *c)
{
	size_t i;

	if (c->dflt.nemails || c->dflt.webhook.url || c->admin.nemails || c->admin.webhook.url)
		return true;
	for (i = 0; i < c->ncustomers; i++)
		if (c->customers[i].route.nemails || c->customers[i].route.webhook.url)
			return true;
	return false;
}

static uint64_t
now_ms(void)
{
	return (uint64_t)(now_real_ns() / 1000000);
}

/* ---- pure helpers ---- */

uint64_t
notify_backoff_ms(uint64_t base_ms, int attempts, uint32_t random)
{
	uint64_t d = base_ms ? base_ms : 30000, cap = 3600000;
	int i;

	for (i = 1; i < attempts && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* jitter: 80 % .. 120 % */
	return d * 8 / 10 + (d * 4 / 10) * (random % 1001) / 1000;
}

void
notify_header_value(struct buf *out, const char *s)
{
	size_t n = strlen(s), i;
	bool plain = true;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			plain = false;
	if (plain) {
		buf_append(out, s, n);
		return;
	}
	/* controls become spaces; then the UTF-8 text (escaped where invalid) as
	 * encoded words of at most 45 bytes each */
	{
		struct buf clean;
		size_t off = 0;

		buf_init(&clean, 1 << 16);
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (ch < 0x20 || ch == 0x7f)
				buf_putc(&clean, ' ');
			else
				buf_putc(&clean, (char)ch);
		}
		{
			struct buf esc;

			buf_init(&esc, 1 << 17);
			buf_put_escaped(&esc, clean.data ? clean.data : "", clean.len);
			buf_free(&clean);
			clean = esc;
		}
		while (off < clean.len) {
			size_t k = clean.len - off > 45 ? 45 : clean.len - off;
			char b64[128];

			/* do not split a UTF-8 sequence */
			while (k < clean.len - off && k > 1 && ((unsigned char)clean.data[off + k] & 0xc0) == 0x80)
				k--;
			sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)clean.data + off, k,
					  sodium_base64_VARIANT_ORIGINAL);
			buf_printf(out, "%s=?UTF-8?B?%s?=", off ? "\r\n " : "", b64);
			off += k;
		}
		buf_free(&clean);
	}
}

int64_t
notify_after_quiet(int64_t when_ms, int quiet_from, int quiet_to)
{
	time_t t = (time_t)(when_ms / 1000);
	struct tm tm;
	int m, wait;

	if (quiet_from < 0 || quiet_to < 0)
		return when_ms;
	localtime_r(&t, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	if (quiet_from < quiet_to ? (m >= quiet_from && m < quiet_to)
				  : (m >= quiet_from || m < quiet_to)) {
		wait = (quiet_to - m + 1440) % 1440;
		return (when_ms / 60000 + wait) * 60000;
	}
	return when_ms;
}

/* ---- routes ---- */

struct route {
	const char *name; /* customer, default, admin */
	const struct config_route *r;
};

static size_t
routes_for(const struct config *cfg, const char *customer, struct route out[3])
{
	const struct config_customer *cu = config_customer_find(cfg, customer);
	size_t n = 0;

	if (cu && (cu->route.nemails || cu->route.webhook.url))
		out[n++] = (struct route){ "customer", &cu->route };
	else if (cfg->dflt.nemails || cfg->dflt.webhook.url)
		out[n++] = (struct route){ "default", &cfg->dflt };
	if (cfg->admin.nemails || cfg->admin.webhook.url)
		out[n++] = (struct route){ "admin", &cfg->admin };
	return n;
}

/* a route's addresses as one destination: "a@x,b@y" (into a fresh buffer) */
static void
route_emails(const struct config_route *r, struct buf *to)
{
	size_t k;

	buf_init(to, 1 << 16);
	for (k = 0; k < r->nemails; k++)
		buf_printf(to, "%s%s", k ? "," : "", r->emails[k]);
}

static const struct config_route *
route_by_name(const struct config *cfg, const char *name, const char *customer)
{
	const struct config_customer *cu;

	if (strcmp(name, "admin") == 0)
		return &cfg->admin;
	if (strcmp(name, "default") == 0)
		return &cfg->dflt;
	cu = config_customer_find(cfg, customer);
	return cu ? &cu->route : NULL;
}

static void
new_uid(char out[40])
{
	uint8_t r[16];

	randombytes_buf(r, sizeof(r));
	memcpy(out, "wsid-", 5); /* NOLINT(bugprone-not-null-terminated-result): hex_encode ends it */
	hex_encode(r, sizeof(r), out + 5);
}

static int64_t
outbox_insert(struct notifier *n, const char *customer, const char *route, const char *transport,
	      const char *dest, const char *kind, const char *state, int64_t due)
{
	sqlite3_stmt *q = store_prepare(n->s, "INSERT INTO outbox(uid, created_at, customer, route, transport, "
					      "destination, kind, state, due_at, next_at) "
					      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	char uid[40];
	int64_t id = 0;

	if (q == NULL)
		return 0;
	new_uid(uid);
	sqlite3_bind_text(q, 1, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (int64_t)now_ms());
	sqlite3_bind_text(q, 3, customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, route, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, dest, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, due);
	sqlite3_bind_int64(q, 10, due);
	if (sqlite3_step(q) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(store_db(n->s));
	sqlite3_finalize(q);
	return id;
}

static void
outbox_add_event(struct notifier *n, int64_t oid, int64_t event_id)
{
	sqlite3_stmt *q = store_prepare(n->s, "INSERT OR IGNORE INTO outbox_events(outbox_id, event_id) "
					      "VALUES(?, ?)");

	if (q) {
		sqlite3_bind_int64(q, 1, oid);
		sqlite3_bind_int64(q, 2, event_id);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
	q = store_prepare(n->s, "UPDATE outbox SET nevents=nevents+1 WHERE id=?");
	if (q) {
		sqlite3_bind_int64(q, 1, oid);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
}

/* was this finding told on this route within a day, with the same content? */
static bool
seen_recently(struct notifier *n, int64_t ws, const void *path, int plen, const char *verdict,
	      const char *route, const void *sha, int shalen)
{
	sqlite3_stmt *q = store_prepare(n->s, "SELECT sha256, last_at FROM notified WHERE webspace_id=? AND "
					      "path=? AND verdict=? AND route=?");
	bool seen = false;
	uint64_t now = now_ms();

	if (q == NULL)
		return false;
	sqlite3_bind_int64(q, 1, ws);
	sqlite3_bind_blob(q, 2, path, plen, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, route, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		bool same = sqlite3_column_bytes(q, 0) == shalen &&
			    (shalen == 0 || memcmp(sqlite3_column_blob(q, 0), sha, (size_t)shalen) == 0);

		seen = same && now - (uint64_t)sqlite3_column_int64(q, 1) < REMIND_MS;
	}
	sqlite3_finalize(q);
	if (!seen) {
		q = store_prepare(n->s, "INSERT INTO notified(webspace_id, path, verdict, route, sha256, last_at) "
				       "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET sha256=?5, "
				       "last_at=?6");
		if (q) {
			sqlite3_bind_int64(q, 1, ws);
			sqlite3_bind_blob(q, 2, path, plen, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, verdict, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, route, -1, SQLITE_STATIC);
			if (shalen)
				sqlite3_bind_blob(q, 5, sha, shalen, SQLITE_STATIC);
			else
				sqlite3_bind_null(q, 5);
			sqlite3_bind_int64(q, 6, (int64_t)now);
			sqlite3_step(q);
			sqlite3_finalize(q);
		}
	}
	return seen;
}

static bool
route_event(struct notifier *n, const struct route *rt, const char *customer, int64_t event_id,
	    int sev, const char *transport, const char *dest)
{
	const struct config *cfg = n->cfg;
	const char *who = strcmp(rt->name, "admin") == 0 ? "" : customer;
	sqlite3_stmt *q;
	int64_t oid = 0, now = (int64_t)now_ms();

	if (sev >= SEV_CRITICAL) {
		/* at once, quiet hours or not */
		oid = outbox_insert(n, who, rt->name, transport, dest, "alert", "pending", now);
	} else {
		q = store_prepare(n->s, "SELECT id FROM outbox WHERE state='open' AND customer=? AND route=? "
					"AND transport=? AND destination=?");
		if (q) {
			sqlite3_bind_text(q, 1, who, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, rt->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, transport, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, dest, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW)
				oid = sqlite3_column_int64(q, 0);
			sqlite3_finalize(q);
		}
		if (oid == 0)
			oid = outbox_insert(n, who, rt->name, transport, dest, "digest", "open",
					    notify_after_quiet(now + (int64_t)cfg->digest_interval_ms,
							       rt->r->quiet_from, rt->r->quiet_to));
	}
	if (oid)
		outbox_add_event(n, oid, event_id);
	return oid != 0;
}

bool
notifier_event(struct notifier *n, int64_t event_id)
{
	sqlite3_stmt *q;
	struct route routes[3];
	size_t nr, i;
	char *customer = NULL, *verdict = NULL, *path = NULL, sha[SHA256_LEN];
	int plen = 0, shalen = 0, sev;
	int64_t ws;
	bool aggregate, system, queued = false;

	if (!n->any_route)
		return false; /* nobody to tell: no lookup on the hot path */
	if (n->q_event == NULL)
		n->q_event = store_prepare(n->s, "SELECT customer, webspace_id, path, verdict, severity, "
						 "new_sha256, held, parent_id, nfiles, source FROM events WHERE id=?");
	if ((q = n->q_event) == NULL)
		return false;
	sqlite3_bind_int64(q, 1, event_id);
	if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 6) != 0 ||
	    sqlite3_column_type(q, 7) != SQLITE_NULL) {
		sqlite3_reset(q);
		return false; /* held or a member: its aggregate is what is told */
	}
	customer = xstrdup((const char *)sqlite3_column_text(q, 0));
	ws = sqlite3_column_int64(q, 1);
	plen = sqlite3_column_bytes(q, 2);
	path = xmalloc((size_t)plen + 1);
	memcpy(path, plen ? sqlite3_column_blob(q, 2) : "", (size_t)plen);
	verdict = xstrdup((const char *)sqlite3_column_text(q, 3));
	sev = severity_parse((const char *)sqlite3_column_text(q, 4));
	if (sqlite3_column_bytes(q, 5) == SHA256_LEN) {
		memcpy(sha, sqlite3_column_blob(q, 5), SHA256_LEN);
		shalen = SHA256_LEN;
	}
	aggregate = sqlite3_column_type(q, 8) != SQLITE_NULL;
	/* the daemon's own findings (a webspace root replaced) are the admin's */
	system = sqlite3_column_text(q, 9) && strcmp((const char *)sqlite3_column_text(q, 9), "system") == 0;
	sqlite3_reset(q);
	nr = routes_for(n->cfg, customer, routes);
	for (i = 0; i < nr; i++) {
		int min = routes[i].r->min_severity >= 0 ? routes[i].r->min_severity : SEV_WARNING;

		if (sev < min || (system && strcmp(routes[i].name, "admin") != 0))
			continue;
		/* a finding that persists is told once, reminded daily at most */
		if (!aggregate && seen_recently(n, ws, path, plen, verdict, routes[i].name, sha, shalen))
			continue;
		if (routes[i].r->webhook.url)
			queued |= route_event(n, &routes[i], customer, event_id, sev, "webhook",
					      routes[i].r->webhook.url);
		if (routes[i].r->nemails) {
			struct buf to;

			route_emails(routes[i].r, &to);
			queued |= route_event(n, &routes[i], customer, event_id, sev, "email", to.data);
			buf_free(&to);
		}
	}
	free(customer);
	free(verdict);
	free(path);
	return queued;
}

int
notifier_test(struct notifier *n, const char *customer, int64_t *ret_first, int64_t *ret_last)
{
	struct route routes[3];
	size_t nr = routes_for(n->cfg, customer, routes), i;
	int64_t id, first = 0, last = 0;
	int count = 0;

	if (config_customer_find(n->cfg, customer) == NULL)
		return -ENOENT;
	for (i = 0; i < nr; i++) {
		if (strcmp(routes[i].name, "admin") == 0)
			continue;
		if (routes[i].r->webhook.url &&
		    (id = outbox_insert(n, customer, routes[i].name, "webhook", routes[i].r->webhook.url, "test",
					"pending", (int64_t)now_ms())) > 0) {
			first = first ? first : id;
			last = id;
			count++;
		}
		if (routes[i].r->nemails) {
			struct buf to;

			route_emails(routes[i].r, &to);
			if ((id = outbox_insert(n, customer, routes[i].name, "email", to.data, "test", "pending",
						(int64_t)now_ms())) > 0) {
				first = first ? first : id;
				last = id;
				count++;
			}
			buf_free(&to);
		}
	}
	*ret_first = first;
	*ret_last = last;
	return count;
}

/* ---- templates ---- */

#define TEMPLATE_MAX (64u << 10)

/* DIR/LANGUAGE/NAME, else DIR/NAME, else the built-in text: a regular file of
 * at most 64 KiB, root's and writable by nobody else, never through a symlink
 * (malloc'ed) */
static char *
template_text(const struct notifier *n, const char *lang, const char *name, const char *dflt)
{
	const char *dir = n->cfg->notify_templates;
	char path[4096], why[4600];
	int i;

	for (i = 0; dir && i < 2; i++) {
		char *text;
		size_t len;
		int fd;
		struct stat st;
		ssize_t r;

		if (i == 0 && (lang == NULL || lang[0] == '\0'))
			continue;
		if (i == 0)
			snprintf(path, sizeof(path), "%s/%s/%s", dir, lang, name);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)TEMPLATE_MAX) {
			close(fd);
			log_warnx("notify: template %s: not a regular file of at most 64 KiB: ignored",
				  esc_name(path));
			continue;
		}
		/* what customers read: written by root alone */
		if (config_file_check(path, &st, why, sizeof(why)) < 0) {
			close(fd);
			log_warnx("notify: template refused: %s; ignored", why);
			continue;
		}
		text = xmalloc((size_t)st.st_size + 1);
		len = 0;
		while (len < (size_t)st.st_size && (r = read(fd, text + len, (size_t)st.st_size - len)) > 0)
			len += (size_t)r;
		close(fd);
		text[len] = '\0';
		/* one trailing newline is the file's, not the text's */
		if (len && text[len - 1] == '\n')
			text[--len] = '\0';
		return text;
	}
	return xstrdup(dflt);
}

void
notify_expand(struct buf *out, const char *tmpl, const char *const *vars, size_t nvars, bool crlf)
{
	const char *p = tmpl;

	while (*p) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		bool matched = false;
		size_t k;

		for (k = 0; e && k + 1 < nvars && !matched; k += 2) {
			size_t l = strlen(vars[k]);

			if ((size_t)(e - p - 1) == l && memcmp(p + 1, vars[k], l) == 0) {
				/* values go through the same line ending rule */
				notify_expand(out, vars[k + 1] ? vars[k + 1] : "", NULL, 0, crlf);
				p = e + 1;
				matched = true;
			}
		}
		if (matched)
			continue;
		if (*p == '\n' && crlf)
			buf_puts(out, "\r\n");
		else if (*p != '\r')
			buf_putc(out, *p);
		p++;
	}
}

static const char *
customer_language(const struct notifier *n, const char *customer)
{
	const struct config_customer *cu = customer && *customer ? config_customer_find(n->cfg, customer) : NULL;

	return cu ? cu->language : NULL;
}

/* ---- message bodies ---- */

static const char *
what_to_do(const char *verdict)
{
	static const struct {
		const char *v, *text;
	} t[] = {
		{ "malicious", "The content is known malware. Remove the file, change the passwords of the "
			       "site and its database, and look for how it got there (outdated plugins, "
			       "stolen passwords)." },
		{ "suspicious", "Executable code where none belongs, a typical sign of an uploaded web "
				"shell. If you did not put it there, remove it and update the site." },
		{ "tampered", "A file of the installed release was changed. If you did not change it, "
			      "restore it from the release (or update) and check the site for other "
			      "changes." },
		{ "foreign", "A known file in a place or version where it does not belong." },
		{ "downgrade", "Files of an older release: old releases bring back fixed vulnerabilities. "
			       "Update to the current release." },
		{ "update", "An update: nothing to do if you made it." },
		{ "version-lie", "The version file claims another version than the files are: an attacker "
				 "may hide an outdated installation." },
		{ "deleted", "A file of the release was removed." },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].v, verdict) == 0)
			return t[i].text;
	return NULL;
}

static void
crlf_line(struct buf *b, const char *s, size_t n)
{
	buf_append(b, s, n);
	buf_puts(b, "\r\n");
}

/* the advice for a verdict: the template advice/VERDICT, else built-in */
static char *
advice_for(const struct notifier *n, const char *lang, const char *verdict)
{
	const char *dflt = what_to_do(verdict);
	char name[64], line[1024];

	snprintf(line, sizeof(line), "  What to do: %s\n", dflt ? dflt : "");
	snprintf(name, sizeof(name), "advice/%s", verdict);
	return template_text(n, lang, name, dflt ? line : "");
}

#define EVENT_TEMPLATE \
	"{severity}: {verdict} ({change}, {time})\n  {path}\n  {reason}\n{quarantine}{advice}\n"

/* ---- what a message lists ----
 * A message lists at most notify.digest_max_events events per customer (the
 * most severe first, then the oldest), in id order, and counts the others
 * with the command that lists them all: one tenant's thousands of warnings
 * neither hide another customer's finding in the admin digest nor make a
 * message nobody can read. What is listed is cut into parts of at most
 * notify.max_message_size bytes: the events that do not fit move to a new
 * outbox row (uid "<uid>-p<N>"), built when it is due. */

#define SEV_RANK "CASE ev.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'notice' THEN 1 ELSE 0 END"
#define LISTED_SQL                                                                                 \
	EVENTFMT_SELECT "WHERE e.id IN (SELECT event_id FROM (SELECT oe.event_id, row_number() OVER "     \
			"(PARTITION BY ev.customer ORDER BY " SEV_RANK " DESC, ev.id) AS rn FROM outbox_events " \
			"oe JOIN events ev ON ev.id=oe.event_id WHERE oe.outbox_id=?1) WHERE rn<=?2) ORDER BY e.id"

struct part {
	int num;          /* 1, 2, ... (from the row's uid) */
	size_t limit;     /* bytes of a message, a target the first event may pass */
	size_t reserve;   /* bytes kept for what follows the events */
	size_t listed;    /* events in this part */
	int64_t *rest;    /* listed events that did not fit: the next part's */
	size_t nrest;
	char **omit_customer; /* customers with events not listed, and how many */
	int64_t *omit_count;
	size_t nomit;
	int64_t omitted;
	bool err;         /* an event did not fit its own buffer */
};

static int
uid_part(const char *uid)
{
	const char *p = strstr(uid, "-p");

	return p ? atoi(p + 2) : 1;
}

static sqlite3_stmt *
listed_events(struct notifier *n, int64_t oid)
{
	sqlite3_stmt *q = store_prepare(n->s, LISTED_SQL);

	if (q) {
		sqlite3_bind_int64(q, 1, oid);
		sqlite3_bind_int64(q, 2, n->cfg->digest_max_events ? n->cfg->digest_max_events : 100);
	}
	return q;
}

/* the customers of message oid with more events than are listed */
static void
part_omitted(struct notifier *n, int64_t oid, struct part *p)
{
	sqlite3_stmt *q = store_prepare(n->s, "SELECT ev.customer, count(*) - ?2 FROM outbox_events oe JOIN "
					      "events ev ON ev.id=oe.event_id JOIN webspaces w ON "
					      "w.id=ev.webspace_id WHERE oe.outbox_id=?1 GROUP BY ev.customer "
					      "HAVING count(*) > ?2 ORDER BY ev.customer");

	if (q == NULL)
		return;
	sqlite3_bind_int64(q, 1, oid);
	sqlite3_bind_int64(q, 2, n->cfg->digest_max_events ? n->cfg->digest_max_events : 100);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(q, 0);

		p->omit_customer = xreallocarray(p->omit_customer, p->nomit + 1, sizeof(char *));
		p->omit_count = xreallocarray(p->omit_count, p->nomit + 1, sizeof(int64_t));
		p->omit_customer[p->nomit] = xstrdup(c ? c : "");
		p->omit_count[p->nomit] = sqlite3_column_int64(q, 1);
		p->omitted += p->omit_count[p->nomit];
		/* its line or object, the command included */
		p->reserve += 2 * strlen(p->omit_customer[p->nomit]) + 200;
		p->nomit++;
	}
	sqlite3_finalize(q);
}

static void
part_free(struct part *p)
{
	size_t i;

	for (i = 0; i < p->nomit; i++)
		free(p->omit_customer[i]);
	free(p->omit_customer);
	free(p->omit_count);
	free(p->rest);
}

/* does an event of len bytes join a message of used bytes? The first one
 * always does; once one did not, none after it (the order is kept) */
static bool
part_take(struct part *p, int64_t event_id, size_t used, size_t len)
{
	if (p->nrest == 0 && (p->listed == 0 || used + len + p->reserve <= p->limit)) {
		p->listed++;
		return true;
	}
	p->rest = xreallocarray(p->rest, p->nrest + 1, sizeof(*p->rest));
	p->rest[p->nrest++] = event_id;
	return false;
}

/* the text part: one block per event, names escaped (never a raw control
 * byte in a mail); used: bytes of the message before the body */
static void
text_events(struct notifier *n, int64_t oid, const char *lang, struct buf *body, size_t used,
	    struct part *p, char *first_verdict, size_t fvsz, int *max_sev)
{
	sqlite3_stmt *q = listed_events(n, oid);
	char *tmpl = template_text(n, lang, "event.txt", EVENT_TEMPLATE);
	struct buf path, reason, ev, quar;

	*max_sev = 0;
	if (q == NULL) {
		free(tmpl);
		return;
	}
	buf_init(&path, 1 << 20);
	buf_init(&reason, 1 << 16);
	buf_init(&ev, 4u << 20);
	buf_init(&quar, 1 << 12);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(q, 9);
		const char *verdict = (const char *)sqlite3_column_text(q, 8);
		const char *r = (const char *)sqlite3_column_text(q, 10);
		const char *ws = sqlite3_column_blob(q, 3);
		char ts[32], *advice;
		int s = severity_parse(sev ? sev : "info");
		const char *vars[20];

		if (p->nrest) {
			part_take(p, sqlite3_column_int64(q, 0), 0, 0);
			continue;
		}
		eventfmt_time(sqlite3_column_int64(q, 1), ts, sizeof(ts));
		buf_reset(&path);
		buf_put_escaped(&path, ws ? ws : "", (size_t)sqlite3_column_bytes(q, 3));
		if (sqlite3_column_bytes(q, 4)) {
			buf_putc(&path, '/');
			buf_put_escaped(&path, sqlite3_column_blob(q, 4), (size_t)sqlite3_column_bytes(q, 4));
		}
		buf_reset(&reason);
		if (r)
			buf_put_escaped(&reason, r, strlen(r));
		advice = advice_for(n, lang, verdict ? verdict : "");
		vars[0] = "severity", vars[1] = sev ? sev : "?";
		vars[2] = "verdict", vars[3] = verdict ? verdict : "?";
		vars[4] = "change", vars[5] = (const char *)sqlite3_column_text(q, 6);
		vars[6] = "time", vars[7] = ts;
		vars[8] = "path", vars[9] = path.data ? path.data : "";
		vars[10] = "reason", vars[11] = reason.data ? reason.data : "";
		vars[12] = "advice", vars[13] = advice;
		vars[14] = "product", vars[15] = (const char *)sqlite3_column_text(q, 13);
		vars[16] = "version", vars[17] = (const char *)sqlite3_column_text(q, 14);
		buf_reset(&quar);
		eventfmt_quarantine_text(q, &quar);
		vars[18] = "quarantine", vars[19] = quar.data ? quar.data : "";
		buf_reset(&ev);
		notify_expand(&ev, tmpl, vars, 20, true);
		crlf_line(&ev, "", 0);
		free(advice);
		if (ev.failed || path.failed || reason.failed) {
			p->err = true;
			break;
		}
		if (!part_take(p, sqlite3_column_int64(q, 0), used + body->len, ev.len))
			continue;
		if (s > *max_sev || p->listed == 1) {
			if (s > *max_sev)
				*max_sev = s;
			snprintf(first_verdict, fvsz, "%s", verdict ? verdict : "?");
		}
		buf_append(body, ev.data, ev.len);
	}
	sqlite3_finalize(q);
	buf_free(&path);
	buf_free(&reason);
	buf_free(&ev);
	buf_free(&quar);
	free(tmpl);
}

static void
build_email(struct notifier *n, int64_t oid, const char *uid, const char *kind, const char *customer,
	    const char *dest, struct part *p, struct buf *msg)
{
	const char *lang = customer_language(n, customer);
	const char *who = customer[0] ? customer : "all customers";
	struct buf body, subj;
	char date[64], fv[32] = "", cnt[32], changes[48], *t;
	time_t now = time(NULL);
	struct tm tm;
	int max_sev = 0;
	size_t i, count;
	const char *vars[10];

	buf_init(&body, DELIVER_BODY_MAX);
	buf_init(&subj, 1 << 16);
	if (strcmp(kind, "test") == 0) {
		t = template_text(n, lang, "test.txt", "This is a test message from wsid: this route works.");
		vars[0] = "customer", vars[1] = who;
		notify_expand(&body, t, vars, 2, true);
		crlf_line(&body, "", 0);
		free(t);
		t = template_text(n, lang, "test.subject", "[wsid] test message for {customer}");
		notify_expand(&subj, t, vars, 2, false);
		free(t);
	} else {
		if (strcmp(kind, "dead-letter") == 0) {
			sqlite3_stmt *q = store_prepare(n->s, "SELECT subject FROM outbox WHERE id=?");

			if (q) {
				sqlite3_bind_int64(q, 1, oid);
				if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
					crlf_line(&body, (const char *)sqlite3_column_text(q, 0),
						  (size_t)sqlite3_column_bytes(q, 0));
				sqlite3_finalize(q);
			}
			crlf_line(&body, "", 0);
		}
		/* headers and footer: a few KiB */
		p->reserve += 8192;
		text_events(n, oid, lang, &body, 0, p, fv, sizeof(fv), &max_sev);
		for (i = 0; i < p->nomit; i++)
			buf_printf(&body, "%lld more change%s of %s not listed here (a message lists at most %u "
				   "per customer); your hosting provider lists them all with: wsidctl events "
				   "--customer %s\r\n\r\n", (long long)p->omit_count[i],
				   p->omit_count[i] == 1 ? "" : "s", p->omit_customer[i],
				   n->cfg->digest_max_events, p->omit_customer[i]);
		if (p->nrest)
			buf_printf(&body, "More changes follow in part %d of this message.\r\n\r\n", p->num + 1);
		count = p->listed + (size_t)p->omitted;
		snprintf(cnt, sizeof(cnt), "%zu", count);
		snprintf(changes, sizeof(changes), "%zu change%s", count, count == 1 ? "" : "s");
		vars[0] = "customer", vars[1] = who;
		vars[2] = "severity", vars[3] = severity_name((enum severity)max_sev);
		vars[4] = "verdict", vars[5] = fv;
		vars[6] = "count", vars[7] = cnt;
		vars[8] = "changes", vars[9] = changes;
		t = strcmp(kind, "dead-letter") == 0
			    ? template_text(n, lang, "deadletter.subject", "[wsid] a notification could not be delivered")
			: strcmp(kind, "alert") == 0
			    ? template_text(n, lang, "alert.subject", "[wsid] {customer}: {severity}: {verdict} in your webspace")
			    : template_text(n, lang, "digest.subject",
					    "[wsid] {customer}: {changes} in your webspace ({verdict})");
		notify_expand(&subj, t, vars, 10, false);
		free(t);
		if (p->num > 1 || p->nrest)
			buf_printf(&subj, " (part %d)", p->num);
	}
	t = template_text(n, lang, "footer.txt", "-- \nwsid, the webspace integrity monitor of your hosting provider.");
	notify_expand(&body, t, NULL, 0, true);
	crlf_line(&body, "", 0);
	free(t);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(msg, "Date: %s\r\n", date);
	buf_printf(msg, "Message-ID: <%s@%s>\r\n", uid, n->host);
	buf_puts(msg, "From: ");
	notify_header_value(msg, n->cfg->smtp_from ? n->cfg->smtp_from : "wsid@localhost");
	buf_puts(msg, "\r\nTo: ");
	notify_header_value(msg, dest);
	buf_puts(msg, "\r\nSubject: ");
	notify_header_value(msg, subj.data ? subj.data : "[wsid]");
	buf_printf(msg, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Transfer-Encoding: 8bit\r\nX-Wsid-Notification: %s\r\n"
			"Auto-Submitted: auto-generated\r\n\r\n", uid);
	buf_append(msg, body.data ? body.data : "", body.len);
	if (body.failed || subj.failed)
		p->err = true;
	buf_free(&body);
	buf_free(&subj);
}

static void
build_json(struct notifier *n, int64_t oid, const char *uid, const char *kind, const char *customer,
	   const char *route, struct part *p, struct buf *out)
{
	sqlite3_stmt *q = listed_events(n, oid);
	struct json j, je;
	struct buf ev;
	char ts[32], more[256];
	size_t i;

	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_int(&j, "schema", 1);
	json_kv_str(&j, "id", uid);
	json_kv_str(&j, "kind", kind);
	json_kv_str(&j, "customer", customer[0] ? customer : NULL);
	json_kv_str(&j, "route", route);
	eventfmt_time(now_real_ns(), ts, sizeof(ts));
	json_kv_str(&j, "created", ts);
	json_kv_int(&j, "part", p->num);
	if (strcmp(kind, "dead-letter") == 0) {
		sqlite3_stmt *d = store_prepare(n->s, "SELECT subject FROM outbox WHERE id=?");

		if (d) {
			sqlite3_bind_int64(d, 1, oid);
			if (sqlite3_step(d) == SQLITE_ROW)
				json_kv_str(&j, "note", (const char *)sqlite3_column_text(d, 0));
			sqlite3_finalize(d);
		}
	}
	json_key(&j, "events");
	json_arr_begin(&j);
	p->reserve += 128;
	buf_init(&ev, 4u << 20);
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		buf_reset(&ev);
		json_init(&je, &ev);
		eventfmt_json(&je, q);
		if (ev.failed) {
			p->err = true;
			break;
		}
		if (part_take(p, sqlite3_column_int64(q, 0), out->len, ev.len + 1))
			json_raw(&j, ev.data, ev.len);
	}
	sqlite3_finalize(q);
	buf_free(&ev);
	json_arr_end(&j);
	/* what is not listed, and where to see it */
	json_key(&j, "omitted");
	json_arr_begin(&j);
	for (i = 0; i < p->nomit; i++) {
		json_obj_begin(&j);
		json_kv_str(&j, "customer", p->omit_customer[i]);
		json_kv_int(&j, "count", p->omit_count[i]);
		snprintf(more, sizeof(more), "wsidctl events --customer %s", p->omit_customer[i]);
		json_kv_str(&j, "list_all", more);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_kv_int(&j, "omitted_total", p->omitted);
	json_kv_int(&j, "max_events_per_customer", n->cfg->digest_max_events);
	json_kv_bool(&j, "continued", p->nrest > 0);
	json_obj_end(&j);
}

/* ---- dispatch ---- */

static bool
dest_busy(struct notifier *n, const char *dest)
{
	size_t i;

	for (i = 0; i < n->ninflight; i++)
		if (strcmp(n->inflight[i].dest, dest) == 0)
			return true;
	return false;
}

static void
set_state(struct notifier *n, int64_t id, const char *state, int64_t next_at, const char *err,
	  long status)
{
	sqlite3_stmt *q = store_prepare(n->s, "UPDATE outbox SET state=?1, next_at=coalesce(?2, next_at), "
					      "last_error=coalesce(?3, last_error), last_status=coalesce(?4, "
					      "last_status), sent_at=CASE WHEN ?1='sent' THEN ?5 ELSE sent_at END "
					      "WHERE id=?6");

	if (q == NULL)
		return;
	sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
	if (next_at)
		sqlite3_bind_int64(q, 2, next_at);
	sqlite3_bind_text(q, 3, err, -1, SQLITE_STATIC);
	if (status)
		sqlite3_bind_int64(q, 4, status);
	sqlite3_bind_int64(q, 5, (int64_t)now_ms());
	sqlite3_bind_int64(q, 6, id);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

static void
spawn(struct notifier *n)
{
	char **reads = NULL;
	size_t nreads = 0, i;
	const struct config *c = n->cfg;
	int r;

	if (c->notify_socket) {
		/* a delivery service of its own (wsid --deliver-listen) */
		n->fd = deliver_connect(c->notify_socket);
		n->pid = 0;
		if (n->fd < 0) {
			if (!n->connect_failing)
				log_warnx("notify: delivery service %s: %s (retrying every 2 s)",
					  esc_name(c->notify_socket), strerror(-n->fd));
			n->connect_failing = true;
			n->fd = -1;
			n->respawn_at_ms = now_ms() + 2000;
			return;
		}
		n->connect_failing = false;
		snprintf(n->sandbox, sizeof(n->sandbox), "unknown");
		log_info("notify: connected to the delivery service %s", esc_name(c->notify_socket));
		return;
	}
	/* the CA files routes name must stay readable for the confined child */
	for (i = 0; i <= c->ncustomers + 1; i++) {
		const struct config_route *rt = i < c->ncustomers ? &c->customers[i].route
						: i == c->ncustomers ? &c->admin : &c->dflt;

		if (rt->webhook.ca_file) {
			reads = xreallocarray(reads, nreads + 1, sizeof(char *));
			reads[nreads++] = rt->webhook.ca_file;
		}
	}
	if (c->smtp_ca_file) {
		reads = xreallocarray(reads, nreads + 1, sizeof(char *));
		reads[nreads++] = c->smtp_ca_file;
	}
	r = deliver_spawn(n->self_exe, c->notify_user ? c->notify_user : "nobody", reads, nreads,
			  c->notify_sandbox_optional, &n->fd, &n->pid);
	free(reads);
	if (r < 0) {
		log_warnx("notify: cannot start the delivery process: %s", strerror(-r));
		n->fd = -1;
		n->respawn_at_ms = now_ms() + 5000;
		return;
	}
	if (strncmp(n->sandbox, "unavailable", 11) != 0)
		snprintf(n->sandbox, sizeof(n->sandbox), "unknown");
	log_info("notify: delivery process %d started (as %s)", (int)n->pid,
		 esc_name(c->notify_user ? c->notify_user : "nobody"));
}

/* the delivery process is gone: what it had in flight is sent again */
static void
lost_child(struct notifier *n, const char *why)
{
	size_t i;
	int st = n->child_status;

	log_warnx("notify: delivery process %d %s; %zu in flight will be sent again", (int)n->pid, why,
		  n->ninflight);
	for (i = 0; i < n->ninflight; i++)
		set_state(n, n->inflight[i].id, "pending", (int64_t)now_ms() + 1000, "delivery process lost", 0);
	n->ninflight = 0;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	if (n->pid > 0) {
		/* a process that exited is reaped with its status */
		if (waitpid(n->pid, &st, WNOHANG) != n->pid) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, &st, 0);
		}
	}
	n->pid = 0;
	n->child_status = -1;
	buf_reset(&n->in);
	buf_reset(&n->out);
	n->restarts++;
	n->respawn_at_ms = now_ms() + 2000;
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == DELIVER_EXIT_NO_SANDBOX) {
		/* fail closed: nothing is sent (the outbox keeps it) until the
		 * kernel has Landlock or the admin allows running without */
		if (strncmp(n->sandbox, "unavailable", 11) != 0)
			log_warnx("notify: the delivery process cannot confine itself with Landlock: "
				  "notifications wait in the outbox (tried again every minute; "
				  "notify.sandbox: optional sends them without the sandbox)");
		snprintf(n->sandbox, sizeof(n->sandbox), "unavailable (required)");
		n->respawn_at_ms = now_ms() + 60000;
	}
}

static void
flush_out(struct notifier *n)
{
	while (n->fd >= 0 && n->out.len > 0) {
		ssize_t w = write(n->fd, n->out.data, n->out.len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return; /* the rest at the next tick */
		if (w <= 0) {
			lost_child(n, "does not take jobs");
			return;
		}
		memmove(n->out.data, n->out.data + w, n->out.len - (size_t)w);
		n->out.len -= (size_t)w;
	}
}

static void
dispatch_one(struct notifier *n, int64_t id, const char *uid, const char *customer, const char *route,
	     const char *transport, const char *dest, const char *kind, const void *body, size_t blen)
{
	const struct config_route *rt = route_by_name(n->cfg, route, customer);
	struct deliver_job j;
	char hdr[12][200];
	char *hp[12];
	char **rcpts = NULL;
	size_t i, before = n->out.len;

	memset(&j, 0, sizeof(j));
	j.id = id;
	j.timeout_s = SEND_TIMEOUT_S;
	j.body = (char *)(uintptr_t)body;
	j.body_len = blen;
	if (strcmp(transport, "webhook") == 0) {
		char sig[WHSIG_V1_LEN + 1], prev[WHSIG_V1_LEN + 1], hex[WHSIG_HEX_LEN + 1], tsbuf[32];
		const char *secret = rt ? rt->webhook.secret : NULL;
		size_t nh = 0;

		if (secret == NULL && (rt == NULL || !rt->webhook.unsigned_ok)) {
			/* its route left the configuration: never signed with no key */
			set_state(n, id, "failed", 0, "its route is no longer configured", 0);
			n->nfailed++;
			return;
		}
		j.transport = 'h';
		j.url = (char *)(uintptr_t)dest;
		snprintf(tsbuf, sizeof(tsbuf), "%lld", (long long)(now_ms() / 1000));
		snprintf(hdr[nh++], sizeof(hdr[0]), "Content-Type: application/json");
		/* Standard Webhooks: the id and timestamp are under the signature;
		 * the X- headers below are informational, kept for receivers of
		 * wsid 1 and not signed */
		snprintf(hdr[nh++], sizeof(hdr[0]), "webhook-id: %s", uid);
		snprintf(hdr[nh++], sizeof(hdr[0]), "webhook-timestamp: %s", tsbuf);
		snprintf(hdr[nh++], sizeof(hdr[0]), "Idempotency-Key: %s", uid);
		snprintf(hdr[nh++], sizeof(hdr[0]), "X-Wsid-Notification: %s", uid);
		snprintf(hdr[nh++], sizeof(hdr[0]), "X-Wsid-Timestamp: %s", tsbuf);
		snprintf(hdr[nh++], sizeof(hdr[0]), "X-Wsid-Kind: %s", kind);
		if (secret) {
			/* the configuration checked both secrets decode */
			if (whsig_standard(secret, uid, tsbuf, body, blen, sig, sizeof(sig)) < 0 ||
			    (rt->webhook.previous_secret &&
			     whsig_standard(rt->webhook.previous_secret, uid, tsbuf, body, blen, prev,
					    sizeof(prev)) < 0)) {
				set_state(n, id, "failed", 0, "its secret is not a valid key", 0);
				n->nfailed++;
				return;
			}
			if (rt->webhook.previous_secret)
				snprintf(hdr[nh++], sizeof(hdr[0]), "webhook-signature: %s %s", sig, prev);
			else
				snprintf(hdr[nh++], sizeof(hdr[0]), "webhook-signature: %s", sig);
			if (rt->webhook.github_signature || rt->webhook.legacy_signature) {
				if (rt->webhook.github_signature)
					whsig_github(secret, body, blen, hex);
				else
					whsig_legacy(secret, tsbuf, body, blen, hex);
				snprintf(hdr[nh++], sizeof(hdr[0]), "X-Hub-Signature-256: %s", hex);
			}
		}
		for (i = 0; i < nh; i++)
			hp[i] = hdr[i];
		j.headers = hp;
		j.nheaders = nh;
		j.ca_file = rt->webhook.ca_file;
		deliver_job_encode(&n->out, &j);
	} else {
		char *copy = xstrdup(dest), *save = NULL, *a;

		j.transport = 's';
		j.url = n->cfg->smtp_url;
		j.mail_from = n->cfg->smtp_from;
		j.username = n->cfg->smtp_username;
		j.password = n->cfg->smtp_password;
		j.ca_file = n->cfg->smtp_ca_file;
		switch (config_smtp_tls(n->cfg)) {
		case CONFIG_TLS_NONE:
			j.tls = 'n';
			break;
		case CONFIG_TLS_OPPORTUNISTIC:
			j.tls = 'o';
			break;
		default:
			j.tls = 'v';
		}
		for (a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
			rcpts = xreallocarray(rcpts, j.nrcpts + 1, sizeof(char *));
			rcpts[j.nrcpts++] = a;
		}
		j.rcpts = rcpts;
		deliver_job_encode(&n->out, &j);
		free(rcpts);
		free(copy);
	}
	if (n->out.failed) {
		/* the queue to the delivery process is full: whole jobs only, this
		 * one at a later tick */
		n->out.len = before;
		if (n->out.data)
			n->out.data[before] = '\0';
		n->out.failed = false;
		return;
	}
	n->inflight[n->ninflight].id = id;
	snprintf(n->inflight[n->ninflight].dest, sizeof(n->inflight[0].dest), "%s", dest);
	n->ninflight++;
	{
		sqlite3_stmt *q = store_prepare(n->s, "UPDATE outbox SET state='sending', attempts=attempts+1 "
						      "WHERE id=?");

		if (q) {
			sqlite3_bind_int64(q, 1, id);
			sqlite3_step(q);
			sqlite3_finalize(q);
		}
	}
}

/* the events of part p that did not fit move to a new row, the next part
 * (same route, kind and note; due now); false when the database refused */
static bool
split_rest(struct notifier *n, int64_t id, const char *uid, const struct part *p)
{
	sqlite3_stmt *q;
	char *nuid;
	int64_t nid = 0;
	size_t i;
	const char *dash = strstr(uid, "-p");
	bool ok = true;

	nuid = xasprintf("%.*s-p%d", (int)(dash ? (size_t)(dash - uid) : strlen(uid)), uid, p->num + 1);
	q = store_prepare(n->s, "INSERT INTO outbox(uid, created_at, customer, route, transport, destination, "
				"kind, state, due_at, next_at, subject) SELECT ?1, created_at, customer, route, "
				"transport, destination, kind, 'pending', ?2, ?2, subject FROM outbox WHERE id=?3");
	if (q) {
		sqlite3_bind_text(q, 1, nuid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)now_ms());
		sqlite3_bind_int64(q, 3, id);
		if (sqlite3_step(q) == SQLITE_DONE)
			nid = sqlite3_last_insert_rowid(store_db(n->s));
		sqlite3_finalize(q);
	}
	free(nuid);
	if (nid == 0)
		return false;
	q = store_prepare(n->s, "UPDATE outbox_events SET outbox_id=?1 WHERE outbox_id=?2 AND event_id=?3");
	for (i = 0; q && ok && i < p->nrest; i++) {
		sqlite3_bind_int64(q, 1, nid);
		sqlite3_bind_int64(q, 2, id);
		sqlite3_bind_int64(q, 3, p->rest[i]);
		ok = sqlite3_step(q) == SQLITE_DONE;
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	q = store_prepare(n->s, "UPDATE outbox SET nevents=(SELECT count(*) FROM outbox_events WHERE "
				"outbox_id=outbox.id) WHERE id IN (?1, ?2)");
	if (q) {
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, nid);
		ok = ok && sqlite3_step(q) == SQLITE_DONE;
		sqlite3_finalize(q);
	}
	return ok && q != NULL;
}

/* a row's message, built once when it becomes due: retries send the same.
 * A message that cannot be built whole is failed, never sent cut short. */
static bool
build_body(struct notifier *n, int64_t id)
{
	sqlite3_stmt *q = store_prepare(n->s, "SELECT uid, kind, customer, route, transport, destination "
					      "FROM outbox WHERE id=?");
	struct buf b;
	bool done = false;

	if (q == NULL)
		return false;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const char *uid = (const char *)sqlite3_column_text(q, 0);
		const char *kind = (const char *)sqlite3_column_text(q, 1);
		const char *cust = (const char *)sqlite3_column_text(q, 2);
		const char *route = (const char *)sqlite3_column_text(q, 3);
		const char *tr = (const char *)sqlite3_column_text(q, 4);
		const char *dest = (const char *)sqlite3_column_text(q, 5);
		struct part p;
		sqlite3_stmt *u = NULL;

		memset(&p, 0, sizeof(p));
		p.num = uid_part(uid);
		p.limit = n->cfg->notify_max_message ? n->cfg->notify_max_message : 1u << 20;
		part_omitted(n, id, &p);
		buf_init(&b, DELIVER_BODY_MAX);
		if (strcmp(tr, "webhook") == 0)
			build_json(n, id, uid, kind, cust ? cust : "", route, &p, &b);
		else
			build_email(n, id, uid, kind, cust ? cust : "", dest, &p, &b);
		if (b.failed || p.err) {
			log_warnx("notify: %lld (%s): the message does not fit in %u bytes: failed, not sent",
				  (long long)id, uid, DELIVER_BODY_MAX);
			set_state(n, id, "failed", 0, "the message could not be built (too large)", 0);
			n->nfailed++;
			done = true;
		} else if (store_exec(n->s, "SAVEPOINT notify_part") == 0) {
			/* the next part and this one's body, together or not at all */
			done = p.nrest == 0 || split_rest(n, id, uid, &p);
			if (done)
				u = store_prepare(n->s, "UPDATE outbox SET body=? WHERE id=?");
			if (u) {
				sqlite3_bind_blob(u, 1, b.data ? b.data : "", (int)b.len, SQLITE_STATIC);
				sqlite3_bind_int64(u, 2, id);
				done = sqlite3_step(u) == SQLITE_DONE;
				sqlite3_finalize(u);
			} else {
				done = false;
			}
			store_exec(n->s, done ? "RELEASE notify_part" : "ROLLBACK TO notify_part; RELEASE notify_part");
			if (done && p.nrest)
				log_info("notify: %lld (%s): %zu events in this part, %zu in the next", (long long)id,
					 uid, p.listed, p.nrest);
		}
		part_free(&p);
		buf_free(&b);
	}
	sqlite3_finalize(q);
	return done;
}

void
notifier_tick(struct notifier *n)
{
	uint64_t now = now_ms();
	sqlite3_stmt *q;
	int st;

	if (n->pid > 0 && waitpid(n->pid, &st, WNOHANG) == n->pid) {
		n->pid = 0;
		n->child_status = st;
		lost_child(n, "exited");
	}
	if (n->fd < 0 && now >= n->respawn_at_ms)
		spawn(n);
	/* digests whose interval is over */
	q = store_prepare(n->s, "UPDATE outbox SET state='pending' WHERE state='open' AND due_at<=?");
	if (q) {
		sqlite3_bind_int64(q, 1, (int64_t)now);
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
	if (n->fd < 0)
		return;
	q = store_prepare(n->s, "SELECT id, uid, customer, route, transport, destination, kind, body "
				"FROM outbox WHERE state IN ('pending', 'retrying') AND next_at<=? ORDER BY next_at "
				"LIMIT 200");
	if (q == NULL)
		return;
	sqlite3_bind_int64(q, 1, (int64_t)now);
	while (n->ninflight < INFLIGHT_MAX && sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const char *dest = (const char *)sqlite3_column_text(q, 5);

		if (dest == NULL || dest_busy(n, dest))
			continue; /* one at a time per destination */
		if (sqlite3_column_type(q, 7) == SQLITE_NULL) {
			if (!build_body(n, id))
				break; /* the database refused: at the next tick */
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, (int64_t)now);
			continue; /* read again, with its body */
		}
		dispatch_one(n, id, (const char *)sqlite3_column_text(q, 1),
			     (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
			     (const char *)sqlite3_column_text(q, 4), dest,
			     (const char *)sqlite3_column_text(q, 6), sqlite3_column_blob(q, 7),
			     (size_t)sqlite3_column_bytes(q, 7));
	}
	sqlite3_finalize(q);
	flush_out(n);
}

static void
dead_letter(struct notifier *n, int64_t id)
{
	sqlite3_stmt *q = store_prepare(n->s, "SELECT uid, customer, transport, destination, last_error, route "
					      "FROM outbox WHERE id=?");
	int64_t nid;

	if (q == NULL)
		return;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 5), "admin") != 0 &&
	    (n->cfg->admin.nemails || n->cfg->admin.webhook.url)) {
		char text[1024];
		struct buf to;
		size_t k;

		snprintf(text, sizeof(text), "Notification %s (%s to %s, customer %s) could not be delivered "
			 "before its TTL ran out. Last error: %s",
			 sqlite3_column_text(q, 0), sqlite3_column_text(q, 2), sqlite3_column_text(q, 3),
			 sqlite3_column_text(q, 1),
			 sqlite3_column_text(q, 4) ? (const char *)sqlite3_column_text(q, 4) : "-");
		route_emails(&n->cfg->admin, &to);
		for (k = 0; k < 2; k++) {
			const char *tr = k == 0 ? "webhook" : "email";
			const char *dest = k == 0 ? n->cfg->admin.webhook.url : to.data;
			sqlite3_stmt *u;

			if (dest == NULL)
				continue;
			nid = outbox_insert(n, "", "admin", tr, dest, "dead-letter", "pending", (int64_t)now_ms());
			if (nid == 0)
				continue;
			u = store_prepare(n->s, "INSERT OR IGNORE INTO outbox_events(outbox_id, event_id) "
						"SELECT ?, event_id FROM outbox_events WHERE outbox_id=?");
			if (u) {
				sqlite3_bind_int64(u, 1, nid);
				sqlite3_bind_int64(u, 2, id);
				sqlite3_step(u);
				sqlite3_finalize(u);
			}
			u = store_prepare(n->s, "UPDATE outbox SET subject=? WHERE id=?");
			if (u) {
				sqlite3_bind_text(u, 1, text, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(u, 2, nid);
				sqlite3_step(u);
				sqlite3_finalize(u);
			}
		}
		buf_free(&to);
	}
	sqlite3_finalize(q);
}

static void
on_result(struct notifier *n, const struct deliver_result *r)
{
	sqlite3_stmt *q;
	size_t i;
	int64_t created = 0, attempts = 0;
	uint64_t now = now_ms();

	for (i = 0; i < n->ninflight && n->inflight[i].id != r->id; i++)
		;
	if (i == n->ninflight) {
		log_warnx("notify: a result for %lld, which is not in flight: ignored", (long long)r->id);
		return;
	}
	n->inflight[i] = n->inflight[--n->ninflight];
	q = store_prepare(n->s, "SELECT created_at, attempts FROM outbox WHERE id=?");
	if (q) {
		sqlite3_bind_int64(q, 1, r->id);
		if (sqlite3_step(q) == SQLITE_ROW) {
			created = sqlite3_column_int64(q, 0);
			attempts = sqlite3_column_int64(q, 1);
		}
		sqlite3_finalize(q);
	}
	if (r->outcome == DELIVER_OK) {
		set_state(n, r->id, "sent", 0, NULL, r->status);
		n->nsent++;
	} else if (r->outcome == DELIVER_FAILED) {
		log_warnx("notify: %lld failed for good: %s", (long long)r->id, r->error);
		set_state(n, r->id, "failed", 0, r->error[0] ? r->error : "refused", r->status);
		n->nfailed++;
	} else {
		uint64_t wait = notify_backoff_ms(n->cfg->notify_backoff_ms, (int)attempts, randombytes_random());

		if (r->retry_after_s && (uint64_t)r->retry_after_s * 1000 > wait)
			wait = (uint64_t)r->retry_after_s * 1000;
		if (now + wait > (uint64_t)created + n->cfg->notify_ttl_ms) {
			log_warnx("notify: %lld dead after %lld attempts: %s", (long long)r->id,
				  (long long)attempts, r->error);
			set_state(n, r->id, "dead", 0, r->error[0] ? r->error : "retries exhausted", r->status);
			n->ndead++;
			dead_letter(n, r->id);
		} else {
			set_state(n, r->id, "retrying", (int64_t)(now + wait), r->error[0] ? r->error : "retry",
				  r->status);
		}
	}
}

void
notifier_on_readable(struct notifier *n)
{
	char chunk[65536];
	ssize_t r;

	if (n->fd < 0)
		return;
	while ((r = read(n->fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&n->in, chunk, (size_t)r) < 0) {
			lost_child(n, "sent too much");
			return;
		}
	if (r == 0) {
		lost_child(n, "closed its socket");
		return;
	}
	for (;;) {
		struct deliver_result res;
		ssize_t used;

		if (n->in.len && n->in.data[0] == 'S') {
			/* the hello: what confines it */
			char sb[48];

			used = deliver_hello_decode(n->in.data, n->in.len, sb, sizeof(sb));
			if (used > 0) {
				if (strcmp(sb, n->sandbox) != 0)
					log_info("notify: the delivery process is confined by: %s", sb);
				snprintf(n->sandbox, sizeof(n->sandbox), "%s", sb);
				memmove(n->in.data, n->in.data + used, n->in.len - (size_t)used);
				n->in.len -= (size_t)used;
				continue;
			}
		} else {
			used = deliver_result_decode(n->in.data ? n->in.data : "", n->in.len, &res);
		}
		if (used < 0) {
			lost_child(n, "sent a malformed result");
			return;
		}
		if (used == 0)
			break;
		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): used > 0, so in holds data */
		memmove(n->in.data, n->in.data + used, n->in.len - (size_t)used);
		n->in.len -= (size_t)used;
		on_result(n, &res);
	}
	notifier_tick(n); /* a destination may be free again */
}

int
notifier_timeout_ms(struct notifier *n)
{
	sqlite3_stmt *q;
	int64_t next = -1, now = (int64_t)now_ms();
	int ms;

	if (n->out.len || (n->fd < 0))
		return 200;
	q = store_prepare(n->s, "SELECT min(t) FROM (SELECT min(next_at) AS t FROM outbox WHERE state IN "
				"('pending', 'retrying') UNION ALL SELECT min(due_at) FROM outbox WHERE "
				"state='open')");
	if (q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (next < 0)
		return n->ninflight ? 1000 : -1;
	ms = next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
	/* what waits for a busy destination is looked at again soon */
	return ms == 0 && n->ninflight ? 100 : ms;
}

int
notifier_fd(const struct notifier *n)
{
	return n->fd;
}

void
notifier_failing_routes(struct notifier *n, struct buf *out)
{
	sqlite3_stmt *q = store_prepare(n->s, "SELECT o.customer, o.route, o.transport, o.destination, "
					      "o.last_error FROM outbox o JOIN (SELECT max(id) AS id FROM outbox "
					      "WHERE attempts>0 GROUP BY customer, route, transport, destination) l "
					      "ON o.id=l.id WHERE o.state IN ('retrying','failed','dead') "
					      "ORDER BY o.id DESC LIMIT 10");

	if (q == NULL)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *cu = (const char *)sqlite3_column_text(q, 0);
		const char *why = (const char *)sqlite3_column_text(q, 4);

		buf_printf(out, "%s%s%s%s %s %s: %s", out->len ? "; " : "", cu && *cu ? cu : "",
			   cu && *cu ? "/" : "", (const char *)sqlite3_column_text(q, 1),
			   (const char *)sqlite3_column_text(q, 2), esc_name((const char *)sqlite3_column_text(q, 3)),
			   why ? esc_name(why) : "no answer");
	}
	sqlite3_finalize(q);
}

void
notifier_get_stats(struct notifier *n, struct notifier_stats *ret)
{
	sqlite3_stmt *q = store_prepare(n->s, "SELECT state, count(*) FROM outbox GROUP BY state");

	memset(ret, 0, sizeof(*ret));
	ret->delivery_restarts = (int64_t)n->restarts;
	ret->sent_total = (int64_t)n->nsent;
	ret->failed_total = (int64_t)n->nfailed;
	ret->dead_total = (int64_t)n->ndead;
	snprintf(ret->sandbox, sizeof(ret->sandbox), "%s", n->sandbox);
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(q, 0);
		int64_t c = sqlite3_column_int64(q, 1);

		if (s == NULL)
			continue;
		if (strcmp(s, "open") == 0)
			ret->open = c;
		else if (strcmp(s, "pending") == 0)
			ret->pending = c;
		else if (strcmp(s, "sending") == 0)
			ret->sending = c;
		else if (strcmp(s, "retrying") == 0)
			ret->retrying = c;
		else if (strcmp(s, "sent") == 0)
			ret->sent = c;
		else if (strcmp(s, "failed") == 0)
			ret->failed = c;
		else if (strcmp(s, "dead") == 0)
			ret->dead = c;
	}
	sqlite3_finalize(q);
}

int
notifier_new(struct store *s, const struct config *cfg, const char *self_exe, struct notifier **ret)
{
	struct notifier *n = xcalloc(1, sizeof(*n));
	sqlite3_stmt *q;

	n->s = s;
	n->cfg = cfg;
	n->any_route = has_routes(cfg);
	n->self_exe = xstrdup(self_exe);
	n->fd = -1;
	n->child_status = -1;
	snprintf(n->sandbox, sizeof(n->sandbox), "unknown");
	buf_init(&n->in, 16u << 20);
	buf_init(&n->out, 256u << 20);
	if (gethostname(n->host, sizeof(n->host) - 1) < 0 || n->host[0] == '\0')
		snprintf(n->host, sizeof(n->host), "localhost");
	/* what was in flight when the daemon stopped is sent again */
	q = store_prepare(s, "UPDATE outbox SET state='pending' WHERE state='sending'");
	if (q) {
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
	spawn(n);
	*ret = n;
	return 0;
}

void
notifier_set_config(struct notifier *n, const struct config *cfg)
{
	n->cfg = cfg;
	n->any_route = has_routes(cfg);
	if (n->fd >= 0) {
		/* spawned again with the new routes' CA files */
		lost_child(n, "is restarted for the new configuration");
		n->restarts--;
		n->respawn_at_ms = 0;
	}
}

void
notifier_free(struct notifier *n)
{
	int st;

	if (n == NULL)
		return;
	if (n->fd >= 0)
		close(n->fd);
	if (n->pid > 0) {
		kill(n->pid, SIGTERM);
		waitpid(n->pid, &st, 0);
	}
	buf_free(&n->in);
	buf_free(&n->out);
	sqlite3_finalize(n->q_event);
	free(n->self_exe);
	free(n);
}
