# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the daemon benchmarks: a node (bench/make-node.sh, or --node DEST),
# a database with the shipped index, a config watching the node, and a daemon
# started with a READY=1 listener (sd_notify) so that start-up is timed.
# Sourcing script sets: customers, node (optional), keep; then calls
# bench_setup. Provides: top, ctl, work, db, pid, files, dirs, start_wsid,
# stop_wsid, sync_now, t_start, t_ready, bench_result. WSID_BENCH_ARGS adds options to the
# daemon's command line and WSID_BENCH_LOG=FILE keeps its log (e.g. with
# WSID_BENCH_ARGS=--debug: loop turns over 40 ms, WAL checkpoints over 100 ms).
# WSID_BENCH_BUILD=DIR takes wsid and wsidctl from another build directory
# (e.g. an older commit's, to compare it on the same node); daemon_cpu is the
# daemon's CPU seconds (user + system) so far.
set -eu
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${WSID_BENCH_BUILD:-$top/build}
ctl="$bin/wsidctl"
pid="" made=0

bench_setup() {
	[ -z "${node:-}" ] || bench_need_node "$node"
	bash "$top/scripts/deps.sh" bench
	make -C "$top" -j"$(nproc)" all >/dev/null
	work=$(mktemp -d /var/tmp/wsid-bench.XXXXXX)
	if [ -z "${node:-}" ]; then
		node="$work/node"
		bash "$top/bench/make-node.sh" --customers "$customers" "$node"
		made=1
	fi
	# the node's gigabytes written back now, not during the measurements (any
	# fsync of the host file system would wait for them)
	sync
	trap bench_cleanup EXIT
	files=$(find "$node/vhosts" -type f | wc -l)
	dirs=$(find "$node/vhosts" -type d | wc -l)
	db="$work/wsid.db"
	"$ctl" --db "$db" index build --from "$bin/../fingerprints" >/dev/null
	cat > "$work/wsid.yaml" <<YAML
database: $db
control_socket: $work/control
webspaces:
  - pattern: $node/vhosts/{customer}/httpdocs
YAML
}

# --node DIR must name a node bench/make-node.sh made (its vhosts/): a typo
# would time an empty tree
bench_need_node() {
	[ -d "$1/vhosts" ] && return 0
	echo "$(basename "$0"): $1/vhosts: no node there (bench/make-node.sh makes one)" >&2
	exit 2
}

bench_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${WSID_BENCH_LOG:-}" ] && cp "$work/wsid.log" "$WSID_BENCH_LOG"
	[ "$made" = 1 ] && [ "${keep:-0}" = 0 ] && bash "$top/bench/make-node.sh" --unmount "$node"
	rm -rf "$work"
}

# bench_result KEY VALUE: a figure as KEY=VALUE appended to $WSID_BENCH_RESULTS
# when set (bench/daemon.sh collects them)
bench_result() { if [ -n "${WSID_BENCH_RESULTS:-}" ]; then echo "$1=$2" >> "$WSID_BENCH_RESULTS"; fi; }

sync_now() { "$ctl" --socket "$work/control" sync --timeout 3600 >/dev/null; }

# start_wsid: starts the daemon; t_start and t_ready (READY=1) in seconds
start_wsid() {
	python3 - "$work/notify.sock" > "$work/ready.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(600)
while True:
    m = s.recv(4096).decode()
    if "READY=1" in m:
        print("%.3f" % time.time()); break
PY
	local lp=$!
	for _ in $(seq 1 50); do [ -S "$work/notify.sock" ] && break; sleep 0.05; done
	t_start=$(date +%s.%N)
	NOTIFY_SOCKET="$work/notify.sock" "$bin/wsid" ${WSID_BENCH_ARGS:-} --config "$work/wsid.yaml" >> "$work/wsid.log" 2>&1 &
	pid=$!
	# a daemon that exits before READY=1 (a database of a newer schema, a
	# bad config) ends the bench with its log, not ten minutes later
	while kill -0 "$lp" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			kill "$lp" 2>/dev/null
			wait "$lp" 2>/dev/null || true
			echo "bench: $bin/wsid exited before READY=1; its log:" >&2
			tail -n 5 "$work/wsid.log" >&2
			rm -f "$work/notify.sock"
			return 1
		fi
		sleep 0.02
	done
	wait "$lp" || true
	t_ready=$(cat "$work/ready.txt")
	rm -f "$work/notify.sock"
}

daemon_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat"; }

# timed VAR command...: runs it (stdout to /dev/null); VAR_wall and VAR_cpu
# (user + system) in seconds
timed() {
	local v=$1; shift
	/usr/bin/time -f '%e %U %S' -o "$work/timed.out" "$@" > /dev/null
	read -r "${v}_wall" "${v}_cpu" < <(awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$work/timed.out")
}

stop_wsid() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

# wait_settled: until the start-up reconcile is over and nothing is pending or
# being hashed (sync would also wait for open update windows, which are not work)
wait_settled() {
	python3 - "$ctl" "$work/control" <<'PY'
import json, subprocess, sys, time
ctl, sock = sys.argv[1], sys.argv[2]
while True:
    r = subprocess.run([ctl, "--socket", sock, "status", "--json"], capture_output=True, text=True)
    try:
        s = json.loads(r.stdout)
    except ValueError:
        time.sleep(0.05)
        continue
    if s.get("reconciles", 0) >= 1 and not s["reconciling"] and s["pending"] == 0 and s["hash_backlog"] == 0:
        break
    time.sleep(0.05)
PY
}

status_field() { "$ctl" --socket "$work/control" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
