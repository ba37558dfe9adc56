#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Webspace roots the tenant can swap, against the live daemon, acting as the
# tenant (uid 1234). In the /home/{customer}/public_html layout the tenant owns
# the directory above its root: it replaces public_html by a symlink to a
# root-only 0700 directory (a domain just added, its baseline still queued; and
# a webspace already baselined, then made to reconcile by directories it makes
# and removes), by another directory of its own, by a symlink to /. Nothing of
# the root-only directory may be read, stored or named; the daemon logs the
# change and tells the admin; a new root that passes the discovery checks is
# registered again. And `wsidctl reload` in a loop while a big tree is baselined
# (the walk reads the configuration's ignore list while a reload replaces it).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
valgrind_skip "a 23,000-file baseline and timed races"
TENANT=1234
as_tenant() { setpriv --reuid=$TENANT --regid=$TENANT --clear-groups "$@"; }
PY=/usr/bin/python3

hostile_pre() {
	# /home/{customer}/public_html: the tenant owns /home/mallory; the vault is
	# root's (0700) on the same file system
	chmod 711 "$D" # the tenant reaches its home
	mkdir -p "$D/m/home/mallory/public_html" "$D/m/vault/inner"
	echo '<?php echo "mallory";' > "$D/m/home/mallory/public_html/index.php"
	chown -R $TENANT:$TENANT "$D/m/home/mallory"
	echo "root-only secret $RANDOM$RANDOM" > "$D/m/vault/secret.txt"
	echo "another root-only file" > "$D/m/vault/inner/ledger-x91.txt"
	echo '<?php system($_GET["c"]);' > "$D/m/vault/vault-shell.php"
	chmod 700 "$D/m/vault"
	chmod 600 "$D/m/vault/secret.txt"
	chmod 755 "$D/m/home"
	# the second pattern, an ignore list (read by every walk) and the admin route
	sed -i "s|^  - pattern: .*|&\n  - pattern: $D/m/home/{customer}/public_html|" "$D/wsid.yaml"
	cat >> "$D/wsid.yaml" <<-EOF
	ignore:
	  paths: ["**/.wsid-cache/**", "**/*.wsid-tmp", "**/.wsid-none/**"]
	notify:
	  digest_interval: 1s
	  backoff: 1s
	  user: nobody
	  admin:
	    webhook: {url: 'http://127.0.0.1:$(cat "$D/admin.port")/admin', secret: s3cret}
	    min_severity: warning
	EOF
}
mkdir -p "$T_TMP"
echo ok > "$T_TMP/admin.mode"
$PY "$WSID_TOP/tests/lib/webhook_receiver.py" "$T_TMP/admin.port" "$T_TMP/admin.log" "$T_TMP/admin.mode" s3cret &
T_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T_TMP/admin.port" ] && break; sleep 0.1; done
hostile_init 768m || { fail "set-up"; t_done; exit 1; }
DB=$D/db/wsid.db
H=$D/m/home
sqlq() { sqlite3 "$DB" "$@"; }
secret=$(sha256sum < "$D/m/vault/secret.txt" | cut -d' ' -f1)
shell=$(sha256sum < "$D/m/vault/vault-shell.php" | cut -d' ' -f1)
# waitfor SECONDS COMMAND...: until the command succeeds
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 20))); do "$@" && return 0; sleep 0.05; done; return 1; }
logged() { grep -qF -- "$1" "$D/wsid.log"; }

# vault_untouched WHAT: nothing of the vault is stored (rows, hashes, event
# paths, owner 0 files of the tenant), named by an event or listed by wsidctl files
vault_untouched() {
	local n
	n=$(sqlq "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE '%secret.txt' OR CAST(relpath AS TEXT) LIKE '%ledger-x91%' OR CAST(relpath AS TEXT) LIKE '%vault-shell%' OR lower(hex(sha256)) IN ('$secret', '$shell')")
	check_eq "$1: no file row of the vault (name or hash)" 0 "$n"
	n=$(sqlq "SELECT count(*) FROM events WHERE CAST(path AS TEXT) LIKE '%secret.txt' OR CAST(path AS TEXT) LIKE '%ledger-x91%' OR CAST(path AS TEXT) LIKE '%vault-shell%' OR lower(hex(new_sha256)) IN ('$secret', '$shell') OR reason LIKE '%ledger-x91%'")
	check_eq "$1: no event names a file of the vault or carries its hash" 0 "$n"
	n=$(sqlq "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.customer LIKE 'mallory%' AND f.uid=0")
	check_eq "$1: no root-owned file among the tenant's files" 0 "$n"
	n=$("$WSIDCTL" --config "$D/wsid.yaml" files "$H" --json 2>/dev/null | grep -c 'secret.txt\|ledger-x91\|vault-shell')
	check_eq "$1: wsidctl files lists nothing of the vault" 0 "$n"
	check "$1: the vault's names are not in the daemon's log" bash -c "! grep -q 'ledger-x91\|vault-shell\|secret.txt' '$D/wsid.log'"
}

# -- a big tree baselined while `wsidctl reload` runs in a loop, and meanwhile a
# domain added for the tenant, whose baseline waits behind the big one: the
# tenant swaps its public_html for a symlink to the vault before it runs
big=$(fixture_tree mediawiki) || { fail "fixture tree mediawiki"; t_done; exit 1; }
copy_tree "$big" "$D/m/staging"
mkdir -p "$D/m/vhosts/bigcust"
mv "$D/m/staging" "$D/m/vhosts/bigcust/httpdocs"
waitfor 30 logged "webspace $D/m/vhosts/bigcust/httpdocs (customer bigcust): first scan"
reloads=0
(
	while ! grep -qF "baseline $D/m/vhosts/bigcust/httpdocs:" "$D/wsid.log"; do
		"$WSIDCTL" --socket "$D/ctl.sock" reload >/dev/null 2>&1 || { kill -0 "$DAEMON_PID" 2>/dev/null || break; }
		echo x >> "$D/reloads"
	done
) &
RL=$!
T_PIDS+=("$RL")
mkdir -p "$H/mallory2"
chown $TENANT:$TENANT "$H/mallory2"
as_tenant mkdir "$H/mallory2/public_html"
as_tenant sh -c "echo '<?php echo 2;' > '$H/mallory2/public_html/index.php'"
waitfor 20 logged "webspace $H/mallory2/public_html (customer mallory2): first scan"
as_tenant mv "$H/mallory2/public_html" "$H/mallory2/moved"
as_tenant ln -s "$D/m/vault" "$H/mallory2/public_html"
check "the tenant swapped its new root before its baseline ran" bash -c "! grep -qF 'baseline $H/mallory2/public_html:' '$D/wsid.log'"
# (or the daemon died)
waitfor 300 bash -c "grep -qF 'baseline $D/m/vhosts/bigcust/httpdocs:' '$D/wsid.log' || ! kill -0 $DAEMON_PID"
wait "$RL" 2>/dev/null
reloads=$(wc -l < "$D/reloads" 2>/dev/null || echo 0)
check "reload loop: $reloads reloads during the baseline" [ "$reloads" -ge 5 ]
check "reload loop: the daemon survives" kill -0 "$DAEMON_PID"
check "reload loop: no AddressSanitizer report" bash -c "! grep -q 'AddressSanitizer\|runtime error' '$D/wsid.log'"
grep -A12 'AddressSanitizer' "$D/wsid.log" | head -n 30 | sed 's/^/# /'
# the baseline's rows are merged on the loop in slices after its log line: settle first
timeout 90 "$WSIDCTL" --socket "$D/ctl.sock" sync --timeout 60 >/dev/null
check_eq "reload loop: the big tree's baseline stored every file" \
	"$(find "$D/m/vhosts/bigcust/httpdocs" \( -type f -o -type l \) | wc -l)" \
	"$(sqlq "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.customer='bigcust'")"
bounded_sync "after the big baseline" 60
check "swapped before its baseline: the change of root is logged" \
	logged "webspace $H/mallory2/public_html: its root is no longer the directory registered"
vault_untouched "swapped before its baseline"

# -- a baselined root swapped for a symlink to the vault; the tenant makes and
# removes directories (a vanished directory reconciles every webspace)
check_eq "mallory's webspace is baselined" "index.php" "$(sqlq "SELECT CAST(f.relpath AS TEXT) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.customer='mallory'")"
as_tenant mv "$H/mallory/public_html" "$H/mallory/old"
as_tenant ln -s "$D/m/vault" "$H/mallory/public_html"
for i in 1 2 3; do
	as_tenant sh -c "mkdir -p '$H/mallory/old/d$i/e' && touch '$H/mallory/old/d$i/e/f' && rm -rf '$H/mallory/old/d$i'"
	"$WSIDCTL" --socket "$D/ctl.sock" rescan --all >/dev/null
	sleep 0.3
done
bounded_sync "symlink to the vault" 30
check "symlink to the vault: logged as a changed root, not walked" \
	logged "webspace $H/mallory/public_html: its root is no longer the directory registered"
# discovery runs every 10 s (and on directory events; a symlink is none)
check "symlink to the vault: discovery refuses the symlink" \
	waitfor 25 logged "webspace $H/mallory/public_html is a symbolic link: not watched"
vault_untouched "symlink to the vault"
ev=$(evq "$D" "source=system" "customer=mallory" -- verdict severity path)
check_eq "symlink to the vault: an admin event for the webspace" "suspicious warning $H/mallory/public_html" "$ev"
waitfor 30 grep -q "mallory/public_html" "$T_TMP/admin.log"
check "symlink to the vault: the admin route is told" grep -q "$H/mallory/public_html" "$T_TMP/admin.log"
grep -q "$H/mallory/public_html" "$T_TMP/admin.log" ||
	{ sqlq "SELECT id, route, kind, state, last_error FROM outbox" | head -n 5; grep -i 'notif\|deliver' "$D/wsid.log" | head -n 5; } | sed 's/^/# /'
n=$(sqlq "SELECT count(*) FROM outbox o JOIN outbox_events oe ON oe.outbox_id=o.id JOIN events e ON e.id=oe.event_id WHERE e.source='system' AND o.route<>'admin'")
check_eq "symlink to the vault: the event goes to the admin route only" 0 "$n"
canary_untouched "symlink to the vault"

# -- the tenant puts a real directory of its own back: it passes the checks and
# is registered again at the next discovery (every 10 s), its content reconciled
as_tenant rm "$H/mallory/public_html"
as_tenant mkdir "$H/mallory/public_html"
as_tenant sh -c "echo '<?php eval(\$_POST[1]);' > '$H/mallory/public_html/shell.php'"
waitfor 25 logged "webspace $H/mallory/public_html (customer mallory): registered again"
check "a new real directory is registered again" logged "webspace $H/mallory/public_html (customer mallory): registered again"
bounded_sync "registered again" 30
check_eq "registered again: its files are reconciled (the new shell is an event)" "created" \
	"$(evq "$D" "path=$H/mallory/public_html/shell.php" -- change)"
as_tenant sh -c "echo live > '$H/mallory/public_html/live.txt'"
bounded_sync "live after re-registration" 30
check_eq "registered again: a live change is seen" "created" "$(evq "$D" "path=$H/mallory/public_html/live.txt" -- change)"
check_eq "registered again: the stored state is the new directory's" "live.txt shell.php" \
	"$(sqlq "SELECT group_concat(p, ' ') FROM (SELECT CAST(f.relpath AS TEXT) p FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.customer='mallory' ORDER BY 1)")"

# -- the same path, another real directory the tenant made (same path, another
# inode): not walked under the old registration; it passes the checks, so it is
# registered again (logged, an admin event) and reconciled as the webspace
changed=$(grep -c "webspace $H/mallory/public_html: its root is no longer the directory registered" "$D/wsid.log")
again=$(grep -c "webspace $H/mallory/public_html (customer mallory): registered again" "$D/wsid.log")
admin_events=$(sqlq "SELECT count(*) FROM events WHERE source='system' AND customer='mallory'")
as_tenant mv "$H/mallory/public_html" "$H/mallory/old2"
as_tenant mkdir "$H/mallory/public_html"
as_tenant sh -c "echo other > '$H/mallory/public_html/other.txt'"
"$WSIDCTL" --socket "$D/ctl.sock" rescan --all >/dev/null
waitfor 25 bash -c "[ \$(grep -c 'webspace $H/mallory/public_html (customer mallory): registered again' '$D/wsid.log') -gt $again ]"
bounded_sync "another directory" 30
check "another directory at the path: the old registration's root is logged as changed" \
	[ "$(grep -c "webspace $H/mallory/public_html: its root is no longer the directory registered" "$D/wsid.log")" -gt "$changed" ]
check_eq "another directory at the path: one more admin event" $((admin_events + 1)) \
	"$(sqlq "SELECT count(*) FROM events WHERE source='system' AND customer='mallory'")"
check "another directory at the path: registered again after the checks" \
	[ "$(grep -c "webspace $H/mallory/public_html (customer mallory): registered again" "$D/wsid.log")" -gt "$again" ]
check_eq "another directory at the path: its content reconciled (other.txt created)" "created" \
	"$(evq "$D" "path=$H/mallory/public_html/other.txt" -- change)"

# -- a symlink to /: nothing of the system is walked, quickly
as_tenant rm -rf "$H/mallory/public_html"
as_tenant ln -s / "$H/mallory/public_html"
nfiles=$(sqlq "SELECT count(*) FROM files")
s=$SECONDS
as_tenant sh -c "mkdir -p '$H/mallory/old/z/y' && touch '$H/mallory/old/z/y/f' && rm -rf '$H/mallory/old/z'"
"$WSIDCTL" --socket "$D/ctl.sock" rescan --all >/dev/null
bounded_sync "symlink to /" 20
check "symlink to /: settled within 20 s ($((SECONDS - s)) s)" [ $((SECONDS - s)) -le 20 ]
n=$(sqlq "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'etc/%' OR CAST(relpath AS TEXT) LIKE 'proc/%' OR CAST(relpath AS TEXT) LIKE 'usr/%'")
check_eq "symlink to /: nothing of the system is stored" 0 "$n"
check "symlink to /: no more files stored than before (+ the live ones)" [ "$(sqlq "SELECT count(*) FROM files")" -le $((nfiles + 2)) ]
check "symlink to /: no walk of the system logged" bash -c "! grep -q 'reconciled $H/mallory/public_html: [0-9]\{4,\} entries\|baseline $H/mallory/public_html: [0-9]\{4,\}' '$D/wsid.log'"
vault_untouched "symlink to /"
canary_untouched "roots suite"
daemon_alive "roots suite"
daemon_stop
check "no AddressSanitizer report in the whole run" bash -c "! grep -q 'AddressSanitizer\|runtime error' '$D/wsid.log'"
t_done
