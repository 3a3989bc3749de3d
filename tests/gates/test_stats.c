/* Summary statistics against values computed independently (R 4.x: quantile(x, type = 7),
 * median(x), mad(x, constant = 1)), and the comparator every sort of doubles uses. */
#include <math.h>
#include <stdlib.h>

#include "bg_stats.h"
#include "tf.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-12 * (1 + fabs((double)(b))))

TF_TEST(stats__quantile_type7)
{
	/* R: quantile(c(3, 1, 4, 1, 5, 9, 2, 6), c(0, .1, .25, .5, .9, 1), type = 7)
	 *    -> 1.00 1.00 1.75 3.50 6.90 9.00 */
	const double x[] = {3, 1, 4, 1, 5, 9, 2, 6};
	const double q[] = {0, 0.1, 0.25, 0.5, 0.9, 1}, want[] = {1, 1, 1.75, 3.5, 6.9, 9};
	for (int i = 0; i < 6; i++) {
		double got = bg_stats_quantile(x, 8, q[i]);
		TF_CHECK(NEAR(got, want[i]), "q=%g: %.17g != %.17g", q[i], got, want[i]);
	}
	TF_CHECK(x[0] == 3 && x[7] == 6, "input reordered");
}

TF_TEST(stats__median_mad)
{
	/* R: median(c(10, 12, 11, 50, 9)) = 11; mad(c(10, 12, 11, 50, 9), constant = 1) = 1 */
	const double x[] = {10, 12, 11, 50, 9};
	TF_CHECK(NEAR(bg_stats_median(x, 5), 11), "median %g", bg_stats_median(x, 5));
	TF_CHECK(NEAR(bg_stats_mad(x, 5), 1), "mad %g", bg_stats_mad(x, 5));
	/* even count: median(c(4, 1, 3, 2)) = 2.5, mad(..., constant = 1) = 1 */
	const double y[] = {4, 1, 3, 2};
	TF_CHECK(NEAR(bg_stats_median(y, 4), 2.5), "median %g", bg_stats_median(y, 4));
	TF_CHECK(NEAR(bg_stats_mad(y, 4), 1), "mad %g", bg_stats_mad(y, 4));
	TF_CHECK(isnan(bg_stats_median(y, 0)), "empty median must be NAN");
	TF_CHECK(bg_stats_min(y, 4) == 1 && bg_stats_max(y, 4) == 4, "min/max");
}

TF_TEST(stats__cmp_double_total_order)
{
	/* ascending, every NaN last and equal to every other NaN, so qsort is well-defined */
	double x[] = {3, NAN, -1, INFINITY, 0, NAN, -INFINITY, 2.5};
	qsort(x, 8, sizeof(*x), bg_stats_cmp_double);
	const double want[] = {-INFINITY, -1, 0, 2.5, 3, INFINITY};
	for (int i = 0; i < 6; i++)
		TF_CHECK(x[i] == want[i], "x[%d] = %g, want %g", i, x[i], want[i]);
	TF_CHECK(isnan(x[6]) && isnan(x[7]), "NaNs not last: %g %g", x[6], x[7]);
	double a = 1, b = 2, n = NAN, m = NAN;
	TF_CHECK(bg_stats_cmp_double(&a, &b) < 0 && bg_stats_cmp_double(&b, &a) > 0, "1 vs 2");
	TF_CHECK_EQ(bg_stats_cmp_double(&a, &a), 0);
	TF_CHECK(bg_stats_cmp_double(&a, &n) < 0 && bg_stats_cmp_double(&n, &a) > 0, "NaN last");
	TF_CHECK_EQ(bg_stats_cmp_double(&n, &m), 0);
}
