// SPDX-License-Identifier: GPL-2.0-or-later
/* The writer's identity from /proc; see procinfo.h. */
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define CACHE_SLOTS 256

struct proc_cache {
	struct proc_info slot[CACHE_SLOTS];
	/* uid -> name, the last few */
	struct {
		uint32_t uid;
		bool used;
		char name[33];
	} users[16];
	unsigned next_user;
};

/* reads a small /proc file into buf (NUL-terminated); bytes read or -1 */
static ssize_t
read_small(int dirfd, const char *name, char *buf, size_t sz)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* a printable copy: control bytes and quotes become '?', as names from /proc
 * are chosen by whoever runs the process */
static void
copy_clean(char *dst, size_t dsz, const char *src, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < dsz; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[k++] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	dst[k] = '\0';
}

bool
proc_info_read(const char *proc_root, int pid, struct proc_info *out)
{
	char path[64], buf[4096], *p;
	int dfd;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->read_ns = now_mono_ns();
	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "%s/%d", proc_root, pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	if ((n = read_small(dfd, "comm", buf, sizeof(buf))) > 0) {
		while (n > 0 && buf[n - 1] == '\n')
			n--;
		copy_clean(out->comm, sizeof(out->comm), buf, (size_t)n);
		out->known = true;
	}
	if (read_small(dfd, "status", buf, sizeof(buf)) > 0 && (p = strstr(buf, "\nUid:")) != NULL) {
		unsigned long real, eff;

		if (sscanf(p + 5, "%lu %lu", &real, &eff) == 2) {
			out->uid = (uint32_t)eff;
			out->known = true;
		}
	}
	if (read_small(dfd, "cgroup", buf, sizeof(buf)) > 0) {
		/* cgroup v2: "0::/path"; with v1 hierarchies too, the v2 line is
		 * the one starting with "0::" */
		char *line = buf, *nl;

		for (; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (strncmp(line, "0::", 3) == 0) {
				size_t len = nl ? (size_t)(nl - line) - 3 : strlen(line + 3);

				copy_clean(out->cgroup, sizeof(out->cgroup), line + 3, len);
				break;
			}
		}
	}
	close(dfd);
	snprintf(out->user, sizeof(out->user), "%u", out->uid);
	return out->known;
}

struct proc_cache *
proc_cache_new(void)
{
	return xcalloc(1, sizeof(struct proc_cache));
}

void
proc_cache_free(struct proc_cache *c)
{
	free(c);
}

static void
user_name(struct proc_cache *c, struct proc_info *pi)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	unsigned i;

	for (i = 0; i < 16; i++)
		if (c->users[i].used && c->users[i].uid == pi->uid) {
			memcpy(pi->user, c->users[i].name, sizeof(pi->user));
			return;
		}
	i = c->next_user++ % 16;
	c->users[i].used = true;
	c->users[i].uid = pi->uid;
	if (getpwuid_r(pi->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		copy_clean(c->users[i].name, sizeof(c->users[i].name), res->pw_name,
			   strlen(res->pw_name));
	else
		snprintf(c->users[i].name, sizeof(c->users[i].name), "%u", pi->uid);
	memcpy(pi->user, c->users[i].name, sizeof(pi->user));
}

bool
proc_cache_get(struct proc_cache *c, int pid, unsigned max_age_ms, struct proc_info *out)
{
	struct proc_info *s;
	uint64_t now = now_mono_ns();

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return false;
	s = &c->slot[(unsigned)pid % CACHE_SLOTS];
	if (s->pid != pid || now - s->read_ns > (uint64_t)max_age_ms * 1000000ull) {
		struct proc_info fresh;

		if (proc_info_read("/proc", pid, &fresh))
			user_name(c, &fresh);
		else if (s->pid == pid && s->known) {
			*out = *s; /* gone since: the last reading stands */
			return true;
		}
		*s = fresh;
	}
	*out = *s;
	return s->known;
}

int
proc_protected_hardlinks(void)
{
	char buf[16];
	ssize_t n = read_small(AT_FDCWD, "/proc/sys/fs/protected_hardlinks", buf, sizeof(buf));

	if (n < 0)
		return -errno;
	if (buf[0] == '0' && (n == 1 || buf[1] == '\n'))
		return 0;
	return buf[0] >= '1' && buf[0] <= '9' ? 1 : -EINVAL;
}
