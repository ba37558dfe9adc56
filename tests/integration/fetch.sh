#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fingerprints fetched on demand, against the live daemon: the node's
# components and their claims (`wsidctl components`), the demand list fetched
# by an unprivileged user into a staging directory and shipped as a signed
# bundle (the fleet flow: real npm packages), then `index fetch` from a local
# server laid out like downloads.wordpress.org (fixtures made here from
# Debian's WordPress: Akismet's checksum file) with 404s, a 500, a slow
# answer, an oversized zip, a zip with "../", a checksum file of another slug
# and a download cut in the middle (resumed by the next run). Afterwards
# Akismet is identified with its version, its stored files are judged again
# (release files ok, one edited before the fetch tampered), an edit to
# akismet.php is tampered, and its newest release comes from the plugin
# information API's layout (outdated). Then the same server over HTTPS with a
# CA made here (trusted through fetch.ca_file, a wrong one refused), and the
# schema upgrade of a database and a staging fetch.db of the previous schema.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
PY=python3
mount_tmpfs "$D/m" 512m
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
N6=$(npm_release is-number 6.0.0) && N7=$(npm_release is-number 7.0.0) ||
	{ fail "npm releases of is-number (cached in $FIXTURE_CACHE/npm)"; t_done; exit 1; }
AK=$WP/wp-content/plugins/akismet
AKV=$(sed -n 's/^Version: *\([0-9.]*\).*/\1/p' "$AK/akismet.php" | head -1)
[ -n "$AKV" ] || { fail "Akismet's version in $AK/akismet.php"; t_done; exit 1; }

ws() { echo "$D/m/vhosts/$1/httpdocs"; }
plugin() { # CUSTOMER SLUG VERSION: a plugin directory with its header
	local p; p=$(ws "$1")/wp-content/plugins/$2
	mkdir -p "$p"
	printf '<?php\n/*\n * Plugin Name: %s\n * Version: %s\n */\nfunction %s_init() {}\n' "$2" "$3" "${2//-/_}" > "$p/$2.php"
}
W1=$(ws c1) W2=$(ws c2) W3=$(ws c3) W4=$(ws c4)
copy_tree "$WP" "$W1/blog"
for s in gone-plugin broken-plugin slow-plugin huge-plugin evil-plugin other-plugin wrongtop-plugin tiny-plugin; do plugin c2 $s 1.0; done
printf 'Tiny plugin readme\n' > "$W2/wp-content/plugins/tiny-plugin/readme.txt"
mkdir -p "$W2/wp-content/themes/tiny-theme"
printf '/*\nTheme Name: Tiny Theme\nVersion: 2.0\n*/\nbody { margin: 0 }\n' > "$W2/wp-content/themes/tiny-theme/style.css"
printf '<?php get_header(); the_content(); get_footer();\n' > "$W2/wp-content/themes/tiny-theme/index.php"
mkdir -p "$W3/app/node_modules/is-number" "$W4/app/node_modules/is-number"
tar xzf "$N7" -C "$W3/app/node_modules/is-number" --strip-components=1
tar xzf "$N6" -C "$W4/app/node_modules/is-number" --strip-components=1

W5=$(ws c5)
mkdir -p "$W5/shop/vendor/acme/widgets/src" "$W5/shop/vendor/composer" "$W5/cms/modules/contrib/token" \
	"$W5/j/administrator/components/com_foo"
printf '<?php\nnamespace Acme\\Widgets;\nclass Widget {}\n' > "$W5/shop/vendor/acme/widgets/src/Widget.php"
printf '{"name": "acme/widgets", "type": "library"}\n' > "$W5/shop/vendor/acme/widgets/composer.json"
printf "name: Token\ntype: module\nversion: '8.x-1.13'\n" > "$W5/cms/modules/contrib/token/token.info.yml"
printf '<?xml version="1.0"?>\n<extension type="component">\n<name>Foo</name>\n<version>3.4.1</version>\n</extension>\n' \
	> "$W5/j/administrator/components/com_foo/foo.xml"

# -- the server: WordPress.org's layout under /wp, the registry's under /npm
S=$D/srv
mkdir -p "$S/wp/plugin-checksums/akismet" "$S/wp/plugin-checksums/other-plugin" "$S/wp/plugin" "$S/npm/is-number/-"
$PY "$WSID_TOP/tests/lib/mkrelease.py" checksums akismet "$AKV" "$AK" "$S/wp/plugin-checksums/akismet/$AKV.json"
# the checksum file of another plugin served under this slug
cp "$S/wp/plugin-checksums/akismet/$AKV.json" "$S/wp/plugin-checksums/other-plugin/1.0.json"
head -c 3000000 /dev/urandom > "$D/big.bin"
mkdir -p "$D/huge" && cp "$D/big.bin" "$D/huge/blob.bin" && plugin c2 huge-plugin 1.0 && cp "$W2/wp-content/plugins/huge-plugin/huge-plugin.php" "$D/huge/"
$PY - "$D/huge" "$S/wp/plugin/huge-plugin.1.0.zip" <<'PYEOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_STORED) as z:
    for n in sorted(os.listdir(sys.argv[1])):
        z.write(os.path.join(sys.argv[1], n), "huge-plugin/" + n)
PYEOF
$PY "$WSID_TOP/tests/lib/mkrelease.py" evilzip "$S/wp/plugin/evil-plugin.1.0.zip"
# a zip whose folder is another plugin's
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip akismet "$AK" "$S/wp/plugin/wrongtop-plugin.1.0.zip"
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip tiny-plugin "$W2/wp-content/plugins/tiny-plugin" "$S/wp/plugin/tiny-plugin.1.0.zip"
head -c 200000 /dev/urandom > "$W2/wp-content/plugins/tiny-plugin/data.bin" # in the webspace only: an added file
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip tiny-plugin "$W2/wp-content/plugins/tiny-plugin" "$S/wp/plugin/tiny-plugin.1.0.zip"
mkdir -p "$S/wp/theme"
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip tiny-theme "$W2/wp-content/themes/tiny-theme" "$S/wp/theme/tiny-theme.2.0.zip"
# slow-plugin's zip exists, its checksum file answers after 5 s
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip slow-plugin "$W2/wp-content/plugins/slow-plugin" "$S/wp/plugin/slow-plugin.1.0.zip"
cp "$N6" "$N7" "$S/npm/is-number/-/"
# api.wordpress.org's plugin information: Akismet has a newer release of its
# branch; tiny-plugin is not in the directory (its error answer)
AKNEW=$($PY -c 'import sys; v=sys.argv[1].split("."); v[-1]=str(int(v[-1])+1) if len(v)>2 else v[-1]+".1"; print(".".join(v))' "$AKV")
mkdir -p "$S/wpapi/plugins/info/1.2"
printf '{"name": "Akismet", "slug": "akismet", "version": "%s", "versions": {"%s": "u", "%s": "u", "trunk": "u", "../x": "u"}}\n' \
	"$AKNEW" "$AKV" "$AKNEW" > "$S/wpapi/plugins/info/1.2/akismet.json"
printf '{"error": "Plugin not found."}\n' > "$S/wpapi/plugins/info/1.2/tiny-plugin.json"
mkdir -p "$S/composer"
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip acme-widgets-5e0c1d2 "$W5/shop/vendor/acme/widgets" "$S/composer/acme-widgets-1.2.0.zip"
printf '{"packages": [{"name": "acme/widgets", "version": "v1.2.0", "dist": {"type": "zip", "url": "http://127.0.0.1:%s/composer/acme-widgets-1.2.0.zip"}}], "dev": true}\n' \
	"$(cat "$D/port" 2>/dev/null || echo PORT)" > "$D/installed.json.in"
cat > "$S/behaviour.json" <<JSON
{"/wp/plugin-checksums/broken-plugin/1.0.json": {"status": 500},
 "/wp/plugin-checksums/slow-plugin/1.0.json": {"delay": 5},
 "/wp/plugin/tiny-plugin.1.0.zip": {"cut": 60000}}
JSON
# TLS: a CA made here, the server's certificate for 127.0.0.1 signed by it,
# and another CA that signed nothing of it
mkdir -p "$D/tls" "$D/tlsplugin/tls-plugin"
(cd "$D/tls" && ossl() { openssl "$@" >/dev/null 2>&1; } &&
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem \
		-days 2 -subj "/CN=wsid test CA" &&
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout wrong.key -out wrong.pem \
		-days 2 -subj "/CN=wsid test CA" &&
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr \
		-subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext &&
	ossl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext) ||
	fail "openssl: the test CA and certificate"
printf '<?php\n/*\n * Plugin Name: TLS plugin\n * Version: 1.0\n */\n' > "$D/tlsplugin/tls-plugin/tls-plugin.php"
$PY "$WSID_TOP/tests/lib/mkrelease.py" zip tls-plugin "$D/tlsplugin/tls-plugin" "$S/wp/plugin/tls-plugin.1.0.zip"
echo '{"components": [{"kind": "plugin", "name": "tls-plugin", "claimed": "1.0"}]}' > "$D/tls.json"
$PY "$WSID_TOP/tests/lib/release_server.py" "$D/port" "$S" "$D/srv.log" &
T_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$D/port" ] && break; sleep 0.1; done
P=$(cat "$D/port")
touch "$D/srv.log"
WPSRC="wordpress=http://127.0.0.1:$P/wp"
sed "s/:PORT\//:$P\//" "$D/installed.json.in" > "$W5/shop/vendor/composer/installed.json"

daemon_config "$D" "classify:" "  update_window: 1s" "fetch:" "  sources:" "    npm: http://127.0.0.1:$P/npm" \
	"    wpapi: http://127.0.0.1:$P/wpapi" "  interval: 200ms" "  negative_ttl: 7d" "  ca_file: $D/tls/ca.pem"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
DB=$D/db/wsid.db
CTL=("$WSIDCTL" --config "$D/wsid.yaml")
sqlq() { sqlite3 "$DB" "$@"; }
inst() { sqlq "SELECT product||' '||version FROM installations i JOIN webspaces w ON w.id=i.webspace_id WHERE w.path=CAST('$1' AS BLOB) AND i.root=CAST('$2' AS BLOB)"; }
jq_() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

# -- components: the claims, nothing identified yet
"${CTL[@]}" components --json > "$D/comp.json" 2>"$D/comp.err"
check_eq "components: akismet claims $AKV, not identified" "plugin $AKV None unknown 1" \
	"$(jq_ "$D/comp.json" 'c=[x for x in d["components"] if x["name"]=="akismet"][0]; print(c["kind"], c["claimed"], c["identified"], c["state"], c["webspaces"])')"
check_eq "components: both is-number releases, one webspace each" "npm-is-number 6.0.0 1|npm-is-number 7.0.0 1" \
	"$(jq_ "$D/comp.json" 'print("|".join("%s %s %d" % (x["product"], x["claimed"], x["webspaces"]) for x in d["components"] if x["kind"]=="npm"))')"
check_eq "components: Composer, Drupal and Joomla claims" "composer acme/widgets 1.2.0|drupal token 8.x-1.13|joomla com_foo 3.4.1" \
	"$(jq_ "$D/comp.json" 'print("|".join("%s %s %s" % (x["kind"], x["name"], x["claimed"]) for x in d["components"] if x["kind"] in ("composer", "drupal", "joomla")))')"
check_eq "components: the core itself is no component" 0 \
	"$(jq_ "$D/comp.json" 'print(len([x for x in d["components"] if x["name"]=="wordpress"]))')"
"${CTL[@]}" components --unknown --customer c3 --json > "$D/c3.json"
check_eq "components --customer c3: only its package" "is-number 7.0.0" \
	"$(jq_ "$D/c3.json" 'print(" ".join("%s %s" % (x["name"], x["claimed"]) for x in d["components"]))')"
# "added code": what a scan of the webspace (read from the daemon's state) reports
added_code() {
	"${CTL[@]}" scan --json "$W1/blog" 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for s in d["scanned"] for i in s["installations"] for f in i["files"]["added"]
          if "plugins/akismet/" in i["root"] + "/" + f["path"] and f.get("code")))'
}
added_before=$(added_code)
check "before: Akismet's PHP files are added code ($added_before)" [ "${added_before:-0}" -gt 10 ]
# the stored per-file judgement (wsidctl files), and a file edited while no set
# covers Akismet: the index change alone must judge them again
fverdicts() { # PATH: "verdict known" counts of the files below PATH
	"${CTL[@]}" files --json "$1" 2>/dev/null | $PY -c '
import collections, json, sys
c = collections.Counter()
for l in sys.stdin:
    x = json.loads(l)
    c["%s/%s" % (x["verdict"], x["known"])] += 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}
fverdict() { "${CTL[@]}" files --json "$1" 2>/dev/null | $PY -c 'import json,sys; x=json.loads(sys.stdin.readline()); print(x["verdict"], x["known"])'; }
AKW=$W1/blog/wp-content/plugins/akismet/class.akismet-widget.php
[ -f "$AKW" ] || AKW=$(ls "$W1"/blog/wp-content/plugins/akismet/class.*.php | head -1)
echo '// edited before any set was known' >> "$AKW"
wsync "$D"
check_eq "before: an edited Akismet file is stored as changed code no release knows" "changed-unknown unknown" "$(fverdict "$AKW")"
nb=$(fverdicts "$W1/blog/wp-content/plugins/akismet" | grep -o 'new/unknown=[0-9]*' | cut -d= -f2)
check "before: Akismet's files stored as new, unknown ($nb)" [ "${nb:-0}" -gt 10 ]

# -- fleet flow with the npm packages: the demand list, fetched unprivileged
#    into a staging directory, indexed centrally, shipped signed, imported
"${CTL[@]}" components --unknown --json > "$D/demand.json"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d["components"]=[x for x in d["components"] if x["kind"]=="npm"]; json.dump(d, open(sys.argv[2],"w"))' "$D/demand.json" "$D/demand-npm.json"
chmod 711 "$D" && mkdir -p "$D/stage" && chown 1234:1234 "$D/stage" && chmod 644 "$D/demand-npm.json"
setpriv --reuid=1234 --regid=1234 --clear-groups "$WSIDCTL" index fetch --list "$D/demand-npm.json" \
	--stage "$D/stage" --source "npm=http://127.0.0.1:$P/npm" --interval 0 > "$D/stage.out" 2>&1
rc=$?
check_eq "stage: unprivileged fetch succeeds ($(tail -1 "$D/stage.out"))" 0 "$rc"
check "stage: both releases as sets" test -s "$D/stage/npm-is-number/6.0.0.sha256" -a -s "$D/stage/npm-is-number/7.0.0.sha256"
check_eq "stage: the daemon's index untouched" 0 "$(sqlq "SELECT count(*) FROM products WHERE name='npm-is-number'")"
"$WSIDCTL" --db "$D/central.db" index build --from "$D/stage" >/dev/null &&
	"$WSIDCTL" index keygen --out "$D/fleet.key" >/dev/null 2>&1 &&
	"$WSIDCTL" --db "$D/central.db" index export --sign "$D/fleet.key" --product npm-is-number "$D/npm.bundle" >/dev/null
check "central: signed bundle of the fetched sets" test -s "$D/npm.bundle"
"${CTL[@]}" index import --trusted-key "$(cat "$D/fleet.key.pub")" "$D/npm.bundle" >/dev/null 2>"$D/imp.err"; rc=$?
check_eq "node: bundle imported ($(head -1 "$D/imp.err"))" 0 "$rc"
wsync "$D"
check_eq "npm: is-number 7.0.0 identified in c3" "npm-is-number 7.0.0" "$(inst "$W3" app/node_modules/is-number)"
check_eq "npm: is-number 6.0.0 identified in c4" "npm-is-number 6.0.0" "$(inst "$W4" app/node_modules/is-number)"
echo '// edited' >> "$W3/app/node_modules/is-number/index.js"
wsync "$D"
check_eq "npm: an edit in a package file is tampered" "tampered" "$(evq "$D" 'path$=/is-number/index.js' -- verdict)"

# -- index fetch from the WordPress.org layout
: > "$D/srv.log"
"${CTL[@]}" index fetch --source "$WPSRC" --out "$D/fp" --timeout 2s --max-size 1M > "$D/f1.out" 2> "$D/f1.err"; rc=$?
check_eq "fetch 1: exit 3 (some failed)" 3 "$rc"
check "fetch 1: 404 reported and remembered" grep -q "gone-plugin 1.0 (plugin): .*/plugin/gone-plugin.1.0.zip: not found (HTTP 404), remembered for 168 h" "$D/f1.out"
check "fetch 1: 500 named" grep -q "broken-plugin 1.0: .*broken-plugin/1.0.json: HTTP 500" "$D/f1.err"
check "fetch 1: slow answer times out" grep -qi "slow-plugin 1.0: .*timed out" "$D/f1.err"
check "fetch 1: oversized zip refused" grep -q "huge-plugin 1.0: .*larger than 1048576 bytes: refused" "$D/f1.err"
check "fetch 1: zip with ../ refused, naming the entry" grep -q "evil-plugin 1.0: .*evil-plugin/../../x.php.*refused (nothing indexed)" "$D/f1.err"
check "fetch 1: checksum file of another slug refused" grep -q "other-plugin 1.0: .*akismet.* (nothing indexed)" "$D/f1.err"
check "fetch 1: a zip of another plugin's folder refused" grep -q "wrongtop-plugin 1.0: .*expected every entry below 'wrongtop-plugin/', found 'akismet/': refused (nothing indexed)" "$D/f1.err"
check "fetch 1: cut download reported" grep -q "tiny-plugin 1.0: " "$D/f1.err"
for s in gone-plugin broken-plugin slow-plugin huge-plugin evil-plugin other-plugin wrongtop-plugin tiny-plugin; do
	check "fetch 1: nothing written for $s" test ! -e "$D/fp/$s"
done
check_eq "fetch 1: nothing indexed but Akismet" "akismet" \
	"$(sqlq "SELECT group_concat(name) FROM products WHERE name LIKE '%plugin%' OR name='akismet'")"
check "fetch 1: Akismet from its checksum file" grep -q "akismet $AKV (plugin): [0-9]* files from http://127.0.0.1:$P/wp/plugin-checksums/akismet/$AKV.json" "$D/f1.out"
check "fetch 1: the partial download kept" bash -c "ls '$D/fp/.partial/'*.part >/dev/null"
wsync "$D"
check "fetch 1: a theme from its zip" grep -q "tiny-theme 2.0 (theme): 2 files from http://127.0.0.1:$P/wp/theme/tiny-theme.2.0.zip" "$D/f1.out"
check_eq "Akismet identified with its version" "akismet $AKV" "$(inst "$W1" blog/wp-content/plugins/akismet)"
check_eq "Akismet's files are no longer added code" 0 "$(added_code)"
AKN=$(find "$AK" -type f | wc -l)
check_eq "wsidctl files: Akismet's unchanged files judged again, release files now" \
	"ok/release=$((AKN - 1)) tampered/unknown=1" "$(fverdicts "$W1/blog/wp-content/plugins/akismet")"
check_eq "wsidctl files: the file edited before the fetch is tampered" "tampered unknown" "$(fverdict "$AKW")"
check_eq "the index change raised its event (source index)" "tampered index" \
	"$(evq "$D" "path\$=/akismet/${AKW##*/}" -- verdict source)"
"${CTL[@]}" components --json > "$D/comp2.json"
check "fetch 1: Akismet's releases from the plugin information" \
	grep -q "akismet (plugin): newest release $AKNEW, 2 releases listed, from http://127.0.0.1:$P/wpapi/plugins/info/1.2/?action=plugin_information&request\\[slug\\]=akismet" "$D/f1.out"
check "fetch 1: a plugin not in the directory remembered" \
	grep -q "tiny-plugin (plugin): .*request\\[slug\\]=tiny-plugin: not in the plugin directory, remembered for 168 h" "$D/f1.out"
check_eq "fetch 1: releases stored (trunk and a bad name left out)" "$AKNEW|$AKV
$AKNEW" "$(sqlq "SELECT latest||'|'||versions FROM product_releases WHERE product='akismet'")"
check_eq "components: akismet identified, outdated, the newest release listed" "$AKV outdated $AKNEW" \
	"$(jq_ "$D/comp2.json" 'c=[x for x in d["components"] if x["name"]=="akismet"][0]; print(c["identified"], c["state"], c["latest"])')"
"${CTL[@]}" sites --json --customer c1 > "$D/sites.json"
check_eq "sites: Akismet with its version, state and newest release" "akismet plugin $AKV outdated $AKNEW" "$($PY -c '
import json, sys
for l in open(sys.argv[1]):
    x = json.loads(l)
    if x["product"] == "akismet": print(x["product"], x["kind"], x["version"], x["state"], x["latest_version"])' "$D/sites.json")"
"${CTL[@]}" report --json > "$D/report.json" 2>&1
check_eq "report: Akismet counted outdated" "1" "$($PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(p["states"]["outdated"] for p in d["products"] if p["product"] == "akismet"))' "$D/report.json" 2>&1 | tail -1)"
check_eq "the theme identified" "tiny-theme 2.0" "$(inst "$W2" wp-content/themes/tiny-theme)"
echo '// added line' >> "$W1/blog/wp-content/plugins/akismet/akismet.php"
wsync "$D"
check_eq "a line added to akismet.php is tampered" "tampered" "$(evq "$D" 'path$=/akismet/akismet.php' -- verdict)"

# -- second run: the 404s are not asked again, the cut download resumes, the
#    500 is asked again; requests keep the configured interval
: > "$D/srv.log"
"${CTL[@]}" index fetch --source "$WPSRC" --out "$D/fp" --timeout 2s --max-size 1M > "$D/f2.out" 2> "$D/f2.err"
check "fetch 2: the 404 from the cache" grep -q "gone-plugin 1.0 (plugin): .* answered not found before: not asked again before" "$D/f2.out"
check_eq "fetch 2: no request for gone-plugin" 0 "$(grep -c gone-plugin "$D/srv.log")"
check_eq "fetch 2: the plugin information not asked again within a day" 0 "$(grep -c /wpapi/ "$D/srv.log")"
check_eq "fetch 2: the 500 asked again" 1 "$(grep -c 'broken-plugin/1.0.json' "$D/srv.log")"
check "fetch 2: the cut zip resumed with a Range request" grep -q '"path": "/wp/plugin/tiny-plugin.1.0.zip", "range": "bytes=' "$D/srv.log"
check "fetch 2: tiny-plugin indexed from the resumed zip" grep -q "tiny-plugin 1.0 (plugin): [0-9]* files from .*tiny-plugin.1.0.zip" "$D/f2.out"
check_eq "fetch 2: requests 200 ms apart (less the connection set-up jitter)" ok "$($PY -c '
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if "slow-plugin" not in l]
print("ok" if len(t) > 2 and min(b - a for a, b in zip(t, t[1:])) >= 0.17 else "too close: %s" % t)' "$D/srv.log")"
wsync "$D"
check_eq "tiny-plugin identified" "tiny-plugin 1.0" "$(inst "$W2" wp-content/plugins/tiny-plugin)"

# -- Composer: a dist URL installed.json names (a tenant's file) is fetched only
#    when https on an allowed host or below the composer source given
check "composer: a plain http dist URL on another host: skipped" grep -q "acme/widgets 1.2.0 (composer): dist URL http://127.0.0.1:$P/composer/acme-widgets-1.2.0.zip is not https on an allowed host" "$D/f1.out"
check_eq "composer: nothing fetched from it" 0 "$(grep -c /composer/ "$D/srv.log")"
"${CTL[@]}" index fetch --source "composer=http://127.0.0.1:$P/composer/" --source "$WPSRC" --out "$D/fp" --timeout 2s --max-size 1M > "$D/fc.out" 2>&1
check "composer: fetched below the composer source" grep -q "acme/widgets 1.2.0 (composer): [0-9]* files from http://127.0.0.1:$P/composer/acme-widgets-1.2.0.zip" "$D/fc.out"
wsync "$D"
check_eq "composer: identified" "composer-acme--widgets 1.2.0" "$(inst "$W5" shop/vendor/acme/widgets)"

# -- the daemon starts again on the database the fetch wrote its cache into
daemon_stop
daemon_start "$D" >/dev/null 2>&1; rc=$?
check_eq "daemon restarts on the database with fetch_negative" "0 akismet $AKV" "$rc $(inst "$W1" blog/wp-content/plugins/akismet)"

# -- TLS: the same server over HTTPS; the CA comes from fetch.ca_file
$PY "$WSID_TOP/tests/lib/release_server.py" "$D/port2" "$S" "$D/srv2.log" "$D/tls/srv.pem" "$D/tls/srv.key" &
T_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$D/port2" ] && break; sleep 0.1; done
P2=$(cat "$D/port2")
TLSSRC="wordpress=https://127.0.0.1:$P2/wp"
"${CTL[@]}" index fetch --list "$D/tls.json" --source "$TLSSRC" --ca-file "$D/tls/wrong.pem" --out "$D/fp" \
	> "$D/t1.out" 2> "$D/t1.err"; rc=$?
check_eq "TLS: a certificate of another CA: exit 3" 3 "$rc"
check "TLS: refused with a clear message naming the CA file ($(head -1 "$D/t1.err"))" \
	grep -q "tls-plugin 1.0: https://127.0.0.1:$P2/wp/plugin-checksums/tls-plugin/1.0.json: TLS: the server's certificate is not trusted (.*; CA file $D/tls/wrong.pem): refused" "$D/t1.err"
check "TLS: nothing written" test ! -e "$D/fp/tls-plugin"
check_eq "TLS: nothing indexed" 0 "$(sqlq "SELECT count(*) FROM products WHERE name='tls-plugin'")"
"${CTL[@]}" index fetch --list "$D/tls.json" --source "$TLSSRC" --ca-file "$D/nope.pem" --out "$D/fp" \
	> /dev/null 2> "$D/t2.err"; rc=$?
check "TLS: a CA file that is not there: said so ($rc)" grep -q "CA file $D/nope.pem: No such file or directory" "$D/t2.err"
"${CTL[@]}" index fetch --list "$D/tls.json" --source "$TLSSRC" --out "$D/fp" > "$D/t3.out" 2> "$D/t3.err"; rc=$?
check_eq "TLS: verified through fetch.ca_file: exit 0 ($(head -1 "$D/t3.err"))" 0 "$rc"
check "TLS: the zip fetched over HTTPS" \
	grep -q "tls-plugin 1.0 (plugin): 1 files from https://127.0.0.1:$P2/wp/plugin/tls-plugin.1.0.zip" "$D/t3.out"
check_eq "TLS: indexed" 1 "$(sqlq "SELECT count(*) FROM products WHERE name='tls-plugin'")"

# -- schema upgrade: a database of the previous schema (the fetch's and the
#    quarantine's tables made on first use, or not at all) gets the tables
#    from its migrations, keeping their rows; so does a staging fetch.db
NOWV=$(sqlq "PRAGMA user_version")
sqlq ".backup '$D/old1.db'" && sqlq ".backup '$D/old2.db'"
# what later migrations added goes too (10: the events' request columns,
# 11: the products' staging_dirs, 12: the files' digest, 13: the webspaces'
# file counts)
for o in old1 old2; do
	sqlite3 "$D/$o.db" "ALTER TABLE events DROP COLUMN request; ALTER TABLE events DROP COLUMN request_unknown;
		ALTER TABLE products DROP COLUMN staging_dirs; DROP TRIGGER files_digest_insert;
		DROP TRIGGER files_digest_delete; DROP TRIGGER files_digest_update; DROP TRIGGER files_digest_move;
		ALTER TABLE webspaces DROP COLUMN files_digest; ALTER TABLE webspaces DROP COLUMN nfiles;
		DELETE FROM meta WHERE key='files_digest_key'"
done
sqlite3 "$D/old1.db" "DROP TABLE product_releases; DROP TABLE quarantine; DROP TABLE fetch_negative; PRAGMA user_version=8"
sqlite3 "$D/old2.db" "DROP TABLE product_releases; INSERT INTO quarantine(time, path) VALUES (1, CAST('x' AS BLOB));
	INSERT OR REPLACE INTO fetch_negative VALUES ('http://old.example/x', 404, 7); PRAGMA user_version=8"
for o in old1 old2; do
	"$WSIDCTL" --db "$D/$o.db" quarantine list > "$D/$o.out" 2>&1; rc=$?
	check_eq "upgrade $o: opened and upgraded ($(head -1 "$D/$o.out"))" "0 $NOWV 3" \
		"$rc $(sqlite3 "$D/$o.db" "PRAGMA user_version") $(sqlite3 "$D/$o.db" "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('fetch_negative', 'quarantine', 'product_releases')")"
done
check_eq "upgrade: the rows of tables made on first use are kept" "1|404" \
	"$(sqlite3 "$D/old2.db" "SELECT (SELECT count(*) FROM quarantine), (SELECT status FROM fetch_negative WHERE url='http://old.example/x')")"
mkdir -p "$D/stage3"
sqlite3 "$D/stage3/fetch.db" "CREATE TABLE fetch_negative(url TEXT PRIMARY KEY, status INTEGER NOT NULL, checked_at INTEGER NOT NULL);
	INSERT INTO fetch_negative VALUES ('http://old.example/y', 410, $(date +%s))"
"${CTL[@]}" index fetch --list "$D/demand-npm.json" --stage "$D/stage3" --source "npm=http://127.0.0.1:$P/npm" \
	--interval 0 > "$D/s3.out" 2>&1; rc=$?
check_eq "upgrade: a staging fetch.db of before its versioning: fetched into ($(tail -1 "$D/s3.out"))" 0 "$rc"
check_eq "upgrade: the staging fetch.db versioned, its rows kept" "2|1|410" \
	"$(sqlite3 "$D/stage3/fetch.db" "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master WHERE name='product_releases'), (SELECT status FROM fetch_negative WHERE url='http://old.example/y')")"
sqlite3 "$D/stage3/fetch.db" "PRAGMA user_version=99"
"${CTL[@]}" index fetch --list "$D/demand-npm.json" --stage "$D/stage3" --source "npm=http://127.0.0.1:$P/npm" \
	--interval 0 > /dev/null 2> "$D/s4.err"; rc=$?
check "upgrade: a staging fetch.db of a newer schema refused ($rc)" grep -q "fetch.db: schema newer than this wsidctl" "$D/s4.err"

# -- bad input: a source that is no URL, a list that is no demand list
"${CTL[@]}" index fetch --source wordpress=ftp://x > /dev/null 2> "$D/e1"; rc=$?
check_eq "--source ftp://: usage error" 2 "$rc"
echo '{"components":[{"kind":"plugin","name":"../../etc","claimed":"1"}]}' > "$D/bad.json"
"${CTL[@]}" index fetch --list "$D/bad.json" --stage "$D/stage2" > /dev/null 2> "$D/e2"; rc=$?
check_eq "a list naming a path: refused" 3 "$rc"
check "a list naming a path: file:line:col" grep -q "bad.json:1:16: component 1" "$D/e2"
t_done
