/* E-Divisive change points (gates/changepoint.c) on series made here with a fixed-seed
 * generator: known steps found at their exact indices, noise, outliers and a change of spread
 * not taken for a shift of the level, the fast statistic against its O(n^2)-per-split
 * definition, repeatability and the input errors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_changepoint.h"
#include "bg_error.h"
#include "tf.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define TWO_PI 6.283185307179586

/* Uniform in (0, 1): 53 random bits, never 0 (Box-Muller takes its log). */
static double unit_rand(void)
{
	return ((double)(tf_rand() >> 11) + 0.5) / 9007199254740992.0;
}

/* Normal(mean, sd) by Box-Muller (one of the pair; the test data need no speed). */
static double normal(double mean, double sd)
{
	double u = unit_rand(), v = unit_rand();
	return mean + sd * sqrt(-2 * log(u)) * cos(TWO_PI * v);
}

/* x[from..to) = Normal(mean, sd). */
static void fill(double *x, size_t from, size_t to, double mean, double sd)
{
	for (size_t i = from; i < to; i++)
		x[i] = normal(mean, sd);
}

static size_t find(const double *x, size_t n, const struct bg_cp_opts *o,
		   struct bg_changepoint **cps)
{
	size_t count = 99;
	int err = bg_changepoints(x, n, o, cps, &count);
	TF_CHECK(err == 0, "bg_changepoints: %d %s", err, bg_error_last());
	TF_CHECK((count == 0) == (*cps == NULL), "count %zu with out %p", count, (void *)*cps);
	return count;
}

TF_TEST(changepoint__one_step)
{
	double x[80];
	tf_seed(1);
	fill(x, 0, 40, 100, 1);
	fill(x, 40, 80, 110, 1);
	struct bg_cp_opts o;
	bg_cp_opts_default(&o);
	struct bg_changepoint *cp;
	size_t n = find(x, 80, &o, &cp);
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(cp[0].index, 40);
	/* no shuffle of 80 points reaches a 10 sigma step: the smallest p, 1 / (199 + 1) */
	TF_CHECK(cp[0].p == 1.0 / 200, "p %.17g", cp[0].p);
	TF_CHECK(fabs(cp[0].before - 100) < 0.5 && fabs(cp[0].after - 110) < 0.5,
		 "medians %g -> %g", cp[0].before, cp[0].after);
	TF_CHECK(fabs(cp[0].rel - 0.10) < 0.01, "rel %g", cp[0].rel);
	TF_CHECK(cp[0].rel == cp[0].after / cp[0].before - 1, "rel %.17g, medians %.17g %.17g",
		 cp[0].rel, cp[0].before, cp[0].after);
	TF_CHECK(cp[0].ci.lo > 1.05 && cp[0].ci.lo <= cp[0].ci.estimate &&
			 cp[0].ci.estimate <= cp[0].ci.hi && cp[0].ci.hi < 1.15,
		 "interval %g [%g, %g]", cp[0].ci.estimate, cp[0].ci.lo, cp[0].ci.hi);
	TF_CHECK(bg_cp_level_shift(&cp[0]), "a 10%% step is not a level shift");
	free(cp);

	/* a step down is found the same way, with rel < 0 */
	for (size_t i = 0; i < 80; i++)
		x[i] = 210 - x[i];
	n = find(x, 80, &o, &cp);
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(cp[0].index, 40);
	TF_CHECK(cp[0].rel < -0.08 && cp[0].ci.hi < 1, "down: rel %g [%g, %g]", cp[0].rel,
		 cp[0].ci.lo, cp[0].ci.hi);
	free(cp);
}

TF_TEST(changepoint__two_steps)
{
	/* 100 -> 110 at 40, 110 -> 95 at 90 */
	double x[130];
	tf_seed(2);
	fill(x, 0, 40, 100, 1);
	fill(x, 40, 90, 110, 1);
	fill(x, 90, 130, 95, 1);
	struct bg_changepoint *cp;
	size_t n = find(x, 130, NULL, &cp);
	TF_CHECK_EQ(n, 2);
	TF_CHECK_EQ(cp[0].index, 40);
	TF_CHECK_EQ(cp[1].index, 90);
	/* each is sized against its own neighbours, not the whole series */
	TF_CHECK(fabs(cp[0].rel - 0.10) < 0.01, "first rel %g", cp[0].rel);
	TF_CHECK(fabs(cp[1].rel - (95.0 / 110 - 1)) < 0.01, "second rel %g", cp[1].rel);
	TF_CHECK(cp[0].after == cp[1].before, "shared segment: %g vs %g", cp[0].after,
		 cp[1].before);
	TF_CHECK(bg_cp_level_shift(&cp[0]) && bg_cp_level_shift(&cp[1]), "both are shifts");
	free(cp);
}

TF_TEST(changepoint__staircase)
{
	/* six levels of 20 commits, 5% apart: every step at its exact index, found by splits
	 * inside splits */
	double x[120];
	tf_seed(3);
	for (int s = 0; s < 6; s++)
		fill(x, 20 * (size_t)s, 20 * (size_t)s + 20, 100 * pow(1.05, s), 0.5);
	struct bg_changepoint *cp;
	size_t n = find(x, 120, NULL, &cp);
	TF_CHECK_EQ(n, 5);
	for (size_t i = 0; i < n; i++) {
		TF_CHECK_EQ(cp[i].index, 20 * (i + 1));
		TF_CHECK(fabs(cp[i].rel - 0.05) < 0.01, "step %zu: rel %g", i, cp[i].rel);
		TF_CHECK(cp[i].p < 0.01, "step %zu: p %g", i, cp[i].p);
	}
	free(cp);
}

TF_TEST(changepoint__noise_has_none)
{
	/* 200 commits of pure noise, several seeds: nothing to find. At p_max 0.01 per test a
	 * false alarm is rare but possible; these seeds are fixed, so a failure here means the
	 * test lost its calibration. */
	static double x[200];
	for (unsigned seed = 10; seed < 20; seed++) {
		tf_seed(seed);
		fill(x, 0, 200, 100, 1);
		struct bg_cp_opts o;
		bg_cp_opts_default(&o);
		o.seed = seed;
		struct bg_changepoint *cp;
		size_t n = find(x, 200, &o, &cp);
		TF_CHECK(n == 0, "seed %u: %zu change points, the first at %zu (p %g)", seed, n,
			 cp[0].index, cp[0].p);
	}
}

TF_TEST(changepoint__constant_has_none)
{
	/* every split has Q = 0, and so has every shuffle: p = 1 */
	double x[50];
	for (size_t i = 0; i < 50; i++)
		x[i] = 42;
	struct bg_changepoint *cp;
	TF_CHECK_EQ(find(x, 50, NULL, &cp), 0);
}

TF_TEST(changepoint__outlier_is_not_a_change)
{
	/* one commit 2x slower in the middle of 80: a single point moves no level */
	double x[80];
	tf_seed(4);
	fill(x, 0, 80, 100, 1);
	x[40] = 200;
	struct bg_changepoint *cp;
	size_t n = find(x, 80, NULL, &cp);
	TF_CHECK(n == 0, "%zu change points, the first at %zu", n, cp[0].index);
	/* nor near an end, where a side can be as short as min_size */
	x[40] = x[41];
	x[4] = 200;
	n = find(x, 80, NULL, &cp);
	TF_CHECK(n == 0, "%zu change points, the first at %zu", n, cp[0].index);
}

TF_TEST(changepoint__spread_change_is_not_a_shift)
{
	/* sd 1 -> 5 at 40, same mean. Energy distance compares whole distributions, so
	 * E-Divisive does find this change: exactly one, and its ratio of medians says the
	 * level did not move (interval contains 1), which is how the dashboard tells it from a
	 * regression. A change of spread is placed less sharply than a step: here at 46, as
	 * most of the first wide draws after 40 happen to land near 100. */
	double x[80];
	tf_seed(5);
	fill(x, 0, 40, 100, 1);
	fill(x, 40, 80, 100, 5);
	struct bg_changepoint *cp;
	size_t n = find(x, 80, NULL, &cp);
	TF_CHECK_EQ(n, 1);
	TF_CHECK(cp[0].index >= 32 && cp[0].index <= 48, "index %zu", cp[0].index);
	TF_CHECK(cp[0].ci.lo < 1 && cp[0].ci.hi > 1, "interval [%g, %g] excludes 1", cp[0].ci.lo,
		 cp[0].ci.hi);
	TF_CHECK(!bg_cp_level_shift(&cp[0]), "taken for a level shift: [%g, %g]", cp[0].ci.lo,
		 cp[0].ci.hi);
	free(cp);
}

TF_TEST(changepoint__magnitude)
{
	/* bg_cp_magnitude on its own: spread only -> contains 1; 3% shift -> excludes it */
	double x[200];
	tf_seed(6);
	fill(x, 0, 100, 100, 1);
	fill(x, 100, 200, 100, 5);
	struct bg_interval ci;
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 200, 0.95, 1000, 7, &ci) == 0, "%s", bg_error_last());
	TF_CHECK(ci.lo < 1 && ci.hi > 1, "spread only: [%g, %g]", ci.lo, ci.hi);
	TF_CHECK(ci.estimate == bg_stats_median(x + 100, 100) / bg_stats_median(x, 100),
		 "estimate %.17g", ci.estimate);
	fill(x, 100, 200, 103, 1);
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 200, 0.95, 1000, 7, &ci) == 0, "%s", bg_error_last());
	TF_CHECK(ci.lo > 1.02 && ci.hi < 1.04, "3%% shift: [%g, %g]", ci.lo, ci.hi);
	/* only part of the series: x[50..150) splits at 100 the same way */
	struct bg_interval part;
	TF_CHECK(bg_cp_magnitude(x, 50, 100, 150, 0.95, 1000, 7, &part) == 0, "part");
	TF_CHECK(part.estimate == bg_stats_median(x + 100, 50) / bg_stats_median(x + 50, 50),
		 "part estimate %.17g", part.estimate);
	/* a ratio needs positive values */
	x[150] = 0;
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 200, 0.95, 1000, 7, &ci) == BG_EINPUT, "zero");
	TF_CHECK(strstr(bg_error_last(), "not a positive finite") != NULL, "message: %s",
		 bg_error_last());
	x[150] = INFINITY;
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 200, 0.95, 1000, 7, &ci) == BG_EINPUT, "inf");
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 150, 0.95, 1000, 7, &ci) == 0, "[0, 150) is fine");
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 150, 1, 1000, 7, &ci) == BG_EINPUT, "level 1");
	TF_CHECK(bg_cp_magnitude(x, 0, 100, 150, 0.95, 0, 7, &ci) == BG_EINPUT, "0 resamples");
	/* an index with no point on one side */
	TF_CHECK(bg_cp_magnitude(x, 10, 10, 20, 0.95, 1000, 7, &ci) == BG_EINPUT, "empty before");
	TF_CHECK(bg_cp_magnitude(x, 10, 20, 20, 0.95, 1000, 7, &ci) == BG_EINPUT, "empty after");
	TF_CHECK(strstr(bg_error_last(), "change magnitude") != NULL, "message: %s",
		 bg_error_last());
}

TF_TEST(changepoint__magnitude_agrees_with_ratio_ci)
{
	/* the same bootstrap distribution as bg_stats_ratio_ci without rounds (other draws):
	 * the ends agree to well within the spread of the ratio */
	double x[301];
	tf_seed(9);
	fill(x, 0, 120, 100, 2);
	fill(x, 120, 301, 104, 3);
	struct bg_interval mine, theirs;
	TF_CHECK(bg_cp_magnitude(x, 0, 120, 301, 0.9, 20000, 1, &mine) == 0, "%s", bg_error_last());
	TF_CHECK(bg_stats_ratio_ci(x, NULL, 120, x + 120, NULL, 181, 0.9, 20000, 1, &theirs) == 0,
		 "%s", bg_error_last());
	TF_CHECK(mine.estimate == theirs.estimate, "estimate %.17g vs %.17g", mine.estimate,
		 theirs.estimate);
	TF_CHECK(fabs(mine.lo - theirs.lo) < 0.001 && fabs(mine.hi - theirs.hi) < 0.001,
		 "[%.5f, %.5f] vs bg_stats_ratio_ci [%.5f, %.5f]", mine.lo, mine.hi, theirs.lo,
		 theirs.hi);
}

TF_TEST(changepoint__magnitude_exact_small)
{
	/* before is constant 1, so every ratio is the resampled median of after. After {2, 4}
	 * (even: the mean of the two middle draws) gives 2, 3, 4 with chances 1/4, 1/2, 1/4;
	 * after {2, 4, 6} (odd) gives 2, 4, 6 with chances 7/27, 13/27, 7/27. Percentiles at
	 * 2.5/97.5 are the extremes, at 30/70 the middle value, exactly. */
	const double even[] = {1, 1, 1, 2, 4}, odd[] = {1, 1, 1, 2, 4, 6};
	struct bg_interval ci;
	TF_CHECK(bg_cp_magnitude(even, 0, 3, 5, 0.95, 4000, 3, &ci) == 0, "even");
	TF_CHECK(ci.estimate == 3 && ci.lo == 2 && ci.hi == 4, "even: %g [%g, %g]", ci.estimate,
		 ci.lo, ci.hi);
	TF_CHECK(bg_cp_magnitude(even, 0, 3, 5, 0.4, 4000, 3, &ci) == 0, "even 40%%");
	TF_CHECK(ci.lo == 3 && ci.hi == 3, "even 40%%: [%g, %g]", ci.lo, ci.hi);
	TF_CHECK(bg_cp_magnitude(odd, 0, 3, 6, 0.95, 4000, 3, &ci) == 0, "odd");
	TF_CHECK(ci.estimate == 4 && ci.lo == 2 && ci.hi == 6, "odd: %g [%g, %g]", ci.estimate,
		 ci.lo, ci.hi);
	TF_CHECK(bg_cp_magnitude(odd, 0, 3, 6, 0.4, 4000, 3, &ci) == 0, "odd 40%%");
	TF_CHECK(ci.lo == 4 && ci.hi == 4, "odd 40%%: [%g, %g]", ci.lo, ci.hi);
}

TF_TEST(changepoint__zero_level_before)
{
	/* a metric at 0 then 5: the change is found, its ratio has no meaning -> NAN */
	double x[40] = {0};
	for (size_t i = 20; i < 40; i++)
		x[i] = 5;
	struct bg_changepoint *cp;
	size_t n = find(x, 40, NULL, &cp);
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(cp[0].index, 20);
	TF_CHECK(cp[0].before == 0 && cp[0].after == 5, "medians %g %g", cp[0].before, cp[0].after);
	TF_CHECK(isnan(cp[0].rel) && isnan(cp[0].ci.lo) && isnan(cp[0].ci.hi), "rel %g", cp[0].rel);
	TF_CHECK(!bg_cp_level_shift(&cp[0]), "NAN interval taken for a shift");
	free(cp);
}

/* Q(tau) of x[0..n) from its definition (Matteson & James 2014, alpha = 1), every pair
 * summed directly. */
static double naive_q(const double *x, size_t n, size_t tau)
{
	double a = 0, b = 0, c = 0, m = (double)tau, k = (double)(n - tau);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			double d = fabs(x[i] - x[j]);
			if (j < tau)
				a += d;
			else if (i >= tau)
				b += d;
			else
				c += d;
		}
	return m * k / (m + k) * (2 * c / (m * k) - a / (m * (m - 1) / 2) - b / (k * (k - 1) / 2));
}

TF_TEST(changepoint__split_is_the_argmax_of_q)
{
	/* steps of 1.5 to 3 sigma at varied places, some data rounded so values tie: when one
	 * change is found, it sits where the definition's Q is largest (ties: the first) */
	double x[60];
	int checked = 0;
	for (unsigned seed = 1; seed <= 30; seed++) {
		tf_seed(100 + seed);
		size_t at = 5 + tf_rand() % 50;
		double step = 1.5 + 1.5 * unit_rand();
		fill(x, 0, at, 100, 1);
		fill(x, at, 60, 100 + step, 1);
		if (seed % 3 == 0)
			for (size_t i = 0; i < 60; i++)
				x[i] = round(2 * x[i]);
		struct bg_cp_opts o;
		bg_cp_opts_default(&o);
		o.seed = seed;
		o.p_max = 0.05;
		struct bg_changepoint *cp;
		size_t n = find(x, 60, &o, &cp);
		if (n != 1) {
			free(cp);
			continue;
		}
		size_t best = 3;
		for (size_t t = 3; t <= 57; t++)
			if (naive_q(x, 60, t) > naive_q(x, 60, best) + 1e-9)
				best = t;
		TF_CHECK(cp[0].index == best, "seed %u: split at %zu, the definition's max at %zu",
			 seed, cp[0].index, best);
		checked++;
		free(cp);
	}
	TF_CHECK(checked >= 15, "only %d of 30 series had one change point", checked);
}

TF_TEST(changepoint__min_size_respected)
{
	/* the first 3 commits slow: with min_size 3 the split at 3 is allowed and found; with
	 * min_size 5 no side may be that short, and nothing is found at 3 */
	double x[60];
	tf_seed(7);
	fill(x, 0, 3, 120, 1);
	fill(x, 3, 60, 100, 1);
	struct bg_cp_opts o;
	bg_cp_opts_default(&o);
	struct bg_changepoint *cp;
	size_t n = find(x, 60, &o, &cp);
	TF_CHECK(n == 1 && cp[0].index == 3, "%zu change points, the first at %zu", n,
		 n ? cp[0].index : 0);
	free(cp);
	o.min_size = 5;
	n = find(x, 60, &o, &cp);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(cp[i].index >= 5 && cp[i].index <= 55, "change at %zu", cp[i].index);
	free(cp);
	/* the same at the other end: the last 2 commits slow, min_size 3, so no split may leave
	 * them alone on the right */
	fill(x, 0, 58, 100, 1);
	fill(x, 58, 60, 120, 1);
	o.min_size = 3;
	n = find(x, 60, &o, &cp);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(cp[i].index >= 3 && cp[i].index <= 57, "change at %zu", cp[i].index);
	free(cp);
}

TF_TEST(changepoint__repeatable)
{
	static double x[300];
	tf_seed(8);
	fill(x, 0, 100, 100, 2);
	fill(x, 100, 220, 103, 2);
	fill(x, 220, 300, 99, 2);
	struct bg_cp_opts o;
	bg_cp_opts_default(&o);
	o.seed = 12345;
	struct bg_changepoint *a, *b, *c;
	size_t na = find(x, 300, &o, &a), nb = find(x, 300, &o, &b);
	TF_CHECK(na >= 1 && na == nb, "%zu vs %zu change points", na, nb);
	TF_CHECK(memcmp(a, b, na * sizeof(*a)) == 0, "same seed, different results");
	/* another seed: the same splits (these are clear), other bootstrap ends */
	o.seed = 54321;
	size_t nc = find(x, 300, &o, &c);
	TF_CHECK_EQ(nc, na);
	int ends_differ = 0;
	for (size_t i = 0; i < na; i++) {
		TF_CHECK(a[i].index == c[i].index, "seed changed index %zu -> %zu", a[i].index,
			 c[i].index);
		TF_CHECK(a[i].ci.estimate == c[i].ci.estimate, "estimate depends on the seed");
		ends_differ |= a[i].ci.lo != c[i].ci.lo || a[i].ci.hi != c[i].ci.hi;
	}
	TF_CHECK(ends_differ, "the seed does not reach the bootstrap");
	free(a);
	free(b);
	free(c);
}

TF_TEST(changepoint__short_series)
{
	/* fewer than 2 * min_size points: nothing to split, not an error */
	const double x[] = {1, 100, 1, 100, 1};
	struct bg_changepoint *cp;
	TF_CHECK_EQ(find(x, N_OF(x), NULL, &cp), 0);
	TF_CHECK_EQ(find(x, 0, NULL, &cp), 0);
	TF_CHECK_EQ(find(NULL, 0, NULL, &cp), 0);
	struct bg_cp_opts o;
	bg_cp_opts_default(&o);
	o.min_size = 2;
	const double y[] = {1, 1, 1, 1, 1, 1};
	TF_CHECK_EQ(find(y, N_OF(y), &o, &cp), 0);
}

TF_TEST(changepoint__bad_input)
{
	double x[20];
	for (size_t i = 0; i < 20; i++)
		x[i] = 100 + (double)(i % 3);
	struct bg_changepoint *cp = (struct bg_changepoint *)x;
	size_t n = 7;
	x[13] = NAN;
	TF_CHECK(bg_changepoints(x, 20, NULL, &cp, &n) == BG_EINPUT, "NaN accepted");
	TF_CHECK(cp == NULL && n == 0, "outputs not cleared on error");
	TF_CHECK(strstr(bg_error_last(), "value 13") != NULL, "message: %s", bg_error_last());
	x[13] = -INFINITY;
	TF_CHECK(bg_changepoints(x, 20, NULL, &cp, &n) == BG_EINPUT, "-inf accepted");
	x[13] = 100;

	struct bg_cp_opts o;
	bg_cp_opts_default(&o);
	o.min_size = 1;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "min_size 1");
	TF_CHECK(strstr(bg_error_last(), "min_size") != NULL, "message: %s", bg_error_last());
	bg_cp_opts_default(&o);
	o.permutations = 0;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "0 permutations");
	o.permutations = 99; /* the smallest p, 1/100, cannot be below p_max 0.01 */
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "99 permutations");
	TF_CHECK(strstr(bg_error_last(), "permutations") != NULL, "message: %s", bg_error_last());
	o.permutations = 100;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == 0, "100 permutations: %s", bg_error_last());
	free(cp);
	bg_cp_opts_default(&o);
	o.p_max = 0;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "p_max 0");
	o.p_max = NAN;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "p_max NaN");
	bg_cp_opts_default(&o);
	o.level = 1;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "level 1");
	bg_cp_opts_default(&o);
	o.resamples = 0;
	TF_CHECK(bg_changepoints(x, 20, &o, &cp, &n) == BG_EINPUT, "0 resamples");
	/* bad options are reported even when the series is too short to split */
	bg_cp_opts_default(&o);
	o.min_size = 0;
	TF_CHECK(bg_changepoints(x, 3, &o, &cp, &n) == BG_EINPUT, "min_size 0, short series");
}
