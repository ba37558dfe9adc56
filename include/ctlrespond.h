/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wsidctl restore and quarantine: the admin puts a webspace right.
 *
 * restore: the release content of a tampered or deleted file of an identified
 * installation, taken from the pristine store (pristine.h), its hash checked,
 * written beside the file and renamed over it (respond.h); what it replaces
 * goes to quarantine.
 * quarantine: a file moved out of its webspace into a root-only directory
 * beside the database, its metadata and who/when/why in the table
 * `quarantine`; `quarantine release ID` puts it back. */
#ifndef WSID_CTLRESPOND_H
#define WSID_CTLRESPOND_H

#include <stdbool.h>

struct ctl_env;
struct json;
struct ingest_result;
struct pristine;

int ctl_restore(int argc, char **argv, const struct ctl_env *env);
int ctl_quarantine(int argc, char **argv, const struct ctl_env *env);

/* the pristine store beside the database db (index ingest); NULL after a
 * message on failure */
struct pristine *ctl_pristine_open(const char *db, bool create);
/* closes it, telling what the ingest kept (nothing on stdout with json) */
void ctl_pristine_close(struct pristine *p, const struct ingest_result *ir, bool json);
/* `index stats`: a line, or "pristine" fields when j is given */
void ctl_pristine_stats(const char *db, struct json *j);

#endif
