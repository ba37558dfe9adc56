// SPDX-License-Identifier: GPL-2.0-or-later
/* procinfo: this process read from the real /proc; a /proc look-alike in a
 * temporary directory with what a tenant controls (its process name: control
 * bytes, a name longer than the field; a cgroup file with v1 lines); a child
 * that has exited, whose last reading the cache keeps. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procinfo.h"
#include "t.h"

static char root[64];

static void
put(int pid, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/%s", root, pid, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void
test_self(void)
{
	struct proc_info pi;
	struct passwd *pw = getpwuid(geteuid());

	T_OK(proc_info_read("/proc", getpid(), &pi));
	T_OK(pi.known);
	T_EQ_INT(pi.pid, getpid());
	T_EQ_INT(pi.uid, geteuid());
	T_EQ_STR(pi.comm, "procinfo-test");
	T_OK(pi.cgroup[0] == '/'); /* cgroup v2 path */
	T_OK(!proc_info_read("/proc", 0, &pi));
	T_OK(!proc_info_read("/proc", -5, &pi));

	struct proc_cache *c = proc_cache_new();
	T_OK(proc_cache_get(c, getpid(), 1000, &pi));
	T_EQ_STR(pi.comm, "procinfo-test");
	if (pw)
		T_EQ_STR(pi.user, pw->pw_name); /* the cache names the uid */
	T_OK(!proc_cache_get(c, 0, 1000, &pi));
	proc_cache_free(c);
}

static void
test_fake_root(void)
{
	struct proc_info pi;

	put(100, "comm", "evil\033[2J\x7fname-longer-than-the-field\n");
	put(100, "status", "Name:\tx\nUmask:\t0022\nUid:\t1234\t1235\t1234\t1234\nGid:\t1\n");
	put(100, "cgroup", "12:cpu:/v1/path\n0::/system.slice/php8.2-fpm.service\n");
	T_OK(proc_info_read(root, 100, &pi));
	T_EQ_STR(pi.comm, "evil?[2J?name-lo"); /* control bytes cleaned, 16 bytes */
	T_EQ_INT(pi.uid, 1235);                /* the effective uid */
	T_EQ_STR(pi.user, "1235");
	T_EQ_STR(pi.cgroup, "/system.slice/php8.2-fpm.service");

	/* status without a Uid line, no cgroup file: known by its comm alone */
	put(101, "comm", "php-fpm");
	put(101, "status", "Name:\tphp-fpm\n");
	T_OK(proc_info_read(root, 101, &pi));
	T_EQ_STR(pi.comm, "php-fpm");
	T_EQ_INT(pi.uid, 0);
	T_EQ_STR(pi.cgroup, "");

	/* a cgroup line holding a newline-less control byte */
	put(102, "cgroup", "0::/user.slice/\001x");
	T_OK(!proc_info_read(root, 102, &pi)); /* neither comm nor Uid: unknown */
	T_EQ_STR(pi.cgroup, "/user.slice/?x");
	T_OK(!proc_info_read(root, 103, &pi)); /* no such pid */
	T_OK(!pi.known);
}

static void
test_gone(void)
{
	struct proc_cache *c = proc_cache_new();
	struct proc_info pi;
	int p[2], pid;
	char ch;

	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &ch, 1) < 0) /* until the parent has looked */
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	T_OK(proc_cache_get(c, pid, 0, &pi));
	T_EQ_STR(pi.comm, "procinfo-test");
	close(p[1]);
	waitpid(pid, NULL, 0);
	/* gone now: a fresh read finds nothing, the last reading stands */
	T_OK(!proc_info_read("/proc", pid, &pi));
	T_OK(proc_cache_get(c, pid, 0, &pi));
	T_EQ_STR(pi.comm, "procinfo-test");
	T_EQ_INT(pi.pid, pid);
	proc_cache_free(c);
}

static void
test_hardlinks_sysctl(void)
{
	int r = proc_protected_hardlinks();
	FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "r");
	int want = -1;

	if (f) {
		if (fscanf(f, "%d", &want) != 1)
			want = -1;
		fclose(f);
	}
	if (want < 0)
		T_OK(r < 0);
	else
		T_EQ_INT(r, want ? 1 : 0);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/wsid-procinfo.XXXXXX");
	if (!mkdtemp(root))
		return 2;
	/* a name of our own, whatever runs the program (valgrind renames it) */
	prctl(PR_SET_NAME, "procinfo-test");
	T_RUN(test_self);
	T_RUN(test_fake_root);
	T_RUN(test_gone);
	T_RUN(test_hardlinks_sysctl);
	t_rmtree(root);
	T_DONE();
}
