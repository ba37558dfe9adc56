#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Renames the kernel merged: fanotify merges an event into an equal one still
# queued (same process, same directories, same names), so a directory renamed
# back and forth (a -> b, b -> a, a -> b) by one process while the daemon has
# not read its queue yet is read as two renames (a -> b, b -> a): the last
# move is never told. The daemon is stopped (SIGSTOP) while the tenant renames,
# so that the events wait in the queue and merge every time; once it runs
# again, the stored state must equal the disk (the file under the directory
# stored at its real path), for a directory, a nested one and a file.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
chmod 755 "$T_TMP" # the tenant reaches its webspace through it
hostile_pre() {
	mkdir -p "$WS/rd0/sub" "$WS/top/in0/deep" "$WS/rn"
	echo '<?php // moved back and forth' > "$WS/rd0/sub/index.php"
	echo '<?php // nested' > "$WS/top/in0/deep/n.php"
	echo 'a file' > "$WS/rn/f.txt"
	chown -R 1235:1235 "$WS"
}
hostile_init 64m || { fail "set-up"; t_done; exit 1; }
tenant() { setpriv --reuid=1235 --regid=1235 --clear-groups "$@"; }
renamed_events() { sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM events WHERE reason='directory renamed'"; }

# renames PAIRS...: one process renames each pair a:b as a -> b, b -> a, a -> b
renames() {
	tenant /usr/bin/python3 - "$WS" "$@" <<'PY'
import os, sys
root = sys.argv[1]
for pair in sys.argv[2:]:
    a, b = (os.path.join(root, p) for p in pair.split(":"))
    os.rename(a, b)
    os.rename(b, a)
    os.rename(a, b)
PY
}

# the daemon stopped while the tenant renames: the events merge in the queue
stopped_renames() {
	kill -STOP "$DAEMON_PID"
	renames "$@"
	local rc=$?
	kill -CONT "$DAEMON_PID"
	return $rc
}

n0=$(renamed_events)
check "a directory renamed a -> b -> a -> b while the daemon waits" stopped_renames rd0:rd1
bounded_sync "after the merged renames" 30
echo "# directory renames told: $(($(renamed_events) - n0)) of 3 made"
state_equals_disk "a directory renamed three times, its events merged"
check_eq "the file under it stored at its real path" 1 \
	"$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE relpath=CAST('rd1/sub/index.php' AS BLOB)")"

check "a nested directory and a file renamed the same way" stopped_renames top/in0:top/in1 rn/f.txt:rn/g.txt
bounded_sync "after the nested and file renames" 30
state_equals_disk "a nested directory and a file renamed three times"

# the same again with the daemon running: nothing merged, or merged the same
check "renamed again, the daemon running" renames rd1:rd0 top/in1:top/in0
bounded_sync "after the renames, the daemon running" 30
state_equals_disk "renamed again with the daemon running"
daemon_alive "merged renames"
canary_untouched "merged renames"
daemon_stop
t_done
