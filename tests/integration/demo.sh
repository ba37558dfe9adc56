#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's demo command (scripts/demo.sh) does what the README says: the
# scan identifies Debian's WordPress, the daemon's baseline and the live
# verdicts of each change it makes are printed, nothing is left mounted or
# running; and run a second time on the same directory it shows the live
# verdicts again (the database then holds the node from the first run).
. "$(dirname "$0")/../lib/lib.sh"
need_root
demo=$T_TMP/demo

# live LOG: the lines of the live part (between its heading and the database's)
live() { sed -n '/^live verdicts/,/^from the database/p' "$1"; }
# after_db LOG: the event lines the final filtered query printed
after_db() { sed -n '/^from the database/,$p' "$1" | grep -E '^ +[0-9]+  20'; }
# live_has LOG SEVERITY VERDICT PATH-END: one live verdict line says so
live_has() {
	live "$1" | grep -Eq "^  $2 +$3 +[a-z]+ +$demo/node/vhosts/.*/$4\$"
}
leftovers() { # nothing of the demo still mounted or running
	! mountpoint -q "$demo/node" && ! pgrep -f "$demo/wsid.yaml" >/dev/null
}

for run in 1 2; do
	log=$T_TMP/run$run.log
	WSID_DEMO_DIR=$demo timeout 300 bash "$WSID_TOP/scripts/demo.sh" --built >"$log" 2>&1
	rc=$?
	check_eq "run $run: the demo ends well" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/    # /' "$log" | tail -n 30
	check "run $run: the scan identifies Debian's wordpress by its hashes" \
		grep -Eq '^    identified   wordpress [0-9.]+ \(core\)' "$log"
	check "run $run: the shell dropped into uploads is critical, malicious" \
		live_has "$log" critical malicious 'wp-content/uploads/2024/05/shell.php'
	check "run $run: the edited core file is tampered" live_has "$log" warning tampered wp-login.php
	check "run $run: the release file copied into uploads is suspicious" \
		live_has "$log" warning suspicious 'wp-content/uploads/logo.png.php'
	check "run $run: the deleted release file is a notice" live_has "$log" notice deleted wp-cron.php
	check "run $run: bob's own code is new (info)" live_has "$log" info new cart.php
	check "run $run: the photo and the ignored cache files raise no event" \
		bash -c '! grep -Eq "beach\.jpg|wp-content/cache/" <<<"$1"' _ "$(live "$log")"
	check_eq "run $run: the filtered query lists the three events of warning and above of the live part, none of the baseline" 3 \
		"$(after_db "$log" | wc -l)"
	check "run $run: nothing of the demo left mounted or running" leftovers
done
check "run 1: the baseline's warnings are explained (Debian's own changes)" \
	grep -Eq "^the baseline: [1-9][0-9]* warnings in alice's webspace" "$T_TMP/run1.log"
check "run 2: the node is known from run 1 (no baseline)" grep -q '^no baseline: ' "$T_TMP/run2.log"
t_done
