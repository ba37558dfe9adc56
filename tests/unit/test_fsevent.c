// SPDX-License-Identifier: GPL-2.0-or-later
/* fsevent: hand-built buffers: a normal event, unknown records skipped,
 * truncated and zero-length records, oversized handles, overflow. */
#include <errno.h>

#include "fsevent.h"
#include "t.h"

static size_t
meta(uint8_t *b, uint32_t len, uint64_t mask, int32_t pid)
{
	memset(b, 0, 24);
	memcpy(b, &len, 4);
	b[4] = 3; /* version */
	b[6] = 24; /* metadata_len */
	memcpy(b + 8, &mask, 8);
	b[16] = 0xff; b[17] = 0xff; b[18] = 0xff; b[19] = 0xff; /* fd -1 */
	memcpy(b + 20, &pid, 4);
	return 24;
}

static size_t
rec_fid(uint8_t *b, uint8_t type, uint32_t hbytes, const char *name)
{
	size_t n = 4 + 8 + 8 + hbytes + (name ? strlen(name) + 1 : 0);
	uint16_t len;
	int32_t htype = 1;

	n = (n + 3) & ~(size_t)3;
	len = (uint16_t)n;
	memset(b, 0, n);
	b[0] = type;
	memcpy(b + 2, &len, 2);
	memset(b + 4, 0xab, 8);
	memcpy(b + 12, &hbytes, 4);
	memcpy(b + 16, &htype, 4);
	memset(b + 20, 0x11, hbytes);
	if (name)
		memcpy(b + 20 + hbytes, name, strlen(name) + 1);
	return n;
}

static void
test_normal_and_unknown(void)
{
	uint8_t buf[512];
	size_t o = 24, off = 0;
	struct fs_event ev;

	memset(buf, 0, sizeof(buf));
	o += rec_fid(buf + o, 2, 8, "a\n\xff.php");
	buf[o] = 52; buf[o + 2] = 8; memset(buf + o + 4, 0, 4); /* unknown type 52 */
	o += 8;
	o += rec_fid(buf + o, 1, 8, NULL);
	meta(buf, (uint32_t)o, 0x100 /* CREATE */, 42);
	T_EQ_INT(fsevent_next(buf, o, &off, &ev), 1);
	T_EQ_INT(off, o);
	T_EQ_INT(ev.pid, 42);
	T_OK(ev.dname.present && ev.fid.present);
	T_EQ_INT(ev.dname.len, 7);
	T_OK(memcmp(ev.dname.name, "a\n\xff.php", 7) == 0);
	T_EQ_INT(ev.skipped_records, 1);
	T_EQ_INT(fsevent_next(buf, o, &off, &ev), 0);
}

static void
test_malformed(void)
{
	uint8_t buf[512];
	size_t o, off;
	struct fs_event ev;

	/* zero-length record: must not loop */
	o = 24;
	memset(buf + o, 0, 4);
	o += 4;
	meta(buf, (uint32_t)o, 0x2, 1);
	off = 0;
	T_EQ_INT(fsevent_next(buf, o, &off, &ev), -EINVAL);
	/* record longer than the event */
	o = 24;
	buf[o] = 1; buf[o + 2] = 200; buf[o + 3] = 0;
	o += 4;
	meta(buf, (uint32_t)o, 0x2, 1);
	off = 0;
	T_EQ_INT(fsevent_next(buf, o, &off, &ev), -EINVAL);
	/* handle larger than the cap */
	o = 24;
	o += rec_fid(buf + o, 1, 8, NULL);
	{
		uint32_t big = 4096;

		memcpy(buf + 24 + 12, &big, 4);
	}
	meta(buf, (uint32_t)o, 0x2, 1);
	off = 0;
	T_EQ_INT(fsevent_next(buf, o, &off, &ev), -EINVAL);
	/* event length beyond the buffer */
	meta(buf, 4000, 0x2, 1);
	off = 0;
	T_EQ_INT(fsevent_next(buf, 100, &off, &ev), -EINVAL);
	/* name without NUL */
	o = 24;
	o += rec_fid(buf + o, 2, 8, "abc");
	memset(buf + o - 4, 'x', 4);
	meta(buf, (uint32_t)o, 0x100, 1);
	off = 0;
	T_EQ_INT(fsevent_next(buf, o, &off, &ev), -EINVAL);
}

static void
test_overflow(void)
{
	uint8_t buf[24];
	size_t off = 0;
	struct fs_event ev;

	meta(buf, 24, 0x4000, 0);
	T_EQ_INT(fsevent_next(buf, 24, &off, &ev), 1);
	T_OK(ev.overflow);
}

int
main(void)
{
	T_RUN(test_normal_and_unknown);
	T_RUN(test_malformed);
	T_RUN(test_overflow);
	T_DONE();
}
