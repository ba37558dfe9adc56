/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure decoding of a fanotify read() buffer in FID mode into struct fs_event.
 * Every record is copied into aligned storage; names are raw bytes (they may
 * hold '\n' or invalid UTF-8). Unknown info record types are skipped, never
 * fatal (newer kernels add types: a reader that dies on one loses everything
 * after it). Malformed lengths end the buffer with -EINVAL; nothing is ever
 * read outside [buf, buf + len). Fuzzed. */
#ifndef WSID_FSEVENT_H
#define WSID_FSEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* uapi constants newer than Debian 12's 6.1 headers */
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x00001000
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#endif
#ifndef FAN_EVENT_INFO_TYPE_NEW_DFID_NAME
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif
#ifndef FAN_FS_ERROR
#define FAN_FS_ERROR 0x00008000
#endif

#define FS_HANDLE_MAX 128
#define FS_NAME_MAX 255

struct fs_fid {
	bool present;
	uint64_t fsid;
	/* laid out as struct file_handle: usable with open_by_handle_at */
	struct {
		uint32_t handle_bytes;
		int32_t handle_type;
		unsigned char f_handle[FS_HANDLE_MAX];
	} fh;
};

struct fs_name {
	bool present;
	struct fs_fid dir;
	char name[FS_NAME_MAX + 1];
	size_t len;
};

struct fs_event {
	uint64_t mask;
	int32_t pid;
	bool overflow;
	struct fs_fid fid;      /* the object itself (FID) */
	struct fs_fid dfid;     /* a directory without a name (DFID) */
	struct fs_name dname;   /* DFID_NAME: parent + name */
	struct fs_name oldname; /* FAN_RENAME: old parent + name */
	struct fs_name newname; /* FAN_RENAME: new parent + name */
	unsigned skipped_records;
};

/* Decodes the event at *off; advances *off. Returns 1 (an event), 0 (end of
 * buffer) or -EINVAL (malformed: stop decoding this buffer). */
int fsevent_next(const uint8_t *buf, size_t len, size_t *off, struct fs_event *ev);

#endif
