/* The reference kernel set: plain scalar C, written for clarity. It is the oracle every
 * other kernel is checked against, bit for bit, and the fallback when no SIMD kernel runs. */
#include <math.h>

#include "../bn_error.h"
#include "../bn_half.h"
#include "../kernels_int.h"

/* Unpacks row j of w into t (k_pad values, code - 1 each). Code 3, which no valid matrix
 * holds, comes out as +2 here and in every kernel alike, since all of them compute
 * sum(code * x) - sum(x). */
static void ref_unpack_row(int8_t *t, const struct bn_tmat *w, int j)
{
	const uint8_t *row = w->codes + (size_t)j * w->row_bytes;
	for (int c = 0; c < w->k_pad; c++) {
		const uint8_t *block = row + (size_t)(c / BN_I2S_BLOCK) * BN_I2S_BLOCK_BYTES;
		int pos = c % BN_I2S_BLOCK;
		int code = (block[pos % BN_I2S_GROUP] >> (6 - 2 * (pos / BN_I2S_GROUP))) & 3;
		t[c] = (int8_t)(code - 1);
	}
}

static int ref_gemm(int32_t *y, size_t ldy, const struct bn_qact *x, const void *prep,
		    const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	int8_t *t = bn_scratch_get(s, (size_t)w->k_pad);
	if (!t)
		return BN_ENOMEM;
	for (int j = n0; j < n1; j++) {
		ref_unpack_row(t, w, j);
		for (int i = 0; i < x->m; i++) {
			const int8_t *xr = x->q + (size_t)i * x->k_pad;
			int32_t acc = 0;
			for (int c = 0; c < w->k_pad; c++)
				acc += t[c] * xr[c];
			y[(size_t)i * ldy + j] = acc;
		}
	}
	return 0;
}

static int ref_gemv(int32_t *y, const struct bn_qact *x, const void *prep, const struct bn_tmat *w,
		    int n0, int n1, struct bn_scratch *s)
{
	return ref_gemm(y, 0, x, prep, w, n0, n1, s);
}

int bn_ref_quant_row(int8_t *q, float *scale, int32_t *sum, const float *x, int k, int k_pad)
{
	float amax = 0.0f;
	for (int c = 0; c < k; c++) {
		if (!isfinite(x[c]))
			return 1;
		float a = fabsf(x[c]);
		if (a > amax)
			amax = a;
	}
	float s = bn_act_scale(amax);
	int32_t total = 0;
	for (int c = 0; c < k; c++) {
		float v = nearbyintf(x[c] * s);
		v = v > 127.0f ? 127.0f : (v < -128.0f ? -128.0f : v);
		q[c] = (int8_t)v;
		total += q[c];
	}
	for (int c = k; c < k_pad; c++)
		q[c] = 0;
	*scale = s;
	*sum = total;
	return 0;
}

/* The lm_head's dot product of an F16 row with x (k a multiple of 32), in one fixed order
 * that every SIMD version follows exactly: four accumulators of 8 lanes, element i going to
 * accumulator (i / 8) % 4, lane i % 8, by fused multiply-add; then lane-wise
 * (a0 + a1) + (a2 + a3), then lanes (l0 + l4, l1 + l5, l2 + l6, l3 + l7) = v, then
 * (v0 + v2) + (v1 + v3). */
static float ref_dot_f16_row(const uint16_t *e, const float *x, int n)
{
	float a[4][8] = {{0}};
	for (int i = 0; i < n; i += 32)
		for (int b = 0; b < 4; b++)
			for (int l = 0; l < 8; l++)
				a[b][l] = fmaf(bn_f16_to_f32(e[i + 8 * b + l]), x[i + 8 * b + l],
					       a[b][l]);
	float s[8], v[4];
	for (int l = 0; l < 8; l++)
		s[l] = (a[0][l] + a[1][l]) + (a[2][l] + a[3][l]);
	for (int l = 0; l < 4; l++)
		v[l] = s[l] + s[l + 4];
	return (v[0] + v[2]) + (v[1] + v[3]);
}

static void bn_ref_dot_f16(float *y, const uint16_t *e, const float *x, int k, int n0, int n1)
{
	for (int j = n0; j < n1; j++)
		y[j - n0] = ref_dot_f16_row(e + (size_t)j * (size_t)k, x, k);
}

const struct bn_kernel_impl bn_kernel_ref = {
	.id = 0,
	.name = "ref",
	.n_align = 1,
	.gemm = ref_gemm,
	.gemv = ref_gemv,
	.quant_row = bn_ref_quant_row,
	.quant_id = 0,
	.dot_f16 = bn_ref_dot_f16,
	.dot_f16_id = 0,
};
