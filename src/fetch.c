// SPDX-License-Identifier: GPL-2.0-or-later
/* Downloads for the fingerprint fetch; see fetch.h. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "hash.h"
#include "util.h"

struct fetcher {
	struct fetch_opts o;
	CURL *curl;
	uint64_t last_ns;
};

struct sink {
	int fd;
	uint64_t have;   /* bytes already in the part file */
	uint64_t total;
	uint64_t max;
	bool checked;    /* the status of the answer was looked at */
	bool toobig;
	bool werr;
	CURL *curl;
};

int
fetch_new(const struct fetch_opts *o, struct fetcher **ret)
{
	struct fetcher *f;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	f = xcalloc(1, sizeof(*f));
	f->o = *o;
	if ((f->curl = curl_easy_init()) == NULL) {
		free(f);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}

void
fetch_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	curl_easy_cleanup(f->curl);
	free(f);
}

static size_t
sink_write(char *p, size_t sz, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = sz * n;

	if (!s->checked) {
		long code = 0;

		s->checked = true;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
		/* a resumed download the server answers whole: start over */
		if (code != 206 && s->have > 0) {
			if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0) {
				s->werr = true;
				return 0;
			}
			s->have = 0;
		}
		s->total = s->have;
	}
	if (s->total + len > s->max) {
		s->toobig = true;
		return 0;
	}
	if (fd_write_all(s->fd, p, len) < 0) {
		s->werr = true;
		return 0;
	}
	s->total += len;
	return len;
}

static void
polite_wait(struct fetcher *f)
{
	uint64_t now = now_mono_ns(), due = f->last_ns + f->o.interval_ms * 1000000ull;

	if (f->last_ns && now < due) {
		struct timespec ts = { (time_t)((due - now) / 1000000000ull),
				       (long)((due - now) % 1000000000ull) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	f->last_ns = now_mono_ns();
}

static int
read_fd(int fd, size_t len, char **ret)
{
	char *d = xmalloc(len + 1);
	size_t off = 0;

	while (off < len) {
		ssize_t n = pread(fd, d + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(d);
			return n < 0 ? -errno : -EIO;
		}
		off += (size_t)n;
	}
	d[len] = '\0';
	*ret = d;
	return 0;
}

int
fetch_get(struct fetcher *f, const char *url, char **ret, size_t *ret_len, char *err, size_t errsz)
{
	char cerr[CURL_ERROR_SIZE] = "", hex[SHA256_LEN * 2 + 1], *part = NULL;
	uint8_t h[SHA256_LEN];
	struct sink s = { .fd = -1, .max = f->o.max_bytes, .curl = f->curl };
	struct stat st;
	CURLcode cc;
	long code = 0;
	int r;

	sha256_buf(url, strlen(url), h);
	hex_encode(h, sizeof(h), hex);
	if (f->o.partdir) {
		part = xasprintf("%s/%s.part", f->o.partdir, hex);
		s.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	} else {
		s.fd = memfd_create("wsid-fetch", MFD_CLOEXEC);
	}
	if (s.fd < 0 || fstat(s.fd, &st) < 0) {
		snprintf(err, errsz, "%s: %s", part ? part : "memfd", strerror(errno));
		r = -errno;
		goto out;
	}
	s.have = S_ISREG(st.st_mode) && (uint64_t)st.st_size < s.max ? (uint64_t)st.st_size : 0;
	if (s.have == 0 && ftruncate(s.fd, 0) < 0) {
		r = -errno;
		goto out;
	}
	lseek(s.fd, (off_t)s.have, SEEK_SET);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(f->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->o.ca_file) {
		curl_easy_setopt(f->curl, CURLOPT_CAINFO, f->o.ca_file);
		curl_easy_setopt(f->curl, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_USERAGENT, "wsid-fetch/1 (fingerprints of installed releases)");
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)f->o.connect_timeout_ms);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, (long)f->o.timeout_ms);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(f->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_bytes);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &s);
	if (s.have)
		curl_easy_setopt(f->curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)s.have);
	polite_wait(f);
	cc = curl_easy_perform(f->curl);
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
	if (s.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errsz, "%s: larger than %llu bytes: refused", url,
			 (unsigned long long)s.max);
		r = -E2BIG;
		if (part)
			unlink(part);
		goto out;
	}
	if (cc == CURLE_RANGE_ERROR || (cc == CURLE_HTTP_RETURNED_ERROR && code == 416) || code == 416) {
		/* the part file is stale: drop it; the next run starts over */
		if (part)
			unlink(part);
		snprintf(err, errsz, "%s: cannot resume (HTTP 416): partial download dropped", url);
		r = -EIO;
		goto out;
	}
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) {
		snprintf(err, errsz, "%s: TLS: the server's certificate is not trusted (%s; CA file %s): refused",
			 url, cerr[0] ? cerr : curl_easy_strerror(cc),
			 f->o.ca_file ? f->o.ca_file : "of the system");
		r = -EIO;
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errsz, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(cc));
		r = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
		goto out; /* the part file stays: the next run resumes */
	}
	if (s.werr) {
		snprintf(err, errsz, "%s: cannot write the download: %s", url, strerror(errno));
		r = -EIO;
		goto out;
	}
	if (code < 200 || code > 299) {
		if (part)
			unlink(part);
		snprintf(err, errsz, "%s: HTTP %ld", url, code);
		r = (int)code;
		goto out;
	}
	if (!s.checked)
		s.total = s.have; /* an empty answer, or nothing left to resume */
	if ((r = read_fd(s.fd, (size_t)s.total, ret)) < 0) {
		snprintf(err, errsz, "%s: %s", url, strerror(-r));
		goto out;
	}
	*ret_len = (size_t)s.total;
	if (part)
		unlink(part);
	r = (int)code;
out:
	if (s.fd >= 0)
		close(s.fd);
	free(part);
	return r;
}

int
fetch_url_origin(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://"), *end;

	if (p == NULL)
		return -EINVAL;
	p += 3;
	end = p + strcspn(p, "/?#");
	if (end == p || memchr(p, '@', (size_t)(end - p)) != NULL || (size_t)(end - url) >= outsz)
		return -EINVAL;
	memcpy(out, url, (size_t)(end - url));
	out[end - url] = '\0';
	return 0;
}
