// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl analyse: the analyser run ad hoc over files an admin holds.
 *
 * Walks its arguments without following symlinks (openat O_NOFOLLOW, each
 * directory by its fd, entries checked with fstat), reads regular files only
 * and up to a size cap (larger ones are reported as not analysed). Exit: 0
 * clean, 1 findings (malicious or suspicious), 2 on error. */
#include "ctlanalyse.h"

#include "ctlverbs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyse.h"
#include "bundle.h"
#include "classify.h"
#include "config.h"
#include "hash.h"
#include "ident.h"
#include "json.h"
#include "log.h"
#include "scan.h"
#include "util.h"

#ifndef WSID_DATADIR
#define WSID_DATADIR "/usr/local/share/wsid"
#endif
#define DEFAULT_RULES WSID_DATADIR "/rules/*.yar"
#define DEFAULT_MAX_SIZE (16u * 1024 * 1024)
#define DEPTH_MAX 128
#define GLOBS_MAX 64

struct walk {
	struct analyse *an;
	size_t max_size;
	bool json, verbose;
	struct json *jout; /* set: objects go into this open array (wsidctl scan --json) */
	unsigned files, malicious, suspicious, skipped, errors;
	uint8_t *data; /* one buffer of max_size, reused */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: wsidctl [--config PATH] [--db PATH] analyse [--json] [--verbose] [--rules GLOB]...\n"
		   "                       [--no-default-rules] [--max-size BYTES] FILE|DIR...\n"
		   "  exit 0 clean, 1 findings, 2 error; rules: the node's, as the daemon compiles them\n"
		   "  (the configuration's analysis.rules, default %s, with those an imported\n"
		   "  bundle brought beside the database), then --rules; --no-default-rules: --rules alone\n",
		DEFAULT_RULES);
}

/* The analyser: node, the node's rules as the daemon compiles them (the
 * configuration's analysis.rules, ours without one, with the rules an
 * imported bundle brought: bundle_analyser_new), then the admin's globs in
 * more; !node: those alone. None of the node's rules installed: our PHP
 * analyser alone, said. -1 after a message naming verb. */
static int
node_analyser(const struct ctl_env *env, bool node, const char *const *more, size_t nmore,
	      const char *verb, struct analyse **ret)
{
	static const char *const dflt[] = { DEFAULT_RULES };
	const char *const *globs = dflt;
	size_t ng = 1, i;
	const struct config *cfg = NULL;
	const char *db = "";
	char err[1024];
	int rc;

	/* looked up only for the node's rules: the verb's entry looks nothing
	 * up before (ctlverbs.c) */
	if (node) {
		cfg = env->cfg ? env->cfg : env->config ? env->config() : NULL;
		db = env->db ? env->db : env->db_path ? env->db_path() : "";
	}
	if (cfg) {
		globs = (const char *const *)cfg->analysis_rules;
		ng = cfg->nanalysis_rules;
	}
	if (!node)
		rc = analyse_new(more, nmore, ret, err, sizeof(err));
	else
		rc = bundle_analyser_new(db ? db : "", globs, ng, more, nmore, ret, err, sizeof(err));
	if (rc == -EACCES) {
		/* the rules directory is root's: what can be read, said */
		const char **all = xreallocarray(NULL, ng + nmore + 1, sizeof(*all));

		fprintf(stderr, "wsidctl: %s: %s: without the rules an imported bundle brought\n", verb, err);
		for (i = 0; i < ng; i++)
			all[i] = globs[i];
		for (i = 0; i < nmore; i++)
			all[ng + i] = more[i];
		rc = analyse_new(all, ng + nmore, ret, err, sizeof(err));
		free(all);
	}
	if (rc == -ENOENT && node && nmore == 0) {
		fprintf(stderr, "wsidctl: %s: %s: the PHP analyser alone\n", verb, err);
		rc = analyse_new(NULL, 0, ret, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "wsidctl: %s: rules: %s\n", verb, err);
		return -1;
	}
	return 0;
}

static void
print_json(struct walk *w, const char *path, const struct analyse_result *r, const char *reason)
{
	struct buf b;
	struct json j, *jp = w->jout;

	if (jp == NULL) {
		buf_init(&b, 1024 * 1024);
		json_init(&j, &b);
		jp = &j;
	}
	json_obj_begin(jp);
	json_kv_name(jp, "path", path, strlen(path));
	if (r == NULL) {
		json_kv_str(jp, "verdict", "not-analysed");
		json_kv_str(jp, "reason", reason);
	} else {
		json_kv_str(jp, "verdict", analyse_verdict_name(r->verdict));
		json_kv_str(jp, "rules_version", analyse_rules_version(w->an));
		analyse_findings_json(jp, r);
	}
	json_obj_end(jp);
	if (w->jout)
		return;
	if (b.data)
		printf("%s\n", b.data);
	buf_free(&b);
}

static void
print_text(const char *path, const struct analyse_result *r)
{
	const struct analyse_finding *f = &r->f[0];
	const char *what = r->verdict == ANALYSE_MALICIOUS ? "MALWARE" : "SUSPICIOUS";

	if (r->n == 0)
		return;
	printf("%-10s  %s  (%s, line %u", what, esc_name(path), f->cls, (unsigned)f->line);
	if (r->n > 1)
		printf("; %u more", r->n - 1);
	printf(")\n");
}

static void
report_skip(struct walk *w, const char *path, const char *reason)
{
	w->skipped++;
	if (w->json)
		print_json(w, path, NULL, reason);
	else
		fprintf(stderr, "wsidctl: %s: not analysed: %s\n", esc_name(path), reason);
}

/* What the analysis of one file came to: found while walking (wsidctl
 * analyse), or on scan's hashing workers, kept with the entry as its note
 * and printed when the tree is reported. */
enum outcome_kind {
	OUT_NONE,  /* nothing to say: an image that is only an image */
	OUT_DONE,  /* analysed: r */
	OUT_SKIP,  /* not analysed: skips[reason] */
	OUT_ERROR, /* err */
};

static const char *const skips[] = { "not a regular file", "larger than the size cap" };

struct outcome {
	enum outcome_kind kind;
	uint8_t reason;
	int err;
	struct analyse_result r;
};

/* reads an open regular file of known size into data */
static int
read_all(int fd, uint8_t *data, size_t size, size_t *ret_n)
{
	size_t n = 0;

	while (n < size) {
		ssize_t k = read(fd, data + n, size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*ret_n = n;
	return 0;
}

/* analyses n bytes; tag_only: a media name, analysed only when its content
 * holds a PHP open tag (classify_code_content) */
static void
outcome_buf(struct analyse *an, const uint8_t *data, size_t n, const char *path, bool tag_only,
	    struct outcome *o)
{
	int e;

	memset(o, 0, sizeof(*o));
	if (tag_only && !hash_php_tag(data, n))
		return; /* an image that is only an image */
	e = analyse_buf(an, data, n, path, &o->r);
	o->kind = e < 0 ? OUT_ERROR : OUT_DONE;
	o->err = -e;
}

/* reads fd (at most max_size bytes, into data) and analyses it; data NULL:
 * into a buffer of the file's size, freed before the return */
static void
outcome_fd(struct analyse *an, int fd, const char *path, bool tag_only, uint8_t *data,
	   size_t max_size, struct outcome *o)
{
	uint8_t *own = NULL;
	struct stat st;
	size_t n = 0;
	int e;

	memset(o, 0, sizeof(*o));
	if (fstat(fd, &st) < 0) {
		o->kind = OUT_ERROR;
		o->err = errno;
	} else if (!S_ISREG(st.st_mode)) {
		o->kind = OUT_SKIP;
		o->reason = 0;
	} else if ((uint64_t)st.st_size > max_size) {
		o->kind = OUT_SKIP;
		o->reason = 1;
	} else {
		if (data == NULL)
			data = own = xmalloc(st.st_size ? (size_t)st.st_size : 1);
		if ((e = read_all(fd, data, (size_t)st.st_size, &n)) < 0) {
			o->kind = OUT_ERROR;
			o->err = -e;
		} else {
			outcome_buf(an, data, n, path, tag_only, o);
		}
	}
	free(own);
}

/* counts and prints what the analysis of path came to */
static void
outcome_print(struct walk *w, const char *path, const struct outcome *o)
{
	const struct analyse_result *r = &o->r;

	switch (o->kind) {
	case OUT_NONE:
		return;
	case OUT_SKIP:
		report_skip(w, path, skips[o->reason]);
		return;
	case OUT_ERROR:
		w->errors++;
		fprintf(stderr, "wsidctl: %s: %s\n", esc_name(path), strerror(o->err));
		return;
	case OUT_DONE:
		break;
	}
	w->files++;
	if (r->verdict == ANALYSE_MALICIOUS)
		w->malicious++;
	else if (r->verdict == ANALYSE_SUSPICIOUS)
		w->suspicious++;
	if (w->json && (w->jout == NULL || r->verdict != ANALYSE_CLEAN))
		print_json(w, path, r, NULL);
	else if (w->json)
		return;
	else if (r->verdict != ANALYSE_CLEAN)
		print_text(path, r);
	else if (w->verbose)
		printf("%-10s  %s\n", "clean", esc_name(path));
}

static void
analyse_fd(struct walk *w, int fd, const char *path, bool tag_only)
{
	struct outcome o;

	outcome_fd(w->an, fd, path, tag_only, w->data, w->max_size, &o);
	outcome_print(w, path, &o);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* walks the directory open as dfd (taken over: closed here) */
static void
walk_dir(struct walk *w, int dfd, const char *path, int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;

	if (depth > DEPTH_MAX) {
		close(dfd);
		report_skip(w, path, "directory nesting too deep");
		return;
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		w->errors++;
		fprintf(stderr, "wsidctl: %s: %s\n", esc_name(path), strerror(errno));
		close(dfd);
		return;
	}
	/* sorted, for output that does not depend on the directory's order */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), entry_cmp);
	for (i = 0; i < n; i++) {
		size_t sublen;
		char *sub = path_join(path, strlen(path), names[i], strlen(names[i]), &sublen);
		struct stat st;
		int fd;

		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			w->errors++;
			fprintf(stderr, "wsidctl: %s: %s\n", esc_name(sub), strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				w->errors++;
				fprintf(stderr, "wsidctl: %s: %s\n", esc_name(sub), strerror(errno));
			} else {
				walk_dir(w, fd, sub, depth + 1);
			}
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd(d), names[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0) {
				w->errors++;
				fprintf(stderr, "wsidctl: %s: %s\n", esc_name(sub), strerror(errno));
			} else {
				analyse_fd(w, fd, sub, false);
				close(fd);
			}
		} else if (w->verbose) {
			/* symlinks, sockets, devices: never followed or read */
			fprintf(stderr, "wsidctl: %s: skipped: not a regular file\n", esc_name(sub));
		}
		free(sub);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

static void
walk_arg(struct walk *w, const char *path)
{
	struct stat st;
	int fd;

	/* a symlink named on the command line is not followed either */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		w->errors++;
		fprintf(stderr, "wsidctl: %s: %s\n", esc_name(path),
			errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno));
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		walk_dir(w, fd, path, 0);
		return;
	}
	analyse_fd(w, fd, path, false);
	close(fd);
}

int
ctl_analyse(int argc, char **argv, const struct ctl_env *env)
{
	bool json = env->json;
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },     { "rules", required_argument, NULL, 'r' },
		{ "max-size", required_argument, NULL, 'm' }, { "verbose", no_argument, NULL, 'v' },
		{ "no-default-rules", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *globs[GLOBS_MAX];
	struct walk w;
	size_t ng = 0;
	bool defaults = true;
	int c, i;

	memset(&w, 0, sizeof(w));
	w.max_size = DEFAULT_MAX_SIZE;
	w.json = json;
	optind = 0; /* a new parse: options may follow the paths */
	while ((c = getopt_long(argc, argv, "jr:m:vnh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			w.json = true;
			break;
		case 'r':
			if (ng == GLOBS_MAX) {
				fprintf(stderr, "wsidctl: analyse: at most %d --rules\n", GLOBS_MAX);
				return 2;
			}
			globs[ng++] = optarg;
			break;
		case 'm': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v == 0 || v > 1024ull * 1024 * 1024) {
				fprintf(stderr, "wsidctl: analyse: --max-size: '%s' is no size in bytes (1..1 GiB)\n",
					esc_name(optarg));
				return 2;
			}
			w.max_size = (size_t)v;
			break;
		}
		case 'v':
			w.verbose = true;
			break;
		case 'n':
			defaults = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* the node's rules (ours, wildcards: none installed is no error) and the admin's */
	if (node_analyser(env, defaults, globs, ng, "analyse", &w.an) < 0)
		return 2;
	w.data = xmalloc(w.max_size ? w.max_size : 1);
	for (i = optind; i < argc; i++)
		walk_arg(&w, argv[i]);
	if (!w.json || w.verbose)
		fprintf(stderr, "analysed %u files: %u malicious, %u suspicious; %u not analysed, %u errors\n",
			w.files, w.malicious, w.suspicious, w.skipped, w.errors);
	free(w.data);
	analyse_free(w.an);
	if (w.errors)
		return 2;
	return w.malicious + w.suspicious > 0 ? 1 : 0;
}

/* ---- wsidctl scan: the code that is no release ---- */

struct ctl_scan_analysis {
	struct analyse *an;
	size_t max_size;
};

/* whether the scan analyses f: code that is no release (release content is
 * never analysed), by name or first bytes (head), or an image whose content
 * holds a PHP open tag; 0 no, 1 code, 2 an image (tag_only). head: its bits
 * (SCAN_HEAD_*), as the hashing saw them */
static int
scan_wants(const struct scan_file *f, uint8_t head)
{
	if (f->kind != SCAN_FILE || f->status != HASH_OK || f->nmatches > 0 || f->size == 0)
		return 0;
	if (ident_is_code(f->path, f->pathlen) || (head & SCAN_HEAD_CODE))
		return 1;
	return (head & SCAN_HEAD_PHP_TAG) && classify_media_name(f->path, f->pathlen) ? 2 : 0;
}

/* the outcome as an entry's note: kind, then the reason, the errno or the
 * verdict with the findings */
static void
note_put(struct scan_file *f, const struct outcome *o)
{
	size_t len = 1;
	uint8_t *p;

	if (o->kind == OUT_NONE)
		return;
	if (o->kind == OUT_SKIP)
		len += 1;
	else if (o->kind == OUT_ERROR)
		len += sizeof(o->err);
	else
		len += 2 + o->r.n * sizeof(o->r.f[0]);
	p = f->note = xmalloc(len);
	f->notelen = (uint32_t)len;
	*p++ = (uint8_t)o->kind;
	if (o->kind == OUT_SKIP) {
		*p = o->reason;
	} else if (o->kind == OUT_ERROR) {
		memcpy(p, &o->err, sizeof(o->err));
	} else {
		*p++ = (uint8_t)o->r.verdict;
		*p++ = (uint8_t)o->r.n;
		memcpy(p, o->r.f, o->r.n * sizeof(o->r.f[0]));
	}
}

/* what note_put wrote (checked: a note is the scan's own bytes) */
static void
note_get(const struct scan_file *f, struct outcome *o)
{
	const uint8_t *p = f->note, *end = p + f->notelen;

	memset(o, 0, sizeof(*o));
	o->kind = (enum outcome_kind)*p++;
	if (o->kind == OUT_SKIP && p < end && *p < ARRAY_SIZE(skips)) {
		o->reason = *p;
	} else if (o->kind == OUT_ERROR && (size_t)(end - p) == sizeof(o->err)) {
		memcpy(&o->err, p, sizeof(o->err));
	} else if (o->kind == OUT_DONE && end - p >= 2 && p[1] <= ANALYSE_FINDINGS_MAX &&
		   (size_t)(end - p) == 2 + p[1] * sizeof(o->r.f[0])) {
		o->r.verdict = (enum analyse_verdict)p[0];
		o->r.n = p[1];
		memcpy(o->r.f, p + 2, o->r.n * sizeof(o->r.f[0]));
	} else {
		fatalx("scan: a malformed note of the analysis");
	}
}

/* scan_opts.keep: code names are kept as hashed (what is code by its head
 * only, or an image with PHP inside, is rare and read again) */
static bool
scan_keep(void *ud, const char *relpath, size_t len)
{
	(void)ud;
	return ident_is_code(relpath, len);
}

/* scan_opts.content, on a hashing worker */
static void
scan_content(void *ud, const char *root, int rootfd, struct scan_file *f, const uint8_t *data, size_t n)
{
	struct ctl_scan_analysis *sa = ud;
	int want = scan_wants(f, f->head);
	struct outcome o;
	size_t fl;
	char *full;

	if (want == 0)
		return;
	full = path_join(root, strlen(root), f->path, f->pathlen, &fl);
	memset(&o, 0, sizeof(o));
	if (f->size > sa->max_size) {
		o.kind = OUT_SKIP;
		o.reason = 1;
	} else if (data) {
		outcome_buf(sa->an, data, n, full, want == 2, &o);
	} else {
		int fd = hash_open_beneath(rootfd, f->path);

		if (fd < 0) {
			o.kind = OUT_ERROR;
			o.err = -fd;
		} else {
			/* a buffer of the file's size, not of the cap (16 MiB) */
			outcome_fd(sa->an, fd, full, want == 2, NULL, sa->max_size, &o);
			close(fd);
		}
	}
	note_put(f, &o);
	free(full);
}

int
ctl_scan_analysis_new(const struct ctl_env *env, struct scan_opts *so, struct ctl_scan_analysis **ret)
{
	struct ctl_scan_analysis *sa = xcalloc(1, sizeof(*sa));

	if (node_analyser(env, true, NULL, 0, "scan", &sa->an) < 0) {
		free(sa);
		return -1;
	}
	sa->max_size = DEFAULT_MAX_SIZE;
	so->keep = scan_keep;
	so->content = scan_content;
	so->content_ud = sa;
	so->keep_max = sa->max_size;
	*ret = sa;
	return 0;
}

void
ctl_scan_analysis_free(struct ctl_scan_analysis *sa)
{
	if (sa == NULL)
		return;
	analyse_free(sa->an);
	free(sa);
}

static void
scan_summary(const struct walk *w, bool json, unsigned *ret_found)
{
	if (!json)
		fprintf(stderr, "analysed %u files that are no release: %u malicious, %u suspicious; %u not "
				"analysed, %u errors\n",
			w->files, w->malicious, w->suspicious, w->skipped, w->errors);
	*ret_found = w->malicious + w->suspicious;
}

static void
scan_walk_init(struct walk *w, struct analyse *an, struct json *jout)
{
	memset(w, 0, sizeof(*w));
	w->an = an;
	w->max_size = DEFAULT_MAX_SIZE;
	w->json = jout != NULL;
	w->jout = jout;
}

int
ctl_scan_analysis_report(struct ctl_scan_analysis *sa, const struct scan_tree *t, struct json *jout,
			 unsigned *ret_found)
{
	struct walk w;
	size_t i;

	scan_walk_init(&w, sa->an, jout);
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);
		struct outcome o;
		size_t fl;
		char *full;

		if (f->notelen == 0)
			continue;
		note_get(f, &o);
		full = path_join(t->root, strlen(t->root), f->path, f->pathlen, &fl);
		outcome_print(&w, full, &o);
		free(full);
	}
	scan_summary(&w, jout != NULL, ret_found);
	return 0;
}

int
ctl_analyse_scan_tree(const struct scan_tree *t, const struct ctl_env *env, struct json *jout,
		      unsigned *ret_found)
{
	struct analyse *an;
	struct walk w;
	int rootfd = t->rootfd, rc = 0;
	size_t i;

	if (node_analyser(env, true, NULL, 0, "scan", &an) < 0)
		return -EINVAL;
	scan_walk_init(&w, an, jout);
	if (rootfd < 0)
		rootfd = open(t->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		rc = -errno;
		fprintf(stderr, "wsidctl: scan: %s: %s\n", esc_name(t->root), strerror(errno));
		goto out;
	}
	w.data = xmalloc(w.max_size);
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);
		uint8_t head = 0;
		char buf[32];
		size_t fl;
		char *full;
		int want, fd, n = 0;

		/* a tree read from the daemon's state has no head bits: the
		 * first bytes of what is no code by name are read for them */
		if (scan_wants(f, SCAN_HEAD_CODE) == 0)
			continue;
		if (!ident_is_code(f->path, f->pathlen) &&
		    (n = scan_read_small(rootfd, f->path, buf, sizeof(buf))) < 0)
			n = 0;
		if (classify_php_head((const uint8_t *)buf, (size_t)n))
			head = SCAN_HEAD_CODE;
		else if (classify_media_name(f->path, f->pathlen))
			head = SCAN_HEAD_PHP_TAG; /* the content says (tag_only) */
		if ((want = scan_wants(f, head)) == 0)
			continue;
		full = path_join(t->root, strlen(t->root), f->path, f->pathlen, &fl);
		fd = hash_open_beneath(rootfd, f->path);
		if (fd < 0) {
			w.errors++;
			fprintf(stderr, "wsidctl: %s: %s\n", esc_name(full), strerror(-fd));
		} else {
			analyse_fd(&w, fd, full, want == 2);
			close(fd);
		}
		free(full);
	}
	scan_summary(&w, jout != NULL, ret_found);
	free(w.data);
out:
	if (rootfd >= 0 && rootfd != t->rootfd)
		close(rootfd);
	analyse_free(an);
	return rc;
}
