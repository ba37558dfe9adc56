#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-runner: alone (it sets the machine-wide fanotify queue limit)
# A deliberately tiny kernel queue: a burst overflows it, the daemon reconciles,
# and the final stored state equals the disk.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 512m
WS=$D/m/vhosts/alice/httpdocs
mkdir -p "$WS"
echo '<?php' > "$WS/index.php"
old=$(cat /proc/sys/fs/fanotify/max_queued_events)
daemon_config "$D" "queue_size: 64"
daemon_start "$D"
check "the system-wide queue limit is restored after init" [ "$(cat /proc/sys/fs/fanotify/max_queued_events)" = "$old" ]
# stop the reader for a moment so the queue really fills
kill -STOP "$DAEMON_PID"
python3 - "$WS" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(2000):
    with open(os.path.join(d, "o%04d.php" % i), "w") as f:
        f.write("<?php // %d\n" % i)
for i in range(0, 2000, 3):
    os.unlink(os.path.join(d, "o%04d.php" % i))
PY
kill -CONT "$DAEMON_PID"
sleep 1
wsync "$D" 120
sleep 1; wsync "$D" 120
st=$("$WSIDCTL" --socket "$D/ctl.sock" status --json)
ov=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fanotify_overflows"])' "$st")
check "the kernel queue overflowed ($ov overflow events)" [ "$ov" -ge 1 ]
rc=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["reconciles"])' "$st")
check "an overflow led to a reconcile ($rc)" [ "$rc" -ge 1 ]
check "after the overflow the stored state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS"
n=$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files")
check_eq "every surviving file is known" "$(find "$WS" -type f | wc -l)" "$n"
daemon_stop

# The limit is raised and put back under an exclusive flock(2) of the sysctl
# file, which anyone may open: a tenant holding it delays a start by the
# bounded wait only, and the machine's limit is still put back.
q=/proc/sys/fs/fanotify/max_queued_events
setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)' "$q" >"$D/holder.out" &
holder=$!
T_PIDS+=("$holder")
for _ in $(seq 1 50); do grep -q held "$D/holder.out" && break; sleep 0.1; done
check "a process of another uid holds the lock" grep -q held "$D/holder.out"
t0=$(date +%s%N)
daemon_start "$D"
ms=$((($(date +%s%N) - t0) / 1000000))
check "a start with the queue limit's lock held by another uid is not stalled (${ms} ms)" [ "$ms" -lt $((20000 * T_SLOW)) ]
check "the daemon says the lock stayed taken" grep -q "stayed locked by another process" "$D/wsid.log"
check_eq "the machine-wide limit is put back" "$old" "$(cat "$q")"
daemon_stop
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
t_done
