#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A tenant hiding a file from the live daemon, run as the tenant (uid 1234):
# a name that looks like an O_TMPFILE's ("#31337"). It is judged at once.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/hostile.sh"
need_root

TENANT=1234
as_tenant() { setpriv --reuid=$TENANT --regid=$TENANT --clear-groups "$@"; }

hostile_pre() {
	# the tenant reaches its directories (the scratch directory is 0700)
	chmod 755 "$D" "$D/m" "$D/m/vhosts"
	mkdir -p "$WS/wp-content/uploads"
	echo "hello" > "$WS/wp-content/uploads/#31337"
	chown -R $TENANT:$TENANT "$D/m/vhosts/alice"
}
hostile_init 512m || { fail "set-up"; t_done; exit 1; }
UP=$WS/wp-content/uploads
SHELL_PHP='<?php system($_GET["c"]); ?>'

# -- a name like an O_TMPFILE's is judged by its inode, not by its digits
as_tenant bash -c "printf '%s\n' '$SHELL_PHP' > '$UP/#4711'"
bounded_sync "#4711 written" 30
check_eq "uploads/#4711 holding PHP (new): suspicious at once, not only after a reconcile" \
	"suspicious" "$(evq "$D" "path=$UP/#4711" -- verdict)"
# a file the daemon found at its start (no handle seen yet), rewritten in place
as_tenant bash -c "printf '%s\n' '$SHELL_PHP' > '$UP/#31337'"
bounded_sync "#31337 rewritten" 30
check_eq "uploads/#31337 rewritten with PHP: suspicious at once" \
	"suspicious" "$(evq "$D" "path=$UP/#31337" -- verdict)"
check_eq "uploads/#31337: its row holds the PHP's hash" "$(printf '%s\n' "$SHELL_PHP" | sha256sum | cut -d' ' -f1)" \
	"$(file_row "wp-content/uploads/#31337" "lower(hex(sha256))")"
# (an O_TMPFILE written after linkat is still followed by its handle: daemon.sh)

daemon_alive "the end"
canary_untouched "the end"
t_done
