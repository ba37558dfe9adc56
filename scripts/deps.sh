#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian 12 packages wsid needs, only those missing.
#   scripts/deps.sh build   compiler and libraries
#   scripts/deps.sh test    + what the test suite drives (servers, tools)
#   scripts/deps.sh bench   + the tools the benchmarks compare against
#   scripts/deps.sh fuzz    + clang and libFuzzer
#   scripts/deps.sh lint    + cppcheck, clang-tidy, valgrind (make lint, make valgrind)
set -eu
what=${1:-build}
pkgs="build-essential pkg-config make gcc libsqlite3-dev libyaml-dev libsodium-dev
      libcurl4-openssl-dev libarchive-dev libssl-dev zlib1g-dev libyara-dev sqlite3 ca-certificates"
case $what in
build) ;;
test) pkgs="$pkgs python3 python3-aiosmtpd e2fsprogs util-linux procps psmisc systemd curl nginx-light php-fpm
            zip unzip xz-utils bzip2 man-db dpkg-dev debhelper lintian"
      # promtool and node_exporter are not installed: the metrics test unpacks
      # Debian's prometheus and prometheus-node-exporter packages itself
      # (scripts/fixtures.sh), since installing them starts their services
      # npm fetches real release archives and the webhook libraries the
      # tests verify with (node runs them; Debian's nodejs comes with npm)
      # a real web stack for tests/integration/webapp.sh (tests/lib/webstack.sh
      # runs its own nginx and php-fpm on 127.0.0.1; the packages' services
      # are not started: see the install below)
      pkgs="$pkgs nginx-light php-fpm php-xml php-gd"
      command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
      command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
      # Debian's default MTA with its stock configuration, the relay the mail
      # test sends through (tests/integration/notify_mta.sh runs its own exim
      # on a port of its own; the system's service, if the package starts it,
      # is not used). Another MTA already installed is left alone (installing
      # exim would remove it): then that test says exim is missing
      if ! dpkg-query -W -f='${Status}' exim4-daemon-light 2>/dev/null | grep -q "install ok installed" &&
         dpkg-query -W -f='${Status}\n' postfix sendmail-bin opensmtpd msmtp-mta nullmailer dma 2>/dev/null |
         grep -q "install ok installed"; then
	      echo "deps: another MTA is installed: exim4-daemon-light not installed" >&2
      else
	      pkgs="$pkgs exim4-daemon-light openssl"
      fi ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
lint) pkgs="$pkgs cppcheck clang-tidy valgrind" ;;
bench) pkgs="$pkgs hyperfine aide inotify-tools time e2fsprogs util-linux python3 yara xz-utils"
       # real PHP libraries under /usr/share/php: benign code for bench/analyse.sh
       pkgs="$pkgs php-symfony php-twig php-phpseclib php-guzzlehttp-psr7 php-monolog php-getid3
             php-tcpdf php-doctrine-dbal php-nikic-fast-route php-laravel-framework" ;;
*) echo "usage: $0 build|test|bench|fuzz|lint" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || apt-get update
# no service a package brings is started (nginx would take port 80): a
# policy-rc.d that denies, unless the machine has one
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
