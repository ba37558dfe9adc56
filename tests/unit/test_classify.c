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
	T_EQ_INT(v(CHANGE_CREATED, "foo/readme.txt", false, KNOWN_ELSEWHERE, 5, 0, false, false, false), VERDICT_FOREIGN);
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
	T_OK(classify_php_head((const unsigned char *)"\xef\xbb\xbf  <?php x", 12));
	T_OK(classify_php_head((const unsigned char *)"<?= 1", 5));
	T_OK(!classify_php_head((const unsigned char *)"GIF89a", 6));
}

int
main(void)
{
	T_RUN(test_rules);
	T_RUN(test_names);
	T_DONE();
}
