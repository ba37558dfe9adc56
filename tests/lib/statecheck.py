#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# statecheck.py DB WEBSPACE: compares the daemon's stored state of a webspace
# with the disk. Prints one line per difference and "differences N" last.
# Regular files must be stored with their SHA-256; symlinks and special files
# must be stored (without a hash); stored rows must exist on disk.
import hashlib
import os
import sqlite3
import stat
import sys

db, root = sys.argv[1], sys.argv[2].rstrip("/")
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
row = con.execute("SELECT id FROM webspaces WHERE path=?", (root.encode(),)).fetchone()
if row is None:
    print(f"webspace {root} unknown")
    print("differences 1")
    sys.exit(1)
stored = {}
unhashed = set()  # recorded on purpose without content: too big, sparse
for p, s, status in con.execute("SELECT relpath, sha256, status FROM files WHERE webspace_id=?", (row[0],)):
    stored[bytes(p)] = bytes(s) if s is not None else None
    if status in ("too-big", "sparse"):
        unhashed.add(bytes(p))
diff = 0
seen = set()
rootb = root.encode()
# fwalk: directory file descriptors, so trees deeper than PATH_MAX are walked too
for dirpath, dirnames, filenames, dfd in os.fwalk(rootb):
    for name in filenames + [d for d in dirnames if stat.S_ISLNK(os.lstat(d, dir_fd=dfd).st_mode)]:
        rel = os.path.relpath(os.path.join(dirpath, name), rootb)
        seen.add(rel)
        st = os.lstat(name, dir_fd=dfd)
        if rel not in stored:
            print("missing from state:", rel)
            diff += 1
            continue
        if stat.S_ISREG(st.st_mode) and rel not in unhashed:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dfd)
                with os.fdopen(fd, "rb") as f:
                    h = hashlib.file_digest(f, "sha256").digest()
            except OSError:
                continue
            if stored[rel] != h:
                print("hash differs:", rel)
                diff += 1
for rel in stored:
    if rel not in seen:
        print("stored but gone:", rel)
        diff += 1
print("differences", diff)
sys.exit(1 if diff else 0)
