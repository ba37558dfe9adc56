// SPDX-License-Identifier: GPL-2.0-or-later
/* fsevent: hand-built buffers: a normal event, unknown records skipped,
 * truncated and zero-length records, oversized handles, overflow; and what
 * the watcher makes of a malformed buffer and of FAN_FS_ERROR (a request to
 * reconcile, never silence). */
#include <errno.h>
#include <unistd.h>

#include "fsevent.h"
#include "t.h"
#include "watch.h"

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

struct seen {
	int calls, overflow, lost, fs_error;
	dev_t dev;
};

static void
on_event(void *ud, const struct watch_event *ev)
{
	struct seen *s = ud;

	s->calls++;
	s->overflow += ev->overflow;
	s->lost += ev->lost;
	s->fs_error += ev->fs_error;
	s->dev = ev->dev;
}

static void
test_watch_lost(void)
{
	struct watch_options wo = { 0 };
	struct watch_stats st;
	struct watch *w;
	struct seen s;
	uint8_t buf[512];
	size_t o;

	if (watch_open(&w, &wo) < 0) {
		T_CHECK(0, "%s", "fanotify_init needs root");
		return;
	}
	/* an overflow, then an event whose record runs past its end: the
	 * overflow is told, then that the rest was lost (dev 0: every file
	 * system, the lost events' are unknown) */
	memset(buf, 0, sizeof(buf));
	meta(buf, 24, 0x4000, 0);
	o = 24 + 24;
	buf[o] = 1; buf[o + 2] = 200;
	meta(buf + 24, 28, 0x2, 1);
	memset(&s, 0, sizeof(s));
	watch_dispatch(w, buf, o + 4, on_event, &s);
	T_EQ_INT(s.calls, 2);
	T_EQ_INT(s.overflow, 1);
	T_EQ_INT(s.lost, 1);
	T_EQ_INT(s.dev, 0);
	/* FAN_FS_ERROR with an error record (skipped) and the object's FID, even
	 * when the daemon's own read ran into it: a reconcile, never dropped */
	memset(buf, 0, sizeof(buf));
	o = 24;
	buf[o] = 5; buf[o + 2] = 12; /* FAN_EVENT_INFO_TYPE_ERROR: error, error_count */
	o += 12;
	o += rec_fid(buf + o, 1, 8, NULL);
	meta(buf, (uint32_t)o, FAN_FS_ERROR, getpid());
	memset(&s, 0, sizeof(s));
	watch_dispatch(w, buf, o, on_event, &s);
	T_EQ_INT(s.calls, 1);
	T_EQ_INT(s.fs_error, 1);
	T_EQ_INT(s.lost, 1);
	T_EQ_INT(s.dev, 0); /* an fsid no mark has: taken for all */
	watch_get_stats(w, &st);
	T_EQ_INT(st.malformed, 1);
	T_EQ_INT(st.fs_errors, 1);
	T_EQ_INT(st.own_dropped, 0);
	watch_close(w);
}

int
main(void)
{
	T_RUN(test_normal_and_unknown);
	T_RUN(test_malformed);
	T_RUN(test_overflow);
	T_RUN(test_watch_lost);
	T_DONE();
}
