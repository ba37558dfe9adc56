/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fanotify watcher: FID mode, one FAN_MARK_FILESYSTEM per file system, events
 * resolved to paths through a bounded directory-handle cache. No policy here:
 * the caller decides what a path means. See ../shared/notes/FANOTIFY.md.
 *
 * Modes: FAN_REPORT_DFID_NAME_TARGET with FAN_RENAME (5.17+); else
 * FAN_REPORT_DFID_NAME|FAN_REPORT_FID with FAN_MOVED_FROM/TO (5.9-5.16), where a
 * rename arrives as two one-sided events; before 5.9: a clear error.
 * Never FAN_UNLIMITED_QUEUE: the queue limit is raised for this group only, at
 * init (an overflow is then an event the caller answers with a reconcile). */
#ifndef WSID_WATCH_H
#define WSID_WATCH_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WATCH_BUF_SIZE (256 * 1024)
#define WATCH_DIRCACHE_MAX 65536

struct watch_options {
	uint64_t queue_size; /* max_queued_events for this group; 0 = system default */
};

struct watch_event {
	uint64_t mask;
	int pid;
	bool overflow;   /* the kernel dropped events: reconcile */
	bool unresolved; /* the directory could not be resolved (gone): reconcile */
	/* events were lost (the rest of a malformed buffer) or the file system
	 * reported an error (FAN_FS_ERROR, fs_error): reconcile the webspaces on
	 * the file system of dev, 0: on every watched one */
	bool lost;
	dev_t dev;
	bool fs_error;
	bool is_dir;
	bool created, deleted, modified, close_write, attrib, renamed;
	/* the object's directory and name (for renames: the new ones), raw bytes */
	const char *dir;
	size_t dir_len;
	const char *name;
	size_t name_len;
	const char *old_dir; /* renames */
	size_t old_dir_len;
	const char *old_name;
	size_t old_name_len;
	int mount_fd; /* for open_by_handle_at(handle) */
	const struct file_handle *handle; /* the object itself, or NULL */
	/* a directory renamed is no longer at its new name when the event is
	 * read (moved again, or removed): the kernel merges an event into an
	 * equal one still queued (a -> b, b -> a, a -> b by one process is read
	 * as a -> b, b -> a), so the events read may not tell where it is */
	bool moved_since;
};

struct watch_stats {
	uint64_t reads, events, overflows, own_dropped, resolve_hits, resolve_misses, unresolved,
		malformed, skipped_records, fs_errors;
	bool rename_events; /* FAN_RENAME mode */
};

typedef void (*watch_fn)(void *ud, const struct watch_event *ev);

struct watch;

int watch_open(struct watch **ret, const struct watch_options *o);
void watch_close(struct watch *w);
/* Marks the file system holding path (idempotent per file system). */
int watch_add_fs(struct watch *w, const char *path);
int watch_fd(const struct watch *w);
unsigned watch_nfs(const struct watch *w);
/* Reads what is queued (non-blocking) and calls fn per event. Returns the
 * bytes of the last read (a short read invites a short pause before the next,
 * so the kernel merges more), or a negative errno. */
ssize_t watch_read(struct watch *w, watch_fn fn, void *ud);
void watch_get_stats(const struct watch *w, struct watch_stats *ret);
/* What watch_read does with one buffer it read (exposed for tests). */
void watch_dispatch(struct watch *w, const uint8_t *buf, size_t n, watch_fn fn, void *ud);
/* The inode number of an event's object (opened O_PATH by its handle). */
int watch_event_ino(const struct watch_event *ev, uint64_t *ret_ino);
/* Opens the exact inode of an event (O_RDONLY|O_NONBLOCK|O_NOATIME|O_NOCTTY). */
int watch_open_handle(const struct watch_event *ev);

#endif
