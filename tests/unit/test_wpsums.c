// SPDX-License-Identifier: GPL-2.0-or-later
/* WordPress.org checksum files into sets: sorted by path, one line per
 * SHA-256 (a list gives several), duplicates once; slug and version checked;
 * what is no set (an md5 alone, a bad hex, a path leaving the release, no
 * files) refused with file:line:column. */
#include <errno.h>

#include "t.h"
#include "util.h"
#include "wpsums.h"

#define HA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static char err[1024];

static int
run(const char *json, const char *slug, const char *version, struct buf *out, size_t *nfiles)
{
	err[0] = '\0';
	buf_init(out, 1 << 20);
	return wpsums_to_set(json, strlen(json), "x.json", slug, version, out, nfiles, err, sizeof(err));
}

static void
test_set(void)
{
	const char *json = "{\"plugin\": \"hello\", \"version\": \"1.2\", \"files\": {"
			   "\"z.php\": {\"md5\": \"x\", \"sha256\": \"" HB "\"},"
			   "\"a/b.php\": {\"sha256\": [\"" HC "\", \"" HA "\", \"" HC "\"]}}}";
	struct buf out;
	size_t n = 0;

	T_EQ_INT(run(json, "hello", "1.2", &out, &n), 0);
	T_EQ_STR(out.data, HA "  a/b.php\n" HC "  a/b.php\n" HB "  z.php\n");
	T_OK(n >= 2);
	buf_free(&out);
	/* slug and version not given: not checked */
	T_EQ_INT(run(json, NULL, NULL, &out, &n), 0);
	buf_free(&out);
	T_EQ_INT(run(json, "other", "1.2", &out, &n), -EINVAL);
	T_CHECK(strstr(err, "x.json:1:") && strstr(err, "not of other 1.2"), "%s", err);
	buf_free(&out);
	T_EQ_INT(run(json, "hello", "1.3", &out, &n), -EINVAL);
	buf_free(&out);
}

static void
test_refused(void)
{
	static const char *const bad[][2] = {
		{ "[]", "expected an object" },
		{ "{\"files\": {}}", "is empty" },
		{ "{\"files\": []}", "expected \"files\"" },
		{ "{\"files\": {\"a.php\": {\"md5\": \"0\"}}}", "an md5 alone" },
		{ "{\"files\": {\"a.php\": {\"sha256\": \"abc\"}}}", "64 hex digits" },
		{ "{\"files\": {\"../a.php\": {\"sha256\": \"" HA "\"}}}", "not a relative path" },
		{ "{\"files\": {\"a.php\": {\"sha256\": []}}}", "no \"sha256\"" },
		{ "{\"files\": ", "not a valid JSON checksum file" },
	};
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf out;

		T_CHECK(run(bad[i][0], NULL, NULL, &out, &n) < 0 && strstr(err, bad[i][1]) != NULL,
			"%s: %s", bad[i][0], err);
		T_CHECK(strncmp(err, "x.json:", 7) == 0, "%s", err);
		buf_free(&out);
	}
}

int
main(void)
{
	T_RUN(test_set);
	T_RUN(test_refused);
	T_DONE();
}
