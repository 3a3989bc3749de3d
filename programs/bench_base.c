/* bitnet-bench's helpers every benchmark file uses: the clock, memory that is there or ends
 * the run, and the end of the run when libbitnet fails. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"
#include "bn_error.h"

double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void bench_spin(double seconds)
{
	double until = bench_now_s() + seconds;
	while (bench_now_s() < until)
		;
}

void *bench_xalloc(size_t bytes)
{
	size_t sz = (bytes + 4095) / 4096 * 4096;
	void *p = aligned_alloc(4096, sz);
	if (!p) {
		fprintf(stderr, "%s: out of memory (%zu bytes)\n", BENCH_PROG, bytes);
		exit(EXIT_FAILED);
	}
	return p;
}

void *bench_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count, size);
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", BENCH_PROG);
		exit(EXIT_FAILED);
	}
	return p;
}

void bench_die_bn(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_PROG, what, bn_error_last());
	exit(EXIT_FAILED);
}

/* Through BITNET_KERNEL when it is set (so the dispatch validates it and strict mode
 * applies), explicitly otherwise. */
struct bn_ctx *bench_ctx_new(int kernel, int threads, int via_env)
{
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = via_env ? BN_KERNEL_AUTO : kernel, .threads = threads};
	if (bn_ctx_new(&ctx, &o))
		bench_die_bn("kernel context");
	return ctx;
}
