// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl's verb table: each verb's handler, usage and help line, and what
 * help. The handlers live in ctl*.c by concern (what they share is in
 * ctlcommon.c); wsidctl.c takes the global options and runs the verb named. */
#include "ctlverbs.h"

#include <string.h>

#include "components.h"
#include "ctlanalyse.h"
#include "ctlrespond.h"
#include "util.h"

const struct ctl_verb ctl_verbs[] = {
	{ "index", ctl_index, "index build|ingest|import-checksums|fetch|stats|keygen|export|import [options]",
	  "build and query the fingerprint index" , false },
	{ "scan", ctl_scan, "scan [--json] [--jobs N] [--max-size BYTES] [--verbose] [--standalone] [--no-analysis] PATH...",
	  "identify the installations under PATH by hash votes" , false },
	{ "status", ctl_status, "status [--json|--prometheus]",
	  "is the daemon up and watching; its figures (exit 1 when it is not); --prometheus: "
	  "in the Prometheus text format" , false },
	{ "events", ctl_events, "events [--since 1h|DATE] [--customer C] [--severity S] [--verdict V] "
	  "[--limit N] [--members ID] [--all] [--unacked] [--follow] [--json]", "what changed, and what it means" , false },
	{ "sync", ctl_sync, "sync [--timeout SECONDS]",
	  "wait until every change noticed so far is classified and stored" , false },
	{ "rescan", ctl_rescan, "rescan [WEBSPACE|--all]", "reconcile webspaces with the disk now" , false },
	{ "reload", ctl_reload, "reload", "re-read the configuration (a bad one is refused)" , false },
	{ "sites", ctl_sites, "sites [--customer C] [--product P] [--outdated] [--json]",
	  "every installation, its version and update state (--outdated: exit 1 when any)", true },
	{ "components", ctl_components, "components [--unknown] [--customer C] [--json]",
	  "plugins, themes and packages on the node: claimed and identified version, state", true },
	{ "report", ctl_report, "report [--json]",
	  "the node in figures: installations per product, update states, major versions", true },
	{ "files", ctl_files, "files PATH [--json]",
	  "the stored state and verdict of a file, or of every file under a directory", true },
	{ "ack", ctl_ack, "ack EVENT-ID...", "acknowledge events (an update with its members)", true },
	{ "outbox", ctl_outbox, "outbox [--all] [--json] | outbox retry ID|--all",
	  "notifications waiting, retrying, failed or dead; send them again", true },
	{ "notify", ctl_notify, "notify test CUSTOMER | notify secret", "send a test message through each route; print a new webhook secret", true },
	{ "mark", ctl_mark, "mark malicious|trusted|remove PATH|SHA256... [--note TEXT] [--customer C]; "
	  "mark list|export|import",
	  "teach the node: known-bad and trusted content, judged again at once", true },
	{ "analyse", ctl_analyse, "analyse [--json] [--verbose] [--rules GLOB]... [--no-default-rules] [--max-size BYTES] "
	  "FILE|DIR...", "what unknown code does: web shells, backdoors, obfuscation (exit 1 on findings)" , false },
	{ "restore", ctl_restore, "restore [--dry-run] PATH...|--installation ROOT",
	  "put back the release content of tampered or deleted release files (doc/respond.md)", true },
	{ "quarantine", ctl_quarantine, "quarantine PATH... [--note TEXT] | quarantine list|release ID",
	  "move a file out of its webspace into a root-only store, list, put back", true },
	{ "help", ctl_help, "help [VERB]", "show help" , false },
};

const size_t ctl_nverbs = ARRAY_SIZE(ctl_verbs);

const struct ctl_verb *
ctl_verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < ctl_nverbs; i++)
		if (strcmp(ctl_verbs[i].name, name) == 0)
			return &ctl_verbs[i];
	return NULL;
}

int
ctl_help(int argc, char **argv, const struct ctl_env *env)
{
	size_t i;

	(void)env; /* the verb looks up what it needs */
	if (argc > 1) {
		const struct ctl_verb *v = ctl_verb_find(argv[1]);

		if (v == NULL) {
			fprintf(stderr, "wsidctl: unknown verb '%s'\n", esc_name(argv[1]));
			return EXIT_USAGE;
		}
		ctl_usage(v, stdout);
		return 0;
	}
	printf("usage: wsidctl [--config PATH] [--db PATH] [--socket PATH] [--json] VERB [ARGS]\n\n"
	       "quick start:\n"
	       "  wsidctl index build            index the fingerprint sets (once, and after an update)\n"
	       "  wsidctl status                 is the daemon up and watching\n"
	       "  wsidctl report                 the node in figures: what is installed, how outdated\n"
	       "  wsidctl sites --outdated       the installations to update, per customer\n"
	       "  wsidctl events --since 24h     what changed, and what it means\n\n"
	       "  --config PATH   the daemon's configuration (default " WSID_SYSCONFDIR "/wsid/wsid.yaml,\n"
	       "                  if present): where the database and the control socket are\n"
	       "  --db PATH       the database (overrides the configuration)\n"
	       "  --socket PATH   the control socket (overrides the configuration)\n"
	       "  these three are taken after the verb too (wsidctl events --config F)\n\nverbs:\n");
	for (i = 0; i < ctl_nverbs; i++)
		printf("  %-8s %s\n           %s\n", ctl_verbs[i].name, ctl_verbs[i].help, ctl_verbs[i].usage);
	printf("\nexit codes: 0 ok, 1 findings or unhealthy (where a verb says so), 2 usage, 3 error\n");
	return 0;
}
