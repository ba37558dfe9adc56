/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The components of a node (wsidctl components) and fetching their
 * fingerprints (wsidctl index fetch): plugins, themes and packages found in
 * the daemon's webspaces by their claims (claims.h), with what the index
 * identified there. The demand list is the components no set covers. */
#ifndef WSID_COMPONENTS_H
#define WSID_COMPONENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "claims.h"

struct ctl_env;

/* one component release, over all webspaces that hold it */
struct component {
	enum claim_kind kind;
	char product[65];
	char name[215];
	char claimed[65];       /* "" when it claims nothing */
	char ident_product[65]; /* "" when no set covers it */
	char ident_version[65];
	char url[512];          /* Composer's dist URL */
	size_t webspaces;
};

struct component_list {
	struct component *c;
	size_t n;
};

/* Reads the daemon's database (webspaces, files, installations) and the claim
 * files beneath each webspace root (no symlink followed). customer NULL: all. */
int components_collect(const struct ctl_env *env, const char *customer,
		       struct component_list *ret, char *err, size_t errsz);
/* A demand list as `components --unknown --json` writes it (from another
 * node: parsed strictly, every name and version checked as claims are;
 * errors name line and column). name prefixes messages. */
int components_parse_list(const char *data, size_t len, const char *name, struct component_list *ret,
			  char *err, size_t errsz);
int components_read_list(const char *path, struct component_list *ret, char *err, size_t errsz);
void components_free(struct component_list *l);
bool component_unknown(const struct component *c);

int ctl_components(int argc, char **argv, const struct ctl_env *env);
int ctl_index_fetch(int argc, char **argv, const struct ctl_env *env);

#endif
