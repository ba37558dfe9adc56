/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Path matching, pure and on the hot path (every fanotify event is matched
 * against the webspace patterns and the ignore globs):
 *
 *  - webspace patterns: absolute paths matched component by component, a
 *    component being an fnmatch(3) pattern (FNM_PERIOD: a wildcard never
 *    matches a leading '.') or holding the one {customer} placeholder
 *    (prefix{customer}suffix), which matches a name not starting with '.';
 *  - ignore globs, relative to a webspace: '*' and '?' stay within one
 *    component, "**" spans any number of them, everything else is literal.
 *    Matching is O(|glob| * |path|) at worst (see pathmatch.c).
 *
 * No allocation except the glob matcher's table on a pathological glob. */
#ifndef WSID_PATHMATCH_H
#define WSID_PATHMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Does path match the webspace pattern? On success customer (sz bytes) holds
 * the {customer} component and *root_len the length of the webspace root in
 * path (path may go on below it). With rest not NULL, a path that ends where
 * a pattern component starts matches too (a directory on the way to a root):
 * *rest is then the pattern's remaining components ("" at a root). */
bool pathmatch_pattern(const char *pattern, const char *path, char *customer, size_t sz,
		       size_t *root_len, const char **rest);
/* Is path the root of a webspace of the pattern or a directory on the way to
 * one? */
bool pathmatch_pattern_candidate(const char *pattern, const char *path);
/* the length of a pattern's static prefix: the directories before its first
 * component with a wildcard or the placeholder ("/" counts as 1) */
size_t pathmatch_prefix(const char *pattern);
/* Is path the directory dir (its first dlen bytes) or below it? "/" holds
 * everything. */
bool pathmatch_under(const char *path, const char *dir, size_t dlen);

/* one ignore glob against a relative path */
bool pathmatch_glob(const char *glob, const char *path);
/* Is relpath ignored by one of the n globs? A trailing '/' on relpath marks a
 * directory: "dir" followed by a slash and two stars also matches the
 * directory itself, so that a walk prunes the whole subtree. */
bool pathmatch_ignored(char *const *globs, size_t n, const char *relpath);

#endif
