// SPDX-License-Identifier: GPL-2.0-or-later
/* Notifications, the daemon's side; see notify.h. */
#include "notify.h"
#include "outbox.h"

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

/* where a row of (route, customer, transport) goes under the running
 * configuration, or NULL when its route no longer has that transport: a
 * reload or a restart may have changed or removed the address since the row
 * was queued, and only the configured one may receive it (into to) */
static const char *
route_dest_now(const struct config *cfg, const char *route, const char *customer, const char *transport,
	       struct buf *to)
{
	const struct config_route *rt = route_by_name(cfg, route, customer);

	if (rt == NULL)
		return NULL;
	if (strcmp(transport, "webhook") == 0)
		return rt->webhook.url;
	if (rt->nemails == 0)
		return NULL;
	route_emails(rt, to);
	return to->data;
}

/* was this finding told on this route within a day, with the same content?
 * (told now when not) */
static bool
seen_recently(struct notifier *n, int64_t ws, const void *path, int plen, const char *verdict,
	      const char *route, const void *sha, int shalen)
{
	struct outbox_finding f = { ws, path, plen, verdict, route, sha, shalen };
	uint8_t told[SHA256_LEN];
	int told_len = 0;
	int64_t last_at = 0;
	bool seen = false;
	uint64_t now = now_ms();

	if (outbox_notified_get(n->s, &f, told, &told_len, &last_at) == 0) {
		bool same = told_len == shalen && (shalen == 0 || (shalen == SHA256_LEN &&
								   memcmp(told, sha, SHA256_LEN) == 0));

		seen = same && now - (uint64_t)last_at < REMIND_MS;
	}
	if (!seen)
		outbox_notified_put(n->s, &f, (int64_t)now);
	return seen;
}

static bool
route_event(struct notifier *n, const struct route *rt, const char *customer, int64_t event_id,
	    int sev, const char *transport, const char *dest)
{
	const struct config *cfg = n->cfg;
	const char *who = strcmp(rt->name, "admin") == 0 ? "" : customer;
	int64_t oid = 0, now = (int64_t)now_ms();

	if (sev >= SEV_CRITICAL) {
		/* at once, quiet hours or not */
		oid = outbox_insert(n->s, who, rt->name, transport, dest, "alert", "pending", now);
	} else {
		oid = outbox_open_find(n->s, who, rt->name, transport, dest);
		if (oid == 0)
			oid = outbox_insert(n->s, who, rt->name, transport, dest, "digest", "open",
					    notify_after_quiet(now + (int64_t)cfg->digest_interval_ms,
							       rt->r->quiet_from, rt->r->quiet_to));
	}
	if (oid)
		outbox_add_event(n->s, oid, event_id);
	return oid != 0;
}

/* what routing needs of an event, read from its row or handed over */
struct routed {
	const char *customer;
	int64_t ws;
	const void *path;
	int plen;
	const char *verdict;
	int sev;
	const void *sha;
	int shalen;
	bool aggregate; /* stands for many files: never deduplicated */
	bool system;    /* the daemon's own finding (a webspace root replaced) */
};

static bool
route_routed(struct notifier *n, int64_t event_id, const struct routed *ev)
{
	struct route routes[3];
	size_t nr, i;
	bool queued = false;

	nr = routes_for(n->cfg, ev->customer, routes);
	for (i = 0; i < nr; i++) {
		int min = routes[i].r->min_severity >= 0 ? routes[i].r->min_severity : SEV_WARNING;

		if (ev->sev < min || (ev->system && strcmp(routes[i].name, "admin") != 0))
			continue;
		/* a finding that persists is told once, reminded daily at most */
		if (!ev->aggregate && seen_recently(n, ev->ws, ev->path, ev->plen, ev->verdict, routes[i].name,
						    ev->sha, ev->shalen))
			continue;
		if (routes[i].r->webhook.url)
			queued |= route_event(n, &routes[i], ev->customer, event_id, ev->sev, "webhook",
					      routes[i].r->webhook.url);
		if (routes[i].r->nemails) {
			struct buf to;

			route_emails(routes[i].r, &to);
			queued |= route_event(n, &routes[i], ev->customer, event_id, ev->sev, "email", to.data);
			buf_free(&to);
		}
	}
	return queued;
}

bool
notifier_event_row(struct notifier *n, const struct event_stored *es)
{
	const struct event_row *ev = es->row;
	struct routed r;

	if (!n->any_route || ev->held || ev->parent_id)
		return false; /* held or a member: its aggregate is what is told */
	memset(&r, 0, sizeof(r));
	r.customer = ev->customer ? ev->customer : "";
	r.ws = ev->webspace_id;
	r.path = ev->plen ? ev->path : "";
	r.plen = (int)ev->plen;
	r.verdict = verdict_name(ev->verdict);
	r.sev = (int)ev->severity;
	if (ev->new_sha256) {
		r.sha = ev->new_sha256;
		r.shalen = SHA256_LEN;
	}
	r.aggregate = es->aggregate;
	r.system = ev->source && strcmp(ev->source, "system") == 0;
	return route_routed(n, es->id, &r);
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
		    (id = outbox_insert(n->s, customer, routes[i].name, "webhook", routes[i].r->webhook.url, "test",
					"pending", (int64_t)now_ms())) > 0) {
			first = first ? first : id;
			last = id;
			count++;
		}
		if (routes[i].r->nemails) {
			struct buf to;

			route_emails(routes[i].r, &to);
			if ((id = outbox_insert(n->s, customer, routes[i].name, "email", to.data, "test", "pending",
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

static const char *
customer_language(const struct notifier *n, const char *customer)
{
	const struct config_customer *cu = customer && *customer ? config_customer_find(n->cfg, customer) : NULL;

	return cu ? cu->language : NULL;
}

/* ---- message bodies ---- */

/* the advice for a verdict: the template advice/VERDICT, else built-in */
static char *
advice_for(const struct notifier *n, const char *lang, const char *verdict)
{
	const char *dflt = message_what_to_do(verdict);
	char name[64], line[1024];

	snprintf(line, sizeof(line), "  What to do: %s\n", dflt ? dflt : "");
	snprintf(name, sizeof(name), "advice/%s", verdict);
	return template_text(n, lang, name, dflt ? line : "");
}

#define EVENT_TEMPLATE \
	"{severity}: {verdict} ({change}, {time})\n  {path}\n  {reason}\n{quarantine}{advice}\n"

/* ---- what a message lists (message.h) ---- */

/* the text part: one block per event; used: bytes of the message before
 * the body */
static void
text_events(struct notifier *n, int64_t oid, const char *lang, struct buf *body, size_t used,
	    struct message_part *p, char *first_verdict, size_t fvsz, int *max_sev)
{
	sqlite3_stmt *q = outbox_listed_events(n->s, oid, n->cfg->digest_max_events);
	char *tmpl = template_text(n, lang, "event.txt", EVENT_TEMPLATE);
	struct buf ev, quar;

	*max_sev = 0;
	if (q == NULL) {
		free(tmpl);
		return;
	}
	buf_init(&ev, 4u << 20);
	buf_init(&quar, 1 << 12);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(q, 9);
		const char *verdict = (const char *)sqlite3_column_text(q, 8);
		struct message_event me;
		char ts[32], *advice;
		int s = severity_parse(sev ? sev : "info");
		int r;

		if (p->nrest) {
			message_part_take(p, sqlite3_column_int64(q, 0), 0, 0);
			continue;
		}
		eventfmt_time(sqlite3_column_int64(q, 1), ts, sizeof(ts));
		memset(&me, 0, sizeof(me));
		me.time = ts;
		me.severity = sev;
		me.verdict = verdict;
		me.change = (const char *)sqlite3_column_text(q, 6);
		me.reason = (const char *)sqlite3_column_text(q, 10);
		me.product = (const char *)sqlite3_column_text(q, 13);
		me.version = (const char *)sqlite3_column_text(q, 14);
		me.root = sqlite3_column_blob(q, 3);
		me.root_len = (size_t)sqlite3_column_bytes(q, 3);
		me.path = sqlite3_column_blob(q, 4);
		me.plen = (size_t)sqlite3_column_bytes(q, 4);
		advice = advice_for(n, lang, verdict ? verdict : "");
		buf_reset(&quar);
		eventfmt_quarantine_text(q, &quar);
		me.quarantine = quar.data ? quar.data : "";
		buf_reset(&ev);
		r = message_event_text(&ev, tmpl, &me, advice);
		free(advice);
		if (r < 0) {
			p->err = true;
			break;
		}
		if (!message_part_take(p, sqlite3_column_int64(q, 0), used + body->len, ev.len))
			continue;
		if (s > *max_sev || p->listed == 1) {
			if (s > *max_sev)
				*max_sev = s;
			snprintf(first_verdict, fvsz, "%s", verdict ? verdict : "?");
		}
		buf_append(body, ev.data, ev.len);
	}
	sqlite3_finalize(q);
	buf_free(&ev);
	buf_free(&quar);
	free(tmpl);
}

static void
build_email(struct notifier *n, int64_t oid, const char *uid, const char *kind, const char *customer,
	    const char *dest, struct message_part *p, struct buf *msg)
{
	const char *lang = customer_language(n, customer);
	const char *who = customer[0] ? customer : "all customers";
	struct buf body, subj;
	struct message_email m;
	char fv[32] = "", cnt[32], changes[48], *t;
	int max_sev = 0;
	size_t count;
	const char *vars[10];

	buf_init(&body, DELIVER_BODY_MAX);
	buf_init(&subj, 1 << 16);
	if (strcmp(kind, "test") == 0) {
		t = template_text(n, lang, "test.txt", "This is a test message from wsid: this route works.");
		vars[0] = "customer", vars[1] = who;
		notify_expand(&body, t, vars, 2, true);
		message_crlf_line(&body, "", 0);
		free(t);
		t = template_text(n, lang, "test.subject", "[wsid] test message for {customer}");
		notify_expand(&subj, t, vars, 2, false);
		free(t);
	} else {
		if (strcmp(kind, "dead-letter") == 0) {
			char *note = NULL;

			if (outbox_note(n->s, oid, &note) == 0 && note)
				message_crlf_line(&body, note, strlen(note));
			free(note);
			message_crlf_line(&body, "", 0);
		}
		/* headers and footer: a few KiB */
		p->reserve += 8192;
		text_events(n, oid, lang, &body, 0, p, fv, sizeof(fv), &max_sev);
		message_omitted_text(&body, p, n->cfg->digest_max_events);
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
	message_crlf_line(&body, "", 0);
	free(t);
	memset(&m, 0, sizeof(m));
	m.date = time(NULL);
	m.uid = uid;
	m.host = n->host;
	m.from = n->cfg->smtp_from;
	m.to = dest;
	m.subject = subj.data;
	m.body = body.data;
	m.body_len = body.len;
	message_email(msg, &m);
	if (body.failed || subj.failed)
		p->err = true;
	buf_free(&body);
	buf_free(&subj);
}

static void
build_json(struct notifier *n, int64_t oid, const char *uid, const char *kind, const char *customer,
	   const char *route, struct message_part *p, struct buf *out)
{
	sqlite3_stmt *q = outbox_listed_events(n->s, oid, n->cfg->digest_max_events);
	struct message_json m;
	struct json j, je;
	struct buf ev;
	char ts[32], *note = NULL;

	memset(&m, 0, sizeof(m));
	m.uid = uid;
	m.kind = kind;
	m.customer = customer;
	m.route = route;
	eventfmt_time(now_real_ns(), ts, sizeof(ts));
	m.created = ts;
	m.part = p->num;
	if (strcmp(kind, "dead-letter") == 0 && outbox_note(n->s, oid, &note) == 0) {
		m.note_set = true;
		m.note = note;
	}
	json_init(&j, out);
	message_json_begin(&j, &m);
	free(note);
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
		if (message_part_take(p, sqlite3_column_int64(q, 0), out->len, ev.len + 1))
			json_raw(&j, ev.data, ev.len);
	}
	sqlite3_finalize(q);
	buf_free(&ev);
	message_json_end(&j, p, n->cfg->digest_max_events);
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
		outbox_set_state(n->s, n->inflight[i].id, "pending", (int64_t)now_ms() + 1000, "delivery process lost", 0);
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
			outbox_set_state(n->s, id, "failed", 0, "its route is no longer configured", 0);
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
				outbox_set_state(n->s, id, "failed", 0, "its secret is not a valid key", 0);
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
	outbox_mark_sending(n->s, id);
}

/* a row's message, built once when it becomes due: retries send the same.
 * A message that cannot be built whole is failed, never sent cut short. */
static bool
build_body(struct notifier *n, int64_t id)
{
	struct outbox_row row;
	struct message_part p;
	struct buf b;
	bool done = false;

	if (outbox_row_get(n->s, id, &row) < 0)
		return false;
	memset(&p, 0, sizeof(p));
	p.num = message_uid_part(row.uid);
	p.limit = n->cfg->notify_max_message ? n->cfg->notify_max_message : 1u << 20;
	outbox_omitted(n->s, id, n->cfg->digest_max_events, &p);
	buf_init(&b, DELIVER_BODY_MAX);
	if (strcmp(row.transport, "webhook") == 0)
		build_json(n, id, row.uid, row.kind, row.customer, row.route, &p, &b);
	else
		build_email(n, id, row.uid, row.kind, row.customer, row.dest, &p, &b);
	if (b.failed || p.err) {
		log_warnx("notify: %lld (%s): the message does not fit in %u bytes: failed, not sent",
			  (long long)id, row.uid, DELIVER_BODY_MAX);
		outbox_set_state(n->s, id, "failed", 0, "the message could not be built (too large)", 0);
		n->nfailed++;
		done = true;
	} else if (outbox_store_body(n->s, id, row.uid, &p, b.data ? b.data : "", b.len) == 0) {
		done = true;
		if (p.nrest)
			log_info("notify: %lld (%s): %zu events in this part, %zu in the next", (long long)id,
				 row.uid, p.listed, p.nrest);
	}
	message_part_free(&p);
	buf_free(&b);
	outbox_row_free(&row);
	return done;
}

/* a due row (a row of outbox_due) checked against its route as configured
 * now: 0 its destination is still the route's, 1 it was given the route's
 * new one, -1 its route no longer has one (the row failed, logged) */
static int
row_address(struct notifier *n, sqlite3_stmt *q)
{
	int64_t id = sqlite3_column_int64(q, 0);
	const char *uid = (const char *)sqlite3_column_text(q, 1);
	const char *customer = (const char *)sqlite3_column_text(q, 2);
	const char *route = (const char *)sqlite3_column_text(q, 3);
	const char *transport = (const char *)sqlite3_column_text(q, 4);
	const char *dest = (const char *)sqlite3_column_text(q, 5);
	const char *now;
	struct buf to;
	int r = 0;

	if (!customer)
		customer = "";
	if (!uid || !route || !transport)
		return 0;
	memset(&to, 0, sizeof(to));
	now = route_dest_now(n->cfg, route, customer, transport, &to);
	if (now == NULL) {
		/* a customer taken out of customers: (or a route without this
		 * transport now) receives nothing more, not what was queued */
		log_warnx("notify: %lld (%s): %s %s route%s%s has no %s in the configuration any more: "
			  "failed, not sent", (long long)id, uid, route, transport, customer[0] ? " of " : "",
			  customer, strcmp(transport, "webhook") == 0 ? "URL" : "address");
		outbox_set_state(n->s, id, "failed", 0, "its route is no longer configured", 0);
		n->nfailed++;
		r = -1;
	} else if (strcmp(now, dest) != 0) {
		log_info("notify: %lld (%s): sent to the %s route's configured %s, no longer to the one it "
			 "was queued for", (long long)id, uid, route, transport);
		r = outbox_readdress(n->s, id, transport, now) < 0 ? -1 : 1;
	}
	buf_free(&to);
	return r;
}

void
notifier_tick(struct notifier *n)
{
	uint64_t now = now_ms();
	sqlite3_stmt *q;
	int st, addr;

	if (n->pid > 0 && waitpid(n->pid, &st, WNOHANG) == n->pid) {
		n->pid = 0;
		n->child_status = st;
		lost_child(n, "exited");
	}
	if (n->fd < 0 && now >= n->respawn_at_ms)
		spawn(n);
	/* digests whose interval is over */
	outbox_digests_due(n->s, (int64_t)now);
	if (n->fd < 0)
		return;
	if ((q = outbox_due(n->s, (int64_t)now)) == NULL)
		return;
	while (n->ninflight < INFLIGHT_MAX && sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const char *dest = (const char *)sqlite3_column_text(q, 5);

		if (dest == NULL)
			continue;
		if ((addr = row_address(n, q)) < 0)
			continue; /* failed: its route is gone */
		if (addr > 0) {
			/* read again, with its new destination */
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, (int64_t)now);
			continue;
		}
		if (dest_busy(n, dest))
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
on_result(struct notifier *n, const struct deliver_result *r)
{
	size_t i;

	for (i = 0; i < n->ninflight && n->inflight[i].id != r->id; i++)
		;
	if (i == n->ninflight) {
		log_warnx("notify: a result for %lld, which is not in flight: ignored", (long long)r->id);
		return;
	}
	n->inflight[i] = n->inflight[--n->ninflight];
	switch (outbox_result(n->s, r, n->cfg->notify_backoff_ms, n->cfg->notify_ttl_ms)) {
	case OUTBOX_SENT:
		n->nsent++;
		break;
	case OUTBOX_FAILED:
		n->nfailed++;
		break;
	case OUTBOX_DEAD: {
		struct buf to;

		n->ndead++;
		route_emails(&n->cfg->admin, &to);
		outbox_dead_letter(n->s, r->id, n->cfg->admin.webhook.url, n->cfg->admin.nemails ? to.data : NULL);
		buf_free(&to);
		break;
	}
	case OUTBOX_RETRYING:
		break;
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
	int64_t next, now = (int64_t)now_ms();
	int ms;

	if (n->out.len || (n->fd < 0))
		return 200;
	next = outbox_next_at(n->s);
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
	outbox_failing_routes(n->s, out);
}

void
notifier_get_stats(struct notifier *n, struct notifier_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->delivery_restarts = (int64_t)n->restarts;
	ret->sent_total = (int64_t)n->nsent;
	ret->failed_total = (int64_t)n->nfailed;
	ret->dead_total = (int64_t)n->ndead;
	snprintf(ret->sandbox, sizeof(ret->sandbox), "%s", n->sandbox);
	outbox_count_states(n->s, ret);
}

int
notifier_new(struct store *s, const struct config *cfg, const char *self_exe, struct notifier **ret)
{
	struct notifier *n = xcalloc(1, sizeof(*n));

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
	outbox_requeue_sending(s);
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
	free(n->self_exe);
	free(n);
}
