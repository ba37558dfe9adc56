#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What changes mean, decided by the running daemon on real file operations:
# an update of a real release (jquery 3.6.0 -> 3.7.1 from the npm registry,
# ingested with `index ingest`) is one event listing the file left behind; a
# downgrade too, even across a kill -9; an update writing a file twice, the
# second time slowly, still one event; tampered core files, suspicious code
# in uploads, nothing for a JPEG; `mark malicious` raises the same file in
# every webspace at once; consensus over a plugin no index knows; a version
# file that lies; the writer's identity and the web server raise.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 1g
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
JQ_OLD=$(npm_release jquery 3.6.0) && JQ_NEW=$(npm_release jquery 3.7.1) ||
	{ fail "npm releases of jquery (cached in $FIXTURE_CACHE/npm)"; t_done; exit 1; }
mkdir -p "$D/jq/old" "$D/jq/new"
tar xzf "$JQ_OLD" -C "$D/jq/old" && tar xzf "$JQ_NEW" -C "$D/jq/new"
OLD=$D/jq/old/package NEW=$D/jq/new/package

ws() { echo "$D/m/vhosts/$1/httpdocs"; }
for c in c1 c2 c3 c4 c5 c6; do mkdir -p "$(ws $c)"; done
W1=$(ws c1)
copy_tree "$WP" "$W1/blog"
mkdir -p "$W1/blog/wp-content/uploads/2024/05"
mkdir -p "$W1/js" && cp -r "$OLD/." "$W1/js/"
# a premium plugin no index knows, in four webspaces
for c in c2 c3 c4 c5; do
	p=$(ws $c)/wp-content/plugins/premium-forms
	mkdir -p "$p/includes"
	printf '<?php\n/* Plugin Name: Premium Forms */\nrequire __DIR__ . "/includes/core.php";\n' > "$p/premium-forms.php"
	printf '<?php\nfunction pf_render($f) { return htmlspecialchars($f); }\n' > "$p/includes/core.php"
done

# the index: the shipped sets plus both jquery releases, ingested
DB=$D/db/wsid.db
mkdir -p "$D/db"
"$WSIDCTL" --db "$DB" index build --from "$WSID_TOP/fingerprints" >/dev/null
for v in 3.6.0 3.7.1; do
	f=$JQ_OLD; [ $v = 3.7.1 ] && f=$JQ_NEW
	"$WSIDCTL" --db "$DB" index ingest --product jquery --version $v --out "$D/fp" "$f" >/dev/null ||
		fail "ingest jquery $v"
done
# the classification alone: what the analysis adds is integration/analysis.sh
daemon_config "$D" "analysis:" "  enabled: false" \
	"classify:" "  update_window: $((2 * T_SLOW))s" "  consensus_min: 3" \
	"customers:" "  c1:" "    email: c1@example.com"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
sqlq() { sqlite3 "$DB" "$@"; }
inst() { sqlq "SELECT product||' '||version FROM installations i JOIN webspaces w ON w.id=i.webspace_id WHERE w.path=CAST('$1' AS BLOB) AND i.root=CAST('$2' AS BLOB)"; }
check_eq "baseline: jquery 3.6.0 identified by hashes" "jquery 3.6.0" "$(inst "$W1" js)"
check_eq "baseline: nothing raised for what merely exists in c2" 0 "$(evq "$D" customer=c2 -- count)"

# -- a real update: 3.6.0 -> 3.7.1 copied over, removed files deleted, one
#    changed file left at its old content
left=$(cd "$OLD" && for f in src/*.js; do [ -f "$NEW/$f" ] && ! cmp -s "$f" "$NEW/$f" && { echo "$f"; break; }; done)
nchanged=$(cd "$NEW" && find . -type f | while read -r f; do cmp -s "$f" "$OLD/$f" || echo x; done | wc -l)
(cd "$OLD" && find . -type f) | while read -r f; do [ -f "$NEW/$f" ] || rm -f "$W1/js/$f"; done
cp -r "$NEW/." "$W1/js/"
cp "$OLD/$left" "$W1/js/$left"
wsync "$D"
check_eq "update: identified as jquery 3.7.1 afterwards" "jquery 3.7.1" "$(inst "$W1" js)"
check_eq "update: exactly one update event, not one per file ($nchanged files changed)" 1 "$(evq "$D" verdict=update -- count)"
check_eq "update: its reason" "jquery 3.6.0 → 3.7.1 at js (1 file did not follow)" "$(evq "$D" verdict=update -- reason)"
upd=$(evq "$D" verdict=update -- id)
detail=$("$WSIDCTL" --db "$DB" events --json --verdict update | python3 -c 'import json,sys; e=json.loads(sys.stdin.readline()); d=e["detail"]; print(d["from"], d["to"], d["not_followed_count"], " ".join(x["path"] for x in d["not_followed"]))')
check_eq "update: the file left behind is listed" "3.6.0 3.7.1 1 js/$left" "$detail"
nmem=$("$WSIDCTL" --db "$DB" events --json --members "$upd" | wc -l)
check "update: the file events are its members ($nmem >= $nchanged)" [ "$nmem" -ge "$nchanged" ]
check_eq "update: no file event stands alone in js/" 0 "$(evq "$D" 'path~=/httpdocs/js/' -- count)"
check_eq "update: the left-behind file's state says so" "downgrade" "$(sqlq "SELECT verdict FROM files WHERE relpath=CAST('js/$left' AS BLOB)")"
check_eq "update: files event count stored" "$nmem" "$(evq "$D" verdict=update -- files)"

# -- a downgrade back to 3.6.0, with the daemon killed inside the window
(cd "$NEW" && find . -type f) | while read -r f; do [ -f "$OLD/$f" ] || rm -f "$W1/js/$f"; done
cp -r "$OLD/." "$W1/js/"
for _ in $(seq 1 50); do [ "$(sqlq 'SELECT count(*) FROM events WHERE held=1')" -gt 10 ] && break; sleep 0.1; done
held=$(sqlq 'SELECT count(*) FROM events WHERE held=1')
check "downgrade: file events held while the window is open ($held)" [ "$held" -gt 10 ]
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
daemon_start "$D" || fail "restart after kill -9"
wsync "$D"
check_eq "downgrade across kill -9: one downgrade event" 1 "$(evq "$D" verdict=downgrade 'path$=/httpdocs/js' -- count)"
check_eq "downgrade: no file event stands alone in js/" 0 "$(evq "$D" 'path~=/httpdocs/js/' -- count)"
check_eq "downgrade: reason" "jquery 3.7.1 → 3.6.0 at js (a downgrade: old releases bring back fixed vulnerabilities)" "$(evq "$D" verdict=downgrade 'path$=/httpdocs/js' -- reason)"
check_eq "downgrade: nothing left held" 0 "$(sqlq 'SELECT count(*) FROM events WHERE held=1')"
check_eq "downgrade: warning by default" warning "$(evq "$D" verdict=downgrade 'path$=/httpdocs/js' -- severity)"

# -- an update again by one process: the files copied over, one of them then
#    written again slowly (truncated, its old content 300 ms later): what it
#    holds meanwhile (no release's content) is judged inside the window
python3 - "$NEW" "$W1/js" "$left" "$OLD" <<'PY'
import os, shutil, sys, time
new, dst, left, oldtree = sys.argv[1:5]
for d, _, files in os.walk(oldtree):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), oldtree)
        if not os.path.exists(os.path.join(new, rel)):
            os.unlink(os.path.join(dst, rel))
for d, _, files in os.walk(new):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), new)
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(new, rel), os.path.join(dst, rel))
with open(os.path.join(dst, left), "wb") as f:
    time.sleep(0.3)
    f.write(open(os.path.join(oldtree, left), "rb").read())
PY
wsync "$D"
check_eq "update again, a file written twice: one more update event" 2 "$(evq "$D" verdict=update -- count)"
check_eq "update again: no file event stands alone in js/" 0 "$(evq "$D" 'path~=/httpdocs/js/' -- count)"
check_eq "update again: its reason" "jquery 3.6.0 → 3.7.1 at js (1 file did not follow)" "$(evq "$D" verdict=update -- reason)"

# -- tampered, suspicious, nothing for a JPEG
U=$W1/blog/wp-content/uploads/2024/05
echo '// hacked' >> "$W1/blog/wp-login.php"
echo '<?php system($_GET["c"]);' > "$U/shell.php"
echo '<?php eval($_POST["x"]);' > "$U/x.jpg.php"
printf 'php_value auto_prepend_file /tmp/x\n' > "$U/.htaccess"
cp "$WP/wp-login.php" "$U/wp-login.php"
cp "$NEW/dist/jquery.slim.min.js" "$(ws c2)/slim.js"
head -c 20000 /dev/urandom | { printf '\xff\xd8\xff\xe0'; cat; } > "$U/photo.jpg"
wsync "$D"
check_eq "core file edited: tampered" "tampered warning" "$(evq "$D" 'path$=/blog/wp-login.php' -- verdict severity)"
check_eq "shell.php in uploads: suspicious" "suspicious" "$(evq "$D" 'path$=/05/shell.php' -- verdict)"
check_eq "x.jpg.php in uploads: suspicious" "suspicious" "$(evq "$D" 'path$=/05/x.jpg.php' -- verdict)"
check_eq ".htaccess in uploads: suspicious" "suspicious" "$(evq "$D" 'path$=/05/.htaccess' -- verdict)"
check_eq "core file copied into uploads: suspicious, a known release file" "suspicious" "$(evq "$D" 'path$=/05/wp-login.php' reason~=known -- verdict)"
check_eq "a known release file where no installation is: foreign (after its window)" "foreign warning" "$(evq "$D" 'path$=/c2/httpdocs/slim.js' -- verdict severity)"
check_eq "JPEG in uploads: nothing raised" 0 "$("$WSIDCTL" --db "$DB" events --all --json | python3 "$WSID_TOP/tests/lib/evq.py" 'path$=/photo.jpg' -- count)"
check_eq "JPEG in uploads: stored as ignored" ignored "$(sqlq "SELECT verdict FROM files WHERE CAST(relpath AS TEXT) LIKE '%/photo.jpg'")"

# -- the writer: a web server process writing code into uploads is critical
cp "$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')" "$D/php-fpm8.2"
"$D/php-fpm8.2" -c 'import sys, time; open(sys.argv[1], "w").write("<?php echo 1;\n"); time.sleep(1.5)' "$U/upload.php" &
wpid=$!
python3 -c 'import sys, time; open(sys.argv[1], "w").write("<?php echo 2;\n"); time.sleep(1.5)' "$U/sftp.php" &
spid=$!
wait $wpid $spid
wsync "$D"
check_eq "written by php-fpm: critical, writer recorded" "critical php-fpm8.2 $wpid" "$("$WSIDCTL" --db "$DB" events --json | python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l)
    if e["path"].endswith("/upload.php"): r=e
print(r["severity"], r["writer"]["comm"], r["writer"]["pid"])')"
check "written by php-fpm: the reason says so" grep -q "written by the web server (php-fpm8.2, user root)" <<<"$(evq "$D" 'path$=/upload.php' -- reason)"
check_eq "written by another process: warning, writer recorded" "warning python3 root" "$("$WSIDCTL" --db "$DB" events --json | python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l)
    if e["path"].endswith("/sftp.php"): r=e
print(r["severity"], r["writer"]["comm"], r["writer"]["user"])')"

# -- mark malicious: the same file in six webspaces raised at once
for c in c1 c2 c3 c4 c5 c6; do printf '<?php /* cache */ @assert($_REQUEST["k"]);\n' > "$(ws $c)/wp-cache.php"; done
wsync "$D"
check_eq "unknown code outside uploads: new, not malicious yet" 0 "$(evq "$D" verdict=malicious -- count)"
out=$("$WSIDCTL" --config "$D/wsid.yaml" mark malicious "$W1/wp-cache.php" --note "webshell seen on c1")
check "mark malicious: the daemon judged six files again ($out)" grep -q "6 files judged again" <<<"$out"
check_eq "mark malicious: raised in all six webspaces at once" 6 "$(evq "$D" verdict=malicious -- count)"
check_eq "mark malicious: critical, source mark" "critical mark reclassified" "$(evq "$D" verdict=malicious customer=c4 -- severity source change)"
sha=$(sha256sum < "$W1/wp-cache.php" | cut -d' ' -f1)
check "mark list: who, when, why" grep -q "malicious  $sha  .* root .*webshell seen on c1" <<<"$("$WSIDCTL" --config "$D/wsid.yaml" mark list)"
"$WSIDCTL" --config "$D/wsid.yaml" mark export --out "$D/known-bad.sha256" 2>/dev/null
check_eq "mark export: sha256sum format" "$sha  wp-cache.php" "$(cat "$D/known-bad.sha256")"
printf '<?php /* cache */ @assert($_REQUEST["k"]);\n' > "$D/probe.php"
check "mark export: checkable with sha256sum -c" bash -c "cd '$D' && cp probe.php wp-cache.php && sha256sum -c known-bad.sha256 >/dev/null"
printf '<?php /* cache */ @assert($_REQUEST["k"]);\n' > "$(ws c6)/other-name.php"
wsync "$D"
check_eq "a later copy under another name: malicious at once" malicious "$(evq "$D" 'path$=/other-name.php' -- verdict)"
# a second node imports the list
"$WSIDCTL" --db "$D/node2.db" index build --from "$WSID_TOP/fingerprints" >/dev/null
out=$("$WSIDCTL" --db "$D/node2.db" --socket "$D/none.sock" mark import "$D/known-bad.sha256" 2>&1)
check "mark import: another node takes the list ($out)" grep -q "1 hash marked malicious" <<<"$out"
check_eq "mark import: stored with its source" "$D/known-bad.sha256" "$(sqlite3 "$D/node2.db" 'SELECT note FROM known_bad')"
printf 'zz  bad\n' > "$D/bad.sha256"
out=$("$WSIDCTL" --db "$D/node2.db" --socket "$D/none.sock" mark import "$D/bad.sha256" 2>&1); rc=$?
check "mark import: a bad file refused with its line ($out)" bash -c "[ $rc -ne 0 ] && grep -q 'bad.sha256:1' <<<'$out'"

# -- mark trusted (a false positive, for one customer)
out=$("$WSIDCTL" --config "$D/wsid.yaml" mark trusted "$W1/blog/wp-login.php" --customer c1 --note "local patch")
check_eq "mark trusted: the tampered core file is ok now" ok "$(sqlq "SELECT verdict FROM files WHERE relpath=CAST('blog/wp-login.php' AS BLOB)")"
out=$("$WSIDCTL" --config "$D/wsid.yaml" mark remove "$W1/blog/wp-login.php" --customer c1)
check_eq "mark remove: tampered again" tampered "$(sqlq "SELECT verdict FROM files WHERE relpath=CAST('blog/wp-login.php' AS BLOB)")"
"$WSIDCTL" --config "$D/wsid.yaml" mark malicious /etc/hostname-nope >/dev/null 2>&1
check "mark: a missing file is an error" [ $? -ne 0 ]
ln -s /etc/shadow "$D/link"
out=$("$WSIDCTL" --config "$D/wsid.yaml" mark malicious "$D/link" 2>&1)
check "mark: a symlink is not followed ($out)" grep -q "symbolic link" <<<"$out"

# -- marks made while the daemon is stopped are applied when it starts (one
#    scan of the files table: it has no index by hash)
daemon_stop
"$WSIDCTL" --db "$DB" --socket "$D/none.sock" mark trusted "$W1/blog/wp-login.php" --customer c1 --note "offline" >/dev/null 2>&1
"$WSIDCTL" --db "$DB" --socket "$D/none.sock" mark malicious "$U/sftp.php" --note "offline" >/dev/null 2>&1
check_eq "marked while stopped: nothing judged yet" "tampered suspicious" "$(sqlq "SELECT verdict FROM files WHERE relpath=CAST('blog/wp-login.php' AS BLOB)") $(sqlq "SELECT verdict FROM files WHERE CAST(relpath AS TEXT) LIKE '%/sftp.php'")"
daemon_start "$D" || fail "restart after offline marks"
check_eq "marked while stopped: trusted at start" ok "$(sqlq "SELECT verdict FROM files WHERE relpath=CAST('blog/wp-login.php' AS BLOB)")"
check_eq "marked while stopped: malicious at start" malicious "$(sqlq "SELECT verdict FROM files WHERE CAST(relpath AS TEXT) LIKE '%/sftp.php'")"
check "marked while stopped: the daemon says so" grep -q "marks: 2 files judged again" "$D/wsid.log"
"$WSIDCTL" --config "$D/wsid.yaml" mark remove "$W1/blog/wp-login.php" --customer c1 >/dev/null
"$WSIDCTL" --config "$D/wsid.yaml" mark remove "$U/sftp.php" >/dev/null
check_eq "marks removed: judged as before" "tampered suspicious" "$(sqlq "SELECT verdict FROM files WHERE relpath=CAST('blog/wp-login.php' AS BLOB)") $(sqlq "SELECT verdict FROM files WHERE CAST(relpath AS TEXT) LIKE '%/sftp.php'")"

# -- consensus: one copy of the premium plugin differs from the other three
echo '@include "/tmp/.x";' >> "$(ws c5)/wp-content/plugins/premium-forms/includes/core.php"
wsync "$D"
check_eq "consensus: the modified copy is tampered (by consensus)" "tampered" "$(evq "$D" customer=c5 'path$=/includes/core.php' -- verdict)"
check "consensus: the reason counts the webspaces" grep -q "tampered (by consensus): 3 of 3 other webspaces" <<<"$(evq "$D" customer=c5 'path$=/includes/core.php' -- reason)"
# a plugin in three webspaces only: two agreeing copies are not enough
for c in c2 c3 c4; do
	mkdir -p "$(ws $c)/wp-content/plugins/rare-tool"
	printf '<?php\n/* Plugin Name: Rare Tool */\nfunction rt() { return 1; }\n' > "$(ws $c)/wp-content/plugins/rare-tool/rare-tool.php"
done
wsync "$D"
echo '// customised' >> "$(ws c4)/wp-content/plugins/rare-tool/rare-tool.php"
wsync "$D"
check_eq "consensus: two agreeing copies (< consensus_min 3) decide nothing" "changed-unknown" "$(evq "$D" customer=c4 'path$=/rare-tool.php' -- verdict)"

# -- the version file lies
sed -i "s/^\$wp_version = .*/\$wp_version = '6.9';/" "$W1/blog/wp-includes/version.php"
wsync "$D"
check_eq "version file edited: version-lie" "version-lie warning" "$(evq "$D" verdict=version-lie -- verdict severity)"
check "version-lie: reason" grep -q "claims 6.9, the hashes say 6.1" <<<"$(evq "$D" verdict=version-lie -- reason)"

# -- a whole component removed, and an installation left incomplete
rm -rf "$W1/js"
wsync "$D"
check_eq "component removed: one deleted event for the installation" 1 "$(evq "$D" verdict=deleted 'reason~=no longer found at js' -- count)"
check_eq "component removed: no stand-alone file deletions" 0 "$(evq "$D" verdict=deleted 'path~=/js/' -- count)"
rm -f "$W1/blog/wp-includes/js/"*.js
wsync "$D"
check "installation left incomplete: one event" grep -q "removed: the installation is incomplete" <<<"$(evq "$D" verdict=deleted 'path$=/blog' -- reason)"
rm -f "$W1/blog/xmlrpc.php"
wsync "$D"
check_eq "one release file deleted: its own event" "deleted notice" "$(evq "$D" 'path$=/blog/xmlrpc.php' -- verdict severity)"

# -- a release ingested while the daemon runs: installations of it are
#    identified at once
BS=$(npm_release bootstrap 5.3.3) || fail "npm release bootstrap 5.3.3"
mkdir -p "$D/bs" "$(ws c6)/assets/bootstrap" && tar xzf "$BS" -C "$D/bs" && cp -r "$D/bs/package/." "$(ws c6)/assets/bootstrap/"
wsync "$D"
check_eq "unknown release: no installation yet" "" "$(inst "$(ws c6)" assets/bootstrap)"
out=$("$WSIDCTL" --config "$D/wsid.yaml" index ingest --product bootstrap --version 5.3.3 --out "$D/fp" "$BS" 2>&1)
check "ingest tells the running daemon ($out)" grep -q "index reloaded" <<<"$out"
wsync "$D"
check_eq "ingested release: the installation is identified" "bootstrap 5.3.3" "$(inst "$(ws c6)" assets/bootstrap)"
check "ingested release: one event says so" grep -q "bootstrap 5.3.3 installed at assets/bootstrap (identified again after an index change)" <<<"$(evq "$D" customer=c6 verdict=new 'path$=/assets/bootstrap' -- reason)"

check "daemon still running" kill -0 "$DAEMON_PID"
daemon_stop
t_done
