#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Retention against the running daemon, with ages of seconds: old events and
# delivered notifications are deleted; what is still needed stays (an open
# finding, the event of a notification not delivered yet, the newest event);
# a finding whose file changed, or that was acknowledged, goes; status shows
# the database's size and the oldest event; the section's errors name
# file:line:column; a reload changes the ages.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 64m
PY=/usr/bin/python3
ws() { echo "$D/m/vhosts/$1/httpdocs"; }
for c in alice bob; do mkdir -p "$(ws $c)/wp-content/uploads"; done

# -- configuration errors name file:line:column
printf 'retention:\n  events:\n    info: 30d\n    debug: 1d\n' > "$D/bad1.yaml"
out=$("$WSID" --config "$D/bad1.yaml" --check-config 2>&1)
check "config: an unknown severity is an error at its line and column" \
	grep -q "bad1.yaml:4:5: retention.events: unknown key 'debug'" <<<"$out"
printf 'retention:\n  outbox: soon\n' > "$D/bad2.yaml"
out=$("$WSID" --config "$D/bad2.yaml" --check-config 2>&1)
check "config: a bad duration is an error at its line and column" \
	grep -q "bad2.yaml:2:11: retention.outbox: expected a duration" <<<"$out"

# alice's webhook takes everything; bob's answers 503 until told otherwise
for h in alice bob; do
	echo ok > "$D/$h.mode"
	$PY "$WSID_TOP/tests/lib/webhook_receiver.py" "$D/$h.port" "$D/$h.log" "$D/$h.mode" s3cret &
	T_PIDS+=($!)
done
echo 503 > "$D/bob.mode"
for _ in $(seq 1 100); do [ -s "$D/alice.port" ] && [ -s "$D/bob.port" ] && break; sleep 0.1; done
AP=$(cat "$D/alice.port") BP=$(cat "$D/bob.port")

# info events live INFO s, the rest WARN s; delivered notifications OUTBOX s
# (longer under valgrind); the checks wait for deadlines counted from the
# times the rows were made
INFO=$((4 * T_SLOW)) WARN=$((20 * T_SLOW)) OUTBOX=$((3 * T_SLOW))
sleep_until() { local now; now=$(date +%s); [ "$1" -le "$now" ] || sleep $(($1 - now)); }
# the findings below keep their classification's severities without the analysis
daemon_config "$D" "analysis:" "  enabled: false" \
	"customers:" \
	"  alice:" "    webhook: {url: 'http://127.0.0.1:$AP/a', secret: s3cret}" \
	"  bob:" "    webhook: {url: 'http://127.0.0.1:$BP/b', secret: s3cret}" "    min_severity: info" \
	"notify:" "  digest_interval: 1s" "  backoff: 1s" "  ttl: 1h" \
	"retention:" "  events: {info: ${INFO}s, notice: ${WARN}s, warning: ${WARN}s, critical: ${WARN}s}" "  outbox: ${OUTBOX}s" \
	"  acked_members: 1s" "  interval: 1s" "  batch: 10"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
sqlq() { sqlite3 "$D/db/wsid.db" "$@"; }
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }
st() { "$WSIDCTL" --socket "$D/ctl.sock" status --json | $PY -c "import json,sys; print(json.load(sys.stdin).get('$1'))"; }
evcount() { sqlq "SELECT count(*) FROM events WHERE CAST(path AS TEXT) = '$1'"; }

# -- the history to prune: 60 rewrites of one file (60 info events)
A=$(ws alice)
for i in $(seq 1 60); do echo "rewrite $i" > "$A/notes.txt"; sleep 0.03; done
wsync "$D"
n=$(evcount notes.txt)
check "60 rewrites of one file are stored as events ($n)" test "$n" -ge 30
# findings above info: one that stays open, one whose file changes, one acknowledged
printf '<?php system($_GET["c"]);\n' > "$A/wp-content/uploads/open.php"
printf '<?php eval($_GET["c"]);\n' > "$A/wp-content/uploads/changed.php"
printf '<?php passthru($_GET["c"]);\n' > "$A/wp-content/uploads/acked.php"
wsync "$D"
t_find=$(date +%s)
id_open=$(sqlq "SELECT max(id) FROM events WHERE CAST(path AS TEXT) = 'wp-content/uploads/open.php'")
id_changed=$(sqlq "SELECT max(id) FROM events WHERE CAST(path AS TEXT) = 'wp-content/uploads/changed.php'")
id_acked=$(sqlq "SELECT max(id) FROM events WHERE CAST(path AS TEXT) = 'wp-content/uploads/acked.php'")
check_eq "three findings above info stored" "warning warning warning" \
	"$(sqlq "SELECT group_concat(severity, ' ') FROM events WHERE id IN ($id_open, $id_changed, $id_acked)")"
"$WSIDCTL" --db "$D/db/wsid.db" ack "$id_acked" >/dev/null
# an info event only a notification not delivered yet tells (bob's endpoint is down)
echo "bob's page" > "$(ws bob)/index.html"
wsync "$D"
id_bob=$(sqlq "SELECT max(id) FROM events WHERE customer = 'bob'")
t_bob=$(date +%s)
check_eq "bob's event: an info event" info "$(sqlq "SELECT severity FROM events WHERE id = $id_bob")"
waitfor 15 bash -c "[ \"\$(sqlite3 '$D/db/wsid.db' \"SELECT count(*) FROM outbox o JOIN outbox_events oe ON oe.outbox_id = o.id WHERE oe.event_id = $id_bob AND o.state = 'retrying'\")\" -ge 1 ]"
check "bob's notification is retrying (endpoint answers 503)" \
	test "$(sqlq "SELECT count(*) FROM outbox o JOIN outbox_events oe ON oe.outbox_id = o.id WHERE oe.event_id = $id_bob AND o.state = 'retrying'")" -ge 1
waitfor 15 bash -c "[ \"\$(sqlite3 '$D/db/wsid.db' \"SELECT count(*) FROM outbox WHERE customer = 'alice' AND state = 'sent'\")\" -ge 1 ]"
sent_before=$(sqlq "SELECT count(*) FROM outbox WHERE customer = 'alice' AND state = 'sent'")
t_sent=$(date +%s)
check "alice's notifications delivered ($sent_before)" test "$sent_before" -ge 1
# the changed finding's file gets other content (a new finding, the old one closed)
printf '<?php eval($_POST["d"]);\n' > "$A/wp-content/uploads/changed.php"
wsync "$D"
id_changed2=$(sqlq "SELECT max(id) FROM events WHERE CAST(path AS TEXT) = 'wp-content/uploads/changed.php'")
check "the changed file: a new finding ($id_changed2 after $id_changed)" test "$id_changed2" -gt "$id_changed"

# -- past the info age: the rewrites' events are gone, the rest stays
sleep_until $((t_bob + INFO + 3))
sleep_until $((t_sent + OUTBOX + 3))
check_eq "info events past their age: deleted" 0 "$(evcount notes.txt)"
check "the findings' age is not over yet" test "$(date +%s)" -lt $((t_find + WARN))
check_eq "findings above info before their age: kept" 4 \
	"$(sqlq "SELECT count(*) FROM events WHERE id IN ($id_open, $id_changed, $id_acked, $id_changed2)")"
check_eq "an info event a notification not delivered yet tells: kept past its age" 1 \
	"$(sqlq "SELECT count(*) FROM events WHERE id = $id_bob")"
check_eq "delivered notifications past their age: deleted" 0 \
	"$(sqlq "SELECT count(*) FROM outbox WHERE customer = 'alice' AND state = 'sent' AND id < (SELECT max(id) FROM outbox)")"
check_eq "their event lists: deleted with them" 0 \
	"$(sqlq "SELECT count(*) FROM outbox_events WHERE outbox_id NOT IN (SELECT id FROM outbox)")"
check "the notification not delivered yet: kept" \
	test "$(sqlq "SELECT count(*) FROM outbox WHERE state = 'retrying'")" -ge 1
check "files (state) untouched" test "$(sqlq "SELECT count(*) FROM files WHERE CAST(relpath AS TEXT) = 'notes.txt'")" -eq 1

# -- past the warnings' age
sleep_until $((t_find + WARN + 3))
check_eq "an open finding (unacknowledged, the file unchanged): kept past its age" 1 \
	"$(sqlq "SELECT count(*) FROM events WHERE id = $id_open")"
check_eq "an acknowledged finding past its age: deleted" 0 "$(sqlq "SELECT count(*) FROM events WHERE id = $id_acked")"
check_eq "a finding whose file changed since: deleted" 0 "$(sqlq "SELECT count(*) FROM events WHERE id = $id_changed")"
check_eq "the file's new finding, open: kept" 1 "$(sqlq "SELECT count(*) FROM events WHERE id = $id_changed2")"
check "wsidctl events --unacked still lists the open finding" \
	bash -c "'$WSIDCTL' --db '$D/db/wsid.db' events --all --unacked --json | grep -q '\"id\":$id_open[,}]'"

# -- bob's endpoint back: delivered, then its event goes like the others
echo ok > "$D/bob.mode"
waitfor 20 bash -c "[ \"\$(sqlite3 '$D/db/wsid.db' \"SELECT count(*) FROM events WHERE id = $id_bob\")\" = 0 ]"
check_eq "the notification delivered: its event past its age deleted" 0 "$(sqlq "SELECT count(*) FROM events WHERE id = $id_bob")"
check "the newest event stays (ids are never handed out twice)" \
	test "$(sqlq "SELECT count(*) FROM events WHERE id = (SELECT max(id) FROM events)")" -eq 1

# -- status
wsync "$D"
sleep 1.5
check_eq "status: database_bytes is the file's size" "$(stat -c %s "$D/db/wsid.db")" "$(st database_bytes)"
check_eq "status: oldest_event_time is the oldest event's time" "$(sqlq "SELECT min(time) FROM events")" "$(st oldest_event_time)"
# every event deleted is counted: ids are handed out as max(id) + 1 and the
# newest is never deleted, so max(id) - count(*) events are gone (read before
# and after the status, in case a step runs between); the rewrites were n of
# them (fewer than 60 when the daemon took several rewrites for one change)
gone() { sqlq "SELECT max(id) - count(*) FROM events"; }
g0=$(gone) ndel=$(st retention_events_deleted) g1=$(gone)
check "status: events deleted counted ($ndel, the table lacks $g0 to $g1 of its ids, the $n of the rewrites, the acknowledged and the changed finding and bob's among them)" \
	test "$ndel" -ge "$g0" -a "$ndel" -le "$g1" -a "$ndel" -ge $((n + 3))
check "status: notifications deleted counted ($(st retention_outbox_deleted))" test "$(st retention_outbox_deleted)" -ge 1
check "status: free pages in the file ($(st database_free_bytes) bytes) reused by the next rows" \
	test "$(st database_free_bytes)" -gt 0
check "status: rounds completed" test "$(st retention_rounds)" -ge 5
check "status: the steps timed ($(st retention_steps) steps, at most $(st retention_step_max_ms) ms)" \
	$PY -c "import sys; sys.exit(not (int(sys.argv[1]) >= 10 and float(sys.argv[2]) > 0))" \
	"$(st retention_steps)" "$(st retention_step_max_ms)"
txt=$("$WSIDCTL" --socket "$D/ctl.sock" status)
check "wsidctl status: the database's size" grep -Eq "^database_bytes +[0-9]+$" <<<"$txt"
check "wsidctl status: the oldest event's date" grep -Eq "^oldest_event_time +20[0-9]{2}-[0-9]{2}-[0-9]{2}T" <<<"$txt"
# -- reload: ages of 0 keep for ever
sed -i "s/events: {info: ${INFO}s,/events: {info: 0,/" "$D/wsid.yaml"
"$WSIDCTL" --socket "$D/ctl.sock" reload >/dev/null
for i in $(seq 1 5); do echo "kept $i" > "$A/kept.txt"; sleep 0.05; done
wsync "$D"
sleep $((INFO + 3))
check "after a reload to info: 0, info events are kept ($(evcount kept.txt))" test "$(evcount kept.txt)" -ge 3
check "the daemon is still up" kill -0 "$DAEMON_PID"
t_done
