#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A webspace taken out of the configuration (a reload of the live daemon, or
# a start) is inactive: its stored rows kept, no longer counted in the
# status's files figure nor in `wsidctl report`; named again, it is active
# again. The files figure equals the active webspaces' rows throughout.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 64m
A=$D/m/vhosts/alice/httpdocs
B=$D/m/vhosts/bob/httpdocs
mkdir -p "$A/d" "$B"
for i in 1 2 3; do echo "<?php // a $i" > "$A/d/a$i.php"; done
for i in 1 2; do echo "<?php // b $i" > "$B/b$i.php"; done
DB=$D/db/wsid.db
# config WEBSPACES...: explicit entries, customer = the path's vhost
config() {
	mkdir -p "$D/db"
	{
		echo "database: $DB"
		echo "control_socket: $D/ctl.sock"
		echo "webspaces:"
		for w in "$@"; do
			echo "  - path: $w"
			echo "    customer: $(basename "$(dirname "$w")")"
		done
	} > "$D/wsid.yaml"
	chmod 600 "$D/wsid.yaml"
}
active() { sqlite3 "$DB" "SELECT active FROM webspaces WHERE path=CAST('$1' AS BLOB)"; }
rows() { sqlite3 "$DB" "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.path=CAST('$1' AS BLOB)"; }
status_files() { "$WSIDCTL" --socket "$D/ctl.sock" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"])'; }
report_ws() { "$WSIDCTL" --db "$DB" report --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["webspaces"])'; }

config "$A" "$B"
daemon_start "$D"
check_eq "both configured: both active" "1 1" "$(active "$A") $(active "$B")"
check_eq "both configured: files figure is every row" "$(($(rows "$A") + $(rows "$B")))" "$(status_files)"
check "rows stored for both ($(rows "$A"), $(rows "$B"))" [ "$(rows "$A")" -ge 3 ] && [ "$(rows "$B")" -ge 2 ]
nb=$(rows "$B")

config "$A"
check "reload without bob accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
check_eq "reloaded without bob: alice active, bob inactive" "1 0" "$(active "$A") $(active "$B")"
check_eq "reloaded without bob: his rows kept" "$nb" "$(rows "$B")"
check_eq "reloaded without bob: files figure is alice's rows" "$(rows "$A")" "$(status_files)"
check_eq "reloaded without bob: report counts one webspace" 1 "$(report_ws)"
check "reloaded without bob: logged" grep -q "webspace $B: no longer configured: inactive" "$D/wsid.log"

config "$A" "$B"
check "reload with bob again accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
wsync "$D"
check_eq "bob named again: active" "1 1" "$(active "$A") $(active "$B")"
check_eq "bob named again: files figure is every row" "$(($(rows "$A") + $(rows "$B")))" "$(status_files)"
check_eq "bob named again: report counts two" 2 "$(report_ws)"

# a start with a configuration that no longer names bob
daemon_stop
config "$A"
daemon_start "$D"
check_eq "started without bob: bob inactive" "1 0" "$(active "$A") $(active "$B")"
check_eq "started without bob: files figure is alice's rows" "$(rows "$A")" "$(status_files)"
daemon_stop
t_done
