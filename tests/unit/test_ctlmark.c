// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl mark (ctlmark.c), driven in-process over a scratch database:
 * malicious, trusted (for a customer) and remove, by file or by hash; list
 * in text and --json; a trusted content promoted to known-bad; export and
 * import in sha256sum format; each usage error named; hostile arguments
 * (symbolic links, directories, names and customers with control bytes)
 * refused or escaped; a missing or damaged database an error (exit 3). The
 * daemon is never up: each mark says it is not reachable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "hash.h"
#include "jsonparse.h"
#include "t.h"
#include "util.h"

static struct fx f;
static struct ctl_env env;
static char sock[256];

/* the SHA-256 of text in hex */
static void
hex_of(const char *text, char out[2 * SHA256_LEN + 1])
{
	uint8_t h[SHA256_LEN];

	sha256_buf(text, strlen(text), h);
	hex_encode(h, SHA256_LEN, out);
}

static const char shell[] = "<?php eval($_POST['x']);\n";
static const char plugin[] = "<?php /* a plugin the admin trusts */\n";

static void
test_malicious_by_file(void)
{
	char hex[2 * SHA256_LEN + 1], want[1024], path[256];
	struct fx_run r;
	struct jnode *j;

	hex_of(shell, hex);
	snprintf(path, sizeof(path), "%s", fx_path(&f, "shell.php"));
	T_OK(fx_put(path, shell) == 0);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", path, "--note", "seen on c1", NULL), 0);
	snprintf(want, sizeof(want), "%s marked malicious\n", hex);
	T_EQ_STR(r.out, want);
	/* the daemon is not up: the admin is told when the files are judged */
	snprintf(want, sizeof(want), "wsid is not reachable at %s", sock);
	T_CHECK(fx_has(r.err, want), "stderr: %s", r.err);
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	snprintf(want, sizeof(want), "malicious  %s  ", hex);
	T_CHECK(strncmp(r.out, want, strlen(want)) == 0, "list: %s", r.out);
	T_CHECK(fx_has(r.out, "tester") && fx_has(r.out, "seen on c1"), "list: %s", r.out);
	fx_run_free(&r);

	/* --json after the kind, one object per mark */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "--json", NULL), 0);
	j = fx_json_line(r.out, 0);
	T_OK(j != NULL);
	T_EQ_STR(fx_jstr(j, "mark"), "malicious");
	T_EQ_STR(fx_jstr(j, "sha256"), hex);
	T_OK(fx_jstr(j, "customer") == NULL);
	T_EQ_STR(fx_jstr(j, "note"), "seen on c1");
	T_EQ_STR(fx_jstr(j, "added_by"), "tester");
	T_EQ_STR(fx_jstr(j, "example"), path);
	T_OK(fx_jstr(j, "added_at") != NULL && strlen(fx_jstr(j, "added_at")) == 20);
	T_OK(fx_json_line(r.out, 1) == NULL);
	jsonp_free(j);
	fx_run_free(&r);

	/* export: the known-bad list as a fingerprint set, named by the file */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "export", NULL), 0);
	snprintf(want, sizeof(want), "%s  shell.php\n", hex);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);

	/* removed by its hash: the list is empty again */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "remove", hex, NULL), 0);
	snprintf(want, sizeof(want), "%s marked unmarked\n", hex);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", NULL), 0);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "export", NULL), 0);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
}

/* trusted for one customer, then found malicious: the trusted mark goes,
 * the content is on the known-bad list */
static void
test_trusted_promoted(void)
{
	char hex[2 * SHA256_LEN + 1], want[1024];
	struct fx_run r;
	struct jnode *j;

	hex_of(plugin, hex);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "trusted", hex, "--customer", "alice", NULL), 0);
	snprintf(want, sizeof(want), "%s marked trusted for customer alice\n", hex);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "trusted", hex, "--customer", "bob", NULL), 0);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "--json", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, "\"mark\":\"trusted\""), 2);
	T_EQ_INT(fx_count_lines(r.out, "\"customer\":\"alice\""), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "export", NULL), 0);
	T_EQ_STR(r.out, ""); /* trusted is not known-bad */
	fx_run_free(&r);

	/* remove for one customer: the other's mark stays */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "remove", hex, "--customer", "bob", NULL), 0);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "--json", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, "\"mark\":"), 1);
	T_EQ_INT(fx_count_lines(r.out, "\"customer\":\"alice\""), 1);
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", hex, NULL), 0);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "--json", NULL), 0);
	j = fx_json_line(r.out, 0);
	T_EQ_STR(fx_jstr(j, "mark"), "malicious");
	T_EQ_STR(fx_jstr(j, "sha256"), hex);
	T_OK(fx_json_line(r.out, 1) == NULL);
	jsonp_free(j);
	fx_run_free(&r);
	/* a hash without a file: exported under a neutral name */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "export", NULL), 0);
	snprintf(want, sizeof(want), "%s  known-bad\n", hex);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "remove", hex, NULL), 0);
	fx_run_free(&r);
}

static void
test_import(void)
{
	char a[2 * SHA256_LEN + 1], b[2 * SHA256_LEN + 1], set[512], out[256], text[600];
	struct fx_run r;

	hex_of("one", a);
	hex_of("two", b);
	snprintf(set, sizeof(set), "%s", fx_path(&f, "bad.sha256"));
	snprintf(text, sizeof(text), "%s  x/one.php\n%s  two.php\n", a, b);
	T_OK(fx_put(set, text) == 0);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "import", set, "--note", "feed", NULL), 0);
	snprintf(text, sizeof(text), "2 hashes marked malicious from %s\n", set);
	T_EQ_STR(r.out, text);
	fx_run_free(&r);
	snprintf(out, sizeof(out), "%s", fx_path(&f, "export.sha256"));
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "export", "--out", out, NULL), 0);
	T_EQ_STR(r.out, "");
	T_CHECK(fx_has(r.err, "2 known-bad hashes written to"), "stderr: %s", r.err);
	fx_run_free(&r);
	{
		size_t n;
		char *got = t_slurp(out, &n), want[600];

		snprintf(want, sizeof(want), "%s  one.php\n%s  two.php\n", a, b);
		if (strcmp(a, b) > 0)
			snprintf(want, sizeof(want), "%s  two.php\n%s  one.php\n", b, a);
		T_EQ_STR(got, want);
		free(got);
	}
	/* a malformed set: refused whole, the line named, nothing marked */
	snprintf(text, sizeof(text), "%s  fine.php\nnot a line\n", a);
	T_OK(fx_put(set, text) == 0);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "remove", a, NULL), 0);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "import", set, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "bad.sha256:2"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, a), 0);
	T_EQ_INT(fx_count_lines(r.out, b), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "remove", b, NULL), 0);
	fx_run_free(&r);
	/* not a regular file */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "import", f.dir, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "not a regular file"), "stderr: %s", r.err);
	fx_run_free(&r);
}

/* each usage error exits 2 and says what is wrong; nothing is written */
static void
test_usage(void)
{
	char longnote[1100], hex[2 * SHA256_LEN + 1];
	struct fx_run r;

	hex_of(shell, hex);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl mark malicious"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "bogus", hex, NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "unknown kind 'bogus'"), "stderr: %s", r.err);
	fx_run_free(&r);
	/* a kind with a newline and an escape byte: shown escaped, one line */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "evil\nkind\033[31m", hex, NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "unknown kind 'evil\\nkind\\x1b[31m'"), "stderr: %s", r.err);
	T_OK(!fx_has(r.err, "\033"));
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage:"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "extra", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "import", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", hex, "--customer", "alice", NULL),
		 EXIT_USAGE);
	T_CHECK(fx_has(r.err, "a malicious mark holds for the whole node"), "stderr: %s", r.err);
	fx_run_free(&r);
	memset(longnote, 'n', sizeof(longnote) - 1);
	longnote[sizeof(longnote) - 1] = '\0';
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", hex, "--note", longnote, NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "--note: at most 1000 bytes"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "--sign", "key", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "--sign KEYFILE goes with 'export --out BUNDLE'"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", hex, "--nosuch", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", NULL), 0);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
}

/* what a tenant may have put in the way: links, directories, names and
 * customers with control bytes */
static void
test_hostile(void)
{
	char link[256], dir[256], odd[256], hex[2 * SHA256_LEN + 1], want[1024];
	struct fx_run r;

	hex_of(shell, hex);
	snprintf(link, sizeof(link), "%s", fx_path(&f, "link.php"));
	T_OK(symlink(fx_path(&f, "shell.php"), link) == 0);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", link, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "a symbolic link (not followed)"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	snprintf(dir, sizeof(dir), "%s", fx_path(&f, "sub"));
	T_OK(mkdir(dir, 0755) == 0);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", dir, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "not a regular file"), "stderr: %s", r.err);
	fx_run_free(&r);
	/* neither a file nor a hash: says both */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "trusted", "deadbeef", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "give a file or a SHA-256 in hex"), "stderr: %s", r.err);
	fx_run_free(&r);
	/* one bad operand does not stop the others */
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", link, hex, NULL), EXIT_ERROR);
	snprintf(want, sizeof(want), "%s marked malicious\n", hex);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "remove", hex, NULL), 0);
	fx_run_free(&r);

	/* a file name with a newline: the error is one line, escaped */
	snprintf(odd, sizeof(odd), "%s", fx_path(&f, "a\nb\x01.php"));
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "malicious", odd, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "a\\nb\\x01.php: No such file"), "stderr: %s", r.err);
	T_EQ_INT(fx_count_lines(r.err, ""), 1);
	fx_run_free(&r);
	/* marked through such a name: JSON keeps the name, the text list the
	 * customer and note escaped */
	T_OK(fx_put(odd, plugin) == 0);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "trusted", odd, "--customer", "c\nd", "--note",
			    "x\033]0;y", NULL), 0);
	T_CHECK(fx_has(r.out, "for customer c\\nd\n"), "out: %s", r.out);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, ""), 1);
	T_CHECK(fx_has(r.out, "customer c\\nd") && fx_has(r.out, "x\\x1b]0;y"), "list: %s", r.out);
	T_OK(!fx_has(r.out, "\033"));
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &env, &r, "mark", "list", "--json", NULL), 0);
	{
		struct jnode *j = fx_json_line(r.out, 0);

		T_EQ_STR(fx_jstr(j, "example"), odd);
		T_EQ_STR(fx_jstr(j, "customer"), "c\nd");
		T_EQ_INT(fx_count_lines(r.out, ""), 1);
		jsonp_free(j);
	}
	fx_run_free(&r);
}

/* no database, or a file that is none: exit 3 with the path named */
static void
test_bad_database(void)
{
	struct ctl_env e;
	char hex[2 * SHA256_LEN + 1];
	struct fx_run r;

	hex_of(shell, hex);
	fx_ctl_env_bad(&e, &f, sock, false);
	T_EQ_INT(fx_ctl_run(ctl_mark, &e, &r, "mark", "list", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &e, &r, "mark", "malicious", hex, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(access(fx_path(&f, "none"), F_OK) != 0); /* nothing made */

	fx_ctl_env_bad(&e, &f, sock, true);
	T_EQ_INT(fx_ctl_run(ctl_mark, &e, &r, "mark", "list", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "junk.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_mark, &e, &r, "mark", "trusted", hex, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "junk.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	fx_ctl_env_db(&env, f.db, sock);
}

int
main(void)
{
	if (fx_open(&f, "ctlmark") < 0)
		return 1;
	setenv("SUDO_USER", "tester", 1);
	snprintf(sock, sizeof(sock), "%s", fx_path(&f, "control"));
	fx_ctl_env_db(&env, f.db, sock);
	T_RUN(test_malicious_by_file);
	T_RUN(test_trusted_promoted);
	T_RUN(test_import);
	T_RUN(test_usage);
	T_RUN(test_hostile);
	T_RUN(test_bad_database);
	fx_close(&f);
	T_DONE();
}
