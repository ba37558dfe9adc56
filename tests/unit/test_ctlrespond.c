// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl restore and quarantine (ctlrespond.c), driven in-process over a
 * scratch webspace with the demo product installed, its release in the
 * index and its contents in the pristine store, the installation stored as
 * the daemon stores it: a tampered and a deleted file restored (the
 * replaced content kept in quarantine), --dry-run writing nothing, a whole
 * installation put right; a file moved into quarantine, listed in text and
 * --json, released back; and what is refused: symbolic links at the file
 * or on the way (never followed: what they point to is untouched), paths
 * outside every webspace, with '..', relative, a webspace whose name only
 * starts like another's, content not in the pristine store, usage errors,
 * a missing database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlrespond.h"
#include "fixture.h"
#include "hash.h"
#include "jsonparse.h"
#include "pristine.h"
#include "t.h"
#include "util.h"

static struct fx f;
static struct ctl_env env;
static char sock[256], ws[256], site[300], outside[256];
static const char *const release_files[] = { "index.php", "lib/core.php", "lib/a.php",
					     "lib/b.php", "lib/c.php", "readme.txt" };
#define NFILES (sizeof(release_files) / sizeof(release_files[0]))

/* the content of site/rel (malloc'ed), NULL when unreadable */
static char *
content(const char *rel)
{
	char p[512];
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", site, rel);
	return t_slurp(p, &n);
}

static bool
same(const char *rel, const char *want)
{
	char *got = content(rel);
	bool r = got != NULL && strcmp(got, want) == 0;

	free(got);
	return r;
}

static const char *
at_site(const char *rel)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", site, rel);
	return p;
}

static void
setup(void)
{
	struct inst_row in = { 0 };
	struct pristine *p = NULL;
	char *dir = pristine_default_dir(f.db);
	int64_t id = 0;
	bool baselined;
	size_t i;

	snprintf(ws, sizeof(ws), "%s", fx_path(&f, "www/alice"));
	snprintf(site, sizeof(site), "%s/site", ws);
	snprintf(outside, sizeof(outside), "%s", fx_path(&f, "outside.txt"));
	T_OK(fx_demo_install(site, 2) == 0);
	T_OK(fx_put(outside, "the admin's own file\n") == 0);
	T_OK(state_begin(f.st) == 0);
	T_OK(state_webspace_upsert(f.st, ws, "alice", &id, &baselined) == 0);
	/* a webspace whose path only starts like alice's */
	T_OK(state_webspace_upsert(f.st, fx_path(&f, "www/alice-evil"), "mallory", &id, &baselined) == 0);
	T_OK(state_webspace_upsert(f.st, ws, "alice", &id, &baselined) == 0);
	in.webspace_id = id;
	in.root = xstrdup("site");
	in.root_len = 4;
	in.product = xstrdup("demo");
	in.kind = xstrdup("core");
	in.version = xstrdup("2.0");
	in.confidence = 1;
	T_OK(state_installation_put(f.st, &in, NULL, NULL, 6) == 0);
	T_OK(state_commit(f.st) == 0);
	free(in.root);
	free(in.product);
	free(in.kind);
	free(in.version);
	/* the release's contents, as index ingest keeps them */
	T_OK(pristine_open(dir, 0, 1, &p) == 0);
	for (i = 0; p && i < NFILES; i++) {
		char *c = content(release_files[i]);
		uint8_t sha[SHA256_LEN];

		sha256_buf(c, strlen(c), sha);
		T_OK(pristine_put(p, sha, c, strlen(c)) == 1);
		free(c);
	}
	pristine_close(p);
	free(dir);
}

static void
test_restore(void)
{
	char want[1024];
	struct fx_run r;
	struct stat st;

	/* tampered: put back, the replaced content kept as an item */
	T_OK(fx_put(at_site("lib/core.php"), "<?php eval($_POST['x']);\n") == 0);
	T_OK(chmod(at_site("lib/core.php"), 0600) == 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", at_site("lib/core.php"), NULL), 0);
	snprintf(want, sizeof(want), "restored %s (demo 2.0; the replaced content is quarantine item 1)\n"
				     "1 restored, 0 already release content, 0 refused or failed\n",
		 at_site("lib/core.php"));
	T_EQ_STR(r.out, want);
	T_EQ_STR(r.err, "");
	fx_run_free(&r);
	T_OK(same("lib/core.php", fx_demo_core2));
	/* mode of its neighbours, not the tenant's */
	T_OK(stat(at_site("lib/core.php"), &st) == 0 && (st.st_mode & 0777) == 0644);

	/* already release content: nothing written */
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", at_site("lib/core.php"), at_site("index.php"),
			    NULL), 0);
	T_EQ_STR(r.out, "0 restored, 2 already release content, 0 refused or failed\n");
	fx_run_free(&r);

	/* deleted: made again; --dry-run first writes nothing */
	T_OK(unlink(at_site("lib/b.php")) == 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", "--dry-run", at_site("lib/b.php"), NULL), 0);
	snprintf(want, sizeof(want), "would restore %s (demo 2.0, missing)\n", at_site("lib/b.php"));
	T_CHECK(fx_has(r.out, want) && fx_has(r.out, "1 to restore, 0 already"), "out: %s", r.out);
	fx_run_free(&r);
	T_OK(access(at_site("lib/b.php"), F_OK) != 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", at_site("lib/b.php"), NULL), 0);
	snprintf(want, sizeof(want), "restored %s (demo 2.0)\n", at_site("lib/b.php"));
	T_CHECK(fx_has(r.out, want), "out: %s", r.out);
	fx_run_free(&r);
	T_OK(same("lib/b.php", "<?php function b() { return 'b'; }\n"));

	/* the whole installation: two files put right, four already so */
	T_OK(fx_put(at_site("lib/a.php"), "<?php /* edited */\n") == 0);
	T_OK(unlink(at_site("readme.txt")) == 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", "--installation", site, NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, "restored /"), 2);
	T_CHECK(fx_has(r.out, "2 restored, 4 already release content, 0 refused or failed\n"), "out: %s", r.out);
	fx_run_free(&r);
	T_OK(same("lib/a.php", "<?php function a() { return 'a'; }\n"));
	T_OK(same("readme.txt", "demo, a product of the tests\n"));
}

static void
test_restore_refused(void)
{
	char want[1024], path[512];
	struct fx_run r;

	/* a symbolic link at the file: not followed, its target untouched */
	T_OK(unlink(at_site("lib/c.php")) == 0);
	T_OK(symlink(outside, at_site("lib/c.php")) == 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", at_site("lib/c.php"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "a symbolic link"), "stderr: %s", r.err);
	T_CHECK(fx_has(r.out, "0 restored, 0 already release content, 1 refused or failed"), "out: %s", r.out);
	fx_run_free(&r);
	T_OK(same("../../../outside.txt", "the admin's own file\n"));
	T_OK(unlink(at_site("lib/c.php")) == 0);
	T_OK(fx_put(at_site("lib/c.php"), "<?php function c() { return 'c'; }\n") == 0);

	/* a symbolic link on the way: lib points outside the webspace */
	T_OK(rename(at_site("lib"), fx_path(&f, "lib.real")) == 0);
	T_OK(symlink(fx_path(&f, "lib.real"), at_site("lib")) == 0);
	T_OK(fx_put(fx_path(&f, "lib.real/core.php"), "tampered\n") == 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", at_site("lib/core.php"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "a symbolic link on the way or at the file"), "stderr: %s", r.err);
	fx_run_free(&r);
	{
		size_t n;
		char *c = t_slurp(fx_path(&f, "lib.real/core.php"), &n);

		T_EQ_STR(c, "tampered\n");
		free(c);
	}
	T_OK(unlink(at_site("lib")) == 0);
	T_OK(rename(fx_path(&f, "lib.real"), at_site("lib")) == 0);
	T_OK(fx_put(at_site("lib/core.php"), fx_demo_core2) == 0);

	/* paths no webspace holds, or not plain */
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", outside, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "not a file in a watched webspace"), "stderr: %s", r.err);
	fx_run_free(&r);
	snprintf(path, sizeof(path), "%s/../../outside.txt", site);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", path, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "give an absolute path without '.' or '..'"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", "site/index.php", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "give an absolute path"), "stderr: %s", r.err);
	fx_run_free(&r);
	snprintf(path, sizeof(path), "%s-evil/site/index.php", ws);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", path, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "not a file of an identified installation's release"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", ws, NULL), EXIT_ERROR);
	fx_run_free(&r);
	/* a name with a newline, in no release: one line, escaped */
	snprintf(path, sizeof(path), "%s/up/a\nb.php", site);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", path, NULL), EXIT_ERROR);
	snprintf(want, sizeof(want), "%s/up/a\\nb.php: not a file of an identified", site);
	T_CHECK(fx_has(r.err, want), "stderr: %s", r.err);
	T_EQ_INT(fx_count_lines(r.err, ""), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", "--installation", ws, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "no identified installation there"), "stderr: %s", r.err);
	fx_run_free(&r);

	/* usage */
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl restore [--dry-run] PATH..."), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", "--installation", site, at_site("index.php"), NULL),
		 EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", "--bogus", at_site("index.php"), NULL), EXIT_USAGE);
	fx_run_free(&r);
}

/* a content the pristine store lacks: refused, named, the ingest to run said */
static void
test_restore_not_kept(void)
{
	char *dir = pristine_default_dir(f.db), cmd[600];
	struct fx_run r;

	snprintf(cmd, sizeof(cmd), "mv '%s' '%s.away'", dir, dir);
	T_OK(system(cmd) == 0);
	T_EQ_INT(fx_ctl_run(ctl_restore, &env, &r, "restore", at_site("index.php"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "no pristine store at"), "stderr: %s", r.err);
	fx_run_free(&r);
	snprintf(cmd, sizeof(cmd), "mv '%s.away' '%s'", dir, dir);
	T_OK(system(cmd) == 0);
	free(dir);
}

static void
test_quarantine(void)
{
	char want[1024], path[512];
	struct fx_run r;
	struct jnode *j;
	int i, id = 0;

	T_OK(fx_put_at(site, "up/shell.php", "<?php system($_GET['c']);\n") == 0);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", at_site("up/shell.php"), "--note", "web shell",
			    NULL), 0);
	T_CHECK(sscanf(r.out, "quarantined %*s as item %d (26 bytes)", &id) == 1 && id > 0, "out: %s", r.out);
	snprintf(want, sizeof(want), "quarantined %s as item %d (26 bytes)\n", at_site("up/shell.php"), id);
	T_EQ_STR(r.out, want);
	fx_run_free(&r);
	T_OK(access(at_site("up/shell.php"), F_OK) != 0);

	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "list", NULL), 0);
	T_CHECK(strncmp(r.out, "ID", 2) == 0, "out: %s", r.out);
	/* restore kept two replaced contents before */
	T_EQ_INT(fx_count_lines(r.out, " held "), 3);
	T_EQ_INT(fx_count_lines(r.out, " released "), 0);
	T_EQ_INT(fx_count_lines(r.out, "web shell"), 1);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "list", "--json", NULL), 0);
	/* item 1 is restore's, then this one */
	for (i = 0; (j = fx_json_line(r.out, i)) != NULL; i++) {
		snprintf(want, sizeof(want), "%d", id);
		if (t_streq(fx_jstr(j, "id"), want)) {
			T_EQ_STR(fx_jstr(j, "path"), at_site("up/shell.php"));
			T_EQ_STR(fx_jstr(j, "customer"), "alice");
			T_EQ_STR(fx_jstr(j, "reason"), "web shell");
			T_EQ_STR(fx_jstr(j, "by"), "tester");
			T_EQ_STR(fx_jstr(j, "size"), "26");
			T_OK(fx_jstr(j, "sha256") && strlen(fx_jstr(j, "sha256")) == 64);
			T_OK(fx_jstr(j, "released_at") == NULL);
		}
		jsonp_free(j);
	}
	T_OK(i >= 2);
	fx_run_free(&r);

	snprintf(want, sizeof(want), "%d", id);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "release", want, NULL), 0);
	snprintf(path, sizeof(path), "released item %d to %s\n", id, at_site("up/shell.php"));
	T_EQ_STR(r.out, path);
	fx_run_free(&r);
	T_OK(same("up/shell.php", "<?php system($_GET['c']);\n"));
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "release", want, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "held in quarantine"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "list", "--json", NULL), 0);
	T_EQ_INT(fx_count_lines(r.out, "\"released_by\":\"tester\""), 1);
	fx_run_free(&r);

	/* released over a file that came back meanwhile: refused */
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", at_site("up/shell.php"), NULL), 0);
	T_OK(sscanf(r.out, "quarantined %*s as item %d", &id) == 1);
	fx_run_free(&r);
	T_OK(fx_put(at_site("up/shell.php"), "new\n") == 0);
	snprintf(want, sizeof(want), "%d", id);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "release", want, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "a file of that name exists now"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(same("up/shell.php", "new\n"));
}

static void
test_quarantine_refused(void)
{
	char path[512];
	struct fx_run r;

	/* a symbolic link: not moved, not followed */
	T_OK(symlink(outside, at_site("up/link.php")) == 0);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", at_site("up/link.php"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "a symbolic link on the way or at the file"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(same("../../../outside.txt", "the admin's own file\n"));
	T_OK(access(at_site("up/link.php"), F_OK) == 0);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", at_site("lib"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "not a regular file"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", outside, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "not a file in a watched webspace"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(access(outside, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/../../../outside.txt", site);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", path, NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "without '.' or '..'"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(access(outside, F_OK) == 0);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", ws, NULL), EXIT_ERROR);
	fx_run_free(&r);

	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "usage: wsidctl quarantine PATH..."), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "release", NULL), EXIT_USAGE);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "release", "1\n2", NULL), EXIT_USAGE);
	T_CHECK(fx_has(r.err, "'1\\n2' is not an item id"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", "release", "999", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "no item 999 held in quarantine"), "stderr: %s", r.err);
	fx_run_free(&r);
	{
		char note[1100];

		memset(note, 'x', sizeof(note) - 1);
		note[sizeof(note) - 1] = '\0';
		T_EQ_INT(fx_ctl_run(ctl_quarantine, &env, &r, "quarantine", at_site("index.php"), "--note", note,
				    NULL), EXIT_USAGE);
		fx_run_free(&r);
		T_OK(access(at_site("index.php"), F_OK) == 0);
	}
}

static void
test_bad_database(void)
{
	struct ctl_env e;
	struct fx_run r;

	fx_ctl_env_bad(&e, &f, sock, false);
	T_EQ_INT(fx_ctl_run(ctl_restore, &e, &r, "restore", at_site("index.php"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &e, &r, "quarantine", "list", NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "none/wsid.db"), "stderr: %s", r.err);
	T_EQ_STR(r.out, "");
	fx_run_free(&r);
	T_OK(access(fx_path(&f, "none"), F_OK) != 0);
	fx_ctl_env_bad(&e, &f, sock, true);
	T_EQ_INT(fx_ctl_run(ctl_quarantine, &e, &r, "quarantine", at_site("index.php"), NULL), EXIT_ERROR);
	T_CHECK(fx_has(r.err, "junk.db"), "stderr: %s", r.err);
	fx_run_free(&r);
	T_OK(access(at_site("index.php"), F_OK) == 0);
	fx_ctl_env_db(&env, f.db, sock);
}

int
main(void)
{
	if (fx_open(&f, "ctlrespond") < 0 || fx_index_demo(&f) < 0)
		return 1;
	setenv("SUDO_USER", "tester", 1);
	snprintf(sock, sizeof(sock), "%s", fx_path(&f, "control"));
	fx_ctl_env_db(&env, f.db, sock);
	setup();
	T_RUN(test_restore);
	T_RUN(test_restore_refused);
	T_RUN(test_restore_not_kept);
	T_RUN(test_quarantine);
	T_RUN(test_quarantine_refused);
	T_RUN(test_bad_database);
	fx_close(&f);
	T_DONE();
}
