#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Secrets. A configuration or customers.d file holding a secret (webhook
# secret, SMTP password) and readable by others is refused at start and on
# reload with file:line:column and the mode; one writable by others or owned
# by a tenant is refused too; a webhook route without a secret is an error
# unless `unsigned: true`; a template a tenant could write is not used. The
# delivery process cannot read the configuration: its Landlock rules (the same
# function, run by landlock_probe as nobody) deny /etc as a whole and the
# test's config, and allow the CA store and resolv.conf; the live one holds no
# secret in its arguments or environment and says it is confined. Without
# Landlock (forced with WSID_TEST_NO_LANDLOCK) the sender does not start:
# status says so and nothing is sent, until notify.sandbox: optional.
. "$(dirname "$0")/../lib/lib.sh"
need_root
PY=/usr/bin/python3
D=$T_TMP
mount_tmpfs "$D/m" 64m
mkdir -p "$D/m/vhosts/alice/httpdocs/wp-content/uploads" "$D/customers.d" "$D/tpl"
WS=$D/m/vhosts/alice/httpdocs
start_receivers "$D" hook
HP=$(cat "$D/hook.port") SP=$(cat "$D/smtp.port")
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }
cfg() { # LINES...: the test's configuration (daemon_config: 0600)
	daemon_config "$D" "customers_dir: $D/customers.d" "classify:" "  update_window: 1s" \
		"severity:" "  suspicious: critical" "$@"
}
HOOK="    webhook: {url: 'http://127.0.0.1:$HP/alice', secret: s3cret}"
# valgrind does not know the Landlock system calls: the sender runs without there
SANDBOX=(); [ "$WSID_VALGRIND" = 1 ] && SANDBOX=("  sandbox: optional")

# -- a secret in a file others can read: refused at start, file:line:column and mode
cfg "customers:" "  alice:" "$HOOK" "notify:" "  templates: $D/tpl"
chmod 644 "$D/wsid.yaml"
# (bounded: a daemon that does start is stopped after 10 s)
out=$(timeout 10 "$WSID" --config "$D/wsid.yaml" --foreground 2>&1); rc=$?
check_eq "config 0644 with a webhook secret: the daemon does not start" 1 "$rc"
check "the error names file:line:column, the key and the mode ($out)" \
	grep -q "wsid.yaml:12:60: webhook.secret: a secret in a file readable by others (mode 0644): chmod 600" <<<"$out"
chmod 640 "$D/wsid.yaml"
check "0640 (a group of its own): valid" "$WSID" --config "$D/wsid.yaml" --check-config
chmod 602 "$D/wsid.yaml"
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1)
check "config writable by others: refused ($out)" grep -q "wsid.yaml: writable by others (mode 0602)" <<<"$out"
chmod 600 "$D/wsid.yaml"; chown 1234 "$D/wsid.yaml"
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1)
check "config owned by a tenant: refused ($out)" grep -q "wsid.yaml: owned by uid 1234, not root" <<<"$out"
chown 0 "$D/wsid.yaml"

# -- a webhook route without a secret
cfg "customers:" "  alice:" "    webhook: 'http://127.0.0.1:$HP/alice'"
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1)
check "webhook without a secret: refused, file:line:column ($out)" \
	grep -q "wsid.yaml:12:14: webhook: no secret: add 'secret: ...'" <<<"$out"
cfg "customers:" "  alice:" "    webhook: {url: 'http://127.0.0.1:$HP/alice', unsigned: true}"
check "webhook with unsigned: true: valid" "$WSID" --config "$D/wsid.yaml" --check-config

# -- the daemon runs; a drop-in a tenant could read, or placed, is refused on reload
cfg "customers:" "  alice:" "$HOOK" "    email: alice@example.com" "notify:" "  templates: $D/tpl" "${SANDBOX[@]}" \
	"  smtp: {url: 'smtp://127.0.0.1:$SP', from: wsid@node.example}"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
printf 'bob:\n  webhook: {url: "http://127.0.0.1:%s/bob", secret: b0bsecret}\n' "$HP" > "$D/customers.d/bob.yaml"
chmod 644 "$D/customers.d/bob.yaml"
out=$("$WSIDCTL" --socket "$D/ctl.sock" reload 2>&1); rc=$?
check "reload with a drop-in 0644 holding a secret: refused ($rc: $out)" [ $rc -ne 0 ]
check "the reload error names the drop-in, line:column and mode" \
	grep -q "customers.d/bob.yaml:2:56: webhook.secret: a secret in a file readable by others (mode 0644)" <<<"$out$(tail -n 3 "$D/wsid.log")"
check "the running configuration is kept" grep -q "reload refused, keeping the running configuration" "$D/wsid.log"
chmod 600 "$D/customers.d/bob.yaml"; chown 1234:1234 "$D/customers.d/bob.yaml"
out=$("$WSIDCTL" --socket "$D/ctl.sock" reload 2>&1); rc=$?
check "reload with a drop-in owned by a tenant: refused ($rc: $out)" [ $rc -ne 0 ]
chown 0:0 "$D/customers.d/bob.yaml"
check "reload with the drop-in 0600, root's: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
check "the daemon still runs" kill -0 "$DAEMON_PID"

# -- the delivery process: no secret in its arguments or environment, confined
# (a reload starts it again: wait until the new one has said what confines
# it, which it does once it has dropped its privileges)
waitfor $((10 * T_SLOW)) bash -c "'$WSIDCTL' --socket '$D/ctl.sock' status --json | grep -q '\"delivery_sandbox\":\"[ln]'"
dpid=$(pgrep -P "$DAEMON_PID" -f "$DELIVER_PGREP" | head -1)
check "a delivery process runs ($dpid)" [ -n "$dpid" ]
check "its arguments and environment hold no secret" \
	bash -c "[ -n '$dpid' ] && ! cat /proc/$dpid/cmdline /proc/$dpid/environ | tr '\0' '\n' | grep -q -e s3cret -e b0bsecret"
check_eq "it runs as nobody, no new privileges" "65534 1" \
	"$(awk '/^Uid:/ {u=$2} /^NoNewPrivs:/ {n=$2} END {print u, n}' /proc/$dpid/status)"
if [ "$WSID_VALGRIND" != 1 ]; then
	waitfor 5 bash -c "'$WSIDCTL' --socket '$D/ctl.sock' status --json | grep -q '\"delivery_sandbox\":\"landlock\"'"
	check "status: delivery_sandbox landlock" bash -c \
		"'$WSIDCTL' --socket '$D/ctl.sock' status --json | grep -q '\"delivery_sandbox\":\"landlock\"'"
fi
# the same rules, run as nobody: the config (made readable to show the
# refusal is the sandbox's) and /etc are out of reach, the CA store is not
chmod 755 "$D"; chmod 644 "$D/wsid.yaml"
probe=$("$WSID_BUILD/helpers/landlock_probe" nobody -- "$D/wsid.yaml" /etc/passwd /etc/ssl/certs/ca-certificates.crt /etc/resolv.conf)
chmod 600 "$D/wsid.yaml"; chmod 700 "$D"
echo "$probe" | sed 's/^/    /'
if grep -q '^confine: ok' <<<"$probe"; then
	check "probe: nobody could read the config before the sandbox" grep -q "^before $D/wsid.yaml: ok" <<<"$probe"
	check "probe: the sender's sandbox denies the config" grep -q "^after $D/wsid.yaml: Permission denied" <<<"$probe"
	check "probe: the sender's sandbox denies /etc as a whole (/etc/passwd)" grep -q "^after /etc/passwd: Permission denied" <<<"$probe"
	check "probe: the CA store stays readable" grep -q "^after /etc/ssl/certs/ca-certificates.crt: ok" <<<"$probe"
	[ -e /etc/resolv.conf ] && check "probe: resolv.conf stays readable" grep -q "^after /etc/resolv.conf: ok" <<<"$probe"
else
	echo "# Landlock not available here: the probe's checks are skipped"
fi

# -- a template a tenant could write is not used
echo 'PHISHING {customer}' > "$D/tpl/test.subject"; chmod 666 "$D/tpl/test.subject"
"$WSIDCTL" --socket "$D/ctl.sock" notify test alice >/dev/null
waitfor 10 bash -c "ls '$D/mail/'*.eml >/dev/null 2>&1"
check "template writable by others: refused, file and mode logged" \
	grep -q "template refused: $D/tpl/test.subject: writable by others (mode 0666)" "$D/wsid.log"
check "template writable by others: its text is not in the mail" bash -c "! grep -q PHISHING '$D/mail/'*.eml"
check "the built-in subject instead" bash -c "grep -q '^Subject: \[wsid\] test message for alice' '$D/mail/'*.eml"
daemon_stop

# -- without Landlock the sender does not start, and says so
if [ "$WSID_VALGRIND" != 1 ]; then
	: > "$D/hook.log"
	WSID_TEST_NO_LANDLOCK=1 daemon_start "$D" || fail "start without Landlock"
	waitfor 10 grep -q "cannot confine itself with Landlock" "$D/wsid.log"
	check "no sandbox, required: the delivery process refuses to run" \
		grep -q "deliver: cannot confine itself with Landlock" "$D/wsid.log"
	st=$("$WSIDCTL" --socket "$D/ctl.sock" status --json)
	check_eq "status: delivery_sandbox unavailable (required)" "unavailable (required)" \
		"$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["delivery_sandbox"])' "$st")"
	check "wsidctl status (text) says so too" bash -c \
		"'$WSIDCTL' --socket '$D/ctl.sock' status | grep -q '^delivery_sandbox *unavailable (required)'"
	printf '<?php system($_GET[1]);\n' > "$WS/wp-content/uploads/x.php"
	wsync "$D"; sleep 2
	check_eq "nothing sent without the sandbox" 0 "$(grep -c '"status": 200' "$D/hook.log")"
	check_eq "the alert waits in the outbox" pending \
		"$(sqlite3 "$D/db/wsid.db" "SELECT state FROM outbox WHERE kind='alert' ORDER BY id DESC LIMIT 1")"
	daemon_stop
	cfg "customers:" "  alice:" "$HOOK" "notify:" "  sandbox: optional"
	WSID_TEST_NO_LANDLOCK=1 daemon_start "$D" || fail "start, sandbox optional"
	waitfor 10 grep -q '"status": 200' "$D/hook.log"
	check "sandbox optional: the waiting alert is delivered" grep -q 'x.php' "$D/hook.log"
	check_eq "status: delivery_sandbox none (optional)" "none (optional)" \
		"$("$WSIDCTL" --socket "$D/ctl.sock" status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["delivery_sandbox"])')"
	daemon_stop
fi
t_done
