#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/retention.sh [--customers N] [--node DEST] [--seconds S] [--rate R] [--keep]
# The database under a steady stream of changes, with and without retention:
# one writer rewrites 200 files of a webspace at R changes/s (default 500)
# for S seconds (default 180), every rewrite an event; once with history kept
# for ever (retention.events: 0), once with events kept S/3 seconds (a
# minute by default) and a round every 5 s. Prints the database's size and
# its event rows every 15 s of each run, the growth of each over the last
# third (bounded: about nothing with retention), the ratio of the sizes at
# the end, and the latency close() -> stored of the last 30 s of each run
# (p50, p99: the deleting steps must not show in it).
customers=${WSID_BENCH_CUSTOMERS:-30} node="" keep=0 seconds=180 rate=500
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--customers N] [--node DEST] [--seconds S] [--rate R] [--keep]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_setup
ws=$(ls -d "$node"/vhosts/*/httpdocs | head -1)
rm -rf "$ws/retention"
cp "$db" "$work/index.db" # the index alone: each run starts from it
cp "$work/wsid.yaml" "$work/base.yaml"
age=$((seconds / 3))

# run NAME RETENTION-YAML: one run; samples in $work/NAME.tsv (seconds,
# bytes, rows), latencies of the last 30 s in $work/NAME.lat
run() {
	local name=$1 yaml=$2
	cp "$work/index.db" "$db"
	rm -f "$db-wal" "$db-shm"
	{ cat "$work/base.yaml"; printf '%s\n' "$yaml"; } > "$work/wsid.yaml"
	start_wsid
	sync_now # the baseline of a fresh database
	python3 - "$ws/retention" "$seconds" "$rate" > "$work/$name.close" <<'PY' &
import hashlib, os, sys, time
d, secs, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
os.makedirs(d, exist_ok=True)
t0 = time.time()
t_next, i = t0, 0
while time.time() - t0 < secs:
    data = b"rewrite %d of a file a tenant keeps changing\n" % i
    with open(os.path.join(d, "f%03d.txt" % (i % 200)), "wb") as f:
        f.write(data)
    if time.time() - t0 >= secs - 30:
        print("%s\t%d" % (hashlib.sha256(data).hexdigest(), time.time_ns()))
    i += 1
    t_next += 1 / rate
    delay = t_next - time.time()
    if delay > 0:
        time.sleep(delay)
PY
	local wpid=$! t0 t
	t0=$(date +%s)
	: > "$work/$name.tsv"
	while kill -0 "$wpid" 2>/dev/null; do
		t=$(( $(date +%s) - t0 ))
		printf '%d\t%d\t%d\n' "$t" \
			"$(( $(sqlite3 "$db" 'PRAGMA page_count') * $(sqlite3 "$db" 'PRAGMA page_size') ))" \
			"$(sqlite3 "$db" 'SELECT count(*) FROM events')" >> "$work/$name.tsv"
		for _ in $(seq 1 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
	done
	wait "$wpid"
	sync_now
	printf '%d\t%d\t%d\n' "$(( $(date +%s) - t0 ))" \
		"$(( $(sqlite3 "$db" 'PRAGMA page_count') * $(sqlite3 "$db" 'PRAGMA page_size') ))" \
		"$(sqlite3 "$db" 'SELECT count(*) FROM events')" >> "$work/$name.tsv"
	disk_bytes=$(status_field database_bytes)
	deleted=$(status_field retention_events_deleted)
	steps="$(status_field retention_steps) $(status_field retention_step_avg_ms) $(status_field retention_step_max_ms)"
	stop_wsid
	python3 - "$db" "$work/$name.close" > "$work/$name.lat" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
closed = dict(l.strip().split("\t") for l in open(sys.argv[2]) if l.strip())
lats = sorted((t - int(closed[h.lower()])) / 1e6 for h, t in con.execute(
    "SELECT hex(new_sha256), time_ns FROM events WHERE CAST(path AS TEXT) LIKE 'retention/%'")
    if h and h.lower() in closed)
def pct(p): return lats[min(len(lats) - 1, int(len(lats) * p))] if lats else 0
print("%d %.1f %.1f %.1f" % (len(lats), pct(0.5), pct(0.99), lats[-1] if lats else 0))
PY
	echo "$disk_bytes $deleted $steps" > "$work/$name.end"
	rm -rf "$ws/retention"
}

run keep "retention: {events: 0, outbox: 0, acked_members: 0}"
run bounded "retention: {events: ${age}s, interval: 5s}"

python3 - "$work" "$seconds" "$rate" "$age" <<'PY'
import sys
work, secs, rate, age = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(n):
    return [tuple(int(x) for x in l.split("\t")) for l in open("%s/%s.tsv" % (work, n)) if l.strip()]
keep, bounded = load("keep"), load("bounded")
mb = lambda b: b / 1048576
print()
print("a writer rewriting 200 files at %d changes/s for %d s; without retention vs retention of %d s" % (rate, secs, age))
print("%8s  %22s  %22s" % ("t (s)", "kept for ever", "retention %d s" % age))
print("%8s  %10s %11s  %10s %11s" % ("", "size MB", "events", "size MB", "events"))
for i in range(max(len(keep), len(bounded))):
    k = keep[i] if i < len(keep) else None
    b = bounded[i] if i < len(bounded) else None
    t = (k or b)[0]
    print("%8d  %10s %11s  %10s %11s" % (t, "%.1f" % mb(k[1]) if k else "", k[2] if k else "",
                                       "%.1f" % mb(b[1]) if b else "", b[2] if b else ""))
def third(s):
    # growth over the last third of the run
    lo = [x for x in s if x[0] >= secs * 2 // 3]
    return (s[-1][1] - lo[0][1]) if lo else 0
kd, bd = [open("%s/%s.end" % (work, n)).read().split() for n in ("keep", "bounded")]
print("growth over the last third: %.1f MB kept for ever, %.1f MB with retention" % (mb(third(keep)), mb(third(bounded))))
print("size at the end: %.1f MB vs %.1f MB (ratio %.2f); file on disk %.1f MB vs %.1f MB; %s events deleted"
      % (mb(keep[-1][1]), mb(bounded[-1][1]), keep[-1][1] / bounded[-1][1], mb(int(kd[0])), mb(int(bd[0])), bd[1]))
print("the daemon's deleting steps: %s, %.1f ms on average, %.1f ms at most (rows deleted per step: "
      "at most 1000)" % (bd[2], float(bd[3]), float(bd[4])))
for n, label in (("keep", "kept for ever"), ("bounded", "retention %d s" % age)):
    c, p50, p99, mx = open("%s/%s.lat" % (work, n)).read().split()
    print("latency close()->stored, last 30 s, %-15s n=%s p50 %s ms, p99 %s ms, max %s ms" % (label + ":", c, p50, p99, mx))
with open("%s/results" % work, "w") as f:
    f.write("keep_mb=%.1f\nbounded_mb=%.1f\nratio=%.2f\nbounded_growth_mb=%.1f\nstep_max_ms=%s\n" % (
        mb(keep[-1][1]), mb(bounded[-1][1]), keep[-1][1] / bounded[-1][1], mb(third(bounded)), bd[4]))
PY
while IFS='=' read -r k v; do bench_result "retention_$k" "$v"; done < "$work/results"
