// SPDX-License-Identifier: GPL-2.0-or-later
/* Access log lines, whatever their bytes: a parsed line has a NUL-terminated
 * address and method, a URI inside the line, a status of three digits; a line
 * matches the request it names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct alog_line l;

	if (alog_parse(line, size, &l) != 0)
		return 0;
	if (strnlen(l.addr, sizeof(l.addr)) == sizeof(l.addr) || strnlen(l.method, sizeof(l.method)) == sizeof(l.method))
		abort();
	if (l.addr[0] == '\0' || l.method[0] == '\0' || l.status < 100 || l.status > 999)
		abort();
	if (l.uri < line || l.uri + l.urilen > line + size || l.urilen == 0)
		abort();
	if (memchr(l.uri, '\0', l.urilen) == NULL && strlen(l.method) == strnlen(l.method, sizeof(l.method))) {
		char *uri = malloc(l.urilen + 1);

		memcpy(uri, l.uri, l.urilen);
		uri[l.urilen] = '\0';
		if (memchr(l.method, '\0', sizeof(l.method)) && !alog_match(&l, l.method, uri, l.time, l.time))
			abort();
		free(uri);
	}
	return 0;
}
