#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/scan.sh [--customers N] [--runs R] [--node DEST] [--keep] [--shipped-only]
# Side by side on the same warm tree, in one run: wsidctl scan (hash + index
# lookups + identification + JSON report) against the pipeline admins script
# (find | xargs -P$(nproc) sha256sum) and aide --init (sha256 only). Prints
# median wall time (and range), files/s, MB/s, peak RSS, and the ratios; the
# limit line is bench/rawwalk.c (getdents64 + statx + OpenSSL SHA-256 on as
# many threads as wsid's jobs, nothing else): wsid's target is <= 1.1x it,
# peak RSS < 64 MB whatever the tree's size. Also times
# `wsidctl index build` of every shipped set (target: < 30 s). CPU (user +
# system) is the median of the runs too. WSID_BENCH_BEFORE=WSIDCTL: another
# build's wsidctl, measured the same way beside this one (row wsid-before).
# The index is the one a hoster has: the shipped sets plus the releases the
# node runs (its .node-manifest.tsv), ingested as bench/identify.sh does,
# and the plugins WordPress's package bundles (Akismet: 20 PHP files in
# each WordPress site, analysed as no release before they were ingested);
# --shipped-only leaves them out (then every PHP file of the products no
# shipped set knows is "no release" and analysed). Row wsid-noanalysis: this
# build with --no-analysis, the identification without the analysis. The analysis uses the
# tree's rules (rules/*.yar); how many files each build analysed is printed
# (one untimed text run each). With WSID_BENCH_RESULTS set, the figures are
# appended to it (bench/lib.sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bench_result() { if [ -n "${WSID_BENCH_RESULTS:-}" ]; then echo "$1=$2" >> "$WSID_BENCH_RESULTS"; fi; }
customers=${WSID_BENCH_CUSTOMERS:-30} runs=3 node="" keep=0 shipped_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--shipped-only) shipped_only=1; shift ;;
	*) echo "usage: $0 [--customers N] [--runs R] [--node DEST] [--keep] [--shipped-only]" >&2; exit 2 ;;
	esac
done
# a typo in --node would time an empty tree
[ -z "$node" ] || [ -d "$node/vhosts" ] || { echo "scan.sh: $node/vhosts: no node there (bench/make-node.sh makes one)" >&2; exit 2; }
. "$top/scripts/fixtures.sh"
bash "$top/scripts/deps.sh" bench
ctl="$top/build/wsidctl" raw="$top/build/rawwalk"
[ -x "$ctl" ] && [ -x "$raw" ] || make -C "$top" -j"$(nproc)" all bench-tools >/dev/null
work=$(mktemp -d /var/tmp/wsid-bench.XXXXXX)
made=0
if [ -z "$node" ]; then
	node="$work/node"
	bash "$top/bench/make-node.sh" --customers "$customers" "$node"
	made=1
fi
cleanup() {
	[ "$made" = 1 ] && [ "$keep" = 0 ] && bash "$top/bench/make-node.sh" --unmount "$node"
	rm -rf "$work"
}
trap cleanup EXIT
tree="$node/vhosts"
files=$(find "$tree" -type f | wc -l)
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}')
nproc=$(nproc)

db="$work/wsid.db"
t0=$(date +%s.%N)
"$ctl" --db "$db" index build --from "$top/fingerprints" >/dev/null
t1=$(date +%s.%N)
index_s=$(echo "$t1 - $t0" | bc)
# index_node WSIDCTL DB: the releases the node runs into the index (its
# manifest: product, version); WordPress is shipped, the plugins its package
# bundles (Akismet) are not: a hoster has their sets (wsidctl index fetch),
# so they are ingested from the package's tree, each at the version its
# header says
index_node() {
	local d v
	[ "$shipped_only" = 0 ] && [ -f "$node/.node-manifest.tsv" ] || return 0
	cut -f3,4 "$node/.node-manifest.tsv" | sort -u | while read -r prod ver; do
		[ "$prod" = wordpress ] && continue
		"$1" --db "$2" index ingest --product "$prod" --version "$ver" --out "$work/fp.$(basename "$2")" \
			"$(fixture_tree "$prod")" >/dev/null
	done
	cut -f3 "$node/.node-manifest.tsv" | grep -qx wordpress || return 0
	for d in "$(fixture_tree wordpress)"/wp-content/plugins/*/; do
		v=$(grep -h -m1 -i '^[ *]*Version:' "$d"*.php 2>/dev/null | head -1 | sed 's/.*Version:[[:space:]]*//I; s/[[:space:]]*$//')
		[ -n "$v" ] || continue
		"$1" --db "$2" index ingest --product "$(basename "$d")" --version "$v" --kind plugin \
			--out "$work/fp.$(basename "$2")" "$d" >/dev/null
	done
}
index_node "$ctl" "$db"
# the analysis's rules: each build its tree's
rules_cfg() { printf 'analysis:\n  rules: ["%s/*.yar"]\n' "$1" > "$2"; }
rules_cfg "$top/rules" "$work/wsid.yaml"
cat > "$work/aide.conf" <<AIDE
database_out=file:$work/aide.db.new
gzip_dbout=no
Sha = sha256
$tree Sha
AIDE

# warm the page cache once, untimed
find "$tree" -type f -print0 | xargs -0 -P"$nproc" -n500 cat > /dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
measure() { # name command...: median, min and max wall seconds, max RSS, median CPU over $runs runs
	local name=$1; shift
	local i w m u sy walls=() cpus=() rss=0
	for i in $(seq 1 "$runs"); do
		/usr/bin/time -f '%e %M %U %S' -o "$work/time.out" "$@" > /dev/null 2>&1 || true
		read -r w m u sy < <(tail -1 "$work/time.out")
		walls+=("$w")
		cpus+=("$(echo "$u + $sy" | bc -l)")
		[ "$m" -gt "$rss" ] && rss=$m
	done
	local cpu
	read -r cpu _ < <(printf '%s\n' "${cpus[@]}" | median)
	printf '%s %s %s %s\n' "$name" "$(printf '%s\n' "${walls[@]}" | median)" "$rss" "$cpu"
	bench_result "scan_${name}_s" "$(printf '%s\n' "${walls[@]}" | median | cut -d' ' -f1)"
	bench_result "scan_${name}_cpu_s" "$cpu"
	bench_result "scan_${name}_rss_mb" "$(echo "$rss / 1024" | bc -l)"
}
res=$work/results
measure rawwalk+sha "$raw" --sha256 --threads "$nproc" "$tree" > "$res"
measure rawwalk "$raw" --threads "$nproc" "$tree" >> "$res"
# analysed NAME WSIDCTL ARGS...: how many files the scan analysed (an untimed
# text run: its summary line on stderr)
analysed() {
	local name=$1 n; shift
	n=$("$@" 2>&1 >/dev/null | sed -n 's/^analysed \([0-9]*\) files that are no release.*/\1/p' |
		awk '{s += $1} END {print s + 0}')
	echo "$name $n" >> "$work/analysed"
	bench_result "scan_${name}_analysed" "$n"
}
measure wsid "$ctl" --config "$work/wsid.yaml" --db "$db" scan --json --jobs "$nproc" "$tree" >> "$res"
analysed wsid "$ctl" --config "$work/wsid.yaml" --db "$db" scan --jobs "$nproc" "$tree"
# the same without the analysis: what the identification alone costs
measure wsid-noanalysis "$ctl" --config "$work/wsid.yaml" --db "$db" scan --json --no-analysis --jobs "$nproc" "$tree" >> "$res"
if [ -n "${WSID_BENCH_BEFORE:-}" ]; then
	# an index of its own schema, from its own tree's sets when it has them
	btop=$(dirname "$WSID_BENCH_BEFORE")/..
	fp=$btop/fingerprints; [ -d "$fp" ] || fp=$top/fingerprints
	rd=$btop/rules; [ -d "$rd" ] || rd=$top/rules
	"$WSID_BENCH_BEFORE" --db "$work/before.db" index build --from "$fp" > /dev/null
	index_node "$WSID_BENCH_BEFORE" "$work/before.db"
	rules_cfg "$rd" "$work/before.yaml"
	measure wsid-before "$WSID_BENCH_BEFORE" --config "$work/before.yaml" --db "$work/before.db" scan --json --jobs "$nproc" "$tree" >> "$res"
	analysed wsid-before "$WSID_BENCH_BEFORE" --config "$work/before.yaml" --db "$work/before.db" scan --jobs "$nproc" "$tree"
fi
measure sha256sum sh -c "find '$tree' -type f -print0 | xargs -0 -P$nproc -n500 sha256sum" >> "$res"
runs_aide=$runs; [ "$runs" -gt 1 ] && runs=1
measure aide aide --config="$work/aide.conf" --init >> "$res"
runs=$runs_aide
echo
index="the shipped sets and the node's releases"; [ "$shipped_only" = 1 ] && index="the shipped sets alone"
echo "tree: $tree  ($files files, $(echo "$bytes / 1000000" | bc) MB, $nproc cores, warm cache, median of $runs runs; aide 1 run; load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "index: $index; files analysed (code that is no release): $(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}' "$work/analysed")"
printf '%-15s %9s %13s %9s %11s %9s %12s %8s\n' tool "wall s" "range s" "x raw+sha" "files/s" "MB/s" "peak RSS MB" "CPU s"
r=$(awk '$1=="rawwalk+sha" {print $2}' "$res")
while read -r name wall lo hi rss cpu; do
	# a tiny tree can take 0.00 s (time's resolution): no rate then
	awk -v n="$name" -v w="$wall" -v lo="$lo" -v hi="$hi" -v r="$r" -v f="$files" -v b="$bytes" -v m="$rss" -v c="$cpu" 'BEGIN {
		printf "%-15s %9.2f %6.2f-%-6.2f %9.2f %11.0f %9.0f %12.1f %8.2f\n", n, w, lo, hi, (r > 0 ? w / r : 0),
			(w > 0 ? f / w : 0), (w > 0 ? b / 1000000 / w : 0), m / 1024, c }'
done < "$res"
w=$(awk '$1=="wsid" {print $2}' "$res"); s=$(awk '$1=="sha256sum" {print $2}' "$res"); a=$(awk '$1=="aide" {print $2}' "$res")
wrss=$(awk '$1=="wsid" {print $5}' "$res")
rc=$(awk '$1=="rawwalk+sha" {print $6}' "$res"); wc=$(awk '$1=="wsid" {print $6}' "$res")
printf '\nlimit: wsid scan is %.2fx the raw walk with SHA-256 in wall time, %.2fx in CPU (target <= 1.1x); peak RSS %.1f MB (target < 64 MB)\n' \
	"$(echo "$w / $r" | bc -l)" "$(echo "$wc / $rc" | bc -l)" "$(echo "$wrss / 1024" | bc -l)"
nc=$(awk '$1=="wsid-noanalysis" {print $6}' "$res")
printf 'without the analysis (--no-analysis): %.2fx the raw walk in CPU\n' "$(echo "$nc / $rc" | bc -l)"
if [ -n "${WSID_BENCH_BEFORE:-}" ]; then
	bc_=$(awk '$1=="wsid-before" {print $6}' "$res"); bw=$(awk '$1=="wsid-before" {print $2}' "$res")
	printf 'before: %.2fx the raw walk in wall time, %.2fx in CPU; this build takes %.2fx the CPU of the one before\n' \
		"$(echo "$bw / $r" | bc -l)" "$(echo "$bc_ / $rc" | bc -l)" "$(echo "$wc / $bc_" | bc -l)"
fi
bench_ok=1
[ "$(echo "$w <= 1.1 * $r" | bc -l)" = 1 ] || bench_ok=0
[ "$wrss" -lt $((64 * 1024)) ] || bench_ok=0
printf '\nratios: wsid is %.1fx faster than find|xargs sha256sum (target >= 2x), %.1fx faster than aide --init (target >= 5x)\n' \
	"$(echo "$s / $w" | bc -l)" "$(echo "$a / $w" | bc -l)"
printf 'index build of every shipped set: %.1f s (target < 30 s)\n' "$index_s"
bench_result scan_files "$files"
bench_result index_build_s "$index_s"
[ "$bench_ok" = 1 ] || { echo "scan: a target of the limit line missed"; exit 1; }
