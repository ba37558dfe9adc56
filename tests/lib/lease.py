#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# lease.py MODE FILE STOPFILE: takes a write lease (fcntl F_SETLEASE F_WRLCK)
# on FILE, as its owner, prints "leased", and keeps it until STOPFILE exists.
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

mode, path, stop = sys.argv[1], sys.argv[2], sys.argv[3]
breaks = 0
fd = os.open(path, os.O_RDONLY)


def take():
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
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
        take()


signal.signal(signal.SIGIO, on_break)
if not take():
    print("no lease", flush=True)
    sys.exit(1)
print("leased", flush=True)
while not os.path.exists(stop):
    time.sleep(0.05)
fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
os.close(fd)
print("breaks %d" % breaks, flush=True)
