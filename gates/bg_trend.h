/* The nightly's reading of one series along the main line: which change points are
 * regressions (slower by more than a threshold, the interval agreeing), which are
 * improvements, which regression a later improvement undid (fixed), and which the team
 * acknowledged as intended in bitgate.json. Pure: no I/O; the caller supplies per-commit
 * medians and the acknowledgements. Lower is better (times: ns per iteration). */
#ifndef BG_TREND_H
#define BG_TREND_H

#include <stddef.h>
#include <stdint.h>

#include "bg_changepoint.h"

/* An acknowledged regression, as bitgate.json's acknowledge list names it. */
struct bg_trend_ack {
	const char *series; /* glob (fnmatch, as the gates' patterns) on the series name:
			       "benchmark" or "benchmark [mode]" as bg_trend_series_name
			       writes it */
	const char *commit; /* prefix (at least 7 hex digits) of the first bad commit */
	const char *reason; /* why it is intended */
};

enum bg_trend_kind {
	BG_TREND_NEUTRAL = 0,     /* a change of spread, or a shift below the threshold */
	BG_TREND_REGRESSION = 1,  /* worse: rel >= threshold and the interval above 1 when lower
				     is better (a time: slower), rel <= -threshold and the
				     interval below 1 when higher is better (a throughput) */
	BG_TREND_IMPROVEMENT = -1 /* better: the same the other way */
};

/* Which way a metric is better. */
enum bg_trend_direction {
	BG_TREND_LOWER_IS_BETTER = 1,   /* a time: ns, ms, cycles (and any unit not a rate) */
	BG_TREND_HIGHER_IS_BETTER = -1, /* a rate: GB/s, tokens/s, items per second */
};

/* The direction of a metric (a series' unit as stored, e.g. "ns", "GB/s"): higher is better
 * for a rate ("/s", "per second"), lower for anything else. */
int bg_trend_direction(const char *metric);

/* "lower is better" or "higher is better". */
const char *bg_trend_direction_text(int direction);

/* A change point with what it means. */
struct bg_trend_change {
	struct bg_changepoint cp; /* where (cp.index: first point after), size, interval */
	int kind;                 /* enum bg_trend_kind */
	const char *state;        /* regressions: "detected", "acknowledged" or "fixed";
				     otherwise NULL. Static strings. */
	const char *reason;       /* acknowledged: the ack's reason (borrowed); else NULL */
	size_t fixed_index;       /* fixed: the point where the undoing improvement starts;
				     otherwise (size_t)-1 */
};

/* "benchmark" for mode "default" and no params, else "benchmark [params] [mode]" (params and
 * mode left out when empty or default): the name acks match and reports show. Writes at
 * most cap bytes; returns out. */
char *bg_trend_series_name(char *out, size_t cap, const char *benchmark, const char *params,
			   const char *mode);

/* Change points of medians[0..n) (bg_changepoints with o, NULL for defaults), classified
 * with threshold (e.g. 0.03 for 3%); shas[i] names point i's commit, for the acks. A
 * regression is "fixed" when a later improvement brings the median back to within threshold
 * of the level before the regression; otherwise "acknowledged" when an ack matches the
 * series name and the regression's first bad commit; otherwise "detected". *out (caller
 * frees) gets every change point in index order. Returns 0, BG_EINPUT or BG_ENOMEM. */
int bg_trend_analyse(const double *medians, const char *const *shas, size_t n,
		     const char *series_name, const struct bg_trend_ack *acks, size_t n_acks,
		     double threshold, const struct bg_cp_opts *o, struct bg_trend_change **out,
		     size_t *count);

/* bg_trend_analyse for a metric of the given enum bg_trend_direction: with
 * BG_TREND_HIGHER_IS_BETTER a drop is the regression, a rise the improvement, and "fixed"
 * means back up to within threshold of the level before. bg_trend_analyse is this with
 * BG_TREND_LOWER_IS_BETTER. */
int bg_trend_analyse_dir(const double *medians, const char *const *shas, size_t n,
			 const char *series_name, int direction, const struct bg_trend_ack *acks,
			 size_t n_acks, double threshold, const struct bg_cp_opts *o,
			 struct bg_trend_change **out, size_t *count);

#endif
