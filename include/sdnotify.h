/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The systemd notification protocol (sd_notify(3)) without libsystemd: one
 * datagram to $NOTIFY_SOCKET ("@" means the abstract namespace). A no-op when
 * the variable is unset. */
#ifndef WSID_SDNOTIFY_H
#define WSID_SDNOTIFY_H

#include <stdint.h>

int sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* WATCHDOG_USEC for this process, 0 when no watchdog is set */
uint64_t sd_watchdog_usec(void);

#endif
