/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration: /etc/wsid/wsid.yaml (libyaml) plus a drop-in directory of
 * customer files that control panels write (customers.d/NAME.yaml). Every error
 * names the file, line and column and what was expected. Unknown keys are
 * errors (a typo must not silently disable a setting). Hostile input is
 * bounded: file size, nesting depth, string length, number of entries (the
 * tree: yamltree.h). The schema is one function per top-level key
 * (config.c: sections[]); the path matcher is pathmatch.h. */
#ifndef WSID_CONFIG_H
#define WSID_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_BYTES (4u * 1024 * 1024)
#define CONFIG_MAX_DEPTH 16
#define CONFIG_MAX_STRING 4096
#define CONFIG_MAX_ITEMS 100000
#define CONFIG_MESSAGE_MIN (64u << 10) /* notify.max_message_size bounds */
#define CONFIG_MESSAGE_MAX (8u << 20)

struct config_webhook {
	char *url;
	char *secret;          /* whsec_<base64> or a plain string (whsig_key) */
	char *previous_secret; /* during a rotation: a second webhook-signature */
	char *ca_file; /* TLS: trust this CA file instead of the system's */
	bool unsigned_ok; /* unsigned: true, no secret: no signature header */
	bool github_signature; /* + X-Hub-Signature-256 of the raw body (GitHub's) */
	bool legacy_signature; /* + X-Hub-Signature-256 of "<ts>.<body>" (wsid 1) */
};

struct config_route {
	char **emails;
	size_t nemails;
	struct config_webhook webhook; /* url NULL: none */
	int min_severity;              /* 0 info .. 3 critical; -1 unset */
	int quiet_from, quiet_to;      /* minutes of the day (local time); -1: none */
};

struct config_sev_override {
	char *verdict;
	int severity;
};

struct config_customer {
	char *name;
	struct config_route route;
	char *language;
	struct config_sev_override *severity;
	size_t nseverity;
	char *source; /* file it came from */
	char *access_log; /* this customer's web server access log (NULL: access_log) */
};

/* a PHP-FPM pool asked for the request behind a write (reqattr.h) */
struct config_fpm_pool {
	char *name;
	char *listen;      /* /path or HOST:PORT; NULL: found from its workers */
	char *status_path; /* NULL: the pool has no status page */
};

struct config_webspace {
	char *pattern;  /* with {customer}; NULL for an explicit entry */
	char *path;     /* explicit entry */
	char *customer; /* explicit entry */
};

/* retention: what old history is deleted, and how fast (retention.h) */
struct config_retention {
	uint64_t events_ms[4];   /* events by severity (info .. critical); 0: kept for ever */
	uint64_t outbox_ms;      /* delivered notifications (sent, failed, dead); 0: for ever */
	uint64_t members_ms;     /* members of an acknowledged aggregate, after the ack; 0: for ever */
	uint64_t interval_ms;    /* between two rounds */
	unsigned batch;          /* rows deleted per transaction at most */
};

struct config {
	unsigned holds; /* config_hold calls not yet matched by a config_free */
	char *source;
	char *database;
	char *control_socket;
	char **fingerprints;
	size_t nfingerprints;
	char *customers_dir;
	int log_level; /* LOG_LEVEL_* of log.h */
	unsigned hash_workers;
	uint64_t max_file_size;
	uint64_t reconcile_interval_ms;
	uint64_t debounce_close_write_ms;
	uint64_t debounce_modify_ms;
	uint64_t debounce_modify_max_ms;
	uint64_t queue_size;
	struct config_webspace *webspaces;
	size_t nwebspaces;
	struct config_customer *customers;
	size_t ncustomers;
	char **ignore;
	size_t nignore;
	uint64_t ignore_max_file_size; /* 0: max_file_size */
	struct config_sev_override *severity;
	size_t nseverity;
	/* notifications (used by the notifier) */
	uint64_t digest_interval_ms;
	uint64_t notify_ttl_ms;        /* retries stop (dead letter) after this */
	uint64_t notify_backoff_ms;    /* first retry after this, doubling up to 1 h */
	char *notify_user;             /* the delivery process runs as this user */
	char *notify_socket;           /* connect to a delivery service instead of spawning */
	char *notify_templates;        /* DIR[/LANGUAGE]/NAME: message texts */
	bool notify_sandbox_optional;  /* the sender may run without Landlock */
	unsigned digest_max_events;    /* events listed per customer in a message */
	uint64_t notify_max_message;   /* bytes of a message body; more is split */
	char *smtp_url, *smtp_from, *smtp_username, *smtp_password;
	int smtp_tls;                  /* enum config_tls; 0: by the relay (config_smtp_tls) */
	char *smtp_ca_file;            /* trust this CA for the relay */
	struct config_route admin, dflt;
	/* metrics */
	char *metrics_textfile;        /* NULL: no textfile */
	size_t metrics_textfile_line, metrics_textfile_col; /* where it was set */
	uint64_t metrics_interval_ms;
	char **trusted_keys;        /* as written: read and checked by config_check_host */
	size_t ntrusted_keys;
	struct config_pos { size_t line, col; } *trusted_keys_at; /* where each was written */
	/* classification */
	uint64_t update_window_ms;  /* quiet window aggregating an installation's changes */
	unsigned consensus_min;     /* webspaces that must agree on a component file */
	char **component_dirs;      /* directories whose subdirectories are components */
	size_t ncomponent_dirs;
	char **web_server_processes; /* command names of web server / PHP processes */
	size_t nweb_server_processes;
	struct config_retention retention;
	/* wsidctl index fetch (0: its defaults) */
	char **fetch_sources;       /* "NAME=BASE-URL" */
	size_t nfetch_sources;
	uint64_t fetch_timeout_ms, fetch_interval_ms, fetch_negative_ttl_ms, fetch_max_bytes;
	char *fetch_ca_file;        /* TLS: trust this CA file instead of the system's */
	/* analysis of unknown code (analyse.h) */
	bool quarantine_malicious; /* respond.quarantine: malicious (default off) */
	bool analysis_enabled;
	char **analysis_rules;      /* globs of YARA rule files (default: ours) */
	size_t nanalysis_rules;
	uint64_t analysis_max_size; /* bytes read at most; larger files are not analysed */
	struct config_sev_override *analysis_severity; /* per finding class (.verdict holds it) */
	size_t nanalysis_severity;
	/* the HTTP request behind a change (reqattr.h) */
	struct config_fpm_pool *fpm_pools;
	size_t nfpm_pools;
	bool fpm_discover;          /* pools not listed: socket from the worker */
	uint64_t fpm_timeout_ms;
	uint64_t access_log_wait_ms;
	char *access_log;           /* with {customer}; NULL: none */
};

/* Loads path and the drop-in directory it names. On failure returns a negative
 * errno and err holds "file:line:column: what". */
int config_load(const char *path, struct config **ret, char *err, size_t errsz);
/* Parses text only (no drop-ins); name is used in messages. */
int config_load_string(const char *text, size_t len, const char *name, struct config **ret,
		       char *err, size_t errsz);
struct config *config_default(void);
/* Frees c, or gives back one config_hold. */
void config_free(struct config *c);
/* One more owner of c (a walk that reads it while a reload replaces it): c
 * lives until a config_free for each hold and the one for its load. Holds
 * are counted without a lock: take and give them back on one thread. */
struct config *config_hold(struct config *c);

const struct config_customer *config_customer_find(const struct config *c, const char *name);

/* notify.smtp.tls, as Postfix's smtp_tls_security_level: verify (TLS
 * required, the certificate checked), opportunistic (STARTTLS when offered,
 * any certificate), none */
enum config_tls { CONFIG_TLS_DEFAULT = 0, CONFIG_TLS_VERIFY, CONFIG_TLS_OPPORTUNISTIC, CONFIG_TLS_NONE };

/* the level in force: the configured one, else opportunistic for a relay on
 * a loopback address (smtp://127.x, [::1], localhost), else verify */
enum config_tls config_smtp_tls(const struct config *c);
/* "verify", "opportunistic" or "none" */
const char *config_tls_name(enum config_tls t);
/* whether a URL's host is a loopback address or localhost */
bool config_url_loopback(const char *url);

/* Does the absolute path lie in a webspace? Fills the customer (from the entry
 * or the {customer} component) and the length of the webspace root prefix. */
int config_webspace_match(const struct config *c, const char *path, char *customer_out, size_t sz,
			  size_t *root_len_out);
/* Calls fn for every existing webspace: explicit entries, and pattern matches
 * found with glob(3). */
void config_foreach_webspace(const struct config *c, void (*fn)(const char *path, const char *customer));
/* Could a directory that appears at path (absolute, no trailing '/') make a
 * webspace of the entry appear: is it the root of one, or a directory on the
 * way to one (the pattern's first components match it; an explicit entry's
 * path or one of its parents)? The daemon rediscovers only on such events. */
bool config_webspace_candidate(const struct config_webspace *w, const char *path);
bool config_pattern_candidate(const char *pattern, const char *path);
/* Calls fn for every existing webspace of the entry at or below the directory
 * under (every one when under is NULL): only what lies under it is globbed. */
void config_webspace_foreach(const struct config_webspace *w, const char *under,
			     void (*fn)(const char *path, const char *customer));

/* ignore globs, relative to a webspace; "**" spans directories; a trailing '/'
 * on relpath marks a directory (so a glob ending in a slash and two stars prunes the whole subtree) */
bool config_ignored(const struct config *c, const char *relpath);
bool config_glob_match(const char *glob, const char *path);

/* What only the host can tell, checked where the daemon runs (wsid at start,
 * --check-config and reload; not wsidctl, which only reads the paths it
 * needs): every trusted_keys entry is a public key (its text, or a file
 * holding one), and the directory of metrics.textfile exists. -EINVAL,
 * -ENOENT or -ENOTDIR with "file:line:column: what" in err. */
int config_check_host(const struct config *c, char *err, size_t errsz);

/* A file the daemon trusts (configuration, drop-in, template): owned by root
 * or this user, writable by nobody else. -EPERM with "path: why: fix" in err. */
struct stat;
int config_file_check(const char *path, const struct stat *st, char *err, size_t errsz);

int config_parse_duration(const char *s, uint64_t *ms);
int config_parse_size(const char *s, uint64_t *bytes);
int config_severity_for(const struct config *c, const char *verdict, const char *customer, int dflt);

#endif
