#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Links out of the webspace, against the live daemon and wsidctl scan: symlinks
# to /etc/shadow and to a canary outside, a symlinked directory, a hard link to
# a root-owned file outside the webspace, webspaces that are symlinks or are
# reached through one, a bind mount of the webspace into itself.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root

hostile_pre() {
	# webspaces the configuration names: a symlink as the webspace itself
	# (customer carol: httpdocs -> the canary directory), and a webspace reached
	# through a symlinked directory of its path (customer dave)
	mkdir -p "$D/m/vhosts/carol" "$D/m/real-dave/httpdocs"
	ln -s "$D/canary/dir" "$D/m/vhosts/carol/httpdocs"
	ln -s "$D/m/real-dave" "$D/m/vhosts/dave"
	echo '<?php echo "dave";' > "$D/m/real-dave/httpdocs/index.php"
	# the same through a link a customer owns (customer erin): refused
	mkdir -p "$D/m/real-erin/httpdocs"
	ln -s "$D/m/real-erin" "$D/m/vhosts/erin"
	chown -h 65534:65534 "$D/m/vhosts/erin"
}
hostile_init 256m || { fail "set-up"; t_done; exit 1; }
shadow=$(sha256sum /etc/shadow | cut -d' ' -f1)
canary=$(echo "canary secret outside the webspace" | sha256sum | cut -d" " -f1)

# -- symlinks: to /etc/shadow, to the canary, to an outside directory, to /etc
ln -s /etc/shadow "$WS/shadow.txt"
ln -s "$D/canary/secret.txt" "$WS/secret-link.txt"
ln -s "$D/canary/dir" "$WS/dirlink"
ln -s /etc "$WS/etc"
mkdir -p "$WS/wp-content/uploads"
ln -s "$D/canary/secret.txt" "$WS/wp-content/uploads/passwords.php"
bounded_sync "symlinks" 30
for n in shadow.txt secret-link.txt dirlink etc wp-content/uploads/passwords.php; do
	check_eq "symlink $n: suspicious, no hash" "suspicious None" "$(evq "$D" "path=$WS/$n" -- verdict new_sha256)"
	check_eq "symlink $n: stored as a symlink without content" "symlink|" "$(file_row "$n" "status||'|'||coalesce(hex(sha256),'')")"
done
check_eq "nothing under the symlinked directories is stored" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'dirlink/%' OR CAST(relpath AS TEXT) LIKE 'etc/%'")"
check "the hash of /etc/shadow is stored nowhere (files, events)" bash -c "! sqlite3 '$D/db/wsid.db' \"SELECT lower(hex(sha256)) FROM files UNION SELECT lower(hex(new_sha256)) FROM events\" | grep -q '$shadow\|$canary'"
out=$(timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --json --standalone "$WS" 2>/dev/null); rc=$?
check "wsidctl scan --standalone of the webspace: exit 0 in bounded time (rc $rc)" [ $rc -eq 0 ]
check_eq "wsidctl scan: the symlinks are skipped as symlinks with their targets" \
	"dirlink symlink $D/canary/dir|etc symlink /etc|secret-link.txt symlink $D/canary/secret.txt|shadow.txt symlink /etc/shadow|wp-content/uploads/passwords.php symlink $D/canary/secret.txt" \
	"$(python3 -c 'import json,sys; r=json.load(sys.stdin); print("|".join(sorted("%s %s %s" % (e["path"], e["kind"], e.get("target")) for e in r["scanned"][0]["skipped"])))' <<<"$out")"
out=$(timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --verbose "$WS" 2>&1)
check "wsidctl scan (from the daemon's state): no hash of /etc/shadow or the canary" bash -c "! grep -q '$shadow\|$canary' <<<\"\$1\"" _ "$out"
canary_untouched "symlinks"

# -- a hard link to a root-owned file outside the webspace, on the same file system
mkdir -p "$D/m/root-only"
echo "root's secret on the webspace file system" > "$D/m/root-only/secret"
chmod 600 "$D/m/root-only/secret"
ln "$D/m/root-only/secret" "$WS/hardlink.txt"
bounded_sync "hard link" 30
h=$(sha256sum < "$D/m/root-only/secret" | cut -d' ' -f1)
check_eq "hard link: it is a file of the webspace (the same inode): stored with its hash, uid 0, mode 0600" \
	"ok|$h|0|600" "$(file_row hardlink.txt "status||'|'||lower(hex(sha256))||'|'||uid||'|'||printf('%o', mode & 511)")"
check_eq "hard link: nothing outside the webspace is stored under another name" 0 \
	"$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE '%root-only%'")"
if [ "$(cat /proc/sys/fs/protected_hardlinks)" = 1 ]; then
	chmod 777 "$WS"
	chmod 711 "$D" # the test's directory (mktemp: 0700): the customer may pass through
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups ln "$D/m/root-only/secret" "$WS/by-customer.txt" 2>&1)
	chmod 700 "$D"
	check "fs.protected_hardlinks=1: a customer cannot make such a link ($out)" \
		[ ! -e "$WS/by-customer.txt" ] && grep -q 'Operation not permitted' <<<"$out"
	chmod 755 "$WS"
fi

# -- webspaces that are symlinks, or reached through one
check "a webspace that is a symlink is refused and logged" grep -q "webspace $D/m/vhosts/carol/httpdocs is a symbolic link: not watched" "$D/wsid.log"
check_eq "the symlinked webspace is not registered" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM webspaces WHERE customer='carol'")"
echo "changed" > "$D/m/real-dave/httpdocs/new.txt"
bounded_sync "webspace through a symlinked directory" 30
n=$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM webspaces WHERE customer='dave'")
check_eq "a webspace reached through a symlinked directory: registered once" 1 "$n"
dave=$(sqlite3 "$D/db/wsid.db" "SELECT CAST(path AS TEXT) FROM webspaces WHERE customer='dave'")
check_eq "... under its real path (live events carry real paths)" "$D/m/real-dave/httpdocs" "$dave"
check_eq "... and a live change in it is seen" "created" "$(evq "$D" "path=$D/m/real-dave/httpdocs/new.txt" -- change)"
check_eq "... and it is active (configured: listed and counted)" 1 \
	"$(sqlite3 "$D/db/wsid.db" "SELECT active FROM webspaces WHERE customer='dave'")"
"$WSIDCTL" --socket "$D/ctl.sock" reload >/dev/null
echo "again" > "$D/m/real-dave/httpdocs/after-reload.txt"
bounded_sync "webspace through a symlinked directory, after a reload" 30
check_eq "... still watched after a reload (its configured path leads to it)" "created" \
	"$(evq "$D" "path=$D/m/real-dave/httpdocs/after-reload.txt" -- change)"
check_eq "... and still active" 1 "$(sqlite3 "$D/db/wsid.db" "SELECT active FROM webspaces WHERE customer='dave'")"
check "a webspace reached through a link a customer owns is refused and logged" \
	grep -q "webspace $D/m/vhosts/erin/httpdocs is reached through a symbolic link root does not own: not watched" "$D/wsid.log"
check_eq "... and not registered" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM webspaces WHERE customer='erin'")"
canary_untouched "symlinked webspaces"

# -- a bind mount of the webspace into a directory of itself
mkdir -p "$WS/loop" "$WS/sub"
echo "before the loop" > "$WS/sub/a.txt"
mount --bind "$WS" "$WS/loop" && T_MOUNTS+=("$WS/loop")
echo "written through the loop" > "$WS/loop/sub/b.txt"
echo "written directly" > "$WS/sub/c.txt"
bounded_sync "bind mount loop" 30
check_eq "bind loop: a write through the loop is stored under its real path" "created" "$(evq "$D" "path=$WS/sub/b.txt" -- change)"
check_eq "bind loop: nothing is stored under loop/" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'loop/%'")"
"$WSIDCTL" --socket "$D/ctl.sock" rescan --all >/dev/null
bounded_sync "bind loop reconcile" 60
check "bind loop: a reconcile finishes" grep -q "reconciled $WS: " "$D/wsid.log"
check_eq "bind loop: still nothing stored under loop/ after the reconcile" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'loop/%'")"
out=$(timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --json "$WS" 2>/dev/null); rc=$?
check "bind loop: wsidctl scan --standalone finishes (rc $rc)" [ $rc -eq 0 ]
check "bind loop: wsidctl scan reports loop as a mount point, not entered" grep -q '"path":"loop","kind":"mountpoint"' <<<"$out"
umount "$WS/loop" && unset 'T_MOUNTS[-1]'
state_equals_disk "after the links"
canary_untouched "links suite"
daemon_alive "links suite"
daemon_stop
t_done
