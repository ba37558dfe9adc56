// SPDX-License-Identifier: GPL-2.0-or-later
/* Bundles (manifest, known-bad list, signed archives read from memory) and
 * the JSON parser behind WordPress.org checksum files. */
#include <errno.h>
#include <stdbool.h>
#include <sodium.h>

#include "bundle.h"
#include "jsonparse.h"
#include "t.h"
#include "wpsums.h"

static uint8_t pk[BUNDLE_KEY_LEN], sk[BUNDLE_SECRET_LEN], pk2[BUNDLE_KEY_LEN], sk2[BUNDLE_SECRET_LEN];

static void
keys(void)
{
	uint8_t seed[crypto_sign_SEEDBYTES] = { 7 };

	T_OK(sodium_init() >= 0);
	crypto_sign_seed_keypair(pk, sk, seed);
	seed[0] = 8;
	crypto_sign_seed_keypair(pk2, sk2, seed);
}

static void
test_manifest(void)
{
	char key[BUNDLE_KEY_B64_LEN + 1], err[512], *text;
	struct bundle_manifest m;
	struct buf b;

	bundle_key_b64(pk, key);
	text = xasprintf("wsid-bundle 1\nkind index\nkey %s\nserial 42\ncreated 1700000000\n"
			 "file %064d 10 3 sets/wordpress/6.4.2.sha256.gz\nfile %064d 0 0 known-bad.tsv\nend\n",
			 key, 1, 2);
	T_EQ_INT(bundle_manifest_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	T_EQ_STR(m.kind, "index");
	T_EQ_INT(m.serial, 42);
	T_EQ_INT(m.created, 1700000000);
	T_EQ_INT(m.nfiles, 2);
	T_EQ_INT(m.files[0].count, 3);
	T_OK(memcmp(m.key, pk, BUNDLE_KEY_LEN) == 0);
	buf_init(&b, 0);
	bundle_manifest_format(&m, &b);
	T_EQ_STR(b.data, text);
	buf_free(&b);
	bundle_manifest_free(&m);
	free(text);

	/* each broken the way an attacker or a truncation would */
	{
		static const struct {
			const char *body, *why;
		} bad[] = {
			{ "wsid-bundle 2\n", "format 2" },
			{ "kind index\n", "not a wsid bundle manifest" },
			{ "wsid-bundle 1\nkind evil\n", "expected 'kind index'" },
			{ "wsid-bundle 1\nkind index\nkey AAAA\n", "expected 'key" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 0\n", "positive number" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 018\n", "positive number" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 99999999999999999999999\n", "positive" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 1 1 ../x\nend\n",
			  "not one a bundle holds" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 1 1 sets/A/1.sha256.gz\nend\n",
			  "not one a bundle holds" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 1 1 sets/a/b/1.sha256.gz\nend\n",
			  "not one a bundle holds" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 1 9999999 known-bad.tsv\nend\n",
			  "count out of range" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 999999999999 1 known-bad.tsv\nend\n",
			  "size out of range" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 1 1 known-bad.tsv\n"
			  "file @H 1 1 known-bad.tsv\nend\n", "listed twice" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nfile @H 1 1 known-bad.tsv\n",
			  "no 'end' line" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nend\nmore\n", "after 'end'" },
			{ "wsid-bundle 1\nkind index\nkey @K\nserial 1\ncreated 1\nend", "no newline" },
			{ "wsid-bundle 1\r\nkind index\n", "CR byte" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			struct buf t;
			const char *p;

			buf_init(&t, 0);
			for (p = bad[i].body; *p; p++) {
				if (p[0] == '@' && p[1] == 'K') {
					buf_puts(&t, key);
					p++;
				} else if (p[0] == '@' && p[1] == 'H') {
					buf_printf(&t, "%064d", 5);
					p++;
				} else {
					buf_putc(&t, *p);
				}
			}
			T_CHECK(bundle_manifest_parse(t.data, t.len, &m, err, sizeof(err)) == -EINVAL &&
				strstr(err, bad[i].why) != NULL, "case %zu: %s", i, err);
			buf_free(&t);
		}
	}
}

static void
test_names(void)
{
	T_OK(bundle_member_name_ok("known-bad.tsv"));
	T_OK(bundle_member_name_ok("sets/wordpress/6.4.2.sha256.gz"));
	T_OK(bundle_member_name_ok("sets/hello-dolly/versions.tsv"));
	T_OK(bundle_member_name_ok("sets/x/product.yaml"));
	T_OK(!bundle_member_name_ok("sets/x/6.4.2.sha256"));
	T_OK(!bundle_member_name_ok("sets/../6.4.2.sha256.gz"));
	T_OK(!bundle_member_name_ok("sets/x/.hidden.sha256.gz"));
	T_OK(!bundle_member_name_ok("/etc/passwd"));
	T_OK(!bundle_member_name_ok("MANIFEST"));
	T_OK(!bundle_member_name_ok(""));
}

struct bads {
	int n;
	char last_note[64], last_by[64], last_ex[64];
	int64_t at;
};

static int
bad_cb(void *ud, const struct bundle_bad *b)
{
	struct bads *c = ud;

	c->n++;
	snprintf(c->last_note, sizeof(c->last_note), "%s", b->note);
	snprintf(c->last_by, sizeof(c->last_by), "%s", b->added_by);
	snprintf(c->last_ex, sizeof(c->last_ex), "%s", b->example);
	c->at = b->added_at;
	return 0;
}

static void
test_known_bad(void)
{
	uint8_t sha[SHA256_LEN] = { 0xab };
	struct buf b;
	struct bads c = { 0 };
	char err[256];

	buf_init(&b, 0);
	bundle_bad_format(&b, sha, 5, "root", "web shell", "a/b.php");
	bundle_bad_format(&b, sha, 1700000000, "ann\tb", "line1\nline2\\x\r", "up\nloads/x.php");
	T_EQ_INT(bundle_bad_parse(b.data, b.len, bad_cb, &c, err, sizeof(err)), 0);
	T_EQ_INT(c.n, 2);
	T_EQ_STR(c.last_by, "ann\tb");
	T_EQ_STR(c.last_note, "line1\nline2\\x\r");
	T_EQ_STR(c.last_ex, "up\nloads/x.php");
	T_EQ_INT(c.at, 1700000000);
	buf_free(&b);
	c.n = 0;
	T_OK(bundle_bad_parse("zz\t1\ta\tb\tc\n", 12, bad_cb, &c, err, sizeof(err)) < 0 &&
	     strstr(err, "known-bad.tsv:1") != NULL);
	T_OK(bundle_bad_parse("x\n", 2, bad_cb, &c, err, sizeof(err)) < 0 && strstr(err, "5 TAB") != NULL);
	T_EQ_INT(c.n, 0);
}

/* a signed bundle in memory, optionally with one member's bytes changed */
static void
render(const uint8_t *secret, const char *extra_name, struct buf *out)
{
	struct bundle_writer *w = bundle_writer_new("index", 3);
	struct buf m;
	char err[256];

	buf_init(&m, 0);
	buf_puts(&m, "0000000000000000000000000000000000000000000000000000000000000001  a.php\n");
	bundle_writer_add(w, "sets/p/1.0.sha256.gz", &m, 1);
	buf_init(&m, 0);
	buf_puts(&m, "kind: core\n");
	bundle_writer_add(w, "sets/p/product.yaml", &m, 0);
	if (extra_name) {
		buf_init(&m, 0);
		buf_puts(&m, "x");
		bundle_writer_add(w, extra_name, &m, 0);
	}
	buf_init(out, 0);
	T_EQ_INT(bundle_writer_finish_mem(w, secret, out, err, sizeof(err)), 0);
	bundle_writer_free(w);
}

static int
read_it(const struct buf *b, const uint8_t *trusted, char *err, size_t errsz)
{
	struct bundle_manifest m;
	int r = bundle_read_mem(b->data, b->len, trusted, 1, NULL, &m, err, errsz);

	if (r == 0)
		bundle_manifest_free(&m);
	return r;
}

static void
test_read(void)
{
	struct buf b;
	char err[512];
	size_t i;

	render(sk, NULL, &b);
	T_EQ_INT(read_it(&b, pk, err, sizeof(err)), 0);
	T_CHECK(read_it(&b, pk2, err, sizeof(err)) == -EKEYREJECTED && strstr(err, "not trusted"), "%s", err);
	/* every single-byte change inside a member's data is caught */
	{
		char *p = memmem(b.data, b.len, "kind: core", 10);

		T_OK(p != NULL);
		if (p) {
			*p = 'K';
			T_CHECK(read_it(&b, pk, err, sizeof(err)) < 0 &&
				strstr(err, "product.yaml: its SHA-256 does not match"), "%s", err);
			*p = 'k';
		}
	}
	/* the signature covers the manifest: change its serial */
	{
		char *p = memmem(b.data, b.len, "serial 3\n", 9);

		T_OK(p != NULL);
		if (p) {
			p[7] = '4';
			T_CHECK(read_it(&b, pk, err, sizeof(err)) == -EBADMSG && strstr(err, "bad signature"),
				"%s", err);
			p[7] = '3';
		}
	}
	/* truncated anywhere: refused, never accepted */
	for (i = 0; i + 1536 < b.len; i += 97) {
		struct buf t = { b.data, i, i, i, false };

		if (read_it(&t, pk, err, sizeof(err)) == 0) {
			T_CHECK(0, "accepted truncated at %zu", i);
			break;
		}
	}
	buf_free(&b);
	/* a member the writer put in but the name grammar refuses */
	render(sk, "../../x", &b);
	T_CHECK(read_it(&b, pk, err, sizeof(err)) < 0 && strstr(err, "not one a bundle holds"), "%s", err);
	buf_free(&b);
}

/* the manifest's bytes inside a rendered bundle */
static char *
manifest_in(struct buf *b, size_t *len)
{
	char *p = memmem(b->data, b->len, "wsid-bundle 1\n", 14), *end;

	end = p ? memmem(p, b->len - (size_t)(p - b->data), "\nend\n", 5) : NULL;
	if (end == NULL)
		return NULL;
	*len = (size_t)(end + 5 - p);
	return p;
}

/* signs the manifest in b again with secret, over its MANIFEST.sig (the old
 * signature, by sk, is found by value: Ed25519 signatures are deterministic) */
static bool
resign(struct buf *b, const char *old_man, size_t old_len, const uint8_t *secret)
{
	uint8_t sig[BUNDLE_SIG_LEN];
	char oldb[128], newb[128], *man, *at;
	size_t ml;

	crypto_sign_detached(sig, NULL, (const unsigned char *)old_man, old_len, sk);
	sodium_bin2base64(oldb, sizeof(oldb), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	man = manifest_in(b, &ml);
	at = memmem(b->data, b->len, oldb, strlen(oldb));
	if (man == NULL || at == NULL)
		return false;
	crypto_sign_detached(sig, NULL, (const unsigned char *)man, ml, secret);
	sodium_bin2base64(newb, sizeof(newb), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	memcpy(at, newb, strlen(newb));
	return true;
}

/* a bundle by sk whose manifest names pk2, signed again by signer */
static bool
render_naming_pk2(const uint8_t *signer, struct buf *b)
{
	char key2[BUNDLE_KEY_B64_LEN + 1], *man, *copy, *kl;
	size_t ml;
	bool ok;

	render(sk, NULL, b);
	man = manifest_in(b, &ml);
	kl = man ? memmem(man, ml, "\nkey ", 5) : NULL;
	if (kl == NULL)
		return false;
	copy = xmalloc(ml);
	memcpy(copy, man, ml);
	bundle_key_b64(pk2, key2);
	memcpy(kl + 5, key2, BUNDLE_KEY_B64_LEN);
	ok = resign(b, copy, ml, signer);
	free(copy);
	return ok;
}

/* A manifest is parsed only once a trusted key's signature over its bytes
 * holds: changed bytes the parser would refuse, or that would lead it
 * astray, are a signature failure, whatever they say. */
static void
test_verify_first(void)
{
	static const struct {
		const char *from, *to, *what;
	} edits[] = {
		{ "sets/p/product.yaml\n", "../../../../../../x\n", "a name outside the staging" },
		{ "kind index\n", "kind\rindex\n", "a CR byte" },
		{ "serial 3\n", "serial x\n", "a serial that is no number" },
		{ "\nend\n", "\nEND\n", "no end line" },
	};
	struct buf b;
	char err[512], key2[BUNDLE_KEY_B64_LEN + 1], *man;
	size_t i, ml;

	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		char *p;

		render(sk, NULL, &b);
		man = manifest_in(&b, &ml);
		p = man ? memmem(man, ml, edits[i].from, strlen(edits[i].from)) : NULL;
		T_CHECK(p != NULL, "%s: not found", edits[i].what);
		if (p) {
			memcpy(p, edits[i].to, strlen(edits[i].to));
			T_CHECK(read_it(&b, pk, err, sizeof(err)) == -EBADMSG &&
				strncmp(err, "bad signature: ", 15) == 0, "%s: %s", edits[i].what, err);
		}
		buf_free(&b);
	}
	/* a format this wsid does not read is named as such (not parsed either) */
	render(sk, NULL, &b);
	man = manifest_in(&b, &ml);
	T_OK(man != NULL);
	if (man) {
		man[12] = '2';
		T_CHECK(read_it(&b, pk, err, sizeof(err)) == -EINVAL &&
			strstr(err, "bundle format 2, this wsid reads format 1"), "%s", err);
	}
	buf_free(&b);
	/* the key line only names the signer for the message: a manifest naming
	 * another key yet signed by the trusted one is refused; signed by the key
	 * it names, that key is not trusted */
	bundle_key_b64(pk2, key2);
	T_OK(render_naming_pk2(sk, &b));
	T_CHECK(read_it(&b, pk, err, sizeof(err)) == -EBADMSG && strstr(err, "names key") &&
		strstr(err, key2), "%s", err);
	buf_free(&b);
	T_OK(render_naming_pk2(sk2, &b));
	T_CHECK(read_it(&b, pk, err, sizeof(err)) == -EKEYREJECTED && strstr(err, "not trusted") &&
		strstr(err, key2), "%s", err);
	buf_free(&b);
}

static void
test_json(void)
{
	struct jnode *n;
	char err[256];
	const char *ok = " {\"a\": [1, -2.5e+3, 0, true, false, null], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", "
			 "\"a\": {} } ";

	T_EQ_INT(jsonp_parse(ok, strlen(ok), &n, err, sizeof(err)), 0);
	if (n) {
		T_EQ_INT(jsonp_get(n, "a")->t, J_OBJ); /* the last one of a repeated key */
		T_EQ_STR(jsonp_get(n, "s")->s, "x\xc3\xa9\xf0\x9f\x98\x80\n");
		T_EQ_INT(n->kids[0].n, 6);
		T_EQ_STR(n->kids[0].kids[1].s, "-2.5e+3");
		jsonp_free(n);
	}
	{
		static const struct {
			const char *in, *why;
		} bad[] = {
			{ "{\"a\":1,}", "1:8: expected a member name" },
			{ "[01]", "expected ',' or ']'" },
			{ "[1.]", "digits expected after '.'" },
			{ "\"\\ud800\"", "high surrogate without its low half" },
			{ "\"\\udc00\"", "lone low surrogate" },
			{ "\"a\x01\"", "control character" },
			{ "\"\xff\"", "invalid UTF-8" },
			{ "\"\\x\"", "unknown escape" },
			{ "[1] 2", "text after the JSON value" },
			{ "{\n  \"a\": tru }", "2:8: unexpected character" },
			{ "", "unexpected end" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++)
			T_CHECK(jsonp_parse(bad[i].in, strlen(bad[i].in), &n, err, sizeof(err)) < 0 &&
				strstr(err, bad[i].why) != NULL, "case %zu: %s", i, err);
	}
	{
		/* depth: 64 nested arrays parse, 65 do not */
		char deep[200];
		int d;

		for (d = 64; d <= 65; d++) {
			memset(deep, '[', (size_t)d + 1);
			memset(deep + d + 1, ']', (size_t)d + 1);
			T_EQ_INT(jsonp_parse(deep, 2 * (size_t)d + 2, &n, err, sizeof(err)) == 0, d == 64);
			jsonp_free(n);
			n = NULL;
		}
	}
}

static void
test_wpsums(void)
{
	const char *in = "{\"plugin\":\"hd\",\"version\":\"1.7.2\",\"files\":{\"z.php\":{\"md5\":\"x\","
			 "\"sha256\":\"" "0000000000000000000000000000000000000000000000000000000000000002\"},"
			 "\"a/b.txt\":{\"sha256\":[\"" "0000000000000000000000000000000000000000000000000000000000000001"
			 "\",\"" "0000000000000000000000000000000000000000000000000000000000000003\"]}}}";
	struct buf out;
	char err[512];
	size_t nf;

	buf_init(&out, 0);
	T_EQ_INT(wpsums_to_set(in, strlen(in), "f.json", "hd", "1.7.2", &out, &nf, err, sizeof(err)), 0);
	T_EQ_INT(nf, 2);
	T_EQ_STR(out.data, "0000000000000000000000000000000000000000000000000000000000000001  a/b.txt\n"
			   "0000000000000000000000000000000000000000000000000000000000000003  a/b.txt\n"
			   "0000000000000000000000000000000000000000000000000000000000000002  z.php\n");
	buf_reset(&out);
	T_OK(wpsums_to_set(in, strlen(in), "f.json", "other", NULL, &out, &nf, err, sizeof(err)) < 0 &&
	     strstr(err, "f.json:1:11: this is the checksum file of hd 1.7.2, not of other") != NULL);
	buf_free(&out);
}

int
main(void)
{
	keys();
	T_RUN(test_manifest);
	T_RUN(test_names);
	T_RUN(test_known_bad);
	T_RUN(test_read);
	T_RUN(test_verify_first);
	T_RUN(test_json);
	T_RUN(test_wpsums);
	T_DONE();
}
