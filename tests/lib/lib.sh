# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the shell test suites. Source it; it sets up counters,
# a scratch directory, and traps that unmount what the test mounted and stop the
# processes it started (by pid), whatever happens.
set -u
WSID_TOP=${WSID_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WSID_BUILD=${WSID_BUILD:-$WSID_TOP/build}
WSIDCTL="$WSID_BUILD/wsidctl"
WSID="$WSID_BUILD/wsid"
T_PASS=0
T_FAIL=0
T_MOUNTS=()
T_PIDS=()
T_TMP=$(mktemp -d /tmp/wsid-t.XXXXXX)
FIXTURE_CACHE=${WSID_FIXTURE_CACHE:-/var/cache/wsid-test}

t_cleanup() {
	local i
	for ((i = ${#T_PIDS[@]} - 1; i >= 0; i--)); do
		kill "${T_PIDS[$i]}" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "${T_PIDS[$i]}" 2>/dev/null || break; sleep 0.2; done
		kill -9 "${T_PIDS[$i]}" 2>/dev/null
	done
	for ((i = ${#T_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${T_MOUNTS[$i]}" 2>/dev/null
	done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

pass() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	local d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
check_eq() { # check_eq "description" expected actual
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
t_done() { echo "$T_PASS passed, $T_FAIL failed"; [ "$T_FAIL" -eq 0 ]; }

need_root() {
	if [ "$(id -u)" -ne 0 ]; then echo "needs root"; echo "0 passed, 1 failed"; exit 1; fi
}

# mount_tmpfs DIR [SIZE]: a private tmpfs the test owns; unmounted at exit
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-512m}" wsid-test "$1" || return 1
	T_MOUNTS+=("$1")
}

# fixture_tree PACKAGE: prints the path of a pristine copy of the web
# application tree shipped by the Debian package (downloaded once, cached), with
# Debian's symlinks into other packages resolved (cp -rL semantics).
# Supported: wordpress mediawiki dokuwiki phpmyadmin roundcube
fixture_tree() {
	local pkg=$1 root sub deps dir
	case $pkg in
	wordpress) sub=usr/share/wordpress; deps="libjs-cropper libjs-underscore php-getid3" ;;
	mediawiki) sub=usr/share/mediawiki; deps="" ;;
	dokuwiki) sub=usr/share/dokuwiki; deps="" ;;
	phpmyadmin) sub=usr/share/phpmyadmin; deps="" ;;
	roundcube) pkg=roundcube-core; sub=usr/share/roundcube; deps="" ;;
	*) echo "fixture_tree: unknown package $pkg" >&2; return 1 ;;
	esac
	dir="$FIXTURE_CACHE/tree-$pkg"
	if [ ! -f "$dir/.complete" ]; then
		mkdir -p "$FIXTURE_CACHE/debs" "$FIXTURE_CACHE/x-$pkg"
		(cd "$FIXTURE_CACHE/debs" && for p in $pkg $deps; do
			ls ${p}_*.deb >/dev/null 2>&1 || apt-get download "$p" >/dev/null 2>&1 ||
				{ apt-get update >/dev/null 2>&1; apt-get download "$p" >/dev/null 2>&1; } ||
				{ echo "fixture_tree: cannot download $p" >&2; exit 1; }
		done) || return 1
		for p in $pkg $deps; do dpkg-deb -x "$FIXTURE_CACHE"/debs/${p}_*.deb "$FIXTURE_CACHE/x-$pkg" || return 1; done
		rm -rf "$dir" && mkdir -p "$dir"
		# absolute links into /etc or /usr/share are resolved inside the extraction
		root="$FIXTURE_CACHE/x-$pkg"
		find "$root/$sub" -type l | while read -r l; do
			tgt=$(readlink "$l")
			case $tgt in /*) if [ -e "$root$tgt" ]; then ln -sfn "$root$tgt" "$l"; elif [ ! -e "$tgt" ]; then rm -f "$l"; fi ;; esac
		done
		cp -rL "$root/$sub/." "$dir/" 2>/dev/null || true
		# a link that still dangles is dropped rather than copied
		find "$dir" -type l -delete
		touch "$dir/.complete"
	fi
	echo "$dir"
}

# copy_tree SRC DEST: a writable copy of a fixture tree
copy_tree() { mkdir -p "$2" && cp -a "$1/." "$2/" && rm -f "$2/.complete"; }
