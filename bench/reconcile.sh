#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/reconcile.sh [--customers N] [--percent P] [--node DEST] [--runs R] [--keep]
# Restarts of wsid on a synthetic node: unchanged (a stat-only reconcile: how
# long, how much CPU, how many files hashed again) and after P % of the files
# (default 1) changed while it was stopped (how long, how many hashed, and
# whether every change is in the stored state). The first start (baseline:
# hash, identify, store every file) is timed against `wsidctl scan` on the
# same tree, and the unchanged restart (R times, default 2) against the limit
# line, bench/rawwalk.c (getdents64 + statx on as many threads as cores) run
# after each: targets <= 2x scan and <= 1.5x the raw walk, in CPU (user +
# system; the daemon's from its start to the log line "reconciled" of its last
# webspace, read before any `wsidctl status`, whose answer is work of its own).
# WSID_BENCH_BEFORE=DIR runs another build (DIR/build/wsid) beside this one,
# alternately; WSID_BENCH_BEFORE_BUILD=DIR/build is the same.
customers=${WSID_BENCH_CUSTOMERS:-30} percent=1 node="" keep=0 runs=2
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--percent) percent=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--customers N] [--percent P] [--node DEST] [--runs R] [--keep]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_setup
raw="$top/build/rawwalk"
make -C "$top" -j"$(nproc)" bench-tools >/dev/null
# WSID_BENCH_BEFORE=DIR: another build's tree (DIR/build/wsid, wsidctl), run
# beside this one on the same node, each on a database it baselined itself
before=${WSID_BENCH_BEFORE:-}
if [ -n "${WSID_BENCH_BEFORE_BUILD:-}" ]; then before=$(cd "$WSID_BENCH_BEFORE_BUILD/.." && pwd); fi
builds="now"
base_work=$work base_top=$top base_bin=$bin
trap 'work=$base_work; bench_cleanup' EXIT
if [ -n "$before" ]; then
	builds="now before"
	mkdir "$work/before"
	# its own database and socket; the same node
	sed -e "/^database:/s|$work/|$work/before/|" -e "/^control_socket:/s|$work/|$work/before/|" \
		"$work/wsid.yaml" > "$work/before/wsid.yaml"
	"$before/build/wsidctl" --db "$work/before/wsid.db" index build --from "$before/fingerprints" >/dev/null
fi
use_build() {
	if [ "$1" = before ]; then work=$base_work/before top=$before bin=$before/build
	else work=$base_work top=$base_top bin=$base_bin; fi
	ctl="$bin/wsidctl" # start_wsid (lib.sh) runs $bin/wsid
}
# wait_reconciled LINES: until the daemon's log has, after its first LINES
# lines, a "reconciled" line for every webspace of the node
nws=$(find "$node/vhosts" -mindepth 2 -maxdepth 2 -name httpdocs -type d | wc -l)
wait_reconciled() {
	local n
	for _ in $(seq 1 12000); do
		n=$(tail -n +$(($1 + 1)) "$work/wsid.log" | grep -c ': reconciled ' || true)
		[ "$n" -ge "$nws" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "reconcile: no \"reconciled\" for each of the $nws webspaces in $work/wsid.log" >&2
	return 1
}
log_lines() { if [ -f "$work/wsid.log" ]; then wc -l < "$work/wsid.log"; else echo 0; fi; }
# the CPU (user + system) a process has used so far, in seconds
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# timed_wc CMD...: prints "wall cpu" (seconds; cpu = user + system)
timed_wc() {
	/usr/bin/time -f "%e %U %S" -o "$base_work/time.txt" "$@" > /dev/null || true # (scan: 1 when it flags a file)
	awk 'END { printf "%.2f %.2f\n", $1, $2 + $3 }' "$base_work/time.txt" # its last line
}
# the node's files read once, untimed: the baseline and the scan below both
# find them in the page cache
find "$node/vhosts" -type f -print0 | xargs -0 -P"$(nproc)" -n500 cat > /dev/null
declare -A base_wall base_cpu
for b in $builds; do
	use_build "$b"
	start_wsid
	sync_now
	t1=$(date +%s.%N)
	base_cpu[$b]=$(cpu_of "$pid")
	base_wall[$b]=$(echo "$t1 - $t_start" | bc -l)
	stop_wsid
done
use_build now
read -r scan_s scan_cpu < <(timed_wc "$ctl" --db "$db" scan --standalone --json --jobs "$(nproc)" "$node/vhosts")
sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true

# 1. unchanged (warm: the walk's metadata is cached after the first run), R
# times, each build next to the raw walk
for b in $builds; do use_build "$b"; start_wsid; sync_now; stop_wsid; done
same=() same_cpu=() raws=() raw_cpu=() ratios=() ratios_cpu=() rows=()
for i in $(seq 1 "$runs"); do
	for b in $builds; do
		use_build "$b"
		n0=$(log_lines)
		start_wsid
		t0=$(date +%s.%N); wait_reconciled "$n0"; t1=$(date +%s.%N)
		w=$(echo "$t1 - $t0 + $t_ready - $t_start" | bc -l)
		c=$(cpu_of "$pid")
		wait_settled # and nothing left pending or hashed (0 expected)
		[ "$b" = now ] && same_hashed=$(status_field files_hashed)
		stop_wsid
		read -r rw rc < <(timed_wc "$raw" --threads "$(nproc)" "$node/vhosts")
		rows+=("$(printf '%-7s %2d  %6.2f s  %5.2f s   %6.2f s  %5.2f s   %5.2fx  %5.2fx  load %s' "$b" "$i" "$w" "$c" \
			"$rw" "$rc" "$(echo "$w / $rw" | bc -l)" "$(echo "$c / $rc" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)")")
		if [ "$b" = now ]; then
			# find -printf of what a reconcile compares, as a reference
			read -r fw fc < <(timed_wc find "$node/vhosts" -printf '%p %i %s %T@ %C@\n')
			bench_result find_s "$fw"; bench_result find_cpu_s "$fc"
			bench_result rawwalk_cpu_s "$rc"; bench_result rawwalk_timed_s "$rw"
			bench_result reconcile_same_cpu_s "$c"
			same+=("$w") same_cpu+=("$c") raws+=("$rw") raw_cpu+=("$rc")
			ratios+=("$(echo "$w / $rw" | bc -l)") ratios_cpu+=("$(echo "$c / $rc" | bc -l)")
		fi
	done
done
use_build now
range() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.2f-%.2f", a[1], a[NR]}'; }

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
echo "restart, nothing changed: start to reconciled, next to the raw walk (getdents64 + statx, $(nproc) threads)"
echo "build   run  wsid wall  CPU       raw wall   CPU      wall    CPU"
printf '%s\n' "${rows[@]}"
for b in $builds; do
	printf '%-44s %s\n' "first start ($b: hash, identify, store)" "$(printf '%.2f s until stored, %.2f s CPU; wsidctl scan %.2f s, %.2f s CPU: %.2fx scan in CPU (target <= 2x)' \
		"${base_wall[$b]}" "${base_cpu[$b]}" "$scan_s" "$scan_cpu" "$(echo "${base_cpu[$b]} / $scan_cpu" | bc -l)")"
done
printf '%-44s %s\n' "raw walk (getdents64 + statx, $(nproc) threads)" "$(range "${raws[@]}") s, $(range "${raw_cpu[@]}") s CPU"
printf '%-44s %s\n' "restart, nothing changed" "$(printf '%s s until reconciled, %s s CPU (%sx the raw walk in CPU, %sx in wall; target <= 1.5x), %s files hashed again' "$(range "${same[@]}")" "$(range "${same_cpu[@]}")" "$(range "${ratios_cpu[@]}")" "$(range "${ratios[@]}")" "$same_hashed")"
printf '%-44s %s\n' "restart, $percent % changed while stopped" "$(printf '%.2f s until reconciled, %s files hashed for %s changed; %s changes missed' "$chg_s" "$chg_hashed" "$changed" "$missed")"
for i in $(seq 0 $((runs - 1))); do
	bench_result reconcile_same_s "${same[$i]}"; bench_result reconcile_same_ratio "${ratios[$i]}"
	bench_result reconcile_same_cpu_ratio "${ratios_cpu[$i]}"; bench_result rawwalk_s "${raws[$i]}"
done
bench_result baseline_s "${base_wall[now]}"
bench_result baseline_scan_ratio "$(echo "${base_cpu[now]} / $scan_cpu" | bc -l)"
bench_result reconcile_same_hashed "$same_hashed"
bench_result reconcile_changed_s "$chg_s"
bench_result reconcile_missed "$missed"
bench_result baseline_cpu_s "${base_cpu[now]}"
bench_result scan_daemon_s "$scan_s"
bench_result scan_daemon_cpu_s "$scan_cpu"
