/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP(S) downloads for `wsidctl index fetch` (libcurl, blocking: a command
 * line tool, never the daemon). TLS peers are verified; only http and https,
 * redirects only to https; a size cap enforced while reading (not trusted
 * from Content-Length); connect, total and low-speed timeouts; a minimum
 * interval between requests (politeness towards the source). A download is
 * kept in <partdir>/<sha256 of the URL>.part until it completes, and resumed
 * from there (HTTP Range) by the next call for the same URL. */
#ifndef WSID_FETCH_H
#define WSID_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct fetch_opts {
	uint64_t connect_timeout_ms;
	uint64_t timeout_ms;   /* the whole transfer */
	uint64_t max_bytes;
	uint64_t interval_ms;  /* between the starts of two requests */
	const char *partdir;   /* where partial downloads wait; NULL: none kept */
	const char *ca_file;   /* trust only this CA file (PEM); NULL: the system's */
};

struct fetcher;

int fetch_new(const struct fetch_opts *o, struct fetcher **ret);
void fetch_free(struct fetcher *f);

/* GET url. Returns the HTTP status (>= 100) with the body in *ret (malloc'ed,
 * caller frees; only for 2xx) or a negative errno with err naming the
 * problem (-E2BIG: over max_bytes, -ETIMEDOUT, -EIO other transfer errors). */
int fetch_get(struct fetcher *f, const char *url, char **ret, size_t *ret_len, char *err,
	      size_t errsz);

/* "https://host" of a URL, for allow-lists; -EINVAL when it has none */
int fetch_url_origin(const char *url, char *out, size_t outsz);

#endif
