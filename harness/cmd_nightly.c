/* bitgate nightly: measure the branch's new first-parent commits, find change points in every
 * series, store the regressions, and render the static dashboard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_app.h"
#include "bg_bisect.h"
#include "bg_buf.h"
#include "bg_cmds.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_hash.h"
#include "bg_log.h"
#include "bg_nightly_config.h"
#include "bg_proc.h"
#include "bg_site.h"
#include "bg_stats.h"
#include "bg_trend.h"

static const struct bg_cmd_info info = {
	"nightly",
	"bitgate nightly [options]",
	"Measures the first-parent commits of a branch that have no complete nightly run on this\n"
	"machine (the newest first; when more than --max-commits wait, the rest are spread\n"
	"evenly over them), stores every sample, then finds the change points of every series\n"
	"(E-Divisive means over each commit's median), stores the regressions with their\n"
	"commit range and size, and writes the static dashboard (index, one page per series,\n"
	"gnuplot plots). A second run with nothing new measures nothing.",
	"A regression is a lasting shift to slower by at least the threshold (nightly.threshold\n"
	"in bitgate.json, else gates.perf.threshold, else 3%) whose interval agrees. One that a\n"
	"later shift undoes is shown fixed; one listed in bitgate.json's \"acknowledge\"\n"
	"(series glob, first bad commit, reason) is shown acknowledged. A commit that does not\n"
	"build is recorded (and not retried); the dashboard skips it. With --bisect, each open\n"
	"regression not bisected yet whose range holds several commits (the nightly measured\n"
	"a spread) is bisected (see bitgate bisect): the first bad commit becomes its\n"
	"suspect, the bisect's runs become points of the series, and the analysis runs again\n"
	"so the range narrows to it. A regression the analysis no longer finds over the same\n"
	"commits is removed; one whose range moved keeps its identity and suspect.\n\n"
	"exit status: 0 done (whatever the dashboard shows); 2 bad usage, an unknown branch or an\n"
	"unusable bitgate.json; 3 a commit could not be measured for another reason than its\n"
	"build, the site could not be written, or bitgate was interrupted.\n\n"
	"examples:\n"
	"  bitgate nightly --site public/\n"
	"  bitgate nightly --max-commits 0 --site public/    (analyse and render only)\n"
	"  bitgate nightly --max-commits 20 --bisect\n",
};

/* Which of the m unmeasured commits (oldest first) to measure, at most max: the newest, then
 * the others spread evenly from the oldest. Writes indices into pick, newest first. */
static size_t choose(size_t m, size_t max, size_t *pick)
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

/* A file-name-safe, stable key for a series: its name in [a-z0-9-], cut, and the start of
 * the name's SHA-256 so two names that slug alike still differ. */
static void series_key(char *out, size_t cap, const char *name)
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
		ptrdiff_t og = bg_commit_index(line, n, o->good_sha), ob = bg_commit_index(line, n, o->bad_sha);
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
			struct bg_regression_rec *o =
				match_old(line, n, w, psha[at], bg_commit_index(line, n, psha[at - 1]),
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
				.index = at, .rel = t->cp.rel, .lo = t->cp.ci.lo - 1,
				.hi = t->cp.ci.hi - 1,
				.state = t->kind == BG_TREND_IMPROVEMENT ? "improvement" : "neutral"};
			continue;
		}
		struct bg_regression_rec r = {
			.id = ids[c], .machine_id = app->machine_id, .benchmark = w->benchmark,
			.params = w->params, .metric = w->metric, .mode = w->mode,
			.good_sha = (char *)psha[at - 1], .bad_sha = (char *)psha[at],
			.rel = t->cp.rel, .lo = t->cp.ci.lo - 1, .hi = t->cp.ci.hi - 1,
			.p = t->cp.p, .state = (char *)t->state, .reason = (char *)t->reason,
			.fixed_sha = t->fixed_index != (size_t)-1 ? (char *)psha[t->fixed_index]
								  : NULL};
		rc = bg_db_regression_put(app->db, &r);
		v->changes[v->n_changes++] = (struct bg_site_change){
			.index = at, .rel = t->cp.rel, .lo = t->cp.ci.lo - 1, .hi = t->cp.ci.hi - 1,
			.state = t->state, .reason = t->reason};
	}
	free(ids);
	return rc;
}

/* Change points of every series along line (oldest first); regressions stored. */
static int analyse(struct bg_app *app, const struct bg_commit *line, size_t n,
		   const struct bg_nightly_config *nc, struct analysis *a)
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
		time_t t = (time_t)line[i].time;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(a->dates[i], sizeof(a->dates[i]), "%Y-%m-%d", &tm);
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
	/* what earlier nightlies stored, to be kept, moved or removed */
	struct bg_regression_rec *old = NULL;
	size_t n_old = 0;
	if ((rc = bg_db_regression_list(app->db, app->machine_id, &old, &n_old)) < 0)
		return rc;
	struct bg_cp_opts cpo;
	bg_cp_opts_default(&cpo);
	cpo.seed = 20261124; /* fixed: the dashboard repeats itself for the same data */
	/* 999 permutations: with 199, p < 0.01 needs no shuffle at all to reach the observed
	 * statistic, which a short series (a dozen commits) misses by chance about half the
	 * time even for a clean 10% step */
	cpo.permutations = 999;
	for (size_t s = 0; s < a->n_walk; s++) {
		const struct bg_walk_series *w = &a->walk[s];
		struct series_view *v = &a->views[s];
		bg_trend_series_name(v->name, sizeof(v->name), w->benchmark, w->params, w->mode);
		series_key(v->key, sizeof(v->key), v->name);
		size_t np = w->n_points;
		double *med = malloc((np ? np : 1) * sizeof(double));
		const char **psha = malloc((np ? np : 1) * sizeof(*psha));
		v->points = calloc(np ? np : 1, sizeof(*v->points));
		if (!med || !psha || !v->points) {
			free(med);
			free(psha);
			rc = bg_error_oom();
			break;
		}
		for (size_t i = 0; i < np; i++) {
			const struct bg_walk_point *p = &w->points[i];
			med[i] = bg_stats_median(p->samples, p->n);
			psha[i] = line[p->pos].sha;
			v->points[i] = (struct bg_site_point){
				.sha = line[p->pos].sha, .date = a->dates[p->pos],
				.subject = line[p->pos].subject, .samples = p->samples, .n = p->n,
				.median = med[i]};
		}
		struct bg_trend_change *ch = NULL;
		size_t nch = 0;
		rc = bg_trend_analyse(med, psha, np, v->name, nc->acks, nc->n_acks, nc->threshold,
				      &cpo, &ch, &nch);
		if (rc == 0 && nch && !(v->changes = calloc(nch, sizeof(*v->changes))))
			rc = bg_error_oom();
		if (rc == 0)
			rc = store_regressions(app, line, n, w, psha, ch, nch, old, n_old, v);
		free(ch);
		free(med);
		free(psha);
		if (rc < 0)
			break;
		a->series[s] = (struct bg_site_series){
			.key = v->key, .benchmark = w->benchmark, .params = w->params,
			.metric = w->metric, .mode = w->mode, .machine = app->machine.cpu,
			.unit_label = !strcmp(w->metric, "ns") ? "ns per iteration" : w->metric,
			.points = v->points, .n_points = np, .changes = v->changes,
			.n_changes = v->n_changes};
	}
	/* a regression stored before whose commits the analysis covered, and which it no
	 * longer finds (the noise that made it is outweighed now): gone */
	for (size_t k = 0; rc == 0 && k < n_old; k++)
		if (old[k].id && bg_commit_index(line, n, old[k].good_sha) >= 0 &&
		    bg_commit_index(line, n, old[k].bad_sha) >= 0)
			rc = bg_db_regression_delete(app->db, old[k].id);
	bg_db_regression_list_free(old, n_old);
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
		ptrdiff_t pg = bg_commit_index(line, n, g->good_sha), pb = bg_commit_index(line, n, g->bad_sha);
		if (strcmp(g->state, "detected") || g->suspect_sha || pg < 0 || pb - pg < 2)
			continue;
		char name[256];
		bg_trend_series_name(name, sizeof(name), g->benchmark, g->params, g->mode);
		bg_log_info("bisecting %s: %td commits between %.10s and %.10s", name, pb - pg,
			    g->good_sha, g->bad_sha);
		struct bg_bisect_opts o = {
			.bench = g->benchmark, .params = g->params, .mode = g->mode,
			.good = g->good_sha, .bad = g->bad_sha, .threshold = nc->threshold,
			.cut = -1, .repetitions = eo->repetitions, .retries = 2, .jobs = eo->jobs,
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
	struct bg_site_regression *sr = calloc(nregs ? nregs : 1, sizeof(*sr));
	char(*names)[256] = calloc(nregs ? nregs : 1, sizeof(*names));
	char(*keys)[128] = calloc(nregs ? nregs : 1, sizeof(*keys));
	if (!sr || !names || !keys) {
		rc = bg_error_oom();
		goto done;
	}
	for (size_t i = 0; i < nregs; i++) {
		const struct bg_regression_rec *r = &regs[i];
		bg_trend_series_name(names[i], sizeof(names[i]), r->benchmark, r->params, r->mode);
		series_key(keys[i], sizeof(keys[i]), names[i]);
		ptrdiff_t g = bg_commit_index(line, n, r->good_sha), b = bg_commit_index(line, n, r->bad_sha);
		ptrdiff_t sp = bg_commit_index(line, n, r->suspect_sha);
		sr[i] = (struct bg_site_regression){
			.series_key = keys[i], .benchmark = names[i], .mode = r->mode,
			.machine = app->machine.cpu, .good_sha = r->good_sha, .bad_sha = r->bad_sha,
			.commits_in_range = g >= 0 && b > g ? (int)(b - g) : -1, .rel = r->rel,
			.lo = r->lo, .hi = r->hi, .suspect_sha = r->suspect_sha,
			.suspect_subject = sp >= 0 ? line[sp].subject : NULL, .state = r->state,
			.reason = r->reason};
	}
	char title[160], when[64];
	snprintf(title, sizeof(title), "bitgate nightly: %s", branch);
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
	struct bg_site site = {.title = title, .repo = app->workdir, .commit_url = nc->commit_url,
			       .generated = when, .series = a->series, .n_series = a->n_walk,
			       .regressions = sr, .n_regressions = nregs};
	struct bg_site_opts so = {.png = png};
	struct bg_site_stats st;
	bg_progress_clear();
	bg_log_info("rendering %zu series and %zu regressions into %s", a->n_walk, nregs, dir);
	if ((rc = bg_site_write(&site, dir, &so, &st)) < 0)
		goto done;
	size_t open = 0;
	for (size_t i = 0; i < nregs; i++)
		open += !strcmp(regs[i].state, "detected");
	printf("nightly: %zu commits on %s, %zu series, %zu regressions (%zu open); site %s "
	       "(%zu pages, %zu plots%s%s) in %.1f s\n",
	       n, branch, a->n_walk, nregs, open, dir, st.pages, st.plots,
	       st.plot_error[0] ? "; plots missing: " : "", st.plot_error, st.seconds);
	for (size_t i = 0; i < nregs; i++)
		if (!strcmp(regs[i].state, "detected"))
			printf("  regression %s: %+.1f%% [%+.1f%%, %+.1f%%] between %.10s and %.10s\n",
			       names[i], 100 * regs[i].rel, 100 * regs[i].lo, 100 * regs[i].hi,
			       regs[i].good_sha, regs[i].bad_sha);
done:
	free(sr);
	free(names);
	free(keys);
	bg_db_regression_list_free(regs, nregs);
	return rc;
}

int cmd_nightly(struct bg_app *app, int argc, char **argv)
{
	const char *branch = NULL, *site_dir = NULL;
	int max_commits = 5, depth = 1000, tests = 1, png = 0, bisect = 0;
	struct bg_engine_opts eo = {.kind = "nightly", .repetitions = 3, .tests = 1, .pin_cpu = -1};
	const struct bg_opt opts[] = {
		{"branch", 'b', BG_OPT_STR, &branch, "NAME",
		 "the branch to follow (default: bitgate.json's default_branch, else main)"},
		{"max-commits", 'm', BG_OPT_INT, &max_commits, "N",
		 "new commits to measure in this run (default 5; 0: none, only --bisect measures)"},
		{"depth", 0, BG_OPT_INT, &depth, "N",
		 "first-parent commits the dashboard covers, newest back (default 1000)"},
		{"site", 0, BG_OPT_STR, &site_dir, "DIR",
		 "where the dashboard goes (default .bitgate/site)"},
		{"png", 0, BG_OPT_FLAG, &png, NULL, "PNG plots too (SVG always)"},
		{"bisect", 0, BG_OPT_FLAG, &bisect, NULL,
		 "bisect each open regression whose range holds several commits (see bitgate "
		 "bisect)"},
		{"repetitions", 'n', BG_OPT_INT, &eo.repetitions, "N",
		 "bench rounds stored per commit (default 3)"},
		{"tests", 0, BG_OPT_NEGFLAG, &tests, NULL, "run the test suites (default: on)"},
		{"jobs", 'j', BG_OPT_INT, &eo.jobs, "N", "{jobs} for the build (default: CPUs)"},
		{"pin", 0, BG_OPT_INT, &eo.pin_cpu, "CPU", "pin the bench process to one CPU"},
		{NULL, 0, BG_OPT_END, NULL, NULL, NULL},
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return bg_cli_exit_status(rc);
	free(pos);
	if (npos)
		return bg_cli_usage_error(&info, "no arguments expected (see --branch)");
	if (max_commits < 0 || max_commits > 100000)
		return bg_cli_usage_error(&info, "--max-commits %d: expected 0..100000", max_commits);
	if (depth < 1 || depth > 1000000)
		return bg_cli_usage_error(&info, "--depth %d: expected 1..1000000", depth);
	if (eo.repetitions < 1 || eo.repetitions > 1000)
		return bg_cli_usage_error(&info, "--repetitions %d: expected 1..1000",
					  eo.repetitions);
	eo.tests = tests;

	int status = bg_app_setup(app);
	if (status)
		return status;
	struct bg_commit head = {0}, tip = {0};
	struct bg_config *cfg = NULL;
	struct bg_nightly_config nc = {0};
	struct bg_commit *line = NULL;
	size_t n = 0;
	struct analysis an = {0};
	char *site_default = NULL, *branch_owned = NULL;
	if ((rc = bg_app_machine(app)) < 0)
		goto fail;
	if (!branch) { /* the default branch, as HEAD's bitgate.json names it */
		if ((rc = bg_git_resolve(app->repo, "HEAD", &head)) < 0 ||
		    (rc = bg_engine_load_config(app, &head, NULL, &cfg)) < 0)
			goto fail;
		/* owned: the configuration it came from is freed below */
		if (!(branch_owned = bg_strdup(cfg->default_branch))) {
			rc = bg_error_oom();
			goto fail;
		}
		branch = branch_owned;
	}
	if ((rc = bg_git_resolve(app->repo, branch, &tip)) < 0)
		goto fail;
	if (cfg) {
		bg_config_free(cfg);
		cfg = NULL;
	}
	if ((rc = bg_engine_load_config(app, &tip, NULL, &cfg)) < 0 ||
	    (rc = bg_nightly_config_read(cfg, &nc)) < 0 ||
	    (rc = bg_git_range(app->repo, NULL, tip.sha, 1, &line, &n)) < 0)
		goto fail;
	size_t first = n > (size_t)depth ? n - (size_t)depth : 0;
	const struct bg_commit *walk = line + first;
	size_t nw = n - first;

	/* which commits wait to be measured */
	const char **shas = malloc((nw ? nw : 1) * sizeof(*shas));
	int *state = malloc((nw ? nw : 1) * sizeof(*state));
	size_t *todo = malloc((nw ? nw : 1) * sizeof(*todo));
	size_t *pick = malloc((nw ? nw : 1) * sizeof(*pick));
	if (!shas || !state || !todo || !pick) {
		free(shas), free(state), free(todo), free(pick);
		rc = bg_error_oom();
		goto fail;
	}
	for (size_t i = 0; i < nw; i++)
		shas[i] = walk[i].sha;
	rc = bg_db_commits_measured(app->db, app->machine_id, "nightly", 0, shas, nw, state);
	size_t m = 0, broken = 0;
	for (size_t i = 0; rc == 0 && i < nw; i++) {
		if (state[i] == BG_COMMIT_UNMEASURED)
			todo[m++] = i;
		broken += state[i] == BG_COMMIT_BUILD_FAILED;
	}
	size_t k = rc == 0 ? choose(m, (size_t)max_commits, pick) : 0;
	free(shas);
	free(state);
	if (rc < 0) {
		free(todo), free(pick);
		goto fail;
	}
	bg_log_info("%s: %zu first-parent commits, %zu measured, %zu do not build, %zu new; "
		    "measuring %zu", branch, nw, nw - m - broken, broken, m, k);

	/* measure */
	bg_signals_install();
	status = BG_EXIT_OK;
	for (size_t j = 0; j < k; j++) {
		const struct bg_commit *c = &walk[todo[pick[j]]];
		struct bg_subject subj;
		memset(&subj, 0, sizeof(subj));
		bg_progress_prefix("[%zu/%zu %.10s]", j + 1, k, c->sha);
		bg_progress_start();
		bg_log_info("[%zu/%zu] %.10s %s", j + 1, k, c->sha, c->subject ? c->subject : "");
		rc = bg_engine_run_one(app, &subj, c, &eo);
		if (subj.failed && strcmp(subj.status, "build-failed")) {
			bg_log_error("%.10s: %s", c->sha, subj.error ? subj.error : subj.status);
			status = BG_EXIT_INFRA;
		} else if (subj.failed) {
			bg_log_info("%.10s does not build: recorded, not retried", c->sha);
		}
		bg_subject_clear(&subj);
		if (rc < 0 || bg_interrupted(NULL)) {
			free(todo), free(pick);
			if (rc == BG_EINTR || bg_interrupted(NULL))
				bg_log_error("interrupted: what was measured is kept");
			else
				bg_log_error("%s", bg_error_last());
			rc = 0;
			status = BG_EXIT_INFRA;
			goto out;
		}
	}
	free(todo);
	free(pick);
	bg_progress_clear();

	/* analyse and render */
	if (!site_dir) {
		size_t len = strlen(app->state_dir) + 8;
		if (!(site_default = malloc(len))) {
			rc = bg_error_oom();
			goto fail;
		}
		snprintf(site_default, len, "%s/site", app->state_dir);
		site_dir = site_default;
	}
	if ((rc = analyse(app, walk, nw, &nc, &an)) < 0)
		goto fail;
	if (bisect) {
		size_t bisected = 0;
		rc = bisect_open(app, walk, nw, &nc, &eo, &bisected, &status);
		if (rc == BG_EINTR || bg_interrupted(NULL)) {
			bg_log_error("interrupted while bisecting: what was measured is kept");
			rc = 0;
			status = BG_EXIT_INFRA;
			goto out;
		}
		if (rc < 0)
			goto fail;
		/* the bisect runs are points of their series now: the ranges narrow */
		if (bisected) {
			analysis_clear(&an);
			if ((rc = analyse(app, walk, nw, &nc, &an)) < 0)
				goto fail;
		}
	}
	if ((rc = render(app, walk, nw, &nc, &an, site_dir, png, branch)) < 0)
		goto fail;
	goto out;
fail:
	bg_progress_clear();
	status = bg_app_fail(rc);
out:
	analysis_clear(&an);
	free(site_default);
	free(branch_owned);
	bg_nightly_config_clear(&nc);
	bg_config_free(cfg);
	bg_commit_list_free(line, n);
	bg_commit_clear(&head);
	bg_commit_clear(&tip);
	return status;
}
