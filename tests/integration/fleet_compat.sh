#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bundles across wsid versions (doc/fleet.md, "Compatibility"): product.yaml's
# optional keys (staging_dirs, added with schema 11) are written by a normal
# export and left out by `index export --compat`, whose product.yaml holds
# only the base keys every importer knows; an importer ignores, naming it, a
# key it does not know (a newer exporter's optional key) and refuses a bundle
# whose `requires` names one; a fingerprints directory stays strict.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
FORGE=$WSID_BUILD/helpers/bundle_forge
PY=/usr/bin/python3

# ---- the build host: a product with an upload and a staging folder
C=$D/central
mkdir -p "$C/fp/acme"
printf 'kind: core\nupload_dirs: files\nstaging_dirs: "upgrade,tmp/unpack"\n' > "$C/fp/acme/product.yaml"
for v in 1.0 1.1; do
	printf '%064x  index.php\n%064x  lib/app.php\n' "${v/./}" "$(( ${v/./} + 1000 ))" | gzip -n > "$C/fp/acme/$v.sha256.gz"
done
"$WSIDCTL" --db "$C/a.db" index build --from "$C/fp" >/dev/null || fail "index build"
"$WSIDCTL" index keygen --out "$C/fleet.key" >/dev/null 2>&1
CX() { "$WSIDCTL" --db "$C/a.db" index export --sign "$C/fleet.key" "$@"; }

CX "$D/new.bundle" >/dev/null 2>"$D/err"; rc=$?
check_eq "export: exit 0" 0 "$rc"
check "export: product.yaml carries staging_dirs" grep -qx 'staging_dirs: "upgrade,tmp/unpack"' <(tar xOf "$D/new.bundle" sets/acme/product.yaml)
CX --compat "$D/compat.bundle" >/dev/null 2>"$D/err"; rc=$?
check_eq "export --compat: exit 0" 0 "$rc"
check "export --compat: says what it left out" grep -qF "acme's staging_dirs left out" "$D/err"
# the keys every importer knows since bundles exist (the parser before
# staging_dirs: kind, version_file, version_pattern, upload_dirs, name)
keys=$(tar xOf "$D/compat.bundle" sets/acme/product.yaml | grep -v '^#' | cut -d: -f1 | sort | tr '\n' ' ')
check_eq "export --compat: product.yaml holds the base keys alone" "kind upload_dirs " "$keys"
check "export --compat: the sets are the same" cmp -s <(tar xOf "$D/compat.bundle" sets/acme/1.1.sha256.gz) <(tar xOf "$D/new.bundle" sets/acme/1.1.sha256.gz)

# ---- a node
N=$D/node
daemon_config "$N" "trusted_keys:" "  - $C/fleet.key.pub" "analysis:" "  enabled: false"
NDB=$N/db/wsid.db
imp() { "$WSIDCTL" --config "$N/wsid.yaml" --socket "$N/ctl.sock" index import "$@"; }
staging() { sqlite3 "$NDB" "SELECT coalesce(staging_dirs, 'NULL') FROM products WHERE name='acme'"; }
out=$(imp "$D/new.bundle" 2>&1); rc=$?
check_eq "import of a full bundle: exit 0 ($out)" 0 "$rc"
check_eq "import: staging_dirs indexed" "upgrade,tmp/unpack" "$(staging)"
# a compat bundle of a later serial: the node keeps what it knows
CX --compat "$D/compat2.bundle" >/dev/null 2>&1
out=$(imp "$D/compat2.bundle" 2>&1); rc=$?
check_eq "import of a compat bundle: exit 0 ($out)" 0 "$rc"
check_eq "import of a compat bundle: the node keeps its staging_dirs" "upgrade,tmp/unpack" "$(staging)"

# ---- a newer exporter's bundle: an optional key this wsid does not know
# (forged with the fleet's key: what a later wsid would write)
NFORGED=0
reforge() { # SRC OUT YAML_TEXT: SRC with product.yaml replaced, serial raised
	local x=$D/x.$NFORGED
	NFORGED=$((NFORGED + 1))
	mkdir -p "$x" && tar xf "$1" -C "$x"
	printf '%s' "$3" > "$x/sets/acme/product.yaml"
	$PY - "$x" "$NFORGED" <<'PY'
import hashlib, os, sys, time
d = sys.argv[1]
out = []
for l in open(os.path.join(d, "MANIFEST")).read().splitlines():
    f = l.split(" ")
    if l.startswith("serial "):
        l = "serial %d" % (int(time.time()) + 100000 + int(sys.argv[2]))
    elif l.startswith("file ") and f[4] == "sets/acme/product.yaml":
        b = open(os.path.join(d, f[4]), "rb").read()
        l = "file %s %d 0 %s" % (hashlib.sha256(b).hexdigest(), len(b), f[4])
    out.append(l)
open(os.path.join(d, "MANIFEST.new"), "w").write("\n".join(out) + "\n")
PY
	local args=()
	for m in $(awk '/^file /{print $5}' "$x/MANIFEST.new"); do args+=("$m=$x/$m"); done
	"$FORGE" "$C/fleet.key" "$x/MANIFEST.new" "$2" "${args[@]}"
}
reforge "$D/new.bundle" "$D/future.bundle" $'kind: core\nupload_dirs: files\nstaging_dirs: "upgrade"\nmirror_dirs: "cdn-copy"\n'
out=$(imp "$D/future.bundle" 2>&1); rc=$?
check_eq "an unknown optional key: imported, exit 0" 0 "$rc"
check "the unknown key is named, ignored ($out)" grep -q "product.yaml:4: key 'mirror_dirs' is not known to this wsid: ignored" <<<"$out"
check_eq "the keys it knows are taken" "upgrade" "$(staging)"
before=$(sqlite3 "$NDB" "SELECT value FROM meta WHERE key='index_serial'")
reforge "$D/new.bundle" "$D/required.bundle" $'kind: core\nupload_dirs: files\nmirror_dirs: "cdn-copy"\nrequires: "staging_dirs, mirror_dirs"\n'
out=$(imp "$D/required.bundle" 2>&1); rc=$?
check "a key it must know (requires) and does not: refused (rc $rc)" [ "$rc" -ne 0 ]
check "the refusal names the key ($out)" grep -q "requires key 'mirror_dirs', which this wsid does not know" <<<"$out"
check_eq "refused: the index untouched" "$before upgrade" "$(sqlite3 "$NDB" "SELECT value FROM meta WHERE key='index_serial'") $(staging)"
reforge "$D/new.bundle" "$D/req-known.bundle" $'kind: core\nupload_dirs: files\nstaging_dirs: "up2"\nrequires: staging_dirs\n'
out=$(imp "$D/req-known.bundle" 2>&1); rc=$?
check_eq "requires naming keys it knows: imported ($out)" "0 up2" "$rc $(staging)"

# ---- a fingerprints directory stays strict: a typo there is the admin's
printf 'kind: core\nupload_dir: files\n' > "$C/fp/acme/product.yaml"
out=$("$WSIDCTL" --db "$D/b.db" index build --from "$C/fp" 2>&1); rc=$?
check "index build: an unknown key in a directory's product.yaml is refused (rc $rc)" [ "$rc" -ne 0 ]
check "index build: the error names it ($out)" grep -q "unknown key 'upload_dir'" <<<"$out"
t_done
