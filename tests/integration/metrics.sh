#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Metrics: the node_exporter textfile of a real daemon watching a real
# WordPress tree on its own tmpfs. The file appears at start, is rewritten every
# interval, its counters follow the changes made (a web shell in uploads, a
# tampered core file), `wsidctl status --prometheus` says the same, every text
# parses (a strict checker of the exposition format, and promtool from Debian's
# prometheus package), a reader never sees a half-written file, a bad metrics:
# section is refused with file:line:column, SIGHUP moves the file, a write
# failure is logged once and retried, and a clean stop leaves wsid_up 0.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 512m
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
ws() { echo "$D/m/vhosts/$1/httpdocs"; }
W=$(ws alice)
copy_tree "$WP" "$W"
mkdir -p "$(ws bob)" "$D/prom"
echo '<html>bob</html>' > "$(ws bob)/index.html"
PROM=$D/prom/wsid.prom
PP="$WSID_TOP/tests/lib/promparse.py"
C=(--socket "$D/ctl.sock")

metrics_yaml() { # metrics_yaml TEXTFILE [INTERVAL]
	# the shell below stays `suspicious` (by its place) without the analysis
	daemon_config "$D" "classify:" "  update_window: 1s" "metrics:" "  textfile: $1" "  interval: ${2:-1s}" \
		"analysis:" "  enabled: false"
}
# value SERIES FILE|-: the sample's value, or nothing
value() { python3 "$PP" --dump "$2" | awk -v s="$1" '$1 == s { print $2 }'; }
# wait_value SERIES MIN FILE: waits up to 10 s for the value to reach MIN
wait_value() {
	local v
	for _ in $(seq 1 100); do
		v=$(value "$1" "$3" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 is '$v', wanted at least $2"
	return 1
}

# refused DESC RC OUT PATTERN: exit 1 and a message matching PATTERN
refused() {
	if [ "$2" -eq 1 ] && grep -q -- "$4" <<<"$3"; then pass "$1"; else fail "$1 (rc $2: $3)"; fi
}

check "the strict exposition checker refuses what it must" python3 "$PP" --selftest

# -- configuration errors: file:line:column, checked by --check-config
metrics_yaml "$D/nodir/wsid.prom"
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1); rc=$?
refused "--check-config: a textfile directory that does not exist is refused, naming file:line:column" \
	"$rc" "$out" "$D/wsid.yaml:8:13: metrics.textfile: its directory $D/nodir: No such file or directory"
metrics_yaml "$PROM" 100ms
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1); rc=$?
refused "--check-config: interval 100ms refused at 9:13" "$rc" "$out" "wsid.yaml:9:13: metrics.interval: expected 1s to 1h"
metrics_yaml "$D/prom/wsid.txt"
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1); rc=$?
refused "--check-config: a textfile node_exporter would not read is refused" "$rc" "$out" \
	"wsid.yaml:8:13: metrics.textfile: expected a file name ending in .prom"
metrics_yaml "$(ws alice)/wsid.prom"
out=$("$WSID" --config "$D/wsid.yaml" --check-config 2>&1); rc=$?
refused "--check-config: a textfile inside a webspace is refused" "$rc" "$out" \
	"wsid.yaml:8:13: metrics.textfile: .* lies under the webspace"
metrics_yaml "$D/nodir/wsid.prom"
"$WSID" --config "$D/wsid.yaml" --foreground >"$D/refused.log" 2>&1; rc=$?
refused "the daemon does not start without the textfile's directory" "$rc" "$(cat "$D/refused.log")" \
	"metrics.textfile: its directory"

# -- start: the file appears, parses, says what is watched
metrics_yaml "$PROM"
check "--check-config: the metrics section is valid" bash -c "\"$WSID\" --config \"$D/wsid.yaml\" --check-config >/dev/null"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
check "the textfile is written at start" test -s "$PROM"
check_eq "  ... mode 0644 (node_exporter reads it as another user)" 644 "$(stat -c %a "$PROM")"
check "  ... parses (strict checker)" python3 "$PP" "$PROM"
PROMTOOL=$(fixture_promtool 2>/dev/null)
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	out=$("$PROMTOOL" check metrics <"$PROM" 2>&1); rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then pass "  ... promtool check metrics: no errors, no lint"
	else fail "  ... promtool check metrics (rc $rc): $out"; fi
else
	echo "# promtool: Debian's prometheus package cannot be fetched here; the strict checker alone"
fi
wsync "$D"
wait_value wsid_baselines_total 2 "$PROM" >/dev/null
check_eq "wsid_up 1" 1 "$(value wsid_up "$PROM")"
check_eq "wsid_webspaces 2" 2 "$(value wsid_webspaces "$PROM")"
files=$(( $(find "$W" -type f | wc -l) + 1 ))
check_eq "wsid_files_watched: every file of both webspaces" "$files" "$(value wsid_files_watched "$PROM")"
check_eq "every verdict has its series, even at 0" 14 "$(python3 "$PP" --dump "$PROM" | grep -c '^wsid_events_total{verdict=')"
check_eq "outbox states: one series each" 6 "$(python3 "$PP" --dump "$PROM" | grep -c '^wsid_outbox_messages{state=')"
check "wsid_index_versions: the WordPress index is loaded" test "$(value wsid_index_versions "$PROM")" -gt 800
check "wsid_index_age_seconds from index_built_at" test "$(value wsid_index_age_seconds "$PROM")" -ge 0
check_eq "wsid_index_serial 0 without a signed bundle" 0 "$(value wsid_index_serial "$PROM")"
check "wsid_start_time_seconds is now, within a minute" \
	test $(( $(date +%s) - $(value wsid_start_time_seconds "$PROM") )) -lt 60

# -- changes: the counters of their verdicts grow in the file
sus0=$(value 'wsid_events_total{verdict="suspicious"}' "$PROM")
tam0=$(value 'wsid_events_total{verdict="tampered"}' "$PROM")
chg0=$(value wsid_changes_total "$PROM")
mkdir -p "$W/wp-content/uploads/2024/05"
echo '<?php system($_GET["c"]);' > "$W/wp-content/uploads/2024/05/shell.php"
echo '<?php // injected' >> "$W/wp-login.php"
wsync "$D"
check "a web shell in uploads: suspicious +1 in the textfile" \
	wait_value 'wsid_events_total{verdict="suspicious"}' $((sus0 + 1)) "$PROM"
check "a tampered core file: tampered +1 in the textfile" \
	wait_value 'wsid_events_total{verdict="tampered"}' $((tam0 + 1)) "$PROM"
check "wsid_changes_total grew by both" wait_value wsid_changes_total $((chg0 + 2)) "$PROM"
check "wsid_files_watched counts the new file" wait_value wsid_files_watched $((files + 1)) "$PROM"
check "the live changes' latency is in the summary" wait_value wsid_change_latency_seconds_count 2 "$PROM"

# -- wsidctl status --prometheus says what the file says
sleep 1.5 # the file's next write comes after everything settled
"$WSIDCTL" "${C[@]}" status --prometheus >"$D/ctl.prom"; rc=$?
check_eq "status --prometheus: exit 0 when up and watching" 0 "$rc"
check "status --prometheus parses (strict checker)" python3 "$PP" "$D/ctl.prom"
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	check "status --prometheus: promtool check metrics" "$PROMTOOL" check metrics <"$D/ctl.prom"
fi
python3 "$PP" --dump "$D/ctl.prom" | grep -v '^wsid_index_age_seconds ' >"$D/ctl.dump"
python3 "$PP" --dump "$PROM" | grep -v '^wsid_index_age_seconds ' >"$D/file.dump"
check "status --prometheus agrees with the textfile, series by series ($(diff "$D/file.dump" "$D/ctl.dump" | head -4 | tr '\n' ' '))" \
	cmp -s "$D/file.dump" "$D/ctl.dump"
check_eq "  ... the same series (the index age included)" "$(python3 "$PP" --dump "$PROM" | cut -d' ' -f1)" \
	"$(python3 "$PP" --dump "$D/ctl.prom" | cut -d' ' -f1)"
sj=$("$WSIDCTL" "${C[@]}" status --json)
check_eq "status --json: events_by_verdict is what the exposition says" \
	"$(value 'wsid_events_total{verdict="suspicious"}' "$D/ctl.prom") $(value 'wsid_events_total{verdict="tampered"}' "$D/ctl.prom")" \
	"$(python3 -c 'import json,sys; e=json.loads(sys.argv[1])["events_by_verdict"]; print(e["suspicious"], e["tampered"])' "$sj")"
check_eq "status --json: index_serial 0, index_key null without a bundle" "0 None" \
	"$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["index_serial"], s["index_key"])' "$sj")"
"$WSIDCTL" "${C[@]}" status --json --prometheus >/dev/null 2>&1; rc=$?
check_eq "status --json --prometheus: a usage error (2)" 2 "$rc"
check "status --help names --prometheus" bash -c "\"$WSIDCTL\" status --help | grep -q -- --prometheus"
comp=$(bash -c ". '$WSID_TOP/etc/bash-completion/wsidctl'; COMP_WORDS=(wsidctl status --pr); COMP_CWORD=2; _wsidctl; echo \${COMPREPLY[*]}")
check_eq "bash completion: status --prometheus" "--prometheus" "$comp"
check "wsidctl(8) documents status --prometheus" grep -q 'prometheus' "$WSID_TOP/man/wsidctl.8"
check "wsid.yaml(5) documents metrics.textfile and interval" \
	bash -c "grep -q '^\.B textfile' '$WSID_TOP/man/wsid.yaml.5' && grep -q '^\.B interval' '$WSID_TOP/man/wsid.yaml.5'"

# -- the census: installations by product, kind, major version and update
# state; open findings by verdict and severity; no customer, no path
census_labels() { # census_labels FILE: "ok" when every census series has exactly its labels
	python3 - "$PP" "$1" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("promparse", sys.argv[1])
pp = importlib.util.module_from_spec(spec); spec.loader.exec_module(pp)
want = {"wsid_installations": {"product", "kind", "major", "state"}, "wsid_findings": {"verdict", "severity"}}
seen, bad = {k: 0 for k in want}, []
for (name, labels), _ in pp.parse(open(sys.argv[2], encoding="utf-8").read()).items():
    if name in want:
        seen[name] += 1
        if {k for k, _ in labels} != want[name]:
            bad.append("%s%s" % (name, dict(labels)))
print("ok" if not bad and all(seen.values()) else "bad: %s seen %s" % (bad[:3], seen))
PY
}
IW='wsid_installations{kind="core",major="6",product="wordpress",state="outdated"}' # (--dump sorts labels)
check "wsid_installations: Debian's WordPress 6.1.9 is counted outdated" wait_value "$IW" 1 "$PROM"
check_eq "  ... once (one installation, in alice's webspace)" 1 "$(value "$IW" "$PROM")"
check_eq "  ... every state has its series, even at 0" "latest latest_minor outdated unknown" \
	"$(python3 "$PP" --dump "$PROM" | sed -n 's/^wsid_installations{kind="core",major="6",product="wordpress",state="\([a-z_]*\)"}.*/\1/p' | sort | xargs)"
check_eq "census series carry only product, kind, major, state / verdict, severity" ok "$(census_labels "$PROM")"
check "  ... no customer name, no path in them" bash -c \
	"! grep -E '^wsid_(installations|findings)\{' '$PROM' | grep -qE 'alice|bob|$D'"
rep=$("$WSIDCTL" --db "$D/db/wsid.db" report --json)
check_eq "sum by (product, state) (wsid_installations) is wsidctl report's census" \
	"$(python3 -c 'import json,sys
for p in json.loads(sys.argv[1])["products"]:
    s = p["states"]
    print(p["product"], s["latest"], s["latest-in-branch"], s["outdated"], s["unknown"])' "$rep")" \
	"$(python3 "$PP" --dump "$PROM" | python3 -c 'import re,sys,collections
c = collections.Counter()
for l in sys.stdin:
    m = re.match(r"wsid_installations\{kind=\"[^\"]*\",major=\"[^\"]*\",product=\"([^\"]*)\",state=\"([a-z_]*)\"\} (\d+)", l)
    if m: c[m.group(1), m.group(2)] += int(m.group(3))
for p in sorted({p for p, _ in c}):
    print(p, *(c[p, s] for s in ("latest", "latest_minor", "outdated", "unknown")))')"
# open findings: the web shell is one; acknowledged, it is not
findings() { # findings VERDICT FILE: summed over the severities
	python3 "$PP" --dump "$2" | awk -v v=",verdict=\"$1\"}" '$1 ~ /^wsid_findings\{/ && index($1, v) { n += $2 } END { print n + 0 }'
}
nverdicts=$(python3 "$PP" --dump "$PROM" | grep -c '^wsid_events_total{verdict=')
check_eq "every verdict but ok and ignored has its findings, by severity (4)" $(( (nverdicts - 2) * 4 )) \
	"$(python3 "$PP" --dump "$PROM" | grep -c '^wsid_findings{')"
check "  ... but not ok and ignored" bash -c \
	"! python3 '$PP' --dump '$PROM' | grep -qE '^wsid_findings\{.*verdict=\"(ok|ignored)\"'"
unacked=$("$WSIDCTL" --db "$D/db/wsid.db" events --unacked --json --verdict suspicious | grep -c .)
for _ in $(seq 1 100); do [ "$(findings suspicious "$PROM")" = "$unacked" ] && break; sleep 0.1; done
check_eq "wsid_findings{verdict=suspicious}: the events --unacked lists" "$unacked" "$(findings suspicious "$PROM")"
check "  ... at least the web shell" test "$unacked" -ge 1
sid=$(evq "$D" 'path$=/shell.php' verdict=suspicious -- id)
"$WSIDCTL" --db "$D/db/wsid.db" ack "$sid" >/dev/null
for _ in $(seq 1 100); do [ "$(findings suspicious "$PROM")" = $((unacked - 1)) ] && break; sleep 0.1; done
check_eq "  ... acknowledged (wsidctl ack), it is no longer open in the textfile" $((unacked - 1)) "$(findings suspicious "$PROM")"
"$WSIDCTL" "${C[@]}" status --prometheus >"$D/ctl3.prom"
check_eq "  ... nor in status --prometheus" $((unacked - 1)) "$(findings suspicious "$D/ctl3.prom")"
check "status --prometheus with the census: promtool-clean and strict" python3 "$PP" "$D/ctl3.prom"
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	out=$("$PROMTOOL" check metrics <"$D/ctl3.prom" 2>&1); rc=$?
	check "  ... promtool check metrics: no errors, no lint ($out)" bash -c "[ $rc -eq 0 ] && [ -z '$out' ]"
	# -- the shipped alert and recording rules, and their unit test
	check "contrib/prometheus/wsid-rules.yml: promtool check rules" \
		bash -c "\"$PROMTOOL\" check rules '$WSID_TOP/contrib/prometheus/wsid-rules.yml' >/dev/null"
	out=$(cd "$WSID_TOP/contrib/prometheus" && "$PROMTOOL" test rules wsid-rules.test.yml 2>&1); rc=$?
	check "contrib/prometheus: promtool test rules (census, findings, down)${out:+ ($(tail -3 <<<"$out" | tr '\n' ' '))}" \
		[ "$rc" -eq 0 ]
fi
# the rules and the dashboard name only metrics the exposition has
python3 - "$D/ctl3.prom" "$WSID_TOP/contrib/prometheus/wsid-rules.yml" "$WSID_TOP/contrib/grafana/wsid-fleet.json" \
	>"$D/contrib.out" 2>&1 <<'PY'
import json, re, sys
expo = open(sys.argv[1], encoding="utf-8").read()
families = set(re.findall(r"^# TYPE (\S+) ", expo, re.M))
known = families | {f + s for f in families for s in ("_sum", "_count")}
def names(expr):
    return set(re.findall(r"\b(wsid_[a-z_]+)\b", expr))
bad = []
rules = open(sys.argv[2], encoding="utf-8").read()
for n in names(rules):
    if n not in known:
        bad.append("rules: " + n)
d = json.load(open(sys.argv[3], encoding="utf-8"))
ids, exprs = set(), []
for p in d["panels"]:
    if p["id"] in ids:
        bad.append("dashboard: panel id %d twice" % p["id"])
    ids.add(p["id"])
    if not p.get("title") or not p.get("targets") or not all(t.get("expr") for t in p["targets"]):
        bad.append("dashboard: panel %s without a title or a query" % p.get("id"))
    g = p["gridPos"]
    if not (0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0):
        bad.append("dashboard: panel %s outside the grid" % p["id"])
    for t in p["targets"]:
        exprs.append(t["expr"])
        for n in names(t["expr"]):
            if n not in known:
                bad.append("dashboard: %s in %r" % (n, p["title"]))
need = ["sum by (product, state) (wsid_installations)", "sum by (product, kind, major) (wsid_installations)",
        "sum by (verdict, severity) (wsid_findings)", "sum(wsid_up)"]
for e in need:
    if not any(e in x for x in exprs):
        bad.append("dashboard: no panel queries " + e)
if d.get("uid") != "wsid-fleet" or not d.get("__inputs"):
    bad.append("dashboard: uid or data source input missing")
print("ok %d panels" % len(d["panels"]) if not bad else "\n".join(bad))
PY
check "contrib/grafana/wsid-fleet.json and the rules: valid, the census and findings panels, only known metrics ($(head -3 "$D/contrib.out" | tr '\n' ' '))" \
	grep -q '^ok ' "$D/contrib.out"

# -- a signed bundle's meta keys: serial, key, age from index_created_at
key='MCowBQYDK2VwAyEA+/x9Y3s0bGVhcm5pbmcva2V5PT0='
created=$(( $(date +%s) - 7200 ))
sqlite3 "$D/db/wsid.db" ".timeout 5000" "INSERT OR REPLACE INTO meta(key, value) VALUES
	('index_serial', '17'), ('index_key', '$key'), ('index_created_at', '$created')" >/dev/null
sj=$("$WSIDCTL" "${C[@]}" status --json)
check_eq "status --json: index_serial and index_key from the bundle" "17 $key" \
	"$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["index_serial"], s["index_key"])' "$sj")"
check "status --json: index_age_s since the bundle was made" \
	python3 -c 'import json,sys; a=json.loads(sys.argv[1])["index_age_s"]; sys.exit(0 if 7200 <= a < 7260 else 1)' "$sj"
human=$("$WSIDCTL" "${C[@]}" status)
check_eq "status: the key and serial for people" "index_serial 17 index_key $key" \
	"$(awk '$1 == "index_serial" || $1 == "index_key" { printf "%s%s %s", n++ ? " " : "", $1, $2 }' <<<"$human")"
"$WSIDCTL" "${C[@]}" status --prometheus >"$D/ctl2.prom"
check_eq "wsid_index_serial 17" 17 "$(value wsid_index_serial "$D/ctl2.prom")"
check_eq "wsid_index_key_info names the key" 1 "$(value "wsid_index_key_info{key=\"$key\"}" "$D/ctl2.prom")"
check "wsid_index_age_seconds from index_created_at" test "$(value wsid_index_age_seconds "$D/ctl2.prom")" -ge 7200
check "the textfile follows within its interval" wait_value wsid_index_serial 17 "$PROM"

# -- never half-written: a reader during many writes (1 s interval, and a
# write after each of rapid reloads, while files change)
python3 - "$PROM" "$PP" >"$D/reader.out" 2>&1 <<'PY' &
import importlib.util, os, sys, time
spec = importlib.util.spec_from_file_location("promparse", sys.argv[2])
pp = importlib.util.module_from_spec(spec); spec.loader.exec_module(pp)
path, reads, inodes, bad = sys.argv[1], 0, set(), 0
families = None
end = time.time() + 6
while time.time() < end:
    try:
        with open(path, encoding="utf-8") as f:
            st = os.fstat(f.fileno())
            inodes.add((st.st_ino, st.st_mtime_ns))
            text = f.read()
    except FileNotFoundError:
        bad += 1; print("missing"); continue
    reads += 1
    try:
        s = pp.parse(text)
        n = len({k[0] for k in s})
        if families is None:
            families = n
        if n != families or ("wsid_up", ()) not in s:
            bad += 1; print("incomplete: %d names, wanted %d" % (n, families))
    except pp.Error as e:
        bad += 1; print("bad: %s" % e)
print("reads=%d writes_seen=%d bad=%d" % (reads, len(inodes), bad))
PY
rpid=$!; T_PIDS+=("$rpid")
for i in $(seq 1 40); do
	kill -HUP "$DAEMON_PID"
	echo "<?php // $i" > "$(ws bob)/p$i.php"
	sleep 0.12
done
wait "$rpid"
res=$(tail -1 "$D/reader.out")
check "a reader never sees a half-written textfile ($res)" grep -q 'bad=0$' <<<"$res"
check "  ... while it was replaced many times" \
	test "$(sed -n 's/.*writes_seen=\([0-9]*\).*/\1/p' <<<"$res")" -ge 10
check_eq "no temporary file left beside it" "wsid.prom" "$(ls "$D/prom")"

# -- SIGHUP: a new path; a bad one is refused and the old one kept
mkdir -p "$D/prom2"
metrics_yaml "$D/prom2/wsid.prom" 2s
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do [ -s "$D/prom2/wsid.prom" ] && break; sleep 0.1; done
check "SIGHUP: the textfile moves to the new path" python3 "$PP" "$D/prom2/wsid.prom"
check "  ... and the old one is removed (no stale figures)" test ! -e "$PROM"
metrics_yaml "$D/gone/wsid.prom"
out=$("$WSIDCTL" "${C[@]}" reload 2>&1); rc=$?
[ "$rc" -ne 0 ] && rc=1
refused "reload with a missing textfile directory is refused, naming file:line:column" "$rc" "$out" \
	"wsid.yaml:8:13: metrics.textfile: its directory"
m1=$(stat -c %Y.%i "$D/prom2/wsid.prom")
sleep 2.5
check "  ... the running configuration keeps writing its textfile" test "$(stat -c %Y.%i "$D/prom2/wsid.prom")" != "$m1"
metrics_yaml "$D/prom2/wsid.prom" 1s
kill -HUP "$DAEMON_PID"

# -- a write failure is logged once, retried, and recovers
sleep 0.5
rm -rf "$D/prom2"
sleep 3.5
check_eq "a failing write is logged once, not every interval" 1 "$(grep -c 'metrics: cannot write the textfile' "$D/wsid.log")"
mkdir -p "$D/prom2"
for _ in $(seq 1 30); do [ -s "$D/prom2/wsid.prom" ] && break; sleep 0.1; done
check "  ... retried: written again once the directory is back" python3 "$PP" "$D/prom2/wsid.prom"
check "  ... and the recovery is logged" grep -q "metrics: $D/prom2/wsid.prom written again" "$D/wsid.log"

# -- Debian's node_exporter reads the file (its textfile collector only)
NE=$(fixture_node_exporter 2>/dev/null)
if [ -n "$NE" ]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$NE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$D/prom2" >"$D/node_exporter.log" 2>&1 &
	nepid=$!; T_PIDS+=("$nepid")
	for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/metrics" >"$D/scrape.txt" && break; sleep 0.1; done
	check "node_exporter serves the textfile: wsid_up 1" grep -q '^wsid_up 1$' "$D/scrape.txt"
	check_eq "  ... with no textfile error" 0 "$(awk '$1 == "node_textfile_scrape_error" { print $2 }' "$D/scrape.txt")"
	check_eq "  ... and every verdict's series" 14 "$(grep -c '^wsid_events_total{verdict=' "$D/scrape.txt")"
	kill "$nepid"
else
	echo "# node_exporter: Debian's prometheus-node-exporter package cannot be fetched here"
fi
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	python3 - "$WSID_TOP/doc/metrics.md" >"$D/rules.yml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
print(re.search(r"Alert rules to start from:\n\n```yaml\n(.*?)```", text, re.S).group(1), end="")
PY
	check "the alert rules of doc/metrics.md pass promtool check rules" bash -c "\"$PROMTOOL\" check rules '$D/rules.yml' >/dev/null"
fi

# -- a clean stop: wsid_up 0, the last figures; wsidctl says down
daemon_stop
check_eq "after a clean stop the textfile says wsid_up 0" 0 "$(value wsid_up "$D/prom2/wsid.prom")"
check "  ... with the last figures, still valid" bash -c \
	"python3 '$PP' '$D/prom2/wsid.prom' && grep -q '^wsid_webspaces 2$' '$D/prom2/wsid.prom'"
out=$("$WSIDCTL" "${C[@]}" status --prometheus 2>/dev/null); rc=$?
check_eq "status --prometheus with the daemon down: exit 1" 1 "$rc"
check_eq "  ... and only wsid_up 0" "wsid_up 0" "$(python3 "$PP" --dump - <<<"$out")"
# (memory and undefined-behaviour errors of a sanitizer build; LeakSanitizer
# cannot run in the sandboxed delivery process and says so, which is no error)
errs=$(grep -E 'ERROR: AddressSanitizer|runtime error:|Assertion .* failed' "$D/wsid.log" | head -5)
check_eq "no daemon error in the log" "" "$errs"

t_done
