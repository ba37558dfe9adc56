// SPDX-License-Identifier: GPL-2.0-or-later
/* The HTTP request behind a change; see reqattr.h.
 *
 * One thread asks the pools, one query at a time, from a short queue. Results
 * live in a small table keyed by pid (the last burst of writes of each worker),
 * read by the loop's thread under the lock. */
#include "reqattr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "fcgi.h"
#include "fpmstatus.h"
#include "json.h"
#include "log.h"

#define SLOTS 128
#define QUEUE_MAX 64
#define REQUERY_NS (100ull * 1000000) /* a write this long after the answer asks again */
#define DEFAULT_TIMEOUT_MS 200
#define LOG_POLL_MS 50

struct job {
	int pid;
	char pool[64];
	char *listen;
	char *status_path;
	char *access_log;
	uint64_t timeout_ms, log_wait_ms;
	int64_t change_ns;
	/* the answer; a tied one may wait for its access log line */
	struct reqattr_info info;
	int64_t answered;
	uint64_t log_deadline;
	bool log_once; /* the same request as the last answer, which had no line */
	struct job *next;
};

struct slot {
	int pid;
	bool used, busy;
	uint64_t deadline;  /* monotonic: busy no longer after this */
	int64_t change_ns;  /* the first write of the burst */
	int64_t answered_ns; /* wall clock of the answer (0: none yet) */
	struct reqattr_info info;
	struct reqattr_info last; /* the last tied answer for this pid */
};

struct reqattr {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stop;
	struct job *head, *tail;
	unsigned queued;
	struct job *logq; /* tied requests waiting for their access log line */
	struct slot slot[SLOTS];
	/* the configuration (loop's thread only) */
	struct reqattr_pool *pools;
	size_t npools;
	bool discover;
	uint64_t timeout_ms, log_wait_ms;
	char *access_log;
	const char *(*customer_log)(void *ud, const char *customer);
	void *customer_log_ud;
};

static void *worker(void *arg);

struct reqattr *
reqattr_new(void)
{
	struct reqattr *ra = xcalloc(1, sizeof(*ra));

	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	ra->timeout_ms = DEFAULT_TIMEOUT_MS;
	return ra;
}

static void
job_free(struct job *j)
{
	free(j->listen);
	free(j->status_path);
	free(j->access_log);
	free(j);
}

static void
pools_free(struct reqattr *ra)
{
	size_t i;

	for (i = 0; i < ra->npools; i++) {
		free(ra->pools[i].name);
		free(ra->pools[i].listen);
		free(ra->pools[i].status_path);
	}
	free(ra->pools);
	ra->pools = NULL;
	ra->npools = 0;
}

void
reqattr_free(struct reqattr *ra)
{
	struct job *j;

	if (ra == NULL)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	pthread_cond_signal(&ra->cv);
	pthread_mutex_unlock(&ra->mu);
	if (ra->started)
		pthread_join(ra->thread, NULL);
	while ((j = ra->head) != NULL) {
		ra->head = j->next;
		job_free(j);
	}
	while ((j = ra->logq) != NULL) {
		ra->logq = j->next;
		job_free(j);
	}
	pools_free(ra);
	free(ra->access_log);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->cv);
	free(ra);
}

void
reqattr_configure(struct reqattr *ra, const struct reqattr_conf *c)
{
	size_t i;

	pools_free(ra);
	ra->pools = c->npools ? xcalloc(c->npools, sizeof(*ra->pools)) : NULL;
	for (i = 0; i < c->npools; i++) {
		ra->pools[i].name = xstrdup(c->pools[i].name);
		ra->pools[i].listen = c->pools[i].listen ? xstrdup(c->pools[i].listen) : NULL;
		ra->pools[i].status_path = c->pools[i].status_path ? xstrdup(c->pools[i].status_path) : NULL;
	}
	ra->npools = c->npools;
	ra->discover = c->discover;
	ra->timeout_ms = c->timeout_ms ? c->timeout_ms : DEFAULT_TIMEOUT_MS;
	ra->log_wait_ms = c->access_log_wait_ms;
	free(ra->access_log);
	ra->access_log = c->access_log ? xstrdup(c->access_log) : NULL;
	ra->customer_log = c->customer_log;
	ra->customer_log_ud = c->customer_log_ud;
}

/* ---- /proc: is the writer a PHP-FPM worker, and of which pool ---- */

static ssize_t
read_proc(const char *proc_root, int pid, const char *name, char *buf, size_t sz)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/%s", proc_root, pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

bool
reqattr_fpm_pool(const char *proc_root, int pid, char *pool, size_t poolsz)
{
	static const char prefix[] = "php-fpm: pool ";
	char buf[256];
	ssize_t n = read_proc(proc_root, pid, "cmdline", buf, sizeof(buf));
	size_t i, k = 0;

	if (n < (ssize_t)sizeof(prefix) || memcmp(buf, prefix, sizeof(prefix) - 1) != 0)
		return false;
	/* the title ends at a NUL or the spaces padding it */
	for (i = sizeof(prefix) - 1; i < (size_t)n && buf[i] && buf[i] != ' ' && k + 1 < poolsz; i++) {
		unsigned char ch = (unsigned char)buf[i];

		pool[k++] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	pool[k] = '\0';
	return k > 0;
}

/* The inodes of the sockets pid holds (at most max) */
static size_t
socket_inodes(int pid, unsigned long *ino, size_t max)
{
	char path[64], link[64];
	size_t n = 0;
	int fd;

	for (fd = 0; fd < 1024 && n < max; fd++) {
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		if ((k = readlink(path, link, sizeof(link) - 1)) < 0)
			continue;
		link[k] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino[n]) == 1)
			n++;
	}
	return n;
}

static bool
has_inode(const unsigned long *ino, size_t n, unsigned long x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ino[i] == x)
			return true;
	return false;
}

/* The socket a worker accepts on: the listening socket among its
 * descriptors (PHP-FPM's workers inherit their pool's). Only for a worker
 * whose parent is a root process titled "php-fpm: master process": a
 * tenant's process cannot be one, so the socket was bound by the
 * administrator's master, not by whoever named a process. */
static bool
discover_listen(int pid, char *out, size_t outsz)
{
	char buf[4096], l[512];
	unsigned long ino[64];
	size_t nino;
	ssize_t n;
	int ppid = 0;
	unsigned uid = 1;
	char *p;
	FILE *f;

	if (read_proc("/proc", pid, "status", buf, sizeof(buf)) < 0 || (p = strstr(buf, "\nPPid:")) == NULL ||
	    sscanf(p + 6, "%d", &ppid) != 1 || ppid <= 1)
		return false;
	if (read_proc("/proc", ppid, "status", buf, sizeof(buf)) < 0 || (p = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(p + 5, "%u", &uid) != 1 || uid != 0)
		return false;
	n = read_proc("/proc", ppid, "cmdline", buf, sizeof(buf));
	if (n < 23 || memcmp(buf, "php-fpm: master process", 23) != 0)
		return false;
	if ((nino = socket_inodes(pid, ino, 64)) == 0)
		return false;
	/* unix: "Num RefCount Protocol Flags Type St Inode Path", listening
	 * sockets with flag __SO_ACCEPTCON (00010000) */
	if ((f = fopen("/proc/net/unix", "re")) != NULL) {
		while (fgets(l, sizeof(l), f)) {
			unsigned long flags, x;
			int off = 0;

			if (sscanf(l, "%*s %*s %*s %lx %*s %*s %lu %n", &flags, &x, &off) == 2 && off > 0 &&
			    (flags & 0x10000) && has_inode(ino, nino, x) && l[off] == '/') {
				l[off + strcspn(l + off, "\n")] = '\0';
				snprintf(out, outsz, "%s", l + off);
				fclose(f);
				return true;
			}
		}
		fclose(f);
	}
	/* TCP: "sl local_address rem_address st ... inode", LISTEN is 0A */
	if ((f = fopen("/proc/net/tcp", "re")) != NULL) {
		while (fgets(l, sizeof(l), f)) {
			unsigned a, port, st;
			unsigned long x;

			if (sscanf(l, " %*s %8X:%4X %*8X:%*4X %2X %*s %*s %*s %*s %*s %lu", &a, &port, &st, &x) == 4 &&
			    st == 0x0A && has_inode(ino, nino, x)) {
				struct in_addr ia = { .s_addr = a };
				char ip[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &ia, ip, sizeof(ip));
				snprintf(out, outsz, "%s:%u", ip, port);
				fclose(f);
				return true;
			}
		}
		fclose(f);
	}
	return false;
}

/* ---- the table ---- */

static struct slot *
slot_of(struct reqattr *ra, int pid)
{
	return &ra->slot[(unsigned)pid % SLOTS];
}

static void
expand_log(const char *tmpl, const char *customer, char *out, size_t outsz)
{
	const char *p = strstr(tmpl, "{customer}");

	if (p && (customer[0] == '\0' || strchr(customer, '/') || strcmp(customer, ".") == 0 ||
		  strcmp(customer, "..") == 0))
		snprintf(out, outsz, "%s", ""); /* no path of its own */
	else if (p == NULL)
		snprintf(out, outsz, "%s", tmpl);
	else
		snprintf(out, outsz, "%.*s%s%s", (int)(p - tmpl), tmpl, customer, p + 10);
}

static void
start_thread(struct reqattr *ra)
{
	if (ra->started)
		return;
	if (pthread_create(&ra->thread, NULL, worker, ra) == 0)
		ra->started = true;
	else
		log_warnx("request attribution: cannot start its thread");
}

void
reqattr_note(struct reqattr *ra, int pid, const char *customer, int64_t change_ns)
{
	struct slot *s;
	struct reqattr_info info;
	const struct reqattr_pool *pool = NULL;
	char listen[256] = "", logpath[512] = "";
	const char *tmpl;
	struct job *j;
	size_t i;

	if (ra == NULL || pid <= 0)
		return;
	s = slot_of(ra, pid);
	pthread_mutex_lock(&ra->mu);
	if (s->used && s->pid == pid &&
	    (s->busy || (s->answered_ns && change_ns <= s->answered_ns + (int64_t)REQUERY_NS) ||
	     (!s->info.fpm && change_ns <= s->change_ns + 1000000000LL))) {
		pthread_mutex_unlock(&ra->mu);
		return; /* the same burst */
	}
	pthread_mutex_unlock(&ra->mu);
	memset(&info, 0, sizeof(info));
	info.fpm = reqattr_fpm_pool("/proc", pid, info.pool, sizeof(info.pool));
	if (info.fpm) {
		for (i = 0; i < ra->npools; i++)
			if (strcmp(ra->pools[i].name, info.pool) == 0)
				pool = &ra->pools[i];
		if (pool && pool->listen)
			snprintf(listen, sizeof(listen), "%s", pool->listen);
		else if (ra->discover && !discover_listen(pid, listen, sizeof(listen)))
			listen[0] = '\0';
		if (pool && pool->status_path == NULL)
			snprintf(info.why, sizeof(info.why), "pool %s has no status page (php_fpm.pools.%s.status_path)",
				 info.pool, info.pool);
		else if (listen[0] == '\0')
			snprintf(info.why, sizeof(info.why),
				 "pool %s is not configured (php_fpm.pools) and its socket was not found", info.pool);
	} else {
		snprintf(info.why, sizeof(info.why), "not written by a PHP-FPM worker");
	}
	tmpl = ra->customer_log ? ra->customer_log(ra->customer_log_ud, customer) : NULL;
	if (tmpl == NULL)
		tmpl = ra->access_log;
	if (tmpl)
		expand_log(tmpl, customer ? customer : "", logpath, sizeof(logpath));
	pthread_mutex_lock(&ra->mu);
	if (s->pid != pid)
		memset(&s->last, 0, sizeof(s->last));
	s->used = true;
	s->pid = pid;
	s->busy = false;
	s->change_ns = change_ns;
	s->answered_ns = 0;
	s->info = info;
	if (info.fpm && info.why[0] == '\0') {
		if (ra->queued >= QUEUE_MAX) {
			snprintf(s->info.why, sizeof(s->info.why), "too many status queries at once");
		} else {
			j = xcalloc(1, sizeof(*j));
			j->pid = pid;
			memcpy(j->pool, info.pool, sizeof(j->pool));
			j->listen = xstrdup(listen);
			j->status_path = xstrdup(pool && pool->status_path ? pool->status_path : "/status");
			j->access_log = logpath[0] ? xstrdup(logpath) : NULL;
			j->timeout_ms = ra->timeout_ms;
			j->log_wait_ms = logpath[0] ? ra->log_wait_ms : 0;
			j->change_ns = change_ns;
			if (ra->tail)
				ra->tail->next = j;
			else
				ra->head = j;
			ra->tail = j;
			ra->queued++;
			s->busy = true;
			/* the queue ahead of it is asked first */
			s->deadline = now_mono_ns() + (ra->queued * j->timeout_ms + j->log_wait_ms + 50) * 1000000ull;
			snprintf(s->info.why, sizeof(s->info.why), "the status page did not answer in time");
			start_thread(ra);
			pthread_cond_signal(&ra->cv);
		}
	}
	pthread_mutex_unlock(&ra->mu);
}

bool
reqattr_busy(struct reqattr *ra, int pid)
{
	struct slot *s;
	bool busy;

	if (ra == NULL || pid <= 0)
		return false;
	s = slot_of(ra, pid);
	pthread_mutex_lock(&ra->mu);
	busy = s->used && s->pid == pid && s->busy && now_mono_ns() < s->deadline;
	pthread_mutex_unlock(&ra->mu);
	return busy;
}

bool
reqattr_describe(struct reqattr *ra, int pid, struct reqattr_info *out)
{
	struct slot *s;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (ra == NULL || pid <= 0)
		return false;
	s = slot_of(ra, pid);
	pthread_mutex_lock(&ra->mu);
	ok = s->used && s->pid == pid;
	if (ok)
		*out = s->info;
	pthread_mutex_unlock(&ra->mu);
	return ok;
}

/* ---- the query (worker thread) ---- */

static int
connect_to(const char *listen, uint64_t deadline, char *err, size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, r;

	memset(&ss, 0, sizeof(ss));
	if (listen[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		if (strlen(listen) >= sizeof(un->sun_path)) {
			snprintf(err, errsz, "socket path too long");
			return -1;
		}
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, listen, strlen(listen));
		sl = sizeof(*un);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		const char *colon = strrchr(listen, ':');
		char host[64];
		unsigned port = 0;

		if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) || sscanf(colon + 1, "%u", &port) != 1 ||
		    port == 0 || port > 65535) {
			snprintf(err, errsz, "listen address '%s' is neither /path nor HOST:PORT", listen);
			return -1;
		}
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &in->sin_addr) != 1) {
			snprintf(err, errsz, "listen address '%s': not an IPv4 address", listen);
			return -1;
		}
		sl = sizeof(*in);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (struct sockaddr *)&ss, sl);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		uint64_t now = now_mono_ns();
		int soerr = 0;
		socklen_t el = sizeof(soerr);

		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000) + 1) <= 0) {
			snprintf(err, errsz, "no connection within the timeout");
			close(fd);
			return -1;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
		errno = soerr;
		r = soerr ? -1 : 0;
	}
	if (r < 0) {
		snprintf(err, errsz, "cannot connect to %s: %s", listen, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* sends the request and reads the reply into *resp: 0, or -1 with err */
static int
exchange(int fd, const struct buf *req, struct fcgi_resp *resp, uint64_t deadline, char *err, size_t errsz)
{
	size_t off = 0;
	char chunk[16384];

	while (off < req->len || !resp->done) {
		struct pollfd p = { .fd = fd, .events = off < req->len ? POLLOUT : POLLIN };
		uint64_t now = now_mono_ns();
		ssize_t n;
		int r;

		if (now >= deadline || (r = poll(&p, 1, (int)((deadline - now) / 1000000) + 1)) == 0) {
			snprintf(err, errsz, "no answer within the timeout");
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsz, "poll: %s", strerror(errno));
			return -1;
		}
		if (off < req->len) {
			n = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(err, errsz, "send: %s", strerror(errno));
				return -1;
			}
			off += n > 0 ? (size_t)n : 0;
			continue;
		}
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(err, errsz, n == 0 ? "the pool closed the connection before the end of its answer"
						    : "recv failed");
			return -1;
		}
		if (fcgi_resp_feed(resp, chunk, (size_t)n) < 0) {
			snprintf(err, errsz, "%s", resp->err);
			return -1;
		}
	}
	return 0;
}

static void
iso_time(int64_t ns, char *out, size_t sz)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	/* milliseconds: a request and the change it made share a second */
	snprintf(out, sz, "%s.%03dZ", base, (int)((ns / 1000000) % 1000));
}

/* why the decision ties no request: false, why filled; true when tied */
static bool
tie_why(enum fpm_tie tie, const struct fpm_worker *w, const struct job *j, int64_t answered, int64_t started,
	char *why, size_t sz)
{
	char ts[40];

	switch (tie) {
	case FPM_TIE_RUNNING:
	case FPM_TIE_FINISHED:
		why[0] = '\0';
		return true;
	case FPM_TIE_LATER:
		iso_time(started, ts, sizeof(ts));
		snprintf(why, sz, "the worker's request (%s %.100s) started after the change, at %s", w->method,
			 w->uri, ts);
		break;
	case FPM_TIE_UNSURE:
		snprintf(why, sz,
			 "worker idle when asked: its last request (%s %.100s, %.1f ms) may have begun after the "
			 "change (the pool answered %.1f ms after it)",
			 w->method, w->uri, (double)w->duration_us / 1000.0,
			 (double)(answered - j->change_ns) / 1000000.0);
		break;
	case FPM_TIE_SELF:
		snprintf(why, sz, "worker idle when asked (it %s, which replaced its last request on the page)",
			 w->busy ? "was serving this very status query" : "had served a status query since");
		break;
	case FPM_TIE_NONE:
		snprintf(why, sz, "worker idle when asked, and it has served no request");
		break;
	}
	return false;
}

/* asks the pool; fills info (tied, or why not) */
static void
ask(const struct job *j, struct reqattr_info *info, int64_t *answered)
{
	uint64_t deadline = now_mono_ns() + j->timeout_ms * 1000000ull;
	const char *params[] = { "GATEWAY_INTERFACE", "CGI/1.1", "SERVER_SOFTWARE", "wsid",
				 "REQUEST_METHOD", "GET", "SCRIPT_NAME", j->status_path,
				 "SCRIPT_FILENAME", j->status_path, "QUERY_STRING", "full&json",
				 "REQUEST_URI", NULL, "SERVER_PROTOCOL", "HTTP/1.1", NULL, NULL };
	char uri[600], err[200];
	struct fcgi_resp resp;
	struct fpm_worker w;
	struct buf req;
	const char *body;
	size_t blen;
	int64_t sent_ns;
	enum fpm_tie tie;
	int fd, status, r;

	snprintf(uri, sizeof(uri), "%s?full&json", j->status_path);
	params[13] = uri;
	buf_init(&req, 1 << 16);
	fcgi_resp_init(&resp, 1, FPM_STATUS_MAX_BYTES + 65536);
	if (fcgi_build_request(&req, 1, params) < 0) {
		snprintf(info->why, sizeof(info->why), "pool %s: status path too long", j->pool);
		goto out;
	}
	if ((fd = connect_to(j->listen, deadline, err, sizeof(err))) < 0) {
		snprintf(info->why, sizeof(info->why), "pool %s: status page not reached: %.150s", j->pool, err);
		goto out;
	}
	sent_ns = now_real_ns();
	r = exchange(fd, &req, &resp, deadline, err, sizeof(err));
	close(fd);
	*answered = now_real_ns();
	if (r < 0) {
		snprintf(info->why, sizeof(info->why), "pool %s: status page: %.150s", j->pool, err);
		goto out;
	}
	if (fcgi_cgi_split(resp.out.data ? resp.out.data : "", resp.out.len, &status, &body, &blen, err,
			   sizeof(err)) < 0) {
		snprintf(info->why, sizeof(info->why), "pool %s: status page: %.150s", j->pool, err);
		goto out;
	}
	if (status == 404) {
		snprintf(info->why, sizeof(info->why), "pool %s has no status page at %s (it answered 404)", j->pool,
			 j->status_path);
		goto out;
	}
	if (status != 200) {
		snprintf(info->why, sizeof(info->why), "pool %s: status page answered %d", j->pool, status);
		goto out;
	}
	r = fpm_status_find(body, blen, j->pid, NULL, 0, &w, err, sizeof(err));
	if (r < 0) {
		snprintf(info->why, sizeof(info->why), "pool %s: %.150s", j->pool, err);
		goto out;
	}
	info->finished = false;
	info->duration_us = 0;
	memcpy(info->method, w.method, sizeof(info->method));
	memcpy(info->uri, w.uri, sizeof(info->uri));
	memcpy(info->script, w.script, sizeof(info->script));
	memcpy(info->user, w.user, sizeof(info->user));
	tie = fpm_tie_decide(&w, j->status_path, j->change_ns, sent_ns, *answered, &info->started_ns);
	if (!tie_why(tie, &w, j, *answered, info->started_ns, info->why, sizeof(info->why)))
		goto out;
	info->finished = tie == FPM_TIE_FINISHED;
	info->duration_us = w.duration_us;
	info->tied = true;
	info->why[0] = '\0';
out:
	buf_free(&req);
	fcgi_resp_free(&resp);
}

/* one look at the access log for a tied request: true when that is the end
 * of it (found, an error, or its time is over) */
static bool
log_poll(struct job *j)
{
	struct reqattr_info *info = &j->info;
	int64_t from = info->started_ns / 1000000000 - 2, to = now_real_ns() / 1000000000 + 2;
	char err[200];
	int r;

	r = reqattr_access_log_find(j->access_log, info->method, info->uri, from, to, info->addr, sizeof(info->addr),
				    &info->status, err, sizeof(err));
	if (r > 0) {
		info->have_log = true;
		return true;
	}
	if (r < 0) {
		snprintf(info->log_why, sizeof(info->log_why), "%s", err);
		return true;
	}
	if (j->log_once || now_mono_ns() >= j->log_deadline) {
		snprintf(info->log_why, sizeof(info->log_why), "no line for this request in %.200s within %llu ms",
			 j->access_log, j->log_once ? 0ull : (unsigned long long)j->log_wait_ms);
		return true;
	}
	return false;
}

/* the answer into pid's slot, unless a newer burst took it (lock held) */
static void
finish(struct reqattr *ra, struct job *j)
{
	struct slot *s = slot_of(ra, j->pid);

	if (s->pid == j->pid && s->change_ns == j->change_ns) {
		s->info = j->info;
		s->busy = false;
		s->answered_ns = j->answered ? j->answered : now_real_ns();
		if (j->info.tied)
			s->last = j->info;
	}
	job_free(j);
}

/* the same request as the last tied answer (a long request writing many
 * files): its log line is looked for once, not waited for again */
static bool
same_request(const struct reqattr_info *a, const struct reqattr_info *b)
{
	int64_t d = a->started_ns - b->started_ns;

	return b->tied && !b->have_log && d < 5000000 && d > -5000000 && strcmp(a->uri, b->uri) == 0 &&
	       strcmp(a->method, b->method) == 0;
}

/* the tied requests' log lines, each looked for once (lock held, dropped
 * while reading) */
static void
log_round(struct reqattr *ra)
{
	struct job *list = ra->logq, *j, *next, *keep = NULL;

	ra->logq = NULL;
	pthread_mutex_unlock(&ra->mu);
	for (j = list; j; j = next) {
		next = j->next;
		j->next = NULL;
		if (log_poll(j)) {
			pthread_mutex_lock(&ra->mu);
			finish(ra, j);
			pthread_mutex_unlock(&ra->mu);
		} else {
			j->next = keep;
			keep = j;
		}
	}
	pthread_mutex_lock(&ra->mu);
	while ((j = keep) != NULL) {
		keep = j->next;
		j->next = ra->logq;
		ra->logq = j;
	}
}

static void *
worker(void *arg)
{
	struct reqattr *ra = arg;

	pthread_mutex_lock(&ra->mu);
	for (;;) {
		struct job *j;
		struct slot *s;

		while (!ra->stop && ra->head == NULL && ra->logq == NULL)
			pthread_cond_wait(&ra->cv, &ra->mu);
		if (ra->stop)
			break;
		if (ra->head == NULL) {
			struct timespec ts;

			log_round(ra);
			if (ra->logq && ra->head == NULL && !ra->stop) {
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += LOG_POLL_MS * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&ra->cv, &ra->mu, &ts);
			}
			continue;
		}
		j = ra->head;
		ra->head = j->next;
		if (ra->head == NULL)
			ra->tail = NULL;
		ra->queued--;
		s = slot_of(ra, j->pid);
		j->info = s->info;
		j->info.why[0] = '\0';
		pthread_mutex_unlock(&ra->mu);
		ask(j, &j->info, &j->answered);
		pthread_mutex_lock(&ra->mu);
		if (j->info.tied && j->access_log) {
			/* the notification may wait for the line a little longer */
			j->log_deadline = now_mono_ns() + j->log_wait_ms * 1000000ull;
			j->log_once = s->pid == j->pid && same_request(&j->info, &s->last);
			if (s->pid == j->pid && s->change_ns == j->change_ns && s->busy)
				s->deadline = j->log_deadline + 100 * 1000000ull;
			j->next = ra->logq;
			ra->logq = j;
			continue;
		}
		finish(ra, j);
	}
	pthread_mutex_unlock(&ra->mu);
	return NULL;
}

/* ---- the access log file ---- */

int
reqattr_access_log_find(const char *path, const char *method, const char *uri, int64_t from, int64_t to,
			char *addr, size_t addrsz, int *status, char *err, size_t errsz)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	struct stat st;
	char *data;
	size_t len, end;
	off_t start;
	ssize_t n;
	int fd, found = 0;

	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errsz, "access log %.200s: %s", path,
			 errno == ELOOP ? "a symbolic link in its path (never followed)" : strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "access log %.200s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	start = st.st_size > (off_t)ACCESSLOG_TAIL ? st.st_size - (off_t)ACCESSLOG_TAIL : 0;
	len = (size_t)(st.st_size - start);
	data = xmalloc(len + 1);
	n = len ? pread(fd, data, len, start) : 0;
	close(fd);
	if (n < 0) {
		snprintf(err, errsz, "access log %.200s: %s", path, strerror(errno));
		free(data);
		return -EIO;
	}
	len = (size_t)n;
	/* newest first; a partial first line (the tail cut it) fails to parse */
	for (end = len; end > 0 && !found;) {
		size_t b = end;
		struct alog_line l;

		while (b > 0 && data[b - 1] != '\n')
			b--;
		if (end - b > 0 && alog_parse(data + b, end - b, &l) == 0 && alog_match(&l, method, uri, from, to)) {
			snprintf(addr, addrsz, "%s", l.addr);
			*status = l.status;
			found = 1;
		}
		end = b > 0 ? b - 1 : 0;
	}
	free(data);
	return found;
}

/* ---- how it reads ---- */

void
reqattr_json(const struct reqattr_info *in, struct buf *out)
{
	struct json j;
	char ts[40];

	json_init(&j, out);
	if (in->tied) {
		json_obj_begin(&j);
		json_kv_str(&j, "method", in->method);
		json_kv_str(&j, "uri", in->uri);
		json_kv_str(&j, "script", in->script);
		iso_time(in->started_ns, ts, sizeof(ts));
		json_kv_str(&j, "started", ts);
		json_kv_int(&j, "started_ns", in->started_ns);
		/* running: served when the status page was read; finished: the
		 * worker's last request, over before that (started is then the
		 * latest it can have begun) */
		json_kv_str(&j, "state", in->finished ? "finished" : "running");
		if (in->finished)
			json_kv_int(&j, "duration_us", (int64_t)in->duration_us);
		json_kv_str(&j, "user", in->user);
		if (in->have_log) {
			json_kv_str(&j, "remote_addr", in->addr);
			json_kv_int(&j, "status", in->status);
		} else if (in->log_why[0]) {
			json_kv_str(&j, "access_log", in->log_why);
		}
		json_kv_str(&j, "pool", in->pool);
		json_obj_end(&j);
	} else {
		json_str(&j, in->why);
	}
}

void
reqattr_text(const struct reqattr_info *in, char *out, size_t outsz)
{
	char ts[40];

	if (!in->fpm) {
		snprintf(out, outsz, "no HTTP request (%s)", in->why);
		return;
	}
	if (!in->tied) {
		snprintf(out, outsz, "php-fpm pool %s, request unknown: %s", in->pool, in->why);
		return;
	}
	iso_time(in->started_ns, ts, sizeof(ts));
	if (in->have_log)
		snprintf(out, outsz, "%s %.300s (php-fpm pool %s, %s, from %s, status %d)", in->method, in->uri, in->pool,
			 ts, in->addr, in->status);
	else
		snprintf(out, outsz, "%s %.300s (php-fpm pool %s, %s)", in->method, in->uri, in->pool, ts);
}

void
reqattr_columns(const struct reqattr_info *in, char *buf, size_t bufsz, const char **request,
		const char **unknown)
{
	struct buf b;

	*request = NULL;
	*unknown = NULL;
	if (!in->tied) {
		*unknown = in->why[0] ? in->why : "unknown";
		return;
	}
	buf_init(&b, bufsz - 1);
	reqattr_json(in, &b);
	if (!b.failed && b.len < bufsz) {
		memcpy(buf, b.data, b.len + 1);
		*request = buf;
	} else {
		*unknown = "the request's description is too long to store";
	}
	buf_free(&b);
}

void
reqattr_reason(const struct reqattr_info *in, char *reason, size_t sz)
{
	size_t n = strlen(reason);
	char ts[40];

	if (!in->fpm || n + 1 >= sz)
		return;
	if (!in->tied) {
		snprintf(reason + n, sz - n, "; written by php-fpm pool %s (request unknown)", in->pool);
		return;
	}
	iso_time(in->started_ns, ts, sizeof(ts));
	snprintf(reason + n, sz - n, "; written by %s %.120s (php-fpm pool %s, %s)", in->method, in->uri, in->pool, ts);
}
