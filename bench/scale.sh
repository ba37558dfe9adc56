#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/scale.sh [--files N] [--webspaces W] [--wsid BIN]... [--daemon-only]
#                [--ext4] [--scan-only] [--wordpress K] [--links] [--plain]
#                [--timeout S] [--until TIME] [--every S]
# The daemon with a million files known: N small files (default 1,000,000) in W
# webspaces (default 100) on a tmpfs this script mounts and unmounts (--ext4:
# on an ext4 image in /var/tmp made for the inodes, with inline data, so that
# ten million files fit in a few GB; the image is removed). Measures
# the baseline, the daemon's RSS with every file known (split into anonymous
# memory and mapped files: smaps_rollup), and a restart on the
# unchanged tree (stat-only reconcile), and the time of one status call after
# each. Targets: RSS < 64 MB at 1 M files,
# reconcile of 1 M unchanged files < 10 s warm. The limit line: bench/rawwalk.c
# (getdents64 + statx, and with OpenSSL SHA-256, on as many threads as cores)
# on the same tree; `wsidctl scan --json` is timed against it, with its peak
# RSS (target < 64 MB whatever the tree's size); --scan-only measures that
# alone, without the daemon. Each --wsid names a daemon binary to measure
# (default build/wsid; several: each in turn on the same tree, side by side);
# --daemon-only leaves out the raw walk and the scan. --wordpress K adds
# Debian's WordPress tree (a test fixture) to K webspaces (hard links of one
# copy), for installations to find. Ten million files take hours to make on
# this 2-core VM: --links makes the first webspace's files and the others' as
# hard links of them (directory entries only: each is still a path the scan
# opens and hashes), --plain makes text files instead of PHP (the scan's
# analysis of unknown code then reads only their first bytes). The daemon's
# first baseline is given --timeout S seconds (default 3600), or until --until
# TIME (what `date -d` reads, e.g. 07:40) if that comes first: past them its
# progress so far is printed (entries stored, RSS, peak RSS, CPU) and the
# script stops it and cleans up; --every S prints that progress every S
# seconds during the baseline (default 60). Ten million entries for the
# daemon: --files 10000000 --ext4 --links --plain --daemon-only.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
files=1000000 webspaces=100 bins=() daemon_only=0 ext4=0 scan_only=0 wordpress=0 links=0 plain=0 timeout=3600 every=60 until_s=""
usage="usage: $0 [--files N] [--webspaces W] [--wsid BIN]... [--daemon-only] [--ext4] [--scan-only] [--wordpress K] [--links] [--plain] [--timeout S] [--until TIME] [--every S]"
while [ $# -gt 0 ]; do
	case $1 in
	--files) files=$2; shift 2 ;;
	--webspaces) webspaces=$2; shift 2 ;;
	--wsid) bins+=("$2"); shift 2 ;;
	--daemon-only) daemon_only=1; shift ;;
	--ext4) ext4=1; shift ;;
	--scan-only) scan_only=1; shift ;;
	--wordpress) wordpress=$2; shift 2 ;;
	--links) links=1; shift ;;
	--plain) plain=1; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--every) every=$2; shift 2 ;;
	--until) until_s=$(date -d "$2" +%s); shift 2 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
[ ${#bins[@]} -gt 0 ] || bins=("$(cd "$(dirname "$0")/.." && pwd)/build/wsid")
. "$top/bench/lib.sh" # bench_result only: this script sets up its own tree
make -C "$top" -j"$(nproc)" all bench-tools >/dev/null
ctl="$top/build/wsidctl" raw="$top/build/rawwalk"
work=$(mktemp -d /var/tmp/wsid-scale.XXXXXX)
mkdir -p "$work/m"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	mountpoint -q "$work/m" && umount "$work/m"
	rm -rf "$work"
}
trap cleanup EXIT
if [ "$ext4" = 1 ]; then
	# 256-byte inodes hold a small file's bytes (inline_data): no block per
	# file; a directory of 1,000 names takes some 40 KiB
	inodes=$(( links ? files / webspaces + files / 100 + 1000 : files + files / 100 + 1000 ))
	truncate -s $(( inodes * 300 + files / 1000 * 65536 + (1 << 30) )) "$work/ext4.img"
	mkfs.ext4 -q -F -N "$inodes" -I 256 -O inline_data,^has_journal \
		"$work/ext4.img"
	mount -o loop,noatime "$work/ext4.img" "$work/m"
else
	mount -t tmpfs -o size=16g,nr_inodes=0 wsid-scale "$work/m"
fi
python3 - "$work/m" "$files" "$webspaces" "$links" "$plain" <<'PY'
import os, sys
root, n, w, links, plain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5] == "1"
per = n // w
ext, fmt = (".txt", "text %d %d\n") if plain else (".php", "<?php // %d %d\n")
for c in range(w):
    base = os.path.join(root, "vhosts", "c%04d" % c, "httpdocs")
    first = os.path.join(root, "vhosts", "c0000", "httpdocs")
    for i in range(per):
        d = os.path.join(base, "d%03d" % (i // 1000))
        name = "f%06d%s" % (i, ext)
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        if links and c > 0:
            os.link(os.path.join(first, "d%03d" % (i // 1000), name), os.path.join(d, name))
            continue
        with open(os.path.join(d, name), "w") as f:
            f.write(fmt % (c, i))
PY
if [ "$wordpress" -gt 0 ]; then
	. "$top/scripts/fixtures.sh"
	wp=$(fixture_tree wordpress)
	mkdir -p "$work/m/wp-copy"
	cp -a "$wp/." "$work/m/wp-copy/"
	for c in $(seq 0 $((wordpress - 1))); do
		cp -al "$work/m/wp-copy" "$(printf '%s/m/vhosts/c%04d/httpdocs/wp' "$work" "$c")"
	done
	rm -rf "$work/m/wp-copy"
fi
db="$work/wsid.db"
"$ctl" --db "$work/index.db" index build --from "$top/fingerprints" >/dev/null
rawwalk() { "$raw" "$@" --threads "$(nproc)" "$work/m/vhosts" | sed 's/.*seconds=//'; }
if [ "$scan_only" = 1 ]; then
	# "wall CPU": the raw walk with SHA-256, then each scan (WSID_BENCH_BEFORE:
	# another build's wsidctl, run the same way beside this one)
	timed() { /usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" > "$work/out"; awk '{printf "%.2f %.2f %d", $1, $2 + $3, $4 / 1024}' "$work/t"; }
	sync
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $files files in $webspaces webspaces$([ "$ext4" = 1 ] && echo ' (ext4 image)')"
	for c in "$ctl" ${WSID_BENCH_BEFORE:-}; do
		read -r rs rc _ <<<"$(timed "$raw" --sha256 --threads "$(nproc)" "$work/m/vhosts")"
		read -r ss sc skb <<<"$(timed "$c" --db "$work/index.db" scan --standalone --json --jobs "$(nproc)" "$work/m/vhosts")"
		printf '%s\n  raw walk + SHA-256 %.2f s wall, %.2f s CPU; scan --json %.2f s wall, %.2f s CPU (%.2fx CPU), peak RSS %d MB, JSON %d MB\n' \
			"$c" "$rs" "$rc" "$ss" "$sc" "$(echo "$sc / $rc" | bc -l)" "$skb" $(( $(stat -c %s "$work/out") >> 20 ))
		[ "$c" = "$ctl" ] && bench_result scale_scan_rss_mb "$skb"
	done
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi
printf 'database: %s\ncontrol_socket: %s/control\nwebspaces:\n  - pattern: %s/m/vhosts/{customer}/httpdocs\n' \
	"$db" "$work" "$work" > "$work/wsid.yaml"
run() {
	"$wsid" --config "$work/wsid.yaml" --foreground >> "$work/wsid.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do "$ctl" --socket "$work/control" status >/dev/null 2>&1 && break; sleep 0.05; done
}
# CPU seconds (user + system) the daemon has used so far
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat"; }
# progress ELAPSED: entries known to the daemon, its RSS, peak RSS and CPU so far
progress() {
	local known
	known=$("$ctl" --socket "$work/control" status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"])' 2>/dev/null || echo "?")
	printf '  %6.0f s: %s entries stored, RSS %d MB (%s), peak %d MB, %.1f s CPU\n' "$1" "$known" \
		$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) "$(rss_parts)" \
		$(( $(awk '/VmHWM/ {print $2}' /proc/$pid/status) / 1024 )) "$(cpu_s)"
}
# status_time: seconds the daemon takes to answer one status call (its
# "files" figure among them), waited for without the 5 s limit of wsidctl
status_time() {
	python3 - "$work/control" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
t = time.monotonic(); s.sendall(b"status\n"); b = b""
while not b.endswith(b"\n"):
    c = s.recv(65536)
    if not c:
        break
    b += c
print("%.3f" % (time.monotonic() - t))
PY
}
# what the RSS is made of: the heap and stacks (anonymous: SQLite's page
# cache is there) and mapped files (the -shm WAL index, the binary)
rss_parts() {
	awk '/^Anonymous:/ {a = $2} /^Rss:/ {r = $2} END {printf "anon %d, files %d", a / 1024, (r - a) / 1024}' \
		"/proc/$pid/smaps_rollup"
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for wsid in "${bins[@]}"; do
rm -f "$db" "$db"-* && cp "$work/index.db" "$db"
t0=$(date +%s.%N); run
[ -z "$until_s" ] || [ "$(echo "$until_s - $t0 < $timeout" | bc -l)" = 0 ] || timeout=$(echo "$until_s - $t0" | bc -l | cut -d. -f1)
# the baseline, its progress printed every $every s, given $timeout s
"$ctl" --socket "$work/control" sync --timeout "$timeout" >/dev/null 2>&1 &
spid=$! done=0 last=0
while kill -0 "$spid" 2>/dev/null; do
	sleep 1
	el=$(echo "$(date +%s.%N) - $t0" | bc -l)
	if [ "$(echo "$el >= $timeout" | bc -l)" = 1 ]; then kill "$spid" 2>/dev/null || true; break; fi
	if [ "$(echo "$el - $last >= $every" | bc -l)" = 1 ]; then last=$el; progress "$el"; fi
done
wait "$spid" 2>/dev/null && done=1
t1=$(date +%s.%N)
if [ "$done" = 0 ]; then
	echo "daemon: $wsid"
	echo "first baseline not finished after $timeout s; stopped. So far:"
	progress "$(echo "$t1 - $t0" | bc -l)"
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 1
fi
cpu1=$(cpu_s)
known=$(sqlite3 "$db" "SELECT count(*) FROM files")
st1=$(status_time)
hwm1=$(awk '/VmHWM/ {print $2}' /proc/$pid/status); rss1=$(awk '/VmRSS/ {print $2}' /proc/$pid/status); parts1=$(rss_parts)
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
find "$work/m" -type f > /dev/null    # warm the dentries again: a warm restart
t2=$(date +%s.%N); run; "$ctl" --socket "$work/control" sync --timeout 3600 >/dev/null; t3=$(date +%s.%N)
hwm2=$(awk '/VmHWM/ {print $2}' /proc/$pid/status); rss2=$(awk '/VmRSS/ {print $2}' /proc/$pid/status); parts2=$(rss_parts)
# the status call waits 5 s for its answer: a daemon busy past that (a
# checkpoint of a large WAL) answers "down"; asked again, "?" if it never does
hashed="?"
for _ in 1 2 3 4 5 6; do
	hashed=$("$ctl" --socket "$work/control" status --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("files_hashed", "?"))' 2>/dev/null) || hashed="?"
	[ "$hashed" = "?" ] || break
	sleep 5
done
st2=$(status_time)
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "daemon: $wsid"
echo "files known to the daemon: $known in $webspaces webspaces ($([ "$ext4" = 1 ] && echo "ext4 image" || echo tmpfs); database on disk, $(du -m "$db" | cut -f1) MB)"
printf 'first start (baseline: hash + store)   %.1f s, %.1f s CPU, RSS %d MB (%s; peak %d MB)\n' "$(echo "$t1 - $t0" | bc -l)" "$cpu1" $((rss1 / 1024)) "$parts1" $((hwm1 / 1024))
printf 'restart, nothing changed (reconcile)  %.1f s, %s files re-hashed, RSS %d MB (%s; peak %d MB)\n' "$(echo "$t3 - $t2" | bc -l)" "$hashed" $((rss2 / 1024)) "$parts2" $((hwm2 / 1024))
printf 'one status call                         %.3f s after the baseline, %.3f s after the restart\n' "$st1" "$st2"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
raw_stat=0 scan_kb=0
if [ "$daemon_only" = 0 ]; then
raw_stat=$(rawwalk); raw_sha=$(rawwalk --sha256)
/usr/bin/time -f '%e %U %S %M' -o "$work/scan.time" "$ctl" --db "$db" scan --standalone --json --jobs "$(nproc)" "$work/m/vhosts" > /dev/null
read -r scan_s scan_u scan_sy scan_kb < "$work/scan.time"
printf 'raw walk (getdents64 + statx)          %.2f s; with SHA-256 %.2f s\n' "$raw_stat" "$raw_sha"
printf 'wsidctl scan --json                    %.2f s (%.2fx the raw walk with SHA-256), %.1f s CPU, peak RSS %d MB\n' "$scan_s" "$(echo "$scan_s / $raw_sha" | bc -l)" "$(echo "$scan_u + $scan_sy" | bc -l)" $((scan_kb / 1024))
printf 'restart / raw walk                     %.2fx\n' "$(echo "($t3 - $t2) / $raw_stat" | bc -l)"
fi
echo "targets: reconcile of 1 M unchanged files < 10 s; RSS < 64 MB at 1 M files"
bench_result scale_files "$known"
bench_result scale_baseline_s "$(echo "$t1 - $t0" | bc -l)"
bench_result scale_rss_mb $((rss1 / 1024))
bench_result scale_reconcile_s "$(echo "$t3 - $t2" | bc -l)"
bench_result scale_rehashed "$hashed"
bench_result scale_scan_rss_mb $((scan_kb / 1024))
