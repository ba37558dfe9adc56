// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl index import and mark import: a signed bundle into the database in
 * one transaction (bundleimport.h tells the steps and why this is not in
 * bundle.c). */
#include "bundleimport.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyse.h"
#include "bundle.h"
#include "config.h"
#include "ctlclient.h"
#include "ctlverbs.h"
#include "fpindex.h"
#include "hash.h"
#include "json.h"
#include "store.h"
#include "util.h"

/* the daemon judges again every file whose content is on a list now */
static void
tell_marks(const char *socket)
{
	char *reply = NULL, v[32];

	if (access(socket, F_OK) != 0)
		return;
	if (ctlclient_call(socket, "marks", "", 300000, &reply) == 0 &&
	    json_field(reply, "reclassified", v, sizeof(v)))
		printf("%s file%s judged again\n", v, strcmp(v, "1") == 0 ? "" : "s");
	else
		fprintf(stderr, "wsid at %s did not apply the marks: %s\n", socket,
			reply ? reply : "not reachable (it applies them when it starts)");
	free(reply);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct bad_ctx {
	struct store *s;
	sqlite3_stmt *ins, *untrust;
	const char *source;
	uint64_t n, untrusted;
	int r;
};

static int
bad_count(void *ud, const struct bundle_bad *b)
{
	(void)b;
	((struct bad_ctx *)ud)->n++;
	return 0;
}

static int
bad_insert(void *ud, const struct bundle_bad *b)
{
	struct bad_ctx *c = ud;

	sqlite3_reset(c->ins);
	sqlite3_bind_blob(c->ins, 1, b->sha256, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 2, b->note[0] ? b->note : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 3, b->added_by[0] ? b->added_by : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->ins, 4, b->added_at);
	sqlite3_bind_text(c->ins, 5, c->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 6, b->example[0] ? b->example : NULL, -1, SQLITE_STATIC);
	if (sqlite3_step(c->ins) != SQLITE_DONE)
		return -EIO;
	/* like 'wsidctl mark malicious': a node-wide trusted mark would hide it */
	sqlite3_reset(c->untrust);
	sqlite3_bind_blob(c->untrust, 1, b->sha256, SHA256_LEN, SQLITE_STATIC);
	if (sqlite3_step(c->untrust) != SQLITE_DONE)
		return -EIO;
	c->untrusted += (uint64_t)sqlite3_changes(store_db(c->s));
	c->n++;
	return 0;
}

static int
load_trusted(const struct ctl_env *env, const struct bundle_import_opts *o,
	     uint8_t **keys, size_t *nkeys)
{
	size_t n = (env->cfg ? env->cfg->ntrusted_keys : 0) + o->nextra, i, k = 0;
	char err[1024];

	*keys = xcalloc(n ? n : 1, BUNDLE_KEY_LEN);
	for (i = 0; env->cfg && i < env->cfg->ntrusted_keys; i++)
		if (bundle_public_parse(env->cfg->trusted_keys[i], *keys + BUNDLE_KEY_LEN * k++, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: %s: trusted_keys: %s\n", env->cfg->source, err);
			return -EINVAL;
		}
	for (i = 0; i < o->nextra; i++)
		if (bundle_public_parse(o->extra_keys[i], *keys + BUNDLE_KEY_LEN * k++, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: --trusted-key: %s\n", err);
			return -EINVAL;
		}
	*nkeys = k;
	return 0;
}

/* the manifest's set members hold what the index now says for them */
static int
check_counts(struct store *s, const struct bundle_manifest *m, char *err, size_t errsz)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT v.nfiles FROM versions v JOIN products p ON "
					   "p.id=v.product_id WHERE p.name=? AND v.version=?");
	size_t i;
	int r = 0;

	if (q == NULL)
		return -EIO;
	for (i = 0; i < m->nfiles && r == 0; i++) {
		const char *name = m->files[i].name;
		char product[BUNDLE_NAME_MAX + 1], version[BUNDLE_NAME_MAX + 1];

		if (!bundle_member_set(name, product, version))
			continue;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, product, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, version, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_ROW ||
		    (uint64_t)sqlite3_column_int64(q, 0) != m->files[i].count) {
			snprintf(err, errsz, "%s: %lld files, the manifest says %llu", name,
				 sqlite3_column_type(q, 0) == SQLITE_NULL ? -1LL
				 : (long long)sqlite3_column_int64(q, 0),
				 (unsigned long long)m->files[i].count);
			r = -EINVAL;
		}
	}
	sqlite3_finalize(q);
	return r;
}

/* the staged rules/ compiled as the node would compile them (its other
 * configured files included): a rule file that does not compile refuses the
 * import, its message naming the member */
static int
check_staged_rules(const struct ctl_env *env, const char *stage, const char *stage_rules,
		   char *rules_version, char *err, size_t errsz)
{
	const char *const *globs;
	char **paths = NULL, msg[1024], *at;
	size_t ng, np = 0, sl = strlen(stage);
	struct analyse *an = NULL;
	int r;

	ctl_rule_globs(env, &globs, &ng);
	r = bundle_rules_effective_in(stage_rules, globs, ng, &paths, &np, err, errsz);
	if (r == 0 && (r = analyse_new((const char *const *)paths, np, &an, msg, sizeof(msg))) < 0) {
		/* "<stage>/rules/x.yar:3: ..." names the member as rules/x.yar */
		while ((at = strstr(msg, stage)) != NULL && at[sl] == '/')
			memmove(at, at + sl + 1, strlen(at + sl + 1) + 1);
		snprintf(err, errsz, "%s", msg);
	}
	if (r == 0)
		snprintf(rules_version, 65, "%s", analyse_rules_version(an));
	analyse_free(an);
	bundle_rules_free(paths, np);
	return r;
}

/* the daemon compiles the rules again (reload) and judges the cached
 * contents again in the background */
static void
tell_reload(const char *socket)
{
	char *reply = NULL, v[16];

	if (access(socket, F_OK) != 0)
		return;
	if (ctlclient_call(socket, "reload", NULL, 60000, &reply) == 0 &&
	    json_field(reply, "ok", v, sizeof(v)) && strcmp(v, "true") == 0)
		fprintf(stderr, "wsid: rules reloaded, analysed contents are judged again in the "
				"background\n");
	else
		fprintf(stderr, "wsid at %s did not reload the rules: %s\n", socket,
			reply ? reply : "not reachable (it loads them when it starts)");
	free(reply);
}

int
bundle_import(const struct ctl_env *env, const struct bundle_import_opts *o)
{
	uint8_t *keys = NULL, file_sha[SHA256_LEN];
	size_t nkeys = 0, len = 0;
	struct bundle_manifest m;
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	struct store *s = NULL;
	struct bad_ctx bc = { 0 };
	char err[1024] = "", key[BUNDLE_KEY_B64_LEN + 1], by[128], *dbdir = NULL, *stage = NULL;
	char *setsdir = NULL, *badpath = NULL, *bad = NULL, *source = NULL, *label = NULL;
	int64_t last = -1, last_at = 0;
	uint64_t bad_removed = 0;
	bool in_tx = false, has_sets = false, has_rules = false, exchanged = false;
	char *stage_rules = NULL, rules_version[65] = "";
	size_t nrules = 0;
	sqlite3_stmt *q;
	int fd, r, rc = EXIT_ERROR;
	size_t i;

	memset(&m, 0, sizeof(m));
	memset(&st, 0, sizeof(st));
	if (load_trusted(env, o, &keys, &nkeys) < 0)
		goto out;
	fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", esc_name(o->path), strerror(errno));
		goto out;
	}
	{
		struct stat sb;

		if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			fprintf(stderr, "wsidctl: import: %s: not a regular file\n", esc_name(o->path));
			close(fd);
			goto out;
		}
	}
	if (nkeys == 0) {
		fprintf(stderr, "wsidctl: import: no trusted keys: list the fleet's public key under "
				"trusted_keys: in the configuration (or give --trusted-key)\n");
		close(fd);
		goto out;
	}
	/* members go to a private directory beside the database first */
	{
		char *tmp = xstrdup(env->db);

		dbdir = xstrdup(dirname(tmp));
		free(tmp);
	}
	stage = xasprintf("%s/.wsid-import.XXXXXX", dbdir);
	if (mkdtemp(stage) == NULL) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", esc_name(stage), strerror(errno));
		free(stage);
		stage = NULL;
		close(fd);
		goto out;
	}
	r = bundle_read_fd(fd, keys, nkeys, stage, &m, err,
			   sizeof(err));
	if (r == 0) {
		struct hash_result hr;

		hash_fd(fd, 0, NULL, &hr);
		memcpy(file_sha, hr.sha256, SHA256_LEN);
	}
	close(fd);
	if (r < 0) {
		fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
		goto out;
	}
	bundle_key_b64(m.key, key);
	if (o->want_kind && strcmp(o->want_kind, m.kind) != 0) {
		fprintf(stderr, "wsidctl: import: %s: a %s bundle, not a %s bundle\n", esc_name(o->path),
			m.kind, o->want_kind);
		goto out;
	}
	for (i = 0; i < m.nfiles; i++) {
		if (strncmp(m.files[i].name, "sets/", 5) == 0)
			has_sets = true;
		if (strncmp(m.files[i].name, "rules/", 6) == 0)
			nrules++;
	}
	has_rules = nrules > 0;
	if (has_rules && strcmp(m.kind, "index") != 0) {
		fprintf(stderr, "wsidctl: import: %s: refused: a %s bundle holding rule files\n",
			esc_name(o->path), m.kind);
		goto out;
	}
	/* the rules compiled before the database is touched */
	stage_rules = xasprintf("%s/rules", stage);
	if (has_rules && check_staged_rules(env, stage, stage_rules, rules_version, err,
					    sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
		goto out;
	}
	if (strcmp(m.kind, "known-bad") == 0 && has_sets) {
		fprintf(stderr, "wsidctl: import: %s: refused: a known-bad bundle holding fingerprint "
				"sets\n", esc_name(o->path));
		goto out;
	}
	/* known-bad.tsv checked whole before the database is touched */
	badpath = xasprintf("%s/known-bad.tsv", stage);
	if (bundle_manifest_find(&m, "known-bad.tsv")) {
		const struct bundle_file *bf = bundle_manifest_find(&m, "known-bad.tsv");

		if (read_file_maybe_gz(badpath, BUNDLE_MAX_MEMBER, &bad, &len, NULL) < 0 ||
		    bundle_bad_parse(bad, len, bad_count, &bc, err, sizeof(err)) < 0 || bc.n != bf->count) {
			if (bad && err[0] == '\0')
				snprintf(err, sizeof(err), "known-bad.tsv: %llu entries, the manifest says "
					 "%llu", (unsigned long long)bc.n, (unsigned long long)bf->count);
			fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path),
				err[0] ? err : "known-bad.tsv unreadable");
			goto out;
		}
	}

	if (store_open(env->db, STORE_CREATE, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		goto out;
	}
	if (store_begin(s) < 0) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", env->db, sqlite3_errmsg(store_db(s)));
		goto out;
	}
	in_tx = true;
	/* the downgrade guard: newer than the last bundle of this key and kind */
	q = store_prepare(s, "SELECT serial, imported_at FROM bundle_imports WHERE key=? AND kind=? "
			     "ORDER BY id DESC LIMIT 1");
	if (q == NULL)
		goto out;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m.kind, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		last = sqlite3_column_int64(q, 0);
		last_at = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (last >= 0 && m.serial <= (uint64_t)last && !o->allow_downgrade) {
		char when[32];
		time_t t = (time_t)last_at;
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
		fprintf(stderr, "wsidctl: import: %s: refused: serial %llu is not newer than %lld, the "
				"last %s bundle imported from key %s (on %s): an older or replayed "
				"bundle (--allow-downgrade imports it anyway, and records it)\n",
			esc_name(o->path), (unsigned long long)m.serial, (long long)last, m.kind, key,
			when);
		goto out;
	}
	label = xasprintf("bundle #%llu %s: ", (unsigned long long)m.serial, key);
	if (has_sets) {
		const char *dirs[1];

		setsdir = xasprintf("%s/sets", stage);
		dirs[0] = setsdir;
		bo.dirs = dirs;
		bo.ndirs = 1;
		bo.in_txn = true;
		bo.prune = true;
		bo.source_kind = "bundle";
		bo.source_label = label;
		if (fpindex_build(s, &bo, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
			goto out;
		}
		if (check_counts(s, &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: import: %s: refused: %s\n", esc_name(o->path), err);
			goto out;
		}
	}
	if (bad) {
		/* the key's list replaces what its earlier bundles brought */
		source = xasprintf("bundle:%s:%llu", key, (unsigned long long)m.serial);
		bc.s = s;
		bc.n = 0;
		bc.source = source;
		bc.ins = store_prepare(s, "INSERT INTO known_bad(sha256, note, added_by, added_at, source, "
					  "example) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO "
					  "UPDATE SET note=?2, added_by=?3, added_at=?4, source=?5, "
					  "example=coalesce(?6, example) WHERE known_bad.source LIKE 'bundle:%'");
		bc.untrust = store_prepare(s, "DELETE FROM trusted WHERE sha256=? AND customer=''");
		if (bc.ins == NULL || bc.untrust == NULL ||
		    bundle_bad_parse(bad, len, bad_insert, &bc, err, sizeof(err)) < 0) {
			fprintf(stderr, "wsidctl: import: %s: %s\n", env->db, sqlite3_errmsg(store_db(s)));
			sqlite3_finalize(bc.ins);
			sqlite3_finalize(bc.untrust);
			goto out;
		}
		sqlite3_finalize(bc.ins);
		sqlite3_finalize(bc.untrust);
		q = store_prepare(s, "DELETE FROM known_bad WHERE substr(source, 1, ?1)=?2 AND source<>?3");
		if (q) {
			char *prefix = xasprintf("bundle:%s:", key);

			sqlite3_bind_int(q, 1, (int)strlen(prefix));
			sqlite3_bind_text(q, 2, prefix, -1, free);
			sqlite3_bind_text(q, 3, source, -1, SQLITE_STATIC);
			sqlite3_step(q);
			bad_removed = (uint64_t)sqlite3_changes(store_db(s));
			sqlite3_finalize(q);
		}
	}
	ctl_who(by, sizeof(by));
	q = store_prepare(s, "INSERT INTO bundle_imports(key, kind, serial, created_at, imported_at, "
			     "sha256, downgrade, imported_by, sets, known_bad) VALUES(?, ?, ?, ?, ?, ?, ?, "
			     "?, ?, ?)");
	if (q == NULL)
		goto out;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m.kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)m.serial);
	sqlite3_bind_int64(q, 4, m.created);
	sqlite3_bind_int64(q, 5, now_unix());
	sqlite3_bind_blob(q, 6, file_sha, SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_int(q, 7, last >= 0 && m.serial <= (uint64_t)last);
	sqlite3_bind_text(q, 8, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, st.sets_seen);
	sqlite3_bind_int64(q, 10, (int64_t)bc.n);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		goto out;
	if (strcmp(m.kind, "index") == 0) {
		char v[32];

		snprintf(v, sizeof(v), "%llu", (unsigned long long)m.serial);
		store_meta_set(s, "index_serial", v);
		store_meta_set(s, "index_key", key);
		snprintf(v, sizeof(v), "%lld", (long long)m.created);
		store_meta_set(s, "index_created_at", v);
		snprintf(v, sizeof(v), "%lld", (long long)now_unix());
		store_meta_set(s, "index_imported_at", v);
	}
	/* the rules and the database change together: the rules directory is
	 * swapped in one rename, and back when the commit fails */
	if (has_rules && bundle_rules_activate(env->db, stage_rules, &exchanged, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: import: %s\n", err);
		goto out;
	}
	if (store_commit(s) < 0) {
		fprintf(stderr, "wsidctl: import: %s: %s\n", env->db, sqlite3_errmsg(store_db(s)));
		if (has_rules)
			bundle_rules_undo(env->db, stage_rules, exchanged);
		goto out;
	}
	in_tx = false;
	if (last >= 0 && m.serial <= (uint64_t)last)
		fprintf(stderr, "wsidctl: import: serial %llu after %lld: downgrade allowed and "
				"recorded\n", (unsigned long long)m.serial, (long long)last);
	if (env->json) {
		struct buf b;
		struct json j;

		ctl_jout_begin(&b, &j);
		json_kv_name(&j, "bundle", o->path, strlen(o->path));
		json_kv_str(&j, "kind", m.kind);
		json_kv_str(&j, "key", key);
		json_kv_int(&j, "serial", (int64_t)m.serial);
		json_kv_int(&j, "created", m.created);
		json_kv_int(&j, "sets", st.sets_seen);
		json_kv_int(&j, "sets_indexed", st.sets_indexed);
		json_kv_int(&j, "sets_unchanged", st.sets_unchanged);
		json_kv_int(&j, "sets_removed", st.sets_removed);
		json_kv_int(&j, "known_bad", (int64_t)bc.n);
		json_kv_int(&j, "known_bad_removed", (int64_t)bad_removed);
		json_kv_bool(&j, "downgrade", last >= 0 && m.serial <= (uint64_t)last);
		json_kv_int(&j, "rule_files", (int64_t)nrules);
		json_kv_str(&j, "rules_version", has_rules ? rules_version : NULL);
		ctl_jout_end(&b, &j);
	} else {
		printf("imported %s bundle %s: serial %llu from key %s; %u set%s (%u indexed, %u "
		       "unchanged, %u removed), %llu known-bad hash%s (%llu removed)\n", m.kind,
		       esc_name(o->path), (unsigned long long)m.serial, key, st.sets_seen,
		       st.sets_seen == 1 ? "" : "s", st.sets_indexed, st.sets_unchanged,
		       st.sets_removed, (unsigned long long)bc.n, bc.n == 1 ? "" : "es",
		       (unsigned long long)bad_removed);
		if (has_rules)
			printf("rules: %zu rule file%s active (rules version %.12s)\n", nrules,
			       nrules == 1 ? "" : "s", rules_version);
	}
	rc = 0;
out:
	if (in_tx)
		store_rollback(s);
	store_close(s);
	if (stage)
		rm_tree(stage);
	if (rc == 0) {
		if (st.sets_indexed || st.sets_removed)
			ctl_tell_index_changed(env->socket);
		if (bc.n || bad_removed)
			tell_marks(env->socket);
		if (has_rules)
			tell_reload(env->socket);
	}
	free(stage_rules);
	bundle_manifest_free(&m);
	free(keys);
	free(dbdir);
	free(stage);
	free(setsdir);
	free(badpath);
	free(bad);
	free(source);
	free(label);
	return rc;
}

