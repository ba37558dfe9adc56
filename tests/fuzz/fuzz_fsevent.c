// SPDX-License-Identifier: GPL-2.0-or-later
/* fanotify buffer decoder: never reads out of bounds, always terminates. */
#include <stdlib.h>

#include "fsevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_event ev;
	size_t off = 0, prev;
	int r, n = 0;

	do {
		prev = off;
		r = fsevent_next(data, size, &off, &ev);
		if (r == 1 && off <= prev)
			abort(); /* no progress: an endless loop */
		if (r == 1 && (ev.dname.len > FS_NAME_MAX || ev.fid.fh.handle_bytes > FS_HANDLE_MAX))
			abort();
	} while (r == 1 && ++n < 100000);
	return 0;
}
