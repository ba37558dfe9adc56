/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The import of a signed bundle (the format is in bundle.h) into the
 * database: verified and staged beside the database, checked whole (sets,
 * known-bad list, rules compiled), then written in one transaction with the
 * downgrade guard and its record in bundle_imports; the rules directory is
 * swapped with the commit. The running daemon is told what changed.
 *
 * Kept out of bundle.c: the configuration parser links bundle.o (trusted
 * keys), and the import writes the database (scripts/layers.sh checks that
 * config.o links no store). */
#ifndef WSID_BUNDLEIMPORT_H
#define WSID_BUNDLEIMPORT_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_env;

struct bundle_import_opts {
	const char *path;
	bool allow_downgrade;
	const char *want_kind; /* NULL: any */
	const char *const *extra_keys; /* --trusted-key, beside the configuration's */
	size_t nextra;
};

/* imports o->path into env->db (env->cfg: trusted_keys and the rule globs;
 * env->socket: the daemon told); says what it did or why it refused on
 * stdout and stderr and returns wsidctl's exit code (0, or EXIT_ERROR) */
int bundle_import(const struct ctl_env *env, const struct bundle_import_opts *o);

#endif
