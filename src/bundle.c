// SPDX-License-Identifier: GPL-2.0-or-later
/* Signed bundles; see bundle.h. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyse.h"
#include "fdio.h"
#include "fpset.h"
#include "hash.h"

#define MAGIC "wsid-bundle"
#define SECRET_TAG "wsid-ed25519-secret"
#define SIG_TEXT_MAX 256

/* ---- manifest ---- */

void
bundle_manifest_free(struct bundle_manifest *m)
{
	size_t i;

	for (i = 0; i < m->nfiles; i++)
		free(m->files[i].name);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

const struct bundle_file *
bundle_manifest_find(const struct bundle_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

/* sets/<product>/<file>: the product and the file name, checked */
static bool
split_set_member(const char *name, char product[BUNDLE_NAME_MAX + 1], const char **file)
{
	const char *p = name + 5, *slash;

	if (strlen(name) > BUNDLE_NAME_MAX || strncmp(name, "sets/", 5) != 0)
		return false;
	slash = strchr(p, '/');
	if (slash == NULL || slash == p)
		return false;
	memcpy(product, p, (size_t)(slash - p));
	product[slash - p] = '\0';
	*file = slash + 1;
	return fpset_check_product(product) == 0 && strchr(*file, '/') == NULL;
}

bool
bundle_member_set(const char *name, char product[BUNDLE_NAME_MAX + 1],
		  char version[BUNDLE_NAME_MAX + 1])
{
	const char *file;
	size_t fl;

	if (!split_set_member(name, product, &file))
		return false;
	fl = strlen(file);
	if (fl <= 10 || strcmp(file + fl - 10, ".sha256.gz") != 0)
		return false;
	memcpy(version, file, fl - 10);
	version[fl - 10] = '\0';
	return fpset_check_version(version) == 0;
}

bool
bundle_rule_name_ok(const char *file)
{
	size_t n = strlen(file);

	return n > 4 && n <= 100 && file[0] != '.' &&
	       strspn(file, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
	       (strcmp(file + n - 4, ".yar") == 0 || (n > 5 && strcmp(file + n - 5, ".yara") == 0));
}

bool
bundle_member_name_ok(const char *name)
{
	char product[BUNDLE_NAME_MAX + 1], version[BUNDLE_NAME_MAX + 1];
	const char *file;

	if (strcmp(name, "known-bad.tsv") == 0 || bundle_member_set(name, product, version))
		return true;
	if (strncmp(name, "rules/", 6) == 0)
		return bundle_rule_name_ok(name + 6);
	return split_set_member(name, product, &file) &&
	       (strcmp(file, "product.yaml") == 0 || strcmp(file, "versions.tsv") == 0);
}

/* a decimal without sign or leading zeros, at most max */
static bool
parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* canonical base64 only: one text per key (the decoder tolerates bytes and
 * padding bits that would give two spellings of one key) */
static int
parse_key_b64(const char *s, size_t n, uint8_t pk[BUNDLE_KEY_LEN])
{
	char back[BUNDLE_KEY_B64_LEN + 1];
	size_t len = 0;

	if (n != BUNDLE_KEY_B64_LEN ||
	    sodium_base642bin(pk, BUNDLE_KEY_LEN, s, n, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != BUNDLE_KEY_LEN)
		return -EINVAL;
	sodium_bin2base64(back, sizeof(back), pk, BUNDLE_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (memcmp(back, s, BUNDLE_KEY_B64_LEN) != 0)
		return -EINVAL;
	return 0;
}

void
bundle_key_b64(const uint8_t pk[BUNDLE_KEY_LEN], char out[BUNDLE_KEY_B64_LEN + 1])
{
	sodium_bin2base64(out, BUNDLE_KEY_B64_LEN + 1, pk, BUNDLE_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

#define MERR(...)                                                                   \
	do {                                                                        \
		int o_ = snprintf(err, errsz, "MANIFEST:%zu: ", lineno);           \
		if (o_ > 0 && (size_t)o_ < errsz)                                   \
			snprintf(err + o_, errsz - (size_t)o_, __VA_ARGS__);        \
		r = -EINVAL;                                                        \
		goto fail;                                                          \
	} while (0)

int
bundle_manifest_parse(const char *data, size_t len, struct bundle_manifest *m, char *err,
		      size_t errsz)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0;
	int stage = 0; /* 0 magic, 1 kind, 2 key, 3 serial, 4 created, 5 files, 6 after end */
	int r = 0;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	if (len > BUNDLE_MAX_MANIFEST) {
		snprintf(err, errsz, "MANIFEST: larger than %u bytes", BUNDLE_MAX_MANIFEST);
		return -EFBIG;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *sp;
		size_t ll;
		uint64_t v;

		lineno++;
		if (nl == NULL)
			MERR("the last line has no newline (truncated?)");
		ll = (size_t)(nl - p);
		p = nl + 1;
		if (memchr(line, '\0', ll) || memchr(line, '\r', ll))
			MERR("NUL or CR byte");
		if (stage == 6)
			MERR("text after 'end'");
		sp = memchr(line, ' ', ll);
		switch (stage) {
		case 0:
			if (ll != strlen(MAGIC) + 2 || memcmp(line, MAGIC " ", strlen(MAGIC) + 1) != 0)
				MERR("not a wsid bundle manifest (expected '" MAGIC " %d')", BUNDLE_FORMAT);
			if (line[ll - 1] != '0' + BUNDLE_FORMAT)
				MERR("bundle format %c, this wsid reads format %d", line[ll - 1],
				     BUNDLE_FORMAT);
			m->format = BUNDLE_FORMAT;
			break;
		case 1:
			if (ll == 10 && memcmp(line, "kind index", 10) == 0)
				snprintf(m->kind, sizeof(m->kind), "index");
			else if (ll == 14 && memcmp(line, "kind known-bad", 14) == 0)
				snprintf(m->kind, sizeof(m->kind), "known-bad");
			else
				MERR("expected 'kind index' or 'kind known-bad'");
			break;
		case 2:
			if (sp == NULL || (size_t)(sp - line) != 3 || memcmp(line, "key", 3) != 0 ||
			    parse_key_b64(sp + 1, ll - 4, m->key) < 0)
				MERR("expected 'key <base64 Ed25519 public key>'");
			break;
		case 3:
			if (sp == NULL || (size_t)(sp - line) != 6 || memcmp(line, "serial", 6) != 0 ||
			    !parse_u64(sp + 1, ll - 7, (uint64_t)INT64_MAX, &m->serial) || m->serial == 0)
				MERR("expected 'serial <positive number>'");
			break;
		case 4:
			if (sp == NULL || (size_t)(sp - line) != 7 || memcmp(line, "created", 7) != 0 ||
			    !parse_u64(sp + 1, ll - 8, (uint64_t)INT64_MAX, &v))
				MERR("expected 'created <unix seconds>'");
			m->created = (int64_t)v;
			break;
		case 5: {
			/* file <hex> <bytes> <count> <name> | end */
			const char *f[4];
			size_t fl[4], k;
			const char *q = line + 5, *qend = line + ll;
			struct bundle_file *bf;
			char name[BUNDLE_NAME_MAX + 1];

			if (ll == 3 && memcmp(line, "end", 3) == 0) {
				stage = 6;
				continue;
			}
			if (ll < 5 || memcmp(line, "file ", 5) != 0)
				MERR("expected 'file <sha256> <bytes> <count> <name>' or 'end'");
			for (k = 0; k < 4; k++) {
				const char *s2 = k < 3 ? memchr(q, ' ', (size_t)(qend - q)) : qend;

				if (s2 == NULL || s2 == q)
					MERR("expected 'file <sha256> <bytes> <count> <name>'");
				f[k] = q;
				fl[k] = (size_t)(s2 - q);
				q = s2 < qend ? s2 + 1 : qend;
			}
			if (m->nfiles >= BUNDLE_MAX_FILES)
				MERR("more than %d files", BUNDLE_MAX_FILES);
			if (fl[3] > BUNDLE_NAME_MAX)
				MERR("member name longer than %d bytes", BUNDLE_NAME_MAX);
			memcpy(name, f[3], fl[3]);
			name[fl[3]] = '\0';
			if (!bundle_member_name_ok(name))
				MERR("member name '%s' is not one a bundle holds", esc_name(name));
			if (bundle_manifest_find(m, name))
				MERR("member '%s' listed twice", esc_name(name));
			m->files = xreallocarray(m->files, m->nfiles + 1, sizeof(*m->files));
			bf = &m->files[m->nfiles];
			memset(bf, 0, sizeof(*bf));
			if (fl[0] != 2 * SHA256_LEN || strspn(f[0], "0123456789abcdef") < fl[0] ||
			    hex_decode(f[0], SHA256_LEN, bf->sha256) < 0)
				MERR("'%s': the SHA-256 must be 64 lower-case hex digits", esc_name(name));
			if (!parse_u64(f[1], fl[1], BUNDLE_MAX_MEMBER, &bf->size))
				MERR("'%s': size out of range (at most %llu bytes)", esc_name(name),
				     (unsigned long long)BUNDLE_MAX_MEMBER);
			if (!parse_u64(f[2], fl[2], FPSET_MAX_LINES, &bf->count))
				MERR("'%s': count out of range (at most %d)", esc_name(name),
				     FPSET_MAX_LINES);
			bf->name = xstrdup(name);
			m->nfiles++;
			continue;
		}
		}
		stage++;
	}
	if (stage != 6) {
		lineno++;
		MERR("ends early (no 'end' line: truncated?)");
	}
	return 0;
fail:
	bundle_manifest_free(m);
	return r;
}

void
bundle_manifest_format(const struct bundle_manifest *m, struct buf *out)
{
	char key[BUNDLE_KEY_B64_LEN + 1], hex[2 * SHA256_LEN + 1];
	size_t i;

	bundle_key_b64(m->key, key);
	buf_printf(out, MAGIC " %d\nkind %s\nkey %s\nserial %llu\ncreated %lld\n", BUNDLE_FORMAT,
		   m->kind, key, (unsigned long long)m->serial, (long long)m->created);
	for (i = 0; i < m->nfiles; i++) {
		hex_encode(m->files[i].sha256, SHA256_LEN, hex);
		buf_printf(out, "file %s %llu %llu %s\n", hex, (unsigned long long)m->files[i].size,
			   (unsigned long long)m->files[i].count, m->files[i].name);
	}
	buf_puts(out, "end\n");
}

/* ---- keys ---- */

static int
read_small(const char *path, char *out, size_t outsz, char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size >= outsz) {
		snprintf(err, errsz, "%s: not a key file (a small regular file)", esc_name(path));
		close(fd);
		return -EINVAL;
	}
	n = read(fd, out, outsz - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		return -EIO;
	}
	out[n] = '\0';
	return (int)n;
}

static int
write_new_file(const char *path, mode_t mode, const char *text, char *err, size_t errsz)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t len = strlen(text);

	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path),
			 errno == EEXIST ? "exists already (never overwritten)" : strerror(errno));
		return -errno;
	}
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	return 0;
}

int
bundle_keygen(const char *path, char pub_b64[BUNDLE_KEY_B64_LEN + 1], char *err, size_t errsz)
{
	uint8_t pk[BUNDLE_KEY_LEN], sk[BUNDLE_SECRET_LEN];
	char skb[sodium_base64_ENCODED_LEN(BUNDLE_SECRET_LEN, sodium_base64_VARIANT_ORIGINAL)];
	char *text, *pubpath;
	int r;

	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium failed to initialise");
		return -EIO;
	}
	pubpath = xasprintf("%s.pub", path);
	if (access(pubpath, F_OK) == 0) {
		snprintf(err, errsz, "%s: exists already (never overwritten)", esc_name(pubpath));
		free(pubpath);
		return -EEXIST;
	}
	crypto_sign_keypair(pk, sk);
	sodium_bin2base64(skb, sizeof(skb), sk, sizeof(sk), sodium_base64_VARIANT_ORIGINAL);
	bundle_key_b64(pk, pub_b64);
	text = xasprintf("# wsid bundle signing key: keep it on the build host, never on the nodes\n"
			 SECRET_TAG " %s\n", skb);
	r = write_new_file(path, 0600, text, err, errsz);
	sodium_memzero(skb, sizeof(skb));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(text, strlen(text));
	free(text);
	if (r == 0) {
		text = xasprintf("%s\n", pub_b64);
		r = write_new_file(pubpath, 0644, text, err, errsz);
		free(text);
		if (r < 0)
			unlink(path);
	}
	free(pubpath);
	return r;
}

int
bundle_secret_load(const char *path, uint8_t sk[BUNDLE_SECRET_LEN], char *err, size_t errsz)
{
	char text[1024], *line, *save = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		snprintf(err, errsz, "%s: readable by others (mode %04o): chmod 600 it first",
			 esc_name(path), (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if ((r = read_small(path, text, sizeof(text), err, errsz)) < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *b;
		uint8_t pk[BUNDLE_KEY_LEN];

		if (line[0] == '#')
			continue;
		if (strncmp(line, SECRET_TAG " ", strlen(SECRET_TAG) + 1) != 0)
			break;
		b = line + strlen(SECRET_TAG) + 1;
		if (sodium_base642bin(sk, BUNDLE_SECRET_LEN, b, strlen(b), NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || len != BUNDLE_SECRET_LEN)
			break;
		/* the public half is part of the secret key: check it is consistent */
		crypto_sign_ed25519_sk_to_pk(pk, sk);
		if (memcmp(pk, sk + 32, BUNDLE_KEY_LEN) != 0)
			break;
		sodium_memzero(text, sizeof(text));
		return 0;
	}
	sodium_memzero(text, sizeof(text));
	sodium_memzero(sk, BUNDLE_SECRET_LEN);
	snprintf(err, errsz, "%s: not a wsid secret key (expected a line '" SECRET_TAG " <base64>', "
		 "as written by 'wsidctl index keygen')", esc_name(path));
	return -EINVAL;
}

int
bundle_public_parse(const char *spec, uint8_t pk[BUNDLE_KEY_LEN], char *err, size_t errsz)
{
	char text[512], *line, *save = NULL;
	int r;

	if (parse_key_b64(spec, strlen(spec), pk) == 0)
		return 0;
	if (strchr(spec, '/') == NULL && access(spec, F_OK) != 0) {
		snprintf(err, errsz, "'%s': neither the base64 text of an Ed25519 public key (44 "
			 "characters) nor a path to a public key file", esc_name(spec));
		return -EINVAL;
	}
	if ((r = read_small(spec, text, sizeof(text), err, errsz)) < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strcspn(line, " \t\r");

		if (line[0] == '#' || n == 0)
			continue;
		if (strncmp(line, SECRET_TAG, strlen(SECRET_TAG)) == 0) {
			snprintf(err, errsz, "%s: this is a secret key; give the .pub file beside it",
				 esc_name(spec));
			return -EINVAL;
		}
		if (parse_key_b64(line, n, pk) == 0)
			return 0;
		break;
	}
	snprintf(err, errsz, "%s: no Ed25519 public key in it (expected its base64 text, as "
		 "written by 'wsidctl index keygen')", esc_name(spec));
	return -EINVAL;
}

int
bundle_next_serial(const char *keypath, uint64_t *serial, char *err, size_t errsz)
{
	char *path = xasprintf("%s.serial", keypath), text[64];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	uint64_t last = 0, now = (uint64_t)now_unix();
	ssize_t n;
	int r = 0, len;

	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		free(path);
		return -errno;
	}
	if (flock(fd, LOCK_EX) < 0 || (n = read(fd, text, sizeof(text) - 1)) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		r = -EIO;
		goto out;
	}
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (text[0] && !parse_u64(text, strlen(text), (uint64_t)INT64_MAX - 1, &last)) {
		snprintf(err, errsz, "%s: not a serial number", esc_name(path));
		r = -EINVAL;
		goto out;
	}
	*serial = last + 1 > now ? last + 1 : now;
	len = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)*serial);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len || fsync(fd) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		r = -EIO;
	}
out:
	close(fd);
	free(path);
	return r;
}

/* ---- writing ---- */

struct member {
	char *name;
	struct buf data;
	uint64_t count;
};

struct bundle_writer {
	char kind[16];
	uint64_t serial;
	struct member *m;
	size_t n;
};

struct bundle_writer *
bundle_writer_new(const char *kind, uint64_t serial)
{
	struct bundle_writer *w = xcalloc(1, sizeof(*w));

	snprintf(w->kind, sizeof(w->kind), "%s", kind);
	w->serial = serial;
	return w;
}

void
bundle_writer_add(struct bundle_writer *w, const char *name, struct buf *data, uint64_t count)
{
	struct member *m;

	w->m = xreallocarray(w->m, w->n + 1, sizeof(*w->m));
	m = &w->m[w->n++];
	m->name = xstrdup(name);
	m->data = *data;
	m->count = count;
	memset(data, 0, sizeof(*data));
}

void
bundle_writer_free(struct bundle_writer *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		free(w->m[i].name);
		buf_free(&w->m[i].data);
	}
	free(w->m);
	free(w);
}

static int
tar_put(struct archive *a, const char *name, const void *data, size_t len, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		r = -EIO;
	archive_entry_free(e);
	return r;
}

static la_ssize_t
to_buf(struct archive *a, void *ud, const void *p, size_t n)
{
	(void)a;
	return buf_append(ud, p, n) < 0 ? -1 : (la_ssize_t)n;
}

/* the whole bundle, signed, into out */
static int
writer_render(struct bundle_writer *w, const uint8_t sk[BUNDLE_SECRET_LEN], struct buf *out,
	      char *err, size_t errsz)
{
	struct bundle_manifest m;
	struct buf text;
	uint8_t sig[BUNDLE_SIG_LEN];
	char sigb[sodium_base64_ENCODED_LEN(BUNDLE_SIG_LEN, sodium_base64_VARIANT_ORIGINAL) + 1];
	struct archive *a = NULL;
	size_t i;
	int r = 0;

	memset(&m, 0, sizeof(m));
	buf_init(&text, BUNDLE_MAX_MANIFEST);
	m.format = BUNDLE_FORMAT;
	snprintf(m.kind, sizeof(m.kind), "%s", w->kind);
	memcpy(m.key, sk + 32, BUNDLE_KEY_LEN);
	m.serial = w->serial;
	m.created = now_unix();
	m.files = xcalloc(w->n ? w->n : 1, sizeof(*m.files));
	for (i = 0; i < w->n; i++) {
		m.files[i].name = w->m[i].name;
		m.files[i].size = w->m[i].data.len;
		m.files[i].count = w->m[i].count;
		sha256_buf(w->m[i].data.data ? w->m[i].data.data : "", w->m[i].data.len,
			   m.files[i].sha256);
		if (w->m[i].data.len > BUNDLE_MAX_MEMBER) {
			snprintf(err, errsz, "%s: larger than a bundle member may be", w->m[i].name);
			r = -EFBIG;
			goto out;
		}
	}
	m.nfiles = w->n;
	bundle_manifest_format(&m, &text);
	crypto_sign_detached(sig, NULL, (const unsigned char *)text.data, text.len, sk);
	sodium_bin2base64(sigb, sizeof(sigb) - 1, sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	{
		size_t sl = strlen(sigb); /* sigb has room for a newline after the text */

		sigb[sl] = '\n';
		sigb[sl + 1] = '\0';
	}

	a = archive_write_new();
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, out, NULL, to_buf, NULL, NULL) != ARCHIVE_OK) {
		snprintf(err, errsz, "tar: %s", archive_error_string(a));
		r = -EIO;
		goto out;
	}
	r = tar_put(a, "MANIFEST", text.data, text.len, m.created);
	if (r == 0)
		r = tar_put(a, "MANIFEST.sig", sigb, strlen(sigb), m.created);
	for (i = 0; r == 0 && i < w->n; i++)
		r = tar_put(a, w->m[i].name, w->m[i].data.data, w->m[i].data.len, m.created);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		snprintf(err, errsz, "tar: %s",
			 archive_error_string(a) ? archive_error_string(a) : strerror(EIO));
out:
	if (a)
		archive_write_free(a);
	free(m.files); /* names belong to the writer */
	buf_free(&text);
	return r;
}

int
bundle_writer_finish_mem(struct bundle_writer *w, const uint8_t sk[BUNDLE_SECRET_LEN],
			 struct buf *out, char *err, size_t errsz)
{
	return writer_render(w, sk, out, err, errsz);
}

int
bundle_writer_finish(struct bundle_writer *w, const uint8_t sk[BUNDLE_SECRET_LEN], const char *path,
		     char *err, size_t errsz)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	struct buf b;
	int fd = -1, r;

	buf_init(&b, BUNDLE_MAX_TOTAL);
	if ((r = writer_render(w, sk, &b, err, errsz)) < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(tmp), strerror(errno));
		r = -errno;
		goto out;
	}
	if ((r = fd_write_all(fd, b.data, b.len)) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(tmp), strerror(-r));
		r = -EIO;
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		snprintf(err, errsz, "%s: %s", esc_name(tmp), strerror(errno));
		r = -EIO;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		snprintf(err, errsz, "%s: %s", esc_name(path), strerror(errno));
		r = -errno;
	}
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	buf_free(&b);
	return r;
}

/* ---- reading ---- */

struct reader {
	struct archive *a;
	const uint8_t *trusted;
	size_t ntrusted;
	const char *stage;
	char *err;
	size_t errsz;
};

#define RERR(...)                                   \
	do {                                        \
		snprintf(err, errsz, __VA_ARGS__); \
		r = -EINVAL;                        \
		goto out;                           \
	} while (0)

/* the next member's header; 0 at the end of the archive */
static int
next_member(struct reader *rd, struct archive_entry **e, const char *want)
{
	char *err = rd->err;
	size_t errsz = rd->errsz;
	int ar = archive_read_next_header(rd->a, e), r = 1;
	const char *name;

	if (ar == ARCHIVE_EOF) {
		if (want)
			RERR("not a complete bundle: no %s member", want);
		return 0;
	}
	if (ar != ARCHIVE_OK)
		RERR("truncated or damaged bundle (not a tar archive as 'wsidctl index export' writes): %s",
		     archive_error_string(rd->a) ? archive_error_string(rd->a) : "unreadable");
	name = archive_entry_pathname(*e);
	if (name == NULL)
		RERR("a member without a name");
	if (want && strcmp(name, want) != 0)
		RERR("member '%s' where %s was expected (not a wsid bundle?)", esc_name(name), want);
	if (archive_entry_filetype(*e) != AE_IFREG || archive_entry_hardlink(*e) ||
	    archive_entry_symlink(*e))
		RERR("member '%s' is not a regular file: refused", esc_name(name));
	if (!archive_entry_size_is_set(*e) || archive_entry_size(*e) < 0)
		RERR("member '%s' has no size", esc_name(name));
out:
	return r;
}

/* reads the whole current member (at most cap bytes) */
static int
read_member(struct reader *rd, const char *name, size_t cap, char **out, size_t *outlen)
{
	char *err = rd->err;
	size_t errsz = rd->errsz, len = 0;
	struct buf b;
	char chunk[65536];
	la_ssize_t n;
	int r;

	buf_init(&b, cap);
	while ((n = archive_read_data(rd->a, chunk, sizeof(chunk))) > 0) {
		if (buf_append(&b, chunk, (size_t)n) < 0)
			RERR("%s: larger than %zu bytes", name, cap);
		len += (size_t)n;
	}
	if (n < 0)
		RERR("%s: truncated or damaged: %s", name,
		     archive_error_string(rd->a) ? archive_error_string(rd->a) : "read error");
	buf_putc(&b, '\0');
	*out = buf_steal(&b);
	*outlen = len;
	return 0;
out:
	buf_free(&b);
	return r;
}

static int
stage_open(const char *stage, const char *name)
{
	char *path = xasprintf("%s/%s", stage, name), *p;
	int fd;

	/* members are sets/<product>/<file>, rules/<file> or known-bad.tsv
	 * (checked) */
	for (p = strchr(path + strlen(stage) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			fd = -errno;
			free(path);
			return fd;
		}
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		fd = -errno;
	free(path);
	return fd;
}

/* Why a manifest no trusted key signed is refused, for the message only: the
 * format line and the key line (lines 1 and 3 of a format-1 manifest) are read
 * from the unverified bytes, nothing else; whatever they say, the bundle is
 * refused. A manifest that verifies with the key it names is signed by an
 * untrusted key (-EKEYREJECTED); anything else is a bad signature (-EBADMSG). */
static int
unverified_why(const char *text, size_t tl, const uint8_t sig[BUNDLE_SIG_LEN], size_t ntrusted,
	       char *err, size_t errsz)
{
	const char *l2 = memchr(text, '\n', tl), *l3 = NULL, *l4 = NULL;
	const size_t ml = strlen(MAGIC);
	uint8_t key[BUNDLE_KEY_LEN];
	char kb[BUNDLE_KEY_B64_LEN + 1];

	if (l2 && (size_t)(l2 - text) == ml + 2 && memcmp(text, MAGIC " ", ml + 1) == 0 &&
	    text[ml + 1] != '0' + BUNDLE_FORMAT && text[ml + 1] >= '0' && text[ml + 1] <= '9') {
		snprintf(err, errsz, "bundle format %c, this wsid reads format %d", text[ml + 1],
			 BUNDLE_FORMAT);
		return -EINVAL;
	}
	if (l2)
		l3 = memchr(l2 + 1, '\n', tl - (size_t)(l2 + 1 - text));
	if (l3)
		l4 = memchr(l3 + 1, '\n', tl - (size_t)(l3 + 1 - text));
	if (l4 == NULL || l4 - l3 < 5 || memcmp(l3 + 1, "key ", 4) != 0 ||
	    parse_key_b64(l3 + 5, (size_t)(l4 - l3 - 5), key) < 0) {
		snprintf(err, errsz, "bad signature: MANIFEST.sig does not verify with any trusted "
			 "key (trusted_keys: %zu key%s; the manifest names none)", ntrusted,
			 ntrusted == 1 ? "" : "s");
		return -EBADMSG;
	}
	bundle_key_b64(key, kb);
	if (crypto_sign_verify_detached(sig, (const unsigned char *)text, tl, key) == 0) {
		snprintf(err, errsz, "signed by key %s, which is not trusted here (trusted_keys: %zu "
			 "key%s)", kb, ntrusted, ntrusted == 1 ? "" : "s");
		return -EKEYREJECTED;
	}
	snprintf(err, errsz, "bad signature: MANIFEST.sig does not verify with key %s (the "
		 "manifest or the signature was changed)", kb);
	return -EBADMSG;
}

static int
read_bundle(struct reader *rd, struct bundle_manifest *m)
{
	char *err = rd->err, *text = NULL, *sigt = NULL;
	size_t errsz = rd->errsz, tl = 0, sl = 0, i, nseen = 0, siglen = 0;
	uint8_t sig[BUNDLE_SIG_LEN];
	struct archive_entry *e;
	struct sha256_ctx *hc = sha256_new();
	uint64_t total = 0;
	char kb[BUNDLE_KEY_B64_LEN + 1];
	int r, fd = -1;

	memset(m, 0, sizeof(*m));
	if ((r = next_member(rd, &e, "MANIFEST")) <= 0)
		goto out;
	if ((r = read_member(rd, "MANIFEST", BUNDLE_MAX_MANIFEST, &text, &tl)) < 0)
		goto out;
	if ((r = next_member(rd, &e, "MANIFEST.sig")) <= 0)
		goto out;
	if ((r = read_member(rd, "MANIFEST.sig", SIG_TEXT_MAX, &sigt, &sl)) < 0)
		goto out;
	while (sl > 0 && (sigt[sl - 1] == '\n' || sigt[sl - 1] == '\r'))
		sigt[--sl] = '\0';
	if (sodium_base642bin(sig, sizeof(sig), sigt, sl, NULL, &siglen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || siglen != BUNDLE_SIG_LEN)
		RERR("MANIFEST.sig: not a base64 Ed25519 signature (unsigned or damaged bundle)");
	/* the signature over the raw bytes first: the parser only ever sees a
	 * manifest that a trusted key signed */
	for (i = 0; i < rd->ntrusted; i++)
		if (crypto_sign_verify_detached(sig, (const unsigned char *)text, tl,
						rd->trusted + i * BUNDLE_KEY_LEN) == 0)
			break;
	if (i == rd->ntrusted) {
		r = unverified_why(text, tl, sig, rd->ntrusted, err, errsz);
		goto out;
	}
	if ((r = bundle_manifest_parse(text, tl, m, err, errsz)) < 0)
		goto out;
	if (sodium_memcmp(rd->trusted + i * BUNDLE_KEY_LEN, m->key, BUNDLE_KEY_LEN) != 0) {
		r = -EBADMSG;
		bundle_key_b64(m->key, kb);
		snprintf(err, errsz, "MANIFEST names key %s but was signed by another trusted key: "
			 "refused", kb);
		goto out;
	}
	/* the manifest is authentic: now every member must be exactly what it says */
	while ((r = next_member(rd, &e, NULL)) > 0) {
		const char *name = archive_entry_pathname(e);
		struct bundle_file *bf = NULL;
		uint8_t got[SHA256_LEN];
		uint64_t len = 0;
		char chunk[65536];
		la_ssize_t n;

		for (i = 0; i < m->nfiles; i++)
			if (strcmp(m->files[i].name, name) == 0)
				bf = &m->files[i];
		if (bf == NULL)
			RERR("member '%s' is not in the manifest: refused", esc_name(name));
		if (bf->seen)
			RERR("member '%s' appears twice: refused", esc_name(name));
		bf->seen = true;
		nseen++;
		if ((uint64_t)archive_entry_size(e) != bf->size)
			RERR("%s: %lld bytes, the manifest says %llu (tampered)", name,
			     (long long)archive_entry_size(e), (unsigned long long)bf->size);
		total += bf->size;
		if (total > BUNDLE_MAX_TOTAL)
			RERR("larger than %llu bytes in all", (unsigned long long)BUNDLE_MAX_TOTAL);
		if (rd->stage && (fd = stage_open(rd->stage, name)) < 0) {
			r = fd;
			fd = -1;
			snprintf(err, errsz, "%s/%s: %s", rd->stage, name, strerror(-r));
			goto out;
		}
		while ((n = archive_read_data(rd->a, chunk, sizeof(chunk))) > 0) {
			len += (uint64_t)n;
			if (len > bf->size)
				RERR("%s: longer than the manifest says (tampered)", name);
			sha256_update(hc, chunk, (size_t)n);
			if (fd >= 0 && write(fd, chunk, (size_t)n) != n) {
				r = -errno;
				snprintf(err, errsz, "%s/%s: %s", rd->stage, name, strerror(errno));
				goto out;
			}
		}
		if (n < 0)
			RERR("%s: truncated or damaged: %s", name,
			     archive_error_string(rd->a) ? archive_error_string(rd->a) : "read error");
		sha256_final(hc, got);
		if (len != bf->size || memcmp(got, bf->sha256, SHA256_LEN) != 0)
			RERR("%s: its SHA-256 does not match the manifest (tampered or damaged)", name);
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (r < 0)
		goto out;
	if (nseen != m->nfiles)
		for (i = 0; i < m->nfiles; i++)
			if (!m->files[i].seen)
				RERR("member '%s' listed in the manifest is missing (truncated bundle?)",
				     m->files[i].name);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		bundle_manifest_free(m);
	sha256_free(hc);
	free(text);
	free(sigt);
	return r;
}

static int
read_with(struct archive *a, int ar, const uint8_t *trusted, size_t ntrusted,
	  const char *stage_dir, struct bundle_manifest *m, char *err, size_t errsz)
{
	struct reader rd = { a, trusted, ntrusted, stage_dir, err, errsz };
	int r;

	err[0] = '\0';
	if (ar != ARCHIVE_OK) {
		snprintf(err, errsz, "not a bundle: %s",
			 archive_error_string(a) ? archive_error_string(a) : "unreadable");
		archive_read_free(a);
		return -EINVAL;
	}
	r = read_bundle(&rd, m);
	archive_read_free(a);
	return r;
}

static struct archive *
new_reader(void)
{
	struct archive *a = archive_read_new();

	/* plain tar only: no decompression filter runs on what a bundle claims to be */
	archive_read_support_format_tar(a);
	return a;
}

int
bundle_read_fd(int fd, const uint8_t *trusted, size_t ntrusted,
	       const char *stage_dir, struct bundle_manifest *m, char *err, size_t errsz)
{
	struct archive *a = new_reader();

	return read_with(a, archive_read_open_fd(a, fd, 65536), trusted, ntrusted, stage_dir, m, err,
			 errsz);
}

int
bundle_read_mem(const void *data, size_t len, const uint8_t *trusted,
		size_t ntrusted, const char *stage_dir, struct bundle_manifest *m, char *err,
		size_t errsz)
{
	struct archive *a = new_reader();

	return read_with(a, archive_read_open_memory(a, data, len), trusted, ntrusted, stage_dir, m,
			 err, errsz);
}

/* ---- known-bad.tsv ---- */

static void
put_field(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\\': buf_puts(out, "\\\\"); break;
		case '\t': buf_puts(out, "\\t"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		default: buf_putc(out, *s);
		}
	}
}

void
bundle_bad_format(struct buf *out, const uint8_t sha256[SHA256_LEN], int64_t added_at,
		  const char *added_by, const char *note, const char *example)
{
	char hex[2 * SHA256_LEN + 1];

	hex_encode(sha256, SHA256_LEN, hex);
	buf_printf(out, "%s\t%lld\t", hex, (long long)added_at);
	put_field(out, added_by);
	buf_putc(out, '\t');
	put_field(out, note);
	buf_putc(out, '\t');
	put_field(out, example);
	buf_putc(out, '\n');
}

/* unescapes in place; false on a bad escape or a NUL */
static bool
unescape_field(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		s++;
		switch (*s) {
		case '\\': *w++ = '\\'; break;
		case 't': *w++ = '\t'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		default: return false;
		}
	}
	*w = '\0';
	return true;
}

#define BAD_FIELD_MAX 4096

int
bundle_bad_parse(const char *data, size_t len, bundle_bad_fn fn, void *ud, char *err, size_t errsz)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0;
	char *line = NULL;
	int r = 0;

	err[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *f[5], *q, *sp;
		struct bundle_bad b;
		uint64_t at;
		int k;

		lineno++;
		if (nl == NULL) {
			snprintf(err, errsz, "known-bad.tsv:%zu: the last line has no newline", lineno);
			r = -EINVAL;
			break;
		}
		if (ll > 5 * BAD_FIELD_MAX || memchr(p, '\0', ll)) {
			snprintf(err, errsz, "known-bad.tsv:%zu: line too long or NUL byte", lineno);
			r = -EINVAL;
			break;
		}
		free(line);
		line = xstrndup(p, ll);
		p = nl + 1;
		for (q = line, k = 0; k < 5; k++) {
			f[k] = q;
			sp = k < 4 ? strchr(q, '\t') : NULL;
			if (k < 4 && sp == NULL)
				break;
			if (sp) {
				*sp = '\0';
				q = sp + 1;
			}
		}
		if (k < 5 || strchr(f[4], '\t')) {
			snprintf(err, errsz, "known-bad.tsv:%zu: expected 5 TAB-separated fields "
				 "(sha256, added_at, added_by, note, example)", lineno);
			r = -EINVAL;
			break;
		}
		memset(&b, 0, sizeof(b));
		if (strlen(f[0]) != 2 * SHA256_LEN || hex_decode(f[0], SHA256_LEN, b.sha256) < 0 ||
		    !parse_u64(f[1], strlen(f[1]), (uint64_t)INT64_MAX, &at) ||
		    !unescape_field(f[2]) || !unescape_field(f[3]) || !unescape_field(f[4])) {
			snprintf(err, errsz, "known-bad.tsv:%zu: bad SHA-256, time or escape", lineno);
			r = -EINVAL;
			break;
		}
		b.added_at = (int64_t)at;
		b.added_by = f[2];
		b.note = f[3];
		b.example = f[4];
		b.lineno = lineno;
		if ((r = fn(ud, &b)) < 0)
			break;
	}
	free(line);
	return r;
}

/* ---- rules in bundles ---- */

char *
bundle_rules_dir(const char *db)
{
	const char *slash = strrchr(db, '/');

	return slash ? xasprintf("%.*s/rules", (int)(slash - db), db) : xstrdup("rules");
}

static void
paths_add(char ***v, size_t *n, const char *p)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(p);
}

void
bundle_rules_free(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int
bundle_rules_effective(const char *db, const char *const *globs, size_t nglobs, char ***ret,
		       size_t *nret, char *err, size_t errsz)
{
	char *dir = bundle_rules_dir(db);
	int r = bundle_rules_effective_in(dir, globs, nglobs, ret, nret, err, errsz);

	free(dir);
	return r;
}

int
bundle_rules_effective_in(const char *dir, const char *const *globs, size_t nglobs, char ***ret,
			  size_t *nret, char *err, size_t errsz)
{
	char *pat;
	char **v = NULL;
	size_t n = 0, i, k;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int derr = dfd < 0 ? errno : 0;
	glob_t g;

	for (i = 0; i < nglobs; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(globs[i], 0, NULL, &g) != 0 || g.gl_pathc == 0) {
			/* the analyser names it; a wildcard that matches nothing
			 * beside a bundle's rules is no error */
			if (dfd < 0 || strpbrk(globs[i], "*?[") == NULL)
				paths_add(&v, &n, globs[i]);
			globfree(&g);
			continue;
		}
		for (k = 0; k < g.gl_pathc; k++) {
			const char *base = strrchr(g.gl_pathv[k], '/');
			struct stat st;

			base = base ? base + 1 : g.gl_pathv[k];
			/* replaced by the bundle's file of that name */
			if (dfd >= 0 && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
				continue;
			paths_add(&v, &n, g.gl_pathv[k]);
		}
		globfree(&g);
	}
	if (dfd >= 0) {
		static const char *const exts[] = { "*.yar", "*.yara" };

		close(dfd);
		for (i = 0; i < 2; i++) {
			memset(&g, 0, sizeof(g));
			pat = xasprintf("%s/%s", dir, exts[i]);
			if (glob(pat, 0, NULL, &g) == 0)
				for (k = 0; k < g.gl_pathc; k++)
					paths_add(&v, &n, g.gl_pathv[k]);
			globfree(&g);
			free(pat);
		}
	} else if (derr != ENOENT) {
		snprintf(err, errsz, "%s: %s", dir, strerror(derr));
		bundle_rules_free(v, n);
		return -derr;
	}
	*ret = v;
	*nret = n;
	return 0;
}

int
bundle_analyser_new(const char *db, const char *const *globs, size_t nglobs, const char *const *more,
		    size_t nmore, struct analyse **ret, char *err, size_t errsz)
{
	char **paths = NULL;
	size_t np = 0, i;
	int r = bundle_rules_effective(db, globs, nglobs, &paths, &np, err, errsz);

	if (r < 0)
		return r;
	for (i = 0; i < nmore; i++)
		paths_add(&paths, &np, more[i]);
	r = analyse_new((const char *const *)paths, np, ret, err, errsz);
	bundle_rules_free(paths, np);
	return r;
}

int
bundle_rules_activate(const char *db, const char *stage_rules, bool *exchanged, char *err,
		      size_t errsz)
{
	char *dir = bundle_rules_dir(db);
	int r = 0;

	*exchanged = false;
	if (renameat2(AT_FDCWD, stage_rules, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		*exchanged = true;
	} else if (errno != ENOENT || rename(stage_rules, dir) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: cannot activate the rules: %s", dir, strerror(errno));
	}
	free(dir);
	return r;
}

void
bundle_rules_undo(const char *db, const char *stage_rules, bool exchanged)
{
	char *dir = bundle_rules_dir(db);

	if (exchanged)
		renameat2(AT_FDCWD, stage_rules, AT_FDCWD, dir, RENAME_EXCHANGE);
	else
		rename(dir, stage_rules);
	free(dir);
}
