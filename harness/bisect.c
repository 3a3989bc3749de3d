/* Bisecting one series' slowdown along a first-parent line (bg_bisect.h): a time that rose
 * or a throughput that fell, as its metric says (bg_trend_direction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bisect.h"
#include "bg_bisect_search.h"
#include "bg_buf.h"
#include "bg_db.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_nightly_config.h"
#include "bg_proc.h"
#include "bg_trend.h"

#define SEED 20261124u

/* The bisect in progress. */
struct bisect {
	struct bg_app *app;
	const struct bg_bisect_opts *o;
	struct bg_bisect_result *r;
	int dir; /* the metric's enum bg_trend_direction: which way is worse */
	struct bg_engine_opts eo;
	const char **shas;
	struct bg_walk_series *walk; /* the benchmark's series along the line */
	size_t n_walk;
	const struct bg_walk_series *ser; /* the one bisected; NULL until known */
	const struct bg_walk_point **at;  /* its point at each commit, or NULL */
	unsigned char *stored;            /* at[i] != NULL */
	int *state;                       /* enum bg_commit_state of each commit as stored
					     before this bisect, bisect runs counted (so a
					     failed build of one counts) */
	int *full;                        /* the same for the nightly's full runs alone (a
					     bisect run of another benchmark measured nothing
					     of this one) */
	char *filter;                     /* ^bench$: each run measures this benchmark alone */
};

static const char *bisect_metric(const struct bg_bisect_opts *o)
{
	return o->metric ? o->metric : "ns";
}

/* The series of the walk o names; NULL when none is stored yet. BG_EINPUT when the
 * benchmark is stored with several params and o names none. */
static int pick_series(struct bisect *b)
{
	const char *mode = b->o->mode ? b->o->mode : "default";
	const struct bg_walk_series *hit = NULL;
	for (size_t s = 0; s < b->n_walk; s++) {
		const struct bg_walk_series *w = &b->walk[s];
		if (strcmp(w->mode, mode) || strcmp(w->metric, bisect_metric(b->o)) ||
		    (b->o->params && strcmp(w->params, b->o->params)))
			continue;
		if (hit && strcmp(hit->params, w->params))
			return bg_error_set(BG_EINPUT,
					    "%s is stored with params '%s' and '%s': name one "
					    "with --params",
					    b->o->bench, hit->params, w->params);
		hit = w;
	}
	b->ser = hit;
	return 0;
}

/* (Re)reads the stored samples of the benchmark along the line. */
static int load(struct bisect *b)
{
	bg_db_series_walk_free(b->walk, b->n_walk);
	b->walk = NULL;
	b->n_walk = 0;
	b->ser = NULL;
	size_t n = b->r->n;
	int rc = bg_db_series_walk(b->app->db, b->app->machine_id, "nightly", b->o->bench,
				   b->shas, n, &b->walk, &b->n_walk);
	if (rc < 0 || (rc = pick_series(b)) < 0)
		return rc;
	memset(b->at, 0, n * sizeof(*b->at));
	memset(b->stored, 0, n);
	for (size_t p = 0; b->ser && p < b->ser->n_points; p++) {
		const struct bg_walk_point *pt = &b->ser->points[p];
		b->at[pt->pos] = pt;
		b->stored[pt->pos] = pt->n > 0;
	}
	return 0;
}

/* One bisect run of line[i]. *ok is 0 when the commit cannot be measured (it does not
 * build, its benchmark failed, or it has no such benchmark), with why in *why (static or
 * the engine's message copied into why_buf). */
static int measure(struct bisect *b, size_t i, int *ok, char *why, size_t why_cap)
{
	const struct bg_commit *c = &b->r->line[i];
	struct bg_subject subj;
	memset(&subj, 0, sizeof(subj));
	bg_progress_prefix("[bisect %.10s]", c->sha);
	bg_progress_start();
	int rc = bg_engine_run_one(b->app, &subj, c, &b->eo);
	bg_progress_clear();
	b->r->runs++;
	*ok = 0;
	if (rc == 0 && bg_interrupted(NULL))
		rc = bg_error_set(BG_EINTR, "interrupted while measuring %.10s (what was measured "
				  "before is kept)", c->sha);
	if (rc < 0)
		goto done;
	if (subj.failed) {
		if (!strcmp(subj.status, "build-failed"))
			snprintf(why, why_cap, "does not build");
		else if (!strcmp(subj.status, "config-error"))
			snprintf(why, why_cap, "has no usable bitgate.json: %s",
				 subj.error ? subj.error : "no message");
		else
			snprintf(why, why_cap, "could not be measured (%s): %s", subj.status,
				 subj.error ? subj.error : "no message");
		goto done;
	}
	if ((rc = load(b)) < 0)
		goto done;
	if (!b->stored[i]) {
		snprintf(why, why_cap, "has no result for %s (the benchmark was skipped or is "
			 "not there)", b->o->bench);
		goto done;
	}
	*ok = 1;
done:
	bg_subject_clear(&subj);
	return rc;
}

/* Measures an end of the line unless it has stored results; an end that cannot be measured
 * stops the bisect. */
static int need_end(struct bisect *b, size_t i, const char *which)
{
	if (b->stored[i])
		return 0;
	if (b->state[i] == BG_COMMIT_UNMEASURABLE)
		return bg_error_set(BG_EINPUT,
				    "the %s end %.10s cannot be measured (recorded "
				    "before: it does not build or has no usable bitgate.json): "
				    "pick another %s commit",
				    which, b->r->line[i].sha, which);
	bg_log_info("measuring the %s end %.10s %s", which, b->r->line[i].sha,
		    b->r->line[i].subject ? b->r->line[i].subject : "");
	char why[512];
	int ok;
	int rc = measure(b, i, &ok, why, sizeof(why));
	if (rc < 0)
		return rc;
	if (!ok)
		return bg_error_set(BG_EINPUT, "the %s end %.10s %s: pick another %s commit", which,
				    b->r->line[i].sha, why, which);
	return 0;
}

/* Tests line[i]: its verdict into marks[i]. */
static int test_commit(struct bisect *b, size_t i, size_t left)
{
	struct bg_bisect_result *r = b->r;
	const struct bg_commit *c = &r->line[i];
	bg_log_info("testing %.10s %s (%zu untested between the bounds)", c->sha,
		    c->subject ? c->subject : "", left);
	int fresh = 0;
	char why[512];
	if (!b->stored[i]) {
		int ok = 0, rc = 0;
		if (b->state[i] == BG_COMMIT_UNMEASURABLE)
			snprintf(why, sizeof(why),
				 "cannot be measured (recorded before: it does "
				 "not build or has no usable bitgate.json)");
		else if (b->full[i] == BG_COMMIT_MEASURED)
			snprintf(why, sizeof(why), "has complete runs without a result for %s",
				 b->o->bench);
		else
			rc = measure(b, i, &ok, why, sizeof(why));
		if (rc < 0)
			return rc;
		if (!ok) {
			bg_log_info("  %.10s %s: skipped", c->sha, why);
			r->marks[i] = BG_MARK_SKIP;
			r->skipped++;
			return 0;
		}
		fresh = 1;
	}
	int budget = b->o->retries;
	for (;;) {
		/* read afresh: a measurement reloads the walk */
		const struct bg_walk_point *g = b->at[0], *x = b->at[i];
		struct bg_interval ci;
		int unsure;
		int v = bg_bisect_search_judge(g->samples, g->n, x->samples, x->n, r->cut, b->dir,
					       SEED ^ i, &ci, &unsure);
		if (v < 0)
			return v;
		if (unsure && budget > 0) {
			budget--;
			bg_log_info(
				"  %.10s: %+.1f%% [%+.1f%%, %+.1f%%] against good, too close to "
				"%+.1f%% to tell: measuring again",
				c->sha, 100 * (ci.estimate - 1), 100 * (ci.lo - 1),
				100 * (ci.hi - 1), 100 * r->cut * b->dir);
			int ok, rc = measure(b, i, &ok, why, sizeof(why));
			if (rc < 0)
				return rc;
			if (!ok) { /* it measured before: judge what there is */
				bg_log_warn("%.10s %s this time; judging the samples stored", c->sha,
					    why);
				budget = 0;
			}
			fresh = 1;
			continue;
		}
		r->marks[i] = (unsigned char)v;
		r->tested++;
		r->reused += !fresh;
		bg_log_info(
			"  %.10s is %s: %+.1f%% [%+.1f%%, %+.1f%%] against good (%zu samples%s)%s",
			c->sha, v == BG_MARK_BAD ? "bad" : "good", 100 * (ci.estimate - 1),
			100 * (ci.lo - 1), 100 * (ci.hi - 1), x->n, fresh ? "" : ", stored",
			unsure ? "; still close to the cut" : "");
		return 0;
	}
}

/* Sets the answer as suspect of every stored regression of the series whose range, both
 * ends on the line, holds it. */
static int record_suspect(struct bisect *b)
{
	struct bg_bisect_result *r = b->r;
	struct bg_regression_rec *regs = NULL;
	size_t nregs = 0;
	int rc = bg_db_regression_list(b->app->db, b->app->machine_id, &regs, &nregs);
	for (size_t k = 0; rc == 0 && k < nregs; k++) {
		const struct bg_regression_rec *g = &regs[k];
		if (strcmp(g->benchmark, r->benchmark) || strcmp(g->params, r->params) ||
		    strcmp(g->metric, r->metric) || strcmp(g->mode, r->mode))
			continue;
		ptrdiff_t pg = bg_commit_index(r->line, r->n, g->good_sha);
		ptrdiff_t pb = bg_commit_index(r->line, r->n, g->bad_sha);
		if (pg < 0 || pb < 0 || !(pg < (ptrdiff_t)r->first_bad && (ptrdiff_t)r->first_bad <= pb))
			continue;
		rc = bg_db_regression_set_suspect(b->app->db, g->id, r->line[r->first_bad].sha,
						  r->step.estimate - 1, r->step.lo - 1,
						  r->step.hi - 1);
		r->suspects += rc == 0;
	}
	bg_db_regression_list_free(regs, nregs);
	return rc;
}

/* good, then the first-parent commits after it up to bad, into r->line. */
static int make_line(struct bg_app *app, const struct bg_bisect_opts *o,
		     struct bg_bisect_result *r)
{
	struct bg_commit good = {0}, bad = {0}, *range = NULL;
	size_t n = 0;
	int rc;
	if ((rc = bg_git_resolve(app->repo, o->good, &good)) < 0 ||
	    (rc = bg_git_resolve(app->repo, o->bad, &bad)) < 0 ||
	    (rc = bg_git_range(app->repo, good.sha, bad.sha, 1, &range, &n)) < 0)
		goto done;
	if (good.worktree || bad.worktree) {
		rc = bg_error_set(BG_EINPUT, "bisect needs commits, not the working tree");
		goto done;
	}
	if (n == 0 || strcmp(range[n - 1].sha, bad.sha) || strcmp(range[0].parent, good.sha)) {
		rc = bg_error_set(BG_EINPUT,
				  "good %s (%.10s) is not on the first-parent line of bad %s "
				  "(%.10s): bisect needs good to be an earlier first-parent "
				  "ancestor of bad",
				  o->good, good.sha, o->bad, bad.sha);
		goto done;
	}
	if (!(r->line = calloc(n + 1, sizeof(*r->line)))) {
		rc = bg_error_oom();
		goto done;
	}
	r->line[0] = good;
	memset(&good, 0, sizeof(good));
	memcpy(r->line + 1, range, n * sizeof(*range));
	free(range);
	range = NULL;
	r->n = n + 1;
	n = 0;
done:
	bg_commit_list_free(range, n);
	bg_commit_clear(&good);
	bg_commit_clear(&bad);
	return rc;
}

/* ^name$ with the regex's special characters escaped. */
static char *exact_regex(const char *name)
{
	struct bg_buf re = BG_BUF_INIT;
	bg_buf_puts(&re, "^");
	for (const char *p = name; *p; p++) {
		if (strchr("\\^$.|?*+()[]{}", *p))
			bg_buf_putc(&re, '\\');
		bg_buf_putc(&re, *p);
	}
	bg_buf_puts(&re, "$");
	return bg_buf_detach(&re);
}

static char *dup_or_empty(const char *s)
{
	return bg_strdup(s ? s : "");
}

/* The threshold: o's, else the nightly section of the bad end's bitgate.json. */
static int choose_threshold(struct bg_app *app, const struct bg_bisect_opts *o,
			    struct bg_bisect_result *r)
{
	r->threshold = o->threshold;
	if (o->threshold >= 0)
		return 0;
	struct bg_config *cfg = NULL;
	struct bg_nightly_config nc = {0};
	int rc = bg_engine_load_config(app, &r->line[r->n - 1], NULL, &cfg);
	if (rc == 0 && (rc = bg_nightly_config_read(cfg, &nc)) == 0)
		r->threshold = nc.threshold;
	bg_nightly_config_clear(&nc);
	bg_config_free(cfg);
	return rc;
}

/* The arrays over the line, and the options of every run the bisect makes. */
static int bisect_alloc(struct bisect *b)
{
	size_t n = b->r->n;
	b->shas = malloc(n * sizeof(*b->shas));
	b->at = calloc(n, sizeof(*b->at));
	b->stored = calloc(n, 1);
	b->state = calloc(n, sizeof(*b->state));
	b->full = calloc(n, sizeof(*b->full));
	b->r->marks = calloc(n, 1);
	b->filter = exact_regex(b->o->bench);
	if (!b->shas || !b->at || !b->stored || !b->state || !b->full || !b->r->marks || !b->filter)
		return bg_error_oom();
	for (size_t i = 0; i < n; i++)
		b->shas[i] = b->r->line[i].sha;
	b->eo = (struct bg_engine_opts){.kind = "nightly",
					.label = "bisect",
					.repetitions = b->o->repetitions,
					.filter = b->filter,
					.tests = 0,
					.pin_cpu = b->o->pin_cpu,
					.jobs = b->o->jobs};
	return 0;
}

static void bisect_free(struct bisect *b)
{
	bg_db_series_walk_free(b->walk, b->n_walk);
	free(b->shas);
	free(b->at);
	free(b->stored);
	free(b->state);
	free(b->full);
	free(b->filter);
}

/* What is stored along the line, and both ends measured (need_end); BG_EINPUT when the
 * series is at neither. */
static int load_ends(struct bisect *b)
{
	const struct bg_bisect_result *r = b->r;
	size_t n = r->n;
	int64_t machine = b->app->machine_id;
	int rc;
	if ((rc = bg_db_commits_measured(b->app->db, machine, "nightly", 1, b->shas, n, b->state)) <
		    0 ||
	    (rc = bg_db_commits_measured(b->app->db, machine, "nightly", 0, b->shas, n, b->full)) <
		    0 ||
	    (rc = load(b)) < 0 || (rc = need_end(b, 0, "good")) < 0 ||
	    (rc = need_end(b, n - 1, "bad")) < 0)
		return rc;
	if (!b->ser)
		return bg_error_set(BG_EINPUT, "no series %s [%s] (metric %s) at %.10s and %.10s",
				    b->o->bench, b->o->mode ? b->o->mode : "default",
				    bisect_metric(b->o), r->line[0].sha, r->line[n - 1].sha);
	return 0;
}

/* Names the series in r and compares the ends: a slowdown when bad is worse than good
 * (the metric's way) beyond doubt and by the threshold. */
static int judge_ends(struct bisect *b)
{
	struct bg_bisect_result *r = b->r;
	size_t n = r->n;
	r->benchmark = dup_or_empty(b->ser->benchmark);
	r->params = dup_or_empty(b->ser->params);
	r->metric = dup_or_empty(b->ser->metric);
	r->mode = dup_or_empty(b->ser->mode);
	if (!r->benchmark || !r->params || !r->metric || !r->mode)
		return bg_error_oom();
	const struct bg_walk_point *g = b->at[0], *x = b->at[n - 1];
	int rc = bg_stats_ratio_ci(g->samples, NULL, g->n, x->samples, NULL, x->n, 0.95, 2000, SEED,
				   &r->ends);
	if (rc < 0)
		return rc;
	r->marks[0] = BG_MARK_GOOD;
	r->marks[n - 1] = BG_MARK_BAD;
	r->last_good = 0;
	r->first_bad = n - 1;
	r->slowdown = bg_bisect_search_worse_ends(&r->ends, r->threshold, b->dir);
	return 0;
}

/* Tests commits, the search choosing each, until the last good and first bad are next to
 * each other (or only commits that cannot be measured are left between them). */
static int search(struct bisect *b)
{
	struct bg_bisect_result *r = b->r;
	size_t n = r->n, i;
	r->cut = b->o->cut >= 0 ? b->o->cut : bg_bisect_search_worse(r->ends.estimate, b->dir) / 2;
	bg_log_info("bisecting %s: bad is %+.1f%% [%+.1f%%, %+.1f%%] against good over %zu "
		    "commits; a commit %+.1f%% against good or %s is bad (%s)",
		    b->o->bench, 100 * (r->ends.estimate - 1), 100 * (r->ends.lo - 1),
		    100 * (r->ends.hi - 1), n - 2, 100 * r->cut * b->dir,
		    b->dir == BG_TREND_HIGHER_IS_BETTER ? "less" : "more",
		    bg_trend_direction_text(b->dir));
	while ((i = bg_bisect_search_next(r->marks, b->stored, n)) != (size_t)-1) {
		size_t lo, hi, left = 0;
		bg_bisect_search_bounds(r->marks, n, &lo, &hi);
		for (size_t k = lo + 1; k < hi; k++)
			left += r->marks[k] == BG_MARK_UNTESTED;
		int rc = test_commit(b, i, left);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The step found: its ends, their medians and ratio; the answer recorded as the suspect of
 * the stored regressions it explains. */
static int settle(struct bisect *b)
{
	struct bg_bisect_result *r = b->r;
	bg_bisect_search_bounds(r->marks, r->n, &r->last_good, &r->first_bad);
	const struct bg_walk_point *g = b->at[r->last_good], *x = b->at[r->first_bad];
	r->good_median = bg_stats_median(g->samples, g->n);
	r->bad_median = bg_stats_median(x->samples, x->n);
	int rc = bg_stats_ratio_ci(g->samples, NULL, g->n, x->samples, NULL, x->n, 0.95, 2000,
				   SEED + 1, &r->step);
	return rc < 0 ? rc : record_suspect(b);
}

int bg_bisect_run(struct bg_app *app, const struct bg_bisect_opts *o, struct bg_bisect_result *r)
{
	memset(r, 0, sizeof(*r));
	struct bisect b = {.app = app, .o = o, .r = r, .dir = bg_trend_direction(bisect_metric(o))};
	int rc = make_line(app, o, r);
	if (rc < 0)
		return rc;
	if ((rc = choose_threshold(app, o, r)) == 0 && (rc = bisect_alloc(&b)) == 0 &&
	    (rc = load_ends(&b)) == 0 && (rc = judge_ends(&b)) == 0 && r->slowdown &&
	    (rc = search(&b)) == 0)
		rc = settle(&b);
	bg_progress_clear();
	bisect_free(&b);
	return rc;
}

void bg_bisect_result_clear(struct bg_bisect_result *r)
{
	free(r->benchmark);
	free(r->params);
	free(r->metric);
	free(r->mode);
	bg_commit_list_free(r->line, r->n);
	free(r->marks);
	memset(r, 0, sizeof(*r));
}
