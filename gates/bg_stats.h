/* Robust summary statistics over raw samples. Pure functions: no I/O, no allocation the
 * caller does not see, inputs never modified. */
#ifndef BG_STATS_H
#define BG_STATS_H

#include <stddef.h>

/* The q-quantile (0 <= q <= 1) by linear interpolation between order statistics
 * (Hyndman & Fan 1996, definition 7, R's default). NAN for n = 0. */
double bg_stats_quantile(const double *x, size_t n, double q);

/* The median (the 0.5 quantile). NAN for n = 0. */
double bg_stats_median(const double *x, size_t n);

/* Median absolute deviation from the median, unscaled (multiply by 1.4826 for a normal
 * sigma). NAN for n = 0. */
double bg_stats_mad(const double *x, size_t n);

double bg_stats_min(const double *x, size_t n);
double bg_stats_max(const double *x, size_t n);

/* The qsort comparator of doubles, ascending: a total order with every NaN last (all NaNs
 * equal), so a sort stays well-defined whatever the input holds. */
int bg_stats_cmp_double(const void *a, const void *b);

/* --- tests and intervals for comparisons (stats_compare.c; the gates and bisect use them) */

#include <stdint.h>

struct bg_interval {
	double estimate; /* the point estimate */
	double lo, hi;   /* interval ends */
};

/* The Mann-Whitney U test of x against y (Mann & Whitney 1947). *u receives U of x: the
 * number of pairs with x_i > y_j plus half the ties. *p the two-sided p-value: exact (the
 * permutation distribution of U, by counting) when there are no ties and nx, ny <= 50;
 * otherwise the normal approximation with the tie correction of the variance and a
 * continuity correction (as R's wilcox.test with exact = FALSE, correct = TRUE). p = 1 when
 * either sample is empty. Returns 0 or BG_ENOMEM. */
int bg_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u,
			  double *p);

/* The Hodges-Lehmann estimate of the shift y - x: the median of all nx * ny differences
 * y_j - x_i (Hodges & Lehmann 1963). NAN when either is empty. */
double bg_stats_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny);

/* A percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13) of
 * median(head) / median(base), paired by round: each resample draws rounds with
 * replacement and takes both sides' samples of the drawn rounds together, so round-to-round
 * drift (the machine getting slower for both) cancels in the ratio. With a single round the
 * samples of each side are resampled independently. level is e.g. 0.95; resamples e.g.
 * 2000; seed makes it repeatable. out->estimate is the ratio of the full samples' medians.
 * Returns 0, BG_EINPUT (an empty side) or BG_ENOMEM. */
int bg_stats_ratio_ci(const double *base, const int *base_round, size_t nb, const double *head,
		      const int *head_round, size_t nh, double level, int resamples, uint64_t seed,
		      struct bg_interval *out);

/* The same for the q-quantile (0 < q < 1) instead of the median: out->estimate =
 * Q_q(head) / Q_q(base) over all samples of each side (bg_stats_quantile), the interval by
 * the same round bootstrap. A low q (e.g. 0.1) reads the speed of the code in the moments the
 * host left it alone: on a shared machine contention only ever adds time, in bursts that slow
 * whole processes, so the fast part of the distribution moves with the code and much less
 * with the neighbours. When p is not NULL it receives the bootstrap test of ratio = 1:
 * two-sided, 2 (k + 1) / (B + 1) with k the resamples on the rarer side of 1, capped at 1.
 * bg_stats_ratio_ci is this with q = 0.5 and no p. */
int bg_stats_quantile_ratio_test(const double *base, const int *base_round, size_t nb,
				 const double *head, const int *head_round, size_t nh, double q,
				 double level, int resamples, uint64_t seed,
				 struct bg_interval *out, double *p);

/* The median of each round's samples, in order of first appearance, into out (room for n);
 * returns the number of rounds. Without round numbers (round NULL) every sample is its own
 * round. */
size_t bg_stats_round_medians(const double *x, const int *round, size_t n, double *out);

/* The Wilcoxon signed-rank test of d (paired differences) against 0 (Wilcoxon 1945). Zeros
 * are dropped; ranks of |d| with ties averaged. *w receives V, the sum of the ranks of the
 * positive differences; *p the two-sided p-value: exact (all 2^n sign patterns, counted
 * with a table of rank sums) when there are no ties and n <= 30, otherwise the normal
 * approximation with the tie correction of the variance and a continuity correction (as
 * R's wilcox.test(paired = TRUE) with exact = FALSE, correct = TRUE). p = 1 for n = 0.
 * Returns 0 or BG_ENOMEM. */
int bg_stats_signed_rank(const double *d, size_t n, double *w, double *p);

/* Paired by round: for every round present on both sides, r_i = median(head samples of
 * round i) / median(base samples of round i). out->estimate is the median of the r_i and
 * the interval a percentile bootstrap of that median over the rounds (level, resamples,
 * seed as bg_stats_ratio_ci). When ratios is not NULL it receives the r_i (room for
 * min(nb, nh)) and *n_ratios their count. BG_EINPUT when fewer than 2 rounds are shared. */
int bg_stats_paired_ratio_ci(const double *base, const int *base_round, size_t nb,
			     const double *head, const int *head_round, size_t nh, double level,
			     int resamples, uint64_t seed, struct bg_interval *out, double *ratios,
			     size_t *n_ratios);

/* Holm's step-down adjusted p-values (Holm 1979): controls the family-wise error rate over
 * all n tests. adj may alias p. */
void bg_stats_holm(const double *p, size_t n, double *adj);

/* Benjamini-Hochberg adjusted p-values (Benjamini & Hochberg 1995): controls the false
 * discovery rate. adj may alias p. */
void bg_stats_bh(const double *p, size_t n, double *adj);

/* The upper-tail probability of the standard normal, 1 - Phi(z). */
double bg_stats_normal_sf(double z);

/* A small deterministic generator (splitmix64) for resampling. */
uint64_t bg_stats_rand(uint64_t *state);

#endif
