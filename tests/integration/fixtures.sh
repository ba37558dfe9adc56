#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/fixtures.sh under the suite's parallel runs: on a fresh machine the
# first programs to need a Debian tree ask for it at the same time. One
# builds it, the others wait and get the same whole tree (before, a second
# builder emptied the tree while the first copied it, and a test served a
# half tree). Runs on a cache of its own, from the .deb the shared cache holds
# (no network once the shared cache has it).
. "$(dirname "$0")/../lib/lib.sh"
REF=$(fixture_tree dokuwiki) || { fail "the shared cache's dokuwiki tree"; t_done; exit 1; }
SHARED=$FIXTURE_CACHE
C=$T_TMP/cache
mkdir -p "$C/debs"
cp "$SHARED"/debs/dokuwiki_*.deb "$C/debs/"
listing() { (cd "$1" && find . -path ./.complete -prune -o -printf '%y %s %p\n' | sort); }
listing "$REF" > "$T_TMP/ref"
check "the reference tree holds the release" test "$(wc -l < "$T_TMP/ref")" -gt 500
for i in 1 2 3 4; do
	(FIXTURE_CACHE=$C; fixture_tree dokuwiki > "$T_TMP/out.$i" 2> "$T_TMP/err.$i") &
done
wait
for i in 1 2 3 4; do
	check_eq "builder $i: the tree's path" "$C/tree-dokuwiki" "$(cat "$T_TMP/out.$i")"
	check_eq "builder $i: no error" "" "$(cat "$T_TMP/err.$i")"
done
check "the tree is marked complete" test -f "$C/tree-dokuwiki/.complete"
listing "$C/tree-dokuwiki" > "$T_TMP/got"
check "the tree built by four at once equals the shared cache's" cmp -s "$T_TMP/ref" "$T_TMP/got"
check "the extraction beside it holds Debian's configuration" test -d "$C/x-dokuwiki/etc/dokuwiki"
check_eq "no partial download left" "" "$(find "$C/debs" -name '.dl.*')"
# a later call finds it built and returns at once, without the lock's holder
exec {hold}>"$C/.lock-tree-dokuwiki"
flock "$hold"
check_eq "a later call: the built tree, not waiting for a lock" "$C/tree-dokuwiki" \
	"$(FIXTURE_CACHE=$C timeout 5 bash -c '. "$0"; fixture_tree dokuwiki' "$WSID_TOP/scripts/fixtures.sh")"
exec {hold}>&-
t_done
