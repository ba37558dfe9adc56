#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/make-node.sh [--customers N] [--seed S] [--size-mb M] DEST
# bench/make-node.sh --unmount DEST
#
# Builds a reproducible synthetic hosting node from Debian's real web
# application packages on a loop-mounted ext4 image it creates (DEST.img,
# mounted at DEST), so that fanotify benchmarks can mark it alone:
#   DEST/vhosts/cNNNN/httpdocs          N webspaces (default 300), 1-3 sites each
#   ~70 % WordPress, the rest MediaWiki, DokuWiki, phpMyAdmin, Roundcube
#   uploads with images of realistic sizes, caches of many small files, a few
#   large backup archives; DEST/.node-manifest.tsv lists every site
#   (customer, root, product, version) for accuracy checks.
# The same --seed gives the same tree, byte for byte. Prints files, dirs, bytes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/fixtures.sh"
customers=300 seed=1 size_mb=0 unmount=0
while [ $# -gt 1 ]; do
	case $1 in
	--customers) customers=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--size-mb) size_mb=$2; shift 2 ;;
	--unmount) unmount=1; shift ;;
	*) echo "usage: $0 [--customers N] [--seed S] [--size-mb M] DEST | --unmount DEST" >&2; exit 2 ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--customers N] [--seed S] [--size-mb M] DEST | --unmount DEST" >&2; exit 2; }
dest=$(realpath -m "$1")
if [ "$unmount" = 1 ]; then
	mountpoint -q "$dest" && umount "$dest"
	rm -f "$dest.img"
	rmdir "$dest" 2>/dev/null || true # the mount point, when empty
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "make-node: needs root (loop mount)" >&2; exit 1; }

declare -A tree ver
tree[wordpress]=$(fixture_tree wordpress); ver[wordpress]=6.1.9
tree[mediawiki]=$(fixture_tree mediawiki); ver[mediawiki]=1.39.17
tree[dokuwiki]=$(fixture_tree dokuwiki); ver[dokuwiki]=2022-07-31a
tree[phpmyadmin]=$(fixture_tree phpmyadmin); ver[phpmyadmin]=5.2.1
tree[roundcube]=$(fixture_tree roundcube); ver[roundcube]=1.6.5
for p in "${!tree[@]}"; do [ -d "${tree[$p]}" ] || { echo "make-node: no tree for $p" >&2; exit 1; }; done

# the plan: deterministic from the seed
plan=$(python3 - "$customers" "$seed" <<'PY'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed)
others = ["mediawiki", "dokuwiki", "phpmyadmin", "roundcube"]
for c in range(1, n + 1):
    sites = r.choice([1, 1, 1, 2, 2, 3])
    for s in range(sites):
        prod = "wordpress" if r.random() < 0.7 else r.choice(others)
        sub = "" if s == 0 else r.choice(["blog", "shop", "wiki", "new", "old", "test"]) + str(s)
        print("c%04d|%s|%s|%d|%d|%d" % (c, sub, prod, r.randint(0, 40), r.randint(0, 400),
                                              1 if r.random() < 0.02 else 0))
PY
)
# room beside the node for what the benches write into it (bench/watch.sh:
# 100,000 new files and 50,000 queued ones, a block and an inode each): a
# node of 3 customers ran out of inodes in the middle of the burst
room_mb=1024 room_inodes=250000
if [ "$size_mb" = 0 ]; then
	size_mb=$(echo "$plan" | awk -F'|' '{m += ($3=="mediawiki") ? 260 : 70; m += $4 * 0.4 + $6 * 110} END {print int(m * 1.3 + 512)}')
	size_mb=$((size_mb + room_mb))
fi
mkdir -p "$dest"
if ! mountpoint -q "$dest"; then
	rm -f "$dest.img"
	# allocated up front: a sparse image would allocate host blocks as the
	# node is written, and ext4's ordered mode would make every fsync of the
	# host file system (the daemon's database) wait for that data; a node's
	# webspaces live on a block device of their own
	fallocate -l "${size_mb}M" "$dest.img" 2>/dev/null || truncate -s "${size_mb}M" "$dest.img"
	mkfs.ext4 -q -F -N $((size_mb * 80 + room_inodes)) "$dest.img"
	mount -o loop "$dest.img" "$dest"
fi
mkdir -p "$dest/vhosts"
: > "$dest/.node-manifest.tsv"
echo "$plan" | while IFS='|' read -r cust sub prod nup ncache backup; do
	root="$dest/vhosts/$cust/httpdocs${sub:+/$sub}"
	mkdir -p "$root"
	cp -a "${tree[$prod]}/." "$root/"
	rm -f "$root/.complete"
	printf '%s\t%s\t%s\t%s\n' "$cust" "$root" "$prod" "${ver[$prod]}" >> "$dest/.node-manifest.tsv"
	python3 - "$root" "$prod" "$nup" "$ncache" "$backup" "$seed-$cust-$sub" <<'PY'
import os, random, sys
root, prod, nup, ncache, backup, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
r = random.Random(seed)
up = os.path.join(root, "wp-content/uploads" if prod == "wordpress" else "images/uploads")
cache = os.path.join(root, "wp-content/cache" if prod == "wordpress" else "cache/pages")
for i in range(nup):
    d = os.path.join(up, "20%02d/%02d" % (r.randint(18, 25), r.randint(1, 12)))
    os.makedirs(d, exist_ok=True)
    size = min(int(r.lognormvariate(11.5, 1.0)), 2_000_000) + 20_000
    with open(os.path.join(d, "img%04d.jpg" % i), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + r.randbytes(size))
os.makedirs(cache, exist_ok=True)
for i in range(ncache):
    with open(os.path.join(cache, "p%05d.html" % i), "wb") as f:
        f.write(r.randbytes(r.randint(200, 4000)))
if backup:
    with open(os.path.join(root, "..", "backup-%s.tar.gz" % seed.replace("/", "_")), "wb") as f:
        for _ in range(100):
            f.write(r.randbytes(1 << 20))
PY
done
files=$(find "$dest/vhosts" -type f | wc -l)
dirs=$(find "$dest/vhosts" -type d | wc -l)
bytes=$(du -sb "$dest/vhosts" | cut -f1)
echo "node $dest: $customers customers, $(wc -l < "$dest/.node-manifest.tsv") sites, $files files, $dirs dirs, $bytes bytes"
