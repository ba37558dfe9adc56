// SPDX-License-Identifier: GPL-2.0-or-later
/* classify: any path (customers name files) and any combination of facts
 * gives a verdict in range, a severity in range and a terminated reason; the
 * name tests never read past the name. The first two bytes are the facts,
 * the rest the path (not terminated: a copy of exactly its length). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classify_input in = { 0 };
	struct verdict out;
	char *path;
	size_t n;
	unsigned f;

	if (size < 2)
		return 0;
	f = (unsigned)data[0] | (unsigned)data[1] << 8;
	n = size - 2;
	path = malloc(n ? n : 1);
	if (path == NULL)
		return 0;
	memcpy(path, data + 2, n);
	in.change = (enum change_kind)(f % CHANGE_KIND_MAX);
	in.known = (enum content_known)((f >> 3) % KNOWN_MAX);
	in.relpath = path;
	in.rlen = n;
	in.in_installation = f & 0x20;
	in.release_path = f & 0x40;
	in.known_bad = f & 0x80;
	in.trusted = f & 0x100;
	in.php_head = f & 0x200;
	in.in_upload_dir = f & 0x400;
	in.in_product_upload_dir = f & 0x800;
	in.in_staging_dir = f & 0x1000;
	in.beside_unknown_code = f & 0x2000;
	in.version_rank = (int)(f >> 13);
	in.other_rank = (int)(f & 7);
	in.product = "p";
	classify_change(&in, &out);
	if ((unsigned)out.kind >= VERDICT_MAX || (unsigned)out.severity >= SEV_MAX ||
	    memchr(out.reason, '\0', sizeof(out.reason)) == NULL)
		abort();
	(void)classify_double_ext(path, n);
	(void)classify_hidden_code(path, n);
	(void)classify_generic_upload_dir(path, n);
	(void)classify_generic_cache_dir(path, n);
	(void)classify_media_name(path, n);
	(void)classify_inert_name(path, n);
	(void)classify_analyse_wanted(path, n, f & 1, f & 2, out.kind);
	(void)classify_php_head((const unsigned char *)path, n);
	(void)classify_code_content(path, n, (const unsigned char *)path, n, f & 4);
	free(path);
	return 0;
}
