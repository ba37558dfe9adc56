#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/watch.sh [--customers N] [--changes N] [--node DEST] [--keep]
#                [--queued-only [--runs R]]
# wsid against inotifywait on one synthetic node (bench/make-node.sh):
#  - set-up: wsid start to READY=1 (marks placed) vs inotifywait -r -m until
#    "Watches established" (one watch per directory), with memory: RSS and the
#    kernel's unreclaimable slab the inotify watches cost;
#  - a writer creating N/2 files and then appending a line to each (N
#    changes, default 200,000) while wsid classifies: all stored how long
#    after the writer, changes/s classified, the daemon's CPU, kernel queue
#    overflows, lost changes (the stored hashes against the files' contents);
#  - the daemon's own rate on 50,000 changes queued while it is frozen;
#  - latency close() -> stored verdict at ~1,000 changes/s: p50, p99.
# --queued-only measures only the daemon's own rate (R runs, default 3, each on
# a daemon started for it), with its CPU per change; with
# WSID_BENCH_BEFORE_BUILD=DIR (another build's wsid and wsidctl) the runs
# alternate between that build and this one, side by side on the same node.
# WSID_BENCH_PERF=FILE: perf record of the daemon while it drains them (its
# options WSID_BENCH_PERF_OPTS, default -g).
customers=${WSID_BENCH_CUSTOMERS:-30} changes=200000 node="" keep=0 qonly=0 runs=3
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--changes) changes=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--queued-only) qonly=1; shift ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [--customers N] [--changes N] [--node DEST] [--keep] [--queued-only [--runs R]]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_setup

# what an earlier run on this node left (a re-run measures the same work)
ws=$(ls -d "$node"/vhosts/*/httpdocs | head -1)
rm -rf "$ws/burst" "$ws/queued" "$ws/lat"

# the CPU seconds of the daemon's loop thread (its main thread) so far
loop_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/task/$pid/stat"; }

# queued: 50,000 changes queued in the kernel while the daemon is frozen,
# then timed until all are stored; sets queued_s, queued_cpu (the daemon's),
# queued_loop_cpu (its loop thread's), qstored, qev (event rows written), qov
# (kernel queue overflows)
q=50000
queued() {
	qov0=$(status_field fanotify_overflows)
	qev0=$(sqlite3 "$db" "SELECT coalesce(max(id), 0) FROM events")
	kill -STOP "$pid"
	python3 - "$ws/queued" "$q" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open(os.path.join(d, "q%06d.txt" % i), "w") as f:
        f.write("queued %d\n" % i)
PY
	local c0 l0 t0 t1 perf=""
	if [ -n "${WSID_BENCH_PERF:-}" ]; then
		perf record ${WSID_BENCH_PERF_OPTS:--g} -o "$WSID_BENCH_PERF" -p "$pid" 2>/dev/null &
		perf=$!
		sleep 1
	fi
	c0=$(daemon_cpu)
	l0=$(loop_cpu)
	t0=$(date +%s.%N)
	kill -CONT "$pid"
	sync_now
	t1=$(date +%s.%N)
	[ -z "$perf" ] || { kill -INT "$perf"; wait "$perf" || true; }
	queued_s=$(echo "$t1 - $t0" | bc -l)
	queued_cpu=$(echo "$(daemon_cpu) - $c0" | bc -l)
	queued_loop_cpu=$(echo "$(loop_cpu) - $l0" | bc -l)
	qstored=$(sqlite3 "$db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'queued/%'")
	qov=$(( $(status_field fanotify_overflows) - qov0 ))
	qev=$(( $(sqlite3 "$db" "SELECT coalesce(max(id), 0) FROM events") - qev0 ))
}

if [ "$qonly" = 1 ]; then
	case $runs in '' | *[!0-9]* | 0) echo "$0: --runs: expected a number >= 1, got '$runs'" >&2; exit 2 ;; esac
	builds=$bin
	[ -n "${WSID_BENCH_BEFORE_BUILD:-}" ] && builds="$(cd "$WSID_BENCH_BEFORE_BUILD" && pwd) $bin"
	now=$bin
	echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	for r in $(seq 1 "$runs"); do
		# the order swaps from run to run (what a run leaves, the next start
		# reconciles)
		order=$builds
		[ $((r % 2)) = 1 ] || order=$(echo "$builds" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')
		for b in $order; do
			bin=$b
			start_wsid
			sync_now
			queued
			stop_wsid
			rm -rf "$ws/queued"
			which=now; [ "$b" = "$now" ] || which=before
			printf '%-7s run %d: %d of %d stored in %.2f s = %.0f changes/s; daemon CPU %.2f s = %.1f us per change (loop thread %.1f us); %d events, %d overflows; load %s\n' \
				"$which" "$r" "$qstored" "$q" "$queued_s" "$(echo "$q / $queued_s" | bc -l)" \
				"$queued_cpu" "$(echo "$queued_cpu * 1000000 / $q" | bc -l)" \
				"$(echo "$queued_loop_cpu * 1000000 / $q" | bc -l)" "$qev" "$qov" "$(cut -d' ' -f1 /proc/loadavg)"
			[ "$which" = now ] && bench_result queued_rate "$(echo "$q / $queued_s" | bc -l)"
		done
	done
	bin=$now
	exit 0
fi

# 1. set-up, and the baseline after READY
start_wsid
wsid_ready=$(echo "$t_ready - $t_start" | bc -l)
sync_now
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
rss_now=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
slab0=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)
t0=$(date +%s.%N)
inotifywait -r -m "$node/vhosts" > /dev/null 2> "$work/inotify.err" &
ipid=$!
while ! grep -q "Watches established" "$work/inotify.err"; do sleep 0.01; kill -0 $ipid 2>/dev/null || break; done
t1=$(date +%s.%N)
inotify_s=$(echo "$t1 - $t0" | bc -l)
inotify_rss=$(awk '/VmRSS/ {print $2}' /proc/$ipid/status)
slab1=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)
kill $ipid; wait $ipid 2>/dev/null || true

# 2. N changes from one writer: N/2 files created, then each appended to
ov0=$(status_field fanotify_overflows)
cpu0=$(daemon_cpu)
t0=$(date +%s.%N)
python3 - "$ws/burst" "$changes" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2]) // 2
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open(os.path.join(d, "b%06d.txt" % i), "w") as f:
        f.write("created %d\n" % i)
for i in range(n):
    with open(os.path.join(d, "b%06d.txt" % i), "a") as f:
        f.write("appended %d\n" % i)
PY
t_w=$(date +%s.%N)
sync_now
t1=$(date +%s.%N)
burst_cpu=$(echo "$(daemon_cpu) - $cpu0" | bc -l)
ov=$(( $(status_field fanotify_overflows) - ov0 ))
burst_s=$(echo "$t1 - $t0" | bc -l)
writer_s=$(echo "$t_w - $t0" | bc -l)
# lost: a stored hash that is not the file's content (or no row at all)
lost=$(python3 - "$db" "$ws" <<'PY'
import hashlib, os, sqlite3, sys
db, ws = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
wid = con.execute("SELECT id FROM webspaces WHERE path=CAST(? AS BLOB)", (ws,)).fetchone()[0]
stored = {bytes(p).decode(): bytes(h).hex() if h else None for p, h in con.execute(
    "SELECT relpath, sha256 FROM files WHERE webspace_id=? AND CAST(relpath AS TEXT) LIKE 'burst/%'", (wid,))}
lost = 0
for name in os.listdir(os.path.join(ws, "burst")):
    data = open(os.path.join(ws, "burst", name), "rb").read()
    if stored.get("burst/" + name) != hashlib.sha256(data).hexdigest():
        lost += 1
print(lost)
PY
)

# 3. the daemon's own rate: 50,000 changes queued in the kernel while frozen
queued

# 4. latency at ~1,000 changes/s for 5 s, once the burst's data is written back
sync; sleep 2
python3 - "$ws/lat" > "$work/lat.tsv" <<'PY'
import os, sys, time
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
t_next = time.time()
for i in range(5000):
    p = os.path.join(d, "l%05d.txt" % i)
    with open(p, "w") as f:
        f.write("latency %d\n" % i)
    print("l%05d.txt\t%d" % (i, time.time_ns()))
    t_next += 0.001
    delay = t_next - time.time()
    if delay > 0:
        time.sleep(delay)
PY
sync_now
lat=$(python3 - "$db" "$work/lat.tsv" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
closed = dict(l.strip().split("\t") for l in open(sys.argv[2]))
lats = []
for path, t in con.execute("SELECT CAST(path AS TEXT), time_ns FROM events WHERE CAST(path AS TEXT) LIKE 'lat/%' AND change='created'"):
    name = path.split("/")[-1]
    if name in closed:
        lats.append((t - int(closed[name])) / 1e6)
lats.sort()
def pct(p): return lats[min(len(lats) - 1, int(len(lats) * p))]
print("%d %.1f %.1f %.1f" % (len(lats), pct(0.5), pct(0.99), lats[-1]))
PY
)
stop_wsid

echo
echo "node: $files files, $dirs directories ($(nproc) cores)"
printf '%-44s %s\n' "watch set-up: wsid start -> READY" "$(printf '%.3f s (one filesystem mark)' "$wsid_ready")"
printf '%-44s %s\n' "watch set-up: inotifywait -r -m" "$(printf '%.3f s, %d watches, RSS %d KB, unreclaimable kernel memory +%d KB' "$inotify_s" "$dirs" "$inotify_rss" $(( slab1 - slab0 )))"
printf '%-44s %s\n' "ratio" "$(printf 'inotifywait takes %.0fx as long' "$(echo "$inotify_s / $wsid_ready" | bc -l)")"
known=$(sqlite3 "$db" 'SELECT count(*) FROM files')
printf '%-44s %s\n' "daemon RSS (peak / now), files known" "$((rss_kb / 1024)) MB / $((rss_now / 1024)) MB, $known files"
printf '%-44s %s\n' "$changes changes (create + append), 1 writer" "$(printf 'writer %.1f s; all stored after %.1f s (%.2f s after the writer) = %.0f changes/s, daemon CPU %.1f s; overflows %s; lost %s' "$writer_s" "$burst_s" "$(echo "$burst_s - $writer_s" | bc -l)" "$(echo "$changes / $burst_s" | bc -l)" "$burst_cpu" "$ov" "$lost")"
printf '%-44s %s\n' "the daemon alone: $q changes queued" "$(printf 'stored in %.2f s = %.0f changes/s on %d cores (target >= 20000); %d of %d stored' "$queued_s" "$(echo "$q / $queued_s" | bc -l)" "$(nproc)" "$qstored" "$q")"
read -r n p50 p99 pmax <<<"$lat"
printf '%-44s %s\n' "latency close()->stored at ~1000/s" "n=$n p50 ${p50} ms, p99 ${p99} ms, max ${pmax} ms (target p99 < 50 ms)"
bench_result setup_s "$wsid_ready"
bench_result inotify_s "$inotify_s"
bench_result rss_mb $((rss_now / 1024))
bench_result files_known "$known"
bench_result burst_changes "$changes"
bench_result burst_rate "$(echo "$changes / $burst_s" | bc -l)"
bench_result burst_s "$burst_s"
bench_result burst_writer_s "$writer_s"
bench_result burst_after_writer_s "$(echo "$burst_s - $writer_s" | bc -l)"
bench_result burst_cpu_s "$burst_cpu"
bench_result overflows "$ov"
bench_result lost "$lost"
bench_result queued_rate "$(echo "$q / $queued_s" | bc -l)"
bench_result queued_stored "$qstored"
bench_result p50_ms "$p50"
bench_result p99_ms "$p99"
rm -rf "$ws/burst" "$ws/queued" "$ws/lat"
