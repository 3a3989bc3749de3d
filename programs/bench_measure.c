/* bitnet-bench's measurement of one benchmark, the same sequence on the CPU and on a device:
 * set up and check against the reference (a wrong kernel is never timed), warm up,
 * calibrate the iterations of a sample, take the samples, record what ran. */
#include <math.h>
#include <stdlib.h>

#include "bench.h"
#include "bn_infer.h"
#include "bn_model.h"

/* One benchmark being measured: on the CPU, or (dev set) on the device. */
struct measuring {
	struct bench_cpu cpu;
	const struct bench_device *device;
	struct bench_dev *dev;
	double extra_per_iter; /* the calibration slowdown's seconds per iteration, else 0 */
};

/* Runs n iterations and returns the seconds they took; a failing call ends the program. */
static double run_timed(struct measuring *m, long long n)
{
	if (m->dev) /* by the device's clock */
		return m->device->run_timed(m->dev, n, m->extra_per_iter * (double)n);
	double t0 = bench_now_s();
	for (long long i = 0; i < n; i++)
		if (bench_cpu_run_once(&m->cpu))
			bench_die_bn(m->cpu.def->name);
	if (m->extra_per_iter > 0)
		bench_spin(m->extra_per_iter * (double)n);
	return bench_now_s() - t0;
}

/* Sets up d and checks it against the reference. Returns 0, or EXIT_WRONG (torn down). */
static int start(struct measuring *m, struct bench_run *run, const struct bench_def *d)
{
	const struct bench_options *opt = run->opt;
	if (d->cuda) {
		m->device = run->device;
		return m->device->setup(&m->dev, d, opt->threads, opt->inject_fault == FAULT_CUDA)
			       ? EXIT_WRONG
			       : 0;
	}
	bench_cpu_setup(&m->cpu, opt->threads, run->via_env, &run->dram);
	if (!bench_check(&m->cpu, opt->inject_fault)) {
		bench_cpu_teardown(&m->cpu);
		return EXIT_WRONG;
	}
	return 0;
}

/* Doubles the iterations until a batch takes a tenth of min_time. Returns the seconds of
 * one iteration. */
static double calibrate(struct measuring *m, double min_time)
{
	long long iters = 1;
	double t;
	for (;;) {
		t = run_timed(m, iters);
		if (t >= min_time / 10 || iters >= (1LL << 40))
			break;
		iters *= 2;
	}
	return t / (double)iters;
}

/* opt->repetitions samples of the iterations that take min_time, in ns per iteration. */
static void take_samples(struct measuring *m, const struct bench_options *opt, double per,
			 struct bench_result *r)
{
	long long n = per > 0 ? (long long)ceil(opt->min_time / per) : 1;
	r->iterations = n < 1 ? 1 : n;
	r->samples = bench_xcalloc((size_t)opt->repetitions, sizeof(double));
	for (int rep = 0; rep < opt->repetitions; rep++)
		r->samples[rep] = run_timed(m, r->iterations) * 1e9 / (double)r->iterations;
	r->nsamples = opt->repetitions;
}

/* Records the work of an iteration and the kernels that ran, and tears the benchmark down. */
static void finish(struct measuring *m, const struct bench_def *d, struct bench_result *r)
{
	r->elements = bench_elements(d, &r->bytes);
	if (m->dev) {
		r->kernel_name = d->kind == K_MEMBW ? NULL : m->device->kernel_name;
		r->weight_bytes = m->device->weight_bytes(m->dev);
		if (d->kind == K_DECODE)
			r->bytes = r->weight_bytes; /* weights read per iteration */
		m->device->teardown(m->dev);
		return;
	}
	struct bench_cpu *s = &m->cpu;
	r->kernel = bench_cpu_kernel(s);
	for (int op = 0; op < BENCH_OPS; op++) /* what the timed runs used, op by op */
		r->ops[op] = s->infer ? bn_ctx_ran(bn_infer_ctx(s->infer), (enum bn_op)op) : -1;
	if (d->kind == K_PREFILL || d->kind == K_DECODE)
		r->bytes = (double)s->model->weight_bytes; /* weights read per iteration */
	bench_cpu_teardown(s);
}

int bench_measure(struct bench_run *run, const struct bench_def *d, struct bench_result *r)
{
	struct measuring m = {.cpu = {.def = d}};
	if (start(&m, run, d))
		return EXIT_WRONG;
	r->checked = d->kind != K_MEMBW;
	if (m.cpu.infer) /* the check ran other shapes (2 prompt tokens, a GEMV in prefill) */
		bn_ctx_ran_reset(bn_infer_ctx(m.cpu.infer));
	/* Warm-up (not stored): a DRAM stack is walked once whole so pages are mapped. */
	run_timed(&m, d->kind == K_GEMV_DRAM ? m.cpu.layers : 1);
	double per = calibrate(&m, run->opt->min_time);
	m.extra_per_iter = bench_slowdown_extra(&run->slowdown, d->name, per);
	take_samples(&m, run->opt, per, r);
	finish(&m, d, r);
	return 0;
}
