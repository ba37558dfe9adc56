#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: builds one synthetic node (WSID_BENCH_CUSTOMERS, default 30) and
# runs every benchmark on it (scale.sh and fairness.sh on tmpfs mounts of their
# own), then unmounts it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
customers=${WSID_BENCH_CUSTOMERS:-30}
node=$(mktemp -d /var/tmp/wsid-node.XXXXXX)/node
trap 'bash "$top/bench/make-node.sh" --unmount "$node"; rmdir "$(dirname "$node")"' EXIT
bash "$top/bench/make-node.sh" --customers "$customers" "$node"
# daemon.sh runs watch.sh (three times), reconcile.sh and scale.sh, and ends
# with the daemon's figures against their targets; a missed target is
# reported in the exit status after every benchmark has run; retention.sh
# measures the database's size under a steady stream of changes, with and
# without retention (about 7 minutes)
rc=0
for b in scan daemon identify retention; do
	echo "== bench/$b.sh"
	bash "$top/bench/$b.sh" --node "$node" || rc=1
done
# fairness.sh builds its 2,000 webspaces on a tmpfs of its own
echo "== bench/fairness.sh"
bash "$top/bench/fairness.sh" || rc=1
exit $rc
