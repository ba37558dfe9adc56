// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: writes a bundle whose manifest is any text, signed with a given
 * secret key (what a compromised or buggy build host could ship), members in
 * the given order, for the import's refusals to be tested on real files.
 *
 *   bundle_forge KEYFILE|- MANIFEST OUT [NAME=FILE | NAME@symlink-target]...
 *
 * KEYFILE "-" leaves MANIFEST.sig out (an unsigned bundle). */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		perror(path);
		exit(2);
	}
	d = malloc((size_t)n + 1);
	if (d == NULL || fread(d, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return d;
}

static void
put(struct archive *a, const char *name, const char *data, size_t len, const char *link)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	if (link) {
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, link);
		archive_entry_set_size(e, 0);
	} else {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)len);
	}
	archive_entry_set_perm(e, 0644);
	if (archive_write_header(a, e) != ARCHIVE_OK || (len && archive_write_data(a, data, len) < 0)) {
		fprintf(stderr, "%s: %s\n", name, archive_error_string(a));
		exit(2);
	}
	archive_entry_free(e);
}

int
main(int argc, char **argv)
{
	uint8_t sk[BUNDLE_SECRET_LEN], sig[BUNDLE_SIG_LEN];
	char err[1024], sigb[128];
	struct archive *a;
	char *man;
	size_t mlen;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: bundle_forge KEYFILE|- MANIFEST OUT [NAME=FILE|NAME@TARGET]...\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	man = slurp(argv[2], &mlen);
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, argv[3]) != ARCHIVE_OK) {
		fprintf(stderr, "%s: %s\n", argv[3], archive_error_string(a));
		return 2;
	}
	put(a, "MANIFEST", man, mlen, NULL);
	if (strcmp(argv[1], "-") != 0) {
		if (bundle_secret_load(argv[1], sk, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		crypto_sign_detached(sig, NULL, (unsigned char *)man, mlen, sk);
		sodium_bin2base64(sigb, sizeof(sigb), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
		strcat(sigb, "\n");
		put(a, "MANIFEST.sig", sigb, strlen(sigb), NULL);
	}
	for (i = 4; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *at = strchr(argv[i], '@');

		if (eq) {
			size_t len;
			char *d;

			*eq = '\0';
			d = slurp(eq + 1, &len);
			put(a, argv[i], d, len, NULL);
			free(d);
		} else if (at) {
			*at = '\0';
			put(a, argv[i], NULL, 0, at + 1);
		}
	}
	archive_write_close(a);
	archive_write_free(a);
	free(man);
	return 0;
}
