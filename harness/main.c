/* bitgate: a performance-regression gate. This file is the command table and the dispatch
 * to one cmd_<name>.c per subcommand (as git does it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_buf.h"
#include "bg_cli.h"
#include "bg_cmds.h"
#include "bg_error.h"

/* One subcommand: its function, what main prepares for it (git's RUN_SETUP), its line in
 * `bitgate --help`. */
struct bg_cmd {
	const char *name;
	int (*fn)(struct bg_app *app, int argc, char **argv);
	int flags; /* BG_APP_*: what the command opens with bg_app_setup */
	const char *summary;
};

#define OPENS_REPO_DB (BG_APP_REPO | BG_APP_DB)
#define OPENS_DB (BG_APP_DB | BG_APP_REPO_IF_ANY)

static const struct bg_cmd cmds[] = {
	{"run", cmd_run, OPENS_REPO_DB, "build, bench and test commits; store every sample"},
	{"compare", cmd_compare, OPENS_REPO_DB,
	 "compare two commits (default: the working tree against main)"},
	{"ci", cmd_ci, OPENS_REPO_DB,
	 "gate a change: compare base and head, decide every gate, write reports"},
	{"nightly", cmd_nightly, OPENS_REPO_DB,
	 "measure new commits of a branch, find regressions, render the dashboard"},
	{"bisect", cmd_bisect, OPENS_REPO_DB, "find the first commit that made a benchmark slower"},
	{"report", cmd_report, OPENS_DB, "re-render a stored decision (md, json or table)"},
	{"show", cmd_show, OPENS_DB, "show a stored run (its samples, kernels, tests and errors)"},
	{"log", cmd_log, OPENS_DB, "list stored runs, newest first"},
	{"site", cmd_site, OPENS_DB,
	 "render the nightly dashboard of every machine in the database (measures nothing)"},
	{"cache", cmd_cache, OPENS_DB, "list or prune the build cache (ls | prune)"},
	{"db", cmd_db, OPENS_DB,
	 "export, import, copy or check the database (export | import | copy | check)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bitgate [--repo DIR] [--db FILE|URI] [-q | -v] COMMAND [ARGS]\n"
		   "       bitgate help COMMAND | bitgate COMMAND --help | bitgate --version\n\n"
		   "A performance-regression gate for low-bit inference kernels: builds commits\n"
		   "through libgit2, runs their benchmarks and tests, keeps every raw sample in\n"
		   "SQLite (a file, the default) or a PostgreSQL a fleet of runners shares\n"
		   "(--db postgresql://USER@HOST/DB, or $BITGATE_DB).\n\ncommands:\n");
	for (size_t i = 0; i < BG_COUNTOF(cmds); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nexit status: 0 ok, 1 a gate failed, 2 usage or bad input, 3 infrastructure "
		   "failure\n(a build failed, a benchmark crashed or timed out, the database is "
		   "unusable).\n");
}

static const struct bg_cmd *find(const char *name)
{
	for (size_t i = 0; i < BG_COUNTOF(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* Runs command c on its arguments (argv[0] its name) with an app prepared for it. */
static int run_cmd(const struct bg_cmd *c, int argc, char **argv)
{
	struct bg_app app;
	bg_app_init(&app, c->flags);
	int status = c->fn(&app, argc, argv);
	bg_app_close(&app);
	return status;
}

static int unknown_cmd(const char *name)
{
	fprintf(stderr, "bitgate: unknown command '%s' (see bitgate --help)\n", name);
	return BG_EXIT_USAGE;
}

/* `bitgate help [COMMAND]`: argv[0] is "help". */
static int help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return BG_EXIT_OK;
	}
	const struct bg_cmd *c = find(argv[1]);
	if (!c)
		return unknown_cmd(argv[1]);
	char *hargv[] = {(char *)c->name, "--help", NULL};
	return run_cmd(c, 2, hargv);
}

int main(int argc, char **argv)
{
	int version = 0, i;
	/* the common options may also come before the command */
	const struct bg_opt opts[] = {
		{"version", 0, BG_OPT_FLAG, &version, NULL, "print the version"},
		BG_OPT_ROW_END,
	};
	int rc = bg_cli_parse_global(opts, argc, argv, &i);
	if (rc < 0)
		return BG_EXIT_USAGE;
	if (rc == 1) {
		usage(stdout);
		return BG_EXIT_OK;
	}
	if (version) {
		printf("bitgate %s\n", BITGATE_VERSION);
		return BG_EXIT_OK;
	}
	/* kept here and taken out of the environment: the URI may hold a password, and every
	 * build step, benchmark and test of a measured commit inherits bitgate's environment */
	char *env_db = getenv("BITGATE_DB") ? bg_strdup(getenv("BITGATE_DB")) : NULL;
	unsetenv("BITGATE_DB");
	if (!bg_cli_global()->db && env_db && *env_db)
		bg_cli_global()->db = env_db; /* --db wins */
	else
		free(env_db);
	if (i >= argc) {
		usage(stderr);
		return BG_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help"))
		return help(argc - i, argv + i);
	const struct bg_cmd *c = find(argv[i]);
	return c ? run_cmd(c, argc - i, argv + i) : unknown_cmd(argv[i]);
}
