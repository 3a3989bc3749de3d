/* Tests and intervals for comparing two sets of samples (see bg_stats.h): Mann-Whitney,
 * Hodges-Lehmann, a round-paired bootstrap of the ratio of quantiles, Holm and
 * Benjamini-Hochberg adjustment, the Wilcoxon signed-rank test and per-round ratios. Pure: no
 * I/O, no state outside the arguments. */
#include "bg_error.h"
#include "bg_stats.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The exact Mann-Whitney distribution is counted up to this size of either sample. */
#define MW_EXACT_MAX 50

/* Holm and BH sort this many p-values on the stack; more are sorted in allocated memory. */
#define PADJ_STACK 128

/* Draws of rounds rejected in a row (one side came out empty) before a bootstrap resample
 * is given up. A draw keeps both sides non-empty with probability at least (1 - 1/e)^2 ~ 0.4
 * (each side has samples in at least one round), so 64 failures in a row happen with
 * probability below 1e-14. */
#define MAX_REDRAWS 64

/* A fixed seed for the pivots of the Hodges-Lehmann selection: any value gives the same
 * (exact) answer, a fixed one keeps the running time repeatable. */
#define HL_PIVOT_SEED 0x6a09e667f3bcc909u

/* --- helpers ------------------------------------------------------------------------ */

/* bg_stats_cmp_double's order (NaN last) for two values, for the comparators of records. */
static int cmp_total(double a, double b)
{
	return bg_stats_cmp_double(&a, &b);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Splitmix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators",
 * OOPSLA; constants of Vigna's reference splitmix64.c). */
uint64_t bg_stats_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* 2^64 mod n: the draws below it are rejected so that r mod n is exactly uniform (the
 * rejection method of OpenBSD's arc4random_uniform; Lemire 2019, "Fast random integer
 * generation in an interval", ACM TOMACS 29(1), section 2). n > 0. */
static uint64_t uniform_threshold(uint64_t n)
{
	return (0 - n) % n;
}

static size_t uniform_index(uint64_t *state, uint64_t n, uint64_t threshold)
{
	for (;;) {
		uint64_t r = bg_stats_rand(state);
		if (r >= threshold)
			return (size_t)(r % n);
	}
}

/* The k-th smallest (0-based) of a[0..n), reordering a so that a[i] <= a[k] for i < k and
 * a[i] >= a[k] for i > k: Hoare's FIND as Wirth writes it (Wirth 1976, "Algorithms + Data
 * Structures = Programs", 2.3.4). */
static double select_inplace(double *a, size_t n, size_t k)
{
	ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
	while (l < m) {
		double x = a[kk];
		ptrdiff_t i = l, j = m;
		do {
			while (a[i] < x)
				i++;
			while (x < a[j])
				j--;
			if (i <= j) {
				double t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return a[kk];
}

/* The q-quantile of a[0..n) (n > 0), reordering a; the same interpolation as
 * bg_stats_quantile (Hyndman & Fan 1996, definition 7), so the two agree bit for bit. */
static double quantile_inplace(double *a, size_t n, double q)
{
	if (q <= 0 || q >= 1 || n == 1)
		return select_inplace(a, n, q >= 1 ? n - 1 : 0);
	double h = (double)(n - 1) * q;
	size_t k = (size_t)floor(h);
	double frac = h - (double)k;
	double lo = select_inplace(a, n, k);
	if (k + 1 >= n)
		return a[n - 1];
	double hi = a[k + 1];
	for (size_t i = k + 2; i < n; i++)
		if (a[i] < hi)
			hi = a[i];
	return lo + frac * (hi - lo);
}

/* --- Mann-Whitney ------------------------------------------------------------------- */

struct mw_obs {
	double v;
	int is_x;
};

static int cmp_obs(const void *a, const void *b)
{
	return cmp_total(((const struct mw_obs *)a)->v, ((const struct mw_obs *)b)->v);
}

/* P(U <= kmax) under the null for samples of m and n with no ties, by the recurrence of
 * Mann & Whitney (1947), in counts instead of probabilities: the largest observation is
 * either an x, which beats all n y's, or a y, so c(k; m, n) = c(k - n; m - 1, n) + c(k; m, n - 1).
 * Only k <= kmax is needed (U is symmetric about mn/2), and only additions of non-negative counts
 * happen, so the doubles lose nothing but rounding. -1 when out of memory. */
static double mw_exact_cdf(size_t m, size_t n, size_t kmax)
{
	size_t w = kmax + 1;
	/* c[j * w + k] holds c(k; i, j) for the current i: row j of the previous i is read before
	 * being overwritten because k runs downwards. */
	double *c = calloc((n + 1) * w, sizeof(*c));
	if (!c)
		return -1;
	for (size_t j = 0; j <= n; j++)
		c[j * w] = 1; /* c(0; 0, j) = 1 */
	for (size_t i = 1; i <= m; i++)
		for (size_t j = 1; j <= n; j++) {
			double *row = c + j * w, *left = c + (j - 1) * w;
			for (size_t k = kmax + 1; k-- > 0;)
				row[k] = (k >= j ? row[k - j] : 0) + left[k];
		}
	double below = 0;
	for (size_t k = 0; k <= kmax; k++)
		below += c[n * w + k];
	free(c);
	double total = 1; /* C(m + n, m) */
	for (size_t i = 1; i <= m; i++)
		total = total * (double)(n + i) / (double)i;
	return below / total;
}

/* Mann & Whitney (1947), "On a test of whether one of two random variables is stochastically
 * larger than the other", Ann. Math. Statist. 18(1). U counted over the pooled, sorted
 * observations (each x beats the y's below its tie group and half the y's within it). Exact
 * p: 2 * min(P(U <= u), P(U >= u)) = 2 * P(U <= min(u, nx ny - u)) by symmetry, as R's
 * wilcox.test(exact = TRUE); note R counts exactly only below 50, this goes up to 50. Normal
 * approximation: Lehmann (1975), "Nonparametrics", ch. 1 (ties) for the tie-corrected variance
 * nx ny / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))), with a continuity correction of 0.5
 * towards the mean, as R's wilcox.test(exact = FALSE, correct = TRUE). */
int bg_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u,
			  double *p)
{
	*u = 0;
	*p = 1;
	if (nx == 0 || ny == 0)
		return 0;
	size_t n = nx + ny;
	struct mw_obs *obs = malloc(n * sizeof(*obs));
	if (!obs)
		return bg_error_oom();
	for (size_t i = 0; i < nx; i++)
		obs[i] = (struct mw_obs){x[i], 1};
	for (size_t j = 0; j < ny; j++)
		obs[nx + j] = (struct mw_obs){y[j], 0};
	qsort(obs, n, sizeof(*obs), cmp_obs);

	double ux = 0, tie_sum = 0;
	size_t y_below = 0;
	for (size_t g = 0; g < n;) {
		size_t e = g, gx = 0;
		while (e < n && cmp_total(obs[e].v, obs[g].v) == 0)
			gx += (size_t)obs[e++].is_x;
		double t = (double)(e - g), gy = t - (double)gx;
		ux += (double)gx * ((double)y_below + 0.5 * gy);
		tie_sum += t * t * t - t;
		y_below += (size_t)gy;
		g = e;
	}
	free(obs);
	*u = ux;

	double mn = (double)nx * (double)ny;
	if (tie_sum == 0 && nx <= MW_EXACT_MAX && ny <= MW_EXACT_MAX) {
		double lower = ux < mn - ux ? ux : mn - ux;
		size_t m = nx < ny ? ny : nx, k = nx < ny ? nx : ny;
		double cdf = mw_exact_cdf(m, k, (size_t)lower);
		if (cdf < 0)
			return bg_error_oom();
		*p = fmin(1, 2 * cdf);
		return 0;
	}

	double dn = (double)n;
	double var = mn / 12 * ((dn + 1) - tie_sum / (dn * (dn - 1)));
	if (!(var > 0)) /* every observation tied: no evidence either way */
		return 0;
	double d = ux - mn / 2;
	double corr = d > 0 ? 0.5 : d < 0 ? -0.5 : 0;
	double z = (d - corr) / sqrt(var);
	*p = fmin(1, 2 * bg_stats_normal_sf(fabs(z)));
	return 0;
}

/* Q(z) = erfc(z / sqrt 2) / 2 (Abramowitz & Stegun 1964, ch. 26, the normal probability
 * function in terms of the error function): erfc keeps full relative accuracy far into the
 * upper tail, where 1 - Phi(z) would cancel to 0. */
double bg_stats_normal_sf(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

/* --- Hodges-Lehmann ------------------------------------------------------------------ */

/* The nx x ny matrix d(i, j) = ys[j] - xs[i] over sorted xs, ys is sorted along rows
 * (ascending in j) and down columns (descending in i), and stays so in floating point
 * because rounding is monotone. Its k-th smallest entry (1-based) is found without forming
 * the matrix: keep per row the candidate columns [lo, hi), draw a pivot uniformly among the
 * candidates, count the entries below and at the pivot along a staircase in O(nx + ny), and
 * drop the side that cannot hold the answer (Johnson & Mizoguchi 1978, "Selecting the Kth
 * element in X + Y and X1 + X2 + ... + Xm", SIAM J. Comput. 7(2); the same scheme as
 * Monahan 1984, ACM TOMS Algorithm 616). Every copy of the answer stays a candidate, and each
 * round removes the pivot, so it ends; expected O(log(nx ny)) rounds. */
struct hl_work {
	const double *xs, *ys;
	size_t nx, ny;
	size_t *lo, *hi, *lt, *le; /* nx each */
};

static double hl_select(struct hl_work *w, size_t k, uint64_t *rng)
{
	size_t nx = w->nx, ny = w->ny;
	for (size_t i = 0; i < nx; i++) {
		w->lo[i] = 0;
		w->hi[i] = ny;
	}
	for (;;) {
		size_t cand = 0;
		for (size_t i = 0; i < nx; i++)
			if (w->hi[i] > w->lo[i])
				cand += w->hi[i] - w->lo[i];
		size_t r = uniform_index(rng, cand, uniform_threshold(cand)), pi = 0;
		while (w->hi[pi] <= w->lo[pi] || r >= w->hi[pi] - w->lo[pi]) {
			if (w->hi[pi] > w->lo[pi])
				r -= w->hi[pi] - w->lo[pi];
			pi++;
		}
		double pivot = w->ys[w->lo[pi] + r] - w->xs[pi];

		size_t n_lt = 0, n_le = 0, jl = 0, je = 0;
		for (size_t i = 0; i < nx; i++) {
			while (jl < ny && w->ys[jl] - w->xs[i] < pivot)
				jl++;
			while (je < ny && w->ys[je] - w->xs[i] <= pivot)
				je++;
			w->lt[i] = jl;
			w->le[i] = je;
			n_lt += jl;
			n_le += je;
		}
		if (k > n_lt && k <= n_le)
			return pivot;
		if (k <= n_lt) {
			for (size_t i = 0; i < nx; i++)
				if (w->lt[i] < w->hi[i])
					w->hi[i] = w->lt[i];
		} else {
			for (size_t i = 0; i < nx; i++)
				if (w->le[i] > w->lo[i])
					w->lo[i] = w->le[i];
		}
	}
}

/* Hodges & Lehmann (1963), "Estimates of location based on rank tests", Ann. Math. Statist.
 * 34(2): the median of the nx ny differences y_j - x_i, exact for any size (selection above,
 * O((nx + ny) log) memory and time instead of nx ny). The two middle differences of an even
 * count are interpolated as bg_stats_median does. NAN when either side is empty or memory is
 * short. */
double bg_stats_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny)
{
	if (nx == 0 || ny == 0 || nx > SIZE_MAX / ny)
		return NAN;
	double *xs = malloc((nx + ny) * sizeof(*xs));
	size_t *idx = malloc(4 * nx * sizeof(*idx));
	if (!xs || !idx) {
		free(xs);
		free(idx);
		return NAN;
	}
	double *ys = xs + nx;
	memcpy(xs, x, nx * sizeof(*xs));
	memcpy(ys, y, ny * sizeof(*ys));
	qsort(xs, nx, sizeof(*xs), bg_stats_cmp_double);
	qsort(ys, ny, sizeof(*ys), bg_stats_cmp_double);
	struct hl_work w = {xs, ys, nx, ny, idx, idx + nx, idx + 2 * nx, idx + 3 * nx};
	uint64_t rng = HL_PIVOT_SEED;
	size_t total = nx * ny, k = (total - 1) / 2 + 1;
	double lo = hl_select(&w, k, &rng), v = lo;
	if (total % 2 == 0) {
		double hi = hl_select(&w, k + 1, &rng);
		v = lo + 0.5 * (hi - lo);
	}
	free(xs);
	free(idx);
	return v;
}

/* --- bootstrap interval of the ratio of medians --------------------------------------- */

/* One side's samples grouped by round: the samples of round r (an index into the sorted
 * distinct round ids) are vals[off[r] .. off[r + 1]). */
struct by_round {
	double *vals;
	size_t *off; /* nrounds + 1 */
};

static size_t round_index(const int *ids, size_t nids, int id)
{
	const int *at = bsearch(&id, ids, nids, sizeof(*ids), cmp_int);
	return (size_t)(at - ids);
}

static void group_by_round(const double *v, const int *round, size_t n, const int *ids, size_t nids,
			   struct by_round *g)
{
	memset(g->off, 0, (nids + 1) * sizeof(*g->off));
	for (size_t i = 0; i < n; i++)
		g->off[round_index(ids, nids, round ? round[i] : 0) + 1]++;
	for (size_t r = 0; r < nids; r++)
		g->off[r + 1] += g->off[r];
	/* fill using off[r] as the cursor of round r, then shift the cursors back */
	for (size_t i = 0; i < n; i++)
		g->vals[g->off[round_index(ids, nids, round ? round[i] : 0)]++] = v[i];
	for (size_t r = nids; r > 0; r--)
		g->off[r] = g->off[r - 1];
	g->off[0] = 0;
}

/* Grows *buf to hold n doubles. */
static int reserve(double **buf, size_t *cap, size_t n)
{
	if (n <= *cap)
		return 0;
	size_t want = n > 2 * *cap ? n : 2 * *cap;
	double *b = realloc(*buf, want * sizeof(*b));
	if (!b)
		return bg_error_oom();
	*buf = b;
	*cap = want;
	return 0;
}

/* Resamples a side's samples independently: n draws with replacement. */
static double resample_quantile(const double *v, size_t n, double q, double *scratch,
				uint64_t *rng)
{
	uint64_t thr = uniform_threshold(n);
	for (size_t i = 0; i < n; i++)
		scratch[i] = v[uniform_index(rng, n, thr)];
	return quantile_inplace(scratch, n, q);
}

/* The percentile interval of Efron & Tibshirani (1993), "An Introduction to the Bootstrap",
 * ch. 13: the alpha/2 and 1 - alpha/2 quantiles of the resampled ratios (taken with
 * bg_stats_quantile, Hyndman & Fan definition 7). Resampling by round is the cluster bootstrap
 * (Davison & Hinkley 1997, "Bootstrap Methods and their Application", 3.8, hierarchical data:
 * resample the top-stage units): a round is the unit that shares the machine's state, so whole
 * rounds are drawn, both sides together, out of the union of the round ids. A round one side
 * lacks adds nothing to that side; a draw that leaves a side empty is drawn again. Round
 * arrays may be NULL, meaning every sample is round 0. NaN samples are BG_EINPUT. */
int bg_stats_ratio_ci(const double *base, const int *base_round, size_t nb, const double *head,
		      const int *head_round, size_t nh, double level, int resamples, uint64_t seed,
		      struct bg_interval *out)
{
	return bg_stats_quantile_ratio_test(base, base_round, nb, head, head_round, nh, 0.5, level,
					    resamples, seed, out, NULL);
}

/* The checks bg_stats_quantile_ratio_test makes before it resamples: q and level inside
 * (0, 1), at least one resample, samples on both sides and none NaN. */
static int ratio_args_check(const double *base, size_t nb, const double *head, size_t nh, double q,
			    double level, int resamples)
{
	if (!(q > 0 && q < 1))
		return bg_error_set(BG_EINPUT, "ratio interval: quantile %g not in (0, 1)", q);
	if (nb == 0 || nh == 0)
		return bg_error_set(BG_EINPUT, "ratio interval: the %s side has no samples",
				    nb == 0 ? "base" : "head");
	if (!(level > 0 && level < 1) || resamples < 1)
		return bg_error_set(BG_EINPUT,
				    "ratio interval: level %g not in (0, 1) or %d resamples", level,
				    resamples);
	for (size_t i = 0; i < nb + nh; i++)
		if (isnan(i < nb ? base[i] : head[i - nb]))
			return bg_error_set(BG_EINPUT, "ratio interval: %s sample %zu is NaN",
					    i < nb ? "base" : "head", i < nb ? i : i - nb);
	return 0;
}

/* One ratio bootstrap: both sides' samples and rounds (a NULL round array: every sample is
 * round 0), the quantile, and the resampled ratios as they are drawn. */
struct ratio_boot {
	const double *base, *head;
	const int *base_round, *head_round;
	size_t nb, nh;
	double q;
	int resamples;
	uint64_t rng;        /* the generator's state, carried from one resample to the next */
	double *ratios;      /* room for resamples */
	size_t valid;        /* ratios drawn so far */
	double *bbuf, *hbuf; /* scratch for one resample of each side */
	size_t bcap, hcap;
};

/* The distinct round ids of both sides, sorted, into ids (room for nb + nh); their count. */
static size_t distinct_rounds(const struct ratio_boot *rb, int *ids)
{
	size_t nb = rb->nb, nh = rb->nh, nids = 0;
	for (size_t i = 0; i < nb; i++)
		ids[i] = rb->base_round ? rb->base_round[i] : 0;
	for (size_t i = 0; i < nh; i++)
		ids[nb + i] = rb->head_round ? rb->head_round[i] : 0;
	qsort(ids, nb + nh, sizeof(*ids), cmp_int);
	for (size_t i = 0; i < nb + nh; i++)
		if (nids == 0 || ids[i] != ids[nids - 1])
			ids[nids++] = ids[i];
	return nids;
}

/* A single round: each side's samples resampled on their own. */
static int resample_sides(struct ratio_boot *rb)
{
	int err;
	if ((err = reserve(&rb->bbuf, &rb->bcap, rb->nb)) ||
	    (err = reserve(&rb->hbuf, &rb->hcap, rb->nh)))
		return err;
	for (int s = 0; s < rb->resamples; s++) {
		double b = resample_quantile(rb->base, rb->nb, rb->q, rb->bbuf, &rb->rng);
		double h = resample_quantile(rb->head, rb->nh, rb->q, rb->hbuf, &rb->rng);
		rb->ratios[rb->valid++] = h / b;
	}
	return 0;
}

/* Draws nids rounds with replacement into drawn until both sides get samples (at most
 * MAX_REDRAWS tries); the samples each side got in *kb, *kh (0: given up). */
static void draw_rounds(struct ratio_boot *rb, const struct by_round *gb, const struct by_round *gh,
			size_t nids, uint64_t thr, size_t *drawn, size_t *kb, size_t *kh)
{
	*kb = *kh = 0;
	for (int tries = 0; tries < MAX_REDRAWS && (*kb == 0 || *kh == 0); tries++) {
		*kb = *kh = 0;
		for (size_t r = 0; r < nids; r++) {
			drawn[r] = uniform_index(&rb->rng, nids, thr);
			*kb += gb->off[drawn[r] + 1] - gb->off[drawn[r]];
			*kh += gh->off[drawn[r] + 1] - gh->off[drawn[r]];
		}
	}
}

/* The samples of the drawn rounds, each side into its buffer (room made by the caller). */
static void gather_rounds(struct ratio_boot *rb, const struct by_round *gb,
			  const struct by_round *gh, const size_t *drawn, size_t nids, size_t *kb,
			  size_t *kh)
{
	*kb = *kh = 0;
	for (size_t r = 0; r < nids; r++) {
		size_t ob = gb->off[drawn[r]], cb = gb->off[drawn[r] + 1] - ob;
		size_t oh = gh->off[drawn[r]], ch = gh->off[drawn[r] + 1] - oh;
		memcpy(rb->bbuf + *kb, gb->vals + ob, cb * sizeof(*rb->bbuf));
		memcpy(rb->hbuf + *kh, gh->vals + oh, ch * sizeof(*rb->hbuf));
		*kb += cb;
		*kh += ch;
	}
}

/* Several rounds: whole rounds drawn, both sides together (the cluster bootstrap). */
static int resample_rounds(struct ratio_boot *rb, const int *ids, size_t nids)
{
	int err = 0;
	struct by_round gb = {0}, gh = {0};
	gb.vals = malloc(rb->nb * sizeof(*gb.vals));
	gh.vals = malloc(rb->nh * sizeof(*gh.vals));
	gb.off = malloc((nids + 1) * sizeof(*gb.off));
	gh.off = malloc((nids + 1) * sizeof(*gh.off));
	size_t *drawn = malloc(nids * sizeof(*drawn));
	if (!gb.vals || !gh.vals || !gb.off || !gh.off || !drawn) {
		err = bg_error_oom();
		goto done;
	}
	group_by_round(rb->base, rb->base_round, rb->nb, ids, nids, &gb);
	group_by_round(rb->head, rb->head_round, rb->nh, ids, nids, &gh);
	uint64_t thr = uniform_threshold(nids);
	for (int s = 0; s < rb->resamples; s++) {
		size_t kb, kh;
		draw_rounds(rb, &gb, &gh, nids, thr, drawn, &kb, &kh);
		if (kb == 0 || kh == 0)
			continue;
		if ((err = reserve(&rb->bbuf, &rb->bcap, kb)) ||
		    (err = reserve(&rb->hbuf, &rb->hcap, kh)))
			goto done;
		gather_rounds(rb, &gb, &gh, drawn, nids, &kb, &kh);
		rb->ratios[rb->valid++] = quantile_inplace(rb->hbuf, kh, rb->q) /
					  quantile_inplace(rb->bbuf, kb, rb->q);
	}
done:
	free(gb.vals);
	free(gh.vals);
	free(gb.off);
	free(gh.off);
	free(drawn);
	return err;
}

/* Monte Carlo p-value of the percentile test (Davison & Hinkley 1997, 4.2.1 and eq. 4.11;
 * Efron & Tibshirani 1993, 16.4): how far the resampled ratios sit on one side of 1, doubled
 * for two sides; (k + 1) / (B + 1) so it is never 0, capped at 1. */
static double ratio_test_p(const double *ratios, size_t valid)
{
	size_t below = 0, above = 0;
	for (size_t i = 0; i < valid; i++) {
		below += ratios[i] <= 1;
		above += ratios[i] >= 1;
	}
	size_t k = below < above ? below : above;
	double p = 2.0 * (double)(k + 1) / (double)(valid + 1);
	return p > 1 ? 1 : p;
}

int bg_stats_quantile_ratio_test(const double *base, const int *base_round, size_t nb,
				 const double *head, const int *head_round, size_t nh, double q,
				 double level, int resamples, uint64_t seed,
				 struct bg_interval *out, double *p)
{
	int err = ratio_args_check(base, nb, head, nh, q, level, resamples);
	if (err)
		return err;
	double mb = bg_stats_quantile(base, nb, q), mh = bg_stats_quantile(head, nh, q);
	if (mb == 0 || !isfinite(mh / mb)) /* NAN too: bg_stats_quantile's allocation failed */
		return bg_error_set(BG_EINPUT, "ratio interval: no finite ratio %g / %g", mh, mb);
	out->estimate = mh / mb;

	struct ratio_boot rb = {.base = base,
				.head = head,
				.base_round = base_round,
				.head_round = head_round,
				.nb = nb,
				.nh = nh,
				.q = q,
				.resamples = resamples,
				.rng = seed};
	int *ids = malloc((nb + nh) * sizeof(*ids));
	rb.ratios = malloc((size_t)resamples * sizeof(*rb.ratios));
	if (!ids || !rb.ratios) {
		err = bg_error_oom();
		goto done;
	}
	size_t nids = distinct_rounds(&rb, ids);
	if ((err = nids < 2 ? resample_sides(&rb) : resample_rounds(&rb, ids, nids)) < 0)
		goto done;
	if (rb.valid == 0) { /* unreachable in practice, see MAX_REDRAWS */
		out->lo = out->hi = out->estimate;
		if (p)
			*p = 1;
		goto done;
	}
	if (p)
		*p = ratio_test_p(rb.ratios, rb.valid);
	double alpha = 1 - level;
	out->lo = bg_stats_quantile(rb.ratios, rb.valid, alpha / 2);
	out->hi = bg_stats_quantile(rb.ratios, rb.valid, 1 - alpha / 2);
	if (isnan(out->lo) || isnan(out->hi))
		err = bg_error_oom(); /* bg_stats_quantile is NAN only when it has no memory */
done:
	free(ids);
	free(rb.ratios);
	free(rb.bbuf);
	free(rb.hbuf);
	return err;
}

/* --- multiple comparisons ------------------------------------------------------------- */

struct pv {
	double p;
	size_t i;
};

static int cmp_pv(const void *a, const void *b)
{
	const struct pv *x = a, *y = b;
	int c = cmp_total(x->p, y->p);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Sorts the non-NaN p-values ascending into *out (stack or heap); NaNs get NaN in adj right
 * away (R's p.adjust leaves NAs out of the count too). Returns how many, or SIZE_MAX when out
 * of memory. */
static size_t sort_pvalues(const double *p, size_t n, double *adj, struct pv *stack,
			   struct pv **out)
{
	struct pv *v = n <= PADJ_STACK ? stack : malloc(n * sizeof(*v));
	if (!v)
		return SIZE_MAX;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(p[i]))
			v[m++] = (struct pv){p[i], i};
	for (size_t i = 0; i < n; i++)
		if (isnan(p[i]))
			adj[i] = NAN;
	qsort(v, m, sizeof(*v), cmp_pv);
	*out = v;
	return m;
}

/* Bonferroni, min(1, n p): larger than both Holm's and BH's adjustment, the answer when
 * there is no memory to sort (more than PADJ_STACK p-values only). */
static void bonferroni(const double *p, size_t n, double *adj)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += !isnan(p[i]);
	for (size_t i = 0; i < n; i++)
		adj[i] = isnan(p[i]) ? NAN : fmin(1, (double)m * p[i]);
}

/* Sorts the p-values (sort_pvalues), hands them to pass, and frees them; Bonferroni
 * when there is no memory to sort. */
static void p_adjust(const double *p, size_t n, double *adj,
		     void (*pass)(const struct pv *v, size_t m, double *adj))
{
	struct pv stack[PADJ_STACK], *v;
	size_t m = sort_pvalues(p, n, adj, stack, &v);
	if (m == SIZE_MAX) {
		bonferroni(p, n, adj);
		return;
	}
	pass(v, m, adj);
	if (v != stack)
		free(v);
}

/* Holm (1979), "A simple sequentially rejective multiple test procedure", Scand. J. Statist.
 * 6(2): the i-th smallest p (1-based) is multiplied by n - i + 1 and the running maximum
 * taken so the order is kept, capped at 1 (R's p.adjust(method = "holm")). */
static void holm_pass(const struct pv *v, size_t m, double *adj)
{
	double run = 0;
	for (size_t r = 0; r < m; r++) {
		double a = (double)(m - r) * v[r].p;
		run = a > run ? a : run;
		adj[v[r].i] = fmin(1, run);
	}
}

void bg_stats_holm(const double *p, size_t n, double *adj)
{
	p_adjust(p, n, adj, holm_pass);
}

/* Benjamini & Hochberg (1995), "Controlling the false discovery rate", J. R. Statist. Soc. B
 * 57(1): the i-th smallest p (1-based) becomes n / i * p, then the running minimum from the
 * largest down, capped at 1 (R's p.adjust(method = "BH")). */
static void bh_pass(const struct pv *v, size_t m, double *adj)
{
	double run = INFINITY;
	for (size_t r = m; r-- > 0;) {
		double a = (double)m / (double)(r + 1) * v[r].p;
		run = a < run ? a : run;
		adj[v[r].i] = fmin(1, run);
	}
}

void bg_stats_bh(const double *p, size_t n, double *adj)
{
	p_adjust(p, n, adj, bh_pass);
}

/* --- paired by round ------------------------------------------------------------------ */

/* Counts of rank-sum values over all sign patterns of ranks 1..n: c[v] = number of subsets
 * of {1..n} summing to v (the null distribution of V, Wilcoxon 1945). */
static double *signed_rank_counts(size_t n)
{
	size_t max = n * (n + 1) / 2;
	double *c = calloc(max + 1, sizeof(double));
	if (!c)
		return NULL;
	c[0] = 1;
	for (size_t k = 1; k <= n; k++)
		for (size_t v = max; v >= k; v--)
			c[v] += c[v - k];
	return c;
}

struct absrank {
	double a;
	int pos;
};

static int cmp_absrank(const void *x, const void *y)
{
	double a = ((const struct absrank *)x)->a, b = ((const struct absrank *)y)->a;
	return (a > b) - (a < b);
}

int bg_stats_signed_rank(const double *d, size_t n, double *w, double *p)
{
	*w = 0;
	*p = 1;
	struct absrank *v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return bg_error_oom();
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (d[i] != 0 && !isnan(d[i])) {
			v[m].a = fabs(d[i]);
			v[m++].pos = d[i] > 0;
		}
	if (m == 0) {
		free(v);
		return 0;
	}
	qsort(v, m, sizeof(*v), cmp_absrank);
	double ties = 0, vplus = 0;
	int tied = 0;
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j + 1 < m && v[j + 1].a == v[i].a)
			j++;
		double t = (double)(j - i + 1), rank = (double)(i + j + 2) / 2;
		if (t > 1) {
			tied = 1;
			ties += t * t * t - t;
		}
		for (size_t k = i; k <= j; k++)
			if (v[k].pos)
				vplus += rank;
		i = j + 1;
	}
	free(v);
	*w = vplus;
	double mean = (double)m * (double)(m + 1) / 4;
	if (!tied && m <= 30) {
		double *c = signed_rank_counts(m);
		if (!c)
			return bg_error_oom();
		size_t max = m * (m + 1) / 2,
		       lo = (size_t)llround(vplus < mean ? vplus : 2 * mean - vplus);
		double total = ldexp(1.0, (int)m), tail = 0;
		for (size_t k = 0; k <= lo && k <= max; k++)
			tail += c[k];
		free(c);
		*p = fmin(1, 2 * tail / total);
		return 0;
	}
	double var = (double)m * (double)(m + 1) * (double)(2 * m + 1) / 24 - ties / 48;
	if (var <= 0)
		return 0;
	double diff = vplus - mean;
	double z = (diff - (diff > 0 ? 0.5 : diff < 0 ? -0.5 : 0)) / sqrt(var);
	*p = fmin(1, 2 * bg_stats_normal_sf(fabs(z)));
	return 0;
}

int bg_stats_paired_ratio_ci(const double *base, const int *base_round, size_t nb,
			     const double *head, const int *head_round, size_t nh, double level,
			     int resamples, uint64_t seed, struct bg_interval *out, double *ratios,
			     size_t *n_ratios)
{
	if (!base_round || !head_round || !nb || !nh || !(level > 0 && level < 1) || resamples < 1)
		return bg_error_set(BG_EINPUT, "paired ratio: needs rounds on both sides");
	size_t cap = nb < nh ? nb : nh;
	double *r = malloc(cap * sizeof(double)),
	       *tmp = malloc((nb > nh ? nb : nh) * sizeof(double));
	double *boot = malloc((size_t)resamples * sizeof(double)),
	       *draw = malloc(cap * sizeof(double));
	int rc = 0;
	if (!r || !tmp || !boot || !draw) {
		rc = bg_error_oom();
		goto done;
	}
	size_t m = 0;
	/* each base round id once, in order of first appearance */
	for (size_t i = 0; i < nb && m < cap; i++) {
		int id = base_round[i], seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = base_round[k] == id;
		if (seen)
			continue;
		size_t kb = 0, kh = 0;
		for (size_t k = 0; k < nb; k++)
			if (base_round[k] == id)
				tmp[kb++] = base[k];
		double mb = bg_stats_median(tmp, kb);
		for (size_t k = 0; k < nh; k++)
			if (head_round[k] == id)
				tmp[kh++] = head[k];
		if (!kh || !(mb > 0))
			continue;
		r[m++] = bg_stats_median(tmp, kh) / mb;
	}
	if (m < 2) {
		rc = bg_error_set(BG_EINPUT, "paired ratio: fewer than 2 rounds on both sides");
		goto done;
	}
	out->estimate = bg_stats_median(r, m);
	uint64_t state = seed;
	for (int b = 0; b < resamples; b++) {
		for (size_t k = 0; k < m; k++)
			draw[k] = r[bg_stats_rand(&state) % m];
		boot[b] = bg_stats_median(draw, m);
	}
	out->lo = bg_stats_quantile(boot, (size_t)resamples, (1 - level) / 2);
	out->hi = bg_stats_quantile(boot, (size_t)resamples, 1 - (1 - level) / 2);
	if (ratios) {
		memcpy(ratios, r, m * sizeof(double));
		*n_ratios = m;
	}
done:
	free(r);
	free(tmp);
	free(boot);
	free(draw);
	return rc;
}

size_t bg_stats_round_medians(const double *x, const int *round, size_t n, double *out)
{
	if (!round) {
		memcpy(out, x, n * sizeof(double));
		return n;
	}
	size_t m = 0;
	double *tmp = malloc(n * sizeof(double));
	char *done = calloc(n, 1);
	if (!tmp || !done) {
		/* out of memory: fall back to the samples themselves */
		free(tmp);
		free(done);
		memcpy(out, x, n * sizeof(double));
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		size_t k = 0;
		for (size_t j = i; j < n; j++)
			if (!done[j] && round[j] == round[i]) {
				tmp[k++] = x[j];
				done[j] = 1;
			}
		out[m++] = bg_stats_median(tmp, k);
	}
	free(tmp);
	free(done);
	return m;
}
