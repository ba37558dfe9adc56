/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Classification: what a change means. Pure: (change, what the index says of
 * the old and new content, where the file lies) -> verdict, severity, reason.
 * Product-independent: the only product knowledge is in the fingerprint sets
 * and their product.yaml (upload_dirs). */
#ifndef WSID_CLASSIFY_H
#define WSID_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

enum change_kind {
	CHANGE_CREATED = 0,
	CHANGE_MODIFIED,
	CHANGE_DELETED,
	CHANGE_RENAMED,
	CHANGE_BASELINE, /* found by the first scan of a webspace */
	CHANGE_RECLASSIFIED, /* same content, judged again (a mark, a new index) */
	CHANGE_KIND_MAX,
};

enum verdict_kind {
	VERDICT_OK = 0,       /* the release's own content */
	VERDICT_UPDATE,       /* content of a newer release of the installed product */
	VERDICT_DOWNGRADE,    /* content of an older release */
	VERDICT_TAMPERED,     /* release file, content of no known version */
	VERDICT_MALICIOUS,    /* hash on the known-bad list */
	VERDICT_SUSPICIOUS,   /* executable code where none belongs */
	VERDICT_FOREIGN,      /* known content in the wrong context */
	VERDICT_DELETED,      /* release file removed */
	VERDICT_VERSION_LIE,  /* version file contradicted by the hashes */
	VERDICT_NEW,          /* new file of no release */
	VERDICT_CHANGED_UNKNOWN, /* non-release file changed or removed */
	VERDICT_IGNORED,      /* does not matter by policy (media in uploads) */
	VERDICT_LOCKED,       /* a lease kept the file closed: judged again later */
	VERDICT_CHANGING,     /* changed every time it was hashed: judged again later */
	VERDICT_MAX,
};

enum severity {
	SEV_INFO = 0,
	SEV_NOTICE,
	SEV_WARNING,
	SEV_CRITICAL,
	SEV_MAX,
};

/* what the index knows of a content, relative to the file's installation */
enum content_known {
	KNOWN_NONE = 0,     /* no index entry */
	KNOWN_RELEASE,      /* this path in the installation's version */
	KNOWN_OTHER_VERSION,/* this path in another version of the same product */
	KNOWN_ELSEWHERE,    /* in the index, but another path or product */
	KNOWN_MAX,
};

struct classify_input {
	enum change_kind change;
	const char *relpath; /* relative to the installation root if any, else webspace */
	size_t rlen;
	bool in_installation;   /* an installation covers the file */
	bool release_path;      /* relpath is a file of the installation's release */
	enum content_known known;
	int version_rank;       /* installation's version rank */
	int other_rank;         /* for KNOWN_OTHER_VERSION: that version's rank */
	const char *product, *version, *other_version;
	bool known_bad;
	bool trusted;           /* marked trusted by the admin */
	bool php_head;          /* first bytes say PHP */
	bool in_upload_dir;     /* product upload dirs, or uploads/images/cache/tmp */
	bool in_product_upload_dir; /* of those, one the product set names */
	bool in_staging_dir;    /* where the product's updater unpacks (staging_dirs) */
	/* the file's top folder in the webspace holds code no index knows (an
	 * application not identified); asked only for content known elsewhere
	 * that is neither code nor inert */
	bool beside_unknown_code;
};

struct verdict {
	enum verdict_kind kind;
	enum severity severity;
	/* the verdict rests on the name or the place alone (a double extension,
	 * a dot name, a cache directory): content that the analysis finds
	 * nothing in clears it */
	bool by_name;
	char reason[320];
};

void classify_change(const struct classify_input *in, struct verdict *out);

const char *verdict_name(enum verdict_kind v);
int verdict_parse(const char *name); /* -1 if unknown */
const char *severity_name(enum severity s);
int severity_parse(const char *name);
const char *change_name(enum change_kind c);
const char *known_name(enum content_known k);
enum severity verdict_default_severity(enum verdict_kind v);

/* name-based tests (pure) */
bool classify_is_code_name(const char *relpath, size_t len);
bool classify_double_ext(const char *relpath, size_t len); /* x.jpg.php */
bool classify_hidden_code(const char *relpath, size_t len); /* .x.php */
bool classify_generic_upload_dir(const char *relpath, size_t len); /* lower case only */
bool classify_generic_cache_dir(const char *relpath, size_t len); /* cache, tmp, temp */
bool classify_php_head(const unsigned char *head, size_t n);
/* images and icons: what an upload form takes, and where PHP hides behind a
 * header (included by .user.ini, .htaccess or a vulnerable include) */
bool classify_media_name(const char *relpath, size_t len);
/* licences, read-mes, text, images, fonts, translations: known content of
 * another product there is no evidence of anything */
bool classify_inert_name(const char *relpath, size_t len);
/* whether the content of a change so judged is analysed (analyse.h): code by
 * name or first bytes that is no release's, and images wherever stored */
bool classify_analyse_wanted(const char *relpath, size_t len, bool php_head, bool php_inside,
			     enum verdict_kind v);
/* whether a content may be code the analysis reads: code by name, by its first
 * bytes (head), or an image whose content holds a PHP open tag (php_tag, as
 * hash_fd and hash_php_tag find it). The one test of the daemon and of
 * wsidctl scan. */
bool classify_code_content(const char *relpath, size_t len, const unsigned char *head, size_t headlen,
			   bool php_tag);

#endif
