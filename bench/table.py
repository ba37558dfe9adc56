#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/table.py RESULTS BEFORE NPROC NOTES: the table `make bench` ends with
# (bench/run-all.sh). RESULTS holds KEY=VALUE lines written by the benchmarks
# of this run (bench_result in bench/lib.sh); BEFORE the same from another
# build's runs on the same node (may be empty); NOTES lines printed above the
# table (the load). Each row: wsid's wall and CPU (user + system) time, the
# references measured in the same run, the ratio, the target and whether it is
# met; a range is the runs' lowest and highest. A target on time is judged on
# CPU, the worst run counting: wall times on a shared machine measure its load.
# Exit status 1 when a target is missed or a figure is missing.
import sys


def load(path):
    vals = {}
    try:
        for line in open(path):
            k, _, v = line.strip().partition("=")
            if k:
                try:
                    vals.setdefault(k, []).append(float(v))
                except ValueError:
                    pass
    except OSError:
        pass
    return vals


now, before = load(sys.argv[1]), load(sys.argv[2])
nproc = sys.argv[3]
notes = open(sys.argv[4]).read().splitlines() if len(sys.argv) > 4 else []


def span(vals, k, fmt="%.2f"):
    v = vals.get(k)
    if not v:
        return None
    lo, hi = fmt % min(v), fmt % max(v)
    return lo if lo == hi else "%s-%s" % (lo, hi)


def ratios(vals, a, b):
    # pairwise when both have as many values (runs side by side), else all
    x, y = vals.get(a, []), vals.get(b, [])
    if not x or not y:
        return []
    if len(x) == len(y):
        return [p / q for p, q in zip(x, y) if q > 0]
    return [p / q for p in x for q in y if q > 0]


def rspan(r, fmt="%.2f"):
    if not r:
        return None
    lo, hi = fmt % min(r), fmt % max(r)
    return (lo if lo == hi else "%s-%s" % (lo, hi)) + "x"


rows, ok = [], True


def row(work, wsid, ref, ratio, target, met):
    global ok
    if met is None:
        verdict = "-"
    elif met == "missing":
        verdict, ok = "NOT MEASURED", False
    else:
        verdict = "met" if met else "NOT MET"
        ok = ok and bool(met)
    rows.append((work, "not measured" if wsid is None else wsid, ref or "-", ratio or "-", target, verdict))


def wc(vals, wall, cpu, extra=""):
    w, c = span(vals, wall), span(vals, cpu)
    if w is None and c is None:
        return None
    return "%s s wall, %s s CPU%s" % (w or "?", c or "?", extra)


v = now
files = span(v, "scan_files", "%.0f")
# 1. hash every file
rss = v.get("scan_wsid_rss_mb")
r_raw = ratios(v, "scan_wsid_cpu_s", "scan_rawwalk+sha_cpu_s")
r_raw_w = ratios(v, "scan_wsid_s", "scan_rawwalk+sha_s")
r_sum = ratios(v, "scan_sha256sum_s", "scan_wsid_s")
r_sum_c = ratios(v, "scan_sha256sum_cpu_s", "scan_wsid_cpu_s")
row("hash every file: wsidctl scan --json (%s files)" % (files or "?"),
    wc(v, "scan_wsid_s", "scan_wsid_cpu_s"),
    "raw walk + SHA-256 (bench/rawwalk.c, %s threads): %s" % (nproc, wc(v, "scan_rawwalk+sha_s", "scan_rawwalk+sha_cpu_s")),
    "%s CPU, %s wall" % (rspan(r_raw), rspan(r_raw_w)) if r_raw else None,
    "<= 1.1x", (max(r_raw) <= 1.1) if r_raw else "missing")
row("", "", "find | xargs -P%s sha256sum: %s" % (nproc, wc(v, "scan_sha256sum_s", "scan_sha256sum_cpu_s")),
    "sha256sum takes %s wall, %s CPU" % (rspan(r_sum, "%.1f"), rspan(r_sum_c, "%.1f")) if r_sum else None,
    ">= 2x faster (wall)", (min(r_sum) >= 2) if r_sum else "missing")
row("", "", "aide --init: %s" % wc(v, "scan_aide_s", "scan_aide_cpu_s"),
    "aide takes %s wall" % rspan(ratios(v, "scan_aide_s", "scan_wsid_s"), "%.1f") if v.get("scan_aide_s") else None,
    ">= 5x faster (wall)", (min(ratios(v, "scan_aide_s", "scan_wsid_s")) >= 5) if v.get("scan_aide_s") else "missing")
row("  its peak RSS", "%s MB" % span(v, "scan_wsid_rss_mb", "%.0f") if rss else None,
    "raw walk + SHA-256 %s MB, sha256sum %s MB" % (span(v, "scan_rawwalk+sha_rss_mb", "%.0f"), span(v, "scan_sha256sum_rss_mb", "%.0f")),
    None, "< 64 MB", (max(rss) < 64) if rss else "missing")
# 2. stat every file on restart
r_rs = ratios(v, "reconcile_same_cpu_s", "rawwalk_cpu_s")
r_rs_w = ratios(v, "reconcile_same_s", "rawwalk_timed_s")
r_find = ratios(v, "find_cpu_s", "reconcile_same_cpu_s")
row("stat every file on restart: start to reconciled, nothing changed (%s hashed again)" % (span(v, "reconcile_same_hashed", "%.0f") or "?"),
    wc(v, "reconcile_same_s", "reconcile_same_cpu_s"),
    "raw walk (getdents64 + statx, %s threads): %s" % (nproc, wc(v, "rawwalk_timed_s", "rawwalk_cpu_s")),
    "%s CPU, %s wall" % (rspan(r_rs), rspan(r_rs_w)) if r_rs else None,
    "<= 1.5x, 0 hashed again",
    (max(r_rs) <= 1.5 and max(v.get("reconcile_same_hashed", [1])) == 0) if r_rs else "missing")
row("", "", "find -printf '%%p %%i %%s %%T@ %%C@': %s" % wc(v, "find_s", "find_cpu_s"),
    "find takes %s CPU" % rspan(r_find) if r_find else None, "-", None)
# 3. first start
r_b = ratios(v, "baseline_cpu_s", "scan_daemon_cpu_s")
r_b_w = ratios(v, "baseline_s", "scan_daemon_s")
row("first start (baseline: hash, identify, store)", wc(v, "baseline_s", "baseline_cpu_s"),
    "wsidctl scan --standalone --json: %s" % wc(v, "scan_daemon_s", "scan_daemon_cpu_s"),
    "%s CPU, %s wall" % (rspan(r_b), rspan(r_b_w)) if r_b else None,
    "<= 2x", (max(r_b) <= 2) if r_b else "missing")
# 4. start -> watching
st = v.get("setup_s")
row("start -> watching (READY=1, marks placed)", "%s s wall" % span(v, "setup_s") if st else None,
    "inotifywait -r -m: %s s wall" % span(v, "inotify_s"),
    "inotifywait takes %s" % rspan(ratios(v, "inotify_s", "setup_s"), "%.0f") if st and v.get("inotify_s") else None,
    "< 0.1 s", (max(st) < 0.1) if st else "missing")
# 5. the burst
n = span(v, "burst_changes", "%.0f")
bl, bo = v.get("lost"), v.get("overflows")
row("burst: %s creates + %s appends, one writer" % tuple([("%.0f" % (v["burst_changes"][0] / 2)) if n else "?"] * 2),
    "all stored %s s after the writer (%s s); %s changes/s classified; daemon %s s CPU; lost %s, overflows %s"
    % (span(v, "burst_after_writer_s"), span(v, "burst_writer_s", "%.1f"), span(v, "burst_rate", "%.0f"),
       span(v, "burst_cpu_s", "%.1f"), span(v, "lost", "%.0f"), span(v, "overflows", "%.0f")) if bl else None,
    "the writer alone: %s s wall" % span(v, "burst_writer_s", "%.1f"),
    "%s of the writer's time" % rspan(ratios(v, "burst_s", "burst_writer_s")) if bl else None,
    "0 lost, 0 overflows", (max(bl) == 0 and max(bo) == 0) if bl and bo else "missing")
# memory
row("daemon RSS, %s files known (bench/scale.sh)" % (span(v, "scale_files", "%.0f") or "1 M"),
    "%s MB after the first baseline; restart of them %s s" % (span(v, "scale_rss_mb", "%.0f"), span(v, "scale_reconcile_s", "%.1f"))
    if v.get("scale_rss_mb") else None, None, None, "< 64 MB",
    (max(v["scale_rss_mb"]) < 64) if v.get("scale_rss_mb") else "missing")
if v.get("scale_scan_rss_mb") and max(v["scale_scan_rss_mb"]) > 0:
    row("wsidctl scan peak RSS, same tree", "%s MB" % span(v, "scale_scan_rss_mb", "%.0f"), None, None, "< 64 MB",
        max(v["scale_scan_rss_mb"]) < 64)

for line in notes:
    print(line)
print("%s cores; CPU is user + system; ratios are wsid / reference unless said" % nproc)
head = ("work", "wsid", "reference (same run)", "ratio", "target", "")
w = [max(len(r[c]) for r in rows + [head]) for c in range(5)]
fmt = "%-*s  %-*s  %-*s  %-*s  %-*s  %s"
print(fmt % (w[0], head[0], w[1], head[1], w[2], head[2], w[3], head[3], w[4], head[4], head[5]))
for r in rows:
    print(fmt % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], w[4], r[4], r[5]))
print("every target met" if ok else "targets not met")

if before:
    b = before
    print()
    print("before/after: the other build (its scan beside this one's; its daemon on the same node just before this one's runs)")
    pairs = [
        ("wsidctl scan --json: CPU s", "scan_wsid-before_cpu_s", "scan_wsid_cpu_s", True),
        ("wsidctl scan --json: peak RSS MB", "scan_wsid-before_rss_mb", "scan_wsid_rss_mb", True),
        ("restart, nothing changed: CPU s", "reconcile_same_cpu_s", "reconcile_same_cpu_s", False),
        ("restart, nothing changed: wall s", "reconcile_same_s", "reconcile_same_s", False),
        ("first start (baseline): CPU s", "baseline_cpu_s", "baseline_cpu_s", False),
        ("first start / its scan, CPU", None, None, False),
        ("start -> watching: wall s", "setup_s", "setup_s", False),
        ("burst: daemon CPU s", "burst_cpu_s", "burst_cpu_s", False),
        ("burst: stored s after the writer", "burst_after_writer_s", "burst_after_writer_s", False),
        ("burst: changes/s classified", "burst_rate", "burst_rate", False),
        ("burst: lost", "lost", "lost", False),
        ("50,000 queued changes: changes/s", "queued_rate", "queued_rate", False),
    ]
    out = []
    for name, kb, ka, same_file in pairs:
        src = now if same_file else b
        if kb is None:
            rb, ra = ratios(b, "baseline_cpu_s", "scan_daemon_cpu_s"), ratios(now, "baseline_cpu_s", "scan_daemon_cpu_s")
            out.append((name, rspan(rb) or "-", rspan(ra) or "-", "-"))
            continue
        vb, va = src.get(kb), now.get(ka)
        if not vb or not va:
            out.append((name, span(src, kb) or "-", span(now, ka) or "-", "-"))
            continue
        ratio = "-"
        if min(vb) > 0:
            lo, hi = "%.2f" % (min(va) / max(vb)), "%.2f" % (max(va) / min(vb))
            ratio = (lo if lo == hi else "%s-%s" % (lo, hi)) + "x"
        out.append((name, span(src, kb), span(now, ka), ratio))
    h = ("figure", "before", "now", "now / before")
    w = [max(len(r[c]) for r in out + [h]) for c in range(3)]
    print("%-*s  %-*s  %-*s  %s" % (w[0], h[0], w[1], h[1], w[2], h[2], h[3]))
    for r in out:
        print("%-*s  %-*s  %-*s  %s" % (w[0], r[0], w[1], r[1], w[2], r[2], r[3]))

sys.exit(0 if ok else 1)
