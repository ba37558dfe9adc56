# SPDX-License-Identifier: GPL-2.0-or-later
# Real web application trees from Debian's packages, for tests, benchmarks and
# the demo: apt-get download + dpkg-deb -x (nothing is installed, no web server or
# database), Debian's symlinks into other packages resolved (cp -rL semantics).
# Source it; it defines fixture_tree. Cache: $FIXTURE_CACHE.
FIXTURE_CACHE=${FIXTURE_CACHE:-${WSID_FIXTURE_CACHE:-/var/cache/wsid-test}}

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
		# test programs run side by side: the first builds the tree, the
		# others wait for it (the lock), then find it complete
		fixture_lock "tree-$pkg" || return 1
		if [ -f "$dir/.complete" ]; then
			fixture_unlock
			echo "$dir"
			return 0
		fi
		mkdir -p "$FIXTURE_CACHE/debs" "$FIXTURE_CACHE/x-$pkg"
		(cd "$FIXTURE_CACHE/debs" && for p in $pkg $deps; do
			ls ${p}_*.deb >/dev/null 2>&1 || fixture_download "$p" ||
				{ echo "fixture_tree: cannot download $p" >&2; exit 1; }
		done) || { fixture_unlock; return 1; }
		for p in $pkg $deps; do
			dpkg-deb -x "$FIXTURE_CACHE"/debs/${p}_*.deb "$FIXTURE_CACHE/x-$pkg" || { fixture_unlock; return 1; }
		done
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
		fixture_unlock
	fi
	echo "$dir"
}

# fixture_lock NAME / fixture_unlock: one builder of a cached fixture at a
# time, across processes (flock on a file of the cache); a builder that died
# releases it with its descriptor
fixture_lock() {
	mkdir -p "$FIXTURE_CACHE" || return 1
	exec {FIXTURE_LOCK_FD}>"$FIXTURE_CACHE/.lock-$1" || return 1
	flock "$FIXTURE_LOCK_FD"
}
fixture_unlock() {
	[ -n "${FIXTURE_LOCK_FD:-}" ] && exec {FIXTURE_LOCK_FD}>&-
	FIXTURE_LOCK_FD=
}

# fixture_download PACKAGE: apt-get download into the current directory
# through a partial name, renamed when whole (a reader never sees half a .deb)
fixture_download() {
	local t
	t=$(mktemp -d ./.dl.XXXXXX) || return 1
	(cd "$t" && { apt-get download "$1" >/dev/null 2>&1 ||
		{ apt-get update >/dev/null 2>&1; apt-get download "$1" >/dev/null 2>&1; }; }) &&
		mv "$t"/*.deb . && rmdir "$t" && return 0
	rm -rf "$t"
	return 1
}


# npm_release NAME VERSION: prints the path of a real release archive from the
# npm registry (npm pack), cached so a second run needs no network
npm_release() {
	local dir="$FIXTURE_CACHE/npm" f t
	f="$dir/$1-$2.tgz"
	if [ ! -s "$f" ]; then
		fixture_lock "npm-$1-$2" || return 1
		if [ ! -s "$f" ]; then
			# packed beside, renamed when whole
			mkdir -p "$dir" && t=$(mktemp -d "$dir/.pack.XXXXXX") || { fixture_unlock; return 1; }
			(cd "$t" && npm pack "$1@$2" >/dev/null 2>&1 && mv ./*.tgz "$dir/") ||
				{ echo "npm_release: cannot fetch $1@$2" >&2; rm -rf "$t"; fixture_unlock; return 1; }
			rm -rf "$t"
		fi
		fixture_unlock
	fi
	[ -s "$f" ] && echo "$f"
}

# npm_modules NAME@VERSION...: prints a directory whose node_modules holds
# these packages from the npm registry with their dependencies (npm install),
# cached so a second run needs no network
npm_modules() {
	local dir="$FIXTURE_CACHE/npm/modules-$(echo "$*" | sha256sum | cut -c1-12)"
	if [ ! -e "$dir/.complete" ]; then
		fixture_lock "$(basename "$dir")" || return 1
		if [ -e "$dir/.complete" ]; then fixture_unlock; echo "$dir"; return 0; fi
		rm -rf "$dir" && mkdir -p "$dir" &&
			(cd "$dir" && echo '{"private": true}' > package.json &&
				npm install --no-audit --no-fund --ignore-scripts "$@" >/dev/null 2>&1) ||
			{ echo "npm_modules: cannot install $*" >&2; rm -rf "$dir"; fixture_unlock; return 1; }
		touch "$dir/.complete"
		fixture_unlock
	fi
	echo "$dir"
}

# fixture_deb_bin PACKAGE PROGRAM: prints the path of a program from a Debian
# package (apt-get download + dpkg-deb -x: nothing is installed, no service
# started), cached; fails when the package cannot be had
fixture_deb_bin() {
	local pkg=$1 dir="$FIXTURE_CACHE/x-$1"
	if [ ! -x "$dir/usr/bin/$2" ]; then
		fixture_lock "x-$pkg" || return 1
		if [ ! -x "$dir/usr/bin/$2" ]; then
			mkdir -p "$FIXTURE_CACHE/debs"
			(cd "$FIXTURE_CACHE/debs" && { ls "${pkg}"_*.deb >/dev/null 2>&1 || fixture_download "$pkg"; }) ||
				{ echo "fixture_deb_bin: cannot download $pkg" >&2; fixture_unlock; return 1; }
			rm -rf "$dir.new.$$" && mkdir -p "$dir.new.$$" &&
				dpkg-deb -x "$(ls "$FIXTURE_CACHE"/debs/"${pkg}"_*.deb | tail -1)" "$dir.new.$$" ||
				{ fixture_unlock; return 1; }
			rm -rf "$dir" && mv "$dir.new.$$" "$dir"
		fi
		fixture_unlock
	fi
	[ -x "$dir/usr/bin/$2" ] && echo "$dir/usr/bin/$2"
}

# promtool from Debian's prometheus package (the server is not started)
fixture_promtool() { fixture_deb_bin prometheus promtool; }
# Debian's node_exporter (its textfile collector reads the daemon's file)
fixture_node_exporter() { fixture_deb_bin prometheus-node-exporter prometheus-node-exporter; }
