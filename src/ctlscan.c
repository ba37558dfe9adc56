// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl scan PATH...: which installations are under a directory, by hash
 * votes against the fingerprint index, and what the code that is no release
 * does. With the daemon up, what it watches is read from its stored state
 * instead of being walked and hashed again (--standalone walks). */
#include "ctlverbs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctlanalyse.h"
#include "ctlclient.h"
#include "fpindex.h"
#include "ident.h"
#include "json.h"
#include "report.h"
#include "scan.h"
#include "store.h"
#include "util.h"


int
ctl_scan(int argc, char **argv, const struct ctl_env *env)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },      { "jobs", required_argument, NULL, 'J' },
		{ "max-size", required_argument, NULL, 'm' }, { "verbose", no_argument, NULL, 'v' },
		{ "no-index", no_argument, NULL, 'n' },  { "standalone", no_argument, NULL, 'S' },
		{ "no-analysis", no_argument, NULL, 'A' }, { NULL, 0, NULL, 0 },
	};
	struct scan_opts so = { .max_size = 64ull << 20 };
	struct report_opts ro = { 0 };
	struct buf ab; /* --json: the analysis's findings */
	struct json ja;
	unsigned found = 0;
	struct store *s = NULL;
	struct fpindex *idx = NULL;
	struct buf b;
	struct json j;
	char err[1024];
	bool use_index = true, standalone = false, daemon_up = false, analysis = true;
	bool json = env->json, verbose = env->verbose;
	int c, i, rc = 0;

	optind = 0; /* a new parse: options may follow the paths, as in the other verbs */
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'J': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 0 || n > 64) {
				fprintf(stderr, "wsidctl scan: --jobs takes 0..64\n");
				return EXIT_USAGE;
			}
			so.jobs = (unsigned)n;
			break;
		}
		case 'm':
			if (config_parse_size(optarg, &so.max_size) < 0) {
				fprintf(stderr, "wsidctl scan: --max-size takes bytes (suffix K, M, G)\n");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'n':
			use_index = false;
			break;
		case 'S':
			standalone = true;
			break;
		case 'A':
			analysis = false;
			break;
		default:
			ctl_usage(env->verb, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_usage(env->verb, stderr);
		return EXIT_USAGE;
	}
	if (use_index) {
		if (store_open(env->db_path(), STORE_RDONLY, &s, err, sizeof(err)) < 0 ||
		    fpindex_load(s, &idx) < 0) {
			fprintf(stderr, "wsidctl: %s\n", err);
			store_close(s);
			return EXIT_ERROR;
		}
		so.dbpath = env->db_path();
		/* with the daemon up, what it watches is read from its state:
		 * nothing is hashed twice */
		if (!standalone) {
			char *reply = NULL, v[16];

			daemon_up = access(env->socket_path(), F_OK) == 0 &&
				    ctlclient_call(env->socket_path(), "status", NULL, 3000, &reply) == 0 &&
				    json_field(reply, "watching", v, sizeof(v)) && strcmp(v, "true") == 0;
			free(reply);
		}
	}
	so.progress = env->progress && !json;
	so.spill = true; /* memory does not grow with the tree */
	ro.verbose = verbose;
	ro.color = env->progress && env->color;
	buf_init(&b, SIZE_MAX / 2);
	json_init(&j, &b);
	buf_init(&ab, SIZE_MAX / 2);
	json_init(&ja, &ab);
	json_arr_begin(&ja);
	if (json) {
		json_obj_begin(&j);
		json_kv_int(&j, "schema", 1);
		json_kv_str(&j, "database", use_index ? env->db_path() : NULL);
		json_key(&j, "scanned");
		json_arr_begin(&j);
	}
	for (i = optind; i < argc; i++) {
		struct scan_tree *t = NULL;
		struct ident_result *res = NULL;
		struct ctl_scan_analysis *sa = NULL;
		struct scan_opts sot = so;
		bool an_failed = false;

		if (daemon_up) {
			char *abs = realpath(argv[i], NULL);

			if (abs && ctl_tree_from_state(s, abs, &t) == 0) {
				free(t->root);
				t->root = xstrdup(argv[i]);
				if (!json)
					fprintf(stderr, "%s: from the daemon's stored state (--standalone walks "
							"and hashes)\n", esc_name(argv[i]));
			}
			free(abs);
		}
		if (t == NULL) {
			/* the code that is no release is analysed on the hashing
			 * workers, while its content is in memory */
			an_failed = analysis && ctl_scan_analysis_new(env, &sot, &sa) < 0;
			if (scan_tree_run(argv[i], &sot, &t, err, sizeof(err)) < 0) {
				fprintf(stderr, "wsidctl: scan: %s\n", err);
				ctl_scan_analysis_free(sa);
				rc = EXIT_ERROR;
				continue;
			}
		}
		if (idx)
			ident_run(s, idx, t, &res);
		if (json) {
			report_json_tree(&j, t, res, stdout);
		} else {
			report_text_tree(stdout, t, res, &ro);
		}
		/* what the code that is no release does */
		if (sa)
			ctl_scan_analysis_report(sa, t, json ? &ja : NULL, &found);
		else if (an_failed ||
			 (analysis && ctl_analyse_scan_tree(t, env, json ? &ja : NULL, &found) < 0))
			rc = EXIT_ERROR;
		ctl_scan_analysis_free(sa);
		ident_result_free(res);
		scan_tree_free(t);
	}
	if (json) {
		json_arr_end(&j);
		json_arr_end(&ja);
		json_key(&j, "analysis");
		json_raw(&j, ab.data, ab.len);
		json_obj_end(&j);
		fwrite(b.data, 1, b.len, stdout);
		fputc('\n', stdout);
	}
	buf_free(&b);
	buf_free(&ab);
	fpindex_free(idx);
	store_close(s);
	return rc;
}

