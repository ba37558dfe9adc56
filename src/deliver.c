// SPDX-License-Identifier: GPL-2.0-or-later
/* Notification delivery process; see deliver.h. */
#include "deliver.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/landlock.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* ---- wire format ---- */

static void
put_field(struct buf *out, char tag, const char *v, size_t n)
{
	buf_printf(out, "%c %zu\n", tag, n);
	buf_append(out, v, n);
	buf_putc(out, '\n');
}

void
deliver_job_encode(struct buf *out, const struct deliver_job *j)
{
	char t[16];
	size_t i;

	buf_printf(out, "J %lld %c\n", (long long)j->id, j->transport);
	if (j->url)
		put_field(out, 'u', j->url, strlen(j->url));
	for (i = 0; i < j->nheaders; i++)
		put_field(out, 'H', j->headers[i], strlen(j->headers[i]));
	if (j->body)
		put_field(out, 'b', j->body, j->body_len);
	if (j->mail_from)
		put_field(out, 'f', j->mail_from, strlen(j->mail_from));
	for (i = 0; i < j->nrcpts; i++)
		put_field(out, 'r', j->rcpts[i], strlen(j->rcpts[i]));
	if (j->ca_file)
		put_field(out, 'c', j->ca_file, strlen(j->ca_file));
	if (j->username)
		put_field(out, 'U', j->username, strlen(j->username));
	if (j->password)
		put_field(out, 'P', j->password, strlen(j->password));
	if (j->tls == 'o' || j->tls == 'n')
		put_field(out, 'T', &j->tls, 1);
	snprintf(t, sizeof(t), "%u", j->timeout_s);
	put_field(out, 't', t, strlen(t));
	buf_puts(out, "E\n");
}

/* a line "…\n" at data[*pos]: its length without the newline, or -1 */
static ssize_t
line_at(const char *data, size_t len, size_t pos)
{
	const char *nl = memchr(data + pos, '\n', len - pos);

	return nl ? nl - (data + pos) : -1;
}

static bool
no_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) == NULL;
}

ssize_t
deliver_job_decode(const char *data, size_t len, struct deliver_job *j)
{
	size_t pos = 0;
	ssize_t ll;
	char hdr[64], tcode;
	long long id;

	memset(j, 0, sizeof(*j));
	if ((ll = line_at(data, len, 0)) < 0)
		return len > 64 ? -1 : 0;
	if (ll >= (ssize_t)sizeof(hdr))
		return -1;
	memcpy(hdr, data, (size_t)ll);
	hdr[ll] = '\0';
	if (sscanf(hdr, "J %lld %c", &id, &tcode) != 2 || id <= 0 || (tcode != 'h' && tcode != 's'))
		return -1;
	j->id = id;
	j->transport = tcode;
	j->timeout_s = 30; /* unless the job says otherwise */
	pos = (size_t)ll + 1;
	for (;;) {
		char tag;
		unsigned long long n;
		const char *v;

		if ((ll = line_at(data, len, pos)) < 0)
			goto incomplete;
		if (ll == 1 && data[pos] == 'E') {
			if (j->url == NULL)
				goto bad;
			return (ssize_t)(pos + 2);
		}
		if (ll < 3 || ll > 24 || data[pos + 1] != ' ')
			goto bad;
		memcpy(hdr, data + pos, (size_t)ll);
		hdr[ll] = '\0';
		tag = hdr[0];
		if (sscanf(hdr + 2, "%llu", &n) != 1 || n > DELIVER_BODY_MAX)
			goto bad;
		pos += (size_t)ll + 1;
		if (len - pos < n + 1)
			goto incomplete;
		v = data + pos;
		if (v[n] != '\n')
			goto bad;
		pos += n + 1;
		if (tag != 'b' && !no_nul(v, n))
			goto bad;
		switch (tag) {
		case 'u':
			free(j->url);
			j->url = xstrndup(v, n);
			break;
		case 'H':
			if (j->nheaders >= 64)
				goto bad;
			j->headers = xreallocarray(j->headers, j->nheaders + 1, sizeof(char *));
			j->headers[j->nheaders++] = xstrndup(v, n);
			break;
		case 'b':
			free(j->body);
			j->body = xmalloc(n + 1);
			memcpy(j->body, v, n);
			j->body[n] = '\0';
			j->body_len = n;
			break;
		case 'f':
			free(j->mail_from);
			j->mail_from = xstrndup(v, n);
			break;
		case 'r':
			if (j->nrcpts >= 100)
				goto bad;
			j->rcpts = xreallocarray(j->rcpts, j->nrcpts + 1, sizeof(char *));
			j->rcpts[j->nrcpts++] = xstrndup(v, n);
			break;
		case 'c':
			free(j->ca_file);
			j->ca_file = xstrndup(v, n);
			break;
		case 'U':
			free(j->username);
			j->username = xstrndup(v, n);
			break;
		case 'P':
			free(j->password);
			j->password = xstrndup(v, n);
			break;
		case 'T':
			if (n != 1 || (v[0] != 'v' && v[0] != 'o' && v[0] != 'n'))
				goto bad;
			j->tls = v[0];
			break;
		case 't':
			j->timeout_s = (unsigned)strtoul(v, NULL, 10);
			if (j->timeout_s == 0 || j->timeout_s > 3600)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
incomplete:
	deliver_job_free(j);
	return 0;
bad:
	deliver_job_free(j);
	return -1;
}

void
deliver_job_free(struct deliver_job *j)
{
	size_t i;

	free(j->url);
	for (i = 0; i < j->nheaders; i++)
		free(j->headers[i]);
	free(j->headers);
	free(j->body);
	free(j->mail_from);
	for (i = 0; i < j->nrcpts; i++)
		free(j->rcpts[i]);
	free(j->rcpts);
	free(j->ca_file);
	free(j->username);
	if (j->password)
		explicit_bzero(j->password, strlen(j->password));
	free(j->password);
	memset(j, 0, sizeof(*j));
}

void
deliver_result_encode(struct buf *out, const struct deliver_result *r)
{
	size_t n = strnlen(r->error, sizeof(r->error));

	buf_printf(out, "R %lld %d %ld %u %zu\n", (long long)r->id, r->outcome, r->status,
		   r->retry_after_s, n);
	buf_append(out, r->error, n);
	buf_putc(out, '\n');
}

ssize_t
deliver_result_decode(const char *data, size_t len, struct deliver_result *r)
{
	char hdr[128];
	ssize_t ll = line_at(data, len, 0);
	long long id;
	int outcome;
	long status;
	unsigned ra;
	size_t n, i;

	memset(r, 0, sizeof(*r));
	if (ll < 0)
		return len > 128 ? -1 : 0;
	if (ll >= (ssize_t)sizeof(hdr))
		return -1;
	memcpy(hdr, data, (size_t)ll);
	hdr[ll] = '\0';
	if (sscanf(hdr, "R %lld %d %ld %u %zu", &id, &outcome, &status, &ra, &n) != 5 || id <= 0 ||
	    outcome < 0 || outcome > 2 || status < 0 || status > 999 || ra > 7 * 86400 ||
	    n >= sizeof(r->error))
		return -1;
	if (len - (size_t)ll - 1 < n + 1)
		return 0;
	if (data[ll + 1 + (ssize_t)n] != '\n')
		return -1;
	r->id = id;
	r->outcome = outcome;
	r->status = status;
	r->retry_after_s = ra;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)data[ll + 1 + (ssize_t)i];

		r->error[i] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	r->error[n] = '\0';
	return ll + 1 + (ssize_t)n + 1;
}

void
deliver_hello_encode(struct buf *out, const char *sandbox)
{
	buf_printf(out, "S %s\n", sandbox);
}

ssize_t
deliver_hello_decode(const char *data, size_t len, char *sandbox, size_t sz)
{
	ssize_t ll = line_at(data, len, 0);
	size_t i;

	if (len > 0 && data[0] != 'S')
		return -1;
	if (ll < 0)
		return len > 64 ? -1 : 0;
	if (ll < 3 || ll > 63 || data[1] != ' ' || (size_t)ll - 2 >= sz)
		return -1;
	for (i = 2; i < (size_t)ll; i++)
		if (data[i] == '\0' || !strchr("abcdefghijklmnopqrstuvwxyz()- ", data[i]))
			return -1;
	memcpy(sandbox, data + 2, (size_t)ll - 2);
	sandbox[ll - 2] = '\0';
	return ll + 1;
}

int
deliver_classify_http(long status)
{
	if (status >= 200 && status < 300)
		return DELIVER_OK;
	if (status == 408 || status == 429 || status >= 500 || status == 0)
		return DELIVER_RETRY;
	return DELIVER_FAILED;
}

int
deliver_classify_smtp(long code)
{
	if (code >= 200 && code < 400)
		return DELIVER_OK;
	if (code >= 500)
		return DELIVER_FAILED;
	return DELIVER_RETRY; /* 4xx, or no answer at all */
}

/* ---- spawning ---- */

int
deliver_spawn(const char *self_exe, const char *user, char *const *read_paths, size_t nread,
	      bool sandbox_optional, int *ret_fd, pid_t *ret_pid)
{
	int sv[2];
	pid_t pid;
	static const char deleted[] = " (deleted)";
	char exe[PATH_MAX];
	ssize_t n;

	/* /proc/self/exe is run by the path it links to while that still names
	 * this binary (a tool that follows exec, valgrind, sees the program);
	 * by the link itself when an upgrade replaced the file ("(deleted)") */
	if (strcmp(self_exe, "/proc/self/exe") == 0 &&
	    (n = readlink(self_exe, exe, sizeof(exe) - 1)) > 0 && exe[0] == '/') {
		exe[n] = '\0';
		if ((size_t)n < sizeof(deleted) - 1 ||
		    memcmp(exe + n - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1) != 0)
			self_exe = exe;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		/* argv: --deliver USER [--sandbox optional] [--read PATH]... */
		char **argv = calloc(nread * 2 + 7, sizeof(char *));
		size_t i, k = 0;

		if (dup2(sv[1], 3) < 0 || argv == NULL)
			_exit(127);
		argv[k++] = strdup("wsid-deliver");
		argv[k++] = strdup("--deliver");
		argv[k++] = strdup(user);
		if (sandbox_optional) {
			argv[k++] = strdup("--sandbox");
			argv[k++] = strdup("optional");
		}
		for (i = 0; i < nread; i++) {
			argv[k++] = strdup("--read");
			argv[k++] = read_paths[i];
		}
		argv[k] = NULL;
		execv(self_exe, argv);
		_exit(127);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	*ret_fd = sv[0];
	*ret_pid = pid;
	return 0;
}

/* ---- the child ---- */

static int
drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		log_warnx("deliver: no user '%s'", esc_name(user));
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx("deliver: refusing to deliver as root (notify.user: %s)", esc_name(user));
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_warn("deliver: cannot become %s", esc_name(user));
		return -1;
	}
	if (setuid(0) == 0) {
		log_warnx("deliver: privileges could be regained");
		return -1;
	}
	return 0;
}

/* What the sender reads: libcurl, OpenSSL and the CA store, the resolver and
 * NSS (and the libraries they load), the time zone; the CA files routes name.
 * Not /etc as a whole: the configuration (SMTP password, webhook secrets)
 * stays out of its reach; it gets a route's secret only inside a job. */
static const char *const confine_sys[] = {
	"/usr", "/lib", "/lib64", "/dev/null", "/dev/urandom",
	"/etc/ssl", "/etc/pki", "/etc/ca-certificates", "/etc/crypto-policies",
	"/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/nsswitch.conf", "/etc/gai.conf",
	"/etc/services", "/etc/protocols", "/etc/localtime", "/etc/ld.so.cache",
	"/run/systemd/resolve", "/run/resolvconf",
};

int
deliver_confine(char *const *read_paths, size_t nread)
{
	const size_t nsys = sizeof(confine_sys) / sizeof(confine_sys[0]);
	struct landlock_ruleset_attr attr = { 0 };
	int abi, fd, r = 0;
	size_t i;

	/* the tests' way to a host without Landlock */
	if (getenv("WSID_TEST_NO_LANDLOCK"))
		return -ENOSYS;
	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return errno ? -errno : -ENOSYS;
	attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
				 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
				 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
				 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
				 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
				 LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < nsys + nread; i++) {
		const char *p = i < nsys ? confine_sys[i] : read_paths[i - nsys];
		struct landlock_path_beneath_attr pb = { 0 };
		struct stat st;

		pb.parent_fd = open(p, O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0)
			continue; /* not on this system */
		pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
		if (fstat(pb.parent_fd, &st) == 0 && S_ISDIR(st.st_mode))
			pb.allowed_access |= LANDLOCK_ACCESS_FS_READ_DIR;
		if (strcmp(p, "/dev/null") == 0)
			pb.allowed_access |= LANDLOCK_ACCESS_FS_WRITE_FILE;
		if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
			log_warn("deliver: landlock_add_rule %s", esc_name(p));
		close(pb.parent_fd);
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

struct transfer {
	struct deliver_job job;
	CURL *h;
	struct curl_slist *hdrs, *rcpts;
	size_t sent;        /* SMTP: bytes of the message read by libcurl */
	size_t received;    /* response bytes seen */
	unsigned retry_after;
	char errbuf[CURL_ERROR_SIZE];
	char reply[160]; /* SMTP: the relay's last 4xx/5xx answer line */
};

/* SMTP: libcurl hands the server's answers to the header callback; the last
 * refusal is kept to say why (sanitised with the rest of the result) */
static size_t
on_smtp_reply(char *p, size_t sz, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = sz * n;

	if (len >= 3 && (p[0] == '4' || p[0] == '5') && p[1] >= '0' && p[1] <= '9') {
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		snprintf(t->reply, sizeof(t->reply), "%.*s", (int)(len < sizeof(t->reply) ? len : sizeof(t->reply) - 1), p);
	}
	return sz * n;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct transfer *t = ud;

	(void)p;
	t->received += sz * n;
	if (t->received > DELIVER_RESPONSE_MAX)
		return 0; /* the cap: abort the transfer */
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = sz * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char v[32];
		size_t k = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
		long s;

		memcpy(v, p + 12, k);
		v[k] = '\0';
		s = strtol(v, NULL, 10);
		if (s > 0 && s <= 7 * 86400)
			t->retry_after = (unsigned)s; /* a date form is treated as no hint */
	}
	return len;
}

static size_t
on_read(char *out, size_t sz, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t left = t->job.body_len - t->sent, k = sz * n < left ? sz * n : left;

	memcpy(out, t->job.body + t->sent, k);
	t->sent += k;
	return k;
}

static struct transfer *
transfer_start(CURLM *m, struct deliver_job *j)
{
	struct transfer *t = xcalloc(1, sizeof(*t));
	size_t i;

	t->job = *j;
	memset(j, 0, sizeof(*j));
	t->h = curl_easy_init();
	if (t->h == NULL) {
		deliver_job_free(&t->job);
		free(t);
		return NULL;
	}
	curl_easy_setopt(t->h, CURLOPT_URL, t->job.url);
	curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->h, CURLOPT_TIMEOUT, (long)t->job.timeout_s);
	curl_easy_setopt(t->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->job.ca_file)
		curl_easy_setopt(t->h, CURLOPT_CAINFO, t->job.ca_file);
	if (t->job.transport == 'h') {
		curl_easy_setopt(t->h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(t->h, CURLOPT_FOLLOWLOCATION, 0L); /* never to another host */
		curl_easy_setopt(t->h, CURLOPT_POST, 1L);
		curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, t->job.body ? t->job.body : "");
		curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->job.body_len);
		for (i = 0; i < t->job.nheaders; i++)
			t->hdrs = curl_slist_append(t->hdrs, t->job.headers[i]);
		t->hdrs = curl_slist_append(t->hdrs, "Expect:");
		curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->hdrs);
		curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(t->h, CURLOPT_WRITEDATA, t);
		curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t);
		curl_easy_setopt(t->h, CURLOPT_USERAGENT, "wsid/" WSID_VERSION);
	} else {
		curl_easy_setopt(t->h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		/* notify.smtp.tls: verify requires TLS (STARTTLS, or smtps://) and a
		 * trusted certificate; opportunistic encrypts when offered and takes
		 * any certificate (a local relay's self-signed one); none never */
		if (t->job.tls == 'n') {
			curl_easy_setopt(t->h, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
		} else if (t->job.tls == 'o') {
			curl_easy_setopt(t->h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
			curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYHOST, 0L);
		} else {
			curl_easy_setopt(t->h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		}
		if (t->job.mail_from)
			curl_easy_setopt(t->h, CURLOPT_MAIL_FROM, t->job.mail_from);
		for (i = 0; i < t->job.nrcpts; i++)
			t->rcpts = curl_slist_append(t->rcpts, t->job.rcpts[i]);
		curl_easy_setopt(t->h, CURLOPT_MAIL_RCPT, t->rcpts);
		curl_easy_setopt(t->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(t->h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(t->h, CURLOPT_READDATA, t);
		curl_easy_setopt(t->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)t->job.body_len);
		curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION, on_smtp_reply);
		curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t);
		if (t->job.username)
			curl_easy_setopt(t->h, CURLOPT_USERNAME, t->job.username);
		if (t->job.password)
			curl_easy_setopt(t->h, CURLOPT_PASSWORD, t->job.password);
	}
	curl_multi_add_handle(m, t->h);
	return t;
}

static void
transfer_done(CURLM *m, struct transfer *t, CURLcode rc, struct buf *out)
{
	struct deliver_result r;
	long code = 0;

	memset(&r, 0, sizeof(r));
	r.id = t->job.id;
	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &code);
	r.status = code >= 0 && code <= 999 ? code : 0;
	if (t->job.transport == 'h') {
		/* a 2xx whose body overflowed the cap is still delivered */
		if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && code >= 200 && code < 300))
			r.outcome = deliver_classify_http(code);
		else
			r.outcome = DELIVER_RETRY; /* refused, timed out, reset, TLS */
		r.retry_after_s = t->retry_after;
		if (rc != CURLE_OK && r.outcome != DELIVER_OK)
			snprintf(r.error, sizeof(r.error), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
		else if (r.outcome != DELIVER_OK)
			snprintf(r.error, sizeof(r.error), "HTTP %ld", code);
	} else {
		r.outcome = rc == CURLE_OK ? DELIVER_OK : deliver_classify_smtp(code);
		/* a code below 400 is not the refusal (the 220 to STARTTLS before a
		 * certificate was refused): then curl's words alone */
		if (code < 400)
			code = 0;
		if (rc != CURLE_OK && code && t->reply[0])
			snprintf(r.error, sizeof(r.error), "SMTP %ld (%.60s): %s", code,
				 t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc), t->reply);
		else if (rc != CURLE_OK && code)
			snprintf(r.error, sizeof(r.error), "SMTP %ld (%.200s)", code,
				 t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
		else if (rc != CURLE_OK)
			snprintf(r.error, sizeof(r.error), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
		if (rc != CURLE_OK && r.outcome == DELIVER_OK)
			r.outcome = DELIVER_RETRY;
	}
	deliver_result_encode(out, &r);
	curl_multi_remove_handle(m, t->h);
	curl_easy_cleanup(t->h);
	curl_slist_free_all(t->hdrs);
	curl_slist_free_all(t->rcpts);
	deliver_job_free(&t->job);
	free(t);
}

/* SIGTERM: the transfers in flight are dropped (the daemon sends them again)
 * and the process leaves through its cleanup */
static volatile sig_atomic_t term_requested;

static void
on_term(int sig)
{
	(void)sig;
	term_requested = 1;
}

/* the process: signals, identity, confinement, libcurl; *ret_sandbox what
 * confines it (said to the daemon first on every connection) */
static int
prepare(const char *user, char *const *read_paths, size_t nread, bool sandbox_optional,
	const char **ret_sandbox)
{
	int r;

	struct sigaction sa;
	sigset_t none;

	/* the daemon blocks its signals (signalfd): exec kept that mask */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: a wait returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return -1;
	if (getuid() == 0 && drop_privileges(user) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if ((r = deliver_confine(read_paths, nread)) < 0) {
		if (!sandbox_optional) {
			log_warnx("deliver: cannot confine itself with Landlock (%s): not delivering "
				  "(notify.sandbox: optional lets it run confined by its user only)",
				  strerror(-r));
			return -2;
		}
		log_warnx("deliver: no Landlock sandbox (%s): confined by its user only "
			  "(notify.sandbox: optional)", strerror(-r));
		*ret_sandbox = "none (optional)";
		return 0;
	}
	*ret_sandbox = "landlock";
	return 0;
}

/* jobs from fd until it closes and nothing is in flight */
static int
serve(int fd, const char *sandbox)
{
	CURLM *m;
	struct buf in, out;
	size_t active = 0;
	bool eof = false;
	int rc = 0;

	m = curl_multi_init();
	buf_init(&in, 64u << 20);
	buf_init(&out, 16u << 20);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	deliver_hello_encode(&out, sandbox);
	if (fd_write_all_wait(fd, out.data, out.len) < 0)
		eof = true;
	buf_reset(&out);
	while ((!eof || active > 0) && !term_requested) {
		struct curl_waitfd wf = { fd, CURL_WAIT_POLLIN, 0 };
		int running = 0, left;
		CURLMsg *msg;

		curl_multi_poll(m, eof ? NULL : &wf, eof ? 0 : 1, 1000, NULL);
		if (!eof) {
			char chunk[65536];
			ssize_t n;

			while ((n = read(fd, chunk, sizeof(chunk))) > 0)
				if (buf_append(&in, chunk, (size_t)n) < 0) {
					rc = 1;
					goto out;
				}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				eof = true;
		}
		for (;;) {
			struct deliver_job j;
			ssize_t used = deliver_job_decode(in.data ? in.data : "", in.len, &j);

			if (used < 0) {
				log_warnx("deliver: malformed job stream");
				rc = 1;
				goto out;
			}
			if (used == 0)
				break;
			/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): used > 0, so in holds data */
			memmove(in.data, in.data + used, in.len - (size_t)used);
			in.len -= (size_t)used;
			if (transfer_start(m, &j))
				active++;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct transfer *t = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			transfer_done(m, t, msg->data.result, &out);
			active--;
		}
		if (out.len) {
			if (fd_write_all_wait(fd, out.data, out.len) < 0)
				eof = true; /* the daemon is gone: finish what is in flight */
			buf_reset(&out);
		}
	}
out:
	curl_multi_cleanup(m);
	buf_free(&in);
	buf_free(&out);
	return rc;
}

int
deliver_main(int fd, const char *user, char *const *read_paths, size_t nread, bool sandbox_optional)
{
	const char *sandbox = "none";
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1; /* the daemon is gone already */
	if ((rc = prepare(user, read_paths, nread, sandbox_optional, &sandbox)) < 0) {
		curl_global_cleanup();
		return rc == -2 ? DELIVER_EXIT_NO_SANDBOX : 1;
	}
	rc = serve(fd, sandbox);
	curl_global_cleanup();
	return rc;
}

int
deliver_listen(const char *path, const char *user, char *const *read_paths, size_t nread,
	       bool sandbox_optional)
{
	const char *sandbox = "none";
	struct sockaddr_un sa;
	int lfd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("deliver: socket path too long: %s", esc_name(path));
		return 1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return 1;
	unlink(path);
	/* the socket exists before the confinement forbids making one; only the
	 * daemon (root) may connect */
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(lfd, 4) < 0) {
		log_warn("deliver: %s", esc_name(path));
		return 1;
	}
	if ((r = prepare(user, read_paths, nread, sandbox_optional, &sandbox)) < 0) {
		close(lfd);
		curl_global_cleanup();
		return r == -2 ? DELIVER_EXIT_NO_SANDBOX : 1;
	}
	log_info("deliver: waiting for wsid on %s", esc_name(path));
	while (!term_requested) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			log_warn("deliver: accept");
			return 1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != 0) {
			log_warnx("deliver: a connection not from root refused");
			close(fd);
			continue;
		}
		log_info("deliver: wsid %d connected", (int)cr.pid);
		serve(fd, sandbox);
		close(fd);
		log_info("deliver: wsid disconnected");
	}
	close(lfd);
	curl_global_cleanup();
	return 0;
}

int
deliver_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}
