// SPDX-License-Identifier: GPL-2.0-or-later
/* Text and JSON scan reports; see report.h. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

char *
report_inst_root(const struct scan_tree *t, const struct installation *in)
{
	size_t tl = strlen(t->root);

	while (tl > 1 && t->root[tl - 1] == '/')
		tl--;
	if (in->root_len == 0)
		return xstrndup(t->root, tl);
	if (tl == 1 && t->root[0] == '/')
		tl = 0; /* a scan of "/": "/srv", not "//srv" */
	return xasprintf("%.*s/%.*s", (int)tl, t->root, (int)in->root_len, in->root);
}

/* the JSON written so far out to `to` once it holds 1 MiB (to NULL: kept) */
static void
json_spill(struct json *j, FILE *to)
{
	if (to == NULL || j->out->len < (1u << 20))
		return;
	fwrite(j->out->data, 1, j->out->len, to);
	buf_reset(j->out);
}

struct json_files {
	struct json *j;
	FILE *flush;
	size_t base; /* bytes of a path that are the root and its '/' */
};

static void
json_file(void *ud, const struct ident_file *f, const struct scan_file *sf)
{
	struct json_files *c = ud;
	struct json *j = c->j;

	if (f->state == IDENT_OK) {
		json_strn(j, sf->path + c->base, sf->pathlen - c->base);
		json_spill(j, c->flush);
		return;
	}
	json_obj_begin(j);
	if (sf == NULL) {
		json_kv_name(j, "path", f->relpath, f->relpath_len);
	} else {
		json_kv_name(j, "path", sf->path + c->base, sf->pathlen - c->base);
		if (sf->status == HASH_OK)
			json_kv_hex(j, "sha256", sf->sha256, SHA256_LEN);
		else
			json_kv_str(j, "status", hash_status_name(sf->status));
		if (f->state == IDENT_ADDED) {
			json_kv_bool(j, "code", ident_is_code(sf->path, sf->pathlen));
			json_kv_bool(j, "upload_dir", f->in_upload_dir);
		}
	}
	if (f->state != IDENT_ADDED)
		json_kv_hex(j, "expected_sha256", f->expected, SHA256_LEN);
	if (f->known_as)
		json_kv_str(j, "known_in", f->known_as->version);
	json_obj_end(j);
	json_spill(j, c->flush);
}

/* the array of the files in state st begins (the one before ends) */
static void
json_state(void *ud, enum ident_file_state st)
{
	struct json_files *c = ud;

	if (st != IDENT_OK)
		json_arr_end(c->j);
	json_key(c->j, ident_state_name(st));
	json_arr_begin(c->j);
}

/* entries not hashed that report_json_tree remembers while it counts */
#define REPORT_SKIP_MAX 65536

static void
json_inst(struct json *j, const struct scan_tree *t, const struct ident_result *r, size_t self,
	  FILE *flush)
{
	const struct installation *in = &r->inst[self];
	char *root = report_inst_root(t, in);
	struct json_files jf = { j, flush, in->root_len ? in->root_len + 1 : 0 };
	size_t i, st;

	json_obj_begin(j);
	json_kv_name(j, "root", root, strlen(root));
	free(root);
	json_kv_str(j, "product", in->product->name);
	json_kv_str(j, "kind", in->product->kind);
	json_kv_str(j, "version", in->version->version);
	json_kv_str(j, "released", in->version->released);
	json_kv_double(j, "confidence", in->confidence);
	json_kv_int(j, "matched", in->matched);
	json_kv_int(j, "release_files", in->version->nfiles);
	json_key(j, "candidates");
	json_arr_begin(j);
	for (i = 0; i < in->ncandidates; i++) {
		json_obj_begin(j);
		json_kv_str(j, "version", in->candidates[i].version->version);
		json_kv_int(j, "matched", in->candidates[i].matched);
		json_kv_double(j, "confidence", in->candidates[i].confidence);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "mixed");
	if (in->mixed) {
		json_obj_begin(j);
		json_kv_str(j, "with", in->mixed_with->version);
		json_kv_int(j, "only_best", in->mixed_only_best);
		json_kv_int(j, "only_other", in->mixed_only_other);
		json_obj_end(j);
	} else
		json_bool(j, false);
	json_key(j, "version_file_claims");
	if (in->has_version_file) {
		json_obj_begin(j);
		json_kv_str(j, "file", in->product->version_file);
		json_kv_str(j, "claimed", in->claimed_version);
		json_kv_str(j, "hashes_say", in->version->version);
		json_kv_bool(j, "agrees", in->claimed_version &&
					  strcmp(in->claimed_version, in->version->version) == 0);
		json_obj_end(j);
	} else
		json_null(j);
	json_key(j, "parent");
	if (in->parent >= 0) {
		char *p = report_inst_root(t, &r->inst[in->parent]);

		json_strn(j, p, strlen(p));
		free(p);
	} else
		json_null(j);
	json_key(j, "counts");
	json_obj_begin(j);
	for (st = 0; st < IDENT_STATE_MAX; st++)
		json_kv_int(j, ident_state_name((enum ident_file_state)st), (int64_t)in->counts[st]);
	json_obj_end(j);
	json_key(j, "files");
	json_obj_begin(j);
	ident_inst_files_all(r, t, self, json_state, json_file, &jf);
	json_arr_end(j);
	json_obj_end(j);
	json_key(j, "missing_dirs");
	json_arr_begin(j);
	for (i = 0; i < in->nmissing_dirs; i++) {
		json_obj_begin(j);
		json_kv_name(j, "path", in->missing_dirs[i].path, strlen(in->missing_dirs[i].path));
		json_kv_int(j, "files", (int64_t)in->missing_dirs[i].files);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* an entry not hashed, and why: a symlink, a special file, a cap, an error */
static void
json_skipped(struct json *j, const struct scan_file *f, FILE *flush)
{
	json_obj_begin(j);
	json_kv_name(j, "path", f->path, f->pathlen);
	json_kv_str(j, "kind", scan_kind_name((enum scan_entry_kind)f->kind));
	if (f->kind == SCAN_FILE)
		json_kv_str(j, "status", hash_status_name(f->status));
	if (f->link_target)
		json_kv_name(j, "target", f->link_target, strlen(f->link_target));
	if (f->err)
		json_kv_str(j, "error", strerror(f->err));
	json_obj_end(j);
	json_spill(j, flush);
}

static bool
hashed_file(const struct scan_file *f)
{
	return f->kind == SCAN_FILE && f->status == HASH_OK;
}

void
report_json_tree(struct json *j, const struct scan_tree *t, const struct ident_result *r,
		 FILE *flush)
{
	size_t i, counts[SCAN_KIND_MAX] = { 0 }, hashed = 0;
	/* the entries not hashed, remembered up to a bound while counting */
	struct pos_list skip;

	pos_list_init(&skip, REPORT_SKIP_MAX);
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);

		counts[f->kind]++;
		if (hashed_file(f))
			hashed++;
		else
			pos_list_add(&skip, i);
	}
	json_obj_begin(j);
	json_kv_name(j, "path", t->root, strlen(t->root));
	json_kv_int(j, "files", (int64_t)counts[SCAN_FILE]);
	json_kv_int(j, "files_hashed", (int64_t)hashed);
	json_kv_int(j, "dirs", (int64_t)t->ndirs);
	json_kv_int(j, "bytes_hashed", (int64_t)t->bytes_hashed);
	json_kv_double(j, "seconds", t->total_seconds);
	json_key(j, "installations");
	json_arr_begin(j);
	for (i = 0; r && i < r->ninst; i++)
		json_inst(j, t, r, i, flush);
	json_arr_end(j);
	json_key(j, "skipped");
	json_arr_begin(j);
	for (i = 0; i < skip.n; i++)
		json_skipped(j, scan_file_at(t, skip.pos[i]), flush);
	for (i = skip.resume; i < t->nfiles; i++)
		if (!hashed_file(scan_file_at(t, i)))
			json_skipped(j, scan_file_at(t, i), flush);
	pos_list_free(&skip);
	json_arr_end(j);
	json_obj_end(j);
}

static void
put_name(FILE *out, const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_put_escaped(&b, s, n);
	if (b.data)
		fputs(b.data, out);
	buf_free(&b);
}

enum sect_filter {
	SECT_ALL,
	SECT_NOT_IN_MISSING_DIR,
	SECT_UPLOAD_CODE,
	SECT_CODE, /* code outside upload dirs */
	SECT_NOT_CODE,
};

static bool
under_missing_dir(const struct installation *in, const char *name, size_t nl)
{
	size_t k;

	for (k = 0; k < in->nmissing_dirs; k++) {
		size_t dl = strlen(in->missing_dirs[k].path);

		if (nl > dl && memcmp(name, in->missing_dirs[k].path, dl) == 0 && name[dl] == '/')
			return true;
	}
	return false;
}

struct text_sect {
	FILE *out;
	const struct installation *in;
	enum sect_filter filt;
	const char *label, *on, *off;
	size_t limit, shown, base;
};

static void
text_file(void *ud, const struct ident_file *f, const struct scan_file *sf)
{
	struct text_sect *c = ud;
	const char *name;
	size_t nl;
	bool code = false;

	if (sf == NULL) {
		name = f->relpath;
		nl = f->relpath_len;
	} else {
		name = sf->path + c->base;
		nl = sf->pathlen - c->base;
		code = ident_is_code(sf->path, sf->pathlen);
	}
	if ((c->filt == SECT_NOT_IN_MISSING_DIR && under_missing_dir(c->in, name, nl)) ||
	    (c->filt == SECT_UPLOAD_CODE && !(code && f->in_upload_dir)) ||
	    (c->filt == SECT_CODE && !(code && !f->in_upload_dir)) ||
	    (c->filt == SECT_NOT_CODE && code))
		return;
	if (c->shown++ >= c->limit)
		return;
	fprintf(c->out, "    %s%-12s ", c->on, c->label);
	put_name(c->out, name, nl);
	if (f->known_as)
		fprintf(c->out, " (content of %s)", f->known_as->version);
	fprintf(c->out, "%s\n", c->off);
}

static void
text_section(FILE *out, const struct scan_tree *t, const struct ident_result *r, size_t self,
	     enum ident_file_state st, enum sect_filter filt, const char *label, const char *on,
	     const char *off, size_t limit)
{
	const struct installation *in = &r->inst[self];
	struct text_sect c = { out, in, filt, label, on, off, limit, 0,
			       in->root_len ? in->root_len + 1 : 0 };

	ident_inst_files(r, t, self, st, text_file, &c);
	if (c.shown > limit)
		fprintf(out, "    %-12s ... %zu more (--verbose lists all)\n", "", c.shown - limit);
}

static const char *
c_on(const struct report_opts *o, const char *code)
{
	return o->color ? code : "";
}

void
report_text_tree(FILE *out, const struct scan_tree *t, const struct ident_result *r,
		 const struct report_opts *o)
{
	size_t i, k, nskip[SCAN_KIND_MAX] = { 0 }, nunhashed = 0;
	const char *rst = c_on(o, "\033[0m"), *bold = c_on(o, "\033[1m"),
		   *red = c_on(o, "\033[31m"), *yel = c_on(o, "\033[33m");

	fprintf(out, "%s", bold);
	put_name(out, t->root, strlen(t->root));
	fprintf(out, "%s: %zu entries, %llu dirs, %.1f MB hashed in %.2f s, %zu installation%s\n", rst,
		t->nfiles, (unsigned long long)t->ndirs, (double)t->bytes_hashed / 1e6,
		t->total_seconds, r ? r->ninst : 0, r && r->ninst == 1 ? "" : "s");
	for (i = 0; r && i < r->ninst; i++) {
		const struct installation *in = &r->inst[i];
		char *root = report_inst_root(t, in);
		size_t limit = o->verbose ? SIZE_MAX : 10;

		fprintf(out, "\n  %s", bold);
		put_name(out, root, strlen(root));
		free(root);
		fprintf(out, "%s\n    %-12s %s %s (%s), confidence %.1f%% (%zu of %u release files)\n",
			rst, "identified", in->product->name, in->version->version, in->product->kind,
			100.0 * in->confidence, in->counts[IDENT_OK], in->version->nfiles);
		if (in->version->released && in->version->released[0])
			fprintf(out, "    %-12s %.10s\n", "released", in->version->released);
		fprintf(out, "    %-12s ok %zu, modified %zu, missing %zu, added %zu\n", "files",
			in->counts[IDENT_OK], in->counts[IDENT_MODIFIED], in->counts[IDENT_MISSING],
			in->counts[IDENT_ADDED]);
		if (in->ncandidates) {
			fprintf(out, "    %-12s", "candidates");
			for (k = 0; k < in->ncandidates; k++)
				fprintf(out, "%s %s (%u files)", k ? "," : "",
					in->candidates[k].version->version, in->candidates[k].matched);
			fprintf(out, "\n");
		}
		if (in->mixed)
			fprintf(out, "    %s%-12s %u files are %s content, %u only %s%s\n", yel, "MIXED",
				in->mixed_only_other, in->mixed_with->version, in->mixed_only_best,
				in->version->version, rst);
		if (in->has_version_file) {
			if (in->claimed_version == NULL)
				fprintf(out, "    %-12s %s: no version claim found\n", "version file",
					in->product->version_file);
			else if (strcmp(in->claimed_version, in->version->version) != 0) {
				fprintf(out, "    %s%-12s %s claims ", red, "VERSION LIE",
					in->product->version_file);
				put_name(out, in->claimed_version, strlen(in->claimed_version));
				fprintf(out, ", the hashes say %s%s\n", in->version->version, rst);
			} else
				fprintf(out, "    %-12s %s agrees (%s)\n", "version file",
					in->product->version_file, in->claimed_version);
		}
		if (in->parent >= 0) {
			char *p = report_inst_root(t, &r->inst[in->parent]);

			fprintf(out, "    %-12s ", "inside");
			put_name(out, p, strlen(p));
			fprintf(out, "\n");
			free(p);
		}
		text_section(out, t, r, i, IDENT_MODIFIED, SECT_ALL, "modified", yel, rst, limit);
		for (k = 0; k < in->nmissing_dirs; k++) {
			if (k >= limit) {
				fprintf(out, "    %-12s ... %zu more directories\n", "", in->nmissing_dirs - limit);
				break;
			}
			fprintf(out, "    %-12s ", "missing dir");
			put_name(out, in->missing_dirs[k].path, strlen(in->missing_dirs[k].path));
			fprintf(out, "/ (%zu files)\n", in->missing_dirs[k].files);
		}
		text_section(out, t, r, i, IDENT_MISSING, SECT_NOT_IN_MISSING_DIR, "missing", "", "", limit);
		text_section(out, t, r, i, IDENT_ADDED, SECT_UPLOAD_CODE, "UPLOAD CODE", red, rst, SIZE_MAX);
		text_section(out, t, r, i, IDENT_ADDED, SECT_CODE, "added code", "", "", limit);
		if (o->verbose)
			text_section(out, t, r, i, IDENT_ADDED, SECT_NOT_CODE, "added", "", "", limit);
	}
	for (i = 0; i < t->nfiles; i++) {
		const struct scan_file *f = scan_file_at(t, i);

		if (f->kind != SCAN_FILE)
			nskip[f->kind]++;
		else if (f->status != HASH_OK)
			nunhashed++;
	}
	if (nskip[SCAN_SYMLINK] + nskip[SCAN_SPECIAL] + nskip[SCAN_DIR_ERROR] +
	    nskip[SCAN_MOUNTPOINT] + nunhashed) {
		fprintf(out, "\n  not hashed: %zu symlinks (not followed), %zu special files, %zu "
			"unreadable dirs, %zu mount points, %zu files (too big, sparse, changing or "
			"unreadable)\n", nskip[SCAN_SYMLINK], nskip[SCAN_SPECIAL], nskip[SCAN_DIR_ERROR],
			nskip[SCAN_MOUNTPOINT], nunhashed);
		if (o->verbose) {
			for (i = 0; i < t->nfiles; i++) {
				const struct scan_file *f = scan_file_at(t, i);

				if (f->kind == SCAN_FILE && f->status == HASH_OK)
					continue;
				fprintf(out, "    %-14s ", f->kind == SCAN_FILE
								? hash_status_name(f->status)
								: scan_kind_name((enum scan_entry_kind)f->kind));
				put_name(out, f->path, f->pathlen);
				if (f->link_target) {
					fprintf(out, " -> ");
					put_name(out, f->link_target, strlen(f->link_target));
				}
				fprintf(out, "\n");
			}
		}
	}
}
