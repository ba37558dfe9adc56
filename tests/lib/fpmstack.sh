# SPDX-License-Identifier: GPL-2.0-or-later
# A real web stack on 127.0.0.1 for the request attribution suite: Debian's
# php-fpm and nginx, each started in the foreground by the test (their pids in
# T_PIDS: lib.sh's trap stops them), configured in a directory of the test's.
# Source after lib.sh.
#
#   fpm_binary                      the php-fpm binary (php-fpmX.Y), or nothing
#   fpm_start DIR POOL:UID:STATUS.. one master, a pool per argument: its workers
#                                   run as UID, listen on DIR/POOL.sock, with
#                                   pm.status_path /status when STATUS is "status"
#   nginx_start DIR SITE:PORT:ROOT:POOL..
#                                   one server per site on 127.0.0.1:PORT, its
#                                   PHP to POOL's socket, its access log (nginx's
#                                   combined format) DIR/logs/SITE.access.log
#   fpm_worker_pids POOL            the pids of POOL's workers (of our master)

fpm_binary() {
	local b
	for b in /usr/sbin/php-fpm*; do [ -x "$b" ] && { echo "$b"; return 0; }; done
	return 1
}

fpm_start() {
	local dir=$1 spec pool uid st bin i
	shift
	bin=$(fpm_binary) || return 1
	mkdir -p "$dir"
	{
		echo "[global]"
		echo "pid = $dir/fpm.pid"
		echo "error_log = $dir/fpm.log"
		echo "daemonize = no"
		for spec in "$@"; do
			IFS=: read -r pool uid st <<<"$spec"
			echo "[$pool]"
			echo "user = $uid"
			echo "group = $uid"
			echo "listen = $dir/$pool.sock"
			echo "listen.mode = 0666"
			echo "pm = static"
			echo "pm.max_children = 3"
			[ "$st" = status ] && echo "pm.status_path = /status"
			echo "catch_workers_output = yes"
			echo "php_admin_value[upload_tmp_dir] = $dir/tmp-$pool"
			echo "php_admin_flag[log_errors] = on"
			mkdir -p "$dir/tmp-$pool"
			chown "$uid:$uid" "$dir/tmp-$pool"
		done
	} > "$dir/fpm.conf"
	"$bin" -y "$dir/fpm.conf" -F >>"$dir/fpm.out" 2>&1 &
	FPM_PID=$!
	T_PIDS+=("$FPM_PID")
	for i in $(seq 1 100); do
		local ok=1
		for spec in "$@"; do [ -S "$dir/${spec%%:*}.sock" ] || ok=0; done
		[ $ok = 1 ] && return 0
		kill -0 "$FPM_PID" 2>/dev/null || { cat "$dir/fpm.out" "$dir/fpm.log" 2>/dev/null; return 1; }
		sleep 0.1
	done
	return 1
}

fpm_worker_pids() {
	local p
	for p in $(pgrep -P "$FPM_PID"); do
		tr '\0' ' ' < "/proc/$p/cmdline" | grep -q "^php-fpm: pool $1 *$" && echo "$p"
	done
}

nginx_start() {
	local dir=$1 spec site port root pool i
	shift
	mkdir -p "$dir/logs" "$dir/tmp"
	chmod 777 "$dir/tmp"
	{
		echo "user nobody nogroup;"
		echo "worker_processes 1;"
		echo "pid $dir/nginx.pid;"
		echo "error_log $dir/logs/error.log;"
		echo "events { worker_connections 64; }"
		echo "http {"
		echo "  client_body_temp_path $dir/tmp/body; fastcgi_temp_path $dir/tmp/fcgi;"
		echo "  proxy_temp_path $dir/tmp/proxy; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;"
		echo "  client_max_body_size 4m;"
		for spec in "$@"; do
			IFS=: read -r site port root pool <<<"$spec"
			echo "  server {"
			echo "    listen 127.0.0.1:$port;"
			echo "    root $root;"
			echo "    access_log $dir/logs/$site.access.log combined;"
			echo "    location ~ \\.php\$ {"
			echo "      include /etc/nginx/fastcgi_params;"
			echo "      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;"
			echo "      fastcgi_pass unix:$dir/$pool.sock;"
			echo "    }"
			echo "  }"
		done
		echo "}"
	} > "$dir/nginx.conf"
	nginx -c "$dir/nginx.conf" -g 'daemon off;' >>"$dir/nginx.out" 2>&1 &
	NGINX_PID=$!
	T_PIDS+=("$NGINX_PID")
	for i in $(seq 1 100); do
		[ -s "$dir/nginx.pid" ] && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || { cat "$dir/nginx.out" "$dir/logs/error.log" 2>/dev/null; return 1; }
		sleep 0.1
	done
	return 1
}

# a free TCP port on 127.0.0.1
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
