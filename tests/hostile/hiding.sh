#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A tenant hiding a file from the live daemon, run as the tenant (uid 1234):
# a web shell renamed into uploads/ under a write lease (one holder that keeps
# it, one that gives it up and takes it again at every break), a name that
# looks like an O_TMPFILE's ("#31337"), a file appended to for ever. Each is
# recorded (never dropped) and judged once it can be read; another tenant's
# change is stored meanwhile.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root

TENANT=1234
OTHER=1235
as_tenant() { setpriv --reuid=$TENANT --regid=$TENANT --clear-groups "$@"; }
as_other() { setpriv --reuid=$OTHER --regid=$OTHER --clear-groups "$@"; }

hostile_pre() {
	# the tenants reach their directories (the scratch directory is 0700)
	chmod 755 "$D" "$D/m" "$D/m/vhosts"
	mkdir -p "$WS/wp-content/uploads" "$D/m/vhosts/alice/stage" "$D/m/vhosts/bob/httpdocs"
	echo "hello" > "$WS/wp-content/uploads/#31337"
	chown -R $TENANT:$TENANT "$D/m/vhosts/alice"
	chown -R $OTHER:$OTHER "$D/m/vhosts/bob"
	# a shell already under a lease when the daemon starts: its baseline
	# meets the lease as a reconcile would
	UP=$WS/wp-content/uploads
	printf '%s\n' "$SHELL_PHP" > "$UP/early.php"
	chown $TENANT:$TENANT "$UP/early.php"
	setpriv --reuid=$TENANT --regid=$TENANT --clear-groups \
		/usr/bin/python3 "$WSID_TOP/tests/lib/lease.py" stubborn "$D/stop0" "$UP/early.php" > "$D/lease0.log" 2>&1 &
	early=$!
	T_PIDS+=($early)
	for _ in $(seq 1 100); do grep -q leased "$D/lease0.log" && break; sleep 0.05; done
}
SHELL_PHP='<?php system($_GET["c"]); ?>'
# judged by its place (`suspicious`); the analysis would make these shells
# `malicious` (integration/analysis.sh): what is tested is that they are read.
# max_file_size 2g: the file appended to for ever below grows past the default
# 64 MiB within the test on an idle machine, and must still be hashed
hostile_init 512m "analysis:" "  enabled: false" "max_file_size: 2g" || { fail "set-up"; t_done; exit 1; }
BOB=$D/m/vhosts/bob/httpdocs
check_eq "a shell leased before the start: the baseline records it locked" "locked baseline" \
	"$(evq "$D" "path=$UP/early.php" -- verdict source)"

# wait_for WHAT SECONDS COND...: polls COND (a command) until true or timeout
wait_for() {
	local what=$1 t=$2 s=$SECONDS; shift 2
	while ! "$@"; do
		[ $((SECONDS - s)) -ge "$t" ] && break
		sleep 0.2
	done
	check "$what (after $((SECONDS - s))s, bound ${t}s)" "$@"
}
verdict_is() { [ "$(evq "$D" "path=$1" -- verdict)" = "$2" ]; }
row_is() { [ "$(file_row "$1" "$2")" = "$3" ]; }
ms() { date +%s%3N; }
# lease_shell MODE NAME STOPFILE LOG: the tenant stages a web shell outside its
# webspace and takes a write lease on it (tests/lib/lease.py MODE); $holder
lease_shell() {
	printf '%s\n' "$SHELL_PHP" > "$D/m/vhosts/alice/stage/$2"
	chown $TENANT:$TENANT "$D/m/vhosts/alice/stage/$2"
	setpriv --reuid=$TENANT --regid=$TENANT --clear-groups \
		/usr/bin/python3 "$WSID_TOP/tests/lib/lease.py" "$1" "$3" "$D/m/vhosts/alice/stage/$2" > "$4" 2>&1 &
	holder=$!
	T_PIDS+=($holder)
	for _ in $(seq 1 100); do grep -q leased "$4" && break; sleep 0.05; done
}

# -- a name like an O_TMPFILE's is judged by its inode, not by its digits
as_tenant bash -c "printf '%s\n' '$SHELL_PHP' > '$UP/#4711'"
bounded_sync "#4711 written" 30
check_eq "uploads/#4711 holding PHP (new): suspicious at once, not only after a reconcile" \
	"suspicious" "$(evq "$D" "path=$UP/#4711" -- verdict)"
# a file the daemon found at its start (no handle seen yet), rewritten in place
as_tenant bash -c "printf '%s\n' '$SHELL_PHP' > '$UP/#31337'"
bounded_sync "#31337 rewritten" 30
check_eq "uploads/#31337 rewritten with PHP: suspicious at once" \
	"suspicious" "$(evq "$D" "path=$UP/#31337" -- verdict)"
check_eq "uploads/#31337: its row holds the PHP's hash" "$(printf '%s\n' "$SHELL_PHP" | sha256sum | cut -d' ' -f1)" \
	"$(file_row "wp-content/uploads/#31337" "lower(hex(sha256))")"
# (an O_TMPFILE written after linkat is still followed by its handle: daemon.sh)

# -- a web shell renamed into uploads/ under a write lease that its holder keeps
lease_shell stubborn shell.php "$D/stop1" "$D/lease1.log"
check "the tenant holds a write lease on its shell" grep -q leased "$D/lease1.log"
t0=$(ms)
as_tenant mv "$D/m/vhosts/alice/stage/shell.php" "$UP/shell.php"
# meanwhile another tenant's change is stored promptly
sleep 0.3
as_other bash -c "echo 'bob was here' > '$BOB/index.html'"
t1=$(ms)
wait_for "another tenant's change while the lease is waited for: stored" 5 \
	row_is index.html status ok
bob_ms=$(( $(ms) - t1 ))
check "... within 1 s (${bob_ms} ms, polled)" [ "$bob_ms" -le 1000 ]
bounded_sync "leased shell" 30
check_eq "the leased shell is recorded: verdict locked (warning)" "locked warning" \
	"$(evq "$D" "path=$UP/shell.php" -- verdict severity)"
check "... the reason says a lease kept it closed and what its name says" \
	grep -q "file lease.*by its name: " <<<"$(evq "$D" "path=$UP/shell.php" -- reason)"
check_eq "... stored as locked, size known, no hash" "locked|$(printf '%s\n' "$SHELL_PHP" | wc -c)|" \
	"$(file_row "wp-content/uploads/shell.php" "status||'|'||size||'|'||coalesce(hex(sha256),'')")"
check "... the holder was asked to yield (a lease break)" grep -q "break" "$D/lease1.log"
locked_ms=$(( $(ms) - t0 ))
# the kernel breaks a lease its holder keeps after fs.lease-break-time: a
# daemon that waited for the file would take that long; wsid must not (the
# bound is half of it so that a loaded machine does not decide the result)
lease_break_ms=$(( $(cat /proc/sys/fs/lease-break-time) * 1000 ))
check "... recorded without waiting out the lease (${locked_ms} ms; the kernel breaks it after ${lease_break_ms} ms)" \
	[ "$locked_ms" -lt $(( lease_break_ms / 2 > 6000 ? lease_break_ms / 2 : 6000 )) ]
daemon_alive "leased shell"
# the holder lets go: the real content is judged (parked 10 s, then looked at)
touch "$D/stop1" "$D/stop0"
wait "$holder" "$early"
wait_for "once the lease is gone: the shell is judged suspicious" 25 \
	verdict_is "$UP/shell.php" suspicious
wait_for "... and the one leased before the start too" 25 verdict_is "$UP/early.php" suspicious
check_eq "... its row holds the shell's hash" "$(printf '%s\n' "$SHELL_PHP" | sha256sum | cut -d' ' -f1)" \
	"$(file_row "wp-content/uploads/shell.php" "lower(hex(sha256))")"

# -- a holder that gives the lease up at every break and takes it again at once
lease_shell evasive evasive.php "$D/stop2" "$D/lease2.log"
as_tenant mv "$D/m/vhosts/alice/stage/evasive.php" "$UP/evasive.php"
bounded_sync "evasive lease" 30
check_eq "a holder that takes its lease again at every break: judged suspicious by the open that waits" \
	"suspicious" "$(evq "$D" "path=$UP/evasive.php" -- verdict)"
check_eq "... never stored locked" 0 "$(evq "$D" "path=$UP/evasive.php" verdict=locked -- count)"
touch "$D/stop2"
wait "$holder"
echo "# evasive holder: $(tail -n 1 "$D/lease2.log")"

# -- a file appended to for ever: `changing` after the cap, CPU bounded, judged once it stops
mkdir -p "$WS/data"; chown $TENANT:$TENANT "$WS/data"
as_tenant bash -c "head -c 30000000 /dev/zero > '$WS/data/grow.log'"
bounded_sync "grow.log written" 30
# setpriv itself in the background (not a function): $! is the writer
setpriv --reuid=$TENANT --regid=$TENANT --clear-groups \
	bash -c "while :; do echo 'one more line' >> '$WS/data/grow.log'; done" &
writer=$!
T_PIDS+=($writer)
cpu0=$(awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat")
wait_for "a file appended to for ever: stored changing" 20 verdict_is "$WS/data/grow.log" changing
check_eq "... at low severity (info)" "info" "$(evq "$D" "path=$WS/data/grow.log" verdict=changing -- severity)"
hashed() { "$WSIDCTL" --socket "$D/ctl.sock" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["files_hashed"])'; }
hashed0=$(hashed)
sleep 10
hashed1=$(hashed)
cpu1=$(awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat")
echo "# while appended to: $((hashed1 - hashed0)) hashes in 10 s; daemon CPU $(( (cpu1 - cpu0) * 10 )) ms since the writer started"
check "... then hashed at most 4 times in 10 s ($((hashed1 - hashed0)))" [ $((hashed1 - hashed0)) -le 4 ]
check "... daemon CPU under 1.5 s in the 14 s or more since the writer started ($(( (cpu1 - cpu0) * 10 )) ms)" [ $(( (cpu1 - cpu0) * 10 )) -lt 1500 ]
check_eq "... one changing event, not one per attempt" 1 "$(evq "$D" "path=$WS/data/grow.log" verdict=changing -- count)"
kill "$writer"; wait "$writer" 2>/dev/null
size=$(stat -c %s "$WS/data/grow.log")
wait_for "once the writer stops: its final content is judged (changed-unknown)" 40 \
	verdict_is "$WS/data/grow.log" changed-unknown
check_eq "... its final content stored" "$(sha256sum < "$WS/data/grow.log" | cut -d' ' -f1)|$size" \
	"$(file_row "data/grow.log" "lower(hex(sha256))||'|'||size")"
# -- leases on many files at once: each recorded, one worker at most waits, the other tenant unaffected
mkdir -p "$D/m/vhosts/alice/stage/many"
for i in $(seq 1 20); do printf '%s\n' "$SHELL_PHP" > "$D/m/vhosts/alice/stage/many/s$i.php"; done
chown -R $TENANT:$TENANT "$D/m/vhosts/alice/stage/many"
setpriv --reuid=$TENANT --regid=$TENANT --clear-groups /usr/bin/python3 "$WSID_TOP/tests/lib/lease.py" \
	stubborn "$D/stop3" "$D"/m/vhosts/alice/stage/many/s*.php > "$D/lease3.log" 2>&1 &
holder=$!
T_PIDS+=($holder)
for _ in $(seq 1 100); do grep -q leased "$D/lease3.log" && break; sleep 0.05; done
for i in $(seq 1 20); do as_tenant mv "$D/m/vhosts/alice/stage/many/s$i.php" "$UP/many-$i.php"; done
# threads of the daemon asleep in a lease break, sampled while they are retried
waiting_max=0
for _ in $(seq 1 30); do
	n=$(cat /proc/"$DAEMON_PID"/task/*/wchan 2>/dev/null | tr '\0' '\n' | grep -c lease)
	[ "$n" -gt "$waiting_max" ] && waiting_max=$n
	sleep 0.1
done
as_other bash -c "echo 'bob again' > '$BOB/again.html'"
t1=$(ms)
wait_for "20 leased shells: another tenant's change stored meanwhile" 5 row_is again.html status ok
bob_ms=$(( $(ms) - t1 ))
check "... within 1 s (${bob_ms} ms, polled)" [ "$bob_ms" -le 1000 ]
check_eq "... one daemon thread, never more, waited for a lease (threads in __break_lease, sampled)" 1 "$waiting_max"
bounded_sync "20 leased shells" 60
check_eq "... every one recorded locked (warning)" 20 \
	"$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'wp-content/uploads/many-%' AND status='locked' AND verdict='locked'")"
touch "$D/stop3"
wait "$holder"
all_judged() { [ "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'wp-content/uploads/many-%' AND verdict='suspicious' AND sha256 IS NOT NULL")" = 20 ]; }
wait_for "... once the leases are gone: all 20 judged suspicious with their hashes" 30 all_judged

daemon_alive "the end"
canary_untouched "the end"
t_done
