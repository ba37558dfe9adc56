#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/identify.sh [--customers N] [--node DEST] [--keep]
# Identification of every installation on a synthetic node, checked against
# what bench/make-node.sh installed (its .node-manifest.tsv): the releases of
# the Debian packages other than WordPress are ingested first (a hoster
# ingests what its customers run), then `wsidctl scan --standalone` names
# product and version of each site by hash votes. Prints time, peak RSS and
# accuracy (every site's product and version), listing any site it got wrong.
customers=${WSID_BENCH_CUSTOMERS:-30} node="" keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--customers N] [--node DEST] [--keep]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_setup
. "$top/scripts/fixtures.sh"
# the releases the node runs, from the manifest: product -> version
cut -f3,4 "$node/.node-manifest.tsv" | sort -u | while read -r prod ver; do
	[ "$prod" = wordpress ] && continue
	"$ctl" --db "$db" index ingest --product "$prod" --version "$ver" --out "$work/fp" "$(fixture_tree "$prod")" >/dev/null
done
/usr/bin/time -f "%e %M" -o "$work/time.txt" "$ctl" --db "$db" scan --standalone --json "$node"/vhosts/*/httpdocs > "$work/scan.json"
read -r secs rss < "$work/time.txt"
python3 - "$node/.node-manifest.tsv" "$work/scan.json" "$secs" "$rss" "$files" <<'PY'
import json, sys
manifest, scan, secs, rss, files = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
found = {}
for s in json.load(open(scan))["scanned"]:
    for i in s["installations"]:
        found[i["root"].rstrip("/")] = (i["product"], i["version"])
sites = [l.rstrip("\n").split("\t") for l in open(manifest) if l.strip()]
wrong = []
for cust, root, prod, ver in sites:
    got = found.get(root.rstrip("/"))
    if got != (prod, ver):
        wrong.append("%s %s: expected %s %s, got %s" % (cust, root, prod, ver, "%s %s" % got if got else "nothing"))
extra = set(found) - {r.rstrip("/") for _, r, _, _ in sites}
print()
print("%-44s %s" % ("identification of %d sites" % len(sites),
      "%.1f s (%.0f files/s), peak RSS %d MB" % (secs, files / secs, rss // 1024)))
print("%-44s %s" % ("accuracy (product and version)",
      "%d of %d = %.1f %%; %d installations where none was put" % (len(sites) - len(wrong), len(sites),
      100.0 * (len(sites) - len(wrong)) / len(sites), len(extra))))
for w in wrong[:20]:
    print("  wrong: " + w)
for e in sorted(extra)[:20]:
    print("  extra: %s %s %s" % (e, *found[e]))
PY
