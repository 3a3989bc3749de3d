/* bitgate bisect: the first commit of a first-parent line that made one benchmark worse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_bisect.h"
#include "bg_bisect_search.h"
#include "bg_cli.h"
#include "bg_cmds.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_proc.h"

static const struct bg_cmd_info info = {
	"bisect",
	"bitgate bisect --bench NAME --good REV --bad REV [options]",
	"Finds the first commit between GOOD and BAD (first parents only) that made the\n"
	"benchmark NAME worse, by binary search: slower, or for a rate (--metric GB/s) lower.\n"
	"Nightly results stored on this machine are used as they are and tested first, since\n"
	"they cost nothing; other commits are built and measured as nightly runs labelled\n"
	"\"bisect\" (that benchmark only, no tests). A commit that does not build (or whose\n"
	"benchmark fails) is skipped and recorded, as git bisect skip does; when skipped\n"
	"commits hide the answer, every candidate is named. A commit is bad when its median\n"
	"is worse than GOOD's by at least the cut (default: half the worsening measured\n"
	"between GOOD and BAD, i.e. nearer BAD than GOOD); a commit whose interval straddles\n"
	"the cut is measured again (--retries). The answer is printed with its ratio against\n"
	"its parent and stored as the suspect of the nightly's regressions whose range holds\n"
	"it.",
	"exit status: 0 the first bad commit was found (or narrowed to skipped candidates);\n"
	"1 BAD is not worse than GOOD by the threshold, so there was nothing to bisect; 2 bad\n"
	"usage, an unknown revision, GOOD not a first-parent ancestor of BAD, an end that\n"
	"cannot be measured or a benchmark with no such series; 3 bitgate could not go on\n"
	"(the database, the build cache, a process it could not start) or was interrupted\n"
	"(what was measured is kept).\n\n"
	"examples:\n"
	"  bitgate bisect --bench gemv/avx2/2560x6912 --good v0.3 --bad main\n"
	"  bitgate bisect --bench e2e/2b/decode --good a1b2c3d --bad HEAD --threshold 5\n",
};

/* "0123456789 subject" of a commit, for the answer. */
static void print_commit(const char *lead, const struct bg_commit *c, const char *note)
{
	printf("%s%s %s%s\n", lead, c->sha, c->subject ? c->subject : "", note ? note : "");
}

static void print_result(const struct bg_bisect_opts *o, const struct bg_bisect_result *r)
{
	const struct bg_commit *line = r->line;
	if (!r->slowdown) {
		printf("bisect %s: %.10s is %+.1f%% [%+.1f%%, %+.1f%%] against %.10s, not worse by "
		       "%.1f%% or more with an interval above 0: nothing to bisect\n",
		       o->bench, line[r->n - 1].sha, 100 * (r->ends.estimate - 1),
		       100 * (r->ends.lo - 1), 100 * (r->ends.hi - 1), line[0].sha,
		       100 * r->threshold);
		return;
	}
	size_t cands = r->first_bad - r->last_good;
	if (cands == 1) {
		print_commit("first bad commit: ", &line[r->first_bad], NULL);
	} else {
		printf("first bad commit: one of %zu (the commits before %.10s could not be "
		       "measured)\n", cands, line[r->first_bad].sha);
		for (size_t i = r->last_good + 1; i <= r->first_bad; i++)
			print_commit("  ", &line[i],
				     r->marks[i] == BG_MARK_SKIP ? " (skipped)"
								 : " (measured bad)");
	}
	printf("  %s: %+.1f%% [%+.1f%%, %+.1f%%] against %.10s (median %.6g against %.6g %s)\n",
	       o->bench, 100 * (r->step.estimate - 1), 100 * (r->step.lo - 1),
	       100 * (r->step.hi - 1), line[r->last_good].sha, r->bad_median, r->good_median,
	       !strcmp(r->metric, "ns") ? "ns per iteration" : r->metric);
	printf("  %zu commits between good and bad: %zu tested (%zu from stored results), "
	       "%zu skipped; %zu bisect runs%s\n",
	       r->n - 2, r->tested, r->reused, r->skipped, r->runs,
	       r->suspects ? "; recorded as the suspect of the nightly's regression" : "");
}

int cmd_bisect(struct bg_app *app, int argc, char **argv)
{
	struct bg_bisect_opts o = {.threshold = -1, .cut = -1, .repetitions = 3, .retries = 2,
				   .pin_cpu = -1};
	double threshold = -1, cut = -1;
	const struct bg_opt opts[] = {
		{"bench", 0, BG_OPT_STR, &o.bench, "NAME", "the benchmark (its exact name)"},
		{"good", 0, BG_OPT_STR, &o.good, "REV", "a commit without the slowdown"},
		{"bad", 0, BG_OPT_STR, &o.bad, "REV",
		 "a later commit on the same first-parent line, with it"},
		{"threshold", 't', BG_OPT_DOUBLE, &threshold, "PCT",
		 "least slowdown of BAD against GOOD worth bisecting, in percent (default: "
		 "nightly.threshold in bitgate.json, else 3)"},
		{"cut", 0, BG_OPT_DOUBLE, &cut, "PCT",
		 "a commit slower than GOOD by this many percent is bad (default: half the "
		 "slowdown of BAD)"},
		{"params", 0, BG_OPT_STR, &o.params, "P",
		 "the series' params when the benchmark has several (\"threads=4\")"},
		{"mode", 0, BG_OPT_STR, &o.mode, "MODE", "the series' mode (default: default)"},
		{"metric", 0, BG_OPT_STR, &o.metric, "UNIT",
		 "the series' unit (default ns); a rate (GB/s, items/s) is worse when it falls"},
		BG_OPT_ROW_REPETITIONS(&o.repetitions,
				       "bench rounds per commit measured (default 3)"),
		{"retries", 0, BG_OPT_INT, &o.retries, "N",
		 "further runs of a commit too close to the cut to tell (default 2)"},
		BG_OPT_ROW_JOBS(&o.jobs, BG_HELP_JOBS),
		BG_OPT_ROW_PIN(&o.pin_cpu, BG_HELP_PIN),
		BG_OPT_ROW_END,
	};
	int status = bg_cli_parse_args(&info, opts, argc, argv, NULL, 0,
				       "no arguments expected (see --good and --bad)");
	if (status != BG_CLI_GO_ON)
		return status;
	if (!o.bench || !o.good || !o.bad)
		return bg_cli_usage_error(&info, "--bench, --good and --bad are required");
	if (threshold != -1 && !(threshold >= 0 && threshold < 1000))
		return bg_cli_usage_error(&info, "--threshold %g: expected a percentage, 0..1000",
					  threshold);
	if (cut != -1 && !(cut > 0 && cut < 1000))
		return bg_cli_usage_error(&info, "--cut %g: expected a percentage above 0", cut);
	if (bg_cli_check_range(&info, "repetitions", o.repetitions, 1, BG_REPETITIONS_MAX) ||
	    bg_cli_check_range(&info, "retries", o.retries, 0, 100))
		return BG_EXIT_USAGE;
	o.threshold = threshold == -1 ? -1 : threshold / 100;
	o.cut = cut == -1 ? -1 : cut / 100;

	if ((status = bg_app_setup(app)))
		return status;
	struct bg_bisect_result r;
	memset(&r, 0, sizeof(r));
	bg_signals_install();
	int rc;
	if ((rc = bg_app_machine(app)) < 0 || (rc = bg_bisect_run(app, &o, &r)) < 0) {
		status = bg_app_fail(rc);
	} else {
		print_result(&o, &r);
		status = r.slowdown ? BG_EXIT_OK : BG_EXIT_GATE;
	}
	bg_bisect_result_clear(&r);
	return status;
}
