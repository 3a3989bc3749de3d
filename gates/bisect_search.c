/* The search of bitgate bisect (bg_bisect_search.h). */
#include "bg_bisect_search.h"

#include <math.h>

#include "bg_trend.h"

void bg_bisect_search_bounds(const unsigned char *marks, size_t n, size_t *good, size_t *bad)
{
	size_t b = n ? n - 1 : 0;
	for (size_t i = 0; i < n; i++)
		if (marks[i] == BG_MARK_BAD) {
			b = i;
			break;
		}
	size_t g = 0;
	for (size_t i = b; i-- > 0;)
		if (marks[i] == BG_MARK_GOOD) {
			g = i;
			break;
		}
	*good = g;
	*bad = b;
}

/* Distance from the middle of (g, b), doubled so it stays whole. */
static size_t off_middle(size_t i, size_t g, size_t b)
{
	size_t twice = 2 * i, mid2 = g + b;
	return twice > mid2 ? twice - mid2 : mid2 - twice;
}

size_t bg_bisect_search_next(const unsigned char *marks, const unsigned char *stored, size_t n)
{
	size_t g, b;
	bg_bisect_search_bounds(marks, n, &g, &b);
	size_t best = (size_t)-1;
	int best_stored = 0;
	size_t best_off = 0;
	for (size_t i = g + 1; i < b; i++) {
		if (marks[i] != BG_MARK_UNTESTED)
			continue;
		int st = stored && stored[i];
		size_t off = off_middle(i, g, b);
		/* stored before unstored; then nearer the middle; the lower first on a tie */
		if (best == (size_t)-1 || st > best_stored || (st == best_stored && off < best_off)) {
			best = i;
			best_stored = st;
			best_off = off;
		}
	}
	return best;
}

double bg_bisect_search_worse(double ratio, int dir)
{
	return dir == BG_TREND_HIGHER_IS_BETTER ? 1 - ratio : ratio - 1;
}

int bg_bisect_search_worse_ends(const struct bg_interval *ends, double threshold, int dir)
{
	double w_lo = bg_bisect_search_worse(ends->lo, dir);
	double w_hi = bg_bisect_search_worse(ends->hi, dir);
	return fmin(w_lo, w_hi) > 0 && bg_bisect_search_worse(ends->estimate, dir) >= threshold;
}

int bg_bisect_search_judge(const double *good, size_t ng, const double *x, size_t nx, double cut,
			   int dir, uint64_t seed, struct bg_interval *out, int *unsure)
{
	int rc = bg_stats_ratio_ci(good, NULL, ng, x, NULL, nx, 0.95, 2000, seed, out);
	if (rc < 0)
		return rc;
	/* the interval's ends as how much worse than good, least first */
	double w_lo = bg_bisect_search_worse(out->lo, dir);
	double w_hi = bg_bisect_search_worse(out->hi, dir);
	*unsure = fmin(w_lo, w_hi) < cut && fmax(w_lo, w_hi) >= cut;
	return bg_bisect_search_worse(out->estimate, dir) >= cut ? BG_MARK_BAD : BG_MARK_GOOD;
}
