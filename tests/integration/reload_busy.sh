#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reloads while a baseline and a reconcile run: the daemon stays up and loses
# no file and no change. A webspace named by a reload gets its baseline; more
# reloads land while it walks (one of them takes an ignore glob out, which
# reconciles every webspace); files written meanwhile, there and elsewhere,
# are all stored.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 256m
A=$D/m/vhosts/alice/httpdocs
B=$D/m/vhosts/bob/httpdocs
mkdir -p "$A/tmp" "$B"
echo '<?php // a' > "$A/a.php"
echo '<?php // t' > "$A/tmp/t.php"
N=20000
for d in $(seq 1 40); do
	mkdir -p "$B/d$d"
	for i in $(seq 1 $((N / 40))); do echo "<?php // $d $i" > "$B/d$d/f$i.php"; done
done
conf() { # WEBSPACE... [-- IGNORE]
	mkdir -p "$D/db"
	{
		echo "database: $D/db/wsid.db"
		echo "control_socket: $D/ctl.sock"
		echo "analysis:"; echo "  enabled: false"
		[ -n "${IGN:-}" ] && { echo "ignore:"; echo "  paths: [$IGN]"; }
		echo "webspaces:"
		for w in "$@"; do echo "  - path: $w"; echo "    customer: $(basename "$(dirname "$w")")"; done
	} > "$D/wsid.yaml"
	chmod 600 "$D/wsid.yaml"
}
rows() { sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.path=CAST('$1' AS BLOB)"; }
has_row() { sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE relpath=CAST('$1' AS BLOB)"; }

IGN="'tmp/**'" conf "$A"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
check_eq "alice alone: tmp/ ignored" "1 0" "$(has_row a.php) $(has_row tmp/t.php)"

IGN="'tmp/**'" conf "$A" "$B"
check "reload naming bob (his baseline starts)" "$WSIDCTL" --socket "$D/ctl.sock" reload
for k in 1 2 3 4 5; do
	echo "<?php // during $k" > "$B/d$k/during$k.php"
	echo "<?php // alice $k" > "$A/alice$k.php"
	if [ $k = 3 ]; then IGN= conf "$A" "$B"; else IGN="'tmp/**'" conf "$A" "$B"; fi
	kill -HUP "$DAEMON_PID"
	sleep 0.2
done
IGN= conf "$A" "$B"
check "a last reload: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
wsync "$D" $((120 * T_SLOW))
for _ in $(seq 1 100); do [ "$(rows "$B")" -ge $((N + 5)) ] && [ "$(has_row tmp/t.php)" = 1 ] && break; sleep 0.2; done
check "the daemon is up" kill -0 "$DAEMON_PID"
check_eq "bob: every file of his baseline and those written during the reloads" $((N + 5)) "$(rows "$B")"
check_eq "alice: the files written during the reloads" "1 1 1 1 1" "$(for k in 1 2 3 4 5; do has_row alice$k.php; done | xargs)"
check_eq "alice: the file under the glob taken out" 1 "$(has_row tmp/t.php)"
check "no crash or assertion logged" bash -c "! grep -qiE 'assert|sanitizer|segfault' '$D/wsid.log'"
daemon_stop
t_done
