/* AVX2 kernels: ternary x int8 GEMM/GEMV with vpmaddubsw, and absmax int8 quantization.
 *
 * The weights stay in I2_S: one 32-byte load holds 128 weights as four runs of 32, each
 * pulled out with a shift and a mask as codes c = w + 1 in {0, 1, 2}. vpmaddubsw multiplies
 * the unsigned codes with the signed activations and adds pairs into int16, so
 * sum(w * x) = sum(c * x) - sum(x), where sum(x) is the row sum the quantizer stored.
 * A pair is at most 2 * 3 * 128 = 768 in magnitude (even for the invalid code 3), so 32
 * pairs (8 blocks) accumulate in int16 without overflow before widening to int32. There is
 * no saturation anywhere: the result is exact, equal to the reference for every input. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "../bn_dispatch.h"
#include "../bn_kernels_int.h"

#define WIDEN_EVERY 8 /* blocks accumulated in int16 before widening */
#ifndef GEMV_PREFETCH
#define GEMV_PREFETCH 8192 /* bytes of weights fetched ahead in GEMV */
#endif

#define INLINE static inline __attribute__((always_inline))

/* Codes of run g (0..3) of a 32-byte block: bits 7-6, 5-4, 3-2, 1-0 of each byte. */
INLINE __m256i run_codes(__m256i v, int g, __m256i mask3)
{
	switch (g) {
	case 0:
		return _mm256_and_si256(_mm256_srli_epi16(v, 6), mask3);
	case 1:
		return _mm256_and_si256(_mm256_srli_epi16(v, 4), mask3);
	case 2:
		return _mm256_and_si256(_mm256_srli_epi16(v, 2), mask3);
	default:
		return _mm256_and_si256(v, mask3);
	}
}

INLINE int32_t hsum_epi32(__m256i v)
{
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
	return _mm_cvtsi128_si32(s);
}

/* Sums each of eight vectors: out[i] = sum of v[i]. */
INLINE __m256i hsum8_epi32(const __m256i v[8])
{
	__m256i t0 = _mm256_hadd_epi32(v[0], v[1]);
	__m256i t1 = _mm256_hadd_epi32(v[2], v[3]);
	__m256i t2 = _mm256_hadd_epi32(v[4], v[5]);
	__m256i t3 = _mm256_hadd_epi32(v[6], v[7]);
	__m256i u0 = _mm256_hadd_epi32(t0, t1);
	__m256i u1 = _mm256_hadd_epi32(t2, t3);
	return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20),
				_mm256_permute2x128_si256(u0, u1, 0x31));
}

/* One MR x NR tile of y: rows x[0..MR) against weight rows w[0..NR), all k_pad columns.
 * Called with constant mr/nr so the accumulators live in registers. */
INLINE void tile(int mr, int nr, int32_t *y, size_t ldy, const int8_t *x, size_t ldx,
		 const int32_t *rowsum, const uint8_t *w, size_t ldw, int nblocks)
{
	const __m256i mask3 = _mm256_set1_epi8(3);
	const __m256i ones = _mm256_set1_epi16(1);
	/* The int32 sums live in memory: the inner loop needs every register for the int16
	 * accumulators, and they are touched once per WIDEN_EVERY blocks. */
	__m256i acc[4][2];
	for (int m = 0; m < mr; m++)
		for (int n = 0; n < nr; n++)
			acc[m][n] = _mm256_setzero_si256();
	for (int b0 = 0; b0 < nblocks; b0 += WIDEN_EVERY) {
		int b1 = b0 + WIDEN_EVERY < nblocks ? b0 + WIDEN_EVERY : nblocks;
		__asm__ volatile("" : : "r"(acc) : "memory");
		__m256i a16[4][2];
		for (int m = 0; m < mr; m++)
			for (int n = 0; n < nr; n++)
				a16[m][n] = _mm256_setzero_si256();
		for (int b = b0; b < b1; b++) {
			__m256i wv[2];
			for (int n = 0; n < nr; n++)
				wv[n] = _mm256_load_si256((const __m256i *)(w + n * ldw + (size_t)b * 32));
			for (int g = 0; g < 4; g++) {
				__m256i c[2];
				for (int n = 0; n < nr; n++)
					c[n] = run_codes(wv[n], g, mask3);
				for (int m = 0; m < mr; m++) {
					__m256i xv = _mm256_load_si256(
						(const __m256i *)(x + m * ldx + (size_t)b * 128 + g * 32));
					for (int n = 0; n < nr; n++)
						a16[m][n] = _mm256_add_epi16(
							a16[m][n], _mm256_maddubs_epi16(c[n], xv));
				}
				/* Pin each accumulator after every run: left alone, GCC
				 * reassociates the adds of all four runs into trees and spills. */
				for (int m = 0; m < mr; m++)
					for (int n = 0; n < nr; n++)
						__asm__("" : "+x"(a16[m][n]));
			}
		}
		for (int m = 0; m < mr; m++)
			for (int n = 0; n < nr; n++)
				acc[m][n] = _mm256_add_epi32(acc[m][n],
							     _mm256_madd_epi16(a16[m][n], ones));
	}
	if (mr == 4 && nr == 2) {
		__m256i v[8];
		for (int m = 0; m < 4; m++)
			for (int n = 0; n < 2; n++)
				v[m * 2 + n] = acc[m][n];
		int32_t s[8];
		_mm256_storeu_si256((__m256i *)s, hsum8_epi32(v));
		for (int m = 0; m < 4; m++)
			for (int n = 0; n < 2; n++)
				y[m * ldy + n] = s[m * 2 + n] - rowsum[m];
	} else {
		for (int m = 0; m < mr; m++)
			for (int n = 0; n < nr; n++)
				y[m * ldy + n] = hsum_epi32(acc[m][n]) - rowsum[m];
	}
}

/* Dispatches a tile of any size up to 4 x 2 to a specialised copy. */
static void tile_any(int mr, int nr, int32_t *y, size_t ldy, const int8_t *x, size_t ldx,
		     const int32_t *rowsum, const uint8_t *w, size_t ldw, int nblocks)
{
#define T(M, N) tile(M, N, y, ldy, x, ldx, rowsum, w, ldw, nblocks)
	if (nr == 2) {
		switch (mr) {
		case 4: T(4, 2); return;
		case 3: T(3, 2); return;
		case 2: T(2, 2); return;
		default: T(1, 2); return;
		}
	}
	switch (mr) {
	case 4: T(4, 1); return;
	case 3: T(3, 1); return;
	case 2: T(2, 1); return;
	default: T(1, 1); return;
	}
#undef T
}

static int avx2_gemm(int32_t *y, size_t ldy, const struct bn_qact *x, const void *prep,
		     const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	const int nblocks = w->k_pad / BN_I2S_BLOCK;
	const size_t ldx = (size_t)x->k_pad;
	/* Rows of x per pass: about 16 KiB of activations stay in L1 while the weight rows of
	 * this range stream past them. */
	int mb = (int)(16384 / ldx) / 4 * 4;
	if (mb < 4)
		mb = 4;
	for (int i0 = 0; i0 < x->m; i0 += mb) {
		int i1 = i0 + mb < x->m ? i0 + mb : x->m;
		for (int j = n0; j < n1; j += 2) {
			int nr = n1 - j >= 2 ? 2 : 1;
			const uint8_t *wr = w->codes + (size_t)j * w->row_bytes;
			for (int i = i0; i < i1; i += 4) {
				int mr = i1 - i >= 4 ? 4 : i1 - i;
				tile_any(mr, nr, y + (size_t)i * ldy + j, ldy, x->q + (size_t)i * ldx,
					 ldx, x->rowsum + i, wr, w->row_bytes, nblocks);
			}
		}
	}
	return 0;
}

/* GEMV: four weight rows at a time share each activation load. With one activation row the
 * decode is the largest cost, so it takes one shift instead of three: with t = v >> 4
 * (16-bit lanes), runs 1 and 3 are t & 3 and v & 3, and runs 0 and 2 are taken unshifted
 * as t & 12 and v & 12, that is 4 * code, into an accumulator of four-fold sums. Pairs
 * there reach 2 * 12 * 128 = 3072, so that accumulator widens every 4 blocks. */
INLINE void gemv_rows(int nr, int32_t *y, const int8_t *x, int32_t rowsum, const uint8_t *w,
		      size_t ldw, int nblocks)
{
	const __m256i mask3 = _mm256_set1_epi8(3);
	const __m256i mask12 = _mm256_set1_epi8(12);
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i acc[4];
	for (int n = 0; n < nr; n++)
		acc[n] = _mm256_setzero_si256();
	for (int b0 = 0; b0 < nblocks; b0 += 4) {
		int b1 = b0 + 4 < nblocks ? b0 + 4 : nblocks;
		__m256i a1[4], a4[4];
		for (int n = 0; n < nr; n++)
			a1[n] = a4[n] = _mm256_setzero_si256();
		for (int b = b0; b < b1; b++) {
			/* These nr rows are one contiguous run of nr * ldw bytes, read as nr short
			 * interleaved streams that hardware prefetchers do not pick up: fetch the
			 * run ahead ourselves, at the rate it is consumed. */
			const char *pf = (const char *)w + GEMV_PREFETCH + (size_t)b * nr * 32;
			for (int l = 0; l < nr * 32; l += 64)
				_mm_prefetch(pf + l, _MM_HINT_T0);
			const int8_t *xb = x + (size_t)b * 128;
			const __m256i x0 = _mm256_load_si256((const __m256i *)xb);
			const __m256i x1 = _mm256_load_si256((const __m256i *)(xb + 32));
			const __m256i x2 = _mm256_load_si256((const __m256i *)(xb + 64));
			const __m256i x3 = _mm256_load_si256((const __m256i *)(xb + 96));
			for (int n = 0; n < nr; n++) {
				__m256i v = _mm256_load_si256((const __m256i *)(w + n * ldw + (size_t)b * 32));
				__m256i t = _mm256_srli_epi16(v, 4);
				__m256i p0 = _mm256_maddubs_epi16(_mm256_and_si256(t, mask12), x0);
				__m256i p1 = _mm256_maddubs_epi16(_mm256_and_si256(t, mask3), x1);
				__m256i p2 = _mm256_maddubs_epi16(_mm256_and_si256(v, mask12), x2);
				__m256i p3 = _mm256_maddubs_epi16(_mm256_and_si256(v, mask3), x3);
				a4[n] = _mm256_add_epi16(a4[n], _mm256_add_epi16(p0, p2));
				a1[n] = _mm256_add_epi16(a1[n], _mm256_add_epi16(p1, p3));
			}
		}
		/* a4 holds multiples of 4: the shift is exact. Both halves stay below
		 * 8 * 768 = 6144 in magnitude, so their int16 sum cannot overflow. */
		for (int n = 0; n < nr; n++)
			acc[n] = _mm256_add_epi32(
				acc[n], _mm256_madd_epi16(
						_mm256_add_epi16(a1[n], _mm256_srai_epi16(a4[n], 2)), ones));
	}
	for (int n = 0; n < nr; n++)
		y[n] = hsum_epi32(acc[n]) - rowsum;
}

static int avx2_gemv(int32_t *y, const struct bn_qact *x, const void *prep,
		     const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s)
{
	const int nblocks = w->k_pad / BN_I2S_BLOCK;
	int j = n0;
	for (; j + 4 <= n1; j += 4)
		gemv_rows(4, y + j, x->q, x->rowsum[0], w->codes + (size_t)j * w->row_bytes,
			  w->row_bytes, nblocks);
	for (; j < n1; j++)
		gemv_rows(1, y + j, x->q, x->rowsum[0], w->codes + (size_t)j * w->row_bytes,
			  w->row_bytes, nblocks);
	return 0;
}

/* Absmax quantization of one row, bit-identical to bn_ref_quant_row: max is exact in any
 * order, and each element is one multiply and one round-half-even, as in the scalar code. */
static int avx2_quant_row(int8_t *q, float *scale, int32_t *sum, const float *x, int k,
			  int k_pad)
{
	const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 vmax = _mm256_setzero_ps();
	__m256 bad = _mm256_setzero_ps();
	const __m256 inf = _mm256_set1_ps(INFINITY);
	int c = 0;
	for (; c + 8 <= k; c += 8) {
		__m256 a = _mm256_and_ps(_mm256_loadu_ps(x + c), absmask);
		bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ)); /* NaN or inf */
		vmax = _mm256_max_ps(vmax, a);
	}
	if (_mm256_movemask_ps(bad))
		return 1;
	float lanes[8];
	_mm256_storeu_ps(lanes, vmax);
	float amax = 0.0f;
	for (int i = 0; i < 8; i++)
		amax = lanes[i] > amax ? lanes[i] : amax;
	for (int t = c; t < k; t++) {
		if (!isfinite(x[t]))
			return 1;
		float a = fabsf(x[t]);
		amax = a > amax ? a : amax;
	}
	const float sc = bn_act_scale(amax);
	const __m256 vs = _mm256_set1_ps(sc);
	const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-128.0f);
	__m256i vsum = _mm256_setzero_si256();
	c = 0;
	for (; c + 32 <= k; c += 32) {
		__m256i i32[4];
		for (int u = 0; u < 4; u++) {
			__m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + c + 8 * u), vs);
			v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
			v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
			i32[u] = _mm256_cvtps_epi32(v);
			vsum = _mm256_add_epi32(vsum, i32[u]);
		}
		/* packs works within 128-bit lanes: fix the order with one permute. */
		__m256i p16a = _mm256_packs_epi32(i32[0], i32[1]);
		__m256i p16b = _mm256_packs_epi32(i32[2], i32[3]);
		__m256i p8 = _mm256_packs_epi16(p16a, p16b);
		p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
		_mm256_storeu_si256((__m256i *)(q + c), p8);
	}
	int32_t total = hsum_epi32(vsum);
	for (; c < k; c++) {
		float v = nearbyintf(x[c] * sc);
		v = v > 127.0f ? 127.0f : (v < -128.0f ? -128.0f : v);
		q[c] = (int8_t)v;
		total += q[c];
	}
	memset(q + k, 0, (size_t)(k_pad - k));
	*scale = sc;
	*sum = total;
	return 0;
}

const struct bn_kernel_impl bn_kernel_avx2 = {
	.id = BN_KERNEL_AVX2,
	.name = "avx2",
	.n_align = 4,
	.gemm = avx2_gemm,
	.gemv = avx2_gemv,
	.quant_row = avx2_quant_row,
	.quant_id = BN_KERNEL_AVX2,
};
