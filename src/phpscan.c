// SPDX-License-Identifier: GPL-2.0-or-later
/* phpscan: what a PHP file does, read at the level of PHP's own tokens.
 *
 * One pass over the buffer: a tokenizer (HTML outside the tags, strings,
 * heredoc/nowdoc, comments, `?>`) feeds a small expression tracker that keeps
 * a stack of open parentheses. Each frame remembers the call that opened it
 * (a sink like eval or system, a decoder like base64_decode, a sanitizer like
 * escapeshellarg) and what flowed into it: request input, decoded data, chr()
 * soup, hidden function names. When a frame closes, its flow goes into the
 * enclosing frame, and a sink frame that received input or decoded code is a
 * finding. Statements `$v = expr;` taint $v with what flowed into expr, so
 * `$c = $_POST['c']; system($c);` is seen. Functions whose parameters reach a
 * sink are remembered, and a call of one with input is a finding at the end.
 *
 * Everything lives in struct scan on the caller's stack: fixed tables, no
 * globals; only decoded payloads (see "de-obfuscation") are allocated.
 * Deeper nesting than the stack holds is still tokenized, only no longer
 * tracked. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "phpscan.h"

#define DEPTH_MAX 64
#define TAINT_SLOTS 512
#define FUNC_SLOTS 128
#define CALL_SLOTS 64
#define MCALL_SLOTS 32 /* calls of methods and constructors, given input */
#define SOURCE_SLOTS 16 /* functions returning input */
#define GLOB_SLOTS 16
#define LONG_LINE 8192
#define BLOB_MIN 512
#define OFFSCREEN_COLS 160
#define VAL_MAX 48 /* known string values kept (an alphabet fits) */
#define DECODE_MAX (1u << 20) /* bytes one decoded payload may hold */
#define DECODE_BUDGET (4u << 20) /* decoded bytes of a file, all payloads */
#define DECODE_DEPTH 3 /* payloads inside payloads */

/* what a value carries (frame flow, variable taint) */
enum {
	FL_INPUT = 1 << 0,   /* request input */
	FL_DECODED = 1 << 1, /* the output of a decoder */
	FL_NAME = 1 << 2,    /* a hidden name of a dangerous function */
	FL_PARAM = 1 << 3,   /* a parameter of the enclosing function */
	FL_CHR = 1 << 4,     /* built of many chr() */
	FL_BLOB = 1 << 5,    /* holds an encoded blob */
	FL_STREAM = 1 << 6,  /* names php://input, data: */
	FL_URL = 1 << 7,     /* a remote URL */
	FL_VAR = 1 << 8,     /* some variable */
	FL_BUILT = 1 << 9,   /* a string computed from literals alone */
	FL_LIT = 1 << 10,    /* a string literal */
	FL_CALL = 1 << 11,   /* a function's result */
	FL_UCALL = 1 << 12,  /* the result of a user or variable function */
	FL_SINKNAME = 1 << 13, /* the plain name of eval, system, ...: 'assert' */
	FL_LITVAR = 1 << 14, /* a variable whose value is a known string */
	FL_ELEMIN = 1 << 15, /* some element of the array was set from input */
};

/* what a name is, for calls and keywords */
enum fkind {
	FK_NONE,
	FK_EVAL,     /* code execution: eval, assert, create_function */
	FK_EXEC,     /* shell execution */
	FK_PREG,     /* preg_replace and friends: /e */
	FK_CB0,      /* callback in argument 0 */
	FK_CB1,      /* callback in argument 1 */
	FK_DECODER,
	FK_CHR,
	FK_SANITIZE, /* its result no longer carries input */
	FK_SOURCE,   /* getallheaders() */
	FK_MAIL,
	FK_EXTRACT,
	FK_WRITE,    /* file_put_contents, copy, fwrite */
	FK_UPLOAD,   /* move_uploaded_file */
	FK_INCLUDE,  /* keyword */
	FK_LOOP,     /* for, foreach, while */
	FK_DO,
	FK_FUNCTION,
	FK_NEW,
	FK_AS,
	FK_GETENV,
	FK_FILEGET, /* file_get_contents, fopen, readfile: reading a URL */
	FK_CBLAST,  /* callback in the last argument */
	FK_CBANY,   /* a callback somewhere in the arguments: filter_var */
	FK_VARNAME, /* ${...}: a variable named by an expression */
	FK_INDEX,   /* $a[...]: what selects an element is not the element */
	FK_BLOCK,   /* { ... } inside an expression: a closure's body */
	FK_USE,     /* use (...), fn (...): a closure's variables and parameters */
	FK_METHOD,  /* $obj->name(...): what a method returns is its own */
	FK_STRREPL, /* str_replace('x', '', 'axsxsexrt'): a name being cleaned out */
	FK_SQL,     /* mysql_query and kin: a whole statement from the request */
	FK_LIST,    /* list(...) = : assigns its variables */
	FK_OUTARG,  /* preg_match($re, $s, $m): writes its later arguments */
	FK_READ,    /* readfile, file, show_source: a file read (and shown) */
};

/* What a page can do, gathered over the whole file (one lookup a call) and
 * combined at its end: tools an intruder leaves (a command page, a database
 * console, a file manager, a socket tool) do nothing an application cannot do,
 * one call at a time; together, in a page that reads the request and is no
 * part of an application (no class, no namespace, no code included), they are
 * the tool. */
enum {
	CAP_EXEC = 1 << 0,    /* runs shell commands, not fixed ones */
	CAP_SOCK = 1 << 1,    /* opens raw sockets */
	CAP_DBCONN = 1 << 2,  /* connects to a database server */
	CAP_DBQUERY = 1 << 3, /* queries it */
	CAP_LIST = 1 << 4,    /* lists directories */
	CAP_MODIFY = 1 << 5,  /* writes, deletes, renames, chmods files */
	CAP_NOLIMIT = 1 << 6, /* set_time_limit(0), ignore_user_abort */
	CAP_MUTE = 1 << 7,    /* error_reporting(0) */
	CAP_MAIL = 1 << 8,    /* sends mail */
	CAP_UPLOAD = 1 << 9,  /* stores an upload where the request says */
	CAP_INI = 1 << 10,    /* ini_set / ini_restore */
	CAP_MAILTO = 1 << 11, /* mails recipients the request names */
	CAP_READ = 1 << 12,   /* reads a file or lists a directory the request names, the whole path */
	CAP_PHPW = 1 << 13,   /* writes the request's data into a .php file */
	CAP_EVALU = 1 << 14,  /* evals what a function of its own returned, through a variable */
	CAP_RECON = 1 << 15,  /* asks who it runs as, the host's name, disk, restrictions */
	CAP_BITS = 16
};

struct fname {
	const char *name;
	unsigned char kind;
	unsigned short cap; /* CAP_*: what a call of it lets the page do */
};

/* sorted by name */
static const struct fname fnames[] = {
	{ "addslashes", FK_SANITIZE, 0 },
	{ "apache_request_headers", FK_SOURCE, 0 },
	{ "array_diff_uassoc", FK_CBLAST, 0 },
	{ "array_diff_ukey", FK_CBLAST, 0 },
	{ "array_filter", FK_CB1, 0 },
	{ "array_intersect_uassoc", FK_CBLAST, 0 },
	{ "array_intersect_ukey", FK_CBLAST, 0 },
	{ "array_map", FK_CB0, 0 },
	{ "array_reduce", FK_CB1, 0 },
	{ "array_udiff", FK_CBLAST, 0 },
	{ "array_udiff_assoc", FK_CBLAST, 0 },
	{ "array_udiff_uassoc", FK_CBLAST, 0 },
	{ "array_uintersect", FK_CBLAST, 0 },
	{ "array_uintersect_assoc", FK_CBLAST, 0 },
	{ "array_uintersect_uassoc", FK_CBLAST, 0 },
	{ "array_walk", FK_CB1, 0 },
	{ "array_walk_recursive", FK_CB1, 0 },
	{ "as", FK_AS, 0 },
	{ "assert", FK_EVAL, 0 },
	{ "base64_decode", FK_DECODER, 0 },
	{ "basename", FK_SANITIZE, 0 },
	{ "bzdecompress", FK_DECODER, 0 },
	{ "call_user_func", FK_CB0, 0 },
	{ "call_user_func_array", FK_CB0, 0 },
	{ "callbackfilteriterator", FK_CB1, 0 },
	{ "chmod", FK_NONE, CAP_MODIFY },
	{ "chr", FK_CHR, 0 },
	{ "convert_uudecode", FK_DECODER, 0 },
	{ "copy", FK_WRITE, CAP_MODIFY },
	{ "count", FK_SANITIZE, 0 },
	{ "crc32", FK_SANITIZE, 0 },
	{ "create_function", FK_EVAL, 0 },
	{ "curl_exec", FK_SOURCE, 0 },
	{ "disk_free_space", FK_NONE, CAP_RECON },
	{ "disk_total_space", FK_NONE, CAP_RECON },
	{ "do", FK_DO, 0 },
	{ "empty", FK_SANITIZE, 0 },
	{ "error_reporting", FK_NONE, CAP_MUTE },
	{ "escapeshellarg", FK_SANITIZE, 0 },
	{ "escapeshellcmd", FK_SANITIZE, 0 },
	{ "eval", FK_EVAL, 0 },
	{ "exec", FK_EXEC, CAP_EXEC },
	{ "exif_read_data", FK_SOURCE, 0 },
	{ "extract", FK_EXTRACT, 0 },
	{ "file", FK_READ, 0 },
	{ "file_get_contents", FK_FILEGET, 0 },
	{ "file_put_contents", FK_WRITE, CAP_MODIFY },
	{ "filter_var", FK_CBANY, 0 },
	{ "filter_var_array", FK_CBANY, 0 },
	{ "floatval", FK_SANITIZE, 0 },
	{ "fn", FK_USE, 0 },
	{ "fopen", FK_FILEGET, 0 },
	{ "for", FK_LOOP, 0 },
	{ "foreach", FK_LOOP, 0 },
	{ "forward_static_call", FK_CB0, 0 },
	{ "forward_static_call_array", FK_CB0, 0 },
	{ "fputs", FK_WRITE, CAP_MODIFY },
	{ "fsockopen", FK_NONE, CAP_SOCK },
	{ "function", FK_FUNCTION, 0 },
	{ "fwrite", FK_WRITE, CAP_MODIFY },
	{ "get_current_user", FK_NONE, CAP_RECON },
	{ "getallheaders", FK_SOURCE, 0 },
	{ "getenv", FK_GETENV, 0 },
	{ "getmygid", FK_NONE, CAP_RECON },
	{ "getmyuid", FK_NONE, CAP_RECON },
	{ "glob", FK_NONE, CAP_LIST },
	{ "gzdecode", FK_DECODER, 0 },
	{ "gzinflate", FK_DECODER, 0 },
	{ "gzuncompress", FK_DECODER, 0 },
	{ "hash", FK_SANITIZE, 0 },
	{ "header_register_callback", FK_CB0, 0 },
	{ "hex2bin", FK_DECODER, 0 },
	{ "highlight_file", FK_READ, 0 },
	{ "ignore_user_abort", FK_NONE, CAP_NOLIMIT },
	{ "in_array", FK_SANITIZE, 0 },
	{ "include", FK_INCLUDE, 0 },
	{ "include_once", FK_INCLUDE, 0 },
	{ "ini_get", FK_NONE, CAP_RECON },
	{ "ini_restore", FK_NONE, CAP_INI },
	{ "ini_set", FK_NONE, CAP_INI },
	{ "intval", FK_SANITIZE, 0 },
	{ "is_array", FK_SANITIZE, 0 },
	{ "is_numeric", FK_SANITIZE, 0 },
	{ "isset", FK_SANITIZE, 0 },
	{ "iterator_apply", FK_CB1, 0 },
	{ "list", FK_LIST, 0 },
	{ "mail", FK_MAIL, CAP_MAIL },
	{ "mb_ereg_replace", FK_PREG, 0 },
	{ "mb_ereg_replace_callback", FK_CB1, 0 },
	{ "mb_eregi_replace", FK_PREG, 0 },
	{ "md5", FK_SANITIZE, 0 },
	{ "mkdir", FK_NONE, CAP_MODIFY },
	{ "move_uploaded_file", FK_UPLOAD, CAP_MODIFY },
	{ "mssql_connect", FK_NONE, CAP_DBCONN },
	{ "mssql_query", FK_SQL, CAP_DBQUERY },
	{ "mysql_connect", FK_NONE, CAP_DBCONN },
	{ "mysql_db_query", FK_NONE, CAP_DBQUERY },
	{ "mysql_pconnect", FK_NONE, CAP_DBCONN },
	{ "mysql_query", FK_SQL, CAP_DBQUERY },
	{ "mysql_real_escape_string", FK_SANITIZE, 0 },
	{ "mysql_unbuffered_query", FK_NONE, CAP_DBQUERY },
	{ "mysqli_connect", FK_NONE, CAP_DBCONN },
	{ "mysqli_multi_query", FK_NONE, CAP_DBQUERY },
	{ "mysqli_query", FK_SQL, CAP_DBQUERY },
	{ "mysqli_real_connect", FK_NONE, CAP_DBCONN },
	{ "mysqli_real_escape_string", FK_SANITIZE, 0 },
	{ "new", FK_NEW, 0 },
	{ "ob_start", FK_CB0, 0 },
	{ "oci_connect", FK_NONE, CAP_DBCONN },
	{ "oci_parse", FK_NONE, CAP_DBQUERY },
	{ "odbc_connect", FK_NONE, CAP_DBCONN },
	{ "odbc_exec", FK_NONE, CAP_DBQUERY },
	{ "opendir", FK_NONE, CAP_LIST },
	{ "pack", FK_DECODER, 0 },
	{ "parse_ini_file", FK_SANITIZE, 0 }, /* a local file's settings, whoever named it */
	{ "parse_str", FK_EXTRACT, 0 },
	{ "passthru", FK_EXEC, CAP_EXEC },
	{ "pcntl_exec", FK_EXEC, CAP_EXEC },
	{ "pfsockopen", FK_NONE, CAP_SOCK },
	{ "pg_connect", FK_NONE, CAP_DBCONN },
	{ "pg_escape_string", FK_SANITIZE, 0 },
	{ "pg_query", FK_SQL, CAP_DBQUERY },
	{ "php_uname", FK_NONE, CAP_RECON },
	{ "popen", FK_EXEC, CAP_EXEC },
	{ "posix_getegid", FK_NONE, CAP_RECON },
	{ "posix_geteuid", FK_NONE, CAP_RECON },
	{ "posix_getgrgid", FK_NONE, CAP_RECON },
	{ "posix_getpwuid", FK_NONE, CAP_RECON },
	{ "posix_uname", FK_NONE, CAP_RECON },
	{ "preg_filter", FK_PREG, 0 },
	{ "preg_match", FK_OUTARG, 0 },
	{ "preg_match_all", FK_OUTARG, 0 },
	{ "preg_replace", FK_PREG, 0 },
	{ "preg_replace_callback", FK_CB1, 0 },
	{ "proc_open", FK_EXEC, CAP_EXEC },
	{ "rawurldecode", FK_DECODER, 0 },
	{ "readdir", FK_NONE, CAP_LIST },
	{ "readfile", FK_READ, 0 },
	{ "reflectionfunction", FK_CB0, 0 },
	{ "register_shutdown_function", FK_CB0, 0 },
	{ "register_tick_function", FK_CB0, 0 },
	{ "rename", FK_NONE, CAP_MODIFY },
	{ "require", FK_INCLUDE, 0 },
	{ "require_once", FK_INCLUDE, 0 },
	{ "rmdir", FK_NONE, CAP_MODIFY },
	{ "scandir", FK_NONE, CAP_LIST },
	{ "set_error_handler", FK_CB0, 0 },
	{ "set_exception_handler", FK_CB0, 0 },
	{ "set_time_limit", FK_NONE, CAP_NOLIMIT },
	{ "settype", FK_OUTARG, 0 },
	{ "sha1", FK_SANITIZE, 0 },
	{ "shell_exec", FK_EXEC, CAP_EXEC },
	{ "show_source", FK_READ, 0 },
	{ "socket_bind", FK_NONE, CAP_SOCK },
	{ "socket_connect", FK_NONE, CAP_SOCK },
	{ "socket_create", FK_NONE, CAP_SOCK },
	{ "spl_autoload_register", FK_CB0, 0 },
	{ "str_ireplace", FK_STRREPL, 0 },
	{ "str_replace", FK_STRREPL, 0 },
	{ "str_rot13", FK_DECODER, 0 },
	{ "stream_socket_client", FK_NONE, CAP_SOCK },
	{ "stream_socket_server", FK_NONE, CAP_SOCK },
	{ "strlen", FK_SANITIZE, 0 },
	{ "strrev", FK_DECODER, 0 },
	{ "system", FK_EXEC, CAP_EXEC },
	{ "touch", FK_NONE, CAP_MODIFY },
	{ "uasort", FK_CB1, 0 },
	{ "uksort", FK_CB1, 0 },
	{ "unlink", FK_NONE, CAP_MODIFY },
	{ "urldecode", FK_DECODER, 0 },
	{ "use", FK_USE, 0 },
	{ "usort", FK_CB1, 0 },
	{ "while", FK_LOOP, 0 },
};

/* names whose hiding is itself the evidence */
static const char *const hidden_names[] = {
	"assert", "base64_decode", "call_user_func", "call_user_func_array", "create_function",
	"eval", "exec", "file_put_contents", "gzinflate", "gzuncompress", "passthru", "popen",
	"preg_replace", "proc_open", "shell_exec", "str_rot13", "system", "gzdecode",
	"array_map", "fwrite", "fopen", "move_uploaded_file", "curl_exec", "include", "str_replace",
};



enum ttype { T_EOF, T_IDENT, T_VAR, T_SQ, T_DQ, T_HEREDOC, T_NOWDOC, T_BACKTICK, T_NUM,
	     T_PUNCT, T_CLOSE, T_OPEN };

struct tok {
	enum ttype type;
	size_t start, len; /* whole token; for strings the content */
	uint32_t line;
	char c;  /* T_PUNCT: first char; '-' + '>' is 'A' (->), "::" is 'C', "==" etc 'E' */
};

struct frame {
	uint8_t kind;     /* enum fkind of the call that opened it, FK_NONE for grouping */
	uint16_t flow;     /* FL_* that flowed in */
	uint16_t callee;   /* a variable call: FL_* of the callee */
	uint8_t dec;      /* decoder nesting below */
	uint8_t argmask;  /* arguments (0..7) that received input */
	uint8_t argpar;   /* arguments (0..7) that received a parameter */
	uint8_t arg;      /* current argument */
	uint8_t pregE;    /* first argument is a literal pattern with /e */
	uint8_t user;     /* a call of a user function (hash in uhash) */
	uint8_t cbsink;   /* its callback argument is a literal sink name: 'assert' */
	uint8_t litn, litlen, litbad; /* only literals concatenated inside: their value */
	uint8_t brace;    /* opened by ${ or ->{ */
	uint8_t cmp;      /* a comparison directly inside: assert($x !== false) tests, runs nothing */
	uint8_t a0in;     /* the first argument is request input from its start: readfile($_GET['f']) */
	uint16_t asg_fl;  /* the flow before an assignment inside: ($c = $_GET['c']) */
	uint32_t asg_h;   /* the variable assigned, 0 if none */
	uint16_t argfl;   /* FL_* that flowed into the current argument */
	uint16_t a0fl;    /* ... into the first, once past it */
	uint16_t cbfl;    /* FL_* of the callback argument, once past it */
	uint8_t pregchr;  /* preg_replace: its pattern built with chr() */
	uint8_t packc;    /* first argument 'c*': pack('c*', 115, 121, ...) spells bytes */
	uint8_t pklen;
	char pk[32];      /* the bytes it spells */
	uint8_t argl;     /* arguments that are one literal each (bits) */
	size_t la[3];     /* str_replace: where those literals are */
	size_t ll[3];
	char lit[VAL_MAX];
	uint16_t chr;     /* chr() calls below */
	uint16_t chr_arg; /* chr when the current argument began */
	uint32_t uhash;
	uint32_t lastvar; /* a plain variable that flowed in (hash), 0 if none */
	uint32_t line;
	size_t start;     /* the called name, else the parenthesis */
	size_t nlen;      /* length of the called name */
	size_t a0, a0e;   /* the first argument's text: p[a0..a0e) */
	int asflag;       /* foreach: `as` seen */
};

struct taint {
	uint32_t h; /* 0: empty */
	uint16_t fl;
	uint8_t assigned; /* given a value somewhere in the file */
	uint8_t vlen; /* a known string value: $a = 'as' . 'sert'; */
	char val[VAL_MAX];
	size_t lpos; /* $a = '...';: where that one literal's text starts, 0 if none */
};

struct ucall {
	uint32_t h, line;
	size_t start;
	bool input; /* else a global variable, in a file that turns input into globals */
};

/* fields ordered by size (tidy's padding check): the buffer and tables, then
 * the statement, token and function state, then flags */
struct scan {
	const uint8_t *p;
	size_t n, pos;
	struct phpscan_result *res;
	struct frame fr[DEPTH_MAX];
	struct frame stmt; /* the statement outside any parenthesis */
	size_t lit_len;
	size_t lit_tok;        /* the statement's first literal (its text), 0 if none */
	size_t include_start;
	size_t pstart, plen;   /* the previous token */
	size_t cstart, clen;   /* the current token */
	uint64_t loop_braces;  /* bit i: brace level i is a loop body */
	uint32_t wrappers[FUNC_SLOTS];
	struct ucall calls[CALL_SLOTS];
	struct ucall mcalls[MCALL_SLOTS];
	uint32_t sources[SOURCE_SLOTS];
	int nsources;
	bool stmt_return;      /* the statement is `return ...` in a function body */
	struct ucall glob[GLOB_SLOTS]; /* sinks fed by a top-level variable */
	/* bit i: taint[i] holds what was written to it (zeroed when first
	 * touched); a slot not touched reads as empty. The table is most of the
	 * scanner's size and a file uses a few slots: scan_init leaves it (and
	 * fr[], set by frame_open) as it finds it */
	uint64_t taint_init[TAINT_SLOTS / 64];
	struct taint taint[TAINT_SLOTS];
	size_t cap_pos[CAP_BITS]; /* the first call giving each capability */
	uint32_t cap_line[CAP_BITS];
	unsigned caps;            /* CAP_* of the whole file */
	unsigned caps_top;        /* CAP_* of calls outside function bodies */
	unsigned runners;         /* distinct command runners called (bits) */
	unsigned recon;           /* distinct questions about the host asked (bits, CAP_RECON) */
	bool runner_top;          /* one called outside function bodies */
	size_t offscreen_pos;
	size_t blob_bytes, blob_pos; /* encoded blobs: their bytes, the first's place */
	uint32_t blob_line;
	uint32_t line;
	int depth; /* may exceed DEPTH_MAX: then untracked */
	uint32_t assign_h;     /* target of `$v =` in this statement */
	int stmt_ntok;         /* tokens so far in the statement */
	uint32_t first_var_h;  /* first token was a variable */
	int first_var_brk;     /* in its index chain */
	int lit_pieces;        /* string literals concatenated so far */
	size_t lit_bytes;      /* the bytes of those that are literals written out */
	int lit_only;          /* statement RHS is literals and dots only */
	int onechar;           /* single-character literals concatenated */
	int xorops;            /* a literal after ^ | & in the statement */
	int xor_total;         /* in the file */
	int underscores;       /* uses of variables named by underscores alone */
	uint32_t include_line;
	int include_ntok;
	enum ttype prev;
	uint32_t pline, cline;
	int callee_brk;
	uint32_t cur_fn;       /* hash of the function being defined */
	int fn_state;          /* 1 name seen, 2 in params, 3 body */
	int fn_brace;          /* brace depth of its body */
	int brace;
	int loop_pending;      /* loop header closed, body next */
	int loop_stmt;         /* single-statement loop body */
	int loop_paren;        /* depth of the loop header's parenthesis */
	int ctrl_nest;         /* parentheses open in that header */
	int ncalls;
	int nmcalls;
	int nglob;
	int ntaint;
	uint32_t offscreen_line;
	uint16_t callee_fl;     /* variable (chain) that could be called */
	uint16_t last_close_fl; /* flow of the frame just closed: (...)(...) */
	uint16_t varname_fl;    /* ${$a} just closed: what the variable it names holds */
	size_t *dbudget;       /* decoded bytes the file may still produce */
	int ddepth;            /* a decoded payload's nesting: 0 the file itself */
	bool php; /* inside <?php */
	bool any_php;
	bool lit_long;         /* longer than VAL_MAX */
	bool assign_elem;      /* the target is an element: $a['k'] = */
	bool xor_lhs_lit;      /* the operator followed a literal */
	bool var_after_dot;    /* the last variable followed a `.` */
	bool include_open;     /* include keyword: statement-level sink */
	bool include_prefix;   /* a literal came before the input */
	char prevc;
	uint8_t prev_kind;
	const struct fname *prev_fn; /* the previous token's entry in fnames */
	bool prev_member;      /* the identifier followed -> or :: */
	bool prev_fndef;       /* the identifier followed function/new */
	bool prev_lit;         /* the last operand was a string literal */
	bool callee_ok;
	bool globals_input;    /* extract($_POST), $$k = $v over input: globals are input */
	bool wrote_input;      /* request input written to a file */
	bool global_stmt;      /* `global $a, $b;` in a function body */
	bool first_globals;    /* the statement began $GLOBALS['k']: it is $k */
	bool wrote_handle;     /* ... through a handle (fwrite, fputs) */
	bool list_assign;      /* and its `=` seen (list(...) below) */
	bool stmt_objdec;      /* json_decode / unserialize of input in this statement */
	bool stmt_sock;        /* a socket opened in this statement */
	bool opened_php;       /* fopen of a path naming a .php file */
	bool gate;             /* request input compared with a fixed secret: a password gate */
	bool probe;            /* asks which functions the host disabled, or whether a runner exists */
	bool eval_seen;        /* eval, assert or create_function called */
	bool dyn;              /* code run that the page does not carry (sink_judge) */
	bool imports;          /* `use Name\Space;` at the top level */
	bool xor_elem;         /* ^ between characters read out of strings */
	uint32_t dyn_line;
	size_t dyn_pos;
	uint32_t hw_line;      /* a file written under a decoded name (0: none) */
	uint32_t unser_line;   /* unserialize of the request's data, where (0: none) */
	size_t hw_pos;
	size_t unser_pos;
	uint8_t nwritten, nopened, nucallv, nlistv, nobjin, nsocks; /* the rings' counts */
	bool magic_fn;         /* in __destruct or __wakeup: run by unserialize itself */
	bool gadget;           /* such a method runs code it holds (eval($this->code)) */
	uint32_t written[4];   /* the paths it was written to (path_hash), a ring */
	uint32_t opened[4];    /* the paths fopen opened */
	uint32_t ucallv[4];    /* variables given what a function of the file's own returned */
	uint32_t listv[4];     /* the variables of `list(...) =` opening the statement */
	uint32_t objin[4];     /* variables holding an object decoded from input (name_hash) */
	uint32_t socks[4];     /* variables holding a socket the page opened (name_hash) */
	uint32_t gate_line;
	size_t gate_pos;
	bool input_read;       /* $_GET, $_POST, ... read directly */
	bool app_code;         /* defines a class or namespace, or includes code */
	bool app_linked;       /* declares a namespace or includes code: linked to others */
	bool declares;         /* declares a class, interface or trait */
	bool cli;              /* reads $argv or asks for the SAPI: a command-line script */
	bool varvar_stmt;      /* the statement assigns $$name */
	bool stmt_first_dollar; /* the statement began with $$ */
	bool ctrl_armed;       /* if/while/for/foreach at the statement's start: its header next */
	bool ctrl_done;        /* that header just closed: a body without braces may follow */
	bool pick_num;         /* the next number indexes a known string: $alphabet[12] */
	bool pick_close;       /* and its bracket closes next */
	char lit[VAL_MAX];     /* the statement's literals concatenated (truncated) */
};

/* A scanner as new: every field zero but the two tables that are most of
 * its size, which need none (fr[] is set by frame_open, taint[] zeroed slot
 * by slot as taint_init marks them): clearing 50 KB for each file of a few
 * KB was a tenth of the scan of application code. */
static void
scan_init(struct scan *s)
{
	const size_t fr0 = offsetof(struct scan, fr), fr1 = fr0 + sizeof(s->fr);
	const size_t t0 = offsetof(struct scan, taint), t1 = t0 + sizeof(s->taint);
	uint8_t *b = (uint8_t *)s;

	_Static_assert(offsetof(struct scan, fr) < offsetof(struct scan, taint), "fr before taint");
	memset(b, 0, fr0);
	memset(b + fr1, 0, t0 - fr1);
	memset(b + t1, 0, sizeof(*s) - t1);
}

/* ---- results ---------------------------------------------------------- */

void
phpscan_excerpt(const uint8_t *p, size_t n, size_t start, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = start < n ? start : n;

	/* skip leading blanks, then copy up to the end of the line */
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (i < n && p[i] != '\n' && o + 5 < PHPSCAN_EXCERPT_MAX) {
		uint8_t c = p[i++];

		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* records a finding (one per class, the most confident kept); decoded: the
 * escaped excerpt of a decoded payload's finding, else the code at start */
static void
finding_put(struct scan *s, enum phpscan_class cls, enum phpscan_conf conf, uint32_t line, size_t start,
	    const char *decoded)
{
	struct phpscan_result *r = s->res;
	struct phpscan_finding *f = NULL;
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (r->f[i].cls == cls) {
			f = &r->f[i];
			break;
		}
	if (f != NULL) {
		f->count++;
		if (conf <= f->conf)
			return;
	} else {
		if (r->n == PHPSCAN_FINDINGS_MAX) {
			/* full: a more confident finding replaces the first weaker one */
			for (i = 0; i < r->n && r->f[i].conf >= conf; i++)
				;
			if (i == r->n)
				return;
			f = &r->f[i];
		} else {
			f = &r->f[r->n++];
		}
		f->cls = cls;
		f->count = 1;
	}
	f->conf = conf;
	f->line = line;
	if (decoded != NULL)
		snprintf(f->excerpt, sizeof(f->excerpt), "decoded: %.*s", (int)sizeof(f->excerpt) - 10, decoded);
	else
		phpscan_excerpt(s->p, s->n, start, f->excerpt);
}

static void
finding(struct scan *s, enum phpscan_class cls, enum phpscan_conf conf, uint32_t line, size_t start)
{
	finding_put(s, cls, conf, line, start, NULL);
}

/* ---- names ------------------------------------------------------------ */

/* fnames by the hash of its names: an identifier is looked up once, in one
 * pass over its bytes (lowered and hashed together) and one comparison,
 * instead of a binary search of strcmp calls. Built from fnames on first use,
 * so an entry added there needs nothing else. */
#define FNAME_SLOTS 1024 /* a power of 2, several times the names */
static uint16_t fname_slot[FNAME_SLOTS]; /* index in fnames + 1; 0 empty */
static uint8_t fname_len[sizeof(fnames) / sizeof(fnames[0])];
/* bit (first & 31) * 32 + (last & 31) of word len: a name of that length
 * begins and ends so (the low five bits are blind to case): most
 * identifiers name nothing of fnames and are told so without being hashed */
static uint32_t fname_ends[29][32];
static pthread_once_t fname_once = PTHREAD_ONCE_INIT;

static void
fname_index_build(void)
{
	size_t i, j;

	for (i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++) {
		const char *name = fnames[i].name;
		uint32_t h = 2166136261u;

		for (j = 0; name[j] != '\0'; j++)
			h = (h ^ (uint8_t)name[j]) * 16777619u;
		fname_len[i] = (uint8_t)j;
		if (j < 29 && j > 0)
			fname_ends[j][(uint8_t)name[0] & 31] |= 1u << ((uint8_t)name[j - 1] & 31);
		for (h &= FNAME_SLOTS - 1; fname_slot[h] != 0; h = (h + 1) & (FNAME_SLOTS - 1))
			;
		fname_slot[h] = (uint16_t)(i + 1);
	}
}

/* lowercases an identifier into out (size 32); false when too long */
static bool
ident_lower(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	if (len >= 32)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = '\0';
	return true;
}

/* the entry of fnames an identifier names (case-insensitive), NULL if none */
static const struct fname *
fname_find(const uint8_t *p, size_t len)
{
	char low[32];
	uint32_t h = 2166136261u;
	size_t i;

	if (len < 2 || len > 28)
		return NULL;
	pthread_once(&fname_once, fname_index_build);
	if (!((fname_ends[len][p[0] & 31] >> (p[len - 1] & 31)) & 1))
		return NULL;
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c += 32;
		low[i] = (char)c;
		h = (h ^ c) * 16777619u;
	}
	for (h &= FNAME_SLOTS - 1; fname_slot[h] != 0; h = (h + 1) & (FNAME_SLOTS - 1)) {
		size_t k = fname_slot[h] - 1u;

		if (fname_len[k] == len && memcmp(fnames[k].name, low, len) == 0)
			return &fnames[k];
	}
	return NULL;
}

/* p[0..n) is the lower-case word w, ignoring the case of p (ASCII, as
 * strncasecmp in the C locale), without measuring w first */
static bool
word_ci(const uint8_t *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (w[i] == '\0' || (uint8_t)w[i] != c)
			return false;
	}
	return w[n] == '\0';
}

static enum fkind
fname_kind(const uint8_t *p, size_t len)
{
	const struct fname *f = fname_find(p, len);

	return f ? (enum fkind)f->kind : FK_NONE;
}

static bool
is_hidden_name(const char *s, size_t len)
{
	char low[32];
	size_t i;

	/* a leading backslash (global namespace) and blanks do not hide anything */
	while (len > 0 && (*s == '\\' || *s == ' ')) {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len < 4 || !ident_lower((const uint8_t *)s, len, low))
		return false;
	for (i = 0; i < sizeof(hidden_names) / sizeof(hidden_names[0]); i++)
		if (strcmp(low, hidden_names[i]) == 0)
			return true;
	return false;
}

static uint32_t
name_hash(const uint8_t *p, size_t len, bool fold)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 16777619u;
	}
	return h ? h : 1;
}

/* an expression naming a file, as its text without blanks, parentheses and the
 * statement's end: the same path written and included hashes the same; 0 if
 * too long to say */
static uint32_t
path_hash(const uint8_t *p, size_t a, size_t e)
{
	uint32_t h = 2166136261u;

	if (e <= a || e - a > 512)
		return 0; /* (e is at most the buffer's length: a position scanned) */
	for (; a < e; a++)
		if (!strchr(" \t\r\n();?>", p[a]) || p[a] == 0)
			h = (h ^ p[a]) * 16777619u;
	return h ? h : 1;
}

static bool
hash_in(const uint32_t *ring, uint8_t n, uint32_t h)
{
	uint8_t i;

	for (i = 0; i < n && i < 4; i++)
		if (ring[i] == h)
			return true;
	return false;
}

static bool
is_ident_start(uint8_t c)
{
	return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80;
}

static bool
is_ident(uint8_t c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* ---- variable taint --------------------------------------------------- */

static bool
taint_touched(const struct scan *s, uint32_t i)
{
	return (s->taint_init[i / 64] >> (i % 64)) & 1;
}

/* slot i, zeroed when first touched */
static struct taint *
taint_at(struct scan *s, uint32_t i)
{
	if (!taint_touched(s, i)) {
		memset(&s->taint[i], 0, sizeof(s->taint[i]));
		s->taint_init[i / 64] |= 1ull << (i % 64);
	}
	return &s->taint[i];
}

static struct taint *
taint_slot(struct scan *s, uint32_t h, bool add)
{
	uint32_t i, k;

	/* a function's variables are its own: keyed by the function too */
	if (s->fn_state >= 2 && s->cur_fn != 0)
		h = ((h ^ s->cur_fn) * 16777619u) | 1;
	i = h % TAINT_SLOTS;
	for (k = 0; k < TAINT_SLOTS; k++, i = (i + 1) % TAINT_SLOTS) {
		uint32_t sh = taint_touched(s, i) ? s->taint[i].h : 0;
		struct taint *t;

		if (sh == h)
			return taint_at(s, i);
		if (sh == 0) {
			/* keep a quarter free so lookups stay short */
			if (!add || s->ntaint >= TAINT_SLOTS * 3 / 4)
				return NULL;
			s->ntaint++;
			t = taint_at(s, i);
			t->h = h;
			t->fl = 0;
			return t;
		}
	}
	return NULL;
}

static uint16_t
taint_get(struct scan *s, uint32_t h)
{
	const struct taint *t = taint_slot(s, h, false);

	return t ? t->fl : 0;
}

static void
taint_set(struct scan *s, uint32_t h, uint16_t fl)
{
	struct taint *t;

	if (fl == 0)
		return;
	t = taint_slot(s, h, true);
	if (t)
		t->fl |= fl;
}

/* an assignment: what the variable now holds (an element assigned adds to
 * what the array held) */
static void
taint_assign(struct scan *s, uint32_t h, uint16_t fl, const char *val, size_t vlen, bool elem)
{
	struct taint *t = taint_slot(s, h, true);

	if (t == NULL)
		return;
	t->assigned = 1;
	t->fl = elem ? (uint16_t)((t->fl & ~(FL_LITVAR | FL_SINKNAME)) | fl) : fl;
	t->vlen = 0;
	if ((fl & FL_LITVAR) && vlen < VAL_MAX) {
		memcpy(t->val, val, vlen);
		t->vlen = (uint8_t)vlen;
	}
}

/* what a variable holds at the top level of the file (outside function bodies) */
static uint16_t
taint_top(struct scan *s, uint32_t h)
{
	int st = s->fn_state;
	uint16_t fl;

	s->fn_state = 0;
	fl = taint_get(s, h);
	s->fn_state = st;
	return fl;
}

/* $GLOBALS['name'] at p[i..]: the hash of $name, 0 if not so */
static uint32_t
globals_elem(const uint8_t *p, size_t n, size_t i)
{
	uint8_t nm[VAL_MAX + 1];
	size_t l = 1;
	uint8_t q;

	if (i + 4 >= n || p[i] != '[' || (p[i + 1] != '\'' && p[i + 1] != '"'))
		return 0;
	q = p[i + 1];
	nm[0] = '$';
	for (i += 2; i < n && l < VAL_MAX && is_ident(p[i]); i++)
		nm[l++] = p[i];
	if (l == 1 || i + 1 >= n || p[i] != q || p[i + 1] != ']')
		return 0;
	return name_hash(nm, l, false);
}

static const struct taint *
taint_find(struct scan *s, const uint8_t *name, size_t len)
{
	return taint_slot(s, name_hash(name, len, false), false);
}

/* appends a piece of a string being concatenated; false when it no longer fits */
static bool
lit_append(char *buf, size_t *len, const void *p, size_t n)
{
	if (*len + n >= VAL_MAX)
		return false;
	memcpy(buf + *len, p, n);
	*len += n;
	buf[*len] = '\0';
	return true;
}

static bool
is_sink_name(const char *v, size_t n)
{
	enum fkind k;

	while (n > 0 && *v == '\\') {
		v++;
		n--;
	}
	k = fname_kind((const uint8_t *)v, n);
	return k == FK_EVAL || k == FK_EXEC;
}

/* sink names that are no ordinary words ('system' names events and types) */
static bool
is_callback_sink(const char *v, size_t n)
{
	static const char *const names[] = { "assert", "create_function", "passthru", "shell_exec", "proc_open",
					     "pcntl_exec" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (word_ci((const uint8_t *)v, n, names[i]))
			return true;
	return false;
}

static bool
is_input_name(const char *v, size_t n)
{
	return (n == 4 && memcmp(v, "_GET", 4) == 0) || (n == 5 && memcmp(v, "_POST", 5) == 0) ||
	       (n == 8 && memcmp(v, "_REQUEST", 8) == 0) || (n == 7 && memcmp(v, "_COOKIE", 7) == 0);
}

/* a variable given a value other than by `=`: foreach, parameters, list(), & */
static void
taint_mark_assigned(struct scan *s, uint32_t h)
{
	struct taint *t = taint_slot(s, h, true);

	if (t)
		t->assigned = 1;
}

static bool
taint_assigned(struct scan *s, uint32_t h)
{
	const struct taint *t = taint_slot(s, h, false);

	return t && t->assigned;
}

/* ---- the flow of values ----------------------------------------------- */

static struct frame *
top(struct scan *s)
{
	if (s->depth == 0)
		return &s->stmt;
	return s->depth <= DEPTH_MAX ? &s->fr[s->depth - 1] : NULL;
}

static void
flow_add(struct scan *s, uint16_t fl)
{
	struct frame *f = top(s);

	if (f == NULL)
		return;
	f->flow |= fl;
	f->argfl |= fl;
	if (fl & FL_INPUT)
		f->argmask |= (uint8_t)(1u << (f->arg < 7 ? f->arg : 7));
	if (fl & FL_PARAM)
		f->argpar |= (uint8_t)(1u << (f->arg < 7 ? f->arg : 7));

}

static bool
is_superglobal_input(const uint8_t *v, size_t len)
{
	static const char *const names[] = { "$_GET", "$_POST", "$_REQUEST", "$_COOKIE", "$_FILES",
					     "$HTTP_RAW_POST_DATA", "$HTTP_GET_VARS", "$HTTP_POST_VARS",
					     "$HTTP_COOKIE_VARS", "$HTTP_POST_FILES" };
	size_t i;

	if (len < 5 || v[0] != '$' || (v[1] != '_' && v[1] != 'H'))
		return false; /* (what every name below begins with) */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len == strlen(names[i]) && memcmp(v, names[i], len) == 0)
			return true;
	return false;
}

/* after `$_SERVER` or `getenv(`: does an index / argument name a request header? */
static bool
peek_header_key(const struct scan *s, size_t i)
{
	static const char *const keys[] = { "HTTP_", "QUERY_STRING", "REQUEST_URI", "PATH_INFO",
					    "argv", "PHP_AUTH_", "ORIG_PATH_INFO" };
	size_t k, end = i + 64 < s->n ? i + 64 : s->n;

	while (i < end && (s->p[i] == ' ' || s->p[i] == '[' || s->p[i] == '(' || s->p[i] == '\t'))
		i++;
	if (i >= end || (s->p[i] != '\'' && s->p[i] != '"'))
		return false;
	i++;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t l = strlen(keys[k]);

		if (i + l <= s->n && memcmp(s->p + i, keys[k], l) == 0)
			return true;
	}
	return false;
}

/* `$_SERVER` not indexed: the whole array, request headers included
 * (array_values($_SERVER), foreach ($_SERVER as ...)) */
static bool
server_whole(const struct scan *s, size_t i)
{
	while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t'))
		i++;
	return i < s->n && s->p[i] != '[' && s->p[i] != '{' && s->p[i] != '-';
}

/* a variable used in an expression (also inside "..." strings) */
static uint16_t
var_flow(struct scan *s, size_t start, size_t len, size_t after)
{
	const uint8_t *v = s->p + start;
	uint16_t fl;

	if (is_superglobal_input(v, len)) {
		s->input_read = s->input_read || s->fn_state != 3;
		return FL_INPUT;
	}
	if (len == 8 && memcmp(v, "$_SERVER", 8) == 0)
		return peek_header_key(s, after) || server_whole(s, after) ? FL_INPUT : 0;
	if ((len == 5 && memcmp(v, "$argv", 5) == 0) || (len == 5 && memcmp(v, "$argc", 5) == 0))
		s->cli = true;
	if (len == 5 && memcmp(v, "$this", 5) == 0) {
		/* outside a class too: a view or handler an application includes */
		s->app_code = true;
		return 0;
	}
	/* $GLOBALS['k']: the variable $k of the top level */
	if (len == 8 && memcmp(v, "$GLOBALS", 8) == 0) {
		uint32_t g = globals_elem(s->p, s->n, after);

		if (g != 0)
			return (uint16_t)((taint_top(s, g) & (FL_INPUT | FL_DECODED | FL_NAME | FL_CHR | FL_BLOB | FL_SINKNAME)) |
					  FL_VAR);
	}
	fl = taint_get(s, name_hash(v, len, false));
	/* a variable holding a string of literals is a literal */
	return fl & FL_LITVAR ? fl : fl | FL_VAR;
}

/* ---- string literals -------------------------------------------------- */

static bool contains_ci(const uint8_t *p, size_t n, const char *s);
static size_t b64_decode_some(const uint8_t *p, size_t n, uint8_t *out, size_t outsz);

/* the first w[0..wl) in p[0..n), as memmem finds it, looked for by memchr of
 * its byte w[a] (a byte rarer in code than its first): memmem prepares a
 * table on each call, which costs more than the search on the short
 * literals and comments it is called for once per token */
static const uint8_t *
mem_find(const uint8_t *p, size_t n, const char *w, size_t wl, size_t a)
{
	const uint8_t *q, *end;

	if (wl == 0 || n < wl)
		return NULL;
	q = p + a;
	end = p + (n - wl) + a + 1; /* the anchor of the last place w fits */
	while (q < end && (q = memchr(q, (uint8_t)w[a], (size_t)(end - q))) != NULL) {
		if (memcmp(q - a, w, wl) == 0)
			return q - a;
		q++;
	}
	return NULL;
}

/* a script (Perl, Python, C, shell) that opens a socket and hands it a shell */
static bool
shell_on_socket(const uint8_t *c, size_t n)
{
	return (memmem(c, n, "/bin/sh", 7) || memmem(c, n, "/bin/bash", 9) || memmem(c, n, "cmd.exe", 7) ||
		memmem(c, n, "CMD.EXE", 7)) &&
	       contains_ci(c, n, "socket");
}

/* a literal carrying a connect-back or bind shell, as text or in base64
 * (blob: the literal is encoded, its text is not read as such) */
static bool
is_connect_back(const uint8_t *c, size_t n, bool blob)
{
	uint8_t dec[2048];
	size_t i = 0, l;

	if (n < 64)
		return false;
	if (!blob && n <= 65536 && shell_on_socket(c, n))
		return true;
	while (i < n && i < 8 && (c[i] == ' ' || c[i] == '\n' || c[i] == '\r'))
		i++;
	/* base64 from its start (the first 64 characters), else no payload of this kind */
	for (l = i; l < n && l < i + 64; l++)
		if (!(((c[l] | 32) >= 'a' && (c[l] | 32) <= 'z') || (c[l] >= '0' && c[l] <= '9') || c[l] == '+' ||
		      c[l] == '/' || c[l] == '='))
			return false;
	l = b64_decode_some(c + i, n - i, dec, sizeof(dec));
	return l >= 48 && shell_on_socket(dec, l);
}

static bool
is_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/' || c == '=' || c == '_' || c == '-';
}

static int
b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* decodes up to outsz bytes of base64 from p; returns the count */
static size_t
b64_decode_some(const uint8_t *p, size_t n, uint8_t *out, size_t outsz)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (i = 0; i < n && o < outsz; i++) {
		int v = b64val(p[i]);

		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* an embedded image or font is data, not a payload */
static bool
is_media_magic(const uint8_t *b, size_t n)
{
	return (n >= 4 && memcmp(b, "\x89PNG", 4) == 0) || (n >= 3 && memcmp(b, "GIF", 3) == 0) ||
	       (n >= 3 && memcmp(b, "\xff\xd8\xff", 3) == 0) || (n >= 4 && memcmp(b, "wOF", 3) == 0) ||
	       (n >= 4 && memcmp(b, "\0\1\0\0", 4) == 0) || (n >= 4 && memcmp(b, "OTTO", 4) == 0) ||
	       (n >= 4 && memcmp(b, "RIFF", 4) == 0) || (n >= 4 && memcmp(b, "<svg", 4) == 0) ||
	       (n >= 4 && memcmp(b, "<?xm", 4) == 0) || (n >= 4 && memcmp(b, "\0\0\1\0", 4) == 0) ||
	       (n >= 2 && memcmp(b, "BM", 2) == 0) || (n >= 4 && memcmp(b, "%PDF", 4) == 0) ||
	       (n >= 4 && memcmp(b, "PK\3\4", 4) == 0);
}

static int hexval(uint8_t c);

/* a literal holding a native executable, in hex ("0x" before it or not) or
 * base64: a Windows PE or an ELF file, carried to be written out and run */
static bool
is_binary_literal(const uint8_t *p, size_t n)
{
	uint8_t head[8];
	size_t i, o = 0;

	if (n < 256)
		return false;
	if (p[0] == '0' && (p[1] | 32) == 'x') { /* n >= 256 */
		p += 2;
		n -= 2;
	}
	for (i = 0; i + 1 < n && o < sizeof(head); i += 2) {
		int hi = hexval(p[i]), lo = hexval(p[i + 1]);

		if (hi < 0 || lo < 0)
			break;
		head[o++] = (uint8_t)(hi << 4 | lo);
	}
	if (o < sizeof(head))
		o = b64_decode_some(p, n, head, sizeof(head));
	if (o < sizeof(head))
		return false;
	return (head[0] == 'M' && head[1] == 'Z' && (head[2] == 0x90 || head[3] == 0 || head[2] == 'K')) ||
	       (memcmp(head, "\x7f" "ELF", 4) == 0 && (head[4] == 1 || head[4] == 2));
}

/* Shannon entropy in bits per byte of a literal that is one long token */
static bool
is_blob(const uint8_t *p, size_t n)
{
	uint32_t cnt[256] = { 0 };
	uint8_t head[8];
	size_t i, alpha = 0, hexd = 0, print = 0, punct = 0;
	double e = 0;

	if (n < BLOB_MIN)
		return false;
	/* the bytes counted in one pass; the classes summed from the counts */
	for (i = 0; i < n; i++)
		cnt[p[i]]++;
	for (i = 0; i < 256; i++) {
		uint8_t c = (uint8_t)i;
		bool an = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (cnt[i] == 0)
			continue;
		if (is_b64(c) || c == '\\')
			alpha += cnt[i];
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			hexd += cnt[i];
		if ((c > 0x20 && c < 0x7f) || c == '\t')
			print += cnt[i];
		if (c > 0x20 && c < 0x7f && !an)
			punct += cnt[i];
	}
	/* text with spaces is prose */
	if (cnt[' '] > n / 64)
		return false;
	for (i = 0; i < 256; i++)
		if (cnt[i]) {
			double q = (double)cnt[i] / (double)n;

			e -= q * log2(q);
		}
	/* a packer's own alphabet: printable ASCII near random, or punctuation alone */
	if (print * 100 >= n * 95 && (e > 5.7 || (punct * 10 >= n * 9 && e > 3.0)))
		return true;
	/* markup */
	if (cnt['<'] > n / 128)
		return false;
	if (alpha * 100 < n * 97)
		return false;
	if (b64_decode_some(p, n, head, sizeof(head)) == sizeof(head) && is_media_magic(head, sizeof(head)))
		return false;
	/* base64 of compressed data is near 6 bits; hex near 4 */
	return e > 5.2 || (hexd == n && e > 3.8);
}

/* decodes "..." escapes (\xNN, octal) of a short literal */
static size_t
dq_unescape(const uint8_t *p, size_t n, char *out, size_t outsz, int *nesc)
{
	size_t i = 0, o = 0;

	*nesc = 0;
	while (i < n && o + 1 < outsz) {
		if (p[i] == '\\' && i + 1 < n) {
			uint8_t c = p[i + 1];

			if ((c == 'x' || c == 'X') && i + 2 < n && strchr("0123456789abcdefABCDEF", p[i + 2]) &&
			    p[i + 2] != '\0') {
				unsigned v = 0;
				size_t j = i + 2;

				while (j < n && j < i + 4 && strchr("0123456789abcdefABCDEF", p[j]) && p[j] != '\0') {
					v = v * 16 + (unsigned)(p[j] <= '9' ? p[j] - '0' : (p[j] | 32) - 'a' + 10);
					j++;
				}
				out[o++] = (char)v;
				i = j;
				(*nesc)++;
				continue;
			}
			if (c >= '0' && c <= '7') {
				unsigned v = 0;
				size_t j = i + 1;

				while (j < n && j < i + 4 && p[j] >= '0' && p[j] <= '7') {
					v = v * 8 + (unsigned)(p[j] - '0');
					j++;
				}
				out[o++] = (char)v;
				i = j;
				(*nesc)++;
				continue;
			}
			out[o++] = (char)c;
			i += 2;
			continue;
		}
		out[o++] = (char)p[i++];
	}
	out[o] = '\0';
	return o;
}

static void
rot13(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			s[i] = (char)('a' + (c - 'a' + 13) % 26);
		else if (c >= 'A' && c <= 'Z')
			s[i] = (char)('A' + (c - 'A' + 13) % 26);
	}
}

static void
reverse(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		char t = s[i];

		s[i] = s[n - 1 - i];
		s[n - 1 - i] = t;
	}
}

static size_t
hex_decode_some(const uint8_t *p, size_t n, uint8_t *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i + 1 < n && o < outsz; i += 2) {
		int hi = p[i] <= '9' ? p[i] - '0' : (p[i] | 32) - 'a' + 10;
		int lo = p[i + 1] <= '9' ? p[i + 1] - '0' : (p[i + 1] | 32) - 'a' + 10;

		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			break;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	return o;
}

enum { DEC_NOTHING, DEC_NAME, DEC_PHP };

/* what a literal argument of a decoder turns into: a dangerous function's
 * name, PHP code, or nothing of note */
static int
decoded_literal(const char *fn, size_t fnlen, const uint8_t *lit, size_t n)
{
	char buf[40];
	size_t l = 0;

	if (n == 0)
		return DEC_NOTHING;
	if (fnlen == 9 && strncasecmp(fn, "str_rot13", 9) == 0) {
		l = n < sizeof(buf) ? n : sizeof(buf);
		memcpy(buf, lit, l);
		rot13(buf, l);
	} else if (fnlen == 6 && strncasecmp(fn, "strrev", 6) == 0) {
		if (n > sizeof(buf))
			return DEC_NOTHING;
		l = n;
		memcpy(buf, lit, l);
		reverse(buf, l);
	} else if (fnlen == 13 && strncasecmp(fn, "base64_decode", 13) == 0) {
		l = b64_decode_some(lit, n, (uint8_t *)buf, sizeof(buf));
	} else if ((fnlen == 7 && strncasecmp(fn, "hex2bin", 7) == 0) ||
		   (fnlen == 4 && strncasecmp(fn, "pack", 4) == 0)) {
		l = hex_decode_some(lit, n, (uint8_t *)buf, sizeof(buf));
	}
	if (l >= 5 && buf[0] == '<' && buf[1] == '?' &&
	    ((buf[2] | 32) == 'p' || buf[2] == '=' || buf[2] == ' ' || buf[2] == '@' || buf[2] == '\n'))
		return DEC_PHP;
	/* a name is all the literal holds */
	if (n <= 36 && l > 0 && is_hidden_name(buf, l))
		return DEC_NAME;
	return DEC_NOTHING;
}

/* a string literal seen in an expression */
static void scan_php(struct scan *s);
static bool frame_named(const struct scan *s, const struct frame *f, const char *w);
static void literal_code_scan(struct scan *s, const uint8_t *c, size_t n, uint32_t line, size_t start);

static void
literal_seen(struct scan *s, const struct tok *t)
{
	const uint8_t *c = s->p + t->start;
	size_t n = t->len;
	uint16_t fl = FL_LIT;
	bool blob;

	/* ${'_POST'}, $GLOBALS['_GET'], foreach (array('_GET', '_POST') as $k) */
	if (is_input_name((const char *)c, n))
		fl |= FL_INPUT;
	if (is_sink_name((const char *)c, n)) {
		fl |= FL_SINKNAME;
		/* function_exists('shell_exec'): which runners does the host leave? */
		if (top(s) && top(s)->user && (frame_named(s, top(s), "function_exists") || frame_named(s, top(s), "is_callable")))
			s->probe = true;
	}
	if (n == 17 && memcmp(c, "disable_functions", 17) == 0)
		s->probe = true;
	/* create_function('$a', 'assert($a);'): a body that executes */
	if (top(s) && top(s)->kind == FK_EVAL && n >= 6 && n < 4096 &&
	    (memmem(c, n, "assert(", 7) || memmem(c, n, "eval(", 5) || memmem(c, n, "system(", 7) ||
	     memmem(c, n, "passthru(", 9) || memmem(c, n, "exec(", 5)))
		fl |= FL_NAME;
	/* code in a literal handed to eval/create_function: 'assert($_POST[c]);' */
	if ((t->type == T_SQ || t->type == T_NOWDOC) && n >= 6 && n < 4096 && top(s) && top(s)->kind == FK_EVAL &&
	    (memmem(c, n, "$_POST", 6) || memmem(c, n, "$_GET", 5) || memmem(c, n, "$_REQUEST", 9) ||
	     memmem(c, n, "$_COOKIE", 8)))
		fl |= FL_INPUT;
	if (n >= 11 && (mem_find(c, n < 64 ? n : 64, "php://input", 11, 3) != NULL))
		fl |= FL_STREAM | FL_INPUT;
	else if (n >= 5 && (memcmp(c, "data:", 5) == 0 || (n >= 12 && memcmp(c, "php://filter", 12) == 0)))
		fl |= FL_STREAM;
	if (n >= 8 && (memcmp(c, "http://", 7) == 0 || memcmp(c, "https://", 8) == 0 ||
		       memcmp(c, "ftp://", 6) == 0))
		fl |= FL_URL;
	if (t->type == T_DQ && n <= 160 && memchr(c, '\\', n) != NULL) {
		char dec[40];
		int nesc;
		size_t l = dq_unescape(c, n, dec, sizeof(dec), &nesc);

		if (nesc >= 2 && is_hidden_name(dec, l)) {
			fl |= FL_NAME;
			finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_HIGH, t->line, t->start);
		}
	}
	/* a page in a literal: what does it do? */
	if (n >= 16 && t->type != T_BACKTICK) {
		const uint8_t *o = mem_find(c, n, "<?", 2, 0);

		if (o != NULL && o + 5 <= c + n && (o[2] == '=' || strncasecmp((const char *)o + 2, "php", 3) == 0))
			literal_code_scan(s, c, n, t->line, t->start);
	}
	if (n >= 256 && is_binary_literal(c, n))
		finding(s, PHPSCAN_EMBEDDED_BINARY, PHPSCAN_WEAK, t->line, t->start);
	blob = n >= BLOB_MIN && is_blob(c, n);
	if (n >= 64 && is_connect_back(c, n, blob))
		finding(s, PHPSCAN_CONNECT_BACK, PHPSCAN_WEAK, t->line, t->start);
	if (blob) {
		fl |= FL_BLOB;
		finding(s, PHPSCAN_ENCODED_BLOB, PHPSCAN_NOTE, t->line, t->start);
		if (s->blob_bytes == 0) {
			s->blob_line = t->line;
			s->blob_pos = t->start;
		}
		s->blob_bytes += n;
	}
	flow_add(s, fl);
}

/* "...$var..." and heredocs: variables used inside */
static void
interpolated_vars(struct scan *s, const struct tok *t)
{
	size_t i = t->start, end = t->start + t->len;

	while (i < end) {
		const uint8_t *q = memchr(s->p + i, '$', end - i);
		size_t j;

		if (q == NULL)
			break;
		i = (size_t)(q - s->p);
		if (i > t->start && s->p[i - 1] == '\\') {
			i++;
			continue;
		}
		j = i + 1;
		while (j < end && is_ident(s->p[j]))
			j++;
		if (j > i + 1) {
			uint16_t fl = var_flow(s, i, j - i, j);
			struct frame *f = top(s);

			flow_add(s, fl);
			if (f && (fl & FL_VAR) && !(fl & (FL_INPUT | FL_PARAM)))
				f->lastvar = name_hash(s->p + i, j - i, false);
		}
		i = j;
	}
}

/* ---- the tokenizer ---------------------------------------------------- */

static void
advance_to(struct scan *s, size_t to)
{
	const uint8_t *q = s->p + s->pos, *end = s->p + to;

	while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		s->line++;
		q++;
	}
	s->pos = to;
}

/* finds the next opening tag from s->pos; leaves pos after it */
static bool
html_skip(struct scan *s, bool short_tags)
{
	size_t i = s->pos;

	for (;;) {
		const uint8_t *q = memchr(s->p + i, '<', s->n - i);

		if (q == NULL) {
			advance_to(s, s->n);
			return false;
		}
		i = (size_t)(q - s->p);
		if (i + 1 < s->n && s->p[i + 1] == '?') {
			size_t k = i + 2;

			if (k + 3 <= s->n && (s->p[k] | 32) == 'p' && (s->p[k + 1] | 32) == 'h' &&
			    (s->p[k + 2] | 32) == 'p') {
				advance_to(s, k + 3);
				return true;
			}
			if (k < s->n && s->p[k] == '=') {
				advance_to(s, k + 1);
				return true;
			}
			if (short_tags && !(k + 3 <= s->n && (s->p[k] | 32) == 'x' && (s->p[k + 1] | 32) == 'm' &&
					    (s->p[k + 2] | 32) == 'l')) {
				advance_to(s, k);
				return true;
			}
		}
		i++;
	}
}

static void
skip_line_comment(struct scan *s)
{
	size_t i = s->pos;

	while (i < s->n && s->p[i] != '\n') {
		if (s->p[i] == '?' && i + 1 < s->n && s->p[i + 1] == '>')
			break;
		i++;
	}
	s->pos = i;
}

/* quoted string from s->pos (the quote); the token is its content */
static void
lex_quoted(struct scan *s, struct tok *t, uint8_t q)
{
	size_t i = s->pos + 1;

	t->start = i;
	/* the next quote not escaped: an odd run of backslashes before it escapes it */
	for (;;) {
		const uint8_t *e = i < s->n ? memchr(s->p + i, q, s->n - i) : NULL;
		size_t k, bs = 0;

		if (e == NULL) {
			i = s->n;
			break;
		}
		k = (size_t)(e - s->p);
		while (k - bs > t->start && s->p[k - bs - 1] == '\\')
			bs++;
		i = k;
		if (bs % 2 == 0)
			break;
		i++;
	}
	t->len = i - t->start;
	advance_to(s, i < s->n ? i + 1 : s->n);
}

/* <<<ID, <<<"ID", <<<'ID' (nowdoc) */
static bool
lex_heredoc(struct scan *s, struct tok *t)
{
	size_t i = s->pos + 3, id, idlen, j;
	bool nowdoc = false;

	while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t'))
		i++;
	if (i < s->n && (s->p[i] == '\'' || s->p[i] == '"')) {
		nowdoc = s->p[i] == '\'';
		i++;
	}
	id = i;
	while (i < s->n && is_ident(s->p[i]))
		i++;
	idlen = i - id;
	if (idlen == 0 || idlen > 64)
		return false;
	if (i < s->n && (s->p[i] == '\'' || s->p[i] == '"'))
		i++;
	t->type = nowdoc ? T_NOWDOC : T_HEREDOC;
	t->start = i;
	/* the closing identifier starts a line (after blanks), not followed by an identifier char */
	j = i;
	for (;;) {
		const uint8_t *nl = memchr(s->p + j, '\n', s->n - j);
		size_t k;

		if (nl == NULL) {
			t->len = s->n - t->start;
			advance_to(s, s->n);
			return true;
		}
		k = (size_t)(nl - s->p) + 1;
		while (k < s->n && (s->p[k] == ' ' || s->p[k] == '\t'))
			k++;
		if (k + idlen <= s->n && memcmp(s->p + k, s->p + id, idlen) == 0 &&
		    (k + idlen == s->n || !is_ident(s->p[k + idlen]))) {
			t->len = (size_t)(nl - s->p) - t->start;
			advance_to(s, k + idlen);
			return true;
		}
		j = (size_t)(nl - s->p) + 1;
	}
}

static void
next_token(struct scan *s, struct tok *t)
{
	for (;;) {
		uint8_t c;

		if (!s->php) {
			if (!html_skip(s, s->any_php || true)) {
				t->type = T_EOF;
				return;
			}
			s->php = true;
			t->type = T_OPEN;
			t->line = s->line;
			t->start = s->pos;
			return;
		}
		if (s->pos >= s->n) {
			t->type = T_EOF;
			return;
		}
		c = s->p[s->pos];
		if (c == '\n') {
			size_t i = s->pos + 1, b = 0;

			s->line++;
			s->pos++;
			/* code pushed far to the right, out of an editor's view */
			while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t')) {
				i++;
				b++;
			}
			if (b >= OFFSCREEN_COLS && i < s->n && s->p[i] != '\n' && s->p[i] != '\r' &&
			    s->offscreen_line == 0) {
				s->offscreen_line = s->line;
				s->offscreen_pos = i;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			size_t i = s->pos + 1;

			while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t'))
				i++;
			/* code pushed far to the right on its line, even the tag's line */
			if (i - s->pos >= OFFSCREEN_COLS && i < s->n && s->p[i] != '\n' && s->p[i] != '\r' &&
			    s->offscreen_line == 0) {
				s->offscreen_line = s->line;
				s->offscreen_pos = i;
			}
			s->pos = i;
			continue;
		}
		t->line = s->line;
		t->start = s->pos;
		if (c == '#' && !(s->pos + 1 < s->n && s->p[s->pos + 1] == '[')) {
			skip_line_comment(s);
			continue;
		}
		if (c == '/' && s->pos + 1 < s->n && s->p[s->pos + 1] == '/') {
			skip_line_comment(s);
			continue;
		}
		if (c == '/' && s->pos + 1 < s->n && s->p[s->pos + 1] == '*') {
			const uint8_t *e = s->pos + 2 < s->n ? mem_find(s->p + s->pos + 2, s->n - s->pos - 2, "*/", 2, 1) : NULL;

			advance_to(s, e ? (size_t)(e - s->p) + 2 : s->n);
			continue;
		}
		if (c == '?' && s->pos + 1 < s->n && s->p[s->pos + 1] == '>') {
			s->pos += 2;
			s->php = false;
			t->type = T_CLOSE;
			return;
		}
		if (c == '$' && s->pos + 1 < s->n && is_ident_start(s->p[s->pos + 1])) {
			size_t i = s->pos + 1;

			while (i < s->n && is_ident(s->p[i]))
				i++;
			t->type = T_VAR;
			t->len = i - s->pos;
			s->pos = i;
			return;
		}
		if (is_ident_start(c) || c == '\\') {
			size_t i = s->pos;

			/* a namespaced name: keep its last part */
			while (i < s->n && (is_ident(s->p[i]) || s->p[i] == '\\')) {
				if (s->p[i] == '\\')
					t->start = i + 1;
				i++;
			}
			if (i == t->start) { /* a lone backslash */
				s->pos = i;
				continue;
			}
			t->type = T_IDENT;
			t->len = i - t->start;
			s->pos = i;
			return;
		}
		if (c >= '0' && c <= '9') {
			size_t i = s->pos;

			while (i < s->n && (is_ident(s->p[i]) || s->p[i] == '.'))
				i++;
			t->type = T_NUM;
			t->len = i - s->pos;
			s->pos = i;
			return;
		}
		if (c == '\'' || c == '"' || c == '`') {
			t->type = c == '\'' ? T_SQ : c == '"' ? T_DQ : T_BACKTICK;
			lex_quoted(s, t, c);
			return;
		}
		if (c == '<' && s->pos + 2 < s->n && s->p[s->pos + 1] == '<' && s->p[s->pos + 2] == '<' &&
		    lex_heredoc(s, t))
			return;
		t->type = T_PUNCT;
		t->c = (char)c;
		t->len = 1;
		if (s->pos + 1 < s->n) {
			uint8_t d = s->p[s->pos + 1];

			if (c == '-' && d == '>')
				t->c = 'A';
			else if (c == '?' && d == '-' && s->pos + 2 < s->n && s->p[s->pos + 2] == '>')
				t->c = 'A', t->len = 2;
			else if (c == ':' && d == ':')
				t->c = 'C';
			else if ((c == '=' || c == '!' || c == '<' || c == '>') && d == '=')
				t->c = 'E';
			else if (c == '=' && d == '>')
				t->c = 'R';
			else if (c == '.' && d == '=')
				t->c = 'D';
			else if ((c == '|' || c == '&') && d == c)
				t->c = 'O'; /* || && */
			else if ((c == '|' || c == '&' || c == '^') && d == '=')
				t->c = 'X';
			if ((uint8_t)t->c != c)
				t->len++;
		}
		s->pos += t->len;
		return;
	}
}

/* ---- frames ----------------------------------------------------------- */

/* keeps the value of a parenthesis or ${...} made of literals alone */
static void
frame_lit_token(struct scan *s, const struct tok *t)
{
	struct frame *f = s->depth > 0 ? top(s) : NULL;
	const struct taint *tv;
	size_t len;

	if (f == NULL || f->litbad)
		return;
	len = f->litlen;
	switch (t->type) {
	case T_SQ:
	case T_DQ:
		if (!lit_append(f->lit, &len, s->p + t->start, t->len))
			break;
		f->litlen = (uint8_t)len;
		f->litn++;
		return;
	case T_VAR:
		tv = taint_find(s, s->p + t->start, t->len);
		if (tv == NULL || !(tv->fl & FL_LITVAR) || !lit_append(f->lit, &len, tv->val, tv->vlen))
			break;
		f->litlen = (uint8_t)len;
		f->litn++;
		return;
	case T_PUNCT:
		if (t->c == '.' || t->c == ')' || t->c == '}')
			return;
		break;
	default:
		break;
	}
	f->litbad = 1;
}

static void
frame_open(struct scan *s, enum fkind kind, uint16_t callee, uint32_t line, size_t start, size_t nlen)
{
	struct frame *f;

	s->depth++;
	if (s->depth > DEPTH_MAX)
		return;
	f = &s->fr[s->depth - 1];
	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t)kind;
	f->callee = callee;
	f->line = line;
	f->start = start;
	f->nlen = nlen;
}

/* str_replace of three literals: does it spell a dangerous name? */
static bool
strrepl_hides(const struct scan *s, const struct frame *f)
{
	const uint8_t *sub = s->p + f->la[2], *search = s->p + f->la[0], *repl = s->p + f->la[1];
	size_t n = f->ll[2], sl = f->ll[0], rl = f->ll[1], i = 0, o = 0;
	char out[40];

	if (sl == 0 || n > 256)
		return false;
	while (i < n && o < sizeof(out)) {
		if (i + sl <= n && memcmp(sub + i, search, sl) == 0) {
			if (o + rl > sizeof(out))
				return false;
			memcpy(out + o, repl, rl);
			o += rl;
			i += sl;
		} else {
			out[o++] = (char)sub[i++];
		}
	}
	return i == n && is_hidden_name(out, o);
}

/* the depth (1-based) of the innermost block frame, 0 when none */
static int
block_depth(const struct scan *s)
{
	int i = s->depth < DEPTH_MAX ? s->depth : DEPTH_MAX;

	for (; i > 0; i--)
		if (s->fr[i - 1].kind == FK_BLOCK)
			return i;
	return 0;
}

static void
wrapper_add(struct scan *s, uint32_t h)
{
	uint32_t i = h % FUNC_SLOTS, k;

	for (k = 0; k < FUNC_SLOTS; k++, i = (i + 1) % FUNC_SLOTS) {
		if (s->wrappers[i] == h)
			return;
		if (s->wrappers[i] == 0) {
			s->wrappers[i] = h;
			return;
		}
	}
}

/* is the argument being read the frame's callback? (FK_CBLAST: the last one,
 * known at the close; each argument is taken until then) */
static bool
cb_arg(const struct frame *f)
{
	return (f->kind == FK_CB0 && f->arg == 0) || (f->kind == FK_CB1 && f->arg == 1) || f->kind == FK_CBLAST;
}

/* functions that return the request's input: function g($k) { return $_REQUEST[$k]; } */
static void
source_add(struct scan *s, uint32_t h)
{
	int i;

	for (i = 0; i < s->nsources; i++)
		if (s->sources[i] == h)
			return;
	if (s->nsources < SOURCE_SLOTS)
		s->sources[s->nsources++] = h;
}

static bool
source_has(const struct scan *s, uint32_t h)
{
	int i;

	for (i = 0; i < s->nsources; i++)
		if (s->sources[i] == h)
			return true;
	return false;
}

static bool
wrapper_has(const struct scan *s, uint32_t h)
{
	uint32_t i = h % FUNC_SLOTS, k;

	for (k = 0; k < FUNC_SLOTS; k++, i = (i + 1) % FUNC_SLOTS) {
		if (s->wrappers[i] == h)
			return true;
		if (s->wrappers[i] == 0)
			return false;
	}
	return false;
}

static size_t skip_blank(const uint8_t *p, size_t n, size_t i);
static bool contains_ci(const uint8_t *p, size_t n, const char *s);

static void
cap_set(struct scan *s, unsigned cap, uint32_t line, size_t start)
{
	unsigned b;

	for (b = 0; b < CAP_BITS; b++)
		if ((cap & (1u << b)) && !(s->caps & (1u << b))) {
			s->cap_line[b] = line;
			s->cap_pos[b] = start;
		}
	s->caps |= cap;
	if (s->fn_state != 3)
		s->caps_top |= cap;
}

/* fn's rank (0..31) among the names of fnames with its capability: which
 * command runner it is (CAP_EXEC), which question about the host it asks
 * (CAP_RECON) */
static unsigned
cap_rank(const struct fname *fn)
{
	const struct fname *f;
	unsigned i = 0;

	for (f = fnames; f < fn; f++)
		i += f->cap == fn->cap;
	return i % 32;
}

/* ini_get('safe_mode'), whose '(' is at paren: a restriction of the host asked,
 * not one of the page's own settings (memory_limit, upload_max_filesize) */
static bool
ini_restriction(const struct scan *s, size_t paren)
{
	static const char *const words[] = { "safe_mode", "disable_functions", "open_basedir", "safe_mode_exec_dir" };
	size_t i = skip_blank(s->p, s->n, paren + 1), k, l;
	uint8_t q;

	if (i >= s->n || (s->p[i] != '\'' && s->p[i] != '"'))
		return false;
	q = s->p[i++];
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		l = strlen(words[k]);
		if (i + l < s->n && s->p[i + l] == q && memcmp(s->p + i, words[k], l) == 0)
			return true;
	}
	return false;
}

/* a call of fn whose '(' is at paren: note what it lets the page do */
static void
cap_note(struct scan *s, const struct fname *fn, uint32_t line, size_t start, size_t paren)
{
	size_t i;

	if (fn == NULL || fn->cap == 0)
		return;
	if (fn->cap == CAP_RECON) {
		if (strcmp(fn->name, "ini_get") == 0 && !ini_restriction(s, paren))
			return;
		s->recon |= 1u << cap_rank(fn);
	}
	/* error_reporting(0), set_time_limit(0): only the zero says it */
	if (fn->cap == CAP_MUTE || (fn->cap == CAP_NOLIMIT && fn->name[0] == 's')) {
		i = skip_blank(s->p, s->n, paren + 1);
		if (i >= s->n || s->p[i] != '0')
			return;
		i = skip_blank(s->p, s->n, i + 1);
		if (i >= s->n || s->p[i] != ')')
			return;
	}
	/* a runner counts once it is given something not fixed (sink_judge) */
	if (fn->cap == CAP_EXEC) {
		if (s->runners == 0) {
			s->cap_line[0] = line;
			s->cap_pos[0] = start;
		}
		s->runners |= 1u << cap_rank(fn);
		s->runner_top = s->runner_top || s->fn_state != 3;
	} else {
		cap_set(s, fn->cap, line, start);
		/* fsockopen, stream_socket_client, socket_create: a handle (not socket_bind's boolean) */
		if (fn->cap == CAP_SOCK && strcmp(fn->name, "socket_bind") != 0 && strcmp(fn->name, "socket_connect") != 0)
			s->stmt_sock = true;
	}
}

/* the index (bit number) of a single CAP_ bit */
static unsigned
cap_bit(unsigned cap)
{
	unsigned b = 0;

	while (b < CAP_BITS && !(cap & (1u << b)))
		b++;
	return b < CAP_BITS ? b : 0;
}

static void
cap_finding(struct scan *s, enum phpscan_class cls, enum phpscan_conf conf, unsigned cap)
{
	unsigned b = cap_bit(cap);

	finding(s, cls, conf, s->cap_line[b], s->cap_pos[b]);
}

/* the page's capabilities, combined: tools an intruder leaves */
static void
tools_judge(struct scan *s)
{
	unsigned c = s->caps;
	bool alone = !s->app_code && s->input_read;
	unsigned tool = alone ? c : 0; /* the database, file and socket tools' capabilities */

	if (s->ddepth > 0)
		return;
	/* commands run by a page that reads the request, or, in one that does not
	 * (old PHP's register_globals fill its variables) and is no command-line
	 * script, at its top level or through one runner after another (whichever
	 * the host left enabled) */
	if ((alone && (c & CAP_EXEC)) ||
	    (!s->app_code && !s->cli && s->runners != 0 &&
	     (s->runner_top || __builtin_popcount(s->runners) >= 2) && contains_ci(s->p, s->n, "<form")))
		cap_finding(s, PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, CAP_EXEC);
	/* a page that carries classes of its own (an archiver, a zip or mail
	 * class) but declares no namespace and includes nothing, reading the
	 * request at its top level: a tool in one file, judged as one standing
	 * alone (its functions and methods are its own) */
	if (s->declares && !s->app_linked && !s->cli && s->input_read) {
		tool = c;
		/* commands: run at its top level (a method running its parameter
		 * may be given fixed ones) */
		if (s->caps_top & CAP_EXEC)
			cap_finding(s, PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, CAP_EXEC);
	}
	/* the database, file and socket tools of such a page (a form, no request
	 * variable read, no command-line script): from the calls at its top level;
	 * its uploader: an upload form, files written at the top level */
	if (!alone && !s->app_code && !s->cli && (s->caps_top & (CAP_DBCONN | CAP_LIST | CAP_MODIFY | CAP_SOCK)) &&
	    contains_ci(s->p, s->n, "<form")) {
		tool = s->caps_top;
		if ((tool & CAP_MODIFY) && contains_ci(s->p, s->n, "multipart/form-data"))
			cap_finding(s, PHPSCAN_UPLOAD_TOOL, PHPSCAN_WEAK, CAP_MODIFY);
	}
	if ((tool & CAP_DBCONN) && (tool & CAP_DBQUERY))
		cap_finding(s, PHPSCAN_DB_TOOL, PHPSCAN_WEAK, CAP_DBCONN);
	if ((tool & CAP_LIST) && (tool & CAP_MODIFY))
		cap_finding(s, PHPSCAN_FILE_TOOL, PHPSCAN_WEAK, CAP_LIST);
	if (tool & CAP_SOCK)
		cap_finding(s, PHPSCAN_NET_TOOL, PHPSCAN_WEAK, CAP_SOCK);
	if (alone && (c & CAP_NOLIMIT) && (c & (CAP_EXEC | CAP_SOCK | CAP_MAIL)))
		cap_finding(s, PHPSCAN_LONG_RUNNER, PHPSCAN_WEAK, CAP_NOLIMIT);
	if (alone && (c & CAP_MAILTO))
		cap_finding(s, PHPSCAN_MAIL_RELAY, PHPSCAN_WEAK, CAP_MAILTO);
	if (alone && (c & CAP_UPLOAD))
		cap_finding(s, PHPSCAN_UPLOAD_TOOL, PHPSCAN_WEAK, CAP_UPLOAD);
	if (!s->app_code && (c & CAP_MUTE) && (c & (CAP_EXEC | CAP_SOCK)))
		cap_finding(s, PHPSCAN_MUTED_RUNNER, PHPSCAN_WEAK, CAP_MUTE);
	if (!s->app_code && (c & CAP_EVALU))
		cap_finding(s, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_WEAK, CAP_EVALU);
	if (!s->app_code && (c & CAP_PHPW))
		cap_finding(s, PHPSCAN_WRITE_OF_INPUT, PHPSCAN_WEAK, CAP_PHPW);
	/* a file the request names, read whole: a page showing any file it is asked for */
	if (alone && (c & CAP_READ))
		cap_finding(s, PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, CAP_READ);
	/* probing which runners the host disabled, then running commands, one
	 * runner after another, one at the top level (no form needed) */
	if (!s->app_code && !s->cli && s->probe && (c & CAP_EXEC) && s->runner_top &&
	    __builtin_popcount(s->runners) >= 2)
		cap_finding(s, PHPSCAN_COMMAND_PAGE, PHPSCAN_WEAK, CAP_EXEC);
	/* who it runs as, the host's name, its disk, its restrictions: three of
	 * these asked by a page of no application that also runs commands or
	 * handles files, sockets, a database or mail is a shell's header (an
	 * application's status page is part of it: classes, included code) */
	if (!s->app_code && !s->cli && __builtin_popcount(s->recon) >= 3 &&
	    (s->runners != 0 ||
	     (c & (CAP_LIST | CAP_MODIFY | CAP_UPLOAD | CAP_SOCK | CAP_DBCONN | CAP_READ | CAP_MAIL))))
		cap_finding(s, PHPSCAN_HOST_RECON, PHPSCAN_WEAK, CAP_RECON);
	/* code run that the page does not carry, in a page of no application:
	 * a runner of what it is sent or decodes */
	if (s->dyn && !s->app_code && !s->imports && !s->cli)
		finding(s, PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, s->dyn_line, s->dyn_pos);
	if (s->hw_line != 0 && !s->app_code && !s->cli)
		finding(s, PHPSCAN_HIDDEN_WRITE, PHPSCAN_WEAK, s->hw_line, s->hw_pos);
	/* the request's data unserialized beside a method that unserialize
	 * itself calls and that runs what the object holds: the page carries
	 * both the door and the gadget, code is run as the request sends it */
	if (s->gadget && s->unser_line != 0 && !s->cli)
		finding(s, PHPSCAN_CODE_RUNNER, PHPSCAN_WEAK, s->unser_line, s->unser_pos);
	/* a secret the page carries, guarding what it can do: a tool locked for its owner */
	if (s->gate && !s->app_code && !s->cli &&
	    (s->runners != 0 || s->eval_seen ||
	     (c & (CAP_LIST | CAP_MODIFY | CAP_UPLOAD | CAP_SOCK | CAP_DBCONN | CAP_READ | CAP_MAIL))))
		finding(s, PHPSCAN_PASSWORD_GATE, PHPSCAN_WEAK, s->gate_line, s->gate_pos);
}

/* p[a..e) is one variable and nothing else: ` $code ` */
static bool
bare_var(const uint8_t *p, size_t n, size_t a, size_t e)
{
	if (e > n || e <= a)
		return false;
	while (a < e && (p[a] == ' ' || p[a] == '\t'))
		a++;
	while (e > a && (p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	/* cppcheck-suppress knownConditionTrueFalse ; a and e moved above */
	if (e - a < 2 || p[a] != '$' || !is_ident_start(p[a + 1]) || (e - a == 5 && memcmp(p + a, "$this", 5) == 0))
		return false;
	for (a += 2; a < e; a++)
		if (!is_ident(p[a]))
			return false;
	return true;
}

/* the frame's called name is w (case-insensitive) */
static bool
frame_named(const struct scan *s, const struct frame *f, const char *w)
{
	size_t l = strlen(w);

	return f->nlen == l && f->start + l <= s->n && strncasecmp((const char *)s->p + f->start, w, l) == 0;
}

/* the frame's called name is one of the n names of ws */
static bool
frame_named_any(const struct scan *s, const struct frame *f, const char *const *ws, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (frame_named(s, f, ws[i]))
			return true;
	return false;
}

/* a variable at p[i..] (blanks skipped): its name's hash, 0 when none */
static uint32_t
var_at(const struct scan *s, size_t i)
{
	size_t e;

	i = skip_blank(s->p, s->n, i);
	if (i + 1 >= s->n || s->p[i] != '$' || !is_ident_start(s->p[i + 1]))
		return 0;
	for (e = i + 2; e < s->n && is_ident(s->p[e]); e++)
		;
	return name_hash(s->p + i, e - i, false);
}

/* a fixed value at p[i..] (blanks skipped): a string literal, or a variable
 * given one literal ($pass = 'secret'; ... == $pass) */
static bool
fixed_operand(struct scan *s, size_t i)
{
	const struct taint *t;
	uint32_t h;

	i = skip_blank(s->p, s->n, i);
	if (i < s->n && (s->p[i] == '\'' || s->p[i] == '"'))
		return true;
	h = var_at(s, i);
	t = h != 0 ? taint_slot(s, h, false) : NULL;
	return t != NULL && t->lpos != 0 && (t->fl & FL_LITVAR);
}

/* an equality operator at p[i..] (blanks skipped): the position after it, 0 if none */
static size_t
eq_after(const struct scan *s, size_t i)
{
	i = skip_blank(s->p, s->n, i);
	if (i + 1 >= s->n || (s->p[i] != '=' && s->p[i] != '!') || s->p[i + 1] != '=')
		return 0;
	i += 2;
	return i < s->n && s->p[i] == '=' ? i + 1 : i;
}

/* a string literal ends before p[e] and an equality operator follows it:
 * 'c4ca42...' == md5($_POST['p']) */
static bool
fixed_eq_before(const struct scan *s, size_t e)
{
	while (e > 0 && (s->p[e - 1] == ' ' || s->p[e - 1] == '\t'))
		e--;
	if (e < 3 || s->p[e - 1] != '=' || s->p[e - 2] != '=' )
		return false;
	e -= 2; /* e >= 1 */
	if (s->p[e - 1] == '=' || s->p[e - 1] == '!')
		e--;
	while (e > 0 && (s->p[e - 1] == ' ' || s->p[e - 1] == '\t'))
		e--;
	return e > 0 && (s->p[e - 1] == '\'' || s->p[e - 1] == '"');
}

static void
gate_note(struct scan *s, uint32_t line, size_t start)
{
	if (!s->gate) {
		s->gate = true;
		s->gate_line = line;
		s->gate_pos = start;
	}
}

/* md5($_POST['p']) == '5f4d...', password_verify($_POST['p'], '$2y$...'),
 * crypt($in, $salt) === $hash with $hash = '...': the request's input held
 * against a secret the page carries */
static void
gate_judge(struct scan *s, const struct frame *f)
{
	size_t e;

	if (!(f->flow & FL_INPUT) || s->fn_state == 3 || !(frame_named(s, f, "md5") || frame_named(s, f, "sha1") ||
							 frame_named(s, f, "hash") || frame_named(s, f, "crypt") ||
							 frame_named(s, f, "password_verify")))
		return;
	e = eq_after(s, s->pos);
	if ((e != 0 && fixed_operand(s, e)) || fixed_eq_before(s, f->start) ||
	    (f->nlen == 15 && f->arg >= 1 && f->a0e < s->n && fixed_operand(s, f->a0e + 1)))
		gate_note(s, f->line, f->start);
}

/* `$_POST['pass'] == 'secret'` at the operator at p[op]: a key naming a
 * password compared with a literal */
static void
gate_direct(struct scan *s, size_t op, uint32_t line)
{
	static const char *const keys[] = { "pass", "pwd", "psw", "secret", "auth", "PHP_AUTH_PW" };
	size_t e = op, q, k;

	if (s->fn_state == 3 || op + 1 >= s->n || (s->p[op] != '=' && s->p[op] != '!'))
		return;
	while (e > 0 && (s->p[e - 1] == ' ' || s->p[e - 1] == '\t'))
		e--;
	if (e < 12 || s->p[e - 1] != ']' || (s->p[e - 2] != '\'' && s->p[e - 2] != '"'))
		return;
	q = e - 3;
	while (q > 0 && q + 40 > e && s->p[q] != s->p[e - 2])
		q--;
	if (q < 8 || s->p[q] != s->p[e - 2] || s->p[q - 1] != '[')
		return;
	{
		size_t v = q - 1;

		while (v > 0 && is_ident(s->p[v - 1]))
			v--;
		if (v == 0 || s->p[v - 1] != '$' ||
		    !(is_superglobal_input(s->p + v - 1, q - v) || (q - v == 7 && memcmp(s->p + v, "_SERVER", 7) == 0)))
			return;
	}
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (contains_ci(s->p + q + 1, e - q - 3, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return;
	op = eq_after(s, op);
	if (op != 0 && fixed_operand(s, op))
		gate_note(s, line, q);
}

/* file_put_contents(__FILE__, ...), fopen(__FILE__, 'w'), touch(__FILE__, $t),
 * chmod(__FILE__, 0444): a page rewriting its own code, dating it back to hide
 * the change, or write-protecting itself against removal */
static void
self_judge(struct scan *s, const struct frame *f)
{
	size_t a = f->a0, e = f->a0e, i;

	if (f->arg < 1 || e <= a || e - a > 64 || e > s->n)
		return;
	a = skip_blank(s->p, s->n, a);
	while (e > a && (s->p[e - 1] == ' ' || s->p[e - 1] == '\t'))
		e--;
	/* cppcheck-suppress knownConditionTrueFalse ; a and e come from the frame */
	if (!((e - a == 8 && memcmp(s->p + a, "__FILE__", 8) == 0) ||
	      (e - a >= 27 && memcmp(s->p + a, "$_SERVER[", 9) == 0 && memmem(s->p + a, e - a, "SCRIPT_FILENAME", 15))))
		return;
	i = skip_blank(s->p, s->n, f->a0e + 1);
	if (frame_named(s, f, "fopen")) {
		if (i + 1 >= s->n || (s->p[i] != '\'' && s->p[i] != '"') ||
		    (s->p[i + 1] != 'w' && s->p[i + 1] != 'a' && s->p[i + 1] != 'x' &&
		     !(i + 2 < s->n && s->p[i + 2] == '+')))
			return;
	} else if (frame_named(s, f, "chmod")) {
		/* no write bit for the owner: 0444, 0555, 0400 */
		if (i < s->n && s->p[i] == '0')
			i++;
		if (i + 2 >= s->n || (s->p[i] != '4' && s->p[i] != '5') || s->p[i + 1] < '0' || s->p[i + 1] > '7')
			return;
	} else if (!frame_named(s, f, "file_put_contents") && !frame_named(s, f, "touch")) {
		return;
	}
	finding(s, PHPSCAN_SELF_MODIFY, PHPSCAN_WEAK, f->line, f->start);
}

/* a variable holding a socket the page opened, in a frame of a command runner
 * (proc_open('/bin/sh', array(0 => $sock, ...))): the runner is the socket's */
static bool
in_runner(const struct scan *s)
{
	int i, d = s->depth < DEPTH_MAX ? s->depth : DEPTH_MAX;

	/* cppcheck-suppress knownConditionTrueFalse ; depth is the parser's, not 0 */
	for (i = d; i > 0 && i > d - 3; i--)
		if (s->fr[i - 1].kind == FK_EXEC)
			return true;
	return false;
}

/* fgets($sock), fread($sock, ...): what the other end sent */
static bool
socket_read(const struct scan *s, const struct frame *f)
{
	static const char *const rd[] = { "fgets", "fread", "fgetss", "socket_read", "stream_get_contents",
					  "stream_get_line" };

	return s->nsocks > 0 && f->user && frame_named_any(s, f, rd, sizeof(rd) / sizeof(rd[0])) &&
	       hash_in(s->socks, s->nsocks, var_at(s, f->a0));
}

/* fopen($path, 'r'): a mode that reads and does not write */
static bool
fopen_reads(const struct scan *s, const struct frame *f)
{
	size_t i;

	if (f->arg < 1 || f->a0e >= s->n)
		return false;
	i = skip_blank(s->p, s->n, f->a0e + 1);
	return i + 2 < s->n && (s->p[i] == '\'' || s->p[i] == '"') && s->p[i + 1] == 'r' &&
	       s->p[i + 2] != '+' && (s->p[i + 2] == s->p[i] || (i + 3 < s->n && s->p[i + 3] != '+'));
}

/* $f = 'strtolower'; $f($_GET['x']): a variable called that holds one literal
 * naming a function that runs nothing (not a sink, no callback taker, no name
 * whose hiding is evidence) */
static bool
harmless_callee(struct scan *s, const struct frame *f)
{
	static const char *const acting[] = { "error_log", "unserialize", "putenv", "dl", "imap_open", "mb_send_mail",
					      "symlink", "link", "header", "setcookie", "assert_options", "ini_alter" };
	const struct taint *tv;
	const struct fname *fn;
	size_t e = f->start + 1, i;

	if (f->start >= s->n || s->p[f->start] != '$' || !(f->callee & FL_LITVAR) ||
	    (f->callee & (FL_INPUT | FL_SINKNAME | FL_NAME | FL_CHR | FL_DECODED | FL_ELEMIN)))
		return false;
	while (e < s->n && is_ident(s->p[e]))
		e++;
	tv = taint_find(s, s->p + f->start, e - f->start);
	if (tv == NULL || tv->lpos == 0 || tv->vlen == 0 || is_hidden_name(tv->val, tv->vlen))
		return false;
	for (i = 0; i < tv->vlen; i++)
		if (!is_ident((uint8_t)tv->val[i]))
			return false;
	/* names phpscan does not follow that still act on the system: writing a
	 * file (error_log's destination 3), an object built, the environment */
	for (i = 0; i < sizeof(acting) / sizeof(acting[0]); i++)
		if (tv->vlen == strlen(acting[i]) && strncasecmp(tv->val, acting[i], tv->vlen) == 0)
			return false;
	fn = fname_find((const uint8_t *)tv->val, tv->vlen);
	return fn == NULL || (fn->kind == FK_SANITIZE || (fn->kind == FK_NONE && fn->cap == 0));
}

/* mail()'s recipient, its first argument, is an address the page hides:
 * decoded from a literal (base64, rot13, reversed, hex, chr()), directly or
 * through a variable given one; the request's address is another matter */
static bool
mail_to_hidden(struct scan *s, const struct frame *f)
{
	static const char *const dec[] = { "base64_decode", "str_rot13", "strrev", "hex2bin", "convert_uudecode",
					   "gzinflate", "gzuncompress", "chr(" };
	size_t a = f->a0, e = f->a0e, i;

	if (e <= a || e > s->n)
		return false;
	if (bare_var(s->p, s->n, a, e))
		return (taint_get(s, var_at(s, a)) & (FL_DECODED | FL_CHR | FL_NAME)) != 0;
	if (e - a > 1024)
		e = a + 1024;
	for (i = 0; i < sizeof(dec) / sizeof(dec[0]); i++)
		if (contains_ci(s->p + a, e - a, dec[i]))
			return true;
	return false;
}

/* what the page was sent, decoded or hid: code it does not carry */
#define DYN_FL (FL_INPUT | FL_DECODED | FL_NAME | FL_CHR | FL_BLOB | FL_STREAM | FL_URL | FL_ELEMIN)

/* eval's argument is a variable or a call and nothing else: no literal
 * joined to it (`'?>' . $tpl`, a template's output), no property or method
 * (an object's own code) */
static bool
plain_arg(const struct scan *s, const struct frame *f)
{
	size_t i;

	if (f->a0e <= f->a0 || f->a0e > s->n)
		return false;
	for (i = f->a0; i < f->a0e; i++)
		if (s->p[i] == '\'' || s->p[i] == '"' || s->p[i] == '.' || s->p[i] == '>' || s->p[i] == ':')
			return false;
	return true;
}

/* a file opened to write or written, its name decoded (base64, hex, rot13,
 * chr()): a dropper hiding where it plants (judged at the end: in a page of
 * no application) */
static void
hidden_write(struct scan *s, const struct frame *f)
{
	if (s->hw_line == 0 && f->arg >= 1 && (f->a0fl & (FL_DECODED | FL_CHR))) {
		s->hw_line = f->line;
		s->hw_pos = f->start;
	}
}

/* a call that lists or enters the directory its first argument names */
static bool
dir_call(const struct scan *s, const struct frame *f)
{
	static const char *const names[] = { "opendir", "scandir", "glob", "chdir", "dir" };

	return frame_named_any(s, f, names, sizeof(names) / sizeof(names[0]));
}

/* code the page does not carry, run (judged at the end: in a page of no
 * application), whether or not the request's data can be followed there:
 * eval of what a variable, a call or the request holds; a function called
 * by a name the page hid, computed or was sent, or by a runner's name; a
 * callback that is a runner or a name so made */
static void
dyn_judge(struct scan *s, const struct frame *f)
{
	uint16_t c = f->callee;
	bool run;

	if (s->dyn || s->fn_state == 3)
		return;
	switch (f->kind) {
	case FK_EVAL:
		run = (f->flow & DYN_FL) || ((f->flow & (FL_VAR | FL_CALL | FL_UCALL)) && plain_arg(s, f));
		break;
	case FK_NONE:
		/* a name computed from pieces (not one known string), given
		 * something not fixed */
		run = (c & (FL_NAME | FL_SINKNAME)) || ((c & DYN_FL) && !(c & FL_LITVAR)) ||
		      ((c & FL_BUILT) && !(c & FL_LITVAR) && (f->flow & (FL_INPUT | FL_VAR | FL_CALL | FL_ELEMIN)));
		break;
	case FK_CB0:
	case FK_CB1:
	case FK_CBLAST:
	case FK_CBANY:
		c = cb_arg(f) ? f->argfl : f->cbfl;
		/* (a name computed from pieces, handed the request's data in
		 * another argument: a table indexed by the request selects) */
		run = f->cbsink || (f->flow & FL_SINKNAME) || (c & (FL_NAME | FL_SINKNAME)) ||
		      ((c & DYN_FL) && !(c & FL_LITVAR)) ||
		      ((c & FL_BUILT) && !(c & FL_LITVAR) && f->arg >= 1 && f->argmask != 0);
		break;
	default:
		run = false;
		break;
	}
	if (run) {
		s->dyn = true;
		s->dyn_line = f->line;
		s->dyn_pos = f->start;
	}
}

/* f(): nothing but blanks between the parentheses */
static bool
no_args(const struct scan *s, const struct frame *f)
{
	size_t a;

	for (a = f->a0; a < f->a0e && a < s->n; a++)
		if (s->p[a] != ' ' && s->p[a] != '\t' && s->p[a] != '\n' && s->p[a] != '\r')
			return false;
	return true;
}

/* code run in __destruct or __wakeup from a property of the object
 * (eval($this->code)): what an unserialized object holds is run */
static void
gadget_judge(struct scan *s, const struct frame *f)
{
	size_t a = f->a0;

	while (a < f->a0e && (s->p[a] == ' ' || s->p[a] == '\t' || s->p[a] == '\n' || s->p[a] == '\r' ||
			      s->p[a] == '@' || s->p[a] == '('))
		a++;
	if (f->a0e >= a + 7 && memcmp(s->p + a, "$this->", 7) == 0)
		s->gadget = true;
}

/* a sink received something: decide */
static void
sink_judge(struct scan *s, const struct frame *f)
{
	bool code = f->kind == FK_EVAL || f->kind == FK_EXEC;
	bool input = (f->flow & FL_INPUT) != 0 || (code && (f->flow & FL_ELEMIN));
	bool obf = f->dec > 0 || (f->flow & (FL_DECODED | FL_NAME | FL_CHR)) != 0 || f->chr >= 8;

	/* a function that hands its parameter to execution is a sink too */
	if (s->fn_state == 3 && ((code && (f->flow & FL_PARAM)) || (f->callee & FL_PARAM) ||
				 (f->kind == FK_CB0 && (f->argpar & 1)) || (f->kind == FK_CB1 && (f->argpar & 2))))
		wrapper_add(s, s->cur_fn);
	/* assert($bin !== false): a boolean tested, no code run */
	if (f->kind == FK_EVAL && f->cmp && f->nlen == 6)
		return;
	if (f->kind == FK_EVAL)
		s->eval_seen = true;
	if (code && s->fn_state == 3 && s->magic_fn)
		gadget_judge(s, f);
	dyn_judge(s, f);
	/* a command runner given something not fixed (a variable, input, a parameter) */
	if (f->kind == FK_EXEC && (input || f->lastvar != 0 || (f->flow & FL_PARAM)))
		cap_set(s, CAP_EXEC, f->line, f->start);
	if (code) {
		if (input)
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, f->line, f->start);
		else if (s->globals_input && (f->flow & FL_VAR) && s->fn_state != 3)
			/* NOLINTNEXTLINE(bugprone-branch-clone): the same finding as assert's below, ahead of obfuscation */
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, f->line, f->start);
		else if (obf || (f->flow & FL_BLOB))
			finding(s, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, f->line, f->start);
		else if (f->kind == FK_EVAL && f->nlen == 4 && (f->flow & FL_UCALL))
			/* eval(decode($x, $key)): a decoder of its own */
			finding(s, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_WEAK, f->line, f->start);
		/* ... through a variable, in a page that is no application's (judged at the end) */
		else if (f->kind == FK_EVAL && f->nlen == 4 && s->fn_state != 3 && bare_var(s->p, s->n, f->a0, f->a0e) &&
			 hash_in(s->ucallv, s->nucallv, var_at(s, f->a0)))
			cap_set(s, CAP_EVALU, f->line, f->start);
		else if (f->kind == FK_EXEC && (f->flow & FL_VAR))
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_NOTE, f->line, f->start);
		/* assert($code): a variable alone, no test written out, runs as code
		 * when it holds a string (PHP before 8) */
		else if (f->kind == FK_EVAL && f->nlen == 6 && f->arg == 0 && !(f->flow & FL_PARAM) &&
			 bare_var(s->p, s->n, f->a0, f->a0e))
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, f->line, f->start);
		/* a variable of the top level the file never assigns: with register_globals
		 * (old PHP, and shells written for it) the request fills it */
		if (!input && f->lastvar != 0 && s->fn_state != 3 && s->nglob < GLOB_SLOTS) {
			s->glob[s->nglob].h = f->lastvar;
			s->glob[s->nglob].line = f->line;
			s->glob[s->nglob].start = f->start;
			s->nglob++;
		}
		return;
	}
	switch (f->kind) {
	case FK_NONE: /* a variable function call */
		/* opendir($_GET['d']), chdir($_POST['d']): the directory the
		 * request names, listed or entered (a page showing the host's tree) */
		if (f->a0in && f->callee == 0 && dir_call(s, f))
			cap_set(s, CAP_READ, f->line, f->start);
		if ((f->callee & FL_INPUT) ||
		    ((f->callee & (FL_BUILT | FL_SINKNAME | FL_CHR)) && input && !harmless_callee(s, f)))
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, f->line, f->start);
		else if (f->callee & FL_SINKNAME)
			finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_WEAK, f->line, f->start);
		/* $h['f'] = $_POST['f']; $h['f']($_POST['a']): an element the request set, called */
		else if ((f->callee & FL_ELEMIN) && !(f->callee & FL_LITVAR))
			finding(s, PHPSCAN_EXEC_OF_INPUT, input ? PHPSCAN_HIGH : PHPSCAN_WEAK, f->line, f->start);
		else if (input && f->callee)
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_NOTE, f->line, f->start);
		/* extract($_REQUEST); $a($b): the request names the function */
		else if (s->globals_input && (f->callee & FL_VAR) && !(f->callee & FL_LITVAR) && s->fn_state != 3)
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, f->line, f->start);
		else if (f->callee & FL_NAME)
			finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_HIGH, f->line, f->start);
		break;
	case FK_PREG:
		if (f->pregchr && input)
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, f->line, f->start);
		else if (f->pregchr)
			finding(s, PHPSCAN_PREG_EVAL, PHPSCAN_WEAK, f->line, f->start);
		if (f->pregE && (input || obf))
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, f->line, f->start);
		else if (f->pregE)
			finding(s, PHPSCAN_PREG_EVAL, PHPSCAN_WEAK, f->line, f->start);
		else if (f->cbsink) /* the whole pattern from the request: it may say /e */
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, f->line, f->start);
		else if (f->argmask & 1) /* part of the pattern from the request */
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_NOTE, f->line, f->start);
		break;
	case FK_CB0:
	case FK_CB1:
	case FK_CBLAST:
	case FK_CBANY: {
		uint8_t bit = f->kind == FK_CB0 ? 1 : f->kind == FK_CB1 ? 2 : 0;
		bool sinkcb = f->cbsink || (f->flow & FL_SINKNAME);

		uint16_t cbfl = cb_arg(f) ? f->argfl : f->cbfl;
		/* a callback whose name is computed (pieces of a literal, decoded,
		 * xor'ed, chr()) given the request's data: a hidden runner */
		bool hidcb = (cbfl & (FL_BUILT | FL_DECODED | FL_NAME | FL_CHR)) && !(cbfl & (FL_LITVAR | FL_INPUT));

		if (f->kind == FK_CBLAST)
			bit = (uint8_t)(1u << (f->arg < 7 ? f->arg : 7));
		if ((f->argmask & bit) || (sinkcb && input) || (hidcb && (f->argmask & (uint8_t)~bit)))
			finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, f->line, f->start);
		else if (sinkcb && obf)
			finding(s, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_HIGH, f->line, f->start);
		else if (sinkcb)
			finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_WEAK, f->line, f->start);
		break;
	}
	case FK_MAIL:
		if (f->argmask & 1)
			cap_set(s, CAP_MAILTO, f->line, f->start);
		else if (mail_to_hidden(s, f))
			finding(s, PHPSCAN_MAIL_HOME, PHPSCAN_WEAK, f->line, f->start);
		if (input && (s->loop_braces != 0 || s->loop_stmt))
			finding(s, PHPSCAN_MASS_MAILER, PHPSCAN_WEAK, f->line, f->start);
		break;
	case FK_EXTRACT:
		if (input) {
			s->globals_input = true;
			finding(s, PHPSCAN_EXTRACT_INPUT, PHPSCAN_NOTE, f->line, f->start);
		}
		break;
	case FK_WRITE:
		/* file_put_contents(base64_decode('...'), ...): where it plants, hidden */
		if (f->nlen == 17)
			hidden_write(s, f);
		if ((f->flow & FL_URL) && (f->argmask & 1) == 0)
			finding(s, PHPSCAN_REMOTE_DROPPER, PHPSCAN_WEAK, f->line, f->start);
		else if ((f->argmask & 3) == 3)
			/* where and what both from the request: a file editor */
			finding(s, PHPSCAN_WRITE_OF_INPUT, PHPSCAN_WEAK, f->line, f->start);
		/* the request's data written into a PHP file: code planted (an
		 * installer writing its configuration includes code: judged at the
		 * end); copy($_FILES['f']['tmp_name'], 'x.php'): the request's file
		 * made a page */
		else if (s->fn_state != 3 &&
			 (((f->argmask & 2) && ((f->nlen == 17 && f->a0e > f->a0 && f->a0e - f->a0 < 256 &&
						 contains_ci(s->p + f->a0, f->a0e - f->a0, ".php")) ||
						(f->nlen != 17 && f->nlen != 4 && s->opened_php))) ||
			  (f->nlen == 4 && (f->argmask & 1) && f->a0e < s->pos && s->pos - f->a0e < 256 &&
			   contains_ci(s->p + f->a0e, s->pos - f->a0e, ".php"))))
			cap_set(s, CAP_PHPW, f->line, f->start);
		/* what is written comes from the request (copy: its source); where
		 * (file_put_contents: its first argument; fwrite: what fopen opened) */
		if (f->argmask & (f->nlen == 4 ? 1 : 2)) {
			s->wrote_input = true;
			if (f->nlen == 17 && f->a0e > f->a0)
				s->written[s->nwritten++ % 4] = path_hash(s->p, f->a0, f->a0e);
			else if (f->nlen != 4)
				s->wrote_handle = true;
		}
		break;
	case FK_READ:
	case FK_FILEGET:
		if (f->kind == FK_FILEGET && f->nlen == 5 && !fopen_reads(s, f))
			hidden_write(s, f);
		/* readfile($_GET['f']): the request names the whole path (fopen: to read it) */
		if (f->a0in && (f->nlen != 5 || fopen_reads(s, f))) {
			cap_set(s, CAP_READ, f->line, f->start);
			/* show_source, highlight_file: PHP's source shown (configuration, passwords) */
			if (f->kind == FK_READ && f->nlen >= 11)
				finding(s, PHPSCAN_FILE_DISCLOSURE, PHPSCAN_WEAK, f->line, f->start);
		}
		break;
	case FK_METHOD:
		/* $xslt->registerPHPFunctions(): every function of PHP, eval's
		 * kin included, callable by the stylesheet; in a page of no
		 * application (judged at the end) code it runs by a detour */
		if (s->fn_state != 3 && !s->dyn && frame_named(s, f, "registerPHPFunctions") && no_args(s, f)) {
			s->dyn = true;
			s->dyn_line = f->line;
			s->dyn_pos = f->start;
		}
		/* $it->uasort('assert'): a sink handed to a method as its callback */
		if (f->cbsink)
			finding(s, PHPSCAN_OBFUSCATED_CALL, input ? PHPSCAN_HIGH : PHPSCAN_WEAK, f->line, f->start);
		break;
	case FK_SQL:
		if (f->cbsink)
			finding(s, PHPSCAN_SQL_OF_INPUT, PHPSCAN_WEAK, f->line, f->start);
		break;
	case FK_UPLOAD:
		/* the destination is the client's own name, with no directory of ours before it */
		if (f->argmask & 2) /* stored where the request says */
			cap_set(s, CAP_UPLOAD, f->line, f->start);
		if (f->cbsink)
			finding(s, PHPSCAN_UPLOAD_AS_NAMED, PHPSCAN_WEAK, f->line, f->start);
		else if (f->argmask & 2)
			finding(s, PHPSCAN_UPLOAD_AS_NAMED, PHPSCAN_NOTE, f->line, f->start);
		break;
	default:
		break;
	}
}

/* ---- de-obfuscation --------------------------------------------------- */

/* A decoder chain whose innermost argument is a literal is decoded here, as
 * PHP would (base64, zlib's three formats, rot13, reversal, URL and uu
 * encoding, hex), and what comes out is read by the same scanner: a payload
 * is judged by what it does, not by how it is wrapped. Bounded: each payload
 * by DECODE_MAX, all of a file's by DECODE_BUDGET, nesting by DECODE_DEPTH;
 * the buffers are the only memory phpscan allocates (freed before return). */

struct dbuf {
	uint8_t *p;
	size_t n, cap;
};

/* room for one more byte: doubles from 4 KiB up to DECODE_MAX (a buffer of
 * its full size each time costs more in page faults than the decoding) */
static bool
dbuf_grow(struct dbuf *d)
{
	size_t cap = d->cap ? d->cap * 2 : 4096;
	uint8_t *np;

	if (d->n < d->cap)
		return true;
	if (cap > DECODE_MAX)
		cap = DECODE_MAX;
	if (d->n >= cap || (np = realloc(d->p, cap)) == NULL)
		return false;
	d->p = np;
	d->cap = cap;
	return true;
}

static bool
dbuf_put(struct dbuf *d, uint8_t c)
{
	if (!dbuf_grow(d))
		return false;
	d->p[d->n++] = c;
	return true;
}

static size_t
skip_blank(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '@'))
		i++;
	return i;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 32;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* a quoted literal at p[*i], its value appended to d; "..." with a variable
 * inside is no literal */
static bool
dec_literal(const uint8_t *p, size_t n, size_t *i, struct dbuf *d)
{
	uint8_t q = p[*i];
	size_t j = *i + 1;

	for (; j < n && p[j] != q; j++) {
		uint8_t c = p[j];
		size_t run = 0;

		/* a run without escapes is copied whole */
		while (j + run < n && p[j + run] != q && p[j + run] != '\\' && p[j + run] != '$')
			run++;
		if (run > 1) {
			while (run > 0) {
				size_t k = run;

				if (!dbuf_grow(d))
					return false;
				if (k > d->cap - d->n)
					k = d->cap - d->n;
				memcpy(d->p + d->n, p + j, k);
				d->n += k;
				j += k;
				run -= k;
			}
			j--;
			continue;
		}
		if (q == '"' && c == '$')
			return false;
		if (c == '\\' && j + 1 < n) {
			uint8_t e = p[j + 1];

			if (q == '\'') {
				if (e == '\'' || e == '\\')
					j++, c = e;
			} else if (e == 'x' && j + 2 < n && hexval(p[j + 2]) >= 0) {
				int v = hexval(p[j + 2]);

				j += 2;
				if (j + 1 < n && hexval(p[j + 1]) >= 0)
					v = v * 16 + hexval(p[++j]);
				c = (uint8_t)v;
			} else if (e >= '0' && e <= '7') {
				unsigned v = 0, k;

				for (k = 0; k < 3 && j + 1 < n && p[j + 1] >= '0' && p[j + 1] <= '7'; k++)
					v = v * 8 + (unsigned)(p[++j] - '0');
				c = (uint8_t)v;
			} else {
				const char *from = "nrtve\\$\"f", *to = "\n\r\t\v\033\\$\"\f";
				const char *m = e ? strchr(from, e) : NULL;

				if (m != NULL) {
					j++;
					c = (uint8_t)to[m - from];
				}
			}
		}
		if (!dbuf_put(d, c))
			return false;
	}
	if (j >= n)
		return false;
	*i = j + 1;
	return true;
}

static bool
dec_base64(const struct dbuf *in, struct dbuf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < in->n; i++) {
		int v = b64val(in->p[i]);

		if (v < 0) /* PHP's lenient decoding skips what is not base64 */
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (!dbuf_put(out, (uint8_t)(acc >> bits)))
				return false;
		}
	}
	return true;
}

/* wbits: -15 raw deflate (gzinflate), 15 zlib (gzuncompress), 31 gzip */
static bool
dec_zlib(const struct dbuf *in, struct dbuf *out, int wbits)
{
	z_stream z;
	int r = Z_DATA_ERROR;

	memset(&z, 0, sizeof(z));
	if (in->n == 0 || inflateInit2(&z, wbits) != Z_OK)
		return false;
	z.next_in = in->p;
	z.avail_in = (uInt)in->n;
	do {
		if (!dbuf_grow(out))
			break;
		z.next_out = out->p + out->n;
		z.avail_out = (uInt)(out->cap - out->n);
		r = inflate(&z, Z_NO_FLUSH);
		out->n = out->cap - z.avail_out;
	} while (r == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
	inflateEnd(&z);
	/* a truncated stream still shows what it holds */
	return (r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK) && out->n > 0;
}

static bool
dec_url(const struct dbuf *in, struct dbuf *out, bool plus)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		uint8_t c = in->p[i];

		if (c == '%' && i + 2 < in->n && hexval(in->p[i + 1]) >= 0 && hexval(in->p[i + 2]) >= 0) {
			c = (uint8_t)(hexval(in->p[i + 1]) * 16 + hexval(in->p[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (!dbuf_put(out, c))
			return false;
	}
	return true;
}

static bool
dec_hex(const struct dbuf *in, struct dbuf *out)
{
	size_t i;

	if (in->n % 2)
		return false;
	for (i = 0; i < in->n; i += 2) {
		int hi = hexval(in->p[i]), lo = hexval(in->p[i + 1]);

		if (hi < 0 || lo < 0 || !dbuf_put(out, (uint8_t)(hi << 4 | lo)))
			return false;
	}
	return true;
}

static bool
dec_uu(const struct dbuf *in, struct dbuf *out)
{
	size_t i = 0;

	while (i < in->n) {
		int len = (in->p[i] - 32) & 63;
		size_t j = i + 1;

		if (len == 0)
			break;
		while (len > 0 && j + 4 <= in->n) {
			uint8_t c[4];
			int k;

			for (k = 0; k < 4; k++)
				c[k] = (uint8_t)((in->p[j + (size_t)k] - 32) & 63);
			if (!dbuf_put(out, (uint8_t)(c[0] << 2 | c[1] >> 4)) ||
			    (len > 1 && !dbuf_put(out, (uint8_t)(c[1] << 4 | c[2] >> 2))) ||
			    (len > 2 && !dbuf_put(out, (uint8_t)(c[2] << 6 | c[3]))))
				return false;
			len -= 3;
			j += 4;
		}
		while (j < in->n && in->p[j] != '\n')
			j++;
		i = j + 1;
	}
	return out->n > 0;
}

enum { DK_B64, DK_INFLATE, DK_UNCOMPRESS, DK_GZDECODE, DK_ROT13, DK_REV, DK_URL, DK_RAWURL, DK_UU, DK_HEX };

static const struct {
	const char *name;
	int kind;
} decoders[] = {
	{ "base64_decode", DK_B64 },      { "gzinflate", DK_INFLATE }, { "gzuncompress", DK_UNCOMPRESS },
	{ "gzdecode", DK_GZDECODE },      { "str_rot13", DK_ROT13 },   { "strrev", DK_REV },
	{ "urldecode", DK_URL },          { "rawurldecode", DK_RAWURL }, { "convert_uudecode", DK_UU },
	{ "hex2bin", DK_HEX },
};

/* the value of `decoder(decoder(... 'literal' . 'literal' ...))` at p[*i],
 * into *d (which the caller frees); false when it is anything else */
static bool
dec_expr(struct scan *s, size_t n, size_t *i, struct dbuf *d, int nest)
{
	const uint8_t *p = s->p;
	size_t *budget = s->dbudget;
	struct dbuf in = { NULL, 0, 0 };
	size_t j = skip_blank(p, n, *i), k, id;
	int kind = -1;
	bool ok = false;

	if (j >= n || nest > 12)
		return false;
	if (p[j] == '\'' || p[j] == '"') {
		while (dec_literal(p, n, &j, d)) {
			j = skip_blank(p, n, j);
			if (j + 1 >= n || p[j] != '.')
				break;
			j = skip_blank(p, n, j + 1);
			if (j >= n || (p[j] != '\'' && p[j] != '"'))
				return false;
		}
		if (j >= n || (p[j] != ')' && p[j] != ','))
			return false;
		*i = j;
		return true;
	}
	/* a variable holding one literal: $p = '...'; base64_decode($p) */
	if (p[j] == '$') {
		const struct taint *tv;

		for (id = j++; j < n && is_ident(p[j]); j++)
			;
		tv = taint_find(s, p + id, j - id);
		k = tv != NULL && tv->lpos > 0 ? tv->lpos - 1 : 0;
		if (k == 0 || !dec_literal(p, s->n, &k, d))
			return false;
		j = skip_blank(p, n, j);
		if (j >= n || (p[j] != ')' && p[j] != ','))
			return false;
		*i = j;
		return true;
	}
	for (id = j; j < n && is_ident(p[j]); j++)
		;
	for (k = 0; k < sizeof(decoders) / sizeof(decoders[0]); k++)
		if (strlen(decoders[k].name) == j - id && strncasecmp(decoders[k].name, (const char *)p + id, j - id) == 0)
			kind = decoders[k].kind;
	j = skip_blank(p, n, j);
	if (kind < 0 || j >= n || p[j] != '(')
		return false;
	j++;
	if (!dec_expr(s, n, &j, &in, nest + 1))
		goto out;
	j = skip_blank(p, n, j);
	/* gzinflate($s, 0), base64_decode($s, true): a number or a constant */
	if (j < n && p[j] == ',') {
		for (j++; j < n && p[j] != ')'; j++)
			if (!is_ident(p[j]) && p[j] != ' ')
				goto out;
	}
	if (j >= n || p[j] != ')' || in.n > *budget)
		goto out;
	*budget -= in.n;
	j++;
	switch (kind) {
	case DK_B64:
		ok = dec_base64(&in, d);
		break;
	case DK_INFLATE:
		ok = dec_zlib(&in, d, -15);
		break;
	case DK_UNCOMPRESS:
		ok = dec_zlib(&in, d, 15);
		break;
	case DK_GZDECODE:
		ok = dec_zlib(&in, d, 31);
		break;
	case DK_URL:
	case DK_RAWURL:
		ok = dec_url(&in, d, kind == DK_URL);
		break;
	case DK_UU:
		ok = dec_uu(&in, d);
		break;
	case DK_HEX:
		ok = dec_hex(&in, d);
		break;
	default: /* rot13, strrev: in place */
		if (in.n > 0) {
			if (kind == DK_ROT13)
				rot13((char *)in.p, in.n);
			else
				reverse((char *)in.p, in.n);
		}
		*d = in;
		in.p = NULL;
		ok = true;
		break;
	}
	*i = j;
out:
	free(in.p);
	return ok;
}

/* the call at p[start..end) decodes a literal: read what it decodes to */
static void
decode_and_scan(struct scan *s, size_t start, size_t end, uint32_t line)
{
	struct dbuf d = { NULL, 0, 0 };
	struct phpscan_result res;
	struct scan *in;
	size_t i = start, k;
	unsigned f;

	if (s->ddepth >= DECODE_DEPTH || s->dbudget == NULL || *s->dbudget == 0)
		return;
	/* the file is malicious already (or about to be, by eval(decoded)):
	 * the payload cannot change the verdict, only cost its scan */
	for (f = 0; f < s->res->n; f++)
		if (s->res->f[f].conf == PHPSCAN_HIGH)
			return;
	if (!dec_expr(s, end, &i, &d, 0) || d.n < 8 || d.n > *s->dbudget)
		goto out;
	*s->dbudget -= d.n;
	/* text, not bytes: a decoded image or archive is data */
	for (k = 0, f = 0; k < d.n && k < 512; k++)
		f += d.p[k] < 0x09 || (d.p[k] > 0x0d && d.p[k] < 0x20) || d.p[k] == 0x7f;
	if (f * 20 > (k < 512 ? k : 512))
		goto out;
	in = malloc(sizeof(*in));
	if (in == NULL)
		goto out;
	scan_init(in);
	memset(&res, 0, sizeof(res));
	in->p = d.p;
	in->n = d.n;
	in->line = 1;
	in->res = &res;
	in->ddepth = s->ddepth + 1;
	in->dbudget = s->dbudget;
	/* code for eval has no opening tag: it starts as code */
	k = skip_blank(d.p, d.n, 0);
	if (k < d.n && d.p[k] != '<')
		in->php = in->any_php = true;
	scan_php(in);
	free(in);
	for (f = 0; f < res.n; f++) {
		const char *ex = res.f[f].excerpt;

		/* the shape of the payload was judged outside already */
		if (res.f[f].conf == PHPSCAN_NOTE &&
		    (res.f[f].cls == PHPSCAN_LONG_LINE || res.f[f].cls == PHPSCAN_ENCODED_BLOB))
			continue;
		if (strncmp(ex, "decoded: ", 9) == 0) /* a payload's payload */
			ex += 9;
		finding_put(s, res.f[f].cls, res.f[f].conf, line, 0, ex);
	}
out:
	free(d.p);
}

/* A literal holding a PHP page ('<?php system($_GET[c]); ?>', written to a
 * file or an image by a dropper): read as a page of its own; its code runs
 * once written, so what it does counts as the file's. Bounded as payloads are
 * (the literal's bytes are charged to the file's decode budget). */
static void
literal_code_scan(struct scan *s, const uint8_t *c, size_t n, uint32_t line, size_t start)
{
	struct phpscan_result res;
	struct scan *in;
	unsigned f;

	if (s->ddepth >= DECODE_DEPTH || s->dbudget == NULL || n > *s->dbudget)
		return;
	for (f = 0; f < s->res->n; f++)
		if (s->res->f[f].conf == PHPSCAN_HIGH)
			return;
	*s->dbudget -= n;
	in = malloc(sizeof(*in));
	if (in == NULL)
		return;
	scan_init(in);
	memset(&res, 0, sizeof(res));
	in->p = c;
	in->n = n;
	in->line = 1;
	in->res = &res;
	in->ddepth = s->ddepth + 1;
	in->dbudget = s->dbudget;
	scan_php(in);
	free(in);
	for (f = 0; f < res.n; f++)
		if (res.f[f].conf == PHPSCAN_HIGH) {
			finding(s, PHPSCAN_HIDDEN_PHP, PHPSCAN_HIGH, line, start);
			break;
		}
}

/* the next byte of code after the current token, blanks skipped; 0 at the end */
static uint8_t
next_byte(const struct scan *s, size_t *at)
{
	size_t i = s->pos;

	while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t' || s->p[i] == '\r' || s->p[i] == '\n'))
		i++;
	if (at)
		*at = i;
	return i < s->n ? s->p[i] : 0;
}

/* chr(65) => ...: a key of a lookup table, no string being built */
static bool
at_arrow(const struct scan *s)
{
	size_t i;

	return next_byte(s, &i) == '=' && i + 1 < s->n && s->p[i + 1] == '>';
}

static void
frame_close(struct scan *s)
{
	struct frame *f, *parent;
	uint16_t fl;

	if (s->depth == 0)
		return;
	s->depth--;
	if (s->depth >= DEPTH_MAX)
		return;
	f = &s->fr[s->depth];
	parent = top(s);
	if (f->a0e == 0)
		f->a0e = s->pos > 0 ? s->pos - 1 : 0; /* the ')' */
	if (f->kind != FK_NONE || f->callee != 0 || f->user)
		sink_judge(s, f);
	if (f->kind == FK_FILEGET && f->nlen == 5 && f->a0e > f->a0) {
		s->opened[s->nopened++ % 4] = path_hash(s->p, f->a0, f->a0e);
		if (f->a0e - f->a0 < 256 && contains_ci(s->p + f->a0, f->a0e - f->a0, ".php"))
			s->opened_php = true;
	}
	if (f->kind == FK_SANITIZE || f->user)
		gate_judge(s, f);
	if (f->kind == FK_WRITE || f->kind == FK_FILEGET || f->kind == FK_NONE)
		self_judge(s, f);
	/* json_decode($_POST['j']), unserialize($_COOKIE['o']): an object the request built */
	if (f->user && f->nlen == 11 && (f->flow & FL_INPUT) &&
	    (strncasecmp((const char *)s->p + f->start, "json_decode", 11) == 0 ||
	     strncasecmp((const char *)s->p + f->start, "unserialize", 11) == 0)) {
		s->stmt_objdec = true;
		if (s->unser_line == 0 && s->p[f->start] != 'j' && s->p[f->start] != 'J') {
			s->unser_line = f->line;
			s->unser_pos = f->start;
		}
	}
	/* a function of its own that runs its parameter, called at the top level
	 * with something not fixed: as good as a runner called there */
	if (f->user && f->nlen > 0 && s->fn_state != 3 && (f->lastvar != 0 || (f->flow & (FL_INPUT | FL_VAR | FL_UCALL))) &&
	    wrapper_has(s, f->uhash))
		s->runner_top = true;
	/* $r->run($_POST['c']), Shell::go($_GET['c']): a method of the file's own
	 * classes that hands its parameter to execution, given input */
	if ((f->kind == FK_METHOD || (f->user && f->nlen == 0)) && (f->flow & FL_INPUT) && s->nmcalls < MCALL_SLOTS) {
		s->mcalls[s->nmcalls].h = f->nlen > 0 ? name_hash(s->p + f->start, f->nlen, true) : f->uhash;
		s->mcalls[s->nmcalls].line = f->line;
		s->mcalls[s->nmcalls].start = f->start;
		s->mcalls[s->nmcalls].input = true;
		s->nmcalls++;
	} else if (f->user && f->nlen > 0 && (f->flow & (FL_INPUT | FL_VAR)) && s->ncalls < CALL_SLOTS) {
		s->calls[s->ncalls].h = f->uhash;
		s->calls[s->ncalls].line = f->line;
		s->calls[s->ncalls].start = f->start;
		s->calls[s->ncalls].input = (f->flow & FL_INPUT) != 0;
		s->ncalls++;
	}
	fl = f->flow;
	if (f->kind == FK_STRREPL && f->argl == 7 && f->arg == 2 && strrepl_hides(s, f)) {
		fl |= FL_NAME;
		finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_HIGH, f->line, f->start);
	}
	if (f->packc && f->pklen >= 4 && is_hidden_name(f->pk, f->pklen)) {
		fl |= FL_NAME;
		finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_HIGH, f->line, f->start);
	}
	/* ("as" . "sert"), ${"_PO" . "ST"} */
	if (!f->litbad && f->litn > 0) {
		if (f->kind == FK_VARNAME && is_input_name(f->lit, f->litlen))
			fl |= FL_INPUT;
		/* ${$a} with $a = 'Acc': the variable $Acc, and what it holds */
		if (f->kind == FK_VARNAME && f->litlen < VAL_MAX) {
			uint8_t nm[VAL_MAX + 1];
			const struct taint *tv;

			nm[0] = '$';
			memcpy(nm + 1, f->lit, f->litlen);
			tv = taint_slot(s, name_hash(nm, (size_t)f->litlen + 1, false), false);
			if (tv != NULL) {
				fl |= tv->fl & FL_INPUT;
				s->varname_fl = tv->fl & (FL_INPUT | FL_SINKNAME | FL_NAME | FL_DECODED);
			}
		}
		if (f->litn >= 2 && is_hidden_name(f->lit, f->litlen))
			fl |= FL_NAME;
		if (is_sink_name(f->lit, f->litlen))
			fl |= FL_SINKNAME;
	}
	if (f->kind == FK_SANITIZE || f->kind == FK_INDEX)
		fl &= (uint16_t) ~(FL_INPUT | FL_PARAM);
	if (socket_read(s, f))
		fl |= FL_INPUT;
	/* get('c') where get() returns the request's input */
	if (f->user && f->nlen > 0 && source_has(s, f->uhash))
		fl |= FL_INPUT;
	if (f->asg_h != 0 && ((f->flow & ~f->asg_fl) & FL_INPUT))
		taint_set(s, f->asg_h, FL_INPUT);
	/* readfile(trim($_GET['f'])): still the request's path from its start */
	if (parent != NULL && parent != &s->stmt && parent->arg == 0 && (fl & FL_INPUT) && f->kind != FK_METHOD &&
	    skip_blank(s->p, s->n, parent->a0) == f->start)
		parent->a0in = 1;
	/* what a method makes of input is its business (a function's result is
	 * followed: PHP's own string functions are functions) */
	if (f->kind == FK_METHOD)
		fl &= (uint16_t) ~FL_INPUT;
	if (f->kind == FK_BLOCK) {
		/* a closure's body runs later, as its own code */
		s->last_close_fl = 0;
		return;
	}
	if (f->kind == FK_DECODER)
		fl |= FL_DECODED;
	/* a doc comment read back through reflection: text the page hid from
	 * its code, brought out as from a decoder */
	if (f->kind == FK_METHOD && frame_named(s, f, "getDocComment"))
		fl |= FL_DECODED;
	if (f->kind == FK_SOURCE)
		fl |= FL_INPUT;
	if (f->kind != FK_NONE || f->user || f->callee)
		fl |= FL_CALL;
	/* (file(), readfile(): their result counted as a function's own, as before they were known) */
	if (f->user || f->callee || f->kind == FK_READ)
		fl |= FL_UCALL;
	if (f->chr >= 16)
		fl |= FL_CHR;
	/* the result of a fetch of php://input or of a URL is the sender's */
	if (f->kind == FK_FILEGET && (f->flow & (FL_STREAM | FL_URL)))
		fl |= FL_INPUT;
	s->last_close_fl = fl | f->callee;
	/* the outermost decoder of a chain: what does its literal decode to? */
	if (f->kind == FK_DECODER && (parent == NULL || (parent->kind != FK_DECODER && parent->kind != FK_EVAL)))
		decode_and_scan(s, f->start, s->pos, f->line);
	if (parent == NULL)
		return;
	if (f->kind == FK_DECODER) {
		uint8_t d = f->dec < 250 ? f->dec + 1 : f->dec;

		if (d > parent->dec)
			parent->dec = d;
		if ((d >= 2 && (f->flow & FL_BLOB)) || d >= 3)
			finding(s, PHPSCAN_DECODER_CHAIN, PHPSCAN_WEAK, f->line, f->start);
	} else if (f->dec > parent->dec && f->kind != FK_SANITIZE) {
		parent->dec = f->dec;
	}
	if (parent->lastvar == 0 && f->kind != FK_SANITIZE && f->kind != FK_INDEX)
		parent->lastvar = f->lastvar;
	if (f->kind == FK_CHR && at_arrow(s))
		f->kind = FK_NONE;
	parent->chr = (uint16_t)(parent->chr + f->chr + (f->kind == FK_CHR));
	/* preg_replace(chr(47) . $x . chr(47) . chr(101), ...): a pattern spelled in chr() */
	if (f->kind == FK_CHR && parent->kind == FK_PREG && parent != &s->stmt && parent->arg == 0)
		parent->pregchr = 1;
	if (parent->chr >= 24 && parent->chr - f->chr - (f->kind == FK_CHR) < 24)
		finding(s, PHPSCAN_CHR_SOUP, PHPSCAN_WEAK, f->line, f->start);
	parent->flow |= fl;
	parent->argfl |= fl;
	if (fl & FL_INPUT)
		parent->argmask |= (uint8_t)(1u << (parent->arg < 7 ? parent->arg : 7));
	if (fl & FL_PARAM)
		parent->argpar |= (uint8_t)(1u << (parent->arg < 7 ? parent->arg : 7));
}

/* ---- statements ------------------------------------------------------- */

/* a literal in p[0..n) ending in an image's or an icon's extension: 'x.ico' */
static bool
names_media(const uint8_t *p, size_t n)
{
	static const char *const ext[] = { ".ico", ".png", ".gif", ".jpg", ".jpeg", ".bmp", ".webp" };
	size_t i, k;

	if (n > 512)
		return false;
	for (i = 1; i < n; i++) {
		if (p[i] != '\'' && p[i] != '"')
			continue;
		for (k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
			size_t l = strlen(ext[k]);

			if (i >= l && strncasecmp((const char *)p + i - l, ext[k], l) == 0)
				return true;
		}
	}
	return false;
}

/* a bare word naming a runner of code or commands, written as a function
 * name rather than a constant (one lower-case letter at least: SYSTEM is
 * an application's constant) */
static bool
bare_runner(const uint8_t *w, size_t n)
{
	size_t i;

	if (!is_sink_name((const char *)w, n))
		return false;
	for (i = 0; i < n; i++)
		if (w[i] >= 'a' && w[i] <= 'z')
			return true;
	return false;
}

/* $v = '...' . '...' . ...;: a payload cut into pieces (lines of 76 or 100
 * characters) is judged whole, as one literal would be: an encoded blob, a
 * connect-back script. The pieces are joined into a buffer of the decoding's
 * budget; true when they make a blob. */
static bool
joined_literal_judge(struct scan *s)
{
	struct dbuf d = { NULL, 0, 0 };
	size_t j = s->lit_tok - 1;
	bool blob = false;

	if (s->lit_bytes > *s->dbudget || s->lit_bytes > DECODE_MAX)
		return false;
	while (dec_literal(s->p, s->n, &j, &d)) {
		j = skip_blank(s->p, s->n, j);
		if (j >= s->n || s->p[j] != '.')
			break;
		j = skip_blank(s->p, s->n, j + 1);
		if (j >= s->n || (s->p[j] != '\'' && s->p[j] != '"'))
			goto out;
	}
	/* the statement's literals, all of them, and nothing else */
	if (d.n < BLOB_MIN || j >= s->n || (s->p[j] != ';' && s->p[j] != '?'))
		goto out;
	*s->dbudget -= d.n;
	blob = is_blob(d.p, d.n);
	if (is_connect_back(d.p, d.n, blob))
		finding(s, PHPSCAN_CONNECT_BACK, PHPSCAN_WEAK, s->stmt.line, s->lit_tok);
	if (blob) {
		finding(s, PHPSCAN_ENCODED_BLOB, PHPSCAN_NOTE, s->stmt.line, s->lit_tok);
		if (s->blob_bytes == 0) {
			s->blob_line = s->stmt.line;
			s->blob_pos = s->lit_tok;
		}
		s->blob_bytes += d.n;
	}
out:
	free(d.p);
	return blob;
}

static void
stmt_end(struct scan *s, bool semicolon)
{
	struct frame *st = &s->stmt;

	if (s->include_open) {
		uint16_t fl = st->flow;

		/* code of its own included: an application's page, not a tool standing alone */
		if (!(fl & (FL_INPUT | FL_STREAM | FL_DECODED | FL_NAME))) {
			s->app_code = true;
			s->app_linked = true;
		}

		if ((fl & FL_STREAM) && (fl & FL_INPUT))
			finding(s, PHPSCAN_INCLUDE_OF_STREAM, PHPSCAN_HIGH, s->include_line, s->include_start);
		else if (fl & FL_STREAM) /* include 'data://...' . $code: eval by another name */
			finding(s, PHPSCAN_INCLUDE_OF_STREAM, PHPSCAN_NOTE, s->include_line, s->include_start);
		else if (fl & FL_INPUT)
			finding(s, PHPSCAN_INCLUDE_OF_INPUT, s->include_prefix ? PHPSCAN_NOTE : PHPSCAN_HIGH,
				s->include_line, s->include_start);
		else if (fl & (FL_DECODED | FL_NAME))
			finding(s, PHPSCAN_OBFUSCATED_EVAL, PHPSCAN_WEAK, s->include_line, s->include_start);
		else if (fl & FL_URL)
			finding(s, PHPSCAN_INCLUDE_OF_STREAM, PHPSCAN_WEAK, s->include_line, s->include_start);
		/* include 'images/logo.png', require '/tmp/.x.ico': code kept in a file named as data */
		else if (names_media(s->p + s->include_start, s->pos - s->include_start))
			finding(s, PHPSCAN_PHP_IN_NON_PHP, PHPSCAN_WEAK, s->include_line, s->include_start);
		else if (s->wrote_input) {
			/* request input written to a file, then that file included: eval in two steps */
			size_t a = s->include_start;
			uint32_t h;

			while (a < s->n && is_ident_start(s->p[a]))
				a++;
			h = path_hash(s->p, a, s->pos);
			if (h != 0 && (hash_in(s->written, s->nwritten, h) ||
				       (s->wrote_handle && hash_in(s->opened, s->nopened, h))))
				finding(s, PHPSCAN_INCLUDE_OF_INPUT, PHPSCAN_WEAK, s->include_line, s->include_start);
		}
		s->include_open = false;
	}
	if (s->varvar_stmt && s->assign_h && (st->flow & FL_INPUT))
		s->globals_input = true;
	/* $c = decode('...'); eval($c): an own decoder's output, kept in a variable */
	if (s->assign_h && !s->assign_elem && (st->flow & FL_UCALL) && s->fn_state != 3 &&
	    !hash_in(s->ucallv, s->nucallv, s->assign_h))
		s->ucallv[s->nucallv++ % 4] = s->assign_h;
	if (s->stmt_return && s->fn_state == 3 && s->cur_fn != 0 && (st->flow & FL_INPUT))
		source_add(s, s->cur_fn);
	s->stmt_return = false;
	if (s->list_assign) {
		uint8_t i;

		for (i = 0; i < s->nlistv && i < 4; i++)
			taint_set(s, s->listv[i], st->flow & (FL_INPUT | FL_DECODED | FL_NAME | FL_CHR | FL_BLOB));
	}
	s->nlistv = 0;
	s->list_assign = false;
	/* $o = json_decode($_POST['j']): its properties are the request's ($o->code) */
	if (s->stmt_objdec && s->assign_h && !s->assign_elem && (st->flow & FL_INPUT) &&
	    !hash_in(s->objin, s->nobjin, s->assign_h))
		s->objin[s->nobjin++ % 4] = s->assign_h;
	s->stmt_objdec = false;
	/* $s = fsockopen(...): what is read from $s comes from the other end */
	if (s->stmt_sock && s->assign_h && !s->assign_elem && !hash_in(s->socks, s->nsocks, s->assign_h))
		s->socks[s->nsocks++ % 4] = s->assign_h;
	s->stmt_sock = false;
	if (s->assign_h && s->lit_only && s->lit_pieces >= 2 && s->lit_tok > 0 && s->lit_bytes >= BLOB_MIN &&
	    joined_literal_judge(s))
		st->flow |= FL_BLOB;
	if (s->assign_h) {
		uint16_t fl = st->flow & (FL_INPUT | FL_DECODED | FL_NAME | FL_PARAM | FL_CHR | FL_BLOB | FL_BUILT |
					  FL_SINKNAME | FL_ELEMIN);
		bool known = s->lit_only && s->lit_pieces > 0 && !s->lit_long;

		/* a string made of literals alone: a name being spelled */
		if ((st->flow & FL_LIT) && !(st->flow & (FL_VAR | FL_INPUT)))
			fl |= FL_BUILT;
		if (s->xor_elem && !(st->flow & FL_INPUT))
			fl |= FL_BUILT;
		if (st->dec > 0)
			fl |= FL_DECODED;
		if (st->chr >= 1)
			fl |= FL_CHR;
		if (known) {
			fl |= FL_LITVAR;
			if (s->lit_pieces >= 2 && is_hidden_name(s->lit, s->lit_len))
				fl |= FL_NAME;
			if (is_sink_name(s->lit, s->lit_len))
				fl |= FL_SINKNAME;
		} else if (s->stmt_ntok == 4 && s->prev == T_IDENT && bare_runner(s->p + s->pstart, s->plen)) {
			/* $f = passthru;: an undefined constant was its own name (PHP before 8) */
			fl |= FL_SINKNAME | FL_BUILT;
		}
		/* an element set from input does not make every element input:
		 * code execution of the array still counts, a callback from it not */
		if (s->assign_elem && (fl & FL_INPUT))
			fl = (uint16_t)((fl & ~FL_INPUT) | FL_ELEMIN);
		if (s->assign_elem)
			fl &= (uint16_t)~FL_LITVAR;
		taint_assign(s, s->assign_h, fl, s->lit, s->lit_len, s->assign_elem);
		{
			struct taint *tv = taint_slot(s, s->assign_h, false);

			/* a payload kept in a variable is decoded where it is used */
			if (tv != NULL)
				tv->lpos = s->lit_only && s->lit_pieces == 1 && !s->assign_elem ? s->lit_tok : 0;
		}
	}
	if (s->onechar >= 16)
		finding(s, PHPSCAN_CHAR_BY_CHAR, PHPSCAN_WEAK, st->line, st->start);
	if (s->xorops >= 3)
		finding(s, PHPSCAN_XOR_STRINGS, PHPSCAN_WEAK, st->line, st->start);
	if (semicolon && s->loop_stmt)
		s->loop_stmt = 0;
	memset(st, 0, sizeof(*st));
	s->assign_h = 0;
	s->varvar_stmt = false;
	s->global_stmt = false;
	s->first_globals = false;
	s->assign_elem = false;
	s->stmt_ntok = 0;
	s->first_var_h = 0;
	s->lit_pieces = 0;
	s->lit_bytes = 0;
	s->lit_only = 1;
	s->lit_len = 0;
	s->lit_tok = 0;
	s->lit_long = false;
	s->onechar = 0;
	s->xorops = 0;
	s->xor_elem = false;
	s->pick_num = false;
	s->pick_close = false;
}

/* a number token's value (decimal, 0x hex, 0 octal); -1 when it is none */
static long
strtol_tok(const uint8_t *p, size_t n)
{
	char buf[24];
	char *end;
	long v;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	v = strtol(buf, &end, 0);
	return *end == '\0' ? v : -1;
}

/* `[12]` or `{12}` at off (blanks allowed): the index, else -1 */
static int
pick_index(const uint8_t *p, size_t n, size_t off)
{
	int k = 0, digits = 0;

	while (off < n && (p[off] == ' ' || p[off] == '\t'))
		off++;
	if (off >= n || (p[off] != '[' && p[off] != '{'))
		return -1;
	off++;
	while (off < n && p[off] == ' ')
		off++;
	while (off < n && p[off] >= '0' && p[off] <= '9' && digits < 3) {
		k = k * 10 + (p[off++] - '0');
		digits++;
	}
	while (off < n && p[off] == ' ')
		off++;
	if (digits == 0 || off >= n || (p[off] != ']' && p[off] != '}'))
		return -1;
	return k;
}

/* a keyword whose parenthesis may be followed by a statement without braces */
/* class, interface, trait, namespace: the page is part of an application */
static bool
is_decl_word(const uint8_t *p, size_t n)
{
	static const char *const w[] = { "class", "interface", "trait", "namespace" };
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (word_ci(p, n, w[i]))
			return true;
	return false;
}

/* a name follows the keyword (not `new class (`, not a constant named Class) */
static bool
decl_follows(const struct scan *s)
{
	size_t i = skip_blank(s->p, s->n, s->pos);

	return i < s->n && (is_ident_start(s->p[i]) || s->p[i] == '\\');
}

static bool
is_ctrl_word(const uint8_t *p, size_t n)
{
	static const char *const w[] = { "if", "elseif", "while", "for", "foreach" };
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (word_ci(p, n, w[i]))
			return true;
	return false;
}

/* an identifier with a lower-case letter that is no keyword value */
static bool
is_bare_word(const uint8_t *p, size_t n)
{
	size_t i;

	if ((n == 4 && strncasecmp((const char *)p, "true", 4) == 0) ||
	    (n == 5 && strncasecmp((const char *)p, "false", 5) == 0) ||
	    (n == 4 && strncasecmp((const char *)p, "null", 4) == 0))
		return false;
	for (i = 0; i < n; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			return true;
	return false;
}

/* a bare word a packer would combine with ^ | &: not a type of a union
 * (`string|int|null`, `Foo|Bar`: PHP 8 types are words joined by |) */
static bool
xor_word(const uint8_t *p, size_t n)
{
	static const char *const types[] = { "int", "float", "string", "bool", "array", "iterable", "callable",
					     "object", "mixed", "self", "static", "parent", "void", "never" };
	size_t i;

	if (!is_bare_word(p, n) || (p[0] >= 'A' && p[0] <= 'Z'))
		return false;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (word_ci(p, n, types[i]))
			return false;
	return true;
}

/* a variable in an expression: what the behaviour checks make of it (kept
 * out of scan_php's loop) */
static __attribute__((noinline)) uint16_t
var_seen(struct scan *s, struct frame *f, const struct tok *t, uint16_t fl)
{
	/* proc_open($sh, array(0 => $sock, 1 => $sock, ...)): a shell wired to a socket */
	if (s->nsocks > 0 && in_runner(s) && hash_in(s->socks, s->nsocks, name_hash(s->p + t->start, t->len, false)))
		fl |= FL_INPUT;
	/* readfile($_GET['f']): the first argument is the request's from its start */
	if (f && f != &s->stmt && f->arg == 0 && (fl & FL_INPUT) && skip_blank(s->p, s->n, f->a0) == t->start)
		f->a0in = 1;
	return fl;
}

static __attribute__((noinline)) void
var_assigned_in(struct scan *s, struct frame *f, const struct tok *t)
{
	f->asg_h = name_hash(s->p + t->start, t->len, false);
	f->asg_fl = f->flow;
}

/* PHP tags and statements one by one */
static void
scan_php(struct scan *s)
{
	struct tok t;
	size_t line_start = 0;
	uint32_t cur_line = 0, long_done = 0;

	memset(&t, 0, sizeof(t));
	stmt_end(s, false);
	for (;;) {
		bool was_dot;
		enum fkind k = FK_NONE;
		const struct fname *fn = NULL;

		next_token(s, &t);
		if (t.type == T_EOF)
			break;
		/* a very long line of code */
		if (t.line != cur_line) {
			cur_line = t.line;
			line_start = t.start;
		} else if (t.start - line_start > LONG_LINE && long_done != cur_line) {
			long_done = cur_line;
			finding(s, PHPSCAN_LONG_LINE, PHPSCAN_NOTE, cur_line, line_start);
		}
		frame_lit_token(s, &t);
		s->pstart = s->cstart;
		s->plen = s->clen;
		s->pline = s->cline;
		s->cstart = t.start;
		s->clen = t.len;
		s->cline = t.line;
		/* if (...) $c = $_POST['c'];: the body without braces is a statement of its own */
		if (s->ctrl_done) {
			s->ctrl_done = false;
			if (!(t.type == T_PUNCT && (t.c == '{' || t.c == ':' || t.c == ';')) && s->depth == 0)
				stmt_end(s, false);
		}
		if (t.type == T_PUNCT && t.c == '(' && (s->ctrl_armed || s->ctrl_nest > 0)) {
			s->ctrl_armed = false;
			if (s->ctrl_nest < 64)
				s->ctrl_nest++;
		} else if (t.type == T_PUNCT && t.c == ')' && s->ctrl_nest > 0 && --s->ctrl_nest == 0) {
			s->ctrl_done = true;
		} else if (t.type == T_OPEN || t.type == T_CLOSE || (t.type == T_PUNCT && t.c == '{')) {
			s->ctrl_armed = false;
			s->ctrl_nest = 0;
		}
		if (s->stmt_ntok == 0) {
			s->stmt.line = t.line;
			s->stmt.start = t.start;
		}
		/* @$x = ...: the silence operator does not start the statement */
		if (!(t.type == T_PUNCT && t.c == '@' && s->stmt_ntok == 0))
			s->stmt_ntok++;
		if (s->include_open)
			s->include_ntok++;
		was_dot = s->prev == T_PUNCT && s->prevc == '.';

		switch (t.type) {
		case T_OPEN:
			s->any_php = true;
			stmt_end(s, false);
			s->stmt_ntok = 0;
			s->prev = T_OPEN;
			continue;
		case T_CLOSE:
			/* `?>` ends a statement */
			while (s->depth > 0)
				frame_close(s);
			stmt_end(s, true);
			s->prev = T_CLOSE;
			continue;
		case T_IDENT:
			fn = fname_find(s->p + t.start, t.len);
			k = fn ? (enum fkind)fn->kind : FK_NONE;
			if (s->fn_state == 3 && s->depth == 0 && s->stmt_ntok == 1 && t.len == 6 &&
			    strncasecmp((const char *)s->p + t.start, "global", 6) == 0)
				s->global_stmt = true;
			if (s->fn_state == 3 && s->depth == 0 && s->stmt_ntok == 1 && t.len == 6 &&
			    strncasecmp((const char *)s->p + t.start, "return", 6) == 0)
				s->stmt_return = true;
			if (s->prev_kind == FK_FUNCTION && s->prev == T_IDENT) {
				/* function NAME( */
				if (s->fn_state == 0 || s->fn_state == 3) {
					s->cur_fn = name_hash(s->p + t.start, t.len, true);
					s->fn_state = 1;
					s->magic_fn = (t.len == 10 && strncasecmp((const char *)s->p + t.start, "__destruct", 10) == 0) ||
						      (t.len == 8 && strncasecmp((const char *)s->p + t.start, "__wakeup", 8) == 0);
				}
				k = FK_NONE;
				s->prev_fndef = true;
			} else if (s->prev == T_PUNCT && (s->prevc == 'A' || s->prevc == 'C')) {
				s->prev_member = true;
				/* $p->name( after `new X(...)`: a method, not the constructor */
				s->prev_fndef = false;
			} else {
				s->prev_member = false;
				/* new Foo(): a class, unless a class that calls back */
				s->prev_fndef = s->prev_kind == FK_NEW && s->prev == T_IDENT && k != FK_CB0 && k != FK_CB1;
			}
			if (!s->prev_member && k == FK_NONE && is_decl_word(s->p + t.start, t.len) &&
			    s->pos < s->n && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t' || s->p[s->pos] == '\n') &&
			    decl_follows(s)) {
				s->app_code = true;
				if (word_ci(s->p + t.start, t.len, "namespace"))
					s->app_linked = true;
				else
					s->declares = true;
			}
			/* `use Vendor\Name;` opening a statement of the top level: a
			 * page of an application whose autoloader brings the rest */
			if (k == FK_USE && s->stmt_ntok == 1 && s->depth == 0 && s->fn_state != 3)
				s->imports = true;
			if ((t.len == 13 && strncasecmp((const char *)s->p + t.start, "php_sapi_name", 13) == 0) ||
			    (t.len == 8 && memcmp(s->p + t.start, "PHP_SAPI", 8) == 0) ||
			    (t.len == 5 && memcmp(s->p + t.start, "STDIN", 5) == 0))
				s->cli = true;
			if (k == FK_INCLUDE && !s->prev_member) {
				s->include_open = true;
				s->include_line = t.line;
				s->include_start = t.start;
				s->include_prefix = true;
				s->include_ntok = 0;
			} else if (k == FK_AS && s->depth > 0 && s->depth <= DEPTH_MAX) {
				s->fr[s->depth - 1].asflag = 1;
			} else if (k == FK_DO) {
				s->loop_pending = 1;
			}
			if (s->depth == 0 && (s->stmt_ntok == 1 || (s->prev == T_IDENT && s->plen == 4 &&
								     strncasecmp((const char *)s->p + s->pstart, "else", 4) == 0)) &&
			    is_ctrl_word(s->p + t.start, t.len))
				s->ctrl_armed = true;
			s->lit_only = 0;
			break;
		case T_VAR: {
			uint16_t fl = var_flow(s, t.start, t.len, s->pos);

			/* $$a with $a = 'b': what $b holds */
			if (s->prev == T_PUNCT && s->prevc == '$') {
				const struct taint *tv = taint_find(s, s->p + t.start, t.len);

				if (tv != NULL && tv->vlen > 0 && (fl & FL_LITVAR)) {
					uint8_t nm[VAL_MAX + 1];

					nm[0] = '$';
					memcpy(nm + 1, tv->val, tv->vlen);
					fl = (uint16_t)((fl & ~FL_LITVAR) |
							(taint_get(s, name_hash(nm, (size_t)tv->vlen + 1, false)) &
							 (FL_INPUT | FL_DECODED | FL_NAME | FL_CHR | FL_BLOB)));
				}
			}
			struct frame *f = top(s);
			size_t a = s->pos;

			/* $_, $__, $___: variables named by underscores alone */
			if (t.len >= 2) {
				size_t u = 1;

				while (u < t.len && s->p[t.start + u] == '_')
					u++;
				if (u == t.len)
					s->underscores++;
			}

			/* $obj->prop: an object built from input is not input itself,
			 * unless the request's data was decoded into it (json_decode, unserialize) */
			while (a < s->n && (s->p[a] == ' ' || s->p[a] == '\t'))
				a++;
			if (a + 1 < s->n && s->p[a] == '-' && s->p[a + 1] == '>' &&
			    !hash_in(s->objin, s->nobjin, name_hash(s->p + t.start, t.len, false)))
				fl &= (uint16_t)~FL_INPUT;
			fl = var_seen(s, f, &t, fl);
			/* an assignment anywhere, also inside a condition: while (($l = f()) !== false) */
			if (a + 1 < s->n && ((s->p[a] == '=' && s->p[a + 1] != '=' && s->p[a + 1] != '>') ||
					     (s->p[a + 1] == '=' && strchr(".+-*%|&^?", s->p[a]) != NULL && s->p[a] != '\0'))) {
				taint_mark_assigned(s, name_hash(s->p + t.start, t.len, false));
				/* if ($c = $_POST['c']): $c holds what the parenthesis receives after it */
				if (f && f != &s->stmt && s->p[a] == '=' && f->asg_h == 0 && f->kind != FK_LIST)
					var_assigned_in(s, f, &t);
			}

			/* global $k: in the function, $k holds what the top level gave it */
			if (s->global_stmt) {
				uint32_t gh = name_hash(s->p + t.start, t.len, false);

				taint_set(s, gh, taint_top(s, gh) & (FL_INPUT | FL_DECODED | FL_NAME | FL_CHR | FL_BLOB));
			}
			/* foreach ($_POST as $k => $v): $k and $v carry input */
			if (f && f != &s->stmt && f->asflag && (f->flow & FL_INPUT))
				taint_set(s, name_hash(s->p + t.start, t.len, false), FL_INPUT);
			/* foreach (array('exec', 'system') as $f): $f is one of the runners;
			 * called with input, it runs it */
			else if (f && f != &s->stmt && f->asflag && (f->flow & FL_SINKNAME))
				taint_set(s, name_hash(s->p + t.start, t.len, false), FL_BUILT);
			{
				uint32_t vh = name_hash(s->p + t.start, t.len, false);

				/* given a value without `=`: foreach ... as, parameters, list(), &$v, output arguments */
				/* list($a, $b) = ..., [$a, $b] = ...: given what the statement's right side holds */
				if (f && s->depth == 1 && s->stmt_ntok <= 16 && s->nlistv < 4 &&
				    (f->kind == FK_LIST || (f->kind == FK_NONE && f->start == s->stmt.start && s->p[f->start] == '[')))
					s->listv[s->nlistv++] = vh;
				if ((f && f != &s->stmt && (f->asflag || f->kind == FK_LIST || ((f->kind == FK_OUTARG || f->kind == FK_EXEC) && f->arg >= 1))) ||
				    s->fn_state == 2 || (s->prev == T_PUNCT && s->prevc == '&'))
					taint_mark_assigned(s, vh);
				if (f && (fl & FL_VAR) && !(fl & (FL_INPUT | FL_PARAM)) && !is_superglobal_input(s->p + t.start, t.len))
					f->lastvar = vh;
			}
			/* mysql_query($_POST['sql']): an argument that is input from its start */
			if (f && f != &s->stmt && f->kind == FK_SQL && is_superglobal_input(s->p + t.start, t.len) &&
			    s->prev == T_PUNCT && (s->prevc == '(' || s->prevc == ','))
				f->cbsink = 1;
			/* preg_replace($_GET['p'], ...): the pattern, modifiers and all, from the request */
			if (f && f != &s->stmt && f->kind == FK_PREG && f->arg == 0 && (fl & FL_INPUT) && s->prev == T_PUNCT &&
			    s->prevc == '(')
				f->cbsink = 1;
			/* move_uploaded_file($tmp, $_FILES['f']['name']) */
			if (f && f != &s->stmt && f->kind == FK_UPLOAD && f->arg == 1 && s->prev == T_PUNCT &&
			    s->prevc == ',' && is_superglobal_input(s->p + t.start, t.len))
				f->cbsink = 1;
			/* parameters of the function being defined */
			if (s->include_open && s->include_ntok <= 2 && is_superglobal_input(s->p + t.start, t.len))
				s->include_prefix = false; /* include $_GET['f']; */
			if (s->fn_state == 2 && s->depth >= 1)
				taint_set(s, name_hash(s->p + t.start, t.len, false), FL_PARAM);
			else
				flow_add(s, fl);
			s->stmt_first_dollar = s->stmt_ntok == 2 && s->prev == T_PUNCT && s->prevc == '$';
			if ((s->stmt_ntok == 1 || s->stmt_first_dollar) && s->depth == 0) {
				uint32_t g = t.len == 8 && memcmp(s->p + t.start, "$GLOBALS", 8) == 0
						     ? globals_elem(s->p, s->n, s->pos)
						     : 0;

				s->first_var_h = g != 0 ? g : name_hash(s->p + t.start, t.len, false);
				s->first_globals = g != 0;
				s->first_var_brk = 0;
			}
			/* $obj->$name(), new $class(): not a call of what $name holds */
			s->callee_ok = !(s->prev == T_PUNCT && (s->prevc == 'A' || s->prevc == 'C')) &&
				       !(s->prev == T_IDENT && s->prev_kind == FK_NEW);
			s->callee_fl = fl;
			s->callee_brk = 0;
			s->var_after_dot = was_dot;
			if ((fl & FL_LITVAR) && s->lit_only && s->assign_h) {
				const struct taint *tv = taint_find(s, s->p + t.start, t.len);
				int pk = pick_index(s->p, s->n, s->pos);

				if (tv != NULL && pk >= 0) {
					/* $alphabet[18] . $alphabet{24}: one letter of a known string */
					if (pk >= tv->vlen || !lit_append(s->lit, &s->lit_len, tv->val + pk, 1))
						s->lit_long = true;
					s->lit_pieces++;
					s->pick_num = true;
				} else if (tv == NULL || !lit_append(s->lit, &s->lit_len, tv->val, tv->vlen))
					s->lit_long = true;
				s->lit_pieces++;
			} else {
				s->lit_only = 0;
			}
			s->prev = T_VAR;
			s->prev_lit = false;
			s->prev_kind = FK_NONE;
			continue;
		}
		case T_SQ:
		case T_DQ:
		case T_HEREDOC:
		case T_NOWDOC: {
			struct frame *f = top(s);

			literal_seen(s, &t);
			if (t.type == T_DQ || t.type == T_HEREDOC)
				interpolated_vars(s, &t);
			/* str_replace('x', '', 'axsxsert'): each argument one literal */
			if (f && f != &s->stmt && f->kind == FK_STRREPL && f->arg < 3 && s->prev == T_PUNCT &&
			    (s->prevc == '(' || s->prevc == ',')) {
				f->argl |= (uint8_t)(1u << f->arg);
				f->la[f->arg] = t.start;
				f->ll[f->arg] = t.len;
			}
			/* ->uasort('assert'): a method given a sink's bare name */
			if (f && f != &s->stmt && f->kind == FK_METHOD && s->prev == T_PUNCT &&
			    (s->prevc == '(' || s->prevc == ',') && is_callback_sink((const char *)s->p + t.start, t.len))
				f->cbsink = 1;
			/* call_user_func('assert', ...), array_filter($a, 'system') */
			if (f && f != &s->stmt && s->prev == T_PUNCT &&
			    ((f->kind == FK_CB0 && f->arg == 0 && s->prevc == '(') ||
			     (f->kind == FK_CB1 && f->arg == 1 && s->prevc == ','))) {
				enum fkind lk = fname_kind(s->p + t.start, t.len);

				if (lk == FK_EVAL || lk == FK_EXEC)
					f->cbsink = 1;
			}
			/* a literal pattern opening preg_replace(: its modifiers */
			if (f && f != &s->stmt && f->kind == FK_PREG && f->arg == 0 && s->prev == T_PUNCT &&
			    s->prevc == '(' && t.len >= 3) {
				const uint8_t *c = s->p + t.start;
				uint8_t d = c[0], e = d == '(' ? ')' : d == '{' ? '}' : d == '[' ? ']' : d == '<' ? '>' : d;
				size_t j = t.len;

				while (j > 1 && c[j - 1] != e)
					j--;
				if (j > 1 && !is_ident(d) && d != '\\' && d != ' ' &&
				    memchr(c + j, 'e', t.len - j) != NULL)
					f->pregE = 1;
			}
			/* ... or its modifiers as a literal of their own: '/(.*)/' . 'e', or
			 * mb_ereg_replace's options, its fourth argument */
			if (f && f != &s->stmt && f->kind == FK_PREG && s->prev == T_PUNCT &&
			    ((f->arg == 0 && s->prevc == '.' && next_byte(s, NULL) == ',') ||
			     (f->arg == 3 && s->prevc == ',' && f->nlen >= 15)) &&
			    t.len >= 1 && t.len <= 8 && memchr(s->p + t.start, 'e', t.len) != NULL) {
				size_t j = 0;

				while (j < t.len && is_ident_start(s->p[t.start + j]) && s->p[t.start + j] < 0x80 &&
				       s->p[t.start + j] != '_')
					j++;
				if (j == t.len)
					f->pregE = 1;
			}
			/* a decoder of a literal that spells a function name or holds PHP */
			if (f && f != &s->stmt && f->kind == FK_DECODER && s->prev == T_PUNCT &&
			    (s->prevc == '(' || s->prevc == ',')) {
				int dk = decoded_literal((const char *)s->p + f->start, f->nlen, s->p + t.start, t.len);

				if (dk == DEC_NAME) {
					f->flow |= FL_NAME;
					finding(s, PHPSCAN_OBFUSCATED_CALL, PHPSCAN_HIGH, t.line, t.start);
				} else if (dk == DEC_PHP) {
					f->flow |= FL_NAME;
					finding(s, PHPSCAN_HIDDEN_PHP, PHPSCAN_HIGH, t.line, t.start);
				}
			}
			if (t.len == 2 && (s->p[t.start] == 'c' || s->p[t.start] == 'C') && s->p[t.start + 1] == '*' &&
			    s->depth > 0 && s->depth <= DEPTH_MAX && s->prev == T_PUNCT && s->prevc == '(')
				s->fr[s->depth - 1].packc = 1;
			if (s->lit_only && (s->assign_h || s->first_var_h)) {
				if (!lit_append(s->lit, &s->lit_len, s->p + t.start, t.len))
					s->lit_long = true;
				if (s->lit_pieces == 0 && (t.type == T_SQ || t.type == T_DQ))
					s->lit_tok = t.start;
				s->lit_pieces++;
				s->lit_bytes += t.len;
			}
			/* (a letter ending a list's element: chr(128) . 'A', is a table's entry) */
			if (t.len == 1 && was_dot && next_byte(s, NULL) != ',')
				s->onechar++;
			if (s->prev == T_PUNCT && (s->prevc == '^' || s->prevc == '|' || s->prevc == '&') &&
			    s->xor_lhs_lit) {
				s->xorops++;
				s->xor_total++;
			}
			if (s->callee_brk == 0)
				s->callee_ok = false;
			s->prev = t.type;
			s->prev_kind = FK_NONE;
			s->prev_lit = true; /* a literal ended here (for ^ | &) */
			continue;
		}
		case T_BACKTICK:
			interpolated_vars(s, &t);
			{
				struct frame bt;

				memset(&bt, 0, sizeof(bt));
				bt.kind = FK_EXEC;
				bt.line = t.line;
				bt.start = t.start;
				/* what the backticks interpolate went into the enclosing frame */
				bt.flow = (uint16_t)(top(s) ? top(s)->flow : 0);
				if (bt.flow & FL_INPUT)
					finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, t.line, t.start);
				else
					finding(s, PHPSCAN_SHELL_BACKTICK, PHPSCAN_NOTE, t.line, t.start);
			}
			s->prev = T_BACKTICK;
			s->prev_kind = FK_NONE;
			s->callee_ok = false;
			continue;
		case T_NUM:
			/* pack('c*', 0x73, 0x79, ...): a name given as its bytes */
			if (s->depth > 0 && s->depth <= DEPTH_MAX && s->fr[s->depth - 1].packc && s->prev == T_PUNCT &&
			    s->prevc == ',') {
				struct frame *pf = &s->fr[s->depth - 1];
				long v = strtol_tok(s->p + t.start, t.len);

				if (v > 0 && v < 256 && pf->pklen + 1 < (int)sizeof(pf->pk))
					pf->pk[pf->pklen++] = (char)v;
				else
					pf->packc = 0;
			}
			/* ... . $alphabet[12] . $alphabet[7]: a string picked letter by letter */
			if (s->prev == T_PUNCT && s->prevc == '[' && s->var_after_dot)
				s->onechar++;
			if (s->pick_num) {
				s->pick_num = false;
				s->pick_close = true;
			} else
				s->lit_only = 0;
			break;
		case T_PUNCT:
			if (t.c == 'E')
				gate_direct(s, t.start, t.line);
			if ((t.c == 'E' || t.c == '<' || t.c == '>' || t.c == 'O') && s->depth > 0 &&
			    s->depth <= DEPTH_MAX && s->fr[s->depth - 1].kind == FK_EVAL)
				s->fr[s->depth - 1].cmp = 1;
			switch (t.c) {
			case '(':
				if (s->prev == T_IDENT && !s->prev_member && !s->prev_fndef) {
					enum fkind pk = (enum fkind)s->prev_kind;
					if (pk == FK_LOOP)
						s->loop_paren = s->depth + 1;
					if (pk == FK_GETENV && peek_header_key(s, t.start))
						pk = FK_SOURCE;
					/* a closure's parameters and the variables it uses stay its own */
					if (pk == FK_FUNCTION || pk == FK_USE)
						pk = FK_BLOCK;
					frame_open(s, pk == FK_LOOP || pk == FK_NEW || pk == FK_AS || pk == FK_INCLUDE ||
							      pk == FK_DO || pk == FK_GETENV
						      ? FK_NONE
						      : pk,
						   0, s->pline, s->pstart, s->plen);
					cap_note(s, s->prev_fn, s->pline, s->pstart, t.start);
					/* a user function: remember its name */
					if (pk == FK_NONE && s->depth <= DEPTH_MAX) {
						s->fr[s->depth - 1].user = 1;
						s->fr[s->depth - 1].uhash = name_hash(s->p + s->pstart, s->plen, true);
					}
				} else if (s->prev == T_IDENT && s->prev_fndef && s->fn_state == 1) {
					s->fn_state = 2;
					frame_open(s, FK_NONE, 0, t.line, t.start, 0);
				} else if (s->prev == T_IDENT && s->prev_fndef) {
					/* new Runner($_GET['c']): its constructor is called with it */
					frame_open(s, FK_NONE, 0, t.line, t.start, 0);
					if (s->depth <= DEPTH_MAX) {
						s->fr[s->depth - 1].user = 1;
						s->fr[s->depth - 1].uhash = name_hash((const uint8_t *)"__construct", 11, true);
					}
				} else if (s->prev == T_IDENT && s->prev_member) {
					frame_open(s, FK_METHOD, 0, t.line, s->pstart, s->plen);
				} else if ((s->prev == T_VAR || (s->prev == T_PUNCT && s->prevc == ']')) && s->callee_ok &&
					   s->callee_brk == 0) {
					frame_open(s, FK_NONE, s->callee_fl, t.line, s->pstart, 0);
				} else if (s->prev == T_PUNCT && s->prevc == ')' && s->last_close_fl &
								       (FL_NAME | FL_DECODED | FL_INPUT | FL_CHR)) {
					frame_open(s, FK_NONE, s->last_close_fl, t.line, t.start, 0);
				} else {
					frame_open(s, FK_NONE, 0, t.line, t.start, 0);
				}
				if (s->depth > 0 && s->depth <= DEPTH_MAX)
					s->fr[s->depth - 1].a0 = t.start + 1;
				if (s->callee_ok && s->callee_brk > 0) {
					/* inside an index: not a call of the variable */
				} else {
					s->callee_ok = false;
				}
				s->prev = T_PUNCT;
				s->prevc = '(';
				s->prev_kind = FK_NONE;
				continue;
			case ')':
				frame_close(s);
				if (s->fn_state == 2 && s->depth == 0)
					s->fn_state = 2; /* body next */
				if (s->loop_paren && s->depth < s->loop_paren) {
					s->loop_paren = 0;
					s->loop_pending = 1;
				}
				break;
			case '[':
				if (s->depth == 0 && s->first_var_h && s->assign_h == 0 && !s->first_globals)
					s->assign_elem = true; /* $a[...] = */
				s->first_globals = false;
				frame_open(s,
					   s->prev == T_VAR || (s->prev == T_PUNCT && (s->prevc == ']' || s->prevc == '}'))
						   ? FK_INDEX
						   : FK_NONE,
					   0, t.line, t.start, 0);
				if (s->callee_ok)
					s->callee_brk++;
				break;
			case ']':
				if (s->depth > 0)
					frame_close(s);
				if (s->callee_ok && s->callee_brk > 0) {
					s->callee_brk--;
					s->prev = T_PUNCT;
					s->prevc = ']';
					s->prev_kind = FK_NONE;
					continue;
				}
				break;
			case ',': {
				struct frame *f = top(s);

				if (f && f != &s->stmt && f->arg < 255) {
					if (f->arg == 0) {
						f->a0e = t.start;
						f->a0fl = f->argfl;
					}
					if (cb_arg(f))
						f->cbfl = f->argfl;
					/* a list's element with a chr() or two, the next
					 * likewise: a table of characters, no soup */
					if (f->chr - f->chr_arg < 3)
						f->chr = f->chr_arg;
					f->chr_arg = f->chr;
					f->argfl = 0;
					f->arg++;
				}
				break;
			}
			case '=':
			case 'D':
				if (s->depth == 0 && s->nlistv > 0 && !s->list_assign && s->first_var_h == 0 && t.c == '=') {
					s->list_assign = true;
					s->stmt.flow = 0;
				}
				if (s->depth == 0 && s->first_var_h && s->assign_h == 0) {
					if (s->stmt_first_dollar)
						s->varvar_stmt = true;
					s->assign_h = s->first_var_h;
					s->lit_only = 1;
					s->lit_len = 0;
					s->lit_pieces = 0;
					s->lit_bytes = 0;
					s->stmt.flow = 0;
					s->stmt.dec = 0;
					s->stmt.chr = 0;
					/* `.=` keeps what the variable had */
					if (t.c == 'D')
						s->stmt.flow = taint_get(s, s->assign_h);
				}
				break;
			case ';':
				if (block_depth(s) > 0) {
					int b = block_depth(s);

					/* a statement of a closure inside an expression */
					while (s->depth > b)
						frame_close(s);
					s->prev = T_PUNCT;
					s->prevc = ';';
					s->prev_kind = FK_NONE;
					s->callee_ok = false;
					continue;
				}
				while (s->depth > 0)
					frame_close(s);
				if (s->fn_state == 2) /* an abstract method: no body */
					s->fn_state = 0;
				stmt_end(s, true);
				s->prev = T_PUNCT;
				s->prevc = ';';
				s->prev_kind = FK_NONE;
				s->callee_ok = false;
				continue;
			case '{':
				if (s->prev == T_VAR || (s->prev == T_PUNCT && s->prevc == ']')) {
					/* $s{0}: a string offset (old syntax), not a block */
					frame_open(s, FK_INDEX, 0, t.line, t.start, 0);
					if (s->depth <= DEPTH_MAX)
						s->fr[s->depth - 1].brace = 1;
					s->prev = T_PUNCT;
					s->prevc = '[';
					s->prev_kind = FK_NONE;
					continue;
				}
				if (s->prev == T_PUNCT && (s->prevc == '$' || s->prevc == 'A')) {
					/* ${expr}, $obj->{expr}: a name computed, not a block */
					frame_open(s, s->prevc == '$' ? FK_VARNAME : FK_NONE, 0, t.line, t.start, 0);
					if (s->depth <= DEPTH_MAX)
						s->fr[s->depth - 1].brace = 1;
					s->prev = T_PUNCT;
					s->prevc = '(';
					s->prev_kind = FK_NONE;
					continue;
				}
				if (s->depth > 0 && s->depth <= DEPTH_MAX) {
					/* a closure's body (or a match arm) inside an expression */
					frame_open(s, FK_BLOCK, 0, t.line, t.start, 0);
					s->prev = T_PUNCT;
					s->prevc = '{';
					s->prev_kind = FK_NONE;
					continue;
				}
				while (s->depth > 0 && s->fn_state != 2)
					frame_close(s);
				if (s->fn_state == 2) {
					while (s->depth > 0)
						frame_close(s);
					s->fn_state = 3;
					s->fn_brace = s->brace + 1;
				}
				s->brace++;
				if (s->brace < 64) {
					if (s->loop_pending)
						s->loop_braces |= 1ull << s->brace;
					else
						s->loop_braces &= ~(1ull << s->brace);
				}
				s->loop_pending = 0;
				stmt_end(s, false);
				s->prev = T_PUNCT;
				s->prevc = '{';
				s->prev_kind = FK_NONE;
				continue;
			case '}':
				if (s->depth > 0 && s->depth <= DEPTH_MAX && s->fr[s->depth - 1].brace) {
					s->varname_fl = 0;
					frame_close(s);
					/* the variable named: what it holds */
					s->callee_ok = true;
					s->callee_fl = (uint16_t)((s->last_close_fl & FL_INPUT) | s->varname_fl);
					s->varname_fl = 0;
					s->callee_brk = 0;
					s->prev = T_VAR;
					s->prev_kind = FK_NONE;
					continue;
				}
				if (block_depth(s) > 0) {
					int b = block_depth(s);

					while (s->depth >= b)
						frame_close(s);
					s->prev = T_PUNCT;
					s->prevc = ')';
					s->prev_kind = FK_NONE;
					continue;
				}
				while (s->depth > 0)
					frame_close(s);
				stmt_end(s, false);
				if (s->brace > 0 && s->brace < 64)
					s->loop_braces &= ~(1ull << s->brace);
				if (s->fn_state == 3 && s->brace == s->fn_brace) {
					int i;

					/* parameters are the function's own (a slot
					 * never touched holds none) */
					for (i = 0; i < TAINT_SLOTS / 64; i++) {
						uint64_t m = s->taint_init[i];

						while (m != 0) {
							s->taint[i * 64 + __builtin_ctzll(m)].fl &= (uint16_t)~FL_PARAM;
							m &= m - 1;
						}
					}
					s->fn_state = 0;
				}
				if (s->brace > 0)
					s->brace--;
				s->prev = T_PUNCT;
				s->prevc = '}';
				s->prev_kind = FK_NONE;
				continue;
			case '^':
			case '|':
			case '&':
				/* $a[1] ^ $b[7]: characters picked out of strings and
				 * xor'ed, a name spelled without a literal of it */
				if (t.c == '^' && s->prev == T_PUNCT && s->prevc == ']')
					s->xor_elem = true;
				/* counted when a literal (or a bare word) follows */
				s->xor_lhs_lit = s->prev_lit && (s->prev != T_IDENT || xor_word(s->p + s->pstart, s->plen));
				/* keep "a literal ended here" for the next token */
				s->prev = T_PUNCT;
				s->prevc = t.c;
				s->callee_ok = s->callee_ok && s->callee_brk > 0;
				continue;
			default:
				break;
			}
			if (t.c != '.' && t.c != '=' && t.c != 'D')
				s->lit_only = s->lit_only && (t.c == ')' || t.c == '(' || (s->pick_num && t.c == '[') ||
							      (s->pick_close && (t.c == ']' || t.c == '}')));
			if (t.c == ']' || t.c == '}')
				s->pick_close = false;
			break;
		default:
			break;
		}
		if (s->loop_pending && t.type != T_PUNCT && s->loop_paren == 0 && s->prev == T_PUNCT &&
		    s->prevc == ')') {
			/* a loop body without braces */
			s->loop_stmt = 1;
			s->loop_pending = 0;
		}
		if (!(t.type == T_PUNCT && (t.c == '[' || t.c == ']')) || !s->callee_ok || s->callee_brk == 0) {
			if (!(s->callee_ok && s->callee_brk > 0))
				s->callee_ok = false;
		}
		/* a bare word (an undefined constant) is a string to old PHP: packers use
		 * them; constants are named in capitals */
		if (t.type == T_IDENT && k == FK_NONE && s->prev == T_PUNCT &&
		    (s->prevc == '^' || s->prevc == '|' || s->prevc == '&') && s->xor_lhs_lit &&
		    xor_word(s->p + t.start, t.len)) {
			s->xorops++;
			s->xor_total++;
		}
		s->prev = t.type;
		s->prev_lit = t.type == T_IDENT && k == FK_NONE && is_bare_word(s->p + t.start, t.len);
		s->prevc = t.c;
		if (t.type != T_PUNCT)
			s->prevc = 0;
		s->prev_kind = t.type == T_IDENT ? (uint8_t)k : FK_NONE;
		s->prev_fn = t.type == T_IDENT ? fn : NULL;
	}
	while (s->depth > 0)
		frame_close(s);
	stmt_end(s, false);
	/* calls of user functions that pass input to a sink */
	{
		int i;

		for (i = 0; i < s->nglob; i++)
			if (!taint_assigned(s, s->glob[i].h))
				finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_WEAK, s->glob[i].line, s->glob[i].start);
		for (i = 0; i < s->ncalls; i++)
			if (wrapper_has(s, s->calls[i].h) && (s->calls[i].input || s->globals_input))
				finding(s, PHPSCAN_EXEC_OF_INPUT, s->calls[i].input ? PHPSCAN_HIGH : PHPSCAN_WEAK,
					s->calls[i].line, s->calls[i].start);
		for (i = 0; i < s->nmcalls; i++)
			if (wrapper_has(s, s->mcalls[i].h))
				finding(s, PHPSCAN_EXEC_OF_INPUT, PHPSCAN_HIGH, s->mcalls[i].line, s->mcalls[i].start);
	}
	tools_judge(s);
	if (s->offscreen_line)
		finding(s, PHPSCAN_HIDDEN_CODE, PHPSCAN_WEAK, s->offscreen_line, s->offscreen_pos);
	/* a file that is a quarter or more encoded payload carries it for a reason */
	if (s->blob_bytes >= 2048 && s->blob_bytes * 4 >= s->n)
		finding(s, PHPSCAN_ENCODED_BLOB, PHPSCAN_WEAK, s->blob_line, s->blob_pos);
	/* $_[]=@!+_; $__=@${_}>>$_; ...: code written without letters */
	if (s->underscores >= 12 && (size_t)s->underscores * 100 >= s->n)
		finding(s, PHPSCAN_SYMBOL_SOUP, PHPSCAN_WEAK, 1, 0);
	/* code that is mostly strings xor'ed together is a packer's output: at
	 * least five, one per kilobyte or denser (applications combine flags) */
	if (s->xor_total >= 5 && (size_t)s->xor_total * 1000 >= s->n)
		finding(s, PHPSCAN_XOR_STRINGS, PHPSCAN_HIGH, 1, 0);
}

/* ---- files by name ---------------------------------------------------- */

static const char *
base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static bool
ext_is(const char *name, const char *const *list)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot == NULL || dot == name)
		return false;
	for (i = 0; list[i]; i++)
		if (strcasecmp(dot + 1, list[i]) == 0)
			return true;
	return false;
}

static const char *const php_exts[] = { "php", "php3", "php4", "php5", "php7", "php8", "phtml",
					"pht", "phps", "phar", "inc", "module", "install", "theme",
					"profile", "engine", "ctp", "tpl", NULL };
static const char *const media_exts[] = { "jpg", "jpeg", "png", "gif", "ico", "bmp", "webp", "svg",
					  "tif", "tiff", "mp3", "mp4", "avi", "pdf", "woff", "woff2",
					  "ttf", "eot", "zip", "txt", "log", "css", "js", NULL };

static bool
image_magic(const uint8_t *p, size_t n)
{
	return (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) || (n >= 6 && memcmp(p, "GIF8", 4) == 0) ||
	       (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0) || (n >= 4 && memcmp(p, "\0\0\1\0", 4) == 0) ||
	       (n >= 2 && memcmp(p, "BM", 2) == 0 && n >= 14) || (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
								   memcmp(p + 8, "WEBP", 4) == 0);
}

/* the file begins (after blanks or a UTF-8 BOM) with an opening tag */
static bool
starts_with_php(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i + 2 < n && p[i] == '<' && p[i + 1] == '?';
}

/* the offset of the first `<?php` or `<?=` */
static const uint8_t *
find_php_open(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i + 2 < n) {
		const uint8_t *q = memchr(p + i, '<', n - i);

		if (q == NULL || (size_t)(q - p) + 2 >= n)
			return NULL;
		i = (size_t)(q - p);
		if (q[1] == '?' && (q[2] == '=' || (i + 5 <= n && (q[2] | 32) == 'p' && (q[3] | 32) == 'h' &&
						    (q[4] | 32) == 'p')))
			return q;
		i++;
	}
	return NULL;
}

/* Compressed image data holds `<?=` by chance (three given bytes: a 1 MB
 * JPEG about one time in sixteen), PHP a tenant hides in a picture does not
 * look like that: a tag is taken for code when the text after it (printable
 * bytes and blanks, `<?php` followed by a blank) holds a variable, a call or
 * a string before it ends a statement (`;` or `?>`). *stop is where the look
 * ended: a tag before it within the same text shares its answer, so a search
 * goes on from there (linear in a file of tags). */
#define PHP_CODE_RUN_MAX (64 * 1024)

static bool
php_open_is_code(const uint8_t *p, size_t n, size_t at, size_t *stop)
{
	size_t i = at + 2, end;
	bool code = false;

	if (i < n && p[i] == '=') {
		i++;
	} else {
		i += 3;
		if (i >= n || !(p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
			*stop = at + 1;
			return false;
		}
	}
	end = n - i > PHP_CODE_RUN_MAX ? i + PHP_CODE_RUN_MAX : n;
	for (; i < end; i++) {
		uint8_t c = p[i];

		if (c == ';' || (c == '?' && i + 1 < n && p[i + 1] == '>'))
			break;
		if (c == '$' || c == '(' || c == '\'' || c == '"' || c == '`')
			code = true;
		else if ((c < 0x20 || c >= 0x7f) && c != '\t' && c != '\r' && c != '\n')
			break;
	}
	*stop = i > at ? i : at + 1;
	return i < end && code && (p[i] == ';' || p[i] == '?');
}

/* the first opening tag of a picture that reads as code (above), or NULL */
static const uint8_t *
find_php_code(const uint8_t *p, size_t n)
{
	size_t off = 0, stop;
	const uint8_t *q;

	while (off < n && (q = find_php_open(p + off, n - off)) != NULL) {
		size_t at = (size_t)(q - p);

		if (php_open_is_code(p, n, at, &stop))
			return q;
		off = stop > at ? stop : at + 1;
	}
	return NULL;
}

uint32_t
phpscan_line_of(const uint8_t *p, size_t n, size_t off)
{
	uint32_t l = 1;
	const uint8_t *q = p, *end = p + (off < n ? off : n);

	while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		l++;
		q++;
	}
	return l;
}

/* one directive line of .htaccess / .user.ini: lowercased words */
static bool
word_eq(const uint8_t *w, size_t wl, const char *s)
{
	size_t l = strlen(s), i;

	if (wl != l)
		return false;
	for (i = 0; i < l; i++)
		if ((uint8_t)(w[i] | 32) != (uint8_t)s[i] && w[i] != (uint8_t)s[i])
			return false;
	return true;
}

static bool
contains_ci(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s), i, j;

	for (i = 0; i + l <= n; i++) {
		for (j = 0; j < l && ((uint8_t)(p[i + j] | 32) == (uint8_t)s[j] || p[i + j] == (uint8_t)s[j]); j++)
			;
		if (j == l)
			return true;
	}
	return false;
}

/* does an auto_prepend value point somewhere a web application would not keep its code? */
static enum phpscan_conf
prepend_conf(const uint8_t *v, size_t n)
{
	static const char *const bad[] = { "/uploads/", "/upload/", "/tmp/", "/images/", "/media/",
					   "/cache/", "php://", "data:", "http:", "https:", "/files/" };
	size_t i;

	while (n > 0 && (v[n - 1] == '"' || v[n - 1] == '\'' || v[n - 1] == ' ' || v[n - 1] == '\r'))
		n--;
	while (n > 0 && (v[0] == '"' || v[0] == '\'' || v[0] == ' ' || v[0] == '=' || v[0] == '\t')) {
		v++;
		n--;
	}
	if (n == 0 || word_eq(v, n, "none") || word_eq(v, n, "\"\""))
		return PHPSCAN_NOTE;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (contains_ci(v, n, bad[i]))
			return PHPSCAN_HIGH;
	/* a file that is not named as PHP */
	if (!(n > 4 && (contains_ci(v + n - 4, 4, ".php") || contains_ci(v + n - 4, 4, ".inc"))))
		return PHPSCAN_HIGH;
	return PHPSCAN_WEAK;
}

/* handler names that run PHP */
static bool
is_php_handler(const uint8_t *p, size_t n)
{
	return contains_ci(p, n, "x-httpd-php") || contains_ci(p, n, "php-script") ||
	       contains_ci(p, n, "application/x-php") || contains_ci(p, n, "php-fpm") ||
	       contains_ci(p, n, "php5-script") || contains_ci(p, n, "php7-script") ||
	       contains_ci(p, n, "x-httpd-lsphp") || contains_ci(p, n, "php-cgi") ||
	       (contains_ci(p, n, "proxy:") && contains_ci(p, n, "php"));
}

/* the extensions named by AddType/AddHandler, or a <Files> pattern: any not PHP? */
static bool
names_non_php_ext(const uint8_t *p, size_t n)
{
	static const char *const exts[] = { "jpg", "jpeg", "png", "gif", "ico", "txt", "bmp", "htm",
					    "html", "svg", "pdf", "zip", "css", "js", "htaccess", "ini",
					    "xml", "json", "log", "webp", "doc", "csv", "bak", NULL };
	size_t i;

	for (i = 0; exts[i]; i++) {
		char dot[16];

		snprintf(dot, sizeof(dot), ".%s", exts[i]);
		if (contains_ci(p, n, dot))
			return true;
		/* \.(jpg|png) or (jpe?g|gif) */
		dot[0] = '|';
		if (contains_ci(p, n, dot))
			return true;
		dot[0] = '(';
		if (contains_ci(p, n, dot))
			return true;
	}
	return false;
}

static void
scan_config(struct scan *s, bool htaccess)
{
	size_t i = 0;
	uint32_t line = 0;
	/* <Files>/<FilesMatch> section: 0 none, 1 PHP-only pattern, 2 other */
	int files_sect = 0;

	while (i < s->n) {
		const uint8_t *nl = memchr(s->p + i, '\n', s->n - i);
		size_t e = nl ? (size_t)(nl - s->p) : s->n, w, wl, v;

		line++;
		w = i;
		while (w < e && (s->p[w] == ' ' || s->p[w] == '\t'))
			w++;
		wl = 0;
		while (w + wl < e && s->p[w + wl] != ' ' && s->p[w + wl] != '\t' && s->p[w + wl] != '=' &&
		       s->p[w + wl] != '\r')
			wl++;
		v = w + wl;
		if (htaccess && wl > 0 && s->p[w] != '#') {
			const uint8_t *ww = s->p + w, *vv = s->p + v;
			size_t vl = e - v;

			if (word_eq(ww, wl, "<files") || word_eq(ww, wl, "<filesmatch") ||
			    word_eq(ww, wl, "<location") || word_eq(ww, wl, "<locationmatch")) {
				files_sect = names_non_php_ext(vv, vl) || !contains_ci(vv, vl, "php") ? 2 : 1;
			} else if (word_eq(ww, wl, "</files>") || word_eq(ww, wl, "</filesmatch>") ||
				   word_eq(ww, wl, "</location>") || word_eq(ww, wl, "</locationmatch>")) {
				files_sect = 0;
			} else if (((word_eq(ww, wl, "addtype") || word_eq(ww, wl, "addhandler")) &&
				    is_php_handler(vv, vl) && names_non_php_ext(vv, vl)) ||
				   ((word_eq(ww, wl, "sethandler") || word_eq(ww, wl, "forcetype")) &&
				    is_php_handler(vv, vl) && files_sect != 1)) {
				/* other extensions made PHP, or everything in a section that is not PHP's */
				finding(s, PHPSCAN_HTACCESS_HANDLER, PHPSCAN_HIGH, line, w);
			} else if ((word_eq(ww, wl, "php_value") || word_eq(ww, wl, "php_admin_value")) && vl > 0) {
				size_t k = v;
				size_t kl;

				while (k < e && (s->p[k] == ' ' || s->p[k] == '\t'))
					k++;
				kl = 0;
				while (k + kl < e && s->p[k + kl] != ' ' && s->p[k + kl] != '\t')
					kl++;
				if (word_eq(s->p + k, kl, "auto_prepend_file") || word_eq(s->p + k, kl, "auto_append_file")) {
					enum phpscan_conf c = prepend_conf(s->p + k + kl, e - k - kl);

					if (c > PHPSCAN_NOTE)
						finding(s, PHPSCAN_AUTO_PREPEND, c, line, w);
				}
			}
		} else if (!htaccess && wl > 0 && s->p[w] != ';' && s->p[w] != '#' &&
			   (word_eq(s->p + w, wl, "auto_prepend_file") || word_eq(s->p + w, wl, "auto_append_file"))) {
			enum phpscan_conf c = prepend_conf(s->p + v, e - v);

			if (c > PHPSCAN_NOTE)
				finding(s, PHPSCAN_AUTO_PREPEND, c, line, w);
		}
		i = e + 1;
	}
}

/* ---- entry ------------------------------------------------------------ */

int
phpscan_buf(const uint8_t *p, size_t n, const char *name_hint, struct phpscan_result *ret)
{
	struct scan *s;
	struct scan st;
	size_t budget = DECODE_BUDGET;
	const char *base = name_hint ? base_name(name_hint) : NULL;
	const uint8_t *open;
	unsigned i;
	bool img;

	if ((p == NULL && n > 0) || ret == NULL)
		return -EINVAL;
	s = &st;
	memset(ret, 0, sizeof(*ret));
	scan_init(s);
	s->p = p ? p : (const uint8_t *)"";
	s->n = n;
	s->line = 1;
	s->res = ret;
	s->dbudget = &budget;

	if (base && (strcasecmp(base, ".htaccess") == 0 || strcasecmp(base, ".user.ini") == 0 ||
		     strcasecmp(base, "php.ini") == 0)) {
		scan_config(s, strcasecmp(base, ".htaccess") == 0);
		s->line = 1;
	}
	/* in a picture only a tag followed by a statement is PHP */
	img = image_magic(s->p, n);
	open = img ? find_php_code(s->p, n) : find_php_open(s->p, n);
	if (base == NULL || ext_is(base, php_exts)) {
		/* a picture's header before PHP: a shell passing an upload's check
		 * (the signatures of more than two bytes: text may begin "BM") */
		if (open != NULL && img && memcmp(s->p, "BM", 2) != 0)
			finding(s, PHPSCAN_PHP_IN_IMAGE, PHPSCAN_HIGH, phpscan_line_of(s->p, s->n, (size_t)(open - s->p)),
				(size_t)(open - s->p));
		scan_php(s);
	} else if (open != NULL && (img || starts_with_php(s->p, n))) {
		/* PHP in a file not named as PHP (a document quoting PHP is not one) */
		uint32_t l = phpscan_line_of(s->p, s->n, (size_t)(open - s->p));

		if (img)
			finding(s, PHPSCAN_PHP_IN_IMAGE, PHPSCAN_HIGH, l, (size_t)(open - s->p));
		else if (ext_is(base, media_exts))
			finding(s, PHPSCAN_PHP_IN_NON_PHP, PHPSCAN_WEAK, l, 0);
		/* what it does, whatever its name */
		s->pos = 0;
		s->line = 1;
		scan_php(s);
	}
	for (i = 0; i < ret->n; i++) {
		if (ret->f[i].conf > ret->worst)
			ret->worst = ret->f[i].conf;
		if (ret->f[i].conf == PHPSCAN_NOTE)
			ret->notes++;
	}
	return (int)ret->n;
}

const char *
phpscan_class_name(enum phpscan_class c)
{
	static const char *const names[PHPSCAN_CLASS_MAX] = {
		[PHPSCAN_EXEC_OF_INPUT] = "exec-of-input",
		[PHPSCAN_OBFUSCATED_EVAL] = "obfuscated-eval",
		[PHPSCAN_OBFUSCATED_CALL] = "obfuscated-call",
		[PHPSCAN_INCLUDE_OF_INPUT] = "include-of-input",
		[PHPSCAN_INCLUDE_OF_STREAM] = "include-of-stream",
		[PHPSCAN_PREG_EVAL] = "preg-eval",
		[PHPSCAN_DECODER_CHAIN] = "decoder-chain",
		[PHPSCAN_ENCODED_BLOB] = "encoded-blob",
		[PHPSCAN_CHR_SOUP] = "chr-soup",
		[PHPSCAN_CHAR_BY_CHAR] = "char-by-char",
		[PHPSCAN_XOR_STRINGS] = "xor-strings",
		[PHPSCAN_LONG_LINE] = "long-line",
		[PHPSCAN_SHELL_BACKTICK] = "shell-backtick",
		[PHPSCAN_MASS_MAILER] = "mass-mailer",
		[PHPSCAN_EXTRACT_INPUT] = "extract-of-input",
		[PHPSCAN_REMOTE_DROPPER] = "remote-dropper",
		[PHPSCAN_UPLOAD_AS_NAMED] = "upload-as-named",
		[PHPSCAN_WRITE_OF_INPUT] = "write-of-input",
		[PHPSCAN_SYMBOL_SOUP] = "symbol-soup",
		[PHPSCAN_SQL_OF_INPUT] = "sql-of-input",
		[PHPSCAN_HIDDEN_CODE] = "hidden-code",
		[PHPSCAN_HIDDEN_PHP] = "hidden-php",
		[PHPSCAN_PHP_IN_IMAGE] = "php-in-image",
		[PHPSCAN_PHP_IN_NON_PHP] = "php-in-non-php",
		[PHPSCAN_HTACCESS_HANDLER] = "htaccess-handler",
		[PHPSCAN_AUTO_PREPEND] = "auto-prepend",
		[PHPSCAN_COMMAND_PAGE] = "command-page",
		[PHPSCAN_DB_TOOL] = "db-tool",
		[PHPSCAN_FILE_TOOL] = "file-tool",
		[PHPSCAN_NET_TOOL] = "net-tool",
		[PHPSCAN_LONG_RUNNER] = "long-runner",
		[PHPSCAN_MUTED_RUNNER] = "muted-runner",
		[PHPSCAN_UPLOAD_TOOL] = "upload-tool",
		[PHPSCAN_MAIL_RELAY] = "mail-relay",
		[PHPSCAN_EMBEDDED_BINARY] = "embedded-binary",
		[PHPSCAN_FILE_DISCLOSURE] = "file-disclosure",
		[PHPSCAN_PASSWORD_GATE] = "password-gate",
		[PHPSCAN_SELF_MODIFY] = "self-modify",
		[PHPSCAN_CONNECT_BACK] = "connect-back",
		[PHPSCAN_HOST_RECON] = "host-recon",
		[PHPSCAN_MAIL_HOME] = "mail-home",
		[PHPSCAN_CODE_RUNNER] = "code-runner",
		[PHPSCAN_HIDDEN_WRITE] = "hidden-write",
	};

	return (unsigned)c < PHPSCAN_CLASS_MAX ? names[c] : "unknown";
}

const char *
phpscan_conf_name(enum phpscan_conf c)
{
	return c == PHPSCAN_HIGH ? "high" : c == PHPSCAN_WEAK ? "weak" : "note";
}
