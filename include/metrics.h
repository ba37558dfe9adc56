/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Metrics: the daemon's figures in the Prometheus text exposition format
 * (version 0.0.4), for node_exporter's textfile collector and for
 * `wsidctl status --prometheus`.
 *
 * DESIGN (one source of truth): the figures are read from the daemon's status
 * reply (the JSON object of the control verb "status"), by the daemon for its
 * textfile and by wsidctl for its output, and rendered by one function. What
 * `wsidctl status --json` says and what Prometheus scrapes cannot differ. */
#ifndef WSID_METRICS_H
#define WSID_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "census.h"
#include "classify.h"
#include "util.h"

struct metrics {
	bool up;             /* wsid_up: the daemon answers (and is not stopping) */
	bool figures;        /* the rest is filled (false: only wsid_up is written) */
	char version[64];
	int64_t start_time;  /* unix seconds */
	bool watching, reconciling;
	int64_t filesystems, webspaces, files;
	int64_t events[VERDICT_MAX]; /* events announced since start, by verdict */
	int64_t changes, hashed, hash_errors, overflows, pending_overflows;
	int64_t reconciles, baselines, held, aggregates, fanotify_events;
	int64_t pending, backlog;
	int64_t last_reconcile_ms;
	int64_t latency_count;
	double latency_sum_ms, latency_max_ms;
	bool have_outbox;
	int64_t outbox_open, outbox_pending, outbox_retrying, outbox_sent, outbox_failed, outbox_dead;
	int64_t notify_sent, notify_failed, notify_dead, delivery_restarts;
	int64_t index_products, index_versions, index_serial;
	bool have_index_age;
	int64_t index_age_s;
	char index_key[128]; /* empty: none */
	char database[4096]; /* the daemon's database (where the census is counted) */
};

/* Fills m from the daemon's status reply. -EINVAL when it is not one. */
int metrics_from_status(const char *json, struct metrics *m);
/* Appends the exposition of m to out. */
void metrics_render(const struct metrics *m, struct buf *out);
/* Appends the census (census.h): nothing before its first count. */
void metrics_render_census(const struct census *c, struct buf *out);
/* Appends s as a label value: backslash, double quote and newline escaped. */
void metrics_label_escape(struct buf *out, const char *s);
/* Replaces path atomically with len bytes of text: written to
 * PATH.tmp.<pid> in the same directory, fsync'ed, mode 0644, renamed.
 * Returns 0 or a negative errno with err saying what failed. */
int metrics_write_file(const char *path, const char *text, size_t len, char *err, size_t errsz);

#endif
