#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Size and depth: a directory of 1,000,000 entries (baseline, a live change in
# it, a restart's reconcile: bounded time, bounded RSS) and a path deeper than
# PATH_MAX (stored, changes seen, no crash), against the live daemon and
# wsidctl scan.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
# its checks are time and RSS bounds of a million-entry baseline, which memcheck multiplies
valgrind_skip "its checks are time and RSS bounds of a million-entry baseline"
N=${WSID_HOSTILE_ENTRIES:-1000000}
WS2=$T_TMP/m/vhosts/bob/httpdocs
hostile_pre() {
	mkdir -p "$WS/big" "$WS2"
	s=$SECONDS
	"$HELPERS/mkentries" "$WS/big" "$N" || return 1
	echo "# $N entries created in $((SECONDS - s))s"
}
# tmpfs inodes: the default (half the RAM in pages) is plenty; say it anyway
hostile_init "2g,nr_inodes=$((N + 100000))" || { fail "set-up"; t_done; exit 1; }
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' /proc/"$DAEMON_PID"/status; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' /proc/"$DAEMON_PID"/status; }
base_ms=$(sed -n 's/.*baseline .*: \([0-9]*\) entries.* (\([0-9]*\) ms)/\1 \2/p' "$D/wsid.log" | tail -n 1)
check "1M entries: baseline of $N entries within 60 s (entries, ms: $base_ms)" [ -n "$base_ms" ] && [ "${base_ms#* }" -lt 60000 ]
check_eq "1M entries: all stored" "$N" "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files")"
peak=$(hwm)
mem_check "1M entries: daemon peak RSS during the baseline ${peak} MB (< 400)" [ "$peak" -lt 400 ]
sleep 1
now=$(rss)
mem_check "1M entries: RSS after the walk ${now} MB (< 64: the tree is freed)" [ "$now" -lt 64 ]
echo "changed" > "$WS/big/e0000500"
echo '<?php system($_GET[1]);' > "$WS/big/zz-shell.php"
rm "$WS/big/e0000007"
s=$SECONDS
bounded_sync "1M entries: a change afterwards" 20
check_eq "1M entries: the modification is seen" "modified" "$(evq "$D" "path=$WS/big/e0000500" -- change)"
check_eq "1M entries: the new file is seen (a web shell: malicious by its analysis)" "created malicious" "$(evq "$D" "path=$WS/big/zz-shell.php" -- change verdict)"
check_eq "1M entries: the deletion is seen" "deleted" "$(evq "$D" "path=$WS/big/e0000007" -- change)"
daemon_alive "1M entries"
# the WAL the baseline grew is cut back once the daemon is quiet (2 s), in
# 16 MiB steps (meta.wal_trim_steps counts them)
wal0=$(stat -c %s "$D/db/wsid.db-wal")
for _ in $(seq 1 $((100 * T_SLOW))); do [ "$(stat -c %s "$D/db/wsid.db-wal")" -le $((1 << 20)) ] && break; sleep 0.1; done
wal1=$(stat -c %s "$D/db/wsid.db-wal")
steps=$(sqlite3 "$D/db/wsid.db" "SELECT value FROM meta WHERE key='wal_trim_steps'")
if [ "$wal0" -gt $((16 << 20)) ]; then
	check "1M entries: the WAL file cut back when quiet ($wal0 -> $wal1 bytes, ${steps:-0} steps)" \
		[ "$wal1" -le $((1 << 20)) ] && [ "${steps:-0}" -ge $(((wal0 - (1 << 20)) / (16 << 20))) ]
else # a slow build (sanitizers) lets the checkpoint thread keep the WAL small
	check "1M entries: the WAL file never grew past the cut-back size ($wal0 -> $wal1 bytes)" \
		[ "$wal1" -le $((16 << 20)) ]
fi
daemon_stop
echo "changed offline" > "$WS/big/e0000900"
s=$SECONDS
daemon_start "$D"
rec=$(sed -n 's/.*reconciled .*: \([0-9]*\) entries, \([0-9]*\) changed.* (\([0-9]*\) ms)/\1 \2 \3/p' "$D/wsid.log" | tail -n 1)
check "1M entries: restart reconcile within 30 s, one change found (entries changed ms: $rec)" \
	[ "$(echo "$rec" | awk '{print ($2 == 1 && $3 < 30000)}')" = 1 ]
check_eq "1M entries: the offline change is stored" "modified reconcile" "$(evq "$D" "path=$WS/big/e0000900" -- change source)"
peak=$(hwm)
mem_check "1M entries: peak RSS of the restarted daemon ${peak} MB (< 400)" [ "$peak" -lt 400 ]
s=$SECONDS
timeout 120 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --no-index --json "$WS" > "$D/scan.json" 2>/dev/null; rc=$?
check "1M entries: wsidctl scan --standalone exit 0 in $((SECONDS - s))s (rc $rc)" [ $rc -eq 0 ]
check_eq "1M entries: wsidctl scan hashed every file" "$N" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scanned"][0]["files_hashed"])' "$D/scan.json")"

# -- a path deeper than PATH_MAX (built by chdir-ing down: no path is ever that
# long), in a webspace of its own (bob)
deep() { # deep CMD: CMD runs in the bottom directory (creating it as needed)
	python3 - "$WS2/deep" "$1" <<'PY'
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
os.chdir(sys.argv[1])
for i in range(24):
    os.makedirs("d%03d" % i + "x" * 196, exist_ok=True)
    os.chdir("d%03d" % i + "x" * 196)
cmd = sys.argv[2]
if cmd.startswith("write:"):
    with open("bottom.php", "w") as f:
        f.write(cmd[6:])
elif cmd == "sha":
    import hashlib
    print(hashlib.sha256(open("bottom.php", "rb").read()).hexdigest())
PY
}
deep "write:<?php // at the bottom"
bounded_sync "deeper than PATH_MAX" 30
daemon_alive "deeper than PATH_MAX"
deeprel=$(sqlite3 "$D/db/wsid.db" "SELECT length(relpath) FROM files WHERE CAST(relpath AS TEXT) LIKE 'deep/%bottom.php'")
if [ -n "$deeprel" ]; then
	check "deeper than PATH_MAX: stored (a relative path of $deeprel bytes)" [ "$deeprel" -gt 4096 ]
	check_eq "deeper than PATH_MAX: its hash" "$(deep sha)" "$(sqlite3 "$D/db/wsid.db" "SELECT lower(hex(sha256)) FROM files WHERE CAST(relpath AS TEXT) LIKE 'deep/%bottom.php'")"
else
	check "deeper than PATH_MAX: not stored, and a clear log line says why" grep -q "longer than PATH_MAX\|too long" "$D/wsid.log"
fi
deep "write:<?php // changed at the bottom"
bounded_sync "deeper than PATH_MAX: a change" 30
check_eq "deeper than PATH_MAX: a change is seen, the new hash stored" "$(deep sha)" "$(sqlite3 "$D/db/wsid.db" "SELECT lower(hex(sha256)) FROM files WHERE CAST(relpath AS TEXT) LIKE 'deep/%bottom.php'")"
check "deeper than PATH_MAX: its events resolved (no reconcile for an unresolvable directory)" \
	bash -c "! grep -q 'event for a directory that no longer exists' '$D/wsid.log'"
"$WSIDCTL" --socket "$D/ctl.sock" rescan "$WS2" >/dev/null
bounded_sync "deeper than PATH_MAX: reconcile" 30
check "deeper than PATH_MAX: a reconcile finds nothing to change" bash -c "tail -n 1 <(grep 'reconciled $WS2' '$D/wsid.log') | grep -q ' 0 changed, 0 new, 0 gone'"
out=$(timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --no-index --json "$WS2" 2>/dev/null); rc=$?
check "deeper than PATH_MAX: wsidctl scan exit 0 (rc $rc), the file hashed, nothing skipped" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1])["scanned"][0]; sys.exit(0 if t["files_hashed"] == 1 and not t["skipped"] else 1)' "$out"
WS=$WS2 state_equals_disk "deeper than PATH_MAX"
canary_untouched "scale suite"
daemon_alive "scale suite"
daemon_stop
t_done
