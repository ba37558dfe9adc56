#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The unit files pass systemd-analyze verify and security (exposure <= 2.0:
# the watcher has no network; wsid-deliver.service has network and nothing
# else),
# and the daemon speaks the sd_notify protocol: READY=1 once watching,
# WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM (received on a
# datagram socket this test binds; PID 1 here is not systemd).
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
sed "s|/usr/local/sbin/wsid|$WSID|" "$WSID_TOP/systemd/wsid.service" > "$D/wsid.service"
sed "s|/usr/local/sbin/wsid|$WSID|" "$WSID_TOP/systemd/wsid-deliver.service" > "$D/wsid-deliver.service"
check "systemd-analyze verify" systemd-analyze verify --man=no "$D/wsid.service" "$D/wsid-deliver.service"
exp=$(systemd-analyze security --offline=true "$D/wsid.service" 2>/dev/null | sed -n 's/.*exposure level for wsid.service: \([0-9.]*\).*/\1/p')
check "systemd-analyze security exposure $exp <= 2.0" python3 -c "import sys; sys.exit(0 if float('$exp') <= 2.0 else 1)"
check "the watcher has no network" bash -c "grep -qx 'PrivateNetwork=yes' '$D/wsid.service' && grep -qx 'RestrictAddressFamilies=AF_UNIX' '$D/wsid.service'"
exp=$(systemd-analyze security --offline=true "$D/wsid-deliver.service" 2>/dev/null | sed -n 's/.*exposure level for wsid-deliver.service: \([0-9.]*\).*/\1/p')
check "wsid-deliver.service: exposure $exp <= 2.0, no capabilities, a dynamic user" bash -c "python3 -c \"import sys; sys.exit(0 if float('$exp') <= 2.0 else 1)\" && grep -qx 'CapabilityBoundingSet=' '$D/wsid-deliver.service' && grep -qx 'DynamicUser=yes' '$D/wsid-deliver.service'"
for u in wsid-fetch.service wsid-fetch.timer; do
	sed "s|/usr/local/sbin/wsidctl|$WSIDCTL|g" "$WSID_TOP/systemd/$u" > "$D/$u"
done
check "wsid-fetch.service and .timer: systemd-analyze verify" systemd-analyze verify --man=no "$D/wsid-fetch.service" "$D/wsid-fetch.timer"
exp=$(systemd-analyze security --offline=true "$D/wsid-fetch.service" 2>/dev/null | sed -n 's/.*exposure level for wsid-fetch.service: \([0-9.]*\).*/\1/p')
check "wsid-fetch.service: exposure $exp <= 2.0, the fetch itself as a dynamic user without capabilities" bash -c "python3 -c \"import sys; sys.exit(0 if float('$exp') <= 2.0 else 1)\" && grep -qx 'DynamicUser=yes' '$D/wsid-fetch.service' && grep -qx 'CapabilityBoundingSet=' '$D/wsid-fetch.service' && grep -q '^ExecStart=-[^+]*index fetch .*--stage' '$D/wsid-fetch.service'"
check "Type=notify with a watchdog" grep -q '^Type=notify' "$D/wsid.service"
check "node_exporter's textfile directory writable, when it exists" grep -qx 'ReadWritePaths=-/var/lib/prometheus/node-exporter' "$D/wsid.service"

mount_tmpfs "$D/m" 64m
mkdir -p "$D/m/vhosts/alice/httpdocs"
echo hi > "$D/m/vhosts/alice/httpdocs/index.html"
daemon_config "$D"
"$WSIDCTL" --db "$D/db/wsid.db" index build --from "$WSID_TOP/fingerprints" >/dev/null
python3 - "$D/notify.sock" "$D/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "w", buffering=1) as log:
    end = time.time() + 20
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        for line in msg.split("\n"):
            log.write(line + "\n")
        if "STOPPING=1" in msg:
            break
PY
listener=$!
T_PIDS+=("$listener")
for _ in $(seq 1 50); do [ -S "$D/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$D/notify.sock" WATCHDOG_USEC=1000000 "$WSID" --config "$D/wsid.yaml" >"$D/wsid.log" 2>&1 &
pid=$!
T_PIDS+=("$pid")
for _ in $(seq 1 50); do grep -q READY=1 "$D/notify.log" 2>/dev/null && break; sleep 0.1; done
check "READY=1 received" grep -q '^READY=1' "$D/notify.log"
check "STATUS= line received" grep -q '^STATUS=watching 1 webspaces' "$D/notify.log"
sleep 1.5
check "WATCHDOG=1 received" grep -q '^WATCHDOG=1' "$D/notify.log"
printf 'database: /proc/wsid-none/wsid.db\ncontrol_socket: %s/x.sock\n' "$D" > "$D/fail.yaml"
out=$(JOURNAL_STREAM=1:1 "$WSID" --config "$D/fail.yaml" 2>&1)
check "journald priority prefix <3> on a fatal error under systemd ($out)" grep -q '^<3>/proc/wsid-none/wsid.db' <<<"$out"
out=$("$WSID" --foreground --config "$D/fail.yaml" 2>&1)
check "no prefix with --foreground" grep -q '^wsid: /proc/wsid-none/wsid.db' <<<"$out"
kill "$pid"
wait "$listener"
check "STOPPING=1 received on SIGTERM" grep -q '^STOPPING=1' "$D/notify.log"
t_done
