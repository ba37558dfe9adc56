#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/layers.sh, the layering rules of doc/architecture.md: it passes on
# the built tree, and fails, naming the rule and the chain of objects, on a
# copy of the objects with one planted violation per rule: a pure module that
# calls open(2) itself, one that reaches the database through another module,
# a log that opens a file, a delivery process that links the hasher, a
# wsidctl that links the watcher, a daemon that links the index build, a
# configuration parser whose bundle.o links the bundle's import; and SQL on a
# table in a source file that is not the table's home.
. "$(dirname "$0")/../lib/lib.sh"
L="$WSID_TOP/scripts/layers.sh"
OBJ="$WSID_BUILD/obj"
D=$T_TMP

out=$(bash "$L" "$OBJ" 2>&1); rc=$?
check_eq "the tree keeps every rule" 0 "$rc"
check "every rule is checked (pure, sink, delivery, wsidctl)" \
	test "$(grep -c '^ok ' <<<"$out")" -ge 14
check "classify is among the pure modules checked" grep -q '^ok   pure module classify ' <<<"$out"

# plant NAME.o from C source in a fresh copy of the objects; run the check on it
plant() {
	rm -rf "$D/obj" && mkdir -p "$D/obj" && cp "$OBJ"/*.o "$D/obj/" || return 1
	printf '%s\n' "$2" > "$D/$1.c"
	cc -c -o "$D/obj/$1.o" "$D/$1.c" || return 1
	out=$(bash "$L" "$D/obj" 2>&1); rc=$?
	echo "$out" | sed 's/^/    /'
}

plant slotset '#include <fcntl.h>
int slotset_planted(const char *p);
int slotset_planted(const char *p) { return open(p, O_RDONLY); }'
check_eq "planted: a pure module calling open(2) fails the check" 1 "$rc"
check "planted: the failure names the rule and the call" \
	grep -q 'reaches open: slotset -> open' <<<"$out"
check "planted: the other pure modules still pass" grep -q '^ok   pure module hmap ' <<<"$out"

plant hmap 'int store_begin(void *s);
int hmap_planted(void *s);
int hmap_planted(void *s) { return store_begin(s); }'
check_eq "planted: a pure module reaching the database through store fails" 1 "$rc"
check "planted: the chain goes through store to SQLite" \
	grep -q 'reaches sqlite3_.*: hmap -(store_begin)-> store -> sqlite3_' <<<"$out"

plant log '#include <fcntl.h>
int log_planted(void);
int log_planted(void) { return open("/tmp/x", O_WRONLY); }'
check_eq "planted: a log that opens a file fails the sink rule" 1 "$rc"
check "planted: named as the sink's rule" grep -q '^FAIL the sink (log)' <<<"$out"

plant deliver 'int hash_fd(int fd, void *out);
int deliver_planted(int fd, void *o);
int deliver_planted(int fd, void *o) { return hash_fd(fd, o); }'
check_eq "planted: a delivery process linking the hasher fails" 1 "$rc"
check "planted: the failure names hash.o" grep -q 'links hash.o: deliver -(hash_fd)-> hash' <<<"$out"

plant wsidctl 'void watch_close(void *w);
int main(void);
int main(void) { watch_close(0); return 0; }'
check_eq "planted: a wsidctl linking the watcher fails" 1 "$rc"
check "planted: the failure names watch.o" grep -q 'links watch.o: wsidctl -(watch_close)-> watch' <<<"$out"

plant wsid 'int fpindex_build(void *s, const void *o, void *st, char *err, unsigned long errsz);
int main(void);
int main(void) { return fpindex_build(0, 0, 0, 0, 0); }'
check_eq "planted: a daemon linking the index build fails" 1 "$rc"
check "planted: the failure names fpbuild.o" grep -q 'links fpbuild.o: wsid -(fpindex_build)-> fpbuild' <<<"$out"

plant bundle 'int bundle_import(const void *env, const void *o);
int bundle_public_parse(const char *s, unsigned char *key, char *err, unsigned long errsz);
int bundle_public_parse(const char *s, unsigned char *key, char *err, unsigned long errsz)
{ (void)s; (void)key; (void)err; (void)errsz; return bundle_import(0, 0); }'
check_eq "planted: a bundle.o importing into the database fails the configuration rule" 1 "$rc"
check "planted: the failure names the chain from config.o to bundleimport.o" \
	grep -q 'links bundleimport.o: config -(bundle_public_parse)-> bundle -(bundle_import)-> bundleimport' <<<"$out"
check "planted: and the SQLite calls it reaches" grep -q 'reaches sqlite3_.*: config -(bundle_public_parse)-> bundle' <<<"$out"

plant pathmatch '#include <sys/stat.h>
int pathmatch_planted(const char *p);
int pathmatch_planted(const char *p) { struct stat st; return stat(p, &st); }'
check_eq "planted: the path matcher calling stat(2) fails (it is pure)" 1 "$rc"

# one home per table: a copy of the sources with the notifier's SQL on
# notified (split over two literals, as C writes long statements) back in
# notify.c fails, naming the file and the table
rm -rf "$D/src" && mkdir -p "$D/src" && cp "$WSID_TOP"/src/*.c "$D/src/"
printf '%s\n' 'static const char *planted = "SELECT sha256 FROM "' '	"notified WHERE webspace_id=?";' \
	>> "$D/src/notify.c"
out=$(WSID_LAYERS_SRC="$D/src" WSID_LAYERS_UNITS="$WSID_TOP/tests/unit" bash "$L" "$OBJ" 2>&1); rc=$?
echo "$out" | grep -A3 '^FAIL' | sed 's/^/    /'
check_eq "planted: SQL on a table outside its home fails" 1 "$rc"
check "planted: every module still has its unit program" \
	grep -q '^ok   every module has a unit program' <<<"$out"
check "planted: the failure names the file and the table" \
	grep -q 'notify.c: SQL on notified outside its home' <<<"$out"
check "planted: the object rules still pass" grep -q '^ok   wsidctl links no watcher' <<<"$out"
out=$(bash "$L" "$OBJ" 2>&1)
check "the tree's own sources keep every table's SQL in its home" \
	grep -q "^ok   every table's SQL lives in its home" <<<"$out"

# every module has a unit program: a module added without one fails, named
rm -rf "$D/src" && mkdir -p "$D/src" && cp "$WSID_TOP"/src/*.c "$D/src/"
printf '%s\n' 'int planted_module(void);' 'int planted_module(void) { return 0; }' > "$D/src/plantedmod.c"
out=$(WSID_LAYERS_SRC="$D/src" WSID_LAYERS_UNITS="$WSID_TOP/tests/unit" bash "$L" "$OBJ" 2>&1); rc=$?
echo "$out" | grep -A3 '^FAIL' | sed 's/^/    /'
check_eq "planted: a module without a unit program fails" 1 "$rc"
check "planted: the failure names the module" \
	grep -q 'plantedmod.c: no tests/unit/test_plantedmod.c' <<<"$out"
check "the tree's every module has a unit program" \
	grep -q '^ok   every module has a unit program' <<<"$(bash "$L" "$OBJ" 2>&1)"

mkdir -p "$D/empty"
bash "$L" "$D/empty" >/dev/null 2>&1; rc=$?
check_eq "no objects: a usage error, not a pass" 2 "$rc"
t_done
