#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A watched file system reports an error (FAN_FS_ERROR; here ext4 on a loop
# image whose journal is aborted, `mount -o remount,abort`, as a failing disk
# would): the daemon reconciles the webspaces on that file system, and only
# those, and keeps running. (A malformed fanotify buffer, which no kernel
# writes on purpose, leads to the same request: test_fsevent.)
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 64m
mkdir -p "$D/m/vhosts/alice" "$D/m/vhosts/bob/httpdocs" "$D/fp/tiny"
truncate -s 64M "$D/ext4.img"
mkfs.ext4 -q -F "$D/ext4.img" || { fail "mkfs.ext4"; t_done; exit 1; }
mount -o loop,errors=continue "$D/ext4.img" "$D/m/vhosts/alice" || { fail "loop mount"; t_done; exit 1; }
T_MOUNTS+=("$D/m/vhosts/alice")
ALICE=$D/m/vhosts/alice/httpdocs
BOB=$D/m/vhosts/bob/httpdocs
mkdir -p "$ALICE"
echo '<?php echo "alice";' > "$ALICE/index.php"
echo "bob" > "$BOB/index.html"
echo tiny > "$D/fp/tiny.txt"
(cd "$D/fp" && sha256sum tiny.txt > tiny/1.sha256)
"$WSIDCTL" --db "$D/db/wsid.db" index build --from "$D/fp" >/dev/null
daemon_config "$D"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
check "two file systems watched" grep -q "watching 2 webspaces on 2 file systems" "$D/wsid.log"

mount -o remount,abort "$D/m/vhosts/alice"
for _ in $(seq 1 100); do grep -q "reconciled $ALICE" <(sed -n '/file system error reported/,$p' "$D/wsid.log") && break; sleep 0.1; done
check "the error is reported in the log" grep -q "file system error reported (FAN_FS_ERROR)" "$D/wsid.log"
check "the webspace on that file system is reconciled" grep -q "reconcile $ALICE: file system error" "$D/wsid.log"
check "... and the reconcile ran to its end" grep -q "reconciled $ALICE" <(sed -n '/file system error reported/,$p' "$D/wsid.log")
check "the webspace on the other file system is not" bash -c "! grep -q 'reconcile $BOB: file system error' '$D/wsid.log'"
check "the daemon is alive" kill -0 "$DAEMON_PID"
echo "bob again" > "$BOB/new.html"
wsync "$D" 30
check_eq "the other file system is still watched: a change there is stored" "ok" \
	"$(sqlite3 "$D/db/wsid.db" "SELECT status FROM files WHERE relpath=CAST('new.html' AS BLOB)")"
daemon_stop
t_done
