// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON string escaping and text escaping of arbitrary bytes: the JSON output
 * is a valid string of valid UTF-8; the text escape has no control bytes. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 22);
	json_escape(&b, (const char *)data, size);
	if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"' || !utf8_valid(b.data, b.len))
		abort();
	for (i = 1; i + 1 < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];

		if (c < 0x20)
			abort();
		if (c == '"')
			abort(); /* unescaped quote inside */
		if (c == '\\') {
			char n = b.data[++i];

			if (n == 'u')
				i += 4;
			else if (!strchr("\"\\nrt", n))
				abort();
		}
	}
	buf_reset(&b);
	buf_put_escaped(&b, (const char *)data, size);
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || (unsigned char)b.data[i] == 0x7f)
			abort();
	buf_free(&b);
	return 0;
}
