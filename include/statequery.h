/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state's tables read for reports, over any connection (read-only is
 * enough): wsidctl's verbs and the census thread. state.c writes these
 * tables and holds the daemon's own reads; this module holds what the
 * reports read, so that no report runs SQL of its own on a table
 * (doc/architecture.md, "Where each table's SQL lives"). Every walk hands
 * rows to a callback; the pointers in a row are borrowed for the call, and
 * a callback returning non-zero stops the walk with that value. -EIO when
 * the query fails (sqlite3_errmsg(store_db(s)) says why). */
#ifndef WSID_STATEQUERY_H
#define WSID_STATEQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* installations of the active webspaces: product, kind ("unknown" when
 * none), version */
typedef int (*stateq_inst_fn)(void *ud, const char *product, const char *kind, const char *version);
int stateq_installations_active(struct store *s, stateq_inst_fn fn, void *ud);

/* open findings (as wsidctl events --unacked lists them: standing alone,
 * not acknowledged, verdict neither ok nor ignored) counted by verdict and
 * severity */
typedef int (*stateq_count_fn)(void *ud, const char *verdict, const char *severity, int64_t n);
int stateq_findings_open(struct store *s, stateq_count_fn fn, void *ud);

/* marks (known_bad, then trusted), oldest first: mark ("malicious",
 * "trusted"), sha256 (NULL: not 32 bytes), customer ("" = every customer;
 * NULL for malicious marks' ""), note, added_by, added_at (unix), example,
 * source (NULL for trusted) */
struct stateq_mark {
	const char *mark;
	const uint8_t *sha256;
	const char *customer, *note, *added_by;
	int64_t added_at;
	const char *example, *source;
};
typedef int (*stateq_mark_fn)(void *ud, const struct stateq_mark *m);
int stateq_marks(struct store *s, stateq_mark_fn fn, void *ud);
/* the known-bad hashes by hash, with the file each was found as (example) */
typedef int (*stateq_known_bad_fn)(void *ud, const uint8_t sha256[32], const char *example);
int stateq_known_bad(struct store *s, stateq_known_bad_fn fn, void *ud);

#endif
