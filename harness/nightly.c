/* The nightly engine behind `bitgate nightly` (harness/cmd_nightly.c): measure the branch's
 * new first-parent commits, find change points in every series, store the regressions,
 * bisect the open ones when asked, and render the static dashboard. */
#include "bg_nightly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_bisect.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_hash.h"
#include "bg_log.h"
#include "bg_nightly_config.h"
#include "bg_proc.h"
#include "bg_site.h"
#include "bg_stats.h"
#include "bg_trend.h"

size_t bg_nightly_choose(size_t m, size_t max, size_t *pick)
{
	if (m == 0 || max == 0)
		return 0;
	if (m <= max) {
		for (size_t i = 0; i < m; i++)
			pick[i] = m - 1 - i;
		return m;
	}
	size_t k = 0;
	pick[k++] = m - 1;
	for (size_t j = 0; k < max && j + 1 < max; j++) {
		size_t idx = (size_t)((double)j * (double)(m - 1) / (double)(max - 1) + 0.5);
		int seen = 0;
		for (size_t q = 0; q < k; q++)
			seen |= pick[q] == idx;
		if (!seen)
			pick[k++] = idx;
	}
	return k;
}

void bg_nightly_series_key(char *out, size_t cap, const char *name)
{
	char digest[65];
	bg_sha256_hex(digest, name, strlen(name));
	size_t n = 0;
	for (const char *p = name; *p && n < 80; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (ok)
			out[n++] = c;
		else if (n && out[n - 1] != '-')
			out[n++] = '-';
	}
	while (n && out[n - 1] == '-')
		n--;
	snprintf(out + n, cap - n, "%s%.8s", n ? "-" : "", digest);
}

/* Everything one series contributes to the site, owned here. */
struct series_view {
	char name[256];
	char key[128];
	struct bg_site_point *points;
	struct bg_site_change *changes;
	size_t n_changes;
};

struct analysis {
	struct bg_walk_series *walk;
	size_t n_walk;
	struct series_view *views;
	struct bg_site_series *series;
	char (*dates)[16];
};

static void analysis_clear(struct analysis *a)
{
	for (size_t i = 0; a->views && i < a->n_walk; i++) {
		free(a->views[i].points);
		free(a->views[i].changes);
	}
	free(a->views);
	free(a->series);
	free(a->dates);
	bg_db_series_walk_free(a->walk, a->n_walk);
	memset(a, 0, sizeof(*a));
}

static int same_series(const struct bg_regression_rec *r, const struct bg_walk_series *w)
{
	return !strcmp(r->benchmark, w->benchmark) && !strcmp(r->params, w->params) &&
	       !strcmp(r->metric, w->metric) && !strcmp(r->mode, w->mode);
}

/* The stored regression of w that the one found between line positions g and b is: the one
 * with the same first bad commit, else (pass 1) one whose range overlaps (more commits
 * measured moved it). Taken ones have id 0 in old. */
static struct bg_regression_rec *match_old(const struct bg_commit *line, size_t n,
					   const struct bg_walk_series *w, const char *bad_sha,
					   ptrdiff_t g, ptrdiff_t b, struct bg_regression_rec *old,
					   size_t n_old, int pass)
{
	for (size_t k = 0; k < n_old; k++) {
		struct bg_regression_rec *o = &old[k];
		if (!o->id || !same_series(o, w))
			continue;
		if (pass == 0 && !strcmp(o->bad_sha, bad_sha))
			return o;
		ptrdiff_t og = bg_commit_index(line, n, o->good_sha),
			  ob = bg_commit_index(line, n, o->bad_sha);
		if (pass == 1 && og >= 0 && ob >= 0 && og < b && g < ob)
			return o;
	}
	return NULL;
}

/* Stores the regressions among a series' changes: a known one keeps its id (and bisect's
 * suspect) even when its range moved; its entry in old is marked taken (id 0). Every change
 * goes into v->changes for the site. */
static int store_regressions(struct bg_app *app, const struct bg_commit *line, size_t n,
			     const struct bg_walk_series *w, const char **psha,
			     const struct bg_trend_change *ch, size_t nch,
			     struct bg_regression_rec *old, size_t n_old, struct series_view *v)
{
	int64_t *ids = calloc(nch ? nch : 1, sizeof(*ids));
	if (!ids)
		return bg_error_oom();
	for (int pass = 0; pass < 2; pass++)
		for (size_t c = 0; c < nch; c++) {
			if (ch[c].kind != BG_TREND_REGRESSION || ids[c])
				continue;
			size_t at = ch[c].cp.index;
			struct bg_regression_rec *o = match_old(
				line, n, w, psha[at], bg_commit_index(line, n, psha[at - 1]),
				bg_commit_index(line, n, psha[at]), old, n_old, pass);
			if (o) {
				ids[c] = o->id;
				o->id = 0;
			}
		}
	int rc = 0;
	for (size_t c = 0; rc == 0 && c < nch; c++) {
		const struct bg_trend_change *t = &ch[c];
		size_t at = t->cp.index;
		if (t->kind != BG_TREND_REGRESSION) { /* on the plot and the page only */
			v->changes[v->n_changes++] = (struct bg_site_change){
				.index = at,
				.rel = t->cp.rel,
				.lo = t->cp.ci.lo - 1,
				.hi = t->cp.ci.hi - 1,
				.state = t->kind == BG_TREND_IMPROVEMENT ? "improvement"
									 : "neutral"};
			continue;
		}
		struct bg_regression_rec r = {.id = ids[c],
					      .machine_id = app->machine_id,
					      .benchmark = w->benchmark,
					      .params = w->params,
					      .metric = w->metric,
					      .mode = w->mode,
					      .good_sha = (char *)psha[at - 1],
					      .bad_sha = (char *)psha[at],
					      .rel = t->cp.rel,
					      .lo = t->cp.ci.lo - 1,
					      .hi = t->cp.ci.hi - 1,
					      .p = t->cp.p,
					      .state = (char *)t->state,
					      .reason = (char *)t->reason,
					      .fixed_sha = t->fixed_index != (size_t)-1
								   ? (char *)psha[t->fixed_index]
								   : NULL};
		rc = bg_db_regression_put(app->db, &r);
		v->changes[v->n_changes++] = (struct bg_site_change){.index = at,
								     .rel = t->cp.rel,
								     .lo = t->cp.ci.lo - 1,
								     .hi = t->cp.ci.hi - 1,
								     .state = t->state,
								     .reason = t->reason};
	}
	free(ids);
	return rc;
}

void bg_nightly_date(char out[16], int64_t time_s)
{
	time_t t = (time_t)time_s;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(out, 16, "%Y-%m-%d", &tm);
}

/* The dates of line's commits, the series measured along it, and room for their views. */
static int analysis_begin(struct bg_app *app, const struct bg_commit *line, size_t n,
			  struct analysis *a)
{
	memset(a, 0, sizeof(*a));
	const char **shas = malloc((n ? n : 1) * sizeof(*shas));
	a->dates = calloc(n ? n : 1, sizeof(*a->dates));
	if (!shas || !a->dates) {
		free(shas);
		return bg_error_oom();
	}
	for (size_t i = 0; i < n; i++) {
		shas[i] = line[i].sha;
		bg_nightly_date(a->dates[i], line[i].time);
	}
	int rc = bg_db_series_walk(app->db, app->machine_id, "nightly", NULL, shas, n, &a->walk,
				   &a->n_walk);
	free(shas);
	if (rc < 0)
		return rc;
	a->views = calloc(a->n_walk ? a->n_walk : 1, sizeof(*a->views));
	a->series = calloc(a->n_walk ? a->n_walk : 1, sizeof(*a->series));
	if (!a->views || !a->series)
		return bg_error_oom();
	return 0;
}

/* The change-point search every nightly uses. */
static void nightly_cp_opts(struct bg_cp_opts *cpo)
{
	bg_cp_opts_default(cpo);
	cpo->seed = 20261124; /* fixed: the dashboard repeats itself for the same data */
	/* 999 permutations: with 199, p < 0.01 needs no shuffle at all to reach the observed
	 * statistic, which a short series (a dozen commits) misses by chance about half the
	 * time even for a clean 10% step */
	cpo->permutations = 999;
}

/* What earlier nightlies stored, to be kept, moved or removed. */
struct stored {
	struct bg_regression_rec *old;
	size_t n_old;
};

/* One series: its points (each commit's median), its change points, its regressions
 * stored, and its entry in the site. */
static int analyse_series(struct bg_app *app, const struct bg_commit *line, size_t n,
			  const struct bg_nightly_config *nc, const struct bg_cp_opts *cpo,
			  struct stored *st, struct analysis *a, size_t s)
{
	const struct bg_walk_series *w = &a->walk[s];
	struct series_view *v = &a->views[s];
	bg_trend_series_name(v->name, sizeof(v->name), w->benchmark, w->params, w->mode);
	bg_nightly_series_key(v->key, sizeof(v->key), v->name);
	size_t np = w->n_points;
	double *med = malloc((np ? np : 1) * sizeof(double));
	const char **psha = malloc((np ? np : 1) * sizeof(*psha));
	v->points = calloc(np ? np : 1, sizeof(*v->points));
	if (!med || !psha || !v->points) {
		free(med);
		free(psha);
		return bg_error_oom();
	}
	for (size_t i = 0; i < np; i++) {
		const struct bg_walk_point *p = &w->points[i];
		med[i] = bg_stats_median(p->samples, p->n);
		psha[i] = line[p->pos].sha;
		v->points[i] = (struct bg_site_point){.sha = line[p->pos].sha,
						      .date = a->dates[p->pos],
						      .subject = line[p->pos].subject,
						      .samples = p->samples,
						      .n = p->n,
						      .median = med[i]};
	}
	struct bg_trend_change *ch = NULL;
	size_t nch = 0;
	/* the metric says which way is a regression: a time up, a throughput down */
	int dir = bg_trend_direction(w->metric);
	int rc = bg_trend_analyse_dir(med, psha, np, v->name, dir, nc->acks, nc->n_acks,
				      nc->threshold, cpo, &ch, &nch);
	if (rc == 0 && nch && !(v->changes = calloc(nch, sizeof(*v->changes))))
		rc = bg_error_oom();
	if (rc == 0)
		rc = store_regressions(app, line, n, w, psha, ch, nch, st->old, st->n_old, v);
	free(ch);
	free(med);
	free(psha);
	if (rc < 0)
		return rc;
	a->series[s] = (struct bg_site_series){
		.key = v->key,
		.benchmark = w->benchmark,
		.params = w->params,
		.metric = w->metric,
		.higher_is_better = dir == BG_TREND_HIGHER_IS_BETTER,
		.mode = w->mode,
		.machine = app->machine.cpu,
		.unit_label = !strcmp(w->metric, "ns") ? "ns per iteration" : w->metric,
		.points = v->points,
		.n_points = np,
		.changes = v->changes,
		.n_changes = v->n_changes};
	return 0;
}

/* Change points of every series along line (oldest first); regressions stored. */
static int analyse(struct bg_app *app, const struct bg_commit *line, size_t n,
		   const struct bg_nightly_config *nc, struct analysis *a)
{
	int rc = analysis_begin(app, line, n, a);
	if (rc < 0)
		return rc;
	struct stored st = {NULL, 0};
	if ((rc = bg_db_regression_list(app->db, app->machine_id, &st.old, &st.n_old)) < 0)
		return rc;
	struct bg_cp_opts cpo;
	nightly_cp_opts(&cpo);
	for (size_t s = 0; rc == 0 && s < a->n_walk; s++)
		rc = analyse_series(app, line, n, nc, &cpo, &st, a, s);
	/* a regression stored before whose commits the analysis covered, and which it no
	 * longer finds (the noise that made it is outweighed now): gone */
	for (size_t k = 0; rc == 0 && k < st.n_old; k++)
		if (st.old[k].id && bg_commit_index(line, n, st.old[k].good_sha) >= 0 &&
		    bg_commit_index(line, n, st.old[k].bad_sha) >= 0)
			rc = bg_db_regression_delete(app->db, st.old[k].id);
	bg_db_regression_list_free(st.old, st.n_old);
	return rc;
}

/* Bisects every open regression not bisected yet whose range holds more than one commit;
 * returns how many were bisected in *done. Interruption stops it (BG_EINTR); a regression
 * whose bisect cannot go on (an end no longer builds...) is reported and left. */
static int bisect_open(struct bg_app *app, const struct bg_commit *line, size_t n,
		       const struct bg_nightly_config *nc, const struct bg_engine_opts *eo,
		       size_t *done, int *status)
{
	struct bg_regression_rec *regs = NULL;
	size_t nregs = 0;
	*done = 0;
	int rc = bg_db_regression_list(app->db, app->machine_id, &regs, &nregs);
	for (size_t i = 0; rc == 0 && i < nregs; i++) {
		const struct bg_regression_rec *g = &regs[i];
		ptrdiff_t pg = bg_commit_index(line, n, g->good_sha),
			  pb = bg_commit_index(line, n, g->bad_sha);
		if (strcmp(g->state, "detected") || g->suspect_sha || pg < 0 || pb - pg < 2)
			continue;
		char name[256];
		bg_trend_series_name(name, sizeof(name), g->benchmark, g->params, g->mode);
		bg_log_info("bisecting %s: %td commits between %.10s and %.10s", name, pb - pg,
			    g->good_sha, g->bad_sha);
		struct bg_bisect_opts o = {.bench = g->benchmark,
					   .params = g->params,
					   .mode = g->mode,
					   .metric = g->metric,
					   .good = g->good_sha,
					   .bad = g->bad_sha,
					   .threshold = nc->threshold,
					   .cut = -1,
					   .repetitions = eo->repetitions,
					   .retries = 2,
					   .jobs = eo->jobs,
					   .pin_cpu = eo->pin_cpu};
		struct bg_bisect_result r;
		rc = bg_bisect_run(app, &o, &r);
		if (rc == 0 && r.slowdown) {
			size_t cands = r.first_bad - r.last_good;
			printf("  bisected %s: first bad commit %s%.10s %s (%+.1f%% [%+.1f%%, "
			       "%+.1f%%])\n",
			       name, cands > 1 ? "(after skipped ones) " : "",
			       r.line[r.first_bad].sha,
			       r.line[r.first_bad].subject ? r.line[r.first_bad].subject : "",
			       100 * (r.step.estimate - 1), 100 * (r.step.lo - 1),
			       100 * (r.step.hi - 1));
			(*done)++;
		} else if (rc == 0) {
			printf("  bisect of %s: the ends differ by %+.1f%% [%+.1f%%, %+.1f%%] now, "
			       "below the threshold: not bisected\n",
			       name, 100 * (r.ends.estimate - 1), 100 * (r.ends.lo - 1),
			       100 * (r.ends.hi - 1));
		} else if (rc == BG_EINPUT) {
			bg_log_warn("bisect of %s: %s", name, bg_error_last());
			rc = 0;
		} else if (rc != BG_EINTR) {
			bg_log_error("bisect of %s: %s", name, bg_error_last());
			*status = BG_EXIT_INFRA;
			rc = 0;
		}
		bg_bisect_result_clear(&r);
	}
	bg_db_regression_list_free(regs, nregs);
	return rc;
}

/* The stored regressions as the site shows them, with the names and keys they point at. */
struct site_regressions {
	struct bg_site_regression *sr;
	char (*names)[256];
	char (*keys)[128];
};

static int site_regressions(struct bg_app *app, const struct bg_commit *line, size_t n,
			    const struct bg_regression_rec *regs, size_t nregs,
			    struct site_regressions *out)
{
	out->sr = calloc(nregs ? nregs : 1, sizeof(*out->sr));
	out->names = calloc(nregs ? nregs : 1, sizeof(*out->names));
	out->keys = calloc(nregs ? nregs : 1, sizeof(*out->keys));
	if (!out->sr || !out->names || !out->keys)
		return bg_error_oom();
	for (size_t i = 0; i < nregs; i++) {
		const struct bg_regression_rec *r = &regs[i];
		char *name = out->names[i], *key = out->keys[i];
		bg_trend_series_name(name, sizeof(out->names[i]), r->benchmark, r->params, r->mode);
		bg_nightly_series_key(key, sizeof(out->keys[i]), name);
		ptrdiff_t g = bg_commit_index(line, n, r->good_sha),
			  b = bg_commit_index(line, n, r->bad_sha);
		ptrdiff_t sp = bg_commit_index(line, n, r->suspect_sha);
		out->sr[i] = (struct bg_site_regression){
			.series_key = key,
			.benchmark = name,
			.mode = r->mode,
			.machine = app->machine.cpu,
			.good_sha = r->good_sha,
			.bad_sha = r->bad_sha,
			.commits_in_range = g >= 0 && b > g ? (int)(b - g) : -1,
			.rel = r->rel,
			.lo = r->lo,
			.hi = r->hi,
			.suspect_sha = r->suspect_sha,
			.suspect_subject = sp >= 0 ? line[sp].subject : NULL,
			.state = r->state,
			.reason = r->reason};
	}
	return 0;
}

void bg_nightly_regression_line(char *out, size_t cap, const char *name,
				const struct bg_regression_rec *r)
{
	int dir = bg_trend_direction(r->metric);
	snprintf(out, cap,
		 "  regression %s: %+.1f%% [%+.1f%%, %+.1f%%] between %.10s and %.10s (%s, %s)",
		 name, 100 * r->rel, 100 * r->lo, 100 * r->hi, r->good_sha, r->bad_sha,
		 r->metric ? r->metric : "no unit",
		 dir == BG_TREND_HIGHER_IS_BETTER ? "higher is better: it fell"
						  : "lower is better: it rose");
}

/* The nightly's last lines: the counts, where the site went, and each open regression. */
static void print_summary(size_t n, const char *branch, size_t n_series,
			  const struct bg_regression_rec *regs, size_t nregs,
			  const struct site_regressions *s, const char *dir,
			  const struct bg_site_stats *st)
{
	size_t open = 0;
	for (size_t i = 0; i < nregs; i++)
		open += !strcmp(regs[i].state, "detected");
	printf("nightly: %zu commits on %s, %zu series, %zu regressions (%zu open); site %s "
	       "(%zu pages, %zu plots%s%s) in %.1f s\n",
	       n, branch, n_series, nregs, open, dir, st->pages, st->plots,
	       st->plot_error[0] ? "; plots missing: " : "", st->plot_error, st->seconds);
	for (size_t i = 0; i < nregs; i++) {
		char line[512];
		if (strcmp(regs[i].state, "detected"))
			continue;
		bg_nightly_regression_line(line, sizeof(line), s->names[i], &regs[i]);
		printf("%s\n", line);
	}
}

/* Where the samples of the site's series came from, for their CSVs: runs[s] and rounds[s]
 * hold series s's, point by point, and each point of a->series points into them. A series
 * whose samples changed since they were read (a run recorded meanwhile) keeps no origins,
 * with a warning: its CSV has empty run and round fields. */
struct site_origins {
	long long **runs;
	int **rounds;
	size_t n;
};

static void site_origins_free(struct site_origins *o)
{
	for (size_t s = 0; o->runs && o->rounds && s < o->n; s++) {
		free(o->runs[s]);
		free(o->rounds[s]);
	}
	free(o->runs);
	free(o->rounds);
}

static int site_origins(struct bg_app *app, const struct bg_commit *line, size_t n,
			const struct analysis *a, struct site_origins *o)
{
	const char **shas = malloc((n ? n : 1) * sizeof(*shas));
	o->runs = calloc(a->n_walk + 1, sizeof(*o->runs));
	o->rounds = calloc(a->n_walk + 1, sizeof(*o->rounds));
	o->n = a->n_walk;
	int rc = shas && o->runs && o->rounds ? 0 : bg_error_oom();
	for (size_t i = 0; rc == 0 && i < n; i++)
		shas[i] = line[i].sha;
	for (size_t s = 0; rc == 0 && s < a->n_walk; s++) {
		const struct bg_walk_series *w = &a->walk[s];
		struct bg_sample_origin *org = NULL;
		rc = bg_db_series_origins(app->db, app->machine_id, "nightly", w, shas, n, &org);
		if (rc == BG_EINPUT) {
			bg_log_warn("%s", bg_error_last());
			rc = 0;
			continue;
		}
		size_t total = bg_db_walk_total(w);
		o->runs[s] = malloc((total + 1) * sizeof(**o->runs));
		o->rounds[s] = malloc((total + 1) * sizeof(**o->rounds));
		if (rc == 0 && (!o->runs[s] || !o->rounds[s]))
			rc = bg_error_oom();
		for (size_t k = 0; rc == 0 && k < total; k++)
			o->runs[s][k] = org[k].run, o->rounds[s][k] = org[k].round;
		for (size_t p = 0, at = 0; rc == 0 && p < w->n_points; at += w->points[p++].n) {
			a->views[s].points[p].runs = o->runs[s] + at;
			a->views[s].points[p].rounds = o->rounds[s] + at;
		}
		free(org);
	}
	free(shas);
	return rc;
}

/* The stored test suites along the line, as the site shows them. */
struct site_suites {
	struct bg_suite_walk *walk;
	size_t n;
	struct bg_site_suite *suites;
	struct bg_site_suite_point *points; /* every suite's, one after another */
};

static void site_suites_free(struct site_suites *t)
{
	bg_db_suite_walk_free(t->walk, t->n);
	free(t->suites);
	free(t->points);
}

static int site_suites(struct bg_app *app, const struct bg_commit *line, size_t n,
		       const struct analysis *a, struct site_suites *t)
{
	const char **shas = malloc((n ? n : 1) * sizeof(*shas));
	if (!shas)
		return bg_error_oom();
	for (size_t i = 0; i < n; i++)
		shas[i] = line[i].sha;
	int rc = bg_db_suite_walk(app->db, app->machine_id, "nightly", shas, n, &t->walk, &t->n);
	free(shas);
	size_t total = 0;
	for (size_t i = 0; rc == 0 && i < t->n; i++)
		total += t->walk[i].n_points;
	if (rc == 0 && (!(t->suites = calloc(t->n + 1, sizeof(*t->suites))) ||
			!(t->points = calloc(total + 1, sizeof(*t->points)))))
		rc = bg_error_oom();
	for (size_t i = 0, at = 0; rc == 0 && i < t->n; i++) {
		const struct bg_suite_walk *w = &t->walk[i];
		t->suites[i] = (struct bg_site_suite){w->suite, t->points + at, w->n_points};
		for (size_t k = 0; k < w->n_points; k++) {
			const struct bg_suite_point *q = &w->points[k];
			t->points[at++] =
				(struct bg_site_suite_point){.sha = line[q->pos].sha,
							     .date = a->dates[q->pos],
							     .passed = q->passed,
							     .failed = q->failed + q->errored,
							     .skipped = q->skipped};
		}
	}
	return rc;
}

/* The site from the analysis and the stored regressions of this machine. */
static int render(struct bg_app *app, const struct bg_commit *line, size_t n,
		  const struct bg_nightly_config *nc, const struct analysis *a, const char *dir,
		  int png, const char *branch)
{
	struct bg_regression_rec *regs = NULL;
	size_t nregs = 0;
	int rc = bg_db_regression_list(app->db, app->machine_id, &regs, &nregs);
	if (rc < 0)
		return rc;
	struct site_regressions sr = {NULL, NULL, NULL};
	struct site_origins origins = {NULL, NULL, 0};
	struct site_suites suites = {NULL, 0, NULL, NULL};
	if ((rc = site_regressions(app, line, n, regs, nregs, &sr)) < 0 ||
	    (rc = site_origins(app, line, n, a, &origins)) < 0 ||
	    (rc = site_suites(app, line, n, a, &suites)) < 0)
		goto done;
	char title[160], when[64];
	snprintf(title, sizeof(title), "bitgate nightly: %s", branch);
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
	struct bg_site site = {.title = title,
			       .repo = app->workdir,
			       .commit_url = nc->commit_url,
			       .generated = when,
			       .series = a->series,
			       .n_series = a->n_walk,
			       .regressions = sr.sr,
			       .n_regressions = nregs,
			       .suites = suites.suites,
			       .n_suites = suites.n};
	struct bg_site_opts so = {.png = png};
	struct bg_site_stats st;
	bg_progress_clear();
	bg_log_info("rendering %zu series and %zu regressions into %s", a->n_walk, nregs, dir);
	if ((rc = bg_site_write(&site, dir, &so, &st)) == 0)
		print_summary(n, branch, a->n_walk, regs, nregs, &sr, dir, &st);
done:
	site_origins_free(&origins);
	site_suites_free(&suites);
	free(sr.sr);
	free(sr.names);
	free(sr.keys);
	bg_db_regression_list_free(regs, nregs);
	return rc;
}

/* One nightly: what it works on, phase by phase. */
struct nightly {
	struct bg_app *app;
	const struct bg_nightly_opts *o;
	const char *branch;          /* o->branch, or branch_owned */
	char *branch_owned;          /* the default branch, as HEAD's bitgate.json names it */
	struct bg_commit tip;        /* the branch's tip */
	struct bg_config *cfg;       /* the tip's bitgate.json */
	struct bg_nightly_config nc; /* its nightly section */
	struct bg_commit *line;      /* first parents of the tip, oldest first */
	size_t n;
	const struct bg_commit *walk; /* the last o->depth of line: what the dashboard covers */
	size_t nw;
	char *site_owned; /* the default site directory */
	struct analysis an;
	int status;  /* the exit status so far */
	int stopped; /* interrupted, or a commit failed on bitgate's side */
};

static void nightly_clear(struct nightly *ng)
{
	analysis_clear(&ng->an);
	free(ng->site_owned);
	free(ng->branch_owned);
	bg_nightly_config_clear(&ng->nc);
	bg_config_free(ng->cfg);
	bg_commit_list_free(ng->line, ng->n);
	bg_commit_clear(&ng->tip);
}

/* The branch to follow: the one given, else the default branch HEAD's bitgate.json names. */
static int resolve_branch(struct nightly *ng)
{
	ng->branch = ng->o->branch;
	if (ng->branch)
		return 0;
	struct bg_commit head = {0};
	struct bg_config *cfg = NULL;
	int rc;
	if ((rc = bg_git_resolve(ng->app->repo, "HEAD", &head)) == 0 &&
	    (rc = bg_engine_load_config(ng->app, &head, NULL, &cfg)) == 0 &&
	    !(ng->branch = ng->branch_owned = bg_strdup(cfg->default_branch)))
		rc = bg_error_oom();
	bg_config_free(cfg);
	bg_commit_clear(&head);
	return rc;
}

/* The branch's tip, its configuration and the first-parent line the dashboard covers. */
static int resolve(struct nightly *ng)
{
	struct bg_app *app = ng->app;
	int rc;
	if ((rc = bg_app_machine(app)) < 0 || (rc = resolve_branch(ng)) < 0 ||
	    (rc = bg_git_resolve(app->repo, ng->branch, &ng->tip)) < 0 ||
	    (rc = bg_engine_load_config(app, &ng->tip, NULL, &ng->cfg)) < 0 ||
	    (rc = bg_nightly_config_read(ng->cfg, &ng->nc)) < 0 ||
	    (rc = bg_git_range(app->repo, NULL, ng->tip.sha, 1, &ng->line, &ng->n)) < 0)
		return rc;
	size_t depth = (size_t)ng->o->depth;
	size_t first = ng->n > depth ? ng->n - depth : 0;
	ng->walk = ng->line + first;
	ng->nw = ng->n - first;
	return 0;
}

/* Records each of the m commits todo names whose tree has no bitgate.json (a history that
 * adopted bitgate late) as one that cannot be measured, once, and keeps the others in todo
 * (*m shrinks); *recorded counts them. */
static int record_unconfigured(struct nightly *ng, size_t *todo, size_t *m, size_t *recorded)
{
	size_t keep = 0;
	int rc = 0;
	for (size_t i = 0; i < *m && rc == 0; i++) {
		const struct bg_commit *c = &ng->walk[todo[i]];
		int has = bg_git_has_file(ng->app->repo, c, "bitgate.json");
		if (has > 0) {
			todo[keep++] = todo[i];
		} else if ((rc = has) == 0) {
			struct bg_subject s;
			rc = bg_engine_record_unconfigured(ng->app, &s, c, &ng->o->eo);
			bg_subject_clear(&s);
			(*recorded)++;
		}
	}
	*m = keep;
	return rc;
}

/* Which commits of the walk to measure now (*sel, indices into walk, newest first; *k of
 * them): those with no nightly run on this machine and a bitgate.json, chosen by
 * bg_nightly_choose. */
static int pending(struct nightly *ng, size_t **sel, size_t *k)
{
	size_t nw = ng->nw;
	const char **shas = malloc((nw ? nw : 1) * sizeof(*shas));
	int *state = malloc((nw ? nw : 1) * sizeof(*state));
	size_t *todo = malloc((nw ? nw : 1) * sizeof(*todo));
	size_t *pick = *sel = malloc((nw ? nw : 1) * sizeof(*pick));
	int rc = !shas || !state || !todo || !pick ? bg_error_oom() : 0;
	for (size_t i = 0; rc == 0 && i < nw; i++)
		shas[i] = ng->walk[i].sha;
	if (rc == 0)
		rc = bg_db_commits_measured(ng->app->db, ng->app->machine_id, "nightly", 0, shas,
					    nw, state);
	size_t m = 0, broken = 0;
	for (size_t i = 0; rc == 0 && i < nw; i++) {
		if (state[i] == BG_COMMIT_UNMEASURED)
			todo[m++] = i;
		broken += state[i] == BG_COMMIT_UNMEASURABLE;
	}
	if (rc == 0)
		rc = record_unconfigured(ng, todo, &m, &broken);
	*k = rc == 0 ? bg_nightly_choose(m, (size_t)ng->o->max_commits, pick) : 0;
	for (size_t j = 0; j < *k; j++)
		pick[j] = todo[pick[j]];
	free(shas);
	free(state);
	free(todo);
	if (rc == 0)
		bg_log_info("%s: %zu first-parent commits, %zu measured, %zu cannot be (they do "
			    "not build or have no usable bitgate.json), %zu new; measuring %zu",
			    ng->branch, nw, nw - m - broken, broken, m, *k);
	return rc;
}

/* Measures the k commits sel names. A commit that does not build or whose bitgate.json is
 * unusable is recorded (and not retried); one that fails otherwise makes the status 3; an
 * error of bitgate's own or an interruption stops the nightly (what was measured is kept). */
static void measure(struct nightly *ng, const size_t *sel, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		const struct bg_commit *c = &ng->walk[sel[j]];
		struct bg_subject subj;
		memset(&subj, 0, sizeof(subj));
		bg_progress_prefix("[%zu/%zu %.10s]", j + 1, k, c->sha);
		bg_progress_start();
		bg_log_info("[%zu/%zu] %.10s %s", j + 1, k, c->sha, c->subject ? c->subject : "");
		int rc = bg_engine_run_one(ng->app, &subj, c, &ng->o->eo);
		int unmeasurable = !strcmp(subj.status, "build-failed") ||
				   !strcmp(subj.status, "config-error");
		if (subj.failed && !unmeasurable) {
			bg_log_error("%.10s: %s", c->sha, subj.error ? subj.error : subj.status);
			ng->status = BG_EXIT_INFRA;
		} else if (subj.failed) {
			bg_log_info("%.10s cannot be measured (%s): recorded, not retried", c->sha,
				    subj.status);
		}
		bg_subject_clear(&subj);
		if (rc < 0 || bg_interrupted(NULL)) {
			if (rc == BG_EINTR || bg_interrupted(NULL))
				bg_log_error("interrupted: what was measured is kept");
			else
				bg_log_error("%s", bg_error_last());
			ng->status = BG_EXIT_INFRA;
			ng->stopped = 1;
			return;
		}
	}
	bg_progress_clear();
}

/* The analysis, and with o->bisect the bisects of the open regressions and, when any was
 * bisected, the analysis again: the bisect runs are points of their series now, so the
 * ranges narrow. */
static int analyse_and_bisect(struct nightly *ng)
{
	int rc = analyse(ng->app, ng->walk, ng->nw, &ng->nc, &ng->an);
	if (rc < 0 || !ng->o->bisect)
		return rc;
	size_t bisected = 0;
	rc = bisect_open(ng->app, ng->walk, ng->nw, &ng->nc, &ng->o->eo, &bisected, &ng->status);
	if (rc == BG_EINTR || bg_interrupted(NULL)) {
		bg_log_error("interrupted while bisecting: what was measured is kept");
		ng->status = BG_EXIT_INFRA;
		ng->stopped = 1;
		return 0;
	}
	if (rc < 0 || !bisected)
		return rc;
	analysis_clear(&ng->an);
	return analyse(ng->app, ng->walk, ng->nw, &ng->nc, &ng->an);
}

/* Where the site goes: o->site_dir, else <state dir>/site. */
static int site_dir(struct nightly *ng, const char **dir)
{
	*dir = ng->o->site_dir;
	if (*dir)
		return 0;
	size_t len = strlen(ng->app->state_dir) + 8;
	if (!(ng->site_owned = malloc(len)))
		return bg_error_oom();
	snprintf(ng->site_owned, len, "%s/site", ng->app->state_dir);
	*dir = ng->site_owned;
	return 0;
}

int bg_nightly_run(struct bg_app *app, const struct bg_nightly_opts *o, int *status)
{
	struct nightly ng = {.app = app, .o = o};
	size_t *sel = NULL, k = 0;
	const char *dir = NULL;
	int rc = resolve(&ng);
	if (rc == 0)
		rc = pending(&ng, &sel, &k);
	if (rc == 0) {
		bg_signals_install();
		measure(&ng, sel, k);
	}
	free(sel);
	if (rc == 0 && !ng.stopped && (rc = site_dir(&ng, &dir)) == 0)
		rc = analyse_and_bisect(&ng);
	if (rc == 0 && !ng.stopped)
		rc = render(app, ng.walk, ng.nw, &ng.nc, &ng.an, dir, o->png, ng.branch);
	if (rc < 0)
		bg_progress_clear();
	*status = ng.status;
	nightly_clear(&ng);
	return rc;
}
