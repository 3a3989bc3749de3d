/* bitnet-bench's choice of what to benchmark: the CPU, the CUDA device or both
 * (BITNET_DEVICE, BITNET_KERNEL), which CPU kernels (all, or the one BITNET_KERNEL forces
 * through the dispatch), and the device's backend, probed once when first needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bn_error.h"
#include "bn_strict.h"

#define NO_CUDA_BUILD "built without CUDA (no nvcc at configure time)"

/* The CUDA benchmarks' backend when they can run here; NULL and why not otherwise. */
static const struct bench_device *cuda_device(struct bench_gpu *gpu, const char **why)
{
#ifdef BITGATE_HAVE_CUDA
	return bench_cuda_open(gpu, why);
#else
	(void)gpu;
	*why = NO_CUDA_BUILD;
	return NULL;
#endif
}

const struct bench_device *bench_targets_device(struct bench_targets *t)
{
	if (!t->probed) {
		t->device = cuda_device(&t->gpu, &t->no_cuda);
		t->probed = 1;
	}
	return t->device;
}

/* Which devices to benchmark: BITNET_DEVICE=cpu or cuda narrows the run to one; unset, both,
 * unless BITNET_KERNEL names a CPU kernel (then the CPU alone). BITNET_KERNEL=cuda is
 * BITNET_DEVICE=cuda. t->cuda_asked: the variable that asked for the CUDA device by name,
 * else NULL. Returns 0, or -1 with the usage error printed. */
static int select_devices(struct bench_targets *t)
{
	const char *dev = getenv("BITNET_DEVICE"), *kern = getenv("BITNET_KERNEL");
	int kern_cuda = kern && !strcmp(kern, BN_KERNEL_CUDA_NAME);
	t->cpu = 1;
	t->cuda = !(kern && *kern) || kern_cuda;
	t->cuda_asked = kern_cuda ? "BITNET_KERNEL=cuda" : NULL;
	if (dev && *dev) {
		if (strcmp(dev, "cpu") && strcmp(dev, "cuda")) {
			fprintf(stderr,
				"%s: BITNET_DEVICE=%s: expected cpu or cuda (or unset for both)\n",
				BENCH_PROG, dev);
			return -1;
		}
		if (kern_cuda && !strcmp(dev, "cpu")) {
			fprintf(stderr, "%s: BITNET_KERNEL=cuda contradicts BITNET_DEVICE=cpu\n",
				BENCH_PROG);
			return -1;
		}
		t->cuda = !strcmp(dev, "cuda");
		t->cuda_asked = t->cuda ? "BITNET_DEVICE=cuda" : NULL;
	}
	if (t->cuda_asked)
		t->cpu = 0;
	return 0;
}

/* The CPU kernels: all of them, or the one BITNET_KERNEL forces, validated by the dispatch
 * itself. The probe context, made as the benchmarks make theirs, also gives the report
 * its per-operation choice. Returns 0, or the exit status with the error printed. */
static int select_kernels(struct bench_targets *t)
{
	const char *env = getenv("BITNET_KERNEL");
	t->kernels = t->cpu ? (1u << BN_KERNEL_COUNT) - 1 : 0;
	if (t->cpu || (env && *env && strcmp(env, BN_KERNEL_CUDA_NAME))) {
		struct bn_ctx_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 1};
		if (bn_ctx_new(&t->probe, &o)) {
			fprintf(stderr, "%s: %s\n", BENCH_PROG, bn_error_last());
			return bn_error_last()[0] && strstr(bn_error_last(), "unknown")
				       ? EXIT_USAGE
				       : EXIT_FAILED;
		}
	}
	if (t->probe && bn_ctx_forced(t->probe)) {
		t->kernels = t->cpu ? 1u << bn_ctx_kernel(t->probe) : 0;
		t->via_env = 1;
	}
	return 0;
}

int bench_targets_choose(struct bench_targets *t)
{
	memset(t, 0, sizeof(*t));
	if (bn_strict_mode() < 0) {
		fprintf(stderr, "%s: %s\n", BENCH_PROG, bn_strict_env_error());
		return EXIT_USAGE;
	}
	if (select_devices(t))
		return EXIT_USAGE;
	/* The device is probed once, when a CUDA benchmark is listed or asked for by name. A
	 * CUDA request that cannot be served is an error in strict mode, not skipped ones. */
	if (t->cuda_asked && !bench_targets_device(t) && bn_strict_mode() > 0) {
		fprintf(stderr, "%s: %s in strict mode, but the CUDA benchmarks cannot run: %s\n",
			BENCH_PROG, t->cuda_asked, t->no_cuda);
		return EXIT_FAILED;
	}
	return select_kernels(t);
}

void bench_targets_free(struct bench_targets *t)
{
	bn_ctx_free(t->probe);
	t->probe = NULL;
}
