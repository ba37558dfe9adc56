#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite: unit tests, fuzz corpus replays, then the integration,
# hostile and fault suites (shell scripts that drive the real binaries, as root, on
# file systems they mount themselves). Every program prints "N passed, N failed";
# this adds them up and closes with the total line.
#
# Programs run WSID_TEST_JOBS at a time (default: the number of CPUs). Each
# program is independent: its own temporary directory, its own mounts, its own
# daemon, ports the kernel picks. A suite that must have the machine to itself
# (it installs the package, or changes something the whole machine shares)
# says so with "test-runner: alone" in its first 30 lines (a unit program in
# its .c file): these run at the end, one at a time, when nothing else does. The slowest programs start first (the list below), so
# the last ones to finish are short. A line per program as it ends; the
# order of these lines is the order programs finish in.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
export WSID_BUILD=${WSID_BUILD:-$top/build}
export WSID_TOP=$top
filters=("$@") # names to run: any that contains one of these (none: all)
jobs=${WSID_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in '' | *[!0-9]* | 0) echo "run.sh: WSID_TEST_JOBS must be a positive number, not '$jobs'" >&2; exit 2 ;; esac
log_dir=$(mktemp -d /tmp/wsid-test-logs.XXXXXX)

# the programs that take longest (seconds on 2 CPUs, 2026-12-07), started first
slow_first='integration/package integration/fleet integration/webapp
hostile/scale hostile/storm integration/analysis integration/daemon
integration/notify integration/respond_auto integration/baseline_race'

# run_one NAME CMD...: runs a program, its output into its log, and leaves
# "pass fail seconds" in the log's .res file
run_one() {
	local name=$1; shift
	local log="$log_dir/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS rc p f line
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=0; f=0
	if [ -n "$line" ]; then
		p=$(echo "$line" | awk '{print $1}')
		f=$(echo "$line" | awk '{print $3}')
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ -z "$line" ] && [ "$rc" -eq 0 ]; then p=1; fi
	echo "$p $f $((SECONDS - start))" >"$log.res"
}

# report NAME: the line of a finished program (and its failures' lines)
total_pass=0
total_fail=0
failed_names=()
report() {
	local name=$1 log p f s
	log="$log_dir/$(echo "$name" | tr '/ ' '__').log"
	read -r p f s <"$log.res" || { p=0; f=1; s=0; }
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$f" -ne 0 ]; then
		failed_names+=("$name")
		printf 'FAIL  %-44s %4d passed %3d failed  (%ds)\n' "$name" "$p" "$f" "$s"
		sed -e 's/^/    | /' "$log" | grep -E 'not ok|FAIL|error|Error|ERROR|Sanitizer|runtime error' | head -n 40
	else
		printf 'ok    %-44s %4d passed  (%ds)\n' "$name" "$p" "$s"
	fi
}

matches() {
	local f
	[ ${#filters[@]} -eq 0 ] && return 0
	for f in "${filters[@]}"; do [[ "$1" == *"$f"* ]] && return 0; done
	return 1
}

# the programs to run: their names, whether they run alone, their commands
names=() alone=() cmds=()
add() {
	local name=$1 solo=$2; shift 2
	matches "$name" || return 0
	names+=("$name"); alone+=("$solo"); cmds+=("$(printf '%q ' "$@")")
}
# WSID_VALGRIND=1 (make valgrind): only the suites that drive wsid and wsidctl,
# which tests/lib/lib.sh then runs under valgrind
units=1
[ "${WSID_VALGRIND:-0}" = 1 ] && units=0
if [ "$units" = 1 ]; then
	for t in "$WSID_BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		solo=0
		head -n 30 "$top/tests/unit/$(basename "$t").c" 2>/dev/null | grep -q 'test-runner: alone' && solo=1
		add "unit/$(basename "$t")" "$solo" "$t"
	done
	for r in "$WSID_BUILD"/replay/fuzz_*; do
		[ -x "$r" ] || continue
		b=$(basename "$r")
		add "fuzz-replay/$b" 0 "$r" "$top/tests/fuzz/corpus/$b"
	done
fi
for suite in integration hostile faults; do
	for s in "$top"/tests/$suite/*.sh; do
		[ -f "$s" ] || continue
		solo=0
		head -n 30 "$s" | grep -q 'test-runner: alone' && solo=1
		add "$suite/$(basename "$s" .sh)" "$solo" bash "$s"
	done
done

# the order: the slowest known first, then the rest as listed, then the
# programs that run alone, one after the other
order=()
for n in $slow_first; do
	for i in "${!names[@]}"; do
		[ "${names[$i]}" = "$n" ] && [ "${alone[$i]}" = 0 ] && order+=("$i")
	done
done
for i in "${!names[@]}"; do
	[ "${alone[$i]}" = 0 ] || continue
	case " $slow_first " in *[[:space:]]"${names[$i]}"[[:space:]]*) ;; *) order+=("$i") ;; esac
done
for i in "${!names[@]}"; do [ "${alone[$i]}" = 1 ] && order+=("$i"); done

# run: at most $jobs at once; an "alone" program waits until nothing runs and
# holds every slot while it runs
declare -A running=() # pid -> index
reap() {
	local pid
	wait -n -p pid "${!running[@]}" 2>/dev/null
	[ -n "${pid:-}" ] || return 0
	report "${names[${running[$pid]}]}"
	unset "running[$pid]"
}
start() {
	local i=$1
	eval "run_one \"\${names[$i]}\" ${cmds[$i]}" &
	running[$!]=$i
}
for i in "${order[@]}"; do
	if [ "${alone[$i]}" = 1 ]; then
		while [ ${#running[@]} -gt 0 ]; do reap; done
		start "$i"
		reap
		continue
	fi
	while [ ${#running[@]} -ge "$jobs" ]; do reap; done
	start "$i"
done
while [ ${#running[@]} -gt 0 ]; do reap; done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]} (logs in $log_dir)"
else
	rm -rf "$log_dir"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
