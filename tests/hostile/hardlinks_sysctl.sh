#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fs.protected_hardlinks is what keeps a tenant from hard-linking a file it
# cannot read (a root-only one) into its webspace, where wsid, reading as root,
# would store its hash, owner and size. The daemon reports the setting in
# status and warns at start when it is 0. The 0 case runs the daemon in a mount
# namespace of its own where a file holding "0" is bound over
# /proc/sys/fs/protected_hardlinks: the machine's sysctl is never changed, and
# the binding goes with the namespace when the daemon exits.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
WS=$D/m/vhosts/alice/httpdocs
SYSCTL=/proc/sys/fs/protected_hardlinks
mount_tmpfs "$D/m" 64m || { fail "set-up"; t_done; exit 1; }
mkdir -p "$WS" "$D/fp/tiny" "$D/db"
echo tiny > "$D/fp/tiny.txt"
(cd "$D/fp" && sha256sum tiny.txt > tiny/1.sha256)
"$WSIDCTL" --db "$D/db/wsid.db" index build --from "$D/fp" >/dev/null || fail "index build"
daemon_config "$D"
host=$(cat "$SYSCTL")

# status_field KEY: the value of KEY in the status JSON ("absent" when missing)
status_field() {
	"$WSIDCTL" --socket "$D/ctl.sock" status --json |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d.get(sys.argv[1], "absent")))' "$1"
}

# -- the machine's own setting, as it is
daemon_start "$D" || fail "daemon start"
[ "$host" = 0 ] && want=false || want=true
check_eq "status: protected_hardlinks is the machine's setting ($host)" "$want" "$(status_field protected_hardlinks)"
check_eq "status text shows it" "protected_hardlinks $want" \
	"$("$WSIDCTL" --socket "$D/ctl.sock" status | grep '^protected_hardlinks' | tr -s ' ')"
if [ "$host" = 0 ]; then
	check "the log warns (the machine has it at 0)" grep -q 'fs.protected_hardlinks is 0' "$D/wsid.log"
else
	check_eq "no warning in the log with it set" "0" "$(grep -c 'protected_hardlinks' "$D/wsid.log")"
fi
daemon_stop

# -- 0, seen only by this daemon (its own mount namespace)
echo 0 > "$D/zero"
: > "$D/wsid0.log"
unshare --mount --propagation private -- sh -c \
	'mount --bind "$1" /proc/sys/fs/protected_hardlinks && exec "$2" --config "$3" --foreground' \
	sh "$D/zero" "$WSID" "$D/wsid.yaml" >>"$D/wsid0.log" 2>&1 &
DAEMON_PID=$!
T_PIDS+=("$DAEMON_PID")
for _ in $(seq 1 $((200 * T_SLOW))); do
	"$WSIDCTL" --socket "$D/ctl.sock" status >/dev/null 2>&1 && break
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.1
done
check "the daemon started with the sysctl at 0" kill -0 "$DAEMON_PID"
check "the log warns at start" grep -q 'fs.protected_hardlinks is 0' "$D/wsid0.log"
check "the warning says what a tenant can do" \
	grep -q 'a tenant can hard-link a file it cannot read (a root-only one too) into its webspace' "$D/wsid0.log"
check_eq "status: protected_hardlinks false" "false" "$(status_field protected_hardlinks)"
check_eq "status text shows it" "protected_hardlinks false" \
	"$("$WSIDCTL" --socket "$D/ctl.sock" status | grep '^protected_hardlinks' | tr -s ' ')"
check_eq "the machine's sysctl is untouched" "$host" "$(cat "$SYSCTL")"
daemon_stop
check_eq "no binding left over $SYSCTL" "0" "$(grep -c " $SYSCTL " /proc/self/mountinfo)"
t_done
