#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A webspace taken out of the configuration (a reload of the live daemon, or
# a start) is inactive: its stored rows kept, no longer counted in the
# status's files figure nor in `wsidctl report`; named again, it is active
# again. The files figure equals the active webspaces' rows throughout. While
# taken out it is not watched (a file written there is no one's); named again
# it is reconciled with the disk.
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
		for w in "$@"; do # PATH, or PATH=CUSTOMER
			case $w in
			*=*) echo "  - path: ${w%%=*}"; echo "    customer: ${w#*=}" ;;
			*) echo "  - path: $w"; echo "    customer: $(basename "$(dirname "$w")")" ;;
			esac
		done
	} > "$D/wsid.yaml"
	chmod 600 "$D/wsid.yaml"
}
active() { sqlite3 "$DB" "SELECT active FROM webspaces WHERE path=CAST('$1' AS BLOB)"; }
rows() { sqlite3 "$DB" "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.path=CAST('$1' AS BLOB)"; }
status_files() { "$WSIDCTL" --socket "$D/ctl.sock" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"])'; }
status_ws() { "$WSIDCTL" --socket "$D/ctl.sock" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["webspaces"])'; }
row_of() { sqlite3 "$DB" "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.path=CAST('$1' AS BLOB) AND f.relpath=CAST('$2' AS BLOB)"; }
events_of() { "$WSIDCTL" --db "$DB" events --all --json | python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if l.strip() and json.loads(l)["path"] == sys.argv[1]))' "$1"; }
customer_of() { "$WSIDCTL" --db "$DB" events --all --json | python3 -c 'import json,sys; print(" ".join(e["customer"] for e in map(json.loads, filter(str.strip, sys.stdin)) if e["path"] == sys.argv[1]))' "$1"; }
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
check "reloaded without bob: no longer watched (logged)" grep -q "webspace $B: no longer watched" "$D/wsid.log"
check_eq "reloaded without bob: status counts one webspace" 1 "$(status_ws)"
# what is written in bob's folder now is no webspace's: no event, no row
echo '<?php // b 3' > "$B/b3.php"
echo '<?php // a 4' > "$A/d/a4.php"
wsync "$D"
check_eq "reloaded without bob: alice's new file stored" 1 "$(row_of "$A" d/a4.php)"
check_eq "reloaded without bob: a file written in his folder is not stored" 0 "$(row_of "$B" b3.php)"
check_eq "reloaded without bob: and raises no event" 0 "$(events_of "$B/b3.php")"

config "$A" "$B"
check "reload with bob again accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
wsync "$D"
check_eq "bob named again: active" "1 1" "$(active "$A") $(active "$B")"
check_eq "bob named again: files figure is every row" "$(($(rows "$A") + $(rows "$B")))" "$(status_files)"
check_eq "bob named again: report counts two" 2 "$(report_ws)"
check_eq "bob named again: status counts two webspaces" 2 "$(status_ws)"
# named again, bob's webspace is compared with the disk: the file written
# while it was not watched is found
for _ in $(seq 1 50); do [ "$(row_of "$B" b3.php)" = 1 ] && break; sleep 0.1; done
check_eq "bob named again: the file written meanwhile is stored (reconciled)" 1 "$(row_of "$B" b3.php)"
check_eq "bob named again: and has its event" 1 "$(events_of "$B/b3.php")"

# bob's folder given to another customer by a reload: what happens there
# from then on is carol's (her events, her notifications), never bob's
config "$A" "$B=carol"
check "reload giving bob's folder to carol accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
echo '<?php // c 1' > "$B/c1.php"
wsync "$D"
check_eq "folder given to carol: the webspace's customer is carol" carol \
	"$(sqlite3 "$DB" "SELECT customer FROM webspaces WHERE path=CAST('$B' AS BLOB)")"
check_eq "folder given to carol: the new file's event is carol's" carol "$(customer_of "$B/c1.php")"
check "folder given to carol: logged" grep -q "webspace $B: customer bob -> carol" "$D/wsid.log"
config "$A" "$B"
check "reload giving it back to bob accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
wsync "$D"

# a start with a configuration that no longer names bob
daemon_stop
config "$A"
daemon_start "$D"
check_eq "started without bob: bob inactive" "1 0" "$(active "$A") $(active "$B")"
check_eq "started without bob: files figure is alice's rows" "$(rows "$A")" "$(status_files)"
daemon_stop
t_done
