// SPDX-License-Identifier: GPL-2.0-or-later
/* ingest over real files: a release directory and the same release as a
 * .tar.gz (made by tar) give the same set, with the top folder stripped from
 * the archive; archives a hostile publisher could craft (an entry with "..",
 * a symlink, a duplicate, another top folder than expected) are refused with
 * the entry named, and nothing is written. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "util.h"
#include "t.h"

static char dir[] = "/tmp/wsid-test-ingest.XXXXXX";

#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
static const char want_set[] = SHA_ABC "  index.php\n" SHA_EMPTY "  wp-includes/x.php\n";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
test_dir_and_tar(void)
{
	struct ingest_opts o = { .product = "wordpress", .version = "6.4.3", .kind = "core" };
	struct ingest_result r = { 0 };
	char src[256], out[256], err[512], *set, *tgz;
	size_t len, tlen;

	T_EQ_INT(sh("mkdir -p %s/rel/wordpress/wp-includes && printf abc > %s/rel/wordpress/index.php && "
		    ": > %s/rel/wordpress/wp-includes/x.php", dir, dir, dir), 0);
	snprintf(src, sizeof(src), "%s/rel/wordpress", dir);
	snprintf(out, sizeof(out), "%s/sets1", dir);
	o.source = src;
	o.outdir = out;
	T_CHECK(ingest_run(&o, &r, err, sizeof(err)) == 0, "%s", err);
	T_EQ_INT(r.files, 2);
	set = r.set_path ? t_slurp(r.set_path, &len) : NULL;
	T_EQ_STR(set, want_set);
	T_OK(r.set_path && strstr(r.set_path, "/sets1/wordpress/6.4.3.sha256"));
	free(set);
	ingest_result_free(&r);

	/* the same release as a tarball in memory: wordpress/ stripped */
	T_EQ_INT(sh("tar -C %s/rel -czf %s/wp.tar.gz wordpress", dir, dir), 0);
	snprintf(src, sizeof(src), "%s/wp.tar.gz", dir);
	tgz = t_slurp(src, &tlen);
	snprintf(out, sizeof(out), "%s/sets2", dir);
	o.outdir = out;
	o.data = tgz;
	o.len = tlen;
	o.strip_top = true;
	o.expect_top = "wordpress";
	memset(&r, 0, sizeof(r));
	T_CHECK(ingest_run(&o, &r, err, sizeof(err)) == 0, "%s", err);
	T_EQ_STR(r.stripped_top, "wordpress");
	set = r.set_path ? t_slurp(r.set_path, &len) : NULL;
	T_EQ_STR(set, want_set);
	free(set);
	ingest_result_free(&r);

	/* another top folder than expected: refused, nothing written */
	snprintf(out, sizeof(out), "%s/sets3", dir);
	o.outdir = out;
	o.expect_top = "joomla";
	memset(&r, 0, sizeof(r));
	T_OK(ingest_run(&o, &r, err, sizeof(err)) < 0 && strstr(err, "'wordpress/'") != NULL);
	ingest_result_free(&r);
	T_OK(access(out, F_OK) < 0 || access(strcat(out, "/wordpress/6.4.3.sha256"), F_OK) < 0);
	free(tgz);
}

/* a crafted tar (python's tarfile) with one hostile entry */
static void
refused(const char *what, const char *py_member, const char *named)
{
	struct ingest_opts o = { .product = "evil", .version = "1.0", .kind = "plugin" };
	struct ingest_result r = { 0 };
	char path[512], out[256], err[512], *data;
	size_t len;

	T_EQ_INT(sh("python3 -c \"import tarfile,io\n"
		    "t=tarfile.open('%s/evil.tar','w')\n"
		    "def add(n,b=b'x',**k):\n"
		    " i=tarfile.TarInfo(n); i.size=len(b)\n"
		    " for a,v in k.items(): setattr(i,a,v)\n"
		    " t.addfile(i, io.BytesIO(b) if i.isreg() else None)\n"
		    "add('evil/ok.php')\n%s\nt.close()\"", dir, py_member), 0);
	snprintf(path, sizeof(path), "%s/evil.tar", dir);
	data = t_slurp(path, &len);
	snprintf(out, sizeof(out), "%s/sets-evil", dir);
	o.source = path;
	o.outdir = out;
	o.data = data;
	o.len = len;
	o.strip_top = true;
	T_CHECK(ingest_run(&o, &r, err, sizeof(err)) < 0 && strstr(err, named) != NULL, "%s: %s", what, err);
	printf("# %s: %s\n", what, err);
	ingest_result_free(&r);
	snprintf(path, sizeof(path), "%s/evil/1.0.sha256", out);
	T_CHECK(access(path, F_OK) < 0, "%s: a set was written", what);
	free(data);
}

static void
test_hostile(void)
{
	refused("dot-dot", "add('evil/../../etc/x.php')", "'..' path component");
	refused("symlink", "add('evil/l.php', b'', type=tarfile.SYMTYPE, linkname='/etc/shadow')", "'evil/l.php' is a symbolic link");
	refused("duplicate", "add('evil/ok.php')", "duplicate entry 'ok.php'");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	T_RUN(test_dir_and_tar);
	T_RUN(test_hostile);
	t_rmtree(dir);
	T_DONE();
}
