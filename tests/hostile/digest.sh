#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One tenant cannot break a digest. The tenant (uid 1234) drops thousands of
# PHP files with long, invalid-UTF-8 names into its uploads (a warning each)
# while another customer (bob) has one finding. Against the live daemon, with
# real receivers on 127.0.0.1 (the Python webhook receiver, the aiosmtpd
# server): every message to the tenant, to bob and to the admin (webhook and
# mail) is valid JSON / a whole mail, signed, within notify.max_message_size;
# each lists at most notify.digest_max_events events per customer and counts
# the rest (listed + counted = what the tenant did, exactly); bob's finding is
# in the admin's messages; parts are numbered and say whether one follows;
# every outbox row ends sent, none failed.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
PY=/usr/bin/python3
NF=${WSID_DIGEST_FILES:-3000} # the tenant's files (a warning each)
MAXEV=40                      # notify.digest_max_events
MAXMSG=65536                  # notify.max_message_size
D=$T_TMP

start_receivers "$D" hook admin
HP=$(cat "$D/hook.port") AP=$(cat "$D/admin.port") SP=$(cat "$D/smtp.port")
BOB=$D/m/vhosts/bob/httpdocs
hostile_pre() { # the tenant reaches its webspace (the scratch directory is 0700)
	chmod 711 "$D"
	mkdir -p "$WS/wp-content/uploads" "$BOB/wp-content/uploads"
	chown -R 1234:1234 "$D/m/vhosts/alice"
}
SANDBOX=(); [ "$WSID_VALGRIND" = 1 ] && SANDBOX=("  sandbox: optional")
# warnings for the digest: without the analysis the shells stay `suspicious`
# (with it they are critical, sent at once: integration/analysis.sh)
hostile_init 256m "analysis:" "  enabled: false" \
	"customers:" \
	"  alice:" "    webhook: {url: 'http://127.0.0.1:$HP/alice', secret: s3cret}" \
	"  bob:" "    webhook: {url: 'http://127.0.0.1:$HP/bob', secret: s3cret}" \
	"notify:" "  digest_interval: 20s" "  digest_max_events: $MAXEV" "  max_message_size: $MAXMSG" \
	"  backoff: 1s" "${SANDBOX[@]}" \
	"  smtp: {url: 'smtp://127.0.0.1:$SP', from: wsid@node.example}" \
	"  admin:" "    webhook: {url: 'http://127.0.0.1:$AP/admin', secret: s3cret}" \
	"    email: hostmaster@example.net" "    min_severity: warning" ||
	{ fail "set-up"; t_done; exit 1; }

# the tenant's storm: NF files of code in uploads, 200 bytes of 0xff in each
# name (6 bytes of JSON each, and the exact bytes again in path_base64)
setpriv --reuid=1234 --regid=1234 --clear-groups $PY - "$WS/wp-content/uploads" "$NF" <<'PY'
import os, sys
d, n = sys.argv[1].encode(), int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, b"\xff" * 200 + b"-%05d.php" % i), "wb") as f:
        f.write(b"<?php system($_GET[%d]);\n" % i)
PY
check_eq "the tenant wrote its $NF files as uid 1234" "$NF" "$(find "$WS/wp-content/uploads" -user 1234 -name '*.php' | wc -l)"
printf '<?php eval($_POST["x"]);\n' > "$BOB/wp-content/uploads/bob-shell.php"
bounded_sync "the storm" 120
sqlq() { sqlite3 "$D/db/wsid.db" "$@"; }
check_eq "every file of the tenant is a warning (suspicious)" "$NF" \
	"$(sqlq "SELECT count(*) FROM events WHERE customer='alice' AND verdict='suspicious' AND severity='warning'")"
# all delivered: no row open, pending, sending or retrying
for _ in $(seq 1 $((120 * T_SLOW))); do
	[ "$(sqlq "SELECT count(*) FROM outbox WHERE state NOT IN ('sent', 'failed', 'dead')")" = 0 ] && break
	sleep 0.5
done
check_eq "every outbox row sent (none failed, none dead, none waiting)" "0 0" \
	"$(sqlq "SELECT count(*) FILTER (WHERE state<>'sent'), count(*) FILTER (WHERE state IN ('failed', 'dead')) FROM outbox" | tr '|' ' ')"

# the messages as the receivers got them
msgs() { # LOG PATH: a check over every 200-answered POST to PATH
	$PY - "$D/$1.log" "$2" "$NF" "$MAXEV" "$MAXMSG" "$3" <<'PY'
import json, sys
log, path, nf, maxev, maxmsg, what = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
recs = [json.loads(l) for l in open(log) if l.strip()]
recs = [r for r in recs if not r.get("start") and r["path"] == path and r["status"] == 200]
def body(r):
    return json.loads(r["body"])  # raises on invalid JSON
if what == "count":
    print(len(recs))
elif what == "valid":
    bad = []
    for r in recs:
        try:
            b = body(r)
            assert b["schema"] == 1 and isinstance(b["events"], list)
        except Exception as e:
            bad.append("%s: %s" % (r["headers"].get("Idempotency-Key"), e))
    print("ok" if not bad else bad[:3])
elif what == "size":
    print(max(int(r["headers"]["Content-Length"]) for r in recs) <= maxmsg)
elif what == "signed":
    print(all(r["verified"] for r in recs))
elif what == "per-customer":
    # at most maxev listed per customer in one message
    worst = 0
    for r in recs:
        b = body(r)
        per = {}
        for e in b["events"]:
            per[e["customer"]] = per.get(e["customer"], 0) + 1
        worst = max([worst] + list(per.values()))
    print(worst <= maxev)
elif what.startswith("total:"):
    # listed + counted for one customer over all messages: exactly what it did
    cust = what[6:]
    listed = sum(1 for r in recs for e in body(r)["events"] if e["customer"] == cust)
    counted = sum(o["count"] for r in recs for o in body(r)["omitted"] if o["customer"] == cust)
    pointer = all(o["list_all"] == "wsidctl events --customer %s" % o["customer"]
                  for r in recs for o in body(r)["omitted"])
    print("%d %s" % (listed + counted, pointer))
elif what == "parts":
    # parts of one digest: 1..k, each but the last says one follows, ids distinct
    groups = {}
    for r in recs:
        b = body(r)
        groups.setdefault(b["id"].split("-p")[0], []).append(b)
    ok, multi = True, 0
    for g in groups.values():
        g.sort(key=lambda b: b["part"])
        ok &= [b["part"] for b in g] == list(range(1, len(g) + 1))
        ok &= all(b["continued"] for b in g[:-1]) and not g[-1]["continued"]
        ok &= len({b["id"] for b in g}) == len(g)
        multi += len(g) > 1
    print("%s %s" % (ok, multi > 0))
elif what.startswith("has:"):
    print(any(e["path"].endswith(what[4:]) for r in recs for e in body(r)["events"]))
PY
}
check_eq "tenant's digest: messages arrived" True "$([ "$(msgs hook /alice count)" -ge 2 ] && echo True)"
for who in "hook /alice" "hook /bob" "admin /admin"; do
	set -- $who
	check_eq "$2: every message is valid JSON" ok "$(msgs $1 $2 valid)"
	check_eq "$2: every message within max_message_size ($MAXMSG bytes)" True "$(msgs $1 $2 size)"
	check_eq "$2: every message signed (the receiver verified it)" True "$(msgs $1 $2 signed)"
	check_eq "$2: at most $MAXEV events of a customer listed in a message" True "$(msgs $1 $2 per-customer)"
done
check_eq "tenant's digest: listed + counted = the tenant's $NF warnings; the count points to wsidctl events" \
	"$NF True" "$(msgs hook /alice total:alice)"
check_eq "tenant's digest: parts numbered 1..k, 'continued' on all but the last (and it was split)" \
	"True True" "$(msgs hook /alice parts)"
check_eq "admin digest: listed + counted = the tenant's $NF warnings" "$NF True" "$(msgs admin /admin total:alice)"
check_eq "admin digest: bob's finding is in it" True "$(msgs admin /admin has:/bob-shell.php)"
check_eq "admin digest: parts well formed" True "$(msgs admin /admin parts | cut -d' ' -f1)"
check_eq "bob's digest: his finding" True "$(msgs hook /bob has:/bob-shell.php)"
check_eq "bob's digest: none of the tenant's" "0 True" "$(msgs hook /bob total:alice)"
# the admin's mail: the same bounds, bob's finding, the count of the rest
check_eq "admin mail: every message within max_message_size" True "$($PY - "$D/mail" "$MAXMSG" <<'PY'
import glob, os, sys
sizes = [os.path.getsize(p) for p in glob.glob(sys.argv[1] + "/*.eml")]
print(bool(sizes) and max(sizes) <= int(sys.argv[2]))
PY
)"
check "admin mail: bob's finding in it" bash -c "grep -l 'bob-shell.php' '$D/mail/'*.eml >/dev/null"
check_eq "admin mail: listed + counted = the tenant's $NF warnings" "$NF" "$($PY - "$D/mail" <<'PY'
import email, email.policy, glob, re, sys
listed = counted = 0
for p in glob.glob(sys.argv[1] + "/*.eml"):
    text = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default).get_content()
    listed += len(re.findall(r"^warning: suspicious .*\n  /.*/alice/httpdocs/", text, re.M))
    counted += sum(int(n) for n in re.findall(r"^(\d+) more changes? of alice not listed here", text, re.M))
print(listed + counted)
PY
)"
daemon_alive "after the digests"
daemon_stop
t_done
