#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# scanq.py FILE SELECT FIELD...   prints fields (dotted) of one installation of a
#                                  wsidctl scan --json report
# scanq.py FILE SELECT --has STATE RELPATH   exit 0 if RELPATH is in files[STATE]
# scanq.py FILE --count            number of installations
# SELECT is an index (0) or root=PATH.
import json
import sys

rep = json.load(open(sys.argv[1]))
insts = [i for t in rep["scanned"] for i in t["installations"]]
if sys.argv[2] == "--count":
    print(len(insts))
    sys.exit(0)
sel = sys.argv[2]
if sel.startswith("root="):
    found = [i for i in insts if i["root"] == sel[5:]]
    if not found:
        sys.exit(1)
    inst = found[0]
else:
    inst = insts[int(sel)] if int(sel) < len(insts) else None
    if inst is None:
        sys.exit(1)
rest = sys.argv[3:]
if rest and rest[0] == "--has":
    state, rel = rest[1], rest[2]
    files = inst["files"][state]
    names = [f if isinstance(f, str) else f["path"] for f in files]
    sys.exit(0 if rel in names else 1)
out = []
for f in rest:
    v = inst
    for part in f.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    out.append(str(v))
print(" ".join(out))
