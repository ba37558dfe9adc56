#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# wsidctl scan identifies real trees by hash votes: Debian's WordPress package
# against the upstream sets, a lying version file, a mixed tree (two real npm
# releases), two installations side by side and one nested in the other.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 1g
DB=$D/db/wsid.db
mkdir -p "$D/db"
"$WSIDCTL" --db "$DB" index build --from "$WSID_TOP/fingerprints" >/dev/null
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
J="python3 $WSID_TOP/tests/lib/scanq.py"

# -- Debian's WordPress 6.1.9 is WordPress 6.1.9 by the upstream sets
copy_tree "$WP" "$D/m/wp"
"$WSIDCTL" --db "$DB" scan --json "$D/m/wp" > "$D/wp.json"
check "scan exits 0 and prints JSON" python3 -c "import json; json.load(open('$D/wp.json'))"
check_eq "product, kind, version" "wordpress core 6.1.9" "$($J "$D/wp.json" 0 product kind version)"
check_eq "the installation root is the tree" "$D/m/wp" "$($J "$D/wp.json" 0 root)"
conf=$($J "$D/wp.json" 0 confidence)
check "confidence $conf > 0.5" python3 -c "import sys; sys.exit(0 if $conf > 0.5 else 1)"
check "files Debian changed are modified (wp-activate.php)" $J "$D/wp.json" 0 --has modified wp-activate.php
check "an unchanged core file is ok (wp-includes/version.php)" $J "$D/wp.json" 0 --has ok wp-includes/version.php
check "files Debian removed are missing (license.txt)" $J "$D/wp.json" 0 --has missing license.txt
check_eq "the version file agrees" "6.1.9 True" "$($J "$D/wp.json" 0 version_file_claims.claimed version_file_claims.agrees)"
check_eq "not mixed" "False" "$($J "$D/wp.json" 0 mixed)"
text=$("$WSIDCTL" --db "$DB" scan "$D/m/wp"); rc=$?
check "text report exit 0" [ $rc -eq 0 ]
check "text report names the version" grep -q "identified   wordpress 6.1.9 (core)" <<<"$text"

# -- a core file edited: from ok to modified, still 6.1.9
echo '/* injected */' >> "$D/m/wp/wp-login.php"
"$WSIDCTL" --db "$DB" scan --json "$D/m/wp" > "$D/wp2.json"
check "edited core file is modified" $J "$D/wp2.json" 0 --has modified wp-login.php
check "edited core file is no longer ok" bash -c "! $J '$D/wp2.json' 0 --has ok wp-login.php"
check_eq "still 6.1.9" "6.1.9" "$($J "$D/wp2.json" 0 version)"

# -- version.php claims 6.4.3: still 6.1.9, the lie reported
sed -i "s/^\$wp_version = .*/\$wp_version = '6.4.3';/" "$D/m/wp/wp-includes/version.php"
"$WSIDCTL" --db "$DB" scan --json "$D/m/wp" > "$D/wp3.json"
check_eq "lying version file: hashes still say 6.1.9" "6.1.9" "$($J "$D/wp3.json" 0 version)"
check_eq "the claim and its contradiction" "6.4.3 False 6.1.9" "$($J "$D/wp3.json" 0 version_file_claims.claimed version_file_claims.agrees version_file_claims.hashes_say)"
check "text report says VERSION LIE" bash -c "'$WSIDCTL' --db '$DB' scan '$D/m/wp' | grep -q 'VERSION LIE  wp-includes/version.php claims 6.4.3, the hashes say 6.1.9'"

# -- mixed: half of the files that differ between two real releases
A=$(npm_release jquery 3.6.0) && B=$(npm_release jquery 3.7.1) || { fail "npm releases"; t_done; exit 1; }
"$WSIDCTL" --db "$DB" index ingest --product jquery --version 3.6.0 --kind library --out "$D/fp" "$A" >/dev/null
"$WSIDCTL" --db "$DB" index ingest --product jquery --version 3.7.1 --kind library --out "$D/fp" "$B" >/dev/null
mkdir -p "$D/m/a" "$D/m/b" "$D/m/mixed"
tar xzf "$A" -C "$D/m/a"; tar xzf "$B" -C "$D/m/b"
cp -a "$D/m/a/package/." "$D/m/mixed/"
n=0; k=0
for f in $(cd "$D/m/b/package" && find . -type f | sort); do
	if [ -f "$D/m/a/package/$f" ] && ! cmp -s "$D/m/a/package/$f" "$D/m/b/package/$f"; then
		n=$((n + 1))
		if [ $((n % 2)) -eq 0 ]; then cp "$D/m/b/package/$f" "$D/m/mixed/$f"; k=$((k + 1)); fi
	fi
done
check "the two releases differ in many files ($n, $k replaced)" [ "$k" -ge 5 ]
"$WSIDCTL" --db "$DB" scan --json "$D/m/mixed" > "$D/mixed.json"
check_eq "mixed tree: jquery" "jquery" "$($J "$D/mixed.json" 0 product)"
mixed=$($J "$D/mixed.json" 0 mixed)
check "mixed tree reported as mixed ($mixed)" [ "$mixed" != "False" ]
v=$($J "$D/mixed.json" 0 version); w=$($J "$D/mixed.json" 0 mixed.with)
check "mixed names both releases ($v + $w)" bash -c "[ '$v $w' = '3.6.0 3.7.1' ] || [ '$v $w' = '3.7.1 3.6.0' ]"
"$WSIDCTL" --db "$DB" scan --json "$D/m/b/package" > "$D/pure.json"
check_eq "a pure 3.7.1 tree: 3.7.1, not mixed, confidence 1" "3.7.1 False 1.0" "$($J "$D/pure.json" 0 version mixed confidence)"

# -- two installations in one webspace, and one nested in the other
DW=$(fixture_tree dokuwiki) || { fail "fixture dokuwiki"; t_done; exit 1; }
"$WSIDCTL" --db "$DB" index ingest --product dokuwiki --version 2022-07-31a --out "$D/fp" "$DW" >/dev/null
copy_tree "$WP" "$D/m/ws/blog"
copy_tree "$DW" "$D/m/ws/wiki"
copy_tree "$DW" "$D/m/ws/blog/wiki2"
"$WSIDCTL" --db "$DB" scan --json "$D/m/ws" > "$D/ws.json"
check_eq "three installations found" 3 "$($J "$D/ws.json" --count)"
check_eq "WordPress at blog" "wordpress 6.1.9" "$($J "$D/ws.json" "root=$D/m/ws/blog" product version)"
check_eq "DokuWiki at wiki" "dokuwiki 2022-07-31a None" "$($J "$D/ws.json" "root=$D/m/ws/wiki" product version parent)"
check_eq "nested DokuWiki inside WordPress" "dokuwiki $D/m/ws/blog" "$($J "$D/ws.json" "root=$D/m/ws/blog/wiki2" product parent)"
check "the nested copy's files are not WordPress additions" bash -c "! $J '$D/ws.json' 'root=$D/m/ws/blog' --has added wiki2/doku.php"
t_done
