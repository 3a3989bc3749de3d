/* bg-synth-nightly: fills a database with a synthetic nightly history for the scale check
 * of `bitgate nightly` (scripts/scale-nightly): one complete nightly run per first-parent
 * commit of a branch, on this machine (so `bitgate nightly` on it reads them as its own),
 * each with S series of K samples. The series are noisy (lognormal, about 2%, with a rare
 * outlier), and a few of them step up or down for good at random commits, so the change
 * point search and the pages have real work to do. Repeatable for one --seed.
 *
 * usage: bg-synth-nightly --repo DIR --db FILE [--branch main] [--series 50] [--samples 10]
 *                         [--seed N] [--truth FILE]
 *
 * --truth FILE lists every step put in: "SERIES SHA REL" per line (REL: after / before - 1).
 * Afterwards, bg-synth-nightly --check --repo DIR --db FILE --truth FILE [--threshold 0.03]
 * compares the regressions the nightly stored with the slowdowns of at least the threshold
 * that were put in: found at exactly their commit, found nearby (how far), missed, and
 * regressions with no slowdown behind them. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_git.h"
#include "bg_result.h"
#include "bg_stats.h"

static uint64_t rng;

static double uniform(void)
{
	return (double)(bg_stats_rand(&rng) >> 11) / 9007199254740992.0;
}

static double normal(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* A series' level at each commit: a base and up to three lasting steps. */
struct synth_series {
	char name[96];
	double base;
	size_t step_at[3];
	double step[3];
	int n_steps;
};

static double level(const struct synth_series *s, size_t i)
{
	double l = s->base;
	for (int k = 0; k < s->n_steps; k++)
		if (i >= s->step_at[k])
			l *= 1 + s->step[k];
	return l;
}

static ptrdiff_t pos_of(const struct bg_commit *line, size_t n, const char *sha)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(line[i].sha, sha))
			return (ptrdiff_t)i;
	return -1;
}

/* --check: the stored regressions against the truth file. */
static int check(struct bg_db *db, const struct bg_commit *line, size_t n, const char *truth,
		 double threshold)
{
	FILE *t = fopen(truth, "r");
	if (!t) {
		perror(truth);
		return 1;
	}
	struct bg_regression_rec *regs;
	size_t nregs;
	if (bg_db_regression_list(db, 0, &regs, &nregs) < 0) {
		fclose(t);
		fprintf(stderr, "bg-synth-nightly: %s\n", bg_error_last());
		return 1;
	}
	unsigned char *used = calloc(nregs ? nregs : 1, 1);
	char name[128], sha[64];
	double rel;
	size_t want = 0, exact = 0, near = 0, missed = 0, max_off = 0;
	while (used && fscanf(t, "%127s %63s %lf", name, sha, &rel) == 3) {
		if (rel < threshold)
			continue;
		want++;
		ptrdiff_t at = pos_of(line, n, sha), best = -1;
		size_t best_off = (size_t)-1;
		for (size_t k = 0; k < nregs; k++) {
			ptrdiff_t b = pos_of(line, n, regs[k].bad_sha);
			if (used[k] || strcmp(regs[k].benchmark, name) || b < 0 || at < 0)
				continue;
			size_t off = (size_t)(b > at ? b - at : at - b);
			if (off < best_off) {
				best_off = off;
				best = (ptrdiff_t)k;
			}
		}
		if (best < 0 || best_off > 10) {
			missed++;
			printf("missed: %s %+.1f%% at %.10s\n", name, 100 * rel, sha);
			continue;
		}
		used[best] = 1;
		if (best_off == 0) {
			exact++;
		} else {
			near++;
			max_off = best_off > max_off ? best_off : max_off;
		}
	}
	fclose(t);
	size_t spurious = 0;
	for (size_t k = 0; used && k < nregs; k++)
		if (!used[k]) {
			spurious++;
			printf("no slowdown behind: %s %+.1f%% at %.10s (%s)\n", regs[k].benchmark,
			       100 * regs[k].rel, regs[k].bad_sha, regs[k].state);
		}
	printf("slowdowns of %.0f%% or more put in: %zu; found at their commit: %zu; found "
	       "nearby: %zu (at most %zu commits off); missed: %zu; regressions with no "
	       "slowdown behind them: %zu\n",
	       100 * threshold, want, exact, near, max_off, missed, spurious);
	free(used);
	bg_db_regression_list_free(regs, nregs);
	return 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "bg-synth-nightly: %s: %s\n", what, bg_error_last());
	return 1;
}

/* The command line. */
struct synth_opts {
	const char *repo_dir, *db_path, *branch, *truth;
	int n_series, n_samples;
	unsigned long long seed;
	int check_mode;
	double threshold;
};

/* Reads the options into o; -1 to go on, else the exit status (after --help or a usage
 * error). */
static int parse_args(int argc, char **argv, struct synth_opts *o)
{
	*o = (struct synth_opts){.branch = "main",
				 .n_series = 50,
				 .n_samples = 10,
				 .seed = 20261124,
				 .threshold = 0.03};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("usage: bg-synth-nightly --repo DIR --db FILE [--branch main] "
			       "[--series 50] [--samples 10] [--seed N] [--truth FILE]\n"
			       "       bg-synth-nightly --check --repo DIR --db FILE --truth FILE "
			       "[--threshold 0.03]\n");
			return 0;
		}
		if (!strcmp(a, "--check")) {
			o->check_mode = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "bg-synth-nightly: %s: expected a value (see --help)\n", a);
			return 2;
		}
		if (!strcmp(a, "--repo"))
			o->repo_dir = v;
		else if (!strcmp(a, "--db"))
			o->db_path = v;
		else if (!strcmp(a, "--branch"))
			o->branch = v;
		else if (!strcmp(a, "--series"))
			o->n_series = atoi(v);
		else if (!strcmp(a, "--samples"))
			o->n_samples = atoi(v);
		else if (!strcmp(a, "--threshold"))
			o->threshold = atof(v);
		else if (!strcmp(a, "--truth"))
			o->truth = v;
		else if (!strcmp(a, "--seed"))
			o->seed = strtoull(v, NULL, 10);
		else {
			fprintf(stderr, "bg-synth-nightly: unknown option %s (see --help)\n", a);
			return 2;
		}
		i++;
	}
	if (!o->repo_dir || !o->db_path || o->n_series < 1 || o->n_series > 10000 ||
	    o->n_samples < 1 || o->n_samples > 100000) {
		fprintf(stderr, "bg-synth-nightly: --repo and --db are required; --series 1..10000, "
				"--samples 1..100000\n");
		return 2;
	}
	return -1;
}

static const char *const kernels[] = {"ref", "avx2", "avx512", "vnni", "amx"};

/* n_series series over a line of n commits, their steps drawn; the number of steps. */
static size_t make_series(struct synth_series *ser, int n_series, size_t n)
{
	static const char *const shapes[] = {"2560x2560", "2560x6912", "6912x2560", "2560x128256",
					     "64x2560x2560"};
	size_t steps = 0;
	for (int s = 0; s < n_series; s++) {
		struct synth_series *x = &ser[s];
		snprintf(x->name, sizeof(x->name), "%s/%s/%s#%d", s % 2 ? "gemv" : "matmul",
			 kernels[s % 5], shapes[(s / 5) % 5], s / 25);
		x->base = 1e4 * (1 + 100 * uniform());
		/* one series in three steps once, one in ten twice more */
		x->n_steps = s % 3 == 0 ? 1 + (s % 10 == 0) * 2 : 0;
		if (n <= 20)
			x->n_steps = 0;
		for (int k = 0; k < x->n_steps; k++) {
			x->step_at[k] = 10 + (size_t)(uniform() * (double)(n - 20));
			double size = 0.04 + 0.12 * uniform();
			x->step[k] = uniform() < 0.6 ? size : -size / (1 + size);
		}
		steps += (size_t)x->n_steps;
	}
	return steps;
}

/* The --truth file: every step put in; 0, or 1 when it cannot be written. */
static int write_truth(const char *truth, const struct synth_series *ser, int n_series,
		       const struct bg_commit *line)
{
	FILE *t = fopen(truth, "w");
	if (!t) {
		perror(truth);
		return 1;
	}
	for (int s = 0; s < n_series; s++)
		for (int k = 0; k < ser[s].n_steps; k++)
			fprintf(t, "%s %s %.4f\n", ser[s].name, line[ser[s].step_at[k]].sha,
				ser[s].step[k]);
	if (fclose(t) != 0) {
		perror(truth);
		return 1;
	}
	return 0;
}

/* Series s's n_samples samples at commit i into b. */
static void fill_bench(struct bg_bench *b, struct synth_series *ser, int s, size_t i,
		       double *samples, int n_samples)
{
	b->name = ser[s].name;
	b->unit = "ns";
	b->iterations = 1;
	b->checked = 1;
	b->kernel = (char *)kernels[s % 5];
	b->samples = samples + (size_t)s * (size_t)n_samples;
	b->n_samples = (size_t)n_samples;
	double l = level(&ser[s], i);
	for (int k = 0; k < n_samples; k++) {
		double x = l * exp(0.02 * normal());
		if (uniform() < 0.01) /* a neighbour's burst */
			x *= 1.3 + uniform();
		b->samples[k] = x;
	}
}

/* Commit i of the line and its one complete nightly run; 0, else the exit status. */
static int store_run(struct bg_db *db, struct bg_commit *line, size_t i, int64_t machine_id,
		     struct synth_series *ser, int n_series, int n_samples)
{
	struct bg_commit_rec c = {.sha = line[i].sha,
				  .tree = line[i].tree,
				  .parent = line[i].parent[0] ? line[i].parent : NULL,
				  .subject = line[i].subject,
				  .author = line[i].author,
				  .time = line[i].time};
	struct bg_run_rec r = {.kind = "nightly",
			       .commit_sha = line[i].sha,
			       .machine_id = machine_id,
			       .tree = line[i].tree,
			       .harness_version = "synthetic",
			       .started = line[i].time};
	if (bg_db_commit_put(db, &c) < 0 || bg_db_run_begin(db, &r) < 0)
		return fail(line[i].sha);
	struct bg_bench_set set = {.format = "bitgate-bench/1"};
	set.ctx.threads = 1;
	set.v = calloc((size_t)n_series, sizeof(*set.v));
	double *samples = calloc((size_t)n_series * (size_t)n_samples, sizeof(double));
	if (!set.v || !samples)
		return 1;
	set.n = (size_t)n_series;
	for (int s = 0; s < n_series; s++)
		fill_bench(&set.v[s], ser, s, i, samples, n_samples);
	int rc = bg_db_run_add_bench(db, r.id, 0, "default", "threads=1", &set);
	free(set.v);
	free(samples);
	if (rc < 0 || bg_db_run_finish(db, r.id, "ok", 1) < 0)
		return fail(line[i].sha);
	free(r.uuid);
	return 0;
}

/* The synthetic history: the series, the truth file, one run per commit; the exit status. */
static int generate(const struct synth_opts *o, struct bg_db *db, struct bg_commit *line, size_t n)
{
	struct bg_machine_rec m;
	int64_t machine_id;
	memset(&m, 0, sizeof(m));
	if (bg_machine_detect(&m) < 0 || bg_db_machine_put(db, &m, &machine_id) < 0)
		return fail("this machine");
	struct synth_series *ser = calloc((size_t)o->n_series, sizeof(*ser));
	if (!ser)
		return 1;
	size_t steps = make_series(ser, o->n_series, n);
	if (o->truth && write_truth(o->truth, ser, o->n_series, line))
		return 1;
	for (size_t i = 0; i < n; i++) {
		int rc = store_run(db, line, i, machine_id, ser, o->n_series, o->n_samples);
		if (rc)
			return rc;
		if ((i + 1) % 100 == 0 || i + 1 == n)
			fprintf(stderr, "bg-synth-nightly: %zu/%zu commits\r", i + 1, n);
	}
	fprintf(stderr,
		"\nbg-synth-nightly: %zu commits x %d series x %d samples, %zu steps, "
		"into %s\n",
		n, o->n_series, o->n_samples, steps, o->db_path);
	free(ser);
	return 0;
}

int main(int argc, char **argv)
{
	struct synth_opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	rng = o.seed;

	struct bg_repo *repo;
	struct bg_db *db;
	struct bg_commit *line;
	size_t n;
	if (bg_repo_open(&repo, o.repo_dir) < 0)
		return fail(o.repo_dir);
	if (bg_git_range(repo, NULL, o.branch, 1, &line, &n) < 0)
		return fail(o.branch);
	if (bg_db_open(&db, o.db_path) < 0)
		return fail(o.db_path);
	if (o.check_mode) {
		if (!o.truth) {
			fprintf(stderr, "bg-synth-nightly: --check needs --truth\n");
			return 2;
		}
		rc = check(db, line, n, o.truth, o.threshold);
	} else {
		rc = generate(&o, db, line, n);
		if (rc)
			return rc;
	}
	bg_commit_list_free(line, n);
	bg_db_close(db);
	bg_repo_free(repo);
	return rc;
}
