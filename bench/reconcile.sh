#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/reconcile.sh [--customers N] [--percent P] [--node DEST] [--keep]
# Restarts of wsid on a synthetic node: unchanged (a stat-only reconcile: how
# long, how many files hashed again) and after P % of the files (default 1)
# changed while it was stopped (how long, how many hashed, and whether every
# change is in the stored state).
customers=${WSID_BENCH_CUSTOMERS:-30} percent=1 node="" keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--percent) percent=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--customers N] [--percent P] [--node DEST] [--keep]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_setup
start_wsid
sync_now
stop_wsid
sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true

# 1. unchanged (warm: the walk's metadata is cached after the first run)
start_wsid; sync_now; stop_wsid
start_wsid
t0=$(date +%s.%N); wait_settled; t1=$(date +%s.%N)
same_s=$(echo "$t1 - $t0 + $t_ready - $t_start" | bc -l)
same_hashed=$(status_field files_hashed)
stop_wsid

# 2. P % of the files changed while stopped
changed=$(python3 - "$node/vhosts" "$percent" "$work/changed.txt" <<'PY'
import os, random, sys
root, pct, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
paths = []
for d, _, fs in os.walk(root):
    # files over max_file_size (64 MiB) are recorded, not hashed
    paths += [os.path.join(d, f) for f in fs if os.path.getsize(os.path.join(d, f)) <= 64 << 20]
paths.sort()
r = random.Random(7)
pick = r.sample(paths, max(1, int(len(paths) * pct / 100)))
with open(out, "w") as f:
    for p in pick:
        with open(p, "ab") as g:
            g.write(b"\n/* changed while wsid was stopped */\n")
        f.write(p + "\n")
print(len(pick))
PY
)
start_wsid
t0=$(date +%s.%N); wait_settled; t1=$(date +%s.%N)
chg_s=$(echo "$t1 - $t0 + $t_ready - $t_start" | bc -l)
chg_hashed=$(status_field files_hashed)
sleep 0.5 # the last batch commits within 20 ms
missed=$(python3 - "$db" "$work/changed.txt" <<'PY'
import hashlib, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
ws = [(bytes(p).decode(), i) for i, p in con.execute("SELECT id, path FROM webspaces")]
missed = 0
for p in open(sys.argv[2]).read().split("\n"):
    if not p:
        continue
    w = max((x for x in ws if p.startswith(x[0] + "/")), key=lambda x: len(x[0]))
    row = con.execute("SELECT sha256 FROM files WHERE webspace_id=? AND relpath=CAST(? AS BLOB)",
                      (w[1], p[len(w[0]) + 1:])).fetchone()
    if not row or bytes(row[0] or b"").hex() != hashlib.sha256(open(p, "rb").read()).hexdigest():
        missed += 1
print(missed)
PY
)
stop_wsid

echo
echo "node: $files files, $dirs directories ($(nproc) cores)"
printf '%-44s %s\n' "restart, nothing changed" "$(printf '%.2f s until reconciled, %s files hashed again' "$same_s" "$same_hashed")"
printf '%-44s %s\n' "restart, $percent % changed while stopped" "$(printf '%.2f s until reconciled, %s files hashed for %s changed; %s changes missed' "$chg_s" "$chg_hashed" "$changed" "$missed")"
bench_result reconcile_same_s "$same_s"
bench_result reconcile_same_hashed "$same_hashed"
bench_result reconcile_changed_s "$chg_s"
bench_result reconcile_missed "$missed"
