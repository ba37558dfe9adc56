# SPDX-License-Identifier: GPL-2.0-or-later
# Shared set-up of the hostile webspace suites (tests/hostile/): source after
# lib.sh. hostile_init mounts the watched tmpfs ($D/m, one webspace $WS of
# customer alice), a canary tmpfs outside every webspace ($D/canary, mounted
# strictatime: any read moves an atime) watched by fan_watch (every open or read
# on it, with the process that did it), builds a one-set index and starts the
# daemon. The checks: canary_untouched (no atime moved, no open by wsid or
# wsidctl), daemon_alive (the pid lives and status answers).
HELPERS=$WSID_BUILD/helpers

# hostile_init [TMPFS_SIZE] [extra config lines...]
hostile_init() {
	local size=${1:-256m}
	shift || true
	D=$T_TMP
	WS=$D/m/vhosts/alice/httpdocs
	mount_tmpfs "$D/m" "$size" || return 1
	mkdir -p "$D/canary" "$WS"
	mount -t tmpfs -o strictatime,size=16m wsid-canary "$D/canary" || return 1
	T_MOUNTS+=("$D/canary")
	mkdir -p "$D/canary/dir"
	echo "canary secret outside the webspace" > "$D/canary/secret.txt"
	echo "canary file in an outside directory" > "$D/canary/dir/inner.txt"
	chmod 600 "$D/canary/secret.txt"
	touch -a -d '2001-01-01 00:00:00' "$D/canary/secret.txt" "$D/canary/dir/inner.txt" "$D/canary/dir" "$D/canary"
	CANARY_ATIMES=$(canary_atimes)
	: > "$D/fan.log"
	"$HELPERS/fan_watch" "$D/canary" "$D/canary" "$D/fan.log" &
	T_PIDS+=($!)
	for _ in $(seq 1 50); do grep -q '^ready' "$D/fan.log" && break; sleep 0.1; done
	# a one-set index: these suites are about the webspace, not the releases
	mkdir -p "$D/fp/tiny" "$D/db"
	echo tiny > "$D/fp/tiny.txt"
	(cd "$D/fp" && sha256sum tiny.txt > tiny/1.sha256)
	"$WSIDCTL" --db "$D/db/wsid.db" index build --from "$D/fp" >/dev/null || return 1
	# a short update window: sync waits for open windows (a directory rename opens one)
	daemon_config "$D" "classify:" "  update_window: 1s" "$@"
	# a suite's own preparation before the daemon starts
	if declare -F hostile_pre >/dev/null; then hostile_pre || return 1; fi
	daemon_start "$D"
}

canary_atimes() { stat -c '%n %X' "$D/canary/secret.txt" "$D/canary/dir/inner.txt" "$D/canary/dir" "$D/canary"; }

# canary_untouched WHAT: the canary's atimes did not move and no wsid or
# wsidctl process opened or read anything on the canary file system
canary_untouched() {
	local who
	check_eq "$1: no canary atime moved (strictatime)" "$CANARY_ATIMES" "$(canary_atimes)"
	who=$(awk '$2 == "wsid" || $2 == "wsidctl" || $1 == "'"$DAEMON_PID"'"' "$D/fan.log" | head -n 3)
	check_eq "$1: wsid and wsidctl opened nothing on the canary file system (fanotify)" "" "$who"
}

# daemon_alive WHAT: the daemon still runs and answers status within 10 s
daemon_alive() {
	check "$1: the daemon is alive (pid $DAEMON_PID)" kill -0 "$DAEMON_PID"
	check "$1: status answers (up and watching)" timeout 10 "$WSIDCTL" --socket "$D/ctl.sock" status >/dev/null
}

# bounded_sync WHAT [SECONDS]: wsidctl sync returns within the bound
bounded_sync() {
	local t=${2:-30} s=$SECONDS
	timeout $((t + 5)) "$WSIDCTL" --socket "$D/ctl.sock" sync --timeout "$t" >/dev/null
	check "$1: sync returned in $((SECONDS - s))s (bound ${t}s)" [ $? -eq 0 ]
}

# file_row RELPATH COLUMNS: a stored row of the webspace (relpath given as bytes
# via printf %b-style escapes are the caller's business)
file_row() { sqlite3 "$D/db/wsid.db" "SELECT $2 FROM files WHERE relpath=CAST('$1' AS BLOB)"; }

# state_equals_disk WHAT: statecheck.py (every stored hash equals the file's)
state_equals_disk() {
	local out
	out=$(python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS" 2>&1)
	check "$1: the stored state equals the disk ($(tail -n 1 <<<"$out"))" grep -q '^differences 0$' <<<"$out"
	grep -v '^differences' <<<"$out" | head -n 5
}
