/* bitgate: a performance-regression gate. This file is the command table and the dispatch
 * to one cmd_<name>.c per subcommand (as git does it). */
#include <stdio.h>
#include <string.h>

#include "bg_cli.h"
#include "bg_cmds.h"
#include "bg_error.h"

struct bg_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct bg_cmd cmds[] = {
	{"run", cmd_run, "build, bench and test commits; store every sample"},
	{"compare", cmd_compare, "compare two commits (default: the working tree against main)"},
	{"ci", cmd_ci, "gate a change: compare base and head, decide every gate, write reports"},
	{"nightly", cmd_nightly,
	 "measure new commits of a branch, find regressions, render the dashboard"},
	{"bisect", cmd_bisect, "find the first commit that made a benchmark slower"},
	{"report", cmd_report, "re-render a stored decision (md, json or table)"},
	{"show", cmd_show, "show a stored run (its samples, kernels, tests and errors)"},
	{"log", cmd_log, "list stored runs, newest first"},
	{"cache", cmd_cache, "list or prune the build cache (ls | prune)"},
	{"db", cmd_db, "export, import or check the database (export | import | check)"},
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: bitgate [--repo DIR] [--db FILE] [-q | -v] COMMAND [ARGS]\n"
		   "       bitgate help COMMAND | bitgate COMMAND --help | bitgate --version\n\n"
		   "A performance-regression gate for low-bit inference kernels: builds commits\n"
		   "through libgit2, runs their benchmarks and tests, keeps every raw sample in\n"
		   "SQLite.\n\ncommands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nexit status: 0 ok, 1 a gate failed, 2 usage or bad input, 3 infrastructure "
		   "failure\n(a build failed, a benchmark crashed or timed out, the database is "
		   "unusable).\n");
}

static const struct bg_cmd *find(const char *name)
{
	for (size_t i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct bg_global *g = bg_cli_global();
	int i = 1;
	/* common options may also come before the command */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return BG_EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("bitgate %s\n", BITGATE_VERSION);
			return BG_EXIT_OK;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g->quiet = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			g->verbose = 1;
		} else if ((!strcmp(a, "--repo") || !strcmp(a, "--db")) && i + 1 < argc) {
			*(a[2] == 'r' ? &g->repo : &g->db) = argv[++i];
		} else if (!strncmp(a, "--repo=", 7)) {
			g->repo = a + 7;
		} else if (!strncmp(a, "--db=", 5)) {
			g->db = a + 5;
		} else {
			fprintf(stderr, "bitgate: unknown option %s (see bitgate --help)\n", a);
			return BG_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return BG_EXIT_USAGE;
	}
	const char *name = argv[i];
	if (!strcmp(name, "help")) {
		if (i + 1 >= argc) {
			usage(stdout);
			return BG_EXIT_OK;
		}
		const struct bg_cmd *c = find(argv[i + 1]);
		if (!c) {
			fprintf(stderr, "bitgate: unknown command '%s' (see bitgate --help)\n",
				argv[i + 1]);
			return BG_EXIT_USAGE;
		}
		char *hargv[] = {(char *)c->name, "--help", NULL};
		return c->fn(2, hargv);
	}
	const struct bg_cmd *c = find(name);
	if (!c) {
		fprintf(stderr, "bitgate: unknown command '%s' (see bitgate --help)\n", name);
		return BG_EXIT_USAGE;
	}
	return c->fn(argc - i, argv + i);
}
