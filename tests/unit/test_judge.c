// SPDX-License-Identifier: GPL-2.0-or-later
/* The judge (judge.c) on a real engine: an index built from two releases of
 * a small product, one webspace with that product installed, and changes
 * judged one at a time — what the index knows of the content at its place,
 * unread files, symlinks and special files, marks, the severity override, a
 * web server as the writer, and the rows a judgement fills. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "engine_impl.h"
#include "fpindex.h"
#include "hash.h"
#include "judge.h"
#include "root.h"
#include "fixture.h"
#include "store.h"
#include "t.h"
#include "util.h"

static struct fx fx;
static struct store *s;
static struct engine *e;
static struct webspace *w;
static struct inst_row inst;
static struct inst_row *inst_loaded; /* what the engine loaded, given back */
static size_t ninst_loaded;
static char inst_root[] = "", inst_product[] = "demo", inst_kind[] = "plugin", inst_version[] = "2.0";

static const char other[] = "<?php /* no release has this */ eval($_POST['x']);\n";

static unsigned sev_calls;

/* the severity override: critical for everything of customer acme's `ok` */
static int
severity_cb(void *ud, const char *customer, int verdict, int dflt)
{
	(void)ud;
	sev_calls++;
	if (strcmp(customer, "acme") == 0 && verdict == VERDICT_OK)
		return SEV_CRITICAL;
	return dflt;
}

static void
res_of(struct hash_result *res, enum hash_status status, const char *content)
{
	memset(res, 0, sizeof(*res));
	res->status = status;
	res->mode = S_IFREG | 0644;
	if (content) {
		sha256_buf(content, strlen(content), res->sha256);
		res->size = strlen(content);
		res->headlen = (uint8_t)(res->size < sizeof(res->head) ? res->size : sizeof(res->head));
		memcpy(res->head, content, res->headlen);
	}
}

static void
judge_path(const char *path, enum change_kind change, const struct hash_result *res, int pid,
	   struct judgement *J)
{
	judge(e, w, path, strlen(path), change, res, pid, J);
}

static void
test_release_knowledge(void)
{
	struct hash_result res;
	struct judgement J;

	/* the installed release's own content */
	res_of(&res, HASH_OK, fx_demo_core2);
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_RELEASE);
	T_OK(J.k.release_path);
	T_EQ_INT(J.vd.kind, VERDICT_OK);
	T_OK(J.ir == &inst);
	T_EQ_STR(J.p ? J.p->name : NULL, "demo");
	T_EQ_STR(J.v ? J.v->version : NULL, "2.0");
	/* the older release's content at the same place */
	res_of(&res, HASH_OK, fx_demo_core1);
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_OTHER_VERSION);
	T_EQ_STR(J.k.other ? J.k.other->version : NULL, "1.0");
	T_EQ_INT(J.vd.kind, VERDICT_DOWNGRADE);
	T_OK(held_verdict(J.vd.kind));
	/* content no release has, at a release's path */
	res_of(&res, HASH_OK, other);
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_NONE);
	T_OK(J.k.release_path);
	T_EQ_INT(J.vd.kind, VERDICT_TAMPERED);
	T_OK(J.sev >= SEV_WARNING);
	T_OK(!held_verdict(J.vd.kind));
	/* a release file removed */
	judge_path("lib/core.php", CHANGE_DELETED, NULL, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_DELETED);
	T_OK(held_verdict(J.vd.kind));
}

static void
test_outside_installation(void)
{
	struct hash_result res;
	struct judgement J;
	size_t n = w->ninst;

	/* no installation: a release's content is only known elsewhere */
	w->ninst = 0;
	res_of(&res, HASH_OK, fx_demo_core2);
	judge_path("lib/core.php", CHANGE_CREATED, &res, 0, &J);
	T_OK(J.ir == NULL && J.p == NULL);
	T_EQ_INT(J.k.known, KNOWN_ELSEWHERE);
	T_OK(!J.k.release_path);
	res_of(&res, HASH_OK, other);
	judge_path("notes.php", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_NONE);
	w->ninst = n;
}

static void
test_not_read(void)
{
	struct hash_result res;
	struct judgement J;

	res_of(&res, HASH_SYMLINK, NULL);
	res.mode = S_IFLNK | 0777;
	judge_path("link.php", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_SUSPICIOUS);
	T_EQ_INT(J.vd.severity, SEV_WARNING);
	T_OK(strstr(J.vd.reason, "symbolic link") != NULL);
	res_of(&res, HASH_NOT_REGULAR, NULL);
	res.mode = S_IFIFO | 0600;
	judge_path("pipe", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_SUSPICIOUS);
	T_OK(strstr(J.vd.reason, "FIFO") != NULL);
	/* a lease kept it closed: judged again later, the name still counts */
	res_of(&res, HASH_LOCKED, NULL);
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_LOCKED);
	T_OK(strstr(J.vd.reason, "lease") != NULL);
	T_OK(status_unsettled(HASH_LOCKED) && status_unsettled(HASH_CHANGED));
	T_OK(!status_unsettled(HASH_OK));
	res_of(&res, HASH_CHANGED, NULL);
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_CHANGING);
	/* a deletion of a symlink is a deletion */
	res_of(&res, HASH_SYMLINK, NULL);
	judge_path("link.php", CHANGE_DELETED, &res, 0, &J);
	T_OK(strstr(J.vd.reason, "symbolic link") == NULL);
}

static void
test_marks(void)
{
	struct hash_result res;
	struct judgement J;
	char sql[300], hex[2 * SHA256_LEN + 1];
	size_t i;

	res_of(&res, HASH_OK, other);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", res.sha256[i]);
	snprintf(sql, sizeof(sql), "INSERT INTO known_bad(sha256, added_at) VALUES (x'%s', 1)", hex);
	T_EQ_INT(store_exec(s, sql), 0);
	state_marks_changed(e->st);
	judge_path("notes.php", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_MALICIOUS);
	T_EQ_INT(J.sev, SEV_CRITICAL);
	/* trusted for this customer: the same content at a release path is no
	 * longer tampered */
	res_of(&res, HASH_OK, fx_demo_index_php);
	res.sha256[0] ^= 1; /* content no release has */
	judge_path("index.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.vd.kind, VERDICT_TAMPERED);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", res.sha256[i]);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO trusted(sha256, customer, added_at) VALUES (x'%s', 'acme', 1)", hex);
	T_EQ_INT(store_exec(s, sql), 0);
	state_marks_changed(e->st);
	judge_path("index.php", CHANGE_MODIFIED, &res, 0, &J);
	T_OK(J.vd.kind != VERDICT_TAMPERED);
}

static void
test_severity_and_writer(void)
{
	struct hash_result res;
	struct judgement J;
	unsigned before = sev_calls;
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	char *const globs[1] = { comm };

	/* the override is asked for every judgement and applied to sev only */
	res_of(&res, HASH_OK, fx_demo_core2);
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 0, &J);
	T_OK(sev_calls > before);
	T_EQ_INT(J.vd.kind, VERDICT_OK);
	T_EQ_INT(J.vd.severity, verdict_default_severity(VERDICT_OK));
	T_EQ_INT(J.sev, SEV_CRITICAL);
	/* a suspicious file written by a process that matches web_server:
	 * one level more, and said so */
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	T_OK(comm[0] != '\0');
	e->o.web_server = globs;
	e->o.nweb_server = 1;
	res_of(&res, HASH_SYMLINK, NULL);
	judge_path("link.php", CHANGE_CREATED, &res, getpid(), &J);
	T_OK(J.have_writer);
	T_EQ_STR(J.writer.comm, comm);
	T_EQ_INT(J.vd.severity, SEV_WARNING);
	T_EQ_INT(J.sev, SEV_CRITICAL);
	T_OK(strstr(J.vd.reason, "written by the web server") != NULL);
	/* at baseline the writer is not asked */
	judge_path("link.php", CHANGE_BASELINE, &res, getpid(), &J);
	T_OK(!J.have_writer);
	T_EQ_INT(J.sev, SEV_WARNING);
	e->o.web_server = NULL;
	e->o.nweb_server = 0;
}

static void
test_rows(void)
{
	struct hash_result res;
	struct judgement J;
	struct event_row ev;
	struct file_row row;

	res_of(&res, HASH_OK, fx_demo_core1);
	res.ino = 42;
	judge_path("lib/core.php", CHANGE_MODIFIED, &res, 1234, &J);
	event_from_judgement(&ev, w, "lib/core.php", 12, CHANGE_MODIFIED, &J, 1234, "live");
	T_EQ_INT(ev.webspace_id, w->id);
	T_EQ_STR(ev.customer, "acme");
	T_EQ_INT(ev.verdict, VERDICT_DOWNGRADE);
	T_EQ_INT(ev.known, KNOWN_OTHER_VERSION);
	T_EQ_STR(ev.product, "demo");
	T_EQ_STR(ev.version, "2.0");
	T_EQ_STR(ev.other_version, "1.0");
	T_EQ_INT(ev.installation_id, inst.id);
	T_EQ_INT(ev.pid, 1234);
	T_EQ_STR(ev.source, "live");
	T_OK(ev.time_ns > 0);
	file_row_fill(&row, w, "lib/core.php", 12, &res, &J);
	T_EQ_INT(row.webspace_id, w->id);
	T_OK(row.has_sha && memcmp(row.sha256, res.sha256, SHA256_LEN) == 0);
	T_EQ_INT(row.ino, 42);
	T_EQ_STR(row.status, hash_status_name(HASH_OK));
	T_EQ_STR(row.verdict, verdict_name(VERDICT_DOWNGRADE));
	T_EQ_STR(row.known, known_name(KNOWN_OTHER_VERSION));
	T_EQ_INT(row.installation_id, inst.id);
	strcpy(row.status, hash_status_name(HASH_CHANGED));
	T_OK(row_unsettled(&row));
	strcpy(row.status, hash_status_name(HASH_OK));
	T_OK(!row_unsettled(&row));
}

static void
test_components(void)
{
	struct hash_result res;
	struct judgement J;
	char cdir[] = "wp-content/plugins";
	char *const cdirs[1] = { cdir };
	const char *p = "site/wp-content/plugins/forms/forms.php";

	e->o.component_dirs = cdirs;
	e->o.ncomponent_dirs = 1;
	res_of(&res, HASH_OK, other);
	judge_path(p, CHANGE_CREATED, &res, 0, &J);
	/* the consensus key starts at the component directory */
	T_OK(J.ckey != NULL && J.cklen == strlen(p) - 5 && memcmp(J.ckey, p + 5, J.cklen) == 0);
	judge_path("site/wp-content/plugins/forms", CHANGE_CREATED, &res, 0, &J);
	T_OK(J.ckey == NULL); /* a slug directory, no file below it */
	T_OK(!comp_keys_survive(e, "old/wp-content", 14));
	T_OK(!comp_keys_survive(e, "wp-content", 10));
	T_OK(comp_keys_survive(e, "lib/vendor", 10));
	e->o.component_dirs = NULL;
	e->o.ncomponent_dirs = 0;
}

/* An index build while the engine runs (what wsidctl index build or an
 * import does) is seen by the next transaction's judgements at once, its
 * contents and its paths: the filter the lookups ask first is built again
 * with the generation. */
static void
test_index_follow(void)
{
	static const char added[] = "<?php /* only release 3.0 has this */\n";
	struct fpindex_build_opts bo = { 0 };
	struct fpindex_build_stats st;
	struct hash_result res;
	struct judgement J;
	uint8_t h[SHA256_LEN];
	char fp[300], set[200], hex[2 * SHA256_LEN + 1], err[256];
	const char *dirs[1] = { fp };
	size_t n = w->ninst;

	res_of(&res, HASH_OK, added);
	judge_path("lib/added.php", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_NONE);
	T_OK(!J.k.release_path);
	w->ninst = 0;
	judge_path("notes.txt", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_NONE);
	w->ninst = n;
	snprintf(fp, sizeof(fp), "%s/fp", fx.dir);
	sha256_buf(added, strlen(added), h);
	hex_encode(h, sizeof(h), hex);
	snprintf(set, sizeof(set), "%s  lib/added.php\n", hex);
	T_EQ_INT(fx_put_at(fp, "demo/3.0.sha256", set), 0);
	bo.dirs = dirs;
	bo.ndirs = 1;
	T_EQ_INT(fpindex_build(s, &bo, &st, err, sizeof(err)), 0);
	batch_begin(e); /* the daemon's next transaction */
	/* at its path in the installation (2.0): the newer release's file */
	judge_path("lib/added.php", CHANGE_CREATED, &res, 0, &J);
	T_OK(!J.k.release_path); /* not a path of 2.0 */
	T_EQ_INT(J.k.known, KNOWN_OTHER_VERSION);
	T_EQ_STR(J.k.other ? J.k.other->version : NULL, "3.0");
	/* anywhere else: known elsewhere */
	w->ninst = 0;
	judge_path("notes.txt", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_ELSEWHERE);
	w->ninst = n;
	engine_flush(e);
}

/* The index's filter is built once SQLite has answered a few hundred of the
 * daemon's lookups, at the start of the next transaction (a start that judges
 * nothing new never builds it), and again after the index changed; with it,
 * judgements are what they were without. */
static void
test_filter_lazy(void)
{
	static const char rel[] = "<?php /* only release 3.0 has this */\n";
	struct hash_result res;
	struct judgement J;
	char path[64], content[64];
	uint64_t asked0;
	int i;

	engine_flush(e);
	batch_begin(e);
	T_OK(fpindex_lookup_filter(e->lk) == NULL); /* few lookups so far */
	asked0 = fpindex_lookup_asked(e->lk);
	T_OK(asked0 < 512);
	for (i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "lib/new-%d.php", i);
		snprintf(content, sizeof(content), "<?php /* new %d */\n", i);
		res_of(&res, HASH_OK, content);
		judge_path(path, CHANGE_CREATED, &res, 0, &J);
		T_EQ_INT(J.k.known, KNOWN_NONE);
	}
	T_OK(fpindex_lookup_asked(e->lk) >= asked0 + 600);
	T_OK(fpindex_lookup_filter(e->lk) == NULL); /* not within a transaction */
	engine_flush(e);
	batch_begin(e);
	T_OK(fpindex_lookup_filter(e->lk) != NULL);
	/* the same answers through it: an unknown content, a content of 3.0 */
	res_of(&res, HASH_OK, "<?php /* new 7 */\n");
	judge_path("lib/new-7.php", CHANGE_MODIFIED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_NONE);
	res_of(&res, HASH_OK, rel);
	judge_path("lib/added.php", CHANGE_CREATED, &res, 0, &J);
	T_EQ_INT(J.k.known, KNOWN_OTHER_VERSION);
	engine_flush(e);
}

static int
setup(void)
{
	struct engine_opts o = { 0 };
	int64_t id;

	if (fx_open(&fx, "judge") < 0 || fx_index_demo(&fx) < 0)
		return -1;
	s = fx.s;
	o.dbpath = fx.db;
	o.hash_workers = 1;
	o.severity = severity_cb;
	if (engine_new(s, &o, &e) < 0)
		return -1;
	if (fx_webspace(e, fx_path(&fx, "site"), "acme", &id) < 0)
		return -1;
	w = ws_get(e, id);
	if (w == NULL)
		return -1;
	/* demo 2.0 installed at the webspace's root */
	inst_loaded = w->inst;
	ninst_loaded = w->ninst;
	inst.id = 7;
	inst.webspace_id = id;
	inst.root = inst_root;
	inst.product = inst_product;
	inst.kind = inst_kind;
	inst.version = inst_version;
	w->inst = &inst;
	w->ninst = 1;
	return 0;
}

int
main(void)
{
	T_OK(setup() == 0);
	if (e && w) {
		T_RUN(test_release_knowledge);
		T_RUN(test_outside_installation);
		T_RUN(test_not_read);
		T_RUN(test_marks);
		T_RUN(test_severity_and_writer);
		T_RUN(test_rows);
		T_RUN(test_components);
		T_RUN(test_index_follow);
		T_RUN(test_filter_lazy);
		w->inst = inst_loaded; /* inst is the test's own */
		w->ninst = ninst_loaded;
	}
	engine_free(e);
	fx_close(&fx);
	T_DONE();
}
