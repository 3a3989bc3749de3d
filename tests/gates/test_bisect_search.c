/* gates/bisect_search.c: the bisect's search finds the first bad commit of every line length
 * and position in about log2(n) tests, narrows to the skipped commits when they hide it (as
 * git bisect does), uses stored results first, and judges a commit's samples against the
 * good end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bisect_search.h"
#include "bg_error.h"
#include "bg_trend.h"
#include "tf.h"

#define MAXN 80

/* Runs the search against an oracle: commits >= first are bad, those in skip cannot be
 * tested. Returns the number of tests; the final bounds in *g and *b. */
static size_t search(size_t n, size_t first, const unsigned char *skip,
		     const unsigned char *stored, size_t *g, size_t *b)
{
	unsigned char marks[MAXN] = {0};
	marks[0] = BG_MARK_GOOD;
	marks[n - 1] = BG_MARK_BAD;
	size_t tests = 0, i;
	while ((i = bg_bisect_search_next(marks, stored, n)) != (size_t)-1) {
		TF_CHECK(i > 0 && i < n - 1 && marks[i] == BG_MARK_UNTESTED,
			 "n %zu: picked %zu (mark %d)", n, i, marks[i]);
		marks[i] = skip && skip[i] ? BG_MARK_SKIP : i >= first ? BG_MARK_BAD : BG_MARK_GOOD;
		TF_CHECK(++tests < n, "n %zu: no end after %zu tests", n, tests);
	}
	bg_bisect_search_bounds(marks, n, g, b);
	return tests;
}

TF_TEST(bisect_search__finds_every_first_bad_commit_in_log2_tests)
{
	for (size_t n = 2; n <= MAXN; n++) {
		size_t limit = 0;
		while (((size_t)1 << limit) < n - 1)
			limit++;
		for (size_t first = 1; first < n; first++) {
			size_t g, b;
			size_t tests = search(n, first, NULL, NULL, &g, &b);
			TF_CHECK(b == first && g == first - 1, "n %zu first %zu: found %zu..%zu", n,
				 first, g, b);
			TF_CHECK(tests <= limit, "n %zu first %zu: %zu tests, more than %zu", n,
				 first, tests, limit);
		}
	}
}

TF_TEST(bisect_search__skipped_commits_narrow_to_the_candidates)
{
	tf_seed(7);
	for (int trial = 0; trial < 3000; trial++) {
		size_t n = 3 + (size_t)(tf_rand() % (MAXN - 2));
		size_t first = 1 + (size_t)(tf_rand() % (n - 1));
		unsigned char skip[MAXN] = {0};
		for (size_t i = 1; i + 1 < n; i++)
			skip[i] = tf_rand() % 4 == 0;
		size_t g, b;
		search(n, first, skip, NULL, &g, &b);
		/* the first bad commit lies in (g, b], and everything strictly between is skipped */
		TF_CHECK(g < first && first <= b, "n %zu first %zu: bounds %zu..%zu", n, first, g,
			 b);
		TF_CHECK(!skip[b], "n %zu: the bad bound %zu was skipped", n, b);
		for (size_t i = g + 1; i < b; i++)
			TF_CHECK(skip[i], "n %zu first %zu: %zu between %zu and %zu was not tested",
				 n, first, i, g, b);
		/* exact whenever the commit before the first bad is testable */
		if (!skip[first] && (first == 1 || !skip[first - 1]))
			TF_CHECK(b == first && g == first - 1, "n %zu first %zu: %zu..%zu", n,
				 first, g, b);
	}
}

TF_TEST(bisect_search__stored_results_come_first)
{
	/* 17 commits: 3 and 12 have stored results; they are tested before any other */
	unsigned char marks[17] = {0}, stored[17] = {0};
	marks[0] = BG_MARK_GOOD;
	marks[16] = BG_MARK_BAD;
	stored[3] = stored[12] = 1;
	size_t i = bg_bisect_search_next(marks, stored, 17);
	TF_CHECK_EQ(i, 12); /* nearer the middle (8) than 3 */
	marks[12] = BG_MARK_BAD;
	TF_CHECK_EQ(bg_bisect_search_next(marks, stored, 17), 3);
	marks[3] = BG_MARK_GOOD;
	TF_CHECK_EQ(bg_bisect_search_next(marks, stored, 17), 7); /* then the middle of 3..12 */
	/* stored results outside the bounds are not used */
	marks[7] = BG_MARK_BAD;
	stored[9] = 1;
	TF_CHECK_EQ(bg_bisect_search_next(marks, stored, 17), 5);
	/* without stored results: the middle, the lower on a tie */
	unsigned char m2[6] = {BG_MARK_GOOD, 0, 0, 0, 0, BG_MARK_BAD};
	TF_CHECK_EQ(bg_bisect_search_next(m2, NULL, 6), 2);
	/* adjacent bounds: nothing left */
	unsigned char m3[2] = {BG_MARK_GOOD, BG_MARK_BAD};
	TF_CHECK_EQ(bg_bisect_search_next(m3, NULL, 2), (size_t)-1);
}

static void fill(double *v, size_t n, double level, double spread, unsigned long long seed)
{
	tf_seed(seed);
	for (size_t i = 0; i < n; i++) {
		double u = (double)(tf_rand() >> 11) / 9007199254740992.0 - 0.5;
		v[i] = level * (1 + spread * u);
	}
}

TF_TEST(bisect_search__judge_compares_with_the_good_end)
{
	double good[30], same[30], slow[30], edge[30];
	fill(good, 30, 1000, 0.02, 1);
	fill(same, 30, 1003, 0.02, 2);
	fill(slow, 30, 1100, 0.02, 3);
	fill(edge, 30, 1050, 0.04, 4);
	struct bg_interval ci;
	int unsure = -1;
	TF_CHECK_EQ(bg_bisect_search_judge(good, 30, same, 30, 0.05, BG_TREND_LOWER_IS_BETTER, 1,
					   &ci, &unsure),
		    BG_MARK_GOOD);
	TF_CHECK(unsure == 0 && ci.hi < 1.05, "unsure %d, [%g, %g]", unsure, ci.lo, ci.hi);
	TF_CHECK_EQ(bg_bisect_search_judge(good, 30, slow, 30, 0.05, BG_TREND_LOWER_IS_BETTER, 1,
					   &ci, &unsure),
		    BG_MARK_BAD);
	TF_CHECK(unsure == 0 && fabs(ci.estimate - 1.10) < 0.01 && ci.lo > 1.05,
		 "unsure %d, %g [%g, %g]", unsure, ci.estimate, ci.lo, ci.hi);
	/* a commit right at the cut: whichever side, more samples could turn it */
	bg_bisect_search_judge(good, 30, edge, 30, 0.05, BG_TREND_LOWER_IS_BETTER, 1, &ci, &unsure);
	TF_CHECK(unsure == 1, "at the cut but sure: %g [%g, %g]", ci.estimate, ci.lo, ci.hi);
	/* repeatable for one seed */
	struct bg_interval again;
	bg_bisect_search_judge(good, 30, edge, 30, 0.05, BG_TREND_LOWER_IS_BETTER, 1, &again,
			       &unsure);
	TF_CHECK(again.lo == ci.lo && again.hi == ci.hi, "not repeatable");
	TF_CHECK(bg_bisect_search_judge(good, 0, slow, 30, 0.05, BG_TREND_LOWER_IS_BETTER, 1, &ci,
					&unsure) == BG_EINPUT,
		 "an empty good side must be refused");
}

/* A throughput (higher is better): a commit that fell by the cut is bad, one that rose is
 * good however far, and the ends count as a slowdown only when they fell beyond doubt. */
TF_TEST(bisect_search__judge_a_throughput_the_other_way)
{
	double good[30], same[30], fell[30], rose[30], edge[30];
	fill(good, 30, 1000, 0.02, 1);
	fill(same, 30, 997, 0.02, 2);
	fill(fell, 30, 900, 0.02, 3);
	fill(rose, 30, 1100, 0.02, 5);
	fill(edge, 30, 950, 0.04, 4);
	const int up = BG_TREND_HIGHER_IS_BETTER;
	struct bg_interval ci;
	int unsure = -1;
	TF_CHECK_EQ(bg_bisect_search_judge(good, 30, same, 30, 0.05, up, 1, &ci, &unsure),
		    BG_MARK_GOOD);
	TF_CHECK(unsure == 0, "unsure at %g [%g, %g]", ci.estimate, ci.lo, ci.hi);
	TF_CHECK_EQ(bg_bisect_search_judge(good, 30, fell, 30, 0.05, up, 1, &ci, &unsure),
		    BG_MARK_BAD);
	TF_CHECK(unsure == 0 && fabs(ci.estimate - 0.90) < 0.01 && ci.hi < 0.95,
		 "unsure %d, %g [%g, %g]", unsure, ci.estimate, ci.lo, ci.hi);
	/* 10% faster: bad for a time, good for a throughput */
	TF_CHECK_EQ(bg_bisect_search_judge(good, 30, rose, 30, 0.05, up, 1, &ci, &unsure),
		    BG_MARK_GOOD);
	TF_CHECK_EQ(bg_bisect_search_judge(good, 30, rose, 30, 0.05, BG_TREND_LOWER_IS_BETTER, 1,
					   &ci, &unsure),
		    BG_MARK_BAD);
	bg_bisect_search_judge(good, 30, edge, 30, 0.05, up, 1, &ci, &unsure);
	TF_CHECK(unsure == 1, "at the cut but sure: %g [%g, %g]", ci.estimate, ci.lo, ci.hi);

	TF_CHECK(fabs(bg_bisect_search_worse(0.9, up) - 0.1) < 1e-12 &&
			 fabs(bg_bisect_search_worse(1.1, BG_TREND_LOWER_IS_BETTER) - 0.1) < 1e-12,
		 "how much worse");
	const struct bg_interval fell_ends = {0.9, 0.88, 0.92}, rose_ends = {1.1, 1.08, 1.12},
				 unsure_ends = {0.9, 0.85, 1.01};
	TF_CHECK(bg_bisect_search_worse_ends(&fell_ends, 0.05, up) &&
			 !bg_bisect_search_worse_ends(&rose_ends, 0.05, up) &&
			 !bg_bisect_search_worse_ends(&unsure_ends, 0.05, up) &&
			 !bg_bisect_search_worse_ends(&fell_ends, 0.15, up),
		 "a throughput's ends");
	TF_CHECK(bg_bisect_search_worse_ends(&rose_ends, 0.05, BG_TREND_LOWER_IS_BETTER) &&
			 !bg_bisect_search_worse_ends(&fell_ends, 0.05, BG_TREND_LOWER_IS_BETTER),
		 "a time's ends");
}
