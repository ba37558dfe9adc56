#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of the daemon at random moments during bursts of changes, 20 times.
# Afterwards: every file's stored state equals the disk, every critical
# finding reached the webhook receiver (a real HTTP server on 127.0.0.1) under
# exactly one notification id, and the database passes integrity_check.
. "$(dirname "$0")/../lib/lib.sh"
need_root
# kill -9 leaves no leak report, and the kills aim at moments of a native-speed burst
valgrind_skip "kill -9 leaves no leak report"
D=$T_TMP
mount_tmpfs "$D/m" 256m
PY=/usr/bin/python3
WS=$D/m/vhosts/alice/httpdocs
mkdir -p "$WS/wp-content/uploads"
echo ok > "$D/hook.mode"
$PY "$WSID_TOP/tests/lib/webhook_receiver.py" "$D/hook.port" "$D/hook.log" "$D/hook.mode" s3cret &
T_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$D/hook.port" ] && break; sleep 0.1; done
# valgrind does not know the Landlock system calls: the sender runs without there
SANDBOX=(); [ "$WSID_VALGRIND" = 1 ] && SANDBOX=("  sandbox: optional")
daemon_config "$D" "classify:" "  update_window: 1s" "severity:" "  suspicious: critical" \
	"customers:" "  alice:" "    webhook: {url: 'http://127.0.0.1:$(cat "$D/hook.port")/hook', secret: s3cret}" \
	"notify:" "  backoff: 1s" "${SANDBOX[@]}"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
ITER=${WSID_KILL9_ITERATIONS:-20}
for i in $(seq 1 "$ITER"); do
	# a burst: ordinary files, rewrites and deletions, and code in uploads
	# (critical: each one must reach the receiver once)
	$PY - "$WS" "$i" <<'PY' &
import os, random, sys
ws, it = sys.argv[1], int(sys.argv[2])
r = random.Random(it)
for k in range(3000):
    p = os.path.join(ws, "d%d" % (k % 7), "f%04d.txt" % r.randrange(2000))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if r.random() < 0.15 and os.path.exists(p):
        os.unlink(p)
    else:
        with open(p, "w") as f:
            f.write("iteration %d change %d\n" % (it, k))
    if k % 600 == 0:
        with open(os.path.join(ws, "wp-content/uploads/s%02d_%d.php" % (it, k)), "w") as f:
            f.write("<?php /* %d %d */ system($_GET[1]);\n" % (it, k))
PY
	writer=$!
	sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
	wait "$writer"
	daemon_start "$D" >/dev/null || { fail "restart $i"; break; }
done
wsync "$D" 120
check_eq "the daemon was killed and started again $ITER times" $((ITER + 1)) "$(grep -c 'watching .* webspaces on' "$D/wsid.log")"
inflight=$(grep -c 'reconciled .*, [1-9][0-9]* changed\|reconciled .* [1-9][0-9]* new' "$D/wsid.log")
check "kills landed inside bursts: $inflight restarts found changes the killed daemon had not stored" [ "$inflight" -ge 3 ]
check "after $ITER kill -9: the stored state equals the disk" python3 "$WSID_TOP/tests/lib/statecheck.py" "$D/db/wsid.db" "$WS"
check_eq "after $ITER kill -9: integrity_check" ok "$(sqlite3 "$D/db/wsid.db" 'PRAGMA integrity_check')"
# every critical finding on disk: delivered, under one notification id
for _ in $(seq 1 300); do
	[ "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM outbox WHERE state<>'sent'")" = 0 ] && break
	sleep 0.1
done
check_eq "every notification confirmed" 0 "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM outbox WHERE state<>'sent'")"
out=$($PY - "$D/hook.log" "$WS" <<'PY'
import json, os, sys
log, ws = sys.argv[1], sys.argv[2]
by_path = {}
for l in open(log):
    r = json.loads(l)
    if r.get("start") or r["status"] != 200 or not r["verified"]:
        continue
    for e in json.loads(r["body"])["events"]:
        by_path.setdefault(e["path"], set()).add(r["headers"]["Idempotency-Key"])
up = os.path.join(ws, "wp-content/uploads")
files = [os.path.join(up, f) for f in os.listdir(up)]
missing = [f for f in files if f not in by_path]
dup = [p for p, ids in by_path.items() if len(ids) > 1]
print("%d %d %d" % (len(files), len(missing), len(dup)))
PY
)
read -r nfiles nmissing ndup <<<"$out"
check "critical findings: $nfiles files, none missing at the receiver ($nmissing)" [ "$nmissing" = 0 ] && [ "$nfiles" -gt 0 ]
check_eq "critical findings: each under exactly one notification id" 0 "$ndup"
check "daemon still running" kill -0 "$DAEMON_PID"
daemon_stop
t_done
