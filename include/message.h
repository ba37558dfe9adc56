/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Message building (message.c), pure: the text of notifications from what
 * the caller read (rows, template files). notify.c and outbox.c read; this
 * formats. No file, database or network (scripts/layers.sh checks it).
 *
 * A message lists at most notify.digest_max_events events per customer (the
 * most severe first, then the oldest), in id order, and counts the others
 * with the command that lists them all. What is listed is cut into parts of
 * at most notify.max_message_size bytes: the events that do not fit move to
 * a new outbox row (uid "<uid>-p<N>"), built when it is due. */
#ifndef WSID_MESSAGE_H
#define WSID_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "json.h"
#include "util.h"

/* one part of a message being built */
struct message_part {
	int num;          /* 1, 2, ... (from the row's uid) */
	size_t limit;     /* bytes of a message, a target the first event may pass */
	size_t reserve;   /* bytes kept for what follows the events */
	size_t listed;    /* events in this part */
	int64_t *rest;    /* listed events that did not fit: the next part's */
	size_t nrest;
	char **omit_customer; /* customers with events not listed, and how many */
	int64_t *omit_count;
	size_t nomit;
	int64_t omitted;
	bool err;         /* an event did not fit its own buffer */
};

/* one listed event, as the text block of a message shows it (pointers
 * borrowed for the call) */
struct message_event {
	const char *time;                /* "2026-11-24T04:33:01Z" */
	const char *severity, *verdict, *change, *reason, *product, *version;
	const char *root; size_t root_len; /* the webspace's directory */
	const char *path; size_t plen;     /* relative to it (plen 0: none) */
	const char *quarantine;            /* the quarantine line(s), escaped, or "" */
};

/* an e-mail: headers and the body as built */
struct message_email {
	time_t date;
	const char *uid, *host, *from, *to, *subject;
	const char *body;
	size_t body_len;
};

/* the envelope of a webhook's JSON */
struct message_json {
	const char *uid, *kind, *customer, *route, *created;
	int part;
	bool note_set;    /* a dead letter's note (may be NULL: null) */
	const char *note;
};

/* back-off before attempt n+1 (n >= 1): base * 2^(n-1), at most 1 h, +-20 % */
uint64_t notify_backoff_ms(uint64_t base_ms, int attempts, uint32_t random);
/* RFC 2047 for a header value: ASCII printable stays, else =?UTF-8?B?...?=;
 * CR, LF and other controls never reach the header */
void notify_header_value(struct buf *out, const char *s);
/* when a non-critical digest may go out, given quiet hours (minutes of the
 * local day, -1: none) */
int64_t notify_after_quiet(int64_t when_ms, int quiet_from, int quiet_to);
/* a template's {name} placeholders replaced by vars (name, value pairs);
 * unknown ones stay as they are; with crlf every line ends in CRLF */
void notify_expand(struct buf *out, const char *tmpl, const char *const *vars, size_t nvars, bool crlf);

/* the built-in advice for a verdict, or NULL */
const char *message_what_to_do(const char *verdict);
/* s (n bytes) and CRLF */
void message_crlf_line(struct buf *b, const char *s, size_t n);
/* the part a row's uid names ("...-p3": 3), 1 for none */
int message_uid_part(const char *uid);
void message_part_free(struct message_part *p);
/* does an event of len bytes join a message of used bytes? The first one
 * always does; once one did not, none after it (the order is kept): its id
 * goes to p->rest */
bool message_part_take(struct message_part *p, int64_t event_id, size_t used, size_t len);
/* one event's block through the event template (names escaped: never a raw
 * control byte in a mail), appended to out; -1 when a buffer's cap was hit */
int message_event_text(struct buf *out, const char *tmpl, const struct message_event *ev, const char *advice);
/* the lines of the events not listed and of the part that follows */
void message_omitted_text(struct buf *body, const struct message_part *p, unsigned max_events);
/* the whole e-mail (headers, then the body) appended to msg */
void message_email(struct buf *msg, const struct message_email *m);
/* the webhook's JSON: the envelope up to the events array (opened), and
 * from its end (closed) to the end of the object */
void message_json_begin(struct json *j, const struct message_json *m);
void message_json_end(struct json *j, const struct message_part *p, unsigned max_events);

#endif
