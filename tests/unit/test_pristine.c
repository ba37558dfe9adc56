// SPDX-License-Identifier: GPL-2.0-or-later
/* The pristine store: a content is kept once, read back identical with its
 * hash checked, refused when its bytes do not hash to the name given, when it
 * is too large or would pass the bound; a stored file damaged or replaced on
 * disk never comes back as release content; the sums survive a reopen. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "pristine.h"
#include "t.h"

static char dir[] = "/tmp/wsid-test-pristine.XXXXXX";
static char store[300];

static void
stored_path(const uint8_t sha[SHA256_LEN], char *out, size_t sz)
{
	char hex[SHA256_HEX_LEN + 1];

	hex_encode(sha, SHA256_LEN, hex);
	snprintf(out, sz, "%s/%.2s/%s", store, hex, hex);
}

static void
test_put_get(void)
{
	static const char text[] = "<?php\n/* wp-login.php */\necho 'release';\n";
	struct pristine *p = NULL;
	struct pristine_stats st;
	uint8_t sha[SHA256_LEN], other[SHA256_LEN], *out = NULL;
	size_t len = 0;
	struct stat sb;

	sha256_buf(text, sizeof(text) - 1, sha);
	sha256_buf("x", 1, other);
	T_EQ_INT(pristine_open(store, 0, 1, &p), 0);
	T_OK(stat(store, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	T_EQ_INT(pristine_has(p, sha), 0);
	T_EQ_INT(pristine_get(p, sha, &out, &len), -ENOENT);
	T_EQ_INT(pristine_put(p, sha, text, sizeof(text) - 1), 1);
	T_EQ_INT(pristine_put(p, sha, text, sizeof(text) - 1), 0); /* once */
	T_EQ_INT(pristine_put(p, other, text, sizeof(text) - 1), -EINVAL);
	T_EQ_INT(pristine_has(p, sha), 1);
	T_EQ_INT(pristine_get(p, sha, &out, &len), 0);
	T_OK(out && len == sizeof(text) - 1 && memcmp(out, text, len) == 0);
	free(out);
	out = NULL;
	sha256_buf("", 0, other);
	T_EQ_INT(pristine_put(p, other, "", 0), 1);
	T_EQ_INT(pristine_get(p, other, &out, &len), 0);
	T_EQ_INT(len, 0);
	free(out);
	pristine_stats(p, &st);
	T_EQ_INT(st.contents, 2);
	T_OK(st.bytes > 0 && st.max_bytes == PRISTINE_MAX_BYTES_DEFAULT);
	pristine_close(p);
	/* sums read again at open */
	p = NULL;
	T_EQ_INT(pristine_open(store, 0, 0, &p), 0);
	pristine_stats(p, &st);
	T_EQ_INT(st.contents, 2);
	pristine_close(p);
}

static void
test_damaged(void)
{
	static const char text[] = "<?php echo 'the release content';\n";
	struct pristine *p = NULL;
	uint8_t sha[SHA256_LEN], other[SHA256_LEN], *out = NULL;
	char path[512], path2[512];
	size_t len = 0;
	int fd;

	sha256_buf(text, sizeof(text) - 1, sha);
	sha256_buf("<?php system($_GET[1]);", 23, other);
	T_EQ_INT(pristine_open(store, 0, 1, &p), 0);
	T_EQ_INT(pristine_put(p, sha, text, sizeof(text) - 1), 1);
	T_EQ_INT(pristine_put(p, other, "<?php system($_GET[1]);", 23), 1);
	stored_path(sha, path, sizeof(path));
	stored_path(other, path2, sizeof(path2));
	/* another content's well-formed file under this name: its hash gives it away */
	T_EQ_INT(rename(path2, path), 0);
	T_EQ_INT(pristine_get(p, sha, &out, &len), -EBADMSG);
	/* a truncated file */
	fd = open(path, O_WRONLY | O_TRUNC);
	T_OK(fd >= 0 && write(fd, "WSP1", 4) == 4);
	close(fd);
	T_EQ_INT(pristine_get(p, sha, &out, &len), -EBADMSG);
	/* a symlink in the store is not followed */
	T_EQ_INT(unlink(path), 0);
	T_EQ_INT(symlink("/etc/passwd", path), 0);
	T_EQ_INT(pristine_get(p, sha, &out, &len), -ELOOP);
	T_EQ_INT(pristine_has(p, sha), 0);
	T_OK(out == NULL);
	pristine_close(p);
}

static void
test_bound(void)
{
	struct pristine *p = NULL;
	struct pristine_stats st;
	uint8_t sha[SHA256_LEN];
	char *big = malloc(PRISTINE_MAX_FILE + 1), small[256];
	uint64_t used;
	int i, kept = 0, full = 0;

	T_EQ_INT(pristine_open(store, 0, 1, &p), 0);
	pristine_stats(p, &st);
	used = st.bytes;
	pristine_close(p);
	memset(big, 'a', PRISTINE_MAX_FILE + 1);
	sha256_buf(big, PRISTINE_MAX_FILE + 1, sha);
	T_EQ_INT(pristine_open(store, used + 1000, 1, &p), 0);
	T_EQ_INT(pristine_put(p, sha, big, PRISTINE_MAX_FILE + 1), -EFBIG);
	/* random contents (incompressible) until the bound refuses one */
	for (i = 0; i < 40; i++) {
		int r;

		T_OK(getentropy(small, sizeof(small)) == 0);
		sha256_buf(small, sizeof(small), sha);
		r = pristine_put(p, sha, small, sizeof(small));
		kept += r == 1;
		full += r == -ENOSPC;
	}
	pristine_stats(p, &st);
	T_OK(kept >= 2 && kept <= 4 && full == 40 - kept);
	T_OK(st.bytes <= used + 1000);
	pristine_close(p);
	free(big);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(store, sizeof(store), "%s/pristine", dir);
	T_RUN(test_put_get);
	T_RUN(test_damaged);
	T_RUN(test_bound);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("warning: %s left behind\n", dir);
	}
	T_DONE();
}
