#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Respond: the pristine store filled by `index ingest` from a real Debian
# WordPress tree; `restore` of a core file a tenant tampered with and of one it
# deleted, against the live daemon (verdict back to ok, content byte-identical,
# no tamper event for the write); a symlink planted by the tenant at the path,
# or at a directory on the way, refused; a store that lacks a content or holds
# a damaged one refused; `quarantine` of a shell, list, release.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
TU=1234 # the tenant
mount_tmpfs "$D/m" 512m
chmod 755 "$D" "$D/m"
WP0=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
WP=$D/release
copy_tree "$WP0" "$WP"
W=$D/m/vhosts/alice/httpdocs
mkdir -p "$W"
copy_tree "$WP" "$W/blog"
chown -R $TU:$TU "$D/m/vhosts/alice"
find "$W/blog" -type f -name '*.php' -exec chmod 0640 {} +
asT() { setpriv --reuid=$TU --regid=$TU --clear-groups -- "$@"; }
mkdir -p "$D/outside"

DB=$D/db/wsid.db
mkdir -p "$D/db"
"$WSIDCTL" --db "$DB" index build --from "$WSID_TOP/fingerprints" >/dev/null
out=$("$WSIDCTL" --db "$DB" index ingest --product wordpress --version 6.1.9 --out "$D/fp" "$WP" 2>&1)
nfiles=$(find "$WP" -type f | xargs -d '\n' sha256sum | awk '{print $1}' | sort -u | wc -l)
check "ingest: the pristine store keeps each distinct content once ($nfiles)" grep -q "pristine store: $nfiles new contents kept" <<<"$out"
check_eq "ingest: one file per distinct content in the store" "$nfiles" "$(find "$D/db/pristine" -type f | wc -l)"
check_eq "ingest: the store is root's alone" 700 "$(stat -c %a "$D/db/pristine")"
out=$("$WSIDCTL" --db "$DB" index ingest --product wordpress --version 6.1.9 --out "$D/fp" "$WP" 2>&1)
check "ingest again: nothing new kept" grep -q "pristine store: 0 new contents kept ($nfiles contents" <<<"$out"
check "index stats: the store's size and bound" grep -qE "^pristine store  $D/db/pristine: $nfiles contents, [0-9.]+ MiB of 4096 MiB" <<<"$("$WSIDCTL" --db "$DB" index stats)"
mkdir -p "$D/db2"
"$WSIDCTL" --db "$D/db2/wsid.db" index ingest --no-store --product wordpress --version 6.1.9 --out "$D/fp2" "$WP" >/dev/null 2>&1
check "ingest --no-store: no store written" [ ! -e "$D/db2/pristine" ]
out=$("$WSIDCTL" --db "$D/db2/wsid.db" restore "$D/m/x.php" 2>&1); rc=$?
check_eq "restore without a store: refused" 3 $rc
check "restore without a store: says to ingest" grep -q "no pristine store at $D/db2/pristine: ingest the releases" <<<"$out"

comp=$(bash -c ". '$WSID_TOP/etc/bash-completion/wsidctl'; COMP_WORDS=(wsidctl quarantine l); COMP_CWORD=2; _wsidctl; echo \${COMPREPLY[*]}")
check_eq "bash completion: quarantine list" "list" "$comp"
check "wsidctl(8) documents restore" grep -q '^\.SS restore' "$WSID_TOP/man/wsidctl.8"
check "wsidctl(8) documents quarantine" grep -q '^\.SS quarantine' "$WSID_TOP/man/wsidctl.8"

# verdicts by hash and place (tampered, suspicious) are what restore and quarantine
# act on here; the analysis would make the injected files malicious
# (integration/analysis.sh covers that)
daemon_config "$D" "analysis:" "  enabled: false" "classify:" "  update_window: $((2 * T_SLOW))s" "customers:" "  alice:" "    email: alice@example.com"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
sqlq() { sqlite3 "$DB" "$@"; }
verdict() { sqlq "SELECT verdict FROM files WHERE relpath=CAST('$1' AS BLOB)"; }
check_eq "baseline: wordpress 6.1.9 identified" "wordpress 6.1.9" "$(sqlq "SELECT product||' '||version FROM installations WHERE root=CAST('blog' AS BLOB)")"
C="$WSIDCTL --config $D/wsid.yaml"

# -- tampered by the tenant, restored
asT sh -c "echo '<?php /* injected */ eval(\$_POST[1]);' >> '$W/blog/wp-login.php'"
wsync "$D"
check_eq "tampered: the daemon says so" tampered "$(verdict blog/wp-login.php)"
ntamp=$(evq "$D" 'path$=/blog/wp-login.php' verdict=tampered -- count)
tampered_sha=$(sha256sum < "$W/blog/wp-login.php" | cut -c1-64)
out=$($C restore --dry-run "$W/blog/wp-login.php")
check "restore --dry-run: says what it would do" grep -q "would restore $W/blog/wp-login.php (wordpress 6.1.9, tampered)" <<<"$out"
check_eq "restore --dry-run: writes nothing" "$tampered_sha" "$(sha256sum < "$W/blog/wp-login.php" | cut -c1-64)"
out=$($C restore "$W/blog/wp-login.php"); rc=$?
check_eq "restore: exit 0" 0 $rc
check "restore: says so, and where the replaced content went" grep -q "restored $W/blog/wp-login.php (wordpress 6.1.9; the replaced content is quarantine item 1)" <<<"$out"
check "restore: byte-identical to the release" cmp -s "$WP/wp-login.php" "$W/blog/wp-login.php"
check_eq "restore: owner, group and mode of the neighbours" "$TU:$TU 640" "$(stat -c '%u:%g %a' "$W/blog/wp-login.php")"
check_eq "restore: no temporary file left" 0 "$(find "$W" -name '.wsid-*' | wc -l)"
wsync "$D"
check_eq "restore: the daemon's verdict is back to ok" ok "$(verdict blog/wp-login.php)"
check_eq "restore: no tamper event for the write (no loop)" "$ntamp" "$(evq "$D" 'path$=/blog/wp-login.php' verdict=tampered -- count)"
check_eq "restore: no event above info for the write" 0 "$("$WSIDCTL" --db "$DB" events --all --json --since 1h | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    e = json.loads(l)
    if e["path"].endswith("/wp-login.php") and e["verdict"] != "tampered" and e["severity"] != "info": n += 1
print(n)')"
# the writer is read from /proc when the event is handled: a restore that has
# already exited leaves it unnamed, never named as another process
check "restore: the daemon records the write with verdict ok, as wsidctl's or unnamed" grep -qxE "ok (wsidctl|None)" <<<"$("$WSIDCTL" --db "$DB" events --all --json | python3 -c '
import json, sys
r = None
for l in sys.stdin:
    e = json.loads(l)
    if e["path"].endswith("/blog/wp-login.php"): r = e
print(r["verdict"], (r.get("writer") or {}).get("comm"))')"
check_eq "restore: the replaced content is kept in quarantine" "$tampered_sha" "$(sha256sum < "$D/db/quarantine/1" | cut -c1-64)"
out=$($C restore "$W/blog/wp-login.php")
check "restore again: nothing to do" grep -q "0 restored, 1 already release content, 0 refused" <<<"$out"

# -- deleted by the tenant; restore --installation puts back every missing file
asT rm "$W/blog/xmlrpc.php" "$W/blog/wp-admin/about.php"
wsync "$D"
out=$($C restore --installation "$W/blog")
check "restore --installation: the two missing files" grep -q "^2 restored, " <<<"$out"
check "restore --installation: xmlrpc.php back" cmp -s "$WP/xmlrpc.php" "$W/blog/xmlrpc.php"
check "restore --installation: wp-admin/about.php back" cmp -s "$WP/wp-admin/about.php" "$W/blog/wp-admin/about.php"
wsync "$D"
check_eq "restore --installation: ok again" "ok ok" "$(verdict blog/xmlrpc.php) $(verdict blog/wp-admin/about.php)"

# -- a symlink planted by the tenant at the path, or on the way
echo secret > "$D/outside/target"
asT sh -c "rm '$W/blog/wp-cron.php' && ln -s '$D/outside/target' '$W/blog/wp-cron.php'"
out=$($C restore "$W/blog/wp-cron.php" 2>&1); rc=$?
check_eq "symlink at the path: refused (exit 3)" 3 $rc
check "symlink at the path: the message says why" grep -q "a symbolic link on the way or at the file: refused, nothing written" <<<"$out"
check_eq "symlink at the path: its target untouched" secret "$(cat "$D/outside/target")"
check "symlink at the path: the link itself left alone" [ -L "$W/blog/wp-cron.php" ]
mkdir -p "$D/outside/inc"
asT sh -c "mv '$W/blog/wp-includes' '$W/blog/wp-includes.old' && ln -s '$D/outside/inc' '$W/blog/wp-includes'"
out=$($C restore "$W/blog/wp-includes/version.php" 2>&1); rc=$?
check_eq "symlinked directory on the way: refused" 3 $rc
check_eq "symlinked directory on the way: nothing written outside" 0 "$(find "$D/outside/inc" -type f | wc -l)"
out=$($C restore "$D/outside/target" 2>&1); rc=$?
check "a path outside every webspace: refused" grep -q "not a file in a watched webspace" <<<"$out"
asT sh -c "rm '$W/blog/wp-includes' '$W/blog/wp-cron.php' && mv '$W/blog/wp-includes.old' '$W/blog/wp-includes'"

# -- the store lacks a content, or holds a damaged one
h=$(sha256sum < "$WP/wp-cron.php" | cut -c1-64)
mv "$D/db/pristine/${h:0:2}/$h" "$D/wp-cron.z"
out=$($C restore "$W/blog/wp-cron.php" 2>&1); rc=$?
check "content not in the store: says which release to ingest" grep -q "is not in the pristine store: ingest that release (wsidctl index ingest --product wordpress --version 6.1.9 SOURCE)" <<<"$out"
check "content not in the store: nothing written" [ ! -e "$W/blog/wp-cron.php" ]
python3 - "$D/wp-cron.z" "$D/db/pristine/${h:0:2}/$h" <<'PY'
import sys, zlib
raw = open(sys.argv[1], "rb").read()
data = bytearray(zlib.decompress(raw[12:]))
data[10] ^= 1  # one bit of the release content flipped, stored well-formed
open(sys.argv[2], "wb").write(raw[:12] + zlib.compress(bytes(data)))
PY
out=$($C restore "$W/blog/wp-cron.php" 2>&1); rc=$?
check_eq "a damaged stored content: refused (its hash is checked)" 3 $rc
check "a damaged stored content: nothing written" [ ! -e "$W/blog/wp-cron.php" ]
mv "$D/wp-cron.z" "$D/db/pristine/${h:0:2}/$h"
$C restore "$W/blog/wp-cron.php" >/dev/null
check "content back in the store: restored" cmp -s "$WP/wp-cron.php" "$W/blog/wp-cron.php"

# -- quarantine of a shell the tenant dropped
U=$W/blog/wp-content/uploads
asT mkdir -p "$U"
asT sh -c "printf '<?php system(\$_GET[\"c\"]);\n' > '$U/shell.php' && chmod 0755 '$U/shell.php' && touch -d '2024-05-01 12:00' '$U/shell.php'"
shell_sha=$(sha256sum < "$U/shell.php" | cut -c1-64)
shell_size=$(stat -c %s "$U/shell.php")
wsync "$D"
check_eq "the shell: suspicious" suspicious "$(verdict blog/wp-content/uploads/shell.php)"
out=$(SUDO_USER=admin1 $C quarantine "$U/shell.php" --note "web shell, ticket 42"); rc=$?
check_eq "quarantine: exit 0" 0 $rc
check "quarantine: says the item id" grep -qE "quarantined $U/shell.php as item [0-9]+ \($shell_size bytes\)" <<<"$out"
qid=$(sed -nE 's/.* as item ([0-9]+) .*/\1/p' <<<"$out")
check "quarantine: gone from the webspace" [ ! -e "$U/shell.php" ]
check_eq "quarantine: kept root-only, nothing executable" "700 400 0:0" "$(stat -c %a "$D/db/quarantine") $(stat -c '%a %u:%g' "$D/db/quarantine/$qid")"
check_eq "quarantine: the content kept" "$shell_sha" "$(sha256sum < "$D/db/quarantine/$qid" | cut -c1-64)"
line=$($C quarantine list --json | python3 -c "
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e['id'] == $qid: print(e['by'], e['reason'], e['uid'], oct(e['mode']), e['size'], e['sha256'] == '$shell_sha', 'released_at' in e)")
check_eq "quarantine list: who, why, metadata" "admin1 web shell, ticket 42 $TU 0o755 $shell_size True False" "$line"
check "quarantine list (text): the path and the note" grep -q "web shell, ticket 42" <<<"$($C quarantine list)"
wsync "$D"
check_eq "quarantine: the daemon no longer holds the file" "" "$(verdict blog/wp-content/uploads/shell.php)"
asT ln -s /etc/passwd "$U/link.php"
out=$($C quarantine "$U/link.php" 2>&1); rc=$?
check_eq "quarantine of a symlink: refused" 3 $rc
check "quarantine of a symlink: the link left, the message says why" [ -L "$U/link.php" -a -n "$(grep "symbolic link" <<<"$out")" ]
out=$($C quarantine /etc/passwd 2>&1); rc=$?
check_eq "quarantine outside every webspace: refused" 3 $rc
check "quarantine outside every webspace: untouched" [ -s /etc/passwd ]
out=$($C quarantine release "$qid"); rc=$?
check_eq "quarantine release: exit 0" 0 $rc
check_eq "quarantine release: back, same content, owner, mode, mtime" "$shell_sha $TU:$TU 755 2024-05-01 12:00" \
	"$(sha256sum < "$U/shell.php" | cut -c1-64) $(stat -c '%u:%g %a' "$U/shell.php") $(date -d "@$(stat -c %Y "$U/shell.php")" '+%Y-%m-%d %H:%M')"
check "quarantine release: the kept copy removed" [ ! -e "$D/db/quarantine/$qid" ]
check "quarantine list: released, by whom" grep -q "\"released_by\":\"root\"" <<<"$($C quarantine list --json)"
out=$($C quarantine release "$qid" 2>&1); rc=$?
check "quarantine release twice: refused" grep -q "no item $qid held in quarantine" <<<"$out"
$C quarantine "$U/shell.php" >/dev/null
qid2=$($C quarantine list --json | python3 -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin][-1])')
asT sh -c "echo other > '$U/shell.php'"
out=$($C quarantine release "$qid2" 2>&1); rc=$?
check "quarantine release over a new file of that name: refused" grep -q "a file of that name exists now" <<<"$out"
check_eq "quarantine release over a new file: that file untouched" other "$(cat "$U/shell.php")"
daemon_stop
t_done
