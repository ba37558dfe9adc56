// SPDX-License-Identifier: GPL-2.0-or-later
/* The fanotify watcher (watch.c) on a tmpfs the test mounts in a mount
 * namespace of its own: what another process does there (create, write,
 * rename, delete, a directory made) reaches the callback with the right
 * flags, directory and name; the watcher's own writes do not; a queue that
 * overflows is reported as an overflow (by the kernel, and in a buffer
 * given to watch_dispatch); a malformed buffer is reported as lost events.
 * test-runner: alone (the overflow case needs the machine-wide fanotify
 * queue limit at its own value, not raised by a daemon starting meanwhile) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "t.h"
#include "util.h"
#include "watch.h"

static char top[] = "/tmp/wsid-test-watch.XXXXXX";
static struct watch *w;

#define NEV 256
static struct got {
	char dir[256], name[64], old_dir[256], old_name[64];
	bool created, deleted, modified, close_write, renamed, is_dir, overflow, lost;
	int pid;
} got[NEV];
static size_t ngot, nall, noverflow;

static void
collect(void *ud, const struct watch_event *ev)
{
	struct got *g;

	(void)ud;
	nall++;
	noverflow += ev->overflow;
	if (ngot >= NEV)
		return;
	g = &got[ngot++];
	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "%.*s", (int)ev->dir_len, ev->dir ? ev->dir : "");
	snprintf(g->name, sizeof(g->name), "%.*s", (int)ev->name_len, ev->name ? ev->name : "");
	snprintf(g->old_dir, sizeof(g->old_dir), "%.*s", (int)ev->old_dir_len, ev->old_dir ? ev->old_dir : "");
	snprintf(g->old_name, sizeof(g->old_name), "%.*s", (int)ev->old_name_len,
		 ev->old_name ? ev->old_name : "");
	g->created = ev->created;
	g->deleted = ev->deleted;
	g->modified = ev->modified;
	g->close_write = ev->close_write;
	g->renamed = ev->renamed;
	g->is_dir = ev->is_dir;
	g->overflow = ev->overflow;
	g->lost = ev->lost;
	g->pid = ev->pid;
}

/* reads what is queued until nothing comes for 100 ms */
static void
drain(void)
{
	struct pollfd pf = { .fd = watch_fd(w), .events = POLLIN };

	ngot = nall = noverflow = 0;
	while (poll(&pf, 1, 100) > 0)
		if (watch_read(w, collect, NULL) < 0)
			break;
}

/* the events for dir/name (dir relative to top), merged */
static struct got
merged(const char *dir, const char *name)
{
	struct got m;
	char abs[256];
	size_t i;

	memset(&m, 0, sizeof(m));
	snprintf(abs, sizeof(abs), "%s%s%s", top, *dir ? "/" : "", dir);
	for (i = 0; i < ngot; i++) {
		if (strcmp(got[i].dir, abs) != 0 || strcmp(got[i].name, name) != 0)
			continue;
		m.created |= got[i].created;
		m.deleted |= got[i].deleted;
		m.modified |= got[i].modified;
		m.close_write |= got[i].close_write;
		m.is_dir |= got[i].is_dir;
		if (got[i].renamed) {
			m.renamed = true;
			snprintf(m.old_dir, sizeof(m.old_dir), "%s", got[i].old_dir);
			snprintf(m.old_name, sizeof(m.old_name), "%s", got[i].old_name);
		}
		m.pid = got[i].pid;
		memcpy(m.dir, got[i].dir, sizeof(m.dir));
	}
	return m;
}

static int
put(const char *rel, const char *text)
{
	return fx_put_at(top, rel, text);
}

static const char *
at(const char *rel)
{
	static char p[2][300];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", top, rel);
	return p[k];
}

/* what another process does on the file system */
static int
as_child(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return pid;
}

static void
child_changes(void)
{
	if (mkdir(at("d"), 0755) < 0 || put("d/new.php", "<?php\n") < 0 || put("keep.txt", "v2\n") < 0 ||
	    rename(at("moved.txt"), at("d/moved2.txt")) < 0 || unlink(at("gone.txt")) < 0)
		_exit(1);
}

static void
test_changes(void)
{
	struct got g;
	int pid;

	T_EQ_INT(put("keep.txt", "v1\n"), 0);
	T_EQ_INT(put("moved.txt", "m\n"), 0);
	T_EQ_INT(put("gone.txt", "g\n"), 0);
	drain(); /* the test's own writes: dropped */
	T_EQ_INT(ngot, 0);
	{
		struct watch_stats st;

		watch_get_stats(w, &st);
		T_OK(st.own_dropped >= 3);
	}
	pid = as_child(child_changes);
	T_OK(pid > 0);
	drain();
	g = merged("", "d");
	T_OK(g.created && g.is_dir);
	T_EQ_INT(g.pid, pid);
	g = merged("d", "new.php");
	T_OK(g.created && g.close_write && !g.is_dir && !g.deleted);
	g = merged("", "keep.txt");
	T_OK(g.modified && g.close_write && !g.created && !g.deleted);
	g = merged("", "gone.txt");
	T_OK(g.deleted && !g.created);
	g = merged("d", "moved2.txt");
	T_OK(g.renamed);
	T_EQ_STR(g.old_dir, top);
	T_EQ_STR(g.old_name, "moved.txt");
	/* nothing else, nothing in the wrong place */
	g = merged("", "moved2.txt");
	T_OK(!g.renamed && !g.created);
	g = merged("", "new.php");
	T_OK(!g.created);
}

#define STORM 20000

static void
child_storm(void)
{
	char name[64];
	int i, fd;

	for (i = 0; i < STORM; i++) {
		snprintf(name, sizeof(name), "%s/s/%d", top, i);
		if ((fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
			_exit(1);
		close(fd);
	}
}

static void
test_overflow(void)
{
	struct watch_stats st;
	char line[64];
	FILE *q = fopen("/proc/sys/fs/fanotify/max_queued_events", "r");
	long max = q && fgets(line, sizeof(line), q) ? atol(line) : 0;

	if (q)
		fclose(q);
	/* more changes than the kernel queues (the system's limit: the watch
	 * was opened without raising it) */
	if (max > 0 && max < STORM) {
		T_EQ_INT(mkdir(at("s"), 0755), 0);
		T_OK(as_child(child_storm) > 0);
		drain();
		T_EQ_INT(noverflow, 1);
		T_OK(nall < STORM); /* the rest was dropped */
		watch_get_stats(w, &st);
		T_OK(st.overflows >= 1);
	} else {
		printf("test_overflow: the kernel's queue (%ld) is larger than the storm: not tried\n", max);
	}
	/* an overflow record given to the dispatcher */
	{
		struct fanotify_event_metadata m;

		memset(&m, 0, sizeof(m));
		m.event_len = sizeof(m);
		m.vers = FANOTIFY_METADATA_VERSION;
		m.metadata_len = sizeof(m);
		m.mask = FAN_Q_OVERFLOW;
		m.fd = FAN_NOFD;
		m.pid = 1;
		ngot = nall = 0;
		watch_dispatch(w, (const uint8_t *)&m, sizeof(m), collect, NULL);
		T_EQ_INT(ngot, 1);
		T_OK(ngot == 1 && got[0].overflow);
		/* a record cut short: the rest is lost, said so */
		ngot = nall = 0;
		m.event_len = sizeof(m) + 64;
		watch_dispatch(w, (const uint8_t *)&m, sizeof(m), collect, NULL);
		T_EQ_INT(ngot, 1);
		T_OK(ngot == 1 && got[0].lost && !got[0].overflow);
	}
}

int
main(void)
{
	int r;

	if (fx_tmpfs(top) < 0) {
		printf("not ok: a tmpfs of the test's own\n0 passed, 1 failed\n");
		return 1;
	}
	r = watch_open(&w, NULL);
	T_EQ_INT(r, 0);
	if (r == 0) {
		T_EQ_INT(watch_add_fs(w, top), 0);
		T_EQ_INT(watch_add_fs(w, top), 0); /* once per file system */
		T_EQ_INT(watch_nfs(w), 1);
		T_RUN(test_changes);
		T_RUN(test_overflow);
		watch_close(w);
	}
	fx_tmpfs_done(top);
	T_DONE();
}
