#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Releases ingested from real archives are identified at 100 %; their sets are
# exactly sha256sum's format; hostile archives and bad fingerprint files are
# refused with a message naming the problem, and nothing is written.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
mount_tmpfs "$D/m" 1500m
DB=$D/db/wsid.db
mkdir -p "$D/db"
J="python3 $WSID_TOP/tests/lib/scanq.py"
command -v zip >/dev/null || apt-get install -y -q zip >/dev/null 2>&1
DW=$(fixture_tree dokuwiki) && MW=$(fixture_tree mediawiki) || { fail fixtures; t_done; exit 1; }

# -- stats of the shipped WordPress sets, computed independently
"$WSIDCTL" --db "$DB" --json index build --from "$WSID_TOP/fingerprints" > "$D/build1.json"
sets=$(ls "$WSID_TOP"/fingerprints/wordpress/*.sha256.gz | wc -l)
hashes=$(zcat "$WSID_TOP"/fingerprints/wordpress/*.sha256.gz | awk '{print $1}' | sort -u | wc -l)
st=$("$WSIDCTL" --db "$DB" --json index stats)
check_eq "index stats: versions = set files" "$sets" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["versions"])' "$st")"
check_eq "index stats: distinct hashes = distinct first fields" "$hashes" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["distinct_hashes"])' "$st")"
again=$("$WSIDCTL" --db "$DB" --json index build --from "$WSID_TOP/fingerprints")
check_eq "a second build redoes nothing" "0 $sets" "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["indexed"], d["unchanged"])' "$again")"

# -- DokuWiki as .zip and .tar.gz with a top folder
mkdir -p "$D/m/src/dokuwiki"
cp -a "$DW/." "$D/m/src/dokuwiki/"; rm -f "$D/m/src/dokuwiki/.complete"
(cd "$D/m/src" && zip -qr "$D/m/dw.zip" dokuwiki && tar czf "$D/m/dw.tar.gz" dokuwiki)
out=$("$WSIDCTL" --db "$DB" index ingest --product dokuwiki --version 2022-07-31a --out "$D/fp" "$D/m/dw.zip")
check "zip ingested, top folder stripped ($out)" grep -q "top folder 'dokuwiki' stripped" <<<"$out"
set=$D/fp/dokuwiki/2022-07-31a.sha256
check_eq "the set has one line per file" "$(find "$D/m/src/dokuwiki" -type f | wc -l)" "$(wc -l < "$set")"
check "the set verifies with sha256sum -c inside the tree" bash -c "cd '$D/m/src/dokuwiki' && sha256sum --quiet -c '$set'"
cp "$set" "$D/set.zip.sha256"
"$WSIDCTL" --db "$DB" index ingest --product dokuwiki --version 2022-07-31a --out "$D/fp" "$D/m/dw.tar.gz" >/dev/null
check "the .tar.gz gives the identical set" cmp -s "$set" "$D/set.zip.sha256"
st=$("$WSIDCTL" --db "$DB" --json index stats)
check_eq "ingesting the same release twice adds no version" "$((sets + 1))" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["versions"])' "$st")"
copy_tree "$DW" "$D/m/site"
"$WSIDCTL" --db "$DB" scan --json "$D/m/site" > "$D/dw.json"
check_eq "a copy of the tree is that release at 100 %" "dokuwiki 2022-07-31a 1.0 0 0" "$($J "$D/dw.json" 0 product version confidence counts.modified counts.missing)"

# -- MediaWiki from a .tar.gz (23k files)
mkdir -p "$D/m/src2/mediawiki-1.39.17"
cp -a "$MW/." "$D/m/src2/mediawiki-1.39.17/"; rm -f "$D/m/src2/mediawiki-1.39.17/.complete"
(cd "$D/m/src2" && tar czf "$D/m/mw.tar.gz" mediawiki-1.39.17) && rm -rf "$D/m/src2"
"$WSIDCTL" --db "$DB" index ingest --product mediawiki --version 1.39.17 --out "$D/fp" "$D/m/mw.tar.gz" >/dev/null
copy_tree "$MW" "$D/m/mw"
"$WSIDCTL" --db "$DB" scan --json "$D/m/mw" > "$D/mw.json"
check_eq "MediaWiki identified at 100 %" "mediawiki 1.39.17 1.0" "$($J "$D/mw.json" 0 product version confidence)"
rm -rf "$D/m/mw" "$D/m/mw.tar.gz"

# -- hostile archives: refused, nothing written
python3 - "$D/m/h" <<'PY'
import io, os, sys, tarfile, zipfile
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
def tar(name, add):
    with tarfile.open(os.path.join(d, name), "w:gz") as t:
        add(t)
def member(t, name, data=b"x", kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = link; ti.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
tar("dotdot.tar.gz", lambda t: (member(t, "app/ok.php"), member(t, "app/../../evil.php")))
tar("abs.tar.gz", lambda t: member(t, "/etc/cron.d/evil"))
tar("symlink.tar.gz", lambda t: (member(t, "app/ok.php"), member(t, "app/link", kind=tarfile.SYMTYPE, link="/etc/shadow")))
tar("hardlink.tar.gz", lambda t: (member(t, "app/ok.php"), member(t, "app/hl", kind=tarfile.LNKTYPE, link="app/ok.php")))
tar("fifo.tar.gz", lambda t: (member(t, "app/ok.php"), member(t, "app/fifo", kind=tarfile.FIFOTYPE)))
tar("device.tar.gz", lambda t: member(t, "app/null", kind=tarfile.CHRTYPE))
with zipfile.ZipFile(os.path.join(d, "dotdot.zip"), "w") as z:
    z.writestr("app/ok.php", "x"); z.writestr("../evil.php", "x")
with tarfile.open(os.path.join(d, "empty.tar.gz"), "w:gz"):
    pass
open(os.path.join(d, "garbage.zip"), "wb").write(os.urandom(4096))
good = os.path.join(d, "good.tar.gz")
tar("good.tar.gz", lambda t: [member(t, "app/f%d.php" % i, os.urandom(20000)) for i in range(20)])
data = open(good, "rb").read()
open(os.path.join(d, "truncated.tar.gz"), "wb").write(data[: len(data) // 2])
PY
before=$(sqlite3 "$DB" "SELECT count(*) FROM versions")
for a in dotdot.tar.gz abs.tar.gz symlink.tar.gz hardlink.tar.gz fifo.tar.gz device.tar.gz dotdot.zip empty.tar.gz garbage.zip truncated.tar.gz; do
	out=$("$WSIDCTL" --db "$DB" index ingest --product evil --version 1.0 --out "$D/fp" "$D/m/h/$a" 2>&1); rc=$?
	check "hostile $a refused (exit $rc): ${out:0:120}" bash -c "[ $rc -eq 3 ] && grep -Eq 'refused|not a readable archive|no files|corrupt|truncated|read error|Truncated|unexpected' <<<\"\$1\"" _ "$out"
	check "hostile $a: no set written" [ ! -e "$D/fp/evil/1.0.sha256" ]
done
check_eq "hostile archives: the index is unchanged" "$before" "$(sqlite3 "$DB" "SELECT count(*) FROM versions")"
mkdir -p "$D/m/linkdir/app" && echo x > "$D/m/linkdir/app/a.php" && ln -s /etc/shadow "$D/m/linkdir/app/s"
out=$("$WSIDCTL" --db "$DB" index ingest --product evil --version 1.0 --out "$D/fp" "$D/m/linkdir" 2>&1)
check "a directory with a symlink is refused ($out)" grep -q "refused" <<<"$out"

# -- bad fingerprint files name file and line; the rest of the index is intact
mkdir -p "$D/bad/p1" "$D/bad/p2" "$D/bad/p3"
printf '%064d  ok.php\n%063d  short.php\n' 1 2 > "$D/bad/p1/1.0.sha256"
printf '%064d  ../escape.php\n' 3 > "$D/bad/p2/1.0.sha256"
printf 'version\ttag\tdate\tfiles\n1.0\tv1\t2020-01-01\tmany\n' > "$D/bad/p3/versions.tsv"
printf '%064d  a.php\n' 4 > "$D/bad/p3/1.0.sha256"
out=$("$WSIDCTL" --db "$DB" index build --from "$D/bad" --product p1 2>&1)
check "malformed line: file:line named ($out)" grep -q "p1/1.0.sha256:2: expected 64 hex digits" <<<"$out"
out=$("$WSIDCTL" --db "$DB" index build --from "$D/bad" --product p2 2>&1)
check "'..' in a set refused ($out)" grep -q "p2/1.0.sha256:1: '.' or '..' path component" <<<"$out"
out=$("$WSIDCTL" --db "$DB" index build --from "$D/bad" --product p3 2>&1)
check "bad versions.tsv: file:line named ($out)" grep -q "versions.tsv:2: invalid file count" <<<"$out"
check_eq "a failed product leaves no trace" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM products WHERE name IN ('p1','p2','p3')")"
# a zip entry with LZMA claims its own dictionary size: refused before reading
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_LZMA); z.writestr("a.php", "<?php echo 1;" * 100); z.close()' "$D/lzma.zip"
out=$("$WSIDCTL" --db "$DB" index ingest --product p4 --version 1.0 --out "$D/fp" "$D/lzma.zip" 2>&1); rc=$?
check "a zip with an LZMA entry is refused, the method named (rc $rc: $out)" grep -q "compressed with method 14 (only stored, deflate and bzip2 entries are read): refused" <<<"$out"
check "nothing written for it" [ ! -e "$D/fp/p4" ]
t_done
