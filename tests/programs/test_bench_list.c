/* bitnet-bench's benchmark list (programs/bench_list.c): which benchmarks a run of given
 * kernels and devices lists, their names, the family each is reported in, and the work one
 * iteration does. */
#include <string.h>

#include "bench.h"
#include "bn_pack.h"
#include "tf.h"

static struct bench_def defs[BENCH_MAX];

static const struct bench_def *find(int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

TF_TEST(bench_list__every_kernel_and_cuda)
{
	int n = bench_list(defs, (1u << BN_KERNEL_COUNT) - 1, 1);
	TF_CHECK(n > 0 && n <= BENCH_MAX, "%d benchmarks", n);
	TF_CHECK(!strcmp(defs[0].name, "membw/read") && !strcmp(defs[1].name, "membw/cuda-copy"),
		 "bandwidth first: %s, %s", defs[0].name, defs[1].name);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			TF_CHECK(strcmp(defs[i].name, defs[j].name), "%s twice", defs[i].name);
	static const char *const want[] = {
		"matmul/ref/32x32x32",     "matmul/amx/512x512x512",  "matmul/cuda/64x2560x6912",
		"gemv/avx2/2560x6912",     "gemv/ref/6912x2560/dram", "gemv/cuda/2560x128256",
		"head/avx512/2560x128256", "quant/avx2/6912",         "e2e/tiny/prefill64",
		"e2e/2b/decode",           "e2e/2b/decode@cuda",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		TF_CHECK(find(n, want[i]), "%s is not listed", want[i]);
	/* AMX has no quantizer and borrows AVX-512's lm_head; the CUDA GEMV always streams */
	static const char *const absent[] = {"quant/amx/2560", "head/amx/2560x128256",
					     "gemv/cuda/2560x2560/dram", "e2e/tiny/prefill64@cuda"};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		TF_CHECK(!find(n, absent[i]), "%s is listed", absent[i]);
	const struct bench_def *g = find(n, "gemv/avx2/2560x6912");
	TF_CHECK(g->kind == K_GEMV && g->kernel == BN_KERNEL_AVX2 && !g->cuda && g->m == 1 &&
			 g->k == 2560 && g->n == 6912,
		 "gemv/avx2/2560x6912 is K x N");
	const struct bench_def *e = find(n, "e2e/2b/decode@cuda");
	TF_CHECK(e->cuda && e->kernel == -1 && e->kind == K_DECODE && !strcmp(e->config, "2b"),
		 "e2e/2b/decode@cuda");
}

TF_TEST(bench_list__one_device)
{
	TF_CHECK_EQ(bench_list(defs, 0, 0), 0);
	int n = bench_list(defs, 0, 1);
	TF_CHECK(n > 0, "CUDA only: %d", n);
	for (int i = 0; i < n; i++)
		TF_CHECK(defs[i].cuda && defs[i].kernel == -1, "%s is not CUDA's", defs[i].name);
	n = bench_list(defs, 1u << BN_KERNEL_REF, 0);
	for (int i = 0; i < n; i++) {
		TF_CHECK(!defs[i].cuda, "%s is CUDA's", defs[i].name);
		TF_CHECK(defs[i].kernel == BN_KERNEL_REF || defs[i].kernel == -1, "%s: kernel %d",
			 defs[i].name, defs[i].kernel);
	}
	TF_CHECK(find(n, "gemv/ref/2560x2560/dram") && !find(n, "gemv/avx2/2560x2560"), "ref only");
}

TF_TEST(bench_list__family_and_work)
{
	TF_CHECK(!strcmp(bench_family(K_MATMUL), "matmul"), "matmul");
	TF_CHECK(!strcmp(bench_family(K_GEMV), "gemv") &&
			 !strcmp(bench_family(K_GEMV_DRAM), "gemv"),
		 "gemv");
	TF_CHECK(!strcmp(bench_family(K_QUANT), "quant"), "quant");
	TF_CHECK(!strcmp(bench_family(K_HEAD), "head"), "head");
	TF_CHECK(!strcmp(bench_family(K_MEMBW), "membw"), "membw");
	TF_CHECK(!strcmp(bench_family(K_PREFILL), "e2e") && !strcmp(bench_family(K_DECODE), "e2e"),
		 "e2e");
	double bytes = -1;
	struct bench_def mm = {.kind = K_MATMUL, .m = 32, .n = 64, .k = 128};
	double kp = (double)bn_i2s_k_pad(128);
	TF_CHECK(bench_elements(&mm, &bytes) == 32.0 * 64 * 128, "matmul MACs");
	TF_CHECK(bytes == 64 * kp / 4 + 32 * kp + 4.0 * 32 * 64, "matmul bytes %g", bytes);
	struct bench_def q = {.kind = K_QUANT, .m = 1, .n = 2560};
	TF_CHECK(bench_elements(&q, &bytes) == 2560 && bytes == 5.0 * 2560, "quant %g", bytes);
	struct bench_def mem = {.kind = K_MEMBW};
	TF_CHECK(bench_elements(&mem, &bytes) == (double)DRAM_STACK_BYTES &&
			 bytes == (double)DRAM_STACK_BYTES,
		 "membw/read reads the stack once");
	struct bench_def copy = {.kind = K_MEMBW, .cuda = 1};
	TF_CHECK(bench_elements(&copy, &bytes) == 2.0 * (double)CUDA_COPY_BYTES,
		 "membw/cuda-copy reads and writes");
	struct bench_def pre = {.kind = K_PREFILL, .m = E2E_PROMPT};
	TF_CHECK(bench_elements(&pre, &bytes) == E2E_PROMPT && bytes == 0, "prefill: tokens");
}
