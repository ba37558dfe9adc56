/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The judge (judge.c): the facts of one change turned into a verdict, and the
 * rows that record it. Part of the engine (engine.h); the facts come from the
 * engine's index, state, /proc cache and analysis. The decision itself is
 * classify_change (classify.h, pure); the judge gathers what it needs and
 * adds what only the daemon knows (symlinks and special files, files it could
 * not read whole, the consensus of other webspaces, analysis findings, the
 * severity override, a web server as the writer). */
#ifndef WSID_JUDGE_H
#define WSID_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyse.h"
#include "classify.h"
#include "fpindex.h"
#include "hash.h"
#include "procinfo.h"
#include "reqattr.h"
#include "state.h"

struct engine;
struct webspace;

struct path_knowledge {
	bool release_path;
	enum content_known known;
	const struct fp_version *other;
};

/* what a change means. The members from `writer` on are the large ones
 * (some 14 KB), each read only under its flag (have_writer, have_req through
 * req_col, an_have): judge() zeroes the rest alone, not 14 KB a change */
struct judgement {
	const struct inst_row *ir;
	const struct fp_product *p;
	const struct fp_version *v;
	struct path_knowledge k;
	struct verdict vd;
	int sev;
	const char *ckey;
	size_t cklen;
	bool have_writer;
	bool have_req;
	const char *req_col, *req_unknown; /* the event's columns, in req_json */
	/* analysis of unknown code */
	bool an_wanted;  /* code that is no release: analysed (or to be) */
	bool an_have;    /* ar holds its result */
	bool an_cached;  /* taken from the cache */
	struct proc_info writer;  /* have_writer */
	struct reqattr_info req;  /* have_req: the HTTP request behind it (reqattr.h) */
	char req_json[6144];
	struct analyse_result ar; /* an_have */
};

/* Judges a change of w/relpath (res: what hashing found, NULL for a
 * deletion; pid: the writer, 0 unknown). J borrows from the engine's index
 * and w: valid until the next index swap or installation reload. */
void judge(struct engine *e, struct webspace *w, const char *relpath, size_t rlen,
	   enum change_kind change, const struct hash_result *res, int pid, struct judgement *J);
/* the event row of a judgement (pointers borrowed from w, relpath and J) */
void event_from_judgement(struct event_row *ev, struct webspace *w, const char *relpath, size_t rlen,
			  enum change_kind change, const struct judgement *J, int pid, const char *source);
/* the file row of a judgement (pointers borrowed from relpath and J) */
void file_row_fill(struct file_row *row, struct webspace *w, const char *relpath, size_t rlen,
		   const struct hash_result *res, const struct judgement *J);
/* verdicts that may be part of something larger: held for the window */
bool held_verdict(enum verdict_kind v);
/* the installation of w holding relpath, or NULL */
const struct inst_row *inst_for(struct webspace *w, const char *relpath, size_t rlen);
/* can renaming dir change the consensus keys of the files below it */
bool comp_keys_survive(const struct engine *e, const char *dir, size_t dlen);
/* a stored row as a hash result, with the head bytes read again from the
 * file beneath w's registered root for the code checks */
void res_from_row(struct webspace *w, const struct file_row *row, const char *relpath,
		  struct hash_result *ret);
/* a file not read whole (locked, changing): by hash status, by stored row */
bool status_unsettled(enum hash_status st);
bool row_unsettled(const struct file_row *row);

#endif
