/* bitgate nightly: the command over the nightly engine (harness/nightly.c), which measures
 * the branch's new first-parent commits, finds change points in every series, stores the
 * regressions and renders the static dashboard. */
#include <stdlib.h>

#include "bg_app.h"
#include "bg_cli.h"
#include "bg_cmds.h"
#include "bg_dashboard.h"
#include "bg_error.h"
#include "bg_fleet.h"
#include "bg_nightly.h"

static const struct bg_cmd_info info = {
	"nightly",
	"bitgate nightly [options]",
	"Measures the first-parent commits of a branch that have no complete nightly run on this\n"
	"machine (the newest first; when more than --max-commits wait, the rest are spread\n"
	"evenly over them), stores every sample, then finds the change points of every series\n"
	"(E-Divisive means over each commit's median), stores the regressions with their\n"
	"commit range and size, and writes the static dashboard (index, one page per series,\n"
	"gnuplot plots). A second run with nothing new measures nothing.",
	"A regression is a lasting shift to slower by at least the threshold (nightly.threshold\n"
	"in bitgate.json, else gates.perf.threshold, else 3%) whose interval agrees. One that a\n"
	"later shift undoes is shown fixed; one listed in bitgate.json's \"acknowledge\"\n"
	"(series glob, first bad commit, reason) is shown acknowledged. A commit that does not\n"
	"build is recorded (and not retried); the dashboard skips it. With --bisect, each open\n"
	"regression not bisected yet whose range holds several commits (the nightly measured\n"
	"a spread) is bisected (see bitgate bisect): the first bad commit becomes its\n"
	"suspect, the bisect's runs become points of the series, and the analysis runs again\n"
	"so the range narrows to it. A regression the analysis no longer finds over the same\n"
	"commits is removed; one whose range moved keeps its identity and suspect.\n\n"
	"A fleet: with --claim, any number of runners of one pool (--pool; default their\n"
	"machine class, from the fingerprint) share the commits through the database (--db, a\n"
	"PostgreSQL URI for runners on several machines): the first queues the commits it\n"
	"would measure, then each claims one at a time under a lease (--lease), renewed while\n"
	"it works, until none is left, waiting for the others' claims (a runner that died\n"
	"loses its claim when the lease runs out, and another takes the commit). A commit is\n"
	"measured once per pool; runners of different pools each measure every commit. Each\n"
	"runner then analyses and renders the site as without --claim; with --bisect, the\n"
	"pool's runners of one machine share its regressions to bisect the same way.\n\n"
	"With --no-measure it measures nothing and renders every machine's series and\n"
	"regressions from the database, as bitgate site does.\n\n"
	"exit status: 0 done (whatever the dashboard shows); 2 bad usage, an unknown branch or an\n"
	"unusable bitgate.json; 3 a commit could not be measured for another reason than its\n"
	"build, the site could not be written, or bitgate was interrupted.\n\n"
	"examples:\n"
	"  bitgate nightly --site public/\n"
	"  bitgate nightly --max-commits 0 --site public/    (analyse and render only)\n"
	"  bitgate nightly --max-commits 20 --bisect\n"
	"  bitgate --db postgresql://bench@db/bitgate nightly --no-measure --site public/\n"
	"  bitgate --db postgresql://bench@db/bitgate nightly --claim --max-commits 50\n",
};

int cmd_nightly(struct bg_app *app, int argc, char **argv)
{
	struct bg_nightly_opts o = {
		.max_commits = 5,
		.depth = 1000,
		.lease_s = 300,
		.eo = {.kind = "nightly", .repetitions = 3, .tests = 1, .pin_cpu = -1}};
	int lease = -1, no_measure = 0;
	const struct bg_opt opts[] = {
		{"branch", 'b', BG_OPT_STR, &o.branch, "NAME",
		 "the branch to follow (default: bitgate.json's default_branch, else main)"},
		{"max-commits", 'm', BG_OPT_INT, &o.max_commits, "N",
		 "new commits to measure in this run (default 5; 0: none, only --bisect measures)"},
		{"depth", 0, BG_OPT_INT, &o.depth, "N",
		 "first-parent commits the dashboard covers, newest back (default 1000)"},
		{"site", 0, BG_OPT_STR, &o.site_dir, "DIR",
		 "where the dashboard goes (default .bitgate/site)"},
		{"png", 0, BG_OPT_FLAG, &o.png, NULL, "PNG plots too (SVG always)"},
		{"bisect", 0, BG_OPT_FLAG, &o.bisect, NULL,
		 "bisect each open regression whose range holds several commits (see bitgate "
		 "bisect)"},
		{"no-measure", 0, BG_OPT_FLAG, &no_measure, NULL,
		 "measure nothing: the site of every machine in the database (bitgate site)"},
		{"claim", 0, BG_OPT_FLAG, &o.claim, NULL,
		 "share the commits with the other runners of the pool through the database"},
		{"pool", 0, BG_OPT_STR, &o.pool, "NAME",
		 "with --claim: the pool to join (default: this machine's class)"},
		{"lease", 0, BG_OPT_INT, &lease, "SECONDS",
		 "with --claim: a claim's lease, renewed every third of it (default 300)"},
		BG_OPT_ROW_REPETITIONS(&o.eo.repetitions,
				       "bench rounds stored per commit (default 3)"),
		BG_OPT_ROW_TESTS(&o.eo.tests, "run the test suites (default: on)"),
		BG_OPT_ROW_JOBS(&o.eo.jobs, BG_HELP_JOBS),
		BG_OPT_ROW_PIN(&o.eo.pin_cpu, BG_HELP_PIN),
		BG_OPT_ROW_END,
	};
	int status = bg_cli_parse_args(&info, opts, argc, argv, NULL, 0,
				       "no arguments expected (see --branch)");
	if (status != BG_CLI_GO_ON)
		return status;
	if (bg_cli_check_range(&info, "max-commits", o.max_commits, 0, 100000) ||
	    bg_cli_check_range(&info, "depth", o.depth, 1, 1000000) ||
	    bg_cli_check_range(&info, "repetitions", o.eo.repetitions, 1, BG_REPETITIONS_MAX) ||
	    (lease != -1 && bg_cli_check_range(&info, "lease", lease, 1, 86400)))
		return BG_EXIT_USAGE;
	if (!o.claim && (o.pool || lease != -1))
		return bg_cli_usage_error(&info, "--%s needs --claim", o.pool ? "pool" : "lease");
	if (o.pool && bg_fleet_check_pool(o.pool) < 0)
		return bg_cli_usage_error(&info, "--pool: %s", bg_error_last());
	if (no_measure && (o.claim || o.bisect || o.branch))
		return bg_cli_usage_error(&info, "--no-measure renders only: not with --%s",
					  o.claim    ? "claim"
					  : o.bisect ? "bisect"
						     : "branch");
	if (lease != -1)
		o.lease_s = lease;
	if ((status = bg_app_setup(app)))
		return status;
	if (no_measure) {
		struct bg_dashboard_opts d = {
			.site_dir = o.site_dir, .depth = o.depth, .png = o.png};
		int rc = bg_dashboard_run(app, &d);
		return rc < 0 ? bg_app_fail(rc) : BG_EXIT_OK;
	}
	int rc = bg_nightly_run(app, &o, &status);
	return rc < 0 ? bg_app_fail(rc) : status;
}
