/* The nightly's analysis and dashboard, shared by `bitgate nightly` (nightly.c) and `bitgate
 * site` (site.c): the change points of every series of a machine along its commits, its
 * regressions stored, and the static site of one or several machines (nightly_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_hash.h"
#include "bg_log.h"
#include "bg_nightly.h"
#include "bg_stats.h"
#include "bg_trend.h"
#include "nightly_int.h"

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
struct nightly_view {
	char name[256];
	char key[128];
	struct bg_site_point *points;
	struct bg_site_change *changes;
	size_t n_changes;
};

/* The series' key on the site: the nightly's key of its name, with the part's tag when
 * several machines share the site. */
static void part_series_key(char *out, size_t cap, const struct nightly_part *p, const char *name)
{
	bg_nightly_series_key(out, cap, name);
	if (p->tag) {
		size_t len = strlen(out);
		snprintf(out + len, cap - len, "-%s", p->tag);
	}
}

/* The analysis's half of p: everything but what the caller filled. */
static void analysis_clear(struct nightly_part *a)
{
	for (size_t i = 0; a->views && i < a->n_walk; i++) {
		free(a->views[i].points);
		free(a->views[i].changes);
	}
	free(a->views);
	free(a->series);
	free(a->dates);
	bg_db_series_walk_free(a->walk, a->n_walk);
	a->walk = NULL;
	a->n_walk = 0;
	a->views = NULL;
	a->series = NULL;
	a->dates = NULL;
}

void nightly_part_clear(struct nightly_part *p)
{
	analysis_clear(p);
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
static int store_regressions(struct bg_db *db, const struct nightly_part *p,
			     const struct bg_walk_series *w, const char **psha,
			     const struct bg_trend_change *ch, size_t nch,
			     struct bg_regression_rec *old, size_t n_old, struct nightly_view *v)
{
	const struct bg_commit *line = p->line;
	size_t n = p->n;
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
					      .machine_id = p->machine_id,
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
		rc = bg_db_regression_put(db, &r);
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
static int analysis_begin(struct bg_db *db, struct nightly_part *a)
{
	const struct bg_commit *line = a->line;
	size_t n = a->n;
	analysis_clear(a);
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
	int rc = bg_db_series_walk(db, a->machine_id, "nightly", NULL, shas, n, &a->walk,
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
static int analyse_series(struct bg_db *db, const struct bg_nightly_config *nc,
			  const struct bg_cp_opts *cpo, struct stored *st, struct nightly_part *a,
			  size_t s)
{
	const struct bg_commit *line = a->line;
	const struct bg_walk_series *w = &a->walk[s];
	struct nightly_view *v = &a->views[s];
	bg_trend_series_name(v->name, sizeof(v->name), w->benchmark, w->params, w->mode);
	part_series_key(v->key, sizeof(v->key), a, v->name);
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
		rc = store_regressions(db, a, w, psha, ch, nch, st->old, st->n_old, v);
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
		.machine = a->machine,
		.unit_label = !strcmp(w->metric, "ns") ? "ns per iteration" : w->metric,
		.points = v->points,
		.n_points = np,
		.changes = v->changes,
		.n_changes = v->n_changes};
	return 0;
}

int nightly_analyse(struct bg_db *db, struct nightly_part *a, const struct bg_nightly_config *nc)
{
	const struct bg_commit *line = a->line;
	size_t n = a->n;
	int rc = analysis_begin(db, a);
	if (rc < 0)
		return rc;
	struct stored st = {NULL, 0};
	if ((rc = bg_db_regression_list(db, a->machine_id, &st.old, &st.n_old)) < 0)
		return rc;
	struct bg_cp_opts cpo;
	nightly_cp_opts(&cpo);
	for (size_t s = 0; rc == 0 && s < a->n_walk; s++)
		rc = analyse_series(db, nc, &cpo, &st, a, s);
	/* a regression stored before whose commits the analysis covered, and which it no
	 * longer finds (the noise that made it is outweighed now): gone */
	for (size_t k = 0; rc == 0 && k < st.n_old; k++)
		if (st.old[k].id && bg_commit_index(line, n, st.old[k].good_sha) >= 0 &&
		    bg_commit_index(line, n, st.old[k].bad_sha) >= 0)
			rc = bg_db_regression_delete(db, st.old[k].id);
	bg_db_regression_list_free(st.old, st.n_old);
	return rc;
}

/* The stored regressions as the site shows them, with the names and keys they point at. */
struct site_regressions {
	struct bg_site_regression *sr;
	char (*names)[256];
	char (*keys)[128];
};

static int site_regressions(const struct nightly_part *p, const struct bg_regression_rec *regs,
			    size_t nregs, struct site_regressions *out)
{
	const struct bg_commit *line = p->line;
	size_t n = p->n;
	out->sr = calloc(nregs ? nregs : 1, sizeof(*out->sr));
	out->names = calloc(nregs ? nregs : 1, sizeof(*out->names));
	out->keys = calloc(nregs ? nregs : 1, sizeof(*out->keys));
	if (!out->sr || !out->names || !out->keys)
		return bg_error_oom();
	for (size_t i = 0; i < nregs; i++) {
		const struct bg_regression_rec *r = &regs[i];
		char *name = out->names[i], *key = out->keys[i];
		bg_trend_series_name(name, sizeof(out->names[i]), r->benchmark, r->params, r->mode);
		part_series_key(key, sizeof(out->keys[i]), p, name);
		ptrdiff_t g = bg_commit_index(line, n, r->good_sha),
			  b = bg_commit_index(line, n, r->bad_sha);
		ptrdiff_t sp = bg_commit_index(line, n, r->suspect_sha);
		out->sr[i] = (struct bg_site_regression){
			.series_key = key,
			.benchmark = name,
			.mode = r->mode,
			.machine = p->machine,
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

/* Where the samples of the site's series came from, for their CSVs: runs[s] and rounds[s]
 * hold series s's, point by point, and each point of the part's series points into them. A
 * series whose samples changed since they were read (a run recorded meanwhile) keeps no
 * origins, with a warning: its CSV has empty run and round fields. */
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

/* The SHAs of p's line, for the queries that take them (*out: free() it). */
static int line_shas(const struct nightly_part *p, const char ***out)
{
	*out = malloc((p->n ? p->n : 1) * sizeof(**out));
	if (!*out)
		return bg_error_oom();
	for (size_t i = 0; i < p->n; i++)
		(*out)[i] = p->line[i].sha;
	return 0;
}

static int site_origins(struct bg_db *db, const struct nightly_part *a, struct site_origins *o)
{
	const char **shas = NULL;
	o->runs = calloc(a->n_walk + 1, sizeof(*o->runs));
	o->rounds = calloc(a->n_walk + 1, sizeof(*o->rounds));
	o->n = a->n_walk;
	int rc = o->runs && o->rounds ? line_shas(a, &shas) : bg_error_oom();
	for (size_t s = 0; rc == 0 && s < a->n_walk; s++) {
		const struct bg_walk_series *w = &a->walk[s];
		struct bg_sample_origin *org = NULL;
		rc = bg_db_series_origins(db, a->machine_id, "nightly", w, shas, a->n, &org);
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
	struct bg_buf names;                /* with a tagged part: "suite on machine", each
					       NUL-terminated, one after another */
};

static void site_suites_free(struct site_suites *t)
{
	bg_db_suite_walk_free(t->walk, t->n);
	free(t->suites);
	free(t->points);
	bg_buf_free(&t->names);
}

/* With a tagged part, each suite named with its machine (the site has several). */
static int suite_names(const struct nightly_part *a, struct site_suites *t)
{
	if (!a->tag)
		return 0;
	size_t *at = malloc((t->n + 1) * sizeof(*at));
	int rc = at ? 0 : bg_error_oom();
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		at[i] = t->names.len;
		rc = bg_buf_printf(&t->names, "%s on %s", t->walk[i].suite, a->machine);
		if (rc == 0)
			rc = bg_buf_put(&t->names, "", 1);
	}
	for (size_t i = 0; rc == 0 && i < t->n; i++)
		t->suites[i].name = t->names.ptr + at[i];
	free(at);
	return rc;
}

static int site_suites(struct bg_db *db, const struct nightly_part *a, struct site_suites *t)
{
	const char **shas = NULL;
	int rc = line_shas(a, &shas);
	if (rc == 0)
		rc = bg_db_suite_walk(db, a->machine_id, "nightly", shas, a->n, &t->walk, &t->n);
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
				(struct bg_site_suite_point){.sha = a->line[q->pos].sha,
							     .date = a->dates[q->pos],
							     .passed = q->passed,
							     .failed = q->failed + q->errored,
							     .skipped = q->skipped};
		}
	}
	return rc == 0 ? suite_names(a, t) : rc;
}

/* What the site shows of one part beside its series: its stored regressions, where its
 * samples came from, its test suites. */
struct part_site {
	struct bg_regression_rec *regs;
	size_t nregs;
	struct site_regressions sr;
	struct site_origins origins;
	struct site_suites suites;
};

static int part_site_load(struct bg_db *db, struct nightly_part *p, struct part_site *ps)
{
	int rc = bg_db_regression_list(db, p->machine_id, &ps->regs, &ps->nregs);
	if (rc == 0)
		rc = site_regressions(p, ps->regs, ps->nregs, &ps->sr);
	if (rc == 0)
		rc = site_origins(db, p, &ps->origins);
	if (rc == 0)
		rc = site_suites(db, p, &ps->suites);
	return rc;
}

static void part_site_free(struct part_site *ps)
{
	site_origins_free(&ps->origins);
	site_suites_free(&ps->suites);
	free(ps->sr.sr);
	free(ps->sr.names);
	free(ps->sr.keys);
	bg_db_regression_list_free(ps->regs, ps->nregs);
}

/* The parts' series, regressions and suites one after another, in the parts' order, into
 * site's arrays (the caller frees them). */
static int site_assemble(const struct nightly_part *parts, const struct part_site *ps,
			 size_t nparts, struct bg_site *site)
{
	size_t ns = 0, nr = 0, nt = 0;
	for (size_t i = 0; i < nparts; i++) {
		ns += parts[i].n_walk;
		nr += ps[i].nregs;
		nt += ps[i].suites.n;
	}
	struct bg_site_series *series = calloc(ns + 1, sizeof(*series));
	struct bg_site_regression *regs = calloc(nr + 1, sizeof(*regs));
	struct bg_site_suite *suites = calloc(nt + 1, sizeof(*suites));
	site->series = series;
	site->regressions = regs;
	site->suites = suites;
	if (!series || !regs || !suites)
		return bg_error_oom();
	for (size_t i = 0; i < nparts; i++) {
		memcpy(series + site->n_series, parts[i].series, parts[i].n_walk * sizeof(*series));
		site->n_series += parts[i].n_walk;
		memcpy(regs + site->n_regressions, ps[i].sr.sr, ps[i].nregs * sizeof(*regs));
		site->n_regressions += ps[i].nregs;
		memcpy(suites + site->n_suites, ps[i].suites.suites,
		       ps[i].suites.n * sizeof(*suites));
		site->n_suites += ps[i].suites.n;
	}
	return 0;
}

/* The last lines: the headline with the counts and where the site went, then each open
 * regression (with its machine when the site has several). */
static void print_summary(const struct nightly_render_opts *ro, const struct bg_site *site,
			  const struct nightly_part *parts, const struct part_site *ps,
			  size_t nparts, const struct bg_site_stats *st)
{
	size_t open = 0;
	for (size_t i = 0; i < site->n_regressions; i++)
		open += !strcmp(site->regressions[i].state, "detected");
	printf("%s, %zu series, %zu regressions (%zu open); site %s (%zu pages, %zu plots%s%s) "
	       "in %.1f s\n",
	       ro->headline, site->n_series, site->n_regressions, open, ro->dir, st->pages,
	       st->plots, st->plot_error[0] ? "; plots missing: " : "", st->plot_error,
	       st->seconds);
	for (size_t k = 0; k < nparts; k++)
		for (size_t i = 0; i < ps[k].nregs; i++) {
			char line[512];
			if (strcmp(ps[k].regs[i].state, "detected"))
				continue;
			bg_nightly_regression_line(line, sizeof(line), ps[k].sr.names[i],
						   &ps[k].regs[i]);
			printf("%s%s%s\n", line, nparts > 1 ? " on " : "",
			       nparts > 1 ? parts[k].machine : "");
		}
}

int nightly_render(struct bg_db *db, struct nightly_part *parts, size_t nparts,
		   const struct nightly_render_opts *ro)
{
	struct part_site *ps = calloc(nparts + 1, sizeof(*ps));
	if (!ps)
		return bg_error_oom();
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nparts; i++)
		rc = part_site_load(db, &parts[i], &ps[i]);
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
	struct bg_site site = {.title = ro->title,
			       .repo = ro->repo,
			       .commit_url = ro->commit_url,
			       .generated = when};
	if (rc == 0)
		rc = site_assemble(parts, ps, nparts, &site);
	struct bg_site_opts so = {.png = ro->png};
	struct bg_site_stats st;
	if (rc == 0) {
		bg_progress_clear();
		bg_log_info("rendering %zu series and %zu regressions into %s", site.n_series,
			    site.n_regressions, ro->dir);
		if ((rc = bg_site_write(&site, ro->dir, &so, &st)) == 0)
			print_summary(ro, &site, parts, ps, nparts, &st);
	}
	free((void *)site.series);
	free((void *)site.regressions);
	free((void *)site.suites);
	for (size_t i = 0; i < nparts; i++)
		part_site_free(&ps[i]);
	free(ps);
	return rc;
}
