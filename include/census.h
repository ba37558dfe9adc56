/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node's census for Prometheus: its installations by product, kind, major
 * version and update state, and its open findings by verdict and severity.
 * Low cardinality by design: no customer, no path.
 *
 * An installation's state is its version's place among the product's
 * releases in the index (release_state_of): latest, latest_minor (the newest
 * of its branch, 6.1.9 of 6.1), outdated, unknown (a version the index does
 * not list). A finding is an event that stands alone (not a member of an
 * update, not held for its window), is not acknowledged (wsidctl ack), and
 * whose verdict is neither ok nor ignored.
 *
 * The daemon counts in a thread of its own, on its own read-only connection
 * (the count reads every event: about a second per million), every interval
 * while the database changes; wsidctl status --prometheus counts itself. */
#ifndef WSID_CENSUS_H
#define WSID_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

struct store;

enum census_state {
	CENSUS_LATEST = 0,
	CENSUS_LATEST_MINOR,
	CENSUS_OUTDATED,
	CENSUS_UNKNOWN,
	CENSUS_STATES,
};

struct census_row {
	char *product, *kind, *major;
	int64_t n[CENSUS_STATES];
};

struct census {
	bool counted;            /* false: nothing counted yet (nothing rendered) */
	struct census_row *rows; /* ordered by product, kind, major */
	size_t nrows;
	int64_t findings[VERDICT_MAX][SEV_MAX];
};

const char *census_state_name(enum census_state st);
/* the major version: "6.4.3" -> "6", "2022-07-31a" -> "2022" */
void census_major(const char *version, char *out, size_t outsz);
/* counts from the database into c (emptied first); 0 or -EIO with err said */
int census_count(struct store *s, struct census *c, char *err, size_t errsz);
/* the same from the database at path, opened read-only for it */
int census_count_db(const char *path, struct census *c, char *err, size_t errsz);
void census_free(struct census *c);

/* the daemon's counting thread */
struct census_counter;
/* counts the database at path every interval_ms (at once the first time) */
int census_counter_start(const char *db_path, uint64_t interval_ms, struct census_counter **out);
/* a copy of the last count (census_free it); counted false before the first */
void census_counter_get(struct census_counter *cc, struct census *out);
void census_counter_stop(struct census_counter *cc);

#endif
