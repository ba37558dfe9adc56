#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fleets: an index built centrally, signed (Ed25519), shipped as one file and
# imported on a node; every refusal triggered by a real modified bundle, the
# old index intact after each; an import under the running daemon during a
# burst of changes; a signed known-bad list raising five copies at once;
# WordPress.org checksum files as fingerprint sets.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
FORGE=$WSID_BUILD/helpers/bundle_forge
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
JQ=$(npm_release jquery 3.7.1) || { fail "npm release of jquery (cached in $FIXTURE_CACHE/npm)"; t_done; exit 1; }

# ---- the build host: an index of three WordPress releases, one known-bad hash
C=$D/central
mkdir -p "$C/fp1/wordpress" "$C/fp2/wordpress"
for f in product.yaml versions.tsv 6.1.8.sha256.gz 6.2.sha256.gz; do
	cp "$WSID_TOP/fingerprints/wordpress/$f" "$C/fp1/wordpress/"
	cp "$WSID_TOP/fingerprints/wordpress/$f" "$C/fp2/wordpress/"
done
cp "$WSID_TOP/fingerprints/wordpress/6.1.9.sha256.gz" "$C/fp2/wordpress/"
SHELL_PHP='<?php /* cache */ @eval(base64_decode($_POST["x"]));'
printf '%s\n' "$SHELL_PHP" > "$D/shell.php"
"$WSIDCTL" --db "$C/a.db" index build --from "$C/fp1" >/dev/null
"$WSIDCTL" --db "$C/a.db" mark malicious "$D/shell.php" --note $'web shell\tseen on node 7' >/dev/null 2>&1

out=$("$WSIDCTL" index keygen --out "$C/fleet.key" 2>/dev/null)
check_eq "keygen: prints the public key (base64 of 32 bytes)" 32 "$(base64 -d <<<"$out" | wc -c)"
check_eq "keygen: the public key file beside it" "$out" "$(cat "$C/fleet.key.pub")"
check_eq "keygen: secret key mode 0600" 600 "$(stat -c %a "$C/fleet.key")"
"$WSIDCTL" index keygen --out "$C/fleet.key" >/dev/null 2>"$D/err"; rc=$?
check "keygen: an existing key is never overwritten (rc $rc)" grep -q "exists already" "$D/err"
check_eq "keygen: refused with exit 3" 3 "$rc"
PUB=$out

"$WSIDCTL" --db "$C/a.db" --json index export --sign "$C/fleet.key" --product wordpress "$D/b1.bundle" > "$D/x1.json"; rc=$?
check_eq "export: exit 0" 0 "$rc"
S1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$D/x1.json")
members=$(tar tf "$D/b1.bundle" | tr '\n' ' ')
check_eq "export: one tar file, manifest and signature first" "MANIFEST MANIFEST.sig sets/wordpress/product.yaml sets/wordpress/versions.tsv sets/wordpress/6.1.8.sha256.gz sets/wordpress/6.2.sha256.gz known-bad.tsv " "$members"
man=$(tar xOf "$D/b1.bundle" MANIFEST)
check "export: manifest names format, kind, key and serial" grep -qz "^wsid-bundle 1.kind index.key $PUB.serial $S1.created " <<<"$(tr '\n' '.' <<<"$man")"
check "export: per-set SHA-256 and file count in the manifest" grep -q "^file $(tar xOf "$D/b1.bundle" sets/wordpress/6.2.sha256.gz | sha256sum | cut -c1-64) [0-9]* $(zcat "$WSID_TOP/fingerprints/wordpress/6.2.sha256.gz" | wc -l) sets/wordpress/6.2.sha256.gz$" <<<"$man"
check "export: the sets hold exactly what was indexed" cmp -s <(tar xOf "$D/b1.bundle" sets/wordpress/6.1.8.sha256.gz | zcat) <(zcat "$WSID_TOP/fingerprints/wordpress/6.1.8.sha256.gz")
check "export: the known-bad list with its note escaped" grep -q "^$(sha256sum < "$D/shell.php" | cut -c1-64)	[0-9]*	root	web shell\\\\tseen on node 7	" <<<"$(tar xOf "$D/b1.bundle" known-bad.tsv)"
"$WSIDCTL" --db "$C/a.db" index export --sign "$C/fleet.key" "$D/b1b.bundle" >/dev/null
S1b=$(tar xOf "$D/b1b.bundle" MANIFEST | sed -n 's/^serial //p')
check "export: the serial grows with every export ($S1 < $S1b)" [ "$S1b" -gt "$S1" ]
"$WSIDCTL" --db "$C/a.db" index export --sign "$C/fleet.key" --product drupal "$D/no.bundle" 2>"$D/err" >/dev/null
check "export: an unknown product is named" grep -q "product 'drupal' is not in the index" "$D/err"

# ---- a node: trusted_keys in its configuration
N=$D/node
# the known-bad list alone raises the shells below (the analysis would too:
# integration/analysis.sh)
daemon_config "$N" "trusted_keys:" "  - $C/fleet.key.pub" "analysis:" "  enabled: false" "classify:" "  update_window: 2s" "customers:" "  c1:" "    email: c1@example.com"
NDB=$N/db/wsid.db
imp() { "$WSIDCTL" --config "$N/wsid.yaml" --socket "$N/ctl.sock" index import "$@"; }
out=$(imp "$D/b1.bundle" 2>&1); rc=$?
check_eq "import: exit 0" 0 "$rc"
check "import: says what it imported ($out)" grep -q "imported index bundle .*serial $S1 from key $PUB; 2 sets (2 indexed" <<<"$out"
vq="SELECT p.name||' '||v.version||' '||v.nfiles FROM versions v JOIN products p ON p.id=v.product_id ORDER BY 1"
check_eq "import: the node's index equals the central one" "$(sqlite3 "$C/a.db" "$vq")" "$(sqlite3 "$NDB" "$vq")"
hq="SELECT count(*), sum(length(e.slots)) FROM entries e"
check_eq "import: same entries" "$(sqlite3 "$C/a.db" "$hq")" "$(sqlite3 "$NDB" "$hq")"
check_eq "import: serial and key recorded" "$S1 $PUB" "$(sqlite3 "$NDB" "SELECT (SELECT value FROM meta WHERE key='index_serial')||' '||(SELECT value FROM meta WHERE key='index_key')")"
check_eq "import: the known-bad hash came along, note intact" "web shell	seen on node 7" "$(sqlite3 "$NDB" "SELECT note FROM known_bad")"
"$WSIDCTL" index keygen --out "$D/k2.key" >/dev/null 2>&1
"$WSIDCTL" --db "$NDB" index export --sign "$D/k2.key" "$D/rt.bundle" >/dev/null
check "import: a set exported again from the node is byte-identical" cmp -s <(tar xOf "$D/rt.bundle" sets/wordpress/6.2.sha256.gz) <(tar xOf "$D/b1.bundle" sets/wordpress/6.2.sha256.gz)

# ---- refusals, each from a real modified bundle; the old index stays intact
state() { sqlite3 "$NDB" "SELECT count(*) FROM versions; SELECT count(*) FROM entries; SELECT value FROM meta WHERE key='index_serial'; SELECT count(*) FROM bundle_imports; SELECT count(*) FROM known_bad" | tr '\n' ' '; }
before=$(state)
"$WSIDCTL" --db "$C/a.db" index build --from "$C/fp2" >/dev/null
"$WSIDCTL" --db "$C/a.db" index export --sign "$C/fleet.key" "$D/b2.bundle" >/dev/null
S2=$(tar xOf "$D/b2.bundle" MANIFEST | sed -n 's/^serial //p')
# flip one byte of a member's data (python: tar offsets), keeping what the test wants valid
flip() { # flip IN OUT MEMBER OFFSET [replacement-char]
	python3 - "$@" <<'EOF'
import sys, tarfile
src, dst, name, off = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rep = sys.argv[5] if len(sys.argv) > 5 else None
data = bytearray(open(src, 'rb').read())
m = [m for m in tarfile.open(src).getmembers() if m.name == name][0]
pos = m.offset_data + (off if off >= 0 else m.size + off)
data[pos] = ord(rep) if rep else data[pos] ^ 0x01
open(dst, 'wb').write(data)
EOF
}
refused() { # refused DESCRIPTION PATTERN BUNDLE [import options]
	local desc=$1 pat=$2 b=$3; shift 3
	imp "$@" "$b" >/dev/null 2>"$D/err"; local rc=$?
	if [ "$rc" -eq 3 ] && grep -q -- "$pat" "$D/err" && [ "$(state)" == "$before" ]; then
		pass "refused: $desc"
	else
		fail "refused: $desc (rc $rc, index $(state) vs $before): $(cat "$D/err")"
	fi
}
flip "$D/b2.bundle" "$D/t-set.bundle" sets/wordpress/6.1.9.sha256.gz 5000
refused "a flipped byte in a set" "6.1.9.sha256.gz: its SHA-256 does not match the manifest" "$D/t-set.bundle"
# a hex digit of a set's hash in the manifest: still a well-formed manifest
hexpos=$(tar xOf "$D/b2.bundle" MANIFEST | python3 -c 'import sys; t=sys.stdin.read(); print(t.index("\nfile ")+6)')
c=$(tar xOf "$D/b2.bundle" MANIFEST | cut -c1- | python3 -c "import sys; t=sys.stdin.read(); print('0' if t[$hexpos] != '0' else '1')")
flip "$D/b2.bundle" "$D/t-man.bundle" MANIFEST "$hexpos" "$c"
refused "a changed byte in the manifest" "bad signature" "$D/t-man.bundle"
s0=$(tar xOf "$D/b2.bundle" MANIFEST.sig | cut -c10)
flip "$D/b2.bundle" "$D/t-sig.bundle" MANIFEST.sig 9 "$([ "$s0" = A ] && echo B || echo A)"
refused "a changed byte in the signature" "bad signature" "$D/t-sig.bundle"
refused "an older serial (replayed bundle)" "serial $S1 is not newer than $S1" "$D/b1.bundle"
"$WSIDCTL" index keygen --out "$D/rogue.key" >/dev/null 2>&1
"$WSIDCTL" --db "$C/a.db" index export --sign "$D/rogue.key" "$D/rogue.bundle" >/dev/null
refused "a bundle signed by an untrusted key" "which is not trusted here" "$D/rogue.bundle"
head -c 300000 "$D/b2.bundle" > "$D/t-trunc.bundle"
refused "a truncated bundle" "truncated or damaged" "$D/t-trunc.bundle"
head -c 100000 /dev/urandom > "$D/t-garbage.bundle"
refused "garbage" "not a bundle" "$D/t-garbage.bundle"
tar xOf "$D/b2.bundle" MANIFEST > "$D/man2"
mkdir -p "$D/mem" && (cd "$D/mem" && tar xf "$D/b2.bundle")
mem_args=(); for n in $(tar tf "$D/b2.bundle" | tail -n +3); do mem_args+=("$n=$D/mem/$n"); done
"$FORGE" - "$D/man2" "$D/t-unsigned.bundle" "${mem_args[@]}"
refused "an unsigned bundle" "where MANIFEST.sig was expected" "$D/t-unsigned.bundle"
# signed with the trusted key (a compromised build host), but malicious inside
"$FORGE" "$C/fleet.key" "$D/man2" "$D/t-extra.bundle" "${mem_args[@]}" "../../../tmp/wsid-evil-$$=$D/shell.php"
refused "a member outside the manifest, with a path trick" "is not in the manifest" "$D/t-extra.bundle" --allow-downgrade
check "no file written outside the staging directory" [ ! -e "/tmp/wsid-evil-$$" ]
"$FORGE" "$C/fleet.key" "$D/man2" "$D/t-link.bundle" "${mem_args[@]:0:2}" "sets/wordpress/6.1.8.sha256.gz@/etc/shadow"
refused "a symlink member" "is not a regular file" "$D/t-link.bundle" --allow-downgrade
sed 's#^\(file [0-9a-f]* [0-9]* \)[0-9]*\( sets/wordpress/6.1.9.sha256.gz\)$#\199999999\2#' "$D/man2" > "$D/man-huge"
"$FORGE" "$C/fleet.key" "$D/man-huge" "$D/t-huge.bundle" "${mem_args[@]}"
refused "a huge count" "count out of range" "$D/t-huge.bundle" --allow-downgrade
sed 's#^\(file [0-9a-f]* [0-9]* \)[0-9]*\( sets/wordpress/6.1.9.sha256.gz\)$#\17\2#' "$D/man2" > "$D/man-count"
"$FORGE" "$C/fleet.key" "$D/man-count" "$D/t-count.bundle" "${mem_args[@]}"
refused "a count that does not match the set (rolled back)" "6.1.9.sha256.gz: [0-9]* files, the manifest says 7" "$D/t-count.bundle" --allow-downgrade
printf 'wsid-bundle 1\nkind index\nkey %s\nserial 99999999999\ncreated 1\nfile %064d 10 0 sets/../../etc/passwd\nend\n' "$PUB" 0 > "$D/man-trick"
"$FORGE" "$C/fleet.key" "$D/man-trick" "$D/t-trick.bundle"
refused "a path trick in the manifest" "is not one a bundle holds" "$D/t-trick.bundle"
check_eq "no staging directory left beside the database" "" "$(ls -A "$N/db" | grep import)"
n_tmp_before=$(sqlite3 "$NDB" "SELECT count(*) FROM bundle_imports WHERE downgrade=1")
check_eq "no downgrade recorded by the refusals" 0 "$n_tmp_before"

# ---- the daemon: B1 knows 6.1.8 and 6.2, the site is 6.1.9
ws() { echo "$N/m/vhosts/$1/httpdocs"; }
mount_tmpfs "$N/m" 512m
for c in c1 c2 c3 c4 c5 c6; do mkdir -p "$(ws $c)"; done
copy_tree "$WP" "$(ws c1)/blog"
daemon_start "$N" || { fail "daemon start"; t_done; exit 1; }
inst() { sqlite3 "$NDB" "SELECT product||' '||version FROM installations i JOIN webspaces w ON w.id=i.webspace_id WHERE w.path=CAST('$(ws c1)' AS BLOB) AND i.root=CAST('blog' AS BLOB)"; }
v_before=$(inst)
check "daemon: with B1 the site is not 6.1.9 ($v_before)" [ "$v_before" != "wordpress 6.1.9" ]
st=$("$WSIDCTL" --socket "$N/ctl.sock" status --json)
check "status: the index serial" grep -q "\"index_serial\":$S1" <<<"$st"
check "status: the index key" grep -qF "\"index_key\":\"$PUB\"" <<<"$st"
check "metrics: wsid_index_serial" grep -qx "wsid_index_serial $S1" <<<"$("$WSIDCTL" --socket "$N/ctl.sock" status --prometheus)"

# a burst in c2 while B2 is imported
mkdir -p "$(ws c2)/data"
( for i in $(seq 1 3000); do echo "<?php echo $i;" > "$(ws c2)/data/f$i.php"; done ) &
burst=$!
sleep 0.3
out=$(imp "$D/b2.bundle" 2>&1); rc=$?
wait "$burst"
wsync "$N"
check_eq "import under the daemon: exit 0" 0 "$rc"
check "import under the daemon: it reloaded ($out)" grep -q "index reloaded" <<<"$out"
check_eq "import under the daemon: the site re-identified as 6.1.9" "wordpress 6.1.9" "$(inst)"
check_eq "burst: every file of the burst in the state" 3000 "$(sqlite3 "$NDB" "SELECT count(*) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.path=CAST('$(ws c2)' AS BLOB) AND f.sha256 IS NOT NULL AND CAST(f.relpath AS TEXT) LIKE 'data/f%'")"
bad=$(for i in $(seq 1 3000); do echo "<?php echo $i;" | sha256sum | cut -c1-64; done | sort > "$D/want"
	sqlite3 "$NDB" "SELECT lower(hex(sha256)) FROM files f JOIN webspaces w ON w.id=f.webspace_id WHERE w.path=CAST('$(ws c2)' AS BLOB) AND CAST(f.relpath AS TEXT) LIKE 'data/f%'" | sort | comm -3 - "$D/want" | wc -l)
check_eq "burst: every stored hash equals the content" 0 "$bad"
check_eq "burst: one event per file, none lost" 3000 "$(sqlite3 "$NDB" "SELECT count(DISTINCT path) FROM events WHERE customer='c2' AND CAST(path AS TEXT) LIKE 'data/f%'")"
check_eq "burst: no file judged against half an index (all the same verdict)" 1 "$(sqlite3 "$NDB" "SELECT count(DISTINCT verdict) FROM events WHERE customer='c2' AND CAST(path AS TEXT) LIKE 'data/f%'")"
check_eq "the daemon swapped the index once" 1 "$(grep -c 'index reloaded (generation' "$N/wsid.log")"
check_eq "a core file of 6.1.9 edited now: tampered" tampered "$(echo '// x' >> "$(ws c1)/blog/wp-includes/version.php"; wsync "$N"; evq "$N" "path$=/blog/wp-includes/version.php" -- verdict)"

# ---- a signed known-bad list: five copies on the node raised at once
sqlite3 "$NDB" "DELETE FROM known_bad"   # a node that has not had the list yet
for c in c2 c3 c4 c5 c6; do printf '%s\n' "$SHELL_PHP" > "$(ws $c)/wp-cache.php"; done
wsync "$N"
check_eq "known-bad: not malicious on the node before" 0 "$(evq "$N" verdict=malicious -- count)"
"$WSIDCTL" --db "$C/a.db" mark export --sign "$C/fleet.key" --out "$D/kb.bundle" >/dev/null 2>&1
check_eq "known-bad bundle: kind known-bad, no sets" "kind known-bad|0" "$(tar xOf "$D/kb.bundle" MANIFEST | sed -n 2p)|$(tar tf "$D/kb.bundle" | grep -c '^sets/')"
out=$("$WSIDCTL" --config "$N/wsid.yaml" --socket "$N/ctl.sock" mark import "$D/kb.bundle" 2>&1); rc=$?
check_eq "known-bad import: exit 0" 0 "$rc"
check "known-bad import: the daemon judged the five copies again ($out)" grep -q "^5 files judged again" <<<"$out"
check_eq "known-bad import: five malicious events" 5 "$(evq "$N" verdict=malicious -- count)"
check_eq "known-bad import: replay refused" 3 "$("$WSIDCTL" --config "$N/wsid.yaml" mark import "$D/kb.bundle" >/dev/null 2>&1; echo $?)"
check_eq "known-bad import: an index bundle is not a known-bad bundle" 3 "$("$WSIDCTL" --config "$N/wsid.yaml" mark import "$D/b2.bundle" >/dev/null 2>&1; echo $?)"
out=$(imp --allow-downgrade "$D/b1.bundle" 2>&1); rc=$?
check "downgrade allowed with --allow-downgrade, and said ($rc)" grep -q "downgrade allowed and recorded" <<<"$out"
check_eq "downgrade recorded" 1 "$(sqlite3 "$NDB" "SELECT count(*) FROM bundle_imports WHERE downgrade=1")"
check_eq "downgrade: 6.1.9 pruned again (it came from a bundle)" 0 "$(sqlite3 "$NDB" "SELECT count(*) FROM versions WHERE version='6.1.9'")"
daemon_stop

# ---- trusted_keys in the configuration: errors name file, line, column
printf 'database: %s/x.db\ntrusted_keys:\n  - %s\n  - notakey\n' "$D" "$C/fleet.key.pub" > "$D/bad.yaml"
"$WSID" --config "$D/bad.yaml" --check-config >/dev/null 2>"$D/err"; rc=$?
check "config: a bad trusted key named with line and column ($(cat "$D/err"))" grep -q "bad.yaml:4:5: trusted_keys: 'notakey'" "$D/err"
printf 'database: %s/x.db\ntrusted_keys: [%s]\n' "$D" "$C/fleet.key" > "$D/bad2.yaml"
"$WSID" --config "$D/bad2.yaml" --check-config >/dev/null 2>"$D/err"
check "config: a secret key given as trusted is refused" grep -q "this is a secret key" "$D/err"
imp --trusted-key "$PUB" "$D/b2.bundle" --allow-downgrade >/dev/null 2>&1
check_eq "a trusted key given as its base64 text" 0 "$?"

# ---- WordPress.org checksum files
mkdir -p "$D/jq" && tar xzf "$JQ" -C "$D/jq"
python3 - "$D/jq/package" "$D/jquery-3.7.1.json" <<'EOF'
import hashlib, json, os, sys
root, out = sys.argv[1], sys.argv[2]
files = {}
for dp, dn, fn in os.walk(root):
    for f in fn:
        p = os.path.join(dp, f); b = open(p, 'rb').read()
        files[os.path.relpath(p, root)] = {"md5": hashlib.md5(b).hexdigest(), "sha256": hashlib.sha256(b).hexdigest()}
json.dump({"plugin": "jq-plugin", "version": "3.7.1", "source": "https://plugins.svn.wordpress.org/jq-plugin/tags/3.7.1/",
           "zip": "https://downloads.wordpress.org/plugins/jq-plugin.3.7.1.zip", "files": files}, open(out, 'w'), indent=1)
EOF
nf=$(find "$D/jq/package" -type f | wc -l)
ic() { "$WSIDCTL" --db "$D/wp.db" index import-checksums --out "$D/fpw" "$@"; }
out=$(ic --product jq-plugin --version 3.7.1 "$D/jquery-3.7.1.json" 2>/dev/null); rc=$?
check_eq "import-checksums: exit 0" 0 "$rc"
check_eq "import-checksums: every file" "imported checksums of jq-plugin 3.7.1 (plugin): $nf files -> $D/fpw/jq-plugin/3.7.1.sha256" "$out"
mkdir -p "$N/m/site/wp-content/plugins/jq-plugin"
cp -r "$D/jq/package/." "$N/m/site/wp-content/plugins/jq-plugin/"
check_eq "import-checksums: a scan identifies the plugin by its hashes" "jq-plugin 3.7.1 plugin" "$("$WSIDCTL" --db "$D/wp.db" scan --json "$N/m/site" | python3 -c 'import json,sys; d=json.load(sys.stdin); i=[x for x in d["scanned"][0]["installations"] if x["product"]=="jq-plugin"][0]; print(i["product"], i["version"], i["kind"])')"
python3 - "$D/jquery-3.7.1.json" "$D/alt.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); k = sorted(d["files"])[0]
d["files"][k]["sha256"] = [d["files"][k]["sha256"], "ab" * 32]
d["version"] = "3.7.1-1"; json.dump(d, open(sys.argv[2], 'w'))
EOF
out=$(ic --product jq-plugin --version 3.7.1-1 "$D/alt.json" 2>&1)
check "import-checksums: several sha256 of one file are alternatives, one file ($out)" grep -q ": $nf files" <<<"$out"
head -c 200 "$D/jquery-3.7.1.json" > "$D/trunc.json"
ic --product jq-plugin --version 3.7.2 "$D/trunc.json" >/dev/null 2>"$D/err"; rc=$?
check "import-checksums: truncated JSON named with line and column (rc $rc)" grep -q "trunc.json:[0-9]*:[0-9]*: .*(not a valid JSON checksum file)" "$D/err"
ic --product other --version 3.7.1 "$D/jquery-3.7.1.json" >/dev/null 2>"$D/err"
check "import-checksums: the file of another plugin is refused" grep -q "checksum file of jq-plugin 3.7.1, not of other 3.7.1" "$D/err"
printf '{"files": {"a.php": {"md5": "%032d"}}}' 0 > "$D/md5.json"
ic --product x --version 1 "$D/md5.json" >/dev/null 2>"$D/err"
check "import-checksums: md5 alone is refused" grep -q "md5.json:1:21: files: 'a.php': no \"sha256\"" "$D/err"
printf '{"files": {"../../etc/passwd": {"sha256": "%064d"}}}' 0 > "$D/trick.json"
ic --product x --version 1 "$D/trick.json" >/dev/null 2>"$D/err"
check "import-checksums: a path trick is refused" grep -q "is not a relative path inside the release" "$D/err"
check "import-checksums: nothing written for refused files" [ ! -e "$D/fpw/other" ] && [ ! -e "$D/fpw/x" ]
t_done
