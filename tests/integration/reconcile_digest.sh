#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restarts of the real daemon on a tmpfs it mounts itself. A webspace that did
# not change while the daemon was down is reconciled by its digest alone (its
# rows are not read); every kind of change made while it was down is still
# found: content at the same size with the mtime set back, the mtime alone, a
# chmod, a new file, a delete, a file and a directory renamed. A database of
# before the digest (migrations 12 and 13 undone) is merged in full and its
# digest set. The status's files figure (kept per webspace by the database's
# triggers) is the count of the file rows after every restart and reconcile.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 256m
WS=$D/m/vhosts/alice/httpdocs
OTHER=$D/m/vhosts/bob/httpdocs
mkdir -p "$WS/d" "$OTHER"
for i in $(seq 1 9); do echo "<?php // file $i" > "$WS/f$i.php"; done
echo '<?php // y' > "$WS/d/y.php"
echo 'z' > "$WS/d/z.txt"
echo '<?php // bob' > "$OTHER/index.php"
DB=$D/db/wsid.db
daemon_config "$D"
daemon_start "$D"

# the last reconcile of a webspace, as logged
last_reconcile() { grep "reconciled $1: " "$D/wsid.log" | tail -n 1; }
# the stored stat of a file: mtime_ns ctime_ns mode
stored_stat() {
	sqlite3 "$DB" "SELECT f.mtime_ns || ' ' || f.ctime_ns || ' ' || f.mode FROM files f JOIN webspaces w
		ON w.id=f.webspace_id WHERE w.path=CAST('$WS' AS BLOB) AND f.relpath=CAST('$1' AS BLOB)"
}
# the status's files figure equals the rows stored
files_figure() {
	check_eq "$1: status counts the rows stored" "$(sqlite3 "$DB" 'SELECT count(*) FROM files')" \
		"$("$WSIDCTL" --socket "$D/ctl.sock" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"])')"
}
disk_stat() { python3 -c 'import os,sys; s=os.lstat(sys.argv[1]); print(s.st_mtime_ns, s.st_ctime_ns, s.st_mode)' "$WS/$1"; }

daemon_stop
daemon_start "$D"
check "unchanged: reconciled by its digest ($(last_reconcile "$WS"))" \
	grep -q ", 0 changed, 0 new, 0 gone, digest equal" <<<"$(last_reconcile "$WS")"
check "unchanged: the other webspace too" grep -q "digest equal" <<<"$(last_reconcile "$OTHER")"
files_figure "restarted"

# down NAME COUNTS: the daemon stopped, the change made (the rest of the
# arguments, a shell command), the daemon started again; its reconcile of
# alice must merge (not the digest) and find COUNTS ("1 changed, 0 new, 0 gone")
down() {
	local name=$1 counts=$2 line
	daemon_stop
	bash -c "$3"
	daemon_start "$D"
	line=$(last_reconcile "$WS")
	check "$name: found at start ($line)" grep -q ", $counts (" <<<"$line"
	check "$name: the other webspace still by its digest" grep -q "digest equal" <<<"$(last_reconcile "$OTHER")"
	files_figure "$name"
}

# content rewritten at the same size, the mtime set back: only the ctime says
down "same size, mtime set back" "1 changed, 0 new, 0 gone" "python3 - '$WS/f1.php' <<'PY'
import os, sys
p = sys.argv[1]; st = os.stat(p)
open(p, 'w').write('<?php // FILE 1\n')
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY"
check_eq "same size, mtime set back: the new content stored" \
	"modified reconcile $(sha256sum < "$WS/f1.php" | cut -d' ' -f1)" "$(evq "$D" "path=$WS/f1.php" -- change source new_sha256)"
down "mtime only" "1 changed, 0 new, 0 gone" "touch -m -d '2020-01-02 03:04:05' '$WS/f2.php'"
check_eq "mtime only: the stored stat is the disk's" "$(disk_stat f2.php)" "$(stored_stat f2.php)"
down "chmod" "1 changed, 0 new, 0 gone" "chmod 600 '$WS/f3.php'"
check_eq "chmod: the stored stat is the disk's" "$(disk_stat f3.php)" "$(stored_stat f3.php)"
down "new file" "0 changed, 1 new, 0 gone" "echo '<?php // new' > '$WS/new.php'"
check_eq "new file: created" "created reconcile" "$(evq "$D" "path=$WS/new.php" -- change source)"
down "delete" "0 changed, 0 new, 1 gone" "rm '$WS/f4.php'"
check_eq "delete: deleted" "deleted" "$(evq "$D" "path=$WS/f4.php" -- change)"
down "file renamed" "0 changed, 1 new, 1 gone" "mv '$WS/f5.php' '$WS/g5.php'"
check_eq "file renamed: the new name created" "created" "$(evq "$D" "path=$WS/g5.php" -- change)"
down "directory renamed" "0 changed, 2 new, 2 gone" "mv '$WS/d' '$WS/e'"
check_eq "directory renamed: its file under the new name" "created" "$(evq "$D" "path=$WS/e/y.php" -- change)"
check "after every change: the state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$DB" "$WS"
daemon_stop
daemon_start "$D"
check "then unchanged: by its digest again" grep -q "digest equal" <<<"$(last_reconcile "$WS")"

# a database of before the digest: the upgrade leaves it unknown, the first
# reconcile merges in full (finding what changed) and sets it
daemon_stop
sqlite3 "$DB" "DROP TRIGGER files_digest_insert; DROP TRIGGER files_digest_delete;
	DROP TRIGGER files_digest_update; DROP TRIGGER files_digest_move;
	ALTER TABLE webspaces DROP COLUMN files_digest; ALTER TABLE webspaces DROP COLUMN nfiles;
	DELETE FROM meta WHERE key='files_digest_key'; PRAGMA user_version=11"
echo '<?php // changed before the upgrade' > "$WS/f6.php"
daemon_start "$D"
check_eq "upgraded: schema 13" 13 "$(sqlite3 "$DB" 'PRAGMA user_version')"
files_figure "upgraded"
check "upgraded: merged in full, the change found ($(last_reconcile "$WS"))" \
	grep -q ", 1 changed, 0 new, 0 gone (" <<<"$(last_reconcile "$WS")"
check "upgraded: the unchanged webspace merged in full too" \
	grep -q ", 0 changed, 0 new, 0 gone (" <<<"$(last_reconcile "$OTHER")"
check_eq "upgraded: every digest set" 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM webspaces WHERE files_digest IS NULL')"
check_eq "upgraded: the change stored" "modified reconcile" "$(evq "$D" "path=$WS/f6.php" -- change source)"
daemon_stop
echo '<?php // changed after the upgrade' > "$WS/f7.php"
daemon_start "$D"
check "upgraded, then a change: found" grep -q ", 1 changed, 0 new, 0 gone (" <<<"$(last_reconcile "$WS")"
check "upgraded, then unchanged: by its digest" grep -q "digest equal" <<<"$(last_reconcile "$OTHER")"
check "no digest was found wrong" bash -c "! grep -q 'stored digest of its files was not theirs' '$D/wsid.log'"
daemon_stop
t_done
