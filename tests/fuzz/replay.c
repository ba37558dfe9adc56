// SPDX-License-Identifier: GPL-2.0-or-later
/* Replays a fuzz target's corpus under gcc (no libFuzzer): each argument is a
 * file or a directory of files, each fed once to LLVMFuzzerTestOneInput. The
 * sanitizer build (make asan) runs these too. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long n;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(n > 0 ? (size_t)n : 1);
	if (data == NULL || (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) < 0)
			continue; /* an empty corpus is no input */
		if (!S_ISDIR(st.st_mode)) {
			bad += run_file(argv[i]) < 0;
			n++;
			continue;
		}
		d = opendir(argv[i]);
		while (d && (de = readdir(d)) != NULL) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			bad += run_file(path) < 0;
			n++;
		}
		if (d)
			closedir(d);
	}
	/* an input that crashes never gets here: the run fails */
	printf("%d passed, %d failed\n", n - bad, bad);
	return bad != 0;
}
