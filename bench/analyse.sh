#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/analyse.sh [--corpus DIR] [--pmf RULES.yar] [--no-debian] [--against WSIDCTL] [--rounds R]
# Quality and speed of `wsidctl analyse` (phpscan + rules/*.yar):
#  - detection on the labelled corpus (../shared/corpus/php-webshells.tar.xz,
#    WSID_CORPUS or --corpus overrides): shells raised to suspicious or
#    malicious, benign files raised (false positives), on a fixed split by the
#    parity of each file's SHA-256 (last hex digit even: half A, on which the
#    analyser was tuned; odd: half B, held out), each half reported alone;
#  - false alarms on Debian's real PHP: mediawiki, phpmyadmin, roundcube,
#    dokuwiki, wordpress (scripts/fixtures.sh) and /usr/share/php if present;
#  - throughput in MB/s per core (CPU time, one process), with and without
#    the YARA rules, over the whole corpus and over its benign files alone
#    (application code: what a node mostly analyses); --against names an
#    older wsidctl measured side by side with this one (runs alternating,
#    --rounds R each, default 1; the ratio is what a loaded machine can
#    tell), with the rules of its own tree (the rules/ beside its build/,
#    else this tree's);
#  - beside it php-malware-finder's rules under Debian's yara, when a copy of
#    them is given (--pmf or PMF_RULES: its data/php.yar, with whitelist.yar
#    and whitelists/ beside it); else its published figure on this corpus.
# Targets (issue 18): >= 95 % of shells, <= 0.5 % of benign files and of
# Debian's PHP files, >= 50 MB/s per core. Exit 1 when one is missed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/corpus.sh"
corpus=${WSID_CORPUS:-$(bench_corpus_dir "$top")}
pmf=${PMF_RULES:-}
debian=1 against="" rounds=1
while [ $# -gt 0 ]; do
	case $1 in
	--corpus) corpus=$2; shift 2 ;;
	--pmf) pmf=$2; shift 2 ;;
	--no-debian) debian=0; shift ;;
	--against) against=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	*) echo "usage: $0 [--corpus DIR] [--pmf RULES.yar] [--no-debian] [--against WSIDCTL] [--rounds R]" >&2
		exit 2 ;;
	esac
done
ctl="$top/build/wsidctl"
bash "$top/scripts/deps.sh" bench
make -C "$top" -j"$(nproc)" all >/dev/null
[ -f "$corpus/php-webshells.tar.xz" ] || { echo "analyse: no corpus at $corpus" >&2; exit 2; }
work=$(mktemp -d /var/tmp/wsid-bench-analyse.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -xJf "$corpus/php-webshells.tar.xz" -C "$work"
rules=("--no-default-rules" "--rules" "$top/rules/*.yar")

# half A / half B by SHA-256 parity; lists of relative paths
awk -F'\t' '{ d = substr($2, 64, 1); h = index("02468ace", d) ? "A" : "B"; print h "\t" $1 }' \
	"$work/SOURCES.tsv" > "$work/split.tsv"

# flagged FILE...: the paths wsidctl raised (suspicious or malicious), one a line
flagged() {
	"$ctl" analyse --json "${rules[@]}" "$@" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["verdict"] in ("suspicious", "malicious"):
        print(o["path"])' || true
}

(cd "$work" && flagged webshell benign) > "$work/wsid.flagged"

fail=0
# rate HALF CLASS FLAGGED-FILE: "n/N pct"
rate() {
	awk -F'\t' -v h="$1" -v c="$2" 'NR == FNR { f[$1] = 1; next }
		$1 == h && index($2, c "/") == 1 { n++; if ($2 in f) k++ }
		END { printf "%d/%d %.2f", k, n, n ? 100 * k / n : 0 }' "$3" "$work/split.tsv"
}
pct() { echo "$1" | awk '{ print $2 }'; }

echo "== corpus: $(wc -l < "$work/split.tsv") files, split by SHA-256 parity (A tuned on, B held out)"
printf '%-34s %-22s %-22s\n' "" "half A" "half B"
for c in webshell benign; do
	a=$(rate A $c "$work/wsid.flagged"); b=$(rate B $c "$work/wsid.flagged")
	printf '%-34s %-22s %-22s\n' "wsid: $c raised" "$a %" "$b %"
	for v in "$a" "$b"; do
		p=$(pct "$v")
		if [ $c = webshell ]; then
			awk -v p="$p" 'BEGIN { exit !(p < 95) }' && fail=1
		else
			awk -v p="$p" 'BEGIN { exit !(p > 0.5) }' && fail=1
		fi
	done
done

# php-malware-finder's rules under Debian's yara, on the same files
if [ -n "$pmf" ] && [ -f "$pmf" ] && command -v yara >/dev/null; then
	# yara takes one target a run
	(cd "$work" && for d in webshell benign; do yara -r -w "$pmf" "$d" 2>/dev/null; done | awk '{ print $2 }' |
		sort -u) > "$work/pmf.flagged"
	for c in webshell benign; do
		printf '%-34s %-22s %-22s\n' "php-malware-finder: $c raised" "$(rate A $c "$work/pmf.flagged") %" \
			"$(rate B $c "$work/pmf.flagged") %"
	done
else
	echo "php-malware-finder: no copy of its rules given (--pmf); its published figure on this corpus"
	echo "  (NOTES.md: Debian's yara 4.2.3, yara -r -w php.yar): 756/1000 shells (75.6 %), 133/5000 benign (2.7 %)"
fi

# Debian's real PHP
if [ "$debian" = 1 ]; then
	. "$top/scripts/fixtures.sh"
	echo "== Debian's PHP applications (files raised / PHP files)"
	tot_php=0 tot_bad=0
	for app in mediawiki phpmyadmin roundcube dokuwiki wordpress; do
		d=$(fixture_tree "$app") || { echo "  $app: cannot fetch"; fail=1; continue; }
		php=$(find "$d" -type f \( -name '*.php' -o -name '*.inc' -o -name '*.phtml' -o -name .htaccess \
			-o -name .user.ini \) | wc -l)
		flagged "$d" > "$work/deb.flagged"
		bad=$(wc -l < "$work/deb.flagged")
		pmfbad="-"
		if [ -n "$pmf" ] && [ -f "$pmf" ] && command -v yara >/dev/null; then
			pmfbad=$(yara -r -w "$pmf" "$d" 2>/dev/null | awk '{ print $2 }' | sort -u | wc -l)
		fi
		printf '  %-12s %5d PHP files  wsid %3d raised  php-malware-finder %s\n' "$app" "$php" "$bad" "$pmfbad"
		sed 's/^/      /' "$work/deb.flagged"
		tot_php=$((tot_php + php)) tot_bad=$((tot_bad + bad))
	done
	if [ -d /usr/share/php ]; then
		php=$(find /usr/share/php -type f -name '*.php' | wc -l)
		flagged /usr/share/php > "$work/deb.flagged"
		bad=$(wc -l < "$work/deb.flagged")
		printf '  %-12s %5d PHP files  wsid %3d raised\n' "/usr/share/php" "$php" "$bad"
		tot_php=$((tot_php + php)) tot_bad=$((tot_bad + bad))
	else
		echo "  /usr/share/php: not present on this machine"
	fi
	p=$(awk -v b="$tot_bad" -v n="$tot_php" 'BEGIN { printf "%.2f", n ? 100 * b / n : 0 }')
	echo "  all: $tot_bad of $tot_php PHP files raised ($p %)"
	awk -v p="$p" 'BEGIN { exit !(p > 0.5) }' && fail=1
fi

# throughput: CPU seconds of one process (user + system)
# rules_of CTL: the rule files of CTL's own tree (its build's ../rules), else this tree's
rules_of() {
	local d
	d=$(cd "$(dirname "$1")/.." && pwd)/rules
	if [ -d "$d" ]; then echo "$d/*.yar"; else echo "$top/rules/*.yar"; fi
}
# cpu CTL MODE DIR...: CPU seconds of CTL analysing the DIRs
cpu() {
	local c=$1 mode=$2 args
	shift 2
	if [ "$mode" = phpscan ]; then args=(--no-default-rules); else args=(--no-default-rules --rules "$(rules_of "$c")"); fi
	/usr/bin/time -f "%U %S" -o "$work/time.txt" "$c" analyse "${args[@]}" "$@" >/dev/null 2>&1 || true
	# (time writes a line of its own before, when the status is not 0)
	tail -n 1 "$work/time.txt" | awk '{ print $1 + $2 }'
}
ctls=("$ctl")
[ -n "$against" ] && ctls+=("$against")
echo "== throughput, CPU time of one process; load $(cut -d' ' -f1-3 /proc/loadavg)"
for set in all benign; do
	if [ $set = all ]; then dirs=("$work/webshell" "$work/benign"); else dirs=("$work/benign"); fi
	bytes=$(find "${dirs[@]}" -type f -exec cat {} + | wc -c)
	for mode in phpscan rules; do
		for i in "${!ctls[@]}"; do : > "$work/cpu.$i.$mode"; done
		for _ in $(seq 1 "$rounds"); do
			for i in "${!ctls[@]}"; do
				cpu "${ctls[$i]}" $mode "${dirs[@]}" >> "$work/cpu.$i.$mode"
			done
		done
		for i in "${!ctls[@]}"; do
			c=${ctls[$i]} f="$work/cpu.$i.$mode"
			# the fastest round counts (the least disturbed by other work)
			s=$(sort -n "$f" | head -n 1)
			mbs=$(awk -v b="$bytes" -v s="$s" 'BEGIN { printf "%.0f", b / 1e6 / s }')
			printf '== throughput (%s, %s files%s): %.1f MB in %.2f s CPU: %s MB/s per core (rounds: %s)\n' \
				"$([ $mode = phpscan ] && echo "phpscan alone" || echo "phpscan + rules/*.yar")" "$set" \
				"$([ "$c" = "$ctl" ] && echo "" || echo ", $c")" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" \
				"$s" "$mbs" "$(tr '\n' ' ' < "$f")"
			[ "$c" = "$ctl" ] && [ $set = all ] && [ "$mbs" -lt 50 ] && fail=1
		done
	done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$fail" = 0 ] && echo "analyse: all targets met" || echo "analyse: a target missed"
exit "$fail"
