#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion offers what wsidctl's usage texts print: every verb of
# `wsidctl --help`, every option of each verb's usage line (and of each index
# subcommand's), the subcommands of index, mark and notify. Run through the
# completion function itself, as bash would call it.
. "$(dirname "$0")/../lib/lib.sh"
COMPL=$WSID_TOP/etc/bash-completion/wsidctl
complete() { :; } # the file registers itself; not needed here
. "$COMPL"
unset -f complete
# offers WORD...: the completion of the words typed (the last is the prefix)
offers() {
	COMP_WORDS=(wsidctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_wsidctl
	printf '%s\n' "${COMPREPLY[@]}"
}
help=$("$WSIDCTL" --help)
verbs=$(awk '/^verbs:/{v=1; next} v && /^  [a-z]/{print $1}' <<<"$help")
check "the help lists verbs" [ "$(wc -w <<<"$verbs")" -ge 15 ]
for v in $verbs; do
	check "verb $v completed" grep -qx "$v" <<<"$(offers "")"
	usage=$(awk -v v="$v" '/^verbs:/{s=1; next} s && $1 == v {getline; print; exit}' <<<"$help")
	[ "$v" = index ] && usage=$("$WSIDCTL" index --help 2>&1)
	missing=""
	for o in $(grep -oE -- '--[a-z][a-z-]*' <<<"$usage" | sort -u); do
		grep -qx -- "$o" <<<"$(offers "$v" index-sub "--")" || grep -qx -- "$o" <<<"$(offers "$v" "--")" ||
			missing="$missing $o"
	done
	check_eq "$v: every option of its usage is completed" "" "$missing"
done
check_eq "index: its subcommands" "build export fetch import import-checksums ingest keygen stats" "$(offers index "" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "notify: test and secret" "secret test" "$(offers notify "" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "mark: its subcommands" "export import list malicious remove trusted" "$(offers mark "" | sort | tr '\n' ' ' | sed 's/ $//')"
check "analyse --rules completes a file" grep -qx "$COMPL" <<<"$(offers analyse --rules "$COMPL")"
t_done
