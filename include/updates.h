/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Update aggregation and held events (updates.c), part of the engine
 * (engine.h). A change whose verdict may be part of something larger (an
 * update, a downgrade, an installation or removal: held_verdict in judge.h)
 * is stored as a held event; when its webspace has been quiet for
 * reident_ms, the webspace's installations are identified again and each one
 * that changed becomes one event standing for its held members; the held
 * events nothing stands for are judged again against the new installations
 * and released one by one. Runs on the event loop's thread. */
#ifndef WSID_UPDATES_H
#define WSID_UPDATES_H

#include "ident.h"

struct engine;
struct webspace;

/* Stores the installations ident found in w (r may be NULL: none), raises
 * one event per installation that changed and releases the events held
 * meanwhile; source is "baseline", "live", "reconcile" or "index". Commits. */
void store_installations(struct engine *e, struct webspace *w, const struct ident_result *r,
			 const char *source);
/* identifies w again from the stored hashes (its window closed) */
void reident(struct engine *e, struct webspace *w);

#endif
