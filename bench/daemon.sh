#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/daemon.sh [--customers N] [--node DEST] [--runs R] [--no-scale]
# The daemon's figures in one table, each against its target:
#  - bench/watch.sh, R times (default 3) on one node: watch set-up against
#    inotifywait, 200,000 changes from one writer (overflows, lost), the
#    daemon's own rate on 50,000 queued changes, p99 close() -> stored at
#    1,000 changes/s; every run must meet the targets, so the worst run counts;
#  - bench/reconcile.sh: restarts, unchanged and after 1 % changed;
#  - bench/scale.sh (unless --no-scale): RSS and restart reconcile with a
#    million files known.
# Builds the node with bench/make-node.sh unless --node is given (and unmounts
# it at the end). Exit status 0 when every target is met, 1 otherwise.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
customers=${WSID_BENCH_CUSTOMERS:-30} node="" runs=3 scale=1
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--no-scale) scale=0; shift ;;
	*) echo "usage: $0 [--customers N] [--node DEST] [--runs R] [--no-scale]" >&2; exit 2 ;;
	esac
done
case $runs in '' | *[!0-9]* | 0) echo "$0: --runs: expected a number >= 1, got '$runs'" >&2; exit 2 ;; esac
work=$(mktemp -d /var/tmp/wsid-daemon-bench.XXXXXX)
made=""
cleanup() {
	[ -n "$made" ] && bash "$top/bench/make-node.sh" --unmount "$made"
	rm -rf "$work"
}
trap cleanup EXIT
if [ -z "$node" ]; then
	node="$work/node"
	bash "$top/bench/make-node.sh" --customers "$customers" "$node"
	made=$node
fi
# the figures go to a file of this run's own; appended to the caller's
# WSID_BENCH_RESULTS (bench/run-all.sh's table) when that is set
outer=${WSID_BENCH_RESULTS:-}
export WSID_BENCH_RESULTS="$work/results"
: > "$WSID_BENCH_RESULTS"
for r in $(seq 1 "$runs"); do
	echo "== bench/watch.sh, run $r of $runs"
	bash "$top/bench/watch.sh" --node "$node"
done
echo "== bench/reconcile.sh"
bash "$top/bench/reconcile.sh" --node "$node"
if [ "$scale" = 1 ]; then
	echo "== bench/scale.sh"
	bash "$top/bench/scale.sh"
fi

[ -z "$outer" ] || cat "$WSID_BENCH_RESULTS" >> "$outer"
echo
python3 - "$WSID_BENCH_RESULTS" "$runs" <<'PY'
import sys
vals = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition("=")
    if k:
        vals.setdefault(k, []).append(float(v))
runs = int(sys.argv[2])
rows, ok = [], True

def span(k, fmt):
    v = vals.get(k, [])
    if not v:
        return "not measured"
    lo, hi = min(v), max(v)
    return (fmt % lo) if fmt % lo == fmt % hi else "%s-%s" % (fmt % lo, fmt % hi)

def row(name, measured, target, met):
    global ok
    if met is None:
        verdict = "-"
    else:
        verdict = "met" if met else "MISSED"
        ok = ok and met
    rows.append((name, measured, target, verdict))

def need(k, n=1):
    v = vals.get(k, [])
    return v if len(v) >= n else None

s, i = need("setup_s", runs), need("inotify_s", runs)
row("watch set-up (start -> READY=1)",
    "%s s; inotifywait -r -m %s s" % (span("setup_s", "%.2f"), span("inotify_s", "%.2f")) if s and i else "not measured",
    "flat in tree size (one mark)", None if s and i else False)
if s and i:
    vals["ratio"] = [a / b for a, b in zip(i, s)]
row("inotifywait takes", "%sx as long" % span("ratio", "%.0f") if s and i else "not measured", "-", None)
ov, lost = need("overflows", runs), need("lost", runs)
row("%d changes from one writer" % int(vals.get("burst_changes", [0])[0]),
    "%s changes/s (the writer's pace); overflows %s, lost %s" % (span("burst_rate", "%.0f"), span("overflows", "%.0f"), span("lost", "%.0f"))
    if ov and lost else "not measured",
    "0 overflows, 0 lost", bool(ov and lost) and max(ov) == 0 and max(lost) == 0)
q = need("queued_rate", runs)
row("the daemon alone: 50,000 queued changes", "%s changes/s" % span("queued_rate", "%.0f") if q else "not measured",
    ">= 20,000/s", bool(q) and min(q) >= 20000)
p99 = need("p99_ms", runs)
row("p99 close() -> stored at 1,000/s", "%s ms (p50 %s ms)" % (span("p99_ms", "%.1f"), span("p50_ms", "%.1f")) if p99 else "not measured",
    "< 50 ms", bool(p99) and max(p99) < 50)
row("daemon RSS, %s files known" % span("files_known", "%.0f"), "%s MB" % span("rss_mb", "%.0f") if need("rss_mb") else "not measured",
    "-", None)
rs, miss = need("reconcile_same_s"), need("reconcile_missed")
row("restart, node unchanged", "%s s, %s hashed again" % (span("reconcile_same_s", "%.2f"), span("reconcile_same_hashed", "%.0f")) if rs else "not measured",
    "0 hashed again", bool(rs) and max(vals.get("reconcile_same_hashed", [1])) == 0)
# in CPU (user + system): wall times on a shared machine follow its load
rr = need("reconcile_same_cpu_ratio")
row("restart, node unchanged / raw walk (bench/rawwalk.c, %s s), CPU" % span("rawwalk_s", "%.2f"),
    "%sx (wall %sx)" % (span("reconcile_same_cpu_ratio", "%.2f"), span("reconcile_same_ratio", "%.2f")) if rr else "not measured",
    "<= 1.5x", bool(rr) and max(rr) <= 1.5)
br = need("baseline_scan_ratio")
row("first start (baseline) / wsidctl scan, CPU", "%s s, %sx" % (span("baseline_s", "%.1f"), span("baseline_scan_ratio", "%.2f")) if br else "not measured",
    "<= 2x", bool(br) and max(br) <= 2)
row("restart, 1 % changed while stopped", "%s s, %s missed" % (span("reconcile_changed_s", "%.2f"), span("reconcile_missed", "%.0f")) if miss else "not measured",
    "0 missed", bool(miss) and max(miss) == 0)
if need("scale_files"):
    n = "%.0f" % vals["scale_files"][0]
    row("RSS with %s files known" % n, "%s MB" % span("scale_rss_mb", "%.0f"), "< 64 MB", max(vals["scale_rss_mb"]) < 64)
    row("restart reconcile of %s unchanged files" % n, "%s s, %s re-hashed" % (span("scale_reconcile_s", "%.1f"), span("scale_rehashed", "%.0f")),
        "< 10 s, 0 re-hashed", max(vals["scale_reconcile_s"]) < 10 and max(vals["scale_rehashed"]) == 0)
head = ("figure", "measured (%d run%s)" % (runs, "" if runs == 1 else "s"), "target", "")
w = [max(len(r[c]) for r in rows + [head]) for c in range(3)]
print("%-*s  %-*s  %-*s" % (w[0], head[0], w[1], head[1], w[2], head[2]))
for r in rows:
    print("%-*s  %-*s  %-*s  %s" % (w[0], r[0], w[1], r[1], w[2], r[2], r[3]))
print("every target met" if ok else "targets missed")
sys.exit(0 if ok else 1)
PY
