/* The comparison engine (see bg_compare.h). */
#include "bg_compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_gate_config.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_report.h"
#include "bg_rules.h"
#include "bg_stats.h"

enum { SIDE_BASE, SIDE_HEAD, SIDE_STRICT, N_SIDES };
static const char *const side_label[N_SIDES] = {"base", "head", "head-strict"};

/* The base when none is given: the merge-base of the default branch and the head. */
static int default_base(struct bg_app *app, const struct bg_commit *head, const char *branch,
			struct bg_commit *out)
{
	const char *h = head->worktree ? "HEAD" : head->sha;
	char remote[300];
	int rc = bg_git_merge_base(app->repo, branch, h, out);
	if (rc == BG_ENOTFOUND) {
		/* a CI checkout often has only the remote-tracking branch */
		snprintf(remote, sizeof(remote), "origin/%s", branch);
		bg_error_clear();
		rc = bg_git_merge_base(app->repo, remote, h, out);
	}
	if (rc < 0)
		bg_error_wrap("the default base (merge-base of '%s' and the head; give --base)",
			      branch);
	return rc;
}

/* A run's level for the noise floor: the same statistic the comparison reads, the
 * configured quantile of all the run's samples (see bg_stats_quantile_ratio_test). */
static double run_level(const struct bg_history_point *h, double q)
{
	return bg_stats_quantile(h->samples, h->n, q);
}

/* Noise floor of a series: the noise_quantile of |change| between consecutive earlier
 * runs' levels (run_level) on this machine; -1 when there are fewer than 3 earlier runs. */
static double noise_floor(struct bg_app *app, const struct bg_gate_config *g,
			  const struct bg_result_rec *r, int64_t before)
{
	if (g->history <= 0)
		return -1;
	struct bg_history_point *h = NULL;
	size_t n = 0;
	if (bg_db_series_history(app->db, app->machine_id, r->benchmark, r->params, r->metric,
				 r->mode, before, (size_t)g->history, &h, &n) < 0) {
		bg_log_warn("%s", bg_error_last());
		return -1;
	}
	double floor = -1;
	if (n >= 3) {
		double *ch = malloc(n * sizeof(double));
		if (ch) {
			size_t m = 0;
			double prev = run_level(&h[0], g->quantile);
			for (size_t i = 1; i < n; i++) {
				double cur = run_level(&h[i], g->quantile);
				if (prev > 0 && cur > 0)
					ch[m++] = fabs(cur / prev - 1);
				prev = cur;
			}
			if (m >= 2)
				floor = bg_stats_quantile(ch, m, g->noise_quantile);
			free(ch);
		}
	}
	bg_db_history_free(h, n);
	return floor;
}

static const struct bg_result_rec *find_row(const struct bg_result_rec *v, size_t n,
					    const struct bg_result_rec *like, const char *mode)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].benchmark, like->benchmark) &&
		    !strcmp(v[i].params, like->params) && !strcmp(v[i].metric, like->metric) &&
		    !strcmp(v[i].mode, mode))
			return &v[i];
	return NULL;
}

static void fill_series(struct bg_cmp_series *s, const struct bg_result_rec *b,
			const struct bg_result_rec *h, const char *mode)
{
	const struct bg_result_rec *any = h ? h : b;
	memset(s, 0, sizeof(*s));
	s->benchmark = any->benchmark;
	s->params = any->params;
	s->mode = mode;
	if (b && !b->skipped) {
		s->base = b->samples;
		s->base_round = b->rounds;
		s->nb = b->n;
		s->kernel_base = b->kernel;
	}
	if (h && !h->skipped) {
		s->head = h->samples;
		s->head_round = h->rounds;
		s->nh = h->n;
		s->kernel_head = h->kernel;
		s->checked_head = h->checked;
	} else {
		s->checked_head = -1;
	}
	s->skipped_head = h ? h->skipped : NULL;
	s->elements = any->elements;
	s->noise_floor = -1;
}

/* Kernel IDs of a side, comma-separated and unique, from its results. */
static char *kernels_of(const struct bg_result_rec *v, size_t n)
{
	struct bg_buf b = BG_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].kernel || v[i].skipped)
			continue;
		/* a result may already list several ("avx2,ref") */
		char *copy = bg_strdup(v[i].kernel), *save = NULL;
		for (char *k = copy ? strtok_r(copy, ",", &save) : NULL; k;
		     k = strtok_r(NULL, ",", &save)) {
			int seen = 0;
			for (const char *p = b.ptr; p && (p = strstr(p, k)); p += strlen(k))
				if ((p == b.ptr || p[-1] == ',') &&
				    (p[strlen(k)] == ',' || !p[strlen(k)]))
					seen = 1;
			if (!seen)
				bg_buf_printf(&b, "%s%s", b.len ? "," : "", k);
		}
		free(copy);
	}
	return b.len ? bg_buf_detach(&b) : NULL;
}

static char *describe_machine(const struct bg_machine_rec *m)
{
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_printf(&b, "%s, %d CPUs, %.1f GiB, %s%s%s [%.16s]", m->cpu ? m->cpu : "?", m->cores,
		      (double)m->mem_bytes / (1024.0 * 1024 * 1024), m->os ? m->os : "?",
		      m->gpu ? ", " : "", m->gpu ? m->gpu : "",
		      m->fingerprint ? m->fingerprint : "");
	return bg_buf_detach(&b);
}

static int commands_of(struct bg_decision *d, const struct bg_compare_opts *o,
		       const struct bg_subject *head)
{
	int rc = 0;
	if (o->command)
		rc = bg_strv_push(&d->commands, &d->n_commands, o->command);
	const struct bg_config *cfg = head->cfg;
	char line[2048];
	for (size_t i = 0; cfg && !rc && i < cfg->n_build; i++) {
		bg_argv_format(cfg->build[i].argv, line, sizeof(line));
		struct bg_buf b = BG_BUF_INIT;
		bg_buf_printf(&b, "build %s: %s", cfg->build[i].name, line);
		rc = bg_strv_push(&d->commands, &d->n_commands, bg_buf_cstr(&b));
		bg_buf_free(&b);
	}
	if (cfg && !rc) {
		bg_argv_format(cfg->bench.argv, line, sizeof(line));
		struct bg_buf b = BG_BUF_INIT;
		bg_buf_printf(&b,
			      "bench (each round, each side; strict side with "
			      "BITNET_STRICT_MODE=1): %s",
			      line);
		rc = bg_strv_push(&d->commands, &d->n_commands, bg_buf_cstr(&b));
		bg_buf_free(&b);
	}
	for (size_t i = 0; cfg && !rc && i < cfg->n_tests; i++) {
		bg_argv_format(cfg->tests[i].step.argv, line, sizeof(line));
		struct bg_buf b = BG_BUF_INIT;
		bg_buf_printf(&b, "tests %s: %s", cfg->tests[i].step.name, line);
		rc = bg_strv_push(&d->commands, &d->n_commands, bg_buf_cstr(&b));
		bg_buf_free(&b);
	}
	return rc;
}

static int fill_side(struct bg_side *side, const struct bg_subject *s,
		     const struct bg_result_rec *res, size_t n)
{
	side->sha = bg_strdup(s->commit->sha);
	side->subject = bg_strdup(s->commit->subject ? s->commit->subject : "");
	side->binary_hash = bg_strdup(s->build.binary_hash);
	side->kernels = kernels_of(res, n);
	side->dispatch = bg_strdup(s->dispatch);
	side->run_id = s->run_id;
	side->worktree = s->commit->worktree;
	return side->sha && side->subject ? 0 : BG_ENOMEM;
}

static char *method_text(const struct bg_gate_config *g, int rounds, int strict)
{
	struct bg_buf b = BG_BUF_INIT;
	char ql[48];
	if (g->quantile == 0.5)
		snprintf(ql, sizeof(ql), "median");
	else
		snprintf(ql, sizeof(ql), "%g%% quantile", 100 * g->quantile);
	bg_buf_printf(
		&b,
		"Base and head were built from their own trees (build cache keyed by tree id and "
		"build configuration) and run on this machine in %d interleaved rounds (A B%s, "
		"then "
		"reversed, alternating), after one warm-up run each that is not stored; every "
		"sample "
		"is stored in the database. Per benchmark, each side's time is the %s of all its "
		"samples (contention on a shared host only adds time, in bursts that slow whole "
		"processes, so the fast samples follow the code). Change = head/base - 1; 95%% "
		"interval by a percentile bootstrap that resamples whole rounds, both sides of a "
		"round together (they ran about a second apart, so a burst spanning both cancels; "
		"%d resamples, fixed seed); two-sided bootstrap p-value of no change, "
		"Holm-adjusted over the whole table (family-wise alpha %.2f). A benchmark is "
		"slower only when its adjusted p is below alpha, its interval excludes zero and "
		"its change exceeds its threshold: max(%.1f%% or the per-benchmark setting, its "
		"noise floor = the %.0fth percentile of the changes between consecutive earlier "
		"main-line runs on this machine, each run read at the same quantile, over up to %d "
		"runs). 'detectable' is the half-width of the interval: smaller changes cannot be "
		"told from noise in this run.",
		rounds, strict ? " S" : "", ql, g->bootstrap, g->alpha, 100 * g->threshold,
		100 * g->noise_quantile, g->history);
	if (strict)
		bg_buf_printf(
			&b,
			" Strict-mode overhead: head with BITNET_STRICT_MODE=1 against head "
			"without, in the same rounds; the geometric mean of the per-benchmark "
			"ratios of the %s, with a bootstrap interval over rounds; it passes "
			"when the upper end is below %.2f%%.",
			ql, 100 * g->strict_limit);
	bg_buf_puts(&b, " Gate thresholds come from the base's bitgate.json (or --config), so a "
			"change cannot loosen its own gate. A failed, missing or incomplete "
			"measurement fails its gate.");
	return bg_buf_detach(&b);
}

int bg_compare_run(struct bg_app *app, const struct bg_compare_opts *o, struct bg_decision **out,
		   int *incomplete)
{
	struct bg_commit base, head;
	memset(&base, 0, sizeof(base));
	memset(&head, 0, sizeof(head));
	struct bg_subject subj[N_SIDES];
	memset(subj, 0, sizeof(subj));
	struct bg_config *head_cfg = NULL, *gate_src = NULL;
	struct bg_gate_config g;
	bg_gate_config_defaults(&g);
	struct bg_result_rec *res[N_SIDES] = {NULL};
	size_t nres[N_SIDES] = {0};
	struct bg_test_suite **suites[2] = {NULL};
	size_t nsuites[2] = {0};
	struct bg_cmp_series *series = NULL, *strict = NULL;
	struct bg_decision *d = NULL;
	char *json = NULL, **expected = NULL, **strict_plus = NULL;
	size_t n_expected = 0, n_strict_plus = 0;
	int rc;
	*out = NULL;
	*incomplete = 0;

	/* which commits */
	if ((rc = bg_git_resolve(app->repo, o->head_rev ? o->head_rev : BG_WORKTREE, &head)) < 0)
		goto done;
	if ((rc = bg_engine_load_config(app, &head, o->config_path, &head_cfg)) < 0)
		goto done;
	if (o->base_rev)
		rc = bg_git_resolve(app->repo, o->base_rev, &base);
	else
		rc = default_base(app, &head, head_cfg->default_branch, &base);
	if (rc < 0)
		goto done;
	/* the gates come from the base: a change cannot loosen its own gate */
	if (!o->config_path && bg_engine_load_config(app, &base, NULL, &gate_src) < 0) {
		bg_log_warn("the base has no usable bitgate.json (%s); gates from the head's",
			    bg_error_last());
		gate_src = NULL;
	}
	if ((rc = bg_gate_config_read(gate_src ? gate_src : head_cfg, &g)) < 0)
		goto done;
	int rounds = o->rounds > 0 ? o->rounds : g.rounds;
	int with_strict = o->strict != 0 && g.strict;
	if (!with_strict)
		g.strict = 0;
	if ((rc = bg_app_machine(app)) < 0)
		goto done;
	int64_t started = bg_unix_time();

	/* the subjects */
	const char *kind = !strcmp(o->kind, "ci") ? "ci" : "local";
	static char *const strict_env[] = {"BITNET_STRICT_MODE=1", NULL};
	struct bg_engine_opts eo[N_SIDES];
	for (int s = 0; s < N_SIDES; s++) {
		eo[s] = (struct bg_engine_opts){
			.kind = kind,
			.label = side_label[s],
			.config_path = o->config_path,
			.repetitions = rounds,
			.filter = o->filter,
			.tests = o->tests && s != SIDE_STRICT,
			.pin_cpu = o->pin_cpu,
			.jobs = o->jobs,
			.rebuild = o->rebuild && s != SIDE_STRICT,
		};
	}
	if (o->head_env) {
		/* the strict side is the head too: it gets the same additions */
		eo[SIDE_HEAD].extra_env = o->head_env;
		for (char *const *e = o->head_env; *e && rc == 0; e++)
			rc = bg_strv_push(&strict_plus, &n_strict_plus, *e);
		if (rc == 0)
			rc = bg_strv_push(&strict_plus, &n_strict_plus, strict_env[0]);
		if (rc < 0)
			goto done;
	}
	eo[SIDE_STRICT].extra_env = strict_plus ? strict_plus : strict_env;
	eo[SIDE_STRICT].mode = "strict";
	/* the strict side runs what the head runs; the overhead uses gates.strict.filter's */
	eo[SIDE_STRICT].keep = g.strict_filter;
	const struct bg_commit *commit_of[N_SIDES] = {&base, &head, &head};
	int n_sides = with_strict ? N_SIDES : 2;
	for (int s = 0; s < n_sides; s++) {
		bg_progress_prefix("[%s %.10s]", side_label[s], commit_of[s]->sha);
		bg_progress_start();
		if ((rc = bg_subject_prepare(app, &subj[s], commit_of[s], &eo[s])) < 0)
			goto finish;
	}
	/* interleaved rounds: base head strict, then strict head base, ... */
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < n_sides; k++) {
			int s = r % 2 == 0 ? k : n_sides - 1 - k;
			bg_progress_prefix("[round %d/%d %s]", r + 1, rounds, side_label[s]);
			if ((rc = bg_subject_bench_round(app, &subj[s], r)) < 0)
				goto finish;
		}
	}
	for (int s = 0; s < 2; s++) {
		bg_progress_prefix("[%s %.10s]", side_label[s], commit_of[s]->sha);
		if ((rc = bg_subject_tests(app, &subj[s])) < 0)
			goto finish;
	}
finish:
	for (int s = 0; s < n_sides; s++) {
		int rc2 = bg_subject_finish(app, &subj[s]);
		if (rc == 0 && rc2 < 0)
			rc = rc2;
	}
	bg_progress_clear();
	if (rc < 0)
		goto done;

	/* what was measured */
	for (int s = 0; s < n_sides; s++)
		if (subj[s].run_id &&
		    (rc = bg_db_run_results(app->db, subj[s].run_id, &res[s], &nres[s])) < 0)
			goto done;
	for (int s = 0; s < 2; s++)
		if (subj[s].run_id && o->tests &&
		    (rc = bg_db_run_tests(app->db, subj[s].run_id, &suites[s], &nsuites[s])) < 0)
			goto done;

	/* series: every benchmark of either side, base against head */
	series = calloc(nres[SIDE_BASE] + nres[SIDE_HEAD] + 1, sizeof(*series));
	strict = calloc(nres[SIDE_HEAD] + 1, sizeof(*strict));
	if (!series || !strict) {
		rc = bg_error_oom();
		goto done;
	}
	size_t ns = 0, nstrict = 0;
	for (size_t i = 0; i < nres[SIDE_HEAD]; i++) {
		const struct bg_result_rec *h = &res[SIDE_HEAD][i];
		const struct bg_result_rec *b =
			find_row(res[SIDE_BASE], nres[SIDE_BASE], h, h->mode);
		if (h->skipped && (!b || b->skipped))
			continue; /* cannot run on this machine at all (no AVX-512 here): no row */
		fill_series(&series[ns], b, h, h->mode);
		series[ns++].noise_floor = noise_floor(app, &g, h, started);
		const struct bg_result_rec *st =
			find_row(res[SIDE_STRICT], nres[SIDE_STRICT], h, "strict");
		if (st && !st->skipped && !h->skipped)
			fill_series(&strict[nstrict++], h, st, "strict");
	}
	for (size_t i = 0; i < nres[SIDE_BASE]; i++) {
		const struct bg_result_rec *b = &res[SIDE_BASE][i];
		if (!find_row(res[SIDE_HEAD], nres[SIDE_HEAD], b, b->mode)) {
			fill_series(&series[ns], b, NULL, b->mode);
			series[ns++].noise_floor = -1;
		}
	}
	for (size_t i = 0; head_cfg && i < head_cfg->n_tests; i++)
		if ((rc = bg_strv_push(&expected, &n_expected, head_cfg->tests[i].step.name)) < 0)
			goto done;

	struct bg_cmp_input in = {
		.cfg = &g,
		.base = {subj[SIDE_BASE].build.ok,
			 !subj[SIDE_BASE].failed && subj[SIDE_BASE].rounds_done == (size_t)rounds,
			 subj[SIDE_BASE].error, (const struct bg_test_suite *const *)suites[0],
			 nsuites[0]},
		.head = {subj[SIDE_HEAD].build.ok,
			 !subj[SIDE_HEAD].failed && subj[SIDE_HEAD].rounds_done == (size_t)rounds,
			 subj[SIDE_HEAD].error, (const struct bg_test_suite *const *)suites[1],
			 nsuites[1]},
		.series = series,
		.n_series = ns,
		.strict_ran = with_strict && !subj[SIDE_STRICT].failed &&
			      subj[SIDE_STRICT].rounds_done == (size_t)rounds,
		.strict_error = with_strict ? subj[SIDE_STRICT].error : NULL,
		.strict = strict,
		.n_strict = nstrict,
		.tests_ran = o->tests,
		.suites_expected = (const char *const *)expected,
		.n_suites_expected = n_expected,
		.seed = o->seed,
	};
	*incomplete = !in.base.complete || !in.head.complete || (with_strict && !in.strict_ran);

	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = bg_error_oom();
		goto done;
	}
	d->kind = bg_strdup(o->kind);
	d->created = started;
	d->rounds = rounds;
	if ((rc = fill_side(&d->base, &subj[SIDE_BASE], res[SIDE_BASE], nres[SIDE_BASE])) < 0 ||
	    (rc = fill_side(&d->head, &subj[SIDE_HEAD], res[SIDE_HEAD], nres[SIDE_HEAD])) < 0)
		goto done;
	d->machine = describe_machine(&app->machine);
	d->fingerprint = bg_strdup(app->machine.fingerprint);
	d->strict.run_id = with_strict ? subj[SIDE_STRICT].run_id : 0;
	if ((rc = commands_of(d, o, &subj[SIDE_HEAD])) < 0)
		goto done;
	if ((rc = bg_gates_decide(&in, d)) < 0)
		goto done;
	d->method = method_text(&g, rounds, with_strict);
	if ((rc = bg_decision_to_json(d, &json)) < 0)
		goto done;
	rc = bg_db_decision_put(app->db, o->kind, d->base.run_id, d->head.run_id, d->strict.run_id,
				bg_conclusion_name(d->conclusion), json, &d->id);
	if (rc == 0) {
		/* the stored form carries its own id */
		free(json);
		json = NULL;
	}
done:
	if (rc == 0) {
		*out = d;
		d = NULL;
	}
	bg_decision_free(d);
	free(json);
	free(series);
	free(strict);
	for (size_t i = 0; i < n_expected; i++)
		free(expected[i]);
	free(expected);
	for (int s = 0; s < N_SIDES; s++) {
		bg_db_results_free(res[s], nres[s]);
		bg_subject_clear(&subj[s]);
	}
	for (int s = 0; s < 2; s++)
		bg_db_tests_free(suites[s], nsuites[s]);
	bg_gate_config_clear(&g);
	bg_strv_free(strict_plus);
	bg_config_free(head_cfg);
	bg_config_free(gate_src);
	bg_commit_clear(&base);
	bg_commit_clear(&head);
	return rc;
}
