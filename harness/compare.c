/* The comparison engine (see bg_compare.h): bg_compare_run and its phases (compare_int.h). */
#include "bg_compare.h"
#include "compare_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bench_parse.h"
#include "bg_buf.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_gate_config.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_report.h"
#include "bg_rules.h"
#include "bg_stats.h"

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
	s->metric = any->metric;
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

char *bg_compare_kernels_of(const struct bg_result_rec *v, size_t n)
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

/* Appends "<what><name>: <argv as a command line>" to the decision's commands. */
static int push_command(struct bg_decision *d, const char *what, const char *name,
			char *const *argv)
{
	char line[2048];
	bg_argv_format(argv, line, sizeof(line));
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_printf(&b, "%s%s: %s", what, name, line);
	int rc = bg_strv_push(&d->commands, &d->n_commands, bg_buf_cstr(&b));
	bg_buf_free(&b);
	return rc;
}

static int commands_of(struct bg_decision *d, const struct bg_compare_opts *o,
		       const struct bg_subject *head)
{
	int rc = 0;
	if (o->command)
		rc = bg_strv_push(&d->commands, &d->n_commands, o->command);
	const struct bg_config *cfg = head->cfg;
	for (size_t i = 0; cfg && !rc && i < cfg->n_build; i++)
		rc = push_command(d, "build ", cfg->build[i].name, cfg->build[i].argv);
	if (cfg && !rc)
		rc = push_command(
			d,
			"bench (each round, each side; a mode's side with its environment "
			"added)",
			"", cfg->bench.argv);
	for (size_t i = 0; cfg && !rc && i < cfg->n_tests; i++)
		rc = push_command(d, "tests ", cfg->tests[i].step.name, cfg->tests[i].step.argv);
	return rc;
}

static int fill_side(struct bg_side *side, const struct bg_subject *s,
		     const struct bg_result_rec *res, size_t n)
{
	side->sha = bg_strdup(s->commit->sha);
	side->subject = bg_strdup(s->commit->subject ? s->commit->subject : "");
	side->binary_hash = bg_strdup(s->build.binary_hash);
	side->kernels = bg_compare_kernels_of(res, n);
	side->dispatch = bg_strdup(s->dispatch);
	side->run_id = s->run_id;
	side->worktree = s->commit->worktree;
	return side->sha && side->subject ? 0 : BG_ENOMEM;
}

/* " M1 M2" for the sides of the modes measured, in the order of the rounds. */
static void mode_letters(const struct bg_compare *c, char *out, size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (int s = BG_CMP_MODE0; s < c->n_sides && len < size; s++)
		len += (size_t)snprintf(out + len, size - len, " M%d", s - BG_CMP_MODE0 + 1);
}

static void method_modes(struct bg_buf *b, const struct bg_compare *c, const char *ql)
{
	for (int s = BG_CMP_MODE0; s < c->n_sides; s++) {
		const struct bg_mode_config *m = &c->g.modes[c->side_mode[s]];
		bg_buf_printf(b, " Opt-in mode M%d, %s: head with", s - BG_CMP_MODE0 + 1, m->name);
		for (size_t i = 0; i < m->n_env; i++)
			bg_buf_printf(b, " %s", m->env[i]);
		bg_buf_printf(b,
			      " against head without, in the same rounds; the geometric mean of "
			      "the per-benchmark ratios of the %s, with a bootstrap interval over "
			      "rounds; it passes when the upper end is below %.2f%%.",
			      ql, 100 * m->limit);
	}
}

static char *method_text(const struct bg_compare *c)
{
	const struct bg_gate_config *g = &c->g;
	struct bg_buf b = BG_BUF_INIT;
	char letters[8 * BG_MODES_MAX + 1];
	mode_letters(c, letters, sizeof(letters));
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
		c->rounds, letters, ql, g->bootstrap, g->alpha, 100 * g->threshold,
		100 * g->noise_quantile, g->history);
	method_modes(&b, c, ql);
	bg_buf_puts(&b, " Gate thresholds come from the base's bitgate.json (or --config), so a "
			"change cannot loosen its own gate. A failed, missing or incomplete "
			"measurement fails its gate.");
	return bg_buf_detach(&b);
}

void bg_compare_init(struct bg_compare *c, struct bg_app *app, const struct bg_compare_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->app = app;
	c->o = o;
	bg_gate_config_defaults(&c->g);
}

void bg_compare_clear(struct bg_compare *c)
{
	free(c->series);
	for (int k = 0; k < BG_MODES_MAX; k++)
		free(c->mode_series[k]);
	for (size_t i = 0; i < c->n_expected; i++)
		free(c->expected[i]);
	free(c->expected);
	for (int s = 0; s < BG_CMP_SIDES; s++) {
		bg_db_results_free(c->res[s], c->nres[s]);
		bg_subject_clear(&c->subj[s]);
	}
	for (int s = 0; s < 2; s++)
		bg_db_tests_free(c->suites[s], c->nsuites[s]);
	bg_gate_config_clear(&c->g);
	for (int s = 0; s < BG_CMP_SIDES; s++)
		bg_strv_free(c->env[s]);
	bg_config_free(c->head_cfg);
	bg_config_free(c->gate_src);
	bg_commit_clear(&c->base);
	bg_commit_clear(&c->head);
	memset(c, 0, sizeof(*c));
}

int bg_compare_resolve(struct bg_compare *c)
{
	struct bg_app *app = c->app;
	const struct bg_compare_opts *o = c->o;
	int rc = bg_git_resolve(app->repo, o->head_rev ? o->head_rev : BG_WORKTREE, &c->head);
	if (rc < 0 || (rc = bg_engine_load_config(app, &c->head, o->config_path, &c->head_cfg)) < 0)
		return rc;
	if (o->base_rev)
		return bg_git_resolve(app->repo, o->base_rev, &c->base);
	return default_base(app, &c->head, c->head_cfg->default_branch, &c->base);
}

/* Whether name is in the comma-separated list. */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return 1;
	}
	return 0;
}

/* Each name of a --modes list must be a mode the gates declare. */
static int check_mode_names(const struct bg_gate_config *g, const char *list)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		int found = 0;
		for (size_t k = 0; k < g->n_modes && !found; k++)
			found = strlen(g->modes[k].name) == n && !strncmp(p, g->modes[k].name, n);
		if (!found)
			return bg_error_set(BG_EINPUT,
					    "--modes: '%.*s' is not a mode the gates' bitgate.json "
					    "declares (gates.modes: %zu declared)",
					    (int)(n > 64 ? 64 : n), p, g->n_modes);
		p += n + (p[n] == ',');
	}
	return 0;
}

int bg_compare_choose_modes(struct bg_compare *c, const char *list)
{
	snprintf(c->label[BG_CMP_BASE], sizeof(c->label[0]), "base");
	snprintf(c->label[BG_CMP_HEAD], sizeof(c->label[0]), "head");
	c->n_sides = BG_CMP_MODE0;
	for (int s = 0; s < BG_CMP_SIDES; s++)
		c->side_mode[s] = -1;
	int none = list && !strcmp(list, "none");
	int rc = list && !none ? check_mode_names(&c->g, list) : 0;
	for (size_t k = 0; k < c->g.n_modes && rc == 0; k++) {
		const char *name = c->g.modes[k].name;
		c->mode_side[k] = -1;
		c->mode_in[k].requested = !none && (!list || listed(list, name));
		if (!c->mode_in[k].requested)
			continue;
		c->mode_side[k] = c->n_sides;
		c->side_mode[c->n_sides] = (int)k;
		snprintf(c->label[c->n_sides++], sizeof(c->label[0]), "head-%s", name);
	}
	return rc;
}

int bg_compare_choose_gates(struct bg_compare *c)
{
	const struct bg_compare_opts *o = c->o;
	/* the gates come from the base: a change cannot loosen its own gate */
	if (!o->config_path && bg_engine_load_config(c->app, &c->base, NULL, &c->gate_src) < 0) {
		bg_log_warn("the base has no usable bitgate.json (%s); gates from the head's",
			    bg_error_last());
		c->gate_src = NULL;
	}
	int rc = bg_gate_config_read(c->gate_src ? c->gate_src : c->head_cfg, &c->g);
	if (rc < 0)
		return rc;
	c->rounds = o->rounds > 0 ? o->rounds : c->g.rounds;
	return bg_compare_choose_modes(c, o->modes);
}

/* The engine options of side s: the base, the head, or the head again in a mode. */
static struct bg_engine_opts side_opts(const struct bg_compare *c, int s)
{
	const struct bg_compare_opts *o = c->o;
	int is_mode = s >= BG_CMP_MODE0;
	return (struct bg_engine_opts){
		.kind = !strcmp(o->kind, "ci") ? "ci" : "local",
		.label = c->label[s],
		.config_path = o->config_path,
		.repetitions = c->rounds,
		.filter = o->filter,
		.tests = o->tests && !is_mode,
		.pin_cpu = o->pin_cpu,
		.jobs = o->jobs,
		.rebuild = o->rebuild && !is_mode,
	};
}

int bg_compare_engine_opts(struct bg_compare *c)
{
	const struct bg_compare_opts *o = c->o;
	for (int s = 0; s < c->n_sides; s++)
		c->eo[s] = side_opts(c, s);
	c->eo[BG_CMP_HEAD].extra_env = o->head_env;
	for (int s = BG_CMP_MODE0; s < c->n_sides; s++) {
		const struct bg_mode_config *m = &c->g.modes[c->side_mode[s]];
		int rc = 0;
		/* a mode's side is the head too: it gets the head's additions, then its own */
		for (char *const *e = o->head_env; e && *e && rc == 0; e++)
			rc = bg_strv_push(&c->env[s], &c->n_env[s], *e);
		for (size_t i = 0; i < m->n_env && rc == 0; i++)
			rc = bg_strv_push(&c->env[s], &c->n_env[s], m->env[i]);
		if (rc < 0)
			return rc;
		c->eo[s].extra_env = c->env[s];
		c->eo[s].mode = m->name;
		/* it runs what the head runs; the overhead uses the mode's filter */
		c->eo[s].keep = m->filter;
	}
	return 0;
}

int bg_compare_round_side(int r, int k, int n_sides)
{
	return r % 2 == 0 ? k : n_sides - 1 - k;
}

static const struct bg_commit *commit_of(const struct bg_compare *c, int s)
{
	return s == BG_CMP_BASE ? &c->base : &c->head;
}

/* Builds every side (through the cache) and opens its run. */
static int prepare_sides(struct bg_compare *c)
{
	for (int s = 0; s < c->n_sides; s++) {
		bg_progress_prefix("[%s %.10s]", c->label[s], commit_of(c, s)->sha);
		bg_progress_start();
		int rc = bg_subject_prepare(c->app, &c->subj[s], commit_of(c, s), &c->eo[s]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Interleaved rounds: base head modes..., then the reverse, ... */
static int run_rounds(struct bg_compare *c)
{
	for (int r = 0; r < c->rounds; r++) {
		for (int k = 0; k < c->n_sides; k++) {
			int s = bg_compare_round_side(r, k, c->n_sides);
			bg_progress_prefix("[round %d/%d %s]", r + 1, c->rounds, c->label[s]);
			int rc = bg_subject_bench_round(c->app, &c->subj[s], r);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int run_tests(struct bg_compare *c)
{
	for (int s = 0; s < 2; s++) {
		bg_progress_prefix("[%s %.10s]", c->label[s], commit_of(c, s)->sha);
		int rc = bg_subject_tests(c->app, &c->subj[s]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int bg_compare_measure(struct bg_compare *c)
{
	int rc = bg_app_machine(c->app);
	if (rc < 0)
		return rc;
	c->started = bg_unix_time();
	if ((rc = prepare_sides(c)) == 0 && (rc = run_rounds(c)) == 0)
		rc = run_tests(c);
	/* every side's run is closed, complete or not, whatever stopped the others */
	for (int s = 0; s < c->n_sides; s++) {
		int rc2 = bg_subject_finish(c->app, &c->subj[s]);
		if (rc == 0 && rc2 < 0)
			rc = rc2;
	}
	bg_progress_clear();
	return rc;
}

int bg_compare_load(struct bg_compare *c)
{
	struct bg_db *db = c->app->db;
	int rc = 0;
	for (int s = 0; s < c->n_sides && rc == 0; s++)
		if (c->subj[s].run_id)
			rc = bg_db_run_results(db, c->subj[s].run_id, &c->res[s], &c->nres[s]);
	for (int s = 0; s < 2 && rc == 0; s++)
		if (c->subj[s].run_id && c->o->tests)
			rc = bg_db_run_tests(db, c->subj[s].run_id, &c->suites[s], &c->nsuites[s]);
	return rc;
}

/* Each head row against the base's, and against its twin in each mode measured. */
static void pair_head_rows(struct bg_compare *c)
{
	const struct bg_result_rec *base = c->res[BG_CMP_BASE];
	for (size_t i = 0; i < c->nres[BG_CMP_HEAD]; i++) {
		const struct bg_result_rec *h = &c->res[BG_CMP_HEAD][i];
		const struct bg_result_rec *b = find_row(base, c->nres[BG_CMP_BASE], h, h->mode);
		if (h->skipped && (!b || b->skipped))
			continue; /* cannot run on this machine at all (no AVX-512 here): no row */
		fill_series(&c->series[c->n_series], b, h, h->mode);
		c->series[c->n_series++].noise_floor = noise_floor(c->app, &c->g, h, c->started);
		for (int s = BG_CMP_MODE0; s < c->n_sides; s++) {
			struct bg_mode_input *mi = &c->mode_in[c->side_mode[s]];
			const char *name = c->g.modes[c->side_mode[s]].name;
			const struct bg_result_rec *m = find_row(c->res[s], c->nres[s], h, name);
			if (m && !m->skipped && !h->skipped)
				fill_series(&c->mode_series[c->side_mode[s]][mi->n_series++], h, m,
					    name);
		}
	}
}

int bg_compare_pair_series(struct bg_compare *c)
{
	c->series = calloc(c->nres[BG_CMP_BASE] + c->nres[BG_CMP_HEAD] + 1, sizeof(*c->series));
	if (!c->series)
		return bg_error_oom();
	for (int s = BG_CMP_MODE0; s < c->n_sides; s++) {
		int k = c->side_mode[s];
		if (!(c->mode_series[k] =
			      calloc(c->nres[BG_CMP_HEAD] + 1, sizeof(**c->mode_series))))
			return bg_error_oom();
		c->mode_in[k].series = c->mode_series[k];
	}
	pair_head_rows(c);
	/* what only the base measured */
	for (size_t i = 0; i < c->nres[BG_CMP_BASE]; i++) {
		const struct bg_result_rec *b = &c->res[BG_CMP_BASE][i];
		if (!find_row(c->res[BG_CMP_HEAD], c->nres[BG_CMP_HEAD], b, b->mode)) {
			fill_series(&c->series[c->n_series], b, NULL, b->mode);
			c->series[c->n_series++].noise_floor = -1;
		}
	}
	const struct bg_config *cfg = c->head_cfg;
	for (size_t i = 0; cfg && i < cfg->n_tests; i++) {
		int rc = bg_strv_push(&c->expected, &c->n_expected, cfg->tests[i].step.name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A side measured every round it was asked for and failed nowhere. */
static int side_complete(const struct bg_compare *c, int s)
{
	return !c->subj[s].failed && c->subj[s].rounds_done == (size_t)c->rounds;
}

static struct bg_side_status side_status(const struct bg_compare *c, int s)
{
	return (struct bg_side_status){c->subj[s].build.ok, side_complete(c, s), c->subj[s].error,
				       (const struct bg_test_suite *const *)c->suites[s],
				       c->nsuites[s]};
}

/* The head's bench format ("bitgate-bench/1" when its configuration says none). */
static const char *bench_format(const struct bg_compare *c)
{
	const struct bg_config *cfg = c->head_cfg;
	return cfg && cfg->bench_format ? cfg->bench_format : BG_FORMAT_BITGATE;
}

int bg_compare_input(struct bg_compare *c, struct bg_cmp_input *in)
{
	int incomplete = 0;
	for (int s = BG_CMP_MODE0; s < c->n_sides; s++) {
		struct bg_mode_input *mi = &c->mode_in[c->side_mode[s]];
		mi->ran = side_complete(c, s);
		mi->error = c->subj[s].error;
		incomplete |= !mi->ran;
	}
	*in = (struct bg_cmp_input){
		.cfg = &c->g,
		.base = side_status(c, BG_CMP_BASE),
		.head = side_status(c, BG_CMP_HEAD),
		.series = c->series,
		.n_series = c->n_series,
		.modes = c->mode_in,
		.n_modes = c->g.n_modes,
		.bench_format = bench_format(c),
		.format_checks = bg_bench_format_checks(bench_format(c)),
		.tests_ran = c->o->tests,
		.suites_expected = (const char *const *)c->expected,
		.n_suites_expected = c->n_expected,
		.seed = c->o->seed,
	};
	return !in->base.complete || !in->head.complete || incomplete;
}

/* The decision's evidence trail: sides, machine, commands; the gates fill the rest. */
static int fill_evidence(const struct bg_compare *c, struct bg_decision *d)
{
	const struct bg_subject *subj = c->subj;
	d->kind = bg_strdup(c->o->kind);
	d->created = c->started;
	d->rounds = c->rounds;
	int rc = fill_side(&d->base, &subj[BG_CMP_BASE], c->res[BG_CMP_BASE], c->nres[BG_CMP_BASE]);
	if (rc < 0 || (rc = fill_side(&d->head, &subj[BG_CMP_HEAD], c->res[BG_CMP_HEAD],
				      c->nres[BG_CMP_HEAD])) < 0)
		return rc;
	d->machine = describe_machine(&c->app->machine);
	d->fingerprint = bg_strdup(c->app->machine.fingerprint);
	return commands_of(d, c->o, &subj[BG_CMP_HEAD]);
}

/* Each mode's run, in the decision and as storage records it. */
static void mode_runs(const struct bg_compare *c, struct bg_decision *d, struct bg_db_mode_run *v)
{
	for (size_t k = 0; k < d->n_modes; k++) {
		int s = c->mode_side[k];
		d->modes[k].run_id = s >= 0 ? c->subj[s].run_id : 0;
		v[k] = (struct bg_db_mode_run){d->modes[k].name, d->modes[k].run_id};
	}
}

int bg_compare_decide(struct bg_compare *c, const struct bg_cmp_input *in, struct bg_decision **out)
{
	char *json = NULL;
	struct bg_db_mode_run runs[BG_MODES_MAX];
	struct bg_decision *d = calloc(1, sizeof(*d));
	if (!d)
		return bg_error_oom();
	int rc = fill_evidence(c, d);
	if (rc == 0)
		rc = bg_gates_decide(in, d);
	if (rc == 0) {
		mode_runs(c, d, runs);
		d->method = method_text(c);
		rc = bg_decision_to_json(d, &json);
	}
	if (rc == 0)
		rc = bg_db_decision_put(c->app->db, c->o->kind, d->base.run_id, d->head.run_id,
					runs, d->n_modes, bg_conclusion_name(d->conclusion), json,
					&d->id);
	free(json);
	if (rc == 0) {
		*out = d;
		d = NULL;
	}
	bg_decision_free(d);
	return rc;
}

int bg_compare_run(struct bg_app *app, const struct bg_compare_opts *o, struct bg_decision **out,
		   int *incomplete)
{
	struct bg_compare c;
	struct bg_cmp_input in;
	*out = NULL;
	*incomplete = 0;
	bg_compare_init(&c, app, o);
	int rc = bg_compare_resolve(&c);
	if (rc == 0)
		rc = bg_compare_choose_gates(&c);
	if (rc == 0)
		rc = bg_compare_engine_opts(&c);
	if (rc == 0)
		rc = bg_compare_measure(&c);
	if (rc == 0)
		rc = bg_compare_load(&c);
	if (rc == 0)
		rc = bg_compare_pair_series(&c);
	if (rc == 0) {
		*incomplete = bg_compare_input(&c, &in);
		rc = bg_compare_decide(&c, &in, out);
	}
	bg_compare_clear(&c);
	return rc;
}
