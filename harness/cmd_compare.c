/* bitgate compare: a commit against another (by default the working tree against the
 * merge-base with the default branch), interleaved, with a verdict per benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_cmds.h"
#include "bg_compare_cli.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_report.h"

static const struct bg_cmd_info info = {
	"compare",
	"bitgate compare [options] [BASE] [HEAD]",
	"Builds BASE and HEAD (cached), runs their benchmarks interleaved in rounds (A B B A\n"
	"...), stores every sample and prints, per benchmark, the base and head medians, the\n"
	"change with its 95% interval, the threshold used and a verdict (faster, slower, no\n"
	"change, noisy). BASE defaults to the merge-base of the default branch (bitgate.json's\n"
	"default_branch, main) and HEAD; HEAD defaults to WORKTREE, the working tree with its\n"
	"uncommitted changes. The decision is stored: `bitgate report` shows it again.",
	"exit status: 0 compared (whatever the verdicts: `bitgate ci` is the gate); 2 bad\n"
	"usage or an unknown revision; 3 a side could not be built or measured.\n\n"
	"examples:\n"
	"  bitgate compare                      # my working tree against main\n"
	"  bitgate compare main HEAD --filter 'gemv/avx2' --rounds 8\n",
};

/* The --format values; each is the decision writer of that name. */
static const char *const format_names[] = {"table", "json", NULL};

int cmd_compare(struct bg_app *app, int argc, char **argv)
{
	struct bg_compare_cli c;
	bg_compare_cli_defaults(&c);
	int strict = 0;
	const char *modes = "none";
	c.o.tests = 0;
	const struct bg_opt opts[] = {
		BG_COMPARE_OPTS(c),
		BG_OPT_ROW_TESTS(&c.o.tests, "also run the test suites (default off)"),
		{"modes", 0, BG_OPT_STR, &modes, "LIST",
		 "also measure HEAD in these opt-in modes of gates.modes: none (default), all, or "
		 "names, comma-separated"},
		{"strict", 0, BG_OPT_NEGFLAG, &strict, NULL, "the older spelling of --modes all"},
		BG_OPT_ROW_FORMAT(&c.format, "table|json", BG_HELP_FORMAT),
		BG_OPT_ROW_END,
	};
	const char *revs[2];
	int status = bg_cli_parse_args(&info, opts, argc, argv, revs, 2,
				       "expected at most BASE and HEAD");
	if (status != BG_CLI_GO_ON)
		return status;
	c.o.base_rev = revs[0];
	c.o.head_rev = revs[1];
	if (bg_cli_choice(&info, "format", c.format, format_names) < 0)
		return BG_EXIT_USAGE;
	c.o.kind = "compare";
	c.o.modes = strict || !strcmp(modes, "all") ? NULL : modes;
	if (bg_compare_cli_finish(&c, &info))
		return BG_EXIT_USAGE;
	char *command;
	if ((status = bg_compare_cli_open(&c, argc, argv, app, &command)))
		return status;
	struct bg_decision *d = NULL;
	int incomplete = 0;
	int rc = bg_compare_run(app, &c.o, &d, &incomplete);
	if (rc < 0) {
		status = bg_app_fail(rc);
	} else {
		/* a rendering that fails leaves the stored decision as it is */
		bg_report_writer_find(c.format)->write(stdout, d);
		if (!strcmp(c.format, "table"))
			printf("decision %lld stored (bitgate report %lld --format md)\n",
			       (long long)d->id, (long long)d->id);
		status = incomplete ? BG_EXIT_INFRA : BG_EXIT_OK;
	}
	bg_decision_free(d);
	free(command);
	return status;
}
