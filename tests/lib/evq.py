#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# evq.py COND... -- FIELD [FIELD...]: reads events (JSON lines) on stdin and
# prints the FIELDs of the last event matching every COND. COND is key=value
# (exact), path$=suffix (the path ends with it), or key~=substring. With
# "-- count" it prints the number of matching events instead.
import json
import sys

args = sys.argv[1:]
sep = args.index("--") if "--" in args else len(args)
conds, fields = args[:sep], args[sep + 1:]
matches = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    ev = json.loads(line)
    ok = True
    for c in conds:
        if "$=" in c:
            k, v = c.split("$=", 1)
            ok = ok and str(ev.get(k) or "").endswith(v)
        elif "~=" in c:
            k, v = c.split("~=", 1)
            ok = ok and v in str(ev.get(k) or "")
        else:
            k, v = c.split("=", 1)
            ok = ok and str(ev.get(k)) == v
    if ok:
        matches.append(ev)
if fields == ["count"]:
    print(len(matches))
elif matches:
    print(" ".join(str(matches[-1].get(f)) for f in fields))
