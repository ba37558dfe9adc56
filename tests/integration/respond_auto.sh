#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Automatic quarantine (respond: quarantine: malicious) against the live
# daemon: a shell a tenant uid writes into its webspace is moved into
# quarantine, the customer's webhook (a real HTTP server on 127.0.0.1) and mail
# carry the item in the same delivery as the malicious event, nothing is left
# behind and no second alarm follows; `quarantine list` shows it and
# `quarantine release` puts it back (and it is not moved again); benign and
# suspicious files stay; a move that fails is told and the event still goes
# out; off (the default) leaves a shell in place.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
TU=1234 # the tenant
PY=/usr/bin/python3
mount_tmpfs "$D/m" 256m
chmod 755 "$D" "$D/m"
W=$D/m/vhosts/alice/httpdocs
P=$W/wp-content/plugins/acme
mkdir -p "$P" "$W/wp-content/uploads"
printf '<?php\n/* Plugin Name: Acme */\nfunction acme_hello() { return "hello"; }\n' > "$P/acme.php"
chown -R $TU:$TU "$D/m/vhosts/alice"
asT() { setpriv --reuid=$TU --regid=$TU --clear-groups -- "$@"; }

start_receivers "$D" hook
HP=$(cat "$D/hook.port") SP=$(cat "$D/smtp.port")
conf() {
	daemon_config "$D" "$@" \
		"classify:" "  update_window: 1s" \
		"customers:" \
		"  alice:" "    webhook: {url: 'http://127.0.0.1:$HP/hook', secret: s3cret}" "    email: alice@example.com" \
		"notify:" "  digest_interval: 1s" "  smtp: {url: 'smtp://127.0.0.1:$SP', from: wsid@node.example}"
}
conf "respond:" "  quarantine: malicious"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
DB=$D/db/wsid.db
C="$WSIDCTL --config $D/wsid.yaml"
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10 * T_SLOW))); do "$@" && return 0; sleep 0.1; done; return 1; }
# hooks EXPR: EXPR over the delivered webhook bodies (recs) and their events (evs)
hooks() { $PY - "$D/hook.log" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
recs = [json.loads(r["body"]) for r in recs if not r.get("start") and r.get("status") == 200]
evs = [e for r in recs for e in r.get("events", [])]
print(eval(sys.argv[2]))
PY
}
export -f hooks; export PY D

# -- a tenant's shell: moved, and the webhook says so in the same delivery
SHELL_SRC='<?php\n$c = $_COOKIE["c"];\nshell_exec($c);\n'
asT sh -c "printf '$SHELL_SRC' > '$P/loader.php'"
sha=$(printf "$SHELL_SRC" | sha256sum | cut -c1-64)
waitfor 15 bash -c "[ \"\$(hooks \"len([e for e in evs if e['path'].endswith('/loader.php')])\")\" = 1 ]"
check_eq "shell: the webhook's event is malicious" "malicious critical" \
	"$(hooks "' '.join((lambda e: [e['verdict'], e['severity']])([e for e in evs if e['path'].endswith('/loader.php')][0]))")"
qid=$(hooks "[e for e in evs if e['path'].endswith('/loader.php')][0]['detail']['quarantine'].get('id')")
check "shell: the same event carries the quarantine item id ($qid)" bash -c "[[ '$qid' =~ ^[0-9]+$ ]]"
check_eq "shell: and the path it was moved from" "$P/loader.php" \
	"$(hooks "[e for e in evs if e['path'].endswith('/loader.php')][0]['detail']['quarantine']['path']")"
check_eq "shell: and who moved it" "wsid (automatic)" \
	"$(hooks "[e for e in evs if e['path'].endswith('/loader.php')][0]['detail']['quarantine']['by']")"
check_eq "shell: the analysis findings are still in the detail" "exec-of-input" \
	"$(hooks "[e for e in evs if e['path'].endswith('/loader.php')][0]['detail']['analysis']['findings'][0]['class']")"
check "shell: gone from the webspace" [ ! -e "$P/loader.php" ]
check_eq "shell: nothing else left in its directory" "acme.php" "$(ls -A "$P" | tr '\n' ' ' | sed 's/ $//')"
check_eq "shell: the kept copy is root's, 0400 (nothing executable)" "0:0 400" "$(stat -c '%u:%g %a' "$D/db/quarantine/$qid")"
check_eq "shell: the kept copy is byte-identical" "$sha" "$(sha256sum < "$D/db/quarantine/$qid" | cut -c1-64)"
out=$($C quarantine list)
check "quarantine list: the item, by wsid (automatic), held" grep -qE "^$qid +[0-9TZ:-]+ +wsid \(automatic\) +[0-9]+ +held +$P/loader.php$" <<<"$out"
check "quarantine list: the why is the verdict's reason" bash -c "grep -A1 '^$qid ' <<<'$out' | tail -1 | grep -q 'malicious code'"
check_eq "quarantine list --json: by, uid and mode of the tenant's file" "wsid (automatic) $TU 420" \
	"$($C quarantine list --json | $PY -c "import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r['id'] == $qid: print(r['by'], r['uid'], r['mode'])")"
waitfor 15 bash -c "grep -l 'loader.php' '$D/mail/'*.eml >/dev/null 2>&1"
check "mail: a line says it was quarantined, with the item" bash -c "grep -h -A4 'loader.php' '$D/mail/'*.eml | grep -q 'Quarantined: moved out of the webspace by wsid (quarantine item $qid)'"
wsync "$D"
sleep 1
wsync "$D"
check_eq "no second alarm: one event for the shell (the daemon's own removal raises none)" 1 \
	"$(events_json "$D" | $PY -c "import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)['path'].endswith('/loader.php')))")"
check_eq "no file row left for the moved shell" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM files WHERE relpath=CAST('wp-content/plugins/acme/loader.php' AS BLOB)")"
check_eq "status: one file quarantined" 1 "$("$WSIDCTL" --socket "$D/ctl.sock" status --json | $PY -c "import json,sys; print(json.load(sys.stdin).get('quarantined'))")"

# -- benign and suspicious files are never moved
asT sh -c "printf '<?php\nfunction acme_more() { return 42; }\n' > '$P/more.php'"
asT sh -c "printf '<?php\n\$f = \$_POST[\"name\"];\nfile_put_contents(__DIR__ . \"/\" . \$f, \$_POST[\"body\"]);\n' > '$P/editor.php'"
wsync "$D"
check_eq "a benign file: stays" "yes $(evq "$D" 'path$=/acme/more.php' -- verdict)" "$([ -f "$P/more.php" ] && echo yes) new"
check_eq "a suspicious file: suspicious, and stays" "suspicious yes" "$(evq "$D" 'path$=/acme/editor.php' -- verdict) $([ -f "$P/editor.php" ] && echo yes)"
check_eq "nothing else in quarantine" 1 "$(ls "$D/db/quarantine" | wc -l)"

# -- a symlink the tenant plants: never followed, never moved
mkdir -p "$D/outside"
printf "$SHELL_SRC" > "$D/outside/s.php"
asT ln -s "$D/outside/s.php" "$P/link.php"
wsync "$D"
check "a symlink: left as it is, its target untouched" [ -L "$P/link.php" -a -f "$D/outside/s.php" ]

# -- release puts it back; the released content is not moved again
out=$($C quarantine release "$qid"); rc=$?
check_eq "release of the automatic item: exit 0" 0 $rc
check "release: back in place, byte-identical" bash -c "[ \"\$(sha256sum < '$P/loader.php' | cut -c1-64)\" = $sha ]"
check_eq "release: the tenant's owner and mode" "$TU:$TU 644" "$(stat -c '%u:%g %a' "$P/loader.php")"
wsync "$D"
sleep 1
wsync "$D"
check "release: not moved again" [ -f "$P/loader.php" ]
check "release: the event says why it stays" bash -c "'$WSIDCTL' --db '$DB' events --json | grep loader.php | tail -1 | grep -q 'the admin released this content here before (item $qid)'"
check "quarantine list: released" grep -qE "^$qid .* released +$P/loader.php$" <<<"$($C quarantine list)"

# -- a move that fails is told, and the event still goes out
mv "$D/db/quarantine" "$D/db/quarantine.away"
: > "$D/db/quarantine"
asT sh -c "printf '<?php\n/* two */ eval(\$_POST[\"x\"]);\n' > '$P/drop.php'"
waitfor 15 bash -c "[ \"\$(hooks \"len([e for e in evs if e['path'].endswith('/drop.php')])\")\" = 1 ]"
check_eq "failed move: the event still goes out, malicious" malicious \
	"$(hooks "[e for e in evs if e['path'].endswith('/drop.php')][0]['verdict']")"
check "failed move: the webhook says why it was not moved" bash -c "hooks \"[e for e in evs if e['path'].endswith('/drop.php')][0]['detail']['quarantine']['error']\" | grep -q 'not quarantined: the quarantine directory: Not a directory'"
check "failed move: the file stays" [ -f "$P/drop.php" ]
rm -f "$D/db/quarantine"
mv "$D/db/quarantine.away" "$D/db/quarantine"

# -- off (the default): a shell stays where it is
conf
"$WSIDCTL" --socket "$D/ctl.sock" reload >/dev/null || fail "reload without respond"
asT sh -c "printf '<?php\n/* three */ system(\$_GET[\"c\"]);\n' > '$P/third.php'"
waitfor 15 bash -c "[ \"\$(hooks \"len([e for e in evs if e['path'].endswith('/third.php')])\")\" = 1 ]"
check_eq "off: the shell is malicious" malicious "$(hooks "[e for e in evs if e['path'].endswith('/third.php')][0]['verdict']")"
check_eq "off: no quarantine in the event" None "$(hooks "[e for e in evs if e['path'].endswith('/third.php')][0]['detail'].get('quarantine')")"
check "off: the shell stays" [ -f "$P/third.php" ]
check_eq "off: nothing new in quarantine" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM quarantine")"

# -- the key refuses other values
daemon_config "$D/bad" "respond:" "  quarantine: everything"
out=$("$WSID" --config "$D/bad/wsid.yaml" --check-config 2>&1); rc=$?
check_eq "respond.quarantine: an unknown value is refused" 1 $rc
check "respond.quarantine: the message names it" grep -q "respond.quarantine: 'everything' (expected off or malicious)" <<<"$out"

daemon_stop
t_done
