// SPDX-License-Identifier: GPL-2.0-or-later
/* The path matcher alone: webspace patterns (component by component, the
 * {customer} placeholder, directories on the way to a root), the static
 * prefix, "under", and the ignore globs with their "**" and their bound on a
 * pathological glob. */
#include <stdint.h>
#include <time.h>

#include "pathmatch.h"
#include "t.h"

static void
test_pattern(void)
{
	char cust[64];
	size_t rl = 0;
	const char *rest = NULL;

	T_OK(pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob/httpdocs/wp/a.php",
			       cust, sizeof(cust), &rl, NULL));
	T_EQ_STR(cust, "bob");
	T_EQ_INT(rl, strlen("/var/www/vhosts/bob/httpdocs"));
	/* the root itself */
	T_OK(pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob/httpdocs", cust,
			       sizeof(cust), &rl, NULL));
	T_EQ_INT(rl, strlen("/var/www/vhosts/bob/httpdocs"));
	/* another directory beside the root, a prefix of a component, too short */
	T_OK(!pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob/other/a.php",
				cust, sizeof(cust), &rl, NULL));
	T_OK(!pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob/httpdocsX",
				cust, sizeof(cust), &rl, NULL));
	T_OK(!pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob", cust,
				sizeof(cust), &rl, NULL));
	/* a customer never starts with a dot */
	T_OK(!pathmatch_pattern("/home/{customer}/public_html", "/home/.hidden/public_html/x", cust,
				sizeof(cust), &rl, NULL));
	/* the placeholder inside a component */
	T_OK(pathmatch_pattern("/srv/web-{customer}.d/www", "/srv/web-carol.d/www/x.php", cust, sizeof(cust),
			       &rl, NULL));
	T_EQ_STR(cust, "carol");
	T_OK(!pathmatch_pattern("/srv/web-{customer}.d/www", "/srv/web-.d/www/x.php", cust, sizeof(cust), &rl,
				NULL));
	/* a customer longer than its buffer does not match */
	T_OK(!pathmatch_pattern("/home/{customer}/www", "/home/abcdefgh/www", cust, 4, &rl, NULL));
	/* fnmatch components: a wildcard never matches a leading dot */
	T_OK(pathmatch_pattern("/srv/*/{customer}/www", "/srv/eu1/dave/www", cust, sizeof(cust), &rl, NULL));
	T_EQ_STR(cust, "dave");
	T_OK(!pathmatch_pattern("/srv/*/{customer}/www", "/srv/.snap/dave/www", cust, sizeof(cust), &rl, NULL));
	T_OK(pathmatch_pattern("/srv/node[12]/{customer}", "/srv/node2/erin", cust, sizeof(cust), &rl, NULL));
	T_OK(!pathmatch_pattern("/srv/node[12]/{customer}", "/srv/node3/erin", cust, sizeof(cust), &rl, NULL));
	/* empty components and relative paths do not match */
	T_OK(!pathmatch_pattern("/home/{customer}/www", "/home//www", cust, sizeof(cust), &rl, NULL));
	T_OK(!pathmatch_pattern("/home/{customer}/www", "home/x/www", cust, sizeof(cust), &rl, NULL));
	/* with rest: a directory on the way to a root */
	T_OK(pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob", cust, sizeof(cust),
			       &rl, &rest));
	T_EQ_STR(rest, "/httpdocs");
	T_EQ_INT(rl, strlen("/var/www/vhosts/bob"));
	T_OK(pathmatch_pattern("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/bob/httpdocs", cust,
			       sizeof(cust), &rl, &rest));
	T_EQ_STR(rest, "");
}

static void
test_candidate_prefix_under(void)
{
	T_OK(pathmatch_pattern_candidate("/var/www/vhosts/{customer}/httpdocs", "/var/www"));
	T_OK(pathmatch_pattern_candidate("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/new"));
	T_OK(pathmatch_pattern_candidate("/var/www/vhosts/{customer}/httpdocs", "/var/www/vhosts/new/httpdocs"));
	/* below a root is no candidate: the root is there already */
	T_OK(!pathmatch_pattern_candidate("/var/www/vhosts/{customer}/httpdocs",
					  "/var/www/vhosts/new/httpdocs/wp"));
	T_OK(!pathmatch_pattern_candidate("/var/www/vhosts/{customer}/httpdocs", "/srv"));

	T_EQ_INT(pathmatch_prefix("/var/www/vhosts/{customer}/httpdocs"), strlen("/var/www/vhosts"));
	T_EQ_INT(pathmatch_prefix("/home/*/public_html/{customer}"), strlen("/home"));
	T_EQ_INT(pathmatch_prefix("/{customer}/www"), 1);
	T_EQ_INT(pathmatch_prefix("/srv/a[bc]/{customer}"), strlen("/srv"));

	T_OK(pathmatch_under("/srv/shop/x", "/srv/shop", 9));
	T_OK(pathmatch_under("/srv/shop", "/srv/shop", 9));
	T_OK(!pathmatch_under("/srv/shopping/x", "/srv/shop", 9));
	T_OK(pathmatch_under("/anything", "/", 1));
}

static void
test_glob(void)
{
	char g0[] = "wp-content/cache/**", g1[] = "*.log", g2[] = "**/node_modules/**", g3[] = "a?c";
	char *globs[] = { g0, g1, g2, g3 };

	T_OK(pathmatch_glob("a/**/b", "a/b"));
	T_OK(pathmatch_glob("a/**/b", "a/x/y/b"));
	T_OK(!pathmatch_glob("a/*/b", "a/x/y/b"));
	T_OK(pathmatch_glob("a/*/b", "a/x/b"));
	T_OK(pathmatch_glob("**", "anything/at/all"));
	T_OK(!pathmatch_glob("?", "/"));
	T_OK(pathmatch_glob("a?c", "abc"));
	T_OK(!pathmatch_glob("a?c", "a/c"));
	/* no brackets in this dialect: '[' is a character like any other */
	T_OK(pathmatch_glob("x[1]", "x[1]"));
	T_OK(!pathmatch_glob("x[1]", "x1"));

	T_OK(pathmatch_ignored(globs, 4, "wp-content/cache/a/b.html"));
	T_OK(pathmatch_ignored(globs, 4, "error.log"));
	T_OK(!pathmatch_ignored(globs, 4, "logs/error.log"));
	T_OK(pathmatch_ignored(globs, 4, "x/y/node_modules/z/q.js"));
	T_OK(!pathmatch_ignored(globs, 4, "wp-content/uploads/a.php"));
	/* a directory (trailing '/') is pruned by "dir" and two stars */
	T_OK(pathmatch_ignored(globs, 4, "wp-content/cache/"));
	T_OK(!pathmatch_ignored(globs, 4, "wp-content/"));
	T_OK(!pathmatch_ignored(globs, 0, "error.log"));
}

/* a glob that is exponential for plain backtracking stays fast */
static void
test_glob_bounded(void)
{
	char g[256], p[256];
	struct timespec a, b;
	size_t i;

	for (i = 0; i < 60; i++) {
		g[2 * i] = 'a';
		g[2 * i + 1] = '*';
	}
	g[120] = 'b';
	g[121] = '\0';
	memset(p, 'a', 200);
	p[200] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a);
	T_OK(!pathmatch_glob(g, p));
	p[199] = 'b';
	T_OK(pathmatch_glob(g, p));
	clock_gettime(CLOCK_MONOTONIC, &b);
	T_CHECK((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 2000, "%s",
		"took more than 2 s");
}

int
main(void)
{
	T_RUN(test_pattern);
	T_RUN(test_candidate_prefix_under);
	T_RUN(test_glob);
	T_RUN(test_glob_bounded);
	T_DONE();
}
