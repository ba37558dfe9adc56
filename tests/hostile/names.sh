#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile names: newline, CR LF, tab, invalid UTF-8, a leading '-', 255 bytes,
# bidirectional and zero-width characters (made by the tenant).
# The live daemon stores them; wsidctl events and files escape them in text (no
# forged line) and give the exact bytes back in JSON (<key>_base64 where the
# bytes are not UTF-8); wsidctl scan does the same for what it skips.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root
hostile_init 64m || { fail "set-up"; t_done; exit 1; }
long=$(printf 'n%.0s' $(seq 1 251)).php
names=($'evil\nFAKE LINE.php' $'cr\r\nFAKE CR.php' $'tab\tname.php' $'bad\xffutf8.php' $'\xc3\x28half.php' -leading-dash.php "$long")
mkdir -p "$WS/links"
for n in "${names[@]}"; do
	printf '<?php // %s' "$n" > "$WS/$n"
	ln -s /etc/passwd "$WS/links/$n"
done
check_eq "a 255-byte name was created" 255 "${#long}"
bounded_sync "odd names" 30
# the exact bytes of every name, hex, for the checks below
printf '%s\0' "${names[@]}" > "$D/names.bin"
exact() { # exact JSONFILE KEY PREFIX: every name found, byte for byte
	python3 - "$D/names.bin" "$@" <<'PY'
import base64, json, sys
names = [n for n in open(sys.argv[1], "rb").read().split(b"\0") if n]
src, key, prefix = sys.argv[2], sys.argv[3], sys.argv[4].encode()
got = set()
for line in open(src, "rb"):
    if not line.strip():
        continue
    objs = [json.loads(line)]
    if "scanned" in objs[0]:
        objs = objs[0]["scanned"][0]["skipped"]
    for o in objs:
        raw = base64.b64decode(o[key + "_base64"]) if key + "_base64" in o else o[key].encode()
        if key + "_base64" in o and "\ufffd" not in o[key]:
            sys.exit("a _base64 field on valid UTF-8: %r" % o[key])
        got.add(raw)
missing = [n for n in names if prefix + n not in got]
print("missing", missing)
sys.exit(1 if missing else 0)
PY
}
"$WSIDCTL" --db "$D/db/wsid.db" events --json > "$D/ev.json"
check "events --json: one valid JSON object per line" python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1], 'rb')]" "$D/ev.json"
check "events --json: every name decodes to its exact bytes (path / path_base64)" exact "$D/ev.json" path "$WS/"
check "events --json: the symlinks' names too" exact "$D/ev.json" path "$WS/links/"
"$WSIDCTL" --db "$D/db/wsid.db" events > "$D/ev.txt"
textcheck() { # textcheck WHAT FILE
	check "$1: no forged line from a name with a newline" bash -c "! grep -q '^FAKE' '$2'"
	check "$1: no bare CR, tab or 0xff byte" bash -c "! LC_ALL=C grep -q \$'[\r\t\xff]' '$2'"
	check "$1: newline, CR LF, tab escaped" bash -c "grep -qF 'evil\\nFAKE LINE.php' '$2' && grep -qF 'cr\\r\\nFAKE CR.php' '$2' && grep -qF 'tab\\tname.php' '$2'"
	check "$1: invalid UTF-8 escaped as \\xNN" bash -c "grep -qF 'bad\\xffutf8.php' '$2' && grep -qF '\\xc3(half.php' '$2'"
	check "$1: the leading dash and the 255-byte name as they are" bash -c "grep -qF '/-leading-dash.php' '$2' && grep -qF '/$long' '$2'"
}
textcheck "events (text)" "$D/ev.txt"
"$WSIDCTL" --config "$D/wsid.yaml" files "$WS" --json > "$D/files.json"
check "files --json: every name decodes to its exact bytes" exact "$D/files.json" path "$WS/"
"$WSIDCTL" --config "$D/wsid.yaml" files "$WS" > "$D/files.txt"
textcheck "files (text)" "$D/files.txt"
check_eq "files: one line per file and link, and the header" $((2 * ${#names[@]} + 1)) "$(wc -l < "$D/files.txt")"
"$WSIDCTL" --config "$D/wsid.yaml" files "$WS/-leading-dash.php" > "$D/dash.txt"; rc=$?
check "files PATH of the leading-dash name (exit $rc)" [ $rc -eq 0 ]
for n in "${names[@]}"; do
	h=$(printf '<?php // %s' "$n" | sha256sum | cut -d' ' -f1)
	got=$(sqlite3 "$D/db/wsid.db" "SELECT lower(hex(sha256)) FROM files WHERE relpath=X'$(printf '%s' "$n" | xxd -p | tr -d '\n')'")
	check_eq "stored hash of $(printf '%q' "$n" | cut -c1-40)" "$h" "$got"
done
timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --json "$WS" > "$D/scan.json" 2>/dev/null
check "scan --json: every skipped link's name decodes to its exact bytes" exact "$D/scan.json" path "links/"
timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --verbose "$WS" > "$D/scan.txt" 2>/dev/null
check "scan (text): no forged line" bash -c "! grep -q '^FAKE' '$D/scan.txt' && ! LC_ALL=C grep -q \$'[\r\t\xff]' '$D/scan.txt'"
# -- bidirectional and zero-width characters, made by the tenant (uid 1234):
# U+202E (right-to-left override) shows "invoice<U+202E>gpj.php" as
# "invoicephp.jpg", U+200B (zero-width space) makes "in<U+200B>dex.php" look like
# index.php. Text escapes them as \u{XXXX}; JSON keeps the exact bytes.
rlo=$'invoice\xe2\x80\xaegpj.php' zw=$'in\xe2\x80\x8bdex.php'
mkdir "$WS/tenant" && chown 1234:1234 "$WS/tenant"
chmod 711 "$D" # the test's directory (mktemp: 0700): the tenant may pass through
setpriv --reuid=1234 --regid=1234 --clear-groups sh -c \
	'printf "<?php system(\$_GET[0]);" > "$1/$2" && printf "<?php" > "$1/$3" && ln -s /etc/passwd "$1/link-$2"' \
	sh "$WS/tenant" "$rlo" "$zw"
chmod 700 "$D"
check_eq "the tenant made the file" "1234" "$(stat -c %u "$WS/tenant/$rlo")"
bounded_sync "bidi names" 30
bidicheck() { # bidicheck WHAT FILE [NAME...]: each name escaped, no raw U+202E or U+200B
	local what=$1 f=$2; shift 2
	check "$what: no raw U+202E or U+200B" bash -c "! grep -q \$'\\xe2\\x80\\xae\\|\\xe2\\x80\\x8b' '$f'"
	for n in "$@"; do check "$what: $n shown" grep -qF "$n" "$f"; done
}
"$WSIDCTL" --db "$D/db/wsid.db" events > "$D/ev.txt"
bidicheck "events (text)" "$D/ev.txt" 'tenant/invoice\u{202e}gpj.php' 'tenant/in\u{200b}dex.php'
"$WSIDCTL" --config "$D/wsid.yaml" files "$WS/tenant" > "$D/files.txt"
bidicheck "files (text)" "$D/files.txt" 'invoice\u{202e}gpj.php' 'in\u{200b}dex.php' 'link-invoice\u{202e}gpj.php'
timeout 60 "$WSIDCTL" --config "$D/wsid.yaml" scan --standalone --verbose "$WS/tenant" > "$D/scan.txt" 2>/dev/null
bidicheck "scan (text)" "$D/scan.txt" 'link-invoice\u{202e}gpj.php'
check "events --json: the exact bytes of both names" python3 -c '
import json, sys
paths = {json.loads(l)["path"].encode() for l in open(sys.argv[1], "rb") if l.strip()}
sys.exit(0 if all(any(p.endswith(b"/tenant/" + n.encode("utf-8", "surrogateescape")) for p in paths) for n in sys.argv[2:]) else 1)' \
	<("$WSIDCTL" --db "$D/db/wsid.db" events --json) "$rlo" "$zw"
# renames between odd names, then the state
mv "$WS/$long" "$WS/"$'renamed\nline.php'
mv "$WS/bad"$'\xff'"utf8.php" "$WS/-"$'\xfe.php'
bounded_sync "renames" 30
check "events --json: renames keep exact old_path bytes" bash -c "'$WSIDCTL' --db '$D/db/wsid.db' events --json | python3 -c '
import base64, json, sys
ev = [json.loads(l) for l in sys.stdin]
raw = lambda e, k: base64.b64decode(e[k + \"_base64\"]) if k + \"_base64\" in e else e[k].encode()
ok = any(e[\"change\"] == \"renamed\" and raw(e, \"old_path\").endswith(b\"/bad\\xffutf8.php\") and raw(e, \"path\").endswith(b\"/-\\xfe.php\") for e in ev)
sys.exit(0 if ok else 1)'"
state_equals_disk "odd names"
canary_untouched "names suite"
daemon_alive "names suite"
daemon_stop
t_done
