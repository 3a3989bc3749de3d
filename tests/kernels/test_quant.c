/* Quantization: absmean ternary weights and absmax int8 activations, against plain float
 * references written here, and every available kernel's quantizer against ref, bit for bit. */
#include <math.h>
#include <string.h>

#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_quant.h"
#include "tf.h"

static float rand_float(float lo, float hi)
{
	return lo + (hi - lo) * (float)((double)(tf_rand() >> 11) / 9007199254740992.0);
}

/* The plain reference of bn_quant.h's definition, independent of the library code. */
static void plain_ternary(int8_t *q, float *scale, const float *w, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += fabs(w[i]);
	float mean = (float)(s / (double)n);
	float d = fmaxf(mean, 1e-5f);
	for (size_t i = 0; i < n; i++)
		q[i] = (int8_t)fmaxf(-1.0f, fminf(1.0f, rintf(w[i] / d)));
	*scale = mean;
}

static void plain_act(int8_t *q, float *scale, int32_t *sum, const float *x, int k)
{
	float amax = 0;
	for (int i = 0; i < k; i++)
		amax = fmaxf(amax, fabsf(x[i]));
	float s = amax > 0 && isfinite(127.0f / amax) ? 127.0f / amax : 0.0f;
	*sum = 0;
	for (int i = 0; i < k; i++) {
		q[i] = (int8_t)fmaxf(-128.0f, fminf(127.0f, rintf(x[i] * s)));
		*sum += q[i];
	}
	*scale = s;
}

TF_TEST(quant__ternary_fixture)
{
	/* mean |w| = (0.5 + 1.5 + 0.1 + 2.0) / 4 = 1.025; w / 1.025 rounds to 0, -1, 0, 2 -> 1 */
	float w[4] = {0.5f, -1.5f, 0.1f, 2.0f};
	int8_t q[4];
	float s;
	TF_CHECK_EQ(bn_quant_ternary(q, &s, w, 4), 0);
	TF_CHECK(q[0] == 0 && q[1] == -1 && q[2] == 0 && q[3] == 1, "q = %d %d %d %d", q[0], q[1],
		 q[2], q[3]);
	TF_CHECK(s == 1.025f, "scale %.9g", s);
}

TF_TEST(quant__ternary_matches_plain_reference)
{
	for (int rep = 0; rep < 20; rep++) {
		size_t n = 1 + tf_rand() % 5000;
		float *w = malloc(n * sizeof(float));
		int8_t *q = malloc(n), *want = malloc(n);
		float range = rep == 0 ? 1e-7f : rand_float(0.01f, 10.0f);
		for (size_t i = 0; i < n; i++)
			w[i] = rand_float(-range, range);
		if (rep == 1)
			memset(w, 0, n * sizeof(float));
		float s, ws;
		TF_CHECK_EQ(bn_quant_ternary(q, &s, w, n), 0);
		plain_ternary(want, &ws, w, n);
		TF_CHECK(s == ws, "scale %.9g vs %.9g", s, ws);
		TF_CHECK(memcmp(q, want, n) == 0, "ternary values differ (n=%zu)", n);
		free(w);
		free(q);
		free(want);
	}
}

TF_TEST(quant__ternary_rejects_bad_input)
{
	float w[3] = {1.0f, NAN, 0.0f};
	int8_t q[3];
	float s;
	TF_CHECK_EQ(bn_quant_ternary(q, &s, w, 3), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "index 1"), "message: %s", bn_error_last());
	TF_CHECK_EQ(bn_quant_ternary(q, &s, w, 0), BN_EINVAL);
}

static struct bn_ctx *ctx_for(int kernel, int threads)
{
	const char *why;
	if (!bn_kernel_available(kernel, &why))
		return NULL;
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = kernel, .threads = threads};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	return ctx;
}

TF_TEST(quant__act_fixture)
{
	/* max |x| = 2: scale 63.5; 1 * 63.5 = 63.5 rounds half to even: 64; -2 -> -127;
	 * 0.5 * 63.5 = 31.75 -> 32; sum -31. */
	float x[4] = {1.0f, -2.0f, 0.5f, 0.0f};
	struct bn_ctx *ctx = ctx_for(BN_KERNEL_REF, 1);
	struct bn_qact *a;
	TF_CHECK_EQ(bn_qact_new(&a, 1, 4), 0);
	TF_CHECK_EQ(bn_quantize(ctx, a, x, 4, 1), 0);
	TF_CHECK(a->q[0] == 64 && a->q[1] == -127 && a->q[2] == 32 && a->q[3] == 0,
		 "q = %d %d %d %d", a->q[0], a->q[1], a->q[2], a->q[3]);
	TF_CHECK(a->scale[0] == 63.5f, "scale %g", a->scale[0]);
	TF_CHECK_EQ(a->rowsum[0], -31);
	for (int c = 4; c < a->k_pad; c++)
		TF_CHECK_EQ(a->q[c], 0);
	bn_qact_free(a);
	bn_ctx_free(ctx);
}

/* Rows that stress the quantizer: random, halfway cases, zeros, tiny and huge values. */
static void fill_row(float *x, int k, int kind)
{
	for (int c = 0; c < k; c++) {
		switch (kind % 6) {
		case 0: x[c] = rand_float(-3.0f, 3.0f); break;
		case 1: x[c] = (float)((int)(tf_rand() % 255) - 127) + 0.5f; break; /* ties */
		case 2: x[c] = 0.0f; break;
		case 3: x[c] = rand_float(-1e-38f, 1e-38f); break; /* subnormal scale overflow */
		case 4: x[c] = rand_float(-1.0f, 1.0f) * 3e38f; break;
		default: x[c] = (c % 7) ? rand_float(-1.0f, 1.0f) : -1000.0f; break;
		}
	}
	if (kind % 6 == 1 && k > 0)
		x[0] = 127.0f; /* scale exactly 1: the .5 values are true ties */
}

TF_TEST(quant__act_every_kernel_matches_plain_reference)
{
	static const int ks[] = {1, 7, 8, 31, 32, 33, 100, 128, 129, 300, 2560, 6912};
	for (int kern = 0; kern < BN_KERNEL_COUNT; kern++) {
		struct bn_ctx *ctx = ctx_for(kern, tf_max_threads(1 + kern % 3));
		if (!ctx)
			continue;
		for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
			int k = ks[ki], m = 6;
			float *x = malloc(sizeof(float) * (size_t)m * k);
			for (int r = 0; r < m; r++)
				fill_row(x + (size_t)r * k, k, r);
			struct bn_qact *a;
			TF_CHECK_EQ(bn_qact_new(&a, m, k), 0);
			TF_CHECK_EQ(bn_quantize(ctx, a, x, (size_t)k, m), 0);
			TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_QUANT) >= 0, 1);
			for (int r = 0; r < m; r++) {
				int8_t want[6912];
				float ws;
				int32_t wsum;
				plain_act(want, &ws, &wsum, x + (size_t)r * k, k);
				TF_CHECK(memcmp(want, a->q + (size_t)r * a->k_pad, (size_t)k) == 0,
					 "kernel %s, k=%d, row kind %d: int8 values differ",
					 bn_kernel_name(kern), k, r);
				TF_CHECK(ws == a->scale[r], "kernel %s k=%d row %d: scale %g vs %g",
					 bn_kernel_name(kern), k, r, a->scale[r], ws);
				TF_CHECK(wsum == a->rowsum[r],
					 "kernel %s k=%d row %d: sum %d vs %d",
					 bn_kernel_name(kern), k, r, a->rowsum[r], wsum);
				for (int c = k; c < a->k_pad; c++)
					TF_CHECK_EQ(a->q[(size_t)r * a->k_pad + c], 0);
			}
			bn_qact_free(a);
			free(x);
		}
		bn_ctx_free(ctx);
	}
}

TF_TEST(quant__act_rejects_non_finite)
{
	for (int kern = 0; kern < BN_KERNEL_COUNT; kern++) {
		struct bn_ctx *ctx = ctx_for(kern, tf_max_threads(2));
		if (!ctx)
			continue;
		float x[3 * 40];
		for (int i = 0; i < 120; i++)
			x[i] = 0.25f;
		x[40 + 17] = NAN;
		x[80 + 39] = INFINITY;
		struct bn_qact *a;
		TF_CHECK_EQ(bn_qact_new(&a, 3, 40), 0);
		TF_CHECK_EQ(bn_quantize(ctx, a, x, 40, 3), BN_EFORMAT);
		TF_CHECK(strstr(bn_error_last(), "row 1"), "kernel %s: %s", bn_kernel_name(kern),
			 bn_error_last());
		x[40 + 17] = 0;
		TF_CHECK_EQ(bn_quantize(ctx, a, x, 40, 3), BN_EFORMAT);
		TF_CHECK(strstr(bn_error_last(), "row 2"), "kernel %s: %s", bn_kernel_name(kern),
			 bn_error_last());
		bn_qact_free(a);
		bn_ctx_free(ctx);
	}
}

TF_TEST(quant__act_dequantizes_within_half_step)
{
	struct bn_ctx *ctx = ctx_for(bn_kernel_best(), 1);
	int k = 1000;
	float x[1000];
	fill_row(x, k, 0);
	struct bn_qact *a;
	TF_CHECK_EQ(bn_qact_new(&a, 1, k), 0);
	TF_CHECK_EQ(bn_quantize(ctx, a, x, (size_t)k, 1), 0);
	for (int c = 0; c < k; c++) {
		float back = (float)a->q[c] / a->scale[0];
		TF_CHECK(fabsf(back - x[c]) <= 0.5f / a->scale[0] * 1.0001f,
			 "x[%d] = %g came back %g", c, x[c], back);
	}
	bn_qact_free(a);
	bn_ctx_free(ctx);
}

TF_TEST(quant__act_rejects_bad_shapes)
{
	struct bn_qact *a;
	TF_CHECK_EQ(bn_qact_new(&a, 0, 10), BN_EINVAL);
	TF_CHECK_EQ(bn_qact_new(&a, 1, 0), BN_EINVAL);
	TF_CHECK_EQ(bn_qact_new(&a, 2, 10), 0);
	struct bn_ctx *ctx = ctx_for(BN_KERNEL_REF, 1);
	float x[30] = {0};
	TF_CHECK_EQ(bn_quantize(ctx, a, x, 10, 3), BN_EINVAL); /* more rows than a holds */
	TF_CHECK_EQ(bn_quantize(ctx, a, x, 5, 1), BN_EINVAL);  /* stride shorter than a row */
	bn_qact_free(a);
	bn_ctx_free(ctx);
}
