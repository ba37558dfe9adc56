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


# npm_release NAME VERSION: prints the path of a real release archive from the
# npm registry (npm pack), cached so a second run needs no network
npm_release() {
	local dir="$FIXTURE_CACHE/npm" f
	f="$dir/$1-$2.tgz"
	if [ ! -s "$f" ]; then
		mkdir -p "$dir"
		(cd "$dir" && npm pack "$1@$2" >/dev/null 2>&1) || { echo "npm_release: cannot fetch $1@$2" >&2; return 1; }
	fi
	[ -s "$f" ] && echo "$f"
}

# npm_modules NAME@VERSION...: prints a directory whose node_modules holds
# these packages from the npm registry with their dependencies (npm install),
# cached so a second run needs no network
npm_modules() {
	local dir="$FIXTURE_CACHE/npm/modules-$(echo "$*" | sha256sum | cut -c1-12)"
	if [ ! -e "$dir/.complete" ]; then
		rm -rf "$dir" && mkdir -p "$dir" &&
			(cd "$dir" && echo '{"private": true}' > package.json &&
				npm install --no-audit --no-fund --ignore-scripts "$@" >/dev/null 2>&1) ||
			{ echo "npm_modules: cannot install $*" >&2; rm -rf "$dir"; return 1; }
		touch "$dir/.complete"
	fi
	echo "$dir"
}

# fixture_deb_bin PACKAGE PROGRAM: prints the path of a program from a Debian
# package (apt-get download + dpkg-deb -x: nothing is installed, no service
# started), cached; fails when the package cannot be had
fixture_deb_bin() {
	local pkg=$1 dir="$FIXTURE_CACHE/x-$1"
	if [ ! -x "$dir/usr/bin/$2" ]; then
		mkdir -p "$FIXTURE_CACHE/debs"
		(cd "$FIXTURE_CACHE/debs" && { ls "${pkg}"_*.deb >/dev/null 2>&1 ||
			apt-get download "$pkg" >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1; apt-get download "$pkg" >/dev/null 2>&1; }; }) ||
			{ echo "fixture_deb_bin: cannot download $pkg" >&2; return 1; }
		rm -rf "$dir.new.$$" && mkdir -p "$dir.new.$$" &&
			dpkg-deb -x "$(ls "$FIXTURE_CACHE"/debs/"${pkg}"_*.deb | tail -1)" "$dir.new.$$" || return 1
		rm -rf "$dir" && mv "$dir.new.$$" "$dir"
	fi
	[ -x "$dir/usr/bin/$2" ] && echo "$dir/usr/bin/$2"
}

# promtool from Debian's prometheus package (the server is not started)
fixture_promtool() { fixture_deb_bin prometheus promtool; }
# Debian's node_exporter (its textfile collector reads the daemon's file)
fixture_node_exporter() { fixture_deb_bin prometheus-node-exporter prometheus-node-exporter; }
