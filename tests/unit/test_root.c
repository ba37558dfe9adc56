// SPDX-License-Identifier: GPL-2.0-or-later
/* Webspace roots (root.h): resolution follows only symbolic links root owns
 * and never a root that is itself a link; the real path and identity it
 * returns; a reopen refuses the path once a symlink or another directory has
 * taken it, and takes the same directory back. In a scratch directory under
 * /tmp; links a customer owns are made by chown (needs root). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "root.h"
#include "t.h"

static char top[] = "/tmp/wsid-test-root.XXXXXX";
static char real_top[PATH_MAX / 2];

static char *
at(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", real_top, rel);
	return buf[k];
}

static void
test_plain_directory(void)
{
	struct root_id id, id2;
	char *real = NULL;
	bool via = true;
	int fd = -1, r, fd2;
	struct stat st;

	r = root_resolve(at("home/c/public_html"), &fd, &real, &id, &via);
	T_EQ_INT(r, 0);
	T_EQ_STR(real, at("home/c/public_html"));
	T_OK(!via);
	T_OK(fstat(fd, &st) == 0 && st.st_ino == id.ino && S_ISDIR(st.st_mode));
	T_OK(id.mnt != 0);
	/* reopened as the same directory */
	fd2 = root_reopen(real, &id);
	T_OK(fd2 >= 0);
	T_OK(fd2 >= 0 && root_identify(fd2, &id2) == 0 && root_id_equal(&id, &id2));
	if (fd2 >= 0)
		close(fd2);
	/* moved away and back: the same directory again */
	T_OK(rename(at("home/c/public_html"), at("home/c/away")) == 0);
	T_EQ_INT(root_reopen(real, &id), -ESTALE);
	/* a symlink to another directory in its place */
	T_OK(symlink(at("vault"), at("home/c/public_html")) == 0);
	T_EQ_INT(root_reopen(real, &id), -ESTALE);
	T_EQ_INT(root_resolve(at("home/c/public_html"), &fd2, &real, &id2, NULL), -ELOOP);
	T_OK(unlink(at("home/c/public_html")) == 0);
	/* another directory at the path: another identity */
	T_OK(mkdir(at("home/c/public_html"), 0755) == 0);
	T_EQ_INT(root_reopen(real, &id), -ESTALE);
	T_OK(rmdir(at("home/c/public_html")) == 0);
	T_OK(rename(at("home/c/away"), at("home/c/public_html")) == 0);
	fd2 = root_reopen(real, &id);
	T_OK(fd2 >= 0);
	if (fd2 >= 0)
		close(fd2);
	/* a symlink above the root, at the tenant's level: refused too */
	T_OK(rename(at("home/c"), at("home/c-real")) == 0);
	T_OK(symlink(at("home/c-real"), at("home/c")) == 0);
	T_OK(lchown(at("home/c"), 1234, 1234) == 0);
	T_EQ_INT(root_reopen(real, &id), -ESTALE);
	T_EQ_INT(root_resolve(at("home/c/public_html"), &fd2, &real, &id2, NULL), -EPERM);
	T_OK(unlink(at("home/c")) == 0);
	T_OK(rename(at("home/c-real"), at("home/c")) == 0);
	close(fd);
	free(real);
}

static void
test_root_owned_links(void)
{
	struct root_id id;
	char *real = NULL;
	bool via = false;
	int fd = -1;

	/* /var/www -> /srv/www (root's, relative and absolute): followed, the
	 * real path returned */
	T_OK(symlink("srv", at("www")) == 0);
	T_EQ_INT(root_resolve(at("www/site"), &fd, &real, &id, &via), 0);
	T_EQ_STR(real, at("srv/site"));
	T_OK(via);
	if (fd >= 0)
		close(fd);
	free(real);
	real = NULL;
	T_OK(symlink(at("srv"), at("www-abs")) == 0);
	T_EQ_INT(root_resolve(at("www-abs/site"), &fd, &real, &id, &via), 0);
	T_EQ_STR(real, at("srv/site"));
	if (fd >= 0)
		close(fd);
	free(real);
	real = NULL;
	/* a root-owned link as the root itself: refused */
	T_OK(symlink(at("srv/site"), at("site-link")) == 0);
	T_EQ_INT(root_resolve(at("site-link"), &fd, &real, &id, NULL), -ELOOP);
	/* a chain through a link a customer owns: refused */
	T_OK(symlink(at("srv"), at("www-cust")) == 0);
	T_OK(lchown(at("www-cust"), 1234, 1234) == 0);
	T_OK(symlink(at("www-cust"), at("www-chain")) == 0);
	T_EQ_INT(root_resolve(at("www-chain/site"), &fd, &real, &id, NULL), -EPERM);
	/* a loop of root's links ends */
	T_OK(symlink("loop-b", at("loop-a")) == 0);
	T_OK(symlink("loop-a", at("loop-b")) == 0);
	T_EQ_INT(root_resolve(at("loop-a/x"), &fd, &real, &id, NULL), -EMLINK);
	/* not a directory, nothing, relative */
	T_EQ_INT(root_resolve(at("srv/file"), &fd, &real, &id, NULL), -ENOTDIR);
	T_EQ_INT(root_resolve(at("nothing/here"), &fd, &real, &id, NULL), -ENOENT);
	T_EQ_INT(root_resolve("relative/path", &fd, &real, &id, NULL), -EINVAL);
	T_OK(real == NULL);
}

int
main(void)
{
	char cmd[PATH_MAX + 16];
	FILE *f;

	if (geteuid() != 0) {
		printf("needs root\n0 passed, 1 failed\n");
		return 1;
	}
	{
		char *r = mkdtemp(top) ? realpath(top, NULL) : NULL;

		if (r == NULL || strlen(r) >= sizeof(real_top)) {
			perror("mkdtemp");
			return 1;
		}
		memcpy(real_top, r, strlen(r) + 1);
		free(r);
	}
	mkdir(at("home"), 0755);
	mkdir(at("home/c"), 0755);
	mkdir(at("home/c/public_html"), 0755);
	mkdir(at("vault"), 0700);
	mkdir(at("srv"), 0755);
	mkdir(at("srv/site"), 0755);
	if ((f = fopen(at("srv/file"), "w")) != NULL)
		fclose(f);
	T_OK(chown(at("home/c"), 1234, 1234) == 0);
	T_RUN(test_plain_directory);
	T_RUN(test_root_owned_links);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", real_top);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", real_top);
	T_DONE();
}
