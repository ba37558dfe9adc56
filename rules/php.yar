// SPDX-License-Identifier: GPL-2.0-or-later
// wsid's own YARA rules for PHP web shells and backdoors. They complement the
// analyser in src/phpscan.c: it follows request input through code; these
// catch what shows in the bytes (code kept inside strings and comments, the
// recon and file-manager features shells carry, packers' output).
// meta: severity "high" (malicious), "weak" (suspicious) or "note";
// class names the finding.
//
// Some strings are spelled for libyara's atoms, not for their meaning: it
// looks for up to 4 bytes of each string (its atom) in every file and runs
// the string's regex wherever the atom is found, about a thousand
// instructions a time. A letter written as a class of its own
// (`op[eE]ndir`, `na[m]espace`, `n[eE]w`) ends an atom there, so that it is
// taken from the rarer rest ("ndir", "espa", "PDO") rather than from a word
// code is full of ("open", "name", "new"); alternatives spelled whole with
// their parenthesis (`for\(|for [ \t]*\(|...`) give "for(" and "for " rather
// than "for". Each spelling matches exactly what the plain one does.

private rule wsid_php_tag
{
	strings:
		$php = "<?php" nocase
		$short = "<?="
		$bare = /<\?[ \t\r\n]/
	condition:
		any of them
}

// what makes a page stand alone, shared by the rules below
private rule wsid_defines_class
{
	strings:
		$cls = /\bclass[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t\r\n]*(extends|implements|\{)/ nocase
	condition:
		$cls
}

// the same, with a name of letters alone (three rules below were tuned on it)
private rule wsid_defines_class_alpha
{
	strings:
		$cls = /\bclass[ \t]+[A-Za-z_]+[ \t\r\n]*(extends|implements|\{)/ nocase
	condition:
		$cls
}

private rule wsid_includes
{
	strings:
		$inc = /\b(require|include)(_once)?[ \t(]/ nocase
	condition:
		$inc
}

private rule wsid_request_input
{
	strings:
		$in = /(\$_GET|\$_POST|\$_REQUEST)\[/
	condition:
		$in
}

// eval($_POST[...]) and its kin, wherever it is written: also inside a
// string that is written to disk, or a comment a loader evaluates
rule wsid_input_exec_text
{
	meta:
		severity = "high"
		class = "exec-of-input"
		description = "code execution of request input, written out"
	strings:
		$a = /(eval|assert|system|passthru|shell_exec|popen|proc_open|pcntl_exec|create_function)[ \t]*\([ \t@]*(stripslashes[ \t]*\([ \t]*|trim[ \t]*\([ \t]*|base64_decode[ \t]*\([ \t]*|str_rot13[ \t]*\([ \t]*|gzinflate[ \t]*\([ \t]*)*\$_(GET|POST|REQUEST|COOKIE)\b/ nocase
		$b = /(\$_GET|\$_POST|\$_REQUEST|\$_COOKIE)[ \t]*\[[^\]\n]{1,40}\][ \t]*\([ \t@]*\$_(GET|POST|REQUEST|COOKIE)/
		$c = /\bexec[ \t]*\([ \t@]*\$_(GET|POST|REQUEST|COOKIE)\b/ nocase
	condition:
		any of them
}

// recon a shell runs for its operator: few applications ask all of these
rule wsid_shell_recon
{
	meta:
		severity = "weak"
		class = "shell-recon"
		description = "server reconnaissance typical of web shells"
	strings:
		$r1 = "uname -a" nocase
		$r2 = "/etc/passwd"
		$r3 = "netstat -" nocase
		$r4 = "posix_getpwuid" nocase
		$r5 = "posix_getgrgid" nocase
		$r6 = "getmyuid" nocase
		$r7 = "get_current_user" nocase
		$r8 = "disable_functions" nocase
		$r9 = "php_uname" nocase
		$r10 = "/etc/shadow"
		$r11 = "ps aux" nocase
		$r12 = "cmd.exe" nocase
		$r13 = "/bin/sh"
		$r14 = "whoami" nocase
		$r15 = "/etc/named.conf"
	condition:
		wsid_php_tag and 4 of them
}

// a file manager with a shell: walks directories, shows permissions and
// owners, runs commands, talks to databases
rule wsid_shell_filemanager
{
	meta:
		severity = "high"
		class = "shell-filemanager"
		description = "file manager, command runner and recon in one file"
	strings:
		$f1 = "fileperms" nocase
		$f2 = "fileowner" nocase
		$f3 = "filegroup" nocase
		$f4 = "is_writable" nocase
		$f5 = "readdir" nocase
		$f6 = "move_uploaded_file" nocase
		$x1 = "passthru" nocase
		$x2 = "shell_exec" nocase
		$x3 = "proc_open" nocase
		$x4 = "popen" nocase
		$x5 = /\bsystem[ \t]*\(/ nocase
		$x6 = /\bexec[ \t]*\(/ nocase
		$r1 = "uname -a" nocase
		$r2 = "/etc/passwd"
		$r3 = "posix_getpwuid" nocase
		$r4 = "php_uname" nocase
		$r5 = "disable_functions" nocase
		$r6 = "safe_mode" nocase
		$r7 = "get_current_user" nocase
		$r8 = "getmyuid" nocase
	condition:
		wsid_php_tag and 3 of ($f*) and 2 of ($x*) and 2 of ($r*)
}

// one command runner tried after another until one is not disabled
rule wsid_exec_fallback
{
	meta:
		severity = "weak"
		class = "exec-fallback"
		description = "probes several command runners in turn"
	strings:
		$a = /function_exists[ \t]*\([ \t]*['"]exec['"]/ nocase
		$b = /function_exists[ \t]*\([ \t]*['"]shell_exec['"]/ nocase
		$c = /function_exists[ \t]*\([ \t]*['"]system['"]/ nocase
		$d = /function_exists[ \t]*\([ \t]*['"]passthru['"]/ nocase
		$e = /function_exists[ \t]*\([ \t]*['"]popen['"]/ nocase
		$f = /function_exists[ \t]*\([ \t]*['"]proc_open['"]/ nocase
	condition:
		3 of them
}

// connect-back and bind shells
rule wsid_shell_connect
{
	meta:
		severity = "high"
		class = "reverse-shell"
		description = "a socket tied to a shell"
	strings:
		$s1 = "fsockopen" nocase
		$s2 = "socket_create" nocase
		$s3 = "stream_socket_server" nocase
		$s4 = "socket_bind" nocase
		$h1 = "/bin/sh" nocase
		$h2 = "/bin/bash" nocase
		$h3 = "cmd.exe" nocase
		$h4 = "sh -i" nocase
		$e1 = "proc_open" nocase
		$e2 = "shell_exec" nocase
		$e3 = "passthru" nocase
		$e4 = "popen" nocase
	condition:
		wsid_php_tag and any of ($s*) and any of ($h*) and any of ($e*)
}

// a password-protected entry: the md5 of a request parameter compared with a
// constant hash
rule wsid_hash_gate
{
	meta:
		severity = "weak"
		class = "password-gate"
		description = "request input hashed and compared with a fixed hash"
	strings:
		$a = /(md5|sha1)[ \t]*\([ \t@]*\$_(GET|POST|REQUEST|COOKIE|SERVER)[^)]{0,64}\)[ \t]*[!=]={1,2}[ \t]*['"][0-9a-f]{32,40}['"]/ nocase
		$b = /['"][0-9a-f]{32,40}['"][ \t]*[!=]={1,2}[ \t]*(md5|sha1)[ \t]*\([ \t@]*\$_(GET|POST|REQUEST|COOKIE|SERVER)/ nocase
	condition:
		any of them
}

// a small uploader: stores an upload under the name the client chose
rule wsid_tiny_uploader
{
	meta:
		severity = "weak"
		class = "tiny-uploader"
		description = "a short file that saves uploads under the client's name"
	strings:
		$m = /(move_uploaded_file|copy)[ \t]*\([ \t]*\$_FILES[ \t]*\[[^\]]{1,40}\][ \t]*\[[ \t]*['"]tmp_name['"][ \t]*\][ \t]*,[^;]{0,80}\$_FILES[ \t]*\[[^\]]{1,40}\][ \t]*\[[ \t]*['"]name['"]/ nocase
	condition:
		filesize < 8KB and $m
}

// a page of its own that takes an upload and keeps it: the form, the store,
// and nothing of an application around it (no include, no class, few
// functions); or an upload stored as a .php file
rule wsid_upload_page
{
	meta:
		severity = "weak"
		class = "tiny-uploader"
		description = "a standalone upload form that stores what it receives"
	strings:
		$u1 = /\b(move_uploaded_file|copy)[ \t]*\(/ nocase
		$u2 = "$_FILES"
		$u3 = /move_uploaded_file[ \t]*\([^,;]{1,80},[ \t]*['"][^'"]{0,80}\.(php|phtml)['"]/ nocase
		$f1 = /type[ \t]*=[ \t]*["']?file/ nocase
		$f2 = "multipart/form-data" nocase
		$fn = /\bfunction[ \t]+[A-Za-z_]/ nocase
	condition:
		wsid_php_tag and filesize < 6KB and (($u1 and $u2) or $u3) and ($f1 or $f2) and
		not wsid_includes and not wsid_defines_class_alpha and #fn < 3
}

// a file manager: lists or reads files, writes, renames or deletes them,
// driven by a form, in a page of its own (no include, no class): the
// capability a shell gives without running commands
rule wsid_file_manager
{
	meta:
		severity = "weak"
		class = "file-manager"
		description = "a standalone page that reads, writes or deletes files a form names"
	strings:
		$in1 = "$_GET["
		$in2 = "$_POST["
		$in3 = "$_REQUEST["
		$d1 = /\b(op[eE]ndir|sc[aA]ndir|re[aA]ddir|glob)[ \t]*\(/ nocase
		$w1 = /\b(unlink|rmdir|rename)[ \t]*\(/ nocase
		$w2 = /\b(file_put_contents|fwrite|fputs|move_uploaded_file|copy|chmod)[ \t]*\(/ nocase
		$r1 = /\b(file_get_contents|readfile|fread|highlight_file|fpassthru|show_source)[ \t]*\(/ nocase
		$h1 = /<form[ \t\r\n]/ nocase
		$h2 = /<(textarea|input)[ \t\r\n]/ nocase
	condition:
		wsid_php_tag and any of ($in*) and ($w1 or $w2) and ($r1 or $d1) and $h1 and $h2 and
		not wsid_includes and not wsid_defines_class_alpha
}

// a page that fetches a script or a paste from a fixed address and writes it
// out: a dropper, whatever helper function it fetches through
rule wsid_fetch_and_write
{
	meta:
		severity = "weak"
		class = "remote-dropper"
		description = "a script or paste fetched from a fixed URL and written to a file"
	strings:
		$u1 = /("https?|'https?):\/\/[^'" \t\r\n]{4,200}\.(php|txt|phtml|jpg|gif)['"]/ nocase
		$u2 = /https?:\/\/(www\.)?(pastebin\.com|hastebin\.com|paste\.ee|ghostbin\.[a-z]+|rentry\.co|controlc\.com|pastie\.org|dpaste\.[a-z]+)\/(raw|plain|dl)/ nocase
		$g1 = /\b(curl_exec|file_get_contents|fopen|copy|fsockopen)[ \t]*\(/ nocase
		$w1 = /\b(file_put_contents|fwrite|fputs|copy)[ \t]*\(/ nocase
	condition:
		wsid_php_tag and (($u1 and #u1 < 4) or $u2) and $g1 and $w1 and not wsid_includes and
		not wsid_defines_class_alpha
}

// code that writes request input into a PHP file
rule wsid_input_to_php_file
{
	meta:
		severity = "high"
		class = "php-writer"
		description = "request input written into a .php file"
	strings:
		$a = /(file_put_contents|fwrite|fputs)[ \t]*\([^;]{0,120}\.php['"][^;]{0,120}\$_(GET|POST|REQUEST|COOKIE)/ nocase
		$b = /fopen[ \t]*\([^;]{0,80}\.php['"][ \t]*,[ \t]*['"][wa]/ nocase
		// (letters spelled in both cases rather than nocase: `<?php` starts
		// every file, and nocase made its atom four times as costly to verify)
		$c = /<\?[pP][hH][pP][^'"]{0,40}([eE][vV][aA][lL]|[aA][sS][sS][eE][rR][tT]|[sS][yY][sS][tT][eE][mM]|[pP][aA][sS][sS][tT][hH][rR][uU])[ \t]*\([ \t@]*\$_(GET|POST|REQUEST)/
	condition:
		($a or ($b and $c))
}

// a self-describing shell: the names shells give themselves in their pages
rule wsid_shell_banner
{
	meta:
		severity = "high"
		class = "shell-banner"
		description = "a page title or banner naming a web shell"
	strings:
		$t1 = /<title>[^<]{0,40}(shell|sh3ll|backdoor|hacked|bypass)/ nocase
		$t2 = /(c99|r57|wso|b374k|phpspy|c100)[ _-]?(sh|shell)/ nocase
		$t3 = "FilesMan" nocase
		$t4 = /hacked[ \t]+by/ nocase
		$t5 = "web shell" nocase
		$t6 = "webshell" nocase
	condition:
		wsid_php_tag and any of them
}

// a page of its own (no class, no include) and what it is for: the tools an
// intruder leaves beside a shell, each a capability no application page
// needs in this combination

// the accounts of /etc/passwd walked for their home directories' web roots:
// a harvester of other customers' configuration files
rule wsid_passwd_harvest
{
	meta:
		severity = "weak"
		class = "config-grabber"
		description = "reads /etc/passwd and walks the users' home or web directories"
	strings:
		$p = "/etc/passwd"
		$h1 = "public_html"
		$h2 = "/home/"
		$w = /\b(op[eE]ndir|re[aA]ddir|sc[aA]ndir|symlink|is_readable|file_get_contents|glob)[ \t]*\(/ nocase
	condition:
		wsid_php_tag and $p and any of ($h*) and $w
}

// a cloaker: search engines' crawlers get a page fetched from elsewhere,
// visitors another
rule wsid_seo_cloak
{
	meta:
		severity = "weak"
		class = "seo-cloaker"
		description = "crawlers recognised by their user agent are served a page fetched from a fixed site"
	strings:
		$b1 = "googlebot" nocase
		$b2 = "baiduspider" nocase
		$b3 = "bingbot" nocase
		$b4 = /(google|baidu|yahoo|bing|sogou|yandex)\|/ nocase
		$ua = /HTTP_(USER_AGENT|REFERER)/
		$g = /\b(file_get_contents|curl_exec|fopen|fsockopen)[ \t]*\(/ nocase
		$u = /("https?|'https?):\/\/[a-z0-9.-]{4,80}\//
	condition:
		wsid_php_tag and any of ($b*) and $ua and $g and $u and not wsid_defines_class
}

// what a socket reads, run as a command: a connect-back or bind shell
// whatever shell binary it names (or none)
rule wsid_socket_exec
{
	meta:
		severity = "high"
		class = "reverse-shell"
		description = "a socket read and a command runner in one page without a class"
	strings:
		$s1 = /\bfsockopen[ \t]*\(/ nocase
		$s2 = /\bsocket_create[ \t]*\(/ nocase
		$s3 = /\bstream_socket_(server|client)[ \t]*\(/ nocase
		$r = /\b(fread|fgets|socket_read|stream_get_line)[ \t]*\(/ nocase
		$e1 = /\bproc_open[ \t]*\(/ nocase
		$e2 = /\bshell_exec[ \t]*\(/ nocase
		$e3 = /\bpassthru[ \t]*\(/ nocase
		$e4 = /\bsystem[ \t]*\(/ nocase
		$e5 = /\bpopen[ \t]*\(/ nocase
		$e6 = /[^>:$a-z_]exec[ \t]*\(/ nocase
	condition:
		wsid_php_tag and any of ($s*) and $r and any of ($e*) and not wsid_defines_class
}

// sockets opened in a loop to hosts and ports a form gives: a port scanner
rule wsid_port_scan
{
	meta:
		severity = "weak"
		class = "port-scanner"
		description = "a standalone page opening sockets in a loop to ports the request names"
	strings:
		$s = /\bfsockopen[ \t]*\(/ nocase
		$p = /(\$_GET|\$_POST|\$_REQUEST)\[[ \t]*['"][a-z_]{0,20}port/ nocase
		$l = /\b(for\(|for [ \t]*\(|for\t[ \t]*\(|foreach\(|foreach [ \t]*\(|foreach\t[ \t]*\(|while\(|while [ \t]*\(|while\t[ \t]*\()/
	condition:
		wsid_php_tag and $s and wsid_request_input and $p and $l and not wsid_defines_class and not wsid_includes and filesize < 20KB
}

// mail() in a loop over a list read from a file or a pasted text, set to
// run without a time limit: a spam mailer
rule wsid_mailer_list
{
	meta:
		severity = "weak"
		class = "mass-mailer"
		description = "a standalone page mailing a list without a time limit"
	strings:
		$m = /\bmail[ \t]*\(/ nocase
		$l1 = /\bfile[ \t]*\(/ nocase
		$l2 = /explode[ \t]*\([ \t]*['"]\\r?\\n['"]/ nocase
		$t1 = /set_time_limit[ \t]*\([ \t]*0/ nocase
		$t2 = "ignore_user_abort" nocase
		$lp = /\b(for\(|for [ \t]*\(|for\t[ \t]*\(|foreach\(|foreach [ \t]*\(|foreach\t[ \t]*\(|while\(|while [ \t]*\(|while\t[ \t]*\()/
	condition:
		wsid_php_tag and $m and any of ($l*) and any of ($t*) and $lp and not wsid_defines_class and not wsid_includes
}

// where the page lives mailed away, or mail to an address kept encoded:
// a shell reporting itself to its owner, a skimmer sending what it took
rule wsid_mail_home
{
	meta:
		severity = "weak"
		class = "mail-home"
		description = "mail of the script's own location, or to an encoded address"
	strings:
		$a = /\$_SERVER\[['"](SCRIPT_FILENAME|DOCUMENT_ROOT|PATH_TRANSLATED)['"]\][^\n]{0,400}\bmail[ \t]*\(/ nocase
		$b = /\bm[aA]il[ \t]*\([ \t]*(base64_decode|str_rot13|hex2bin|strrev|gzinflate)[ \t]*\([ \t]*['"]/ nocase
	condition:
		wsid_php_tag and any of them
}

// unserialize() of request input in a file whose own magic method runs code:
// an object injection the file carries to itself
rule wsid_unserialize_gadget
{
	meta:
		severity = "high"
		class = "exec-of-input"
		description = "unserialize of request input beside a magic method that executes"
	strings:
		$u = /unserialize[ \t]*\([ \t@]*(base64_decode[ \t]*\([ \t]*|stripslashes[ \t]*\([ \t]*)?\$_(GET|POST|REQUEST|COOKIE)/ nocase
		$d = /function[ \t]+(__destruct|__wakeup|__toString)/ nocase
		$e = /\b(eval|assert|system|passthru|shell_exec|call_user_func)[ \t]*\(/ nocase
	condition:
		$u and $d and $e
}

// a directory lister for paths a form gives, reporting what is writable: the
// search of a shared host for a place to write
rule wsid_dir_probe
{
	meta:
		severity = "weak"
		class = "file-manager"
		description = "a standalone page listing directories the request names"
	strings:
		$d1 = /\b(op[eE]ndir|sc[aA]ndir|glob|dir)[ \t]*\([ \t@]*(\$_GET|\$_POST|\$_REQUEST)/ nocase
		$d2 = /\b(op[eE]ndir|sc[aA]ndir|re[aA]ddir)[ \t]*\(/ nocase
		$w = /\b(is_writable|is_writeable|[fF]ileperms)[ \t]*\(/ nocase
		$h = /<form[ \t\r\n]/ nocase
	condition:
		wsid_php_tag and wsid_request_input and ($d1 or ($d2 and $w)) and $h and not wsid_defines_class and not wsid_includes
}

// Windows' COM objects that run commands or read the web server's accounts
rule wsid_com_shell
{
	meta:
		severity = "weak"
		class = "shell-recon"
		description = "a COM object running commands or reading IIS or account settings"
	strings:
		$a = /new[ \t]+COM[ \t]*\([ \t]*['"](WScript\.Shell|Shell\.Application|IIS:|WinNT:)/ nocase
	condition:
		$a
}

// code run from inside a string: "{${eval(...)}}" evaluates while the string
// is built
rule wsid_exec_in_string
{
	meta:
		severity = "high"
		class = "obfuscated-eval"
		description = "code execution inside a string's {${...}}"
	strings:
		$a = /\{\\?\$\{[ \t]*@?(eval|assert|system|passthru|shell_exec|exec|base64_decode|create_function)[ \t]*\(/ nocase
	condition:
		$a
}

// a page that logs the visitor in as an administrator of the WordPress it
// loads, without a password
rule wsid_wp_autologin
{
	meta:
		severity = "high"
		class = "auth-bypass"
		description = "loads WordPress and sets an administrator's login cookie"
	strings:
		$a = "wp_set_auth_cookie" nocase
		$b = /(wp-blog-header|wp-load)\.php/
		$c = "administrator"
		$d = /\bfunction[ \t]+[A-Za-z_]/ nocase
	condition:
		$a and $b and $c and not $d and filesize < 8KB
}

// a database client of its own: connects with what the request gives, in a
// page that defines no class (applications connect inside their classes)
rule wsid_db_console
{
	meta:
		severity = "weak"
		class = "db-console"
		description = "a standalone page that connects to a database and takes request input"
	strings:
		$c = /\b(my[sS]ql_connect|my[sS]qli_connect|my[sS]ql_pconnect|pg_connect|ms[sS]ql_connect)[ \t]*\(|\bn[eE]w[ \t]+(mysqli|PDO)[ \t]*\(/ nocase
		$in = /(\$_GET|\$_POST|\$_REQUEST|\$_COOKIE)\[/
		$ns = /\bna[m]espace[ \t]+[A-Za-z_]/
	condition:
		wsid_php_tag and $c and $in and not wsid_defines_class and not $ns
}

// a directory browser driven by a form, in a page that includes nothing
rule wsid_dir_browser
{
	meta:
		severity = "weak"
		class = "file-manager"
		description = "a standalone page with a form that lists directories"
	strings:
		$d = /\b(op[eE]ndir|re[aA]ddir|sc[aA]ndir)[ \t]*\(/ nocase
		$h = /<form[ \t\r\n]/ nocase
	condition:
		wsid_php_tag and $d and wsid_request_input and $h and not wsid_includes
}

// a request-driven page that lifts the time limit and includes nothing: the
// mailers, scanners, brute-forcers and dumpers run from a browser
rule wsid_batch_tool
{
	meta:
		severity = "weak"
		class = "batch-tool"
		description = "a standalone page driven by the request that runs without a time limit"
	strings:
		$t = /set_time_limit[ \t]*\([ \t]*0[ \t]*\)/ nocase
	condition:
		wsid_php_tag and $t and wsid_request_input and not wsid_includes
}

// a program run from the web directory or a temporary one, given what
// the page adds: a binary the intruder dropped there
rule wsid_dropped_binary
{
	meta:
		severity = "weak"
		class = "dropped-binary"
		description = "runs a program from ./ or a temporary directory with arguments the page adds"
	strings:
		$a = /\b(system|exec|passthru|shell_exec|popen|proc_open)[ \t]*\([ \t]*['"](\.\/|\/tmp\/|\/dev\/shm\/|\/var\/tmp\/)[^'"]{0,60}['"]?[ \t]*\.[ \t]*\$/ nocase
	condition:
		$a
}

// yaml_parse() with a tag callback that is a code runner
rule wsid_yaml_callback
{
	meta:
		severity = "high"
		class = "exec-of-input"
		description = "yaml_parse with preg_replace, assert or eval as a tag's callback"
	strings:
		$a = /yaml_parse[ \t]*\([^;]{0,300}=>[ \t]*['"](preg_replace|assert|eval|system|passthru|exec|shell_exec|create_function)['"]/ nocase
	condition:
		$a
}

// Java's Runtime reached from a page's expression language with the
// request's parameters: a JSP or JSF shell among PHP files
rule wsid_java_runtime
{
	meta:
		severity = "high"
		class = "exec-of-input"
		description = "java.lang.Runtime's exec reached from a page that reads request parameters"
	strings:
		$a = "java.lang.Runtime"
		$b = "getRuntime().exec("
		$c = /request\.getParameter[ \t]*\(/
	condition:
		($a or $b) and $c
}

// a page that survives its visitor: keeps running after the connection
// closes, without a time limit, and writes or deletes itself in a loop (a
// shell that puts itself back when removed)
rule wsid_respawner
{
	meta:
		severity = "high"
		class = "respawner"
		description = "runs on after the request without a time limit, rewriting files in an endless loop or deleting itself"
	strings:
		$a = /ignore_user_abort[ \t]*\(/ nocase
		$t1 = /set_time_limit[ \t]*\([ \t]*0/ nocase
		$t2 = /max_execution_time['"][ \t]*,[ \t]*['"]?0/ nocase
		$l = /while[ \t]*\([ \t]*(1|true)[ \t]*\)/ nocase
		$u = /unlink[ \t]*\([ \t]*__FILE__/ nocase
		$w = /\b(file_put_contents|fwrite|fputs|touch)[ \t]*\(/ nocase
	condition:
		wsid_php_tag and $a and any of ($t*) and ($l or $u) and $w
}

// a script that deletes itself once run: a dropper or an installer of a
// backdoor covering its tracks (applications' installers are classes or
// include their code)
rule wsid_self_delete
{
	meta:
		severity = "weak"
		class = "self-delete"
		description = "a page without a class that deletes its own file"
	strings:
		$u = /unlink[ \t]*\([ \t]*(__FILE__|\$_SERVER\[['"]SCRIPT_FILENAME['"]\])/ nocase
	condition:
		wsid_php_tag and $u and not wsid_defines_class
}

// errors silenced and the time limit lifted in a request-driven page that
// includes nothing: a tool meant to run unseen
rule wsid_quiet_page
{
	meta:
		severity = "weak"
		class = "batch-tool"
		description = "a standalone request-driven page that silences errors and lifts the time limit"
	strings:
		$e = /error_reporting[ \t]*\([ \t]*0[ \t]*\)/ nocase
		$t1 = /set_time_limit[ \t]*\([ \t]*0/ nocase
		$t2 = /max_execution_time['"][ \t]*,[ \t]*['"]?0/ nocase
		$t3 = /ignore_user_abort/ nocase
		$in = /(\$_GET|\$_POST|\$_REQUEST|\$_COOKIE)\[/
	condition:
		wsid_php_tag and $e and any of ($t*) and $in and not wsid_includes
}

// the module files of a multi-file shell kit: pages registered in a global
// table with their tab's script, or resources kept encoded in it
rule wsid_shell_module
{
	meta:
		severity = "weak"
		class = "shell-module"
		description = "a module of a shell kit: a tab registered in $GLOBALS['module'] or an encoded resource"
	strings:
		$m = /\$GLOBALS\[['"]module['"]\]\[['"][a-z_]{1,30}['"]\]\[['"]js_ontabselected['"]\]/
		$r = /\$GLOBALS\[['"]resources['"]\]\[['"][A-Za-z0-9_]{1,30}['"]\][ \t]*=[ \t]*["'][A-Za-z0-9+\/]{200}/
	condition:
		wsid_php_tag and ($m or $r)
}

// a file manager driven by links rather than a form (`?rm=...`): a standalone
// page that lists directories and deletes, renames or chmods what the
// request names
rule wsid_link_file_manager
{
	meta:
		severity = "weak"
		class = "file-manager"
		description = "a standalone page listing directories and deleting or renaming files the request names"
	strings:
		$ls = /\b(op[eE]ndir|sc[aA]ndir|re[aA]ddir|glob)[ \t]*\(/ nocase
		$op = /\b(unlink|rmdir|rename|chmod)[ \t]*\([ \t@]*\$_(GET|POST|REQUEST)\[/ nocase
	condition:
		wsid_php_tag and $ls and $op and not wsid_defines_class and not wsid_includes
}

// a page that shows what a server at a bare public IP address returns: a
// doorway relaying spam or commands; applications name their servers
rule wsid_ip_relay
{
	meta:
		severity = "weak"
		class = "remote-relay"
		description = "a standalone page fetching and showing content from a literal IP address"
	strings:
		$ip = /("https?|'https?):\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}[:\/'"]/
		$f = /\b(file_get_contents|curl_exec|readfile|fsockopen)[ \t]*\(/ nocase
		$o = /\b(echo|print|die|exit)\b/ nocase
		// a test server's fixture talks to itself
		$lo = /https?:\/\/(127\.|10\.|192\.168\.|localhost)/
	condition:
		wsid_php_tag and $ip and not $lo and $f and $o and filesize < 20KB and not wsid_defines_class and
		not wsid_includes
}
