#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Rules in signed bundles: `index export --sign` carries the build host's rule
# set (the packaged rules and the admin's rule files, by name) as rules/
# members; `index import` on a node verifies and activates them with the index;
# the running daemon reloads them and judges its cached contents again: a file
# the old rules found clean becomes malicious without being written again. A
# bundle whose rule file does not compile is refused with its message, and
# nothing of it is active.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
FORGE=$WSID_BUILD/helpers/bundle_forge
PY=/usr/bin/python3
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10 * T_SLOW))); do "$@" && return 0; sleep 0.1; done; return 1; }

# ---- the build host: the packaged rules and a rule file of the admin's
C=$D/central
mkdir -p "$C/local" "$C/db"
cat > "$C/local/acme-fleet.yar" <<'EOF'
rule acme_fleet_implant
{
	meta:
		severity = "high"
		class = "fleet-implant"
		description = "the implant the fleet's incident team found"
	strings:
		$m = "acme_sync_beacon_v2"
	condition:
		$m
}
EOF
daemon_config "$C" "analysis:" "  rules: ['$WSID_TOP/rules/*.yar', '$C/local/acme-fleet.yar']"
"$WSIDCTL" --db "$C/db/wsid.db" index build --from "$WSID_TOP/fingerprints" >/dev/null
"$WSIDCTL" index keygen --out "$C/fleet.key" >/dev/null 2>&1
CC="$WSIDCTL --config $C/wsid.yaml"
out=$($CC index export --sign "$C/fleet.key" "$D/r1.bundle" 2>&1); rc=$?
check_eq "export: exit 0" 0 $rc
check "export: says how many rule files it carries ($out)" grep -q ", 2 rule files$" <<<"$out"
members=$(tar tf "$D/r1.bundle" | grep '^rules/' | sort | tr '\n' ' ')
check_eq "export: the rules by name" "rules/acme-fleet.yar rules/php.yar " "$members"
check "export: the rule files as they are" cmp -s <(tar xOf "$D/r1.bundle" rules/php.yar) "$WSID_TOP/rules/php.yar"
check "export: each rule file listed with its SHA-256 in the signed manifest" grep -q "^file $(sha256sum < "$C/local/acme-fleet.yar" | cut -c1-64) $(stat -c %s "$C/local/acme-fleet.yar") 0 rules/acme-fleet.yar$" <<<"$(tar xOf "$D/r1.bundle" MANIFEST)"
cp "$C/local/acme-fleet.yar" "$C/local/php.yar"
daemon_config "$C" "analysis:" "  rules: ['$WSID_TOP/rules/*.yar', '$C/local/*.yar']"
out=$($CC index export --sign "$C/fleet.key" "$D/dup.bundle" 2>&1); rc=$?
check "export: two rule files of one name refused, named (rc $rc)" bash -c "[ $rc -ne 0 ] && grep -q 'two rule files named php.yar' <<<'$out'"
rm "$C/local/php.yar"
daemon_config "$C" "analysis:" "  rules: ['$WSID_TOP/rules/*.yar', '$C/local/acme-fleet.yar']"

# ---- a node with the packaged rules, a cached content they find clean
N=$D/node
mount_tmpfs "$N/m" 128m
W=$N/m/vhosts/alice/httpdocs
mkdir -p "$W/wp-content/plugins/acme"
daemon_config "$N" "trusted_keys:" "  - $C/fleet.key.pub" \
	"analysis:" "  rules: ['$WSID_TOP/rules/*.yar']" "classify:" "  update_window: 1s" \
	"customers:" "  alice:" "    email: alice@example.com"
daemon_start "$N" || { fail "daemon start"; t_done; exit 1; }
NDB=$N/db/wsid.db
F=$W/wp-content/plugins/acme/sync.php
printf '<?php\n/* acme_sync_beacon_v2 */\nfunction acme_sync() { return file_get_contents(__DIR__ . "/state.json"); }\n' > "$F"
wsync "$N"
st() { "$WSIDCTL" --socket "$N/ctl.sock" status --json | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
verdict() { sqlite3 "$NDB" "SELECT verdict FROM files WHERE relpath=CAST('wp-content/plugins/acme/sync.php' AS BLOB)"; }
V0=$(st rules_version)
check_eq "node: the content is analysed and found clean (new)" new "$(verdict)"
check_eq "node: its analysis is cached under the running rules" "$V0" "$(sqlite3 "$NDB" "SELECT rules_version FROM analysis WHERE sha256=X'$(sha256sum < "$F" | cut -c1-64)'")"
before=$(stat -c '%i %Y %Z' "$F")

# wsidctl analyse and scan with the node's rules: the bundle's are not there yet
NC="$WSIDCTL --config $N/wsid.yaml"
out=$($NC analyse "$F" 2>/dev/null); rc=$?
check_eq "analyse before the import: the node's rules find nothing (exit 0)" "0 " "$rc $out"

# ---- a bundle whose rule file does not compile: refused, nothing active
mkdir -p "$D/x"
tar xf "$D/r1.bundle" -C "$D/x"
printf 'rule broken {\n\tcondition:\n\t\tnot_a_thing(\n}\n' > "$D/x/rules/acme-fleet.yar"
$PY - "$D/x" <<'PY'
import hashlib, os, sys
d = sys.argv[1]
out = []
for l in open(os.path.join(d, "MANIFEST")).read().splitlines():
    f = l.split(" ")
    if l.startswith("serial "):
        l = "serial %d" % (int(f[1]) + 1000)
    elif l.startswith("file ") and f[4] == "rules/acme-fleet.yar":
        b = open(os.path.join(d, f[4]), "rb").read()
        l = "file %s %d 0 %s" % (hashlib.sha256(b).hexdigest(), len(b), f[4])
    out.append(l)
open(os.path.join(d, "MANIFEST.new"), "w").write("\n".join(out) + "\n")
PY
mem_args=()
for m in $(awk '/^file /{print $5}' "$D/x/MANIFEST.new"); do mem_args+=("$m=$D/x/$m"); done
"$FORGE" "$C/fleet.key" "$D/x/MANIFEST.new" "$D/broken.bundle" "${mem_args[@]}"
imp() { "$WSIDCTL" --config "$N/wsid.yaml" --socket "$N/ctl.sock" index import "$@"; }
out=$(imp "$D/broken.bundle" 2>&1); rc=$?
check "a rule file that does not compile: import refused (rc $rc)" [ $rc -ne 0 ]
check "the refusal names the member and what is wrong ($out)" grep -q "refused: rules/acme-fleet.yar" <<<"$out"
check "nothing activated: no rules directory" [ ! -e "$N/db/rules" ]
check_eq "nothing activated: no bundle recorded" 0 "$(sqlite3 "$NDB" "SELECT count(*) FROM bundle_imports")"
check_eq "nothing activated: the daemon's rules unchanged" "$V0" "$(st rules_version)"
check_eq "no staging directory left" 0 "$(find "$N/db" -maxdepth 1 -name '.wsid-import.*' | wc -l)"

# ---- the good bundle: activated, the daemon reloads, the cached content is judged again
out=$(imp "$D/r1.bundle" 2>&1); rc=$?
check_eq "import: exit 0" 0 $rc
check "import: says the rules are active ($out)" grep -q "^rules: 2 rule files active (rules version " <<<"$out"
check "import: the daemon reloaded" grep -q "wsid: rules reloaded" <<<"$out"
check "the bundle's rules are in place, root's alone" bash -c "[ \"\$(stat -c %a '$N/db/rules')\" = 700 ] && cmp -s '$N/db/rules/acme-fleet.yar' '$C/local/acme-fleet.yar'"
waitfor 20 bash -c "[ \"\$(sqlite3 '$NDB' \"SELECT verdict FROM files WHERE relpath=CAST('wp-content/plugins/acme/sync.php' AS BLOB)\")\" = malicious ]"
check_eq "the cached content is malicious under the new rules" malicious "$(verdict)"
check "the running rules changed" [ "$(st rules_version)" != "$V0" ]
check_eq "judged again by the rules, not by a write" "reclassified rules malicious" "$(evq "$N" 'path$=/acme/sync.php' verdict=malicious -- change source verdict)"
check "the event names the bundle's finding" bash -c "'$WSIDCTL' --db '$NDB' events --json | grep sync.php | tail -1 | grep -q fleet-implant"
check_eq "the file was not written again" "$before" "$(stat -c '%i %Y %Z' "$F")"
check "status: the file counted as judged again" [ "$(st analysis_rejudged)" -ge 1 ]
check_eq "the packaged php.yar is compiled once (the bundle's copy replaces it by name)" 0 "$(grep -c 'duplicated identifier' "$N/wsid.log")"

# wsidctl analyse and scan compile the node's effective rule set, as the daemon
out=$($NC analyse "$F" 2>/dev/null); rc=$?
check_eq "analyse after the import: the bundle's rule finds the implant (exit 1)" 1 "$rc"
check "analyse: the finding is the bundle's class ($out)" grep -qF "MALWARE     $F  (fleet-implant, line 2)" <<<"$out"
out=$($NC analyse --json "$F" 2>/dev/null)
check_eq "analyse --json: the rules version is the daemon's" "$(st rules_version)" "$($PY -c 'import json,sys; print(json.loads(sys.stdin.readline())["rules_version"])' <<<"$out")"
out=$($NC --socket "$N/ctl.sock" scan --standalone --json "$W/wp-content/plugins/acme" 2>/dev/null)
check_eq "scan: the bundle's rule finds the implant" "sync.php fleet-implant" "$($PY -c 'import json,sys; a=json.load(sys.stdin)["analysis"]; print(" ".join("%s %s" % (x["path"].split("/")[-1], x["findings"][0]["class"]) for x in a))' <<<"$out")"
out=$($NC analyse --no-default-rules "$F" 2>/dev/null); rc=$?
check_eq "analyse --no-default-rules: the PHP analyser alone finds nothing" 0 "$rc"

# ---- a restart keeps the imported rules
daemon_stop
daemon_start "$N" || { fail "daemon restart"; t_done; exit 1; }
check "after a restart: the bundle's rules are loaded" grep -q "analysis: 2 rule files" <<<"$(tail -20 "$N/wsid.log")"
check_eq "after a restart: still malicious" malicious "$(verdict)"
daemon_stop
t_done
