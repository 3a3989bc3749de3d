/* Gate rules (see bg_rules.h). A regression is declared only when it is significant over
 * the whole table (Mann-Whitney p-values, Holm-adjusted: the family-wise false-alarm rate
 * stays at alpha however many benchmarks there are), its bootstrap interval excludes zero,
 * and the estimated change exceeds the threshold: max(the configured threshold, the noise
 * floor the series showed between earlier runs). */
#include "bg_rules.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_stats.h"
#include "bg_trend.h"

void bg_gate_config_defaults(struct bg_gate_config *c)
{
	memset(c, 0, sizeof(*c));
	c->rounds = 5;
	c->alpha = 0.05;
	c->threshold = 0.05;
	c->test_floor = 0.999;
	c->history = 30;
	c->noise_quantile = 0.95;
	c->quantile = 0.1;
	c->bootstrap = 2000;
}

static void free_pv(struct bg_pattern_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].pattern);
	free(v);
}

void bg_mode_config_clear(struct bg_mode_config *m)
{
	free(m->name);
	for (size_t i = 0; i < m->n_env; i++)
		free(m->env[i]);
	free(m->env);
	free(m->filter);
	memset(m, 0, sizeof(*m));
}

void bg_gate_config_clear(struct bg_gate_config *c)
{
	free_pv(c->thresholds, c->n_thresholds);
	free_pv(c->floors, c->n_floors);
	free_pv(c->suite_floors, c->n_suite_floors);
	for (size_t i = 0; i < c->n_required; i++)
		free(c->required[i]);
	free(c->required);
	for (size_t i = 0; i < c->n_modes; i++)
		bg_mode_config_clear(&c->modes[i]);
	free(c->modes);
	memset(c, 0, sizeof(*c));
}

/* A NULL pattern or name matches nothing: fnmatch would dereference it. */
static int glob_match(const char *pattern, const char *name)
{
	return pattern && name && fnmatch(pattern, name, 0) == 0;
}

double bg_gate_threshold_for(const struct bg_gate_config *c, const char *benchmark)
{
	for (size_t i = 0; i < c->n_thresholds; i++)
		if (glob_match(c->thresholds[i].pattern, benchmark))
			return c->thresholds[i].value;
	return c->threshold;
}

static char *dup_or_null(const char *s, int *err)
{
	if (!s)
		return NULL;
	char *d = bg_strdup(s);
	if (!d)
		*err = BG_ENOMEM;
	return d;
}

/* A rate (GB/s, items/s) is better higher; a time, or a series without a unit, lower. */
static int higher_better(const struct bg_cmp_series *s)
{
	return s->metric && bg_trend_direction(s->metric) == BG_TREND_HIGHER_IS_BETTER;
}

/* The quantile of a series' samples that the host's contention moves least: cfg->quantile
 * of a time (its fast part), the same share from the top of a rate. */
static double fast_quantile(const struct bg_gate_config *cfg, const struct bg_cmp_series *s)
{
	return higher_better(s) ? 1 - cfg->quantile : cfg->quantile;
}

int bg_gates_row(const struct bg_gate_config *cfg, const struct bg_cmp_series *s, uint64_t seed,
		 struct bg_row *row)
{
	int err = 0;
	memset(row, 0, sizeof(*row));
	row->benchmark = dup_or_null(s->benchmark, &err);
	row->params = dup_or_null(s->params ? s->params : "", &err);
	row->mode = dup_or_null(s->mode, &err);
	row->kernel_base = dup_or_null(s->kernel_base, &err);
	row->kernel_head = dup_or_null(s->kernel_head, &err);
	if (err)
		return err;
	row->n_base = s->nb;
	row->n_head = s->nh;
	row->higher_better = higher_better(s);
	row->noise_floor = s->noise_floor;
	double thr = bg_gate_threshold_for(cfg, s->benchmark);
	row->threshold = s->noise_floor > thr ? s->noise_floor : thr;
	row->gelems_head = -1;
	row->floor_gelems = -1;
	row->base_time = row->head_time = row->change = NAN;
	row->ci_lo = row->ci_hi = row->detectable = row->hl_shift = NAN;
	row->p = row->p_adjusted = 1;
	if (!s->nb || !s->nh) {
		row->verdict = BG_VERDICT_MISSING;
		return 0;
	}
	/* Each side's time is its samples' quantile cfg->quantile (the fast part: contention on
	 * a shared host only adds time, in bursts that slow whole processes for a second or
	 * more, so the fast samples follow the code). The interval and the test resample whole
	 * rounds, both sides of a round together: base and head of a round ran a second
	 * apart, so a burst that spans both cancels in the ratio. */
	const double q = fast_quantile(cfg, s);
	row->base_time = bg_stats_quantile(s->base, s->nb, q);
	row->head_time = bg_stats_quantile(s->head, s->nh, q);
	struct bg_interval ci;
	err = bg_stats_quantile_ratio_test(s->base, s->base_round, s->nb, s->head, s->head_round,
					   s->nh, q, 0.95, cfg->bootstrap, seed, &ci, &row->p);
	if (err < 0)
		return err;
	row->change = ci.estimate - 1;
	row->ci_lo = ci.lo - 1;
	row->ci_hi = ci.hi - 1;
	row->detectable = (row->ci_hi - row->ci_lo) / 2;
	row->p_adjusted = row->p;
	row->hl_shift = bg_stats_hodges_lehmann(s->base, s->nb, s->head, s->nh);
	if (s->elements > 0 && row->head_time > 0 && !row->higher_better)
		row->gelems_head = s->elements / row->head_time;
	row->verdict = BG_VERDICT_NOISY; /* decided once the table's p-values are adjusted */
	return 0;
}

/* The verdict of a row from its adjusted p-value, interval and threshold. */
static enum bg_verdict verdict_of(const struct bg_row *r, double alpha)
{
	if (r->verdict == BG_VERDICT_MISSING)
		return BG_VERDICT_MISSING;
	int significant = r->p_adjusted < alpha && (r->ci_lo > 0 || r->ci_hi < 0);
	/* how much worse head is: a time's rise, a rate's fall */
	double worse = r->higher_better ? -r->change : r->change;
	if (significant && worse > r->threshold)
		return BG_VERDICT_SLOWER;
	if (significant && worse < -r->threshold)
		return BG_VERDICT_FASTER;
	/* the whole interval inside the threshold, or a real change too small to matter */
	if ((r->ci_lo >= -r->threshold && r->ci_hi <= r->threshold) || significant)
		return BG_VERDICT_NO_CHANGE;
	return BG_VERDICT_NOISY;
}

/* --- accumulating strings ------------------------------------------------------------- */

static int push_str(char ***v, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int push_str(char ***v, size_t *n, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return bg_strv_push(v, n, buf);
}

/* A gate's evidence, ready for its next item: "; " after the one before it, if any. */
static struct bg_buf *evidence_next(struct bg_buf *e)
{
	if (e->len)
		bg_buf_puts(e, "; ");
	return e;
}

static int add_gate(struct bg_decision *d, const char *name, enum bg_gate_status st,
		    const char *evidence)
{
	struct bg_gate *g = realloc(d->gates, (d->n_gates + 1) * sizeof(*g));
	if (!g)
		return bg_error_oom();
	d->gates = g;
	g = &d->gates[d->n_gates];
	g->name = bg_strdup(name);
	g->evidence = bg_strdup(evidence ? evidence : "");
	g->status = st;
	if (!g->name || !g->evidence) {
		free(g->name);
		free(g->evidence);
		return BG_ENOMEM;
	}
	d->n_gates++;
	return 0;
}

static const char *name_of(const struct bg_row *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", r->benchmark,
		 r->mode && strcmp(r->mode, "default") ? "@" : "",
		 r->mode && strcmp(r->mode, "default") ? r->mode : "");
	return buf;
}

/* --- the gates ------------------------------------------------------------------------ */

static int gate_build(const struct bg_cmp_input *in, struct bg_decision *d)
{
	struct bg_buf e = BG_BUF_INIT;
	int ok = in->base.built && in->head.built;
	if (ok)
		bg_buf_puts(&e, "base and head built");
	else
		bg_buf_printf(&e, "%s%s%s", in->base.built ? "" : "base did not build",
			      !in->base.built && !in->head.built ? "; " : "",
			      in->head.built ? "" : "head did not build");
	const char *why = !in->head.built   ? in->head.error
			  : !in->base.built ? in->base.error
					    : NULL;
	if (why)
		bg_buf_printf(&e, ": %.300s", why);
	int rc = add_gate(d, "build", ok ? BG_GATE_PASS : BG_GATE_FAIL, bg_buf_cstr(&e));
	bg_buf_free(&e);
	return rc;
}

/* The side whose measurement did not complete, and why; 1 when one did not. */
static int bench_incomplete(const struct bg_cmp_input *in, struct bg_buf *e)
{
	if (in->head.complete && in->base.complete)
		return 0;
	const struct bg_side_status *s = !in->head.complete ? &in->head : &in->base;
	bg_buf_printf(evidence_next(e), "%s measurement incomplete: %.300s",
		      !in->head.complete ? "head" : "base", s->error ? s->error : "no samples");
	return 1;
}

/* Per series: a head kernel not verified against the reference, a benchmark that ran on
 * base but not on head. *ran counts the series measured on head. 1 when one failed. */
static int bench_series_checks(const struct bg_cmp_input *in, struct bg_buf *e, size_t *ran)
{
	int fail = 0;
	*ran = 0;
	for (size_t i = 0; i < in->n_series; i++) {
		const struct bg_cmp_series *s = &in->series[i];
		if (s->nh)
			(*ran)++;
		if (s->nh && s->kernel_head && s->checked_head == 0) {
			bg_buf_printf(evidence_next(e),
				      "%s: kernel %s not verified against the reference",
				      s->benchmark, s->kernel_head);
			fail = 1;
		}
		if (s->nb && !s->nh) {
			bg_buf_printf(evidence_next(e), "%s ran on base but not on head%s%s%s",
				      s->benchmark, s->skipped_head ? " (skipped: " : "",
				      s->skipped_head ? s->skipped_head : "",
				      s->skipped_head ? ")" : "");
			fail = 1;
		}
	}
	return fail;
}

/* Every required benchmark (a glob) ran on head; 1 when one did not. */
static int bench_required(const struct bg_cmp_input *in, struct bg_buf *e)
{
	const struct bg_gate_config *cfg = in->cfg;
	int fail = 0;
	for (size_t k = 0; k < cfg->n_required; k++) {
		int found = 0;
		for (size_t i = 0; i < in->n_series && !found; i++)
			found = in->series[i].nh &&
				glob_match(cfg->required[k], in->series[i].benchmark);
		if (!found) {
			bg_buf_printf(evidence_next(e), "required benchmark %s did not run on head",
				      cfg->required[k]);
			fail = 1;
		}
	}
	return fail;
}

/* The throughput floors (default mode only): each row a floor matches gets it in
 * floor_gelems; a row below it, or a floor that matches no row, fails. The floors met are
 * listed in met. 1 when one failed. */
static int bench_floors(const struct bg_gate_config *cfg, struct bg_decision *d, struct bg_buf *e,
			struct bg_buf *met)
{
	int fail = 0;
	for (size_t k = 0; k < cfg->n_floors; k++) {
		const struct bg_pattern_value *f = &cfg->floors[k];
		int matched = 0;
		for (size_t i = 0; i < d->n_rows; i++) {
			struct bg_row *r = &d->rows[i];
			if (strcmp(r->mode, "default") || !glob_match(f->pattern, r->benchmark))
				continue;
			matched++;
			r->floor_gelems = f->value;
			if (!(r->gelems_head >= f->value)) {
				bg_buf_printf(evidence_next(e),
					      "%s: %.2f Gelem/s below the floor %.2f", r->benchmark,
					      r->gelems_head, f->value);
				fail = 1;
			} else {
				bg_buf_printf(met, "%s%s %.2f >= %.2f Gelem/s",
					      met->len ? ", " : "", r->benchmark, r->gelems_head,
					      f->value);
			}
		}
		if (!matched) {
			bg_buf_printf(evidence_next(e),
				      "floor %s matches no benchmark measured on both sides",
				      f->pattern);
			fail = 1;
		}
	}
	return fail;
}

/* What the passing benchmarks gate can say of the head's results, and no more: checked
 * against a reference only where the bench program said so, kernels only where it named
 * them, and when its format has no such field, that it has none. */
static void bench_proved(const struct bg_cmp_input *in, const struct bg_decision *d, size_t ran,
			 struct bg_buf *e)
{
	size_t checked = 0;
	for (size_t i = 0; i < in->n_series; i++)
		checked += in->series[i].nh && in->series[i].checked_head == 1;
	const char *format = in->bench_format ? in->bench_format : "its";
	bg_buf_printf(e, "%zu benchmarks ran on head", ran);
	if (!in->format_checks)
		bg_buf_printf(e,
			      "; results not checked by the bench program: the %s format has no "
			      "check field",
			      format);
	else if (checked == ran)
		bg_buf_puts(e, ", every result checked against the reference by the bench program");
	else
		bg_buf_printf(e,
			      ", %zu of them checked against the reference by the bench "
			      "program; the others did not say",
			      checked);
	if (d->head.kernels)
		bg_buf_printf(e, "; kernels %s", d->head.kernels);
	else if (!in->format_checks)
		bg_buf_printf(e, "; no kernel IDs (the %s format has none)", format);
	else
		bg_buf_puts(e, "; no kernel IDs reported");
}

static int gate_benchmarks(const struct bg_cmp_input *in, struct bg_decision *d)
{
	struct bg_buf e = BG_BUF_INIT, floors = BG_BUF_INIT;
	size_t ran;
	int fail = bench_incomplete(in, &e);
	fail |= bench_series_checks(in, &e, &ran);
	fail |= bench_required(in, &e);
	fail |= bench_floors(in->cfg, d, &e, &floors);
	if (!fail) {
		bench_proved(in, d, ran, &e);
		if (floors.len)
			bg_buf_printf(&e, "; floors: %s", floors.ptr);
	}
	if (ran == 0 && !fail) {
		bg_buf_clear(&e);
		bg_buf_puts(&e, "no benchmark ran on head");
		fail = 1;
	}
	int rc = add_gate(d, "benchmarks", fail ? BG_GATE_FAIL : BG_GATE_PASS, bg_buf_cstr(&e));
	bg_buf_free(&e);
	bg_buf_free(&floors);
	return rc;
}

/* log of what a mode costs one series: Q(mode) / Q(default) of a time, Q(default) /
 * Q(mode) of a rate, Q its fast quantile. */
static double cost_log(const struct bg_gate_config *cfg, const struct bg_cmp_series *s,
		       const double *def, size_t nd, const double *mode, size_t nm)
{
	const double q = fast_quantile(cfg, s);
	double r = log(bg_stats_quantile(mode, nm, q) / bg_stats_quantile(def, nd, q));
	return higher_better(s) ? -r : r;
}

/* A mode's overhead: the geometric mean over benchmarks of Q(mode) / Q(default),
 * Q the configured quantile of the samples (as the perf rows), with a percentile bootstrap
 * interval that draws rounds jointly for all benchmarks (the same rounds carried both
 * modes, interleaved). */
static int mode_overhead(const struct bg_gate_config *cfg, const struct bg_mode_input *m,
			 uint64_t seed, struct bg_mode_cmp *out)
{
	const struct bg_cmp_series *s = m->series;
	size_t n = 0;
	double logsum = 0;
	int maxround = -1;
	for (size_t i = 0; i < m->n_series; i++) {
		if (!s[i].nb || !s[i].nh)
			continue;
		logsum += cost_log(cfg, &s[i], s[i].base, s[i].nb, s[i].head, s[i].nh);
		n++;
		for (size_t k = 0; k < s[i].nb; k++)
			if (s[i].base_round[k] > maxround)
				maxround = s[i].base_round[k];
		for (size_t k = 0; k < s[i].nh; k++)
			if (s[i].head_round[k] > maxround)
				maxround = s[i].head_round[k];
	}
	out->n_benchmarks = n;
	if (!n)
		return 0;
	out->overhead = exp(logsum / (double)n) - 1;
	int B = cfg->bootstrap > 0 ? cfg->bootstrap : 2000;
	int R = maxround + 1;
	double *stats = malloc((size_t)B * sizeof(double));
	int *count = calloc((size_t)R, sizeof(int));
	size_t cap = 0;
	for (size_t i = 0; i < m->n_series; i++)
		cap = s[i].nb > cap ? s[i].nb : cap, cap = s[i].nh > cap ? s[i].nh : cap;
	double *a = malloc((cap * (size_t)R + 1) * sizeof(double));
	double *b = malloc((cap * (size_t)R + 1) * sizeof(double));
	if (!stats || !count || !a || !b) {
		free(stats), free(count), free(a), free(b);
		return bg_error_oom();
	}
	uint64_t state = seed;
	for (int it = 0; it < B; it++) {
		memset(count, 0, (size_t)R * sizeof(int));
		for (int k = 0; k < R; k++)
			count[bg_stats_rand(&state) % (uint64_t)R]++;
		double ls = 0;
		size_t used = 0;
		for (size_t i = 0; i < m->n_series; i++) {
			if (!s[i].nb || !s[i].nh)
				continue;
			size_t na = 0, nb = 0;
			for (size_t k = 0; k < s[i].nb; k++)
				for (int c = 0; c < count[s[i].base_round[k]]; c++)
					a[na++] = s[i].base[k];
			for (size_t k = 0; k < s[i].nh; k++)
				for (int c = 0; c < count[s[i].head_round[k]]; c++)
					b[nb++] = s[i].head[k];
			if (!na || !nb)
				continue;
			ls += cost_log(cfg, &s[i], a, na, b, nb);
			used++;
		}
		stats[it] = used ? exp(ls / (double)used) - 1 : out->overhead;
	}
	out->lo = bg_stats_quantile(stats, (size_t)B, 0.025);
	out->hi = bg_stats_quantile(stats, (size_t)B, 0.975);
	out->measured = 1;
	free(stats), free(count), free(a), free(b);
	return 0;
}

static int gate_perf(const struct bg_cmp_input *in, struct bg_decision *d)
{
	const struct bg_gate_config *cfg = in->cfg;
	struct bg_buf e = BG_BUF_INIT;
	int fail = 0;
	size_t compared = 0, slower = 0;
	char nb[300];
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct bg_row *r = &d->rows[i];
		if (r->verdict == BG_VERDICT_MISSING)
			continue;
		compared++;
		if (r->verdict != BG_VERDICT_SLOWER)
			continue;
		if (slower++ < 3)
			bg_buf_printf(evidence_next(&e),
				      "%s %+.1f%% [%+.1f%%, %+.1f%%] beyond ±%.1f%%",
				      name_of(r, nb, sizeof(nb)), 100 * r->change, 100 * r->ci_lo,
				      100 * r->ci_hi, 100 * r->threshold);
		fail = 1;
	}
	if (slower > 3)
		bg_buf_printf(&e, "; and %zu more", slower - 3);
	if (!in->base.complete || !in->head.complete) {
		bg_buf_puts(evidence_next(&e), "the comparison is incomplete");
		fail = 1;
	} else if (!compared) {
		bg_buf_puts(evidence_next(&e), "no benchmark was measured on both sides");
		fail = 1;
	}
	if (!fail)
		bg_buf_printf(&e,
			      "%zu benchmarks compared, none significantly slower beyond its "
			      "threshold (Holm, family-wise alpha %.2f)",
			      compared, cfg->alpha);
	int rc = add_gate(d, "perf", fail ? BG_GATE_FAIL : BG_GATE_PASS, bg_buf_cstr(&e));
	bg_buf_free(&e);
	return rc;
}

/* The gate of mode k, named after it: its overhead's upper end must be below its limit. A
 * mode that was not asked for is skipped; one whose run failed or compared nothing fails. */
static int gate_mode(const struct bg_cmp_input *in, size_t k, struct bg_decision *d)
{
	const struct bg_mode_config *mc = &in->cfg->modes[k];
	const struct bg_mode_input *m = &in->modes[k];
	struct bg_mode_cmp *mo = &d->modes[d->n_modes++];
	struct bg_buf e = BG_BUF_INIT;
	enum bg_gate_status st = BG_GATE_FAIL;
	int rc = 0;
	mo->limit = mc->limit;
	for (size_t i = 0; i < mc->n_env; i++)
		bg_buf_printf(&e, "%s%s", i ? " " : "", mc->env[i]);
	mo->env = bg_buf_detach(&e);
	if (!(mo->name = bg_strdup(mc->name)) || !mo->env)
		return BG_ENOMEM;
	if (!m->requested) {
		mo->skipped = bg_strdup("not asked for (--modes)");
		bg_buf_printf(&e, "%s-mode overhead not measured: not asked for (--modes)",
			      mc->name);
		st = BG_GATE_SKIPPED;
	} else if (!m->ran) {
		mo->skipped = bg_strdup(m->error ? m->error : "its run was not made");
		bg_buf_printf(&e, "%s-mode overhead not measured: %.200s", mc->name,
			      mo->skipped ? mo->skipped : "");
	} else if ((rc = mode_overhead(in->cfg, m, in->seed ^ (0x5171c7ULL + k), mo)) < 0) {
		goto done;
	} else if (!mo->measured) {
		bg_buf_printf(&e, "%s-mode overhead: no benchmark measured in both modes",
			      mc->name);
	} else {
		st = mo->hi < mo->limit ? BG_GATE_PASS : BG_GATE_FAIL;
		bg_buf_printf(&e,
			      "%s-mode overhead %+.2f%% [%+.2f%%, %+.2f%%] %s %.2f%% over %zu "
			      "benchmark%s",
			      mc->name, 100 * mo->overhead, 100 * mo->lo, 100 * mo->hi,
			      st == BG_GATE_PASS ? "<" : "not below", 100 * mo->limit,
			      mo->n_benchmarks, mo->n_benchmarks == 1 ? "" : "s");
	}
	rc = add_gate(d, mc->name, st, bg_buf_cstr(&e));
done:
	bg_buf_free(&e);
	return rc;
}

static int gate_modes(const struct bg_cmp_input *in, struct bg_decision *d)
{
	if (!in->cfg->n_modes)
		return 0;
	if (in->n_modes != in->cfg->n_modes)
		return bg_error_set(BG_EINFRA, "gates: %zu modes measured for %zu declared",
				    in->n_modes, in->cfg->n_modes);
	if (!(d->modes = calloc(in->cfg->n_modes, sizeof(*d->modes))))
		return bg_error_oom();
	int rc = 0;
	for (size_t k = 0; k < in->cfg->n_modes && rc == 0; k++)
		rc = gate_mode(in, k, d);
	return rc;
}

static const struct bg_test_suite *find_suite(const struct bg_side_status *s, const char *name)
{
	for (size_t i = 0; s->suites && i < s->n_suites; i++)
		if (!strcmp(s->suites[i]->suite, name))
			return s->suites[i];
	return NULL;
}

static double suite_floor(const struct bg_gate_config *cfg, const char *suite)
{
	for (size_t i = 0; i < cfg->n_suite_floors; i++)
		if (cfg->suite_floors[i].pattern && !strcmp(cfg->suite_floors[i].pattern, suite))
			return cfg->suite_floors[i].value;
	return cfg->test_floor;
}

/* 1 when the test failed (or errored) on base too: then its failure on head is not new.
 * A test absent from base (added by the change) that fails is new. */
static int failed_on(const struct bg_test_suite *base, const struct bg_test_case *c)
{
	for (size_t i = 0; base && i < base->n; i++)
		if (!strcmp(base->cases[i].name, c->name) &&
		    !strcmp(base->cases[i].classname ? base->cases[i].classname : "",
			    c->classname ? c->classname : ""))
			return base->cases[i].outcome == BG_TEST_FAILED ||
			       base->cases[i].outcome == BG_TEST_ERRORED;
	return 0;
}

/* Why a suite counted nothing on head (no GPU here, say): the first skipped case's message. */
static const char *suite_skip_reason(const struct bg_test_suite *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->cases[i].outcome == BG_TEST_SKIPPED && h->cases[i].message)
			return h->cases[i].message;
	return "no test ran";
}

/* The cases that fail on head and did not fail on base, into sc->new_failures. */
static int suite_new_failures(const struct bg_test_suite *h, const struct bg_test_suite *b,
			      struct bg_suite_cmp *sc)
{
	for (size_t i = 0; i < h->n; i++) {
		const struct bg_test_case *c = &h->cases[i];
		int rc;
		if ((c->outcome == BG_TEST_FAILED || c->outcome == BG_TEST_ERRORED) &&
		    !failed_on(b, c) &&
		    (rc = bg_strv_push(&sc->new_failures, &sc->n_new_failures, c->name)) < 0)
			return rc;
	}
	return 0;
}

/* One expected suite compared into sc: its counts on both sides, its pass rate against its
 * floor and its new failures, each problem added to e with *fail set; *ran set when it
 * counted a test on head. */
static int suite_compare(const struct bg_cmp_input *in, const char *name, struct bg_suite_cmp *sc,
			 struct bg_buf *e, int *fail, int *ran)
{
	sc->suite = bg_strdup(name);
	sc->floor = suite_floor(in->cfg, name);
	sc->pass_rate = NAN;
	if (!sc->suite)
		return BG_ENOMEM;
	const struct bg_test_suite *h = find_suite(&in->head, name);
	const struct bg_test_suite *b = find_suite(&in->base, name);
	if (b) {
		sc->base_passed = b->passed;
		sc->base_total = (int)b->n;
	}
	if (!h) {
		bg_buf_printf(evidence_next(e), "%s: no results on head", name);
		*fail = 1;
		return 0;
	}
	sc->head_passed = h->passed;
	sc->head_failed = h->failed + h->errored;
	sc->head_skipped = h->skipped;
	sc->head_total = (int)h->n;
	int counted = sc->head_total - sc->head_skipped;
	if (counted <= 0) { /* nothing ran: skipped with the reason, never a pass */
		sc->skipped = bg_strdup(suite_skip_reason(h));
		return 0;
	}
	*ran = 1;
	sc->pass_rate = (double)sc->head_passed / counted;
	int rc = suite_new_failures(h, b, sc);
	if (rc < 0)
		return rc;
	if (sc->pass_rate < sc->floor) {
		bg_buf_printf(evidence_next(e), "%s: %d/%d passed (%.2f%%) below %.2f%%", name,
			      sc->head_passed, counted, 100 * sc->pass_rate, 100 * sc->floor);
		*fail = 1;
	}
	if (sc->n_new_failures) {
		bg_buf_printf(evidence_next(e), "%s: %zu new failure%s (%s%s)", name,
			      sc->n_new_failures, sc->n_new_failures == 1 ? "" : "s",
			      sc->new_failures[0], sc->n_new_failures > 1 ? ", ..." : "");
		*fail = 1;
	}
	return 0;
}

/* The evidence of a tests gate that passed: each suite's count, or why it was skipped. */
static void tests_passed_evidence(const struct bg_decision *d, struct bg_buf *e)
{
	for (size_t k = 0; k < d->n_suites; k++) {
		const struct bg_suite_cmp *sc = &d->suites[k];
		if (sc->skipped)
			bg_buf_printf(evidence_next(e), "%s skipped (%s)", sc->suite, sc->skipped);
		else
			bg_buf_printf(evidence_next(e), "%s %d/%d passed, no new failure",
				      sc->suite, sc->head_passed,
				      sc->head_total - sc->head_skipped);
	}
}

static int gate_tests(const struct bg_cmp_input *in, struct bg_decision *d)
{
	if (!in->tests_ran)
		return add_gate(
			d, "tests", BG_GATE_SKIPPED,
			"tests not run (bitgate ci --no-tests, or compare without --tests)");
	if (!in->n_suites_expected)
		return add_gate(d, "tests", BG_GATE_SKIPPED,
				"bitgate.json configures no test suite");
	d->suites = calloc(in->n_suites_expected, sizeof(*d->suites));
	if (!d->suites)
		return bg_error_oom();
	struct bg_buf e = BG_BUF_INIT;
	int fail = 0, ran = 0, rc = 0;
	for (size_t k = 0; k < in->n_suites_expected; k++)
		if ((rc = suite_compare(in, in->suites_expected[k], &d->suites[d->n_suites++], &e,
					&fail, &ran)) < 0)
			goto done;
	enum bg_gate_status st = fail ? BG_GATE_FAIL : ran ? BG_GATE_PASS : BG_GATE_SKIPPED;
	if (!fail)
		tests_passed_evidence(d, &e);
	rc = add_gate(d, "tests", st, bg_buf_cstr(&e));
done:
	bg_buf_free(&e);
	return rc;
}

static int findings(const struct bg_cmp_input *in, struct bg_decision *d)
{
	int rc = 0;
	size_t noisy = 0, faster = 0;
	double widest = 0;
	char nb[300];
	for (size_t i = 0; i < d->n_rows && !rc; i++) {
		const struct bg_row *r = &d->rows[i];
		if (r->verdict == BG_VERDICT_SLOWER)
			rc = push_str(
				&d->findings, &d->n_findings,
				"%s is %.1f%% slower (95%% interval %+.1f%% to %+.1f%%, adjusted "
				"p = %.2g; threshold %.1f%%)",
				name_of(r, nb, sizeof(nb)), 100 * r->change, 100 * r->ci_lo,
				100 * r->ci_hi, r->p_adjusted, 100 * r->threshold);
		else if (r->verdict == BG_VERDICT_FASTER)
			faster++;
		else if (r->verdict == BG_VERDICT_NOISY) {
			noisy++;
			widest = r->detectable > widest ? r->detectable : widest;
		} else if (r->verdict == BG_VERDICT_MISSING)
			rc = push_str(&d->findings, &d->n_findings, "%s has no samples on %s",
				      name_of(r, nb, sizeof(nb)), r->n_base ? "head" : "base");
	}
	for (size_t k = 0; k < d->n_suites && !rc; k++)
		for (size_t i = 0; i < d->suites[k].n_new_failures && !rc; i++)
			rc = push_str(&d->findings, &d->n_findings,
				      "test %s (%s) fails on head and did "
				      "not fail on base",
				      d->suites[k].new_failures[i], d->suites[k].suite);
	for (size_t k = 0; k < d->n_modes && !rc; k++)
		if (d->modes[k].measured)
			rc = push_str(&d->findings, &d->n_findings,
				      "%s-mode overhead %+.2f%% (95%% interval %+.2f%% to %+.2f%%) "
				      "over %zu benchmarks; limit %.2f%%",
				      d->modes[k].name, 100 * d->modes[k].overhead,
				      100 * d->modes[k].lo, 100 * d->modes[k].hi,
				      d->modes[k].n_benchmarks, 100 * d->modes[k].limit);
	if (!rc && faster)
		rc = push_str(&d->findings, &d->n_findings, "%zu benchmark%s significantly faster",
			      faster, faster == 1 ? " is" : "s are");
	if (!rc && noisy)
		rc = push_str(&d->findings, &d->n_findings,
			      "%zu of %zu benchmarks too noisy to decide at their threshold "
			      "(widest interval half-width %.1f%%)",
			      noisy, d->n_rows, 100 * widest);
	(void)in;
	return rc;
}

int bg_gates_decide(const struct bg_cmp_input *in, struct bg_decision *d)
{
	int rc = 0;
	d->alpha = in->cfg->alpha;
	d->quantile = in->cfg->quantile;
	if (in->n_series) {
		d->rows = calloc(in->n_series, sizeof(*d->rows));
		if (!d->rows)
			return bg_error_oom();
	}
	for (size_t i = 0; i < in->n_series; i++) {
		if ((rc = bg_gates_row(in->cfg, &in->series[i], in->seed + i, &d->rows[i])) < 0)
			return rc;
		d->n_rows++;
	}
	/* Holm over the rows that have both sides: the false alarms of the whole table */
	double *p = malloc((d->n_rows + 1) * sizeof(double));
	size_t *idx = malloc((d->n_rows + 1) * sizeof(size_t));
	if (!p || !idx) {
		free(p);
		free(idx);
		return bg_error_oom();
	}
	size_t m = 0;
	for (size_t i = 0; i < d->n_rows; i++)
		if (d->rows[i].verdict != BG_VERDICT_MISSING) {
			p[m] = d->rows[i].p;
			idx[m++] = i;
		}
	bg_stats_holm(p, m, p);
	for (size_t k = 0; k < m; k++)
		d->rows[idx[k]].p_adjusted = p[k];
	free(p);
	free(idx);
	for (size_t i = 0; i < d->n_rows; i++)
		d->rows[i].verdict = verdict_of(&d->rows[i], in->cfg->alpha);

	if ((rc = gate_build(in, d)) < 0 || (rc = gate_benchmarks(in, d)) < 0 ||
	    (rc = gate_perf(in, d)) < 0 || (rc = gate_tests(in, d)) < 0 ||
	    (rc = gate_modes(in, d)) < 0 || (rc = findings(in, d)) < 0)
		return rc;
	int failed = 0, build_ok = 0, perf_ok = 0;
	for (size_t i = 0; i < d->n_gates; i++) {
		failed |= d->gates[i].status == BG_GATE_FAIL;
		if (!strcmp(d->gates[i].name, "build"))
			build_ok = d->gates[i].status == BG_GATE_PASS;
		if (!strcmp(d->gates[i].name, "perf"))
			perf_ok = d->gates[i].status == BG_GATE_PASS;
	}
	d->conclusion = failed ? 1 : build_ok && perf_ok ? 0 : 2;
	return 0;
}
