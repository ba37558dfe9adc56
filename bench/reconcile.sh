#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/reconcile.sh [--customers N] [--percent P] [--node DEST] [--keep]
# Restarts of wsid on a synthetic node: unchanged (a stat-only reconcile: how
# long, how many files hashed again) and after P % of the files (default 1)
# changed while it was stopped (how long, how many hashed, and whether every
# change is in the stored state). The first start (baseline: hash, identify,
# store every file) is timed against `wsidctl scan` on the same tree, and the
# unchanged restart (twice) against the limit line, bench/rawwalk.c
# (getdents64 + statx on as many threads as cores): targets <= 2x scan and
# <= 1.5x the raw walk.
customers=${WSID_BENCH_CUSTOMERS:-30} percent=1 node="" keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--percent) percent=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--customers N] [--percent P] [--node DEST] [--keep]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_setup
raw="$top/build/rawwalk"
make -C "$top" -j"$(nproc)" bench-tools >/dev/null
# the node's files read once, untimed: the baseline and the scan below both
# find them in the page cache
find "$node/vhosts" -type f -print0 | xargs -0 -P"$(nproc)" -n500 cat > /dev/null
start_wsid
sync_now
t1=$(date +%s.%N)
base_s=$(echo "$t1 - $t_start" | bc -l)
base_cpu=$(daemon_cpu)
stop_wsid
t0=$(date +%s.%N)
timed scan "$ctl" --db "$db" scan --standalone --json --jobs "$(nproc)" "$node/vhosts"
t1=$(date +%s.%N)
scan_s=$(echo "$t1 - $t0" | bc -l)
sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true

# 1. unchanged (warm: the walk's metadata is cached after the first run), twice,
# each next to the raw walk
start_wsid; sync_now; stop_wsid
same=() raws=() same_cpus=()
for _ in 1 2; do
	start_wsid
	t0=$(date +%s.%N); wait_settled; t1=$(date +%s.%N)
	same+=("$(echo "$t1 - $t0 + $t_ready - $t_start" | bc -l)")
	same_cpus+=("$(daemon_cpu)")
	same_hashed=$(status_field files_hashed)
	stop_wsid
	raws+=("$("$raw" --threads "$(nproc)" "$node/vhosts" | sed 's/.*seconds=//')")
	# the raw walk's CPU, and find -printf of what a reconcile compares
	timed raw "$raw" --threads "$(nproc)" "$node/vhosts"
	timed find find "$node/vhosts" -printf '%p %i %s %T@ %C@\n'
	bench_result rawwalk_cpu_s "$raw_cpu"; bench_result rawwalk_timed_s "$raw_wall"
	bench_result find_s "$find_wall"; bench_result find_cpu_s "$find_cpu"
done
range() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.2f-%.2f", a[1], a[NR]}'; }
ratios=() ; for i in 0 1; do ratios+=("$(echo "${same[$i]} / ${raws[$i]}" | bc -l)"); done

# 2. P % of the files changed while stopped
changed=$(python3 - "$node/vhosts" "$percent" "$work/changed.txt" <<'PY'
import os, random, sys
root, pct, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
paths = []
for d, _, fs in os.walk(root):
    # files over max_file_size (64 MiB) are recorded, not hashed
    paths += [os.path.join(d, f) for f in fs if os.path.getsize(os.path.join(d, f)) <= 64 << 20]
paths.sort()
r = random.Random(7)
pick = r.sample(paths, max(1, int(len(paths) * pct / 100)))
with open(out, "w") as f:
    for p in pick:
        with open(p, "ab") as g:
            g.write(b"\n/* changed while wsid was stopped */\n")
        f.write(p + "\n")
print(len(pick))
PY
)
start_wsid
t0=$(date +%s.%N); wait_settled; t1=$(date +%s.%N)
chg_s=$(echo "$t1 - $t0 + $t_ready - $t_start" | bc -l)
chg_hashed=$(status_field files_hashed)
sleep 0.5 # the last batch commits within 20 ms
missed=$(python3 - "$db" "$work/changed.txt" <<'PY'
import hashlib, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
ws = [(bytes(p).decode(), i) for i, p in con.execute("SELECT id, path FROM webspaces")]
missed = 0
for p in open(sys.argv[2]).read().split("\n"):
    if not p:
        continue
    w = max((x for x in ws if p.startswith(x[0] + "/")), key=lambda x: len(x[0]))
    row = con.execute("SELECT sha256 FROM files WHERE webspace_id=? AND relpath=CAST(? AS BLOB)",
                      (w[1], p[len(w[0]) + 1:])).fetchone()
    if not row or bytes(row[0] or b"").hex() != hashlib.sha256(open(p, "rb").read()).hexdigest():
        missed += 1
print(missed)
PY
)
stop_wsid

echo
echo "node: $files files, $dirs directories ($(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-44s %s\n' "first start (baseline: hash, identify, store)" "$(printf '%.2f s until stored; wsidctl scan %.2f s: %.2fx scan (target <= 2x)' "$base_s" "$scan_s" "$(echo "$base_s / $scan_s" | bc -l)")"
printf '%-44s %s\n' "raw walk (getdents64 + statx, $(nproc) threads)" "$(range "${raws[@]}") s"
printf '%-44s %s\n' "restart, nothing changed" "$(printf '%s s until reconciled (%sx the raw walk, target <= 1.5x), %s files hashed again' "$(range "${same[@]}")" "$(range "${ratios[@]}")" "$same_hashed")"
printf '%-44s %s\n' "restart, $percent % changed while stopped" "$(printf '%.2f s until reconciled, %s files hashed for %s changed; %s changes missed' "$chg_s" "$chg_hashed" "$changed" "$missed")"
for i in 0 1; do bench_result reconcile_same_s "${same[$i]}"; bench_result reconcile_same_ratio "${ratios[$i]}"; bench_result rawwalk_s "${raws[$i]}"; done
bench_result baseline_s "$base_s"
bench_result baseline_scan_ratio "$(echo "$base_s / $scan_s" | bc -l)"
bench_result reconcile_same_hashed "$same_hashed"
bench_result reconcile_changed_s "$chg_s"
bench_result reconcile_missed "$missed"
bench_result baseline_cpu_s "$base_cpu"
bench_result scan_daemon_s "$scan_s"
bench_result scan_daemon_cpu_s "$scan_cpu"
for c in "${same_cpus[@]}"; do bench_result reconcile_same_cpu_s "$c"; done
