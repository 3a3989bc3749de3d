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

int cmd_compare(int argc, char **argv)
{
	struct bg_compare_cli c;
	bg_compare_cli_defaults(&c);
	int strict = 0;
	c.o.tests = 0;
	const struct bg_opt opts[] = {
		BG_COMPARE_OPTS(c),
		{"tests", 0, BG_OPT_NEGFLAG, &c.o.tests, NULL,
		 "also run the test suites (default off)"},
		{"strict", 0, BG_OPT_NEGFLAG, &strict, NULL,
		 "also measure the strict-mode overhead of HEAD (default off)"},
		{"format", 0, BG_OPT_STR, &c.format, "table|json", "output format (default table)"},
		{NULL, 0, BG_OPT_END, NULL, NULL, NULL},
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return rc == 1 ? BG_EXIT_OK : BG_EXIT_USAGE;
	c.o.base_rev = npos > 0 ? pos[0] : NULL;
	c.o.head_rev = npos > 1 ? pos[1] : NULL;
	free(pos);
	if (npos > 2)
		return bg_cli_usage_error(&info, "expected at most BASE and HEAD");
	if (strcmp(c.format, "table") && strcmp(c.format, "json"))
		return bg_cli_usage_error(&info, "--format %s: expected table or json", c.format);
	c.o.kind = "compare";
	c.o.strict = strict ? -1 : 0;
	if (bg_compare_cli_finish(&c, &info))
		return BG_EXIT_USAGE;
	char *command;
	struct bg_app app;
	int status = bg_compare_cli_open(&c, argc, argv, &app, &command);
	if (status)
		return status;
	struct bg_decision *d = NULL;
	int incomplete = 0;
	rc = bg_compare_run(&app, &c.o, &d, &incomplete);
	if (rc < 0) {
		status = bg_app_fail(rc);
	} else {
		if (!strcmp(c.format, "json")) {
			char *json = NULL;
			if (bg_decision_to_json(d, &json) == 0)
				printf("%s\n", json);
			free(json);
		} else {
			bg_report_table(stdout, d);
			printf("decision %lld stored (bitgate report %lld --format md)\n",
			       (long long)d->id, (long long)d->id);
		}
		status = incomplete ? BG_EXIT_INFRA : BG_EXIT_OK;
	}
	bg_decision_free(d);
	free(command);
	bg_app_close(&app);
	return status;
}
