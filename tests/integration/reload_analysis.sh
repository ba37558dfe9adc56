#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The analysis changed by a reload or while the daemon was stopped: the
# stored verdicts follow. Switched on (reload or start), the unknown code
# stored while it was off is analysed and judged again (a shell that arrived
# then is malicious now, source rules); rules changed while the daemon was
# stopped re-judge at the start what they would at a reload.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 64m
A=$D/m/vhosts/alice/httpdocs
mkdir -p "$A/inc" "$D/rules"
cp "$WSID_TOP"/rules/*.yar "$D/rules/"
printf '<?php\n$x = $_POST["x"];\neval(base64_decode($x));\n' > "$A/inc/base.php"
an() { daemon_config "$D" "analysis:" "  enabled: $1" "  rules: ['$D/rules/*.yar']"; }
vsrc() { evq "$D" "path\$=/$1" -- verdict source; }
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }

an false
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
printf '<?php\neval(base64_decode($_POST["x"]));\n' > "$A/inc/live.php"
wsync "$D"
check_eq "analysis off: the shell written live is new" "new live" "$(vsrc inc/live.php)"

an true
check "reload switching the analysis on: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
waitfor 20 bash -c "[ \"\$('$WSIDCTL' --db '$D/db/wsid.db' events --all --json | grep -c '\"source\": *\"rules\"')\" -ge 2 ]"
wsync "$D"
check_eq "switched on by a reload: the shell stored while off is judged again" "malicious rules" "$(vsrc inc/live.php)"
check_eq "and the one of the baseline" "malicious rules" "$(vsrc inc/base.php)"
check "logged" grep -q "analysis: switched on: 2 stored files of unknown code analysed" "$D/wsid.log"

# off by a reload, a shell meanwhile, on again at a start
an false
check "reload switching it off: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
printf '<?php\nsystem($_GET["c"]); eval($_POST["e"]);\n' > "$A/inc/off.php"
wsync "$D"
check_eq "off again: the new shell is new" "new live" "$(vsrc inc/off.php)"
daemon_stop
an true
daemon_start "$D" || { fail "daemon restart"; t_done; exit 1; }
waitfor 20 bash -c "'$WSIDCTL' --db '$D/db/wsid.db' events --all --json | grep 'off.php' | grep -q '\"source\": *\"rules\"'"
wsync "$D"
check_eq "switched on at a start: the shell stored while off is judged again" "malicious rules" "$(vsrc inc/off.php)"

# a rule added while the daemon is stopped: the start re-judges as a reload would
printf '<?php\n$acme_banner = "ACME-ROGUE-TOKEN-7";\n' > "$A/inc/banner.php"
wsync "$D"
check_eq "before the rule: new" "new live" "$(vsrc inc/banner.php)"
daemon_stop
printf 'rule local_acme\n{\n\tmeta:\n\t\tseverity = "high"\n\t\tclass = "local-rule"\n\tstrings:\n\t\t$a = "ACME-ROGUE-TOKEN-7"\n\tcondition:\n\t\t$a\n}\n' > "$D/rules/local.yar"
daemon_start "$D" || { fail "daemon restart"; t_done; exit 1; }
waitfor 20 bash -c "'$WSIDCTL' --db '$D/db/wsid.db' events --all --json | grep 'banner.php' | grep -q '\"source\": *\"rules\"'"
wsync "$D"
check_eq "rules changed while stopped: judged again at the start" "malicious rules" "$(vsrc inc/banner.php)"
check "logged" grep -q "analysis: new rules: .* analysed again" "$D/wsid.log"
# a start with the same rules re-judges nothing
n=$("$WSIDCTL" --db "$D/db/wsid.db" events --all --json | grep -c '"source": *"rules"')
daemon_stop
daemon_start "$D" || { fail "daemon restart"; t_done; exit 1; }
sleep 1; wsync "$D"
check_eq "same rules at a start: nothing judged again" "$n" "$("$WSIDCTL" --db "$D/db/wsid.db" events --all --json | grep -c '"source": *"rules"')"
daemon_stop
t_done
