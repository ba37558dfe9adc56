// SPDX-License-Identifier: GPL-2.0-or-later
/* Message building, pure: no file, database or network. What a notification
 * says (templates expanded, one block per event, the e-mail's headers, the
 * webhook's JSON envelope), how a message is cut into parts, and the small
 * policies of the outbox (back-off, quiet hours). The callers (notify.c,
 * outbox.c) read the rows and the template files and hand the text in. See
 * message.h. */
#include "message.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "util.h"

uint64_t
notify_backoff_ms(uint64_t base_ms, int attempts, uint32_t random)
{
	uint64_t d = base_ms ? base_ms : 30000, cap = 3600000;
	int i;

	for (i = 1; i < attempts && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* jitter: 80 % .. 120 % */
	return d * 8 / 10 + (d * 4 / 10) * (random % 1001) / 1000;
}

void
notify_header_value(struct buf *out, const char *s)
{
	size_t n = strlen(s), i;
	bool plain = true;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			plain = false;
	if (plain) {
		buf_append(out, s, n);
		return;
	}
	/* controls become spaces; then the UTF-8 text (escaped where invalid) as
	 * encoded words of at most 45 bytes each */
	{
		struct buf clean;
		size_t off = 0;

		buf_init(&clean, 1 << 16);
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (ch < 0x20 || ch == 0x7f)
				buf_putc(&clean, ' ');
			else
				buf_putc(&clean, (char)ch);
		}
		{
			struct buf esc;

			buf_init(&esc, 1 << 17);
			buf_put_escaped(&esc, clean.data ? clean.data : "", clean.len);
			buf_free(&clean);
			clean = esc;
		}
		while (off < clean.len) {
			size_t k = clean.len - off > 45 ? 45 : clean.len - off;
			char b64[128];

			/* do not split a UTF-8 sequence */
			while (k < clean.len - off && k > 1 && ((unsigned char)clean.data[off + k] & 0xc0) == 0x80)
				k--;
			sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)clean.data + off, k,
					  sodium_base64_VARIANT_ORIGINAL);
			buf_printf(out, "%s=?UTF-8?B?%s?=", off ? "\r\n " : "", b64);
			off += k;
		}
		buf_free(&clean);
	}
}

int64_t
notify_after_quiet(int64_t when_ms, int quiet_from, int quiet_to)
{
	time_t t = (time_t)(when_ms / 1000);
	struct tm tm;
	int m, wait;

	if (quiet_from < 0 || quiet_to < 0)
		return when_ms;
	localtime_r(&t, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	if (quiet_from < quiet_to ? (m >= quiet_from && m < quiet_to)
				  : (m >= quiet_from || m < quiet_to)) {
		wait = (quiet_to - m + 1440) % 1440;
		return (when_ms / 60000 + wait) * 60000;
	}
	return when_ms;
}

void
notify_expand(struct buf *out, const char *tmpl, const char *const *vars, size_t nvars, bool crlf)
{
	const char *p = tmpl;

	while (*p) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		bool matched = false;
		size_t k;

		for (k = 0; e && k + 1 < nvars && !matched; k += 2) {
			size_t l = strlen(vars[k]);

			if ((size_t)(e - p - 1) == l && memcmp(p + 1, vars[k], l) == 0) {
				/* values go through the same line ending rule */
				notify_expand(out, vars[k + 1] ? vars[k + 1] : "", NULL, 0, crlf);
				p = e + 1;
				matched = true;
			}
		}
		if (matched)
			continue;
		if (*p == '\n' && crlf)
			buf_puts(out, "\r\n");
		else if (*p != '\r')
			buf_putc(out, *p);
		p++;
	}
}

const char *
message_what_to_do(const char *verdict)
{
	static const struct {
		const char *v, *text;
	} t[] = {
		{ "malicious", "The content is known malware. Remove the file, change the passwords of the "
			       "site and its database, and look for how it got there (outdated plugins, "
			       "stolen passwords)." },
		{ "suspicious", "Executable code where none belongs, a typical sign of an uploaded web "
				"shell. If you did not put it there, remove it and update the site." },
		{ "tampered", "A file of the installed release was changed. If you did not change it, "
			      "restore it from the release (or update) and check the site for other "
			      "changes." },
		{ "foreign", "A known file in a place or version where it does not belong." },
		{ "downgrade", "Files of an older release: old releases bring back fixed vulnerabilities. "
			       "Update to the current release." },
		{ "update", "An update: nothing to do if you made it." },
		{ "version-lie", "The version file claims another version than the files are: an attacker "
				 "may hide an outdated installation." },
		{ "deleted", "A file of the release was removed." },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].v, verdict) == 0)
			return t[i].text;
	return NULL;
}

void
message_crlf_line(struct buf *b, const char *s, size_t n)
{
	buf_append(b, s, n);
	buf_puts(b, "\r\n");
}

int
message_uid_part(const char *uid)
{
	const char *p = strstr(uid, "-p");

	return p ? atoi(p + 2) : 1;
}

void
message_part_free(struct message_part *p)
{
	size_t i;

	for (i = 0; i < p->nomit; i++)
		free(p->omit_customer[i]);
	free(p->omit_customer);
	free(p->omit_count);
	free(p->rest);
}

/* does an event of len bytes join a message of used bytes? The first one
 * always does; once one did not, none after it (the order is kept) */
bool
message_part_take(struct message_part *p, int64_t event_id, size_t used, size_t len)
{
	if (p->nrest == 0 && (p->listed == 0 || used + len + p->reserve <= p->limit)) {
		p->listed++;
		return true;
	}
	p->rest = xreallocarray(p->rest, p->nrest + 1, sizeof(*p->rest));
	p->rest[p->nrest++] = event_id;
	return false;
}

int
message_event_text(struct buf *out, const char *tmpl, const struct message_event *ev, const char *advice)
{
	struct buf path, reason;
	const char *vars[20];
	int r = 0;

	buf_init(&path, 1 << 20);
	buf_init(&reason, 1 << 16);
	buf_put_escaped(&path, ev->root ? ev->root : "", ev->root_len);
	if (ev->plen) {
		buf_putc(&path, '/');
		buf_put_escaped(&path, ev->path, ev->plen);
	}
	if (ev->reason)
		buf_put_escaped(&reason, ev->reason, strlen(ev->reason));
	vars[0] = "severity", vars[1] = ev->severity ? ev->severity : "?";
	vars[2] = "verdict", vars[3] = ev->verdict ? ev->verdict : "?";
	vars[4] = "change", vars[5] = ev->change;
	vars[6] = "time", vars[7] = ev->time;
	vars[8] = "path", vars[9] = path.data ? path.data : "";
	vars[10] = "reason", vars[11] = reason.data ? reason.data : "";
	vars[12] = "advice", vars[13] = advice;
	vars[14] = "product", vars[15] = ev->product;
	vars[16] = "version", vars[17] = ev->version;
	vars[18] = "quarantine", vars[19] = ev->quarantine ? ev->quarantine : "";
	notify_expand(out, tmpl, vars, 20, true);
	message_crlf_line(out, "", 0);
	if (out->failed || path.failed || reason.failed)
		r = -1;
	buf_free(&path);
	buf_free(&reason);
	return r;
}

void
message_omitted_text(struct buf *body, const struct message_part *p, unsigned max_events)
{
	size_t i;

	for (i = 0; i < p->nomit; i++)
		buf_printf(body, "%lld more change%s of %s not listed here (a message lists at most %u "
			   "per customer); your hosting provider lists them all with: wsidctl events "
			   "--customer %s\r\n\r\n", (long long)p->omit_count[i],
			   p->omit_count[i] == 1 ? "" : "s", p->omit_customer[i],
			   max_events, p->omit_customer[i]);
	if (p->nrest)
		buf_printf(body, "More changes follow in part %d of this message.\r\n\r\n", p->num + 1);
}

void
message_email(struct buf *msg, const struct message_email *m)
{
	char date[64];
	struct tm tm;

	gmtime_r(&m->date, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(msg, "Date: %s\r\n", date);
	buf_printf(msg, "Message-ID: <%s@%s>\r\n", m->uid, m->host);
	buf_puts(msg, "From: ");
	notify_header_value(msg, m->from ? m->from : "wsid@localhost");
	buf_puts(msg, "\r\nTo: ");
	notify_header_value(msg, m->to);
	buf_puts(msg, "\r\nSubject: ");
	notify_header_value(msg, m->subject ? m->subject : "[wsid]");
	buf_printf(msg, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Transfer-Encoding: 8bit\r\nX-Wsid-Notification: %s\r\n"
			"Auto-Submitted: auto-generated\r\n\r\n", m->uid);
	buf_append(msg, m->body ? m->body : "", m->body_len);
}

void
message_json_begin(struct json *j, const struct message_json *m)
{
	json_obj_begin(j);
	json_kv_int(j, "schema", 1);
	json_kv_str(j, "id", m->uid);
	json_kv_str(j, "kind", m->kind);
	json_kv_str(j, "customer", m->customer[0] ? m->customer : NULL);
	json_kv_str(j, "route", m->route);
	json_kv_str(j, "created", m->created);
	json_kv_int(j, "part", m->part);
	if (m->note_set)
		json_kv_str(j, "note", m->note);
	json_key(j, "events");
	json_arr_begin(j);
}

void
message_json_end(struct json *j, const struct message_part *p, unsigned max_events)
{
	char more[256];
	size_t i;

	json_arr_end(j);
	/* what is not listed, and where to see it */
	json_key(j, "omitted");
	json_arr_begin(j);
	for (i = 0; i < p->nomit; i++) {
		json_obj_begin(j);
		json_kv_str(j, "customer", p->omit_customer[i]);
		json_kv_int(j, "count", p->omit_count[i]);
		snprintf(more, sizeof(more), "wsidctl events --customer %s", p->omit_customer[i]);
		json_kv_str(j, "list_all", more);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kv_int(j, "omitted_total", p->omitted);
	json_kv_int(j, "max_events_per_customer", max_events);
	json_kv_bool(j, "continued", p->nrest > 0);
	json_obj_end(j);
}
