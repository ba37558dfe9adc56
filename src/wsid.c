// SPDX-License-Identifier: GPL-2.0-or-later
/* wsid: the webspace integrity daemon. Arguments, configuration, the event
 * loop (one epoll: fanotify, hashing completions, background walks, control
 * socket, signals), systemd notification, reload and shutdown.
 *
 * DESIGN: watching starts before anything is walked (marks first, then the
 * reconcile of every webspace in the background), so no change can fall
 * between the two. SQLite is written only from this thread; results are
 * committed before each sleep so a change is stored within one loop turn. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyse.h"
#include "bundle.h"
#include "config.h"
#include "control.h"
#include "engine.h"
#include "eventfmt.h"
#include "fpindex.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pathmatch.h"
#include "procinfo.h"
#include "reqattr.h"
#include "deliver.h"
#include "retention.h"
#include "root.h"
#include "sdnotify.h"
#include "state.h"
#include "statequery.h"
#include "store.h"
#include "timers.h"
#include "util.h"
#include "watch.h"

#define DEFAULT_CONFIG WSID_SYSCONFDIR "/wsid/wsid.yaml"
#define DISCOVER_INTERVAL_MS 10000
/* Discovery asked for by directory events runs at most this often, and only
 * globs below the directories that asked (up to DISCOVER_DIRS_MAX of them
 * between two runs; more, and every pattern is globbed): a storm of mkdir
 * anywhere costs at most one small glob a second. */
#define DISCOVER_EVENT_GAP_MS 1000
#define DISCOVER_DIRS_MAX 64
/* A file's event in a directory already gone that no webspace can be found
 * for: reconcile every webspace, then wait 10 s, doubling to 10 min while
 * they go on (a safety net: see on_watch_event). */
#define UNRESOLVED_GAP_MIN_MS 10000
#define UNRESOLVED_GAP_MAX_MS 600000

enum { TAG_WATCH = 1, TAG_HASH, TAG_BG, TAG_CONTROL, TAG_SIGNAL, TAG_NOTIFY };

struct waiter {
	uint64_t client;
	uint64_t deadline_ns;
};

/* the loop's timers, one list (timers.h): each fires at most once a turn of
 * the loop, in this order, and arms itself again */
enum timer_id {
	TIMER_NOTIFY,    /* the notifier's next due row (0: at once) */
	TIMER_DISCOVER,  /* webspaces rediscovered every DISCOVER_INTERVAL_MS */
	TIMER_METRICS,   /* the next textfile write (metrics.textfile) */
	TIMER_RETENTION, /* the next step of the retention round */
	TIMER_RECONCILE, /* the periodic safety reconcile (reconcile_interval) */
	TIMER_WATCHDOG,  /* systemd's watchdog, at half its interval */
	TIMER_MAX,
};

struct daemon {
	const char *config_path;
	struct config *cfg;
	struct store *s;
	struct engine *e;
	struct reqattr *ra;
	struct watch *w;
	struct control *ctl;
	int epfd, sigfd;
	uint64_t started_ns;
	int64_t started_unix;
	struct timers timers;
	uint64_t watchdog_ns;
	uint64_t watch_resume_ns;
	bool watch_paused;
	bool stop;
	struct waiter waiters[CONTROL_CLIENTS_MAX];
	size_t nwaiters;
	uint64_t ev_window_start_ns, ev_window_count, ev_rate_prev;
	unsigned nfs;
	struct notifier *n;
	int notify_fd;            /* registered in epoll (-1: none) */
	bool notify_kick;         /* events routed since the last tick */
	uint64_t notify_last_ns;
	bool metrics_failing;     /* the last write failed (logged once) */
	struct census_counter *census; /* counts for the textfile (from its first write) */
	struct retention ret;     /* the pruning round under way */
	int retention_err;        /* the last step's failure (logged once), else 0 */
	/* event-driven discovery (DISCOVER_EVENT_GAP_MS) */
	char *disc_dirs[DISCOVER_DIRS_MAX];
	size_t ndisc_dirs;
	bool disc_all;
	uint64_t disc_due_ns, disc_last_ns;
	char **real_patterns;     /* per config entry: its pattern at its fixed prefix's real
				   * path when that differs (events report real paths), else NULL */
	size_t nreal_patterns;
	uint64_t unres_next_ns, unres_gap_ms;
};

static struct daemon d;

/* ---- configuration adapters ---- */

/* ud: a configuration, the running one (the loop's thread) or one a walk
 * holds (d_ignore_hold) while a reload replaces the running one */
static bool
d_ignored(void *ud, const char *relpath, size_t len)
{
	const struct config *cfg = ud;
	char *tmp;
	bool r;

	if (cfg == NULL)
		return false;
	tmp = xstrndup(relpath, len);
	r = config_ignored(cfg, tmp);
	free(tmp);
	return r;
}

static void *
d_ignore_hold(void *ud)
{
	return config_hold(ud);
}

static void
d_ignore_release(void *held)
{
	config_free(held);
}

static int
d_severity(void *ud, const char *customer, int verdict, int dflt)
{
	struct daemon *dm = ud;

	return config_severity_for(dm->cfg, verdict_name((enum verdict_kind)verdict), customer, dflt);
}

static void
d_on_event(void *ud, const struct event_stored *ev)
{
	struct daemon *dm = ud;
	char *line;

	dm->ev_window_count++;
	/* the outbox rows commit with the event (same connection, same
	 * transaction); the row as stored, rendered once for the followers */
	if (dm->n && notifier_event_row(dm->n, ev))
		dm->notify_kick = true;
	if (dm->ctl == NULL || control_nfollowers(dm->ctl) == 0)
		return;
	line = eventfmt_json_line(ev);
	control_broadcast(dm->ctl, line);
	free(line);
}

/* ---- webspaces ---- */

/* A webspace found and its file system marked, not yet registered with the
 * engine (at start, the marks are placed before the engine loads) */
struct marked {
	char *real, *customer;
	int fd;
	struct root_id rid;
	bool via_link;
	char *path; /* as configured (mark_early) */
};

static struct marked *early;
static size_t nearly;

static int
mark_webspace(const char *path, const char *customer, struct marked *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	r = root_resolve(path, &m->fd, &m->real, &m->rid, &m->via_link);
	if (r == -ELOOP) {
		log_warnx("webspace %s is a symbolic link: not watched", esc_name(path));
		return r;
	}
	if (r == -EPERM || r == -EMLINK) {
		log_warnx("webspace %s is reached through a symbolic link root does not own: "
			  "not watched", esc_name(path));
		return r;
	}
	if (r < 0)
		return r; /* not there (yet), not a directory, or changing: next discovery */
	if (watch_add_fs(d.w, m->real) < 0) {
		log_warnx("webspace %s: cannot watch its file system", esc_name(m->real));
		close(m->fd);
		free(m->real);
		return -EIO;
	}
	m->customer = xstrdup(customer);
	return 0;
}

static void
register_webspace(const char *path, struct marked *m)
{
	int64_t id;

	/* fanotify reports real paths: a webspace reached through a symlinked
	 * directory (/var/www -> /srv/www) is watched at its real path */
	if (m->via_link && strcmp(m->real, path) != 0 &&
	    (!engine_webspace_find(d.e, m->real, strlen(m->real), &id, &(size_t){ 0 }) ||
	     strcmp(engine_webspace_root(d.e, id), m->real) != 0))
		log_info("webspace %s is reached through symbolic links: watched at its real "
			 "path %s", esc_name(path), esc_name(m->real));
	if (engine_webspace_add(d.e, m->real, m->customer, m->fd, &m->rid, &id) < 0)
		log_warnx("webspace %s: cannot register it", esc_name(m->real));
	free(m->real);
	free(m->customer);
}

/* Registers the webspace at path when it passes the checks (root.h): a real
 * directory, reached only through symbolic links root owns (a link a customer
 * made must not decide which directory is watched as whose webspace). Every
 * later walk, hash and read starts from the directory found here. */
static void
add_webspace(const char *path, const char *customer)
{
	struct marked m;

	if (mark_webspace(path, customer, &m) == 0)
		register_webspace(path, &m);
}

/* at start, before the engine: resolve and mark, register later */
static void
mark_early(const char *path, const char *customer)
{
	struct marked m;

	if (mark_webspace(path, customer, &m) < 0)
		return;
	m.path = xstrdup(path);
	early = xreallocarray(early, nearly + 1, sizeof(*early));
	early[nearly++] = m;
}

static void
register_early(void)
{
	size_t i;

	for (i = 0; i < nearly; i++) {
		register_webspace(early[i].path, &early[i]);
		free(early[i].path);
	}
	free(early);
	early = NULL;
	nearly = 0;
}

/* the patterns as events report them: with their fixed prefix (before the
 * first component with a wildcard) at its real path */
static void
real_patterns_update(void)
{
	size_t i;

	for (i = 0; i < d.nreal_patterns; i++)
		free(d.real_patterns[i]);
	free(d.real_patterns);
	d.nreal_patterns = d.cfg->nwebspaces;
	d.real_patterns = xcalloc(d.nreal_patterns ? d.nreal_patterns : 1, sizeof(char *));
	for (i = 0; i < d.cfg->nwebspaces; i++) {
		const char *pat = d.cfg->webspaces[i].pattern, *w;
		char *pre, *real;
		size_t n;

		if (pat == NULL || (w = strpbrk(pat, "{*?[")) == NULL)
			continue;
		for (n = (size_t)(w - pat); n > 0 && pat[n - 1] != '/'; n--)
			;
		if (n <= 1)
			continue;
		pre = xstrndup(pat, n - 1);
		real = realpath(pre, NULL);
		if (real && strcmp(real, pre) != 0)
			d.real_patterns[i] = xasprintf("%s%s", real, pat + n - 1);
		free(real);
		free(pre);
	}
}

static void
discover_webspaces(void)
{
	config_foreach_webspace(d.cfg, add_webspace);
	real_patterns_update();
}

/* Is root (a real path, as registered) a webspace of the configuration: an
 * explicit entry (at its real path) or the root of a pattern's match (also
 * with the pattern's prefix at its real path)? */
static bool
ws_configured(const char *root)
{
	size_t i, len = strlen(root), rl;
	char cust[256];

	for (i = 0; i < d.cfg->nwebspaces; i++) {
		const struct config_webspace *w = &d.cfg->webspaces[i];

		if (w->path) {
			char *real = realpath(w->path, NULL);
			bool same = strcmp(w->path, root) == 0 || (real && strcmp(real, root) == 0);

			free(real);
			if (same)
				return true;
		} else if ((pathmatch_pattern(w->pattern, root, cust, sizeof(cust), &rl, NULL) &&
			    rl == len) ||
			   (i < d.nreal_patterns && d.real_patterns[i] &&
			    pathmatch_pattern(d.real_patterns[i], root, cust, sizeof(cust), &rl, NULL) &&
			    rl == len)) {
			return true;
		}
	}
	return false;
}

struct ws_ids {
	int64_t *id;
	char **path;
	size_t n;
};

static int
ws_ids_add(void *ud, int64_t id, const char *path, size_t len, const char *customer)
{
	struct ws_ids *w = ud;

	(void)customer;
	w->id = xreallocarray(w->id, w->n + 1, sizeof(*w->id));
	w->path = xreallocarray(w->path, w->n + 1, sizeof(*w->path));
	w->id[w->n] = id;
	w->path[w->n++] = xstrndup(path, len);
	return 0;
}

/* At start and after a reload: the stored webspaces the configuration no
 * longer names are inactive (their rows kept: listed as such, not counted),
 * the ones it names again active. */
static void
webspaces_activity(void)
{
	struct ws_ids w = { 0 };
	size_t i;
	bool changed = false;

	if (stateq_webspaces(d.s, false, ws_ids_add, &w) < 0)
		log_warnx("webspaces: cannot read the stored ones: which are configured not updated");
	for (i = 0; i < w.n; i++) {
		/* registered by this discovery: configured, even when its root
		 * is the real path of a symlinked folder no entry spells */
		bool on = ws_configured(w.path[i]) || engine_webspace_seen(d.e, w.id[i]);

		if (!on)
			engine_webspace_retire(d.e, w.id[i]);
		if (state_webspace_set_active(d.s, w.id[i], on) > 0 && (changed = true))
			log_info("webspace %s: %s", esc_name(w.path[i]),
				 on ? "configured again: active"
				    : "no longer configured: inactive (its stored rows kept)");
		free(w.path[i]);
	}
	free(w.id);
	free(w.path);
	/* written in the engine's open batch, if any: committed now */
	if (changed)
		engine_flush(d.e);
}

static void
discover_forget(void)
{
	size_t i;

	for (i = 0; i < d.ndisc_dirs; i++)
		free(d.disc_dirs[i]);
	d.ndisc_dirs = 0;
	d.disc_all = false;
}

/* A directory appeared outside every webspace (created, or renamed there):
 * when it can be a webspace root or lie on the way to one, a discovery below
 * it is scheduled; anything else (a tenant's mkdir in /tmp) costs nothing. */
static void
discover_note(const char *path)
{
	size_t i;
	bool cand = false, all = false;

	for (i = 0; i < d.cfg->nwebspaces && !cand; i++)
		cand = config_webspace_candidate(&d.cfg->webspaces[i], path);
	for (i = 0; i < d.nreal_patterns && !cand && !all; i++)
		all = d.real_patterns[i] && config_pattern_candidate(d.real_patterns[i], path);
	if (!cand && !all)
		return;
	if (all || d.ndisc_dirs == DISCOVER_DIRS_MAX) {
		discover_forget();
		d.disc_all = true;
	} else if (!d.disc_all) {
		for (i = 0; i < d.ndisc_dirs && strcmp(d.disc_dirs[i], path) != 0; i++)
			;
		if (i == d.ndisc_dirs)
			d.disc_dirs[d.ndisc_dirs++] = xstrdup(path);
	}
	if (d.disc_due_ns == 0) {
		uint64_t now = now_mono_ns();
		uint64_t next = d.disc_last_ns + DISCOVER_EVENT_GAP_MS * 1000000ull;

		d.disc_due_ns = next > now ? next : now;
	}
}

/* the discovery directory events asked for, when due */
static void
discover_due(uint64_t now)
{
	size_t i, k;

	if (d.disc_due_ns == 0 || now < d.disc_due_ns)
		return;
	if (d.disc_all) {
		discover_webspaces();
	} else {
		for (i = 0; i < d.ndisc_dirs; i++)
			for (k = 0; k < d.cfg->nwebspaces; k++)
				if (config_webspace_candidate(&d.cfg->webspaces[k], d.disc_dirs[i]))
					config_webspace_foreach(&d.cfg->webspaces[k],
								d.disc_dirs[i], add_webspace);
	}
	discover_forget();
	d.disc_due_ns = 0;
	d.disc_last_ns = now;
}

/* ---- fanotify events ---- */

enum tmpfile_kind { TMPFILE_NO, TMPFILE_YES, TMPFILE_UNSURE };

/* The kernel names an O_TMPFILE "#<its inode number>" (d_tmpfile): events
 * under that name are followed by the file's handle. A tenant can give any
 * file such a name, so it is an O_TMPFILE's only when the digits are the
 * inode's (and no entry was created or removed). UNSURE: the handle could not
 * be opened to tell. */
static enum tmpfile_kind
tmpfile_event(const struct watch_event *ev)
{
	uint64_t n = 0, ino = 0;
	size_t i;

	if (ev->is_dir || ev->created || ev->deleted || ev->name_len < 2 || ev->name[0] != '#')
		return TMPFILE_NO;
	for (i = 1; i < ev->name_len; i++) {
		if (ev->name[i] < '0' || ev->name[i] > '9' || n > (UINT64_MAX - 9) / 10)
			return TMPFILE_NO;
		n = n * 10 + (uint64_t)(ev->name[i] - '0');
	}
	if (watch_event_ino(ev, &ino) < 0)
		return TMPFILE_UNSURE;
	return ino == n ? TMPFILE_YES : TMPFILE_NO;
}

/* absolute path of dir + name into b; false when it does not fit */
static bool
join(struct buf *b, const char *dir, size_t dlen, const char *name, size_t nlen)
{
	buf_reset(b);
	if (buf_append(b, dir, dlen) < 0)
		return false;
	if (nlen && (dlen == 0 || dir[dlen - 1] != '/') && buf_putc(b, '/') < 0)
		return false;
	return buf_append(b, name, nlen) == 0;
}

static void
on_watch_event(void *ud, const struct watch_event *ev)
{
	static struct buf p1, p2;
	int64_t ws = 0, ws2 = 0;
	size_t rl = 0, rl2 = 0;
	unsigned flags = 0;
	enum tmpfile_kind tk;

	(void)ud;
	if (p1.cap == 0) {
		buf_init(&p1, 1 << 16);
		buf_init(&p2, 1 << 16);
	}
	if (ev->overflow) {
		log_warnx("fanotify queue overflow: reconciling every webspace");
		engine_overflow(d.e);
		return;
	}
	if (ev->lost) {
		if (ev->fs_error)
			log_warnx("file system error reported (FAN_FS_ERROR): reconciling the webspaces "
				  "on that file system");
		engine_reconcile_dev(d.e, ev->dev,
				     ev->fs_error ? "file system error" : "fanotify events lost");
		return;
	}
	if (ev->unresolved) {
		/* An event in a directory that is already gone. A directory's own
		 * event there changes nothing stored: it was empty when removed, and
		 * the files once below it are settled by their own events or by the
		 * removal of the topmost directory, whose parent is still there
		 * (engine_dir_deleted). A file's: a walk settles what happened, of
		 * the webspace the file was seen in when known, else (backed off)
		 * of every webspace. */
		uint64_t now = now_mono_ns();

		log_debug("event for a directory already gone: mask %#llx%s",
			  (unsigned long long)ev->mask, ev->is_dir ? " (a directory)" : "");
		if (ev->is_dir)
			return;
		if (engine_webspace_of_handle(d.e, ev->handle, &ws)) {
			engine_reconcile_backoff(d.e, ws, "an event for a file whose directory is gone");
			return;
		}
		if (now >= d.unres_next_ns) {
			/* quiet for a whole gap: start again from the shortest */
			if (d.unres_gap_ms == 0 ||
			    now - d.unres_next_ns > d.unres_gap_ms * 1000000ull)
				d.unres_gap_ms = UNRESOLVED_GAP_MIN_MS;
			else if ((d.unres_gap_ms *= 2) > UNRESOLVED_GAP_MAX_MS)
				d.unres_gap_ms = UNRESOLVED_GAP_MAX_MS;
			d.unres_next_ns = now + d.unres_gap_ms * 1000000ull;
			engine_reconcile(d.e, 0, "event for a directory that no longer exists");
		}
		return;
	}
	if (ev->renamed) {
		bool have_old = ev->old_dir && join(&p1, ev->old_dir, ev->old_dir_len, ev->old_name,
						    ev->old_name_len);
		bool have_new = ev->dir && join(&p2, ev->dir, ev->dir_len, ev->name, ev->name_len);

		if (have_old && !engine_webspace_find(d.e, p1.data, p1.len, &ws, &rl))
			have_old = false;
		if (have_new && !engine_webspace_find(d.e, p2.data, p2.len, &ws2, &rl2))
			have_new = false;
		/* a directory renamed to a place no webspace holds: a new root? A
		 * root itself renamed away or replaced: what is there now? */
		if (ev->is_dir && !have_new && ev->dir)
			discover_note(p2.data);
		if (have_old && p1.len == rl)
			discover_note(p1.data);
		if (have_new && p2.len == rl2)
			discover_note(p2.data);
		if (!have_old && !have_new)
			return;
		engine_rename(d.e, have_old ? ws : 0, have_old ? p1.data + rl + 1 : NULL,
			      have_old && p1.len > rl ? p1.len - rl - 1 : 0, have_new ? ws2 : 0,
			      have_new ? p2.data + rl2 + 1 : NULL, have_new && p2.len > rl2 ? p2.len - rl2 - 1 : 0,
			      ev->is_dir, ev->handle, ev->pid);
		/* it moved again since: the events that tell it may have been
		 * merged into this one's kin, so a walk finds where it is */
		if (ev->moved_since) {
			if (have_old)
				engine_reconcile_backoff(d.e, ws, "a name moved again before its events were read");
			if (have_new && (!have_old || ws2 != ws))
				engine_reconcile_backoff(d.e, ws2, "a name moved again before its events were read");
		}
		return;
	}
	if (ev->dir == NULL)
		return;
	tk = tmpfile_event(ev);
	if (tk != TMPFILE_NO) {
		/* O_TMPFILE written before (or after) linkat: key on the inode */
		engine_note_handle(d.e, (ev->close_write ? NOTE_CLOSE_WRITE : 0) |
						(ev->modified ? NOTE_MODIFY : 0),
				   ev->handle, ev->pid);
		if (tk == TMPFILE_YES)
			return;
	}
	if (!join(&p1, ev->dir, ev->dir_len, ev->name, ev->name_len))
		return;
	if (!engine_webspace_find(d.e, p1.data, p1.len, &ws, &rl)) {
		if (ev->is_dir && ev->created)
			discover_note(p1.data); /* a new customer's webspace? */
		return;
	}
	if (p1.len <= rl + 1) {
		if (p1.len == rl) /* the root itself made or removed: what is there now? */
			discover_note(p1.data);
		return;
	}
	if (ev->is_dir) {
		if (ev->deleted)
			engine_dir_deleted(d.e, ws, p1.data + rl + 1, p1.len - rl - 1);
		return;
	}
	if (ev->created)
		flags |= NOTE_CREATE;
	if (ev->modified)
		flags |= NOTE_MODIFY;
	if (ev->close_write)
		flags |= NOTE_CLOSE_WRITE;
	if (ev->attrib)
		flags |= NOTE_ATTRIB;
	if (ev->deleted)
		flags |= NOTE_DELETE;
	if (flags)
		engine_note(d.e, ws, p1.data + rl + 1, p1.len - rl - 1, flags, ev->handle,
			    ev->pid);
}

/* the engine applies hash results and walks after what the kernel queued
 * before them (engine_opts.read_events), paused or not */
static void
d_read_events(void *ud)
{
	(void)ud;
	if (watch_read(d.w, on_watch_event, NULL) < 0)
		log_debug("watch: read before applying results failed");
}

/* Customers' files are read as root: without fs.protected_hardlinks a tenant
 * links a file it cannot read into its webspace and wsid stores its hash,
 * owner and size among the tenant's files (and tells the tenant of it). */
static void
warn_protected_hardlinks(void)
{
	int r = proc_protected_hardlinks();

	if (r == 0)
		log_warnx("fs.protected_hardlinks is 0: a tenant can hard-link a file it cannot read "
			  "(a root-only one too) into its webspace, where wsid stores its hash, owner "
			  "and size and reports it to the tenant; set it to 1 (sysctl "
			  "fs.protected_hardlinks=1, and in /etc/sysctl.d)");
	else if (r < 0)
		log_warnx("cannot read /proc/sys/fs/protected_hardlinks (%s): whether tenants can "
			  "hard-link files they cannot read into their webspace is unknown",
			  strerror(-r));
}

/* ---- control socket ---- */

/* The index's counts for status: counting its tables reads every page of
 * them, too much for a status a monitor asks for every few seconds (or a
 * script every 50 ms while waiting for a reconcile). Counted again when the
 * index changed (its generation or build time). */
static int
index_counts(const char *built, struct fpindex_stats *ret)
{
	static struct fpindex_stats cached;
	static char *cached_key;
	char *gen = store_meta_get(d.s, "index_generation");
	char *key = xasprintf("%s/%s", gen ? gen : "", built ? built : "");
	int r = 0;

	free(gen);
	if (cached_key == NULL || strcmp(key, cached_key) != 0) {
		if ((r = fpindex_stats(d.s, &cached)) == 0) {
			free(cached_key);
			cached_key = key;
			key = NULL;
		}
	}
	free(key);
	*ret = cached;
	return r;
}

static void
status_json(struct buf *b)
{
	struct engine_stats es;
	struct json j;
	struct fpindex_stats fs;
	char *built = store_meta_get(d.s, "index_built_at");
	char *created = store_meta_get(d.s, "index_created_at");
	char *serial = store_meta_get(d.s, "index_serial");
	char *key = store_meta_get(d.s, "index_key");
	uint64_t now = now_mono_ns();
	int i, ph;

	engine_get_stats(d.e, &es);
	json_init(&j, b);
	json_obj_begin(&j);
	json_kv_bool(&j, "ok", true);
	json_kv_str(&j, "daemon", "up");
	json_kv_str(&j, "version", WSID_VERSION);
	json_kv_int(&j, "pid", getpid());
	json_kv_int(&j, "uptime_s", (int64_t)((now - d.started_ns) / 1000000000ull));
	json_kv_int(&j, "start_time", d.started_unix);
	json_kv_bool(&j, "watching", d.w != NULL && d.nfs > 0);
	json_kv_int(&j, "filesystems", d.nfs);
	json_kv_int(&j, "webspaces", (int64_t)es.webspaces);
	json_kv_int(&j, "files", engine_files_known(d.e));
	json_kv_int(&j, "events_total", (int64_t)es.events);
	json_kv_int(&j, "events_per_s", (int64_t)d.ev_rate_prev);
	json_kv_int(&j, "changes_noticed", (int64_t)es.notes);
	json_kv_int(&j, "files_hashed", (int64_t)es.hashed);
	json_kv_int(&j, "pending", (int64_t)es.pending);
	json_kv_int(&j, "hash_backlog", (int64_t)es.backlog);
	json_kv_int(&j, "overflows", (int64_t)es.overflows);
	json_kv_int(&j, "pending_overflows", (int64_t)es.pending_overflows);
	json_kv_int(&j, "storm_drops", (int64_t)es.storm_drops);
	json_kv_int(&j, "reconciles", (int64_t)es.reconciles);
	json_kv_int(&j, "baselines", (int64_t)es.baselines);
	json_kv_bool(&j, "reconciling", es.reconciling);
	json_kv_int(&j, "last_reconcile_ms", (int64_t)es.last_reconcile_ms);
	json_kv_double(&j, "latency_avg_ms",
		       es.lat_count ? (double)es.lat_sum_ns / (double)es.lat_count / 1e6 : 0);
	json_kv_double(&j, "latency_max_ms", (double)es.lat_max_ns / 1e6);
	json_kv_int(&j, "latency_count", (int64_t)es.lat_count);
	json_kv_double(&j, "latency_sum_ms", (double)es.lat_sum_ns / 1e6);
	json_kv_int(&j, "hash_errors", (int64_t)es.hash_errors);
	json_kv_int(&j, "analyses", (int64_t)es.analyses);
	json_kv_int(&j, "analysis_cache_hits", (int64_t)es.analysis_cache_hits);
	json_kv_int(&j, "analysis_skipped", (int64_t)es.analysis_skipped);
	json_kv_int(&j, "analysis_findings", (int64_t)es.analysis_findings);
	json_kv_int(&j, "analysis_backlog", (int64_t)es.analysis_backlog);
	json_kv_int(&j, "analysis_rejudged", (int64_t)es.analysis_rejudged);
	json_kv_int(&j, "quarantined", (int64_t)es.quarantined);
	json_kv_str(&j, "rules_version", es.rules_version);
	json_kv_str(&j, "database", store_path(d.s));
	if (es.store_err)
		json_kv_str(&j, "database_error", strerror(es.store_err));
	json_kv_int(&j, "commit_failures", (int64_t)es.commit_failures);
	if ((ph = proc_protected_hardlinks()) >= 0)
		json_kv_bool(&j, "protected_hardlinks", ph == 1);
	{
		struct retention_db_stats rs;

		retention_db_stats(d.s, &rs);
		json_kv_int(&j, "database_bytes", rs.db_bytes);
		json_kv_int(&j, "database_wal_bytes", rs.wal_bytes);
		json_kv_int(&j, "database_free_bytes", rs.free_bytes);
		json_key(&j, "oldest_event_time");
		if (rs.oldest_event_s)
			json_int(&j, rs.oldest_event_s);
		else
			json_null(&j);
		json_kv_int(&j, "retention_events_deleted", (int64_t)d.ret.stats.events);
		json_kv_int(&j, "retention_outbox_deleted", (int64_t)d.ret.stats.outbox);
		json_kv_int(&j, "retention_notified_deleted", (int64_t)d.ret.stats.notified);
		json_kv_int(&j, "retention_rounds", (int64_t)d.ret.stats.rounds);
		json_kv_int(&j, "retention_last_round", d.ret.stats.last_round_s);
		json_kv_int(&j, "retention_steps", (int64_t)d.ret.stats.steps);
		json_kv_double(&j, "retention_step_avg_ms",
			       d.ret.stats.steps ? (double)d.ret.stats.step_ns_sum / (double)d.ret.stats.steps / 1e6
						 : 0);
		json_kv_double(&j, "retention_step_max_ms", (double)d.ret.stats.step_ns_max / 1e6);
	}
	if (index_counts(built, &fs) == 0) {
		json_kv_int(&j, "index_products", (int64_t)fs.products);
		json_kv_int(&j, "index_versions", (int64_t)fs.versions);
	}
	json_kv_str(&j, "index_built_at", built);
	/* a signed bundle says when it was made; a local build when it ran */
	if (created || built)
		json_kv_int(&j, "index_age_s", now_unix() - strtoll(created ? created : built, NULL, 10));
	json_kv_int(&j, "index_serial", serial ? strtoll(serial, NULL, 10) : 0);
	json_kv_str(&j, "index_key", key);
	json_kv_int(&j, "held_total", (int64_t)es.held);
	if (d.n) {
		struct notifier_stats ns;

		notifier_get_stats(d.n, &ns);
		json_kv_int(&j, "outbox_open", ns.open);
		json_kv_int(&j, "outbox_pending", ns.pending + ns.sending);
		json_kv_int(&j, "outbox_retrying", ns.retrying);
		json_kv_int(&j, "outbox_sent", ns.sent);
		json_kv_int(&j, "outbox_failed", ns.failed);
		json_kv_int(&j, "outbox_dead", ns.dead);
		json_kv_int(&j, "delivery_restarts", ns.delivery_restarts);
		json_kv_int(&j, "notifications_sent", ns.sent_total);
		json_kv_int(&j, "notifications_failed", ns.failed_total);
		json_kv_int(&j, "notifications_dead", ns.dead_total);
		json_kv_str(&j, "delivery_sandbox", ns.sandbox);
		{
			struct buf fr;

			buf_init(&fr, 1 << 16);
			notifier_failing_routes(d.n, &fr);
			json_kv_str(&j, "failing_routes", fr.len ? fr.data : NULL);
			buf_free(&fr);
		}
	}
	json_kv_int(&j, "aggregates", (int64_t)es.aggregates);
	{
		struct watch_stats ws;

		watch_get_stats(d.w, &ws);
		json_kv_int(&j, "fanotify_events", (int64_t)ws.events);
		json_kv_int(&j, "fanotify_overflows", (int64_t)ws.overflows);
	}
	/* last: its keys are verdict names (metrics.c reads it as one object) */
	json_key(&j, "events_by_verdict");
	json_obj_begin(&j);
	for (i = 0; i < VERDICT_MAX; i++)
		json_kv_int(&j, verdict_name((enum verdict_kind)i), (int64_t)es.events_by_verdict[i]);
	json_obj_end(&j);
	json_obj_end(&j);
	free(built);
	free(created);
	free(serial);
	free(key);
}

/* ---- metrics textfile ---- */

/* writes the figures of the status reply (up false: the daemon is stopping) */
static void
metrics_write(bool up)
{
	const char *path = d.cfg->metrics_textfile;
	struct metrics m;
	struct buf st, out;
	char err[1024];

	if (path == NULL)
		return;
	buf_init(&st, 1 << 20);
	buf_init(&out, 1 << 20);
	status_json(&st);
	if (metrics_from_status(st.data, &m) < 0) {
		/* a broken invariant of this file, never a reason to stop */
		log_warnx("metrics: the status figures do not parse; textfile not written");
		goto out;
	}
	m.up = up;
	metrics_render(&m, &out);
	{
		struct census cs;
		int r;

		/* counted in a thread of its own from the first write on; a clean
		 * stop keeps the last count beside wsid_up 0 */
		if (up && d.census == NULL &&
		    (r = census_counter_start(d.cfg->database, d.cfg->metrics_interval_ms, &d.census)) < 0)
			log_warnx("metrics: cannot start the census: %s", strerror(-r));
		census_counter_get(d.census, &cs);
		metrics_render_census(&cs, &out);
		census_free(&cs);
	}
	if (metrics_write_file(path, out.data, out.len, err, sizeof(err)) < 0) {
		if (!d.metrics_failing)
			log_warnx("metrics: cannot write the textfile: %s (retried every %llu s; said "
				  "again when it works)", err,
				  (unsigned long long)(d.cfg->metrics_interval_ms / 1000));
		d.metrics_failing = true;
	} else if (d.metrics_failing) {
		log_info("metrics: %s written again", path);
		d.metrics_failing = false;
	}
out:
	buf_free(&st);
	buf_free(&out);
}

/* ---- timers ---- */

/* the daemon's one list, by name */
static void
timer_at(enum timer_id t, uint64_t due_ns)
{
	timers_at(&d.timers, t, due_ns);
}

static void
timer_in(enum timer_id t, uint64_t now, uint64_t ms)
{
	timers_in(&d.timers, t, now, ms);
}

static void
metrics_schedule(void)
{
	if (d.cfg->metrics_textfile)
		timer_in(TIMER_METRICS, now_mono_ns(), d.cfg->metrics_interval_ms);
	else
		timer_at(TIMER_METRICS, TIMER_OFF);
}

static void
reply_err(uint64_t client, const char *msg)
{
	struct buf b;
	struct json j;

	buf_init(&b, 1 << 16);
	json_init(&j, &b);
	json_obj_begin(&j);
	json_kv_bool(&j, "ok", false);
	json_kv_str(&j, "error", msg);
	json_obj_end(&j);
	control_reply(d.ctl, client, b.data, true);
	buf_free(&b);
}

static int reload_config(char *err, size_t errsz);

/* ---- control verbs (control.h): one handler each ---- */

static void
ctl_status(uint64_t client, const char *arg)
{
	struct buf b;

	(void)arg;
	buf_init(&b, 1 << 20);
	status_json(&b);
	control_reply(d.ctl, client, b.data, true);
	buf_free(&b);
}

static void
ctl_follow(uint64_t client, const char *arg)
{
	(void)arg;
	control_follow(d.ctl, client);
	control_reply(d.ctl, client, "{\"ok\":true,\"follow\":true}", false);
}

/* answered by check_waiters once the engine is idle, or at the deadline */
static void
ctl_sync(uint64_t client, const char *arg)
{
	long ms = arg[0] ? strtol(arg, NULL, 10) : 600000;

	if (ms <= 0 || ms > 86400000) {
		reply_err(client, "sync: timeout out of range");
		return;
	}
	if (d.nwaiters == CONTROL_CLIENTS_MAX) {
		reply_err(client, "sync: too many waiters");
		return;
	}
	d.waiters[d.nwaiters].client = client;
	d.waiters[d.nwaiters].deadline_ns = now_mono_ns() + (uint64_t)ms * 1000000ull;
	d.nwaiters++;
}

/* rescan: every webspace, or the one whose root is the base64 path arg */
static void
ctl_rescan(uint64_t client, const char *arg)
{
	unsigned char path[4096];
	size_t plen, rl;
	int64_t ws;

	if (arg[0] == '\0') {
		engine_reconcile(d.e, 0, "rescan requested");
		control_reply(d.ctl, client, "{\"ok\":true,\"rescan\":\"all\"}", true);
		return;
	}
	if (sodium_base642bin(path, sizeof(path) - 1, arg, strlen(arg), NULL, &plen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		reply_err(client, "rescan: the path must be base64");
		return;
	}
	path[plen] = '\0';
	while (plen > 1 && path[plen - 1] == '/')
		path[--plen] = '\0';
	if (!engine_webspace_find(d.e, (const char *)path, plen, &ws, &rl) || rl != plen) {
		reply_err(client, "rescan: not a watched webspace");
		return;
	}
	engine_reconcile(d.e, ws, "rescan requested");
	control_reply(d.ctl, client, "{\"ok\":true,\"rescan\":1}", true);
}

static void
ctl_notify_test(uint64_t client, const char *arg)
{
	char out[160];
	int64_t first = 0, last = 0;
	int k = d.n ? notifier_test(d.n, arg, &first, &last) : -ENOENT;

	if (k < 0) {
		reply_err(client, "notify-test: no such customer in the configuration");
		return;
	}
	if (k == 0) {
		reply_err(client, "notify-test: the customer has no email or webhook route");
		return;
	}
	engine_flush(d.e);
	d.notify_kick = true;
	timer_at(TIMER_NOTIFY, 0);
	snprintf(out, sizeof(out), "{\"ok\":true,\"queued\":%d,\"first\":%lld,\"last\":%lld}", k,
		 (long long)first, (long long)last);
	control_reply(d.ctl, client, out, true);
}

static void
ctl_outbox_kick(uint64_t client, const char *arg)
{
	(void)arg;
	timer_at(TIMER_NOTIFY, 0);
	control_reply(d.ctl, client, "{\"ok\":true}", true);
}

static void
ctl_index_changed(uint64_t client, const char *arg)
{
	(void)arg;
	if (engine_reload_index(d.e) < 0)
		reply_err(client, "index reload failed: the loaded index is kept (see the log)");
	else
		control_reply(d.ctl, client, "{\"ok\":true,\"index\":\"reloaded\"}", true);
}

/* marks: apply every mark, or those of the SHA-256 (hex) arg */
static void
ctl_marks(uint64_t client, const char *arg)
{
	uint8_t sha[32];
	size_t bl = 0, n;
	char out[96];

	if (arg[0] && (strlen(arg) != 64 || sodium_hex2bin(sha, sizeof(sha), arg, 64, NULL, &bl, NULL) != 0 ||
		       bl != 32)) {
		reply_err(client, "marks: expected a SHA-256 in hex");
		return;
	}
	n = engine_apply_marks(d.e, arg[0] ? sha : NULL);
	snprintf(out, sizeof(out), "{\"ok\":true,\"reclassified\":%zu}", n);
	control_reply(d.ctl, client, out, true);
}

static void
ctl_reload(uint64_t client, const char *arg)
{
	char err[1024];

	(void)arg;
	if (reload_config(err, sizeof(err)) < 0)
		reply_err(client, err);
	else
		control_reply(d.ctl, client, "{\"ok\":true,\"reloaded\":true}", true);
}

static const struct ctl_verb {
	const char *name;
	bool needs_root; /* refused to a peer that is not root */
	void (*fn)(uint64_t client, const char *arg);
} ctl_verbs[] = {
	{ "status", false, ctl_status },
	{ "follow", false, ctl_follow },
	{ "sync", false, ctl_sync },
	{ "rescan", true, ctl_rescan },
	{ "notify-test", true, ctl_notify_test },
	{ "outbox-kick", true, ctl_outbox_kick },
	{ "index-changed", true, ctl_index_changed },
	{ "marks", true, ctl_marks },
	{ "reload", true, ctl_reload },
};

static void
on_control(void *ud, uint64_t client, const char *verb, const char *arg, bool privileged)
{
	size_t i;

	(void)ud;
	for (i = 0; i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]); i++) {
		if (strcmp(verb, ctl_verbs[i].name) != 0)
			continue;
		if (ctl_verbs[i].needs_root && !privileged)
			reply_err(client, "permission denied: this verb needs root");
		else
			ctl_verbs[i].fn(client, arg);
		return;
	}
	/* an unknown verb from a peer that is not root is refused as before */
	reply_err(client, privileged ? "unknown verb" : "permission denied: this verb needs root");
}

static void
check_waiters(void)
{
	bool idle = engine_idle(d.e);
	uint64_t now = now_mono_ns();
	size_t i = 0;

	while (i < d.nwaiters) {
		if (idle || now >= d.waiters[i].deadline_ns) {
			control_reply(d.ctl, d.waiters[i].client,
				      idle ? "{\"ok\":true,\"idle\":true}"
					   : "{\"ok\":false,\"error\":\"timed out before idle\"}",
				      true);
			d.waiters[i] = d.waiters[--d.nwaiters];
		} else
			i++;
	}
}

/* ---- configuration ---- */

static void
apply_log_level(void)
{
	log_set_level(d.cfg->log_level);
}

/* the classification settings and the path filter of the engine (they point
 * into d.cfg) */
static void
policy_from_config(struct engine_opts *eo)
{
	eo->reident_ms = d.cfg->update_window_ms;
	eo->consensus_min = d.cfg->consensus_min;
	eo->component_dirs = d.cfg->component_dirs;
	eo->ncomponent_dirs = d.cfg->ncomponent_dirs;
	eo->web_server = d.cfg->web_server_processes;
	eo->nweb_server = d.cfg->nweb_server_processes;
	eo->ignored_ud = d.cfg;
	eo->quarantine_malicious = d.cfg->quarantine_malicious;
}

/* a customer's own access log (customers.NAME.access_log), NULL: the global one */
static const char *
d_customer_log(void *ud, const char *customer)
{
	const struct config_customer *cu = config_customer_find(d.cfg, customer);

	(void)ud;
	return cu ? cu->access_log : NULL;
}

/* php_fpm and access_log into the request attribution (reqattr.h) */
static void
reqattr_from_config(void)
{
	struct reqattr_conf rc = { .npools = d.cfg->nfpm_pools, .discover = d.cfg->fpm_discover,
				   .timeout_ms = d.cfg->fpm_timeout_ms, .access_log = d.cfg->access_log,
				   .access_log_wait_ms = d.cfg->access_log_wait_ms, .customer_log = d_customer_log };
	struct reqattr_pool *pools = xcalloc(d.cfg->nfpm_pools + 1, sizeof(*pools));
	size_t i;

	for (i = 0; i < d.cfg->nfpm_pools; i++) {
		pools[i].name = d.cfg->fpm_pools[i].name;
		pools[i].listen = d.cfg->fpm_pools[i].listen;
		pools[i].status_path = d.cfg->fpm_pools[i].status_path;
	}
	rc.pools = pools;
	reqattr_configure(d.ra, &rc);
	free(pools);
}

/* analysis.severity of a finding class, -1 none (read at each judgement) */
static int
d_class_severity(void *ud, const char *cls)
{
	size_t i;

	(void)ud;
	for (i = 0; i < d.cfg->nanalysis_severity; i++)
		if (strcmp(d.cfg->analysis_severity[i].verdict, cls) == 0)
			return d.cfg->analysis_severity[i].severity;
	return -1;
}

/* the analyser with the configuration's rules (NULL: analysis off); a rule
 * file that does not compile is an error naming it. Globs with wildcards
 * that match nothing leave our PHP analyser alone. */
static int
analysis_load(const struct config *c, struct analyse **ret, char *err, size_t errsz)
{
	int r;

	*ret = NULL;
	if (!c->analysis_enabled)
		return 0;
	/* with the rules an imported bundle brought (bundle.h) */
	r = bundle_analyser_new(c->database, (const char *const *)c->analysis_rules, c->nanalysis_rules,
				NULL, 0, ret, err, errsz);
	if (r == -ENOENT) {
		log_warnx("analysis: %s: the PHP analyser alone", err);
		r = analyse_new(NULL, 0, ret, err, errsz);
	}
	if (r == 0)
		log_info("analysis: %zu rule files, rules version %.12s", analyse_rule_files(*ret),
			 analyse_rules_version(*ret));
	return r;
}

/* does the new configuration stop ignoring a path the old one ignored? A
 * glob taken out (or changed) may uncover files that are stored nowhere */
static bool
ignore_uncovers(const struct config *old, const struct config *nc)
{
	size_t i, j;

	for (i = 0; i < old->nignore; i++) {
		for (j = 0; j < nc->nignore && strcmp(old->ignore[i], nc->ignore[j]) != 0; j++)
			;
		if (j == nc->nignore)
			return true;
	}
	return false;
}

static int
reload_config(char *err, size_t errsz)
{
	struct config *nc = NULL;
	struct analyse *an = NULL;
	bool uncovered;
	int r = config_load(d.config_path, &nc, err, errsz);

	if (r == 0 && (r = config_check_host(nc, err, errsz)) == 0)
		r = analysis_load(nc, &an, err, errsz); /* a rule that does not compile refuses it */
	if (r < 0) {
		config_free(nc);
		log_warnx("reload refused, keeping the running configuration: %s", err);
		return r;
	}
	if (strcmp(nc->database, d.cfg->database) != 0)
		log_warnx("reload: database: a new path takes effect at restart");
	if (d.cfg->metrics_textfile &&
	    (nc->metrics_textfile == NULL || strcmp(nc->metrics_textfile, d.cfg->metrics_textfile) != 0)) {
		/* node_exporter must not keep serving figures nobody updates */
		if (unlink(d.cfg->metrics_textfile) < 0 && errno != ENOENT)
			log_warnx("metrics: cannot remove the old textfile %s: %s", d.cfg->metrics_textfile,
				  strerror(errno));
		d.metrics_failing = false;
	}
	uncovered = ignore_uncovers(d.cfg, nc);
	config_free(d.cfg);
	d.cfg = nc;
	/* the notifier read the configuration just freed: the new one, at once */
	if (d.n) {
		/* its delivery process is started again now: the new socket may
		 * reuse the old one's number, so it is registered afresh */
		notifier_set_config(d.n, d.cfg);
		if (d.notify_fd >= 0)
			epoll_ctl(d.epfd, EPOLL_CTL_DEL, d.notify_fd, NULL);
		d.notify_fd = -1;
		timer_at(TIMER_NOTIFY, 0);
	}
	{
		struct engine_opts eo;

		memset(&eo, 0, sizeof(eo));
		policy_from_config(&eo);
		engine_set_policy(d.e, &eo);
	}
	reqattr_from_config();
	engine_set_analyse(d.e, an, d.cfg->analysis_max_size);
	analyse_free(an);
	engine_reload_index(d.e);
	apply_log_level();
	engine_discovery_begin(d.e);
	discover_webspaces();
	webspaces_activity();
	if (uncovered) {
		/* what was ignored is not stored: a reconcile finds it now, not at
		 * its next change (which may never come: a shell lies still) */
		log_info("reload: ignore: a path is no longer ignored: every webspace is reconciled");
		engine_reconcile(d.e, 0, "ignore paths taken out");
	}
	metrics_write(true);
	metrics_schedule();
	log_info("configuration reloaded from %s", d.config_path);
	sd_notifyf("RELOADING=0\nREADY=1\nSTATUS=configuration reloaded");
	return 0;
}

/* ---- the loop ---- */

static void
epoll_add(int fd, int tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)tag };

	if (epoll_ctl(d.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl");
}

static void
watch_pause(bool pause)
{
	struct epoll_event ev = { .events = pause ? 0 : EPOLLIN, .data.u32 = TAG_WATCH };

	if (d.watch_paused == pause)
		return;
	d.watch_paused = pause;
	epoll_ctl(d.epfd, EPOLL_CTL_MOD, watch_fd(d.w), &ev);
}

/* the notifier: ticks when due, or at most every 50 ms after new events;
 * only committed outbox rows are ever dispatched */
static void
notify_step(uint64_t now)
{
	int t;

	if (d.n == NULL)
		return;
	if (engine_uncommitted(d.e))
		engine_flush(d.e);
	notifier_tick(d.n);
	d.notify_kick = false;
	d.notify_last_ns = now;
	t = notifier_timeout_ms(d.n);
	timer_in(TIMER_NOTIFY, now, t < 0 ? 60000 : (uint64_t)t);
	if (notifier_fd(d.n) != d.notify_fd) {
		if (d.notify_fd >= 0)
			epoll_ctl(d.epfd, EPOLL_CTL_DEL, d.notify_fd, NULL);
		d.notify_fd = notifier_fd(d.n);
		if (d.notify_fd >= 0)
			epoll_add(d.notify_fd, TAG_NOTIFY);
	}
}

/* one step of the retention round, between two turns of the loop: short
 * transactions on this connection, spaced to take at most a tenth of the
 * time (retention.h) */
static void
retention_run(void)
{
	uint64_t t0, took;
	bool more = false;
	int r;

	/* what is batched commits first, as before a notifier tick */
	if (engine_uncommitted(d.e))
		engine_flush(d.e);
	t0 = now_mono_ns();
	r = retention_step(&d.ret, d.s, &d.cfg->retention, now_real_ns() / 1000000, &more);
	took = now_mono_ns() - t0;
	d.ret.stats.step_ns_sum += took;
	if (took > d.ret.stats.step_ns_max)
		d.ret.stats.step_ns_max = took;
	if (r < 0) {
		if (r != d.retention_err)
			log_warnx("retention: cannot delete old history from %s: %s (tried again in %llu s)",
				  store_path(d.s), strerror(-r),
				  (unsigned long long)(d.cfg->retention.interval_ms / 1000));
		d.retention_err = r;
		more = false;
	} else if (d.retention_err) {
		log_info("retention: old history deleted again");
		d.retention_err = 0;
	}
	if (took > 40000000ull)
		log_debug("retention: a step of %d rows took %llu ms", r,
			  (unsigned long long)(took / 1000000ull));
	timer_in(TIMER_RETENTION, now_mono_ns(), retention_delay_ms(more, took, d.cfg->retention.interval_ms));
}

static void
retention_fire(uint64_t now)
{
	(void)now;
	retention_run();
}

static void
discover_fire(uint64_t now)
{
	discover_webspaces();
	timer_in(TIMER_DISCOVER, now, DISCOVER_INTERVAL_MS);
	if (now - d.ev_window_start_ns > 0) {
		d.ev_rate_prev = d.ev_window_count * 1000000000ull / (now - d.ev_window_start_ns + 1);
		d.ev_window_count = 0;
		d.ev_window_start_ns = now;
	}
}

static void
metrics_fire(uint64_t now)
{
	(void)now;
	metrics_write(true);
	metrics_schedule();
}

static void
reconcile_fire(uint64_t now)
{
	engine_reconcile(d.e, 0, "periodic safety reconcile");
	timer_in(TIMER_RECONCILE, now, d.cfg->reconcile_interval_ms);
}

static void
watchdog_fire(uint64_t now)
{
	struct engine_stats es;

	engine_get_stats(d.e, &es);
	sd_notifyf("WATCHDOG=1\nSTATUS=watching %zu webspaces; %llu events; pending %zu", es.webspaces,
		   (unsigned long long)es.events, es.pending);
	timer_at(TIMER_WATCHDOG, now + d.watchdog_ns / 2);
}

static timer_fire_fn *const timer_fire[TIMER_MAX] = {
	[TIMER_NOTIFY] = notify_step,       [TIMER_DISCOVER] = discover_fire,
	[TIMER_METRICS] = metrics_fire,     [TIMER_RETENTION] = retention_fire,
	[TIMER_RECONCILE] = reconcile_fire, [TIMER_WATCHDOG] = watchdog_fire,
};

static int
next_timeout(void)
{
	uint64_t now = now_mono_ns(), next = timers_next(&d.timers);
	int t = engine_timeout_ms(d.e);
	size_t i;

	if (d.disc_due_ns && d.disc_due_ns < next)
		next = d.disc_due_ns;
	if (d.watch_paused && d.watch_resume_ns < next)
		next = d.watch_resume_ns;
	for (i = 0; i < d.nwaiters; i++)
		if (d.waiters[i].deadline_ns < next)
			next = d.waiters[i].deadline_ns;
	if (d.n && d.notify_kick && d.notify_last_ns + 50000000ull < next)
		next = d.notify_last_ns + 50000000ull;
	if (d.nwaiters)
		next = now + 50000000ull < next ? now + 50000000ull : next;
	{
		int tn = next <= now ? 0 : (int)((next - now) / 1000000ull) + 1;

		if (t < 0 || tn < t)
			t = tn;
	}
	return t;
}

static void
on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(d.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char err[1024];

			sd_notifyf("RELOADING=1");
			reload_config(err, sizeof(err));
			sd_notifyf("READY=1");
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			d.stop = true;
		}
	}
}

static void
loop(void)
{
	struct epoll_event evs[32];

	while (!d.stop) {
		uint64_t now;
		int n, i, timeout;

		{
			uint64_t t0 = now_mono_ns();

			engine_flush_due(d.e);
			if (now_mono_ns() - t0 > 40000000ull)
				log_debug("loop: commit took %llu ms",
					  (unsigned long long)((now_mono_ns() - t0) / 1000000ull));
		}
		check_waiters();
		timeout = next_timeout();
		if (engine_uncommitted(d.e) && (timeout < 0 || timeout > 20))
			timeout = 20; /* the batch's age limit */
		n = epoll_wait(d.epfd, evs, 32, timeout);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			uint64_t h0 = now_mono_ns();

			switch (evs[i].data.u32) {
			case TAG_WATCH: {
				ssize_t got = watch_read(d.w, on_watch_event, NULL);

				/* a short read: let the kernel gather and merge for 2 ms
				 * (cuts reader CPU ~90 % under bursts, brief §2.2) */
				if (got >= 0 && (size_t)got < WATCH_BUF_SIZE / 2) {
					d.watch_resume_ns = now_mono_ns() + 2000000ull;
					watch_pause(true);
				}
				break;
			}
			case TAG_HASH:
				engine_on_hashed(d.e);
				break;
			case TAG_BG:
				engine_on_bg(d.e);
				break;
			case TAG_CONTROL:
				control_dispatch(d.ctl);
				break;
			case TAG_SIGNAL:
				on_signal();
				break;
			case TAG_NOTIFY:
				/* results write to the outbox: after what is batched */
				engine_flush(d.e);
				notifier_on_readable(d.n);
				timer_at(TIMER_NOTIFY, 0);
				break;
			default:
				break;
			}
			if (now_mono_ns() - h0 > 40000000ull)
				log_debug("loop: handler %u took %llu ms", evs[i].data.u32,
					  (unsigned long long)((now_mono_ns() - h0) / 1000000ull));
		}
		now = now_mono_ns();
		{
			uint64_t t0 = now;

			engine_tick(d.e);
			if (now_mono_ns() - t0 > 40000000ull)
				log_debug("loop: tick took %llu ms",
					  (unsigned long long)((now_mono_ns() - t0) / 1000000ull));
		}
		if (d.watch_paused && now >= d.watch_resume_ns)
			watch_pause(false);
		/* new events: the notifier ticks within 50 ms */
		if (d.n && d.notify_kick && now >= d.notify_last_ns + 50000000ull)
			timer_at(TIMER_NOTIFY, now);
		discover_due(now);
		timers_run(&d.timers, now);
	}
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: wsid [--config PATH] [--foreground] [--check-config] [--debug] [--version]\n"
		     "  --config PATH    configuration (default " DEFAULT_CONFIG ")\n"
		     "  --foreground     log to stderr without journald priority prefixes\n"
		     "  --check-config   validate the configuration and exit (0 valid, 1 not)\n"
		     "  --debug          log at debug level\n");
}

/* the database's check failed (store_check_begin) */
static void
db_damaged(const char *msg)
{
	fatalx("%s: the database fails its integrity check (%s); move it away and start again "
	       "(wsid rebuilds the state from a scan; rebuild the index with wsidctl index build)",
	       d.cfg->database, esc_name(msg));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' }, { "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool foreground = false, check_only = false, debug = false;
	struct engine_opts eo;
	struct watch_options wo;
	char err[2048];
	sigset_t mask;
	size_t i;
	int c, r;

	/* the delivery process and the delivery service (delivercli.c) */
	if (deliver_cli_mode(argc, argv))
		return deliver_cli(argc, argv);
	d.config_path = DEFAULT_CONFIG;
	d.notify_fd = -1;
	while ((c = getopt_long(argc, argv, "c:fdh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'C':
			check_only = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'V':
			printf("wsid %s\n", WSID_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	/* journald reads "<N>" prefixes on stderr when started by systemd */
	log_init("wsid", debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO,
		 !foreground && getenv("JOURNAL_STREAM") != NULL);
	if (config_load(d.config_path, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsid: %s\n", err);
		return 1;
	}
	if (config_check_host(d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsid: %s\n", err);
		config_free(d.cfg);
		return 1;
	}
	if (check_only) {
		printf("%s: valid\n", d.config_path);
		config_free(d.cfg);
		return 0;
	}
	if (!debug)
		apply_log_level();
	if (sodium_init() < 0)
		fatalx("libsodium cannot initialise");
	warn_protected_hardlinks();
	if (store_open(d.cfg->database, STORE_CREATE, &d.s, err, sizeof(err)) < 0)
		fatalx("%s", err);
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	/* signals through signalfd: blocked before any thread exists, so that no
	 * worker thread takes a SIGTERM's default action */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d.sigfd < 0 || d.epfd < 0)
		fatal("signalfd/epoll");

	/* watch first: from here on no change is missed. The marks are placed
	 * before the database is checked and the engine loads its state (the
	 * kernel queues the events meanwhile), so the time to watching does not
	 * grow with the database */
	memset(&wo, 0, sizeof(wo));
	wo.queue_size = d.cfg->queue_size;
	if ((r = watch_open(&d.w, &wo)) < 0)
		fatalx("fanotify: %s", strerror(-r));
	d.started_ns = now_mono_ns();
	d.started_unix = now_unix();
	config_foreach_webspace(d.cfg, mark_early);
	/* clients wait in the backlog until the loop runs */
	if ((r = control_open(d.cfg->control_socket, 0, on_control, NULL, &d.ctl)) < 0)
		fatalx("control socket %s: %s", d.cfg->control_socket, strerror(-r));
	sd_notifyf("READY=1\nSTATUS=watching %zu webspaces, loading the state", nearly);
	/* a damaged database is refused, never silently rebuilt. The check
	 * reads every page once, on a thread of its own: the engine's start and
	 * the webspaces' walks go on meanwhile (on the other cores); nothing is
	 * committed, nor any walk merged (the loop), before it has passed
	 * (store_check_end below) */
	store_check_begin(d.s, db_damaged);
	memset(&eo, 0, sizeof(eo));
	eo.dbpath = d.cfg->database;
	eo.hash_workers = (unsigned)d.cfg->hash_workers;
	eo.max_file_size = d.cfg->max_file_size;
	eo.debounce_close_ms = d.cfg->debounce_close_write_ms;
	eo.debounce_modify_ms = d.cfg->debounce_modify_ms;
	eo.modify_max_ms = d.cfg->debounce_modify_max_ms;
	eo.ignored = d_ignored;
	eo.ignore_hold = d_ignore_hold;
	eo.ignore_release = d_ignore_release;
	eo.severity = d_severity;
	eo.severity_ud = &d;
	eo.on_event = d_on_event;
	eo.on_event_ud = &d;
	eo.read_events = d_read_events;
	if (analysis_load(d.cfg, &eo.an, err, sizeof(err)) < 0)
		fatalx("analysis: %s", err);
	eo.an_max_size = d.cfg->analysis_max_size;
	eo.an_class_severity = d_class_severity;
	d.ra = reqattr_new();
	reqattr_from_config();
	eo.ra = d.ra;
	policy_from_config(&eo);
	if ((r = engine_new(d.s, &eo, &d.e)) < 0) {
		store_check_end(d.s); /* a damaged database: said as such */
		fatalx("cannot start the engine: %s", strerror(-r));
	}
	analyse_free(eo.an); /* the engine holds its own */

	/* the webspaces' walks begin while the check still runs (registering
	 * reads their rows; a new one's row, a commit, waits for the check) */
	register_early();
	/* nothing else before it has passed: no commit, no delivery process */
	store_check_end(d.s);
	/* before the first events (marks applied at start notify too) */
	if (notifier_new(d.s, d.cfg, "/proc/self/exe", &d.n) < 0)
		fatalx("cannot start notifications");
	real_patterns_update();
	webspaces_activity();
	/* rules changed, or the analysis switched on, while it was stopped */
	engine_analysis_catch_up(d.e);
	/* marks made while the daemon was stopped */
	engine_apply_marks(d.e, NULL);
	d.nfs = watch_nfs(d.w);
	epoll_add(watch_fd(d.w), TAG_WATCH);
	epoll_add(engine_hash_fd(d.e), TAG_HASH);
	epoll_add(engine_bg_fd(d.e), TAG_BG);
	epoll_add(control_fd(d.ctl), TAG_CONTROL);
	epoll_add(d.sigfd, TAG_SIGNAL);
	d.notify_fd = notifier_fd(d.n);
	if (d.notify_fd >= 0)
		epoll_add(d.notify_fd, TAG_NOTIFY);
	timers_init(&d.timers, timer_fire, TIMER_MAX);
	timer_at(TIMER_NOTIFY, 0);
	timer_in(TIMER_DISCOVER, now_mono_ns(), DISCOVER_INTERVAL_MS);
	d.ev_window_start_ns = now_mono_ns();
	if (d.cfg->reconcile_interval_ms)
		timer_in(TIMER_RECONCILE, now_mono_ns(), d.cfg->reconcile_interval_ms);
	d.watchdog_ns = sd_watchdog_usec() * 1000ull;
	/* the first round after the start-up's own work, or sooner when short */
	timer_in(TIMER_RETENTION, now_mono_ns(),
		 d.cfg->retention.interval_ms < 60000 ? d.cfg->retention.interval_ms : 60000);
	if (d.watchdog_ns)
		timer_at(TIMER_WATCHDOG, now_mono_ns());
	log_info("watching %zu webspaces on %u file system%s (database %s)",
		 engine_webspace_count(d.e), d.nfs, d.nfs == 1 ? "" : "s", d.cfg->database);
	sd_notifyf("STATUS=watching %zu webspaces", engine_webspace_count(d.e));
	metrics_write(true);
	metrics_schedule();

	loop();

	sd_notifyf("STOPPING=1");
	engine_flush(d.e);
	metrics_write(false);
	census_counter_stop(d.census);
	notifier_free(d.n);
	d.n = NULL;
	control_free(d.ctl);
	watch_close(d.w);
	engine_free(d.e);
	reqattr_free(d.ra);
	retention_clear(&d.ret);
	store_close(d.s);
	discover_forget();
	for (i = 0; i < d.nreal_patterns; i++)
		free(d.real_patterns[i]);
	free(d.real_patterns);
	config_free(d.cfg);
	close(d.sigfd);
	close(d.epfd);
	log_info("stopped");
	return 0;
}
