#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A tenant's event storm and another tenant's changes during it, for the
# fairness benchmark (bench/fairness.sh) and the hostile suite
# (tests/hostile/storm.sh). Run the storm and the victim as the tenants' uids
# (setpriv); `latency` reads the daemon's database.
#
#   storm.py storm SECONDS KIND:DIR[:N]...   one process per KIND, until SECONDS pass:
#       dirs:DIR     nested mkdir/rmdir in DIR (DIR/aP_I, DIR/aP_I/b; the inner
#                    events often name a directory already gone)
#       renames:DIR  files renamed back and forth in DIR/rn, directories DIR/rd0 <-> DIR/rd1
#       rewrite:DIR:N  the N files DIR/rw/fNNNNNN rewritten, again and again
#     prints "KIND operations" per process on stdout
#   storm.py prepare DIR N               creates DIR/rw/f000000..N-1 and DIR/rn, DIR/rd0
#   storm.py victim DIR SECONDS INTERVAL_MS   writes DIR/vNNNNN.txt every interval;
#                    prints "BASENAME(DIR)/NAME<TAB>close time (ns, CLOCK_REALTIME)" per file
#   storm.py latency DB CLOSED.TSV       n, p50, p99, max (ms) of close -> stored
#                    event, and how many of the files have no event yet
import os
import sqlite3
import sys
import time


def dirs(d, end):
    n, i, me = 0, 0, os.getpid()
    while time.time() < end:
        a = os.path.join(d, "a%d_%d" % (me, i % 64))
        try:
            os.mkdir(a)
            os.mkdir(os.path.join(a, "b"))
            os.rmdir(os.path.join(a, "b"))
            os.rmdir(a)
            n += 4
        except OSError:
            pass
        i += 1
    return n


def renames(d, end):
    n, i = 0, 0
    rn = os.path.join(d, "rn")
    names = sorted(os.listdir(rn))
    while time.time() < end:
        for f in names:
            a, b = os.path.join(rn, f), os.path.join(rn, f + ".x")
            os.rename(a, b)
            os.rename(b, a)
            n += 2
        src, dst = ("rd0", "rd1") if i % 2 == 0 else ("rd1", "rd0")
        os.rename(os.path.join(d, src), os.path.join(d, dst))
        n += 1
        i += 1
    return n


def rewrite(d, count, end):
    n, gen = 0, 0
    rw = os.path.join(d, "rw")
    while time.time() < end:
        gen += 1
        for i in range(count):
            with open(os.path.join(rw, "f%06d" % i), "w") as f:
                f.write("rewrite %d of %d\n" % (gen, i))
            n += 1
            if n % 256 == 0 and time.time() >= end:
                break
    return n


def storm(seconds, kinds):
    end = time.time() + seconds
    kids = []
    for k in kinds:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            parts = k.split(":")
            if parts[0] == "dirs":
                n = dirs(parts[1], end)
            elif parts[0] == "renames":
                n = renames(parts[1], end)
            elif parts[0] == "rewrite":
                n = rewrite(parts[1], int(parts[2]), end)
            else:
                os._exit(2)
            os.write(w, ("%s %d\n" % (parts[0], n)).encode())
            os._exit(0)
        os.close(w)
        kids.append((pid, r))
    rc = 0
    for pid, r in kids:
        out = b""
        while True:
            b = os.read(r, 4096)
            if not b:
                break
            out += b
        os.close(r)
        _, st = os.waitpid(pid, 0)
        rc |= st
        sys.stdout.write(out.decode())
    return 1 if rc else 0


def prepare(d, count):
    os.makedirs(os.path.join(d, "rw"), exist_ok=True)
    os.makedirs(os.path.join(d, "rn"), exist_ok=True)
    os.makedirs(os.path.join(d, "rd0", "sub"), exist_ok=True)
    with open(os.path.join(d, "rd0", "sub", "index.php"), "w") as f:
        f.write("<?php // moved back and forth\n")
    for i in range(count):
        with open(os.path.join(d, "rw", "f%06d" % i), "w") as f:
            f.write("original %d\n" % i)
    for i in range(100):
        with open(os.path.join(d, "rn", "r%03d.txt" % i), "w") as f:
            f.write("renamed %d\n" % i)
    return 0


def victim(d, seconds, interval_ms):
    end = time.time() + seconds
    t_next, i = time.time(), 0
    while time.time() < end:
        name = "v%05d.txt" % i
        with open(os.path.join(d, name), "w") as f:
            f.write("another tenant's change %d\n" % i)
        print("%s/%s\t%d" % (os.path.basename(d), name, time.time_ns()), flush=True)
        i += 1
        t_next += interval_ms / 1000.0
        delay = t_next - time.time()
        if delay > 0:
            time.sleep(delay)
    return 0


def latency(db, tsv):
    closed = dict(l.rstrip("\n").split("\t") for l in open(tsv) if "\t" in l)
    con = sqlite3.connect(db)
    lats = {}
    for path, t in con.execute("SELECT CAST(path AS TEXT), min(time_ns) FROM events WHERE "
                               "change='created' AND CAST(path AS TEXT) LIKE '%v_____.txt' "
                               "GROUP BY path"):
        name = "/".join(path.split("/")[-2:])
        if name in closed:
            lats[name] = (t - int(closed[name])) / 1e6
    v = sorted(lats.values())
    missing = len(closed) - len(v)
    if not v:
        print("0 0 0 0 %d" % missing)
        return 0

    def pct(p):
        return v[min(len(v) - 1, int(len(v) * p))]
    print("%d %.1f %.1f %.1f %d" % (len(v), pct(0.5), pct(0.99), v[-1], missing))
    return 0


def main(a):
    if len(a) >= 3 and a[0] == "storm":
        return storm(float(a[1]), a[2:])
    if len(a) == 3 and a[0] == "prepare":
        return prepare(a[1], int(a[2]))
    if len(a) == 4 and a[0] == "victim":
        return victim(a[1], float(a[2]), float(a[3]))
    if len(a) == 3 and a[0] == "latency":
        return latency(a[1], a[2])
    sys.stderr.write("usage: storm.py storm SECONDS KIND:DIR[:N]... | prepare DIR N | "
                     "victim DIR SECONDS INTERVAL_MS | latency DB CLOSED.TSV\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
