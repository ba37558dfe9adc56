# SPDX-License-Identifier: GPL-2.0-or-later
# A real web stack for the tests, as a hoster runs one: Debian's nginx in front
# of Debian's php-fpm, one pool per customer running as the customer's uid, on
# 127.0.0.1 only. Source it after lib.sh; both servers are started in the
# foreground of a background job, their pids kept (T_PIDS: lib.sh's trap stops
# them whatever happens; webstack_stop stops them by pid first).
#
#   webstack_site NAME UID DOCROOT PORT [OPTS]
#                                         a customer: a php-fpm pool NAME running
#                                         as UID (socket DIR/run/NAME.sock), an nginx
#                                         server on 127.0.0.1:PORT; OPTS, comma
#                                         separated: status (the pool's status page
#                                         at /status), static (pm = static: its 3
#                                         workers run from the start)
#   webstack_start DIR                    writes the configuration into DIR, starts
#                                         php-fpm and nginx, waits for every port
#   webstack_stop                         stops both (by pid), waits for them
#   webstack_free_port                    a free port on 127.0.0.1
#
# WEBSTACK_GADGET=FILE (set before webstack_start): every server also runs the
# PHP script FILE, kept outside the webspaces, at /__gadget, in the customer's
# pool: the stand-in for an exploited application (the files it writes are the
# pool's writes, as an attacker's would be; its own code is not in a webspace).
#
# DIR must be traversable by the workers (nginx runs its workers as www-data).
# The request log DIR/access.log has one line per request: time, customer
# (the server's name), client port, method, URI, status; each server also
# writes nginx's combined format to DIR/logs/NAME.access.log.
WEBSTACK_SITES=()
WEBSTACK_NGINX_PID=
WEBSTACK_FPM_PID=
WEBSTACK_DIR=
WEBSTACK_GADGET=${WEBSTACK_GADGET:-}

webstack_fpm_bin() {
	local b
	for b in /usr/sbin/php-fpm8.2 /usr/sbin/php-fpm*; do [ -x "$b" ] && { echo "$b"; return 0; }; done
	return 1
}

# webstack_have: both servers are installed (scripts/deps.sh test)
webstack_have() { [ -x /usr/sbin/nginx ] && webstack_fpm_bin >/dev/null; }

webstack_site() { WEBSTACK_SITES+=("$1|$2|$3|$4|${5:-}"); }

webstack_config() {
	local dir=$1 s name uid root port opts
	mkdir -p "$dir/tmp" "$dir/run" "$dir/logs"
	chown www-data "$dir/tmp"
	{
		echo "[global]"
		echo "pid = $dir/run/php-fpm.pid"
		echo "error_log = $dir/php-fpm.log"
		echo "daemonize = no"
		for s in "${WEBSTACK_SITES[@]}"; do
			IFS='|' read -r name uid root port opts <<<"$s"
			echo "[$name]"
			echo "user = $uid"
			echo "group = $uid"
			echo "listen = $dir/run/$name.sock"
			echo "listen.owner = www-data"
			echo "listen.mode = 0600"
			if [[ ",$opts," == *,static,* ]]; then
				echo "pm = static"
			else
				echo "pm = ondemand"
				echo "pm.process_idle_timeout = 30s"
			fi
			echo "pm.max_children = 3"
			[[ ",$opts," == *,status,* ]] && echo "pm.status_path = /status"
			echo "chdir = $root"
			echo "catch_workers_output = yes"
			echo "php_admin_value[error_log] = $dir/php-$name.err"
			echo "php_admin_value[upload_tmp_dir] = $root/../tmp"
			echo "php_admin_value[session.save_path] = $root/../tmp"
		done
	} > "$dir/php-fpm.conf"
	{
		echo "user www-data;"
		echo "worker_processes 1;"
		echo "daemon off;"
		echo "pid $dir/run/nginx.pid;"
		echo "error_log $dir/nginx.err warn;"
		echo "events { worker_connections 64; }"
		echo "http {"
		echo "  include /etc/nginx/mime.types;"
		echo "  default_type application/octet-stream;"
		echo "  log_format wsidt '\$msec \$server_name \$remote_port \$request_method \$request_uri \$status';"
		echo "  access_log $dir/access.log wsidt;"
		echo "  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;"
		echo "  fastcgi_temp_path $dir/tmp/fcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;"
		echo "  client_max_body_size 16m;"
		for s in "${WEBSTACK_SITES[@]}"; do
			IFS='|' read -r name uid root port opts <<<"$s"
			echo "  server {"
			echo "    listen 127.0.0.1:$port;"
			echo "    server_name $name;"
			echo "    access_log $dir/access.log wsidt;"
			echo "    access_log $dir/logs/$name.access.log combined;"
			echo "    root $root;"
			echo "    index index.php doku.php index.html;"
			echo "    location ~ [^/]\\.php(/|\$) {"
			echo "      fastcgi_split_path_info ^(.+?\\.php)(/.*)\$;"
			echo "      if (!-f \$document_root\$fastcgi_script_name) { return 404; }"
			echo "      include /etc/nginx/fastcgi_params;"
			echo "      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;"
			echo "      fastcgi_param PATH_INFO \$fastcgi_path_info;"
			echo "      fastcgi_pass unix:$dir/run/$name.sock;"
			echo "    }"
			if [ -n "$WEBSTACK_GADGET" ]; then
				echo "    location = /__gadget {"
				echo "      include /etc/nginx/fastcgi_params;"
				echo "      fastcgi_param SCRIPT_FILENAME $WEBSTACK_GADGET;"
				echo "      fastcgi_pass unix:$dir/run/$name.sock;"
				echo "    }"
			fi
			echo "  }"
		done
		echo "}"
	} > "$dir/nginx.conf"
}

# webstack_port_up PORT: something answers HTTP on 127.0.0.1:PORT
webstack_port_up() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" ; }

webstack_start() {
	local dir=$1 fpm s name uid root port opts ok
	WEBSTACK_DIR=$dir
	fpm=$(webstack_fpm_bin) || { echo "webstack: php-fpm is not installed" >&2; return 1; }
	webstack_config "$dir"
	for s in "${WEBSTACK_SITES[@]}"; do
		IFS='|' read -r name uid root port opts <<<"$s"
		mkdir -p "$root/../tmp" && chown "$uid:$uid" "$root/../tmp"
	done
	"$fpm" --nodaemonize --fpm-config "$dir/php-fpm.conf" -d user_ini.cache_ttl=1 >>"$dir/php-fpm.out" 2>&1 &
	WEBSTACK_FPM_PID=$!
	T_PIDS+=("$WEBSTACK_FPM_PID")
	for _ in $(seq 1 100); do
		ok=1
		for s in "${WEBSTACK_SITES[@]}"; do
			IFS='|' read -r name uid root port opts <<<"$s"
			[ -S "$dir/run/$name.sock" ] || ok=0
		done
		[ $ok = 1 ] && break
		kill -0 "$WEBSTACK_FPM_PID" 2>/dev/null || { echo "webstack: php-fpm exited:" >&2; tail -5 "$dir/php-fpm.log" >&2; return 1; }
		sleep 0.1
	done
	[ $ok = 1 ] || { echo "webstack: php-fpm pools did not come up" >&2; return 1; }
	/usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx.err" >>"$dir/nginx.out" 2>&1 &
	WEBSTACK_NGINX_PID=$!
	T_PIDS+=("$WEBSTACK_NGINX_PID")
	for _ in $(seq 1 100); do
		ok=1
		for s in "${WEBSTACK_SITES[@]}"; do
			IFS='|' read -r name uid root port opts <<<"$s"
			webstack_port_up "$port" || ok=0
		done
		[ $ok = 1 ] && return 0
		kill -0 "$WEBSTACK_NGINX_PID" 2>/dev/null || { echo "webstack: nginx exited:" >&2; tail -5 "$dir/nginx.err" >&2; return 1; }
		sleep 0.1
	done
	echo "webstack: nginx did not come up" >&2
	return 1
}

webstack_stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}

# stops nginx first (no new requests), then php-fpm (its master ends its workers)
webstack_stop() {
	webstack_stop_pid "$WEBSTACK_NGINX_PID"
	webstack_stop_pid "$WEBSTACK_FPM_PID"
	WEBSTACK_NGINX_PID=''
	WEBSTACK_FPM_PID=''
}

# webstack_free_port: a TCP port on 127.0.0.1 free right now
webstack_free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# webstack_children PID: the pids of a server's workers (for checks that a
# stop left nothing behind)
webstack_children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }
