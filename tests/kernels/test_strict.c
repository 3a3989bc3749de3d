/* Strict mode (BITNET_STRICT_MODE, read once per process: each case runs in its own
 * process and sets the variable before the first library call). */
#include <string.h>

#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_strict.h"
#include "tf.h"

static void need_simd(void)
{
	if (bn_kernel_best() == BN_KERNEL_REF)
		TF_SKIP("no SIMD kernel on this machine, so forcing ref is no fallback");
}

static struct bn_ctx *forced_ref_ctx(void)
{
	setenv("BITNET_KERNEL", "ref", 1);
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), 0);
	return ctx;
}

TF_TEST(strict__forced_ref_gemm_refused)
{
	setenv("BITNET_STRICT_MODE", "1", 1);
	need_simd();
	struct bn_ctx *ctx = forced_ref_ctx();
	struct bn_tmat *w;
	struct bn_qact *x;
	TF_CHECK_EQ(bn_tmat_new(&w, 8, 130), 0);
	TF_CHECK_EQ(bn_qact_new(&x, 4, 130), 0);
	int32_t y[32];
	TF_CHECK_EQ(bn_gemm(ctx, y, 8, x, w), BN_ESTRICT);
	const char *msg = bn_error_last();
	TF_CHECK(strstr(msg, "gemm 4x8x130") && strstr(msg, "ref") &&
			 strstr(msg, bn_kernel_name(bn_kernel_best())) && strstr(msg, "STRICT"),
		 "message: %s", msg);
	TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_GEMM), -1);
	bn_tmat_free(w);
	bn_qact_free(x);
	bn_ctx_free(ctx);
}

TF_TEST(strict__forced_ref_gemv_and_quant_refused)
{
	setenv("BITNET_STRICT_MODE", "true", 1);
	need_simd();
	struct bn_ctx *ctx = forced_ref_ctx();
	struct bn_tmat *w;
	struct bn_qact *x;
	TF_CHECK_EQ(bn_tmat_new(&w, 6912, 2560), 0);
	TF_CHECK_EQ(bn_qact_new(&x, 1, 2560), 0);
	int32_t *y = malloc(6912 * sizeof(int32_t));
	TF_CHECK_EQ(bn_gemv(ctx, y, x, w), BN_ESTRICT);
	TF_CHECK(strstr(bn_error_last(), "gemv 2560x6912"), "message: %s", bn_error_last());
	float f[2560] = {0};
	TF_CHECK_EQ(bn_quantize(ctx, x, f, 2560, 1), BN_ESTRICT);
	TF_CHECK(strstr(bn_error_last(), "quant 1x2560"), "message: %s", bn_error_last());
	free(y);
	bn_tmat_free(w);
	bn_qact_free(x);
	bn_ctx_free(ctx);
}

TF_TEST(strict__dequantize_refused)
{
	setenv("BITNET_STRICT_MODE", "1", 1);
	struct bn_tmat *w;
	TF_CHECK_EQ(bn_tmat_new(&w, 3, 5), 0);
	float f[15];
	TF_CHECK_EQ(bn_tmat_dequantize(f, w), BN_ESTRICT);
	TF_CHECK(strstr(bn_error_last(), "dequantize 3x5") && strstr(bn_error_last(), "float"),
		 "message: %s", bn_error_last());
	bn_tmat_free(w);
}

TF_TEST(strict__best_kernel_and_explicit_oracle_allowed)
{
	setenv("BITNET_STRICT_MODE", "on", 1);
	TF_CHECK_EQ(bn_strict_mode(), 1);
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), 0); /* auto: no fallback */
	struct bn_tmat *w;
	struct bn_qact *x;
	TF_CHECK_EQ(bn_tmat_new(&w, 8, 130), 0);
	TF_CHECK_EQ(bn_qact_new(&x, 4, 130), 0);
	int32_t y[32];
	TF_CHECK_EQ(bn_gemm(ctx, y, 8, x, w), 0);
	bn_ctx_free(ctx);
	/* a program asking for the reference by name (the oracle) is not a fallback */
	struct bn_ctx_opts o = {.kernel = BN_KERNEL_REF, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	TF_CHECK_EQ(bn_gemm(ctx, y, 8, x, w), 0);
	bn_ctx_free(ctx);
	bn_tmat_free(w);
	bn_qact_free(x);
}

TF_TEST(strict__default_mode_allows_fallbacks)
{
	TF_CHECK_EQ(bn_strict_mode(), 0);
	struct bn_ctx *ctx = forced_ref_ctx();
	struct bn_tmat *w;
	struct bn_qact *x;
	TF_CHECK_EQ(bn_tmat_new(&w, 8, 130), 0);
	TF_CHECK_EQ(bn_qact_new(&x, 4, 130), 0);
	int32_t y[32];
	TF_CHECK_EQ(bn_gemm(ctx, y, 8, x, w), 0);
	TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_GEMM), BN_KERNEL_REF);
	float f[8 * 130];
	TF_CHECK_EQ(bn_tmat_dequantize(f, w), 0);
	TF_CHECK_EQ(bn_strict_check_fallback("op", "1x1", "a", "b"), 0);
	bn_tmat_free(w);
	bn_qact_free(x);
	bn_ctx_free(ctx);
}

TF_TEST(strict__unusable_value_is_an_error)
{
	setenv("BITNET_STRICT_MODE", "maybe", 1);
	TF_CHECK_EQ(bn_strict_mode(), -1);
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "BITNET_STRICT_MODE=maybe"), "message: %s",
		 bn_error_last());
}

TF_TEST(strict__off_values)
{
	setenv("BITNET_STRICT_MODE", "off", 1);
	TF_CHECK_EQ(bn_strict_mode(), 0);
}
