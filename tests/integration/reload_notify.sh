#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Notifications waiting (a digest window open, or due and not yet sent) when a
# reload changes their route: a customer's new address receives them, never
# the old one; a customer taken out of `customers:` receives nothing more, not
# even what was queued before (the row fails, logged and listed by
# `wsidctl outbox`); a restart with a changed configuration is the same.
# Real receivers on 127.0.0.1 (webhook, SMTP).
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 64m
PY=/usr/bin/python3
ws() { echo "$D/m/vhosts/$1/httpdocs"; }
for c in alice bob carol; do mkdir -p "$(ws $c)"; done
start_receivers "$D" hook
HP=$(cat "$D/hook.port") SP=$(cat "$D/smtp.port")
SANDBOX=(); [ "$WSID_VALGRIND" = 1 ] && SANDBOX=("  sandbox: optional")
# conf ALICE_MAIL ALICE_HOOK [BOB_MAIL]: alice's address and webhook path;
# bob only when his address is given; carol always
conf() {
	local bob=()
	[ -n "${3:-}" ] && bob=("  bob:" "    email: $3")
	daemon_config "$D" "analysis:" "  enabled: false" \
		"severity: {new: warning}" \
		"customers:" \
		"  alice:" "    email: $1" "    webhook: {url: 'http://127.0.0.1:$HP/$2', secret: s3cret}" \
		${bob[@]+"${bob[@]}"} \
		"  carol:" "    email: carol@example.com" \
		"notify:" "  digest_interval: ${DIGEST:-4s}" "  backoff: 1s" "  ttl: 60s" "  user: nobody" ${SANDBOX[@]+"${SANDBOX[@]}"} \
		"  smtp: {url: 'smtp://127.0.0.1:$SP', from: wsid@node.example}"
}
waitfor() { local t=$1; shift; for _ in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }
mails_to() { grep -l "^To: .*$1" "$D/mail/"*.eml 2>/dev/null | grep -c .; }
posts_to() { $PY -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if l.strip() and not json.loads(l).get("start") and json.loads(l).get("path") == sys.argv[2]))' "$D/hook.log" "$1"; }
outbox_state() { sqlite3 "$D/db/wsid.db" "SELECT group_concat(state) FROM outbox WHERE customer='$1' AND transport='$2'"; }

conf alice@old.example old bob@example.com
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
# a change for each: their digests open, due in 4 s
echo '<?php // a 1' > "$(ws alice)/a1.php"
echo '<?php // b 1' > "$(ws bob)/b1.php"
echo '<?php // c 1' > "$(ws carol)/c1.php"
wsync "$D"
check_eq "digests open for alice (mail, webhook), bob, carol" "open open open open" \
	"$(outbox_state alice email) $(outbox_state alice webhook) $(outbox_state bob email) $(outbox_state carol email)"

# the reload inside the window: alice's address and webhook changed, bob gone
conf alice@new.example new
check "reload: accepted" "$WSIDCTL" --socket "$D/ctl.sock" reload
waitfor 15 bash -c "grep -qs '^To: carol@example.com' '$D/mail/'*.eml"
waitfor 5 bash -c "grep -qs '^To: alice@new.example' '$D/mail/'*.eml"
waitfor 5 bash -c "grep -q '\"/new\"' '$D/hook.log'"
sleep 1
check_eq "the queued digest goes to alice's new address" 1 "$(mails_to alice@new.example)"
check_eq "and never to her old one" 0 "$(mails_to alice@old.example)"
check_eq "her queued webhook goes to the new URL" 1 "$(posts_to /new)"
check_eq "and never to the old one" 0 "$(posts_to /old)"
check_eq "the new URL's delivery verifies with the secret" True \
	"$($PY -c 'import json,sys; print(all(r["verified"] for r in map(json.loads, filter(str.strip, open(sys.argv[1]))) if r.get("path") == "/new" and not r.get("start")))' "$D/hook.log")"
check_eq "bob, taken out of customers:, receives nothing queued" 0 "$(mails_to bob@example.com)"
check_eq "his queued row failed" failed "$(outbox_state bob email)"
check "and that is logged" grep -q "notify: .*route of bob has no address in the configuration any more: failed, not sent" "$D/wsid.log"
check "wsidctl outbox says why" bash -c "'$WSIDCTL' --db '$D/db/wsid.db' outbox --all | grep -q 'no longer'"
check_eq "carol's digest, untouched, arrives" 1 "$(mails_to carol@example.com)"

# after the reload: bob's changes are told to no one
echo '<?php // b 2' > "$(ws bob)/b2.php"
wsync "$D"
sleep 5
check_eq "bob's later change: no mail to him" 0 "$(mails_to bob@example.com)"

# a restart with a changed configuration: alice's address changed while a
# digest waits in the database
echo '<?php // a 2' > "$(ws alice)/a2.php"
wsync "$D"
daemon_stop
DIGEST=1s conf alice@third.example new
daemon_start "$D" || { fail "daemon restart"; t_done; exit 1; }
waitfor 15 bash -c "grep -qs '^To: alice@third.example' '$D/mail/'*.eml"
check_eq "restarted with her third address: the digest queued before goes there" 1 "$(mails_to alice@third.example)"
check_eq "and not to the second" 1 "$(mails_to alice@new.example)"
daemon_stop
t_done
