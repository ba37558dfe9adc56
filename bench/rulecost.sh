#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/rulecost.sh [--corpus DIR] [--sample K] [--strings] [RULES.yar]
# What each YARA rule (or, with --strings, each string) costs the analyser:
# valgrind's instruction count of `wsidctl analyse` over every K-th file of
# the labelled corpus (default 3; ../shared/corpus, WSID_CORPUS or --corpus
# overrides), with the rule file as it is and with one rule left out (one
# string replaced by a literal no file holds), one variant at a time. The
# difference is that rule's (string's) share: its atoms in libyara's
# automaton, their verification, its condition. Instruction counts do not
# move with the machine's load, as CPU time does; the figures are counts, not
# seconds. Default rule file: rules/php.yar. Slow: about 5 s a variant.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/corpus.sh"
corpus=${WSID_CORPUS:-$(bench_corpus_dir "$top")}
sample=3 strings=0 rules="$top/rules/php.yar"
while [ $# -gt 0 ]; do
	case $1 in
	--corpus) corpus=$2; shift 2 ;;
	--sample) sample=$2; shift 2 ;;
	--strings) strings=1; shift ;;
	-*) echo "usage: $0 [--corpus DIR] [--sample K] [--strings] [RULES.yar]" >&2; exit 2 ;;
	*) rules=$1; shift ;;
	esac
done
command -v valgrind >/dev/null || { echo "rulecost: valgrind is needed" >&2; exit 2; }
[ -f "$corpus/php-webshells.tar.xz" ] || { echo "rulecost: no corpus at $corpus" >&2; exit 2; }
make -C "$top" -j"$(nproc)" all >/dev/null
work=$(mktemp -d /var/tmp/wsid-bench-rulecost.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -xJf "$corpus/php-webshells.tar.xz" -C "$work"
(cd "$work" && find webshell benign -type f | sort | awk -v k="$sample" 'NR % k == 0') > "$work/files"
mb=$(cd "$work" && xargs -a files -d '\n' cat | wc -c | awk '{ printf "%.1f", $1 / 1e6 }')

# count(TEXT): instructions (millions) of one analyse run over the sample
# with TEXT as its only rule file
export WSID_RULECOST_CTL="$top/build/wsidctl" WSID_RULECOST_DIR="$work"
python3 - "$rules" "$strings" "$mb" "$(wc -l < "$work/files")" "$sample" <<'EOF'
import os, re, subprocess, sys

rules, per_string, mb, nfiles, k = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4], sys.argv[5]
ctl, work = os.environ["WSID_RULECOST_CTL"], os.environ["WSID_RULECOST_DIR"]
files = open(os.path.join(work, "files")).read().split("\n")[:-1]

def count(text):
    path = os.path.join(work, "variant.yar")
    with open(path, "w") as f:
        f.write(text)
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null", ctl, "analyse",
                          "--no-default-rules", "--rules", path] + files,
                         cwd=work, capture_output=True, text=True).stderr
    m = re.search(r"I\s+refs:\s+([0-9,]+)", out)
    if m is None:
        sys.exit("rulecost: no count from valgrind:\n" + out[-2000:])
    return int(m.group(1).replace(",", "")) / 1e6

src = open(rules).read()
full = count(src)
none = count("")
print("sample: %s files, %s MB (every %s-th file of the corpus); load %s" %
      (nfiles, mb, k, open("/proc/loadavg").read().split()[0]))
print("instructions: %.0f M with %s, %.0f M without any rule: the rules' share %.0f M" %
      (full, os.path.basename(rules), none, full - none))
rows = []
if per_string:
    lines = src.split("\n")
    rule = ""
    for i, line in enumerate(lines):
        m = re.match(r"\s*(private\s+)?rule\s+(\w+)", line)
        if m:
            rule = m.group(2)
        m = re.match(r"(\s*)(\$\w*)\s*=\s*(.*)$", line)
        if m is None:
            continue
        alt = lines[:]
        alt[i] = '%s%s = "\\x01\\x02\\x03\\x04\\x05\\x06"' % (m.group(1), m.group(2))
        rows.append((full - count("\n".join(alt)), "%s %s" % (rule, m.group(2))))
else:
    blocks = re.findall(r"((?:private\s+)?rule\s+(\w+)\s*\{.*?\n\})", src, re.S)
    for text, name in blocks:
        if text.startswith("private"):
            continue  # others' conditions name it
        rows.append((full - count(src.replace(text, "")), name))
for cost, name in sorted(rows, reverse=True):
    print("%8.1f M %5.1f %%  %s" % (cost, 100 * cost / (full - none), name))
EOF
