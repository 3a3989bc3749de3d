/* gates/trend.c: change points read as regressions, improvements, fixes and acknowledged
 * regressions, on synthetic series with steps at known commits. */
#include <math.h>
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

/* levels[k] from index starts[k] on; uniform noise of +-0.5% around each level. */
static void make(const double *levels, const size_t *starts, size_t k, unsigned long long seed)
{
	tf_seed(seed);
	size_t seg = 0;
	for (size_t i = 0; i < N; i++) {
		while (seg + 1 < k && i >= starts[seg + 1])
			seg++;
		double u = (double)(tf_rand() >> 11) / 9007199254740992.0 - 0.5;
		series[i] = levels[seg] * (1.0 + 0.01 * u);
		snprintf(sha_text[i], sizeof(sha_text[i]), "%02zx%038d", i, 0);
		shas[i] = sha_text[i];
	}
}

static struct bg_trend_change *analyse(const struct bg_trend_ack *acks, size_t n_acks,
				       size_t *count)
{
	struct bg_trend_change *v;
	int rc = bg_trend_analyse(series, shas, N, "gemv/avx2/2560x6912", acks, n_acks, 0.03,
				  NULL, &v, count);
	TF_CHECK(rc == 0, "analyse: %s", bg_error_last());
	return v;
}

TF_TEST(trend__slowdown_is_a_detected_regression_at_its_commit)
{
	const double lv[] = {100, 110};
	const size_t st[] = {0, 40};
	make(lv, st, 2, 1);
	size_t n;
	struct bg_trend_change *v = analyse(NULL, 0, &n);
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(v[0].cp.index, 40);
	TF_CHECK_EQ(v[0].kind, BG_TREND_REGRESSION);
	TF_CHECK(!strcmp(v[0].state, "detected"), "state %s", v[0].state);
	TF_CHECK(fabs(v[0].cp.rel - 0.10) < 0.01, "rel %g", v[0].cp.rel);
	free(v);
}

TF_TEST(trend__undone_regression_is_fixed)
{
	const double lv[] = {100, 110, 100.5};
	const size_t st[] = {0, 40, 80};
	make(lv, st, 3, 2);
	size_t n;
	struct bg_trend_change *v = analyse(NULL, 0, &n);
	TF_CHECK_EQ(n, 2);
	TF_CHECK(v[0].kind == BG_TREND_REGRESSION && !strcmp(v[0].state, "fixed"),
		 "first: kind %d state %s", v[0].kind, v[0].state ? v[0].state : "-");
	TF_CHECK_EQ(v[0].fixed_index, 80);
	TF_CHECK(v[1].kind == BG_TREND_IMPROVEMENT && v[1].state == NULL, "second: kind %d",
		 v[1].kind);
	free(v);
}

/* An improvement that only halves the regression does not fix it. */
TF_TEST(trend__partial_recovery_is_not_a_fix)
{
	const double lv[] = {100, 120, 110};
	const size_t st[] = {0, 40, 80};
	make(lv, st, 3, 3);
	size_t n;
	struct bg_trend_change *v = analyse(NULL, 0, &n);
	TF_CHECK_EQ(n, 2);
	TF_CHECK(!strcmp(v[0].state, "detected"), "state %s", v[0].state);
	free(v);
}

TF_TEST(trend__acknowledged_by_series_and_commit)
{
	const double lv[] = {100, 110};
	const size_t st[] = {0, 40};
	make(lv, st, 2, 4);
	char prefix[12];
	snprintf(prefix, sizeof(prefix), "%.9s", shas[40]);
	struct bg_trend_ack acks[] = {
		{"gemv/*/2560x6912", "0000000", "some other commit"},
		{"matmul/*", prefix, "another series"},
		{"gemv/*/2560x6912", prefix, "bigger tiles trade GEMV speed for GEMM"},
	};
	size_t n;
	struct bg_trend_change *v = analyse(acks, 3, &n);
	TF_CHECK_EQ(n, 1);
	TF_CHECK(!strcmp(v[0].state, "acknowledged"), "state %s", v[0].state);
	TF_CHECK(v[0].reason == acks[2].reason, "reason %s", v[0].reason ? v[0].reason : "-");
	free(v);
	/* a prefix shorter than 7 digits matches nothing */
	struct bg_trend_ack short_ack = {"*", "2800", "too short"};
	v = analyse(&short_ack, 1, &n);
	TF_CHECK(n == 1 && !strcmp(v[0].state, "detected"), "short prefix acknowledged");
	free(v);
}

TF_TEST(trend__small_shift_and_speedup_are_not_regressions)
{
	const double lv[] = {100, 101.5};
	const size_t st[] = {0, 60};
	make(lv, st, 2, 5);
	size_t n;
	struct bg_trend_change *v = analyse(NULL, 0, &n);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(v[i].kind == BG_TREND_NEUTRAL && v[i].state == NULL,
			 "1.5%% shift read as kind %d", v[i].kind);
	free(v);
	const double lv2[] = {100, 90};
	make(lv2, st, 2, 6);
	v = analyse(NULL, 0, &n);
	TF_CHECK(n == 1 && v[0].kind == BG_TREND_IMPROVEMENT && v[0].state == NULL,
		 "speed-up: %zu changes", n);
	free(v);
}

TF_TEST(trend__series_names_and_bad_input)
{
	char b[128];
	TF_CHECK(!strcmp(bg_trend_series_name(b, sizeof(b), "gemv/x", "", "default"), "gemv/x"),
		 "%s", b);
	TF_CHECK(!strcmp(bg_trend_series_name(b, sizeof(b), "gemv/x", "threads=2", "strict"),
			 "gemv/x [threads=2] [strict]"),
		 "%s", b);
	size_t n;
	struct bg_trend_change *v;
	double x[8] = {1, 2, 3, NAN, 5, 6, 7, 8};
	TF_CHECK_EQ(bg_trend_analyse(x, NULL, 8, "s", NULL, 0, 0.03, NULL, &v, &n), BG_EINPUT);
	TF_CHECK_EQ(bg_trend_analyse(series, shas, N, "s", NULL, 0, -1, NULL, &v, &n), BG_EINPUT);
}
