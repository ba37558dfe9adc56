#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
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
t_done
