/* The search of `bitgate bisect`, apart from how commits get measured: which commit of a
 * first-parent line to test next, what the marks so far say about where a slowdown starts,
 * and whether one commit's samples count as good or bad, the metric's way (a time that
 * rises, a throughput that falls). Pure: no I/O.
 *
 * The line is commits 0 .. n-1 in first-parent order, 0 the known good end and n-1 the known
 * bad end. Each carries a mark; only commits strictly between the current bounds are ever
 * tested, so the marks stay consistent (every good before every bad) even when stored
 * results are reused out of binary-search order. */
#ifndef BG_BISECT_SEARCH_H
#define BG_BISECT_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "bg_stats.h"

enum bg_bisect_search_mark {
	BG_MARK_UNTESTED = 0,
	BG_MARK_GOOD = 1,
	BG_MARK_BAD = 2,
	BG_MARK_SKIP = 3 /* cannot be tested: does not build, or its benchmark failed */
};

/* The bounds the marks give: *bad the first commit marked bad (n - 1 when none is), *good
 * the last commit marked good before it (0 when none is). */
void bg_bisect_search_bounds(const unsigned char *marks, size_t n, size_t *good, size_t *bad);

/* The next commit to test, strictly between the bounds, or (size_t)-1 when none is left
 * (adjacent bounds, or only skipped commits between them). Untested commits with stored
 * results (stored[i] != 0; stored may be NULL) come first, since they cost nothing; among
 * equals, the one nearest the middle of the bounds, the lower on a tie. */
size_t bg_bisect_search_next(const unsigned char *marks, const unsigned char *stored, size_t n);

/* How much worse a ratio (after / before) is for a metric of direction dir (enum
 * bg_trend_direction, bg_trend.h): ratio - 1 when lower is better (a time: 1.10 is 10%
 * worse), 1 - ratio when higher is better (a throughput: 0.90 is 10% worse). */
double bg_bisect_search_worse(double ratio, int dir);

/* 1 when the ends' ratio (median(bad) / median(good) with its interval) is worse beyond
 * doubt, its whole interval on the worse side of 1, and by at least threshold. */
int bg_bisect_search_worse_ends(const struct bg_interval *ends, double threshold, int dir);

/* How one commit's samples compare with the good end's: out->estimate =
 * median(x) / median(good) with its bootstrap interval (bg_stats_ratio_ci without rounds,
 * level 0.95, 2000 resamples, seed). Returns BG_MARK_BAD when the estimate is worse by at
 * least cut for a metric of direction dir (bg_bisect_search_worse: at least 1 + cut when
 * lower is better, at most 1 - cut when higher is better), else BG_MARK_GOOD; *unsure is
 * 1 when the interval holds that edge (more samples could turn the answer). Negative on bad
 * input (an empty side, NaN). */
int bg_bisect_search_judge(const double *good, size_t ng, const double *x, size_t nx, double cut,
			   int dir, uint64_t seed, struct bg_interval *out, int *unsure);

#endif
