#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-runner: alone (it installs the package on this machine)
# The Debian package: built from a fresh copy of the tree with
# dpkg-buildpackage, lintian clean of errors and warnings, installed on this
# machine with apt-get, what it installed checked (files, modes, conffile, the
# index postinst builds, the units enabled), the installed daemon run by hand
# on a webspace on this test's tmpfs, an upgrade keeping a changed conffile and
# the state, and a purge that leaves nothing behind. PID 1 here is not systemd:
# the maintainer scripts must work without it. The package is purged at exit,
# whatever happened. A machine where wsid is installed (package or make
# install) is not touched.
. "$(dirname "$0")/../lib/lib.sh"
need_root
D=$T_TMP
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
version=$(sed -n 's/^#define WSID_VERSION "\(.*\)"$/\1/p' "$WSID_TOP/include/util.h")
arch=$(dpkg --print-architecture)

installed() { dpkg-query -W -f='${db:Status-Status}' wsid 2>/dev/null | grep -qx installed; }
for p in /etc/wsid /var/lib/wsid /usr/share/wsid /usr/sbin/wsid /usr/local/sbin/wsid; do
	if [ -e "$p" ] || installed; then
		fail "wsid is installed on this machine already ($p or the package): not touching it"
		t_done; exit 1
	fi
done

T_INSTALLED=0
pkg_cleanup() {
	local i
	[ "$T_INSTALLED" = 1 ] || return 0
	[ -n "${PKG_DAEMON:-}" ] && kill "$PKG_DAEMON" 2>/dev/null
	for i in $(seq 1 50); do [ -n "${PKG_DAEMON:-}" ] && kill -0 "$PKG_DAEMON" 2>/dev/null || break; sleep 0.1; done
	"${APT[@]}" purge wsid >/dev/null 2>&1 || dpkg --purge wsid >/dev/null 2>&1
}
trap 'pkg_cleanup; t_cleanup' EXIT

# -- Build-Depends: every library scripts/deps.sh installs for the build
deps_libs=$(sed -n '/^pkgs="/,/"$/p' "$WSID_TOP/scripts/deps.sh" | grep -oE '\b[a-z0-9][a-z0-9.+-]*-dev\b' | sort -u)
bd_libs=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$WSID_TOP/debian/control" | grep -oE '\b[a-z0-9][a-z0-9.+-]*-dev\b' | sort -u)
check_eq "debian/control's Build-Depends name the libraries scripts/deps.sh builds with" \
	"$deps_libs" "$bd_libs"

# -- build: a fresh copy of the tree (nothing of build/ reused)
mkdir -p "$D/src"
tar -C "$WSID_TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$D/src" -xf -
t0=$SECONDS
(cd "$D/src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$D/build.log" 2>&1; rc=$?
echo "# dpkg-buildpackage: $((SECONDS - t0)) s"
check_eq "dpkg-buildpackage -us -uc -b" 0 "$rc" || tail -30 "$D/build.log"
DEB=$D/wsid_${version}_${arch}.deb
DBG=$D/wsid-dbgsym_${version}_${arch}.deb
check "wsid_${version}_${arch}.deb: the version is WSID_VERSION" test -s "$DEB"
[ -s "$DEB" ] || { t_done; exit 1; }
check "the -dbgsym package carries the debug info of both binaries" bash -c \
	"[ \$(dpkg-deb -c '$DBG' | grep -c '/usr/lib/debug/.build-id/.*\.debug\$') -eq 2 ]"
t0=$SECONDS
lintian --fail-on error,warning "$D"/wsid_"${version}"_"${arch}".changes >"$D/lintian.log" 2>&1; rc=$?
echo "# lintian: $((SECONDS - t0)) s"
check_eq "lintian: no error, no warning" 0 "$rc"
grep -E '^[EW]: ' "$D/lintian.log" | head -20
check "every lintian override says why (a block of them under a comment)" bash -c \
	"! grep -vE '^#|^\$' '$WSID_TOP/debian/wsid.lintian-overrides' | grep -q . || \
	 awk '/^[^#]/ && prev !~ /^[^#]|^#/ {bad=1} {prev=\$0} END {exit bad}' '$WSID_TOP/debian/wsid.lintian-overrides'"

# -- install
T_INSTALLED=1
t0=$SECONDS
"${APT[@]}" install "$DEB" >"$D/install.log" 2>&1; rc=$?
echo "# apt-get install: $((SECONDS - t0)) s"
check_eq "apt-get install ./wsid_${version}_${arch}.deb (PID 1 is $(ps -p 1 -o comm=))" 0 "$rc" || tail -20 "$D/install.log"
check "installed" installed
check_eq "wsid --version" "wsid $version" "$(/usr/sbin/wsid --version)"
check_eq "wsidctl --version" "wsidctl $version" "$(/usr/sbin/wsidctl --version)"
check_eq "/etc/wsid/wsid.yaml: root, 0600" "root:root 600" "$(stat -c '%U:%G %a' /etc/wsid/wsid.yaml)"
check_eq "/etc/wsid and customers.d: root, 0750" "root:root 750 root:root 750" \
	"$(stat -c '%U:%G %a' /etc/wsid /etc/wsid/customers.d | xargs)"
check "/etc/wsid/wsid.yaml is a conffile" bash -c \
	"dpkg-query -W -f='\${Conffiles}' wsid | grep -q '^ /etc/wsid/wsid.yaml '"
check "the configuration reads the shipped fingerprints" grep -q '^  - /usr/share/wsid/fingerprints$' /etc/wsid/wsid.yaml
check "wsid --check-config (the installed configuration)" /usr/sbin/wsid --check-config
check_eq "/var/lib/wsid: a directory" "directory" "$(stat -c %F /var/lib/wsid)"
nfp=$(find "$WSID_TOP/fingerprints" -type f | wc -l)
check_eq "the shipped fingerprints, all of them" "$nfp" "$(find /usr/share/wsid/fingerprints -type f | wc -l)"
check_eq "postinst built the index of the shipped sets" \
	"$(ls "$WSID_TOP"/fingerprints/wordpress/*.sha256* | wc -l)" \
	"$(/usr/sbin/wsidctl --json index stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"])')"
check_eq "/var/lib/wsid/wsid.db: 0600" 600 "$(stat -c %a /var/lib/wsid/wsid.db)"
for m in wsid.8 wsidctl.8 wsid.yaml.5; do
	check "man page $m" test -f "/usr/share/man/man${m##*.}/$m.gz"
done
# the README's links to doc/*.md resolve in the installed documentation
for l in $(grep -o '(doc/[a-z]*\.md)' "$WSID_TOP/README.md" | tr -d '()' | sort -u); do
	check "README link $l installed" test -f "/usr/share/doc/wsid/$l"
done
check "man wsidctl finds it" bash -c "man -w wsidctl | grep -q '^/usr/share/man/man8/wsidctl.8.gz$'"
check "bash completion of wsidctl" bash -c \
	". /usr/share/bash-completion/completions/wsidctl && complete -p wsidctl | grep -q _wsidctl"
for u in wsid wsid-deliver; do
	check "$u.service installed, ExecStart=/usr/sbin/wsid" grep -q '^ExecStart=/usr/sbin/wsid ' /lib/systemd/system/$u.service
	check "$u.service enabled (deb-systemd-helper, without systemd running)" \
		test -L /etc/systemd/system/multi-user.target.wants/$u.service
done
check "the installed units pass systemd-analyze verify" \
	systemd-analyze verify --man=no /lib/systemd/system/wsid.service /lib/systemd/system/wsid-deliver.service
check "the delivery runs as the unit's dynamic user" grep -qx 'DynamicUser=yes' /lib/systemd/system/wsid-deliver.service

# -- the installed daemon, by hand, on a webspace on this test's tmpfs
mount_tmpfs "$D/m" 512m
WP=$(fixture_tree wordpress) || { fail "fixture wordpress"; t_done; exit 1; }
copy_tree "$WP" "$D/m/vhosts/alice/httpdocs"
cat >"$D/wsid.yaml" <<EOF
database: /var/lib/wsid/wsid.db
control_socket: $D/ctl.sock
webspaces:
  - pattern: $D/m/vhosts/{customer}/httpdocs
EOF
C=(--config "$D/wsid.yaml")
/usr/sbin/wsid "${C[@]}" --foreground >>"$D/wsid.log" 2>&1 &
PKG_DAEMON=$!
for _ in $(seq 1 200); do
	/usr/sbin/wsidctl "${C[@]}" status >/dev/null 2>&1 && break
	kill -0 "$PKG_DAEMON" 2>/dev/null || break
	sleep 0.1
done
check "the installed wsid: up and watching" bash -c "/usr/sbin/wsidctl ${C[*]} status >/dev/null"
/usr/sbin/wsidctl "${C[@]}" sync --timeout 60 >/dev/null
check_eq "the installed index identifies Debian's WordPress" "alice wordpress 6.1.9" \
	"$(/usr/sbin/wsidctl "${C[@]}" sites --json | python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l); print(e["customer"], e["product"], e["version"])')"
mkdir -p "$D/m/vhosts/alice/httpdocs/wp-content/uploads"
echo '<?php system($_GET["c"]);' > "$D/m/vhosts/alice/httpdocs/wp-content/uploads/x.php"
/usr/sbin/wsidctl "${C[@]}" sync --timeout 60 >/dev/null
check "a web shell in uploads: malicious (its analysis)" bash -c \
	"/usr/sbin/wsidctl ${C[*]} events --json --verdict malicious | grep -q 'uploads/x.php'"
kill "$PKG_DAEMON"
for _ in $(seq 1 100); do kill -0 "$PKG_DAEMON" 2>/dev/null || break; sleep 0.1; done
check "stopped by SIGTERM" bash -c "! kill -0 $PKG_DAEMON 2>/dev/null"
PKG_DAEMON=

# -- upgrade: the same package as a newer version, over the installed one
sed -i 's/^log_level: info /log_level: notice /' /etc/wsid/wsid.yaml
check "the admin changed the conffile" grep -q '^log_level: notice ' /etc/wsid/wsid.yaml
sum=$(sha256sum < /etc/wsid/wsid.yaml)
dpkg-deb -R "$DEB" "$D/up"
sed -i "s/^Version: .*/Version: ${version}+up1/" "$D/up/DEBIAN/control"
dpkg-deb -Znone -b "$D/up" "$D/wsid_${version}+up1_${arch}.deb" >/dev/null
"${APT[@]}" install "$D/wsid_${version}+up1_${arch}.deb" >"$D/upgrade.log" 2>&1; rc=$?
check_eq "apt-get install of ${version}+up1 over ${version}" 0 "$rc" || tail -20 "$D/upgrade.log"
check_eq "upgraded" "${version}+up1" "$(dpkg-query -W -f='${Version}' wsid)"
check_eq "the changed conffile kept" "$sum" "$(sha256sum < /etc/wsid/wsid.yaml)"
check_eq "the conffile still 0600" 600 "$(stat -c %a /etc/wsid/wsid.yaml)"
check "no .dpkg-dist or .dpkg-new left" bash -c "! ls /etc/wsid/*.dpkg-* 2>/dev/null | grep -q ."
check "the state kept (alice's installation still known)" bash -c \
	"/usr/sbin/wsidctl --db /var/lib/wsid/wsid.db sites --json | grep -q '\"customer\":\"alice\"'"

# -- purge
"${APT[@]}" purge wsid >"$D/purge.log" 2>&1; rc=$?
check_eq "apt-get purge wsid" 0 "$rc" || tail -20 "$D/purge.log"
check "not installed any more" bash -c "! dpkg-query -W -f='\${db:Status-Status}' wsid 2>/dev/null | grep -qv not-installed"
T_INSTALLED=0
for p in /etc/wsid /var/lib/wsid /usr/share/wsid /usr/sbin/wsid /usr/sbin/wsidctl /run/wsid \
	/lib/systemd/system/wsid.service /lib/systemd/system/wsid-deliver.service \
	/usr/share/man/man8/wsidctl.8.gz /usr/share/bash-completion/completions/wsidctl /usr/share/doc/wsid; do
	check "purge: $p gone" test ! -e "$p"
done
check "purge: no unit enabled any more" bash -c \
	"! find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled -name 'wsid*' 2>/dev/null | grep -q ."
t_done
