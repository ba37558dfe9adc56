#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A tenant changes files while the daemon's first baseline of its webspace is
# walked and stored: what the baseline stores never overwrites a live change
# it observed later. Once all is synced, every stored hash is the file's
# content on disk, no deleted file is stored and no created one missing.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
chmod 755 "$T_TMP" # the tenant reaches its webspace through it
mount_tmpfs "$D/m" 1g
WS=$D/m/vhosts/alice/httpdocs
mkdir -p "$WS"
# 40,000 small files in 400 directories (.txt: no analysis; a few .php)
python3 - "$WS" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(400):
    p = os.path.join(root, "d%03d" % d)
    os.mkdir(p)
    for f in range(100):
        ext = "php" if f % 25 == 0 else "txt"
        with open(os.path.join(p, "f%03d.%s" % (f, ext)), "w") as fh:
            fh.write("<?php echo %d;\n" % (d * 100 + f) if ext == "php" else "file %d %d\n" % (d, f))
PY
chown -R 1234:1234 "$D/m/vhosts/alice"
daemon_config "$D" "analysis:" "  enabled: true" "  rules: ['$WSID_TOP/rules/*.yar']"
"$WSIDCTL" --db "$D/db/wsid.db" index build --from "$WSID_TOP/fingerprints" >/dev/null

# the tenant's writer: rewrites, deletes and creates files at random until
# told to stop, from the moment the daemon starts
cat > "$D/m/writer.py" <<'PY'
import os, random, sys, time
root, stop = sys.argv[1], sys.argv[2]
rnd = random.Random(7)
n = 0
while not os.path.exists(stop):
    d = "d%03d" % rnd.randrange(400)
    f = rnd.randrange(100)
    p = os.path.join(root, d, "f%03d.txt" % f)
    what = rnd.randrange(10)
    try:
        if what == 0:
            os.unlink(p)
        elif what == 1:
            with open(os.path.join(root, d, "new%d.txt" % n), "w") as fh:
                fh.write("created %d\n" % n)
        else:
            with open(p, "w") as fh:
                fh.write("rewritten %d %f\n" % (n, time.time()))
    except FileNotFoundError:
        pass
    n += 1
    if n % 50 == 0:
        time.sleep(0.01)
print(n)
PY
chmod 644 "$D/m/writer.py"
setpriv --reuid=1234 --regid=1234 --clear-groups /usr/bin/python3 "$D/m/writer.py" "$WS" "$D/m/stop" > "$D/writer.out" &
WRITER=$!
T_PIDS+=("$WRITER")
"$WSID" --config "$D/wsid.yaml" --foreground >>"$D/wsid.log" 2>&1 &
DAEMON_PID=$!
T_PIDS+=("$DAEMON_PID")
# until the baseline is stored, and a little after
baselined=0
for _ in $(seq 1 $((1200 * T_SLOW))); do
	b=$("$WSIDCTL" --socket "$D/ctl.sock" status --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["baselines"])' 2>/dev/null)
	[ "${b:-0}" -ge 1 ] && { baselined=1; break; }
	sleep 0.1
done
sleep 0.5
touch "$D/m/stop"
wait "$WRITER"
check "the baseline was stored while the tenant wrote" [ "$baselined" = 1 ]
nw=$(cat "$D/writer.out")
check "the writer changed files meanwhile ($nw)" [ "${nw:-0}" -gt 200 ]
wsync "$D"
out=$(python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS")
check_eq "stored state equals the disk after a baseline under changes" "differences 0" "$(tail -n 1 <<<"$out")"
grep -v '^differences' <<<"$out" | head -5
daemon_stop
t_done
