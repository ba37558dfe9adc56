# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the shell test suites. Source it; it sets up counters,
# a scratch directory, and traps that unmount what the test mounted and stop the
# processes it started (by pid), whatever happens.
set -u
WSID_TOP=${WSID_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WSID_BUILD=${WSID_BUILD:-$WSID_TOP/build}
WSIDCTL="$WSID_BUILD/wsidctl"
WSID="$WSID_BUILD/wsid"
T_PASS=0
T_FAIL=0
T_MOUNTS=()
T_PIDS=()
T_TMP=$(mktemp -d /tmp/wsid-t.XXXXXX)
# WSID_VALGRIND=1: wsid and wsidctl (and the delivery process wsid execs) run
# under valgrind memcheck, one log per process in $T_VG/log; t_done fails a
# check for every log that reports an error or a definite leak. T_SLOW scales
# the waits of these helpers (and of the tests that use it).
WSID_VALGRIND=${WSID_VALGRIND:-0}
T_SLOW=1
# pgrep -f pattern of a delivery process wsid started (its argv[0])
DELIVER_PGREP='^wsid-deliver'
if [ "$WSID_VALGRIND" = 1 ]; then
	T_SLOW=6
	T_VG=$T_TMP/valgrind
	mkdir -p "$T_VG/bin" "$T_VG/log"
	chmod 1777 "$T_VG/log" # wsidctl run as another user writes its log too
	for _b in wsid wsidctl; do
		cat > "$T_VG/bin/$_b" <<-EOF_VG
		#!/bin/sh
		exec valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
		  --track-fds=no --quiet --vgdb=no --trace-children=yes --child-silent-after-fork=yes \\
		  --suppressions="$WSID_TOP/tests/valgrind.supp" \\
		  --log-file="$T_VG/log/$_b.%p.log" "$WSID_BUILD/$_b" "\$@"
		EOF_VG
		chmod 755 "$T_VG/bin/$_b"
	done
	WSIDCTL=$T_VG/bin/wsidctl
	WSID=$T_VG/bin/wsid
	DELIVER_PGREP='/wsid --deliver( |$)'
fi

t_cleanup() {
	local i
	for ((i = ${#T_PIDS[@]} - 1; i >= 0; i--)); do
		kill "${T_PIDS[$i]}" 2>/dev/null
		for _ in $(seq 1 $((10 * T_SLOW))); do kill -0 "${T_PIDS[$i]}" 2>/dev/null || break; sleep 0.2; done
		kill -9 "${T_PIDS[$i]}" 2>/dev/null
	done
	for ((i = ${#T_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${T_MOUNTS[$i]}" 2>/dev/null
	done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

pass() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	local d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
check_eq() { # check_eq "description" expected actual
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
t_done() {
	[ "$WSID_VALGRIND" = 1 ] && valgrind_check
	echo "$T_PASS passed, $T_FAIL failed"; [ "$T_FAIL" -eq 0 ]
}

# valgrind_check: stops what the test started (so that every process writes its
# leak summary), then one check over all valgrind logs of the test
valgrind_check() {
	local i f bad=()
	for ((i = ${#T_PIDS[@]} - 1; i >= 0; i--)); do
		kill "${T_PIDS[$i]}" 2>/dev/null
		for _ in $(seq 1 300); do kill -0 "${T_PIDS[$i]}" 2>/dev/null || break; sleep 0.1; done
	done
	# a delivery process outlives its daemon by a moment
	for _ in $(seq 1 100); do pgrep -f "$T_VG/" >/dev/null || break; sleep 0.1; done
	for f in "$T_VG"/log/*.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$f" ||
			{ [ -s "$f" ] && ! grep -q 'ERROR SUMMARY: 0' "$f" && grep -q '==[0-9]*== ' "$f"; }; then
			bad+=("$f")
		fi
	done
	if [ ${#bad[@]} -eq 0 ]; then
		pass "valgrind: $(ls "$T_VG"/log | wc -l) process logs without errors"
	else
		fail "valgrind: errors in ${#bad[@]} of $(ls "$T_VG"/log | wc -l) process logs"
		for f in "${bad[@]}"; do echo "# $f:"; sed -e 's/^/#   /' "$f" | head -n 60; done
		mkdir -p /tmp/wsid-valgrind-logs && cp "${bad[@]}" /tmp/wsid-valgrind-logs/
	fi
}

# valgrind_skip REASON: a test that makes no sense under valgrind ends here
valgrind_skip() {
	[ "$WSID_VALGRIND" = 1 ] || return 0
	echo "# skipped under valgrind: $*"
	echo "0 passed, 0 failed"
	exit 0
}

# mem_check NAME CMD...: a memory bound, checked except under AddressSanitizer
# (make asan sets WSID_SANITIZE=1), whose shadow memory and quarantine of freed
# blocks make a process's RSS say nothing about the program's own memory
mem_check() {
	if [ "${WSID_SANITIZE:-0}" = 1 ]; then
		echo "# not checked under AddressSanitizer: $1"
		return 0
	fi
	check "$@"
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then echo "needs root"; echo "0 passed, 1 failed"; exit 1; fi
}

# mount_tmpfs DIR [SIZE]: a private tmpfs the test owns; unmounted at exit
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-512m}" wsid-test "$1" || return 1
	T_MOUNTS+=("$1")
}

# fixture_tree PACKAGE: see scripts/fixtures.sh
. "$WSID_TOP/scripts/fixtures.sh"

# copy_tree SRC DEST: a writable copy of a fixture tree
copy_tree() { mkdir -p "$2" && cp -a "$1/." "$2/" && rm -f "$2/.complete"; }

# ---- daemon helpers ----
# daemon_config DIR [extra yaml lines...]: writes DIR/wsid.yaml watching the
# pattern DIR/m/vhosts/{customer}/httpdocs, database in DIR/db (not on the
# watched tmpfs), socket DIR/ctl.sock; mode 0600
daemon_config() {
	local dir=$1; shift
	mkdir -p "$dir/db"
	{
		echo "database: $dir/db/wsid.db"
		echo "control_socket: $dir/ctl.sock"
		echo "webspaces:"
		echo "  - pattern: $dir/m/vhosts/{customer}/httpdocs"
		for l in "$@"; do echo "$l"; done
	} > "$dir/wsid.yaml"
	chmod 600 "$dir/wsid.yaml" # it may hold secrets: wsid refuses them readable by others
}

# daemon_start DIR: index (once) + start wsid in the foreground; waits for the
# control socket and the first sync
daemon_start() {
	local dir=$1 i
	[ -f "$dir/db/wsid.db" ] || "$WSIDCTL" --db "$dir/db/wsid.db" index build --from "$WSID_TOP/fingerprints" >/dev/null
	"$WSID" --config "$dir/wsid.yaml" --foreground >>"$dir/wsid.log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS+=("$DAEMON_PID")
	# a socket left by a killed daemon may still be there: wait for this one
	for i in $(seq 1 $((200 * T_SLOW))); do
		"$WSIDCTL" --socket "$dir/ctl.sock" status >/dev/null 2>&1 && break
		kill -0 "$DAEMON_PID" 2>/dev/null || { echo "wsid exited:"; tail -5 "$dir/wsid.log"; return 1; }
		sleep 0.1
	done
	"$WSIDCTL" --socket "$dir/ctl.sock" sync --timeout $((60 * T_SLOW)) >/dev/null
}

daemon_stop() { # graceful
	kill "$DAEMON_PID" 2>/dev/null
	for _ in $(seq 1 $((50 * T_SLOW))); do kill -0 "$DAEMON_PID" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$DAEMON_PID" 2>/dev/null
}

wsync() { "$WSIDCTL" --socket "$1/ctl.sock" sync --timeout "${2:-$((60 * T_SLOW))}" >/dev/null; }

# events_json DIR: every event as JSON lines
events_json() { "$WSIDCTL" --db "$1/db/wsid.db" events --json; }

# evq DIR FIELD=VALUE... -- FIELD: prints FIELD of the last event matching all
# conditions (path conditions match the end of the path), or nothing
evq() {
	local dir=$1; shift
	events_json "$dir" | python3 "$WSID_TOP/tests/lib/evq.py" "$@"
}

# ---- receivers on 127.0.0.1 (the notification suites) ----
# start_receivers DIR HOOK...: a webhook receiver per name (secret s3cret; its
# port in DIR/NAME.port, requests in DIR/NAME.log, answer mode in DIR/NAME.mode)
# and an SMTP server (DIR/smtp.port, messages in DIR/mail); waits for the ports
start_receivers() {
	local dir=$1 h ready
	shift
	for h in "$@"; do
		echo ok > "$dir/$h.mode"
		/usr/bin/python3 "$WSID_TOP/tests/lib/webhook_receiver.py" "$dir/$h.port" "$dir/$h.log" "$dir/$h.mode" s3cret &
		T_PIDS+=($!)
	done
	echo ok > "$dir/smtp.mode"
	/usr/bin/python3 "$WSID_TOP/tests/lib/smtp_receiver.py" "$dir/smtp.port" "$dir/mail" "$dir/smtp.mode" &
	T_PIDS+=($!)
	for _ in $(seq 1 100); do
		ready=1
		for h in "$@" smtp; do [ -s "$dir/$h.port" ] || ready=0; done
		[ $ready = 1 ] && break
		sleep 0.1
	done
	for h in "$@"; do touch "$dir/$h.log"; done
}
