// SPDX-License-Identifier: GPL-2.0-or-later
/* Message building (message.c), without a database: an event's block through
 * the template (names escaped, CRLF), the parts a message is cut into, the
 * lines of what is not listed, the e-mail's headers (no header injection)
 * and the webhook's JSON envelope (parsed back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"
#include "message.h"
#include "t.h"

#define TMPL "{severity}: {verdict} ({change}, {time})\n  {path}\n  {reason}\n{advice}\n"

static void
fill_event(struct message_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = "2026-11-24T04:33:01Z";
	ev->severity = "critical";
	ev->verdict = "malicious";
	ev->change = "created";
	ev->reason = "known-bad content";
	ev->product = "wordpress";
	ev->version = "6.4.2";
	ev->root = "/srv/www/alice";
	ev->root_len = strlen(ev->root);
	ev->path = "wp-content/uploads/x.php";
	ev->plen = strlen(ev->path);
}

static void
test_event_text(void)
{
	struct message_event ev;
	struct buf b;

	fill_event(&ev);
	buf_init(&b, 1 << 16);
	T_EQ_INT(message_event_text(&b, TMPL, &ev, "  What to do: remove it\n"), 0);
	T_EQ_STR(b.data, "critical: malicious (created, 2026-11-24T04:33:01Z)\r\n"
			 "  /srv/www/alice/wp-content/uploads/x.php\r\n"
			 "  known-bad content\r\n"
			 "  What to do: remove it\r\n\r\n\r\n");
	/* a name with a line break and a control byte: escaped, never raw */
	buf_reset(&b);
	ev.path = "up/a\nb\x1b[31m.php";
	ev.plen = strlen(ev.path);
	T_EQ_INT(message_event_text(&b, "{path}|{product} {version}|{missing}", &ev, ""), 0);
	T_OK(strchr(b.data, '\x1b') == NULL);
	T_EQ_STR(b.data, "/srv/www/alice/up/a\\nb\\x1b[31m.php|wordpress 6.4.2|{missing}\r\n");
	/* the webspace itself (no path), no reason, unknown fields */
	buf_reset(&b);
	ev.plen = 0;
	ev.reason = NULL;
	ev.severity = NULL;
	T_EQ_INT(message_event_text(&b, "{severity} [{path}] [{reason}]", &ev, NULL), 0);
	T_EQ_STR(b.data, "? [/srv/www/alice] []\r\n");
	buf_free(&b);
	/* a block larger than its buffer's cap is an error, not cut short */
	buf_init(&b, 16);
	fill_event(&ev);
	T_OK(message_event_text(&b, TMPL, &ev, "") < 0);
	buf_free(&b);
}

static void
test_parts(void)
{
	struct message_part p;

	T_EQ_INT(message_uid_part("wsid-00ff"), 1);
	T_EQ_INT(message_uid_part("wsid-00ff-p3"), 3);
	memset(&p, 0, sizeof(p));
	p.limit = 100;
	p.reserve = 10;
	/* the first event joins even when larger than the limit */
	T_OK(message_part_take(&p, 1, 0, 500));
	T_EQ_INT(p.listed, 1);
	memset(&p, 0, sizeof(p));
	p.limit = 100;
	p.reserve = 10;
	T_OK(message_part_take(&p, 1, 0, 40));
	T_OK(message_part_take(&p, 2, 40, 50));  /* 40 + 50 + 10 = 100 */
	T_OK(!message_part_take(&p, 3, 90, 1)); /* over: the next part's */
	/* once one did not fit, none after it joins: the order is kept */
	T_OK(!message_part_take(&p, 4, 0, 0));
	T_EQ_INT(p.listed, 2);
	T_EQ_INT(p.nrest, 2);
	T_OK(p.rest && p.rest[0] == 3 && p.rest[1] == 4);
	message_part_free(&p);
}

static void
test_omitted(void)
{
	struct message_part p;
	char c1[] = "alice", c2[] = "bob";
	char *cust[2] = { c1, c2 };
	int64_t cnt[2] = { 1, 250 };
	struct buf b;

	memset(&p, 0, sizeof(p));
	p.num = 2;
	p.omit_customer = cust;
	p.omit_count = cnt;
	p.nomit = 2;
	buf_init(&b, 1 << 16);
	message_omitted_text(&b, &p, 100);
	T_OK(strstr(b.data, "1 more change of alice not listed here (a message lists at most 100 per "
			    "customer); your hosting provider lists them all with: wsidctl events "
			    "--customer alice\r\n\r\n") != NULL);
	T_OK(strstr(b.data, "250 more changes of bob") != NULL);
	T_OK(strstr(b.data, "More changes follow") == NULL);
	buf_reset(&b);
	p.nomit = 0;
	p.nrest = 1;
	message_omitted_text(&b, &p, 100);
	T_EQ_STR(b.data, "More changes follow in part 3 of this message.\r\n\r\n");
	buf_free(&b);
}

static void
test_email(void)
{
	struct message_email m;
	struct buf b;
	const char *body;

	memset(&m, 0, sizeof(m));
	m.date = 86400 * 365; /* 1971-01-01 */
	m.uid = "wsid-0123";
	m.host = "node1";
	m.to = "alice@example.org";
	m.subject = "[wsid] alice: critical\r\nBcc: evil@example.org";
	m.body = "line\r\n";
	m.body_len = 6;
	buf_init(&b, 1 << 16);
	message_email(&b, &m);
	T_OK(strncmp(b.data, "Date: Fri, 01 Jan 1971 00:00:00 +0000\r\n", 39) == 0);
	T_OK(strstr(b.data, "\r\nMessage-ID: <wsid-0123@node1>\r\n") != NULL);
	T_OK(strstr(b.data, "\r\nFrom: wsid@localhost\r\n") != NULL);
	T_OK(strstr(b.data, "\r\nTo: alice@example.org\r\n") != NULL);
	/* the subject's CR LF never starts a header of its own */
	T_OK(strstr(b.data, "\r\nBcc:") == NULL);
	T_OK(strstr(b.data, "\r\nX-Wsid-Notification: wsid-0123\r\n") != NULL);
	T_OK(strstr(b.data, "Content-Type: text/plain; charset=utf-8\r\n") != NULL);
	body = strstr(b.data, "\r\n\r\n");
	T_OK(body && strcmp(body + 4, "line\r\n") == 0);
	/* UTF-8 in the subject: encoded (RFC 2047) */
	buf_reset(&b);
	m.subject = "[wsid] m\xc3\xbcller";
	m.from = "wsid@node1.example";
	message_email(&b, &m);
	T_OK(strstr(b.data, "\r\nSubject: =?UTF-8?B?") != NULL);
	T_OK(strstr(b.data, "\r\nFrom: wsid@node1.example\r\n") != NULL);
	buf_free(&b);
}

static void
test_json(void)
{
	struct message_json m;
	struct message_part p;
	char c1[] = "bob";
	char *cust[1] = { c1 };
	int64_t cnt[1] = { 7 };
	struct json j;
	struct buf b;
	struct jnode *root = NULL;
	const struct jnode *v;
	char err[128];

	memset(&m, 0, sizeof(m));
	m.uid = "wsid-77";
	m.kind = "dead-letter";
	m.customer = "";
	m.route = "admin";
	m.created = "2026-11-24T04:33:01Z";
	m.part = 2;
	m.note_set = true;
	m.note = "could not be delivered";
	memset(&p, 0, sizeof(p));
	p.omit_customer = cust;
	p.omit_count = cnt;
	p.nomit = 1;
	p.omitted = 7;
	p.nrest = 1;
	buf_init(&b, 1 << 16);
	json_init(&j, &b);
	message_json_begin(&j, &m);
	json_raw(&j, "{\"id\":1}", 8);
	message_json_end(&j, &p, 100);
	T_EQ_INT(jsonp_parse(b.data, b.len, &root, err, sizeof(err)), 0);
	if (root == NULL) {
		printf("not parsed: %s: %s\n", err, b.data);
		buf_free(&b);
		return;
	}
	v = jsonp_get(root, "schema");
	T_OK(v && v->t == J_NUM && strcmp(v->s, "1") == 0);
	v = jsonp_get(root, "id");
	T_OK(v && v->t == J_STR && strcmp(v->s, "wsid-77") == 0);
	v = jsonp_get(root, "customer");
	T_OK(v && v->t == J_NULL); /* the admin's: no customer */
	v = jsonp_get(root, "note");
	T_OK(v && v->t == J_STR && strcmp(v->s, "could not be delivered") == 0);
	v = jsonp_get(root, "part");
	T_OK(v && v->t == J_NUM && strcmp(v->s, "2") == 0);
	v = jsonp_get(root, "events");
	T_OK(v && v->t == J_ARR && v->n == 1);
	v = jsonp_get(root, "omitted");
	T_OK(v && v->t == J_ARR && v->n == 1 && v->kids[0].t == J_OBJ);
	if (v && v->n == 1) {
		const struct jnode *o = &v->kids[0];

		T_OK(jsonp_get(o, "list_all") &&
		     strcmp(jsonp_get(o, "list_all")->s, "wsidctl events --customer bob") == 0);
		T_OK(jsonp_get(o, "count") && strcmp(jsonp_get(o, "count")->s, "7") == 0);
	}
	v = jsonp_get(root, "continued");
	T_OK(v && v->t == J_BOOL && v->b);
	v = jsonp_get(root, "max_events_per_customer");
	T_OK(v && strcmp(v->s, "100") == 0);
	jsonp_free(root);
	/* no note unless one was read */
	buf_reset(&b);
	m.note_set = false;
	m.customer = "alice";
	json_init(&j, &b);
	message_json_begin(&j, &m);
	message_json_end(&j, &p, 100);
	root = NULL;
	T_EQ_INT(jsonp_parse(b.data, b.len, &root, err, sizeof(err)), 0);
	T_OK(root && jsonp_get(root, "note") == NULL);
	T_OK(root && jsonp_get(root, "customer") && strcmp(jsonp_get(root, "customer")->s, "alice") == 0);
	jsonp_free(root);
	buf_free(&b);
}

static void
test_advice(void)
{
	T_OK(message_what_to_do("malicious") != NULL);
	T_OK(strstr(message_what_to_do("downgrade"), "Update") != NULL);
	T_OK(message_what_to_do("ok") == NULL);
	T_OK(message_what_to_do("") == NULL);
}

int
main(void)
{
	T_RUN(test_event_text);
	T_RUN(test_parts);
	T_RUN(test_omitted);
	T_RUN(test_email);
	T_RUN(test_json);
	T_RUN(test_advice);
	T_DONE();
}
