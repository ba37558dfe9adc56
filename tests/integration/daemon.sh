#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real daemon on a tmpfs it mounts itself: every kind of change ends as the
# right event and the right stored state; config errors name line and column.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 1g
WS=$D/m/vhosts/alice/httpdocs
WS2=$D/m/vhosts/bob/httpdocs
mkdir -p "$WS" "$WS2"
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
copy_tree "$WP" "$WS/blog"
echo '<?php echo "hi";' > "$WS2/index.php"

# -- configuration errors name the file, line and column
printf 'database: /tmp/x.db\nwebspaces:\n  - pattern: /srv/{customer}/www\n    bogus: 1\n' > "$D/bad.yaml"
out=$("$WSID" --config "$D/bad.yaml" --check-config 2>&1); rc=$?
check "bad config refused (exit $rc)" [ $rc -ne 0 ]
check "bad config message names file:line:column ($out)" grep -q "bad.yaml:4:5: .*unknown key 'bogus'" <<<"$out"
printf 'database: %s/m/vhosts/x/httpdocs/db.sqlite\nwebspaces:\n  - pattern: %s/m/vhosts/{customer}/httpdocs\n' "$D" "$D" > "$D/under.yaml"
out=$("$WSID" --config "$D/under.yaml" --check-config 2>&1)
check "database under a watched root refused" grep -q "lies under the webspace" <<<"$out"

daemon_config "$D" "classify:" "  update_window: 1s" "debounce:" "  modify: 300ms" "customers:" "  alice:" "    email: alice@example.com"
check "example-style config valid" "$WSID" --config "$D/wsid.yaml" --check-config
daemon_start "$D"
check "status: up and watching (exit 0)" "$WSIDCTL" --socket "$D/ctl.sock" status
check "wsidctl --config finds the daemon's socket" "$WSIDCTL" --config "$D/wsid.yaml" status
check "wsidctl --config finds the daemon's database" bash -c "'$WSIDCTL' --config '$D/wsid.yaml' events --json | grep -q '\"source\":\"baseline\"'"
st=$("$WSIDCTL" --socket "$D/ctl.sock" status --json)
check "status --json reports 2 webspaces" grep -q '"webspaces":2' <<<"$st"
inst=$(sqlite3 "$D/db/wsid.db" "SELECT product||' '||version||' '||root FROM installations")
check_eq "baseline identified the installation" "wordpress 6.1.9 blog" "$inst"
check "baseline state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS"
n=$(evq "$D" source=baseline change=baseline verdict=tampered -- count)
check "baseline flags Debian's modified core files as tampered ($n)" [ "$n" -gt 5 ]
n=$(evq "$D" source=baseline verdict=new -- count)
check_eq "baseline raises nothing for what merely exists" 0 "$n"

# -- create
echo '<?php // custom' > "$WS/custom.php"
wsync "$D"
check_eq "create: created/new" "created new" "$(evq "$D" 'path$=/custom.php' -- change verdict)"
check_eq "create: new_sha256" "$(sha256sum < "$WS/custom.php" | cut -d' ' -f1)" "$(evq "$D" 'path$=/custom.php' -- new_sha256)"

# -- modify in many writes: one event with the final content
python3 - "$WS/custom.php" <<'PY'
import sys, time
with open(sys.argv[1], "a") as f:
    for i in range(50):
        f.write("// line %d\n" % i); f.flush(); time.sleep(0.002)
PY
wsync "$D"
check_eq "many writes: one modified event" 1 "$(evq "$D" 'path$=/custom.php' change=modified -- count)"
check_eq "many writes: final hash stored" "$(sha256sum < "$WS/custom.php" | cut -d' ' -f1)" "$(evq "$D" 'path$=/custom.php' change=modified -- new_sha256)"

# -- a core file edited
echo '/* injected */' >> "$WS/blog/wp-login.php"
wsync "$D"
check_eq "core file edited: tampered, known unknown" "tampered unknown wordpress 6.1.9" "$(evq "$D" 'path$=/blog/wp-login.php' change=modified -- verdict known product version)"

# -- truncate(2) by path: MODIFY without CLOSE_WRITE
truncate -s 5 "$WS/custom.php"
sleep 0.5
wsync "$D"
check_eq "truncate: modified with the truncated content" "$(sha256sum < "$WS/custom.php" | cut -d' ' -f1)" "$(evq "$D" 'path$=/custom.php' change=modified -- new_sha256)"

# -- rename of a file
mv "$WS/custom.php" "$WS/renamed.php"
wsync "$D"
check_eq "rename: renamed with old_path" "renamed $WS/custom.php" "$(evq "$D" 'path$=/renamed.php' -- change old_path)"

# -- delete
rm "$WS/renamed.php"
wsync "$D"
check_eq "delete: deleted" "deleted" "$(evq "$D" 'path$=/renamed.php' change=deleted -- change)"
rm "$WS/blog/wp-cron.php"
wsync "$D"
check_eq "release file deleted: verdict deleted" "deleted notice" "$(evq "$D" 'path$=/blog/wp-cron.php' -- verdict severity)"

# -- hard link
echo 'linked' > "$WS/a.txt"
ln "$WS/a.txt" "$WS/b.txt"
wsync "$D"
check_eq "hard link: the new name is stored with the same content" "$(sha256sum < "$WS/a.txt" | cut -d' ' -f1)" "$(evq "$D" 'path$=/b.txt' -- new_sha256)"

# -- O_TMPFILE + linkat, then more writes through the tmpfile fd
python3 - "$WS" <<'PY'
import ctypes, os, sys, time
d = sys.argv[1]
fd = os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o644)
os.write(fd, b"<?php /* first part */\n")
# linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, dest, AT_SYMLINK_FOLLOW): Python's
# os.link calls link(2), which does not follow the magic link
libc = ctypes.CDLL(None, use_errno=True)
if libc.linkat(-100, b"/proc/self/fd/%d" % fd, -100, os.path.join(d, "evil.php").encode(), 0x400) != 0:
    sys.exit("linkat: " + os.strerror(ctypes.get_errno()))
time.sleep(0.2)
os.write(fd, b"@eval($_POST['x']);\n")
os.close(fd)
PY
wsync "$D"
sleep 0.3; wsync "$D"
check_eq "O_TMPFILE+linkat: final content stored under the linked name" "$(sha256sum < "$WS/evil.php" | cut -d' ' -f1)" "$(sqlite3 "$D/db/wsid.db" "SELECT lower(hex(sha256)) FROM files WHERE relpath=CAST('evil.php' AS BLOB)")"

# -- FIFO and symlink to /etc/shadow
mkfifo "$WS/pipe.php"
ln -s /etc/shadow "$WS/shadow.txt"
timeout 30 "$WSIDCTL" --socket "$D/ctl.sock" sync --timeout 25 >/dev/null
check "FIFO: the daemon did not hang" [ $? -eq 0 ]
check_eq "FIFO: suspicious, not hashed" "suspicious None" "$(evq "$D" 'path$=/pipe.php' -- verdict new_sha256)"
check_eq "symlink to /etc/shadow: suspicious, never hashed" "suspicious None" "$(evq "$D" 'path$=/shadow.txt' -- verdict new_sha256)"
shadow=$(sha256sum /etc/shadow | cut -d' ' -f1)
check "the content of /etc/shadow appears nowhere" bash -c "! events_json() { :; }; ! sqlite3 '$D/db/wsid.db' \"SELECT lower(hex(sha256)) FROM files\" | grep -q $shadow"

# -- a write through a bind mount and from another mount namespace
mkdir -p "$D/bind" "$WS/sub"
mount --bind "$WS/sub" "$D/bind" && T_MOUNTS+=("$D/bind")
echo "via bind" > "$D/bind/bound.txt"
unshare -m sh -c "echo 'from another namespace' > '$WS/sub/ns.txt'"
wsync "$D"
check_eq "bind mount write: resolved to the webspace path" "created" "$(evq "$D" "path=$WS/sub/bound.txt" -- change)"
check_eq "other mount namespace write: seen" "created" "$(evq "$D" "path=$WS/sub/ns.txt" -- change)"

# -- rename of a directory holding an installation
mv "$WS/blog" "$WS/blog2"
wsync "$D"
sleep 2.5; wsync "$D"
check_eq "directory rename: installation moved" "blog2" "$(sqlite3 "$D/db/wsid.db" "SELECT root FROM installations WHERE product='wordpress'")"
check "directory rename: file rows moved" [ "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'blog2/%'")" -gt 2000 ]
check_eq "directory rename: no rows left under the old name" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'blog/%'")"
check "after all that, state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS"

# -- a new customer's webspace appears without a restart
mkdir -p "$D/m/vhosts/carol/httpdocs"
echo '<?php' > "$D/m/vhosts/carol/httpdocs/index.php"
for _ in $(seq 1 30); do sqlite3 "$D/db/wsid.db" "SELECT 1 FROM webspaces WHERE customer='carol'" | grep -q 1 && break; sleep 0.5; done
wsync "$D"
check "new webspace picked up (customer carol)" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$D/m/vhosts/carol/httpdocs"

# -- changes while stopped are found at start; kill -9 loses nothing
daemon_stop
echo 'offline edit' >> "$WS2/index.php"
echo 'offline new' > "$WS2/offline.txt"
rm -f "$WS/a.txt"
daemon_start "$D"
check_eq "offline modification found at start" "modified reconcile" "$(evq "$D" "path=$WS2/index.php" -- change source)"
check_eq "offline creation found at start" "created" "$(evq "$D" "path=$WS2/offline.txt" -- change)"
check_eq "offline deletion found at start" "deleted" "$(evq "$D" "path=$WS/a.txt" -- change)"
python3 - "$WS2/burst" <<'PY' &
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(3000):
    with open(os.path.join(sys.argv[1], "f%04d.txt" % i), "w") as f:
        f.write("burst %d\n" % i)
PY
writer=$!
sleep 0.15
kill -9 "$DAEMON_PID"
wait "$writer"
daemon_start "$D"
check "kill -9 mid-burst: every change stored after restart" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS2"
check_eq "kill -9: database integrity" ok "$(sqlite3 "$D/db/wsid.db" 'PRAGMA integrity_check')"

# -- reload: a bad new config is refused, the old one kept
cp "$D/wsid.yaml" "$D/wsid.yaml.good"
echo "webspaces: 5" >> "$D/wsid.yaml"
out=$("$WSIDCTL" --socket "$D/ctl.sock" reload 2>&1); rc=$?
check "reload of a bad config refused (exit $rc)" [ $rc -ne 0 ]
check "reload error names line and column" grep -q "wsid.yaml:[0-9]*:[0-9]*:" <<<"$out"
check "daemon still up after the refused reload" "$WSIDCTL" --socket "$D/ctl.sock" status
cp "$D/wsid.yaml.good" "$D/wsid.yaml"
check "reload of a good config accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
daemon_stop
check "stopped cleanly: the socket is gone" [ ! -e "$D/ctl.sock" ]
t_done
