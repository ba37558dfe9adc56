#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The database's file system fills up during a burst of changes: the daemon
# says so (log and status), keeps running and watching, and once space is back
# every change made meanwhile is stored (the state equals the disk) and the
# database passes integrity_check.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 256m
WS=$D/m/vhosts/alice/httpdocs
mkdir -p "$WS" "$D/fp/tiny"
mount_tmpfs "$D/db" 16m
echo tiny > "$D/fp/tiny.txt"
(cd "$D/fp" && sha256sum tiny.txt > tiny/1.sha256)
"$WSIDCTL" --db "$D/db/wsid.db" index build --from "$D/fp" >/dev/null
daemon_config "$D" "classify:" "  update_window: 1s"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
burst() { # burst TAG N: N files created and some rewritten and deleted
	python3 - "$WS/$1" "$2" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open(os.path.join(d, "file-with-a-rather-long-name-%06d.txt" % i), "w") as f:
        f.write("content %d %s\n" % (i, d) * 20)
for i in range(0, n, 7):
    with open(os.path.join(d, "file-with-a-rather-long-name-%06d.txt" % i), "a") as f:
        f.write("rewritten\n")
for i in range(3, n, 11):
    os.unlink(os.path.join(d, "file-with-a-rather-long-name-%06d.txt" % i))
PY
}
burst before 500
wsync "$D"
check "before: the state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS"
# fill the database's file system
dd if=/dev/zero of="$D/db/filler" bs=64k status=none 2>/dev/null
check "the database's file system is full" [ "$(df --output=avail "$D/db" | tail -n 1)" -lt 64 ]
burst full1 4000 &
b1=$!
burst full2 4000
wait "$b1"
sleep 3
check "daemon alive while the disk is full" kill -0 "$DAEMON_PID"
st=$(timeout 10 "$WSIDCTL" --socket "$D/ctl.sock" status --json); rc=$?
check "status answers while the disk is full (rc $rc)" [ -n "$st" ]
check "status names the condition (database_error: disk full)" grep -q '"database_error":"[^"]*\(full\|space\)' <<<"$st"
check "the log says the database's disk is full" grep -q "database .*\(full\|No space left\)" "$D/wsid.log"
check "... naming the database file" grep -q "$D/db/wsid.db" <<<"$(grep -i "full\|space" "$D/wsid.log")"
# still watching: a change now is noticed (stored once space is back)
echo '<?php // during the full period' > "$WS/during.php"
sleep 1
rm -f "$D/db/filler"
s=$SECONDS
ok=0
for _ in $(seq 1 60); do
	if python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS" >/dev/null 2>&1; then ok=1; break; fi
	sleep 1
done
check "space back: every change of the full period is stored within 60 s (took $((SECONDS - s))s)" [ $ok = 1 ]
python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS" | tail -n 3
timeout 70 "$WSIDCTL" --socket "$D/ctl.sock" sync --timeout 60 >/dev/null
check "space back: sync returns" [ $? -eq 0 ]
check_eq "space back: the event for the file made while full" "created" "$(evq "$D" "path=$WS/during.php" -- change)"
st=$("$WSIDCTL" --socket "$D/ctl.sock" status --json)
check "space back: status no longer reports a database error" bash -c "! grep -q '\"database_error\":\"' <<<'$st'"
check "the log says the database is written again" grep -q "database .*written again" "$D/wsid.log"
echo "after" > "$WS/after.txt"
wsync "$D"
check_eq "after recovery a new change is stored" "created" "$(evq "$D" "path=$WS/after.txt" -- change)"
check "the final state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS"
daemon_stop
check_eq "integrity_check" ok "$(sqlite3 "$D/db/wsid.db" 'PRAGMA integrity_check')"
t_done
