#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The HTTP request behind a change, with Debian's nginx and php-fpm on
# 127.0.0.1: a vulnerable upload script in alice's webspace, a POST that drops
# a shell; the event's writer names that request (method, URI, script, start
# before the change) and the access log line's remote address and status, in
# the stored event, `wsidctl events`, and the webhook. Scripts that exit at
# once after their write are tied too, most of the time (running, or from the
# worker's last request: "finished"). A write by a CLI
# process says no request; bob's pool has no status page and says so (its
# socket found from its workers, not configured); a pool configured with a
# socket nobody listens on says it was not reached; a tenant's process titled
# like a PHP-FPM worker is not taken for one.
. "$(dirname "$0")/../lib/lib.sh"
. "$WSID_TOP/tests/lib/webstack.sh"
need_root
webstack_have || { fail "nginx and php-fpm needed (scripts/deps.sh test)"; t_done; exit 1; }
D=$T_TMP
PY=/usr/bin/python3
AU=1234 BU=1235 # the tenants
mount_tmpfs "$D/m" 64m
chmod 755 "$D" "$D/m"
WA=$D/m/vhosts/alice/httpdocs WB=$D/m/vhosts/bob/httpdocs WC=$D/m/vhosts/carol/httpdocs
mkdir -p "$WA/uploads" "$WB/uploads" "$WC/uploads"
# the vulnerable uploader: keeps the client's file name, and works a little
# after the write (as real scripts do: resize, log, answer)
for w in "$WA" "$WB" "$WC"; do
	cat > "$w/upload.php" <<'PHP'
<?php
$f = $_FILES['file'];
move_uploaded_file($f['tmp_name'], __DIR__ . '/uploads/' . $f['name']);
usleep(400000);
echo "stored\n";
PHP
done
# uploaders that exit at once after their write: by the time the pool is
# asked, the worker is often idle again
cat > "$WA/quick.php" <<'PHP'
<?php
$f = $_FILES['file'];
move_uploaded_file($f['tmp_name'], __DIR__ . '/uploads/' . $f['name']);
PHP
cat > "$WA/put.php" <<'PHP'
<?php
file_put_contents(__DIR__ . '/uploads/' . basename($_GET['n']), "<?php eval(\$_POST[1]);\n");
PHP
chown -R $AU:$AU "$D/m/vhosts/alice"
chown -R $BU:$BU "$D/m/vhosts/bob"
chown -R $BU:$BU "$D/m/vhosts/carol"
W=$D/web
mkdir -p "$W" && chmod 755 "$W"
PA=$(webstack_free_port) PB=$(webstack_free_port) PC=$(webstack_free_port)
# alice's and carol's pools have a status page, bob's has none
webstack_site alice $AU "$WA" $PA status,static
webstack_site bob $BU "$WB" $PB static
webstack_site carol $BU "$WC" $PC status,static
webstack_start "$W" || { fail "nginx and php-fpm start"; t_done; exit 1; }

start_receivers "$D" hook
HP=$(cat "$D/hook.port")
# carol's pool is configured with a socket nobody listens on
daemon_config "$D" "analysis:" "  enabled: false" \
	"php_fpm:" "  timeout: 300ms" "  access_log_wait: 3s" "  pools:" "    alice: {listen: $W/run/alice.sock}" \
	"    carol: {listen: $D/nobody.sock}" \
	"access_log: $W/logs/{customer}.access.log" \
	"customers:" \
	"  alice:" "    webhook: {url: 'http://127.0.0.1:$HP/hook', secret: s3cret}" \
	"  bob:" "  carol:" \
	"notify:" "  digest_interval: 2s" "  user: nobody"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }
# ev PATH-SUFFIX PYTHON-EXPR: the expression over the last event e of that path
ev() {
	events_json "$D" | $PY -c '
import json, sys
evs = [json.loads(l) for l in sys.stdin if l.strip()]
evs = [e for e in evs if e["path"].endswith(sys.argv[1])]
e = evs[-1] if evs else None
print(eval(sys.argv[2]))' "$1" "$2"
}
printf '<?php system($_GET["c"]);\n' > "$D/shell.php"

# -- alice: a POST through nginx drops a shell
t0=$(date +%s)
out=$(curl -sS -m 10 -F "file=@$D/shell.php" "http://127.0.0.1:$PA/upload.php?via=form")
check_eq "upload: the script stored the shell" stored "$out"
check "upload: the shell is in alice's webspace, hers" [ "$(stat -c %u "$WA/uploads/shell.php")" = $AU ]
wsync "$D"
check_eq "event: the shell, written by a php-fpm worker of alice's pool" "created alice" \
	"$(ev /httpdocs/uploads/shell.php '"%s %s" % (e["change"], e["writer"]["request"]["pool"])')"
check_eq "event: the request's method and URI" "POST /upload.php?via=form" \
	"$(ev /uploads/shell.php '"%s %s" % (e["writer"]["request"]["method"], e["writer"]["request"]["uri"])')"
check_eq "event: the request's script" "$WA/upload.php" "$(ev /uploads/shell.php 'e["writer"]["request"]["script"]')"
check_eq "event: the request started before the change, after the POST was sent" True \
	"$(ev /uploads/shell.php "$t0 - 1 <= e['writer']['request']['started_ns'] / 1e9 <= e['time_ns'] / 1e9")"
check_eq "event: started is ISO 8601 UTC with milliseconds" True \
	"$(ev /uploads/shell.php '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["writer"]["request"]["started"]) is not None')"
check_eq "event: the access log line's remote address and status" "127.0.0.1 200" \
	"$(ev /uploads/shell.php '"%s %s" % (e["writer"]["request"].get("remote_addr"), e["writer"]["request"].get("status"))')"
check "the access log has that line" grep -q '"POST /upload.php?via=form HTTP/1.1" 200' "$W/logs/alice.access.log"
check_eq "event: no request_unknown beside a request" None "$(ev /uploads/shell.php 'e["writer"].get("request_unknown")')"
check "event: the reason reads 'written by POST /upload.php?via=form (php-fpm pool alice, 20..'" \
	grep -q "written by POST /upload.php?via=form (php-fpm pool alice, 20" <<<"$(ev /uploads/shell.php 'e["reason"]')"
check "wsidctl events: the line says which request wrote it" \
	grep -q "uploads/shell.php .*written by POST /upload.php?via=form (php-fpm pool alice, 20" <<<"$("$WSIDCTL" --db "$D/db/wsid.db" events)"
waitfor 15 grep -q 'shell.php' "$D/hook.log"
check_eq "webhook: the event's writer names the request" "POST /upload.php?via=form 127.0.0.1" "$($PY - "$D/hook.log" <<'PYX'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("start") or "shell.php" not in r.get("body", ""):
        continue
    for e in json.loads(r["body"])["events"]:
        if e["path"].endswith("/uploads/shell.php"):
            q = e["writer"]["request"]
            print(q["method"], q["uri"], q["remote_addr"])
            sys.exit(0)
PYX
)"

# -- scripts that exit right after their write: the worker is often idle
# when its pool answers; its last request is the writer's when it can have
# begun before the change. N writes of each kind; of the 2N, at least 70 %
# tied (measured: 85 to 90 %, the rest taken by the writer's worker serving
# the status query itself; before, with ties of running requests only, 35 to
# 60 %: doc/respond.md).
QUICK_N=${QUICK_N:-10}
QUICK_MIN=$((2 * QUICK_N * 7 / 10))
quick_run() { # quick_run KIND: KIND's writes, one at a time
	local i
	for i in $(seq 1 $QUICK_N); do
		if [ "$1" = upload ]; then
			curl -sS -m 10 -F "file=@$D/shell.php;filename=q$i.php" "http://127.0.0.1:$PA/quick.php?i=$i" >/dev/null
		else
			curl -sS -m 10 "http://127.0.0.1:$PA/put.php?n=p$i.php" >/dev/null
		fi
		sleep 0.3
	done
	wsync "$D"
}
# quick_count PREFIX: "tied finished running total" over those writes, and the
# reasons of the rest on stderr
quick_count() {
	events_json "$D" | $PY -c '
import json, re, sys
pre = sys.argv[1]
evs = {}
for l in sys.stdin:
    if l.strip():
        e = json.loads(l)
        if re.search(r"/uploads/" + pre + r"[0-9]+\.php$", e["path"]) and e["change"] == "created":
            evs[e["path"]] = e
tied = fin = run = 0
for p, e in sorted(evs.items()):
    q = e["writer"].get("request")
    if q:
        tied += 1
        fin += q.get("state") == "finished"
        run += q.get("state") == "running"
        n = re.search(r"([0-9]+)\.php$", p).group(1)
        ok = q["method"] in ("POST", "GET") and ("i=%s" % n in q["uri"] or "n=%s%s.php" % (pre, n) in q["uri"])
        if not ok or (q.get("state") == "finished" and "duration_us" not in q):
            print("WRONG", p, q, file=sys.stderr)
            tied -= 100
    else:
        print("untied", p, e["writer"].get("request_unknown"), file=sys.stderr)
print(tied, fin, run, len(evs))' "$1"
}
quick_run upload
read -r qt qf qr qn <<<"$(quick_count q)"
check_eq "exit at once (move_uploaded_file): every write recorded" $QUICK_N "$qn"
check "exit at once (move_uploaded_file): none tied to another request" [ "$qt" -ge 0 ]
quick_run put
read -r pt pf pr pn <<<"$(quick_count p)"
check_eq "exit at once (file_put_contents): every write recorded" $QUICK_N "$pn"
check "exit at once (file_put_contents): none tied to another request" [ "$pt" -ge 0 ]
check "exit at once: $((qt + pt)) of $((2 * QUICK_N)) tied to their own request (move_uploaded_file $qt: $qf finished, $qr running; file_put_contents $pt: $pf finished, $pr running), at least $QUICK_MIN" \
	[ $((qt + pt)) -ge $QUICK_MIN ]
check_eq "a finished request reads so in the event" "finished True" \
	"$(events_json "$D" | $PY -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l) if l.strip() else {}
    q = (e.get("writer") or {}).get("request")
    if q and q.get("state") == "finished":
        print("finished", q["started_ns"] <= e["time_ns"] and q["duration_us"] >= 0)
        break
else:
    print("none")')"

# -- a write by a CLI process: no request
setpriv --reuid=$AU --regid=$AU --clear-groups -- sh -c "cat '$D/shell.php' > '$WA/uploads/cli.php'"
wsync "$D"
check_eq "CLI write: the writer has no request, and says why" "None not written by a PHP-FPM worker" \
	"$(ev /uploads/cli.php '"%s %s" % (e["writer"].get("request"), e["writer"].get("request_unknown"))')"
check "CLI write: the reason names no request" bash -c "! grep -q 'written by' <<<'$(ev /uploads/cli.php 'e["reason"]')'"

# -- a tenant's process that calls itself a PHP-FPM worker: alice's pool is
# asked (it does not list the pid); a pool no one configured is not looked for
# behind a process a tenant started (its parent is no root PHP-FPM master)
forge() { # forge UID TITLE FILE
	setpriv --reuid=$1 --regid=$1 --clear-groups -- perl -e '$0 = $ARGV[0]; open(my $f, ">", $ARGV[1]) or die; print $f "<?php eval(\$_POST[1]);\n"; close $f; select(undef, undef, undef, 0.5)' "$2" "$3"
}
forge $AU "php-fpm: pool alice" "$WA/uploads/forged.php"
wsync "$D"
check "forged title, configured pool: the status page does not list it" \
	grep -qE "^pool alice: the status page does not list pid [0-9]+$" <<<"$(ev /uploads/forged.php 'e["writer"]["request_unknown"]')"
forge $AU "php-fpm: pool zed" "$WA/uploads/forged2.php"
wsync "$D"
check_eq "forged title, unknown pool: its socket is not looked for behind a tenant's process" \
	"pool zed is not configured (php_fpm.pools) and its socket was not found" "$(ev /uploads/forged2.php 'e["writer"]["request_unknown"]')"

# -- bob's pool has no status page (and wsid found its socket itself)
out=$(curl -sS -m 10 -F "file=@$D/shell.php;filename=bshell.php" "http://127.0.0.1:$PB/upload.php")
check_eq "bob: upload stored" stored "$out"
wsync "$D"
check_eq "bob: the pool is named, with no request" "bob None" \
	"$(ev /uploads/bshell.php '"%s %s" % (e["writer"].get("request_unknown") and "bob", e["writer"].get("request"))')"
check "bob: request_unknown says the pool has no status page" \
	grep -q "pool bob has no status page at /status (it answered 404)" <<<"$(ev /uploads/bshell.php 'e["writer"]["request_unknown"]')"
check "bob: the reason says the request is unknown" \
	grep -q "written by php-fpm pool bob (request unknown)" <<<"$(ev /uploads/bshell.php 'e["reason"]')"

# -- carol's configured socket: nobody listens
out=$(curl -sS -m 10 -F "file=@$D/shell.php;filename=cshell.php" "http://127.0.0.1:$PC/upload.php")
check_eq "carol: upload stored" stored "$out"
wsync "$D"
check "carol: request_unknown says the status page was not reached" \
	grep -q "pool carol: status page not reached: cannot connect to $D/nobody.sock" <<<"$(ev /uploads/cshell.php 'e["writer"]["request_unknown"]')"

# -- the main loop never waited: the daemon answered status meanwhile, and
# nothing was lost
check_eq "daemon alive" 0 "$(kill -0 "$DAEMON_PID"; echo $?)"
check_eq "every shell recorded" $((6 + 2 * QUICK_N)) "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) LIKE 'uploads/%'")"
daemon_stop
webstack_stop
# (under make asan: the sandboxed delivery process cannot run LeakSanitizer,
# which says so; an error or a leak is another line)
check "the daemon's log has no sanitizer error" bash -c "! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer: detected)|runtime error:' '$D/wsid.log'"
t_done
