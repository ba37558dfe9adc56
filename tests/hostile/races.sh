#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Races against the live daemon: a directory of the webspace swapped in a loop
# between a real directory and symlinks to directories outside (on the same
# file system and on the canary) while files are written through it; a burst
# of renames over existing files. Nothing outside is ever read or stored, and
# once it settles the stored state equals the disk.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
hostile_init 512m "debounce:" "  modify: 200ms" || { fail "set-up"; t_done; exit 1; }
SECS=${WSID_RACE_SECONDS:-8}

# -- a directory component swapped with symlinks while files are written
OUT=$D/m/outside/dir
mkdir -p "$WS/x/dir" "$OUT"
for i in $(seq 1 20); do
	echo "outside secret $i" > "$OUT/secret$i.txt"
	echo "inside $i" > "$WS/x/dir/seed$i.txt"
done
bounded_sync "swap race: set-up" 20
python3 - "$WS/x" "$OUT" "$D/canary/dir" "$SECS" <<'PY' &
# the swapper: dir is a real directory, then a symlink out, and back
import os, sys, time
x, targets, secs = sys.argv[1], sys.argv[2:4], float(sys.argv[4])
end = time.time() + secs
n = 0
while time.time() < end:
    os.rename(os.path.join(x, "dir"), os.path.join(x, "dir.real"))
    os.symlink(targets[n % 2], os.path.join(x, "dir"))
    time.sleep(0.001 * (n % 5))
    os.unlink(os.path.join(x, "dir"))
    os.rename(os.path.join(x, "dir.real"), os.path.join(x, "dir"))
    time.sleep(0.001 * (n % 3))
    n += 1
print("# swaps:", n)
PY
swapper=$!
python3 - "$WS/x/dir" "$SECS" <<'PY' &
# the writer: every write has content of its own (so it can be traced)
import os, sys, time
d, secs = sys.argv[1], float(sys.argv[2])
end = time.time() + secs
n = 0
while time.time() < end:
    try:
        with open(os.path.join(d, "f%03d.txt" % (n % 300)), "w") as f:
            f.write("written %d through the swapped directory\n" % n)
            f.flush()
            f.write("x" * (n % 4096))
    except OSError:
        pass
    n += 1
print("# writes:", n)
PY
writer=$!
wait "$swapper" "$writer"
check "swap race: the directory is real again" bash -c "[ -d '$WS/x/dir' ] && [ ! -L '$WS/x/dir' ]"
bounded_sync "swap race: settle" 60
daemon_alive "swap race"
"$WSIDCTL" --socket "$D/ctl.sock" rescan "$WS" >/dev/null
bounded_sync "swap race: reconcile" 60
state_equals_disk "swap race"
check_eq "swap race: no row under a path that was a symlink out" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'x/dir.real/%' OR (CAST(relpath AS TEXT) LIKE 'x/dir/%' AND status='symlink')")"
check "swap race: the secrets' names never appear in the state" bash -c "! sqlite3 '$D/db/wsid.db' \"SELECT CAST(relpath AS TEXT) FROM files UNION SELECT CAST(path AS TEXT) FROM events\" | grep -q 'secret\|inner.txt'"
canary_untouched "swap race"
check "swap race: no content of a file outside (secrets, or writes that landed outside) is stored or in an event" python3 - "$D/db/wsid.db" "$OUT" "$D/canary/dir" <<'PY'
import hashlib, os, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
known = {bytes(r[0]) for r in con.execute("SELECT sha256 FROM files WHERE sha256 IS NOT NULL UNION SELECT new_sha256 FROM events WHERE new_sha256 IS NOT NULL UNION SELECT old_sha256 FROM events WHERE old_sha256 IS NOT NULL")}
bad = []
n = 0
for d in sys.argv[2:]:
    for name in os.listdir(d):
        h = hashlib.sha256(open(os.path.join(d, name), "rb").read()).digest()
        n += 1
        if h in known:
            bad.append(os.path.join(d, name))
print("outside files", n, "found in the state", bad[:5])
sys.exit(1 if bad else 0)
PY

# -- a burst of renames over existing files (write a temporary, rename it over)
python3 - "$WS/burst" <<'PY'
import os, random, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
r = random.Random(8)
for k in range(4000):
    tmp = os.path.join(d, ".tmp%d" % (k % 7))
    with open(tmp, "w") as f:
        f.write("version %d\n" % k)
    os.replace(tmp, os.path.join(d, "f%02d.php" % r.randrange(40)))
    if k % 500 == 0:
        os.replace(os.path.join(d, "f%02d.php" % r.randrange(40)), os.path.join(d, "moved%d.php" % k)) if os.path.exists(os.path.join(d, "f00.php")) else None
PY
bounded_sync "rename burst" 60
state_equals_disk "rename burst (every stored hash compared with sha256 of the file)"
n=$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'burst/.tmp%'")
check_eq "rename burst: no temporary name left in the state" 0 "$n"
daemon_alive "races suite"
daemon_stop
t_done
