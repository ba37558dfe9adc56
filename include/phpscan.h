/* SPDX-License-Identifier: GPL-2.0-or-later */
/* phpscan: a pure look at what a PHP file (or an .htaccess / .user.ini) does.
 * A tokenizer-level pass over a byte buffer: strings, comments, heredocs and
 * `?>` are understood, function names compared case-insensitively, request
 * input followed through assignments into execution, obfuscation measured.
 * No syscalls, no globals, memory bounded by struct phpscan_result and the
 * scanner's fixed state on the stack; a decoded payload (a chain of decoders
 * of a literal) is read by the same scanner from heap buffers of at most
 * 1 MiB each, 4 MiB a file, freed before phpscan_buf returns. */
#ifndef WSID_PHPSCAN_H
#define WSID_PHPSCAN_H

#include <stddef.h>
#include <stdint.h>

/* bumped whenever a change of the analyser can change a result */
#define PHPSCAN_VERSION 9

enum phpscan_class {
	PHPSCAN_EXEC_OF_INPUT,   /* request input reaches eval/system/... */
	PHPSCAN_OBFUSCATED_EVAL, /* decoded or built code reaches eval/system/... */
	PHPSCAN_OBFUSCATED_CALL, /* a function name hidden by escapes, rot13, concatenation */
	PHPSCAN_INCLUDE_OF_INPUT, /* include/require of request input */
	PHPSCAN_INCLUDE_OF_STREAM, /* include/require of php://input, data:, a URL */
	PHPSCAN_PREG_EVAL,       /* preg_replace with the /e modifier */
	PHPSCAN_DECODER_CHAIN,   /* base64/gzinflate/rot13/... nested */
	PHPSCAN_ENCODED_BLOB,    /* a long high-entropy string literal */
	PHPSCAN_CHR_SOUP,        /* an expression of many chr() calls */
	PHPSCAN_CHAR_BY_CHAR,    /* a string built from single characters */
	PHPSCAN_XOR_STRINGS,     /* string literals combined with ^ | & */
	PHPSCAN_SYMBOL_SOUP,     /* code written without letters: $_, $__, ${_} */
	PHPSCAN_LONG_LINE,       /* a very long line of code */
	PHPSCAN_SHELL_BACKTICK,  /* `...` shell execution */
	PHPSCAN_MASS_MAILER,     /* mail() of request input in a loop */
	PHPSCAN_EXTRACT_INPUT,   /* extract()/parse_str() of request input */
	PHPSCAN_REMOTE_DROPPER,  /* a URL fetched and written as a file */
	PHPSCAN_UPLOAD_AS_NAMED, /* an upload stored under the client's name */
	PHPSCAN_WRITE_OF_INPUT,  /* a file named by the request written with the request's data */
	PHPSCAN_SQL_OF_INPUT,    /* a whole SQL statement from the request: a database console */
	PHPSCAN_HIDDEN_CODE,     /* code far off-screen, or a block before the real opening */
	PHPSCAN_HIDDEN_PHP,      /* a literal that decodes to PHP code (a dropper's payload) */
	PHPSCAN_PHP_IN_IMAGE,    /* an image header followed by PHP */
	PHPSCAN_PHP_IN_NON_PHP,  /* a file named as data that is PHP */
	PHPSCAN_HTACCESS_HANDLER, /* .htaccess makes other extensions run as PHP */
	PHPSCAN_AUTO_PREPEND,    /* auto_prepend_file / auto_append_file */
	PHPSCAN_COMMAND_PAGE,    /* a standalone page reading the request that runs commands */
	PHPSCAN_DB_TOOL,         /* ... that connects to a database and queries it */
	PHPSCAN_FILE_TOOL,       /* ... that lists directories and changes files */
	PHPSCAN_NET_TOOL,        /* ... that opens sockets */
	PHPSCAN_LONG_RUNNER,     /* ... that lifts the time limit to run, connect or mail */
	PHPSCAN_MUTED_RUNNER,    /* errors silenced, commands or sockets, no application around */
	PHPSCAN_UPLOAD_TOOL,     /* a standalone page that stores uploads where the request says */
	PHPSCAN_MAIL_RELAY,      /* a standalone page that mails whom the request names */
	PHPSCAN_EMBEDDED_BINARY, /* a literal holding a native executable (hex or base64) */
	PHPSCAN_FILE_DISCLOSURE, /* a file the request names, read and shown */
	PHPSCAN_PASSWORD_GATE,   /* input checked against a fixed secret, in front of a tool */
	PHPSCAN_SELF_MODIFY,     /* the page rewrites, re-dates or write-protects its own file */
	PHPSCAN_CONNECT_BACK,    /* a literal holding a script that wires a shell to a socket */
	PHPSCAN_HOST_RECON,      /* the host's user, uname, disk, restrictions asked, beside a tool */
	PHPSCAN_MAIL_HOME,       /* mail to an address the page hides (decoded, built of chr()) */
	PHPSCAN_CODE_RUNNER,     /* a page of no application running code it does not carry */
	PHPSCAN_HIDDEN_WRITE,    /* a file written under a name the page decodes */
	PHPSCAN_CLASS_MAX
};

enum phpscan_conf {
	PHPSCAN_NOTE = 0, /* noted; raises nothing alone */
	PHPSCAN_WEAK = 1, /* suspicious */
	PHPSCAN_HIGH = 2, /* malicious */
};

#define PHPSCAN_FINDINGS_MAX 16
#define PHPSCAN_EXCERPT_MAX 72 /* escaped, NUL included */

struct phpscan_finding {
	enum phpscan_class cls;
	enum phpscan_conf conf;
	uint32_t line; /* 1-based */
	uint32_t count; /* occurrences of this class in the file */
	char excerpt[PHPSCAN_EXCERPT_MAX]; /* printable ASCII, \xNN and \\ escapes */
};

/* One finding per class (the most confident, then the first); n <= FINDINGS_MAX. */
struct phpscan_result {
	struct phpscan_finding f[PHPSCAN_FINDINGS_MAX];
	unsigned n;
	enum phpscan_conf worst; /* PHPSCAN_NOTE when n == 0 */
	unsigned notes; /* distinct classes found at PHPSCAN_NOTE */
};

/* Analyses n bytes. name_hint (may be NULL) is the file's name or path: it
 * selects .htaccess / .user.ini reading and tells whether PHP is expected.
 * Fills *ret (always, on success). Returns the number of findings, or -EINVAL
 * on a NULL buffer with n > 0 or a NULL ret. */
int phpscan_buf(const uint8_t *p, size_t n, const char *name_hint, struct phpscan_result *ret);

/* The line (1-based) of byte offset off, and an escaped excerpt of the code
 * from off to the end of its line (out: PHPSCAN_EXCERPT_MAX bytes). */
uint32_t phpscan_line_of(const uint8_t *p, size_t n, size_t off);
void phpscan_excerpt(const uint8_t *p, size_t n, size_t off, char *out);

/* "exec-of-input", ...; "unknown" for an out-of-range value */
const char *phpscan_class_name(enum phpscan_class c);
/* "high", "weak", "note" */
const char *phpscan_conf_name(enum phpscan_conf c);

#endif
