/* bitnet-bench: times libbitnet's kernels and prints a table or bitgate-bench/1 JSON.
 * Every kernel benchmark first checks the kernel's output against the reference kernel
 * and refuses to time a kernel that is wrong. Thin program over the library (bn_*.h): this
 * file is the run's phases (options, targets, selection, measurement, report); the parts
 * live in the bench_*.c files under bench.h. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bn_strict.h"

#ifndef BITGATE_VERSION
#define BITGATE_VERSION "0.0.0"
#endif
#ifndef BITGATE_BUILD_TYPE
#define BITGATE_BUILD_TYPE "unknown"
#endif

/* The benchmarks this run lists, and the results of those --filter selects. */
struct selection {
	struct bench_def defs[BENCH_MAX];
	int ndefs;
	struct bench_result *res;                  /* one per selected benchmark, in list order */
	const struct bench_def *picked[BENCH_MAX]; /* res[i]'s benchmark */
	int nres;
};

/* A result ready to be measured, or skipped with the reason: a CPU kernel this machine
 * lacks, or CUDA benchmarks that cannot run here (the device is probed the first time). */
static void result_init(struct bench_result *r, const struct bench_def *d, struct bench_targets *t)
{
	snprintf(r->name, sizeof(r->name), "%s", d->name);
	r->unit = "ns";
	r->kernel = -1;
	for (int op = 0; op < BENCH_OPS; op++)
		r->ops[op] = -1;
	r->family = bench_family(d->kind);
	const char *why = NULL;
	if (d->kernel >= 0 && !bn_kernel_available(d->kernel, &why))
		snprintf(r->skipped, sizeof(r->skipped), "%s", why);
	if (d->cuda && !bench_targets_device(t))
		snprintf(r->skipped, sizeof(r->skipped), "%s", t->no_cuda);
}

/* Lists the benchmarks of the targets and selects those --filter matches. Returns 0, or
 * EXIT_USAGE with the error printed. */
static int select_benchmarks(struct selection *s, const struct bench_options *opt,
			     struct bench_targets *t)
{
	regex_t re;
	if (opt->filter) {
		int rc = regcomp(&re, opt->filter, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];
			regerror(rc, &re, msg, sizeof(msg));
			fprintf(stderr, "%s: --filter '%s': %s\n", BENCH_PROG, opt->filter, msg);
			return EXIT_USAGE;
		}
	}
	s->ndefs = bench_list(s->defs, t->kernels, t->cuda);
	s->res = bench_xcalloc((size_t)s->ndefs, sizeof(*s->res));
	for (int i = 0; i < s->ndefs; i++) {
		if (opt->filter && regexec(&re, s->defs[i].name, 0, NULL, 0) != 0)
			continue;
		s->picked[s->nres] = &s->defs[i];
		result_init(&s->res[s->nres++], &s->defs[i], t);
	}
	if (opt->filter)
		regfree(&re);
	return 0;
}

/* --list: each selected benchmark, with why it would be skipped here. */
static void print_list(const struct selection *s)
{
	for (int i = 0; i < s->nres; i++)
		if (s->res[i].skipped[0])
			printf("%s (skipped: %s)\n", s->res[i].name, s->res[i].skipped);
		else
			printf("%s\n", s->res[i].name);
}

/* What the run's benchmarks share: the options, the kernels' contexts, the device, the
 * calibration slowdown. Returns 0, or EXIT_USAGE when there is nothing to run or the
 * slowdown is not REGEX:PERCENT (printed). */
static int start_run(struct bench_run *run, const struct selection *s,
		     const struct bench_targets *t)
{
	const struct bench_options *opt = run->opt;
	if (s->nres == 0) {
		fprintf(stderr, "%s: no benchmark matches --filter '%s' (see --list)\n", BENCH_PROG,
			opt->filter ? opt->filter : "");
		return EXIT_USAGE;
	}
	run->via_env = t->via_env;
	run->device = t->device;
	const char *slow = getenv("BITNET_BENCH_SLOWDOWN");
	if (bench_slowdown_init(&run->slowdown, slow)) {
		fprintf(stderr, "%s: BITNET_BENCH_SLOWDOWN=%s: expected REGEX:PERCENT\n",
			BENCH_PROG, slow);
		return EXIT_USAGE;
	}
	if (run->slowdown.spec)
		fprintf(stderr, "%s: injecting a %g%% slowdown into %s (calibration)\n", BENCH_PROG,
			run->slowdown.pct, slow);
	return 0;
}

static struct bench_context context_of(const struct bench_run *run, const struct bench_targets *t)
{
	return (struct bench_context){
		.slowdown = run->slowdown.spec,
		.version = BITGATE_VERSION,
		.build_type = BITGATE_BUILD_TYPE,
		.threads = run->opt->threads,
		.strict_mode = bn_strict_mode() > 0,
		.min_time = run->opt->min_time,
		.repetitions = run->opt->repetitions,
		.dispatch = t->cpu ? t->probe : NULL,
	};
}

/* Adds to the context what a measured benchmark ran: kernels, device kernel, GPU. */
static void note_ran(struct bench_context *ctx, const struct bench_result *r,
		     const struct bench_def *d, const struct bench_targets *t)
{
	if (r->kernel >= 0)
		ctx->kernels_seen |= 1u << r->kernel;
	for (int op = 0; op < BENCH_OPS; op++)
		if (r->ops[op] >= 0)
			ctx->kernels_seen |= 1u << r->ops[op];
	if (r->kernel_name)
		ctx->device_kernel = r->kernel_name;
	if (d->cuda)
		ctx->gpu = &t->gpu;
}

/* Measures each selected benchmark that is not skipped, saying on stderr which runs.
 * Returns 0, or EXIT_WRONG at the first kernel the check refuses. */
static int run_all(struct selection *s, struct bench_run *run, const struct bench_targets *t,
		   struct bench_context *ctx)
{
	double t0 = bench_now_s();
	for (int i = 0; i < s->nres; i++) {
		struct bench_result *r = &s->res[i];
		if (r->skipped[0])
			continue;
		fprintf(stderr, "[%d/%d %5.1fs] %s\n", i + 1, s->nres, bench_now_s() - t0, r->name);
		if (bench_measure(run, s->picked[i], r))
			return EXIT_WRONG;
		note_ran(ctx, r, s->picked[i], t);
	}
	return 0;
}

static int report(const struct bench_options *opt, const struct bench_context *ctx,
		  const struct selection *s)
{
	if (!opt->json) {
		bench_write_table(stdout, ctx, s->res, s->nres);
		return 0;
	}
	if (bench_write_json(stdout, ctx, s->res, s->nres)) {
		fprintf(stderr, "%s: out of memory writing JSON\n", BENCH_PROG);
		return EXIT_FAILED;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_options opt;
	int rc = bench_parse_args(&opt, argc, argv);
	if (rc >= 0)
		return rc;
	struct bench_targets targets;
	struct selection sel = {0};
	struct bench_run run = {.opt = &opt};
	struct bench_context ctx;
	if ((rc = bench_targets_choose(&targets)) || (rc = select_benchmarks(&sel, &opt, &targets)))
		goto done;
	if (opt.list) {
		print_list(&sel);
		goto done;
	}
	if ((rc = start_run(&run, &sel, &targets)))
		goto done;
	ctx = context_of(&run, &targets);
	rc = run_all(&sel, &run, &targets, &ctx);
	if (!rc)
		rc = report(&opt, &ctx, &sel);
done:
	for (int i = 0; i < sel.nres; i++)
		free(sel.res[i].samples);
	free(sel.res);
	bench_dram_release(&run.dram);
	bench_slowdown_free(&run.slowdown);
	bench_targets_free(&targets);
	return rc;
}
