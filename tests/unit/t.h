/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal test harness: each unit test program runs its cases, prints one
 * "ok"/"not ok" line per check (TAP-like) and a final "N passed, N failed"; the
 * exit status is non-zero when anything failed. tests/run.sh adds up the counts. */
#ifndef WSID_T_H
#define WSID_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail;

#define T_CHECK(cond, ...)                                                     \
	do {                                                                   \
		if (cond) {                                                    \
			t_pass++;                                              \
		} else {                                                       \
			t_fail++;                                              \
			printf("not ok %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)
#define T_OK(cond) T_CHECK(cond, "%s", "")
#define T_EQ_INT(a, b)                                                         \
	T_CHECK((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a), (long long)(b))
static inline int
t_streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}
static inline const char *
t_str(const char *s)
{
	return s ? s : "(null)";
}
#define T_EQ_STR(a, b) T_CHECK(t_streq((a), (b)), "'%s' != '%s'", t_str(a), t_str(b))

/* a whole file, NUL-terminated (malloc'ed; *len its size), or NULL */
static inline char *
t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (d = malloc((size_t)n + 1)) != NULL) {
		*len = fread(d, 1, (size_t)n, f);
		d[*len] = '\0';
	}
	fclose(f);
	return d;
}

/* removes a scratch directory the test made (mkdtemp) */
static inline void
t_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
}

#define T_RUN(fn)                                                              \
	do {                                                                   \
		int before = t_fail;                                           \
		fn();                                                          \
		printf("%s %s\n", t_fail == before ? "ok" : "not ok", #fn);    \
	} while (0)

#define T_DONE()                                                               \
	do {                                                                   \
		printf("%d passed, %d failed\n", t_pass, t_fail);              \
		return t_fail ? 1 : 0;                                         \
	} while (0)

#endif
