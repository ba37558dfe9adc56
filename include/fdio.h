/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Descriptor I/O helpers shared by the modules that write files (util stays
 * pure: no system calls). */
#ifndef WSID_FDIO_H
#define WSID_FDIO_H

#include <stddef.h>

/* write all n bytes to fd, again after EINTR and short writes; 0, or -errno
 * (-EIO when write(2) returns 0). A descriptor in non-blocking mode that
 * would block fails with -EAGAIN. */
int fd_write_all(int fd, const void *p, size_t n);
/* the same on a non-blocking descriptor: when it would block, waits until it
 * is writable (poll(2), a second at a time) and goes on */
int fd_write_all_wait(int fd, const void *p, size_t n);

#endif
