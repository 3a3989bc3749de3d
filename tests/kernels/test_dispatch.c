/* The dispatch: kernel names, BITNET_KERNEL forcing, clear errors for unknown and
 * unsupported kernels, and the kernel ID reported for what actually ran. */
#include <stdatomic.h>
#include <string.h>

#include "bn_cpu.h"
#include "bn_dispatch.h"
#include "bn_error.h"
#include "tf.h"

static int run_small_gemm(struct bn_ctx *ctx)
{
	struct bn_tmat *w;
	struct bn_qact *x;
	int32_t y[4 * 8];
	TF_CHECK_EQ(bn_tmat_new(&w, 8, 130), 0);
	TF_CHECK_EQ(bn_qact_new(&x, 4, 130), 0);
	int rc = bn_gemm(ctx, y, 8, x, w);
	bn_tmat_free(w);
	bn_qact_free(x);
	return rc;
}

static void count_tid(void *arg, int tid)
{
	atomic_int *calls = arg;
	if (tid >= 0 && tid < 8)
		atomic_fetch_add(&calls[tid], 1);
	else
		atomic_fetch_add(&calls[8], 1);
}

/* bn_ctx_parallel runs the function once on each of the context's threads, tid 0 .. n-1. */
TF_TEST(dispatch__parallel_runs_once_per_thread)
{
	for (int threads = 1; threads <= 4; threads++) {
		struct bn_ctx *ctx;
		struct bn_ctx_opts o = {.kernel = BN_KERNEL_REF, .threads = threads};
		TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
		for (int round = 0; round < 3; round++) {
			atomic_int calls[9];
			for (int i = 0; i < 9; i++)
				atomic_init(&calls[i], 0);
			bn_ctx_parallel(ctx, count_tid, calls);
			for (int i = 0; i < 8; i++)
				TF_CHECK(atomic_load(&calls[i]) == (i < threads ? 1 : 0),
					 "%d threads, round %d: tid %d ran %d times", threads,
					 round, i, atomic_load(&calls[i]));
			TF_CHECK_EQ(atomic_load(&calls[8]), 0);
		}
		bn_ctx_free(ctx);
	}
}

TF_TEST(dispatch__names_round_trip)
{
	for (int id = 0; id < BN_KERNEL_COUNT; id++) {
		int back = -1;
		TF_CHECK_EQ(bn_kernel_from_name(&back, bn_kernel_name(id)), 0);
		TF_CHECK_EQ(back, id);
	}
	int id;
	TF_CHECK_EQ(bn_kernel_from_name(&id, "sse9"), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "sse9") && strstr(bn_error_last(), "avx512"),
		 "message: %s", bn_error_last());
	TF_CHECK(!strcmp(bn_kernel_name(99), "?"), "bad id name");
	/* cuda is a known name the CPU dispatch does not serve: unsupported, not unknown */
	TF_CHECK_EQ(bn_kernel_from_name(&id, "cuda"), BN_EUNSUPPORTED);
	TF_CHECK(strstr(bn_error_last(), "GPU") != NULL, "message: %s", bn_error_last());
	setenv("BITNET_KERNEL", "cuda", 1);
	struct bn_ctx *ctx = NULL;
	struct bn_ctx_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), BN_EUNSUPPORTED);
	TF_CHECK(strstr(bn_error_last(), "BITNET_KERNEL=cuda") != NULL, "message: %s",
		 bn_error_last());
	unsetenv("BITNET_KERNEL");
}

TF_TEST(dispatch__auto_picks_best_and_reports_it)
{
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), 0);
	TF_CHECK_EQ(bn_ctx_kernel(ctx), bn_kernel_best());
	TF_CHECK_EQ(bn_ctx_forced(ctx), 0);
	TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_GEMM), -1);
	TF_CHECK_EQ(run_small_gemm(ctx), 0);
	TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_GEMM), bn_ctx_op_kernel(ctx, BN_OP_GEMM, 4));
	TF_CHECK_EQ(bn_ctx_threads(ctx), 1);
	bn_ctx_free(ctx);
	/* ref is always there, and the best is at least as good as what the CPU bits allow */
	TF_CHECK_EQ(bn_kernel_available(BN_KERNEL_REF, NULL), 1);
	unsigned f = bn_cpu_get()->features;
	if (f & BN_CPU_AVX2)
		TF_CHECK(bn_kernel_best() >= BN_KERNEL_AVX2, "avx2 CPU but best is %s",
			 bn_kernel_name(bn_kernel_best()));
}

TF_TEST(dispatch__env_forces_each_available_kernel)
{
	for (int id = 0; id < BN_KERNEL_COUNT; id++) {
		if (!bn_kernel_available(id, NULL))
			continue;
		setenv("BITNET_KERNEL", bn_kernel_name(id), 1);
		struct bn_ctx *ctx;
		struct bn_ctx_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 2};
		TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
		TF_CHECK_EQ(bn_ctx_kernel(ctx), id);
		TF_CHECK_EQ(bn_ctx_forced(ctx), 1);
		TF_CHECK_EQ(run_small_gemm(ctx), 0);
		TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_GEMM), id);
		/* one kernel for everything: GEMM of any size and GEMV are its own */
		TF_CHECK_EQ(bn_ctx_gemm_split(ctx), 0);
		TF_CHECK_EQ(bn_ctx_op_kernel(ctx, BN_OP_GEMM, 1), id);
		TF_CHECK_EQ(bn_ctx_op_kernel(ctx, BN_OP_GEMM, 4096), id);
		TF_CHECK_EQ(bn_ctx_op_kernel(ctx, BN_OP_GEMV, 1), id);
		bn_ctx_free(ctx);
	}
	/* an explicit choice in the options wins over the environment */
	setenv("BITNET_KERNEL", "ref", 1);
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = bn_kernel_best(), .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	TF_CHECK_EQ(bn_ctx_kernel(ctx), bn_kernel_best());
	bn_ctx_free(ctx);
}

/* Without a forced kernel each operation gets an available kernel; never AMX for a GEMV or
 * for a GEMM smaller than one tile; GEMMs split by rows run the small kernel below the split
 * and the large one from it, and bn_ctx_ran reports what actually ran each. */
TF_TEST(dispatch__per_operation_choice)
{
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 2};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	for (int op = 0; op < BN_OP_COUNT; op++)
		for (int rows = 1; rows <= 64; rows *= 4) {
			int k = bn_ctx_op_kernel(ctx, (enum bn_op)op, rows);
			TF_CHECK(k >= 0 && bn_kernel_available(k, NULL), "%s on %d rows: %s",
				 bn_op_name(op), rows, bn_kernel_name(k));
		}
	TF_CHECK(bn_ctx_op_kernel(ctx, BN_OP_GEMV, 1) != BN_KERNEL_AMX, "AMX chosen for GEMV");
	TF_CHECK(bn_ctx_op_kernel(ctx, BN_OP_GEMM, 15) != BN_KERNEL_AMX,
		 "AMX chosen for a GEMM of 15 rows");
	/* a SIMD kernel where there is one: ref is only the last resort */
	if (bn_kernel_best() != BN_KERNEL_REF)
		for (int op = 0; op < BN_OP_COUNT; op++)
			TF_CHECK(bn_ctx_op_kernel(ctx, (enum bn_op)op, 64) != BN_KERNEL_REF,
				 "%s falls back to ref", bn_op_name(op));
	int split = bn_ctx_gemm_split(ctx);
	int sizes[] = {1, 3, split > 1 ? split - 1 : 2, split > 0 ? split : 16, 40};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int m = sizes[i];
		struct bn_tmat *w;
		struct bn_qact *x;
		int32_t *y = malloc(sizeof(int32_t) * (size_t)m * 64);
		TF_CHECK_EQ(bn_tmat_new(&w, 64, 256), 0);
		TF_CHECK_EQ(bn_qact_new(&x, m, 256), 0);
		bn_ctx_ran_reset(ctx);
		TF_CHECK_EQ(m == 1 ? bn_gemv(ctx, y, x, w) : bn_gemm(ctx, y, 64, x, w), 0);
		int want = m == 1 ? bn_ctx_op_kernel(ctx, BN_OP_GEMV, 1)
				  : bn_ctx_op_kernel(ctx, BN_OP_GEMM, m);
		TF_CHECK_EQ(bn_ctx_ran(ctx, m == 1 ? BN_OP_GEMV : BN_OP_GEMM), want);
		TF_CHECK_EQ(bn_ctx_ran(ctx, m == 1 ? BN_OP_GEMM : BN_OP_GEMV), -1);
		bn_tmat_free(w);
		bn_qact_free(x);
		free(y);
	}
	bn_ctx_free(ctx);
}

TF_TEST(dispatch__env_unknown_kernel_is_an_error)
{
	setenv("BITNET_KERNEL", "avx9000", 1);
	struct bn_ctx *ctx = (void *)1;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), BN_EINVAL);
	TF_CHECK(ctx == NULL, "out not cleared");
	TF_CHECK(strstr(bn_error_last(), "BITNET_KERNEL=avx9000") &&
			 strstr(bn_error_last(), "unknown"),
		 "message: %s", bn_error_last());
}

TF_TEST(dispatch__env_unsupported_kernel_is_an_error)
{
	int missing = -1;
	for (int id = BN_KERNEL_COUNT - 1; id > 0; id--)
		if (!bn_kernel_available(id, NULL))
			missing = id;
	if (missing < 0)
		TF_SKIP("every kernel runs on this machine");
	setenv("BITNET_KERNEL", bn_kernel_name(missing), 1);
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), BN_EUNSUPPORTED);
	char want[64];
	snprintf(want, sizeof(want), "BITNET_KERNEL=%s", bn_kernel_name(missing));
	TF_CHECK(strstr(bn_error_last(), want) && strstr(bn_error_last(), "not available"),
		 "message: %s", bn_error_last());
	/* and explicitly through the options */
	struct bn_ctx_opts o = {.kernel = missing, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), BN_EUNSUPPORTED);
}

TF_TEST(dispatch__empty_env_means_auto)
{
	setenv("BITNET_KERNEL", "", 1);
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), 0);
	TF_CHECK_EQ(bn_ctx_kernel(ctx), bn_kernel_best());
	bn_ctx_free(ctx);
}

TF_TEST(dispatch__cpu_model_and_features)
{
	const struct bn_cpu *c = bn_cpu_get();
	TF_CHECK(c->model[0] != '\0', "empty CPU model");
	const char *names[16];
	int n = bn_cpu_feature_names(names, 16);
	TF_CHECK(n >= 0 && n <= 16, "feature count %d", n);
	for (int i = 0; i < n; i++)
		TF_CHECK(names[i] && names[i][0], "empty feature name");
	TF_CHECK(bn_cpu_get() == c, "detection is not cached");
}

TF_TEST(dispatch__membw_reads_everything)
{
	size_t bytes = 1 << 20;
	uint64_t *buf = aligned_alloc(64, bytes);
	for (size_t i = 0; i < bytes / 8; i++)
		buf[i] = 0;
	for (int t = 1; t <= 4; t++) {
		struct bn_ctx *ctx;
		struct bn_ctx_opts o = {.kernel = BN_KERNEL_REF, .threads = t};
		TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
		TF_CHECK_EQ(bn_membw_read(ctx, buf, bytes), 0);
		buf[bytes / 8 - 1] = 5; /* the last word is read too */
		TF_CHECK(bn_membw_read(ctx, buf, bytes) != 0, "last word not read with %d threads",
			 t);
		buf[bytes / 8 - 1] = 0;
		bn_ctx_free(ctx);
	}
	free(buf);
}
