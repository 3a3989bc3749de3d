/* E-Divisive means change points (see bg_changepoint.h). One scan of a segment finds the
 * best split in O(L log L) from a Fenwick tree over the values' ranks, so the permutation
 * test (a few hundred scans of shuffled copies) stays in milliseconds for a thousand
 * commits. Pure: no I/O, no state outside the arguments. */
#include "bg_changepoint.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"
#include "bg_stats.h"

/* Upper bounds on the options, far beyond any use, so sizes stay well inside int and
 * size_t arithmetic. */
#define MAX_PERMUTATIONS 1000000
#define MAX_RESAMPLES 1000000

/* Mixed into the seed so the permutation streams and the bootstrap streams of one seed
 * never coincide (any two distinct constants do; these are hexadecimal digits of pi). */
#define PERM_STREAM 0x243f6a8885a308d3u
#define BOOT_STREAM 0x13198a2e03707344u

void bg_cp_opts_default(struct bg_cp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->min_size = 3;
	o->permutations = 199;
	o->p_max = 0.01;
	o->level = 0.95;
	o->resamples = 1000;
	o->seed = 0;
}

/* --- random numbers ------------------------------------------------------------------ */

/* A stream of its own for (seed, a, b): splitmix64 steps between the words mix them. */
static uint64_t stream_seed(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
	uint64_t st = seed ^ stream;
	st = bg_stats_rand(&st) ^ a;
	st = bg_stats_rand(&st) ^ b;
	return bg_stats_rand(&st);
}

/* splitmix64 words handed out 32 bits at a time: a shuffle of L points takes L - 1 draws,
 * and halving the generator calls saved about a tenth of the permutation test's time. */
struct rng32 {
	uint64_t state, word;
	int halves; /* unused 32-bit halves left in word */
};

static uint32_t next32(struct rng32 *g)
{
	if (g->halves == 0) {
		g->word = bg_stats_rand(&g->state);
		g->halves = 2;
	}
	return (uint32_t)(g->word >> (32 * --g->halves));
}

/* Uniform in [0, n), 1 <= n <= 2^32, without modulo bias: Lemire (2019), "Fast random
 * integer generation in an interval", ACM TOMACS 29(1) (one multiply, a division only on
 * the rare rejection path). */
static uint32_t uniform_below(struct rng32 *g, uint64_t n)
{
	uint64_t m = (uint64_t)next32(g) * n;
	if ((uint32_t)m < n) {
		uint32_t t = (uint32_t)((((uint64_t)1 << 32) - n) % n);
		while ((uint32_t)m < t)
			m = (uint64_t)next32(g) * n;
	}
	return (uint32_t)(m >> 32);
}

/* --- the energy statistic -------------------------------------------------------------- */

/* A point of the segment being scanned: its value, centred on the segment's median so the
 * sums below cancel less, and its rank among the segment's values (ties broken by position,
 * so ranks are 0..L-1 exactly once; tied values are 0 apart whichever side they fall). */
struct point {
	double v;
	size_t rank;
};

/* A node of the Fenwick tree over ranks: how many values inserted below it, and their sum
 * (together, so one cache line serves both). */
struct fenwick_node {
	double count, sum;
};

/* The weights of the within-side sums in Q at one split (see scan_max). */
struct split_weights {
	double left, right;
};

/* Scratch for one segment, sized for the whole series and reused by every segment. */
struct scan_work {
	struct point *pts;         /* the segment in scan order (shuffled by the test) */
	struct point *sort;        /* (value, position) pairs while ranking */
	double *dall;              /* by rank: sum of distances to all of the segment */
	struct fenwick_node *tree; /* 1-based, [1..L] */
	struct split_weights *wts; /* by tau */
};

static int cmp_point(const void *a, const void *b)
{
	const struct point *p = a, *q = b;
	if (p->v != q->v)
		return (p->v > q->v) - (p->v < q->v);
	return (p->rank > q->rank) - (p->rank < q->rank);
}

/* The maximum over tau in [min, L - min] of Matteson & James' (2014) statistic with
 * alpha = 1, X = p[0..tau), Y = p[tau..L), m = tau, k = L - tau:
 *   Q(tau) = m k / L * (2/(m k) C - 2/(m (m - 1)) A - 2/(k (k - 1)) B)
 *          = 2/L * (C - k/(m - 1) A - m/(k - 1) B)
 * with A = sum of |p_i - p_j| over pairs within X, B within Y, C across. Returned is
 * L/2 * Q: a segment's scans are only compared with each other, and the weights k/(m - 1)
 * and m/(k - 1) come precomputed (w->wts), so the loop divides nothing. Walking tau up,
 * d_t = sum over i < t of |p_i - p_t| comes from the Fenwick tree (count c and sum s of the
 * earlier values ranked below p_t): d_t = v (2 c - t) + S - 2 s, S the sum of all earlier
 * values. Then A = sum of d_t for t < tau, and with P = sum of dall[rank] over t < tau
 * (= 2 A + C) and T the total over all pairs (fixed under permutation): C = P - 2 A and
 * B = T - A - C. O(L log L). *arg receives the first tau reaching the maximum. */
static double scan_max(struct scan_work *w, size_t L, size_t min, double total, size_t *arg)
{
	const struct point *p = w->pts;
	const double *dall = w->dall;
	const struct split_weights *wts = w->wts;
	struct fenwick_node *tree = w->tree;
	memset(tree, 0, (L + 1) * sizeof(*tree));
	double a = 0, pall = 0, s_all = 0, best = -INFINITY;
	size_t best_tau = min;
	for (size_t t = 0; t + min < L; t++) {
		double v = p[t].v, c = 0, s = 0;
		size_t r = p[t].rank;
		for (size_t i = r; i > 0; i &= i - 1) {
			c += tree[i].count;
			s += tree[i].sum;
		}
		a += v * (2 * c - (double)t) + s_all - 2 * s;
		pall += dall[r];
		s_all += v;
		for (size_t i = r + 1; i <= L; i += i & (~i + 1)) {
			tree[i].count += 1;
			tree[i].sum += v;
		}
		size_t tau = t + 1;
		if (tau < min)
			continue;
		double cross = pall - 2 * a, b = total - a - cross;
		double q = cross - wts[tau].left * a - wts[tau].right * b;
		if (q > best) {
			best = q;
			best_tau = tau;
		}
	}
	*arg = best_tau;
	return best;
}

/* Finds the best split of x[s..e) and tests it: the segment shuffled `permutations` times
 * (Fisher-Yates, a stream of its own for this segment), p = (k + 1) / (P + 1) with k the
 * shuffles whose maximum reaches the observed one (Matteson & James 2014, section 3.2).
 * Stops as soon as k makes p >= p_max: the decision is the same, and only the p-values of
 * kept splits are reported. Returns 1 and fills *tau (relative to s) and *p when the split
 * is kept, else 0. */
static int test_segment(struct scan_work *w, const double *x, size_t s, size_t e,
			const struct bg_cp_opts *o, size_t *tau, double *p)
{
	size_t L = e - s, min = (size_t)o->min_size;
	for (size_t i = 0; i < L; i++)
		w->sort[i] = (struct point){x[s + i], i};
	qsort(w->sort, L, sizeof(*w->sort), cmp_point);
	double centre = w->sort[L / 2].v, below = 0, sum = 0;
	for (size_t k = 0; k < L; k++)
		sum += w->sort[k].v - centre;
	/* dall[k] = sum over j of |v_k - v_j| over the sorted values: the values below add
	 * v_k - v_j, those above v_j - v_k. */
	double total2 = 0;
	for (size_t k = 0; k < L; k++) {
		double v = w->sort[k].v - centre;
		double above = sum - below - v;
		w->dall[k] = v * (double)k - below + above - v * (double)(L - 1 - k);
		total2 += w->dall[k];
		below += v;
		w->pts[w->sort[k].rank] = (struct point){v, k};
	}
	double total = total2 / 2;
	for (size_t t = min; t + min <= L; t++) {
		double m = (double)t, k = (double)(L - t);
		w->wts[t] = (struct split_weights){k / (m - 1), m / (k - 1)};
	}

	size_t arg;
	double observed = scan_max(w, L, min, total, &arg);
	struct rng32 rng = {stream_seed(o->seed, PERM_STREAM, s, e), 0, 0};
	double denom = (double)o->permutations + 1;
	size_t reached = 0;
	for (int j = 0; j < o->permutations; j++) {
		for (size_t i = L - 1; i > 0; i--) {
			size_t r = uniform_below(&rng, (uint64_t)i + 1);
			struct point t = w->pts[i];
			w->pts[i] = w->pts[r];
			w->pts[r] = t;
		}
		size_t ignored;
		if (scan_max(w, L, min, total, &ignored) >= observed &&
		    (double)(++reached + 1) / denom >= o->p_max)
			return 0;
	}
	*tau = arg;
	*p = (double)(reached + 1) / denom;
	return *p < o->p_max;
}

/* --- the search ----------------------------------------------------------------------- */

struct segment {
	size_t start, end;
};

static int cmp_cp(const void *a, const void *b)
{
	size_t i = ((const struct bg_changepoint *)a)->index;
	size_t j = ((const struct bg_changepoint *)b)->index;
	return (i > j) - (i < j);
}

static int check_opts(const struct bg_cp_opts *o)
{
	if (o->min_size < 2)
		return bg_error_set(BG_EINPUT,
				    "change points: min_size %d is below 2 (a side needs a pair)",
				    o->min_size);
	if (o->permutations < 1 || o->permutations > MAX_PERMUTATIONS)
		return bg_error_set(BG_EINPUT, "change points: permutations %d not in 1..%d",
				    o->permutations, MAX_PERMUTATIONS);
	if (!(o->p_max > 0 && o->p_max <= 1))
		return bg_error_set(BG_EINPUT, "change points: p_max %g not in (0, 1]", o->p_max);
	if (1.0 / ((double)o->permutations + 1) >= o->p_max)
		return bg_error_set(BG_EINPUT,
				    "change points: with %d permutations no p-value is below p_max "
				    "%g (the smallest is 1 / %d); raise permutations",
				    o->permutations, o->p_max, o->permutations + 1);
	if (!(o->level > 0 && o->level < 1) || o->resamples < 1 || o->resamples > MAX_RESAMPLES)
		return bg_error_set(BG_EINPUT,
				    "change points: level %g not in (0, 1) or resamples %d not in "
				    "1..%d",
				    o->level, o->resamples, MAX_RESAMPLES);
	return 0;
}

/* Whether every value of x[from..to) is finite and above 0: a ratio of medians, and a
 * bootstrap of one, means something only for positive measurements (times, rates). */
static int positive_finite(const double *x, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!(x[i] > 0 && x[i] < INFINITY))
			return 0;
	return 1;
}

/* before, after, rel and ci of cp from its neighbouring segment x[start..end). */
static int size_change(const double *x, size_t start, size_t end, const struct bg_cp_opts *o,
		       struct bg_changepoint *cp)
{
	size_t i = cp->index;
	cp->before = bg_stats_median(x + start, i - start);
	cp->after = bg_stats_median(x + i, end - i);
	if (isnan(cp->before) || isnan(cp->after)) /* finite inputs: only when out of memory */
		return bg_error_oom();
	cp->rel = cp->before != 0 ? cp->after / cp->before - 1 : NAN;
	if (!isfinite(cp->rel))
		cp->rel = NAN;
	if (!positive_finite(x, start, end)) {
		cp->ci = (struct bg_interval){NAN, NAN, NAN};
		return 0;
	}
	uint64_t seed = stream_seed(o->seed, BOOT_STREAM, i, 0);
	return bg_cp_magnitude(x, start, i, end, o->level, o->resamples, seed, &cp->ci);
}

int bg_changepoints(const double *x, size_t n, const struct bg_cp_opts *o,
		    struct bg_changepoint **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	struct bg_cp_opts defaults;
	if (!o) {
		bg_cp_opts_default(&defaults);
		o = &defaults;
	}
	int err = check_opts(o);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return bg_error_set(
				BG_EINPUT,
				"change points: value %zu of %zu is %g; the series must "
				"be finite",
				i, n, x[i]);
	if ((uint64_t)n > UINT32_MAX) /* the shuffles draw 32-bit indices */
		return bg_error_set(BG_EINPUT, "change points: %zu values, more than 2^32 - 1", n);
	size_t min = (size_t)o->min_size;
	if (n < 2 * min)
		return 0;

	/* A kept split adds one change point and turns one pending segment into two, so
	 * neither list outgrows the number of segments of at least min points. */
	size_t cap = n / min + 1;
	struct scan_work w = {0};
	w.pts = malloc(n * sizeof(*w.pts));
	w.sort = malloc(n * sizeof(*w.sort));
	w.dall = malloc(n * sizeof(*w.dall));
	w.tree = malloc((n + 1) * sizeof(*w.tree));
	w.wts = malloc((n + 1) * sizeof(*w.wts));
	struct segment *stack = malloc(cap * sizeof(*stack));
	struct bg_changepoint *cps = malloc(cap * sizeof(*cps));
	size_t depth = 0, found = 0;
	if (!w.pts || !w.sort || !w.dall || !w.tree || !w.wts || !stack || !cps) {
		err = bg_error_oom();
		goto done;
	}
	stack[depth++] = (struct segment){0, n};
	while (depth > 0) {
		struct segment seg = stack[--depth];
		size_t tau;
		double p;
		if (seg.end - seg.start < 2 * min ||
		    !test_segment(&w, x, seg.start, seg.end, o, &tau, &p))
			continue;
		size_t at = seg.start + tau;
		cps[found++] = (struct bg_changepoint){.index = at, .p = p};
		stack[depth++] = (struct segment){seg.start, at};
		stack[depth++] = (struct segment){at, seg.end};
	}
	qsort(cps, found, sizeof(*cps), cmp_cp);
	for (size_t i = 0; i < found; i++) {
		size_t start = i ? cps[i - 1].index : 0, end = i + 1 < found ? cps[i + 1].index : n;
		if ((err = size_change(x, start, end, o, &cps[i])))
			goto done;
	}
	if (found) {
		*out = cps;
		*count = found;
		cps = NULL;
	}
done:
	free(w.pts);
	free(w.sort);
	free(w.dall);
	free(w.tree);
	free(w.wts);
	free(stack);
	free(cps);
	return err;
}

/* --- magnitude ------------------------------------------------------------------------- */

/* The median (Hyndman & Fan definition 7, as bg_stats_median) of a bootstrap resample of
 * sorted[0..n): n draws with replacement, counted per position, then the order statistics
 * the median needs read off the running count. The same value a sort of the resample would
 * give, in O(n) steps that never compare two doubles, where selecting in the resample costs
 * several times as much on random data. counts has room for n. */
static double resampled_median(const double *sorted, size_t n, uint32_t *counts, struct rng32 *rng)
{
	memset(counts, 0, n * sizeof(*counts));
	for (size_t i = 0; i < n; i++)
		counts[uniform_below(rng, n)]++;
	/* h = (n - 1) / 2: order statistic lo, and for even n the mean with lo + 1 */
	size_t lo = (n - 1) / 2, j = 0, seen = counts[0];
	while (seen <= lo)
		seen += counts[++j];
	double v = sorted[j];
	if ((n - 1) % 2 == 0)
		return v;
	while (seen <= lo + 1)
		seen += counts[++j];
	return v + 0.5 * (sorted[j] - v);
}

/* A percentile bootstrap (Efron & Tibshirani 1993, ch. 13) of median(after) /
 * median(before), each side resampled on its own: the distribution bg_stats_ratio_ci
 * draws from without rounds, at a fraction of its cost (resampled_median). */
static int ratio_bootstrap(const double *before, size_t nb, const double *after, size_t na,
			   double level, int resamples, uint64_t seed, struct bg_interval *out)
{
	int err = 0;
	size_t most = nb > na ? nb : na;
	double *sb = malloc(nb * sizeof(*sb)), *sa = malloc(na * sizeof(*sa));
	double *ratios = malloc((size_t)resamples * sizeof(*ratios));
	uint32_t *counts = malloc(most * sizeof(*counts));
	if (!sb || !sa || !ratios || !counts) {
		err = bg_error_oom();
		goto done;
	}
	memcpy(sb, before, nb * sizeof(*sb));
	memcpy(sa, after, na * sizeof(*sa));
	qsort(sb, nb, sizeof(*sb), bg_stats_cmp_double);
	qsort(sa, na, sizeof(*sa), bg_stats_cmp_double);
	out->estimate = bg_stats_median(after, na) / bg_stats_median(before, nb);
	struct rng32 rng = {seed, 0, 0};
	for (int r = 0; r < resamples; r++) {
		double mb = resampled_median(sb, nb, counts, &rng);
		ratios[r] = resampled_median(sa, na, counts, &rng) / mb;
	}
	double alpha = 1 - level;
	out->lo = bg_stats_quantile(ratios, (size_t)resamples, alpha / 2);
	out->hi = bg_stats_quantile(ratios, (size_t)resamples, 1 - alpha / 2);
	if (isnan(out->estimate) || isnan(out->lo) || isnan(out->hi))
		err = bg_error_oom(); /* positive finite data: NAN only when out of memory */
done:
	free(sb);
	free(sa);
	free(ratios);
	free(counts);
	return err;
}

int bg_cp_magnitude(const double *x, size_t start, size_t index, size_t end, double level,
		    int resamples, uint64_t seed, struct bg_interval *out)
{
	if (!(start < index && index < end))
		return bg_error_set(BG_EINPUT,
				    "change magnitude: index %zu not inside [%zu, %zu) with a "
				    "point either side",
				    index, start, end);
	if (!(level > 0 && level < 1) || resamples < 1 || resamples > MAX_RESAMPLES)
		return bg_error_set(
			BG_EINPUT,
			"change magnitude: level %g not in (0, 1) or resamples %d not in "
			"1..%d",
			level, resamples, MAX_RESAMPLES);
	if ((uint64_t)(end - start) > UINT32_MAX)
		return bg_error_set(BG_EINPUT, "change magnitude: %zu values, more than 2^32 - 1",
				    end - start);
	if (!positive_finite(x, start, end))
		return bg_error_set(BG_EINPUT,
				    "change magnitude at %zu: a value in [%zu, %zu) is not a "
				    "positive finite number; ratios need positive measurements",
				    index, start, end);
	return ratio_bootstrap(x + start, index - start, x + index, end - index, level, resamples,
			       seed, out);
}

int bg_cp_level_shift(const struct bg_changepoint *cp)
{
	return cp->ci.lo > 1 || cp->ci.hi < 1;
}
