#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite: unit tests, fuzz corpus replays, then the integration,
# hostile and fault suites (shell scripts that drive the real binaries, as root, on
# file systems they mount themselves). Every program prints "N passed, N failed";
# this adds them up and closes with the total line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
export WSID_BUILD=${WSID_BUILD:-$top/build}
export WSID_TOP=$top
filters=("$@") # names to run: any that contains one of these (none: all)
total_pass=0
total_fail=0
failed_names=()
log_dir=$(mktemp -d /tmp/wsid-test-logs.XXXXXX)

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
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$f" -ne 0 ]; then
		failed_names+=("$name")
		printf 'FAIL  %-44s %4d passed %3d failed  (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
		sed -e 's/^/    | /' "$log" | grep -E 'not ok|FAIL|error|Error|ERROR|Sanitizer|runtime error' | head -n 40
	else
		printf 'ok    %-44s %4d passed  (%ds)\n' "$name" "$p" $((SECONDS - start))
	fi
}

matches() {
	local f
	[ ${#filters[@]} -eq 0 ] && return 0
	for f in "${filters[@]}"; do [[ "$1" == *"$f"* ]] && return 0; done
	return 1
}

# WSID_VALGRIND=1 (make valgrind): only the suites that drive wsid and wsidctl,
# which tests/lib/lib.sh then runs under valgrind
units=1
[ "${WSID_VALGRIND:-0}" = 1 ] && units=0
[ "$units" = 1 ] && for t in "$WSID_BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	n="unit/$(basename "$t")"; matches "$n" && run_one "$n" "$t"
done
[ "$units" = 1 ] && for r in "$WSID_BUILD"/replay/fuzz_*; do
	[ -x "$r" ] || continue
	b=$(basename "$r")
	n="fuzz-replay/$b"; matches "$n" && run_one "$n" "$r" "$top/tests/fuzz/corpus/$b"
done
for suite in integration hostile faults; do
	for s in "$top"/tests/$suite/*.sh; do
		[ -f "$s" ] || continue
		n="$suite/$(basename "$s" .sh)"; matches "$n" && run_one "$n" bash "$s"
	done
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]} (logs in $log_dir)"
else
	rm -rf "$log_dir"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
