#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: builds one synthetic node (WSID_BENCH_CUSTOMERS, default 30) and
# runs every benchmark on it (scale.sh and fairness.sh on tmpfs mounts of their
# own), then unmounts it. Ends with one table (bench/table.py) of the
# figures of issue "Speed on a big node", each next to its reference measured
# in the same run, the ratio, the target and whether it is met.
# WSID_BENCH_BEFORE_BUILD=DIR: another build directory (an older commit's
# build/, with wsid and wsidctl): its scan is measured beside this one's
# (bench/scan.sh), its daemon runs bench/watch.sh and bench/reconcile.sh once
# on the same node before this build's runs, and the table gains a
# before/after part. WSID_BENCH_PARTS (default "identify retention fairness")
# names the benchmarks run after the table's (scan and daemon always run);
# WSID_BENCH_DAEMON_ARGS adds options to bench/daemon.sh's (e.g. --runs 2).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
customers=${WSID_BENCH_CUSTOMERS:-30}
parts=${WSID_BENCH_PARTS-identify retention fairness}
before=${WSID_BENCH_BEFORE_BUILD:-}
if [ -n "$before" ]; then
	before=$(cd "$before" && pwd)
	[ -x "$before/wsid" ] && [ -x "$before/wsidctl" ] || { echo "run-all: no wsid and wsidctl in $before" >&2; exit 2; }
fi
node=$(mktemp -d /var/tmp/wsid-node.XXXXXX)/node
res=$(dirname "$node")/results
trap 'bash "$top/bench/make-node.sh" --unmount "$node"; rm -f "$res" "$res.before" "$res.table"; rmdir "$(dirname "$node")"' EXIT
: > "$res"
: > "$res.before"
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$res.table"
bash "$top/bench/make-node.sh" --customers "$customers" "$node"
# every figure of the table is written to $res by the benchmark that measures
# it (bench_result in bench/lib.sh); a missed target is reported in the exit
# status after every benchmark has run
export WSID_BENCH_RESULTS="$res"
rc=0
echo "== bench/scan.sh"
WSID_BENCH_BEFORE=${before:+$before/wsidctl} bash "$top/bench/scan.sh" --node "$node" || rc=1
if [ -n "$before" ]; then
	for b in watch reconcile; do
		echo "== bench/$b.sh, the build in $before"
		WSID_BENCH_BUILD=$before WSID_BENCH_RESULTS="$res.before" bash "$top/bench/$b.sh" --node "$node" || rc=1
	done
fi
# daemon.sh runs watch.sh (three times), reconcile.sh and scale.sh, and ends
# with the daemon's figures against their targets
echo "== bench/daemon.sh"
bash "$top/bench/daemon.sh" --node "$node" ${WSID_BENCH_DAEMON_ARGS:-} || rc=1
echo "load at the end of the table's benchmarks: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$res.table"
echo
python3 "$top/bench/table.py" "$res" "$res.before" "$(nproc)" "$res.table" || rc=1
# retention.sh measures the database's size under a steady stream of changes,
# with and without retention (about 7 minutes); fairness.sh builds its 2,000
# webspaces on a tmpfs of its own
for b in $parts; do
	echo "== bench/$b.sh"
	case $b in
	fairness) bash "$top/bench/fairness.sh" || rc=1 ;;
	*) bash "$top/bench/$b.sh" --node "$node" || rc=1 ;;
	esac
done
if [ -n "$parts" ]; then
	echo
	echo "== the table again (before bench/${parts// /, bench/})"
	python3 "$top/bench/table.py" "$res" "$res.before" "$(nproc)" "$res.table" || true
fi
exit $rc
