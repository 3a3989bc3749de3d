/* Classifies a series' change points for the nightly (bg_trend.h). */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"
#include "bg_trend.h"

char *bg_trend_series_name(char *out, size_t cap, const char *benchmark, const char *params,
			   const char *mode)
{
	int with_params = params && *params;
	int with_mode = mode && *mode && strcmp(mode, "default");
	snprintf(out, cap, "%s%s%s%s%s%s%s", benchmark, with_params ? " [" : "",
		 with_params ? params : "", with_params ? "]" : "", with_mode ? " [" : "",
		 with_mode ? mode : "", with_mode ? "]" : "");
	return out;
}

static const struct bg_trend_ack *find_ack(const struct bg_trend_ack *acks, size_t n,
					   const char *name, const char *sha)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = acks[i].commit ? strlen(acks[i].commit) : 0;
		if (len >= 7 && sha && !strncmp(sha, acks[i].commit, len) && acks[i].series &&
		    fnmatch(acks[i].series, name, 0) == 0)
			return &acks[i];
	}
	return NULL;
}

int bg_trend_direction(const char *metric)
{
	/* a rate ("GB/s", "tokens/s", "items per second") is better higher; a time ("ns",
	 * "ms", "cycles") and anything unknown lower, as the gates have always assumed */
	if (metric &&
	    (strstr(metric, "/s") || strstr(metric, "per second") || strstr(metric, "per s")))
		return BG_TREND_HIGHER_IS_BETTER;
	return BG_TREND_LOWER_IS_BETTER;
}

const char *bg_trend_direction_text(int direction)
{
	return direction == BG_TREND_HIGHER_IS_BETTER ? "higher is better" : "lower is better";
}

/* A change point's kind: a regression when the level moved the worse way (up when lower is
 * better, dir 1; down when higher is better, dir -1) by the threshold with its interval
 * wholly on that side of 1; an improvement the other way likewise. */
static int classify(const struct bg_changepoint *cp, double threshold, int dir)
{
	if (!bg_cp_level_shift(cp) || isnan(cp->rel))
		return BG_TREND_NEUTRAL;
	double worse = dir * cp->rel;
	int ci_up = cp->ci.lo > 1.0, ci_down = cp->ci.hi < 1.0;
	if (worse >= threshold && (dir > 0 ? ci_up : ci_down))
		return BG_TREND_REGRESSION;
	if (worse <= -threshold && (dir > 0 ? ci_down : ci_up))
		return BG_TREND_IMPROVEMENT;
	return BG_TREND_NEUTRAL;
}

int bg_trend_analyse(const double *medians, const char *const *shas, size_t n,
		     const char *series_name, const struct bg_trend_ack *acks, size_t n_acks,
		     double threshold, const struct bg_cp_opts *o, struct bg_trend_change **out,
		     size_t *count)
{
	return bg_trend_analyse_dir(medians, shas, n, series_name, BG_TREND_LOWER_IS_BETTER, acks,
				    n_acks, threshold, o, out, count);
}

int bg_trend_analyse_dir(const double *medians, const char *const *shas, size_t n,
			 const char *series_name, int direction, const struct bg_trend_ack *acks,
			 size_t n_acks, double threshold, const struct bg_cp_opts *o,
			 struct bg_trend_change **out, size_t *count)
{
	int dir = direction == BG_TREND_HIGHER_IS_BETTER ? -1 : 1;
	*out = NULL;
	*count = 0;
	if (!(threshold >= 0 && threshold < 1))
		return bg_error_set(BG_EINPUT, "%s: threshold %g is not in [0, 1)", series_name,
				    threshold);
	struct bg_changepoint *cps = NULL;
	size_t ncp = 0;
	int err = bg_changepoints(medians, n, o, &cps, &ncp);
	if (err < 0)
		return bg_error_wrap("%s", series_name);
	if (ncp == 0)
		return 0;
	struct bg_trend_change *v = calloc(ncp, sizeof(*v));
	if (!v) {
		free(cps);
		return bg_error_oom();
	}
	for (size_t i = 0; i < ncp; i++) {
		v[i].cp = cps[i];
		v[i].kind = classify(&cps[i], threshold, dir);
		v[i].fixed_index = (size_t)-1;
	}
	free(cps);
	for (size_t i = 0; i < ncp; i++) {
		if (v[i].kind != BG_TREND_REGRESSION)
			continue;
		/* fixed: a later improvement after which the level is back near the old one */
		for (size_t j = i + 1; j < ncp && v[i].fixed_index == (size_t)-1; j++)
			if (v[j].kind == BG_TREND_IMPROVEMENT &&
			    dir * v[j].cp.after <= dir * v[i].cp.before * (1.0 + dir * threshold))
				v[i].fixed_index = v[j].cp.index;
		const struct bg_trend_ack *ack =
			find_ack(acks, n_acks, series_name, shas ? shas[v[i].cp.index] : NULL);
		if (v[i].fixed_index != (size_t)-1) {
			v[i].state = "fixed";
		} else if (ack) {
			v[i].state = "acknowledged";
			v[i].reason = ack->reason;
		} else {
			v[i].state = "detected";
		}
	}
	*out = v;
	*count = ncp;
	return 0;
}
