#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: builds one synthetic node (WSID_BENCH_CUSTOMERS, default 30) and
# runs every benchmark on it, then unmounts it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
customers=${WSID_BENCH_CUSTOMERS:-30}
node=$(mktemp -d /var/tmp/wsid-node.XXXXXX)/node
trap 'bash "$top/bench/make-node.sh" --unmount "$node"' EXIT
bash "$top/bench/make-node.sh" --customers "$customers" "$node"
for b in scan watch reconcile identify; do
	echo "== bench/$b.sh"
	bash "$top/bench/$b.sh" --node "$node"
done
