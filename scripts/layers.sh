#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The layering rules of doc/architecture.md, checked on the link graph.
#
#   scripts/layers.sh [OBJDIR]      (default build/obj; run by `make lint`)
#
# From `nm` over OBJDIR/*.o: which symbols each object leaves undefined and
# which object defines them. Starting from a module's object, every object the
# static linker would pull in is followed (whole objects, as `ar` archives
# link), and every symbol left for the libraries is checked against the rule's
# forbidden list. A violation prints the chain of objects that reaches it.
# Exit 0 when every rule holds, 1 when one breaks, 2 on a usage error.
set -u
objdir=${1:-build/obj}
if [ ! -d "$objdir" ] || ! ls "$objdir"/*.o >/dev/null 2>&1; then
	echo "layers: no objects in $objdir (run make first)" >&2
	exit 2
fi

# Pure modules: no files, database, network, processes or clocks. Read each
# file's top comment (and doc/architecture.md) before adding one.
pure="fsevent classify fpset json jsonparse wpsums slotset hmap claims phpscan util message fcgi fpmstatus accesslog pathmatch yamltree timers"
# the one sink a pure module may reach: log writes its lines to stderr (fd 2)
# and nothing else; util's allocators end in fatalx() when memory runs out.
# It is checked on its own below, not followed from the pure modules.
sink="log"
sink_syms='^(write|__errno_location|clock_gettime|gmtime_r|localtime_r|strftime|getpid|abort|exit|_exit|vsnprintf|__vsnprintf_chk|snprintf|__snprintf_chk|strerror|strerror_r|__stack_chk_fail|memcpy|__memcpy_chk|strlen|pthread_.*|isatty|fileno)$'
# what touches files, the database or the network (fortified variants included)
io_syms='^(open|open64|openat|openat64|openat2|creat|__open_2|__open64_2|__openat_2|__openat64_2|read|readv|pread|pread64|preadv|__read_chk|__pread_chk|__pread64_chk|write|writev|pwrite|pwrite64|pwritev|fopen|fopen64|fdopen|freopen|fread|__fread_chk|fwrite|fgets|__fgets_chk|getline|getdelim|opendir|fdopendir|readdir|readdir64|scandir|stat|stat64|lstat|fstat|fstat64|fstatat|fstatat64|statx|__xstat|__fxstat|__lxstat|access|faccessat|mmap|mmap64|unlink|unlinkat|rename|renameat|renameat2|mkdir|mkdirat|rmdir|link|linkat|symlink|symlinkat|readlink|readlinkat|__readlink_chk|__readlinkat_chk|truncate|ftruncate|fsync|fdatasync|ioctl|fcntl|fcntl64|dup|dup2|dup3|pipe|pipe2|socket|socketpair|connect|bind|listen|accept|accept4|send|sendto|sendmsg|recv|recvfrom|recvmsg|__recv_chk|getaddrinfo|gethostbyname|epoll_create1|epoll_ctl|epoll_wait|poll|ppoll|select|eventfd|signalfd|fork|vfork|execve|execv|execvp|system|popen|getrandom|fanotify_init|fanotify_mark|inotify_init1|sqlite3_.*|curl_.*|archive_.*|yr_.*|yaml_parser_set_input_file)$'
# a delivery process reads no webspace: none of the modules that do
webspace_objs="watch hash hashpool scan engine reconcile root ident fpindex classify analyse phpscan yarascan claims census state ingest"
webspace_syms='^(fanotify_init|fanotify_mark|name_to_handle_at|open_by_handle_at|sqlite3_.*|yr_.*)$'
# wsidctl watches nothing
watch_syms='^(fanotify_init|fanotify_mark)$'
# the configuration parser reads YAML and checks keys: no database (it links
# bundle.o for the trusted keys; a bundle's import, bundleimport.o, writes
# the database and stays out of it)
db_syms='^sqlite3_.*$'

fail=0
graph=$(mktemp)
trap 'rm -f "$graph"' EXIT
nm -A -P "$objdir"/*.o 2>/dev/null | awk '{
	f = $1; sub(/:$/, "", f); n = split(f, p, "/"); o = p[n]; sub(/\.o$/, "", o)
	print o, $2, $3 }' > "$graph"

# check START_OBJS FORBIDDEN_SYMS_REGEX FORBIDDEN_OBJS RULE_NAME [STOP_OBJS]
# (STOP_OBJS are not followed; ALLOWED mode: FORBIDDEN_SYMS_REGEX prefixed with
# "!" names the only external symbols allowed)
check() {
	local out
	out=$(awk -v starts="$1" -v bad="$2" -v badobjs="$3" -v stops="${5:-}" '
	{ obj = $1; sym = $2; t = $3
	  objs[obj] = 1
	  if (t == "U") { nu[obj]++; und[obj, nu[obj]] = sym }
	  else if (t ~ /^[TDBRCVWGSi]$/ || t == "u") { if (!(sym in def)) def[sym] = obj } }
	END {
		n = split(starts, s, " "); qn = 0
		for (i = 1; i <= n; i++) if (s[i] in objs) { q[++qn] = s[i]; seen[s[i]] = 1; from[s[i]] = "" }
			else { printf "  no object %s.o\n", s[i]; bad_n++ }
		m = split(badobjs, b, " "); for (i = 1; i <= m; i++) forbidobj[b[i]] = 1
		m = split(stops, b, " "); for (i = 1; i <= m; i++) stop[b[i]] = 1
		only = substr(bad, 1, 1) == "!"; if (only) bad = substr(bad, 2)
		for (h = 1; h <= qn; h++) {
			o = q[h]
			if (o in forbidobj) { printf "  links %s.o: %s\n", o, chain(o); bad_n++ }
			if ((o in stop) && h > n) continue
			for (k = 1; k <= nu[o]; k++) {
				sym = und[o, k]
				if (sym in def) {
					d = def[sym]
					if (!(d in seen)) { seen[d] = 1; from[d] = o; via[d] = sym; q[++qn] = d }
				} else if (bad != "" && (only ? sym !~ bad : sym ~ bad)) {
					printf "  reaches %s: %s -> %s\n", sym, chain(o), sym; bad_n++
				}
			}
		}
		exit bad_n > 0
	}
	function chain(o,   c) {
		c = o
		while (from[o] != "") { c = from[o] " -(" via[o] ")-> " c; o = from[o] }
		return c
	}' "$graph")
	if [ $? -ne 0 ]; then
		echo "FAIL $4"
		printf '%s\n' "$out" | sort -u
		fail=1
	else
		echo "ok   $4"
	fi
}

for m in $pure; do
	check "$m" "$io_syms" "" "pure module $m links no file, database or network call" "$sink"
done
check "$sink" "!$sink_syms" "" "the sink ($sink) calls nothing but write(2) to stderr and libc's formatting"
check "deliver log util" "$webspace_syms" "$webspace_objs" "the delivery process (deliver.o) links nothing that reads webspaces"
check "config" "$db_syms" "store bundleimport" "the configuration parser (config.o) links no database (store.o, bundleimport.o)"
if [ -f "$objdir/wsid.o" ]; then
	check "wsid" "" "fpbuild" "the daemon (wsid.o) links no index build (fpbuild.o)"
else
	echo "FAIL wsid.o missing in $objdir"
	fail=1
fi
if [ -f "$objdir/wsidctl.o" ]; then
	check "wsidctl" "$watch_syms" "watch" "wsidctl links no watcher"
else
	echo "FAIL wsidctl.o missing in $objdir"
	fail=1
fi
# One home per table (doc/architecture.md, "Where each table's SQL lives"):
# FROM/INTO/UPDATE/JOIN <table> in src/*.c (adjacent string literals joined)
# only in the files named for the table; store.c (schema, migrations) holds
# every table. sql_allow lists what is left outside a home (file:table), each
# with its reason in doc/architecture.md. WSID_LAYERS_SRC: another src/.
srcdir=${WSID_LAYERS_SRC:-$(cd "$(dirname "$0")/.." && pwd)/src}
sql_homes='
webspaces state statequery
installations state statequery
files state statequery
events state statequery
known_bad state statequery
trusted state statequery
analysis state statequery
outbox outbox
outbox_events outbox
notified outbox
quarantine quarantine
meta store fpindex fpbuild
products fpindex fpbuild
versions fpindex fpbuild
paths fpindex fpbuild
hashes fpindex fpbuild
entries fpindex fpbuild
bundle_imports ctlbundle bundleimport
fetch_negative ctlfetch
product_releases ctlfetch
'
sql_allow='
retention:events retention:files retention:outbox retention:outbox_events retention:notified
outbox:events outbox:webspaces
ctlbundle:products ctlbundle:versions ctlbundle:known_bad ctlbundle:trusted
bundleimport:products bundleimport:versions bundleimport:known_bad bundleimport:trusted
ctlfetch:products ctlfetch:versions
ctlsites:product_releases
'
if [ -d "$srcdir" ]; then
	out=$(for f in "$srcdir"/*.c; do
		perl -0777 -ne 's/"[ \t]*\\?[ \t]*\n[ \t]*"//g;
			while (/\b(?:FROM|INTO|UPDATE|JOIN)\s+(\w+)/g) { print "$ARGV $1\n" }' "$f"
	done | awk -v homes="$sql_homes" -v allow="$sql_allow" '
	BEGIN {
		n = split(homes, l, "\n")
		for (i = 1; i <= n; i++) {
			m = split(l[i], w, " ")
			for (k = 2; k <= m; k++) home[w[1], w[k]] = 1
			if (m) table[w[1]] = 1
		}
		n = split(allow, a, /[ \n]+/)
		for (i = 1; i <= n; i++) if (a[i] != "") ok[a[i]] = 1
	}
	{ f = $1; sub(/.*\//, "", f); sub(/\.c$/, "", f); t = $2
	  if (!(t in table) || f == "store" || ((t, f) in home) || ((f ":" t) in ok)) next
	  printf "  %s.c: SQL on %s outside its home\n", f, t; bad = 1 }
	END { exit bad }' | sort -u)
	if [ -n "$out" ]; then
		echo "FAIL every table's SQL lives in its home"
		printf '%s\n' "$out"
		fail=1
	else
		echo "ok   every table's SQL lives in its home"
	fi
	# every module has a unit program of its own
	unitdir=${WSID_LAYERS_UNITS:-$srcdir/../tests/unit}
	missing=$(for f in "$srcdir"/*.c; do
		m=$(basename "$f" .c)
		[ -f "$unitdir/test_$m.c" ] || echo "  $m.c: no tests/unit/test_$m.c"
	done)
	if [ -n "$missing" ]; then
		echo "FAIL every module has a unit program"
		printf '%s\n' "$missing"
		fail=1
	else
		echo "ok   every module has a unit program"
	fi
else
	echo "FAIL no sources at $srcdir"
	fail=1
fi
exit $fail
