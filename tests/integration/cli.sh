#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# wsidctl, the admin's view: sites (update states from the release data),
# report, files, ack, events --follow, --help of every verb, exit codes, the
# socket refusing strangers and surviving garbage, bash completion, man pages.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 512m
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
ws() { echo "$D/m/vhosts/$1/httpdocs"; }
DB=$D/db/wsid.db
mkdir -p "$D/db"
"$WSIDCTL" --db "$DB" index build --from "$WSID_TOP/fingerprints" >/dev/null
# jquery: three real releases; 3.6.0 is outdated, 3.6.4 the last of its
# branch, 3.7.1 the newest known
for v in 3.6.0 3.6.4 3.7.1; do
	f=$(npm_release jquery $v) || { fail "npm release jquery $v"; t_done; exit 1; }
	"$WSIDCTL" --db "$DB" index ingest --product jquery --version $v --out "$D/fp" "$f" >/dev/null
	c=jq${v//./}
	mkdir -p "$D/x/$v" "$(ws $c)/assets/jquery"
	tar xzf "$f" -C "$D/x/$v" && cp -r "$D/x/$v/package/." "$(ws $c)/assets/jquery/"
done
copy_tree "$WP" "$(ws wpsite)"
daemon_config "$D" "classify:" "  update_window: 1s"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
C=(--config "$D/wsid.yaml")

# -- sites
json=$("$WSIDCTL" "${C[@]}" sites --json)
check_eq "sites --json: one line per installation" 4 "$(grep -c . <<<"$json")"
st() { python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l)
    if e["customer"]==sys.argv[1]: print(e["product"], e["version"], e["state"], e["latest_version"], e["latest_in_branch"], e["behind"])' "$1" <<<"$json"; }
check_eq "sites: jquery 3.6.0 outdated, 2 behind, newest 3.7.1" "jquery 3.6.0 outdated 3.7.1 3.6.4 2" "$(st jq360)"
check_eq "sites: jquery 3.6.4 latest in its branch" "jquery 3.6.4 latest-in-branch 3.7.1 3.6.4 1" "$(st jq364)"
check_eq "sites: jquery 3.7.1 latest" "jquery 3.7.1 latest 3.7.1 3.7.1 0" "$(st jq371)"
wplatest=$(tail -n +2 "$WSID_TOP/fingerprints/wordpress/versions.tsv" | cut -f1 | grep -E '^[0-9.]+$' | sort -V | tail -1)
wpbranch=$(cut -f1 "$WSID_TOP/fingerprints/wordpress/versions.tsv" | grep -E '^6\.1(\.|$)' | sort -V | tail -1)
check_eq "sites: Debian's WordPress 6.1.9 outdated against versions.tsv" "wordpress 6.1.9 outdated $wplatest $wpbranch" "$(st wpsite | cut -d' ' -f1-5)"
check "sites --json: the documented fields" python3 -c 'import json,sys
need={"customer","webspace","root","product","kind","version","confidence","state","latest_version","behind"}
sys.exit(0 if all(need <= set(json.loads(l)) for l in sys.argv[1].splitlines()) else 1)' "$json"
out=$("$WSIDCTL" "${C[@]}" sites --outdated --json); rc=$?
check_eq "sites --outdated: exactly the outdated ones" "jq360 wpsite" "$(python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["customer"] for l in sys.stdin)))' <<<"$out")"
check_eq "sites --outdated: exit 1 when it lists any" 1 "$rc"
"$WSIDCTL" "${C[@]}" sites --outdated --customer jq371 >/dev/null; rc=$?
check_eq "sites --outdated: exit 0 when none" 0 "$rc"
check_eq "sites --product --customer filter" 1 "$("$WSIDCTL" "${C[@]}" sites --product jquery --customer jq364 --json | grep -c .)"
check "sites: a table for people" grep -qE "^jq360 .*jquery +3\.6\.0 .*outdated \(-2\) +3\.7\.1" <<<"$("$WSIDCTL" "${C[@]}" sites)"
"$WSIDCTL" "${C[@]}" sites --bogus >/dev/null 2>&1; rc=$?
check_eq "sites: a bad option is a usage error (2)" 2 "$rc"

# -- report
rep=$("$WSIDCTL" "${C[@]}" report --json)
check_eq "report --json: per product and state" "3 1 1 1 4" "$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); j=[p for p in r["products"] if p["product"]=="jquery"][0]; s=j["states"]; print(j["installations"], s["latest"], s["latest-in-branch"], s["outdated"], r["installations"])' "$rep")"
check "report: text for a slide" grep -q "latest 33%, latest in its branch 33%, outdated 33%" <<<"$("$WSIDCTL" "${C[@]}" report)"

# -- files
W=$(ws wpsite)
f=$("$WSIDCTL" "${C[@]}" files "$W/wp-login.php" --json)
check_eq "files FILE --json: its state" "ok release wordpress 6.1.9 $(sha256sum < "$W/wp-login.php" | cut -d' ' -f1)" "$(python3 -c 'import json,sys; e=json.loads(sys.argv[1]); print(e["verdict"], e["known"], e["product"], e["version"], e["sha256"])' "$f")"
n=$("$WSIDCTL" "${C[@]}" files "$W/wp-admin/css" --json | grep -c .)
check_eq "files DIR: every file under it" "$(find "$W/wp-admin/css" -type f | wc -l)" "$n"
"$WSIDCTL" "${C[@]}" files /nonexistent/x >/dev/null 2>&1; rc=$?
check_eq "files: a path in no webspace exits 1" 1 "$rc"
"$WSIDCTL" "${C[@]}" files relative/path >/dev/null 2>&1; rc=$?
check_eq "files: a relative path is a usage error" 2 "$rc"

# -- events --follow receives a change made after it started; ack
"$WSIDCTL" "${C[@]}" events --follow > "$D/follow.out" &
fpid=$!; T_PIDS+=("$fpid")
sleep 0.5
[ "$T_SLOW" -gt 1 ] && sleep 3 # connected before the change
echo '<?php // new' > "$W/after.php"
for _ in $(seq 1 $((50 * T_SLOW))); do grep -q after.php "$D/follow.out" && break; sleep 0.1; done
check "events --follow: a change made after it started" grep -q '"path":".*/after.php"' "$D/follow.out"
kill "$fpid"
wsync "$D"
id=$(evq "$D" 'path$=/after.php' -- id)
out=$("$WSIDCTL" "${C[@]}" ack "$id")
check_eq "ack: acknowledged" "event $id acknowledged" "$out"
check_eq "ack: events --json shows it" True "$(evq "$D" "id=$id" -- acked)"
check_eq "events --unacked leaves it out" 0 "$("$WSIDCTL" "${C[@]}" events --unacked --json | python3 "$WSID_TOP/tests/lib/evq.py" "id=$id" -- count)"
"$WSIDCTL" "${C[@]}" ack 999999 >/dev/null 2>&1; rc=$?
check_eq "ack: an unknown event exits 1" 1 "$rc"
"$WSIDCTL" "${C[@]}" ack x1 >/dev/null 2>&1; rc=$?
check_eq "ack: not an id is a usage error" 2 "$rc"

# -- --help for every verb, exit codes
for v in index scan status events sync rescan reload sites report files ack mark outbox notify help; do
	out=$("$WSIDCTL" $v --help 2>&1); rc=$?
	check "$v --help: usage, exit 0" bash -c "[ $rc -eq 0 ] && grep -q 'wsidctl' <<<'${out//\'/}'"
done
"$WSIDCTL" bogus >/dev/null 2>&1; rc=$?
check_eq "unknown verb: exit 2" 2 "$rc"

# -- the socket: strangers refused, garbage survived
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WSIDCTL" --socket "$D/ctl.sock" status 2>&1); rc=$?
check "a non-root peer is refused (exit $rc)" bash -c "[ $rc -ne 0 ] && grep -qi 'denied' <<<'$out'"
python3 - "$D/ctl.sock" <<'PY'
import os, socket, sys
for payload in [os.urandom(3000), b"A" * 10000 + b"\n", b"\x00\xff\n", b"status " + b"\xc3\x28" * 100 + b"\n", b"rescan !!notbase64!!\n"]:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(payload)
    s.settimeout(2)
    try:
        s.recv(4096)
    except Exception:
        pass
    s.close()
PY
check "garbage on the socket: the daemon still answers" bash -c "\"$WSIDCTL\" --socket \"$D/ctl.sock\" status >/dev/null"

# -- scan through the daemon (its stored state) and standalone
sj() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(" ".join("%s %s %s" % (i["product"], i["version"], i["root"]) for s in r["scanned"] for i in s["installations"]))'; }
out=$("$WSIDCTL" "${C[@]}" scan "$(ws jq360)" 2>&1 >/dev/null)
check "scan with the daemon up: read from its state ($out)" grep -q "from the daemon's stored state" <<<"$out"
via=$("$WSIDCTL" "${C[@]}" scan --json "$(ws jq360)" 2>/dev/null | sj)
alone=$("$WSIDCTL" "${C[@]}" scan --standalone --json "$(ws jq360)" 2>/dev/null | sj)
check_eq "scan through the daemon: jquery 3.6.0 found" "jquery 3.6.0 $(ws jq360)/assets/jquery" "$via"
check_eq "scan --standalone: the same answer" "$via" "$alone"
out=$("$WSIDCTL" "${C[@]}" scan "$D/x/3.7.1/package" 2>&1 >/dev/null)
check "scan of a path no webspace holds: walked ($out)" bash -c "! grep -q 'stored state' <<<'$out'"

# -- global options after the verb, as git-like tools take them
check_eq "sites --config F: the option after the verb" 4 "$("$WSIDCTL" sites --json --config "$D/wsid.yaml" | grep -c .)"
check_eq "events --config=F: the =VALUE form after the verb" \
	"$("$WSIDCTL" "${C[@]}" events --json | wc -l)" "$("$WSIDCTL" events --json --config="$D/wsid.yaml" | wc -l)"
check "status --socket S after the verb" "$WSIDCTL" status --socket "$D/ctl.sock"
"$WSIDCTL" --db "$D/none.db" index build --db "$D/db2/later.db" --from "$WSID_TOP/fingerprints" --product wordpress >/dev/null
check "index build --db X: after the verb it wins over the one before" bash -c "[ -s '$D/db2/later.db' ] && [ ! -e '$D/none.db' ]"
check_eq "index stats --db X" 837 "$("$WSIDCTL" --json index stats --db "$D/db2/later.db" | python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"])')"
out=$("$WSIDCTL" sites --json --db 2>&1); rc=$?
check_eq "--db without its value: a usage error" "2 wsidctl: --db needs a value" "$rc $out"
out=$("$WSIDCTL" "${C[@]}" files -- --config 2>&1); rc=$?
check "after '--' nothing is taken as a global option (exit $rc: $out)" bash -c "[ $rc -eq 2 ] && ! grep -q 'needs a value' <<<'$out'"

# -- index ingest creates its output directory; index build says where it looked
f=$(npm_release jquery 3.7.1)
"$WSIDCTL" --db "$D/db3/i.db" index ingest --product jquery --version 3.7.1 --out "$D/new/fp/dir" "$f" >/dev/null; rc=$?
check_eq "ingest --out into a missing directory: created (exit 0)" 0 "$rc"
check "ingest: the set in it, the directories 0755" bash -c \
	"[ -s '$D/new/fp/dir/jquery/3.7.1.sha256' ] && [ \$(stat -c %a '$D/new/fp/dir') = 755 ]"
printf 'database: %s/nofp.db\nfingerprints:\n  - %s/nofp-a\n  - %s/nofp-b\nwebspaces:\n  - pattern: %s/m/vhosts/{customer}/httpdocs\n' \
	"$D" "$D" "$D" "$D" > "$D/nofp.yaml"
out=$("$WSIDCTL" index build --config "$D/nofp.yaml" 2>&1); rc=$?
check_eq "index build without a fingerprint directory: a usage error" 2 "$rc"
check "index build: says where it looked ($out)" grep -q "looked in $D/nofp-a, $D/nofp-b" <<<"$out"
check "index build: says what to pass" grep -q -- "--from DIR" <<<"$out"

# -- help: a quick start of verbs that exist
help=$("$WSIDCTL" help)
qs=$(sed -n '/^quick start:/,/^$/p' <<<"$help" | sed -n 's/^  wsidctl \([a-z]*\).*/\1/p')
check_eq "help: a quick start of five commands" 5 "$(grep -c . <<<"$qs")"
for v in $qs; do
	check "quick start: '$v' is a verb" "$WSIDCTL" help "$v"
done

# -- status exit codes
daemon_stop
"$WSIDCTL" --socket "$D/ctl.sock" status >/dev/null 2>&1; rc=$?
check_eq "status: exit 1 when the daemon is down" 1 "$rc"
check_eq "sites works without the daemon" 4 "$("$WSIDCTL" "${C[@]}" sites --json | grep -c .)"

# -- bash completion and man pages
comp=$(bash -c ". '$WSID_TOP/etc/bash-completion/wsidctl'; COMP_WORDS=(wsidctl si); COMP_CWORD=1; _wsidctl; echo \${COMPREPLY[*]}")
check_eq "bash completion: verbs" "sites" "$comp"
comp=$(bash -c ". '$WSID_TOP/etc/bash-completion/wsidctl'; COMP_WORDS=(wsidctl sites --out); COMP_CWORD=2; _wsidctl; echo \${COMPREPLY[*]}")
check_eq "bash completion: a verb's options" "--outdated" "$comp"
comp=$(bash -c ". '$WSID_TOP/etc/bash-completion/wsidctl'; COMP_WORDS=(wsidctl mark m); COMP_CWORD=2; _wsidctl; echo \${COMPREPLY[*]}")
check_eq "bash completion: mark kinds" "malicious" "$comp"
for m in wsid.8 wsidctl.8 wsid.yaml.5; do
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$WSID_TOP/man/$m" 2>&1 >/dev/null)
	check "man page $m renders without warnings${warn:+ ($warn)}" [ -z "$warn" ]
done
check "wsidctl(8) documents every verb" bash -c "for v in index scan status events sync rescan reload sites report files ack mark outbox notify; do grep -q \"^\\.B \$v\\|^\\.SS \$v\" '$WSID_TOP/man/wsidctl.8' || { echo \"missing \$v\"; exit 1; }; done"
inst=$D/inst
make -s -C "$WSID_TOP" install DESTDIR="$inst" PREFIX=/usr/local >/dev/null 2>&1
make -s -C "$WSID_TOP" install DESTDIR="$D/inst2" PREFIX=/opt/w >/dev/null 2>&1
check_eq "make install: the configuration 0600, reading \$DATADIR's fingerprints" "600 1" \
	"$(stat -c %a "$D/inst2/etc/wsid/wsid.yaml") $(grep -cx '  - /opt/w/share/wsid/fingerprints' "$D/inst2/etc/wsid/wsid.yaml")"
check "make install: the units start \$SBINDIR/wsid" bash -c \
	"grep -qx 'ExecStart=/opt/w/sbin/wsid --config /etc/wsid/wsid.yaml' '$D/inst2/lib/systemd/system/wsid.service' && \
	 grep -q '^ExecStart=/opt/w/sbin/wsid --deliver-listen' '$D/inst2/lib/systemd/system/wsid-deliver.service'"
check "make install: man pages and completion" bash -c "[ -f '$inst/usr/local/share/man/man8/wsidctl.8' ] && [ -f '$inst/usr/local/share/man/man5/wsid.yaml.5' ] && [ -f '$inst/usr/local/share/man/man8/wsid.8' ] && [ -f '$inst/usr/local/share/bash-completion/completions/wsidctl' ]"
t_done
