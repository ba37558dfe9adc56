// SPDX-License-Identifier: GPL-2.0-or-later
/* fan_capture DIR OUTFILE: marks the file system of DIR (the test's own
 * tmpfs) in the daemon's FID mode, creates, writes, renames and deletes a few
 * entries in DIR (one with a newline and a 0xff byte in its name), and writes
 * the raw fanotify read() buffer to OUTFILE: real seeds for fuzz_fsevent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsevent.h"

#ifndef FAN_REPORT_DFID_NAME_TARGET
#define FAN_REPORT_DFID_NAME_TARGET (FAN_REPORT_DIR_FID | FAN_REPORT_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID)
#endif

int
main(int argc, char **argv)
{
	char path[4096], path2[4096], buf[65536];
	int fd, f;
	ssize_t n;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: fan_capture DIR OUTFILE\n");
		return 2;
	}
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_DFID_NAME_TARGET, O_RDONLY);
	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				    FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_CLOSE_WRITE | FAN_MODIFY |
					    FAN_ATTRIB | FAN_ONDIR,
				    AT_FDCWD, argv[1]) < 0) {
		perror("fanotify");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/a.php", argv[1]);
	f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (f < 0 || write(f, "<?php\n", 6) != 6)
		return 1;
	close(f);
	snprintf(path2, sizeof(path2), "%s/b\n\xff.php", argv[1]);
	if (rename(path, path2) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/sub", argv[1]);
	mkdir(path, 0755);
	unlink(path2);
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return 1;
	out = fopen(argv[2], "wb");
	if (out == NULL || fwrite(buf, 1, (size_t)n, out) != (size_t)n)
		return 1;
	fclose(out);
	close(fd);
	printf("%zd bytes\n", n);
	return 0;
}
