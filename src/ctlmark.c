// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl mark; see ctlverbs.h. */
#include "ctlverbs.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"
#include "fpset.h"
#include "hash.h"
#include "json.h"
#include "state.h"
#include "statequery.h"
#include "store.h"
#include "util.h"

#define NOTE_MAX 1000

static void
usage(FILE *f)
{
	fprintf(f, "usage: wsidctl mark malicious PATH|SHA256... [--note TEXT]\n"
		   "       wsidctl mark trusted PATH|SHA256... [--customer C] [--note TEXT]\n"
		   "       wsidctl mark remove PATH|SHA256... [--customer C]\n"
		   "       wsidctl mark list [--json]\n"
		   "       wsidctl mark export [--out FILE]\n"
		   "       wsidctl mark export --sign KEYFILE --out BUNDLE\n"
		   "       wsidctl mark import FILE|BUNDLE [--note TEXT]\n");
}

void
ctl_who(char *out, size_t sz)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s && *s) {
		snprintf(out, sz, "%s", s);
		return;
	}
	pw = getpwuid(getuid());
	if (pw)
		snprintf(out, sz, "%s", pw->pw_name);
	else
		snprintf(out, sz, "uid %u", (unsigned)getuid());
}

static bool
parse_hex_sha(const char *s, uint8_t out[SHA256_LEN])
{
	return strlen(s) == 2 * SHA256_LEN && hex_decode(s, SHA256_LEN, out) == 0;
}

/* a SHA-256 in hex, or a regular file to hash (never through a symlink) */
static int
resolve(const char *arg, uint8_t sha[SHA256_LEN], const char **example)
{
	struct hash_result res;
	struct stat st;
	int fd;

	*example = NULL;
	if (parse_hex_sha(arg, sha))
		return 0;
	fd = open(arg, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "wsidctl mark: %s: %s (give a file or a SHA-256 in hex)\n", esc_name(arg),
			errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "wsidctl mark: %s: not a regular file\n", esc_name(arg));
		close(fd);
		return -1;
	}
	hash_fd(fd, UINT64_MAX, &st, &res);
	close(fd);
	if (res.status != HASH_OK) {
		fprintf(stderr, "wsidctl mark: %s: cannot hash: %s\n", esc_name(arg),
			hash_status_name(res.status));
		return -1;
	}
	memcpy(sha, res.sha256, SHA256_LEN);
	*example = arg;
	return 0;
}

/* asks the running daemon to judge again every file with this content */
static void
tell_daemon(const struct ctl_env *env, const uint8_t sha[SHA256_LEN], bool quiet)
{
	char hex[2 * SHA256_LEN + 1], *reply = NULL, v[32];
	int r;

	hex_encode(sha, SHA256_LEN, hex);
	r = ctlclient_call(env->socket, "marks", hex, 120000, &reply);
	if (r < 0) {
		if (!quiet)
			fprintf(stderr, "wsidctl mark: wsid is not reachable at %s (%s): files with this "
					"content are judged again when it starts\n",
				env->socket, strerror(-r));
	} else if (json_field(reply, "reclassified", v, sizeof(v))) {
		if (!quiet)
			printf("%s: %s file%s judged again\n", hex, v, strcmp(v, "1") == 0 ? "" : "s");
	} else if (!quiet) {
		fprintf(stderr, "wsidctl mark: wsid: %s\n", reply);
	}
	free(reply);
}

static int
exec_mark(struct store *s, const char *kind, const uint8_t sha[SHA256_LEN], const char *customer,
	  const char *note, const char *example)
{
	char by[128];

	ctl_who(by, sizeof(by));
	return state_mark_set(s, kind, sha, customer, note, by, example);
}

struct list_ctx {
	const struct ctl_env *env;
	struct buf b;
};

static int
list_mark(void *ud, const struct stateq_mark *m)
{
	struct list_ctx *c = ud;
	char hex[2 * SHA256_LEN + 1] = "?", ts[32];
	time_t t = (time_t)m->added_at;
	struct tm tm;

	if (m->sha256)
		hex_encode(m->sha256, SHA256_LEN, hex);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (c->env->json) {
		struct json j;

		buf_reset(&c->b);
		json_init(&j, &c->b);
		json_obj_begin(&j);
		json_kv_str(&j, "mark", m->mark);
		json_kv_str(&j, "sha256", hex);
		json_kv_str(&j, "customer", m->customer && *m->customer ? m->customer : NULL);
		json_kv_str(&j, "note", m->note);
		json_kv_str(&j, "added_by", m->added_by);
		json_kv_str(&j, "added_at", ts);
		json_kv_str(&j, "example", m->example);
		json_kv_str(&j, "source", m->source);
		json_obj_end(&j);
		printf("%s\n", c->b.data);
	} else {
		const char *cu = m->customer;

		buf_reset(&c->b);
		if (m->note)
			buf_put_escaped(&c->b, m->note, strlen(m->note));
		printf("%-9s  %s  %s  %-12s %s%s%s\n", m->mark, hex, ts, esc_name(m->added_by),
		       cu && *cu ? "customer " : "", cu && *cu ? esc_name(cu) : "", c->b.data ? c->b.data : "");
	}
	return 0;
}

static int
cmd_list(struct store *s, const struct ctl_env *env)
{
	struct list_ctx c = { .env = env };
	int r;

	buf_init(&c.b, 1 << 20);
	r = stateq_marks(s, list_mark, &c);
	buf_free(&c.b);
	return r < 0 ? EXIT_ERROR : 0;
}

struct export_ctx {
	struct buf b;
	size_t n;
};

static int
export_hash(void *ud, const uint8_t sha[SHA256_LEN], const char *ex)
{
	struct export_ctx *c = ud;
	const char *base = ex ? strrchr(ex, '/') : NULL;
	const char *why;
	char name[300];

	base = base ? base + 1 : ex;
	if (base == NULL || *base == '\0' || fpset_check_path(base, strlen(base), &why) < 0)
		snprintf(name, sizeof(name), "known-bad");
	else
		snprintf(name, sizeof(name), "%s", base);
	fpset_format_line(&c->b, sha, name, strlen(name));
	c->n++;
	return 0;
}

/* the known-bad list as a fingerprint set (sha256sum format): one line per
 * hash, named by the file it was found as (its base name) */
static int
cmd_export(struct store *s, const char *out)
{
	struct export_ctx c = { .n = 0 };
	struct buf *b = &c.b;
	FILE *f = stdout;
	int rc = 0;
	size_t n;

	buf_init(b, 256u << 20);
	buf_puts(b, "");
	if (stateq_known_bad(s, export_hash, &c) < 0) {
		buf_free(b);
		return EXIT_ERROR;
	}
	n = c.n;
	if (out && (f = fopen(out, "we")) == NULL) {
		fprintf(stderr, "wsidctl mark export: %s: %s\n", esc_name(out), strerror(errno));
		buf_free(b);
		return EXIT_ERROR;
	}
	if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
		rc = EXIT_ERROR;
	if (out && fclose(f) != 0)
		rc = EXIT_ERROR;
	if (rc)
		fprintf(stderr, "wsidctl mark export: write failed\n");
	else if (out)
		fprintf(stderr, "%zu known-bad hash%s written to %s\n", n, n == 1 ? "" : "es", esc_name(out));
	buf_free(b);
	return rc;
}

struct import_ctx {
	struct store *s;
	const char *note;
	const char *source;
	size_t n;
};

static int
import_line(void *ud, const struct fpset_line *l)
{
	struct import_ctx *c = ud;
	char *ex = xstrndup(l->path, l->pathlen);
	int r = exec_mark(c->s, "malicious", l->sha256, NULL, c->note ? c->note : c->source, ex);

	free(ex);
	if (r < 0)
		return r;
	c->n++;
	return 0;
}

static int
cmd_import(struct store *s, const struct ctl_env *env, const char *file, const char *note)
{
	struct import_ctx c = { s, note, file, 0 };
	char err[512], *data = NULL;
	size_t len = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 256LL << 20) {
		fprintf(stderr, "wsidctl mark import: %s: %s\n", esc_name(file),
			fd < 0 ? strerror(errno) : "not a regular file of at most 256 MiB");
		if (fd >= 0)
			close(fd);
		return EXIT_ERROR;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, data + len, (size_t)st.st_size - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (store_begin(s) < 0) {
		free(data);
		return EXIT_ERROR;
	}
	r = fpset_parse(data, len, file, import_line, &c, err, sizeof(err));
	free(data);
	if (r < 0) {
		store_rollback(s);
		fprintf(stderr, "wsidctl mark import: %s\n", r == -EINVAL ? err : strerror(-r));
		return EXIT_ERROR;
	}
	if (store_commit(s) < 0)
		return EXIT_ERROR;
	printf("%zu hash%s marked malicious from %s\n", c.n, c.n == 1 ? "" : "es", esc_name(file));
	/* one call re-checks every mark the daemon has not applied yet */
	if (c.n) {
		char *reply = NULL, v[32];

		if (ctlclient_call(env->socket, "marks", "", 300000, &reply) == 0 &&
		    json_field(reply, "reclassified", v, sizeof(v)))
			printf("%s file%s judged again\n", v, strcmp(v, "1") == 0 ? "" : "s");
		else
			fprintf(stderr, "wsidctl mark: wsid is not reachable at %s: files are judged "
					"again when it starts\n", env->socket);
		free(reply);
	}
	return 0;
}

int
ctl_mark(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "customer", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "sign", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = NULL, *customer = NULL, *out = NULL, *sign = NULL, *kind;
	struct ctl_env e = *env;
	struct store *s = NULL;
	char err[1024];
	int c, i, rc = 0;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	kind = argv[1];
	/* parse from the kind on (getopt sees it as the program name): options
	 * may come after the operands */
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			note = optarg;
			if (strlen(note) > NOTE_MAX) {
				fprintf(stderr, "wsidctl mark: --note: at most %d bytes\n", NOTE_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			customer = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			e.json = true;
			break;
		case 's':
			sign = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (strcmp(kind, "list") != 0 && strcmp(kind, "export") != 0 && strcmp(kind, "import") != 0 &&
	    strcmp(kind, "malicious") != 0 && strcmp(kind, "trusted") != 0 &&
	    strcmp(kind, "remove") != 0) {
		fprintf(stderr, "wsidctl mark: unknown kind '%s'\n", esc_name(kind));
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((strcmp(kind, "list") == 0 || strcmp(kind, "export") == 0) ? optind != argc
	    : strcmp(kind, "import") == 0 ? optind != argc - 1 : optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sign && (strcmp(kind, "export") != 0 || out == NULL)) {
		fprintf(stderr, "wsidctl mark: --sign KEYFILE goes with 'export --out BUNDLE'\n");
		return EXIT_USAGE;
	}
	/* signed bundles: the fleet's known-bad list */
	if (sign)
		return ctl_known_bad_export(&e, sign, out);
	if (strcmp(kind, "import") == 0 && ctl_is_bundle(argv[optind]))
		return ctl_known_bad_import(&e, argv[optind]);
	if (customer && strcmp(kind, "malicious") == 0) {
		fprintf(stderr, "wsidctl mark: --customer: a malicious mark holds for the whole node\n");
		return EXIT_USAGE;
	}
	if (store_open(e.db, strcmp(kind, "list") == 0 || strcmp(kind, "export") == 0 ? STORE_RDONLY : 0,
		       &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		return EXIT_ERROR;
	}
	if (strcmp(kind, "list") == 0)
		rc = cmd_list(s, &e);
	else if (strcmp(kind, "export") == 0)
		rc = cmd_export(s, out);
	else if (strcmp(kind, "import") == 0)
		rc = cmd_import(s, &e, argv[optind], note);
	else {
		for (i = optind; i < argc; i++) {
			uint8_t sha[SHA256_LEN];
			const char *example;
			char hex[2 * SHA256_LEN + 1];

			if (resolve(argv[i], sha, &example) < 0) {
				rc = EXIT_ERROR;
				continue;
			}
			if (exec_mark(s, kind, sha, customer, note, example) < 0) {
				fprintf(stderr, "wsidctl mark: %s: %s\n", store_path(s),
					sqlite3_errmsg(store_db(s)));
				rc = EXIT_ERROR;
				continue;
			}
			hex_encode(sha, SHA256_LEN, hex);
			printf("%s marked %s%s%s\n", hex, strcmp(kind, "remove") == 0 ? "unmarked" : kind,
			       customer ? " for customer " : "", customer ? esc_name(customer) : "");
			tell_daemon(&e, sha, false);
		}
	}
	store_close(s);
	return rc;
}
