/* gates/trend.c: which way a metric is better, and the nightly's reading of a change by it:
 * a throughput's drop is the regression, its rise the improvement and the fix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"
#include "bg_trend.h"
#include "tf.h"

#define N 120

static double series[N];
static char sha_text[N][41];
static const char *shas[N];

/* levels[k] from starts[k] on, uniform noise of +-0.5% around each. */
static void make(const double *levels, const size_t *starts, size_t k)
{
	tf_seed(7);
	for (size_t i = 0, seg = 0; i < N; i++) {
		while (seg + 1 < k && i >= starts[seg + 1])
			seg++;
		double u = (double)(tf_rand() >> 11) / 9007199254740992.0 - 0.5;
		series[i] = levels[seg] * (1.0 + 0.01 * u);
		snprintf(sha_text[i], sizeof(sha_text[i]), "%02zx%038d", i, 0);
		shas[i] = sha_text[i];
	}
}

static struct bg_trend_change *analyse(int direction, size_t *count)
{
	struct bg_trend_change *v;
	int rc = bg_trend_analyse_dir(series, shas, N, "decode", direction, NULL, 0, 0.03, NULL, &v,
				      count);
	TF_CHECK(rc == 0, "analyse: %s", bg_error_last());
	return v;
}

TF_TEST(trend_direction__of_a_metric)
{
	TF_CHECK_EQ(bg_trend_direction("ns"), BG_TREND_LOWER_IS_BETTER);
	TF_CHECK_EQ(bg_trend_direction("ms"), BG_TREND_LOWER_IS_BETTER);
	TF_CHECK_EQ(bg_trend_direction("cycles"), BG_TREND_LOWER_IS_BETTER);
	TF_CHECK_EQ(bg_trend_direction(NULL), BG_TREND_LOWER_IS_BETTER);
	TF_CHECK_EQ(bg_trend_direction("GB/s"), BG_TREND_HIGHER_IS_BETTER);
	TF_CHECK_EQ(bg_trend_direction("tokens/s"), BG_TREND_HIGHER_IS_BETTER);
	TF_CHECK_EQ(bg_trend_direction("items per second"), BG_TREND_HIGHER_IS_BETTER);
	TF_CHECK(!strcmp(bg_trend_direction_text(BG_TREND_HIGHER_IS_BETTER), "higher is better") &&
			 !strcmp(bg_trend_direction_text(BG_TREND_LOWER_IS_BETTER),
				 "lower is better"),
		 "direction texts");
}

TF_TEST(trend_direction__a_throughput_drop_is_the_regression)
{
	const double lv[] = {100, 90};
	const size_t st[] = {0, 50};
	make(lv, st, 2);
	size_t n;
	struct bg_trend_change *v = analyse(BG_TREND_HIGHER_IS_BETTER, &n);
	TF_CHECK(n == 1 && v[0].cp.index == 50, "%zu change points", n);
	TF_CHECK_EQ(v[0].kind, BG_TREND_REGRESSION);
	TF_CHECK(v[0].state && !strcmp(v[0].state, "detected"), "state");
	free(v);
	/* the same drop in a time is an improvement */
	v = analyse(BG_TREND_LOWER_IS_BETTER, &n);
	TF_CHECK(n == 1 && v[0].kind == BG_TREND_IMPROVEMENT && !v[0].state, "as a time");
	free(v);
	/* and a rise of a throughput an improvement */
	const double up[] = {100, 110};
	make(up, st, 2);
	v = analyse(BG_TREND_HIGHER_IS_BETTER, &n);
	TF_CHECK(n == 1 && v[0].kind == BG_TREND_IMPROVEMENT, "a throughput's rise");
	free(v);
}

TF_TEST(trend_direction__a_throughput_back_up_is_fixed)
{
	const double lv[] = {100, 90, 99.5};
	const size_t st[] = {0, 40, 80};
	make(lv, st, 3);
	size_t n;
	struct bg_trend_change *v = analyse(BG_TREND_HIGHER_IS_BETTER, &n);
	TF_CHECK(n == 2 && v[0].kind == BG_TREND_REGRESSION, "%zu change points", n);
	TF_CHECK(!strcmp(v[0].state, "fixed") && v[0].fixed_index == 80, "state %s at %zu",
		 v[0].state, v[0].fixed_index);
	free(v);
	/* back only part of the way: still open */
	const double part[] = {100, 90, 95};
	make(part, st, 3);
	v = analyse(BG_TREND_HIGHER_IS_BETTER, &n);
	TF_CHECK(n == 2 && !strcmp(v[0].state, "detected"), "a partial recovery fixed it");
	free(v);
}
