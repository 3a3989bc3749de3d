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

#endif
