/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer into a struct buf. Strings are escaped per
 * RFC 8259; bytes that are not valid UTF-8 become U+FFFD in the string, and a
 * field written with json_kv_name() then also carries "<key>_base64" holding the
 * exact bytes, so a file name is never lost or mangled silently. */
#ifndef WSID_JSON_H
#define WSID_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf *out;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, struct buf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* a value that is JSON already (written by this module) */
void json_raw(struct json *j, const char *text, size_t n);
void json_kv_str(struct json *j, const char *key, const char *s); /* NULL -> null */
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, bool v);
/* name field: adds "<key>_base64" when the bytes are not valid UTF-8 */
void json_kv_name(struct json *j, const char *key, const char *s, size_t n);
void json_kv_hex(struct json *j, const char *key, const uint8_t *bytes, size_t n);

/* appends the escaped form of s (quotes included) to b */
int json_escape(struct buf *b, const char *s, size_t n);

#endif
