/* Summary statistics (see bg_stats.h). Sorting copies keeps the inputs untouched. */
#include "bg_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bg_stats_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	int xn = isnan(x), yn = isnan(y);
	if (xn || yn)
		return xn - yn;
	return (x > y) - (x < y);
}

/* Definition 7 of Hyndman & Fan (1996), "Sample quantiles in statistical packages",
 * The American Statistician 50(4): h = (n - 1) q, interpolate between x[floor h] and the
 * next order statistic. */
static double quantile_sorted(const double *s, size_t n, double q)
{
	if (n == 0)
		return NAN;
	if (q <= 0)
		return s[0];
	if (q >= 1)
		return s[n - 1];
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	double frac = h - (double)lo;
	if (lo + 1 >= n)
		return s[n - 1];
	return s[lo] + frac * (s[lo + 1] - s[lo]);
}

double bg_stats_quantile(const double *x, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double stack[256], *s = n <= 256 ? stack : malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), bg_stats_cmp_double);
	double v = quantile_sorted(s, n, q);
	if (s != stack)
		free(s);
	return v;
}

double bg_stats_median(const double *x, size_t n)
{
	return bg_stats_quantile(x, n, 0.5);
}

double bg_stats_mad(const double *x, size_t n)
{
	if (n == 0)
		return NAN;
	double m = bg_stats_median(x, n);
	double stack[256], *d = n <= 256 ? stack : malloc(n * sizeof(*d));
	if (!d)
		return NAN;
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(x[i] - m);
	double v = bg_stats_median(d, n);
	if (d != stack)
		free(d);
	return v;
}

double bg_stats_min(const double *x, size_t n)
{
	double v = n ? x[0] : NAN;
	for (size_t i = 1; i < n; i++)
		if (x[i] < v)
			v = x[i];
	return v;
}

double bg_stats_max(const double *x, size_t n)
{
	double v = n ? x[0] : NAN;
	for (size_t i = 1; i < n; i++)
		if (x[i] > v)
			v = x[i];
	return v;
}
