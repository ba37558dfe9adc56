// SPDX-License-Identifier: GPL-2.0-or-later
/* Prometheus text exposition of the daemon's figures; see metrics.h.
 *
 * Names follow the Prometheus conventions: a wsid_ prefix, base units in the
 * name (_seconds), counters end in _total and count since the daemon started,
 * one series per label value even when it is 0 (a series that appears only
 * after its first event breaks rate() and absent() alerts). No timestamps:
 * node_exporter's textfile collector refuses them. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "jsonparse.h"

/* ---- reading the status reply ---- */

/* a number member of obj; false when absent, null or not an integer */
static bool
field_int(const struct jnode *obj, const char *key, int64_t *out)
{
	const struct jnode *n = jsonp_get(obj, key);
	char *end;
	long long x;

	if (n == NULL || n->t != J_NUM)
		return false;
	errno = 0;
	x = strtoll(n->s, &end, 10);
	if (errno || *end)
		return false;
	*out = x;
	return true;
}

static bool
field_double(const struct jnode *obj, const char *key, double *out)
{
	const struct jnode *n = jsonp_get(obj, key);

	if (n == NULL || n->t != J_NUM)
		return false;
	*out = strtod(n->s, NULL);
	return true;
}

static bool
field_bool(const struct jnode *obj, const char *key)
{
	const struct jnode *n = jsonp_get(obj, key);

	return n && n->t == J_BOOL && n->b;
}

/* a string member (a NUL in it ends it) */
static void
field_str(const struct jnode *obj, const char *key, char *out, size_t outsz)
{
	const struct jnode *n = jsonp_get(obj, key);

	if (n && n->t == J_STR)
		snprintf(out, outsz, "%s", n->s);
}

int
metrics_from_status(const char *json, struct metrics *m)
{
	const struct jnode *daemon, *byv;
	struct jnode *root = NULL;
	char err[256];
	int i;

	memset(m, 0, sizeof(*m));
	if (jsonp_parse(json, strlen(json), &root, err, sizeof(err)) < 0)
		return -EINVAL;
	daemon = jsonp_get(root, "daemon");
	if (daemon == NULL || daemon->t != J_STR) {
		jsonp_free(root);
		return -EINVAL;
	}
	m->up = strcmp(daemon->s, "up") == 0;
	m->figures = true;
	field_str(root, "version", m->version, sizeof(m->version));
	field_int(root, "start_time", &m->start_time);
	m->watching = field_bool(root, "watching");
	m->reconciling = field_bool(root, "reconciling");
	field_int(root, "filesystems", &m->filesystems);
	field_int(root, "webspaces", &m->webspaces);
	field_int(root, "files", &m->files);
	byv = jsonp_get(root, "events_by_verdict");
	for (i = 0; i < VERDICT_MAX; i++)
		field_int(byv, verdict_name((enum verdict_kind)i), &m->events[i]);
	field_int(root, "changes_noticed", &m->changes);
	field_int(root, "files_hashed", &m->hashed);
	field_int(root, "hash_errors", &m->hash_errors);
	field_int(root, "overflows", &m->overflows);
	field_int(root, "pending_overflows", &m->pending_overflows);
	field_int(root, "reconciles", &m->reconciles);
	field_int(root, "baselines", &m->baselines);
	field_int(root, "held_total", &m->held);
	field_int(root, "aggregates", &m->aggregates);
	field_int(root, "fanotify_events", &m->fanotify_events);
	field_int(root, "pending", &m->pending);
	field_int(root, "hash_backlog", &m->backlog);
	field_int(root, "last_reconcile_ms", &m->last_reconcile_ms);
	field_int(root, "latency_count", &m->latency_count);
	field_double(root, "latency_sum_ms", &m->latency_sum_ms);
	field_double(root, "latency_max_ms", &m->latency_max_ms);
	m->have_outbox = field_int(root, "outbox_open", &m->outbox_open);
	field_int(root, "outbox_pending", &m->outbox_pending);
	field_int(root, "outbox_retrying", &m->outbox_retrying);
	field_int(root, "outbox_sent", &m->outbox_sent);
	field_int(root, "outbox_failed", &m->outbox_failed);
	field_int(root, "outbox_dead", &m->outbox_dead);
	field_int(root, "notifications_sent", &m->notify_sent);
	field_int(root, "notifications_failed", &m->notify_failed);
	field_int(root, "notifications_dead", &m->notify_dead);
	field_int(root, "delivery_restarts", &m->delivery_restarts);
	field_int(root, "index_products", &m->index_products);
	field_int(root, "index_versions", &m->index_versions);
	field_int(root, "index_serial", &m->index_serial);
	m->have_index_age = field_int(root, "index_age_s", &m->index_age_s);
	field_str(root, "index_key", m->index_key, sizeof(m->index_key));
	field_str(root, "database", m->database, sizeof(m->database));
	jsonp_free(root);
	return 0;
}

/* ---- the exposition ---- */

void
metrics_label_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '"')
			buf_puts(out, "\\\"");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *s);
	}
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample(struct buf *b, const char *name, int64_t v)
{
	buf_printf(b, "%s %lld\n", name, (long long)v);
}

static void
sample_d(struct buf *b, const char *name, double v)
{
	buf_printf(b, "%s %.10g\n", name, v);
}

static void
sample_l(struct buf *b, const char *name, const char *label, const char *value, int64_t v)
{
	buf_printf(b, "%s{%s=\"", name, label);
	metrics_label_escape(b, value);
	buf_printf(b, "\"} %lld\n", (long long)v);
}

static void
gauge(struct buf *b, const char *name, const char *help, int64_t v)
{
	family(b, name, "gauge", help);
	sample(b, name, v);
}

static void
counter(struct buf *b, const char *name, const char *help, int64_t v)
{
	family(b, name, "counter", help);
	sample(b, name, v);
}

void
metrics_render(const struct metrics *m, struct buf *b)
{
	int i;

	gauge(b, "wsid_up", "1 when the daemon is running and answering, 0 when it is stopped.",
	      m->up ? 1 : 0);
	if (!m->figures)
		return;
	family(b, "wsid_build_info", "gauge", "The daemon's version, as a label; always 1.");
	sample_l(b, "wsid_build_info", "version", m->version[0] ? m->version : "unknown", 1);
	gauge(b, "wsid_start_time_seconds", "When the daemon started, in seconds since the epoch.",
	      m->start_time);
	gauge(b, "wsid_watching", "1 when the fanotify marks are placed and changes are watched.",
	      m->watching ? 1 : 0);
	gauge(b, "wsid_filesystems", "File systems holding watched webspaces (one mark each).",
	      m->filesystems);
	gauge(b, "wsid_webspaces", "Webspaces watched.", m->webspaces);
	gauge(b, "wsid_files_watched", "Files known in the stored state of the watched webspaces.",
	      m->files);
	family(b, "wsid_events_total", "counter",
	       "Events announced since the daemon started, by verdict (rate() gives events per second).");
	for (i = 0; i < VERDICT_MAX; i++)
		sample_l(b, "wsid_events_total", "verdict", verdict_name((enum verdict_kind)i), m->events[i]);
	counter(b, "wsid_events_held_total",
		"File events held for an installation's update window since the daemon started.", m->held);
	counter(b, "wsid_aggregate_events_total",
		"Events standing for many file changes (updates, installations, removals).", m->aggregates);
	counter(b, "wsid_changes_total", "File changes noticed: live events and differences found by reconcile walks.", m->changes);
	counter(b, "wsid_fanotify_events_total", "Kernel fanotify events read.", m->fanotify_events);
	counter(b, "wsid_files_hashed_total", "Changed files hashed (baseline walks hash on their own).",
		m->hashed);
	counter(b, "wsid_hash_errors_total", "Files that could not be hashed.", m->hash_errors);
	counter(b, "wsid_queue_overflows_total",
		"Kernel event queue overflows (each triggers a reconcile of every webspace).", m->overflows);
	counter(b, "wsid_pending_overflows_total",
		"Times the pending table was full (the webspace is reconciled instead).",
		m->pending_overflows);
	counter(b, "wsid_reconciles_total", "Reconcile walks finished.", m->reconciles);
	counter(b, "wsid_baselines_total", "Baseline walks of new webspaces finished.", m->baselines);
	gauge(b, "wsid_reconciling", "1 while a reconcile or baseline walk runs.", m->reconciling ? 1 : 0);
	family(b, "wsid_last_reconcile_duration_seconds", "gauge", "How long the last reconcile walk took.");
	sample_d(b, "wsid_last_reconcile_duration_seconds", (double)m->last_reconcile_ms / 1e3);
	gauge(b, "wsid_pending_changes", "Changes waiting for their quiet window or their hash.", m->pending);
	gauge(b, "wsid_hash_backlog", "Files queued for hashing or being hashed.", m->backlog);
	family(b, "wsid_change_latency_seconds", "summary",
	       "From the writer's close to the stored result, for live changes.");
	sample_d(b, "wsid_change_latency_seconds_sum", m->latency_sum_ms / 1e3);
	sample(b, "wsid_change_latency_seconds_count", m->latency_count);
	family(b, "wsid_change_latency_max_seconds", "gauge", "The longest such latency since the daemon started.");
	sample_d(b, "wsid_change_latency_max_seconds", m->latency_max_ms / 1e3);
	if (m->have_outbox) {
		family(b, "wsid_outbox_messages", "gauge",
		       "Notifications in the outbox, by state (pending includes those being sent).");
		sample_l(b, "wsid_outbox_messages", "state", "open", m->outbox_open);
		sample_l(b, "wsid_outbox_messages", "state", "pending", m->outbox_pending);
		sample_l(b, "wsid_outbox_messages", "state", "retrying", m->outbox_retrying);
		sample_l(b, "wsid_outbox_messages", "state", "sent", m->outbox_sent);
		sample_l(b, "wsid_outbox_messages", "state", "failed", m->outbox_failed);
		sample_l(b, "wsid_outbox_messages", "state", "dead", m->outbox_dead);
		family(b, "wsid_notifications_total", "counter",
		       "Deliveries finished since the daemon started, by result (sent: confirmed by the "
		       "receiver; failed: refused for good; dead: retries exhausted).");
		sample_l(b, "wsid_notifications_total", "result", "sent", m->notify_sent);
		sample_l(b, "wsid_notifications_total", "result", "failed", m->notify_failed);
		sample_l(b, "wsid_notifications_total", "result", "dead", m->notify_dead);
		counter(b, "wsid_delivery_restarts_total", "Restarts of the delivery process or connection.",
			m->delivery_restarts);
	}
	gauge(b, "wsid_index_products", "Products in the fingerprint index.", m->index_products);
	gauge(b, "wsid_index_versions", "Release versions in the fingerprint index.", m->index_versions);
	gauge(b, "wsid_index_serial", "Serial of the signed index bundle loaded (0: none).", m->index_serial);
	if (m->have_index_age)
		gauge(b, "wsid_index_age_seconds",
		      "Age of the fingerprint index: since its bundle was made, else since it was built.",
		      m->index_age_s);
	if (m->index_key[0]) {
		family(b, "wsid_index_key_info", "gauge",
		       "The public key (base64) that signed the index bundle, as a label; always 1.");
		sample_l(b, "wsid_index_key_info", "key", m->index_key, 1);
	}
}

void
metrics_render_census(const struct census *c, struct buf *b)
{
	size_t i;
	int st, v, sev;

	if (!c->counted)
		return;
	/* a family without samples is not valid exposition: none on a node
	 * without installations */
	if (c->nrows)
		family(b, "wsid_installations", "gauge",
		       "Installations by product, kind, major version and update state (latest, "
		       "latest_minor: the newest of its branch, outdated, unknown); summed over the "
		       "nodes, the fleet's census.");
	for (i = 0; i < c->nrows; i++)
		for (st = 0; st < CENSUS_STATES; st++) {
			buf_puts(b, "wsid_installations{product=\"");
			metrics_label_escape(b, c->rows[i].product);
			buf_puts(b, "\",kind=\"");
			metrics_label_escape(b, c->rows[i].kind);
			buf_puts(b, "\",major=\"");
			metrics_label_escape(b, c->rows[i].major);
			buf_printf(b, "\",state=\"%s\"} %lld\n", census_state_name((enum census_state)st),
				   (long long)c->rows[i].n[st]);
		}
	family(b, "wsid_findings", "gauge",
	       "Open findings: events standing alone and not acknowledged, by verdict and severity.");
	for (v = 0; v < VERDICT_MAX; v++) {
		if (v == VERDICT_OK || v == VERDICT_IGNORED)
			continue;
		for (sev = 0; sev < SEV_MAX; sev++)
			buf_printf(b, "wsid_findings{verdict=\"%s\",severity=\"%s\"} %lld\n",
				   verdict_name((enum verdict_kind)v), severity_name((enum severity)sev),
				   (long long)c->findings[v][sev]);
	}
}

/* ---- the textfile ---- */

int
metrics_write_file(const char *path, const char *text, size_t len, char *err, size_t errsz)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, r = 0;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return r;
	}
	/* readable by node_exporter whatever the umask (the unit has 0077) */
	if (fchmod(fd, 0644) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: chmod: %s", tmp, strerror(errno));
	}
	if (r == 0 && (r = fd_write_all(fd, text, len)) < 0)
		snprintf(err, errsz, "%s: write: %s", tmp, strerror(-r));
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: fsync: %s", tmp, strerror(errno));
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
		snprintf(err, errsz, "%s: close: %s", tmp, strerror(errno));
	}
	if (r == 0 && rename(tmp, path) < 0) {
		r = -errno;
		snprintf(err, errsz, "rename %s to %s: %s", tmp, path, strerror(errno));
	}
	if (r < 0)
		(void)unlink(tmp);
	free(tmp);
	return r;
}
