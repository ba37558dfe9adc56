/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signed bundles: the fingerprint index (or a known-bad list) as one file that
 * any distribution channel can carry, built centrally and imported on every
 * node.
 *
 * A bundle is a POSIX tar archive (no compression around it; the sets inside
 * are gzip files already). Its first member is MANIFEST, its second
 * MANIFEST.sig, then the files the manifest lists, each exactly once:
 *
 *   MANIFEST       "wsid-bundle 1\n"
 *                  "kind index|known-bad\n"
 *                  "key <base64 Ed25519 public key>\n"
 *                  "serial <n>\n"            grows with every export of the key
 *                  "created <unix seconds>\n"
 *                  "file <sha256 hex> <bytes> <count> <name>\n"   one per member
 *                  "end\n"
 *   MANIFEST.sig   base64 of the detached Ed25519 signature of MANIFEST's bytes
 *   sets/<product>/product.yaml | versions.tsv | <version>.sha256.gz
 *   known-bad.tsv  sha256 hex, added_at, added_by, note, example (TAB
 *                  separated; \\ \t \n \r escapes)
 *   rules/<file>   a YARA rule file of the analysis (<file>: [A-Za-z0-9._-],
 *                  ending in .yar or .yara, not starting with a dot); the
 *                  rule set of an index bundle (count 0)
 *
 * count is the number of files of a set (alternative contents of a path
 * are one file) or of the lines of
 * known-bad.tsv, 0 for the rest. Reading verifies the signature with a trusted
 * key before any member is read, then every member's size and SHA-256 while it
 * is written into a staging directory: a bundle that fails anywhere leaves only
 * that (removed) directory behind. Pure parsing and checking is fuzzed. */
#ifndef WSID_BUNDLE_H
#define WSID_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define BUNDLE_FORMAT 1
#define BUNDLE_KEY_LEN 32
#define BUNDLE_SECRET_LEN 64
#define BUNDLE_SIG_LEN 64
#define BUNDLE_KEY_B64_LEN 44 /* without the NUL */
#define BUNDLE_MAX_FILES 200000
#define BUNDLE_MAX_MANIFEST (32u << 20)
#define BUNDLE_MAX_MEMBER (256ull << 20)
#define BUNDLE_MAX_TOTAL (8ull << 30)
#define BUNDLE_NAME_MAX 200

struct bundle_file {
	char *name;
	uint8_t sha256[SHA256_LEN];
	uint64_t size;
	uint64_t count;
	bool seen; /* set while reading */
};

struct bundle_manifest {
	int format;
	char kind[16]; /* "index" or "known-bad" */
	uint8_t key[BUNDLE_KEY_LEN];
	uint64_t serial;
	int64_t created;
	struct bundle_file *files;
	size_t nfiles;
};

/* Parses a manifest; on error -EINVAL with "MANIFEST:LINE: what" in err. */
int bundle_manifest_parse(const char *data, size_t len, struct bundle_manifest *m, char *err,
			  size_t errsz);
void bundle_manifest_format(const struct bundle_manifest *m, struct buf *out);
void bundle_manifest_free(struct bundle_manifest *m);
const struct bundle_file *bundle_manifest_find(const struct bundle_manifest *m, const char *name);

/* Member names a bundle may hold: known-bad.tsv, sets/<product>/product.yaml,
 * sets/<product>/versions.tsv, sets/<product>/<version>.sha256.gz,
 * rules/<file> */
bool bundle_member_name_ok(const char *name);
/* the file name of a rules/ member */
bool bundle_rule_name_ok(const char *file);

/* Rules in bundles. The rule files an imported bundle brought are active in
 * "<directory of the database>/rules/" (root's, 0700), replaced as a whole
 * by the next bundle that holds rules. A bundle's file replaces a configured
 * rule file of the same name (the fleet's newer php.yar over the packaged
 * one); the node's other configured files stay. */
char *bundle_rules_dir(const char *db);
/* The rule files the analysis compiles: the configured globs expanded, the
 * files a bundle replaced by name dropped, the bundle's files added; a glob
 * that matches nothing is kept as it is (the analyser says so). *ret and its
 * strings malloc'ed (bundle_rules_free). Returns 0 or -errno with err set. */
int bundle_rules_effective(const char *db, const char *const *globs, size_t nglobs, char ***ret,
			   size_t *nret, char *err, size_t errsz);
/* The analyser the node runs (the daemon at each start and reload, wsidctl
 * analyse and scan): bundle_rules_effective's files compiled, then the globs
 * of more (an admin's extra rules, taken as they are). *ret: analyse_free.
 * Errors as bundle_rules_effective (-EACCES: the rules directory is not
 * readable) and analyse_new (-ENOENT: a file named matches nothing). */
struct analyse;
int bundle_analyser_new(const char *db, const char *const *globs, size_t nglobs, const char *const *more,
			size_t nmore, struct analyse **ret, char *err, size_t errsz);
/* the same with the bundle's rules in dir (an import checks its staged set) */
int bundle_rules_effective_in(const char *dir, const char *const *globs, size_t nglobs,
			      char ***ret, size_t *nret, char *err, size_t errsz);
void bundle_rules_free(char **paths, size_t n);
/* Makes stage_rules (a directory of checked rule files beside the database,
 * on its file system) the active rules directory in one step: a rename, or
 * renameat2 RENAME_EXCHANGE with the old one, which then sits at
 * stage_rules (*exchanged) for the caller to remove. */
int bundle_rules_activate(const char *db, const char *stage_rules, bool *exchanged, char *err,
			  size_t errsz);
/* puts the old rules back (the import failed after activating) */
void bundle_rules_undo(const char *db, const char *stage_rules, bool exchanged);
/* the product and version of a set member; false for any other name */
bool bundle_member_set(const char *name, char product[BUNDLE_NAME_MAX + 1],
		       char version[BUNDLE_NAME_MAX + 1]);

/* Keys. The secret key file holds "wsid-ed25519-secret <base64>"; the public
 * key file beside it (<path>.pub) the base64 text alone. */
int bundle_keygen(const char *path, char pub_b64[BUNDLE_KEY_B64_LEN + 1], char *err, size_t errsz);
int bundle_secret_load(const char *path, uint8_t sk[BUNDLE_SECRET_LEN], char *err, size_t errsz);
/* a public key given as its base64 text or as a file holding it */
int bundle_public_parse(const char *spec, uint8_t pk[BUNDLE_KEY_LEN], char *err, size_t errsz);
void bundle_key_b64(const uint8_t pk[BUNDLE_KEY_LEN], char out[BUNDLE_KEY_B64_LEN + 1]);
/* the next export serial of a key: max(last + 1, now), kept in <keypath>.serial */
int bundle_next_serial(const char *keypath, uint64_t *serial, char *err, size_t errsz);

/* Writing: members are kept in memory, then written as MANIFEST, MANIFEST.sig
 * and the members, into path.tmp.<pid> renamed over path. */
struct bundle_writer;
struct bundle_writer *bundle_writer_new(const char *kind, uint64_t serial);
/* takes the buffer's content; count as in the manifest */
void bundle_writer_add(struct bundle_writer *w, const char *name, struct buf *data, uint64_t count);
int bundle_writer_finish(struct bundle_writer *w, const uint8_t sk[BUNDLE_SECRET_LEN],
			 const char *path, char *err, size_t errsz);
/* the same bundle into memory */
int bundle_writer_finish_mem(struct bundle_writer *w, const uint8_t sk[BUNDLE_SECRET_LEN],
			     struct buf *out, char *err, size_t errsz);
void bundle_writer_free(struct bundle_writer *w);

/* Reading. trusted: ntrusted keys accepted, BUNDLE_KEY_LEN bytes each. stage_dir: where members are written
 * (created below it as sets/<product>/...), or NULL to only check them. On
 * success m holds the verified manifest (bundle_manifest_free it). Every
 * refusal returns a negative errno and names what failed in err. */
int bundle_read_fd(int fd, const uint8_t *trusted, size_t ntrusted,
		   const char *stage_dir, struct bundle_manifest *m, char *err, size_t errsz);
int bundle_read_mem(const void *data, size_t len, const uint8_t *trusted,
		    size_t ntrusted, const char *stage_dir, struct bundle_manifest *m, char *err,
		    size_t errsz);

/* known-bad.tsv */
struct bundle_bad {
	uint8_t sha256[SHA256_LEN];
	int64_t added_at;
	const char *added_by, *note, *example; /* unescaped, NUL-terminated; "" when empty */
	size_t lineno;
};
typedef int (*bundle_bad_fn)(void *ud, const struct bundle_bad *b);
int bundle_bad_parse(const char *data, size_t len, bundle_bad_fn fn, void *ud, char *err,
		     size_t errsz);
void bundle_bad_format(struct buf *out, const uint8_t sha256[SHA256_LEN], int64_t added_at,
		       const char *added_by, const char *note, const char *example);

#endif
