// SPDX-License-Identifier: GPL-2.0-or-later
/* fanotify watcher; see watch.h. */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsevent.h"
#include "hmap.h"
#include "log.h"
#include "util.h"

#ifndef FAN_REPORT_DFID_NAME
#define FAN_REPORT_DFID_NAME (FAN_REPORT_DIR_FID | FAN_REPORT_NAME)
#endif
#ifndef FAN_REPORT_DFID_NAME_TARGET
#define FAN_REPORT_DFID_NAME_TARGET (FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID)
#endif

#define MAX_FS 64

struct wfs {
	uint64_t fsid;
	int mount_fd;
	dev_t dev;
	char *mountpoint;
};

#define DIRCACHE_DEAD_MAX 256

struct watch {
	int fd;
	bool rename_mode;
	struct wfs fs[MAX_FS];
	unsigned nfs;
	struct hmap dirs; /* fsid + type + handle -> path */
	uint8_t *buf;
	struct buf p1, p2, p3;
	/* directories created and removed before their event was read (the
	 * kernel merged the two): events inside them follow, so their entries
	 * stay for the next DIRCACHE_DEAD_MAX such directories */
	struct {
		char key[12 + FS_HANDLE_MAX];
		size_t klen;
	} dead[DIRCACHE_DEAD_MAX];
	size_t ndead, dead_next;
	pid_t self;
	struct watch_stats st;
};

static int
write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int
read_sysctl(const char *path, char *out, size_t sz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, out, sz - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/*
 * The queue limit is one value for the whole machine, read by fanotify_init:
 * raising it, initialising and putting it back must not interleave with
 * another process doing the same (it would put back the other's raised value
 * as the machine's, or initialise with the other's). Another wsid, or a test,
 * takes an exclusive flock(2) on the sysctl file for that moment. Anyone may
 * open that file and hold the lock, so the wait is bounded (2 s): past it the
 * group is initialised without the lock, and a warning says so.
 */
static int
sysctl_lock(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return -1;
	for (i = 0; i < 200; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		usleep(10000);
	}
	log_warnx("fanotify: %s stayed locked by another process: setting the queue size without the lock",
		  path);
	close(fd);
	return -1;
}

int
watch_open(struct watch **ret, const struct watch_options *o)
{
	static const char qpath[] = "/proc/sys/fs/fanotify/max_queued_events";
	struct watch *w = xcalloc(1, sizeof(*w));
	char old[64] = "";
	bool raised = false;
	int lk = sysctl_lock(qpath);

	if (o && o->queue_size) {
		char v[32];

		/* the limit is read at fanotify_init: raise it for our group only */
		snprintf(v, sizeof(v), "%llu", (unsigned long long)o->queue_size);
		if (read_sysctl(qpath, old, sizeof(old)) == 0 && strcmp(old, v) != 0)
			raised = write_sysctl(qpath, v) == 0;
		if (!raised && strcmp(old, v) != 0)
			log_warnx("fanotify: cannot set the queue size to %s (staying at %s)", v, old);
	}
	w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME_TARGET,
			      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	w->rename_mode = w->fd >= 0;
	if (w->fd < 0 && errno == EINVAL)
		w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME |
					      FAN_REPORT_FID,
				      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (raised)
		write_sysctl(qpath, old);
	if (lk >= 0)
		close(lk);
	if (w->fd < 0) {
		int r = errno == EINVAL ? -ENOSYS : -errno;

		if (r == -ENOSYS)
			log_warnx("fanotify: this kernel lacks FAN_REPORT_DFID_NAME (Linux 5.9 or newer "
				  "is needed)");
		free(w);
		return r;
	}
	w->st.rename_events = w->rename_mode;
	w->buf = xmalloc(WATCH_BUF_SIZE);
	hmap_init(&w->dirs);
	buf_init(&w->p1, 1 << 16);
	buf_init(&w->p2, 1 << 16);
	buf_init(&w->p3, 1 << 16);
	w->self = getpid();
	*ret = w;
	return 0;
}

static void
dircache_clear(struct watch *w)
{
	struct hmap_slot *hs;

	w->ndead = w->dead_next = 0;
	hmap_foreach(&w->dirs, hs) free(hs->val);
	hmap_free(&w->dirs);
	hmap_init(&w->dirs);
}

void
watch_close(struct watch *w)
{
	unsigned i;

	if (w == NULL)
		return;
	close(w->fd);
	for (i = 0; i < w->nfs; i++) {
		close(w->fs[i].mount_fd);
		free(w->fs[i].mountpoint);
	}
	dircache_clear(w);
	hmap_free(&w->dirs);
	buf_free(&w->p1);
	buf_free(&w->p2);
	buf_free(&w->p3);
	free(w->buf);
	free(w);
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

unsigned
watch_nfs(const struct watch *w)
{
	return w ? w->nfs : 0;
}

void
watch_get_stats(const struct watch *w, struct watch_stats *ret)
{
	if (w)
		*ret = w->st;
	else
		memset(ret, 0, sizeof(*ret));
}

/* /proc/self/mountinfo escapes ' ', '\t', '\n', '\\' as \ooo */
static void
unescape_octal(char *s)
{
	char *r = s, *o = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*o++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else
			*o++ = *r++;
	}
	*o = '\0';
}

/* a mount of the file system's root directory: the mount fd that resolves
 * handles to true paths (a bind mount of a subdirectory would not) */
static char *
find_root_mount(dev_t dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *found = NULL;
	size_t cap = 0;

	if (f == NULL)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *fields[5];
		unsigned maj, min;
		int i;

		fields[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && fields[i - 1]; i++)
			fields[i] = strtok_r(NULL, " ", &save);
		if (i < 5 || fields[4] == NULL)
			continue;
		if (sscanf(fields[2], "%u:%u", &maj, &min) != 2 || makedev(maj, min) != dev)
			continue;
		unescape_octal(fields[3]);
		if (strcmp(fields[3], "/") != 0)
			continue;
		unescape_octal(fields[4]);
		free(found);
		found = xstrdup(fields[4]); /* the last one: the most recent mount */
	}
	free(line);
	fclose(f);
	return found;
}

int
watch_add_fs(struct watch *w, const char *path)
{
	struct statfs sf;
	struct stat st;
	uint64_t fsid;
	unsigned i;
	uint64_t mask = FAN_CREATE | FAN_DELETE | FAN_CLOSE_WRITE | FAN_MODIFY | FAN_ATTRIB | FAN_ONDIR;
	char *mp;
	int mfd;

	if (statfs(path, &sf) < 0 || stat(path, &st) < 0)
		return -errno;
	memcpy(&fsid, &sf.f_fsid, sizeof(fsid));
	for (i = 0; i < w->nfs; i++)
		if (w->fs[i].fsid == fsid)
			return 0;
	if (w->nfs == MAX_FS)
		return -ENOSPC;
	mp = find_root_mount(st.st_dev);
	if (mp == NULL) {
		log_warnx("watch: %s: no mount of its file system's root is visible; mount one (e.g. "
			  "in the daemon's namespace) so that events resolve to paths", esc_name(path));
		return -ENOENT;
	}
	mfd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		int r = -errno;

		free(mp);
		return r;
	}
	mask |= w->rename_mode ? FAN_RENAME : (FAN_MOVED_FROM | FAN_MOVED_TO);
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD, mp) < 0) {
		int r = -errno;

		log_warn("watch: fanotify_mark(FAN_MARK_FILESYSTEM) on %s", esc_name(mp));
		close(mfd);
		free(mp);
		return r;
	}
	/* file system errors, where supported (5.16+): cheap, and worth an alert */
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_FS_ERROR, AT_FDCWD, mp) < 0)
		log_debug("watch: FAN_FS_ERROR not available on %s", esc_name(mp));
	w->fs[w->nfs].fsid = fsid;
	w->fs[w->nfs].mount_fd = mfd;
	w->fs[w->nfs].dev = st.st_dev;
	w->fs[w->nfs].mountpoint = mp;
	w->nfs++;
	log_info("watching the file system of %s (mounted at %s)", esc_name(path), esc_name(mp));
	return 0;
}

static const struct wfs *
wfs_of(const struct watch *w, uint64_t fsid)
{
	unsigned i;

	for (i = 0; i < w->nfs; i++)
		if (w->fs[i].fsid == fsid)
			return &w->fs[i];
	return NULL;
}

static int
mount_fd_of(const struct watch *w, uint64_t fsid)
{
	const struct wfs *f = wfs_of(w, fsid);

	return f ? f->mount_fd : -1;
}

/* the device of a watched file system, 0 when unknown (taken for all) */
static dev_t
dev_of(const struct watch *w, uint64_t fsid)
{
	const struct wfs *f = wfs_of(w, fsid);

	return f ? f->dev : 0;
}

/* The path of a directory deeper than PATH_MAX, which /proc/self/fd cannot
 * show: climb through ".." (finding each directory's name in its parent by its
 * inode) until the rest of the path fits, then prepend it. Bounded: at most
 * DEEP_LEVELS directories and a path of DEEP_PATH_MAX bytes. Takes fd. */
#define DEEP_LEVELS 256
#define DEEP_PATH_MAX (60 * 1024)

static char *
deep_path(int fd, size_t *len)
{
	char link[64], head[PATH_MAX + 1], *tail = NULL, *r = NULL;
	size_t tl = 0;
	int level;

	for (level = 0; level < DEEP_LEVELS && fd >= 0; level++) {
		struct stat st;
		struct dirent *de;
		DIR *dir;
		int up;
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, head, sizeof(head));
		if (n > 0 && n < (ssize_t)sizeof(head)) {
			if (head[0] != '/' || (n > 10 && memcmp(head + n - 10, " (deleted)", 10) == 0))
				break;
			r = xmalloc((size_t)n + tl + 1);
			memcpy(r, head, (size_t)n);
			if (tl)
				memcpy(r + n, tail, tl);
			*len = (size_t)n + tl;
			r[*len] = '\0';
			break;
		}
		if (fstat(fd, &st) < 0 || (up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			break;
		close(fd);
		fd = up;
		if ((dir = fdopendir(dup(up))) == NULL)
			break;
		while ((de = readdir(dir)) != NULL) {
			size_t nl = strlen(de->d_name);
			char *t;

			if (de->d_ino != st.st_ino || strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (tl + nl + 1 > DEEP_PATH_MAX)
				break;
			t = xmalloc(tl + nl + 2);
			t[0] = '/';
			memcpy(t + 1, de->d_name, nl);
			if (tl)
				memcpy(t + 1 + nl, tail, tl);
			free(tail);
			tail = t;
			tl += nl + 1;
			break;
		}
		closedir(dir);
		if (de == NULL || tl == 0)
			break; /* renamed away meanwhile, or too long */
	}
	if (fd >= 0)
		close(fd);
	free(tail);
	return r;
}

/* the directory cache's key of a handle: fsid, type, bytes; its length */
static size_t dir_key(char *key, const struct fs_fid *d);

/* a directory created and removed already: forgotten later (see dead) */
static void
dircache_dead(struct watch *w, const struct fs_fid *d)
{
	size_t i = w->dead_next;

	if (w->ndead == DIRCACHE_DEAD_MAX)
		free(hmap_del(&w->dirs, w->dead[i].key, w->dead[i].klen));
	else
		w->ndead++;
	w->dead[i].klen = dir_key(w->dead[i].key, d);
	w->dead_next = (i + 1) % DIRCACHE_DEAD_MAX;
}

static size_t
dir_key(char *key, const struct fs_fid *d)
{
	memcpy(key, &d->fsid, 8);
	memcpy(key + 8, &d->fh.handle_type, 4);
	memcpy(key + 12, d->fh.f_handle, d->fh.handle_bytes);
	return 12 + d->fh.handle_bytes;
}

/* A directory just created at dir/name: its path is known now, while later
 * events inside it may come when it is gone already (mkdir a; mkdir a/b;
 * rmdir a/b; rmdir a): cached under its own handle, they still resolve. */
static void
dircache_learn(struct watch *w, const struct fs_fid *d, const char *dir, size_t dlen,
	       const char *name, size_t nlen)
{
	char key[8 + 4 + FS_HANDLE_MAX];
	size_t klen = dir_key(key, d);
	char *path;
	void **slot;

	if (w->dirs.len >= WATCH_DIRCACHE_MAX)
		dircache_clear(w);
	path = xmalloc(dlen + 1 + nlen + 1);
	memcpy(path, dir, dlen);
	path[dlen] = '/';
	memcpy(path + dlen + 1, name, nlen);
	path[dlen + 1 + nlen] = '\0';
	slot = hmap_put(&w->dirs, key, klen, NULL);
	free(*slot);
	*slot = path;
}

/* A directory removed: it was empty, so nothing cached lies below it; only
 * its own entry goes (every other path stays right) */
static void
dircache_forget(struct watch *w, const struct fs_fid *d)
{
	char key[8 + 4 + FS_HANDLE_MAX];
	size_t klen = dir_key(key, d);
	char *path = hmap_get(&w->dirs, key, klen);

	if (path) {
		hmap_del(&w->dirs, key, klen);
		free(path);
	}
}

/* A directory renamed from old (its path before): the paths cached at and
 * below it are wrong now, the others still right. A large cache is cleared
 * instead of searched (a storm of renames then costs a clear each). The
 * directory's new path is learned (events inside it may come when it is gone
 * already). */
#define DIRCACHE_SCAN_MAX 4096

static void
dircache_moved(struct watch *w, const char *old, size_t olen, const struct fs_fid *d,
	       const char *dir, size_t dlen, const char *name, size_t nlen)
{
	struct hmap_slot *hs;

	if (old == NULL || w->dirs.len > DIRCACHE_SCAN_MAX) {
		dircache_clear(w);
	} else {
		/* the keys first: hmap_del moves slots */
		struct buf keys;
		size_t off = 0;

		buf_init(&keys, (size_t)DIRCACHE_SCAN_MAX * (sizeof(size_t) + 12 + FS_HANDLE_MAX));
		hmap_foreach(&w->dirs, hs) {
			const char *p = hs->val;

			if (strncmp(p, old, olen) == 0 && (p[olen] == '/' || p[olen] == '\0') &&
			    (buf_append(&keys, &hs->klen, sizeof(hs->klen)) < 0 ||
			     buf_append(&keys, hs->key, hs->klen) < 0)) {
				buf_free(&keys);
				dircache_clear(w);
				goto learn;
			}
		}
		while (off < keys.len) {
			size_t kl;

			memcpy(&kl, keys.data + off, sizeof(kl));
			free(hmap_del(&w->dirs, keys.data + off + sizeof(kl), kl));
			off += sizeof(kl) + kl;
		}
		buf_free(&keys);
	}
learn:
	if (d && dir)
		dircache_learn(w, d, dir, dlen, name, nlen);
}

/* directory handle -> current path; NULL when it cannot be resolved */
static const char *
resolve_dir(struct watch *w, const struct fs_fid *d, size_t *len)
{
	char key[8 + 4 + FS_HANDLE_MAX];
	size_t klen = dir_key(key, d);
	char *path, link[64], target[PATH_MAX + 1];
	int mfd = mount_fd_of(w, d->fsid), fd;
	ssize_t n;

	path = hmap_get(&w->dirs, key, klen);
	if (path) {
		w->st.resolve_hits++;
		*len = strlen(path);
		return path;
	}
	w->st.resolve_misses++;
	if (mfd < 0)
		return NULL;
	fd = open_by_handle_at(mfd, (struct file_handle *)(uintptr_t)&d->fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	if (n < 0 && errno == ENAMETOOLONG) {
		/* deeper than PATH_MAX */
		path = deep_path(fd, len);
		if (path == NULL)
			return NULL;
		n = (ssize_t)*len;
	} else {
		close(fd);
		if (n <= 0 || n >= (ssize_t)sizeof(target))
			return NULL; /* gone */
		target[n] = '\0';
		if (n > 10 && strcmp(target + n - 10, " (deleted)") == 0)
			return NULL;
		path = xstrndup(target, (size_t)n);
	}
	if (w->dirs.len >= WATCH_DIRCACHE_MAX)
		dircache_clear(w);
	*hmap_put(&w->dirs, key, klen, NULL) = path;
	*len = (size_t)n;
	return path;
}

/* Is the directory d still at dir/name (a rename's new name)? Its handle is
 * opened and its path read now: false when it is elsewhere or gone; true as
 * well when that cannot be told (a path deeper than PATH_MAX, no mount). */
static bool
dir_still_at(const struct watch *w, const struct fs_fid *d, const char *dir, size_t dlen,
	     const char *name, size_t nlen)
{
	char link[64], target[PATH_MAX + 1];
	int mfd = mount_fd_of(w, d->fsid), fd;
	ssize_t n;

	if (mfd < 0)
		return true;
	fd = open_by_handle_at(mfd, (struct file_handle *)(uintptr_t)&d->fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno != ESTALE && errno != ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	close(fd);
	if (n < 0 || n >= (ssize_t)sizeof(target))
		return true; /* deeper than PATH_MAX: not told */
	return (size_t)n == dlen + 1 + nlen && memcmp(target, dir, dlen) == 0 && target[dlen] == '/' &&
	       memcmp(target + dlen + 1, name, nlen) == 0;
}

static void
emit(struct watch *w, const struct fs_event *fe, watch_fn fn, void *ud)
{
	struct watch_event ev;
	const struct fs_name *nm = fe->dname.present ? &fe->dname : fe->newname.present ? &fe->newname : NULL;
	const char *dir;
	size_t dlen;

	memset(&ev, 0, sizeof(ev));
	ev.mask = fe->mask;
	ev.pid = fe->pid;
	ev.is_dir = (fe->mask & FAN_ONDIR) != 0;
	ev.fs_error = (fe->mask & FAN_FS_ERROR) != 0;
	ev.created = (fe->mask & FAN_CREATE) != 0;
	ev.deleted = (fe->mask & FAN_DELETE) != 0;
	ev.modified = (fe->mask & FAN_MODIFY) != 0;
	ev.close_write = (fe->mask & FAN_CLOSE_WRITE) != 0;
	ev.attrib = (fe->mask & FAN_ATTRIB) != 0;
	ev.mount_fd = -1;
	if (fe->fid.present) {
		ev.handle = (const struct file_handle *)(const void *)&fe->fid.fh;
		ev.mount_fd = mount_fd_of(w, fe->fid.fsid);
	}
	if (ev.fs_error) {
		ev.lost = true;
		ev.dev = fe->fid.present ? dev_of(w, fe->fid.fsid) : 0;
		w->st.fs_errors++;
		fn(ud, &ev);
		return;
	}
	if (fe->mask & (FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO)) {
		ev.renamed = true;
		ev.created = ev.deleted = false;
		if (fe->oldname.present || (fe->mask & FAN_MOVED_FROM)) {
			const struct fs_name *on = fe->oldname.present ? &fe->oldname : &fe->dname;

			dir = resolve_dir(w, &on->dir, &dlen);
			if (dir) {
				buf_reset(&w->p1);
				buf_append(&w->p1, dir, dlen);
				ev.old_dir = w->p1.data;
				ev.old_dir_len = dlen;
				ev.old_name = on->name;
				ev.old_name_len = on->len;
			}
		}
		if (fe->newname.present || (fe->mask & FAN_MOVED_TO)) {
			const struct fs_name *nn = fe->newname.present ? &fe->newname : &fe->dname;

			dir = resolve_dir(w, &nn->dir, &dlen);
			if (dir) {
				buf_reset(&w->p2);
				buf_append(&w->p2, dir, dlen);
				ev.dir = w->p2.data;
				ev.dir_len = dlen;
				ev.name = nn->name;
				ev.name_len = nn->len;
			}
		}
		if (ev.is_dir) {
			/* every path under it moved */
			struct buf *old = &w->p3;

			/* where it is now, before the cache learns the event's word */
			if (fe->fid.present && ev.dir)
				ev.moved_since = !dir_still_at(w, &fe->fid, ev.dir, ev.dir_len, ev.name,
							       ev.name_len);

			buf_reset(old);
			if (ev.old_dir && (buf_append(old, ev.old_dir, ev.old_dir_len) < 0 ||
					   buf_putc(old, '/') < 0 ||
					   buf_append(old, ev.old_name, ev.old_name_len) < 0))
				buf_reset(old);
			dircache_moved(w, old->len ? old->data : NULL, old->len,
				       fe->fid.present ? &fe->fid : NULL, ev.dir, ev.dir_len,
				       ev.name, ev.name_len);
		}
		if (ev.dir == NULL && ev.old_dir == NULL) {
			ev.unresolved = true;
			w->st.unresolved++;
		}
		fn(ud, &ev);
		return;
	}
	if (nm == NULL)
		return; /* FID-only (link count ATTRIB): the CREATE/DELETE says it */
	dir = resolve_dir(w, &nm->dir, &dlen);
	if (dir == NULL) {
		ev.unresolved = true;
		w->st.unresolved++;
		fn(ud, &ev);
		return;
	}
	buf_reset(&w->p2);
	buf_append(&w->p2, dir, dlen);
	ev.dir = w->p2.data;
	ev.dir_len = dlen;
	ev.name = nm->name;
	ev.name_len = nm->len;
	/* a creation merged with the removal (both in the mask) is learned too:
	 * events inside the directory come after it (see dead) */
	if (ev.is_dir && ev.created && fe->fid.present) {
		/* ev.dir, not dir: the cache entry dir points to may be freed there */
		dircache_learn(w, &fe->fid, ev.dir, dlen, nm->name, nm->len);
		if (ev.deleted)
			dircache_dead(w, &fe->fid);
	} else if (ev.is_dir && ev.deleted && fe->fid.present)
		dircache_forget(w, &fe->fid);
	else if (ev.is_dir && ev.deleted)
		dircache_clear(w);
	fn(ud, &ev);
}

void
watch_dispatch(struct watch *w, const uint8_t *buf, size_t n, watch_fn fn, void *ud)
{
	size_t off = 0;
	struct fs_event fe;
	int r;

	while ((r = fsevent_next(buf, n, &off, &fe)) == 1) {
		w->st.events++;
		w->st.skipped_records += fe.skipped_records;
		if (fe.overflow) {
			struct watch_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.overflow = true;
			ev.mount_fd = -1;
			w->st.overflows++;
			fn(ud, &ev);
			continue;
		}
		/* an error the daemon's own read ran into is an error all the same */
		if (fe.pid == w->self && !(fe.mask & FAN_FS_ERROR)) {
			w->st.own_dropped++;
			continue;
		}
		emit(w, &fe, fn, ud);
	}
	if (r < 0) {
		/* what follows in the buffer is lost, of whichever file system */
		struct watch_event ev;

		w->st.malformed++;
		log_warnx("watch: malformed event buffer (%zu bytes, %zu decoded): rest skipped, "
			  "the webspaces of every watched file system are reconciled", n, off);
		memset(&ev, 0, sizeof(ev));
		ev.lost = true;
		ev.mount_fd = -1;
		fn(ud, &ev);
	}
}

ssize_t
watch_read(struct watch *w, watch_fn fn, void *ud)
{
	ssize_t last = 0;

	for (;;) {
		ssize_t n = read(w->fd, w->buf, WATCH_BUF_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return last;
			return -errno;
		}
		if (n == 0)
			return last;
		w->st.reads++;
		last = n;
		watch_dispatch(w, w->buf, (size_t)n, fn, ud);
		if ((size_t)n < WATCH_BUF_SIZE / 2)
			return last;
	}
}

int
watch_event_ino(const struct watch_event *ev, uint64_t *ret_ino)
{
	struct stat st;
	int fd, r = 0;

	if (ev->handle == NULL || ev->mount_fd < 0)
		return -EINVAL;
	fd = open_by_handle_at(ev->mount_fd, (struct file_handle *)(uintptr_t)ev->handle,
			       O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else
		*ret_ino = st.st_ino;
	close(fd);
	return r;
}

int
watch_open_handle(const struct watch_event *ev)
{
	int fd;

	if (ev->handle == NULL || ev->mount_fd < 0)
		return -EINVAL;
	fd = open_by_handle_at(ev->mount_fd, (struct file_handle *)(uintptr_t)ev->handle,
			       O_RDONLY | O_NONBLOCK | O_NOATIME | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		fd = open_by_handle_at(ev->mount_fd, (struct file_handle *)(uintptr_t)ev->handle,
				       O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
