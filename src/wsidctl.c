// SPDX-License-Identifier: GPL-2.0-or-later
/* wsidctl: the admin's command line. The global options, where the
 * configuration, database and socket are, and the run of the verb named in
 * the table of ctlverbs.c (one handler each, ctl_<verb> in ctl*.c).
 * Exit codes: 0 ok, 1 findings/unhealthy where a verb says so, 2 usage
 * error, 3 runtime error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctlverbs.h"
#include "log.h"
#include "util.h"

#define DEFAULT_DB "/var/lib/wsid/wsid.db"
#define DEFAULT_SOCKET "/run/wsid/control"

struct ctl {
	const char *db;
	const char *socket;
	const char *config;
	bool json;
	bool verbose;
	bool tty;
};

static struct ctl ctl;

/* The daemon's configuration tells where the database and the socket are:
 * --config PATH, else /etc/wsid/wsid.yaml when it exists. --db and --socket
 * override it. A config that does not load is an error only when named. */
static struct config *ctl_cfg;
static bool ctl_cfg_tried;

static const struct config *
ctl_config(void)
{
	char err[1024];
	const char *path = ctl.config ? ctl.config : WSID_SYSCONFDIR "/wsid/wsid.yaml";

	if (ctl_cfg_tried)
		return ctl_cfg;
	ctl_cfg_tried = true;
	if (ctl.config == NULL && access(path, F_OK) != 0)
		return NULL;
	if (config_load(path, &ctl_cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "wsidctl: %s\n", err);
		exit(EXIT_ERROR);
	}
	return ctl_cfg;
}

static const char *
db_path(void)
{
	const struct config *c;

	if (ctl.db)
		return ctl.db;
	c = ctl_config();
	return c ? c->database : DEFAULT_DB;
}

static const char *
socket_path(void)
{
	const struct config *c;

	if (ctl.socket)
		return ctl.socket;
	c = ctl_config();
	return c ? c->control_socket : DEFAULT_SOCKET;
}

/* The global options that take a value are accepted after the verb too
 * (wsidctl index build --db X, wsidctl events --config F), as git-like tools
 * take them: --db, --config and --socket, with their value as the next
 * argument or after '=', are taken out of the verb's arguments, up to a "--".
 * Returns the new argc, or -1 (said) when a value is missing. */
static int
take_global_options(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char **dst;
	} g[] = { { "--db", &ctl.db }, { "--config", &ctl.config }, { "--socket", &ctl.socket } };
	int i, n = 1;
	size_t k, l;

	for (i = 1; i < argc; i++) {
		bool taken = false;

		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		for (k = 0; k < ARRAY_SIZE(g) && !taken; k++) {
			l = strlen(g[k].name);
			if (strncmp(argv[i], g[k].name, l) != 0)
				continue;
			if (argv[i][l] == '=') {
				*g[k].dst = argv[i] + l + 1;
				taken = true;
			} else if (argv[i][l] == '\0') {
				if (i + 1 >= argc) {
					fprintf(stderr, "wsidctl: %s needs a value\n", g[k].name);
					return -1;
				}
				*g[k].dst = argv[++i];
				taken = true;
			}
		}
		if (!taken)
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* the global flags and the lookups, nothing looked up yet: a verb whose
 * entry has no .env looks up only what it needs (env->db_path) */
static struct ctl_env
ctl_env_flags(void)
{
	struct ctl_env env = {
		.json = ctl.json,
		.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL,
		.verbose = ctl.verbose,
		.progress = ctl.tty,
		.config = ctl_config,
		.db_path = db_path,
		.socket_path = socket_path,
	};

	return env;
}

static void
ctl_cleanup(void)
{
	config_free(ctl_cfg);
}

int
main(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "db", required_argument, NULL, 'd' },   { "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },       { "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_verb *v;
	struct ctl_env env;
	char **sub;
	int c, subc;

	log_init("wsidctl", LOG_LEVEL_WARNING, 0);
	atexit(ctl_cleanup);
	ctl.tty = isatty(STDERR_FILENO) && getenv("CI") == NULL;
	/* global options stop at the verb */
	while ((c = getopt_long(argc, argv, "+hvj", gopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			ctl.db = optarg;
			break;
		case 'c':
			ctl.config = optarg;
			break;
		case 's':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'v':
			ctl.verbose = true;
			break;
		case 'V':
			printf("wsidctl %s\n", WSID_VERSION);
			return 0;
		case 'h':
			return ctl_help(0, NULL, NULL);
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_help(0, NULL, NULL);
		return EXIT_USAGE;
	}
	v = ctl_verb_find(argv[optind]);
	if (v == NULL) {
		fprintf(stderr, "wsidctl: unknown verb '%s' (try wsidctl help)\n", esc_name(argv[optind]));
		return EXIT_USAGE;
	}
	sub = argv + optind;
	subc = take_global_options(argc - optind, sub);
	if (subc < 0)
		return EXIT_USAGE;
	if (strcmp(v->name, "index") != 0 && wants_help(subc, sub)) {
		ctl_usage(v, stdout);
		return 0;
	}
	env = ctl_env_flags();
	env.verb = v;
	if (v->env)
		ctl_env_resolve(&env);
	/* verbs parse their own options with getopt from index 1 */
	return v->fn(subc, sub, &env);
}
