/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wsidctl analyse FILE|DIR...: the analyser (src/analyse.c) run ad hoc. */
#ifndef WSID_CTLANALYSE_H
#define WSID_CTLANALYSE_H

#include <stdbool.h>

struct ctl_env;
/* argv[0] is the verb; env: the configuration and database name the node's
 * rules (the daemon's set, bundles' rules included); env->json: the global
 * --json was given. Returns the exit code: 0 clean, 1 findings, 2 error. */
int ctl_analyse(int argc, char **argv, const struct ctl_env *env);

struct json;
struct scan_tree;
/* wsidctl scan: analyses the tree's code that is no release (no index match;
 * by name, first bytes or PHP inside an image: classify_code_content), with
 * the node's rules as the daemon compiles them (env), beneath its root without following symlinks;
 * findings printed as `wsidctl analyse` prints them (MALWARE path (class,
 * line N)), or added to jout (an open JSON array) as objects. ret_found:
 * files malicious or suspicious. */
int ctl_analyse_scan_tree(const struct scan_tree *t, const struct ctl_env *env, struct json *jout,
			  unsigned *ret_found);

/* The same analysis on the scan's hashing workers, while the content is in
 * memory (no second read): ctl_scan_analysis_new makes the node's analyser
 * (-1 after a message) and sets so's content hooks (scan.h) to it; after
 * scan_tree_run with so, ctl_scan_analysis_report prints what the workers
 * found, as ctl_analyse_scan_tree would have, in the tree's order. */
struct scan_opts;
struct ctl_scan_analysis;
int ctl_scan_analysis_new(const struct ctl_env *env, struct scan_opts *so, struct ctl_scan_analysis **ret);
int ctl_scan_analysis_report(struct ctl_scan_analysis *sa, const struct scan_tree *t, struct json *jout,
			     unsigned *ret_found);
void ctl_scan_analysis_free(struct ctl_scan_analysis *sa);

#endif
