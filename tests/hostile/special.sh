#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Files that are not files, or not still: FIFO, socket, device nodes, a 64 GiB
# sparse file, a file growing while it is hashed, a directory and a file of
# mode 000; against the live daemon and wsidctl scan. Nothing blocks, nothing
# outside is read, every verdict is recorded.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
hostile_init 1g "max_file_size: 128G" "debounce:" "  modify: 500ms" || { fail "set-up"; t_done; exit 1; }

# -- FIFO (one with a writer waiting on it), socket, device nodes
mkfifo "$WS/pipe.php" "$WS/held.php"
sleep 30 > "$WS/held.php" &
T_PIDS+=($!)
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$WS/sock.php"
special="pipe.php:FIFO held.php:FIFO sock.php:socket"
if mknod "$WS/null.php" c 1 3 2>/dev/null && mknod "$WS/disk.img" b 7 0 2>/dev/null; then
	special="$special null.php:device disk.img:device"
else
	echo "# mknod not permitted here: device nodes skipped"
fi
bounded_sync "special files" 30
for e in $special; do
	n=${e%%:*} k=${e#*:}
	check_eq "$n ($k): suspicious, not hashed" "suspicious None" "$(evq "$D" "path=$WS/$n" -- verdict new_sha256)"
	check "$n ($k): the reason names it" grep -q "a $k" <<<"$(evq "$D" "path=$WS/$n" -- reason)"
	check_eq "$n ($k): stored as not-regular" "not-regular" "$(file_row "$n" status)"
done
daemon_alive "special files"

# -- a 64 GiB sparse file: recorded, never read (bounded time)
s=$SECONDS
truncate -s 64G "$WS/sparse.bin"
bounded_sync "64 GiB sparse file" 20
check_eq "64 GiB sparse file: stored as sparse, no hash, in bounded time ($((SECONDS - s))s)" "sparse|64G|" \
	"$(file_row sparse.bin "status||'|'||(size>>30)||'G|'||coalesce(hex(sha256),'')")"
check_eq "64 GiB sparse file: the event says so" "new (not hashed: sparse)" "$(evq "$D" "path=$WS/sparse.bin" -- verdict reason | sed 's/^new .*(not/new (not/')"
# a file just above the cap of a configuration with the default cap
dd if=/dev/zero of="$WS/big.bin" bs=1M count=80 status=none
bounded_sync "80 MiB file" 20
check_eq "80 MiB file under a 128G cap: hashed" "ok|$(sha256sum < "$WS/big.bin" | cut -d' ' -f1)" "$(file_row big.bin "status||'|'||lower(hex(sha256))")"

# -- a file growing while it is hashed: never a hash of mixed content
python3 - "$WS/growing.log" <<'PY'
import os, sys, time
with open(sys.argv[1], "wb") as f:
    for i in range(60):
        f.write((b"%06d " % i) * 74898)  # about 0.5 MiB per step, each step distinct
        f.flush()
        time.sleep(0.02)
PY
bounded_sync "growing file" 60
check_eq "growing file: the final content is stored" "$(sha256sum < "$WS/growing.log" | cut -d' ' -f1)" "$(file_row growing.log "lower(hex(sha256))")"
check "growing file: every stored hash is of a prefix the writer wrote (no mixed content)" python3 - "$WS/growing.log" "$D/db/wsid.db" <<'PY'
import hashlib, sqlite3, sys
data = open(sys.argv[1], "rb").read()
step = len(b"%06d " % 0) * 74898
prefixes = {hashlib.sha256(data[:k]).digest() for k in range(0, len(data) + 1, step)}
con = sqlite3.connect(sys.argv[2])
rows = [r[0] for r in con.execute("SELECT new_sha256 FROM events WHERE CAST(path AS TEXT) LIKE '%growing.log' AND new_sha256 IS NOT NULL")]
bad = [r for r in rows if bytes(r) not in prefixes]
print("events", len(rows), "not a prefix", len(bad))
sys.exit(1 if bad or not rows else 0)
PY

# -- mode 000: the daemon runs as root and reads through it
mkdir -p "$WS/locked"
echo "inside a 000 directory" > "$WS/locked/in.txt"
chmod 000 "$WS/locked"
echo "written after chmod 000" > "$WS/locked/later.txt"
echo "a 000 file" > "$WS/zero.txt" && chmod 000 "$WS/zero.txt"
bounded_sync "mode 000" 20
check_eq "mode 000 directory: its files are stored with their hashes" \
	"$(cat "$WS/locked/in.txt" | sha256sum | cut -d' ' -f1) $(cat "$WS/locked/later.txt" | sha256sum | cut -d' ' -f1)" \
	"$(file_row locked/in.txt "lower(hex(sha256))") $(file_row locked/later.txt "lower(hex(sha256))")"
check_eq "mode 000 file: stored with its hash and mode" "$(sha256sum < "$WS/zero.txt" | cut -d' ' -f1)|0" "$(file_row zero.txt "lower(hex(sha256))||'|'||(mode & 511)")"
"$WSIDCTL" --socket "$D/ctl.sock" rescan --all >/dev/null
bounded_sync "reconcile with all of it" 30
kill %1 2>/dev/null
rm -f "$WS/held.php"
state_equals_disk "special files"

# -- wsidctl scan of the same tree
s=$SECONDS
out=$(timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --json "$WS" 2>/dev/null); rc=$?
check "wsidctl scan --standalone: exit 0 in $((SECONDS - s))s, no hang (rc $rc)" [ $rc -eq 0 ]
sk() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(" ".join(sorted("%s:%s%s" % (e["path"], e["kind"], ":" + e["status"] if "status" in e else "") for e in r["scanned"][0]["skipped"])))' <<<"$out"; }
exp="big.bin:file:too-big pipe.php:special sock.php:special sparse.bin:file:too-big"
case $special in *device*) exp="big.bin:file:too-big disk.img:special null.php:special pipe.php:special sock.php:special sparse.bin:file:too-big" ;; esac
check_eq "wsidctl scan: specials skipped as special, the big files as too-big" "$exp" "$(sk)"
out=$(timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --json --max-size 128G "$WS" 2>/dev/null)
check "wsidctl scan --max-size 128G: the sparse file is skipped as sparse, not read" grep -q 'sparse.bin:file:sparse' <<<"$(sk)"
canary_untouched "special files suite"
daemon_alive "special files suite"
daemon_stop
t_done
