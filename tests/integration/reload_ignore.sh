#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `ignore:` changed by a reload of the live daemon. A path no longer ignored
# is reconciled at once: a file lying there untouched since (a shell that was
# dropped in a cache folder) is found then, not at its next change. A path
# newly ignored: later changes there are not stored; the rows stored before
# stay as they are (a reconcile or a restart reports no deletion there).
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 64m
A=$D/m/vhosts/alice/httpdocs
mkdir -p "$A/cache" "$A/keep"
echo '<?php // c 1' > "$A/cache/c1.php"
echo '<?php // k 1' > "$A/keep/k1.php"
ign() { daemon_config "$D" "analysis:" "  enabled: false" "ignore:" "  paths: [$1]"; }
has_row() { sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE relpath=CAST('$1' AS BLOB)"; }
events_of() { "$WSIDCTL" --db "$D/db/wsid.db" events --all --json | python3 -c 'import json,sys; print(" ".join(e["change"] for e in map(json.loads, filter(str.strip, sys.stdin)) if e["path"].endswith(sys.argv[1])) or "none")' "$1"; }
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }

ign "'cache/**'"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
check_eq "started with cache/** ignored: its file not stored" "0 1" "$(has_row cache/c1.php) $(has_row keep/k1.php)"

# cache/ no longer ignored, keep/ ignored now
ign "'keep/**'"
check "reload: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
waitfor 20 bash -c "[ \"\$(sqlite3 '$D/db/wsid.db' \"SELECT count(*) FROM files WHERE relpath=CAST('cache/c1.php' AS BLOB)\")\" = 1 ]"
wsync "$D"
check_eq "no longer ignored: the untouched file is found by the reload's reconcile" 1 "$(has_row cache/c1.php)"
check_eq "and has its event" created "$(events_of cache/c1.php)"
check "the reconcile is logged" grep -q "reload: ignore: a path is no longer ignored" "$D/wsid.log"
check_eq "newly ignored: the stored row stays" 1 "$(has_row keep/k1.php)"
check_eq "and no deletion is reported for it" none "$(events_of keep/k1.php)"
echo '<?php // k 2' > "$A/keep/k2.php"
echo '<?php // k 1 changed' > "$A/keep/k1.php"
wsync "$D"
check_eq "newly ignored: a new file there is not stored" 0 "$(has_row keep/k2.php)"
check_eq "and a change there raises no event" none "$(events_of keep/k1.php)"
"$WSIDCTL" --socket "$D/ctl.sock" rescan >/dev/null
sleep 1; wsync "$D"
check_eq "a rescan reports no deletion under the ignored path" none "$(events_of keep/k1.php)"

# a reload that only adds a glob does not walk every webspace again
n=$(grep -c "ignore paths taken out\|a path is no longer ignored" "$D/wsid.log")
ign "'keep/**', 'tmp/**'"
check "reload adding a glob: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
wsync "$D"
check_eq "adding a glob: no reconcile of everything" "$n" "$(grep -c "ignore paths taken out\|a path is no longer ignored" "$D/wsid.log")"

daemon_stop
daemon_start "$D" || { fail "daemon restart"; t_done; exit 1; }
wsync "$D"
check_eq "restarted: no deletion reported under the ignored path" none "$(events_of keep/k1.php)"
daemon_stop
t_done
