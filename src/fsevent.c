// SPDX-License-Identifier: GPL-2.0-or-later
/* fanotify buffer decoder; see fsevent.h. The layouts are those of
 * <linux/fanotify.h>: struct fanotify_event_metadata (24 bytes), then info
 * records, each a header {u8 type, u8 pad, u16 len} followed, for FID types,
 * by fsid (8 bytes) and a struct file_handle (u32 bytes, i32 type, bytes), and
 * for the *_NAME types by a NUL-terminated name. */
#include "fsevent.h"

#include <errno.h>
#include <string.h>

#define META_LEN 24
#define HDR_LEN 4

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* info types of <linux/fanotify.h> */
enum {
	T_FID = 1,
	T_DFID_NAME = 2,
	T_DFID = 3,
	T_PIDFD = 4,
	T_ERROR = 5,
	T_OLD_DFID_NAME = 10,
	T_NEW_DFID_NAME = 12,
};

static int
decode_fid(const uint8_t *p, size_t n, struct fs_fid *out, size_t *used)
{
	uint32_t hb;

	/* fsid (8) + handle_bytes (4) + handle_type (4) */
	if (n < 16)
		return -EINVAL;
	hb = rd32(p + 8);
	if (hb > FS_HANDLE_MAX || hb > n - 16)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->present = true;
	memcpy(&out->fsid, p, 8);
	out->fh.handle_bytes = hb;
	memcpy(&out->fh.handle_type, p + 12, 4);
	memcpy(out->fh.f_handle, p + 16, hb);
	*used = 16 + hb;
	return 0;
}

static int
decode_name(const uint8_t *p, size_t n, struct fs_name *out)
{
	size_t used, i;
	int r = decode_fid(p, n, &out->dir, &used);

	if (r < 0)
		return r;
	p += used;
	n -= used;
	/* the name runs to its NUL within the record */
	for (i = 0; i < n && p[i] != '\0'; i++)
		;
	if (i == n || i > FS_NAME_MAX)
		return -EINVAL;
	memcpy(out->name, p, i);
	out->name[i] = '\0';
	out->len = i;
	out->present = true;
	return 0;
}

int
fsevent_next(const uint8_t *buf, size_t len, size_t *off, struct fs_event *ev)
{
	size_t o = *off, end, r_off;
	uint32_t elen;

	if (o >= len || len - o < META_LEN)
		return 0;
	elen = rd32(buf + o);
	/* vers (u8) at +4 must be FANOTIFY_METADATA_VERSION 3; metadata_len u16 at +6 */
	if (elen < META_LEN || elen > len - o || buf[o + 4] != 3 || rd16(buf + o + 6) != META_LEN)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	memcpy(&ev->mask, buf + o + 8, 8);
	memcpy(&ev->pid, buf + o + 20, 4);
	ev->overflow = (ev->mask & 0x00004000) != 0; /* FAN_Q_OVERFLOW */
	end = o + elen;
	r_off = o + META_LEN;
	while (r_off < end) {
		uint8_t type;
		uint16_t rlen;
		const uint8_t *p;
		size_t pn, used;
		int r = 0;

		if (end - r_off < HDR_LEN)
			return -EINVAL;
		type = buf[r_off];
		rlen = rd16(buf + r_off + 2);
		if (rlen < HDR_LEN || rlen > end - r_off)
			return -EINVAL;
		p = buf + r_off + HDR_LEN;
		pn = rlen - HDR_LEN;
		switch (type) {
		case T_FID:
			r = decode_fid(p, pn, &ev->fid, &used);
			break;
		case T_DFID:
			r = decode_fid(p, pn, &ev->dfid, &used);
			break;
		case T_DFID_NAME:
			r = decode_name(p, pn, &ev->dname);
			break;
		case T_OLD_DFID_NAME:
			r = decode_name(p, pn, &ev->oldname);
			break;
		case T_NEW_DFID_NAME:
			r = decode_name(p, pn, &ev->newname);
			break;
		default:
			/* PIDFD, ERROR and types from newer kernels */
			ev->skipped_records++;
			break;
		}
		if (r < 0)
			return r;
		r_off += rlen;
	}
	*off = end;
	return 1;
}
