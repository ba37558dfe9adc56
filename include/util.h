/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small shared utilities: allocation that aborts on OOM, a growable byte buffer
 * with a hard cap, escaping of attacker-controlled names for text output, hex,
 * and version ordering. All pure: no I/O, no globals. */
#ifndef WSID_UTIL_H
#define WSID_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define WSID_VERSION "0.2.0"
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

/* Allocation failure is a broken invariant for this daemon: these abort. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* src (NULL: "") into dst of dsz > 0 bytes, cut to fit, NUL-terminated:
 * snprintf's "%s" without its format parsing */
void str_copy(char *dst, size_t dsz, const char *src);
/* returns a malloc'ed string the caller frees */
/* "dir/name" (just dir when nlen is 0), as bytes, NUL-terminated; *len its length */
char *path_join(const void *dir, size_t dlen, const void *name, size_t nlen, size_t *len);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable buffer with a hard cap (curl's dynbuf idea): appends beyond cap fail
 * with -E2BIG and leave the buffer unchanged, and set failed (until a reset):
 * a writer that ignores its returns (json.h) is still caught by its caller.
 * data is always NUL-terminated. */
struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
	bool failed;
};
#define BUF_CAP_DEFAULT (64u * 1024 * 1024)
void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* hands the string to the caller (free()); the buffer is left empty */
char *buf_steal(struct buf *b);

/* Positions (of a tree's entries) remembered while a pass goes on, at most
 * max of them: past that, resume is the first one not kept, and whoever lists
 * them looks again from there (memory bounded whatever the tree's size). */
struct pos_list {
	size_t *pos;
	size_t n, alloc, max;
	size_t resume; /* SIZE_MAX: every one is in pos */
};
void pos_list_init(struct pos_list *l, size_t max);
void pos_list_add(struct pos_list *l, size_t pos);
void pos_list_free(struct pos_list *l);

/* Escapes a name of n bytes for a text line: printable ASCII and valid UTF-8 pass,
 * backslash becomes "\\", control bytes and invalid UTF-8 become "\xNN" (\n, \t,
 * \r as themselves), code points unicode_invisible() flags "\u{XXXX}" (a name
 * cannot reorder or hide what is shown). Appends to b. */
int buf_put_escaped(struct buf *b, const char *s, size_t n);
/* Convenience: escape into a static per-thread ring of buffers, for log lines.
 * The returned pointer lives until 8 further calls from the same thread. */
const char *esc_name(const char *s);
/* orders byte strings like memcmp, a prefix first */
int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* true for bidirectional controls, zero-width and other invisible or format
 * characters, and line and paragraph separators (util.c lists them) */
bool unicode_invisible(uint32_t cp);
/* true when the n bytes are well-formed UTF-8 (no overlongs, no surrogates) */
bool utf8_valid(const char *s, size_t n);

void hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);
/* decodes exactly 2n hex digits (either case); -EINVAL otherwise */
int hex_decode(const char *in, size_t n, uint8_t *out);

/* Orders version strings the way releases are ordered: numeric runs compare as
 * numbers, "6.4" < "6.4.1", pre-release words (alpha, beta, rc, RC, -pre) sort
 * before the release they precede. Returns <0, 0, >0. */
int version_cmp(const char *a, const char *b);
/* the branch of a release, written into out (size outsz, truncated): up to the
 * second dot ("6.4.3" -> "6.4", "5.2" -> "5.2"); a date version loses its
 * hotfix letters ("2022-07-31a" -> "2022-07-31") */
void version_branch(const char *v, char *out, size_t outsz);

/* monotonic and wall clocks */
uint64_t now_mono_ns(void);
int64_t now_real_ns(void); /* wall clock */
int64_t now_unix(void);

#endif
