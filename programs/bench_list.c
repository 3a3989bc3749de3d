/* bitnet-bench's benchmark list: every benchmark's kind, kernel and shape, and its name
 * (matmul/<kernel>/<M>x<N>x<K>, gemv/<kernel>/<K>x<N>[/dram], ...), the family it is
 * reported in and the work one iteration does. */
#include <stdio.h>

#include "bench.h"
#include "bn_pack.h"

static const int matmul_sizes[] = {32, 64, 128, 256, 512};
static const int gemv_shapes[][2] = {{2560, 2560}, {2560, 6912}, {6912, 2560}};
static const int quant_sizes[] = {2560, 6912};
/* The lm_head of BitNet-2B (K x N): F16 rows on the CPU (head/), I2_S on the GPU (gemv/cuda);
 * and, CUDA only, the prefill GEMMs of 64 tokens (M x N x K) */
static const int head_shape[2] = {2560, 128256};
static const int cuda_prefill_shapes[][3] = {{64, 2560, 2560}, {64, 6912, 2560}, {64, 2560, 6912}};
static const char *const e2e_configs[] = {"tiny", "2b"};

/* Appends a benchmark; kernel is a CPU kernel id, or -1 with cuda set for the device. */
static int add_def(struct bench_def *d, int n, enum bench_kind kind, int kernel, int cuda, int m,
		   int nn, int k)
{
	struct bench_def *b = &d[n];
	b->kind = kind;
	b->kernel = kernel;
	b->cuda = cuda;
	b->m = m;
	b->n = nn;
	b->k = k;
	const char *kn = cuda ? BN_KERNEL_CUDA_NAME : kernel >= 0 ? bn_kernel_name(kernel) : "";
	switch (kind) {
	case K_MATMUL:
		snprintf(b->name, sizeof(b->name), "matmul/%s/%dx%dx%d", kn, m, nn, k);
		break;
	case K_GEMV: snprintf(b->name, sizeof(b->name), "gemv/%s/%dx%d", kn, k, nn); break;
	case K_GEMV_DRAM:
		snprintf(b->name, sizeof(b->name), "gemv/%s/%dx%d/dram", kn, k, nn);
		break;
	case K_QUANT: snprintf(b->name, sizeof(b->name), "quant/%s/%d", kn, nn); break;
	case K_HEAD: snprintf(b->name, sizeof(b->name), "head/%s/%dx%d", kn, k, nn); break;
	case K_MEMBW:
		snprintf(b->name, sizeof(b->name), cuda ? "membw/cuda-copy" : "membw/read");
		break;
	case K_PREFILL:
	case K_DECODE: break; /* named by add_e2e */
	}
	return n + 1;
}

static int add_e2e(struct bench_def *d, int n, enum bench_kind kind, const char *config, int cuda)
{
	n = add_def(d, n, kind, -1, cuda, kind == K_PREFILL ? E2E_PROMPT : 1, 0, 0);
	d[n - 1].config = config;
	snprintf(d[n - 1].name, sizeof(d[n - 1].name), "e2e/%s/%s%s", config,
		 kind == K_PREFILL ? "prefill64" : "decode", cuda ? "@cuda" : "");
	return n;
}

/* The bandwidth benchmarks come first so GEMV figures can be compared with them. */
int bench_list(struct bench_def *d, unsigned kernels, int cuda)
{
	int n = 0;
	if (kernels)
		n = add_def(d, n, K_MEMBW, -1, 0, 0, 0, 0);
	if (cuda)
		n = add_def(d, n, K_MEMBW, -1, 1, 0, 0, 0);
	for (size_t s = 0; s < sizeof(matmul_sizes) / sizeof(matmul_sizes[0]); s++) {
		int z = matmul_sizes[s];
		for (int id = 0; id < BN_KERNEL_COUNT; id++)
			if (kernels & (1u << id))
				n = add_def(d, n, K_MATMUL, id, 0, z, z, z);
		if (cuda)
			n = add_def(d, n, K_MATMUL, -1, 1, z, z, z);
	}
	for (size_t s = 0; cuda && s < sizeof(cuda_prefill_shapes) / sizeof(cuda_prefill_shapes[0]);
	     s++)
		n = add_def(d, n, K_MATMUL, -1, 1, cuda_prefill_shapes[s][0],
			    cuda_prefill_shapes[s][1], cuda_prefill_shapes[s][2]);
	for (int dram = 0; dram < 2; dram++)
		for (size_t s = 0; s < sizeof(gemv_shapes) / sizeof(gemv_shapes[0]); s++) {
			for (int id = 0; id < BN_KERNEL_COUNT; id++)
				if (kernels & (1u << id))
					n = add_def(d, n, dram ? K_GEMV_DRAM : K_GEMV, id, 0, 1,
						    gemv_shapes[s][1], gemv_shapes[s][0]);
			if (cuda && !dram) /* the CUDA GEMV always streams its weights */
				n = add_def(d, n, K_GEMV, -1, 1, 1, gemv_shapes[s][1],
					    gemv_shapes[s][0]);
		}
	if (cuda)
		n = add_def(d, n, K_GEMV, -1, 1, 1, head_shape[1], head_shape[0]);
	for (int id = 0; id < BN_KERNEL_COUNT; id++)
		if ((kernels & (1u << id)) && id != BN_KERNEL_AMX) /* AMX borrows AVX-512's */
			n = add_def(d, n, K_HEAD, id, 0, 1, head_shape[1], head_shape[0]);
	for (size_t s = 0; s < sizeof(quant_sizes) / sizeof(quant_sizes[0]); s++)
		for (int id = 0; id < BN_KERNEL_COUNT; id++)
			if ((kernels & (1u << id)) &&
			    id != BN_KERNEL_AMX) /* AMX has no quantizer */
				n = add_def(d, n, K_QUANT, id, 0, 1, quant_sizes[s], 0);
	for (size_t c = 0; c < sizeof(e2e_configs) / sizeof(e2e_configs[0]); c++) {
		if (kernels) {
			n = add_e2e(d, n, K_PREFILL, e2e_configs[c], 0);
			n = add_e2e(d, n, K_DECODE, e2e_configs[c], 0);
		}
		if (cuda)
			n = add_e2e(d, n, K_DECODE, e2e_configs[c], 1);
	}
	return n;
}

const char *bench_family(enum bench_kind kind)
{
	switch (kind) {
	case K_MATMUL: return "matmul";
	case K_GEMV:
	case K_GEMV_DRAM: return "gemv";
	case K_QUANT: return "quant";
	case K_HEAD: return "head";
	case K_MEMBW: return "membw";
	case K_PREFILL:
	case K_DECODE: return "e2e";
	}
	return "gemv";
}

double bench_elements(const struct bench_def *d, double *bytes)
{
	switch (d->kind) {
	case K_MATMUL: {
		double kp = (double)bn_i2s_k_pad(d->k);
		*bytes = (double)d->n * kp / 4 + (double)d->m * kp + 4.0 * d->m * d->n;
		return (double)d->m * d->n * d->k;
	}
	case K_GEMV:
	case K_GEMV_DRAM: {
		double kp = (double)bn_i2s_k_pad(d->k);
		*bytes = (double)d->n * kp / 4 + kp + 4.0 * d->n;
		return (double)d->n * d->k;
	}
	case K_QUANT: *bytes = 5.0 * d->n; return (double)d->n;
	case K_HEAD:
		*bytes = 2.0 * d->n * d->k + 4.0 * d->k + 4.0 * d->n;
		return (double)d->n * d->k;
	case K_MEMBW:
		*bytes = d->cuda ? 2.0 * (double)CUDA_COPY_BYTES /* read + written */
				 : (double)DRAM_STACK_BYTES;
		return *bytes;
	case K_PREFILL:
	case K_DECODE: *bytes = 0; return d->m; /* tokens per iteration */
	}
	return 0;
}
