/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who wrote a file: what /proc tells of the pid fanotify reports (best effort,
 * never trusted alone: the process may be gone, or its pid reused). A small
 * cache keeps one read of /proc per writing process, not per event. */
#ifndef WSID_PROCINFO_H
#define WSID_PROCINFO_H

#include <stdbool.h>
#include <stdint.h>

struct proc_info {
	int pid;
	bool known;        /* /proc had it */
	uint32_t uid;      /* effective uid */
	char user[33];     /* its name, or the number */
	char comm[17];     /* command name (kernel's comm, at most 15 bytes) */
	char cgroup[160];  /* cgroup v2 path, e.g. /system.slice/php8.2-fpm.service */
	uint64_t read_ns;  /* monotonic time of the read */
};

struct proc_cache;

struct proc_cache *proc_cache_new(void);
void proc_cache_free(struct proc_cache *c);
/* fills *out for pid; reads /proc when the cached entry is missing or older
 * than max_age_ms. Returns false when pid <= 0 or nothing is known. */
bool proc_cache_get(struct proc_cache *c, int pid, unsigned max_age_ms, struct proc_info *out);
/* reads /proc/<pid> (proc_root: "/proc", or another directory for tests) */
bool proc_info_read(const char *proc_root, int pid, struct proc_info *out);

/* fs.protected_hardlinks (/proc/sys/fs/protected_hardlinks): 1 when set, 0
 * when not (a user may hard-link a file it cannot read or write, a root-only
 * one included, into a directory it owns), a negative errno when unreadable */
int proc_protected_hardlinks(void);

#endif
