#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A corrupted or truncated database at start is refused with a message that
# says so and how to recover; the file is never silently wiped.
. "$(dirname "$0")/../lib/lib.sh"
need_root
# refused RC: the daemon exited with an error of its own (not killed by timeout)
refused() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ]; }
# says TEXT WORD...: TEXT holds every WORD (fixed strings, case-insensitive);
# the message is passed as an argument, never spliced into a command line
says() {
	local text=$1 w
	shift
	for w in "$@"; do grep -qiF -- "$w" <<<"$text" || return 1; done
}
refused_saying() { refused "$1" && says "$2" "$3"; }
D=$T_TMP
mount_tmpfs "$D/m" 64m
mkdir -p "$D/m/vhosts/alice/httpdocs"
echo '<?php echo 1;' > "$D/m/vhosts/alice/httpdocs/index.php"
daemon_config "$D"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
daemon_stop
DB=$D/db/wsid.db
cp "$DB" "$D/good.db"
# 1. garbage over the middle of the file
size=$(stat -c %s "$DB")
dd if=/dev/urandom of="$DB" bs=4096 seek=$((size / 8192)) count=2 conv=notrunc 2>/dev/null
sum=$(sha256sum < "$DB")
out=$(timeout 20 "$WSID" --config "$D/wsid.yaml" --foreground 2>&1); rc=$?
check "corrupted: refused (exit $rc)" refused "$rc"
check "corrupted: the message names the file and the recovery ($out)" says "$out" "$DB" move
check_eq "corrupted: the file is untouched" "$sum" "$(sha256sum < "$DB")"
# the check runs beside the start's other work: nothing may have been
# committed meanwhile (a WAL of a damaged file, applied to the next one)
check "corrupted: nothing committed to its WAL ($(stat -c %s "$DB-wal" 2>/dev/null || echo none) bytes)" \
	bash -c "[ ! -s '$DB-wal' ] || [ \$(stat -c %s '$DB-wal') -le 32 ]"
# 1b. the same with a webspace new since: its row is the start's first
# commit, made while the check (on its own thread) may still run; it waits
cp "$D/good.db" "$DB"; rm -f "$DB-wal" "$DB-shm"
mkdir -p "$D/m/vhosts/bob/httpdocs"
dd if=/dev/urandom of="$DB" bs=4096 seek=$((size / 8192)) count=2 conv=notrunc 2>/dev/null
sum=$(sha256sum < "$DB")
out=$(timeout 20 "$WSID" --config "$D/wsid.yaml" --foreground 2>&1); rc=$?
check "corrupted, a new webspace: refused (exit $rc)" [ $rc -ne 0 ] && [ $rc -ne 124 ]
check "corrupted, a new webspace: the message says so ($out)" bash -c "grep -q 'integrity check' <<<'$out'"
check_eq "corrupted, a new webspace: the file is untouched" "$sum" "$(sha256sum < "$DB")"
check "corrupted, a new webspace: nothing committed to its WAL ($(stat -c %s "$DB-wal" 2>/dev/null || echo none) bytes)" \
	bash -c "[ ! -s '$DB-wal' ] || [ \$(stat -c %s '$DB-wal') -le 32 ]"
rmdir "$D/m/vhosts/bob/httpdocs" "$D/m/vhosts/bob"
# 2. truncated
cp "$D/good.db" "$DB"; rm -f "$DB-wal" "$DB-shm"
truncate -s $((size / 3)) "$DB"
sum=$(sha256sum < "$DB")
out=$(timeout 20 "$WSID" --config "$D/wsid.yaml" --foreground 2>&1); rc=$?
check "truncated: refused (exit $rc)" refused "$rc"
check_eq "truncated: the file is untouched" "$sum" "$(sha256sum < "$DB")"
check "truncated: nothing committed to its WAL" bash -c "[ ! -s '$DB-wal' ] || [ \$(stat -c %s '$DB-wal') -le 32 ]"
# 3. not a database at all
echo "hello" > "$DB"
out=$(timeout 20 "$WSID" --config "$D/wsid.yaml" --foreground 2>&1); rc=$?
check "not a database: refused with a message ($out)" refused_saying "$rc" "$out" "$DB"
check_eq "not a database: the file is untouched" "hello" "$(cat "$DB")"
# the documented recovery: move it away, start again (baseline rebuilds the state)
mv "$DB" "$DB.broken"
daemon_start "$D" || fail "start after moving the broken file away"
check "recovery: a fresh baseline" python3 "$WSID_TOP/tests/lib/statecheck.py" "$DB" "$D/m/vhosts/alice/httpdocs"
daemon_stop
t_done
