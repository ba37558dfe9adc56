#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# wsidctl analyse over a tree a hostile customer built: it finds what the files
# do, never follows a link out (a shell outside the tree stays unread: its
# atime on a strictatime canary), never blocks on a FIFO, skips what is not a
# regular file or is above the size cap, escapes names, and exits 0/1/2.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
RULES=(--no-default-rules --rules "$WSID_TOP/rules/*.yar")
mount_tmpfs "$D/m" 256m
mkdir -p "$D/canary"
mount -t tmpfs -o strictatime,size=8m wsid-canary "$D/canary" && T_MOUNTS+=("$D/canary")
printf '<?php system($_GET["c"]); ?>\n' > "$D/canary/outside.php"
touch -a -d '2001-01-01 00:00:00' "$D/canary/outside.php"
atime0=$(stat -c %X "$D/canary/outside.php")

T=$D/m/tree
mkdir -p "$T/uploads" "$T/clean"
printf '<?php @eval($_POST["x"]); ?>\n' > "$T/dropper.php"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR<?php passthru($_REQUEST["c"]); ?>' > "$T/uploads/logo.png"
printf 'AddType application/x-httpd-php .jpg\n' > "$T/uploads/.htaccess"
printf '<?php\n$f = $_POST["p"];\nfwrite(fopen($f, "w"), $_POST["b"]);\n' > "$T/edit.php"
printf '<?php echo "hello";\n' > "$T/clean/index.php"
printf '<?php eval($_GET["n"]);' > "$T/"$'evil\nMALWARE     fake  (forged, line 1).php'
ln -s "$D/canary/outside.php" "$T/link.php"
ln -s "$D/canary" "$T/dirlink"
mkfifo "$T/fifo.php"
mknod "$T/null.php" c 1 3
truncate -s 64G "$T/sparse.php"

out=$(timeout 60 "$WSIDCTL" analyse "${RULES[@]}" "$T" 2>"$D/err"); rc=$?
check_eq "findings: exit 1" 1 "$rc"
check "the dropper is malware at line 1" grep -qF "MALWARE     $T/dropper.php  (exec-of-input, line 1" <<<"$out"
check "PHP behind a PNG header is malware" grep -qF "$T/uploads/logo.png  (php-in-image" <<<"$out"
check "an .htaccess making .jpg PHP is malware" grep -qF "$T/uploads/.htaccess  (htaccess-handler, line 1)" <<<"$out"
check "a file editor is suspicious" grep -qF "SUSPICIOUS  $T/edit.php  (write-of-input, line 3)" <<<"$out"
check "a clean file is not listed" bash -c '! grep -q "clean/index.php" <<<"$1"' _ "$out"
check "a newline in a name is escaped, no forged line" bash -c \
	'grep -qF "evil\\nMALWARE     fake" <<<"$1" && ! grep -q "^MALWARE     fake" <<<"$1"' _ "$out"
check "a symlinked file is not followed" bash -c '! grep -q "link.php\|outside.php" <<<"$1"' _ "$out"
check "a symlinked directory is not followed" bash -c '! grep -q dirlink <<<"$1"' _ "$out"
check_eq "nothing outside the tree was read (atime)" "$atime0" "$(stat -c %X "$D/canary/outside.php")"
check "the 64 GiB sparse file is not analysed (size cap)" grep -qF "sparse.php: not analysed: larger than the size cap" "$D/err"
check "summary on stderr" grep -qxF "analysed 6 files: 4 malicious, 1 suspicious; 1 not analysed, 0 errors" "$D/err"

# --json: one object per file, exact bytes of a name that is not UTF-8
printf '<?php system($_COOKIE["k"]);' > "$T/clean/"$'bad\xffname.php'
timeout 60 "$WSIDCTL" analyse --json "${RULES[@]}" "$T/clean" > "$D/j.json" 2>/dev/null; rc=$?
check_eq "--json: findings: exit 1" 1 "$rc"
check "--json: one object per file, verdicts and findings" python3 - "$D/j.json" <<'PY'
import base64, json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 2, objs
byname = {o.get("path_base64") and base64.b64decode(o["path_base64"]).split(b"/")[-1] or o["path"].split("/")[-1].encode(): o for o in objs}
bad = byname[b"bad\xffname.php"]
assert bad["verdict"] == "malicious" and bad["findings"][0]["class"] == "exec-of-input", bad
assert bad["findings"][0]["line"] == 1 and bad["findings"][0]["confidence"] == "high", bad
assert len(bad["rules_version"]) == 64
ok = byname[b"index.php"]
assert ok["verdict"] == "clean" and ok["findings"] == [], ok
PY
rm -f "$T/clean/"$'bad\xffname.php'

# clean: exit 0; a symlink named on the command line: not followed, exit 2
"$WSIDCTL" analyse "${RULES[@]}" "$T/clean" >/dev/null 2>&1; rc=$?
check_eq "a clean tree: exit 0" 0 "$rc"
err=$("$WSIDCTL" analyse "${RULES[@]}" "$T/link.php" 2>&1 >/dev/null); rc=$?
check_eq "a symlink given as argument: exit 2" 2 "$rc"
check "it says why" grep -q "a symbolic link (not followed)" <<<"$err"
check_eq "still nothing outside read" "$atime0" "$(stat -c %X "$D/canary/outside.php")"
# a FIFO named on the command line neither blocks nor is read
timeout 20 "$WSIDCTL" analyse "${RULES[@]}" "$T/fifo.php" >/dev/null 2>"$D/err"; rc=$?
check_eq "a FIFO argument: not analysed, exit 0 (no block)" 0 "$rc"
check "a FIFO argument is reported" grep -q "fifo.php: not analysed: not a regular file" "$D/err"

# wsidctl scan analyses what the daemon analyses: code by name or first bytes,
# and an image whose content holds PHP (the same test, classify_code_content)
S=$D/m/site
mkdir -p "$S/uploads/2024"
printf '\xff\xd8\xff\xe0\0\x10JFIF\0<?php system($_GET["c"]); ?>' > "$S/uploads/2024/logo.jpg"
{ printf '\xff\xd8\xff\xe0\0\x10JFIF\0'; head -c 4096 /dev/zero; } > "$S/uploads/2024/photo.jpg"
printf '\x89PNG\r\n\x1a\n<?= `id`;' > "$S/uploads/2024/icon.png"
printf '<?php echo "hello";\n' > "$S/index.php"
out=$(timeout 60 "$WSIDCTL" scan --no-index "$S" 2>"$D/err"); rc=$?
check "scan: PHP behind a JPEG header is malware" grep -qF "MALWARE     $S/uploads/2024/logo.jpg  (php-in-image" <<<"$out"
check "scan: PHP behind a PNG header (short tag) is found" grep -qF "$S/uploads/2024/icon.png  (php-in-image" <<<"$out"
check "scan: an image without PHP is not analysed, not listed" bash -c '! grep -q photo.jpg <<<"$1"' _ "$out"
check "scan: the summary counts the images with PHP and the code" grep -qF "analysed 3 files that are no release: 2 malicious, 0 suspicious; 0 not analysed, 0 errors" "$D/err"
timeout 60 "$WSIDCTL" scan --no-index --json "$S" > "$D/s.json" 2>/dev/null
check_eq "scan --json: the images with PHP among the findings" "icon.png logo.jpg" "$(python3 -c 'import json,sys; print(" ".join(sorted(x["path"].split("/")[-1] for x in json.load(open(sys.argv[1]))["analysis"])))' "$D/s.json")"
# --no-analysis: the same report, nothing analysed
out=$(timeout 60 "$WSIDCTL" scan --no-index --no-analysis "$S" 2>"$D/err")
check "scan --no-analysis: no finding listed" bash -c '! grep -q php-in-image <<<"$1"' _ "$out"
check "scan --no-analysis: no summary of an analysis" bash -c '! grep -q "^analysed" "$1"' _ "$D/err"
timeout 60 "$WSIDCTL" scan --no-index --no-analysis --json "$S" > "$D/n.json" 2>/dev/null
check_eq "scan --no-analysis --json: an empty analysis, the same scan" "[] True" "$(python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for s in d["scanned"]:
        s.pop("seconds")
print(json.dumps(b["analysis"]), a["scanned"] == b["scanned"])' "$D/s.json" "$D/n.json")"

# a rule file that does not compile: refused with its file and line, exit 2
printf 'rule ok { condition: true }\nrule bad {\n  condition: and\n}\n' > "$D/bad.yar"
err=$("$WSIDCTL" analyse --rules "$D/bad.yar" "$T/clean" 2>&1 >/dev/null); rc=$?
check_eq "a broken rule file: exit 2" 2 "$rc"
check "the error names file and line" grep -qF "$D/bad.yar:3:" <<<"$err"
err=$("$WSIDCTL" analyse --rules "$D/none.yar" "$T/clean" 2>&1 >/dev/null); rc=$?
check_eq "a missing rule file: exit 2" 2 "$rc"
check "the error names it" grep -qF "$D/none.yar: no such rule file" <<<"$err"
err=$("$WSIDCTL" analyse --max-size 0 "$T/clean" 2>&1 >/dev/null); rc=$?
check_eq "a bad --max-size: exit 2" 2 "$rc"
t_done
