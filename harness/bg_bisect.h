/* Bisecting a slowdown of one benchmark series along the first-parent commits between a
 * good and a bad commit: the engine behind `bitgate bisect` and `bitgate nightly --bisect`.
 * Stored nightly results on this machine are used as they are; the commits that need
 * measuring are run as nightly runs labelled "bisect" (only that benchmark, no tests), so
 * the dashboard gains their points while the nightly still measures them in full later. A
 * commit that does not build is skipped, and recorded, as `git bisect skip` does. */
#ifndef BG_BISECT_H
#define BG_BISECT_H

#include <stddef.h>

#include "bg_app.h"
#include "bg_git.h"
#include "bg_stats.h"

struct bg_bisect_opts {
	const char *bench;  /* the benchmark's exact name */
	const char *params; /* its series' params; NULL: the only ones it is stored with */
	const char *mode;   /* its series' mode; NULL: "default" */
	const char *metric; /* its series' metric (unit); NULL: "ns". Which way is worse comes
			       from it (bg_trend_direction): a time that rises, a throughput
			       that falls; slowdown, slower and cut below mean that way */
	const char *good;   /* a revision without the slowdown */
	const char *bad;    /* a later revision on the same first-parent line, with it */
	double threshold;   /* least slowdown of bad against good worth bisecting (0.05 for 5%);
			       < 0: nightly.threshold of bad's bitgate.json */
	double cut;         /* a commit slower than good by this much is bad; < 0: half the
			       slowdown between the ends (a commit nearer bad than good is bad) */
	int repetitions;    /* bench rounds per bisect run (>= 1) */
	int retries;        /* further runs of a commit whose verdict more samples could turn */
	int jobs;           /* {jobs} for builds; 0: online CPUs */
	int pin_cpu;        /* -1: no pinning */
};

struct bg_bisect_result {
	char *benchmark, *params, *metric, *mode; /* the series bisected */
	struct bg_commit *line; /* good, then the first-parent commits up to bad */
	size_t n;
	unsigned char *marks;   /* enum bg_bisect_search_mark of each commit of line */
	int slowdown;           /* 1: bad was slower than good by the threshold and bisected;
				   0: it was not (ends tells by how much), nothing else ran */
	double threshold, cut;  /* as used */
	struct bg_interval ends; /* median(bad) / median(good), with its interval */
	size_t last_good, first_bad; /* the answer, indices into line: every commit strictly
					between them is skipped (first_bad - last_good > 1 leaves
					several candidates, the first bad one among them) */
	struct bg_interval step; /* median(first_bad) / median(last_good), with its interval */
	double good_median, bad_median; /* of last_good and first_bad */
	size_t tested;   /* commits judged between the ends */
	size_t reused;   /* of them, judged from stored results alone */
	size_t runs;     /* bisect runs made (ends, retries and commits that do not build
			    included) */
	size_t skipped;  /* commits that could not be measured */
	size_t suspects; /* stored regressions whose suspect this answer set */
};

/* Bisects o's series. Returns 0 with *r filled (r->slowdown tells whether there was
 * anything to bisect); BG_EINPUT for a good that is not a first-parent ancestor of bad, an
 * end that cannot be measured, or a benchmark with no such series; BG_EINTR when
 * interrupted (what was measured is kept); other negative codes from the engine or the
 * database. */
int bg_bisect_run(struct bg_app *app, const struct bg_bisect_opts *o,
		  struct bg_bisect_result *r);

void bg_bisect_result_clear(struct bg_bisect_result *r);

#endif
