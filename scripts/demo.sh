#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's demo command: installs what is missing, builds wsid, builds the
# fingerprint index from the shipped sets, makes a sample webspace from Debian's
# real WordPress package, scans it, then starts the daemon on a webspace of its
# own (a small tmpfs this script mounts and unmounts), makes the changes an
# attacker and a customer would make, and prints the daemon's verdicts as they
# happen. Everything lives under $WSID_DEMO_DIR (default /var/tmp/wsid-demo).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
if [ "${1:-}" != "--built" ]; then
	bash scripts/deps.sh build
	make -j"$(nproc)" all
fi
demo=${WSID_DEMO_DIR:-/var/tmp/wsid-demo}
db="$demo/wsid.db"
ctl="$top/build/wsidctl"
. scripts/fixtures.sh
mkdir -p "$demo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. fingerprint index from $top/fingerprints"
"$ctl" --db "$db" index build --from "$top/fingerprints"
"$ctl" --db "$db" index stats

step "2. a sample webspace from Debian's wordpress package"
wp=$(fixture_tree wordpress)
rm -rf "$demo/webspace"
mkdir -p "$demo/webspace"
cp -a "$wp/." "$demo/webspace/blog/" 2>/dev/null || { mkdir -p "$demo/webspace/blog"; cp -a "$wp/." "$demo/webspace/blog/"; }
rm -f "$demo/webspace/blog/.complete"
mkdir -p "$demo/webspace/blog/wp-content/uploads/2024/05"
head -c 40000 /dev/urandom > "$demo/webspace/blog/wp-content/uploads/2024/05/holiday.jpg"
echo "webspace: $demo/webspace ($(find "$demo/webspace" -type f | wc -l) files)"

step "3. scan: what is installed there, by hashes only"
"$ctl" --db "$db" scan "$demo/webspace"

step "4. an attacker edits a core file, drops a web shell and lies in version.php"
echo '<?php /* injected */ @eval($_POST["x"]); ?>' >> "$demo/webspace/blog/wp-login.php"
printf '<?php @system($_GET["c"]);\n' > "$demo/webspace/blog/wp-content/uploads/2024/05/shell.php"
sed -i "s/^\$wp_version = .*/\$wp_version = '6.4.3';/" "$demo/webspace/blog/wp-includes/version.php"
ln -sf /etc/shadow "$demo/webspace/blog/wp-content/uploads/2024/05/passwords.txt"
echo "  edited wp-login.php, added uploads/2024/05/shell.php, version.php now claims 6.4.3,"
echo "  and a symlink to /etc/shadow (never followed)"

step "5. scan again"
"$ctl" --db "$db" scan "$demo/webspace"

step "6. the same as JSON (first installation, summary fields)"
"$ctl" --db "$db" scan --json "$demo/webspace" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for t in d["scanned"]:
    for i in t["installations"]:
        print(json.dumps({k: i[k] for k in ("root", "product", "version", "confidence", "counts", "version_file_claims")}, indent=2))
        print("modified:", [f["path"] for f in i["files"]["modified"]][:5])
        print("added code:", [f["path"] for f in i["files"]["added"] if f["code"]][:5])
    print("skipped:", [(s["path"], s["kind"], s.get("target")) for s in t["skipped"]][:5])
'
step "7. the daemon: watching a hosting node with two customers"
node="$demo/node"
mkdir -p "$node"
mountpoint -q "$node" || mount -t tmpfs -o size=512m wsid-demo "$node"
daemon_pid=""; follow_pid=""
cleanup() {
	[ -n "$follow_pid" ] && kill "$follow_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	mountpoint -q "$node" && umount "$node"
}
trap cleanup EXIT
mkdir -p "$node/vhosts/alice/httpdocs" "$node/vhosts/bob/httpdocs"
cp -a "$wp/." "$node/vhosts/alice/httpdocs/"; rm -f "$node/vhosts/alice/httpdocs/.complete"
printf '<?php echo "bob\x27s shop";\n' > "$node/vhosts/bob/httpdocs/index.php"
cat > "$demo/wsid.yaml" <<YAML
database: $db
control_socket: $demo/control
webspaces:
  - pattern: $node/vhosts/{customer}/httpdocs
ignore:
  paths: ["wp-content/cache/**"]
classify:
  update_window: 3s   # short for the demo (default 2m)
customers:
  alice: {email: alice@example.com}
  bob: {email: bob@example.com}
YAML
daemon_since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$top/build/wsid" --config "$demo/wsid.yaml" --foreground > "$demo/wsid.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do "$ctl" --socket "$demo/control" status >/dev/null 2>&1 && break; sleep 0.1; done
"$ctl" --socket "$demo/control" sync
cat "$demo/wsid.log"
"$ctl" --socket "$demo/control" status
echo
# Debian's package is not the upstream release: it patches some files (its own
# updater switched off, the system's CA bundle and libraries): step 3 lists them
# as modified, and the daemon's baseline judges them as it would in a hoster's copy
nbase=$("$ctl" --db "$db" events --since "$daemon_since" --severity warning --json | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if l.strip() and json.loads(l)["change"] == "baseline"))')
if [ "$nbase" -gt 0 ]; then
	echo "the baseline: $nbase warnings in alice's webspace: the files Debian's package changed"
	echo "(step 3 lists them as modified); wsid cannot tell a distribution's patch from a tenant's edit"
else
	echo "no baseline: the database holds this node from an earlier run of the demo (reconciled)"
fi
sleep 1 # the live part's events start in a second of their own (--since below)
live_since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo
echo "live verdicts (wsidctl events --follow) while alice and bob's webspaces change:"
"$ctl" --socket "$demo/control" events --follow | python3 -u -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print("  %-8s %-16s %-9s %s\n           %s" % (e["severity"], e["verdict"], e["change"], e["path"], e["reason"]))
' &
follow_pid=$!
sleep 0.5
A="$node/vhosts/alice/httpdocs"
act() { echo; echo "\$ $*"; sleep 0.6; }
act "a web shell dropped into uploads"
mkdir -p "$A/wp-content/uploads/2024/05"
printf '<?php @system($_GET["c"]); ?>\n' > "$A/wp-content/uploads/2024/05/shell.php"; sleep 0.6
act "a holiday photo uploaded (an upload like any other: no event)"
head -c 80000 /dev/urandom > "$A/wp-content/uploads/2024/05/beach.jpg"; sleep 0.6
act "a core file edited"
echo '/* injected */' >> "$A/wp-login.php"; sleep 0.6
act "a core file copied into uploads under a double extension"
cp "$A/wp-includes/version.php" "$A/wp-content/uploads/logo.png.php"; sleep 0.6
act "a release file deleted"
rm "$A/wp-cron.php"; sleep 3.8 # held for its update window (3s here)
act "bob adds his own code"
printf '<?php // cart\n' > "$node/vhosts/bob/httpdocs/cart.php"; sleep 0.6
act "cache files written (ignored by configuration: no events)"
mkdir -p "$A/wp-content/cache" && for i in $(seq 1 50); do echo "$i" > "$A/wp-content/cache/p$i.html"; done
"$ctl" --socket "$demo/control" sync
sleep 1
echo
echo "from the database, filtered: wsidctl events --since $live_since --severity warning"
"$ctl" --db "$db" events --since "$live_since" --severity warning
echo
echo "demo files are in $demo (remove with: rm -rf $demo)"
