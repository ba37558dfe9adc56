// SPDX-License-Identifier: GPL-2.0-or-later
/* classify: the verdict rules, product-independent. */
#include "classify.h"
#include "t.h"

static enum verdict_kind
v(enum change_kind ch, const char *path, bool release, enum content_known k, int vr, int or_,
  bool upload, bool php, bool bad)
{
	struct classify_input in = { 0 };
	struct verdict out;

	in.change = ch;
	in.relpath = path;
	in.rlen = strlen(path);
	in.in_installation = true;
	in.release_path = release;
	in.known = k;
	in.version_rank = vr;
	in.other_rank = or_;
	in.product = "wordpress";
	in.version = "6.1.9";
	in.other_version = "6.4.3";
	in.in_upload_dir = upload;
	in.php_head = php;
	in.known_bad = bad;
	classify_change(&in, &out);
	return out.kind;
}

static void
test_rules(void)
{
	T_EQ_INT(v(CHANGE_MODIFIED, "wp-login.php", true, KNOWN_RELEASE, 5, 0, false, true, false), VERDICT_OK);
	T_EQ_INT(v(CHANGE_MODIFIED, "wp-login.php", true, KNOWN_OTHER_VERSION, 5, 9, false, true, false), VERDICT_UPDATE);
	T_EQ_INT(v(CHANGE_MODIFIED, "wp-login.php", true, KNOWN_OTHER_VERSION, 5, 2, false, true, false), VERDICT_DOWNGRADE);
	T_EQ_INT(v(CHANGE_MODIFIED, "wp-login.php", true, KNOWN_NONE, 5, 0, false, true, false), VERDICT_TAMPERED);
	T_EQ_INT(v(CHANGE_MODIFIED, "wp-login.php", true, KNOWN_NONE, 5, 0, false, true, true), VERDICT_MALICIOUS);
	T_EQ_INT(v(CHANGE_CREATED, "wp-content/uploads/2024/05/shell.php", false, KNOWN_NONE, 5, 0, true, true, false), VERDICT_SUSPICIOUS);
	T_EQ_INT(v(CHANGE_CREATED, "wp-content/uploads/2024/05/cat.jpg", false, KNOWN_NONE, 5, 0, true, false, false), VERDICT_IGNORED);
	T_EQ_INT(v(CHANGE_CREATED, "wp-content/uploads/2024/05/cat.jpg", false, KNOWN_NONE, 5, 0, true, true, false), VERDICT_SUSPICIOUS);
	T_EQ_INT(v(CHANGE_CREATED, "wp-content/uploads/wp-login.php", false, KNOWN_ELSEWHERE, 5, 0, true, true, false), VERDICT_SUSPICIOUS);
	T_EQ_INT(v(CHANGE_CREATED, "x.jpg.php", false, KNOWN_NONE, 5, 0, false, true, false), VERDICT_SUSPICIOUS);
	T_EQ_INT(v(CHANGE_CREATED, ".hidden.php", false, KNOWN_NONE, 5, 0, false, true, false), VERDICT_SUSPICIOUS);
	T_EQ_INT(v(CHANGE_CREATED, "custom.php", false, KNOWN_NONE, 5, 0, false, true, false), VERDICT_NEW);
	T_EQ_INT(v(CHANGE_MODIFIED, "custom.php", false, KNOWN_NONE, 5, 0, false, true, false), VERDICT_CHANGED_UNKNOWN);
	T_EQ_INT(v(CHANGE_CREATED, "foo/jquery.slim.min.js", false, KNOWN_ELSEWHERE, 5, 0, false, false, false), VERDICT_FOREIGN);
	T_EQ_INT(v(CHANGE_CREATED, "foo/helper.php", false, KNOWN_ELSEWHERE, 5, 0, false, true, false), VERDICT_FOREIGN);
	T_EQ_INT(v(CHANGE_DELETED, "wp-cron.php", true, KNOWN_NONE, 5, 0, false, false, false), VERDICT_DELETED);
	T_EQ_INT(v(CHANGE_DELETED, "notes.txt", false, KNOWN_NONE, 5, 0, false, false, false), VERDICT_CHANGED_UNKNOWN);
	T_EQ_INT(v(CHANGE_DELETED, "wp-content/uploads/cat.jpg", false, KNOWN_NONE, 5, 0, true, false, false), VERDICT_IGNORED);
	T_EQ_INT(verdict_default_severity(VERDICT_SUSPICIOUS), SEV_WARNING);
	T_EQ_INT(verdict_parse("version-lie"), VERDICT_VERSION_LIE);
	T_EQ_INT(verdict_parse("nope"), -1);
}

static void
test_names(void)
{
	T_OK(classify_double_ext("a/x.jpg.php", 11));
	T_OK(!classify_double_ext("a/x.php", 7));
	T_OK(!classify_double_ext("jquery.min.js", 13));
	T_OK(classify_hidden_code("up/.cache.php", 13));
	T_OK(!classify_hidden_code("up/.htaccess", 12));
	T_OK(classify_generic_upload_dir("site/images/a.php", 17));
	T_OK(!classify_generic_upload_dir("images", 6));
	/* lower case only: SimplePie's Cache/ is a class folder */
	T_OK(!classify_generic_upload_dir("php/SimplePie/Cache/File.php", 28));
	T_OK(classify_generic_upload_dir("app/cache/x.php", 15));
	T_OK(classify_generic_cache_dir("app/tmp/x.php", 13));
	T_OK(!classify_generic_cache_dir("wp-content/uploads/x.php", 24));
	T_OK(classify_generic_cache_dir("wiki/includes/upload/UploadBase.php", 35));
	T_OK(classify_generic_cache_dir("doku/lib/images/smileys/index.php", 33));
	T_OK(classify_php_head((const unsigned char *)"\xef\xbb\xbf  <?php x", 12));
	T_OK(classify_php_head((const unsigned char *)"<?= 1", 5));
	T_OK(!classify_php_head((const unsigned char *)"GIF89a", 6));
}

static struct verdict
vd(const char *path, enum content_known k, bool upload, bool product_upload, bool php)
{
	struct classify_input in = { 0 };
	struct verdict out;

	in.change = CHANGE_CREATED;
	in.relpath = path;
	in.rlen = strlen(path);
	in.known = k;
	in.in_upload_dir = upload;
	in.in_product_upload_dir = product_upload;
	in.php_head = php;
	classify_change(&in, &out);
	return out;
}

/* what the name or the place alone says is marked so: a clean analysis of the
 * content clears it (tests/integration/analysis.sh, webapp.sh) */
static void
test_by_name(void)
{
	struct verdict o;

	/* Debian's getID3 modules: a double extension, by name only */
	o = vd("php-getid3/module.audio.mp3.php", KNOWN_NONE, false, false, true);
	T_EQ_INT(o.kind, VERDICT_SUSPICIOUS);
	T_OK(o.by_name);
	o = vd("vendor/.php-cs-fixer.dist.php", KNOWN_NONE, false, false, true);
	T_EQ_INT(o.kind, VERDICT_SUSPICIOUS);
	T_OK(o.by_name);
	/* DokuWiki's extension manager: conf/plugins.local.php.bak */
	o = vd("conf/plugins.local.php.bak", KNOWN_NONE, false, false, true);
	T_EQ_INT(o.kind, VERDICT_SUSPICIOUS);
	T_OK(o.by_name);
	/* a cache folder: applications compile templates into it */
	o = vd("app/cache/twig/ab/cd.php", KNOWN_NONE, true, false, true);
	T_EQ_INT(o.kind, VERDICT_SUSPICIOUS);
	T_OK(o.by_name);
	/* an upload folder, generic or named by the product: the place decides */
	o = vd("wp-content/uploads/2024/05/shell.php", KNOWN_NONE, true, true, true);
	T_EQ_INT(o.kind, VERDICT_SUSPICIOUS);
	T_OK(!o.by_name);
	o = vd("data/media/wiki/thumb.php", KNOWN_NONE, true, true, true);
	T_OK(!o.by_name);
	o = vd("data/cache/1/x.php", KNOWN_NONE, true, true, true); /* DokuWiki names data/cache */
	T_OK(!o.by_name);
	o = vd("site/uploads/cache/x.php", KNOWN_NONE, true, false, true);
	T_OK(!o.by_name);
	/* MediaWiki's includes/upload/, DokuWiki's lib/images/: code folders */
	o = vd("wiki/includes/upload/UploadBase.php", KNOWN_NONE, true, false, true);
	T_EQ_INT(o.kind, VERDICT_SUSPICIOUS);
	T_OK(o.by_name);
	o = vd("doku/lib/images/smileys/index.php", KNOWN_NONE, true, false, true);
	T_OK(o.by_name);
	/* ... while MediaWiki's set names images/ for uploads */
	o = vd("images/a/ab/x.php", KNOWN_NONE, true, true, true);
	T_OK(!o.by_name);
	o = vd("custom.php", KNOWN_NONE, false, false, true);
	T_EQ_INT(o.kind, VERDICT_NEW);
	T_OK(!o.by_name);
}

/* known content of another product is evidence only when it can run or
 * carry code: a licence, a read-me or an image is not */
static void
test_inert(void)
{
	T_EQ_INT(vd("wiki/COPYING", KNOWN_ELSEWHERE, false, false, false).kind, VERDICT_NEW);
	T_EQ_INT(vd("lib/LICENSE.txt", KNOWN_ELSEWHERE, false, false, false).kind, VERDICT_NEW);
	T_EQ_INT(vd("lib/README.md", KNOWN_ELSEWHERE, false, false, false).kind, VERDICT_NEW);
	T_EQ_INT(vd("skins/x/logo.png", KNOWN_ELSEWHERE, false, false, false).kind, VERDICT_NEW);
	T_EQ_INT(vd("wp-content/uploads/logo.png", KNOWN_ELSEWHERE, true, true, false).kind, VERDICT_IGNORED);
	T_EQ_INT(vd("js/jquery.min.js", KNOWN_ELSEWHERE, false, false, false).kind, VERDICT_FOREIGN);
	T_EQ_INT(vd("x/license.php", KNOWN_ELSEWHERE, false, false, true).kind, VERDICT_FOREIGN);
	T_OK(classify_inert_name("a/COPYING", 9));
	T_OK(classify_inert_name("a/CHANGELOG-1.x", 15));
	T_OK(classify_inert_name("jquery.i18n/GPL-LICENSE", 23));
	T_OK(!classify_inert_name("a/license-check.php", 19));
	T_OK(!classify_inert_name("a/licensed", 10));
	T_OK(!classify_inert_name("a/install.php", 13));
	T_OK(!classify_inert_name("a/app.js", 8));
}

/* an image is analysed once PHP shows in it, wherever it lies; code that is
 * no release always; release content never */
static void
test_analyse_wanted(void)
{
	T_OK(classify_analyse_wanted("data/media/wiki/banner.png", 26, false, true, VERDICT_IGNORED));
	T_OK(classify_analyse_wanted("wp-content/uploads/logo.JPG", 27, false, true, VERDICT_IGNORED));
	T_OK(classify_analyse_wanted("favicon.ico", 11, false, true, VERDICT_NEW));
	T_OK(!classify_analyse_wanted("data/media/wiki/logo.png", 24, false, false, VERDICT_IGNORED));
	T_OK(!classify_analyse_wanted("lib/images/logo.png", 19, false, true, VERDICT_OK));
	T_OK(!classify_analyse_wanted("notes.txt", 9, false, true, VERDICT_NEW));
	T_OK(classify_analyse_wanted("notes.txt", 9, true, true, VERDICT_NEW));
	T_OK(classify_analyse_wanted("x.php", 5, false, false, VERDICT_NEW));
	T_OK(classify_analyse_wanted(".user.ini", 9, false, false, VERDICT_SUSPICIOUS));
	T_OK(!classify_analyse_wanted("x.php", 5, false, false, VERDICT_OK));
	T_OK(!classify_analyse_wanted("x.php", 5, false, false, VERDICT_UPDATE));
	T_OK(!classify_analyse_wanted("x.php", 5, false, false, VERDICT_IGNORED));
	T_OK(classify_media_name("a/b.jpeg", 8));
	T_OK(!classify_media_name("a/b.jpeg.php", 12));
}

/* WordPress unpacks a theme into wp-content/upgrade/ and moves it seconds
 * later: known content there is the updater's, not foreign */
static void
test_staging(void)
{
	struct classify_input in = { 0 };
	struct verdict out;
	const char *p = "wp-content/upgrade/twentytwenty-x1/functions.php";

	in.change = CHANGE_CREATED;
	in.relpath = p;
	in.rlen = strlen(p);
	in.in_installation = true;
	in.known = KNOWN_ELSEWHERE;
	in.in_staging_dir = true;
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_NEW);
	T_EQ_INT(out.severity, SEV_INFO);
	in.known = KNOWN_OTHER_VERSION; /* a core update unpacked */
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_NEW);
	in.known = KNOWN_NONE; /* unknown code there: new, and analysed */
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_NEW);
	T_OK(classify_analyse_wanted(p, strlen(p), false, false, out.kind));
	in.known_bad = true;
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_MALICIOUS);
	in.known_bad = false;
	in.in_staging_dir = false; /* the same elsewhere */
	in.known = KNOWN_ELSEWHERE;
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_FOREIGN);
}

/* a script another product ships too: foreign alone, an unknown
 * application's own copy among code no index knows; server-side code known
 * elsewhere stays foreign there too */
static void
test_vendored(void)
{
	struct classify_input in = { 0 };
	struct verdict out;
	const char *js = "wiki/resources/lib/fetch-polyfill/fetch.umd.js", *php = "wiki/lib/helper.php";

	in.change = CHANGE_CREATED;
	in.relpath = js;
	in.rlen = strlen(js);
	in.known = KNOWN_ELSEWHERE;
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_FOREIGN);
	T_EQ_INT(out.severity, SEV_WARNING);
	in.beside_unknown_code = true;
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_NEW);
	T_EQ_INT(out.severity, SEV_INFO);
	in.change = CHANGE_MODIFIED;
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_CHANGED_UNKNOWN);
	in.relpath = php;
	in.rlen = strlen(php);
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_FOREIGN);
	/* the content classify_code_content reads: by name, head or PHP in an image */
	T_OK(classify_code_content(php, strlen(php), NULL, 0, false));
	T_OK(!classify_code_content(js, strlen(js), (const unsigned char *)"(function", 9, true));
	T_OK(classify_code_content("a.txt", 5, (const unsigned char *)"<?php ", 6, false));
	T_OK(!classify_code_content("up/logo.jpg", 11, (const unsigned char *)"\xff\xd8\xff", 3, false));
	T_OK(classify_code_content("up/logo.jpg", 11, (const unsigned char *)"\xff\xd8\xff", 3, true));
}

/* the severity of a release file's content from an older release: a script
 * brings fixed vulnerabilities back (warning), an image or a document runs
 * nothing (notice) */
static enum severity
downgrade_severity(const char *path)
{
	struct classify_input in = { 0 };
	struct verdict out;

	in.change = CHANGE_BASELINE;
	in.relpath = path;
	in.rlen = strlen(path);
	in.in_installation = true;
	in.release_path = true;
	in.known = KNOWN_OTHER_VERSION;
	in.version_rank = 5;
	in.other_rank = 2;
	in.product = "wordpress";
	in.version = "6.1.9";
	in.other_version = "3.4.2";
	classify_change(&in, &out);
	T_EQ_INT(out.kind, VERDICT_DOWNGRADE);
	return out.severity;
}

static void
test_downgrade_severity(void)
{
	T_EQ_INT(downgrade_severity("wp-includes/js/crop/marqueeHoriz.gif"), SEV_NOTICE);
	T_EQ_INT(downgrade_severity("license.txt"), SEV_NOTICE);
	T_EQ_INT(downgrade_severity("wp-login.php"), SEV_WARNING);
	T_EQ_INT(downgrade_severity("wp-includes/js/jquery/jquery.js"), SEV_WARNING);
	T_EQ_INT(downgrade_severity("wp-includes/css/buttons.css"), SEV_WARNING);
}

int
main(void)
{
	T_RUN(test_rules);
	T_RUN(test_downgrade_severity);
	T_RUN(test_names);
	T_RUN(test_by_name);
	T_RUN(test_inert);
	T_RUN(test_vendored);
	T_RUN(test_analyse_wanted);
	T_RUN(test_staging);
	T_DONE();
}
