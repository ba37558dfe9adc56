#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# wsidctl scan over a tree a hostile customer built: it never reads outside the
# tree, never blocks, never follows a link, escapes every name, and finishes.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 256m
mkdir -p "$D/canary"
mount -t tmpfs -o strictatime,size=8m wsid-canary "$D/canary" && T_MOUNTS+=("$D/canary")
echo "secret outside the webspace" > "$D/canary/secret.txt"
touch -a -d '2001-01-01 00:00:00' "$D/canary/secret.txt"
atime0=$(stat -c %X "$D/canary/secret.txt")
T=$D/m/tree
mkdir -p "$T/sub"
echo '<?php echo 1;' > "$T/index.php"
ln -s /etc/shadow "$T/shadow.txt"
ln -s "$D/canary/secret.txt" "$T/secret-link.txt"
ln -s "$D/canary" "$T/dirlink"
ln -s /etc "$T/etc"
mkfifo "$T/fifo.php"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/sock"
mknod "$T/null.php" c 1 3
truncate -s 64G "$T/sparse.bin"
printf 'x' > "$T/"$'evil\nFAKE LINE.php'
printf 'x' > "$T/"$'cr\r\nlf.php'
printf 'x' > "$T/"$'tab\tname.php'
printf 'x' > "$T/"$'bad\xffutf8.php'
printf 'x' > "$T/-leading-dash.php"
long=$(printf 'n%.0s' $(seq 1 251)).php
printf 'x' > "$T/$long"
python3 - "$T/deep" <<'PY'
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(40):
    name = "d" * 200
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b"deep file")
os.close(f)
PY
mkdir -p "$T/locked" && echo x > "$T/locked/in.txt" && chmod 000 "$T/locked"
mkdir -p "$T/loop"
mount --bind "$T" "$T/loop" && T_MOUNTS+=("$T/loop")

start=$(date +%s)
timeout 60 "$WSIDCTL" --db /nonexistent scan --no-index --json "$T" > "$D/h.json"; rc=$?
dur=$(( $(date +%s) - start ))
check "scan finished (exit $rc) in ${dur}s: no hang on FIFO, socket, device, sparse file, bind loop" [ $rc -eq 0 ] && [ $dur -lt 30 ]
check "the JSON is valid" python3 -c "import json; json.load(open('$D/h.json'))"
q() { python3 - "$D/h.json" "$@" <<'PY'
import base64, json, sys
rep = json.load(open(sys.argv[1]))
t = rep["scanned"][0]
what = sys.argv[2]
def raw(e):
    return base64.b64decode(e["path_base64"]) if "path_base64" in e else e["path"].encode()
if what == "skipped":
    for e in t["skipped"]:
        if e["path"] == sys.argv[3]:
            print(e["kind"], e.get("status", ""), e.get("target", ""))
elif what == "hashes":
    print(t["files_hashed"])
elif what == "rawskipped":
    want = sys.argv[3].encode("utf-8", "surrogateescape")
    print(any(raw(e) == want for e in t["skipped"]))
PY
}
check_eq "symlink to /etc/shadow listed, not followed" "symlink  /etc/shadow" "$(q skipped shadow.txt)"
check_eq "symlinked directory not entered" "symlink  /etc" "$(q skipped etc)"
check "nothing under /etc was scanned" bash -c "! grep -q '\"etc/passwd\"' '$D/h.json'"
check_eq "FIFO listed as special" "special" "$(q skipped fifo.php | xargs)"
check_eq "socket listed as special" "special" "$(q skipped sock | xargs)"
check_eq "device node listed as special" "special" "$(q skipped null.php | xargs)"
check_eq "64 GiB sparse file not hashed (above the size cap)" "file too-big" "$(q skipped sparse.bin | xargs)"
out=$(timeout 30 "$WSIDCTL" --db /x scan --no-index --json --max-size 128G "$T" 2>/dev/null | grep -o '"path":"sparse.bin","kind":"file","status":"[a-z-]*"')
check "64 GiB sparse file not read even under a 128G cap ($out)" grep -q '"status":"sparse"' <<<"$out"
check_eq "bind mount loop not entered" "mountpoint" "$(q skipped loop | xargs)"
check "the canary's atime did not move" [ "$(stat -c %X "$D/canary/secret.txt")" = "$atime0" ]
shadow=$(sha256sum /etc/shadow | cut -d' ' -f1)
check "the content of /etc/shadow was never hashed" bash -c "! '$WSIDCTL' --db /x scan --no-index --json '$T' --verbose | grep -q $shadow"
check "a path deeper than PATH_MAX is hashed" bash -c "! grep -q 'bottom.txt' <<<\"\$(python3 -c \"import json; print([e['path'] for e in json.load(open('$D/h.json'))['scanned'][0]['skipped']])\")\""
# odd names in a tree of their own, made a product so that they are reported
mkdir -p "$D/m/names"
for n in $'evil\nFAKE LINE.php' $'cr\r\nlf.php' $'tab\tname.php' $'bad\xffutf8.php' -leading-dash.php "$long"; do printf 'x' > "$D/m/names/$n"; done
for i in $(seq 1 8); do echo "filler $i" > "$D/m/names/filler$i.txt"; done
"$WSIDCTL" --db "$D/n.db" index ingest --product names --version 1 --out "$D/fp" "$D/m/names" >/dev/null
check "odd names survive a set round trip (sha256sum -c)" bash -c "cd '$D/m/names' && sha256sum --quiet -c '$D/fp/names/1.sha256'"
# change the odd-named files: they are then listed (as modified) in the reports
for n in $'evil\nFAKE LINE.php' $'cr\r\nlf.php' $'tab\tname.php' $'bad\xffutf8.php' -leading-dash.php "$long"; do printf 'changed' > "$D/m/names/$n"; done
"$WSIDCTL" --db "$D/n.db" scan --json --verbose "$D/m/names" > "$D/n.json"
check "JSON with odd names is valid" python3 -c "import json; json.load(open('$D/n.json'))"
check "invalid UTF-8: path_base64 carries the exact bytes" python3 - "$D/n.json" <<'PY'
import base64, json, sys
r = json.load(open(sys.argv[1]))
ok = any(base64.b64decode(f.get("path_base64", "")) == b"bad\xffutf8.php" and f["path"] == "bad\ufffdutf8.php"
         for t in r["scanned"] for i in t["installations"] for f in i["files"]["modified"])
sys.exit(0 if ok else 1)
PY
out=$("$WSIDCTL" --db "$D/n.db" scan --verbose "$D/m/names")
check "text output: no forged line from a name with a newline" bash -c "! grep -q '^FAKE LINE' <<<\"\$1\"" _ "$out"
check "text output escapes the newline" grep -q 'evil\\nFAKE LINE.php' <<<"$out"
check "text output escapes invalid UTF-8" grep -q 'bad\\xffutf8.php' <<<"$out"
# unreadable directory, as an unprivileged user
chmod 755 "$D"
mkdir -p "$D/m/u/open" "$D/m/u/closed" && echo x > "$D/m/u/open/a.txt" && echo y > "$D/m/u/closed/b.txt"
chmod 755 "$D/m" "$D/m/u" "$D/m/u/open"; chmod 644 "$D/m/u/open/a.txt"; chmod 000 "$D/m/u/closed"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WSIDCTL" --db /x scan --no-index --json "$D/m/u" 2>&1); rc=$?
check "unprivileged scan with a 000 directory exits 0" [ $rc -eq 0 ]
check "the 000 directory is reported unreadable" grep -q '"kind":"unreadable-dir"' <<<"$out"
check "the scan went on (open/a.txt hashed)" grep -q '"files_hashed":1' <<<"$out"
t_done
