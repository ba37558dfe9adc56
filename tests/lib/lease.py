#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# lease.py MODE STOPFILE FILE...: takes a write lease (fcntl F_SETLEASE
# F_WRLCK) on each FILE, as its owner, prints "leased", and keeps them until
# STOPFILE exists.
# MODE says what it does when the kernel asks it to yield (SIGIO, a lease
# break: someone opened the file):
#   stubborn  nothing: keeps the lease (the kernel takes it away after
#             /proc/sys/fs/lease-break-time seconds, when someone asks again)
#   evasive   gives the lease up and takes it again at once
# Prints one line per break ("break N") and, at the end, "breaks N".
import fcntl
import os
import signal
import sys
import time

F_SETLEASE = 1024

mode, stop, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
breaks = 0
fds = [os.open(p, os.O_RDONLY) for p in paths]


def take(fd):
    # a write lease needs no other open of the file: wait for the daemon's
    # reads of it to end
    for _ in range(500):
        try:
            fcntl.fcntl(fd, F_SETLEASE, fcntl.F_WRLCK)
            return True
        except OSError:
            time.sleep(0.01)
    return False


def on_break(signum, frame):
    global breaks
    breaks += 1
    print("break %d" % breaks, flush=True)
    if mode == "evasive":
        # which lease is being broken is not said: give each up and take it again
        for fd in fds:
            fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
            take(fd)


signal.signal(signal.SIGIO, on_break)
if not all(take(fd) for fd in fds):
    print("no lease", flush=True)
    sys.exit(1)
print("leased", flush=True)
while not os.path.exists(stop):
    time.sleep(0.05)
for fd in fds:
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
    os.close(fd)
print("breaks %d" % breaks, flush=True)
