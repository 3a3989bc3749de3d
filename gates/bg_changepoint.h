/* Change points of a benchmark's history for the nightly dashboard: E-Divisive means
 * (Matteson & James 2014) over one value per commit, and the size of each shift. Pure
 * functions: no I/O, no state outside the arguments, results repeat bit for bit per seed. */
#ifndef BG_CHANGEPOINT_H
#define BG_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "bg_stats.h"

/* How hard to look. bg_cp_opts_default fills the defaults; change fields after it. */
struct bg_cp_opts {
	int min_size;     /* fewest points on each side of a split (default 3; at least 2, the
			     within-segment mean distance needs a pair) */
	int permutations; /* permutations of the significance test (default 199) */
	double p_max;     /* a split is kept when its permutation p-value is below this
			     (default 0.01); with P permutations the smallest p is 1 / (P + 1),
			     so p_max must exceed it (else BG_EINPUT) */
	double level;     /* coverage of the ratio interval of each change (default 0.95) */
	int resamples;    /* bootstrap resamples of that interval (default 1000) */
	uint64_t seed;    /* seeds the permutations and the bootstrap */
};

/* One change: the series' distribution moves at index (its level, or only its spread:
 * bg_cp_level_shift tells them apart). */
struct bg_changepoint {
	size_t index;          /* first point of the new segment (0 < index < n) */
	double p;              /* permutation p-value of the split, (k + 1) / (P + 1) with k
				  the shuffles whose best Q reached the observed one */
	double before, after;  /* medians of the segments either side (between the neighbouring
				  change points, or the series' ends) */
	double rel;            /* after / before - 1; NAN when before is 0 */
	struct bg_interval ci; /* after / before: estimate and percentile bootstrap interval
				  (bg_cp_magnitude); all NAN unless every value of both
				  segments is above 0 (a ratio needs positive measurements) */
};

/* min_size 3, permutations 199, p_max 0.01, level 0.95, resamples 1000, seed 0. */
void bg_cp_opts_default(struct bg_cp_opts *o);

/* The change points of x[0..n-1] (one value per commit, oldest first, e.g. each commit's
 * median time; any finite values, though the ratio fields need positive ones), by
 * E-Divisive means as MongoDB's and Apache Otava's change-point detection run it: recursive
 * binary segmentation where, in a segment, the split maximising the energy statistic Q
 * (alpha = 1) with at least min_size points either side is tested by permutation (the
 * segment shuffled, the maximum taken again), kept when p < p_max, and both sides are then
 * searched the same way. Energy distance compares whole distributions, so a change of
 * spread alone can be found too; its ratio interval then contains 1. Each segment's
 * permutations draw from their own stream (the seed and the segment's ends), so a result
 * does not depend on the order the segments are visited. A segment shorter than
 * 2 * min_size is not split: a short series gives no change points, not an error.
 * o NULL means the defaults.
 * Cost: one scan of a segment of L points is O(L log L); a test is at most permutations + 1
 * scans and stops as soon as p >= p_max is certain, so a segment without a change costs a
 * few scans. About 5 ms per kept split of 1000 points, on one core.
 * *out receives the change points sorted by index (NULL when none), owned by the caller
 * (free()); *count their number. Each is sized by bg_cp_magnitude against its neighbouring
 * segments, seeded with the seed mixed with its index.
 * Returns 0, BG_EINPUT (a value NaN or infinite, or opts out of range) or BG_ENOMEM. */
int bg_changepoints(const double *x, size_t n, const struct bg_cp_opts *o,
		    struct bg_changepoint **out, size_t *count);

/* The size of the change at x[index] within x[start..end): out->estimate = median of
 * x[index..end) / median of x[start..index) (bg_stats_median), the interval a percentile
 * bootstrap of that ratio resampling each side on its own: the interval bg_stats_ratio_ci
 * gives without rounds, drawn from the same distribution by a faster route (not the same
 * draws bit for bit). level e.g. 0.95, resamples e.g. 1000, seed makes it repeatable. A
 * change of spread alone leaves both medians where they were, so its interval contains 1; a
 * lasting shift of the level excludes it (bg_cp_level_shift).
 * Returns 0, BG_EINPUT (no point on a side, a value not positive and finite, level not in
 * (0, 1), resamples not in 1..1000000) or BG_ENOMEM. */
int bg_cp_magnitude(const double *x, size_t start, size_t index, size_t end, double level,
		    int resamples, uint64_t seed, struct bg_interval *out);

/* 1 when the change moved the level: its ratio interval lies wholly above or below 1;
 * 0 when it contains 1 (a change of spread, or a shift too small to size) or is NAN. */
int bg_cp_level_shift(const struct bg_changepoint *cp);

#endif
