#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/baseline_analysis.sh [--runs R] [--copies N] [--wsid BIN]... [--index-all]
# The cost of the analysis to a node's first baseline: N webspaces (default 2)
# each holding Debian's wordpress (indexed: its release content is never
# analysed), mediawiki, dokuwiki, phpmyadmin and roundcube (no index knows
# them: every PHP file is analysed, once per distinct content), baselined by
# the daemon with `analysis: enabled: true` and `false`, R times each (default
# 3; the fastest run counts). Prints the times, the analyses and cache hits,
# and the ratio (target of issue 18: <= 1.3), with the CPU time (user +
# system) of each run. Each --wsid names a daemon binary to measure (default
# build/wsid; several: side by side, alternating run by run), run with the
# rules of its own tree (the rules/ beside its build/, else this tree's). --index-all ingests the
# Debian releases of the four other products into the index first (as
# bench/identify.sh does): a node whose applications the index all knows.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=3 copies=2 bins=() index_all=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--copies) copies=$2; shift 2 ;;
	--wsid) bins+=("$2"); shift 2 ;;
	--index-all) index_all=1; shift ;;
	*) echo "usage: $0 [--runs R] [--copies N] [--wsid BIN]... [--index-all]" >&2; exit 2 ;;
	esac
done
. "$top/scripts/fixtures.sh"
work=$(mktemp -d /var/tmp/wsid-anbench.XXXXXX)
mnt="$work/m"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt"
mount -t tmpfs -o size=3g wsid-anbench "$mnt"
for c in $(seq 1 "$copies"); do
	for p in wordpress mediawiki dokuwiki phpmyadmin roundcube; do
		t=$(fixture_tree $p)
		mkdir -p "$mnt/vhosts/c$c/httpdocs/$p"
		cp -a "$t/." "$mnt/vhosts/c$c/httpdocs/$p/"
		rm -f "$mnt/vhosts/c$c/httpdocs/$p/.complete"
	done
done
nfiles=$(find "$mnt/vhosts" -type f | wc -l)
nphp=$(find "$mnt/vhosts" -type f -name '*.php' | wc -l)
mb=$(du -sm "$mnt/vhosts" | cut -f1)
"$top/build/wsidctl" --db "$work/index.db" index build --from "$top/fingerprints" >/dev/null
if [ "$index_all" = 1 ]; then
	for p in mediawiki dokuwiki phpmyadmin roundcube; do
		t=$(fixture_tree $p)
		d=$p; [ $p = roundcube ] && d=roundcube-core
		v=$(dpkg-deb -f "$(ls "$FIXTURE_CACHE"/debs/${d}_*.deb | head -n 1)" Version)
		v=${v#*:}; v=${v%%-*}; v=${v%%+*} # the upstream version
		"$top/build/wsidctl" --db "$work/index.db" index ingest --product $p --version "$v" \
			--out "$work/fp" "$t" >/dev/null
	done
fi
run() { # run ENABLED: seconds to the end of the baseline (all analyses in)
	rm -f "$work/wsid.db"* && cp "$work/index.db" "$work/wsid.db"
	cat > "$work/wsid.yaml" <<YAML
database: $work/wsid.db
control_socket: $work/ctl.sock
webspaces:
  - pattern: $mnt/vhosts/{customer}/httpdocs
analysis:
  enabled: $1
  rules: ['$rules']
YAML
	local t0 t1
	t0=$(date +%s.%N)
	"$wsid" --config "$work/wsid.yaml" --foreground >"$work/log" 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do "$top/build/wsidctl" --socket "$work/ctl.sock" status >/dev/null 2>&1 && break; sleep 0.05; done
	"$top/build/wsidctl" --socket "$work/ctl.sock" sync --timeout 600 >/dev/null
	t1=$(date +%s.%N)
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat")
	st=$("$top/build/wsidctl" --socket "$work/ctl.sock" status --json)
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
	python3 -c 'import json,sys; s=json.loads(sys.argv[3]); print("%.2f %d %d %d %s" % (float(sys.argv[2]) - float(sys.argv[1]), s["analyses"], s["analysis_cache_hits"], s["analysis_findings"], sys.argv[4]))' "$t0" "$t1" "$st" "$cpu"
}
# the scan of the same tree with the same index, for the first start's
# ratio to it (issue 21: <= 2x in CPU)
/usr/bin/time -f '%e %U %S %M' -o "$work/scan.time" "$top/build/wsidctl" --db "$work/index.db" \
	scan --standalone --json --jobs "$(nproc)" "$mnt/vhosts" > /dev/null
read -r scan_s scan_u scan_sy scan_kb < "$work/scan.time"
scan_cpu=$(echo "$scan_u + $scan_sy" | bc -l)
echo "node: $copies webspaces, $nfiles files ($nphp .php), $mb MB; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wsidctl scan --json: ${scan_s} s, CPU ${scan_cpu} s, peak RSS $((scan_kb / 1024)) MB"
[ ${#bins[@]} -gt 0 ] || bins=("$top/build/wsid")
# rules_of BIN: the rule files of BIN's own tree (its build's ../rules), else this tree's
rules_of() {
	local d
	d=$(cd "$(dirname "$1")/.." && pwd)/rules
	[ -d "$d" ] || d=$top/rules
	echo "$d/*.yar"
}
# the builds alternate run by run (a load that changes meanwhile weighs on each);
# per build, the fastest run counts, in wall and in CPU time
declare -A best_on best_off cpu_on cpu_off
for r in $(seq 1 "$runs"); do
	for i in "${!bins[@]}"; do
		wsid=${bins[$i]}
		rules=$(rules_of "$wsid")
		off=$(run false); on=$(run true)
		echo "run $r, daemon $wsid (rules $rules): analysis off ${off%% *} s (CPU ${off##* } s, $(python3 -c "print('%.2f' % (${off##* } / $scan_cpu))")x scan); on ${on%% *} s (CPU ${on##* } s, $(python3 -c "print('%.2f' % (${on##* } / $scan_cpu))")x scan; analyses, cache hits, findings: $(echo "$on" | cut -d' ' -f2-4))"
		best_off[$i]=$(python3 -c "print(min(float('${off%% *}'), float('${best_off[$i]:-1e9}')))")
		best_on[$i]=$(python3 -c "print(min(float('${on%% *}'), float('${best_on[$i]:-1e9}')))")
		cpu_off[$i]=$(python3 -c "print(min(float('${off##* }'), float('${cpu_off[$i]:-1e9}')))")
		cpu_on[$i]=$(python3 -c "print(min(float('${on##* }'), float('${cpu_on[$i]:-1e9}')))")
	done
done
for i in "${!bins[@]}"; do
	python3 -c "print('%s: fastest: off %.2f s, on %.2f s: ratio %.2f (target <= 1.3); least CPU: off %.2f s, on %.2f s: ratio %.2f' % ('${bins[$i]}', ${best_off[$i]}, ${best_on[$i]}, ${best_on[$i]} / ${best_off[$i]}, ${cpu_off[$i]}, ${cpu_on[$i]}, ${cpu_on[$i]} / ${cpu_off[$i]}))"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
